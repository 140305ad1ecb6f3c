#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PKI made with `openssl` once per test process, in a temporary directory
/// removed at exit: a test CA, a server certificate for `localhost` / 127.0.0.1, client
/// certificates (good, expired, revoked, from another CA), a CRL, a hashed `capath`, an
/// expired server certificate, a key that matches nothing, and a PSK file. EC P-256
/// throughout (fast to make). Nothing here is ever committed.
public struct TestCertificates: Sendable {
    public let directory: String
    /// CN=Perch Test CA.
    public var caCertificate: String { directory + "/ca.crt" }
    public var caKey: String { directory + "/ca.key" }
    /// A directory holding the CA under its subject hash (`openssl rehash`).
    public var caPath: String { directory + "/capath" }
    /// CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1.
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    /// A server certificate that expired in 2020 (same key as `serverKey`).
    public var expiredServerCertificate: String { directory + "/server-expired.crt" }
    /// A key that belongs to no certificate here.
    public var strayKey: String { directory + "/stray.key" }
    /// Subject `O=Perch Test, CN=device-1` (in that order: `openssl ca` follows the policy's).
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }
    /// CN=device-expired, valid only in 2020.
    public var expiredClientCertificate: String { directory + "/client-expired.crt" }
    public var expiredClientKey: String { directory + "/client-expired.key" }
    /// CN=device-revoked, listed in `crl`.
    public var revokedClientCertificate: String { directory + "/client-revoked.crt" }
    public var revokedClientKey: String { directory + "/client-revoked.key" }
    /// CN=device-1 again, but issued by a CA the server does not trust.
    public var untrustedClientCertificate: String { directory + "/client-untrusted.crt" }
    public var untrustedClientKey: String { directory + "/client-untrusted.key" }
    /// The other CA (CN=Other CA).
    public var otherCACertificate: String { directory + "/other-ca.crt" }
    /// Revokes `revokedClientCertificate`.
    public var crl: String { directory + "/crl.pem" }
    /// `device-psk:<pskKeyHex>` and one more identity.
    public var pskFile: String { directory + "/psk.txt" }
    public static let pskIdentity = "device-psk"
    public static let pskKeyHex = "0123456789abcdef0123456789abcdef"
    /// The subject of `clientCertificate` as RFC 2253 prints it (most specific first).
    public static let clientSubject = "CN=device-1,O=Perch Test"

    /// The process's certificates, made on first use.
    public static func shared() throws(ProcessError) -> TestCertificates {
        try made.get()
    }

    private static let made: Result<TestCertificates, ProcessError> = {
        var template = Array("/tmp/perch-certs-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { return .failure(ProcessError("mkdtemp failed")) }
        let directory = String(cString: created)
        do throws(ProcessError) {
            try ShellCommand.check("cd '\(directory)' && " + script)
        } catch {
            return .failure(error)
        }
        removeAtExit = directory
        atexit { if let path = TestCertificates.removeAtExit { _ = try? ShellCommand.run("rm -rf '\(path)'") } }
        return .success(TestCertificates(directory: directory))
    }()

    nonisolated(unsafe) private static var removeAtExit: String?

    /// The openssl steps; `openssl ca` keeps the database the CRL is generated from.
    private static let script = """
        set -e
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
        cat > ca.cnf <<'EOF'
        [ca]
        default_ca = perch
        [perch]
        dir = .
        database = index.txt
        new_certs_dir = issued
        serial = serial
        default_md = sha256
        default_crl_days = 30
        unique_subject = no
        policy = any
        copy_extensions = copy
        [any]
        organizationName = optional
        commonName = supplied
        [server]
        subjectAltName = DNS:localhost,IP:127.0.0.1
        extendedKeyUsage = serverAuth
        [client]
        extendedKeyUsage = clientAuth
        EOF
        mkdir issued capath
        touch index.txt
        echo 1000 > serial
        key ca.key
        openssl req -new -x509 -key ca.key -subj "/CN=Perch Test CA" -days 3650 -out ca.crt
        key other-ca.key
        openssl req -new -x509 -key other-ca.key -subj "/CN=Other CA" -days 3650 -out other-ca.crt
        sign() { # name subject extensions [ca args...]
            name=$1; subject=$2; ext=$3; shift 3
            [ -f "$name.key" ] || key "$name.key"
            openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
            openssl ca -batch -config ca.cnf -notext -extensions "$ext" -in "$name.csr" -out "$name.crt" "$@" 2>/dev/null
        }
        sign server "/CN=localhost" server -cert ca.crt -keyfile ca.key -days 3650
        cp server.key server-expired.key
        sign server-expired "/CN=localhost" server -cert ca.crt -keyfile ca.key -startdate 20200101000000Z -enddate 20200102000000Z
        sign client "/O=Perch Test/CN=device-1" client -cert ca.crt -keyfile ca.key -days 3650
        sign client-expired "/CN=device-expired" client -cert ca.crt -keyfile ca.key -startdate 20200101000000Z -enddate 20200102000000Z
        sign client-revoked "/CN=device-revoked" client -cert ca.crt -keyfile ca.key -days 3650
        sign client-untrusted "/O=Perch Test/CN=device-1" client -cert other-ca.crt -keyfile other-ca.key -days 3650
        openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -revoke client-revoked.crt 2>/dev/null
        openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -gencrl -out crl.pem 2>/dev/null
        key stray.key
        cp ca.crt capath/
        openssl rehash capath
        printf 'device-psk:0123456789abcdef0123456789abcdef\\nsensor-7:00112233445566778899aabbccddeeff\\n' > psk.txt
        chmod 600 *.key
        """
}

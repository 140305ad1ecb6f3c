/// Everything one TLS context is made from: the mosquitto.conf TLS directives of a listener
/// (server role) or of a bridge / load generator (client role). Paths are read when a
/// `TLSContext` is built, which is where anything wrong is reported.
public struct TLSConfiguration: Sendable, Hashable {
    public enum Role: Sendable, Hashable {
        case server
        /// `serverName`: sent as SNI and checked against the server's certificate.
        case client(serverName: String?)
    }

    /// `tls_version`: the lowest version accepted.
    public enum Version: String, Sendable, Hashable {
        case tls12 = "tlsv1.2"
        case tls13 = "tlsv1.3"
    }

    public var role = Role.server
    /// `certfile`: PEM certificate, optionally followed by its chain.
    public var certificateFile: String?
    /// `keyfile`: the PEM private key of `certificateFile`.
    public var keyFile: String?
    /// `cafile`: PEM CAs that peer certificates must chain to.
    public var caFile: String?
    /// `capath`: a directory of hashed CA files (`openssl rehash`).
    public var caPath: String?
    /// `crlfile`: revoked certificates; peers are checked against it.
    public var crlFile: String?
    /// `ciphers`: OpenSSL cipher list for TLS 1.2 and below.
    public var ciphers: String?
    /// `ciphers_tls1.3`: TLS 1.3 cipher suites.
    public var cipherSuites: String?
    public var minimumVersion = Version.tls12
    /// `require_certificate` (server): a client must present a certificate that verifies.
    public var requireCertificate = false
    /// Client role: verify the server's certificate (`bridge_insecure false`).
    public var verifyPeer = true
    /// `psk_hint` (server): TLS-PSK on this context, with `pskKeys`.
    public var pskHint: String?
    /// Identity to key, from `psk_file`.
    public var pskKeys: [String: [UInt8]] = [:]
    /// Client role PSK.
    public var pskIdentity: String?
    public var pskKey: [UInt8]?
    /// Client role ALPN protocols.
    public var alpn: [String] = []

    public init() {}
}

/// Why a TLS context could not be built: the setting (directive) and file at fault and
/// what was wrong, with OpenSSL's own words where it had some.
public struct TLSError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String?
    /// The directive: `certfile`, `keyfile`, `cafile`, `capath`, `crlfile`, `ciphers`,
    /// `ciphers_tls1.3`, `tls_version`, `require_certificate`, `psk_hint`.
    public var setting: String
    public var message: String

    public init(file: String?, setting: String, message: String) {
        self.file = file
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting): \(message)" }
}

/// Who the peer turned out to be once the handshake finished.
public struct PeerIdentity: Sendable, Equatable {
    /// The CN of the peer's certificate (`use_identity_as_username`).
    public var commonName: String?
    /// The subject of the peer's certificate, RFC 2253 (`use_subject_as_username`), as
    /// mosquitto prints it: `CN=device-1,O=Perch Test`.
    public var subject: String?
    /// The PSK identity the client used.
    public var pskIdentity: String?
    /// `TLSv1.3`, `TLSv1.2`.
    public var protocolVersion: String?
    public var cipher: String?

    public init(commonName: String? = nil, subject: String? = nil, pskIdentity: String? = nil,
                protocolVersion: String? = nil, cipher: String? = nil) {
        self.commonName = commonName
        self.subject = subject
        self.pskIdentity = pskIdentity
        self.protocolVersion = protocolVersion
        self.cipher = cipher
    }
}

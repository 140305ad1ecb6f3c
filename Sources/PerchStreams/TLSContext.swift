#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// One OpenSSL `SSL_CTX`, built once per listener (or per outbound configuration) from a
/// `TLSConfiguration`; every `TLSSession` of that listener shares it.
///
/// Built to hold as little per connection as OpenSSL allows: `SSL_MODE_RELEASE_BUFFERS`
/// (an idle connection keeps no record buffers), no session cache and no tickets (Perch
/// does not resume sessions), no renegotiation.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let configuration: TLSConfiguration
    /// Identity to key for TLS-PSK: `configuration.pskKeys` until `replacePSKKeys` (SIGHUP
    /// re-read the `psk_file`). Read by OpenSSL's callback during a handshake, which runs
    /// on the loop, like the replacement: no lock.
    public private(set) var pskKeys: [String: [UInt8]]
    /// Findings that do not stop a start: an expired or not yet valid certificate.
    public let warnings: [String]

    /// The ex_data slot where each `SSL_CTX` keeps a pointer back to its `TLSContext`
    /// (for the PSK callbacks, which are C functions without a context argument).
    static let backPointerIndex = perch_SSL_CTX_get_ex_new_index()

    /// New TLS-PSK identities and keys for the handshakes that start from now on.
    public func replacePSKKeys(_ keys: [String: [UInt8]]) {
        pskKeys = keys
    }

    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        self.configuration = configuration
        self.pskKeys = configuration.pskKeys
        let method: OpaquePointer?
        switch configuration.role {
        case .server: method = TLS_server_method()
        case .client: method = TLS_client_method()
        }
        guard let context = SSL_CTX_new(method) else {
            throw TLSError(file: nil, setting: "tls", message: "SSL_CTX_new failed: \(TLSContext.openSSLError())")
        }
        self.context = context
        var warnings: [String] = []
        do throws(TLSError) {
            try TLSContext.configure(context, configuration, warnings: &warnings)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.warnings = warnings
        perch_SSL_CTX_set_ex_data(context, TLSContext.backPointerIndex, Unmanaged.passUnretained(self).toOpaque())
        if configuration.pskHint != nil || !configuration.pskKeys.isEmpty {
            SSL_CTX_set_psk_server_callback(context, tlsPSKServerCallback)
        }
        if case .client = configuration.role, configuration.pskIdentity != nil {
            SSL_CTX_set_psk_client_callback(context, tlsPSKClientCallback)
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    private static func configure(_ context: OpaquePointer, _ c: TLSConfiguration,
                                  warnings: inout [String]) throws(TLSError) {
        let version = c.minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard perch_SSL_CTX_set_min_proto_version(context, version) == 1 else {
            throw TLSError(file: nil, setting: "tls_version", message: openSSLError())
        }
        _ = perch_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        _ = perch_SSL_CTX_set_options(context, perch_SSL_OP_NO_RENEGOTIATION())
        if c.role == .server {
            _ = perch_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
            _ = perch_SSL_CTX_set_options(context, perch_SSL_OP_NO_TICKET())
            _ = SSL_CTX_set_num_tickets(context, 0)
        }
        try loadCertificate(context, c, warnings: &warnings)
        try loadAuthorities(context, c)
        try setCiphers(context, c)
        if let hint = c.pskHint, SSL_CTX_use_psk_identity_hint(context, hint) != 1 {
            throw TLSError(file: nil, setting: "psk_hint", message: openSSLError())
        }
        try setVerification(context, c)
        if case .client = c.role, !c.alpn.isEmpty {
            var wire: [UInt8] = []
            for name in c.alpn { wire.append(UInt8(name.utf8.count)); wire += name.utf8 }
            _ = SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count))
        }
    }

    private static func loadCertificate(_ context: OpaquePointer, _ c: TLSConfiguration,
                                        warnings: inout [String]) throws(TLSError) {
        switch (c.certificateFile, c.keyFile) {
        case (nil, nil):
            if c.role == .server && c.pskHint == nil {
                throw TLSError(file: nil, setting: "certfile",
                               message: "a TLS listener needs certfile and keyfile (or psk_hint for TLS-PSK)")
            }
            return
        case (nil, _?):
            throw TLSError(file: nil, setting: "certfile", message: "keyfile is given but certfile is not")
        case (let certificate?, nil):
            throw TLSError(file: certificate, setting: "keyfile", message: "certfile \(certificate) is given but keyfile is not")
        case (let certificate?, let key?):
            try checkReadable(certificate, setting: "certfile")
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw TLSError(file: certificate, setting: "certfile",
                               message: "\(certificate): not a PEM certificate (\(openSSLError()))")
            }
            try checkReadable(key, setting: "keyfile")
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                // OpenSSL already compares the key with the certificate while loading it.
                let reason = openSSLError()
                throw TLSError(file: key, setting: "keyfile", message: reason == "key values mismatch"
                               ? "\(key) does not match the certificate in \(certificate)"
                               : "\(key): not a PEM private key (\(reason))")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError(file: key, setting: "keyfile",
                               message: "\(key) does not match the certificate in \(certificate)")
            }
            if let problem = validityProblem(SSL_CTX_get0_certificate(context)) {
                warnings.append("certfile \(certificate): \(problem)")
            }
        }
    }

    private static func loadAuthorities(_ context: OpaquePointer, _ c: TLSConfiguration) throws(TLSError) {
        if let file = c.caFile {
            try checkReadable(file, setting: "cafile")
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                throw TLSError(file: file, setting: "cafile", message: "\(file): no PEM certificates (\(openSSLError()))")
            }
        }
        if let path = c.caPath {
            guard access(path, R_OK | X_OK) == 0, SSL_CTX_load_verify_locations(context, nil, path) == 1 else {
                throw TLSError(file: path, setting: "capath", message: "\(path): cannot read the directory")
            }
        }
        if case .client = c.role, c.caFile == nil, c.caPath == nil { SSL_CTX_set_default_verify_paths(context) }
        guard let crl = c.crlFile else { return }
        try checkReadable(crl, setting: "crlfile")
        let store = SSL_CTX_get_cert_store(context)
        guard let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file()),
              X509_load_crl_file(lookup, crl, X509_FILETYPE_PEM) > 0 else {
            throw TLSError(file: crl, setting: "crlfile", message: "\(crl): no PEM CRL (\(openSSLError()))")
        }
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK))
    }

    private static func setCiphers(_ context: OpaquePointer, _ c: TLSConfiguration) throws(TLSError) {
        // With TLS-PSK and no cipher list, PSK suites are added to OpenSSL's defaults.
        let list = c.ciphers ?? (c.pskHint != nil || c.pskIdentity != nil ? "DEFAULT:PSK" : nil)
        if let list, SSL_CTX_set_cipher_list(context, list) != 1 {
            throw TLSError(file: nil, setting: "ciphers", message: "'\(list)' selects no cipher OpenSSL knows (\(openSSLError()))")
        }
        if let suites = c.cipherSuites, SSL_CTX_set_ciphersuites(context, suites) != 1 {
            throw TLSError(file: nil, setting: "ciphers_tls1.3", message: "'\(suites)' selects no TLS 1.3 suite (\(openSSLError()))")
        }
    }

    private static func setVerification(_ context: OpaquePointer, _ c: TLSConfiguration) throws(TLSError) {
        switch c.role {
        case .server:
            let authorities = c.caFile != nil || c.caPath != nil
            if c.requireCertificate {
                guard authorities else {
                    throw TLSError(file: nil, setting: "require_certificate", message: "needs cafile or capath to verify clients against")
                }
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            } else {
                SSL_CTX_set_verify(context, authorities ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
            }
        case .client:
            SSL_CTX_set_verify(context, c.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        }
    }

    private static func checkReadable(_ path: String, setting: String) throws(TLSError) {
        guard access(path, R_OK) == 0 else {
            throw TLSError(file: path, setting: setting, message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// "certificate expired on …" / "certificate is not valid before …", or nil.
    static func validityProblem(_ certificate: OpaquePointer?) -> String? {
        guard let certificate else { return nil }
        if let notAfter = X509_get0_notAfter(certificate), X509_cmp_current_time(notAfter) < 0 {
            return "certificate expired on \(asn1Time(notAfter))"
        }
        if let notBefore = X509_get0_notBefore(certificate), X509_cmp_current_time(notBefore) > 0 {
            return "certificate is not valid before \(asn1Time(notBefore))"
        }
        return nil
    }

    static func asn1Time(_ time: UnsafePointer<ASN1_TIME>) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        ASN1_TIME_print(bio, time)
        return readAll(bio)
    }

    static func readAll(_ bio: OpaquePointer) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let n = chunk.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { break }
            bytes += chunk[0..<Int(n)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// OpenSSL's last error in words (and the queue cleared).
    static func openSSLError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail from OpenSSL" }
        if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The context that owns `ssl` (set up in `init`).
    static func owner(of ssl: OpaquePointer?) -> TLSContext? {
        guard let ssl, let context = SSL_get_SSL_CTX(ssl),
              let raw = SSL_CTX_get_ex_data(context, backPointerIndex) else { return nil }
        return Unmanaged<TLSContext>.fromOpaque(raw).takeUnretainedValue()
    }
}

/// `psk_file` lookup: copies the identity's key into OpenSSL's buffer; 0 (handshake fails)
/// for an unknown identity.
private func tlsPSKServerCallback(_ ssl: OpaquePointer?, _ identity: UnsafePointer<CChar>?,
                                  _ psk: UnsafeMutablePointer<UInt8>?, _ maxLength: UInt32) -> UInt32 {
    guard let identity, let psk, let owner = TLSContext.owner(of: ssl) else { return 0 }
    let name = String(cString: identity)
    // The identity as bytes: a canonically equivalent spelling is another identity.
    guard let entry = owner.pskKeys.index(forKey: name).map({ owner.pskKeys[$0] }),
          entry.key.utf8.elementsEqual(name.utf8), entry.value.count <= Int(maxLength) else { return 0 }
    let key = entry.value
    key.withUnsafeBufferPointer { psk.update(from: $0.baseAddress!, count: key.count) }
    // OpenSSL keeps no PSK identity on a TLS 1.3 session: the session remembers it.
    TLSSession.owner(of: ssl)?.pskIdentity = name
    return UInt32(key.count)
}

private func tlsPSKClientCallback(_ ssl: OpaquePointer?, _ hint: UnsafePointer<CChar>?,
                                  _ identity: UnsafeMutablePointer<CChar>?, _ maxIdentity: UInt32,
                                  _ psk: UnsafeMutablePointer<UInt8>?, _ maxLength: UInt32) -> UInt32 {
    guard let identity, let psk, let owner = TLSContext.owner(of: ssl),
          let name = owner.configuration.pskIdentity, let key = owner.configuration.pskKey,
          name.utf8.count < Int(maxIdentity), key.count <= Int(maxLength) else { return 0 }
    _ = name.withCString { strcpy(identity, $0) }
    key.withUnsafeBufferPointer { psk.update(from: $0.baseAddress!, count: key.count) }
    return UInt32(key.count)
}

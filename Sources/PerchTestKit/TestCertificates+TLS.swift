import PerchStreams

/// TLS configurations made from the test PKI, for both ends of a test connection.
extension TLSConfiguration {
    /// A server context from the test PKI; `cafile` set when clients are verified.
    public static func testServer(_ pki: TestCertificates, verifyClients: Bool = false,
                           requireCertificate: Bool = false) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.certificateFile = pki.serverCertificate
        c.keyFile = pki.serverKey
        if verifyClients || requireCertificate { c.caFile = pki.caCertificate }
        c.requireCertificate = requireCertificate
        return c
    }

    /// A client that trusts the test CA and checks the name `localhost`.
    public static func testClient(_ pki: TestCertificates, certificate: String? = nil, key: String? = nil) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.role = .client(serverName: "localhost")
        c.caFile = pki.caCertificate
        c.certificateFile = certificate
        c.keyFile = key
        return c
    }
}

import CMosquitto

/// TLS for a libmosquitto client: set before `connect`, as an application would.
extension MosquittoClient {
    /// `mosquitto_tls_set`: trust `caFile`, optionally present a client certificate.
    func setTLS(caFile: String, certificate: String? = nil, key: String? = nil) {
        let rc = mosquitto_tls_set(mosq, caFile, nil, certificate, key, nil)
        precondition(rc == MOSQ_ERR_SUCCESS.rawValue, "tls_set failed: \(rc)")
    }

    /// `mosquitto_tls_psk_set`: TLS-PSK with a hex key.
    func setPSK(identity: String, hexKey: String) {
        let rc = mosquitto_tls_psk_set(mosq, hexKey, identity, nil)
        precondition(rc == MOSQ_ERR_SUCCESS.rawValue, "tls_psk_set failed: \(rc)")
    }
}

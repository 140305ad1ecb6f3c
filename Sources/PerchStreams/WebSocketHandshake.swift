import COpenSSL

/// The opening-handshake arithmetic of RFC 6455 4, both sides. SHA-1 and base64 come from
/// libcrypto.
enum WebSocketHandshake {
    /// The GUID every accept value is derived with (RFC 6455 1.3).
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
    static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { _ = SHA1(source.baseAddress, source.count, $0.baseAddress) }
        }
        return base64(digest)
    }

    /// Standard base64 with padding (EVP_EncodeBlock).
    static func base64(_ bytes: [UInt8]) -> String {
        var encoded = [UInt8](repeating: 0, count: 4 * ((bytes.count + 2) / 3) + 1)
        let count = bytes.withUnsafeBufferPointer { source in
            encoded.withUnsafeMutableBufferPointer {
                EVP_EncodeBlock($0.baseAddress, source.baseAddress, Int32(source.count))
            }
        }
        return String(decoding: encoded[..<Int(max(count, 0))], as: UTF8.self)
    }

    /// Whether `key` is the canonical base64 of exactly 16 bytes (RFC 6455 4.2.1 item 5):
    /// 22 significant characters, the last with its 4 unused bits zero, then "==".
    static func isValidKey(_ key: String) -> Bool {
        let characters = Array(key.utf8)
        guard characters.count == 24, characters[22] == UInt8(ascii: "="), characters[23] == UInt8(ascii: "="),
            "AQgw".utf8.contains(characters[21]), !characters[..<22].contains(UInt8(ascii: "="))
        else { return false }
        var decoded = [UInt8](repeating: 0, count: 18)
        let count = characters.withUnsafeBufferPointer { source in
            decoded.withUnsafeMutableBufferPointer { EVP_DecodeBlock($0.baseAddress, source.baseAddress, 24) }
        }
        return count == 18  // -1 for a character outside the alphabet
    }
}

import COpenSSL

/// Recent successful password verifications, so a reconnect storm of known clients costs
/// one SHA-256 each instead of one PBKDF2 / argon2id run. A key is SHA-256 over a
/// per-process random secret, the realm, the User Name, the password and the stored hash:
/// neither a password nor a hash is kept, and a changed password or file misses. Bounded;
/// the oldest entries go first.
public struct VerificationCache: Sendable {
    public typealias Key = [UInt8]
    private var keys: Set<Key> = []
    private var order: [Key] = []
    private var next = 0
    public let limit: Int
    private let secret: [UInt8]

    public init(limit: Int = 4096) {
        var secret = [UInt8](repeating: 0, count: 32)
        // Without randomness the cache stays empty rather than keyed predictably.
        self.limit = RAND_bytes(&secret, 32) == 1 ? limit : 0
        self.secret = secret
    }

    public var count: Int { keys.count }

    public func key(realm: Int, username: String, password: [UInt8], hash: PasswordHash) -> Key {
        var input = secret
        input += withUnsafeBytes(of: UInt64(realm).littleEndian, Array.init)
        input += withUnsafeBytes(of: UInt64(username.utf8.count).littleEndian, Array.init) + Array(username.utf8)
        input += withUnsafeBytes(of: UInt64(password.count).littleEndian, Array.init) + password
        input += Array(hash.encoded.utf8)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = input.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        return digest
    }

    public func contains(_ key: Key) -> Bool { keys.contains(key) }

    public mutating func insert(_ key: Key) {
        guard limit > 0, !keys.contains(key) else { return }
        if order.count < limit {
            order.append(key)
        } else {
            keys.remove(order[next])
            order[next] = key
            next = (next + 1) % limit
        }
        keys.insert(key)
    }

    public mutating func removeAll() {
        keys.removeAll()
        order.removeAll()
        next = 0
    }
}

import CArgon2
import COpenSSL

/// One stored password in a mosquitto_passwd file, in each format mosquitto has written:
///
///     $6$SALT$HASH                 SHA-512 of password ‖ salt (mosquitto 1.x)
///     $7$ITERATIONS$SALT$HASH      PBKDF2-HMAC-SHA512 (mosquitto 2.0's default)
///     $argon2id$v=19$m=..,t=..,p=..$SALT$HASH   argon2id (mosquitto 2.1's default)
///
/// SALT and HASH are standard base64. Verification uses OpenSSL's libcrypto and Debian's
/// libargon2, compares in constant time, and may take tens of milliseconds (PBKDF2 with many
/// iterations, argon2id): the server runs it on a worker, never on the loop.
public enum PasswordHash: Sendable, Hashable {
    case sha512(salt: [UInt8], hash: [UInt8])
    case pbkdf2SHA512(iterations: Int, salt: [UInt8], hash: [UInt8])
    /// The whole encoded string, as libargon2 verifies it.
    case argon2id(String)

    /// The algorithms `perch passwd -H` writes.
    public enum Algorithm: String, Sendable, CaseIterable {
        case pbkdf2 = "sha512-pbkdf2"
        case argon2id
    }

    /// mosquitto 2.0's PBKDF2 iteration count.
    public static let defaultIterations = 101
    private static let saltLength = 12

    /// Parses the text after `user:`, or says what is wrong with it.
    public init(parsing text: String) throws(AccessFileError.Reason) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2, fields[0].isEmpty else { throw .plainTextPassword }
        switch fields[1] {
        case "6":
            guard fields.count == 4, let salt = Base64.decode(fields[2]), let hash = Base64.decode(fields[3]),
                  !salt.isEmpty, hash.count == 64 else { throw .badHash("$6$") }
            self = .sha512(salt: salt, hash: hash)
        case "7":
            guard fields.count == 5, let iterations = Int(fields[2]), iterations > 0, iterations <= 10_000_000,
                  let salt = Base64.decode(fields[3]), let hash = Base64.decode(fields[4]),
                  !salt.isEmpty, hash.count == 64 else { throw .badHash("$7$") }
            self = .pbkdf2SHA512(iterations: iterations, salt: salt, hash: hash)
        case "argon2id":
            guard fields.count == 6, fields[2].hasPrefix("v="), fields[3].hasPrefix("m=") else { throw .badHash("$argon2id$") }
            self = .argon2id(text)
        default:
            throw .unknownHash(fields[1])
        }
    }

    /// A new hash of `password` with a fresh random salt (`iterations`: PBKDF2 only).
    public init(hashing password: [UInt8], algorithm: Algorithm,
                iterations: Int = PasswordHash.defaultIterations) throws(AccessFileError.Reason) {
        switch algorithm {
        case .pbkdf2:
            let salt = try Self.randomBytes(Self.saltLength)
            guard let hash = Self.pbkdf2(password, salt: salt, iterations: iterations) else {
                throw .cryptoFailure("PBKDF2")
            }
            self = .pbkdf2SHA512(iterations: iterations, salt: salt, hash: hash)
        case .argon2id:
            // OWASP's argon2id minimum (m=47104 KiB, t=1, p=1); 16-byte salt, 32-byte hash.
            let salt = try Self.randomBytes(16)
            let (t, m, p, length) = (UInt32(1), UInt32(47104), UInt32(1), 32)
            let encodedLength = argon2_encodedlen(t, m, p, UInt32(salt.count), UInt32(length), Argon2_id)
            var encoded = [CChar](repeating: 0, count: encodedLength)
            let status = password.withUnsafeBytes { pw in
                salt.withUnsafeBytes { s in
                    argon2id_hash_encoded(t, m, p, pw.baseAddress, pw.count, s.baseAddress, s.count,
                                          length, &encoded, encodedLength)
                }
            }
            guard status == ARGON2_OK.rawValue else { throw .cryptoFailure("argon2id") }
            self = .argon2id(String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// The text written after `user:`.
    public var encoded: String {
        switch self {
        case .sha512(let salt, let hash): return "$6$" + Base64.encode(salt) + "$" + Base64.encode(hash)
        case .pbkdf2SHA512(let iterations, let salt, let hash):
            return "$7$\(iterations)$" + Base64.encode(salt) + "$" + Base64.encode(hash)
        case .argon2id(let text): return text
        }
    }

    /// Whether verifying costs well under a millisecond (`$6$`, PBKDF2 up to 1,000
    /// iterations: mosquitto 2.0 writes 101), so the loop may do it inline; argon2id and
    /// costlier PBKDF2 go to the worker.
    public var isCheap: Bool {
        switch self {
        case .sha512: return true
        case .pbkdf2SHA512(let iterations, _, _): return iterations <= 1000
        case .argon2id: return false
        }
    }

    /// Whether `password` is the one this hash was made from. Slow by design.
    public func verify(_ password: [UInt8]) -> Bool {
        switch self {
        case .sha512(let salt, let hash):
            var digest = [UInt8](repeating: 0, count: 64)
            var length: UInt32 = 0
            let input = password + salt
            let ok = input.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha512(), nil) }
            return ok == 1 && Self.equal(digest, hash)
        case .pbkdf2SHA512(let iterations, let salt, let hash):
            guard let digest = Self.pbkdf2(password, salt: salt, iterations: iterations) else { return false }
            return Self.equal(digest, hash)
        case .argon2id(let text):
            return password.withUnsafeBytes { pw in argon2id_verify(text, pw.baseAddress, pw.count) } == ARGON2_OK.rawValue
        }
    }

    private static func pbkdf2(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 64)
        let ok = password.withUnsafeBytes { pw in
            salt.withUnsafeBufferPointer { s in
                PKCS5_PBKDF2_HMAC(pw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(pw.count),
                                  s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha512(), 64, &out)
            }
        }
        return ok == 1 ? out : nil
    }

    static func randomBytes(_ count: Int) throws(AccessFileError.Reason) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw .cryptoFailure("random salt") }
        return bytes
    }

    private static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && CRYPTO_memcmp(a, b, a.count) == 0
    }
}

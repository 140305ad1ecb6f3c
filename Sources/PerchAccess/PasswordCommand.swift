/// `perch passwd`, mosquitto_passwd's command line:
///
///     perch passwd [-H sha512-pbkdf2|argon2id] [-I ITERATIONS] [-c | -D] FILE USER   (prompts)
///     perch passwd [-H sha512-pbkdf2|argon2id] [-c] -b FILE USER PASSWORD
///     perch passwd -U FILE                                             (hash a plain-text file)
///
/// Parsing and the edit itself are pure (this type); reading, prompting and the atomic
/// write with mode 0600 are the executable's.
public struct PasswordCommand: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// Add or replace USER; the password from the command line (`-b`) or a prompt (nil).
        case set(username: String, password: String?)
        case delete(username: String)
        case upgrade
    }

    public var file: String
    public var action: Action
    /// `-c`: start a new file (an existing one is overwritten).
    public var create = false
    public var algorithm = PasswordHash.Algorithm.pbkdf2
    /// `-I`: PBKDF2 iterations of new hashes (Perch only; mosquitto 2.0 always uses 101).
    public var iterations = PasswordHash.defaultIterations

    public init(file: String, action: Action, create: Bool = false, algorithm: PasswordHash.Algorithm = .pbkdf2,
                iterations: Int = PasswordHash.defaultIterations) {
        self.file = file
        self.action = action
        self.create = create
        self.algorithm = algorithm
        self.iterations = iterations
    }

    public static let usage = """
        Usage: perch passwd [-H sha512-pbkdf2|argon2id] [-c | -D] FILE USER
               perch passwd [-H sha512-pbkdf2|argon2id] [-c] -b FILE USER PASSWORD
               perch passwd -U FILE

          -b   take the password from the command line (visible to other users: avoid)
          -c   create a new password file (overwrites an existing one)
          -D   delete USER from the file
          -H   the hash for new passwords: sha512-pbkdf2 (mosquitto 2.0's default) or argon2id
          -I   PBKDF2 iterations of new hashes (default 101, as mosquitto 2.0; Perch only)
          -U   hash every plain-text password of the file in place
        """

    /// Parses the words after `passwd`; the error is a one-line message.
    public static func parse(_ words: [String]) -> Result<PasswordCommand, PasswordCommandError> {
        var batch = false, delete = false, upgrade = false, create = false
        var algorithm = PasswordHash.Algorithm.pbkdf2
        var iterations = PasswordHash.defaultIterations
        var rest: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            switch word {
            case "-b": batch = true
            case "-c": create = true
            case "-D": delete = true
            case "-U": upgrade = true
            case "-H":
                guard i < words.count else { return .failure(.init("-H needs a hash name")) }
                guard let named = PasswordHash.Algorithm(rawValue: words[i]) else {
                    return .failure(.init("unknown hash '\(words[i])' (sha512-pbkdf2 or argon2id)"))
                }
                algorithm = named
                i += 1
            case "-I":
                guard i < words.count, let count = Int(words[i]), (1...10_000_000).contains(count) else {
                    return .failure(.init("-I needs an iteration count from 1 to 10000000"))
                }
                iterations = count
                i += 1
            default:
                if word.hasPrefix("-") && word.count > 1 { return .failure(.init("unknown option \(word)")) }
                rest.append(word)
            }
        }
        if [create && delete, create && upgrade, delete && upgrade, batch && (delete || upgrade)].contains(true) {
            return .failure(.init("-c, -D, -U and -b -D / -b -U do not go together"))
        }
        if upgrade {
            guard rest.count == 1 else { return .failure(.init("-U takes the password file only")) }
            return .success(PasswordCommand(file: rest[0], action: .upgrade, algorithm: algorithm, iterations: iterations))
        }
        let expected = batch ? 3 : 2
        guard rest.count == expected else {
            return .failure(.init(batch ? "-b needs FILE USER PASSWORD" : "expected FILE USER"))
        }
        let username = rest[1]
        guard !username.isEmpty, !username.utf8.contains(UInt8(ascii: ":")) else {
            return .failure(.init("a user name may not be empty or contain ':'"))
        }
        let action: Action = delete ? .delete(username: username) : .set(username: username, password: batch ? rest[2] : nil)
        return .success(PasswordCommand(file: rest[0], action: action, create: create, algorithm: algorithm,
                                        iterations: iterations))
    }

    /// Applies the command to the file's current text (nil: no file yet) with `password` for
    /// a prompted `.set`; returns the new text.
    public func apply(to text: String?, password prompted: String? = nil) throws(PasswordCommandError) -> String {
        if text == nil && !create {
            throw PasswordCommandError("\(file) does not exist (use -c to create it)")
        }
        var passwords: PasswordFile
        do {
            passwords = create ? PasswordFile() : try PasswordFile(parsing: text ?? "", file: file,
                                                                  allowPlainText: action == .upgrade)
        } catch {
            throw PasswordCommandError("\(error)")
        }
        do {
            switch action {
            case .set(let username, let password):
                guard let password = password ?? prompted else { throw PasswordCommandError("no password given") }
                let hash = try PasswordHash(hashing: Array(password.utf8), algorithm: algorithm, iterations: iterations)
                passwords.set(.init(username: username, secret: .hashed(hash)))
            case .delete(let username):
                guard passwords.remove(username) else { throw PasswordCommandError("user \(username) not found in \(file)") }
            case .upgrade:
                for entry in passwords.entries {
                    guard case .plainText(let password) = entry.secret else { continue }
                    let hash = try PasswordHash(hashing: Array(password.utf8), algorithm: algorithm, iterations: iterations)
                    passwords.set(.init(username: entry.username, secret: .hashed(hash)))
                }
            }
        } catch let error as PasswordCommandError {
            throw error
        } catch {
            throw PasswordCommandError("\(error)")
        }
        return passwords.text
    }

    /// Whether the command needs a password typed at a prompt.
    public var needsPrompt: Bool {
        if case .set(_, nil) = action { return true }
        return false
    }
}

public struct PasswordCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

#if canImport(Glibc)
import Glibc
#endif

/// The app's own users: one line per device or service, `name password area`, where
/// `area` is the topic subtree the user owns (`#` for everything). Blank lines and lines
/// starting with `#` are skipped. A real app would keep hashes in its database; the
/// point here is the shape of the hooks, not the storage.
struct UserTable: Sendable {
    struct User: Sendable {
        let password: [UInt8]
        /// The filter that covers what the user may publish, subscribe to and read.
        let area: String
    }

    let users: [String: User]

    init(path: String) throws(UserTableError) {
        guard let file = fopen(path, "r") else { throw .cannotRead(path) }
        defer { fclose(file) }
        var users: [String: User] = [:]
        var number = 0
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            number += 1
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            guard bytes.last == 0x0A || feof(file) != 0 else { throw .badLine(path, number) } // over 4095 bytes
            let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            guard fields.count == 3 else { throw .badLine(path, number) }
            users[fields[0]] = User(password: Array(fields[1].utf8), area: fields[2])
        }
        self.users = users
    }

    /// Whether `topic` lies in `area` (`#`, or `area` itself or below it).
    static func covers(_ area: String, _ topic: String) -> Bool {
        area == "#" || topic == area || topic.hasPrefix(area + "/")
    }
}

enum UserTableError: Error, CustomStringConvertible {
    case cannotRead(String)
    case badLine(String, Int)

    var description: String {
        switch self {
        case .cannotRead(let path): "\(path): cannot read the user table"
        case .badLine(let path, let line): "\(path):\(line): expected `name password area`"
        }
    }
}

import PerchBroker
import PerchServer

/// Passwords from the user table. Perch asks for every CONNECT with a user name; the answer
/// may come later and from another thread (a database query), and the CONNECT waits for
/// it while every other client is served.
struct TablePasswords: PasswordAuthenticator {
    let table: UserTable

    func check(_ request: PasswordCheck, reply: @escaping @Sendable (Bool) -> Void) {
        guard let user = table.users[request.username], let given = request.password else { return reply(false) }
        reply(Self.equal(user.password, given))
    }

    /// Compares in time that depends on the lengths only, not on where the bytes differ.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Topic rights from the user table: each user publishes, subscribes and reads inside its
/// own area. Perch asks on its queue for every PUBLISH, SUBSCRIBE entry and delivery, so
/// the answers come from memory and never block.
struct TableRights: Authorizer {
    let table: UserTable

    func mayPublish(clientID: String, username: String?, topic: String) -> Bool {
        area(of: username).map { UserTable.covers($0, topic) } ?? false
    }

    func maySubscribe(clientID: String, username: String?, filter: String) -> Bool {
        // A filter that starts with the area's levels matches nothing outside it, whatever
        // wildcards follow them.
        area(of: username).map { UserTable.covers($0, filter) } ?? false
    }

    func mayRead(clientID: String, username: String?, topic: String) -> Bool {
        area(of: username).map { UserTable.covers($0, topic) } ?? false
    }

    private func area(of username: String?) -> String? {
        username.flatMap { table.users[$0]?.area }
    }
}

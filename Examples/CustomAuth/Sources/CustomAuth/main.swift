// CustomAuth: Perch embedded with the application's own user table.
//
//   swift run CustomAuth USERS [PORT]
//
// Devices log in with the names and passwords in USERS and may only use their own topic
// area; the built-in password and ACL files are not involved. Stop it with SIGINT or
// SIGTERM: the server shuts down cleanly first.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchServer

/// Writes a line to a file descriptor (1: standard output, 2: standard error), unbuffered.
func say(_ text: String, to descriptor: Int32 = 1) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let port = UInt16(arguments.count > 2 ? arguments[2] : "1883") else {
    say("usage: CustomAuth USERS [PORT]", to: 2)
    exit(2)
}
let logger = Logger(label: "custom-auth")
let table: UserTable
do {
    table = try UserTable(path: arguments[1])
} catch {
    say("CustomAuth: \(error)", to: 2)
    exit(1)
}

var configuration = ServerConfiguration()
configuration.listeners = [.init(address: "127.0.0.1", port: port)]
configuration.broker.allowAnonymous = false // every client must be in the table
configuration.persistence = false
let server = try Server(configuration: configuration, logger: logger,
                        authorizer: TableRights(table: table), passwordAuthenticator: TablePasswords(table: table))
try server.start()
say("CustomAuth: \(table.users.count) users, listening on 127.0.0.1:\(server.listeningPorts[0])")

// SIGINT / SIGTERM: shut the server down, then exit.
var signalSources: [DispatchSourceSignal] = []
for number in [SIGINT, SIGTERM] {
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
    source.setEventHandler { server.shutdown { exit(0) } }
    source.resume()
    signalSources.append(source)
}
dispatchMain()

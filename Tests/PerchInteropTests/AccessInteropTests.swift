import Foundation
import PerchCodec
import PerchTestKit
import Testing

/// The `perch` executable with a password file written by Debian's `mosquitto_passwd` and
/// a mosquitto ACL file, driven by mosquitto_pub / mosquitto_sub with `-u` / `-P` as a user
/// moving from mosquitto would: each CONNACK code, read filtering on `#` (retained
/// messages too), a forbidden Will, SIGHUP changing a connected user's rights, and a slow
/// argon2id storm that does not hold anyone else up.
@Suite("Access control with mosquitto's files and tools", .serialized)
final class AccessInteropTests {
    let directory = NSTemporaryDirectory() + "perch-access-\(UUID().uuidString)"
    let perch: PerchProcess
    let port: String

    static let acl = """
        # anonymous clients may read the public tree only
        topic read public/#

        user alice
        topic readwrite home/alice/#
        topic read home/+/status

        user bob
        topic readwrite home/bob/#
        topic write public/#

        pattern write devices/%c/#

        """

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try ShellCommand.check("""
            cd '\(directory)' && touch passwd && mosquitto_passwd -b passwd alice 'alice pw' \
            && mosquitto_passwd -b passwd bob bobpw && mosquitto_passwd -H sha512 -b passwd carol carolpw
            """)
        try Self.acl.write(toFile: directory + "/acl", atomically: true, encoding: .utf8)
        let config = """
            listener 0 127.0.0.1
            allow_anonymous true
            password_file \(directory)/passwd
            acl_file \(directory)/acl

            """
        try config.write(toFile: directory + "/perch.conf", atomically: true, encoding: .utf8)
        perch = try PerchProcess(["-c", directory + "/perch.conf"])
        let marker = "Opening listen socket on 127.0.0.1:"
        guard perch.waitForOutput(marker, timeout: 20),
              let range = perch.text.range(of: marker) else {
            perch.kill()
            throw ProcessError("perch did not start: \(perch.text)")
        }
        port = String(perch.text[range.upperBound...].prefix { $0.isNumber })
    }

    deinit {
        perch.kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func pub(_ args: [String]) throws -> ChildProcess {
        try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", port] + args)
    }

    func sub(_ args: [String]) throws -> ChildProcess {
        try ChildProcess("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-W", "10"] + args)
    }

    @Test("right passwords ($7$ and $6$ from mosquitto_passwd) connect with 3.1.1 and 5; wrong ones get 0x04 / 0x86, logged as mosquitto does",
          arguments: ["311", "5"])
    func passwords(_ version: String) throws {
        for (user, password) in [("alice", "alice pw"), ("carol", "carolpw")] {
            let ok = try pub(["-V", version, "-u", user, "-P", password, "-t", "home/alice/x", "-m", "1", "-d"])
            #expect(ok.waitForExit() == 0, "\(user): \(ok.output)")
        }
        let wrong = try pub(["-V", version, "-u", "alice", "-P", "nope", "-t", "home/alice/x", "-m", "1"])
        #expect(wrong.waitFor("Connection error"))
        #expect(wrong.output.lowercased().contains("bad user name or password"), "\(wrong.output)")
        #expect(wrong.waitForExit() != 0)
        let unknown = try pub(["-V", version, "-u", "mallory", "-P", "x", "-i", "mallory-dev", "-t", "a", "-m", "1"])
        #expect(unknown.waitFor("Connection error"))
        #expect(unknown.output.lowercased().contains("bad user name or password"), "\(unknown.output)")
        #expect(unknown.waitForExit() != 0)
        #expect(perch.waitForOutput("Client mallory-dev disconnected, not authorised."))
    }

    @Test("with allow_anonymous true, an anonymous `#` subscriber reads only what the ACL's anonymous lines grant")
    func anonymous() throws {
        let s = try sub(["-t", "#", "-C", "1", "-v", "-d"])
        #expect(s.waitFor("SUBACK"))
        let bob = try pub(["-u", "bob", "-P", "bobpw", "-t", "home/bob/status", "-m", "hidden"])
        #expect(bob.waitForExit() == 0)
        let pub2 = try pub(["-u", "bob", "-P", "bobpw", "-t", "public/news", "-m", "visible"])
        #expect(pub2.waitForExit() == 0)
        #expect(s.waitFor("public/news visible"))
        #expect(!s.output.contains("hidden"))
    }

    @Test("a `#` subscriber receives only what it may read, retained messages included")
    func readFiltering() throws {
        for (topic, payload) in [("home/bob/status", "bob-status"), ("home/bob/secret", "bob-secret")] {
            let p = try pub(["-u", "bob", "-P", "bobpw", "-t", topic, "-m", payload, "-r", "-q", "1"])
            #expect(p.waitForExit() == 0)
        }
        let s = try sub(["-u", "alice", "-P", "alice pw", "-t", "#", "-v", "-d", "-q", "1"])
        #expect(s.waitFor("home/bob/status bob-status"))
        let live = try pub(["-u", "bob", "-P", "bobpw", "-t", "home/bob/secret", "-m", "live-secret", "-q", "1"])
        #expect(live.waitForExit() == 0)
        let marker = try pub(["-u", "alice", "-P", "alice pw", "-t", "home/alice/done", "-m", "marker", "-q", "1"])
        #expect(marker.waitForExit() == 0)
        #expect(s.waitFor("home/alice/done marker"))
        #expect(!s.output.contains("secret"))
    }

    @Test("SUBACK 0x80 for a filter the ACL forbids; a forbidden PUBLISH is dropped; a forbidden Will refuses the CONNECT (0x05)")
    func forbidden() throws {
        let s = try sub(["-u", "alice", "-P", "alice pw", "-t", "home/bob/secret", "-t", "home/alice/#", "-d", "-v"])
        #expect(s.waitFor("SUBACK"))
        #expect(s.waitFor("Subscribed (mid: 1): 128, 0"), "\(s.output)")
        let denied = try pub(["-u", "alice", "-P", "alice pw", "-t", "home/bob/x", "-m", "should-not-arrive", "-q", "1"])
        #expect(denied.waitForExit() == 0) // 3.1.1: acknowledged, dropped [v311 MQTT-3.3.5-2]
        let willed = try sub(["-u", "alice", "-P", "alice pw", "-t", "home/alice/#", "--will-topic", "home/bob/lwt",
                             "--will-payload", "x"])
        #expect(willed.waitFor("not authori"), "\(willed.output)")
        #expect(willed.waitForExit() != 0)
        let marker = try pub(["-u", "alice", "-P", "alice pw", "-t", "home/alice/m", "-m", "marker"])
        #expect(marker.waitForExit() == 0)
        #expect(s.waitFor("home/alice/m marker"))
        #expect(!s.output.contains("should-not-arrive"))
    }

    @Test("SIGHUP re-reads the ACL: a connected subscriber gets its new rights; a broken file keeps the old rules and names file:line")
    func reload() throws {
        let s = try sub(["-u", "alice", "-P", "alice pw", "-t", "home/#", "-v", "-d"])
        #expect(s.waitFor("SUBACK"))
        let before = try pub(["-u", "bob", "-P", "bobpw", "-t", "home/bob/diary", "-m", "before"])
        #expect(before.waitForExit() == 0)
        try (Self.acl + "user alice\ntopic read home/bob/#\n").write(toFile: directory + "/acl", atomically: true, encoding: .utf8)
        perch.signal(SIGHUP)
        #expect(perch.waitForOutput("Reloaded the password, ACL and PSK files"))
        let after = try pub(["-u", "bob", "-P", "bobpw", "-t", "home/bob/diary", "-m", "after"])
        #expect(after.waitForExit() == 0)
        #expect(s.waitFor("home/bob/diary after"))
        #expect(!s.output.contains("before"))
        try "user alice\ntopic reed\nfrobnicate x\n".write(toFile: directory + "/acl", atomically: true, encoding: .utf8)
        perch.signal(SIGHUP)
        #expect(perch.waitForOutput("\(directory)/acl:3: unknown keyword `frobnicate`"))
        let still = try pub(["-u", "bob", "-P", "bobpw", "-t", "home/bob/diary", "-m", "still"])
        #expect(still.waitForExit() == 0)
        #expect(s.waitFor("home/bob/diary still"))
    }
}

/// A password file written by `perch passwd` works in mosquitto 2.0.11 itself.
@Suite("perch passwd with mosquitto", .serialized)
struct PasswdInteropTests {
    @Test("perch passwd writes mode 0600, prompts without -b, and mosquitto 2.0.11 accepts its sha512-pbkdf2 file")
    func mosquittoAccepts() throws {
        let directory = NSTemporaryDirectory() + "perch-passwd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/passwd"
        let create = try PerchProcess(["passwd", "-c", "-b", file, "alice", "alice pw"])
        #expect(create.waitForExit() == 0, "\(create.text)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The prompt reads stdin when it is not a terminal.
        let perch = PerchProcess.executablePath
        _ = try ShellCommand.check("printf 'bob pw\\nbob pw\\n' | '\(perch)' passwd '\(file)' bob")
        let mismatch = try ShellCommand.run("printf 'a\\nb\\n' | '\(perch)' passwd '\(file)' carol")
        #expect(mismatch.status == 1 && mismatch.output.contains("passwords do not match"))
        // Started as root, mosquitto would drop to its own user: `user root` keeps it able to
        // read the 0600 file and bind in the test's directory (ignored when not root).
        let socket = directory + "/mosquitto.sock"
        try "user root\nlistener 0 \(socket)\nallow_anonymous false\npassword_file \(file)\n"
            .write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
        let mosquitto = try ChildProcess(FileManager.default.fileExists(atPath: "/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto",
                                         ["-c", directory + "/mosquitto.conf", "-v"])
        defer { mosquitto.process.terminate() }
        #expect(mosquitto.waitFor("running", seconds: 10), "\(mosquitto.output)")
        for (user, password, expected) in [("alice", "alice pw", Int32(0)), ("bob", "bob pw", 0), ("alice", "wrong", 5)] {
            let pub = try ChildProcess("mosquitto_pub", ["--unix", socket, "-u", user, "-P", password, "-t", "t", "-m", "1"])
            #expect(pub.waitForExit() == expected, "\(user)/\(password): \(pub.output)")
        }
    }
}

/// SIGHUP re-reads the `psk_file` too: a changed key applies to the next TLS-PSK handshake.
@Suite("PSK file reload", .serialized)
struct PSKReloadTests {
    @Test("after SIGHUP a device's old PSK is refused and its new one accepted; the identity stays the user name")
    func reload() throws {
        let directory = NSTemporaryDirectory() + "perch-psk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "device-7:00112233445566778899aabbccddeeff\n".write(toFile: directory + "/psk", atomically: true, encoding: .utf8)
        try """
            psk_file \(directory)/psk
            listener 0 127.0.0.1
            psk_hint perch
            use_identity_as_username true
            allow_anonymous false

            """.write(toFile: directory + "/perch.conf", atomically: true, encoding: .utf8)
        let perch = try PerchProcess(["-c", directory + "/perch.conf"])
        defer { perch.kill() }
        let marker = "Opening listen socket on 127.0.0.1:"
        try #require(perch.waitForOutput(marker, timeout: 20))
        let port = String(perch.text[perch.text.range(of: marker)!.upperBound...].prefix { $0.isNumber })
        func publish(_ key: String) throws -> Int32? {
            let pub = try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "--psk-identity", "device-7",
                                                         "--psk", key, "-t", "t", "-m", "1"])
            return pub.waitForExit(seconds: 10)
        }
        #expect(try publish("00112233445566778899aabbccddeeff") == 0)
        try "device-7:ffeeddccbbaa99887766554433221100\n".write(toFile: directory + "/psk", atomically: true, encoding: .utf8)
        perch.signal(SIGHUP)
        #expect(perch.waitForOutput("Reloaded the password, ACL and PSK files"))
        #expect(try publish("00112233445566778899aabbccddeeff") != 0)
        #expect(try publish("ffeeddccbbaa99887766554433221100") == 0)
    }

    @Test("per_listener_settings true: each PSK listener takes its own psk_file, and SIGHUP re-reads each")
    func perListener() throws {
        let directory = NSTemporaryDirectory() + "perch-psk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (keyA, keyB, keyC) = ("00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100", "0f0e0d0c0b0a09080706050403020100")
        try "device-7:\(keyA)\n".write(toFile: directory + "/psk-a", atomically: true, encoding: .utf8)
        try "device-7:\(keyB)\n".write(toFile: directory + "/psk-b", atomically: true, encoding: .utf8)
        try """
            per_listener_settings true
            listener 0 127.0.0.1
            psk_hint a
            psk_file \(directory)/psk-a
            allow_anonymous true
            listener 0 127.0.0.1
            psk_hint b
            psk_file \(directory)/psk-b
            allow_anonymous true

            """.write(toFile: directory + "/perch.conf", atomically: true, encoding: .utf8)
        let perch = try PerchProcess(["-c", directory + "/perch.conf"])
        defer { perch.kill() }
        let marker = "Opening listen socket on 127.0.0.1:"
        try #require(perch.waitForOutput("Connection ceiling:", timeout: 20)) // logged after every listener opened
        let ports = perch.text.components(separatedBy: marker).dropFirst().map { String($0.prefix { $0.isNumber }) }
        try #require(ports.count == 2)
        func publish(_ key: String, listener: Int) throws -> Int32? {
            let pub = try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", ports[listener], "--psk-identity", "device-7",
                                                         "--psk", key, "-t", "t", "-m", "1"])
            return pub.waitForExit(seconds: 10)
        }
        #expect(try publish(keyA, listener: 0) == 0)
        #expect(try publish(keyB, listener: 0) != 0)
        #expect(try publish(keyB, listener: 1) == 0)
        #expect(try publish(keyA, listener: 1) != 0)
        try "device-7:\(keyC)\n".write(toFile: directory + "/psk-b", atomically: true, encoding: .utf8)
        perch.signal(SIGHUP)
        #expect(perch.waitForOutput("Reloaded the password, ACL and PSK files"))
        #expect(try publish(keyC, listener: 1) == 0)
        #expect(try publish(keyB, listener: 1) != 0)
        #expect(try publish(keyA, listener: 0) == 0) // the other listener's file is unchanged
    }
}

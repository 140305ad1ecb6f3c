#if canImport(Glibc)
import Glibc
#endif
import PerchAccess

/// `perch passwd ...`: mosquitto_passwd for Perch (see `PasswordCommand`). Prompts without
/// echo, writes the file atomically (a temporary file with mode 0600, fsync, rename), so a
/// crash leaves the old file or the new one, never half of either.
enum Passwd {
    static func run(_ words: [String]) -> Never {
        let command: PasswordCommand
        switch PasswordCommand.parse(words) {
        case .success(let parsed): command = parsed
        case .failure(let error): fail("\(error)\n\(PasswordCommand.usage)")
        }
        let text = read(command.file)
        var password: String?
        if command.needsPrompt {
            guard let first = prompt("Password: "), let second = prompt("Reenter password: ") else {
                fail("no password read")
            }
            guard first == second else { fail("passwords do not match") }
            password = first
        }
        do {
            let updated = try command.apply(to: text, password: password)
            try write(updated, to: command.file)
        } catch {
            fail("\(error)")
        }
        exit(0)
    }

    static func fail(_ message: String) -> Never {
        let line = Array("perch passwd: \(message)\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        exit(1)
    }

    /// The file's text, nil when it does not exist; exits on any other error.
    static func read(_ path: String) -> String? {
        guard let text = TextFile.read(path) else {
            if errno == ENOENT { return nil }
            fail("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return text
    }

    /// One line from the terminal with echo off (or from stdin when it is not a terminal).
    static func prompt(_ text: String) -> String? {
        let terminal = isatty(0) == 1
        var saved = termios()
        if terminal {
            say(text)
            tcgetattr(0, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &quiet)
        }
        defer {
            if terminal {
                tcsetattr(0, TCSANOW, &saved)
                say("\n")
            }
        }
        guard let line = readLine(strippingNewline: true) else { return nil }
        return line
    }

    /// Straight to the terminal, unbuffered (a prompt must show before the read).
    static func say(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
    }

    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = true
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty && ok {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes = bytes.dropFirst(n) } else if errno != EINTR { ok = false }
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
        // The rename itself durable: fsync the directory.
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let dfd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}

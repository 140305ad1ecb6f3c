import PerchStreams

/// The checks a listener's TLS settings get when the file ends: the PSK files are read and
/// handed to the PSK listeners (each its own with `per_listener_settings true`), and every
/// TLS listener's context is built once, so that a
/// missing certificate, a key that does not match it or a bad cipher string stops the
/// start (and `--test-config`) naming the file, the line and the directive.
extension ConfigFile {
    mutating func finishTLS() throws(ConfigError) {
        var keysByFile: [String: [String: [UInt8]]] = [:]
        if !isPerListener { configuration.pskFile = pskFile(forSection: 0)?.path }
        for (sectionIndex, section) in sections.enumerated() {
            let psk = pskFile(forSection: sectionIndex)
            var keys: [String: [UInt8]]?
            if let psk {
                if let known = keysByFile[psk.path] {
                    keys = known
                } else {
                    keys = try Self.readPSKFile(psk.path, line: psk.line, config: file)
                    keysByFile[psk.path] = keys
                }
            }
            for index in section.range {
                if isPerListener { configuration.listeners[index].pskFile = psk?.path }
                var listener = configuration.listeners[index]
                if listener.identity != .none && listener.tls == nil {
                    let line = section.lines["use_identity_as_username"] ?? section.lines["use_subject_as_username"] ?? section.line
                    throw ConfigError(file: file, line: line, directive: listener.identity == .subject
                                      ? "use_subject_as_username" : "use_identity_as_username",
                                      "needs TLS on this listener (certfile and keyfile, or psk_hint)")
                }
                guard var tls = listener.tls else { continue }
                if tls.pskHint != nil {
                    guard let keys else {
                        throw ConfigError(file: file, line: section.lines["psk_hint"] ?? section.line, directive: "psk_hint",
                                          "needs a psk_file with the identities and keys")
                    }
                    tls.pskKeys = keys
                }
                listener.tls = tls
                configuration.listeners[index] = listener
                do throws(TLSError) {
                    _ = try TLSContext(tls)
                } catch {
                    let line = section.lines[error.setting] ?? section.line
                    throw ConfigError(file: file, line: line, directive: error.setting, error.message)
                }
            }
        }
    }

    /// `psk_file`: `identity:hexkey` lines (`#` comments, blank lines ignored), as mosquitto
    /// reads them. Errors name the PSK file and its line.
    static func readPSKFile(_ path: String, line: Int, config: String) throws(ConfigError) -> [String: [UInt8]] {
        guard let text = readText(path) else {
            throw ConfigError(file: config, line: line, directive: "psk_file", "cannot read \(path)")
        }
        var keys: [String: [UInt8]] = [:]
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let entry = raw.trimmingSuffix(while: { $0 == "\r" || $0 == " " })
            guard !entry.isEmpty, !entry.hasPrefix("#") else { continue }
            guard let colon = entry.lastIndex(of: ":"), colon != entry.startIndex,
                  let key = hexBytes(entry[entry.index(after: colon)...]), !key.isEmpty else {
                throw ConfigError(file: path, line: number + 1, directive: nil,
                                  "expected identity:hexkey (the key in hexadecimal, an even number of digits)")
            }
            keys[String(entry[..<colon])] = key
        }
        return keys
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[pair]), let low = hexValue(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Substring {
    func trimmingSuffix(while drop: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, drop(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}

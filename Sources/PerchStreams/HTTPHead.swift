/// A complete HTTP/1.1 head, parsed: the start line split at its spaces and the header
/// fields with lower-cased names (field names are case-insensitive, RFC 9110 5.1).
///
/// Only what the WebSocket handshake needs: no bodies, no obsolete line folding (a line
/// starting with a space is refused), no whitespace between a field name and its colon
/// (RFC 9112 5.1: refused).
struct HTTPHead: Sendable {
    /// The start line's three parts: method, target, version (request) or version, status
    /// code, reason phrase (response; the phrase may hold spaces or be empty).
    var startLine: [String]
    var fields: [(name: String, value: String)]

    /// Parses a head as `HTTPHeadBuffer` delivers it (ending in CRLF CRLF).
    static func parse(_ head: [UInt8]) -> Result<HTTPHead, HTTPHeadError> {
        var lines = splitLines(head)
        guard !lines.isEmpty else { return .failure(HTTPHeadError("empty HTTP head")) }
        let first = String(decoding: lines.removeFirst(), as: UTF8.self)
        var fields: [(name: String, value: String)] = []
        for line in lines {
            guard let field = parseField(line) else {
                let text = String(decoding: line.prefix(40), as: UTF8.self)
                return .failure(HTTPHeadError("malformed header line \"\(text)\""))
            }
            fields.append(field)
        }
        let parts = first.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        return .success(HTTPHead(startLine: parts, fields: fields))
    }

    /// The values of every field named `name` (lower case).
    func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// The comma-separated elements of every field named `name`, trimmed, empty ones dropped
    /// (RFC 9110 5.6.1): `Connection: keep-alive, Upgrade` gives ["keep-alive", "Upgrade"].
    func tokens(_ name: String) -> [String] {
        values(name).flatMap { value in
            value.split(separator: ",").map { HTTPHead.trimmed(Substring($0)) }.filter { !$0.isEmpty }
        }
    }

    /// Whether the `name` list holds `token`, compared case-insensitively (for tokens such as
    /// `upgrade` and `websocket`).
    func hasToken(_ name: String, _ token: String) -> Bool {
        tokens(name).contains { HTTPHead.lowercased($0) == token }
    }

    // MARK: lexing

    /// Lines without their CRLF, up to the empty line.
    private static func splitLines(_ head: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < head.count {
            if head[index] == 0x0D, head[index + 1] == 0x0A {
                if index == start { break }  // the empty line
                lines.append(head[start..<index])
                start = index + 2
                index += 2
            } else {
                index += 1
            }
        }
        return lines
    }

    /// `name: value` with a token name; nil for anything else.
    private static func parseField(_ line: ArraySlice<UInt8>) -> (name: String, value: String)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return nil }
        let name = line[..<colon]
        guard name.allSatisfy(isTokenByte) else { return nil }
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
        return (lowercased(String(decoding: name, as: UTF8.self)), trimmed(Substring(value)))
    }

    /// RFC 9110 5.6.2 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// ASCII lower case (HTTP is case-insensitive in ASCII only).
    static func lowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

/// Why a head could not be parsed.
struct HTTPHeadError: Error, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

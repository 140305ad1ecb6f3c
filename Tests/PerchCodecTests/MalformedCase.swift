import PerchCodec
import Testing

/// One bad input and the classification the codec must give it.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// The connection's version (nil before CONNECT).
    var version: ProtocolVersion?
    /// The whole packet: fixed header, Remaining Length, body.
    var bytes: [UInt8]
    var reason: ReasonCode
    /// For CONNECT: the version the error must carry.
    var connectVersion: ProtocolVersion?

    init(_ name: String, _ version: ProtocolVersion?, _ bytes: [UInt8], _ reason: ReasonCode,
         connectVersion: ProtocolVersion? = nil) {
        self.name = name
        self.version = version
        self.bytes = bytes
        self.reason = reason
        self.connectVersion = connectVersion
    }

    var testDescription: String { "\(version.map { "\($0)" } ?? "pre-CONNECT") \(name)" }

    /// Expects decoding to fail with `reason`, carrying `connectVersion` (nil outside CONNECT).
    func expectClassified(sourceLocation: SourceLocation = #_sourceLocation) {
        let error = decodeError()
        #expect(error?.reason == reason, "\(error.map { "\($0)" } ?? "decoded")", sourceLocation: sourceLocation)
        #expect(error?.connectVersion == connectVersion, sourceLocation: sourceLocation)
    }

    /// Frames and decodes `bytes`, returning the error (nil when it decoded). The in-place
    /// path (`nextPacket`) must classify it exactly as framing then decoding does.
    func decodeError() -> DecodeError? {
        let error = framedDecodeError()
        var decoder = FrameDecoder()
        decoder.append(bytes)
        do {
            let packet = try decoder.nextPacket(version: version)
            #expect(error == nil ? packet != nil : error?.reason == .success && packet == nil)
        } catch let inPlace {
            #expect(inPlace.reason == error?.reason && inPlace.connectVersion == error?.connectVersion)
        }
        return error
    }

    private func framedDecodeError() -> DecodeError? {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        do {
            guard let frame = try decoder.next() else { return DecodeError(.success, "incomplete fixture") }
            _ = try Packet(frame: frame, version: version)
            return nil
        } catch {
            return error
        }
    }
}

/// Builders for test inputs (the golden fixtures are written out byte by byte instead).
enum Wire {
    /// Fixed header with a one-byte Remaining Length, then the body.
    static func packet(_ header: UInt8, _ body: [UInt8]) -> [UInt8] {
        precondition(body.count < 128)
        return [header, UInt8(body.count)] + body
    }

    /// A UTF-8 Encoded String field.
    static func string(_ text: String) -> [UInt8] {
        raw(Array(text.utf8))
    }

    /// A length-prefixed field holding arbitrary bytes (bad UTF-8 on purpose).
    static func raw(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    /// A property block: length, then the given id/value bytes.
    static func properties(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8(bytes.count)] + bytes
    }

    /// CONNECT variable header for `name`/`level` with `flags`, keep alive 0.
    static func connectHeader(_ name: String = "MQTT", level: UInt8, flags: UInt8) -> [UInt8] {
        string(name) + [level, flags, 0x00, 0x00]
    }

    /// A v5 CONNECT: header, properties, then `payload`.
    static func connect5(flags: UInt8 = 0x02, properties: [UInt8] = [], payload: [UInt8]) -> [UInt8] {
        packet(0x10, connectHeader(level: 5, flags: flags) + Wire.properties(properties) + payload)
    }

    /// A 3.1.1 CONNECT: header, then `payload`.
    static func connect311(flags: UInt8 = 0x02, payload: [UInt8]) -> [UInt8] {
        packet(0x10, connectHeader(level: 4, flags: flags) + payload)
    }
}

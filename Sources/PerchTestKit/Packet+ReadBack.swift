import PerchCodec

/// What went wrong reading back an encoded packet (`Packet.readBack`).
public struct WireProblem: Error, CustomStringConvertible {
    public let description: String
}

extension Packet {
    /// Encodes the packet for `version` and reads the bytes back as its receiver would (a
    /// CONNECT without a version, as a first packet is read): the packet read, or why the
    /// bytes were not that — a size other than `encodedSize`, an incomplete or undecodable
    /// packet. The fuzz harnesses check every reply and every decoded packet this way.
    public func readBack(version: ProtocolVersion) -> Result<Packet, WireProblem> {
        var bytes: [UInt8] = []
        encode(version: version, into: &bytes)
        guard bytes.count == encodedSize(version: version) else {
            return .failure(WireProblem(description: "encodedSize \(encodedSize(version: version)) but \(bytes.count) bytes for \(self)"))
        }
        var framer = FrameDecoder()
        framer.append(bytes)
        let readVersion: ProtocolVersion? = if case .connect = self { nil } else { version }
        do {
            guard let packet = try framer.nextPacket(version: readVersion) else {
                return .failure(WireProblem(description: "\(self) encodes to an incomplete packet \(bytes)"))
            }
            return .success(packet)
        } catch {
            return .failure(WireProblem(description: "\(self) encodes to \(bytes), which does not decode for \(version): \(error)"))
        }
    }
}

/// libFuzzer's input as a `FuzzSource`: one byte per choice (spread over the word, so
/// `Int.random(in:)` maps it evenly), raw bytes taken as they are. Once the bytes run out
/// it continues from a fixed generator, so that a choice never loops, and reports
/// `isExhausted` for the harness to stop. A test replays a finding from its bytes.
public struct FuzzInput: FuzzSource {
    let data: [UInt8]
    var index = 0
    var filler = SplitMix64(seed: 0x5EED)

    public init(_ data: [UInt8]) { self.data = data }

    public var isExhausted: Bool { index >= data.count }

    public mutating func next() -> UInt64 {
        guard index < data.count else { return filler.next() }
        defer { index += 1 }
        return UInt64(data[index]) &* 0x0101_0101_0101_0101
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        let end = min(data.count, index + count)
        defer { index = end }
        var bytes = Array(data[index..<end])
        while bytes.count < count { bytes.append(UInt8(truncatingIfNeeded: filler.next())) }
        return bytes
    }
}

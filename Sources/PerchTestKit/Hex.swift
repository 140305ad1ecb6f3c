/// Bytes from hexadecimal text for tests (keys, recorded fuzz inputs). Spaces and newlines
/// are skipped; anything else that is not a hex digit traps, as a test fixture that does
/// not parse is a bug in the test.
public func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != 0x20 && $0 != 0x0A })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { offset in
        UInt8(String(decoding: digits[offset..<offset + 2], as: UTF8.self), radix: 16)!
    }
}

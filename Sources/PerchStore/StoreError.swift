/// Why the store could not read or write its data. The description names the file and,
/// for a damaged snapshot, the byte offset where reading stopped.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The file's bytes are not a valid snapshot (bad magic, version, CRC, record).
        case corrupt
        /// The file ends inside a record or before the end record.
        case truncated
        /// A system call failed (`errno` in the message).
        case io
        /// The disk is full (ENOSPC / EDQUOT): durable operations are refused until a
        /// commit succeeds again; nothing on disk is damaged.
        case full
    }

    public var kind: Kind
    public var path: String
    /// The byte offset in `path` where the problem was found, for `.corrupt` / `.truncated`.
    public var offset: Int?
    public var message: String

    public init(_ kind: Kind, path: String, offset: Int? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(path): at byte \(offset): \(message)" }
        return "\(path): \(message)"
    }
}

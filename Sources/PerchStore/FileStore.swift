import PerchBroker
import PerchCodec

/// Keeps the retained messages in memory and snapshots them to `perch.db` in its directory
/// (format: `Snapshot`).
///
/// A snapshot is written when the set changed and `autosaveInterval` seconds passed since
/// the last write (mosquitto's `autosave_interval`; 0 = only on close), and always on
/// `close`. Writes are atomic (`FileSystem.writeAtomically`). A snapshot that cannot be
/// read makes `open` throw: the broker must not start and silently lose data.
public final class FileStore: BrokerStore {
    public let directory: String
    public let path: String
    public let autosaveInterval: Int64
    /// Milliseconds since the Unix epoch; injectable for tests of message expiry.
    let wallClock: () -> Int64

    var retained: [TopicName: Message] = [:]
    var dirty = false
    var lastWrite: Timestamp?
    /// Number of snapshot files written (for tests and the log).
    public private(set) var snapshotsWritten = 0

    public convenience init(directory: String, autosaveInterval: Int64 = 1800) {
        self.init(directory: directory, autosaveInterval: autosaveInterval,
                  wallClock: FileSystem.wallClockMilliseconds)
    }

    package init(directory: String, autosaveInterval: Int64, wallClock: @escaping () -> Int64) {
        self.directory = directory
        self.path = directory.hasSuffix("/") ? directory + "perch.db" : directory + "/perch.db"
        self.autosaveInterval = autosaveInterval
        self.wallClock = wallClock
    }

    public var location: String? { path }

    public func open(now: Timestamp) throws(StoreError) -> [Message] {
        try FileSystem.ensureWritableDirectory(directory)
        lastWrite = now
        guard let bytes = try FileSystem.read(path) else { return [] }
        let messages = try Snapshot.decode(bytes, path: path, clocks: clocks(now))
        for message in messages { retained[message.topic] = message }
        return messages
    }

    public func apply(_ change: StoreChange) {
        switch change {
        case .retain(let message): retained[message.topic] = message
        case .clearRetained(let topic):
            guard retained.removeValue(forKey: topic) != nil else { return }
        }
        dirty = true
    }

    public func commit(now: Timestamp) throws(StoreError) {
        guard dirty, autosaveInterval > 0 else { return }
        if let lastWrite, now < lastWrite.adding(seconds: autosaveInterval) { return }
        try write(now: now)
    }

    public func close(now: Timestamp) throws(StoreError) {
        guard dirty else { return }
        try write(now: now)
    }

    /// The retained messages the store holds, ordered by topic.
    public var messages: [Message] { retained.values.sorted { $0.topic.string < $1.topic.string } }

    func write(now: Timestamp) throws(StoreError) {
        try FileSystem.writeAtomically(Snapshot.encode(messages, clocks: clocks(now)), to: path, directory: directory)
        dirty = false
        lastWrite = now
        snapshotsWritten += 1
    }

    func clocks(_ now: Timestamp) -> Snapshot.Clocks {
        Snapshot.Clocks(monotonic: now, wallMilliseconds: wallClock())
    }
}

#if canImport(Glibc)
import Glibc
#endif
import PerchBroker
import PerchCodec
@testable import PerchStore
import Testing

func rmdirs(_ paths: String...) { for p in paths { rmdir(p) } }
func unlinkFile(_ path: String) { unlink(path) }

@Suite("Snapshot corruption")
struct SnapshotCorruptionTests {
    let t0 = Timestamp.seconds(1)

    /// A valid snapshot with two messages, and the directory holding it.
    func validSnapshot() throws -> (TemporaryDirectory, [UInt8]) {
        let dir = TemporaryDirectory()
        let store = FileStore(directory: dir.path)
        _ = try store.open(now: t0)
        for topic in ["a", "b"] {
            store.apply(.retain(Message(topic: TopicName(unchecked: topic), payload: [1, 2, 3], qos: .atMostOnce,
                                        retain: true)))
        }
        try store.close(now: t0)
        return (dir, try #require(dir.read("perch.db")))
    }

    func openError(_ dir: TemporaryDirectory) -> StoreError? {
        do {
            _ = try FileStore(directory: dir.path).open(now: t0)
            return nil
        } catch {
            return error
        }
    }

    @Test("bad magic is an error naming the file and offset 0")
    func badMagic() throws {
        let (dir, bytes) = try validSnapshot()
        defer { dir.remove() }
        var damaged = bytes
        damaged[0] = UInt8(ascii: "X")
        dir.write(damaged, to: "perch.db")
        let error = try #require(openError(dir))
        #expect(error.kind == .corrupt)
        #expect(error.offset == 0)
        #expect(error.description.contains(dir.file("perch.db")))
        #expect(error.description.contains("at byte 0"))
    }

    @Test("a flipped payload byte fails the record CRC, reported at the record's offset")
    func badCRC() throws {
        let (dir, bytes) = try validSnapshot()
        defer { dir.remove() }
        var damaged = bytes
        // Header 8, first record: 8-byte record header, body kind/qos/flags/topic(3)/len(4)/payload.
        let firstPayload = 8 + 8 + 3 + 3 + 4
        damaged[firstPayload] ^= 0xFF
        dir.write(damaged, to: "perch.db")
        let error = try #require(openError(dir))
        #expect(error.kind == .corrupt)
        #expect(error.offset == 8)
        #expect(error.message.contains("CRC"))
    }

    @Test("every truncation of a valid snapshot is an error, never a partial load")
    func truncated() throws {
        let (dir, bytes) = try validSnapshot()
        defer { dir.remove() }
        for length in 0..<bytes.count {
            dir.write(Array(bytes[0..<length]), to: "perch.db")
            let error = try #require(openError(dir), "length \(length)")
            #expect(error.offset != nil)
            #expect(error.kind == (length < 4 ? .truncated : error.kind))
            #expect(error.description.contains("perch.db"))
        }
    }

    @Test("a truncation inside a record names the offset where the file ends")
    func truncatedOffset() throws {
        let (dir, bytes) = try validSnapshot()
        defer { dir.remove() }
        dir.write(Array(bytes[0..<20]), to: "perch.db")
        let error = try #require(openError(dir))
        #expect(error.kind == .truncated)
        #expect(error.offset == 16)
    }

    @Test("an unwritable directory is a clear error at open")
    func unwritableDirectory() throws {
        guard getuid() != 0 else {
            // root may write anywhere; a regular file as the directory still fails.
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            dir.write([1], to: "file")
            let error = try #require(openErrorAt(dir.file("file")))
            #expect(error.description.contains("not a directory"))
            return
        }
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        chmod(dir.path, 0o500)
        let error = try #require(openErrorAt(dir.path))
        #expect(error.description.contains("not writable"))
    }

    @Test("a path below a regular file cannot be created")
    func directoryBelowFile() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        dir.write([1], to: "file")
        let error = try #require(openErrorAt(dir.file("file") + "/sub"))
        #expect(error.kind == .io)
        #expect(error.description.contains("file/sub"))
    }

    func openErrorAt(_ path: String) -> StoreError? {
        do {
            _ = try FileStore(directory: path).open(now: t0)
            return nil
        } catch {
            return error
        }
    }
}

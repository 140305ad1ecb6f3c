import PerchBroker
import PerchCodec

/// Start-up: snapshot, then every log in order; then a fresh log for this run.
extension FileStore {
    public func open(now: Timestamp) throws(StoreError) -> RecoveredState {
        try fs.ensureWritableDirectory(directory)
        fs.remove(snapshotPath + ".tmp")
        let clocks = StoreRecord.Clocks(monotonic: now, wallMilliseconds: wallClock())
        var warnings: [String] = []
        var recordsRead = 0
        var sessions: [ExactString: DurableSession] = [:]
        if let bytes = try fs.read(snapshotPath) {
            let result = try scan(bytes, path: snapshotPath, clocks: clocks, snapshot: true)
            snapshotSize = bytes.count
            warnings += result.warnings
            recordsRead += result.records.count
            replay(result, bytes: bytes, sessions: &sessions)
        }
        let logs = try existingLogs()
        for index in logs {
            let path = logPath(index)
            guard let bytes = try fs.read(path) else { continue }
            let result = try scan(bytes, path: path, clocks: clocks, snapshot: false)
            warnings += result.warnings
            recordsRead += result.records.count
            replay(result, bytes: bytes, sessions: &sessions)
            if result.validLength < bytes.count { try cutTornTail(path, to: result.validLength) }
            sealedLogs.append(path)
        }
        compactAtNextCommit = !logs.isEmpty
        try startLog(index: (logs.last ?? 0) + 1)
        lastSync = now
        return RecoveredState(retained: Array(retained.values), sessions: sessions.keys.sorted().compactMap { sessions[$0] },
                              warnings: warnings, recordsRead: recordsRead)
    }

    func scan(_ bytes: [UInt8], path: String, clocks: StoreRecord.Clocks,
              snapshot: Bool) throws(StoreError) -> RecordScanner.Result {
        let scanner = RecordScanner(bytes: bytes, path: path, clocks: clocks, recover: recover)
        guard snapshot else {
            if bytes.count < StoreRecord.headerSize {
                // Crash while the log was created: nothing was ever committed to it.
                return RecordScanner.Result(validLength: 0, warnings: ["\(path): torn header dropped"])
            }
            return try scanner.scan(magic: StoreRecord.logMagic, acceptedVersions: 2...3)
        }
        var result = try scanner.scan(magic: StoreRecord.snapshotMagic, acceptedVersions: 1...3)
        // A snapshot is written whole and renamed: anything but a final end record is damage.
        guard case .end(let count)? = result.records.last, count == result.records.count - 1,
              result.validLength == bytes.count else {
            guard recover else {
                throw StoreError(.truncated, path: path, offset: result.validLength,
                                 "snapshot incomplete or damaged (start with --recover to keep its valid records)")
            }
            result.warnings.append("\(path): incomplete snapshot, \(result.records.count) valid records kept")
            return result
        }
        return result
    }

    /// Applies a file's records in order; a session keeps its record's bytes for snapshots.
    func replay(_ result: RecordScanner.Result, bytes: [UInt8], sessions: inout [ExactString: DurableSession]) {
        for (record, range) in zip(result.records, result.ranges) {
            switch record {
            case .retain(let message):
                retained[ExactString(message.topic.string)] = message.payload.isEmpty ? nil : message
            case .clearRetained(let topic): retained[ExactString(topic)] = nil
            case .session(let session):
                sessions[ExactString(session.clientID)] = session
                sessionRecords[ExactString(session.clientID)] = Array(bytes[range])
            case .sessionEnded(let clientID):
                sessions[ExactString(clientID)] = nil
                sessionRecords[ExactString(clientID)] = nil
            case .end: break
            }
        }
    }

    /// The indexes of the `perch.log.N` files, ascending.
    func existingLogs() throws(StoreError) -> [Int] {
        try fs.list(directory).compactMap { name -> Int? in
            guard name.hasPrefix("perch.log.") else { return nil }
            return Int(name.dropFirst("perch.log.".count))
        }.sorted()
    }

    func cutTornTail(_ path: String, to length: Int) throws(StoreError) {
        let fd = try fs.openForAppend(path, truncate: false)
        defer { fs.close(fd) }
        try fs.truncate(fd, to: length, path: path)
        try fs.sync(fd, path: path)
    }

    /// Creates `perch.log.<index>` with its header, durable (file and name) before use.
    func startLog(index: Int) throws(StoreError) {
        let path = logPath(index)
        let fd = try fs.openForAppend(path, truncate: true)
        do throws(StoreError) {
            try fs.append(fd, StoreRecord.header(magic: StoreRecord.logMagic), path: path)
            try fs.sync(fd, path: path)
            try fs.syncDirectory(directory)
        } catch {
            fs.close(fd)
            fs.remove(path)
            throw error
        }
        if logFD >= 0 { fs.close(logFD) }
        logFD = fd
        logIndex = index
        logLength = StoreRecord.headerSize
        unsynced = false
    }
}

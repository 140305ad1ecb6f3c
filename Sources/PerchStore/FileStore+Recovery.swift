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
        let mark = try readMark(&warnings)
        if let bytes = try fs.read(snapshotPath) {
            let result = try scan(bytes, path: snapshotPath, clocks: clocks, snapshot: true)
            snapshotSize = bytes.count
            warnings += result.warnings
            recordsRead += result.records.count
            replay(result, bytes: bytes, sessions: &sessions)
        } else if mark?.snapshotWritten == true {
            try damage(snapshotPath, offset: nil, "missing, but \(markPath) says a snapshot was written", &warnings)
        }
        let logs = try existingLogs()
        for index in logs {
            let path = logPath(index)
            guard let bytes = try fs.read(path) else { continue }
            let result = try scan(bytes, path: path, clocks: clocks, snapshot: false)
            if let committed = mark?.lengths[index], result.validLength < committed,
               (result.tornRecordEnd ?? result.validLength) < committed {
                // Not a torn tail (at most one partial record after the last good one):
                // whole records an fsync made durable are gone.
                try damage(path, offset: result.validLength, "\(result.validLength) bytes of valid records, but "
                    + "\(committed) were committed (\(markPath)): the log was cut or emptied", &warnings)
            }
            warnings += result.warnings
            recordsRead += result.records.count
            replay(result, bytes: bytes, sessions: &sessions)
            if result.validLength < bytes.count {
                try cutTornTail(path, to: result.validLength)
            } else {
                try syncFile(path) // durable before the mark claims it
            }
            sealedLogs.append(path)
            sealedLengths[index] = result.validLength
        }
        for (index, committed) in mark?.lengths ?? [:] where !logs.contains(index) && committed > StoreRecord.headerSize {
            // Compaction deletes logs once a snapshot holds them, before the mark forgets them.
            guard index > (logs.last ?? 0) || snapshotSize == 0 else { continue }
            try damage(logPath(index), offset: nil,
                       "missing, but \(markPath) says \(committed) bytes were committed to it", &warnings)
        }
        compactAtNextCommit = !logs.isEmpty
        do throws(StoreError) {
            try startLog(index: (logs.last ?? 0) + 1)
        } catch {
            // A full disk: start read-mostly. Everything recovered is served; durable
            // changes fail (and are refused) until a commit finds room for the log.
            guard error.kind == .full else { throw error }
            logIndex = (logs.last ?? 0) + 1
            warnings.append("\(error); started without a new log: durable operations are refused until there is space")
        }
        try? fs.overwrite(markPath, self.mark(currentLength: logLength).encoded())
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

    /// `perch.mark`, if there is a readable one (an unreadable one is only a warning: it is
    /// written without fsync, and a power cut may tear it).
    func readMark(_ warnings: inout [String]) throws(StoreError) -> StoreMark? {
        guard let bytes = try fs.read(markPath) else { return nil }
        guard let mark = StoreMark(decoding: bytes) else {
            warnings.append("\(markPath): unreadable, the logs are read without it")
            return nil
        }
        return mark
    }

    /// Damage that loses committed data: stops the start naming it, or with `--recover`
    /// warns and goes on with what is valid.
    func damage(_ path: String, offset: Int?, _ message: String, _ warnings: inout [String]) throws(StoreError) {
        guard recover else {
            throw StoreError(.truncated, path: path, offset: offset, message + " (start with --recover to keep what is valid)")
        }
        warnings.append(StoreError(.truncated, path: path, offset: offset, message).description + "; recovering what is valid")
    }

    func syncFile(_ path: String) throws(StoreError) {
        let fd = try fs.openForAppend(path, truncate: false)
        defer { fs.close(fd) }
        try fs.sync(fd, path: path)
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
        syncedLength = StoreRecord.headerSize
        unsynced = false
    }
}

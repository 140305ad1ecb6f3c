import PerchCodec

/// The shape of the load: who publishes where, who subscribes to what.
///
///     pairs    publisher i  -> bench/i  -> subscriber i        (N publishers, N subscribers)
///     fanin    publisher i  -> bench/i  -> one subscriber on bench/#
///     fanout   publisher 0  -> bench/0  -> every subscriber
///     idle     N connections, each subscribed to bench/idle/i, no traffic
///     connect  N connections, each CONNECT -> CONNACK -> close, at most --concurrency at a time
enum BenchMode: String {
    case pairs, fanin, fanout, idle, connect
}

/// Command-line options of `perch-bench` (see `BenchOptions.usage`).
struct BenchOptions {
    var host = "127.0.0.1"
    var port: UInt16 = 1883
    var mode = BenchMode.pairs
    var publishers = 10
    var subscribers = 10
    var connections = 1000
    var qos = QoS.atMostOnce
    var window = 64
    var rate = 0.0            // messages per second per publisher; 0 = unlimited
    var payloadSize = 64
    var durationSeconds = 10.0
    var warmupSeconds = 1.0
    var drainSeconds = 10.0
    var version = ProtocolVersion.v311
    var label = ""
    var selfTest = false
    /// `--clean-start false`: persistent sessions (3.1.1 Clean Session 0), for durability runs.
    var cleanStart = true
    /// `--tls CAFILE`: TLS to the broker, its certificate checked against CAFILE (as localhost).
    var tlsCAFile: String?
    /// `--websocket true`: MQTT over WebSocket (path /mqtt, subprotocol mqtt).
    var webSocket = false
    /// `--username U` / `--password P`: credentials of every CONNECT; `%d` in the user name
    /// becomes the connection's index (one user per connection).
    var username: String?
    var password: String?
    /// `--concurrency N` (connect mode): CONNECTs in flight at once.
    var concurrency = 64

    static let usage = """
        usage: perch-bench [--host H] [--port P] [--mode pairs|fanin|fanout|idle]
                           [--publishers N] [--subscribers N] [--connections N (idle)]
                           [--qos 0|1|2] [--window N] [--rate MSG_PER_S (0 = unlimited)]
                           [--size BYTES (>= 16)] [--duration S] [--warmup S] [--drain S]
                           [--mqtt 311|5] [--label NAME] [--clean-start true|false]
                           [--tls CAFILE] [--websocket true|false] [--self-test]
                           [--username U (%d: index)] [--password P] [--concurrency N (connect)]
        """

    /// Parses `arguments` (without the program name). Returns an error message on bad input.
    static func parse(_ arguments: [String]) -> Result<BenchOptions, OptionError> {
        var options = BenchOptions()
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            if flag == "--self-test" {
                options.selfTest = true
                index += 1
                continue
            }
            guard index + 1 < arguments.count else { return .failure(OptionError("\(flag) needs a value")) }
            let value = arguments[index + 1]
            if let error = options.apply(flag, value) { return .failure(error) }
            index += 2
        }
        if let error = options.validate() { return .failure(error) }
        return .success(options)
    }

    private mutating func apply(_ flag: String, _ value: String) -> OptionError? {
        switch flag {
        case "--host": host = value
        case "--clean-start": guard let v = Bool(value) else { return bad(flag, value) }; cleanStart = v
        case "--port": guard let v = UInt16(value) else { return bad(flag, value) }; port = v
        case "--mode": guard let v = BenchMode(rawValue: value) else { return bad(flag, value) }; mode = v
        case "--publishers": guard let v = Int(value), v > 0 else { return bad(flag, value) }; publishers = v
        case "--subscribers": guard let v = Int(value), v > 0 else { return bad(flag, value) }; subscribers = v
        case "--connections": guard let v = Int(value), v > 0 else { return bad(flag, value) }; connections = v
        case "--qos": guard let v = UInt8(value).flatMap(QoS.init(rawValue:)) else { return bad(flag, value) }; qos = v
        case "--window": guard let v = Int(value), (1...65535).contains(v) else { return bad(flag, value) }; window = v
        case "--rate": guard let v = Double(value), v >= 0 else { return bad(flag, value) }; rate = v
        case "--size": guard let v = Int(value), v >= Payload.headerSize else { return bad(flag, value) }; payloadSize = v
        case "--duration": guard let v = Double(value), v > 0 else { return bad(flag, value) }; durationSeconds = v
        case "--warmup": guard let v = Double(value), v >= 0 else { return bad(flag, value) }; warmupSeconds = v
        case "--drain": guard let v = Double(value), v >= 0 else { return bad(flag, value) }; drainSeconds = v
        case "--mqtt":
            switch value {
            case "311", "3.1.1": version = .v311
            case "5", "5.0": version = .v5
            default: return bad(flag, value)
            }
        case "--label": label = value
        case "--tls": tlsCAFile = value
        case "--websocket": guard let v = Bool(value) else { return bad(flag, value) }; webSocket = v
        case "--username": username = value
        case "--password": password = value
        case "--concurrency": guard let v = Int(value), v > 0 else { return bad(flag, value) }; concurrency = v
        default: return OptionError("unknown option \(flag)")
        }
        return nil
    }

    private mutating func validate() -> OptionError? {
        switch mode {
        case .pairs: subscribers = publishers
        case .fanin: subscribers = 1
        case .fanout: publishers = 1
        case .idle, .connect: publishers = 0; subscribers = 0
        }
        return nil
    }

    private func bad(_ flag: String, _ value: String) -> OptionError {
        OptionError("bad value for \(flag): \(value)")
    }

    /// The topic publisher `index` publishes to.
    func publishTopic(_ index: Int) -> String {
        switch mode {
        case .fanout: return "bench/0"
        case .pairs, .fanin, .idle, .connect: return "bench/\(index)"
        }
    }

    /// The filter subscriber `index` subscribes to.
    func subscribeFilter(_ index: Int) -> String {
        switch mode {
        case .pairs: return "bench/\(index)"
        case .fanin: return "bench/#"
        case .fanout: return "bench/0"
        case .idle, .connect: return "bench/idle/\(index)"
        }
    }

    /// Whether subscriber `subscriber` receives what publisher `publisher` sends.
    func delivers(publisher: Int, to subscriber: Int) -> Bool {
        switch mode {
        case .pairs: return publisher == subscriber
        case .fanin, .fanout: return true
        case .idle, .connect: return false
        }
    }
}

struct OptionError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

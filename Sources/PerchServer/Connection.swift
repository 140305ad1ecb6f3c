import PerchBroker
import PerchCodec
import PerchStreams

/// The transport's view of one accepted connection: its socket, its stream layers (TLS,
/// WebSocket; nil for plain MQTT), its framer, the protocol version once CONNECT was
/// decoded, and the output waiting to be written.
///
/// Idle connections hold no buffers: `output` is released once it has been written, the
/// framer keeps bytes only while a packet is incomplete, and the stream layers' MQTT
/// output (`stream.pending`) only until the batch's end seals it into `output`.
struct Connection {
    /// Where the connection is in its life, as far as the transport is concerned.
    enum State {
        /// Reading and writing.
        case open
        /// Input could not be decoded; no more bytes are read, the broker decides.
        case inputStopped
        /// The broker closed it: flush the output, then close; never report `.closed`.
        case closing
    }

    let id: ConnectionID
    /// `address:port` of the peer, for logs.
    let peer: String
    var decoder: FrameDecoder
    /// TLS and WebSocket layers between the socket and `decoder`; nil for plain MQTT.
    let stream: StreamStack?
    /// Bytes to write (after the stream layers); `output[outputStart...]` is still pending.
    var output: [UInt8] = []
    var outputStart = 0
    /// Output waiting behind a large PUBLISH whose payload streams (nil otherwise).
    var deferred: DeferredOutput?
    /// QoS 0 PUBLISH packets dropped because the peer did not read fast enough.
    var droppedPublishes = 0
    /// From CONNECT, for `connection_messages` (only kept when they are on).
    var clientID: String?
    /// The User Name for the connect line (the CONNECT's, or the TLS / PSK identity).
    var username: String?
    /// For a `.closing` connection whose peer does not take its last bytes: when to give up.
    var closeDeadline: Timestamp? {
        get { closeDeadlineRaw == Connection.never ? nil : Timestamp(milliseconds: closeDeadlineRaw) }
        set { closeDeadlineRaw = newValue?.milliseconds ?? Connection.never }
    }
    /// Set while this connection's output holds the others' input back (Server+Congestion).
    var congestionDeadline: Timestamp? {
        get { congestionDeadlineRaw == Connection.never ? nil : Timestamp(milliseconds: congestionDeadlineRaw) }
        set { congestionDeadlineRaw = newValue?.milliseconds ?? Connection.never }
    }
    // Stored as plain milliseconds (an `Optional` of 8 bytes takes 16 in a struct), and the
    // small fields last, so that they share one word: every open connection has a slot.
    private var closeDeadlineRaw = Connection.never
    private var congestionDeadlineRaw = Connection.never
    let fd: Int32
    /// The index of the listener that accepted it.
    let listener: UInt16
    /// The interest mask currently registered with epoll.
    var registeredMask: UInt32
    var keepAlive: UInt16 = 0
    var cleanStart = false
    /// Whether a successful CONNACK was sent (the client counts as connected in the log).
    var connected = false
    /// Its output did not drain in time: it holds nobody back until it has drained.
    var stalled = false
    /// Input interest withdrawn while another connection is congested.
    var inputPaused = false
    /// Its session's queue filled (`Broker.takeBacklogged`) and has not drained since.
    var backlogged = false
    /// The broker waits to hear that its output drained (`Broker.takeDrainRequests`).
    var drainRequested = false
    var state = State.open
    /// Set from the decoded CONNECT, before the next packet of the same read is decoded.
    var version: ProtocolVersion?
    /// Whether the connection is in this batch's list of connections to flush.
    var touched = false
    /// Whether its TLS identity was handed to the broker (`.identified`).
    var identified = false

    /// The raw value of an absent deadline (no clock reads this far in the past).
    private static let never = Int64.min

    init(id: ConnectionID, fd: Int32, peer: String, maximumPacketSize: UInt32, mask: UInt32,
         listener: UInt16 = 0, stream: StreamStack? = nil) {
        self.id = id
        self.fd = fd
        self.listener = listener
        self.stream = stream
        self.peer = peer
        self.decoder = FrameDecoder(maximumPacketSize: maximumPacketSize)
        self.registeredMask = mask
    }

    /// Bytes waiting to go out: written-through output plus MQTT bytes not sealed yet.
    var pendingOutput: Int { output.count - outputStart + (stream?.pending.count ?? 0) }
    /// Bytes ready for the socket (sealed by the stream layers).
    var pendingWire: Int { output.count - outputStart }

    /// The epoll interest this connection needs now: input while open, output while pending.
    var wantedMask: UInt32 {
        (state == .open && !inputPaused ? Epoll.readable : 0) | (pendingWire > 0 || deferred != nil ? Epoll.writable : 0)
    }

    /// What the output limits count: the output plus deferred bytes no window bounds.
    var limitedOutput: Int { pendingOutput + (deferred?.unboundedBytes ?? 0) }

    /// `p2, c1, k60` as mosquitto logs it (p1 = 3.1, p2 = 3.1.1, p5 = 5.0).
    var connectSummary: String {
        let p: Int
        switch version {
        case .v31: p = 1
        case .v311, nil: p = 2
        case .v5: p = 5
        }
        let user = username.map { ", u'\($0)'" } ?? ""
        return "p\(p), c\(cleanStart ? 1 : 0), k\(keepAlive)\(user)"
    }
}

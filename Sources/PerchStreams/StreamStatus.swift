/// What a stream layer says after it has taken bytes from the layer below.
///
/// A layer never touches a socket: it is handed the bytes that arrived and appends the
/// bytes for the layer above and the bytes to send back down. `close` asks the transport to
/// write what the layer appended to send (an HTTP error, a WebSocket close frame, a TLS
/// alert) and then to close the connection.
public enum StreamStatus: Sendable, Equatable {
    /// Keep reading.
    case open
    /// Write what is pending, then close; `reason` says why, for the log.
    case close(reason: String)
}

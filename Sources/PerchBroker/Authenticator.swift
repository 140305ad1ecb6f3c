import PerchCodec

/// Enhanced authentication (MQTT 5.0 §4.12): the embedder's hook for SASL-style exchanges.
///
///     CONNECT(method M, data d0) ─▶ begin(M) → exchange; exchange.step(d0)
///        .continue(c1) ─▶ AUTH 0x18 (M, c1) ─▶ client AUTH 0x18 (M, d1) ─▶ step(d1) ...
///        .success(s)   ─▶ CONNACK 0x00 (M, s)
///        .failure      ─▶ CONNACK 0x87, close
///     after CONNACK: client AUTH 0x19 (M, d) ─▶ begin(M) again ─▶ AUTH 0x18 rounds
///        .success(s)   ─▶ AUTH 0x00 (M, s)     .failure ─▶ DISCONNECT 0x87, close
///
/// `begin` returning nil means the method is not supported (CONNACK 0x8C). The broker keeps
/// the exchange with the connection and drops it when the connection ends.
public protocol Authenticator: Sendable {
    /// A new exchange for `method`, or nil when the method is not supported.
    func begin(method: String, clientID: String, username: String?) -> (any AuthenticationExchange)?
}

/// One authentication exchange, fed the client's Authentication Data of each round.
public protocol AuthenticationExchange: Sendable {
    mutating func step(_ data: [UInt8]?) -> AuthenticationStep
}

/// The outcome of one round.
public enum AuthenticationStep: Sendable, Hashable {
    /// More data is needed: send it to the client in AUTH 0x18 (Continue authentication).
    case `continue`([UInt8]?)
    /// Authenticated; optional final data for the CONNACK / AUTH 0x00.
    case success([UInt8]?)
    /// Not authorized (CONNACK / DISCONNECT 0x87).
    case failure
}

/// An authentication exchange in progress on one connection.
struct PendingAuthentication: Sendable {
    let method: String
    var exchange: any AuthenticationExchange
    /// The CONNECT waiting for the exchange to succeed; nil during re-authentication.
    var connect: Connect?
}

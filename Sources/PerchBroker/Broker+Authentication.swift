import PerchCodec

/// Enhanced authentication (v5 §4.12, §3.15): the AUTH exchange before CONNACK and
/// re-authentication after it, driven by the embedder's `Authenticator`.
extension Broker {
    /// CONNECT with an Authentication Method: start the exchange, or refuse 0x8C when no
    /// authenticator supports the method. [v5 MQTT-4.12.0-1]
    func beginAuthentication(_ connect: Connect, method: String, on id: ConnectionID) {
        guard let exchange = authenticator?.begin(method: method, clientID: connect.clientID,
                                                  username: connect.username) else {
            refuse(id, reason: .badAuthenticationMethod, connect: connect)
            return
        }
        let pending = PendingAuthentication(method: method, exchange: exchange, connect: connect)
        advance(pending, data: connect.properties.authenticationData, on: id)
    }

    /// Before CONNACK, during an exchange: only AUTH continues it; DISCONNECT ends the
    /// connection; anything else is a Protocol Error (client duty [v5 MQTT-3.1.2-30]),
    /// answered with CONNACK 0x82 since no DISCONNECT may precede CONNACK.
    func receivedDuringAuthentication(_ packet: Packet, on id: ConnectionID) {
        switch packet {
        case .auth(let auth): handleAuth(auth, on: id, client: nil)
        case .disconnect: closeSilently(id)
        case .connect, .connack, .publish, .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .suback,
             .unsubscribe, .unsuback, .pingreq, .pingresp:
            authenticationProtocolError(on: id)
        }
    }

    /// AUTH from the client: 0x18 continues the exchange in progress, 0x19 after CONNACK
    /// starts re-authentication. The method must be the one of the CONNECT, else Protocol
    /// Error (DISCONNECT 0x82) [v5 MQTT-4.12.0-5]; so is AUTH when CONNECT had no method.
    func handleAuth(_ auth: Auth, on id: ConnectionID, client: ConnectedClient?) {
        guard let connection = connections[id],
              let method = client?.authenticationMethod ?? connection.authentication?.method,
              auth.properties.authenticationMethod == method else {
            authenticationProtocolError(on: id)
            return
        }
        let data = auth.properties.authenticationData
        if auth.reason == .continueAuthentication, let pending = connection.authentication {
            advance(pending, data: data, on: id)
        } else if auth.reason == .reAuthenticate, client != nil, connection.authentication == nil,
                  let exchange = authenticator?.begin(method: method, clientID: sessionClientID(client),
                                                      username: client?.username) {
            advance(PendingAuthentication(method: method, exchange: exchange, connect: nil), data: data, on: id)
        } else {
            authenticationProtocolError(on: id)
        }
    }

    /// One round of the exchange and its answer: AUTH 0x18, or the outcome (CONNACK, AUTH
    /// 0x00, CONNACK / DISCONNECT 0x87). Every AUTH repeats the method. [v5 MQTT-4.12.0-2]
    /// [v5 MQTT-4.12.0-4] [v5 MQTT-4.12.0-5] [v5 MQTT-4.12.1-2]
    private func advance(_ pending: PendingAuthentication, data: [UInt8]?, on id: ConnectionID) {
        var pending = pending
        let step = pending.exchange.step(data)
        connections[id]?.authentication = nil
        switch step {
        case .continue(let challenge):
            connections[id]?.authentication = pending
            sendAuth(.continueAuthentication, method: pending.method, data: challenge, on: id)
        case .success(let final):
            if let connect = pending.connect {
                complete(connect, on: id, authentication: (pending.method, final))
            } else {
                sendAuth(.success, method: pending.method, data: final, on: id)
            }
        case .failure:
            if let connect = pending.connect {
                refuse(id, reason: .notAuthorized, connect: connect)
            } else {
                violation(.notAuthorized, on: id)
            }
        }
    }

    private func sendAuth(_ reason: ReasonCode, method: String, data: [UInt8]?, on id: ConnectionID) {
        var properties = Properties()
        properties.authenticationMethod = method
        properties.authenticationData = data
        let auth = Packet.auth(Auth(reason: reason, properties: properties))
        if let handle = connections[id]?.client?.session {
            sendFitted(auth, to: id, session: handle)
        } else {
            send(auth, to: id)
        }
    }

    /// Protocol Error in the AUTH flow: DISCONNECT 0x82 after CONNACK, CONNACK 0x82 before.
    private func authenticationProtocolError(on id: ConnectionID) {
        if connections[id]?.client != nil {
            violation(.protocolError, on: id)
        } else {
            refuse(id, reason: .protocolError, connect: connections[id]?.authentication?.connect)
        }
    }

    private func sessionClientID(_ client: ConnectedClient?) -> String {
        client.map { sessions[$0.session].clientID } ?? ""
    }
}

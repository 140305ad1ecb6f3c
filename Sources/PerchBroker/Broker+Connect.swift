import PerchCodec

/// CONNECT: refusal checks, enhanced authentication, client id assignment, takeover,
/// session continuation, CONNACK.
extension Broker {
    func accept(_ connect: Connect, on id: ConnectionID) {
        var connect = connect
        if let context = contexts[id], context.policy.usernameFromIdentity {
            // The certificate or PSK identity is the User Name, and the credential: the
            // CONNECT's own User Name and Password are replaced (mosquitto's
            // use_identity_as_username). No identity: refused as a bad user name.
            guard let identity = context.identity else {
                refuse(id, reason: .badUserNameOrPassword, connect: connect)
                return
            }
            connect.username = identity
            connect.password = nil
        }
        if let prefix = configuration.clientIDPrefix, !connect.clientID.utf8.starts(with: prefix.utf8) { // bytes, as mosquitto
            refuse(id, reason: .notAuthorized, connect: connect)
            return
        }
        if configuration.useUsernameAsClientID {
            guard let username = connect.username else {
                refuse(id, reason: .notAuthorized, connect: connect)
                return
            }
            connect.clientID = username
        }
        if let reason = refusal(of: connect, on: id) {
            refuse(id, reason: reason, connect: connect)
            return
        }
        if checkPassword(connect, on: id) { return } // .passwordChecked continues
        proceed(connect, on: id)
    }

    /// An acceptable, authenticated CONNECT: enhanced authentication if it asks for it,
    /// else the session and CONNACK.
    func proceed(_ connect: Connect, on id: ConnectionID) {
        if connect.version == .v5, let method = connect.properties.authenticationMethod {
            beginAuthentication(connect, method: method, on: id) // §4.12
            return
        }
        complete(connect, on: id, authentication: nil)
    }

    /// Accepts an authenticated CONNECT: the session, the CONNACK, then what the session
    /// has waiting. `authentication` is the method and final data of an AUTH exchange.
    func complete(_ connect: Connect, on id: ConnectionID, authentication: (method: String, data: [UInt8]?)?) {
        var clientID = connect.clientID
        var assigned: String?
        if clientID.isEmpty { // [MQTT-3.1.3-6] [v5 MQTT-3.1.3-7]
            repeat {
                assignedIDCounter += 1
                clientID = configuration.assignedClientIDPrefix + String(assignedIDCounter)
            } while sessions.handle(of: clientID) != nil // [v5 MQTT-3.2.2-16]
            assigned = clientID
        }
        if let existing = sessions.handle(of: clientID), let old = sessions[existing].connection {
            takeOver(old, newCleanStart: connect.cleanStart)
        }
        let (handle, present) = attachSession(clientID: clientID, connect: connect, connection: id)
        let keepAlive = effectiveKeepAlive(connect)
        connections[id]?.client = ConnectedClient(
            version: connect.version, session: handle,
            keepAliveMilliseconds: Int64(keepAlive) * 1000, lastActivity: now,
            will: connect.will,
            willDelay: connect.version == .v5 ? connect.will?.properties.willDelayInterval ?? 0 : 0,
            connectExpiryWasZero: (connect.properties.sessionExpiryInterval ?? 0) == 0,
            authenticationMethod: authentication?.method, username: connect.username)
        attachAccess(session: handle, on: id, clientID: clientID, username: connect.username)
        statisticsStorage.connectedClients += 1
        out.append(.accepted(id, AcceptedClient(clientID: clientID, username: connect.username, version: connect.version,
                                                cleanStart: connect.cleanStart, keepAlive: connect.keepAlive)))
        var properties = connackProperties(connect, clientID: clientID, assigned: assigned, keepAlive: keepAlive)
        properties.authenticationMethod = authentication?.method // [v5 MQTT-4.12.0-5] [v5 MQTT-4.12.0-6]
        properties.authenticationData = authentication?.data
        send(.connack(ConnAck(sessionPresent: present, reason: .success, properties: properties)), to: id)
        if keepAlive > 0 {
            scheduleKeepAliveCheck(id, due: now.adding(milliseconds: Int64(keepAlive) * 1500))
        }
        if present { resendInflight(handle) } // [MQTT-4.4.0-1] [v5 MQTT-4.4.0-1]
        refillRetainedBudget(handle) // a drain the old connection waited for will not come
        pump(handle)
    }

    /// The CONNACK reason refusing this CONNECT, or nil to accept it.
    private func refusal(of connect: Connect, on id: ConnectionID) -> ReasonCode? {
        switch configuration.redirect { // v5 §4.11: 0x9C / 0x9D with Server Reference
        case .none: break
        case .useAnotherServer: return .useAnotherServer
        case .serverMoved: return .serverMoved
        }
        if connect.version == .v31 && connect.clientID.utf8.count > 23 { return .clientIdentifierNotValid }
        if connect.clientID.isEmpty {
            // MQTT 3.1 has no zero-length ids (mosquitto refuses them too). [MQTT-3.1.3-9]
            guard configuration.allowZeroLengthClientID, connect.version != .v31 else { return .clientIdentifierNotValid }
            if connect.version != .v5 && !connect.cleanStart { return .clientIdentifierNotValid } // [MQTT-3.1.3-8]
        }
        if !realms[realm(of: id)].allowAnonymous && connect.username == nil { return .notAuthorized }
        // A Will it may not publish: refused (v5 0x87, 3.1.1 0x05), as mosquitto does.
        if !mayPublishWill(connect, on: id) { return .notAuthorized }
        if connect.version != .v5 && configuration.maxKeepalive < UInt16.max
            && connect.keepAlive > configuration.maxKeepalive {
            return .clientIdentifierNotValid // mosquitto 2 refuses 3.1.1 clients above max_keepalive
        }
        if connect.version == .v5, let will = connect.will {
            if will.qos > configuration.maximumQoS { return .qosNotSupported } // [v5 MQTT-3.2.2-12]
            if will.retain && !configuration.retainAvailable { return .retainNotSupported } // [v5 MQTT-3.2.2-13]
            if let responseTopic = will.properties.responseTopic, !isTopicName(responseTopic) {
                return .protocolError // a Will's Response Topic is a Topic Name too (§3.1.3.2.5)
            }
        }
        return nil
    }

    /// The keep alive the broker enforces: the client's, or v5 Server Keep Alive.
    private func effectiveKeepAlive(_ connect: Connect) -> UInt16 {
        let maximum = configuration.maxKeepalive
        guard connect.version == .v5, maximum < UInt16.max else { return connect.keepAlive }
        if connect.keepAlive == 0 || connect.keepAlive > maximum { return maximum }
        return connect.keepAlive
    }

    /// Finds or creates the session; returns its handle and Session Present.
    private func attachSession(clientID: String, connect: Connect, connection: ConnectionID) -> (Int, Bool) {
        var present = false
        var handle: Int
        if let existing = sessions.handle(of: clientID), !connect.cleanStart {
            handle = existing // [MQTT-3.1.2-4] [v5 MQTT-3.1.2-5]
            present = true // [MQTT-3.2.2-2] [v5 MQTT-3.2.2-3]
            sessions[handle].delayedWill = nil // [v5 MQTT-3.1.3-9]
            sessions[handle].willDueAt = nil
            sessions[handle].expiresAt = nil
        } else {
            // [MQTT-3.1.2-6] [v5 MQTT-3.1.2-4]; the old session ends, so a Will still waiting for
            // its delay is published now (v5 §3.1.3.2.2: delay or session end, whichever first).
            if let existing = sessions.handle(of: clientID) { endSession(existing, publishWill: true) }
            handle = sessions.create(clientID: clientID, version: connect.version)
        }
        let interval: UInt32
        if connect.version == .v5 {
            interval = connect.properties.sessionExpiryInterval ?? 0 // [v5 MQTT-3.1.2-23]
        } else {
            interval = connect.cleanStart ? 0 : UInt32.max // 3.1.1 sessions without Clean Session never expire
        }
        let maxInflight = configuration.maxInflightMessages > 0 ? configuration.maxInflightMessages : 65535
        noteDurable(handle) // a continued persistent session may stop being one
        sessions[handle].version = connect.version
        sessions[handle].connection = connection
        sessions[handle].expiryInterval = interval
        sessions[handle].window = min(maxInflight, Int(connect.properties.receiveMaximum ?? 65535))
        sessions[handle].maximumPacketSize = connect.version == .v5 ? connect.properties.maximumPacketSize ?? 0 : 0
        sessions[handle].problemInformation = connect.properties.requestProblemInformation != 0 // [v5 MQTT-3.1.2-29]
        sessions[handle].outboundAliases.removeAll() // aliases live as long as one network connection
        sessions[handle].outboundAliasLimit = connect.version == .v5
            ? min(configuration.outboundTopicAliasMaximum, connect.properties.topicAliasMaximum ?? 0) : 0 // [v5 MQTT-3.1.2-27]
        noteDurable(handle)
        return (handle, present)
    }

    /// CONNACK properties: only what the broker really does.
    private func connackProperties(_ connect: Connect, clientID: String, assigned: String?, keepAlive: UInt16) -> Properties {
        var properties = Properties()
        guard connect.version == .v5 else { return properties }
        if configuration.receiveMaximum < UInt16.max { properties.receiveMaximum = configuration.receiveMaximum }
        if configuration.maximumQoS < .exactlyOnce { properties.maximumQoS = configuration.maximumQoS.rawValue }
        if !configuration.retainAvailable { properties.retainAvailable = 0 }
        if configuration.maxPacketSize > 0 { properties.maximumPacketSize = configuration.maxPacketSize }
        if configuration.topicAliasMaximum > 0 { properties.topicAliasMaximum = configuration.topicAliasMaximum }
        properties.wildcardSubscriptionAvailable = configuration.wildcardSubscriptionAvailable ? 1 : 0
        properties.subscriptionIdentifierAvailable = configuration.subscriptionIdentifierAvailable ? 1 : 0
        properties.sharedSubscriptionAvailable = configuration.sharedSubscriptionAvailable ? 1 : 0
        if keepAlive != connect.keepAlive { properties.serverKeepAlive = keepAlive } // v5 §3.2.2.3.14 Server Keep Alive
        properties.assignedClientIdentifier = assigned // [v5 MQTT-3.2.2-16]
        if connect.properties.requestResponseInformation == 1, let prefix = configuration.responseInformation {
            properties.responseInformation = prefix + clientID // only when asked [v5 MQTT-3.1.2-28]
        }
        return properties
    }

    /// Publishes a Will as the message it becomes: Will Delay stripped, its Message Expiry
    /// Interval counted from now (v5 §3.1.3.2.4), QoS capped at the maximum.
    func publishWill(_ will: Will, origin: String) {
        var properties = will.properties
        properties.willDelayInterval = nil
        let expiry = properties.messageExpiryInterval.map { now.adding(seconds: Int64($0)) }
        let qos = min(will.qos, configuration.maximumQoS)
        route(Message(topic: will.topic, payload: will.payload, qos: qos, retain: will.retain,
                      properties: properties, expiry: expiry, origin: origin))
    }

    /// DISCONNECT from the client: v5 may change the Session Expiry Interval; a normal
    /// disconnection discards the Will [MQTT-3.14.4-3] [v5 MQTT-3.14.4-3], any other code keeps it.
    func handleDisconnect(_ disconnect: Disconnect, on id: ConnectionID, client: ConnectedClient) {
        if client.version == .v5, let interval = disconnect.properties.sessionExpiryInterval {
            if client.connectExpiryWasZero && interval != 0 {
                violation(.protocolError, on: id) // §3.14.2.2.2
                return
            }
            noteDurable(client.session)
            sessions[client.session].expiryInterval = interval
        }
        // Only a normal disconnection (0x00) deletes the Will: 0x04 and every error code
        // leave it to be published. [v5 MQTT-3.1.2-8] [v5 MQTT-3.1.2-10]
        let keepWill = client.version == .v5 && disconnect.reason != .success
        close(id, will: keepWill ? .publish : .discard, notify: true)
    }
}

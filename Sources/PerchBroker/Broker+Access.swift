import PerchCodec

/// Access control in the core: passwords checked off the loop (the CONNECT waits), the ACL
/// evaluated for every PUBLISH, Will, SUBSCRIBE and delivery.
///
///     CONNECT with User Name, realm checks passwords ─▶ .checkPassword ─▶ (transport, worker)
///        ◀─ .passwordChecked(true)  ─▶ accept as usual, then the packets held behind it
///        ◀─ .passwordChecked(false) ─▶ CONNACK 0x86 (3.1.1: 0x04), close
///     accepted ─▶ the session's rights: its realm's ACL resolved for its client id and User Name
///     .accessChanged ─▶ every session's rights resolved again
///
/// A session restored from disk has no rights until its client connects again: what is
/// queued for it meanwhile is filtered by the rights it then gets.
extension Broker {
    /// The realm of a connection's listener.
    func realm(of id: ConnectionID) -> Int {
        let index = contexts[id]?.policy.realm ?? 0
        return index < realms.count ? index : 0
    }

    /// Packets a connection may send behind a CONNECT whose password is being checked.
    static let heldPacketLimit = 64

    /// Starts the password check of an otherwise acceptable CONNECT, or returns false when
    /// none is needed.
    func checkPassword(_ connect: Connect, on id: ConnectionID) -> Bool {
        let realm = realm(of: id)
        guard realms[realm].checksPasswords, let username = connect.username,
              contexts[id]?.policy.usernameFromIdentity != true else { return false }
        connections[id]?.passwordCheck = PendingPassword(connect: connect)
        out.append(.checkPassword(id, PasswordCheck(realm: realm, clientID: connect.clientID, username: username,
                                                    password: connect.password)))
        return true
    }

    /// A packet that arrived while the connection's password is checked: held (bounded), or
    /// the connection ends (DISCONNECT, too many).
    func receivedDuringPasswordCheck(_ packet: Packet, pending: PendingPassword, on id: ConnectionID) {
        if case .disconnect = packet { closeSilently(id); return }
        guard pending.held.count < Self.heldPacketLimit else { closeSilently(id); return }
        var pending = pending
        pending.held.append(packet)
        connections[id]?.passwordCheck = pending
    }

    func passwordChecked(_ id: ConnectionID, valid: Bool) {
        guard let pending = connections[id]?.passwordCheck else { return } // gone, or answered
        connections[id]?.passwordCheck = nil
        guard valid else {
            refuse(id, reason: .badUserNameOrPassword, connect: pending.connect)
            return
        }
        proceed(pending.connect, on: id)
        for packet in pending.held {
            guard connections[id] != nil else { return }
            received(packet, on: id)
        }
    }

    /// Whether the realm's ACL lets a CONNECT's Will be published.
    func mayPublishWill(_ connect: Connect, on id: ConnectionID) -> Bool {
        guard let will = connect.will else { return true }
        if let acl = realms[realm(of: id)].acl,
           !acl.rights(clientID: connect.clientID, username: connect.username).mayWrite(will.topic.string) {
            return false
        }
        if let authorizer, !authorizer.mayPublish(clientID: connect.clientID, username: connect.username,
                                                   topic: will.topic.string) {
            return false
        }
        return true
    }

    /// Resolves the accepted client's rights; filters what was queued for the session under
    /// other rights or none (restored from disk).
    func attachAccess(session handle: Int, on id: ConnectionID, clientID: String, username: String?) {
        guard hasACL else { return }
        let realm = realm(of: id)
        let previous = handle < sessionAccess.count ? sessionAccess[handle] : nil
        setAccess(SessionAccess(realm: realm, username: username,
                                rights: rights(realm: realm, clientID: clientID, username: username)), session: handle)
        // Queued under no rights (restored) or another user's (the same client id, someone
        // else's login): judged again by this client's.
        if previous == nil || previous?.username != username || previous?.realm != realm,
           let access = sessionAccess[handle] {
            let denied = sessions[handle].queue.extract { !access.rights.mayRead($0.message.topic.string) }
            statisticsStorage.deniedDeliveries += denied.count
        }
    }

    func detachAccess(session handle: Int) {
        if handle < sessionAccess.count {
            sessionAccess[handle] = nil
            sessionRules[handle] = .allowAll
        }
    }

    /// `.accessChanged`: new realms; every session's rights resolved again.
    func changeAccess(_ newRealms: [AccessRealm]) {
        realms = newRealms.isEmpty ? [AccessRealm(allowAnonymous: configuration.allowAnonymous)] : newRealms
        hasACL = realms.contains { $0.acl != nil }
        guard hasACL else {
            sessionAccess = []
            sessionRules = []
            return
        }
        var known = sessionAccess
        for id in connections.keys {
            guard let client = connections[id]?.client else { continue }
            if client.session >= known.count { known += repeatElement(nil, count: client.session + 1 - known.count) }
            known[client.session] = SessionAccess(realm: realm(of: id), username: client.username,
                                                  rights: .unrestricted)
        }
        sessionAccess = []
        sessionRules = []
        for (handle, entry) in known.enumerated() {
            guard var entry, handle < sessions.slots.count, sessions.slots[handle] != nil else { continue }
            if entry.realm >= realms.count { entry.realm = 0 }
            entry.rights = rights(realm: entry.realm, clientID: sessions[handle].clientID, username: entry.username)
            setAccess(entry, session: handle)
        }
    }

    /// Whether the session's client may receive a message on `topic` (ACL and authorizer).
    func mayRead(_ topic: TopicName, session handle: Int) -> Bool {
        // Borrowed in place: no copy of the session's rules per delivery.
        if hasACL, handle < sessionRules.count,
           !sessionRules.withUnsafeBufferPointer({ $0[handle].allows(topic.string, write: false) }) {
            return false
        }
        if let authorizer {
            let username = sessions[handle].connection.flatMap { connections[$0]?.client?.username }
                ?? (handle < sessionAccess.count ? sessionAccess[handle]?.username : nil)
            return authorizer.mayRead(clientID: sessions[handle].clientID, username: username, topic: topic.string)
        }
        return true
    }

    func mayWrite(_ topic: TopicName, client: ConnectedClient) -> Bool {
        guard hasACL, client.session < sessionRules.count else { return true }
        return sessionRules.withUnsafeBufferPointer { $0[client.session].allows(topic.string, write: true) }
    }

    func maySubscribe(_ filter: String, client: ConnectedClient) -> Bool {
        guard hasACL, client.session < sessionAccess.count, let access = sessionAccess[client.session] else { return true }
        return access.rights.maySubscribe(filter)
    }

    private func rights(realm: Int, clientID: String, username: String?) -> AccessRights {
        realms[realm].acl?.rights(clientID: clientID, username: username) ?? .unrestricted
    }

    private func setAccess(_ access: SessionAccess, session handle: Int) {
        if handle >= sessionAccess.count {
            sessionAccess += repeatElement(nil, count: handle + 1 - sessionAccess.count)
            sessionRules += repeatElement(.allowAll, count: handle + 1 - sessionRules.count)
        }
        sessionAccess[handle] = access
        sessionRules[handle] = access.rights.compiled
    }
}

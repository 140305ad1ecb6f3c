import CMosquitto
import Foundation

/// A real libmosquitto client for interop tests: libmosquitto's own network thread
/// (`mosquitto_loop_start`) drives it; every callback is recorded and the test thread waits
/// on a condition for the event it expects (never a sleep).
final class MosquittoClient: @unchecked Sendable {
    struct Received: Equatable {
        var topic: String
        var payload: [UInt8]
        var qos: Int32
        var retain: Bool
        var userProperties: [String: String] = [:]
        var subscriptionIDs: [UInt32] = []
    }

    let mosq: OpaquePointer
    private let condition = NSCondition()
    private var connack: (rc: Int32, flags: Int32)?
    private var subacks: [Int32: [Int32]] = [:]
    private var completed: [Int32: Int32] = [:]   // mid -> reason
    private var disconnectRC: Int32?
    private(set) var messages: [Received] = []
    let version: Int32

    /// `version`: 3 (MQTT 3.1), 4 (3.1.1) or 5.
    init(id: String?, cleanSession: Bool = true, version: Int32 = 4) {
        _ = MosquittoClient.libraryInitialised
        self.version = version
        mosq = mosquitto_new(id, cleanSession, nil)!
        mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION,
                             version == 5 ? MQTT_PROTOCOL_V5 : (version == 3 ? MQTT_PROTOCOL_V31 : MQTT_PROTOCOL_V311))
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        installCallbacks()
    }

    deinit {
        mosquitto_loop_stop(mosq, true)
        mosquitto_destroy(mosq)
    }

    private static let libraryInitialised: Bool = { mosquitto_lib_init(); return true }()

    private static func client(_ obj: UnsafeMutableRawPointer?) -> MosquittoClient {
        Unmanaged<MosquittoClient>.fromOpaque(obj!).takeUnretainedValue()
    }

    private func record(_ body: (MosquittoClient) -> Void) {
        condition.lock()
        body(self)
        condition.broadcast()
        condition.unlock()
    }

    private func installCallbacks() {
        mosquitto_connect_v5_callback_set(mosq) { _, obj, rc, flags, _ in
            MosquittoClient.client(obj).record { $0.connack = (rc, flags) }
        }
        mosquitto_subscribe_v5_callback_set(mosq) { _, obj, mid, count, granted, _ in
            let codes = (0..<Int(count)).map { granted![$0] }
            MosquittoClient.client(obj).record { $0.subacks[mid] = codes }
        }
        mosquitto_publish_v5_callback_set(mosq) { _, obj, mid, reason, _ in
            MosquittoClient.client(obj).record { $0.completed[mid] = reason }
        }
        mosquitto_disconnect_v5_callback_set(mosq) { _, obj, rc, _ in
            MosquittoClient.client(obj).record { $0.disconnectRC = rc }
        }
        mosquitto_message_v5_callback_set(mosq) { _, obj, message, props in
            guard let m = message?.pointee else { return }
            let payload = m.payloadlen > 0
                ? Array(UnsafeRawBufferPointer(start: m.payload, count: Int(m.payloadlen))) : []
            var received = Received(topic: String(cString: m.topic), payload: payload, qos: m.qos, retain: m.retain)
            MosquittoClient.readProperties(props, into: &received)
            MosquittoClient.client(obj).record { $0.messages.append(received) }
        }
    }

    private static func readProperties(_ props: OpaquePointer?, into received: inout Received) {
        var name: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<CChar>?
        var cursor = mosquitto_property_read_string_pair(props, Int32(MQTT_PROP_USER_PROPERTY.rawValue), &name, &value, false)
        while cursor != nil {
            received.userProperties[String(cString: name!)] = String(cString: value!)
            free(name); free(value)
            cursor = mosquitto_property_read_string_pair(cursor, Int32(MQTT_PROP_USER_PROPERTY.rawValue), &name, &value, true)
        }
        var id: UInt32 = 0
        var idCursor = mosquitto_property_read_varint(props, Int32(MQTT_PROP_SUBSCRIPTION_IDENTIFIER.rawValue), &id, false)
        while idCursor != nil {
            received.subscriptionIDs.append(id)
            idCursor = mosquitto_property_read_varint(idCursor, Int32(MQTT_PROP_SUBSCRIPTION_IDENTIFIER.rawValue), &id, true)
        }
    }

    /// Waits until `ready` holds (evaluated under the lock) or the timeout passes.
    @discardableResult
    private func wait(seconds: Double = 5, until ready: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !ready() {
            if !condition.wait(until: deadline) { return ready() }
        }
        return true
    }

    func setWill(topic: String, payload: String, qos: Int32 = 0, retain: Bool = false) {
        let bytes = Array(payload.utf8)
        let rc = mosquitto_will_set(mosq, topic, Int32(bytes.count), bytes, qos, retain)
        precondition(rc == MOSQ_ERR_SUCCESS.rawValue, "will_set failed: \(rc)")
    }

    func setCredentials(username: String, password: String?) {
        mosquitto_username_pw_set(mosq, username, password)
    }

    /// Connects and starts the network thread; returns the CONNACK code (nil: none came).
    /// `sessionExpiry` (MQTT 5 only) sets the Session Expiry Interval property.
    func connect(port: UInt16, keepalive: Int32 = 60, sessionExpiry: UInt32? = nil) -> Int32? {
        var props: OpaquePointer? = nil
        if version == 5, let expiry = sessionExpiry {
            mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), expiry)
        }
        defer { mosquitto_property_free_all(&props) }
        let rc = mosquitto_connect_bind_v5(mosq, "127.0.0.1", Int32(port), keepalive, nil, props)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { return nil }
        mosquitto_loop_start(mosq)
        wait { connack != nil || disconnectRC != nil }
        condition.lock(); defer { condition.unlock() }
        return connack?.rc
    }

    var sessionPresent: Bool {
        condition.lock(); defer { condition.unlock() }
        return (connack?.flags ?? 0) & 1 == 1
    }

    /// Subscribes and waits for the SUBACK; returns the granted codes.
    func subscribe(_ filter: String, qos: Int32, subscriptionID: UInt32? = nil) -> [Int32]? {
        var mid: Int32 = 0
        var props: OpaquePointer? = nil
        if let id = subscriptionID {
            mosquitto_property_add_varint(&props, Int32(MQTT_PROP_SUBSCRIPTION_IDENTIFIER.rawValue), id)
        }
        defer { mosquitto_property_free_all(&props) }
        let rc = version == 5
            ? mosquitto_subscribe_v5(mosq, &mid, filter, qos, 0, props)
            : mosquitto_subscribe(mosq, &mid, filter, qos)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { return nil }
        wait { subacks[mid] != nil }
        condition.lock(); defer { condition.unlock() }
        return subacks[mid]
    }

    /// Publishes and waits until libmosquitto reports the flow complete (QoS 0: written;
    /// QoS 1: PUBACK; QoS 2: PUBCOMP). Returns the v5 reason (0 for 3.1.1), nil on timeout.
    @discardableResult
    func publish(_ topic: String, _ payload: String, qos: Int32, retain: Bool = false,
                 userProperties: [(String, String)] = []) -> Int32? {
        var mid: Int32 = 0
        let bytes = Array(payload.utf8)
        var props: OpaquePointer? = nil
        for (name, value) in userProperties {
            mosquitto_property_add_string_pair(&props, Int32(MQTT_PROP_USER_PROPERTY.rawValue), name, value)
        }
        defer { mosquitto_property_free_all(&props) }
        let rc = version == 5
            ? mosquitto_publish_v5(mosq, &mid, topic, Int32(bytes.count), bytes, qos, retain, props)
            : mosquitto_publish(mosq, &mid, topic, Int32(bytes.count), bytes, qos, retain)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { return nil }
        wait { completed[mid] != nil }
        condition.lock(); defer { condition.unlock() }
        return completed[mid]
    }

    /// Waits for at least `count` messages; returns all received so far.
    func waitForMessages(_ count: Int, seconds: Double = 5) -> [Received] {
        wait(seconds: seconds) { messages.count >= count }
        condition.lock(); defer { condition.unlock() }
        return messages
    }

    /// Waits until the broker ends the connection; returns libmosquitto's disconnect code.
    func waitForDisconnect(seconds: Double = 5) -> Int32? {
        wait(seconds: seconds) { disconnectRC != nil }
        condition.lock(); defer { condition.unlock() }
        return disconnectRC
    }

    /// Sends DISCONNECT and waits for libmosquitto to report it.
    func disconnect() {
        mosquitto_disconnect(mosq)
        wait { disconnectRC != nil }
        mosquitto_loop_stop(mosq, false)
    }

    /// Drops the TCP connection without DISCONNECT (so the broker publishes the Will).
    func dropConnection() {
        mosquitto_loop_stop(mosq, true)
        shutdown(mosquitto_socket(mosq), Int32(SHUT_RDWR))
    }
}

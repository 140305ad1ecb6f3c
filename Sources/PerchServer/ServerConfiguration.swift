import Logging
import PerchBroker
import PerchStore
import PerchStreams

/// Everything a `Server` needs to run: where to listen, the broker's limits, persistence,
/// connection limits and logging. The defaults are Perch's no-config-file defaults:
/// localhost on 1883 (IPv4 and IPv6), anonymous clients allowed, retained messages kept in
/// `./perch-data`. `ConfigFile` builds one from a mosquitto.conf-style file.
public struct ServerConfiguration: Sendable, Hashable {
    /// One listener: a TCP address and port, or a Unix domain socket, with the stream
    /// layers its connections speak (plain MQTT, WebSocket, TLS under either) and the
    /// per-listener options of mosquitto.conf. `address` is a numeric IPv4 or IPv6 address
    /// (`127.0.0.1`, `::1`, `0.0.0.0`, `::`); port 0 asks the kernel for a free port (tests).
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        /// What the connections speak above TCP (or TLS): `protocol mqtt|websockets`.
        public enum Transport: String, Sendable, Hashable {
            case mqtt
            case websockets
        }
        /// Where the User Name of `ListenerPolicy.usernameFromIdentity` comes from.
        public enum Identity: Sendable, Hashable {
            /// The CONNECT's own User Name.
            case none
            /// `use_identity_as_username`: the client certificate's CN, or the PSK identity.
            case commonName
            /// `use_subject_as_username`: the client certificate's subject (RFC 2253 form).
            case subject
        }

        public var address: String
        public var port: UInt16
        /// `listener 0 /path`: a Unix domain socket at this path (address and port unused).
        /// A stale socket file there is replaced at start; the file is removed at shutdown.
        public var unixSocketPath: String?
        public var `protocol` = Transport.mqtt
        /// TLS under the protocol (`certfile`, `cafile`, `psk_hint`, ...); nil: plain.
        public var tls: TLSConfiguration?
        public var identity = Identity.none
        /// `mount_point`.
        public var mountPoint: String?
        /// `max_connections` of this listener (-1: no limit of its own).
        public var maxConnections = -1
        /// `bind_interface`: bind to this network interface only (SO_BINDTODEVICE).
        public var bindInterface: String?
        /// The index in `accessRealms` of this listener's access rules: 0, the global ones,
        /// unless `per_listener_settings true` gave it its own.
        public var realm = 0
        /// The `psk_file` of this listener under `per_listener_settings true`, re-read on
        /// SIGHUP; nil: the global `ServerConfiguration.pskFile`.
        public var pskFile: String?

        public init(address: String, port: UInt16) {
            self.address = address
            self.port = port
        }

        /// A Unix domain socket listener at `path`.
        public init(unixSocketPath path: String) {
            self.address = ""
            self.port = 0
            self.unixSocketPath = path
        }

        public var description: String {
            if let unixSocketPath { return unixSocketPath }
            return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        }

        /// The policy the broker applies to this listener's clients.
        public var policy: ListenerPolicy {
            ListenerPolicy(mountPoint: mountPoint, usernameFromIdentity: identity != .none, realm: realm)
        }

        /// `(websockets)`, `(TLS)`, `(websockets, TLS)` or nothing, for the start-up log.
        var layersDescription: String {
            switch (`protocol`, tls != nil) {
            case (.mqtt, false): return ""
            case (.mqtt, true): return " (TLS)"
            case (.websockets, false): return " (websockets)"
            case (.websockets, true): return " (websockets, TLS)"
            }
        }
    }

    /// Where log lines go (`log_dest`).
    public enum LogDestination: Sendable, Hashable {
        case stdout
        case stderr
    }

    public var listeners: [Listener] = [
        Listener(address: "127.0.0.1", port: 1883),
        Listener(address: "::1", port: 1883),
    ]
    public var broker = BrokerConfiguration()
    /// `persistence`: keep retained messages in `persistenceLocation`.
    public var persistence = true
    /// `persistence_location`: the data directory (holds `perch.db`).
    public var persistenceLocation = "./perch-data"
    /// `autosave_interval`: with `persistence_sync interval`, seconds between fsyncs.
    public var autosaveInterval: Int64 = 1800
    /// `persistence_sync`: `always` acknowledges only after fsync (the default);
    /// `interval` fsyncs every `autosaveInterval` seconds (a crash loses what came since).
    public var persistenceSync = FileStore.SyncPolicy.always
    /// `persistence_compaction_bytes`: compact once the log holds this many bytes (and more
    /// than the last snapshot). Perch-only; tests make it small to compact constantly.
    public var persistenceCompactionBytes = 4 << 20
    /// `perch --recover`: start on damaged data files, keeping every valid record.
    public var recover = false
    /// `max_connections`: connections beyond this are accepted and closed at once
    /// (-1: limited only by the file-descriptor limit).
    public var maxConnections = -1
    /// The most verbose level logged (`log_type`); nil logs nothing (`log_type none`).
    /// The server logs through the `Logger` it is given; the `perch` executable builds
    /// that logger from this and `logDestination`.
    public var logLevel: Logger.Level? = .info
    /// `websockets_headers_size`: the largest WebSocket handshake request accepted (bytes).
    public var websocketsHeadersSize = 4096
    /// `log_dest`.
    public var logDestination = LogDestination.stderr
    /// `connection_messages`: log clients connecting and disconnecting.
    public var connectionMessages = true
    /// Access rules by realm (`Listener.realm`); realm 0 is global. Empty: realm 0 is
    /// `broker.allowAnonymous` with no password or ACL file.
    public var accessRealms: [AccessFiles] = []
    /// `psk_file`, re-read on SIGHUP for the listeners with `psk_hint` and no `pskFile` of
    /// their own (read at parse time into their `TLSConfiguration.pskKeys`).
    public var pskFile: String?
    /// Pending output per connection above which QoS 0 PUBLISH packets to it are dropped.
    public var outputSoftLimit = 1 << 20
    /// Pending output per connection above which the connection is closed.
    public var outputHardLimit = 8 << 20
    /// Milliseconds a connection whose output passed half the soft limit may hold the other
    /// connections' input back (back-pressure) before it counts as stalled.
    public var congestionPause: Int64 = 250
    /// Milliseconds a connection the broker closed may take to read its last packets
    /// (a DISCONNECT, say) before the socket is closed anyway.
    public var closeTimeout: Int64 = 10_000

    public init() {}
}

/// One realm's access settings as mosquitto.conf names them: `allow_anonymous`,
/// `password_file`, `acl_file`. The server reads the files at start and on SIGHUP.
public struct AccessFiles: Sendable, Hashable {
    public var allowAnonymous: Bool
    /// A mosquitto_passwd file; nil: User Names are not checked.
    public var passwordFile: String?
    /// A mosquitto ACL file; nil: everything is allowed.
    public var aclFile: String?

    public init(allowAnonymous: Bool, passwordFile: String? = nil, aclFile: String? = nil) {
        self.allowAnonymous = allowAnonymous
        self.passwordFile = passwordFile
        self.aclFile = aclFile
    }
}

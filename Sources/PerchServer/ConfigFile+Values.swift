extension ConfigFile {
    func single(_ args: [String]) throws(ConfigError) -> String {
        guard args.count == 1 else {
            throw error(args.isEmpty ? "missing value" : "expected one value, got \(args.count)")
        }
        return args[0]
    }

    /// mosquitto booleans: exactly `true` or `false`.
    func bool(_ args: [String]) throws(ConfigError) -> Bool {
        switch try single(args) {
        case "true": return true
        case "false": return false
        case let other: throw error("'\(other)' is not true or false")
        }
    }

    func integer(_ args: [String], _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try single(args)
        guard let value = Int(text) else { throw error("'\(text)' is not an integer") }
        guard range.contains(value) else {
            throw error("\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func port(_ text: String) throws(ConfigError) -> UInt16 {
        guard let value = Int(text), (0...65535).contains(value) else {
            throw error("'\(text)' is not a port number (0-65535)")
        }
        return UInt16(value)
    }

    /// Directives mosquitto 2 knows that Perch does not implement yet.
    static func isMosquittoDirective(_ name: String) -> Bool {
        let prefixes = ["auth_opt_", "plugin_opt_", "bridge_", "remote_", "local_", "websockets_"]
        return mosquittoDirectives.contains(name) || prefixes.contains { name.hasPrefix($0) }
    }

    static let mosquittoDirectives: Set<String> = [
        "address", "allow_duplicate_messages", "auth_plugin", "auth_plugin_deny_special_chars",
        "autosave_on_changes", "bind_address", "bind_interface", "cafile", "capath", "certfile",
        "check_retain_source", "cleansession", "clientid", "connection",
        "connection_messages_timestamp", "crlfile", "dhparamfile", "enable_control_api",
        "global_max_clients", "global_max_connections", "http_dir", "idle_timeout", "include_dir",
        "keepalive_interval", "keyfile", "log_facility", "log_timestamp", "log_timestamp_format",
        "max_inflight_bytes", "memory_limit", "mount_point", "notifications", "notifications_local_only",
        "notification_topic", "persistence_file", "persistent_client_expiration",
        "pid_file", "plugin", "protocol", "psk_file", "psk_hint", "queue_qos0_messages",
        "require_certificate", "restart_timeout", "round_robin", "set_tcp_nodelay", "socket_domain",
        "start_type", "sys_interval", "threshold", "tls_engine", "tls_engine_kpass_sha1",
        "tls_keyform", "tls_version", "topic", "try_private", "upgrade_outgoing_qos",
        "use_identity_as_username", "use_subject_as_username", "user",
        "accept_protocol_versions", "disable_client_cert_date_checks", "listener_allow_anonymous",
        "listener_auto_id_prefix", "retry_interval",
        "store_clean_interval",
    ]
}

import PerchStreams

/// Listener sections: `listener PORT [ADDRESS]` opens one, and the per-listener directives
/// after it (until the next `listener`) apply to it, as in mosquitto. A `listener` without
/// an address is two sockets (IPv4 and IPv6, `socket_domain` keeps one); both get the
/// section's options.
extension ConfigFile {
    /// One `listener` line and what followed it.
    struct Section {
        /// The listeners (in `configuration.listeners`) this section configures.
        var range: Range<Int>
        let line: Int
        /// The line each TLS directive was given on, to name it when the TLS set-up fails.
        var lines: [String: Int] = [:]
    }

    mutating func listener(_ args: [String]) throws(ConfigError) {
        guard args.count == 1 || args.count == 2 else { throw error("expected PORT [ADDRESS]") }
        let port = try self.port(args[0])
        if args.count == 2, args[1].contains("/") {
            guard port == 0 else { throw error("a Unix socket listener takes port 0: listener 0 \(args[1])") }
            sawListener = true
            sections.append(Section(range: configuration.listeners.count..<configuration.listeners.count + 1, line: line))
            configuration.listeners.append(ServerConfiguration.Listener(unixSocketPath: args[1]))
            return
        }
        if args.count == 2 {
            guard Address.isNumeric(args[1]) || args[1] == "localhost" else {
                throw error("'\(args[1])' is not a numeric IPv4 or IPv6 address or a socket path")
            }
        }
        addListeners(port: port, address: args.count == 2 ? args[1] : nil)
    }

    /// No address: every interface, IPv4 and IPv6 (as mosquitto). `localhost`: both loopbacks.
    mutating func addListeners(port: UInt16, address: String?) {
        sawListener = true
        let addresses: [String]
        switch address {
        case nil: addresses = ["0.0.0.0", "::"]
        case "localhost": addresses = ["127.0.0.1", "::1"]
        case let address?: addresses = [address]
        }
        let start = configuration.listeners.count
        for address in addresses {
            configuration.listeners.append(ServerConfiguration.Listener(address: address, port: port))
        }
        sections.append(Section(range: start..<configuration.listeners.count, line: line))
    }

    /// Applies `change` to every listener of the current section (the directive must follow
    /// a `listener` line).
    mutating func forSection(_ change: (inout ServerConfiguration.Listener) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let section = sections.last else { throw error("must follow a listener line (it is a per-listener option)") }
        for index in section.range { try change(&configuration.listeners[index]) }
    }

    /// A TLS directive: creates the section's TLS settings on first use.
    mutating func tls(_ change: (inout TLSConfiguration) throws(ConfigError) -> Void) throws(ConfigError) {
        try forSection { listener throws(ConfigError) in
            var tls = listener.tls ?? TLSConfiguration()
            try change(&tls)
            listener.tls = tls
        }
        sections[sections.count - 1].lines[directive] = line
    }

    /// Per-listener directives; false when `directive` is none of them.
    mutating func applyListenerDirective(_ args: [String]) throws(ConfigError) -> Bool {
        switch directive {
        case "protocol":
            let value = try single(args)
            guard let kind = ServerConfiguration.Listener.Transport(rawValue: value) else {
                throw error("'\(value)' is not mqtt or websockets")
            }
            try forSection { $0.protocol = kind }
        case "socket_domain": try socketDomain(args)
        case "bind_interface":
            let name = try single(args)
            try forSection { $0.bindInterface = name }
        case "mount_point":
            let prefix = try single(args)
            guard !prefix.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) else {
                throw error("'\(prefix)' contains a wildcard (+ or #)")
            }
            try forSection { $0.mountPoint = prefix }
        case "certfile": let v = try single(args); try tls { $0.certificateFile = v }
        case "keyfile": let v = try single(args); try tls { $0.keyFile = v }
        case "cafile": let v = try single(args); try tls { $0.caFile = v }
        case "capath": let v = try single(args); try tls { $0.caPath = v }
        case "crlfile": let v = try single(args); try tls { $0.crlFile = v }
        case "ciphers": let v = try single(args); try tls { $0.ciphers = v }
        case "ciphers_tls1.3": let v = try single(args); try tls { $0.cipherSuites = v }
        case "psk_hint": let v = try single(args); try tls { $0.pskHint = v }
        case "tls_version":
            let value = try single(args)
            guard let version = TLSConfiguration.Version(rawValue: value) else {
                throw error("'\(value)' is not tlsv1.2 or tlsv1.3 (the lowest version accepted)")
            }
            try tls { $0.minimumVersion = version }
        case "require_certificate": let v = try bool(args); try tls { $0.requireCertificate = v }
        case "use_identity_as_username": try identity(args, .commonName)
        case "use_subject_as_username": try identity(args, .subject)
        default: return false
        }
        return true
    }

    mutating func identity(_ args: [String], _ source: ServerConfiguration.Listener.Identity) throws(ConfigError) {
        let on = try bool(args)
        try forSection { listener in
            if on { listener.identity = source } else if listener.identity == source { listener.identity = .none }
        }
        sections[sections.count - 1].lines[directive] = line
    }

    /// `socket_domain ipv4|ipv6`: a listener without an address listens on that family only.
    mutating func socketDomain(_ args: [String]) throws(ConfigError) {
        let value = try single(args)
        guard value == "ipv4" || value == "ipv6" else { throw error("'\(value)' is not ipv4 or ipv6") }
        guard let section = sections.last else { throw error("must follow a listener line (it is a per-listener option)") }
        let keep = configuration.listeners[section.range].filter { listener in
            listener.unixSocketPath == nil && listener.address.contains(":") == (value == "ipv6")
        }
        guard !keep.isEmpty else { throw error("the listener's address is not \(value)") }
        configuration.listeners.replaceSubrange(section.range, with: keep)
        sections[sections.count - 1].range = section.range.lowerBound..<section.range.lowerBound + keep.count
    }
}

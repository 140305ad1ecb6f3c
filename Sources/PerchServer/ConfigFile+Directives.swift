extension ConfigFile {
    /// Applies one directive (`self.directive`) with its arguments.
    mutating func apply(_ args: [String]) throws(ConfigError) {
        if try applyListenerDirective(args) { return }
        if try applyAccessDirective(args) { return }
        switch directive {
        case "listener": try listener(args)
        case "port":
            let port = try self.port(try single(args))
            addListeners(port: port, address: nil)
        case "allow_zero_length_clientid": configuration.broker.allowZeroLengthClientID = try bool(args)
        case "auto_id_prefix": configuration.broker.assignedClientIDPrefix = try single(args)
        case "use_username_as_clientid": configuration.broker.useUsernameAsClientID = try bool(args)
        case "clientid_prefixes": configuration.broker.clientIDPrefix = try single(args)
        case "persistence": configuration.persistence = try bool(args)
        case "persistence_location": configuration.persistenceLocation = try single(args)
        case "persistence_sync": try persistenceSync(args)
        case "persistence_compaction_bytes":
            configuration.persistenceCompactionBytes = try integer(args, 1...Int(Int32.max))
        case "autosave_interval": configuration.autosaveInterval = Int64(try integer(args, 0...Int(Int32.max)))
        case "max_connections":
            // After a listener line it is that listener's (as in mosquitto), before any the whole broker's.
            let limit = try integer(args, -1...Int(Int32.max))
            if sections.isEmpty { configuration.maxConnections = limit } else { try forSection { $0.maxConnections = limit } }
        case "websockets_headers_size": configuration.websocketsHeadersSize = try integer(args, 0...65535)
        case "max_inflight_messages":
            // Both directions, as mosquitto 2.0: the outbound window and the Receive Maximum
            // v5 clients are told (0: no limit but the protocol's 65,535).
            let limit = try integer(args, 0...65535)
            configuration.broker.maxInflightMessages = limit
            configuration.broker.receiveMaximum = limit == 0 ? UInt16.max : UInt16(limit)
        case "max_queued_messages": configuration.broker.maxQueuedMessages = try integer(args, 0...Int(Int32.max))
        case "max_queued_bytes": configuration.broker.maxQueuedBytes = try integer(args, 0...Int(Int32.max))
        case "message_size_limit": configuration.broker.messageSizeLimit = try integer(args, 0...268_435_455)
        case "max_packet_size": try maxPacketSize(args)
        case "max_keepalive": configuration.broker.maxKeepalive = UInt16(try integer(args, 0...65535))
        case "retain_available": configuration.broker.retainAvailable = try bool(args)
        case "max_topic_alias": configuration.broker.topicAliasMaximum = UInt16(try integer(args, 0...65535))
        case "max_topic_alias_broker":
            configuration.broker.outboundTopicAliasMaximum = UInt16(try integer(args, 0...65535))
        // Perch's own (MQTT 5 features mosquitto has no directive for).
        case "response_information": configuration.broker.responseInformation = try single(args)
        case "server_reference": configuration.broker.serverReference = try single(args)
        case "redirect": try redirect(args)
        case "log_type": try logType(args)
        case "log_dest": try logDestination(args)
        case "connection_messages": configuration.connectionMessages = try bool(args)
        default:
            if ConfigFile.isMosquittoDirective(directive) {
                throw error("not implemented by Perch yet")
            }
            throw error("unknown directive")
        }
    }

    mutating func maxPacketSize(_ args: [String]) throws(ConfigError) {
        let size = try integer(args, 0...268_435_460)
        // mosquitto refuses sizes below 20: no CONNECT would fit.
        guard size == 0 || size >= 20 else { throw error("must be 0 or at least 20, not \(size)") }
        configuration.broker.maxPacketSize = UInt32(size)
    }

    /// `redirect use_another_server|server_moved|none`: refuse v5 clients with 0x9C / 0x9D
    /// naming `server_reference` (required, checked when the file ends).
    mutating func redirect(_ args: [String]) throws(ConfigError) {
        switch try single(args) {
        case "none": configuration.broker.redirect = .none
        case "use_another_server": configuration.broker.redirect = .useAnotherServer
        case "server_moved": configuration.broker.redirect = .serverMoved
        case let other: throw error("'\(other)' is not use_another_server, server_moved or none")
        }
        redirectLine = line
    }

    mutating func persistenceSync(_ args: [String]) throws(ConfigError) {
        switch try single(args) {
        case "always": configuration.persistenceSync = .always
        case "interval": configuration.persistenceSync = .interval
        case let other: throw error("'\(other)' is not always or interval")
        }
    }

    mutating func logType(_ args: [String]) throws(ConfigError) {
        let value = try single(args)
        guard let type = LogType(rawValue: value) else {
            throw error("'\(value)' is not one of error, warning, notice, information, debug, all, none")
        }
        var types = logTypes ?? []
        if type == .none { types = [.none] } else { types.insert(type) }
        logTypes = types
    }

    mutating func logDestination(_ args: [String]) throws(ConfigError) {
        let value = try single(args)
        switch value {
        case "stdout": configuration.logDestination = .stdout
        case "stderr": configuration.logDestination = .stderr
        case "syslog", "topic", "file", "dlt", "none": throw error("log_dest \(value) is not implemented by Perch yet")
        default: throw error("'\(value)' is not stdout or stderr")
        }
    }
}

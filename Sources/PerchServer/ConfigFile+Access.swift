import PerchAccess

/// `allow_anonymous`, `password_file`, `acl_file`, `psk_file` and `per_listener_settings`, as
/// in mosquitto 2.0: with `per_listener_settings false` (the default) they are global wherever
/// they stand; with `true` each applies to the listener above it, which gets its own realm
/// (and its own PSK keys).
/// The files are read here, so a bad one stops the start naming its own file and line.
extension ConfigFile {
    /// One realm's directives as given, with their lines (for errors).
    struct AccessDirectives {
        var allowAnonymous: Bool?
        var passwordFile: (path: String, line: Int)?
        var aclFile: (path: String, line: Int)?
        var pskFile: (path: String, line: Int)?
    }

    /// Records an access directive for the current section (or globally), or returns false
    /// when `directive` is not one.
    mutating func applyAccessDirective(_ args: [String]) throws(ConfigError) -> Bool {
        let section = sections.isEmpty ? nil : sections.count - 1
        var entry = accessDirectives[section] ?? AccessDirectives()
        switch directive {
        case "allow_anonymous": entry.allowAnonymous = try bool(args)
        case "password_file": entry.passwordFile = (try single(args), line)
        case "acl_file": entry.aclFile = (try single(args), line)
        case "psk_file": entry.pskFile = (try single(args), line)
        case "per_listener_settings":
            perListenerSettings = (try bool(args), line)
            return true
        default: return false
        }
        accessDirectives[section] = entry
        if section == nil { accessBeforeListener = accessBeforeListener ?? line }
        return true
    }

    /// Whether each listener has its own access directives (`per_listener_settings true`).
    var isPerListener: Bool { perListenerSettings?.0 == true }

    /// The `psk_file` for the listeners of section `index`: the section's own with
    /// `per_listener_settings true`, else the last one in the file.
    func pskFile(forSection index: Int) -> (path: String, line: Int)? {
        if isPerListener { return accessDirectives[index]?.pskFile }
        return ([nil] + sections.indices.map(Optional.some)).compactMap { accessDirectives[$0]?.pskFile }.max { $0.line < $1.line }
    }

    /// Resolves the realms (and each listener's) once the file has ended, reading the files.
    mutating func finishAccess() throws(ConfigError) {
        let defaultAnonymous = !sawListener
        var realms: [(AccessDirectives, Bool)] = []
        if let (perListener, line) = perListenerSettings, perListener {
            if sawListener, let early = accessBeforeListener {
                throw ConfigError(file: file, line: early, directive: nil,
                                  "with per_listener_settings true (line \(line)) access options must follow a listener line")
            }
            realms.append((accessDirectives[nil] ?? AccessDirectives(), defaultAnonymous))
            for (index, section) in sections.enumerated() {
                realms.append((accessDirectives[index] ?? AccessDirectives(), false))
                for listener in section.range { configuration.listeners[listener].realm = realms.count - 1 }
            }
        } else {
            var merged = AccessDirectives()
            // Sections in file order: the last line of each directive wins.
            for key in [nil] + sections.indices.map(Optional.some) {
                guard let entry = accessDirectives[key] else { continue }
                merged.allowAnonymous = entry.allowAnonymous ?? merged.allowAnonymous
                merged.passwordFile = entry.passwordFile ?? merged.passwordFile
                merged.aclFile = entry.aclFile ?? merged.aclFile
                merged.pskFile = entry.pskFile ?? merged.pskFile
            }
            realms.append((merged, defaultAnonymous))
        }
        configuration.accessRealms = []
        for (entry, anonymous) in realms {
            for (file, directive) in [(entry.passwordFile, "password_file"), (entry.aclFile, "acl_file")] {
                guard let file else { continue }
                do {
                    let text = try AccessRules.read(file.path)
                    if directive == "password_file" {
                        _ = try PasswordFile(parsing: text, file: file.path)
                    } else {
                        _ = try ACLFile.parse(text, file: file.path)
                    }
                } catch {
                    // The access file's own line when the fault is inside it, else the directive's.
                    throw ConfigError(file: error.line > 0 ? error.file : self.file,
                                      line: error.line > 0 ? error.line : file.line, directive: directive,
                                      error.line > 0 ? "\(error.reason)" : "\(file.path): \(error.reason)")
                }
            }
            configuration.accessRealms.append(AccessFiles(allowAnonymous: entry.allowAnonymous ?? anonymous,
                                                          passwordFile: entry.passwordFile?.path,
                                                          aclFile: entry.aclFile?.path))
        }
        configuration.broker.allowAnonymous = configuration.accessRealms[0].allowAnonymous
    }
}

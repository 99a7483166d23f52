import Foundation

extension ServerConfiguration.Key {
    /// The JSON type a key's value must have.
    enum ValueType: String {
        case string = "a string"
        case integer = "an integer"
        case stringArray = "an array of strings"
        case boolean = "a boolean"
    }

    var valueType: ValueType {
        switch self {
        case .host, .dataDir, .database, .defaultBackend, .dataPlane, .logLevel, .logFormat, .auditKeyFile, .registryTokenService,
            .registryTokenRealm, .ldapURL, .ldapBindDN, .ldapGroupBase, .ldapGroupAttribute, .ociDefaultNamespace, .ociCreateNamespaces,
            .tlsCert, .tlsKey,
            .oidcIssuer, .oidcClientID, .oidcClientSecret, .oidcClientSecretFile, .oidcDeviceClientID, .oidcDeviceAuthorizationURL,
            .oidcRedirectBase, .oidcGroupsClaim, .oidcProviderName:
            .string
        case .ldapGroupRules, .oidcScopes, .oidcClaimRules: .stringArray
        case .registryTokenAuth, .http2: .boolean
        case .backends, .redirectExemptNamespaces, .webhookAllowedNetworks: .stringArray
        case .port, .gcInterval, .gcGracePeriod, .retentionInterval, .shutdownGracePeriod, .cacheLifetime, .ociUploadExpiry,
            .headerReadTimeout, .idleTimeout, .bodyIdleTimeout, .maxConnections, .registryTokenLifetime, .ldapTimeout:
            .integer
        }
    }
}

extension ServerConfiguration {
    /// Checks a configuration file before its values are read: one JSON object, every key known,
    /// every value of its key's type.
    ///
    /// Exists because a misspelt key (`"prot"`) was ignored and the server started with the
    /// default in its place, and because the JSON library's own errors name no key. Each refusal
    /// names the file and the key and says what to write instead.
    static func checkFile(_ path: String) throws(ServerConfigurationError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ServerConfigurationError(
                key: "config",
                "cannot read configuration file \"\(path)\": \(Self.reason(error)); check the path given to --config"
            )
        }
        let object: [String: JSONValue]
        do {
            object = try JSONDecoder().decode([String: JSONValue].self, from: data)
        } catch {
            if (try? JSONDecoder().decode(JSONValue.self, from: data)) != nil {
                throw ServerConfigurationError(
                    key: "config",
                    "configuration file \"\(path)\" is not a JSON object; write {\"key\": value, …}"
                )
            }
            throw ServerConfigurationError(
                key: "config",
                "configuration file \"\(path)\" is not valid JSON\(Self.location(of: error)); fix its syntax",
                underlying: error
            )
        }
        for name in object.keys.sorted() {
            guard let key = Key(rawValue: name) else {
                let suggestion = Self.closestKey(to: name).map { " (did you mean \"\($0.rawValue)\"?)" } ?? ""
                throw ServerConfigurationError(
                    key: name,
                    "unknown key in configuration file \"\(path)\"\(suggestion); the keys are "
                        + Key.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            let found = object[name]?.typeName ?? "null"
            guard found != key.valueType.rawValue else { continue }
            throw ServerConfigurationError(key: name, "is \(found) in configuration file \"\(path)\"; it must be \(key.valueType.rawValue)")
        }
    }

    /// A JSON value, only as far as its type: what ``checkFile(_:)`` compares with a key's.
    enum JSONValue: Decodable {
        case null, boolean, integer, fraction, string, stringArray, array, object

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if (try? container.decode(Bool.self)) != nil {
                self = .boolean
            } else if (try? container.decode(Int.self)) != nil {
                self = .integer
            } else if (try? container.decode(Double.self)) != nil {
                self = .fraction
            } else if (try? container.decode(String.self)) != nil {
                self = .string
            } else if let elements = try? container.decode([JSONValue].self) {
                self = elements.allSatisfy { $0 == .string } ? .stringArray : .array
            } else {
                _ = try container.decode([String: JSONValue].self)
                self = .object
            }
        }

        var typeName: String {
            switch self {
            case .null: "null"
            case .boolean: "a boolean"
            case .integer: "an integer"
            case .fraction: "a number with a fraction"
            case .string: "a string"
            case .stringArray: "an array of strings"
            case .array: "an array with other values than strings"
            case .object: "an object"
            }
        }
    }

    /// The known key within two edits of `name`, if one is.
    static func closestKey(to name: String) -> Key? {
        let candidates = Key.allCases.map { ($0, editDistance(name.lowercased(), $0.rawValue.lowercased())) }
        return candidates.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }

    /// " (line L, column C)" where the parser stopped, when it says so.
    static func location(of error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else { return "" }
        let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
        guard let range = detail.range(of: #"line \d+, column \d+"#, options: .regularExpression) else { return "" }
        return " (\(detail[range]))"
    }

    /// A file-system failure as a person reads it, without the library's domain and code.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let posix = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        switch nsError.code {
        case NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        default: return "it cannot be read"
        }
    }
}

public import ArtifactControlPlane
import ArtifactStoreAPI
public import Configuration
public import Foundation

extension ServerConfiguration {
    /// Every key, as the JSON file spells it; the environment variable is `ARTIFACTSTORE_` and
    /// the key in upper snake case (`dataDir` → `ARTIFACTSTORE_DATA_DIR`).
    public enum Key: String, CaseIterable, Sendable {
        case host, port, dataDir, database, backends, defaultBackend, dataPlane, gcInterval, gcGracePeriod, retentionInterval,
            shutdownGracePeriod, cacheLifetime, logLevel, ociUploadExpiry
        case headerReadTimeout, idleTimeout, bodyIdleTimeout, maxConnections
        case logFormat
        case auditKeyFile
        case redirectExemptNamespaces
        case ociDefaultNamespace, ociCreateNamespaces
        case webhookAllowedNetworks
        case registryTokenAuth, registryTokenService, registryTokenRealm, registryTokenLifetime
        case ldapURL, ldapBindDN, ldapGroupBase, ldapGroupAttribute, ldapGroupRules, ldapTimeout
        case tlsCert, tlsKey, http2
        case oidcIssuer, oidcClientID, oidcClientSecret, oidcClientSecretFile, oidcDeviceClientID, oidcDeviceAuthorizationURL
        case oidcRedirectBase, oidcScopes, oidcClaimRules, oidcGroupsClaim, oidcProviderName
    }

    /// Reads the configuration: `flags` (highest), then `environment` (`ARTIFACTSTORE_*`), then
    /// the JSON `file` (lowest), then the embedded defaults.
    ///
    /// - Parameters:
    ///   - flags: values given on the command line, by ``Key`` (strings, or `Int` for the numbers).
    ///   - environment: the process environment (a test passes its own).
    ///   - file: a JSON object with the keys of ``Key``; a missing file, an unknown key or a
    ///     value of the wrong type is an error (``checkFile(_:)``).
    /// - Throws: ``ServerConfigurationError`` naming the key.
    public static func load(
        flags: [Key: ConfigValue] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        file: String? = nil
    ) async throws(ServerConfigurationError) -> ServerConfiguration {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "flags",
                values: Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey([$0.key.rawValue]), $0.value) })
            ),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "artifactstore"),
        ]
        if let file {
            try checkFile(file)
            do {
                // Through a reader, so the path needs no SystemPackage type here.
                let location = ConfigReader(provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(file), isSecret: false)]))
                providers.append(try await FileProvider<JSONSnapshot>(config: location))
            } catch {
                throw ServerConfigurationError(
                    key: "config",
                    "cannot read configuration file \"\(file)\": \(reason(error))",
                    underlying: error
                )
            }
        }
        let reader = ConfigReader(providers: providers)
        var configuration = ServerConfiguration()
        func read<T>(_ key: Key, _ body: (ConfigKey) async throws -> T?) async throws(ServerConfigurationError) -> T? {
            do {
                return try await body(ConfigKey(key.rawValue))
            } catch {
                throw ServerConfigurationError(
                    key: key.rawValue,
                    "is not \(key.valueType.rawValue); check \(key.environmentName), the command line and the configuration file",
                    underlying: error
                )
            }
        }
        if let host = try await read(.host, { try await reader.fetchString(forKey: $0) }) { configuration.host = host }
        if let port = try await read(.port, { try await reader.fetchInt(forKey: $0) }) {
            guard (0...65535).contains(port) else { throw ServerConfigurationError(key: "port", "\(port) is not a port number (0-65535)") }
            configuration.port = port
        }
        if let directory = try await read(.dataDir, { try await reader.fetchString(forKey: $0) }) {
            configuration.dataDirectory = directory
        }
        configuration.database = try await read(.database, { try await reader.fetchString(forKey: $0) })
        if let path = try await read(.auditKeyFile, { try await reader.fetchString(forKey: $0) }) {
            guard !path.isEmpty else { throw ServerConfigurationError(key: "auditKeyFile", "the audit key file path is empty") }
            configuration.auditKeyFile = path
        }
        let tlsCert = try await read(.tlsCert, { try await reader.fetchString(forKey: $0) })
        let tlsKey = try await read(.tlsKey, { try await reader.fetchString(forKey: $0) })
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case (.some, nil):
            throw ServerConfigurationError(key: "tlsKey", "a TLS certificate needs its private key too; pass --tls-key")
        case (nil, .some):
            throw ServerConfigurationError(key: "tlsCert", "a TLS private key needs its certificate too; pass --tls-cert")
        case (.some(let certificate), .some(let key)):
            configuration.tlsCertificateFile = certificate
            configuration.tlsKeyFile = key
        }
        if let on = try await read(.http2, { try await reader.fetchBool(forKey: $0) }) { configuration.http2 = on }
        if let backends = try await read(.backends, { try await reader.fetchStringArray(forKey: $0) }) {
            for backend in backends { _ = try splitBackend(backend) }
            configuration.backends = backends
        }
        if let namespaces = try await read(.redirectExemptNamespaces, { try await reader.fetchStringArray(forKey: $0) }) {
            for namespace in namespaces {
                do {
                    try NameGrammar.checkNamespace(namespace)
                } catch {
                    throw ServerConfigurationError(key: "redirectExemptNamespaces", "\(error.message)", underlying: error)
                }
            }
            configuration.redirectExemptNamespaces = namespaces
        }
        try await loadNamingAndWebhooks(from: reader, into: &configuration)
        configuration.defaultBackend = try await read(.defaultBackend, { try await reader.fetchString(forKey: $0) })
        if let dataPlane = try await read(.dataPlane, { try await reader.fetchString(forKey: $0) }) {
            guard dataPlane == "inprocess" || dataPlane.hasPrefix("unix:///") else {
                throw ServerConfigurationError(key: "dataPlane", "\"\(dataPlane)\" is neither inprocess nor unix:///path")
            }
            configuration.dataPlane = dataPlane
        }
        for (key, path) in [
            (Key.gcInterval, \ServerConfiguration.gcInterval), (.gcGracePeriod, \.gcGracePeriod), (.retentionInterval, \.retentionInterval),
            (.shutdownGracePeriod, \.shutdownGracePeriod),
            (.ociUploadExpiry, \.ociUploadExpiry),
        ] {
            if let seconds = try await read(key, { try await reader.fetchInt(forKey: $0) }) {
                guard seconds > 0 else {
                    throw ServerConfigurationError(key: key.rawValue, "\(seconds) must be a positive number of seconds")
                }
                configuration[keyPath: path] = .seconds(seconds)
            }
        }
        if let seconds = try await read(.cacheLifetime, { try await reader.fetchInt(forKey: $0) }) {
            guard seconds >= 0 else {
                throw ServerConfigurationError(key: "cacheLifetime", "\(seconds) must be zero (off) or a positive number of seconds")
            }
            configuration.cacheLifetime = .seconds(seconds)
        }
        let timeouts = [
            (Key.headerReadTimeout, \ConnectionLimits.headerReadTimeout), (.idleTimeout, \.idleTimeout),
            (.bodyIdleTimeout, \.bodyIdleTimeout),
        ]
        for (key, path) in timeouts {
            if let seconds = try await read(key, { try await reader.fetchInt(forKey: $0) }) {
                guard seconds > 0 else {
                    throw ServerConfigurationError(key: key.rawValue, "\(seconds) must be a positive number of seconds")
                }
                configuration.connectionLimits[keyPath: path] = .seconds(seconds)
            }
        }
        if let maximum = try await read(.maxConnections, { try await reader.fetchInt(forKey: $0) }) {
            guard maximum > 0 else {
                throw ServerConfigurationError(key: "maxConnections", "\(maximum) must be a positive number of connections")
            }
            configuration.connectionLimits.maxConnections = maximum
        }
        if let on = try await read(.registryTokenAuth, { try await reader.fetchBool(forKey: $0) }) { configuration.registryTokenAuth = on }
        if let service = try await read(.registryTokenService, { try await reader.fetchString(forKey: $0) }) {
            try checkRegistryTokenText(.registryTokenService, service)
            configuration.registryTokenService = service
        }
        if let realm = try await read(.registryTokenRealm, { try await reader.fetchString(forKey: $0) }) {
            try checkRegistryTokenText(.registryTokenRealm, realm)
            configuration.registryTokenRealm = realm
        }
        if let seconds = try await read(.registryTokenLifetime, { try await reader.fetchInt(forKey: $0) }) {
            guard (1...86400).contains(seconds) else {
                throw ServerConfigurationError(key: "registryTokenLifetime", "\(seconds) must be a number of seconds in 1…86400")
            }
            configuration.registryTokenLifetime = .seconds(seconds)
        }
        configuration.ldapURL = try await read(.ldapURL, { try await reader.fetchString(forKey: $0) })
        configuration.ldapBindDN = try await read(.ldapBindDN, { try await reader.fetchString(forKey: $0) })
        configuration.ldapGroupBase = try await read(.ldapGroupBase, { try await reader.fetchString(forKey: $0) })
        if let attribute = try await read(.ldapGroupAttribute, { try await reader.fetchString(forKey: $0) }) {
            configuration.ldapGroupAttribute = attribute
        }
        if let rules = try await read(.ldapGroupRules, { try await reader.fetchStringArray(forKey: $0) }) {
            configuration.ldapGroupRules = rules
        }
        if let seconds = try await read(.ldapTimeout, { try await reader.fetchInt(forKey: $0) }) {
            guard (1...60).contains(seconds) else { throw ServerConfigurationError(key: "ldapTimeout", "\(seconds) must be 1…60 seconds") }
            configuration.ldapTimeout = .seconds(seconds)
        }
        _ = try configuration.directorySettings()
        configuration.oidc = try await OIDCConfiguration.read(
            string: { key in try await read(key, { try await reader.fetchString(forKey: $0) }) },
            strings: { key in try await read(key, { try await reader.fetchStringArray(forKey: $0) }) }
        )
        if let level = try await read(.logLevel, { try await reader.fetchString(forKey: $0) }) {
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
                throw ServerConfigurationError(
                    key: "logLevel",
                    "\"\(level)\" is not a log level (trace, debug, info, notice, warning, error, critical)"
                )
            }
            configuration.logLevel = level
        }
        if let format = try await read(.logFormat, { try await reader.fetchString(forKey: $0) }) {
            guard let parsed = ServerLogFormat(rawValue: format) else {
                throw ServerConfigurationError(key: "logFormat", "\"\(format)\" is not a log format (text, json)")
            }
            configuration.logFormat = parsed
        }
        return configuration
    }
}

extension ServerConfiguration.Key {
    /// `ARTIFACTSTORE_` and the key in upper snake case.
    public var environmentName: String { "ARTIFACTSTORE_" + snake.uppercased() }

    private var snake: String {
        rawValue.reduce(into: "") { out, character in
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
    }
}

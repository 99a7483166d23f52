import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import Configuration

extension ServerConfiguration {
    /// Reads `ociDefaultNamespace`, `ociCreateNamespaces` and `webhookAllowedNetworks`.
    static func loadNamingAndWebhooks(
        from reader: ConfigReader,
        into configuration: inout ServerConfiguration
    ) async throws(ServerConfigurationError) {
        if let namespace = try await fetch(.ociDefaultNamespace, { try await reader.fetchString(forKey: $0) }) {
            do {
                try NameGrammar.checkNamespace(namespace)
            } catch {
                throw ServerConfigurationError(key: Key.ociDefaultNamespace.rawValue, "\(error.message)", underlying: error)
            }
            configuration.ociNaming.defaultNamespace = namespace
        }
        if let text = try await fetch(.ociCreateNamespaces, { try await reader.fetchString(forKey: $0) }) {
            guard let rule = OCINamingPolicy.NamespaceCreation(rawValue: text) else {
                let rules = OCINamingPolicy.NamespaceCreation.allCases.map(\.rawValue).joined(separator: ", ")
                throw ServerConfigurationError(
                    key: Key.ociCreateNamespaces.rawValue,
                    "\"\(NameGrammar.printable(text))\" is not one of \(rules)"
                )
            }
            configuration.ociNaming.namespaceCreation = rule
        }
        if let names = try await fetch(.webhookAllowedNetworks, { try await reader.fetchStringArray(forKey: $0) }) {
            do {
                configuration.webhookAllowedNetworks = try WebhookNetworkPolicy(names: names)
            } catch {
                throw ServerConfigurationError(key: Key.webhookAllowedNetworks.rawValue, error.message, underlying: error)
            }
        }
    }

    private static func fetch<T>(_ key: Key, _ body: (ConfigKey) async throws -> T?) async throws(ServerConfigurationError) -> T? {
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
}

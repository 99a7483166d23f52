public import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
public import Logging

extension StoreAdministration {
    /// The actor a token minted by `admin reset-token` is recorded under.
    public static let resetTokenActor = "system:reset-token"

    /// Mints a new admin token (every scope on every namespace) in the existing store, offline:
    /// for an operator who lost the bootstrap token. Recorded in the audit chain as a
    /// `token.create` by ``resetTokenActor``, MAC'd with the store's own audit keys and sealed at
    /// once (or by the running server's sequencer when it holds the role). No token is revoked.
    ///
    /// - Throws: `ServerConfigurationError` for a store or audit key file that does not exist (nothing
    ///   is created), `ControlPlaneError` when the database refuses the write.
    public static func resetAdminToken(_ configuration: ServerConfiguration, logger: Logger) async throws -> IssuedToken {
        _ = try existingLocation(configuration)
        let keyFile = configuration.effectiveAuditKeyFile
        guard FileManager.default.fileExists(atPath: keyFile) else {
            throw ServerConfigurationError(
                key: "auditKeyFile",
                "no audit key file at \"\(keyFile)\": the new token is recorded in the store's audit chain, which needs its key; "
                    + "pass --audit-key-file as serve uses it"
            )
        }
        let keys = try ServeApplication.loadAuditKeys(configuration, logger: logger)
        return try await withExisting(configuration, auditKeys: keys, logger: logger) { controlPlane in
            let issued = try await controlPlane.auth.createToken(
                name: "reset-admin",
                grants: [.global(.admin)],
                expiresAt: nil,
                context: RequestContext(actor: resetTokenActor)
            )
            _ = try await controlPlane.auditSequencer.sealPending()
            logger.notice("admin token reset: a new admin token was created", metadata: ["token_id": "\(issued.info.id)"])
            return issued
        }
    }
}

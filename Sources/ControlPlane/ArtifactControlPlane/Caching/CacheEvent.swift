import ArtifactIdentity
import ArtifactMetadata
import SQLKit

/// A change that ends cached facts, as one process tells every other sharing the database.
///
/// Exists because linked blobs, namespaces and authorisations change only through events the
/// store itself performs (a token revoked, a link expired by GC, a blob deleted by GC): each
/// such transaction publishes its event (``MetadataStore/publish(_:in:)``, delivered only if it
/// commits), and every process drops what it cached about the subject (``ControlPlaneCaches``).
/// The text form is `token <id>`, `blob <address>`, `namespace <name>`.
enum CacheEvent: Sendable, Hashable {
    /// A token was revoked.
    case token(id: String)
    /// A blob was unlinked from a namespace, or its bytes are being deleted.
    case blob(ContentAddress)
    /// A namespace changed.
    case namespace(String)

    var message: String {
        switch self {
        case .token(let id): "token \(id)"
        case .blob(let address): "blob \(address)"
        case .namespace(let name): "namespace \(name)"
        }
    }

    /// The event `message` names; `nil` for anything else (the subscriber then drops everything).
    init?(message: String) {
        guard let space = message.firstIndex(of: " ") else { return nil }
        let subject = String(message[message.index(after: space)...])
        switch message[..<space] {
        case "token": self = .token(id: subject)
        case "blob":
            guard let address = ContentAddress(subject) else { return nil }
            self = .blob(address)
        case "namespace": self = .namespace(subject)
        default: return nil
        }
    }

    /// Publishes the event to every process when the transaction `db` belongs to commits.
    func publish(through store: MetadataStore, in db: any SQLDatabase) async throws {
        try await store.publish(message, in: db)
    }
}

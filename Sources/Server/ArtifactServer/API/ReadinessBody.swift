import ArtifactDataPlane

/// `GET /readyz`: the database and every backend (the document's `Readiness` schema).
///
/// The one body that stays in the server rather than the contract (ArtifactStoreAPI): it carries
/// the data plane's ``BackendStatus`` as it is, and the contract does not depend on the data plane.
/// The server's OpenAPI tests check it against the document.
struct ReadinessBody: Encodable, Sendable {
    struct Database: Encodable, Sendable {
        var ok: Bool
        var message: String
    }

    var status: String
    var database: Database
    var backends: [BackendStatus]
}

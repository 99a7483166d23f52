public import SQLKit

/// One step of the schema: a version number and the statements that reach it.
///
/// Exists so the schema is built and upgraded in numbered, recorded steps that run at start-up
/// (``MetadataStore/migrate(_:)``), the same on SQLite and PostgreSQL.
public struct Migration: Sendable {
    /// 1, 2, 3, … with no gaps.
    public let version: Int
    /// What the step does, recorded beside its version.
    public let name: String
    /// Runs the step's statements inside the migration transaction.
    public let apply: @Sendable (any SQLDatabase, MetadataStore.Engine) async throws -> Void

    public init(version: Int, name: String, apply: @escaping @Sendable (any SQLDatabase, MetadataStore.Engine) async throws -> Void) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    /// A step that runs `statements` in order, the same text on both engines.
    public init(version: Int, name: String, statements: [String]) {
        self.init(version: version, name: name) { db, _ in
            for statement in statements {
                try await db.raw(SQLQueryString(statement)).run()
            }
        }
    }
}

/// What ``MetadataStore/migrate(_:)`` did.
public struct MigrationReport: Sendable, Hashable {
    /// The schema version before.
    public var previousVersion: Int
    /// The schema version now (the newest migration's).
    public var currentVersion: Int
    /// The versions applied by this call, in order; empty when the schema was current.
    public var applied: [Int]
}

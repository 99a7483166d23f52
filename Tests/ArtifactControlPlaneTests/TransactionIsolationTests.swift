import ArtifactStoreTestSupport
import SQLKit
import Testing

@testable import ArtifactMetadata

/// ``TransactionIsolation``: snapshot transactions still lose no update to a row two of them
/// write (the second is refused and re-run). That serializable writers are no longer cancelled
/// on a snapshot transaction's account is measured by `scripts/bench.sh cluster` (rollback ratio).
@Suite("Transaction isolation levels", .timeLimit(.minutes(10)))
struct TransactionIsolationTests {
    @Test("the statement each level begins with")
    func beginStatements() {
        #expect(TransactionIsolation.serializable.postgresBegin == "BEGIN ISOLATION LEVEL SERIALIZABLE")
        #expect(TransactionIsolation.snapshot.postgresBegin == "BEGIN ISOLATION LEVEL REPEATABLE READ")
    }

    @Test("read-then-write snapshot transactions on one row lose no update", arguments: TestDatabase.allCases)
    func snapshotWritersLoseNoUpdate(database: TestDatabase) async throws {
        try await database.withStore { store in
            try await store.transaction { db in
                try await db.raw("CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)").run()
                try await db.raw("INSERT INTO counter (id, n) VALUES (1, 0)").run()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<5 {
                            try await store.transaction(isolation: .snapshot) { db in
                                let n = try await db.raw("SELECT n FROM counter WHERE id = 1").first()!.decode(column: "n", as: Int64.self)
                                try await db.raw("UPDATE counter SET n = \(bind: n + 1) WHERE id = 1").run()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let n = try await store.read { db in
                try await db.raw("SELECT n FROM counter WHERE id = 1").first()!.decode(column: "n", as: Int64.self)
            }
            #expect(n == 40)
        }
    }
}

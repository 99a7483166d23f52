import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

@testable import ArtifactMetadata

/// PostgreSQL transaction turns (``TransactionPriority``): a transaction that keeps losing
/// serialization conflicts to background work gets a turn in which the background waits.
@Suite("PostgreSQL transaction turns", .timeLimit(.minutes(10)))
struct TransactionTurnTests {
    @Test("which advisory lock each attempt takes")
    func lockPerAttempt() {
        let contested = TransactionTurn.contestedAttempts
        for attempt in 1...contested {
            #expect(TransactionTurn(priority: .normal, attempt: attempt).lockFunction == nil)
            #expect(TransactionTurn(priority: .normal, attempt: attempt).unlockFunction == nil)
            #expect(TransactionTurn(priority: .background, attempt: attempt).lockFunction == "pg_advisory_lock_shared")
            #expect(TransactionTurn(priority: .background, attempt: attempt).unlockFunction == "pg_advisory_unlock_shared")
        }
        for priority in [TransactionPriority.normal, .background] {
            #expect(TransactionTurn(priority: priority, attempt: contested + 1).lockFunction == "pg_advisory_lock")
            #expect(TransactionTurn(priority: priority, attempt: contested + 1).unlockFunction == "pg_advisory_unlock")
        }
    }

    @Test("the pause before a re-run grows with the attempt and stays bounded")
    func retryDelayBounds() {
        for attempt in 1...MetadataStore.maximumAttempts {
            let bound = Duration.milliseconds(2 << min(attempt - 1, 6))
            for _ in 0..<20 {
                let delay = MetadataStore.retryDelay(attempt: attempt)
                #expect(delay >= .microseconds(500) && delay <= bound)
            }
        }
        #expect(MetadataStore.retryDelay(attempt: 64) <= .milliseconds(128))
    }

    final class Counters: Sendable {
        let running = Atomic(true)
        let backgroundCommits = Atomic(0)
        let attempts = Atomic(0)
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls `condition` for up to 60 seconds.
    static func waitFor(_ what: String, until condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Timeout(description: "timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Background loops keep committing updates to rows that one long transaction reads early
    /// and updates late, so every attempt of it that overlaps them fails with a serialization
    /// failure. Without turns it failed all 64 attempts; with them its fourth attempt runs while
    /// the background waits.
    @Test("a transaction that keeps losing to background work commits, and the background goes on afterwards")
    func contestedTransactionGetsATurn() async throws {
        try await TestDatabase.postgres.withStore { store in
            try await store.transaction { db in
                try await db.raw("CREATE TABLE hot (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)").run()
                try await db.raw("INSERT INTO hot (id, n) VALUES (1, 0), (2, 0)").run()
            }
            let counters = Counters()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Each loop updates a row of its own, so the loops never conflict with each other.
                for row in [1, 2] {
                    group.addTask {
                        while counters.running.load(ordering: .relaxed) {
                            try await store.transaction(priority: .background) { db in
                                try await db.raw("UPDATE hot SET n = n + 1 WHERE id = \(bind: row)").run()
                            }
                            counters.backgroundCommits.add(1, ordering: .relaxed)
                        }
                    }
                }
                // The loops stop however this ends.
                do {
                    // Let the background get going first.
                    try await Self.waitFor("the background to commit", until: { counters.backgroundCommits.load(ordering: .relaxed) >= 10 })
                    let total = try await store.transaction { db in
                        counters.attempts.add(1, ordering: .relaxed)
                        let before = try await db.raw("SELECT CAST(sum(n) AS BIGINT) AS total FROM hot").first()!.decode(
                            column: "total",
                            as: Int64.self
                        )
                        try await db.raw("SELECT pg_sleep(0.2)").run()
                        try await db.raw("UPDATE hot SET n = n + 1000000").run()
                        return before
                    }
                    #expect(total > 0)
                    // The background is not left blocked: it commits again after the turn.
                    let afterTurn = counters.backgroundCommits.load(ordering: .relaxed)
                    try await Self.waitFor(
                        "the background to go on",
                        until: { counters.backgroundCommits.load(ordering: .relaxed) >= afterTurn + 10 }
                    )
                } catch {
                    counters.running.store(false, ordering: .relaxed)
                    throw error
                }
                counters.running.store(false, ordering: .relaxed)
                try await group.waitForAll()
            }
            // However often it lost before, its turn (attempt 4) runs alone and commits. (On a
            // loaded machine an early attempt may find the background stalled and commit.)
            print(
                "FIGURE transaction-turn: committed on attempt \(counters.attempts.load(ordering: .relaxed)) while the background committed \(counters.backgroundCommits.load(ordering: .relaxed)) times"
            )
            #expect(counters.attempts.load(ordering: .relaxed) <= TransactionTurn.contestedAttempts + 1)
            let rows = try await store.read { db in
                try await db.raw("SELECT n FROM hot ORDER BY id").all().map { try $0.decode(column: "n", as: Int64.self) }
            }
            #expect(rows.allSatisfy { $0 > 1_000_000 }, "\(rows)")
        }
    }
}

import ArtifactStoreTestSupport
import Foundation
import Glibc
import SQLKit
import Synchronization
import Testing

@testable import ArtifactMetadata

/// SQLite group commit (``SQLiteGroupCommit``): transactions queued together commit together,
/// with the promises of one transaction at a time.
@Suite("SQLite group commit", .timeLimit(.minutes(10)))
struct GroupCommitTests {
    /// A store with a table `t (k TEXT PRIMARY KEY, n INTEGER)` and a row `counter`.
    func withStore(_ body: (MetadataStore) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withStore { store in
            try await store.transaction { db in
                try await db.raw("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)").run()
                try await db.raw(
                    "CREATE TABLE child (k TEXT PRIMARY KEY, parent TEXT NOT NULL REFERENCES t (k) DEFERRABLE INITIALLY DEFERRED)"
                ).run()
                try await db.raw("INSERT INTO t (k, n) VALUES ('counter', 0)").run()
            }
            try await body(store)
        }
    }

    /// Holds the store's writer (a turn of its own), so transactions queue behind it, until the
    /// returned function is called (which waits for the turn to end).
    func holdConnection(_ store: MetadataStore) async -> @Sendable () async throws -> Void {
        let (entered, enter) = AsyncStream<Void>.makeStream()
        let (released, release) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await store.withWriterTurn { _ in
                enter.yield()
                enter.finish()
                for await _ in released { break }
            }
        }
        for await _ in entered { break }
        return {
            release.yield()
            release.finish()
            _ = try await holder.value
        }
    }

    /// Runs `bodies` as concurrent transactions that are all queued before any of them runs (a
    /// turn holds the writer until they are), so they form one group.
    func inOneGroup(_ store: MetadataStore, _ bodies: [@Sendable (any SQLDatabase) async throws -> Void]) async -> [Result<Void, any Error>]
    {
        let release = await holdConnection(store)
        return await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
            for (index, body) in bodies.enumerated() {
                group.addTask {
                    do {
                        try await store.transaction(body)
                        return (index, .success(()))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            while store.queuedTransactions < bodies.count { await Task.yield() }
            do {
                try await release()
            } catch {
                Issue.record(error, "releasing the held writer failed")
            }
            var results: [(Int, Result<Void, any Error>)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    @Test("a transaction's statements and the code between them run on the writer's one thread; reads never do")
    func staysOnTheConnectionThread() async throws {
        try await withStore { store in
            let threads = try await store.transaction { db -> Set<UInt> in
                var seen: Set<UInt> = [UInt(pthread_self())]
                for index in 0..<5 {
                    try await db.raw("INSERT INTO t (k, n) VALUES (\(bind: "thread\(index)"), 0)").run()
                    seen.insert(UInt(pthread_self()))
                }
                return seen
            }
            #expect(threads.count == 1)
            let readThreads = try await store.read { db -> Set<UInt> in
                var seen: Set<UInt> = [UInt(pthread_self())]
                for _ in 0..<3 {
                    _ = try await db.raw("SELECT n FROM t WHERE k = 'counter'").first()
                    seen.insert(UInt(pthread_self()))
                }
                return seen
            }
            #expect(readThreads.isDisjoint(with: threads), "reads run on the read pool, never on the writer's thread")
        }
    }

    @Test("a caller cancelled while its transaction waits for the connection still gets the committed result")
    func cancelledCallerStillCommits() async throws {
        try await withStore { store in
            let release = await holdConnection(store)
            let caller = Task {
                try await store.transaction { db -> Int in
                    try await db.raw("INSERT INTO t (k, n) VALUES ('late', 1)").run()
                    return 7
                }
            }
            while store.queuedTransactions < 1 { await Task.yield() }
            caller.cancel()
            try await release()
            #expect(try await caller.value == 7)
            let stored = try await store.read { db in
                try await db.raw("SELECT n FROM t WHERE k = 'late'").first()?.decode(column: "n", as: Int.self)
            }
            #expect(stored == 1)
        }
    }

    @Test("concurrent transactions all commit, each seeing the writes before it")
    func serialSemantics() async throws {
        try await withStore { store in
            let results = await inOneGroup(
                store,
                (0..<20).map { index in
                    { db in
                        try await db.raw("UPDATE t SET n = n + 1 WHERE k = 'counter'").run()
                        try await db.raw("INSERT INTO t (k, n) VALUES (\(bind: "row\(index)"), \(bind: index))").run()
                    }
                }
            )
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
            let (counter, rows) = try await store.read { db in
                (
                    try await db.raw("SELECT n FROM t WHERE k = 'counter'").first()!.decode(column: "n", as: Int.self),
                    try await db.raw("SELECT COUNT(*) AS c FROM t").first()!.decode(column: "c", as: Int.self)
                )
            }
            #expect(counter == 20)
            #expect(rows == 21)
        }
    }

    @Test("a body that throws in a group has its writes undone and gets its own error; the others commit")
    func oneFailureIsolated() async throws {
        struct Refusal: Error, Equatable {}
        try await withStore { store in
            let results = await inOneGroup(
                store,
                [
                    { db in try await db.raw("INSERT INTO t (k, n) VALUES ('a', 1)").run() },
                    { db in
                        try await db.raw("INSERT INTO t (k, n) VALUES ('b', 2)").run()
                        throw Refusal()
                    },
                    { db in try await db.raw("INSERT INTO t (k, n) VALUES ('a', 3)").run() },  // duplicate key
                    { db in try await db.raw("INSERT INTO t (k, n) VALUES ('c', 4)").run() },
                ]
            )
            if case .failure(let error) = results[1] { #expect(error is Refusal) } else { Issue.record("the throwing body succeeded") }
            if case .failure(let error as MetadataStoreError) = results[2] {
                #expect(error.kind == .database)
            } else {
                Issue.record("a duplicate key was accepted")
            }
            for index in [0, 3] {
                if case .failure(let error) = results[index] { Issue.record("body \(index) failed: \(error)") }
            }
            let keys = try await store.read { db in
                try await db.raw("SELECT k FROM t ORDER BY k").all().map { try $0.decode(column: "k", as: String.self) }
            }
            #expect(keys == ["a", "c", "counter"])
        }
    }

    @Test("bodies that throw first, last and one after another each undo only their own writes, even the ones that read an earlier body's")
    func failuresAtEveryPosition() async throws {
        struct Refusal: Error {}
        try await withStore { store in
            // Savepoints nest (none is released before the COMMIT): a failure rolls back to its
            // own, never into a body before it.
            let results = await inOneGroup(
                store,
                [
                    { db in
                        try await db.raw("INSERT INTO t (k, n) VALUES ('first', 1)").run()
                        throw Refusal()
                    },
                    { db in try await db.raw("UPDATE t SET n = n + 1 WHERE k = 'counter'").run() },
                    { db in
                        try await db.raw("UPDATE t SET n = n + 100 WHERE k = 'counter'").run()
                        throw Refusal()
                    },
                    { db in
                        try await db.raw("INSERT INTO t (k, n) VALUES ('third', 3)").run()
                        throw Refusal()
                    },
                    { db in try await db.raw("INSERT INTO t (k, n) SELECT 'copy', n FROM t WHERE k = 'counter'").run() },
                    { db in
                        try await db.raw("DELETE FROM t").run()
                        throw Refusal()
                    },
                ]
            )
            for (index, result) in results.enumerated() {
                switch (index, result) {
                case (1, .success), (4, .success): break
                case (_, .failure(let error)) where error is Refusal: break
                default: Issue.record("body \(index): \(result)")
                }
            }
            let rows = try await store.read { db in
                try await db.raw("SELECT k, n FROM t ORDER BY k").all().map {
                    "\(try $0.decode(column: "k", as: String.self))=\(try $0.decode(column: "n", as: Int.self))"
                }
            }
            #expect(rows == ["copy=1", "counter=1"])
        }
    }

    @Test("a group without failures runs each body once; a failure runs the group again with savepoints, and only that run counts")
    func runsAgainOnlyAfterAFailure() async throws {
        struct Refusal: Error {}
        try await withStore { store in
            let runs = Mutex([Int](repeating: 0, count: 3))
            let clean = await inOneGroup(
                store,
                (0..<3).map { index in
                    { db in
                        runs.withLock { $0[index] += 1 }
                        try await db.raw("UPDATE t SET n = n + 1 WHERE k = 'counter'").run()
                    }
                }
            )
            #expect(clean.allSatisfy { if case .success = $0 { true } else { false } })
            #expect(runs.withLock { $0 } == [1, 1, 1])
            runs.withLock { $0 = [0, 0, 0] }
            let failing = await inOneGroup(
                store,
                (0..<3).map { index in
                    { db in
                        runs.withLock { $0[index] += 1 }
                        try await db.raw("UPDATE t SET n = n + 10 WHERE k = 'counter'").run()
                        if index == 1 { throw Refusal() }
                    }
                }
            )
            // Bodies 0 and 1 ran twice (the first run stopped at body 1), body 2 once.
            #expect(runs.withLock { $0 } == [2, 2, 1])
            if case .failure(let error) = failing[1] { #expect(error is Refusal) } else { Issue.record("the throwing body succeeded") }
            for index in [0, 2] {
                if case .failure(let error) = failing[index] { Issue.record("body \(index) failed: \(error)") }
            }
            let counter = try await store.read { db in
                try await db.raw("SELECT n FROM t WHERE k = 'counter'").first()!.decode(column: "n", as: Int.self)
            }
            #expect(counter == 3 + 20)
        }
    }

    @Test("when the group's COMMIT fails, every body gets the error and nothing is stored")
    func commitFailureFailsAll() async throws {
        try await withStore { store in
            _ = try await store.withWriterTurn { db in try await db.raw("PRAGMA foreign_keys = ON").run() }
            let results = await inOneGroup(
                store,
                [
                    { db in try await db.raw("INSERT INTO t (k, n) VALUES ('kept?', 1)").run() },
                    // Checked only at COMMIT (deferred), so the body itself succeeds.
                    { db in try await db.raw("INSERT INTO child (k, parent) VALUES ('orphan', 'nobody')").run() },
                ]
            )
            for result in results {
                guard case .failure(let error as MetadataStoreError) = result else {
                    Issue.record("a body of a failed group was acknowledged")
                    continue
                }
                #expect(error.kind == .database)
            }
            let (rows, children) = try await store.read { db in
                (
                    try await db.raw("SELECT COUNT(*) AS c FROM t").first()!.decode(column: "c", as: Int.self),
                    try await db.raw("SELECT COUNT(*) AS c FROM child").first()!.decode(column: "c", as: Int.self)
                )
            }
            #expect(rows == 1)
            #expect(children == 0)
            // The connection is usable afterwards.
            try await store.transaction { db in try await db.raw("INSERT INTO t (k, n) VALUES ('after', 1)").run() }
        }
    }
}

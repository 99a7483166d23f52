import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

@testable import ArtifactMetadata

/// Reads on an SQLite file never queue behind the writer, see every committed transaction, and
/// cannot write.
@Suite("SQLite read pool", .timeLimit(.minutes(5)))
struct SQLiteReadPoolTests {
    func withTable(_ body: (MetadataStore) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withStore { store in
            try await store.transaction { db in try await db.raw("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)").run() }
            try await body(store)
        }
    }

    @Test("a read completes while the writer is held, and sees only what committed")
    func readsBesideTheWriter() async throws {
        try await withTable { store in
            let (entered, enter) = AsyncStream<Void>.makeStream()
            let (released, release) = AsyncStream<Void>.makeStream()
            // A transaction that has written a row and waits, uncommitted, holding the writer.
            let writer = Task {
                try await store.transaction { db in
                    try await db.raw("INSERT INTO t (k, n) VALUES ('pending', 1)").run()
                    enter.yield()
                    for await _ in released { break }
                }
            }
            for await _ in entered { break }
            let during = try await store.read { db in
                try await db.raw("SELECT COUNT(*) AS c FROM t").first()!.decode(column: "c", as: Int.self)
            }
            #expect(during == 0)
            release.yield()
            release.finish()
            try await writer.value
            let after = try await store.read { db in
                try await db.raw("SELECT COUNT(*) AS c FROM t").first()!.decode(column: "c", as: Int.self)
            }
            #expect(after == 1)
        }
    }

    @Test("more concurrent reads than connections all complete")
    func moreReadsThanConnections() async throws {
        try await withTable { store in
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<(SQLiteReadPool.defaultSize * 4) {
                    group.addTask {
                        try await store.read { db in try await db.raw("SELECT 1 AS one").first()!.decode(column: "one", as: Int.self) }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == SQLiteReadPool.defaultSize * 4)
        }
    }

    static let valueRead = PreparedRead("SELECT k, n FROM t WHERE k = ?", columns: [.text("k"), .integer("n")])

    @Test("prepared reads answer while every reader is checked out by other reads, and many at once each get their own row")
    func preparedReadsBesideCheckedOutReaders() async throws {
        try await withTable { store in
            try await store.transaction { db in
                for index in 0..<64 { try await db.raw("INSERT INTO t (k, n) VALUES (\(bind: "k\(index)"), \(bind: index))").run() }
            }
            // Every reader checked out by a read that waits, holding it.
            let size = SQLiteReadPool.defaultSize
            let (entered, enter) = AsyncStream<Void>.makeStream()
            // One release per holder: an AsyncStream has one consumer.
            let releases = (0..<size).map { _ in AsyncStream<Void>.makeStream() }
            let holders = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (released, _) in releases {
                        group.addTask {
                            try await store.read { db in
                                _ = try await db.raw("SELECT COUNT(*) AS c FROM t").first()
                                enter.yield()
                                for await _ in released { break }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var held = 0
            for await _ in entered {
                held += 1
                if held == size { break }
            }
            // A prepared read does not wait for a reader to be checked in.
            let row = try await store.rows(of: Self.valueRead, binding: [.text("k7")])
            #expect(row.first?.integer(1) == 7)
            // Eight times as many prepared reads as readers, all at once: each gets its own row.
            let answers = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for index in 0..<(size * 8) {
                    group.addTask {
                        let rows = try await store.rows(of: Self.valueRead, binding: [.text("k\(index % 64)")])
                        return (index % 64, rows.first?.integer(1).map(Int.init))
                    }
                }
                return try await group.reduce(into: [(Int, Int?)]()) { $0.append($1) }
            }
            #expect(answers.count == size * 8)
            #expect(answers.allSatisfy { $0.0 == $0.1 })
            for (_, release) in releases { release.finish() }
            try await holders.value
        }
    }

    @Test("a read connection refuses to write, with the metadata store's error")
    func readsCannotWrite() async throws {
        try await withTable { store in
            let error = await #expect(throws: MetadataStoreError.self) {
                try await store.read { db in try await db.raw("INSERT INTO t (k, n) VALUES ('sneaky', 1)").run() }
            }
            #expect(error?.kind == .database)
            let count = try await store.read { db in
                try await db.raw("SELECT COUNT(*) AS c FROM t").first()!.decode(column: "c", as: Int.self)
            }
            #expect(count == 0)
        }
    }

    @Test("another store's write to the same file is heard by polling, as undescribed")
    func foreignWritesHeard() async throws {
        try await TestDatabase.sqlite.withLocation { location in
            try await TestDatabase.withStore(at: location) { first in
                try await TestDatabase.withStore(at: location) { second in
                    let heard = Mutex<[MetadataChange]>([])
                    second.subscribe { change in heard.withLock { $0.append(change) } }
                    await second.checkForForeignWrites()
                    #expect(heard.withLock { $0 }.isEmpty)
                    try await second.transaction { db in try await db.raw("CREATE TABLE own (k TEXT)").run() }
                    await second.checkForForeignWrites()
                    #expect(heard.withLock { $0 }.isEmpty, "a store's own writes are not foreign")
                    try await first.transaction { db in try await db.raw("CREATE TABLE t (k TEXT)").run() }
                    await second.checkForForeignWrites()
                    #expect(heard.withLock { $0 } == [.undescribed])
                }
            }
        }
    }
}

import ArtifactStoreTestSupport
import Foundation
import SQLKit
import SQLiteKit
import Testing

@testable import ArtifactMetadata

/// The SQLite writer keeps the statements it prepared (``SQLiteWriter``), with the answers of a
/// connection that prepares every statement anew.
@Suite("SQLite writer", .timeLimit(.minutes(10)))
struct SQLiteWriterTests {
    func withStore(_ body: (MetadataStore, SQLiteWriter) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withStore { store in
            guard case .sqlite(let writer, _, _, _) = store.connection else {
                Issue.record("an SQLite store has no SQLite writer")
                return
            }
            try await store.transaction { db in
                try await db.raw("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL, note TEXT)").run()
            }
            try await body(store, writer.writer)
        }
    }

    @Test("one text runs with new values each time from one statement, prepared once; its rows are read as bound")
    func keepsOneStatementPerText() async throws {
        try await withStore { store, writer in
            let before = writer.keptStatements(reprepareCountOf: "").kept
            for index in 0..<50 {
                let returned = try await store.transaction { db in
                    try await db.raw(
                        "INSERT INTO t (k, n, note) VALUES (\(bind: "k\(index)"), \(bind: Int64(index)), \(bind: index.isMultiple(of: 2) ? "even" : nil)) RETURNING k, n, note"
                    ).first()
                }
                let row = try #require(returned)
                #expect(try row.decode(column: "k", as: String.self) == "k\(index)")
                #expect(try row.decode(column: "n", as: Int64.self) == Int64(index))
                #expect(try row.decodeNil(column: "note") == !index.isMultiple(of: 2))
            }
            let after = writer.keptStatements(reprepareCountOf: "")
            // BEGIN, COMMIT and the insert: each kept once, whatever was bound.
            #expect(after.kept - before <= 3)
            let rows = try await store.read { db in try await db.raw("SELECT COUNT(*) AS c, SUM(n) AS s FROM t").first() }
            #expect(try rows?.decode(column: "c", as: Int.self) == 50)
            #expect(try rows?.decode(column: "s", as: Int.self) == (0..<50).reduce(0, +))
        }
    }

    @Test("a kept statement over a table whose columns changed answers with the new columns")
    func schemaChangeSeen() async throws {
        try await withStore { store, writer in
            let select = "SELECT * FROM t WHERE k = 'a'"
            try await store.transaction { db in try await db.raw("INSERT INTO t (k, n) VALUES ('a', 1)").run() }
            let first = try await store.transaction { db in try await db.raw(SQLQueryString(select)).first()?.allColumns }
            #expect(first == ["k", "n", "note"])
            try await store.transaction { db in try await db.raw("ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'x'").run() }
            let second = try await store.transaction { db in try await db.raw(SQLQueryString(select)).first() }
            #expect(second?.allColumns == ["k", "n", "note", "extra"])
            #expect(try second?.decode(column: "extra", as: String.self) == "x")
            #expect(writer.keptStatements(reprepareCountOf: select).reprepares ?? 0 >= 1)
        }
    }

    @Test("a statement that fails gives the store's database error, changes nothing, and its text runs again afterwards")
    func failureLeavesTheStatementUsable() async throws {
        try await withStore { store, _ in
            func put(_ key: String, _ n: Int64?) async throws {
                try await store.transaction { db in
                    try await db.raw("INSERT INTO t (k, n) VALUES (\(bind: key), \(bind: n))").run()
                }
            }
            try await put("x", 1)
            await #expect(throws: MetadataStoreError.self) { try await put("x", 2) }
            do {
                try await put("y", nil)
                Issue.record("a NULL into a NOT NULL column was stored")
            } catch let error as MetadataStoreError {
                #expect(error.kind == .database)
                #expect(error.message.contains("NOT NULL"), "the message says what SQLite refused: \(error.message)")
            }
            try await put("z", 3)
            let keys = try await store.read { db in
                try await db.raw("SELECT k FROM t ORDER BY k").all().map { try $0.decode(column: "k", as: String.self) }
            }
            #expect(keys == ["x", "z"])
        }
    }

    @Test("texts past the writer's capacity drop the longest unused, and every text still runs")
    func boundedStatements() async throws {
        try await withStore { store, writer in
            for index in 0..<(SQLiteWriter.Connection.capacity + 20) {
                let text: String = "SELECT \(index) AS v"
                let value = try await store.transaction { db in
                    try await db.raw(SQLQueryString(text)).first()?.decode(column: "v", as: Int.self)
                }
                #expect(value == index)
            }
            #expect(writer.keptStatements(reprepareCountOf: "").kept <= SQLiteWriter.Connection.capacity)
        }
    }

    @Test("a closed store's writer refuses statements with the store's closed error")
    func closedRefuses() async throws {
        try await TestDatabase.sqlite.withLocation { location in
            let store = try await MetadataStore.open(location, logger: TestLogs.silent)
            try await store.transaction { db in try await db.raw("CREATE TABLE t (k TEXT)").run() }
            await store.close()
            await #expect(throws: MetadataStoreError.self) {
                try await store.transaction { db in try await db.raw("INSERT INTO t (k) VALUES ('a')").run() }
            }
            guard case .sqlite(let writer, _, _, _) = store.connection else { return }
            #expect(throws: SQLitePreparedError.self) { _ = try writer.writer.run("SELECT 1", []) }
        }
    }
}

/// The writer's own conversions of bound values and columns (``SQLiteWriterDatabase/encode(_:)``,
/// ``SQLiteWriterRow/decode(column:as:)``) answer as sqlite-kit's encoder and decoder.
@Suite("SQLite writer conversions", .timeLimit(.minutes(10)))
struct SQLiteWriterConversionTests {
    @Test("every kind of bound value is encoded as sqlite-kit encodes it")
    func encodesAsSQLiteKit() throws {
        let noText: String? = nil
        let noInteger: Int64? = nil
        let someText: String? = "x"
        let someInteger: Int64? = 7
        let values: [any Encodable & Sendable] = [
            "text", "", someText, noText, noInteger, someInteger, Int64.max, Int64.min, 42, -1, true, false, 1.5,
            Int32(3), UInt8(9), Date(timeIntervalSince1970: 12.5), UUID(uuidString: "6BA7B810-9DAD-11D1-80B4-00C04FD430C8")!,
            Data([1, 2, 3]), ["a", "b"],
        ]
        for value in values {
            #expect(try SQLiteWriterDatabase.encode(value) == SQLiteDataEncoder().encode(value), "\(value)")
        }
    }

    @Test("every kind of column is decoded as sqlite-kit decodes it, refusals included")
    func decodesAsSQLiteKit() throws {
        let data: [SQLiteData] = [.text("abc"), .text("12"), .integer(12), .integer(1), .integer(0), .float(1.5), .null]
        let row = SQLiteWriterRow(columns: .init(names: data.indices.map { "c\($0)" }), values: data)
        func same<D: Decodable & Equatable>(_ type: D.Type) {
            for (index, value) in data.enumerated() {
                let ours = Result { try row.decode(column: "c\(index)", as: D.self) }
                let theirs = Result { try SQLiteDataDecoder().decode(D.self, from: value) }
                switch (ours, theirs) {
                case (.success(let a), .success(let b)): #expect(a == b, "\(D.self) from \(value)")
                case (.failure, .failure): break
                default: Issue.record("\(D.self) from \(value): ours \(ours), sqlite-kit's \(theirs)")
                }
            }
        }
        same(String.self)
        same(Int64.self)
        same(Int.self)
        same(Bool.self)
        same(Double.self)
        same(String?.self)
        #expect(throws: (any Error).self) { try row.decode(column: "missing", as: String.self) }
        #expect(try row.decodeNil(column: "c6"))
        #expect(try !row.decodeNil(column: "c0"))
    }
}

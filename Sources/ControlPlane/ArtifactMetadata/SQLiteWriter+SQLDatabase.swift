import Logging
import NIOCore
import SQLKit
import SQLiteKit

extension SQLiteWriter {
    /// The writer as sql-kit's `SQLDatabase`: the SQLite dialect, and sqlite-kit's encoder and
    /// decoder for bound values and rows, as `SQLiteConnection.sql()` gives.
    func sql(logger: Logger, on eventLoop: any EventLoop) -> SQLiteWriterDatabase {
        SQLiteWriterDatabase(writer: self, logger: logger, eventLoop: eventLoop)
    }
}

/// ``SQLiteWriter`` behind sql-kit's `SQLDatabase`. A statement runs on the calling thread, to
/// its end, before `execute` returns.
struct SQLiteWriterDatabase: SQLDatabase {
    let writer: SQLiteWriter
    let logger: Logger
    let eventLoop: any EventLoop

    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        for row in try writer.run(sql, try binds.map(Self.encode)) { onRow(row) }
    }

    /// A ``PreparedValue`` as SQLite binds it (as ``encode(_:)`` binds the same text or integer).
    static func data(of value: PreparedValue) -> SQLiteData {
        switch value {
        case .text(let text): .text(text)
        case .integer(let integer): .integer(.init(integer))
        case .null: .null
        }
    }

    /// sqlite-kit's encoder, made once: each one makes a `JSONEncoder`.
    static let encoder = SQLiteDataEncoder()

    /// `value` as sqlite-kit's encoder encodes it, without its dynamic casts and nested encoder
    /// for the values the store binds (text, integers, booleans, and `nil` of any optional).
    static func encode(_ value: any Encodable & Sendable) throws -> SQLiteData {
        switch value {
        case let text as String: .text(text)
        case let integer as Int64: .integer(.init(integer))
        case let integer as Int: .integer(.init(integer))
        case let bool as Bool: .integer(bool ? 1 : 0)
        // A `nil` of any optional type casts to every optional type.
        case let text as String?: text.map { .text($0) } ?? .null
        default: try encoder.encode(value)
        }
    }
}

/// One row from ``SQLiteWriter``, read through sqlite-kit's decoder as sqlite-kit reads an
/// sqlite-nio row: a column named twice answers with its first value.
struct SQLiteWriterRow: SQLRow {
    /// The result columns' names of a statement, shared by its rows.
    struct Columns: Sendable {
        let names: [String]

        func offset(of name: String) -> Int? { names.firstIndex(of: name) }
    }

    let columns: Columns
    let values: [SQLiteData]

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offset(of: column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.offset(of: column) else { return true }
        return values[offset] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let offset = columns.offset(of: column) else {
            throw SQLitePreparedError("the result has no column \"\(column)\"")
        }
        let data = values[offset]
        // The types the store reads, converted as sqlite-kit's decoder converts them, without
        // its dynamic cast; any other type goes to that decoder.
        let converted: D?
        if D.self == String.self {
            converted = String(sqliteData: data) as? D
        } else if D.self == Int64.self {
            converted = Int64(sqliteData: data) as? D
        } else if D.self == Int.self {
            converted = Int(sqliteData: data) as? D
        } else if D.self == Bool.self {
            converted = Bool(sqliteData: data) as? D
        } else {
            return try Self.decoder.decode(D.self, from: data)
        }
        guard let converted else {
            throw DecodingError.typeMismatch(
                D.self,
                .init(codingPath: [], debugDescription: "Could not convert SQLite data to \(D.self): \(data).")
            )
        }
        return converted
    }

    /// sqlite-kit's decoder, made once: each one makes a `JSONDecoder`.
    static let decoder = SQLiteDataDecoder()
}

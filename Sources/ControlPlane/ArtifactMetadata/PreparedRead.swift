package import SQLKit

/// A read-only statement whose text never changes, run with values bound to its `?` placeholders:
/// the hot lookups of the read path (a blob by address or digest), which run once for every
/// request that misses the caches.
///
/// Exists because preparing a statement (parsing it and planning it) is most of what a point
/// lookup costs SQLite: about 50,000 instructions of a cold 4 KiB GET, against a few thousand to
/// run it (callgrind). On an SQLite file each read connection prepares the text once and reuses
/// it (``SQLitePreparedReader``); on PostgreSQL and in memory it runs as any other statement,
/// with the same text and the same binds, so both engines keep one set of semantics.
///
/// Promises: the text is fixed at compile time by its author, holds one `?` per bound value in
/// order and no `?` anywhere else (no literal contains one), and reads only.
public struct PreparedRead: Sendable, Hashable {
    /// The statement, with `?` placeholders.
    public let sql: String
    /// How each result column is read, in `SELECT` order.
    public let columns: [Column]

    public enum Column: Sendable, Hashable {
        case text(String)
        case integer(String)

        var name: String {
            switch self {
            case .text(let name), .integer(let name): name
            }
        }
    }

    public init(_ sql: String, columns: [Column]) {
        self.sql = sql
        self.columns = columns
    }

    /// How many values the statement binds.
    public var placeholderCount: Int { sql.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "?") ? 1 : 0) } }

    /// The statement as sql-kit runs it, with `binds` in place of the placeholders (each engine
    /// then writes its own placeholder syntax).
    package func queryString(binding binds: [PreparedValue]) -> SQLQueryString {
        SQLQueryString(prepared: sql, binding: binds)
    }
}

/// A value bound to, or read from, a ``PreparedRead``.
public enum PreparedValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case null
}

/// One result row of a ``PreparedRead``: its values in column order.
public struct PreparedRow: Sendable, Hashable {
    public let values: [PreparedValue]

    public init(values: [PreparedValue]) {
        self.values = values
    }

    /// The text in column `index`; `nil` when it is NULL or not text.
    public func text(_ index: Int) -> String? {
        guard index < values.count, case .text(let text) = values[index] else { return nil }
        return text
    }

    /// The integer in column `index`; `nil` when it is NULL or not an integer.
    public func integer(_ index: Int) -> Int64? {
        guard index < values.count, case .integer(let integer) = values[index] else { return nil }
        return integer
    }

    /// Reads `row` (from sql-kit) as the `columns` of a ``PreparedRead`` say.
    package init(_ row: any SQLRow, columns: [PreparedRead.Column]) throws {
        values = try columns.map { column in
            if try row.decodeNil(column: column.name) { return .null }
            switch column {
            case .text(let name): return .text(try row.decode(column: name, as: String.self))
            case .integer(let name): return .integer(try row.decode(column: name, as: Int64.self))
            }
        }
    }
}

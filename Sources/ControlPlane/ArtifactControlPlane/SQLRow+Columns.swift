package import SQLKit

/// Short, typed reads of the column types the schema uses (`TEXT`, `BIGINT`).
extension SQLRow {
    package func string(_ column: String) throws -> String {
        try decode(column: column, as: String.self)
    }

    package func optionalString(_ column: String) throws -> String? {
        try decodeNil(column: column) ? nil : try decode(column: column, as: String.self)
    }

    package func int(_ column: String) throws -> Int64 {
        try decode(column: column, as: Int64.self)
    }

    package func optionalInt(_ column: String) throws -> Int64? {
        try decodeNil(column: column) ? nil : try decode(column: column, as: Int64.self)
    }
}

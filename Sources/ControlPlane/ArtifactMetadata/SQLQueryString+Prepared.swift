package import SQLKit

extension SQLQueryString {
    /// `sql` as sql-kit runs it, with `binds` in place of its `?` placeholders (each engine then
    /// writes its own placeholder syntax): how a ``PreparedRead`` or ``PreparedWrite`` runs
    /// where no kept statement does.
    package init(prepared sql: String, binding binds: [PreparedValue]) {
        self.init("")
        var values = binds.makeIterator()
        for (index, part) in sql.split(separator: "?", omittingEmptySubsequences: false).enumerated() {
            if index > 0, let value = values.next() {
                switch value {
                case .text(let text): appendInterpolation(bind: text)
                case .integer(let integer): appendInterpolation(bind: integer)
                case .null: appendLiteral("NULL")
                }
            }
            appendLiteral(String(part))
        }
    }
}

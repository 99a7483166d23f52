/// Byte counts as people write and read them: `10GiB`, `500MB`, `1.5 KiB`.
///
/// Exists so a quota can be given as `--quota 10GiB` on the command line and shown as `10.0 GiB`
/// in messages and tables, with one parser and one printer for the server and the clients.
public enum ByteSize {
    /// Binary (`KiB`…`TiB`, also `K`…`T`) and decimal (`kB`/`KB`…`TB`) units; a bare number is bytes.
    static let units: [(suffix: String, factor: Int64)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
        ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("kB", 1_000),
        ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1),
    ]

    /// The bytes `text` names (a whole number, or a decimal before a unit: `1.5GiB`), or `nil`
    /// when it is empty, negative, malformed or above `Int64.max`.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.filter { $0 != " " }
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        let number = String(trimmed.dropLast(unit?.suffix.count ?? 0))
        let factor = unit?.factor ?? 1
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else { return nil }
        if let whole = Int64(number) {
            let (product, overflow) = whole.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        guard factor > 1, let value = Double(number), value.isFinite else { return nil }
        let bytes = (value * Double(factor)).rounded(.down)
        return bytes < 9.2e18 ? Int64(bytes) : nil
    }

    /// `512 B`, `1.5 KiB`, `52.4 MiB`, `1.0 GiB`.
    public static func describe(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(count) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// ``describe(_:)`` of a signed count (negative counts read as 0).
    public static func describe(_ count: Int64) -> String {
        describe(UInt64(max(count, 0)))
    }
}

/// RFC 8949 §8 diagnostic notation, for logs, error messages and tests.
///
/// Definite-length forms only (the value model does not remember indefinite lengths). Floats
/// print as Swift's shortest round-tripping decimal (`1.5`, `1e+300`), and `Infinity`, `-Infinity`,
/// `NaN`; byte strings as `h'…'`; tags as `n(content)`; other simple values as `simple(n)`.
extension CBORValue: CustomStringConvertible {
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .unsigned(let n): out += String(n)
        case .negative(let n):
            if n == UInt64.max {
                out += "-18446744073709551616"
            } else {
                out += "-" + String(n + 1)
            }
        case .byteString(let bytes):
            out += "h'"
            let digits = Array("0123456789abcdef")
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
            out += "'"
        case .textString(let text):
            out += "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                item.write(to: &out)
            }
            out += "]"
        case .map(let entries):
            out += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { out += ", " }
                entry.key.write(to: &out)
                out += ": "
                entry.value.write(to: &out)
            }
            out += "}"
        case .tagged(let tag, let content):
            out += String(tag) + "("
            content.write(to: &out)
            out += ")"
        case .simple(let n): out += "simple(\(n))"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .undefined: out += "undefined"
        case .float(let d):
            if d.isNaN {
                out += "NaN"
            } else if d.isInfinite {
                out += d < 0 ? "-Infinity" : "Infinity"
            } else {
                out += String(d)
            }
        }
    }
}

/// The coding keys the codec makes up itself: array positions (`Index n`, printed `[n]` in
/// coding paths) and `super`.
struct CBORCodingKey: CodingKey, Sendable {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }

    init(index: Int) {
        self.stringValue = "Index \(index)"
        self.intValue = index
    }

    static let `super` = CBORCodingKey(stringValue: "super")
}

extension CodingKey {
    /// The CBOR map key to look up first when decoding: an integer for keys that may stand for
    /// an `Int` dictionary key (their string value is the integer's decimal form), otherwise the
    /// key's string value. Lookups fall back to the string value.
    var cborKey: CBORValue {
        if let int = intValue, stringValue == String(int) { return CBORValue(int) }
        return .textString(stringValue)
    }
}

extension CBORValue {
    /// What kind of value this is, for error messages ("found text string").
    var kindDescription: String {
        switch self {
        case .unsigned(let n): return "unsigned integer \(n)"
        case .negative: return "negative integer \(self)"
        case .byteString(let b): return "byte string of \(b.count) bytes"
        case .textString: return "text string"
        case .array(let a): return "array of \(a.count) elements"
        case .map(let m): return "map of \(m.count) pairs"
        case .tagged(let t, _): return "tag \(t)"
        case .simple(let s): return "simple(\(s))"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .undefined: return "undefined"
        case .float(let d): return "float \(CBORValue.float(d))"
        }
    }
}

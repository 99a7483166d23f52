/// A strict JSON (RFC 8259) reader over a manifest's bytes that validates the whole document
/// and builds only the values ``OCIManifest/Wire`` keeps.
///
/// Exists because `JSONDecoder` first maps every token of the document (three integers per
/// value), then decodes from that map: for a 4 MB manifest of 9,000 to 26,000 descriptors the
/// map and the decoder's temporaries were megabytes that glibc then kept. This reader walks the
/// bytes once, with no allocation for a value it skips, so what a manifest costs beyond its
/// body is its descriptors' digests. It does what the decoder did to the fields it reads
/// (the first of duplicate keys wins, escaped keys match, a number with a fraction or exponent
/// is an integer when its value is one) and is stricter about the fields it skips: a malformed
/// string or number anywhere is invalid JSON (the decoder only scanned past those).
///
/// Not `Sendable`: it borrows the bytes for the duration of one ``OCIManifest/decode(_:)``.
struct ManifestJSONScanner {
    /// Why the bytes are not JSON, and where.
    struct Malformed: Error {
        var reason: String
        var offset: Int
    }

    /// The deepest nesting of arrays and objects accepted (`JSONDecoder`'s limit).
    static let maximumDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private(set) var index: Int
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        // A UTF-8 byte-order mark is skipped, as the decoder did.
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        self.index = bom ? 3 : 0
    }

    // MARK: Structure

    /// The next byte after whitespace, not consumed; `nil` at the end.
    mutating func peekToken() -> UInt8? {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return bytes[index]
            }
        }
        return nil
    }

    /// Consumes `byte` after whitespace. - Throws: ``Malformed`` when something else is there.
    mutating func expect(_ byte: UInt8, _ what: String) throws(Malformed) {
        guard peekToken() == byte else { throw malformed("expected \(what)") }
        index += 1
    }

    /// Fails unless only whitespace is left.
    mutating func expectEnd() throws(Malformed) {
        if peekToken() != nil { throw malformed("unexpected text after the top-level value") }
    }

    /// Reads an object's members: `member` is called with each key (decoded) and must consume
    /// its value. Trailing commas are accepted, as the decoder accepted them.
    mutating func readObject(_ member: (inout ManifestJSONScanner, String) throws(Malformed) -> Void) throws(Malformed) {
        try readContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { scanner throws(Malformed) in
            guard scanner.peekToken() == UInt8(ascii: "\"") else { throw scanner.malformed("expected a key") }
            let key = try scanner.readString()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            try member(&scanner, key)
        }
    }

    /// Reads an array's elements: `element` must consume each one.
    mutating func readArray(_ element: (inout ManifestJSONScanner) throws(Malformed) -> Void) throws(Malformed) {
        try readContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), element)
    }

    /// An object or array: `open`, entries separated by commas (one may end them), `close`.
    private mutating func readContainer(
        open: UInt8,
        close: UInt8,
        _ entry: (inout ManifestJSONScanner) throws(Malformed) -> Void
    ) throws(Malformed) {
        try expect(open, "'\(Character(Unicode.Scalar(open)))'")
        try enter()
        defer { depth -= 1 }
        while peekToken() != close {
            try entry(&self)
            guard let next = peekToken(), next == close || next == UInt8(ascii: ",") else {
                throw malformed("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
            if next == close { break }
            index += 1
        }
        index += 1
    }

    private mutating func enter() throws(Malformed) {
        guard depth < Self.maximumDepth else { throw malformed("nested deeper than \(Self.maximumDepth) levels") }
        depth += 1
    }

    /// Checks and consumes any value, building nothing.
    mutating func skipValue() throws(Malformed) {
        guard let next = peekToken() else { throw malformed("unexpected end of the document") }
        switch next {
        case UInt8(ascii: "{"): try readObject { scanner, _ throws(Malformed) in try scanner.skipValue() }
        case UInt8(ascii: "["): try readArray { scanner throws(Malformed) in try scanner.skipValue() }
        case UInt8(ascii: "\""):
            var unused: [UInt8] = []
            try scanString(decoding: false, into: &unused)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
        default: throw malformed("unexpected character")
        }
    }

    /// Consumes `null` when it is next. Returns whether it did.
    mutating func skipNull() throws(Malformed) -> Bool {
        guard peekToken() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws(Malformed) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count,
            word.withUTF8Buffer({ expected in (0..<count).allSatisfy { bytes[index + $0] == expected[$0] } })
        else { throw malformed("unexpected character") }
        index += count
    }

    // MARK: Strings

    /// Reads a string value, decoding escapes. - Throws: ``Malformed`` for any string JSON refuses.
    mutating func readString() throws(Malformed) -> String {
        let start = index + 1
        var decoded: [UInt8] = []
        if try scanString(decoding: true, into: &decoded) {
            return String(decoding: decoded, as: UTF8.self)
        }
        // No escapes: the bytes between the quotes, already checked as UTF-8.
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1]), as: UTF8.self)
    }

    /// Reads a string value; `nil` (the value consumed) for any other value.
    mutating func readStringIfString() throws(Malformed) -> String? {
        guard peekToken() == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try readString()
    }

    /// Checks and consumes a string. With `decoding`, `decoded` receives the string's bytes
    /// once an escape is met (the bytes before it included); returns whether any escape was met.
    @discardableResult
    private mutating func scanString(decoding: Bool, into decoded: inout [UInt8]) throws(Malformed) -> Bool {
        guard peekToken() == UInt8(ascii: "\"") else { throw malformed("expected a string") }
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return escaped
            case UInt8(ascii: "\\"):
                if !escaped, decoding { decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index])) }
                escaped = true
                try scanEscape(decoding: decoding, into: &decoded)
            case 0x00..<0x20:
                throw malformed("a control character in a string must be escaped")
            case 0x20..<0x80:
                if escaped, decoding { decoded.append(byte) }
                index += 1
            default:
                let end = try scanUTF8Scalar()
                if escaped, decoding { decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index - end..<index])) }
            }
        }
        throw malformed("unterminated string")
    }

    /// Consumes one escape sequence, appending what it stands for to `decoded`.
    private mutating func scanEscape(decoding: Bool, into decoded: inout [UInt8]) throws(Malformed) {
        guard index + 1 < bytes.count else { throw malformed("unterminated string") }
        let simple: UInt8? =
            switch bytes[index + 1] {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case UInt8(ascii: "/"): UInt8(ascii: "/")
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "u"): nil
            default: throw malformed("invalid escape in a string")
            }
        if let simple {
            if decoding { decoded.append(simple) }
            index += 2
            return
        }
        var scalar = try hexQuad()
        if (0xDC00..<0xE000).contains(scalar) { throw malformed("an unpaired UTF-16 surrogate escape") }
        if (0xD800..<0xDC00).contains(scalar) {
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw malformed("an unpaired UTF-16 surrogate escape")
            }
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw malformed("an unpaired UTF-16 surrogate escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        if decoding, let value = Unicode.Scalar(scalar) {
            decoded.append(contentsOf: String(Character(value)).utf8)
        }
    }

    /// Consumes `\uXXXX` and returns its value.
    private mutating func hexQuad() throws(Malformed) -> UInt32 {
        guard bytes.count - index >= 6 else { throw malformed("unterminated string") }
        var value: UInt32 = 0
        for offset in 2..<6 {
            let byte = bytes[index + offset]
            let digit: UInt8 =
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
                default: throw malformed("invalid \\u escape in a string")
                }
            value = value << 4 | UInt32(digit)
        }
        index += 6
        return value
    }

    /// Consumes one multi-byte UTF-8 scalar (RFC 3629: no overlong forms, surrogates or values
    /// beyond U+10FFFF). Returns its length.
    private mutating func scanUTF8Scalar() throws(Malformed) -> Int {
        let lead = bytes[index]
        let (length, low, high): (Int, UInt8, UInt8) =
            switch lead {
            case 0xC2...0xDF: (2, 0x80, 0xBF)
            case 0xE0: (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
            case 0xED: (3, 0x80, 0x9F)
            case 0xF0: (4, 0x90, 0xBF)
            case 0xF1...0xF3: (4, 0x80, 0xBF)
            case 0xF4: (4, 0x80, 0x8F)
            default: throw malformed("invalid UTF-8")
            }
        guard bytes.count - index >= length, (low...high).contains(bytes[index + 1]) else { throw malformed("invalid UTF-8") }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            throw malformed("invalid UTF-8")
        }
        index += length
        return length
    }

    // MARK: Numbers

    /// Reads an integer when the next value is a number whose value is one that fits `T`;
    /// `nil` (the value consumed) for any other value, as the decoder's `try?` gave.
    mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws(Malformed) -> T? {
        switch peekToken() ?? 0 {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let (range, isInteger) = try scanNumber()
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            if isInteger { return T(text) }
            // `2.0`: the integer before a fraction of zeros, exactly.
            if let point = text.firstIndex(of: "."), text[point...].dropFirst().allSatisfy({ $0 == "0" }) {
                return T(text[..<point])
            }
            // An exponent or a fraction: an integer if its value is one (`1e3`, `20e-1`).
            guard let value = Double(text), value.isFinite else { return nil }
            return T(exactly: value)
        default:
            try skipValue()
            return nil
        }
    }

    /// Checks and consumes a number (RFC 8259 grammar). Returns its bytes and whether it has
    /// neither fraction nor exponent.
    private mutating func scanNumber() throws(Malformed) -> (range: Range<Int>, isInteger: Bool) {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw malformed("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard try digits() > 0 else { throw malformed("invalid number") }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard try digits() > 0 else { throw malformed("invalid number") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            isInteger = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard try digits() > 0 else { throw malformed("invalid number") }
        }
        if index < bytes.count, Self.continuesNumber(bytes[index]) { throw malformed("invalid number") }
        return (start..<index, isInteger)
    }

    private mutating func digits() throws(Malformed) -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    /// A byte that may not directly follow a number (`01`, `1.2.3`, `1-2`).
    private static func continuesNumber(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    private func malformed(_ reason: String) -> Malformed {
        Malformed(reason: reason, offset: index)
    }
}

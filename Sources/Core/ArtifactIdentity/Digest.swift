/// A 32-byte cryptographic digest together with the algorithm that produced it.
///
/// The text form is `<algorithm>:<64 lower-case hex>`, e.g. `blake3:af13…3262`. Parsing is
/// strict: the only accepted spelling of a digest is the one ``description`` produces, so two
/// strings name the same content exactly when they are equal. `Codable` uses the text form.
public struct Digest: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public let algorithm: DigestAlgorithm
    // The 32 bytes as four big-endian words: cheap to hash, compare and copy.
    private let w0: UInt64
    private let w1: UInt64
    private let w2: UInt64
    private let w3: UInt64

    /// Creates a digest from exactly 32 raw bytes.
    public init(algorithm: DigestAlgorithm, bytes: some Collection<UInt8>) throws(DigestParseError) {
        guard bytes.count == algorithm.digestByteCount else {
            throw DigestParseError(
                .wrongByteCount,
                input: "\(algorithm.rawValue) (\(bytes.count) bytes)",
                detail: "a \(algorithm.rawValue) digest has \(algorithm.digestByteCount) bytes, got \(bytes.count)"
            )
        }
        let words = bytes.withContiguousStorageIfAvailable(Self.words) ?? Array(bytes).withUnsafeBufferPointer(Self.words)
        self.init(algorithm: algorithm, words: words)
    }

    init(algorithm: DigestAlgorithm, words: (UInt64, UInt64, UInt64, UInt64)) {
        self.algorithm = algorithm
        (w0, w1, w2, w3) = words
    }

    /// The four big-endian words of exactly 32 bytes.
    static func words(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64, UInt64, UInt64) {
        let raw = UnsafeRawBufferPointer(bytes)
        func word(_ index: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        return (word(0), word(1), word(2), word(3))
    }

    /// Parses the text form, refusing anything but `<algorithm>:<64 lower-case hex>`.
    ///
    /// Reads the UTF-8 bytes in one pass without allocating: every blob request parses one.
    public init(parsing text: some StringProtocol) throws(DigestParseError) {
        var input = String(text)
        let parsed = input.withUTF8 { Self.parse($0) }
        switch parsed {
        case .success(let digest):
            self = digest
        case .failure(let failure):
            throw failure.error(input: input)
        }
    }

    /// Why ``parse(_:)`` refused its bytes, turned into a ``DigestParseError`` only on failure
    /// (the message quotes the whole input).
    enum ParseFailure: Error {
        case missingPrefix
        case unknownAlgorithm(name: String)
        case wrongLength(DigestAlgorithm, count: Int)
        case uppercaseHex(offset: Int)
        case nonHexCharacter(offset: Int)

        func error(input: String) -> DigestParseError {
            switch self {
            case .missingPrefix:
                return DigestParseError(.missingPrefix, input: input, detail: "expected \"blake3:<hex>\" or \"sha256:<hex>\"")
            case .unknownAlgorithm(let name):
                let known = DigestAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                return DigestParseError(
                    .unknownAlgorithm,
                    input: input,
                    detail: "unknown algorithm \(DigestParseError.quoted(name)) (known: \(known))"
                )
            case .wrongLength(let algorithm, let count):
                return DigestParseError(
                    .wrongLength,
                    input: input,
                    detail: "a \(algorithm.rawValue) digest has \(algorithm.hexCount) hex characters, got \(count)"
                )
            case .uppercaseHex(let offset):
                return DigestParseError(
                    .uppercaseHex,
                    input: input,
                    detail: "upper-case hex digit at position \(offset) of the hex part; digests are lower-case"
                )
            case .nonHexCharacter(let offset):
                return DigestParseError(.nonHexCharacter, input: input, detail: "non-hex character at position \(offset) of the hex part")
            }
        }
    }

    static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> Result<Digest, ParseFailure> {
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else { return .failure(.missingPrefix) }
        let name = UnsafeBufferPointer(rebasing: utf8[..<colon])
        guard let algorithm = DigestAlgorithm.allCases.first(where: { $0.rawValue.utf8.elementsEqual(name) }) else {
            return .failure(.unknownAlgorithm(name: String(decoding: name, as: UTF8.self)))
        }
        let hex = UnsafeBufferPointer(rebasing: utf8[(colon + 1)...])
        guard hex.count == algorithm.hexCount else { return .failure(.wrongLength(algorithm, count: hex.count)) }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for offset in 0..<hex.count {
            let character = hex[offset]
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return .failure(.uppercaseHex(offset: offset))
            default: return .failure(.nonHexCharacter(offset: offset))
            }
            let value = UInt64(nibble) << UInt64(60 - 4 * (offset % 16))
            switch offset / 16 {
            case 0: words.0 |= value
            case 1: words.1 |= value
            case 2: words.2 |= value
            default: words.3 |= value
            }
        }
        return .success(Digest(algorithm: algorithm, words: words))
    }

    /// Parses the text form; `nil` if it is not valid. Use ``init(parsing:)`` to learn why.
    public init?(_ description: String) {
        guard let digest = try? Digest(parsing: description) else { return nil }
        self = digest
    }

    /// The 32 raw bytes.
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            for (index, word) in [w0, w1, w2, w3].enumerated() {
                for byte in 0..<8 {
                    buffer[index * 8 + byte] = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * byte))
                }
            }
            count = 32
        }
    }

    /// The 64 lower-case hex characters, without the algorithm prefix. Written straight into the
    /// string's storage: it is formatted on every blob response (`ETag`, `Location`, logs).
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            writeHex(into: buffer, at: 0)
            return 64
        }
    }

    /// The 32 bytes in standard base64 with padding (RFC 4648 §4; 44 characters), as HTTP's
    /// `Content-Digest` and `Repr-Digest` carry them (RFC 9530). Written straight into the
    /// string's storage: every blob response carries it.
    public var base64: String {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let words = (w0, w1, w2, w3)
        return String(unsafeUninitializedCapacity: 44) { buffer in
            func byte(_ index: Int) -> UInt32 {
                let word = index < 8 ? words.0 : index < 16 ? words.1 : index < 24 ? words.2 : words.3
                return UInt32(truncatingIfNeeded: word >> UInt64(56 - 8 * (index % 8)))
            }
            let symbols = alphabet.utf8Start
            var out = 0
            // 30 bytes in ten groups of three, then the last two with one `=`.
            for group in 0..<11 {
                let first = byte(group * 3)
                let second = byte(group * 3 + 1)
                let third: UInt32 = group < 10 ? byte(group * 3 + 2) : 0
                let bits = first << 16 | second << 8 | third
                buffer[out] = symbols[Int(bits >> 18 & 0x3F)]
                buffer[out + 1] = symbols[Int(bits >> 12 & 0x3F)]
                buffer[out + 2] = symbols[Int(bits >> 6 & 0x3F)]
                buffer[out + 3] = group < 10 ? symbols[Int(bits & 0x3F)] : UInt8(ascii: "=")
                out += 4
            }
            return out
        }
    }

    /// `<algorithm>:<hex>`, written straight into the string's storage as ``hex`` is.
    public var description: String {
        let name = algorithm.rawValue.utf8
        return String(unsafeUninitializedCapacity: name.count + 65) { buffer in
            let prefix = buffer.initialize(fromContentsOf: name)
            buffer[prefix] = UInt8(ascii: ":")
            writeHex(into: buffer, at: prefix + 1)
            return prefix + 65
        }
    }

    private func writeHex(into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        func put(_ word: UInt64, at start: Int) {
            for nibble in 0..<16 {
                let value = UInt8(truncatingIfNeeded: word >> UInt64(60 - 4 * nibble)) & 0x0F
                buffer[start + nibble] = value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
            }
        }
        put(w0, at: start)
        put(w1, at: start + 16)
        put(w2, at: start + 32)
        put(w3, at: start + 48)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

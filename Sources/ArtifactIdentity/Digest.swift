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
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (index, byte) in bytes.enumerated() {
            let shift = UInt64(56 - 8 * (index % 8))
            let value = UInt64(byte) << shift
            switch index / 8 {
            case 0: words.0 |= value
            case 1: words.1 |= value
            case 2: words.2 |= value
            default: words.3 |= value
            }
        }
        self.algorithm = algorithm
        (w0, w1, w2, w3) = words
    }

    /// Parses the text form, refusing anything but `<algorithm>:<64 lower-case hex>`.
    public init(parsing text: some StringProtocol) throws(DigestParseError) {
        let input = String(text)
        guard let colon = input.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw DigestParseError(.missingPrefix, input: input, detail: "expected \"blake3:<hex>\" or \"sha256:<hex>\"")
        }
        let name = String(input[..<colon])
        guard let algorithm = DigestAlgorithm(rawValue: name) else {
            let known = DigestAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw DigestParseError(
                .unknownAlgorithm,
                input: input,
                detail: "unknown algorithm \(DigestParseError.quoted(name)) (known: \(known))"
            )
        }
        let hex = input.utf8[input.utf8.index(after: colon)...]
        guard hex.count == algorithm.hexCount else {
            throw DigestParseError(
                .wrongLength,
                input: input,
                detail: "a \(algorithm.rawValue) digest has \(algorithm.hexCount) hex characters, got \(hex.count)"
            )
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(algorithm.digestByteCount)
        var high: UInt8? = nil
        for (offset, character) in hex.enumerated() {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                throw DigestParseError(
                    .uppercaseHex,
                    input: input,
                    detail: "upper-case hex digit at position \(offset) of the hex part; digests are lower-case"
                )
            default:
                throw DigestParseError(
                    .nonHexCharacter,
                    input: input,
                    detail: "non-hex character at position \(offset) of the hex part"
                )
            }
            if let pending = high {
                bytes.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        try self.init(algorithm: algorithm, bytes: bytes)
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
        let (w0, w1, w2, w3) = (self.w0, self.w1, self.w2, self.w3)
        return String(unsafeUninitializedCapacity: 64) { buffer in
            func put(_ word: UInt64, at start: Int) {
                for nibble in 0..<16 {
                    let value = UInt8(truncatingIfNeeded: word >> UInt64(60 - 4 * nibble)) & 0x0F
                    buffer[start + nibble] = value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
                }
            }
            put(w0, at: 0)
            put(w1, at: 16)
            put(w2, at: 32)
            put(w3, at: 48)
            return 64
        }
    }

    /// `<algorithm>:<hex>`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }

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

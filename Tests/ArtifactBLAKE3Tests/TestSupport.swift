@_spi(Testing) import ArtifactBLAKE3
import ArtifactStoreTestSupport
import Foundation

/// Shared helpers for the BLAKE3 tests: locating test data, the official vectors, inputs and a
/// seeded random generator (so failures are reproducible).
enum TestSupport {
    static let packageRoot = SharedTestData.packageRoot

    /// `../shared/testdata` next to the package root.
    static let testDataDirectory = SharedTestData.root

    /// The official vector input: bytes `i % 251` for `i` in `0..<length`.
    static func vectorInput(length: Int) -> [UInt8] {
        (0..<length).map { UInt8($0 % 251) }
    }

    /// Lowercase hex (fast enough to call on every output in debug builds).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var ascii: [UInt8] = []
        ascii.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            ascii.append(digits[Int(byte >> 4)])
            ascii.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: ascii, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    /// Pseudo-random bytes from a seed.
    static func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = rng.next()
            for _ in 0..<8 where i < count {
                out[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return out
    }
}

/// The contents of `testdata/blake3/test_vectors.json`.
struct BLAKE3Vectors: Decodable, Sendable {
    struct Case: Decodable, Sendable {
        let inputLen: Int
        let hash: String
        let keyedHash: String
        let deriveKey: String

        enum CodingKeys: String, CodingKey {
            case inputLen = "input_len"
            case hash
            case keyedHash = "keyed_hash"
            case deriveKey = "derive_key"
        }
    }

    let key: String
    let contextString: String
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case key
        case contextString = "context_string"
        case cases
    }

    static let url = TestSupport.testDataDirectory.appendingPathComponent("blake3/test_vectors.json")

    private static let loaded = Result { try JSONDecoder().decode(BLAKE3Vectors.self, from: Data(contentsOf: url)) }

    /// The vectors; throws (failing the calling test, not crashing the run) when the file is
    /// missing or malformed.
    static func load() throws -> BLAKE3Vectors {
        do {
            return try loaded.get()
        } catch {
            throw VectorsMissing(message: "cannot read BLAKE3 vectors at \(url.path): \(error)")
        }
    }

    struct VectorsMissing: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    var keyBytes: [UInt8] { Array(key.utf8) }
}

/// The three BLAKE3 modes, set up as in the official vectors.
enum BLAKE3Mode: String, CaseIterable, Sendable {
    case hash
    case keyedHash
    case deriveKey

    /// The key of the official vectors.
    static let vectorKey = Array("whats the Elvish word for friend".utf8)
    /// The derive-key context of the official vectors.
    static let vectorContext = "BLAKE3 2019-12-27 16:29:52 test vectors context"

    /// A fresh hasher for this mode using the vectors' key / context, on `level`.
    func makeHasher(level: BLAKE3.SIMDLevel? = nil) -> BLAKE3Hasher {
        var hasher: BLAKE3Hasher
        switch self {
        case .hash: hasher = BLAKE3Hasher()
        case .keyedHash: hasher = try! BLAKE3Hasher(key: Self.vectorKey)
        case .deriveKey: hasher = BLAKE3Hasher(deriveKeyContext: Self.vectorContext)
        }
        if let level { hasher.useSIMDLevel(level) }
        return hasher
    }

    /// The expected 131-byte output of `vectorCase` in this mode.
    func expected(_ vectorCase: BLAKE3Vectors.Case) -> [UInt8] {
        switch self {
        case .hash: TestSupport.bytes(hex: vectorCase.hash)
        case .keyedHash: TestSupport.bytes(hex: vectorCase.keyedHash)
        case .deriveKey: TestSupport.bytes(hex: vectorCase.deriveKey)
        }
    }
}

/// SplitMix64: a small, well-known seeded generator for reproducible test data and splits.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

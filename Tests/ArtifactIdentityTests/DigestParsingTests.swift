import ArtifactIdentity
import Foundation
import Testing

@Suite("Digest text form", .timeLimit(.minutes(5)))
struct DigestParsingTests {
    static let hex = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"

    @Test func parsesAndPrintsCanonicalForm() throws {
        for algorithm in DigestAlgorithm.allCases {
            let text = "\(algorithm.rawValue):\(Self.hex)"
            let digest = try Digest(parsing: text)
            #expect(digest.algorithm == algorithm)
            #expect(digest.description == text)
            #expect(digest.hex == Self.hex)
            #expect(digest.bytes.count == 32)
            #expect(digest.bytes.first == 0xaf)
            #expect(digest.bytes.last == 0x62)
            #expect(try Digest(algorithm: algorithm, bytes: digest.bytes) == digest)
        }
    }

    @Test("hex, description, base64 and bytes agree with Foundation and with parsing, for any bytes")
    func formsAgree() throws {
        var generator = SystemRandomNumberGenerator()
        let samples =
            [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 0xFF, count: 32)]
            + (0..<200).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        for bytes in samples {
            let digest = try Digest(algorithm: .sha256, bytes: bytes)
            #expect(digest.bytes == bytes)
            #expect(digest.base64 == Data(bytes).base64EncodedString())
            #expect(digest.hex == bytes.map { String(format: "%02x", $0) }.joined())
            #expect(digest.description == "sha256:" + digest.hex)
            #expect(try Digest(parsing: digest.description) == digest)
            // A non-contiguous collection takes the copying path to the same digest.
            #expect(try Digest(algorithm: .sha256, bytes: bytes.lazy.map { $0 }) == digest)
        }
        let hashed = Digest.sha256(of: Array("abc".utf8))
        #expect(hashed.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256(of: "abc".utf8) == hashed)
        #expect(Digest.sha256(of: "abc".utf8.lazy.map { $0 }) == hashed)
    }

    @Test func equalityAndHashingFollowAlgorithmAndBytes() throws {
        let a = try Digest(parsing: "blake3:\(Self.hex)")
        let b = try Digest(parsing: "sha256:\(Self.hex)")
        #expect(a != b)
        #expect(Set([a, b, a]).count == 2)
        let other = try Digest(parsing: "blake3:" + String(Self.hex.dropLast()) + "3")
        #expect(a != other)
    }

    struct Rejection: Sendable, CustomTestStringConvertible {
        let input: String
        let reason: DigestParseError.Reason
        var testDescription: String { "\(reason): \(input.debugDescription)" }
    }

    static let rejections: [Rejection] = [
        Rejection(input: "", reason: .missingPrefix),
        Rejection(input: hex, reason: .missingPrefix),
        Rejection(input: "blake3", reason: .missingPrefix),
        Rejection(input: "md5:\(hex)", reason: .unknownAlgorithm),
        Rejection(input: ":\(hex)", reason: .unknownAlgorithm),
        Rejection(input: "BLAKE3:\(hex)", reason: .unknownAlgorithm),
        Rejection(input: "sha512:\(hex)", reason: .unknownAlgorithm),
        Rejection(input: " blake3:\(hex)", reason: .unknownAlgorithm),
        Rejection(input: "blake3:", reason: .wrongLength),
        Rejection(input: "blake3:\(hex.dropLast())", reason: .wrongLength),
        Rejection(input: "blake3:\(hex)0", reason: .wrongLength),
        Rejection(input: "blake3:\(hex)\(hex)", reason: .wrongLength),
        Rejection(input: "sha256:\(hex) ", reason: .wrongLength),
        Rejection(input: "blake3:\(hex.uppercased())", reason: .uppercaseHex),
        Rejection(input: "blake3:" + "A" + hex.dropFirst(), reason: .uppercaseHex),
        Rejection(input: "blake3:" + "g" + hex.dropFirst(), reason: .nonHexCharacter),
        Rejection(input: "blake3:" + String(hex.dropLast()) + "\u{0}", reason: .nonHexCharacter),
        Rejection(input: "blake3:" + String(hex.dropLast()) + ":", reason: .nonHexCharacter),
        Rejection(input: "blake3:" + String(hex.dropLast()) + "-", reason: .nonHexCharacter),
        Rejection(input: "blake3:" + String(hex.dropLast(2)) + "é", reason: .nonHexCharacter),
    ]

    @Test(arguments: rejections)
    func rejectsMalformedText(_ case: Rejection) throws {
        let error = try #require(throws: DigestParseError.self) { try Digest(parsing: `case`.input) }
        #expect(error.reason == `case`.reason)
        #expect(error.code == "invalidDigest")
        // The message names the input (printable inputs appear verbatim, up to the truncation limit).
        if `case`.input.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
            #expect(error.message.contains("\"\(`case`.input.prefix(90))"))
        }
        #expect(Digest(`case`.input) == nil)
        #expect(ContentAddress(`case`.input) == nil)
    }

    @Test func messageNamesWhatWasWrong() throws {
        let unknown = try #require(throws: DigestParseError.self) { try Digest(parsing: "md5:\(Self.hex)") }
        #expect(unknown.message.contains("unknown algorithm \"md5\""))
        let short = try #require(throws: DigestParseError.self) { try Digest(parsing: "sha256:abc") }
        #expect(short.message.contains("64 hex characters, got 3"))
        let upper = try #require(throws: DigestParseError.self) { try Digest(parsing: "blake3:\(Self.hex.uppercased())") }
        #expect(upper.message.contains("upper-case"))
    }

    @Test func hostileInputIsTruncatedInMessages() throws {
        let huge = "blake3:" + String(repeating: "a", count: 100_000)
        let error = try #require(throws: DigestParseError.self) { try Digest(parsing: huge) }
        #expect(error.reason == .wrongLength)
        #expect(error.message.count < 400)
        let control = try #require(throws: DigestParseError.self) { try Digest(parsing: "bla\u{1B}[31mke3:00") }
        #expect(!control.message.contains("\u{1B}"))
    }

    @Test func rawBytesMustBe32() throws {
        let error = try #require(throws: DigestParseError.self) { try Digest(algorithm: .blake3, bytes: [UInt8](repeating: 0, count: 31)) }
        #expect(error.reason == .wrongByteCount)
        #expect(throws: DigestParseError.self) { try Digest(algorithm: .sha256, bytes: [UInt8](repeating: 0, count: 33)) }
    }

    @Test func codableUsesTextForm() throws {
        let digest = try Digest(parsing: "sha256:\(Self.hex)")
        let address = ContentAddress(try Digest(parsing: "blake3:\(Self.hex)"))
        struct Pair: Codable, Equatable {
            let digest: Digest
            let address: ContentAddress
        }
        let data = try JSONEncoder().encode(Pair(digest: digest, address: address))
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"sha256:\(Self.hex)\""))
        #expect(json.contains("\"blake3:\(Self.hex)\""))
        #expect(try JSONDecoder().decode(Pair.self, from: data) == Pair(digest: digest, address: address))
    }

    @Test func decodingRejectsMalformedText() throws {
        let bad = Data("[\"blake3:\(Self.hex.uppercased())\"]".utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: bad) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ContentAddress].self, from: Data("[\"nope\"]".utf8)) }
    }

    @Test func contentAddressStorageKeyFansOut() throws {
        let address = try ContentAddress(parsing: "blake3:\(Self.hex)")
        #expect(address.storageKey == "blobs/blake3/af/13/\(Self.hex)")
        #expect(address.description == "blake3:\(Self.hex)")
        let sha = try ContentAddress(parsing: "sha256:\(Self.hex)")
        #expect(sha.storageKey == "blobs/sha256/af/13/\(Self.hex)")
        #expect(sha.algorithm == .sha256)
    }
}

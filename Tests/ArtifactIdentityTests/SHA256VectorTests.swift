import ArtifactIdentity
import Foundation
import NIOCore
import Testing

/// NIST CAVP byte-oriented SHA-256 vectors through our SHA-256 paths (swift-crypto underneath).
@Suite("SHA-256 NIST vectors", .timeLimit(.minutes(5)))
struct SHA256VectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let file: String
        let message: [UInt8]
        let digest: String
        var testDescription: String { "\(file) Len=\(message.count * 8)" }
    }

    static func load(_ file: String) throws -> [Vector] {
        let text = try String(contentsOf: TestData.url("sha256/\(file)"), encoding: .utf8)
        var vectors: [Vector] = []
        var length: Int?
        var message: [UInt8]?
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("Len = ") {
                length = Int(line.dropFirst(6))
            } else if line.hasPrefix("Msg = ") {
                message = hexBytes(String(line.dropFirst(6)))
            } else if line.hasPrefix("MD = "), let bits = length, let bytes = message {
                // `Len = 0` comes with `Msg = 00`: the empty message.
                vectors.append(Vector(file: file, message: Array(bytes.prefix(bits / 8)), digest: String(line.dropFirst(5))))
                length = nil
                message = nil
            }
        }
        return vectors
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
        }
        return bytes
    }

    @Test func shortMessagesFileHas65Records() throws {
        #expect(try Self.load("SHA256ShortMsg.rsp").count == 65)
        #expect(try Self.load("SHA256LongMsg.subset.rsp").count == 8)
    }

    @Test(arguments: ["SHA256ShortMsg.rsp", "SHA256LongMsg.subset.rsp"])
    func everyVectorMatches(file: String) async throws {
        for vector in try Self.load(file) {
            #expect(Digest.sha256(of: vector.message).hex == vector.digest, "\(vector.testDescription)")
            // The streaming path, fed in uneven pieces.
            let pieces = stride(from: 0, to: vector.message.count, by: 7).map {
                ByteBuffer(bytes: vector.message[$0..<min($0 + 7, vector.message.count)])
            }
            let (streamed, size) = try await Digest.digest(of: pieces.async, algorithm: .sha256)
            #expect(streamed.hex == vector.digest)
            #expect(size == UInt64(vector.message.count))
            let dual = try await DualDigester.digest(pieces.async)
            #expect(dual.sha256.hex == vector.digest, "\(vector.testDescription)")
        }
    }
}

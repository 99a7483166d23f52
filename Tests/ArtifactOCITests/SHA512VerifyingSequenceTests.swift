import ArtifactStoreCore
import Crypto
import Foundation
import NIOCore
import Testing

@testable import ArtifactOCI

/// The SHA-512 tee on its own: bytes pass unchanged, the verdict is set only at the end.
@Suite("SHA-512 verifying stream", .timeLimit(.minutes(10)))
struct SHA512VerifyingSequenceTests {
    static func hex(_ bytes: [UInt8]) -> String {
        SHA512.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func stream(_ parts: [[UInt8]]) -> ByteStream {
        ByteStream(
            AsyncStream<ByteBuffer> { continuation in
                for part in parts { continuation.yield(ByteBuffer(bytes: part)) }
                continuation.finish()
            }
        )
    }

    @Test("matching bytes in several buffers pass unchanged; matched only once the source ended")
    func matches() async throws {
        let parts: [[UInt8]] = [Array(repeating: 1, count: 1000), [], Array(0...255), Array(repeating: 9, count: 70_000)]
        let verdict = SHA512VerifyingSequence.Verdict()
        let sequence = SHA512VerifyingSequence(base: Self.stream(parts), expectedHex: Self.hex(parts.flatMap { $0 }), verdict: verdict)
        var iterator = sequence.makeAsyncIterator()
        var read: [UInt8] = []
        for _ in parts {
            let buffer = try #require(try await iterator.next())
            read += Array(buffer.readableBytesView)
            #expect(!verdict.matched)
        }
        #expect(try await iterator.next() == nil)
        #expect(read == parts.flatMap { $0 })
        #expect(verdict.matched)
        #expect(verdict.mismatch == nil)
        #expect(try await iterator.next() == nil)
    }

    @Test("a mismatch throws DIGEST_INVALID at the end instead of ending, and is recorded; the empty stream is checked too")
    func mismatch() async throws {
        for parts in [[[UInt8(1), 2, 3]], [[UInt8]]()] {
            let verdict = SHA512VerifyingSequence.Verdict()
            let sequence = SHA512VerifyingSequence(base: Self.stream(parts), expectedHex: Self.hex([7]), verdict: verdict)
            await #expect {
                for try await _ in sequence {}
            } throws: { ($0 as? OCIError)?.kind == .digestInvalid }
            #expect(!verdict.matched)
            #expect(verdict.mismatch?.kind == .digestInvalid)
        }
    }
}

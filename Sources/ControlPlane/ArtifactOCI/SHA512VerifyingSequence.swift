import ArtifactControlPlane
import ArtifactStoreCore
import Crypto
import NIOCore
import Synchronization

/// A byte stream passed through unchanged while its SHA-512 is computed; when the source ends,
/// the digest is compared with the expected one and a mismatch is thrown (`DIGEST_INVALID`)
/// instead of ending.
///
/// Exists because the data plane computes only BLAKE3 and SHA-256: an OCI upload named by
/// `sha512:` is checked by this tee in the same single pass, and because the failure reaches
/// the data plane as a failure of its source, the ingest discards its temporary and stores
/// nothing (no object, no row, no link). Memory stays constant: one hasher state.
struct SHA512VerifyingSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// What the check found, readable after the ingest: a mismatch (reported as
    /// `DIGEST_INVALID` whatever error the data plane wrapped it in), or that the stream was read
    /// to its end and matched (the only state in which the blob may be recorded under the digest).
    final class Verdict: Sendable {
        enum State: Sendable {
            case pending
            case matched
            case mismatch(OCIError)
        }

        private let state = Mutex(State.pending)

        var mismatch: OCIError? {
            state.withLock {
                if case .mismatch(let error) = $0 { return error }
                return nil
            }
        }

        var matched: Bool {
            state.withLock {
                if case .matched = $0 { return true }
                return false
            }
        }

        func record(_ state: State) { self.state.withLock { $0 = state } }
    }

    let base: ByteStream
    /// The 128 lower-case hex digits the bytes must hash to.
    let expectedHex: String
    let verdict: Verdict

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let expectedHex: String
        let verdict: Verdict
        var hasher = SHA512()
        var size: UInt64 = 0
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if let buffer = try await base.next(isolation: #isolation) {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                size += UInt64(buffer.readableBytes)
                return buffer
            }
            finished = true
            let actual = OCIBlobDigest.hex(hasher.finalize())
            guard actual == expectedHex else {
                let error = OCIError(
                    .digestInvalid,
                    "expected digest sha512:\(expectedHex), the stream's \(size) bytes have sha512:\(actual); nothing was stored"
                )
                verdict.record(.mismatch(error))
                throw error
            }
            verdict.record(.matched)
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), expectedHex: expectedHex, verdict: verdict)
    }
}

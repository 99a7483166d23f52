import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreCore
import NIOCore

/// The stream a ranged `serve` returns: the groups that cover the range, each hashed and
/// compared with its proved CV (``OutboardProof``) before any of its bytes leave, trimmed to the
/// range. A group that does not match, or bytes that end early, end the stream with
/// `objectCorrupt`: the bytes of that group are never returned.
///
/// Buffers are checked in place, 16 KiB at a time; only a group split across two buffers is
/// copied (into a buffer of one group). Memory is one base buffer and one group.
struct ProvedRangeStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// The object's bytes from the start of the first group to the end of the last.
    let base: ByteStream
    let proof: OutboardProof
    let range: ClosedRange<UInt64>
    let address: ContentAddress
    let backendID: String

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        var proof: OutboardProof
        let stream: ProvedRangeStream
        var group: Int
        let lastGroup: Int
        var carry: ByteBuffer?
        var ready: [ByteBuffer] = []
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            do {
                while ready.isEmpty {
                    guard !finished else { return nil }
                    guard var buffer = try await base.next(isolation: #isolation) else {
                        finished = true
                        guard group > lastGroup else {
                            throw corrupt("ends before byte \(proof.layout.group(group).upperBound)")
                        }
                        return nil
                    }
                    try await consume(&buffer)
                }
                return ready.removeFirst()
            } catch {
                finished = true
                ready = []
                throw DataPlaneError.reading(error, stream.address, backendID: stream.backendID)
            }
        }

        func corrupt(_ what: String) -> DataPlaneError {
            DataPlaneError(
                .objectCorrupt,
                "the object \(stream.address) in backend \"\(stream.backendID)\" \(what): it is damaged, and the bytes that did not "
                    + "prove were withheld; push the content again to repair it",
                backendID: stream.backendID
            )
        }

        mutating func consume(_ buffer: inout ByteBuffer) async throws {
            guard group <= lastGroup else {
                if buffer.readableBytes > 0 { throw corrupt("runs past its size") }
                return
            }
            if var pending = carry {
                let needed = Int(proof.layout.group(group).count) - pending.readableBytes
                var head = buffer.readSlice(length: Swift.min(needed, buffer.readableBytes))!
                pending.writeBuffer(&head)
                guard pending.readableBytes == proof.layout.group(group).count else {
                    carry = pending
                    return
                }
                carry = nil
                let start = proof.layout.group(group).lowerBound
                try await check(pending)
                emit(pending, at: start)
            }
            let start = group <= lastGroup ? proof.layout.group(group).lowerBound : 0
            var checked = 0
            while group <= lastGroup, buffer.readableBytes - checked >= proof.layout.group(group).count {
                let length = Int(proof.layout.group(group).count)
                try await check(buffer.getSlice(at: buffer.readerIndex + checked, length: length)!)
                checked += length
            }
            if checked > 0 { emit(buffer.readSlice(length: checked)!, at: start) }
            if buffer.readableBytes > 0 {
                guard group <= lastGroup else { throw corrupt("runs past its size") }
                // A copy, so the carry does not keep the whole base buffer alive.
                var pending = ByteBuffer()
                pending.reserveCapacity(OutboardLayout.groupSize)
                pending.writeBuffer(&buffer)
                carry = pending
            }
        }

        /// Checks `bytes` as the current group, and moves to the next.
        mutating func check(_ bytes: ByteBuffer) async throws {
            let expected = try await proof.group(group)
            let actual = bytes.withUnsafeReadableBytes {
                BLAKE3Tree.chainingValue(of: $0, chunkIndex: UInt64(group * OutboardLayout.groupChunks))
            }
            guard actual == expected else {
                let bytes = proof.layout.group(group)
                throw corrupt("does not match its address in bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)")
            }
            group += 1
        }

        /// Queues the part of `bytes` (which start at object offset `start`) inside the range.
        mutating func emit(_ bytes: ByteBuffer, at start: UInt64) {
            let end = start + UInt64(bytes.readableBytes)
            let low = Swift.max(start, stream.range.lowerBound)
            let high = Swift.min(end, stream.range.upperBound + 1)
            guard low < high else { return }
            ready.append(bytes.getSlice(at: bytes.readerIndex + Int(low - start), length: Int(high - low))!)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        let first = Int(range.lowerBound / UInt64(OutboardLayout.groupSize))
        let last = Int(range.upperBound / UInt64(OutboardLayout.groupSize))
        return AsyncIterator(base: base.makeAsyncIterator(), proof: proof, stream: self, group: first, lastGroup: last)
    }
}

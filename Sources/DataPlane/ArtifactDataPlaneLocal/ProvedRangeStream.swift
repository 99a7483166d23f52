import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreCore
import NIOCore
import Synchronization

/// Reads the groups that cover a range from one stream of the object's bytes, each hashed and
/// compared with its proved CV (``OutboardProof``) before any of its bytes leave, trimmed to the
/// range. A group that does not match, or bytes that end early, end the read with
/// `objectCorrupt`: the bytes of that group are never returned.
///
/// Buffers are checked in place, all the whole groups of a buffer in one call
/// (``BLAKE3Tree/chainingValues(of:subtreeChunks:chunkIndex:)``: hashing them one call each costs
/// about twice as much); only a group split across two buffers is copied (into a buffer of one
/// group). Memory is one base buffer and one group.
struct ProvedRangeReader {
    /// The object's bytes from the start of the first group to the end of the last.
    var base: ByteStream.AsyncIterator
    var proof: OutboardProof
    let range: ClosedRange<UInt64>
    let address: ContentAddress
    let backendID: String
    var group: Int
    let lastGroup: Int
    /// The part of the last base buffer not yet proved; it starts on a group boundary unless
    /// `carry` holds the start of that group.
    var current = ByteBuffer()
    /// The start of a group split across two base buffers.
    var carry: ByteBuffer?
    var finished = false

    init(base: ByteStream, proof: OutboardProof, range: ClosedRange<UInt64>, address: ContentAddress, backendID: String) {
        self.base = base.makeAsyncIterator()
        self.proof = proof
        self.range = range
        self.address = address
        self.backendID = backendID
        group = Int(range.lowerBound / UInt64(OutboardLayout.groupSize))
        lastGroup = Int(range.upperBound / UInt64(OutboardLayout.groupSize))
    }

    /// The next proved bytes of the range, proving at most `maximumGroups` groups for them;
    /// `nil` after the last.
    mutating func next(maximumGroups: Int = .max) async throws(DataPlaneError) -> ByteBuffer? {
        do {
            while !finished {
                guard group <= lastGroup else {
                    finished = true
                    guard carry == nil, current.readableBytes == 0 else { throw corrupt("runs past its size") }
                    return nil
                }
                let length = Int(proof.layout.group(group).count)
                let start = proof.layout.group(group).lowerBound
                if var pending = carry {
                    carry = nil  // so `pending` is written in place
                    var head = current.readSlice(length: Swift.min(length - pending.readableBytes, current.readableBytes))!
                    pending.writeBuffer(&head)
                    if pending.readableBytes < length {
                        carry = pending
                    } else {
                        try await check(pending)
                        if let bytes = trimmed(pending, at: start) { return bytes }
                        continue
                    }
                } else if current.readableBytes >= length {
                    // The whole groups in hand, hashed in one call; the object's shorter last group alone.
                    let wholeGroups = Int(proof.layout.size / UInt64(OutboardLayout.groupSize))
                    let count = Swift.min(maximumGroups, Swift.min(lastGroup + 1, wholeGroups) - group, current.readableBytes / length)
                    guard count > 0 else {
                        let shorter = current.readSlice(length: length)!
                        try await check(shorter)
                        if let bytes = trimmed(shorter, at: start) { return bytes }
                        continue
                    }
                    let proving = current.readSlice(length: count * length)!
                    let values = proving.withUnsafeReadableBytes {
                        BLAKE3Tree.chainingValues(
                            of: $0,
                            subtreeChunks: OutboardLayout.groupChunks,
                            chunkIndex: UInt64(group * OutboardLayout.groupChunks)
                        )
                    }
                    for value in values { try await expect(value) }
                    if let bytes = trimmed(proving, at: start) { return bytes }
                    continue
                } else if current.readableBytes > 0 {
                    // A copy, so the carry does not keep the whole base buffer alive.
                    var pending = ByteBuffer()
                    pending.reserveCapacity(OutboardLayout.groupSize)
                    pending.writeBuffer(&current)
                    carry = pending
                }
                guard let buffer = try await base.next(isolation: #isolation) else {
                    throw corrupt("ends before byte \(proof.layout.group(group).upperBound)")
                }
                current = buffer
            }
            return nil
        } catch {
            finished = true
            current = ByteBuffer()
            carry = nil
            throw DataPlaneError.reading(error, address, backendID: backendID)
        }
    }

    func corrupt(_ what: String) -> DataPlaneError {
        DataPlaneError(
            .objectCorrupt,
            "the object \(address) in backend \"\(backendID)\" \(what): it is damaged, and the bytes that did not "
                + "prove were withheld; push the content again to repair it",
            backendID: backendID
        )
    }

    /// Checks `bytes` as the current group, and moves to the next.
    mutating func check(_ bytes: ByteBuffer) async throws {
        let actual = bytes.withUnsafeReadableBytes {
            BLAKE3Tree.chainingValue(of: $0, chunkIndex: UInt64(group * OutboardLayout.groupChunks))
        }
        try await expect(actual)
    }

    /// Checks that the current group's bytes hash to `actual`, and moves to the next.
    mutating func expect(_ actual: BLAKE3ChainingValue) async throws {
        guard actual == (try await proof.group(group)) else {
            let bytes = proof.layout.group(group)
            throw corrupt("does not match its address in bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)")
        }
        group += 1
    }

    /// The part of `bytes` (which start at object offset `start`) inside the range, if any.
    func trimmed(_ bytes: ByteBuffer, at start: UInt64) -> ByteBuffer? {
        let end = start + UInt64(bytes.readableBytes)
        let low = Swift.max(start, range.lowerBound)
        let high = Swift.min(end, range.upperBound + 1)
        guard low < high else { return nil }
        return bytes.getSlice(at: bytes.readerIndex + Int(low - start), length: Int(high - low))
    }
}

/// The stream a ranged `serve` returns: the bytes a ``ProvedRangeReader`` proved before `serve`
/// returned (at least the range's first group, so damage there is an error status), then the
/// rest as the reader proves it. Iterated once, as every ``ByteStream``.
struct ProvedRangeStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// The reader, handed to the one iteration.
    final class Started: Sendable {
        let reader: Mutex<ProvedRangeReader?>

        init(_ reader: consuming sending ProvedRangeReader) {
            self.reader = Mutex(reader)
        }
    }

    let head: ByteBuffer
    let started: Started

    init(head: ByteBuffer, reader: consuming sending ProvedRangeReader) {
        self.head = head
        self.started = Started(reader)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var head: ByteBuffer?
        var reader: ProvedRangeReader

        mutating func next() async throws -> ByteBuffer? {
            if let head {
                self.head = nil
                return head
            }
            return try await reader.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        guard let reader = started.reader.withLock({ $0.take() }) else { preconditionFailure("a ByteStream is iterated once") }
        return AsyncIterator(head: head, reader: reader)
    }
}

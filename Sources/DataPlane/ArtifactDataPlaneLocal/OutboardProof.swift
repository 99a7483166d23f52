import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
import NIOCore

/// The proved entries of one object's outboard, read lazily from the backend.
///
/// Exists so a range is proved at a cost that follows the range: loading reads the header and
/// the spine (a few KiB) and checks that they hash to the address, so nothing in the outboard is
/// trusted before the root is; each group's CV is then proved on demand by merging the 1024
/// siblings it sits among into the proved entry above (one 32 KiB read per 16 MiB of range).
struct OutboardProof: Sendable {
    /// Reads bytes of the outboard: `nil` when there is none.
    typealias Reader = @Sendable (Range<Int>?) async throws -> ByteBuffer?

    let layout: OutboardLayout
    private let read: Reader
    /// Proved entries by tier and index.
    private var proved: [[Int: BLAKE3ChainingValue]]

    /// Why an outboard cannot be used: it is missing, or it does not prove the address.
    enum Unusable: Error {
        case missing
        case invalid(String)
    }

    /// Reads and proves the spine of the outboard `read` reads, against `address`.
    init(address: ContentAddress, read: @escaping Reader) async throws {
        guard let header = try await read(0..<OutboardLayout.headerSize) else { throw Unusable.missing }
        guard let layout = OutboardLayout(header: header) else { throw Unusable.invalid("its header is not an outboard header") }
        self.layout = layout
        self.read = read
        proved = Array(repeating: [:], count: layout.counts.count)
        var spine: [[BLAKE3ChainingValue]] = []
        for part in layout.spine {
            spine.append(try await Self.entries(tier: part.tier, part.entries, layout: layout, read: read))
        }
        let root = layout.root(spine: spine)
        guard address.algorithm == .blake3, root.bytes == address.digest.bytes else {
            throw Unusable.invalid("its tree does not hash to \(address)")
        }
        for (part, values) in zip(layout.spine, spine) {
            for (index, cv) in zip(part.entries, values) { proved[part.tier][index] = cv }
        }
    }

    /// The proved CV of group `index`.
    mutating func group(_ index: Int) async throws -> BLAKE3ChainingValue {
        try await entry(tier: 0, index: index)
    }

    private mutating func entry(tier: Int, index: Int) async throws -> BLAKE3ChainingValue {
        if let cv = proved[tier][index] { return cv }
        // Not in the spine: prove the block of siblings it sits in against the entry above.
        let parentIndex = index / OutboardLayout.fanout
        let parent = try await entry(tier: tier + 1, index: parentIndex)
        let start = parentIndex * OutboardLayout.fanout
        let range = layout.offset(tier: tier, index: start)..<layout.offset(tier: tier, index: start + OutboardLayout.fanout)
        guard let block = try await read(range), block.readableBytes == range.count else { throw Unusable.missing }
        let merged = block.withUnsafeReadableBytes { BLAKE3Tree.merge($0) }
        guard merged == parent else {
            throw Unusable.invalid("entries \(start)..<\(start + OutboardLayout.fanout) of tier \(tier) do not merge into their parent")
        }
        block.withUnsafeReadableBytes { raw in
            for offset in 0..<OutboardLayout.fanout {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[(offset * 32)..<(offset * 32 + 32)])
                proved[tier][start + offset] = BLAKE3ChainingValue(bytes: bytes)
            }
        }
        return proved[tier][index]!
    }

    private static func entries(
        tier: Int,
        _ indices: Range<Int>,
        layout: OutboardLayout,
        read: Reader
    ) async throws -> [BLAKE3ChainingValue] {
        let range = layout.offset(tier: tier, index: indices.lowerBound)..<layout.offset(tier: tier, index: indices.upperBound)
        guard let bytes = try await read(range), bytes.readableBytes == range.count else { throw Unusable.invalid("it is cut short") }
        return bytes.withUnsafeReadableBytes { raw in
            stride(from: 0, to: raw.count, by: 32).map { BLAKE3ChainingValue(bytes: UnsafeRawBufferPointer(rebasing: raw[$0..<($0 + 32)])) }
        }
    }
}

import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
import NIOCore

/// The proved entries of one object's outboard, read lazily from the backend.
///
/// Exists so a range is proved at a cost that follows the range: loading reads the spine (a few
/// KiB, in one read) and checks that it hashes to the address, so nothing in the outboard is
/// trusted before the root is; each group's CV is then proved on demand by merging the 1024
/// siblings it sits among into the proved entry above (one 32 KiB read per 16 MiB of range).
///
/// The layout follows from the object's size, so the outboard's header is not read here: bytes
/// of any other layout, or of another object, do not hash to the address and are refused.
/// What is proved (``entries``) is true of the address whatever later happens to the stored
/// outboard, which is why ``ProvedOutboardCache`` may keep it.
struct OutboardProof: Sendable {
    /// Reads bytes of the outboard: `nil` when there is none.
    typealias Reader = @Sendable (Range<Int>) async throws -> ByteBuffer?

    /// The entries proved so far.
    private(set) var entries: ProvedOutboardEntries
    private let read: Reader

    var layout: OutboardLayout { entries.layout }

    /// Why an outboard cannot be used: it is missing, or it does not prove the address.
    enum Unusable: Error {
        case missing
        case invalid(String)
    }

    /// Reads the spine of the outboard `read` reads for an object of `size` bytes, in one read,
    /// and proves it against `address`.
    init(address: ContentAddress, size: UInt64, read: @escaping Reader) async throws {
        guard let layout = OutboardLayout(size: size) else { throw Unusable.invalid("an object of \(size) bytes has no outboard") }
        let parts = layout.spine
        // The spine is the top tier and the tails of the tiers below it, stored tier after tier:
        // one read from the first tail to the end of the top tier holds it, with at most the
        // entries of the tiers between (a thousandth of the outboard) besides.
        let start = parts.map { layout.offset(tier: $0.tier, index: $0.entries.lowerBound) }.min()!
        let end = layout.offset(tier: layout.topTier, index: layout.counts[layout.topTier])
        guard let bytes = try await read(start..<end) else { throw Unusable.missing }
        guard bytes.readableBytes == end - start else { throw Unusable.invalid("it is cut short") }
        let spine = parts.map { part in
            bytes.chainingValues(at: layout.offset(tier: part.tier, index: part.entries.lowerBound) - start, count: part.entries.count)
        }
        guard address.algorithm == .blake3, layout.root(spine: spine).bytes == address.digest.bytes else {
            throw Unusable.invalid("its tree does not hash to \(address)")
        }
        self.entries = ProvedOutboardEntries(layout: layout, spine: spine)
        self.read = read
    }

    /// Entries proved before (kept by ``ProvedOutboardCache``), reading any others with `read`.
    init(entries: ProvedOutboardEntries, read: @escaping Reader) {
        self.entries = entries
        self.read = read
    }

    /// The proved CV of group `index`.
    mutating func group(_ index: Int) async throws -> BLAKE3ChainingValue {
        try await entry(tier: 0, index: index)
    }

    private mutating func entry(tier: Int, index: Int) async throws -> BLAKE3ChainingValue {
        if let cv = entries.entry(tier: tier, index: index) { return cv }
        // Not in the spine: prove the block of siblings it sits in against the entry above.
        let fanout = OutboardLayout.fanout
        let parentIndex = index / fanout
        let parent = try await entry(tier: tier + 1, index: parentIndex)
        let start = parentIndex * fanout
        let range = layout.offset(tier: tier, index: start)..<layout.offset(tier: tier, index: start + fanout)
        guard let block = try await read(range), block.readableBytes == range.count else { throw Unusable.missing }
        let merged = block.withUnsafeReadableBytes { BLAKE3Tree.merge($0) }
        guard merged == parent else {
            throw Unusable.invalid("entries \(start)..<\(start + fanout) of tier \(tier) do not merge into their parent")
        }
        let values = block.chainingValues(at: 0, count: fanout)
        entries.blocks[ProvedOutboardEntries.Block(tier: tier, index: parentIndex)] = values
        return values[index - start]
    }
}

/// The entries of an object's outboard proved against its address: the spine, and the blocks
/// of 1024 entries proved since. Plain values, 32 bytes an entry.
struct ProvedOutboardEntries: Sendable {
    /// A block of ``OutboardLayout/fanout`` entries of a tier: those under entry `index` of the
    /// tier above.
    struct Block: Hashable, Sendable {
        var tier: Int
        var index: Int
    }

    let layout: OutboardLayout
    /// The spine's entries by tier: `spine[t]` holds entries `spineStart[t]...` of tier `t`.
    private let spine: [[BLAKE3ChainingValue]]
    private let spineStart: [Int]
    var blocks: [Block: [BLAKE3ChainingValue]] = [:]

    /// - Parameter spine: the entries of ``OutboardLayout/spine``, in its order, already proved.
    init(layout: OutboardLayout, spine values: [[BLAKE3ChainingValue]]) {
        self.layout = layout
        var spine = Array(repeating: [BLAKE3ChainingValue](), count: layout.counts.count)
        var spineStart = layout.counts
        for (part, entries) in zip(layout.spine, values) {
            spine[part.tier] = entries
            spineStart[part.tier] = part.entries.lowerBound
        }
        self.spine = spine
        self.spineStart = spineStart
    }

    /// Entry `index` of `tier`, when it is proved.
    func entry(tier: Int, index: Int) -> BLAKE3ChainingValue? {
        if index >= spineStart[tier] { return spine[tier][index - spineStart[tier]] }
        return blocks[Block(tier: tier, index: index / OutboardLayout.fanout)]?[index % OutboardLayout.fanout]
    }

    /// The memory these entries hold, about: 32 bytes an entry and a little for each array.
    var byteCount: Int {
        let entries = spine.reduce(0) { $0 + $1.count } + blocks.count * OutboardLayout.fanout
        return entries * OutboardLayout.entrySize + (spine.count + blocks.count) * 64 + 256
    }
}

extension ByteBuffer {
    /// The `count` CVs stored one after another from readable offset `offset`.
    func chainingValues(at offset: Int, count: Int) -> [BLAKE3ChainingValue] {
        withUnsafeReadableBytes { raw in
            (0..<count).map { index in
                let start = offset + index * OutboardLayout.entrySize
                return BLAKE3ChainingValue(bytes: UnsafeRawBufferPointer(rebasing: raw[start..<(start + OutboardLayout.entrySize)]))
            }
        }
    }
}

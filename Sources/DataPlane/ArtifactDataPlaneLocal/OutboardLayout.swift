import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactIdentity
import NIOCore

/// Where the chaining values of an object's BLAKE3 tree sit in its outboard, and which of them
/// prove the root.
///
/// Exists so a range can be proved by reading and hashing only what covers it. The object is cut
/// into *groups* of 16 KiB (16 chunks, an aligned BLAKE3 subtree); tier 0 holds the CV of every
/// group (the last one may be shorter), and tier `t` holds the CV of every complete, aligned run
/// of `1024^t` groups (16 MiB at tier 1, 16 GiB at tier 2), each being the merge of 1024 entries
/// of tier `t - 1`. Tiers are stored one after another behind a 16-byte header; the whole is
/// 32 bytes per 16 KiB and a little more: 0.196% of the object.
///
/// The *spine* is every entry needed to compute the root with no more reading: all entries of
/// the top tier (the highest with two or more), then each lower tier's entries past the last
/// complete run of the tier above. It is under `1024 × (tiers + 1)` entries. An entry outside
/// the spine is proved by merging its 1024 siblings into the entry above it, already proved.
struct OutboardLayout: Sendable, Equatable {
    /// Chunks (1 KiB) per group.
    static let groupChunks = 16
    /// Bytes per group: 16 KiB.
    static let groupSize = groupChunks * BLAKE3Tree.chunkByteCount
    /// Entries of a tier merged into one entry of the tier above.
    static let fanout = 1024
    static let headerSize = 16
    static let entrySize = BLAKE3.outputByteCount
    /// `"ASOB"`, then the format version.
    static let magic: [UInt8] = Array("ASOB".utf8) + [1]

    /// The object's size in bytes (more than one group).
    let size: UInt64
    /// Entries per tier, tier 0 first; the last tier has at least one.
    let counts: [Int]

    /// The layout of an object of `size` bytes; `nil` when the object fits one group (its
    /// proof is its hash, and it has no outboard).
    init?(size: UInt64) {
        guard size > UInt64(Self.groupSize) else { return nil }
        self.size = size
        let full = Int(size / UInt64(Self.groupSize))
        var counts = [Int((size + UInt64(Self.groupSize) - 1) / UInt64(Self.groupSize))]
        var runs = full / Self.fanout
        while runs > 0 {
            counts.append(runs)
            runs /= Self.fanout
        }
        self.counts = counts
    }

    /// The highest tier with two entries or more (tier 0 always has two).
    var topTier: Int { counts.lastIndex(where: { $0 >= 2 })! }

    /// The outboard's size in bytes.
    var byteCount: Int { Self.headerSize + counts.reduce(0, +) * Self.entrySize }

    /// The byte offset of the entry `index` of `tier`.
    func offset(tier: Int, index: Int) -> Int {
        Self.headerSize + (counts[..<tier].reduce(0, +) + index) * Self.entrySize
    }

    /// The entries of the spine, tier by tier from the top: left to right they cover the object.
    var spine: [(tier: Int, entries: Range<Int>)] {
        let top = topTier
        var parts = [(tier: top, entries: 0..<counts[top])]
        for tier in stride(from: top - 1, through: 0, by: -1) {
            let start = counts[tier + 1] * Self.fanout
            if start < counts[tier] { parts.append((tier, start..<counts[tier])) }
        }
        return parts
    }

    /// Whether entry `index` of `tier` is part of the spine.
    func inSpine(tier: Int, index: Int) -> Bool {
        tier >= topTier || index >= counts[tier + 1] * Self.fanout
    }

    /// How many chunks entry `index` of `tier` covers (the last group may have fewer).
    func chunks(tier: Int, index: Int) -> UInt64 {
        if tier == 0 && index == counts[0] - 1 {
            let rest = size - UInt64(index) * UInt64(Self.groupSize)
            return (rest + UInt64(BLAKE3Tree.chunkByteCount) - 1) / UInt64(BLAKE3Tree.chunkByteCount)
        }
        var chunks = UInt64(Self.groupChunks)
        for _ in 0..<tier { chunks *= UInt64(Self.fanout) }
        return chunks
    }

    /// The bytes of group `index` of the object.
    func group(_ index: Int) -> Range<UInt64> {
        let start = UInt64(index) * UInt64(Self.groupSize)
        return start..<min(start + UInt64(Self.groupSize), size)
    }

    /// The 16-byte header: magic and version, group and fanout sizes as powers of two, a zero,
    /// and the object's size (little-endian).
    var header: [UInt8] {
        var bytes = Self.magic
        bytes.append(UInt8(Self.groupChunks.trailingZeroBitCount))
        bytes.append(UInt8(Self.fanout.trailingZeroBitCount))
        bytes.append(0)
        withUnsafeBytes(of: size.littleEndian) { bytes += $0 }
        return bytes
    }

    /// The layout a header describes; `nil` when it is not this format's header.
    init?(header bytes: ByteBuffer) {
        guard bytes.readableBytes >= Self.headerSize,
            bytes.getBytes(at: bytes.readerIndex, length: 5) == Self.magic,
            bytes.getInteger(at: bytes.readerIndex + 5, as: UInt8.self) == UInt8(Self.groupChunks.trailingZeroBitCount),
            bytes.getInteger(at: bytes.readerIndex + 6, as: UInt8.self) == UInt8(Self.fanout.trailingZeroBitCount),
            let size = bytes.getInteger(at: bytes.readerIndex + 8, endianness: .little, as: UInt64.self)
        else { return nil }
        self.init(size: size)
    }

    /// The root (the BLAKE3 hash of the object) computed from the spine's entries, given in the
    /// order of ``spine``.
    func root(spine entries: [[BLAKE3ChainingValue]]) -> BLAKE3ChainingValue {
        var subtrees: [(cv: BLAKE3ChainingValue, chunks: UInt64)] = []
        for (part, values) in zip(spine, entries) {
            for (index, cv) in zip(part.entries, values) {
                subtrees.append((cv, chunks(tier: part.tier, index: index)))
            }
        }
        return BLAKE3Tree.root(of: subtrees)
    }
}

import ArtifactBLAKE3
import ArtifactIdentity
import NIOCore

/// Builds an object's outboard (``OutboardLayout``) from its bytes, fed in order.
///
/// Exists for ingest (the outboard is written with the object) and for the whole proof of an
/// object that has none. It keeps 32 bytes per 16 KiB group fed (0.2% of the object) plus one
/// partial group: the outboard is written after the object, once its size is known.
struct OutboardBuilder: Sendable {
    private(set) var size: UInt64 = 0
    private var groups: [UInt8] = []
    private var partial: [UInt8] = []

    init() {
        partial.reserveCapacity(OutboardLayout.groupSize)
    }

    /// Adds the readable bytes of `buffer`.
    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes[...]
        let groupSize = OutboardLayout.groupSize
        if !partial.isEmpty {
            let take = min(groupSize - partial.count, rest.count)
            partial += rest.prefix(take)
            rest = rest.dropFirst(take)
            // A full group is hashed only when more follows: the last group may be the root.
            if partial.count == groupSize && !rest.isEmpty {
                partial.withUnsafeBytes { addGroup($0) }
                partial.removeAll(keepingCapacity: true)
            }
        }
        // The whole groups more bytes follow, hashed in one call (one call per group costs twice).
        if rest.count > groupSize {
            let whole = (rest.count - 1) / groupSize * groupSize
            let index = UInt64(groups.count / OutboardLayout.entrySize)
            let values = BLAKE3Tree.chainingValues(
                of: UnsafeRawBufferPointer(rebasing: rest.prefix(whole)),
                subtreeChunks: OutboardLayout.groupChunks,
                chunkIndex: index * UInt64(OutboardLayout.groupChunks)
            )
            // A CV is its 32 bytes in memory.
            values.withUnsafeBytes { groups += $0 }
            rest = rest.dropFirst(whole)
        }
        if !rest.isEmpty { partial += rest }
        size += UInt64(bytes.count)
    }

    private mutating func addGroup(_ group: UnsafeRawBufferPointer) {
        let index = UInt64(groups.count / OutboardLayout.entrySize)
        let cv = BLAKE3Tree.chainingValue(of: group, chunkIndex: index * UInt64(OutboardLayout.groupChunks))
        cv.withUnsafeBytes { groups += $0 }
    }

    /// The outboard and the root it proves (the object's BLAKE3 hash); `nil` when the object
    /// fits one group and has no outboard.
    func finish() -> (outboard: ByteBuffer, root: Digest)? {
        guard let (layout, tiers) = tiers() else { return nil }
        var outboard = ByteBuffer()
        outboard.reserveCapacity(layout.byteCount)
        outboard.writeBytes(layout.header)
        for entries in tiers { outboard.writeBytes(entries) }
        return (outboard, Self.root(layout, tiers))
    }

    /// Every tier of the outboard, tier 0 first; `nil` when the object fits one group.
    private func tiers() -> (OutboardLayout, [[UInt8]])? {
        guard let layout = OutboardLayout(size: size) else { return nil }
        var tier0 = groups
        let last = partial.withUnsafeBytes {
            BLAKE3Tree.chainingValue(of: $0, chunkIndex: UInt64(tier0.count / OutboardLayout.entrySize * OutboardLayout.groupChunks))
        }
        last.withUnsafeBytes { tier0 += $0 }
        var tiers = [tier0]
        let blockBytes = OutboardLayout.fanout * OutboardLayout.entrySize
        for tier in 1..<layout.counts.count {
            var entries: [UInt8] = []
            entries.reserveCapacity(layout.counts[tier] * OutboardLayout.entrySize)
            tiers[tier - 1].withUnsafeBytes { below in
                for index in 0..<layout.counts[tier] {
                    let block = UnsafeRawBufferPointer(rebasing: below[(index * blockBytes)..<((index + 1) * blockBytes)])
                    BLAKE3Tree.merge(block).withUnsafeBytes { entries += $0 }
                }
            }
            tiers.append(entries)
        }
        return (layout, tiers)
    }

    /// The root the spine of `tiers` proves.
    private static func root(_ layout: OutboardLayout, _ tiers: [[UInt8]]) -> Digest {
        let spine = layout.spine.map { part in
            part.entries.map { index in
                tiers[part.tier].withUnsafeBytes { raw in
                    BLAKE3ChainingValue(bytes: UnsafeRawBufferPointer(rebasing: raw[(index * 32)..<(index * 32 + 32)]))
                }
            }
        }
        return try! Digest(algorithm: .blake3, bytes: layout.root(spine: spine).bytes)
    }
}

/// The builder is the ingest's BLAKE3: the root of the tree it keeps is the hash
/// (``DualDigestState/init(blake3:)``), so an ingest with an outboard hashes its bytes once.
extension OutboardBuilder: BLAKE3Accumulating {
    func blake3Digest() -> Digest {
        if let (layout, tiers) = tiers() { return Self.root(layout, tiers) }
        // One group or less: the bytes are all in `partial`, and their hash is the root.
        let hash = partial.withUnsafeBytes { BLAKE3Tree.chainingValue(of: $0, chunkIndex: 0, isRoot: true) }
        return try! Digest(algorithm: .blake3, bytes: hash.bytes)
    }
}

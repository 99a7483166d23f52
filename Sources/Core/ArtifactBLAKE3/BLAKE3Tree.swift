import CArtifactBLAKE3

/// The chaining value (CV) of one node of a BLAKE3 tree: 32 bytes, compared as four words.
///
/// Exists so verified streaming can keep and compare interior hashes of an object (its
/// "outboard") without arrays: a CV is a plain value of fixed size.
public struct BLAKE3ChainingValue: Hashable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64)

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The CV in its 32 bytes (little-endian words, as BLAKE3 writes them).
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == BLAKE3.outputByteCount, "a BLAKE3 chaining value is 32 bytes, got \(bytes.count)")
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// The CV in 32 bytes.
    public init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { BLAKE3ChainingValue(bytes: $0) }
    }

    /// Calls `body` with the 32 bytes.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: words, body)
    }

    /// The 32 bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    static func make(_ fill: (UnsafeMutablePointer<UInt8>) -> Void) -> BLAKE3ChainingValue {
        var value = BLAKE3ChainingValue(words: (0, 0, 0, 0))
        Swift.withUnsafeMutableBytes(of: &value.words) { fill($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return value
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// The nodes of the BLAKE3 tree (plain hash mode), for verified streaming as Bao and iroh do it:
/// hash a part of an object alone, then prove it with the CVs of the rest of the tree.
///
/// BLAKE3 splits its input into chunks of 1 KiB and builds a binary tree over them whose left
/// subtree always holds the largest power of two of chunks less than the whole. So every
/// *subtree* is `2^k` whole chunks starting at a multiple of `2^k`, or the shorter last part of
/// the input starting there, and its CV depends only on its bytes and its first chunk's index.
/// The root node is compressed with the root flag, and its output is the hash.
public enum BLAKE3Tree {
    /// Bytes in one chunk (1 KiB).
    public static let chunkByteCount = Int(ASB3_CHUNK_LEN)

    /// The CV of the subtree made of `bytes`, whose first chunk is chunk `chunkIndex` of the whole
    /// input; when `isRoot` (then `bytes` is the whole input and `chunkIndex` 0) the 32-byte hash.
    ///
    /// - Precondition: `chunkIndex` is a multiple of the subtree's chunk count rounded up to a
    ///   power of two, and `bytes` is a whole number of chunks unless it ends the input.
    public static func chainingValue(
        of bytes: UnsafeRawBufferPointer,
        chunkIndex: UInt64,
        isRoot: Bool = false
    ) -> BLAKE3ChainingValue {
        precondition(!isRoot || chunkIndex == 0, "the root subtree starts at chunk 0, not \(chunkIndex)")
        return .make { out in asb3_subtree_cv(bytes.baseAddress, bytes.count, chunkIndex, isRoot ? 1 : 0, out) }
    }

    /// The CVs of the consecutive complete subtrees of `subtreeChunks` chunks each (a power of
    /// two) that make up `bytes`, the first being chunk `chunkIndex` of the whole input; none is
    /// the root.
    ///
    /// Exists because one ``chainingValue(of:chunkIndex:isRoot:)`` call per 16-chunk group costs
    /// about twice the bulk rate: each call compresses its last chunk (held back in case it is
    /// the root) and its top parents one at a time. Here chunks and parents are hashed many at a
    /// time across subtrees.
    ///
    /// - Precondition: `bytes` is a whole number of subtrees, and `chunkIndex` a multiple of
    ///   `subtreeChunks`.
    public static func chainingValues(of bytes: UnsafeRawBufferPointer, subtreeChunks: Int, chunkIndex: UInt64) -> [BLAKE3ChainingValue] {
        let subtreeBytes = subtreeChunks * chunkByteCount
        precondition(
            subtreeChunks > 0 && subtreeChunks & (subtreeChunks - 1) == 0 && bytes.count % subtreeBytes == 0
                && chunkIndex % UInt64(subtreeChunks) == 0,
            "\(bytes.count) bytes are not whole aligned subtrees of \(subtreeChunks) chunks at chunk \(chunkIndex)"
        )
        let count = bytes.count / subtreeBytes
        guard count > 0 else { return [] }
        return [BLAKE3ChainingValue](unsafeUninitializedCapacity: count) { values, initialized in
            // A CV is its 32 bytes in memory (``BLAKE3ChainingValue/make(_:)`` relies on it too).
            asb3_subtree_cvs(
                bytes.baseAddress,
                count,
                subtreeChunks,
                chunkIndex,
                UnsafeMutableRawPointer(values.baseAddress!).assumingMemoryBound(to: UInt8.self)
            )
            initialized = count
        }
    }

    /// The CV of the parent of `left` and `right` (the hash when `isRoot`).
    public static func parent(_ left: BLAKE3ChainingValue, _ right: BLAKE3ChainingValue, isRoot: Bool = false) -> BLAKE3ChainingValue {
        left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in
                .make { out in
                    asb3_parent_cv(
                        l.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        r.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        isRoot ? 1 : 0,
                        out
                    )
                }
            }
        }
    }

    /// The CV of the complete subtree whose children are the `cvs.count / 32` consecutive,
    /// equal-sized subtrees whose CVs `cvs` holds (a power of two of them, at least 2); the hash
    /// when `isRoot`. Parents are compressed many at a time.
    public static func merge(_ cvs: UnsafeRawBufferPointer, isRoot: Bool = false) -> BLAKE3ChainingValue {
        let count = cvs.count / BLAKE3.outputByteCount
        precondition(
            count >= 2 && count & (count - 1) == 0 && cvs.count % BLAKE3.outputByteCount == 0,
            "merge takes 2^k CVs, got \(cvs.count) bytes"
        )
        return .make { out in
            asb3_merge_cvs(cvs.baseAddress!.assumingMemoryBound(to: UInt8.self), count, isRoot ? 1 : 0, out)
        }
    }

    /// The hash of an input made of consecutive subtrees, given left to right as their CVs and
    /// chunk counts: every count but the last is a power of two, and each subtree starts at a
    /// multiple of its count (the tree's own subtrees are like that). With a single subtree its
    /// CV is returned as it is, so give one only when it is a root hash already.
    ///
    /// - Precondition: the subtrees are aligned as described.
    public static func root(of subtrees: [(cv: BLAKE3ChainingValue, chunks: UInt64)]) -> BLAKE3ChainingValue {
        precondition(!subtrees.isEmpty, "a root needs at least one subtree")
        return node(subtrees[...], isRoot: true)
    }

    /// The node covering `subtrees`: split where BLAKE3 splits, at the largest power of two of
    /// chunks less than the whole.
    static func node(_ subtrees: ArraySlice<(cv: BLAKE3ChainingValue, chunks: UInt64)>, isRoot: Bool) -> BLAKE3ChainingValue {
        if subtrees.count == 1 { return subtrees.first!.cv }
        let total = subtrees.reduce(0) { $0 + $1.chunks }
        let left = UInt64(1) << (63 - (total - 1).leadingZeroBitCount)
        var sum: UInt64 = 0
        var split = subtrees.startIndex
        while sum < left {
            sum += subtrees[split].chunks
            split += 1
        }
        precondition(sum == left, "subtrees straddle the tree's split at chunk \(left)")
        return parent(node(subtrees[..<split], isRoot: false), node(subtrees[split...], isRoot: false), isRoot: isRoot)
    }
}

/// Bounds the decoder enforces before it trusts anything an input says about itself.
///
/// The data plane decodes frames from another process; these limits make sure a hostile or
/// corrupt frame costs at most a bounded amount of memory, time and stack. Every length in a head
/// is checked against ``maximumLength`` and against the bytes actually left in the input before
/// anything is allocated.
public struct CBORLimits: Sendable, Hashable {
    /// How deeply arrays, maps and tags may nest (the top-level item is depth 1).
    /// Values above ``supportedMaximumDepth`` are lowered to it: decoding recurses.
    public var maximumDepth: Int
    /// How many data items (every integer, string, chunk, array, map, tag content…) one input
    /// may hold in total.
    public var maximumItemCount: Int
    /// The largest byte or text string (in bytes, all chunks together) and the largest array or
    /// map (in elements, or pairs) accepted.
    public var maximumLength: Int

    /// The deepest nesting this implementation supports: decoding and encoding recurse once per
    /// level, so this keeps them well inside a thread's stack.
    public static let supportedMaximumDepth = 512

    /// Depth 64, one million items, 16 MiB per string, array or map.
    public static let `default` = CBORLimits(
        maximumDepth: 64,
        maximumItemCount: 1_000_000,
        maximumLength: 16 * 1024 * 1024
    )

    public init(maximumDepth: Int, maximumItemCount: Int, maximumLength: Int) {
        self.maximumDepth = max(0, min(maximumDepth, Self.supportedMaximumDepth))
        self.maximumItemCount = max(0, maximumItemCount)
        self.maximumLength = max(0, maximumLength)
    }
}

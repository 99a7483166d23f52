/// An inclusive byte range of an object, as HTTP `Range: bytes=first-last` writes it.
///
/// Exists instead of `ClosedRange<UInt64>` because ranges arrive from outside (HTTP headers,
/// CBOR frames) and a reversed one is bad input to report (``DataPlaneError/Code/invalidRange``),
/// not a programming error to trap on. Holds any two numbers; the data plane checks them.
public struct ByteRange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Offset of the first byte served.
    public var first: UInt64
    /// Offset of the last byte served (inclusive).
    public var last: UInt64

    public init(first: UInt64, last: UInt64) {
        self.first = first
        self.last = last
    }

    public init(_ range: ClosedRange<UInt64>) {
        self.init(first: range.lowerBound, last: range.upperBound)
    }

    /// The range as a `ClosedRange`, or `nil` when it ends before it starts.
    public var closedRange: ClosedRange<UInt64>? {
        first <= last ? first...last : nil
    }

    /// Number of bytes in the range (0 when reversed).
    public var count: UInt64 { first <= last ? last - first + 1 : 0 }

    public var description: String { "\(first)-\(last)" }
}

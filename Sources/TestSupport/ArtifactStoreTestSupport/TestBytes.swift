/// Test content made quickly in debug builds.
///
/// `(0..<count).map { … }` costs about 0.4 µs a byte in a debug build (the generic collection
/// code is not specialised there), and a random byte drawn from `SystemRandomNumberGenerator`
/// is a system call each: a few MiB of either took tens of seconds of the two cores a full run
/// has, on Swift concurrency's threads, while every other test waited.
extension Array where Element == UInt8 {
    /// `count` bytes, the one at each index given by `byteAt` (a pattern, so that the content is
    /// not uniform and a misplaced byte shows).
    public init(count: Int, byteAt: (Int) -> UInt8) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                buffer[index] = byteAt(index)
                index += 1
            }
            initialized = count
        }
    }

    /// `count` unpredictable bytes: SplitMix64 (``SeededRandom``) from a seed the system draws,
    /// eight bytes to a draw, rather than a system call per byte.
    public static func random(count: Int) -> [UInt8] {
        var generator = SeededRandom(seed: UInt64.random(in: .min ... .max))
        var word: UInt64 = 0
        return [UInt8](count: count) { index in
            if index % 8 == 0 { word = generator.next() }
            defer { word >>= 8 }
            return UInt8(truncatingIfNeeded: word)
        }
    }
}

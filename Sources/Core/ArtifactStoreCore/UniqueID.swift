import Synchronization

/// Identifiers that only have to be unique, not secret: UUID-shaped (version 4 layout), unique
/// within the process by a counter and across processes by a random seed drawn once. Request ids
/// for requests that bring none, and the keys of rows every upload appends (its usage change, its
/// pending audit record).
///
/// Exists because Foundation's `UUID()` opens, reads and closes `/dev/urandom` on every call on
/// Linux: three system calls each time, and a small upload made three such ids.
public enum UniqueID {
    private static let seed: (UInt64, UInt64) = {
        var random = SystemRandomNumberGenerator()
        return (random.next(), random.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    /// The next id: 36 characters, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    public static func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        // Distinct counts give distinct `high` values (mix is a bijection); `low` only varies them.
        let high = mix(seed.0 &+ count)
        let low = mix(seed.1 ^ (count &* 0x9E37_79B9_7F4A_7C15))
        return format(high: high, low: low)
    }

    /// SplitMix64's finaliser: a bijection on 64-bit values that spreads every input bit.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func format(high: UInt64, low: UInt64) -> String {
        let high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return index
        }
    }
}

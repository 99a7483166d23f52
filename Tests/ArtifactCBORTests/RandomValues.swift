import ArtifactCBOR

/// Seeded random ``CBORValue``s for the cross-check and fuzz tests. Keys are text, integers or
/// bytes and tags are ones cbor2 leaves uninterpreted (plus canonical bignums), so Python's
/// data model can hold every generated value exactly.
struct RandomValues {
    var rng: SplitMix64
    static let safeTags: [UInt64] = [6, 7, 1000, 4000, 40000, 65535, (1 << 32) + 5, (1 << 63) + 1]

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int() -> CBORValue {
        let edges: [CBORValue] = [
            0, 1, 23, 24, 255, 256, 65535, 65536, .unsigned(UInt64(UInt32.max)),
            .unsigned(1 << 32), .unsigned(UInt64(Int64.max)), .unsigned(1 << 63), .unsigned(.max),
            -1, -24, -25, -256, -257, .negative(UInt64(UInt32.max)), .negative(1 << 32),
            .negative(UInt64(Int64.max)), .negative(1 << 63), .negative(.max),
        ]
        if Int.random(in: 0..<10, using: &rng) < 4 { return edges.randomElement(using: &rng)! }
        let bits = [5, 8, 16, 32, 64].randomElement(using: &rng)!
        let value = bits == 64 ? rng.next() : rng.next() & ((1 << UInt64(bits)) - 1)
        return Bool.random(using: &rng) ? .unsigned(value) : .negative(value)
    }

    mutating func text() -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<12, using: &rng) {
            let pick = Int.random(in: 0..<10, using: &rng)
            let value: UInt32 =
                pick < 5
                ? .random(in: 0x20..<0x7F, using: &rng)
                : pick < 8 ? .random(in: 0xA0..<0xD800, using: &rng) : .random(in: 0x10000..<0x110000, using: &rng)
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }

    mutating func bytes(_ range: Range<Int>) -> [UInt8] {
        (0..<Int.random(in: range, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    mutating func float() -> Double {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0, 1:
            return [
                0.0, -0.0, 1.0, 1.5, 65504.0, 0x1p-24, 0x1p-14, .infinity, -.infinity, .nan, 100000.0,
                Double(Float.greatestFiniteMagnitude), 1e300, -4.1, 1.1,
            ].randomElement(using: &rng)!
        case 2, 3, 4:
            // binary16-exact, via a random half bit pattern (no NaN/inf).
            let bits = UInt16.random(in: 0..<0x7C00, using: &rng) | (Bool.random(using: &rng) ? 0x8000 : 0)
            guard case .float(let d)? = try? CBORDecoder().decode([0xF9, UInt8(bits >> 8), UInt8(bits & 0xFF)]) else { return 0 }
            return d
        case 5, 6:
            return Double(Float(bitPattern: UInt32.random(in: 0..<0x7F80_0000, using: &rng)))
        default:
            return Double.random(in: -1e10...1e10, using: &rng)
        }
    }

    mutating func key() -> CBORValue {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<5: return .textString(text())
        case 5..<8: return int()
        default: return .byteString(bytes(0..<6))
        }
    }

    mutating func value(depth: Int = 0) -> CBORValue {
        let kinds = depth < 4 ? 12 : 9
        switch Int.random(in: 0..<kinds, using: &rng) {
        case 0: return int()
        case 1: return .textString(text())
        case 2: return .byteString(bytes(0..<20))
        case 3: return .bool(Bool.random(using: &rng))
        case 4: return .null
        case 5: return .undefined
        case 6:
            let n = UInt8.random(in: 0...235, using: &rng)
            return .simple(n < 20 ? n : n + 12)
        case 7: return .float(float())
        case 8:
            // A bignum beyond 64 bits, canonical (no leading zero byte).
            var magnitude = bytes(9..<17)
            magnitude[0] = max(magnitude[0], 1)
            return .tagged(Bool.random(using: &rng) ? 2 : 3, .byteString(magnitude))
        case 9: return .array((0..<Int.random(in: 0..<6, using: &rng)).map { _ in value(depth: depth + 1) })
        case 10:
            var entries: [CBORValue.MapEntry] = []
            var seen = Set<CBORValue>()
            for _ in 0..<Int.random(in: 0..<6, using: &rng) {
                let key = key()
                if seen.insert(key).inserted { entries.append(.init(key, value(depth: depth + 1))) }
            }
            return .map(entries)
        default:
            return .tagged(Self.safeTags.randomElement(using: &rng)!, value(depth: depth + 1))
        }
    }
}

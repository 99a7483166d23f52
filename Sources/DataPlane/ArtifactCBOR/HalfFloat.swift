/// IEEE 754 binary16 conversions, written out by hand because `Float16` is not available on
/// every platform Swift supports (macOS on Intel lacks it).
enum HalfFloat {
    /// The value of a binary16 bit pattern, exactly.
    static func double(fromBits bits: UInt16) -> Double {
        let negative = bits & 0x8000 != 0
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Double(bits & 0x03FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = mantissa * 0x1p-24
        case 31: magnitude = mantissa == 0 ? .infinity : .nan
        default: magnitude = (1024 + mantissa) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }

    /// The binary16 bit pattern of `value` if binary16 holds it exactly; nil otherwise and for NaN.
    static func exactBits(of value: Double) -> UInt16? {
        if value.isNaN { return nil }
        let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
        let magnitude = value.magnitude
        if magnitude == 0 { return sign }
        if magnitude.isInfinite { return sign | 0x7C00 }
        if magnitude > 65504 { return nil }
        if magnitude < 0x1p-14 {
            // Subnormal: a whole multiple of 2^-24 below 2^-14.
            let units = magnitude * 0x1p24
            guard units == units.rounded(.towardZero), units >= 1 else { return nil }
            return sign | UInt16(units)
        }
        let exponent = Int(magnitude.exponent)  // -14 ... 15
        let fraction = (magnitude * Double(sign: .plus, exponent: -exponent, significand: 1) - 1) * 1024
        guard fraction == fraction.rounded(.towardZero) else { return nil }
        return sign | UInt16(exponent + 15) << 10 | UInt16(fraction)
    }
}

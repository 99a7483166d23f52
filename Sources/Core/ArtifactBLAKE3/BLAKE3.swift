import CArtifactBLAKE3
public import NIOCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One-call BLAKE3: hash, keyed hash and key derivation, plus which SIMD code is in use.
///
/// Each function is the same as creating a ``BLAKE3Hasher``, feeding all bytes in one update
/// and finalizing. BLAKE3 is implemented in this project (C with SSE4.1 / AVX2 / AVX-512 paths
/// chosen at run time, and portable C elsewhere) and checked against the official test vectors.
public enum BLAKE3: Sendable {
    /// Length of the default digest, in bytes.
    public static let outputByteCount = 32
    /// Length of a keyed-hash key, in bytes.
    public static let keyByteCount = 32

    /// The 32-byte BLAKE3 hash of `bytes`.
    public static func hash(_ bytes: some ContiguousBytes) -> [UInt8] {
        var hasher = BLAKE3Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The 32-byte BLAKE3 hash of the readable bytes of `buffer`.
    public static func hash(_ buffer: ByteBuffer) -> [UInt8] {
        var hasher = BLAKE3Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// The 32-byte BLAKE3 keyed hash (MAC) of `bytes` under a 32-byte `key`.
    ///
    /// - Throws: ``BLAKE3Error`` `invalidKeyLength` when `key` is not 32 bytes.
    public static func keyedHash(key: some Collection<UInt8>, _ bytes: some ContiguousBytes) throws(BLAKE3Error) -> [UInt8] {
        var hasher = try BLAKE3Hasher(key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Derives `outputLength` bytes of key from `material` in the domain named by `context`
    /// (a hardcoded, globally unique, application-specific string).
    ///
    /// - Precondition: `outputLength >= 0`.
    public static func deriveKey(context: String, material: some ContiguousBytes, outputLength: Int = 32) -> [UInt8] {
        var hasher = BLAKE3Hasher(deriveKeyContext: context)
        hasher.update(material)
        return hasher.finalize(outputLength: outputLength)
    }

    /// The SIMD code new hashers use: `"avx512"`, `"avx2"`, `"sse41"` or `"portable"`.
    ///
    /// The best the CPU supports, unless the environment variable
    /// `ARTIFACTSTORE_BLAKE3_SIMD` (`portable`, `sse41`, `avx2` or `avx512`) asks for a lower
    /// one; it is read once, at the first use of BLAKE3 in the process.
    public static var simdLevel: String {
        defaultSIMDLevel.name
    }

    /// A family of SIMD code paths. Every level gives identical results.
    @_spi(Testing)
    public enum SIMDLevel: Int, CaseIterable, Sendable, Comparable, CustomStringConvertible {
        case portable = 0
        case sse41 = 1
        case avx2 = 2
        case avx512 = 3

        /// `"portable"`, `"sse41"`, `"avx2"` or `"avx512"`.
        public var name: String {
            String(cString: asb3_simd_level_name(Int32(rawValue)))
        }

        public var description: String { name }

        public static func < (lhs: SIMDLevel, rhs: SIMDLevel) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The level new hashers use (CPU best, lowered by `ARTIFACTSTORE_BLAKE3_SIMD`).
    @_spi(Testing)
    public static var defaultSIMDLevel: SIMDLevel {
        SIMDLevel(rawValue: Int(asb3_default_simd_level())) ?? .portable
    }

    /// Every level this CPU can run, lowest first (always includes `.portable`).
    @_spi(Testing)
    public static var supportedSIMDLevels: [SIMDLevel] {
        let best = Int(asb3_cpu_simd_level())
        return SIMDLevel.allCases.filter { $0.rawValue <= best }
    }
}

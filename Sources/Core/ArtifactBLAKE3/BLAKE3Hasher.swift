import CArtifactBLAKE3
public import NIOCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An incremental BLAKE3 hasher: plain hash, keyed hash or key derivation, with output of any
/// length (extended output, XOF).
///
/// What it promises:
/// - **Any split gives the same result.** Feeding bytes in one call or in many calls of any
///   sizes produces the same output; only the concatenation of the inputs matters.
/// - **Value semantics.** The whole state lives inline in the struct (about 2.8 KiB, no heap
///   allocation); copying a hasher forks it, so a copy can be finalized or fed independently.
/// - **Finalizing does not consume.** `finalize` reads the state without changing it, so more
///   input may follow and finalize may be called again (it then covers all input so far).
/// - **Output is a stream.** `finalize(outputLength:seek:)` reads bytes `seek ..< seek+length`
///   of one output stream; the default 32-byte digest is its first 32 bytes.
/// - **Speed.** Large updates (for example 1 MiB `ByteBuffer`s) hash 16, 8 or 4 chunks of 1 KiB
///   at once with AVX-512, AVX2 or SSE4.1, chosen at run time (see ``BLAKE3/simdLevel``); the
///   result never depends on the SIMD level.
///
/// Not thread-safe for concurrent mutation (like any value): `Sendable` so it can be moved or
/// copied across tasks.
public struct BLAKE3Hasher: Sendable {
    /// The C hasher (`asb3_hasher`), stored inline so copies fork the state.
    var state: asb3_hasher

    /// A hasher for the plain BLAKE3 hash.
    public init() {
        state = asb3_hasher()
        asb3_hasher_init(&state)
    }

    /// A hasher for BLAKE3 keyed hashing (a MAC / PRF) with a 32-byte key.
    ///
    /// - Throws: ``BLAKE3Error`` with code `invalidKeyLength` when `key` is not exactly
    ///   32 bytes.
    public init(key: some Collection<UInt8>) throws(BLAKE3Error) {
        let bytes = Array(key)
        guard bytes.count == BLAKE3.keyByteCount else {
            throw BLAKE3Error.invalidKeyLength(bytes.count)
        }
        state = asb3_hasher()
        bytes.withUnsafeBufferPointer { asb3_hasher_init_keyed(&state, $0.baseAddress!) }
    }

    /// A hasher for BLAKE3 key derivation: feed the key material, then finalize to get the
    /// derived key.
    ///
    /// `deriveKeyContext` should be a hardcoded, globally unique, application-specific string
    /// (for example `"ArtifactStore 2025-01-01 upload tokens v1"`); its UTF-8 bytes select the
    /// derived-key domain. Never put secrets or variable data in the context.
    public init(deriveKeyContext: String) {
        state = asb3_hasher()
        var context = deriveKeyContext
        context.withUTF8 { utf8 in
            asb3_hasher_init_derive_key(&state, utf8.baseAddress, utf8.count)
        }
    }

    /// Adds the bytes of `bytes`. Large buffers are hashed in place, without copying.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        asb3_hasher_update(&state, base, bytes.count)
    }

    /// Adds `bytes` (an array, `Data`, a buffer pointer…) without copying it.
    public mutating func update(_ bytes: some ContiguousBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the readable bytes of `buffer` (its reader index is not moved), without copying.
    public mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    /// The 32-byte digest of all input so far (the first 32 bytes of the output stream).
    public func finalize() -> [UInt8] {
        finalize(outputLength: BLAKE3.outputByteCount)
    }

    /// `outputLength` bytes of the extended output, starting at byte `seek` of the output
    /// stream. Any length is allowed; shorter outputs are prefixes of longer ones.
    ///
    /// - Precondition: `outputLength >= 0`.
    public func finalize(outputLength: Int, seek: UInt64 = 0) -> [UInt8] {
        precondition(outputLength >= 0, "BLAKE3 outputLength must not be negative, got \(outputLength)")
        return [UInt8](unsafeUninitializedCapacity: outputLength) { buffer, initialized in
            finalize(into: UnsafeMutableRawBufferPointer(buffer), seek: seek)
            initialized = outputLength
        }
    }

    /// Fills `output` with bytes `seek ..< seek + output.count` of the extended output stream.
    public func finalize(into output: UnsafeMutableRawBufferPointer, seek: UInt64 = 0) {
        guard let base = output.baseAddress, output.count > 0 else { return }
        withUnsafePointer(to: state) { statePointer in
            asb3_hasher_finalize_seek(
                statePointer,
                seek,
                base.assumingMemoryBound(to: UInt8.self),
                output.count
            )
        }
    }
}

// MARK: - SIMD level selection (tests and benchmarks)

extension BLAKE3Hasher {
    /// The SIMD level this hasher uses.
    @_spi(Testing)
    public var simdLevel: BLAKE3.SIMDLevel {
        BLAKE3.SIMDLevel(rawValue: Int(state.simd_level)) ?? .portable
    }

    /// Makes this hasher use `level`, or the best level below it that the CPU supports.
    /// Returns the level now in use. Results never depend on the level; this exists so tests
    /// can exercise every code path, and benchmarks can compare them, without global state.
    @_spi(Testing)
    @discardableResult
    public mutating func useSIMDLevel(_ level: BLAKE3.SIMDLevel) -> BLAKE3.SIMDLevel {
        let used = asb3_hasher_set_simd_level(&state, Int32(level.rawValue))
        return BLAKE3.SIMDLevel(rawValue: Int(used)) ?? .portable
    }
}

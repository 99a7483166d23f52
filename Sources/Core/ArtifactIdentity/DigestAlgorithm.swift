/// A hash algorithm ArtifactStore names content with.
///
/// The raw value is the prefix of a digest's text form (`blake3:…`, `sha256:…`, as OCI writes it).
/// Both algorithms produce 32-byte digests.
public enum DigestAlgorithm: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// BLAKE3, the primary algorithm: every object is stored under its BLAKE3 digest by default.
    case blake3
    /// SHA-256, kept alongside for interoperability (OCI, checksums users already publish).
    case sha256

    /// Length of a digest in bytes.
    public var digestByteCount: Int { 32 }

    /// Length of a digest's hex text in characters.
    public var hexCount: Int { digestByteCount * 2 }

    public var description: String { rawValue }
}

public import ArtifactIdentity
import Crypto
public import NIOCore

/// A blob digest as an OCI client names it.
///
/// Exists because OCI clients may name blobs by SHA-512, which the data plane does not compute:
/// a SHA-256 digest is found through the blob row's own SHA-256, a SHA-512 one through the
/// `blob_digests` mapping written when a SHA-512-checked upload was linked (docs/oci.md,
/// "Digests"). The text form is the client's (`sha256:<hex>`, `sha512:<hex>`).
public enum OCIBlobDigest: Sendable, Hashable, CustomStringConvertible {
    case sha256(ArtifactIdentity.Digest)
    /// `sha512:<hex>`; `hex` is 128 lower-case hex digits (checked by ``OCIDigest/parseBlob(_:)``).
    case sha512(hex: String)

    /// `sha256` or `sha512`.
    public var algorithm: String {
        switch self {
        case .sha256: "sha256"
        case .sha512: "sha512"
        }
    }

    /// The lower-case hex digits.
    public var hex: String {
        switch self {
        case .sha256(let digest): digest.hex
        case .sha512(let hex): hex
        }
    }

    public var description: String { "\(algorithm):\(hex)" }

    /// The SHA-512 digest of `bytes`.
    public static func sha512(of bytes: [UInt8]) -> OCIBlobDigest {
        .sha512(hex: hex(SHA512.hash(data: bytes)))
    }

    /// The SHA-512 of `buffer`'s readable bytes, read in place.
    public static func sha512(of buffer: ByteBuffer) -> OCIBlobDigest {
        .sha512(hex: hex(buffer.withUnsafeReadableBytes { SHA512.hash(data: $0) }))
    }

    /// The lower-case hex digits of a digest (128 for a SHA-512, 64 for a SHA-256).
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(128)
        for byte in digest {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

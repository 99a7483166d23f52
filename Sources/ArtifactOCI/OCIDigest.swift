import ArtifactControlPlane
import ArtifactIdentity

/// Digests as the OCI API writes them, and the version names manifests are stored under.
///
/// Exists so every digest a client sends is checked one way: `sha256:<64 lower hex>` is
/// accepted; a well-formed `sha512:<128 lower hex>` is refused with `UNSUPPORTED` (the data plane
/// computes BLAKE3 and SHA-256 only; docs/oci.md says so); anything else is `DIGEST_INVALID`.
public enum OCIDigest {
    /// Parses a client's digest.
    public static func parse(_ text: String) throws(OCIError) -> Digest {
        if text.hasPrefix("sha512:") {
            let hex = text.dropFirst("sha512:".count)
            if hex.count == 128, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                throw OCIError(.unsupported, "digest \"\(NameGrammar.printable(text))\": sha512 is not supported by this registry; use sha256")
            }
            throw OCIError(.digestInvalid, "digest \"\(NameGrammar.printable(text))\" is not a valid sha512 digest")
        }
        guard text.hasPrefix("sha256:") else {
            throw OCIError(.digestInvalid, "digest \"\(NameGrammar.printable(text))\" is not of the form sha256:<64 lower-case hex digits>")
        }
        do {
            return try Digest(parsing: text)
        } catch {
            throw OCIError(.digestInvalid, error.message, underlying: error)
        }
    }

    /// Whether `reference` (a manifest reference) is a digest rather than a tag.
    public static func isDigest(_ reference: String) -> Bool {
        reference.contains(":")
    }

    /// The version a manifest with `digest` is stored as: `sha256-<hex>` (our version grammar has no `:`).
    public static func versionName(_ digest: Digest) -> String {
        "\(digest.algorithm.rawValue)-\(digest.hex)"
    }
}

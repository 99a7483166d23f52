public import ArtifactControlPlane
public import ArtifactIdentity
import ArtifactStoreAPI

/// Digests as the OCI API writes them, and the version names manifests are stored under.
///
/// Exists so every digest a client sends is checked one way. Blobs and manifest references
/// (``parseBlob(_:)``) may be named `sha256:<64 lower hex>` or `sha512:<128 lower hex>` (a
/// manifest is always stored as the version `sha256-<hex>`: `sha512-<128 hex>` is longer than
/// the version grammar allows, so a sha512 reference is resolved through the `blob_digests`
/// mapping of the manifest's bytes). Subjects and index children (``parse(_:)``) only by
/// SHA-256: a well-formed sha512 there is `UNSUPPORTED` (docs/oci.md, "Digests"). Any other
/// algorithm, and anything malformed, is `DIGEST_INVALID`.
public enum OCIDigest {
    /// Parses a client's subject or index-child digest (SHA-256 only).
    public static func parse(_ text: String) throws(OCIError) -> Digest {
        switch try parseBlob(text) {
        case .sha256(let digest):
            return digest
        case .sha512:
            throw OCIError(
                .unsupported,
                "digest \"\(NameGrammar.printable(text))\": subjects and index children are named by sha256 only; use the manifest's sha256 digest"
            )
        }
    }

    /// Parses a client's blob digest: SHA-256 or SHA-512.
    public static func parseBlob(_ text: String) throws(OCIError) -> OCIBlobDigest {
        if text.hasPrefix("sha512:") {
            let hex = text.dropFirst("sha512:".count)
            guard hex.count == 128, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw OCIError(
                    .digestInvalid,
                    "digest \"\(NameGrammar.printable(text))\" is not of the form sha512:<128 lower-case hex digits>"
                )
            }
            return .sha512(hex: String(hex))
        }
        guard text.hasPrefix("sha256:") else {
            throw OCIError(
                .digestInvalid,
                "digest \"\(NameGrammar.printable(text))\" is not of the form sha256:<64 lower-case hex digits> or sha512:<128 lower-case hex digits>"
            )
        }
        do {
            return .sha256(try Digest(parsing: text))
        } catch {
            throw OCIError(.digestInvalid, error.message, underlying: error)
        }
    }

    /// The digest a manifest requested by `reference` answers with (`Docker-Content-Digest`,
    /// `Location`, `ETag`): the reference itself when it is a sha512 digest (the client checks
    /// what it asked for), otherwise the manifest's SHA-256 `digest`.
    public static func answered(reference: String, digest: Digest) -> String {
        if case .sha512? = try? parseBlob(reference) { return reference }
        return digest.description
    }

    /// Whether `reference` (a manifest reference) is a digest rather than a tag.
    public static func isDigest(_ reference: String) -> Bool {
        reference.contains(":")
    }

    /// The version a manifest with `digest` is stored as: `sha256-<hex>` (our version grammar has no `:`).
    public static func versionName(_ digest: Digest) -> String {
        "\(digest.algorithm.rawValue)-\(digest.hex)"
    }

    /// The file name a referenced blob gets inside a manifest's version: `sha256-<hex>` or `sha512-<hex>`.
    public static func fileName(_ digest: OCIBlobDigest) -> String {
        "\(digest.algorithm)-\(digest.hex)"
    }
}

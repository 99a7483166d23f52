public import ArtifactControlPlane
public import ArtifactIdentity
import ArtifactStoreAPI
import Crypto
import Foundation
public import NIOCore

/// A manifest as pushed, parsed and checked: an OCI image manifest or index, or a Docker
/// schema 2 manifest or manifest list.
///
/// Exists so a manifest is validated once, before anything is stored, and so the registry
/// knows what it references (GC and retention then count those blobs through the version's
/// files) and what the referrers API lists (`subject`, `artifactType`, `annotations`). The bytes
/// are kept exactly as pushed: ``digest`` is the SHA-256 of them.
public struct OCIManifest: Sendable, Hashable {
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// The media types accepted on push.
    public static let supportedMediaTypes: Set<String> = [imageManifest, imageIndex, dockerManifest, dockerManifestList]
    /// The largest manifest accepted (bytes).
    public static let maximumSize = 4 * 1024 * 1024

    public var mediaType: String
    public var digest: ArtifactIdentity.Digest
    public var size: UInt64
    /// Whether it lists manifests (an index or manifest list) rather than layers.
    public var isIndex: Bool
    /// The config and layer blobs it references, in order, without duplicates (foreign,
    /// non-distributable layers left out: they are not stored here).
    /// A blob may be named by SHA-256 or SHA-512; manifests and the subject only by SHA-256.
    public var blobs: [OCIBlobDigest]
    /// The manifests an index references, in order, without duplicates.
    public var manifests: [ArtifactIdentity.Digest]
    public var subject: ArtifactIdentity.Digest?
    /// `artifactType`, or for an image manifest without one its config's media type.
    public var artifactType: String?
    /// The `annotations` object as compact JSON text, if any.
    public var annotations: String?

    /// Parses and checks `bytes` pushed with `Content-Type` `contentType`.
    ///
    /// - Throws: `MANIFEST_INVALID` (too large, not JSON, unknown or contradictory media type,
    ///   missing or malformed fields), `DIGEST_INVALID`/`UNSUPPORTED` for a descriptor's digest.
    public init(bytes: [UInt8], contentType: String?) throws(OCIError) {
        try self.init(buffer: ByteBuffer(bytes: bytes), contentType: contentType)
    }

    /// As ``init(bytes:contentType:)``, reading the bytes where they are (a large manifest is
    /// not copied to be decoded or hashed).
    public init(buffer: ByteBuffer, contentType: String?) throws(OCIError) {
        guard buffer.readableBytes <= Self.maximumSize else {
            throw OCIError(
                .manifestInvalid,
                "manifest of \(buffer.readableBytes) bytes is larger than the \(Self.maximumSize)-byte limit",
                status: 413
            )
        }
        let wire = try Self.decode(buffer)
        guard wire.schemaVersion == 2 else {
            throw OCIError(.manifestInvalid, "manifest schemaVersion must be 2")
        }
        let declared = wire.mediaType
        let header = contentType.map { String($0.split(separator: ";", maxSplits: 1)[0]).trimmingCharacters(in: .whitespaces).lowercased() }
        let headerNamesManifest = header.map { Self.supportedMediaTypes.contains($0) } ?? false
        var mediaType: String
        if let declared {
            mediaType = declared
            if headerNamesManifest, let header, header != declared {
                throw OCIError(
                    .manifestInvalid,
                    "Content-Type \"\(NameGrammar.printable(header))\" differs from the manifest's mediaType \"\(NameGrammar.printable(declared))\""
                )
            }
        } else if headerNamesManifest, let header {
            mediaType = header
        } else if wire.hasManifestsKey {
            mediaType = Self.imageIndex
        } else {
            mediaType = Self.imageManifest
        }
        guard Self.supportedMediaTypes.contains(mediaType) else {
            throw OCIError(.manifestInvalid, "manifest media type \"\(NameGrammar.printable(mediaType))\" is not supported")
        }
        if mediaType == Self.imageManifest || mediaType == Self.dockerManifest, let header, !headerNamesManifest,
            header != "application/json",
            header != "application/octet-stream"
        {
            // A Content-Type that is neither a manifest type nor generic is a mistake, not a hint.
            throw OCIError(.manifestInvalid, "Content-Type \"\(NameGrammar.printable(header))\" is not a manifest media type")
        }
        self.mediaType = mediaType
        self.size = UInt64(buffer.readableBytes)
        self.digest = try! ArtifactIdentity.Digest(
            algorithm: .sha256,
            bytes: buffer.withUnsafeReadableBytes { Array(SHA256.hash(data: $0)) }
        )
        self.isIndex = mediaType == Self.imageIndex || mediaType == Self.dockerManifestList
        self.blobs = []
        self.manifests = []
        if isIndex {
            guard let list = wire.manifests else {
                throw OCIError(.manifestInvalid, "an index needs a \"manifests\" array")
            }
            // A set beside the ordered list: a duplicate check per entry that does not grow with the list.
            var seen: Set<ArtifactIdentity.Digest> = []
            for (index, entry) in list.enumerated() {
                let descriptor = try Self.descriptor(entry, "manifests[\(index)]")
                let digest = try OCIDigest.parse(descriptor.digest)
                if seen.insert(digest).inserted { manifests.append(digest) }
            }
            artifactType = wire.artifactType
        } else {
            let config = try Self.descriptor(wire.config, "config")
            guard let layers = wire.layers else {
                throw OCIError(.manifestInvalid, "an image manifest needs a \"layers\" array")
            }
            blobs.append(try OCIDigest.parseBlob(config.digest))
            // As for an index: duplicates found through a set, not by searching the list.
            var seen: Set<OCIBlobDigest> = Set(blobs)
            for (index, entry) in layers.enumerated() {
                let layer = try Self.descriptor(entry, "layers[\(index)]")
                let digest = try OCIDigest.parseBlob(layer.digest)
                if layer.mediaType.contains(".foreign.") || layer.mediaType.contains("nondistributable") { continue }
                if seen.insert(digest).inserted { blobs.append(digest) }
            }
            artifactType = wire.artifactType ?? config.mediaType
        }
        if let artifactType, (try? NameGrammar.validateMediaType(artifactType)) == nil {
            throw OCIError(.manifestInvalid, "artifactType \"\(NameGrammar.printable(artifactType))\" is not a media type")
        }
        if let subject = wire.subject {
            self.subject = try OCIDigest.parse(Self.descriptor(subject, "subject").digest)
        }
        if let annotations = wire.annotations {
            self.annotations = Self.compactJSON(annotations)
        }
    }

    private struct Descriptor {
        var mediaType: String
        /// As written; parsed by the caller (blobs and manifests accept different algorithms).
        var digest: String
    }

    private static func descriptor(_ wire: Wire.Descriptor?, _ field: String) throws(OCIError) -> Descriptor {
        guard let wire, wire.isObject else {
            throw OCIError(.manifestInvalid, "\(field) must be a descriptor object")
        }
        guard let mediaType = wire.mediaType, (try? NameGrammar.validateMediaType(mediaType)) != nil else {
            throw OCIError(.manifestInvalid, "\(field).mediaType is missing or not a media type")
        }
        guard let digestText = wire.digest else {
            throw OCIError(.manifestInvalid, "\(field).digest is missing")
        }
        guard let size = wire.size, size >= 0 else {
            throw OCIError(.manifestInvalid, "\(field).size is missing or not a byte count")
        }
        return Descriptor(mediaType: mediaType, digest: digestText)
    }
}

import ArtifactIdentity
import ArtifactOCI
import Crypto
import Foundation
import Testing

/// Manifests the tests parse (outside the suite: its test arguments use them).
enum ManifestSamples {
    static let config = "sha256:" + String(repeating: "a", count: 64)
    static let layer = "sha256:" + String(repeating: "b", count: 64)
    static let subject = "sha256:" + String(repeating: "c", count: 64)

    static func imageManifest(extra: String = "", mediaType: String? = OCIManifest.imageManifest) -> [UInt8] {
        let type = mediaType.map { #""mediaType":"\#($0)","# } ?? ""
        return Array(
            """
            {"schemaVersion":2,\(type)"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config)","size":2},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layer)","size":10},\
            {"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layer)","size":10}]\(extra)}
            """.utf8
        )
    }
}

/// Manifest parsing and validation, repository names and digests: every refusal with its OCI code.
@Suite("OCI manifests, names and digests", .timeLimit(.minutes(10)))
struct OCIManifestTests {
    @Test("an image manifest: digest of the exact bytes, blobs once each in order, subject, artifactType, annotations")
    func imageManifest() throws {
        let bytes = ManifestSamples.imageManifest(
            extra:
                #","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(ManifestSamples.subject)","size":5},"annotations":{"b":"2","a":"1"}"#
        )
        let manifest = try OCIManifest(bytes: bytes, contentType: OCIManifest.imageManifest)
        #expect(manifest.digest.description == "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        #expect(manifest.size == UInt64(bytes.count))
        #expect(manifest.blobs.map(\.description) == [ManifestSamples.config, ManifestSamples.layer])
        #expect(manifest.subject?.description == ManifestSamples.subject)
        #expect(manifest.artifactType == "application/vnd.oci.image.config.v1+json")
        #expect(manifest.annotations == #"{"a":"1","b":"2"}"#)
        #expect(!manifest.isIndex)
    }

    @Test("an index references manifests; the media type may come from Content-Type alone")
    func index() throws {
        let bytes = Array(
            #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(ManifestSamples.layer)","size":7}]}"#
                .utf8
        )
        let manifest = try OCIManifest(bytes: bytes, contentType: OCIManifest.imageIndex)
        #expect(manifest.isIndex)
        #expect(manifest.mediaType == OCIManifest.imageIndex)
        #expect(manifest.manifests.map(\.description) == [ManifestSamples.layer])
        #expect(manifest.blobs.isEmpty)
        let docker = try OCIManifest(
            bytes: ManifestSamples.imageManifest(mediaType: OCIManifest.dockerManifest),
            contentType: OCIManifest.dockerManifest
        )
        #expect(docker.mediaType == OCIManifest.dockerManifest)
    }

    @Test(
        "invalid manifests are MANIFEST_INVALID",
        arguments: [
            ("not json", Array("{nope".utf8), OCIManifest.imageManifest),
            ("array", Array("[]".utf8), OCIManifest.imageManifest),
            ("schema 1", Array(#"{"schemaVersion":1}"#.utf8), OCIManifest.imageManifest),
            (
                "unknown media type", ManifestSamples.imageManifest(mediaType: "application/vnd.example+json"),
                "application/vnd.example+json"
            ),
            ("contradicting Content-Type", ManifestSamples.imageManifest(), OCIManifest.imageIndex),
            (
                "no layers",
                Array(#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(ManifestSamples.config)","size":1}}"#.utf8),
                OCIManifest.imageManifest
            ),
            (
                "index without manifests", Array(#"{"schemaVersion":2,"mediaType":"\#(OCIManifest.imageIndex)"}"#.utf8),
                OCIManifest.imageIndex
            ),
            (
                "a layer that is not an object",
                Array(
                    #"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(ManifestSamples.config)","size":1},"layers":[7]}"#.utf8
                ), OCIManifest.imageManifest
            ),
            (
                "a size that is a string",
                Array(
                    #"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(ManifestSamples.config)","size":"1"},"layers":[]}"#.utf8
                ), OCIManifest.imageManifest
            ),
            (
                "a mediaType that is a number",
                Array(
                    #"{"schemaVersion":2,"mediaType":7,"config":{"mediaType":"a/b","digest":"\#(ManifestSamples.config)","size":1},"layers":[]}"#
                        .utf8
                ), OCIManifest.imageManifest
            ),
            (
                "annotations that are not strings", ManifestSamples.imageManifest(extra: #","annotations":{"a":1}"#),
                OCIManifest.imageManifest
            ),
            (
                "layers that are not an array",
                Array(#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(ManifestSamples.config)","size":1},"layers":{}}"#.utf8),
                OCIManifest.imageManifest
            ),
            ("manifests that are not an array, no media type", Array(#"{"schemaVersion":2,"manifests":"x"}"#.utf8), "application/json"),
            (
                "descriptor without size",
                Array(#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(ManifestSamples.config)"},"layers":[]}"#.utf8),
                OCIManifest.imageManifest
            ),
        ]
    )
    func invalid(_ name: String, _ bytes: [UInt8], _ contentType: String) {
        #expect { try OCIManifest(bytes: bytes, contentType: contentType) } throws: { ($0 as? OCIError)?.kind == .manifestInvalid }
    }

    @Test("a manifest over 4 MiB is MANIFEST_INVALID with 413")
    func tooLarge() {
        let bytes = [UInt8](repeating: 0x20, count: OCIManifest.maximumSize + 1)
        #expect { try OCIManifest(bytes: bytes, contentType: nil) } throws: {
            ($0 as? OCIError)?.kind == .manifestInvalid && ($0 as? OCIError)?.status == 413
        }
    }

    @Test(
        "digests: blobs by sha256 or sha512; manifests by sha256 (sha512 UNSUPPORTED); other algorithms and malformed ones DIGEST_INVALID"
    )
    func digests() throws {
        #expect(try OCIDigest.parse(ManifestSamples.layer).description == ManifestSamples.layer)
        #expect(OCIDigest.versionName(try OCIDigest.parse(ManifestSamples.layer)) == "sha256-" + String(repeating: "b", count: 64))
        let sha512 = "sha512:" + String(repeating: "a", count: 128)
        #expect(try OCIDigest.parseBlob(sha512) == .sha512(hex: String(repeating: "a", count: 128)))
        #expect(try OCIDigest.parseBlob(sha512).description == sha512)
        #expect(OCIDigest.fileName(try OCIDigest.parseBlob(sha512)) == "sha512-" + String(repeating: "a", count: 128))
        #expect(try OCIDigest.parseBlob(ManifestSamples.layer) == .sha256(try OCIDigest.parse(ManifestSamples.layer)))
        #expect { try OCIDigest.parse(sha512) } throws: { ($0 as? OCIError)?.kind == .unsupported }
        for bad in [
            "md5:abc", "sha256:ABC", "sha256:" + String(repeating: "A", count: 64), "blake3:" + String(repeating: "a", count: 64),
            "sha512:zz", "",
            "sha512:" + String(repeating: "A", count: 128), "sha512:" + String(repeating: "a", count: 129),
            "sha512:" + String(repeating: "g", count: 128),
            "sha384:" + String(repeating: "a", count: 96),
        ] {
            #expect { try OCIDigest.parse(bad) } throws: { ($0 as? OCIError)?.kind == .digestInvalid }
            #expect { try OCIDigest.parseBlob(bad) } throws: { ($0 as? OCIError)?.kind == .digestInvalid }
        }
    }

    @Test("repository names: NS/ARTIFACT with at least two components, in both grammars")
    func names() throws {
        let name = try OCIRepositoryName(parsing: "team/tools/builder")
        #expect(name.namespace == "team")
        #expect(name.artifact == "tools/builder")
        for bad in ["single", "Team/x", "team/", "/x", "team//x", "team/a__b", "team/a--b", "team/x/", "te am/x"] {
            #expect { try OCIRepositoryName(parsing: bad) } throws: { ($0 as? OCIError)?.kind == .nameInvalid }
        }
        // A default namespace takes single-component names; the name keeps what the client wrote.
        let single = try OCIRepositoryName(parsing: "app", defaultNamespace: "library")
        #expect(single.namespace == "library" && single.artifact == "app" && single.description == "app")
        let full = try OCIRepositoryName(parsing: "team/app", defaultNamespace: "library")
        #expect(full.namespace == "team" && full.artifact == "app" && full.description == "team/app")
        for bad in ["App", "a__b", ""] {
            #expect { try OCIRepositoryName(parsing: bad, defaultNamespace: "library") } throws: { ($0 as? OCIError)?.kind == .nameInvalid }
        }
    }
}

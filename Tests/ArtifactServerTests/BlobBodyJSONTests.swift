import ArtifactIdentity
import ArtifactStoreAPI
import Foundation
import NIOCore
import Testing

@testable import ArtifactServer

/// The upload answer written without the encoder (``BlobBody/directJSON()``) is the encoder's, byte for byte.
@Suite("Blob body JSON", .timeLimit(.minutes(10)))
struct BlobBodyJSONTests {
    static func body(_ bytes: [UInt8], deduplicated: Bool, size: UInt64? = nil) -> BlobBody {
        let blake3 = Digest.blake3(of: bytes)
        return BlobBody(
            address: ContentAddress(blake3),
            size: size ?? UInt64(bytes.count),
            sha256: Digest.sha256(of: bytes),
            blake3: blake3,
            deduplicated: deduplicated
        )
    }

    @Test("new and deduplicated blobs, empty to large sizes, are written as APIJSON's encoder writes them")
    func matchesTheEncoder() throws {
        let bodies = [
            Self.body([], deduplicated: false),
            Self.body(Array("hello".utf8), deduplicated: true),
            Self.body([UInt8](repeating: 7, count: 4096), deduplicated: false, size: UInt64.max),
        ]
        for body in bodies {
            let direct = try #require(body.directJSON())
            let encoded = try APIJSON.encoder().encode(body)
            #expect(String(buffer: direct) == String(decoding: encoded, as: UTF8.self))
            #expect(try APIJSON.decoder().decode(BlobBody.self, from: Data(direct.readableBytesView)) == body)
        }
    }

    @Test("text JSON would escape is left to the encoder")
    func escapingFallsBack() {
        #expect(BlobBody.needsNoEscape("blake3:00ff"))
        #expect(!BlobBody.needsNoEscape("a\"b"))
        #expect(!BlobBody.needsNoEscape("a\\b"))
        #expect(!BlobBody.needsNoEscape("a\nb"))
        #expect(!BlobBody.needsNoEscape("é"))
    }
}

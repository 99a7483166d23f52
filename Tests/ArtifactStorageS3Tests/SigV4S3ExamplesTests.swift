import ArtifactStorage
import ArtifactStorageS3
import Crypto
import Foundation
import Testing

/// The worked examples of the S3 API reference (`s3_examples.json`): header signing, a presigned
/// URL (UNSIGNED-PAYLOAD), the signing-key derivation and aws-chunked streaming signatures.
@Suite("S3 SigV4 examples", .timeLimit(.minutes(10)))
struct SigV4S3ExamplesTests {
    struct Case: Decodable {
        var name: String
        var method: String
        var host: String
        var uri: String
        var canonical_uri: String
        var query: [[String]]
        var canonical_query: String
        var headers: [[String]]
        var payload_sha256: String
        var date: String
        var region: String
        var service: String
        var access_key: String
        var secret_key: String
        var signing_key: String
        var signed_headers: String
        var canonical_request: String
        var string_to_sign: String
        var signature: String
        var authorization: String?
        var presigned_url: String?
        var expires: Int?
        var chunks: [Chunk]?
        var trailer: Trailer?
    }

    struct Chunk: Decodable {
        var size: Int
        var data_sha256: String
        var signature: String
        var chunk_header: String
    }

    struct Trailer: Decodable {
        var canonical_trailer: String
        var signature: String
    }

    struct KeyExample: Decodable {
        var secret_key: String
        var date: String
        var region: String
        var service: String
        var kSigning: String
    }

    struct File: Decodable {
        var header_cases: [Case]
        var presign_cases: [Case]
        var chunked_cases: [Case]
        var signing_key_examples: [KeyExample]
    }

    static let file: File? = try? JSONDecoder().decode(
        File.self,
        from: Data(contentsOf: TestData.url("sigv4/s3_examples.json"))
    )

    static func signer(_ example: Case) -> SigV4Signer {
        SigV4Signer(
            credentials: StorageCredentials(accessKeyID: example.access_key, secretAccessKey: example.secret_key),
            region: example.region,
            service: example.service,
            pathMode: .s3
        )
    }

    /// The example as a request: the decoded `uri` goes on the wire encoded once.
    static func request(_ example: Case) -> SigV4Request {
        SigV4Request(
            method: example.method,
            path: SigV4Signer.uriEncode(example.uri, keepSlash: true),
            query: example.query.map { .init($0[0], $0[1]) },
            headers: example.headers.map { .init($0[0], $0[1]) }
        )
    }

    static func hex(_ key: SymmetricKey) -> String {
        key.withUnsafeBytes { Array($0) }.map { String(format: "%02x", $0) }.joined()
    }

    @Test func fileLoads() throws {
        // Decoded again with `try`, so a missing or malformed file fails here with its cause.
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: TestData.url("sigv4/s3_examples.json")))
        #expect(Self.file != nil)
        #expect(file.header_cases.count == 4)
        #expect(file.presign_cases.count == 1)
        #expect(file.chunked_cases.count == 2)
    }

    @Test(arguments: file?.header_cases ?? [])
    func headerCase(_ example: Case) {
        let signer = Self.signer(example)
        var request = Self.request(example)
        let result = signer.sign(&request, date: TestData.date(example.date), payloadHash: example.payload_sha256)
        #expect(SigV4Signer.canonicalURI(request.path, mode: .s3) == example.canonical_uri)
        #expect(SigV4Signer.canonicalQuery(request.query) == example.canonical_query)
        #expect(result.signedHeaders == example.signed_headers)
        #expect(result.canonicalRequest == example.canonical_request)
        #expect(result.stringToSign == example.string_to_sign)
        #expect(result.signature == example.signature)
        #expect(result.authorization == example.authorization)
        #expect(Self.hex(signer.signingKey(date: String(example.date.prefix(8)))) == example.signing_key)
    }

    @Test(arguments: file?.presign_cases ?? [])
    func presignCase(_ example: Case) throws {
        let signer = Self.signer(example)
        let request = SigV4Request(
            method: example.method,
            path: SigV4Signer.uriEncode(example.uri, keepSlash: true),
            headers: example.headers.map { .init($0[0], $0[1]) }
        )
        let expires = try #require(example.expires)
        let presigned = signer.presign(
            request,
            date: TestData.date(example.date),
            expires: expires,
            payloadHash: SigV4Signer.unsignedPayload
        )
        #expect(presigned.signature.canonicalRequest == example.canonical_request)
        #expect(presigned.signature.stringToSign == example.string_to_sign)
        #expect(presigned.signature.signature == example.signature)
        let url = signer.presignedURL(
            scheme: "https",
            authority: example.host,
            request: request,
            date: TestData.date(example.date),
            expires: expires
        )
        #expect(url == example.presigned_url)
    }

    @Test func signingKeyExample() throws {
        let example = try #require(Self.file?.signing_key_examples.first)
        let key = SigV4Signer.signingKey(
            secret: example.secret_key,
            date: example.date,
            region: example.region,
            service: example.service
        )
        #expect(Self.hex(key) == example.kSigning)
    }

    @Test(arguments: file?.chunked_cases ?? [])
    func chunkedCase(_ example: Case) throws {
        let signer = Self.signer(example)
        var request = Self.request(example)
        let seed = signer.sign(&request, date: TestData.date(example.date), payloadHash: example.payload_sha256)
        #expect(seed.canonicalRequest == example.canonical_request)
        #expect(seed.signature == example.signature)
        var previous = seed.signature
        for chunk in try #require(example.chunks) {
            let data = [UInt8](repeating: UInt8(ascii: "a"), count: chunk.size)
            #expect(SigV4Signer.sha256Hex(data) == chunk.data_sha256)
            let signature = signer.chunkSignature(
                previousSignature: previous,
                chunkSHA256: chunk.data_sha256,
                amzDate: example.date
            )
            #expect(signature == chunk.signature)
            #expect(String(chunk.size, radix: 16) + ";chunk-signature=" + signature + "\r\n" == chunk.chunk_header)
            previous = signature
        }
        if let trailer = example.trailer {
            let signature = signer.trailerSignature(
                previousSignature: previous,
                canonicalTrailer: trailer.canonical_trailer,
                amzDate: example.date
            )
            #expect(signature == trailer.signature)
        }
    }
}

extension SigV4S3ExamplesTests.Case: CustomTestStringConvertible {
    var testDescription: String { name }
}

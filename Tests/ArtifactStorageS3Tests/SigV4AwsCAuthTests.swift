import ArtifactStorage
import ArtifactStorageS3
import Foundation
import Testing

/// The aws-c-auth v4 suite: each case signed with a header and presigned (query), in S3 mode
/// (`normalize: false`, the `*-unnormalized` cases) or generic mode.
@Suite("aws-c-auth SigV4 suite", .timeLimit(.minutes(10)))
struct SigV4AwsCAuthTests {
    static let directory = "sigv4/aws-c-auth-v4"

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: TestData.url(directory).path)) ?? []
        return names.filter { TestData.exists("\(directory)/\($0)/context.json") }.sorted()
    }()

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var expiration_in_seconds: Int
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
    }

    static func load(_ name: String) throws -> (Context, RawRequest, SigV4Signer) {
        let context = try JSONDecoder().decode(
            Context.self,
            from: try Data(contentsOf: TestData.url("\(directory)/\(name)/context.json"))
        )
        let raw = RawRequest(try TestData.text("\(directory)/\(name)/request.txt"), folding: .foldedValue)
        let signer = SigV4Signer(
            credentials: StorageCredentials(
                accessKeyID: context.credentials.access_key_id,
                secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token
            ),
            region: context.region,
            service: context.service,
            pathMode: context.normalize ? .generic : .s3
        )
        return (context, raw, signer)
    }

    @Test func suiteHasAllCases() throws {
        // Listed again with `try`, so a missing folder fails here with its cause.
        _ = try FileManager.default.contentsOfDirectory(atPath: TestData.url(Self.directory).path)
        #expect(Self.cases.count == 19)
    }

    @Test(arguments: cases)
    func headerSigning(_ name: String) throws {
        let (context, raw, signer) = try Self.load(name)
        var request = raw.sigV4Request
        let result = signer.sign(
            &request,
            date: TestData.date(context.timestamp),
            payloadHash: SigV4Signer.sha256Hex(raw.body),
            addContentSHA256Header: context.sign_body
        )
        #expect(result.canonicalRequest == (try TestData.text("\(Self.directory)/\(name)/header-canonical-request.txt")))
        #expect(result.stringToSign == (try TestData.text("\(Self.directory)/\(name)/header-string-to-sign.txt")))
        #expect(result.signature == (try TestData.text("\(Self.directory)/\(name)/header-signature.txt")))
    }

    @Test(arguments: cases)
    func querySigning(_ name: String) throws {
        let (context, raw, signer) = try Self.load(name)
        let presigned = signer.presign(
            raw.sigV4Request,
            date: TestData.date(context.timestamp),
            expires: context.expiration_in_seconds,
            payloadHash: SigV4Signer.sha256Hex(raw.body)
        )
        #expect(presigned.signature.canonicalRequest == (try TestData.text("\(Self.directory)/\(name)/query-canonical-request.txt")))
        #expect(presigned.signature.stringToSign == (try TestData.text("\(Self.directory)/\(name)/query-string-to-sign.txt")))
        #expect(presigned.signature.signature == (try TestData.text("\(Self.directory)/\(name)/query-signature.txt")))
        #expect(presigned.encodedQuery.hasSuffix("&X-Amz-Signature=" + presigned.signature.signature))
    }
}

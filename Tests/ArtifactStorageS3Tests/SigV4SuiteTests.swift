import ArtifactStorage
import ArtifactStorageS3
import Foundation
import Testing

/// The official AWS SigV4 test suite (generic service: paths normalised, wire path encoded again).
@Suite("AWS SigV4 test suite", .timeLimit(.minutes(10)))
struct SigV4SuiteTests {
    static let directory = "sigv4/aws-sig-v4-test-suite"
    static let token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    /// Every case, as `dir/name` relative to the suite (found by its `.req` file).
    static let cases: [String] = {
        let base = TestData.url(directory)
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".req") }
            .map { String($0.dropLast(4)) }
            .sorted()
    }()

    @Test func suiteHasAllCases() {
        #expect(Self.cases.count == 31)
    }

    @Test(arguments: cases)
    func signsLikeTheSuite(_ casePath: String) throws {
        let name = (casePath as NSString).lastPathComponent
        let raw = RawRequest(try TestData.text("\(Self.directory)/\(casePath).req"), folding: .separateValues)
        let usesToken = name.hasPrefix("post-sts-header")
        let signer = SigV4Signer(
            credentials: StorageCredentials(
                accessKeyID: "AKIDEXAMPLE",
                secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                sessionToken: usesToken ? Self.token : nil
            ),
            region: "us-east-1",
            service: "service",
            pathMode: .generic,
            signsSessionToken: name != "post-sts-header-after"
        )
        var request = raw.sigV4Request
        let result = signer.sign(
            &request,
            date: TestData.date("20150830T123600Z"),
            payloadHash: SigV4Signer.sha256Hex(raw.body)
        )
        #expect(result.canonicalRequest == (try TestData.text("\(Self.directory)/\(casePath).creq")))
        #expect(result.stringToSign == (try TestData.text("\(Self.directory)/\(casePath).sts")))
        #expect(result.authorization == (try TestData.text("\(Self.directory)/\(casePath).authz")))
        #expect(request.header("Authorization") == result.authorization)
        if usesToken {
            #expect(request.header("X-Amz-Security-Token") == Self.token)
        }
    }
}

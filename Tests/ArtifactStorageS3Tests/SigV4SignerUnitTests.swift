import ArtifactStorage
import ArtifactStorageS3
import Foundation
import Testing

/// Edge cases of the signer's building blocks that the vector suites do not reach.
@Suite("SigV4 building blocks", .timeLimit(.minutes(10)))
struct SigV4SignerUnitTests {
    @Test func s3PathIsEncodedOnceAndNeverNormalised() {
        #expect(SigV4Signer.canonicalURI("/bucket/a%20b/../c", mode: .s3) == "/bucket/a%20b/../c")
        #expect(SigV4Signer.canonicalURI("/bucket/a b", mode: .s3) == "/bucket/a%20b")
        #expect(SigV4Signer.canonicalURI("/bucket/100%25", mode: .s3) == "/bucket/100%25")
        #expect(SigV4Signer.canonicalURI("", mode: .s3) == "/")
    }

    @Test func genericPathIsNormalisedAndEncodedAgain() {
        #expect(SigV4Signer.canonicalURI("/a%20b//./c/../d/", mode: .generic) == "/a%2520b/d/")
        #expect(SigV4Signer.normalizePath("/a/b/..") == "/a/")
        #expect(SigV4Signer.normalizePath("/../..") == "/")
    }

    @Test func queryIsSortedAfterEncoding() {
        let query: [SigV4Request.QueryItem] = [.init("b", "2"), .init("a b", "x/y"), .init("a", "z"), .init("a", "")]
        #expect(SigV4Signer.canonicalQuery(query) == "a=&a=z&a%20b=x%2Fy&b=2")
    }

    @Test func headerValuesAreTrimmedAndFolded() {
        let (canonical, signed) = SigV4Signer.canonicalHeaders([
            .init("X-B", "  one\r\n   two\tthree "), .init("x-a", "1"), .init("X-A", " 2 "),
        ])
        #expect(canonical == "x-a:1,2\nx-b:one two three\n")
        #expect(signed == "x-a;x-b")
    }

    @Test func amzDateFormatsUTC() {
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
    }

    @Test func secretNeverPrinted() {
        let signer = SigV4Signer(
            credentials: StorageCredentials(accessKeyID: "AKID", secretAccessKey: "TOPSECRET"),
            region: "us-east-1"
        )
        #expect(!String(describing: signer).contains("TOPSECRET"))
        #expect(!String(reflecting: signer).contains("TOPSECRET"))
    }
}

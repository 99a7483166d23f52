import ArtifactStorage
import ArtifactStorageS3
import Crypto
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

    /// The signing key is kept between requests, but whatever its inputs it is the derivation's:
    /// a new day, region, service or secret (a changed copy of the signer) derives anew.
    @Test func keptSigningKeyIsAlwaysTheDerivation() {
        func hex(_ key: SymmetricKey) -> String { key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } }
        var signer = SigV4Signer(credentials: StorageCredentials(accessKeyID: "AKID", secretAccessKey: "first"), region: "us-east-1")
        func expected(_ signer: SigV4Signer, _ date: String) -> String {
            hex(
                SigV4Signer.signingKey(
                    secret: signer.credentials.secretAccessKey,
                    date: date,
                    region: signer.region,
                    service: signer.service
                )
            )
        }
        for date in ["20261207", "20261207", "20261208", "20261207"] {
            #expect(hex(signer.signingKey(date: date)) == expected(signer, date))
        }
        let original = signer
        signer.region = "eu-west-1"
        #expect(hex(signer.signingKey(date: "20261207")) == expected(signer, "20261207"))
        #expect(hex(original.signingKey(date: "20261207")) == expected(original, "20261207"))
        signer.service = "sts"
        #expect(hex(signer.signingKey(date: "20261207")) == expected(signer, "20261207"))
        signer.credentials = StorageCredentials(accessKeyID: "AKID", secretAccessKey: "second")
        #expect(hex(signer.signingKey(date: "20261207")) == expected(signer, "20261207"))
        #expect(expected(signer, "20261207") != expected(original, "20261207"))
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

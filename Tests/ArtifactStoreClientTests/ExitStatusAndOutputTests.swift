import ArtifactStoreAPI
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import ArtifactStoreClient

@Suite("Exit statuses, server errors and progress lines", .timeLimit(.minutes(5)))
struct ExitStatusAndOutputTests {
    struct Answer: Sendable, CustomTestStringConvertible {
        var status: Int
        var code: String
        var expected: ClientExitStatus
        var testDescription: String { "\(status) \(code)" }
    }

    static let answers: [Answer] = [
        Answer(status: 400, code: "invalidName", expected: .usage),
        Answer(status: 413, code: "payloadTooLarge", expected: .usage),
        Answer(status: 416, code: "rangeNotSatisfiable", expected: .usage),
        Answer(status: 401, code: "unauthenticated", expected: .auth),
        Answer(status: 401, code: "tokenRevoked", expected: .auth),
        Answer(status: 403, code: "forbidden", expected: .auth),
        Answer(status: 404, code: "versionNotFound", expected: .notFound),
        Answer(status: 404, code: "notFound", expected: .notFound),
        Answer(status: 409, code: "versionExists", expected: .conflict),
        Answer(status: 409, code: "versionHeld", expected: .conflict),
        Answer(status: 400, code: "digestMismatch", expected: .integrity),
        Answer(status: 400, code: "sizeMismatch", expected: .integrity),
        Answer(status: 500, code: "internalError", expected: .server),
        Answer(status: 503, code: "databaseUnavailable", expected: .server),
    ]

    @Test(arguments: answers)
    func serverAnswersMapToStatuses(_ answer: Answer) {
        #expect(ClientExitStatus(for: ClientError(serverCode: answer.code, message: "m", status: answer.status)) == answer.expected)
    }

    @Test func localErrorsMapToStatuses() {
        #expect(ClientExitStatus(for: ClientError(.invalidReference, "m")) == .usage)
        #expect(ClientExitStatus(for: ClientError(.invalidPath, "m")) == .usage)
        #expect(ClientExitStatus(for: ClientError(.invalidArgument, "m")) == .usage)
        #expect(ClientExitStatus(for: ClientError(.notConfigured, "m")) == .usage)
        #expect(ClientExitStatus(for: ClientError(.digestMismatch, "m")) == .integrity)
        #expect(ClientExitStatus(for: ClientError(.sizeMismatch, "m")) == .integrity)
        #expect(ClientExitStatus(for: ClientError(.serverUnreachable, "m")) == .server)
        #expect(ClientExitStatus(for: ClientError(.io, "m")) == .failure)
        #expect(ClientExitStatus(for: ClientError(.configuration, "m")) == .failure)
        #expect(ClientExitStatus(for: CancellationError()) == .failure)
        // Every status is distinct.
        #expect(Set(ClientExitStatus.allCases.map(\.rawValue)).count == ClientExitStatus.allCases.count)
    }

    @Test func serverErrorBodiesAreDecodedOrNamedAfterTheStatus() {
        let request = ArtifactStoreClient(server: "http://h:1", token: nil, logger: .init(label: "t")).makeRequest(.GET, ["x"])
        let body = ByteBuffer(string: #"{"error":{"code":"versionNotFound","message":"no version team/app:9"}}"#)
        let decoded = ArtifactStoreClient.serverError(status: 404, body: body, request: request)
        #expect(decoded.code == "versionNotFound")
        #expect(decoded.message == "no version team/app:9")
        #expect(decoded.status == 404)
        let bare = ArtifactStoreClient.serverError(status: 502, body: ByteBuffer(string: "<html>bad gateway</html>"), request: request)
        #expect(bare.code == "internalError")
        #expect(bare.message.contains("502"))
        #expect(ClientExitStatus(for: bare) == .server)
    }

    @Test func pathSegmentsAreEncodedOneByOne() {
        let client = ArtifactStoreClient(server: "http://h:1///", token: "tok", logger: .init(label: "t"))
        #expect(client.server == "http://h:1")
        let request = client.makeRequest(
            .GET,
            ["namespaces", "a/b", "..", "x y", ".", "a..b"],
            query: [("digest", "blake3:ab"), ("q", "a&b")]
        )
        #expect(request.url == "http://h:1/v1/namespaces/a%2Fb/%2E%2E/x%20y/%2E/a..b?digest=blake3:ab&q=a%26b")
        #expect(request.headers.first(name: "Authorization") == "Bearer tok")
    }

    @Test func progressLineShowsBytesRateAndETA() {
        let half = ProgressLine.render(label: "uploading", done: 50 << 20, total: 100 << 20, elapsed: 2, width: 100)
        #expect(half.hasPrefix("uploading ["))
        #expect(half.contains("] 50% 50.0 MiB / 100.0 MiB  25.0 MiB/s  ETA 0:02"))
        let done = ProgressLine.render(label: "downloading", done: 1 << 30, total: 1 << 30, elapsed: 4)
        #expect(done.contains("100% 1.0 GiB / 1.0 GiB  256.0 MiB/s  done"))
        #expect(!done.contains("-]"))
        let stalled = ProgressLine.render(label: "hashing", done: 0, total: 10, elapsed: 0)
        #expect(stalled.contains("ETA --:--"))
        let empty = ProgressLine.render(label: "uploading", done: 0, total: 0, elapsed: 0)
        #expect(empty.contains("100%"))
        #expect(ProgressLine.bytes(0) == "0 B")
        #expect(ProgressLine.bytes(1023) == "1023 B")
        #expect(ProgressLine.bytes(1536) == "1.5 KiB")
        #expect(ProgressLine.duration(3725) == "1:02:05")
        #expect(ProgressLine.duration(59.2) == "1:00")
    }

    @Test func everyWidthGetsALineThatFitsWithoutWrapping() {
        for width in 0...200 {
            for (done, total, elapsed) in [(UInt64(1), UInt64(3), 1.0), (0, 10, 0), (5 << 30, 1 << 40, 3_000), (7, 7, 0.5)] {
                for label in ["hashing", "uploading", "downloading"] {
                    let line = ProgressLine.render(label: label, done: done, total: total, elapsed: elapsed, width: width)
                    #expect(line.count <= max(1, width - 1), "width \(width): \(line)")
                    #expect(!line.contains("\n"))
                }
            }
        }
        // Room runs out: the rate goes first, then the sizes, to keep a bar; then the bar.
        let sixty = ProgressLine.render(label: "uploading", done: 50 << 20, total: 100 << 20, elapsed: 2, width: 60)
        #expect(sixty == "uploading [######------] 50% 50.0 MiB / 100.0 MiB  ETA 0:02")
        let forty = ProgressLine.render(label: "uploading", done: 50 << 20, total: 100 << 20, elapsed: 2, width: 40)
        #expect(forty == "uploading [#######-------] 50% ETA 0:02")
        #expect(ProgressLine.render(label: "uploading", done: 1, total: 3, elapsed: 1, width: 20) == "uploading 33%")
        #expect(ProgressLine.render(label: "uploading", done: 1, total: 3, elapsed: 1, width: 8) == "uploadi")
    }

    @Test func pluralsAgreeWithTheirCount() {
        #expect(Plural.of(0, "file") == "0 files")
        #expect(Plural.of(1, "blob") == "1 blob")
        #expect(Plural.of(2, "blob") == "2 blobs")
        #expect(Plural.of(UInt64(1), "entry", plural: "entries") == "1 entry")
        #expect(Plural.of(3, "entry", plural: "entries") == "3 entries")
    }

    @Test func jsonValueRoundTripsAndReadsAsText() throws {
        let text = #"{"ran":true,"blobsDeleted":3,"bytesDeleted":1048576,"dryRun":false,"rate":0.5,"note":null,"list":[1,"a"]}"#
        let value = try APIJSON.decoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value["blobsDeleted"]?.text == "3")
        #expect(value["ran"] == .bool(true))
        #expect(value["rate"]?.text == "0.5")
        #expect(value["list"]?.text == #"[1,"a"]"#)
        let again = try APIJSON.decoder().decode(JSONValue.self, from: APIJSON.encoder().encode(value))
        #expect(again == value)
    }

    @Test func datesReadWithOrWithoutFractionalSeconds() throws {
        struct Stamp: Codable { var at: Date }
        let fractional = try APIJSON.decoder().decode(Stamp.self, from: Data(#"{"at":"2026-11-21T13:00:00.123Z"}"#.utf8))
        let whole = try APIJSON.decoder().decode(Stamp.self, from: Data(#"{"at":"2026-11-21T13:00:00Z"}"#.utf8))
        #expect(abs(fractional.at.timeIntervalSince(whole.at) - 0.123) < 0.001)
        #expect(throws: DecodingError.self) { try APIJSON.decoder().decode(Stamp.self, from: Data(#"{"at":"yesterday"}"#.utf8)) }
        let encoded = String(decoding: try APIJSON.encoder().encode(fractional), as: UTF8.self)
        #expect(encoded == #"{"at":"2026-11-21T13:00:00.123Z"}"#)
    }
}

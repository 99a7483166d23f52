import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArtifactServer

/// Issue 18 item 9: a name is exactly what was sent. A byte-order mark or another invisible
/// character in a path segment is refused with `invalidName` / `invalidPath` (`NAME_INVALID` on
/// `/v2`) and a message naming the code point, never dropped into an alias of a visible name.
@Suite("invisible characters in names", .timeLimit(.minutes(10)))
struct InvisibleCharacterTests {
    @Test(
        "percent-decoding keeps every byte, a leading byte-order mark included",
        arguments: [
            ("%EF%BB%BFteam", "\u{FEFF}team"), ("team%EF%BB%BF", "team\u{FEFF}"), ("te%61m", "team"), ("%C3%A9", "é"), ("a%2Fb", "a/b"),
            ("plain", "plain"),
        ] as [(String, String)]
    )
    func decodesExactly(_ raw: String, _ decoded: String) {
        #expect(PathParameter.percentDecoded(raw).map { Array($0.unicodeScalars) } == Array(decoded.unicodeScalars))
    }

    @Test("malformed escapes and bytes that are not UTF-8 do not decode", arguments: ["%", "%e", "%zz", "%FF", "%C3", "%ED%A0%80"])
    func refusesMalformed(_ raw: String) {
        #expect(PathParameter.percentDecoded(raw) == nil)
    }

    @Test(
        "a name segment with a format, separator or private-use character is refused with a message naming it",
        arguments: [
            ("%EF%BB%BFteam", "U+FEFF"), ("te%E2%80%8Bam", "U+200B"), ("team%E2%80%8D", "U+200D"), ("%E2%80%AEteam", "U+202E"),
            ("team%E2%80%A8", "U+2028"), ("team%C2%A0", "U+00A0"), ("team%EE%80%80", "U+E000"), ("team%EF%BF%BE", "U+FFFE"),
        ] as [(String, String)]
    )
    func refusesInvisible(_ raw: String, _ codePoint: String) throws {
        let error = try #require(throws: ControlPlaneError.self) { try PathParameter.decode(raw, what: "namespace", allowSlash: false) }
        #expect(error.kind == .invalidName)
        #expect(error.message.contains("contains \(codePoint), an invisible character"), "\(error.message)")
        #expect(error.message.contains("\\u{"), "the character is shown escaped: \(error.message)")
    }

    @Test("the grammar refuses invisible characters in file paths and label values, and keeps visible non-ASCII ones")
    func grammar() throws {
        for path in ["\u{FEFF}a", "a/\u{200B}b", "a\u{2060}", "a\u{3000}b"] {
            #expect(throws: ControlPlaneError.self, "\(path.unicodeScalars.map(\.value))") { try NameGrammar.validatePath(path) }
        }
        try NameGrammar.validatePath("docs/café menu.txt")
        #expect(throws: ControlPlaneError.self) { try NameGrammar.validateLabel(key: "os", value: "linux\u{FEFF}") }
        try NameGrammar.validateLabel(key: "os", value: "linux é")
    }

    @Test("over HTTP: /v1 names and file paths and /v2 repositories with a byte-order mark are 400, and nothing is created")
    func overHTTP() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let admin = TestRequest.bearer(harness.adminToken)
            try await harness.withClient { client in
                for (uri, code) in [
                    ("/v1/namespaces/%EF%BB%BFteam", "invalidName"), ("/v1/namespaces/team/artifacts/%EF%BB%BFapp/versions", "invalidName"),
                    ("/v1/namespaces/team/artifacts/app/versions/%E2%80%8B1", "invalidName"),
                    ("/v1/namespaces/team/artifacts/app/versions/1/files/a/%EF%BB%BFb", "invalidPath"),
                ] {
                    try await client.execute(uri: uri, method: .get, headers: admin) { response in
                        #expect(response.status == .badRequest, "\(uri)")
                        #expect(response.errorCode() == code, "\(uri)")
                        let message = (response.json()["error"] as? [String: Any])?["message"] as? String ?? ""
                        #expect(message.contains("U+"), "\(uri): \(message)")
                    }
                }
                let (headers, body) = TestRequest.json(harness.adminToken, #"{"version":"1"}"#)
                try await client.execute(
                    uri: "/v1/namespaces/team/artifacts/app/tags/%EF%BB%BFlatest",
                    method: .put,
                    headers: headers,
                    body: body
                ) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidName")
                }
                try await client.execute(uri: "/v2/%EF%BB%BFteam/app/tags/list", method: .get, headers: admin) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("NAME_INVALID"))
                    #expect(String(buffer: response.body).contains("U+FEFF"))
                }
            }
            #expect(try await harness.controlPlane.registry.listArtifacts(namespace: "team").items.isEmpty)
        }
    }
}

import Foundation
import Testing

@testable import ArtifactStoreClient

/// ``LoginFile/remove(server:)``, behind `artifactstore logout`.
@Suite("Login file removal", .timeLimit(.minutes(10)))
struct LoginFileRemovalTests {
    @Test func removesOnlyTheNamedServersLoginAndValidatesTheName() throws {
        let directory = try ScratchDirectory()
        let file = LoginFile(path: directory.path + "/artifactstore/config.json")
        #expect(try file.remove(server: nil) == .notLoggedIn)
        #expect(throws: ClientError.self) { try file.remove(server: "ftp://host") }

        try file.write(LoginFile.Contents(server: "http://a:8080", token: "t"))
        #expect(try file.remove(server: "http://b:8080") == .otherServer(saved: "http://a:8080"))
        #expect(try file.read() != nil)
        // Compared as normalised: a trailing slash is the same server.
        #expect(try file.remove(server: "http://a:8080/") == .removed(server: "http://a:8080"))
        #expect(try file.read() == nil)
        #expect(!FileManager.default.fileExists(atPath: file.path))

        try file.write(LoginFile.Contents(server: "http://a:8080", token: "t"))
        #expect(try file.remove(server: nil) == .removed(server: "http://a:8080"))
        #expect(try file.remove(server: nil) == .notLoggedIn)
    }
}

import Foundation
import Testing

@testable import ArtifactStoreClient

@Suite("References and the files a push sends", .timeLimit(.minutes(5)))
struct ReferenceAndFileSetTests {
    @Test func referencesParse() throws {
        let plain = try ArtifactReference(parsing: "team/app:1.0.0")
        #expect(plain == ArtifactReference(namespace: "team", artifact: "app", version: "1.0.0"))
        let nested = try ArtifactReference(parsing: "team/tools/linux-x64:v2_rc-1")
        #expect(nested.artifact == "tools/linux-x64")
        #expect(nested.description == "team/tools/linux-x64:v2_rc-1")
        #expect(try ArtifactLocation(parsing: "team").artifact == nil)
        #expect(try ArtifactLocation(parsing: "team/app").version == nil)
        #expect(try ArtifactLocation(parsing: "team/app:latest").version == "latest")
    }

    @Test(arguments: [
        "team/app", "team", "Team/app:1", "team/App:1", "team/app:", "team/:1", "/app:1", "team/../x:1", "team/app:..",
        "team/%2e%2e:1", "team/app:1/2", "team//app:1", "team/app:-1", "te am/app:1", "team/app:1:2",
    ])
    func badReferencesAreRefused(_ text: String) {
        let error = #expect(throws: ClientError.self) { try ArtifactReference(parsing: text) }
        #expect(error?.code == "invalidReference")
        #expect(error?.message.contains(text) == true)
        #expect(ClientExitStatus(for: error!) == .usage)
    }

    @Test func fileArgumentsKeepTheirNameAndDirectoriesTheirTree() throws {
        let directory = try ScratchDirectory()
        let single = try directory.file("loose/readme.txt", "hello")
        try directory.file("build/bin/app", "binary")
        try directory.file("build/lib/x/y.so", "library!")
        try directory.file("build/top", "")
        let set = try LocalFileSet(collecting: [directory.path + "/build", single])
        #expect(set.entries.map(\.path) == ["bin/app", "lib/x/y.so", "readme.txt", "top"])
        #expect(set.entries.map(\.size) == [6, 8, 5, 0])
        #expect(set.entries[0].localPath == directory.path + "/build/bin/app")
        #expect(set.totalSize == 19)
    }

    @Test func symbolicLinksToFilesAreFollowedOthersRefused() throws {
        let directory = try ScratchDirectory()
        let target = try directory.file("outside/data", "12345")
        try directory.file("tree/a", "a")
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/tree/link", withDestinationPath: target)
        let set = try LocalFileSet(collecting: [directory.path + "/tree"])
        #expect(set.entries.map(\.path) == ["a", "link"])
        #expect(set.entries[1].size == 5)

        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/tree/dirlink",
            withDestinationPath: directory.path + "/outside"
        )
        let error = #expect(throws: ClientError.self) { try LocalFileSet(collecting: [directory.path + "/tree"]) }
        #expect(error?.code == "invalidPath")
        #expect(error?.message.contains("dirlink") == true)
    }

    @Test func fifoMissingPathDuplicatesAndNothingAreRefused() throws {
        let directory = try ScratchDirectory()
        #expect(mkfifo(directory.path + "/fifo", 0o600) == 0)
        let fifo = #expect(throws: ClientError.self) { try LocalFileSet(collecting: [directory.path + "/fifo"]) }
        #expect(fifo?.code == "invalidPath")
        #expect(fifo?.message.contains("FIFO") == true)

        let missing = #expect(throws: ClientError.self) { try LocalFileSet(collecting: [directory.path + "/nope"]) }
        #expect(missing?.code == "invalidPath")
        #expect(missing?.message.contains("/nope") == true)

        let one = try directory.file("one/same", "1")
        let two = try directory.file("two/same", "2")
        let duplicate = #expect(throws: ClientError.self) { try LocalFileSet(collecting: [one, two]) }
        #expect(duplicate?.code == "invalidPath")
        #expect(duplicate?.message.contains("\"same\"") == true)

        let nothing = #expect(throws: ClientError.self) { try LocalFileSet(collecting: []) }
        #expect(nothing?.code == "invalidArgument")
    }

    @Test func namesOutsideTheGrammarAreRefused() throws {
        let directory = try ScratchDirectory()
        try directory.file("tree/bad\\name", "x")
        let error = #expect(throws: ClientError.self) { try LocalFileSet(collecting: [directory.path + "/tree"]) }
        #expect(error?.code == "invalidPath")
    }
}

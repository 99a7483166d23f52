import ArtifactStorage
import Glibc
import Testing

@testable import ArtifactStorageFileSystem

/// Symlinks that lead out of the root are refused with `pathEscapesRoot` by every operation,
/// with `openat2` and with the component walk, and nothing outside changes.
@Suite("FileSystemBackend symlink escapes", .timeLimit(.minutes(5)))
struct SymlinkEscapeTests {
    static let resolutions: [FileSystemBackend.Resolution] = [.automatic, .componentWalk]

    /// Runs `body`, requiring `pathEscapesRoot`.
    func expectEscape(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) succeeded; expected pathEscapesRoot")
        } catch let error as StorageError {
            #expect(error.kind == .pathEscapesRoot, "\(what): \(error)")
            #expect(!error.message.contains("/outside"), "\(what): the message names the target outside: \(error.message)")
        } catch {
            Issue.record("\(what): unexpected \(error)")
        }
    }

    @Test(arguments: resolutions)
    func symlinkToOutsideDirectory(_ resolution: FileSystemBackend.Resolution) async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        try tree.symlink("link", to: tree.base + "/outside")
        try tree.symlink("rel", to: "../outside")
        let backend = try await tree.open(resolution: resolution)
        let before = tree.outsideSnapshot()
        for link in ["link", "rel"] {
            await expectEscape("read \(link)/secret.txt") { _ = try await backend.readText("\(link)/secret.txt") }
            await expectEscape("stat \(link)/secret.txt") { _ = try await backend.stat(try StoragePath("\(link)/secret.txt")) }
            await expectEscape("exists \(link)/secret.txt") { _ = try await backend.exists(try StoragePath("\(link)/secret.txt")) }
            await expectEscape("write \(link)/new") { try await backend.writeText("\(link)/new", "x") }
            await expectEscape("write \(link)/deeper/new") { try await backend.writeText("\(link)/deeper/new", "x") }
            await expectEscape("overwrite \(link)/secret.txt") { try await backend.writeText("\(link)/secret.txt", "x") }
            await expectEscape("delete \(link)/secret.txt") { try await backend.delete(try StoragePath("\(link)/secret.txt")) }
            await expectEscape("list \(link)") {
                _ = try await backend.list(under: try StoragePath(link), recursive: true, limit: 10, cursor: nil)
            }
            await expectEscape("makeDirectory \(link)/d") { try await backend.makeDirectory(try StoragePath("\(link)/d")) }
            await expectEscape("removeDirectory \(link)/d") { try await backend.removeDirectory(try StoragePath("\(link)/d")) }
            try await backend.writeText("inside", "in")
            await expectEscape("move into \(link)") {
                try await backend.move(from: try StoragePath("inside"), to: try StoragePath("\(link)/moved"), overwrite: true)
            }
            await expectEscape("move out of \(link)") {
                try await backend.move(from: try StoragePath("\(link)/secret.txt"), to: try StoragePath("stolen"), overwrite: true)
            }
            #expect(try await backend.readText("inside") == "in")
            try await backend.delete(try StoragePath("inside"))
            #expect(try await backend.exists(try StoragePath("stolen")) == false)
        }
        let listed = try await backend.list(under: nil, recursive: true, limit: 100, cursor: nil)
        #expect(listed.entries.isEmpty, "symlinks are listed: \(listed.entries.map(\.path.string))")
        #expect(tree.outsideSnapshot() == before)
    }

    @Test(arguments: resolutions)
    func symlinkToOutsideFileChainAndDangling(_ resolution: FileSystemBackend.Resolution) async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        try tree.symlink("file-link", to: tree.base + "/sentinel.txt")
        try tree.symlink("relative-file-link", to: "../sentinel.txt")
        try tree.symlink("chain-a", to: "chain-b")
        try tree.symlink("chain-b", to: "chain-c")
        try tree.symlink("chain-c", to: "../outside")
        try tree.symlink("dangling", to: "../outside/not-there")
        try tree.symlink("dangling-absolute", to: "/nonexistent-artifactstore/x")
        let backend = try await tree.open(resolution: resolution)
        let before = tree.outsideSnapshot()
        for name in ["file-link", "relative-file-link", "dangling", "dangling-absolute"] {
            await expectEscape("read \(name)") { _ = try await backend.readText(name) }
            await expectEscape("stat \(name)") { _ = try await backend.stat(try StoragePath(name)) }
            await expectEscape("write \(name)") { try await backend.writeText(name, "overwritten") }
            await expectEscape("write \(name)/child") { try await backend.writeText(name + "/child", "x") }
            await expectEscape("delete \(name)") { try await backend.delete(try StoragePath(name)) }
        }
        await expectEscape("read through a chain") { _ = try await backend.readText("chain-a/secret.txt") }
        await expectEscape("write through a chain") { try await backend.writeText("chain-a/planted", "x") }
        await expectEscape("list through a chain") {
            _ = try await backend.list(under: try StoragePath("chain-a"), recursive: false, limit: 5, cursor: nil)
        }
        #expect(tree.outsideSnapshot() == before)
        #expect(FileManagerCheck.exists(tree.base + "/outside/not-there") == false)
        #expect(FileManagerCheck.exists(tree.base + "/outside/planted") == false)
    }

    /// Symlinks that stay inside the root are followed where `openat2` is available.
    @Test func symlinkInsideTheRootIsFollowed() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        try tree.write("real/file", "content")
        try tree.symlink("alias", to: "real")
        try tree.symlink("sub-link", to: "real/../real/file")
        let backend = try await tree.open(resolution: .automatic)
        #expect(try await backend.readText("alias/file") == "content")
        #expect(try await backend.readText("sub-link") == "content")
        // The fallback refuses every symlink, inside or not.
        let strict = try await tree.open(resolution: .componentWalk)
        await expectEscape("component walk through an inside link") { _ = try await strict.readText("alias/file") }
    }
}

enum FileManagerCheck {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

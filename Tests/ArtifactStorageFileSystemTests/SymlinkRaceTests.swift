import ArtifactStorage
import CArtifactStorageFileSystem
import Foundation
import Glibc
import Synchronization
import Testing

@testable import ArtifactStorageFileSystem

/// A directory and a symlink to outside the root are exchanged atomically (`RENAME_EXCHANGE`)
/// in a tight loop while reads, writes, listings and deletes run through both names. However
/// the race falls, nothing outside the root may be read, written, created or removed.
@Suite("FileSystemBackend symlink race", .timeLimit(.minutes(5)))
struct SymlinkRaceTests {
    final class StopFlag: Sendable {
        let stopped = Atomic<Bool>(false)
        let swaps = Atomic<Int>(0)
        let outcomes = Mutex<[String: Int]>([:])
    }

    @Test(arguments: [FileSystemBackend.Resolution.automatic, .componentWalk])
    func swappedSymlinkNeverEscapes(_ resolution: FileSystemBackend.Resolution) async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        try tree.write("dir/inside.txt", "inside")
        try tree.symlink("swap", to: tree.base + "/outside")
        let backend = try await tree.open(resolution: resolution)
        let before = tree.outsideSnapshot()

        let flag = StopFlag()
        let root = tree.root
        let swapper = Thread {
            let rootFD = open(root, O_RDONLY | O_DIRECTORY)
            defer { close(rootFD) }
            while !flag.stopped.load(ordering: .acquiring) {
                // 2 is RENAME_EXCHANGE.
                if artifactstore_renameat2(rootFD, "dir", rootFD, "swap", 2) == 0 {
                    flag.swaps.add(1, ordering: .relaxed)
                }
            }
        }
        swapper.start()

        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for round in 0..<150 {
                        let name = round % 2 == 0 ? "dir" : "swap"
                        var outcome: [String] = []
                        func note(_ what: String, _ body: () async throws -> Void) async throws {
                            do {
                                try await body()
                                outcome.append(what + ":ok")
                            } catch let error as StorageError {
                                // Refusals are expected; anything but these codes is a bug.
                                guard [.pathEscapesRoot, .objectNotFound, .alreadyExists].contains(error.kind) else { throw error }
                                outcome.append(what + ":" + error.code)
                            }
                        }
                        try await note("write") { try await backend.writeText("\(name)/w\(worker)-\(round)", "planted") }
                        try await note("read") {
                            let text = try await backend.readText("\(name)/secret.txt")
                            Issue.record("read the secret outside the root: \(text)")
                        }
                        try await note("readInside") {
                            let text = try await backend.readText("\(name)/inside.txt")
                            #expect(text == "inside")
                        }
                        try await note("list") {
                            _ = try await backend.list(under: try StoragePath(name), recursive: true, limit: 50, cursor: nil)
                        }
                        try await note("delete") { try await backend.delete(try StoragePath("\(name)/w\(worker)-\(round)")) }
                        try await note("deleteSecret") { try await backend.delete(try StoragePath("\(name)/secret.txt")) }
                        try await note("mkdir") { try await backend.makeDirectory(try StoragePath("\(name)/m\(worker)-\(round)")) }
                        try await note("rmdir") { try await backend.removeDirectory(try StoragePath("\(name)/m\(worker)-\(round)")) }
                        flag.outcomes.withLock { counts in
                            for key in outcome { counts[key, default: 0] += 1 }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        flag.stopped.store(true, ordering: .releasing)
        while !swapper.isFinished { await Task.yield() }

        #expect(tree.outsideSnapshot() == before, "the world outside the root changed during the race")
        print(
            "symlink race (\(resolution)): \(flag.swaps.load(ordering: .relaxed)) swaps; outcomes \(flag.outcomes.withLock { $0 }.sorted { $0.key < $1.key })"
        )
        #expect(flag.swaps.load(ordering: .relaxed) > 0)
    }
}

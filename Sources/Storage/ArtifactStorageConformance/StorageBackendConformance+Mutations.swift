import ArtifactStorage
import ArtifactStoreCore
import NIOCore

extension StorageBackendConformance {
    /// Move onto a new path, onto an existing one with and without overwrite, of a missing
    /// object, and into a new nested directory.
    public func moveSemantics() async throws {
        try await withSubject(.moveSemantics) { _, probe in
            let a = try path("m/a")
            let b = try path("m/b")
            let c = try path("m/c")
            try await probe.write(a, Array("alpha".utf8))
            try await probe.backend.move(from: a, to: b, overwrite: false)
            try probe.require(try await probe.backend.exists(a) == false, "the source still exists after a move")
            try await probe.expectContent(b, Array("alpha".utf8), "after a move")

            try await probe.write(c, Array("gamma".utf8))
            try await probe.expectError(.alreadyExists, "move onto an existing object without overwrite") {
                try await probe.backend.move(from: b, to: c, overwrite: false)
            }
            try await probe.expectContent(b, Array("alpha".utf8), "source after a refused move")
            try await probe.expectContent(c, Array("gamma".utf8), "destination after a refused move")

            try await probe.backend.move(from: b, to: c, overwrite: true)
            try probe.require(try await probe.backend.exists(b) == false, "the source still exists after an overwriting move")
            try await probe.expectContent(c, Array("alpha".utf8), "after an overwriting move")

            try await probe.expectError(.objectNotFound, "move of a missing object") {
                try await probe.backend.move(from: try path("m/missing"), to: try path("m/other"), overwrite: true)
            }
            try probe.require(try await probe.backend.exists(try path("m/other")) == false, "a failed move created its destination")

            let nested = try path("n/e/s/ted")
            try await probe.backend.move(from: c, to: nested, overwrite: false)
            try await probe.expectContent(nested, Array("alpha".utf8), "after a move into new directories")
            try await probe.backend.move(from: nested, to: nested, overwrite: true)
            try await probe.expectContent(nested, Array("alpha".utf8), "after a move onto itself")
            if capabilities.directories {
                try await probe.backend.makeDirectory(try path("m/dir"))
                try await probe.expectError(.alreadyExists, "move onto a directory") {
                    try await probe.backend.move(from: nested, to: try path("m/dir"), overwrite: true)
                }
                try await probe.expectContent(nested, Array("alpha".utf8), "after a refused move onto a directory")
                try await probe.expectError(.objectNotFound, "move of a directory") {
                    try await probe.backend.move(from: try path("m/dir"), to: try path("m/moved"), overwrite: true)
                }
            }
        }
    }

    /// A temporary written without a durable name and moved into place without a durable
    /// source (how the data plane commits an ingest) behaves like any write and move: readable
    /// at once, gone from its old name, refused onto an existing object without overwrite.
    /// (What a crash keeps is beyond an in-process check; the options only relax that.)
    public func temporaryCommit() async throws {
        try await withSubject(.temporaryCommit) { _, probe in
            let temporary = try path("tmp/t-1")
            let final = try path("objects/ab/final")
            let content = Array("temporary bytes".utf8)
            try await probe.write(temporary, content, options: StorageWriteOptions(overwrite: false, durableName: false))
            try await probe.expectContent(temporary, content, "a temporary written without a durable name")
            try await probe.expectError(.alreadyExists, "an exclusive temporary write onto an existing object") {
                try await probe.backend.write(
                    temporary,
                    from: Array("other".utf8).stream,
                    options: StorageWriteOptions(overwrite: false, durableName: false)
                )
            }
            try await probe.expectContent(temporary, content, "a temporary after a refused exclusive write")

            try await probe.backend.move(from: temporary, to: final, options: StorageMoveOptions(overwrite: false, durableSource: false))
            try probe.require(
                try await probe.backend.exists(temporary) == false,
                "the temporary still exists after it was moved into place"
            )
            try await probe.expectContent(final, content, "an object moved into place from a temporary")

            let second = try path("tmp/t-2")
            try await probe.write(second, Array("second".utf8), options: StorageWriteOptions(overwrite: false, durableName: false))
            try await probe.expectError(.alreadyExists, "a temporary moved onto an existing object without overwrite") {
                try await probe.backend.move(from: second, to: final, options: StorageMoveOptions(overwrite: false, durableSource: false))
            }
            try await probe.expectContent(final, content, "the destination after a refused move of a temporary")
            try await probe.backend.move(from: second, to: final, options: StorageMoveOptions(overwrite: true, durableSource: false))
            try await probe.expectContent(final, Array("second".utf8), "after an overwriting move of a temporary")
            try probe.require(try await probe.backend.exists(second) == false, "the temporary still exists after an overwriting move")
        }
    }

    /// Delete removes the object; deleting a missing one is `objectNotFound`.
    public func deleteSemantics() async throws {
        try await withSubject(.deleteSemantics) { _, probe in
            let target = try path("del/ete")
            try await probe.write(target, [1, 2, 3])
            try await probe.backend.delete(target)
            try probe.require(try await probe.backend.exists(target) == false, "the object exists after delete")
            try await probe.expectError(.objectNotFound, "stat after delete") { _ = try await probe.backend.stat(target) }
            try await probe.expectReadError(.objectNotFound, target)
            try await probe.expectError(.objectNotFound, "second delete") { try await probe.backend.delete(target) }
            try await probe.expectError(.objectNotFound, "delete of a never-written object") {
                try await probe.backend.delete(try path("never"))
            }
            try await probe.expectError(.objectNotFound, "delete beneath a missing directory") {
                try await probe.backend.delete(try path("no/such/dir/x"))
            }
            let listed = try await probe.listAll(under: nil, recursive: true, limit: 10)
            try probe.require(listed.isEmpty, "deleted objects are still listed: \(listed.map(\.path.string))")
        }
    }

    /// Make and remove directories; directories and objects never share a path.
    public func directoryOperations() async throws {
        guard capabilities.directories else { return }
        try await withSubject(.directoryOperations) { _, probe in
            let backend = probe.backend
            try await backend.makeDirectory(try path("d/e/f"))
            try await backend.makeDirectory(try path("d/e/f"))
            let root = try await probe.listAll(under: nil, recursive: false, limit: 10)
            try probe.require(root.map(\.path.string) == ["d"] && root.first?.kind == .directory, "root lists \(root.map(\.path.string))")
            try probe.require(try await backend.exists(try path("d/e")) == false, "exists is true for a directory")

            try await probe.write(try path("d/obj"), [1])
            try await probe.expectError(.alreadyExists, "makeDirectory where an object is") {
                try await backend.makeDirectory(try path("d/obj"))
            }
            try await probe.expectError(.alreadyExists, "makeDirectory beneath an object") {
                try await backend.makeDirectory(try path("d/obj/sub"))
            }
            try await probe.expectError(.alreadyExists, "write where a directory is") { try await probe.write(try path("d/e"), [2]) }
            try await probe.expectError(.alreadyExists, "write beneath an object") { try await probe.write(try path("d/obj/child"), [2]) }
            try await probe.expectContent(try path("d/obj"), [1], "after refused writes")
            try await probe.expectError(.objectNotFound, "delete of a directory") { try await backend.delete(try path("d/e")) }
            try await probe.expectError(.io, "removeDirectory of a non-empty directory") {
                try await backend.removeDirectory(try path("d/e"))
            }
            try await probe.expectError(.objectNotFound, "removeDirectory of a missing directory") {
                try await backend.removeDirectory(try path("d/zz"))
            }
            try await probe.expectError(.objectNotFound, "removeDirectory of an object") {
                try await backend.removeDirectory(try path("d/obj"))
            }
            try await backend.removeDirectory(try path("d/e/f"))
            try await backend.removeDirectory(try path("d/e"))
            let inD = try await probe.listAll(under: try path("d"), recursive: false, limit: 10)
            try probe.require(inD.map(\.path.string) == ["d/obj"], "after removing d/e, d lists \(inD.map(\.path.string))")
            try await backend.delete(try path("d/obj"))
            let emptied = try await probe.listAll(under: try path("d"), recursive: false, limit: 10)
            try probe.require(emptied.isEmpty, "an emptied directory lists \(emptied.map(\.path.string))")
            try await backend.removeDirectory(try path("d"))
            try probe.require(
                try await probe.listAll(under: nil, recursive: false, limit: 10).isEmpty,
                "the root is not empty after removing d"
            )
        }
    }

    /// A stream that fails halfway stores nothing and leaves an existing object as it was.
    public func failedWriteLeavesNothing() async throws {
        try await withSubject(.failedWriteLeavesNothing) { _, probe in
            let chunks = (0..<5).map { ByteBuffer(repeating: UInt8($0), count: 100 * 1024) }
            let fresh = try path("f/fresh")
            try await probe.expectError(.io, "write from a stream that fails") {
                try await probe.backend.write(fresh, from: ByteStream(FailingStream(chunks: chunks)))
            }
            try probe.require(try await probe.backend.exists(fresh) == false, "a failed write left an object")
            let existing = try path("f/existing")
            try await probe.write(existing, Array("old".utf8))
            try await probe.expectError(.io, "overwrite from a stream that fails") {
                try await probe.backend.write(existing, from: ByteStream(FailingStream(chunks: chunks)))
            }
            try await probe.expectContent(existing, Array("old".utf8), "after a failed overwrite")
            try await probe.expectError(.io, "write from a stream that fails at once") {
                try await probe.backend.write(try path("top"), from: ByteStream(FailingStream(chunks: [])))
            }
            try probe.require(try await probe.backend.exists(try path("top")) == false, "a failed write left an object")
            let listed = try await probe.listAll(under: nil, recursive: true, limit: 10).map(\.path.string)
            try probe.require(listed == ["f/existing"], "after failed writes the backend lists \(listed)")
        }
    }

    /// A write whose task is cancelled mid-stream stores nothing.
    public func cancelledWriteLeavesNothing() async throws {
        try await withSubject(.cancelledWriteLeavesNothing) { _, probe in
            for (index, target) in [try path("cancelled"), try path("c/a/ncelled")].enumerated() {
                if index == 1 { try await probe.write(target, Array("kept".utf8)) }
                let (started, continuation) = AsyncStream<Void>.makeStream()
                let backend = probe.backend
                let task = Task {
                    try await backend.write(target, from: ByteStream(EndlessStream(started: continuation)))
                }
                var iterator = started.makeAsyncIterator()
                _ = await iterator.next(isolation: #isolation)
                task.cancel()
                let result = await task.result
                continuation.finish()
                switch result {
                case .success:
                    throw probe.fail("a cancelled write of an endless stream succeeded")
                case .failure(let error as StorageError):
                    try probe.require(error.kind == .io, "a cancelled write threw \(error.kind), expected io")
                case .failure(let error):
                    throw probe.fail("a cancelled write threw \(type(of: error)), expected StorageError io")
                }
                if index == 0 {
                    try probe.require(try await probe.backend.exists(target) == false, "a cancelled write left an object")
                } else {
                    try await probe.expectContent(target, Array("kept".utf8), "after a cancelled overwrite")
                }
            }
        }
    }

    /// A healthy backend says it is reachable and writable.
    public func health() async throws {
        try await withSubject(.health) { _, probe in
            let health = await probe.backend.health()
            try probe.require(
                health.reachable && health.writable,
                "health: reachable \(health.reachable), writable \(health.writable): \(health.message)"
            )
            try probe.require(!health.message.isEmpty, "health has no message")
            if let free = health.freeBytes, let total = health.totalBytes {
                try probe.require(free <= total, "free bytes \(free) exceed total \(total)")
            }
        }
    }
}

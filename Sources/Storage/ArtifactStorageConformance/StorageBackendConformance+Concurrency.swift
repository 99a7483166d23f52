import ArtifactStorage
import ArtifactStoreCore
import Crypto
import NIOCore
import Synchronization

extension StorageBackendConformance {
    /// Overwriting replaces the object; `overwrite: false` refuses and changes nothing.
    public func overwriteReplaces() async throws {
        try await withSubject(.overwriteReplaces) { _, probe in
            let target = try path("over/write")
            try await probe.write(target, Array("first".utf8))
            try await probe.write(target, Array("second, longer".utf8))
            try await probe.expectContent(target, Array("second, longer".utf8))
            try await probe.write(target, Array("3".utf8))
            try await probe.expectContent(target, Array("3".utf8), "after shrinking")
            try await probe.expectError(.alreadyExists, "write with overwrite: false onto an existing object") {
                try await probe.backend.write(target, from: Array("nope".utf8).stream, options: StorageWriteOptions(overwrite: false))
            }
            try await probe.expectContent(target, Array("3".utf8), "after a refused overwrite")
            let fresh = try path("over/fresh")
            try await probe.write(fresh, Array("new".utf8), options: StorageWriteOptions(overwrite: false))
            try await probe.expectContent(fresh, Array("new".utf8))
        }
    }

    /// Readers running during repeated overwrites only ever see one complete version.
    public func overwriteAtomicUnderConcurrentReaders() async throws {
        try await withSubject(.overwriteAtomicUnderConcurrentReaders) { _, probe in
            let target = try path("atomic/object")
            @Sendable func version(_ value: UInt8) -> (size: Int, content: PatternedContent) {
                let size = 48 * 1024 * (Int(value) % 4 + 1) + Int(value)
                return (size, PatternedContent(seed: UInt64(value), size: size, chunkSize: 16 * 1024 + 1))
            }
            let digests = Dictionary(uniqueKeysWithValues: (1...12).map { value in (version(UInt8(value)).content.sha256, value) })
            try await probe.backend.write(target, from: version(1).content.stream)
            let done = SharedFlag()
            let observed = SharedSet()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { done.set() }
                    for round in 0..<40 {
                        let value = UInt8(round % 12 + 1)
                        try await probe.backend.write(target, from: version(value).content.stream)
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        var reads = 0
                        while reads < 5 || !done.isSet {
                            let (digest, size) = try await hash(try await probe.backend.read(target))
                            guard let value = digests[digest] else {
                                throw probe.fail("a reader saw \(size) bytes that match no complete version")
                            }
                            guard version(UInt8(value)).size == size else {
                                throw probe.fail("a reader saw version \(value) with the wrong size \(size)")
                            }
                            observed.insert(value)
                            reads += 1
                        }
                    }
                }
                try await group.waitForAll()
            }
            try probe.require(!observed.isEmpty, "readers observed nothing")
            let (final, _) = try await hash(try await probe.backend.read(target))
            try probe.require(digests[final] == 39 % 12 + 1, "the last write is not what remains")
        }
    }

    /// Concurrent writes with `overwrite: false` to one path: exactly one wins, every other one
    /// is `alreadyExists`, and the object holds the winner's bytes (what content-addressed
    /// deduplication relies on).
    public func exclusiveCreateHasOneWinner() async throws {
        try await withSubject(.exclusiveCreateHasOneWinner) { _, probe in
            for round in 0..<3 {
                let target = try path("exclusive/round\(round)")
                let contents = (0..<8).map { PatternedContent(seed: UInt64(round * 100 + $0), size: 64 * 1024 + $0, chunkSize: 8 * 1024) }
                let results = try await withThrowingTaskGroup(of: (Int, StorageError.Code?).self) { group in
                    for (index, content) in contents.enumerated() {
                        group.addTask {
                            do {
                                try await probe.backend.write(target, from: content.stream, options: StorageWriteOptions(overwrite: false))
                                return (index, nil)
                            } catch let error as StorageError {
                                return (index, error.kind)
                            }
                        }
                    }
                    var results: [(Int, StorageError.Code?)] = []
                    for try await result in group { results.append(result) }
                    return results
                }
                let winners = results.filter { $0.1 == nil }.map(\.0)
                if capabilities.atomicExclusiveCreate {
                    try probe.require(
                        winners.count == 1,
                        "round \(round): \(winners.count) exclusive writes succeeded, expected exactly one"
                    )
                } else {
                    try probe.require(!winners.isEmpty, "round \(round): no exclusive write succeeded")
                }
                let losers = results.filter { $0.1 != nil }
                try probe.require(
                    losers.allSatisfy { $0.1 == .alreadyExists },
                    "round \(round): losing exclusive writes failed with \(losers.map { $0.1.map { "\($0)" } ?? "" })"
                )
                let (digest, _) = try await hash(try await probe.backend.read(target))
                try probe.require(
                    winners.contains { digest == contents[$0].sha256 },
                    "round \(round): the object does not hold the bytes of a winning writer"
                )
            }
        }
    }

    /// 32 writes, then 32 reads, then 32 mixed reads and writes, all at once.
    public func concurrentStreams() async throws {
        try await withSubject(.concurrentStreams) { _, probe in
            let contents = (0..<32).map {
                PatternedContent(seed: 100 + UInt64($0), size: 200 * 1024 + $0 * 1031, chunkSize: 32 * 1024 + $0)
            }
            let digests = contents.map(\.sha256)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, content) in contents.enumerated() {
                    group.addTask { try await probe.backend.write(try path("concurrent/\(index % 4)/o\(index)"), from: content.stream) }
                }
                try await group.waitForAll()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in contents.indices {
                    group.addTask {
                        let (digest, size) = try await hash(try await probe.backend.read(try path("concurrent/\(index % 4)/o\(index)")))
                        guard digest == digests[index], size == contents[index].size else {
                            throw probe.fail("concurrent read of o\(index) gave \(size) bytes with a different digest")
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Open 32 read streams first, then drain them interleaved, with 32 writers in flight.
            var streams: [ByteStream] = []
            for index in contents.indices { streams.append(try await probe.backend.read(try path("concurrent/\(index % 4)/o\(index)"))) }
            let opened = streams
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in contents.indices {
                    group.addTask {
                        let (digest, _) = try await hash(opened[index])
                        guard digest == digests[index] else { throw probe.fail("an interleaved read of o\(index) differed") }
                    }
                    group.addTask {
                        try await probe.backend.write(try path("concurrent/new/n\(index)"), from: contents[31 - index].stream)
                    }
                }
                try await group.waitForAll()
            }
            for index in contents.indices {
                let (digest, _) = try await hash(try await probe.backend.read(try path("concurrent/new/n\(index)")))
                try probe.require(digest == digests[31 - index], "concurrent write n\(index) stored different bytes")
            }
        }
    }
}

/// A flag tasks can share.
final class SharedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A set of integers tasks can share.
final class SharedSet: Sendable {
    private let values = Mutex<Set<Int>>([])
    func insert(_ value: Int) { _ = values.withLock { $0.insert(value) } }
    var isEmpty: Bool { values.withLock { $0.isEmpty } }
}

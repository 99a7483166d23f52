import ArtifactStorage
import ArtifactStoreCore

/// The promises every ``StorageBackend`` keeps, as a suite any backend's tests can run.
///
/// In the manner of sql-kit's `SQLBenchmarker`: a library, not a test target, so the filesystem,
/// memory and S3 test targets all run the same checks. Each check is a public async method that
/// takes a fresh, empty backend from `makeSubject`, exercises it, removes what it created, and
/// then requires the root to be physically empty (the leak check). A broken promise throws a
/// ``ConformanceFailure`` naming the check and what differed, so callers can run each check in
/// its own test:
///
/// ```swift
/// @Test(arguments: StorageBackendConformance.Check.allCases)
/// func conformance(_ check: StorageBackendConformance.Check) async throws {
///     try await StorageBackendConformance(makeSubject: makeSubject).run(check)
/// }
/// ```
public struct StorageBackendConformance: Sendable {
    /// Every check, by name.
    public enum Check: String, Sendable, CaseIterable, CustomStringConvertible {
        case roundTripEmpty
        case roundTripOneByte
        case roundTripOneMebibyte
        case roundTripLarge
        case rangeReads
        case statAndExists
        case makeDurable
        case overwriteReplaces
        case overwriteAtomicUnderConcurrentReaders
        case exclusiveCreateHasOneWinner
        case concurrentStreams
        case listPaging
        case listShapes
        case moveSemantics
        case temporaryCommit
        case deleteSemantics
        case directoryOperations
        case failedWriteLeavesNothing
        case cancelledWriteLeavesNothing
        case escapeAttempts
        case distinctUnicodeNames
        case health
        case stagedObjects
        case stagedFailures

        public var description: String { rawValue }
    }

    public let capabilities: StorageConformanceCapabilities
    let makeSubject: @Sendable () async throws -> StorageConformanceSubject

    /// - Parameters:
    ///   - capabilities: what the backend supports beyond the common core.
    ///   - makeSubject: returns a fresh, empty backend (and its hooks) on every call.
    public init(
        capabilities: StorageConformanceCapabilities = StorageConformanceCapabilities(),
        makeSubject: @escaping @Sendable () async throws -> StorageConformanceSubject
    ) {
        self.capabilities = capabilities
        self.makeSubject = makeSubject
    }

    /// Runs one check by name.
    public func run(_ check: Check) async throws {
        switch check {
        case .roundTripEmpty: try await roundTripEmpty()
        case .roundTripOneByte: try await roundTripOneByte()
        case .roundTripOneMebibyte: try await roundTripOneMebibyte()
        case .roundTripLarge: try await roundTripLarge()
        case .rangeReads: try await rangeReads()
        case .statAndExists: try await statAndExists()
        case .makeDurable: try await makeDurable()
        case .overwriteReplaces: try await overwriteReplaces()
        case .overwriteAtomicUnderConcurrentReaders: try await overwriteAtomicUnderConcurrentReaders()
        case .exclusiveCreateHasOneWinner: try await exclusiveCreateHasOneWinner()
        case .concurrentStreams: try await concurrentStreams()
        case .listPaging: try await listPaging()
        case .listShapes: try await listShapes()
        case .moveSemantics: try await moveSemantics()
        case .temporaryCommit: try await temporaryCommit()
        case .deleteSemantics: try await deleteSemantics()
        case .directoryOperations: try await directoryOperations()
        case .failedWriteLeavesNothing: try await failedWriteLeavesNothing()
        case .cancelledWriteLeavesNothing: try await cancelledWriteLeavesNothing()
        case .escapeAttempts: try await escapeAttempts()
        case .distinctUnicodeNames: try await distinctUnicodeNames()
        case .health: try await health()
        case .stagedObjects: try await stagedObjects()
        case .stagedFailures: try await stagedFailures()
        }
    }

    /// Runs every check in turn.
    public func runAll() async throws {
        for check in Check.allCases { try await run(check) }
    }

    // MARK: Harness

    /// Gives `body` a fresh subject, then removes everything the backend lists, requires the
    /// root to be physically empty, and tears the subject down whatever happened.
    func withSubject(_ check: Check, _ body: (StorageConformanceSubject, Probe) async throws -> Void) async throws {
        let subject = try await makeSubject()
        let probe = Probe(check: check.rawValue, backend: subject.backend)
        do {
            let before = try await subject.rawItems()
            try probe.require(before.isEmpty, "the subject's root is not empty at the start: \(before.prefix(10))")
            try await body(subject, probe)
            try await removeEverything(subject.backend, probe: probe)
            let leftovers = try await subject.rawItems()
            try probe.require(leftovers.isEmpty, "leak check: the root still holds \(leftovers.prefix(10)) after cleanup")
        } catch {
            try? await subject.tearDown()
            throw error
        }
        try await subject.tearDown()
    }

    /// Deletes every object the backend lists, then every directory, deepest first.
    func removeEverything(_ backend: any StorageBackend, probe: Probe) async throws {
        for entry in try await probe.listAll(under: nil, recursive: true, limit: 500) where entry.kind == .object {
            try await backend.delete(entry.path)
        }
        guard capabilities.directories else { return }
        var directories: [StoragePath] = []
        var pending: [StoragePath?] = [nil]
        while let next = pending.popLast() {
            for entry in try await probe.listAll(under: next, recursive: false, limit: 500) where entry.kind == .directory {
                directories.append(entry.path)
                pending.append(entry.path)
            }
        }
        for directory in directories.sorted(by: { $0.segments.count > $1.segments.count }) {
            try await backend.removeDirectory(directory)
        }
    }
}

/// Assertion helpers bound to one check and one backend.
struct Probe: Sendable {
    let check: String
    let backend: any StorageBackend

    func fail(_ detail: String) -> ConformanceFailure {
        ConformanceFailure(check: check, detail)
    }

    func require(_ condition: Bool, _ detail: @autoclosure () -> String) throws {
        if !condition { throw fail(detail()) }
    }

    /// Requires `body` to throw a ``StorageError`` with `code`.
    func expectError(_ code: StorageError.Code, _ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as StorageError {
            try require(error.kind == code, "\(what): expected \(code), got \(error.kind) (\(error.message))")
            return
        } catch {
            throw fail("\(what): expected StorageError \(code), got \(type(of: error)): \(error)")
        }
        throw fail("\(what): expected \(code), but it succeeded")
    }

    /// Requires reading `path` (optionally a range) to fail with `code`, from the call or while iterating.
    func expectReadError(_ code: StorageError.Code, _ path: StoragePath, range: ClosedRange<UInt64>? = nil) async throws {
        let label = range.map { "read \"\(path)\" range \($0.lowerBound)-\($0.upperBound)" } ?? "read \"\(path)\""
        try await expectError(code, label) {
            _ = try await collect(try await backend.read(path, range: range))
        }
    }

    func write(_ path: StoragePath, _ bytes: [UInt8], options: StorageWriteOptions = StorageWriteOptions()) async throws {
        let info = try await backend.write(path, from: bytes.stream, options: options)
        try require(info.size == UInt64(bytes.count), "write \"\(path)\" reported size \(info.size), wrote \(bytes.count)")
        try require(info.path.bytes == path.bytes, "write \"\(path)\" reported path \"\(info.path)\"")
    }

    func read(_ path: StoragePath, range: ClosedRange<UInt64>? = nil) async throws -> [UInt8] {
        try await collect(try await backend.read(path, range: range))
    }

    func expectContent(_ path: StoragePath, _ expected: [UInt8], _ what: String = "") async throws {
        let actual = try await read(path)
        try require(
            actual == expected,
            "\(what.isEmpty ? "" : what + ": ")\"\(path)\" holds \(actual.count) bytes \(actual.prefix(8)) , expected \(expected.count) bytes \(expected.prefix(8))"
        )
    }

    /// Follows cursors to the end, checking every page's size and order on the way.
    func listAll(under prefix: StoragePath?, recursive: Bool, limit: Int) async throws -> [StorageEntry] {
        var entries: [StorageEntry] = []
        var cursor: String? = nil
        var pages = 0
        repeat {
            let page = try await backend.list(under: prefix, recursive: recursive, limit: limit, cursor: cursor)
            pages += 1
            try require(page.entries.count <= limit, "a page held \(page.entries.count) entries, over the limit \(limit)")
            try require(
                page.nextCursor == nil || !page.entries.isEmpty,
                "an empty page came with a cursor \(page.nextCursor ?? "")"
            )
            try require(pages <= 100_000, "listing did not terminate")
            entries += page.entries
            cursor = page.nextCursor
        } while cursor != nil
        for (lhs, rhs) in zip(entries, entries.dropFirst()) {
            try require(
                lhs.path.string.utf8.lexicographicallyPrecedes(rhs.path.string.utf8),
                "listing is not in strictly increasing byte-wise order: \"\(lhs.path)\" then \"\(rhs.path)\""
            )
        }
        return entries
    }
}

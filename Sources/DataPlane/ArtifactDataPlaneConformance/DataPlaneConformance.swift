import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorageConformance
import ArtifactStoreCore

/// The promises every ``DataPlane`` keeps, as a suite any implementation's tests can run.
///
/// Written against the protocol only, so the in-process `LocalDataPlane` (over each storage
/// backend) and a remote data plane behind a Unix socket run the same checks; what the protocol
/// cannot do (look at raw storage, corrupt a byte, take a backend away) comes through the
/// subject's hooks. Each check takes a fresh subject from `makeSubject`, exercises it, deletes
/// what it stored, and then requires every backend to be physically empty (no object, no
/// temporary). A broken promise throws a ``DataPlaneConformanceFailure`` naming the check:
///
/// ```swift
/// @Test(arguments: DataPlaneConformance.Check.allCases)
/// func conformance(_ check: DataPlaneConformance.Check) async throws {
///     try await DataPlaneConformance(makeSubject: makeSubject).run(check)
/// }
/// ```
public struct DataPlaneConformance: Sendable {
    /// Every check, by name.
    public enum Check: String, Sendable, CaseIterable, CustomStringConvertible {
        case ingestEmpty
        case ingestOneByte
        case ingestMebibyteMinusOne
        case ingestLarge
        case ingestSHA256Primary
        case deduplication
        case backendSelection
        case expectedDigestMismatch
        case expectedSizeMismatch
        case failingStreamLeavesNothing
        case cancelledStreamLeavesNothing
        case rangeReads
        case corruptionIsReported
        case corruptionAfterCleanReads
        case concurrentIdenticalIngests
        case promisedSmallSizes
        case deleteTwice
        case healthWithBackendTakenAway
        case unknownBackend
        case unknownObject

        public var description: String { rawValue }
    }

    public let capabilities: DataPlaneConformanceCapabilities
    let makeSubject: @Sendable () async throws -> DataPlaneConformanceSubject

    /// - Parameters:
    ///   - capabilities: what the implementation promises beyond the core.
    ///   - makeSubject: returns a fresh data plane over empty backends on every call.
    public init(
        capabilities: DataPlaneConformanceCapabilities = DataPlaneConformanceCapabilities(),
        makeSubject: @escaping @Sendable () async throws -> DataPlaneConformanceSubject
    ) {
        self.capabilities = capabilities
        self.makeSubject = makeSubject
    }

    /// Runs one check by name.
    public func run(_ check: Check) async throws {
        switch check {
        case .ingestEmpty: try await ingestEmpty()
        case .ingestOneByte: try await ingestRoundTrip(size: 1, check: check)
        case .ingestMebibyteMinusOne: try await ingestRoundTrip(size: 1024 * 1024 - 1, check: check)
        case .ingestLarge: try await ingestRoundTrip(size: capabilities.largeObjectSize, check: check)
        case .ingestSHA256Primary: try await ingestSHA256Primary()
        case .deduplication: try await deduplication()
        case .backendSelection: try await backendSelection()
        case .expectedDigestMismatch: try await expectedDigestMismatch()
        case .expectedSizeMismatch: try await expectedSizeMismatch()
        case .failingStreamLeavesNothing: try await failingStreamLeavesNothing()
        case .cancelledStreamLeavesNothing: try await cancelledStreamLeavesNothing()
        case .rangeReads: try await rangeReads()
        case .corruptionIsReported: try await corruptionIsReported()
        case .corruptionAfterCleanReads: try await corruptionAfterCleanReads()
        case .concurrentIdenticalIngests: try await concurrentIdenticalIngests()
        case .promisedSmallSizes: try await promisedSmallSizes()
        case .deleteTwice: try await deleteTwice()
        case .healthWithBackendTakenAway: try await healthWithBackendTakenAway()
        case .unknownBackend: try await unknownBackend()
        case .unknownObject: try await unknownObject()
        }
    }

    // MARK: Harness

    /// Runs `body` with a fresh subject, then requires every backend to be empty (unless the
    /// check took one away) and tears the subject down, whether `body` failed or not.
    func withSubject(
        _ check: String,
        leakCheck: Bool = true,
        _ body: (DataPlaneConformanceSubject, Probe) async throws -> Void
    ) async throws {
        let subject = try await makeSubject()
        let probe = Probe(check: check, subject: subject)
        do {
            try await body(subject, probe)
            if leakCheck {
                for backendID in [subject.defaultBackendID, subject.otherBackendID] {
                    let left = try await subject.storedObjects(backendID)
                    try probe.require(left.isEmpty, "backend \"\(backendID)\" still holds \(left) after the check deleted what it stored")
                }
            }
        } catch {
            try? await subject.tearDown()
            throw error
        }
        try await subject.tearDown()
    }
}

/// Assertions for one check, each throwing a ``DataPlaneConformanceFailure`` naming it.
struct Probe: Sendable {
    let check: String
    let subject: DataPlaneConformanceSubject

    var dataPlane: any DataPlane { subject.dataPlane }

    func fail(_ detail: String) -> DataPlaneConformanceFailure {
        DataPlaneConformanceFailure(check: check, detail)
    }

    func require(_ condition: Bool, _ detail: @autoclosure () -> String) throws {
        if !condition { throw fail(detail()) }
    }

    func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        if actual != expected { throw fail("\(what): expected \(expected), got \(actual)") }
    }

    /// Everything physically stored, in every backend.
    /// The objects stored in `backendID` less derived data (`outboards/…`: interior hashes an
    /// implementation may keep beside an object, written with it and rebuilt from it).
    func storedContent(_ backendID: String) async throws -> [String] {
        try await subject.storedObjects(backendID).filter { !$0.hasPrefix("outboards/") }
    }

    func snapshot() async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for backendID in [subject.defaultBackendID, subject.otherBackendID] {
            result[backendID] = try await subject.storedObjects(backendID).sorted()
        }
        return result
    }

    /// Requires `body` to fail with `code`, and storage to be exactly as it was before. Returns
    /// the error for further checks of its message.
    @discardableResult
    func expectFailure(
        _ code: DataPlaneError.Code,
        _ what: String,
        _ body: () async throws -> Void
    ) async throws -> DataPlaneError {
        let before = try await snapshot()
        let caught: DataPlaneError
        do {
            try await body()
            throw fail("\(what): expected \(code), but it succeeded")
        } catch let error as DataPlaneError {
            caught = error
        } catch let error as DataPlaneConformanceFailure {
            throw error
        } catch {
            throw fail("\(what): expected DataPlaneError \(code), got \(type(of: error)): \(error)")
        }
        try equal(caught.kind, code, "\(what): error code (message: \(caught.message))")
        let after = try await snapshot()
        try equal(after, before, "\(what): storage after the failure")
        return caught
    }

    /// Requires `message` to mention each of `parts`.
    func mentions(_ error: DataPlaneError, _ parts: String...) throws {
        for part in parts where !error.message.contains(part) {
            throw fail("message \"\(error.message)\" does not name \"\(part)\"")
        }
    }

    /// Ingests `content`, checking the result against the reference digests and the receipt.
    func ingest(
        _ content: ReferenceContent,
        hints: IngestHints = IngestHints(),
        deduplicated: Bool? = false
    ) async throws -> (IngestResult, ReferenceDigests) {
        let reference = content.digests
        let result = try await dataPlane.ingest(content.stream, hints: hints)
        try checkResult(result, reference, hints: hints, deduplicated: deduplicated)
        return (result, reference)
    }

    func checkResult(_ result: IngestResult, _ reference: ReferenceDigests, hints: IngestHints, deduplicated: Bool?) throws {
        let primary = hints.primaryAlgorithm == .blake3 ? reference.blake3 : reference.sha256
        try equal(result.primaryDigest, primary, "primary digest")
        try equal(result.sha256Digest, reference.sha256, "SHA-256 digest")
        try equal(result.blake3Digest, reference.blake3, "BLAKE3 digest")
        try equal(result.size, reference.size, "size")
        try equal(result.address, ContentAddress(primary), "address")
        try equal(result.receipt.backendID, hints.backendID ?? subject.defaultBackendID, "receipt backend")
        try equal(result.receipt.storageKey, ContentAddress(primary).storageKey, "receipt storage key")
        try equal(result.receipt.size, reference.size, "receipt size")
        if let deduplicated {
            try equal(result.receipt.deduplicated, deduplicated, "receipt deduplicated")
        }
    }

    /// Serves the whole object and requires exactly the reference bytes.
    func serveMatches(_ address: ContentAddress, _ reference: ReferenceDigests, backendID: String? = nil) async throws {
        let served = try await referenceDigests(of: dataPlane.serve(address, range: nil, backendID: backendID))
        try equal(served, reference, "digests of the served bytes of \(address)")
    }

    /// Deletes, requiring that the object was there.
    func delete(_ result: IngestResult) async throws {
        let deletion = try await dataPlane.delete(result.address, backendID: result.receipt.backendID)
        try require(deletion.removed, "delete of \(result.address) removed nothing")
        try equal(deletion.bytesRemoved, result.size, "bytes removed")
    }
}

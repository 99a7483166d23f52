import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactDataPlaneWire
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

/// What the conformance suite does not cover: a daemon that is not there, a consumer that stops
/// early, errors that must come from `serve` itself.
@Suite("RemoteDataPlane", .timeLimit(.minutes(10)))
struct RemoteDataPlaneTests {
    @Test func noDaemonIsDataPlaneUnavailable() async throws {
        let path = DaemonHarness.freshSocketPath()
        let remote = RemoteDataPlane(socketPath: path, logger: TestLogs.silent)
        var caught: DataPlaneError?
        do { _ = try await remote.ingest(ByteStream(ByteBuffer(string: "x"))) } catch { caught = error }
        let error = try #require(caught)
        #expect(error.kind == .dataPlaneUnavailable)
        #expect(error.message.contains(path))
        #expect((error.underlying as? DataPlaneWireError)?.kind == .connectionFailed)
        let health = await remote.backendHealth()
        #expect(health.count == 1)
        #expect(health.first?.reachable == false && health.first?.backendID == "dataplane")
        #expect(health.first?.message.contains("dataPlaneUnavailable") == true)
        remote.shutdown()
    }

    /// A consumer that drops a serve after one chunk cancels it on the daemon; the pool's
    /// connection stays usable, and the daemon's calls end.
    @Test func abandonedServeFreesTheCall() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane)
        let remote = RemoteDataPlane(
            socketPath: harness.socketPath,
            configuration: .init(maximumConnections: 1, serveWindow: 2),
            logger: TestLogs.silent
        )
        let result = try await remote.ingest(ByteStream(ByteBuffer(repeating: 9, count: 8 * 1024 * 1024)))
        for _ in 0..<20 {
            var iterator = try await remote.serve(result.address).makeAsyncIterator()
            #expect(try await iterator.next() != nil)
        }
        // Twenty abandoned serves on one connection with a 16-call limit: the slots were freed.
        #expect(try await remote.verify(result.address).verified)
        #expect(try await remote.delete(result.address).removed)
        remote.shutdown()
        try await harness.stop()
        #expect(try await subject.storedObjects(Subjects.defaultID).isEmpty)
        try await subject.tearDown()
    }

    /// More calls at once than one connection may carry: the rest wait for slots and all succeed.
    @Test func callsBeyondTheConnectionLimitWait() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane)
        let remote = RemoteDataPlane(socketPath: harness.socketPath, configuration: .init(maximumConnections: 1), logger: TestLogs.silent)
        let result = try await remote.ingest(ByteStream(ByteBuffer(repeating: 3, count: 1 << 20)))
        let verified = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 { group.addTask { try await remote.verify(result.address).verified } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(verified == 40)
        _ = try await remote.delete(result.address)
        remote.shutdown()
        try await harness.stop()
        try await subject.tearDown()
    }

    /// Errors found before the first byte come from `serve` itself, with the daemon's code and
    /// message.
    @Test func serveErrorsComeFromServe() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane)
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        let result = try await remote.ingest(ByteStream(ByteBuffer(string: "four")))
        for (range, backend, code) in [
            (ByteRange(first: 2, last: 1), nil, DataPlaneError.Code.invalidRange),
            (ByteRange(first: 0, last: 4), nil, .rangeNotSatisfiable),
            (nil, "nowhere", .unknownBackend),
        ] as [(ByteRange?, String?, DataPlaneError.Code)] {
            var caught: DataPlaneError?
            do { _ = try await remote.serve(result.address, range: range, backendID: backend) } catch { caught = error }
            #expect(caught?.kind == code)
        }
        _ = try await remote.delete(result.address)
        remote.shutdown()
        try await harness.stop()
        try await subject.tearDown()
    }
}

import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneDaemon
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's socket and its life cycle: mode, group, paths it must not clobber, graceful
/// shutdown with calls in flight.
@Suite("DataPlaneDaemon", .timeLimit(.minutes(10)))
struct DataPlaneDaemonTests {
    static func status(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    @Test func socketIsOwnerOnlyAndRemovedOnShutdown() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane)
        let status = try #require(Self.status(harness.socketPath))
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o7777 == 0o600)
        #expect(status.st_uid == getuid())
        try await harness.stop()
        #expect(Self.status(harness.socketPath) == nil)
        try await subject.tearDown()
    }

    @Test func groupSocketIsGroupReadable() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane) { $0.socketGroup = getgid() }
        let status = try #require(Self.status(harness.socketPath))
        #expect(status.st_mode & 0o7777 == 0o660)
        #expect(status.st_gid == getgid())
        try await harness.stop()
        try await subject.tearDown()
    }

    static func startFails(at path: String) async throws -> DataPlaneDaemonError? {
        let subject = try Subjects.memory()
        defer { Task { try? await subject.tearDown() } }
        let daemon = DataPlaneDaemon(dataPlane: subject.dataPlane, configuration: .init(socketPath: path), logger: TestLogs.silent)
        do {
            try await daemon.run()
            return nil
        } catch let error as DataPlaneDaemonError {
            return error
        }
    }

    @Test func refusesAPathThatIsNotASocket() async throws {
        let path = DaemonHarness.freshSocketPath()
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let error = try await Self.startFails(at: path)
        #expect(error?.kind == .socketPathNotSocket)
        #expect(error?.message.contains(path) == true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test func refusesALiveSocket() async throws {
        let subject = try Subjects.memory()
        let first = try await DaemonHarness(serving: subject.dataPlane)
        let error = try await Self.startFails(at: first.socketPath)
        #expect(error?.kind == .socketPathInUse)
        // The first daemon is untouched and still serves.
        let remote = RemoteDataPlane(socketPath: first.socketPath, logger: TestLogs.silent)
        #expect(await remote.backendHealth().map(\.backendID) == [Subjects.defaultID, Subjects.otherID])
        remote.shutdown()
        try await first.stop()
        try await subject.tearDown()
    }

    @Test func replacesAStaleSocket() async throws {
        let path = DaemonHarness.freshSocketPath()
        // A socket bound and never listened on: what a crashed daemon leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0)
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane, socketPath: path)
        #expect((Self.status(path)?.st_mode ?? 0) & 0o7777 == 0o600)
        try await harness.stop()
        try await subject.tearDown()
    }

    @Test func tooLongASocketPathIsRefused() async throws {
        let error = try await Self.startFails(at: "/tmp/" + String(repeating: "s", count: 120))
        #expect(error?.kind == .invalidConfiguration)
    }

    /// Shutdown lets an ingest in flight finish, then removes the socket.
    @Test func shutdownFinishesCallsInFlight() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane)
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        let gate = Gate()
        let ingest = Task { try await remote.ingest(ByteStream(GatedStream(gate: gate))) }
        await gate.waitUntilStarted()
        let stopping = Task { try await harness.stop() }
        gate.open()
        let result = try await ingest.value
        #expect(result.size == 2 * 65_536)
        try await stopping.value
        #expect(Self.status(harness.socketPath) == nil)
        #expect(try await subject.storedObjects(Subjects.defaultID) == [result.receipt.storageKey])
        remote.shutdown()
        try await subject.tearDown()
    }

    /// A call still running when the grace period ends is cancelled and stores nothing.
    @Test func gracePeriodCancelsWhatIsLeft() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane) { $0.shutdownGracePeriod = .milliseconds(50) }
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        let gate = Gate()
        let ingest = Task { try await remote.ingest(ByteStream(GatedStream(gate: gate))) }
        await gate.waitUntilStarted()
        try await harness.stop()
        #expect(Self.status(harness.socketPath) == nil)
        gate.open()
        var caught: DataPlaneError?
        do { _ = try await ingest.value } catch let error as DataPlaneError { caught = error }
        let kind = try #require(caught?.kind)
        #expect(kind == .cancelled || kind == .dataPlaneUnavailable, "\(kind)")
        #expect(try await subject.storedObjects(Subjects.defaultID).isEmpty)
        remote.shutdown()
        try await subject.tearDown()
    }
}

/// Lets a test hold a stream after its first chunk.
final class Gate: Sendable {
    private let started = AsyncStream<Void>.makeStream()
    private let opened = AsyncStream<Void>.makeStream()

    func markStarted() { started.continuation.yield() }
    func waitUntilStarted() async { for await _ in started.stream { return } }
    func open() { opened.continuation.finish() }
    func waitUntilOpen() async { for await _ in opened.stream {} }
}

/// One 64 KiB chunk, then a wait for the gate, then a second chunk.
struct GatedStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let gate: Gate

    struct AsyncIterator: AsyncIteratorProtocol {
        let gate: Gate
        var sent = 0

        mutating func next() async throws -> ByteBuffer? {
            sent += 1
            switch sent {
            case 1: return ByteBuffer(repeating: 1, count: 65_536)
            case 2:
                gate.markStarted()
                await gate.waitUntilOpen()
                return ByteBuffer(repeating: 2, count: 65_536)
            default: return nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(gate: gate) }
}

import ArtifactDataPlaneConformance
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactStoreTestSupport
import Foundation
import Synchronization
import Testing

/// `RemoteDataPlane` runs the whole data plane conformance suite through a real daemon on a real
/// Unix socket, over memory, filesystem and (with moto) S3 backends, each check with a fresh
/// daemon and fresh, empty backends.
@Suite("RemoteDataPlane conformance", .timeLimit(.minutes(10)))
struct RemoteDataPlaneConformanceTests {
    @Test(arguments: DataPlaneConformance.Check.allCases)
    func memory(_ check: DataPlaneConformance.Check) async throws {
        try await DataPlaneConformance { try await RemoteSubjects.through(try Subjects.memory()) }.run(check)
    }

    /// Over files, whole serves go through the descriptor the daemon passes (the checks that
    /// corrupt stored objects must catch it on that path, so they assert it was taken).
    @Test(arguments: DataPlaneConformance.Check.allCases)
    func fileSystem(_ check: DataPlaneConformance.Check) async throws {
        let clients = ObservedClients()
        try await DataPlaneConformance { try await RemoteSubjects.through(try Subjects.fileSystem(), observe: clients.add) }.run(check)
        if check == .corruptionIsReported || check == .corruptionAfterCleanReads {
            #expect(clients.descriptorServes > 0, "no whole serve of \(check) went through a passed descriptor")
        }
    }
}

/// The same suite over S3 (moto), one check at a time. It needs `ARTIFACTSTORE_TEST_S3_ENDPOINT`
/// and, because it doubles the load on the one moto process while the local S3 suite runs in
/// parallel (moto then answers 500s), also `ARTIFACTSTORE_TEST_REMOTE_S3=1`; skipped with a
/// printed reason otherwise.
@Suite(
    "RemoteDataPlane conformance on S3",
    .serialized,
    .enabled(if: RemoteS3.isEnabled, "ARTIFACTSTORE_TEST_S3_ENDPOINT and ARTIFACTSTORE_TEST_REMOTE_S3=1 are not both set"),
    .timeLimit(.minutes(10))
)
struct RemoteDataPlaneS3ConformanceTests {
    @Test(arguments: DataPlaneConformance.Check.allCases)
    func s3(_ check: DataPlaneConformance.Check) async throws {
        let capabilities = DataPlaneConformanceCapabilities(exclusiveCommit: false)
        try await DataPlaneConformance(capabilities: capabilities) { try await RemoteSubjects.through(try await Subjects.s3()) }.run(check)
    }
}

/// The clients a conformance run made, to count their descriptor serves afterwards.
final class ObservedClients: Sendable {
    private let clients = Mutex<[RemoteDataPlane]>([])

    func add(_ client: RemoteDataPlane) {
        clients.withLock { $0.append(client) }
    }

    var descriptorServes: Int { clients.withLock { $0.reduce(0) { $0 + $1.descriptorServeCount } } }
}

enum RemoteS3 {
    static let isEnabled: Bool = {
        let asked = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_REMOTE_S3"] == "1"
        if !asked {
            print(
                "ArtifactDataPlaneRemoteTests: RemoteDataPlane conformance on S3 SKIPPED: set ARTIFACTSTORE_TEST_REMOTE_S3=1 (and ARTIFACTSTORE_TEST_S3_ENDPOINT) to run it"
            )
        }
        return asked && S3TestServer.isAvailable
    }()
}

import ArtifactDataPlaneConformance
import ArtifactDataPlaneTestSupport
import ArtifactStoreTestSupport
import Testing

/// `RemoteDataPlane` runs the whole data plane conformance suite through a real daemon on a real
/// Unix socket, over memory, filesystem and (with moto) S3 backends, each check with a fresh
/// daemon and fresh, empty backends.
@Suite("RemoteDataPlane conformance")
struct RemoteDataPlaneConformanceTests {
    @Test(arguments: DataPlaneConformance.Check.allCases)
    func memory(_ check: DataPlaneConformance.Check) async throws {
        try await DataPlaneConformance { try await RemoteSubjects.through(try Subjects.memory()) }.run(check)
    }

    @Test(arguments: DataPlaneConformance.Check.allCases)
    func fileSystem(_ check: DataPlaneConformance.Check) async throws {
        try await DataPlaneConformance { try await RemoteSubjects.through(try Subjects.fileSystem()) }.run(check)
    }
}

/// The same suite over S3 (moto), one check at a time; skipped with a printed reason without
/// `ARTIFACTSTORE_TEST_S3_ENDPOINT`.
@Suite(
    "RemoteDataPlane conformance on S3", .serialized,
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"))
struct RemoteDataPlaneS3ConformanceTests {
    @Test(arguments: DataPlaneConformance.Check.allCases)
    func s3(_ check: DataPlaneConformance.Check) async throws {
        let capabilities = DataPlaneConformanceCapabilities(exclusiveCommit: false)
        try await DataPlaneConformance(capabilities: capabilities) { try await RemoteSubjects.through(try await Subjects.s3()) }.run(check)
    }
}

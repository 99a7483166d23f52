import ArtifactDataPlaneConformance
import ArtifactDataPlaneTestSupport
import ArtifactStoreTestSupport
import Testing

/// `LocalDataPlane` over two S3 buckets on the real S3-compatible server (moto), the whole
/// data plane conformance suite. S3's move is copy-then-delete, so concurrent commits of the
/// same content may each report a write (`exclusiveCommit: false`); moto is one Python process,
/// so the checks run one at a time.
@Suite(
    "LocalDataPlane conformance on S3",
    .serialized,
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"),
    .timeLimit(.minutes(10))
)
struct LocalDataPlaneS3ConformanceTests {
    static let capabilities = DataPlaneConformanceCapabilities(exclusiveCommit: false, largeObjectSize: 256 * 1024 * 1024 + 17)

    @Test(arguments: DataPlaneConformance.Check.allCases)
    func s3(_ check: DataPlaneConformance.Check) async throws {
        try await DataPlaneConformance(capabilities: Self.capabilities) { try await Subjects.s3() }.run(check)
    }
}

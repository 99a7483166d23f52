import ArtifactDataPlaneConformance
import ArtifactDataPlaneTestSupport
import Testing

/// `LocalDataPlane` runs the whole data plane conformance suite over memory and filesystem
/// backends, each check with fresh, empty backends.
@Suite("LocalDataPlane conformance", .timeLimit(.minutes(5)))
struct LocalDataPlaneConformanceTests {
    @Test(arguments: DataPlaneConformance.Check.allCases)
    func memory(_ check: DataPlaneConformance.Check) async throws {
        try await DataPlaneConformance { try Subjects.memory() }.run(check)
    }

    @Test(arguments: DataPlaneConformance.Check.allCases)
    func fileSystem(_ check: DataPlaneConformance.Check) async throws {
        try await DataPlaneConformance { try Subjects.fileSystem() }.run(check)
    }
}

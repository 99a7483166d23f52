import ArtifactStorage
import ArtifactStorageConformance
import Testing

@testable import ArtifactStorageFileSystem

/// The filesystem backend runs the whole conformance suite, with `openat2` and again with the
/// component-walk fallback, each check in a fresh temporary tree.
@Suite("FileSystemBackend conformance", .timeLimit(.minutes(5)))
struct FileSystemConformanceTests {
    @Test(arguments: StorageBackendConformance.Check.allCases)
    func conformance(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance { try await TemporaryTree().subject() }.run(check)
    }

    @Test(arguments: StorageBackendConformance.Check.allCases.filter { $0 != .roundTripLarge })
    func conformanceWithComponentWalk(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance { try await TemporaryTree().subject(resolution: .componentWalk) }.run(check)
    }
}

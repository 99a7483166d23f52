import ArtifactStorage
import ArtifactStorageConformance
import Testing

@testable import ArtifactStorageFileSystem

/// The filesystem backend runs the whole conformance suite, with `openat2` and again with the
/// component-walk fallback, and in each way of making writes durable, each check in a fresh
/// temporary tree.
@Suite("FileSystemBackend conformance", .timeLimit(.minutes(5)))
struct FileSystemConformanceTests {
    @Test(arguments: StorageBackendConformance.Check.allCases)
    func conformance(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance { try await TemporaryTree().subject() }.run(check)
    }

    /// `sync=file`, which the automatic choice above does not take where the file system allows
    /// a shared flush (SharedFlushTests checks which it took).
    @Test(arguments: StorageBackendConformance.Check.allCases)
    func conformanceFsyncingEachFile(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance { try await TemporaryTree().subject(syncMode: .eachFile) }.run(check)
    }

    @Test(arguments: StorageBackendConformance.Check.allCases.filter { $0 != .roundTripLarge })
    func conformanceWithComponentWalk(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance { try await TemporaryTree().subject(resolution: .componentWalk) }.run(check)
    }
}

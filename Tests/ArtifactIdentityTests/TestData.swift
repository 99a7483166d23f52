import ArtifactStoreTestSupport
import Foundation

/// The shared test vectors, `../shared/testdata` relative to the package root.
enum TestData {
    static func url(_ relativePath: String) -> URL {
        SharedTestData.url(relativePath)
    }
}

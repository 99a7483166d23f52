public import Foundation

/// Where the public test vectors live: `../shared/testdata` beside the package root.
///
/// Every test target reads vectors from there (BLAKE3, CBOR, SHA-256, SigV4); this is the one
/// place that finds it, by walking up from this file to the directory holding Package.swift.
public enum SharedTestData {
    /// The package root: the nearest directory above this file that contains Package.swift.
    public static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    /// `../shared/testdata`.
    public static let root = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")

    /// A file or folder under `../shared/testdata`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}

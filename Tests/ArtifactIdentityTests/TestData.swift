import Foundation

/// Locates the shared test vectors: `../shared/testdata` relative to the package root.
enum TestData {
    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    static let root = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")

    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}

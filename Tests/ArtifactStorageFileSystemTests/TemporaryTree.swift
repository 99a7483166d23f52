import ArtifactStorage
import ArtifactStorageConformance
import ArtifactStoreCore
import Crypto
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix

@testable import ArtifactStorageFileSystem

/// A unique directory under the system temporary directory holding a backend root and, around
/// it, sentinel files that nothing done through the backend may ever touch:
///
///     base/root/               the backend's root
///     base/sentinel.txt        a file next to the root
///     base/outside/secret.txt  a directory next to the root
///     base/root-sibling/file   a name that shares the root's prefix
struct TemporaryTree: Sendable {
    let base: String
    var root: String { base + "/root" }

    init() throws {
        base = FileManager.default.temporaryDirectory.path + "/artifactstore-fs-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base + "/root", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/root-sibling", withIntermediateDirectories: true)
        try Data("sentinel next to the root\n".utf8).write(to: URL(fileURLWithPath: base + "/sentinel.txt"))
        try Data("secret outside the root\n".utf8).write(to: URL(fileURLWithPath: base + "/outside/secret.txt"))
        try Data("sibling\n".utf8).write(to: URL(fileURLWithPath: base + "/root-sibling/file"))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: base)
    }

    static let logger = Logger(label: "artifactstore.tests.filesystem")

    func open(
        resolution: FileSystemBackend.Resolution = .automatic,
        syncMode: FileSystemSyncMode = .automatic
    ) async throws -> FileSystemBackend {
        try await FileSystemBackend.open(
            rootPath: root,
            threadPool: .singleton,
            logger: Self.logger,
            resolution: resolution,
            syncMode: syncMode
        )
    }

    /// Every item under `directory`, relative, without following symlinks; directories end in `/`.
    static func walk(_ directory: String, excluding: String? = nil) -> [String] {
        var items: [String] = []
        func visit(_ relative: String) {
            let full = relative.isEmpty ? directory : directory + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                if child == excluding { continue }
                var info = stat()
                guard lstat(directory + "/" + child, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    items.append(child + "/")
                    visit(child)
                } else {
                    items.append(child)
                }
            }
        }
        visit("")
        return items.sorted()
    }

    /// Root contents as the conformance suite wants them.
    func rawItems() -> [String] {
        Self.walk(root)
    }

    /// Type, size, mtime (ns), mode and SHA-256 of everything outside the root.
    func outsideSnapshot() -> [String: String] {
        var snapshot: [String: String] = [:]
        for item in Self.walk(base, excluding: "root") {
            let full = base + "/" + item.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            var fingerprint =
                "mode \(String(info.st_mode, radix: 8)) size \(info.st_size) mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            if info.st_mode & S_IFMT == S_IFREG, let data = FileManager.default.contents(atPath: full) {
                fingerprint += " sha256 " + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            }
            snapshot[item] = fingerprint
        }
        return snapshot
    }

    func subject(
        resolution: FileSystemBackend.Resolution = .automatic,
        syncMode: FileSystemSyncMode = .automatic
    ) async throws -> StorageConformanceSubject {
        let backend = try await open(resolution: resolution, syncMode: syncMode)
        return StorageConformanceSubject(
            backend: backend,
            rawItems: { rawItems() },
            outsideSnapshot: { outsideSnapshot() },
            tearDown: { remove() }
        )
    }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func symlink(_ relative: String, to target: String) throws {
        guard Glibc.symlink(target, root + "/" + relative) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}

extension StorageBackend {
    func readText(_ path: String) async throws -> String {
        var bytes: [UInt8] = []
        for try await chunk in try await read(try StoragePath(path)) { bytes += chunk.readableBytesView }
        return String(decoding: bytes, as: UTF8.self)
    }

    func writeText(_ path: String, _ text: String, options: StorageWriteOptions = StorageWriteOptions()) async throws {
        try await write(try StoragePath(path), from: ByteStream(ByteBuffer(string: text)), options: options)
    }
}

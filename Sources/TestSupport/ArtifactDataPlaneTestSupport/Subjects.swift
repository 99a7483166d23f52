import ArtifactDataPlane
public import ArtifactDataPlaneConformance
public import ArtifactDataPlaneLocal
public import ArtifactStorage
import ArtifactStorageFileSystem
public import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
public import Logging
import NIOCore
import Synchronization

/// A connector that can be "taken away": once dropped, its connection check and `connect`
/// answer `unreachable`, as a removed store would.
public final class DroppableConnector: StorageConnector {
    let base: any StorageConnector
    let label: String
    private let dropped = Mutex(false)

    public init(base: any StorageConnector, label: String) {
        self.base = base
        self.label = label
    }

    public func drop() { dropped.withLock { $0 = true } }

    private func check() throws(StorageError) {
        if dropped.withLock({ $0 }) {
            throw StorageError(.unreachable, "\(label) has been dropped")
        }
    }

    public func verifyConnection() async throws(StorageError) {
        try check()
        try await base.verifyConnection()
    }

    public func verifyAccess(user: String?, permissions: UInt32?) async throws(StorageError) {
        try check()
        try await base.verifyAccess(user: user, permissions: permissions)
    }

    public func connect() async throws(StorageError) -> any StorageBackend {
        try check()
        return try await base.connect()
    }
}

/// Fresh data plane conformance subjects over real backends, for every data plane's tests
/// (LocalDataPlane directly, RemoteDataPlane through a daemon serving one of these).
public enum Subjects {
    public static let defaultID = "primary"
    public static let otherID = "secondary"

    /// Two named memory stores, unique to this subject.
    public static func memory(configuration: LocalDataPlane.Configuration = .init()) throws -> DataPlaneConformanceSubject {
        let token = UUID().uuidString.lowercased()
        let names = [defaultID: "dataplane-\(token)-a", otherID: "dataplane-\(token)-b"]
        let connectors = try names.mapValues { name in
            DroppableConnector(base: try MemoryConnector(name: name), label: "memory store \"\(name)\"")
        }
        let dataPlane = try LocalDataPlane(
            backends: [
                .init(id: defaultID, connector: connectors[defaultID]!),
                .init(id: otherID, connector: connectors[otherID]!),
            ],
            configuration: configuration,
            logger: TestLogs.silent
        )
        return DataPlaneConformanceSubject(
            dataPlane: dataPlane,
            defaultBackendID: defaultID,
            otherBackendID: otherID,
            storedObjects: { id in
                try MemoryBackend(name: names[id]!).allItems().filter { !$0.hasSuffix("/") }
            },
            corruptByte: { id, key, offset in
                let backend = try MemoryBackend(name: names[id]!)
                let path = try StoragePath(key)
                var bytes: [UInt8] = []
                for try await chunk in try await backend.read(path) { bytes.append(contentsOf: chunk.readableBytesView) }
                bytes[Int(offset)] ^= 0xFF
                try await backend.write(path, from: ByteStream(ByteBuffer(bytes: bytes)))
            },
            takeAway: { id in
                connectors[id]!.drop()
                MemoryStoreRegistry.remove(names[id]!)
            },
            tearDown: {
                for name in names.values { MemoryStoreRegistry.remove(name) }
            }
        )
    }

    /// Two directories under a fresh temporary directory.
    public static func fileSystem(configuration: LocalDataPlane.Configuration = .init()) throws -> DataPlaneConformanceSubject {
        let base = FileManager.default.temporaryDirectory.path + "/artifactstore-dataplane-\(UUID().uuidString.lowercased())"
        let roots = [defaultID: base + "/" + defaultID, otherID: base + "/" + otherID]
        for root in roots.values {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }
        let dataPlane = try LocalDataPlane(
            backends: [
                .init(id: defaultID, connector: try FileSystemConnector(rootPath: roots[defaultID]!, logger: TestLogs.silent)),
                .init(id: otherID, connector: try FileSystemConnector(rootPath: roots[otherID]!, logger: TestLogs.silent)),
            ],
            configuration: configuration,
            logger: TestLogs.silent
        )
        return DataPlaneConformanceSubject(
            dataPlane: dataPlane,
            defaultBackendID: defaultID,
            otherBackendID: otherID,
            storedObjects: { id in try regularFiles(under: roots[id]!) },
            corruptByte: { id, key, offset in
                let path = roots[id]! + "/" + key
                guard let handle = FileHandle(forUpdatingAtPath: path) else {
                    throw StorageError(.objectNotFound, "cannot open \(path) to corrupt it")
                }
                defer { try? handle.close() }
                try handle.seek(toOffset: offset)
                let byte = try handle.read(upToCount: 1) ?? Data()
                precondition(byte.count == 1, "offset \(offset) is past the end of \(path)")
                try handle.seek(toOffset: offset)
                try handle.write(contentsOf: Data([byte[byte.startIndex] ^ 0xFF]))
                try handle.synchronize()
            },
            takeAway: { id in
                try FileManager.default.moveItem(atPath: roots[id]!, toPath: roots[id]! + ".gone")
            },
            tearDown: {
                try FileManager.default.removeItem(atPath: base)
            }
        )
    }

    /// Every regular file beneath `root`, hidden ones included, relative to it.
    public static func regularFiles(under root: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            if attributes[.type] as? FileAttributeType != .typeDirectory {
                files.append(relative)
            }
        }
        return files.sorted()
    }
}

public import ArtifactDataPlane
import ArtifactIdentity
import Foundation
public import Logging

/// Restores a backup written by ``StoreBackup`` into a new, empty store.
///
/// Exists so a restore can be trusted without a second look: every object is proved against its
/// address while it is copied (ingested with the address expected, so a damaged one is refused
/// before anything names it), the snapshot is checked against the digest the manifest recorded,
/// and the database is put in place last, through a temporary name. A restore that fails removes
/// everything it wrote (the destination was empty), so it never leaves a half-restored store
/// that would start.
public enum StoreRestore {
    /// Where a restore writes.
    public struct Destination: Sendable {
        /// The new SQLite database file; must not exist.
        public var databasePath: String
        /// The audit key file; must not exist.
        public var auditKeyFile: String
        /// A directory the caller found empty (``requireEmptyDirectory(_:)``) before it made what
        /// the backends need in it: the data directory. A failed restore empties it again.
        public var createdDirectory: String?
        /// The store's data plane: the backends objects are restored into, which must hold none.
        public var objects: any StoredObjectInventory

        public init(databasePath: String, auditKeyFile: String, createdDirectory: String?, objects: any StoredObjectInventory) {
            self.databasePath = databasePath
            self.auditKeyFile = auditKeyFile
            self.createdDirectory = createdDirectory
            self.objects = objects
        }
    }

    /// Reads and checks the manifest of the backup in `directory`.
    ///
    /// - Throws: `backupInvalid` when it is missing, unreadable, of another format, or its
    ///   snapshot is missing or does not match the recorded digest.
    public static func manifest(in directory: String) throws(ControlPlaneError) -> BackupManifest {
        let path = directory + "/" + BackupManifest.fileName
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ControlPlaneError(
                .backupInvalid,
                "\"\(path)\" is missing or not a backup manifest: is \"\(directory)\" a complete backup?",
                underlying: error
            )
        }
        guard manifest.format == BackupManifest.currentFormat else {
            throw ControlPlaneError(
                .backupInvalid,
                "\"\(path)\" is of format \(manifest.format); this version reads format \(BackupManifest.currentFormat)"
            )
        }
        guard manifest.snapshot == BackupManifest.snapshotFileName else {
            throw ControlPlaneError(
                .backupInvalid,
                "\"\(path)\" names snapshot \"\(manifest.snapshot)\", not \(BackupManifest.snapshotFileName)"
            )
        }
        let snapshot = directory + "/" + manifest.snapshot
        guard FileManager.default.fileExists(atPath: snapshot), try BackupFiles.sha256(of: snapshot) == manifest.snapshotSHA256 else {
            throw ControlPlaneError(.backupInvalid, "the snapshot \"\(snapshot)\" is missing or does not match the manifest's SHA-256")
        }
        return manifest
    }

    /// Refuses `directory` (a data directory to restore into) unless it is absent or empty:
    /// `restoreDestinationNotEmpty`.
    public static func requireEmptyDirectory(_ directory: String) throws(ControlPlaneError) {
        try BackupFiles.requireEmpty(directory, code: .restoreDestinationNotEmpty, what: "data directory")
    }

    /// Restores the backup in `directory` into `destination`.
    ///
    /// - Parameter source: a data plane over the backup's `objects/<id>/` directories (one
    ///   backend per copied id, reads not verified: the restore proves every object itself);
    ///   `nil` when the backup copied none.
    /// - Throws: `backupInvalid`; `restoreDestinationNotEmpty` (nothing written);
    ///   `backupObjectCorrupt` naming the object (everything written removed); `dataPlane`.
    public static func restore(
        from directory: String,
        source: (any DataPlane)?,
        into destination: Destination,
        logger: Logger
    ) async throws(ControlPlaneError) -> RestoreReport {
        let manifest = try manifest(in: directory)
        let copied = Set(manifest.backends.filter(\.objectsCopied).map(\.id))
        try await requireEmpty(destination, copied: copied)
        var report = RestoreReport(
            blobs: manifest.blobCount,
            objectsRestored: 0,
            bytesRestored: 0,
            backendsNotCopied: manifest.backends.filter { !$0.objectsCopied }.map(\.id)
        )
        do throws(ControlPlaneError) {
            for blob in manifest.blobs where copied.contains(blob.backend) {
                guard let source else {
                    throw ControlPlaneError(.backupInvalid, "the manifest lists copied objects but the backup has no objects directory")
                }
                try await restore(blob, from: source, into: destination.objects)
                report.objectsRestored += 1
                report.bytesRestored += blob.size
            }
            if manifest.auditKeyCopied {
                try BackupFiles.copyPrivate(directory + "/" + BackupManifest.auditKeyFileName, to: destination.auditKeyFile)
            }
            let parent = (destination.databasePath as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try BackupFiles.copyAtomically(directory + "/" + manifest.snapshot, to: destination.databasePath)
        } catch {
            await undo(destination, copied: copied, logger: logger)
            throw error
        }
        return report
    }

    /// Copies one object, proving it against its address on the way in.
    private static func restore(
        _ blob: BackupManifest.Blob,
        from source: any DataPlane,
        into objects: any DataPlane
    )
        async throws(ControlPlaneError)
    {
        let hints = IngestHints(
            sizeHint: blob.size,
            primaryAlgorithm: blob.address.algorithm,
            backendID: blob.backend,
            expectedDigest: blob.address.digest,
            expectedSize: blob.size
        )
        do {
            _ = try await objects.ingest(try await source.serve(blob.address, range: nil, backendID: blob.backend), hints: hints)
        } catch  where error.kind == .objectNotFound {
            throw ControlPlaneError(.backupInvalid, "the manifest lists \(blob.address) but the backup does not hold it", underlying: error)
        } catch  where error.kind == .digestMismatch || error.kind == .sizeMismatch || error.kind == .sizeLimitExceeded {
            throw ControlPlaneError(
                .backupObjectCorrupt,
                "object \(blob.address) in the backup does not match its address (\(error.code)); the backup is damaged. "
                    + "Nothing was restored: the destination was emptied again",
                underlying: error
            )
        } catch {
            throw ControlPlaneError(
                .dataPlane,
                "cannot restore \(blob.address) into backend \"\(blob.backend)\": \(error.code): \(error.message)",
                underlying: error
            )
        }
    }

    private static func requireEmpty(_ destination: Destination, copied: Set<String>) async throws(ControlPlaneError) {
        try BackupFiles.requireAbsent(destination.databasePath, code: .restoreDestinationNotEmpty, what: "database")
        try BackupFiles.requireAbsent(destination.auditKeyFile, code: .restoreDestinationNotEmpty, what: "audit key file")
        let configured: Set<String>
        do {
            configured = Set(try await destination.objects.inventoryBackendIDs())
        } catch {
            throw ControlPlaneError.wrapping(error, "listing the restore's backends")
        }
        for id in copied.sorted() where !configured.contains(id) {
            throw ControlPlaneError(
                .backupInvalid,
                "the backup holds the objects of backend \"\(id)\", which the restore does not configure: pass --backend \(id)=URL"
            )
        }
        for id in configured.sorted() {
            let held: Int
            do {
                held = try await destination.objects.storedObjects(.object, backendID: id, cursor: nil, limit: 1).objects.count
            } catch {
                throw ControlPlaneError(.dataPlane, "cannot list backend \"\(id)\": \(error.code): \(error.message)", underlying: error)
            }
            guard held == 0 else {
                throw ControlPlaneError(
                    .restoreDestinationNotEmpty,
                    "backend \"\(id)\" already holds objects; restore only into empty backends. Nothing was written"
                )
            }
        }
    }

    /// Removes what a failed restore wrote: every object of the backends (empty before), the
    /// audit key, and the data directory's contents.
    private static func undo(_ destination: Destination, copied: Set<String>, logger: Logger) async {
        for id in (try? await destination.objects.inventoryBackendIDs()) ?? [] {
            while let page = try? await destination.objects.storedObjects(.object, backendID: id, cursor: nil, limit: 1000),
                !page.objects.isEmpty
            {
                var removed = 0
                for object in page.objects {
                    if let address = object.address, (try? await destination.objects.delete(address, backendID: id)) != nil { removed += 1 }
                }
                if removed == 0 { break }
            }
        }
        try? FileManager.default.removeItem(atPath: destination.auditKeyFile)
        if let directory = destination.createdDirectory { BackupFiles.removeContents(of: directory, andItself: false) }
        logger.notice("a failed restore removed what it had written")
    }
}

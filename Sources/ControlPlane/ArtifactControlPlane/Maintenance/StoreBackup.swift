public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import Crypto
import Foundation
import SQLKit

/// A backup of a running store: a consistent snapshot of the SQLite metadata, the manifest of
/// every blob it references, and copies of those blobs' objects for the backends that are
/// directories (docs/operations.md, "Backup and restore").
///
/// Exists so an operator can back up while the server runs and restore onto an empty machine
/// with every byte proved. The snapshot is one instant of the database (`VACUUM INTO`); the
/// objects it references are then copied, each read whole through the data plane (so proved
/// against its address) and ingested into the backup's own directory with that address
/// expected. Objects are immutable and a referenced blob cannot be collected within the grace
/// period, so copying after the snapshot is consistent with it. The manifest is written last:
/// a directory without one is not a backup. A failed backup removes what it wrote.
public struct StoreBackup: Sendable {
    let controlPlane: ControlPlane

    /// Writes a backup into `directory`, which must be empty or not exist.
    ///
    /// - Parameters:
    ///   - backends: every backend id of the store, for the manifest.
    ///   - objects: a data plane whose backends (one per id to copy, same ids) are the backup's
    ///     `objects/<id>/` directories; `nil` when no backend's objects are copied.
    ///   - auditKeyFile: copied beside the snapshot when it exists.
    /// - Throws: `backupUnsupported` on PostgreSQL, `backupDestinationNotEmpty`, `dataPlane`
    ///   when an object cannot be read or proved, `database`.
    public func write(
        to directory: String,
        backends: [String],
        objects: (any StoredObjectInventory)?,
        auditKeyFile: String?
    ) async throws(ControlPlaneError) -> BackupReport {
        guard controlPlane.store.engine == .sqlite else {
            throw ControlPlaneError(
                .backupUnsupported,
                "\(controlPlane.store.location) is PostgreSQL: back it up with pg_dump and the buckets with versioning (docs/operations.md)"
            )
        }
        try BackupFiles.requireEmpty(directory, code: .backupDestinationNotEmpty, what: "backup destination")
        let createdDirectory = !FileManager.default.fileExists(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try await writeInto(directory, backends: backends, objects: objects, auditKeyFile: auditKeyFile)
        } catch {
            BackupFiles.removeContents(of: directory, andItself: createdDirectory)
            throw ControlPlaneError.wrapping(error, "backing up into \"\(directory)\"")
        }
    }

    private func writeInto(
        _ directory: String,
        backends: [String],
        objects: (any StoredObjectInventory)?,
        auditKeyFile: String?
    ) async throws -> BackupReport {
        let copied = Set(try await objects?.inventoryBackendIDs() ?? [])
        let snapshotPath = directory + "/" + BackupManifest.snapshotFileName
        let createdAt = ISO8601DateFormatter().string(from: controlPlane.clock())
        try await controlPlane.store.snapshot(to: snapshotPath)
        let blobs = try await Self.liveBlobs(inSnapshot: snapshotPath, logger: controlPlane)
        var report = BackupReport(
            directory: directory,
            blobs: blobs.count,
            bytes: blobs.reduce(0) { $0 + $1.size },
            objectsCopied: 0,
            bytesCopied: 0,
            backendsNotCopied: backends.filter { !copied.contains($0) }
        )
        if let objects {
            for blob in blobs where copied.contains(blob.backend) {
                try await copy(blob, into: objects)
                report.objectsCopied += 1
                report.bytesCopied += blob.size
            }
        }
        var auditKeyCopied = false
        if let auditKeyFile, FileManager.default.fileExists(atPath: auditKeyFile) {
            try BackupFiles.copyPrivate(auditKeyFile, to: directory + "/" + BackupManifest.auditKeyFileName)
            auditKeyCopied = true
        }
        let manifest = BackupManifest(
            format: BackupManifest.currentFormat,
            createdAt: createdAt,
            snapshot: BackupManifest.snapshotFileName,
            snapshotSHA256: try BackupFiles.sha256(of: snapshotPath),
            auditKeyCopied: auditKeyCopied,
            backends: backends.map { BackupManifest.Backend(id: $0, objectsCopied: copied.contains($0)) },
            blobCount: blobs.count,
            blobBytes: report.bytes,
            blobs: blobs
        )
        try BackupFiles.writeAtomically(try BackupFiles.encoder().encode(manifest), to: directory + "/" + BackupManifest.fileName)
        return report
    }

    /// Reads `blob` whole from the store (proved against its address on the way) and ingests it
    /// into the backup with its address expected.
    private func copy(_ blob: BackupManifest.Blob, into objects: any StoredObjectInventory) async throws {
        let hints = IngestHints(
            sizeHint: blob.size,
            primaryAlgorithm: blob.address.algorithm,
            backendID: blob.backend,
            expectedDigest: blob.address.digest,
            expectedSize: blob.size
        )
        do {
            let stream = try await controlPlane.dataPlane.serve(blob.address, range: nil, backendID: blob.backend)
            _ = try await objects.ingest(stream, hints: hints)
        } catch {
            throw ControlPlaneError(
                .dataPlane,
                "cannot copy blob \(blob.address) from backend \"\(blob.backend)\": \(error.code): \(error.message)",
                underlying: error
            )
        }
    }

    /// Every `live` blob of the snapshot at `path`, in address order.
    static func liveBlobs(inSnapshot path: String, logger controlPlane: ControlPlane) async throws -> [BackupManifest.Blob] {
        let snapshot = try await MetadataStore.open(.sqliteFile(path: path), logger: controlPlane.logger)
        do {
            let blobs = try await snapshot.read { db in
                try await db.raw("SELECT address, backend_id, size FROM blobs WHERE state = 'live' ORDER BY address").all().map { row in
                    BackupManifest.Blob(
                        address: try Registry.address(try row.string("address")),
                        backend: try row.string("backend_id"),
                        size: UInt64(max(0, try row.int("size")))
                    )
                }
            }
            await snapshot.close()
            BackupFiles.removeJournal(of: path)
            return blobs
        } catch {
            await snapshot.close()
            throw error
        }
    }
}

extension ControlPlane {
    /// Backs the store up (``StoreBackup``).
    public var backup: StoreBackup { StoreBackup(controlPlane: self) }
}

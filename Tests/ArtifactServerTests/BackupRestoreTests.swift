import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

/// `admin backup`, `restore` and `fsck` on real SQLite files and directories: a backup taken
/// while pushes go on restores into a new directory that fsck finds clean and that serves every
/// acknowledged version byte for byte; a damaged backup or a non-empty destination is refused
/// with its code and leaves nothing behind.
@Suite("Backup, restore and fsck", .timeLimit(.minutes(10)))
struct BackupRestoreTests {
    /// A fresh directory under the temporary directory, removed by `cleanup`.
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("artifactstore-backup-\(UUID().uuidString.lowercased())").path
    }

    static func configuration(dataDirectory: String) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = dataDirectory
        return configuration
    }

    /// Deterministic bytes of `size`, different for every `seed`.
    static func content(_ seed: Int, size: Int) -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return [UInt8](count: size) { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static let context = RequestContext(actor: "user:test")

    /// Pushes version `name` of team/app with the files given.
    static func push(_ controlPlane: ControlPlane, _ name: String, files: [String: [UInt8]]) async throws {
        var entries: [FileEntry] = []
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            let blob = try await controlPlane.registry.ingestBlob(namespace: "team", ByteStream(ByteBuffer(bytes: bytes)), context: context)
            entries.append(FileEntry(path: path, address: blob.address, mediaType: "application/octet-stream"))
        }
        _ = try await controlPlane.registry.commitVersion(
            VersionManifest(namespace: "team", artifact: "app", version: name, files: entries),
            context: context
        )
    }

    static func read(_ controlPlane: ControlPlane, _ version: String, _ path: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in try await controlPlane.registry.openFile(namespace: "team", artifact: "app", version: version, path: path) {
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    /// A store in a new data directory with `versions` pushed (two files each, one large enough
    /// to have an outboard), open; `body` gets its configuration and control plane.
    static func withStore(
        versions: Int = 2,
        _ body: (ServerConfiguration, ControlPlane, [String: [String: [UInt8]]]) async throws -> Void
    ) async throws {
        let root = directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configuration = Self.configuration(dataDirectory: root + "/data")
        let controlPlane = try await ServeApplication.openControlPlane(configuration, logger: TestLogs.silent)
        var pushed: [String: [String: [UInt8]]] = [:]
        do {
            _ = try await controlPlane.registry.createNamespace("team", context: context)
            for version in 0..<versions {
                let files = ["big": content(version, size: 1_100_000 + version), "small": content(1000 + version, size: 100 + version)]
                try await push(controlPlane, "\(version)", files: files)
                pushed["\(version)"] = files
            }
            try await body(configuration, controlPlane, pushed)
        } catch {
            await controlPlane.close()
            throw error
        }
        await controlPlane.close()
    }

    @Test("a backup taken during pushes restores into a new directory that fsck finds clean and serves every acknowledged version")
    func backupUnderConcurrentPushes() async throws {
        try await Self.withStore { configuration, controlPlane, initial in
            let root = (configuration.absoluteDataDirectory as NSString).deletingLastPathComponent
            let shared = Pushes(initial)
            // Three pushers go on while the backup runs, each version acknowledged when its commit returns.
            let pushers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for pusher in 0..<3 {
                        group.addTask {
                            var round = 0
                            while !shared.stop.withLock({ $0 }) || round < 2 {
                                let name = "p\(pusher)-\(round)"
                                let seed = 10_000 + pusher * 1000 + round
                                let files = [
                                    "data": Self.content(seed, size: 2_000 + (seed % 7) * 400_000),
                                    "note": Self.content(seed + 1, size: 64),
                                ]
                                try await Self.push(controlPlane, name, files: files)
                                shared.acknowledged.withLock { $0[name] = files }
                                round += 1
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Let some of them land first.
            while shared.acknowledged.withLock({ $0.count }) < initial.count + 3 { try await Task.sleep(for: .milliseconds(5)) }
            let before = shared.acknowledged.withLock { $0 }
            let backup = try await StoreAdministration.backup(configuration, to: root + "/backup", logger: TestLogs.silent)
            let duringBackup = shared.acknowledged.withLock { $0.count } - before.count
            shared.stop.withLock { $0 = true }
            try await pushers.value
            #expect(backup.blobs >= before.count * 2 && backup.objectsCopied == backup.blobs && backup.backendsNotCopied.isEmpty)

            let restored = Self.configuration(dataDirectory: root + "/restored")
            let report = try await StoreAdministration.restore(restored, from: root + "/backup", logger: TestLogs.silent)
            #expect(report.objectsRestored == backup.blobs && report.bytesRestored == backup.bytesCopied)
            let fsck = try await StoreAdministration.fsck(restored, logger: TestLogs.silent)
            #expect(fsck.isClean && fsck.strayCount == 0 && fsck.blobsVerified == backup.blobs && fsck.blobsChecked == backup.blobs)

            let reopened = try await ServeApplication.openControlPlane(restored, logger: TestLogs.silent)
            do {
                // Every version acknowledged before the backup began, byte for byte; every other
                // version the snapshot caught, equal to what was acknowledged for it.
                let listed = try await reopened.registry.listVersions(namespace: "team", artifact: "app", page: .first(1000)).items.map(
                    \.version
                )
                #expect(Set(before.keys).isSubset(of: Set(listed)))
                let all = shared.acknowledged.withLock { $0 }
                print(
                    "backup under pushes: \(before.count) versions acknowledged before it, \(duringBackup) during it, "
                        + "\(all.count) in all; the snapshot held \(listed.count) (\(backup.blobs) blobs, \(backup.bytes) bytes)"
                )
                for version in listed {
                    let files = try #require(all[version])
                    for (path, bytes) in files {
                        #expect(try await Self.read(reopened, version, path) == bytes, "\(version)/\(path)")
                    }
                }
                // The audit key came with the backup: the restored chain verifies.
                #expect(try await reopened.audit.verifyChain().isIntact)
            } catch {
                await reopened.close()
                throw error
            }
            await reopened.close()
        }
    }

    @Test("a backup refuses a destination that is not empty, and writes nothing into it")
    func backupRefusesNonEmptyDestination() async throws {
        try await Self.withStore { configuration, _, _ in
            let destination = (configuration.absoluteDataDirectory as NSString).deletingLastPathComponent + "/backup"
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: destination + "/notes.txt"))
            let error = try await #require(throws: ControlPlaneError.self) {
                _ = try await StoreAdministration.backup(configuration, to: destination, logger: TestLogs.silent)
            }
            #expect(error.kind == .backupDestinationNotEmpty && error.message.contains(destination))
            #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["notes.txt"])
        }
    }

    @Test("a restore refuses a data directory that is not empty, and changes nothing in it")
    func restoreRefusesNonEmptyDataDirectory() async throws {
        try await Self.withStore(versions: 1) { configuration, _, _ in
            let root = (configuration.absoluteDataDirectory as NSString).deletingLastPathComponent
            _ = try await StoreAdministration.backup(configuration, to: root + "/backup", logger: TestLogs.silent)
            // The live store itself is not empty.
            let before = try FileManager.default.contentsOfDirectory(atPath: configuration.absoluteDataDirectory).sorted()
            let error = try await #require(throws: ControlPlaneError.self) {
                _ = try await StoreAdministration.restore(configuration, from: root + "/backup", logger: TestLogs.silent)
            }
            #expect(error.kind == .restoreDestinationNotEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: configuration.absoluteDataDirectory).sorted() == before)
        }
    }

    @Test("a restore refuses an object that does not match its address and leaves the data directory empty")
    func restoreRefusesCorruptObject() async throws {
        try await Self.withStore { configuration, _, pushed in
            let root = (configuration.absoluteDataDirectory as NSString).deletingLastPathComponent
            _ = try await StoreAdministration.backup(configuration, to: root + "/backup", logger: TestLogs.silent)
            // One byte of the last object in the backup flipped (the others restore first).
            let manifest = try StoreRestore.manifest(in: root + "/backup")
            let victim = try #require(manifest.blobs.last)
            let path = root + "/backup/objects/default/" + victim.address.storageKey
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let target = Self.configuration(dataDirectory: root + "/restored")
            let error = try await #require(throws: ControlPlaneError.self) {
                _ = try await StoreAdministration.restore(target, from: root + "/backup", logger: TestLogs.silent)
            }
            #expect(error.kind == .backupObjectCorrupt && error.message.contains(victim.address.description))
            // Nothing half-restored: no database, no key, no object.
            let left = FileManager.default.enumerator(atPath: target.absoluteDataDirectory)?.allObjects as? [String] ?? []
            #expect(left.isEmpty, "left behind: \(left)")
            #expect(!pushed.isEmpty)
            // A damaged snapshot is refused before anything is written.
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: root + "/backup/metadata.sqlite"))
            let invalid = try await #require(throws: ControlPlaneError.self) {
                _ = try await StoreAdministration.restore(target, from: root + "/backup", logger: TestLogs.silent)
            }
            #expect(invalid.kind == .backupInvalid)
        }
    }

    @Test("fsck reports a removed object and a stray past the grace period, and a young stray as not a fault")
    func fsckReportsDamage() async throws {
        try await Self.withStore { configuration, controlPlane, _ in
            #expect(try await StoreAdministration.fsck(configuration, logger: TestLogs.silent).isClean)
            let blobs = configuration.absoluteDataDirectory + "/blobs/"
            let small = ContentAddress(Digest.blake3(of: Self.content(1000, size: 100)))
            try FileManager.default.removeItem(atPath: blobs + small.storageKey)
            // Bytes no row knows, written three days ago (a crash's leftover), and a young one.
            let old = ContentAddress(Digest.blake3(of: Array("stray".utf8)))
            let young = ContentAddress(Digest.blake3(of: Array("in flight".utf8)))
            for (address, text) in [(old, "stray"), (young, "in flight")] {
                try FileManager.default.createDirectory(
                    atPath: blobs + (address.storageKey as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                try Data(text.utf8).write(to: URL(fileURLWithPath: blobs + address.storageKey))
            }
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-3 * 86_400)],
                ofItemAtPath: blobs + old.storageKey
            )
            let report = try await StoreAdministration.fsck(configuration, logger: TestLogs.silent)
            #expect(!report.isClean)
            #expect(report.missingCount == 1 && report.damaged.first?.address == small && report.damaged.first?.problem == .missing)
            #expect(report.strayCount == 2 && report.straysPastGrace == 1 && report.straysRemoved == 0)
            let strays = Dictionary(uniqueKeysWithValues: report.strays.map { ($0.object.address, $0.pastGrace) })
            #expect(strays[old] == true && strays[young] == false)
            // fsck changed nothing.
            #expect(FileManager.default.fileExists(atPath: blobs + old.storageKey))
            _ = controlPlane
        }
    }

    @Test("a PostgreSQL store is not snapshotted by admin backup: it says to use pg_dump")
    func backupRefusesPostgreSQL() async throws {
        guard let url = TestDatabase.postgresURL, TestDatabase.postgres.isAvailable() else { return }
        let (location, cleanup) = try await TestDatabase.postgres.makeLocation()
        guard case .postgres(let postgres) = location, let schema = postgres.schema else {
            fatalError("a PostgreSQL location has a schema")
        }
        var configuration = Self.configuration(dataDirectory: Self.directory())
        configuration.database = url + (url.contains("?") ? "&" : "?") + "schema=" + schema
        let destination = Self.directory()
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.absoluteDataDirectory + "/blobs",
                withIntermediateDirectories: true
            )
            let error = try await #require(throws: ControlPlaneError.self) {
                _ = try await StoreAdministration.backup(configuration, to: destination, logger: TestLogs.silent)
            }
            #expect(error.kind == .backupUnsupported && error.message.contains("pg_dump"))
            #expect(!FileManager.default.fileExists(atPath: destination))
        } catch {
            try? FileManager.default.removeItem(atPath: configuration.absoluteDataDirectory)
            await cleanup()
            throw error
        }
        try? FileManager.default.removeItem(atPath: configuration.absoluteDataDirectory)
        await cleanup()
    }

    /// Runs `arguments` (a tool on PATH through /usr/bin/env) and returns its status and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// docs/operations.md, "PostgreSQL": the metadata with pg_dump first, then the bytes; the
    /// schema lost, restored with pg_restore, and the store proved by fsck and read back.
    @Test("PostgreSQL: pg_dump of the store's schema, then its objects; restored with pg_restore after the schema is lost, fsck clean")
    func pgDumpProcedure() async throws {
        guard let url = TestDatabase.postgresURL, TestDatabase.postgres.isAvailable() else { return }
        guard (try? Self.run(["pg_dump", "--version"]))?.status == 0 else {
            print("PostgreSQL backup procedure SKIPPED: pg_dump is not on PATH")
            return
        }
        let (location, cleanup) = try await TestDatabase.postgres.makeLocation()
        guard case .postgres(let postgres) = location, let schema = postgres.schema else {
            fatalError("a PostgreSQL location has a schema")
        }
        let root = Self.directory()
        var configuration = Self.configuration(dataDirectory: root + "/data")
        configuration.database = url + (url.contains("?") ? "&" : "?") + "schema=" + schema
        do {
            let controlPlane = try await ServeApplication.openControlPlane(configuration, logger: TestLogs.silent)
            var pushed: [String: [String: [UInt8]]] = [:]
            do {
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                for version in 0..<2 {
                    let files = ["big": Self.content(50 + version, size: 1_300_000), "small": Self.content(60 + version, size: 10)]
                    try await Self.push(controlPlane, "\(version)", files: files)
                    pushed["\(version)"] = files
                }
            } catch {
                await controlPlane.close()
                throw error
            }
            await controlPlane.close()
            // 1. The metadata (the server may keep running: pg_dump reads one snapshot).
            try FileManager.default.createDirectory(atPath: root + "/backup", withIntermediateDirectories: true)
            let dump = try Self.run([
                "pg_dump", "--format=custom", "--no-owner", "--schema=\(schema)", "--file=\(root)/backup/metadata.dump", url,
            ])
            #expect(dump.status == 0, "pg_dump: \(dump.output)")
            // 2. Then the bytes (for S3: the bucket's versions as of that time).
            try FileManager.default.copyItem(atPath: root + "/data", toPath: root + "/backup/data")
            // Disaster: the schema is gone. 3. pg_restore recreates it; the bytes go back.
            let drop = try Self.run(["psql", url, "--quiet", "--command=DROP SCHEMA \"\(schema)\" CASCADE"])
            #expect(drop.status == 0, "psql: \(drop.output)")
            let restore = try Self.run(["pg_restore", "--no-owner", "--dbname=\(url)", root + "/backup/metadata.dump"])
            #expect(restore.status == 0, "pg_restore: \(restore.output)")
            var restored = configuration
            restored.dataDirectory = root + "/restored"
            try FileManager.default.copyItem(atPath: root + "/backup/data", toPath: root + "/restored")
            let fsck = try await StoreAdministration.fsck(restored, logger: TestLogs.silent)
            #expect(fsck.isClean && fsck.blobsVerified == 4 && fsck.strayCount == 0)
            let reopened = try await ServeApplication.openControlPlane(restored, logger: TestLogs.silent)
            for (version, files) in pushed {
                for (path, bytes) in files { #expect(try await Self.read(reopened, version, path) == bytes) }
            }
            await reopened.close()
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            await cleanup()
            throw error
        }
        try? FileManager.default.removeItem(atPath: root)
        await cleanup()
    }
}

/// What the pushers of a test share: the versions acknowledged, with their files, and when to stop.
final class Pushes: Sendable {
    let acknowledged: Mutex<[String: [String: [UInt8]]]>
    let stop = Mutex(false)

    init(_ initial: [String: [String: [UInt8]]]) {
        acknowledged = Mutex(initial)
    }
}

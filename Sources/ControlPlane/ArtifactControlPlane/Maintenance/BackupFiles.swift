import Crypto
import Foundation

/// The file operations backup and restore share, each failing with a ``ControlPlaneError`` whose
/// message names the file and what to do, never a Foundation error's text.
enum BackupFiles {
    /// Refuses `directory` unless it does not exist or is an empty directory.
    static func requireEmpty(_ directory: String, code: ControlPlaneError.Code, what: String) throws(ControlPlaneError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw ControlPlaneError(code, "the \(what) \"\(directory)\" is a file; name a new or empty directory")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard entries.isEmpty else {
            throw ControlPlaneError(
                code,
                "the \(what) \"\(directory)\" is not empty (\(entries.count) entries); name a new or empty directory. Nothing was written"
            )
        }
    }

    /// Refuses a file that exists at `path`.
    static func requireAbsent(_ path: String, code: ControlPlaneError.Code, what: String) throws(ControlPlaneError) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ControlPlaneError(code, "the \(what) \"\(path)\" already exists; restore only into a new store. Nothing was written")
        }
    }

    /// Removes everything inside `directory` (and it too when `andItself`): undoing what a failed
    /// backup or restore wrote into a directory that was empty.
    static func removeContents(of directory: String, andItself: Bool) {
        if andItself {
            try? FileManager.default.removeItem(atPath: directory)
            return
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            try? FileManager.default.removeItem(atPath: directory + "/" + entry)
        }
    }

    /// Removes an SQLite database's `-wal` and `-shm` files, left empty after its last close.
    static func removeJournal(of path: String) {
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Copies `source` to the new file `destination`, readable by its owner only.
    static func copyPrivate(_ source: String, to destination: String) throws(ControlPlaneError) {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: source))
            guard FileManager.default.createFile(atPath: destination, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw ControlPlaneError(.database, "cannot write \"\(destination)\": check the directory's permissions and free space")
            }
        } catch let error as ControlPlaneError {
            throw error
        } catch {
            throw ControlPlaneError(.database, "cannot read \"\(source)\": check that it exists and is readable", underlying: error)
        }
    }

    /// Copies `source` to `destination` through a temporary name beside it, so the destination
    /// either does not exist or is complete.
    static func copyAtomically(_ source: String, to destination: String) throws(ControlPlaneError) {
        let temporary = destination + ".restoring"
        do {
            try? FileManager.default.removeItem(atPath: temporary)
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
            try FileManager.default.moveItem(atPath: temporary, toPath: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ControlPlaneError(
                .database,
                "cannot copy \"\(source)\" to \"\(destination)\": check permissions and free space",
                underlying: error
            )
        }
    }

    /// Writes `data` to `path` through a temporary name beside it.
    static func writeAtomically(_ data: Data, to path: String) throws(ControlPlaneError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ControlPlaneError(.database, "cannot write \"\(path)\": check permissions and free space", underlying: error)
        }
    }

    /// The SHA-256 of the file at `path`, read 1 MiB at a time.
    static func sha256(of path: String) throws(ControlPlaneError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ControlPlaneError(.backupInvalid, "cannot read \"\(path)\"")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw ControlPlaneError(.backupInvalid, "cannot read \"\(path)\" to the end", underlying: error)
        }
        return AuditKeyring.lowercaseHex(hasher.finalize())
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

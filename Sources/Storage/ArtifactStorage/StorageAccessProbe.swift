public import ArtifactStoreCore
import NIOCore

/// The probe behind every connector's `verifyAccess(user:permissions:)`.
///
/// Writes a small uniquely named object at the top of the root, reads it back, checks the mode
/// and owner when asked and when the backend reports them, and deletes it. Each step that fails
/// is `accessDenied` naming the step, with the backend's error as the cause. Shared so every
/// backend probes the same way.
public enum StorageAccessProbe {
    /// Runs the probe against `backend`.
    public static func run(on backend: any StorageBackend, user: String?, permissions: UInt32?) async throws(StorageError) {
        if let permissions, permissions > 0o7777 {
            throw StorageError(.invalidConfiguration, "mode 0o\(String(permissions, radix: 8)) has bits above 0o7777")
        }
        var token = ""
        for _ in 0..<16 { token.append(String(UInt8.random(in: 0...15), radix: 16)) }
        let path = try StoragePath(".artifactstore-probe-" + token)
        let payload = "artifactstore access probe \(token)\n"
        let owner = user.map { StorageOwner(user: $0) }
        let expectedOwner = try owner?.resolved()

        func fail(_ step: String, _ error: StorageError) -> StorageError {
            if error.kind == .invalidConfiguration { return error }
            return StorageError(.accessDenied, "access probe failed to \(step): \(error.message)", path: path.string, underlying: error)
        }

        let info: StorageObjectInfo
        do throws(StorageError) {
            info = try await backend.write(
                path,
                from: ByteStream(ByteBuffer(string: payload)),
                options: StorageWriteOptions(mode: permissions, owner: owner, overwrite: false)
            )
        } catch {
            throw fail("create and write a probe object", error)
        }

        do throws(StorageError) {
            var readBack = ByteBuffer()
            do {
                for try await var chunk in try await backend.read(path) { readBack.writeBuffer(&chunk) }
            } catch let error as StorageError {
                throw fail("read the probe object back", error)
            } catch {
                throw fail("read the probe object back", StorageError(.io, "\(error)", underlying: error))
            }
            guard readBack.readableBytes == payload.utf8.count, readBack.readString(length: readBack.readableBytes) == payload else {
                throw StorageError(.accessDenied, "access probe read back different bytes than it wrote", path: path.string)
            }
            let stat: StorageObjectInfo
            do throws(StorageError) { stat = try await backend.stat(path) } catch { throw fail("stat the probe object", error) }
            if let permissions, let mode = stat.mode ?? info.mode, mode & 0o7777 != permissions {
                throw StorageError(
                    .accessDenied,
                    "probe object has mode 0o\(String(mode & 0o7777, radix: 8)), not the requested 0o\(String(permissions, radix: 8))",
                    path: path.string
                )
            }
            if let user, let wanted = expectedOwner?.uid, let uid = stat.uid ?? info.uid, uid != wanted {
                throw StorageError(
                    .accessDenied,
                    "probe object is owned by uid \(uid), not by \"\(user)\" (uid \(wanted))",
                    path: path.string
                )
            }
        } catch {
            try? await backend.delete(path)
            throw error
        }

        do throws(StorageError) { try await backend.delete(path) } catch { throw fail("delete the probe object", error) }
    }
}

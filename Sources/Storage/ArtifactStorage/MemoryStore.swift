import Foundation
import NIOCore
import Synchronization

/// The shared state behind one named (or anonymous) in-memory store.
///
/// Objects are keyed by the path's UTF-8 bytes. Directories are tracked explicitly, the way a
/// filesystem keeps them: writing an object creates its parent directories, deleting an object
/// leaves them, and `removeDirectory` removes only empty ones.
final class MemoryStore: Sendable {
    struct Object: Sendable {
        var path: StoragePath
        var bytes: ByteBuffer
        var modified: Date
        var mode: UInt32?
        var uid: UInt32?
        var gid: UInt32?

        var info: StorageObjectInfo {
            StorageObjectInfo(path: path, size: UInt64(bytes.readableBytes), modified: modified, mode: mode, uid: uid, gid: gid)
        }
    }

    struct State: Sendable {
        var objects: [[UInt8]: Object] = [:]
        var directories: [[UInt8]: StoragePath] = [:]
    }

    let name: String?
    let state = Mutex(State())

    init(name: String?) {
        self.name = name
    }
}

/// The process-wide table of named memory stores: every `memory://name` connector and every
/// ``MemoryBackend`` made with the same name share one store.
public enum MemoryStoreRegistry {
    private static let stores = Mutex<[String: MemoryStore]>([:])

    static func store(named name: String) -> MemoryStore {
        stores.withLock { stores in
            if let store = stores[name] { return store }
            let store = MemoryStore(name: name)
            stores[name] = store
            return store
        }
    }

    /// Whether a store of that name exists in this process.
    public static func contains(_ name: String) -> Bool {
        stores.withLock { $0[name] != nil }
    }

    /// Forgets the store named `name` (its bytes go once the last backend using it is gone).
    public static func remove(_ name: String) {
        _ = stores.withLock { $0.removeValue(forKey: name) }
    }

    /// Checks a store name: 1–128 characters of `A–Z a–z 0–9 . _ -`.
    public static func validate(name: String) throws(StorageError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 128, allowed else {
            throw StorageError(
                .invalidConfiguration,
                "memory store name \(StoragePath.quote(name)) must be 1-128 characters of A-Z a-z 0-9 . _ -"
            )
        }
    }
}

public import ArtifactStoreCore
public import NIOCore

/// What a backend can tell, without reading an object, about whether its bytes may have changed.
///
/// Exists so a reader that has already proved an object's bytes (by hashing them) can prove a
/// later read of the same, unchanged object without hashing it again, the way git trusts its
/// index. Two equal stamps of one path promise that no write, truncation, replacement or rename
/// reached the object in between, as far as the backend's own metadata can tell. They do not
/// promise the device kept the bytes intact: silent media corruption leaves the stamp alone, so
/// trust in a stamp must expire and periodic verification must still re-hash.
///
/// On a POSIX file system the stamp is (device, inode, size, modification time, change time).
/// The change time (`ctime`) cannot be set by any unprivileged call, so a write always moves it;
/// it advances in steps of the kernel's coarse clock, which ``changeTimeNanoseconds`` lets a
/// caller account for (see ``isSettled(before:margin:)``).
public struct StorageChangeStamp: Sendable, Hashable, CustomStringConvertible {
    /// The object's size in bytes.
    public var size: UInt64
    /// When the object's metadata last changed, in nanoseconds since 1970.
    public var changeTimeNanoseconds: Int64
    /// Backend-specific identity of the object's current incarnation (device, inode,
    /// modification time, …), compared as a whole.
    public var identity: [UInt64]

    public init(size: UInt64, changeTimeNanoseconds: Int64, identity: [UInt64]) {
        self.size = size
        self.changeTimeNanoseconds = changeTimeNanoseconds
        self.identity = identity
    }

    /// Whether the last change lies at least `margin` before `instant` (nanoseconds since 1970).
    ///
    /// A stamp taken too close to its object's last change is "racily clean": a second write in
    /// the same tick of the coarse clock could leave the change time where it was. Only a settled
    /// stamp may be trusted later; with a margin above one clock tick, any write after `instant`
    /// is bound to produce a different stamp.
    public func isSettled(before instant: Int64, margin: Int64) -> Bool {
        changeTimeNanoseconds <= instant - margin
    }

    /// Whether `other` stamps the same incarnation of the same bytes: equal size and identity,
    /// whatever the change time says (a rename or a permission change moves only that).
    public func isSameIncarnation(as other: StorageChangeStamp) -> Bool {
        size == other.size && identity == other.identity
    }

    public var description: String {
        "size \(size), changed \(changeTimeNanoseconds) ns, identity \(identity.map(String.init).joined(separator: ":"))"
    }
}

/// A read together with the stamp of the object as it was opened.
public struct StampedRead: Sendable {
    /// The bytes. If the object's stamp differs when the last byte has been read, the stream
    /// throws `io` instead of ending, so a reader never takes a changed object for the stamped one.
    public var bytes: ByteStream
    /// The stamp when the object was opened.
    public var stamp: StorageChangeStamp

    public init(bytes: ByteStream, stamp: StorageChangeStamp) {
        self.bytes = bytes
        self.stamp = stamp
    }
}

/// A backend that stamps its reads (see ``StorageChangeStamp``). Backends that cannot tell
/// cheaply whether an object changed (object stores, memory) simply do not conform, and readers
/// fall back to hashing every read.
public protocol StorageChangeStamping: StorageBackend {
    /// Opens the object at `path` like ``StorageBackend/read(_:range:)`` and stamps it.
    func readStamped(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> StampedRead

    /// ``StorageBackend/stat(_:)`` with the object's stamp, in one look-up.
    func statStamped(_ path: StoragePath) async throws(StorageError) -> StampedObjectInfo

    /// The whole object in one buffer when it holds at most `limit` bytes, else the object opened
    /// as ``readStamped(_:range:)`` opens it.
    ///
    /// Exists because a small object is read whole anyway (to be proved before its status line),
    /// and a backend that can open, stamp and read it in one step saves the reader the hand-offs a
    /// stream costs. A `.whole` answer promises the object's stamp was the same before and after
    /// its bytes were read, so the buffer is the stamped incarnation's content.
    func readStamped(_ path: StoragePath, wholeUpTo limit: UInt64) async throws(StorageError) -> StampedObjectRead

    /// Whether every change made to an object after its stamp was taken moves the stamp, even
    /// one in the same tick of a coarse clock (see ``StorageChangeStamp/isSettled(before:margin:)``).
    ///
    /// Only then may the stamp of an object just written be trusted at once: a reader that
    /// hashed the bytes as they were written knows them, and a later change cannot hide.
    var stampsEveryLaterChange: Bool { get }

    /// ``StorageBackend/write(_:from:options:)``, answering also the stamp of the object it
    /// wrote, taken once the object has its name (so a rename does not move it later) from the
    /// object itself, not by looking the path up again.
    func writeStamped(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError) -> StampedObjectInfo
}

extension StorageChangeStamping {
    /// Opens the object as a stream; backends that can read a small object in one step override it.
    public func readStamped(_ path: StoragePath, wholeUpTo limit: UInt64) async throws(StorageError) -> StampedObjectRead {
        .streamed(try await readStamped(path, range: nil))
    }
}

/// What ``StorageChangeStamping/readStamped(_:wholeUpTo:)`` found.
public enum StampedObjectRead: Sendable {
    /// The whole object, read in one step; its stamp did not move while it was read.
    case whole(ByteBuffer, StorageChangeStamp)
    /// The object opened as a stream (larger than the limit, or a backend that streams only).
    case streamed(StampedRead)
}

/// An object's information together with its stamp, taken in one look-up.
public struct StampedObjectInfo: Sendable {
    public var info: StorageObjectInfo
    public var stamp: StorageChangeStamp

    public init(info: StorageObjectInfo, stamp: StorageChangeStamp) {
        self.info = info
        self.stamp = stamp
    }
}

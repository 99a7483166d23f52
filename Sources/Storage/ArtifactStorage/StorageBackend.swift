public import ArtifactStoreCore

/// A place that keeps bytes under relative paths: a directory, a memory store, an S3 prefix.
///
/// Every path is a ``StoragePath`` relative to the backend's root; a backend never reads, writes,
/// lists or deletes anything outside that root. Bytes flow as ``ByteStream``s in both directions
/// so memory stays bounded whatever the object's size.
///
/// Promises every implementation keeps (checked by `ArtifactStorageConformance`):
/// - `write` is atomic: a concurrent reader sees the old object or the complete new one, never
///   a part, and a failed or cancelled write leaves the old state (and no temporary) behind.
/// - `read` with a range returns exactly the inclusive byte range; a range outside the object is
///   `invalidRange`.
/// - Missing objects are `objectNotFound`; errors carry the codes of ``StorageError/Code``.
/// - `list` returns entries in byte-wise path order, at most `limit` per page, and a cursor that
///   continues after the last entry returned.
///
/// Conventions the conformance suite pins down, so every backend answers alike:
/// - A write whose byte stream throws, or whose task is cancelled, throws `io` and stores nothing.
/// - Paths are compared by their UTF-8 bytes: NFC and NFD spellings of a name are two objects.
/// - `write` onto a directory, beneath an object, or (without overwrite) onto an object is
///   `alreadyExists`; `delete` or `stat` of a directory is `objectNotFound`; `move` onto itself
///   succeeds with `overwrite` and is `alreadyExists` without it.
/// - Listing a prefix that does not exist, or that is an object, returns an empty page; a
///   `limit` below 1 is treated as 1.
/// - A mode above `0o7777` is `invalidConfiguration`, as is an owner naming an unknown user.
///
/// Staged objects are built by appends, each durable before it is acknowledged, and then
/// committed under a name in one step: how a resumable upload (OCI `PATCH`) is stored without
/// writing its bytes twice. A staged object's path belongs to it until it is committed or
/// discarded: the other operations must not be used on that path meanwhile.
public protocol StorageBackend: Sendable {
    /// Streams the object at `path`, whole or the inclusive byte `range`.
    ///
    /// Errors surface either from this call (`objectNotFound`, `invalidRange`) or while iterating.
    func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream

    /// Atomically replaces (or creates) the object at `path` with the bytes of `bytes`.
    ///
    /// Parent directories are created as needed. Returns the stored object's metadata.
    @discardableResult
    func write(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError)
        -> StorageObjectInfo

    /// Removes the object at `path`; `objectNotFound` if there is none.
    func delete(_ path: StoragePath) async throws(StorageError)

    /// Whether an object (not a directory) exists at `path`.
    func exists(_ path: StoragePath) async throws(StorageError) -> Bool

    /// Size and modification time of the object at `path`.
    func stat(_ path: StoragePath) async throws(StorageError) -> StorageObjectInfo

    /// Returns once the object at `path`, and the names that lead to it, survive a crash;
    /// `objectNotFound` if there is none.
    ///
    /// A write is durable when it returns, but another writer's object can be seen before
    /// its writer has made its name durable (a file system shows a renamed file at once, and
    /// fsyncs its directory after). Whoever acknowledges an object it did not write itself (a
    /// duplicate upload finding the object stored) calls this first, so it never acknowledges
    /// what a crash could still take away.
    func makeDurable(_ path: StoragePath) async throws(StorageError)

    /// One page of the entries under `prefix` (the root when `nil`).
    ///
    /// Non-recursive listings return the immediate children, directories included (with
    /// ``StorageEntry/Kind/directory``); recursive listings return every object beneath `prefix`
    /// and no directories. `cursor` is the ``StorageListPage/nextCursor`` of the previous page.
    func list(
        under prefix: StoragePath?,
        recursive: Bool,
        limit: Int,
        cursor: String?
    ) async throws(StorageError)
        -> StorageListPage

    /// Creates the directory at `path` (and its parents). Succeeds if it already exists;
    /// `alreadyExists` if an object is there. Backends without directories (S3) accept and ignore it.
    func makeDirectory(_ path: StoragePath) async throws(StorageError)

    /// Removes the empty directory at `path`; `objectNotFound` if missing, `io` if not empty.
    func removeDirectory(_ path: StoragePath) async throws(StorageError)

    /// Moves the object at `source` to `destination`, replacing it only if `options.overwrite`
    /// (otherwise `alreadyExists`). After success `source` no longer exists, and the
    /// destination survives a crash (the source's removal too, unless `options.durableSource`
    /// is `false`).
    func move(from source: StoragePath, to destination: StoragePath, options: StorageMoveOptions) async throws(StorageError)

    /// Reports whether the backend is usable and, where known, its free space.
    func health() async -> StorageHealth

    /// Removes what interrupted writes left inside the backend itself (partial files of an atomic
    /// write, incomplete multipart uploads) that `rule` allows removing. Returns how many were
    /// removed. Never touches a committed object. Backends that leave nothing behind keep the
    /// default, which removes nothing.
    func removeAbandonedTemporaries(_ rule: AbandonedTemporaryRule) async throws(StorageError) -> Int

    // MARK: Staged objects (StorageBackend+StagedObjects.swift)

    /// Appends `bytes` to the staged object at `path` from byte `offset`, creating it when
    /// `offset` is 0, and returns its new length. The bytes are durable when this returns.
    /// Bytes past `offset` that an earlier append left (one whose caller never acknowledged it)
    /// are dropped first; an `offset` past the staged length is `invalidRange` and changes nothing.
    /// A failed or cancelled append throws (`io` for the stream's failure, as `write`) and leaves the
    /// staged object's first `offset` bytes as they were, and nothing after them.
    func appendStaged(_ path: StoragePath, at offset: UInt64, from bytes: ByteStream) async throws(StorageError) -> UInt64

    /// The length of the staged object at `path`, or `nil` when there is none.
    func stagedLength(_ path: StoragePath) async throws(StorageError) -> UInt64?

    /// Streams the staged object at `path`, whole or the inclusive byte `range` (`invalidRange`
    /// outside it; `notFound` when there is none).
    func readStaged(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream

    /// Makes the first `length` bytes of the staged object at `path` the object at `destination`,
    /// atomically as ``write(_:from:options:)`` does (`alreadyExists` without `options.overwrite`
    /// when an object is there, and the staged object is then kept), and removes the staged object.
    /// Backends compose the object without reading it back where they can.
    @discardableResult
    func commitStaged(
        _ path: StoragePath,
        length: UInt64,
        to destination: StoragePath,
        options: StorageWriteOptions
    )
        async throws(StorageError) -> StorageObjectInfo

    /// Removes the staged object at `path`; succeeds when there is none.
    func discardStaged(_ path: StoragePath) async throws(StorageError)
}

extension StorageBackend {
    public func removeAbandonedTemporaries(_ rule: AbandonedTemporaryRule) async throws(StorageError) -> Int { 0 }

    /// For a backend whose objects are durable once anyone can see them (S3 answers a `PUT`
    /// only once the object is stored; memory has nothing to lose to a crash): the object's
    /// existence is all there is to check.
    public func makeDurable(_ path: StoragePath) async throws(StorageError) {
        _ = try await stat(path)
    }
}

extension StorageBackend {
    /// Streams the whole object at `path`.
    public func read(_ path: StoragePath) async throws(StorageError) -> ByteStream {
        try await read(path, range: nil)
    }

    /// Moves with durable source and destination; `overwrite` as ``StorageMoveOptions/overwrite``.
    public func move(from source: StoragePath, to destination: StoragePath, overwrite: Bool) async throws(StorageError) {
        try await move(from: source, to: destination, options: StorageMoveOptions(overwrite: overwrite))
    }

    /// Writes with default options.
    @discardableResult
    public func write(_ path: StoragePath, from bytes: ByteStream) async throws(StorageError) -> StorageObjectInfo {
        try await write(path, from: bytes, options: StorageWriteOptions())
    }
}

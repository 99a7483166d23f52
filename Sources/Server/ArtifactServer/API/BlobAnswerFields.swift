import Synchronization

/// The header fields of a blob's answers that depend only on the blob, built once per blob and
/// kept: its `ETag`, digests and length.
///
/// Exists because swift-http-types validates every value given to `HTTPField(name:value:)`, byte
/// by byte, and these values are long (a quoted address, a base64 SHA-256 twice): with writing
/// the digests out, about 5,000 instructions of every blob GET and HEAD. They are a function of
/// the blob's content address (its size and SHA-256 are those of the bytes it names), so a kept
/// entry is never stale, whatever happens to the blob; whether the blob may be served is decided
/// before, every time.
///
/// Bounded: at ``capacity`` entries the table is emptied and refilled, so memory stays small and
/// a lookup stays one hash and one lock.
///
/// Each API keeps its own `Fields`: `/v1` (``APIHandlers/BlobFields``) and `/v2`
/// (``OCIDistributionAPI/BlobFields``) answer with different fields.
final class BlobAnswerFields<Key: Hashable & Sendable, Fields: Sendable>: Sendable {
    static var capacity: Int { 4096 }

    private let table = Mutex<[Key: Fields]>([:])

    /// The fields of the blob `key` names, built by `make` the first time.
    func fields(for key: Key, make: () -> Fields) -> Fields {
        if let kept = table.withLock({ $0[key] }) { return kept }
        let made = make()
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[key] = made
        }
        return made
    }

    /// Entries kept, for tests.
    var count: Int { table.withLock { $0.count } }
}

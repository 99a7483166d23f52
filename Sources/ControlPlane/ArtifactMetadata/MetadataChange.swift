/// What a ``MetadataStore`` tells its subscribers about changes to the database, including
/// changes other processes made.
///
/// Exists so that whatever a process caches from the database (authorisations, blob facts) can
/// be dropped when the database changes under it, instead of being trusted only for a short
/// lifetime. See ``MetadataStore/subscribe(_:)`` for when each arrives.
public enum MetadataChange: Sendable, Hashable {
    /// A transaction that committed (in this process or another sharing the database) published
    /// `message` through ``MetadataStore/publish(_:in:)``.
    case published(String)
    /// The database changed in ways that were not described (on SQLite: another process wrote
    /// to the file). Forget everything cached.
    case undescribed
    /// Changes can no longer be heard (the PostgreSQL notification connection dropped, or is not
    /// up yet): forget everything and cache nothing until ``resumed``.
    case lost
    /// Changes are heard again from now on: forget what was cached before (it may have missed
    /// some), then cache again.
    case resumed
}

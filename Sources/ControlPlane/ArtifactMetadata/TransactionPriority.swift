/// How a PostgreSQL transaction yields to others that keep losing serialization conflicts.
///
/// Exists because serializable transactions that conflict are settled by cancelling one of
/// them, and nothing makes that fair: the garbage collector runs many short transactions back
/// to back over the same rows a push writes, and a push (a longer transaction) could lose to
/// them on every re-run until it gave up (seen in the GC stress test under load).
///
/// Promise: a transaction that has failed ``TransactionTurn/contestedAttempts`` times runs its
/// later attempts holding the store's turn lock exclusively (a session advisory lock, taken
/// before BEGIN so the transaction's snapshot is taken only once it holds the lock). While it
/// does, no `.background` transaction and no other contested transaction runs: each
/// `.background` attempt holds the same lock in shared mode. Uncontested `.normal` transactions
/// never touch the lock, so the common path costs nothing. On SQLite, which runs one writer at
/// a time, the priority changes nothing.
public enum TransactionPriority: Sendable, Hashable {
    /// Requests and everything a user waits on.
    case normal
    /// Work that can wait, such as the garbage collector's pages: it steps aside whenever a
    /// contested transaction takes its turn.
    case background
}

/// Which turn lock one attempt of a PostgreSQL transaction takes, if any.
struct TransactionTurn: Sendable, Hashable {
    /// How many serialization failures a transaction suffers before it takes a turn of its own.
    static let contestedAttempts = 3

    var priority: TransactionPriority
    var attempt: Int

    /// Whether this attempt runs with the turn lock held exclusively.
    var isExclusive: Bool { attempt > Self.contestedAttempts }

    /// The advisory-lock function that takes the lock for this attempt; `nil` for none.
    var lockFunction: String? {
        if isExclusive { return "pg_advisory_lock" }
        return priority == .background ? "pg_advisory_lock_shared" : nil
    }

    /// The function that releases what ``lockFunction`` took.
    var unlockFunction: String? {
        if isExclusive { return "pg_advisory_unlock" }
        return priority == .background ? "pg_advisory_unlock_shared" : nil
    }
}

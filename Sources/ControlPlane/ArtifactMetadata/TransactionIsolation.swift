/// How a PostgreSQL transaction is isolated from the others running at the same time.
///
/// Every transaction is serializable unless its writer proves it needs less. `.snapshot` exists
/// for a single designated writer whose every conflict is a write to the same row as another's
/// (the audit sequencer's compare-and-set of the chain head and its deletion of exactly the
/// pending rows it read; the usage fold's deletion of the changes it adds up): PostgreSQL's
/// repeatable read refuses such a second writer ("could not serialize access due to concurrent
/// update", re-run like any serialization failure), and the transaction takes no part in
/// serializable snapshot isolation's read/write tracking, so the many serializable writers whose
/// new rows it reads are never cancelled on its account. SQLite runs one writer at a time, so
/// both levels are the same there.
public enum TransactionIsolation: Sendable, Hashable {
    /// `ISOLATION LEVEL SERIALIZABLE`: the default.
    case serializable
    /// `ISOLATION LEVEL REPEATABLE READ`: one snapshot, first writer of a row wins.
    case snapshot

    /// The statement that begins a PostgreSQL transaction at this level.
    var postgresBegin: String {
        switch self {
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        case .snapshot: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        }
    }
}

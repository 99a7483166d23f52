import Synchronization

/// The audit writer of one control-plane transaction: the keys its pending records are MAC'd
/// with, and whether it wrote one.
///
/// Exists so a commit wakes the audit sequencer only when it left a record to seal. Claims,
/// prunes and lease bookkeeping of the background services write none; waking the sequencer
/// after each of them cost a seal round (a lock and a transaction) several times a second on
/// every idle node.
final class AuditWriter: Sendable {
    let keys: AuditKeyring
    private let wrote = Atomic(false)

    init(keys: AuditKeyring) {
        self.keys = keys
    }

    /// Whether an attempt of the transaction appended a record (one that was rolled back and
    /// re-run counts too: at worst the sequencer runs a round for nothing).
    var appended: Bool { wrote.load(ordering: .acquiring) }

    func recordAppend() {
        wrote.store(true, ordering: .releasing)
    }
}

import ArtifactIdentity
import Synchronization

/// The running digests of the stages this process receives, keyed by backend and stage name, so
/// each piece is hashed once as it arrives (``LocalDataPlane``'s ``StagedIngesting``).
///
/// An entry is claimed for the length of one append or commit: a second call on the same stage
/// meanwhile is refused rather than interleaved. An entry is only a cache of what storage holds:
/// one that is missing (another process received the earlier pieces, this one restarted, or the
/// table evicted it) or that does not match the caller's offset is rebuilt from the staged bytes.
final class StagedIngestTable: Sendable {
    /// What has been hashed of one stage.
    struct Entry: Sendable {
        var length: UInt64
        /// The digests of the bytes so far; for a BLAKE3-addressed stage its BLAKE3 is an
        /// ``OutboardBuilder`` (``LocalDataPlane/digestState(primary:)``), the stage's outboard.
        let digests: DualDigestState

        /// The outboard of the bytes so far, for a BLAKE3-addressed stage.
        var outboard: OutboardBuilder? { digests.blake3Accumulator as? OutboardBuilder }
    }

    private enum Slot: Sendable {
        case idle(Entry)
        case claimed
    }

    /// Most idle entries kept; beyond it the oldest are dropped (and rebuilt if used again).
    static let capacity = 256

    private let slots = Mutex<(slots: [String: Slot], order: [String])>(([:], []))

    /// Claims the stage `key`: `nil` when it is claimed already; otherwise the entry it had, if any.
    func claim(_ key: String) -> Entry?? {
        slots.withLock { table in
            switch table.slots[key] {
            case .claimed:
                return .none
            case .idle(let entry):
                table.slots[key] = .claimed
                return .some(entry)
            case nil:
                table.slots[key] = .claimed
                return .some(nil)
            }
        }
    }

    /// Ends a claim, keeping `entry` (when the stage goes on) or forgetting the stage.
    func release(_ key: String, keeping entry: Entry?) {
        slots.withLock { table in
            table.order.removeAll { $0 == key }
            guard let entry else {
                table.slots[key] = nil
                return
            }
            table.slots[key] = .idle(entry)
            table.order.append(key)
            while table.order.count > Self.capacity {
                let oldest = table.order.removeFirst()
                if case .idle = table.slots[oldest] { table.slots[oldest] = nil }
            }
        }
    }
}

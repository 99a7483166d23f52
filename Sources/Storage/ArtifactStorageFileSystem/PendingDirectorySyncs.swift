import ArtifactStorage
import Synchronization

/// The directories this backend created whose entry in their parent may not be durable yet,
/// each with the ``DirectorySync`` that will make it so.
///
/// A write that creates `blobs/b3/ab/cd` starts the fsync of `blobs/b3/ab` and waits for it
/// before it answers. A second write into `blobs/b3/ab/cd` that starts a moment later finds the
/// directory already there, creates nothing, and would otherwise answer as soon as its own file
/// and `cd` are fsynced: before `cd`'s entry in `ab` is on the device. A crash then loses `cd`,
/// and with it an object that was acknowledged. So every write, after opening its directory,
/// also waits for the syncs still pending on that directory and each of its ancestors.
///
/// A sync is registered before its `mkdir`: a write that can see a directory can also see the
/// fsync it is waiting for. One that failed stays registered, so writes through that directory
/// keep failing (the entry may never reach the device) until the process restarts. Writers in
/// other processes sharing the root are not covered; a duplicate ingest makes its object
/// durable itself (``FileSystemBackend/makeDurable(_:)``).
final class PendingDirectorySyncs: Sendable {
    /// Pending syncs by the path of the directory created (relative to the root). A directory
    /// raced by several creators can have several, of which one really created it.
    private let pending = Mutex<[String: [DirectorySync]]>([:])

    /// A sync for creating the directory at `path`, registered until it ends. The caller must
    /// either start it or, when its `mkdir` created nothing, finish it.
    func register(_ path: String) -> DirectorySync {
        let sync = DirectorySync { [weak self] ended in self?.forget(ended, at: path) }
        pending.withLock { $0[path, default: []].append(sync) }
        return sync
    }

    private func forget(_ sync: DirectorySync, at path: String) {
        pending.withLock { pending in
            guard var syncs = pending[path] else { return }
            syncs.removeAll { $0 === sync }
            pending[path] = syncs.isEmpty ? nil : syncs
        }
    }

    /// The syncs still pending for the directory at `segments` and for each directory above it:
    /// what a write into that directory waits for before it is durable.
    func pending(along segments: some Collection<String>) -> [DirectorySync] {
        pending.withLock { pending in
            // Almost always: no directory is being created.
            guard !pending.isEmpty, !segments.isEmpty else { return [] }
            var found: [DirectorySync] = []
            var path = ""
            for segment in segments {
                path += path.isEmpty ? segment : "/" + segment
                if let syncs = pending[path] { found += syncs }
            }
            return found
        }
    }

    /// How many syncs are pending, for tests.
    var count: Int { pending.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}

public import ArtifactDataPlane
public import ArtifactIdentity
import Foundation

/// A file in a backend that no metadata row accounts for.
public struct StrayObject: Sendable, Hashable, Codable {
    /// Why no row accounts for it.
    public enum Reason: String, Sendable, Hashable, Codable {
        /// No blob row has its address: an ingest whose process died before linking, or bytes
        /// copied in by hand.
        case noRow
        /// Its row says the bytes were garbage-collected (`deleted`): an ingest of collected
        /// content that was never linked.
        case collected
        /// Its row places the blob in another backend: a copy nothing reads. Reported, never
        /// removed (moving a row between backends is an operator's decision).
        case otherBackend
        /// An outboard whose object is not in the backend.
        case objectMissing
        /// A name that is not a content address's: not the data plane's, reported and never removed.
        case unrecognisedName
    }

    public var object: StoredObject
    public var reason: Reason
    /// Whether its modification time is older than the GC grace period (the only strays a
    /// reconciler removes). A younger one may be an upload in flight.
    public var pastGrace: Bool
    /// Whether this run removed it.
    public var removed: Bool
}

/// A `live` blob row whose object is missing, or whose bytes do not prove its address.
public struct DamagedBlob: Sendable, Hashable, Codable {
    public enum Problem: String, Sendable, Hashable, Codable {
        /// The object is not in the row's backend (or the backend is not configured).
        case missing
        /// The object is there but its bytes do not hash to the address, or cannot be read.
        case corrupt
    }

    public var address: ContentAddress
    public var backendID: String
    public var size: UInt64
    public var problem: Problem
    /// What the data plane said.
    public var detail: String
}

/// What one reconciliation found and did.
///
/// Counts cover everything examined; the lists hold at most
/// ``ReconcileOptions/listLimit`` entries each (``truncated`` says when more were found), so
/// memory stays bounded whatever the damage.
public struct ReconcileReport: Sendable, Hashable, Codable {
    /// `false` when another collector or reconciler held the `gc` lock and this run did nothing.
    public var ran: Bool
    /// Object files listed (content under `blobs/`), in every backend.
    public var objectsListed = 0
    /// Outboard files listed (under `outboards/`).
    public var outboardsListed = 0
    /// `live` rows whose object was looked for.
    public var blobsChecked = 0
    /// Of those, the objects read whole and proved against their address (only with
    /// ``ReconcileOptions/verifiesBlobs``).
    public var blobsVerified = 0
    /// Stray files found, of any age.
    public var strayCount = 0
    /// Their bytes.
    public var strayBytes: UInt64 = 0
    /// Strays older than the grace period (the rest may be uploads in flight).
    public var straysPastGrace = 0
    /// Strays this run removed, and their bytes.
    public var straysRemoved = 0
    public var bytesRemoved: UInt64 = 0
    /// Removals the data plane refused; the claimed row stays `deleting` and the next
    /// garbage collection finishes it.
    public var removalsFailed = 0
    /// `live` rows whose object is missing.
    public var missingCount = 0
    /// `live` rows whose object failed its proof.
    public var corruptCount = 0
    public var strays: [StrayObject] = []
    public var damaged: [DamagedBlob] = []
    /// Whether a list was cut at the limit.
    public var truncated = false

    public init(ran: Bool) {
        self.ran = ran
    }

    /// Nothing wrong: no stray past the grace period, no missing or corrupt blob. (A stray
    /// within the grace period may be an upload in flight, so it is listed but not a fault.)
    public var isClean: Bool {
        straysPastGrace == 0 && missingCount == 0 && corruptCount == 0
    }

    mutating func record(_ stray: StrayObject, limit: Int) {
        strayCount += 1
        strayBytes += stray.object.size
        if stray.pastGrace { straysPastGrace += 1 }
        if stray.removed {
            straysRemoved += 1
            bytesRemoved += stray.object.size
        }
        if strays.count < limit { strays.append(stray) } else { truncated = true }
    }

    mutating func record(_ blob: DamagedBlob, limit: Int) {
        switch blob.problem {
        case .missing: missingCount += 1
        case .corrupt: corruptCount += 1
        }
        if damaged.count < limit { damaged.append(blob) } else { truncated = true }
    }
}

/// How a reconciliation runs.
public struct ReconcileOptions: Sendable, Hashable {
    /// Remove strays past the grace period (`serve`'s reconciler). `false` only reports
    /// (`artifactstore admin fsck`), and takes no lock.
    public var removesStrays: Bool
    /// Read every `live` blob whole and prove it against its address, instead of only looking
    /// for its object (`artifactstore admin fsck`: the cost is reading the store).
    public var verifiesBlobs: Bool
    /// Rows or listed files handled at once.
    public var pageSize: Int
    /// The most strays and damaged blobs listed in the report (all are counted).
    public var listLimit: Int

    public init(removesStrays: Bool, verifiesBlobs: Bool = false, pageSize: Int = 1000, listLimit: Int = 1000) {
        self.removesStrays = removesStrays
        self.verifiesBlobs = verifiesBlobs
        self.pageSize = pageSize
        self.listLimit = listLimit
    }
}

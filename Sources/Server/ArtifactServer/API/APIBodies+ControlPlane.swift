import ArtifactControlPlane
import ArtifactStoreAPI

// The contract's bodies (ArtifactStoreAPI) made from the control plane's results.

extension PageBody {
    init(_ page: Page<Item>) {
        self.init(items: page.items, nextCursor: page.nextCursor)
    }
}

extension BlobBody {
    init(_ blob: LinkedBlob) {
        self.init(address: blob.address, size: blob.size, sha256: blob.sha256, blake3: blob.blake3, deduplicated: blob.deduplicated)
    }
}

extension GarbageCollectionBody {
    init(_ report: GarbageCollectionReport) {
        self.init(
            ran: report.ran,
            dryRun: report.dryRun,
            linksExpired: report.linksExpired,
            blobsMarked: report.blobsMarked,
            blobsDeleted: report.blobsDeleted,
            bytesDeleted: report.bytesDeleted,
            deletionsFailed: report.deletionsFailed
        )
    }
}

extension ScrubBody {
    init(_ report: ScrubReport) {
        self.init(
            checked: report.checked,
            corrupted: report.corrupted,
            collected: report.collected,
            garbageCollectionRunning: report.garbageCollectionRunning,
            nextCursor: report.nextCursor
        )
    }
}

extension AuditChainBody {
    init(_ report: AuditChainReport) {
        self.init(
            intact: report.isIntact,
            recordsChecked: report.recordsChecked,
            recordsPending: report.recordsPending,
            firstFault: report.firstFault.map {
                Fault(sequence: $0.sequence, reason: $0.reason.rawValue, message: $0.message, pendingID: $0.pendingID)
            }
        )
    }
}

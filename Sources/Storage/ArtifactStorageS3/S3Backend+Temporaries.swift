public import ArtifactStorage
import Foundation
import Logging

extension S3Backend {
    /// Aborts the incomplete multipart uploads under this backend's prefix that `rule` allows
    /// removing: what a crash left of a large write. Returns how many were aborted.
    ///
    /// An upload's writer is the ``StorageWriterIdentity`` token its last key segment starts with
    /// (`<token>_…`, as the data plane names its temporaries), if any. An upload of another
    /// writer counts as still only from its newest part (ListParts), not its creation, so a long
    /// upload in flight on another node is never aborted while parts keep arriving.
    public func removeAbandonedTemporaries(_ rule: AbandonedTemporaryRule) async throws(StorageError) -> Int {
        let now = Date().timeIntervalSince1970
        var aborted = 0
        for upload in try await client.listMultipartUploads(prefix: rootKeyPrefix) {
            let segment = upload.key.split(separator: "/").last.map(String.init) ?? upload.key
            let writer = segment.firstIndex(of: "_").map { String(segment[..<$0]) }
            let initiated = upload.initiated?.timeIntervalSince1970
            // Cheap test first: an upload not old enough by its creation is not old enough by its parts.
            guard rule.allowsRemoving(writer: writer, modifiedAt: initiated, now: now) else { continue }
            let identity = writer.flatMap { StorageWriterIdentity(token: $0) }
            if identity?.isProvablyGone != true {
                let newest = try await client.lastPartModified(key: upload.key, uploadID: upload.uploadID)?.timeIntervalSince1970
                guard rule.allowsRemoving(writer: writer, modifiedAt: max(newest ?? 0, initiated ?? 0), now: now) else { continue }
            }
            do {
                try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
                aborted += 1
            } catch  where error.kind == .objectNotFound {
                continue  // finished or aborted by someone else meanwhile
            }
        }
        if aborted > 0 {
            logger.notice(
                "aborted abandoned multipart uploads",
                metadata: ["storage.bucket": "\(configuration.bucket)", "storage.aborted": "\(aborted)"]
            )
        }
        return aborted
    }
}

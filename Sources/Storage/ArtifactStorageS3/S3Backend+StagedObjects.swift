public import ArtifactStorage
public import ArtifactStoreCore

/// Staged objects on S3: each append is a segment object of its own (the default, as S3 cannot
/// append), and the commit composes the destination on the server with one multipart upload
/// whose parts are the segments copied in place (UploadPartCopy), so no byte passes through this
/// process again. S3 wants every part but the last to have at least 5 MiB: a staged object with
/// a smaller segment before its end (a client sending small chunks) is rewritten instead.
extension S3Backend {
    @discardableResult
    public func commitStaged(
        _ path: StoragePath,
        length: UInt64,
        to destination: StoragePath,
        options: StorageWriteOptions
    )
        async throws(StorageError) -> StorageObjectInfo
    {
        try options.validate(for: destination)
        let segments = try await stagedSegments(path).filter { $0.start < length && $0.size > 0 }
        let composable =
            segments.count >= 1 && options.mode == nil && options.owner == nil
            && segments.dropLast().allSatisfy { $0.size >= UInt64(S3Configuration.minimumPartSize) }
            && segments.allSatisfy { $0.size <= S3Configuration.maximumSingleCopySize }
            && segments.last.map { $0.start + $0.size >= length } == true
        guard composable else {
            return try await commitStagedByRewriting(path, length: length, to: destination, options: options)
        }
        if !options.overwrite, try await exists(destination) {
            throw StorageError(.alreadyExists, "an object exists at \"\(destination)\"", path: destination.string)
        }
        let destinationKey = key(for: destination)
        let uploadID = try await client.createMultipartUpload(key: destinationKey)
        do throws(StorageError) {
            var parts: [S3CompletedPart] = []
            for (index, segment) in segments.enumerated() {
                let end = min(segment.start + segment.size, length) - segment.start
                parts.append(
                    try await client.uploadPartCopy(
                        key: destinationKey,
                        uploadID: uploadID,
                        partNumber: index + 1,
                        source: key(for: segment.path),
                        range: 0...(end - 1)
                    )
                )
            }
            if Task.isCancelled { throw StorageError.writeCancelled(destination) }
            try await client.completeMultipartUpload(key: destinationKey, uploadID: uploadID, parts: parts, ifNoneMatch: !options.overwrite)
        } catch {
            await abort(key: destinationKey, uploadID: uploadID)
            throw relabel(error, path: destination)
        }
        try await discardStaged(path)
        return try await stat(destination)
    }
}

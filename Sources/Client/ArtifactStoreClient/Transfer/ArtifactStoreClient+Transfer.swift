import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreCore
import Foundation
import NIOCore
import NIOFileSystem

/// What a push did.
public struct PushResult: Sendable, Codable, Hashable {
    public var reference: String
    public var files: Int
    public var totalBytes: UInt64
    /// Blobs sent to the server.
    public var uploadedBlobs: Int
    public var uploadedBytes: UInt64
    /// Blobs the server already had in the namespace (not sent).
    public var skippedBlobs: Int
    public var skippedBytes: UInt64
    /// `true` when the push had to create the namespace.
    public var createdNamespace: Bool
}

/// What a pull did.
public struct PullResult: Sendable, Codable, Hashable {
    public var reference: String
    /// The version pulled (differs from `reference`'s when a tag was resolved).
    public var version: String
    public var destination: String
    public var files: Int
    public var totalBytes: UInt64
    /// Bytes taken from `.partial` files of an earlier attempt (and re-verified).
    public var resumedBytes: UInt64
    /// Files already in place with the right content, left alone.
    public var unchangedFiles: Int
    /// Files that were in place with other content and were replaced (`--force`).
    public var overwrittenFiles: Int
}

extension ArtifactStoreClient {
    /// Pushes `files` as the version `reference`: hashes every file locally (BLAKE3, streamed),
    /// asks the server which blobs it already has (`HEAD`), uploads only the missing ones,
    /// `concurrency` at a time, each with its expected digest and size, then commits the manifest.
    /// A namespace that does not exist yet is created (this needs a global admin token).
    public func push(
        _ files: LocalFileSet,
        as reference: ArtifactReference,
        labels: [String: String] = [:],
        concurrency: Int = 4,
        progress: TransferProgress = .none
    ) async throws -> PushResult {
        let width = max(1, concurrency)
        // 1. Hash.
        progress.start(.hashing, files.totalSize)
        let addresses = try await forEach(files.entries, concurrency: width) { entry in
            ContentAddress(
                try await Self.digest(ofFileAt: entry.localPath, size: entry.size, algorithm: .blake3, observe: progress.advance)
            )
        }
        progress.finish()
        // 2. The namespace.
        var createdNamespace = false
        do {
            _ = try await namespace(reference.namespace)
        } catch let error as ClientError where error.serverCode == .namespaceNotFound {
            _ = try await createNamespace(reference.namespace)
            createdNamespace = true
        }
        // 3. Upload what the server lacks, each distinct blob once.
        var unique: [ContentAddress: LocalFileSet.Entry] = [:]
        for (entry, address) in zip(files.entries, addresses) where unique[address] == nil {
            unique[address] = entry
        }
        let blobs = unique.sorted { $0.value.path < $1.value.path }
        let present = try await forEach(blobs, concurrency: width) { blob in
            try await blobExists(blob.key.digest, in: reference.namespace)
        }
        let missing = zip(blobs, present).filter { !$0.1 }.map(\.0)
        let uploadBytes = missing.reduce(UInt64(0)) { $0 + $1.value.size }
        progress.start(.uploading, uploadBytes)
        _ = try await forEach(missing, concurrency: width) { blob in
            try await uploadBlob(
                fromFile: blob.value.localPath,
                expected: blob.key.digest,
                size: blob.value.size,
                into: reference.namespace,
                progress: progress.advance
            )
        }
        progress.finish()
        // 4. Commit.
        let manifest = zip(files.entries, addresses).map { CommitVersionBody.File(path: $0.path, address: $1) }
        _ = try await commitVersion(reference, files: manifest, labels: labels)
        let distinctBytes = blobs.reduce(UInt64(0)) { $0 + $1.value.size }
        return PushResult(
            reference: reference.description,
            files: files.entries.count,
            totalBytes: files.totalSize,
            uploadedBlobs: missing.count,
            uploadedBytes: uploadBytes,
            skippedBlobs: blobs.count - missing.count,
            skippedBytes: distinctBytes - uploadBytes,
            createdNamespace: createdNamespace
        )
    }

    /// The digest of the `size` bytes of the file at `path`, read in chunks; each chunk's size is
    /// passed to `observe`. A file that is not `size` bytes long any more is an error.
    static func digest(
        ofFileAt path: String,
        size: UInt64,
        algorithm: DigestAlgorithm,
        observe: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Digest {
        try await LocalFiles.withReadHandle(path) { handle in
            let chunks = handle.readChunks(in: 0..<Int64(size), chunkLength: Self.chunkLength)
            let (digest, read) = try await Digest.digest(of: ByteCountingSequence(base: chunks, observe: observe), algorithm: algorithm)
            guard read == size else {
                throw ClientError(.io, "\(path) changed size while it was read (\(size) then \(read) bytes)")
            }
            return digest
        }
    }

    /// Pulls the version (or tag) `reference` into the directory `destination`: every file is
    /// downloaded to `<destination>/<path>`, resumed from a `.partial` file left by an earlier
    /// attempt, and verified whole against its address before it is renamed into place.
    ///
    /// A file already at `<destination>/<path>` with the right content is left alone (not
    /// downloaded, not touched). One that differs (or is not a regular file) is replaced only
    /// when `overwrite` is `true`; otherwise the pull fails with `localFileDiffers`, naming the
    /// files, before anything is downloaded or written.
    public func pull(
        _ reference: ArtifactReference,
        into destination: String,
        overwrite: Bool = false,
        concurrency: Int = 4,
        progress: TransferProgress = .none
    ) async throws -> PullResult {
        let version = try await resolve(reference)
        let resolved = ArtifactReference(namespace: reference.namespace, artifact: reference.artifact, version: version.version)
        for file in version.files {
            do {
                try NameGrammar.checkPath(file.path)
            } catch {
                throw ClientError(.badResponse, "the server lists a file path that is not clean: \(error.message)", underlying: error)
            }
        }
        let totalBytes = version.files.reduce(UInt64(0)) { $0 + $1.size }
        let local = try await forEach(version.files, concurrency: max(1, concurrency)) { file in
            try await LocalTarget.inspect(destination + "/" + file.path, address: file.address, size: file.size)
        }
        let differing = zip(version.files, local).filter { $0.1 == .differs }.map(\.0.path)
        if !differing.isEmpty, !overwrite {
            let shown = differing.prefix(5).joined(separator: ", ") + (differing.count > 5 ? ", …" : "")
            throw ClientError(
                .localFileDiffers,
                "\(Plural.of(differing.count, "file")) in \(destination) already \(differing.count == 1 ? "exists" : "exist") "
                    + "with other content "
                    + "than \(resolved) (\(shown)); nothing was downloaded. Pass --force to overwrite, or pull into another directory"
            )
        }
        let wanted = zip(version.files, local).filter { $0.1 != .identical }.map(\.0)
        progress.start(.downloading, wanted.reduce(UInt64(0)) { $0 + $1.size })
        let results = try await forEach(wanted, concurrency: max(1, concurrency)) { file in
            let target = destination + "/" + file.path
            let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw ClientError(.io, "cannot create the directory \(parent): \(error.localizedDescription)", underlying: error)
            }
            return try await download(
                .file(resolved, path: file.path),
                address: file.address,
                size: file.size,
                to: target,
                progress: progress.advance
            )
        }
        progress.finish()
        return PullResult(
            reference: reference.description,
            version: version.version,
            destination: destination,
            files: version.files.count,
            totalBytes: totalBytes,
            resumedBytes: results.reduce(0) { $0 + $1.resumedFrom },
            unchangedFiles: version.files.count - wanted.count,
            overwrittenFiles: differing.count
        )
    }

    /// Runs `body` on every element, at most `concurrency` at once; results in input order.
    /// The first error cancels the rest and is thrown.
    func forEach<Element: Sendable, Result: Sendable>(
        _ elements: [Element],
        concurrency: Int,
        _ body: @escaping @Sendable (Element) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: elements.count)
            var next = 0
            func startNext() {
                guard next < elements.count else { return }
                let index = next
                let element = elements[index]
                next += 1
                group.addTask { (index, try await body(element)) }
            }
            for _ in 0..<min(concurrency, elements.count) { startNext() }
            while let (index, result) = try await group.next() {
                results[index] = result
                startNext()
            }
            return results.map { $0! }
        }
    }
}

public import ArtifactIdentity
import AsyncHTTPClient
import NIOCore
import NIOFileSystem
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// What a download reads: a blob of a namespace, or a file of a version.
public enum DownloadSource: Sendable, Hashable {
    case blob(namespace: String, digest: Digest)
    case file(ArtifactReference, path: String)

    var segments: [String] {
        switch self {
        case .blob(let namespace, let digest):
            return ["namespaces", namespace, "blobs", digest.description]
        case .file(let reference, let path):
            return ArtifactStoreClient.versionPath(reference) + ["files"] + path.split(separator: "/").map(String.init)
        }
    }
}

/// How a download went.
public struct DownloadResult: Sendable, Hashable {
    /// The file's size.
    public var size: UInt64
    /// Bytes taken from an earlier `.partial` file instead of the network (re-verified).
    public var resumedFrom: UInt64
}

extension ArtifactStoreClient {
    /// The suffix of the file a download writes before it is verified and renamed into place.
    public static let partialSuffix = ".partial"
    /// Bytes gathered before one write to disk.
    static let writeBatchBytes = 1 << 20

    /// Downloads `source` to `destination`, verifying the whole file against `address`.
    ///
    /// Bytes go to `destination.partial` first. If that file exists (an earlier download was
    /// interrupted), only the rest is asked for with `Range: bytes=<have>-`, and the bytes
    /// already there are hashed again, so the whole file is checked, not only the new part.
    /// Only a file whose digest equals `address` is renamed to `destination`; a mismatch removes
    /// the `.partial` file and fails with `digestMismatch`. A transfer cut off keeps the
    /// `.partial` file for the next attempt. Memory stays bounded whatever the size.
    ///
    /// - Parameter progress: called with the number of bytes added to the file (including bytes
    ///   re-read from a `.partial` file).
    public func download(
        _ source: DownloadSource,
        address: ContentAddress,
        size: UInt64,
        to destination: String,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> DownloadResult {
        let partial = destination + Self.partialSuffix
        var resumedFrom: UInt64 = 0
        if let info = try? await FileSystem.shared.info(forFileAt: FilePath(partial), infoAboutSymbolicLink: true) {
            if info.type == .regular, UInt64(info.size) <= size {
                resumedFrom = UInt64(info.size)
            } else {
                _ = try? await FileSystem.shared.removeItem(at: FilePath(partial))
            }
        }
        let digest: Digest
        let startedFrom: UInt64
        do {
            (digest, startedFrom) = try await FileSystem.shared.withFileHandle(
                forReadingAndWritingAt: FilePath(partial),
                options: .modifyFile(createIfNecessary: true)
            ) { handle in
                try await fill(handle, from: source, resumingAt: resumedFrom, size: size, algorithm: address.algorithm, progress: progress)
            }
        } catch let error as FileSystemError {
            throw LocalFiles.fileError(error, path: partial, doing: "write")
        } catch let error as ClientError where error.kind == .sizeMismatch {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(partial))
            throw error
        }
        guard digest == address.digest else {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(partial))
            throw ClientError(
                .digestMismatch,
                "\(destination): the downloaded bytes hash to \(digest), not to their address \(address)"
                    + (startedFrom > 0 ? " (the first \(startedFrom) bytes came from \(partial), now removed)" : "")
                    + "; nothing was kept"
            )
        }
        guard rename(partial, destination) == 0 else {
            let code = errno
            throw ClientError(.io, "cannot rename \(partial) to \(destination): \(String(cString: strerror(code)))")
        }
        return DownloadResult(size: size, resumedFrom: startedFrom)
    }

    /// Hashes the `resumedFrom` bytes already in `handle`, then appends the rest from the server
    /// (hashing it too). Returns the digest of the whole file and how much came from disk.
    private func fill(
        _ handle: ReadWriteFileHandle,
        from source: DownloadSource,
        resumingAt resumedFrom: UInt64,
        size: UInt64,
        algorithm: DigestAlgorithm,
        progress: (@Sendable (Int) -> Void)?
    ) async throws -> (Digest, UInt64) {
        var hasher = DigestHasher(algorithm)
        var position: UInt64 = 0
        if resumedFrom > 0 {
            for try await chunk in handle.readChunks(in: 0..<Int64(resumedFrom), chunkLength: Self.chunkLength) {
                hasher.update(chunk)
                position += UInt64(chunk.readableBytes)
                progress?(chunk.readableBytes)
            }
        }
        var startedFrom = position
        if position < size {
            var request = makeRequest(.GET, source.segments)
            if position > 0 {
                request.headers.add(name: "Range", value: "bytes=\(position)-")
            }
            let response = try await execute(request, timeout: .hours(24 * 7))
            switch response.status.code {
            case 206 where position > 0:
                let expected = "bytes \(position)-\(size - 1)/\(size)"
                guard response.headers.first(name: "Content-Range") == expected else {
                    throw ClientError(
                        .badResponse,
                        "\(request.url) answered Content-Range \(response.headers.first(name: "Content-Range") ?? "(none)"), expected \(expected)"
                    )
                }
            case 200:
                if position > 0 {
                    // The server sent the whole object: start again from byte 0.
                    try await handle.resize(to: .bytes(0))
                    hasher = DigestHasher(algorithm)
                    position = 0
                    startedFrom = 0
                }
            default:
                let body = try await readBody(response, what: request.url)
                throw Self.serverError(status: Int(response.status.code), body: body, request: request)
            }
            var pending = ByteBuffer()
            var written = position
            do {
                for try await chunk in response.body {
                    guard position + UInt64(chunk.readableBytes) <= size else {
                        throw ClientError(.sizeMismatch, "\(request.url) sent more than the \(size) bytes the version lists")
                    }
                    hasher.update(chunk)
                    position += UInt64(chunk.readableBytes)
                    pending.writeImmutableBuffer(chunk)
                    if pending.readableBytes >= Self.writeBatchBytes {
                        try await handle.write(contentsOf: pending, toAbsoluteOffset: Int64(written))
                        written += UInt64(pending.readableBytes)
                        progress?(pending.readableBytes)
                        pending.clear()
                    }
                }
            } catch {
                // Keep what arrived intact for the next attempt to resume from.
                if pending.readableBytes > 0 {
                    _ = try? await handle.write(contentsOf: pending, toAbsoluteOffset: Int64(written))
                }
                if error is ClientError { throw error }
                throw ClientError(
                    .serverUnreachable,
                    "the download of \(request.url) was cut off after \(position) bytes: \(error)",
                    underlying: error
                )
            }
            if pending.readableBytes > 0 {
                try await handle.write(contentsOf: pending, toAbsoluteOffset: Int64(written))
                progress?(pending.readableBytes)
            }
            guard position == size else {
                // Cut short: keep the .partial file, the next attempt resumes from it.
                throw ClientError(.serverUnreachable, "the download of \(request.url) ended after \(position) of \(size) bytes")
            }
        }
        try await handle.synchronize()
        return (hasher.finalize(), startedFrom)
    }
}

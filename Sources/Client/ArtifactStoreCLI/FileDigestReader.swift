import ArtifactStoreCore
import NIOCore
import NIOFileSystem

/// Opens a local file for streaming and turns every way that can fail into a ``CLIError`` that
/// names the file: `localFileNotFound`, `accessDenied`, `notAFile` or `io`.
enum FileDigestReader {
    @concurrent static func read<Result: Sendable>(
        path: String,
        chunkLength: ByteCount,
        _ body: (FileChunks) async throws -> Result
    ) async throws -> Result {
        do {
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                let info = try await handle.info()
                guard info.type == .regular else {
                    throw CLIError(code: .notAFile, "cannot digest \"\(path)\": it is a \(info.type), not a regular file")
                }
                return try await body(handle.readChunks(chunkLength: chunkLength))
            }
        } catch let error as FileSystemError {
            switch error.code {
            case .notFound:
                throw CLIError(code: .localFileNotFound, "cannot read \"\(path)\": no such file", underlying: error)
            case .permissionDenied:
                throw CLIError(code: .accessDenied, "cannot read \"\(path)\": permission denied", underlying: error)
            default:
                throw CLIError(code: .io, "cannot read \"\(path)\": \(error.message)", underlying: error)
            }
        }
    }
}

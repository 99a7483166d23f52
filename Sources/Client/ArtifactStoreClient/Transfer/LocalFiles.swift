import NIOCore
import NIOFileSystem

/// Local file access for the client, with every failure turned into a ``ClientError`` that
/// names the file.
enum LocalFiles {
    /// Opens `path` for reading; it must be a regular file.
    @concurrent static func withReadHandle<Result: Sendable>(
        _ path: String,
        _ body: (ReadFileHandle) async throws -> Result
    ) async throws -> Result {
        do {
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                let info = try await handle.info()
                guard info.type == .regular else {
                    throw ClientError(.invalidPath, "\"\(path)\" is a \(info.type), not a regular file")
                }
                return try await body(handle)
            }
        } catch let error as FileSystemError {
            throw fileError(error, path: path, doing: "read")
        }
    }

    static func fileError(_ error: FileSystemError, path: String, doing: String) -> ClientError {
        switch error.code {
        case .notFound:
            return ClientError(.invalidPath, "cannot \(doing) \"\(path)\": no such file or directory", underlying: error)
        case .permissionDenied:
            return ClientError(.io, "cannot \(doing) \"\(path)\": permission denied", underlying: error)
        default:
            return ClientError(.io, "cannot \(doing) \"\(path)\": \(error.message)", underlying: error)
        }
    }
}

import ArtifactStorage
import Glibc

/// What an operation was doing when a system call failed, which decides how some errno values
/// read: ENOTDIR while reading means "there is no such object" (a parent is a file), while
/// writing it means "something is in the way".
enum OperationKind {
    case lookUp
    case create
}

extension StorageError {
    /// Maps a failed system call to a ``StorageError`` naming the root-relative `path`.
    static func from(_ failure: SystemCallError, _ kind: OperationKind, path: StoragePath?, verb: String) -> StorageError {
        let name = path.map { "\"\($0)\"" } ?? "the root"
        let relative = path?.string
        let because = "\(failure.operation): \(failure.reason)"
        switch failure.errno {
        case EXDEV where failure.escapesRoot:
            return StorageError(
                .pathEscapesRoot,
                "cannot \(verb) \(name): it leads outside the root through a symbolic link",
                path: relative,
                underlying: failure
            )
        case ENOENT:
            return StorageError(.objectNotFound, "cannot \(verb) \(name): no such object", path: relative, underlying: failure)
        case ENOTDIR:
            return kind == .lookUp
                ? StorageError(.objectNotFound, "cannot \(verb) \(name): a parent is not a directory", path: relative, underlying: failure)
                : StorageError(
                    .alreadyExists,
                    "cannot \(verb) \(name): an object is in the way of a parent directory",
                    path: relative,
                    underlying: failure
                )
        case EISDIR:
            return kind == .lookUp
                ? StorageError(.objectNotFound, "cannot \(verb) \(name): it is a directory", path: relative, underlying: failure)
                : StorageError(.alreadyExists, "cannot \(verb) \(name): a directory is there", path: relative, underlying: failure)
        case EEXIST:
            return StorageError(.alreadyExists, "cannot \(verb) \(name): it already exists", path: relative, underlying: failure)
        case ENOTEMPTY:
            return StorageError(.io, "cannot \(verb) \(name): the directory is not empty", path: relative, underlying: failure)
        case EACCES, EPERM:
            return StorageError(
                .accessDenied,
                "cannot \(verb) \(name): permission denied (\(because))",
                path: relative,
                underlying: failure
            )
        case EROFS:
            return StorageError(.accessDenied, "cannot \(verb) \(name): the filesystem is read-only", path: relative, underlying: failure)
        case ELOOP:
            return StorageError(
                .invalidPath,
                "cannot \(verb) \(name): too many levels of symbolic links",
                path: relative,
                underlying: failure
            )
        case ENAMETOOLONG:
            return StorageError(.invalidPath, "cannot \(verb) \(name): the name is too long", path: relative, underlying: failure)
        case ENOSPC, EDQUOT:
            return StorageError(.io, "cannot \(verb) \(name): no space left (\(because))", path: relative, underlying: failure)
        default:
            return StorageError(.io, "cannot \(verb) \(name): \(because)", path: relative, underlying: failure)
        }
    }
}

extension StorageError {
    /// Maps whatever an operation threw: ``StorageError``s pass through, failed system calls are
    /// mapped by ``from(_:_:path:verb:)``, anything else is `io`.
    static func from(_ error: any Error, _ kind: OperationKind, path: StoragePath?, verb: String) -> StorageError {
        if let error = error as? StorageError { return error }
        if let error = error as? SystemCallError { return from(error, kind, path: path, verb: verb) }
        let name = path.map { "\"\($0)\"" } ?? "the root"
        return StorageError(.io, "cannot \(verb) \(name): \(error)", path: path?.string, underlying: error)
    }
}

import ArtifactStoreAPI
import Foundation

/// The local files a push sends, each with the path it gets in the version's manifest.
///
/// Exists so the rules for turning command-line paths into manifest paths live in one place and
/// are checked before any byte is sent: a file argument becomes its own name; a directory
/// argument contributes every regular file below it, under its path relative to that directory
/// (the directory's own name is not part of it), so pulling the version into a folder recreates
/// the tree. Symbolic links to regular files are followed; links to anything else, sockets,
/// FIFOs and devices are refused, as are two files that would get the same manifest path and
/// manifest paths outside the registry's grammar. Entries are sorted by manifest path.
public struct LocalFileSet: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// The path inside the version.
        public var path: String
        /// Where the bytes are on disk.
        public var localPath: String
        public var size: UInt64
    }

    public var entries: [Entry]
    public var totalSize: UInt64 { entries.reduce(0) { $0 + $1.size } }

    public init(collecting arguments: [String]) throws(ClientError) {
        guard !arguments.isEmpty else { throw ClientError(.invalidArgument, "give at least one file or directory to push") }
        var byPath: [String: Entry] = [:]
        func add(_ entry: Entry) throws(ClientError) {
            do {
                try NameGrammar.checkPath(entry.path)
            } catch {
                throw ClientError(.invalidPath, "\(entry.localPath) cannot be pushed: \(error.message)", underlying: error)
            }
            if let other = byPath[entry.path] {
                throw ClientError(.invalidPath, "\(other.localPath) and \(entry.localPath) would both be stored as \"\(entry.path)\"")
            }
            byPath[entry.path] = entry
        }
        for argument in arguments {
            let kind = try Self.kind(of: argument, following: true)
            switch kind.type {
            case .regular:
                let name = URL(fileURLWithPath: argument).lastPathComponent
                try add(Entry(path: name, localPath: argument, size: kind.size))
            case .directory:
                for (relative, localPath, size) in try Self.walk(argument) {
                    try add(Entry(path: relative, localPath: localPath, size: size))
                }
            case .other(let what):
                throw ClientError(.invalidPath, "\(argument) is \(what), not a file or directory")
            }
        }
        entries = byPath.values.sorted { $0.path < $1.path }
    }

    enum FileType: Equatable {
        case regular, directory
        case other(String)
    }

    static func kind(of path: String, following: Bool) throws(ClientError) -> (type: FileType, size: UInt64) {
        var info = stat()
        let result = following ? stat(path, &info) : lstat(path, &info)
        guard result == 0 else {
            let code = errno
            if code == ENOENT { throw ClientError(.invalidPath, "\(path): no such file or directory") }
            throw ClientError(.io, "\(path): \(String(cString: strerror(code)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return (.regular, UInt64(info.st_size))
        case S_IFDIR: return (.directory, 0)
        case S_IFLNK: return (.other("a symbolic link"), 0)
        case S_IFIFO: return (.other("a FIFO"), 0)
        case S_IFSOCK: return (.other("a socket"), 0)
        default: return (.other("a device"), 0)
        }
    }

    /// Every regular file below `root`: (path relative to `root`, path on disk, size).
    static func walk(_ root: String) throws(ClientError) -> [(String, String, UInt64)] {
        var found: [(String, String, UInt64)] = []
        var pending: [String] = [""]
        while let relativeDirectory = pending.popLast() {
            let directory = relativeDirectory.isEmpty ? root : root + "/" + relativeDirectory
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw ClientError(.io, "cannot list \(directory): \(error.localizedDescription)", underlying: error)
            }
            for name in names.sorted() {
                let relative = relativeDirectory.isEmpty ? name : relativeDirectory + "/" + name
                let local = directory + "/" + name
                let own = try kind(of: local, following: false)
                switch own.type {
                case .regular: found.append((relative, local, own.size))
                case .directory: pending.append(relative)
                case .other("a symbolic link"):
                    let target = try kind(of: local, following: true)
                    guard target.type == .regular else {
                        throw ClientError(.invalidPath, "\(local) is a symbolic link to something other than a regular file")
                    }
                    found.append((relative, local, target.size))
                case .other(let what):
                    throw ClientError(.invalidPath, "\(local) is \(what), not a regular file")
                }
            }
        }
        return found
    }
}

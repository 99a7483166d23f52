import ArgumentParser
import ArtifactIdentity
import ArtifactStoreCore
import Foundation
import NIOCore
import NIOFileSystem

/// `artifactstore digest`: prints the BLAKE3 and SHA-256 digests and size of files.
///
/// Each file is read once; with both algorithms the two hashes run concurrently. A file that
/// cannot be read is reported on standard error by name, the remaining files are still digested,
/// and the exit status is 1.
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the BLAKE3 and SHA-256 digests and the size of files.",
        discussion: """
            Prints one line per file: "<blake3> <sha256> <size> <path>" (only the chosen digest \
            with --algorithm), or with --json one JSON object per line with the keys blake3, \
            sha256, size and path. Exits 1 if any file could not be read.
            """
    )

    enum AlgorithmChoice: String, ExpressibleByArgument, CaseIterable {
        case blake3, sha256, both
    }

    @Option(name: .long, help: "Which digest to print: blake3, sha256 or both.")
    var algorithm: AlgorithmChoice = .both

    @Flag(name: .long, help: "Print one JSON object per line.")
    var json = false

    @Argument(help: "Files to digest.")
    var files: [String]

    /// Read size per chunk; large chunks keep per-chunk overhead negligible.
    static let chunkLength = ByteCount.mebibytes(1)

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Give at least one file to digest.") }
    }

    func run() async throws {
        var failed = false
        for path in files {
            do {
                let line = try await digestLine(for: path)
                FileOutput.standardOutput.write(line + "\n")
            } catch {
                failed = true
                reportError(error)
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func digestLine(for path: String) async throws -> String {
        let record = try await FileDigestReader.read(path: path, chunkLength: Self.chunkLength) { chunks in
            switch algorithm {
            case .both:
                let dual = try await DualDigester.digest(chunks)
                return DigestRecord(blake3: dual.blake3.description, sha256: dual.sha256.description, size: dual.size, path: path)
            case .blake3:
                let (digest, size) = try await Digest.digest(of: chunks, algorithm: .blake3)
                return DigestRecord(blake3: digest.description, sha256: nil, size: size, path: path)
            case .sha256:
                let (digest, size) = try await Digest.digest(of: chunks, algorithm: .sha256)
                return DigestRecord(blake3: nil, sha256: digest.description, size: size, path: path)
            }
        }
        return json ? try record.jsonLine() : record.textLine()
    }
}

/// One output record of `artifactstore digest`.
struct DigestRecord: Codable, Equatable {
    var blake3: String?
    var sha256: String?
    var size: UInt64
    var path: String

    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// `<digests…> <size> <path>`; a path with a backslash or line break is escaped and the line
    /// starts with a backslash, as coreutils' `sha256sum` does, so every record stays one line.
    func textLine() -> String {
        let needsEscape = path.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\r" })
        let shownPath =
            needsEscape
            ? path.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\n", with: "\\n")
                .replacingOccurrences(of: "\r", with: "\\r")
            : path
        let fields = [blake3, sha256].compactMap { $0 } + [String(size), shownPath]
        return (needsEscape ? "\\" : "") + fields.joined(separator: " ")
    }
}

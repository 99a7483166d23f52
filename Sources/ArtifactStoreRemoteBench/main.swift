// artifactstore-remote-bench: the measuring client of scripts/bench-remote.sh (`scripts/bench.sh
// remote`), in release mode.
//
//   artifactstore-remote-bench --socket PATH --dir DIR --size-mib N --runs R [--stream]
//
// Each run ingests an N MiB stream generated in memory and serves it back whole (checked against
// its address), once in process (LocalDataPlane over a filesystem backend under DIR) and once
// through the daemon listening on PATH (RemoteDataPlane), alternating so drift touches both
// alike, then deletes it. Prints one `key=value` line per measurement. Remote whole serves take
// the object's descriptor from the daemon (docs/dataplane-protocol.md §11) unless `--stream`
// asks for the bytes through the socket, as before descriptor passing.
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactDataPlaneRemote
import ArtifactIdentity
import ArtifactStorageFileSystem
import ArtifactStoreCore
import Foundation
import Logging
import NIOCore

/// `count` chunks of 1 MiB cycling through eight distinct buffers held once, so the stream
/// costs no memory and no generation time in either configuration.
struct CyclingStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let pool = (0..<8).map { ByteBuffer(repeating: UInt8(truncatingIfNeeded: $0 &* 37 &+ 11), count: 1 << 20) }
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let count: Int
        var index = 0
        mutating func next() async throws -> ByteBuffer? {
            guard index < count else { return nil }
            defer { index += 1 }
            return CyclingStream.pool[index % CyclingStream.pool.count]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count) }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("artifactstore-remote-bench: error: \(message)\n".utf8))
    exit(2)
}

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

/// Reads a stream to its end and counts its bytes, off the main actor: the top-level code of
/// this file runs on the main actor, and awaiting each chunk there would add two thread hops per
/// chunk that no server pays (a server's request handler is not on the main actor).
nonisolated func drain(_ stream: ByteStream) async throws -> UInt64 {
    var count: UInt64 = 0
    for try await chunk in stream { count += UInt64(chunk.readableBytes) }
    return count
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

guard let socketPath = option("--socket"), let directory = option("--dir") else {
    fail("usage: artifactstore-remote-bench --socket PATH --dir DIR [--size-mib N] [--runs R]")
}
guard let sizeMiB = Int(option("--size-mib") ?? "1024"), sizeMiB > 0 else { fail("--size-mib needs a positive number") }
guard let runs = Int(option("--runs") ?? "3"), runs > 0 else { fail("--runs needs a positive number") }
let logger = Logger(label: "artifactstore.remote-bench", factory: { _ in SwiftLogNoOpLogHandler() })

try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let local = try LocalDataPlane(backends: [.init(id: "main", connector: try FileSystemConnector(rootPath: directory, logger: logger))], logger: logger)
let streams = CommandLine.arguments.contains("--stream")
let remote = RemoteDataPlane(socketPath: socketPath, configuration: .init(takesDescriptors: !streams), logger: logger)
let planes: [(String, any DataPlane)] = [("local", local), ("remote", remote)]
let clock = ContinuousClock()
var times: [String: [Double]] = [:]
var digests: Set<String> = []

for _ in 0..<runs {
    for (label, dataPlane) in planes {
        let start = clock.now
        let result = try await dataPlane.ingest(ByteStream(CyclingStream(count: sizeMiB)), hints: IngestHints(sizeHint: UInt64(sizeMiB) << 20))
        times["\(label)_ingest_seconds", default: []].append(seconds(start.duration(to: clock.now)))
        guard !result.receipt.deduplicated, result.size == UInt64(sizeMiB) << 20 else { fail("unexpected \(label) ingest result: \(result)") }
        digests.insert(result.blake3Digest.description)
        let serveStart = clock.now
        var served: UInt64 = 0
        served = try await drain(try await dataPlane.serve(result.address))
        times["\(label)_serve_seconds", default: []].append(seconds(serveStart.duration(to: clock.now)))
        guard served == result.size else { fail("\(label) serve returned \(served) of \(result.size) bytes") }
        guard try await dataPlane.delete(result.address).removed else { fail("\(label) delete removed nothing") }
    }
}
remote.shutdown()
guard digests.count == 1 else { fail("local and remote digests differ: \(digests)") }
for key in times.keys.sorted() {
    print("\(key)=\(times[key]!.map { String(format: "%.4f", $0) }.joined(separator: ","))")
}
print("digest=\(digests.first!)")
print("remote_descriptor_serves=\(remote.descriptorServeCount)")
if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
   let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
    print("client_peak_rss_kib=\(line.split(separator: " ", omittingEmptySubsequences: true)[1])")
}

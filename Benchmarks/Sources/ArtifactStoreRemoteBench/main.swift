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
import ArtifactBenchSupport
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactDataPlaneRemote
import ArtifactIdentity
import ArtifactStorageFileSystem
import ArtifactStoreCore
import Foundation
import Logging
import NIOCore

let commandLine = BenchCommandLine(tool: "artifactstore-remote-bench")

/// Ingests off the main actor, as a server's request handler calls the data plane: with
/// NonisolatedNonsendingByDefault a nonisolated async call stays on its caller's actor, and from
/// this top-level code every frame of a remote ingest would hop to the main thread and back.
@concurrent func ingest(into dataPlane: any DataPlane, _ source: GeneratedStream) async throws -> IngestResult {
    try await dataPlane.ingest(ByteStream(source), hints: IngestHints(sizeHint: UInt64(source.count) << 20))
}

/// Serves `address` whole and counts its bytes, off the main actor for the same reason.
@concurrent func serveWhole(from dataPlane: any DataPlane, _ address: ContentAddress) async throws -> UInt64 {
    try await drain(try await dataPlane.serve(address))
}
func fail(_ message: String) -> Never { commandLine.fail(message) }

guard let socketPath = commandLine.option("--socket"), let directory = commandLine.option("--dir") else {
    fail("usage: artifactstore-remote-bench --socket PATH --dir DIR [--size-mib N] [--runs R]")
}
let sizeMiB = commandLine.positiveInteger("--size-mib", default: 1024)
let runs = commandLine.positiveInteger("--runs", default: 3)
let logger = Logger(label: "artifactstore.remote-bench", factory: { _ in SwiftLogNoOpLogHandler() })

try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let local = try LocalDataPlane(
    backends: [.init(id: "main", connector: try FileSystemConnector(rootPath: directory, logger: logger))],
    logger: logger
)
let streams = commandLine.flag("--stream")
let remote = RemoteDataPlane(socketPath: socketPath, configuration: .init(takesDescriptors: !streams), logger: logger)
let planes: [(String, any DataPlane)] = [("local", local), ("remote", remote)]
let clock = ContinuousClock()
let pool = GeneratedStream.makePool()
var times: [String: [Double]] = [:]
var digests: Set<String> = []

for _ in 0..<runs {
    for (label, dataPlane) in planes {
        let start = clock.now
        let result = try await ingest(into: dataPlane, GeneratedStream(pool: pool, count: sizeMiB))
        times["\(label)_ingest_seconds", default: []].append(start.duration(to: clock.now).seconds)
        guard !result.receipt.deduplicated, result.size == UInt64(sizeMiB) << 20 else {
            fail("unexpected \(label) ingest result: \(result)")
        }
        digests.insert(result.blake3Digest.description)
        let serveStart = clock.now
        var served: UInt64 = 0
        served = try await serveWhole(from: dataPlane, result.address)
        times["\(label)_serve_seconds", default: []].append(serveStart.duration(to: clock.now).seconds)
        guard served == result.size else { fail("\(label) serve returned \(served) of \(result.size) bytes") }
        guard try await dataPlane.delete(result.address).removed else { fail("\(label) delete removed nothing") }
    }
}
remote.shutdown()
guard digests.count == 1 else { fail("local and remote digests differ: \(digests)") }
for key in times.keys.sorted() {
    print("\(key)=\(formatSeconds(times[key]!))")
}
print("digest=\(digests.first!)")
print("remote_descriptor_serves=\(remote.descriptorServeCount)")
print("client_peak_rss_kib=\(BenchCommandLine.peakRSSKiB())")

// artifactstore-bench: measurements that need our code in release mode, driven by
// scripts/bench.sh, which runs the reference tools side by side and prints the ratios.
//
//   artifactstore-bench write-input --size-mib N FILE
//       writes the exact bytes `ingest` streams, so references can hash and copy the same bytes
//   artifactstore-bench ingest --size-mib N --runs R --dir DIR
//       ingests an N MiB stream generated in memory into a FileSystemBackend under DIR through
//       LocalDataPlane, serves it back whole: hashed against its address (the first read),
//       unchecked, and proved by the stamp of an earlier hashed read (the default for an object
//       served before), R times; prints one `key=value` line per measurement and the peak RSS.
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactStorageFileSystem
import ArtifactStoreCore
import Foundation
import Logging
import NIOCore

/// The benchmark stream: `count` buffers of 1 MiB cycling through a small pool of distinct
/// pseudo-random buffers (so memory holds the pool, never the stream), shared without copying.
struct GeneratedStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunkSize = 1 << 20
    let pool: [ByteBuffer]
    let count: Int

    static func makePool(buffers: Int = 8, seed: UInt64 = 0x5EED_1234_ABCD_0001) -> [ByteBuffer] {
        var state = seed
        return (0..<buffers).map { _ in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(chunkSize)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { raw in
                for offset in stride(from: 0, to: chunkSize, by: 8) {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    raw.storeBytes(of: state, toByteOffset: offset, as: UInt64.self)
                }
                return chunkSize
            }
            return buffer
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let pool: [ByteBuffer]
        let count: Int
        var index = 0
        mutating func next() async throws -> ByteBuffer? {
            guard index < count else { return nil }
            defer { index += 1 }
            return pool[index % pool.count]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pool: pool, count: count) }
}

func peakRSSKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("artifactstore-bench: error: \(message)\n".utf8))
    exit(2)
}

func option(_ name: String, in arguments: [String]) -> String? {
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

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("usage: artifactstore-bench write-input|ingest …") }
guard let sizeMiB = Int(option("--size-mib", in: arguments) ?? "1024") else { fail("--size-mib needs a number") }
let logger = Logger(label: "artifactstore.bench", factory: { _ in SwiftLogNoOpLogHandler() })

switch command {
case "write-input":
    guard let path = arguments.last, path != command else { fail("write-input needs a file") }
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
        fail("cannot create \(path)")
    }
    for try await buffer in GeneratedStream(pool: GeneratedStream.makePool(), count: sizeMiB) {
        try handle.write(contentsOf: Data(buffer.readableBytesView))
    }
    try handle.close()

case "ingest":
    guard let runs = Int(option("--runs", in: arguments) ?? "3"), runs > 0 else { fail("--runs needs a positive number") }
    guard let directory = option("--dir", in: arguments) else { fail("ingest needs --dir") }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let connector = try FileSystemConnector(rootPath: directory, logger: logger)
    let checked = try LocalDataPlane(backends: [.init(id: "disk", connector: connector)], logger: logger)
    let unchecked = try LocalDataPlane(
        backends: [.init(id: "disk", connector: connector)],
        configuration: .init(verifiesFullReads: false),
        logger: logger
    )
    let pool = GeneratedStream.makePool()
    let clock = ContinuousClock()
    var ingestTimes: [Double] = []
    var serveTimes: [Double] = []
    var uncheckedServeTimes: [Double] = []
    var hashedServeTimes: [Double] = []
    var last: IngestResult?
    for _ in 0..<runs {
        let stream = ByteStream(GeneratedStream(pool: pool, count: sizeMiB))
        let start = clock.now
        let result = try await checked.ingest(stream, hints: IngestHints(sizeHint: UInt64(sizeMiB) << 20))
        ingestTimes.append(seconds(start.duration(to: clock.now)))
        guard !result.receipt.deduplicated, result.size == UInt64(sizeMiB) << 20 else {
            fail("unexpected ingest result: \(result)")
        }
        // Serve order: the first whole read hashes (and, so soon after the commit, earns no
        // trust); an unchecked read; a second hashed read, which earns trust; then the read the
        // default configuration gives an object served before, proved by its stamp.
        for (dataPlane, label) in [(checked, "hashed"), (unchecked, "unchecked"), (checked, "hashed again"), (checked, "proved")] {
            let serveStart = clock.now
            var served: UInt64 = 0
            served = try await drain(try await dataPlane.serve(result.address))
            let elapsed = seconds(serveStart.duration(to: clock.now))
            guard served == result.size else { fail("\(label) serve returned \(served) of \(result.size) bytes") }
            switch label {
            case "hashed": hashedServeTimes.append(elapsed)
            case "unchecked": uncheckedServeTimes.append(elapsed)
            case "proved": serveTimes.append(elapsed)
            default: break
            }
        }
        _ = try await checked.delete(result.address)
        last = result
    }
    func list(_ values: [Double]) -> String { values.map { String(format: "%.4f", $0) }.joined(separator: ",") }
    print("blake3=\(last!.blake3Digest.hex)")
    print("sha256=\(last!.sha256Digest.hex)")
    print("ingest_seconds=\(list(ingestTimes))")
    print("serve_seconds=\(list(serveTimes))")
    print("serve_unchecked_seconds=\(list(uncheckedServeTimes))")
    print("serve_hashed_seconds=\(list(hashedServeTimes))")
    print("peak_rss_kib=\(peakRSSKiB())")

case "digest":
    // The dual digester alone over the same stream: the part of ingest that storage does not touch.
    let pool = GeneratedStream.makePool()
    let clock = ContinuousClock()
    let start = clock.now
    let inline = arguments.contains("--inline")
    let digest = try await DualDigester.digest(
        GeneratedStream(pool: pool, count: sizeMiB),
        configuration: DualDigester.Configuration(concurrent: inline ? false : nil)
    )
    print("digest_seconds=\(String(format: "%.4f", seconds(start.duration(to: clock.now))))")
    print("blake3=\(digest.blake3.hex)")

default:
    fail("unknown command \(command); use write-input or ingest")
}

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
//   artifactstore-bench range --size-mib N --runs R --dir DIR
//       ingests N MiB once, then reads a 1 MiB range from its middle R times each way, in turns:
//       proved (the default: the covering groups hashed against outboard entries proved by an
//       earlier range and kept), proved by a data plane that keeps no proofs (every read loads
//       the spine and a block of CVs from the stored outboard first), and unchecked; prints the
//       medians, the ratios to unchecked and the outboard's share of the object. With
//       `--mode proved|uncached|unchecked|hash`, only that one (the hash: BLAKE3 of 1 MiB in
//       memory), for counting its instructions with callgrind.
import ArtifactBenchSupport
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactStorageFileSystem
import ArtifactStoreCore
import Foundation
import Logging
import NIOCore

let commandLine = BenchCommandLine(tool: "artifactstore-bench")
let arguments = commandLine.arguments
func fail(_ message: String) -> Never { commandLine.fail(message) }
guard let command = arguments.first else { fail("usage: artifactstore-bench write-input|ingest|digest|range …") }
let sizeMiB = commandLine.positiveInteger("--size-mib", default: 1024)
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
    let runs = commandLine.positiveInteger("--runs", default: 3)
    guard let directory = commandLine.option("--dir") else { fail("ingest needs --dir") }
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
        ingestTimes.append(start.duration(to: clock.now).seconds)
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
            let elapsed = serveStart.duration(to: clock.now).seconds
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
    print("blake3=\(last!.blake3Digest.hex)")
    print("sha256=\(last!.sha256Digest.hex)")
    print("ingest_seconds=\(formatSeconds(ingestTimes))")
    print("serve_seconds=\(formatSeconds(serveTimes))")
    print("serve_unchecked_seconds=\(formatSeconds(uncheckedServeTimes))")
    print("serve_hashed_seconds=\(formatSeconds(hashedServeTimes))")
    print("peak_rss_kib=\(BenchCommandLine.peakRSSKiB())")

case "digest":
    // The dual digester alone over the same stream: the part of ingest that storage does not touch.
    let pool = GeneratedStream.makePool()
    let clock = ContinuousClock()
    let start = clock.now
    let inline = commandLine.flag("--inline")
    let digest = try await DualDigester.digest(
        GeneratedStream(pool: pool, count: sizeMiB),
        configuration: DualDigester.Configuration(concurrent: inline ? false : nil)
    )
    print("digest_seconds=\(formatSeconds([start.duration(to: clock.now).seconds]))")
    print("blake3=\(digest.blake3.hex)")

case "range":
    let runs = commandLine.positiveInteger("--runs", default: 200)
    guard let directory = commandLine.option("--dir") else { fail("range needs --dir") }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let connector = try FileSystemConnector(rootPath: directory, logger: logger)
    let proved = try LocalDataPlane(backends: [.init(id: "disk", connector: connector)], logger: logger)
    let uncached = try LocalDataPlane(
        backends: [.init(id: "disk", connector: connector)],
        configuration: .init(provedOutboardCapacity: 0),
        logger: logger
    )
    let unchecked = try LocalDataPlane(
        backends: [.init(id: "disk", connector: connector)],
        configuration: .init(verifiesFullReads: false),
        logger: logger
    )
    let size = UInt64(sizeMiB) << 20
    let result = try await proved.ingest(
        ByteStream(GeneratedStream(pool: GeneratedStream.makePool(), count: sizeMiB)),
        hints: IngestHints(sizeHint: size)
    )
    let first = size / 2 - (1 << 19) + 12_345
    let range = ByteRange(first: first, last: first + (1 << 20) - 1)
    let clock = ContinuousClock()
    // `--mode proved|uncached|unchecked|hash` measures one of them alone (for callgrind).
    let mode = commandLine.option("--mode") ?? "all"
    let measured = ["proved", "uncached", "unchecked"].map { mode == "all" || mode == $0 }
    var times: [[Double]] = [[], [], []]
    for run in 0..<(runs + 5) {
        for (index, dataPlane) in [proved, uncached, unchecked].enumerated() where measured[index] {
            let start = clock.now
            let served = try await drain(try await dataPlane.serve(result.address, range: range, backendID: nil))
            let elapsed = start.duration(to: clock.now).seconds
            guard served == 1 << 20 else { fail("a range returned \(served) bytes") }
            // The first five of each are warm-up (page cache, first connection, the kept proof).
            if run >= 5 { times[index].append(elapsed) }
        }
    }
    let names = ["range_proved_seconds", "range_proved_uncached_seconds", "range_unchecked_seconds"]
    // The floor of any proof of 1 MiB: BLAKE3 of 1 MiB in memory on one core.
    let oneMiB = ByteBuffer(repeating: 0x5A, count: 1 << 20)
    var hashTimes: [Double] = []
    for _ in 0..<(mode == "all" || mode == "hash" ? runs : 0) {
        let start = clock.now
        var hasher = DigestHasher(.blake3)
        hasher.update(oneMiB)
        _ = hasher.finalize()
        hashTimes.append(start.duration(to: clock.now).seconds)
    }
    let outboard =
        try FileManager.default.attributesOfItem(
            atPath: directory + "/outboards/" + result.address.storageKey.dropFirst("blobs/".count)
        )[.size] as? Int ?? 0
    let median = { (times: [Double]) in times.sorted()[times.count / 2] }
    for (name, values) in zip(names, times) where !values.isEmpty { print("\(name)=\(String(format: "%.6f", median(values)))") }
    if !hashTimes.isEmpty { print("blake3_1mib_seconds=\(String(format: "%.6f", median(hashTimes)))") }
    if mode == "all" {
        print("range_ratio=\(String(format: "%.2f", median(times[0]) / median(times[2])))")
        print("range_uncached_ratio=\(String(format: "%.2f", median(times[1]) / median(times[2])))")
    }
    print("outboard_bytes=\(outboard)")
    print("outboard_percent=\(String(format: "%.4f", Double(outboard) * 100 / Double(size)))")
    _ = try await proved.delete(result.address)

default:
    fail("unknown command \(command); use write-input, ingest, digest or range")
}

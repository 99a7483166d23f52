@_spi(Testing) import ArtifactBLAKE3
import Foundation
import Testing

/// Compares this implementation with an independent one: the `blake3` PyPI package (the
/// official Rust crate), run through `scripts/blake3_crosscheck.py`.
@Suite("BLAKE3 cross-check with Python blake3", .timeLimit(.minutes(5)))
struct BLAKE3CrossCheckTests {
    /// Whether `python3 -c "import blake3"` works on this machine.
    static let pythonBlake3Available: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import blake3"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }()

    struct Case: Encodable {
        let path: String
        let mode: String
        let key: String?
        let context: String?
        let length: Int
        let seek: Int
    }

    /// Skipped, with this reason shown in the test output, when python3 or its blake3 package
    /// is missing (`pip install blake3`).
    @Test(
        "random lengths, splits, modes and XOF reads match Python blake3",
        .enabled(if: pythonBlake3Available, "python3 with the 'blake3' package is missing (pip install blake3)")
    )
    func crossCheck() throws {
        var rng = SplitMix64(seed: 2024)
        let boundaries = [
            0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 8191, 8192, 8193,
            16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 17 * 1024, 65535, 65536, 65537,
            512 * 1024 - 1, 512 * 1024, 512 * 1024 + 1, 300_000,
        ]
        var lengths = boundaries
        for _ in 0..<25 { lengths.append(Int.random(in: 0...(400 * 1024), using: &rng)) }

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("blake3-crosscheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let levels = BLAKE3.supportedSIMDLevels
        var cases: [Case] = []
        var ours: [String] = []
        for (index, length) in lengths.enumerated() {
            let input = TestSupport.randomBytes(count: length, seed: rng.next())
            let path = directory.appendingPathComponent("\(index).bin").path
            try Data(input).write(to: URL(fileURLWithPath: path))

            let key = TestSupport.randomBytes(count: 32, seed: rng.next())
            let context = "ArtifactStore cross-check \(index) \(rng.next() % 1000)"
            let outputLength = index % 3 == 0 ? 32 : Int.random(in: 0...300, using: &rng)
            let seek = index % 3 == 0 ? 0 : Int.random(in: 0...200, using: &rng)
            for mode in ["hash", "keyed", "derive"] {
                var hasher: BLAKE3Hasher
                switch mode {
                case "hash": hasher = BLAKE3Hasher()
                case "keyed": hasher = try BLAKE3Hasher(key: key)
                default: hasher = BLAKE3Hasher(deriveKeyContext: context)
                }
                hasher.useSIMDLevel(levels[(index + cases.count) % levels.count])
                // Random split points.
                input.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let size = min(raw.count - offset, Int.random(in: 0...70_000, using: &rng))
                        hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
                        offset += size
                    }
                }
                ours.append(TestSupport.hex(hasher.finalize(outputLength: outputLength, seek: UInt64(seek))))
                cases.append(
                    Case(
                        path: path,
                        mode: mode,
                        key: mode == "keyed" ? TestSupport.hex(key) : nil,
                        context: mode == "derive" ? context : nil,
                        length: outputLength,
                        seek: seek
                    )
                )
            }
        }

        let theirs = try Self.runPython(cases: cases)
        try #require(theirs.count == cases.count)
        for index in cases.indices {
            #expect(
                ours[index] == theirs[index],
                "\(cases[index].mode) length \(lengths[index / 3]) output \(cases[index].length)@\(cases[index].seek)"
            )
        }
    }

    static func runPython(cases: [Case]) throws -> [String] {
        let script = TestSupport.packageRoot.appendingPathComponent("scripts/blake3_crosscheck.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(try JSONEncoder().encode(cases))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CrossCheckError(message: "blake3_crosscheck.py exited with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode([String].self, from: output)
    }

    struct CrossCheckError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

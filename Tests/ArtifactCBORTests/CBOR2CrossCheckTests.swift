import ArtifactCBOR
import Foundation
import Testing

/// Compares this codec with an independent one, the `cbor2` PyPI package, through
/// `scripts/cbor2_crosscheck.py`. cbor2's `canonical=True` sorts map keys length-first (the RFC
/// 7049 order, checked in ``canonicalOrderIsLengthFirst()``), not in RFC 8949 core order, so its
/// bytes are compared with ours through our decoder (same values), not byte for byte.
@Suite("Cross-check with Python cbor2", .timeLimit(.minutes(5)))
struct CBOR2CrossCheckTests {
    static let cbor2Available: Bool = {
        (try? python(["-c", "import cbor2"]))?.status == 0
    }()

    static let script = TestSupport.packageRoot.appendingPathComponent("scripts/cbor2_crosscheck.py").path

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func write(_ items: [[UInt8]], to path: String) throws {
        try items.map { TestSupport.hex($0) }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func read(_ path: String) throws -> [[UInt8]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { TestSupport.bytes(hex: String($0)) }
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cbor2-crosscheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static let reason: Comment = "python3 with the 'cbor2' package is missing (pip install cbor2)"

    @Test(
        "cbor2's canonical=True orders keys length-first, not in RFC 8949 core order",
        .enabled(if: cbor2Available, reason)
    )
    func canonicalOrderIsLengthFirst() throws {
        let result = try Self.python([Self.script, "canonical-order"])
        #expect(result.status == 0, "\(result.output)")
        let theirs = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        // The RFC's length-first list, with value 0 after each key.
        #expect(theirs == "a80a002000f400186400617a008120006261610081186400")
        #expect(theirs != "a80a001864002000617a006261610081186400812000f400")
    }

    @Test(
        "Swift encodes random values; cbor2 decodes and re-encodes them to the same values",
        .enabled(if: cbor2Available, reason)
    )
    func swiftToPython() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = RandomValues(seed: 0xC0FFEE)
        let values = (0..<600).map { _ in random.value() }
        let ours = try values.map { try CBOREncoder().encode($0) }
        let input = directory.appendingPathComponent("swift.txt").path
        let output = directory.appendingPathComponent("python.txt").path
        try Self.write(ours, to: input)
        let result = try Self.python([Self.script, "reencode", input, output])
        try #require(result.status == 0, "\(result.output)")
        let theirs = try Self.read(output)
        try #require(theirs.count == ours.count)
        var identical = 0
        for index in ours.indices {
            let back = try CBORDecoder().decode(theirs[index])
            // Same value: our deterministic encoding of their bytes is our bytes.
            #expect(try CBOREncoder().encode(back) == ours[index], "value \(index): \(values[index])")
            if theirs[index] == ours[index] { identical += 1 }
        }
        // Most random values have no map with keys of different lengths, so most bytes agree.
        #expect(identical > ours.count / 2)
        print("cbor2 cross-check: \(identical) of \(ours.count) re-encodings byte-identical (the rest differ in map key order only)")
    }

    @Test(
        "cbor2 encodes random values; Swift decodes and re-encodes them; cbor2 finds the same values",
        .enabled(if: cbor2Available, reason)
    )
    func pythonToSwift() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generated = directory.appendingPathComponent("python.txt").path
        let reencoded = directory.appendingPathComponent("swift.txt").path
        let generate = try Self.python([Self.script, "generate", "8949", "600", generated])
        try #require(generate.status == 0, "\(generate.output)")
        let theirs = try Self.read(generated)
        try #require(theirs.count == 600)
        var ours: [[UInt8]] = []
        for bytes in theirs {
            let value = try CBORDecoder().decode(bytes)
            let encoded = try CBOREncoder().encode(value)
            // Deterministic: a fixed point.
            #expect(try CBOREncoder().encode(try CBORDecoder().decode(encoded)) == encoded)
            ours.append(encoded)
        }
        try Self.write(ours, to: reencoded)
        let compare = try Self.python([Self.script, "compare", generated, reencoded])
        #expect(compare.status == 0, "\(compare.output)")
        #expect(compare.output.hasPrefix("ok 600"), "\(compare.output)")
    }
}

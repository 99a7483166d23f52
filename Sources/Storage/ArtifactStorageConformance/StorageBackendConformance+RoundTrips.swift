import ArtifactStorage
import ArtifactStoreCore
import Crypto
import Foundation
import NIOCore

extension StorageBackendConformance {
    /// An empty object is stored, stat-ed and read back as zero bytes.
    public func roundTripEmpty() async throws {
        try await withSubject(.roundTripEmpty) { _, probe in
            let target = try path("empty")
            let info = try await probe.backend.write(target, from: .empty)
            try probe.require(info.size == 0, "write reported \(info.size) bytes for an empty stream")
            try await probe.expectContent(target, [])
            let stat = try await probe.backend.stat(target)
            try probe.require(stat.size == 0, "stat reported \(stat.size) bytes for an empty object")
            try probe.require(try await probe.backend.exists(target), "an empty object does not exist after writing it")
            try await probe.expectReadError(.invalidRange, target, range: 0...0)
        }
    }

    /// One byte, stored and read back, whole and as the range `0...0`.
    public func roundTripOneByte() async throws {
        try await withSubject(.roundTripOneByte) { _, probe in
            let target = try path("dir/one")
            try await probe.write(target, [0xA7])
            try await probe.expectContent(target, [0xA7])
            let ranged = try await probe.read(target, range: 0...0)
            try probe.require(ranged == [0xA7], "range 0-0 of a one-byte object gave \(ranged)")
            try await probe.expectReadError(.invalidRange, target, range: 1...1)
        }
    }

    /// 1 MiB written in odd-sized chunks comes back byte for byte.
    public func roundTripOneMebibyte() async throws {
        try await withSubject(.roundTripOneMebibyte) { _, probe in
            let content = PatternedContent(seed: 1, size: 1024 * 1024, chunkSize: 65_537)
            let target = try path("a/b/c/mebibyte.bin")
            let info = try await probe.backend.write(target, from: content.stream)
            try probe.require(info.size == UInt64(content.size), "write reported \(info.size) bytes, sent \(content.size)")
            let (digest, size) = try await hash(try await probe.backend.read(target))
            try probe.require(size == content.size, "read \(size) bytes back, wrote \(content.size)")
            try probe.require(digest == content.sha256, "SHA-256 of what was read differs from what was written")
        }
    }

    /// A large object (≥ 100 MiB by default) streamed in and out, compared by SHA-256 computed
    /// independently from the generator; neither side ever holds it whole.
    public func roundTripLarge() async throws {
        try await withSubject(.roundTripLarge) { _, probe in
            let content = PatternedContent(seed: 2, size: capabilities.largeObjectSize)
            let expected = content.sha256
            let target = try path("large/object.bin")
            let info = try await probe.backend.write(target, from: content.stream)
            try probe.require(info.size == UInt64(content.size), "write reported \(info.size) bytes, sent \(content.size)")
            let stat = try await probe.backend.stat(target)
            try probe.require(stat.size == UInt64(content.size), "stat reported \(stat.size) bytes, wrote \(content.size)")
            var largestChunk = 0
            var hasher = Crypto.SHA256()
            var size = 0
            for try await chunk in try await probe.backend.read(target) {
                largestChunk = Swift.max(largestChunk, chunk.readableBytes)
                size += chunk.readableBytes
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            try probe.require(size == content.size, "read \(size) bytes back, wrote \(content.size)")
            try probe.require(Array(hasher.finalize()) == expected, "SHA-256 of the large object differs after the round trip")
            try probe.require(
                largestChunk <= 16 * 1024 * 1024,
                "a read yielded a \(largestChunk)-byte chunk; reads must stream in bounded chunks"
            )
            // A range deep inside, crossing chunk boundaries.
            let lower = UInt64(content.size / 2 - 3)
            let upper = lower + 2 * 1024 * 1024
            let (rangeDigest, rangeSize) = try await hash(try await probe.backend.read(target, range: lower...upper))
            try probe.require(rangeSize == Int(upper - lower + 1), "a range of \(upper - lower + 1) bytes read \(rangeSize)")
            var rangeHasher = Crypto.SHA256()
            var offset = 0
            for chunk in content.chunks() {
                let start = Swift.max(offset, Int(lower))
                let end = Swift.min(offset + chunk.readableBytes, Int(upper) + 1)
                if start < end {
                    chunk.withUnsafeReadableBytes {
                        rangeHasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[(start - offset)..<(end - offset)]))
                    }
                }
                offset += chunk.readableBytes
                if offset > Int(upper) { break }
            }
            try probe.require(rangeDigest == Array(rangeHasher.finalize()), "a range inside the large object holds the wrong bytes")
        }
    }

    /// Inclusive ranges: first byte, last byte, whole, middle; reversed and out-of-bounds ranges
    /// are `invalidRange`; a range of a missing object is `objectNotFound`.
    public func rangeReads() async throws {
        try await withSubject(.rangeReads) { _, probe in
            let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            let target = try path("ranged")
            try await probe.write(target, bytes)
            let cases: [(ClosedRange<UInt64>, ArraySlice<UInt8>)] = [
                (0...0, bytes[0...0]),
                (999...999, bytes[999...999]),
                (0...999, bytes[0...999]),
                (10...19, bytes[10...19]),
                (1...998, bytes[1...998]),
            ]
            for (range, expected) in cases {
                let actual = try await probe.read(target, range: range)
                try probe.require(
                    actual == Array(expected),
                    "range \(range.lowerBound)-\(range.upperBound) gave \(actual.count) bytes, expected \(expected.count)"
                )
            }
            try await probe.expectError(.invalidRange, "range 5-4 (lower above upper)") {
                _ = try await probe.read(target, range: try ClosedRange(validatingLower: 5, upper: 4))
            }
            for range: ClosedRange<UInt64> in [0...1000, 1000...1000, 500...5000, 999...1000, UInt64.max...UInt64.max, 0...UInt64.max] {
                try await probe.expectReadError(.invalidRange, target, range: range)
            }
            try await probe.expectContent(target, bytes, "after refused ranges")
            try await probe.expectReadError(.objectNotFound, try path("missing"), range: 0...0)
            try await probe.expectReadError(.objectNotFound, try path("missing"))
        }
    }

    /// `stat` and `exists` agree with what was written; modes are kept where promised.
    public func statAndExists() async throws {
        try await withSubject(.statAndExists) { _, probe in
            let target = try path("s/t/at")
            try probe.require(try await probe.backend.exists(target) == false, "exists is true before writing")
            try await probe.expectError(.objectNotFound, "stat of a missing object") { _ = try await probe.backend.stat(target) }
            let before = Date().addingTimeInterval(-300)
            try await probe.write(target, Array(repeating: 1, count: 4321), options: StorageWriteOptions(mode: 0o640))
            let stat = try await probe.backend.stat(target)
            try probe.require(stat.size == 4321, "stat size \(stat.size), wrote 4321")
            try probe.require(stat.path.bytes == target.bytes, "stat path \"\(stat.path)\"")
            try probe.require(stat.modified > before, "modification time \(stat.modified) is older than the write")
            if capabilities.keepsMode {
                try probe.require(
                    stat.mode.map { $0 & 0o7777 } == 0o640,
                    "mode \(stat.mode.map { String($0, radix: 8) } ?? "nil"), asked for 640"
                )
            }
            try probe.require(try await probe.backend.exists(target), "exists is false after writing")
            try await probe.expectError(.invalidConfiguration, "write with mode 0o10000") {
                try await probe.backend.write(try path("badmode"), from: [1].stream, options: StorageWriteOptions(mode: 0o10000))
            }
            try probe.require(try await probe.backend.exists(try path("badmode")) == false, "a refused write left an object")
            // A given SHA-256 of the bytes: malformed is refused before anything is stored; the
            // right one stores the bytes as any write does.
            try await probe.expectError(.invalidConfiguration, "write with a SHA-256 that is not 64 lower-case hex digits") {
                try await probe.backend.write(try path("badsha"), from: [1].stream, options: StorageWriteOptions(contentSHA256: "ABC"))
            }
            try probe.require(
                try await probe.backend.exists(try path("badsha")) == false,
                "a write with a malformed SHA-256 left an object"
            )
            let hashed = Array("hashed by its writer".utf8)
            let hex = SHA256.hash(data: hashed).map { String(format: "%02x", $0) }.joined()
            try await probe.backend.write(try path("sha/given"), from: hashed.stream, options: StorageWriteOptions(contentSHA256: hex))
            try probe.require(
                try await collect(try await probe.backend.read(try path("sha/given"))) == hashed,
                "a write with its SHA-256 given read back differently"
            )
            if capabilities.directories {
                let directory = try path("s/t")
                try probe.require(try await probe.backend.exists(directory) == false, "exists is true for a directory")
                try await probe.expectError(.objectNotFound, "stat of a directory") { _ = try await probe.backend.stat(directory) }
            }
        }
    }

    /// `makeDurable` succeeds on a stored object and leaves it as it was; a missing object, or
    /// a directory, is `objectNotFound`.
    public func makeDurable() async throws {
        try await withSubject(.makeDurable) { _, probe in
            let target = try path("d/u/rable")
            let content = Array((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try await probe.write(target, content)
            try await probe.backend.makeDurable(target)
            let after = try await collect(try await probe.backend.read(target))
            try probe.require(after == content, "the object changed after makeDurable")
            try await probe.backend.makeDurable(target)
            try await probe.expectError(.objectNotFound, "makeDurable of a missing object") {
                try await probe.backend.makeDurable(try path("d/u/missing"))
            }
            if capabilities.directories {
                try await probe.expectError(.objectNotFound, "makeDurable of a directory") {
                    try await probe.backend.makeDurable(try path("d/u"))
                }
            }
        }
    }
}

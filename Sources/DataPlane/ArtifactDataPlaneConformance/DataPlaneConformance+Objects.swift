import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorageConformance
import ArtifactStoreCore
import NIOCore

extension DataPlaneConformance {
    /// Inclusive ranges return exactly their bytes; past-the-end and reversed ranges are refused
    /// with their own codes.
    public func rangeReads() async throws {
        try await withSubject("rangeReads") { subject, probe in
            let content = ReferenceContent(seed: 7, size: 1024 * 1024 + 3, chunkSize: 100_000)
            let bytes = content.bytes
            let n = UInt64(bytes.count)
            let (result, _) = try await probe.ingest(content)
            let address = result.address
            let cases: [(String, ByteRange)] = [
                ("first byte", ByteRange(first: 0, last: 0)),
                ("last byte", ByteRange(first: n - 1, last: n - 1)),
                ("middle, across read chunks", ByteRange(first: 262_000, last: 800_123)),
                ("one byte in the middle", ByteRange(first: 524_288, last: 524_288)),
                ("whole", ByteRange(first: 0, last: n - 1)),
                ("tail", ByteRange(first: 1000, last: n - 1)),
            ]
            for (name, range) in cases {
                let served = try await collect(subject.dataPlane.serve(address, range: range, backendID: nil))
                let expected = Array(bytes[Int(range.first)...Int(range.last)])
                try probe.require(
                    served == expected,
                    "range \(name) \(range): got \(served.count) bytes, not the expected \(expected.count)"
                )
            }
            for range in [ByteRange(first: n, last: n), ByteRange(first: 0, last: n), ByteRange(first: n + 10, last: n + 20)] {
                let error = try await probe.expectFailure(.rangeNotSatisfiable, "range \(range) of \(n) bytes") {
                    _ = try await collect(subject.dataPlane.serve(address, range: range, backendID: nil))
                }
                try probe.mentions(error, range.description, address.description)
            }
            let inverted = try await probe.expectFailure(.invalidRange, "reversed range 5-3") {
                _ = try await collect(subject.dataPlane.serve(address, range: ByteRange(first: 5, last: 3), backendID: nil))
            }
            try probe.mentions(inverted, "5-3")
            // An empty object has no byte to serve.
            let empty = try await subject.dataPlane.ingest(.empty, hints: IngestHints())
            try await probe.expectFailure(.rangeNotSatisfiable, "range 0-0 of an empty object") {
                _ = try await collect(subject.dataPlane.serve(empty.address, range: ByteRange(first: 0, last: 0), backendID: nil))
            }
            try await probe.delete(empty)
            try await probe.delete(result)
        }
    }

    /// A byte flipped in storage is reported by verify, which changes nothing; a checked whole
    /// read refuses to deliver the object.
    public func corruptionIsReported() async throws {
        try await withSubject("corruptionIsReported") { subject, probe in
            for backendID in [subject.defaultBackendID, subject.otherBackendID] {
                let content = ReferenceContent(seed: 8, size: 700_000, chunkSize: 64 * 1024)
                let hints = IngestHints(backendID: backendID)
                let (result, reference) = try await probe.ingest(content, hints: hints)
                try await subject.corruptByte(backendID, result.receipt.storageKey, 123_456)
                let before = try await probe.snapshot()
                let first = try await subject.dataPlane.verify(result.address, backendID: backendID)
                try probe.require(!first.verified, "verify says a corrupted object in \(backendID) is intact")
                try probe.require(first.actualPrimaryDigest != reference.blake3, "verify's actual digest is the original one")
                try probe.equal(first.actualSize, reference.size, "verify's size")
                try probe.equal(first.address, result.address, "verify's address")
                let mismatch = try probe.requireValue(first.mismatch, "verify explains nothing")
                try probe.require(
                    mismatch.contains(first.actualPrimaryDigest.description),
                    "mismatch \"\(mismatch)\" does not name the actual digest"
                )
                let second = try await subject.dataPlane.verify(result.address, backendID: backendID)
                try probe.equal(second, first, "a second verify")
                try probe.equal(try await probe.snapshot(), before, "storage after verify")
                if capabilities.verifiesFullReads {
                    var received: UInt64 = 0
                    try await probe.expectFailure(.objectCorrupt, "whole read of a corrupted object") {
                        for try await chunk in try await subject.dataPlane.serve(result.address, range: nil, backendID: backendID) {
                            received += UInt64(chunk.readableBytes)
                        }
                    }
                    try probe.require(received < reference.size, "a checked read delivered all \(received) bytes of a corrupted object")
                }
                try await probe.delete(result)
            }
        }
    }

    /// Clean whole reads and a clean verify of an object that has sat untouched for a while
    /// (long enough for any implementation that remembers proved reads to remember this one) do
    /// not vouch for it once a byte is flipped: the next whole read and verify still see it.
    public func corruptionAfterCleanReads() async throws {
        try await withSubject("corruptionAfterCleanReads") { subject, probe in
            let content = ReferenceContent(seed: 18, size: 1_300_000, chunkSize: 100_000)
            let bytes = content.bytes
            let (result, reference) = try await probe.ingest(content)
            try await Task.sleep(for: .milliseconds(250))
            for _ in 0..<2 {
                let served = try await collect(subject.dataPlane.serve(result.address, range: nil, backendID: nil))
                try probe.require(
                    served == bytes,
                    "a clean whole read returned \(served.count) bytes that differ from the \(bytes.count) stored"
                )
            }
            try probe.require(try await subject.dataPlane.verify(result.address, backendID: nil).verified, "verify of the clean object")
            try await subject.corruptByte(subject.defaultBackendID, result.receipt.storageKey, 1_000_001)
            if capabilities.verifiesFullReads {
                var received: UInt64 = 0
                try await probe.expectFailure(.objectCorrupt, "whole read of an object corrupted after clean reads") {
                    for try await chunk in try await subject.dataPlane.serve(result.address, range: nil, backendID: nil) {
                        received += UInt64(chunk.readableBytes)
                    }
                }
                try probe.require(received < reference.size, "a checked read delivered all \(received) bytes of a corrupted object")
            }
            let verdict = try await subject.dataPlane.verify(result.address, backendID: nil)
            try probe.require(!verdict.verified, "verify says an object corrupted after clean reads is intact")
            try await probe.delete(result)
        }
    }

    /// Delete removes the object and says how many bytes; a second delete succeeds and removes nothing.
    public func deleteTwice() async throws {
        try await withSubject("deleteTwice") { subject, probe in
            let content = ReferenceContent(seed: 9, size: 12_345)
            let (result, _) = try await probe.ingest(content)
            let first = try await subject.dataPlane.delete(result.address, backendID: nil)
            try probe.require(first.removed && first.bytesRemoved == 12_345, "first delete: \(first)")
            let second = try await subject.dataPlane.delete(result.address, backendID: nil)
            try probe.require(!second.removed && second.bytesRemoved == 0, "second delete: \(second)")
            try probe.equal(second.address, result.address, "second delete's address")
            try await probe.expectFailure(.objectNotFound, "serve after delete") {
                _ = try await subject.dataPlane.serve(result.address, range: nil, backendID: nil)
            }
            try await probe.expectFailure(.objectNotFound, "verify after delete") {
                _ = try await subject.dataPlane.verify(result.address, backendID: nil)
            }
            // Content can come back after deletion.
            let (again, _) = try await probe.ingest(content, deduplicated: false)
            try await probe.delete(again)
        }
    }

    /// Health reports every backend; a backend taken away is reported unhealthy, the other stays healthy.
    public func healthWithBackendTakenAway() async throws {
        try await withSubject("healthWithBackendTakenAway", leakCheck: false) { subject, probe in
            let ids = [subject.defaultBackendID, subject.otherBackendID]
            let healthy = await subject.dataPlane.backendHealth()
            try probe.equal(Set(healthy.map(\.backendID)), Set(ids), "backends reported")
            try probe.equal(healthy.count, ids.count, "statuses")
            for status in healthy {
                try probe.require(
                    status.reachable && status.writable,
                    "backend \(status.backendID) unhealthy before anything happened: \(status.message)"
                )
                try probe.equal(status.isDefault, status.backendID == subject.defaultBackendID, "isDefault of \(status.backendID)")
                try probe.require(status.latencySeconds >= 0, "negative latency")
                try probe.require(!status.message.isEmpty, "empty message")
            }
            try await subject.takeAway(subject.otherBackendID)
            let after = await subject.dataPlane.backendHealth()
            try probe.equal(Set(after.map(\.backendID)), Set(ids), "backends reported after one was taken away")
            let gone = try probe.requireValue(after.first { $0.backendID == subject.otherBackendID }, "missing status")
            try probe.require(!gone.reachable || !gone.writable, "a backend that was taken away is reported healthy: \(gone.message)")
            try probe.require(!gone.message.isEmpty, "the unhealthy backend's message is empty")
            let kept = try probe.requireValue(after.first { $0.backendID == subject.defaultBackendID }, "missing status")
            try probe.require(kept.reachable && kept.writable, "the default backend turned unhealthy: \(kept.message)")
            // The default backend still works.
            let (result, _) = try await probe.ingest(ReferenceContent(seed: 10, size: 10))
            try await probe.delete(result)
        }
    }

    /// An unknown backend id is refused by every operation, naming the id.
    public func unknownBackend() async throws {
        try await withSubject("unknownBackend") { subject, probe in
            let name = "no-such-backend"
            let address = ContentAddress(ReferenceDigests(of: [1, 2, 3]).blake3)
            let errors = [
                try await probe.expectFailure(.unknownBackend, "ingest") {
                    _ = try await subject.dataPlane.ingest(ByteStream(ByteBuffer(bytes: [1, 2, 3])), hints: IngestHints(backendID: name))
                },
                try await probe.expectFailure(.unknownBackend, "serve") {
                    _ = try await subject.dataPlane.serve(address, range: nil, backendID: name)
                },
                try await probe.expectFailure(.unknownBackend, "verify") {
                    _ = try await subject.dataPlane.verify(address, backendID: name)
                },
                try await probe.expectFailure(.unknownBackend, "delete") {
                    _ = try await subject.dataPlane.delete(address, backendID: name)
                },
            ]
            for error in errors {
                try probe.mentions(error, name)
            }
        }
    }

    /// An address nothing is stored under: serve and verify say so; delete removes nothing.
    public func unknownObject() async throws {
        try await withSubject("unknownObject") { subject, probe in
            let digests = ReferenceDigests(of: Array("never stored".utf8))
            for address in [ContentAddress(digests.blake3), ContentAddress(digests.sha256)] {
                for backendID in [nil, subject.otherBackendID] {
                    let served = try await probe.expectFailure(.objectNotFound, "serve \(address)") {
                        _ = try await collect(subject.dataPlane.serve(address, range: nil, backendID: backendID))
                    }
                    try probe.mentions(served, address.description)
                    try await probe.expectFailure(.objectNotFound, "serve a range of \(address)") {
                        _ = try await collect(subject.dataPlane.serve(address, range: ByteRange(first: 0, last: 0), backendID: backendID))
                    }
                    let verified = try await probe.expectFailure(.objectNotFound, "verify \(address)") {
                        _ = try await subject.dataPlane.verify(address, backendID: backendID)
                    }
                    try probe.mentions(verified, address.description)
                    let deletion = try await subject.dataPlane.delete(address, backendID: backendID)
                    try probe.require(!deletion.removed && deletion.bytesRemoved == 0, "delete of an unknown object: \(deletion)")
                }
            }
        }
    }
}

extension Probe {
    func requireValue<T>(_ value: T?, _ detail: @autoclosure () -> String) throws -> T {
        guard let value else { throw fail(detail()) }
        return value
    }
}

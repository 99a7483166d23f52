import ArtifactCBOR
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreCore
import Foundation
import Testing

/// The value types cross a process boundary as CBOR (the data plane wire protocol, over a Unix
/// socket) and reach HTTP and the CLI as JSON, so each must survive a round trip through both
/// unchanged: ArtifactCBOR's encoder to bytes and its decoder back, and Foundation's JSON.
@Suite("Data plane value types", .timeLimit(.minutes(5)))
struct ValueTypeCodingTests {
    static let blake3 = try! Digest(parsing: "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
    static let sha256 = try! Digest(parsing: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    static let when = Date(timeIntervalSince1970: 1_790_000_000.25)

    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        let decoded = try JSONDecoder().decode(T.self, from: data)
        #expect(decoded == value, "\(T.self) changed in a JSON round trip: \(String(decoding: data, as: UTF8.self))")

        let bytes = try CBOREncoder().encode(value)
        let fromCBOR = try CBORDecoder().decode(T.self, from: bytes)
        let diagnostic = try CBORDecoder().decode(bytes)
        #expect(fromCBOR == value, "\(T.self) changed in a CBOR round trip: \(diagnostic)")
        // Deterministic encoding: the decoded value encodes to the same bytes.
        #expect(try CBOREncoder().encode(fromCBOR) == bytes)
        return fromCBOR
    }

    @Test func ingestHints() throws {
        _ = try roundTrip(IngestHints())
        _ = try roundTrip(
            IngestHints(sizeHint: 42, primaryAlgorithm: .sha256, backendID: "cold", expectedDigest: Self.sha256, expectedSize: 0)
        )
        #expect(IngestHints().primaryAlgorithm == .blake3)
    }

    @Test func ingestResultAndReceipt() throws {
        let receipt = StorageReceipt(
            backendID: "main",
            storageKey: ContentAddress(Self.blake3).storageKey,
            size: 0,
            storedAt: Self.when,
            deduplicated: true
        )
        let result = try roundTrip(
            IngestResult(primaryDigest: Self.blake3, sha256Digest: Self.sha256, blake3Digest: Self.blake3, size: 0, receipt: receipt)
        )
        #expect(result.address == ContentAddress(Self.blake3))
        #expect(result.receipt.storageKey == "blobs/blake3/af/13/af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
    }

    @Test func verifyDeletionAndStatus() throws {
        _ = try roundTrip(
            VerifyResult(
                address: ContentAddress(Self.blake3),
                backendID: "main",
                verified: false,
                actualPrimaryDigest: Self.blake3,
                actualSHA256Digest: Self.sha256,
                actualBLAKE3Digest: Self.blake3,
                actualSize: 7,
                mismatch: "differs"
            )
        )
        _ = try roundTrip(DeletionResult(address: ContentAddress(Self.sha256), backendID: "b", removed: true, bytesRemoved: 12))
        _ = try roundTrip(
            BackendStatus(
                backendID: "main",
                isDefault: true,
                reachable: true,
                writable: false,
                latencySeconds: 0.003,
                freeBytes: nil,
                totalBytes: 9,
                message: "read-only",
                checkedAt: Self.when
            )
        )
        _ = try roundTrip(ByteRange(first: 9, last: 3))
    }

    @Test func byteRange() {
        #expect(ByteRange(first: 0, last: 0).count == 1)
        #expect(ByteRange(first: 5, last: 3).closedRange == nil)
        #expect(ByteRange(first: 5, last: 3).count == 0)
        #expect(ByteRange(2...9).closedRange == 2...9)
        #expect(ByteRange(first: 2, last: 9).description == "2-9")
    }
}

@Suite("Data plane errors", .timeLimit(.minutes(5)))
struct DataPlaneErrorTests {
    /// Codes are published (HTTP, CLI, wire protocol): this list changes only by appending.
    @Test func codesAreStable() {
        #expect(
            DataPlaneError.Code.allCases.map(\.rawValue) == [
                "invalidConfiguration", "unknownBackend", "backendUnavailable", "objectNotFound", "invalidRange",
                "rangeNotSatisfiable", "digestMismatch", "sizeMismatch", "sizeLimitExceeded", "streamFailed",
                "cancelled", "storage", "dataPlaneUnavailable", "objectCorrupt", "rangeUnverifiable",
            ]
        )
    }

    struct Cause: Error {}

    @Test func shapeAndCoding() throws {
        let error = DataPlaneError(.unknownBackend, "no backend \"x\"", backendID: "x", underlying: Cause())
        #expect(error.code == "unknownBackend")
        #expect(error.description.hasPrefix("unknownBackend: no backend \"x\" (caused by:"))
        let data = try JSONEncoder().encode(error)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"code\":\"unknownBackend\""))
        let decoded = try JSONDecoder().decode(DataPlaneError.self, from: data)
        #expect(decoded.kind == .unknownBackend)
        #expect(decoded.message == error.message)
        #expect(decoded.backendID == "x")
        #expect(decoded.underlying == nil)

        // The same through CBOR: the code as text, the cause left behind.
        let bytes = try CBOREncoder().encode(error)
        #expect(try CBORDecoder().decode(bytes)["code"] == .textString("unknownBackend"))
        let fromCBOR = try CBORDecoder().decode(DataPlaneError.self, from: bytes)
        #expect(fromCBOR.kind == .unknownBackend && fromCBOR.message == error.message && fromCBOR.backendID == "x")
        #expect(fromCBOR.underlying == nil)
    }

    @Test func unknownCodeIsRefused() throws {
        let data = Data(#"{"code":"somethingNew","message":"m"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DataPlaneError.self, from: data) }
        let bytes = try CBOREncoder().encode(CBORValue.map(["code": "somethingNew", "message": "m"]))
        let refused = #expect(throws: CBORError.self) { try CBORDecoder().decode(DataPlaneError.self, from: bytes) }
        #expect(refused?.kind == .dataCorrupted, "\(String(describing: refused))")
    }
}

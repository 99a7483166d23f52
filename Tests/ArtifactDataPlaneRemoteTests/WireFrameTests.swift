import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneWire
import ArtifactIdentity
import Foundation
import NIOCore
import Testing

/// Frames and messages on their own: what docs/dataplane-protocol.md says the bytes are.
@Suite("Wire frames", .timeLimit(.minutes(10)))
struct WireFrameTests {
    static let address = ContentAddress(try! Digest(parsing: "blake3:" + String(repeating: "ab", count: 32)))

    /// The worked example of the protocol document, byte for byte.
    @Test func helloExampleMatchesTheDocument() throws {
        let frame = try Frame.control(.hello, call: 0, Hello(versions: [1], client: "example")).encoded()
        let hex = frame.readableBytesView.map { String(format: "%02x", $0) }.joined(separator: " ")
        #expect(hex == "00 00 00 1e 83 00 00 a2 66 63 6c 69 65 6e 74 67 65 78 61 6d 70 6c 65 68 76 65 72 73 69 6f 6e 73 81 01")
    }

    static func parseAll(_ buffer: ByteBuffer) throws -> [Frame] {
        var buffer = buffer
        var frames: [Frame] = []
        while let frame = try FrameDecoder.nextFrame(from: &buffer, limits: .default) { frames.append(frame) }
        #expect(buffer.readableBytes == 0)
        return frames
    }

    @Test(arguments: [0, 1, 23, 24, 255, 256, 65_535, 65_536, 1024 * 1024])
    func dataFramesCarryTheirPayloadExactly(_ size: Int) throws {
        let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for call in [1, 23, 24, 300, 70_000, UInt64.max] as [UInt64] {
            let encoded = try Frame.data(call: call, payload).encoded()
            // The data header and the general CBOR encoder agree on the bytes.
            let general = try CBOREncoder().encode(.array([.unsigned(4), .unsigned(call), .byteString(Array(payload.readableBytesView))]))
            #expect(Array(encoded.readableBytesView.dropFirst(4)) == general)
            let frames = try Self.parseAll(encoded)
            #expect(frames.count == 1)
            #expect(frames[0].kind == .data && frames[0].call == call)
            guard case .bytes(let parsed) = frames[0].body else {
                Issue.record("data frame without bytes")
                return
            }
            #expect(parsed == payload)
        }
    }

    /// The channel's decoder, fed one byte at a time, gives the same frames; data payloads come
    /// out in buffers of their own size (the allocator rounds to a power of two); the end of input inside a frame is `truncatedFrame`.
    @Test func streamingDecoderAgrees() throws {
        var stream = ByteBuffer()
        let payload = ByteBuffer(bytes: (0..<70_000).map { UInt8(truncatingIfNeeded: $0) })
        let frames: [Frame] = [
            try Frame.control(.hello, call: 0, Hello(client: "x")),
            try WireRequest.ingest(IngestHints()).frame(call: 1),
            .data(call: 1, payload),
            .data(call: 300, ByteBuffer()),
            Frame(.end, call: 1, body: .value(.null)),
        ]
        for frame in frames { try frame.write(into: &stream) }
        var decoder = FrameDecoder()
        var pending = ByteBuffer()
        var decoded: [Frame] = []
        for byte in stream.readableBytesView {
            pending.writeInteger(byte)
            while let frame = try decoder.next(from: &pending) { decoded.append(frame) }
        }
        try decoder.finish(buffer: &pending)
        #expect(decoded.map(\.kind) == frames.map(\.kind))
        #expect(decoded.map(\.call) == frames.map(\.call))
        guard case .bytes(let bytes) = decoded[2].body else {
            Issue.record("no payload")
            return
        }
        #expect(bytes == payload)
        #expect(bytes.capacity < 2 * payload.readableBytes, "a payload owns its bytes, not a whole read buffer")

        var cut = try Frame.data(call: 2, payload).encoded()
        cut.moveWriterIndex(to: cut.writerIndex - 10)
        var truncated = FrameDecoder()
        #expect(try truncated.next(from: &cut) == nil)
        let error = #expect(throws: DataPlaneWireError.self) { try truncated.finish(buffer: &cut) }
        #expect(error?.kind == .truncatedFrame)
        #expect(error?.message.contains("10 payload bytes missing") == true)
    }

    /// Every prefix of a frame is "need more data", never an error or a frame.
    @Test func partialFramesWait() throws {
        let encoded = try WireRequest.verify(Self.address, backendID: "b").frame(call: 9).encoded()
        for cut in 0..<encoded.readableBytes {
            var prefix = encoded.getSlice(at: 0, length: cut)!
            #expect(try FrameDecoder.nextFrame(from: &prefix, limits: .default) == nil)
        }
    }

    @Test func requestsRoundTrip() throws {
        let digest = try Digest(parsing: "sha256:" + String(repeating: "0f", count: 32))
        let requests: [WireRequest] = [
            .ingest(IngestHints()),
            .ingest(IngestHints(sizeHint: 5, primaryAlgorithm: .sha256, backendID: "b", expectedDigest: digest, expectedSize: 5)),
            .serve(Self.address, range: nil, backendID: nil, window: 8),
            .serve(Self.address, range: ByteRange(first: 3, last: 9), backendID: "other", window: 1),
            .verify(Self.address, backendID: nil),
            .delete(Self.address, backendID: "b"),
            .backendHealth,
        ]
        for (index, request) in requests.enumerated() {
            let frames = try Self.parseAll(try request.frame(call: UInt64(index + 1)).encoded())
            #expect(frames.first?.kind == .request)
            #expect(try WireRequest(frame: frames[0]) == request)
        }
    }

    @Test func requestWithMissingFieldsIsMalformed() throws {
        let frame = Frame(.request, call: 1, body: .value(.map(["op": "serve"])))
        let missing = #expect(throws: DataPlaneWireError.self) { try WireRequest(frame: frame) }
        #expect(missing?.kind == .malformedFrame)
        #expect(missing?.message.contains("address") == true, "\(missing?.message ?? "")")
        let notAMap = Frame(.request, call: 1, body: .value(.unsigned(1)))
        #expect(#expect(throws: DataPlaneWireError.self) { try WireRequest(frame: notAMap) }?.kind == .malformedFrame)
    }

    /// Error frames carry the in-process data plane codes unchanged; protocol codes become
    /// `dataPlaneUnavailable` with the wire error underneath.
    @Test func failuresMapToDataPlaneErrors() {
        for code in DataPlaneError.Code.allCases where code != .dataPlaneUnavailable {
            let error = WireFailure(DataPlaneError(code, "m", backendID: "b")).dataPlaneError
            #expect(error.kind == code && error.message == "m" && error.backendID == "b")
        }
        for code in DataPlaneWireError.Code.allCases {
            #expect(DataPlaneError.Code(rawValue: code.rawValue) == nil, "wire code \(code) collides with a data plane code")
            let error = WireFailure(DataPlaneWireError(code, "m")).dataPlaneError
            #expect(error.kind == .dataPlaneUnavailable)
            #expect((error.underlying as? DataPlaneWireError)?.kind == code)
        }
        #expect(WireFailure(DataPlaneWireError(.unsupportedVersion, "m")).supportedVersions == [1])
    }

    @Test func controlFramesRoundTrip() throws {
        let welcome = Welcome(version: 1, limits: .default)
        let frames = try Self.parseAll(try Frame.control(.welcome, call: 0, welcome).encoded())
        #expect(try frames[0].decodeBody(Welcome.self) == welcome)
        #expect(welcome.maximumFrameLength == 1_049_600 && welcome.maximumChunkLength == 1_048_576)
        let cancel = WireCancel(reason: .streamFailed, message: "went away")
        #expect(try Self.parseAll(try Frame.control(.cancel, call: 3, cancel).encoded())[0].decodeBody(WireCancel.self) == cancel)
    }

    /// `value` in a frame of `kind`, written to bytes, parsed back and decoded: the same value.
    static func throughAFrame<T: Codable & Equatable>(
        _ kind: Frame.Kind,
        _ value: T,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let frames = try parseAll(try Frame.control(kind, call: 7, value).encoded())
        #expect(frames.count == 1 && frames[0].kind == kind && frames[0].call == 7, sourceLocation: sourceLocation)
        #expect(try frames[0].decodeBody(T.self) == value, "\(T.self) changed on the wire", sourceLocation: sourceLocation)
    }

    /// Every message body of the protocol (docs/dataplane-protocol.md), in CBOR frames and
    /// back, including the optional fields both present and absent.
    @Test func messageBodiesRoundTripThroughCBORFrames() throws {
        let sha256 = try Digest(parsing: "sha256:" + String(repeating: "0f", count: 32))
        let blake3 = Self.address.digest
        let when = Date(timeIntervalSince1970: 1_790_000_000.25)
        try Self.throughAFrame(.hello, Hello(client: "tests"))
        try Self.throughAFrame(.hello, Hello(versions: [1, 2, 900], client: ""))
        try Self.throughAFrame(
            .welcome,
            Welcome(
                version: 1,
                limits: WireLimits(maximumFrameLength: 5_000, maximumChunkLength: 4_000, maximumConcurrentCalls: 3, ingestWindow: 2)
            )
        )
        try Self.throughAFrame(.cancel, WireCancel(reason: .cancelled, message: "é 名"))
        try Self.throughAFrame(.error, WireFailure(DataPlaneError(.objectNotFound, "no object", backendID: "main")))
        try Self.throughAFrame(.error, WireFailure(DataPlaneWireError(.unsupportedVersion, "speak 1")))
        try Self.throughAFrame(.result, WireServeStart())
        try Self.throughAFrame(
            .result,
            WireServeStart(descriptor: WireDescriptorTicket(ticket: Array(0..<32), size: 1 << 40, backendID: "disk", proves: true))
        )
        try Self.throughAFrame(
            .result,
            WireHealth(backends: [
                BackendStatus(
                    backendID: "main",
                    isDefault: true,
                    reachable: true,
                    writable: false,
                    latencySeconds: 0.003,
                    freeBytes: nil,
                    totalBytes: 9,
                    message: "read-only",
                    checkedAt: when
                ),
                BackendStatus(
                    backendID: "cold",
                    isDefault: false,
                    reachable: false,
                    writable: false,
                    latencySeconds: 0,
                    freeBytes: 1,
                    totalBytes: nil,
                    message: "",
                    checkedAt: when
                ),
            ])
        )
        try Self.throughAFrame(.result, WireHealth(backends: []))
        let receipt = StorageReceipt(backendID: "main", storageKey: Self.address.storageKey, size: 3, storedAt: when, deduplicated: false)
        try Self.throughAFrame(
            .result,
            IngestResult(primaryDigest: blake3, sha256Digest: sha256, blake3Digest: blake3, size: 3, receipt: receipt)
        )
        try Self.throughAFrame(
            .result,
            VerifyResult(
                address: Self.address,
                backendID: "main",
                verified: false,
                actualPrimaryDigest: blake3,
                actualSHA256Digest: sha256,
                actualBLAKE3Digest: blake3,
                actualSize: 7,
                mismatch: "differs"
            )
        )
        try Self.throughAFrame(
            .result,
            VerifyResult(
                address: Self.address,
                backendID: "main",
                verified: true,
                actualPrimaryDigest: blake3,
                actualSHA256Digest: sha256,
                actualBLAKE3Digest: blake3,
                actualSize: 0,
                mismatch: nil
            )
        )
        try Self.throughAFrame(.result, DeletionResult(address: Self.address, backendID: "b", removed: false, bytesRemoved: 0))
    }
}

import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactDataPlaneWire
import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import NIOCore
import Testing

/// The three points a client written from docs/dataplane-protocol.md alone could not settle
/// (issue 18, item 11), pinned on the wire against the real daemon with a raw frame client:
/// the initial ingest credit is one grant; a serve range past the object is refused, not
/// clipped; a serve `window` must be 1…2³¹−1, and a window of 1 streams.
@Suite("Protocol edges", .timeLimit(.minutes(10)))
struct ProtocolEdgeTests {
    typealias Setup = HostilePeerTests.Setup

    /// The credit values of the `credit` frames on `call`, in order.
    static func credits(_ frames: [Frame], call: UInt64) -> [UInt64] {
        frames.compactMap { frame in
            guard frame.call == call, frame.kind == .credit, case .value(.unsigned(let count)) = frame.body else { return nil }
            return count
        }
    }

    static func data(_ count: Int, call: UInt64 = 1) throws -> [ByteBuffer] {
        try (0..<count).map { _ in try Frame.data(call: call, ByteBuffer(repeating: 7, count: 1000)).encoded() }
    }

    // MARK: Initial ingest credit

    /// With the daemon's storage taking no chunk (so no credit comes back), the client may send
    /// exactly `ingestWindow` data frames: the credit frame announces that one grant and does not
    /// add a second to the `ingestWindow` of `welcome`. The last of them is still accepted (a
    /// health call after it is answered); one frame more is refused.
    @Test func initialIngestCreditIsOneGrant() async throws {
        let setup = try await Setup(wrap: { HeldIngestDataPlane(base: $0) })
        let window = WireLimits.default.ingestWindow
        let hello = try RawClient.hello()
        let request = try WireRequest.ingest(IngestHints()).frame(call: 1).encoded()
        let health = try WireRequest.backendHealth.frame(call: 2).encoded()
        let within = try await setup.raw.frames([hello, request] + Self.data(window) + [health]) {
            ($0.call == 2 && $0.kind == .result) || $0.call == 0 && $0.kind == .error
        }
        let welcome = try #require(within.first).decodeBody(Welcome.self)
        #expect(welcome.ingestWindow == UInt64(window))
        #expect(within.last?.call == 2 && within.last?.kind == .result)
        #expect(Self.credits(within, call: 1).allSatisfy { $0 == UInt64(window) } && Self.credits(within, call: 1).count <= 1)

        // A frame of an unknown kind after the extra one ends the connection quickly (as
        // `unknownFrameKind`) should a daemon ever accept the extra frame.
        let closer = RawClient.frame(body: [0x83, 0x18, 0x63, 0x01, 0xF6])
        let beyond = try await setup.raw.exchange([hello, request] + Self.data(window + 1) + [closer])
        // The credit frame is written by the call's task and may lose the race with the refusal.
        #expect(Self.credits(beyond.frames, call: 1).allSatisfy { $0 == UInt64(window) } && Self.credits(beyond.frames, call: 1).count <= 1)
        let fatal = try #require(beyond.frames.last { $0.kind == .error && $0.call == 0 }).decodeBody(WireFailure.self)
        #expect(fatal.code == "protocolViolation")
        #expect(fatal.message.contains("call 1 sent without credit"), "\(fatal.message)")
        try await setup.storesNothing()
        try await setup.harness.stop()
        try await setup.subject.tearDown()
    }

    /// The grant is usable without waiting for its credit frame: `ingestWindow` chunks and
    /// `end`, all written at once, are stored. The first frame on the call is that credit.
    @Test func theFirstGrantNeedsNoWait() async throws {
        let setup = try await Setup()
        let window = WireLimits.default.ingestWindow
        let request = try WireRequest.ingest(IngestHints()).frame(call: 1).encoded()
        let end = try Frame(.end, call: 1, body: .value(.null)).encoded()
        let frames = try await setup.raw.frames([try RawClient.hello(), request] + Self.data(window) + [end]) {
            $0.call == 1 && ($0.kind == .result || $0.kind == .error)
        }
        let onCall = frames.filter { $0.call == 1 }
        #expect(onCall.first?.kind == .credit)
        #expect(Self.credits(frames, call: 1).first == UInt64(window))
        let result = try #require(onCall.last).decodeBody(IngestResult.self)
        #expect(result.size == UInt64(window * 1000))
        _ = try await setup.subject.dataPlane.delete(result.address)
        try await setup.stillServesThenStop()
    }

    // MARK: Ranges past the object

    /// A range that ends past the object, or starts there, is `rangeNotSatisfiable` on the call,
    /// naming the range and the object's size: the daemon never clips (HTTP clips before it
    /// asks). No `result`, no data; the connection stays usable.
    @Test(arguments: [(0, 1000), (990, 1005), (1000, 1000), (5000, 6000)] as [(UInt64, UInt64)])
    func rangePastTheEndIsRefused(_ first: UInt64, _ last: UInt64) async throws {
        let setup = try await Setup()
        let object = try await setup.subject.dataPlane.ingest(ByteStream(ByteBuffer(repeating: 0x41, count: 1000)))
        let range = ByteRange(first: first, last: last)
        let refused = try WireRequest.serve(object.address, range: range, backendID: nil, window: 8).frame(call: 1).encoded()
        let tail = ByteRange(first: 990, last: 999)
        let inside = try WireRequest.serve(object.address, range: tail, backendID: nil, window: 8).frame(call: 2).encoded()
        let frames = try await setup.raw.frames([try RawClient.hello(), refused, inside]) {
            $0.call == 2 && ($0.kind == .end || $0.kind == .error)
        }
        let onCall1 = frames.filter { $0.call == 1 }
        #expect(onCall1.map(\.kind) == [.error])
        let error = try #require(onCall1.first).decodeBody(WireFailure.self)
        #expect(error.code == "rangeNotSatisfiable")
        #expect(error.message.contains(range.description) && error.message.contains("1000 bytes"), "\(error.message)")
        let served = frames.filter { $0.call == 2 && $0.kind == .data }.reduce(0) { total, frame in
            guard case .bytes(let payload) = frame.body else { return total }
            return total + payload.readableBytes
        }
        #expect(frames.last?.kind == .end && served == 10)
        _ = try await setup.subject.dataPlane.delete(object.address)
        try await setup.stillServesThenStop()
    }

    // MARK: Serve windows

    /// A window of 0 (the daemon could never send) or above 2³¹−1 is refused as
    /// `malformedFrame` naming the value, before anything is read or served.
    @Test(arguments: [0, UInt64(Int32.max) + 1, UInt64.max])
    func windowOutsideTheRangeIsRefused(_ window: UInt64) async throws {
        let setup = try await Setup()
        let object = try await setup.subject.dataPlane.ingest(ByteStream(ByteBuffer(repeating: 0x42, count: 1000)))
        let serve = try WireRequest.serve(object.address, range: nil, backendID: nil, window: window).frame(call: 1).encoded()
        let answer = try await setup.raw.exchange([try RawClient.hello(), serve])
        #expect(answer.frames.map(\.kind) == [.welcome, .error])
        let error = try #require(answer.errors.first)
        #expect(error.code == "malformedFrame")
        #expect(error.message.contains("window \(window)") && error.message.contains("from 1 to 2147483647"), "\(error.message)")
        #expect(answer.frames.last?.call == 0)
        _ = try await setup.subject.dataPlane.delete(object.address)
        try await setup.stillServesThenStop()
    }

    /// The edges of the range are served: 1 (one data frame until the client grants more) and
    /// 2³¹−1.
    @Test(arguments: [1, UInt64(Int32.max)])
    func windowAtTheEdgesIsServed(_ window: UInt64) async throws {
        let setup = try await Setup()
        let object = try await setup.subject.dataPlane.ingest(ByteStream(ByteBuffer(repeating: 0x43, count: 1000)))
        let serve = try WireRequest.serve(object.address, range: nil, backendID: nil, window: window).frame(call: 1).encoded()
        let frames = try await setup.raw.frames([try RawClient.hello(), serve]) { $0.call == 1 && ($0.kind == .end || $0.kind == .error) }
        #expect(frames.filter { $0.call == 1 }.map(\.kind) == [.result, .data, .end])
        _ = try await setup.subject.dataPlane.delete(object.address)
        try await setup.stillServesThenStop()
    }

    /// A client with a window of 1 grants one credit per chunk taken (`max(1, window/2)`, not
    /// `window/2` = 0), so an object of several chunks streams to the end, whole and ranged.
    @Test func windowOfOneStreamsManyChunks() async throws {
        let setup = try await Setup()
        var content = ByteBuffer()
        for index in 0..<(3 * 1024 * 1024 + 12_345) { content.writeInteger(UInt8(truncatingIfNeeded: index &* 31)) }
        let object = try await setup.subject.dataPlane.ingest(ByteStream(content))
        let configuration = RemoteDataPlane.Configuration(serveWindow: 1, takesDescriptors: false)
        let remote = RemoteDataPlane(socketPath: setup.harness.socketPath, configuration: configuration, logger: TestLogs.silent)
        let range = ByteRange(first: 100_000, last: 2_600_000)
        for asked in [nil, range] {
            var served = ByteBuffer()
            for try await chunk in try await remote.serve(object.address, range: asked, backendID: nil) {
                var chunk = chunk
                served.writeBuffer(&chunk)
            }
            let expected = asked.map { content.getSlice(at: Int($0.first), length: Int($0.count))! } ?? content
            #expect(served == expected, "range \(asked?.description ?? "whole")")
        }
        remote.shutdown()
        _ = try await setup.subject.dataPlane.delete(object.address)
        try await setup.stillServesThenStop()
    }
}

/// The real data plane, whose ingest takes no chunk until its call is cancelled (a wrapper, not
/// a mock): no credit comes back, so the test sees the initial grant alone.
struct HeldIngestDataPlane: WrappingDataPlane {
    let base: any DataPlane

    func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        let (held, continuation) = AsyncStream<Never>.makeStream()
        // Ends when the daemon cancels the call, which it does when the call's connection ends.
        for await _ in held {}
        continuation.finish()
        throw DataPlaneError(.cancelled, "the held ingest was cancelled")
    }
}

import ArtifactCBOR
import ArtifactDataPlaneWire
import NIOCore

/// libFuzzer entry point for the data plane frame decoder (see docs/fuzzing.md).
///
/// The input is a byte stream as a peer would send it, fed to the decoder the daemon's channel
/// uses. Every input must yield frames or fail with a `DataPlaneWireError`; anything else (a
/// trap, a sanitizer report, a timeout, unbounded memory) is a finding. Also checked: feeding
/// the bytes in two parts at any split gives the same frames as feeding them whole; deterministic
/// encoding is a fixed point for every frame parsed (encode, parse, encode gives the same bytes);
/// request, hello, welcome, cancel and error bodies decode or fail with a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameFuzzerTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    let limits = WireLimits(maximumFrameLength: 4096, maximumChunkLength: 2048, maximumConcurrentCalls: 4, ingestWindow: 2)

    let whole = frames(of: [input], limits: limits)
    if count > 1 {
        let split = Int(input.getInteger(at: 0, as: UInt8.self)!) % count
        let parts = [input.getSlice(at: 0, length: split)!, input.getSlice(at: split, length: count - split)!]
        let pieces = frames(of: parts, limits: limits)
        guard pieces.frames.count == whole.frames.count, pieces.error?.kind == whole.error?.kind else {
            fatalError(
                "split at \(split) gave \(pieces.frames.count) frames / \(String(describing: pieces.error)), whole gave \(whole.frames.count) / \(String(describing: whole.error))"
            )
        }
    }
    for frame in whole.frames {
        do {
            // Deterministic encoding is a fixed point: encode(parse(encode(f))) == encode(f).
            let encoded = try frame.encoded()
            var reader = encoded
            let again = try FrameDecoder.nextFrame(from: &reader, limits: .default)
            guard let again, try again.encoded() == encoded else {
                fatalError("frame \(frame.kind) on call \(frame.call) does not survive re-encoding")
            }
        } catch {
            fatalError("a parsed frame could not be re-encoded and parsed: \(error)")
        }
        switch frame.kind {
        case .request: _ = try? WireRequest(frame: frame)
        case .hello: _ = try? frame.decodeBody(Hello.self)
        case .welcome: _ = try? frame.decodeBody(Welcome.self)
        case .cancel: _ = try? frame.decodeBody(WireCancel.self)
        case .error: _ = try? frame.decodeBody(WireFailure.self).dataPlaneError
        default: break
        }
    }
    return 0
}

/// Frames the channel decoder parses from `parts` arriving one after the other, then the end
/// of input, and the error that stopped them.
func frames(of parts: [ByteBuffer], limits: WireLimits) -> (frames: [Frame], error: DataPlaneWireError?) {
    var decoder = FrameDecoder(limits: limits)
    var buffer = ByteBuffer()
    var frames: [Frame] = []
    do {
        for var part in parts {
            buffer.writeBuffer(&part)
            while let frame = try decoder.next(from: &buffer) { frames.append(frame) }
        }
        try decoder.finish(buffer: &buffer)
    } catch {
        return (frames, error)
    }
    return (frames, nil)
}

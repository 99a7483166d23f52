import HTTPTypes
import Hummingbird
import NIOCore

/// A response body writer that passes everything to `base` and adds each buffer's size to a
/// tally: the bytes out of an access line (``AccessLogEntry``).
struct CountingResponseBodyWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let tally: ByteTally

    @concurrent mutating func write(_ buffer: ByteBuffer) async throws {
        try await base.write(buffer)
        tally.add(buffer.readableBytes)
    }

    @concurrent mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        var bytes = 0
        for buffer in buffers {
            bytes += buffer.readableBytes
        }
        try await base.write(contentsOf: buffers)
        tally.add(bytes)
    }

    @concurrent consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}

import ArtifactStoreCore
import Hummingbird
import NIOCore

/// The body of a blob or file download: the stream's bytes, sent by the kernel from the file
/// when the stream offers a file region and the connection can take one, copied through
/// buffers otherwise, or, when the stream is one buffer already in memory, written with the
/// answer's head; counted as bytes out either way.
///
/// Exists so every download route (`/v1` blobs and files, `/v2` blobs) sends large objects
/// without copying them through this process, and proves them exactly as the buffered path
/// does: a stream whose last bytes wait for a check (``ByteStreamFileSlice/confirm``) has
/// everything but its last ``heldBackBytes`` sent, the check made, and only then the rest.
enum DownloadBody {
    /// Objects smaller than this are copied: two event-loop round trips would cost more.
    static let minimumFileRegionBytes: UInt64 = 1 << 20
    /// What a proved file region holds back until its check has passed.
    static let heldBackBytes: UInt64 = 64 * 1024

    static func make(_ stream: ByteStream, channel: any Channel, metrics: ServerMetrics) -> ResponseBody {
        if let buffer = stream.wholeBuffer {
            // Already in memory (a small blob): the answer's head and body leave in one write.
            // Counted when handed to the connection.
            metrics.recordBytesOut(buffer.readableBytes)
            return ResponseBody(byteBuffer: buffer)
        }
        guard let slice = stream.fileSlice, slice.count >= minimumFileRegionBytes else {
            return ResponseBody(asyncSequence: metrics.countingSent(stream))
        }
        return ResponseBody(contentLength: Int(slice.count)) { writer in
            if try await send(slice, channel: channel, writer: &writer) {
                metrics.recordBytesSentFromFile(Int(slice.count))
            } else {
                for try await buffer in metrics.countingSent(stream) {
                    try await writer.write(buffer)
                }
            }
            try await writer.finish(nil)
        }
    }

    /// Sends `slice` as file regions; `false`, having sent nothing, when the connection has no
    /// ``FileRegionSender`` (HTTP/2, TLS, tests without a socket).
    @concurrent static func send(
        _ slice: ByteStreamFileSlice,
        channel: any Channel,
        writer: inout any ResponseBodyWriter
    ) async throws -> Bool {
        let tail = Swift.min(slice.count, heldBackBytes)
        let split = slice.range.upperBound - tail
        if split > slice.range.lowerBound {
            guard try await region(slice.range.lowerBound..<split, of: slice, channel: channel, writer: &writer) else { return false }
        }
        try await slice.confirm()
        if tail > 0 {
            guard try await region(split..<slice.range.upperBound, of: slice, channel: channel, writer: &writer) else {
                throw ChannelError.inappropriateOperationForState
            }
        }
        return true
    }

    /// Writes one region and waits until it is on the socket; `false` when the connection has no
    /// sender.
    @concurrent static func region(
        _ range: Range<UInt64>,
        of slice: ByteStreamFileSlice,
        channel: any Channel,
        writer: inout any ResponseBodyWriter
    ) async throws -> Bool {
        let done = channel.eventLoop.makePromise(of: Void.self)
        let descriptor = slice.descriptor
        let armed = try await channel.eventLoop.submit { () -> Bool in
            guard let sender = try? channel.pipeline.syncOperations.handler(type: FileRegionSender.self) else { return false }
            sender.arm(descriptor: descriptor, range: range, done: done)
            return true
        }.get()
        guard armed else {
            done.succeed()
            return false
        }
        do {
            try await writer.write(FileRegionSender.placeholder)
        } catch {
            channel.eventLoop.execute {
                (try? channel.pipeline.syncOperations.handler(type: FileRegionSender.self))?.disarm(error)
            }
            _ = try? await done.futureResult.get()
            throw error
        }
        try await done.futureResult.get()
        // The slice (and with it the descriptor) stays alive until the region is written.
        withExtendedLifetime(slice) {}
        return true
    }
}

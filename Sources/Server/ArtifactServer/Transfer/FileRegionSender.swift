import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// A channel handler that lets a response body have a region of an open file sent by the kernel
/// (`sendfile`), which Hummingbird's body writer, taking `ByteBuffer`s only, cannot.
///
/// Exists because a large download otherwise copies every byte twice through this process.
/// It sits in each HTTP/1 connection's pipeline just after the codec that turns HTTP types into
/// NIO's HTTP/1 parts (``ServeApplication/httpServer(limits:)``). A body that wants to send a region arms
/// the handler on the event loop (``arm(_:done:)``) and then writes one placeholder body part
/// through its ordinary writer; the handler swallows the placeholder and writes the region in its
/// place, below the codec, as an HTTP/1 body part, then completes `done` when the region has
/// been written to the socket. Everything else passes through untouched. Promises:
/// - the region goes out exactly where the placeholder was, in order with every other part;
/// - `done` completes exactly once: when the region is written, when writing it fails, or when
///   the connection goes away or the body gives up first (``disarm(_:)``);
/// - the descriptor is never closed here: whoever armed the handler owns it and keeps it open
///   until `done` completes.
final class FileRegionSender: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The part a body writes where the armed region goes.
    static let placeholder = ByteBuffer(bytes: [0])

    struct Armed {
        var descriptor: CInt
        var range: Range<UInt64>
        var done: EventLoopPromise<Void>
    }

    private var armed: Armed?

    init() {}

    /// Arms the handler: the next body part written on this connection is replaced by `range`
    /// of `descriptor`. Event loop only.
    func arm(descriptor: CInt, range: Range<UInt64>, done: EventLoopPromise<Void>) {
        disarm(ChannelError.inappropriateOperationForState)
        armed = Armed(descriptor: descriptor, range: range, done: done)
    }

    /// Fails an armed region that was never written. Event loop only.
    func disarm(_ error: any Error) {
        guard let armed else { return }
        self.armed = nil
        armed.done.fail(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let armed, case .body = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        self.armed = nil
        guard let codec = try? context.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self) else {
            armed.done.fail(ChannelError.inappropriateOperationForState)
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: armed.descriptor)
        let region = FileRegion(fileHandle: handle, readerIndex: Int(armed.range.lowerBound), endIndex: Int(armed.range.upperBound))
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { result in
            // The descriptor belongs to whoever armed this; the handle only borrowed it.
            _ = try? handle.takeDescriptorOwnership()
            armed.done.completeWith(result)
        }
        codec.write(NIOAny(HTTPServerResponsePart.body(.fileRegion(region))), promise: written)
        codec.flush()
        promise?.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm(ChannelError.ioOnClosedChannel)
    }
}

import NIOCore

enum ByteBufferHelper {
    static func make() -> ByteBuffer { ByteBufferAllocator().buffer(capacity: 16) }
}

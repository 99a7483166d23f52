/// The bytes of a ``ByteStream`` as a region of an open local file, which a consumer writing to
/// a socket can hand to the kernel (`sendfile`) instead of copying every buffer through user space.
///
/// Exists because a download otherwise costs two copies of every byte in this process (file to
/// buffer, buffer to socket). What a slice promises, and asks of its consumer:
/// - ``descriptor`` is open for reading and stays open while the slice is alive (``owner`` holds
///   it); ``range`` lies within the file. The consumer must not close, seek or write it.
/// - The stream would have checked something after its last byte (that the file did not change
///   while it was read, which is what proves it). ``confirm`` is that check: the consumer sends
///   all but at least the last byte, awaits `confirm`, and sends the rest only if it returned.
///   A throwing `confirm` means the bytes are not proved; the consumer must fail the transfer
///   rather than end it (for HTTP, close the connection short of `Content-Length`).
public struct ByteStreamFileSlice: Sendable {
    /// The open file.
    public let descriptor: CInt
    /// The bytes of the stream: these offsets of the file.
    public let range: Range<UInt64>
    /// Whatever keeps ``descriptor`` open.
    public let owner: any Sendable
    /// The check the stream makes after its last byte; throws when the bytes must not be
    /// delivered whole.
    public let confirm: @Sendable () async throws -> Void

    public init(descriptor: CInt, range: Range<UInt64>, owner: any Sendable, confirm: @escaping @Sendable () async throws -> Void) {
        self.descriptor = descriptor
        self.range = range
        self.owner = owner
        self.confirm = confirm
    }

    /// The number of bytes.
    public var count: UInt64 { range.upperBound - range.lowerBound }

    /// The same slice with `transform` applied to whatever ``confirm`` throws, and `failed` called
    /// first: how a wrapper keeps its own error type and bookkeeping on the file path.
    public func mappingFailure(
        _ transform: @escaping @Sendable (any Error) -> any Error,
        failed: (@Sendable () -> Void)? = nil
    ) -> ByteStreamFileSlice {
        let confirm = self.confirm
        return ByteStreamFileSlice(descriptor: descriptor, range: range, owner: owner) {
            do {
                try await confirm()
            } catch {
                failed?()
                throw transform(error)
            }
        }
    }
}

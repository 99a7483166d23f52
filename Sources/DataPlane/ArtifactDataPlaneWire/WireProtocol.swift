public import ArtifactCBOR
public import NIOCore

/// The constants and limits of the data plane wire protocol (docs/dataplane-protocol.md).
///
/// Exists so the daemon, the client, the tests and the fuzzer agree on one set of numbers; the
/// daemon announces the ones a client must respect in its ``Welcome``.
public enum WireProtocol {
    /// The protocol version this implementation speaks.
    public static let version: UInt64 = 1
    /// Every version this implementation can speak, newest first.
    public static let supportedVersions: [UInt64] = [version]

    /// The descriptor side channel listens at the main socket's path plus this suffix.
    public static let descriptorSocketSuffix = ".fd"
    /// The length of a descriptor ticket, which is all a client sends on the side channel.
    public static let ticketLength = 32
    /// The side channel's answer, sent with one `sendmsg`: this status byte, then (for
    /// ``descriptorGranted``, with the descriptor as `SCM_RIGHTS`) the object's size as 8 bytes
    /// big-endian, or (for ``descriptorRefused``) a 1-byte length and that many bytes of an
    /// error code in ASCII.
    public static let descriptorGranted: UInt8 = 0
    public static let descriptorRefused: UInt8 = 1

    /// The values a `credit` frame may carry and a serve request's `window` may take: at least
    /// one (a window of 0 would leave the daemon unable to send anything, so the call would hang
    /// until the stall timeout) and at most 2³¹−1, so a count fits every peer's integers.
    public static let creditRange: ClosedRange<UInt64> = 1...UInt64(Int32.max)
    /// The entries a `listObjects` page may be asked for: 256 entries of a few hundred bytes
    /// each (a path is at most 1,024 bytes on every backend) keep a `result` frame below
    /// ``WireLimits/maximumFrameLength``.
    public static let inventoryPageRange: ClosedRange<UInt64> = 1...256
}

extension WireLimits {
    /// How the connection reads: up to one whole data frame per `read`, so a frame usually
    /// arrives in one buffer the decoder slices instead of in many 64 KiB pieces it must join.
    public var receiveAllocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 64 * 1024, maximum: maximumFrameLength + 4)
    }

    /// The kernel socket buffers asked for on each side (`SO_SNDBUF`, `SO_RCVBUF`): room for a
    /// couple of data frames, so a stream moves with few wake-ups.
    public static let socketBufferSize = 2 * 1024 * 1024
}

/// The limits one side of a connection enforces on what it receives.
///
/// Memory a daemon connection can hold for incoming data is bounded by
/// `maximumConcurrentCalls × ingestWindow × maximumChunkLength` plus one frame.
public struct WireLimits: Sendable, Hashable {
    /// The largest frame body (the bytes after the 4-byte length prefix). A larger length prefix
    /// is refused with `frameTooLarge` before anything is read or allocated for it.
    public var maximumFrameLength: Int
    /// The largest payload of one data frame.
    public var maximumChunkLength: Int
    /// How many calls may be in flight on one connection at once.
    public var maximumConcurrentCalls: Int
    /// How many data frames an ingest may send ahead of the daemon's consumption (its credit).
    public var ingestWindow: Int

    /// Data frames of at most 1 MiB, frames of at most 1 MiB + 1 KiB, 16 calls, 4 chunks of credit.
    public static let `default` = WireLimits(
        maximumFrameLength: 1024 * 1024 + 1024,
        maximumChunkLength: 1024 * 1024,
        maximumConcurrentCalls: 16,
        ingestWindow: 4
    )

    public init(maximumFrameLength: Int, maximumChunkLength: Int, maximumConcurrentCalls: Int, ingestWindow: Int) {
        self.maximumFrameLength = maximumFrameLength
        self.maximumChunkLength = min(maximumChunkLength, maximumFrameLength - 32)
        self.maximumConcurrentCalls = max(1, maximumConcurrentCalls)
        self.ingestWindow = max(1, ingestWindow)
    }

    /// What the CBOR decoder accepts in the body of a control frame (anything but data): small,
    /// shallow maps. Data payloads never go through the general decoder.
    public var controlBodyLimits: CBORLimits {
        CBORLimits(maximumDepth: 16, maximumItemCount: 100_000, maximumLength: maximumFrameLength)
    }
}

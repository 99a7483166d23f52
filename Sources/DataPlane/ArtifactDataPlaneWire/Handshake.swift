/// The client's first frame (`hello`, call 0): the protocol versions it speaks.
public struct Hello: Sendable, Hashable, Codable {
    /// Versions the client speaks, any order; the daemon picks the highest it shares.
    public var versions: [UInt64]
    /// Free text naming the client software, for the daemon's log.
    public var client: String

    public init(versions: [UInt64] = WireProtocol.supportedVersions, client: String) {
        self.versions = versions
        self.client = client
    }
}

/// The daemon's answer to ``Hello`` (`welcome`, call 0): the version both sides now speak and
/// the limits the client must respect.
public struct Welcome: Sendable, Hashable, Codable {
    public var version: UInt64
    public var maximumFrameLength: UInt64
    public var maximumChunkLength: UInt64
    public var maximumConcurrentCalls: UInt64
    /// The credit each ingest starts with (more comes in `credit` frames).
    public var ingestWindow: UInt64

    public init(version: UInt64, limits: WireLimits) {
        self.version = version
        self.maximumFrameLength = UInt64(limits.maximumFrameLength)
        self.maximumChunkLength = UInt64(limits.maximumChunkLength)
        self.maximumConcurrentCalls = UInt64(limits.maximumConcurrentCalls)
        self.ingestWindow = UInt64(limits.ingestWindow)
    }
}

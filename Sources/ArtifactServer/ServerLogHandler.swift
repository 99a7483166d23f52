import Logging

/// The server's log handler: `StreamLogHandler`'s lines, byte for byte, without its cost on
/// every request.
///
/// Exists because `StreamLogHandler` renders its metadata to text whenever a key is set, and
/// Hummingbird sets one (`hb.request.id`) on a fresh logger for every request: about 2.5% of a
/// small request's CPU, spent even when nothing is logged. This handler keeps its metadata as a
/// dictionary and renders it only for a line that is written. Precedence is the same: the
/// handler's metadata, then the metadata provider's, then the call's own.
public struct ServerLogHandler: LogHandler {
    private var output: StreamLogHandler
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    /// A handler writing to standard error.
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider?) -> ServerLogHandler {
        ServerLogHandler(output: .standardError(label: label, metadataProvider: nil), metadataProvider: metadataProvider)
    }

    /// A handler writing to `stream`.
    public init(label: String, stream: any TextOutputStream & Sendable, metadataProvider: Logger.MetadataProvider?) {
        self.init(output: StreamLogHandler(label: label, stream: stream, metadataProvider: nil), metadataProvider: metadataProvider)
    }

    private init(output: StreamLogHandler, metadataProvider: Logger.MetadataProvider?) {
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        var event = event
        event.metadata = merged
        output.log(event: event)
    }
}

public import Logging

/// The request id as log metadata (`request_id`), for every log line written while a request is
/// handled: the server's own and those of the libraries under it (control plane, data plane).
///
/// Exists because setting metadata on a request's logger costs on every request (swift-log's
/// `StreamLogHandler` re-renders its metadata text on each change: about 6% of a small GET's CPU
/// in a profile), while a metadata provider is asked only when a line is actually written. The
/// id lives in a task local that ``RequestIDMiddleware`` binds around the handler; install
/// ``provider`` when bootstrapping the logging system (`artifactstore serve` does).
public enum RequestLogMetadata {
    @TaskLocal public static var requestID: String?

    /// Adds `request_id` to a log line written inside a request.
    public static let provider = Logger.MetadataProvider {
        guard let requestID else { return [:] }
        return ["request_id": .string(requestID)]
    }
}

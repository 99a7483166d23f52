/// How the server writes its log lines (`logFormat`, `--log-format`, `ARTIFACTSTORE_LOG_FORMAT`).
///
/// Exists because a person reads logs in a terminal while a log shipper parses them: `text` is
/// swift-log's familiar `timestamp level label: key=value [source] message`, `json` is one JSON
/// object per line with the same fields. Both carry UTC timestamps to the millisecond.
public enum ServerLogFormat: String, Sendable, Hashable, CaseIterable {
    case text
    case json
}

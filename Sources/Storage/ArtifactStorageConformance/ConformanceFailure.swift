/// A conformance check found the backend doing something other than what ``StorageBackend``
/// promises. Names the check and what differed, so a failing test says why on its own.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    public let check: String
    public let detail: String

    public init(check: String, _ detail: String) {
        self.check = check
        self.detail = detail
    }

    public var description: String { "conformance check \"\(check)\" failed: \(detail)" }
}

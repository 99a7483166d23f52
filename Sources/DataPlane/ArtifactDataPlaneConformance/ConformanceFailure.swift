/// A conformance check found the data plane doing something other than what ``DataPlane``
/// promises. Names the check and what differed, so a failing test says why on its own.
public struct DataPlaneConformanceFailure: Error, Sendable, CustomStringConvertible {
    public let check: String
    public let detail: String

    public init(check: String, _ detail: String) {
        self.check = check
        self.detail = detail
    }

    public var description: String { "data plane conformance check \"\(check)\" failed: \(detail)" }
}

/// `GET /healthz`: `{"status":"ok"}` while the process answers.
public struct HealthBody: Codable, Sendable, Hashable {
    public var status: String

    public init(status: String) {
        self.status = status
    }
}

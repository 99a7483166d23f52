/// Who is asking, and from where: what every mutation's audit record carries.
///
/// Exists so the server can pass the authenticated actor, its request id and the client's address
/// through to the audit log without the control plane knowing about HTTP.
public struct RequestContext: Sendable, Hashable, Codable {
    /// The token id or user name that acts; `system:…` for the store's own jobs.
    public var actor: String
    public var requestID: String?
    public var clientAddress: String?

    public init(actor: String, requestID: String? = nil, clientAddress: String? = nil) {
        self.actor = actor
        self.requestID = requestID
        self.clientAddress = clientAddress
    }

    /// The context of retention runs.
    public static let retention = RequestContext(actor: "system:retention")
    /// The context of garbage collection.
    public static let garbageCollector = RequestContext(actor: "system:gc")
    /// The context of reconciliation (stray objects removed).
    public static let reconciler = RequestContext(actor: "system:reconcile")
}

/// The one JSON body every refusal and failure of the API is answered with:
/// `{"error":{"code":"…","message":"…","requestID":"…"}}`.
///
/// Exists so the server writes and the client reads the same shape. `code` is the stable code of
/// the layer that refused (control plane, data plane or HTTP; docs/api.md, "Errors"), passed
/// through unchanged; the HTTP status says what kind of refusal it is.
public struct ErrorBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var code: String
        /// What failed and what to do next; for a 5xx only the failing part's code.
        public var message: String
        /// On a 5xx only: the request's id, under which the server log has the cause.
        public var requestID: String?

        public init(code: String, message: String, requestID: String? = nil) {
            self.code = code
            self.message = message
            self.requestID = requestID
        }
    }

    public var error: Detail

    public init(code: String, message: String, requestID: String? = nil) {
        self.error = Detail(code: code, message: message, requestID: requestID)
    }
}

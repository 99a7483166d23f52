// Request bodies of the hold and retention-policy routes (docs/api.md); the answers are
// ``LegalHold``, ``RetentionPolicy`` and ``RetentionReport``.

/// `PUT …/versions/{version}/hold`.
public struct PlaceHoldBody: Codable, Sendable, Hashable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// `PUT /v1/namespaces/{ns}/retention-policies/{name}`: absent fields take the defaults of
/// ``RetentionPolicy`` (`**`, no count, no age, tagged versions protected).
public struct SetPolicyBody: Codable, Sendable, Hashable {
    public var artifactGlob: String?
    public var keepLast: Int?
    public var maxAgeSeconds: Int64?
    public var protectTagged: Bool?

    public init(artifactGlob: String? = nil, keepLast: Int? = nil, maxAgeSeconds: Int64? = nil, protectTagged: Bool? = nil) {
        self.artifactGlob = artifactGlob
        self.keepLast = keepLast
        self.maxAgeSeconds = maxAgeSeconds
        self.protectTagged = protectTagged
    }
}

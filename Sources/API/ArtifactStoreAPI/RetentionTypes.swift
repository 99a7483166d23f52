public import Foundation

/// A namespace's rule for which versions to delete, optionally narrowed to artifacts whose name
/// matches a glob.
///
/// A version is selected when it is not among the ``keepLast`` newest of its artifact, or when it
/// is older than ``maxAge``; a tagged version is spared when ``protectTagged`` is set. When
/// several policies match an artifact, a version goes if any of them selects it and does not
/// spare it. Legal holds always win.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    public var namespace: String
    public var name: String
    /// `*` matches within one `/`-separated part, `**` across parts, `?` one character.
    public var artifactGlob: String
    public var keepLast: Int?
    /// Whole seconds.
    public var maxAgeSeconds: Int64?
    public var protectTagged: Bool

    public init(
        namespace: String,
        name: String,
        artifactGlob: String = "**",
        keepLast: Int? = nil,
        maxAgeSeconds: Int64? = nil,
        protectTagged: Bool = true
    ) {
        self.namespace = namespace
        self.name = name
        self.artifactGlob = artifactGlob
        self.keepLast = keepLast
        self.maxAgeSeconds = maxAgeSeconds
        self.protectTagged = protectTagged
    }
}

/// A legal hold: the version may not be deleted, by anyone or any policy, until released.
public struct LegalHold: Sendable, Hashable, Codable {
    public var namespace: String
    public var artifact: String
    public var version: String
    public var reason: String
    public var createdBy: String
    public var createdAt: Date

    public init(namespace: String, artifact: String, version: String, reason: String, createdBy: String, createdAt: Date) {
        self.namespace = namespace
        self.artifact = artifact
        self.version = version
        self.reason = reason
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// What retention decided about one version it selected.
public struct RetentionDecision: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable {
        /// Deleted (or, in a dry run, would be).
        case delete
        /// Selected, but a legal hold (or an immutable tag) blocks the deletion.
        case blocked
    }

    public var namespace: String
    public var artifact: String
    public var version: String
    public var createdAt: Date
    public var action: Action
    /// Which policy and which rule, e.g. `policy "nightly": not among the 5 newest`.
    public var reason: String

    public init(namespace: String, artifact: String, version: String, createdAt: Date, action: Action, reason: String) {
        self.namespace = namespace
        self.artifact = artifact
        self.version = version
        self.createdAt = createdAt
        self.action = action
        self.reason = reason
    }
}

/// The outcome of a retention evaluation.
public struct RetentionReport: Sendable, Hashable, Codable {
    public var namespace: String
    public var dryRun: Bool
    /// Every selected version, in artifact order, newest first within an artifact.
    public var decisions: [RetentionDecision]
    /// Versions examined.
    public var versionsExamined: Int

    public init(namespace: String, dryRun: Bool, decisions: [RetentionDecision], versionsExamined: Int) {
        self.namespace = namespace
        self.dryRun = dryRun
        self.decisions = decisions
        self.versionsExamined = versionsExamined
    }

    public var deletions: [RetentionDecision] { decisions.filter { $0.action == .delete } }
    public var blocked: [RetentionDecision] { decisions.filter { $0.action == .blocked } }
}

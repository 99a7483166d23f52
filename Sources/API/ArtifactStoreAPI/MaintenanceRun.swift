public import Foundation

/// `GET /v1/maintenance/runs`: one finished run of garbage collection or of the retention
/// service, with the counts of its report.
///
/// Exists so operators (and the web UI's operations page) can see when the store last cleaned up
/// and what it did, without reading logs or metrics of every node.
public struct MaintenanceRun: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case garbageCollection
        case retention
    }

    /// Sorts by finishing time: 13 digits of milliseconds, `-`, 8 random hex digits.
    public var id: String
    public var kind: Kind
    public var startedAt: Date
    public var finishedAt: Date
    /// The report's counts: for GC `linksExpired`, `blobsMarked`, `blobsDeleted`, `bytesDeleted`,
    /// `deletionsFailed`; for retention `namespaces`, `versionsExamined`, `deleted`, `blocked`.
    public var summary: [String: Int64]

    public init(id: String, kind: Kind, startedAt: Date, finishedAt: Date, summary: [String: Int64]) {
        self.id = id
        self.kind = kind
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.summary = summary
    }
}

import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import Synchronization

/// The per-namespace usage gauges of `/metrics` (docs/operations.md, "Quotas"): objects, files,
/// bytes referenced, bytes stored and the quota of each namespace.
///
/// Exists so operators can alert on a namespace nearing its quota. The figures come from the
/// maintained counter rows (one row per namespace, never a scan of links or files), and the
/// rendered text is kept for `maximumAge`, so scrapes from several Prometheus servers cost one
/// small read between them.
final class NamespaceUsageGauges: Sendable {
    let maximumAge: Duration
    private let cached = Mutex<(at: ContinuousClock.Instant, text: String)?>(nil)

    init(maximumAge: Duration = .seconds(15)) {
        self.maximumAge = maximumAge
    }

    /// The families' text, from the cache while it is younger than `maximumAge`; nothing when
    /// the database cannot be read (the scrape still answers, with the other families).
    func exposition(_ registry: Registry, now: ContinuousClock.Instant = .now) async -> String {
        if let hit = cached.withLock({ $0 }), hit.at.duration(to: now) < maximumAge { return hit.text }
        guard let usage = try? await registry.usageOfAllNamespaces() else { return "" }
        let text = Self.render(usage)
        cached.withLock { $0 = (now, text) }
        return text
    }

    static func render(_ usage: [NamespaceUsage]) -> String {
        var text = ""
        func family(_ name: String, _ help: String, _ value: (NamespaceUsage) -> Int64?) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for namespace in usage {
                guard let value = value(namespace) else { continue }
                text += "\(name){namespace=\"\(escape(namespace.namespace))\"} \(value)\n"
            }
        }
        family("artifactstore_namespace_objects", "Distinct objects (blobs) linked into the namespace.") { $0.objects }
        family("artifactstore_namespace_files", "Files of every version in the namespace.") { $0.files }
        family("artifactstore_namespace_referenced_bytes", "Sum of the sizes of the namespace's files (what its quota limits).") {
            $0.bytesReferenced
        }
        family("artifactstore_namespace_stored_bytes", "Sum of the sizes of the distinct objects linked into the namespace.") {
            $0.bytesStored
        }
        family("artifactstore_namespace_quota_bytes", "The namespace's quota on bytes referenced (namespaces with a quota only).") {
            $0.quotaBytes
        }
        return text
    }

    /// A label value as the text format wants it: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

@testable import ArtifactServer

extension ServerMetrics {
    /// The value of the unlabelled counter `name` in the Prometheus exposition, if it is there.
    func counterValue(_ name: String) -> Int? {
        let text = String(decoding: exposition(), as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") }
    }
}

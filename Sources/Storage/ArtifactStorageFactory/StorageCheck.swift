public import ArtifactStorage
import Foundation

/// The checks behind `artifactstore storage check`: does a storage URL work, and if not, why.
///
/// Runs the connector's three probes — `verifyConnection`, `verifyAccess(user:permissions:)`
/// and `connect` — each independently, and reports each step's outcome with its error code, so
/// an operator sees every problem at once. A URL that does not parse is thrown, not reported.
public enum StorageCheck {
    /// One probe's outcome.
    public struct Step: Sendable, Codable, Hashable {
        public var name: String
        public var passed: Bool
        /// The error code when the step failed.
        public var code: String?
        public var message: String
    }

    /// Every step for one URL.
    public struct Report: Sendable, Codable, Hashable {
        public var url: String
        public var user: String?
        /// The mode probed, as octal text (`0640`).
        public var mode: String?
        public var steps: [Step]
        public var passed: Bool { steps.allSatisfy(\.passed) }

        enum CodingKeys: String, CodingKey { case url, user, mode, steps, passed }

        public init(url: String, user: String?, mode: String?, steps: [Step]) {
            self.url = url
            self.user = user
            self.mode = mode
            self.steps = steps
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.decode(String.self, forKey: .url)
            user = try container.decodeIfPresent(String.self, forKey: .user)
            mode = try container.decodeIfPresent(String.self, forKey: .mode)
            steps = try container.decode([Step].self, forKey: .steps)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(url, forKey: .url)
            try container.encodeIfPresent(user, forKey: .user)
            try container.encodeIfPresent(mode, forKey: .mode)
            try container.encode(steps, forKey: .steps)
            try container.encode(passed, forKey: .passed)
        }

        /// One line per step, `PASS name: message` or `FAIL name: code: message`, then a summary.
        public var text: String {
            var lines = steps.map { step in
                step.passed ? "PASS \(step.name): \(step.message)" : "FAIL \(step.name): \(step.code ?? "error"): \(step.message)"
            }
            let failed = steps.filter { !$0.passed }.count
            lines.append(
                failed == 0
                    ? "storage \(url): all \(steps.count) checks passed" : "storage \(url): \(failed) of \(steps.count) checks failed"
            )
            return lines.joined(separator: "\n")
        }

        /// The report as one JSON object (sorted keys).
        public func json() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }
    }

    /// Parses a POSIX mode written in octal (`640`, `0640`, `0o640`), at most `0o7777`.
    public static func parseMode(_ text: String) throws(StorageError) -> UInt32 {
        var digits = Substring(text)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ ("0"..."7").contains($0) }), let value = UInt32(digits, radix: 8)
        else {
            throw StorageError(.invalidConfiguration, "mode \(StorageURL.quote(text)) is not an octal number such as 0640")
        }
        guard value <= 0o7777 else {
            throw StorageError(.invalidConfiguration, "mode \(text) is above 0o7777")
        }
        return value
    }

    /// Runs every step against `url`. Throws only when the URL itself is invalid.
    public static func run(url: String, user: String?, mode: UInt32?, factory: StorageFactory) async throws(StorageError) -> Report {
        let connector = try factory.connector(for: url)
        var steps: [Step] = []

        func record(_ name: String, passed message: String, _ body: () async throws(StorageError) -> Void) async {
            do {
                try await body()
                steps.append(Step(name: name, passed: true, code: nil, message: message))
            } catch {
                steps.append(Step(name: name, passed: false, code: error.code, message: error.message))
            }
        }

        await record("verifyConnection", passed: "the backend is there") { () async throws(StorageError) in
            try await connector.verifyConnection()
        }
        var accessMessage = "created, wrote, read back and deleted a probe object"
        if let mode { accessMessage += "; mode 0\(String(mode, radix: 8)) applied" }
        if let user { accessMessage += "; owner \(user) applied" }
        await record("verifyAccess", passed: accessMessage) { () async throws(StorageError) in
            try await connector.verifyAccess(user: user, permissions: mode)
        }
        await record("connect", passed: "connected") { () async throws(StorageError) in
            let backend = try await connector.connect()
            let health = await backend.health()
            guard health.reachable else {
                throw StorageError(.unreachable, "connected, but the backend reports: \(health.message)")
            }
        }
        return Report(url: url, user: user, mode: mode.map { "0" + String($0, radix: 8) }, steps: steps)
    }
}

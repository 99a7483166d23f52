import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore usage [NAMESPACE] [--json]`: what namespaces hold and their quotas.
///
/// Exists so people see how close a namespace is to its quota (docs/cli.md). Without a name,
/// every namespace the token can read, one `GET …/usage` each (each a single counter row on the
/// server).
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Show what namespaces hold (objects, files, bytes referenced and stored) and their quotas."
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "One namespace; every namespace the token can read when left out.")
    var namespace: String?

    func run() async throws {
        try await options.run { client in
            let output = CLIOutput(json: options.json)
            if let namespace {
                let one = try await client.usage(of: namespace)
                try output.print(one, text: Self.table([one]))
                return
            }
            var all: [NamespaceUsage] = []
            for listed in try await client.namespaces() { all.append(try await client.usage(of: listed.name)) }
            try output.print(all, text: Self.table(all))
        }
    }

    /// The usage as an aligned table, one namespace a line, with the share of the quota used.
    static func table(_ usage: [NamespaceUsage]) -> String {
        let header = ["NAMESPACE", "OBJECTS", "FILES", "REFERENCED", "STORED", "DEDUP", "QUOTA", "USED"]
        let rows = usage.map { u -> [String] in
            let ratio = (u.dedupRatio * 100).rounded() / 100
            let used = u.quotaBytes.map { quota in
                quota == 0 ? (u.bytesReferenced == 0 ? "0%" : "over") : percent(u.bytesReferenced, of: quota)
            }
            return [
                u.namespace, "\(u.objects)", "\(u.files)", ByteSize.describe(u.bytesReferenced), ByteSize.describe(u.bytesStored),
                "\(ratio)x", u.quotaBytes.map(ByteSize.describe) ?? "-", used ?? "-",
            ]
        }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        let lines = all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Int64, of total: Int64) -> String {
        "\(Int((Double(value) / Double(total) * 100).rounded(.down)))%"
    }
}

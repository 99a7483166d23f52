import ArgumentParser
import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore ls [NS[/NAME[:VERSION]]]`: namespaces, artifacts, versions or files.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List namespaces, the artifacts of NS, the versions and tags of NS/NAME, or the files of NS/NAME:VERSION|TAG.",
        discussion: "With --json, prints one JSON array of the listed objects (for a version: the whole version)."
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "What to list: nothing, NS, NS/NAME or NS/NAME:VERSION.")
    var location: String?

    func run() async throws {
        let location = try location.map { text in try parseArgument(options) { try ArtifactLocation(parsing: text) } }
        let output = CLIOutput(json: options.json)
        try await options.run { client in
            guard let location else {
                let namespaces = try await client.namespaces()
                return try output.print(namespaces, text: namespaces.map(\.name).joined(separator: "\n"))
            }
            guard let artifact = location.artifact else {
                let artifacts = try await client.artifacts(in: location.namespace)
                return try output.print(artifacts, text: artifacts.map { "\($0.namespace)/\($0.name)" }.joined(separator: "\n"))
            }
            guard let version = location.version else {
                let versions = try await client.versions(of: artifact, in: location.namespace)
                let tags = try await client.tags(of: artifact, in: location.namespace)
                if options.json {
                    struct Listing: Encodable {
                        var versions: [VersionSummary]
                        var tags: [Tag]
                    }
                    return try output.print(Listing(versions: versions, tags: tags), text: "")
                }
                let lines = versions.map { summary in
                    let tagged = tags.filter { $0.version == summary.version }.map(\.name)
                    var line = "\(summary.version)\t\(Plural.of(summary.fileCount, "file"))\t\(ProgressLine.bytes(summary.totalSize))\t"
                    line += summary.createdAt.formatted(Date.ISO8601FormatStyle())
                    if !tagged.isEmpty { line += "\ttags: " + tagged.joined(separator: ", ") }
                    return line
                }
                return try output.print(versions, text: lines.joined(separator: "\n"))
            }
            let resolved = try await client.resolve(ArtifactReference(namespace: location.namespace, artifact: artifact, version: version))
            try output.print(
                resolved,
                text: resolved.files.map { "\($0.address)  \($0.size)\t\($0.path)" }.joined(separator: "\n")
            )
        }
    }
}

/// `artifactstore rm NS/NAME:VERSION`: deletes a version.
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete the version NS/NAME:VERSION (refused while it is held: exit 5)."
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "The version to delete, NS/NAME:VERSION.")
    var reference: String

    struct Result: Encodable { var deleted: String }

    func run() async throws {
        let reference = try parseArgument(options) { try ArtifactReference(parsing: self.reference) }
        try await options.run { client in
            try await client.deleteVersion(reference)
            try CLIOutput(json: options.json).print(Result(deleted: reference.description), text: "deleted \(reference)")
        }
    }
}

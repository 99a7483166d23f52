import ArgumentParser
import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreClient

/// `artifactstore tag NS/NAME:VERSION TAG` and `artifactstore tag --delete NS/NAME TAG`.
struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Point TAG at NS/NAME:VERSION, or with --delete remove TAG from NS/NAME.",
        discussion: "A tag that exists is moved (refused in a namespace with immutable tags: exit 5)."
    )

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Delete the tag; the first argument is then NS/NAME.")
    var delete = false

    @Argument(help: "NS/NAME:VERSION (or NS/NAME with --delete).")
    var reference: String

    @Argument(help: "The tag.")
    var tag: String

    struct Deleted: Encodable { var deleted: String }

    static func validateTag(_ tag: String) throws(ClientError) -> String {
        do {
            try NameGrammar.checkTag(tag)
        } catch {
            throw ClientError(.invalidReference, error.message, underlying: error)
        }
        return tag
    }

    func run() async throws {
        let location = try parseArgument(options) { try ArtifactLocation(parsing: reference) }
        let tag = try parseArgument(options) { try Self.validateTag(self.tag) }
        guard let artifact = location.artifact, (location.version == nil) == delete else {
            let usage = delete ? "NS/NAME TAG" : "NS/NAME:VERSION TAG"
            return try parseArgument(options) { throw ClientError(.invalidReference, "\"\(reference)\": expected \(usage)") }
        }
        try await options.run { client in
            if delete {
                try await client.deleteTag(tag, of: artifact, in: location.namespace)
                let name = "\(location.namespace)/\(artifact):\(tag)"
                try CLIOutput(json: options.json).print(Deleted(deleted: name), text: "deleted tag \(name)")
            } else {
                let reference = ArtifactReference(namespace: location.namespace, artifact: artifact, version: location.version!)
                let result = try await client.setTag(tag, to: reference)
                try CLIOutput(json: options.json).print(result, text: "tagged \(reference) as \(result.name)")
            }
        }
    }
}

/// `artifactstore hold NS/NAME:VERSION --reason …`: puts a legal hold on a version.
struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Put a legal hold on NS/NAME:VERSION: nothing can delete it until it is released."
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "NS/NAME:VERSION.")
    var reference: String

    @Option(name: .long, help: "Why the version is held (recorded in the audit log).")
    var reason = "legal hold"

    func run() async throws {
        let reference = try parseArgument(options) { try ArtifactReference(parsing: self.reference) }
        try await options.run { client in
            let hold = try await client.hold(reference, reason: reason)
            try CLIOutput(json: options.json).print(hold, text: "held \(reference): \(hold.reason)")
        }
    }
}

/// `artifactstore release NS/NAME:VERSION`: releases a legal hold.
struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Release the legal hold on NS/NAME:VERSION.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "NS/NAME:VERSION.")
    var reference: String

    struct Released: Encodable { var released: String }

    func run() async throws {
        let reference = try parseArgument(options) { try ArtifactReference(parsing: self.reference) }
        try await options.run { client in
            try await client.release(reference)
            try CLIOutput(json: options.json).print(Released(released: reference.description), text: "released \(reference)")
        }
    }
}

import ArgumentParser
import ArtifactStoreClient

/// `artifactstore push NS/NAME:VERSION PATH...`: uploads files and directories as a new version.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push files and directories as a new version NS/NAME:VERSION.",
        discussion: """
            A file is stored under its own name; a directory contributes every file below it under its \
            path relative to that directory. Every file is hashed locally (BLAKE3); blobs the server \
            already has are not sent; the others are uploaded in parallel with their expected digest, \
            then the version is committed. The namespace is created if it does not exist (admin token).
            """
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "The version to create, NS/NAME:VERSION.")
    var reference: String

    @Argument(help: "Files and directories to push.")
    var paths: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "A label KEY=VALUE (repeatable).")
    var label: [String] = []

    @Option(name: .long, help: "Blobs hashed and uploaded at once (1-32).")
    var parallel = 4

    func run() async throws {
        let reference = try parseArgument(options) { try ArtifactReference(parsing: self.reference) }
        let labels = try parseArgument(options) { try Self.parseLabels(label) }
        let parallel = try parseArgument(options) { () throws(ClientError) -> Int in
            guard (1...32).contains(self.parallel) else {
                throw ClientError(.invalidArgument, "--parallel \(self.parallel) is not between 1 and 32")
            }
            return self.parallel
        }
        // Options first, then the (slower) walk of the paths.
        let files = try parseArgument(options) { try LocalFileSet(collecting: paths) }
        try await options.run { client in
            let bar = ProgressBar(enabled: !options.json)
            let result = try await client.push(files, as: reference, labels: labels, concurrency: parallel, progress: bar.progress)
            var text = "pushed \(result.reference): \(Plural.of(result.files, "file")), \(ProgressLine.bytes(result.totalBytes)); "
            text += "uploaded \(Plural.of(result.uploadedBlobs, "blob")) (\(ProgressLine.bytes(result.uploadedBytes))), "
            text += "skipped \(Plural.of(result.skippedBlobs, "blob")) the server already had (\(ProgressLine.bytes(result.skippedBytes)))"
            if result.createdNamespace { text = "created namespace \(reference.namespace)\n" + text }
            try CLIOutput(json: options.json).print(result, text: text)
        }
    }

    static func parseLabels(_ labels: [String]) throws(ClientError) -> [String: String] {
        var result: [String: String] = [:]
        for label in labels {
            guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                throw ClientError(.invalidArgument, "label \"\(label)\" is not KEY=VALUE")
            }
            result[String(label[..<equals])] = String(label[label.index(after: equals)...])
        }
        return result
    }
}

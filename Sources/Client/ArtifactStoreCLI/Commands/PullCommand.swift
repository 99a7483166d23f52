import ArgumentParser
import ArtifactStoreClient

/// `artifactstore pull NS/NAME:VERSION|TAG [DEST]`: downloads a version's files, verified.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download the files of NS/NAME:VERSION (or NS/NAME:TAG) into DEST, each verified against its digest.",
        discussion: """
            VERSION is looked up as a version first, then as a tag. Each file is written to \
            DEST/<path>.partial, verified whole against its BLAKE3 address, then renamed into place. \
            A file already in DEST with the same content is left alone; one with other content stops \
            the pull before anything is downloaded (exit 5) unless --force is given. A .partial file \
            left by an interrupted pull is resumed with an \
            HTTP Range request, and its bytes are verified again with the rest. Exit 6 when bytes do not \
            match their digest (the .partial file is removed).
            """
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "The version or tag, NS/NAME:VERSION or NS/NAME:TAG.")
    var reference: String

    @Argument(help: "The directory to write into (created if needed).")
    var destination: String = "."

    @Option(name: .long, help: "Files downloaded at once (1-32).")
    var parallel = 4

    @Flag(name: .long, help: "Replace local files that have other content.")
    var force = false

    func run() async throws {
        let reference = try parseArgument(options) { try ArtifactReference(parsing: self.reference) }
        let parallel = try parseArgument(options) { () throws(ClientError) -> Int in
            guard (1...32).contains(self.parallel) else {
                throw ClientError(.invalidArgument, "--parallel \(self.parallel) is not between 1 and 32")
            }
            return self.parallel
        }
        try await options.run { client in
            let bar = ProgressBar(enabled: !options.json)
            let result = try await client.pull(
                reference,
                into: destination,
                overwrite: force,
                concurrency: parallel,
                progress: bar.progress
            )
            var text = "pulled \(result.reference)"
            if result.version != reference.version { text += " (version \(result.version))" }
            text +=
                " into \(result.destination): \(Plural.of(result.files, "file")), \(ProgressLine.bytes(result.totalBytes)), all verified"
            if result.unchangedFiles > 0 { text += "; \(Plural.of(result.unchangedFiles, "file")) already there, left alone" }
            if result.overwrittenFiles > 0 { text += "; \(Plural.of(result.overwrittenFiles, "file")) with other content replaced" }
            if result.resumedBytes > 0 { text += " (resumed \(ProgressLine.bytes(result.resumedBytes)) from .partial files)" }
            try CLIOutput(json: options.json).print(result, text: text)
        }
    }
}

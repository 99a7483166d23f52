import ArgumentParser

/// The `artifactstore` command: server, operator tools and client in one binary.
@main
struct ArtifactStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifactstore",
        abstract: "A content-addressed artifact store.",
        subcommands: [
            DigestCommand.self,
            StorageCommand.self,
            DataPlaneCommand.self,
            ServeCommand.self,
        ]
    )
}

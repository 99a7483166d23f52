import ArgumentParser
import ArtifactStoreCore

/// The `artifactstore` command: server, operator tools and client in one binary.
@main
struct ArtifactStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifactstore",
        abstract: "A content-addressed artifact store.",
        version: ArtifactStoreVersion.current,
        subcommands: [
            DigestCommand.self,
            StorageCommand.self,
            DataPlaneCommand.self,
            ServeCommand.self,
            LoginCommand.self, LogoutCommand.self, WhoAmICommand.self, PushCommand.self, PullCommand.self, ListCommand.self,
            RemoveCommand.self,
            TagCommand.self, HoldCommand.self, ReleaseCommand.self, VerifyCommand.self, GarbageCollectCommand.self,
            AuditCommand.self, TokenCommand.self, AdminCommand.self, WebhookCommand.self, NamespaceCommand.self, UsageCommand.self,
            ProxyCommand.self, ReplicationCommand.self,
        ]
    )
}

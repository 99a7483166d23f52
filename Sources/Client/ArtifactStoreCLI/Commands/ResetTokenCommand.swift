import ArgumentParser
import ArtifactControlPlane
import ArtifactServer
import ArtifactStoreAPI
import Foundation

/// `artifactstore admin reset-token`: mints a new admin token directly in the store's database,
/// for an operator who lost the bootstrap token. Needs no server and no token; whoever can run it
/// can already read and write the database. Prints the token once, on standard output.
struct ResetTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-token",
        abstract: "Mint a new admin token in the store's database (when the admin token is lost).",
        discussion: """
            Works offline on the database named by --data-dir or --database (and the audit key file serve \
            uses). The new token has every scope on every namespace, is recorded in the audit chain as a \
            token.create by system:reset-token, and is printed once on standard output: store it now. \
            No other token is revoked; revoke the lost one with `artifactstore token revoke ID`. \
            Exits 0, 2 when the store or its audit key file does not exist, 1 for any other failure.
            """
    )

    @OptionGroup var store: StoreLocationOptions

    func run() async throws {
        let issued: IssuedToken
        do {
            issued = try await StoreAdministration.resetAdminToken(try await store.load(), logger: AdminCommand.logger())
        } catch {
            throw CLIOutput(json: false).failure(error)
        }
        FileOutput.standardError.write(
            "artifactstore: new admin token \(issued.info.id) (shown only this once; it has every scope on every namespace):\n"
        )
        FileOutput.standardOutput.write(issued.token + "\n")
    }
}

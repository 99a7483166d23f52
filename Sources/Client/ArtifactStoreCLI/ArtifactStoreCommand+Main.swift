import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

extension ArtifactStoreCommand {
    /// Runs the command like ArgumentParser's own `main()`, except that a usage error exits with
    /// 2 (docs/cli.md, "Exit codes") instead of 64, and is printed as the JSON error object on
    /// standard output when `--json` was given.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            if CommandLine.arguments.contains("--json") {
                let object = ["error": ["code": CLIErrorCode.usage.rawValue, "message": message(for: error)]]
                let data = (try? APIJSON.encoder().encode(object)) ?? Data()
                FileOutput.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
            } else {
                FileOutput.standardError.write(fullMessage(for: error) + "\n")
            }
            Foundation.exit(ClientExitStatus.usage.rawValue)
        }
    }
}

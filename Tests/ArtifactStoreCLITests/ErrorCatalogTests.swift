import ArtifactBLAKE3
import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneDaemon
import ArtifactDataPlaneWire
import ArtifactIdentity
import ArtifactLDAP
import ArtifactMetadata
import ArtifactOCI
import ArtifactStorage
import ArtifactStoreAPI
import ArtifactStoreClient
import ArtifactStoreCore
import Foundation
import Hummingbird
import Testing

@testable import ArtifactControlPlane
@testable import ArtifactServer
@testable import ArtifactStoreCLI

/// Swift Testing has an `ExitStatus` of its own (exit tests).
typealias ExitStatus = ArtifactStoreCore.ExitStatus

/// Every layer's codes, lowest layer first: the rows of docs/errors.md, in order.
enum ErrorCatalog {
    static let layers: [any ErrorCode.Type] = [
        BLAKE3ErrorCode.self, DigestParseErrorCode.self, StorageErrorCode.self, CBORErrorCode.self, DataPlaneErrorCode.self,
        DataPlaneWireErrorCode.self, DataPlaneDaemonErrorCode.self, MetadataStoreErrorCode.self, AuditKeyErrorCode.self, LDAPErrorCode.self,
        NameGrammarErrorCode.self, ControlPlaneErrorCode.self,
        OCIErrorCode.self, HTTPAPIErrorCode.self, ServerConfigurationErrorCode.self, ClientErrorCode.self, CLIErrorCode.self,
    ]

    struct Row {
        var code: String
        var layer: String
        var meaning: String
        var httpStatus: Int?
        var exitStatus: ExitStatus?
    }

    static func rows<Code: ErrorCode>(_ type: Code.Type) -> [Row] {
        Code.allCases.map {
            Row(code: $0.rawValue, layer: Code.layer, meaning: $0.meaning, httpStatus: $0.httpStatus, exitStatus: $0.exitStatus)
        }
    }

    static var allRows: [Row] { layers.flatMap { rows($0) } }

    /// The whole of docs/errors.md.
    static func markdown() -> String {
        var text = """
            # Errors

            <!-- Generated from the code by ErrorCatalogTests (Tests/ArtifactStoreCLITests); do not edit.
                 Regenerate with scripts/errors-doc.sh after changing a code, its meaning or its statuses. -->

            Every error, in every layer, has one shape (`LayeredError` in `ArtifactStoreCore`): a typed
            **code** (stable, never renamed once published), a **message** that names the input that
            was refused and says what to do next, and the **cause** (the lower-level error, kept for the
            server log; never shown to a client). The HTTP API answers with
            `{"error":{"code":"…","message":"…"}}` and the status below; the CLI prints
            `artifactstore: error: <code>: <message>` and exits with the status below
            ([cli.md](cli.md), "Exit codes"). A 5xx answer names no internal path, socket or library
            error: only its code, and the request id under which the server log has the cause.

            A code listed in two layers (`invalidDigest`, `digestMismatch`, `internalError`, …) names
            the same kind of failure in both, seen from that layer. A layer's code without an
            HTTP status never reaches an answer as itself: the layer above wraps it (storage codes
            become the data plane's `objectNotFound`, `backendUnavailable` or `storage`; metadata codes
            become the control plane's `databaseTooNew`, `databaseUnavailable` or `database`; wire and
            CBOR codes become `dataPlaneUnavailable`). A control-plane `dataPlane` error is answered with
            the data-plane code it wraps. OCI codes are answered on `/v2` in the spec's body
            ([oci.md](oci.md)); one refusal may carry another status than its code's (503 for
            `UNKNOWN` when the database or data plane is unavailable, 501 for a range that cannot be
            proved).

            Exit statuses: a server's answer ends a client command with the status of its HTTP status
            (401 and 403: 4, 404: 3, 409: 5, other 4xx: 2, 5xx: 7), except that bytes that did not
            match (`digestMismatch`, `sizeMismatch`) are 6 whoever noticed. A code met locally, by any
            command (a client command, `serve`, `admin`), ends it with the status the code declares
            for the command line when it has no HTTP status (the CLI's own codes, `invalidConfiguration`,
            the backup and restore codes), with 6 when it is an integrity failure, and with 1 otherwise.
            `artifactstore serve` and `artifactstore dataplane` exit 2 when they cannot start as
            configured and 1 when they fail while running.

            Storage's code for a missing object is `objectNotFound` (the data plane's name for the same
            thing); it was `notFound`, which on the HTTP API means a path no route has. The CLI's
            `digest` says `localFileNotFound` for a file that is not there (it said `fileNotFound`,
            the control plane's code for a path a version does not have).

            | code | layer | meaning | HTTP status | CLI exit status |
            |---|---|---|---|---|

            """
        for row in allRows {
            let http = row.httpStatus.map(String.init) ?? "—"
            let exit = row.exitStatus.map { String($0.rawValue) } ?? "—"
            text += "| `\(row.code)` | \(row.layer) | \(row.meaning) | \(http) | \(exit) |\n"
        }
        return text
    }

    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/errors.md")
}

@Suite("One error shape: codes, statuses and docs/errors.md", .timeLimit(.minutes(10)))
struct ErrorCatalogTests {
    @Test("docs/errors.md is what the code generates (ARTIFACTSTORE_WRITE_ERRORS_DOC=1 rewrites it)")
    func documentMatchesTheCode() throws {
        let generated = ErrorCatalog.markdown()
        if ProcessInfo.processInfo.environment["ARTIFACTSTORE_WRITE_ERRORS_DOC"] == "1" {
            try generated.write(to: ErrorCatalog.documentURL, atomically: true, encoding: .utf8)
        }
        let written = try String(contentsOf: ErrorCatalog.documentURL, encoding: .utf8)
        #expect(written == generated, "docs/errors.md differs from the code: run scripts/errors-doc.sh")
    }

    @Test("every code has a meaning, no layer repeats a code, and no meaning has a table-breaking |")
    func rowsAreWellFormed() {
        for layer in Dictionary(grouping: ErrorCatalog.allRows, by: \.layer).values {
            #expect(Set(layer.map(\.code)).count == layer.count)
        }
        for row in ErrorCatalog.allRows {
            #expect(!row.meaning.isEmpty && row.meaning.hasSuffix("."), "\(row.layer) \(row.code)")
            #expect(!row.meaning.contains("|") && !row.meaning.contains("``"), "\(row.layer) \(row.code)")
        }
    }

    @Test("a code in two layers has the same statuses in both")
    func sharedCodesAgree() {
        let wire = ErrorCatalog.allRows.filter { $0.httpStatus != nil && $0.layer != OCIErrorCode.layer }
        for (code, rows) in Dictionary(grouping: wire, by: \.code) where rows.count > 1 {
            #expect(Set(rows.map(\.httpStatus)).count == 1, "\(code)")
            #expect(Set(rows.map(\.exitStatus)).count == 1, "\(code)")
        }
    }

    @Test("the HTTP API answers each code with the status the code declares")
    func serverStatusesFollowTheCodes() {
        for code in ControlPlaneErrorCode.allCases {
            #expect(Int(ErrorResponse.describe(ControlPlaneError(code, "m")).status.code) == code.httpStatus ?? 500, "\(code)")
        }
        for code in DataPlaneErrorCode.allCases {
            let answer = ErrorResponse.describe(DataPlaneError(code, "m"))
            #expect(Int(answer.status.code) == code.httpStatus && answer.code == code.rawValue, "\(code)")
            let wrapped = ErrorResponse.describe(ControlPlaneError(.dataPlane, "m", underlying: DataPlaneError(code, "m")))
            #expect(wrapped.code == code.rawValue, "a control-plane dataPlane error is answered with its data-plane code")
        }
        for code in HTTPAPIErrorCode.allCases {
            #expect(Int(ErrorResponse.describe(HTTPAPIError(code, "m")).status.code) == code.httpStatus, "\(code)")
        }
        // The reason phrase stays the standard one.
        #expect(ErrorResponse.describe(ControlPlaneError(.versionExists, "m")).status.reasonPhrase == "Conflict")
    }

    @Test("the client knows every /v1 code, and its exit status for an answer is the code's")
    func clientCodesMatchTheServer() {
        // Backup and restore run in the CLI (`artifactstore admin`), never behind a /v1 route.
        let adminOnly: Set<ControlPlaneErrorCode> = [
            .backupDestinationNotEmpty, .restoreDestinationNotEmpty, .backupInvalid, .backupObjectCorrupt, .backupUnsupported,
        ]
        let server = Set(
            ControlPlaneErrorCode.allCases.filter { !adminOnly.contains($0) }.map(\.rawValue) + DataPlaneErrorCode.allCases.map(\.rawValue)
                + HTTPAPIErrorCode.allCases.map(\.rawValue) + DigestParseErrorCode.allCases.map(\.rawValue)
        )
        #expect(Set(APIErrorCode.allCases.map(\.rawValue)) == server)
        let answered: [any ErrorCode] =
            ControlPlaneErrorCode.allCases + DataPlaneErrorCode.allCases + HTTPAPIErrorCode.allCases as [any ErrorCode]
        for code in answered {
            guard let status = code.httpStatus else { continue }
            let error = ClientError(serverCode: code.rawValue, message: "m", status: status)
            #expect(error.serverCode?.rawValue == code.rawValue)
            #expect(ExitStatus(for: error) == code.exitStatus, "\(code.rawValue)")
        }
        #expect(ExitStatus(for: ClientError(serverCode: "somethingNew", message: "m", status: 409)) == .conflict)
    }

    @Test("every command ends a locally met error with the status its code declares for the command line, else 6 or 1")
    func localErrorsEndCommandsByTheirCode() {
        // Codes without an HTTP status: their exit status is written for the command line itself.
        #expect(ExitStatus(for: ServerConfigurationError(key: "port", "m")) == .usage)
        #expect(ExitStatus(for: ControlPlaneError(.backupDestinationNotEmpty, "m")) == .conflict)
        #expect(ExitStatus(for: ControlPlaneError(.restoreDestinationNotEmpty, "m")) == .conflict)
        #expect(ExitStatus(for: ControlPlaneError(.backupUnsupported, "m")) == .usage)
        #expect(ExitStatus(for: ControlPlaneError(.backupObjectCorrupt, "m")) == .integrity)
        #expect(ExitStatus(for: CLIError(code: .invalidBackendArgument, "m")) == .usage)
        #expect(ExitStatus(for: CLIError(code: .localFileNotFound, "m")) == .failure)
        // A status derived from an HTTP status describes a server's answer: met locally it is 1,
        // or 6 when bytes did not match.
        #expect(ExitStatus(for: ControlPlaneError(.namespaceNotFound, "m")) == .failure)
        #expect(ExitStatus(for: ControlPlaneError(.databaseUnavailable, "m")) == .failure)
        #expect(ExitStatus(for: DataPlaneError(.digestMismatch, "m")) == .integrity)
        #expect(ExitStatus(for: StorageError(.io, "m")) == .failure)
        struct Unforeseen: Error {}
        #expect(ExitStatus(for: Unforeseen()) == .failure)
    }

    @Test("description is code: message, then the cause; equality ignores the cause")
    func descriptionFormat() {
        let plain = StorageError(.io, "cannot write \"a/b\"", path: "a/b")
        #expect(plain.description == "io: cannot write \"a/b\"")
        #expect(plain.code == "io" && plain.kind == .io && plain.path == "a/b")
        let caused = DataPlaneError(.storage, "backend \"main\" failed", backendID: "main", underlying: plain)
        #expect(caused.description == "storage: backend \"main\" failed (caused by: io: cannot write \"a/b\")")
        #expect((caused.underlying as? StorageError)?.path == "a/b")
        #expect(DataPlaneWireError(.stalled, "m", underlying: plain) == DataPlaneWireError(.stalled, "m"))
        #expect(DataPlaneWireError(.stalled, "m") != DataPlaneWireError(.stalled, "n"))
        let existential: any ArtifactStoreError = caused
        #expect(existential.kind.rawValue == "storage" && existential.code == "storage")
    }

    @Test("wrapping keeps the cause; an unknown error is internalError, never database")
    func wrappingKeepsTheCause() throws {
        struct Unforeseen: Error {}
        let unknown = ControlPlaneError.wrapping(Unforeseen(), "pushing team/app:1")
        #expect(unknown.kind == .internalError)
        #expect(unknown.underlying is Unforeseen)
        #expect(unknown.message == "pushing team/app:1 failed unexpectedly")
        #expect(!unknown.message.contains("Unforeseen"), "a library type name is not for people")
        let answer = ErrorResponse.describe(unknown)
        #expect(answer.status == .internalServerError && answer.code == "internalError")

        let database = ControlPlaneError.wrapping(MetadataStoreError(.database, "statement failed"), "listing")
        #expect(database.kind == .database && database.underlying is MetadataStoreError)
        let unavailable = ControlPlaneError.wrapping(MetadataStoreError(.closed, "closed"), "listing")
        #expect(unavailable.kind == .databaseUnavailable)
        let dataPlane = ControlPlaneError.wrapping(DataPlaneError(.objectCorrupt, "damaged"), "reading")
        #expect(dataPlane.kind == .dataPlane && (dataPlane.underlying as? DataPlaneError)?.kind == .objectCorrupt)
        let same = ControlPlaneError(.forbidden, "no")
        #expect(ControlPlaneError.wrapping(same, "x").kind == .forbidden)
    }

    @Test("data-plane errors round-trip through JSON with code, message and backend, not the cause")
    func dataPlaneErrorsAreCodable() throws {
        let error = DataPlaneError(.objectNotFound, "no object", backendID: "main", underlying: StorageError(.objectNotFound, "gone"))
        let decoded = try JSONDecoder().decode(DataPlaneError.self, from: JSONEncoder().encode(error))
        #expect(decoded == error && decoded.backendID == "main" && decoded.underlying == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(DataPlaneError.self, from: Data(#"{"code":"nope","message":"m"}"#.utf8))
        }
    }

    @Test("CLI codes are typed, and exit statuses come from them")
    func cliAndClientCodes() {
        #expect(CLIError(code: .notAFile, "m").code == "notAFile")
        #expect(CLIErrorCode.invalidBackendArgument.exitStatus == .usage)
        #expect(ExitStatus(for: ClientError(.localFileDiffers, "m")) == .conflict)
        #expect(ExitStatus(for: ClientError(.badResponse, "m", status: 409)) == .conflict)
        // Another layer's error met locally: 1, or 6 for bytes that did not match.
        #expect(ExitStatus(for: ControlPlaneError(.invalidName, "m")) == .failure)
        #expect(ExitStatus(for: DataPlaneError(.digestMismatch, "m")) == .integrity)
        #expect(ExitStatus(httpStatus: 413) == .usage && ExitStatus(httpStatus: 503) == .server && ExitStatus(httpStatus: 302) == .failure)
    }
}

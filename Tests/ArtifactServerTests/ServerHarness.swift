import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactServer
import ArtifactStorage
import ArtifactStorageFileSystem
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Testing

/// The metadata engines server tests run on.
enum ServerTestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    func isAvailable(_ test: String = #function) -> Bool {
        if self == .postgres, Self.postgresURL == nil {
            print("PostgreSQL server test SKIPPED (\(test)): ARTIFACTSTORE_TEST_POSTGRES_URL is not set")
            return false
        }
        return true
    }
}

/// A server over a fresh database and a fresh filesystem backend in a temporary directory, with
/// an admin token, run through HummingbirdTesting.
///
/// Exists so every HTTP test starts from the same known state and can look past the API at
/// what was (not) stored: the backend's files and the database's rows.
final class ServerHarness: Sendable {
    let directory: String
    let controlPlane: ControlPlane
    let api: ArtifactStoreAPI
    let adminToken: String

    var blobsDirectory: String { directory + "/blobs" }

    private init(directory: String, controlPlane: ControlPlane, api: ArtifactStoreAPI, adminToken: String) {
        self.directory = directory
        self.controlPlane = controlPlane
        self.api = api
        self.adminToken = adminToken
    }

    static var silent: Logger { Logger(label: "artifactstore.server.tests", factory: { _ in SwiftLogNoOpLogHandler() }) }

    /// Runs `body` with a fresh server, or says it skipped (PostgreSQL without a URL).
    static func run(
        _ database: ServerTestDatabase = .sqlite, test: String = #function, _ body: (ServerHarness) async throws -> Void
    ) async throws {
        guard database.isAvailable(test) else { return }
        let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-server-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: directory + "/blobs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var schema: String?
        let location: MetadataLocation
        switch database {
        case .sqlite:
            location = .sqliteFile(path: directory + "/metadata.sqlite")
        case .postgres:
            let name = "srv_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
            let admin = try await MetadataStore.open(try MetadataLocation(parsing: ServerTestDatabase.postgresURL!), logger: silent)
            try await admin.transaction { db in try await db.raw("CREATE SCHEMA \(ident: name)").run() }
            await admin.close()
            guard case .postgres(var postgres) = try MetadataLocation(parsing: ServerTestDatabase.postgresURL!) else { fatalError("not a postgres URL") }
            postgres.schema = name
            postgres.maximumConnections = 4
            location = .postgres(postgres)
            schema = name
        }
        let dataPlane = try LocalDataPlane(
            backends: [.init(id: "default", connector: try FileSystemConnector(rootPath: directory + "/blobs", logger: silent))], logger: silent)
        let controlPlane = try await ControlPlane.open(location, dataPlane: dataPlane, logger: silent)
        let token = try #require(try await controlPlane.auth.bootstrap())
        let harness = ServerHarness(
            directory: directory, controlPlane: controlPlane, api: ArtifactStoreAPI(controlPlane: controlPlane, metrics: ServerMetrics()),
            adminToken: token.token)
        do {
            try await body(harness)
        } catch {
            await harness.close(schema: schema)
            throw error
        }
        await harness.close(schema: schema)
    }

    private func close(schema: String?) async {
        await controlPlane.close()
        if let schema, let url = ServerTestDatabase.postgresURL, let location = try? MetadataLocation(parsing: url),
            let admin = try? await MetadataStore.open(location, logger: Self.silent)
        {
            try? await admin.transaction { db in try await db.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
            await admin.close()
        }
    }

    /// The application for HummingbirdTesting.
    func application(port: Int = 0) -> some ApplicationProtocol {
        Application(router: api.makeRouter(), configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: Self.silent)
    }

    /// Runs `body` with a test client in `mode`.
    func withClient<T: Sendable>(_ mode: TestingSetup = .router, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> T) async throws -> T {
        try await application().test(mode) { client in try await body(client) }
    }

    /// A token with `grants`.
    func token(_ grants: [Grant], name: String = "test") async throws -> String {
        try await controlPlane.auth.createToken(name: name, grants: grants, expiresAt: nil, context: RequestContext(actor: "test")).token
    }

    /// Files under the backend's directory (objects and temporaries).
    func storedFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: blobsDirectory)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: blobsDirectory + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files.sorted()
    }

    /// Rows in the `blobs` and `links` tables.
    func blobAndLinkCounts() async throws -> (blobs: Int64, links: Int64) {
        try await controlPlane.store.read { db in
            let blobs = try await db.raw("SELECT COUNT(*) AS n FROM blobs").first()?.decode(column: "n", as: Int64.self) ?? -1
            let links = try await db.raw("SELECT COUNT(*) AS n FROM links").first()?.decode(column: "n", as: Int64.self) ?? -1
            return (blobs, links)
        }
    }
}

/// Headers and bodies for requests.
enum TestRequest {
    static func bearer(_ token: String?) -> HTTPFields {
        guard let token else { return [:] }
        return [.authorization: "Bearer \(token)"]
    }

    static func json(_ token: String?, _ text: String) -> (HTTPFields, ByteBuffer) {
        var headers = bearer(token)
        headers[.contentType] = "application/json"
        return (headers, ByteBuffer(string: text))
    }
}

extension TestResponse {
    /// The body as a JSON object; an empty object (and a recorded issue) when it is not one.
    func json(sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            Issue.record("body is not a JSON object: \(String(buffer: body))", sourceLocation: sourceLocation)
            return [:]
        }
        return object
    }

    /// `error.code` of a JSON error body.
    func errorCode(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        (json(sourceLocation: sourceLocation)["error"] as? [String: Any])?["code"] as? String
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactServer
import ArtifactStorage
import ArtifactStorageFileSystem
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Testing

/// A server over a fresh database and a fresh filesystem backend in a temporary directory, with
/// an admin token, run through HummingbirdTesting.
///
/// Exists so every HTTP test starts from the same known state and can look past the API at
/// what was (not) stored: the backend's files and the database's rows.
final class ServerHarness: Sendable {
    let directory: String
    let location: MetadataLocation
    let controlPlane: ControlPlane
    let api: APIHandlers
    let adminToken: String
    /// Where the server and the control plane log: silent unless a test records it.
    let logger: Logger

    var blobsDirectory: String { directory + "/blobs" }

    private init(
        directory: String,
        location: MetadataLocation,
        controlPlane: ControlPlane,
        api: APIHandlers,
        adminToken: String,
        logger: Logger
    ) {
        self.directory = directory
        self.location = location
        self.controlPlane = controlPlane
        self.api = api
        self.adminToken = adminToken
        self.logger = logger
    }

    static var silent: Logger { TestLogs.silent }

    /// Runs `body` with a fresh server, or says it skipped (PostgreSQL without a URL).
    static func run(
        _ database: TestDatabase = .sqlite,
        configuration: ControlPlane.Configuration = ControlPlane.Configuration(),
        logger: Logger = silent,
        test: String = #function,
        clock: @escaping @Sendable () -> Date = { Date() },
        _ body: (ServerHarness) async throws -> Void
    ) async throws {
        try await database.withLocation(maximumConnections: 4, test: test) { location in
            let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-server-\(UUID().uuidString.lowercased())"
            try FileManager.default.createDirectory(atPath: directory + "/blobs", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let dataPlane = try LocalDataPlane(
                backends: [.init(id: "default", connector: try FileSystemConnector(rootPath: directory + "/blobs", logger: silent))],
                logger: silent
            )
            let controlPlane = try await ControlPlane.open(
                location,
                dataPlane: dataPlane,
                configuration: configuration,
                clock: clock,
                logger: logger
            )
            try await withCleanup {
                let token = try #require(try await controlPlane.auth.bootstrap())
                let harness = ServerHarness(
                    directory: directory,
                    location: location,
                    controlPlane: controlPlane,
                    api: APIHandlers(controlPlane: controlPlane, metrics: ServerMetrics()),
                    adminToken: token.token,
                    logger: logger
                )
                try await body(harness)
            } then: {
                await controlPlane.close()
            }
        }
    }

    /// Runs `body` with a second server on this one's database and data directory, as a second
    /// `serve` process sharing them has: its own data plane (and proofs it keeps), its own
    /// control plane (connections, caches, change listener), the same admin token.
    func withSecondProcess(_ body: (ServerHarness) async throws -> Void) async throws {
        let dataPlane = try LocalDataPlane(
            backends: [.init(id: "default", connector: try FileSystemConnector(rootPath: blobsDirectory, logger: Self.silent))],
            logger: Self.silent
        )
        let second = try await ControlPlane.open(location, dataPlane: dataPlane, configuration: controlPlane.configuration, logger: logger)
        try await withCleanup {
            try await body(
                ServerHarness(
                    directory: directory,
                    location: location,
                    controlPlane: second,
                    api: APIHandlers(controlPlane: second, metrics: ServerMetrics()),
                    adminToken: adminToken,
                    logger: logger
                )
            )
        } then: {
            await second.close()
        }
    }

    /// The application for HummingbirdTesting.
    func application(port: Int = 0) -> some ApplicationProtocol {
        Application(
            router: api.makeRouter(),
            server: ServeApplication.httpServer(limits: .patient),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            logger: logger
        )
    }

    /// Runs `body` with a test client in `mode`.
    func withClient<T: Sendable>(
        _ mode: TestingSetup = .router,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> T
    ) async throws -> T {
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

extension ConnectionLimits {
    /// The limits of in-process test servers: the product's, with timeouts of an hour. On two
    /// cores shared by the whole suite a test may stall for minutes between the moment
    /// HummingbirdTesting opens its client's connection and the first request; the timeouts
    /// themselves are tested against the real binary (ConnectionLimitTests).
    static var patient: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.headerReadTimeout = .seconds(3600)
        limits.idleTimeout = .seconds(3600)
        limits.bodyIdleTimeout = .seconds(3600)
        return limits
    }
}

/// Headers and bodies for requests.
enum TestRequest {
    /// A plain TCP connection to the server on `port`, for requests no HTTP client would send
    /// (cut bodies, `Expect: 100-continue`, reading what arrives byte for byte).
    static func rawConnection(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    }

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

import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Testing

@testable import ArtifactControlPlane

/// The control plane's caches seen from outside: authorisations and blob facts served without
/// the database, and dropped on time, on revocation, on invalidation, and never across tenants.
@Suite("ControlPlaneCaches", .timeLimit(.minutes(10)))
struct ControlPlaneCacheTests {
    /// A token with read on `team`, authorised once so that it is cached.
    func warmToken(_ h: Harness, expiresAt: Date? = nil) async throws -> IssuedToken {
        let issued = try await h.controlPlane.auth.createToken(
            name: "ci",
            grants: [Grant(.read, namespace: "team")],
            expiresAt: expiresAt,
            context: h.context
        )
        _ = try await readTeam(h, issued)
        return issued
    }

    /// Authorises `issued` to read `team`.
    func readTeam(_ h: Harness, _ issued: IssuedToken) async throws -> Principal {
        try await h.controlPlane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
    }

    /// The refusal code of reading `team` with `issued`.
    func refusal(_ h: Harness, _ issued: IssuedToken) async -> ControlPlaneError.Code? {
        let error = await #expect(throws: ControlPlaneError.self) { try await readTeam(h, issued) }
        return error?.kind
    }

    @Test("a revocation through this process takes effect at once, even with the token cached", arguments: TestDatabase.allCases)
    func revokeInvalidates(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let issued = try await warmToken(h)
            #expect(h.controlPlane.caches.authorizations.count == 1)
            try await h.controlPlane.auth.revokeToken(id: issued.info.id, context: h.context)
            #expect(h.controlPlane.caches.authorizations.count == 0)
            #expect(await refusal(h, issued) == .tokenRevoked)
        }
    }

    @Test(
        "a revocation nobody published (a hand edit of the database) takes effect within the cache lifetime",
        arguments: TestDatabase.allCases
    )
    func foreignRevocationWithinLifetime(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let issued = try await warmToken(h)
            // Revoked behind this process's back without the event a revocation publishes.
            try await h.execute("UPDATE tokens SET revoked_at = 1 WHERE id = \(bind: issued.info.id)")
            _ = try await readTeam(h, issued)
            h.advance(by: ControlPlaneCaches.defaultLifetime.timeInterval)
            #expect(await refusal(h, issued) == .tokenRevoked)
        }
    }

    @Test("a cached token still expires on time, and grants are still checked on a hit", arguments: TestDatabase.allCases)
    func expiryAndScopesOnHit(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            let issued = try await warmToken(h, expiresAt: h.time.addingTimeInterval(1))
            let forbidden = await #expect(throws: ControlPlaneError.self) {
                try await auth.require(token: issued.token, scope: .write, namespace: "team", context: h.context)
            }
            #expect(forbidden?.kind == .forbidden)
            let otherTenant = await #expect(throws: ControlPlaneError.self) {
                try await auth.require(token: issued.token, scope: .read, namespace: "other", context: h.context)
            }
            #expect(otherTenant?.kind == .forbidden)
            h.advance(by: 1.5)
            #expect(await refusal(h, issued) == .tokenExpired)
        }
    }

    @Test("unknown tokens are never cached, and the cache holds no secret", arguments: [TestDatabase.sqlite])
    func noSecretsNoUnknowns(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            for index in 0..<5 {
                let guessed = "ast_\(String(repeating: "0", count: 15))\(index)_\(String(repeating: "a", count: 64))"
                guard case .unauthenticated = try await auth.authorize(token: guessed, scope: .read, namespace: "team", context: h.context)
                else {
                    Issue.record("a guessed token was accepted")
                    continue
                }
            }
            #expect(h.controlPlane.caches.authorizations.count == 0)
        }
    }

    @Test("the token cache is bounded", arguments: [TestDatabase.sqlite])
    func tokenCacheBounded(database: TestDatabase) async throws {
        try await Harness.run(database, configuration: ControlPlane.Configuration(cacheLifetime: .seconds(60), cacheCapacity: 8)) { h in
            let auth = h.controlPlane.auth
            for index in 0..<6 {
                let issued = try await auth.createToken(
                    name: "t\(index)",
                    grants: [Grant(.read, namespace: "team")],
                    expiresAt: nil,
                    context: h.context
                )
                _ = try await auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
                #expect(h.controlPlane.caches.authorizations.count <= 2)
            }
        }
    }

    @Test("a warm blob fact is served without the database until its lifetime ends", arguments: TestDatabase.allCases)
    func blobFactHitAndExpiry(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Array("cached bytes".utf8), into: "team")
            _ = try await h.registry.blob(namespace: "team", address: blob.address)
            // Unlinked behind the cache's back: still a hit until the lifetime ends.
            try await h.execute("DELETE FROM links WHERE namespace = 'team' AND address = \(bind: blob.address.description)")
            #expect(try await h.registry.blob(namespace: "team", address: blob.address) == blob.withoutDeduplication)
            h.advance(by: ControlPlaneCaches.defaultLifetime.timeInterval)
            let error = await #expect(throws: ControlPlaneError.self) {
                try await h.registry.blob(namespace: "team", address: blob.address)
            }
            #expect(error?.kind == .blobNotFound)
        }
    }

    @Test("invalidate(address:) drops a blob's facts in every namespace at once", arguments: TestDatabase.allCases)
    func blobFactInvalidation(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            for namespace in ["a", "b"] { _ = try await h.registry.createNamespace(namespace, context: h.context) }
            let bytes = Array("shared bytes".utf8)
            let blob = try await h.ingest(bytes, into: "a")
            try await h.ingest(bytes, into: "b")
            for namespace in ["a", "b"] {
                _ = try await h.registry.blob(namespace: namespace, address: blob.address)
                _ = try await h.registry.blob(namespace: namespace, digest: blob.sha256)
            }
            #expect(h.controlPlane.caches.blobFacts.count == 4)
            try await h.execute("DELETE FROM links WHERE address = \(bind: blob.address.description)")
            h.controlPlane.caches.blobFacts.invalidate(address: blob.address)
            #expect(h.controlPlane.caches.blobFacts.count == 0)
            for namespace in ["a", "b"] {
                let error = await #expect(throws: ControlPlaneError.self) {
                    try await h.registry.blob(namespace: namespace, digest: blob.sha256)
                }
                #expect(error?.kind == .blobNotFound)
            }
        }
    }

    @Test("a warm cache never lets one namespace see a blob linked only in another", arguments: TestDatabase.allCases)
    func tenancy(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            for namespace in ["a", "b"] { _ = try await h.registry.createNamespace(namespace, context: h.context) }
            let blob = try await h.ingest(Array("only in b".utf8), into: "b")
            #expect(try await h.collect(try await h.registry.openBlob(namespace: "b", address: blob.address)) == Array("only in b".utf8))
            _ = try await h.registry.blob(namespace: "b", digest: blob.sha256)
            for _ in 0..<2 {
                let byAddress = await #expect(throws: ControlPlaneError.self) {
                    try await h.registry.blob(namespace: "a", address: blob.address)
                }
                #expect(byAddress?.kind == .blobNotFound)
                let byDigest = await #expect(throws: ControlPlaneError.self) {
                    try await h.registry.blob(namespace: "a", digest: blob.sha256)
                }
                #expect(byDigest?.kind == .blobNotFound)
                let opened = await #expect(throws: ControlPlaneError.self) {
                    try await h.registry.openBlob(namespace: "a", address: blob.address)
                }
                #expect(opened?.kind == .blobNotFound)
            }
        }
    }

    @Test("the blob fact cache is bounded", arguments: [TestDatabase.sqlite])
    func blobFactsBounded(database: TestDatabase) async throws {
        try await Harness.run(database, configuration: ControlPlane.Configuration(cacheLifetime: .seconds(60), cacheCapacity: 4)) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            for index in 0..<10 {
                let blob = try await h.ingest(Array("blob \(index)".utf8), into: "team")
                _ = try await h.registry.blob(namespace: "team", address: blob.address)
                #expect(h.controlPlane.caches.blobFacts.count <= 4)
            }
        }
    }

    @Test("a stale fact whose bytes are gone is dropped and the database asked again", arguments: [TestDatabase.sqlite])
    func staleFactAfterCollection(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Array("to be collected".utf8), into: "team")
            _ = try await h.registry.blob(namespace: "team", address: blob.address)
            // The bytes and the link vanish behind the cache's back (a GC on another server).
            try await h.execute("DELETE FROM links WHERE address = \(bind: blob.address.description)")
            _ = try await h.dataPlane.delete(blob.address, backendID: "primary")
            let error = await #expect(throws: ControlPlaneError.self) {
                try await h.registry.openBlob(namespace: "team", address: blob.address)
            }
            #expect(error?.kind == .blobNotFound)
            #expect(h.controlPlane.caches.blobFacts.count == 0)
        }
    }

    @Test("resolveFile reads one file of a version with its blob, and names what is missing", arguments: TestDatabase.allCases)
    func resolveFile(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let version = try await h.push("team", "app", "1.0", files: ["bin/tool": Array("tool".utf8), "README": Array("readme".utf8)])
            let resolved = try await h.registry.resolveFile(namespace: "team", artifact: "app", version: "1.0", path: "bin/tool")
            #expect(resolved.file == version.files.first { $0.path == "bin/tool" })
            #expect(resolved.blob.address == resolved.file.address)
            #expect(resolved.blob.size == 4)
            #expect(try await h.collect(try await h.registry.open(resolved)) == Array("tool".utf8))
            let readme = try await h.registry.resolveFile(namespace: "team", artifact: "app", version: "1.0", path: "README")
            #expect(readme.file == version.files.first { $0.path == "README" })
            #expect(readme.blob.size == 6)
            #expect(try await h.collect(try await h.registry.open(readme)) == Array("readme".utf8))
            // On an SQLite file each reader keeps the lookup prepared and never prepares it again.
            if let counts = h.controlPlane.store.reprepareCounts(of: Registry.fileByPath) {
                #expect(!counts.isEmpty)
                #expect(counts.allSatisfy { $0 == 0 }, "file by path reprepared: \(counts)")
            }
            let cases: [(String, String, String, ControlPlaneError.Code)] = [
                ("nobody", "1.0", "README", .namespaceNotFound), ("team", "9.9", "README", .versionNotFound),
                ("team", "1.0", "missing", .fileNotFound),
            ]
            for (namespace, versionName, path, code) in cases {
                let error = await #expect(throws: ControlPlaneError.self) {
                    try await h.registry.resolveFile(namespace: namespace, artifact: "app", version: versionName, path: path)
                }
                #expect(error?.kind == code)
            }
        }
    }
}

extension LinkedBlob {
    /// The blob as a later read reports it (a read never says `deduplicated`).
    var withoutDeduplication: LinkedBlob {
        var copy = self
        copy.deduplicated = false
        return copy
    }
}

extension Duration {
    /// Whole and fractional seconds, for moving a ``TestClock``.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

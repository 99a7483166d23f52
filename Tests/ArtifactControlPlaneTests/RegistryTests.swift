import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Crypto
import Foundation
import NIOCore
import Testing

@Suite("Registry", .timeLimit(.minutes(10)))
struct RegistryTests {
    static let payload = Array("hello, artifact store\n".utf8)
    static let other = Array(repeating: UInt8(7), count: 70_000)

    @Test("push in two steps, read back byte for byte, list and tag", arguments: TestDatabase.allCases)
    func happyPath(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team-a", context: h.context)
            let version = try await h.push(
                "team-a",
                "tools/builder",
                "1.0.0",
                files: ["bin/tool": Self.payload, "README.md": Self.other],
                labels: ["arch": "x86_64"]
            )
            #expect(version.files.map(\.path) == ["README.md", "bin/tool"])
            #expect(version.summary.totalSize == UInt64(Self.payload.count + Self.other.count))
            #expect(version.summary.creator == "user:alice")
            #expect(version.summary.createdAt == h.time)

            let fetched = try await h.registry.version(namespace: "team-a", artifact: "tools/builder", version: "1.0.0")
            #expect(fetched == version)
            #expect(fetched.summary.labels == ["arch": "x86_64"])
            #expect(try await h.read("team-a", "tools/builder", "1.0.0", "bin/tool") == Self.payload)
            #expect(try await h.read("team-a", "tools/builder", "1.0.0", "README.md") == Self.other)
            let ranged = try await h.collect(
                try await h.registry.openFile(
                    namespace: "team-a",
                    artifact: "tools/builder",
                    version: "1.0.0",
                    path: "bin/tool",
                    range: ByteRange(0...4)
                )
            )
            #expect(ranged == Array("hello".utf8))

            let tag = try await h.registry.setTag(
                namespace: "team-a",
                artifact: "tools/builder",
                tag: "latest",
                version: "1.0.0",
                context: h.context
            )
            #expect(tag.version == "1.0.0")
            h.advance(by: 10)
            try await h.push("team-a", "tools/builder", "1.1.0", files: ["bin/tool": Self.other])
            _ = try await h.registry.setTag(
                namespace: "team-a",
                artifact: "tools/builder",
                tag: "latest",
                version: "1.1.0",
                context: h.context
            )
            #expect(try await h.registry.tag(namespace: "team-a", artifact: "tools/builder", tag: "latest").version == "1.1.0")
            // The prepared lookup of a pull by tag sees the move at once, and refuses as tag() does.
            #expect(try await h.registry.taggedVersion(namespace: "team-a", artifact: "tools/builder", tag: "latest") == "1.1.0")
            try await h.expectRefusal(.namespaceNotFound) {
                _ = try await h.registry.taggedVersion(namespace: "team-z", artifact: "tools/builder", tag: "latest")
            }
            try await h.registry.deleteTag(namespace: "team-a", artifact: "tools/builder", tag: "latest", context: h.context)
            try await h.expectRefusal(.tagNotFound) {
                _ = try await h.registry.tag(namespace: "team-a", artifact: "tools/builder", tag: "latest")
            }
            try await h.expectRefusal(.tagNotFound) {
                _ = try await h.registry.taggedVersion(namespace: "team-a", artifact: "tools/builder", tag: "latest")
            }

            let records = try await h.auditRecords(action: "version.commit")
            #expect(records.map(\.target) == ["team-a/tools/builder@1.0.0", "team-a/tools/builder@1.1.0"])
            #expect(records[0].requestID == "req-1" && records[0].clientAddress == "192.0.2.7" && records[0].actor == "user:alice")
            #expect(Set(records[0].digests) == Set(version.files.map(\.address.description)))
            #expect(try await h.auditRecords(action: "tag.set").count == 2)
        }
    }

    @Test("every list is paged by cursor and limit", arguments: TestDatabase.allCases)
    func paging(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            for name in ["ns-c", "ns-a", "ns-b"] { _ = try await h.registry.createNamespace(name, context: h.context) }
            for index in 0..<5 {
                try await h.push("ns-a", "app", "v\(index)", files: ["f": Array("\(index)".utf8)])
                _ = try await h.registry.setTag(
                    namespace: "ns-a",
                    artifact: "app",
                    tag: "t\(index)",
                    version: "v\(index)",
                    context: h.context
                )
            }
            var namespaces: [String] = []
            var page = PageRequest(limit: 2)
            var pages = 0
            repeat {
                let result = try await h.registry.listNamespaces(page: page)
                #expect(result.items.count <= 2)
                namespaces += result.items.map(\.name)
                page.cursor = result.nextCursor
                pages += 1
            } while page.cursor != nil
            #expect(namespaces == ["ns-a", "ns-b", "ns-c"])
            #expect(pages == 2)

            var versions: [String] = []
            var versionPage = PageRequest(limit: 2)
            repeat {
                let result = try await h.registry.listVersions(namespace: "ns-a", artifact: "app", page: versionPage)
                versions += result.items.map(\.version)
                versionPage.cursor = result.nextCursor
            } while versionPage.cursor != nil
            #expect(versions == ["v0", "v1", "v2", "v3", "v4"])

            let tags = try await h.registry.listTags(namespace: "ns-a", artifact: "app", page: PageRequest(limit: 3))
            #expect(tags.items.map(\.name) == ["t0", "t1", "t2"])
            let rest = try await h.registry.listTags(
                namespace: "ns-a",
                artifact: "app",
                page: PageRequest(limit: 3, cursor: tags.nextCursor)
            )
            #expect(rest.items.map(\.name) == ["t3", "t4"])
            #expect(rest.nextCursor == nil)
            #expect(try await h.registry.listArtifacts(namespace: "ns-a").items.map(\.name) == ["app"])
            #expect(try await h.registry.listFiles(namespace: "ns-a", artifact: "app", version: "v1").items.map(\.path) == ["f"])

            try await h.expectRefusal(.invalidPageRequest) { _ = try await h.registry.listNamespaces(page: PageRequest(limit: 0)) }
            try await h.expectRefusal(.invalidPageRequest) { _ = try await h.registry.listNamespaces(page: PageRequest(limit: 1001)) }
            try await h.expectRefusal(.invalidPageRequest) {
                _ = try await h.registry.listNamespaces(page: PageRequest(limit: 5, cursor: "not a cursor!"))
            }
            try await h.expectRefusal(.artifactNotFound) { _ = try await h.registry.listVersions(namespace: "ns-a", artifact: "nothing") }
        }
    }

    @Test("a blob linked only in another namespace looks exactly like one never stored", arguments: TestDatabase.allCases)
    func crossNamespaceInvisibility(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("alpha", context: h.context)
            _ = try await h.registry.createNamespace("beta", context: h.context)
            let secret = try await h.ingest(Self.payload, into: "alpha")
            #expect(secret.deduplicated == false)
            let never = ContentAddress(try Digest(parsing: "blake3:" + String(repeating: "ab", count: 32)))

            var messages: [String] = []
            for address in [secret.address, never] {
                try await h.expectRefusal(.blobNotFound) { _ = try await h.registry.blob(namespace: "beta", address: address) }
                try await h.expectRefusal(.blobNotFound) { _ = try await h.registry.openBlob(namespace: "beta", address: address) }
                try await h.expectRefusal(.blobNotLinked) {
                    do {
                        _ = try await h.registry.commitVersion(
                            VersionManifest(
                                namespace: "beta",
                                artifact: "steal",
                                version: "1",
                                files: [FileEntry(path: "x", address: address)]
                            ),
                            context: h.context
                        )
                    } catch let error as ControlPlaneError {
                        messages.append(error.message.replacingOccurrences(of: address.description, with: "<digest>"))
                        throw error
                    }
                }
            }
            #expect(messages.count == 2 && messages[0] == messages[1], "the two refusals must read the same")

            // Pushing the same bytes into beta stores nothing new but makes them visible there.
            let linked = try await h.ingest(Self.payload, into: "beta")
            #expect(linked.deduplicated)
            #expect(linked.address == secret.address)
            #expect(try h.storedObjects().count == 1)
            #expect(try await h.collect(try await h.registry.openBlob(namespace: "beta", address: secret.address)) == Self.payload)
            #expect(try await h.registry.blob(namespace: "beta", address: secret.address).size == UInt64(Self.payload.count))
        }
    }

    @Test("refusals carry their code and change nothing", arguments: TestDatabase.allCases)
    func refusals(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Self.payload, into: "team")
            try await h.push("team", "app", "1.0", files: ["a": Self.payload])
            let good = FileEntry(path: "a", address: blob.address)
            func manifest(
                namespace: String = "team",
                artifact: String = "app",
                version: String = "2.0",
                files: [FileEntry]? = nil,
                labels: [String: String] = [:]
            ) -> VersionManifest {
                VersionManifest(namespace: namespace, artifact: artifact, version: version, files: files ?? [good], labels: labels)
            }

            // Unknown namespace: refused before a byte is read or stored.
            try await h.expectRefusal(.namespaceNotFound) { _ = try await h.ingest(Self.other, into: "nowhere") }
            try await h.expectRefusal(.namespaceNotFound) {
                _ = try await h.registry.commitVersion(manifest(namespace: "nowhere"), context: h.context)
            }
            try await h.expectRefusal(.namespaceNotFound) { _ = try await h.registry.listArtifacts(namespace: "nowhere") }
            try await h.expectRefusal(.namespaceExists) { _ = try await h.registry.createNamespace("team", context: h.context) }

            // Names.
            for bad in ["", "Team", "team!", "-team", "team-", "a..b", "a_-b", String(repeating: "a", count: 65), "a/b", "tëam"] {
                try await h.expectRefusal(.invalidName) { _ = try await h.registry.createNamespace(bad, context: h.context) }
            }
            for bad in ["", "App", "a//b", "/a", "a/", "a b", String(repeating: "a", count: 256)] {
                try await h.expectRefusal(.invalidName) {
                    _ = try await h.registry.commitVersion(manifest(artifact: bad), context: h.context)
                }
            }
            for bad in ["", "-1", ".1", "1 0", "1/0", String(repeating: "1", count: 129)] {
                try await h.expectRefusal(.invalidName) {
                    _ = try await h.registry.commitVersion(manifest(version: bad), context: h.context)
                }
                try await h.expectRefusal(.invalidName) {
                    _ = try await h.registry.setTag(namespace: "team", artifact: "app", tag: bad, version: "1.0", context: h.context)
                }
            }
            for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", "a\u{0}b", "a\nb", String(repeating: "p", count: 1025)]
            {
                try await h.expectRefusal(.invalidPath) {
                    _ = try await h.registry.commitVersion(
                        manifest(files: [FileEntry(path: bad, address: blob.address)]),
                        context: h.context
                    )
                }
            }
            try await h.expectRefusal(.invalidName) {
                _ = try await h.registry.commitVersion(manifest(labels: ["Bad Key": "v"]), context: h.context)
            }
            try await h.expectRefusal(.invalidManifest) { _ = try await h.registry.commitVersion(manifest(files: []), context: h.context) }
            try await h.expectRefusal(.invalidManifest) {
                _ = try await h.registry.commitVersion(manifest(files: [good, good]), context: h.context)
            }
            try await h.expectRefusal(.invalidManifest) {
                _ = try await h.registry.commitVersion(
                    manifest(files: [FileEntry(path: "a", address: blob.address, mediaType: "nonsense")]),
                    context: h.context
                )
            }

            // Missing blob, one good and one missing: nothing committed. The commit touches the
            // good file's link before it finds the missing one; with the clock moved, an equal
            // snapshot shows that write was rolled back with the rest.
            h.advance(by: 5)
            let missing = ContentAddress(try Digest(parsing: "blake3:" + String(repeating: "cd", count: 32)))
            try await h.expectRefusal(.blobNotLinked) {
                _ = try await h.registry.commitVersion(manifest(files: [good, FileEntry(path: "b", address: missing)]), context: h.context)
            }

            // Versions are immutable.
            try await h.expectRefusal(.versionExists) {
                _ = try await h.registry.commitVersion(
                    manifest(version: "1.0", files: [FileEntry(path: "other", address: blob.address)]),
                    context: h.context
                )
            }
            try await h.expectRefusal(.versionNotFound) {
                _ = try await h.registry.setTag(namespace: "team", artifact: "app", tag: "latest", version: "9.9", context: h.context)
            }
            try await h.expectRefusal(.versionNotFound) {
                try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "9.9", context: h.context)
            }
            try await h.expectRefusal(.fileNotFound) {
                _ = try await h.registry.openFile(namespace: "team", artifact: "app", version: "1.0", path: "zzz")
            }

            // A bad ingest (declared digest differs) stores nothing and links nothing.
            let wrong = try Digest(parsing: "blake3:" + String(repeating: "ef", count: 32))
            try await h.expectRefusal(.dataPlane) {
                _ = try await h.registry.ingestBlob(
                    namespace: "team",
                    ByteStream(ByteBuffer(bytes: Self.other)),
                    hints: IngestHints(expectedDigest: wrong),
                    context: h.context
                )
            }
        }
    }

    @Test("immutable tags cannot be moved or removed, and tagged versions cannot be deleted", arguments: TestDatabase.allCases)
    func immutableTags(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("release", immutableTags: true, context: h.context)
            try await h.push("release", "app", "1", files: ["f": Self.payload])
            try await h.push("release", "app", "2", files: ["f": Self.other])
            _ = try await h.registry.setTag(namespace: "release", artifact: "app", tag: "stable", version: "1", context: h.context)
            // Setting it where it already points is allowed and changes nothing.
            try await h.expectRefusal(.tagNotFound) {
                _ = try await h.registry.setTag(namespace: "release", artifact: "app", tag: "stable", version: "1", context: h.context)
                _ = try await h.registry.tag(namespace: "release", artifact: "app", tag: "missing")
            }
            try await h.expectRefusal(.immutableTag) {
                _ = try await h.registry.setTag(namespace: "release", artifact: "app", tag: "stable", version: "2", context: h.context)
            }
            try await h.expectRefusal(.immutableTag) {
                try await h.registry.deleteTag(namespace: "release", artifact: "app", tag: "stable", context: h.context)
            }
            try await h.expectRefusal(.immutableTag) {
                try await h.registry.deleteVersion(namespace: "release", artifact: "app", version: "1", context: h.context)
            }
            #expect(try await h.registry.tag(namespace: "release", artifact: "app", tag: "stable").version == "1")
            // An untagged version still goes.
            try await h.registry.deleteVersion(namespace: "release", artifact: "app", version: "2", context: h.context)
            try await h.expectRefusal(.versionNotFound) {
                _ = try await h.registry.version(namespace: "release", artifact: "app", version: "2")
            }
        }
    }

    @Test("deleting a version removes its tags and audits both", arguments: TestDatabase.allCases)
    func deleteVersion(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["f": Self.payload])
            _ = try await h.registry.setTag(namespace: "team", artifact: "app", tag: "latest", version: "1", context: h.context)
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "1", context: h.context)
            try await h.expectRefusal(.tagNotFound) { _ = try await h.registry.tag(namespace: "team", artifact: "app", tag: "latest") }
            let deletion = try #require(try await h.auditRecords(action: "version.delete").first)
            #expect(deletion.target == "team/app@1")
            #expect(deletion.detail?.contains("latest") == true)
            // The bytes stay (for GC to decide) and are still visible through the link.
            #expect(try h.storedObjects().count == 1)
        }
    }

    @Test("concurrent commits of one version: exactly one wins, the others get versionExists", arguments: TestDatabase.allCases)
    func concurrentCommits(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blobs = [try await h.ingest(Self.payload, into: "team"), try await h.ingest(Self.other, into: "team")]
            let registry = h.registry
            let context = h.context
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let manifest = VersionManifest(
                            namespace: "team",
                            artifact: "app",
                            version: "1.0",
                            files: [FileEntry(path: "f", address: blobs[index % 2].address)],
                            labels: ["writer": "w\(index)"]
                        )
                        do {
                            _ = try await registry.commitVersion(manifest, context: context)
                            return "committed"
                        } catch let error as ControlPlaneError {
                            return error.code
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                var outcomes: [String] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes.sorted()
            }
            #expect(outcomes == ["committed"] + Array(repeating: "versionExists", count: 7))
            #expect(try await h.auditRecords(action: "version.commit").count == 1)
            #expect(try await h.registry.listFiles(namespace: "team", artifact: "app", version: "1.0").items.count == 1)
            #expect(try await h.controlPlane.audit.verifyChain().isIntact)
        }
    }
}

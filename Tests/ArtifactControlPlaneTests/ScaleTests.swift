import ArtifactControlPlane
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Testing

@Suite("Scale", .serialized, .timeLimit(.minutes(10)))
struct ScaleTests {
    static let versions = 100_000
    static let unreferencedBlobs = 10_000
    static let batch = 500

    static func address(_ index: Int) -> String {
        "blake3:" + String(format: "%064x", index)
    }

    /// 100,000 versions of one artifact, each with one file on its own blob (linked), plus
    /// 10,000 blobs nothing references; written with multi-row INSERTs, not through the API.
    static func bulkLoad(_ h: Harness) async throws {
        _ = try await h.registry.createNamespace("scale", context: h.context)
        let now = Int64(h.time.timeIntervalSince1970 * 1000)
        let old = now - 48 * 3600 * 1000
        try await h.execute("INSERT INTO artifacts (namespace, name, created_at) VALUES ('scale', 'big', \(bind: old))")
        for start in stride(from: 0, to: versions + unreferencedBlobs, by: 10_000) {
            try await h.controlPlane.store.transaction { db in
                for chunk in stride(from: start, to: min(start + 10_000, versions + unreferencedBlobs), by: batch) {
                    let range = chunk..<min(chunk + batch, versions + unreferencedBlobs)
                    var blobs: SQLQueryString =
                        "INSERT INTO blobs (address, backend_id, size, sha256, blake3, state, created_at, unreferenced_since, state_changed_at) VALUES "
                    blobs += SQLQueryString(
                        range.map { index in
                            "('\(address(index))', 'primary', 1, 'sha256:\(String(format: "%064x", index))', '\(address(index))', 'live', \(old), NULL, \(old))"
                        }.joined(separator: ", ")
                    )
                    try await db.raw(blobs).run()
                    let referenced = range.filter { $0 < versions }
                    guard !referenced.isEmpty else { continue }
                    try await db.raw(
                        SQLQueryString(
                            "INSERT INTO versions (namespace, artifact, version, creator, created_at, labels, file_count, total_size) VALUES "
                                + referenced.map {
                                    "('scale', 'big', 'v\(String(format: "%06d", $0))', 'user:bulk', \(old + Int64($0)), '{}', 1, 1)"
                                }.joined(separator: ", ")
                        )
                    ).run()
                    try await db.raw(
                        SQLQueryString(
                            "INSERT INTO version_files (namespace, artifact, version, path, address, size, media_type) VALUES "
                                + referenced.map {
                                    "('scale', 'big', 'v\(String(format: "%06d", $0))', 'f', '\(address($0))', 1, 'application/octet-stream')"
                                }.joined(separator: ", ")
                        )
                    ).run()
                    try await db.raw(
                        SQLQueryString(
                            "INSERT INTO links (namespace, address, linked_at) VALUES "
                                + referenced.map { "('scale', '\(address($0))', \(old))" }.joined(separator: ", ")
                        )
                    ).run()
                }
            }
        }
    }

    @Test("100,000 versions: listing and GC marking read one page at a time", arguments: TestDatabase.allCases)
    func hundredThousandVersions(database: TestDatabase) async throws {
        let configuration = ControlPlane.Configuration(gcGracePeriod: .seconds(3600), gcPageSize: 1000)
        try await Harness.run(database, configuration: configuration) { h in
            let clock = ContinuousClock()
            let loading = clock.now
            try await Self.bulkLoad(h)
            let loaded = clock.now - loading

            // Listing: 100 pages of 1,000, each a keyset query.
            var page = PageRequest(limit: PageRequest.maximumLimit)
            var pages = 0
            var seen = 0
            var largest = 0
            var previous = ""
            var firstPage = Duration.zero
            var lastPage = Duration.zero
            let listing = clock.now
            repeat {
                let started = clock.now
                let result = try await h.registry.listVersions(namespace: "scale", artifact: "big", page: page)
                let took = clock.now - started
                if pages == 0 { firstPage = took }
                lastPage = took
                pages += 1
                seen += result.items.count
                largest = max(largest, result.items.count)
                #expect(result.items.first.map { $0.version > previous } ?? true)
                previous = result.items.last?.version ?? previous
                page.cursor = result.nextCursor
            } while page.cursor != nil
            let listed = clock.now - listing
            #expect(seen == Self.versions)
            #expect(pages == Self.versions / PageRequest.maximumLimit)
            #expect(largest == PageRequest.maximumLimit)

            // GC: marks the 10,000 unreferenced blobs, reading at most 1,000 rows at a time.
            let collecting = clock.now
            let report = try await h.controlPlane.garbageCollector.collect()
            let collected = clock.now - collecting
            #expect(report.blobsMarked == Self.unreferencedBlobs)
            #expect(report.largestPage == configuration.gcPageSize)
            #expect(report.pagesRead >= (Self.versions + Self.unreferencedBlobs) / configuration.gcPageSize)
            #expect(report.linksExpired == 0)
            #expect(report.blobsDeleted == 0)

            // Retention evaluation pages too (500 versions at a time).
            try await h.controlPlane.retention.setPolicy(
                RetentionPolicy(namespace: "scale", name: "keep", keepLast: 99_000),
                context: h.context
            )
            let evaluating = clock.now
            let dry = try await h.controlPlane.retention.evaluate(namespace: "scale", dryRun: true)
            let evaluated = clock.now - evaluating
            #expect(dry.versionsExamined == Self.versions)
            #expect(dry.deletions.count == 1_000)
            #expect(dry.deletions.first?.version == "v000999")

            print(
                "FIGURE scale \(database): bulk load \(Self.versions) versions + \(Self.versions + Self.unreferencedBlobs) blobs in \(loaded); "
                    + "list \(pages) pages of <= \(largest) in \(listed) (first page \(firstPage), last page \(lastPage)); "
                    + "GC \(report.pagesRead) pages, at most \(report.largestPage) rows at once, marked \(report.blobsMarked) in \(collected); "
                    + "retention dry run over \(dry.versionsExamined) versions in \(evaluated)"
            )
        }
    }
}

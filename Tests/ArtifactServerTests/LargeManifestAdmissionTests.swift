import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import ArtifactServer

/// Large manifest PUTs hold their bodies in memory one at a time (issue 18, item 5: eight
/// concurrent 4 MB manifests peaked at 271 MiB): the others wait with their bodies unread, a
/// refused one lets the next in, and a waiter whose client went away leaves the queue.
/// scripts/bench.sh manifests measures the memory itself.
@Suite("Large manifest admission", .timeLimit(.minutes(10)))
struct LargeManifestAdmissionTests {
    @Test("only bodies over 256 KiB, or of unknown length, wait their turn")
    func threshold() {
        #expect(!OCIManifestAdmission.isLarge(contentLength: 16_000))
        #expect(!OCIManifestAdmission.isLarge(contentLength: 256 * 1024))
        #expect(OCIManifestAdmission.isLarge(contentLength: 256 * 1024 + 1))
        #expect(OCIManifestAdmission.isLarge(contentLength: nil))
    }

    @Test("eight at once run one at a time, each to its end, whatever each answers")
    func oneAtATime() async throws {
        let admission = OCIManifestAdmission()
        let occupancy = Occupancy()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        return try await admission.admitted { () async throws -> Bool in
                            occupancy.enter()
                            for _ in 0..<50 { await Task.yield() }
                            occupancy.leave()
                            if index.isMultiple(of: 3) { throw OCITestRefusal() }
                            return true
                        }
                    } catch is OCITestRefusal {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 8 && results.filter { !$0 }.count == 3)
        #expect(occupancy.most == 1)
    }

    @Test("a waiter that is cancelled leaves at once with CancellationError; the next one gets the turn")
    func cancelledWaiterLeaves() async throws {
        let admission = OCIManifestAdmission()
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await admission.admitted {
                enteredSignal.yield()
                for await _ in release { break }
            }
        }
        var enteredIterator = entered.makeAsyncIterator()
        await enteredIterator.next()
        let waiter = Task { try await admission.admitted { "should not run" } }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        releaseSignal.yield()
        try await holder.value
        #expect(try await admission.admitted { "next" } == "next")
    }

    @Test("the heap is trimmed after each turn, and again once the burst's last request has settled, unless a turn began")
    func settleTrim() async throws {
        let trims = Mutex(0)
        let (sleeps, sleeping) = AsyncStream.makeStream(of: CheckedContinuation<Void, any Error>.self)
        let admission = OCIManifestAdmission(
            settleDelay: .seconds(1),
            sleep: { _ in try await withCheckedThrowingContinuation { sleeping.yield($0) } },
            returnFreedMemory: { trims.withLock { $0 += 1 } }
        )
        var pendingSleeps = sleeps.makeAsyncIterator()

        // One manifest: trimmed at the end of its turn, then once more when the delay has passed.
        try await admission.admitted {}
        #expect(trims.withLock { $0 } == 1)
        let firstSettle = try #require(await pendingSleeps.next())
        firstSettle.resume()
        try await waitUntil { trims.withLock { $0 } == 2 }

        // A turn that begins before the delay passes: that settle trim is skipped, the turn's own
        // end trims and schedules the next one.
        try await admission.admitted {}
        let skipped = try #require(await pendingSleeps.next())
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (finish, finishSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await admission.admitted {
                enteredSignal.yield()
                for await _ in finish { break }
            }
        }
        var enteredIterator = entered.makeAsyncIterator()
        await enteredIterator.next()
        skipped.resume()
        for _ in 0..<100 { await Task.yield() }
        #expect(trims.withLock { $0 } == 3)
        finishSignal.yield()
        try await holder.value
        #expect(trims.withLock { $0 } == 4)
        let lastSettle = try #require(await pendingSleeps.next())
        lastSettle.resume()
        try await waitUntil { trims.withLock { $0 } == 5 }
    }

    /// Yields until `condition` holds (the settle trim runs on a task of its own).
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 where !condition() { await Task.yield() }
        #expect(condition())
    }

    @Test("over HTTP: six large manifests pushed at once are all stored, and a refused large one lets the next in")
    func overHTTP() async throws {
        try await ServerHarness.run(.sqlite) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            let token = try await harness.token([Grant(.write, namespace: "team")])
            let config = Array("{}".utf8)
            let layer = OCITest.bytes(1000, seed: 3)
            // Over the threshold through one large annotation each: six different manifests.
            let manifests = (0..<6).map { index in
                OCITest.manifest(config: config, layers: [layer], annotations: ["pad": String(repeating: "\(index)", count: 300 * 1024)])
            }
            #expect(manifests.allSatisfy { $0.count > OCIManifestAdmission.largeThreshold })
            let invalid = Array("{\"schemaVersion\": 2, \"layers\": [".utf8) + Array(repeating: UInt8(ascii: " "), count: 300 * 1024)
            try await harness.withClient { client in
                for blob in [config, layer] { try await OCITest.pushBlob(client, "team/app", blob, token: token) }
                let statuses = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status).self) { group in
                    for (index, body) in (manifests + [invalid]).enumerated() {
                        group.addTask {
                            try await client.execute(
                                uri: "/v2/team/app/manifests/t\(index)",
                                method: .put,
                                headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                                body: ByteBuffer(bytes: body)
                            ) { response in (index, response.status) }
                        }
                    }
                    return try await group.reduce(into: [Int: HTTPResponse.Status]()) { $0[$1.0] = $1.1 }
                }
                #expect((0..<6).allSatisfy { statuses[$0] == .created })
                #expect(statuses[6] == .badRequest)
                for (index, manifest) in manifests.enumerated() {
                    try await client.execute(uri: "/v2/team/app/manifests/t\(index)", method: .get, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .ok && Array(response.body.readableBytesView) == manifest)
                    }
                }
                // The turn was handed back after the refusal too.
                try await OCITest.pushManifest(client, "team/app", "after", manifests[0], token: token)
            }
        }
    }
}

private struct OCITestRefusal: Error {}

/// How many bodies run at once, and the most that ever did.
private final class Occupancy: Sendable {
    private let state = Mutex((inside: 0, most: 0))

    var most: Int { state.withLock { $0.most } }

    func enter() {
        state.withLock { state in
            state.inside += 1
            state.most = max(state.most, state.inside)
        }
    }

    func leave() {
        state.withLock { $0.inside -= 1 }
    }
}

import ArtifactStoreTestSupport
import Foundation
import Testing

/// The trait that keeps blocking tests (child processes, polling) off Swift concurrency's two
/// threads actually moves them: their bodies, before and after an await, run on threads of
/// their own, and a test without it stays on the pool.
@Suite("Blocking tests run off the cooperative pool", .timeLimit(.minutes(5)))
struct OffTheCooperativePoolTests {
    @Test("a synchronous test with the trait runs on a thread of its own", .offTheCooperativePool)
    func synchronousTestRunsOnItsOwnThread() {
        #expect(OffTheCooperativePool.isOnOwnThread)
    }

    @Test("an asynchronous test with the trait stays off the pool across an await, and so do its child tasks", .offTheCooperativePool)
    func asynchronousTestStaysOffThePool() async throws {
        #expect(OffTheCooperativePool.isOnOwnThread)
        try await Task.sleep(for: .milliseconds(1))
        #expect(OffTheCooperativePool.isOnOwnThread)
        // Child tasks inherit the preference; an unstructured `Task {}` would not.
        async let child = OffTheCooperativePool.isOnOwnThread
        #expect(await child)
    }

    @Test("a test without the trait runs on the pool")
    func testWithoutTheTraitRunsOnThePool() {
        #expect(!OffTheCooperativePool.isOnOwnThread)
    }
}

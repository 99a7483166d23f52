import ArtifactControlPlane
import Foundation
import Testing

@Suite("ExpiringCache", .timeLimit(.minutes(10)))
struct ExpiringCacheTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a stored value is served until its lifetime ends, then dropped")
    func hitAndExpiry() {
        let cache = ExpiringCache<String, Int>(capacity: 8, lifetime: .seconds(2))
        cache.store(1, for: "a", now: start, ifGeneration: cache.generation)
        #expect(cache.value(for: "a", now: start) == 1)
        #expect(cache.value(for: "a", now: start.addingTimeInterval(1.999)) == 1)
        #expect(cache.value(for: "a", now: start.addingTimeInterval(2)) == nil)
        #expect(cache.count == 0)
        #expect(cache.value(for: "missing", now: start) == nil)
    }

    @Test("a clock that goes backwards expires an entry rather than extending it")
    func clockBackwards() {
        let cache = ExpiringCache<String, Int>(capacity: 8, lifetime: .seconds(2))
        cache.store(1, for: "a", now: start, ifGeneration: cache.generation)
        #expect(cache.value(for: "a", now: start.addingTimeInterval(-1)) == nil)
    }

    @Test("never holds more than its capacity; the oldest entries go first")
    func bounded() {
        let cache = ExpiringCache<Int, Int>(capacity: 16, lifetime: .seconds(60))
        for index in 0..<100 {
            cache.store(index, for: index, now: start.addingTimeInterval(Double(index) / 1000), ifGeneration: cache.generation)
            #expect(cache.count <= 16)
        }
        let now = start.addingTimeInterval(1)
        #expect(cache.value(for: 99, now: now) == 99)
        #expect(cache.value(for: 0, now: now) == nil)
    }

    @Test("expired entries are swept before live ones are evicted")
    func sweepsExpiredFirst() {
        let cache = ExpiringCache<Int, Int>(capacity: 4, lifetime: .seconds(2))
        for index in 0..<3 { cache.store(index, for: index, now: start, ifGeneration: cache.generation) }
        cache.store(3, for: 3, now: start.addingTimeInterval(1), ifGeneration: cache.generation)
        let later = start.addingTimeInterval(2.5)
        cache.store(4, for: 4, now: later, ifGeneration: cache.generation)
        #expect(cache.value(for: 3, now: later) == 3)
        #expect(cache.value(for: 4, now: later) == 4)
        #expect(cache.count == 2)
    }

    @Test("invalidation drops matching entries, and a fill read before it is not stored")
    func invalidation() {
        let cache = ExpiringCache<String, Int>(capacity: 8, lifetime: .seconds(2))
        cache.store(1, for: "a", now: start, ifGeneration: cache.generation)
        cache.store(2, for: "b", now: start, ifGeneration: cache.generation)
        let before = cache.generation
        cache.invalidate { key, _ in key == "a" }
        #expect(cache.value(for: "a", now: start) == nil)
        #expect(cache.value(for: "b", now: start) == 2)
        cache.store(1, for: "a", now: start, ifGeneration: before)
        #expect(cache.value(for: "a", now: start) == nil)
        cache.store(1, for: "a", now: start, ifGeneration: cache.generation)
        #expect(cache.value(for: "a", now: start) == 1)
        cache.removeAll()
        #expect(cache.count == 0)
    }

    @Test("a zero lifetime or capacity stores nothing")
    func disabled() {
        for cache in [
            ExpiringCache<String, Int>(capacity: 8, lifetime: .zero), ExpiringCache<String, Int>(capacity: 0, lifetime: .seconds(2)),
        ] {
            #expect(!cache.isEnabled)
            cache.store(1, for: "a", now: start, ifGeneration: cache.generation)
            #expect(cache.value(for: "a", now: start) == nil)
            #expect(cache.count == 0)
        }
    }
}

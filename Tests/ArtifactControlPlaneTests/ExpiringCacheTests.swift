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

    @Test("a key stored again counts as new; invalidated and replaced entries never evict a live one")
    func churnKeepsTheNewest() {
        let cache = ExpiringCache<Int, Int>(capacity: 4, lifetime: .seconds(60))
        var now = start
        func store(_ key: Int, _ value: Int) {
            now = now.addingTimeInterval(0.001)
            cache.store(value, for: key, now: now, ifGeneration: cache.generation)
        }
        for key in 0..<4 { store(key, key) }
        store(0, 100)  // 0 is now the newest; 1 is the oldest
        cache.invalidate(key: 2)
        store(4, 4)  // room without evicting: 2 went
        store(5, 5)  // full: 1, the oldest, goes
        #expect(cache.value(for: 1, now: now) == nil)
        #expect(cache.value(for: 0, now: now) == 100)
        #expect(cache.value(for: 3, now: now) == 3)
        #expect(cache.value(for: 4, now: now) == 4)
        #expect(cache.value(for: 5, now: now) == 5)
        // Heavy churn over a small cache keeps it bounded and keeps the most recent keys.
        for key in 1_000..<21_000 { store(key % 7 == 0 ? 0 : key, key) }
        #expect(cache.count == 4)
        #expect(cache.value(for: 20_999, now: now) == 20_999)
        #expect(cache.value(for: 20_997, now: now) == 20_997)
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

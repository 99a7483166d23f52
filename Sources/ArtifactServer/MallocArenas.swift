#if canImport(Glibc)
import Glibc
#endif

/// Caps glibc's malloc arenas for the server process.
///
/// Exists because glibc gives each thread that contends for the heap its own arena (up to eight
/// per core), and each arena keeps freed memory for reuse: with NIO's event loops, the blocking
/// pool and the cooperative pool all allocating buffers, a busy server's peak RSS grew with the
/// number of threads rather than with the work. Two arenas keep contention low on the event
/// loops while holding the peak near the working set. An operator's own `MALLOC_ARENA_MAX` wins.
public enum MallocArenas {
    /// glibc's `M_ARENA_MAX` (malloc.h).
    static let arenaMaxParameter: Int32 = -8
    /// The arena cap applied when the environment sets none.
    public static let defaultLimit: Int32 = 2

    /// Applies the cap; call first thing at start-up, before threads allocate. Returns whether
    /// it was applied (`false` when `MALLOC_ARENA_MAX` is set, or not on glibc).
    @discardableResult
    public static func limit(_ arenas: Int32 = defaultLimit, environment: [String: String]) -> Bool {
        #if canImport(Glibc)
        guard environment["MALLOC_ARENA_MAX"] == nil else { return false }
        // Glibc's Swift module does not export malloc.h; the symbol is in every glibc process
        // (`nil` handle: RTLD_DEFAULT).
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        return mallopt(arenaMaxParameter, arenas) == 1
        #else
        return false
        #endif
    }
}

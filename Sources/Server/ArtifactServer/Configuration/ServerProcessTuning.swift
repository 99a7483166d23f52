import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings `artifactstore serve` applies first thing at start-up, before any
/// thread or NIO singleton exists.
///
/// Exists because two defaults fit a general program but not this server:
/// - glibc gives each thread that contends for the heap its own arena (up to eight per core),
///   and each keeps freed memory for reuse, so peak RSS grew with the number of threads rather
///   than with the work: two arenas keep contention low while holding the peak near the working
///   set;
/// - NIO's blocking pool (file reads and writes, fsyncs, every SQLite statement) has one thread
///   per core, so on a small machine two fsyncs at a time serialised concurrent uploads, each
///   waiting for the disk: sixteen threads let that many fsyncs wait together.
///
/// An operator's own `MALLOC_ARENA_MAX` or `NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT` wins.
public enum ServerProcessTuning {
    /// The malloc arena cap applied when the environment sets none.
    public static let mallocArenas: Int32 = 2
    /// The blocking pool's threads when the environment sets none.
    public static let blockingThreads = 16
    /// glibc's `M_ARENA_MAX` (malloc.h).
    static let arenaMaxParameter: Int32 = -8

    /// Applies both settings; call once, before anything else runs.
    public static func apply(environment: [String: String]) {
        if environment["NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT"] == nil {
            NIOSingletons.blockingPoolThreadCountSuggestion = max(blockingThreads, System.coreCount)
        }
        limitMallocArenas(environment: environment)
    }

    /// Caps glibc's malloc arenas. Returns whether it was applied (`false` when
    /// `MALLOC_ARENA_MAX` is set, or not on glibc).
    @discardableResult
    static func limitMallocArenas(environment: [String: String]) -> Bool {
        #if canImport(Glibc)
        guard environment["MALLOC_ARENA_MAX"] == nil else { return false }
        // Glibc's Swift module does not export malloc.h; the symbol is in every glibc process
        // (`nil` handle: RTLD_DEFAULT).
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        return mallopt(arenaMaxParameter, mallocArenas) == 1
        #else
        return false
        #endif
    }

    /// Hands the heap's free pages back to the system (glibc's `malloc_trim(0)`); does nothing
    /// elsewhere. Returns whether any memory was released.
    ///
    /// Exists for the rare request that needs megabytes for a moment (a large manifest): glibc
    /// keeps what it frees in its arenas for reuse, so without this the process's RSS stays at
    /// that moment's peak until the same memory happens to be reused. It walks the arenas once
    /// (a few milliseconds); call it only after such a request, never per request.
    @discardableResult
    static func returnFreedMemory() -> Bool {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        let trim = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        return trim(0) == 1
        #else
        return false
        #endif
    }
}

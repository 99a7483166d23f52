#ifndef C_ARTIFACT_PROCESS_H
#define C_ARTIFACT_PROCESS_H

#include <stddef.h>

/// The allocator's account of its heap (glibc's `mallinfo2`): bytes in live allocations
/// (ordinary and mmapped chunks) in `*in_use`, bytes freed and held for reuse in `*held_free`.
/// Returns 1, or 0 where the C library has no `mallinfo2` (both left untouched).
///
/// Exists because `mallinfo2` returns its struct by value from a header Swift's Glibc module does
/// not import; `/metrics` uses it (`ProcessMetrics`) to tell live memory from memory not given back.
int artifactstore_heap_usage(size_t *in_use, size_t *held_free);

#endif

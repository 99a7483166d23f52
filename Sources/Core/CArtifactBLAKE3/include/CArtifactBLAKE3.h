/*
 * CArtifactBLAKE3: BLAKE3 written for ArtifactStore.
 *
 * Public C interface used by the Swift module ArtifactBLAKE3. The hasher is a plain value:
 * copying the struct forks the hash state, and it owns no heap memory. Every symbol is
 * prefixed `asb3_`.
 */
#ifndef ASB3_CARTIFACTBLAKE3_H
#define ASB3_CARTIFACTBLAKE3_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ASB3_KEY_LEN 32
#define ASB3_OUT_LEN 32
#define ASB3_BLOCK_LEN 64
#define ASB3_CHUNK_LEN 1024
/* 2^64 bytes of input are at most 2^54 chunks, so the stack of subtree chaining values never
 * holds more than 54 entries (one per set bit of the chunk count). */
#define ASB3_MAX_DEPTH 54

/* SIMD levels, ordered: a level implies every lower one. */
#define ASB3_SIMD_PORTABLE 0
#define ASB3_SIMD_SSE41 1
#define ASB3_SIMD_AVX2 2
#define ASB3_SIMD_AVX512 3

typedef struct asb3_hasher {
    uint32_t key[8];           /* key words (IV, the key, or the derived context key) */
    uint32_t cv_stack[ASB3_MAX_DEPTH * 8];
    uint64_t chunk_counter;    /* chunks already pushed (index of `buf`, from counter_base) */
    uint8_t cv_stack_len;
    uint8_t flags;             /* mode flags: 0, KEYED_HASH or DERIVE_KEY_* */
    uint8_t simd_level;        /* ASB3_SIMD_* used by this hasher */
    uint8_t reserved;
    uint16_t buf_len;          /* 0...1024 bytes of the current (last) chunk */
    uint64_t counter_base;     /* chunk index of this hasher's first chunk (0 but in subtrees) */
    uint8_t buf[ASB3_CHUNK_LEN];
} asb3_hasher;

/* Plain hashing. Uses asb3_default_simd_level(). */
void asb3_hasher_init(asb3_hasher *self);
/* Keyed hashing with a 32-byte key. */
void asb3_hasher_init_keyed(asb3_hasher *self, const uint8_t key[ASB3_KEY_LEN]);
/* Key derivation: `context` (context_len bytes, usually UTF-8) selects the derived-key domain;
 * the key material is then fed with asb3_hasher_update. */
void asb3_hasher_init_derive_key(asb3_hasher *self, const void *context, size_t context_len);

/* Chooses the SIMD level for this hasher; levels the CPU lacks are lowered to the best it has.
 * Returns the level now in use. The output never depends on the level. */
int asb3_hasher_set_simd_level(asb3_hasher *self, int level);

/* Adds input; any split of the input gives the same result. Large inputs are hashed in place,
 * many 1 KiB chunks at a time; the call uses about 35 KiB of stack. */
void asb3_hasher_update(asb3_hasher *self, const void *input, size_t input_len);

/* Writes out_len bytes of the extended output starting at byte offset `seek`. Does not modify
 * the hasher: more input may follow and finalize may be called again. */
void asb3_hasher_finalize_seek(const asb3_hasher *self, uint64_t seek, uint8_t *out, size_t out_len);
void asb3_hasher_finalize(const asb3_hasher *self, uint8_t *out, size_t out_len);

/*
 * Pieces of the BLAKE3 tree (plain hash mode), for verified streaming of ranges (Bao-style
 * outboards). A subtree is `2^k` whole chunks starting at a chunk index that is a multiple of
 * `2^k`, or the last, shorter part of an input that starts at such an index; its chaining value
 * (CV) is what its parent node compresses. The root flag is set only on the node that covers
 * the whole input, so its "CV" is then the 32-byte hash.
 */
/* CV of the subtree of `len` bytes of `input` whose first chunk is chunk `chunk_counter` of the
 * whole input; the 32-byte hash of `input` instead when `is_root` (then chunk_counter is 0). */
void asb3_subtree_cv(const void *input, size_t len, uint64_t chunk_counter, int is_root,
                     uint8_t out[ASB3_OUT_LEN]);
/* CVs of the `count` consecutive complete subtrees of `subtree_chunks` chunks each (a power of
 * two) that `input` holds (count * subtree_chunks * 1024 bytes), the first starting at chunk
 * `chunk_counter` (a multiple of subtree_chunks) of the whole input; none is the root. Writes
 * 32 bytes per subtree to `out`. Chunks and parents are hashed many at a time, across subtrees. */
void asb3_subtree_cvs(const void *input, size_t count, size_t subtree_chunks, uint64_t chunk_counter,
                      uint8_t *out);
/* CV of a parent node with children `left` and `right` (the hash when `is_root`). */
void asb3_parent_cv(const uint8_t left[ASB3_OUT_LEN], const uint8_t right[ASB3_OUT_LEN],
                    int is_root, uint8_t out[ASB3_OUT_LEN]);
/* CV of the complete subtree whose `count` children (a power of two, at least 2) are the
 * consecutive equal-sized subtrees with the CVs in `cvs` (32 bytes each); the hash when
 * `is_root`. Parents of one level are compressed many at a time. */
void asb3_merge_cvs(const uint8_t *cvs, size_t count, int is_root, uint8_t out[ASB3_OUT_LEN]);

/* Best level this CPU supports (CPUID), ignoring the environment. */
int asb3_cpu_simd_level(void);
/* Level new hashers use: the CPU's best, lowered by ARTIFACTSTORE_BLAKE3_SIMD
 * (portable|sse41|avx2|avx512) when that is set. Computed once. */
int asb3_default_simd_level(void);
/* "portable", "sse41", "avx2", "avx512"; NULL for an unknown level. */
const char *asb3_simd_level_name(int level);

#ifdef __cplusplus
}
#endif

#endif

/* Internal declarations shared by the CArtifactBLAKE3 sources. Not part of the public header. */
#ifndef ASB3_INTERNAL_H
#define ASB3_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "include/CArtifactBLAKE3.h"

enum {
    ASB3_CHUNK_START = 1 << 0,
    ASB3_CHUNK_END = 1 << 1,
    ASB3_PARENT = 1 << 2,
    ASB3_ROOT = 1 << 3,
    ASB3_KEYED_HASH = 1 << 4,
    ASB3_DERIVE_KEY_CONTEXT = 1 << 5,
    ASB3_DERIVE_KEY_MATERIAL = 1 << 6,
};

#define ASB3_IV0 0x6A09E667u
#define ASB3_IV1 0xBB67AE85u
#define ASB3_IV2 0x3C6EF372u
#define ASB3_IV3 0xA54FF53Au
#define ASB3_IV4 0x510E527Fu
#define ASB3_IV5 0x9B05688Cu
#define ASB3_IV6 0x1F83D9ABu
#define ASB3_IV7 0x5BE0CD19u

extern const uint32_t asb3_iv[8];

/* Message word order of each of the 7 rounds: round r+1 applies the BLAKE3 message permutation
 * (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8) to round r. Static in every file so
 * the compiler folds it into the unrolled rounds. */
static const uint8_t asb3_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t asb3_load32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void asb3_store32(uint8_t *p, uint32_t w) {
    p[0] = (uint8_t)w;
    p[1] = (uint8_t)(w >> 8);
    p[2] = (uint8_t)(w >> 16);
    p[3] = (uint8_t)(w >> 24);
}

/*
 * "Many" functions: hash `n` independent inputs of `blocks` 64-byte blocks each and write
 * each input's 32-byte chaining value to out + 32*i. Input i uses counter `counter + i` when
 * increment_counter, else `counter`. The first block gets flags|flags_start, the last
 * flags|flags_end. Chunks: blocks = 16, flags_start = CHUNK_START, flags_end = CHUNK_END.
 * Parents: blocks = 1, flags includes PARENT, counter 0, no increment.
 * The SIMD kernels take exactly their lane count of inputs.
 */
typedef void (*asb3_many_fn)(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                              uint64_t counter, bool increment_counter, uint8_t flags,
                              uint8_t flags_start, uint8_t flags_end, uint8_t *out);

/* Single-block compression. in_place: cv = first 8 words of the output. xof: 64 bytes out. */
void asb3_compress_in_place_portable(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                     uint64_t counter, uint8_t flags);
void asb3_compress_xof_portable(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                uint64_t counter, uint8_t flags, uint8_t out[64]);
void asb3_hash1_portable(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                         uint64_t counter, bool increment_counter, uint8_t flags,
                         uint8_t flags_start, uint8_t flags_end, uint8_t *out);

#if defined(__x86_64__)
void asb3_compress_in_place_sse41(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                  uint64_t counter, uint8_t flags);
void asb3_compress_xof_sse41(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                             uint64_t counter, uint8_t flags, uint8_t out[64]);
void asb3_hash1_sse41(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                      uint64_t counter, bool increment_counter, uint8_t flags,
                      uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_hash4_sse41(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                      uint64_t counter, bool increment_counter, uint8_t flags,
                      uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_hash8_avx2(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                     uint64_t counter, bool increment_counter, uint8_t flags,
                     uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_compress_in_place_avx512(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                   uint64_t counter, uint8_t flags);
void asb3_compress_xof_avx512(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                              uint64_t counter, uint8_t flags, uint8_t out[64]);
void asb3_hash1_avx512(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                       uint64_t counter, bool increment_counter, uint8_t flags,
                       uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_hash4_avx512(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                       uint64_t counter, bool increment_counter, uint8_t flags,
                       uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_hash8_avx512(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                       uint64_t counter, bool increment_counter, uint8_t flags,
                       uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_hash16_avx512(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                        uint64_t counter, bool increment_counter, uint8_t flags,
                        uint8_t flags_start, uint8_t flags_end, uint8_t *out);
#endif

/* Dispatch (blake3_dispatch.c). */
void asb3_hash_many(int level, const uint8_t *const *inputs, size_t n, size_t blocks,
                    const uint32_t key[8], uint64_t counter, bool increment_counter,
                    uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void asb3_compress_in_place(int level, uint32_t cv[8], const uint8_t block[64],
                            uint8_t block_len, uint64_t counter, uint8_t flags);
void asb3_compress_xof(int level, const uint32_t cv[8], const uint8_t block[64],
                       uint8_t block_len, uint64_t counter, uint8_t flags, uint8_t out[64]);

#endif

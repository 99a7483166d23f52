/* AVX2 kernel: 8 inputs at once, one per 32-bit lane of a 256-bit vector. */
#include "blake3_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ASB3_AVX2 __attribute__((target("avx2")))

#define ASB3_VEC __m256i
#define ASB3_LANES_TARGET ASB3_AVX2
#define ASB3_ADD(a, b) _mm256_add_epi32((a), (b))
#define ASB3_XOR(a, b) _mm256_xor_si256((a), (b))
#define ASB3_ROR16(x)                                                                            \
    _mm256_shuffle_epi8((x), _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12,  \
                                              13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15,  \
                                              12, 13))
#define ASB3_ROR8(x)                                                                             \
    _mm256_shuffle_epi8((x), _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15,  \
                                              12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14,  \
                                              15, 12))
#define ASB3_ROR12(x) _mm256_or_si256(_mm256_srli_epi32((x), 12), _mm256_slli_epi32((x), 20))
#define ASB3_ROR7(x) _mm256_or_si256(_mm256_srli_epi32((x), 7), _mm256_slli_epi32((x), 25))
#define ASB3_LANES_NAME(name) name##_avx2
#include "blake3_lanes.h"

/* 8x8 transpose of 32-bit words: x[i] word j becomes x[j] word i. */
static inline __attribute__((always_inline)) ASB3_AVX2 void transpose8(__m256i x[8]) {
    __m256i t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_epi32(x[2 * i], x[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_epi32(x[2 * i], x[2 * i + 1]);
    }
    for (int g = 0; g < 2; g++) {
        u[4 * g + 0] = _mm256_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm256_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm256_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm256_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    for (int k = 0; k < 4; k++) {
        x[k] = _mm256_permute2x128_si256(u[k], u[4 + k], 0x20);
        x[4 + k] = _mm256_permute2x128_si256(u[k], u[4 + k], 0x31);
    }
}

ASB3_AVX2 void asb3_hash8_avx2(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                               uint64_t counter, bool increment_counter, uint8_t flags,
                               uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
    __m256i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)key[i]);
    uint32_t lo[8], hi[8];
    for (int i = 0; i < 8; i++) {
        uint64_t c = counter + (increment_counter ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
    const __m256i ctr_lo = _mm256_loadu_si256((const __m256i *)lo);
    const __m256i ctr_hi = _mm256_loadu_si256((const __m256i *)hi);
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) block_flags |= flags_end;
        const size_t off = b * ASB3_BLOCK_LEN;
        __m256i m[16];
        if (blocks > 1) {
            /* Fetch the same block of the next 8 (usually consecutive) chunks, a batch ahead. */
            for (int l = 0; l < 8; l++) {
                _mm_prefetch((const char *)(inputs[l] + off + 8 * ASB3_CHUNK_LEN), _MM_HINT_T0);
            }
        }
        for (int l = 0; l < 8; l++) {
            m[l] = _mm256_loadu_si256((const __m256i *)(inputs[l] + off));
            m[8 + l] = _mm256_loadu_si256((const __m256i *)(inputs[l] + off + 32));
        }
        transpose8(m);
        transpose8(m + 8);
        __m256i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm256_set1_epi32((int)ASB3_IV0), _mm256_set1_epi32((int)ASB3_IV1),
            _mm256_set1_epi32((int)ASB3_IV2), _mm256_set1_epi32((int)ASB3_IV3),
            ctr_lo, ctr_hi, _mm256_set1_epi32(ASB3_BLOCK_LEN), _mm256_set1_epi32(block_flags),
        };
        rounds_avx2(v, m);
        for (int i = 0; i < 8; i++) h[i] = _mm256_xor_si256(v[i], v[i + 8]);
        block_flags = flags;
    }
    transpose8(h);
    for (int l = 0; l < 8; l++) _mm256_storeu_si256((__m256i *)(out + 32 * l), h[l]);
}

#else
typedef int asb3_avx2_unused; /* ISO C forbids an empty translation unit. */
#endif

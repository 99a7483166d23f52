/* AVX-512 kernel: 16 inputs at once, one per 32-bit lane of a 512-bit vector, with the
 * single-instruction rotate (vprord). */
#include "blake3_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ASB3_AVX512 __attribute__((target("avx512f,avx512vl")))

#define ASB3_VEC __m512i
#define ASB3_LANES_TARGET ASB3_AVX512
#define ASB3_ADD(a, b) _mm512_add_epi32((a), (b))
#define ASB3_XOR(a, b) _mm512_xor_si512((a), (b))
#define ASB3_ROR16(x) _mm512_ror_epi32((x), 16)
#define ASB3_ROR12(x) _mm512_ror_epi32((x), 12)
#define ASB3_ROR8(x) _mm512_ror_epi32((x), 8)
#define ASB3_ROR7(x) _mm512_ror_epi32((x), 7)
#include "blake3_lanes.h"

/* 16x16 transpose of 32-bit words: x[i] word j becomes x[j] word i. */
static inline __attribute__((always_inline)) ASB3_AVX512 void transpose16(__m512i x[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(x[2 * i], x[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(x[2 * i], x[2 * i + 1]);
    }
    /* u[4g + k]: 128-bit lane q holds word 4q + k of rows 4g ... 4g + 3. */
    for (int g = 0; g < 4; g++) {
        u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    for (int k = 0; k < 4; k++) {
        __m512i w0 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x44);
        __m512i w1 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xEE);
        __m512i w2 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x44);
        __m512i w3 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xEE);
        x[k] = _mm512_shuffle_i32x4(w0, w2, 0x88);
        x[4 + k] = _mm512_shuffle_i32x4(w0, w2, 0xDD);
        x[8 + k] = _mm512_shuffle_i32x4(w1, w3, 0x88);
        x[12 + k] = _mm512_shuffle_i32x4(w1, w3, 0xDD);
    }
}

/* 8x8 transpose on 256-bit halves (same as the AVX2 one). */
static inline __attribute__((always_inline)) ASB3_AVX512 void transpose8(__m256i x[8]) {
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

ASB3_AVX512 void asb3_hash16_avx512(const uint8_t *const *inputs, size_t blocks,
                                    const uint32_t key[8], uint64_t counter,
                                    bool increment_counter, uint8_t flags, uint8_t flags_start,
                                    uint8_t flags_end, uint8_t *out) {
    __m512i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)key[i]);
    uint32_t lo[16], hi[16];
    for (int i = 0; i < 16; i++) {
        uint64_t c = counter + (increment_counter ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
    const __m512i ctr_lo = _mm512_loadu_si512(lo);
    const __m512i ctr_hi = _mm512_loadu_si512(hi);
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) block_flags |= flags_end;
        const size_t off = b * ASB3_BLOCK_LEN;
        __m512i m[16];
        for (int l = 0; l < 16; l++) m[l] = _mm512_loadu_si512(inputs[l] + off);
        transpose16(m);
        __m512i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm512_set1_epi32((int)ASB3_IV0), _mm512_set1_epi32((int)ASB3_IV1),
            _mm512_set1_epi32((int)ASB3_IV2), _mm512_set1_epi32((int)ASB3_IV3),
            ctr_lo, ctr_hi, _mm512_set1_epi32(ASB3_BLOCK_LEN), _mm512_set1_epi32(block_flags),
        };
        asb3_lanes_rounds(v, m);
        for (int i = 0; i < 8; i++) h[i] = _mm512_xor_si512(v[i], v[i + 8]);
        block_flags = flags;
    }
    __m256i lo_half[8], hi_half[8];
    for (int i = 0; i < 8; i++) {
        lo_half[i] = _mm512_castsi512_si256(h[i]);
        hi_half[i] = _mm512_extracti64x4_epi64(h[i], 1);
    }
    transpose8(lo_half);
    transpose8(hi_half);
    for (int l = 0; l < 8; l++) {
        _mm256_storeu_si256((__m256i *)(out + 32 * l), lo_half[l]);
        _mm256_storeu_si256((__m256i *)(out + 32 * (8 + l)), hi_half[l]);
    }
}

#else
typedef int asb3_avx512_unused; /* ISO C forbids an empty translation unit. */
#endif

/*
 * AVX-512 kernels (AVX-512F + VL): 16 inputs at once in 512-bit vectors, 8 and 4 at once in
 * 256/128-bit vectors, and a row-wise single compression, all with the one-instruction
 * rotate (vprord).
 */
#include "blake3_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ASB3_AVX512 __attribute__((target("avx512f,avx512vl")))

/* ---- 16 lanes (zmm) ---- */

#define ASB3_VEC __m512i
#define ASB3_LANES_TARGET ASB3_AVX512
#define ASB3_LANES_NAME(name) name##_x16
#define ASB3_ADD(a, b) _mm512_add_epi32((a), (b))
#define ASB3_XOR(a, b) _mm512_xor_si512((a), (b))
#define ASB3_ROR16(x) _mm512_ror_epi32((x), 16)
#define ASB3_ROR12(x) _mm512_ror_epi32((x), 12)
#define ASB3_ROR8(x) _mm512_ror_epi32((x), 8)
#define ASB3_ROR7(x) _mm512_ror_epi32((x), 7)
#include "blake3_lanes.h"

/* ---- 8 lanes (ymm) ---- */

#define ASB3_VEC __m256i
#define ASB3_LANES_TARGET ASB3_AVX512
#define ASB3_LANES_NAME(name) name##_x8
#define ASB3_ADD(a, b) _mm256_add_epi32((a), (b))
#define ASB3_XOR(a, b) _mm256_xor_si256((a), (b))
#define ASB3_ROR16(x) _mm256_ror_epi32((x), 16)
#define ASB3_ROR12(x) _mm256_ror_epi32((x), 12)
#define ASB3_ROR8(x) _mm256_ror_epi32((x), 8)
#define ASB3_ROR7(x) _mm256_ror_epi32((x), 7)
#include "blake3_lanes.h"

/* ---- 4 lanes (xmm) ---- */

#define ASB3_VEC __m128i
#define ASB3_LANES_TARGET ASB3_AVX512
#define ASB3_LANES_NAME(name) name##_x4
#define ASB3_ADD(a, b) _mm_add_epi32((a), (b))
#define ASB3_XOR(a, b) _mm_xor_si128((a), (b))
#define ASB3_ROR16(x) _mm_ror_epi32((x), 16)
#define ASB3_ROR12(x) _mm_ror_epi32((x), 12)
#define ASB3_ROR8(x) _mm_ror_epi32((x), 8)
#define ASB3_ROR7(x) _mm_ror_epi32((x), 7)
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

/* 8x8 transpose of 32-bit words in 256-bit vectors. */
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

/* 4x4 transpose of 32-bit words in 128-bit vectors. */
static inline __attribute__((always_inline)) ASB3_AVX512 void
transpose4(__m128i *a, __m128i *b, __m128i *c, __m128i *d) {
    __m128i t0 = _mm_unpacklo_epi32(*a, *b);
    __m128i t1 = _mm_unpackhi_epi32(*a, *b);
    __m128i t2 = _mm_unpacklo_epi32(*c, *d);
    __m128i t3 = _mm_unpackhi_epi32(*c, *d);
    *a = _mm_unpacklo_epi64(t0, t2);
    *b = _mm_unpackhi_epi64(t0, t2);
    *c = _mm_unpacklo_epi64(t1, t3);
    *d = _mm_unpackhi_epi64(t1, t3);
}

/* Per-lane counters: counter + lane (when incrementing), split in low and high words. */
static inline __attribute__((always_inline)) void
lane_counters(uint32_t *lo, uint32_t *hi, int lanes, uint64_t counter, bool increment_counter) {
    for (int i = 0; i < lanes; i++) {
        uint64_t c = counter + (increment_counter ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
}

ASB3_AVX512 void asb3_hash16_avx512(const uint8_t *const *inputs, size_t blocks,
                                    const uint32_t key[8], uint64_t counter,
                                    bool increment_counter, uint8_t flags, uint8_t flags_start,
                                    uint8_t flags_end, uint8_t *out) {
    __m512i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)key[i]);
    uint32_t lo[16], hi[16];
    lane_counters(lo, hi, 16, counter, increment_counter);
    const __m512i ctr_lo = _mm512_loadu_si512(lo);
    const __m512i ctr_hi = _mm512_loadu_si512(hi);
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) block_flags |= flags_end;
        const size_t off = b * ASB3_BLOCK_LEN;
        __m512i m[16];
        if (blocks > 1) {
            /* Chunks are usually consecutive: fetch the same block of the next 16 chunks,
             * one batch ahead, so memory latency hides behind this batch's rounds. */
            for (int l = 0; l < 16; l++) {
                _mm_prefetch((const char *)(inputs[l] + off + 16 * ASB3_CHUNK_LEN), _MM_HINT_T0);
            }
        }
        for (int l = 0; l < 16; l++) m[l] = _mm512_loadu_si512(inputs[l] + off);
        transpose16(m);
        __m512i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm512_set1_epi32((int)ASB3_IV0), _mm512_set1_epi32((int)ASB3_IV1),
            _mm512_set1_epi32((int)ASB3_IV2), _mm512_set1_epi32((int)ASB3_IV3),
            ctr_lo, ctr_hi, _mm512_set1_epi32(ASB3_BLOCK_LEN), _mm512_set1_epi32(block_flags),
        };
        rounds_x16(v, m);
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

ASB3_AVX512 void asb3_hash8_avx512(const uint8_t *const *inputs, size_t blocks,
                                   const uint32_t key[8], uint64_t counter,
                                   bool increment_counter, uint8_t flags, uint8_t flags_start,
                                   uint8_t flags_end, uint8_t *out) {
    __m256i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)key[i]);
    uint32_t lo[8], hi[8];
    lane_counters(lo, hi, 8, counter, increment_counter);
    const __m256i ctr_lo = _mm256_loadu_si256((const __m256i *)lo);
    const __m256i ctr_hi = _mm256_loadu_si256((const __m256i *)hi);
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) block_flags |= flags_end;
        const size_t off = b * ASB3_BLOCK_LEN;
        __m256i m[16];
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
        rounds_x8(v, m);
        for (int i = 0; i < 8; i++) h[i] = _mm256_xor_si256(v[i], v[i + 8]);
        block_flags = flags;
    }
    transpose8(h);
    for (int l = 0; l < 8; l++) _mm256_storeu_si256((__m256i *)(out + 32 * l), h[l]);
}

ASB3_AVX512 void asb3_hash4_avx512(const uint8_t *const *inputs, size_t blocks,
                                   const uint32_t key[8], uint64_t counter,
                                   bool increment_counter, uint8_t flags, uint8_t flags_start,
                                   uint8_t flags_end, uint8_t *out) {
    __m128i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)key[i]);
    uint32_t lo[4], hi[4];
    lane_counters(lo, hi, 4, counter, increment_counter);
    const __m128i ctr_lo = _mm_loadu_si128((const __m128i *)lo);
    const __m128i ctr_hi = _mm_loadu_si128((const __m128i *)hi);
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) block_flags |= flags_end;
        const size_t off = b * ASB3_BLOCK_LEN;
        __m128i m[16];
        for (int q = 0; q < 4; q++) {
            for (int l = 0; l < 4; l++) {
                m[4 * q + l] = _mm_loadu_si128((const __m128i *)(inputs[l] + off + 16 * q));
            }
            transpose4(&m[4 * q], &m[4 * q + 1], &m[4 * q + 2], &m[4 * q + 3]);
        }
        __m128i v[16] = {
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
            _mm_set1_epi32((int)ASB3_IV0), _mm_set1_epi32((int)ASB3_IV1),
            _mm_set1_epi32((int)ASB3_IV2), _mm_set1_epi32((int)ASB3_IV3),
            ctr_lo, ctr_hi, _mm_set1_epi32(ASB3_BLOCK_LEN), _mm_set1_epi32(block_flags),
        };
        rounds_x4(v, m);
        for (int i = 0; i < 8; i++) h[i] = _mm_xor_si128(v[i], v[i + 8]);
        block_flags = flags;
    }
    transpose4(&h[0], &h[1], &h[2], &h[3]);
    transpose4(&h[4], &h[5], &h[6], &h[7]);
    for (int l = 0; l < 4; l++) {
        _mm_storeu_si128((__m128i *)(out + 32 * l), h[l]);
        _mm_storeu_si128((__m128i *)(out + 32 * l + 16), h[4 + l]);
    }
}

/* ---- Row-wise single compression: rows (v0..v3), (v4..v7), (v8..v11), (v12..v15). ---- */

#define ROW_G(a, b, c, d, x, y)                        \
    do {                                               \
        a = _mm_add_epi32(_mm_add_epi32(a, x), b);     \
        d = _mm_ror_epi32(_mm_xor_si128(d, a), 16);    \
        c = _mm_add_epi32(c, d);                       \
        b = _mm_ror_epi32(_mm_xor_si128(b, c), 12);    \
        a = _mm_add_epi32(_mm_add_epi32(a, y), b);     \
        d = _mm_ror_epi32(_mm_xor_si128(d, a), 8);     \
        c = _mm_add_epi32(c, d);                       \
        b = _mm_ror_epi32(_mm_xor_si128(b, c), 7);     \
    } while (0)

static inline __attribute__((always_inline)) ASB3_AVX512 __m128i
gather4(const uint32_t *m, int a, int b, int c, int d) {
    return _mm_setr_epi32((int)m[a], (int)m[b], (int)m[c], (int)m[d]);
}

static inline __attribute__((always_inline)) ASB3_AVX512 void
row_compress(__m128i rows[4], const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
             uint64_t counter, uint8_t flags) {
    uint32_t m[16];
    memcpy(m, block, 64); /* x86 is little-endian */
    __m128i r0 = _mm_loadu_si128((const __m128i *)cv);
    __m128i r1 = _mm_loadu_si128((const __m128i *)(cv + 4));
    __m128i r2 = _mm_setr_epi32((int)ASB3_IV0, (int)ASB3_IV1, (int)ASB3_IV2, (int)ASB3_IV3);
    __m128i r3 = _mm_setr_epi32((int)(uint32_t)counter, (int)(uint32_t)(counter >> 32),
                                (int)block_len, (int)flags);
    for (int r = 0; r < 7; r++) {
        const uint8_t *s = asb3_schedule[r];
        ROW_G(r0, r1, r2, r3, gather4(m, s[0], s[2], s[4], s[6]), gather4(m, s[1], s[3], s[5], s[7]));
        /* Diagonalize: rotate row 1 by one lane, row 2 by two, row 3 by three. */
        r1 = _mm_shuffle_epi32(r1, _MM_SHUFFLE(0, 3, 2, 1));
        r2 = _mm_shuffle_epi32(r2, _MM_SHUFFLE(1, 0, 3, 2));
        r3 = _mm_shuffle_epi32(r3, _MM_SHUFFLE(2, 1, 0, 3));
        ROW_G(r0, r1, r2, r3, gather4(m, s[8], s[10], s[12], s[14]), gather4(m, s[9], s[11], s[13], s[15]));
        r1 = _mm_shuffle_epi32(r1, _MM_SHUFFLE(2, 1, 0, 3));
        r2 = _mm_shuffle_epi32(r2, _MM_SHUFFLE(1, 0, 3, 2));
        r3 = _mm_shuffle_epi32(r3, _MM_SHUFFLE(0, 3, 2, 1));
    }
    rows[0] = r0;
    rows[1] = r1;
    rows[2] = r2;
    rows[3] = r3;
}

ASB3_AVX512 void asb3_compress_in_place_avx512(uint32_t cv[8], const uint8_t block[64],
                                               uint8_t block_len, uint64_t counter,
                                               uint8_t flags) {
    __m128i rows[4];
    row_compress(rows, cv, block, block_len, counter, flags);
    _mm_storeu_si128((__m128i *)cv, _mm_xor_si128(rows[0], rows[2]));
    _mm_storeu_si128((__m128i *)(cv + 4), _mm_xor_si128(rows[1], rows[3]));
}

ASB3_AVX512 void asb3_compress_xof_avx512(const uint32_t cv[8], const uint8_t block[64],
                                          uint8_t block_len, uint64_t counter, uint8_t flags,
                                          uint8_t out[64]) {
    __m128i rows[4];
    row_compress(rows, cv, block, block_len, counter, flags);
    _mm_storeu_si128((__m128i *)out, _mm_xor_si128(rows[0], rows[2]));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_xor_si128(rows[1], rows[3]));
    _mm_storeu_si128((__m128i *)(out + 32),
                     _mm_xor_si128(rows[2], _mm_loadu_si128((const __m128i *)cv)));
    _mm_storeu_si128((__m128i *)(out + 48),
                     _mm_xor_si128(rows[3], _mm_loadu_si128((const __m128i *)(cv + 4))));
}

ASB3_AVX512 void asb3_hash1_avx512(const uint8_t *const *inputs, size_t blocks,
                                   const uint32_t key[8], uint64_t counter,
                                   bool increment_counter, uint8_t flags, uint8_t flags_start,
                                   uint8_t flags_end, uint8_t *out) {
    (void)increment_counter;
    uint32_t cv[8];
    memcpy(cv, key, sizeof cv);
    uint8_t f = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) f |= flags_end;
        asb3_compress_in_place_avx512(cv, inputs[0] + b * ASB3_BLOCK_LEN, ASB3_BLOCK_LEN,
                                      counter, f);
        f = flags;
    }
    memcpy(out, cv, 32);
}

#else
typedef int asb3_avx512_unused; /* ISO C forbids an empty translation unit. */
#endif

/* SSE4.1 kernels: 4 inputs at once (one per 32-bit lane) and a row-wise single compression. */
#include "blake3_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ASB3_SSE41 __attribute__((target("sse4.1")))

/* Rotations right: by 16 and 8 with a byte shuffle, by 12 and 7 with two shifts. */
#define SSE_ROR16(x) _mm_shuffle_epi8((x), _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13))
#define SSE_ROR8(x) _mm_shuffle_epi8((x), _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12))
#define SSE_ROR12(x) _mm_or_si128(_mm_srli_epi32((x), 12), _mm_slli_epi32((x), 20))
#define SSE_ROR7(x) _mm_or_si128(_mm_srli_epi32((x), 7), _mm_slli_epi32((x), 25))

#define ASB3_VEC __m128i
#define ASB3_LANES_TARGET ASB3_SSE41
#define ASB3_ADD(a, b) _mm_add_epi32((a), (b))
#define ASB3_XOR(a, b) _mm_xor_si128((a), (b))
#define ASB3_ROR16(x) SSE_ROR16(x)
#define ASB3_ROR8(x) SSE_ROR8(x)
#define ASB3_ROR12(x) SSE_ROR12(x)
#define ASB3_ROR7(x) SSE_ROR7(x)
#define ASB3_LANES_NAME(name) name##_sse41
#include "blake3_lanes.h"

static inline __attribute__((always_inline)) ASB3_SSE41 void
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

ASB3_SSE41 void asb3_hash4_sse41(const uint8_t *const *inputs, size_t blocks,
                                 const uint32_t key[8], uint64_t counter, bool increment_counter,
                                 uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                 uint8_t *out) {
    __m128i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)key[i]);
    uint32_t lo[4], hi[4];
    for (int i = 0; i < 4; i++) {
        uint64_t c = counter + (increment_counter ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
    const __m128i ctr_lo = _mm_loadu_si128((const __m128i *)lo);
    const __m128i ctr_hi = _mm_loadu_si128((const __m128i *)hi);
    uint8_t block_flags = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) block_flags |= flags_end;
        const size_t off = b * ASB3_BLOCK_LEN;
        __m128i m[16];
        if (blocks > 1) {
            /* Fetch the same block of the next 4 (usually consecutive) chunks, a batch ahead. */
            for (int l = 0; l < 4; l++) {
                _mm_prefetch((const char *)(inputs[l] + off + 4 * ASB3_CHUNK_LEN), _MM_HINT_T0);
            }
        }
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
        rounds_sse41(v, m);
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

/* Row-wise compression of one block: rows are (v0..v3), (v4..v7), (v8..v11), (v12..v15). */
#define ROW_G(a, b, c, d, x, y)                \
    do {                                       \
        a = _mm_add_epi32(_mm_add_epi32(a, x), b); \
        d = SSE_ROR16(_mm_xor_si128(d, a));    \
        c = _mm_add_epi32(c, d);               \
        b = SSE_ROR12(_mm_xor_si128(b, c));    \
        a = _mm_add_epi32(_mm_add_epi32(a, y), b); \
        d = SSE_ROR8(_mm_xor_si128(d, a));     \
        c = _mm_add_epi32(c, d);               \
        b = SSE_ROR7(_mm_xor_si128(b, c));     \
    } while (0)

static inline __attribute__((always_inline)) ASB3_SSE41 __m128i
gather4(const uint32_t *m, int a, int b, int c, int d) {
    return _mm_setr_epi32((int)m[a], (int)m[b], (int)m[c], (int)m[d]);
}

static inline __attribute__((always_inline)) ASB3_SSE41 void
row_round(__m128i *r0, __m128i *r1, __m128i *r2, __m128i *r3, const uint32_t *m, int r) {
    const uint8_t *s = asb3_schedule[r];
    ROW_G(*r0, *r1, *r2, *r3, gather4(m, s[0], s[2], s[4], s[6]), gather4(m, s[1], s[3], s[5], s[7]));
    /* Diagonalize: rotate row 1 by one lane, row 2 by two, row 3 by three. */
    *r1 = _mm_shuffle_epi32(*r1, _MM_SHUFFLE(0, 3, 2, 1));
    *r2 = _mm_shuffle_epi32(*r2, _MM_SHUFFLE(1, 0, 3, 2));
    *r3 = _mm_shuffle_epi32(*r3, _MM_SHUFFLE(2, 1, 0, 3));
    ROW_G(*r0, *r1, *r2, *r3, gather4(m, s[8], s[10], s[12], s[14]), gather4(m, s[9], s[11], s[13], s[15]));
    *r1 = _mm_shuffle_epi32(*r1, _MM_SHUFFLE(2, 1, 0, 3));
    *r2 = _mm_shuffle_epi32(*r2, _MM_SHUFFLE(1, 0, 3, 2));
    *r3 = _mm_shuffle_epi32(*r3, _MM_SHUFFLE(0, 3, 2, 1));
}

static inline __attribute__((always_inline)) ASB3_SSE41 void
row_compress(__m128i rows[4], const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
             uint64_t counter, uint8_t flags) {
    uint32_t m[16];
    memcpy(m, block, 64); /* x86 is little-endian */
    __m128i r0 = _mm_loadu_si128((const __m128i *)cv);
    __m128i r1 = _mm_loadu_si128((const __m128i *)(cv + 4));
    __m128i r2 = _mm_setr_epi32((int)ASB3_IV0, (int)ASB3_IV1, (int)ASB3_IV2, (int)ASB3_IV3);
    __m128i r3 = _mm_setr_epi32((int)(uint32_t)counter, (int)(uint32_t)(counter >> 32),
                                (int)block_len, (int)flags);
    for (int r = 0; r < 7; r++) row_round(&r0, &r1, &r2, &r3, m, r);
    rows[0] = r0;
    rows[1] = r1;
    rows[2] = r2;
    rows[3] = r3;
}

ASB3_SSE41 void asb3_compress_in_place_sse41(uint32_t cv[8], const uint8_t block[64],
                                             uint8_t block_len, uint64_t counter, uint8_t flags) {
    __m128i rows[4];
    row_compress(rows, cv, block, block_len, counter, flags);
    _mm_storeu_si128((__m128i *)cv, _mm_xor_si128(rows[0], rows[2]));
    _mm_storeu_si128((__m128i *)(cv + 4), _mm_xor_si128(rows[1], rows[3]));
}

ASB3_SSE41 void asb3_compress_xof_sse41(const uint32_t cv[8], const uint8_t block[64],
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

ASB3_SSE41 void asb3_hash1_sse41(const uint8_t *const *inputs, size_t blocks,
                                 const uint32_t key[8], uint64_t counter, bool increment_counter,
                                 uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                 uint8_t *out) {
    (void)increment_counter;
    uint32_t cv[8];
    memcpy(cv, key, sizeof cv);
    uint8_t f = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) f |= flags_end;
        asb3_compress_in_place_sse41(cv, inputs[0] + b * ASB3_BLOCK_LEN, ASB3_BLOCK_LEN, counter, f);
        f = flags;
    }
    memcpy(out, cv, 32);
}

#else
typedef int asb3_sse41_unused; /* ISO C forbids an empty translation unit. */
#endif

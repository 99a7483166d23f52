/* Portable BLAKE3 compression (any architecture), written from the BLAKE3 specification. */
#include "blake3_internal.h"

const uint32_t asb3_iv[8] = {ASB3_IV0, ASB3_IV1, ASB3_IV2, ASB3_IV3,
                             ASB3_IV4, ASB3_IV5, ASB3_IV6, ASB3_IV7};

static inline uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

#define G(a, b, c, d, x, y)            \
    do {                               \
        v[a] = v[a] + v[b] + (x);      \
        v[d] = ror32(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];            \
        v[b] = ror32(v[b] ^ v[c], 12); \
        v[a] = v[a] + v[b] + (y);      \
        v[d] = ror32(v[d] ^ v[a], 8);  \
        v[c] = v[c] + v[d];            \
        v[b] = ror32(v[b] ^ v[c], 7);  \
    } while (0)

static void compress_core(uint32_t v[16], const uint32_t cv[8], const uint8_t block[64],
                          uint8_t block_len, uint64_t counter, uint8_t flags) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = asb3_load32(block + 4 * i);
    for (int i = 0; i < 8; i++) v[i] = cv[i];
    v[8] = ASB3_IV0;
    v[9] = ASB3_IV1;
    v[10] = ASB3_IV2;
    v[11] = ASB3_IV3;
    v[12] = (uint32_t)counter;
    v[13] = (uint32_t)(counter >> 32);
    v[14] = block_len;
    v[15] = flags;
    for (int r = 0; r < 7; r++) {
        const uint8_t *s = asb3_schedule[r];
        G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
}

void asb3_compress_in_place_portable(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                     uint64_t counter, uint8_t flags) {
    uint32_t v[16];
    compress_core(v, cv, block, block_len, counter, flags);
    for (int i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

void asb3_compress_xof_portable(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                uint64_t counter, uint8_t flags, uint8_t out[64]) {
    uint32_t v[16];
    compress_core(v, cv, block, block_len, counter, flags);
    for (int i = 0; i < 8; i++) {
        asb3_store32(out + 4 * i, v[i] ^ v[i + 8]);
        asb3_store32(out + 32 + 4 * i, v[i + 8] ^ cv[i]);
    }
}

void asb3_hash1_portable(const uint8_t *const *inputs, size_t blocks, const uint32_t key[8],
                         uint64_t counter, bool increment_counter, uint8_t flags,
                         uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
    (void)increment_counter;
    uint32_t cv[8];
    memcpy(cv, key, sizeof cv);
    const uint8_t *in = inputs[0];
    uint8_t f = flags | flags_start;
    for (size_t b = 0; b < blocks; b++) {
        if (b + 1 == blocks) f |= flags_end;
        asb3_compress_in_place_portable(cv, in + 64 * b, ASB3_BLOCK_LEN, counter, f);
        f = flags;
    }
    for (int i = 0; i < 8; i++) asb3_store32(out + 4 * i, cv[i]);
}

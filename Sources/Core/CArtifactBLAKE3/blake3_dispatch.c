/* Run-time choice of SIMD kernels (CPUID on x86-64, portable code elsewhere). */
#include "blake3_internal.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int detect_cpu_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return ASB3_SIMD_PORTABLE;
    const bool sse41 = (c >> 19) & 1;
    const bool osxsave = (c >> 27) & 1;
    if (!sse41) return ASB3_SIMD_PORTABLE;
    if (!osxsave) return ASB3_SIMD_SSE41;
    const uint64_t xcr0 = read_xcr0();
    /* The OS must save XMM and YMM state (and opmask/ZMM state for AVX-512). */
    if ((xcr0 & 0x6) != 0x6) return ASB3_SIMD_SSE41;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return ASB3_SIMD_SSE41;
    const bool avx2 = (b >> 5) & 1;
    const bool avx512f = (b >> 16) & 1;
    const bool avx512vl = (b >> 31) & 1;
    if (avx2 && avx512f && avx512vl && (xcr0 & 0xE0) == 0xE0) return ASB3_SIMD_AVX512;
    if (avx2) return ASB3_SIMD_AVX2;
    return ASB3_SIMD_SSE41;
}
#else
static int detect_cpu_level(void) { return ASB3_SIMD_PORTABLE; }
#endif

/* Cached results; -1 means not yet computed. Racing first calls compute the same value. */
static volatile int cpu_level_cache = -1;
static volatile int default_level_cache = -1;

int asb3_cpu_simd_level(void) {
    int level = __atomic_load_n(&cpu_level_cache, __ATOMIC_RELAXED);
    if (level < 0) {
        level = detect_cpu_level();
        __atomic_store_n(&cpu_level_cache, level, __ATOMIC_RELAXED);
    }
    return level;
}

const char *asb3_simd_level_name(int level) {
    switch (level) {
    case ASB3_SIMD_PORTABLE: return "portable";
    case ASB3_SIMD_SSE41: return "sse41";
    case ASB3_SIMD_AVX2: return "avx2";
    case ASB3_SIMD_AVX512: return "avx512";
    default: return NULL;
    }
}

int asb3_default_simd_level(void) {
    int level = __atomic_load_n(&default_level_cache, __ATOMIC_RELAXED);
    if (level < 0) {
        level = asb3_cpu_simd_level();
        const char *env = getenv("ARTIFACTSTORE_BLAKE3_SIMD");
        if (env != NULL) {
            for (int l = ASB3_SIMD_PORTABLE; l <= ASB3_SIMD_AVX512; l++) {
                if (strcmp(env, asb3_simd_level_name(l)) == 0) {
                    if (l < level) level = l;
                    break;
                }
            }
        }
        __atomic_store_n(&default_level_cache, level, __ATOMIC_RELAXED);
    }
    return level;
}

void asb3_compress_in_place(int level, uint32_t cv[8], const uint8_t block[64],
                            uint8_t block_len, uint64_t counter, uint8_t flags) {
#if defined(__x86_64__)
    if (level >= ASB3_SIMD_AVX512) {
        asb3_compress_in_place_avx512(cv, block, block_len, counter, flags);
        return;
    }
    if (level >= ASB3_SIMD_SSE41) {
        asb3_compress_in_place_sse41(cv, block, block_len, counter, flags);
        return;
    }
#endif
    (void)level;
    asb3_compress_in_place_portable(cv, block, block_len, counter, flags);
}

void asb3_compress_xof(int level, const uint32_t cv[8], const uint8_t block[64],
                       uint8_t block_len, uint64_t counter, uint8_t flags, uint8_t out[64]) {
#if defined(__x86_64__)
    if (level >= ASB3_SIMD_AVX512) {
        asb3_compress_xof_avx512(cv, block, block_len, counter, flags, out);
        return;
    }
    if (level >= ASB3_SIMD_SSE41) {
        asb3_compress_xof_sse41(cv, block, block_len, counter, flags, out);
        return;
    }
#endif
    (void)level;
    asb3_compress_xof_portable(cv, block, block_len, counter, flags, out);
}

#if defined(__x86_64__)
/* Runs `kernel` (lanes wide) on the last r < lanes inputs by repeating the last input in the
 * spare lanes and keeping only the first r results. */
static void run_padded(asb3_many_fn kernel, size_t lanes, const uint8_t *const *inputs, size_t r,
                       size_t blocks, const uint32_t key[8], uint64_t counter,
                       bool increment_counter, uint8_t flags, uint8_t flags_start,
                       uint8_t flags_end, uint8_t *out) {
    const uint8_t *ptrs[16];
    uint8_t tmp[16 * ASB3_OUT_LEN];
    for (size_t i = 0; i < lanes; i++) ptrs[i] = inputs[i < r ? i : r - 1];
    kernel(ptrs, blocks, key, counter, increment_counter, flags, flags_start, flags_end, tmp);
    memcpy(out, tmp, r * ASB3_OUT_LEN);
}
#endif

/* Kernels per level: widest first, then narrower ones for what is left over. */
void asb3_hash_many(int level, const uint8_t *const *inputs, size_t n, size_t blocks,
                    const uint32_t key[8], uint64_t counter, bool increment_counter,
                    uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
#define ASB3_RUN(kernel, lanes)                                                          \
    do {                                                                                 \
        kernel(inputs, blocks, key, counter, increment_counter, flags, flags_start,     \
               flags_end, out);                                                          \
        inputs += (lanes);                                                               \
        n -= (lanes);                                                                    \
        out += (lanes) * ASB3_OUT_LEN;                                                   \
        if (increment_counter) counter += (lanes);                                       \
    } while (0)
#define ASB3_PADDED(kernel, lanes)                                                       \
    run_padded(kernel, lanes, inputs, n, blocks, key, counter, increment_counter, flags, \
               flags_start, flags_end, out)
#if defined(__x86_64__)
    if (level >= ASB3_SIMD_AVX512) {
        /* A partly filled wider kernel costs about as much as a full narrower one. */
        while (n >= 16) ASB3_RUN(asb3_hash16_avx512, 16);
        if (n > 8) {
            ASB3_PADDED(asb3_hash16_avx512, 16);
        } else if (n == 8) {
            ASB3_RUN(asb3_hash8_avx512, 8);
        } else if (n > 4) {
            ASB3_PADDED(asb3_hash8_avx512, 8);
        } else if (n == 4) {
            ASB3_RUN(asb3_hash4_avx512, 4);
        } else if (n > 1) {
            ASB3_PADDED(asb3_hash4_avx512, 4);
        } else if (n == 1) {
            ASB3_RUN(asb3_hash1_avx512, 1);
        }
        return;
    }
    if (level >= ASB3_SIMD_AVX2) {
        while (n >= 8) ASB3_RUN(asb3_hash8_avx2, 8);
        if (n > 4) {
            ASB3_PADDED(asb3_hash8_avx2, 8);
            return;
        }
    }
    if (level >= ASB3_SIMD_SSE41) {
        while (n >= 4) ASB3_RUN(asb3_hash4_sse41, 4);
        if (n >= 3) {
            ASB3_PADDED(asb3_hash4_sse41, 4);
            return;
        }
        while (n > 0) ASB3_RUN(asb3_hash1_sse41, 1);
        return;
    }
#endif
    (void)level;
    while (n > 0) ASB3_RUN(asb3_hash1_portable, 1);
#undef ASB3_RUN
#undef ASB3_PADDED
}

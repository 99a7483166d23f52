/*
 * The BLAKE3 tree: chunk chaining values are pushed on a stack that is merged while the chunk
 * count has trailing zero bits, so the stack always holds one subtree per set bit of the count.
 * The last chunk (1...1024 bytes) always stays in `buf` until finalize, because only then is it
 * known whether it is the root. Large updates hash whole chunks many at a time and reduce the
 * resulting chaining values level by level, many parents at a time.
 */
#include "blake3_internal.h"

/* Chunks hashed per batch in a large update: bounded so the working set stays on the stack
 * (about 35 KiB in asb3_hasher_update, whatever the input size). */
#define ASB3_WINDOW 512

typedef struct {
    uint32_t cv[8];
    uint8_t block[64];
    uint64_t counter;
    uint8_t block_len;
    uint8_t flags;
} asb3_output;

static void init_common(asb3_hasher *self, const uint32_t key[8], uint8_t flags) {
    memcpy(self->key, key, sizeof self->key);
    self->chunk_counter = 0;
    self->cv_stack_len = 0;
    self->flags = flags;
    self->simd_level = (uint8_t)asb3_default_simd_level();
    self->reserved = 0;
    self->buf_len = 0;
    self->counter_base = 0;
}

void asb3_hasher_init(asb3_hasher *self) { init_common(self, asb3_iv, 0); }

void asb3_hasher_init_keyed(asb3_hasher *self, const uint8_t key[ASB3_KEY_LEN]) {
    uint32_t words[8];
    for (int i = 0; i < 8; i++) words[i] = asb3_load32(key + 4 * i);
    init_common(self, words, ASB3_KEYED_HASH);
}

void asb3_hasher_init_derive_key(asb3_hasher *self, const void *context, size_t context_len) {
    asb3_hasher context_hasher;
    init_common(&context_hasher, asb3_iv, ASB3_DERIVE_KEY_CONTEXT);
    asb3_hasher_update(&context_hasher, context, context_len);
    uint8_t context_key[ASB3_KEY_LEN];
    asb3_hasher_finalize(&context_hasher, context_key, sizeof context_key);
    uint32_t words[8];
    for (int i = 0; i < 8; i++) words[i] = asb3_load32(context_key + 4 * i);
    init_common(self, words, ASB3_DERIVE_KEY_MATERIAL);
}

int asb3_hasher_set_simd_level(asb3_hasher *self, int level) {
    const int cpu = asb3_cpu_simd_level();
    if (level > cpu) level = cpu;
    if (level < ASB3_SIMD_PORTABLE) level = ASB3_SIMD_PORTABLE;
    self->simd_level = (uint8_t)level;
    return level;
}

/* Pushes the chaining value of a complete subtree of 2^level chunks that ends where the chunk
 * count becomes `new_count`, merging with the stack while that count has a zero at `level`.
 * Valid because more input always follows a pushed subtree (the last chunk stays in buf). */
static void push_cv(asb3_hasher *self, const uint8_t cv_bytes[32], unsigned level,
                    uint64_t new_count) {
    uint32_t cv[8];
    for (int i = 0; i < 8; i++) cv[i] = asb3_load32(cv_bytes + 4 * i);
    while (((new_count >> level) & 1) == 0) {
        uint8_t block[64];
        const uint32_t *left = &self->cv_stack[(self->cv_stack_len - 1) * 8];
        for (int i = 0; i < 8; i++) {
            asb3_store32(block + 4 * i, left[i]);
            asb3_store32(block + 32 + 4 * i, cv[i]);
        }
        memcpy(cv, self->key, sizeof cv);
        asb3_compress_in_place(self->simd_level, cv, block, ASB3_BLOCK_LEN, 0,
                               self->flags | ASB3_PARENT);
        self->cv_stack_len--;
        level++;
    }
    memcpy(&self->cv_stack[self->cv_stack_len * 8], cv, sizeof cv);
    self->cv_stack_len++;
}

/* Reduces the m chunk chaining values in `cvs` (chunks chunk_counter ..< chunk_counter + m)
 * to one value per aligned power-of-two run, then pushes the runs in order. All runs are
 * reduced together, one level at a time, so parents are hashed many at a time. */
static void reduce_and_push(asb3_hasher *self, uint8_t *cvs, size_t m) {
    /* Run sizes first grow (limited by the alignment of the count) then shrink (limited by
     * what is left), each through at most log2(ASB3_WINDOW) + 1 = 10 values: <= 20 runs. */
    struct {
        size_t off, size;
        unsigned level;
    } runs[32];
    size_t nruns = 0;
    uint64_t c = self->chunk_counter;
    for (size_t off = 0; off < m;) {
        size_t s = (size_t)1 << (63 - __builtin_clzll((unsigned long long)(m - off)));
        while ((c & (s - 1)) != 0) s >>= 1;
        runs[nruns].off = off;
        runs[nruns].size = s;
        runs[nruns].level = 0;
        nruns++;
        off += s;
        c += s;
    }
    const uint8_t *ptrs[ASB3_WINDOW / 2];
    uint8_t parents[ASB3_WINDOW / 2 * ASB3_OUT_LEN];
    for (;;) {
        size_t np = 0;
        for (size_t r = 0; r < nruns; r++) {
            for (size_t p = 0; p < runs[r].size / 2; p++) {
                ptrs[np++] = cvs + (runs[r].off + 2 * p) * ASB3_OUT_LEN;
            }
        }
        if (np == 0) break;
        asb3_hash_many(self->simd_level, ptrs, np, 1, self->key, 0, false,
                       self->flags | ASB3_PARENT, 0, 0, parents);
        size_t k = 0;
        for (size_t r = 0; r < nruns; r++) {
            if (runs[r].size < 2) continue;
            size_t half = runs[r].size / 2;
            memcpy(cvs + runs[r].off * ASB3_OUT_LEN, parents + k * ASB3_OUT_LEN,
                   half * ASB3_OUT_LEN);
            k += half;
            runs[r].size = half;
            runs[r].level++;
        }
    }
    c = self->chunk_counter;
    for (size_t r = 0; r < nruns; r++) {
        c += (uint64_t)1 << runs[r].level;
        push_cv(self, cvs + runs[r].off * ASB3_OUT_LEN, runs[r].level, c);
    }
    self->chunk_counter = c;
}

/* Hashes n whole chunks that are not the last one: the chunk in buf first when buf_first,
 * then consecutive chunks of `input`. */
static void hash_chunks(asb3_hasher *self, bool buf_first, const uint8_t *input, size_t n) {
    const uint8_t *ptrs[ASB3_WINDOW];
    uint8_t cvs[ASB3_WINDOW * ASB3_OUT_LEN];
    size_t done = 0;
    while (done < n) {
        size_t m = n - done < ASB3_WINDOW ? n - done : ASB3_WINDOW;
        for (size_t j = 0; j < m; j++) {
            size_t idx = done + j;
            if (buf_first) {
                ptrs[j] = idx == 0 ? self->buf : input + (idx - 1) * ASB3_CHUNK_LEN;
            } else {
                ptrs[j] = input + idx * ASB3_CHUNK_LEN;
            }
        }
        asb3_hash_many(self->simd_level, ptrs, m, ASB3_CHUNK_LEN / ASB3_BLOCK_LEN, self->key,
                       self->counter_base + self->chunk_counter, true, self->flags, ASB3_CHUNK_START,
                       ASB3_CHUNK_END,
                       cvs);
        reduce_and_push(self, cvs, m);
        done += m;
    }
}

void asb3_hasher_update(asb3_hasher *self, const void *input_ptr, size_t len) {
    const uint8_t *input = (const uint8_t *)input_ptr;
    if (len == 0) return;
    if (self->buf_len > 0 && self->buf_len < ASB3_CHUNK_LEN) {
        size_t take = ASB3_CHUNK_LEN - self->buf_len;
        if (take > len) take = len;
        memcpy(self->buf + self->buf_len, input, take);
        self->buf_len += (uint16_t)take;
        input += take;
        len -= take;
        if (len == 0) return;
    }
    /* Now buf is empty or holds a full chunk, and more input follows. */
    const bool buf_full = self->buf_len == ASB3_CHUNK_LEN;
    if (!buf_full && len <= ASB3_CHUNK_LEN) {
        memcpy(self->buf, input, len);
        self->buf_len = (uint16_t)len;
        return;
    }
    const size_t total_chunks_bytes = (buf_full ? ASB3_CHUNK_LEN : 0) + len;
    /* Keep the last 1...1024 bytes back: they may be the root chunk. */
    const size_t n = (total_chunks_bytes - 1) / ASB3_CHUNK_LEN;
    hash_chunks(self, buf_full, input, n);
    const size_t consumed = n * ASB3_CHUNK_LEN - (buf_full ? ASB3_CHUNK_LEN : 0);
    input += consumed;
    len -= consumed;
    memcpy(self->buf, input, len);
    self->buf_len = (uint16_t)len;
}

static void chunk_output(const asb3_hasher *self, asb3_output *out) {
    const size_t len = self->buf_len;
    const size_t nblocks = len == 0 ? 1 : (len + ASB3_BLOCK_LEN - 1) / ASB3_BLOCK_LEN;
    memcpy(out->cv, self->key, sizeof out->cv);
    uint8_t f = self->flags | ASB3_CHUNK_START;
    for (size_t b = 0; b + 1 < nblocks; b++) {
        asb3_compress_in_place(self->simd_level, out->cv, self->buf + b * ASB3_BLOCK_LEN,
                               ASB3_BLOCK_LEN, self->counter_base + self->chunk_counter, f);
        f = self->flags;
    }
    const size_t last_len = len - (nblocks - 1) * ASB3_BLOCK_LEN;
    memset(out->block, 0, sizeof out->block);
    memcpy(out->block, self->buf + (nblocks - 1) * ASB3_BLOCK_LEN, last_len);
    out->block_len = (uint8_t)last_len;
    out->counter = self->counter_base + self->chunk_counter;
    out->flags = f | ASB3_CHUNK_END;
}

/* The output of the top node of everything fed so far: the last chunk merged, right to left,
 * with every subtree on the stack. */
static void top_output(const asb3_hasher *self, asb3_output *out) {
    const int level = self->simd_level;
    asb3_output o;
    chunk_output(self, &o);
    for (size_t i = self->cv_stack_len; i-- > 0;) {
        uint32_t right[8];
        memcpy(right, o.cv, sizeof right);
        asb3_compress_in_place(level, right, o.block, o.block_len, o.counter, o.flags);
        const uint32_t *left = &self->cv_stack[i * 8];
        for (int w = 0; w < 8; w++) {
            asb3_store32(o.block + 4 * w, left[w]);
            asb3_store32(o.block + 32 + 4 * w, right[w]);
        }
        memcpy(o.cv, self->key, sizeof o.cv);
        o.block_len = ASB3_BLOCK_LEN;
        o.counter = 0;
        o.flags = self->flags | ASB3_PARENT;
    }
    *out = o;
}

void asb3_hasher_finalize_seek(const asb3_hasher *self, uint64_t seek, uint8_t *out,
                               size_t out_len) {
    if (out_len == 0) return;
    const int level = self->simd_level;
    asb3_output o;
    top_output(self, &o);
    uint64_t block_index = seek / ASB3_BLOCK_LEN;
    size_t offset = (size_t)(seek % ASB3_BLOCK_LEN);
    while (out_len > 0) {
        uint8_t block_out[64];
        asb3_compress_xof(level, o.cv, o.block, o.block_len, block_index, o.flags | ASB3_ROOT,
                          block_out);
        size_t take = ASB3_BLOCK_LEN - offset;
        if (take > out_len) take = out_len;
        memcpy(out, block_out + offset, take);
        out += take;
        out_len -= take;
        offset = 0;
        block_index++;
    }
}

void asb3_hasher_finalize(const asb3_hasher *self, uint8_t *out, size_t out_len) {
    asb3_hasher_finalize_seek(self, 0, out, out_len);
}

/* --- Tree pieces (asb3_subtree_cv, asb3_parent_cv, asb3_merge_cvs) --------------------------- */

static void store_cv(uint8_t out[ASB3_OUT_LEN], const uint32_t cv[8]) {
    for (int i = 0; i < 8; i++) asb3_store32(out + 4 * i, cv[i]);
}

/* The CV (non-root) or the root hash of an output. */
static void output_cv(int level, const asb3_output *o, int is_root, uint8_t out[ASB3_OUT_LEN]) {
    if (is_root) {
        uint8_t block_out[64];
        asb3_compress_xof(level, o->cv, o->block, o->block_len, 0, o->flags | ASB3_ROOT, block_out);
        memcpy(out, block_out, ASB3_OUT_LEN);
        return;
    }
    uint32_t cv[8];
    memcpy(cv, o->cv, sizeof cv);
    asb3_compress_in_place(level, cv, o->block, o->block_len, o->counter, o->flags);
    store_cv(out, cv);
}

void asb3_subtree_cv(const void *input, size_t len, uint64_t chunk_counter, int is_root,
                     uint8_t out[ASB3_OUT_LEN]) {
    /* The tree inside an aligned subtree is the tree of the same bytes hashed alone, but for
     * the chunk counters: a hasher counting from `chunk_counter` builds it. */
    asb3_hasher hasher;
    asb3_hasher_init(&hasher);
    hasher.counter_base = chunk_counter;
    asb3_hasher_update(&hasher, input, len);
    asb3_output o;
    top_output(&hasher, &o);
    output_cv(hasher.simd_level, &o, is_root, out);
}

void asb3_subtree_cvs(const void *input_ptr, size_t count, size_t subtree_chunks,
                      uint64_t chunk_counter, uint8_t *out) {
    /* Whole subtrees of one window at a time: their chunks hashed many at a time, then each
     * level of parents of all of them at once, so no compression runs alone. */
    const uint8_t *input = (const uint8_t *)input_ptr;
    const int level = asb3_default_simd_level();
    const size_t per_window = subtree_chunks >= ASB3_WINDOW ? 1 : ASB3_WINDOW / subtree_chunks;
    const uint8_t *ptrs[ASB3_WINDOW];
    uint8_t cvs[ASB3_WINDOW * ASB3_OUT_LEN];
    uint8_t parents[ASB3_WINDOW / 2 * ASB3_OUT_LEN];
    for (size_t done = 0; done < count;) {
        const size_t subtrees = count - done < per_window ? count - done : per_window;
        if (subtree_chunks > ASB3_WINDOW) {
            /* Larger than a window: the hasher's own batching, one subtree at a time. */
            asb3_subtree_cv(input + done * subtree_chunks * ASB3_CHUNK_LEN, subtree_chunks * ASB3_CHUNK_LEN,
                            chunk_counter + done * subtree_chunks, 0, out + done * ASB3_OUT_LEN);
            done += 1;
            continue;
        }
        size_t n = subtrees * subtree_chunks;
        const uint8_t *base = input + done * subtree_chunks * ASB3_CHUNK_LEN;
        for (size_t j = 0; j < n; j++) ptrs[j] = base + j * ASB3_CHUNK_LEN;
        asb3_hash_many(level, ptrs, n, ASB3_CHUNK_LEN / ASB3_BLOCK_LEN, asb3_iv,
                       chunk_counter + done * subtree_chunks, true, 0, ASB3_CHUNK_START, ASB3_CHUNK_END,
                       cvs);
        /* Subtrees are aligned powers of two: pairing neighbours never crosses two of them. */
        while (n > subtrees) {
            for (size_t p = 0; p < n / 2; p++) ptrs[p] = cvs + 2 * p * ASB3_OUT_LEN;
            asb3_hash_many(level, ptrs, n / 2, 1, asb3_iv, 0, false, ASB3_PARENT, 0, 0, parents);
            memcpy(cvs, parents, (n / 2) * ASB3_OUT_LEN);
            n /= 2;
        }
        memcpy(out + done * ASB3_OUT_LEN, cvs, subtrees * ASB3_OUT_LEN);
        done += subtrees;
    }
}

static void parent_output(const uint8_t left[ASB3_OUT_LEN], const uint8_t right[ASB3_OUT_LEN],
                          asb3_output *o) {
    memcpy(o->cv, asb3_iv, sizeof o->cv);
    memcpy(o->block, left, ASB3_OUT_LEN);
    memcpy(o->block + ASB3_OUT_LEN, right, ASB3_OUT_LEN);
    o->block_len = ASB3_BLOCK_LEN;
    o->counter = 0;
    o->flags = ASB3_PARENT;
}

void asb3_parent_cv(const uint8_t left[ASB3_OUT_LEN], const uint8_t right[ASB3_OUT_LEN],
                    int is_root, uint8_t out[ASB3_OUT_LEN]) {
    asb3_output o;
    parent_output(left, right, &o);
    output_cv(asb3_default_simd_level(), &o, is_root, out);
}

void asb3_merge_cvs(const uint8_t *cvs, size_t count, int is_root, uint8_t out[ASB3_OUT_LEN]) {
    const int level = asb3_default_simd_level();
    /* Levels are reduced in batches of at most ASB3_WINDOW / 2 parents, in place in `work`. */
    uint8_t work[ASB3_WINDOW * ASB3_OUT_LEN];
    const uint8_t *ptrs[ASB3_WINDOW / 2];
    uint8_t parents[ASB3_WINDOW / 2 * ASB3_OUT_LEN];
    /* A stack of merged runs: at most one per level, as in the hasher. */
    uint8_t stack[ASB3_MAX_DEPTH * ASB3_OUT_LEN];
    size_t stack_len = 0;
    size_t done = 0;
    while (done < count) {
        size_t m = count - done < ASB3_WINDOW ? count - done : ASB3_WINDOW;
        memcpy(work, cvs + done * ASB3_OUT_LEN, m * ASB3_OUT_LEN);
        size_t n = m;
        /* A lone window stops at two CVs: their parent is the top node, root or not. */
        const size_t stop = count <= ASB3_WINDOW ? 2 : 1;
        while (n > stop) {
            for (size_t p = 0; p < n / 2; p++) ptrs[p] = work + 2 * p * ASB3_OUT_LEN;
            asb3_hash_many(level, ptrs, n / 2, 1, asb3_iv, 0, false, ASB3_PARENT, 0, 0, parents);
            memcpy(work, parents, (n / 2) * ASB3_OUT_LEN);
            n /= 2;
        }
        memcpy(stack + stack_len * ASB3_OUT_LEN, work, ASB3_OUT_LEN);
        stack_len++;
        done += m;
    }
    if (count <= ASB3_WINDOW) {
        asb3_parent_cv(work, work + ASB3_OUT_LEN, is_root, out);
        return;
    }
    /* count is a power of two: the windows are equal, and so are their stacked CVs. */
    while (stack_len > 2) {
        size_t pairs = stack_len / 2;
        for (size_t p = 0; p < pairs; p++) {
            uint8_t merged[ASB3_OUT_LEN];
            asb3_parent_cv(stack + 2 * p * ASB3_OUT_LEN, stack + (2 * p + 1) * ASB3_OUT_LEN, 0,
                           merged);
            memcpy(stack + p * ASB3_OUT_LEN, merged, ASB3_OUT_LEN);
        }
        stack_len = pairs;
    }
    asb3_parent_cv(stack, stack + ASB3_OUT_LEN, is_root, out);
}

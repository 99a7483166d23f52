/*
 * One BLAKE3 round over "lanes": v[i] holds state word i of N independent compressions and
 * m[j] message word j of each, one compression per SIMD lane. Included by the SIMD files after
 * they define ASB3_VEC, ASB3_ADD, ASB3_XOR, ASB3_ROR16/12/8/7, ASB3_LANES_TARGET and
 * ASB3_LANES_NAME(name) (a unique name per vector width, so one file can include this more
 * than once). The four G functions of each half round run interleaved, step by step.
 */
#define ASB3_G4(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3, s0, s1, s2, s3,  \
                s4, s5, s6, s7)                                                                   \
    do {                                                                                          \
        v[a0] = ASB3_ADD(ASB3_ADD(v[a0], m[s0]), v[b0]);                                          \
        v[a1] = ASB3_ADD(ASB3_ADD(v[a1], m[s2]), v[b1]);                                          \
        v[a2] = ASB3_ADD(ASB3_ADD(v[a2], m[s4]), v[b2]);                                          \
        v[a3] = ASB3_ADD(ASB3_ADD(v[a3], m[s6]), v[b3]);                                          \
        v[d0] = ASB3_ROR16(ASB3_XOR(v[d0], v[a0]));                                               \
        v[d1] = ASB3_ROR16(ASB3_XOR(v[d1], v[a1]));                                               \
        v[d2] = ASB3_ROR16(ASB3_XOR(v[d2], v[a2]));                                               \
        v[d3] = ASB3_ROR16(ASB3_XOR(v[d3], v[a3]));                                               \
        v[c0] = ASB3_ADD(v[c0], v[d0]);                                                           \
        v[c1] = ASB3_ADD(v[c1], v[d1]);                                                           \
        v[c2] = ASB3_ADD(v[c2], v[d2]);                                                           \
        v[c3] = ASB3_ADD(v[c3], v[d3]);                                                           \
        v[b0] = ASB3_ROR12(ASB3_XOR(v[b0], v[c0]));                                               \
        v[b1] = ASB3_ROR12(ASB3_XOR(v[b1], v[c1]));                                               \
        v[b2] = ASB3_ROR12(ASB3_XOR(v[b2], v[c2]));                                               \
        v[b3] = ASB3_ROR12(ASB3_XOR(v[b3], v[c3]));                                               \
        v[a0] = ASB3_ADD(ASB3_ADD(v[a0], m[s1]), v[b0]);                                          \
        v[a1] = ASB3_ADD(ASB3_ADD(v[a1], m[s3]), v[b1]);                                          \
        v[a2] = ASB3_ADD(ASB3_ADD(v[a2], m[s5]), v[b2]);                                          \
        v[a3] = ASB3_ADD(ASB3_ADD(v[a3], m[s7]), v[b3]);                                          \
        v[d0] = ASB3_ROR8(ASB3_XOR(v[d0], v[a0]));                                                \
        v[d1] = ASB3_ROR8(ASB3_XOR(v[d1], v[a1]));                                                \
        v[d2] = ASB3_ROR8(ASB3_XOR(v[d2], v[a2]));                                                \
        v[d3] = ASB3_ROR8(ASB3_XOR(v[d3], v[a3]));                                                \
        v[c0] = ASB3_ADD(v[c0], v[d0]);                                                           \
        v[c1] = ASB3_ADD(v[c1], v[d1]);                                                           \
        v[c2] = ASB3_ADD(v[c2], v[d2]);                                                           \
        v[c3] = ASB3_ADD(v[c3], v[d3]);                                                           \
        v[b0] = ASB3_ROR7(ASB3_XOR(v[b0], v[c0]));                                                \
        v[b1] = ASB3_ROR7(ASB3_XOR(v[b1], v[c1]));                                                \
        v[b2] = ASB3_ROR7(ASB3_XOR(v[b2], v[c2]));                                                \
        v[b3] = ASB3_ROR7(ASB3_XOR(v[b3], v[c3]));                                                \
    } while (0)

static inline __attribute__((always_inline)) ASB3_LANES_TARGET void
ASB3_LANES_NAME(round)(ASB3_VEC v[16], const ASB3_VEC m[16], int r) {
    const uint8_t *s = asb3_schedule[r];
    /* Columns. */
    ASB3_G4(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, s[0], s[1], s[2], s[3], s[4],
            s[5], s[6], s[7]);
    /* Diagonals. */
    ASB3_G4(0, 5, 10, 15, 1, 6, 11, 12, 2, 7, 8, 13, 3, 4, 9, 14, s[8], s[9], s[10], s[11],
            s[12], s[13], s[14], s[15]);
}

static inline __attribute__((always_inline)) ASB3_LANES_TARGET void
ASB3_LANES_NAME(rounds)(ASB3_VEC v[16], const ASB3_VEC m[16]) {
    ASB3_LANES_NAME(round)(v, m, 0);
    ASB3_LANES_NAME(round)(v, m, 1);
    ASB3_LANES_NAME(round)(v, m, 2);
    ASB3_LANES_NAME(round)(v, m, 3);
    ASB3_LANES_NAME(round)(v, m, 4);
    ASB3_LANES_NAME(round)(v, m, 5);
    ASB3_LANES_NAME(round)(v, m, 6);
}

#undef ASB3_G4
#undef ASB3_VEC
#undef ASB3_LANES_TARGET
#undef ASB3_LANES_NAME
#undef ASB3_ADD
#undef ASB3_XOR
#undef ASB3_ROR16
#undef ASB3_ROR12
#undef ASB3_ROR8
#undef ASB3_ROR7

/* linear_kquants_packed_vnni.c — x86-64 AVX-VNNI linear and gemm kernels for
 * Q2_K, Q4_K, Q5_K and Q6_K weights in the r8 layouts
 * (runtime/src/pack_kquants.c), against Q8_K activations:
 * gqcrt_{linear,gemm}_{q2_k,q4_k,q5_k,q6_k}_r8_avxvnni.
 *
 * The instruction and the layouts
 *
 * VPDPBUSD adds to each 32-bit lane the four exact products of four
 * unsigned bytes with four signed bytes (linear_legacy_packed_vnni.c says
 * more). The r8 layouts put row r's four quants k .. k+3 of a sub-block in
 * dword lane r of a 32-byte tile, so VPDPBUSD against four activation quants
 * broadcast to every lane adds row r's partial sum to lane r, and a
 * sub-block's tiles leave its exact sum S_j for the 8 rows in one vector.
 * The sub-block scales are stored transposed, so one vector holds sub-block
 * j's scale of the 8 rows:
 *
 *   Q4_K  the GGUF nibbles (0..15) are the unsigned operand as they are:
 *         AND (low nibbles, sub-block 2c) or shift and AND (high, 2c + 1)
 *         per tile. The 6-bit scales and mins are unpacked once per row
 *         group and super-block from the three transposed scale vectors
 *         (ten instructions for all 8 rows); isum += S_j * sc_j is a
 *         VPMULLD per sub-block. The mins term sum_j m_j (bsums[2j] +
 *         bsums[2j+1]) is four VPDPWSSD (AVX-VNNI's int16 pair dot) of the
 *         rows' min pairs against the activation's pair sums, prepared once
 *         per activation super-block.
 *   Q5_K  as Q4_K, with each tile's fifth bits ORed in at bit 4 from the
 *         vector after the nibble tiles (vnni_fifth_bits: a shift and an
 *         AND per tile and half; quants 0..31, still unsigned).
 *   Q2_K  the same scheme on 16 sub-blocks of 16 elements: a tile is one
 *         2-bit field of the GGUF quant bytes (a shift and an AND, 0..3,
 *         unsigned), a sub-block four tiles; the scale and min of a
 *         sub-block are the low and high nibble of one transposed byte,
 *         and the mins term is eight VPDPWSSD against the activation's
 *         bsums taken in pairs.
 *   Q6_K  the tiles hold 4v (v = 0..63 unsigned, value v - 32): A & 0xFC,
 *         B & 0xFC, C & 0xFC, and the fourth tile gathered from the low two
 *         bits of A, B, C (three shifts, three ANDs, two ORs for 4 tiles).
 *         The offset: sum (v - 32) a = sum v a - 32 bsums[s], so each
 *         sub-block's sum starts from -128 bsums[s] (prepared per activation
 *         block) instead of zero, and isum4 += S_s * sc_s (VPMULLD, the
 *         int8 scales widened by VPMOVSXBD straight from the weights).
 *         isum4 is four times the integer sum (below 2^31: |4 isum| <=
 *         4 * 16 * 128 * 16 * 32 * 128), and cvt(isum4) * 0.25 is exactly
 *         cvt(isum).
 *
 * The numbers
 *
 * With the integer sums exact, the float part repeats the portable kernels'
 * operations (runtime/src/linear_kquants.c) in their order, without FMA,
 * for eight rows at once:
 *   Q2_K, Q4_K, Q5_K  sum += (d * da) * isum - (dmin * da) * summ
 *   Q6_K  sum += (d * da) * isum
 * from sum = 0 (added to zero, so -0 comes out +0 as there), so these
 * kernels give bit for bit what the _scalar kernels give (and, for Q4_K
 * and Q6_K, what the NEON r4 kernels give on the board). They are not the AVX2
 * kernels' numbers (those follow llama.cpp's x86 order).
 *
 * The gemm
 *
 * A gemm tile takes one row group against 4 activation rows: the scales are
 * unpacked once for the 4 rows and each quant tile loaded and unpacked once
 * for them; a matrix-vector tile takes two row groups against one row (one
 * broadcast serves 16 weight rows). Q4_K's matrix-vector tile works on both
 * halves of a chunk per tile load (two sub-blocks' independent sums), the
 * gemm tile on one sub-block at a time so its rows' sums stay in registers.
 * The accumulators live in y between super-blocks (vnni_accumulate).
 *
 * Measured (benchmarks/bench_gemm, this 2-core Zen 5 host, shared and noisy:
 * medians of three runs of best-of timings, us per token, FunctionGemma-like
 * shapes with 640 rounded to 768), AVX2 kernels -> these:
 *                   768x2048        2048x640        768x1024
 *   Q4_K gemv        58.0 -> 24.2    51.8 -> 19.9    31.8 -> 11.5   (2.4-2.8x)
 *   Q4_K gemm 4 rows 41.7 -> 17.6    33.1 -> 13.9    17.8 ->  8.3   (2.1-2.4x)
 *   Q4_K gemm 32     44.4 -> 17.6    35.2 -> 14.4    21.6 ->  8.7   (2.4-2.5x)
 *   Q6_K gemv        51.5 -> 34.1    40.4 -> 30.0    24.8 -> 15.2   (1.3-1.6x)
 *   Q6_K gemm 4 rows 34.3 -> 21.6    27.5 -> 17.5    17.0 -> 10.3   (1.6x)
 *   Q6_K gemm 32     36.0 -> 22.2    29.2 -> 15.7    17.5 -> 10.6   (1.6-1.9x)
 *   Q5_K gemv        77.2 -> 29.0    60.8 -> 24.2    30.1 -> 12.9   (2.3-2.7x)
 *   Q5_K gemm 4 rows 61.2 -> 16.1    49.9 -> 13.4    30.4 ->  7.8   (3.7-3.9x)
 *   Q2_K gemv        31.1 -> 27.3    26.6 -> 22.3    15.6 -> 13.3   (1.2x)
 *   Q2_K gemm 4 rows 31.7 -> 17.3    25.5 -> 15.1    15.6 ->  8.5   (1.7-1.8x)
 * (the AVX2 Q5_K and Q2_K gemms are the row-wise ones; Q2_K: one run, under
 * load). Q2_K's gemv gains least: a VPMULLD per 16 quants (Q4_K: per 32)
 * and a shift and an AND per 4-byte tile of 2-bit quants.
 */
#include <immintrin.h>
#include <stddef.h>

#include "blocks.h"
#include "gqcrt.h"
#include "x86/vnni_packed.h"

/* Compiled a second time by linear_kquants_packed_vnni512.c with
 * GQCRT_KQ_EVEX defined: the same kernels for CPUs with AVX-512 VNNI (and
 * VL) but not AVX-VNNI (Ice Lake and Cascade Lake servers): VPDPBUSD and
 * VPDPWSSD on ymm registers in their EVEX encoding, every other instruction
 * the same, so the numbers are the same too. */
#ifdef GQCRT_KQ_EVEX
#undef VNNI
#undef VNNI_INLINE
#define VNNI VNNI512
#define VNNI_INLINE VNNI512_INLINE
#define KQ_DPBUSD _mm256_dpbusd_epi32
#define KQ_DPWSSD _mm256_dpwssd_epi32
#define KQ_DEFINE_KERNELS(...) VNNI_DEFINE_KERNELS_AS(VNNI, avx512vnni, __VA_ARGS__)
#else
#define KQ_DPBUSD _mm256_dpbusd_avx_epi32
#define KQ_DPWSSD _mm256_dpwssd_avx_epi32
#define KQ_DEFINE_KERNELS(...) VNNI_DEFINE_KERNELS_AS(VNNI, avxvnni, __VA_ARGS__)
#endif

enum { CHUNK = 8 }; /* super-blocks prepared per activation row at a time */

/* What a tile needs of an activation super-block besides its quants: its
 * scale and exact integers from its bsums (Q4_K, Q5_K: the pairwise sums
 * P_j = bsums[2j] + bsums[2j + 1] as int16 pairs (P_2i, P_2i+1) in v[i];
 * Q2_K: the pairs (bsums[2i], bsums[2i + 1]); Q6_K: -128 bsums[s] in v[s],
 * the -32 offset of four times the quants). */
typedef struct act_row {
  float da[CHUNK];
  int32_t v[CHUNK][16];
} act_row;

enum kq_fmt { FMT_Q2_K, FMT_Q4_K, FMT_Q5_K, FMT_Q6_K };

#define Q8K_QS 4 /* byte offset of the quants in a Q8_K block */

VNNI_INLINE void prepare(enum kq_fmt f, void *act, const uint8_t *x, size_t x_row, int32_t n_rows,
                         int32_t b0, int32_t nbc) {
  act_row *rows = act;
  for (int32_t r = 0; r < n_rows; r++)
    for (int32_t b = 0; b < nbc; b++) {
      const blk_q8_k *a = (const blk_q8_k *)(const void *)(x + (size_t)r * x_row +
                                                           (size_t)(b0 + b) * GQCRT_Q8_K_BYTES);
      rows[r].da[b] = a->d;
      if (f == FMT_Q6_K) {
        for (int s = 0; s < 16; s++)
          rows[r].v[b][s] = -128 * a->bsums[s];
        continue;
      }
      /* The sums of the activation quants of each sub-block: bsums
       * themselves (Q2_K, 16 elements) or pairwise sums (32), in pairs. */
      const int sub16 = f == FMT_Q2_K;
      for (int i = 0; i < (sub16 ? 8 : 4); i++) {
        int p[2];
        for (int k = 0; k < 2; k++)
          p[k] =
              sub16 ? a->bsums[2 * i + k] : a->bsums[4 * i + 2 * k] + a->bsums[4 * i + 2 * k + 1];
        rows[r].v[b][i] = (int32_t)((uint32_t)(uint16_t)p[0] | (uint32_t)(uint16_t)p[1] << 16);
      }
    }
}

/* ---- Q2_K, Q4_K, Q5_K: sub-block scales and mins ---------------------------- */

/* Sub-blocks per super-block (16 or 32 elements each). */
VNNI_INLINE int n_sub(enum kq_fmt f) {
  return f == FMT_Q2_K ? 16 : 8;
}

/* A row group's super-block scales, unpacked once for every activation row:
 * sc[j] sub-block j's scales of the 8 rows (int32 lanes), m[i] the mins of
 * sub-blocks 2i and 2i + 1 as int16 pairs per row, d and dmin. */
typedef struct mins_scales {
  __m256i sc[16], m[8];
  __m256 d, dmin;
} mins_scales;

/* The 8 bytes 8k .. 8k+7 of v (k = 0..3) widened to int32. */
VNNI_INLINE __m256i bytes8_u32(__m256i v, int k) {
  const __m128i h = k < 2 ? _mm256_castsi256_si128(v) : _mm256_extracti128_si256(v, 1);
  return _mm256_cvtepu8_epi32(k % 2 ? _mm_unpackhi_epi64(h, h) : h);
}

/* Mins bytes 8j + r (sub-blocks j = 0..3 of rows r) -> two int16 pair
 * vectors: (j = 0, 1) and (2, 3) of each row side by side. */
VNNI_INLINE void min_pairs(__m256i m, __m256i out[2]) {
  const __m256i p = _mm256_unpacklo_epi8(m, _mm256_srli_si256(m, 8));
  out[0] = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(p));
  out[1] = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(p, 1));
}

/* The scales and mins of a group block (its transposed scale bytes: byte
 * 8k + r of the vectors is GGUF scale byte k of row r). Q2_K: a byte is a
 * sub-block's scale (low nibble) and min (high). Q4_K, Q5_K: the 6-bit
 * unpacking (blocks.h, gqcrt_k4_scale_min) on V0, V1, V2 = bytes 0..3,
 * 4..7, 8..11 gives sub-block j (0..3) of row r in byte 8j + r, or 4 + j. */
VNNI_INLINE void unpack_scales(enum kq_fmt f, mins_scales *s, const uint8_t *blk) {
  s->d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)blk));
  s->dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(blk + 16)));
  const __m256i m0f = _mm256_set1_epi8(0x0F);
  if (f == FMT_Q2_K) {
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      const __m256i V = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 32 + 32 * k));
#pragma GCC unroll 4
      for (int i = 0; i < 4; i++)
        s->sc[4 * k + i] = bytes8_u32(_mm256_and_si256(V, m0f), i);
      min_pairs(vnni_nibbles(V, 1), s->m + 2 * k);
    }
    return;
  }
  const __m256i V0 = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 32));
  const __m256i V1 = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 64));
  const __m256i V2 = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 96));
  const __m256i m63 = _mm256_set1_epi8(63), m30 = _mm256_set1_epi8(0x30);
  const __m256i sc_lo = _mm256_and_si256(V0, m63), m_lo = _mm256_and_si256(V1, m63);
  const __m256i sc_hi =
      _mm256_or_si256(_mm256_and_si256(V2, m0f), _mm256_and_si256(_mm256_srli_epi16(V0, 2), m30));
  const __m256i m_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(V2, 4), m0f),
                                       _mm256_and_si256(_mm256_srli_epi16(V1, 2), m30));
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    s->sc[j] = bytes8_u32(sc_lo, j);
    s->sc[4 + j] = bytes8_u32(sc_hi, j);
  }
  min_pairs(m_lo, s->m);
  min_pairs(m_hi, s->m + 2);
}

/* Tile t of sub-block j of the 8 rows, as unsigned bytes, from the group
 * block's quants at q (pack_kquants.c): Q2_K sub-block j = 8n + 2k + h is
 * the 2-bit field k of tiles 4h .. 4h + 3 of half n; Q4_K, Q5_K sub-block j
 * the low (j even) or high nibbles of chunk j / 2's tiles (Q5_K: with the
 * fifth bits). */
VNNI_INLINE __m256i quant_tile(enum kq_fmt f, const uint8_t *q, int j, int t) {
  if (f == FMT_Q2_K) {
    const __m256i w = _mm256_loadu_si256(
        (const __m256i *)(const void *)(q + 256 * (j / 8) + 32 * (4 * (j % 2) + t)));
    return _mm256_and_si256(_mm256_srli_epi16(w, 2 * ((j % 8) / 2)), _mm256_set1_epi8(3));
  }
  const __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(q + 256 * (j / 2) + 32 * t));
  const __m256i u = vnni_nibbles(w, j % 2);
  if (f != FMT_Q5_K)
    return u;
  const __m256i H =
      _mm256_loadu_si256((const __m256i *)(const void *)(q + 1024 + 64 * (j / 2) + 32 * (t / 4)));
  return _mm256_or_si256(u, vnni_fifth_bits(H, t % 4, j % 2));
}

VNNI_INLINE void mins_tile(enum kq_fmt f, int G, int R, VNNI_TILE_PARAMS) {
  (void)nb;
  const act_row *ar = act;
  const size_t block_bytes = f == FMT_Q2_K   ? GQCRT_Q2_K_BYTES
                             : f == FMT_Q5_K ? GQCRT_Q5_K_BYTES
                                             : GQCRT_Q4_K_BYTES;
  const int E = GQCRT_QK_K / n_sub(f); /* elements per sub-block */
  for (int32_t b = 0; b < nbc; b++) {
    const size_t blk = (size_t)(b0 + b);
    mins_scales s[2];
    const uint8_t *q[2];
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
      const uint8_t *wb = group + (size_t)g * group_bytes + blk * 8 * block_bytes;
      unpack_scales(f, &s[g], wb);
      q[g] = wb + (f == FMT_Q2_K ? 160 : 128);
    }
    const uint8_t *xq = x + blk * GQCRT_Q8_K_BYTES + Q8K_QS;
    __m256i isum[2][VNNI_TILE];
    vnni_zero(&isum[0][0], 2 * VNNI_TILE);
    /* NS sub-blocks at a time: a matrix-vector tile takes two (more
     * independent sums, and Q4_K's two halves of one load), a gemm tile
     * one, so its 4 activation rows' sums stay in registers. */
    const int NS = R == 1 ? 2 : 1;
#pragma GCC unroll 16
    for (int j0 = 0; j0 < n_sub(f); j0 += NS) {
      __m256i S[2][2][VNNI_TILE];
      vnni_zero(&S[0][0][0], 4 * VNNI_TILE);
#pragma GCC unroll 8
      for (int t = 0; t < E / 4; t++) {
        __m256i u[2][2];
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
#pragma GCC unroll 2
          for (int h = 0; h < NS; h++)
            u[g][h] = quant_tile(f, q[g], j0 + h, t);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 2
          for (int h = 0; h < NS; h++) {
            const __m256i a = vnni_bcast4(xq + (size_t)r * x_row, E * (j0 + h) + 4 * t);
#pragma GCC unroll 2
            for (int g = 0; g < G; g++)
              S[g][h][r] = KQ_DPBUSD(S[g][h][r], u[g][h], a);
          }
      }
#pragma GCC unroll 2
      for (int g = 0; g < G; g++)
#pragma GCC unroll 2
        for (int h = 0; h < NS; h++)
#pragma GCC unroll 4
          for (int r = 0; r < R; r++)
            isum[g][r] =
                _mm256_add_epi32(isum[g][r], _mm256_mullo_epi32(S[g][h][r], s[g].sc[j0 + h]));
    }
#pragma GCC unroll 2
    for (int g = 0; g < G; g++)
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) {
        const int32_t *P = ar[r].v[b];
        __m256i summ = _mm256_setzero_si256();
        const int n_pairs = n_sub(f) / 2;
#pragma GCC unroll 8
        for (int i = 0; i < n_pairs; i++)
          summ = KQ_DPWSSD(summ, s[g].m[i], _mm256_set1_epi32(P[i]));
        const __m256 da = _mm256_set1_ps(ar[r].da[b]);
        const __m256 t =
            _mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(s[g].d, da), _mm256_cvtepi32_ps(isum[g][r])),
                          _mm256_mul_ps(_mm256_mul_ps(s[g].dmin, da), _mm256_cvtepi32_ps(summ)));
        vnni_accumulate(y + (size_t)r * y_stride + 8 * (size_t)g, blk == 0, t);
      }
  }
}

/* ---- Q6_K ------------------------------------------------------------------ */

VNNI_INLINE void q6_k_tile(enum kq_fmt f, int G, int R, VNNI_TILE_PARAMS) {
  (void)f;
  (void)nb;
  const act_row *ar = act;
  const __m256i mfc = _mm256_set1_epi8((char)0xFC), mc0 = _mm256_set1_epi8((char)0xC0),
                m30 = _mm256_set1_epi8(0x30), m0c = _mm256_set1_epi8(0x0C);
  for (int32_t b = 0; b < nbc; b++) {
    const size_t blk = (size_t)(b0 + b);
    const uint8_t *wb[2];
#pragma GCC unroll 2
    for (int g = 0; g < G; g++)
      wb[g] = group + (size_t)g * group_bytes + blk * 8 * GQCRT_Q6_K_BYTES;
    const uint8_t *xq = x + blk * GQCRT_Q8_K_BYTES + Q8K_QS;
    __m256i isum4[2][VNNI_TILE]; /* 4 * the integer super-block sums */
    vnni_zero(&isum4[0][0], 2 * VNNI_TILE);
#pragma GCC unroll 16
    for (int s = 0; s < 16; s++) {
      __m256i t4[2][4]; /* 4 v of tiles 0..3 (elements 16s + 4k + i) */
#pragma GCC unroll 2
      for (int g = 0; g < G; g++) {
        const uint8_t *abc = wb[g] + 144 + 96 * s;
        const __m256i A = _mm256_loadu_si256((const __m256i *)(const void *)abc);
        const __m256i B = _mm256_loadu_si256((const __m256i *)(const void *)(abc + 32));
        const __m256i C = _mm256_loadu_si256((const __m256i *)(const void *)(abc + 64));
        t4[g][0] = _mm256_and_si256(A, mfc);
        t4[g][1] = _mm256_and_si256(B, mfc);
        t4[g][2] = _mm256_and_si256(C, mfc);
        t4[g][3] = _mm256_or_si256(_mm256_or_si256(_mm256_and_si256(_mm256_slli_epi16(A, 6), mc0),
                                                   _mm256_and_si256(_mm256_slli_epi16(B, 4), m30)),
                                   _mm256_and_si256(_mm256_slli_epi16(C, 2), m0c));
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) {
        __m256i S[2];
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
          S[g] = _mm256_set1_epi32(ar[r].v[b][s]);
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
          const __m256i a = vnni_bcast4(xq + (size_t)r * x_row, 16 * s + 4 * k);
#pragma GCC unroll 2
          for (int g = 0; g < G; g++)
            S[g] = KQ_DPBUSD(S[g], t4[g][k], a);
        }
#pragma GCC unroll 2
        for (int g = 0; g < G; g++) {
          const __m256i sc = _mm256_cvtepi8_epi32(
              _mm_loadl_epi64((const __m128i *)(const void *)(wb[g] + 16 + 8 * s)));
          isum4[g][r] = _mm256_add_epi32(isum4[g][r], _mm256_mullo_epi32(S[g], sc));
        }
      }
    }
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)wb[g]));
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) {
        const __m256 isum = _mm256_mul_ps(_mm256_cvtepi32_ps(isum4[g][r]), _mm256_set1_ps(0.25f));
        const __m256 t = _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(ar[r].da[b])), isum);
        vnni_accumulate(y + (size_t)r * y_stride + 8 * (size_t)g, blk == 0, t);
      }
    }
  }
}

/* ---- the kernels ------------------------------------------------------------- */

KQ_DEFINE_KERNELS(q2_k, r8, FMT_Q2_K, mins_tile, GQCRT_QK_K, GQCRT_Q2_K_BYTES, GQCRT_Q8_K_BYTES)
KQ_DEFINE_KERNELS(q4_k, r8, FMT_Q4_K, mins_tile, GQCRT_QK_K, GQCRT_Q4_K_BYTES, GQCRT_Q8_K_BYTES)
KQ_DEFINE_KERNELS(q5_k, r8, FMT_Q5_K, mins_tile, GQCRT_QK_K, GQCRT_Q5_K_BYTES, GQCRT_Q8_K_BYTES)
KQ_DEFINE_KERNELS(q6_k, r8, FMT_Q6_K, q6_k_tile, GQCRT_QK_K, GQCRT_Q6_K_BYTES, GQCRT_Q8_K_BYTES)

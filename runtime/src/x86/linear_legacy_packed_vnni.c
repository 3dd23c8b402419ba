/* linear_legacy_packed_vnni.c — x86-64 AVX-VNNI linear and gemm kernels for
 * the 32-element encodings in the r8 layouts (runtime/src/pack_legacy.c):
 * Q8_0, Q4_0 and Q5_0 against Q8_0 activations, Q4_1 and Q5_1 against Q8_1:
 * gqcrt_{linear,gemm}_{q8_0_r8u,q4_0_r8,q5_0_r8,q4_1_r8,q5_1_r8}_avxvnni.
 *
 * The instruction
 *
 * VPDPBUSD adds to each 32-bit lane the four products of four unsigned bytes
 * of one operand with four signed bytes of the other, exactly (no 16-bit
 * saturation, unlike the PMADDUBSW + PMADDWD pair of plain AVX2). The r8
 * layouts put row r's four quants k .. k+3 in dword lane r of a 32-byte
 * tile, so VPDPBUSD of a tile with four activation quants broadcast to every
 * lane adds to lane r row r's partial dot product: after a block's tiles,
 * lane r holds row r's block sum. Nothing is reduced across lanes; the
 * weights are the unsigned operand, the activation quants the signed one:
 *
 *   Q8_0 (r8u)  the quants stored biased, w + 128, so the block sum is
 *               sum (w + 128) a = isum + 128 sum(a);
 *   Q4_0 (r8)   the GGUF nibbles q (value q - 8), unpacked to bytes (AND,
 *               and a shift for the high ones): sum q a = isum + 8 sum(a);
 *   Q5_0 (r8)   the same nibbles with the fifth bit ORed in from the
 *               vector after the tiles (a shift and an AND per tile and
 *               half, vnni_fifth_bits): sum q a = isum + 16 sum(a);
 *   Q4_1, Q5_1  as Q4_0, Q5_0, the quants unsigned with no offset (the
 *               min is a separate term), so no correction.
 * sum(a) is a property of the activation block, computed once per call for
 * every block (CHUNK at a time, with the block's f32 scale, on the stack),
 * so the correction is one subtraction per row group and block.
 *
 * The numbers
 *
 * With isum exact, the float part repeats the portable kernels' operations
 * (runtime/src/linear_legacy.c) in their order, without FMA, for eight rows
 * at once:
 *   Q8_0, Q5_0  acc += isum * (dw * da)     Q4_0  acc += (isum * dw) * da
 *   Q4_1, Q5_1  acc += (dw * da) * isum + mw * sa
 * (sa the Q8_1 block's s; dw and mw come from the row group's d and m
 * streams, 16 bytes each per block) so these kernels give bit for bit what
 * the _scalar kernels give — and, for Q8_0 and Q4_0, what the NEON kernels
 * give on the board (they repeat the same chain): an x86 build and an
 * AArch64 build of one model compute the same logits. They are not the plain AVX2 kernels' numbers
 * (those follow llama.cpp's x86 summation order); a weight read through these is read through them
 * by every linear, so decoding and prefill agree.
 *
 * The gemm takes TILE activation rows per row group: each tile is loaded
 * once for the TILE rows, and its partial sums are what the matrix-vector
 * kernel computes for each row. The matrix-vector kernel takes two row
 * groups per step, so each broadcast activation dword serves both
 * (x86/vnni_packed.h walks them).
 *
 * Measured (benchmarks/bench_gemm, 2-core Zen 5 host, shared and noisy:
 * medians of three runs of best-of timings, us per token, shapes
 * 640x2048 / 2048x640 / 640x1024), AVX2 kernels -> these:
 *                   640x2048        2048x640        640x1024
 *   Q5_0 gemv        77.8 -> 21.0    77.5 -> 20.9    39.0 -> 10.4   (3.7-3.8x)
 *   Q5_0 gemm 4 rows 40.0 -> 11.4    41.4 -> 11.3    20.1 ->  5.5   (3.5-3.7x)
 *   Q5_0 gemm 32     34.9 -> 11.4    35.8 -> 11.5    15.4 ->  5.7   (2.7-3.1x)
 *   Q5_1 gemv        84.9 -> 22.0    85.9 -> 21.8    42.5 -> 10.6   (3.9-4.0x)
 *   Q5_1 gemm 4 rows 54.4 -> 11.6    60.9 -> 11.3    26.8 ->  5.7   (4.7-5.4x)
 *   Q4_1 gemv        67.9 -> 15.9    69.6 -> 15.6    34.0 ->  7.7   (4.3-4.5x)
 *   Q4_1 gemm 4 rows 48.4 -> 10.7    55.6 -> 10.5    24.1 ->  5.4   (4.5-5.3x)
 * (the AVX2 Q4_1 and Q5_1 gemms are the row-wise ones).
 */
#include <immintrin.h>
#include <stddef.h>

#include "avx2_helpers.h"
#include "gqcrt.h"
#include "x86/vnni_packed.h"

enum vnni_fmt { FMT_Q4_0, FMT_Q8_0, FMT_Q4_1, FMT_Q5_0, FMT_Q5_1 };
enum { CHUNK = 64 };

/* The bias of the unsigned weight bytes (their sum picks up bias * sum(a)). */
static inline int32_t bias(enum vnni_fmt f) {
  return f == FMT_Q8_0 ? 128 : f == FMT_Q4_0 ? 8 : f == FMT_Q5_0 ? 16 : 0;
}

/* Whether the format has a min (and a Q8_1 activation). */
static inline int has_min(enum vnni_fmt f) {
  return f == FMT_Q4_1 || f == FMT_Q5_1;
}

/* Whether it has fifth bits. */
static inline int has_high(enum vnni_fmt f) {
  return f == FMT_Q5_0 || f == FMT_Q5_1;
}

/* Bytes of one block's quant tiles (and fifth bits) for the 8 rows. */
static inline size_t tiles_bytes(enum vnni_fmt f) {
  return f == FMT_Q8_0 ? 256 : has_high(f) ? 160 : 128;
}

/* Bytes of an activation block, and where its quants start. */
static inline size_t x_bytes(enum vnni_fmt f) {
  return has_min(f) ? GQCRT_Q8_1_BYTES : GQCRT_Q8_0_BYTES;
}
static inline size_t x_quants(enum vnni_fmt f) {
  return has_min(f) ? 4 : 2;
}

/* An activation row's per-block data, CHUNK blocks at a time. */
typedef struct act_row {
  float da[CHUNK]; /* the block's scale */
  union {
    int32_t corr; /* bias * the sum of its quants */
    float sa;     /* Q8_1: its s (d * sum of the quants, as f16) */
  } aux[CHUNK];
} act_row;

/* acc + the block's term: sums the 8 rows' block sums plus bias * sum(a)
 * (exact), dw and mw the 8 rows' scales and mins, da the activation's
 * scale, aux its correction or s. */
VNNI_INLINE __m256 block_term(enum vnni_fmt f, __m256 acc, __m256i sums, __m256 dw, __m256 mw,
                              float da, const act_row *ar, int32_t b) {
  if (has_min(f)) {
    const __m256 isum = _mm256_cvtepi32_ps(sums);
    const __m256 dd = _mm256_mul_ps(dw, _mm256_set1_ps(da));
    return _mm256_add_ps(acc, _mm256_add_ps(_mm256_mul_ps(dd, isum),
                                            _mm256_mul_ps(mw, _mm256_set1_ps(ar->aux[b].sa))));
  }
  const __m256 isum =
      _mm256_cvtepi32_ps(_mm256_sub_epi32(sums, _mm256_set1_epi32(ar->aux[b].corr)));
  if (f == FMT_Q4_0)
    return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(isum, dw), _mm256_set1_ps(da)));
  return _mm256_add_ps(acc, _mm256_mul_ps(isum, _mm256_mul_ps(dw, _mm256_set1_ps(da))));
}

/* s[g][r] += the block sums (plus bias * sum(a)) of G row groups' tiles at
 * q[g] against R activation blocks' quants at x + r * x_row. Each tile is
 * loaded once for the R rows, each broadcast once for the G groups. */
VNNI_INLINE void block_sums(enum vnni_fmt f, int G, int R, __m256i s[2][VNNI_TILE],
                            const uint8_t *const q[2], const uint8_t *x, size_t x_row) {
  if (f == FMT_Q8_0) {
#pragma GCC unroll 8
    for (int t = 0; t < 8; t++) {
      __m256i w[2];
#pragma GCC unroll 2
      for (int g = 0; g < G; g++)
        w[g] = _mm256_loadu_si256((const __m256i *)(const void *)(q[g] + 32 * t));
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) {
        const __m256i a = vnni_bcast4(x + (size_t)r * x_row, 4 * t);
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
          s[g][r] = _mm256_dpbusd_avx_epi32(s[g][r], w[g], a);
      }
    }
    return;
  }
#pragma GCC unroll 4
  for (int t = 0; t < 4; t++) {
    __m256i lo[2], hi[2];
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
      const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(q[g] + 32 * t));
      lo[g] = vnni_nibbles(v, 0);
      hi[g] = vnni_nibbles(v, 1);
      if (has_high(f)) {
        const __m256i H = _mm256_loadu_si256((const __m256i *)(const void *)(q[g] + 128));
        lo[g] = _mm256_or_si256(lo[g], vnni_fifth_bits(H, t, 0));
        hi[g] = _mm256_or_si256(hi[g], vnni_fifth_bits(H, t, 1));
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const __m256i al = vnni_bcast4(x + (size_t)r * x_row, 4 * t);
      const __m256i ah = vnni_bcast4(x + (size_t)r * x_row, 16 + 4 * t);
#pragma GCC unroll 2
      for (int g = 0; g < G; g++) {
        s[g][r] = _mm256_dpbusd_avx_epi32(s[g][r], lo[g], al);
        s[g][r] = _mm256_dpbusd_avx_epi32(s[g][r], hi[g], ah);
      }
    }
  }
}

/* (AVX2 only: the AVX-512 kernels share it.) */
INLINE_AVX2 void prepare(enum vnni_fmt f, void *act, const uint8_t *x, size_t x_row, int32_t n_rows,
                         int32_t b0, int32_t nbc) {
  act_row *rows = act;
  const __m256i ones = _mm256_set1_epi8(1);
  for (int32_t r = 0; r < n_rows; r++)
    for (int32_t b = 0; b < nbc; b++) {
      const uint8_t *blk = x + (size_t)r * x_row + (size_t)(b0 + b) * x_bytes(f);
      uint16_t h[2];
      memcpy(h, blk, 4);
      rows[r].da[b] = avx2_h2f(h[0]);
      if (has_min(f)) {
        rows[r].aux[b].sa = avx2_h2f(h[1]);
        continue;
      }
      const __m256i s =
          avx2_dot_u8s8(ones, _mm256_loadu_si256((const __m256i *)(const void *)(blk + 2)));
      rows[r].aux[b].corr = bias(f) * avx2_hsum_epi32(s);
    }
}

/* The tile (vnni_packed.h): acc[g][r] (lane i = row 8g + i) kept in
 * registers over the chunk's blocks. */
VNNI_INLINE void tile(enum vnni_fmt f, int G, int R, VNNI_TILE_PARAMS) {
  const act_row *ar = act;
  const size_t sc_bytes = has_min(f) ? 32 : 16; /* d (and m) of the 8 rows */
  __m256 acc[2][VNNI_TILE];
  const uint8_t *ws[2], *wq[2];
#pragma GCC unroll 2
  for (int g = 0; g < G; g++) {
    const uint8_t *grp = group + (size_t)g * group_bytes;
    ws[g] = grp + sc_bytes * (size_t)b0;
    wq[g] = grp + sc_bytes * (size_t)nb + tiles_bytes(f) * (size_t)b0;
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
      acc[g][r] =
          b0 ? _mm256_loadu_ps(y + (size_t)r * y_stride + 8 * (size_t)g) : _mm256_setzero_ps();
  }
  const uint8_t *xb = x + (size_t)b0 * x_bytes(f) + x_quants(f);
  for (int32_t b = 0; b < nbc; b++, xb += x_bytes(f)) {
    __m256i s[2][VNNI_TILE];
    vnni_zero(&s[0][0], 2 * VNNI_TILE);
    block_sums(f, G, R, s, wq, xb, x_row);
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)ws[g]));
      const __m256 mw =
          has_min(f) ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(ws[g] + 16)))
                     : dw;
      ws[g] += sc_bytes;
      wq[g] += tiles_bytes(f);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++)
        acc[g][r] = block_term(f, acc[g][r], s[g][r], dw, mw, ar[r].da[b], &ar[r], b);
    }
  }
#pragma GCC unroll 2
  for (int g = 0; g < G; g++)
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
      _mm256_storeu_ps(y + (size_t)r * y_stride + 8 * (size_t)g, acc[g][r]);
}

VNNI_DEFINE_KERNELS(q8_0, r8u, FMT_Q8_0, tile, GQCRT_QK, GQCRT_Q8_0_BYTES, GQCRT_Q8_0_BYTES)
VNNI_DEFINE_KERNELS(q4_0, r8, FMT_Q4_0, tile, GQCRT_QK, GQCRT_Q4_0_BYTES, GQCRT_Q8_0_BYTES)
VNNI_DEFINE_KERNELS(q4_1, r8, FMT_Q4_1, tile, GQCRT_QK, GQCRT_Q4_1_BYTES, GQCRT_Q8_1_BYTES)
VNNI_DEFINE_KERNELS(q5_0, r8, FMT_Q5_0, tile, GQCRT_QK, GQCRT_Q5_0_BYTES, GQCRT_Q8_0_BYTES)
VNNI_DEFINE_KERNELS(q5_1, r8, FMT_Q5_1, tile, GQCRT_QK, GQCRT_Q5_1_BYTES, GQCRT_Q8_1_BYTES)

/* ---- AVX-512 (vnni_packed.h) ------------------------------------------------ */

/* The tiles of G row groups at p and p + group_bytes side by side (G = 1:
 * the first twice). */
VNNI512_INLINE __m512i pair_load(const uint8_t *p, int G, size_t group_bytes) {
  const __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
  const __m256i hi =
      G == 2 ? _mm256_loadu_si256((const __m256i *)(const void *)(p + group_bytes)) : lo;
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* The eight f16 scales of each row group, as 16 floats. */
VNNI512_INLINE __m512 pair_scales(const uint8_t *p, int G, size_t group_bytes) {
  const __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p);
  const __m128i hi =
      G == 2 ? _mm_loadu_si128((const __m128i *)(const void *)(p + group_bytes)) : lo;
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1));
}

/* Four activation quants broadcast from memory (an EVEX embedded broadcast). */
VNNI512_INLINE __m512i bcast4_512(const uint8_t *xq, int k) {
  int32_t v;
  memcpy(&v, xq + k, 4);
  return _mm512_set1_epi32(v);
}

/* vnni_nibbles and vnni_fifth_bits on zmm. */
VNNI512_INLINE __m512i nibbles_512(__m512i w, int hi) {
  return VNNI_NIBBLES(512, w, hi);
}
VNNI512_INLINE __m512i fifth_bits_512(__m512i H, int t, int hi) {
  return VNNI_FIFTH_BITS(512, H, t, hi);
}

/* block_term on the 16 rows of a pair. */
VNNI512_INLINE __m512 block_term_512(enum vnni_fmt f, __m512 acc, __m512i sums, __m512 dw,
                                     __m512 mw, float da, const act_row *ar, int32_t b) {
  if (has_min(f)) {
    const __m512 isum = _mm512_cvtepi32_ps(sums);
    const __m512 dd = _mm512_mul_ps(dw, _mm512_set1_ps(da));
    return _mm512_add_ps(acc, _mm512_add_ps(_mm512_mul_ps(dd, isum),
                                            _mm512_mul_ps(mw, _mm512_set1_ps(ar->aux[b].sa))));
  }
  const __m512 isum =
      _mm512_cvtepi32_ps(_mm512_sub_epi32(sums, _mm512_set1_epi32(ar->aux[b].corr)));
  if (f == FMT_Q4_0)
    return _mm512_add_ps(acc, _mm512_mul_ps(_mm512_mul_ps(isum, dw), _mm512_set1_ps(da)));
  return _mm512_add_ps(acc, _mm512_mul_ps(isum, _mm512_mul_ps(dw, _mm512_set1_ps(da))));
}

/* s[r] += block_sums of the pair's tiles at q against R activation blocks. */
VNNI512_INLINE void block_sums_512(enum vnni_fmt f, int G, int R, __m512i s[VNNI512_TILE],
                                   const uint8_t *q, size_t group_bytes, const uint8_t *x,
                                   size_t x_row) {
  if (f == FMT_Q8_0) {
#pragma GCC unroll 8
    for (int t = 0; t < 8; t++) {
      const __m512i w = pair_load(q + 32 * t, G, group_bytes);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        s[r] = _mm512_dpbusd_epi32(s[r], w, bcast4_512(x + (size_t)r * x_row, 4 * t));
    }
    return;
  }
#pragma GCC unroll 4
  for (int t = 0; t < 4; t++) {
    const __m512i v = pair_load(q + 32 * t, G, group_bytes);
    __m512i lo = nibbles_512(v, 0), hi = nibbles_512(v, 1);
    if (has_high(f)) {
      const __m512i H = pair_load(q + 128, G, group_bytes);
      lo = _mm512_or_si512(lo, fifth_bits_512(H, t, 0));
      hi = _mm512_or_si512(hi, fifth_bits_512(H, t, 1));
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      s[r] = _mm512_dpbusd_epi32(s[r], lo, bcast4_512(x + (size_t)r * x_row, 4 * t));
      s[r] = _mm512_dpbusd_epi32(s[r], hi, bcast4_512(x + (size_t)r * x_row, 16 + 4 * t));
    }
  }
}

/* The zmm tile: acc[r] (lane i = row i of the pair) kept in registers over
 * the chunk's blocks; G = 1 loads and stores only the first eight. */
VNNI512_INLINE void tile512(enum vnni_fmt f, int G, int R, VNNI_TILE_PARAMS) {
  const act_row *ar = act;
  const size_t sc_bytes = has_min(f) ? 32 : 16; /* d (and m) of the 8 rows */
  const __mmask16 out = G == 2 ? 0xFFFF : 0x00FF;
  const uint8_t *ws = group + sc_bytes * (size_t)b0;
  const uint8_t *wq = group + sc_bytes * (size_t)nb + tiles_bytes(f) * (size_t)b0;
  __m512 acc[VNNI512_TILE];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    acc[r] = b0 ? _mm512_maskz_loadu_ps(out, y + (size_t)r * y_stride) : _mm512_setzero_ps();
  const uint8_t *xb = x + (size_t)b0 * x_bytes(f) + x_quants(f);
  for (int32_t b = 0; b < nbc; b++, xb += x_bytes(f), ws += sc_bytes, wq += tiles_bytes(f)) {
    __m512i s[VNNI512_TILE];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      s[r] = _mm512_setzero_si512();
    block_sums_512(f, G, R, s, wq, group_bytes, xb, x_row);
    const __m512 dw = pair_scales(ws, G, group_bytes);
    const __m512 mw = has_min(f) ? pair_scales(ws + 16, G, group_bytes) : dw;
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      acc[r] = block_term_512(f, acc[r], s[r], dw, mw, ar[r].da[b], &ar[r], b);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    _mm512_mask_storeu_ps(y + (size_t)r * y_stride, out, acc[r]);
}

VNNI512_DEFINE_KERNELS(q8_0, r8u, FMT_Q8_0, tile512, GQCRT_QK, GQCRT_Q8_0_BYTES, GQCRT_Q8_0_BYTES)
VNNI512_DEFINE_KERNELS(q4_0, r8, FMT_Q4_0, tile512, GQCRT_QK, GQCRT_Q4_0_BYTES, GQCRT_Q8_0_BYTES)
VNNI512_DEFINE_KERNELS(q4_1, r8, FMT_Q4_1, tile512, GQCRT_QK, GQCRT_Q4_1_BYTES, GQCRT_Q8_1_BYTES)
VNNI512_DEFINE_KERNELS(q5_0, r8, FMT_Q5_0, tile512, GQCRT_QK, GQCRT_Q5_0_BYTES, GQCRT_Q8_0_BYTES)
VNNI512_DEFINE_KERNELS(q5_1, r8, FMT_Q5_1, tile512, GQCRT_QK, GQCRT_Q5_1_BYTES, GQCRT_Q8_1_BYTES)

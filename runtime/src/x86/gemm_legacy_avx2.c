/* gemm_legacy_avx2.c — AVX2 gemm kernels (batched prefill) for the 32-element
 * encodings q4_0, q5_0, q8_0 (activation q8_0) and q4_1, q5_1 (activation
 * q8_1): gqcrt_gemm_<enc>_avx2.
 *
 * What must not change
 *
 * Every output element must be bit for bit what gqcrt_linear_<enc>_avx2
 * (linear_legacy_avx2.c) gives for its activation row. That kernel keeps one
 * 8-lane f32 accumulator per output row and, block by block in order, adds
 *   acc = fma(broadcast(dw * da), cvt(lanes), acc)
 * where lane j of `lanes` is the exact int32 sum of the products of quants
 * 4j .. 4j+3 of the block (maddubs then madd against ones); at the end
 * y = hsum(acc) (+ sum of mw * sa in block order for q4_1/q5_1). The integer
 * lanes are exact whatever instructions form them, and IEEE products and
 * fmas give the same bits wherever they are computed, so this file keeps
 * exactly that per-(row, activation row) chain and changes only how the work
 * is shared:
 *
 *  - a weight block is loaded and expanded (nibbles, fifth bits, offset, and
 *    the |w| of the sign trick) once for TILE activation rows, each with its
 *    own accumulator; TILE independent FMA chains also hide the FMA latency
 *    that bounds the single-chain matrix-vector loop;
 *  - the activation tile is copied once per weight chunk into a
 *    block-interleaved, 32-byte aligned buffer (the 34- and 36-byte blocks
 *    put every other quant load across a cache line), with its scales
 *    converted to f32;
 *  - the f16 weight scales are converted once per chunk, and the products
 *    dw * da (the same multiplication, eight rows at a time) go to a small
 *    table the block loop broadcasts from;
 *  - weight rows are walked in chunks of about CHUNK_BYTES, all activation
 *    tiles passing over a chunk while it is in the L1 cache.
 * The buffers live on the stack (about 50 KB, sized for n_in up to
 * MAX_BLOCKS blocks, 4096 elements); longer rows and single rows go to the
 * matrix-vector kernel row by row (gemm_common.h), which is exact too.
 * FunctionGemma shapes (640 x 2048, 2048 x 640), best of several runs on the
 * shared host (benchmarks/bench_gemm): Q8_0 1.4-1.8x faster per token than
 * one matrix-vector call per token at 8 to 32 rows, Q4_0 2.0-2.3x, Q5_0
 * 2.4-2.7x. The bound is the multiplier ports: per activation row and block
 * maddubs, madd and the FMA remain, against the weight expansion and scale
 * conversions they no longer share with.
 */
#include <stddef.h>

#include "avx2_helpers.h"
#include "blocks.h"
#include "gemm_common.h"
#include "gqcrt.h"
#include "rt_libc.h"

enum { TILE = 8, MAX_BLOCKS = 128, CHUNK_BYTES = 16384 };
/* Weight scales of one chunk: whole rows of at most CHUNK_BYTES, or one
 * longer row. */
enum { CHUNK_SCALES = CHUNK_BYTES / GQCRT_Q4_0_BYTES + MAX_BLOCKS };

enum legacy_fmt { FMT_Q4_0, FMT_Q4_1, FMT_Q5_0, FMT_Q5_1, FMT_Q8_0 };

static inline size_t w_block_bytes(enum legacy_fmt f) {
  return f == FMT_Q4_0   ? GQCRT_Q4_0_BYTES
         : f == FMT_Q4_1 ? GQCRT_Q4_1_BYTES
         : f == FMT_Q5_0 ? GQCRT_Q5_0_BYTES
         : f == FMT_Q5_1 ? GQCRT_Q5_1_BYTES
                         : GQCRT_Q8_0_BYTES;
}

/* q4_1 and q5_1: a min per block, q8_1 activations (d, s, qs). */
static inline int has_min(enum legacy_fmt f) {
  return f == FMT_Q4_1 || f == FMT_Q5_1;
}

INLINE_AVX2 float load_h2f(const uint8_t *p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return avx2_h2f(h);
}

/* 32 bits -> 0x10 in byte i where bit i of qh is set. */
INLINE_AVX2 __m256i fifth_bits(const uint8_t *qh) {
  uint32_t bits;
  memcpy(&bits, qh, 4);
  return _mm256_and_si256(avx2_bits_to_bytes(bits), _mm256_set1_epi8(0x10));
}

/* A weight block as the two operands of maddubs: *u the unsigned bytes and
 * *sgn the signs to put on the activation quants (formats with signed
 * quants: |w| and w, the sign trick of avx2_dot_s8s8); the quants are in
 * element order, as linear_legacy_avx2.c expands them. */
INLINE_AVX2 void expand(enum legacy_fmt f, const uint8_t *b, __m256i *u, __m256i *sgn) {
  __m256i w;
  switch (f) {
  case FMT_Q8_0:
    w = avx2_loadu(b + 2);
    break;
  case FMT_Q4_0:
    w = _mm256_sub_epi8(avx2_nibbles_32(b + 2), _mm256_set1_epi8(8));
    break;
  case FMT_Q5_0:
    w = _mm256_sub_epi8(_mm256_or_si256(avx2_nibbles_32(b + 6), fifth_bits(b + 2)),
                        _mm256_set1_epi8(16));
    break;
  case FMT_Q4_1:
    *u = avx2_nibbles_32(b + 4);
    *sgn = *u;
    return;
  default: /* FMT_Q5_1 */
    *u = _mm256_or_si256(avx2_nibbles_32(b + 8), fifth_bits(b + 4));
    *sgn = *u;
    return;
  }
  *u = _mm256_sign_epi8(w, w);
  *sgn = w;
}

/* The block's 8 exact int32 lanes against activation quants a, as f32. */
INLINE_AVX2 __m256 block_lanes(enum legacy_fmt f, __m256i u, __m256i sgn, __m256i a) {
  if (!has_min(f))
    a = _mm256_sign_epi8(a, sgn);
  return _mm256_cvtepi32_ps(avx2_dot_u8s8(u, a));
}

/* An activation tile of TILE rows, block-interleaved and aligned: quants of
 * block i of row r at q[i][r], its da (and q8_1's sa) at da[i][r]. */
typedef struct {
  _Alignas(32) int8_t q[MAX_BLOCKS][TILE][32];
  _Alignas(32) float da[MAX_BLOCKS][TILE];
  _Alignas(32) float sa[MAX_BLOCKS][TILE];
} act_tile;

INLINE_AVX2 void load_tile(enum legacy_fmt f, act_tile *t, int R, const uint8_t *x, size_t x_row,
                           int32_t nb) {
  const size_t XB = has_min(f) ? GQCRT_Q8_1_BYTES : GQCRT_Q8_0_BYTES, XQ = has_min(f) ? 4 : 2;
  for (int32_t i = 0; i < nb; ++i)
    for (int r = 0; r < TILE; ++r) {
      const uint8_t *b = x + (size_t)(r < R ? r : 0) * x_row + (size_t)i * XB;
      _mm256_store_si256((__m256i *)t->q[i][r], avx2_loadu(b + XQ));
      t->da[i][r] = load_h2f(b);
      if (has_min(f))
        t->sa[i][r] = load_h2f(b + 2);
    }
}

/* Output rows [0, n_out) of a weight chunk for the R (1..TILE) activation
 * rows of tile t; dwc holds the chunk's weight scales (row o at o * nb). */
INLINE_AVX2 void gemm_chunk(enum legacy_fmt f, int R, float *y, int32_t y_stride, const uint8_t *w,
                            int32_t n_out, const act_tile *t, const float *dwc, const float *mwc,
                            int32_t nb) {
  const size_t WB = w_block_bytes(f);
  _Alignas(32) float dp[MAX_BLOCKS][TILE];
  for (int32_t o = 0; o < n_out; ++o) {
    const uint8_t *wr = w + (size_t)o * (size_t)nb * WB;
    const float *dw = dwc + (size_t)o * (size_t)nb;
    /* dp[i][r] = dw * da: the matrix-vector kernel's scale product */
    for (int32_t i = 0; i < nb; ++i)
      _mm256_store_ps(dp[i], _mm256_mul_ps(_mm256_broadcast_ss(&dw[i]), _mm256_load_ps(t->da[i])));
    __m256 acc[TILE];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
      acc[r] = _mm256_setzero_ps();
    for (int32_t i = 0; i < nb; ++i) {
      __m256i u, sgn;
      expand(f, wr + (size_t)i * WB, &u, &sgn);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
        acc[r] = _mm256_fmadd_ps(
            _mm256_broadcast_ss(&dp[i][r]),
            block_lanes(f, u, sgn, _mm256_load_si256((const __m256i *)t->q[i][r])), acc[r]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float s = avx2_hsum_ps(acc[r]);
      if (has_min(f)) {
        const float *mw = mwc + (size_t)o * (size_t)nb;
        float mins = 0.0f;
        for (int32_t i = 0; i < nb; ++i)
          mins += mw[i] * t->sa[i][r];
        s = s + mins;
      }
      y[(size_t)r * (size_t)y_stride + (size_t)o] = s;
    }
  }
}

INLINE_AVX2 void gemm_legacy(enum legacy_fmt f, float *y, int32_t y_stride, const void *w,
                             const void *x, int32_t n_in, int32_t n_out, int32_t n_rows) {
  const int32_t nb = n_in / GQCRT_QK;
  const size_t WB = w_block_bytes(f), w_row = (size_t)nb * WB;
  const size_t x_row = (size_t)nb * (has_min(f) ? GQCRT_Q8_1_BYTES : GQCRT_Q8_0_BYTES);
  act_tile t;
  float dwc[CHUNK_SCALES], mwc[CHUNK_SCALES];
  int32_t chunk = (int32_t)(CHUNK_BYTES / (w_row ? w_row : 1));
  chunk = chunk < 1 ? 1 : chunk;
  for (int32_t o = 0; o < n_out; o += chunk) {
    const int32_t n_rows_chunk = n_out - o < chunk ? n_out - o : chunk;
    const uint8_t *wc = (const uint8_t *)w + (size_t)o * w_row;
    for (size_t i = 0; i < (size_t)n_rows_chunk * (size_t)nb; ++i) {
      dwc[i] = load_h2f(wc + i * WB);
      if (has_min(f))
        mwc[i] = load_h2f(wc + i * WB + 2);
    }
    for (int32_t r = 0, R; r < n_rows; r += R) {
      R = gqcrt_gemm_next_tile(n_rows - r, TILE);
      float *yt = y + (size_t)r * (size_t)y_stride + (size_t)o;
      load_tile(f, &t, R, (const uint8_t *)x + (size_t)r * x_row, x_row, nb);
      switch (R) {
#define GEMM_CASE(n)                                                                               \
  case n:                                                                                          \
    gemm_chunk(f, n, yt, y_stride, wc, n_rows_chunk, &t, dwc, mwc, nb);                            \
    break;
        GEMM_CASE(1)
        GEMM_CASE(2)
        GEMM_CASE(3)
        GEMM_CASE(4)
        GEMM_CASE(5)
        GEMM_CASE(6)
        GEMM_CASE(7)
      default:
        gemm_chunk(f, TILE, yt, y_stride, wc, n_rows_chunk, &t, dwc, mwc, nb);
        break;
#undef GEMM_CASE
      }
    }
  }
}

#define DEFINE_GEMM(enc, aenc, FMT)                                                                \
  GQCRT_AVX2 void gqcrt_gemm_##enc##_avx2(float *y, int32_t y_stride, const void *w,               \
                                          const void *x, int32_t n_in, int32_t n_out,              \
                                          int32_t n_rows) {                                        \
    if (n_rows == 1 || n_in / GQCRT_QK > MAX_BLOCKS) {                                             \
      gqcrt_gemm_rowwise(gqcrt_linear_##enc##_avx2, y, y_stride, w, x, n_in, n_out, n_rows,        \
                         GQCRT_WEIGHT_ROW_BYTES(enc, n_in), GQCRT_ACT_ROW_BYTES(aenc, n_in), 1);   \
      return;                                                                                      \
    }                                                                                              \
    gemm_legacy(FMT, y, y_stride, w, x, n_in, n_out, n_rows);                                      \
  }

DEFINE_GEMM(q4_0, q8_0, FMT_Q4_0)
DEFINE_GEMM(q4_1, q8_1, FMT_Q4_1)
DEFINE_GEMM(q5_0, q8_0, FMT_Q5_0)
DEFINE_GEMM(q5_1, q8_1, FMT_Q5_1)
DEFINE_GEMM(q8_0, q8_0, FMT_Q8_0)

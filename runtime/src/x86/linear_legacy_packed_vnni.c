/* linear_legacy_packed_vnni.c — x86-64 AVX-VNNI linear and gemm kernels for
 * Q8_0 and Q4_0 weights in the r8 layouts (runtime/src/pack_legacy.c),
 * against Q8_0 activations: gqcrt_{linear,gemm}_{q8_0_r8u,q4_0_r8}_avxvnni.
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
 *               and a shift for the high ones): sum q a = isum + 8 sum(a).
 * sum(a) is a property of the activation block, computed once per call for
 * every block (CHUNK at a time, with the block's f32 scale, on the stack),
 * so the correction is one subtraction per row group and block.
 *
 * The numbers
 *
 * With isum exact, the float part repeats the portable kernels' operations
 * (runtime/src/linear_legacy.c) in their order, without FMA, for eight rows
 * at once:
 *   Q8_0  acc += isum * (dw * da)          Q4_0  acc += (isum * dw) * da
 * so these kernels give bit for bit what gqcrt_linear_q8_0_scalar and _q4_0
 * give — and what the NEON kernels give on the board (they repeat the same
 * chain): an x86 build and an AArch64 build of one model compute the same
 * logits. They are not the plain AVX2 kernels' numbers (those follow
 * llama.cpp's x86 summation order); a weight read through these is read
 * through them by every linear, so decoding and prefill agree.
 *
 * The gemm takes TILE activation rows per row group: each tile is loaded
 * once for the TILE rows, and its partial sums are what the matrix-vector
 * kernel computes for each row. The matrix-vector kernel takes two row
 * groups per step, so each broadcast activation dword serves both.
 */
#include <immintrin.h>
#include <stddef.h>

#include "avx2_helpers.h"
#include "gemm_common.h"
#include "gqcrt.h"
#include "rt_libc.h"

#define VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))
#define VNNI_INLINE VNNI static inline __attribute__((always_inline))

enum vnni_fmt { FMT_Q4_0, FMT_Q8_0 };
enum { CHUNK = 64, TILE = 4, ROWS_PER_PASS = 8 * TILE };

/* The bias of the unsigned weight bytes (their sum picks up bias * sum(a)). */
VNNI_INLINE int32_t bias(enum vnni_fmt f) {
  return f == FMT_Q8_0 ? 128 : 8;
}

/* Bytes of one block's quant tiles for the 8 rows. */
VNNI_INLINE size_t tiles_bytes(enum vnni_fmt f) {
  return f == FMT_Q8_0 ? 256 : 128;
}

/* Four activation quants (elements k .. k+3 of the block at xq) in every
 * lane. */
VNNI_INLINE __m256i bcast4(const uint8_t *xq, int k) {
  int32_t v;
  memcpy(&v, xq + k, 4);
  return _mm256_set1_epi32(v);
}

/* acc + the block's term: sums the 8 rows' block sums plus corr = bias *
 * sum(a) (exact), dw the 8 rows' scales, da the activation's. */
VNNI_INLINE __m256 block_term(enum vnni_fmt f, __m256 acc, __m256i sums, int32_t corr, __m256 dw,
                              float da) {
  const __m256 isum = _mm256_cvtepi32_ps(_mm256_sub_epi32(sums, _mm256_set1_epi32(corr)));
  if (f == FMT_Q8_0)
    return _mm256_add_ps(acc, _mm256_mul_ps(isum, _mm256_mul_ps(dw, _mm256_set1_ps(da))));
  return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(isum, dw), _mm256_set1_ps(da)));
}

/* s[g][r] += the block sums (plus bias * sum(a)) of G row groups' tiles at
 * q[g] against R activation blocks' quants at x + r * x_row. Each tile is
 * loaded once for the R rows, each broadcast once for the G groups. */
VNNI_INLINE void block_sums(enum vnni_fmt f, int G, int R, __m256i s[2][TILE],
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
        const __m256i a = bcast4(x + (size_t)r * x_row, 4 * t);
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
          s[g][r] = _mm256_dpbusd_avx_epi32(s[g][r], w[g], a);
      }
    }
    return;
  }
  const __m256i m = _mm256_set1_epi8(0x0F);
#pragma GCC unroll 4
  for (int t = 0; t < 4; t++) {
    __m256i lo[2], hi[2];
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
      const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(q[g] + 32 * t));
      lo[g] = _mm256_and_si256(v, m);
      hi[g] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const __m256i al = bcast4(x + (size_t)r * x_row, 4 * t);
      const __m256i ah = bcast4(x + (size_t)r * x_row, 16 + 4 * t);
#pragma GCC unroll 2
      for (int g = 0; g < G; g++) {
        s[g][r] = _mm256_dpbusd_avx_epi32(s[g][r], lo[g], al);
        s[g][r] = _mm256_dpbusd_avx_epi32(s[g][r], hi[g], ah);
      }
    }
  }
}

/* The activation rows' per-block data, CHUNK blocks at a time. */
typedef struct act_chunk {
  float da[ROWS_PER_PASS][CHUNK];  /* the block's scale */
  int32_t corr[ROWS_PER_PASS][CHUNK]; /* bias * the sum of its quants */
} act_chunk;

VNNI static void load_chunk(enum vnni_fmt f, act_chunk *c, const uint8_t *x, size_t x_row,
                            int32_t n_rows, int32_t b0, int32_t nbc) {
  const __m256i ones = _mm256_set1_epi8(1);
  for (int32_t r = 0; r < n_rows; r++)
    for (int32_t b = 0; b < nbc; b++) {
      const uint8_t *blk = x + (size_t)r * x_row + (size_t)(b0 + b) * GQCRT_Q8_0_BYTES;
      uint16_t h;
      memcpy(&h, blk, 2);
      c->da[r][b] = avx2_h2f(h);
      const __m256i s = _mm256_dpbusd_avx_epi32(
          _mm256_setzero_si256(), ones, _mm256_loadu_si256((const __m256i *)(const void *)(blk + 2)));
      c->corr[r][b] = bias(f) * avx2_hsum_epi32(s);
    }
}

/* G row groups (group_bytes apart) from `group`, blocks [b0, b0 + nbc) of
 * nb, against R activation rows from x (their per-block data at da and corr,
 * CHUNK apart): acc[g][r] (lane i = row 8g + i) from y (rows y_stride apart)
 * or zero when b0 == 0, and back. */
VNNI_INLINE void tile(enum vnni_fmt f, int G, int R, float *y, size_t y_stride,
                      const uint8_t *group, size_t group_bytes, const uint8_t *x, size_t x_row,
                      const float *da, const int32_t *corr, int32_t nb, int32_t b0,
                      int32_t nbc) {
  __m256 acc[2][TILE];
  const uint8_t *ws[2], *wq[2];
#pragma GCC unroll 2
  for (int g = 0; g < G; g++) {
    const uint8_t *grp = group + (size_t)g * group_bytes;
    ws[g] = grp + 16 * (size_t)b0;
    wq[g] = grp + 16 * (size_t)nb + tiles_bytes(f) * (size_t)b0;
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
      acc[g][r] =
          b0 ? _mm256_loadu_ps(y + (size_t)r * y_stride + 8 * (size_t)g) : _mm256_setzero_ps();
  }
  const uint8_t *xb = x + (size_t)b0 * GQCRT_Q8_0_BYTES + 2;
  for (int32_t b = 0; b < nbc; b++, xb += GQCRT_Q8_0_BYTES) {
    __m256i s[2][TILE];
#pragma GCC unroll 2
    for (int g = 0; g < G; g++)
#pragma GCC unroll 4
      for (int r = 0; r < R; r++)
        s[g][r] = _mm256_setzero_si256();
    block_sums(f, G, R, s, wq, xb, x_row);
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)ws[g]));
      ws[g] += 16;
      wq[g] += tiles_bytes(f);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++)
        acc[g][r] = block_term(f, acc[g][r], s[g][r], corr[r * CHUNK + b], dw, da[r * CHUNK + b]);
    }
  }
#pragma GCC unroll 2
  for (int g = 0; g < G; g++)
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
      _mm256_storeu_ps(y + (size_t)r * y_stride + 8 * (size_t)g, acc[g][r]);
}

/* y (rows y_stride apart) for n_rows activation rows and every row group. */
VNNI_INLINE void run(enum vnni_fmt f, float *y, size_t y_stride, const void *w, const void *x,
                     int32_t n_in, int32_t n_out, int32_t n_rows) {
  const int32_t nb = n_in / GQCRT_QK;
  const size_t x_row = (size_t)nb * GQCRT_Q8_0_BYTES;
  const size_t group_bytes =
      8 * (size_t)nb * (f == FMT_Q8_0 ? GQCRT_Q8_0_BYTES : GQCRT_Q4_0_BYTES);
  act_chunk c;
  for (int32_t r0 = 0; r0 < n_rows; r0 += ROWS_PER_PASS) {
    const int32_t nr = n_rows - r0 < ROWS_PER_PASS ? n_rows - r0 : ROWS_PER_PASS;
    const uint8_t *xr = (const uint8_t *)x + (size_t)r0 * x_row;
    float *yr = y + (size_t)r0 * y_stride;
    for (int32_t b0 = 0; b0 < nb; b0 += CHUNK) {
      const int32_t nbc = nb - b0 < CHUNK ? nb - b0 : CHUNK;
      load_chunk(f, &c, xr, x_row, nr, b0, nbc);
      if (nr == 1) { /* the matrix-vector case: two row groups per step */
        int32_t o = 0;
        for (; o + 16 <= n_out; o += 16)
          tile(f, 2, 1, yr + o, y_stride, (const uint8_t *)w + (size_t)(o / 8) * group_bytes,
               group_bytes, xr, x_row, c.da[0], c.corr[0], nb, b0, nbc);
        if (o + 8 <= n_out)
          tile(f, 1, 1, yr + o, y_stride, (const uint8_t *)w + (size_t)(o / 8) * group_bytes,
               group_bytes, xr, x_row, c.da[0], c.corr[0], nb, b0, nbc);
        continue;
      }
      for (int32_t o = 0; o + 8 <= n_out; o += 8) {
        const uint8_t *group = (const uint8_t *)w + (size_t)(o / 8) * group_bytes;
        for (int32_t r = 0, n; r < nr; r += n) {
          n = gqcrt_gemm_next_tile(nr - r, TILE);
          float *yt = yr + (size_t)r * y_stride + o;
          const uint8_t *xt = xr + (size_t)r * x_row;
          switch (n) {
#define TILE_CASE(k)                                                                               \
  case k:                                                                                          \
    tile(f, 1, k, yt, y_stride, group, group_bytes, xt, x_row, c.da[r], c.corr[r], nb, b0, nbc);   \
    break;
            TILE_CASE(1)
            TILE_CASE(2)
            TILE_CASE(3)
          default:
            tile(f, 1, TILE, yt, y_stride, group, group_bytes, xt, x_row, c.da[r], c.corr[r], nb,
                 b0, nbc);
            break;
#undef TILE_CASE
          }
        }
      }
    }
  }
}

VNNI void gqcrt_linear_q8_0_r8u_avxvnni(float *y, const void *w, const void *x, int32_t n_in,
                                         int32_t n_out) {
  run(FMT_Q8_0, y, 0, w, x, n_in, n_out, 1);
}

VNNI void gqcrt_gemm_q8_0_r8u_avxvnni(float *y, int32_t y_stride, const void *w, const void *x,
                                       int32_t n_in, int32_t n_out, int32_t n_rows) {
  run(FMT_Q8_0, y, (size_t)y_stride, w, x, n_in, n_out, n_rows);
}

VNNI void gqcrt_linear_q4_0_r8_avxvnni(float *y, const void *w, const void *x, int32_t n_in,
                                        int32_t n_out) {
  run(FMT_Q4_0, y, 0, w, x, n_in, n_out, 1);
}

VNNI void gqcrt_gemm_q4_0_r8_avxvnni(float *y, int32_t y_stride, const void *w, const void *x,
                                      int32_t n_in, int32_t n_out, int32_t n_rows) {
  run(FMT_Q4_0, y, (size_t)y_stride, w, x, n_in, n_out, n_rows);
}

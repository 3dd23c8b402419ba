/* vnni_packed.h — what the AVX-VNNI kernels on the r8 layouts share
 * (linear_legacy_packed_vnni.c, linear_kquants_packed_vnni.c): the target
 * attribute, the broadcast of four activation quants, and the loops that
 * walk a gemm (or a matrix-vector product, one activation row) over the
 * weights' row groups.
 *
 * The walk
 *
 * Activation rows go in passes of up to VNNI_ROWS_PER_PASS, and the blocks
 * of a row in chunks of the format's `chunk` blocks. For each pass and chunk
 * the format first prepares what it needs per activation block (its scale,
 * sums of its quants for the bias or min terms) into `act`, one record of
 * act_row_bytes per activation row; then every row group (8 weight rows)
 * takes the chunk against the pass's rows, VNNI_TILE activation rows at a
 * time, so a row group's chunk is read from memory once per pass and from
 * the L1 cache for the other tiles. One activation row (decoding) takes two
 * row groups per call instead, so each broadcast activation dword serves
 * 16 weight rows. A tile function is the format's always-inline body with
 * the row group and activation row counts as constants
 * (VNNI_DEFINE_KERNELS).
 *
 * AVX-512
 *
 * Where the CPU has AVX-512 VNNI (with F, BW and VL: Ice Lake, Sapphire
 * Rapids, Zen 4 and later) the same layouts go through zmm registers: two
 * row groups side by side in one register (a 32-byte tile of each), so one
 * VPDPBUSD serves 16 weight rows, and its activation operand is a dword
 * broadcast straight from memory (EVEX embedded broadcast: no separate
 * broadcast instruction). A tile takes up to VNNI512_TILE activation rows
 * against the pair, gemm and matrix-vector product alike; a last single row
 * group (n_out not a multiple of 16) runs through the same body with the
 * second half a copy of the first and only the first eight outputs stored.
 * Lane i of the low half is row 8g + i as before, so every operation per
 * row is the 256-bit kernel's, in its order: the numbers are bit for bit
 * the same (VNNI512_DEFINE_KERNELS).
 */
#ifndef GQCRT_X86_VNNI_PACKED_H
#define GQCRT_X86_VNNI_PACKED_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "avx2_helpers.h"
#include "gemm_common.h"
#include "rt_libc.h"

#define VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))
#define VNNI_INLINE VNNI static inline __attribute__((always_inline))
#define VNNI512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define VNNI512_INLINE VNNI512 static inline __attribute__((always_inline))
/* The helpers below need only AVX2, so they inline into kernels of either
 * target (and into the K-quant kernels compiled a second time for EVEX,
 * linear_kquants_packed_vnni512.c). */
#define VNNI_BASE_INLINE                                                                           \
  __attribute__((target("avx2,fma,f16c"))) static inline __attribute__((always_inline))

enum { VNNI_TILE = 4, VNNI512_TILE = 8, VNNI_ROWS_PER_PASS = 8 * VNNI_TILE };

/* Four activation quants (elements k .. k+3 of the quants at xq) in every
 * dword lane. */
VNNI_BASE_INLINE __m256i vnni_bcast4(const uint8_t *xq, int k) {
  int32_t v;
  memcpy(&v, xq + k, 4);
  return _mm256_set1_epi32(v);
}

/* The low (hi = 0) or high nibbles of the bytes of w, a vector of W bits
 * (256 or 512). */
#define VNNI_NIBBLES(W, w, hi)                                                                     \
  _mm##W##_and_si##W((hi) ? _mm##W##_srli_epi16(w, 4) : (w), _mm##W##_set1_epi8(0x0F))

/* The fifth bits of nibble tile t's low (hi = 0) or high nibbles (t =
 * 0..3), at bit 4 of each byte, from their vector H (bits t and 4 + t of
 * each byte, runtime/src/pack_common.h), W bits wide. The 16-bit shifts
 * move no bit that lands on bit 4 across a byte boundary. */
#define VNNI_FIFTH_BITS(W, H, t, hi)                                                               \
  _mm##W##_and_si##W((hi) ? ((t) ? _mm##W##_srli_epi16(H, t) : (H))                                \
                          : _mm##W##_slli_epi16(H, 4 - (t)),                                       \
                     _mm##W##_set1_epi8(0x10))

VNNI_BASE_INLINE __m256i vnni_nibbles(__m256i w, int hi) {
  return VNNI_NIBBLES(256, w, hi);
}
VNNI_BASE_INLINE __m256i vnni_fifth_bits(__m256i H, int t, int hi) {
  return VNNI_FIFTH_BITS(256, H, t, hi);
}

/* v[0..n) = 0. */
VNNI_BASE_INLINE void vnni_zero(__m256i *v, int n) {
#pragma GCC unroll 8
  for (int i = 0; i < n; i++)
    v[i] = _mm256_setzero_si256();
}

/* One tile: blocks [b0, b0 + nbc) of nb of the row group(s) from `group`
 * (group_bytes apart) against activation rows from x (x_row apart; their
 * prepared records from act), into y (rows y_stride apart, the group's
 * eight outputs at y + 8g): accumulated onto y, or from zero when b0 == 0. */
#define VNNI_TILE_PARAMS                                                                           \
  float *y, size_t y_stride, const uint8_t *group, size_t group_bytes, const uint8_t *x,           \
      size_t x_row, const void *act, int32_t nb, int32_t b0, int32_t nbc
#define VNNI_TILE_ARGS y, y_stride, group, group_bytes, x, x_row, act, nb, b0, nbc
typedef void (*vnni_tile_fn)(VNNI_TILE_PARAMS);

typedef struct vnni_format {
  int32_t block_elems;  /* elements per block */
  size_t w_block_bytes; /* GGUF bytes of a weight block */
  size_t x_block_bytes; /* bytes of an activation block */
  int32_t chunk;        /* blocks per chunk */
  size_t act_row_bytes; /* bytes of one activation row's record */
  /* Prepares the records of n_rows activation rows for blocks [b0, b0 + nbc). */
  void (*prepare)(void *act, const uint8_t *x, size_t x_row, int32_t n_rows, int32_t b0,
                  int32_t nbc);
  /* pairs[i]: 2 row groups x (i + 1) activation rows, for i < pair_rows;
   * used for every activation row count when pair_rows > 1, else only for
   * one activation row (matrix-vector) */
  int32_t pair_rows;
  vnni_tile_fn pairs[VNNI512_TILE];
  int32_t single_rows; /* singles[i]: 1 row group x (i + 1) activation rows */
  vnni_tile_fn singles[VNNI_TILE];
} vnni_format;

/* The nr activation rows from x through tiles of up to `tile` rows each
 * (fns[n - 1] takes n), against the row group(s) at group. */
static inline void vnni_tiles(const vnni_tile_fn *fns, int32_t tile, float *y, size_t y_stride,
                              const uint8_t *group, size_t group_bytes, const uint8_t *x,
                              size_t x_row, const void *act, size_t act_row_bytes, int32_t nr,
                              int32_t nb, int32_t b0, int32_t nbc) {
  for (int32_t r = 0, n; r < nr; r += n) {
    n = gqcrt_gemm_next_tile(nr - r, tile);
    fns[n - 1](y + (size_t)r * y_stride, y_stride, group, group_bytes, x + (size_t)r * x_row, x_row,
               (const uint8_t *)act + (size_t)r * act_row_bytes, nb, b0, nbc);
  }
}

/* y (rows y_stride apart) = the n_rows activation rows at x against the
 * packed weights w, every row group; act holds VNNI_ROWS_PER_PASS records. */
static inline void vnni_run(const vnni_format *f, void *act, float *y, size_t y_stride,
                            const void *w, const void *x, int32_t n_in, int32_t n_out,
                            int32_t n_rows) {
  const int32_t nb = n_in / f->block_elems;
  const size_t x_row = (size_t)nb * f->x_block_bytes;
  const size_t group_bytes = 8 * (size_t)nb * f->w_block_bytes;
  const uint8_t *wb = w;
  for (int32_t r0 = 0; r0 < n_rows; r0 += VNNI_ROWS_PER_PASS) {
    const int32_t nr = n_rows - r0 < VNNI_ROWS_PER_PASS ? n_rows - r0 : VNNI_ROWS_PER_PASS;
    const uint8_t *xr = (const uint8_t *)x + (size_t)r0 * x_row;
    float *yr = y + (size_t)r0 * y_stride;
    for (int32_t b0 = 0; b0 < nb; b0 += f->chunk) {
      const int32_t nbc = nb - b0 < f->chunk ? nb - b0 : f->chunk;
      f->prepare(act, xr, x_row, nr, b0, nbc);
      int32_t o = 0;
      if (nr == 1 || f->pair_rows > 1)
        for (; o + 16 <= n_out; o += 16)
          vnni_tiles(f->pairs, f->pair_rows, yr + o, y_stride, wb + (size_t)(o / 8) * group_bytes,
                     group_bytes, xr, x_row, act, f->act_row_bytes, nr, nb, b0, nbc);
      for (; o + 8 <= n_out; o += 8)
        vnni_tiles(f->singles, f->single_rows, yr + o, y_stride, wb + (size_t)(o / 8) * group_bytes,
                   group_bytes, xr, x_row, act, f->act_row_bytes, nr, nb, b0, nbc);
    }
  }
}

/* y[0..8) = (first ? 0 : y[0..8)) + t: a kernel's acc += t with the
 * accumulator kept in y between blocks (0 + t, not t: -0 becomes +0 as in
 * the portable kernels' sum = 0.0f; sum += t). */
VNNI_BASE_INLINE void vnni_accumulate(float *y, int first, __m256 t) {
  const __m256 acc = first ? _mm256_setzero_ps() : _mm256_loadu_ps(y);
  _mm256_storeu_ps(y, _mm256_add_ps(acc, t));
}

/* A tile function `name`: the always-inline body(fmt, G, R, ...) with the
 * row group and activation row counts as constants, target attribute ATTR. */
#define VNNI_TILE_FN(ATTR, name, fmt, body, G, R)                                                  \
  ATTR static void name(VNNI_TILE_PARAMS) {                                                        \
    body(fmt, G, R, VNNI_TILE_ARGS);                                                               \
  }

/* gqcrt_linear_<enc>_<packing>_<variant> and gqcrt_gemm_..., target
 * attribute ATTR: VNNI_DEFINE_KERNELS_AS(VNNI, avxvnni, ...), the AVX-VNNI
 * kernels, is VNNI_DEFINE_KERNELS below. For weight
 * blocks of `elems` elements and w_bytes bytes against activation blocks of
 * x_bytes. The including file provides, for its format constant fmt:
 *   act_row    the type of one activation row's record, CHUNK blocks;
 *   prepare(fmt, act, x, x_row, n_rows, b0, nbc)   fills the records;
 *   body(fmt, G, R, VNNI_TILE_ARGS)   the always-inline tile, G row groups
 *              against R activation rows (G = 2 with R = 1, or G = 1). */
#define VNNI_DEFINE_KERNELS_AS(ATTR, variant, enc, packing, fmt, body, elems, w_bytes, x_bytes)    \
  ATTR static void enc##_prepare(void *act, const uint8_t *x, size_t x_row, int32_t n_rows,        \
                                 int32_t b0, int32_t nbc) {                                        \
    prepare(fmt, act, x, x_row, n_rows, b0, nbc);                                                  \
  }                                                                                                \
  VNNI_TILE_FN(ATTR, enc##_2x1, fmt, body, 2, 1)                                                   \
  VNNI_TILE_FN(ATTR, enc##_1x1, fmt, body, 1, 1)                                                   \
  VNNI_TILE_FN(ATTR, enc##_1x2, fmt, body, 1, 2)                                                   \
  VNNI_TILE_FN(ATTR, enc##_1x3, fmt, body, 1, 3)                                                   \
  VNNI_TILE_FN(ATTR, enc##_1x4, fmt, body, 1, VNNI_TILE)                                           \
  static const vnni_format enc##_##packing = {elems,                                               \
                                              w_bytes,                                             \
                                              x_bytes,                                             \
                                              CHUNK,                                               \
                                              sizeof(act_row),                                     \
                                              enc##_prepare,                                       \
                                              1,                                                   \
                                              {enc##_2x1},                                         \
                                              VNNI_TILE,                                           \
                                              {enc##_1x1, enc##_1x2, enc##_1x3, enc##_1x4}};       \
  void gqcrt_linear_##enc##_##packing##_##variant(float *y, const void *w, const void *x,          \
                                                  int32_t n_in, int32_t n_out) {                   \
    act_row act[1];                                                                                \
    vnni_run(&enc##_##packing, act, y, 0, w, x, n_in, n_out, 1);                                   \
  }                                                                                                \
  void gqcrt_gemm_##enc##_##packing##_##variant(float *y, int32_t y_stride, const void *w,         \
                                                const void *x, int32_t n_in, int32_t n_out,        \
                                                int32_t n_rows) {                                  \
    act_row act[VNNI_ROWS_PER_PASS];                                                               \
    vnni_run(&enc##_##packing, act, y, (size_t)y_stride, w, x, n_in, n_out, n_rows);               \
  }
#define VNNI_DEFINE_KERNELS(enc, packing, fmt, body, elems, w_bytes, x_bytes)                      \
  VNNI_DEFINE_KERNELS_AS(VNNI, avxvnni, enc, packing, fmt, body, elems, w_bytes, x_bytes)

/* The AVX-512 kernels gqcrt_linear_<enc>_<packing>_avx512vnni and
 * gqcrt_gemm_..., with the act_row, CHUNK and prepare of
 * VNNI_DEFINE_KERNELS. body512(fmt, G, R, VNNI_TILE_ARGS) is the format's always-inline zmm tile, G
 * = 2 (a pair of row groups) or 1 (one, its outputs only), R activation rows; prepare must need no
 * more than AVX2 (it is inlined into both kinds of kernel). */
#define VNNI512_DEFINE_KERNELS(enc, packing, fmt, body512, elems, w_bytes, x_bytes)                \
  VNNI_TILE_FN(VNNI512, enc##_z2x1, fmt, body512, 2, 1)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x2, fmt, body512, 2, 2)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x3, fmt, body512, 2, 3)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x4, fmt, body512, 2, 4)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x5, fmt, body512, 2, 5)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x6, fmt, body512, 2, 6)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x7, fmt, body512, 2, 7)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z2x8, fmt, body512, 2, 8)                                            \
  VNNI_TILE_FN(VNNI512, enc##_z1x1, fmt, body512, 1, 1)                                            \
  VNNI512 static void enc##_prepare512(void *act, const uint8_t *x, size_t x_row, int32_t n_rows,  \
                                       int32_t b0, int32_t nbc) {                                  \
    prepare(fmt, act, x, x_row, n_rows, b0, nbc);                                                  \
  }                                                                                                \
  static const vnni_format enc##_##packing##_512 = {elems,                                         \
                                                    w_bytes,                                       \
                                                    x_bytes,                                       \
                                                    CHUNK,                                         \
                                                    sizeof(act_row),                               \
                                                    enc##_prepare512,                              \
                                                    VNNI512_TILE,                                  \
                                                    {enc##_z2x1, enc##_z2x2, enc##_z2x3,           \
                                                     enc##_z2x4, enc##_z2x5, enc##_z2x6,           \
                                                     enc##_z2x7, enc##_z2x8},                      \
                                                    1,                                             \
                                                    {enc##_z1x1}};                                 \
  void gqcrt_linear_##enc##_##packing##_avx512vnni(float *y, const void *w, const void *x,         \
                                                   int32_t n_in, int32_t n_out) {                  \
    act_row act[1];                                                                                \
    vnni_run(&enc##_##packing##_512, act, y, 0, w, x, n_in, n_out, 1);                             \
  }                                                                                                \
  void gqcrt_gemm_##enc##_##packing##_avx512vnni(float *y, int32_t y_stride, const void *w,        \
                                                 const void *x, int32_t n_in, int32_t n_out,       \
                                                 int32_t n_rows) {                                 \
    act_row act[VNNI_ROWS_PER_PASS];                                                               \
    vnni_run(&enc##_##packing##_512, act, y, (size_t)y_stride, w, x, n_in, n_out, n_rows);         \
  }

#endif

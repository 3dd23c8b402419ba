/* gemm_common.h — what the gemm kernels (gqcrt.h, "gemm (matrix-matrix)
 * kernels") of every variant share: the byte sizes of weight and activation
 * rows, the split of a batch into register tiles, and the row-wise gemm.
 *
 * The row-wise gemm is a gemm kernel built from the matrix-vector kernel of
 * the same encoding and variant. Every linear kernel computes each output
 * row by a sequence of operations that depends only on n_in, so calling it
 * on one activation row at a time, on any range of output rows, gives every
 * element bit for bit what the gemm contract asks for. It is the gemm of
 * every kernel without a register-blocked version of its own, and the
 * fallback of those for shapes they do not take.
 *
 * It still reuses weights: the output rows are walked in tiles of about
 * GQCRT_GEMM_ROWWISE_TILE_BYTES of weights, and all activation rows pass
 * over one tile before the next, so a tile is read from memory once and
 * then from cache. The tile is a whole number of row groups (row_align:
 * 4 for the r4 packings, whose row groups are contiguous) and a multiple of
 * 4 rows, the row count the NEON kernels compute together.
 */
#ifndef GQCRT_GEMM_COMMON_H
#define GQCRT_GEMM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "gqcrt.h"

#define GQCRT_GEMM_ROWWISE_TILE_BYTES 32768

/* Bytes of one row of n elements in each encoding (gqcrt_encodings.def):
 * gqcrt_row_bytes_<name>(n). */
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  static inline size_t gqcrt_row_bytes_##name(int32_t n) {                                         \
    return (size_t)(n / (elems)) * (size_t)(bytes);                                                \
  }
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING

/* Bytes of one activation row of n_in elements in encoding aenc (the row
 * stride of gemm's x): GQCRT_ACT_ROW_BYTES(q8_0, n); of one weight row. */
#define GQCRT_ACT_ROW_BYTES(aenc, n) gqcrt_row_bytes_##aenc(n)
#define GQCRT_WEIGHT_ROW_BYTES(wenc, n) gqcrt_row_bytes_##wenc(n)

/* gqcrt_gemm_<enc>_<variant>, with the target attribute ATTR (may be
 * empty): one activation row goes to the matrix-vector kernel (nothing to
 * share), more to body(FMT, y, y_stride, w, x, n_in, n_out, n_rows). */
#define GQCRT_DEFINE_GEMM(enc, variant, ATTR, body, FMT)                                           \
  ATTR void gqcrt_gemm_##enc##_##variant(float *y, int32_t y_stride, const void *w, const void *x, \
                                         int32_t n_in, int32_t n_out, int32_t n_rows) {            \
    if (n_rows == 1) {                                                                             \
      gqcrt_linear_##enc##_##variant(y, w, x, n_in, n_out);                                        \
      return;                                                                                      \
    }                                                                                              \
    body(FMT, y, y_stride, w, x, n_in, n_out, n_rows);                                             \
  }

/* Register tiles: a kernel taking up to `tile` activation rows at once walks
 * n_rows rows in tiles as even as possible (9 rows in tiles of 8: 5 + 4,
 * not 8 + 1, since a one-row tile shares nothing). The size of the next
 * tile when rows_left rows remain: for (r = 0; r < n; r += t) t = next(n - r). */
static inline int32_t gqcrt_gemm_next_tile(int32_t rows_left, int32_t tile) {
  const int32_t tiles = (rows_left + tile - 1) / tile;
  return (rows_left + tiles - 1) / tiles;
}

/* The gemm contract by calls to `linear`, tile of output rows by tile. */
static inline void gqcrt_gemm_rowwise(gqcrt_linear_fn linear, float *y, int32_t y_stride,
                                      const void *w, const void *x, int32_t n_in, int32_t n_out,
                                      int32_t n_rows, size_t w_row_bytes, size_t x_row_bytes,
                                      int32_t row_align) {
  const int32_t align = row_align > 4 ? row_align : 4;
  int32_t tile = w_row_bytes ? (int32_t)(GQCRT_GEMM_ROWWISE_TILE_BYTES / w_row_bytes) : n_out;
  tile = tile / align * align;
  if (tile < align)
    tile = align;
  for (int32_t o = 0; o < n_out; o += tile) {
    const int32_t n = n_out - o < tile ? n_out - o : tile;
    const unsigned char *wt = (const unsigned char *)w + (size_t)o * w_row_bytes;
    for (int32_t r = 0; r < n_rows; ++r)
      linear(y + (size_t)r * (size_t)y_stride + o, wt,
             (const unsigned char *)x + (size_t)r * x_row_bytes, n_in, n);
  }
}

/* Defines gqcrt_gemm_<name> from gqcrt_linear_<name>, weights of encoding
 * wenc, activations aenc, output rows in groups of row_align. */
#define GQCRT_DEFINE_GEMM_ROWWISE(name, wenc, aenc, row_align)                                     \
  void gqcrt_gemm_##name(float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in,   \
                         int32_t n_out, int32_t n_rows) {                                          \
    gqcrt_gemm_rowwise(gqcrt_linear_##name, y, y_stride, w, x, n_in, n_out, n_rows,                \
                       GQCRT_WEIGHT_ROW_BYTES(wenc, n_in), GQCRT_ACT_ROW_BYTES(aenc, n_in),        \
                       row_align);                                                                 \
  }

#endif

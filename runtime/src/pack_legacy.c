/* pack_legacy.c — the r4 layouts of Q8_0 and Q4_0 weights, and the portable
 * functions converting a GGUF matrix to and from them
 * (gqcrt_packed_kernels.def).
 *
 * Why repack
 *
 * A matrix-vector kernel that computes four output rows together loads each
 * activation block once for the four rows. With the GGUF layout the four
 * rows are four separate streams, and the per-row dot products end up in
 * separate vectors that must be reduced across lanes (ADDP) every block. The
 * r4 layouts interleave the four rows' blocks four quants at a time, so that
 * one 16-byte load holds a 4 x 4 tile — four quants of each of the four rows
 * — and one SDOT-by-element against four activation quants leaves row i's
 * partial sum in lane i. The kernel (runtime/src/arm/linear_legacy_packed_neon.c)
 * never reduces across lanes and never gathers scales.
 *
 * The compiler packs at compile time (passes/repack_weights.c); nothing is
 * converted at load or run time. Packing only moves bytes (and, for Q4_0,
 * flips one bit per quant), so the packed matrix has exactly the GGUF byte
 * count, and unpacking restores the GGUF bytes.
 *
 * Layout (n_out a multiple of 4, nb = n_in / 32 blocks per row)
 *
 * Rows 4g .. 4g+3 form row group g, stored contiguously from byte
 * g * 4 * nb * BLOCK (so a kernel can run on a range of row groups). A row
 * group is the nb blocks' scales followed by the nb blocks' quants, each in
 * block order, so that both are read as two sequential streams:
 *
 *   [0, 8 nb)       block b's scales at 8b: d of rows 0..3 (f16 each)
 *   [8 nb, ...)     block b's quants at 8 nb + QB b, QB = 4 (BLOCK - 2):
 *
 *   q8_0_r4 (QB = 128)
 *     eight 16-byte tiles; tile t, byte 4r + i = qs[4t + i] of row r
 *     (tiles 0..3: elements 0..15, tiles 4..7: elements 16..31)
 *
 *   q4_0_r4 (QB = 64)
 *     four 16-byte tiles; tile t, byte 4r + i = qs[4t + i] ^ 0x88 of row r:
 *     its low nibble is element 4t + i, its high nibble element 16 + 4t + i,
 *     each stored as q - 8 in 4-bit two's complement (nibble ^ 8), so that
 *     shifting it to the top of a byte gives the signed value times 16.
 *
 * Embedding rows from a packed table
 *
 * A tied embedding (token_embd.weight doubling as the lm_head) is packed for
 * the lm_head's kernel, so the embedding lookup reads it packed as well:
 * gqcrt_embed_<enc>_r4 gathers each block of the row back into a GGUF block
 * on the stack (the unpacking below, one row) and dequantises it with
 * gqcrt_dequantize_<enc>, so the row is bit for bit the one the GGUF table
 * gives. It costs a few instructions per element, once per decode step.
 */
#include "blocks.h"
#include "gqcrt.h"
#include "rt_libc.h"

enum { ROWS = 4 };

/* One block of the four rows: its 8 scale bytes at sc, its quant tiles at q. */
typedef void (*block_fn)(uint8_t *sc, uint8_t *q, uint8_t *const blk[ROWS]);

static void q8_0_pack_block(uint8_t *sc, uint8_t *q, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++) {
    memcpy(sc + 2 * r, blk[r], 2);
    for (int t = 0; t < 8; t++)
      memcpy(q + 16 * t + 4 * r, blk[r] + 2 + 4 * t, 4);
  }
}

/* Row r's GGUF block from one packed block's scales sc and quants q. */
static void q8_0_unpack_row(uint8_t *blk, const uint8_t *sc, const uint8_t *q, int r) {
  memcpy(blk, sc + 2 * r, 2);
  for (int t = 0; t < 8; t++)
    memcpy(blk + 2 + 4 * t, q + 16 * t + 4 * r, 4);
}

static void q8_0_unpack_block(uint8_t *sc, uint8_t *q, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++)
    q8_0_unpack_row(blk[r], sc, q, r);
}

static void q4_0_pack_block(uint8_t *sc, uint8_t *q, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++) {
    memcpy(sc + 2 * r, blk[r], 2);
    for (int t = 0; t < 4; t++)
      for (int i = 0; i < 4; i++)
        q[16 * t + 4 * r + i] = (uint8_t)(blk[r][2 + 4 * t + i] ^ 0x88);
  }
}

static void q4_0_unpack_row(uint8_t *blk, const uint8_t *sc, const uint8_t *q, int r) {
  memcpy(blk, sc + 2 * r, 2);
  for (int t = 0; t < 4; t++)
    for (int i = 0; i < 4; i++)
      blk[2 + 4 * t + i] = (uint8_t)(q[16 * t + 4 * r + i] ^ 0x88);
}

static void q4_0_unpack_block(uint8_t *sc, uint8_t *q, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++)
    q4_0_unpack_row(blk[r], sc, q, r);
}

/* Calls fn(scales, quants, the four GGUF blocks) for every block of every
 * row group of an [n_out, n_in] matrix whose GGUF blocks are `bytes` long.
 * The pack and unpack directions share it, so both pointers are writable
 * here; each direction's fn only writes its destination. */
static void for_each_block(uint8_t *gguf, uint8_t *packed, int32_t n_in, int32_t n_out,
                           size_t bytes, block_fn fn) {
  const size_t nb = (size_t)n_in / GQCRT_QK, row = nb * bytes, qb = ROWS * (bytes - 2);
  for (size_t g = 0; g < (size_t)n_out / ROWS; g++) {
    uint8_t *group = packed + g * ROWS * row;
    for (size_t b = 0; b < nb; b++) {
      uint8_t *blk[ROWS];
      for (int r = 0; r < ROWS; r++)
        blk[r] = gguf + (g * ROWS + (size_t)r) * row + b * bytes;
      fn(group + 8 * b, group + 8 * nb + qb * b, blk);
    }
  }
}

void gqcrt_pack_q8_0_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_block((uint8_t *)(uintptr_t)src, dst, n_in, n_out, GQCRT_Q8_0_BYTES, q8_0_pack_block);
}

void gqcrt_unpack_q8_0_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_block(dst, (uint8_t *)(uintptr_t)src, n_in, n_out, GQCRT_Q8_0_BYTES, q8_0_unpack_block);
}

void gqcrt_pack_q4_0_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_block((uint8_t *)(uintptr_t)src, dst, n_in, n_out, GQCRT_Q4_0_BYTES, q4_0_pack_block);
}

void gqcrt_unpack_q4_0_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_block(dst, (uint8_t *)(uintptr_t)src, n_in, n_out, GQCRT_Q4_0_BYTES, q4_0_unpack_block);
}

/* ---- embedding rows ------------------------------------------------------- */

/* y = row `row` of a packed [n_out, n_in] table of GGUF blocks `bytes` long:
 * each block of the row gathered into `blk` (a GGUF block) by unpack_row and
 * dequantised by dequant. */
static void embed_row(float *y, const uint8_t *table, int32_t row, int32_t n_in, size_t bytes,
                      void *blk,
                      void (*unpack_row)(uint8_t *, const uint8_t *, const uint8_t *, int),
                      void (*dequant)(float *, const void *, int32_t)) {
  const size_t nb = (size_t)n_in / GQCRT_QK, qb = ROWS * (bytes - 2);
  const uint8_t *group = table + (size_t)(row / ROWS) * ROWS * nb * bytes;
  for (size_t b = 0; b < nb; b++) {
    unpack_row(blk, group + 8 * b, group + 8 * nb + qb * b, row % ROWS);
    dequant(y + GQCRT_QK * b, blk, GQCRT_QK);
  }
}

void gqcrt_embed_q8_0_r4(float *y, const void *table, int32_t row, int32_t n_in) {
  blk_q8_0 blk;
  embed_row(y, table, row, n_in, GQCRT_Q8_0_BYTES, &blk, q8_0_unpack_row, gqcrt_dequantize_q8_0);
}

void gqcrt_embed_q4_0_r4(float *y, const void *table, int32_t row, int32_t n_in) {
  blk_q4_0 blk;
  embed_row(y, table, row, n_in, GQCRT_Q4_0_BYTES, &blk, q4_0_unpack_row, gqcrt_dequantize_q4_0);
}

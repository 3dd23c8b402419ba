/* pack_legacy.c — the r4 and r8 layouts of Q8_0 and Q4_0 weights, and the
 * portable functions converting a GGUF matrix to and from them
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
 * never reduces across lanes and never gathers scales. The r8 layouts do the
 * same with eight rows for x86's 32-byte vectors and VPDPBUSD
 * (runtime/src/x86/linear_legacy_packed_vnni.c).
 *
 * The compiler packs at compile time (passes/repack_weights.c); nothing is
 * converted at load or run time. Packing only moves bytes (and flips fixed
 * bits of the quants), so the packed matrix has exactly the GGUF byte count,
 * and unpacking restores the GGUF bytes.
 *
 * Layout (R = 4 or 8 rows per group, n_out a multiple of R, nb = n_in / 32
 * blocks per row)
 *
 * Rows Rg .. Rg+R-1 form row group g, stored contiguously from byte
 * g * R * nb * BLOCK (so a kernel can run on a range of row groups). A row
 * group is the nb blocks' scales followed by the nb blocks' quants, each in
 * block order, so that both are read as two sequential streams:
 *
 *   [0, 2R nb)      block b's scales at 2R b: d of rows 0..R-1 (f16 each)
 *   [2R nb, ...)    block b's quants at 2R nb + QB b, QB = R (BLOCK - 2),
 *                   as 4R-byte tiles: tile t, byte 4r + i = qs[4t + i] of
 *                   row r, XORed with the layout's flip:
 *
 *   q8_0_r4 (R = 4, flip 0)     tiles 0..3: elements 0..15, 4..7: 16..31;
 *                               for NEON's SDOT by element (16-byte tiles)
 *   q4_0_r4 (R = 4, flip 0x88)  four tiles; a byte's low nibble is element
 *                               4t + i, its high nibble 16 + 4t + i, each
 *                               stored as q - 8 in 4-bit two's complement
 *                               (nibble ^ 8), so that shifting it to the top
 *                               of a byte gives the signed value times 16
 *   q8_0_r8u (R = 8, flip 0x80) the quants biased to unsigned (q + 128), for
 *                               x86's VPDPBUSD (unsigned x signed bytes,
 *                               32-byte tiles: lane r of a dword vector is
 *                               row r's four quants)
 *   q4_0_r8 (R = 8, flip 0)     the GGUF nibbles (unsigned q, value q - 8),
 *                               VPDPBUSD's unsigned operand once unpacked
 *
 * Embedding rows from a packed table
 *
 * A tied embedding (token_embd.weight doubling as the lm_head) is packed for
 * the lm_head's kernel, so the embedding lookup reads it packed as well:
 * gqcrt_embed_<enc>_<packing> gathers each block of the row back into a GGUF block
 * on the stack (the unpacking below, one row) and dequantises it with
 * gqcrt_dequantize_<enc>, so the row is bit for bit the one the GGUF table
 * gives. It costs a few instructions per element, once per decode step.
 */
#include "blocks.h"
#include "gqcrt.h"
#include "rt_libc.h"

/* A layout: `rows` rows per group, GGUF blocks of `bytes` (2 of f16 scale,
 * then the quants), every quant byte XORed with `flip`. */
typedef struct legacy_layout {
  int rows;
  size_t bytes;
  uint8_t flip;
} legacy_layout;

static const legacy_layout q8_0_r4 = {4, GQCRT_Q8_0_BYTES, 0x00};
static const legacy_layout q4_0_r4 = {4, GQCRT_Q4_0_BYTES, 0x88};
static const legacy_layout q8_0_r8u = {8, GQCRT_Q8_0_BYTES, 0x80};
static const legacy_layout q4_0_r8 = {8, GQCRT_Q4_0_BYTES, 0x00};

/* Row r's GGUF block `blk` <-> its place in one packed block (scales sc,
 * quant tiles q): tile t, byte 4 r + i <-> quant byte 4 t + i. */
static void pack_row(const legacy_layout *l, uint8_t *sc, uint8_t *q, const uint8_t *blk, int r) {
  memcpy(sc + 2 * r, blk, 2);
  for (size_t t = 0; t < (l->bytes - 2) / 4; t++)
    for (int i = 0; i < 4; i++)
      q[4 * (size_t)l->rows * t + 4 * (size_t)r + (size_t)i] = (uint8_t)(blk[2 + 4 * t + i] ^ l->flip);
}

static void unpack_row(const legacy_layout *l, uint8_t *blk, const uint8_t *sc, const uint8_t *q,
                       int r) {
  memcpy(blk, sc + 2 * r, 2);
  for (size_t t = 0; t < (l->bytes - 2) / 4; t++)
    for (int i = 0; i < 4; i++)
      blk[2 + 4 * t + i] = (uint8_t)(q[4 * (size_t)l->rows * t + 4 * (size_t)r + (size_t)i] ^ l->flip);
}

/* Where block b of row group g starts: its scales (*sc) and quants (*q). */
static void block_at(const legacy_layout *l, size_t nb, size_t g, size_t b, size_t *sc,
                     size_t *q) {
  const size_t group = g * (size_t)l->rows * nb * l->bytes;
  *sc = group + 2 * (size_t)l->rows * b;
  *q = group + 2 * (size_t)l->rows * nb + (size_t)l->rows * (l->bytes - 2) * b;
}

/* Every block of every row, GGUF bytes <-> packed bytes (to_packed: which
 * way; only the destination is written). */
static void convert(const legacy_layout *l, uint8_t *gguf, uint8_t *packed, int32_t n_in,
                    int32_t n_out, int to_packed) {
  const size_t nb = (size_t)n_in / GQCRT_QK;
  for (size_t row = 0; row < (size_t)n_out; row++)
    for (size_t b = 0; b < nb; b++) {
      size_t sc, q;
      block_at(l, nb, row / (size_t)l->rows, b, &sc, &q);
      uint8_t *blk = gguf + (row * nb + b) * l->bytes;
      const int r = (int)(row % (size_t)l->rows);
      if (to_packed)
        pack_row(l, packed + sc, packed + q, blk, r);
      else
        unpack_row(l, blk, packed + sc, packed + q, r);
    }
}

/* ---- embedding rows ------------------------------------------------------- */

/* y = row `row` of a packed [n_out, n_in] table: each block of the row
 * gathered into `blk` (a GGUF block) and dequantised by dequant. */
static void embed_row(const legacy_layout *l, float *y, const uint8_t *table, int32_t row,
                      int32_t n_in, uint8_t *blk, void (*dequant)(float *, const void *, int32_t)) {
  const size_t nb = (size_t)n_in / GQCRT_QK;
  for (size_t b = 0; b < nb; b++) {
    size_t sc, q;
    block_at(l, nb, (size_t)row / (size_t)l->rows, b, &sc, &q);
    unpack_row(l, blk, table + sc, table + q, row % l->rows);
    dequant(y + GQCRT_QK * b, blk, GQCRT_QK);
  }
}

/* The three functions of one (encoding, packing) line of
 * gqcrt_packed_kernels.def. */
#define LEGACY_PACKING(enc, packing)                                                               \
  void gqcrt_pack_##enc##_##packing(void *dst, const void *src, int32_t n_in, int32_t n_out) {     \
    convert(&enc##_##packing, (uint8_t *)(uintptr_t)src, dst, n_in, n_out, 1);                     \
  }                                                                                                \
  void gqcrt_unpack_##enc##_##packing(void *dst, const void *src, int32_t n_in, int32_t n_out) {   \
    convert(&enc##_##packing, dst, (uint8_t *)(uintptr_t)src, n_in, n_out, 0);                     \
  }                                                                                                \
  void gqcrt_embed_##enc##_##packing(float *y, const void *table, int32_t row, int32_t n_in) {     \
    blk_##enc blk;                                                                                 \
    embed_row(&enc##_##packing, y, table, row, n_in, (uint8_t *)&blk, gqcrt_dequantize_##enc);      \
  }

LEGACY_PACKING(q8_0, r4)
LEGACY_PACKING(q4_0, r4)
LEGACY_PACKING(q8_0, r8u)
LEGACY_PACKING(q4_0, r8)

/* pack_common.h — what the packed layouts of pack_legacy.c and
 * pack_kquants.c share: walking a matrix block by block between its GGUF
 * bytes and a packed layout, and reading one row of a packed table back
 * (the embedding lookup of a tied table).
 *
 * A layout groups R rows; group g is stored contiguously from byte
 * g * R * nb * bytes (nb blocks per row, GGUF blocks of `bytes`). Where in
 * its group each block of each row goes is the layout's `row` function,
 * which moves row r's block b between a GGUF block and the group, in the
 * direction asked: one function describes the layout both ways, so packing
 * and unpacking cannot disagree.
 */
#ifndef GQCRT_PACK_COMMON_H
#define GQCRT_PACK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "rt_libc.h"

typedef struct pack_layout pack_layout;
struct pack_layout {
  int rows;      /* R */
  int32_t elems; /* elements per block */
  size_t bytes;  /* GGUF bytes per block */
  uint8_t flip;  /* XORed into the quants, where the layout says */
  int scales;    /* legacy: f16 fields ahead of the quants (d, or d and m) */
  int high_bits; /* a qh field of fifth quant bits (q5_0, q5_1, q5_k) */
  /* Row r's block b (of nb per row) between the GGUF block blk and the
   * group starting at group: into the group when to_packed, else back. */
  void (*row)(const pack_layout *l, uint8_t *group, size_t nb, size_t b, uint8_t *blk, int r,
              int to_packed);
};

/* n bytes between the packed bytes at p and the GGUF bytes at g, in the
 * direction of to_packed. */
static inline void pack_move(uint8_t *p, uint8_t *g, size_t n, int to_packed) {
  if (to_packed)
    memcpy(p, g, n);
  else
    memcpy(g, p, n);
}

/* The fifth bits of 8 quants <-> one packed byte: bit t of the byte is
 * fifth bit lo[t], bit 4 + t is hi[t] (t = 0..3), where lo and hi are the
 * bit numbers in the GGUF qh bytes of the elements of tile t whose low four
 * bits are a nibble tile's low and high nibbles. This puts the bit a kernel
 * ORs into tile t's low (high) nibbles four bits above bit t (at bit 4 + t),
 * one shift away from bit 4. */
static inline void pack_high_bits(uint8_t *p, uint8_t *qh, const int lo[4], const int hi[4],
                                  int to_packed) {
  if (to_packed) {
    *p = 0;
    for (int t = 0; t < 4; t++)
      *p = (uint8_t)(*p | ((qh[lo[t] / 8] >> (lo[t] % 8)) & 1) << t |
                     ((qh[hi[t] / 8] >> (hi[t] % 8)) & 1) << (4 + t));
    return;
  }
  for (int t = 0; t < 4; t++) {
    const int bits[2] = {lo[t], hi[t]}, v[2] = {(*p >> t) & 1, (*p >> (4 + t)) & 1};
    for (int k = 0; k < 2; k++)
      qh[bits[k] / 8] =
          (uint8_t)((qh[bits[k] / 8] & ~(1 << (bits[k] % 8))) | v[k] << (bits[k] % 8));
  }
}

/* Every block of every row, GGUF bytes <-> packed bytes (to_packed: which
 * way; only the destination is written). */
static inline void pack_convert(const pack_layout *l, uint8_t *gguf, uint8_t *packed, int32_t n_in,
                                int32_t n_out, int to_packed) {
  const size_t nb = (size_t)(n_in / l->elems), R = (size_t)l->rows;
  for (size_t row = 0; row < (size_t)n_out; row++)
    for (size_t b = 0; b < nb; b++)
      l->row(l, packed + row / R * R * nb * l->bytes, nb, b, gguf + (row * nb + b) * l->bytes,
             (int)(row % R), to_packed);
}

/* y = row `row` of a packed [n_out, n_in] table: each block of the row
 * gathered into `blk` (a GGUF block) and dequantised by dequant. */
static inline void pack_embed_row(const pack_layout *l, float *y, const uint8_t *table, int32_t row,
                                  int32_t n_in, uint8_t *blk,
                                  void (*dequant)(float *, const void *, int32_t)) {
  const size_t nb = (size_t)(n_in / l->elems), R = (size_t)l->rows;
  uint8_t *group = (uint8_t *)(uintptr_t)table + (size_t)row / R * R * nb * l->bytes;
  for (size_t b = 0; b < nb; b++) {
    l->row(l, group, nb, b, blk, (int)((size_t)row % R), 0);
    dequant(y + (size_t)l->elems * b, blk, l->elems);
  }
}

/* The three functions of one (encoding, packing) line of
 * gqcrt_packed_kernels.def, from the layout enc_packing. */
#define GQCRT_DEFINE_PACKING(enc, packing)                                                         \
  void gqcrt_pack_##enc##_##packing(void *dst, const void *src, int32_t n_in, int32_t n_out) {     \
    pack_convert(&enc##_##packing, (uint8_t *)(uintptr_t)src, dst, n_in, n_out, 1);                \
  }                                                                                                \
  void gqcrt_unpack_##enc##_##packing(void *dst, const void *src, int32_t n_in, int32_t n_out) {   \
    pack_convert(&enc##_##packing, dst, (uint8_t *)(uintptr_t)src, n_in, n_out, 0);                \
  }                                                                                                \
  void gqcrt_embed_##enc##_##packing(float *y, const void *table, int32_t row, int32_t n_in) {     \
    blk_##enc blk;                                                                                 \
    memset(&blk, 0, sizeof blk); /* a row function may merge bits into it */                       \
    pack_embed_row(&enc##_##packing, y, table, row, n_in, (uint8_t *)&blk,                         \
                   gqcrt_dequantize_##enc);                                                        \
  }

#endif

/* pack_kquants.c — the r4 and r8 layouts of the k-quant weights, and the
 * portable functions converting a GGUF matrix to and from them
 * (gqcrt_packed_kernels.def).
 *
 * As for the legacy formats (pack_legacy.c, which explains the idea), R rows
 * are interleaved so that a 4R-byte load is an R x 4 tile — four
 * consecutive quants of each of R rows — that one dot-product instruction
 * turns into the R rows' partial sums in R lanes: SDOT-by-element on NEON
 * (R = 4, runtime/src/arm/linear_kquants_packed_neon.c), VPDPBUSD on x86
 * (R = 8, runtime/src/x86/linear_kquants_packed_vnni.c). For the k-quants the
 * layout also transposes the per-sub-block scales, so that one vector holds
 * one sub-block's scale for the R rows, and (Q6_K) rearranges the 6-bit
 * quants so that unpacking a tile costs one or a few instructions. Packing
 * is a bijection on the bytes of each group of R super-blocks (unpacking
 * restores the GGUF bytes) and keeps the GGUF byte count.
 *
 * Layout (R = 4 or 8, n_out a multiple of R, nb = n_in / 256 super-blocks
 * per row)
 *
 * Rows Rg .. Rg+R-1 form row group g, stored contiguously from byte
 * g * R * nb * BLOCK; a row group is nb group blocks in block order, and
 * group block b holds super-block b of the group's rows r = 0..R-1.
 *
 *   q4_k_r4, q4_k_r8 (R x 144 bytes per group block)
 *     [0, 2R)       d of rows 0..R-1 (f16)
 *     [2R, 4R)      dmin of rows 0..R-1 (f16)
 *     [4R, 16R)     the 12 packed scale bytes, transposed: byte 4R + Rk + r
 *                   is scales[k] of row r (k = 0..11). So the vectors of
 *                   4R bytes at 4R, 8R and 12R hold GGUF scale bytes 0..3,
 *                   4..7 and 8..11 of the R rows, and the usual 6-bit
 *                   unpacking done on them yields sub-block j's scale (or
 *                   min) of row r in byte Rj + r.
 *     [16R, 144R)   quants: for chunk c = 0..3 and tile t = 0..7, the 4R
 *                   bytes at 16R + 32Rc + 4Rt hold, in byte 4r + i,
 *                   qs[32c + 4t + i] of row r: low nibbles are elements
 *                   64c + 4t + i (sub-block 2c), high nibbles elements
 *                   64c + 32 + 4t + i (sub-block 2c + 1).
 *
 *   q5_k_r8 (R x 176 bytes per group block)
 *     [0, 144R)     as q4_k (d, dmin, scales, nibble tiles)
 *     [144R, 176R)  the fifth bits: for chunk c and tiles 4v .. 4v + 3
 *                   (v = 0, 1), the 4R bytes at 144R + 8Rc + 4Rv hold in
 *                   bit k (k = 0..3) of byte 4r + i the fifth bit of the
 *                   low nibble of tile 4v + k's byte 4r + i, in bit 4 + k
 *                   that of its high nibble (pack_common.h).
 *
 *   q2_k_r8 (R x 84 bytes per group block)
 *     [0, 2R)       d of rows 0..R-1 (f16);  [2R, 4R) dmin
 *     [4R, 20R)     scales, transposed: byte 4R + Rs + r is scales[s] of
 *                   row r (s = 0..15: scale in the low nibble, min high)
 *     [20R, 84R)    quants: for half n = 0, 1 and tile t = 0..7, the 4R
 *                   bytes at 20R + 32Rn + 4Rt hold, in byte 4r + i,
 *                   qs[32n + 4t + i] of row r, whose 2-bit field k is
 *                   element 128n + 32k + 4t + i (sub-block 8n + 2k + t / 4).
 *
 *   q6_k_r4, q6_k_r8 (R x 210 bytes per group block)
 *     [0, 2R)       d of rows 0..R-1 (f16)
 *     [2R, 18R)     scales, transposed: byte 2R + Rs + r is scales[s] of
 *                   row r (s = 0..15, int8)
 *     [18R, 210R)   quants: sub-block s (elements 16s .. 16s+15) of the R
 *                   rows in the 12R bytes at 18R + 12Rs, as three vectors
 *                   A, B, C of 4R bytes. Write v for a 6-bit quant (0..63,
 *                   GGUF's low4 | high2 << 4, value v - 32) and u = v ^ flip.
 *                   Byte 4r + i of the vectors holds, for row r and
 *                   e_t = 16s + 4t + i (t = 0..3),
 *                     A = u(e_0) << 2 | u(e_3) >> 4
 *                     B = u(e_1) << 2 | (u(e_3) >> 2) & 3
 *                     C = u(e_2) << 2 | u(e_3) & 3
 *                   so A & 0xFC, B & 0xFC and C & 0xFC are 4u of tiles 0, 1,
 *                   2, and tile 3's is the low two bits of A, B and C
 *                   shifted into place.
 *       r4 (flip 32): u is v - 32 in 6-bit two's complement, so 4u read
 *                   as int8 is 4 (v - 32), SDOT's signed operand.
 *       r8 (flip 0):  u = v, so 4u is an unsigned byte (0..252),
 *                   VPDPBUSD's unsigned operand; the kernel subtracts
 *                   4 * 32 * sum(a) per sub-block.
 *
 * gqcrt_embed_<enc>_<packing> reads one row of a packed table (a tied
 * embedding packed for its lm_head): each super-block of the row is
 * unpacked into a GGUF super-block on the stack and dequantised by
 * gqcrt_dequantize_<enc>, so the row is bit for bit the GGUF table's
 * (pack_legacy.c says why). The walking and embedding code is shared with
 * pack_legacy.c (pack_common.h); each layout here is one function moving a
 * row's super-block in or out of its group block.
 */
#include "blocks.h"
#include "gqcrt.h"
#include "pack_common.h"

/* Moves row r's n bytes at src (its f16 scales, 2 bytes each, or its scale
 * bytes, 1 each) to or from their transposed places in the group block at
 * dst: unit k of row r at dst + (R k + r) * unit. */
static void move_transposed(uint8_t *dst, uint8_t *src, size_t n, size_t unit, size_t R, size_t r,
                            int to_packed) {
  for (size_t k = 0; k < n / unit; k++)
    pack_move(dst + (R * k + r) * unit, src + unit * k, unit, to_packed);
}

/* ---- q4_k ------------------------------------------------------------------ */

/* GGUF Q4_K: d @0, dmin @2, scales[12] @4, qs[128] @16; Q5_K: qh[32] @16
 * (bit 2c + h of qh[l] is the fifth bit of element 64c + 32h + l), qs @48.
 * The fifth bits go after the nibble tiles: for chunk c and tiles 4v ..
 * 4v + 3, byte 4r + i of the 4R bytes at 144R + 8Rc + 4Rv holds those of
 * the tiles' low nibbles in bits 0..3 and of their high nibbles in bits
 * 4..7 (pack_high_bits). */
static void q4_k_row(const pack_layout *l, uint8_t *group, size_t nb, size_t b, uint8_t *blk, int r,
                     int to_packed) {
  (void)nb;
  const size_t R = (size_t)l->rows, ri = (size_t)r, qs = l->high_bits ? 48 : 16;
  uint8_t *p = group + R * l->bytes * b;
  move_transposed(p, blk, 4, 2, R, ri, to_packed); /* d, dmin */
  move_transposed(p + 4 * R, blk + 4, 12, 1, R, ri, to_packed);
  for (size_t c = 0; c < 4; c++)
    for (size_t t = 0; t < 8; t++)
      pack_move(p + 16 * R + 32 * R * c + 4 * R * t + 4 * ri, blk + qs + 32 * c + 4 * t, 4,
                to_packed);
  if (l->high_bits)
    for (int c = 0; c < 4; c++)
      for (int v = 0; v < 2; v++)
        for (int i = 0; i < 4; i++) {
          int lo[4], hi[4];
          for (int t = 0; t < 4; t++) {
            const int el = 4 * (4 * v + t) + i; /* l of the tile's elements */
            lo[t] = 8 * el + 2 * c;
            hi[t] = 8 * el + 2 * c + 1;
          }
          pack_high_bits(p + 144 * R + 8 * R * (size_t)c + 4 * R * (size_t)v + 4 * ri + (size_t)i,
                         blk + 16, lo, hi, to_packed);
        }
}

/* ---- q2_k ------------------------------------------------------------------ */

/* GGUF Q2_K: scales[16] @0, qs[64] @16, d @80, dmin @82. */
static void q2_k_row(const pack_layout *l, uint8_t *group, size_t nb, size_t b, uint8_t *blk, int r,
                     int to_packed) {
  (void)nb;
  const size_t R = (size_t)l->rows, ri = (size_t)r;
  uint8_t *p = group + R * l->bytes * b;
  move_transposed(p, blk + 80, 4, 2, R, ri, to_packed); /* d, dmin */
  move_transposed(p + 4 * R, blk, 16, 1, R, ri, to_packed);
  for (size_t n = 0; n < 2; n++)
    for (size_t t = 0; t < 8; t++)
      pack_move(p + 20 * R + 32 * R * n + 4 * R * t + 4 * ri, blk + 16 + 32 * n + 4 * t, 4,
                to_packed);
}

/* ---- q6_k ------------------------------------------------------------------ */

/* GGUF Q6_K: ql[128] @0, qh[64] @128, scales[16] @192, d @208. Element
 * e = 128n + 32k + l has low4 in nibble k / 2 of ql[64n + 32(k % 2) + l] and
 * high2 in bits 2k..2k+1 of qh[32n + l]. */
static int q6_k_get(const uint8_t *b, int e) {
  const int n = e / 128, k = (e % 128) / 32, l = e % 32;
  const int low4 = (b[64 * n + 32 * (k % 2) + l] >> (4 * (k / 2))) & 0xF;
  const int high2 = (b[128 + 32 * n + l] >> (2 * k)) & 3;
  return low4 | high2 << 4;
}

static void q6_k_set(uint8_t *b, int e, int v) {
  const int n = e / 128, k = (e % 128) / 32, l = e % 32;
  uint8_t *ql = &b[64 * n + 32 * (k % 2) + l], *qh = &b[128 + 32 * n + l];
  const int sl = 4 * (k / 2), sh = 2 * k;
  *ql = (uint8_t)((*ql & ~(0xF << sl)) | (v & 0xF) << sl);
  *qh = (uint8_t)((*qh & ~(3 << sh)) | (v >> 4) << sh);
}

/* Unpacking writes every quant bit of blk (q6_k_set keeps the bits of the
 * other elements sharing a byte), so blk's previous contents do not
 * matter. */
static void q6_k_row(const pack_layout *l, uint8_t *group, size_t nb, size_t b, uint8_t *blk, int r,
                     int to_packed) {
  (void)nb;
  const size_t R = (size_t)l->rows, ri = (size_t)r;
  uint8_t *p = group + R * l->bytes * b;
  move_transposed(p, blk + 208, 2, 2, R, ri, to_packed); /* d */
  move_transposed(p + 2 * R, blk + 192, 16, 1, R, ri, to_packed);
  for (int s = 0; s < 16; s++)
    for (int i = 0; i < 4; i++) {
      uint8_t *A = p + 18 * R + 12 * R * (size_t)s + 4 * ri + (size_t)i, *B = A + 4 * R,
              *C = B + 4 * R;
      int u[4];
      if (to_packed) {
        for (int t = 0; t < 4; t++)
          u[t] = q6_k_get(blk, 16 * s + 4 * t + i) ^ l->flip;
        *A = (uint8_t)(u[0] << 2 | u[3] >> 4);
        *B = (uint8_t)(u[1] << 2 | (u[3] >> 2 & 3));
        *C = (uint8_t)(u[2] << 2 | (u[3] & 3));
      } else {
        u[0] = *A >> 2, u[1] = *B >> 2, u[2] = *C >> 2;
        u[3] = (*A & 3) << 4 | (*B & 3) << 2 | (*C & 3);
        for (int t = 0; t < 4; t++)
          q6_k_set(blk, 16 * s + 4 * t + i, u[t] ^ l->flip);
      }
    }
}

#define KQUANT(rows_, enc, flip_, row_)                                                            \
  {                                                                                                \
    .rows = rows_, .elems = GQCRT_QK_K, .bytes = sizeof(blk_##enc), .flip = flip_,                 \
    .high_bits = sizeof(blk_##enc) == GQCRT_Q5_K_BYTES, .row = row_                                \
  }
static const pack_layout q4_k_r4 = KQUANT(4, q4_k, 0, q4_k_row);
static const pack_layout q6_k_r4 = KQUANT(4, q6_k, 32, q6_k_row);
static const pack_layout q2_k_r8 = KQUANT(8, q2_k, 0, q2_k_row);
static const pack_layout q4_k_r8 = KQUANT(8, q4_k, 0, q4_k_row);
static const pack_layout q5_k_r8 = KQUANT(8, q5_k, 0, q4_k_row);
static const pack_layout q6_k_r8 = KQUANT(8, q6_k, 0, q6_k_row);

GQCRT_DEFINE_PACKING(q4_k, r4)
GQCRT_DEFINE_PACKING(q6_k, r4)
GQCRT_DEFINE_PACKING(q2_k, r8)
GQCRT_DEFINE_PACKING(q4_k, r8)
GQCRT_DEFINE_PACKING(q5_k, r8)
GQCRT_DEFINE_PACKING(q6_k, r8)

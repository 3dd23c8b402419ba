/* pack_legacy.c — the r4 and r8 layouts of the 32-element encodings, and the
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
 *   [0, 2R F nb)    block b's scales at 2R F b: d of rows 0..R-1 (f16
 *                   each), then (F = 2: q4_1, q5_1) m of rows 0..R-1
 *   [2R F nb, ...)  block b's quants at 2R F nb + QB b, QB = R (BLOCK - 2F),
 *                   as 4R-byte tiles: tile t, byte 4r + i = qs[4t + i] of
 *                   row r, XORed with the layout's flip; then (q5_0, q5_1)
 *                   the fifth bits, 4R bytes: bits t and 4 + t of byte
 *                   4r + i are those of elements 4t + i and 16 + 4t + i of
 *                   row r (the bits of tile t's low and high nibbles):
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
 *   q4_1_r8, q5_0_r8, q5_1_r8   the same for Q4_1 (q), Q5_0 (q - 16) and
 *     (R = 8, flip 0)           Q5_1 (q), the fifth bit ORed in at bit 4
 *                               (runtime/src/x86/linear_legacy_packed_vnni.c)
 *
 * Embedding rows from a packed table
 *
 * A tied embedding (token_embd.weight doubling as the lm_head) is packed for
 * the lm_head's kernel, so the embedding lookup reads it packed as well:
 * gqcrt_embed_<enc>_<packing> gathers each block of the row back into a GGUF block
 * on the stack (the unpacking below, one row) and dequantises it with
 * gqcrt_dequantize_<enc>, so the row is bit for bit the one the GGUF table
 * gives. It costs a few instructions per element, once per decode step.
 * (pack_common.h walks matrices and rows for every layout; a layout is the
 * function moving one row's block in or out of its row group.)
 */
#include "blocks.h"
#include "gqcrt.h"
#include "pack_common.h"

/* Row r's block b <-> its place in the row group: the f16 fields (d, or d
 * and m) at 2R nf b + 2R f; the quants' tile t, byte 4 r + i <-> quant byte
 * 4 t + i of the block, XORed with the layout's flip; then (q5_0, q5_1) the
 * fifth bits, byte 4 r + i of a 4R-byte vector after the tiles holding, in
 * bits t and 4 + t, those of elements 4t + i and 16 + 4t + i (bits
 * 4t + i and 16 + 4t + i of the GGUF qh). */
static void legacy_row(const pack_layout *l, uint8_t *group, size_t nb, size_t b, uint8_t *blk,
                       int r, int to_packed) {
  const size_t R = (size_t)l->rows, nf = (size_t)l->scales, qh = l->high_bits ? 4 : 0;
  const size_t n_quant_bytes = l->bytes - 2 * nf - qh;
  for (size_t f = 0; f < nf; f++)
    pack_move(group + 2 * R * nf * b + 2 * R * f + 2 * (size_t)r, blk + 2 * f, 2, to_packed);
  uint8_t *q = group + 2 * R * nf * nb + R * (l->bytes - 2 * nf) * b + 4 * (size_t)r;
  uint8_t *qs = blk + 2 * nf + qh;
  for (size_t t = 0; t < n_quant_bytes / 4; t++)
    for (size_t i = 0; i < 4; i++) {
      uint8_t *p = &q[4 * R * t + i], *g = &qs[4 * t + i];
      *(to_packed ? p : g) = (uint8_t)(*(to_packed ? g : p) ^ l->flip);
    }
  if (qh)
    for (int i = 0; i < 4; i++) {
      const int lo[4] = {i, 4 + i, 8 + i, 12 + i}, hi[4] = {16 + i, 20 + i, 24 + i, 28 + i};
      pack_high_bits(q + R * n_quant_bytes + (size_t)i, blk + 2 * nf, lo, hi, to_packed);
    }
}

#define LEGACY(rows_, enc, flip_, scales_, high)                                                   \
  {                                                                                                \
    .rows = rows_, .elems = GQCRT_QK, .bytes = sizeof(blk_##enc), .flip = flip_,                   \
    .scales = scales_, .high_bits = high, .row = legacy_row                                        \
  }
static const pack_layout q8_0_r4 = LEGACY(4, q8_0, 0x00, 1, 0);
static const pack_layout q4_0_r4 = LEGACY(4, q4_0, 0x88, 1, 0);
static const pack_layout q8_0_r8u = LEGACY(8, q8_0, 0x80, 1, 0);
static const pack_layout q4_0_r8 = LEGACY(8, q4_0, 0x00, 1, 0);
static const pack_layout q4_1_r8 = LEGACY(8, q4_1, 0x00, 2, 0);
static const pack_layout q5_0_r8 = LEGACY(8, q5_0, 0x00, 1, 1);
static const pack_layout q5_1_r8 = LEGACY(8, q5_1, 0x00, 2, 1);

GQCRT_DEFINE_PACKING(q8_0, r4)
GQCRT_DEFINE_PACKING(q4_0, r4)
GQCRT_DEFINE_PACKING(q8_0, r8u)
GQCRT_DEFINE_PACKING(q4_0, r8)
GQCRT_DEFINE_PACKING(q4_1, r8)
GQCRT_DEFINE_PACKING(q5_0, r8)
GQCRT_DEFINE_PACKING(q5_1, r8)

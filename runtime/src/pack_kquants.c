/* pack_kquants.c — the r4 layouts of Q4_K and Q6_K weights, and the portable
 * functions converting a GGUF matrix to and from them
 * (gqcrt_packed_kernels.def).
 *
 * As for the legacy formats (pack_legacy.c, which explains the idea), four
 * rows are interleaved so that a 16-byte load is a 4 x 4 tile — four
 * consecutive quants of each of four rows — that one SDOT-by-element turns
 * into the four rows' partial sums in four lanes. For the k-quants the
 * layout also transposes the per-sub-block scales, so that one vector holds
 * one sub-block's scale for the four rows, and (Q6_K) rearranges the 6-bit
 * quants so that unpacking a tile costs one or two instructions. The kernels
 * are in runtime/src/arm/linear_kquant_packed_neon.c. Packing is a bijection
 * on the bytes of each super-block quad (unpacking restores the GGUF bytes)
 * and keeps the GGUF byte count.
 *
 * Layout (n_out a multiple of 4, nb = n_in / 256 super-blocks per row)
 *
 * Rows 4g .. 4g+3 form row group g, stored contiguously from byte
 * g * 4 * nb * BLOCK; a row group is nb super-block quads in block order, and
 * quad b holds super-block b of the group's rows r = 0..3.
 *
 *   q4_k_r4 (4 x 144 = 576 bytes per quad)
 *     [0, 8)      d of rows 0..3 (f16)
 *     [8, 16)     dmin of rows 0..3 (f16)
 *     [16, 64)    the 12 packed scale bytes, transposed: byte 16 + 4k + r is
 *                 scales[k] of row r (k = 0..11). So the 16-byte vectors at 16,
 *                 32 and 48 hold GGUF scale bytes 0..3, 4..7 and 8..11 of the
 *                 four rows, and the usual 6-bit unpacking done on them yields
 *                 sub-block j's scale (or min) of row r in byte 4j + r.
 *     [64, 576)   quants: for chunk c = 0..3 and tile k = 0..7, the 16 bytes at
 *                 64 + 128c + 16k hold, in byte 4r + i, qs[32c + 4k + i] of row
 *                 r: low nibbles are elements 64c + 4k + i (sub-block 2c), high
 *                 nibbles elements 64c + 32 + 4k + i (sub-block 2c + 1).
 *
 *   q6_k_r4 (4 x 210 = 840 bytes per quad)
 *     [0, 8)      d of rows 0..3 (f16)
 *     [8, 72)     scales, transposed: byte 8 + 4s + r is scales[s] of row r
 *                 (s = 0..15, int8)
 *     [72, 840)   quants: sub-block s (elements 16s .. 16s+15) of the four
 *                 rows in the 48 bytes at 72 + 48s, as three 16-byte vectors
 *                 A, B, C. Write v for a 6-bit quant (0..63, GGUF's
 *                 low4 | high2 << 4) and u = v ^ 32, which is v - 32 in 6-bit
 *                 two's complement. Byte 4r + i of the vectors holds, for row
 *                 r and e_t = 16s + 4t + i (t = 0..3),
 *                   A = u(e_0) << 2 | u(e_3) >> 4
 *                   B = u(e_1) << 2 | (u(e_3) >> 2) & 3
 *                   C = u(e_2) << 2 | u(e_3) & 3
 *                 so A & 0xFC, B & 0xFC and C & 0xFC are, as int8, 4 (v - 32)
 *                 of tiles 0, 1, 2, and tile 3's is the low two bits of A, B
 *                 and C shifted into place (one shift, two shift-inserts).
 *
 * gqcrt_embed_<enc>_r4 reads one row of a packed table (a tied embedding
 * packed for its lm_head): each super-block of the row is unpacked into a
 * GGUF super-block on the stack and dequantised by gqcrt_dequantize_<enc>,
 * so the row is bit for bit the GGUF table's (pack_legacy.c says why).
 */
#include "blocks.h"
#include "gqcrt.h"
#include "rt_libc.h"

enum { ROWS = 4 };

/* ---- q4_k ------------------------------------------------------------------ */

static void q4_k_pack_quad(uint8_t *quad, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++) {
    const uint8_t *b = blk[r]; /* d @0, dmin @2, scales[12] @4, qs[128] @16 */
    memcpy(quad + 2 * r, b, 2);
    memcpy(quad + 8 + 2 * r, b + 2, 2);
    for (int k = 0; k < 12; k++)
      quad[16 + 4 * k + r] = b[4 + k];
    for (int c = 0; c < 4; c++)
      for (int t = 0; t < 8; t++)
        memcpy(quad + 64 + 128 * c + 16 * t + 4 * r, b + 16 + 32 * c + 4 * t, 4);
  }
}

/* Row r's GGUF super-block b from one packed quad. */
static void q4_k_unpack_row(uint8_t *b, const uint8_t *quad, int r) {
  memcpy(b, quad + 2 * r, 2);
  memcpy(b + 2, quad + 8 + 2 * r, 2);
  for (int k = 0; k < 12; k++)
    b[4 + k] = quad[16 + 4 * k + r];
  for (int c = 0; c < 4; c++)
    for (int t = 0; t < 8; t++)
      memcpy(b + 16 + 32 * c + 4 * t, quad + 64 + 128 * c + 16 * t + 4 * r, 4);
}

static void q4_k_unpack_quad(uint8_t *quad, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++)
    q4_k_unpack_row(blk[r], quad, r);
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

static void q6_k_pack_quad(uint8_t *quad, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++) {
    const uint8_t *b = blk[r];
    memcpy(quad + 2 * r, b + 208, 2);
    for (int s = 0; s < 16; s++)
      quad[8 + 4 * s + r] = b[192 + s];
    for (int s = 0; s < 16; s++)
      for (int i = 0; i < 4; i++) {
        int u[4];
        for (int t = 0; t < 4; t++)
          u[t] = q6_k_get(b, 16 * s + 4 * t + i) ^ 32;
        uint8_t *abc = quad + 72 + 48 * s + 4 * r + i;
        abc[0] = (uint8_t)(u[0] << 2 | u[3] >> 4);
        abc[16] = (uint8_t)(u[1] << 2 | (u[3] >> 2 & 3));
        abc[32] = (uint8_t)(u[2] << 2 | (u[3] & 3));
      }
  }
}

/* Row r's GGUF super-block b from one packed quad. Every quant bit of b is
 * written (q6_k_set keeps the bits of the other elements sharing a byte), so
 * b's previous contents do not matter. */
static void q6_k_unpack_row(uint8_t *b, const uint8_t *quad, int r) {
  memcpy(b + 208, quad + 2 * r, 2);
  for (int s = 0; s < 16; s++)
    b[192 + s] = quad[8 + 4 * s + r];
  for (int s = 0; s < 16; s++)
    for (int i = 0; i < 4; i++) {
      const uint8_t *abc = quad + 72 + 48 * s + 4 * r + i;
      const int u[4] = {abc[0] >> 2, abc[16] >> 2, abc[32] >> 2,
                        (abc[0] & 3) << 4 | (abc[16] & 3) << 2 | (abc[32] & 3)};
      for (int t = 0; t < 4; t++)
        q6_k_set(b, 16 * s + 4 * t + i, u[t] ^ 32);
    }
}

static void q6_k_unpack_quad(uint8_t *quad, uint8_t *const blk[ROWS]) {
  for (int r = 0; r < ROWS; r++)
    q6_k_unpack_row(blk[r], quad, r);
}

/* ---- walking a matrix -------------------------------------------------------- */

/* Calls fn(quad, the quad's four GGUF super-blocks) for every super-block
 * quad of an [n_out, n_in] matrix whose GGUF blocks are `bytes` long. Both
 * directions share it, so both pointers are writable here; each direction's
 * fn only writes its destination. */
static void for_each_quad(uint8_t *gguf, uint8_t *packed, int32_t n_in, int32_t n_out, size_t bytes,
                          void (*fn)(uint8_t *quad, uint8_t *const blk[ROWS])) {
  const size_t nb = (size_t)n_in / GQCRT_QK_K, row = nb * bytes;
  for (size_t g = 0; g < (size_t)n_out / ROWS; g++)
    for (size_t b = 0; b < nb; b++) {
      uint8_t *blk[ROWS];
      for (int r = 0; r < ROWS; r++)
        blk[r] = gguf + (g * ROWS + (size_t)r) * row + b * bytes;
      fn(packed + (g * nb + b) * ROWS * bytes, blk);
    }
}

void gqcrt_pack_q4_k_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_quad((uint8_t *)(uintptr_t)src, dst, n_in, n_out, GQCRT_Q4_K_BYTES, q4_k_pack_quad);
}

void gqcrt_unpack_q4_k_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_quad(dst, (uint8_t *)(uintptr_t)src, n_in, n_out, GQCRT_Q4_K_BYTES, q4_k_unpack_quad);
}

void gqcrt_pack_q6_k_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_quad((uint8_t *)(uintptr_t)src, dst, n_in, n_out, GQCRT_Q6_K_BYTES, q6_k_pack_quad);
}

void gqcrt_unpack_q6_k_r4(void *dst, const void *src, int32_t n_in, int32_t n_out) {
  for_each_quad(dst, (uint8_t *)(uintptr_t)src, n_in, n_out, GQCRT_Q6_K_BYTES, q6_k_unpack_quad);
}

/* ---- embedding rows ------------------------------------------------------------ */

/* y = row `row` of a packed [n_out, n_in] table of GGUF super-blocks `bytes`
 * long: each super-block of the row unpacked into `blk` by unpack_row and
 * dequantised by dequant. */
static void embed_row(float *y, const uint8_t *table, int32_t row, int32_t n_in, size_t bytes,
                      void *blk, void (*unpack_row)(uint8_t *, const uint8_t *, int),
                      void (*dequant)(float *, const void *, int32_t)) {
  const size_t nb = (size_t)n_in / GQCRT_QK_K;
  const uint8_t *group = table + (size_t)(row / ROWS) * ROWS * nb * bytes;
  for (size_t b = 0; b < nb; b++) {
    unpack_row(blk, group + b * ROWS * bytes, row % ROWS);
    dequant(y + GQCRT_QK_K * b, blk, GQCRT_QK_K);
  }
}

void gqcrt_embed_q4_k_r4(float *y, const void *table, int32_t row, int32_t n_in) {
  blk_q4_k blk;
  embed_row(y, table, row, n_in, GQCRT_Q4_K_BYTES, &blk, q4_k_unpack_row, gqcrt_dequantize_q4_k);
}

void gqcrt_embed_q6_k_r4(float *y, const void *table, int32_t row, int32_t n_in) {
  blk_q6_k blk;
  memset(&blk, 0, sizeof blk); /* q6_k_unpack_row merges bits into it */
  embed_row(y, table, row, n_in, GQCRT_Q6_K_BYTES, &blk, q6_k_unpack_row, gqcrt_dequantize_q6_k);
}

/* test_rt_pack.c — the packed weight layouts of gqcrt_packed_kernels.def:
 * their pack/unpack functions everywhere, their kernels where they run.
 *
 *  - round trip: unpack(pack(W)) == W byte for byte for random bytes, pack
 *    writes exactly the GGUF byte count (guard bytes stay), and the packed
 *    bytes differ from the GGUF ones (a no-op "packing" would pass the round
 *    trip);
 *  - layout: every quant of every row, read from the packed bytes at the
 *    position the runtime's pack_*.c comment documents, is the quant the
 *    GGUF block holds (so the documented layout, the pack function and the
 *    kernels reading it agree);
 *  - embedding rows: gqcrt_embed_<enc>_<packing> on a packed table gives,
 *    for every row, bit for bit gqcrt_dequantize_<enc> of that row of the
 *    unpacked (GGUF) table and writes exactly n_in floats, for random bytes
 *    (any scale bits) and random sane blocks, 1..9 blocks per row and 1..9
 *    row groups (portable code: checked on x86 and under qemu alike);
 *  - kernels (on AArch64, under qemu on x86 via
 *    scripts/test-aarch64-runtime.sh): each packed kernel on packed random
 *    weights gives bit for bit the `_scalar` kernel's results on the GGUF
 *    weights, for 1..9 blocks per row and 1, 2, 3 and 9 row groups, with
 *    extreme quants and scales (integer-overflow bounds) as well as random
 *    ones; and a run over a subrange of row groups (y and w offset by whole
 *    groups) gives the same bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gqcrt.h"
#include "tools/kernel_harness/cpu_variants.h"
#include "test_util.h"

/* ---- the tables -------------------------------------------------------------- */

typedef void (*pack_fn)(void *dst, const void *src, int32_t n_in, int32_t n_out);
typedef void (*embed_fn)(float *y, const void *table, int32_t row, int32_t n_in);
typedef void (*dequant_fn)(float *y, const void *src, int32_t n);

typedef struct {
  const char *wenc, *packing;
  int rows;
  pack_fn pack, unpack;
  embed_fn embed;
} packing_entry;

static const packing_entry packings[] = {
#define GQCRT_PACKING(w, p, rows)                                                                  \
  {#w, #p, rows, gqcrt_pack_##w##_##p, gqcrt_unpack_##w##_##p, gqcrt_embed_##w##_##p},
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKING
};

typedef struct {
  const char *wenc, *aenc, *packing, *variant;
  int rows;
  gqcrt_linear_fn fn;
} packed_kernel;

#if defined(__aarch64__)
#define VARIANT_neon(w, a, p, rows) {#w, #a, #p, "neon", rows, gqcrt_linear_##w##_##p##_neon},
#else
#define VARIANT_neon(w, a, p, rows)
#endif
#if defined(__x86_64__)
#define VARIANT_avxvnni(w, a, p, rows)                                                             \
  {#w, #a, #p, "avxvnni", rows, gqcrt_linear_##w##_##p##_avxvnni},
#define VARIANT_avx512vnni(w, a, p, rows)                                                          \
  {#w, #a, #p, "avx512vnni", rows, gqcrt_linear_##w##_##p##_avx512vnni},
#else
#define VARIANT_avxvnni(w, a, p, rows)
#define VARIANT_avx512vnni(w, a, p, rows)
#endif
#define VARIANT_avx2(w, a, p, rows)
#define VARIANT_scalar(w, a, p, rows)
static const packed_kernel packed_kernels[] = {
#define GQCRT_PACKED_LINEAR_KERNEL(w, a, p, v, features, rows, replaces) VARIANT_##v(w, a, p, rows)
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKED_LINEAR_KERNEL
    {NULL, NULL, NULL, NULL, 0, NULL},
};

typedef struct {
  const char *name;
  int block_elems, block_bytes;
  int d_off, min_off; /* byte offsets of the f16 scale and min (-1: none) */
  gqcrt_linear_fn scalar;
  dequant_fn dequantize;
} weight_encoding;

static const weight_encoding wencs[] = {
    {"q4_0", 32, GQCRT_Q4_0_BYTES, 0, -1, gqcrt_linear_q4_0_scalar, gqcrt_dequantize_q4_0},
    {"q8_0", 32, GQCRT_Q8_0_BYTES, 0, -1, gqcrt_linear_q8_0_scalar, gqcrt_dequantize_q8_0},
    {"q4_k", 256, GQCRT_Q4_K_BYTES, 0, 2, gqcrt_linear_q4_k_scalar, gqcrt_dequantize_q4_k},
    {"q6_k", 256, GQCRT_Q6_K_BYTES, 208, -1, gqcrt_linear_q6_k_scalar, gqcrt_dequantize_q6_k},
    {"q4_1", 32, GQCRT_Q4_1_BYTES, 0, 2, gqcrt_linear_q4_1_scalar, gqcrt_dequantize_q4_1},
    {"q5_0", 32, GQCRT_Q5_0_BYTES, 0, -1, gqcrt_linear_q5_0_scalar, gqcrt_dequantize_q5_0},
    {"q5_1", 32, GQCRT_Q5_1_BYTES, 0, 2, gqcrt_linear_q5_1_scalar, gqcrt_dequantize_q5_1},
    {"q5_k", 256, GQCRT_Q5_K_BYTES, 0, 2, gqcrt_linear_q5_k_scalar, gqcrt_dequantize_q5_k},
    {"q2_k", 256, GQCRT_Q2_K_BYTES, 80, 82, gqcrt_linear_q2_k_scalar, gqcrt_dequantize_q2_k},
};

static int is(const weight_encoding *e, const char *name) {
  return !strcmp(e->name, name);
}

/* The f16 fields ahead of a legacy block's quants (d, or d and m), and
 * whether the block has a qh field of fifth bits. */
static int legacy_fields(const weight_encoding *e) {
  return is(e, "q4_1") || is(e, "q5_1") ? 2 : 1;
}
static int has_qh(const weight_encoding *e) {
  return is(e, "q5_0") || is(e, "q5_1") || is(e, "q5_k");
}

static const weight_encoding *find_wenc(const char *name) {
  for (size_t i = 0; i < sizeof wencs / sizeof wencs[0]; ++i)
    if (!strcmp(wencs[i].name, name))
      return &wencs[i];
  fail_msg("no test description of encoding %s", name);
  return NULL;
}

/* ---- random data ---------------------------------------------------------------- */

static void *xalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

static size_t matrix_bytes(const weight_encoding *e, int n_in, int n_out) {
  return (size_t)n_in / (size_t)e->block_elems * (size_t)e->block_bytes * (size_t)n_out;
}

/* Random blocks with sane f16 scales (+-[0.001, 0.02]) and mins (+-0.05).
 * extreme: every quant (and integer scale) at the end of its range that
 * makes the integer sums largest instead: Q8_0 -128, Q4_0 -8, Q5_0 -16,
 * Q4_1 15, Q5_1 31, Q2_K 3 with scales and mins 15, Q4_K 15 and Q5_K 31
 * with scales and mins 63, Q6_K -32 with scales -128. */
static void random_weights(const weight_encoding *e, uint8_t *w, size_t bytes, int extreme) {
  const int unsigned_max =
      is(e, "q2_k") || is(e, "q4_k") || is(e, "q5_k") || is(e, "q4_1") || is(e, "q5_1");
  const uint8_t fill = is(e, "q8_0") ? 0x80 : unsigned_max ? 0xff : 0x00;
  for (size_t i = 0; i < bytes; ++i)
    w[i] = extreme ? fill : (uint8_t)rnd32();
  random_block_scales(w, bytes, e->block_bytes, e->d_off, e->min_off);
  if (extreme && !strcmp(e->name, "q6_k"))
    for (size_t b = 0; b < bytes; b += (size_t)e->block_bytes)
      memset(w + b + 192, 0x80, 16); /* the 16 int8 scales */
}

/* ---- the quants as the GGUF blocks hold them --------------------------------- */

/* Quant e of a GGUF block, as the integer dot product uses it (Q4_0: q - 8,
 * Q5_0: q - 16, Q6_K: q - 32, Q4_1, Q5_1, Q2_K, Q4_K, Q5_K: q). */
static int gguf_quant(const weight_encoding *e, const uint8_t *b, int el) {
  if (is(e, "q8_0"))
    return (int8_t)b[2 + el];
  if (e->block_elems == 32) { /* d (m) (qh) qs */
    const int nf = legacy_fields(e), qh = has_qh(e) ? 4 : 0;
    const int nib = (el < 16 ? b[2 * nf + qh + el] : b[2 * nf + qh + el - 16] >> 4) & 0xF;
    const int bit = qh ? (b[2 * nf + el / 8] >> (el % 8)) & 1 : 0;
    return (nib | bit << 4) - (is(e, "q4_0") ? 8 : is(e, "q5_0") ? 16 : 0);
  }
  if (is(e, "q2_k")) /* el = 128n + 32k + l */
    return (b[16 + 32 * (el / 128) + el % 32] >> (2 * ((el % 128) / 32))) & 3;
  if (is(e, "q4_k") || is(e, "q5_k")) { /* el = 64c + 32hi + l */
    const int qs = is(e, "q5_k") ? 48 : 16;
    const int nib = (b[qs + 32 * (el / 64) + el % 32] >> (4 * ((el % 64) / 32))) & 0xF;
    return nib | (is(e, "q5_k") ? ((b[16 + el % 32] >> (el / 32)) & 1) << 4 : 0);
  }
  const int n = el / 128, k = (el % 128) / 32, l = el % 32; /* q6_k */
  const int low4 = (b[64 * n + 32 * (k % 2) + l] >> (4 * (k / 2))) & 0xF;
  const int high2 = (b[128 + 32 * n + l] >> (2 * k)) & 3;
  return (low4 | high2 << 4) - 32;
}

/* The same quant (row r, block b, element el) read from the packed matrix
 * at the position runtime/src/pack_legacy.c / pack_kquants.c document: R rows
 * per group; for the 32-element encodings 4R-byte tiles, quants XORed with
 * the packing's flip; fifth bits in a 4R-byte vector after the nibble tiles
 * (bit t / 4 + t of byte 4r + i: tile t's low / high nibble). */
static int packed_quant(const weight_encoding *e, const char *packing, int R, const uint8_t *p,
                        int n_in, int row, int blk, int el) {
  const int nb = n_in / e->block_elems, g = row / R, r = row % R;
  const uint8_t *q =
      p + ((size_t)g * (size_t)nb + (size_t)blk) * (size_t)R * (size_t)e->block_bytes;
  const int T = 4 * R;        /* bytes per tile */
  if (e->block_elems == 32) { /* the f16 fields of the row group first, then the quants */
    const int nf = legacy_fields(e);
    q = p + (size_t)g * (size_t)nb * (size_t)R * (size_t)e->block_bytes +
        2u * (size_t)nf * (size_t)R * (size_t)nb +
        (size_t)blk * (size_t)R * (size_t)(e->block_bytes - 2 * nf);
    if (is(e, "q8_0")) {
      const int flip = !strcmp(packing, "r8u") ? 0x80 : 0;
      return (int8_t)(q[T * (el / 4) + 4 * r + el % 4] ^ flip);
    }
    const int t = (el % 16) / 4, byte = q[T * t + 4 * r + el % 4];
    const int nib = el < 16 ? byte & 0xF : byte >> 4;
    if (!strcmp(packing, "r4")) /* q4_0: (q - 8) in 4-bit two's complement */
      return (int8_t)(uint8_t)(nib << 4) >> 4;
    const int bit = has_qh(e) ? (q[4 * T + 4 * r + el % 4] >> (el < 16 ? t : 4 + t)) & 1 : 0;
    return (nib | bit << 4) - (is(e, "q4_0") ? 8 : is(e, "q5_0") ? 16 : 0);
  }
  if (is(e, "q2_k")) {
    const int n = el / 128, k = (el % 128) / 32, t = (el % 32) / 4;
    return (q[20 * R + 32 * R * n + T * t + 4 * r + el % 4] >> (2 * k)) & 3;
  }
  if (is(e, "q4_k") || is(e, "q5_k")) {
    const int c = el / 64, hi = (el % 64) / 32, k = (el % 32) / 4;
    const int byte = q[16 * R + 32 * R * c + T * k + 4 * r + el % 4];
    const int nib = hi ? byte >> 4 : byte & 0xF;
    if (is(e, "q4_k"))
      return nib;
    const int H = q[144 * R + 8 * R * c + T * (k / 4) + 4 * r + el % 4];
    return nib | ((H >> (4 * hi + k % 4)) & 1) << 4;
  }
  const int s = el / 16, t = (el % 16) / 4; /* q6_k: vectors A, B, C of T bytes */
  const uint8_t *abc = q + 18 * R + 3 * T * s + 4 * r + el % 4;
  const int u = t < 3 ? abc[T * t] >> 2 : (abc[0] & 3) << 4 | (abc[T] & 3) << 2 | (abc[2 * T] & 3);
  if (!strcmp(packing, "r8"))
    return u - 32;                       /* v itself */
  return (int8_t)(uint8_t)(u << 2) >> 2; /* 6-bit two's complement of v - 32 */
}

/* Row r's scale bytes of block blk in the packed matrix, as in GGUF. */
static void packed_scales(const weight_encoding *e, int R, const uint8_t *p, int n_in, int row,
                          int blk, uint8_t *out, int *n_out_bytes) {
  const int nb = n_in / e->block_elems, g = row / R, r = row % R;
  const uint8_t *q =
      p + ((size_t)g * (size_t)nb + (size_t)blk) * (size_t)R * (size_t)e->block_bytes;
  int n = 0;
  if (e->block_elems == 32) { /* d (and m) of the R rows, block after block */
    const int nf = legacy_fields(e);
    q = p + (size_t)g * (size_t)nb * (size_t)R * (size_t)e->block_bytes +
        2u * (size_t)nf * (size_t)R * (size_t)blk;
    for (int f = 0; f < nf; f++) {
      out[n++] = q[2 * R * f + 2 * r];
      out[n++] = q[2 * R * f + 2 * r + 1];
    }
    *n_out_bytes = n;
    return;
  }
  out[n++] = q[2 * r];
  out[n++] = q[2 * r + 1];
  if (is(e, "q4_k") || is(e, "q5_k")) {
    out[n++] = q[2 * R + 2 * r];
    out[n++] = q[2 * R + 2 * r + 1];
    for (int k = 0; k < 12; k++)
      out[n++] = q[4 * R + R * k + r];
  } else if (is(e, "q6_k")) {
    for (int s = 0; s < 16; s++)
      out[n++] = q[2 * R + R * s + r];
  } else if (is(e, "q2_k")) {
    out[n++] = q[2 * R + 2 * r];
    out[n++] = q[2 * R + 2 * r + 1];
    for (int s = 0; s < 16; s++)
      out[n++] = q[4 * R + R * s + r];
  }
  *n_out_bytes = n;
}

static void gguf_scales(const weight_encoding *e, const uint8_t *b, uint8_t *out, int *n) {
  if (is(e, "q4_k") || is(e, "q5_k")) {
    memcpy(out, b, 16); /* d, dmin, scales[12] */
    *n = 16;
  } else if (is(e, "q6_k")) {
    memcpy(out, b + 208, 2);
    memcpy(out + 2, b + 192, 16);
    *n = 18;
  } else if (is(e, "q2_k")) {
    memcpy(out, b + 80, 4); /* d, dmin */
    memcpy(out + 4, b, 16);
    *n = 20;
  } else {
    *n = 2 * legacy_fields(e); /* d (and m) */
    memcpy(out, b, (size_t)*n);
  }
}

/* ---- pack / unpack ------------------------------------------------------------ */

static const int shapes_blocks[] = {1, 2, 3, 9}; /* blocks per row */
static const int shapes_groups[] = {1, 2, 3, 9}; /* row groups */

static void test_pack_round_trip(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof packings / sizeof packings[0]; ++k) {
    const packing_entry *pk = &packings[k];
    const weight_encoding *e = find_wenc(pk->wenc);
    for (size_t sb = 0; sb < sizeof shapes_blocks / sizeof shapes_blocks[0]; ++sb)
      for (size_t sg = 0; sg < sizeof shapes_groups / sizeof shapes_groups[0]; ++sg) {
        const int n_in = shapes_blocks[sb] * e->block_elems, n_out = shapes_groups[sg] * pk->rows;
        const size_t bytes = matrix_bytes(e, n_in, n_out);
        uint8_t *w = xalloc(bytes), *p = xalloc(bytes + 64), *u = xalloc(bytes + 64);
        for (size_t i = 0; i < bytes; ++i)
          w[i] = (uint8_t)rnd32();
        memset(p, 0xA5, bytes + 64);
        memset(u, 0x5A, bytes + 64);
        pk->pack(p, w, n_in, n_out);
        for (size_t i = bytes; i < bytes + 64; ++i)
          assert_int_equal(p[i], 0xA5);
        assert_true(memcmp(p, w, bytes) != 0);
        pk->unpack(u, p, n_in, n_out);
        for (size_t i = bytes; i < bytes + 64; ++i)
          assert_int_equal(u[i], 0x5A);
        if (memcmp(u, w, bytes) != 0)
          fail_msg("%s_%s: unpack(pack(w)) != w for %d x %d", pk->wenc, pk->packing, n_out, n_in);
        free(w);
        free(p);
        free(u);
      }
  }
}

static void test_pack_layout(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof packings / sizeof packings[0]; ++k) {
    const packing_entry *pk = &packings[k];
    const weight_encoding *e = find_wenc(pk->wenc);
    const int nb = 3, n_in = nb * e->block_elems, n_out = 2 * pk->rows;
    const size_t bytes = matrix_bytes(e, n_in, n_out), row_bytes = bytes / (size_t)n_out;
    uint8_t *w = xalloc(bytes), *p = xalloc(bytes);
    for (size_t i = 0; i < bytes; ++i)
      w[i] = (uint8_t)rnd32();
    pk->pack(p, w, n_in, n_out);
    for (int row = 0; row < n_out; ++row)
      for (int b = 0; b < nb; ++b) {
        const uint8_t *blk = w + (size_t)row * row_bytes + (size_t)b * (size_t)e->block_bytes;
        for (int el = 0; el < e->block_elems; ++el) {
          const int want = gguf_quant(e, blk, el),
                    got = packed_quant(e, pk->packing, pk->rows, p, n_in, row, b, el);
          if (want != got)
            fail_msg("%s_%s: row %d block %d element %d: packed %d, GGUF %d", pk->wenc, pk->packing,
                     row, b, el, got, want);
        }
        uint8_t sa[32], sb[32];
        int na, nbytes;
        gguf_scales(e, blk, sa, &na);
        packed_scales(e, pk->rows, p, n_in, row, b, sb, &nbytes);
        assert_int_equal(na, nbytes);
        assert_memory_equal(sa, sb, (size_t)na);
      }
    free(w);
    free(p);
  }
}

/* ---- embedding rows from packed tables --------------------------------------- */

/* Every row of one random packed table through the packing's embed reader
 * against gqcrt_dequantize_<enc> of the unpacked row, bit for bit. */
static void check_embed_rows(const packing_entry *pk, int nb, int groups, int sane) {
  const weight_encoding *e = find_wenc(pk->wenc);
  const int n_in = nb * e->block_elems, n_out = groups * pk->rows, guard = 16;
  const size_t bytes = matrix_bytes(e, n_in, n_out), row_bytes = bytes / (size_t)n_out;
  uint8_t *w = xalloc(bytes), *p = xalloc(bytes), *u = xalloc(bytes);
  float *want = xalloc(4u * (size_t)n_in), *got = xalloc(4u * (size_t)(n_in + guard));
  if (sane)
    random_weights(e, w, bytes, 0);
  else
    for (size_t i = 0; i < bytes; ++i)
      w[i] = (uint8_t)rnd32();
  pk->pack(p, w, n_in, n_out);
  pk->unpack(u, p, n_in, n_out);
  assert_memory_equal(u, w, bytes);
  for (int row = 0; row < n_out; ++row) {
    e->dequantize(want, u + (size_t)row * row_bytes, n_in);
    memset(got, 0xC3, 4u * (size_t)(n_in + guard));
    pk->embed(got, p, row, n_in);
    for (int i = 0; i < n_in; ++i)
      if (memcmp(&got[i], &want[i], 4) != 0)
        fail_msg("gqcrt_embed_%s_%s %d x %d: row %d element %d: %.9g, dequantize %.9g", pk->wenc,
                 pk->packing, n_out, n_in, row, i, (double)got[i], (double)want[i]);
    for (int i = n_in; i < n_in + guard; ++i) {
      uint32_t bits;
      memcpy(&bits, &got[i], 4);
      assert_int_equal(bits, 0xC3C3C3C3u);
    }
  }
  free(w);
  free(p);
  free(u);
  free(want);
  free(got);
}

static void test_embed_rows(void **state) {
  (void)state;
  int n_checks = 0;
  for (size_t k = 0; k < sizeof packings / sizeof packings[0]; ++k)
    for (size_t sb = 0; sb < sizeof shapes_blocks / sizeof shapes_blocks[0]; ++sb)
      for (size_t sg = 0; sg < sizeof shapes_groups / sizeof shapes_groups[0]; ++sg)
        for (int sane = 0; sane < 2; ++sane, ++n_checks)
          check_embed_rows(&packings[k], shapes_blocks[sb], shapes_groups[sg], sane);
  assert_true(n_checks >= 4 * 16 * 2); /* q4_0, q8_0, q4_k, q6_k */
}

/* ---- kernels ------------------------------------------------------------------ */

static int n_kernel_checks;

static void check_packed_kernel(const packed_kernel *k, int nb, int groups, int extreme) {
  const weight_encoding *e = find_wenc(k->wenc);
  const packing_entry *pk = NULL;
  for (size_t i = 0; i < sizeof packings / sizeof packings[0]; ++i)
    if (!strcmp(packings[i].wenc, k->wenc) && !strcmp(packings[i].packing, k->packing))
      pk = &packings[i];
  assert_non_null(pk);
  const int n_in = nb * e->block_elems, n_out = groups * k->rows;
  const size_t bytes = matrix_bytes(e, n_in, n_out);
  const size_t xbytes = !strcmp(k->aenc, "q8_k")   ? (size_t)nb * GQCRT_Q8_K_BYTES
                        : !strcmp(k->aenc, "q8_1") ? (size_t)(n_in / 32) * GQCRT_Q8_1_BYTES
                                                   : (size_t)(n_in / 32) * GQCRT_Q8_0_BYTES;
  uint8_t *w = xalloc(bytes), *p = xalloc(bytes), *xq = xalloc(xbytes);
  float *x = xalloc(4u * (size_t)n_in), *ys = xalloc(4u * (size_t)n_out);
  float *yp = xalloc(4u * (size_t)n_out), *yr = xalloc(4u * (size_t)n_out);
  random_weights(e, w, bytes, extreme);
  for (int i = 0; i < n_in; ++i)
    x[i] = extreme ? 1.0f : rnd_uniform(-1.0f, 1.0f);
  if (!strcmp(k->aenc, "q8_k"))
    gqcrt_quantize_q8_k(xq, x, n_in);
  else if (!strcmp(k->aenc, "q8_1"))
    gqcrt_quantize_q8_1(xq, x, n_in);
  else
    gqcrt_quantize_q8_0(xq, x, n_in);
  pk->pack(p, w, n_in, n_out);

  e->scalar(ys, w, xq, n_in, n_out);
  k->fn(yp, p, xq, n_in, n_out);
  for (int r = 0; r < n_out; ++r)
    if (memcmp(&ys[r], &yp[r], 4) != 0)
      fail_msg("%s_%s_%s %d x %d%s: row %d: %.9g, scalar %.9g", k->wenc, k->packing, k->variant,
               n_out, n_in, extreme ? " (extreme)" : "", r, (double)yp[r], (double)ys[r]);
  /* Row groups [1, groups) on their own, w and y offset by one group. */
  if (groups > 1) {
    memset(yr, 0, 4u * (size_t)n_out);
    k->fn(yr + k->rows, p + bytes / (size_t)groups, xq, n_in, n_out - k->rows);
    assert_memory_equal(yr + k->rows, ys + k->rows, 4u * (size_t)(n_out - k->rows));
  }
  n_kernel_checks++;
  free(w);
  free(p);
  free(xq);
  free(x);
  free(ys);
  free(yp);
  free(yr);
}

static void test_packed_kernels_vs_scalar(void **state) {
  (void)state;
  int n_kernels = 0;
  for (const packed_kernel *k = packed_kernels; k->wenc; ++k) {
    if (!variant_runs_on_this_cpu(k->variant))
      continue;
    n_kernels++;
    for (size_t sb = 0; sb < sizeof shapes_blocks / sizeof shapes_blocks[0]; ++sb)
      for (size_t sg = 0; sg < sizeof shapes_groups / sizeof shapes_groups[0]; ++sg)
        check_packed_kernel(k, shapes_blocks[sb], shapes_groups[sg], 0);
    check_packed_kernel(k, 2, 2, 1);
    check_packed_kernel(k, 5, 1, 0); /* odd block counts take the loop's tail */
    /* long rows (more blocks than a kernel converts scales for at once) and
     * an odd number of row groups (kernels that take groups in pairs) */
    check_packed_kernel(k, 301, 3, 0);
  }
  assert_int_equal(n_kernel_checks, n_kernels * 19);
#if defined(__aarch64__)
  assert_true(n_kernels >= 4); /* q4_0, q8_0, q4_k, q6_k */
#endif
}

int main(void) {
  test_rng_seed(0x9E3779B97F4A7C15ull);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pack_round_trip),
      cmocka_unit_test(test_pack_layout),
      cmocka_unit_test(test_embed_rows),
      cmocka_unit_test(test_packed_kernels_vs_scalar),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

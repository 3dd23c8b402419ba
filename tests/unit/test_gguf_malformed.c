/* test_gguf_malformed.c — the GGUF reader rejects malformed files.
 *
 * Every case is built in memory, either with the writer (raw KVs and raw
 * tensor infos for the impossible ones) or by patching the bytes of a small
 * valid file. Each must be rejected with a message that begins
 * "bad.gguf: offset 0x<hex>: ", names the problem, and has err.offset set to
 * the offending field; and quickly (absurd counts must fail before any work
 * or allocation proportional to them). Run this under ASan too.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"
#include "gguf_blob.h"
#include "gguf_fields.h"

#define ANY_OFFSET UINT64_MAX

/* Asserts that the reader rejects buf with a message containing `needle`,
 * located at `offset` (unless ANY_OFFSET), within a fraction of a second. */
static void expect_reject(const uint8_t *buf, uint64_t size, const char *needle, uint64_t offset) {
  gguf_error err;
  memset(&err, 0, sizeof err);
  double t0 = now_seconds();
  gguf_file *f = gguf_open_memory(buf, size, "bad.gguf", &err);
  double dt = now_seconds() - t0;
  if (f) {
    gguf_close(f);
    fail_msg("accepted a malformed file (expected \"%s\")", needle);
  }
  char prefix[64];
  snprintf(prefix, sizeof prefix, "bad.gguf: offset 0x%llx: ", (unsigned long long)err.offset);
  if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
    fail_msg("message \"%s\" does not start with \"%s\"", err.msg, prefix);
  if (!strstr(err.msg, needle))
    fail_msg("message \"%s\" does not mention \"%s\"", err.msg, needle);
  if (offset != ANY_OFFSET && err.offset != offset)
    fail_msg("message \"%s\": offset 0x%llx, expected 0x%llx", err.msg,
             (unsigned long long)err.offset, (unsigned long long)offset);
  if (dt > 0.5)
    fail_msg("rejecting took %.3f s", dt);
}

static void expect_blob_reject(blob b, const char *needle, uint64_t offset) {
  expect_reject(b.p, b.size, needle, offset);
  free(b.p);
}

/* ---- the valid base file and its layout --------------------------------- */

static const char *const base_tokens[] = {"a", "bb", "ccc"};
static const float base_scores[] = {1, 2, 3};

/* A long first string, so that truncations inside the later KVs are past
 * what the header's counts need and reach the KV parser. */
static void base_kvs(gguf_writer *w) {
  char name[201];
  memset(name, 'n', 200);
  name[200] = 0;
  gguf_writer_add_str(w, "general.name", name);
  gguf_writer_add_str(w, "general.architecture", "llama");
  gguf_writer_add_u32(w, "test.count", 7);
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", base_tokens, 3);
  gguf_writer_add_array(w, "test.scores", GGUF_F32, base_scores, 3);
}

static const uint64_t ne_a[2] = {32, 2}; /* w.a: f32, 256 bytes at 0 */
static const uint64_t ne_b[2] = {64, 2}; /* w.b: q8_0, 136 bytes at 256 */

static void base_tensors(gguf_writer *w) {
  gguf_writer_add_tensor(w, "w.a", 2, ne_a, GGML_F32);
  gguf_writer_add_tensor(w, "w.b", 2, ne_b, GGML_Q8_0);
}

static void base_data(gguf_writer *w) {
  uint8_t data[256 + 136];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7);
  gguf_writer_write_tensor_data(w, data, sizeof data);
}

/* A file with custom KVs (or the base ones) and the base tensors. */
static blob build(void (*kvs)(gguf_writer *)) {
  gguf_writer *w = gguf_writer_open_memory();
  (kvs ? kvs : base_kvs)(w);
  base_tensors(w);
  base_data(w);
  return finish(w);
}

/* The base file, and the positions of its fields in *l. */
static blob base(gguf_fields *l) {
  blob b = build(NULL);
  gguf_error err;
  gguf_file *f = gguf_fields_open(b.p, b.size, l, &err);
  if (!f)
    fail_msg("base file rejected: %s", err.msg);
  assert_int_equal(f->n_kv, 5);
  assert_int_equal(f->n_tensors, 2);
  assert_int_equal(f->tensors[1].offset, 256);
  gguf_close(f);
  return b;
}

/* ---- truncation ------------------------------------------------------------ */

static void test_empty_buffer(void **state) {
  (void)state;
  expect_reject((const uint8_t *)"", 0, "unexpected end of file reading the magic", 0);
}

static void test_truncated_header(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  expect_reject(b.p, 3, "unexpected end of file reading the magic", 0);
  expect_reject(b.p, 6, "unexpected end of file reading the version", 4);
  expect_reject(b.p, 12, "unexpected end of file reading the tensor count", 8);
  expect_reject(b.p, 23, "unexpected end of file reading the KV count", 16);
  free(b.p);
}

/* Cut at every byte before the end of the last tensor's data: always a
 * clean rejection whose offset is inside what is left. Cuts in the trailing
 * padding after the last tensor lose nothing and are accepted. */
static void test_truncated_at_every_byte(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  for (uint64_t n = 0; n < l.data_end; n++) {
    uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees any overread */
    memcpy(copy, b.p, n);
    gguf_error err;
    gguf_file *f = gguf_open_memory(copy, n, "bad.gguf", &err);
    if (f)
      fail_msg("truncation to %llu bytes accepted", (unsigned long long)n);
    assert_true(err.offset <= n);
    assert_non_null(strstr(err.msg, "bad.gguf: offset 0x"));
    free(copy);
  }
  for (uint64_t n = l.data_end; n <= b.size; n++) {
    gguf_error err;
    gguf_file *f = gguf_open_memory(b.p, n, "ok.gguf", &err);
    if (!f)
      fail_msg("%s", err.msg);
    gguf_close(f);
  }
  free(b.p);
}

static void test_truncated_at_section_boundaries(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  /* Cuts early in the KVs leave too few bytes for the counts. */
  expect_reject(b.p, 24, "tensor count 2 cannot fit in the 0 bytes", 8);
  expect_reject(b.p, 24 + 64, "KV count 5 cannot fit in the 64 bytes", 16);
  for (int i = 1; i < 5; i++) {
    expect_reject(b.p, l.kv[i], "unexpected end of file reading key", l.kv[i]);
    expect_reject(b.p, l.kv_type[i], "unexpected end of file reading value type", l.kv_type[i]);
  }
  expect_reject(b.p, l.kv_value[2], "end of file reading the value of key 'test.count'",
                l.kv_value[2]);
  expect_reject(b.p, l.kv_value[3] + 4, "unexpected end of file reading array length",
                l.kv_value[3] + 4);
  for (int i = 0; i < 2; i++) {
    expect_reject(b.p, l.ti[i], "unexpected end of file reading tensor name", l.ti[i]);
    expect_reject(b.p, l.ti_ne[i], "unexpected end of file reading tensor dimension", l.ti_ne[i]);
    expect_reject(b.p, l.ti_offset[i], "reading tensor data offset", l.ti_offset[i]);
  }
  /* In the padding before the data section. */
  assert_true(l.data_offset > l.infos_end);
  expect_reject(b.p, l.infos_end, "tensor data section should start", l.infos_end);
  expect_reject(b.p, l.data_offset - 1, "tensor data section should start", l.infos_end);
  /* At the data section and at each tensor's data. */
  expect_reject(b.p, l.data_offset, "tensor 'w.a': data [0x0, +256 bytes) runs past the end",
                l.ti_offset[0]);
  expect_reject(b.p, l.data_offset + 256, "tensor 'w.b': data [0x100, +136 bytes) runs past",
                l.ti_offset[1]);
  expect_reject(b.p, l.data_end - 1, "runs past the end of the file", l.ti_offset[1]);
  free(b.p);
}

/* ---- header ---------------------------------------------------------------- */

/* Counts that each fit alone but not together. */
static void test_counts_fit_only_separately(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  uint64_t rest = b.size - 24;
  put64(b.p, 8, rest / 32);
  put64(b.p, 16, rest / 14);
  expect_blob_reject(b, "KV count", 16);
}

/* ---- KVs --------------------------------------------------------------------- */

static void test_string_value_past_end(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  put64(b.p, l.kv_value[1], b.size);
  expect_blob_reject(b, "the value of key 'general.architecture' length", l.kv_value[1]);
}

static void kvs_duplicate(gguf_writer *w) {
  gguf_writer_add_u32(w, "test.count", 1);
  gguf_writer_add_str(w, "general.architecture", "llama");
  gguf_writer_add_u32(w, "test.count", 2);
}

static void test_duplicate_key(void **state) {
  (void)state;
  blob b = build(kvs_duplicate);
  gguf_error err;
  assert_null(gguf_open_memory(b.p, b.size, "bad.gguf", &err));
  /* The third KV starts after a 4+8+10-byte first and a 8+20+4+8+5 second. */
  uint64_t third = 24 + (8 + 10 + 4 + 4) + (8 + 20 + 4 + 8 + 5);
  expect_blob_reject(b, "duplicate key 'test.count' (first defined at offset 0x18)", third);
}

static void kvs_empty_key(gguf_writer *w) {
  gguf_writer_add_u32(w, "", 1);
}

static void test_empty_key(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_empty_key), "KV 0 has an empty key", 24);
}

static void kvs_nested(gguf_writer *w) {
  uint8_t payload[4 + 8 + 4 + 8 + 4];
  put32(payload, 0, GGUF_ARRAY); /* array of arrays */
  put64(payload, 4, 1);
  put32(payload, 12, GGUF_U32); /* inner: one u32 */
  put64(payload, 16, 1);
  put32(payload, 24, 5);
  gguf_writer_add_raw_kv(w, "test.nested", GGUF_ARRAY, payload, sizeof payload);
}

static void test_nested_array(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_nested), "key 'test.nested': nested arrays", 24 + 8 + 11 + 4);
}

/* Array lengths whose byte size overflows 64 bits (2^62 x 4, 2^61 x 8) or
 * is merely absurd: rejected at the count, before any allocation. */
static void test_array_count_absurd(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  put64(b.p, l.kv_value[4] + 4, UINT64_C(1) << 62);
  expect_blob_reject(b, "array of 4611686018427387904 f32 elements cannot fit", l.kv_value[4] + 4);
  b = base(&l);
  put32(b.p, l.kv_value[4], GGUF_U64);
  put64(b.p, l.kv_value[4] + 4, UINT64_C(1) << 61); /* x 8 = 2^64 wraps to 0 */
  expect_blob_reject(b, "array of 2305843009213693952 u64 elements", l.kv_value[4] + 4);
  b = base(&l);
  put64(b.p, l.kv_value[4] + 4, UINT64_MAX);
  expect_blob_reject(b, "cannot fit", l.kv_value[4] + 4);
}

/* ---- general.alignment ---------------------------------------------------- */

static void kvs_align0(gguf_writer *w) {
  gguf_writer_add_u32(w, "general.alignment", 0);
}
static void kvs_align3(gguf_writer *w) {
  gguf_writer_add_u32(w, "general.alignment", 3);
}
static void kvs_align_big(gguf_writer *w) {
  gguf_writer_add_u32(w, "general.alignment", 1u << 21);
}
static void kvs_align_str(gguf_writer *w) {
  gguf_writer_add_str(w, "general.alignment", "32");
}
static void kvs_align_u64(gguf_writer *w) {
  gguf_writer_add_u64(w, "general.alignment", 32);
}

enum { ALIGN_KEY_TYPE_AT = 24 + 8 + 17, ALIGN_VALUE_AT = ALIGN_KEY_TYPE_AT + 4 };

static void test_alignment_zero(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_align0), "general.alignment 0 is not a power of two",
                     ALIGN_VALUE_AT);
}

static void test_alignment_three(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_align3), "general.alignment 3 is not a power of two",
                     ALIGN_VALUE_AT);
}

static void test_alignment_too_large(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_align_big), "general.alignment 2097152", ALIGN_VALUE_AT);
}

static void test_alignment_as_string(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_align_str), "general.alignment has type string; it must be u32",
                     ALIGN_KEY_TYPE_AT);
}

static void test_alignment_as_u64(void **state) {
  (void)state;
  expect_blob_reject(build(kvs_align_u64), "general.alignment has type u64", ALIGN_KEY_TYPE_AT);
}

/* ---- tensor infos ------------------------------------------------------------ */

/* The base KVs, the tensor infos given, and no data (cases that must fail
 * in the infos). */
static blob build_infos(void (*infos)(gguf_writer *)) {
  gguf_writer *w = gguf_writer_open_memory();
  base_kvs(w);
  infos(w);
  gguf_writer_pad(w);
  uint8_t data[512] = {0};
  gguf_writer_write_raw(w, data, sizeof data);
  return finish(w);
}

static void infos_dup(gguf_writer *w) {
  gguf_writer_add_tensor_raw(w, "w.a", 2, ne_a, GGML_F32, 0);
  gguf_writer_add_tensor_raw(w, "w.a", 2, ne_a, GGML_F32, 256);
}

static void test_duplicate_tensor_name(void **state) {
  (void)state;
  gguf_fields l;
  free(base(&l).p);
  expect_blob_reject(build_infos(infos_dup), "duplicate tensor name 'w.a'", l.ti[1]);
}

static void infos_long_name(gguf_writer *w) {
  char name[65];
  memset(name, 'x', 64);
  name[64] = 0;
  gguf_writer_add_tensor_raw(w, name, 2, ne_a, GGML_F32, 0);
}

static void test_tensor_name_too_long(void **state) {
  (void)state;
  gguf_fields l;
  free(base(&l).p);
  expect_blob_reject(build_infos(infos_long_name), "is 64 bytes long", l.ti[0]);
}

static void infos_empty_name(gguf_writer *w) {
  gguf_writer_add_tensor_raw(w, "", 2, ne_a, GGML_F32, 0);
}

static void test_tensor_name_empty(void **state) {
  (void)state;
  gguf_fields l;
  free(base(&l).p);
  expect_blob_reject(build_infos(infos_empty_name), "tensor 0 has an empty name", l.ti[0]);
}

static void infos_overflow(gguf_writer *w) {
  const uint64_t ne[4] = {UINT64_C(1) << 32, UINT64_C(1) << 32, 1, 1};
  gguf_writer_add_tensor_raw(w, "big", 4, ne, GGML_F32, 0);
}

static void test_dimension_product_overflows(void **state) {
  (void)state;
  gguf_fields l;
  free(base(&l).p);
  /* 2^32 * 2^32 = 2^64 wraps to 0 in 64-bit arithmetic. */
  expect_blob_reject(build_infos(infos_overflow), "dimension 1 = 4294967296 makes the element",
                     l.ti[0] + 8 + 3 + 4 + 8);
}

/* ---- tensor data ------------------------------------------------------------ */

/* 20000 tensors are read in linear time (hash tables, not pairwise
 * scans), and a duplicate name at the very end is still found. */
static blob build_many(int n, bool last_duplicates_first) {
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "general.architecture", "llama");
  const uint64_t ne[1] = {8};
  char name[32];
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "t%d", last_duplicates_first && i == n - 1 ? 0 : i);
    gguf_writer_add_tensor(w, name, 1, ne, GGML_F32);
  }
  for (int i = 0; i < n; i++)
    gguf_writer_write_tensor_data(w, "0123456789abcdef0123456789abcdef", 32);
  return finish(w);
}

static void test_many_tensors_are_fast(void **state) {
  (void)state;
  enum { N = 20000 };
  blob b = build_many(N, false);
  double t0 = now_seconds();
  gguf_error err;
  gguf_file *f = gguf_open_memory(b.p, b.size, "many.gguf", &err);
  assert_non_null(f);
  assert_int_equal(f->n_tensors, N);
  assert_non_null(gguf_find_tensor(f, "t19999"));
  gguf_close(f);
  assert_true(now_seconds() - t0 < 1.0);
  free(b.p);
  expect_blob_reject(build_many(N, true), "duplicate tensor name 't0'", ANY_OFFSET);
}

/* Random byte corruption of the metadata never crashes (ASan/UBSan builds
 * check the reads): every result is either a clean, located rejection or a
 * file whose tensors all lie inside the buffer. */
static void test_random_corruption(void **state) {
  (void)state;
  gguf_fields l;
  blob b = base(&l);
  uint8_t *copy = malloc(b.size);
  uint64_t x = 0x9e3779b97f4a7c15u;
  int rejected = 0;
  for (int iter = 0; iter < 5000; iter++) {
    memcpy(copy, b.p, b.size);
    int flips = 1 + iter % 4;
    for (int k = 0; k < flips; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      uint64_t at = x % l.data_offset;
      copy[at] = (uint8_t)(iter % 3 == 0 ? x >> 32 : copy[at] ^ (1u << (x >> 61)));
    }
    uint64_t size = iter % 5 == 0 ? (x >> 20) % (b.size + 1) : b.size;
    uint8_t *exact = malloc(size ? size : 1);
    memcpy(exact, copy, size);
    gguf_error err;
    gguf_file *f = gguf_open_memory(exact, size, "bad.gguf", &err);
    if (f) {
      for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        assert_true(t->data >= exact && t->data + t->nbytes <= exact + size);
      }
      for (uint64_t i = 0; i < f->n_kv; i++)
        if (f->kv[i].value.type == GGUF_ARRAY && f->kv[i].value.v.arr.elem_type == GGUF_STRING)
          for (uint64_t j = 0; j < f->kv[i].value.v.arr.count; j++) {
            gguf_str s = gguf_arr_str(&f->kv[i].value, j);
            assert_true((const uint8_t *)s.ptr + s.len <= exact + size);
          }
      gguf_close(f);
    } else {
      rejected++;
      assert_true(err.offset <= size);
      assert_non_null(strstr(err.msg, "bad.gguf: offset 0x"));
    }
    free(exact);
  }
  assert_true(rejected > 1000);
  free(copy);
  free(b.p);
}

/* ---- one patched field ---------------------------------------------------- */

/* A place in the base file: an absolute offset, or a field of KV / tensor
 * info `i` (gguf_fields) plus `plus` bytes. */
typedef enum { ABS, KV, KV_TYPE, KV_VALUE, TI_NDIMS, TI_NE, TI_TYPE, TI_OFFSET } field_kind;
typedef struct place {
  field_kind kind;
  int i;
  uint64_t plus;
} place;

static uint64_t offset_of(const gguf_fields *l, place p) {
  switch (p.kind) {
  case ABS:
    return p.plus;
  case KV:
    return l->kv[p.i] + p.plus;
  case KV_TYPE:
    return l->kv_type[p.i] + p.plus;
  case KV_VALUE:
    return l->kv_value[p.i] + p.plus;
  case TI_NDIMS:
    return l->ti_ndims[p.i] + p.plus;
  case TI_NE:
    return l->ti_ne[p.i] + p.plus;
  case TI_TYPE:
    return l->ti_type[p.i] + p.plus;
  case TI_OFFSET:
    return l->ti_offset[p.i] + p.plus;
  }
  return 0;
}

/* The base file with the `bits`-bit little-endian `value` written at `at`
 * must be rejected with a message containing `needle`, located at `where`.
 * Consecutive rows of one name make one cmocka test. */
typedef struct patch_case {
  const char *test;
  place at;
  int bits;
  uint64_t value;
  const char *needle;
  place where;
} patch_case;

#define AT(n)                                                                                      \
  { ABS, 0, n }
static const patch_case patch_cases[] = {
    /* header */
    {"test_wrong_magic", AT(3), 8, 'G', "bad magic 47 47 55 47", AT(0)},
    {"test_version_1", AT(4), 32, 1, "unsupported GGUF version 1", AT(4)},
    {"test_version_99", AT(4), 32, 99, "unsupported GGUF version 99", AT(4)},
    {"test_version_big_endian", AT(4), 32, 0x03000000, "big-endian", AT(4)},
    {"test_tensor_count_2_60", AT(8), 64, UINT64_C(1) << 60,
     "tensor count 1152921504606846976 cannot fit", AT(8)},
    {"test_kv_count_huge", AT(16), 64, UINT64_MAX, "KV count 18446744073709551615 cannot fit",
     AT(16)},
    {"test_kv_count_huge", AT(16), 64, UINT64_C(1) << 60, "KV count", AT(16)},
    /* KVs */
    {"test_key_length_past_end",
     {KV, 2, 0},
     64,
     UINT64_C(1) << 63,
     "key length 9223372036854775808 runs past the end",
     {KV, 2, 0}},
    /* pos + len would wrap */
    {"test_key_length_past_end",
     {KV, 2, 0},
     64,
     UINT64_MAX,
     "key length 18446744073709551615 runs past",
     {KV, 2, 0}},
    /* "te\0t.count" */
    {"test_key_with_nul", {KV, 2, 8 + 2}, 8, 0, "key contains a NUL byte", {KV, 2, 0}},
    {"test_value_type_out_of_range",
     {KV_TYPE, 2, 0},
     32,
     13,
     "key 'test.count': unknown value type 13",
     {KV_TYPE, 2, 0}},
    {"test_value_type_out_of_range",
     {KV_TYPE, 2, 0},
     32,
     UINT32_MAX,
     "unknown value type 4294967295",
     {KV_TYPE, 2, 0}},
    {"test_array_elem_type_out_of_range",
     {KV_VALUE, 4, 0},
     32,
     200,
     "key 'test.scores': unknown array element type 200",
     {KV_VALUE, 4, 0}},
    {"test_string_array_count_absurd",
     {KV_VALUE, 3, 4},
     64,
     UINT64_C(1) << 62,
     "array of 4611686018427387904 string elements cannot fit",
     {KV_VALUE, 3, 4}},
    /* the second string's length: after the count, then "a" */
    {"test_string_array_element_past_end",
     {KV_VALUE, 3, 12 + 8 + 1},
     64,
     UINT64_C(1) << 40,
     "array string length 1099511627776 runs past the end",
     {KV_VALUE, 3, 12 + 8 + 1}},
    /* tensor infos */
    {"test_n_dims_zero",
     {TI_NDIMS, 0, 0},
     32,
     0,
     "tensor 'w.a': n_dims 0 is not in 1..4",
     {TI_NDIMS, 0, 0}},
    {"test_n_dims_five",
     {TI_NDIMS, 1, 0},
     32,
     5,
     "tensor 'w.b': n_dims 5 is not in 1..4",
     {TI_NDIMS, 1, 0}},
    {"test_zero_dimension",
     {TI_NE, 0, 8},
     64,
     0,
     "tensor 'w.a': dimension 1 is zero",
     {TI_NE, 0, 8}},
    {"test_single_dimension_too_large",
     {TI_NE, 0, 0},
     64,
     UINT64_C(1) << 62,
     "limit 2^62",
     {TI_NE, 0, 0}},
    /* -1 as int64 */
    {"test_single_dimension_too_large",
     {TI_NE, 0, 0},
     64,
     UINT64_MAX,
     "dimension 0 = 18446744073709551615",
     {TI_NE, 0, 0}},
    {"test_tensor_type_out_of_range",
     {TI_TYPE, 1, 0},
     32,
     GGML_TYPE_LIMIT,
     "tensor 'w.b': unknown type id 64",
     {TI_TYPE, 1, 0}},
    {"test_tensor_type_out_of_range",
     {TI_TYPE, 1, 0},
     32,
     UINT32_MAX,
     "tensor 'w.b': unknown type id 4294967295",
     {TI_TYPE, 1, 0}},
    {"test_tensor_type_q8_k",
     {TI_TYPE, 1, 0},
     32,
     GGML_Q8_K,
     "tensor 'w.b': type id 15 (q8_k) is an activation-only",
     {TI_TYPE, 1, 0}},
    {"test_tensor_type_q8_1",
     {TI_TYPE, 0, 0},
     32,
     GGML_Q8_1,
     "tensor 'w.a': type id 9 (q8_1)",
     {TI_TYPE, 0, 0}},
    {"test_tensor_type_unsupported_iq",
     {TI_TYPE, 0, 0},
     32,
     20,
     "tensor 'w.a': type id 20 (iq4_nl) is not supported",
     {TI_TYPE, 0, 0}},
    {"test_ne0_not_multiple_of_block",
     {TI_NE, 1, 0},
     64,
     48,
     "tensor 'w.b': ne[0] = 48 is not a multiple of the q8_0 block size 32",
     {TI_NE, 1, 0}},
    /* ne[0] = 32 < 256 */
    {"test_ne0_not_multiple_of_block",
     {TI_TYPE, 0, 0},
     32,
     GGML_Q4_K,
     "q4_k block size 256",
     {TI_NE, 0, 0}},
    /* tensor data */
    {"test_unaligned_offset",
     {TI_OFFSET, 1, 0},
     64,
     257,
     "tensor 'w.b': data offset 0x101 is not a multiple of the alignment 32",
     {TI_OFFSET, 1, 0}},
    {"test_offset_past_end",
     {TI_OFFSET, 1, 0},
     64,
     UINT64_C(1) << 40,
     "tensor 'w.b': data [0x10000000000, +136 bytes) runs past the end",
     {TI_OFFSET, 1, 0}},
    /* aligned, and offset + size wraps */
    {"test_offset_past_end",
     {TI_OFFSET, 1, 0},
     64,
     UINT64_MAX - 31,
     "runs past the end",
     {TI_OFFSET, 1, 0}},
    /* w.a is [0, 256) */
    {"test_overlapping_tensors",
     {TI_OFFSET, 1, 0},
     64,
     224,
     "tensor 'w.b': data [0xe0, 0x168) overlaps tensor 'w.a' data [0x0, 0x100)",
     {TI_OFFSET, 1, 0}},
    /* [128, 384) and [256, 392) */
    {"test_overlapping_tensors",
     {TI_OFFSET, 0, 0},
     64,
     128,
     "tensor 'w.b': data [0x100, 0x188) overlaps tensor 'w.a'",
     {TI_OFFSET, 1, 0}},
};
#undef AT
enum { N_PATCH_CASES = sizeof patch_cases / sizeof patch_cases[0] };

/* The cmocka test of the rows from *state on that share its name. */
static void test_patched_field(void **state) {
  const patch_case *first = *state;
  for (const patch_case *c = first;
       c < patch_cases + N_PATCH_CASES && !strcmp(c->test, first->test); c++) {
    gguf_fields l;
    blob b = base(&l);
    const uint64_t at = offset_of(&l, c->at);
    if (c->bits == 8)
      b.p[at] = (uint8_t)c->value;
    else if (c->bits == 32)
      put32(b.p, at, (uint32_t)c->value);
    else
      put64(b.p, at, c->value);
    expect_blob_reject(b, c->needle, offset_of(&l, c->where));
  }
}

int main(void) {
  struct CMUnitTest tests[64] = {
      cmocka_unit_test(test_empty_buffer),
      cmocka_unit_test(test_truncated_header),
      cmocka_unit_test(test_truncated_at_every_byte),
      cmocka_unit_test(test_truncated_at_section_boundaries),
      cmocka_unit_test(test_counts_fit_only_separately),
      cmocka_unit_test(test_string_value_past_end),
      cmocka_unit_test(test_duplicate_key),
      cmocka_unit_test(test_empty_key),
      cmocka_unit_test(test_nested_array),
      cmocka_unit_test(test_array_count_absurd),
      cmocka_unit_test(test_alignment_zero),
      cmocka_unit_test(test_alignment_three),
      cmocka_unit_test(test_alignment_too_large),
      cmocka_unit_test(test_alignment_as_string),
      cmocka_unit_test(test_alignment_as_u64),
      cmocka_unit_test(test_duplicate_tensor_name),
      cmocka_unit_test(test_tensor_name_too_long),
      cmocka_unit_test(test_tensor_name_empty),
      cmocka_unit_test(test_dimension_product_overflows),
      cmocka_unit_test(test_many_tensors_are_fast),
      cmocka_unit_test(test_random_corruption),
  };
  size_t n = 0;
  while (tests[n].name)
    n++;
  for (size_t i = 0; i < N_PATCH_CASES; i++)
    if (i == 0 || strcmp(patch_cases[i].test, patch_cases[i - 1].test)) {
      assert_true(n < sizeof tests / sizeof tests[0]);
      tests[n++] = (struct CMUnitTest){patch_cases[i].test, test_patched_field, NULL, NULL,
                                       (void *)&patch_cases[i]};
    }
  return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}

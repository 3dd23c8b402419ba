/* test_gguf.c — the GGUF reader on real files (stories260K, tiny-llama
 * Q4_K_M, vocabulary-only files), the typed getters and array accessors,
 * the ggml type table, and a writer -> reader round trip of every KV type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"

#define MODEL(name) GQC_TEST_DATA "/models/" name

static bool str_eq(gguf_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* Every tensor's data lies inside the data section of the mapping. */
static void assert_tensors_in_range(const gguf_file *f) {
  for (uint64_t i = 0; i < f->n_tensors; i++) {
    const gguf_tensor *t = &f->tensors[i];
    assert_non_null(t->data);
    assert_true(t->data >= f->base + f->data_offset);
    assert_true(t->data + t->nbytes <= f->base + f->size);
    assert_int_equal(t->offset % f->alignment, 0);
    assert_ptr_equal(t->data, f->base + f->data_offset + t->offset);
    assert_ptr_equal(gguf_find_tensor(f, t->name), t);
  }
  if (f->n_tensors > 0)
    assert_int_equal(f->data_offset % f->alignment, 0);
  assert_true(f->data_offset <= f->size);
}

/* The file at path, opened; the reader's message fails the test. */
static gguf_file *open_ok(const char *path, gguf_error *err) {
  gguf_file *f = gguf_open(path, err);
  if (!f)
    fail_msg("%s", err->msg);
  return f;
}

static void test_stories260k(void **state) {
  (void)state;
  gguf_error err;
  gguf_file *f = open_ok(MODEL("stories260K.gguf"), &err);
  assert_int_equal(f->version, 3);
  assert_int_equal(f->n_tensors, 48);
  assert_int_equal(f->n_kv, 19);
  assert_int_equal(f->alignment, 32);

  gguf_str arch;
  assert_true(gguf_get_str(f, "general.architecture", &arch, &err));
  assert_true(str_eq(arch, "llama"));
  uint32_t u = 0;
  assert_true(gguf_get_u32(f, "llama.embedding_length", &u, &err));
  assert_int_equal(u, 64);
  assert_true(gguf_get_u32(f, "llama.block_count", &u, &err));
  assert_int_equal(u, 5);
  assert_true(gguf_get_u32(f, "llama.attention.head_count", &u, &err));
  assert_int_equal(u, 8);
  assert_true(gguf_get_u32(f, "llama.attention.head_count_kv", &u, &err));
  assert_int_equal(u, 4);
  assert_true(gguf_get_u32(f, "llama.feed_forward_length", &u, &err));
  assert_int_equal(u, 172);
  assert_true(gguf_get_u32(f, "tokenizer.ggml.seperator_token_id", &u, &err));
  assert_int_equal(u, 4294967295u);
  float eps = 0;
  assert_true(gguf_get_f32(f, "llama.attention.layer_norm_rms_epsilon", &eps, &err));
  assert_float_equal(eps, 1e-5f, 1e-9f);

  const gguf_kv *tokens = gguf_find_kv(f, "tokenizer.ggml.tokens");
  assert_non_null(tokens);
  assert_int_equal(tokens->value.type, GGUF_ARRAY);
  assert_int_equal(tokens->value.v.arr.elem_type, GGUF_STRING);
  assert_int_equal(tokens->value.v.arr.count, 512);
  assert_true(str_eq(gguf_arr_str(&tokens->value, 0), "<unk>"));
  assert_true(str_eq(gguf_arr_str(&tokens->value, 1), "<s>"));
  assert_true(str_eq(gguf_arr_str(&tokens->value, 2), "</s>"));
  assert_true(str_eq(gguf_arr_str(&tokens->value, 3), "<0x00>"));
  assert_true(str_eq(gguf_arr_str(&tokens->value, 258), "<0xFF>"));
  /* Out of range: a zero value, not a crash. */
  assert_null(gguf_arr_str(&tokens->value, 512).ptr);
  assert_int_equal(gguf_arr_str(&tokens->value, UINT64_MAX).len, 0);

  const gguf_kv *types = gguf_find_kv(f, "tokenizer.ggml.token_type");
  assert_non_null(types);
  assert_int_equal(types->value.v.arr.elem_type, GGUF_I32);
  assert_int_equal(gguf_arr_i64(&types->value, 0), 2); /* UNKNOWN */
  assert_int_equal(gguf_arr_i64(&types->value, 1), 3); /* CONTROL */
  assert_int_equal(gguf_arr_i64(&types->value, 3), 6); /* BYTE */
  assert_float_equal(gguf_arr_f64(&types->value, 3), 6.0, 0);
  assert_int_equal(gguf_arr_i64(&types->value, 512), 0);
  /* A string array read as numbers yields zeros. */
  assert_int_equal(gguf_arr_i64(&tokens->value, 0), 0);

  const gguf_tensor *emb = gguf_find_tensor(f, "token_embd.weight");
  assert_non_null(emb);
  assert_int_equal(emb->n_dims, 2);
  assert_int_equal(emb->ne[0], 64);
  assert_int_equal(emb->ne[1], 512);
  assert_int_equal(emb->ne[2], 1);
  assert_int_equal(emb->ne[3], 1);
  assert_int_equal(emb->type, GGML_F32);
  assert_int_equal(emb->nbytes, 64 * 512 * 4);
  const gguf_tensor *ffn = gguf_find_tensor(f, "blk.4.ffn_down.weight");
  assert_non_null(ffn);
  assert_int_equal(ffn->ne[0], 172);
  assert_int_equal(ffn->ne[1], 64);
  assert_non_null(gguf_find_tensor(f, "output.weight"));
  assert_null(gguf_find_tensor(f, "blk.5.ffn_down.weight"));
  assert_null(gguf_find_kv(f, "no.such.key"));
  assert_tensors_in_range(f);
  /* The first embedding values are ordinary finite floats. */
  float x;
  memcpy(&x, emb->data, 4);
  assert_true(x > -10 && x < 10);
  gguf_close(f);
}

static void test_tiny_llama_q4_k_m(void **state) {
  (void)state;
  gguf_error err;
  gguf_file *f = open_ok(MODEL("tiny-llama-Q4_K_M.gguf"), &err);
  assert_int_equal(f->n_tensors, 39);
  assert_int_equal(f->n_kv, 23);
  uint32_t u;
  assert_true(gguf_get_u32(f, "general.file_type", &u, &err));
  assert_int_equal(u, 15); /* MOSTLY_Q4_K_M */
  assert_true(gguf_get_u32(f, "llama.rope.dimension_count", &u, &err));
  assert_int_equal(u, 32);
  bool b = false;
  assert_true(gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b, &err));
  assert_true(b);
  assert_true(gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &b, &err));
  assert_false(b);

  const gguf_tensor *out = gguf_find_tensor(f, "output.weight");
  assert_non_null(out);
  assert_int_equal(out->type, GGML_Q6_K);
  assert_int_equal(out->ne[0], 256);
  assert_int_equal(out->ne[1], 4096);
  assert_int_equal(out->nbytes, 4096 * 210);
  const gguf_tensor *q = gguf_find_tensor(f, "blk.0.attn_q.weight");
  assert_int_equal(q->type, GGML_Q4_K);
  assert_int_equal(q->nbytes, 256 * 144);
  const gguf_tensor *k = gguf_find_tensor(f, "blk.0.attn_k.weight");
  assert_int_equal(k->ne[1], 128);
  assert_int_equal(gguf_find_tensor(f, "blk.2.attn_v.weight")->type, GGML_Q6_K);
  assert_int_equal(gguf_find_tensor(f, "blk.0.ffn_down.weight")->ne[0], 768);
  assert_int_equal(gguf_find_tensor(f, "output_norm.weight")->type, GGML_F32);
  assert_int_equal(gguf_find_tensor(f, "output_norm.weight")->n_dims, 1);
  assert_tensors_in_range(f);
  gguf_close(f);
}

/* Every shipped model and vocabulary file opens. */
static void test_all_shipped_files_open(void **state) {
  (void)state;
  static const char *const names[] = {
      "ggml-vocab-llama-spm.gguf", "ggml-vocab-qwen2.gguf",  "llama-2-tiny-random.gguf",
      "tiny-gemma3-Q5_1.gguf",     "tiny-gemma3-f32.gguf",   "tiny-llama-BF16.gguf",
      "tiny-llama-Q2_K.gguf",      "tiny-llama-Q3_K_S.gguf", "tiny-llama-Q5_K_S.gguf",
      "tiny-qwen2-Q8_0.gguf",      "tiny-qwen3-Q4_K_M.gguf"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s", GQC_TEST_DATA, names[i]);
    gguf_error err;
    gguf_file *f = open_ok(path, &err);
    assert_tensors_in_range(f);
    gguf_close(f);
  }
  /* The vocabulary files have no tensors (and no trailing padding). */
  gguf_error err;
  gguf_file *f = open_ok(MODEL("ggml-vocab-qwen2.gguf"), &err);
  assert_int_equal(f->n_tensors, 0);
  const gguf_kv *tok = gguf_find_kv(f, "tokenizer.ggml.tokens");
  assert_int_equal(tok->value.v.arr.count, 151936);
  assert_true(str_eq(gguf_arr_str(&tok->value, 151935), "[PAD151935]"));
  assert_true(str_eq(gguf_arr_str(&gguf_find_kv(f, "tokenizer.ggml.merges")->value, 0),
                     "\xc4\xa0 \xc4\xa0"));
  gguf_close(f);
}

static void test_getter_mismatches(void **state) {
  (void)state;
  gguf_error err;
  gguf_file *f = open_ok(MODEL("stories260K.gguf"), &err);
  /* Absent: false, *out untouched, no error needed. */
  uint32_t u = 77;
  assert_false(gguf_get_u32(f, "llama.nothing", &u, &err));
  assert_int_equal(u, 77);
  /* Type mismatch: false, *out untouched, message with key and offset. */
  memset(&err, 0, sizeof err);
  assert_false(gguf_get_u32(f, "general.architecture", &u, &err));
  assert_int_equal(u, 77);
  assert_non_null(strstr(err.msg, "general.architecture"));
  assert_non_null(strstr(err.msg, "string"));
  const gguf_kv *kv = gguf_find_kv(f, "general.architecture");
  assert_int_equal(err.offset, kv->file_offset);
  char off[32];
  snprintf(off, sizeof off, "offset 0x%llx", (unsigned long long)kv->file_offset);
  assert_non_null(strstr(err.msg, off));
  float x = 5;
  assert_false(gguf_get_f32(f, "llama.block_count", &x, &err));
  assert_true(x == 5);
  bool b = true;
  assert_false(gguf_get_bool(f, "llama.block_count", &b, NULL)); /* NULL err is fine */
  gguf_str s = {0};
  assert_false(gguf_get_str(f, "llama.block_count", &s, &err));
  assert_null(s.ptr);
  int64_t i = 0;
  assert_true(gguf_get_i64(f, "llama.block_count", &i, &err));
  assert_int_equal(i, 5);
  assert_true(gguf_get_i64(f, "tokenizer.ggml.seperator_token_id", &i, &err));
  assert_int_equal(i, 4294967295ll);
  assert_false(gguf_get_i64(f, "tokenizer.ggml.tokens", &i, &err)); /* an array */
  gguf_close(f);
}

static void test_open_missing_file(void **state) {
  (void)state;
  gguf_error err;
  assert_null(gguf_open("/nonexistent/dir/model.gguf", &err));
  assert_non_null(strstr(err.msg, "/nonexistent/dir/model.gguf"));
  assert_null(gguf_open(GQC_TEST_DATA, &err)); /* a directory */
  assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_type_table(void **state) {
  (void)state;
  static const struct {
    uint32_t id;
    const char *name;
    uint32_t be, bb;
  } want[] = {
      {GGML_F32, "f32", 1, 4},       {GGML_F16, "f16", 1, 2},       {GGML_BF16, "bf16", 1, 2},
      {GGML_Q4_0, "q4_0", 32, 18},   {GGML_Q4_1, "q4_1", 32, 20},   {GGML_Q5_0, "q5_0", 32, 22},
      {GGML_Q5_1, "q5_1", 32, 24},   {GGML_Q8_0, "q8_0", 32, 34},   {GGML_Q8_1, "q8_1", 32, 36},
      {GGML_Q2_K, "q2_k", 256, 84},  {GGML_Q3_K, "q3_k", 256, 110}, {GGML_Q4_K, "q4_k", 256, 144},
      {GGML_Q5_K, "q5_k", 256, 176}, {GGML_Q6_K, "q6_k", 256, 210}, {GGML_Q8_K, "q8_k", 256, 292}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    uint32_t be = 0, bb = 0;
    assert_true(ggml_type_block(want[i].id, &be, &bb));
    assert_int_equal(be, want[i].be);
    assert_int_equal(bb, want[i].bb);
    assert_string_equal(ggml_type_name(want[i].id), want[i].name);
  }
  uint32_t be = 9, bb = 9;
  assert_false(ggml_type_block(4, &be, &bb));
  assert_false(ggml_type_block(20, &be, &bb));
  assert_false(ggml_type_block(GGML_TYPE_LIMIT, &be, &bb));
  assert_false(ggml_type_block(UINT32_MAX, &be, &bb));
  assert_int_equal(be, 9);
  assert_null(ggml_type_name(16));
  assert_null(ggml_type_name(1000));
}

/* Writer -> reader: every KV type, arrays of each, alignment 64, version 2. */
static void test_writer_round_trip(void **state) {
  (void)state;
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_set_version(w, 2);
  gguf_writer_add_u32(w, "general.alignment", 64);
  gguf_writer_add_u8(w, "t.u8", 200);
  gguf_writer_add_i8(w, "t.i8", -100);
  gguf_writer_add_u16(w, "t.u16", 60000);
  gguf_writer_add_i16(w, "t.i16", -30000);
  gguf_writer_add_u32(w, "t.u32", 4000000000u);
  gguf_writer_add_i32(w, "t.i32", -2000000000);
  gguf_writer_add_u64(w, "t.u64", UINT64_C(1) << 40);
  gguf_writer_add_u64(w, "t.u64big", UINT64_MAX);
  gguf_writer_add_i64(w, "t.i64", -(INT64_C(1) << 40));
  gguf_writer_add_i32(w, "t.neg", -1);
  gguf_writer_add_f32(w, "t.f32", 1.5f);
  gguf_writer_add_f64(w, "t.f64", -2.25);
  gguf_writer_add_bool(w, "t.bool", true);
  gguf_writer_add_str(w, "t.str", "hello");
  gguf_writer_add_strn(w, "t.empty", "", 0);
  const char *strs[] = {"a", "", "ccc"};
  gguf_writer_add_str_array(w, "t.strs", strs, 3);
  int32_t i32s[] = {-1, 2, -3};
  gguf_writer_add_array(w, "t.i32s", GGUF_I32, i32s, 3);
  float f32s[] = {0.5f, -1.0f};
  gguf_writer_add_array(w, "t.f32s", GGUF_F32, f32s, 2);
  uint8_t bools[] = {1, 0, 1, 1};
  gguf_writer_add_array(w, "t.bools", GGUF_BOOL, bools, 4);
  uint16_t u16s[] = {65535};
  gguf_writer_add_array(w, "t.u16s", GGUF_U16, u16s, 1);
  double f64s[] = {3.25};
  gguf_writer_add_array(w, "t.f64s", GGUF_F64, f64s, 1);
  int64_t i64s[] = {INT64_MIN};
  gguf_writer_add_array(w, "t.i64s", GGUF_I64, i64s, 1);
  gguf_writer_add_array(w, "t.none", GGUF_U8, NULL, 0);
  uint64_t ne_a[2] = {32, 3}, ne_b[1] = {64};
  assert_int_equal(gguf_writer_add_tensor(w, "a", 2, ne_a, GGML_F32), 32 * 3 * 4);
  assert_int_equal(gguf_writer_add_tensor(w, "b", 1, ne_b, GGML_Q8_0), 2 * 34);
  float data_a[96];
  for (int i = 0; i < 96; i++)
    data_a[i] = (float)i;
  gguf_writer_write_tensor_data(w, data_a, 100); /* chunks that straddle nothing in particular */
  gguf_writer_write_tensor_data(w, (uint8_t *)data_a + 100, sizeof data_a - 100);
  uint8_t data_b[68];
  memset(data_b, 0x11, sizeof data_b);
  gguf_writer_write_tensor_data(w, data_b, sizeof data_b);
  assert_true(gguf_writer_finish(w));
  assert_null(gguf_writer_error(w));
  uint8_t *buf;
  uint64_t size;
  assert_true(gguf_writer_take_buffer(w, &buf, &size));
  gguf_writer_free(w);
  assert_int_equal(size % 64, 0);

  gguf_error err;
  gguf_file *f = gguf_open_memory(buf, size, "mem.gguf", &err);
  if (!f)
    fail_msg("%s", err.msg);
  assert_int_equal(f->version, 2);
  assert_int_equal(f->alignment, 64);
  assert_int_equal(f->n_kv, 24);
  assert_int_equal(f->data_offset % 64, 0);
  uint32_t u;
  int64_t i;
  float x;
  bool b;
  gguf_str s;
  assert_true(gguf_get_u32(f, "t.u8", &u, &err) && u == 200);
  assert_true(gguf_get_i64(f, "t.i8", &i, &err) && i == -100);
  assert_false(gguf_get_u32(f, "t.i8", &u, &err)); /* negative does not fit */
  assert_non_null(strstr(err.msg, "does not fit"));
  assert_true(gguf_get_u32(f, "t.u16", &u, &err) && u == 60000);
  assert_true(gguf_get_i64(f, "t.i16", &i, &err) && i == -30000);
  assert_true(gguf_get_u32(f, "t.u32", &u, &err) && u == 4000000000u);
  assert_true(gguf_get_i64(f, "t.i32", &i, &err) && i == -2000000000);
  assert_false(gguf_get_u32(f, "t.u64", &u, &err)); /* too large for u32 */
  assert_true(gguf_get_i64(f, "t.u64", &i, &err) && i == (INT64_C(1) << 40));
  assert_false(gguf_get_i64(f, "t.u64big", &i, &err));
  assert_true(gguf_get_i64(f, "t.i64", &i, &err) && i == -(INT64_C(1) << 40));
  assert_false(gguf_get_u32(f, "t.neg", &u, &err));
  assert_true(gguf_get_f32(f, "t.f32", &x, &err) && x == 1.5f);
  assert_true(gguf_get_f32(f, "t.f64", &x, &err) && x == -2.25f);
  assert_true(gguf_get_bool(f, "t.bool", &b, &err) && b);
  assert_false(gguf_get_u32(f, "t.bool", &u, &err));
  assert_true(gguf_get_str(f, "t.str", &s, &err) && str_eq(s, "hello"));
  assert_true(gguf_get_str(f, "t.empty", &s, &err) && s.len == 0);
  const gguf_value *v = &gguf_find_kv(f, "t.strs")->value;
  assert_int_equal(v->v.arr.count, 3);
  assert_true(str_eq(gguf_arr_str(v, 0), "a"));
  assert_true(str_eq(gguf_arr_str(v, 1), ""));
  assert_true(str_eq(gguf_arr_str(v, 2), "ccc"));
  v = &gguf_find_kv(f, "t.i32s")->value;
  assert_int_equal(gguf_arr_i64(v, 0), -1);
  assert_int_equal(gguf_arr_i64(v, 2), -3);
  assert_null(gguf_arr_str(v, 0).ptr);
  v = &gguf_find_kv(f, "t.f32s")->value;
  assert_true(gguf_arr_f64(v, 0) == 0.5 && gguf_arr_f64(v, 1) == -1.0);
  assert_int_equal(gguf_arr_i64(v, 0), 0); /* floats are not integers */
  v = &gguf_find_kv(f, "t.bools")->value;
  assert_int_equal(v->v.arr.elem_type, GGUF_BOOL);
  assert_int_equal(gguf_arr_i64(v, 0) + gguf_arr_i64(v, 1) + gguf_arr_i64(v, 3), 2);
  assert_int_equal(gguf_arr_i64(&gguf_find_kv(f, "t.u16s")->value, 0), 65535);
  assert_true(gguf_arr_f64(&gguf_find_kv(f, "t.f64s")->value, 0) == 3.25);
  assert_true(gguf_arr_i64(&gguf_find_kv(f, "t.i64s")->value, 0) == INT64_MIN);
  assert_int_equal(gguf_find_kv(f, "t.none")->value.v.arr.count, 0);
  /* Scalars are not arrays. */
  assert_int_equal(gguf_arr_i64(&gguf_find_kv(f, "t.u8")->value, 0), 0);

  const gguf_tensor *ta = gguf_find_tensor(f, "a"), *tb = gguf_find_tensor(f, "b");
  assert_int_equal(ta->offset, 0);
  assert_int_equal(tb->offset, 384); /* 384 bytes of a, already a multiple of 64 */
  assert_int_equal(tb->nbytes, 68);
  assert_memory_equal(ta->data, data_a, sizeof data_a);
  assert_memory_equal(tb->data, data_b, sizeof data_b);
  assert_tensors_in_range(f);
  gguf_close(f);
  free(buf);
}

/* The writer refuses a tensor that did not get all its bytes, and surplus. */
static void test_writer_errors(void **state) {
  (void)state;
  uint64_t ne[1] = {32};
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_tensor(w, "a", 1, ne, GGML_F32);
  gguf_writer_write_tensor_data(w, "xxxx", 4);
  assert_false(gguf_writer_finish(w));
  assert_non_null(strstr(gguf_writer_error(w), "only 4 of 128"));
  gguf_writer_free(w);

  w = gguf_writer_open_memory();
  gguf_writer_add_tensor(w, "a", 1, ne, GGML_F32);
  uint8_t big[200] = {0};
  gguf_writer_write_tensor_data(w, big, sizeof big);
  assert_false(gguf_writer_finish(w));
  assert_non_null(strstr(gguf_writer_error(w), "beyond the last tensor"));
  gguf_writer_free(w);

  w = gguf_writer_open_memory();
  uint64_t bad[1] = {33};
  assert_int_equal(gguf_writer_add_tensor(w, "q", 1, bad, GGML_Q8_0), 0);
  assert_non_null(gguf_writer_error(w));
  gguf_writer_free(w);

  char msg[256];
  assert_null(gguf_writer_open_file("/nonexistent/dir/x.gguf", msg, sizeof msg));
  assert_non_null(strstr(msg, "/nonexistent/dir/x.gguf"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stories260k),
      cmocka_unit_test(test_tiny_llama_q4_k_m),
      cmocka_unit_test(test_all_shipped_files_open),
      cmocka_unit_test(test_getter_mismatches),
      cmocka_unit_test(test_open_missing_file),
      cmocka_unit_test(test_type_table),
      cmocka_unit_test(test_writer_round_trip),
      cmocka_unit_test(test_writer_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_gguf_hostile.c — GGUF input that test_gguf_malformed.c does not cover:
 * the reader's remaining corners, and files that are perfectly well formed
 * but carry hostile metadata, which must stop the frontend (description
 * interpreter, vocabulary builder) with a message rather than crash it.
 *
 * Reader: a NUL inside a tensor name; gguf_open on a directory, a missing
 * path, an empty file and a NULL path; gguf_open_memory on a NULL buffer;
 * an alignment that the default-aligned offsets do not meet; a
 * well-formed 2^40-element tensor whose data the file does not hold; a long
 * key in a message; every typed getter on the wrong type or an out-of-range
 * value; the array accessors past the end and on the wrong element type;
 * empty arrays and files without tensors (valid).
 *
 * Untrusted bytes in messages (a newline, an ANSI escape sequence, BEL,
 * invalid and valid non-ASCII UTF-8 in an architecture name, a tensor name, a
 * key and a file name) arrive escaped: one line of printable ASCII.
 *
 * Well-formed but hostile (a copy of stories260K with one KV replaced):
 * zero, huge and type-confused hyperparameters, a huge context length, an
 * absurd architecture name, a tokenizer whose arrays disagree or have the
 * wrong type. Each must fail with a message naming the file (or, where the
 * value is harmless, compile), quickly, under ASan/UBSan as well.
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
#include <unistd.h>
#include <cmocka.h>

#include "frontend/frontend.h"
#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"
#include "frontend/vocab_build.h"
#include "gguf_blob.h"

/* Expects the reader to reject b with `needle` in a located message. */
static void expect_reject(blob b, const char *needle) {
  gguf_error err;
  memset(&err, 0, sizeof err);
  gguf_file *f = gguf_open_memory(b.p, b.size, "bad.gguf", &err);
  if (f) {
    gguf_close(f);
    fail_msg("accepted (expected \"%s\")", needle);
  }
  if (strncmp(err.msg, "bad.gguf: offset 0x", 19) != 0 || !strstr(err.msg, needle))
    fail_msg("message \"%s\", expected \"%s\"", err.msg, needle);
  assert_true(err.offset <= b.size);
  free(b.p);
}

/* ---- reader corners ------------------------------------------------------ */

static void test_tensor_name_with_nul(void **state) {
  (void)state;
  gguf_writer *w = gguf_writer_open_memory();
  const uint64_t ne[1] = {8};
  gguf_writer_add_tensor_raw(w, "ab", 1, ne, GGML_F32, 0);
  gguf_writer_pad(w);
  uint8_t data[32] = {0};
  gguf_writer_write_raw(w, data, sizeof data);
  blob b = finish(w);
  /* The name is the last thing before n_dims: patch its second byte. */
  uint8_t *name = NULL;
  for (uint64_t i = 0; i + 2 <= b.size && !name; i++)
    if (b.p[i] == 'a' && b.p[i + 1] == 'b')
      name = b.p + i;
  assert_non_null(name);
  name[1] = 0;
  expect_reject(b, "tensor 0: name contains a NUL byte");
}

static void test_open_paths(void **state) {
  (void)state;
  gguf_error err;
  assert_null(gguf_open(GQC_TEST_DATA "/models", &err));
  assert_non_null(strstr(err.msg, "not a regular file"));
  assert_null(gguf_open(GQC_TEST_DATA "/models/no-such-file.gguf", &err));
  assert_non_null(strstr(err.msg, "cannot open"));
  assert_non_null(strstr(err.msg, "no-such-file.gguf"));
  assert_null(gguf_open(GQC_TEST_DATA "/bad/empty.gguf", &err));
  assert_non_null(strstr(err.msg, "empty file"));
  assert_null(gguf_open(NULL, &err));
  assert_non_null(strstr(err.msg, "no path"));
  assert_null(gguf_open(GQC_TEST_DATA "/bad/empty.gguf", NULL)); /* no error sink */
  assert_null(gguf_open_memory(NULL, 16, "null.gguf", &err));
  assert_non_null(strstr(err.msg, "NULL buffer"));
  /* A NULL buffer of size 0 is an empty input, rejected like one. */
  assert_null(gguf_open_memory(NULL, 0, "null.gguf", &err));
  assert_non_null(strstr(err.msg, "end of file reading the magic"));
}

static void test_alignment_not_met(void **state) {
  (void)state;
  /* general.alignment 64, second tensor at 32 (aligned for the default). */
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_u32(w, "general.alignment", 64);
  const uint64_t ne[1] = {8};
  gguf_writer_add_tensor_raw(w, "a", 1, ne, GGML_F32, 0);
  gguf_writer_add_tensor_raw(w, "b", 1, ne, GGML_F32, 32);
  gguf_writer_pad(w);
  uint8_t data[128] = {0};
  gguf_writer_write_raw(w, data, sizeof data);
  expect_reject(finish(w), "tensor 'b': data offset 0x20 is not a multiple of the alignment 64");
}

static void test_well_formed_huge_tensor(void **state) {
  (void)state;
  /* 2^20 x 2^20 f32 = 4 TiB of data claimed by a 100-byte header: the
   * reader compares with the file size, allocates nothing for it. */
  gguf_writer *w = gguf_writer_open_memory();
  const uint64_t ne[2] = {UINT64_C(1) << 20, UINT64_C(1) << 20};
  gguf_writer_add_tensor_raw(w, "huge", 2, ne, GGML_F32, 0);
  gguf_writer_pad(w);
  uint8_t data[64] = {0};
  gguf_writer_write_raw(w, data, sizeof data);
  double t0 = now_seconds();
  expect_reject(finish(w), "tensor 'huge': data [0x0, +4398046511104 bytes) runs past the end");
  assert_true(now_seconds() - t0 < 0.5);
}

static void test_long_key_in_message(void **state) {
  (void)state;
  /* A 100000-byte key with an unknown value type: the message stays
   * within gguf_error.msg and says the key was cut. */
  char *key = malloc(100001);
  memset(key, 'k', 100000);
  key[100000] = 0;
  gguf_writer *w = gguf_writer_open_memory();
  uint32_t v = 1;
  gguf_writer_add_raw_kv(w, key, 77, &v, sizeof v);
  free(key);
  blob b = finish(w);
  gguf_error err;
  assert_null(gguf_open_memory(b.p, b.size, "bad.gguf", &err));
  assert_non_null(memchr(err.msg, 0, sizeof err.msg));
  assert_non_null(strstr(err.msg, "kkk...': unknown value type 77"));
  free(b.p);
}

static gguf_file *open_blob(blob b) {
  gguf_error err;
  gguf_file *f = gguf_open_memory(b.p, b.size, "ok.gguf", &err);
  if (!f)
    fail_msg("%s", err.msg);
  return f;
}

static void typed_kvs(gguf_writer *w) {
  gguf_writer_add_i32(w, "t.neg", -5);
  gguf_writer_add_u64(w, "t.big", UINT64_C(1) << 40);
  gguf_writer_add_u64(w, "t.huge", UINT64_MAX);
  gguf_writer_add_str(w, "t.str", "text");
  gguf_writer_add_f32(w, "t.f32", 1.5f);
  gguf_writer_add_bool(w, "t.bool", true);
  const int32_t ints[2] = {7, -7};
  gguf_writer_add_array(w, "t.ints", GGUF_I32, ints, 2);
  const char *const strs[2] = {"x", "yy"};
  gguf_writer_add_str_array(w, "t.strs", strs, 2);
  gguf_writer_add_str_array(w, "t.empty", strs, 0);
}

/* A file of typed_kvs. */
static blob typed_blob(void) {
  gguf_writer *w = gguf_writer_open_memory();
  typed_kvs(w);
  return finish(w);
}

static void test_getters_on_wrong_types(void **state) {
  (void)state;
  blob b = typed_blob();
  gguf_file *f = open_blob(b);
  gguf_error err;
  uint32_t u = 99;
  int64_t i = 99;
  float x = 99;
  bool flag = false;
  gguf_str s = {NULL, 0};
  /* Absent: false, output untouched. */
  assert_false(gguf_get_u32(f, "t.absent", &u, &err));
  assert_int_equal(u, 99);
  /* Out of range. */
  assert_false(gguf_get_u32(f, "t.neg", &u, &err));
  assert_non_null(strstr(err.msg, "key 't.neg' value -5 does not fit in u32"));
  assert_false(gguf_get_u32(f, "t.big", &u, &err));
  assert_non_null(strstr(err.msg, "does not fit in u32"));
  assert_false(gguf_get_i64(f, "t.huge", &i, &err));
  assert_non_null(strstr(err.msg, "does not fit in i64"));
  assert_int_equal(u, 99);
  assert_int_equal(i, 99);
  /* Wrong type. */
  assert_false(gguf_get_u32(f, "t.str", &u, &err));
  assert_non_null(strstr(err.msg, "key 't.str' has type string"));
  assert_false(gguf_get_f32(f, "t.neg", &x, &err));
  assert_false(gguf_get_bool(f, "t.str", &flag, &err));
  assert_false(gguf_get_str(f, "t.ints", &s, &err));
  assert_non_null(strstr(err.msg, "key 't.ints' has type array, expected string"));
  assert_false(gguf_get_u32(f, "t.ints", &u, &err));
  /* A NULL error sink is allowed. */
  assert_false(gguf_get_u32(f, "t.str", &u, NULL));
  /* Right types still work. */
  assert_true(gguf_get_i64(f, "t.neg", &i, &err) && i == -5);
  assert_true(gguf_get_f32(f, "t.f32", &x, &err) && x == 1.5f);
  assert_true(gguf_get_bool(f, "t.bool", &flag, &err) && flag);
  assert_true(gguf_get_str(f, "t.str", &s, &err) && s.len == 4 && !memcmp(s.ptr, "text", 4));
  gguf_close(f);
  free(b.p);
}

static void test_array_accessors_out_of_range(void **state) {
  (void)state;
  blob b = typed_blob();
  gguf_file *f = open_blob(b);
  const gguf_value *ints = &gguf_find_kv(f, "t.ints")->value;
  const gguf_value *strs = &gguf_find_kv(f, "t.strs")->value;
  const gguf_value *empty = &gguf_find_kv(f, "t.empty")->value;
  const gguf_value *scalar = &gguf_find_kv(f, "t.neg")->value;
  assert_int_equal(gguf_arr_i64(ints, 1), -7);
  assert_int_equal(gguf_arr_i64(ints, 2), 0);
  assert_int_equal(gguf_arr_i64(ints, UINT64_MAX), 0);
  assert_true(gguf_arr_f64(ints, 2) == 0.0);
  assert_null(gguf_arr_str(ints, 0).ptr); /* not a string array */
  assert_int_equal(gguf_arr_str(strs, 1).len, 2);
  assert_null(gguf_arr_str(strs, 2).ptr);
  assert_null(gguf_arr_str(strs, UINT64_MAX).ptr);
  assert_int_equal(gguf_arr_i64(strs, 0), 0); /* not a numeric array */
  assert_true(gguf_arr_f64(strs, 0) == 0.0);
  assert_int_equal(empty->v.arr.count, 0);
  assert_null(gguf_arr_str(empty, 0).ptr);
  assert_int_equal(gguf_arr_i64(scalar, 0), 0); /* not an array at all */
  assert_null(gguf_arr_str(scalar, 0).ptr);
  assert_null(gguf_arr_str(NULL, 0).ptr);
  assert_int_equal(gguf_arr_i64(NULL, 0), 0);
  gguf_close(f);
  free(b.p);
}

static void test_no_tensors_is_valid(void **state) {
  (void)state;
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "general.architecture", "llama");
  blob b = finish(w);
  gguf_file *f = open_blob(b);
  assert_int_equal(f->n_tensors, 0);
  assert_null(gguf_find_tensor(f, "token_embd.weight"));
  assert_true(f->data_offset <= b.size);
  /* ... and the frontend says what is missing. */
  gqc_diag d = {0};
  assert_null(gqc_frontend_load(f, NULL, &d));
  assert_true(d.failed && d.msg[0]);
  gguf_close(f);
  free(b.p);
}

/* ---- well-formed files with hostile metadata ------------------------------ */

/* How to change the copy: replace (or, with add_kv only, add) one KV. */
typedef struct edit {
  const char *key;               /* the KV to drop; NULL: none */
  void (*add_kv)(gguf_writer *); /* written where the dropped KV was (or first) */
} edit;

static gguf_file *stories;

static int setup(void **state) {
  (void)state;
  gguf_error err;
  stories = gguf_open(GQC_TEST_DATA "/models/stories260K.gguf", &err);
  if (!stories) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  gguf_close(stories);
  return 0;
}

/* stories260K with one KV replaced, every tensor as it is. */
static blob edited_stories(edit e) {
  gguf_writer *w = gguf_writer_open_memory();
  bool added = false;
  if (!e.key && e.add_kv) {
    e.add_kv(w);
    added = true;
  }
  for (uint64_t i = 0; i < stories->n_kv; i++) {
    if (e.key && !strcmp(stories->kv[i].key, e.key)) {
      if (e.add_kv)
        e.add_kv(w);
      added = true;
      continue;
    }
    gguf_writer_copy_kv(w, &stories->kv[i]);
  }
  if (!added)
    fail_msg("no key %s in stories260K", e.key);
  for (uint64_t i = 0; i < stories->n_tensors; i++) {
    const gguf_tensor *t = &stories->tensors[i];
    gguf_writer_add_tensor(w, t->name, t->n_dims, t->ne, t->type);
  }
  for (uint64_t i = 0; i < stories->n_tensors; i++)
    gguf_writer_write_tensor_data(w, stories->tensors[i].data, stories->tensors[i].nbytes);
  return finish(w);
}

/* Loads the edited file through the frontend and the vocabulary builder.
 * Returns 1 if both succeeded, 0 if one failed (its message checked). */
static int load_edited(edit e, char *msg, size_t msg_size) {
  blob b = edited_stories(e);
  gguf_error err;
  gguf_file *f = gguf_open_memory(b.p, b.size, "hostile.gguf", &err);
  if (!f)
    fail_msg("the edited file is not well formed: %s", err.msg);
  double t0 = now_seconds();
  gqc_frontend_options opts = {0};
  opts.module_name = "model";
  gqc_diag d = {0};
  ir_module *m = gqc_frontend_load(f, &opts, &d);
  int ok = m != NULL;
  if (m) {
    ir_module_free(m);
    gqc_vocab_blob vb = {0};
    ok = gqc_vocab_build(f, &vb, &d);
    gqc_vocab_blob_free(&vb);
  }
  if (!ok) {
    assert_true(d.failed);
    assert_non_null(memchr(d.msg, 0, sizeof d.msg));
    if (!strstr(d.msg, "hostile.gguf") && !strstr(d.msg, ".arch:"))
      fail_msg("message does not say where: %s", d.msg);
    snprintf(msg, msg_size, "%s", d.msg);
  }
  if (now_seconds() - t0 > 5.0)
    fail_msg("took %.1f s", now_seconds() - t0);
  gguf_close(f);
  free(b.p);
  return ok;
}

static void expect_refused(edit e, const char *needle) {
  char msg[1024] = "";
  int ok = load_edited(e, msg, sizeof msg);
  if (getenv("GQC_TEST_VERBOSE"))
    fprintf(stderr, "%s: %s\n", e.key ? e.key : "(added KV)", ok ? "accepted" : msg);
  if (ok)
    fail_msg("%s: accepted (expected \"%s\")", e.key ? e.key : "(added KV)", needle);
  if (!strstr(msg, needle))
    fail_msg("%s: message \"%s\" does not mention \"%s\"", e.key ? e.key : "(added KV)", msg,
             needle);
}

#define U32_KV(fn, key, value)                                                                     \
  static void fn(gguf_writer *w) {                                                                 \
    gguf_writer_add_u32(w, key, (uint32_t)(value));                                                \
  }
U32_KV(block_count_0, "llama.block_count", 0)
U32_KV(block_count_max, "llama.block_count", UINT32_MAX)
U32_KV(block_count_1e6, "llama.block_count", 1000000)
U32_KV(head_count_0, "llama.attention.head_count", 0)
U32_KV(head_count_kv_0, "llama.attention.head_count_kv", 0)
U32_KV(head_count_3, "llama.attention.head_count", 3)
U32_KV(embd_0, "llama.embedding_length", 0)
U32_KV(embd_65, "llama.embedding_length", 65)
U32_KV(ctx_0, "llama.context_length", 0)
U32_KV(rope_dims_max, "llama.rope.dimension_count", UINT32_MAX)
U32_KV(bos_out_of_range, "tokenizer.ggml.bos_token_id", 1u << 30)

static void ctx_huge(gguf_writer *w) {
  gguf_writer_add_u64(w, "llama.context_length", UINT64_MAX);
}
static void block_count_negative(gguf_writer *w) {
  gguf_writer_add_i32(w, "llama.block_count", -1);
}
static void block_count_string(gguf_writer *w) {
  gguf_writer_add_str(w, "llama.block_count", "5");
}
static void eps_string(gguf_writer *w) {
  gguf_writer_add_str(w, "llama.attention.layer_norm_rms_epsilon", "1e-5");
}
static void arch_u32(gguf_writer *w) {
  gguf_writer_add_u32(w, "general.architecture", 7);
}
static void arch_long(gguf_writer *w) {
  char name[10001];
  memset(name, 'z', 10000);
  name[10000] = 0;
  gguf_writer_add_str(w, "general.architecture", name);
}
static void arch_with_nul(gguf_writer *w) {
  gguf_writer_add_strn(w, "general.architecture", "llama\0evil", 10);
}
static void tokens_u32(gguf_writer *w) {
  const uint32_t v[3] = {1, 2, 3};
  gguf_writer_add_array(w, "tokenizer.ggml.tokens", GGUF_U32, v, 3);
}
static void tokens_short(gguf_writer *w) {
  const char *const t[3] = {"<unk>", "<s>", "</s>"};
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", t, 3);
}
static void scores_short(gguf_writer *w) {
  const float s[2] = {0, 0};
  gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_F32, s, 2);
}
static void model_unknown(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "sentencepiece-from-mars");
}

static void test_hostile_hyperparameters(void **state) {
  (void)state;
  expect_refused((edit){"llama.block_count", block_count_0}, "");
  expect_refused((edit){"llama.block_count", block_count_max}, "");
  expect_refused((edit){"llama.block_count", block_count_1e6}, "blk.5");
  expect_refused((edit){"llama.block_count", block_count_negative}, "");
  expect_refused((edit){"llama.block_count", block_count_string}, "llama.block_count");
  expect_refused((edit){"llama.attention.head_count", head_count_0}, "");
  expect_refused((edit){"llama.attention.head_count_kv", head_count_kv_0}, "");
  expect_refused((edit){"llama.attention.head_count", head_count_3}, "");
  expect_refused((edit){"llama.embedding_length", embd_0}, "");
  expect_refused((edit){"llama.embedding_length", embd_65}, "");
  expect_refused((edit){"llama.rope.dimension_count", rope_dims_max}, "");
  expect_refused((edit){"llama.attention.layer_norm_rms_epsilon", eps_string},
                 "layer_norm_rms_epsilon");
  expect_refused((edit){"llama.block_count", NULL}, "llama.block_count");
}

static void test_hostile_context_length(void **state) {
  (void)state;
  char msg[1024] = "";
  /* A context length the compiled context is clamped from (n_ctx is
   * min(context_length, 2048)) or that is refused; never a huge cache. */
  edit cases[] = {{"llama.context_length", ctx_0}, {"llama.context_length", ctx_huge}};
  for (size_t k = 0; k < 2; k++) {
    blob b = edited_stories(cases[k]);
    gguf_error err;
    gguf_file *f = gguf_open_memory(b.p, b.size, "hostile.gguf", &err);
    assert_non_null(f);
    gqc_frontend_options opts = {0};
    opts.module_name = "model";
    gqc_diag d = {0};
    ir_module *m = gqc_frontend_load(f, &opts, &d);
    if (m) {
      int64_t n_ctx = ir_meta_int(m, "n_ctx", -1);
      assert_true(n_ctx >= 1 && n_ctx <= 2048);
      ir_module_free(m);
    } else {
      snprintf(msg, sizeof msg, "%s", d.msg);
      if (getenv("GQC_TEST_VERBOSE"))
        fprintf(stderr, "context: %s\n", msg);
      assert_true(strstr(msg, "n_ctx") || strstr(msg, "context_length"));
    }
    gguf_close(f);
    free(b.p);
  }
}

static void test_hostile_architecture(void **state) {
  (void)state;
  expect_refused((edit){"general.architecture", arch_u32}, "general.architecture");
  expect_refused((edit){"general.architecture", arch_long}, "zzzz");
  expect_refused((edit){"general.architecture", NULL}, "general.architecture");
}

/* "llama\0evil" is not "llama" (llama.cpp compares the whole string and
 * refuses it); the built-in lookup must not stop at the NUL byte. */
static void test_architecture_name_with_nul(void **state) {
  (void)state;
  expect_refused((edit){"general.architecture", arch_with_nul}, "architecture");
}

/* ---- untrusted text in messages ------------------------------------------- */

/* The hostile bytes every case below carries, and their escaped form. */
#define EVIL "\n\x1b[2J\a\xff\xc3\xa9\x9b"
#define EVIL_ESCAPED "\\x0a\\x1b[2J\\x07\\xff\\u{e9}\\x9b"

static void assert_printable_line(const char *msg) {
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      fail_msg("byte 0x%02x at %d of the message: %s", *p, (int)(p - (const unsigned char *)msg),
               msg);
}

static void arch_evil(gguf_writer *w) {
  gguf_writer_add_str(w, "general.architecture", "lla" EVIL "ma");
}

static void test_untrusted_text_escaped(void **state) {
  (void)state;
  char msg[1024] = "";
  /* an architecture name, through the frontend */
  assert_false(load_edited((edit){"general.architecture", arch_evil}, msg, sizeof msg));
  assert_printable_line(msg);
  if (!strstr(msg, "'lla" EVIL_ESCAPED "ma'"))
    fail_msg("architecture name not escaped as expected: %s", msg);
  /* a tensor name and a key, in the reader's messages */
  gguf_writer *w = gguf_writer_open_memory();
  const uint64_t ne[1] = {8};
  gguf_writer_add_tensor_raw(w, "t" EVIL, 1, ne, GGML_F32, 4);
  gguf_writer_pad(w);
  uint8_t data[64] = {0};
  gguf_writer_write_raw(w, data, sizeof data);
  blob b = finish(w);
  gguf_error err;
  assert_null(gguf_open_memory(b.p, b.size, "bad.gguf", &err));
  assert_printable_line(err.msg);
  assert_non_null(strstr(err.msg, "tensor 't" EVIL_ESCAPED "'"));
  free(b.p);
  w = gguf_writer_open_memory();
  uint32_t v = 1;
  gguf_writer_add_raw_kv(w, "k" EVIL, 77, &v, sizeof v);
  b = finish(w);
  assert_null(gguf_open_memory(b.p, b.size, "bad.gguf", &err));
  assert_printable_line(err.msg);
  assert_non_null(strstr(err.msg, "'k" EVIL_ESCAPED "': unknown value type 77"));
  free(b.p);
  /* a file name */
  assert_null(gguf_open("/no/such/dir/f" EVIL ".gguf", &err));
  assert_printable_line(err.msg);
  assert_non_null(strstr(err.msg, "/no/such/dir/f" EVIL_ESCAPED ".gguf: offset 0x0: cannot open"));
}

static void test_hostile_tokenizer(void **state) {
  (void)state;
  expect_refused((edit){"tokenizer.ggml.tokens", tokens_u32}, "tokenizer.ggml.tokens");
  expect_refused((edit){"tokenizer.ggml.tokens", tokens_short}, "");
  expect_refused((edit){"tokenizer.ggml.scores", scores_short}, "tokenizer.ggml.scores");
  expect_refused((edit){"tokenizer.ggml.model", model_unknown}, "sentencepiece-from-mars");
  /* An out-of-range special id is disabled, as llama.cpp does: accepted. */
  char msg[1024] = "";
  if (!load_edited((edit){"tokenizer.ggml.bos_token_id", bos_out_of_range}, msg, sizeof msg))
    fail_msg("an out-of-range bos id was refused: %s", msg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tensor_name_with_nul),
      cmocka_unit_test(test_open_paths),
      cmocka_unit_test(test_alignment_not_met),
      cmocka_unit_test(test_well_formed_huge_tensor),
      cmocka_unit_test(test_long_key_in_message),
      cmocka_unit_test(test_getters_on_wrong_types),
      cmocka_unit_test(test_array_accessors_out_of_range),
      cmocka_unit_test(test_no_tensors_is_valid),
      cmocka_unit_test(test_hostile_hyperparameters),
      cmocka_unit_test(test_hostile_context_length),
      cmocka_unit_test(test_hostile_architecture),
      cmocka_unit_test(test_architecture_name_with_nul),
      cmocka_unit_test(test_hostile_tokenizer),
      cmocka_unit_test(test_untrusted_text_escaped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

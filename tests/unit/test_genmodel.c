/* test_genmodel.c — the random-model generator and its reference
 * quantisers.
 *
 * - Generated llama / gemma3 / qwen2 / qwen3 models, in several encodings,
 *   and the tensor lists of gemma2, phi3, olmo2 and starcoder2,
 *   reopen with gguf_open and have exactly the metadata, tensor names,
 *   shapes and types llama.cpp expects (listed here independently of the
 *   generator), with plausible weight statistics.
 * - The reference dequantisers reproduce llama.cpp-quantised files
 *   (tiny-llama-<TYPE>.gguf against tiny-llama-f32.gguf), which pins the
 *   block layouts to llama.cpp's; the reference quantisers round-trip
 *   random data within per-type error bounds and close to llama.cpp's own
 *   error on the same weights.
 * - Presets, fallbacks, --vocab-from, determinism and command-line errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "frontend/gguf.h"
#include "tools/genmodel/genmodel.h"
#include "tools/genmodel/quantize_ref.h"
#include "tools/genmodel/rng.h"

static char tmpdir[256];

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/gqc_test_genmodel_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name) {
  static char path[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
  return path[k];
}

/* Runs gen-model with the NULL-terminated arguments. */
static int run(const char *first, ...) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = "gen-model";
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
    argv[argc++] = (char *)a;
  va_end(ap);
  argv[argc] = NULL;
  fflush(stdout);
  return gqc_genmodel_main(argc, argv);
}

static gguf_file *open_ok(const char *path) {
  gguf_error err;
  gguf_file *f = gguf_open(path, &err);
  if (!f)
    fail_msg("%s", err.msg);
  return f;
}

static uint32_t get_u32(const gguf_file *f, const char *key) {
  uint32_t v = 0;
  gguf_error err;
  if (!gguf_get_u32(f, key, &v, &err))
    fail_msg("missing or mistyped u32 key %s", key);
  return v;
}

static float get_f32(const gguf_file *f, const char *key) {
  float v = 0;
  gguf_error err;
  if (!gguf_get_f32(f, key, &v, &err))
    fail_msg("missing or mistyped f32 key %s", key);
  return v;
}

static bool str_is(gguf_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void expect_tensor(const gguf_file *f, const char *name, uint32_t n_dims, uint64_t ne0,
                          uint64_t ne1, uint32_t type) {
  const gguf_tensor *t = gguf_find_tensor(f, name);
  if (!t)
    fail_msg("tensor %s missing", name);
  if (t->n_dims != n_dims || t->ne[0] != ne0 || t->ne[1] != ne1 || t->type != type)
    fail_msg("tensor %s: %u dims [%llu, %llu] %s, expected %u dims [%llu, %llu] %s", name,
             t->n_dims, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
             ggml_type_name(t->type), n_dims, (unsigned long long)ne0, (unsigned long long)ne1,
             ggml_type_name(type));
}

/* Mean and standard deviation of a tensor's dequantised values. */
static void tensor_stats(const gguf_tensor *t, double *mean, double *sd) {
  uint64_t n = t->ne[0] * t->ne[1];
  float *y = malloc(n * sizeof *y);
  assert_true(qref_dequantize_row(t->type, t->data, y, n));
  double s = 0, s2 = 0;
  for (uint64_t i = 0; i < n; i++) {
    s += y[i];
    s2 += (double)y[i] * y[i];
  }
  *mean = s / (double)n;
  *sd = sqrt(s2 / (double)n - *mean * *mean);
  free(y);
}

typedef struct shape {
  const char *arch;
  uint32_t layers, embd, heads, kv, hd, ff, vocab;
  bool tied;
} shape;

/* The tensors llama.cpp expects (archspec section 3), checked one by one. */
static void check_model(const gguf_file *f, const shape *s, uint32_t type, uint32_t embd_type) {
  bool gemma = strcmp(s->arch, "gemma3") == 0, qwen2 = strcmp(s->arch, "qwen2") == 0;
  bool qk_norm = gemma || strcmp(s->arch, "qwen3") == 0;
  uint64_t D = s->embd, Dq = (uint64_t)s->heads * s->hd, Dkv = (uint64_t)s->kv * s->hd;
  uint64_t count = 0;
  char key[128], name[64];
  gguf_str str;
  gguf_error err;
  assert_true(gguf_get_str(f, "general.architecture", &str, &err));
  assert_true(str_is(str, s->arch));
#define K(suffix) (snprintf(key, sizeof key, "%s." suffix, s->arch), key)
  assert_int_equal(get_u32(f, K("block_count")), s->layers);
  assert_int_equal(get_u32(f, K("embedding_length")), s->embd);
  assert_int_equal(get_u32(f, K("feed_forward_length")), s->ff);
  assert_int_equal(get_u32(f, K("attention.head_count")), s->heads);
  assert_int_equal(get_u32(f, K("attention.head_count_kv")), s->kv);
  assert_int_equal(get_u32(f, K("rope.dimension_count")), s->hd);
  assert_true(get_u32(f, K("context_length")) > 0);
  assert_true(get_f32(f, K("attention.layer_norm_rms_epsilon")) > 0);
  assert_true(get_f32(f, K("rope.freq_base")) > 0);
  if (gemma || qk_norm || qwen2) {
    assert_int_equal(get_u32(f, K("attention.key_length")), s->hd);
    assert_int_equal(get_u32(f, K("attention.value_length")), s->hd);
  }
#undef K
  const gguf_kv *tok = gguf_find_kv(f, "tokenizer.ggml.tokens");
  assert_non_null(tok);
  assert_int_equal(tok->value.v.arr.count, s->vocab);
  assert_non_null(gguf_find_kv(f, "tokenizer.ggml.model"));

  expect_tensor(f, "token_embd.weight", 2, D, s->vocab, embd_type), count++;
  for (uint32_t l = 0; l < s->layers; l++) {
#define T(suffix, nd, a, b, ty)                                                                    \
  (snprintf(name, sizeof name, "blk.%u." suffix, l), expect_tensor(f, name, nd, a, b, ty), count++)
    T("attn_norm.weight", 1, D, 1, GGML_F32);
    T("attn_q.weight", 2, D, Dq, type);
    T("attn_k.weight", 2, D, Dkv, type);
    T("attn_v.weight", 2, D, Dkv, type);
    T("attn_output.weight", 2, Dq, D, type);
    T("ffn_norm.weight", 1, D, 1, GGML_F32);
    T("ffn_gate.weight", 2, D, s->ff, type);
    T("ffn_up.weight", 2, D, s->ff, type);
    T("ffn_down.weight", 2, s->ff, D, type);
    if (qwen2) {
      T("attn_q.bias", 1, Dq, 1, GGML_F32);
      T("attn_k.bias", 1, Dkv, 1, GGML_F32);
      T("attn_v.bias", 1, Dkv, 1, GGML_F32);
    }
    if (qk_norm) {
      T("attn_q_norm.weight", 1, s->hd, 1, GGML_F32);
      T("attn_k_norm.weight", 1, s->hd, 1, GGML_F32);
    }
    if (gemma) {
      T("post_attention_norm.weight", 1, D, 1, GGML_F32);
      T("post_ffw_norm.weight", 1, D, 1, GGML_F32);
    }
#undef T
  }
  expect_tensor(f, "output_norm.weight", 1, D, 1, GGML_F32), count++;
  if (s->tied) {
    assert_null(gguf_find_tensor(f, "output.weight"));
  } else {
    expect_tensor(f, "output.weight", 2, D, s->vocab, type), count++;
  }
  assert_int_equal(f->n_tensors, count);

  /* Weights: matrices ~ 0.02 N(0,1), norms ~ 1. */
  double mean, sd;
  tensor_stats(gguf_find_tensor(f, "blk.0.ffn_up.weight"), &mean, &sd);
  assert_true(fabs(mean) < 0.003);
  assert_true(sd > 0.015 && sd < 0.025);
  tensor_stats(gguf_find_tensor(f, "output_norm.weight"), &mean, &sd);
  assert_true(fabs(mean - 1.0) < 0.02);
  assert_true(sd > 0.02 && sd < 0.1);
}

static void gen_and_check(const shape *s, const char *type_name, uint32_t type) {
  char file[128], layers[16], embd[16], heads[16], kv[16], hd[16], ff[16], vocab[16];
  snprintf(file, sizeof file, "%s-%s.gguf", s->arch, type_name);
  snprintf(layers, sizeof layers, "%u", s->layers);
  snprintf(embd, sizeof embd, "%u", s->embd);
  snprintf(heads, sizeof heads, "%u", s->heads);
  snprintf(kv, sizeof kv, "%u", s->kv);
  snprintf(hd, sizeof hd, "%u", s->hd);
  snprintf(ff, sizeof ff, "%u", s->ff);
  snprintf(vocab, sizeof vocab, "%u", s->vocab);
  const char *path = tmp_path(file);
  assert_int_equal(run("--arch", s->arch, "--type", type_name, "--layers", layers, "--embd", embd,
                       "--heads", heads, "--kv-heads", kv, "--head-dim", hd, "--ff", ff, "--vocab",
                       vocab, s->tied ? "--tied" : "--untied", "-o", path, NULL),
                   0);
  gguf_file *f = open_ok(path);
  check_model(f, s, type, type);
  gguf_close(f);
  remove(path);
}

static void test_llama_models(void **state) {
  (void)state;
  shape s = {"llama", 2, 256, 8, 4, 32, 512, 600, false};
  gen_and_check(&s, "f32", GGML_F32);
  gen_and_check(&s, "q4_k", GGML_Q4_K);
  gen_and_check(&s, "q5_1", GGML_Q5_1);
  s.tied = true;
  gen_and_check(&s, "bf16", GGML_BF16);

  /* --embd-type: the embedding in its own encoding, the rest in --type. */
  const char *path = tmp_path("et.gguf");
  assert_int_equal(run("--arch", "llama", "--type", "q4_0", "--embd-type", "q8_0", "--layers", "2",
                       "--embd", "256", "--heads", "8", "--kv-heads", "4", "--ff", "512", "--vocab",
                       "600", "--untied", "-o", path, NULL),
                   0);
  gguf_file *f = open_ok(path);
  s.tied = false;
  check_model(f, &s, GGML_Q4_0, GGML_Q8_0);
  assert_int_equal(get_u32(f, "general.file_type"), 2); /* MOSTLY_Q4_0 */
  assert_int_equal(get_u32(f, "general.quantization_version"), 2);
  assert_null(gguf_find_kv(f, "llama.attention.key_length")); /* hd = D/H */
  gguf_close(f);
  remove(path);
}

static void test_gemma3_models(void **state) {
  (void)state;
  shape s = {"gemma3", 2, 256, 4, 1, 64, 512, 700, true};
  gen_and_check(&s, "q8_0", GGML_Q8_0);
  gen_and_check(&s, "q6_k", GGML_Q6_K);
  gen_and_check(&s, "f16", GGML_F16);
}

static void test_qwen2_models(void **state) {
  (void)state;
  shape s = {"qwen2", 2, 256, 4, 2, 64, 768, 512, false};
  gen_and_check(&s, "q4_0", GGML_Q4_0);
  gen_and_check(&s, "q2_k", GGML_Q2_K);
}

static void test_qwen3_models(void **state) {
  (void)state;
  /* heads x head_dim (512) != embd (256), as in Qwen3-0.6B. */
  shape s = {"qwen3", 2, 256, 4, 2, 128, 512, 512, true};
  gen_and_check(&s, "q3_k", GGML_Q3_K);
  gen_and_check(&s, "q5_0", GGML_Q5_0);
  gen_and_check(&s, "q5_k", GGML_Q5_K);
}

/* gemma3 metadata: window, pattern, SWA rope base, softcap; SPM specials. */
static void test_gemma3_metadata(void **state) {
  (void)state;
  const char *path = tmp_path("g.gguf");
  assert_int_equal(run("--arch", "gemma3", "--layers", "1", "--window", "8", "--swa-pattern", "3",
                       "--rope-base-swa", "5000", "--softcap", "30", "--rope-base", "2e6", "--eps",
                       "1e-6", "--ctx", "4096", "--vocab", "300", "-o", path, NULL),
                   0);
  gguf_file *f = open_ok(path);
  assert_int_equal(get_u32(f, "gemma3.attention.sliding_window"), 8);
  assert_int_equal(get_u32(f, "gemma3.attention.sliding_window_pattern"), 3);
  assert_int_equal(get_u32(f, "gemma3.context_length"), 4096);
  assert_true(get_f32(f, "gemma3.rope.freq_base_swa") == 5000.0f);
  assert_true(get_f32(f, "gemma3.final_logit_softcapping") == 30.0f);
  assert_true(get_f32(f, "gemma3.rope.freq_base") == 2e6f);
  assert_true(get_f32(f, "gemma3.attention.layer_norm_rms_epsilon") == 1e-6f);
  const gguf_value *tok = &gguf_find_kv(f, "tokenizer.ggml.tokens")->value;
  const gguf_value *type = &gguf_find_kv(f, "tokenizer.ggml.token_type")->value;
  assert_true(str_is(gguf_arr_str(tok, 0), "<pad>"));
  assert_true(str_is(gguf_arr_str(tok, 1), "<eos>"));
  assert_true(str_is(gguf_arr_str(tok, 2), "<bos>"));
  assert_true(str_is(gguf_arr_str(tok, 3), "<unk>"));
  assert_true(str_is(gguf_arr_str(tok, 4), "<0x00>"));
  assert_true(str_is(gguf_arr_str(tok, 259), "<0xFF>"));
  assert_true(str_is(gguf_arr_str(tok, 260), "\xe2\x96\x81"));
  assert_int_equal(gguf_arr_i64(type, 3), 2);   /* UNKNOWN */
  assert_int_equal(gguf_arr_i64(type, 2), 3);   /* CONTROL */
  assert_int_equal(gguf_arr_i64(type, 100), 6); /* BYTE */
  assert_int_equal(gguf_arr_i64(type, 270), 1); /* NORMAL */
  assert_int_equal(get_u32(f, "tokenizer.ggml.bos_token_id"), 2);
  assert_int_equal(get_u32(f, "tokenizer.ggml.eos_token_id"), 1);
  bool b = true;
  gguf_error err;
  assert_true(gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &b, &err));
  assert_false(b);
  /* Scores decrease strictly over the word pieces; pieces are unique. */
  const gguf_value *sc = &gguf_find_kv(f, "tokenizer.ggml.scores")->value;
  for (uint64_t i = 261; i < 300; i++) {
    assert_true(gguf_arr_f64(sc, i) < gguf_arr_f64(sc, i - 1));
    gguf_str a = gguf_arr_str(tok, i), p = gguf_arr_str(tok, i - 1);
    assert_false(a.len == p.len && memcmp(a.ptr, p.ptr, a.len) == 0);
  }
  gguf_close(f);
  remove(path);

  /* Without the options: window 512, no pattern / SWA base / softcap keys. */
  assert_int_equal(run("--arch", "gemma3", "--layers", "1", "--vocab", "300", "-o", path, NULL), 0);
  f = open_ok(path);
  assert_int_equal(get_u32(f, "gemma3.attention.sliding_window"), 512);
  assert_null(gguf_find_kv(f, "gemma3.attention.sliding_window_pattern"));
  assert_null(gguf_find_kv(f, "gemma3.rope.freq_base_swa"));
  assert_null(gguf_find_kv(f, "gemma3.final_logit_softcapping"));
  gguf_close(f);
  remove(path);
}

/* The FunctionGemma preset's shape (cut to one layer and a small vocab). */
static void test_functiongemma_preset_shape(void **state) {
  (void)state;
  const char *path = tmp_path("fg.gguf");
  assert_int_equal(
      run("--preset", "functiongemma-270m", "--layers", "1", "--vocab", "1024", "-o", path, NULL),
      0);
  gguf_file *f = open_ok(path);
  shape s = {"gemma3", 1, 640, 4, 1, 256, 2048, 1024, true};
  check_model(f, &s, GGML_Q8_0, GGML_Q8_0);
  assert_int_equal(get_u32(f, "gemma3.attention.sliding_window"), 512);
  assert_int_equal(get_u32(f, "gemma3.context_length"), 32768);
  assert_true(get_f32(f, "gemma3.rope.freq_base") == 1e6f);
  assert_int_equal(get_u32(f, "general.file_type"), 7);
  gguf_close(f);
  remove(path);

  /* --type changes the matrices; the preset keeps its Q8_0 embedding. */
  assert_int_equal(run("--preset", "functiongemma-270m", "--type", "q5_1", "--layers", "1",
                       "--vocab", "1024", "-o", path, NULL),
                   0);
  f = open_ok(path);
  check_model(f, &s, GGML_Q5_1, GGML_Q8_0);
  gguf_close(f);
  remove(path);
}

static void test_other_presets(void **state) {
  (void)state;
  const char *path = tmp_path("p.gguf");
  static const struct {
    const char *preset;
    shape s;
    uint32_t type;
  } cases[] = {
      {"smollm-135m", {"llama", 1, 576, 9, 3, 64, 1536, 512, true}, GGML_Q8_0},
      {"qwen2.5-0.5b", {"qwen2", 1, 896, 14, 2, 64, 4864, 512, true}, GGML_Q8_0},
      {"qwen3-0.6b", {"qwen3", 1, 1024, 16, 8, 128, 3072, 512, true}, GGML_Q8_0},
      {"stories15m", {"llama", 1, 288, 6, 6, 48, 768, 512, false}, GGML_F32},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(
        run("--preset", cases[i].preset, "--layers", "1", "--vocab", "512", "-o", path, NULL), 0);
    gguf_file *f = open_ok(path);
    check_model(f, &cases[i].s, cases[i].type, cases[i].type);
    gguf_close(f);
    remove(path);
  }
}

/* D = 320 is not a multiple of 256: K-quant matrices fall back like
 * llama-quantize does (q4_k -> q5_0); ffn_down (ne0 = F = 512) stays q4_k. */
static void test_block_size_fallback(void **state) {
  (void)state;
  const char *path = tmp_path("fb.gguf");
  assert_int_equal(run("--arch", "llama", "--type", "q4_k", "--layers", "1", "--embd", "320",
                       "--heads", "5", "--kv-heads", "5", "--ff", "512", "--vocab", "300", "-o",
                       path, NULL),
                   0);
  gguf_file *f = open_ok(path);
  assert_int_equal(gguf_find_tensor(f, "blk.0.attn_q.weight")->type, GGML_Q5_0);
  assert_int_equal(gguf_find_tensor(f, "token_embd.weight")->type, GGML_Q5_0);
  assert_int_equal(gguf_find_tensor(f, "blk.0.ffn_down.weight")->type, GGML_Q4_K);
  assert_int_equal(gguf_find_tensor(f, "blk.0.attn_q.weight")->ne[1], 320); /* hd = 64 */
  gguf_close(f);
  remove(path);
}

/* --vocab-from: every tokenizer.* key, cut to 4096 tokens (merges filtered
 * like the shipped tiny-qwen2 model's), or copied whole. */
static void test_vocab_from(void **state) {
  (void)state;
  const char *path = tmp_path("v.gguf");
  const char *src = GQC_TEST_DATA "/models/ggml-vocab-qwen2.gguf";
  assert_int_equal(run("--arch", "qwen2", "--layers", "1", "--vocab-from", src, "--vocab", "4096",
                       "-o", path, NULL),
                   0);
  gguf_file *f = open_ok(path);
  gguf_file *ref = open_ok(GQC_TEST_DATA "/models/tiny-qwen2-f32.gguf");
  const gguf_value *tok = &gguf_find_kv(f, "tokenizer.ggml.tokens")->value;
  const gguf_value *rtok = &gguf_find_kv(ref, "tokenizer.ggml.tokens")->value;
  assert_int_equal(tok->v.arr.count, 4096);
  for (uint64_t i = 0; i < 4096; i += 97) {
    gguf_str a = gguf_arr_str(tok, i), b = gguf_arr_str(rtok, i);
    assert_true(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
  }
  assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.merges")->value.v.arr.count,
                   gguf_find_kv(ref, "tokenizer.ggml.merges")->value.v.arr.count);
  assert_null(gguf_find_kv(f, "tokenizer.ggml.eos_token_id")); /* 151643 is gone */
  gguf_str s;
  gguf_error err;
  assert_true(gguf_get_str(f, "tokenizer.ggml.pre", &s, &err) && str_is(s, "qwen2"));
  assert_non_null(gguf_find_kv(f, "tokenizer.chat_template"));
  assert_int_equal(gguf_find_tensor(f, "token_embd.weight")->ne[1], 4096);
  gguf_close(ref);
  gguf_close(f);
  remove(path);

  /* Whole SPM vocabulary plus padding. */
  src = GQC_TEST_DATA "/models/ggml-vocab-llama-spm.gguf";
  assert_int_equal(run("--arch", "llama", "--layers", "1", "--embd", "64", "--heads", "2", "--ff",
                       "64", "--vocab-from", src, "--vocab", "32010", "-o", path, NULL),
                   0);
  f = open_ok(path);
  tok = &gguf_find_kv(f, "tokenizer.ggml.tokens")->value;
  assert_int_equal(tok->v.arr.count, 32010);
  assert_true(str_is(gguf_arr_str(tok, 1), "<s>"));
  assert_true(str_is(gguf_arr_str(tok, 32009), "[PAD32009]"));
  assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.scores")->value.v.arr.count, 32010);
  assert_int_equal(get_u32(f, "tokenizer.ggml.bos_token_id"), 1);
  assert_int_equal(get_u32(f, "llama.vocab_size"), 32010);
  gguf_close(f);
  remove(path);
}

/* The same seed gives the same bytes; the same values in every encoding. */
static void test_determinism_and_seed(void **state) {
  (void)state;
  const char *a = tmp_path("a.gguf"), *b = tmp_path("b.gguf"), *c = tmp_path("c.gguf");
  assert_int_equal(run("--arch", "qwen3", "--layers", "1", "--vocab", "300", "--seed", "7",
                       "--type", "q8_0", "-o", a, NULL),
                   0);
  assert_int_equal(run("--arch", "qwen3", "--layers", "1", "--vocab", "300", "--seed", "7",
                       "--type", "q8_0", "-o", b, NULL),
                   0);
  assert_int_equal(run("--arch", "qwen3", "--layers", "1", "--vocab", "300", "--seed", "7",
                       "--type", "f32", "-o", c, NULL),
                   0);
  gguf_file *fa = open_ok(a), *fb = open_ok(b), *fc = open_ok(c);
  assert_int_equal(fa->size, fb->size);
  assert_memory_equal(fa->base, fb->base, fa->size);
  const gguf_tensor *tq = gguf_find_tensor(fa, "blk.0.attn_q.weight");
  const gguf_tensor *tf = gguf_find_tensor(fc, "blk.0.attn_q.weight");
  uint64_t n = tq->ne[0] * tq->ne[1];
  float *y = malloc(n * sizeof *y);
  assert_true(qref_dequantize_row(tq->type, tq->data, y, n));
  const float *x = (const float *)tf->data;
  double e = 0, s = 0;
  for (uint64_t i = 0; i < n; i++) {
    e += (y[i] - x[i]) * (double)(y[i] - x[i]);
    s += (double)x[i] * x[i];
  }
  assert_true(sqrt(e / s) < 0.01);
  free(y);
  gguf_close(fa);
  gguf_close(fb);
  gguf_close(fc);
  remove(a);
  remove(b);
  remove(c);
  /* A different seed gives different weights. */
  assert_int_equal(run("--arch", "qwen3", "--layers", "1", "--vocab", "300", "--seed", "8",
                       "--type", "f32", "-o", b, NULL),
                   0);
  assert_int_equal(run("--arch", "qwen3", "--layers", "1", "--vocab", "300", "--seed", "7",
                       "--type", "f32", "-o", c, NULL),
                   0);
  fb = open_ok(b);
  fc = open_ok(c);
  assert_memory_not_equal(gguf_find_tensor(fb, "token_embd.weight")->data,
                          gguf_find_tensor(fc, "token_embd.weight")->data, 64);
  gguf_close(fb);
  gguf_close(fc);
  remove(b);
  remove(c);
}

static void test_command_line_errors(void **state) {
  (void)state;
  const char *path = tmp_path("e.gguf");
  assert_int_equal(run("--help", NULL), 0);
  assert_int_equal(run(NULL), 2);                               /* nothing */
  assert_int_equal(run("--arch", "gpt2", "-o", path, NULL), 2); /* unknown arch */
  assert_int_equal(run("--arch", "llama", "--type", "q8_k", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", "--type", "iq4_nl", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", NULL), 2); /* no -o */
  assert_int_equal(run("--arch", "llama", "--layers", "x", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", "--layers", "-1", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", "--bogus", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", "-o", path, "--layers", NULL), 2); /* missing value */
  assert_int_equal(run("--preset", "nope", "-o", path, NULL), 2);
  assert_int_equal(run("--preset", "stories15m", "--arch", "gemma3", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", "--embd", "100", "--heads", "3", "-o", path, NULL), 2);
  assert_int_equal(run("--arch", "llama", "--layers", "0", "-o", path, NULL), 1);
  assert_int_equal(run("--arch", "llama", "--heads", "4", "--kv-heads", "3", "-o", path, NULL), 1);
  assert_int_equal(run("--arch", "qwen2", "--head-dim", "32", "-o", path, NULL), 1);
  assert_int_equal(run("--arch", "llama", "--window", "8", "-o", path, NULL), 1);
  assert_int_equal(run("--arch", "llama", "--vocab", "100", "-o", path, NULL), 1);
  assert_int_equal(run("--arch", "llama", "--vocab-from", "/nonexistent.gguf", "-o", path, NULL),
                   1);
  assert_int_equal(run("--arch", "llama", "--layers", "1", "-o", "/nonexistent/dir/x.gguf", NULL),
                   1);
  assert_int_equal(access(path, F_OK), -1); /* nothing was written */
}

/* ---- reference quantisers ------------------------------------------------ */

typedef struct qcase {
  uint32_t type;
  double bound; /* relative RMS error on N(0,1) data */
} qcase;

static const qcase qcases[] = {
    {GGML_F32, 0},      {GGML_F16, 1e-3},  {GGML_BF16, 5e-3},  {GGML_Q8_0, 0.008},
    {GGML_Q4_0, 0.11},  {GGML_Q4_1, 0.10}, {GGML_Q5_0, 0.055}, {GGML_Q5_1, 0.05},
    {GGML_Q2_K, 0.40},  {GGML_Q3_K, 0.20}, {GGML_Q4_K, 0.10},  {GGML_Q5_K, 0.05},
    {GGML_Q6_K, 0.025},
};

static double rel_rms(const float *x, const float *y, uint64_t n) {
  double e = 0, s = 0;
  for (uint64_t i = 0; i < n; i++) {
    e += (x[i] - y[i]) * (double)(x[i] - y[i]);
    s += (double)x[i] * x[i];
  }
  return sqrt(e / s);
}

static void test_quantizer_round_trip(void **state) {
  (void)state;
  enum { N = 256 * 64 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  uint8_t *q = malloc(N * 4);
  gm_rng rng;
  gm_rng_seed(&rng, 1234);
  for (size_t c = 0; c < sizeof qcases / sizeof qcases[0]; c++) {
    uint32_t t = qcases[c].type;
    /* Normal data, at a weight-like scale. */
    for (int i = 0; i < N; i++) {
      double u1 = gm_rng_uniform(&rng) + 1e-12, u2 = gm_rng_uniform(&rng);
      x[i] = (float)(0.02 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
    }
    assert_true(qref_quantize_row(t, x, q, N));
    assert_true(qref_dequantize_row(t, q, y, N));
    double err = rel_rms(x, y, N);
    if (err > qcases[c].bound)
      fail_msg("%s: relative RMS error %.4f > %.4f", ggml_type_name(t), err, qcases[c].bound);
    /* Uniform data with a few outliers: still within twice the bound. */
    for (int i = 0; i < N; i++)
      x[i] = (float)(gm_rng_uniform(&rng) * 2 - 1) * (i % 97 == 0 ? 8.0f : 1.0f);
    assert_true(qref_quantize_row(t, x, q, N));
    assert_true(qref_dequantize_row(t, q, y, N));
    err = rel_rms(x, y, N);
    if (err > 2 * qcases[c].bound)
      fail_msg("%s (uniform+outliers): relative RMS error %.4f", ggml_type_name(t), err);
    /* All-zero and all-positive-constant blocks. */
    memset(x, 0, N * sizeof *x);
    assert_true(qref_quantize_row(t, x, q, 256));
    assert_true(qref_dequantize_row(t, q, y, 256));
    for (int i = 0; i < 256; i++)
      assert_true(y[i] == 0.0f);
    for (int i = 0; i < 256; i++)
      x[i] = 0.5f;
    assert_true(qref_quantize_row(t, x, q, 256));
    assert_true(qref_dequantize_row(t, q, y, 256));
    for (int i = 0; i < 256; i++)
      if (fabsf(y[i] - 0.5f) > 0.5f * (float)(qcases[c].bound * 2 + 1e-3))
        fail_msg("%s: constant 0.5 came back as %g", ggml_type_name(t), y[i]);
  }
  /* Types it does not write, and bad lengths. */
  assert_false(qref_quantize_row(GGML_Q8_K, x, q, 256));
  assert_false(qref_quantize_row(GGML_Q4_K, x, q, 100));
  assert_false(qref_dequantize_row(99, q, y, 32));
  assert_int_equal(qref_row_bytes(GGML_Q6_K, 512), 420);
  assert_int_equal(qref_row_bytes(GGML_Q4_0, 33), 0);
  free(x);
  free(y);
  free(q);
}

/* The dequantisers against llama.cpp: tiny-llama-<TYPE> holds the weights
 * of tiny-llama-f32 quantised by llama-quantize. Dequantising must give the
 * f32 weights back within that type's quantisation error (a wrong layout
 * gives errors near 100%), and our quantisers' error on the same weights
 * must be close to llama.cpp's. */
static void test_dequantizers_match_llama_cpp(void **state) {
  (void)state;
  static const struct {
    const char *file;
    uint32_t type;
    double max_err;
  } files[] = {
      {"F16", GGML_F16, 5e-4},     {"BF16", GGML_BF16, 3e-3},   {"Q8_0", GGML_Q8_0, 0.007},
      {"Q4_0", GGML_Q4_0, 0.095},  {"Q4_1", GGML_Q4_1, 0.085},  {"Q5_0", GGML_Q5_0, 0.047},
      {"Q5_1", GGML_Q5_1, 0.042},  {"Q2_K", GGML_Q2_K, 0.32},   {"Q3_K_S", GGML_Q3_K, 0.17},
      {"Q4_K_S", GGML_Q4_K, 0.08}, {"Q5_K_S", GGML_Q5_K, 0.04}, {"Q6_K", GGML_Q6_K, 0.02},
  };
  gguf_file *ref = open_ok(GQC_TEST_DATA "/models/tiny-llama-f32.gguf");
  const gguf_tensor *rt = gguf_find_tensor(ref, "blk.1.ffn_up.weight");
  uint64_t n = rt->ne[0] * rt->ne[1];
  const float *x = (const float *)rt->data;
  float *y = malloc(n * sizeof *y);
  uint8_t *q = malloc(n * 4);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/models/tiny-llama-%s.gguf", GQC_TEST_DATA, files[i].file);
    gguf_file *f = open_ok(path);
    const gguf_tensor *t = gguf_find_tensor(f, "blk.1.ffn_up.weight");
    assert_int_equal(t->type, files[i].type);
    assert_true(qref_dequantize_row(t->type, t->data, y, n));
    double theirs = rel_rms(x, y, n);
    if (theirs > files[i].max_err)
      fail_msg("%s: dequantised llama.cpp data is off by %.4f", files[i].file, theirs);
    assert_true(qref_quantize_row(t->type, x, q, n));
    assert_true(qref_dequantize_row(t->type, q, y, n));
    double ours = rel_rms(x, y, n);
    if (ours > theirs * 1.15 + 1e-6)
      fail_msg("%s: our quantiser's error %.4f vs llama.cpp's %.4f", files[i].file, ours, theirs);
    gguf_close(f);
  }
  free(y);
  free(q);
  gguf_close(ref);
}

/* The families beyond llama/gemma3/qwen2/qwen3: every tensor llama.cpp's
 * loader creates for them (src/models/<arch>.cpp), with its shape, and no
 * other (llama.cpp refuses files with tensors it does not load), and the
 * keys that differ from the llama layout. D=64, 4 heads of 16 over 2 KV
 * heads, FFN 96, 2 layers. */
static void test_family_layouts(void **state) {
  (void)state;
  enum { D = 64, Q = 64, KV = 32, F = 96 };
  typedef struct {
    const char *name;
    uint64_t ne0, ne1; /* ne1 0: a vector */
  } t;
  static const struct family {
    const char *arch, *extra[6]; /* gen-model options */
    t global[4];
    t layer[18];
  } families[] = {
      {"gemma2",
       {"--window", "8", "--attn-softcap", "0.5", NULL},
       {{"output_norm.weight", D, 0}},
       {{"attn_norm.weight", D, 0},
        {"attn_q.weight", D, Q},
        {"attn_k.weight", D, KV},
        {"attn_v.weight", D, KV},
        {"attn_output.weight", Q, D},
        {"post_attention_norm.weight", D, 0},
        {"ffn_norm.weight", D, 0},
        {"ffn_gate.weight", D, F},
        {"ffn_up.weight", D, F},
        {"ffn_down.weight", F, D},
        {"post_ffw_norm.weight", D, 0}}},
      {"phi3",
       {"--rope-factors", "--untied", NULL},
       {{"output_norm.weight", D, 0},
        {"output.weight", D, 300},
        {"rope_factors_long.weight", 8, 0},
        {"rope_factors_short.weight", 8, 0}},
       {{"attn_norm.weight", D, 0},
        {"attn_qkv.weight", D, Q + 2 * KV},
        {"attn_output.weight", Q, D},
        {"ffn_norm.weight", D, 0},
        {"ffn_up.weight", D, 2 * F},
        {"ffn_down.weight", F, D}}},
      {"olmo2",
       {NULL},
       {{"output_norm.weight", D, 0}, {"output.weight", D, 300}},
       {{"attn_q.weight", D, Q},
        {"attn_k.weight", D, KV},
        {"attn_v.weight", D, KV},
        {"attn_q_norm.weight", Q, 0},
        {"attn_k_norm.weight", KV, 0},
        {"attn_output.weight", Q, D},
        {"post_attention_norm.weight", D, 0},
        {"ffn_gate.weight", D, F},
        {"ffn_up.weight", D, F},
        {"ffn_down.weight", F, D},
        {"post_ffw_norm.weight", D, 0}}},
      {"starcoder2",
       {NULL},
       {{"output_norm.weight", D, 0}, {"output_norm.bias", D, 0}},
       {{"attn_norm.weight", D, 0},
        {"attn_norm.bias", D, 0},
        {"attn_q.weight", D, Q},
        {"attn_k.weight", D, KV},
        {"attn_v.weight", D, KV},
        {"attn_q.bias", Q, 0},
        {"attn_k.bias", KV, 0},
        {"attn_v.bias", KV, 0},
        {"attn_output.weight", Q, D},
        {"attn_output.bias", D, 0},
        {"ffn_norm.weight", D, 0},
        {"ffn_norm.bias", D, 0},
        {"ffn_up.weight", D, F},
        {"ffn_up.bias", F, 0},
        {"ffn_down.weight", F, D},
        {"ffn_down.bias", D, 0}}},
  };
  for (size_t k = 0; k < sizeof families / sizeof families[0]; k++) {
    const struct family *fam = &families[k];
    const char *path = tmp_path("family.gguf");
    const char *argv[32] = {"--arch",  fam->arch, "--layers",   "2", "--embd", "64",
                            "--heads", "4",       "--kv-heads", "2", "--ff",   "96",
                            "--vocab", "300",     "-o",         path};
    int n = 16;
    for (int e = 0; fam->extra[e]; e++)
      argv[n++] = fam->extra[e];
    argv[n] = NULL;
    assert_int_equal(run(argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
                         argv[8], argv[9], argv[10], argv[11], argv[12], argv[13], argv[14],
                         argv[15], argv[16], argv[17], argv[18], argv[19], NULL),
                     0);
    gguf_file *f = open_ok(path);
    uint64_t count = 1;
    expect_tensor(f, "token_embd.weight", 2, D, 300, GGML_F32);
    for (int g = 0; g < 4 && fam->global[g].name; g++, count++)
      expect_tensor(f, fam->global[g].name, fam->global[g].ne1 ? 2 : 1, fam->global[g].ne0,
                    fam->global[g].ne1 ? fam->global[g].ne1 : 1, GGML_F32);
    for (int l = 0; l < 2; l++)
      for (int i = 0; i < 18 && fam->layer[i].name; i++, count++) {
        char name[96];
        snprintf(name, sizeof name, "blk.%d.%s", l, fam->layer[i].name);
        expect_tensor(f, name, fam->layer[i].ne1 ? 2 : 1, fam->layer[i].ne0,
                      fam->layer[i].ne1 ? fam->layer[i].ne1 : 1, GGML_F32);
      }
    if (f->n_tensors != count)
      fail_msg("%s: %llu tensors, expected %llu", fam->arch, (unsigned long long)f->n_tensors,
               (unsigned long long)count);
    char key[128];
    const bool layer_norm = !strcmp(fam->arch, "starcoder2");
    snprintf(key, sizeof key, "%s.attention.layer_norm%s_epsilon", fam->arch,
             layer_norm ? "" : "_rms");
    assert_true(get_f32(f, key) > 0);
    gguf_close(f);
    remove(path);
  }
  /* family-specific keys */
  const char *path = tmp_path("granite.gguf");
  assert_int_equal(run("--arch", "granite", "--layers", "1", "--embd", "64", "--vocab", "300",
                       "--logit-scale", "8", "--residual-scale", "0.25", "-o", path, NULL),
                   0);
  gguf_file *f = open_ok(path);
  assert_true(get_f32(f, "granite.logit_scale") == 8.0f);
  assert_true(get_f32(f, "granite.residual_scale") == 0.25f);
  assert_null(gguf_find_kv(f, "granite.embedding_scale"));
  gguf_close(f);
  path = tmp_path("gemma2.gguf");
  assert_int_equal(run("--arch", "gemma2", "--layers", "1", "--embd", "64", "--vocab", "300",
                       "--window", "16", "--swa-pattern", "3", "-o", path, NULL),
                   0);
  f = open_ok(path);
  assert_true(get_f32(f, "gemma2.attn_logit_softcapping") == 50.0f);
  assert_true(get_f32(f, "gemma2.final_logit_softcapping") == 30.0f);
  assert_int_equal(get_u32(f, "gemma2.attention.sliding_window"), 16);
  assert_int_equal(get_u32(f, "gemma2.attention.sliding_window_pattern"), 3);
  assert_null(gguf_find_tensor(f, "output.weight"));
  gguf_close(f);
  /* lfm2: even layers are convolution blocks (f32 taps, as llama-quantize
   * leaves them), head_count_kv per layer, the output norm token_embd_norm */
  path = tmp_path("lfm2.gguf");
  assert_int_equal(run("--arch", "lfm2", "--layers", "2", "--embd", "64", "--vocab", "300",
                       "--type", "q8_0", "-o", path, NULL),
                   0);
  f = open_ok(path);
  expect_tensor(f, "blk.0.shortconv.conv.weight", 2, 3, 64, GGML_F32);
  expect_tensor(f, "blk.0.shortconv.in_proj.weight", 2, 64, 192, GGML_Q8_0);
  expect_tensor(f, "blk.0.shortconv.out_proj.weight", 2, 64, 64, GGML_Q8_0);
  assert_null(gguf_find_tensor(f, "blk.0.attn_q.weight"));
  expect_tensor(f, "blk.1.attn_q.weight", 2, 64, 64, GGML_Q8_0);
  expect_tensor(f, "blk.1.attn_k_norm.weight", 1, 16, 1, GGML_F32);
  assert_null(gguf_find_tensor(f, "blk.1.shortconv.conv.weight"));
  expect_tensor(f, "token_embd_norm.weight", 1, 64, 1, GGML_F32);
  assert_null(gguf_find_tensor(f, "output_norm.weight"));
  assert_int_equal(get_u32(f, "lfm2.shortconv.l_cache"), 3);
  const gguf_kv *kv = gguf_find_kv(f, "lfm2.attention.head_count_kv");
  assert_non_null(kv);
  assert_int_equal(kv->value.v.arr.count, 2);
  gguf_close(f);
  /* what a family cannot have */
  const char *out = tmp_path("bad.gguf");
  assert_int_equal(run("--arch", "gemma", "--untied", "-o", out, NULL), 1);
  assert_int_equal(run("--arch", "olmo2", "--tied", "-o", out, NULL), 1);
  assert_int_equal(run("--arch", "llama", "--rope-factors", "-o", out, NULL), 1);
  assert_int_equal(run("--arch", "phi3", "--logit-scale", "2", "-o", out, NULL), 1);
  assert_int_equal(
      run("--arch", "phi3", "--embd", "64", "--heads", "4", "--head-dim", "8", "-o", out, NULL), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantizer_round_trip),
      cmocka_unit_test(test_dequantizers_match_llama_cpp),
      cmocka_unit_test(test_llama_models),
      cmocka_unit_test(test_gemma3_models),
      cmocka_unit_test(test_qwen2_models),
      cmocka_unit_test(test_qwen3_models),
      cmocka_unit_test(test_family_layouts),
      cmocka_unit_test(test_gemma3_metadata),
      cmocka_unit_test(test_functiongemma_preset_shape),
      cmocka_unit_test(test_other_presets),
      cmocka_unit_test(test_block_size_fallback),
      cmocka_unit_test(test_vocab_from),
      cmocka_unit_test(test_determinism_and_seed),
      cmocka_unit_test(test_command_line_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_arch_lower.c — running architecture descriptions against GGUF files:
 * every test model loads with its built-in description into verified IR of
 * the expected structure (op counts, caches and windows per layer, tied
 * output, biases, per-head norms, metadata); gemma3's sliding-window pattern
 * works as a u32 and as a bool array; and each kind of error — a missing
 * tensor or key, a shape mismatch, an unknown architecture, a bad value at
 * run time — is one clear message pointing at the description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/arch_lower.h"
#include "frontend/frontend.h"
#include "frontend/gguf_writer.h"

#define MODELS GQC_TEST_DATA "/models/"
#define ARCHS GQC_TEST_DATA "/arch/"

/* ---- helpers ------------------------------------------------------------ */
static gguf_file *open_model(const char *name) {
  char path[512];
  snprintf(path, sizeof path, MODELS "%s.gguf", name);
  gguf_error err = {0};
  gguf_file *f = gguf_open(path, &err);
  if (!f)
    fprintf(stderr, "%s\n", err.msg);
  assert_non_null(f);
  return f;
}

static ir_module *load(const gguf_file *f, const gqc_frontend_options *opts) {
  gqc_diag d = {0};
  ir_module *m = gqc_frontend_load(f, opts, &d);
  if (!m)
    fprintf(stderr, "%s\n", d.msg);
  assert_non_null(m);
  gqc_diag v = {0};
  bool ok = ir_verify(m, "test", &v);
  if (!ok)
    fprintf(stderr, "%s\n", v.msg);
  assert_true(ok);
  return m;
}

/* Loads and expects failure; returns the message (static buffer). */
static const char *load_error(const gguf_file *f, const gqc_frontend_options *opts) {
  static gqc_diag d;
  memset(&d, 0, sizeof d);
  ir_module *m = gqc_frontend_load(f, opts, &d);
  if (m)
    ir_module_free(m);
  assert_null(m);
  assert_true(d.failed);
  return d.msg;
}

static void expect_contains(const char *msg, const char *part) {
  if (!strstr(msg, part))
    fprintf(stderr, "message: %s\nlacks: %s\n", msg, part);
  assert_non_null(strstr(msg, part));
}

static int count_op(const ir_module *m, ir_opcode op) {
  int n = 0;
  ir_for_each_inst(m->decode, i) n += i->op == op;
  return n;
}

static const ir_inst *nth_op(const ir_module *m, ir_opcode op, int nth) {
  ir_for_each_inst(m->decode, i) if (i->op == op && nth-- == 0) return i;
  return NULL;
}

static const ir_inst *named(const ir_module *m, const char *name) {
  ir_for_each_inst(m->decode, i) if (i->name && !strcmp(i->name, name)) return i;
  return NULL;
}

static const char *weight_name(const ir_module *m, const ir_inst *w) {
  assert_int_equal(w->op, IR_OP_WEIGHT);
  return m->weights[w->ref].name;
}

static int64_t cache_rows(const ir_module *m, const ir_inst *attn, int k) {
  const ir_inst *c = attn->operands[3 + k];
  assert_int_equal(c->op, IR_OP_CACHE);
  return m->caches[c->ref].type.dims[0];
}

/* The logits' matmul, its transposed weight and the embedding table. */
static void output_weights(const ir_module *m, const ir_inst **embed_w, const ir_inst **out_w) {
  const ir_inst *ret = m->decode->last;
  assert_int_equal(ret->op, IR_OP_RETURN);
  const ir_inst *logits = ret->operands[0];
  while (logits->op == IR_OP_SOFTCAP)
    logits = logits->operands[0];
  if (logits->op == IR_OP_ADD) /* output bias */
    logits = logits->operands[0];
  assert_int_equal(logits->op, IR_OP_MATMUL);
  const ir_inst *t = logits->operands[1];
  assert_int_equal(t->op, IR_OP_TRANSPOSE);
  *out_w = t->operands[0];
  *embed_w = nth_op(m, IR_OP_EMBED, 0)->operands[0];
}

typedef struct expect {
  const char *model, *arch;
  int n_layer, n_embd, n_vocab, n_ctx;
  int rope_mode;
  bool tied;
} expect;

static void check_common(const expect *e) {
  gguf_file *f = open_model(e->model);
  ir_module *m = load(f, NULL);
  assert_string_equal(ir_meta_get(m, "arch")->s, e->arch);
  assert_int_equal(ir_meta_int(m, "n_layer", -1), e->n_layer);
  assert_int_equal(ir_meta_int(m, "n_embd", -1), e->n_embd);
  assert_int_equal(ir_meta_int(m, "n_vocab", -1), e->n_vocab);
  assert_int_equal(ir_meta_int(m, "n_ctx", -1), e->n_ctx);
  assert_int_equal(m->decode->n_params, 2);
  assert_int_equal(m->decode->result.dims[0], e->n_vocab);
  /* seven projections per layer plus the LM head, each a matmul of a
   * transposed weight */
  assert_int_equal(count_op(m, IR_OP_MATMUL), 7 * e->n_layer + 1);
  assert_int_equal(count_op(m, IR_OP_TRANSPOSE), 7 * e->n_layer + 1);
  assert_int_equal(count_op(m, IR_OP_LINEAR), 0);
  assert_int_equal(count_op(m, IR_OP_ATTENTION), e->n_layer);
  assert_int_equal(count_op(m, IR_OP_ROPE), 2 * e->n_layer);
  assert_int_equal(count_op(m, IR_OP_EMBED), 1);
  assert_int_equal(count_op(m, IR_OP_RETURN), 1);
  assert_int_equal(m->n_caches, 2 * e->n_layer);
  for (int l = 0; l < e->n_layer; l++) {
    const ir_inst *rope = nth_op(m, IR_OP_ROPE, 2 * l);
    assert_int_equal(ir_attr_int(rope, "mode", -1), e->rope_mode);
  }
  /* values are named after the description's variables and the layer */
  char name[32];
  snprintf(name, sizeof name, "q.%d", e->n_layer - 1);
  assert_non_null(named(m, name));
  assert_int_equal(named(m, name)->op, IR_OP_ROPE);
  assert_non_null(named(m, "logits"));
  const ir_inst *ew, *ow;
  output_weights(m, &ew, &ow);
  assert_ptr_not_equal(ew, ow); /* one weight instruction per use */
  assert_string_equal(weight_name(m, ew), "token_embd.weight");
  if (e->tied) {
    assert_int_equal(ew->ref, ow->ref);
    assert_int_equal(ir_module_find_weight(m, "output.weight"), -1);
  } else {
    assert_int_not_equal(ew->ref, ow->ref);
    assert_string_equal(weight_name(m, ow), "output.weight");
  }
  ir_module_free(m);
  gguf_close(f);
}

/* ---- the built-in descriptions on the test models ----------------------- */
static void test_llama_models(void **state) {
  (void)state;
  check_common(&(expect){"stories260K", "llama", 5, 64, 512, 2048, 0, false});
  check_common(&(expect){"tiny-llama-Q8_0", "llama", 4, 256, 4096, 2048, 0, false});
  check_common(&(expect){"llama-2-tiny-random", "llama", 1, 8, 32000, 2048, 0, false});

  gguf_file *f = open_model("stories260K");
  ir_module *m = load(f, NULL);
  /* GQA: 8 query heads share 4 KV heads of 8; every cache holds n_ctx rows */
  for (int l = 0; l < 5; l++) {
    const ir_inst *a = nth_op(m, IR_OP_ATTENTION, l);
    assert_int_equal(ir_attr_int(a, "n_head", 0), 8);
    assert_int_equal(ir_attr_int(a, "n_head_kv", 0), 4);
    assert_int_equal(ir_attr_int(a, "head_dim", 0), 8);
    assert_int_equal(ir_attr_int(a, "window", -1), 0);
    assert_true(fabs(ir_attr_float(a, "scale", 0) - 1 / sqrt(8.0)) < 1e-7);
    assert_int_equal(cache_rows(m, a, 0), 2048);
    assert_int_equal(a->operands[3]->type.dims[1], 32);
  }
  assert_int_equal(count_op(m, IR_OP_SILU), 5);
  assert_int_equal(count_op(m, IR_OP_GELU), 0);
  assert_int_equal(count_op(m, IR_OP_SCALE), 0);
  /* llama has no biases in these files: no add of a weight */
  ir_for_each_inst(m->decode, i) if (i->op == IR_OP_ADD)
      assert_int_not_equal(i->operands[1]->op, IR_OP_WEIGHT);
  ir_module_free(m);
  gguf_close(f);

  /* weights keep their GGUF encoding; shapes are [out, in] */
  f = open_model("tiny-llama-Q8_0");
  m = load(f, NULL);
  int wq = ir_module_find_weight(m, "blk.0.attn_q.weight");
  int wk = ir_module_find_weight(m, "blk.0.attn_k.weight");
  assert_true(wq >= 0 && wk >= 0);
  assert_int_equal(m->weights[wq].type.dtype, IR_Q8_0);
  assert_int_equal(m->weights[wk].type.dims[0], 128);
  assert_int_equal(m->weights[wk].type.dims[1], 256);
  assert_int_equal(m->weights[wk].nbytes, 128 * 256 / 32 * 34);
  assert_non_null(m->weights[wk].data);
  ir_module_free(m);
  gguf_close(f);
}

static void test_gemma3(void **state) {
  (void)state;
  check_common(&(expect){"tiny-gemma3-f32", "gemma3", 6, 256, 4096, 2048, 2, true});
  gguf_file *f = open_model("tiny-gemma3-f32");
  ir_module *m = load(f, NULL);
  /* layers 0-4 slide over 8 positions with base 1e4; layer 5 is global */
  for (int l = 0; l < 6; l++) {
    const ir_inst *a = nth_op(m, IR_OP_ATTENTION, l);
    const ir_inst *rope = nth_op(m, IR_OP_ROPE, 2 * l);
    bool sliding = l < 5;
    assert_int_equal(ir_attr_int(a, "window", -1), sliding ? 8 : 0);
    assert_int_equal(cache_rows(m, a, 0), sliding ? 8 : 2048);
    assert_int_equal(cache_rows(m, a, 1), sliding ? 8 : 2048);
    assert_true(ir_attr_float(rope, "base", 0) == (sliding ? 1e4 : 1e6));
    assert_true(ir_attr_float(a, "scale", 0) == 1.0);
    /* q is scaled by 1/sqrt(64) before attention */
    const ir_inst *q = a->operands[0];
    assert_int_equal(q->op, IR_OP_SCALE);
    assert_true(ir_attr_float(q, "s", 0) == 0.125);
    assert_int_equal(q->operands[0]->op, IR_OP_ROPE);
    assert_int_equal(q->operands[0]->operands[0]->op, IR_OP_RMS_NORM);
  }
  /* per-head q norms (4 heads of 64); k has one head: no group needed */
  int grouped = 0;
  ir_for_each_inst(m->decode, i) if (i->op == IR_OP_RMS_NORM && ir_attr_int(i, "group", 0) == 64)
      grouped++;
  assert_int_equal(grouped, 6);
  /* 4 norms per layer + 2 head norms + the final norm */
  assert_int_equal(count_op(m, IR_OP_RMS_NORM), 6 * 6 + 1);
  assert_int_equal(count_op(m, IR_OP_GELU), 6);
  assert_int_equal(count_op(m, IR_OP_SILU), 0);
  assert_int_equal(count_op(m, IR_OP_SOFTCAP), 0); /* no softcapping key */
  /* the embedding is multiplied by sqrtf(256) */
  const ir_inst *s = nth_op(m, IR_OP_SCALE, 0);
  assert_int_equal(s->operands[0]->op, IR_OP_EMBED);
  assert_true(ir_attr_float(s, "s", 0) == 16.0);
  /* post-attention norm before the residual add */
  const ir_inst *x_sa = named(m, "x_sa.0");
  assert_non_null(x_sa);
  assert_int_equal(x_sa->op, IR_OP_ADD);
  assert_int_equal(x_sa->operands[1]->op, IR_OP_RMS_NORM);
  assert_string_equal(weight_name(m, x_sa->operands[1]->operands[1]),
                      "blk.0.post_attention_norm.weight");
  ir_module_free(m);
  gguf_close(f);

  check_common(&(expect){"tiny-gemma3-Q5_1", "gemma3", 6, 256, 4096, 2048, 2, true});
}

static void test_qwen2(void **state) {
  (void)state;
  check_common(&(expect){"tiny-qwen2-f32", "qwen2", 3, 256, 4096, 2048, 2, false});
  gguf_file *f = open_model("tiny-qwen2-f32");
  ir_module *m = load(f, NULL);
  /* q, k, v biases: an add of the bias weight after each projection */
  int bias_adds = 0;
  ir_for_each_inst(m->decode, i) {
    if (i->op != IR_OP_ADD || i->operands[1]->op != IR_OP_WEIGHT)
      continue;
    const char *w = weight_name(m, i->operands[1]);
    assert_non_null(strstr(w, ".bias"));
    assert_int_equal(i->operands[0]->op, IR_OP_MATMUL);
    bias_adds++;
  }
  assert_int_equal(bias_adds, 9);
  const ir_inst *q = named(m, "q.1");
  assert_int_equal(q->op, IR_OP_ROPE);
  assert_int_equal(q->operands[0]->op, IR_OP_ADD);
  assert_string_equal(weight_name(m, q->operands[0]->operands[1]), "blk.1.attn_q.bias");
  assert_int_equal(cache_rows(m, nth_op(m, IR_OP_ATTENTION, 0), 0), 2048);
  assert_int_equal(nth_op(m, IR_OP_ATTENTION, 0)->operands[3]->type.dims[1], 128);
  ir_module_free(m);
  gguf_close(f);
}

static void test_qwen3(void **state) {
  (void)state;
  check_common(&(expect){"tiny-qwen3-f32", "qwen3", 3, 256, 4096, 2048, 2, true});
  check_common(&(expect){"tiny-qwen3-Q4_K_M", "qwen3", 3, 256, 4096, 2048, 2, true});
  gguf_file *f = open_model("tiny-qwen3-f32");
  ir_module *m = load(f, NULL);
  /* per-head RMSNorm of q (4 heads) and k (2 heads) before RoPE */
  for (int l = 0; l < 3; l++)
    for (int j = 0; j < 2; j++) {
      const ir_inst *rope = nth_op(m, IR_OP_ROPE, 2 * l + j);
      const ir_inst *norm = rope->operands[0];
      assert_int_equal(norm->op, IR_OP_RMS_NORM);
      assert_int_equal(ir_attr_int(norm, "group", 0), 64);
      assert_int_equal(norm->operands[1]->type.dims[0], 64);
    }
  /* no biases in this file */
  ir_for_each_inst(m->decode, i) if (i->op == IR_OP_ADD)
      assert_int_not_equal(i->operands[1]->op, IR_OP_WEIGHT);
  ir_module_free(m);
  gguf_close(f);

  f = open_model("tiny-qwen3-Q4_K_M");
  m = load(f, NULL);
  assert_int_equal(m->weights[ir_module_find_weight(m, "blk.0.attn_q.weight")].type.dtype, IR_Q4_K);
  assert_int_equal(m->weights[ir_module_find_weight(m, "token_embd.weight")].type.dtype, IR_Q6_K);
  ir_module_free(m);
  gguf_close(f);
}

static void test_options(void **state) {
  (void)state;
  gguf_file *f = open_model("tiny-gemma3-f32");
  gqc_frontend_options o = {.n_ctx = 64, .kv_type = IR_F16, .module_name = "gemma"};
  ir_module *m = load(f, &o);
  assert_string_equal(m->name, "gemma");
  assert_int_equal(ir_meta_int(m, "n_ctx", -1), 64);
  assert_int_equal(cache_rows(m, nth_op(m, IR_OP_ATTENTION, 0), 0), 8);
  assert_int_equal(cache_rows(m, nth_op(m, IR_OP_ATTENTION, 5), 0), 64);
  assert_int_equal(m->caches[0].type.dtype, IR_F16);
  ir_module_free(m);
  /* a context shorter than the window: the sliding caches shrink too */
  o.n_ctx = 4;
  m = load(f, &o);
  assert_int_equal(cache_rows(m, nth_op(m, IR_OP_ATTENTION, 0), 0), 4);
  ir_module_free(m);
  o.kv_type = IR_Q8_0;
  expect_contains(load_error(f, &o), "the KV cache type must be f32 or f16, not q8_0");
  gguf_close(f);
}

/* ---- GGUF variants made in memory --------------------------------------- */
typedef void (*add_keys_fn)(gguf_writer *w);

/* A copy of a test model without the keys in `drop` (NULL-terminated), with
 * the keys add() writes. *buf must be freed after gguf_close(). */
static gguf_file *variant(const char *model, const char *const *drop, add_keys_fn add,
                          uint8_t **buf) {
  gguf_file *src = open_model(model);
  gguf_writer *w = gguf_writer_open_memory();
  for (uint64_t k = 0; k < src->n_kv; k++) {
    bool skip = false;
    for (const char *const *d = drop; d && *d; d++)
      skip |= !strcmp(src->kv[k].key, *d);
    if (!skip)
      gguf_writer_copy_kv(w, &src->kv[k]);
  }
  if (add)
    add(w);
  for (uint64_t k = 0; k < src->n_tensors; k++) {
    const gguf_tensor *t = &src->tensors[k];
    gguf_writer_add_tensor(w, t->name, t->n_dims, t->ne, t->type);
  }
  for (uint64_t k = 0; k < src->n_tensors; k++)
    gguf_writer_write_tensor_data(w, src->tensors[k].data, src->tensors[k].nbytes);
  assert_true(gguf_writer_finish(w));
  uint64_t size;
  assert_true(gguf_writer_take_buffer(w, buf, &size));
  gguf_writer_free(w);
  gguf_close(src);
  gguf_error err = {0};
  gguf_file *f = gguf_open_memory(*buf, size, "variant.gguf", &err);
  if (!f)
    fprintf(stderr, "%s\n", err.msg);
  assert_non_null(f);
  return f;
}

static void add_bool_pattern(gguf_writer *w) {
  const uint8_t pattern[6] = {1, 0, 1, 1, 0, 1};
  gguf_writer_add_array(w, "gemma3.attention.sliding_window_pattern", GGUF_BOOL, pattern, 6);
}
static void add_u32_pattern(gguf_writer *w) {
  gguf_writer_add_u32(w, "gemma3.attention.sliding_window_pattern", 3);
}
static void add_short_pattern(gguf_writer *w) {
  const uint8_t pattern[2] = {1, 0};
  gguf_writer_add_array(w, "gemma3.attention.sliding_window_pattern", GGUF_BOOL, pattern, 2);
}
static void add_softcap(gguf_writer *w) {
  gguf_writer_add_f32(w, "gemma3.final_logit_softcapping", 30.0f);
}
static void add_swa_base(gguf_writer *w) {
  gguf_writer_add_f32(w, "gemma3.rope.freq_base_swa", 5e4f);
}
static void add_mamba(gguf_writer *w) {
  gguf_writer_add_str(w, "general.architecture", "mamba");
}
static void add_wrong_type(gguf_writer *w) {
  gguf_writer_add_str(w, "gemma3.attention.sliding_window", "eight");
}

/* "gemma3.arch:LINE:1: error: " for the line of the built-in description
 * that starts with `start`. */
static const char *builtin_loc(const char *arch, const char *start) {
  static char buf[64];
  const char *text = gqc_builtin_arch_text(arch);
  assert_non_null(text);
  int line = 1;
  for (const char *p = text; *p; p++) {
    if ((p == text || p[-1] == '\n') && !strncmp(p, start, strlen(start)))
      break;
    line += *p == '\n';
  }
  snprintf(buf, sizeof buf, "%s.arch:%d:1: error: ", arch, line);
  return buf;
}

static void expect_windows(const ir_module *m, const int *windows, int n) {
  for (int l = 0; l < n; l++) {
    const ir_inst *a = nth_op(m, IR_OP_ATTENTION, l);
    assert_int_equal(ir_attr_int(a, "window", -1), windows[l]);
    assert_int_equal(cache_rows(m, a, 0), windows[l] ? windows[l] : 2048);
  }
}

static void test_gemma3_variants(void **state) {
  (void)state;
  const char *pattern_key[] = {"gemma3.attention.sliding_window_pattern", NULL};
  uint8_t *buf;
  /* a per-layer bool array: true = sliding */
  gguf_file *f = variant("tiny-gemma3-f32", pattern_key, add_bool_pattern, &buf);
  ir_module *m = load(f, NULL);
  expect_windows(m, (const int[]){8, 0, 8, 8, 0, 8}, 6);
  ir_module_free(m);
  gguf_close(f);
  free(buf);
  /* a u32 N: every N-th layer is global */
  f = variant("tiny-gemma3-f32", pattern_key, add_u32_pattern, &buf);
  m = load(f, NULL);
  expect_windows(m, (const int[]){8, 8, 0, 8, 8, 0}, 6);
  ir_module_free(m);
  gguf_close(f);
  free(buf);
  /* a bool array of the wrong length */
  f = variant("tiny-gemma3-f32", pattern_key, add_short_pattern, &buf);
  const char *msg = load_error(f, NULL);
  expect_contains(msg, builtin_loc("gemma3", "assert not is_array(swa_pattern)"));
  expect_contains(msg, "sliding_window_pattern must have one entry per layer (6)");
  gguf_close(f);
  free(buf);
  /* no window: every layer global, all on the global RoPE base */
  const char *window_key[] = {"gemma3.attention.sliding_window", NULL};
  f = variant("tiny-gemma3-f32", window_key, NULL, &buf);
  m = load(f, NULL);
  expect_windows(m, (const int[]){0, 0, 0, 0, 0, 0}, 6);
  assert_true(ir_attr_float(nth_op(m, IR_OP_ROPE, 0), "base", 0) == 1e6);
  ir_module_free(m);
  gguf_close(f);
  free(buf);
  /* the sliding layers' own base */
  f = variant("tiny-gemma3-f32", NULL, add_swa_base, &buf);
  m = load(f, NULL);
  assert_true(ir_attr_float(nth_op(m, IR_OP_ROPE, 0), "base", 0) == 5e4);
  assert_true(ir_attr_float(nth_op(m, IR_OP_ROPE, 10), "base", 0) == 1e6);
  ir_module_free(m);
  gguf_close(f);
  free(buf);
  /* final logit soft-capping when the key is present */
  f = variant("tiny-gemma3-f32", NULL, add_softcap, &buf);
  m = load(f, NULL);
  const ir_inst *ret = m->decode->last;
  assert_int_equal(ret->operands[0]->op, IR_OP_SOFTCAP);
  assert_true(ir_attr_float(ret->operands[0], "cap", 0) == 30.0);
  ir_module_free(m);
  gguf_close(f);
  free(buf);
  /* a key of the wrong type */
  f = variant("tiny-gemma3-f32", window_key, add_wrong_type, &buf);
  msg = load_error(f, NULL);
  expect_contains(msg, builtin_loc("gemma3", "hparam n_swa"));
  expect_contains(msg, "key 'gemma3.attention.sliding_window' in variant.gguf is a string, but "
                       "hparam 'n_swa' is declared int");
  gguf_close(f);
  free(buf);
}

/* ---- errors --------------------------------------------------------------- */
static void test_unknown_architecture(void **state) {
  (void)state;
  const char *arch_key[] = {"general.architecture", NULL};
  uint8_t *buf;
  gguf_file *f = variant("stories260K", arch_key, add_mamba, &buf);
  const char *msg = load_error(f, NULL);
  expect_contains(msg, "variant.gguf: error: architecture 'mamba' has no built-in description "
                       "(built-in: gemma, gemma2, gemma3, granite, lfm2, llama, olmo2, phi3, "
                       "qwen2, qwen3, smollm3, stablelm, starcoder2)");
  expect_contains(msg, "--arch FILE");
  gguf_close(f);
  free(buf);
  /* no architecture at all */
  f = variant("stories260K", arch_key, NULL, &buf);
  expect_contains(load_error(f, NULL), "no general.architecture string");
  /* ... but an explicit description still works, with {arch} = its name */
  gqc_frontend_options o = {.arch_file = GQC_TEST_DATA "/../../frontend/archs/llama.arch"};
  ir_module *m = load(f, &o);
  assert_string_equal(ir_meta_get(m, "arch")->s, "llama");
  ir_module_free(m);
  gguf_close(f);
  free(buf);
}

static void test_description_errors(void **state) {
  (void)state;
  gguf_file *f = open_model("stories260K");
  gqc_frontend_options o = {.arch_file = ARCHS "missing_tensor.arch"};
  const char *msg = load_error(f, &o);
  expect_contains(msg, "missing_tensor.arch:10:1: error: tensor 'blk.0.attn_nrm.weight' (weight "
                       "'norm[0]', used at line 15) is not in ");
  expect_contains(msg, "stories260K.gguf");

  o.arch_file = ARCHS "missing_key.arch";
  msg = load_error(f, &o);
  expect_contains(msg, "missing_key.arch:7:1: error: ");
  expect_contains(msg, "has no key 'llama.widget_count' (required by hparam 'n_widgets')");

  o.arch_file = ARCHS "wrong_shape.arch";
  msg = load_error(f, &o);
  expect_contains(msg, "wrong_shape.arch:13:1: error: tensor 'blk.0.attn_k.weight' in ");
  expect_contains(msg, "has shape [32, 64], but weight 'wk[0]' expects [64, 32]");

  o.arch_file = ARCHS "no_such_file.arch";
  expect_contains(load_error(f, &o), "no_such_file.arch: error: cannot read the architecture "
                                     "description: No such file or directory");
  gguf_close(f);
}

/* A GGUF with one token_embd.weight of the given ggml type, [4 tokens, 32]. */
static gguf_file *tiny_gguf(uint32_t type, uint8_t **buf) {
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "general.architecture", "llama");
  gguf_writer_add_u32(w, "llama.block_count", 1);
  gguf_writer_add_u32(w, "llama.embedding_length", 32);
  gguf_writer_add_u32(w, "llama.context_length", 16);
  const char *tokens[] = {"a", "b", "c", "d"};
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", tokens, 4);
  uint64_t ne[2] = {32, 4};
  uint64_t n = gguf_writer_add_tensor(w, "token_embd.weight", 2, ne, type);
  assert_true(n > 0);
  uint8_t *zeros = calloc(1, n);
  gguf_writer_write_tensor_data(w, zeros, n);
  free(zeros);
  assert_true(gguf_writer_finish(w));
  uint64_t size;
  assert_true(gguf_writer_take_buffer(w, buf, &size));
  gguf_writer_free(w);
  gguf_error err = {0};
  gguf_file *f = gguf_open_memory(*buf, size, "tiny.gguf", &err);
  if (!f)
    fprintf(stderr, "%s\n", err.msg);
  assert_non_null(f);
  return f;
}

static const char *compile_error(const char *text, const gguf_file *f) {
  static gqc_diag d;
  memset(&d, 0, sizeof d);
  ir_module *m = arch_compile(text, strlen(text), "t.arch", f, NULL, &d);
  if (m)
    ir_module_free(m);
  return m ? NULL : d.msg;
}

static void test_weight_encodings(void **state) {
  (void)state;
  const char *text = "arch llama\n"
                     "hparam n_layer: int = \"{arch}.block_count\"\n"
                     "hparam n_embd: int = \"{arch}.embedding_length\"\n"
                     "hparam n_ctx_train: int = \"{arch}.context_length\"\n"
                     "weight e = \"token_embd.weight\" : [vocab_size, n_embd]\n"
                     "graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                     "  return matmul(x, transpose(e))\n}\n";
  uint8_t *buf;
  /* the module weight keeps the tensor's encoding */
  gguf_file *f = tiny_gguf(GGML_Q8_0, &buf);
  gqc_diag d = {0};
  ir_module *m = arch_compile(text, strlen(text), "t.arch", f, NULL, &d);
  assert_non_null(m);
  assert_int_equal(m->weights[0].type.dtype, IR_Q8_0);
  assert_int_equal(m->weights[0].nbytes, 4 * 34);
  ir_module_free(m);
  gguf_close(f);
  free(buf);
  /* a declared encoding must match */
  f = open_model("llama-2-tiny-random");
  const char *msg = compile_error("arch llama\n"
                                  "hparam n_layer: int = \"{arch}.block_count\"\n"
                                  "hparam n_embd: int = \"{arch}.embedding_length\"\n"
                                  "hparam n_ctx_train: int = \"{arch}.context_length\"\n"
                                  "weight e = \"token_embd.weight\" : f32[vocab_size, n_embd]\n"
                                  "graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                                  "  return matmul(x, transpose(e))\n}\n",
                                  f);
  expect_contains(msg, "t.arch:5:1: error: tensor 'token_embd.weight' in ");
  expect_contains(msg, "is f16, but weight 'e' is declared f32");
  gguf_close(f);
}

/* The walkthrough of docs/arch-language.md compiles the llama test models to
 * the same structure as the built-in llama description. */
static void test_doc_example(void **state) {
  (void)state;
  const char *models[] = {"stories260K", "tiny-llama-Q8_0", "llama-2-tiny-random"};
  for (size_t k = 0; k < 3; k++) {
    gguf_file *f = open_model(models[k]);
    gqc_frontend_options o = {.arch_file = ARCHS "tinyllama.arch"};
    ir_module *m = load(f, &o);
    ir_module *b = load(f, NULL);
    assert_int_equal(count_op(m, IR_OP_MATMUL), count_op(b, IR_OP_MATMUL));
    assert_int_equal(count_op(m, IR_OP_ATTENTION), count_op(b, IR_OP_ATTENTION));
    assert_int_equal(count_op(m, IR_OP_RMS_NORM), count_op(b, IR_OP_RMS_NORM));
    assert_int_equal(m->n_weights, b->n_weights);
    assert_int_equal(m->n_caches, b->n_caches);
    ir_module_free(m);
    ir_module_free(b);
    gguf_close(f);
  }
}

/* Runs a description given as text against stories260K; returns the error. */
static const char *run_text(const char *body) {
  static gqc_diag d;
  memset(&d, 0, sizeof d);
  char text[4096];
  snprintf(text, sizeof text,
           "arch llama\n"
           "hparam n_layer: int = \"{arch}.block_count\"\n"
           "hparam n_embd: int = \"{arch}.embedding_length\"\n"
           "hparam n_ctx_train: int = \"{arch}.context_length\"\n"
           "weight e = \"token_embd.weight\" : [vocab_size, n_embd]\n"
           "%s",
           body);
  gguf_file *f = open_model("stories260K");
  ir_module *m = arch_compile(text, strlen(text), "t.arch", f, NULL, &d);
  if (m)
    ir_module_free(m);
  gguf_close(f);
  return m ? NULL : d.msg;
}

#define LOGITS "  return matmul(x, transpose(e))\n}\n"

static void test_runtime_errors(void **state) {
  (void)state;
  const char *msg = run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n" LOGITS);
  if (msg)
    fprintf(stderr, "%s\n", msg);
  assert_null(msg);
  assert_string_equal(
      run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n"
               "  if n_layer { x = x }\n" LOGITS),
      "t.arch:8:6: error: 'if' needs a bool, got int (compare explicitly, e.g. x != 0)");
  expect_contains(run_text("optional weight b = \"nope.bias\" : f32[n_embd]\n"
                           "graph decode(tok, pos) {\n  x = embed(e, tok) + b\n" LOGITS),
                  "t.arch:8:21: error: optional weight 'b' (tensor 'nope.bias') is not in ");
  assert_string_equal(run_text("assert n_layer == 7, \"want 7 layers, got {n_layer}\"\n"
                               "graph decode(tok, pos) {\n  x = embed(e, tok)\n" LOGITS),
                      "t.arch:6:1: error: want 7 layers, got 5");
  assert_string_equal(run_text("let z = n_layer / (n_layer - 5)\n"
                               "graph decode(tok, pos) {\n  x = embed(e, tok)\n" LOGITS),
                      "t.arch:6:17: error: division by zero (5 / 0)");
  assert_string_equal(
      run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n"
               "  y = rope(x, pos, mode = \"sideways\", head_dim = 8, base = 1e4)\n" LOGITS),
      "t.arch:8:20: error: rope: mode must be \"normal\" (pairs 2i, 2i+1) or "
      "\"neox\" (pairs i, i + n_rot/2)");
  assert_string_equal(run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                               "  y = matmul(x, e)\n" LOGITS),
                      "t.arch:8:7: error: matmul: f32[64] times f32[512, 64] rowmajor: the matrix "
                      "needs 64 rows (a weight [out, in] is used as matmul(x, transpose(w)))");
  assert_string_equal(run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                               "  y = x - x\n" LOGITS),
                      "t.arch:8:9: error: '-' on tensors has no IR operation (tensors support +, "
                      "*, / by a number and unary -)");
  assert_string_equal(run_text("hparam eps: float = \"{arch}.attention.layer_norm_rms_epsilon\"\n"
                               "weight n = \"output_norm.weight\" : f32[n_embd]\n"
                               "graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                               "  y = rms_norm(x, n, eps = eps, group = 3)\n" LOGITS),
                      "t.arch:10:7: error: rms_norm: the group size 3 does not divide the length "
                      "64");
  assert_string_equal(run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                               "  return x\n}\n"),
                      "t.arch:6:1: error: decode returns 64 logits, but the vocabulary has 512 "
                      "tokens");
  assert_string_equal(run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n}\n"),
                      "t.arch:8:1: error: graph decode ended without 'return'");
  assert_string_equal(run_text("fn f(n) = f(n + 1)\nlet z = f(0)\n"
                               "graph decode(tok, pos) {\n  x = embed(e, tok)\n" LOGITS),
                      "t.arch:6:11: error: calls nested more than 64 deep (recursion in 'f'?)");
  assert_string_equal(run_text("graph decode(tok, pos) {\n  x = embed(e, tok)\n"
                               "  if x { }\n" LOGITS),
                      "t.arch:8:6: error: 'if' needs a bool, got tensor f32[64] (compare "
                      "explicitly, e.g. x != 0)");
  assert_string_equal(run_text("let m = matmul(1, 2)\n"
                               "graph decode(tok, pos) {\n  x = embed(e, tok)\n" LOGITS),
                      "t.arch:6:9: error: tensor operation matmul() is only allowed inside the "
                      "graph");
}

/* The general tools of the language: slices of vectors and of weights'
 * rows, layer_norm, rope's frequency factors, attention's score soft-cap —
 * what they build and each one's errors. */
static void test_slices_and_hooks(void **state) {
  (void)state;
  gguf_file *f = open_model("stories260K");
  const char *text =
      "arch llama\n"
      "hparam n_layer: int = \"{arch}.block_count\"\n"
      "hparam n_embd: int = \"{arch}.embedding_length\"\n"
      "hparam n_ctx_train: int = \"{arch}.context_length\"\n"
      "weight e = \"token_embd.weight\" : [vocab_size, n_embd]\n"
      "weight wq = \"blk.0.attn_q.weight\" : [n_embd, n_embd]\n"
      "weight n = \"output_norm.weight\" : f32[n_embd]\n"
      "graph decode(tok, pos) {\n"
      "  x = embed(e, tok)\n"
      "  h = layer_norm(x, n, n, eps = 1e-5)\n"
      "  a = matmul(h, transpose(slice(wq, 16, 8)))\n"              /* rows 16..23 */
      "  b = matmul(h, transpose(slice(slice(wq, 8, 32), 4, 8)))\n" /* rows 12..19 */
      "  c = rope(slice(x, 8, 32), pos, mode = \"neox\", head_dim = 16, base = 1e4,\n"
      "           freq_factors = slice(n, 0, 8), attn_factor = 1.5)\n"
      "  o = attention(c, slice(x, 0, 16), slice(x, 16, 16), pos, n_head = 2, n_head_kv = 1,\n"
      "                head_dim = 16, scale = 0.25, softcap = 20.0)\n"
      "  p = a * b + slice(o, 0, 8)\n" LOGITS;
  gqc_diag d = {0};
  ir_module *m = arch_compile(text, strlen(text), "t.arch", f, NULL, &d);
  if (!m)
    fprintf(stderr, "%s\n", d.msg);
  assert_non_null(m);
  const ir_inst *views[2] = {nth_op(m, IR_OP_MATMUL, 0)->operands[1]->operands[0],
                             nth_op(m, IR_OP_MATMUL, 1)->operands[1]->operands[0]};
  for (int k = 0; k < 2; k++) {
    assert_string_equal(weight_name(m, views[k]), "blk.0.attn_q.weight");
    assert_int_equal(views[k]->type.dims[0], 8);
    assert_int_equal(ir_weight_first_row(views[k]), k ? 12 : 16);
  }
  const ir_inst *ln = nth_op(m, IR_OP_LAYER_NORM, 0);
  assert_int_equal(ln->n_operands, 3);
  const ir_inst *rope = nth_op(m, IR_OP_ROPE, 0);
  assert_int_equal(rope->n_operands, 3);
  assert_int_equal(rope->operands[0]->op, IR_OP_SLICE);
  assert_int_equal(ir_attr_int(rope->operands[0], "start", -1), 8);
  assert_true(ir_attr_float(rope, "attn_factor", 0) == 1.5);
  assert_true(ir_attr_float(nth_op(m, IR_OP_ATTENTION, 0), "softcap", 0) == 20.0);
  assert_int_equal(count_op(m, IR_OP_SLICE), 4); /* the norm weight's slice is a view */
  ir_module_free(m);
  gguf_close(f);

#define GRAPH(body)                                                                                \
  "weight wq = \"blk.0.attn_q.weight\" : [n_embd, n_embd]\n"                                       \
  "weight n = \"output_norm.weight\" : f32[n_embd]\n"                                              \
  "graph decode(tok, pos) {\n  x = embed(e, tok)\n" body LOGITS
  assert_string_equal(run_text(GRAPH("  y = matmul(x, transpose(slice(wq, 60, 8)))\n")),
                      "t.arch:10:27: error: slice: rows 60 .. 67 of weight 'wq' (f32[64, 64] "
                      "rowmajor) are not all in it");
  assert_string_equal(run_text(GRAPH("  y = slice(x, 60, 8)\n")),
                      "t.arch:10:7: error: slice: elements 60 .. 67 are not all in f32[64] (a "
                      "vector of 64)");
  assert_string_equal(run_text(GRAPH("  y = slice(x, 0, 1.5)\n")),
                      "t.arch:10:19: error: slice: the length must be an int, got float");
  assert_string_equal(run_text(GRAPH("  y = embed(slice(e, 0, 4), tok)\n")),
                      "t.arch:10:13: error: embed: the table must be a whole weight matrix "
                      "[n_vocab, n_embd], got f32[4, 64] rowmajor, a slice");
  assert_string_equal(run_text(GRAPH("  y = slice(n, 0, 4) * slice(slice(n, 2, 8), 0, 4)\n"
                                     "  z = slice(slice(n, 0, 8), 4, 8)\n")),
                      "t.arch:11:7: error: slice: elements 4 .. 11 are not all in the weight "
                      "f32[8] rowmajor");
  assert_string_equal(run_text(GRAPH("  y = layer_norm(x, n, slice(n, 0, 8), eps = 1e-5)\n")),
                      "t.arch:10:24: error: layer_norm: the bias has 8 elements, but the input "
                      "is 64");
  assert_string_equal(run_text(GRAPH("  y = rope(x, pos, mode = \"neox\", head_dim = 16, "
                                     "base = 1e4, freq_factors = n)\n")),
                      "t.arch:10:62: error: rope: freq_factors must be f32[8] (n_rot / 2), got "
                      "f32[64] rowmajor");
  assert_string_equal(run_text(GRAPH("  y = attention(x, x, x, pos, n_head = 4, n_head_kv = 4, "
                                     "head_dim = 16, scale = 1.0, softcap = -1.0)\n")),
                      "t.arch:10:86: error: attention: softcap must be a finite number >= 0 (0: "
                      "no soft-capping)");
#undef GRAPH
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_llama_models),
      cmocka_unit_test(test_gemma3),
      cmocka_unit_test(test_qwen2),
      cmocka_unit_test(test_qwen3),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_gemma3_variants),
      cmocka_unit_test(test_unknown_architecture),
      cmocka_unit_test(test_description_errors),
      cmocka_unit_test(test_runtime_errors),
      cmocka_unit_test(test_weight_encodings),
      cmocka_unit_test(test_doc_example),
      cmocka_unit_test(test_slices_and_hooks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

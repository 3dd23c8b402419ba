/* test_prefill.c — batched prefill on the compiler side: row-batched IR
 * (a module with @decode and @prefill: text form, verifier, passes), the
 * frontend's batch mode, and the lowering to runtime calls (calls.c). The
 * end-to-end checks (logits bit-identical to decode) are tests/e2e/
 * prefill.sh and prefill_api.c. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_test_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/calls.h"
#include "frontend/frontend.h"
#include "frontend/gguf.h"
#include "ir/ir.h"
#include "ir/target.h"
#include "passes/passes.h"

/* @decode and @prefill of a one-layer model with a bias (a vector added to
 * every row) and a tied lm_head. */
/* clang-format off */
static const char *const two_funcs =
    "module @m {\n"
    "  meta n_vocab = 64\n"
    "  meta n_ctx = 16\n"
    "  weight @tok : q8_0[64, 32] gguf\n"
    "  weight @norm : f32[32] gguf\n"
    "  weight @wq : q8_0[32, 32] gguf\n"
    "  weight @bq : f32[32] gguf\n"
    "  cache @k0 : f32[16, 32]\n"
    "  cache @v0 : f32[16, 32]\n"
    "  func @decode(%tok : i32, %pos : i32) -> f32[64] {\n"
    IR_TINY_EMBED_NORM_WQ("")
    "    %q0 = matmul %h, %wqt : f32[32]\n"
    "    %b = weight @bq : f32[32] rowmajor\n"
    "    %q = add %q0, %b : f32[32]\n"
    "    %r = rope %q, %pos {mode = 2, head_dim = 16, n_rot = 16, base = 1e4, freq_scale = 1.0} : "
    "f32[32]\n"
    "    %kc = cache @k0 : f32[16, 32]\n"
    "    %vc = cache @v0 : f32[16, 32]\n"
    "    %a = attention %r, %r, %q, %kc, %vc, %pos {n_head = 2, n_head_kv = 2, head_dim = 16, "
    "scale = 0.25, window = 0} : f32[32]\n"
    IR_TINY_DECODE_LOGITS
    "  func @prefill(%tok : i32[4], %pos : i32, %n_rows : i32) -> f32[64] batch 4 rows %n_rows {\n"
    IR_TINY_EMBED_NORM_WQ("4, ")
    "    %q0 = matmul %h, %wqt : f32[4, 32]\n"
    "    %b = weight @bq : f32[32] rowmajor\n"
    "    %q = add %q0, %b : f32[4, 32]\n"
    "    %r = rope %q, %pos {mode = 2, head_dim = 16, n_rot = 16, base = 1e4, freq_scale = 1.0} : "
    "f32[4, 32]\n"
    "    %kc = cache @k0 : f32[16, 32]\n"
    "    %vc = cache @v0 : f32[16, 32]\n"
    "    %a = attention %r, %r, %q, %kc, %vc, %pos {n_head = 2, n_head_kv = 2, head_dim = 16, "
    "scale = 0.25, window = 0} : f32[4, 32]\n"
    IR_TINY_PREFILL_LOGITS
    "}\n";
/* clang-format on */

/* Replaces the first occurrence of `from` in text (a malloc'd copy). */
static char *replace(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  assert_non_null(at);
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *r = malloc(n);
  snprintf(r, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return r;
}

static void run_pipeline(ir_module *m, const char *triple, const char *cpu) {
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, triple, cpu, NULL, &d));
  gqc_pass_context ctx = {&t, &d};
  for (const gqc_pass_info *p = gqc_passes; p->name; p++)
    if (!p->run(m, &ctx) || !ir_verify(m, p->name, &d))
      fail_msg("%s: %s", p->name, d.msg);
}

static void test_two_functions_round_trip(void **state) {
  (void)state;
  ir_module *m = parse_verified(two_funcs);
  assert_int_equal(m->n_funcs, 2);
  ir_func *p = ir_module_find_func(m, "prefill");
  assert_non_null(p);
  assert_ptr_equal(m->decode, m->funcs[0]);
  assert_int_equal(p->batch, 4);
  assert_ptr_equal(p->rows, p->params[2]);
  ir_module *m2;
  char *once = round_trip(m, &m2);
  assert_non_null(strstr(once, "-> f32[64] batch 4 rows %n_rows {"));
  /* a third function of an existing name is refused */
  assert_null(ir_func_new(m2, "decode"));
  free(once);
  ir_module_free(m);
  ir_module_free(m2);
}

/* Each mutation of two_funcs must fail verification (or parsing) with a
 * message containing `expect`. */
static void test_batch_verifier_errors(void **state) {
  (void)state;
  struct {
    const char *from, *to, *expect;
  } cases[] = {
      /* the token vector must have the batch's length */
      {"%tok : i32[4], %pos", "%tok : i32[3], %pos", "i32[batch] token vectors, not i32[3]"},
      /* rows must name a scalar parameter */
      {"batch 4 rows %n_rows", "batch 4 rows %pos2", "not a parameter"},
      {"batch 4 rows %n_rows", "batch 4 rows %tok", "'rows' must name an i32 scalar parameter"},
      /* a batch of another size */
      {"%x = embed %e, %tok : f32[4, 32]\n    %n = weight @norm : f32[32] rowmajor\n"
       "    %h = rms_norm %x, %n {eps = 1e-05} : f32[4, 32]",
       "%x = embed %e, %tok : f32[4, 32]\n    %n = weight @norm : f32[32] rowmajor\n"
       "    %h = rms_norm %x, %n {eps = 1e-05} : f32[5, 32]",
       "result type is f32[5, 32], expected f32[4, 32]"},
      /* rows added to a vector: only a vector added to rows broadcasts */
      {"%y = add %a, %x : f32[4, 32]", "%y = add %b, %x : f32[4, 32]", "b may be one row of a"},
      /* k as a vector while q is rows */
      {"%a = attention %r, %r, %q, %kc, %vc, %pos {n_head = 2, n_head_kv = 2, head_dim = 16, "
       "scale = 0.25, window = 0} : f32[4, 32]",
       "%a = attention %r, %b, %q, %kc, %vc, %pos {n_head = 2, n_head_kv = 2, head_dim = 16, "
       "scale = 0.25, window = 0} : f32[4, 32]",
       "k must be f32[32] rows like q"},
      /* last_row of a vector */
      {"%logits = last_row %l : f32[64]\n    return %logits\n  }\n}",
       "%l2 = last_row %l : f32[64]\n    %logits = last_row %l2 : f32[64]\n    return %logits\n"
       "  }\n}",
       "input must be a [4, n] batch of rows"},
      /* a batched value returned as the logits */
      {"-> f32[64] batch 4", "-> f32[4, 64] batch 4", "returns f32[64] but the function returns"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char *text = replace(two_funcs, cases[k].from, cases[k].to);
    gqc_diag d = {0};
    ir_module *m = parse(text, &d);
    bool ok = m && ir_verify(m, "test", &d);
    if (ok)
      fail_msg("case %zu: accepted", k);
    if (!strstr(d.msg, cases[k].expect))
      fail_msg("case %zu: '%s' does not contain '%s'", k, d.msg, cases[k].expect);
    ir_module_free(m);
    free(text);
  }
}

static int count_in(const ir_func *f, ir_opcode op, int rank) {
  int n = 0;
  ir_for_each_inst(f, i) n += i->op == op && (rank < 0 || i->type.rank == rank);
  return n;
}

static void test_pipeline_on_two_functions(void **state) {
  (void)state;
  gqc_diag d = {0};
  ir_module *m = parse(two_funcs, &d);
  run_pipeline(m, "x86_64-linux-gnu", "x86-64-v3");
  const ir_func *p = ir_module_find_func(m, "prefill");
  /* the lm_head runs on the last row only: a GEMV; the projection a GEMM */
  assert_int_equal(count_in(p, IR_OP_LINEAR, 2), 1);
  assert_int_equal(count_in(p, IR_OP_LINEAR, 1), 1);
  ir_for_each_inst(p, i) if (i->op == IR_OP_LINEAR) {
    const char *k = ir_attr_str(i, "kernel", "");
    assert_string_equal(k, i->type.rank == 2 ? "gqcrt_gemm_q8_0_avx2" : "gqcrt_linear_q8_0_avx2");
    /* the quantize before a batched linear converts every row */
    assert_int_equal(i->operands[0]->type.rank, i->type.rank);
  }
  assert_int_equal(count_in(p, IR_OP_LAST_ROW, -1), 2); /* of %a and %x */
  /* arena: KV + the larger function's activations */
  int64_t kv = ir_meta_int(m, "kv_bytes", -1);
  int64_t dec = ir_meta_int(m, "decode_activation_bytes", -1);
  int64_t pre = ir_meta_int(m, "prefill_activation_bytes", -1);
  assert_true(kv > 0 && dec > 0 && pre > dec);
  assert_int_equal(m->arena_bytes, kv + pre);

  /* lowering: the call list of each function */
  gqc_program prog;
  if (!gqc_lower_program(m, &prog, &d))
    fail_msg("%s", d.msg);
  assert_non_null(prog.prefill.func);
  assert_int_equal(prog.prefill.batch, 4);
  assert_int_equal(prog.n_descs, 1); /* one attention descriptor for both */
  assert_int_equal(prog.embed_rows, 64);
  int per_row = 0, gemm = 0, rows_counts = 0, last_rows = 0;
  for (int k = 0; k < prog.prefill.n_calls; k++) {
    const gqc_call *c = &prog.prefill.calls[k];
    for (int a = 0; a < c->n_args; a++) {
      rows_counts += c->args[a].kind == GQC_ARG_ROWS;
      last_rows += c->args[a].kind == GQC_ARG_ARENA_LAST_ROW;
    }
    if (c->per_row) { /* the bias: y[r] = q0[r] + b */
      per_row++;
      assert_string_equal(c->fn, "gqcrt_add");
      assert_int_equal(c->args[0].row_bytes, 32 * 4);
      assert_int_equal(c->args[1].row_bytes, 32 * 4);
      assert_int_equal(c->args[2].kind, GQC_ARG_WEIGHT);
      assert_int_equal(c->args[3].i, 32);
    }
    if (!strcmp(c->fn, "gqcrt_gemm_q8_0_avx2")) { /* (y, y_stride, w, x, n_in, n_out, n) */
      gemm++;
      assert_int_equal(c->n_args, 7);
      assert_int_equal(c->args[1].i, 32);
      assert_int_equal(c->args[6].kind, GQC_ARG_ROWS);
    }
    if (!strcmp(c->fn, "gqcrt_embed_rows")) {
      assert_int_equal(c->args[0].kind, GQC_ARG_FN);
      assert_string_equal(c->args[0].sym, "gqcrt_dequantize_q8_0");
      assert_int_equal(c->args[4].kind, GQC_ARG_TOKENS);
    }
    assert_true(strcmp(c->fn, "gqcrt_rope") && strcmp(c->fn, "gqcrt_attention"));
  }
  assert_int_equal(per_row, 1);
  assert_int_equal(gemm, 1);
  assert_true(rows_counts >= 5);  /* embed, norm, quantize, gemm, rope, attention */
  assert_int_equal(last_rows, 2); /* the residual add reads both last rows */
  assert_int_equal(prog.prefill.result.kind, GQC_ARG_ARENA);
  for (int k = 0; k < prog.decode.n_calls; k++) {
    assert_false(prog.decode.calls[k].per_row);
    for (int a = 0; a < prog.decode.calls[k].n_args; a++)
      assert_true(prog.decode.calls[k].args[a].kind != GQC_ARG_ROWS);
  }
  /* defer-logits: in @prefill the attention is the last call a prompt step
   * that is not the final one runs; the residual add and the lm_head (one
   * row) come after it. @decode always computes its logits. */
  const gqc_call_list *pl = &prog.prefill;
  assert_true(pl->n_state_calls > 0 && pl->n_state_calls < pl->n_calls);
  assert_string_equal(pl->calls[pl->n_state_calls - 1].fn, "gqcrt_attention_parallel");
  int lm_head = -1;
  for (int k = 0; k < pl->n_calls; k++)
    if (!strncmp(pl->calls[k].fn, "gqcrt_linear_q8_0", 17) ||
        (!strcmp(pl->calls[k].fn, "gqcrt_linear_parallel") &&
         !strncmp(pl->calls[k].args[1].sym, "gqcrt_linear_q8_0", 17)))
      lm_head = k;
  assert_true(lm_head >= pl->n_state_calls);
  assert_int_equal(prog.decode.n_state_calls,
                   prog.decode.n_calls - 3); /* its add, quantize and lm_head: after */
  gqc_program_free(&prog);
  ir_module_free(m);
}

/* A convolution with a state (LFM2): both functions read and write one
 * state buffer in the arena, @prefill's call covers the batch's rows (they
 * depend on each other, so the last row is not hoisted above it), and the
 * program allows no rewind past the state's ring (2 rows read back 3). */
static void test_causal_conv_state(void **state) {
  (void)state;
  static const char *const conv =
      "module @m {\n"
      "  meta n_vocab = 8\n"
      "  meta n_ctx = 16\n"
      "  weight @tok : f32[8, 32] gguf\n"
      "  weight @taps : f32[32, 3] gguf\n"
      "  cache @conv_state.0 : f32[2, 32]\n"
      "  func @decode(%tok : i32, %pos : i32) -> f32[8] {\n"
      "    %e = weight @tok : f32[8, 32] rowmajor\n"
      "    %x = embed %e, %tok : f32[32]\n"
      "    %w = weight @taps : f32[32, 3] rowmajor\n"
      "    %s = cache @conv_state.0 : f32[2, 32]\n"
      "    %c = causal_conv %x, %w, %s, %pos : f32[32]\n"
      "    %o = weight @tok : f32[8, 32] rowmajor\n"
      "    %ot = transpose %o : f32[32, 8] rowmajor\n"
      "    %logits = matmul %c, %ot : f32[8]\n"
      "    return %logits\n"
      "  }\n"
      "  func @prefill(%tok : i32[4], %pos : i32, %n_rows : i32) -> f32[8] batch 4 rows %n_rows {\n"
      "    %e = weight @tok : f32[8, 32] rowmajor\n"
      "    %x = embed %e, %tok : f32[4, 32]\n"
      "    %w = weight @taps : f32[32, 3] rowmajor\n"
      "    %s = cache @conv_state.0 : f32[2, 32]\n"
      "    %c = causal_conv %x, %w, %s, %pos : f32[4, 32]\n"
      "    %o = weight @tok : f32[8, 32] rowmajor\n"
      "    %ot = transpose %o : f32[32, 8] rowmajor\n"
      "    %l = matmul %c, %ot : f32[4, 8]\n"
      "    %logits = last_row %l : f32[8]\n"
      "    return %logits\n"
      "  }\n"
      "}\n";
  gqc_diag d = {0};
  ir_module *m = parse_ok(conv, &d);
  run_pipeline(m, "x86_64-linux-gnu", "x86-64-v3");
  assert_int_equal(count_in(ir_module_find_func(m, "prefill"), IR_OP_CAUSAL_CONV, 2), 1);
  gqc_program prog;
  if (!gqc_lower_program(m, &prog, &d))
    fail_msg("%s", d.msg);
  assert_int_equal(prog.ring_rows, 2);
  assert_int_equal(prog.ring_window, 3);
  const gqc_call_list *lists[2] = {&prog.decode, &prog.prefill};
  int64_t state_at[2] = {-1, -1};
  for (int f = 0; f < 2; f++)
    for (int k = 0; k < lists[f]->n_calls; k++) {
      const gqc_call *c = &lists[f]->calls[k];
      if (strcmp(c->fn, "gqcrt_causal_conv"))
        continue;
      /* (y, x, w, state, pos, n_rows, n, taps) */
      assert_int_equal(c->n_args, 8);
      assert_int_equal(c->args[3].kind, GQC_ARG_ARENA);
      state_at[f] = c->args[3].offset;
      assert_int_equal(c->args[4].kind, GQC_ARG_POS);
      assert_int_equal(c->args[5].kind, f ? GQC_ARG_ROWS : GQC_ARG_I32);
      assert_int_equal(c->args[6].i, 32);
      assert_int_equal(c->args[7].i, 3);
    }
  assert_true(state_at[0] >= 0 && state_at[0] == state_at[1]);
  gqc_program_free(&prog);
  ir_module_free(m);
}

/* Packed weights (Cortex-A55): the weight both functions read is packed
 * once, GEMV and GEMM kernels of the same layout. */
static void test_repack_serves_both_functions(void **state) {
  (void)state;
  gqc_diag d = {0};
  ir_module *m = parse(two_funcs, &d);
  run_pipeline(m, "aarch64-linux-gnu", "cortex-a55");
  int wq = ir_module_find_weight(m, "wq");
  assert_string_equal(m->weights[wq].storage, "q8_0_r4");
  for (int f = 0; f < m->n_funcs; f++)
    ir_for_each_inst(m->funcs[f], i) if (i->op == IR_OP_LINEAR && i->operands[1]->ref == wq)
        assert_string_equal(ir_attr_str(i, "kernel", ""), i->type.rank == 2
                                                              ? "gqcrt_gemm_q8_0_r4_neon"
                                                              : "gqcrt_linear_q8_0_r4_neon");
  ir_module_free(m);
}

/* The frontend's batch mode on a real model: @prefill next to @decode with
 * the same caches, and nothing else changed. */
static void test_frontend_batch_mode(void **state) {
  (void)state;
  gguf_error err = {0};
  gguf_file *f = gguf_open(GQC_TEST_DATA "/models/tiny-gemma3-Q5_1.gguf", &err);
  assert_non_null(f);
  gqc_diag d = {0};
  gqc_frontend_options single = {.n_ctx = 64};
  gqc_frontend_options batched = {.n_ctx = 64, .batch = 16};
  gqc_frontend_options huge = {.n_ctx = 64, .batch = 1000};
  ir_module *a = gqc_frontend_load(f, &single, &d);
  ir_module *b = gqc_frontend_load(f, &batched, &d);
  ir_module *c = gqc_frontend_load(f, &huge, &d);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(a->n_funcs, 1);
  assert_int_equal(b->n_funcs, 2);
  assert_int_equal(b->n_caches, a->n_caches);
  assert_int_equal(b->n_weights, a->n_weights);
  /* @decode is the same program either way */
  assert_int_equal(count_in(a->decode, IR_OP_ATTENTION, -1),
                   count_in(b->decode, IR_OP_ATTENTION, -1));
  const ir_func *p = ir_module_find_func(b, "prefill");
  assert_int_equal(p->batch, 16);
  assert_int_equal(p->params[0]->type.rank, 1);
  assert_int_equal(p->params[0]->type.dims[0], 16);
  assert_int_equal(count_in(p, IR_OP_ATTENTION, 2), 6);
  assert_int_equal(p->last->operands[0]->op, IR_OP_LAST_ROW);
  /* every attention reads the cache its @decode twin reads */
  const ir_inst *da = a->decode->first, *pa = p->first;
  for (;; da = da->next, pa = pa->next) {
    while (da && da->op != IR_OP_ATTENTION)
      da = da->next;
    while (pa && pa->op != IR_OP_ATTENTION)
      pa = pa->next;
    if (!da || !pa)
      break;
    assert_int_equal(da->operands[3]->ref, pa->operands[3]->ref);
    assert_int_equal(da->operands[4]->ref, pa->operands[4]->ref);
  }
  assert_null(da);
  assert_null(pa);
  /* the batch is at most the context */
  assert_int_equal(ir_module_find_func(c, "prefill")->batch, 64);
  ir_module_free(a);
  ir_module_free(b);
  ir_module_free(c);
  gguf_close(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_functions_round_trip),
      cmocka_unit_test(test_batch_verifier_errors),
      cmocka_unit_test(test_pipeline_on_two_functions),
      cmocka_unit_test(test_causal_conv_state),
      cmocka_unit_test(test_repack_serves_both_functions),
      cmocka_unit_test(test_frontend_batch_mode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

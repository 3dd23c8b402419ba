/* test_ir.c — the IR core: types, printing/parsing round trips, the verifier,
 * and the passes on hand-written IR. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_test_util.h"
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "ir/target.h"
#include "passes/passes.h"

/* clang-format off */
static const char *const tiny_q8 =
    "module @tiny {\n"
    "  meta n_vocab = 64\n"
    "  meta n_ctx = 16\n"
    "  weight @tok : q8_0[64, 32] gguf\n"
    "  weight @norm : f32[32] gguf\n"
    "  weight @wq : q8_0[32, 32] gguf\n"
    "  weight @wk : q8_0[32, 32] gguf\n"
    "  cache @k0 : f32[16, 32]\n"
    "  cache @v0 : f32[16, 32]\n"
    "  func @decode(%tok : i32, %pos : i32) -> f32[64] {\n"
    IR_TINY_EMBED_NORM_WQ("")
    "    %q = matmul %h, %wqt : f32[32]\n"
    "    %wk = weight @wk : q8_0[32, 32] rowmajor\n"
    "    %wkt = transpose %wk : q8_0[32, 32] rowmajor\n"
    "    %k = matmul %h, %wkt : f32[32]\n"
    "    %kc = cache @k0 : f32[16, 32]\n"
    "    %vc = cache @v0 : f32[16, 32]\n"
    "    %a = attention %q, %k, %k, %kc, %vc, %pos {n_head = 2, n_head_kv = 2, head_dim = 16, "
    "scale = 0.25, window = 0} : f32[32]\n"
    IR_TINY_DECODE_LOGITS
    "}\n";
/* clang-format on */

static void test_types(void **state) {
  (void)state;
  ir_type t = ir_type_mat(IR_Q4_K, 64, 512);
  assert_int_equal(ir_type_bytes(&t), 64 * 2 * 144);
  ir_type bad = ir_type_mat(IR_Q4_K, 4, 100);
  assert_int_equal(ir_type_bytes(&bad), -1);
  char buf[64];
  t.layout = IR_LAYOUT_PRETRANSPOSED;
  assert_string_equal(ir_type_str(&t, buf, sizeof buf), "q4_k[64, 512] pretransposed");
  ir_dtype dt;
  assert_true(ir_dtype_from_ggml(30, &dt));
  assert_int_equal(dt, IR_BF16);
  assert_int_equal(ir_dtype_vec_dot(IR_Q5_1), IR_Q8_1);
  assert_int_equal(ir_dtype_vec_dot(IR_Q6_K), IR_Q8_K);
  assert_int_equal(ir_dtype_vec_dot(IR_F16), IR_F16);
}

static void test_round_trip(void **state) {
  (void)state;
  ir_module *m = parse_verified(tiny_q8);
  char *once = round_trip(m, NULL);
  ir_module_free(m);
  assert_non_null(strstr(once, "attention %q, %k, %k, %kc, %vc, %pos"));
  assert_non_null(strstr(once, "{eps = 1e-05}"));
  free(once);
}

static void test_parse_errors(void **state) {
  (void)state;
  struct {
    const char *text, *expect;
  } cases[] = {
      {"module @m {\n  func @decode(%t : i32) -> f32[4] {\n    %x = bogus %t : f32[4]\n  }\n}\n",
       "t.ir:3:10: error: unknown operation 'bogus'"},
      {"module @m {\n  func @decode(%t : i32) -> f32[4] {\n    return %nope\n  }\n}\n",
       "t.ir:3:12: error: use of undefined value %nope"},
      {"module @m {\n  weight @w : q4_0[4, 33] gguf\n}\n", "row length is not a multiple"},
      {"module @m {\n  meta x = \"unterminated\n}\n", "t.ir:2:12: error: unterminated string"},
      {"module @m {\n", "unexpected end of input"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    gqc_diag d = {0};
    ir_module *m = parse(cases[k].text, &d);
    assert_null(m);
    assert_true(d.failed);
    if (!strstr(d.msg, cases[k].expect))
      fail_msg("case %zu: '%s' does not contain '%s'", k, d.msg, cases[k].expect);
  }
}

static void test_verifier_catches_shape_errors(void **state) {
  (void)state;
  const char *text = "module @m {\n"
                     "  weight @w : f32[8, 4] gguf\n"
                     "  func @decode(%tok : i32, %pos : i32) -> f32[8] {\n"
                     "    %w = weight @w : f32[8, 4] pretransposed\n"
                     "    %x = embed %w, %tok : f32[4]\n"
                     "    return %x\n"
                     "  }\n"
                     "}\n";
  gqc_diag d = {0};
  ir_module *m = parse_ok(text, &d);
  assert_false(ir_verify(m, "after test", &d));
  assert_non_null(strstr(d.msg, "after test"));
  assert_non_null(strstr(d.msg, "%x = embed"));
  assert_non_null(strstr(d.msg, "rowmajor"));
  ir_module_free(m);
}

static void run_pipeline(ir_module *m, const char *cpu) {
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, "x86_64-linux-gnu", cpu, NULL, &d));
  gqc_pass_context ctx = {&t, &d};
  for (const gqc_pass_info *p = gqc_passes; p->name; p++) {
    if (!p->run(m, &ctx) || !ir_verify(m, p->name, &d))
      fail_msg("%s: %s", p->name, d.msg);
  }
}

static int count_op(const ir_module *m, ir_opcode op) {
  int n = 0;
  ir_for_each_inst(m->decode, i) n += i->op == op;
  return n;
}

static void test_pipeline_on_q8(void **state) {
  (void)state;
  gqc_diag d = {0};
  ir_module *m = parse_ok(tiny_q8, &d);
  run_pipeline(m, "x86-64-v3");
  assert_int_equal(count_op(m, IR_OP_MATMUL), 0);
  assert_int_equal(count_op(m, IR_OP_TRANSPOSE), 0);
  assert_int_equal(count_op(m, IR_OP_LINEAR), 3);
  /* q and k read one normed input: one shared q8_0 conversion; the lm_head
   * input is another. */
  assert_int_equal(count_op(m, IR_OP_QUANTIZE), 2);
  ir_for_each_inst(m->decode, i) if (i->op == IR_OP_LINEAR) {
    assert_string_equal(ir_attr_str(i, "kernel", ""), "gqcrt_linear_q8_0_avx2");
    assert_int_equal(i->operands[0]->type.dtype, IR_Q8_0);
  }
  /* tied: the table and the lm_head are one weight */
  assert_int_equal(ir_meta_int(m, "tied_weights", 0), 1);
  /* memory: caches first, every planned value inside the arena, no overlap of
   * an output with its own inputs */
  assert_int_equal(m->caches[0].offset, 0);
  assert_int_equal(m->caches[1].offset, 16 * 32 * 4);
  ir_for_each_inst(m->decode, i) {
    if (i->offset < 0)
      continue;
    assert_true(i->offset >= 2 * 16 * 32 * 4);
    assert_true(i->offset % 64 == 0);
    int64_t end = i->offset + ir_type_bytes(&i->type);
    assert_true(end <= m->arena_bytes);
    for (int k = 0; k < i->n_operands; k++) {
      const ir_inst *o = i->operands[k];
      if (o->offset < 0)
        continue;
      int64_t oend = o->offset + ir_type_bytes(&o->type);
      assert_true(end <= o->offset || oend <= i->offset);
    }
  }
  /* the weight blob holds tok once */
  int live = 0;
  for (int w = 0; w < m->n_weights; w++)
    live += !m->weights[w].dead;
  assert_int_equal(live, 4);
  ir_module_free(m);
}

static void test_scalar_target_picks_scalar_kernels(void **state) {
  (void)state;
  gqc_diag d = {0};
  ir_module *m = parse(tiny_q8, &d);
  run_pipeline(m, "x86-64");
  ir_for_each_inst(m->decode, i) if (i->op == IR_OP_LINEAR)
      assert_string_equal(ir_attr_str(i, "kernel", ""), "gqcrt_linear_q8_0_scalar");
  ir_module_free(m);
}

static void test_unsupported_encoding_is_an_error(void **state) {
  (void)state;
  /* q8_k is an activation encoding: no weight kernel exists for it */
  const char *text = "module @m {\n"
                     "  weight @w : q8_k[4, 256] gguf\n"
                     "  func @decode(%tok : i32, %pos : i32) -> f32[4] {\n"
                     "    %w = weight @w : q8_k[4, 256] pretransposed\n"
                     "    %e = weight @w : q8_k[4, 256] rowmajor\n"
                     "    %x = embed %e, %tok : f32[256]\n"
                     "    %y = linear %x, %w : f32[4]\n"
                     "    return %y\n"
                     "  }\n"
                     "}\n";
  gqc_diag d = {0};
  ir_module *m = parse_ok(text, &d);
  gqc_target t;
  assert_true(gqc_target_init(&t, "x86_64-linux-gnu", "x86-64-v3", NULL, &d));
  gqc_pass_context ctx = {&t, &d};
  assert_false(pass_select_kernels(m, &ctx));
  assert_non_null(strstr(d.msg, "q8_k"));
  ir_module_free(m);
}

static void test_target_features(void **state) {
  (void)state;
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, "aarch64-linux-gnu", NULL, NULL, &d));
  assert_string_equal(t.cpu, "cortex-a55");
  assert_true(gqc_target_has_all(&t, "neon,dotprod"));
  assert_false(gqc_target_has_all(&t, "i8mm"));
  assert_true(gqc_target_init(&t, "aarch64-linux-gnu", "cortex-a55", "-dotprod", &d));
  assert_false(gqc_target_has_all(&t, "dotprod"));
  assert_false(gqc_target_init(&t, "riscv64-linux-gnu", NULL, NULL, &d));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_verifier_catches_shape_errors),
      cmocka_unit_test(test_pipeline_on_q8),
      cmocka_unit_test(test_scalar_target_picks_scalar_kernels),
      cmocka_unit_test(test_unsupported_encoding_is_an_error),
      cmocka_unit_test(test_target_features),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

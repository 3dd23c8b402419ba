/* test_arch_parse.c — the architecture-description language up to (not
 * including) running it: the built-in descriptions parse and check; syntax,
 * lexical and static semantic errors come out as one exact
 * "file:line:col: error: ..." message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/arch_ast.h"
#include "frontend/frontend.h"

/* Parses and checks; returns true when both pass, else d holds the error. */
static bool parse_check(const char *src, gqc_diag *d) {
  arch_program *p = arch_parse(src, strlen(src), "t.arch", d);
  bool ok = p && arch_check(p, d);
  arch_program_free(p);
  return ok;
}

static void expect_error(const char *src, const char *want) {
  gqc_diag d = {0};
  bool ok = parse_check(src, &d);
  if (ok || !d.failed || strcmp(d.msg, want))
    fprintf(stderr, "source:\n%s\n--- got: %s\n--- want: %s\n", src, ok ? "(no error)" : d.msg,
            want);
  assert_false(ok);
  assert_true(d.failed);
  assert_string_equal(d.msg, want);
}

/* Four lines every semantic test starts with (errors begin at line 5). */
#define PRELUDE                                                                                    \
  "arch t\n"                                                                                       \
  "hparam n_layer: int = \"{arch}.block_count\"\n"                                                 \
  "hparam n_embd: int = \"{arch}.embedding_length\"\n"                                             \
  "hparam n_ctx_train: int = \"{arch}.context_length\"\n"

#define GRAPH "graph decode(tok, pos) {\n  return tok\n}\n"

static void test_builtin_descriptions_check(void **state) {
  (void)state;
  const char *names[] = {"llama", "gemma3", "qwen2", "qwen3",      "gemma",   "gemma2",  "granite",
                         "olmo2", "phi3",   "lfm2",  "starcoder2", "smollm3", "stablelm"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    const char *text = gqc_builtin_arch_text(names[k]);
    assert_non_null(text);
    char file[32];
    snprintf(file, sizeof file, "%s.arch", names[k]);
    gqc_diag d = {0};
    arch_program *p = arch_parse(text, strlen(text), file, &d);
    if (!p || !arch_check(p, &d))
      fprintf(stderr, "%s\n", d.msg);
    assert_false(d.failed);
    assert_non_null(p);
    assert_string_equal(p->decls->name, names[k]);
    arch_program_free(p);
  }
  assert_null(gqc_builtin_arch_text("mamba"));
  assert_null(gqc_builtin_arch_text(NULL));
  assert_string_equal(gqc_builtin_arch_names(),
                      "gemma, gemma2, gemma3, granite, lfm2, llama, olmo2, "
                      "phi3, qwen2, qwen3, smollm3, stablelm, starcoder2");
}

static void test_valid_description(void **state) {
  (void)state;
  const char *src =
      PRELUDE "hparam pattern: int | bool[] = \"{arch}.p\" or \"{arch}.q\" default 6\n"
              "let hd = n_embd / 4  # comment\n"
              "fn sliding(l) = is_array(pattern) ? pattern[l] : l % pattern < pattern - 1\n"
              "fn twice(x) {\n  y = x + x\n  return y\n}\n"
              "weight e = \"token_embd.weight\" : [vocab_size, n_embd]\n"
              "optional weight b[l] = \"blk.{l}.b\" : f32[_]\n"
              "weight o = \"output.weight\" : q8_0[vocab_size, n_embd] or e\n"
              "meta half = n_embd / 2\n"
              "assert hd > 0 and not (hd == 3), \"bad {hd}\"\n"
              "graph decode(tok, pos) {\n"
              "  x = embed(e, tok) * 2.0\n"
              "  for l in 0 .. n_layer {\n"
              "    if sliding(l) { w = 8 } else if l == 1 { w = 1 } else { w = 0 }\n"
              "    if has(b[l]) { x = x + b[l] }\n"
              "  }\n"
              "  return matmul(x, transpose(o))\n"
              "}\n";
  gqc_diag d = {0};
  bool ok = parse_check(src, &d);
  if (!ok)
    fprintf(stderr, "%s\n", d.msg);
  assert_true(ok);
}

static void test_syntax_errors(void **state) {
  (void)state;
  expect_error("arch t\nhparam n: int = \"a\" default 1 +\n",
               "t.arch:3:1: error: unexpected end of file, expected an expression");
  expect_error("arch t\nlet a = (1 + 2\nlet b = 3\n",
               "t.arch:3:1: error: unexpected 'let', expected ')' or an operator");
  expect_error("arch t\ngraph decode(tok, pos) {\n  x = embed(e tok)\n}\n",
               "t.arch:3:15: error: unexpected identifier 'tok', expected '=', ')', ',' or an "
               "operator");
  expect_error("arch t\ngraph decode(tok, pos) {\n  if x = 3 { }\n}\n",
               "t.arch:3:8: error: unexpected '=' (write '==' to compare)");
  expect_error("arch t\ngraph decode(tok, pos) {\n  x = 1\n  y = 2 *\n}\n",
               "t.arch:5:1: error: unexpected '}', expected an expression");
  expect_error("arch t\nweight w = \"a\" [4]\n",
               "t.arch:2:16: error: unexpected '[', expected ':'");
  expect_error("arch t\nhparam n = \"a\"\n", "t.arch:2:10: error: unexpected '=', expected ':'");
  expect_error("arch t\nhparam n: integer = \"a\"\n",
               "t.arch:2:11: error: unknown type 'integer' (types: int, float, bool, str, and "
               "arrays such as bool[])");
  expect_error("arch t\nlet x = 1\n}\n", "t.arch:3:1: error: unexpected '}'");
}

static void test_lexical_errors(void **state) {
  (void)state;
  expect_error("arch t\nlet a = 1 $ 2\n", "t.arch:2:11: error: unexpected character '$'");
  expect_error("arch t\nlet a = 1 && 2\n",
               "t.arch:2:11: error: unexpected character '&' (use 'and', 'or', 'not')");
  expect_error("arch t\n\n  let a = \"abc\n",
               "t.arch:3:11: error: unterminated string (strings end on the same line)");
  expect_error("arch t\nlet a = 99999999999999999999\n",
               "t.arch:2:9: error: integer '99999999999999999999' does not fit in 64 bits");
  expect_error("arch t\nlet a = \"a\\qb\"\n",
               "t.arch:2:11: error: unknown escape '\\q' in string (known: \\n \\t \\\\ \\\")");
  expect_error("arch t\nlet a = \"blk.{l.q\"\n",
               "t.arch:2:14: error: '{' in a string must enclose a name, as in "
               "\"blk.{l}.attn_q.weight\" (write '{{' for a literal brace)");
  expect_error("arch t\nlet a = 1\xff\n", "t.arch:2:10: error: unexpected byte 0xff");
}

static void test_unknown_names(void **state) {
  (void)state;
  expect_error(PRELUDE "let b = n_layr + 1\n" GRAPH,
               "t.arch:5:9: error: unknown name 'n_layr' (did you mean 'n_layer'?)");
  expect_error(PRELUDE "let b = zzz\n" GRAPH, "t.arch:5:9: error: unknown name 'zzz'");
  expect_error(PRELUDE "let a = sqroot(2)\n" GRAPH,
               "t.arch:5:9: error: unknown function 'sqroot' (did you mean 'sqrt'?)");
  expect_error(PRELUDE "let a = b\nlet b = 1\n" GRAPH,
               "t.arch:5:9: error: 'b' is used before its definition at line 6");
  expect_error(PRELUDE "weight w = \"x.{ll}\" : [1]\n" GRAPH,
               "t.arch:5:16: error: unknown name 'll'");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  for l in 0 .. 2 { y = l }\n  return l\n}\n",
               "t.arch:7:10: error: unknown name 'l' (did you mean 'y'?)");
  expect_error(PRELUDE "let a = sqrt\n" GRAPH,
               "t.arch:5:9: error: 'sqrt' is a built-in function: call it as sqrt(...)");
  expect_error(PRELUDE "fn f(x) = x\nlet a = f\n" GRAPH,
               "t.arch:6:9: error: 'f' is a function: call it as f(...)");
  expect_error(PRELUDE "let a = 1\nlet b = a(2)\n" GRAPH,
               "t.arch:6:9: error: 'a' is not a function");
}

static void test_wrong_arguments(void **state) {
  (void)state;
  expect_error(PRELUDE "graph decode(tok, pos) {\n  x = matmul(tok)\n  return x\n}\n",
               "t.arch:6:7: error: matmul() takes 2 positional arguments, got 1 (usage: "
               "matmul(x, m))");
  expect_error(PRELUDE "let a = sqrt(1, 2)\n" GRAPH,
               "t.arch:5:9: error: sqrt() takes 1 positional argument, got 2 (usage: sqrt(x))");
  expect_error(PRELUDE "let a = min(1)\n" GRAPH,
               "t.arch:5:9: error: min() takes at least 2 positional arguments, got 1 (usage: "
               "min(a, b, ...))");
  expect_error(PRELUDE "fn f(a, b) = a + b\nlet y = f(1)\n" GRAPH,
               "t.arch:6:9: error: function 'f' takes 2 arguments, got 1 (defined at line 5)");
  expect_error(PRELUDE "fn f(a) = a\nlet y = f(a = 1)\n" GRAPH,
               "t.arch:6:11: error: function 'f' takes no keyword arguments");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  x = rms_norm(tok, eps = 1, grop = 2)\n"
                       "  return x\n}\n",
               "t.arch:6:30: error: rms_norm() has no keyword argument 'grop' (did you mean "
               "'group'?) (usage: rms_norm(x, weight, eps = ..., group = ...))");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  x = softcap(tok)\n  return x\n}\n",
               "t.arch:6:7: error: softcap() needs the keyword argument 'cap' (usage: softcap(x, "
               "cap = ...))");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  x = silu(tok, eps = 1)\n  return x\n}\n",
               "t.arch:6:17: error: silu() takes no keyword arguments (usage: silu(x))");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  x = softcap(tok, cap = 1, cap = 2)\n"
                       "  return x\n}\n",
               "t.arch:6:29: error: keyword argument 'cap' given twice");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  x = softcap(cap = 1, tok)\n  return x\n}\n",
               "t.arch:6:24: error: positional argument after a keyword argument");
}

static void test_weights_and_structure(void **state) {
  (void)state;
  expect_error(PRELUDE "weight w[l] = \"blk.q\" : [1]\n" GRAPH,
               "t.arch:5:10: error: index 'l' does not appear in the tensor name \"blk.q\"");
  expect_error(PRELUDE "weight w[l] = \"blk.{l}\" : [1]\ngraph decode(tok, pos) {\n"
                       "  return w\n}\n",
               "t.arch:7:10: error: weight 'w' is indexed by [l]: write w[...]");
  expect_error(PRELUDE "weight w[l] = \"blk.{l}\" : [1]\ngraph decode(tok, pos) {\n"
                       "  return w[1, 2]\n}\n",
               "t.arch:7:11: error: weight 'w' takes 1 index, got 2");
  expect_error(PRELUDE "weight w = \"q\" : [1, _ + 1]\n" GRAPH,
               "t.arch:5:22: error: '_' (any size) is only allowed as a dimension of a weight's "
               "shape");
  expect_error(PRELUDE "weight w = \"q\" : q9_0[1]\n" GRAPH,
               "t.arch:5:18: error: unknown weight encoding 'q9_0' (f32, f16, bf16, q4_0, q4_1, "
               "q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k)");
  expect_error(PRELUDE "weight w = \"q\" : [1] or 3\n" GRAPH,
               "t.arch:5:25: error: the fallback after 'or' must be another weight");
  expect_error(PRELUDE "let n_embd = 3\n" GRAPH,
               "t.arch:5:5: error: 'n_embd' is already defined at line 3");
  expect_error(PRELUDE "let sqrt = 3\n" GRAPH,
               "t.arch:5:5: error: 'sqrt' is a built-in function and cannot be redefined");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  n_layer = 2\n  return tok\n}\n",
               "t.arch:6:3: error: cannot assign to 'n_layer': it is the hparam defined at line 2");
  expect_error(PRELUDE "graph decode(tok, pos) {\n  for l in 0 .. 2 { l = 1 }\n  return tok\n}\n",
               "t.arch:6:21: error: cannot assign to the loop variable 'l'");
  expect_error(PRELUDE "graph run(tok, pos) {\n  return tok\n}\n",
               "t.arch:5:7: error: the graph must be named 'decode', not 'run'");
  expect_error(PRELUDE "graph decode(tok) {\n  return tok\n}\n",
               "t.arch:5:7: error: graph decode takes 2 parameters (the token and the position), "
               "not 1");
  expect_error(PRELUDE "meta n_vocab = 3\n" GRAPH,
               "t.arch:5:6: error: meta 'n_vocab' is set by the compiler");
  expect_error("hparam n: int = \"a\"\n",
               "t.arch:1:1: error: a description must start with 'arch NAME'");
  expect_error(PRELUDE "arch u\n", "t.arch:5:1: error: 'arch' appears twice (first at line 1)");
  expect_error(PRELUDE, "t.arch: error: the description has no 'graph decode(tok, pos) { ... }'");
  expect_error("arch t\nhparam n_layer: int = \"a\"\n" GRAPH,
               "t.arch:1:1: error: the description must define 'n_embd' (an hparam or let): the "
               "compiler records n_layer and n_embd in the module and derives n_ctx from "
               "n_ctx_train");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builtin_descriptions_check),
      cmocka_unit_test(test_valid_description),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_lexical_errors),
      cmocka_unit_test(test_unknown_names),
      cmocka_unit_test(test_wrong_arguments),
      cmocka_unit_test(test_weights_and_structure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

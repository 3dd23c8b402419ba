/* test_grammar.c — grammars compiled to token automata (grammar/) and read
 * by the runtime (runtime/src/grammar.c), over the vocabulary of
 * tests/data/models/tiny-gemma3-f32.gguf.
 *
 *  - GBNF errors: each malformed grammar gets its exact file:line:col and
 *    message; hostile inputs (random bytes, mutations of valid grammars,
 *    deep nesting, huge repetitions) never crash or hang, and blow-ups stop
 *    at the named state limits.
 *  - Semantics: strings are accepted exactly when the grammar says so (by
 *    walking their bytes through the compiled automaton), for literals,
 *    classes with UTF-8 and negation, repetitions, alternatives, special
 *    tokens and a recursive JSON grammar unrolled to its depth bound.
 *  - Masks: in every state, a token is in the mask exactly when the
 *    automaton has a path for its bytes (or its special symbol), over the
 *    whole vocabulary; end-of-generation tokens exactly in accepting states.
 *  - Tools: the FunctionGemma call grammar of examples/tools.json, and
 *    schema errors with line:col.
 *  - The blob check refuses truncated and corrupted blobs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "gqcrt.h"
#include "gqcrt_grammar.h"
#include "gqcrt_tokenizer.h"
#include "grammar/grammar.h"

static gqc_vocab_blob vocab;
static int32_t n_vocab;

static int setup(void **state) {
  (void)state;
  gguf_error ge = {0};
  gguf_file *f = gguf_open(GQC_TEST_DATA "/models/tiny-gemma3-f32.gguf", &ge);
  gqc_diag d = {0};
  if (!f || !gqc_vocab_build(f, &vocab, &d))
    return -1;
  n_vocab = gqcrt_vocab_n_tokens(vocab.data);
  gguf_close(f);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  gqc_vocab_blob_free(&vocab);
  return 0;
}

/* Compiles GBNF text; NULL with the message in d on error. */
static void *compile(const char *gbnf, const gqc_grammar_limits *lim, uint64_t *size, gqc_diag *d) {
  void *blob = NULL;
  memset(d, 0, sizeof *d);
  if (!gqc_grammar_compile(gbnf, strlen(gbnf), "g.gbnf", false, vocab.data, n_vocab, lim, &blob,
                           size, NULL, d))
    return NULL;
  assert_int_equal(gqcrt_grammar_check(blob, *size, n_vocab), GQCRT_OK);
  return blob;
}

static void expect_error(const char *gbnf, const char *msg) {
  gqc_diag d;
  uint64_t size;
  void *b = compile(gbnf, NULL, &size, &d);
  if (b || !strstr(d.msg, msg)) {
    fprintf(stderr, "grammar:\n%s\nexpected: %s\ngot: %s\n", gbnf, msg, b ? "(accepted)" : d.msg);
    fail();
  }
}

static void test_gbnf_errors(void **state) {
  (void)state;
  expect_error("root ::= \"abc\n", "g.gbnf:1:14: unterminated string literal");
  expect_error("root ::= [a-\n", "g.gbnf:1:13: unterminated character class");
  expect_error("root ::= [z-a]\n", "g.gbnf:1:14: character range out of order");
  expect_error("root ::= foo\n", "g.gbnf:1:10: undefined rule 'foo'");
  expect_error("x ::= \"a\"\n", "the grammar has no rule 'root'");
  expect_error("root ::= \"a\"\nroot ::= \"b\"\n",
               "g.gbnf:2:1: rule 'root' is defined twice (first at line 1)");
  expect_error("root = \"a\"\n", "g.gbnf:1:6: expected '::=' after the rule name");
  expect_error("root ::= (\"a\"\n", "g.gbnf:2:1: expected ')'");
  expect_error("root ::= \"a\")\n", "g.gbnf:1:13: unbalanced ')'");
  expect_error("root ::= \"a\"{3,2}\n", "g.gbnf:1:13: repetition {3,2}");
  expect_error("root ::= \"a\"{99999}\n", "repetition count too large");
  expect_error("root ::= \"\\q\"\n", "g.gbnf:1:12: unknown escape");
  expect_error("root ::= \"\\xZZ\"\n", "expected a hexadecimal digit");
  expect_error("root ::= <nope>\n", "g.gbnf:1:10: '<nope>' is not one token");
  expect_error("root ::= <[99999999]>\n", "g.gbnf:1:10: token id 99999999 is outside");
  expect_error("root ::= \"\xff\"\n", "invalid UTF-8");
  expect_error("root ::= @\n", "g.gbnf:1:10: expected a literal");
  expect_error("root ::= [^\\x00-\\U0010FFFF]\n", "character class matches nothing");
  expect_error("root ::= a\na ::= \"(\" a \")\"\n", "the grammar matches nothing");
}

/* Walks text through the automaton: -1 when it leaves it, else the state. */
static int64_t walk_text(const void *g, const char *text) {
  int64_t s = gqcrt_grammar_start(g);
  for (size_t i = 0; text[i] && s >= 0; i++) {
    char one[2] = {text[i], 0};
    s = gqcrt_grammar_next(g, (uint32_t)s, -1, one, 1);
  }
  return s;
}

static bool accepts(const void *g, const char *text) {
  int64_t s = walk_text(g, text);
  return s >= 0 && gqcrt_grammar_accepting(g, (uint32_t)s);
}

static void test_semantics(void **state) {
  (void)state;
  gqc_diag d;
  uint64_t size;
  void *g = compile("root ::= \"ab\" [0-9]{1,3} | \"x\" tail\n"
                    "tail ::= [^a-z]+ # comment\n",
                    NULL, &size, &d);
  assert_non_null(g);
  assert_true(accepts(g, "ab1"));
  assert_true(accepts(g, "ab123"));
  assert_false(accepts(g, "ab1234"));
  assert_false(accepts(g, "ab"));
  assert_true(accepts(g, "x12"));
  assert_true(accepts(g, "xÉ€"));
  assert_false(accepts(g, "xa"));
  assert_false(accepts(g, "x"));
  assert_true(walk_text(g, "ab") >= 0); /* a live prefix */
  free(g);

  /* a JSON grammar in llama.cpp's style, recursion unrolled */
  g = compile("root ::= value\n"
              "value ::= object | array | string | number | (\"true\" | \"false\" | \"null\")\n"
              "object ::=\n"
              "  \"{\" (\n"
              "    string \":\" value\n"
              "    (\",\" string \":\" value)*\n"
              "  )? \"}\"\n"
              "array ::= \"[\" (value (\",\" value)*)? \"]\"\n"
              "string ::= \"\\\"\" ([^\"\\\\\\x00-\\x1F] | \"\\\\\" [\"\\\\/bfnrt])* \"\\\"\"\n"
              "number ::= \"-\"? ([0-9] | [1-9] [0-9]*) (\".\" [0-9]+)?\n",
              NULL, &size, &d);
  if (!g)
    fprintf(stderr, "%s\n", d.msg);
  assert_non_null(g);
  assert_true(accepts(g, "{\"a\":[1,2.5,{\"b\":null}],\"c\":\"x\\\"y\"}"));
  assert_true(accepts(g, "[[[[1]]]]"));
  assert_false(accepts(g, "[[[[[[[[1]]]]]]]]")); /* deeper than the bound */
  assert_false(accepts(g, "{\"a\":}"));
  assert_false(accepts(g, "01"));
  free(g);
}

/* Masks agree with the transitions, for every state and token. */
static void check_masks(const void *g) {
  const gqcrt_grammar_header *h = g;
  int32_t *ids = malloc((size_t)n_vocab * sizeof *ids);
  float *logits = malloc((size_t)n_vocab * sizeof *logits);
  for (uint32_t s = 0; s < h->n_states; s++) {
    const uint32_t n = gqcrt_grammar_allowed(g, s, ids, (uint32_t)n_vocab);
    assert_int_equal(n, gqcrt_grammar_n_allowed(g, s));
    assert_true(n >= 1); /* every state is live */
    for (int32_t t = 0; t < n_vocab; t++)
      logits[t] = 1.0f;
    gqcrt_grammar_apply(g, s, logits, n_vocab);
    uint32_t k = 0;
    for (int32_t t = 0; t < n_vocab; t++) {
      const int allowed = gqcrt_grammar_allows(g, s, t);
      assert_int_equal(allowed, logits[t] == 1.0f);
      if (allowed)
        assert_int_equal(ids[k++], t);
      int32_t len = 0;
      const char *piece = gqcrt_token_piece(vocab.data, t, 0, &len);
      const int64_t next = gqcrt_grammar_next(g, s, t, piece, len);
      if (gqcrt_vocab_is_eog(vocab.data, t))
        assert_int_equal(allowed, gqcrt_grammar_accepting(g, s));
      else
        assert_int_equal(allowed, next >= 0);
    }
    assert_int_equal(k, n);
  }
  free(ids);
  free(logits);
}

static void test_masks(void **state) {
  (void)state;
  gqc_diag d;
  uint64_t size;
  /* two tokens that do not end generation, as the grammar's specials */
  int32_t sp[2], n_sp = 0;
  for (int32_t t = 1; t < n_vocab && n_sp < 2; t++)
    if (!gqcrt_vocab_is_eog(vocab.data, t))
      sp[n_sp++] = t;
  char text[256];
  snprintf(text, sizeof text,
           "root ::= <[%d]> \"call:\" (\"get\" | \"set\") \"{\" [a-z ]{0,6} \"}\" <[%d]>?\n", sp[0],
           sp[1]);
  void *g = compile(text, NULL, &size, &d);
  if (!g)
    fprintf(stderr, "%s\n", d.msg);
  assert_non_null(g);
  const gqcrt_grammar_header *h = g;
  assert_int_equal(h->n_special, 2);
  /* the grammar starts with one special token: the lazy trigger */
  assert_int_equal(h->trigger, sp[0]);
  /* <unk> by its text is one token */
  free(g);
  g = compile("root ::= <unk> \"x\"\n", NULL, &size, &d);
  assert_non_null(g);
  assert_int_equal(((const gqcrt_grammar_header *)g)->trigger, 0);
  check_masks(g);
  free(g);
  g = compile(text, NULL, &size, &d);
  check_masks(g);
  free(g);
}

static void test_limits(void **state) {
  (void)state;
  gqc_diag d;
  uint64_t size;
  gqc_grammar_limits small = {2000, 1 << 16, 4};
  void *g = compile("root ::= [a-z]{0,4000}\n", &small, &size, &d);
  assert_null(g);
  assert_non_null(strstr(d.msg, "grammar too large: its NFA exceeds 2000 states"));
  gqc_grammar_limits dfa = {1 << 20, 300, 4};
  /* (a|b)*a(a|b){10}: the classic exponential DFA */
  g = compile("root ::= [ab]* \"a\" [ab]{10}\n", &dfa, &size, &d);
  assert_null(g);
  assert_non_null(strstr(d.msg, "grammar too large: its DFA exceeds 300 states"));
  /* exponential expansion of non-recursive rules stops at the limit */
  g = compile("root ::= a a a a\na ::= b b b b\nb ::= c c c c\nc ::= d d d d\n"
              "d ::= e e e e\ne ::= f f f f\nf ::= g g g g\ng ::= h h h h\nh ::= \"xy\" | \"z\"\n",
              NULL, &size, &d);
  assert_null(g);
  assert_non_null(strstr(d.msg, "grammar too large"));
}

/* Random and mutated grammars: any outcome but a crash or a hang. */
static void test_hostile(void **state) {
  (void)state;
  static const char *const seeds[] = {
      "root ::= \"a\" [b-d]* (x | \"y\"){2,3}\nx ::= <start_of_turn> | \"\\u00e9\"\n",
      "root ::= ((((\"a\")*)*)*)* | [^\\n]+ .\n", "root ::= r\nr ::= \"(\" r \")\" | \"\"\n"};
  uint64_t rng = 12345;
  char buf[512];
  gqc_grammar_limits lim = {20000, 2000, 3};
  for (int iter = 0; iter < 3000; iter++) {
    const char *s = seeds[iter % 3];
    size_t n = strlen(s);
    memcpy(buf, s, n + 1);
    for (int k = 0; k < 1 + iter % 6; k++) {
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      const size_t at = (size_t)(rng % n);
      buf[at] =
          iter % 4 == 0 ? (char)(rng >> 24) : "()[]{}*+?|\"\\<>.^-,0123 \nab"[(rng >> 20) % 26];
    }
    gqc_diag d;
    uint64_t size;
    void *g = compile(buf, &lim, &size, &d);
    assert_true(g != NULL || d.failed);
    free(g);
  }
  /* deep nesting is refused, not recursed into */
  char deep[400];
  memset(deep, 0, sizeof deep);
  strcpy(deep, "root ::= ");
  for (int i = 0; i < 100; i++)
    strcat(deep, "(");
  expect_error(deep, "parentheses nested too deeply");
  char *stars = malloc(200020);
  strcpy(stars, "root ::= \"a\"");
  memset(stars + 12, '?', 200000);
  strcpy(stars + 200012, "\n");
  gqc_diag d;
  uint64_t size;
  void *g = compile(stars, NULL, &size, &d);
  assert_null(g);
  assert_non_null(strstr(d.msg, "nested more than"));
  free(stars);
}

static void test_tools(void **state) {
  (void)state;
  FILE *f = fopen(GQC_TEST_DATA "/../../samples/functiongemma/examples/tools.json", "rb");
  assert_non_null(f);
  char text[8192];
  size_t n = fread(text, 1, sizeof text, f);
  fclose(f);
  gqc_diag d = {0};
  char *gbnf = gqc_tools_to_gbnf(text, n, "tools.json", &d);
  assert_non_null(gbnf);
  assert_non_null(strstr(gbnf, "root ::= <start_function_call> \"call:\" ("));
  assert_non_null(strstr(gbnf, "\"location\" \":\" <escape> [^<\\x00-\\x1F\\x7F]{0,24} <escape>"));
  assert_non_null(strstr(gbnf, "<escape> (\"celsius\" | \"fahrenheit\") <escape>"));
  /* required hour and minute, optional label before them in name order */
  assert_non_null(strstr(gbnf, "\"set_alarm\" \"{\" (("));
  free(gbnf);
  static const struct {
    const char *json, *msg;
  } bad[] = {
      {"[{\"type\": \"function\", \"function\": {\"name\": \"f g\"}}]",
       "tools.json:1:44: function name 'f g'"},
      {"[{\"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\",\n"
       "  \"properties\": {\"a\": {\"type\": \"string\"}}, \"required\": [\"b\"]}}}]",
       "tools.json:2:57: required property 'b' is not among the properties"},
      {"[{\"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\",\n"
       "  \"properties\": {\"a:b\": {\"type\": \"string\"}}}}}]",
       "tools.json:2:25: property name 'a:b' cannot be written"},
      {"[{\"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\",\n"
       "  \"properties\": {\"a\": {\"type\": \"string\", \"maxLength\": -1}}}}}]",
       "tools.json:2:55: 'maxLength' must be an integer"},
      {"[{\"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\",\n"
       "  \"properties\": {\"a\": {\"type\": \"integer\", \"enum\": [1]}}}}}]",
       "'enum' is supported on strings only"},
      {"[]", "tools.json:1:1: no tools are declared"},
      {"{\"x\": 1}", "tools.json:1:1: the tools file must hold"},
      {"[1,]", "tools.json:1:4: trailing comma"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    memset(&d, 0, sizeof d);
    gbnf = gqc_tools_to_gbnf(bad[k].json, strlen(bad[k].json), "tools.json", &d);
    if (gbnf || !strstr(d.msg, bad[k].msg)) {
      fprintf(stderr, "expected: %s\ngot: %s\n", bad[k].msg, gbnf ? gbnf : d.msg);
      fail();
    }
  }
}

static void test_blob_check(void **state) {
  (void)state;
  gqc_diag d;
  uint64_t size;
  uint32_t *g = compile("root ::= \"ab\" [0-9]{1,3} <unk>\n", NULL, &size, &d);
  assert_non_null(g);
  for (uint64_t cut = 0; cut < size; cut += 4)
    assert_int_equal(gqcrt_grammar_check(g, cut, n_vocab), GQCRT_ERR_BAD_BLOB);
  assert_int_equal(gqcrt_grammar_check(g, size, n_vocab + 1), GQCRT_ERR_BAD_BLOB);
  /* every word mutated: refused, or still safe to use */
  for (uint64_t w = 0; w < size / 4; w++) {
    const uint32_t keep = g[w];
    g[w] ^= 0x80000001u;
    if (gqcrt_grammar_check(g, size, n_vocab) == GQCRT_OK) {
      float logits[8];
      (void)logits;
      const gqcrt_grammar_header *h = (const gqcrt_grammar_header *)g;
      for (uint32_t s = 0; s < h->n_states; s++)
        (void)gqcrt_grammar_next(g, s, 5, "ab1", 3);
    }
    g[w] = keep;
  }
  assert_int_equal(gqcrt_grammar_check(g, size, n_vocab), GQCRT_OK);
  free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gbnf_errors), cmocka_unit_test(test_semantics),
      cmocka_unit_test(test_masks),       cmocka_unit_test(test_limits),
      cmocka_unit_test(test_hostile),     cmocka_unit_test(test_tools),
      cmocka_unit_test(test_blob_check),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* make_test_vocab.c — a FunctionGemma-shaped vocabulary for the sample's tests.
 *
 *   fg-test-vocab SOURCE.gguf OUT.gguf
 *
 * The real FunctionGemma GGUF is ~290 MB, and the model generator's own
 * vocabularies (gqc gen-model) have none of its control tokens. This tool
 * writes a vocabulary-only GGUF laid out like FunctionGemma's (gemma3 SPM:
 * tokenizer model "llama", no space prefix, <pad> 0, <eos> 1, <bos> 2,
 * <unk> 3) with the function-calling control tokens and the turn tokens at
 * the ids the real model uses:
 *
 *   46 <start_function_declaration>  47 <end_function_declaration>
 *   48 <start_function_call>         49 <end_function_call>
 *   50 <start_function_response>     51 <end_function_response>
 *   52 <escape>                      105 <start_of_turn>   106 <end_of_turn>
 *
 * (all CONTROL, like gemma's other special tokens; ids 4..104 not listed are
 * <unusedN> placeholders). From id 107 on come SOURCE's byte tokens and word
 * pieces (its own special tokens dropped), so ordinary text tokenizes as
 * with SOURCE, e.g. tests/data/models/tiny-gemma3-f32.gguf. The result is
 * the same size as SOURCE's vocabulary. Feed it to
 * `gqc gen-model --arch gemma3 --vocab-from OUT.gguf ...` to get a
 * random-weight FunctionGemma-like model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"

enum { TOK_NORMAL = 1, TOK_UNKNOWN = 2, TOK_CONTROL = 3, TOK_UNUSED = 5, TOK_BYTE = 6 };
enum { N_RESERVED = 107 }; /* ids 0..106 are gemma specials */

static const struct {
  int id;
  const char *text;
  int type;
} fixed[] = {
    {0, "<pad>", TOK_CONTROL},
    {1, "<eos>", TOK_CONTROL},
    {2, "<bos>", TOK_CONTROL},
    {3, "<unk>", TOK_UNKNOWN},
    {4, "<mask>", TOK_CONTROL},
    {46, "<start_function_declaration>", TOK_CONTROL},
    {47, "<end_function_declaration>", TOK_CONTROL},
    {48, "<start_function_call>", TOK_CONTROL},
    {49, "<end_function_call>", TOK_CONTROL},
    {50, "<start_function_response>", TOK_CONTROL},
    {51, "<end_function_response>", TOK_CONTROL},
    {52, "<escape>", TOK_CONTROL},
    {105, "<start_of_turn>", TOK_CONTROL},
    {106, "<end_of_turn>", TOK_CONTROL},
};

static int fail(const char *msg, const char *detail) {
  fprintf(stderr, "fg-test-vocab: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fputs("usage: fg-test-vocab SOURCE.gguf OUT.gguf\n", stderr);
    return 2;
  }
  gguf_error gerr;
  gguf_file *src = gguf_open(argv[1], &gerr);
  if (!src)
    return fail("cannot open the source vocabulary", gerr.msg);
  const gguf_kv *toks = gguf_find_kv(src, "tokenizer.ggml.tokens");
  const gguf_kv *scores = gguf_find_kv(src, "tokenizer.ggml.scores");
  const gguf_kv *types = gguf_find_kv(src, "tokenizer.ggml.token_type");
  if (!toks || toks->value.type != GGUF_ARRAY || toks->value.v.arr.elem_type != GGUF_STRING ||
      !types || types->value.type != GGUF_ARRAY ||
      types->value.v.arr.count != toks->value.v.arr.count ||
      (scores && (scores->value.type != GGUF_ARRAY ||
                  scores->value.v.arr.count != toks->value.v.arr.count))) {
    gguf_close(src);
    return fail("the source has no consistent tokenizer.ggml.tokens/token_type/scores", argv[1]);
  }
  uint64_t n = toks->value.v.arr.count;
  if (n < N_RESERVED + 256 || n > (1u << 20)) {
    gguf_close(src);
    return fail("the source vocabulary must have between 363 and 2^20 tokens", argv[1]);
  }
  gguf_str *text = calloc(n, sizeof *text);
  char(*names)[24] = calloc(n, sizeof *names); /* generated token texts */
  float *score = calloc(n, sizeof *score);
  int32_t *type = calloc(n, sizeof *type);
  int rc = 1;
  if (!text || !names || !score || !type) {
    fail("out of memory", NULL);
    goto done;
  }
  for (int i = 0; i < N_RESERVED; i++) {
    snprintf(names[i], sizeof names[i], "<unused%d>", i);
    text[i].ptr = names[i];
    text[i].len = strlen(names[i]);
    type[i] = TOK_CONTROL;
  }
  for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
    text[fixed[k].id].ptr = fixed[k].text;
    text[fixed[k].id].len = strlen(fixed[k].text);
    type[fixed[k].id] = fixed[k].type;
  }
  uint64_t out = N_RESERVED;
  for (uint64_t i = 0; i < n && out < n; i++) {
    int64_t t = gguf_arr_i64(&types->value, i);
    if (t == TOK_CONTROL || t == TOK_UNKNOWN || t == TOK_UNUSED)
      continue; /* the source's own specials */
    text[out] = gguf_arr_str(&toks->value, i);
    score[out] = scores ? (float)gguf_arr_f64(&scores->value, i) : 0.0f;
    type[out] = (int32_t)t;
    out++;
  }
  for (; out < n; out++) { /* the source had more specials than we reserve */
    snprintf(names[out], sizeof names[out], "[PAD%u]", (unsigned)out);
    text[out].ptr = names[out];
    text[out].len = strlen(names[out]);
    type[out] = TOK_UNUSED;
  }

  char err[256];
  gguf_writer *w = gguf_writer_open_file(argv[2], err, sizeof err);
  if (!w) {
    fail("cannot write the output", err);
    goto done;
  }
  gguf_writer_add_str(w, "general.architecture", "gemma3");
  gguf_writer_add_str(w, "general.name", "functiongemma-test-vocab");
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str(w, "tokenizer.ggml.pre", "default");
  gguf_writer_add_gguf_str_array(w, "tokenizer.ggml.tokens", text, n);
  gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_F32, score, n);
  gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_I32, type, n);
  gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 2);
  gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 1);
  gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", 3);
  gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", 0);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", false);
  if (gguf_writer_finish(w))
    rc = 0;
  else
    fprintf(stderr, "fg-test-vocab: %s: %s\n", argv[2], gguf_writer_error(w));
  gguf_writer_free(w);
done:
  gguf_close(src); /* text[] points into its mapping until here */
  free(text);
  free(names);
  free(score);
  free(type);
  return rc;
}

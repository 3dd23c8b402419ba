/* fuzz_grammar.c — libFuzzer target for the grammar compiler (grammar/:
 * GBNF parser, tools-to-grammar, the automata) and the runtime's grammar
 * blob reader (runtime/src/grammar.c).
 *
 * The first input byte picks the input's kind: bit 0 clear, the rest is a
 * GBNF grammar; set, a tools JSON file. It is compiled against the
 * vocabulary of tests/data/models/tiny-gemma3-f32.gguf with small limits
 * (so a blow-up ends quickly at a named error). It must either fail with a
 * message or give a blob that gqcrt_grammar_check accepts and whose every
 * state allows at least one token, with the mask and the transitions in
 * agreement for every token text of a sample of the vocabulary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "gqcrt.h"
#include "gqcrt_grammar.h"
#include "gqcrt_tokenizer.h"
#include "grammar/grammar.h"

#define FUZZ_TARGET "fuzz_grammar"
#include "fuzz_check.h"
#include "test_models.h"

static gqc_vocab_blob vocab;
static int32_t n_vocab;

static void init(void) {
  RUN_ONCE();
  gguf_file *f = open_test_model(FUZZ_TARGET, "tiny-gemma3-f32.gguf");
  gqc_diag d = {0};
  if (!gqc_vocab_build(f, &vocab, &d)) {
    fprintf(stderr, "fuzz_grammar: cannot build the vocabulary\n");
    abort();
  }
  gguf_close(f);
  n_vocab = gqcrt_vocab_n_tokens(vocab.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init();
  if (size < 1)
    return 0;
  const gqc_grammar_limits lim = {50000, 4000, 3};
  void *blob = NULL;
  uint64_t bytes = 0;
  gqc_diag d = {0};
  if (!gqc_grammar_compile((const char *)data + 1, size - 1, "fuzz", data[0] & 1, vocab.data,
                           n_vocab, &lim, &blob, &bytes, NULL, &d)) {
    CHECK(d.failed && d.msg[0]);
    return 0;
  }
  CHECK(gqcrt_grammar_check(blob, bytes, n_vocab) == GQCRT_OK);
  const gqcrt_grammar_header *h = blob;
  for (uint32_t s = 0; s < h->n_states; s++) {
    CHECK(gqcrt_grammar_n_allowed(blob, s) > 0);
    for (int32_t t = 0; t < n_vocab; t += 7) {
      int32_t len = 0;
      const char *piece = gqcrt_token_piece(vocab.data, t, 0, &len);
      if (gqcrt_vocab_is_eog(vocab.data, t))
        continue;
      CHECK(gqcrt_grammar_allows(blob, s, t) == (gqcrt_grammar_next(blob, s, t, piece, len) >= 0));
    }
  }
  free(blob);
  return 0;
}

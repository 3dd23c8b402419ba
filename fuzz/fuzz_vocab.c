/* fuzz_vocab.c — libFuzzer target for the vocabulary compiler
 * (frontend/vocab_build.c) on hostile GGUF metadata, and for the runtime
 * tokenizer on whatever vocabulary it then produces.
 *
 * The input is a GGUF file (the seeds are tokenizer-only files). If the
 * reader accepts it, gqc_vocab_build must either report one error or build
 * a blob that passes gqcrt_vocab_check — the compiler never emits a
 * vocabulary the runtime's own guard refuses — and the blob must then
 * tokenize a few fixed texts and answer every per-token query without a
 * fault. Set GQC_FUZZ_VERBOSE=1 to print the builder's messages.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "gqcrt.h"
#include "gqcrt_tokenizer.h"

#define FUZZ_TARGET "fuzz_vocab"
#include "fuzz_check.h"

static volatile uint64_t sink;

static void tokenize_texts(const void *blob) {
  static const char *const texts[] = {
      "Once upon a time, there was a little girl named Lily.",
      " \n\n  runs   of\tspace 12345 3.14 <s></s><unk><|endoftext|><|im_start|>user",
      "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xd0\xbf\xd1\x80\xd0\xb8",
      "",
  };
  int32_t n_tokens = gqcrt_vocab_n_tokens(blob);
  for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
    size_t len = strlen(texts[t]);
    size_t scratch_size = gqcrt_tokenize_scratch_bytes(blob, len);
    CHECK(scratch_size < (size_t)1 << 24);
    int32_t max_ids = 2 * (int32_t)len + 3; /* a byte each, space prefixes, BOS, EOS */
    int32_t *ids = malloc((size_t)max_ids * sizeof *ids);
    void *scratch = malloc(scratch_size ? scratch_size : 1);
    CHECK(ids && scratch);
    for (int special = 0; special < 2; special++) {
      int32_t r = gqcrt_tokenize(blob, texts[t], len, special, special, ids, max_ids, scratch,
                                 scratch_size);
      if (r < 0 || r > max_ids)
        fprintf(stderr, "fuzz_vocab: text %zu special %d: %d\n", t, special, (int)r);
      CHECK(r >= 0 && r <= max_ids);
      for (int32_t i = 0; i < r; i++)
        CHECK(ids[i] >= 0 && ids[i] < n_tokens);
    }
    free(ids);
    free(scratch);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int verbose = -1;
  if (verbose < 0)
    verbose = getenv("GQC_FUZZ_VERBOSE") != NULL;
  if (size > 256 * 1024)
    return 0;
  gguf_error err;
  gguf_file *f = gguf_open_memory(data, size, "fuzz.gguf", &err);
  if (!f) {
    if (verbose)
      fprintf(stderr, "fuzz_vocab: %s\n", err.msg);
    return 0;
  }
  gqc_vocab_blob b = {0};
  gqc_diag d = {0};
  if (!gqc_vocab_build(f, &b, &d)) {
    if (verbose)
      fprintf(stderr, "fuzz_vocab: %s\n", d.msg);
    CHECK(d.failed && d.msg[0] && memchr(d.msg, 0, sizeof d.msg));
    CHECK(is_one_printable_line(d.msg));
    CHECK(b.data == NULL);
    gguf_close(f);
    return 0;
  }
  if (verbose)
    fprintf(stderr, "fuzz_vocab: built a %zu-byte blob\n", b.size);
  if (gqcrt_vocab_check(b.data, b.size) != GQCRT_OK) {
    fprintf(stderr, "fuzz_vocab: the builder made a blob gqcrt_vocab_check refuses\n");
    abort();
  }
  int32_t n_tokens = gqcrt_vocab_n_tokens(b.data);
  CHECK(n_tokens > 0);
  for (int32_t id = -1; id <= n_tokens; id++) {
    int32_t len = -1;
    const char *piece = gqcrt_token_piece(b.data, id, 1, &len);
    const char *text = gqcrt_token_text(b.data, id);
    if (id < 0 || id == n_tokens) {
      CHECK(!piece && !text);
      continue;
    }
    CHECK(piece && text && len >= 0 && piece[len] == 0);
    sink += strlen(text) + (uint32_t)gqcrt_vocab_is_eog(b.data, id);
  }
  tokenize_texts(b.data);
  gqc_vocab_blob_free(&b);
  gguf_close(f);
  return 0;
}

/* llama_logits.c — llama.cpp's logits for a list of token ids, the reference
 * scripts/difftest.sh compares random models with.
 *
 * Loads MODEL with llama.cpp (CPU), feeds the ids one per llama_decode call
 * (teacher forcing, as samples/generate.c --ids does) and writes each step's
 * logits as raw float32 rows, the format of generate --logits and of the
 * reference files in tests/data/reference. The KV cache is f32 and flash
 * attention off, so attention runs in f32 as in gqc (default --kv-type).
 *
 * Not part of the CMake build: llama.cpp is not a dependency of gqc.
 * difftest.sh --llama BUILD compiles it against a llama.cpp build tree (its
 * static libraries) and the llama.cpp sources beside it (the headers).
 *
 *   usage: llama_logits MODEL.gguf IDS_FILE OUT.f32 [THREADS]
 */
#include "llama.h"

#include <stdio.h>
#include <stdlib.h>

static void quiet(enum ggml_log_level level, const char *text, void *user) {
  (void)user;
  if (level == GGML_LOG_LEVEL_ERROR)
    fputs(text, stderr);
}

/* Reads whitespace-separated ids; returns how many (0 on error). */
static int read_ids(const char *path, llama_token **ids) {
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  int n = 0, cap = 0;
  long v;
  *ids = NULL;
  while (fscanf(f, "%ld", &v) == 1) {
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      llama_token *grown = realloc(*ids, (size_t)cap * sizeof **ids);
      if (!grown) {
        n = 0;
        break;
      }
      *ids = grown;
    }
    (*ids)[n++] = (llama_token)v;
  }
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: llama_logits MODEL.gguf IDS_FILE OUT.f32 [THREADS]\n");
    return 2;
  }
  llama_token *ids;
  int n_ids = read_ids(argv[2], &ids);
  if (n_ids == 0) {
    fprintf(stderr, "llama_logits: %s: no token ids\n", argv[2]);
    return 1;
  }
  llama_log_set(quiet, NULL);
  llama_backend_init();
  struct llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  struct llama_model *model = llama_model_load_from_file(argv[1], mp);
  if (!model) {
    fprintf(stderr, "llama_logits: %s: llama.cpp cannot load it\n", argv[1]);
    return 1;
  }
  int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  struct llama_context_params cp = llama_context_default_params();
  cp.n_ctx = (uint32_t)n_ids;
  cp.n_batch = cp.n_ubatch = 1;
  cp.n_threads = cp.n_threads_batch = argc == 5 ? atoi(argv[4]) : 1;
  cp.no_perf = true;
  /* gqc's default KV cache is f32 (llama.cpp's default is f16), and its
   * attention works in f32: llama.cpp's flash attention on the CPU rounds
   * Q and K to f16 (7.7e-4 of the spread on an f32 model, 6.4e-5 without) */
  cp.type_k = cp.type_v = GGML_TYPE_F32;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  struct llama_context *ctx = llama_init_from_model(model, cp);
  FILE *out = ctx ? fopen(argv[3], "wb") : NULL;
  int rc = 0;
  if (!out) {
    fprintf(stderr, "llama_logits: cannot make a context or write %s\n", argv[3]);
    rc = 1;
  }
  for (int i = 0; !rc && i < n_ids; i++) {
    if (ids[i] < 0 || ids[i] >= n_vocab || llama_decode(ctx, llama_batch_get_one(&ids[i], 1))) {
      fprintf(stderr, "llama_logits: decoding id %d (step %d) failed\n", (int)ids[i], i);
      rc = 1;
    } else if (fwrite(llama_get_logits_ith(ctx, -1), sizeof(float), (size_t)n_vocab, out) !=
               (size_t)n_vocab) {
      fprintf(stderr, "llama_logits: writing %s failed\n", argv[3]);
      rc = 1;
    }
  }
  if (out && fclose(out) != 0)
    rc = 1;
  if (ctx)
    llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  free(ids);
  return rc;
}

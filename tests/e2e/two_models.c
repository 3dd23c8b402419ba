/* two_models.c — two gqc-compiled models linked into one program.
 *
 * Built by two_models.sh with story.o (--name story) and llama.o (--name
 * llama): if the objects exported anything but their API (weights, arena,
 * step function, ...), the link would fail or the models would share state.
 * Decodes both models' reference ids interleaved step by step, writing each
 * model's logits to its own file for comparison with llama.cpp's, and checks
 * that each model tokenizes the reference prompt into the reference ids.
 *
 *   two_models PROMPT STORY.ids STORY_OUT.f32 LLAMA.ids LLAMA_OUT.f32
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"
#include "story.h"

typedef struct model {
  const char *name;
  int (*init)(void);
  const float *(*decode)(int32_t token, int32_t pos);
  int (*n_vocab)(void);
  int (*n_ctx)(void);
  int (*last_error)(void);
  int (*tokenize)(const char *text, int32_t *ids, int max_ids);
  const char *(*token_text)(int32_t id);
  int32_t ids[4096];
  int n_ids;
  FILE *out;
} model;

static model models[2] = {
    {"story",
     story_init,
     story_decode,
     story_n_vocab,
     story_n_ctx,
     story_last_error,
     story_tokenize,
     story_token_text,
     {0},
     0,
     NULL},
    {"llama",
     llama_init,
     llama_decode,
     llama_n_vocab,
     llama_n_ctx,
     llama_last_error,
     llama_tokenize,
     llama_token_text,
     {0},
     0,
     NULL},
};

static int read_ids(model *m, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  long v;
  while (m->n_ids < 4096 && fscanf(f, "%ld", &v) == 1)
    m->ids[m->n_ids++] = (int32_t)v;
  fclose(f);
  return m->n_ids > 0 && m->n_ids <= m->n_ctx() ? 0 : -1;
}

/* The prompt's ids must be a prefix of the reference ids (prompt + greedy
 * continuation). */
static int check_tokenize(model *m, const char *prompt) {
  int32_t ids[512];
  int n = m->tokenize(prompt, ids, 512);
  if (n <= 0 || n > m->n_ids) {
    fprintf(stderr, "%s: tokenize returned %d (error %d)\n", m->name, n, m->last_error());
    return -1;
  }
  for (int i = 0; i < n; i++)
    if (ids[i] != m->ids[i] || !m->token_text(ids[i])) {
      fprintf(stderr, "%s: token %d of the prompt is %d, reference %d\n", m->name, i, ids[i],
              m->ids[i]);
      return -1;
    }
  printf("%s: the prompt tokenizes into the %d reference ids\n", m->name, n);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fputs("usage: two_models PROMPT STORY.ids STORY_OUT.f32 LLAMA.ids LLAMA_OUT.f32\n", stderr);
    return 2;
  }
  for (int k = 0; k < 2; k++) {
    model *m = &models[k];
    if (m->init() != 0 || read_ids(m, argv[2 + 2 * k]) != 0 || check_tokenize(m, argv[1]) != 0 ||
        !(m->out = fopen(argv[3 + 2 * k], "wb"))) {
      fprintf(stderr, "%s: setup failed\n", m->name);
      return 1;
    }
  }
  int steps = models[0].n_ids > models[1].n_ids ? models[0].n_ids : models[1].n_ids;
  for (int pos = 0; pos < steps; pos++)
    for (int k = 0; k < 2; k++) {
      model *m = &models[k];
      if (pos >= m->n_ids)
        continue;
      const float *logits = m->decode(m->ids[pos], pos);
      if (!logits) {
        fprintf(stderr, "%s: decode at %d failed (error %d)\n", m->name, pos, m->last_error());
        return 1;
      }
      size_t n = (size_t)m->n_vocab();
      if (fwrite(logits, sizeof *logits, n, m->out) != n)
        return 1;
    }
  for (int k = 0; k < 2; k++)
    if (fclose(models[k].out) != 0)
      return 1;
  return 0;
}

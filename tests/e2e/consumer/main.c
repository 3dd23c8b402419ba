/* main.c — the consumer project's program: greedy continuation of a prompt
 * with a model that gqc_add_model compiled (its header story.h). */
#include <stdio.h>

#include "gqcrt.h"
#include "story.h"

int main(int argc, char **argv) {
  const char *prompt = argc > 1 ? argv[1] : "Once upon a time";
  int rc = story_init();
  if (rc != GQCRT_OK) {
    fprintf(stderr, "story_init: error %d\n", rc);
    return 1;
  }
  int32_t ids[STORY_N_CTX];
  int n = story_tokenize(prompt, ids, STORY_N_CTX);
  if (n <= 0) {
    fprintf(stderr, "story_tokenize: error %d\n", n);
    return 1;
  }
  const float *logits = NULL;
  for (int i = 0; i < n; i++)
    logits = story_decode(ids[i], i);
  fputs(prompt, stdout);
  for (int pos = n; pos < n + 24 && logits; pos++) {
    int32_t next = gqcrt_argmax(logits, STORY_N_VOCAB);
    if (story_is_eog(next))
      break;
    fputs(story_token_text(next), stdout);
    logits = story_decode(next, pos);
  }
  putchar('\n');
  return logits ? 0 : 1;
}

/* cpu_check.c — model_init on the running CPU: prints "init: ok" and one
 * decoded token, or "init: GQCRT_ERR_CPU" (exit 3) when the CPU lacks a
 * feature the model was compiled for (tests/e2e/cpu_check.sh). */
#include <stdio.h>

#include "gqcrt.h"
#include "model.h"

int main(void) {
  int rc = model_init();
  if (rc == GQCRT_ERR_CPU) {
    printf("init: GQCRT_ERR_CPU (compiled for %s %s: %s)\n", MODEL_TARGET, MODEL_CPU,
           MODEL_FEATURES);
    return 3;
  }
  if (rc != GQCRT_OK) {
    printf("init: error %d\n", rc);
    return 1;
  }
  const float *logits = model_decode(model_bos() >= 0 ? model_bos() : 0, 0);
  printf("init: ok, first token %d\n", logits ? (int)gqcrt_argmax(logits, MODEL_N_VOCAB) : -1);
  return logits ? 0 : 1;
}

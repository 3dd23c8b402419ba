/* grammar_step.c — the cost of a grammar-constrained decode step against a
 * free one, for instruction counts under qemu (scripts/qemu-insncount.sh).
 *
 *   grammar-step free|constrained|full STEPS
 *
 * Linked with a model compiled with --tools (or --grammar). After a short
 * prompt, runs STEPS decode steps: `free` with model_decode (no grammar),
 * `constrained` with the grammar (model_decode_constrained: the lm_head on
 * the allowed rows only when few are allowed), `full` with the grammar but
 * the mask applied to the full step's logits (model_decode +
 * model_grammar_apply). The per-step cost is the difference between runs
 * with STEPS and 0, divided by STEPS. Prints the tokens and, per step, how
 * many tokens the grammar allowed. Build and count (docs/grammars.md has
 * the figures):
 *
 *   gqc fg.gguf --tools samples/functiongemma/examples/twelve_tools.json \
 *       --target aarch64-linux-gnu -o fg.o --ctx 256
 *   aarch64-linux-gnu-gcc -O2 -std=c11 -DMODEL_HEADER='"fg.h"' -I. -Iruntime/include \
 *       benchmarks/grammar_step.c fg.o build/aarch64/runtime/libgqcrt.a -lm -static -o gs
 *   scripts/qemu-insncount.sh PLUGIN ./gs constrained 12   (and 0; free, full)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"
#include MODEL_HEADER

static int32_t ids[64];

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  const char *mode = argv[1];
  const int steps = atoi(argv[2]);
  if (model_init() != 0)
    return 1;
  int n = model_tokenize("<start_of_turn>user\nWake me at seven<end_of_turn>\n"
                         "<start_of_turn>model\n",
                         ids, 64);
  const float *logits = n > 0 ? model_prefill(ids, n, 0) : NULL;
  if (!logits)
    return 1;
  const int grammar = strcmp(mode, "free") != 0;
  if (grammar && (model_grammar_start(0) || model_grammar_apply((float *)(uintptr_t)logits)))
    return 1;
  int pos = n;
  for (int k = 0; k < steps; k++) {
    const int32_t tok = gqcrt_argmax(logits, MODEL_N_VOCAB);
    int allowed = 0;
    for (int32_t i = 0; i < MODEL_N_VOCAB; i++)
      allowed += logits[i] != -__builtin_inff();
    printf("step %d: token %d (%d allowed)\n", k, tok, allowed);
    if (grammar && model_grammar_accept(tok) != 0)
      break;
    if (!strcmp(mode, "constrained"))
      logits = model_decode_constrained(tok, pos++);
    else if (!strcmp(mode, "full")) {
      logits = model_decode(tok, pos++);
      if (logits)
        model_grammar_apply((float *)(uintptr_t)logits);
    } else
      logits = model_decode(tok, pos++);
    if (!logits)
      return 1;
  }
  return 0;
}

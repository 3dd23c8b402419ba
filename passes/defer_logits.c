/* defer_logits.c — in @prefill, the work only the logits need goes last.
 *
 * <name>_prefill feeds a long prompt in steps of at most B tokens and returns
 * the logits of its last token, so every step but the final one is run for
 * its side effect alone: the k and v rows it stores in the KV cache, and the
 * inputs a causal convolution keeps in its state. What a step computes after
 * its last layer's attention — after hoist-last-row, the last layer's output
 * projection and feed-forward network on one row, the final norm, and the
 * lm_head (for FunctionGemma a 262144 x 640 GEMV, more than a whole layer of
 * a 32-token step) — feeds no state, only the result.
 *
 * This pass moves every instruction of a row-batched function that no state
 * write needs (ir_mark_state_inputs: the KV cache and convolution state
 * writes and everything they read) to the end of the body, keeping their
 * order, so the function is a state part followed by a result part; codegen
 * (calls.h: n_state_calls) lets a step stop after the state part when it is
 * not the prompt's final step. The moved instructions only read values
 * defined before them, so the body stays in dominance order, and
 * plan-memory, which runs after this pass, plans the lifetimes of the order
 * codegen emits.
 * @decode always returns logits and is left as it is.
 */
#include "passes/passes.h"

#include <stdlib.h>

static bool defer_in(ir_func *f, const gqc_pass_context *ctx) {
  const int n = ir_func_length(f);
  bool *feeds = malloc((size_t)(n > 0 ? n : 1) * sizeof *feeds);
  if (!feeds)
    return gqc_error(ctx->d, "defer-logits: out of memory");
  ir_mark_state_inputs(f, feeds, n);
  ir_inst *tail = NULL; /* the first moved instruction, once there is one */
  for (ir_inst *i = f->first, *next; i && i != tail; i = next) {
    next = i->next;
    if (feeds[i->id])
      continue;
    ir_inst_remove(f, i);
    ir_inst_append(f, i);
    if (!tail)
      tail = i;
  }
  free(feeds);
  return true;
}

bool pass_defer_logits(ir_module *m, const gqc_pass_context *ctx) {
  for (int k = 0; k < m->n_funcs; k++)
    if (m->funcs[k]->batch > 0 && !defer_in(m->funcs[k], ctx))
      return false;
  return true;
}

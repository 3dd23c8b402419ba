/* tokenizer_merge_heap.c — the priority queue of merge candidates that both
 * merging tokenizers (tokenizer_spm.c, tokenizer_bpe.c) drain, as llama.cpp
 * drains its std::priority_queue: a binary heap in the caller's scratch,
 * ordered by the caller's `before` (SPM: higher score first, BPE: lower
 * rank first; both: lower left index on ties).
 */
#include "tokenizer_internal.h"

void gqcrt_merge_heap_push(gqcrt_merge_heap *h, gqcrt_merge_candidate c) {
  if (h->n >= h->cap)
    return; /* cannot happen: at most 3 pushes per symbol */
  size_t i = h->n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!h->before(&c, &h->item[parent]))
      break;
    h->item[i] = h->item[parent];
    i = parent;
  }
  h->item[i] = c;
}

gqcrt_merge_candidate gqcrt_merge_heap_pop(gqcrt_merge_heap *h) {
  gqcrt_merge_candidate top = h->item[0];
  gqcrt_merge_candidate last = h->item[--h->n];
  size_t i = 0, n = h->n;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, best = i;
    const gqcrt_merge_candidate *bc = &last;
    if (l < n && h->before(&h->item[l], bc))
      best = l, bc = &h->item[l];
    if (r < n && h->before(&h->item[r], bc))
      best = r;
    if (best == i)
      break;
    h->item[i] = h->item[best];
    i = best;
  }
  if (n > 0)
    h->item[i] = last;
  return top;
}

/* bump_alloc.c — a bump allocator: chunks chained together, freed in one go
 * (bump_alloc.h). */
#include "support/bump_alloc.h"

#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

struct gqc_bump_chunk {
  gqc_bump_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

void *gqc_bump_alloc(gqc_bump_chunk **chain, size_t size, size_t chunk_bytes, const char *what,
                     size_t *taken) {
  size = (size + 15) & ~(size_t)15;
  gqc_bump_chunk *c = *chain;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > chunk_bytes ? size : chunk_bytes;
    gqc_bump_chunk *n = gqc_xmalloc(sizeof *n + cap, what);
    n->next = c;
    n->used = 0;
    n->cap = cap;
    *chain = c = n;
  }
  void *r = (char *)c->data + c->used;
  c->used += size;
  memset(r, 0, size);
  if (taken)
    *taken = size;
  return r;
}

void gqc_bump_free(gqc_bump_chunk *chain) {
  for (gqc_bump_chunk *n; chain; chain = n) {
    n = chain->next;
    free(chain);
  }
}

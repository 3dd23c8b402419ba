/* bump_alloc.h — a bump allocator: chunks chained together, freed in one go.
 *
 * The syntax tree of a description and the IR module are built from many
 * small pieces that all live exactly as long as their owner. Each takes
 * them from a chain of large chunks: an allocation is a pointer bump in the
 * newest chunk (a new chunk when it has no room), and freeing the owner
 * frees the chain. Blocks are zeroed and 16-byte aligned.
 */
#ifndef GQC_SUPPORT_BUMP_ALLOC_H
#define GQC_SUPPORT_BUMP_ALLOC_H

#include <stddef.h>

typedef struct gqc_bump_chunk gqc_bump_chunk;

/* A zeroed block of `size` bytes rounded up to 16 (*taken, when not NULL,
 * is the rounded size) from the chain *chain (NULL: empty). A new chunk
 * holds max(size, chunk_bytes); out of memory stops the process naming
 * `what` (support/xalloc.h). */
void *gqc_bump_alloc(gqc_bump_chunk **chain, size_t size, size_t chunk_bytes, const char *what,
                     size_t *taken);
/* Frees every chunk of the chain. */
void gqc_bump_free(gqc_bump_chunk *chain);

#endif

/* arena_plan.h — the static arena as a list of buffers, and the liveness
 * facts the planner decides it by.
 *
 * plan-memory (plan_memory.c) places every buffer; this file says which
 * values need a block, how long each lives and how large each block is, so
 * that the planner and whoever reads its plan (the memory map,
 * driver/memory_map.c) agree on one definition:
 *
 *   - a value needs a block unless it is a weight, a cache, a parameter, a
 *     transpose (folded away) or a view (a last_row of its batch, a slice of a vector);
 *   - a value lives from the instruction that defines it to its last use,
 *     a use of a view being a use of the value it is part of;
 *   - an attention op's score scratch lives during that op only;
 *   - every block is 64-byte aligned.
 *
 * After plan-memory, gqc_arena_buffers lists the plan: each KV cache, and
 * for each function each activation block and attention scratch, with its
 * offset in the arena, size and lifetime (instruction indices).
 */
#ifndef GQC_ARENA_PLAN_H
#define GQC_ARENA_PLAN_H

#include "ir/ir.h"

#define GQC_ARENA_ALIGN 64
static inline int64_t gqc_arena_align_up(int64_t v) {
  return (v + GQC_ARENA_ALIGN - 1) & ~(int64_t)(GQC_ARENA_ALIGN - 1);
}

/* Whether the value i gets an arena block of its own. */
bool gqc_arena_needs_block(const ir_inst *i);
/* The value whose block holds v: v, or for a view the value it is part of. */
const ir_inst *gqc_arena_storage_of(const ir_inst *v);
/* The block size of value i (aligned), or -1 when its type has no size. */
int64_t gqc_arena_block_bytes(const ir_inst *i);
/* The score scratch of attention op i, aligned. */
int64_t gqc_arena_scratch_bytes(const ir_inst *attention);
/* Numbers f's instructions (id = index in the body) and returns a malloc'd
 * array: last[id] = the index of the last instruction reading the value
 * (its own index when none does). NULL when out of memory. */
int *gqc_arena_last_uses(const ir_func *f);

typedef enum gqc_arena_buffer_kind {
  GQC_ARENA_CACHE,   /* a KV-cache buffer: persistent */
  GQC_ARENA_VALUE,   /* an activation */
  GQC_ARENA_SCRATCH, /* an attention op's scores */
} gqc_arena_buffer_kind;

typedef struct gqc_arena_buffer {
  gqc_arena_buffer_kind kind;
  int func;            /* index in m->funcs; -1 for a cache */
  int cache;           /* index in m->caches; -1 otherwise */
  const ir_inst *inst; /* the value, or the attention op; NULL for a cache */
  int64_t offset;      /* in the arena */
  int64_t bytes;       /* the block (aligned) */
  int first, last;     /* lifetime, instruction indices in the function */
} gqc_arena_buffer;

/* The buffers of a planned module (caches first, then per function in
 * instruction order), malloc'd; *n receives the count. NULL when out of
 * memory or when the module is not planned (m->arena_bytes < 0). */
gqc_arena_buffer *gqc_arena_buffers(const ir_module *m, int *n);

#endif

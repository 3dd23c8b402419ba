/* calls.h — the IR lowered to a flat list of runtime calls.
 *
 * Both backends (C source and LLVM) emit the same thing: for each IR
 * instruction, one call to a runtime function whose arguments are pointers
 * into the arena or the weight blob, constants, or the step's token and
 * position. gqc_lower_calls() decides those arguments once, so the backends
 * only differ in syntax and cannot disagree on semantics.
 */
#ifndef GQC_CALLS_H
#define GQC_CALLS_H

#include "ir/ir.h"

typedef enum gqc_arg_kind {
  GQC_ARG_ARENA,      /* arena + offset */
  GQC_ARG_WEIGHT,     /* weights + offset */
  GQC_ARG_WEIGHT_ROW, /* weights + offset + token * row_bytes (embedding lookup) */
  GQC_ARG_NULL,
  GQC_ARG_I32,
  GQC_ARG_F32,
  GQC_ARG_POS,        /* the step's position */
  GQC_ARG_TOKEN,      /* the step's token (row of a packed embedding table) */
  GQC_ARG_ATTN_DESC,  /* &attention_descs[index] */
  GQC_ARG_EXECUTOR,   /* the executor set by <name>_set_executor (may be NULL) */
  GQC_ARG_FN,         /* the address of runtime function `sym` */
} gqc_arg_kind;

typedef struct gqc_arg {
  gqc_arg_kind kind;
  int64_t offset;     /* ARENA, WEIGHT, WEIGHT_ROW */
  int64_t row_bytes;  /* WEIGHT_ROW */
  int64_t i;          /* I32, ATTN_DESC index */
  float f;            /* F32 */
  const char *sym;    /* FN */
} gqc_arg;

#define GQC_MAX_ARGS 10

typedef struct gqc_call {
  const char *fn;        /* runtime symbol */
  int n_args;
  gqc_arg args[GQC_MAX_ARGS];
  const ir_inst *inst;   /* for comments */
} gqc_call;

typedef struct gqc_attn_desc {
  int32_t n_head, n_head_kv, head_dim, cache_rows, window, kv_type;
  float scale;
} gqc_attn_desc;

typedef struct gqc_call_list {
  gqc_call *calls;
  int n_calls;
  gqc_attn_desc *descs;
  int n_descs;
  int64_t result_offset; /* arena offset of the logits */
  int64_t n_vocab;       /* length of the logits */
  int64_t embed_rows;    /* rows of the embedding table (token bound), or 0 */
  int64_t ring_rows;     /* the smallest ring-buffer KV cache (sliding window
                          * layers), or 0: bounds how far decode may rewind */
} gqc_call_list;

/* Needs a planned module (plan-memory ran). Returns false with d set. */
bool gqc_lower_calls(const ir_module *m, gqc_call_list *out, gqc_diag *d);
void gqc_call_list_free(gqc_call_list *l);


#endif

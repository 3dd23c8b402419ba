/* calls.h — the IR lowered to flat lists of runtime calls.
 *
 * Both backends (C source and LLVM) emit the same thing: for each IR
 * instruction of each function, one call to a runtime function whose
 * arguments are pointers into the arena or the weight blob, constants, or the
 * step's parameters (token, position; for a row-batched function the batch's
 * token ids and its live row count n). gqc_lower_program() decides those
 * arguments once, so the backends only differ in syntax and cannot disagree
 * on semantics.
 *
 * Two things exist only in row-batched functions (@prefill):
 *   - arguments that depend on n at run time: element counts n * N
 *     (GQC_ARG_ROWS) and the last live row of a batch (GQC_ARG_ARENA_LAST_ROW);
 *   - calls made once per live row (per_row): for an op the runtime has no
 *     batched form of (a vector added to every row, a softmax per row), the
 *     call runs for r = 0 .. n-1 with each ARENA argument advanced by
 *     r * row_bytes (0 for an operand every row shares).
 */
#ifndef GQC_CALLS_H
#define GQC_CALLS_H

#include "ir/ir.h"

typedef enum gqc_arg_kind {
  GQC_ARG_ARENA,      /* arena + offset (+ r * row_bytes in a per_row call) */
  GQC_ARG_WEIGHT,     /* weights + offset */
  GQC_ARG_WEIGHT_ROW, /* weights + offset + token * row_bytes (embedding lookup) */
  GQC_ARG_NULL,
  GQC_ARG_I32,
  GQC_ARG_I64, /* an int64_t constant (a table's row bytes) */
  GQC_ARG_F32,
  GQC_ARG_POS,            /* the step's position (a batch's first) */
  GQC_ARG_TOKEN,          /* the step's token (row of a packed embedding table) */
  GQC_ARG_TOKENS,         /* the batch's token ids: const int32_t *, n of them */
  GQC_ARG_ROWS,           /* i * n, n the batch's live rows: an int32_t */
  GQC_ARG_ARENA_LAST_ROW, /* arena + offset + (n - 1) * row_bytes: a batch's last row */
  GQC_ARG_ATTN_DESC,      /* &attention_descs[index] */
  GQC_ARG_EXECUTOR,       /* the executor set by <name>_set_executor (may be NULL) */
  GQC_ARG_FN,             /* the address of runtime function `sym` */
} gqc_arg_kind;

typedef struct gqc_arg {
  gqc_arg_kind kind;
  int64_t offset;     /* ARENA, WEIGHT, WEIGHT_ROW, ARENA_LAST_ROW */
  int64_t row_bytes;  /* WEIGHT_ROW, ARENA_LAST_ROW; ARENA: the step per row of a per_row call */
  int64_t i;          /* I32, I64, ROWS (the factor), ATTN_DESC index */
  float f;            /* F32 */
  const char *sym;    /* FN */
} gqc_arg;

#define GQC_MAX_ARGS 14

typedef struct gqc_call {
  const char *fn;        /* runtime symbol */
  int n_args;
  gqc_arg args[GQC_MAX_ARGS];
  bool per_row;          /* once per live row, see above */
  const ir_inst *inst;   /* for comments */
} gqc_call;

/* gqcrt_attention_desc's values (its prefix pointers are NULL in the
 * compiled table: gqcrt_attention_parallel gets them as arguments). */
typedef struct gqc_attn_desc {
  int32_t n_head, n_head_kv, head_dim, cache_rows, window, kv_type;
  float scale, softcap;
  int32_t n_prefix, prefix_first;
} gqc_attn_desc;

/* One function's calls. */
typedef struct gqc_call_list {
  const ir_func *func; /* NULL: the module has no such function */
  gqc_call *calls;
  int n_calls;
  int n_state_calls;     /* calls[0 .. n_state_calls) write or feed the state
                          * (KV caches, convolution states);
                          * the rest only compute the result (pass defer-logits
                          * puts them last), so a prefill step that is not the
                          * prompt's final one stops there */
  int lm_head_call;      /* the last call when it is the lm_head, a
                          * gqcrt_linear_parallel(ex, kernel, logits, W, x,
                          * n_in, n_vocab, row_bytes, row_align) the runtime
                          * can run on chosen rows only; else -1 */
  gqc_arg result;        /* the logits: ARENA, or ARENA_LAST_ROW of a batch */
  int64_t n_vocab;       /* length of the logits */
  int64_t batch;         /* most tokens per step (row-batched function), else 0 */
} gqc_call_list;

/* The module's functions as the API uses them: decode(token, pos) and,
 * when the module has it, prefill(tokens, pos, n) with n in 1..batch. */
typedef struct gqc_program {
  gqc_call_list decode, prefill;
  gqc_attn_desc *descs; /* shared by both functions' ATTN_DESC arguments */
  int n_descs;
  int64_t embed_rows;    /* rows of the embedding table (token bound), or 0 */
  int64_t ring_rows;     /* the ring buffer (a sliding-window layer's KV cache,
                          * a convolution's state) that allows the shortest
                          * rewind, or 0: bounds how far decode may rewind */
  int64_t ring_window;   /* the positions its reader needs, the current one
                          * included (a KV ring: rows = window + batch - 1) */
} gqc_program;

/* Needs a planned module (plan-memory ran) with a @decode(tok : i32,
 * pos : i32) and optionally a @prefill(tok : i32[B], pos : i32, n : i32)
 * batch B rows %n, both returning the f32[n_vocab] logits. Returns false
 * with d set. */
bool gqc_lower_program(const ir_module *m, gqc_program *out, gqc_diag *d);
void gqc_program_free(gqc_program *p);

#endif

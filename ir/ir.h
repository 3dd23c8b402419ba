/* ir.h — gqc's tensor IR.
 *
 * A module is what one compilation produces and every stage reads: the
 * weights (GGUF tensors kept in their packed encoding), the KV-cache buffers,
 * module metadata (n_vocab, n_ctx, the vocabulary blob, ...) and its
 * functions, which share the weights and the caches: @decode computes the
 * logits of one token at one position; @prefill (optional) feeds a batch of
 * tokens at consecutive positions and computes the logits of the last one.
 *
 * Row batching. A function with `batch B rows %n` in its signature processes
 * up to B tokens at once: its activations may be matrices [B, N], one row per
 * token (token r at position pos + r), of which the first %n (a parameter,
 * 1..B at run time) are live; its token parameter is an i32[B] vector. Ops
 * act on such values row by row (ir_ops.def says how each generalises);
 * last_row selects row %n - 1 as a vector. In a function without `batch`
 * every activation is a vector.
 *
 * The function body is a straight-line list of instructions in SSA form. Each
 * instruction produces at most one value with a type (element type + shape).
 * There is no control flow: the frontend unrolls the layers, so per-layer
 * choices (sliding or global attention, optional tensors) are decided at
 * compile time and every instruction names its own weights.
 *
 * Shapes are written in mathematical row-major order, [rows, cols], the last
 * dimension contiguous. A GGUF weight with ne = [in, out] is a value of type
 * <enc>[out, in]. Weight values carry a layout marker:
 *   rowmajor      — the tensor as stored, used as a plain matrix (embed)
 *   pretransposed — the same bytes used as the right operand of linear:
 *                   y = x · Wᵀ, read row by row, never transposed at run time
 * Activations have no layout marker.
 *
 * Ops come from ir_ops.def (name, operand counts, attribute schema). The IR
 * prints to text (ir_print.c) and parses back (ir_parse.c); the verifier
 * (ir_verify.c) checks types, shapes and attributes between passes.
 *
 * Memory: everything is allocated from the module's pool and freed by
 * ir_module_free(). Nothing in ir/ knows about GGUF files, passes or codegen.
 */
#ifndef GQC_IR_H
#define GQC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/diag.h"
#include "support/bump_alloc.h"

/* ---- element types ------------------------------------------------------ */
typedef enum ir_dtype {
#define IR_DTYPE(id, name, block_elems, block_bytes, ggml_id, vec_dot) IR_##id,
#include "ir/ir_dtypes.def"
#undef IR_DTYPE
  IR_DTYPE_COUNT
} ir_dtype;

typedef struct ir_dtype_info {
  const char *name; /* "f32", "q4_k", "i32" */
  int block_elems;  /* 1 for scalar types */
  int block_bytes;
  int ggml_id; /* ggml type id, -1 for i32 */
} ir_dtype_info;

const ir_dtype_info *ir_dtype_get(ir_dtype t);
bool ir_dtype_from_name(const char *name, ir_dtype *out);
bool ir_dtype_from_ggml(int ggml_id, ir_dtype *out);
bool ir_dtype_is_quantized(ir_dtype t); /* block_elems > 1 */
/* The activation encoding a weight encoding's dot product takes (ggml's
 * vec_dot_type): f32→f32, f16→f16, bf16→bf16, q4_0/q5_0/q8_0→q8_0,
 * q4_1/q5_1→q8_1, k-quants→q8_k. */
ir_dtype ir_dtype_vec_dot(ir_dtype weight);

/* ---- types -------------------------------------------------------------- */
#define IR_MAX_RANK 4

typedef enum ir_layout {
  IR_LAYOUT_NONE = 0,      /* activations, scalars */
  IR_LAYOUT_ROWMAJOR,      /* weight as stored */
  IR_LAYOUT_PRETRANSPOSED, /* weight used as Wᵀ by linear, bytes unchanged */
  IR_LAYOUT_COUNT
} ir_layout;
const char *ir_layout_name(ir_layout l);
bool ir_layout_from_name(const char *name, ir_layout *out);

typedef struct ir_type {
  ir_dtype dtype;
  int rank; /* 0 = scalar */
  int64_t dims[IR_MAX_RANK];
  ir_layout layout;
} ir_type;

ir_type ir_type_scalar(ir_dtype dt);
ir_type ir_type_vec(ir_dtype dt, int64_t n);
ir_type ir_type_mat(ir_dtype dt, int64_t rows, int64_t cols);
/* One row of t: [B, N] -> [N] (same dtype, no layout); a vector stays itself. */
ir_type ir_type_row(const ir_type *t);
int64_t ir_type_elems(const ir_type *t);
/* Bytes of storage; -1 if the last dim is not a multiple of the block size
 * or the size overflows. */
int64_t ir_type_bytes(const ir_type *t);
bool ir_type_equal(const ir_type *a, const ir_type *b); /* dtype + shape + layout */
bool ir_type_same_shape(const ir_type *a, const ir_type *b);
/* Formats "q8_0[64, 64] pretransposed" into buf; returns buf. */
char *ir_type_str(const ir_type *t, char *buf, size_t size);
/* Formats a byte count for people: "812 B", "68.0 KiB", "27.9 MiB" (KiB from
 * 10 KiB, MiB from 10 MiB); returns buf. */
char *ir_bytes_str(int64_t bytes, char *buf, size_t size);

/* ---- attributes --------------------------------------------------------- */
typedef enum ir_attr_kind { IR_ATTR_INT, IR_ATTR_FLOAT, IR_ATTR_STR } ir_attr_kind;

typedef struct ir_attr {
  const char *key; /* pool-owned */
  ir_attr_kind kind;
  int64_t i;
  double f;
  const char *s; /* pool-owned */
} ir_attr;

/* ---- ops ---------------------------------------------------------------- */
typedef enum ir_opcode {
#define IR_OP(id, name, min_operands, max_operands, attrs) IR_OP_##id,
#include "ir/ir_ops.def"
#include "support/printf_format.h"
#undef IR_OP
  IR_OP_COUNT
} ir_opcode;

typedef struct ir_op_info {
  const char *name;
  int min_operands, max_operands;
  /* Attribute schema: "eps:f,group:i?" — name:kind with kind i (int),
   * f (float), s (string); a trailing ? marks an optional attribute. */
  const char *attrs;
} ir_op_info;

const ir_op_info *ir_op_get(ir_opcode op);
bool ir_op_from_name(const char *name, ir_opcode *out);

#define IR_MAX_OPERANDS 8
#define IR_MAX_ATTRS 12

typedef struct ir_inst ir_inst;
struct ir_inst {
  ir_opcode op;
  const char *name; /* value name without '%' (pool-owned); NULL = numbered */
  ir_type type;     /* result type; rank 0 f32 dtype unused for RETURN */
  bool has_result;  /* false for RETURN */
  int n_operands;
  ir_inst *operands[IR_MAX_OPERANDS];
  int n_attrs;
  ir_attr attrs[IR_MAX_ATTRS];
  int ref;        /* WEIGHT: index into module weights; CACHE: into caches; PARAM: param index */
  int64_t offset; /* arena offset from plan-memory; -1 = not planned */
  ir_inst *prev, *next;
  int id;   /* scratch number used by the printer/passes */
  int line; /* source line in a parsed .ir file (0 = none) */
};

/* A repacking function: n_out rows of n_in elements from the GGUF layout at
 * src to a packed layout at dst (same byte count). */
typedef void (*ir_repack_fn)(void *dst, const void *src, int32_t n_in, int32_t n_out);

/* A weight: one GGUF tensor, in its stored encoding. */
typedef struct ir_weight {
  const char *name;    /* GGUF tensor name */
  ir_type type;        /* layout IR_LAYOUT_ROWMAJOR, shape [rows, cols] */
  const void *data;    /* the GGUF bytes (NULL when parsed from text) */
  uint64_t nbytes;     /* == ir_type_bytes(&type) */
  int64_t offset;      /* offset in the weight blob; -1 until planned */
  const char *storage; /* "gguf" (bytes as in the file) or a repack layout */
  bool dead;           /* removed by a pass (no uses); skipped by codegen */
  /* storage is a repack layout: the blob holds repack(data), which whoever
   * writes the blob computes repack_rows rows at a time (a layout permutes
   * bytes only within each group of repack_rows rows and leaves every group
   * at its GGUF offset), so no packed copy of a weight is ever held whole. */
  ir_repack_fn repack;
  int repack_rows;
} ir_weight;

/* A persistent buffer: a layer's K or V cache, or a convolution's state,
 * [rows, row_elems]. */
typedef struct ir_cache {
  const char *name;
  ir_type type;   /* f32 or f16, [rows, n_head_kv*head_dim] */
  int64_t offset; /* arena offset; -1 until planned */
} ir_cache;

typedef struct ir_func {
  const char *name; /* "decode", "prefill" */
  int n_params;
  ir_inst *params[4];    /* PARAM instructions (not in the body list) */
  ir_inst *first, *last; /* body */
  ir_type result;
  /* Row batching (see the top of this file): batch = B > 0 and rows = the
   * parameter holding the live row count; 0 and NULL otherwise. */
  int64_t batch;
  ir_inst *rows;
} ir_func;

#define IR_MAX_FUNCS 4

typedef struct ir_module {
  const char *name;
  gqc_bump_chunk *pool;
  uint64_t pool_bytes; /* taken from the pool so far (what the module's contents cost) */
  int n_meta;
  ir_attr *meta; /* module metadata, in insertion order */
  int meta_cap;
  int n_weights, weights_cap;
  ir_weight *weights;
  int n_caches, caches_cap;
  ir_cache *caches;
  int n_funcs;
  ir_func *funcs[IR_MAX_FUNCS]; /* in definition order */
  ir_func *decode;              /* the function named "decode" (also in funcs), or NULL */
  /* The file the weights' bytes are mapped from, if any: a byte at address
   * p in [weight_file_base, weight_file_base + weight_file_size) is byte
   * p - weight_file_base of the open file weight_file_fd. Blob writers read
   * or copy the bytes from the file, not through the mapping (whose pages
   * would stay in the process's memory once touched). fd -1: none. */
  int weight_file_fd;
  const void *weight_file_base;
  uint64_t weight_file_size;
  const void *vocab; /* tokenizer blob (gqcrt_tokenizer.h); may be NULL */
  uint64_t vocab_bytes;
  const void *grammar; /* token automaton (gqcrt_grammar.h) of --grammar/--tools; may be NULL */
  uint64_t grammar_bytes;
  int64_t arena_bytes;  /* from plan-memory; -1 before */
  int64_t weight_bytes; /* from plan-memory; -1 before */
} ir_module;

/* ---- construction ------------------------------------------------------- */
ir_module *ir_module_new(const char *name);
void ir_module_free(ir_module *m);

void *ir_alloc(ir_module *m, size_t size); /* zeroed, freed with the module */
const char *ir_strdup(ir_module *m, const char *s);
const char *ir_strfmt(ir_module *m, const char *fmt, ...) GQC_PRINTF(2, 3);

/* Module metadata (replaces an existing key). */
void ir_meta_set_int(ir_module *m, const char *key, int64_t v);
void ir_meta_set_float(ir_module *m, const char *key, double v);
void ir_meta_set_str(ir_module *m, const char *key, const char *v);
const ir_attr *ir_meta_get(const ir_module *m, const char *key);
int64_t ir_meta_int(const ir_module *m, const char *key, int64_t dflt);

/* Returns the weight index; an existing weight with the same name is reused. */
int ir_module_add_weight(ir_module *m, const char *name, ir_type type, const void *data,
                         uint64_t nbytes);
int ir_module_find_weight(const ir_module *m, const char *name);
int ir_module_add_cache(ir_module *m, const char *name, ir_type type);
int ir_module_find_cache(const ir_module *m, const char *name);

/* Adds a function (the one named "decode" also becomes m->decode). NULL when
 * the module has IR_MAX_FUNCS functions or one of that name already. */
ir_func *ir_func_new(ir_module *m, const char *name);
ir_func *ir_module_find_func(const ir_module *m, const char *name);
ir_inst *ir_func_add_param(ir_module *m, ir_func *f, const char *name, ir_type type);

/* Creates an instruction (not yet in a list). */
ir_inst *ir_inst_new(ir_module *m, ir_opcode op, ir_type type, int n_operands,
                     ir_inst *const *operands);
void ir_inst_set_name(ir_module *m, ir_inst *i, const char *name);
void ir_inst_append(ir_func *f, ir_inst *i);
void ir_inst_insert_before(ir_func *f, ir_inst *before, ir_inst *i);
void ir_inst_remove(ir_func *f, ir_inst *i); /* unlinks; memory stays in the pool */

/* Attributes on an instruction (replaces an existing key). */
void ir_attr_set_int(ir_module *m, ir_inst *i, const char *key, int64_t v);
void ir_attr_set_float(ir_module *m, ir_inst *i, const char *key, double v);
void ir_attr_set_str(ir_module *m, ir_inst *i, const char *key, const char *v);
const ir_attr *ir_attr_get(const ir_inst *i, const char *key);
int64_t ir_attr_int(const ir_inst *i, const char *key, int64_t dflt);
double ir_attr_float(const ir_inst *i, const char *key, double dflt);
const char *ir_attr_str(const ir_inst *i, const char *key, const char *dflt);

/* Convenience builders used by the frontend (append to f). Each checks
 * nothing; run the verifier afterwards. */
ir_inst *ir_build(ir_module *m, ir_func *f, ir_opcode op, ir_type type, int n_operands,
                  ir_inst *const *operands);
ir_inst *ir_build_weight(ir_module *m, ir_func *f, int weight_index);
ir_inst *ir_build_cache(ir_module *m, ir_func *f, int cache_index);

/* The first row of its module weight a `weight` value starts at: 0, or the
 * attribute first_row of a view of some rows (ir_ops.def). */
int64_t ir_weight_first_row(const ir_inst *w);

/* ---- queries and rewriting ---------------------------------------------- */
#define ir_for_each_inst(f, it) for (ir_inst *it = (f)->first; it; it = it->next)
int ir_count_uses(const ir_func *f, const ir_inst *v);
void ir_replace_all_uses(ir_func *f, ir_inst *old_value, ir_inst *new_value);
/* Removes instructions of f whose results are unused and that have no side
 * effects (everything but ATTENTION, CAUSAL_CONV and RETURN). Returns how many. Marks
 * weights that no instruction of any function references as dead. */
int ir_remove_dead(ir_module *m, ir_func *f);

/* Which instructions of f the persistent state needs: the ones that write it
 * (attention stores k and v in the KV cache, causal_conv its inputs in its
 * ring) and everything they read,
 * transitively. Sets each instruction's id to its index in the body and
 * feeds_state[id] accordingly (the array has room for every instruction);
 * returns the number of instructions. The rest only computes the result. */
int ir_mark_state_inputs(const ir_func *f, bool *feeds_state, int cap);
/* The length of f's body, for sizing that array. */
int ir_func_length(const ir_func *f);

/* ---- text form ---------------------------------------------------------- */
void ir_print_module(FILE *out, const ir_module *m);
/* The module as a Graphviz graph (ir_dot.c): head and tail ops, layer 0
 * expanded, later layers folded into runs of identical layers; `stage`
 * ("after plan-memory") goes in the title. False when out of memory. */
bool ir_print_dot(FILE *out, const ir_module *m, const char *stage);
/* Parses the text form. `file` names the input in diagnostics
 * ("in.ir:12:5: error: ..."). Returns NULL on error. */
ir_module *ir_parse_module(const char *text, size_t len, const char *file, gqc_diag *d);

/* ---- verifier ----------------------------------------------------------- */
/* Checks every function: operand counts, attribute schemas, SSA dominance
 * (operands defined before use), types and shapes per op, row batching.
 * Returns true when valid; otherwise
 * reports the first problem (naming the instruction) into d. `stage` names
 * the pipeline point ("after fold-transpose") in the message. */
bool ir_verify(const ir_module *m, const char *stage, gqc_diag *d);

#endif

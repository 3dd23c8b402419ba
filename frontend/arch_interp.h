/* arch_interp.h — the state shared by the parts of the description
 * interpreter (internal to frontend/).
 *
 * Running a description is compile-time evaluation: hparams read GGUF keys,
 * lets compute numbers, loops unroll, `if`s pick branches, and every tensor
 * operation appends IR instructions to the function being built: @decode,
 * then (batch mode) @prefill from the same graph. The parts:
 *   arch_lower.c    the driver: module, top-level declarations, metadata
 *   arch_eval.c     expressions, statements, function calls
 *   arch_hparams.c  GGUF keys -> typed values, vocab_size, n_ctx
 *   arch_weights.c  weight declarations -> module weights (shape checks)
 *   arch_ops.c      tensor operations -> IR instructions (shape checks)
 */
#ifndef GQC_ARCH_INTERP_H
#define GQC_ARCH_INTERP_H

#include "frontend/arch_ast.h"
#include "frontend/arch_builtins.h"
#include "frontend/frontend.h"
#include "frontend/gguf.h"
#include "ir/ir.h"
#include "support/printf_format.h"

/* ---- values ------------------------------------------------------------- */
typedef enum arch_vkind {
  AV_NONE,
  AV_INT,
  AV_FLOAT,
  AV_BOOL,
  AV_STR,
  AV_ARRAY,  /* a GGUF array, read element by element */
  AV_WEIGHT, /* a weight declaration with its indices (bound on use) */
  AV_TENSOR  /* an IR value */
} arch_vkind;

#define ARCH_MAX_INDEX 4

typedef struct arch_value {
  arch_vkind kind;
  int64_t i;
  double f;
  bool b;
  const char *s;
  const gguf_value *arr;
  const char *arr_name; /* the GGUF key, for messages */
  const arch_decl *w;
  int n_idx;
  int64_t idx[ARCH_MAX_INDEX];
  ir_inst *t;
} arch_value;

arch_value arch_int(int64_t v);
arch_value arch_float(double v);
arch_value arch_bool(bool v);
arch_value arch_tensor(ir_inst *t);
/* "int", "float", "f32[64] tensor", "weight 'wq'", ... */
const char *arch_value_kind_str(const arch_value *v, char *buf, size_t size);

/* ---- the interpreter ---------------------------------------------------- */
typedef struct arch_var {
  const char *name;
  arch_value v;
  bool defined;
} arch_var;

/* Variables of one body (the graph or a function call): one flat scope. */
typedef struct arch_frame {
  arch_var *vars;
  int n_vars, cap_vars;
  gqc_name_map var_at; /* name -> index in vars, once there are many */
  bool names_values;   /* the graph's own body: assignments name IR values */
} arch_frame;

typedef struct arch_binding {
  const arch_decl *decl;
  int n_idx;
  int64_t idx[ARCH_MAX_INDEX];
  int weight; /* module weight index, -1 when absent */
} arch_binding;

typedef struct arch_interp {
  const arch_program *p;
  const gguf_file *g;
  const gqc_frontend_options *opts;
  gqc_diag *d;
  const char *gguf_name; /* the GGUF file in messages */
  const char *arch;      /* value of the predefined name `arch` */
  ir_module *m;
  ir_func *f; /* NULL until the graph runs */
  /* > 0 while the graph runs in batch mode (@prefill): the token parameter
   * is an i32[batch] vector and activations are [batch, n] rows, see
   * arch_ops.c; 0 for @decode */
  int64_t batch;
  /* the values of top-level hparams and lets, by their declaration's
   * ordinal (one entry per declaration) */
  arch_var *globals;
  /* weights bound so far */
  arch_binding *bindings;
  int n_bindings, cap_bindings;
  gqc_name_map binding_at;           /* binding key (arch_weights.c) -> index in bindings */
  const arch_decl *binding_stack[8]; /* fallback chain being resolved */
  int n_binding_stack;
  /* naming: the graph's loop indices, the set of names in use */
  int64_t loop_idx[8];
  int n_loops;
  const char **names;
  size_t names_cap, n_names;
  int seq;       /* creation number of the next instruction (stored in ir_inst.id) */
  int depth;     /* function call depth */
  int nesting;   /* expressions, statements and calls being evaluated inside each other */
  int64_t steps; /* the evaluation budget spent so far (arch_eval.c) */
  int64_t n_ctx;
  int64_t vocab_size; /* -1 until asked for */
} arch_interp;

/* Reports at a description location. */
bool arch_fail(arch_interp *in, arch_loc loc, const char *fmt, ...) GQC_PRINTF(3, 4);

/* arch_eval.c */
/* Charges `cost` steps of the evaluation budget (work other than one
 * expression or statement: string bytes, linear searches) and checks the
 * memory limit; false (reported at loc) when either is exceeded. */
bool arch_charge(arch_interp *in, arch_loc loc, int64_t cost);
bool arch_eval(arch_interp *in, arch_frame *fr, const arch_expr *e, arch_value *out);
/* arch_eval of an expression that must give an int: "WHAT must be an int,
 * got ..." at e when it does not. */
bool arch_eval_int(arch_interp *in, arch_frame *fr, const arch_expr *e, const char *what,
                   int64_t *out);
bool arch_eval_string(arch_interp *in, arch_frame *fr, const arch_str *s, const char **out);
/* Runs a body. *returned is set when a `return` ran (its value in *ret). */
bool arch_exec(arch_interp *in, arch_frame *fr, const arch_stmt *s, bool *returned,
               arch_value *ret);
bool arch_global(arch_interp *in, const char *name, arch_loc loc, arch_value *out);
void arch_frame_set(arch_frame *fr, const char *name, arch_value v);
void arch_frame_free(arch_frame *fr);

/* arch_hparams.c */
bool arch_read_hparam(arch_interp *in, const arch_decl *d, arch_value *out);
bool arch_vocab_size(arch_interp *in, arch_loc loc, int64_t *out);
bool arch_array_get(arch_interp *in, const arch_value *arr, int64_t i, arch_loc loc,
                    arch_value *out);
int64_t arch_array_len(const arch_value *arr);

/* arch_weights.c */
/* Resolves a weight handle to a module weight (binding and shape-checking
 * the GGUF tensor on first use). *index is -1 for an absent optional weight;
 * a missing required weight is an error. */
bool arch_weight_resolve(arch_interp *in, const arch_value *w, arch_loc use, int *index);
/* Emits a `weight` instruction for a handle (an error when absent). */
bool arch_weight_inst(arch_interp *in, const arch_value *w, arch_loc use, ir_inst **out);
/* The same for the view of rows first .. first + rows - 1 of a weight matrix,
 * or of those elements of a weight vector (rows < 0: the whole weight);
 * rows outside the weight are an error at use. */
bool arch_weight_rows(arch_interp *in, const arch_value *w, arch_loc use, int64_t first,
                      int64_t rows, ir_inst **out);
/* "wq[3]" */
const char *arch_weight_str(const arch_value *w, char *buf, size_t size);

/* arch_ops.c */
bool arch_call_op(arch_interp *in, const arch_builtin *b, const arch_expr *call, arch_value *pos,
                  int n_pos, const arch_value *kw, const bool *kw_set, arch_value *out);
/* Binary and unary operators on tensors: + (add), * (mul or scale),
 * / (scale by 1/x), unary - (scale by -1). */
bool arch_tensor_binary(arch_interp *in, int op, const arch_value *a, const arch_value *b,
                        arch_loc loc, arch_value *out);
bool arch_tensor_negate(arch_interp *in, const arch_value *a, arch_loc loc, arch_value *out);
/* Converts a tensor-like value (tensor or weight handle) to an IR value. */
bool arch_as_tensor(arch_interp *in, const arch_value *v, arch_loc loc, const char *what,
                    ir_inst **out);
/* Appends an instruction (numbered for naming, see arch_lower.c). */
ir_inst *arch_emit(arch_interp *in, ir_opcode op, ir_type type, int n, ir_inst *const *operands);
/* A value name not used yet: base, else base_2, base_3, ... (pool-owned). */
const char *arch_unique_name(arch_interp *in, const char *base);
/* ".3" for the graph's current loop indices (empty outside loops). */
void arch_loop_suffix(const arch_interp *in, char *buf, size_t size);

#endif

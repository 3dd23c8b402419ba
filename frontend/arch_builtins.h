/* arch_builtins.h — the functions and names every description can use.
 *
 * One table (arch_builtins.def) serves the checker (argument counts, keyword names) and the
 * interpreter (dispatch). Two families:
 *   - compile-time functions on numbers, strings and arrays (sqrt, min, len,
 *     has, ...), evaluated while the description runs;
 *   - tensor operations (embed, rms_norm, matmul, rope, attention, ...),
 *     each of which appends IR instructions to @decode. Tensor operands are
 *     positional; attributes are keyword arguments (`eps = eps`).
 * Plus three predefined names: `arch`, `vocab_size` and `n_ctx`.
 */
#ifndef GQC_ARCH_BUILTINS_H
#define GQC_ARCH_BUILTINS_H

#include <stdbool.h>

typedef enum arch_builtin_id {
#define ARCH_FUNCTION(id, name, min_args, max_args, usage) ABI_##id,
#define ARCH_OP(id, name, min_args, max_args, usage, ...) ABI_##id,
#include "frontend/arch_builtins.def"
#undef ARCH_FUNCTION
#undef ARCH_OP
  ABI_COUNT
} arch_builtin_id;

#define ARCH_MAX_KWARGS 8

typedef struct arch_builtin {
  const char *name;
  arch_builtin_id id;
  bool is_op;   /* a tensor operation (emits IR) */
  int min_args; /* positional arguments */
  int max_args; /* -1: any number */
  /* keyword arguments; a trailing '!' marks a required one ("eps!") */
  const char *kwargs[ARCH_MAX_KWARGS];
  const char *usage; /* for messages: "rms_norm(x, weight, eps = ..., group = ...)" */
} arch_builtin;

const arch_builtin *arch_builtin_find(const char *name);
/* The k-th builtin (0, 1, ...), NULL past the last: for listing them. */
const arch_builtin *arch_builtin_at(int k);
/* Index of keyword `name` in b->kwargs, or -1. */
int arch_builtin_kwarg(const arch_builtin *b, const char *name);
bool arch_builtin_kwarg_required(const arch_builtin *b, int k);
/* The keyword's name without the '!' marker, into buf. */
const char *arch_builtin_kwarg_name(const arch_builtin *b, int k, char *buf, int size);

/* Predefined names: "arch", "vocab_size", "n_ctx". */
bool arch_is_predefined_name(const char *name);

#endif

/* arch_ast.h — the syntax tree of an architecture description.
 *
 * The parser (arch_parser.y) builds this tree; the checker (arch_check.c)
 * validates names and call shapes; the interpreter (arch_eval.c) walks it to
 * produce the IR. Every node records where it came from (line:col in the
 * description) so that any later error can point back at the text.
 *
 * Everything is allocated from the program's arena and freed together by
 * arch_program_free(). Lists (declarations, statements, arguments, ...) are
 * singly linked through `next` pointers in source order.
 *
 * The language itself is documented in docs/arch-language.md.
 */
#ifndef GQC_ARCH_AST_H
#define GQC_ARCH_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/diag.h"
#include "support/bump_alloc.h"
#include "support/name_map.h"
#include "support/printf_format.h"

typedef struct arch_loc {
  int line, col; /* 1-based */
} arch_loc;

/* ---- strings with {name} interpolation ---------------------------------- */
/* "blk.{l}.attn_q.weight" is kept as parts: "blk.", {l}, ".attn_q.weight". */
typedef struct arch_strpart arch_strpart;
struct arch_strpart {
  bool is_ident;    /* {name} */
  const char *text; /* literal text, or the identifier */
  arch_loc loc;     /* of the identifier inside the string */
  arch_strpart *next;
};

typedef struct arch_str {
  const char *raw; /* the literal as written, unescaped, braces kept */
  arch_strpart *parts;
  bool interpolated; /* at least one {name} part */
  arch_loc loc;
} arch_str;

/* ---- expressions -------------------------------------------------------- */
typedef enum arch_expr_kind {
  AE_INT,
  AE_FLOAT,
  AE_BOOL,
  AE_STR,
  AE_IDENT,
  AE_UNARY,   /* op: '-' or AOP_NOT */
  AE_BINARY,  /* op: '+', '-', '*', '/', '%', '<', '>', AOP_* */
  AE_COND,    /* a ? b : c */
  AE_CALL,    /* name(args) */
  AE_INDEX,   /* a[i, j] */
  AE_WILDCARD /* `_`, only as a dimension of a weight's shape */
} arch_expr_kind;

/* Multi-character operators (single characters use themselves). */
enum { AOP_EQ = 256, AOP_NE, AOP_LE, AOP_GE, AOP_AND, AOP_OR, AOP_NOT };

typedef struct arch_expr arch_expr;
typedef struct arch_arg arch_arg;

struct arch_arg {
  const char *name; /* keyword argument name, NULL when positional */
  arch_expr *value;
  arch_loc loc;
  arch_arg *next;
};

struct arch_expr {
  arch_expr_kind kind;
  arch_loc loc;
  int op;
  int64_t i;
  double f;
  bool b;
  arch_str *str;
  const char *name; /* AE_IDENT, AE_CALL */
  arch_expr *a, *b2, *c;
  arch_arg *args;   /* AE_CALL */
  arch_expr *index; /* AE_INDEX: list of index expressions (linked by next) */
  arch_expr *next;  /* in index / dimension lists */
};

/* ---- statements (graph and function bodies) ----------------------------- */
typedef enum arch_stmt_kind {
  AS_ASSIGN, /* name = e */
  AS_FOR,    /* for name in e .. e2 { body } */
  AS_IF,     /* if e { body } else { else_body } */
  AS_RETURN, /* return e */
  AS_ASSERT  /* assert e, "message" */
} arch_stmt_kind;

typedef struct arch_stmt arch_stmt;
struct arch_stmt {
  arch_stmt_kind kind;
  arch_loc loc;
  const char *name;
  arch_loc name_loc;
  arch_expr *e, *e2;
  arch_str *message;
  arch_stmt *body, *else_body;
  arch_loc end_loc; /* closing brace of body */
  arch_stmt *next;
};

/* ---- declarations ------------------------------------------------------- */
/* Value types an hparam may take (a union is a bit set). */
enum {
  ARCH_T_INT = 1 << 0,
  ARCH_T_FLOAT = 1 << 1,
  ARCH_T_BOOL = 1 << 2,
  ARCH_T_STR = 1 << 3,
  ARCH_T_INT_ARRAY = 1 << 4,
  ARCH_T_FLOAT_ARRAY = 1 << 5,
  ARCH_T_BOOL_ARRAY = 1 << 6,
  ARCH_T_STR_ARRAY = 1 << 7,
};

typedef enum arch_decl_kind {
  AD_ARCH,   /* arch name */
  AD_HPARAM, /* hparam name: type = "key" or "key2" default e */
  AD_LET,    /* let name = e */
  AD_META,   /* meta name = e */
  AD_WEIGHT, /* [optional] weight name[l] = "pattern" : dtype[dims] or fallback */
  AD_FN,     /* fn name(params) = e   |   fn name(params) { body } */
  AD_GRAPH,  /* graph decode(tok, pos) { body } */
  AD_ASSERT  /* assert e, "message" */
} arch_decl_kind;

typedef struct arch_ident arch_ident;
struct arch_ident {
  const char *name;
  arch_loc loc;
  arch_ident *next;
};

typedef struct arch_keylist arch_keylist;
struct arch_keylist {
  arch_str *key;
  arch_keylist *next;
};

typedef struct arch_decl arch_decl;
struct arch_decl {
  arch_decl_kind kind;
  arch_loc loc; /* of the keyword */
  const char *name;
  arch_loc name_loc;
  /* AD_HPARAM */
  unsigned types;
  arch_keylist *keys;
  arch_expr *dflt;
  /* AD_LET, AD_META, AD_ASSERT (condition), AD_FN (expression body) */
  arch_expr *e;
  arch_str *message; /* AD_ASSERT */
  /* AD_WEIGHT */
  bool optional;
  arch_str *pattern;
  const char *dtype; /* NULL: any encoding */
  arch_loc dtype_loc;
  arch_expr *dims;     /* linked by next; AE_WILDCARD for `_` */
  arch_expr *fallback; /* `or expr` */
  /* AD_WEIGHT (index names), AD_FN and AD_GRAPH (parameters) */
  arch_ident *params;
  int n_params;
  /* AD_FN (block body), AD_GRAPH */
  arch_stmt *body;
  arch_loc end_loc;
  int ordinal; /* position among the declarations: 0, 1, ... */
  arch_decl *next;
};

/* ---- the program -------------------------------------------------------- */
typedef struct arch_program {
  const char *file; /* name used in diagnostics ("llama.arch") */
  arch_decl *decls;
  gqc_bump_chunk *arena;
  /* set by arch_program_index: the declarations by ordinal, and the
   * ordinal of the first hparam, let, weight or fn of each name */
  const arch_decl **decl_at;
  int n_decls;
  gqc_name_map names;
} arch_program;

arch_program *arch_program_new(const char *file);
void arch_program_free(arch_program *p);

void *arch_alloc(arch_program *p, size_t size); /* zeroed */
char *arch_strndup(arch_program *p, const char *s, size_t n);

/* Records "file:line:col: error: <message>" in d (first error wins) and
 * returns false. */
bool arch_error(const arch_program *p, arch_loc loc, gqc_diag *d, const char *fmt, ...)
    GQC_PRINTF(4, 5);

/* Node constructors used by the parser. */
arch_expr *arch_expr_new(arch_program *p, arch_expr_kind kind, arch_loc loc);
arch_stmt *arch_stmt_new(arch_program *p, arch_stmt_kind kind, arch_loc loc);
arch_decl *arch_decl_new(arch_program *p, arch_decl_kind kind, arch_loc loc);

/* Splits an unescaped string literal into literal and {name} parts; `{{` and
 * `}}` stand for literal braces. `loc` is the opening quote. Reports a
 * malformed interpolation and returns NULL. */
arch_str *arch_str_new(arch_program *p, const char *text, size_t len, arch_loc loc, gqc_diag *d);

/* Parses a description (arch_parser.y). Returns NULL and fills d on a syntax
 * error. `file` names the text in messages. */
arch_program *arch_parse(const char *text, size_t len, const char *file, gqc_diag *d);

/* Static checks (arch_check.c): every name resolves, calls have the right
 * number of arguments and known keywords, `arch` and `graph decode` appear
 * once, weight families are indexed with the right arity, ... */
bool arch_check(const arch_program *p, gqc_diag *d);

/* Numbers the declarations (ordinal) and indexes them by name; arch_parse
 * does it once the whole file is parsed. */
void arch_program_index(arch_program *p);

/* Helpers shared by the checker and the interpreter. */
const char *arch_type_set_str(unsigned types, char *buf, size_t size);
/* The first hparam, let, weight or fn called name; NULL if none. */
const arch_decl *arch_find_decl(const arch_program *p, const char *name);
const char *arch_op_str(int op);

#endif

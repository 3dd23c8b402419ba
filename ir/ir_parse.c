/* ir_parse.c — reads the IR's text form (see ir_print.c for the syntax).
 *
 * A small hand-written lexer and recursive-descent parser. It exists so that
 * every pass can be tested as "input IR → expected IR" (tests/golden) and so
 * that `gqc opt` can run passes on hand-written IR. Weights parsed from text
 * have no bytes (data == NULL): such a module can be optimised and printed,
 * but codegen refuses it.
 *
 * Errors are reported as "file:line:col: error: message" for the first
 * problem; the parser then stops and returns NULL.
 */
#include "ir/ir.h"
#include "support/printf_format.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_kind {
  T_EOF,
  T_IDENT,  /* module, f32, rms_norm, ... (letters, digits, _ and .) */
  T_VALUE,  /* %name */
  T_SYMBOL, /* @name or @"name" */
  T_INT,
  T_FLOAT,
  T_STRING,
  T_PUNCT, /* { } ( ) [ ] , : = and "->" (as '>') */
} tok_kind;

typedef struct token {
  tok_kind kind;
  int line, col;
  char text[512]; /* identifier/name/string contents */
  int64_t i;
  double f;
  char punct;
} token;

typedef struct parser {
  const char *src, *end, *p;
  const char *file;
  int line, col;
  token tok;
  gqc_diag *d;
  ir_module *m;
  /* value table for the current function */
  ir_inst **vals;
  const char **val_names; /* as written, numbered or not */
  int n_vals, cap_vals;
} parser;

static bool perr(parser *ps, const char *fmt, ...) GQC_PRINTF(2, 3);

#include <stdarg.h>
static bool perr(parser *ps, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return gqc_error(ps->d, "%s:%d:%d: error: %s", ps->file, ps->tok.line, ps->tok.col, msg);
}

static int peekc(parser *ps) {
  return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static void advance(parser *ps) {
  if (ps->p >= ps->end)
    return;
  if (*ps->p == '\n') {
    ps->line++;
    ps->col = 1;
  } else {
    ps->col++;
  }
  ps->p++;
}

static bool is_name_char(int c) {
  return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static bool lex_string(parser *ps, char *out, size_t size) {
  advance(ps); /* opening quote */
  size_t n = 0;
  for (;;) {
    int c = peekc(ps);
    if (c < 0 || c == '\n')
      return perr(ps, "unterminated string");
    advance(ps);
    if (c == '"')
      break;
    if (c == '\\') {
      int e = peekc(ps);
      if (e == 'x') {
        advance(ps);
        char hex[3] = {0};
        for (int k = 0; k < 2; k++) {
          if (!isxdigit(peekc(ps)))
            return perr(ps, "bad \\x escape in string");
          hex[k] = (char)peekc(ps);
          advance(ps);
        }
        c = (int)strtol(hex, NULL, 16);
      } else if (e == '"' || e == '\\') {
        c = e;
        advance(ps);
      } else {
        return perr(ps, "unknown escape in string");
      }
    }
    if (n + 1 >= size)
      return perr(ps, "string too long");
    out[n++] = (char)c;
  }
  out[n] = 0;
  return true;
}

static bool next(parser *ps) {
  token *t = &ps->tok;
  for (;;) {
    int c = peekc(ps);
    if (c == '#') {
      while (peekc(ps) >= 0 && peekc(ps) != '\n')
        advance(ps);
    } else if (c >= 0 && isspace(c)) {
      advance(ps);
    } else {
      break;
    }
  }
  t->line = ps->line;
  t->col = ps->col;
  t->text[0] = 0;
  int c = peekc(ps);
  if (c < 0) {
    t->kind = T_EOF;
    return true;
  }
  if (c == '%' || c == '@') {
    advance(ps);
    t->kind = c == '%' ? T_VALUE : T_SYMBOL;
    if (c == '@' && peekc(ps) == '"')
      return lex_string(ps, t->text, sizeof t->text);
    size_t n = 0;
    while (is_name_char(peekc(ps))) {
      if (n + 1 >= sizeof t->text)
        return perr(ps, "name too long");
      t->text[n++] = (char)peekc(ps);
      advance(ps);
    }
    t->text[n] = 0;
    if (!n)
      return perr(ps, "expected a name after '%c'", c);
    return true;
  }
  if (c == '"') {
    t->kind = T_STRING;
    return lex_string(ps, t->text, sizeof t->text);
  }
  if (isdigit(c) || c == '-' || c == '+') {
    if (c == '-' && ps->p + 1 < ps->end && ps->p[1] == '>') {
      advance(ps);
      advance(ps);
      t->kind = T_PUNCT;
      t->punct = '>';
      return true;
    }
    const char *start = ps->p;
    size_t n = 0;
    bool is_float = false;
    while (ps->p < ps->end && (isalnum(peekc(ps)) || strchr("+-.", peekc(ps)))) {
      int ch = peekc(ps);
      if ((ch == '+' || ch == '-') && n > 0 && !(start[n - 1] == 'e' || start[n - 1] == 'E'))
        break;
      if (ch == '.' || ch == 'e' || ch == 'E' || ch == 'n' || ch == 'i')
        is_float = true;
      if (n + 1 >= sizeof t->text)
        return perr(ps, "number too long");
      t->text[n++] = (char)ch;
      advance(ps);
    }
    t->text[n] = 0;
    char *endp;
    errno = 0;
    if (is_float) {
      t->kind = T_FLOAT;
      t->f = strtod(t->text, &endp);
    } else {
      t->kind = T_INT;
      t->i = strtoll(t->text, &endp, 10);
    }
    if (*endp || errno)
      return perr(ps, "bad number '%s'", t->text);
    return true;
  }
  if (isalpha(c) || c == '_') {
    t->kind = T_IDENT;
    size_t n = 0;
    while (is_name_char(peekc(ps)) && peekc(ps) != '-') {
      if (n + 1 >= sizeof t->text)
        return perr(ps, "identifier too long");
      t->text[n++] = (char)peekc(ps);
      advance(ps);
    }
    t->text[n] = 0;
    return true;
  }
  if (strchr("{}()[],:=", c)) {
    t->kind = T_PUNCT;
    t->punct = (char)c;
    advance(ps);
    return true;
  }
  return perr(ps, "unexpected character '%c'", c);
}

static bool is_punct(parser *ps, char c) {
  return ps->tok.kind == T_PUNCT && ps->tok.punct == c;
}
static bool is_ident(parser *ps, const char *s) {
  return ps->tok.kind == T_IDENT && !strcmp(ps->tok.text, s);
}

static bool expect_punct(parser *ps, char c) {
  if (!is_punct(ps, c))
    return perr(ps, "expected '%s'", c == '>' ? "->" : (char[]){c, 0});
  return next(ps);
}

static bool expect_ident(parser *ps, const char *s) {
  if (!is_ident(ps, s))
    return perr(ps, "expected '%s'", s);
  return next(ps);
}

static bool parse_int(parser *ps, int64_t *out) {
  if (ps->tok.kind != T_INT)
    return perr(ps, "expected an integer");
  *out = ps->tok.i;
  return next(ps);
}

static bool parse_type(parser *ps, ir_type *t, bool allow_layout) {
  memset(t, 0, sizeof *t);
  if (ps->tok.kind != T_IDENT || !ir_dtype_from_name(ps->tok.text, &t->dtype))
    return perr(ps, "expected an element type (f32, q8_0, ...)");
  if (!next(ps))
    return false;
  if (is_punct(ps, '[')) {
    if (!next(ps))
      return false;
    for (;;) {
      if (t->rank == IR_MAX_RANK)
        return perr(ps, "more than %d dimensions", IR_MAX_RANK);
      int64_t d = 0;
      if (!parse_int(ps, &d))
        return false;
      if (d <= 0)
        return perr(ps, "dimension must be positive");
      t->dims[t->rank++] = d;
      if (is_punct(ps, ']'))
        break;
      if (!expect_punct(ps, ','))
        return false;
    }
    if (!next(ps))
      return false;
  }
  ir_layout l;
  if (allow_layout && ps->tok.kind == T_IDENT && ir_layout_from_name(ps->tok.text, &l)) {
    t->layout = l;
    return next(ps);
  }
  return true;
}

static bool parse_attr_value(parser *ps, ir_attr *a) {
  switch (ps->tok.kind) {
  case T_INT:
    a->kind = IR_ATTR_INT;
    a->i = ps->tok.i;
    break;
  case T_FLOAT:
    a->kind = IR_ATTR_FLOAT;
    a->f = ps->tok.f;
    break;
  case T_STRING:
    a->kind = IR_ATTR_STR;
    a->s = ir_strdup(ps->m, ps->tok.text);
    break;
  default:
    return perr(ps, "expected an integer, float or string");
  }
  return next(ps);
}

static ir_inst *lookup_value(parser *ps, const char *name) {
  for (int k = ps->n_vals - 1; k >= 0; k--)
    if (!strcmp(ps->val_names[k], name))
      return ps->vals[k];
  return NULL;
}

static bool define_value(parser *ps, ir_inst *v, const char *name) {
  if (lookup_value(ps, name))
    return perr(ps, "value %%%s defined twice", name);
  if (ps->n_vals == ps->cap_vals) {
    ps->cap_vals = ps->cap_vals ? ps->cap_vals * 2 : 64;
    ir_inst **nv = realloc(ps->vals, (size_t)ps->cap_vals * sizeof *nv);
    const char **nn = nv ? realloc(ps->val_names, (size_t)ps->cap_vals * sizeof *nn) : NULL;
    if (nv)
      ps->vals = nv;
    if (!nn)
      return perr(ps, "out of memory");
    ps->val_names = nn;
  }
  /* Numbered values (%12) are printer-made: keep them unnamed so the printer
   * numbers them afresh. */
  bool numeric = true;
  for (const char *c = name; *c; c++)
    numeric &= isdigit((unsigned char)*c) != 0;
  const char *copy = ir_strdup(ps->m, name);
  v->name = numeric ? NULL : copy;
  ps->vals[ps->n_vals] = v;
  ps->val_names[ps->n_vals++] = copy;
  return true;
}

static bool parse_inst(parser *ps, ir_func *f) {
  char result[512] = "";
  int line = ps->tok.line;
  if (ps->tok.kind == T_VALUE) {
    snprintf(result, sizeof result, "%s", ps->tok.text);
    if (!next(ps) || !expect_punct(ps, '='))
      return false;
  }
  ir_opcode op;
  if (ps->tok.kind != T_IDENT || !ir_op_from_name(ps->tok.text, &op))
    return perr(ps, "unknown operation '%s'", ps->tok.text);
  if (op == IR_OP_PARAM)
    return perr(ps, "'param' is written in the function signature");
  if (!next(ps))
    return false;
  ir_inst *inst = ir_inst_new(ps->m, op, ir_type_scalar(IR_F32), 0, NULL);
  inst->line = line;
  if (op == IR_OP_WEIGHT || op == IR_OP_CACHE) {
    if (ps->tok.kind != T_SYMBOL)
      return perr(ps, "expected @name after '%s'", ir_op_get(op)->name);
    inst->ref = op == IR_OP_WEIGHT ? ir_module_find_weight(ps->m, ps->tok.text)
                                   : ir_module_find_cache(ps->m, ps->tok.text);
    if (inst->ref < 0)
      return perr(ps, "unknown %s @%s", op == IR_OP_WEIGHT ? "weight" : "cache", ps->tok.text);
    if (!next(ps))
      return false;
  }
  while (ps->tok.kind == T_VALUE) {
    if (inst->n_operands == IR_MAX_OPERANDS)
      return perr(ps, "too many operands");
    ir_inst *v = lookup_value(ps, ps->tok.text);
    if (!v)
      return perr(ps, "use of undefined value %%%s", ps->tok.text);
    inst->operands[inst->n_operands++] = v;
    if (!next(ps))
      return false;
    if (!is_punct(ps, ','))
      break;
    if (!next(ps))
      return false;
    if (ps->tok.kind != T_VALUE)
      return perr(ps, "expected an operand after ','");
  }
  if (is_punct(ps, '{')) {
    if (!next(ps))
      return false;
    while (!is_punct(ps, '}')) {
      if (ps->tok.kind != T_IDENT)
        return perr(ps, "expected an attribute name");
      if (ir_attr_get(inst, ps->tok.text))
        return perr(ps, "attribute '%s' given twice", ps->tok.text);
      if (inst->n_attrs == IR_MAX_ATTRS)
        return perr(ps, "too many attributes");
      ir_attr *a = &inst->attrs[inst->n_attrs];
      a->key = ir_strdup(ps->m, ps->tok.text);
      if (!next(ps) || !expect_punct(ps, '=') || !parse_attr_value(ps, a))
        return false;
      inst->n_attrs++;
      if (is_punct(ps, ','))
        if (!next(ps))
          return false;
    }
    if (!next(ps))
      return false;
  }
  inst->has_result = op != IR_OP_RETURN;
  if (inst->has_result) {
    if (!*result)
      return perr(ps, "'%s' produces a value: write %%name = %s ...", ir_op_get(op)->name,
                  ir_op_get(op)->name);
    if (!expect_punct(ps, ':') || !parse_type(ps, &inst->type, true))
      return false;
    if (is_ident(ps, "arena")) {
      if (!next(ps) || !parse_int(ps, &inst->offset))
        return false;
    }
    if (!define_value(ps, inst, result))
      return false;
  } else if (*result) {
    return perr(ps, "'%s' produces no value", ir_op_get(op)->name);
  }
  ir_inst_append(f, inst);
  return true;
}

static bool parse_func(parser *ps) {
  if (ps->tok.kind != T_SYMBOL)
    return perr(ps, "expected @name after 'func'");
  if (ir_module_find_func(ps->m, ps->tok.text))
    return perr(ps, "function @%s defined twice", ps->tok.text);
  ir_func *f = ir_func_new(ps->m, ps->tok.text);
  if (!f)
    return perr(ps, "more than %d functions in one module", IR_MAX_FUNCS);
  ps->n_vals = 0;
  if (!next(ps) || !expect_punct(ps, '('))
    return false;
  while (!is_punct(ps, ')')) {
    if (ps->tok.kind != T_VALUE)
      return perr(ps, "expected a parameter %%name");
    char name[512];
    snprintf(name, sizeof name, "%s", ps->tok.text);
    ir_type t;
    if (!next(ps) || !expect_punct(ps, ':') || !parse_type(ps, &t, false))
      return false;
    ir_inst *p = ir_func_add_param(ps->m, f, name, t);
    if (!p)
      return perr(ps, "too many parameters");
    if (!define_value(ps, p, name))
      return false;
    if (is_punct(ps, ','))
      if (!next(ps))
        return false;
  }
  if (!next(ps) || !expect_punct(ps, '>') || !parse_type(ps, &f->result, false))
    return false;
  /* row batching: "batch B rows %n" */
  if (is_ident(ps, "batch")) {
    if (!next(ps) || !parse_int(ps, &f->batch))
      return false;
    if (f->batch <= 0)
      return perr(ps, "the batch size must be positive");
    if (!expect_ident(ps, "rows"))
      return false;
    if (ps->tok.kind != T_VALUE)
      return perr(ps, "expected the row-count parameter %%name after 'rows'");
    ir_inst *r = lookup_value(ps, ps->tok.text);
    if (!r)
      return perr(ps, "'rows' names %%%s, which is not a parameter", ps->tok.text);
    f->rows = r;
    if (!next(ps))
      return false;
  }
  if (!expect_punct(ps, '{'))
    return false;
  while (!is_punct(ps, '}')) {
    if (ps->tok.kind == T_EOF)
      return perr(ps, "unexpected end of input in function body");
    if (!parse_inst(ps, f))
      return false;
  }
  return next(ps);
}

/* An optional "offset N" at the end of a declaration. */
static bool parse_offset(parser *ps, int64_t *offset) {
  return !is_ident(ps, "offset") || (next(ps) && parse_int(ps, offset));
}

/* "weight @name : type STORAGE [offset N]" or "cache @name : type
 * [offset N]", the keyword being the current token. */
static bool parse_weight_or_cache(parser *ps) {
  const bool weight = is_ident(ps, "weight");
  const char *keyword = weight ? "weight" : "cache";
  if (!next(ps))
    return false;
  if (ps->tok.kind != T_SYMBOL)
    return perr(ps, "expected @name after '%s'", keyword);
  char name[512];
  snprintf(name, sizeof name, "%s", ps->tok.text);
  if ((weight ? ir_module_find_weight(ps->m, name) : ir_module_find_cache(ps->m, name)) >= 0)
    return perr(ps, "%s @%s declared twice", keyword, name);
  ir_type t;
  if (!next(ps) || !expect_punct(ps, ':') || !parse_type(ps, &t, false))
    return false;
  if (!weight) {
    int c = ir_module_add_cache(ps->m, name, t);
    return parse_offset(ps, &ps->m->caches[c].offset);
  }
  int64_t bytes = ir_type_bytes(&t);
  int64_t block = ir_dtype_get(t.dtype)->block_elems;
  if (bytes < 0 && t.rank > 0 && t.dims[t.rank - 1] % block != 0)
    return perr(ps, "weight @%s: the row length is not a multiple of the block size", name);
  if (bytes < 0)
    return perr(ps, "weight @%s: the size in bytes does not fit in 64 bits", name);
  int w = ir_module_add_weight(ps->m, name, t, NULL, (uint64_t)bytes);
  if (ps->tok.kind != T_IDENT)
    return perr(ps, "expected the weight's storage (e.g. gguf)");
  ps->m->weights[w].storage = ir_strdup(ps->m, ps->tok.text);
  return next(ps) && parse_offset(ps, &ps->m->weights[w].offset);
}

static bool parse_module_body(parser *ps) {
  while (!is_punct(ps, '}')) {
    if (is_ident(ps, "meta")) {
      if (!next(ps))
        return false;
      if (ps->tok.kind != T_IDENT)
        return perr(ps, "expected a metadata key");
      char key[512];
      snprintf(key, sizeof key, "%s", ps->tok.text);
      ir_attr a = {0};
      if (!next(ps) || !expect_punct(ps, '=') || !parse_attr_value(ps, &a))
        return false;
      if (a.kind == IR_ATTR_INT)
        ir_meta_set_int(ps->m, key, a.i);
      else if (a.kind == IR_ATTR_FLOAT)
        ir_meta_set_float(ps->m, key, a.f);
      else
        ir_meta_set_str(ps->m, key, a.s);
    } else if (is_ident(ps, "arena_bytes") || is_ident(ps, "weight_bytes")) {
      int64_t *dst = is_ident(ps, "arena_bytes") ? &ps->m->arena_bytes : &ps->m->weight_bytes;
      if (!next(ps) || !parse_int(ps, dst))
        return false;
    } else if (is_ident(ps, "weight") || is_ident(ps, "cache")) {
      if (!parse_weight_or_cache(ps))
        return false;
    } else if (is_ident(ps, "func")) {
      if (!next(ps) || !parse_func(ps))
        return false;
    } else if (ps->tok.kind == T_EOF) {
      return perr(ps, "unexpected end of input: missing '}'");
    } else {
      return perr(ps, "expected meta, weight, cache or func");
    }
  }
  return next(ps);
}

ir_module *ir_parse_module(const char *text, size_t len, const char *file, gqc_diag *d) {
  parser ps = {.src = text,
               .end = text + len,
               .p = text,
               .file = file ? file : "<input>",
               .line = 1,
               .col = 1,
               .d = d};
  if (!next(&ps))
    return NULL;
  if (!expect_ident(&ps, "module"))
    return NULL;
  if (ps.tok.kind != T_SYMBOL) {
    perr(&ps, "expected @name after 'module'");
    return NULL;
  }
  ps.m = ir_module_new(ps.tok.text);
  bool ok = next(&ps) && expect_punct(&ps, '{') && parse_module_body(&ps);
  if (ok && ps.tok.kind != T_EOF)
    ok = perr(&ps, "text after the end of the module");
  if (ok && !ps.m->n_funcs)
    ok = gqc_error(d, "%s: error: the module has no function", ps.file);
  free(ps.vals);
  free(ps.val_names);
  if (!ok) {
    ir_module_free(ps.m);
    return NULL;
  }
  return ps.m;
}

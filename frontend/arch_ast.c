/* arch_ast.c — allocation, constructors and small helpers for the syntax tree
 * of architecture descriptions (see arch_ast.h). */
#include "frontend/arch_ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/bump_alloc.h"
#include "support/xalloc.h"

arch_program *arch_program_new(const char *file) {
  arch_program *p = gqc_xcalloc(1, sizeof *p, "the description's syntax tree");
  p->file = arch_strndup(p, file ? file : "<arch>", strlen(file ? file : "<arch>"));
  return p;
}

void arch_program_free(arch_program *p) {
  if (!p)
    return;
  gqc_bump_free(p->arena);
  gqc_name_map_free(&p->names);
  free(p->decl_at);
  free(p);
}

void *arch_alloc(arch_program *p, size_t size) {
  return gqc_bump_alloc(&p->arena, size, 1u << 15, "the description's syntax tree", NULL);
}

char *arch_strndup(arch_program *p, const char *s, size_t n) {
  char *r = arch_alloc(p, n + 1);
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

bool arch_error(const arch_program *p, arch_loc loc, gqc_diag *d, const char *fmt, ...) {
  if (!d || d->failed)
    return false;
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (loc.line > 0)
    return gqc_error(d, "%s:%d:%d: error: %s", p->file, loc.line, loc.col, msg);
  return gqc_error(d, "%s: error: %s", p->file, msg);
}

arch_expr *arch_expr_new(arch_program *p, arch_expr_kind kind, arch_loc loc) {
  arch_expr *e = arch_alloc(p, sizeof *e);
  e->kind = kind;
  e->loc = loc;
  return e;
}

arch_stmt *arch_stmt_new(arch_program *p, arch_stmt_kind kind, arch_loc loc) {
  arch_stmt *s = arch_alloc(p, sizeof *s);
  s->kind = kind;
  s->loc = loc;
  return s;
}

arch_decl *arch_decl_new(arch_program *p, arch_decl_kind kind, arch_loc loc) {
  arch_decl *d = arch_alloc(p, sizeof *d);
  d->kind = kind;
  d->loc = loc;
  return d;
}

static bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

arch_str *arch_str_new(arch_program *p, const char *text, size_t len, arch_loc loc, gqc_diag *d) {
  arch_str *s = arch_alloc(p, sizeof *s);
  s->raw = arch_strndup(p, text, len);
  s->loc = loc;
  arch_strpart **tail = &s->parts;
  char *lit = arch_alloc(p, len + 1); /* literal run being collected */
  size_t n_lit = 0;
  /* Columns inside the literal are approximate when escapes were used: the
   * text here is already unescaped. +1 skips the opening quote. */
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    arch_loc at = {loc.line, loc.col + 1 + (int)i};
    if (c == '{' && i + 1 < len && text[i + 1] == '{') {
      lit[n_lit++] = '{';
      i++;
      continue;
    }
    if (c == '}' && i + 1 < len && text[i + 1] == '}') {
      lit[n_lit++] = '}';
      i++;
      continue;
    }
    if (c == '}') {
      arch_error(p, at, d, "unmatched '}' in string (write '}}' for a literal brace)");
      return NULL;
    }
    if (c != '{') {
      lit[n_lit++] = c;
      continue;
    }
    size_t j = i + 1;
    while (j < len && is_ident_char(text[j]))
      j++;
    if (j >= len || text[j] != '}' || j == i + 1 || !is_ident_start(text[i + 1])) {
      arch_error(p, at, d,
                 "'{' in a string must enclose a name, as in \"blk.{l}.attn_q.weight\" "
                 "(write '{{' for a literal brace)");
      return NULL;
    }
    if (n_lit) {
      arch_strpart *part = arch_alloc(p, sizeof *part);
      part->text = arch_strndup(p, lit, n_lit);
      *tail = part;
      tail = &part->next;
      n_lit = 0;
    }
    arch_strpart *part = arch_alloc(p, sizeof *part);
    part->is_ident = true;
    part->text = arch_strndup(p, text + i + 1, j - i - 1);
    part->loc = (arch_loc){loc.line, loc.col + 2 + (int)i};
    *tail = part;
    tail = &part->next;
    s->interpolated = true;
    i = j;
  }
  if (n_lit || !s->parts) {
    arch_strpart *part = arch_alloc(p, sizeof *part);
    part->text = arch_strndup(p, lit, n_lit);
    *tail = part;
  }
  return s;
}

const char *arch_type_set_str(unsigned types, char *buf, size_t size) {
  static const char *names[] = {"int",   "float",   "bool",   "str",
                                "int[]", "float[]", "bool[]", "str[]"};
  size_t n = 0;
  buf[0] = 0;
  for (int k = 0; k < 8; k++) {
    if (!(types & (1u << k)))
      continue;
    int w = snprintf(buf + n, size - n, "%s%s", n ? " | " : "", names[k]);
    if (w < 0 || (size_t)w >= size - n)
      break;
    n += (size_t)w;
  }
  return buf;
}

/* The declarations arch_find_decl finds: those that define a value. */
static bool defines_a_name(const arch_decl *d) {
  return d->name && d->kind != AD_META && d->kind != AD_ARCH && d->kind != AD_GRAPH;
}

void arch_program_index(arch_program *p) {
  p->n_decls = 0;
  for (arch_decl *d = p->decls; d; d = d->next)
    d->ordinal = p->n_decls++;
  p->decl_at =
      gqc_xcalloc((size_t)p->n_decls + 1, sizeof *p->decl_at, "the description's declarations");
  for (arch_decl *d = p->decls; d; d = d->next) {
    p->decl_at[d->ordinal] = d;
    if (defines_a_name(d) && gqc_name_map_get(&p->names, d->name) < 0)
      gqc_name_map_put(&p->names, d->name, d->ordinal);
  }
}

const arch_decl *arch_find_decl(const arch_program *p, const char *name) {
  int k = gqc_name_map_get(&p->names, name);
  return k >= 0 ? p->decl_at[k] : NULL;
}

const char *arch_op_str(int op) {
  switch (op) {
  case AOP_EQ:
    return "==";
  case AOP_NE:
    return "!=";
  case AOP_LE:
    return "<=";
  case AOP_GE:
    return ">=";
  case AOP_AND:
    return "and";
  case AOP_OR:
    return "or";
  case AOP_NOT:
    return "not";
  case '+':
    return "+";
  case '-':
    return "-";
  case '*':
    return "*";
  case '/':
    return "/";
  case '%':
    return "%";
  case '<':
    return "<";
  case '>':
    return ">";
  default:
    return "?";
  }
}

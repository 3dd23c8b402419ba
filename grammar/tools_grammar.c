/* tools_grammar.c — function declarations (the tools JSON the FunctionGemma
 * sample reads) to the GBNF of one valid call in FunctionGemma's format:
 *
 *   <start_function_call>call:NAME{key:value,...}<end_function_call>
 *
 * NAME is one of the declared functions; the arguments are that function's
 * properties in the template's order (by name, case-insensitively), every
 * required one present, optional ones optional, no others. Values follow
 * the property's schema the way the template's format_argument writes
 * them: strings <escape>text<escape> (text without '<' or control
 * characters, minLength..maxLength characters, default at most
 * GQC_TOOLS_DEFAULT_MAX_LENGTH), an enum one of its strings, integers
 * without leading zeros (at most GQC_TOOLS_MAX_DIGITS digits), numbers with
 * up to 6 fraction digits, true/false, arrays [a,b] of minItems..maxItems
 * items (default at most GQC_TOOLS_DEFAULT_MAX_ITEMS), objects {k:v} by the
 * same rules. Everything is bounded, so every call closes within a known
 * number of tokens. No whitespace is generated.
 *
 * The JSON is read by the sample's own strict reader (json.c); errors are
 * "file:line:col: message" at the offending value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/grammar.h"
#include "json.h"
#include "prompt.h"
#include "support/strbuf.h"

enum { TOOLS_MAX_NODES = 1 << 16, TOOLS_ARENA = 1 << 20, TOOLS_MAX_PROPS = 64 };

/* s[0..n) as a GBNF literal. */
static void put_literal(gqc_strbuf *o, const char *s, size_t n) {
  gqc_strbuf_printf(o, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      gqc_strbuf_printf(o, "\\%c", c);
    else if (c < 0x20 || c == 0x7F)
      gqc_strbuf_printf(o, "\\x%02X", c);
    else
      gqc_strbuf_printf(o, "%c", c);
  }
  gqc_strbuf_printf(o, "\"");
}

typedef struct ctx {
  const char *file, *text;
  size_t len;
  json_doc doc;
  gqc_diag *d;
  gqc_strbuf o;
} ctx;

static bool at_error(ctx *c, const json_value *v, const char *fmt, ...) {
  size_t line = 1, col = 1, at = v ? v->offset : 0;
  for (size_t i = 0; i < at && i < c->len; i++) {
    if (c->text[i] == '\n')
      line++, col = 1;
    else if (((unsigned char)c->text[i] & 0xC0) != 0x80)
      col++;
  }
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return gqc_error(c->d, "%s:%zu:%zu: %s", c->file, line, col, msg);
}

/* A non-negative integer member (or dflt when absent). */
static bool count_of(ctx *c, const json_value *schema, const char *key, int64_t dflt, int64_t hi,
                     int64_t *v) {
  const json_value *m = json_get(&c->doc, schema, key);
  *v = dflt;
  if (!m)
    return true;
  if (m->type != JSON_NUMBER || !m->is_integer || m->number < 0 || m->number > (double)hi)
    return at_error(c, m, "'%s' must be an integer in [0, %lld]", key, (long long)hi);
  *v = (int64_t)m->number;
  return true;
}

/* The bounds "min<what>" (default 0) and "max<what>" (default dflt_max) of
 * a string's length or an array's items: each in [0, limit], max not below
 * min. */
static bool count_range(ctx *c, const json_value *schema, const char *what, int64_t dflt_max,
                        int64_t limit, int64_t *lo, int64_t *hi) {
  char min_key[32], max_key[32];
  snprintf(min_key, sizeof min_key, "min%s", what);
  snprintf(max_key, sizeof max_key, "max%s", what);
  if (!count_of(c, schema, min_key, 0, limit, lo) ||
      !count_of(c, schema, max_key, dflt_max, limit, hi))
    return false;
  if (*hi < *lo)
    return at_error(c, schema, "%s is below %s", max_key, min_key);
  return true;
}

static bool is_bare_key(const char *k, size_t n) {
  if (!n || strstr(k, "<") || k[0] == ' ' || k[n - 1] == ' ')
    return false;
  for (size_t i = 0; i < n; i++)
    if (strchr(":,{}[]\t\n\r\f\v", k[i]) || k[i] == 0)
      return false;
  return true;
}

static bool value_expr(ctx *c, const json_value *schema, int depth);

static int key_cmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = (unsigned char)*a, y = (unsigned char)*b;
    x = x >= 'A' && x <= 'Z' ? x + 32 : x;
    y = y >= 'A' && y <= 'Z' ? y + 32 : y;
    if (x != y || !x)
      return x - y;
  }
}

/* "{" members "}" of an object schema. */
static bool object_expr(ctx *c, const json_value *schema, int depth) {
  const json_value *props = json_get(&c->doc, schema, "properties");
  const json_value *req = json_get(&c->doc, schema, "required");
  if (props && props->type != JSON_OBJECT)
    return at_error(c, props, "'properties' must be an object");
  if (req && req->type != JSON_ARRAY)
    return at_error(c, req, "'required' must be an array of property names");
  const json_value *p[TOOLS_MAX_PROPS];
  bool required[TOOLS_MAX_PROPS] = {0};
  int n = 0;
  for (const json_value *m = props ? json_first(&c->doc, props) : NULL; m;
       m = json_next(&c->doc, m)) {
    if (n == TOOLS_MAX_PROPS)
      return at_error(c, m, "more than %d properties", TOOLS_MAX_PROPS);
    if (!is_bare_key(m->key, m->key_len))
      return at_error(c, m,
                      "property name '%s' cannot be written in a call (empty, or holds "
                      "':,{}[]<', a control character or outer spaces)",
                      m->key);
    int i = n++; /* insertion sort: the template's order */
    while (i > 0 && key_cmp(p[i - 1]->key, m->key) > 0) {
      p[i] = p[i - 1];
      i--;
    }
    p[i] = m;
  }
  for (const json_value *r = req ? json_first(&c->doc, req) : NULL; r; r = json_next(&c->doc, r)) {
    int k = 0;
    while (k < n && !(r->type == JSON_STRING && !strcmp(p[k]->key, r->str)))
      k++;
    if (k == n)
      return at_error(c, r, "required property %s%s%s is not among the properties",
                      r->type == JSON_STRING ? "'" : "", r->type == JSON_STRING ? r->str : "?",
                      r->type == JSON_STRING ? "'" : "");
    required[k] = true;
  }
  int first_required = 0;
  while (first_required < n && !required[first_required])
    first_required++;
  gqc_strbuf_printf(&c->o, "\"{\" (");
  bool any = false;
  if (first_required == n) { /* no required property: nothing at all is fine */
    gqc_strbuf_printf(&c->o, "\"\"");
    any = true;
  }
  /* the first property written is k (none before it is required), then
   * every later one: required ones always, optional ones optionally */
  for (int k = 0; k < n && k <= first_required; k++) {
    gqc_strbuf_printf(&c->o, "%s(", any ? " | " : "");
    any = true;
    for (int j = k; j < n; j++) {
      if (j > k)
        gqc_strbuf_printf(&c->o, required[j] ? " \",\" " : " (\",\" ");
      put_literal(&c->o, p[j]->key, p[j]->key_len);
      gqc_strbuf_printf(&c->o, " \":\" ");
      if (!value_expr(c, p[j], depth + 1))
        return false;
      if (j > k && !required[j])
        gqc_strbuf_printf(&c->o, ")?");
    }
    gqc_strbuf_printf(&c->o, ")");
  }
  gqc_strbuf_printf(&c->o, ") \"}\"");
  return true;
}

static bool value_expr(ctx *c, const json_value *schema, int depth) {
  if (depth > GQC_TOOLS_MAX_DEPTH)
    return at_error(c, schema, "schema nested deeper than %d levels", GQC_TOOLS_MAX_DEPTH);
  if (schema->type != JSON_OBJECT)
    return at_error(c, schema, "a schema must be an object");
  const json_value *type = json_get(&c->doc, schema, "type");
  const json_value *en = json_get(&c->doc, schema, "enum");
  if (type && type->type != JSON_STRING)
    return at_error(c, type, "'type' must be one string (unions are not supported)");
  const char *t = type ? type->str : en ? "string" : NULL;
  if (!t)
    return at_error(c, schema, "the schema has no 'type'");
  if (en) {
    if (strcmp(t, "string"))
      return at_error(c, en, "'enum' is supported on strings only");
    if (en->type != JSON_ARRAY || !en->count)
      return at_error(c, en, "'enum' must be a non-empty array of strings");
    gqc_strbuf_printf(&c->o, "<escape> (");
    for (const json_value *e = json_first(&c->doc, en); e; e = json_next(&c->doc, e)) {
      if (e->type != JSON_STRING || memchr(e->str, '<', e->len) || !e->len)
        return at_error(c, e, "an enum value must be a non-empty string without '<'");
      gqc_strbuf_printf(&c->o, "%s", e == json_first(&c->doc, en) ? "" : " | ");
      put_literal(&c->o, e->str, e->len);
    }
    gqc_strbuf_printf(&c->o, ") <escape>");
    return true;
  }
  if (!strcmp(t, "string")) {
    int64_t lo, hi;
    if (!count_range(c, schema, "Length", GQC_TOOLS_DEFAULT_MAX_LENGTH, 4096, &lo, &hi))
      return false;
    gqc_strbuf_printf(&c->o, "<escape> [^<\\x00-\\x1F\\x7F]{%lld,%lld} <escape>", (long long)lo,
                      (long long)hi);
  } else if (!strcmp(t, "integer")) {
    gqc_strbuf_printf(&c->o, "(\"-\"? ([0-9] | [1-9] [0-9]{1,%d}))", GQC_TOOLS_MAX_DIGITS - 1);
  } else if (!strcmp(t, "number")) {
    gqc_strbuf_printf(&c->o, "(\"-\"? ([0-9] | [1-9] [0-9]{1,%d}) (\".\" [0-9]{1,6})?)",
                      GQC_TOOLS_MAX_DIGITS - 1);
  } else if (!strcmp(t, "boolean")) {
    gqc_strbuf_printf(&c->o, "(\"true\" | \"false\")");
  } else if (!strcmp(t, "array")) {
    const json_value *items = json_get(&c->doc, schema, "items");
    if (!items)
      return at_error(c, schema, "an array schema needs 'items'");
    int64_t lo, hi;
    if (!count_range(c, schema, "Items", GQC_TOOLS_DEFAULT_MAX_ITEMS, 64, &lo, &hi))
      return false;
    gqc_strbuf_printf(&c->o, "\"[\" ");
    if (hi > 0) {
      gqc_strbuf_printf(&c->o, "(");
      if (!value_expr(c, items, depth + 1))
        return false;
      gqc_strbuf_printf(&c->o, " (\",\" ");
      if (!value_expr(c, items, depth + 1))
        return false;
      gqc_strbuf_printf(&c->o, "){%lld,%lld})%s", (long long)(lo > 1 ? lo - 1 : 0),
                        (long long)(hi - 1), lo == 0 ? "?" : "");
    }
    gqc_strbuf_printf(&c->o, " \"]\"");
  } else if (!strcmp(t, "object")) {
    return object_expr(c, schema, depth);
  } else {
    return at_error(c, type,
                    "unsupported type '%s' (string, integer, number, boolean, array, "
                    "object)",
                    t);
  }
  return true;
}

static bool is_name_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_' || ch == '-' || ch == '.';
}

static bool tools_expr(ctx *c, int32_t tools) {
  const json_value *arr = json_at(&c->doc, tools);
  if (!arr->count)
    return at_error(c, arr, "no tools are declared");
  gqc_strbuf_printf(&c->o, "root ::= <start_function_call> \"call:\" (\n");
  for (const json_value *tool = json_first(&c->doc, arr); tool; tool = json_next(&c->doc, tool)) {
    const json_value *fn = tool->type == JSON_OBJECT ? json_get(&c->doc, tool, "function") : NULL;
    if (!fn || fn->type != JSON_OBJECT)
      return at_error(c, tool, "a tool must be an object with a \"function\" object");
    const json_value *name = json_get(&c->doc, fn, "name");
    if (!name || name->type != JSON_STRING || !name->len)
      return at_error(c, fn, "the function needs a non-empty string \"name\"");
    for (uint32_t i = 0; i < name->len; i++)
      if (!is_name_char(name->str[i]))
        return at_error(c, name, "function name '%s': only letters, digits, '_', '-' and '.'",
                        name->str);
    const json_value *params = json_get(&c->doc, fn, "parameters");
    gqc_strbuf_printf(&c->o, "    %s", tool == json_first(&c->doc, arr) ? "  " : "| ");
    put_literal(&c->o, name->str, name->len);
    gqc_strbuf_printf(&c->o, " ");
    if (params) {
      if (!object_expr(c, params, 0))
        return false;
    } else {
      gqc_strbuf_printf(&c->o, "\"{}\"");
    }
    gqc_strbuf_printf(&c->o, "\n");
  }
  gqc_strbuf_printf(&c->o, ") <end_function_call>\n");
  return true;
}

char *gqc_tools_to_gbnf(const char *text, size_t len, const char *file, gqc_diag *d) {
  ctx c = {.file = file, .text = text, .len = len, .d = d};
  json_value *nodes = malloc(TOOLS_MAX_NODES * sizeof *nodes);
  char *arena = malloc(TOOLS_ARENA);
  if (!nodes || !arena) {
    free(nodes);
    free(arena);
    gqc_error(d, "%s: out of memory", file);
    return NULL;
  }
  json_doc_init(&c.doc, nodes, TOOLS_MAX_NODES, arena, TOOLS_ARENA);
  int32_t root = json_parse(&c.doc, text, len), tools = -1;
  char err[200];
  bool ok;
  if (root < 0) {
    json_value at = {.offset = (uint32_t)c.doc.error_offset};
    const char *msg = strstr(c.doc.error, "): ");
    ok = at_error(&c, &at, "%s", msg ? msg + 3 : c.doc.error);
  } else if ((tools = fg_tools_array(&c.doc, root, err, sizeof err)) < 0) {
    ok = at_error(&c, json_at(&c.doc, root), "%s", err);
  } else {
    ok = tools_expr(&c, tools);
  }
  if (ok && c.o.oom)
    ok = gqc_error(d, "%s: out of memory", file);
  free(nodes);
  free(arena);
  if (!ok) {
    free(c.o.s);
    return NULL;
  }
  return c.o.s;
}

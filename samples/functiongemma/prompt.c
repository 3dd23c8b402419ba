/* prompt.c — FunctionGemma's chat template, rendered in C (see prompt.h).
 *
 * The model only calls functions reliably when its prompt is byte for byte
 * what it was trained on, so this file mirrors the Jinja template shipped in
 * the model's tokenizer.chat_template rather than inventing a format. The
 * template's pieces, and how each is reproduced here:
 *
 *   format_function_declaration(tool)
 *     declaration:NAME{description:<escape>DESC<escape>
 *     then, if parameters is non-empty:
 *       ,parameters:{ [properties:{...},] [required:[<escape>r<escape>,...],]
 *                     [type:<escape>TYPE<escape>}]
 *     then a final }.
 *     (As in the template, a parameters object without "type" leaves the
 *     trailing comma and never closes its brace; real tools always have
 *     "type": "object".)
 *
 *   format_parameters(properties) — for each property in dictsort order
 *     (keys compared case-insensitively, ties kept in file order), skipping
 *     the keys description/type/properties/required/nullable:
 *       KEY:{description:<escape>DESC<escape>
 *            [,enum:[...]]                          when type is STRING
 *            [,properties:{...}[,required:[...]]]   when type is OBJECT
 *            [,items:{...}]                         when type is ARRAY
 *            ,type:<escape>TYPE<escape>}
 *     with TYPE upper-cased and properties separated by commas.
 *
 *   format_argument(value) — strings as <escape>s<escape>, booleans as
 *     true/false, numbers as Python prints them (1, 2.5, 1e-05), None for
 *     null, objects as {<escape>key<escape>:value,...} in dictsort order,
 *     arrays as [a,b].
 *
 * Anything the template prints with plain {{ }} (a description, a required
 * entry) is a Python str(): numbers as above, True/False/None, and simple
 * lists and dicts in Python's repr. Values whose Python repr this file does
 * not reproduce (strings with quotes or backslashes inside a list) are
 * rejected with an error rather than rendered differently.
 */
#include "prompt.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { MAX_SORTED_MEMBERS = 256, MAX_SCHEMA_DEPTH = 16 };

typedef struct out {
  char *buf;
  size_t cap, n;
  bool failed;
  char *err;
  size_t errlen;
} out;

static void oerror(out *o, const char *fmt, ...) {
  if (o->failed)
    return;
  o->failed = true;
  va_list ap;
  va_start(ap, fmt);
  if (o->err && o->errlen)
    vsnprintf(o->err, o->errlen, fmt, ap);
  va_end(ap);
}

static void put(out *o, const char *s, size_t n) {
  if (o->failed)
    return;
  if (n >= o->cap - o->n) {
    oerror(o, "the prompt is longer than %zu bytes", o->cap - 1);
    return;
  }
  memcpy(o->buf + o->n, s, n);
  o->n += n;
  o->buf[o->n] = '\0';
}

static void puts_(out *o, const char *s) {
  put(o, s, strlen(s));
}

/* Text that goes into the prompt must not hold a NUL (the tokenizer reads a
 * C string). */
static void put_text(out *o, const char *s, size_t n) {
  if (memchr(s, '\0', n)) {
    oerror(o, "a string contains U+0000, which cannot be part of the prompt");
    return;
  }
  put(o, s, n);
}

static void put_upper(out *o, const char *s, size_t n) {
  for (size_t i = 0; i < n && !o->failed; i++) {
    char c = s[i];
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    put(o, &c, 1);
  }
}

/* ---- Python's str() and truthiness ---------------------------------------- */

static bool truthy(const json_value *v) {
  if (!v)
    return false;
  switch (v->type) {
  case JSON_NULL:
    return false;
  case JSON_BOOL:
    return v->boolean;
  case JSON_NUMBER:
    return v->number != 0;
  case JSON_STRING:
    return v->len > 0;
  case JSON_ARRAY:
  case JSON_OBJECT:
    return v->count > 0;
  }
  return false;
}

/* A number as Python prints the value json.loads gives for it. */
static void put_py_number(out *o, const json_value *v) {
  if (v->is_integer) {
    if (v->len == 2 && v->str[0] == '-' && v->str[1] == '0')
      puts_(o, "0"); /* int("-0") is 0 */
    else
      put(o, v->str, v->len);
    return;
  }
  char buf[40];
  if (json_format_double(v->number, buf, sizeof buf) < 0)
    oerror(o, "cannot format a number");
  else
    puts_(o, buf);
}

static void put_py_repr(out *o, const json_doc *d, const json_value *v, int depth);

/* Python's str(v). */
static void put_py_str(out *o, const json_doc *d, const json_value *v, int depth) {
  if (v->type == JSON_STRING)
    put_text(o, v->str, v->len);
  else
    put_py_repr(o, d, v, depth);
}

/* Python's repr(v), for the values whose repr is easy to get right. */
static void put_py_repr(out *o, const json_doc *d, const json_value *v, int depth) {
  if (depth > MAX_SCHEMA_DEPTH) {
    oerror(o, "a value is nested deeper than %d levels", MAX_SCHEMA_DEPTH);
    return;
  }
  switch (v->type) {
  case JSON_NULL:
    puts_(o, "None");
    break;
  case JSON_BOOL:
    puts_(o, v->boolean ? "True" : "False");
    break;
  case JSON_NUMBER:
    put_py_number(o, v);
    break;
  case JSON_STRING:
    for (uint32_t i = 0; i < v->len; i++) {
      unsigned char c = (unsigned char)v->str[i];
      if (c == '\'' || c == '\\' || c < 0x20 || c >= 0x7F) {
        oerror(o, "unsupported value: a string with quotes, backslashes, control or non-ASCII "
                  "characters inside a list or object where the template prints Python's repr");
        return;
      }
    }
    puts_(o, "'");
    put(o, v->str, v->len);
    puts_(o, "'");
    break;
  case JSON_ARRAY:
  case JSON_OBJECT: {
    bool obj = v->type == JSON_OBJECT;
    puts_(o, obj ? "{" : "[");
    for (const json_value *c = json_first(d, v); c; c = json_next(d, c)) {
      if (c != json_first(d, v))
        puts_(o, ", ");
      if (obj) {
        json_value key = {.type = JSON_STRING, .str = c->key, .len = c->key_len};
        put_py_repr(o, d, &key, depth + 1);
        puts_(o, ": ");
      }
      put_py_repr(o, d, c, depth + 1);
    }
    puts_(o, obj ? "}" : "]");
    break;
  }
  }
}

/* upper(str(v)), or "" when v is absent (Jinja's undefined). */
static void put_py_upper(out *o, const json_doc *d, const json_value *v) {
  if (!v)
    return;
  char tmp[256];
  out t = {tmp, sizeof tmp, 0, false, o->err, o->errlen};
  tmp[0] = '\0';
  put_py_str(&t, d, v, 0);
  if (t.failed) {
    o->failed = true;
    return;
  }
  put_upper(o, tmp, t.n);
}

/* True when upper(str(v)) equals `want`. */
static bool type_is(const json_doc *d, const json_value *v, const char *want) {
  if (!v)
    return false;
  char tmp[256];
  out t = {tmp, sizeof tmp, 0, false, NULL, 0};
  tmp[0] = '\0';
  put_py_str(&t, d, v, 0);
  if (t.failed || t.n != strlen(want))
    return false;
  for (size_t i = 0; i < t.n; i++) {
    char c = tmp[i];
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    if (c != want[i])
      return false;
  }
  return true;
}

/* ---- dictsort ------------------------------------------------------------ */

static int key_cmp_nocase(const json_value *a, const json_value *b) {
  uint32_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
  for (uint32_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a->key[i], y = (unsigned char)b->key[i];
    if (x >= 'A' && x <= 'Z')
      x = (unsigned char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (unsigned char)(y - 'A' + 'a');
    if (x != y)
      return x < y ? -1 : 1;
  }
  return a->key_len < b->key_len ? -1 : a->key_len > b->key_len ? 1 : 0;
}

/* The members of obj in Jinja dictsort order (stable insertion sort).
 * Returns the count, or -1 (error in o) for too many members. */
static int sorted_members(out *o, const json_doc *d, const json_value *obj, const json_value **m) {
  int n = 0;
  for (const json_value *c = json_first(d, obj); c; c = json_next(d, c)) {
    if (n == MAX_SORTED_MEMBERS) {
      oerror(o, "an object has more than %d members", MAX_SORTED_MEMBERS);
      return -1;
    }
    int i = n++;
    while (i > 0 && key_cmp_nocase(m[i - 1], c) > 0) {
      m[i] = m[i - 1];
      i--;
    }
    m[i] = c;
  }
  return n;
}

/* ---- the template's macros ----------------------------------------------- */

static void put_escaped(out *o, const char *s, size_t n) {
  puts_(o, FG_ESCAPE);
  put_text(o, s, n);
  puts_(o, FG_ESCAPE);
}

/* format_argument(argument, escape_keys) */
static void format_argument(out *o, const json_doc *d, const json_value *v, bool escape_keys,
                            int depth) {
  if (depth > MAX_SCHEMA_DEPTH) {
    oerror(o, "a value is nested deeper than %d levels", MAX_SCHEMA_DEPTH);
    return;
  }
  switch (v->type) {
  case JSON_STRING:
    put_escaped(o, v->str, v->len);
    break;
  case JSON_BOOL:
    puts_(o, v->boolean ? "true" : "false");
    break;
  case JSON_OBJECT: {
    const json_value *m[MAX_SORTED_MEMBERS];
    int n = sorted_members(o, d, v, m);
    puts_(o, "{");
    for (int i = 0; i < n; i++) {
      if (i)
        puts_(o, ",");
      if (escape_keys)
        put_escaped(o, m[i]->key, m[i]->key_len);
      else
        put_text(o, m[i]->key, m[i]->key_len);
      puts_(o, ":");
      format_argument(o, d, m[i], escape_keys, depth + 1);
    }
    puts_(o, "}");
    break;
  }
  case JSON_ARRAY:
    puts_(o, "[");
    for (const json_value *c = json_first(d, v); c; c = json_next(d, c)) {
      if (c != json_first(d, v))
        puts_(o, ",");
      format_argument(o, d, c, escape_keys, depth + 1);
    }
    puts_(o, "]");
    break;
  case JSON_NUMBER:
  case JSON_NULL:
    put_py_str(o, d, v, depth);
    break;
  }
}

/* required:[<escape>a<escape>,<escape>b<escape>] */
static void format_required(out *o, const json_doc *d, const json_value *req) {
  puts_(o, "required:[");
  if (req->type == JSON_ARRAY) {
    for (const json_value *c = json_first(d, req); c; c = json_next(d, c)) {
      if (c != json_first(d, req))
        puts_(o, ",");
      puts_(o, FG_ESCAPE);
      put_py_str(o, d, c, 0);
      puts_(o, FG_ESCAPE);
    }
  } else {
    oerror(o, "\"required\" must be an array of property names");
  }
  puts_(o, "]");
}

static bool is_standard_key(const json_value *m) {
  static const char *const keys[] = {"description", "type", "properties", "required", "nullable"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (m->key_len == strlen(keys[i]) && memcmp(m->key, keys[i], m->key_len) == 0)
      return true;
  return false;
}

static void format_parameters(out *o, const json_doc *d, const json_value *props, int depth);

/* ,items:{...} for an ARRAY property. */
static void format_items(out *o, const json_doc *d, const json_value *items, int depth) {
  const json_value *m[MAX_SORTED_MEMBERS];
  int n = sorted_members(o, d, items, m);
  bool first = true;
  puts_(o, ",items:{");
  for (int i = 0; i < n; i++) {
    const json_value *iv = m[i];
    if (iv->type == JSON_NULL)
      continue; /* {%- if item_value is not none -%} */
    if (!first)
      puts_(o, ",");
    first = false;
    if (iv->key_len == 10 && memcmp(iv->key, "properties", 10) == 0) {
      puts_(o, "properties:{");
      if (iv->type == JSON_OBJECT)
        format_parameters(o, d, iv, depth + 1);
      puts_(o, "}");
    } else if (iv->key_len == 8 && memcmp(iv->key, "required", 8) == 0) {
      format_required(o, d, iv);
    } else if (iv->key_len == 4 && memcmp(iv->key, "type", 4) == 0) {
      puts_(o, "type:");
      if (iv->type == JSON_STRING) {
        puts_(o, FG_ESCAPE);
        put_upper(o, iv->str, iv->len);
        puts_(o, FG_ESCAPE);
      } else if (iv->type == JSON_ARRAY) {
        puts_(o, "[");
        for (const json_value *c = json_first(d, iv); c; c = json_next(d, c)) {
          if (c != json_first(d, iv))
            puts_(o, ",");
          puts_(o, FG_ESCAPE);
          put_py_upper(o, d, c);
          puts_(o, FG_ESCAPE);
        }
        puts_(o, "]");
      } else {
        oerror(o, "an items \"type\" must be a string or an array of strings");
      }
    } else {
      put_text(o, iv->key, iv->key_len);
      puts_(o, ":");
      format_argument(o, d, iv, true, depth + 1);
    }
  }
  puts_(o, "}");
}

/* format_parameters(properties, required) */
static void format_parameters(out *o, const json_doc *d, const json_value *props, int depth) {
  if (depth > MAX_SCHEMA_DEPTH) {
    oerror(o, "the parameter schema is nested deeper than %d levels", MAX_SCHEMA_DEPTH);
    return;
  }
  const json_value *m[MAX_SORTED_MEMBERS];
  int n = sorted_members(o, d, props, m);
  bool first = true;
  for (int i = 0; i < n && !o->failed; i++) {
    const json_value *value = m[i];
    if (is_standard_key(value))
      continue;
    if (!first)
      puts_(o, ",");
    first = false;
    /* value['x'] is undefined ("") unless value is an object holding x. */
    bool is_obj = value->type == JSON_OBJECT;
    const json_value *desc = is_obj ? json_get(d, value, "description") : NULL;
    const json_value *type = is_obj ? json_get(d, value, "type") : NULL;
    put_text(o, value->key, value->key_len);
    puts_(o, ":{description:" FG_ESCAPE);
    if (desc)
      put_py_str(o, d, desc, depth);
    puts_(o, FG_ESCAPE);
    if (type_is(d, type, "STRING")) {
      const json_value *en = json_get(d, value, "enum");
      if (truthy(en)) {
        puts_(o, ",enum:");
        format_argument(o, d, en, true, depth + 1);
      }
    } else if (type_is(d, type, "OBJECT")) {
      const json_value *sub = json_get(d, value, "properties");
      puts_(o, ",properties:{");
      if (sub && sub->type == JSON_OBJECT)
        format_parameters(o, d, sub, depth + 1);
      puts_(o, "}");
      const json_value *req = json_get(d, value, "required");
      if (truthy(req)) {
        puts_(o, ",");
        format_required(o, d, req);
      }
    } else if (type_is(d, type, "ARRAY")) {
      const json_value *items = json_get(d, value, "items");
      if (items && items->type == JSON_OBJECT && items->count > 0)
        format_items(o, d, items, depth);
    }
    puts_(o, ",type:" FG_ESCAPE);
    put_py_upper(o, d, type);
    puts_(o, FG_ESCAPE "}");
  }
}

/* format_function_declaration(tool_data), checking the tool's shape. */
static void format_declaration(out *o, const json_doc *d, const json_value *tool) {
  const json_value *fn = json_get(d, tool, "function");
  if (!tool || tool->type != JSON_OBJECT || !fn || fn->type != JSON_OBJECT) {
    oerror(o, "a tool must be an object {\"type\": \"function\", \"function\": {...}}");
    return;
  }
  const json_value *name = json_get(d, fn, "name");
  if (!name || name->type != JSON_STRING || name->len == 0) {
    oerror(o, "a tool's \"function\" needs a non-empty string \"name\"");
    return;
  }
  const json_value *desc = json_get(d, fn, "description");
  const json_value *params = json_get(d, fn, "parameters");
  puts_(o, "declaration:");
  put_text(o, name->str, name->len);
  puts_(o, "{description:" FG_ESCAPE);
  if (desc)
    put_py_str(o, d, desc, 0);
  puts_(o, FG_ESCAPE);
  if (truthy(params)) {
    if (params->type != JSON_OBJECT) {
      oerror(o, "function \"%s\": \"parameters\" must be an object", name->str);
      return;
    }
    puts_(o, ",parameters:{");
    const json_value *props = json_get(d, params, "properties");
    if (truthy(props)) {
      if (props->type != JSON_OBJECT) {
        oerror(o, "function \"%s\": \"properties\" must be an object", name->str);
        return;
      }
      puts_(o, "properties:{");
      format_parameters(o, d, props, 0);
      puts_(o, "},");
    }
    const json_value *req = json_get(d, params, "required");
    if (truthy(req)) {
      format_required(o, d, req);
      puts_(o, ",");
    }
    const json_value *type = json_get(d, params, "type");
    if (truthy(type)) {
      puts_(o, "type:" FG_ESCAPE);
      put_py_upper(o, d, type);
      puts_(o, FG_ESCAPE "}");
    }
  }
  puts_(o, "}");
}

/* ---- whole prompt -------------------------------------------------------- */

/* Length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t seq_len(unsigned char c) {
  return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The code point of the well-formed-enough sequence at s (k bytes). */
static unsigned code_point(const unsigned char *s, size_t k) {
  if (k == 1)
    return s[0];
  unsigned cp = s[0] & (0x7Fu >> k);
  for (size_t i = 1; i < k; i++)
    cp = (cp << 6) | (s[i] & 0x3Fu);
  return cp;
}

/* Python's str.isspace() for one code point. */
static bool py_space(unsigned cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* s[*b..*e) stripped of leading and trailing whitespace as str.strip() does. */
static void py_strip(const char *s, size_t *b, size_t *e) {
  const unsigned char *u = (const unsigned char *)s;
  while (*b < *e) {
    size_t k = seq_len(u[*b]);
    if (k > *e - *b || !py_space(code_point(u + *b, k)))
      break;
    *b += k;
  }
  while (*e > *b) {
    size_t start = *e - 1;
    while (start > *b && (u[start] & 0xC0) == 0x80 && *e - start < 4)
      start--;
    size_t k = seq_len(u[start]);
    if (k != *e - start || !py_space(code_point(u + start, k)))
      break;
    *e = start;
  }
}

static void put_stripped(out *o, const char *s) {
  size_t b = 0, e = strlen(s);
  py_strip(s, &b, &e);
  put(o, s + b, e - b);
}

int32_t fg_tools_array(const json_doc *doc, int32_t root, char *err, size_t errlen) {
  const json_value *r = json_at(doc, root);
  if (r && r->type == JSON_ARRAY)
    return root;
  const json_value *t = r && r->type == JSON_OBJECT ? json_get(doc, r, "tools") : NULL;
  if (t && t->type == JSON_ARRAY)
    return (int32_t)(t - doc->nodes);
  snprintf(err, errlen, "the tools file must hold a JSON array of tools (or {\"tools\": [...]})");
  return -1;
}

int64_t fg_prompt_declaration(const json_doc *doc, const json_value *tool, char *buf, size_t cap,
                              char *err, size_t errlen) {
  if (!buf || cap == 0)
    return -1;
  out o = {buf, cap, 0, false, err, errlen};
  buf[0] = '\0';
  format_declaration(&o, doc, tool);
  return o.failed ? -1 : (int64_t)o.n;
}

int64_t fg_prompt_build(const json_doc *doc, int32_t tools, const char *developer, const char *user,
                        char *buf, size_t cap, char *err, size_t errlen) {
  if (!buf || cap == 0)
    return -1;
  out o = {buf, cap, 0, false, err, errlen};
  buf[0] = '\0';
  if (!user) {
    oerror(&o, "no user message");
    return -1;
  }
  const json_value *arr = tools >= 0 ? json_at(doc, tools) : NULL;
  if (tools >= 0 && (!arr || arr->type != JSON_ARRAY)) {
    oerror(&o, "the tools must be a JSON array");
    return -1;
  }
  bool have_tools = arr && arr->count > 0;
  if (developer || have_tools) {
    puts_(&o, FG_START_OF_TURN "developer\n");
    if (developer)
      put_stripped(&o, developer);
    int index = 0;
    for (const json_value *t = json_first(doc, arr); t && !o.failed; t = json_next(doc, t)) {
      puts_(&o, FG_START_DECLARATION);
      format_declaration(&o, doc, t);
      puts_(&o, FG_END_DECLARATION);
      if (o.failed && err && errlen) {
        char inner[200];
        snprintf(inner, sizeof inner, "%s", err);
        snprintf(err, errlen, "tool %d: %s", index, inner);
      }
      index++;
    }
    puts_(&o, FG_END_OF_TURN "\n");
  }
  puts_(&o, FG_START_OF_TURN "user\n");
  put_stripped(&o, user);
  puts_(&o, FG_END_OF_TURN "\n" FG_START_OF_TURN "model\n");
  return o.failed ? -1 : (int64_t)o.n;
}

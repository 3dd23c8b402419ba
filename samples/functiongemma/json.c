/* json.c — the strict, allocation-free JSON reader and writer (see json.h).
 *
 * The reader is a recursive-descent parser over a byte span. Every node it
 * makes comes from the document's node array and every byte it keeps goes
 * to the document's arena, so a hostile input can exhaust neither the heap
 * (never used) nor the stack (nesting is capped at max_depth) — it only
 * gets an error naming the byte where parsing stopped.
 *
 * Strings are decoded while they are validated: escapes become their UTF-8
 * bytes, surrogate pairs are joined (a lone surrogate is an error), and raw
 * bytes must form well-formed UTF-8 (no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF: the runtime's gqcrt_utf8_decode). Numbers keep their source
 * text next to their double value, so an integer like 12345678901234567890 can be written back
 * exactly.
 *
 * The writer produces Python json.dumps-style text (", " and ": "
 * separators) with UTF-8 left unescaped; that is the output format of the
 * FunctionGemma sample.
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt_unicode.h"

/* ---- document storage ---------------------------------------------------- */

void json_doc_init(json_doc *d, json_value *nodes, int32_t cap, char *arena, size_t arena_cap) {
  d->nodes = nodes;
  d->cap = cap;
  d->arena = arena;
  d->arena_cap = arena_cap;
  d->max_depth = JSON_DEFAULT_MAX_DEPTH;
  json_doc_clear(d);
}

void json_doc_clear(json_doc *d) {
  d->n = 0;
  d->arena_len = 0;
  d->error[0] = '\0';
  d->error_offset = 0;
}

static void set_error(json_doc *d, size_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->error, sizeof d->error, fmt, ap);
  va_end(ap);
  d->error_offset = offset;
}

static int32_t new_node(json_doc *d, json_type type) {
  if (d->n >= d->cap) {
    set_error(d, 0, "too many JSON values (the limit is %d)", (int)d->cap);
    return -1;
  }
  json_value *v = &d->nodes[d->n];
  memset(v, 0, sizeof *v);
  v->type = type;
  v->first = v->last = v->next = -1;
  v->str = v->key = "";
  return d->n++;
}

/* Reserves n bytes plus a NUL in the arena; NULL when full. */
static char *arena_reserve(json_doc *d, size_t n) {
  if (n >= d->arena_cap - d->arena_len || d->arena_len >= d->arena_cap) {
    set_error(d, 0, "JSON text too large (the string arena holds %zu bytes)", d->arena_cap);
    return NULL;
  }
  char *p = d->arena + d->arena_len;
  d->arena_len += n + 1;
  p[n] = '\0';
  return p;
}

static const char *arena_copy(json_doc *d, const char *s, size_t n) {
  char *p = arena_reserve(d, n);
  if (p && n)
    memcpy(p, s, n);
  return p;
}

static void append_child(json_doc *d, int32_t parent, int32_t child) {
  json_value *p = &d->nodes[parent];
  if (p->last < 0)
    p->first = child;
  else
    d->nodes[p->last].next = child;
  p->last = child;
  p->count++;
}

static bool has_key(const json_doc *d, const json_value *obj, const char *key, size_t len) {
  for (int32_t i = obj->first; i >= 0; i = d->nodes[i].next)
    if (d->nodes[i].key_len == len && memcmp(d->nodes[i].key, key, len) == 0)
      return true;
  return false;
}

/* ---- navigation ---------------------------------------------------------- */

const json_value *json_at(const json_doc *d, int32_t index) {
  return index >= 0 && index < d->n ? &d->nodes[index] : NULL;
}

const json_value *json_first(const json_doc *d, const json_value *v) {
  return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? json_at(d, v->first) : NULL;
}

const json_value *json_next(const json_doc *d, const json_value *v) {
  return v ? json_at(d, v->next) : NULL;
}

const json_value *json_get(const json_doc *d, const json_value *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT)
    return NULL;
  size_t n = strlen(key);
  for (const json_value *m = json_first(d, obj); m; m = json_next(d, m))
    if (m->key_len == n && memcmp(m->key, key, n) == 0)
      return m;
  return NULL;
}

/* ---- numbers ------------------------------------------------------------- */

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool json_is_number_text(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-')
    i++;
  if (i < n && s[i] == '0')
    i++;
  else if (i < n && s[i] >= '1' && s[i] <= '9')
    while (i < n && is_digit(s[i]))
      i++;
  else
    return false;
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !is_digit(s[i]))
      return false;
    while (i < n && is_digit(s[i]))
      i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    if (i >= n || !is_digit(s[i]))
      return false;
    while (i < n && is_digit(s[i]))
      i++;
  }
  return i == n;
}

enum { NUMBER_OK, NUMBER_NO_SPACE, NUMBER_RANGE };

/* Fills v's number fields from a text already checked by json_is_number_text.
 * NUMBER_RANGE when the value overflows a double. */
static int set_number(json_doc *d, json_value *v, const char *text, size_t n) {
  const char *copy = arena_copy(d, text, n);
  if (!copy)
    return NUMBER_NO_SPACE;
  v->str = copy;
  v->len = (uint32_t)n;
  v->number = strtod(copy, NULL);
  v->is_integer = strpbrk(copy, ".eE") == NULL;
  return isfinite(v->number) ? NUMBER_OK : NUMBER_RANGE;
}

int json_format_double(double x, char *buf, size_t cap) {
  char tmp[40];
  int prec;
  for (prec = 1; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
    if (strtod(tmp, NULL) == x)
      break;
  }
  if (prec == 17)
    snprintf(tmp, sizeof tmp, "%.16e", x);
  /* tmp is [-]d[.ddd]e(+|-)dd */
  const char *p = tmp;
  bool neg = *p == '-';
  if (neg)
    p++;
  char digits[24];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (is_digit(*p) && nd < (int)sizeof digits - 1)
      digits[nd++] = *p;
  int exp10 = *p == 'e' ? atoi(p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  int decpt = exp10 + 1; /* x = 0.digits * 10^decpt */
  char out[48];
  int o = 0;
  if (neg)
    out[o++] = '-';
  if (decpt <= -4 || decpt > 16) {
    out[o++] = digits[0];
    if (nd > 1) {
      out[o++] = '.';
      for (int i = 1; i < nd; i++)
        out[o++] = digits[i];
    }
    o += snprintf(out + o, sizeof out - (size_t)o, "e%c%02d", exp10 < 0 ? '-' : '+',
                  exp10 < 0 ? -exp10 : exp10);
  } else if (decpt <= 0) {
    out[o++] = '0';
    out[o++] = '.';
    for (int i = 0; i < -decpt; i++)
      out[o++] = '0';
    for (int i = 0; i < nd; i++)
      out[o++] = digits[i];
  } else {
    for (int i = 0; i < decpt; i++)
      out[o++] = i < nd ? digits[i] : '0';
    out[o++] = '.';
    if (decpt < nd)
      for (int i = decpt; i < nd; i++)
        out[o++] = digits[i];
    else
      out[o++] = '0';
  }
  out[o] = '\0';
  if ((size_t)o >= cap)
    return -1;
  memcpy(buf, out, (size_t)o + 1);
  return o;
}

/* ---- escapes ------------------------------------------------------------ */

/* JSON's two-character escapes: the letter after the backslash, and the
 * byte it stands for. */
static const char short_escapes[][2] = {{'"', '"'},  {'\\', '\\'}, {'/', '/'},  {'b', '\b'},
                                        {'f', '\f'}, {'n', '\n'},  {'r', '\r'}, {'t', '\t'}};

/* The byte that escape letter c stands for (from_letter), or the letter
 * that escapes byte c ('/' is written as it is); 0 when there is none. */
static char short_escape(char c, bool from_letter) {
  for (size_t k = 0; k < sizeof short_escapes / sizeof short_escapes[0]; k++)
    if (short_escapes[k][!from_letter] == c && (from_letter || c != '/'))
      return short_escapes[k][from_letter];
  return 0;
}

/* ---- reader -------------------------------------------------------------- */

typedef struct reader {
  json_doc *d;
  const char *s;
  size_t len, pos;
} reader;

/* Records an error at byte `at`, prefixed with its line and column. */
static int32_t fail(reader *r, size_t at, const char *what) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at && i < r->len; i++) {
    if (r->s[i] == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)r->s[i] & 0xC0) != 0x80) {
      col++;
    }
  }
  set_error(r->d, at, "line %zu, column %zu (byte %zu): %s", line, col, at, what);
  return -1;
}

/* A storage failure (d->error already says what ran out), located at pos. */
static int32_t fail_storage(reader *r) {
  char what[sizeof r->d->error];
  snprintf(what, sizeof what, "%s", r->d->error);
  return fail(r, r->pos, what);
}

static void skip_ws(reader *r) {
  while (r->pos < r->len) {
    char c = r->s[r->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    r->pos++;
  }
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads 4 hex digits at r->s[at]; -1 if they are not. */
static int32_t read_hex4(const reader *r, size_t at) {
  if (r->len - at < 4)
    return -1;
  int32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hex_value(r->s[at + (size_t)i]);
    if (h < 0)
      return -1;
    v = v * 16 + h;
  }
  return v;
}

/* Parses the string literal at r->pos (which is '"'), decoding it into the
 * arena. On success *out and *out_len describe it. Returns false on error. */
static bool read_string(reader *r, const char **out, uint32_t *out_len) {
  size_t start = r->pos++;
  /* The decoded text is never longer than the literal. */
  size_t end = r->pos;
  while (end < r->len && r->s[end] != '"') {
    if (r->s[end] == '\\')
      end++;
    end++;
  }
  if (end >= r->len) {
    fail(r, start, "unterminated string");
    return false;
  }
  json_doc *d = r->d;
  size_t mark = d->arena_len;
  char *buf = arena_reserve(d, end - r->pos);
  if (!buf) {
    fail_storage(r);
    return false;
  }
  size_t n = 0;
  while (r->s[r->pos] != '"') {
    unsigned char c = (unsigned char)r->s[r->pos];
    if (c < 0x20) {
      fail(r, r->pos, "control character in a string (escape it)");
      return false;
    }
    if (c != '\\') {
      uint32_t ucp;
      size_t k = gqcrt_utf8_decode((const uint8_t *)r->s + r->pos, r->len - r->pos, &ucp);
      if (!k) {
        fail(r, r->pos, "invalid UTF-8 in a string");
        return false;
      }
      memcpy(buf + n, r->s + r->pos, k);
      n += k;
      r->pos += k;
      continue;
    }
    size_t esc = r->pos++;
    char e = r->s[r->pos++];
    switch (e) {
    case 'u': {
      int32_t cp = read_hex4(r, r->pos);
      if (cp < 0) {
        fail(r, esc, "\\u must be followed by 4 hex digits");
        return false;
      }
      r->pos += 4;
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(r, esc, "lone low surrogate in a \\u escape");
        return false;
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        int32_t lo = r->len - r->pos >= 6 && r->s[r->pos] == '\\' && r->s[r->pos + 1] == 'u'
                         ? read_hex4(r, r->pos + 2)
                         : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) {
          fail(r, esc, "high surrogate not followed by a \\u low surrogate");
          return false;
        }
        r->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      n += gqcrt_utf8_encode((uint32_t)cp, (uint8_t *)buf + n);
      break;
    }
    default: {
      const char byte = short_escape(e, true);
      if (!byte) {
        fail(r, esc, "invalid escape in a string");
        return false;
      }
      buf[n++] = byte;
    }
    }
  }
  r->pos++; /* closing quote */
  buf[n] = '\0';
  d->arena_len = mark + n + 1; /* give back the unused reservation */
  *out = buf;
  *out_len = (uint32_t)n;
  return true;
}

static int32_t read_value(reader *r, int depth);

static int32_t read_container(reader *r, int depth, bool object) {
  json_doc *d = r->d;
  size_t open = r->pos++;
  if (depth >= d->max_depth) {
    char what[64];
    snprintf(what, sizeof what, "nesting deeper than %d levels", d->max_depth);
    return fail(r, open, what);
  }
  int32_t self = new_node(d, object ? JSON_OBJECT : JSON_ARRAY);
  if (self < 0)
    return fail_storage(r);
  skip_ws(r);
  if (r->pos < r->len && r->s[r->pos] == (object ? '}' : ']')) {
    r->pos++;
    return self;
  }
  for (;;) {
    const char *key = NULL;
    uint32_t key_len = 0;
    if (object) {
      skip_ws(r);
      if (r->pos >= r->len || r->s[r->pos] != '"')
        return fail(r, r->pos, "expected a string key in an object");
      size_t key_at = r->pos;
      if (!read_string(r, &key, &key_len))
        return -1;
      if (has_key(d, &d->nodes[self], key, key_len))
        return fail(r, key_at, "duplicate key in an object");
      skip_ws(r);
      if (r->pos >= r->len || r->s[r->pos] != ':')
        return fail(r, r->pos, "expected ':' after an object key");
      r->pos++;
    }
    int32_t child = read_value(r, depth + 1);
    if (child < 0)
      return -1;
    d->nodes[child].key = key ? key : "";
    d->nodes[child].key_len = key_len;
    append_child(d, self, child);
    skip_ws(r);
    if (r->pos >= r->len)
      return fail(r, open, object ? "unterminated object" : "unterminated array");
    char c = r->s[r->pos];
    if (c == ',') {
      r->pos++;
      skip_ws(r);
      if (r->pos < r->len && r->s[r->pos] == (object ? '}' : ']'))
        return fail(r, r->pos, "trailing comma");
      continue;
    }
    if (c == (object ? '}' : ']')) {
      r->pos++;
      return self;
    }
    return fail(r, r->pos,
                object ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
  }
}

static bool match_word(reader *r, const char *w) {
  size_t n = strlen(w);
  if (r->len - r->pos < n || memcmp(r->s + r->pos, w, n) != 0)
    return false;
  r->pos += n;
  return true;
}

static int32_t read_value_body(reader *r, int depth) {
  json_doc *d = r->d;
  skip_ws(r);
  if (r->pos >= r->len)
    return fail(r, r->pos, "expected a value, found the end of the text");
  char c = r->s[r->pos];
  size_t at = r->pos;
  int32_t v;
  switch (c) {
  case '{':
  case '[':
    return read_container(r, depth, c == '{');
  case '"': {
    const char *s;
    uint32_t n;
    if (!read_string(r, &s, &n))
      return -1;
    if ((v = new_node(d, JSON_STRING)) < 0)
      return fail_storage(r);
    d->nodes[v].str = s;
    d->nodes[v].len = n;
    return v;
  }
  case 't':
  case 'f':
    if (!match_word(r, c == 't' ? "true" : "false"))
      break;
    if ((v = new_node(d, JSON_BOOL)) < 0)
      return fail_storage(r);
    d->nodes[v].boolean = c == 't';
    return v;
  case 'n':
    if (!match_word(r, "null"))
      break;
    if ((v = new_node(d, JSON_NULL)) < 0)
      return fail_storage(r);
    return v;
  default:
    if (c == '-' || is_digit(c)) {
      size_t end = r->pos;
      while (end < r->len && (is_digit(r->s[end]) || strchr("+-.eE", r->s[end])))
        end++;
      if (!json_is_number_text(r->s + r->pos, end - r->pos))
        return fail(r, at, "invalid number");
      if ((v = new_node(d, JSON_NUMBER)) < 0)
        return fail_storage(r);
      int st = set_number(d, &d->nodes[v], r->s + r->pos, end - r->pos);
      if (st == NUMBER_NO_SPACE)
        return fail_storage(r);
      if (st == NUMBER_RANGE)
        return fail(r, at, "number out of range");
      r->pos = end;
      return v;
    }
  }
  return fail(r, at, "unexpected character (expected a JSON value)");
}

/* A value, with the byte offset where it starts recorded in its node. */
static int32_t read_value(reader *r, int depth) {
  skip_ws(r);
  const size_t at = r->pos;
  const int32_t v = read_value_body(r, depth);
  if (v >= 0)
    r->d->nodes[v].offset = (uint32_t)at;
  return v;
}

int32_t json_parse(json_doc *d, const char *text, size_t len) {
  json_doc_clear(d);
  if (!text)
    return set_error(d, 0, "no text"), -1;
  reader r = {d, text, len, 0};
  int32_t root = read_value(&r, 0);
  if (root < 0)
    return -1;
  skip_ws(&r);
  if (r.pos != len)
    return fail(&r, r.pos, "unexpected text after the JSON value");
  return root;
}

/* ---- building ------------------------------------------------------------ */

static int32_t add_node(json_doc *d, int32_t parent, const char *key, size_t key_len,
                        json_type type) {
  const json_value *p = parent >= 0 ? json_at(d, parent) : NULL;
  if (parent >= 0 && (!p || (p->type != JSON_ARRAY && p->type != JSON_OBJECT))) {
    set_error(d, 0, "parent is not an array or object");
    return -1;
  }
  bool member = p && p->type == JSON_OBJECT;
  const char *k = "";
  if (member) {
    if (!key)
      return set_error(d, 0, "object member without a key"), -1;
    if (has_key(d, p, key, key_len))
      return set_error(d, 0, "duplicate key \"%.*s\"", (int)(key_len > 40 ? 40 : key_len), key), -1;
    if (!(k = arena_copy(d, key, key_len)))
      return -1;
  }
  int32_t v = new_node(d, type);
  if (v < 0)
    return -1;
  d->nodes[v].key = k;
  d->nodes[v].key_len = member ? (uint32_t)key_len : 0;
  if (parent >= 0)
    append_child(d, parent, v);
  return v;
}

int32_t json_add(json_doc *d, int32_t parent, const char *key, size_t key_len, json_type type) {
  return add_node(d, parent, key, key_len, type);
}

int32_t json_add_string(json_doc *d, int32_t parent, const char *key, size_t key_len, const char *s,
                        size_t len) {
  if (len > UINT32_MAX)
    return set_error(d, 0, "string too long"), -1;
  const char *copy = arena_copy(d, s, len);
  if (!copy)
    return -1;
  int32_t v = add_node(d, parent, key, key_len, JSON_STRING);
  if (v >= 0) {
    d->nodes[v].str = copy;
    d->nodes[v].len = (uint32_t)len;
  }
  return v;
}

int32_t json_add_bool(json_doc *d, int32_t parent, const char *key, size_t key_len, bool b) {
  int32_t v = add_node(d, parent, key, key_len, JSON_BOOL);
  if (v >= 0)
    d->nodes[v].boolean = b;
  return v;
}

int32_t json_add_number(json_doc *d, int32_t parent, const char *key, size_t key_len,
                        const char *text, size_t len) {
  if (!json_is_number_text(text, len))
    return set_error(d, 0, "not a JSON number"), -1;
  json_value tmp;
  size_t mark = d->arena_len;
  int st = set_number(d, &tmp, text, len); /* checks the range before adding a node */
  if (st == NUMBER_RANGE) {
    d->arena_len = mark;
    set_error(d, 0, "number out of range");
  }
  if (st != NUMBER_OK)
    return -1;
  int32_t v = add_node(d, parent, key, key_len, JSON_NUMBER);
  if (v < 0)
    return -1;
  d->nodes[v].str = tmp.str;
  d->nodes[v].len = tmp.len;
  d->nodes[v].number = tmp.number;
  d->nodes[v].is_integer = tmp.is_integer;
  return v;
}

/* ---- writer -------------------------------------------------------------- */

typedef struct writer {
  char *out;
  size_t cap, n;
  bool full;
} writer;

static void put(writer *w, const char *s, size_t n) {
  if (w->full || n >= w->cap - w->n) {
    w->full = true;
    return;
  }
  memcpy(w->out + w->n, s, n);
  w->n += n;
}

static void puts_(writer *w, const char *s) {
  put(w, s, strlen(s));
}

static void put_string(writer *w, const char *s, size_t n) {
  puts_(w, "\"");
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\' || c < 0x20) {
      const char letter = short_escape((char)c, false);
      if (letter) {
        esc[0] = '\\';
        esc[1] = letter;
        put(w, esc, 2);
      } else {
        snprintf(esc, sizeof esc, "\\u%04x", c);
        puts_(w, esc);
      }
      i++;
    } else {
      uint32_t ucp;
      size_t k = gqcrt_utf8_decode((const uint8_t *)s + i, n - i, &ucp);
      if (k) {
        put(w, s + i, k);
        i += k;
      } else {
        puts_(w, "\xEF\xBF\xBD"); /* U+FFFD for a byte that is not UTF-8 */
        i++;
      }
    }
  }
  puts_(w, "\"");
}

static bool write_value(const json_doc *d, const json_value *v, writer *w, int depth) {
  if (depth > d->max_depth)
    return false;
  switch (v->type) {
  case JSON_NULL:
    puts_(w, "null");
    break;
  case JSON_BOOL:
    puts_(w, v->boolean ? "true" : "false");
    break;
  case JSON_NUMBER:
    put(w, v->str, v->len);
    break;
  case JSON_STRING:
    put_string(w, v->str, v->len);
    break;
  case JSON_ARRAY:
  case JSON_OBJECT: {
    bool obj = v->type == JSON_OBJECT;
    puts_(w, obj ? "{" : "[");
    for (const json_value *c = json_first(d, v); c; c = json_next(d, c)) {
      if (c != json_first(d, v))
        puts_(w, ", ");
      if (obj) {
        put_string(w, c->key, c->key_len);
        puts_(w, ": ");
      }
      if (!write_value(d, c, w, depth + 1))
        return false;
    }
    puts_(w, obj ? "}" : "]");
    break;
  }
  }
  return !w->full;
}

int64_t json_write(const json_doc *d, int32_t index, char *out, size_t cap) {
  const json_value *v = json_at(d, index);
  if (!v || !out || cap == 0)
    return -1;
  writer w = {out, cap, 0, false};
  if (!write_value(d, v, &w, 0) || w.full) {
    out[0] = '\0';
    return -1;
  }
  out[w.n] = '\0';
  return (int64_t)w.n;
}

int64_t json_write_string(const char *s, size_t len, char *out, size_t cap) {
  if (!out || cap == 0)
    return -1;
  writer w = {out, cap, 0, false};
  put_string(&w, s, len);
  if (w.full) {
    out[0] = '\0';
    return -1;
  }
  out[w.n] = '\0';
  return (int64_t)w.n;
}

/* call_parser.c — FunctionGemma function-call syntax to JSON (see call_parser.h).
 *
 * A recursive-descent parser over the generated text. Grammar, with
 * whitespace allowed between items:
 *
 *   answer   := ignored-text call (ws call)* ignored-text | text
 *   call     := "<start_function_call>" ["call:"] NAME "{" members "}"
 *               "<end_function_call>"     (or the end of the text, or part of
 *                                          the marker: a token limit cut it)
 *   members  := [member ("," member)* [","]]
 *   member   := key ":" value
 *   key      := "<escape>" any-text "<escape>" | bare-text-without ":,{}[]"
 *   value    := "<escape>" any-text "<escape>"       a string
 *             | "{" members "}" | "[" [value ("," value)*] "]"
 *             | bare                                 number, true/false/True/False,
 *                                                    null/None, else a string
 *
 * A bare value runs to the next ",", "}" or "]" or to a control token
 * ("<escape>", "<start_...", "<end_...>") and is trimmed. Numbers become
 * JSON numbers: JSON-valid ones are kept as written; looser forms the model
 * may print (+1, .5, 1., 007) are normalised. Every index is checked
 * against the text length before it is read, recursion is bounded by
 * FG_MAX_ARG_DEPTH and the output by the json_doc's fixed storage.
 */
#include "call_parser.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h" /* the control-token spellings */

typedef struct parser {
  const char *s;
  size_t len, pos;
  json_doc *d;
  fg_output *out;
} parser;

static bool perr(parser *p, size_t at, const char *fmt, ...) {
  if (p->out->kind == FG_OUTPUT_ERROR)
    return false; /* keep the first (innermost) message */
  p->out->kind = FG_OUTPUT_ERROR;
  p->out->error_offset = at;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->out->error, sizeof p->out->error, fmt, ap);
  va_end(ap);
  return false;
}

static bool at_end(const parser *p) {
  return p->pos >= p->len;
}

static bool starts_at(const parser *p, size_t at, const char *lit) {
  size_t n = strlen(lit);
  return at <= p->len && p->len - at >= n && memcmp(p->s + at, lit, n) == 0;
}

static bool starts(const parser *p, const char *lit) {
  return starts_at(p, p->pos, lit);
}

/* Offset of the first `lit` at or after `from`, or len if none. */
static size_t find(const parser *p, size_t from, const char *lit) {
  size_t n = strlen(lit);
  for (size_t i = from; i < p->len && p->len - i >= n; i++)
    if (p->s[i] == lit[0] && memcmp(p->s + i, lit, n) == 0)
      return i;
  return p->len;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_ws(parser *p) {
  while (!at_end(p) && is_space(p->s[p->pos]))
    p->pos++;
}

static void trim(const char *s, size_t *b, size_t *e) {
  while (*b < *e && is_space(s[*b]))
    (*b)++;
  while (*e > *b && is_space(s[*e - 1]))
    (*e)--;
}

/* A control token starts here ("<escape>", "<start_...>", "<end_...>"). */
static bool at_control_token(const parser *p, size_t at) {
  return starts_at(p, at, FG_ESCAPE) || starts_at(p, at, "<start_") || starts_at(p, at, "<end_");
}

static bool truncated(parser *p, const char *what) {
  return perr(p, p->pos, "truncated function call: the text ends inside %s", what);
}

/* A json_add* failure: the document is full or the key repeats. */
static bool storage_error(parser *p, size_t at) {
  return perr(p, at, "%s", p->d->error[0] ? p->d->error : "cannot store the call");
}

/* ---- scalars ------------------------------------------------------------- */

/* True if s[0..n) is a number in a loose sense: [+-](digits[.digits*] |
 * .digits)[(e|E)[+-]digits]. */
static bool loose_number(const char *s, size_t n) {
  size_t i = 0, digits = 0;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    i++;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, digits++;
  }
  if (!digits)
    return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    size_t exp_digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, exp_digits++;
    if (!exp_digits)
      return false;
  }
  return i == n;
}

/* Canonical JSON text for a loose number; false if it overflows. */
static bool canonical_number(const char *s, size_t n, char *buf, size_t cap) {
  char tmp[72];
  if (n >= sizeof tmp)
    return false;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  if (!strpbrk(tmp, ".eE")) { /* an integer: drop '+' and leading zeros */
    const char *q = tmp;
    bool neg = *q == '-';
    if (*q == '+' || *q == '-')
      q++;
    while (q[0] == '0' && q[1] != '\0')
      q++;
    return (size_t)snprintf(buf, cap, "%s%s", neg ? "-" : "", q) < cap;
  }
  double v = strtod(tmp, NULL);
  if (!isfinite(v))
    return false;
  return json_format_double(v, buf, cap) > 0;
}

static bool word_is(const char *s, size_t n, const char *w) {
  return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* Adds the bare value s[b..e) (already trimmed, non-empty) to parent. */
static bool add_bare(parser *p, int32_t parent, const char *key, size_t key_len, size_t b,
                     size_t e) {
  const char *s = p->s + b;
  size_t n = e - b;
  int32_t v;
  if (word_is(s, n, "true") || word_is(s, n, "True"))
    v = json_add_bool(p->d, parent, key, key_len, true);
  else if (word_is(s, n, "false") || word_is(s, n, "False"))
    v = json_add_bool(p->d, parent, key, key_len, false);
  else if (word_is(s, n, "null") || word_is(s, n, "None"))
    v = json_add(p->d, parent, key, key_len, JSON_NULL);
  else if (json_is_number_text(s, n))
    v = json_add_number(p->d, parent, key, key_len, s, n);
  else if (loose_number(s, n)) {
    char num[40];
    if (!canonical_number(s, n, num, sizeof num))
      return perr(p, b, "number out of range");
    v = json_add_number(p->d, parent, key, key_len, num, strlen(num));
  } else
    v = json_add_string(p->d, parent, key, key_len, s, n); /* a string without <escape> */
  return v >= 0 || storage_error(p, b);
}

/* ---- structure ----------------------------------------------------------- */

static bool parse_value(parser *p, int32_t parent, const char *key, size_t key_len, int depth);

/* An <escape>-delimited string starting at p->pos; sets [*b, *e). */
static bool escaped_text(parser *p, size_t *b, size_t *e, const char *what) {
  size_t open = p->pos;
  *b = p->pos + strlen(FG_ESCAPE);
  *e = find(p, *b, FG_ESCAPE);
  if (*e >= p->len)
    return perr(p, open, "unterminated %s: no closing <escape>", what);
  p->pos = *e + strlen(FG_ESCAPE);
  return true;
}

/* Skips white space, then `close` when it comes next; whether it did. */
static bool skip_to_close(parser *p, char close) {
  skip_ws(p);
  if (at_end(p) || p->s[p->pos] != close)
    return false;
  p->pos++;
  return true;
}

/* members "}" — p->pos is just after the "{". */
static bool parse_members(parser *p, int32_t obj, int depth) {
  if (skip_to_close(p, '}'))
    return true;
  for (;;) {
    skip_ws(p);
    if (at_end(p))
      return truncated(p, "an argument list");
    size_t kb, ke, key_at = p->pos;
    if (starts(p, FG_ESCAPE)) {
      if (!escaped_text(p, &kb, &ke, "key"))
        return false;
      skip_ws(p);
      if (at_end(p))
        return truncated(p, "an argument list");
      if (p->s[p->pos] != ':')
        return perr(p, p->pos, "expected ':' after an argument name");
    } else {
      kb = p->pos;
      while (!at_end(p) && p->s[p->pos] != ':' && !strchr(",{}[]", p->s[p->pos]) &&
             !at_control_token(p, p->pos))
        p->pos++;
      if (at_end(p))
        return truncated(p, "an argument name");
      if (p->s[p->pos] != ':')
        return perr(p, p->pos, "expected 'name:value' in the arguments");
      ke = p->pos;
      trim(p->s, &kb, &ke);
      if (kb == ke)
        return perr(p, key_at, "empty argument name");
    }
    p->pos++; /* ':' */
    if (!parse_value(p, obj, p->s + kb, ke - kb, depth + 1))
      return false;
    skip_ws(p);
    if (at_end(p))
      return truncated(p, "an argument list");
    char c = p->s[p->pos];
    if (c == ',') {
      p->pos++;
      if (skip_to_close(p, '}')) /* tolerate a trailing comma */
        return true;
      continue;
    }
    if (c == '}') {
      p->pos++;
      return true;
    }
    return perr(p, p->pos, "expected ',' or '}' after an argument");
  }
}

/* [value ("," value)*] "]" — p->pos is just after the "[". */
static bool parse_items(parser *p, int32_t arr, int depth) {
  if (skip_to_close(p, ']'))
    return true;
  for (;;) {
    if (!parse_value(p, arr, NULL, 0, depth + 1))
      return false;
    skip_ws(p);
    if (at_end(p))
      return truncated(p, "an array");
    char c = p->s[p->pos];
    p->pos++;
    if (c == ']')
      return true;
    if (c != ',')
      return perr(p, p->pos - 1, "expected ',' or ']' in an array");
  }
}

static bool parse_value(parser *p, int32_t parent, const char *key, size_t key_len, int depth) {
  if (depth > FG_MAX_ARG_DEPTH)
    return perr(p, p->pos, "arguments nested deeper than %d levels", FG_MAX_ARG_DEPTH);
  skip_ws(p);
  if (at_end(p))
    return truncated(p, "an argument value");
  size_t at = p->pos;
  if (starts(p, FG_ESCAPE)) {
    size_t b, e;
    if (!escaped_text(p, &b, &e, "string"))
      return false;
    return json_add_string(p->d, parent, key, key_len, p->s + b, e - b) >= 0 ||
           storage_error(p, at);
  }
  char c = p->s[p->pos];
  if (c == '{' || c == '[') {
    int32_t v = json_add(p->d, parent, key, key_len, c == '{' ? JSON_OBJECT : JSON_ARRAY);
    if (v < 0)
      return storage_error(p, at);
    p->pos++;
    return c == '{' ? parse_members(p, v, depth) : parse_items(p, v, depth);
  }
  size_t b = p->pos;
  while (!at_end(p) && !strchr(",}]", p->s[p->pos]) && !at_control_token(p, p->pos))
    p->pos++;
  size_t e = p->pos;
  trim(p->s, &b, &e);
  if (b == e)
    return at_end(p) ? truncated(p, "an argument value") : perr(p, at, "missing value after ':'");
  return add_bare(p, parent, key, key_len, b, e);
}

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

/* One call; p->pos is at "<start_function_call>". */
static bool parse_call(parser *p) {
  size_t start = p->pos;
  p->pos += strlen(FG_START_CALL);
  skip_ws(p);
  if (starts(p, "call:"))
    p->pos += 5;
  skip_ws(p);
  size_t nb = p->pos;
  while (!at_end(p) && is_name_char(p->s[p->pos]) && p->pos - nb < 256)
    p->pos++;
  if (p->pos == nb)
    return at_end(p) ? truncated(p, "a function call")
                     : perr(p, p->pos, "expected a function name after call:");
  size_t ne = p->pos;
  skip_ws(p);
  if (at_end(p))
    return truncated(p, "a function call");
  if (p->s[p->pos] != '{')
    return perr(p, p->pos, "expected '{' after the function name");
  if (p->out->n_calls == FG_MAX_CALLS)
    return perr(p, start, "more than %d function calls", FG_MAX_CALLS);
  int32_t call = json_add(p->d, -1, NULL, 0, JSON_OBJECT);
  int32_t args = -1;
  if (call < 0 || json_add_string(p->d, call, "name", 4, p->s + nb, ne - nb) < 0 ||
      (args = json_add(p->d, call, "arguments", 9, JSON_OBJECT)) < 0)
    return storage_error(p, start);
  p->pos++; /* '{' */
  if (!parse_members(p, args, 0))
    return false;
  skip_ws(p);
  if (starts(p, FG_END_CALL)) {
    p->pos += strlen(FG_END_CALL);
  } else if (p->len - p->pos < strlen(FG_END_CALL) &&
             memcmp(p->s + p->pos, FG_END_CALL, p->len - p->pos) == 0) {
    /* The text ends after the complete argument list, inside or before the
     * end marker (the token limit struck): the call itself is whole. */
    p->pos = p->len;
  } else {
    return perr(p, p->pos, "expected <end_function_call> after the arguments");
  }
  p->out->calls[p->out->n_calls++] = call;
  return true;
}

fg_output_kind fg_parse_output(const char *text, size_t len, json_doc *doc, fg_output *out) {
  memset(out, 0, sizeof *out);
  out->kind = FG_OUTPUT_TEXT;
  json_doc_clear(doc);
  if (!text)
    text = "", len = 0;
  parser p = {text, len, 0, doc, out};
  size_t first = find(&p, 0, FG_START_CALL);
  if (first >= len) {
    size_t b = 0, e = len;
    trim(text, &b, &e);
    out->text = text + b;
    out->text_len = e - b;
    return out->kind;
  }
  p.pos = first;
  for (;;) {
    if (!parse_call(&p)) {
      out->n_calls = 0;
      return out->kind; /* FG_OUTPUT_ERROR */
    }
    skip_ws(&p);
    if (!starts(&p, FG_START_CALL))
      break; /* what follows (a <start_function_response>, text) is not ours */
  }
  out->kind = FG_OUTPUT_CALLS;
  return out->kind;
}

/* json.h — a small, strict JSON reader and writer that never allocates.
 *
 * A json_doc is a tree of json_value nodes in a caller-provided node array,
 * with every string (keys, decoded string values, number lexemes) copied
 * into a caller-provided byte arena. Nothing is malloc'ed: when the nodes or
 * the arena run out, parsing fails with a message, so the memory a document
 * may use is fixed at compile time (what firmware wants).
 *
 * The reader accepts RFC 8259 JSON only: no comments, no trailing commas, no
 * leading zeros, no NaN/Infinity, no control characters or invalid UTF-8 in
 * strings, no lone surrogates, no duplicate object keys, nothing after the
 * top-level value, and at most max_depth levels of nesting. Errors name the
 * byte offset and the line:column where they were found.
 *
 * Documents can also be built node by node (json_add_*), which is how the
 * function-call parser assembles its result, and written back as text in the
 * style of Python's json.dumps: `{"a": 1, "b": [true, null]}`.
 */
#ifndef FG_JSON_H
#define FG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

typedef struct json_value {
  json_type type;
  bool boolean;    /* JSON_BOOL */
  bool is_integer; /* JSON_NUMBER: no fraction and no exponent in the text */
  double number;   /* JSON_NUMBER */
  const char *str; /* JSON_STRING: decoded UTF-8; JSON_NUMBER: its text. NUL-terminated */
  uint32_t len;    /* bytes in str (a string may contain U+0000) */
  const char *key; /* a member of an object: its key (decoded, NUL-terminated) */
  uint32_t key_len;
  int32_t first, last; /* JSON_ARRAY / JSON_OBJECT: child node indices, -1 if empty */
  int32_t count;       /* number of children */
  int32_t next;        /* the next sibling's index, -1 for the last */
  uint32_t offset;     /* parsed: the byte where the value starts (for error positions) */
} json_value;

typedef struct json_doc {
  json_value *nodes;
  int32_t cap, n;
  char *arena;
  size_t arena_cap, arena_len;
  int max_depth;
  char error[160]; /* "line 3, column 7 (byte 41): expected ':' after an object key" */
  size_t error_offset;
} json_doc;

enum { JSON_DEFAULT_MAX_DEPTH = 64 };

/* Prepares an empty document over the given storage. */
void json_doc_init(json_doc *d, json_value *nodes, int32_t cap, char *arena, size_t arena_cap);
/* Forgets every node and arena byte (the storage is reused). */
void json_doc_clear(json_doc *d);

/* Parses text[0..len) (need not be NUL-terminated). Returns the root node's
 * index, or -1 with d->error and d->error_offset set. */
int32_t json_parse(json_doc *d, const char *text, size_t len);

/* Navigation. All return NULL at the end / when absent / for a NULL input. */
const json_value *json_at(const json_doc *d, int32_t index);
const json_value *json_first(const json_doc *d, const json_value *v);
const json_value *json_next(const json_doc *d, const json_value *v);
/* The member of object `obj` with this key, or NULL. */
const json_value *json_get(const json_doc *d, const json_value *obj, const char *key);

/* Building. Each returns the new node's index, or -1 when the document is
 * full (d->error says so). json_add_* with parent >= 0 appends the node to
 * that array or object; for an object, key/key_len name the member (the key
 * is copied). parent -1 makes a free-standing node (a root). */
int32_t json_add(json_doc *d, int32_t parent, const char *key, size_t key_len, json_type type);
int32_t json_add_string(json_doc *d, int32_t parent, const char *key, size_t key_len, const char *s,
                        size_t len);
int32_t json_add_bool(json_doc *d, int32_t parent, const char *key, size_t key_len, bool b);
/* `text` must be a valid JSON number (checked); its value is parsed. */
int32_t json_add_number(json_doc *d, int32_t parent, const char *key, size_t key_len,
                        const char *text, size_t len);

/* True when text[0..len) is exactly one JSON number (RFC 8259 grammar). */
bool json_is_number_text(const char *text, size_t len);

/* Writes node `index` as JSON text (json.dumps style, UTF-8 kept as is,
 * invalid UTF-8 bytes replaced by U+FFFD) into out, NUL-terminated. Returns
 * the length, or -1 when cap is too small or the depth exceeds d->max_depth. */
int64_t json_write(const json_doc *d, int32_t index, char *out, size_t cap);
/* Writes `s` as a JSON string literal with quotes; same return convention. */
int64_t json_write_string(const char *s, size_t len, char *out, size_t cap);

/* The shortest decimal text that reads back as exactly x, formatted as
 * Python's repr(float) does ("1.0", "0.1", "1e-05", "1.5e+16"); this is also
 * valid JSON. x must be finite. Returns the length (buf needs 32 bytes). */
int json_format_double(double x, char *buf, size_t cap);

#endif

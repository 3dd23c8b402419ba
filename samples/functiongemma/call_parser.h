/* call_parser.h — turns FunctionGemma's answer into JSON function calls.
 *
 * The model answers either in plain text or with one or more calls
 *
 *   <start_function_call>call:get_weather{location:<escape>Paris<escape>,days:3}
 *   <end_function_call>
 *
 * (one line; wrapped here) whose arguments use the template's
 * format_argument syntax: strings between <escape> tokens, numbers, true /
 * false, null (or None), {key:value,...} objects and [a,b] arrays. The
 * parser rebuilds each call as a JSON object
 *
 *   {"name": "get_weather", "arguments": {"location": "Paris", "days": 3}}
 *
 * It is written for untrusted, possibly truncated model output: every
 * failure is an FG_OUTPUT_ERROR result with a message and the byte offset,
 * never a crash, an unbounded loop or a read past the text. It tolerates
 * what small models get slightly wrong when the meaning stays clear:
 * whitespace between items, a missing "call:" prefix, keys wrapped in
 * <escape>, string values that lost their <escape> delimiters (a bare
 * word that is not a number, boolean or null is taken as a string), and a
 * complete call whose <end_function_call> was cut off by the token limit.
 * A call cut off before its argument list closes is an error.
 */
#ifndef FG_CALL_PARSER_H
#define FG_CALL_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum { FG_MAX_CALLS = 16, FG_MAX_ARG_DEPTH = 16 };

typedef enum fg_output_kind {
  FG_OUTPUT_TEXT,  /* no function call: text/text_len is the answer */
  FG_OUTPUT_CALLS, /* n_calls calls: calls[i] indexes {"name", "arguments"} objects */
  FG_OUTPUT_ERROR  /* a call was started but is malformed: error, error_offset */
} fg_output_kind;

typedef struct fg_output {
  fg_output_kind kind;
  int32_t n_calls;
  int32_t calls[FG_MAX_CALLS];
  const char *text; /* FG_OUTPUT_TEXT: points into the parsed text (trimmed) */
  size_t text_len;
  char error[160];
  size_t error_offset; /* byte offset in the parsed text */
} fg_output;

/* Parses text[0..len) (the generated text, control tokens spelled out).
 * Calls are built in doc (cleared first); its storage bounds how large an
 * answer can be. Returns the kind (also in out->kind). */
fg_output_kind fg_parse_output(const char *text, size_t len, json_doc *doc, fg_output *out);

#endif

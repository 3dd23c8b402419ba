/* prompt.h — FunctionGemma's prompt, built exactly as its chat template does.
 *
 * Given OpenAI-style tool declarations (a JSON array of
 * {"type": "function", "function": {"name", "description", "parameters"}})
 * plus a developer (system) message and a user message, produces the text
 * the model's tokenizer.chat_template renders with add_generation_prompt:
 *
 *   <start_of_turn>developer\n{developer}<start_function_declaration>declaration:NAME{...}
 *   <end_function_declaration>...<end_of_turn>\n<start_of_turn>user\n{user}<end_of_turn>\n
 *   <start_of_turn>model\n
 *
 * (one line above, wrapped here). The template's leading bos_token is left
 * out: the model's tokenizer adds <bos> as an id. See README.md for the
 * template this follows and its sources.
 */
#ifndef FG_PROMPT_H
#define FG_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* The developer message Google's FunctionGemma guide says turns function
 * calling on. */
#define FG_DEFAULT_DEVELOPER_PROMPT                                                                \
  "You are a model that can do function calling with the following functions"

/* The FunctionGemma control tokens (each one token in the real vocabulary). */
#define FG_START_OF_TURN "<start_of_turn>"
#define FG_END_OF_TURN "<end_of_turn>"
#define FG_START_DECLARATION "<start_function_declaration>"
#define FG_END_DECLARATION "<end_function_declaration>"
#define FG_START_CALL "<start_function_call>"
#define FG_END_CALL "<end_function_call>"
#define FG_START_RESPONSE "<start_function_response>"
#define FG_END_RESPONSE "<end_function_response>"
#define FG_ESCAPE "<escape>"

/* The tool array inside a parsed tools file: the root itself if it is an
 * array, or the root object's "tools" member. -1 (message in err) if
 * neither. */
int32_t fg_tools_array(const json_doc *doc, int32_t root, char *err, size_t errlen);

/* Renders one tool as the template's format_function_declaration macro does
 * (without the surrounding <start/end_function_declaration> tokens) into out,
 * NUL-terminated. Returns the length, or -1 with a message in err (a tool
 * that is not an object with a "function" object holding a non-empty string
 * "name", an unsupported schema, or out of space). */
int64_t fg_prompt_declaration(const json_doc *doc, const json_value *tool, char *out, size_t cap,
                              char *err, size_t errlen);

/* Builds the whole prompt. tools: index of the tool array in doc, or -1 for
 * none. developer: the developer message, or NULL for no developer message
 * (the developer turn then appears only if there are tools). user: the user
 * message (required). Both messages are stripped of surrounding whitespace
 * as Jinja's trim filter does. Returns the length written to out (NUL-
 * terminated), or -1 with a message in err. */
int64_t fg_prompt_build(const json_doc *doc, int32_t tools, const char *developer, const char *user,
                        char *out, size_t cap, char *err, size_t errlen);

#endif

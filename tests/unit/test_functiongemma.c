/* test_functiongemma.c — the FunctionGemma sample's model-free parts
 * (samples/functiongemma: json.c, prompt.c, call_parser.c).
 *
 *  - Prompt construction, byte for byte: Google's own formatted example from
 *    "FunctionGemma formatting and best practices" (one function with an
 *    enum and a required list), two functions and schema corner cases
 *    checked against ollama's independent FunctionGemma renderer tests, and
 *    nested objects / arrays / format_argument values worked out by hand from
 *    the chat template (see prompt.c).
 *  - Output parsing: well-formed calls with arguments of every JSON type,
 *    parallel calls, what small models get slightly wrong, malformed and
 *    truncated calls (every prefix of a valid answer), and a randomized run
 *    over answers made of the syntax's pieces — each result must be a text,
 *    valid calls whose JSON reads back, or an error; never a crash.
 *  - The JSON reader's edge cases (strictness, UTF-8, surrogates, depth,
 *    storage limits, error positions) and writer (escaping, Python-style
 *    float text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "call_parser.h"
#include "json.h"
#include "prompt.h"

enum { NODES = 1024, ARENA = 64 * 1024, OUT = 64 * 1024 };

static json_value nodes[NODES];
static char arena[ARENA];
static char out[OUT];
static char err[256];

static json_doc *fresh_doc(void) {
  static json_doc d;
  json_doc_init(&d, nodes, NODES, arena, sizeof arena);
  return &d;
}

/* Parses `json` (which must be valid) into a fresh document. */
static int32_t parse_ok(json_doc *d, const char *json) {
  int32_t root = json_parse(d, json, strlen(json));
  if (root < 0)
    fail_msg("JSON parse failed: %s\n%s", d->error, json);
  return root;
}

/* The prompt for a tools file and messages; fails the test on error. */
static const char *prompt_for(const char *tools_json, const char *developer, const char *user) {
  json_doc *d = fresh_doc();
  int32_t tools = -1;
  if (tools_json) {
    int32_t root = parse_ok(d, tools_json);
    tools = fg_tools_array(d, root, err, sizeof err);
    assert_true(tools >= 0);
  }
  int64_t n = fg_prompt_build(d, tools, developer, user, out, sizeof out, err, sizeof err);
  if (n < 0)
    fail_msg("fg_prompt_build: %s", err);
  assert_int_equal((size_t)n, strlen(out));
  return out;
}

/* ---- prompt construction ------------------------------------------------- */

/* Google's "FunctionGemma formatting and best practices", turns 1 and 2
 * (https://ai.google.dev/gemma/docs/functiongemma/formatting-and-best-practices). */
static void test_prompt_google_example(void **state) {
  (void)state;
  const char *tools =
      "[{\"type\": \"function\", \"function\": {\"name\": \"get_current_weather\","
      " \"description\": \"Gets the current weather in a given location.\","
      " \"parameters\": {\"type\": \"object\", \"properties\": {"
      "  \"location\": {\"type\": \"string\", \"description\":"
      "    \"The city and state, e.g. \\\"San Francisco, CA\\\" or \\\"Tokyo, JP\\\"\"},"
      "  \"unit\": {\"type\": \"string\", \"description\": \"The unit to return the temperature "
      "in.\", \"enum\": [\"celsius\", \"fahrenheit\"]}},"
      " \"required\": [\"location\"]}}}]";
  const char *expected =
      "<start_of_turn>developer\n"
      "You are a model that can do function calling with the following "
      "functions<start_function_declaration>declaration:get_current_weather{description:<escape>"
      "Gets the current weather in a given location.<escape>,parameters:{properties:{location:{"
      "description:<escape>The city and state, e.g. \"San Francisco, CA\" or \"Tokyo, "
      "JP\"<escape>,type:<escape>STRING<escape>},unit:{description:<escape>The unit to return "
      "the temperature in.<escape>,enum:[<escape>celsius<escape>,<escape>fahrenheit<escape>],"
      "type:<escape>STRING<escape>}},required:[<escape>location<escape>],type:<escape>OBJECT<"
      "escape>}}<end_function_declaration><end_of_turn>\n"
      "<start_of_turn>user\n"
      "Hey, what's the weather in Tokyo right now?<end_of_turn>\n"
      "<start_of_turn>model\n";
  assert_string_equal(
      prompt_for(tools, FG_DEFAULT_DEVELOPER_PROMPT, "Hey, what's the weather in Tokyo right now?"),
      expected);
}

/* One function as a llama.cpp-tokenized reference prompt has it (85 ids with
 * <bos>, in SKaiNET's FunctionGemmaOfficialGgufTest); also the {"tools": [...]}
 * wrapper and surrounding whitespace that trim removes. */
static void test_prompt_one_function(void **state) {
  (void)state;
  const char *tools = "{\"tools\": [{\"type\": \"function\", \"function\": {"
                      "\"name\": \"get_weather\", \"description\": \"Get current weather for a "
                      "location\", \"parameters\": {\"type\": \"object\", \"properties\": "
                      "{\"location\": {\"type\": \"string\", \"description\": \"City name\"}}, "
                      "\"required\": [\"location\"]}}}]}";
  const char *expected =
      "<start_of_turn>developer\nYou are a model that can do function calling with the "
      "following functions<start_function_declaration>declaration:get_weather{description:<"
      "escape>Get current weather for a location<escape>,parameters:{properties:{location:{"
      "description:<escape>City name<escape>,type:<escape>STRING<escape>}},required:[<escape>"
      "location<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration><end_of_turn>\n"
      "<start_of_turn>user\nWhat's the weather in Paris?<end_of_turn>\n<start_of_turn>model\n";
  assert_string_equal(prompt_for(tools, "  " FG_DEFAULT_DEVELOPER_PROMPT "\n",
                                 "\t What's the weather in Paris?\n\n"),
                      expected);
}

/* ollama's renderer test "multiple_tools" (model/renderers/functiongemma_test.go),
 * with its developer text. */
static void test_prompt_two_functions(void **state) {
  (void)state;
  const char *tools =
      "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": "
      "\"Get weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": "
      "{\"type\": \"string\", \"description\": \"City\"}}}}},"
      " {\"type\": \"function\", \"function\": {\"name\": \"get_time\", \"description\": \"Get "
      "current time\", \"parameters\": {\"type\": \"object\", \"properties\": {\"timezone\": "
      "{\"type\": \"string\", \"description\": \"Timezone\"}}}}}]";
  const char *expected =
      "<start_of_turn>developer\nYou can do function calling with the following "
      "functions:<start_function_declaration>declaration:get_weather{description:<escape>Get "
      "weather<escape>,parameters:{properties:{city:{description:<escape>City<escape>,type:<"
      "escape>STRING<escape>}},type:<escape>OBJECT<escape>}}<end_function_declaration><start_"
      "function_declaration>declaration:get_time{description:<escape>Get current "
      "time<escape>,parameters:{properties:{timezone:{description:<escape>Timezone<escape>,"
      "type:<escape>STRING<escape>}},type:<escape>OBJECT<escape>}}<end_function_declaration><"
      "end_of_turn>\n<start_of_turn>user\nWeather and time?<end_of_turn>\n<start_of_turn>model\n";
  assert_string_equal(prompt_for(tools, "You can do function calling with the following functions:",
                                 "Weather and time?"),
                      expected);
}

/* Declarations alone, for the schema corner cases. */
static const char *declaration_for(const char *tool_json) {
  json_doc *d = fresh_doc();
  int32_t root = parse_ok(d, tool_json);
  int64_t n = fg_prompt_declaration(d, json_at(d, root), out, sizeof out, err, sizeof err);
  if (n < 0)
    fail_msg("fg_prompt_declaration: %s", err);
  return out;
}

static void test_prompt_schema_cases(void **state) {
  (void)state;
  /* ollama "numeric_arguments": no descriptions render as empty escapes. */
  assert_string_equal(
      declaration_for("{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": "
                      "\"Add numbers\", \"parameters\": {\"type\": \"object\", \"properties\": "
                      "{\"b\": {\"type\": \"number\"}, \"a\": {\"type\": \"number\"}}}}}"),
      "declaration:add{description:<escape>Add numbers<escape>,parameters:{properties:{a:{"
      "description:<escape><escape>,type:<escape>NUMBER<escape>},b:{description:<escape><escape>,"
      "type:<escape>NUMBER<escape>}},type:<escape>OBJECT<escape>}}");
  /* ollama "tool_empty_properties": empty properties are left out. */
  assert_string_equal(
      declaration_for("{\"function\": {\"name\": \"test_fn\", \"description\": \"\", "
                      "\"parameters\": {\"type\": \"object\", \"properties\": {}}}}"),
      "declaration:test_fn{description:<escape><escape>,parameters:{type:<escape>OBJECT<escape>}}");
  /* No parameters at all, or an empty object: no parameters block. */
  assert_string_equal(declaration_for("{\"function\": {\"name\": \"ping\"}}"),
                      "declaration:ping{description:<escape><escape>}");
  assert_string_equal(declaration_for("{\"function\": {\"name\": \"ping\", \"description\": \"d\", "
                                      "\"parameters\": {}}}"),
                      "declaration:ping{description:<escape>d<escape>}");
  /* The template's quirk: parameters without "type" keep the comma and never
   * close their brace. */
  assert_string_equal(
      declaration_for("{\"function\": {\"name\": \"f\", \"parameters\": {\"properties\": "
                      "{\"x\": {\"type\": \"string\"}}}}}"),
      "declaration:f{description:<escape><escape>,parameters:{properties:{x:{description:<escape>"
      "<escape>,type:<escape>STRING<escape>}},}");
  /* dictsort: case-insensitive, ties in file order; the keys description, type,
   * properties, required and nullable are not rendered as properties. */
  assert_string_equal(
      declaration_for("{\"function\": {\"name\": \"s\", \"parameters\": {\"type\": \"object\", "
                      "\"properties\": {\"b\": {\"type\": \"string\"}, \"a\": {\"type\": "
                      "\"string\"}, \"A\": {\"type\": \"integer\"}, \"type\": {\"type\": "
                      "\"string\"}, \"nullable\": {\"type\": \"string\"}}}}}"),
      "declaration:s{description:<escape><escape>,parameters:{properties:{a:{description:<escape>"
      "<escape>,type:<escape>STRING<escape>},A:{description:<escape><escape>,type:<escape>"
      "INTEGER<escape>},b:{description:<escape><escape>,type:<escape>STRING<escape>}},type:<"
      "escape>OBJECT<escape>}}");
}

static void test_prompt_nested_schema(void **state) {
  (void)state;
  assert_string_equal(
      declaration_for(
          "{\"type\": \"function\", \"function\": {\"name\": \"create_event\", \"description\": "
          "\"Creates a calendar event.\", \"parameters\": {\"type\": \"object\", \"properties\": {"
          "\"title\": {\"type\": \"string\", \"description\": \"Title\"},"
          "\"attendees\": {\"type\": \"array\", \"description\": \"People\", \"items\": {\"type\": "
          "\"object\", \"properties\": {\"email\": {\"type\": \"string\", \"description\": "
          "\"Email\"}, \"optional\": {\"type\": \"boolean\"}}, \"required\": [\"email\"]}},"
          "\"when\": {\"type\": \"object\", \"description\": \"Time\", \"properties\": {\"start\": "
          "{\"type\": \"string\"}, \"minutes\": {\"type\": \"integer\", \"description\": "
          "\"Length\"}}, \"required\": [\"start\"]},"
          "\"priority\": {\"type\": \"number\", \"description\": \"Priority\", \"enum\": [1, 2.5]},"
          "\"mode\": {\"type\": \"string\", \"enum\": [\"a\", 1, true, null]}},"
          "\"required\": [\"title\", \"when\"]}}}"),
      "declaration:create_event{description:<escape>Creates a calendar event.<escape>,parameters:"
      "{properties:{"
      "attendees:{description:<escape>People<escape>,items:{properties:{email:{description:<"
      "escape>Email<escape>,type:<escape>STRING<escape>},optional:{description:<escape><escape>,"
      "type:<escape>BOOLEAN<escape>}},required:[<escape>email<escape>],type:<escape>OBJECT<"
      "escape>},type:<escape>ARRAY<escape>},"
      "mode:{description:<escape><escape>,enum:[<escape>a<escape>,1,true,None],type:<escape>"
      "STRING<escape>},"
      "priority:{description:<escape>Priority<escape>,type:<escape>NUMBER<escape>},"
      "title:{description:<escape>Title<escape>,type:<escape>STRING<escape>},"
      "when:{description:<escape>Time<escape>,properties:{minutes:{description:<escape>Length<"
      "escape>,type:<escape>INTEGER<escape>},start:{description:<escape><escape>,type:<escape>"
      "STRING<escape>}},required:[<escape>start<escape>],type:<escape>OBJECT<escape>}"
      "},required:[<escape>title<escape>,<escape>when<escape>],type:<escape>OBJECT<escape>}}");
  /* format_argument: numbers as Python prints json.loads' value, escaped keys
   * in dictsort order, items keys sorted. */
  assert_string_equal(
      declaration_for("{\"function\": {\"name\": \"stats\", \"description\": \"Stats.\", "
                      "\"parameters\": {\"type\": \"object\", \"properties\": {\"scores\": "
                      "{\"type\": \"array\", \"items\": {\"type\": \"number\", \"enum\": [1, 2.5, "
                      "1e-7, -0, 1E2, 0.1, 12345678901234567890], \"default\": {\"b\": 1, \"A\": "
                      "\"x\"}}}}}}}"),
      "declaration:stats{description:<escape>Stats.<escape>,parameters:{properties:{scores:{"
      "description:<escape><escape>,items:{default:{<escape>A<escape>:<escape>x<escape>,<escape>"
      "b<escape>:1},enum:[1,2.5,1e-07,0,100.0,0.1,12345678901234567890],type:<escape>NUMBER<"
      "escape>},type:<escape>ARRAY<escape>}},type:<escape>OBJECT<escape>}}");
}

static void test_prompt_turns(void **state) {
  (void)state;
  /* No tools: a developer turn only when there is a developer message. */
  assert_string_equal(prompt_for(NULL, "Be brief.", "Hi"),
                      "<start_of_turn>developer\nBe brief.<end_of_turn>\n"
                      "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
  assert_string_equal(prompt_for(NULL, NULL, "Hi"),
                      "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
  assert_string_equal(prompt_for("[]", NULL, "Hi"),
                      "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
  /* Tools without a developer message still get the developer turn. */
  assert_string_equal(prompt_for("[{\"function\": {\"name\": \"f\"}}]", NULL, "Hi"),
                      "<start_of_turn>developer\n<start_function_declaration>declaration:f{"
                      "description:<escape><escape>}<end_function_declaration><end_of_turn>\n"
                      "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
  /* trim strips Unicode whitespace (U+00A0, U+3000) but not other text. */
  assert_string_equal(prompt_for(NULL, NULL, "\xc2\xa0 caf\xc3\xa9 \xe2\x9c\x93\xe3\x80\x80\n"),
                      "<start_of_turn>user\ncaf\xc3\xa9 \xe2\x9c\x93<end_of_turn>\n"
                      "<start_of_turn>model\n");
  assert_string_equal(prompt_for(NULL, NULL, "   "),
                      "<start_of_turn>user\n<end_of_turn>\n<start_of_turn>model\n");
}

static void expect_prompt_error(const char *tools_json, const char *needle) {
  json_doc *d = fresh_doc();
  int32_t root = parse_ok(d, tools_json);
  int32_t tools = fg_tools_array(d, root, err, sizeof err);
  assert_true(tools >= 0);
  err[0] = '\0';
  assert_int_equal(fg_prompt_build(d, tools, NULL, "Hi", out, sizeof out, err, sizeof err), -1);
  if (!strstr(err, needle))
    fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_prompt_errors(void **state) {
  (void)state;
  expect_prompt_error("[{\"name\": \"f\"}]", "\"function\"");
  expect_prompt_error("[{\"function\": {\"description\": \"x\"}}]", "name");
  expect_prompt_error("[{\"function\": {\"name\": \"\"}}]", "name");
  expect_prompt_error("[{\"function\": {\"name\": \"f\"}}, 3]", "tool 1");
  expect_prompt_error("[{\"function\": {\"name\": \"f\", \"parameters\": [1]}}]", "parameters");
  expect_prompt_error("[{\"function\": {\"name\": \"f\", \"parameters\": {\"properties\": [1]}}}]",
                      "properties");
  expect_prompt_error("[{\"function\": {\"name\": \"f\", \"description\": \"a\\u0000b\"}}]",
                      "U+0000");
  expect_prompt_error("[{\"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\","
                      " \"required\": \"x\"}}}]",
                      "required");

  json_doc *d = fresh_doc();
  int32_t root = parse_ok(d, "{\"tools\": 1}");
  assert_int_equal(fg_tools_array(d, root, err, sizeof err), -1);
  root = parse_ok(d, "\"x\"");
  assert_int_equal(fg_tools_array(d, root, err, sizeof err), -1);

  /* Too small a buffer: an error, and nothing written past it. */
  root = parse_ok(d, "[{\"function\": {\"name\": \"get_weather\"}}]");
  char small[64];
  memset(small, 'Z', sizeof small);
  assert_int_equal(
      fg_prompt_build(d, root, FG_DEFAULT_DEVELOPER_PROMPT, "Hi", small, 40, err, sizeof err), -1);
  assert_non_null(strstr(err, "longer than 39 bytes"));
  for (size_t i = 40; i < sizeof small; i++)
    assert_int_equal(small[i], 'Z');
  assert_int_equal(fg_prompt_build(d, -1, NULL, NULL, out, sizeof out, err, sizeof err), -1);
}

/* ---- output parsing ------------------------------------------------------ */

static fg_output result;

/* Parses a model answer; returns its kind. */
static fg_output_kind parse_answer(json_doc *d, const char *text) {
  return fg_parse_output(text, strlen(text), d, &result);
}

/* The calls of an answer as JSON lines. */
static const char *calls_json(const char *text) {
  json_doc *d = fresh_doc();
  if (parse_answer(d, text) != FG_OUTPUT_CALLS)
    fail_msg("not parsed as calls (%s at %zu): %s", result.error, result.error_offset, text);
  size_t n = 0;
  for (int i = 0; i < result.n_calls; i++) {
    int64_t k = json_write(d, result.calls[i], out + n, sizeof out - n - 1);
    assert_true(k >= 0);
    n += (size_t)k;
    out[n++] = '\n';
  }
  out[n] = '\0';
  return out;
}

static void test_parse_google_example(void **state) {
  (void)state;
  assert_string_equal(calls_json("<start_function_call>call:get_current_weather{location:<escape>"
                                 "Tokyo, Japan<escape>}<end_function_call>"),
                      "{\"name\": \"get_current_weather\", \"arguments\": {\"location\": "
                      "\"Tokyo, Japan\"}}\n");
  assert_string_equal(
      calls_json("<start_function_call>call:get_current_temperature{location:<escape>Paris<"
                 "escape>,unit:<escape>celsius<escape>}<end_function_call>"),
      "{\"name\": \"get_current_temperature\", \"arguments\": {\"location\": \"Paris\", "
      "\"unit\": \"celsius\"}}\n");
  assert_string_equal(calls_json("<start_function_call>call:pwd{}<end_function_call>"),
                      "{\"name\": \"pwd\", \"arguments\": {}}\n");
}

static void test_parse_argument_types(void **state) {
  (void)state;
  assert_string_equal(
      calls_json("<start_function_call>call:set_alarm{hour:7,minute:-30,ratio:0.25,big:1.5e3,"
                 "vibrate:true,snooze:false,label:null,old:None,days:[<escape>mon<escape>,"
                 "<escape>tue<escape>],grid:[[1,2],[]],when:{date:<escape>2026-11-20<escape>,"
                 "tz:{name:<escape>UTC<escape>,offset:0}},empty:{},"
                 "text:<escape>a {b}, c: \"d\"\n\\e<escape>}<end_function_call>"),
      "{\"name\": \"set_alarm\", \"arguments\": {\"hour\": 7, \"minute\": -30, \"ratio\": 0.25, "
      "\"big\": 1.5e3, \"vibrate\": true, \"snooze\": false, \"label\": null, \"old\": null, "
      "\"days\": [\"mon\", \"tue\"], \"grid\": [[1, 2], []], \"when\": {\"date\": \"2026-11-20\", "
      "\"tz\": {\"name\": \"UTC\", \"offset\": 0}}, \"empty\": {}, \"text\": \"a {b}, c: "
      "\\\"d\\\"\\n\\\\e\"}}\n");
  /* Non-ASCII survives; an invalid byte becomes U+FFFD in the JSON. */
  assert_string_equal(
      calls_json("<start_function_call>call:say{t:<escape>caf\xc3\xa9 \xff<escape>}"
                 "<end_function_call>"),
      "{\"name\": \"say\", \"arguments\": {\"t\": \"caf\xc3\xa9 \xef\xbf\xbd\"}}\n");
}

static void test_parse_parallel_and_trailing(void **state) {
  (void)state;
  /* A complete call whose end marker the token limit cut off. */
  assert_string_equal(calls_json("<start_function_call>call:noop{}"),
                      "{\"name\": \"noop\", \"arguments\": {}}\n");
  assert_string_equal(calls_json("<start_function_call>call:f{a:1}\n<end_func"),
                      "{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n");
  assert_string_equal(
      calls_json("Sure.<start_function_call>call:get_weather{city:<escape>Paris<escape>}<end_"
                 "function_call><start_function_call>call:get_time{timezone:<escape>UTC<escape>}"
                 "<end_function_call><start_function_response>"),
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "{\"name\": \"get_time\", \"arguments\": {\"timezone\": \"UTC\"}}\n");
  json_doc *d = fresh_doc();
  assert_int_equal(parse_answer(d, "<start_function_call>call:a{}<end_function_call> trailing"),
                   FG_OUTPUT_CALLS);
  assert_int_equal(result.n_calls, 1);
}

static void test_parse_lenient(void **state) {
  (void)state;
  /* Whitespace, no "call:", <escape>d keys, bare strings, loose numbers, a
   * trailing comma, Python booleans. */
  assert_string_equal(
      calls_json("<start_function_call> get_weather { <escape>location<escape> : Paris , "
                 "days: +3, frac: .5, whole: 2., zeros: 007, ok: True, when: 12:30, }\n"
                 "<end_function_call>"),
      "{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"days\": 3, "
      "\"frac\": 0.5, \"whole\": 2.0, \"zeros\": 7, \"ok\": true, \"when\": \"12:30\"}}\n");
}

static void test_parse_text(void **state) {
  (void)state;
  json_doc *d = fresh_doc();
  assert_int_equal(parse_answer(d, "  The weather in Tokyo is sunny.\n"), FG_OUTPUT_TEXT);
  assert_int_equal(result.text_len, strlen("The weather in Tokyo is sunny."));
  assert_memory_equal(result.text, "The weather in Tokyo is sunny.", result.text_len);
  assert_int_equal(parse_answer(d, ""), FG_OUTPUT_TEXT);
  assert_int_equal(result.text_len, 0);
  assert_int_equal(fg_parse_output(NULL, 0, d, &result), FG_OUTPUT_TEXT);
  /* A stray end marker is not a call. */
  assert_int_equal(parse_answer(d, "call:f{}<end_function_call>"), FG_OUTPUT_TEXT);
}

static void expect_parse_error(const char *text, const char *needle) {
  json_doc *d = fresh_doc();
  if (parse_answer(d, text) != FG_OUTPUT_ERROR)
    fail_msg("parsed without error: %s", text);
  assert_int_equal(result.n_calls, 0);
  assert_true(result.error_offset <= strlen(text));
  if (!strstr(result.error, needle))
    fail_msg("error \"%s\" does not mention \"%s\" (%s)", result.error, needle, text);
}

static void test_parse_malformed(void **state) {
  (void)state;
  expect_parse_error("<start_function_call>call:get_weather{location:<escape>Paris",
                     "no closing <escape>");
  expect_parse_error("<start_function_call>call:get_weather{location:<escape>Paris<escape>",
                     "truncated");
  expect_parse_error("<start_function_call>call:{x:1}<end_function_call>", "function name");
  expect_parse_error("<start_function_call>call:f(x=1)<end_function_call>", "'{'");
  expect_parse_error("<start_function_call>call:f{x}<end_function_call>", "name:value");
  expect_parse_error("<start_function_call>call:f{:1}<end_function_call>", "empty argument");
  expect_parse_error("<start_function_call>call:f{x:}<end_function_call>", "missing value");
  expect_parse_error("<start_function_call>call:f{x:1]<end_function_call>", "',' or '}'");
  expect_parse_error("<start_function_call>call:f{x:[1}<end_function_call>", "',' or ']'");
  expect_parse_error("<start_function_call>call:f{x:1}}<end_function_call>", "<end_function_call>");
  expect_parse_error("<start_function_call>call:f{x:1,x:2}<end_function_call>", "duplicate");
  expect_parse_error("<start_function_call>call:f{x:1e999}<end_function_call>", "range");
  expect_parse_error("<start_function_call>call:f{<escape>x:1}<end_function_call>",
                     "no closing <escape>");
  expect_parse_error("<start_function_call>", "truncated");
  expect_parse_error("<start_function_call>call:f{x:1}<end_function_call>"
                     "<start_function_call>call:g{",
                     "truncated");
  /* Nesting beyond FG_MAX_ARG_DEPTH. */
  char deep[512] = "<start_function_call>call:f{x:";
  for (int i = 0; i < 40; i++)
    strcat(deep, "[");
  strcat(deep, "1");
  for (int i = 0; i < 40; i++)
    strcat(deep, "]");
  strcat(deep, "}<end_function_call>");
  expect_parse_error(deep, "deeper");
  /* More calls than FG_MAX_CALLS. */
  static char many[4096];
  many[0] = '\0';
  for (int i = 0; i < FG_MAX_CALLS + 1; i++)
    strcat(many, "<start_function_call>call:f{}<end_function_call>");
  expect_parse_error(many, "more than");
}

/* Every prefix of a valid answer is an error (or, for the whole text, the
 * call); the storage limits give errors, not overruns. */
static void test_parse_truncations_and_limits(void **state) {
  (void)state;
  const char *full = "<start_function_call>call:book{who:<escape>Ann<escape>,n:[1,{a:true}],"
                     "at:{d:<escape>mon<escape>}}<end_function_call>";
  size_t n = strlen(full);
  static char buf[512];
  size_t args_end = n - strlen("<end_function_call>"); /* just after the last '}' */
  for (size_t k = strlen("<start_function_call>"); k <= n; k++) {
    memcpy(buf, full, k);
    json_doc *d = fresh_doc();
    fg_output_kind kind = fg_parse_output(buf, k, d, &result);
    if (k < args_end) {
      assert_int_equal(kind, FG_OUTPUT_ERROR);
      assert_true(strstr(result.error, "truncated") || strstr(result.error, "no closing"));
    } else { /* the arguments are complete; the end marker may be cut */
      assert_int_equal(kind, FG_OUTPUT_CALLS);
      assert_int_equal(result.n_calls, 1);
    }
  }
  /* A document with room for 3 values cannot hold this call. */
  json_value few[3];
  char small_arena[4096];
  json_doc d;
  json_doc_init(&d, few, 3, small_arena, sizeof small_arena);
  assert_int_equal(fg_parse_output(full, n, &d, &result), FG_OUTPUT_ERROR);
  assert_non_null(strstr(result.error, "too many"));
  /* Nor can 16 bytes of arena. */
  json_value many_nodes[64];
  char tiny_arena[16];
  json_doc_init(&d, many_nodes, 64, tiny_arena, sizeof tiny_arena);
  assert_int_equal(fg_parse_output(full, n, &d, &result), FG_OUTPUT_ERROR);
  assert_non_null(strstr(result.error, "arena"));
}

/* Random answers made of the syntax's pieces: the result is always a valid
 * kind, calls always write as JSON that reads back, errors stay in range. */
static void test_parse_random(void **state) {
  (void)state;
  static const char *const pieces[] = {"<start_function_call>",
                                       "<end_function_call>",
                                       "call:",
                                       "get_weather",
                                       "{",
                                       "}",
                                       "[",
                                       "]",
                                       ",",
                                       ":",
                                       "<escape>",
                                       "Paris",
                                       "12",
                                       "-3.5e2",
                                       "true",
                                       "None",
                                       " ",
                                       "\n",
                                       "x",
                                       "<end_of_turn>",
                                       "<start_function_response>",
                                       "\xc3",
                                       "\"",
                                       "\\"};
  const int n_pieces = (int)(sizeof pieces / sizeof pieces[0]);
  static char text[1024], written[8192];
  static json_value check_nodes[NODES];
  static char check_arena[ARENA];
  unsigned seed = 12345;
  int kinds[3] = {0, 0, 0};
  for (int iter = 0; iter < 4000; iter++) {
    size_t len = 0;
    if (iter % 2 == 0) { /* half start like a call */
      strcpy(text, "<start_function_call>call:f{");
      len = strlen(text);
    }
    int count = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 40;
    for (int j = 0; j < count; j++) {
      seed = seed * 1103515245u + 12345u;
      const char *p = pieces[(seed >> 16) % (unsigned)n_pieces];
      size_t k = strlen(p);
      if (len + k >= sizeof text)
        break;
      memcpy(text + len, p, k);
      len += k;
    }
    json_doc *d = fresh_doc();
    fg_output_kind kind = fg_parse_output(text, len, d, &result);
    assert_true(kind == FG_OUTPUT_TEXT || kind == FG_OUTPUT_CALLS || kind == FG_OUTPUT_ERROR);
    kinds[kind]++;
    if (kind == FG_OUTPUT_ERROR)
      assert_true(result.error_offset <= len && result.error[0] != '\0');
    if (kind == FG_OUTPUT_TEXT)
      assert_true(result.text >= text && result.text + result.text_len <= text + len);
    for (int c = 0; kind == FG_OUTPUT_CALLS && c < result.n_calls; c++) {
      int64_t w = json_write(d, result.calls[c], written, sizeof written);
      assert_true(w > 0);
      json_doc check;
      json_doc_init(&check, check_nodes, NODES, check_arena, sizeof check_arena);
      if (json_parse(&check, written, (size_t)w) < 0)
        fail_msg("written call is not JSON (%s): %s", check.error, written);
    }
  }
  /* The generator reaches every outcome. */
  assert_true(kinds[FG_OUTPUT_TEXT] > 0 && kinds[FG_OUTPUT_CALLS] > 0 &&
              kinds[FG_OUTPUT_ERROR] > 0);
}

/* ---- JSON reader and writer ---------------------------------------------- */

static void test_json_values(void **state) {
  (void)state;
  json_doc *d = fresh_doc();
  const char *text = " {\"s\": \"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\u0000z\","
                     " \"n\": [0, -1, 2.5e-3, 12345678901234567890, -0.0],"
                     " \"t\": true, \"f\": false, \"z\": null, \"o\": {}, \"a\": []} ";
  int32_t root = parse_ok(d, text);
  const json_value *r = json_at(d, root);
  assert_int_equal(r->type, JSON_OBJECT);
  assert_int_equal(r->count, 7);
  const json_value *s = json_get(d, r, "s");
  static const char want[] = "a\"b\\c/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\0z";
  assert_int_equal(s->type, JSON_STRING);
  assert_int_equal(s->len, sizeof want - 1);
  assert_memory_equal(s->str, want, sizeof want - 1);
  const json_value *n = json_get(d, r, "n");
  assert_int_equal(n->count, 5);
  const json_value *e = json_first(d, n);
  assert_true(e->is_integer && e->number == 0);
  e = json_next(d, e);
  assert_true(e->is_integer && e->number == -1);
  e = json_next(d, e);
  assert_false(e->is_integer);
  assert_true(e->number == 2.5e-3);
  assert_string_equal(e->str, "2.5e-3");
  e = json_next(d, e);
  assert_string_equal(e->str, "12345678901234567890");
  e = json_next(d, e);
  assert_string_equal(e->str, "-0.0");
  assert_null(json_next(d, e));
  assert_true(json_get(d, r, "t")->boolean);
  assert_false(json_get(d, r, "f")->boolean);
  assert_int_equal(json_get(d, r, "z")->type, JSON_NULL);
  assert_int_equal(json_get(d, r, "o")->count, 0);
  assert_null(json_first(d, json_get(d, r, "a")));
  assert_null(json_get(d, r, "missing"));
  assert_null(json_get(d, n, "s")); /* not an object */
  /* Round trip through the writer. */
  assert_true(json_write(d, root, out, sizeof out) > 0);
  assert_string_equal(out,
                      "{\"s\": \"a\\\"b\\\\c/\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\\u0000z\", "
                      "\"n\": [0, -1, 2.5e-3, 12345678901234567890, -0.0], \"t\": true, "
                      "\"f\": false, \"z\": null, \"o\": {}, \"a\": []}");
  /* Scalars at the top level. */
  assert_true(parse_ok(d, "42") >= 0);
  assert_true(parse_ok(d, "\"\"") >= 0);
}

static void expect_json_error(const char *text, size_t len, const char *needle) {
  json_doc *d = fresh_doc();
  if (json_parse(d, text, len) >= 0)
    fail_msg("accepted invalid JSON: %.*s", (int)len, text);
  assert_true(d->error_offset <= len);
  if (!strstr(d->error, needle))
    fail_msg("error \"%s\" does not mention \"%s\"", d->error, needle);
}

#define EXPECT_JSON_ERROR(lit, needle) expect_json_error(lit, sizeof(lit) - 1, needle)

static void test_json_strictness(void **state) {
  (void)state;
  EXPECT_JSON_ERROR("", "end of the text");
  EXPECT_JSON_ERROR("   ", "end of the text");
  EXPECT_JSON_ERROR("[1,]", "trailing comma");
  EXPECT_JSON_ERROR("{\"a\":1,}", "trailing comma");
  EXPECT_JSON_ERROR("[1 2]", "expected ','");
  EXPECT_JSON_ERROR("{\"a\" 1}", "expected ':'");
  EXPECT_JSON_ERROR("{a:1}", "string key");
  EXPECT_JSON_ERROR("{'a':1}", "string key");
  EXPECT_JSON_ERROR("{\"a\":1,\"a\":2}", "duplicate key");
  EXPECT_JSON_ERROR("01", "invalid number");
  EXPECT_JSON_ERROR("-", "invalid number");
  EXPECT_JSON_ERROR("1.", "invalid number");
  EXPECT_JSON_ERROR("1e", "invalid number");
  EXPECT_JSON_ERROR(".5", "unexpected character");
  EXPECT_JSON_ERROR("+1", "unexpected character");
  EXPECT_JSON_ERROR("NaN", "unexpected character");
  EXPECT_JSON_ERROR("Infinity", "unexpected character");
  EXPECT_JSON_ERROR("1e400", "out of range");
  EXPECT_JSON_ERROR("tru", "unexpected character");
  EXPECT_JSON_ERROR("nul", "unexpected character");
  EXPECT_JSON_ERROR("[1] // c", "after the JSON value");
  EXPECT_JSON_ERROR("{} {}", "after the JSON value");
  EXPECT_JSON_ERROR("/* c */ 1", "unexpected character");
  EXPECT_JSON_ERROR("\"abc", "unterminated string");
  EXPECT_JSON_ERROR("\"abc\\", "unterminated string");
  EXPECT_JSON_ERROR("[1, 2", "unterminated array");
  EXPECT_JSON_ERROR("{\"a\": 1", "unterminated object");
  EXPECT_JSON_ERROR("\"a\tb\"", "control character");
  EXPECT_JSON_ERROR("\"a\nb\"", "control character");
  EXPECT_JSON_ERROR("\"a\0b\"", "control character");
  EXPECT_JSON_ERROR("\"\\x41\"", "invalid escape");
  EXPECT_JSON_ERROR("\"\\u12\"", "4 hex digits");
  EXPECT_JSON_ERROR("\"\\u12G4\"", "4 hex digits");
  EXPECT_JSON_ERROR("\"\\ud800\"", "high surrogate");
  EXPECT_JSON_ERROR("\"\\ud800\\u0041\"", "high surrogate");
  EXPECT_JSON_ERROR("\"\\udc00\"", "lone low surrogate");
  EXPECT_JSON_ERROR("\"\xc0\x80\"", "UTF-8");         /* overlong */
  EXPECT_JSON_ERROR("\"\xed\xa0\x80\"", "UTF-8");     /* encoded surrogate */
  EXPECT_JSON_ERROR("\"\xf4\x90\x80\x80\"", "UTF-8"); /* above U+10FFFF */
  EXPECT_JSON_ERROR("\"\xe2\x82\"", "UTF-8");         /* truncated sequence */
  EXPECT_JSON_ERROR("\"\xff\"", "UTF-8");
  EXPECT_JSON_ERROR("\xef\xbb\xbf{}", "unexpected character"); /* no BOM */
}

static void test_json_error_position(void **state) {
  (void)state;
  json_doc *d = fresh_doc();
  const char *text = "{\n  \"a\": 1,\n  \"b\" 2\n}";
  assert_int_equal(json_parse(d, text, strlen(text)), -1);
  assert_int_equal(d->error_offset, (size_t)(strchr(text, '2') - text));
  assert_non_null(strstr(d->error, "line 3, column 7"));
  /* The length is respected: the text need not be NUL-terminated. */
  assert_true(json_parse(d, "[1]xyz", 3) >= 0);
  assert_int_equal(json_parse(d, "[1,2]", 4), -1);
}

static void test_json_limits(void **state) {
  (void)state;
  json_doc *d = fresh_doc();
  char deep[256];
  /* max_depth containers nest fine; one more does not. */
  memset(deep, '[', 64);
  memset(deep + 64, ']', 64);
  assert_true(json_parse(d, deep, 128) >= 0);
  memset(deep, '[', 65);
  memset(deep + 65, ']', 65);
  assert_int_equal(json_parse(d, deep, 130), -1);
  assert_non_null(strstr(d->error, "nesting"));
  d->max_depth = 2;
  assert_int_equal(json_parse(d, "[[[1]]]", 7), -1);
  assert_true(json_parse(d, "[[1]]", 5) >= 0);

  json_value few[4];
  char small_arena[8];
  json_doc s;
  json_doc_init(&s, few, 4, small_arena, sizeof small_arena);
  assert_true(json_parse(&s, "[1,2,3]", 7) >= 0); /* 4 values, 3 * 2 bytes */
  assert_int_equal(json_parse(&s, "[1,2,3,4]", 9), -1);
  assert_non_null(strstr(s.error, "too many"));
  assert_int_equal(json_parse(&s, "\"abcdefgh\"", 10), -1);
  assert_non_null(strstr(s.error, "arena"));
  assert_int_equal(json_parse(&s, NULL, 0), -1);
}

static void test_json_build_and_write(void **state) {
  (void)state;
  json_doc *d = fresh_doc();
  int32_t root = json_add(d, -1, NULL, 0, JSON_OBJECT);
  assert_true(json_add_string(d, root, "k\"", 2, "line\nbreak\x01\x7f", 12) >= 0);
  int32_t arr = json_add(d, root, "arr", 3, JSON_ARRAY);
  assert_true(json_add_number(d, arr, NULL, 0, "-1.5e+2", 7) >= 0);
  assert_true(json_add_bool(d, arr, NULL, 0, false) >= 0);
  assert_true(json_add(d, arr, NULL, 0, JSON_NULL) >= 0);
  assert_int_equal(json_add_number(d, arr, NULL, 0, "1.", 2), -1); /* not a JSON number */
  assert_int_equal(json_add_number(d, arr, NULL, 0, "1e999", 5), -1);
  assert_int_equal(json_add_bool(d, root, "arr", 3, true), -1); /* duplicate key */
  assert_int_equal(json_add_bool(d, root, NULL, 0, true), -1);  /* member without a key */
  int32_t leaf = json_add_bool(d, -1, NULL, 0, true);
  assert_int_equal(json_add_bool(d, leaf, NULL, 0, true), -1); /* not a container */
  int64_t n = json_write(d, root, out, sizeof out);
  assert_string_equal(out, "{\"k\\\"\": \"line\\nbreak\\u0001\x7f\", \"arr\": [-1.5e+2, false, "
                           "null]}");
  assert_int_equal(n, (int64_t)strlen(out));
  /* Too small: -1 and an empty string. */
  char small[16];
  assert_int_equal(json_write(d, root, small, sizeof small), -1);
  assert_string_equal(small, "");
  assert_int_equal(json_write(d, 9999, out, sizeof out), -1);
  assert_int_equal(json_write_string("ab", 2, small, 4), -1);
  assert_int_equal(json_write_string("ab", 2, small, 5), 4);
  assert_string_equal(small, "\"ab\"");
}

static void test_json_format_double(void **state) {
  (void)state;
  static const struct {
    double x;
    const char *repr; /* Python's repr(x) */
  } cases[] = {
      {1.0, "1.0"},
      {0.1, "0.1"},
      {-2.5, "-2.5"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},
      {1.5e16, "1.5e+16"},
      {123456789.125, "123456789.125"},
      {0.30000000000000004, "0.30000000000000004"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {1e100, "1e+100"},
      {2.5e-3, "0.0025"},
  };
  char buf[40];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = json_format_double(cases[i].x, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(cases[i].repr));
    assert_string_equal(buf, cases[i].repr);
    assert_true(json_is_number_text(buf, (size_t)n));
  }
  assert_int_equal(json_format_double(0.1, buf, 3), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prompt_google_example),
      cmocka_unit_test(test_prompt_one_function),
      cmocka_unit_test(test_prompt_two_functions),
      cmocka_unit_test(test_prompt_schema_cases),
      cmocka_unit_test(test_prompt_nested_schema),
      cmocka_unit_test(test_prompt_turns),
      cmocka_unit_test(test_prompt_errors),
      cmocka_unit_test(test_parse_google_example),
      cmocka_unit_test(test_parse_argument_types),
      cmocka_unit_test(test_parse_parallel_and_trailing),
      cmocka_unit_test(test_parse_lenient),
      cmocka_unit_test(test_parse_text),
      cmocka_unit_test(test_parse_malformed),
      cmocka_unit_test(test_parse_truncations_and_limits),
      cmocka_unit_test(test_parse_random),
      cmocka_unit_test(test_json_values),
      cmocka_unit_test(test_json_strictness),
      cmocka_unit_test(test_json_error_position),
      cmocka_unit_test(test_json_limits),
      cmocka_unit_test(test_json_build_and_write),
      cmocka_unit_test(test_json_format_double),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

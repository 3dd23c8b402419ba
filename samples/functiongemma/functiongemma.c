/* functiongemma.c — on-device function calling with a gqc-compiled FunctionGemma.
 *
 * Links with a model compiled by gqc with the default API prefix (model.h /
 * model.o) and libgqcrt:
 *
 *   gqc functiongemma-270m-it-Q8_0.gguf -o fg.o --ctx 1024
 *   cc -DFG_MODEL_HEADER='"fg.h"' functiongemma.c prompt.c call_parser.c json.c fg.o \
 *      -I. -I<gqc>/runtime/include <gqc-build>/runtime/libgqcrt.a -lm -o functiongemma
 *
 *   functiongemma --tools tools.json "What's the weather in Paris?"
 *   {"name": "get_weather", "arguments": {"location": "Paris"}}
 *
 * The program reads OpenAI-style tool declarations, builds the prompt as
 * FunctionGemma's chat template does (prompt.c), tokenizes it with the
 * control tokens as single ids, feeds it to the model and decodes greedily
 * until the model ends its turn (an end-of-generation token such as
 * <end_of_turn>), starts waiting for a function response
 * (<start_function_response>, the stop sequence Google documents), finishes
 * its block of function calls, or reaches the token limit. The answer is
 * parsed (call_parser.c) and printed on stdout: one JSON object per function
 * call, or the plain text if the model answered without calling anything.
 *
 * Like the model itself, the program does not allocate: every buffer is a
 * static array sized from the limits below and the generated header's
 * MODEL_N_CTX / MODEL_MAX_TEXT_BYTES.
 *
 * Tools compiled in (README section 7): `functiongemma --tools T --print-prefix`
 * prints the developer turn with the declarations, which
 * `gqc --prefix FILE` reads into the object at compile time. A program
 * built against such a model (model_n_prefix() > 0) sends only the user turn,
 * from position model_n_prefix() on: the tools cost nothing per request.
 *
 * Exit status: 0 when the model ran (whatever it answered — a malformed
 * call is reported as {"error": ...} on stdout), 1 for an error (tools file,
 * prompt too long for the compiled context, decode failure), 2 for usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call_parser.h"
#include "gqcrt.h"
#include "json.h"
#include "prompt.h"

/* The header gqc wrote beside the object: x.h for -o x.o. The API prefix
 * must be the default one, `model` (gqc --name model). */
#ifndef FG_MODEL_HEADER
#define FG_MODEL_HEADER "model.h"
#endif
#include FG_MODEL_HEADER

enum {
  MAX_TOOLS_BYTES = 64 * 1024,  /* the tools file */
  TOOLS_NODES = 4096,           /* JSON values in the tools file */
  TOOLS_ARENA = 64 * 1024,      /* their strings */
  MAX_ANSWER_BYTES = 16 * 1024, /* generated text */
  ANSWER_NODES = 2048,          /* JSON values in the parsed calls */
  ANSWER_ARENA = 32 * 1024,
  PRINT_BYTES = 64 * 1024, /* one printed JSON line */
  DEFAULT_MAX_TOKENS = 128
};

static char tools_text[MAX_TOOLS_BYTES + 1];
static json_value tools_nodes[TOOLS_NODES];
static char tools_arena[TOOLS_ARENA];
static char prompt[MODEL_MAX_TEXT_BYTES + 1];
static int32_t ids[MODEL_N_CTX + 1];
static char answer[MAX_ANSWER_BYTES + 1];
static json_value answer_nodes[ANSWER_NODES];
static char answer_arena[ANSWER_ARENA];
static char print_buf[PRINT_BYTES];

/* The control tokens whose text the program needs while generating; their
 * ids are looked up by tokenizing each one (the vocabulary may mark them
 * CONTROL, and the detokenizer prints CONTROL tokens as ""). */
enum {
  T_START_OF_TURN,
  T_END_OF_TURN,
  T_START_DECL,
  T_END_DECL,
  T_START_CALL,
  T_END_CALL,
  T_START_RESPONSE,
  T_END_RESPONSE,
  T_ESCAPE,
  T_COUNT
};
static const char *const special_text[T_COUNT] = {
    FG_START_OF_TURN, FG_END_OF_TURN,    FG_START_DECLARATION, FG_END_DECLARATION, FG_START_CALL,
    FG_END_CALL,      FG_START_RESPONSE, FG_END_RESPONSE,      FG_ESCAPE};
static int32_t special_id[T_COUNT];

typedef struct options {
  const char *tools_path, *developer, *user, *parse_text;
  int max_tokens;
  bool first_call, json_text, print_prompt, print_prefix, verbose;
} options;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f) {
  fputs("usage: functiongemma [options] USER_MESSAGE\n"
        "  -t, --tools FILE      tool declarations: a JSON array of OpenAI-style tools\n"
        "                        [{\"type\": \"function\", \"function\": {\"name\": ...,\n"
        "                          \"description\": ..., \"parameters\": {JSON schema}}}]\n"
        "  -s, --system TEXT     developer message (default: \"" FG_DEFAULT_DEVELOPER_PROMPT "\")\n"
        "      --no-system       no developer message\n"
        "  -n, --max-tokens N    generate at most N tokens (default 128)\n"
        "      --first-call      stop at the first <end_function_call> (no parallel calls)\n"
        "      --json            print a text answer as {\"text\": ...}\n"
        "      --print-prompt    print the prompt text and exit\n"
        "      --print-prefix    print the developer turn with the tools (for gqc --prefix)\n"
        "      --parse TEXT      parse TEXT as a model answer and print the result (no model)\n"
        "  -v, --verbose         token ids, counts, stop reason and speed on stderr\n"
        "Prints one JSON object per function call: {\"name\": ..., \"arguments\": {...}},\n"
        "or the model's text answer.\n",
        f);
}

static int parse_args(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->developer = FG_DEFAULT_DEVELOPER_PROMPT;
  o->max_tokens = DEFAULT_MAX_TOKENS;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if ((!strcmp(a, "-t") || !strcmp(a, "--tools")) && has_value)
      o->tools_path = argv[++i];
    else if ((!strcmp(a, "-s") || !strcmp(a, "--system")) && has_value)
      o->developer = argv[++i];
    else if (!strcmp(a, "--no-system"))
      o->developer = NULL;
    else if ((!strcmp(a, "-n") || !strcmp(a, "--max-tokens")) && has_value) {
      char *end;
      errno = 0;
      long v = strtol(argv[++i], &end, 10);
      if (errno || *end || v < 1 || v > 1000000) {
        fprintf(stderr, "functiongemma: --max-tokens wants a positive number\n");
        return 2;
      }
      o->max_tokens = (int)v;
    } else if (!strcmp(a, "--first-call"))
      o->first_call = true;
    else if (!strcmp(a, "--json"))
      o->json_text = true;
    else if (!strcmp(a, "--print-prompt"))
      o->print_prompt = true;
    else if (!strcmp(a, "--print-prefix"))
      o->print_prefix = true;
    else if (!strcmp(a, "--parse") && has_value)
      o->parse_text = argv[++i];
    else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
      o->verbose = true;
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return -1;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "functiongemma: unknown option or missing value: %s\n", a);
      usage(stderr);
      return 2;
    } else if (!o->user)
      o->user = a;
    else {
      fprintf(stderr, "functiongemma: more than one user message (quote it)\n");
      return 2;
    }
  }
  if (o->print_prefix && !o->user)
    o->user = "-"; /* (any: only the turns before it are printed) */
  if (!o->user && !o->parse_text) {
    usage(stderr);
    return 2;
  }
  return 0;
}

/* Reads and parses the tools file. Returns the tool array's index, -2 when
 * there is no file, or -1 after printing an error. */
static int32_t load_tools(const char *path, json_doc *doc) {
  if (!path)
    return -2;
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "functiongemma: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t n = fread(tools_text, 1, MAX_TOOLS_BYTES + 1, f);
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "functiongemma: error reading %s\n", path);
    return -1;
  }
  if (n > MAX_TOOLS_BYTES) {
    fprintf(stderr, "functiongemma: %s is larger than %d bytes\n", path, MAX_TOOLS_BYTES);
    return -1;
  }
  int32_t root = json_parse(doc, tools_text, n);
  if (root < 0) {
    fprintf(stderr, "functiongemma: %s: %s\n", path, doc->error);
    return -1;
  }
  char err[200];
  int32_t tools = fg_tools_array(doc, root, err, sizeof err);
  if (tools < 0)
    fprintf(stderr, "functiongemma: %s: %s\n", path, err);
  return tools;
}

/* Prints the parsed answer on stdout. */
static void print_answer(const char *text, size_t len, bool json_text) {
  static json_doc doc;
  static fg_output out;
  json_doc_init(&doc, answer_nodes, ANSWER_NODES, answer_arena, sizeof answer_arena);
  fg_parse_output(text, len, &doc, &out);
  switch (out.kind) {
  case FG_OUTPUT_CALLS:
    for (int i = 0; i < out.n_calls; i++) {
      if (json_write(&doc, out.calls[i], print_buf, sizeof print_buf) < 0)
        printf("{\"error\": \"the function call is too long to print\"}\n");
      else
        printf("%s\n", print_buf);
    }
    break;
  case FG_OUTPUT_TEXT:
    if (!json_text) {
      fwrite(out.text, 1, out.text_len, stdout);
      putchar('\n');
    } else if (json_write_string(out.text, out.text_len, print_buf, sizeof print_buf) >= 0) {
      printf("{\"text\": %s}\n", print_buf);
    } else {
      printf("{\"error\": \"the answer is too long to print\"}\n");
    }
    break;
  case FG_OUTPUT_ERROR: {
    char msg[256];
    snprintf(msg, sizeof msg, "malformed function call at byte %zu: %s", out.error_offset,
             out.error);
    json_write_string(msg, strlen(msg), print_buf, sizeof print_buf);
    printf("{\"error\": %s, ", print_buf);
    if (json_write_string(text, len, print_buf, sizeof print_buf) < 0)
      strcpy(print_buf, "\"\"");
    printf("\"output\": %s}\n", print_buf);
    break;
  }
  }
  fflush(stdout);
}

/* Finds each control token's id: its text must tokenize to one id (after
 * the BOS the tokenizer adds). -1 when the vocabulary lacks it. */
static void find_special_ids(bool verbose) {
  for (int t = 0; t < T_COUNT; t++) {
    int32_t tmp[8];
    int n = model_tokenize(special_text[t], tmp, 8);
    int first = n > 0 && tmp[0] == model_bos() ? 1 : 0;
    special_id[t] = n - first == 1 ? tmp[first] : -1;
    if (verbose)
      fprintf(stderr, "functiongemma: token %s = %d\n", special_text[t], (int)special_id[t]);
    else if (special_id[t] < 0)
      fprintf(stderr,
              "functiongemma: warning: the vocabulary has no single %s token "
              "(is this a FunctionGemma model?)\n",
              special_text[t]);
  }
}

/* The bytes token `id` stands for, control tokens spelled out. */
static const char *token_bytes(int32_t id, int32_t *len) {
  for (int t = 0; t < T_COUNT; t++)
    if (special_id[t] == id) {
      *len = (int32_t)strlen(special_text[t]);
      return special_text[t];
    }
  *len = 0;
  const char *p = model_token_piece(id, len);
  return p ? p : "";
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Prefill + greedy generation into answer[]. Returns the answer length, or
 * -1 after printing an error. */
static long generate(int n_prompt, const options *o) {
  /* positions from base on: after the compiled prefix, if any */
  const int base = model_n_prefix(), n_ctx = model_n_ctx() - base, n_vocab = model_n_vocab();
  double t0 = now();
  const float *logits = NULL;
#ifdef MODEL_BATCH
  logits = model_prefill(ids, n_prompt, base);
#else
  for (int i = 0; i < n_prompt && (i == 0 || logits); i++)
    logits = model_decode(ids[i], base + i);
#endif
  if (!logits) {
    fprintf(stderr, "functiongemma: the prompt failed (error %d)\n", model_last_error());
    return -1;
  }
  double t1 = now(), t_first = t1;
  int max_new = o->max_tokens < n_ctx - n_prompt ? o->max_tokens : n_ctx - n_prompt;
  size_t len = 0;
  int n_gen = 0;
  bool call_closed = false;
  const char *stop = max_new == o->max_tokens ? "token limit" : "context full";
  answer[0] = '\0';
  while (n_gen < max_new) {
    int32_t tok = gqcrt_argmax(logits, n_vocab);
    if (n_gen == 0)
      t_first = now();
    if (model_is_eog(tok)) {
      stop = "end of turn";
      break;
    }
    if (tok == special_id[T_START_RESPONSE]) {
      stop = "function response expected";
      break;
    }
    if (call_closed && tok != special_id[T_START_CALL]) {
      stop = "end of function calls";
      break;
    }
    int32_t plen;
    const char *piece = token_bytes(tok, &plen);
    if ((size_t)plen > MAX_ANSWER_BYTES - len) {
      stop = "answer buffer full";
      break;
    }
    memcpy(answer + len, piece, (size_t)plen);
    len += (size_t)plen;
    answer[len] = '\0';
    ids[n_prompt + n_gen++] = tok; /* n_prompt + max_new <= n_ctx */
    /* Markers a vocabulary without the control tokens spells in pieces. */
    if (ends_with(answer, len, FG_START_RESPONSE) || ends_with(answer, len, FG_END_OF_TURN)) {
      len -= strlen(ends_with(answer, len, FG_END_OF_TURN) ? FG_END_OF_TURN : FG_START_RESPONSE);
      answer[len] = '\0';
      stop = "stop string";
      break;
    }
    if (tok == special_id[T_END_CALL] || ends_with(answer, len, FG_END_CALL)) {
      if (o->first_call) {
        stop = "end of function call";
        break;
      }
      call_closed = true; /* continue only for a parallel call */
    } else if (tok == special_id[T_START_CALL]) {
      call_closed = false;
    }
    if (n_gen == max_new)
      break;
    logits = model_decode(tok, base + n_prompt + n_gen - 1);
    if (!logits) {
      fprintf(stderr, "functiongemma: decode failed at position %d (error %d)\n",
              base + n_prompt + n_gen - 1, model_last_error());
      return -1;
    }
  }
  double t2 = now();
  if (o->verbose) {
    fprintf(stderr, "functiongemma: generated ids (%d):", n_gen);
    for (int i = 0; i < n_gen; i++)
      fprintf(stderr, " %d", (int)ids[n_prompt + i]);
    fputc('\n', stderr);
  }
  if (o->verbose)
    fprintf(stderr,
            "functiongemma: prompt %d tokens (after a compiled prefix of %d) in %.3f s "
            "(first token after %.3f s); generated %d tokens in %.3f s "
            "(%.1f tokens/s); stop: %s\n",
            n_prompt, base, t1 - t0, t_first - t0, n_gen, t2 - t1,
            t2 > t1 ? n_gen / (t2 - t1) : 0.0, stop);
  return (long)len;
}

/* --print-prefix: the prompt (plen bytes in prompt[]) up to its user turn,
 * found as the user-only prompt's text at its end. */
static int print_prefix(int64_t plen, const options *o, json_doc *doc) {
  static char user_only[sizeof prompt];
  char err[256];
  int64_t ulen =
      fg_prompt_build(doc, -1, NULL, o->user, user_only, sizeof user_only, err, sizeof err);
  if (ulen < 0 || ulen >= plen || memcmp(prompt + plen - ulen, user_only, (size_t)ulen)) {
    fprintf(stderr, "functiongemma: no developer turn to print (give --tools)\n");
    return 1;
  }
  fwrite(prompt, 1, (size_t)(plen - ulen), stdout);
  return 0;
}

int main(int argc, char **argv) {
  options o;
  int rc = parse_args(argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  if (o.parse_text) {
    print_answer(o.parse_text, strlen(o.parse_text), o.json_text);
    return 0;
  }

  static json_doc tools_doc;
  json_doc_init(&tools_doc, tools_nodes, TOOLS_NODES, tools_arena, sizeof tools_arena);
  int32_t tools = load_tools(o.tools_path, &tools_doc);
  if (tools == -1)
    return 1;
  char err[256];
  /* with the tools compiled in (a prefix), the prompt is the user turn only */
  const bool prefixed = MODEL_N_PREFIX > 0 && !o.print_prefix && !o.print_prompt;
  if (prefixed && tools >= 0)
    fprintf(stderr, "functiongemma: the tools are compiled into the model; %s is not read\n",
            o.tools_path);
  int64_t plen = prefixed ? fg_prompt_build(&tools_doc, -1, NULL, o.user, prompt, sizeof prompt,
                                            err, sizeof err)
                          : fg_prompt_build(&tools_doc, tools < 0 ? -1 : tools, o.developer, o.user,
                                            prompt, sizeof prompt, err, sizeof err);
  if (plen < 0) {
    fprintf(stderr,
            "functiongemma: cannot build the prompt: %s (tools: %s; text limit: %d bytes)\n", err,
            o.tools_path ? o.tools_path : "none", MODEL_MAX_TEXT_BYTES);
    return 1;
  }
  if (o.print_prompt) {
    fwrite(prompt, 1, (size_t)plen, stdout);
    return 0;
  }
  if (o.print_prefix) /* the whole prompt less the user-only prompt's text */
    return print_prefix(plen, &o, &tools_doc);

  if (model_init() != 0) {
    fprintf(stderr, "functiongemma: model_init failed (error %d)\n", model_last_error());
    return 1;
  }
  find_special_ids(o.verbose);
  int n_ctx = model_n_ctx() - model_n_prefix();
  int n = model_tokenize(prompt, ids, n_ctx);
  if (n < 0) {
    fprintf(stderr,
            "functiongemma: cannot tokenize the prompt (%lld bytes; error %d): it must fit "
            "MODEL_MAX_TEXT_BYTES (%d) and %d tokens (the compiled --ctx)\n",
            (long long)plen, n, MODEL_MAX_TEXT_BYTES, n_ctx);
    return 1;
  }
  /* The template starts with bos_token: make sure the ids do too (with a
   * compiled prefix, the prefix starts with it). */
  if (!prefixed && model_bos() >= 0 && (n == 0 || ids[0] != model_bos())) {
    memmove(ids + 1, ids, (size_t)n * sizeof ids[0]);
    ids[0] = model_bos();
    n++;
  }
  if (n >= n_ctx) {
    fprintf(stderr,
            "functiongemma: the prompt has %d tokens, leaving no room to answer in the "
            "compiled context of %d (compile with a larger --ctx)\n",
            n, n_ctx);
    return 1;
  }
  if (o.verbose) {
    fprintf(stderr, "functiongemma: prompt ids (%d):", n);
    for (int i = 0; i < n; i++)
      fprintf(stderr, " %d", (int)ids[i]);
    fputc('\n', stderr);
  }
  long len = generate(n, &o);
  if (len < 0)
    return 1;
  if (o.verbose)
    fprintf(stderr, "functiongemma: answer: %s\n", answer);
  print_answer(answer, (size_t)len, o.json_text);
  return 0;
}

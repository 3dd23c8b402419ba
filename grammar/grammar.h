/* grammar.h — grammars for constrained decoding, from text to the token
 * automaton a compiled model carries (runtime/include/gqcrt_grammar.h).
 *
 *   FILE.gbnf ─► gbnf_parse.c        rules of alternatives, sequences, literals,
 *                                    character classes, tokens, repetitions
 *   tools.json ─► tools_grammar.c    the GBNF of every valid FunctionGemma call
 *                                    to the declared functions (then parsed)
 *   rules ─► char_automaton.c        a deterministic automaton over bytes and
 *                                    special-token symbols (bounded, trimmed)
 *   automaton ─► token_automaton.c   per state, the vocabulary tokens it allows
 *                                    (deduplicated masks), written as the blob
 */
#ifndef GQC_GRAMMAR_H
#define GQC_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/diag.h"

/* ---- the parsed grammar ---------------------------------------------------- */

typedef enum gqc_gnode_kind {
  GQC_G_SEQ,   /* children in order (none: the empty string) */
  GQC_G_ALT,   /* one of the children */
  GQC_G_BYTES, /* a literal: bytes[0..n) (UTF-8) */
  GQC_G_CLASS, /* one code point in ranges[0..n) (pairs lo, hi; negation resolved) */
  GQC_G_RULE,  /* a reference to rule `index` */
  GQC_G_TOKEN, /* the special token named text[0..n) ("<escape>") or id `index` (<[id]>) */
  GQC_G_REPEAT /* child `index` repeated min..max times (max -1: unbounded) */
} gqc_gnode_kind;

typedef struct gqc_gnode {
  gqc_gnode_kind kind;
  int32_t first, n;  /* SEQ/ALT: children kids[first..first+n); BYTES/TOKEN: text; CLASS: ranges */
  int32_t index;     /* RULE: rule; REPEAT: child node; TOKEN: id or -1 */
  int32_t min, max;  /* REPEAT */
  int32_t line, col; /* where it was written */
} gqc_gnode;

typedef struct gqc_grule {
  char *name;
  int32_t body; /* node */
  int32_t line, col;
} gqc_grule;

typedef struct gqc_grammar {
  const char *file; /* for messages */
  gqc_gnode *nodes;
  int32_t n_nodes, cap_nodes;
  int32_t *kids;
  int32_t n_kids, cap_kids;
  uint32_t *ranges; /* CLASS code point pairs */
  int32_t n_ranges, cap_ranges;
  char *text; /* BYTES and TOKEN texts */
  int32_t n_text, cap_text;
  gqc_grule *rules;
  int32_t n_rules, cap_rules;
  int32_t root; /* the rule named "root" */
} gqc_grammar;

/* Parses GBNF text (docs/grammars.md has the subset). On error returns
 * NULL with "file:line:col: message" in d. */
gqc_grammar *gqc_gbnf_parse(const char *text, size_t len, const char *file, gqc_diag *d);
void gqc_grammar_free(gqc_grammar *g);

/* ---- tools ----------------------------------------------------------------- */

/* Default bounds for what the declarations leave open (so every call ends
 * within a known number of tokens). */
enum {
  GQC_TOOLS_DEFAULT_MAX_LENGTH = 24, /* characters of a string without maxLength */
  GQC_TOOLS_DEFAULT_MAX_ITEMS = 4,   /* items of an array without maxItems */
  GQC_TOOLS_MAX_DIGITS = 9,          /* integer digits; a number's fraction: up to 6 */
  GQC_TOOLS_MAX_DEPTH = 6            /* nested objects and arrays */
};

/* The GBNF of one FunctionGemma call to any function of the tools file
 * text[0..len) (the JSON the sample reads). Returns a malloc'd NUL-terminated
 * grammar, or NULL with "file:line:col: message" in d. */
char *gqc_tools_to_gbnf(const char *text, size_t len, const char *file, gqc_diag *d);

/* ---- the automata ---------------------------------------------------------- */

typedef struct gqc_grammar_limits {
  int32_t max_nfa_states; /* default 1 << 20 */
  int32_t max_dfa_states; /* default 1 << 16 */
  int32_t max_rule_depth; /* how deep one rule may nest in itself (default 4) */
} gqc_grammar_limits;

/* A deterministic automaton over symbols 0..255 (bytes) and 256 + k
 * (special token k). States are live: each can reach an accepting one. */
typedef struct gqc_char_dfa {
  int32_t n_states, n_symbols, start;
  int32_t *next; /* next[s * n_symbols + sym], -1: none */
  bool *accept;
  int32_t n_special;
  int32_t *special_ids;   /* token id of special symbol k */
  int32_t nfa_states;     /* for --stats */
  int32_t dfa_states_raw; /* before minimisation */
} gqc_char_dfa;

/* Builds the automaton of g's root over vocab's special tokens (names are
 * looked up in the vocabulary blob). Errors: "file:line:col: ..." for a
 * token the vocabulary lacks; a named limit error for a grammar too large. */
bool gqc_char_dfa_build(const gqc_grammar *g, const void *vocab, const gqc_grammar_limits *lim,
                        gqc_char_dfa *out, gqc_diag *d);
void gqc_char_dfa_free(gqc_char_dfa *a);

/* Moore's partition refinement of an automaton's states (next: n rows of
 * n_sym, -1 for none) over symbols 0..n_sym_used-1, starting from accepting
 * / not (accept non-NULL) or from one class. Sets cls[s]; returns the class
 * count, -1 when out of memory. */
int32_t gqc_char_dfa_classes(const int32_t *next, int32_t n, int32_t n_sym, int32_t n_sym_used,
                             const bool *accept, int32_t *cls);

typedef struct gqc_grammar_stats {
  int32_t nfa_states, dfa_states_raw, states, transitions, specials;
  int32_t masks, mask_lists, mask_bitsets;
  int32_t min_allowed, max_allowed; /* tokens allowed per state */
  uint64_t bytes;                   /* the blob */
} gqc_grammar_stats;

/* The token automaton blob (gqcrt_grammar.h) of a over the vocabulary blob
 * with n_vocab logits. malloc'd into *blob. */
bool gqc_token_automaton(const gqc_char_dfa *a, const void *vocab, int32_t n_vocab, void **blob,
                         uint64_t *size, gqc_grammar_stats *stats, gqc_diag *d);

/* The whole way: a .gbnf file's text or a tools file's text (is_tools) to
 * the blob. */
bool gqc_grammar_compile(const char *text, size_t len, const char *file, bool is_tools,
                         const void *vocab, int32_t n_vocab, const gqc_grammar_limits *lim,
                         void **blob, uint64_t *size, gqc_grammar_stats *stats, gqc_diag *d);

#endif

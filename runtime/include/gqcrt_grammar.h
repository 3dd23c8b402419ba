/* gqcrt_grammar.h — the token automaton of a compiled grammar: its format,
 * shared by the compiler (grammar/, which writes it) and the runtime
 * (runtime/src/grammar.c, which reads it), and the runtime's functions on it.
 *
 * gqc compiles a grammar (`--grammar FILE.gbnf`, or `--tools tools.json`
 * for the calls FunctionGemma may make) against the model's vocabulary into
 * a deterministic automaton over the bytes of token texts plus one symbol
 * per special token the grammar names (<escape>, <start_function_call>,
 * ...). Per state it stores:
 *   - the transitions: sorted, disjoint symbol ranges [lo, hi] -> state
 *     (symbols 0..255 are bytes, 256 + k is special token special[k]);
 *   - whether the state accepts (the grammar's text may end here);
 *   - an index into a table of token masks, deduplicated across states: the
 *     tokens allowed here, as a sorted id list or a bitset over the
 *     vocabulary, whichever is smaller. A token is allowed when all its
 *     bytes (or its special symbol) lead from this state to a state from
 *     which the grammar can still be completed; in accepting states the
 *     end-of-generation tokens are allowed too.
 * At run time the mask is applied as it is (disallowed logits = -INFINITY)
 * and the chosen token moves the state along its bytes: no grammar is
 * interpreted and nothing is allocated.
 *
 * Layout (little-endian, 4-byte aligned, offsets in bytes from the blob's
 * start, every count and index checked by gqcrt_grammar_check):
 *   gqcrt_grammar_header
 *   int32_t                 special[n_special]
 *   gqcrt_grammar_state_rec states[n_states]
 *   gqcrt_grammar_trans     trans[n_trans]
 *   gqcrt_grammar_mask_rec  masks[n_masks]
 *   uint32_t                words[n_words]    (lists and bitsets)
 */
#ifndef GQCRT_GRAMMAR_H
#define GQCRT_GRAMMAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GQCRT_GRAMMAR_MAGIC 0x52475147u /* "GQGR" */
#define GQCRT_GRAMMAR_VERSION 1u
#define GQCRT_GRAMMAR_SPECIAL_BASE 256 /* symbol of special[0] */

typedef struct gqcrt_grammar_header {
  uint32_t magic, version;
  uint32_t n_states, n_trans, n_masks, n_special, n_words;
  uint32_t n_vocab;     /* the vocabulary the masks cover */
  uint32_t start;       /* the start state */
  int32_t trigger;      /* lazy start: the token that starts the grammar, -1 none */
  uint32_t total_bytes; /* the whole blob */
  uint32_t reserved;
} gqcrt_grammar_header;

enum { GQCRT_GRAMMAR_ACCEPT = 1u << 31 };

/* A model's grammar mode (its state's grammar_mode). */
enum {
  GQCRT_GRAMMAR_OFF = 0,     /* not started: decoding is free */
  GQCRT_GRAMMAR_WAITING = 1, /* lazy: free until the trigger token */
  GQCRT_GRAMMAR_ACTIVE = 2,  /* every token is constrained */
  GQCRT_GRAMMAR_DONE = 3     /* the grammar's text is complete */
};

typedef struct gqcrt_grammar_state_rec {
  uint32_t first_trans; /* index of its first transition */
  uint32_t n_trans;     /* its transition count | GQCRT_GRAMMAR_ACCEPT */
  uint32_t mask;        /* index into masks */
} gqcrt_grammar_state_rec;

typedef struct gqcrt_grammar_trans {
  uint16_t lo, hi; /* symbols lo..hi */
  uint32_t to;
} gqcrt_grammar_trans;

enum { GQCRT_GRAMMAR_MASK_LIST = 0, GQCRT_GRAMMAR_MASK_BITSET = 1 };

typedef struct gqcrt_grammar_mask_rec {
  uint32_t kind;    /* GQCRT_GRAMMAR_MASK_* */
  uint32_t count;   /* allowed tokens */
  uint32_t offset;  /* in words[] */
  uint32_t n_words; /* list: count ids; bitset: (n_vocab + 31) / 32 */
} gqcrt_grammar_mask_rec;

/* Checks a blob's structure (sizes, offsets, every index and state) against
 * its size and the model's vocabulary. GQCRT_OK or GQCRT_ERR_BAD_BLOB. */
int gqcrt_grammar_check(const void *blob, uint64_t size, int32_t n_vocab);

/* On a checked blob. */
uint32_t gqcrt_grammar_start(const void *blob);
int32_t gqcrt_grammar_trigger(const void *blob);
int gqcrt_grammar_accepting(const void *blob, uint32_t state);
/* Accepting with no way to continue: the grammar's text is complete. */
int gqcrt_grammar_complete(const void *blob, uint32_t state);
/* Whether `token` is allowed in `state` (its mask). */
int gqcrt_grammar_allows(const void *blob, uint32_t state, int32_t token);
/* The number of tokens allowed in `state`. */
uint32_t gqcrt_grammar_n_allowed(const void *blob, uint32_t state);
/* The allowed tokens of `state` as the blob's ascending list (*count of
 * them), or NULL when the state's mask is a bitset. */
const uint32_t *gqcrt_grammar_list(const void *blob, uint32_t state, uint32_t *count);
/* Sets logits[i] = -INFINITY for every token i not allowed in `state`. */
void gqcrt_grammar_apply(const void *blob, uint32_t state, float *logits, int32_t n_vocab);
/* Writes the allowed tokens of `state` (ascending) to ids[0..max); returns
 * how many there are (at most max written). */
uint32_t gqcrt_grammar_allowed(const void *blob, uint32_t state, int32_t *ids, uint32_t max);
/* The state after `token`, whose text is piece[0..len), or -1 when the
 * automaton has no such path (a token the mask does not allow). */
int64_t gqcrt_grammar_next(const void *blob, uint32_t state, int32_t token, const char *piece,
                           int32_t len);

#ifdef __cplusplus
}
#endif
#endif

/* grammar_input.c — `--grammar FILE.gbnf` / `--tools tools.json`: the file
 * read and compiled (grammar/) against the model's vocabulary into the token
 * automaton the object carries; `--stats` shows its size. */
#include "driver/driver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "grammar/grammar.h"

enum { GRAMMAR_MAX_FILE_BYTES = 1 << 24 };

bool gqc_grammar_input(const gqc_options *o, ir_module *m, void **blob, gqc_diag *d) {
  *blob = NULL;
  const char *path = o->tools_file ? o->tools_file : o->grammar_file;
  if (!path)
    return true;
  if (o->tools_file && o->grammar_file)
    return gqc_error(d, "--grammar and --tools are exclusive (the tools give the grammar)");
  size_t len = 0;
  char *text = gqc_read_text_file(path, GRAMMAR_MAX_FILE_BYTES, &len, d);
  if (!text)
    return false;
  uint64_t size = 0;
  gqc_grammar_stats st;
  const bool ok =
      gqc_grammar_compile(text, len, path, o->tools_file != NULL, m->vocab,
                          (int32_t)ir_meta_int(m, "n_vocab", 0), NULL, blob, &size, &st, d);
  free(text);
  if (!ok)
    return false;
  m->grammar = *blob;
  m->grammar_bytes = size;
  if (o->stats)
    printf("grammar %s: %d states (%d before minimisation, %d NFA states), %d transitions, "
           "%d special tokens; %d distinct token masks (%d lists, %d bitsets), %d..%d tokens "
           "allowed per state; %" PRIu64 " bytes (read-only)\n",
           path, st.states, st.dfa_states_raw, st.nfa_states, st.transitions, st.specials, st.masks,
           st.mask_lists, st.mask_bitsets, st.min_allowed, st.max_allowed, st.bytes);
  return true;
}

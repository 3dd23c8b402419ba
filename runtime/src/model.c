/* model.c — the API of every compiled model (gqcrt_model.h): argument and
 * position checks, the decoder state, the prefill loop, tokenizing and the
 * blob checks, on a model's constant descriptor. A model's <name>_* functions
 * are one-line wrappers around these; its step functions do the computing.
 *
 * Positions: a decode at `pos` needs every earlier position in the KV cache,
 * so pos may be at most n_past (the next position; smaller rewinds). With
 * ring buffers (sliding-window layers' KV caches, causal convolutions'
 * states) a rewind must still find the positions it reads in the rings: a
 * ring of R rows holds positions n_past - R .. n_past - 1, and its reader at
 * pos needs pos - W + 1 .. pos - 1 (W its window; a convolution of L taps
 * keeps R = L - 1 and needs W = L), so n_past - R must not exceed
 * max(0, pos - W + 1) (R and W of the ring allowing the shortest rewind,
 * from the descriptor). Prefill checks every token of the batch against
 * the same rules before it runs anything.
 *
 * A compiled prompt prefix (gqc --prefix, n_prefix > 0) is positions
 * 0 .. n_prefix - 1, read-only: init and reset set n_past to n_prefix (the
 * state "prefix already read", nothing copied), and no position below it may
 * be fed. The rings never hold prefix positions (the attention reads them
 * from the prefix tables), so the rewind rule above applies to the positions
 * from n_prefix on: lo is at least n_prefix.
 */
#include "gqcrt_model.h"

#include "gqcrt_blob.h"
#include "gqcrt_grammar.h"
#include "gqcrt_tokenizer.h"

/* decode_constrained computes the lm_head's rows one group at a time (on
 * the calling thread) when the allowed tokens' groups cover at most
 * 1/GQCRT_LM_HEAD_SUBSET_DIV of the rows; above that the full, parallel
 * lm_head wins (docs/grammars.md has the measurement). */
#define GQCRT_LM_HEAD_SUBSET_DIV 8

static const float *fail(const gqcrt_model *m, int code) {
  m->state->last_error = code;
  return NULL;
}

static int fail_code(const gqcrt_model *m, int code) {
  m->state->last_error = code;
  return code;
}

int gqcrt_model_init_weights(const gqcrt_model *m, const void *blob, uint64_t size) {
  gqcrt_model_state *s = m->state;
  s->weights = NULL;
  s->ready = 0;
  const int r =
      gqcrt_weights_check(blob, size, m->weight_bytes, m->weight_quick_crc32c, /*full=*/0);
  if (r != GQCRT_OK)
    return fail_code(m, r);
  s->weights = blob;
  return GQCRT_OK;
}

int gqcrt_model_verify_weights(const gqcrt_model *m) {
  gqcrt_model_state *s = m->state;
  if (!s->weights)
    return fail_code(m, GQCRT_ERR_NOT_INITIALISED);
  const int r = gqcrt_weights_check(s->weights, m->weight_bytes, m->weight_bytes, m->weight_crc32c,
                                    /*full=*/1);
  if (r != GQCRT_OK) {
    s->weights = NULL;
    s->ready = 0;
    return fail_code(m, r);
  }
  return GQCRT_OK;
}

int gqcrt_model_init(const gqcrt_model *m) {
  gqcrt_model_state *s = m->state;
  if (m->abi != GQCRT_ABI_VERSION)
    return fail_code(m, GQCRT_ERR_ABI);
  if (m->cpu_features & ~gqcrt_cpu_features()) /* before any instruction it lacks runs */
    return fail_code(m, GQCRT_ERR_CPU);
  if (m->weights) /* in the object (else given to init_weights) */
    s->weights = m->weights;
  if (!s->weights)
    return fail_code(m, GQCRT_ERR_NOT_INITIALISED);
  if (m->vocab_bytes && gqcrt_vocab_check(m->vocab, m->vocab_bytes) != GQCRT_OK)
    return fail_code(m, GQCRT_ERR_BAD_BLOB);
  if (m->grammar_bytes && (!m->vocab_bytes || gqcrt_grammar_check(m->grammar, m->grammar_bytes,
                                                                  m->n_vocab) != GQCRT_OK))
    return fail_code(m, GQCRT_ERR_BAD_BLOB);
  s->grammar_mode = GQCRT_GRAMMAR_OFF;
  s->ready = 1;
  s->n_past = m->n_prefix;
  s->last_error = 0;
  return GQCRT_OK;
}

void gqcrt_model_reset(const gqcrt_model *m) {
  m->state->n_past = m->n_prefix;
}

int gqcrt_model_n_prefix(const gqcrt_model *m) {
  return m->n_prefix;
}

/* Whether positions pos .. pos+n-1 may be fed now (see the top). */
static int positions_ok(const gqcrt_model *m, int32_t pos, int32_t n) {
  const int32_t n_past = m->state->n_past;
  if (n < 1 || pos < m->n_prefix || pos < 0 || pos >= m->n_ctx || pos > n_past ||
      n > m->n_ctx - pos)
    return 0;
  if (m->ring_rows) {
    int64_t lo = (int64_t)pos - m->ring_window + 1;
    if (lo < m->n_prefix) /* (covers lo < 0) */
      lo = m->n_prefix;
    if ((int64_t)n_past - m->ring_rows > lo)
      return 0;
  }
  return 1;
}

/* One decode step, with its lm_head (logits) or without; NULL on a bad
 * call. */
static const float *decode_step(const gqcrt_model *m, int32_t token, int32_t pos, int32_t logits) {
  gqcrt_model_state *s = m->state;
  if (!s->ready)
    return fail(m, GQCRT_ERR_NOT_INITIALISED);
  if (token < 0 || token >= m->n_tokens)
    return fail(m, GQCRT_ERR_BAD_TOKEN);
  if (!positions_ok(m, pos, 1))
    return fail(m, GQCRT_ERR_BAD_POS);
  m->step(token, pos, logits);
  s->n_past = pos + 1;
  return m->logits;
}

const float *gqcrt_model_decode(const gqcrt_model *m, int32_t token, int32_t pos) {
  return decode_step(m, token, pos, 1);
}

const float *gqcrt_model_prefill(const gqcrt_model *m, const int32_t *tokens, int32_t n,
                                 int32_t pos) {
  gqcrt_model_state *s = m->state;
  if (!s->ready)
    return fail(m, GQCRT_ERR_NOT_INITIALISED);
  if (!m->prefill_step || m->batch <= 0)
    return fail(m, GQCRT_ERR_NOT_INITIALISED);
  if (!tokens)
    return fail(m, GQCRT_ERR_NULL);
  /* the positions first: they bound how many tokens may be read */
  if (!positions_ok(m, pos, n))
    return fail(m, GQCRT_ERR_BAD_POS);
  for (int32_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= m->n_tokens)
      return fail(m, GQCRT_ERR_BAD_TOKEN);
  int32_t done = 0, rows = 0;
  do {
    rows = n - done < m->batch ? n - done : m->batch;
    m->prefill_step(tokens + done, pos + done, rows, done + rows == n);
    done += rows;
  } while (done < n);
  s->n_past = pos + n;
  /* the logits: the last step's last row */
  return (const float *)(const void *)((const unsigned char *)m->prefill_logits +
                                       (int64_t)(rows - 1) * m->prefill_logits_row_bytes);
}

int gqcrt_model_n_vocab(const gqcrt_model *m) {
  return m->n_vocab;
}

int gqcrt_model_n_ctx(const gqcrt_model *m) {
  return m->n_ctx;
}

int gqcrt_model_last_error(const gqcrt_model *m) {
  return m->state->last_error;
}

void gqcrt_model_set_executor(const gqcrt_model *m, const struct gqcrt_executor *ex) {
  m->state->executor = ex;
}

int gqcrt_model_tokenize(const gqcrt_model *m, const char *text, int32_t *ids, int max_ids) {
  if (!m->vocab_bytes)
    return fail_code(m, GQCRT_ERR_BAD_BLOB);
  if (!text || !ids)
    return fail_code(m, GQCRT_ERR_NULL);
  size_t len = 0;
  while (text[len])
    if ((int64_t)++len > m->max_text_bytes)
      return fail_code(m, GQCRT_ERR_TOO_LONG);
  const int add_special = m->n_prefix == 0; /* else the text continues the prefix */
  const int32_t r = gqcrt_tokenize(m->vocab, text, len, add_special, 1, ids, max_ids,
                                   m->tok_scratch, (size_t)m->tok_scratch_bytes);
  if (r < 0)
    m->state->last_error = r;
  return r;
}

const char *gqcrt_model_token_piece(const gqcrt_model *m, int32_t id, int32_t *len) {
  int32_t n = 0;
  const char *p = m->vocab_bytes ? gqcrt_token_piece(m->vocab, id, 0, &n) : NULL;
  if (len)
    *len = p ? n : 0;
  return p;
}

const char *gqcrt_model_token_text(const gqcrt_model *m, int32_t id) {
  return gqcrt_model_token_piece(m, id, NULL);
}

int32_t gqcrt_model_bos(const gqcrt_model *m) {
  return m->vocab_bytes ? gqcrt_vocab_bos(m->vocab) : -1;
}

int32_t gqcrt_model_eos(const gqcrt_model *m) {
  return m->vocab_bytes ? gqcrt_vocab_eos(m->vocab) : -1;
}

int gqcrt_model_is_eog(const gqcrt_model *m, int32_t id) {
  return m->vocab_bytes ? gqcrt_vocab_is_eog(m->vocab, id) : 0;
}

/* ---- constrained decoding (gqcrt_grammar.h) ---------------------------------- */

int gqcrt_model_grammar_start(const gqcrt_model *m, int lazy) {
  gqcrt_model_state *s = m->state;
  if (!s->ready)
    return fail_code(m, GQCRT_ERR_NOT_INITIALISED);
  if (!m->grammar_bytes)
    return fail_code(m, GQCRT_ERR_NO_GRAMMAR);
  const int waiting = lazy && gqcrt_grammar_trigger(m->grammar) >= 0;
  s->grammar_mode = waiting ? GQCRT_GRAMMAR_WAITING : GQCRT_GRAMMAR_ACTIVE;
  s->grammar_state = gqcrt_grammar_start(m->grammar);
  return GQCRT_OK;
}

int gqcrt_model_grammar_apply(const gqcrt_model *m, float *logits) {
  if (!m->grammar_bytes)
    return fail_code(m, GQCRT_ERR_NO_GRAMMAR);
  if (!logits)
    return fail_code(m, GQCRT_ERR_NULL);
  if (m->state->grammar_mode == GQCRT_GRAMMAR_ACTIVE)
    gqcrt_grammar_apply(m->grammar, m->state->grammar_state, logits, m->n_vocab);
  return GQCRT_OK;
}

int gqcrt_model_grammar_accept(const gqcrt_model *m, int32_t token) {
  gqcrt_model_state *s = m->state;
  if (!m->grammar_bytes)
    return fail_code(m, GQCRT_ERR_NO_GRAMMAR);
  if (token < 0 || token >= m->n_vocab)
    return fail_code(m, GQCRT_ERR_BAD_TOKEN);
  if (s->grammar_mode == GQCRT_GRAMMAR_OFF)
    return GQCRT_OK;
  if (s->grammar_mode == GQCRT_GRAMMAR_DONE)
    return 1;
  if (s->grammar_mode == GQCRT_GRAMMAR_WAITING) {
    if (token != gqcrt_grammar_trigger(m->grammar))
      return GQCRT_OK;
    s->grammar_mode = GQCRT_GRAMMAR_ACTIVE; /* and the trigger is the first token */
  }
  const void *g = m->grammar;
  if (!gqcrt_grammar_allows(g, s->grammar_state, token))
    return fail_code(m, GQCRT_ERR_GRAMMAR);
  if (gqcrt_vocab_is_eog(m->vocab, token) && gqcrt_grammar_accepting(g, s->grammar_state)) {
    s->grammar_mode = GQCRT_GRAMMAR_DONE;
    return 1;
  }
  int32_t len = 0;
  const char *piece = gqcrt_token_piece(m->vocab, token, 0, &len);
  const int64_t next = gqcrt_grammar_next(g, s->grammar_state, token, piece, len);
  if (next < 0)
    return fail_code(m, GQCRT_ERR_GRAMMAR);
  s->grammar_state = (uint32_t)next;
  if (gqcrt_grammar_complete(g, s->grammar_state)) {
    s->grammar_mode = GQCRT_GRAMMAR_DONE;
    return 1;
  }
  return GQCRT_OK;
}

/* The lm_head on the allowed rows only: each allowed token's row group
 * (row_align rows, the packing's unit) through the lm_head's own kernel —
 * the same function on the same bytes as the full lm_head computes for
 * those rows, so the allowed logits are bit-identical. */
static void lm_head_rows(const gqcrt_model *m, const uint32_t *ids, uint32_t n, float *logits) {
  const unsigned char *w = (const unsigned char *)m->state->weights + m->lm_head_w_offset;
  const int64_t align = m->lm_head_row_align > 0 ? m->lm_head_row_align : 1;
  int64_t done = -1; /* the last group computed (ids ascend) */
  for (uint32_t i = 0; i < n; i++) {
    const int64_t g = ids[i] / align;
    if (g == done)
      continue;
    const int64_t row = g * align;
    const int32_t rows = (int32_t)(row + align <= m->n_vocab ? align : m->n_vocab - row);
    m->lm_head_kernel(logits + row, w + row * m->lm_head_row_bytes, m->lm_head_x,
                      m->lm_head_n_in, rows);
    done = g;
  }
}

const float *gqcrt_model_decode_constrained(const gqcrt_model *m, int32_t token, int32_t pos) {
  gqcrt_model_state *s = m->state;
  const int active = m->grammar_bytes && s->grammar_mode == GQCRT_GRAMMAR_ACTIVE;
  uint32_t n = 0;
  const uint32_t *ids = active ? gqcrt_grammar_list(m->grammar, s->grammar_state, &n) : 0;
  const int64_t align = m->lm_head_row_align > 0 ? m->lm_head_row_align : 1;
  if (!ids || !m->lm_head_kernel || (int64_t)n * align > m->n_vocab / GQCRT_LM_HEAD_SUBSET_DIV) {
    const float *logits = gqcrt_model_decode(m, token, pos);
    if (logits && active) /* the logits are the model's own arena: writable */
      gqcrt_grammar_apply(m->grammar, s->grammar_state, (float *)(uintptr_t)logits, m->n_vocab);
    return logits;
  }
  /* few allowed tokens: the step without its lm_head, then their rows */
  if (!decode_step(m, token, pos, 0))
    return NULL;
  float *logits = (float *)(uintptr_t)m->logits;
  lm_head_rows(m, ids, n, logits);
  gqcrt_grammar_apply(m->grammar, s->grammar_state, logits, m->n_vocab);
  return logits;
}

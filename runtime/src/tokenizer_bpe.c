/* tokenizer_bpe.c — the BPE tokenizers, byte-level ("gpt2") and over UTF-8
 * characters ("gemma4"), as llama.cpp's llm_tokenizer_bpe_session computes
 * them.
 *
 * For each raw fragment:
 *  1. Decode it into code points and split it into pre-tokens
 *     (tokenizer_pretok.c, chosen by tokenizer.ggml.pre).
 *  2. Byte-encode each pre-token: every UTF-8 byte becomes one character of
 *     the GPT-2 byte map. With IGNORE_MERGES (llama3), a pre-token whose
 *     encoded text is a whole token is emitted as that token directly.
 *  3. Start from one symbol per byte (the symbol of its byte-map character)
 *     and repeatedly apply the merge of lowest rank, the leftmost on ties,
 *     from a min-heap in scratch. Merges are looked up by the pair of symbol
 *     ids (the blob's merge hash), and give the result's symbol id directly.
 *     A popped candidate is stale when either side changed since it was
 *     pushed; sides only grow, so comparing the summed length suffices (the
 *     same test as llama.cpp's comparison of texts).
 *  4. Emit each final symbol that is a token. One that is not (a byte with
 *     no token, or a merge result that only exists as an intermediate) falls
 *     back, as in llama.cpp, to looking up each byte of its encoded text as a
 *     one-byte token and silently dropping the bytes that have none.
 *
 * UTF-8 BPE (GQCRT_VOCAB_BPE_UTF8, gemma4) differs in three places: spaces
 * become U+2581 before step 1 (SPM's escaping); step 2 encodes nothing and
 * step 3 starts from one symbol per UTF-8 character (the text's own bytes),
 * except that a pre-token of newlines only is emitted whole when it is a
 * token; and the fallback of step 4 is each byte's "<0xXX>" token.
 */
#include "gqcrt.h"
#include "tokenizer_internal.h"
#include "gqcrt_unicode.h"

typedef struct bpe_symbol {
  int32_t prev, next;
  int32_t sym;    /* symbol id, -1 when the text is not in the vocabulary */
  uint32_t start; /* its first byte in the pre-token */
  uint32_t len;   /* bytes of the pre-token; 0 once merged away */
} bpe_symbol;

/* Heap order: lower rank first, then lower left index. */
static int before(const gqcrt_merge_candidate *a, const gqcrt_merge_candidate *b) {
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

typedef struct bpe_state {
  const gqcrt_vocab *v;
  bpe_symbol *sym;
  gqcrt_merge_heap heap;
} bpe_state;

static void try_pair(bpe_state *s, int32_t left, int32_t right) {
  if (left < 0 || right < 0)
    return;
  int32_t l = s->sym[left].sym, r = s->sym[right].sym;
  if (l < 0 || r < 0)
    return;
  int32_t rank = gqcrt_vocab_find_merge(s->v, l, r);
  if (rank < 0)
    return;
  gqcrt_merge_candidate c = {
      .rank = rank, .left = left, .right = right, .len = s->sym[left].len + s->sym[right].len};
  gqcrt_merge_heap_push(&s->heap, c);
}

/* The GPT-2 byte-map character of byte b, UTF-8 encoded (1 or 2 bytes). */
static size_t encode_byte(uint8_t b, uint8_t out[4]) {
  return gqcrt_utf8_encode(gqcrt_gpt2_byte_to_cp(b), out);
}

static int utf8_symbols(const gqcrt_vocab *v) {
  return (v->h->flags & GQCRT_VOCAB_BPE_UTF8) != 0;
}

/* Step 4's fallback for bytes[0..len): the token of each byte (byte-level:
 * of each byte of its byte-map character; UTF-8: its <0xXX> token). */
static void emit_fallback(const gqcrt_vocab *v, const uint8_t *bytes, uint32_t len,
                          gqcrt_tok_out *out) {
  for (uint32_t i = 0; i < len; i++) {
    uint8_t enc[4];
    size_t n = utf8_symbols(v) ? (enc[0] = bytes[i], 1) : encode_byte(bytes[i], enc);
    for (size_t j = 0; j < n; j++) {
      int32_t id = v->byte_token[enc[j]];
      if (id >= 0)
        gqcrt_out_push(out, id);
    }
  }
}

/* Whether bytes[0..len) is all newlines. */
static int all_newlines(const uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (bytes[i] != '\n')
      return 0;
  return 1;
}

/* Merge one pre-token (bytes[0..len), len > 0) and emit its tokens. */
static int32_t bpe_word(const gqcrt_vocab *v, const uint8_t *bytes, size_t len, gqcrt_arena *a,
                        gqcrt_tok_out *out) {
  if (utf8_symbols(v) && all_newlines(bytes, len)) { /* llama.cpp's gemma4 fix */
    int32_t id = gqcrt_vocab_lookup(v, bytes, len);
    if (id >= 0 && id < v->h->n_tokens) {
      gqcrt_out_push(out, id);
      return GQCRT_OK;
    }
  }
  if (v->h->flags & GQCRT_VOCAB_IGNORE_MERGES) {
    uint8_t *enc = gqcrt_arena_alloc(a, 2 * len);
    if (!enc)
      return GQCRT_ERR_NO_SPACE;
    size_t n_enc = 0;
    for (size_t i = 0; i < len; i++)
      n_enc += encode_byte(bytes[i], enc + n_enc);
    int32_t id = gqcrt_vocab_lookup(v, enc, n_enc);
    if (id >= 0 && id < v->h->n_tokens) {
      gqcrt_out_push(out, id);
      return GQCRT_OK;
    }
  }
  size_t n_units = len; /* initial symbols: bytes, or UTF-8 characters */
  if (utf8_symbols(v))
    for (size_t i = n_units = 0; i < len; i++)
      n_units += (bytes[i] & 0xC0) != 0x80;
  bpe_symbol *sym = gqcrt_arena_alloc(a, sizeof(bpe_symbol) * n_units);
  gqcrt_merge_candidate *heap = gqcrt_arena_alloc(a, sizeof(gqcrt_merge_candidate) * 3 * n_units);
  if (!sym || !heap)
    return GQCRT_ERR_NO_SPACE;
  int32_t n = 0; /* one symbol per byte, or per UTF-8 character */
  for (size_t off = 0; off < len; n++) {
    uint32_t cl = 1;
    if (utf8_symbols(v)) {
      uint32_t cp;
      cl = (uint32_t)gqcrt_utf8_decode(bytes + off, len - off, &cp);
      cl = cl ? cl : 1; /* the text was validated: cannot happen */
      sym[n].sym = gqcrt_vocab_lookup(v, bytes + off, cl);
    } else {
      sym[n].sym = v->byte_symbol[bytes[off]];
    }
    sym[n].prev = n - 1;
    sym[n].start = (uint32_t)off;
    sym[n].len = cl;
    off += cl;
  }
  for (int32_t i = 0; i < n; i++)
    sym[i].next = i + 1 == n ? -1 : i + 1;
  bpe_state s = {v, sym, {heap, 0, 3 * n_units, before}};
  for (int32_t i = 1; i < n; i++)
    try_pair(&s, i - 1, i);
  while (s.heap.n > 0) {
    gqcrt_merge_candidate c = gqcrt_merge_heap_pop(&s.heap);
    bpe_symbol *l = &sym[c.left], *r = &sym[c.right];
    if (l->len == 0 || r->len == 0 || l->len + r->len != c.len)
      continue;
    l->sym = v->merges[c.rank].result;
    l->len += r->len;
    r->len = 0;
    l->next = r->next;
    if (r->next >= 0)
      sym[r->next].prev = c.left;
    try_pair(&s, l->prev, c.left);
    try_pair(&s, c.left, l->next);
  }
  /* merges only ever grow the left side, so symbol 0 starts the list */
  for (int32_t i = 0; i != -1; i = sym[i].next) {
    int32_t id = sym[i].sym;
    if (id >= 0 && id < v->h->n_tokens)
      gqcrt_out_push(out, id);
    else
      emit_fallback(v, bytes + sym[i].start, sym[i].len, out);
  }
  return GQCRT_OK;
}

size_t gqcrt_bpe_scratch_bytes(size_t n) {
  /* code points + flags + two piece-length buffers, then one pre-token's
   * encoded text (UTF-8 BPE: the pre-token with escaped spaces), symbols
   * and heap */
  return 4 * n + 8 + 2 * n + 8 + 2 * (4 * n + 8) + 3 * n + 8 + sizeof(bpe_symbol) * n + 8 +
         sizeof(gqcrt_merge_candidate) * 3 * n + 8;
}

/* The UTF-8 of code points cp[0..n) into out (at least 4n bytes); returns
 * its length. */
static size_t encode_utf8(const uint32_t *cp, size_t n, uint8_t *out) {
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += gqcrt_utf8_encode(cp[i], out + len);
  return len;
}

int32_t gqcrt_bpe_fragment(const gqcrt_vocab *v, const uint8_t *text, size_t len, gqcrt_arena *a,
                           gqcrt_tok_out *out) {
  uint32_t *cp = gqcrt_arena_alloc(a, 4 * len);
  uint16_t *fl = gqcrt_arena_alloc(a, 2 * len);
  uint32_t *buf_a = gqcrt_arena_alloc(a, 4 * len);
  uint32_t *buf_b = gqcrt_arena_alloc(a, 4 * len);
  if (!cp || !fl || !buf_a || !buf_b)
    return GQCRT_ERR_NO_SPACE;
  size_t n_cp = 0;
  for (size_t off = 0; off < len;) {
    size_t cl = gqcrt_utf8_decode(text + off, len - off, &cp[n_cp]);
    if (cl == 0)
      return GQCRT_ERR_BAD_UTF8; /* validated by the caller */
    if (utf8_symbols(v) && cp[n_cp] == ' ')
      cp[n_cp] = 0x2581; /* escaped as SPM does */
    fl[n_cp] = gqcrt_uni_flags(cp[n_cp]);
    n_cp++;
    off += cl;
  }
  size_t n_pieces = 0;
  const uint32_t *pieces = gqcrt_pretokenize(v->h->pre, cp, fl, n_cp, buf_a, buf_b, &n_pieces);
  size_t cp_pos = 0, byte_pos = 0;
  for (size_t p = 0; p < n_pieces; p++) {
    size_t n_bytes = 0;
    for (uint32_t k = 0; k < pieces[p]; k++) {
      uint32_t c = cp[cp_pos + k];
      n_bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    size_t mark = a->used;
    const uint8_t *word = text + byte_pos;
    size_t word_len = n_bytes;
    if (utf8_symbols(v)) { /* the pre-token as escaped (n_bytes counts U+2581) */
      uint8_t *esc = gqcrt_arena_alloc(a, n_bytes);
      if (!esc)
        return GQCRT_ERR_NO_SPACE;
      word_len = encode_utf8(cp + cp_pos, pieces[p], esc);
      word = esc;
    }
    int32_t rc = bpe_word(v, word, word_len, a, out);
    a->used = mark;
    if (rc != GQCRT_OK)
      return rc;
    cp_pos += pieces[p];
    byte_pos += n_bytes;
  }
  return GQCRT_OK;
}

/* tokenizer_pretok.c — the byte-level BPE pre-tokenizers, as hand-written
 * matchers equivalent to llama.cpp's regexes.
 *
 * llama.cpp splits the text with a list of regexes applied one after the
 * other: pass k+1 splits each piece that pass k produced, and within one
 * pass both the matches and the unmatched gaps between them become pieces.
 * Three of its patterns have hand-written implementations in
 * src/unicode.cpp (the GPT-2 pattern, the Llama-3 pattern and the Qwen2
 * pattern); the others go through std::regex on a "collapsed" copy of the
 * text in which every non-ASCII code point is replaced by one byte standing
 * for its class. This file reproduces both kinds:
 *
 *   GPT-2   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)   (+ \s+)
 *   Llama-3 (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *           | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *   Qwen2   the same with \p{N} instead of \p{N}{1,3}
 *   Qwen3.5 Qwen2 with [\p{L}\p{M}]+ words (marks join letters)
 *   \p{N}, \p{N}+, [\p{P}\$\+<=>\^~\|]+ (with ` for falcon) and [0-9][0-9][0-9]
 *           (the std::regex ones)
 *
 * The hand-written ones follow llama.cpp's own matchers decision for
 * decision, including where they differ from a real regex engine:
 *  - `\s+(?!\S)` is "a run of n > 1 whitespace followed by more text in the
 *    same piece gives n - 1 characters", so the last whitespace character is
 *    left to start the next piece (e.g. " word").
 *  - Positions past the end of the current piece have no class at all
 *    (flags 0), which is what makes a trailing " " fall through to \s+.
 *  - (?i:...) lowercases with Unicode simple case mapping; only ASCII
 *    capitals lowercase to s t m d r e v l (tools/gen_unicode_tables.py
 *    checks that), so ASCII lowercasing is exact here.
 * The std::regex ones see a code point's class only through the collapsed
 * byte: ASCII code points as themselves, others by class, with non-ASCII
 * whitespace never matching \p{N} or \p{P}.
 */
#include "tokenizer_internal.h"
#include "gqcrt_unicode.h"

#define OUT_OF_PIECE 0xFFFFFFFFu

/* One piece of the previous pass being split: code points [ini, end). */
typedef struct piece_cursor {
  const uint32_t *cp;
  const uint16_t *fl;
  size_t ini, end;
  size_t prev_end; /* where the next emitted piece starts */
  uint32_t *out;
  size_t n_out;
} piece_cursor;

static uint32_t cpt_at(const piece_cursor *c, size_t pos) {
  return pos >= c->ini && pos < c->end ? c->cp[pos] : OUT_OF_PIECE;
}

static uint16_t flags_at(const piece_cursor *c, size_t pos) {
  return pos >= c->ini && pos < c->end ? c->fl[pos] : 0;
}

/* Emit the piece [prev_end, end) if non-empty; returns its length. */
static size_t emit_to(piece_cursor *c, size_t end) {
  size_t len = end - c->prev_end;
  if (len > 0)
    c->out[c->n_out++] = (uint32_t)len;
  c->prev_end = end;
  return len;
}

static uint32_t ascii_lower(uint32_t cp) {
  return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
}

/* Length (2 or 3) of an English contraction at pos ('s 't 'm 'd 're 've
 * 'll), or 0. */
static size_t contraction_len(const piece_cursor *c, size_t pos, int case_insensitive) {
  if (cpt_at(c, pos) != '\'' || pos + 1 >= c->end)
    return 0;
  uint32_t n1 = cpt_at(c, pos + 1);
  if (case_insensitive)
    n1 = ascii_lower(n1);
  if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd')
    return 2;
  if (pos + 2 >= c->end)
    return 0;
  uint32_t n2 = cpt_at(c, pos + 2);
  if (case_insensitive)
    n2 = ascii_lower(n2);
  if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l'))
    return 3;
  return 0;
}

#define IS_WS(f) (((f)&GQCRT_UF_WHITESPACE) != 0)
#define IS_L(f) (((f)&GQCRT_UF_LETTER) != 0)
#define IS_N(f) (((f)&GQCRT_UF_NUMBER) != 0)
/* [^\s\p{L}\p{N}] for a position inside the piece (flags non-zero). */
#define IS_OTHER(f) (!IS_WS(f) && !IS_L(f) && !IS_N(f) && (f) != 0)

/* The last alternatives of both hand-written patterns, at pos with n_ws
 * whitespace characters there: \s+(?!\S), else \s+, else no match (one
 * character). Emits the piece and returns the position after it. */
static size_t split_whitespace_tail(piece_cursor *c, size_t pos, size_t n_ws) {
  if (n_ws > 1 && cpt_at(c, pos + n_ws) != OUT_OF_PIECE) /* \s+(?!\S) */
    pos += n_ws - 1;
  else if (n_ws > 0) /* \s+ */
    pos += n_ws;
  else /* no match: one character */
    pos++;
  emit_to(c, pos);
  return pos;
}

/* The GPT-2 pattern over one piece. */
static void split_piece_gpt2(piece_cursor *c) {
  size_t pos = c->ini;
  while (pos < c->end) {
    uint32_t cpt = cpt_at(c, pos);
    size_t k = contraction_len(c, pos, 0);
    if (k) {
      pos += emit_to(c, pos + k);
      continue;
    }
    /* ' ?' then a run of one kind, judged by the character after the space */
    uint16_t f2 = cpt == ' ' ? flags_at(c, pos + 1) : flags_at(c, pos);
    if (IS_L(f2) || IS_N(f2) || IS_OTHER(f2)) {
      uint16_t kind = IS_L(f2) ? GQCRT_UF_LETTER : IS_N(f2) ? GQCRT_UF_NUMBER : 0;
      pos += cpt == ' ';
      while (kind ? (f2 & kind) != 0 : IS_OTHER(f2))
        f2 = flags_at(c, ++pos);
      emit_to(c, pos);
      continue;
    }
    size_t n_ws = 0;
    while (IS_WS(flags_at(c, pos + n_ws)))
      n_ws++;
    pos = split_whitespace_tail(c, pos, n_ws);
  }
}

/* The Llama-3 / Qwen2 / Qwen3.5 pattern over one piece: max_digits is 3
 * (Llama-3) or 1; word is GQCRT_UF_LETTER, or LETTER | MARK for Qwen3.5
 * ([\p{L}\p{M}]+ words, [^\s\p{L}\p{M}\p{N}] punctuation). */
static void split_piece_llama3(piece_cursor *c, size_t max_digits, uint16_t word) {
  size_t pos = c->ini;
  while (pos < c->end) {
    uint32_t cpt = cpt_at(c, pos);
    uint16_t f = flags_at(c, pos);
    size_t k = contraction_len(c, pos, 1);
    if (k) {
      pos += emit_to(c, pos + k);
      continue;
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (!(cpt == '\r' || cpt == '\n' || IS_N(f)) && ((f & word) || (flags_at(c, pos + 1) & word))) {
      pos++;
      while (flags_at(c, pos) & word)
        pos++;
      emit_to(c, pos);
      continue;
    }
    /* \p{N}{1,max_digits} */
    if (IS_N(f)) {
      size_t run_start = pos;
      while (IS_N(flags_at(c, pos))) {
        pos++;
        if (pos - run_start >= max_digits) {
          emit_to(c, pos);
          run_start = pos;
        }
      }
      emit_to(c, pos);
      continue;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
    uint16_t f2 = cpt == ' ' ? flags_at(c, pos + 1) : f;
    if (!IS_WS(f2) && !(f2 & word) && !IS_N(f2) && f != 0) {
      pos += cpt == ' ';
      while (!IS_WS(f2) && !(f2 & word) && !IS_N(f2) && f2 != 0)
        f2 = flags_at(c, ++pos);
      while (cpt_at(c, pos) == '\r' || cpt_at(c, pos) == '\n')
        pos++;
      emit_to(c, pos);
      continue;
    }
    size_t n_ws = 0, after_last_newline = 0;
    while (IS_WS(flags_at(c, pos + n_ws))) {
      uint32_t w = cpt_at(c, pos + n_ws);
      if (w == '\r' || w == '\n')
        after_last_newline = pos + n_ws + 1;
      n_ws++;
    }
    if (after_last_newline > 0) { /* \s*[\r\n]+ */
      pos = after_last_newline;
      emit_to(c, pos);
      continue;
    }
    pos = split_whitespace_tail(c, pos, n_ws);
  }
}

/* Classes of the std::regex passes, as seen through the collapsed text. */
static int collapsed_is_number(uint32_t cp, uint16_t f) {
  if (cp < 128)
    return cp >= '0' && cp <= '9';
  return !IS_WS(f) && (f & 0xFF) == GQCRT_UF_NUMBER;
}

static int collapsed_is_punct_or_sign(uint32_t cp, uint16_t f) {
  if (cp < 128) {
    /* ASCII \p{P} ( !-#  %-*  ,-/  :-;  ?-@  [-]  _  {  } ) and $ + < = > ^ ~ | */
    return (cp >= 0x21 && cp <= 0x2F) || cp == 0x3A || cp == 0x3B || (cp >= 0x3C && cp <= 0x40) ||
           (cp >= 0x5B && cp <= 0x5F) || cp == 0x7B || cp == 0x7C || cp == 0x7D || cp == 0x7E;
  }
  return !IS_WS(f) && (f & 0xFF) == GQCRT_UF_PUNCT;
}

enum regex_pass {
  PASS_GPT2,
  PASS_LLAMA3,
  PASS_QWEN2,
  PASS_QWEN35,
  PASS_NUMBER_EACH,   /* \p{N} */
  PASS_NUMBER_RUNS,   /* \p{N}+ */
  PASS_PUNCT_RUNS,    /* [\p{P}\$\+<=>\^~\|]+ */
  PASS_PUNCT_RUNS_BT, /* [\p{P}\$\+<=>\^~\|`]+ (falcon) */
  PASS_DIGIT_TRIPLE,  /* [0-9][0-9][0-9] */
};

/* A std::regex pass: leftmost non-overlapping matches, gaps kept. */
static void split_piece_regex(piece_cursor *c, enum regex_pass pass) {
  size_t pos = c->ini;
  while (pos < c->end) {
    size_t match_len = 0;
    const uint32_t cp = c->cp[pos];
    const uint16_t f = c->fl[pos];
    switch (pass) {
    case PASS_NUMBER_EACH:
      match_len = collapsed_is_number(cp, f) ? 1 : 0;
      break;
    case PASS_NUMBER_RUNS:
      while (pos + match_len < c->end &&
             collapsed_is_number(c->cp[pos + match_len], c->fl[pos + match_len]))
        match_len++;
      break;
    case PASS_PUNCT_RUNS:
    case PASS_PUNCT_RUNS_BT:
      while (pos + match_len < c->end &&
             (collapsed_is_punct_or_sign(c->cp[pos + match_len], c->fl[pos + match_len]) ||
              (pass == PASS_PUNCT_RUNS_BT && c->cp[pos + match_len] == '`')))
        match_len++;
      break;
    case PASS_DIGIT_TRIPLE:
      if (pos + 3 <= c->end) {
        match_len = 3;
        for (size_t i = 0; i < 3; i++)
          if (c->cp[pos + i] < '0' || c->cp[pos + i] > '9')
            match_len = 0;
      }
      break;
    default:
      break;
    }
    if (match_len == 0) {
      pos++;
      continue;
    }
    emit_to(c, pos);             /* the gap before the match */
    emit_to(c, pos + match_len); /* the match */
    pos += match_len;
  }
  emit_to(c, c->end); /* the gap after the last match */
}

static size_t run_pass(enum regex_pass pass, const uint32_t *cp, const uint16_t *fl,
                       const uint32_t *in, size_t n_in, uint32_t *out) {
  piece_cursor c = {cp, fl, 0, 0, 0, out, 0};
  size_t start = 0;
  for (size_t i = 0; i < n_in; i++) {
    c.ini = start;
    c.end = start + in[i];
    c.prev_end = start;
    start = c.end;
    switch (pass) {
    case PASS_GPT2:
      split_piece_gpt2(&c);
      break;
    case PASS_LLAMA3:
      split_piece_llama3(&c, 3, GQCRT_UF_LETTER);
      break;
    case PASS_QWEN2:
      split_piece_llama3(&c, 1, GQCRT_UF_LETTER);
      break;
    case PASS_QWEN35:
      split_piece_llama3(&c, 1, GQCRT_UF_LETTER | GQCRT_UF_MARK);
      break;
    default:
      split_piece_regex(&c, pass);
      break;
    }
  }
  return c.n_out;
}

const uint32_t *gqcrt_pretokenize(uint32_t pre, const uint32_t *cp, const uint16_t *flags, size_t n,
                                  uint32_t *buf_a, uint32_t *buf_b, size_t *n_pieces) {
  static const enum regex_pass passes_default[] = {PASS_PUNCT_RUNS, PASS_GPT2, PASS_NUMBER_RUNS,
                                                   PASS_DIGIT_TRIPLE};
  static const enum regex_pass passes_gpt2[] = {PASS_GPT2};
  static const enum regex_pass passes_llama3[] = {PASS_LLAMA3};
  static const enum regex_pass passes_qwen2[] = {PASS_QWEN2};
  static const enum regex_pass passes_smollm[] = {PASS_NUMBER_EACH, PASS_GPT2};
  static const enum regex_pass passes_qwen35[] = {PASS_QWEN35};
  static const enum regex_pass passes_falcon[] = {PASS_PUNCT_RUNS_BT, PASS_GPT2, PASS_DIGIT_TRIPLE};
  const enum regex_pass *passes;
  size_t n_passes;
  switch (pre) {
  case GQCRT_PRE_GPT2:
    passes = passes_gpt2, n_passes = 1;
    break;
  case GQCRT_PRE_LLAMA3:
    passes = passes_llama3, n_passes = 1;
    break;
  case GQCRT_PRE_QWEN2:
    passes = passes_qwen2, n_passes = 1;
    break;
  case GQCRT_PRE_SMOLLM:
    passes = passes_smollm, n_passes = 2;
    break;
  case GQCRT_PRE_QWEN35:
    passes = passes_qwen35, n_passes = 1;
    break;
  case GQCRT_PRE_FALCON:
    passes = passes_falcon, n_passes = 3;
    break;
  default:
    passes = passes_default, n_passes = 4;
    break;
  }
  /* The whole fragment starts as one piece. */
  uint32_t *cur = buf_a, *next = buf_b;
  size_t n_cur = 0;
  if (n > 0)
    cur[n_cur++] = (uint32_t)n;
  for (size_t p = 0; p < n_passes; p++) {
    size_t n_next = run_pass(passes[p], cp, flags, cur, n_cur, next);
    uint32_t *t = cur;
    cur = next, next = t;
    n_cur = n_next;
  }
  *n_pieces = n_cur;
  return cur;
}

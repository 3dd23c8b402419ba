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
 *   DeepSeek-LLM   [\r\n], \s?[A-Za-zµÀ-Ö...]+ (Latin, Greek, Cyrillic, ...
 *           letters: deepseek_letters below), \s?[!-/:-~！-／：-～‘-‟　-。]+,
 *           \s+$, [一-龥ࠀ-一가-퟿]+, \p{N}+
 *   DeepSeek-Coder [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N}
 *   Gemma 4 [^\n]+|[\n]+
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
 * whitespace never matching \p{N} or \p{P}. Patterns with no \p class but
 * non-ASCII ranges (DeepSeek-LLM's, the CJK one) go through std::wregex on
 * the code points themselves, non-ASCII whitespace replaced by \v; in both,
 * \s (the "C" locale's) is ASCII whitespace, that \v included.
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

/* \s as std::regex sees it on either view: ASCII whitespace, non-ASCII
 * whitespace having become \v. */
static int view_is_space(uint32_t cp, uint16_t f) {
  return cp < 128 ? cp == ' ' || (cp >= '\t' && cp <= '\r') : IS_WS(f);
}

/* A code point of the wide view (non-ASCII whitespace is \v, in no range). */
static uint32_t wide_view(uint32_t cp, uint16_t f) {
  return cp >= 128 && IS_WS(f) ? '\v' : cp;
}

static int in_ranges(uint32_t cp, const uint32_t (*r)[2], size_t n) {
  for (size_t i = 0; i < n; i++)
    if (cp >= r[i][0] && cp <= r[i][1])
      return 1;
  return 0;
}

/* DeepSeek-LLM's letters: the ranges of its tokenizer's pattern
 * \s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-Ⴥ...]+
 */
static const uint32_t deepseek_letters[][2] = {
    {0x0041, 0x005A},   {0x0061, 0x007A},   {0x00B5, 0x00B5},   {0x00C0, 0x00D6},
    {0x00D8, 0x00F6},   {0x00F8, 0x01BA},   {0x01BC, 0x01BF},   {0x01C4, 0x0293},
    {0x0295, 0x02AF},   {0x0370, 0x0373},   {0x0376, 0x0377},   {0x037B, 0x037D},
    {0x037F, 0x037F},   {0x0386, 0x0386},   {0x0388, 0x038A},   {0x038C, 0x038C},
    {0x038E, 0x03A1},   {0x03A3, 0x03F5},   {0x03F7, 0x0481},   {0x048A, 0x052F},
    {0x0531, 0x0556},   {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

/* DeepSeek-LLM's punctuation [!-/:-~！-／：-～‘-‟　-。] (ASCII letters too). */
static const uint32_t deepseek_punct[][2] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
                                             {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};

/* Both DeepSeeks' CJK [一-龥ࠀ-一가-퟿]. */
static const uint32_t deepseek_cjk[][2] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};

#define RANGES(r) r, sizeof r / sizeof r[0]

static int collapsed_is_letter(uint32_t cp, uint16_t f) {
  if (cp < 128)
    return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
  return !IS_WS(f) && (f & 0xFF) == GQCRT_UF_LETTER;
}

/* \p{P} collapsed: ASCII !-# %-* ,-/ :-; ?-@ [-] _ { } and non-ASCII punctuation. */
static int collapsed_is_punct(uint32_t cp, uint16_t f) {
  if (cp < 128)
    return (cp >= 0x21 && cp <= 0x23) || (cp >= 0x25 && cp <= 0x2A) || (cp >= 0x2C && cp <= 0x2F) ||
           cp == 0x3A || cp == 0x3B || cp == 0x3F || cp == 0x40 || (cp >= 0x5B && cp <= 0x5D) ||
           cp == 0x5F || cp == 0x7B || cp == 0x7D;
  return !IS_WS(f) && (f & 0xFF) == GQCRT_UF_PUNCT;
}

enum regex_pass {
  PASS_GPT2,
  PASS_LLAMA3,
  PASS_QWEN2,
  PASS_QWEN35,
  PASS_NUMBER_EACH,    /* \p{N} */
  PASS_NUMBER_RUNS,    /* \p{N}+ */
  PASS_PUNCT_RUNS,     /* [\p{P}\$\+<=>\^~\|]+ */
  PASS_PUNCT_RUNS_BT,  /* [\p{P}\$\+<=>\^~\|`]+ (falcon) */
  PASS_DIGIT_TRIPLE,   /* [0-9][0-9][0-9] */
  PASS_NEWLINE_EACH,   /* [\r\n] */
  PASS_NEWLINE_RUNS,   /* [^\n]+|[\n]+ */
  PASS_SPACE_LETTERS,  /* \s?\p{L}+ */
  PASS_SPACE_PUNCT,    /* \s?\p{P}+ */
  PASS_DS_LETTERS,     /* \s?[deepseek_letters]+ */
  PASS_DS_PUNCT,       /* \s?[deepseek_punct]+ */
  PASS_TRAILING_SPACE, /* \s+$ */
  PASS_CJK,            /* [deepseek_cjk]+ */
};

/* Whether position i of the piece is in the class of a "\s?[class]+" or
 * "[class]+" pass (on the view that pass uses). */
static int in_class(enum regex_pass pass, const piece_cursor *c, size_t i) {
  const uint32_t cp = c->cp[i];
  const uint16_t f = c->fl[i];
  switch (pass) {
  case PASS_SPACE_LETTERS:
    return collapsed_is_letter(cp, f);
  case PASS_SPACE_PUNCT:
    return collapsed_is_punct(cp, f);
  case PASS_DS_LETTERS:
    return in_ranges(wide_view(cp, f), RANGES(deepseek_letters));
  case PASS_DS_PUNCT:
    return in_ranges(wide_view(cp, f), RANGES(deepseek_punct));
  case PASS_CJK:
    return in_ranges(wide_view(cp, f), RANGES(deepseek_cjk));
  default:
    return 0;
  }
}

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
    case PASS_NEWLINE_EACH:
      match_len = cp == '\r' || cp == '\n';
      break;
    case PASS_NEWLINE_RUNS: /* the whole piece is runs of one or the other */
      while (pos + match_len < c->end && (c->cp[pos + match_len] == '\n') == (cp == '\n'))
        match_len++;
      break;
    case PASS_SPACE_LETTERS:
    case PASS_SPACE_PUNCT:
    case PASS_DS_LETTERS:
    case PASS_DS_PUNCT:
    case PASS_CJK: {
      /* \s? first (a space is in none of these classes), then the run */
      size_t i = pos;
      if (pass != PASS_CJK && view_is_space(cp, f) && i + 1 < c->end && in_class(pass, c, i + 1))
        i++;
      while (i < c->end && in_class(pass, c, i))
        i++;
      if (i > pos && in_class(pass, c, i - 1))
        match_len = i - pos;
      break;
    }
    case PASS_TRAILING_SPACE: { /* the maximal run of \s that ends the piece */
      size_t start = c->end;
      while (start > pos && view_is_space(c->cp[start - 1], c->fl[start - 1]))
        start--;
      if (start == c->end) {
        pos = c->end; /* no match in this piece */
        continue;
      }
      pos = start;
      match_len = c->end - start;
      break;
    }
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
  static const enum regex_pass passes_deepseek_llm[] = {PASS_NEWLINE_EACH, PASS_DS_LETTERS,
                                                        PASS_DS_PUNCT,     PASS_TRAILING_SPACE,
                                                        PASS_CJK,          PASS_NUMBER_RUNS};
  static const enum regex_pass passes_deepseek_coder[] = {
      PASS_NEWLINE_EACH, PASS_SPACE_LETTERS, PASS_SPACE_PUNCT, PASS_CJK, PASS_NUMBER_EACH};
  static const enum regex_pass passes_gemma4[] = {PASS_NEWLINE_RUNS};
  /* Each pre-tokenizer's passes, by GQCRT_PRE_* (NONE and unknown values:
   * the default's). */
#define PASSES(list)                                                                               \
  { list, sizeof list / sizeof list[0] }
  static const struct {
    const enum regex_pass *list;
    size_t n;
  } by_pre[GQCRT_PRE_COUNT] = {
      [GQCRT_PRE_NONE] = PASSES(passes_default),
      [GQCRT_PRE_DEFAULT] = PASSES(passes_default),
      [GQCRT_PRE_GPT2] = PASSES(passes_gpt2),
      [GQCRT_PRE_LLAMA3] = PASSES(passes_llama3),
      [GQCRT_PRE_QWEN2] = PASSES(passes_qwen2),
      [GQCRT_PRE_SMOLLM] = PASSES(passes_smollm),
      [GQCRT_PRE_QWEN35] = PASSES(passes_qwen35),
      [GQCRT_PRE_FALCON] = PASSES(passes_falcon),
      [GQCRT_PRE_DEEPSEEK_LLM] = PASSES(passes_deepseek_llm),
      [GQCRT_PRE_DEEPSEEK_CODER] = PASSES(passes_deepseek_coder),
      [GQCRT_PRE_GEMMA4] = PASSES(passes_gemma4),
  };
#undef PASSES
  const uint32_t which = pre < GQCRT_PRE_COUNT && by_pre[pre].list ? pre : GQCRT_PRE_DEFAULT;
  const enum regex_pass *passes = by_pre[which].list;
  const size_t n_passes = by_pre[which].n;
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

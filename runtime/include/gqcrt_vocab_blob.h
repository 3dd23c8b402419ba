/* gqcrt_vocab_blob.h — the byte layout of a compiled vocabulary ("vocab blob").
 *
 * The blob is written once by the compiler (frontend/vocab_build.c) and read
 * in place by the runtime tokenizer (runtime/src/tokenizer*.c). It is one
 * position-independent, little-endian byte array: every reference inside it
 * is a byte offset from the start of the blob or an index into one of its
 * arrays, never a pointer. Every section starts on an 8-byte boundary.
 *
 *   header              gqcrt_vocab_header (fixed size, below)
 *   sym_text            gqcrt_vocab_str[n_symbols]   text of every symbol
 *   piece               gqcrt_vocab_str[n_tokens]    decoded bytes of every token
 *   score               float[n_tokens]              SPM merge priority
 *   attr                uint16_t[n_tokens]           GQCRT_TOK_* bits
 *   token_hash          int32_t[token_hash_cap]      symbol id or -1 (empty)
 *   specials            int32_t[n_specials]          partition order
 *   eog                 int32_t[n_eog]               ascending ids
 *   byte_token          int32_t[256]                 see below
 *   byte_symbol         int32_t[256]                 see below
 *   merges              gqcrt_vocab_merge[n_merges]  index = BPE rank
 *   merge_hash          int32_t[merge_hash_cap]      merge index or -1
 *   strings             char[strings_size]           NUL-terminated texts
 *
 * Symbols. Ids 0..n_tokens-1 are the tokens. A BPE vocabulary may add
 * "extra" symbols n_tokens..n_symbols-1: strings that occur as the left,
 * right or result side of a merge but are not tokens themselves, so that
 * every merge can be keyed by a pair of symbol ids. An extra symbol is
 * never emitted as a token.
 *
 * token_hash is open addressing with linear probing over
 * gqcrt_vocab_hash_text(text) & (cap - 1); when several tokens share a text
 * the table holds the highest id (llama.cpp's token_to_id keeps the last).
 * merge_hash likewise over gqcrt_vocab_hash_pair(left, right); a merge's
 * rank is its index in `merges` (the GGUF merges array index); a merge
 * string without a space after position 0 leaves its slot unused (left -1),
 * and a repeated pair keeps its first (lowest) rank. Both tables always have
 * an empty slot, so a probe for an absent key ends.
 *
 * specials lists the CONTROL, USER_DEFINED and UNKNOWN tokens longest text
 * first (equal lengths by ascending id): the order of the special-token
 * partition. byte_token[b]: SPM — the token for byte b used by byte fallback
 * ("<0xXX>", else the one-byte text, else the unknown token, else -1);
 * BPE — the token whose text is the single byte b, or -1 (llama.cpp's
 * fallback for a symbol that is not a token); UTF-8 BPE (GQCRT_VOCAB_BPE_UTF8)
 * — the "<0xXX>" token, or -1. byte_symbol[b] (byte-level BPE only): the
 * symbol whose text is the GPT-2 byte-map character of byte b, or -1.
 *
 * The layout is written and read as native structs, so both sides must be
 * little-endian (checked at compile time below).
 */
#ifndef GQCRT_VOCAB_BLOB_H
#define GQCRT_VOCAB_BLOB_H

#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the vocab blob layout is little-endian"
#endif

#define GQCRT_VOCAB_MAGIC "GQCVOCAB" /* 8 bytes, no NUL */
#define GQCRT_VOCAB_VERSION 1u
#define GQCRT_VOCAB_ALIGN 8u

/* Tokenizer algorithm (tokenizer.ggml.model). */
enum gqcrt_vocab_model {
  GQCRT_VOCAB_SPM = 1, /* "llama": score-ordered merges, byte fallback */
  GQCRT_VOCAB_BPE = 2, /* "gpt2" (byte-level) and "gemma4" (UTF-8) BPE with merge ranks */
};

/* BPE pre-tokenizer (tokenizer.ggml.pre, after aliasing); NONE for SPM. */
enum gqcrt_vocab_pre {
  GQCRT_PRE_NONE = 0,
  GQCRT_PRE_DEFAULT = 1,        /* punctuation runs, GPT-2 pattern, \p{N}+, [0-9]{3} */
  GQCRT_PRE_GPT2 = 2,           /* the GPT-2 pattern */
  GQCRT_PRE_LLAMA3 = 3,         /* Llama-3 pattern (\p{N}{1,3}) */
  GQCRT_PRE_QWEN2 = 4,          /* Qwen2 pattern (single \p{N}) */
  GQCRT_PRE_SMOLLM = 5,         /* \p{N} isolated, then the GPT-2 pattern (starcoder family) */
  GQCRT_PRE_QWEN35 = 6,         /* Qwen2 pattern with marks joining letters */
  GQCRT_PRE_FALCON = 7,         /* punctuation runs (with `), GPT-2 pattern, [0-9]{3} */
  GQCRT_PRE_DEEPSEEK_LLM = 8,   /* newlines, Latin/Greek/... letter runs, punctuation, ... */
  GQCRT_PRE_DEEPSEEK_CODER = 9, /* newlines, \p{L} runs, \p{P} runs, CJK, single \p{N} */
  GQCRT_PRE_GEMMA4 = 10,        /* runs of newlines and of everything else */
  GQCRT_PRE_COUNT
};

/* Header flags. */
enum {
  GQCRT_VOCAB_ADD_BOS = 1u << 0,
  GQCRT_VOCAB_ADD_EOS = 1u << 1,
  GQCRT_VOCAB_ADD_SPACE_PREFIX = 1u << 2, /* SPM: prepend " " to the first / post-special text */
  GQCRT_VOCAB_IGNORE_MERGES = 1u << 3,    /* BPE: a pre-token that is a whole token is emitted */
  GQCRT_VOCAB_CLEAN_SPACES = 1u << 4,     /* detokeniser hint (llama.cpp clean_spaces) */
  /* BPE over UTF-8 characters (gemma4): spaces escaped as U+2581, no byte
   * map, byte fallback through <0xXX> tokens, a piece of newlines that is a
   * token taken whole */
  GQCRT_VOCAB_BPE_UTF8 = 1u << 5,
  GQCRT_VOCAB_FLAGS_ALL = (1u << 6) - 1
};

/* Per-token attribute bits (llama.cpp's token attributes after its load-time
 * fix-ups, plus EOG). */
enum {
  GQCRT_TOK_UNKNOWN = 1u << 0,
  GQCRT_TOK_UNUSED = 1u << 1,
  GQCRT_TOK_NORMAL = 1u << 2,
  GQCRT_TOK_CONTROL = 1u << 3,
  GQCRT_TOK_USER_DEFINED = 1u << 4,
  GQCRT_TOK_BYTE = 1u << 5,
  GQCRT_TOK_LSTRIP = 1u << 6, /* partition strips whitespace before the token */
  GQCRT_TOK_RSTRIP = 1u << 7, /* ... and after it */
  GQCRT_TOK_EOG = 1u << 8,
  GQCRT_TOK_ALL = (1u << 9) - 1
};

typedef struct gqcrt_vocab_str {
  uint32_t offset; /* into strings; strings[offset + length] == 0 */
  uint32_t length;
} gqcrt_vocab_str;

typedef struct gqcrt_vocab_merge {
  int32_t left, right; /* symbol ids; left == -1: unused slot */
  int32_t result;      /* symbol id of left text + right text */
} gqcrt_vocab_merge;

typedef struct gqcrt_vocab_header {
  char magic[8];
  uint32_t version;
  uint32_t header_size; /* sizeof(gqcrt_vocab_header) */
  uint32_t total_size;  /* the whole blob */
  uint32_t model;       /* enum gqcrt_vocab_model */
  uint32_t pre;         /* enum gqcrt_vocab_pre */
  uint32_t flags;       /* GQCRT_VOCAB_* */
  int32_t n_tokens;
  int32_t n_symbols;                         /* >= n_tokens */
  int32_t bos, eos, unk, eot, eom, pad, sep; /* -1: none */
  uint32_t n_specials;
  uint32_t n_eog;
  uint32_t n_merges;
  uint32_t token_hash_cap; /* power of two */
  uint32_t merge_hash_cap; /* power of two (1 when there are no merges) */
  uint32_t max_token_len;  /* longest token text in bytes */
  uint32_t strings_size;
  uint32_t off_sym_text;
  uint32_t off_piece;
  uint32_t off_score;
  uint32_t off_attr;
  uint32_t off_token_hash;
  uint32_t off_specials;
  uint32_t off_eog;
  uint32_t off_byte_token;
  uint32_t off_byte_symbol;
  uint32_t off_merges;
  uint32_t off_merge_hash;
  uint32_t off_strings;
  uint32_t reserved;
} gqcrt_vocab_header;

/* Hashes shared by the builder and the runtime (FNV-1a, then a murmur3
 * finaliser so the low bits used as the bucket index are well mixed). */
static inline uint32_t gqcrt_vocab_mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static inline uint32_t gqcrt_vocab_hash_text(const void *text, size_t len) {
  const uint8_t *p = (const uint8_t *)text;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return gqcrt_vocab_mix32(h ^ (uint32_t)len);
}

static inline uint32_t gqcrt_vocab_hash_pair(int32_t left, int32_t right) {
  return gqcrt_vocab_mix32((uint32_t)left * 0x9e3779b1u ^ gqcrt_vocab_mix32((uint32_t)right));
}

#endif

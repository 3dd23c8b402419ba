/* vocab_build.c — from a GGUF file's tokenizer metadata to the runtime's
 * vocab blob (format: runtime/include/gqcrt_vocab_blob.h; overview: docs/tokenizers.md).
 *
 * The runtime tokenizer must reproduce llama.cpp exactly, and a good part of
 * llama.cpp's behaviour is decided when it loads the vocabulary, not when it
 * tokenises. This file replays that load (llama_vocab::impl::load) and
 * freezes its outcome into the blob:
 *
 *  - Model and defaults. "llama" is SPM (bos 1, eos 2, unk 0, add_bos,
 *    add_space_prefix); "gpt2" is byte-level BPE (bos = eos = 11, no unk, no
 *    BOS) whose tokenizer.ggml.pre picks the pre-tokenizer and may switch on
 *    add_bos / ignore_merges (llama3) or off clean_spaces. An unknown pre
 *    value is an error, a missing one means "default". "gemma4" is BPE over
 *    UTF-8 characters with SPM's escaped spaces and <0xXX> byte tokens (no
 *    default ids, add_bos always on).
 *  - Overrides. Every special-id key replaces its default when the value is
 *    a valid id; a default (or a value) outside the vocabulary is disabled
 *    (kept); add_bos/add_eos/add_space_prefix keys override the flags.
 *  - Attribute fix-ups. End-of-turn, end-of-message and fill-in-the-middle
 *    tokens are found by their text when no key names them and are forced
 *    to CONTROL; CONTROL tokens whose text contains "unused" get UNUSED; the
 *    end-of-generation (EOG) set is eos, eot, eom, the FIM pad/repo/sep
 *    tokens and every token whose text is in llama.cpp's EOG list, with its
 *    two exceptions (<|end|> next to <|return|>/<|call|>, </s> next to
 *    <|tool_response>); a few tokens become USER_DEFINED (gpt-oss);
 *    phi-3 / modern-bert models get RSTRIP / LSTRIP as llama.cpp gives them.
 *    Where llama.cpp picks "the first" of several candidate texts in hash-map
 *    order, this picks the lowest id.
 *  - Precomputed lookups. Token texts go into an open-addressing hash (the
 *    last of several equal texts wins, as in llama.cpp's token_to_id); BPE
 *    merges ("left right", split at the first space after position 0, the
 *    array index being the rank, the first of repeated pairs kept) go into
 *    a hash keyed by the pair of symbol ids, where strings that take part in
 *    a merge but are not tokens get "extra" symbol ids; decoded pieces are
 *    rendered as llama.cpp's token_to_piece(special = true) would; the
 *    special tokens are listed longest first; byte-fallback tables are
 *    filled.
 *
 * Errors name the file and, for a bad key, the key and its file offset.
 */
#include "frontend/vocab_build.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt_unicode.h"
#include "gqcrt_vocab_blob.h"
#include "support/printf_format.h"

/* ---- diagnostics ---------------------------------------------------------- */

typedef struct builder builder;

static const char *vtype_name(gguf_vtype t) {
  static const char *const names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                      "bool", "string", "array", "u64", "i64", "f64"};
  return (unsigned)t < GGUF_VTYPE_COUNT ? names[t] : "unknown";
}

/* ---- the builder ---------------------------------------------------------- */

struct builder {
  const gguf_file *f;
  gqc_diag *d;
  const char *path;

  uint32_t model, pre, flags;
  int32_t n_tokens, n_symbols, cap_symbols;
  gqcrt_vocab_str *sym; /* n_symbols texts, offsets into pool */
  char *pool;
  size_t pool_len, pool_cap;
  float *score;
  uint16_t *attr;
  int32_t *hash; /* build-time token hash */
  uint32_t hash_cap;

  gqcrt_vocab_merge *merges;
  uint32_t n_merges;
  int32_t *merge_hash;
  uint32_t merge_hash_cap;

  gqcrt_vocab_str *piece;
  int32_t *specials;
  uint32_t n_specials;
  int32_t *eog;
  uint32_t n_eog;
  int32_t byte_token[256], byte_symbol[256];
  uint32_t max_token_len;

  int32_t bos, eos, unk, eot, eom, pad, sep, mask;
  int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
};

static bool fail(builder *b, const gguf_kv *kv, const char *fmt, ...) GQC_PRINTF(3, 4);

static bool fail(builder *b, const gguf_kv *kv, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (kv)
    return gqc_error(b->d, "%s: offset 0x%llx: key '%s': %s", b->path,
                     (unsigned long long)kv->file_offset, kv->key, msg);
  return gqc_error(b->d, "%s: %s", b->path, msg);
}

static bool out_of_memory(builder *b) {
  return fail(b, NULL, "out of memory building the vocabulary");
}

static const char *text_of(const builder *b, int32_t id) {
  return b->pool + b->sym[id].offset;
}

static bool text_is(const builder *b, int32_t id, const char *s) {
  size_t n = strlen(s);
  return b->sym[id].length == n && memcmp(text_of(b, id), s, n) == 0;
}

/* Appends bytes plus a NUL to the pool; returns the offset or -1. */
static int64_t pool_add(builder *b, const void *s, size_t n) {
  if (b->pool_len + n + 1 > b->pool_cap) {
    size_t cap = b->pool_cap ? b->pool_cap : 4096;
    while (cap < b->pool_len + n + 1)
      cap *= 2;
    char *p = realloc(b->pool, cap);
    if (!p)
      return -1;
    b->pool = p, b->pool_cap = cap;
  }
  int64_t off = (int64_t)b->pool_len;
  if (n)
    memcpy(b->pool + b->pool_len, s, n);
  b->pool[b->pool_len + n] = 0;
  b->pool_len += n + 1;
  return off;
}

static uint32_t pow2_at_least(uint64_t n) {
  uint64_t c = 1;
  while (c < n)
    c <<= 1;
  return c > UINT32_MAX ? 0 : (uint32_t)c;
}

/* ---- the text -> symbol hash --------------------------------------------- */

static int32_t hash_find(const builder *b, const int32_t *table, uint32_t cap, const void *text,
                         size_t len, uint32_t *slot) {
  uint32_t mask = cap - 1, i = gqcrt_vocab_hash_text(text, len) & mask;
  for (;; i = (i + 1) & mask) {
    int32_t id = table[i];
    if (id < 0 || (b->sym[id].length == len && memcmp(text_of(b, id), text, len) == 0)) {
      *slot = i;
      return id;
    }
  }
}

/* Inserts symbol id; an equal text already there is replaced (last wins). */
static void hash_put(const builder *b, int32_t *table, uint32_t cap, int32_t id) {
  uint32_t slot;
  hash_find(b, table, cap, text_of(b, id), b->sym[id].length, &slot);
  table[slot] = id;
}

static int32_t lookup(const builder *b, const void *text, size_t len) {
  uint32_t slot;
  return hash_find(b, b->hash, b->hash_cap, text, len, &slot);
}

static int32_t lookup_str(const builder *b, const char *s) {
  return lookup(b, s, strlen(s));
}

static int32_t lookup_token(const builder *b, const char *s) {
  int32_t id = lookup_str(b, s);
  return id < b->n_tokens ? id : -1;
}

/* Symbol id of text, adding an extra symbol when it is not there. */
static int32_t intern(builder *b, const void *text, size_t len) {
  int32_t id = lookup(b, text, len);
  if (id >= 0)
    return id;
  if (b->n_symbols == b->cap_symbols) {
    int32_t cap = b->cap_symbols * 2;
    gqcrt_vocab_str *s = realloc(b->sym, sizeof *s * (size_t)cap);
    if (!s)
      return -1;
    b->sym = s, b->cap_symbols = cap;
  }
  int64_t off = pool_add(b, text, len);
  if (off < 0 || (uint64_t)off > UINT32_MAX)
    return -1;
  id = b->n_symbols++;
  b->sym[id].offset = (uint32_t)off;
  b->sym[id].length = (uint32_t)len;
  hash_put(b, b->hash, b->hash_cap, id);
  return id;
}

/* ---- metadata access ------------------------------------------------------ */

/* An array KV of the given element type(s), or NULL (absent, or an error
 * already reported: check b->d->failed). */
static const gguf_kv *get_array(builder *b, const char *key, gguf_vtype t1, gguf_vtype t2,
                                const char *what) {
  const gguf_kv *kv = gguf_find_kv(b->f, key);
  if (!kv)
    return NULL;
  if (kv->value.type != GGUF_ARRAY) {
    fail(b, kv, "expected an array of %s, found a %s", what, vtype_name(kv->value.type));
    return NULL;
  }
  gguf_vtype et = kv->value.v.arr.elem_type;
  if (et != t1 && et != t2) {
    fail(b, kv, "expected an array of %s, found an array of %s", what, vtype_name(et));
    return NULL;
  }
  return kv;
}

static bool get_bool(builder *b, const char *key, bool *out) {
  const gguf_kv *kv = gguf_find_kv(b->f, key);
  if (!kv)
    return true;
  if (kv->value.type != GGUF_BOOL)
    return fail(b, kv, "expected a bool, found a %s", vtype_name(kv->value.type));
  *out = kv->value.v.u != 0;
  return true;
}

static bool set_flag(builder *b, const char *key, uint32_t flag) {
  bool v = (b->flags & flag) != 0;
  if (!get_bool(b, key, &v))
    return false;
  b->flags = v ? b->flags | flag : b->flags & ~flag;
  return true;
}

/* A special-id key: replaces *id when it holds an integer naming a token. */
static bool get_special_id(builder *b, const char *key, int32_t *id) {
  if (*id >= b->n_tokens)
    *id = -1; /* a default outside the vocabulary is disabled */
  const gguf_kv *kv = gguf_find_kv(b->f, key);
  if (!kv)
    return true;
  int64_t v;
  switch (kv->value.type) {
  case GGUF_U8:
  case GGUF_U16:
  case GGUF_U32:
  case GGUF_U64:
    v = kv->value.v.u > (uint64_t)INT64_MAX ? -1 : (int64_t)kv->value.v.u;
    break;
  case GGUF_I8:
  case GGUF_I16:
  case GGUF_I32:
  case GGUF_I64:
    v = kv->value.v.i;
    break;
  default:
    return fail(b, kv, "expected an integer token id, found a %s", vtype_name(kv->value.type));
  }
  if (v >= 0 && v < b->n_tokens)
    *id = (int32_t)v; /* out of range (e.g. 0xFFFFFFFF for "none"): keep the default */
  return true;
}

/* ---- model, pre-tokenizer and defaults ----------------------------------- */

typedef struct pre_alias {
  const char *name;
  uint32_t pre;
  uint8_t ignore_merges, add_bos, clean_spaces;
} pre_alias;

/* llama.cpp's tokenizer.ggml.pre values whose regexes and flags this
 * runtime reproduces (llama_vocab::impl::load, llm_tokenizer_bpe). */
static const pre_alias pre_aliases[] = {
    {"default", GQCRT_PRE_DEFAULT, 0, 0, 1},
    {"llama3", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"llama-v3", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"llama-bpe", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"falcon3", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"falcon-h1", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"pixtral", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"midm-2.0", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"lfm2", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"jina-v5-nano", GQCRT_PRE_LLAMA3, 1, 1, 1},
    {"dbrx", GQCRT_PRE_LLAMA3, 0, 0, 1},
    {"smaug-bpe", GQCRT_PRE_LLAMA3, 0, 0, 1},
    {"gpt-2", GQCRT_PRE_GPT2, 0, 0, 1},
    {"phi-2", GQCRT_PRE_GPT2, 0, 0, 1},
    {"gigachat", GQCRT_PRE_GPT2, 0, 0, 1},
    {"a.x-4.0", GQCRT_PRE_GPT2, 0, 0, 1},
    {"mellum", GQCRT_PRE_GPT2, 0, 0, 1},
    {"modern-bert", GQCRT_PRE_GPT2, 0, 0, 1},
    {"mpt", GQCRT_PRE_GPT2, 0, 0, 1},
    {"olmo", GQCRT_PRE_GPT2, 0, 0, 1},
    {"jais", GQCRT_PRE_GPT2, 0, 0, 1},
    {"exaone4", GQCRT_PRE_GPT2, 0, 0, 1},
    {"trillion", GQCRT_PRE_GPT2, 0, 0, 0},
    {"granite-docling", GQCRT_PRE_GPT2, 0, 0, 0},
    {"qwen2", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"deepseek-r1-qwen", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"kormo", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"f2llmv2", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"megrez", GQCRT_PRE_QWEN2, 0, 0, 1},
    {"stablelm2", GQCRT_PRE_QWEN2, 0, 0, 1},
    {"hunyuan", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"solar-open", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"grok-2", GQCRT_PRE_QWEN2, 0, 0, 0},
    {"qwen35", GQCRT_PRE_QWEN35, 0, 0, 0},
    {"falcon", GQCRT_PRE_FALCON, 0, 0, 1},
    {"smollm", GQCRT_PRE_SMOLLM, 0, 0, 0},
    {"starcoder", GQCRT_PRE_SMOLLM, 0, 0, 1},
    {"refact", GQCRT_PRE_SMOLLM, 0, 0, 1},
    {"command-r", GQCRT_PRE_SMOLLM, 0, 0, 0},
    {"codeshell", GQCRT_PRE_SMOLLM, 0, 0, 1},
    {"exaone", GQCRT_PRE_SMOLLM, 0, 0, 1},
    {"minerva-7b", GQCRT_PRE_SMOLLM, 0, 0, 1},
    {"mellum2", GQCRT_PRE_SMOLLM, 0, 0, 1},
    {"deepseek-llm", GQCRT_PRE_DEEPSEEK_LLM, 0, 0, 0},
    {"deepseek-coder", GQCRT_PRE_DEEPSEEK_CODER, 0, 0, 0},
};

static bool str_eq(gguf_str s, const char *lit) {
  return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static bool read_model(builder *b) {
  const char *key = "tokenizer.ggml.model";
  const gguf_kv *kv = gguf_find_kv(b->f, key);
  if (!kv)
    return fail(b, NULL, "missing key '%s': the file has no tokenizer", key);
  if (kv->value.type != GGUF_STRING)
    return fail(b, kv, "expected a string, found a %s", vtype_name(kv->value.type));
  gguf_str m = kv->value.v.s;
  if (str_eq(m, "llama")) {
    b->model = GQCRT_VOCAB_SPM;
    b->pre = GQCRT_PRE_NONE;
    b->bos = 1, b->eos = 2, b->unk = 0;
    b->flags = GQCRT_VOCAB_ADD_BOS | GQCRT_VOCAB_ADD_SPACE_PREFIX;
    return true;
  }
  if (str_eq(m, "gpt2")) {
    b->model = GQCRT_VOCAB_BPE;
    b->bos = 11, b->eos = 11, b->unk = -1;
    b->flags = GQCRT_VOCAB_CLEAN_SPACES;
    const char *pkey = "tokenizer.ggml.pre";
    const gguf_kv *pkv = gguf_find_kv(b->f, pkey);
    gguf_str pre = {"default", 7};
    if (pkv) {
      if (pkv->value.type != GGUF_STRING)
        return fail(b, pkv, "expected a string, found a %s", vtype_name(pkv->value.type));
      pre = pkv->value.v.s;
    }
    for (size_t i = 0; i < sizeof pre_aliases / sizeof pre_aliases[0]; i++) {
      const pre_alias *a = &pre_aliases[i];
      if (!str_eq(pre, a->name))
        continue;
      b->pre = a->pre;
      if (a->ignore_merges)
        b->flags |= GQCRT_VOCAB_IGNORE_MERGES;
      if (a->add_bos)
        b->flags |= GQCRT_VOCAB_ADD_BOS;
      if (!a->clean_spaces)
        b->flags &= ~(uint32_t)GQCRT_VOCAB_CLEAN_SPACES;
      return true;
    }
    return fail(b, pkv,
                "unknown or unsupported pre-tokenizer '%.*s' (supported: default, gpt-2, "
                "llama3/llama-bpe, qwen2, qwen35, smollm, falcon, deepseek-llm, deepseek-coder "
                "and their llama.cpp aliases)",
                (int)(pre.len > 64 ? 64 : pre.len), pre.ptr);
  }
  if (str_eq(m, "gemma4")) { /* BPE over UTF-8 with SPM's escaped spaces; ids from the file */
    b->model = GQCRT_VOCAB_BPE;
    b->pre = GQCRT_PRE_GEMMA4;
    b->bos = b->eos = b->unk = -1;
    /* llama.cpp forces add_bos for it (an explicit false is overridden) */
    b->flags = GQCRT_VOCAB_BPE_UTF8 | GQCRT_VOCAB_ADD_BOS | GQCRT_VOCAB_CLEAN_SPACES;
    return true;
  }
  return fail(b, kv,
              "unsupported tokenizer model '%.*s' (supported: 'llama' (SPM), 'gpt2' (BPE), "
              "'gemma4' (UTF-8 BPE))",
              (int)(m.len > 64 ? 64 : m.len), m.ptr);
}

/* ---- tokens, scores, types ------------------------------------------------ */

static uint16_t attr_of_type(int64_t type) {
  switch (type) {
  case 1:
    return GQCRT_TOK_NORMAL;
  case 2:
    return GQCRT_TOK_UNKNOWN;
  case 3:
    return GQCRT_TOK_CONTROL;
  case 4:
    return GQCRT_TOK_USER_DEFINED;
  case 5:
    return GQCRT_TOK_UNUSED;
  case 6:
    return GQCRT_TOK_BYTE;
  default:
    return 0; /* UNDEFINED (0) and unknown values */
  }
}

static bool read_tokens(builder *b) {
  const char *key = "tokenizer.ggml.tokens";
  const gguf_kv *kv = get_array(b, key, GGUF_STRING, GGUF_STRING, "strings");
  if (!kv)
    return b->d->failed ? false : fail(b, NULL, "missing key '%s'", key);
  uint64_t n = kv->value.v.arr.count;
  if (n == 0 || n > (uint64_t)INT32_MAX / 4)
    return fail(b, kv, "%llu tokens: expected 1 to %d", (unsigned long long)n, INT32_MAX / 4);
  b->n_tokens = b->n_symbols = (int32_t)n;
  b->cap_symbols = (int32_t)n + 16;

  const gguf_kv *skv = get_array(b, "tokenizer.ggml.scores", GGUF_F32, GGUF_I32, "f32 or i32");
  if (b->d->failed)
    return false;
  if (skv && skv->value.v.arr.count < n)
    return fail(b, skv, "%llu scores for %llu tokens", (unsigned long long)skv->value.v.arr.count,
                (unsigned long long)n);
  const gguf_kv *tkv = get_array(b, "tokenizer.ggml.token_type", GGUF_I32, GGUF_I32, "i32");
  if (b->d->failed)
    return false;
  if (tkv && tkv->value.v.arr.count < n)
    return fail(b, tkv, "%llu token types for %llu tokens",
                (unsigned long long)tkv->value.v.arr.count, (unsigned long long)n);

  b->sym = malloc(sizeof *b->sym * (size_t)b->cap_symbols);
  b->score = malloc(sizeof *b->score * n);
  b->attr = malloc(sizeof *b->attr * n);
  if (!b->sym || !b->score || !b->attr)
    return out_of_memory(b);
  for (uint64_t i = 0; i < n; i++) {
    gguf_str s = gguf_arr_str(&kv->value, i);
    char empty_name[32];
    if (s.len == 0) { /* llama.cpp renames empty tokens */
      snprintf(empty_name, sizeof empty_name, "[EMPTY_%u]", (unsigned)i);
      s.ptr = empty_name, s.len = strlen(empty_name);
    }
    int64_t off = pool_add(b, s.ptr, s.len);
    if (off < 0)
      return out_of_memory(b);
    if ((uint64_t)off > UINT32_MAX || s.len > UINT32_MAX)
      return fail(b, kv, "token texts exceed 4 GiB");
    b->sym[i].offset = (uint32_t)off;
    b->sym[i].length = (uint32_t)s.len;
    if (s.len > b->max_token_len)
      b->max_token_len = (uint32_t)s.len;
    b->score[i] = skv ? (float)gguf_arr_f64(&skv->value, i) : 0.0f;
    b->attr[i] = tkv ? attr_of_type(gguf_arr_i64(&tkv->value, i)) : GQCRT_TOK_NORMAL;
  }
  return true;
}

/* The build-time hash holds the tokens and, later, the extra symbols; its
 * size allows for three new strings per merge. */
static bool build_hash(builder *b, uint64_t n_merges) {
  b->hash_cap = pow2_at_least(2 * ((uint64_t)b->n_tokens + 3 * n_merges) + 2);
  if (!b->hash_cap)
    return out_of_memory(b);
  b->hash = malloc(sizeof *b->hash * b->hash_cap);
  if (!b->hash)
    return out_of_memory(b);
  memset(b->hash, 0xFF, sizeof *b->hash * b->hash_cap);
  for (int32_t i = 0; i < b->n_tokens; i++)
    hash_put(b, b->hash, b->hash_cap, i);
  return true;
}

/* ---- merges ------------------------------------------------------------------ */

static bool read_merges(builder *b, const gguf_kv *kv) {
  uint64_t n = kv ? kv->value.v.arr.count : 0;
  if (n > (uint64_t)INT32_MAX / 4)
    return fail(b, kv, "%llu merges: too many", (unsigned long long)n);
  b->n_merges = (uint32_t)n;
  b->merge_hash_cap = pow2_at_least(n + n / 2 + 1);
  b->merges = malloc(sizeof *b->merges * (n ? n : 1));
  b->merge_hash = malloc(sizeof *b->merge_hash * b->merge_hash_cap);
  char *cat = malloc(2 * (size_t)b->max_token_len + 64);
  size_t cat_cap = 2 * (size_t)b->max_token_len + 64;
  if (!b->merges || !b->merge_hash || !cat) {
    free(cat);
    return out_of_memory(b);
  }
  memset(b->merge_hash, 0xFF, sizeof *b->merge_hash * b->merge_hash_cap);
  uint32_t mask = b->merge_hash_cap - 1;
  for (uint64_t i = 0; i < n; i++) {
    gqcrt_vocab_merge *m = &b->merges[i];
    m->left = m->right = m->result = -1;
    gguf_str s = gguf_arr_str(&kv->value, i);
    size_t sp = 1;
    while (sp < s.len && s.ptr[sp] != ' ')
      sp++;
    if (sp >= s.len || sp + 1 == s.len)
      continue; /* no "left right" split: llama.cpp's entry can never match */
    size_t ll = sp, rl = s.len - sp - 1;
    if (ll + rl > cat_cap) {
      char *c = realloc(cat, ll + rl);
      if (!c) {
        free(cat);
        return out_of_memory(b);
      }
      cat = c, cat_cap = ll + rl;
    }
    memcpy(cat, s.ptr, ll);
    memcpy(cat + ll, s.ptr + sp + 1, rl);
    int32_t l = intern(b, s.ptr, ll);
    int32_t r = l < 0 ? -1 : intern(b, s.ptr + sp + 1, rl);
    int32_t res = r < 0 ? -1 : intern(b, cat, ll + rl);
    if (res < 0) {
      free(cat);
      return out_of_memory(b);
    }
    /* the first (lowest-rank) occurrence of a pair wins */
    uint32_t k = gqcrt_vocab_hash_pair(l, r) & mask;
    bool seen = false;
    for (; b->merge_hash[k] >= 0; k = (k + 1) & mask) {
      const gqcrt_vocab_merge *o = &b->merges[b->merge_hash[k]];
      if (o->left == l && o->right == r) {
        seen = true;
        break;
      }
    }
    if (seen)
      continue;
    m->left = l, m->right = r, m->result = res;
    b->merge_hash[k] = (int32_t)i;
  }
  free(cat);
  return true;
}

/* ---- special ids, flags, attributes, EOG ------------------------------------ */

static bool read_special_ids(builder *b) {
  b->eot = b->eom = b->pad = b->sep = b->mask = -1;
  b->fim_pre = b->fim_suf = b->fim_mid = b->fim_pad = b->fim_rep = b->fim_sep = -1;
  struct {
    const char *key;
    int32_t *id;
  } keys[] = {
      {"tokenizer.ggml.bos_token_id", &b->bos},
      {"tokenizer.ggml.eos_token_id", &b->eos},
      {"tokenizer.ggml.eot_token_id", &b->eot},
      {"tokenizer.ggml.eom_token_id", &b->eom},
      {"tokenizer.ggml.unknown_token_id", &b->unk},
      {"tokenizer.ggml.seperator_token_id", &b->sep},
      {"tokenizer.ggml.padding_token_id", &b->pad},
      {"tokenizer.ggml.mask_token_id", &b->mask},
      {"tokenizer.ggml.fim_pre_token_id", &b->fim_pre},
      {"tokenizer.ggml.fim_suf_token_id", &b->fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &b->fim_mid},
      {"tokenizer.ggml.fim_pad_token_id", &b->fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &b->fim_rep},
      {"tokenizer.ggml.fim_sep_token_id", &b->fim_sep},
      {"tokenizer.ggml.prefix_token_id", &b->fim_pre}, /* deprecated spellings */
      {"tokenizer.ggml.suffix_token_id", &b->fim_suf},
      {"tokenizer.ggml.middle_token_id", &b->fim_mid},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (!get_special_id(b, keys[i].key, keys[i].id))
      return false;
  if (!set_flag(b, "tokenizer.ggml.add_space_prefix", GQCRT_VOCAB_ADD_SPACE_PREFIX) ||
      !set_flag(b, "tokenizer.ggml.add_bos_token", GQCRT_VOCAB_ADD_BOS) ||
      !set_flag(b, "tokenizer.ggml.add_eos_token", GQCRT_VOCAB_ADD_EOS))
    return false;
  bool add_sep = false;
  if (!get_bool(b, "tokenizer.ggml.add_sep_token", &add_sep)) /* type-checked, unused */
    return false;
  if (b->pre == GQCRT_PRE_GEMMA4) /* llama.cpp overrides add_bos = false for gemma4 */
    b->flags |= GQCRT_VOCAB_ADD_BOS;
  /* llama.cpp asserts on a missing BOS/EOS it must add; here it is not added. */
  if (b->bos < 0)
    b->flags &= ~(uint32_t)GQCRT_VOCAB_ADD_BOS;
  if (b->eos < 0)
    b->flags &= ~(uint32_t)GQCRT_VOCAB_ADD_EOS;
  return true;
}

/* If *id is unset, the lowest token whose text is in list[] (if any) becomes
 * *id and is forced to CONTROL. */
static void detect_by_text(builder *b, int32_t *id, const char *const *list, size_t n) {
  if (*id >= 0)
    return;
  for (size_t i = 0; i < n; i++) {
    int32_t t = lookup_token(b, list[i]);
    if (t >= 0 && (*id < 0 || t < *id))
      *id = t;
  }
  if (*id >= 0)
    b->attr[*id] |= GQCRT_TOK_CONTROL;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* U+FF5C FULLWIDTH VERTICAL LINE and U+2581 (SentencePiece's space), as
 * they occur in DeepSeek's and CodeLlama's token names. */
#define FWBAR "\xef\xbd\x9c"
#define SPM_SPACE "\xe2\x96\x81"

static void fix_attributes_and_eog(builder *b) {
  static const char *const eot_texts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "<|end_of_text|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "<" FWBAR "end" SPM_SPACE "of" SPM_SPACE "sentence" FWBAR
                                          ">",
                                          "<end_of_utterance>"};
  static const char *const eom_texts[] = {"<|eom_id|>"};
  static const char *const fim_pre_texts[] = {
      "<|fim_prefix|>",  "<fim-prefix>",
      "<fim_prefix>",    "<" FWBAR "fim" SPM_SPACE "begin" FWBAR ">",
      "<PRE>",           SPM_SPACE "<PRE>",
      "<|code_prefix|>", "<|prefix|>"};
  static const char *const fim_suf_texts[] = {
      "<|fim_suffix|>",  "<fim-suffix>",
      "<fim_suffix>",    "<" FWBAR "fim" SPM_SPACE "hole" FWBAR ">",
      "<SUF>",           SPM_SPACE "<SUF>",
      "<|code_suffix|>", "<|suffix|>"};
  static const char *const fim_mid_texts[] = {
      "<|fim_middle|>",  "<fim-middle>",
      "<fim_middle>",    "<" FWBAR "fim" SPM_SPACE "end" FWBAR ">",
      "<MID>",           SPM_SPACE "<MID>",
      "<|code_middle|>", "<|middle|>"};
  static const char *const fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                              "[PAD]"};
  static const char *const fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                              "<REPO>", "<reponame>"};
  static const char *const fim_sep_texts[] = {"<|file_sep|>"};
  static const char *const eog_texts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<|return|>",
                                          "<|call|>",
                                          "<|flush|>",
                                          "<|calls|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "</s>",
                                          "<|eom_id|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "[EOS]",
                                          "<|end_of_text|>",
                                          "<end_of_utterance>",
                                          "<eos>",
                                          "<turn|>",
                                          "<|tool_response>",
                                          "<" FWBAR "end" SPM_SPACE "of" SPM_SPACE "sentence" FWBAR
                                          ">",
                                          "[e~["};
  static const char *const gpt_oss_user_defined[] = {"<|channel|>", "<|message|>", "<|start|>",
                                                     "<|constrain|>"};

  detect_by_text(b, &b->eot, eot_texts, COUNT(eot_texts));
  detect_by_text(b, &b->eom, eom_texts, COUNT(eom_texts));
  detect_by_text(b, &b->fim_pre, fim_pre_texts, COUNT(fim_pre_texts));
  detect_by_text(b, &b->fim_suf, fim_suf_texts, COUNT(fim_suf_texts));
  detect_by_text(b, &b->fim_mid, fim_mid_texts, COUNT(fim_mid_texts));
  detect_by_text(b, &b->fim_pad, fim_pad_texts, COUNT(fim_pad_texts));
  detect_by_text(b, &b->fim_rep, fim_rep_texts, COUNT(fim_rep_texts));
  detect_by_text(b, &b->fim_sep, fim_sep_texts, COUNT(fim_sep_texts));

  /* CONTROL tokens named "...unused..." are UNUSED (only the id each text
   * maps to, as llama.cpp walks its text -> id map). */
  for (int32_t i = 0; i < b->n_tokens; i++) {
    if (!(b->attr[i] & GQCRT_TOK_CONTROL) || lookup(b, text_of(b, i), b->sym[i].length) != i)
      continue;
    const char *t = text_of(b, i);
    size_t n = b->sym[i].length;
    for (size_t k = 0; k + 6 <= n; k++)
      if (memcmp(t + k, "unused", 6) == 0) {
        b->attr[i] |= GQCRT_TOK_UNUSED;
        break;
      }
  }

  /* EOG set, marked in attr */
  const int32_t fim_eog[] = {b->fim_pad, b->fim_rep, b->fim_sep};
  for (size_t i = 0; i < COUNT(fim_eog); i++)
    if (fim_eog[i] >= 0)
      b->attr[fim_eog[i]] |= GQCRT_TOK_EOG;
  for (size_t i = 0; i < COUNT(eog_texts); i++) {
    int32_t t = lookup_token(b, eog_texts[i]);
    if (t >= 0)
      b->attr[t] |= GQCRT_TOK_EOG | GQCRT_TOK_CONTROL;
  }
  for (size_t i = 0; i < COUNT(gpt_oss_user_defined); i++) {
    int32_t t = lookup_token(b, gpt_oss_user_defined[i]);
    if (t >= 0)
      b->attr[t] = (uint16_t)((b->attr[t] & GQCRT_TOK_EOG) | GQCRT_TOK_USER_DEFINED);
  }
  const int32_t core_eog[] = {b->eos, b->eot, b->eom};
  for (size_t i = 0; i < COUNT(core_eog); i++)
    if (core_eog[i] >= 0)
      b->attr[core_eog[i]] |= GQCRT_TOK_EOG;

  /* o200k_harmony / solar-open: <|end|> is not EOG next to <|return|> and
   * <|call|>, or <|calls|> and <|flush|>. gemma4 / paddleocr: </s> is not EOG
   * next to <|tool_response>. */
  bool has_return = false, has_call = false, has_flush = false, has_end = false;
  bool has_tool_response = false, has_s = false;
  int32_t end_id = -1, s_id = -1;
  for (int32_t i = 0; i < b->n_tokens; i++) {
    if (!(b->attr[i] & GQCRT_TOK_EOG))
      continue;
    if (text_is(b, i, "<|return|>"))
      has_return = true;
    else if (text_is(b, i, "<|call|>") || text_is(b, i, "<|calls|>"))
      has_call = true;
    else if (text_is(b, i, "<|flush|>"))
      has_flush = true;
    else if (text_is(b, i, "<|end|>"))
      has_end = true, end_id = i;
  }
  if ((has_return && has_call && has_end) || (has_call && has_flush && has_end))
    b->attr[end_id] = GQCRT_TOK_USER_DEFINED;
  for (int32_t i = 0; i < b->n_tokens; i++) {
    if (!(b->attr[i] & GQCRT_TOK_EOG))
      continue;
    if (text_is(b, i, "<|tool_response>"))
      has_tool_response = true;
    else if (text_is(b, i, "</s>"))
      has_s = true, s_id = i;
  }
  if (has_tool_response && has_s)
    b->attr[s_id] = GQCRT_TOK_NORMAL;
}

static int compare_specials(const void *pa, const void *pb, const builder *b) {
  int32_t a = *(const int32_t *)pa, c = *(const int32_t *)pb;
  if (b->sym[a].length != b->sym[c].length)
    return b->sym[a].length > b->sym[c].length ? -1 : 1;
  return a < c ? -1 : a > c;
}

/* Insertion-free sort with a context: a simple merge sort (qsort has none). */
static void sort_specials(int32_t *a, int32_t *tmp, size_t n, const builder *b) {
  if (n < 2)
    return;
  size_t h = n / 2;
  sort_specials(a, tmp, h, b);
  sort_specials(a + h, tmp, n - h, b);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = compare_specials(&a[j], &a[i], b) < 0 ? a[j++] : a[i++];
  while (i < h)
    tmp[k++] = a[i++];
  while (j < n)
    tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

static bool list_specials_and_eog(builder *b) {
  size_t n = (size_t)b->n_tokens;
  b->specials = malloc(sizeof *b->specials * n);
  b->eog = malloc(sizeof *b->eog * n);
  int32_t *tmp = malloc(sizeof *tmp * n);
  if (!b->specials || !b->eog || !tmp) {
    free(tmp);
    return out_of_memory(b);
  }
  for (int32_t i = 0; i < b->n_tokens; i++) {
    if (b->attr[i] & (GQCRT_TOK_CONTROL | GQCRT_TOK_USER_DEFINED | GQCRT_TOK_UNKNOWN))
      b->specials[b->n_specials++] = i;
    if (b->attr[i] & GQCRT_TOK_EOG)
      b->eog[b->n_eog++] = i;
  }
  sort_specials(b->specials, tmp, b->n_specials, b);
  free(tmp);
  return true;
}

/* llama.cpp's per-model attribute settings (after its caches are built, so
 * they change only the partition's whitespace stripping). */
static void apply_name_quirks(builder *b) {
  const gguf_kv *kv = gguf_find_kv(b->f, "general.name");
  if (!kv || kv->value.type != GGUF_STRING)
    return;
  char name[256];
  size_t n = kv->value.v.s.len < sizeof name - 1 ? kv->value.v.s.len : sizeof name - 1;
  for (size_t i = 0; i < n; i++) {
    char c = kv->value.v.s.ptr[i];
    name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  name[n] = 0;
  if (strstr(name, "phi-3") || strstr(name, "phi3")) {
    for (uint32_t i = 0; i < b->n_specials; i++)
      b->attr[b->specials[i]] |= GQCRT_TOK_RSTRIP;
    int32_t t = lookup_token(b, "</s>");
    if (t >= 0)
      b->attr[t] |= GQCRT_TOK_RSTRIP;
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (size_t i = 0; i < COUNT(keep); i++)
      if ((t = lookup_token(b, keep[i])) >= 0)
        b->attr[t] &= (uint16_t)~GQCRT_TOK_RSTRIP;
  } else if (strstr(name, "modern-bert")) {
    int32_t t = lookup_token(b, "[MASK]");
    if (t >= 0)
      b->attr[t] |= GQCRT_TOK_LSTRIP;
  }
}

/* ---- pieces and byte tables ------------------------------------------------- */

/* strtol(text.substr(3, 2), 16) as llama.cpp's token_to_byte does it. */
static uint8_t byte_of_byte_token(const char *t, size_t n) {
  unsigned v = 0;
  for (size_t i = 3; i < n && i < 5; i++) {
    char c = t[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      break;
    v = v * 16 + (unsigned)d;
  }
  return (uint8_t)v;
}

/* llama.cpp's permissive UTF-8 decoder (unicode_cpt_from_utf8 inside
 * unicode_cpts_from_utf8): no overlong/surrogate checks, U+FFFD and one
 * byte on an error. Returns the length consumed. */
static size_t decode_like_llama(const uint8_t *s, size_t n, uint32_t *cp) {
  uint8_t c = s[0];
  size_t len = c < 0x80      ? 1
               : !(c & 0x40) ? 0
               : !(c & 0x20) ? 2
               : !(c & 0x10) ? 3
               : !(c & 0x08) ? 4
                             : 0;
  if (len == 0 || len > n)
    goto bad;
  if (len == 1) {
    *cp = c;
    return 1;
  }
  uint32_t v = c & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      goto bad;
    v = (v << 6) | (s[i] & 0x3F);
  }
  *cp = v;
  return len;
bad:
  *cp = 0xFFFD;
  return 1;
}

/* Render token id's piece (special = true) into buf; returns its length. */
static size_t render_piece(const builder *b, int32_t id, char *buf) {
  const char *t = text_of(b, id);
  size_t n = b->sym[id].length, o = 0;
  uint16_t a = b->attr[id];
  if (a & (GQCRT_TOK_UNKNOWN | GQCRT_TOK_CONTROL | GQCRT_TOK_USER_DEFINED)) {
    memcpy(buf, t, n);
    return n;
  }
  if (a & GQCRT_TOK_NORMAL) {
    if (b->model == GQCRT_VOCAB_SPM || (b->flags & GQCRT_VOCAB_BPE_UTF8)) { /* "▁" -> " " */
      for (size_t i = 0; i < n;) {
        if (i + 3 <= n && memcmp(t + i, "\xe2\x96\x81", 3) == 0)
          buf[o++] = ' ', i += 3;
        else
          buf[o++] = t[i++];
      }
      return o;
    }
    /* byte-level BPE: each code point back through the inverse byte map */
    for (size_t i = 0; i < n;) {
      uint32_t cp;
      size_t l = decode_like_llama((const uint8_t *)t + i, n - i, &cp);
      int32_t byte = gqcrt_gpt2_cp_to_byte(cp);
      if (byte >= 0) {
        buf[o++] = (char)byte;
      } else { /* llama.cpp's "[UNK_BYTE_0x<utf8 hex><token text>]" */
        uint8_t u[4];
        size_t ul = gqcrt_utf8_encode(cp > 0x10FFFF ? 0xFFFD : cp, u);
        o += (size_t)sprintf(buf + o, "[UNK_BYTE_0x");
        for (size_t k = 0; k < ul; k++)
          o += (size_t)sprintf(buf + o, "%02x", u[k]);
        memcpy(buf + o, t, n);
        o += n;
        buf[o++] = ']';
      }
      i += l;
    }
    return o;
  }
  if (a & GQCRT_TOK_BYTE) {
    buf[0] = (char)byte_of_byte_token(t, n);
    return 1;
  }
  return 0;
}

static bool build_pieces(builder *b) {
  b->piece = malloc(sizeof *b->piece * (size_t)b->n_tokens);
  /* worst case: every code point of a BPE token unmapped */
  char *buf = malloc((size_t)b->max_token_len * (22 + b->max_token_len) + 16);
  if (!b->piece || !buf) {
    free(buf);
    return out_of_memory(b);
  }
  for (int32_t i = 0; i < b->n_tokens; i++) {
    size_t n = render_piece(b, i, buf);
    int64_t off = pool_add(b, buf, n);
    if (off < 0 || (uint64_t)off > UINT32_MAX) {
      free(buf);
      return off < 0 ? out_of_memory(b) : fail(b, NULL, "vocabulary strings exceed 4 GiB");
    }
    b->piece[i].offset = (uint32_t)off;
    b->piece[i].length = (uint32_t)n;
  }
  free(buf);
  return true;
}

static void build_byte_tables(builder *b) {
  static const char hex[] = "0123456789ABCDEF";
  for (int c = 0; c < 256; c++) {
    char one = (char)c;
    int32_t single = lookup(b, &one, 1);
    if (single >= b->n_tokens)
      single = -1;
    char name[7] = {'<', '0', 'x', hex[c >> 4], hex[c & 15], '>', 0};
    if (b->model == GQCRT_VOCAB_SPM) {
      int32_t t = lookup_token(b, name);
      b->byte_token[c] = t >= 0 ? t : single >= 0 ? single : b->unk;
      b->byte_symbol[c] = -1;
    } else if (b->flags & GQCRT_VOCAB_BPE_UTF8) {
      b->byte_token[c] = lookup_token(b, name);
      b->byte_symbol[c] = -1;
    } else {
      uint8_t u[4];
      size_t n = gqcrt_utf8_encode(gqcrt_gpt2_byte_to_cp((uint8_t)c), u);
      b->byte_token[c] = single;
      b->byte_symbol[c] = lookup(b, u, n);
    }
  }
}

/* ---- layout ------------------------------------------------------------------ */

static size_t align8(size_t x) {
  return (x + 7) & ~(size_t)7;
}

static bool write_blob(builder *b, gqc_vocab_blob *out) {
  uint32_t tok_cap = pow2_at_least((uint64_t)b->n_symbols + (uint64_t)b->n_symbols / 2 + 1);
  if (!tok_cap)
    return out_of_memory(b);
  gqcrt_vocab_header h;
  memset(&h, 0, sizeof h);
  size_t off = align8(sizeof h);
#define PLACE(field, bytes)                                                                        \
  do {                                                                                             \
    h.field = (uint32_t)off;                                                                       \
    off = align8(off + (bytes));                                                                   \
  } while (0)
  PLACE(off_sym_text, sizeof(gqcrt_vocab_str) * (size_t)b->n_symbols);
  PLACE(off_piece, sizeof(gqcrt_vocab_str) * (size_t)b->n_tokens);
  PLACE(off_score, sizeof(float) * (size_t)b->n_tokens);
  PLACE(off_attr, sizeof(uint16_t) * (size_t)b->n_tokens);
  PLACE(off_token_hash, sizeof(int32_t) * tok_cap);
  PLACE(off_specials, sizeof(int32_t) * b->n_specials);
  PLACE(off_eog, sizeof(int32_t) * b->n_eog);
  PLACE(off_byte_token, sizeof(int32_t) * 256);
  PLACE(off_byte_symbol, sizeof(int32_t) * 256);
  PLACE(off_merges, sizeof(gqcrt_vocab_merge) * b->n_merges);
  PLACE(off_merge_hash, sizeof(int32_t) * b->merge_hash_cap);
  PLACE(off_strings, b->pool_len);
#undef PLACE
  if (off > UINT32_MAX)
    return fail(b, NULL, "the vocabulary blob would exceed 4 GiB");
  uint8_t *p = calloc(1, off);
  if (!p)
    return out_of_memory(b);

  memcpy(h.magic, GQCRT_VOCAB_MAGIC, 8);
  h.version = GQCRT_VOCAB_VERSION;
  h.header_size = sizeof h;
  h.total_size = (uint32_t)off;
  h.model = b->model;
  h.pre = b->pre;
  h.flags = b->flags;
  h.n_tokens = b->n_tokens;
  h.n_symbols = b->n_symbols;
  h.bos = b->bos, h.eos = b->eos, h.unk = b->unk, h.eot = b->eot, h.eom = b->eom;
  h.pad = b->pad, h.sep = b->sep;
  h.n_specials = b->n_specials;
  h.n_eog = b->n_eog;
  h.n_merges = b->n_merges;
  h.token_hash_cap = tok_cap;
  h.merge_hash_cap = b->merge_hash_cap;
  h.max_token_len = b->max_token_len;
  h.strings_size = (uint32_t)b->pool_len;
  memcpy(p, &h, sizeof h);
  memcpy(p + h.off_sym_text, b->sym, sizeof(gqcrt_vocab_str) * (size_t)b->n_symbols);
  memcpy(p + h.off_piece, b->piece, sizeof(gqcrt_vocab_str) * (size_t)b->n_tokens);
  memcpy(p + h.off_score, b->score, sizeof(float) * (size_t)b->n_tokens);
  memcpy(p + h.off_attr, b->attr, sizeof(uint16_t) * (size_t)b->n_tokens);
  int32_t *table = (int32_t *)(p + h.off_token_hash);
  memset(table, 0xFF, sizeof(int32_t) * tok_cap);
  for (int32_t i = 0; i < b->n_symbols; i++) /* ascending: the last equal text wins */
    hash_put(b, table, tok_cap, i);
  memcpy(p + h.off_specials, b->specials, sizeof(int32_t) * b->n_specials);
  memcpy(p + h.off_eog, b->eog, sizeof(int32_t) * b->n_eog);
  memcpy(p + h.off_byte_token, b->byte_token, sizeof b->byte_token);
  memcpy(p + h.off_byte_symbol, b->byte_symbol, sizeof b->byte_symbol);
  if (b->n_merges)
    memcpy(p + h.off_merges, b->merges, sizeof(gqcrt_vocab_merge) * b->n_merges);
  memcpy(p + h.off_merge_hash, b->merge_hash, sizeof(int32_t) * b->merge_hash_cap);
  memcpy(p + h.off_strings, b->pool, b->pool_len);
  out->data = p;
  out->size = off;
  return true;
}

static void builder_free(builder *b) {
  free(b->sym);
  free(b->pool);
  free(b->score);
  free(b->attr);
  free(b->hash);
  free(b->merges);
  free(b->merge_hash);
  free(b->piece);
  free(b->specials);
  free(b->eog);
}

bool gqc_vocab_build(const gguf_file *f, gqc_vocab_blob *out, gqc_diag *d) {
  if (out)
    out->data = NULL, out->size = 0;
  if (!f || !out || !d)
    return d ? gqc_error(d, "gqc_vocab_build: NULL argument") : false;
  builder b;
  memset(&b, 0, sizeof b);
  b.f = f, b.d = d, b.path = f->path ? f->path : "<gguf>";
  bool ok = read_model(&b) && read_tokens(&b);
  const gguf_kv *merges = NULL;
  if (ok && b.model == GQCRT_VOCAB_BPE) {
    const char *key = "tokenizer.ggml.merges";
    merges = get_array(&b, key, GGUF_STRING, GGUF_STRING, "strings");
    if (!merges && !d->failed)
      fail(&b, NULL, "missing key '%s' (required for tokenizer model 'gpt2')", key);
    ok = !d->failed;
  }
  ok = ok && build_hash(&b, merges ? merges->value.v.arr.count : 0) && read_merges(&b, merges) &&
       read_special_ids(&b);
  if (ok) {
    fix_attributes_and_eog(&b);
    ok = list_specials_and_eog(&b) && build_pieces(&b);
  }
  if (ok) {
    apply_name_quirks(&b);
    build_byte_tables(&b);
    ok = write_blob(&b, out);
  }
  builder_free(&b);
  return ok;
}

void gqc_vocab_blob_free(gqc_vocab_blob *b) {
  if (!b)
    return;
  free(b->data);
  b->data = NULL;
  b->size = 0;
}

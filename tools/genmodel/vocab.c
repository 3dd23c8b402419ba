/* vocab.c — synthetic or copied tokenizer metadata (see vocab.h).
 *
 * The synthetic vocabulary is laid out like a real SentencePiece one as
 * llama.cpp's converter writes it: specials first (score 0), then the 256
 * byte-fallback tokens <0x00>..<0xFF> (type BYTE, score 0), then word
 * pieces (type NORMAL) with strictly decreasing scores, so SPM merging has
 * a deterministic priority. Pieces enumerate lowercase strings by length,
 * each with and without the "▁" word-start marker: "▁" "▁a" .. "▁z" "a" ..
 * "z" "▁aa" .. — any lowercase text tokenises into real pieces, anything
 * else falls back to bytes.
 *
 * When copying from another file with a different size, the per-token
 * arrays (tokens, scores, token_type) are cut or padded; BPE merges are
 * kept only when both halves and their concatenation are still tokens, and
 * special-token ids that fall outside the new range are dropped.
 */
#include "tools/genmodel/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/name_map.h"

enum { TOK_NORMAL = 1, TOK_UNKNOWN = 2, TOK_CONTROL = 3, TOK_USER_DEFINED = 4, TOK_BYTE = 6 };

static const char SPACE_MARK[] = "\xe2\x96\x81"; /* U+2581 */

uint32_t gm_vocab_min_synthetic(bool gemma) {
  return (gemma ? 4 : 3) + 256;
}

/* Writes the k-th word piece (k >= 0) into buf; returns its length. */
static size_t piece(uint64_t k, char *buf) {
  if (k == 0) {
    memcpy(buf, SPACE_MARK, 3);
    return 3;
  }
  k--;
  /* Length-L strings come in 2 * 26^L variants (with marker first). */
  uint64_t count = 26;
  int len = 1;
  while (k >= 2 * count) {
    k -= 2 * count;
    count *= 26;
    len++;
  }
  size_t n = 0;
  if (k < count) {
    memcpy(buf, SPACE_MARK, 3);
    n = 3;
  } else {
    k -= count;
  }
  for (int i = len - 1; i >= 0; i--) {
    buf[n + (size_t)i] = (char)('a' + k % 26);
    k /= 26;
  }
  return n + (size_t)len;
}

bool gm_vocab_write_synthetic(gguf_writer *w, uint32_t n_vocab, bool gemma, char *err,
                              size_t errlen) {
  uint32_t n_special = gemma ? 4 : 3;
  if (n_vocab < gm_vocab_min_synthetic(gemma)) {
    snprintf(err, errlen,
             "a synthetic vocabulary needs at least %u tokens (%u specials + 256 bytes)",
             gm_vocab_min_synthetic(gemma), n_special);
    return false;
  }
  gguf_str *tok = calloc(n_vocab, sizeof *tok);
  float *score = calloc(n_vocab, sizeof *score);
  int32_t *type = calloc(n_vocab, sizeof *type);
  char *text = malloc((size_t)n_vocab * 16); /* every token is < 16 bytes */
  if (!tok || !score || !type || !text) {
    free(tok);
    free(score);
    free(type);
    free(text);
    snprintf(err, errlen, "out of memory for a %u-token vocabulary", n_vocab);
    return false;
  }
  static const char *const spm[] = {"<unk>", "<s>", "</s>"};
  static const char *const gem[] = {"<pad>", "<eos>", "<bos>", "<unk>"};
  char *at = text;
  for (uint32_t i = 0; i < n_vocab; i++) {
    size_t n;
    if (i < n_special) {
      const char *s = gemma ? gem[i] : spm[i];
      n = strlen(s);
      memcpy(at, s, n);
      bool unk = gemma ? i == 3 : i == 0;
      type[i] = unk ? TOK_UNKNOWN : TOK_CONTROL;
    } else if (i < n_special + 256) {
      n = (size_t)snprintf(at, 16, "<0x%02X>", i - n_special);
      type[i] = TOK_BYTE;
    } else {
      uint64_t k = i - n_special - 256;
      n = piece(k, at);
      type[i] = TOK_NORMAL;
      score[i] = -(float)k;
    }
    tok[i].ptr = at;
    tok[i].len = n;
    at += n;
  }
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str(w, "tokenizer.ggml.pre", "default");
  gguf_writer_add_gguf_str_array(w, "tokenizer.ggml.tokens", tok, n_vocab);
  gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_F32, score, n_vocab);
  gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_I32, type, n_vocab);
  gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", gemma ? 2 : 1);
  gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", gemma ? 1 : 2);
  gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", gemma ? 3 : 0);
  if (gemma)
    gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", 0);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false);
  if (gemma)
    gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", false);
  free(tok);
  free(score);
  free(type);
  free(text);
  return true;
}

uint64_t gm_vocab_count(const gguf_file *src) {
  const gguf_kv *kv = gguf_find_kv(src, "tokenizer.ggml.tokens");
  if (!kv || kv->value.type != GGUF_ARRAY || kv->value.v.arr.elem_type != GGUF_STRING)
    return 0;
  return kv->value.v.arr.count;
}

/* ---- a set of strings (the kept tokens), for filtering merges ----------- */

typedef struct str_set {
  gguf_str *slot;
  uint64_t mask;
} str_set;

static bool set_init(str_set *s, uint64_t n) {
  s->mask = gqc_name_table_slots(n) - 1;
  s->slot = calloc(s->mask + 1, sizeof *s->slot);
  return s->slot != NULL;
}

/* Adds (or, with add == false, looks up) a string; true if present before. */
static bool set_has(str_set *s, const char *p, uint64_t n, bool add) {
  for (uint64_t h = gqc_name_hash_bytes(p, n) & s->mask;; h = (h + 1) & s->mask) {
    gguf_str *e = &s->slot[h];
    if (!e->ptr) {
      if (add) {
        e->ptr = p;
        e->len = n;
      }
      return false;
    }
    if (e->len == n && memcmp(e->ptr, p, n) == 0)
      return true;
  }
}

/* Whether merge "left right" only involves kept tokens. */
static bool merge_kept(str_set *s, gguf_str m, char *scratch) {
  const char *sp = m.len > 1 ? memchr(m.ptr + 1, ' ', m.len - 1) : NULL;
  if (!sp)
    return false;
  uint64_t ll = (uint64_t)(sp - m.ptr), rl = m.len - ll - 1;
  if (!set_has(s, m.ptr, ll, false) || !set_has(s, sp + 1, rl, false))
    return false;
  memcpy(scratch, m.ptr, ll);
  memcpy(scratch + ll, sp + 1, rl);
  return set_has(s, scratch, ll + rl, false);
}

static bool is_special_id_key(const char *key) {
  size_t n = strlen(key);
  return strncmp(key, "tokenizer.ggml.", 15) == 0 && n > 9 && strcmp(key + n - 9, "_token_id") == 0;
}

bool gm_vocab_copy(gguf_writer *w, const gguf_file *src, uint32_t n_vocab, char *err,
                   size_t errlen) {
  uint64_t n_src = gm_vocab_count(src);
  if (n_src == 0) {
    snprintf(err, errlen, "%s has no tokenizer.ggml.tokens string array", src->path);
    return false;
  }
  if (n_vocab == n_src) {
    for (uint64_t i = 0; i < src->n_kv; i++)
      if (strncmp(src->kv[i].key, "tokenizer.", 10) == 0)
        gguf_writer_copy_kv(w, &src->kv[i]);
    return true;
  }
  uint64_t keep = n_vocab < n_src ? n_vocab : n_src;
  const gguf_value *tokens = &gguf_find_kv(src, "tokenizer.ggml.tokens")->value;
  gguf_str *tok = calloc(n_vocab, sizeof *tok);
  char *pad_text = malloc((size_t)(n_vocab - keep) * 24 + 1);
  str_set set = {0};
  char *scratch = NULL;
  bool ok = tok && pad_text && set_init(&set, n_vocab);
  for (uint64_t i = 0; ok && i < n_vocab; i++) {
    if (i < keep) {
      tok[i] = gguf_arr_str(tokens, i);
    } else {
      char *at = pad_text + (i - keep) * 24;
      tok[i].ptr = at;
      tok[i].len = (uint64_t)snprintf(at, 24, "[PAD%llu]", (unsigned long long)i);
    }
    set_has(&set, tok[i].ptr, tok[i].len, true);
  }
  uint64_t max_merge = 0;
  const gguf_kv *merges = gguf_find_kv(src, "tokenizer.ggml.merges");
  if (ok && merges && merges->value.type == GGUF_ARRAY &&
      merges->value.v.arr.elem_type == GGUF_STRING) {
    for (uint64_t i = 0; i < merges->value.v.arr.count; i++) {
      uint64_t len = gguf_arr_str(&merges->value, i).len;
      if (len > max_merge)
        max_merge = len;
    }
    ok = (scratch = malloc(max_merge + 1)) != NULL;
  }
  for (uint64_t k = 0; ok && k < src->n_kv; k++) {
    const gguf_kv *kv = &src->kv[k];
    const gguf_value *v = &kv->value;
    if (strncmp(kv->key, "tokenizer.", 10) != 0)
      continue;
    if (strcmp(kv->key, "tokenizer.ggml.tokens") == 0) {
      gguf_writer_add_gguf_str_array(w, kv->key, tok, n_vocab);
    } else if ((strcmp(kv->key, "tokenizer.ggml.scores") == 0 ||
                strcmp(kv->key, "tokenizer.ggml.token_type") == 0) &&
               v->type == GGUF_ARRAY && v->v.arr.elem_type != GGUF_STRING) {
      bool is_type = strcmp(kv->key, "tokenizer.ggml.token_type") == 0;
      if (is_type) {
        int32_t *a = malloc((size_t)n_vocab * sizeof *a);
        if (!(ok = a != NULL))
          break;
        for (uint64_t i = 0; i < n_vocab; i++)
          a[i] = i < keep && i < v->v.arr.count ? (int32_t)gguf_arr_i64(v, i) : TOK_USER_DEFINED;
        gguf_writer_add_array(w, kv->key, GGUF_I32, a, n_vocab);
        free(a);
      } else {
        float *a = malloc((size_t)n_vocab * sizeof *a);
        if (!(ok = a != NULL))
          break;
        for (uint64_t i = 0; i < n_vocab; i++)
          a[i] = i < keep && i < v->v.arr.count ? (float)gguf_arr_f64(v, i) : 0.0f;
        gguf_writer_add_array(w, kv->key, GGUF_F32, a, n_vocab);
        free(a);
      }
    } else if (kv == merges && scratch) {
      gguf_str *kept = malloc((size_t)(v->v.arr.count ? v->v.arr.count : 1) * sizeof *kept);
      if (!(ok = kept != NULL))
        break;
      uint64_t nk = 0;
      for (uint64_t i = 0; i < v->v.arr.count; i++) {
        gguf_str m = gguf_arr_str(v, i);
        if (merge_kept(&set, m, scratch))
          kept[nk++] = m;
      }
      gguf_writer_add_gguf_str_array(w, kv->key, kept, nk);
      free(kept);
    } else if (is_special_id_key(kv->key)) {
      int64_t id = 0;
      bool integer = gguf_get_i64(src, kv->key, &id, NULL);
      if (!integer || (id >= 0 && id < (int64_t)n_vocab))
        gguf_writer_copy_kv(w, kv);
    } else {
      gguf_writer_copy_kv(w, kv);
    }
  }
  if (!ok)
    snprintf(err, errlen, "out of memory copying the vocabulary of %s", src->path);
  free(tok);
  free(pad_text);
  free(set.slot);
  free(scratch);
  return ok;
}

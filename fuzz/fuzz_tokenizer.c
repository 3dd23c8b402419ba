/* fuzz_tokenizer.c — libFuzzer target for the runtime tokenizer
 * (runtime/src/tokenizer*.c, unicode.c) and the vocab blob guard
 * (gqcrt_vocab_check).
 *
 * Two fixed blobs are built once with gqc_vocab_build from the test models:
 * stories260K.gguf (SPM) and tiny-qwen2-Q8_0.gguf (byte-level BPE, qwen2
 * pre-tokenizer). The first input byte picks what to do with the rest:
 *
 *   bit 0      which blob (0 SPM, 1 BPE)
 *   bit 1      parse_special
 *   bit 2      add_special
 *   bit 7 = 0  tokenize the rest as text, with an exact-size scratch and id
 *              buffer (so ASan sees any overrun), then again with one id and
 *              one scratch byte too few, which must fail cleanly; ids must be
 *              in range and valid UTF-8 must never be refused;
 *   bit 7 = 1  corrupt a copy of the blob with the rest, read as 4-byte
 *              records (u24 offset, xor byte), the first record's offset
 *              also cutting the blob short when bit 6 is set; whatever
 *              gqcrt_vocab_check accepts must then tokenize fixed texts and
 *              answer every per-token query without a fault.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "gqcrt.h"
#include "gqcrt_tokenizer.h"

#define FUZZ_TARGET "fuzz_tokenizer"
#include "fuzz_check.h"
#include "test_models.h"

static gqc_vocab_blob blobs[2];
static volatile uint64_t sink;

static void build_blob(const char *file, gqc_vocab_blob *out) {
  gguf_file *f = open_test_model(FUZZ_TARGET, file);
  gqc_diag d = {0};
  if (!gqc_vocab_build(f, out, &d)) {
    fprintf(stderr, "fuzz_tokenizer: %s\n", d.msg);
    abort();
  }
  gguf_close(f);
  CHECK(gqcrt_vocab_check(out->data, out->size) == GQCRT_OK);
}

static void init(void) {
  RUN_ONCE();
  build_blob("stories260K.gguf", &blobs[0]);
  build_blob("tiny-qwen2-Q8_0.gguf", &blobs[1]);
  /* The NULL and zero-size paths, once. */
  char scratch[64];
  int32_t ids[4];
  CHECK(gqcrt_tokenize(NULL, "a", 1, 1, 1, ids, 4, scratch, sizeof scratch) == GQCRT_ERR_NULL);
  CHECK(gqcrt_tokenize(blobs[0].data, NULL, 1, 1, 1, ids, 4, scratch, sizeof scratch) ==
        GQCRT_ERR_NULL);
  CHECK(gqcrt_tokenize(blobs[0].data, "a", 1, 1, 1, NULL, 4, scratch, sizeof scratch) ==
        GQCRT_ERR_NULL);
  CHECK(gqcrt_tokenize(blobs[0].data, "a", 1, 1, 1, ids, 4, NULL, 0) == GQCRT_ERR_NULL);
  CHECK(gqcrt_tokenize(blobs[0].data, "a", 1, 1, 1, ids, 4, scratch, 0) == GQCRT_ERR_NO_SPACE);
  CHECK(gqcrt_vocab_check(NULL, 0) == GQCRT_ERR_BAD_BLOB);
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past
 * U+10FFFF. */
static int utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    if (n - i < len)
      return 0;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80)
        return 0;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += len;
  }
  return 1;
}

/* Tokenizes with exact-size buffers; returns the result. */
static int32_t tokenize_exact(const void *blob, const uint8_t *text, size_t len, int add_special,
                              int parse_special, int32_t max_ids, size_t scratch_size) {
  int32_t *ids = malloc((size_t)(max_ids > 0 ? max_ids : 1) * sizeof *ids);
  void *scratch = malloc(scratch_size ? scratch_size : 1);
  CHECK(ids && scratch);
  int32_t n = gqcrt_tokenize(blob, (const char *)text, len, add_special, parse_special, ids,
                             max_ids, scratch, scratch_size);
  if (n > 0) {
    int32_t n_tokens = gqcrt_vocab_n_tokens(blob);
    for (int32_t i = 0; i < n && i < max_ids; i++) {
      CHECK(ids[i] >= 0 && ids[i] < n_tokens);
      int32_t plen = -1;
      const char *piece = gqcrt_token_piece(blob, ids[i], 1, &plen);
      CHECK(piece != NULL && plen >= 0);
      if (plen)
        sink += (uint8_t)piece[0] + (uint8_t)piece[plen - 1];
      CHECK(piece[plen] == 0);
    }
  }
  free(ids);
  free(scratch);
  return n;
}

static void fuzz_text(const void *blob, const uint8_t *text, size_t len, int add_special,
                      int parse_special) {
  size_t scratch = gqcrt_tokenize_scratch_bytes(blob, len);
  CHECK(scratch != SIZE_MAX && scratch < 1024 + 4096 * (len + 1));
  int32_t max_ids = (int32_t)(4 * len + 8);
  int32_t n = tokenize_exact(blob, text, len, add_special, parse_special, max_ids, scratch);
  CHECK(n >= 0 || n == GQCRT_ERR_BAD_UTF8);
  /* At most a token per byte, plus SPM space prefixes (one, and one after
   * each special token, which takes a byte at least), BOS and EOS. */
  CHECK(n <= 2 * (int32_t)len + 3);
  int valid = utf8_valid(text, len);
  if (valid != (n != GQCRT_ERR_BAD_UTF8)) {
    fprintf(stderr, "fuzz_tokenizer: UTF-8 %s text %s\n", valid ? "valid" : "invalid",
            valid ? "refused" : "accepted");
    abort();
  }
  if (n > 0) {
    /* One id too few: nothing written past the end, and NO_SPACE. */
    CHECK(tokenize_exact(blob, text, len, add_special, parse_special, n - 1, scratch) ==
          GQCRT_ERR_NO_SPACE);
  }
  if (scratch > 0 && n >= 0)
    CHECK(tokenize_exact(blob, text, len, add_special, parse_special, max_ids, scratch - 1) ==
          GQCRT_ERR_NO_SPACE);
}

static void fuzz_blob(const gqc_vocab_blob *b, const uint8_t *data, size_t size, int cut) {
  size_t n = b->size;
  /* 8-byte aligned copy (malloc gives 16), exact size. */
  uint8_t *copy = malloc(n);
  CHECK(copy);
  memcpy(copy, b->data, n);
  for (size_t i = 0; i + 4 <= size; i += 4) {
    uint32_t off = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16;
    if (i == 0 && cut)
      n = off % (b->size + 1);
    else if (n)
      copy[off % n] ^= data[i + 3];
  }
  if (gqcrt_vocab_check(copy, n) != GQCRT_OK) {
    free(copy);
    return;
  }
  /* Accepted: the blob is either unchanged where it matters or consistent.
   * Nothing may fault now. */
  int32_t n_tokens = gqcrt_vocab_n_tokens(copy);
  CHECK(n_tokens > 0);
  for (int32_t id = -2; id <= n_tokens + 1; id++) {
    const char *text = gqcrt_token_text(copy, id);
    int32_t len = -1;
    const char *piece = gqcrt_token_piece(copy, id, id & 1, &len);
    if (id < 0 || id >= n_tokens) {
      CHECK(text == NULL && piece == NULL);
      continue;
    }
    CHECK(text && piece && len >= 0);
    sink += strlen(text) + (uint32_t)len + (uint32_t)gqcrt_vocab_is_eog(copy, id);
  }
  sink += (uint32_t)gqcrt_vocab_bos(copy) + (uint32_t)gqcrt_vocab_eos(copy);
  static const char *const texts[] = {
      "Once upon a time, there was a little girl named Lily.",
      "  leading spaces and   runs   of spaces\n\n\t tabs",
      "Numbers: 12345 3.14159 -42 1,000,000 <s></s><unk><|endoftext|><|im_start|>",
      "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xd0\xbf\xd1\x80\xd0\xb8",
  };
  for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
    size_t len = strlen(texts[t]);
    size_t scratch = gqcrt_tokenize_scratch_bytes(copy, len);
    CHECK(scratch < (size_t)1 << 24);
    int32_t r = tokenize_exact(copy, (const uint8_t *)texts[t], len, 1, (int)(t & 1),
                               (int32_t)(4 * len + 8), scratch);
    CHECK(r >= 0 || r == GQCRT_ERR_NO_SPACE);
  }
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init();
  if (size < 1 || size > 16 * 1024)
    return 0;
  uint8_t mode = data[0];
  const gqc_vocab_blob *b = &blobs[mode & 1];
  if (mode & 0x80)
    fuzz_blob(b, data + 1, size - 1, (mode & 0x40) != 0);
  else
    fuzz_text(b->data, data + 1, size - 1, (mode & 4) != 0, (mode & 2) != 0);
  return 0;
}

/* gqcrt_tokenizer.h — tokenizer and detokenizer over a compiled vocabulary.
 *
 * gqc turns the GGUF vocabulary (tokens, scores, types, merges, special ids)
 * into a "vocab blob": one position-independent, read-only byte array with
 * every lookup structure (token hash, merge-rank hash, decoded pieces,
 * special-token list) built at compile time. The runtime reads it in place;
 * nothing is built or allocated at start-up. The same blob format is used by
 * the generated model code and by `gqc tokenize`.
 *
 * Algorithms are llama.cpp's: SPM (score-driven merges with byte fallback) for
 * tokenizer.ggml.model "llama", byte-level BPE (merge ranks, GPT-2 byte map,
 * regex pre-tokenizer chosen by tokenizer.ggml.pre) for "gpt2".
 */
#ifndef GQCRT_TOKENIZER_H
#define GQCRT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Validate a blob (size, magic, version, every internal offset in range).
 * Returns GQCRT_OK or GQCRT_ERR_BAD_BLOB. Generated code does not call this
 * (its blob is trusted, being part of the object); gqc's tests and tools do. */
int32_t gqcrt_vocab_check(const void *blob, size_t size);

int32_t gqcrt_vocab_n_tokens(const void *blob);
int32_t gqcrt_vocab_bos(const void *blob);  /* -1 if none */
int32_t gqcrt_vocab_eos(const void *blob);  /* -1 if none */
/* 1 if id ends generation (eos, eot, eom, or a token llama.cpp detects as
 * end-of-generation by its text), else 0. */
int32_t gqcrt_vocab_is_eog(const void *blob, int32_t id);

/* Scratch bytes gqcrt_tokenize needs for a text of text_len bytes. */
size_t gqcrt_tokenize_scratch_bytes(const void *blob, size_t text_len);

/* Tokenize text[0..text_len) into ids. add_special: add BOS/EOS as the
 * vocabulary says. parse_special: match CONTROL/UNKNOWN token texts in the
 * input (USER_DEFINED ones always match), as llama.cpp's CLI does.
 * Returns the number of ids (>= 0), or a negative GQCRT_ERR_* code:
 * GQCRT_ERR_NO_SPACE when max_ids is too small (nothing useful is written),
 * GQCRT_ERR_NO_SPACE too when scratch is smaller than
 * gqcrt_tokenize_scratch_bytes(), GQCRT_ERR_BAD_UTF8 for invalid UTF-8,
 * GQCRT_ERR_NULL for NULL pointers. */
int32_t gqcrt_tokenize(const void *blob, const char *text, size_t text_len, int add_special,
                       int parse_special, int32_t *ids, int32_t max_ids, void *scratch,
                       size_t scratch_size);

/* The token's text as stored in the vocabulary ("▁Once", "<0x0A>", "Ġthe"),
 * NUL-terminated. NULL for an id out of range. */
const char *gqcrt_token_text(const void *blob, int32_t id);

/* The bytes the token stands for when detokenising ("▁Once" -> " Once",
 * "<0x0A>" -> "\n", "Ġthe" -> " the"; CONTROL tokens -> "" unless special
 * is non-zero). *len receives the byte count (the piece may contain a NUL
 * byte); the piece is also NUL-terminated. NULL for an id out of range. */
const char *gqcrt_token_piece(const void *blob, int32_t id, int special, int32_t *len);

#ifdef __cplusplus
}
#endif
#endif

/* vocab_build.h — compile a GGUF vocabulary into the runtime's vocab blob.
 *
 * gqc_vocab_build() reads the tokenizer.* metadata of a validated GGUF file
 * (tokens, scores, token types, merges, special ids, flags, pre-tokenizer)
 * and applies llama.cpp's load-time rules — defaults by tokenizer model,
 * GGUF overrides, out-of-range special ids disabled, end-of-generation
 * tokens detected by their text, control-token fix-ups — then lays out
 * every lookup structure the runtime tokenizer needs (the format is
 * runtime/include/gqcrt_vocab_blob.h; docs/tokenizers.md describes both).
 *
 * Supported: tokenizer.ggml.model "llama" (SPM) and "gpt2" (byte-level BPE)
 * with the pre-tokenizers default, gpt-2, llama3/llama-bpe, qwen2, smollm
 * and their llama.cpp aliases. Anything else is an error naming the file
 * and the key.
 */
#ifndef GQC_VOCAB_BUILD_H
#define GQC_VOCAB_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "frontend/gguf.h"
#include "ir/diag.h"

typedef struct gqc_vocab_blob {
  void *data; /* malloc'd, 8-byte aligned; free with gqc_vocab_blob_free */
  size_t size;
} gqc_vocab_blob;

/* Returns false and fills d (message prefixed with the file name, and the
 * key's file offset where there is one) on any problem; *out is then empty. */
bool gqc_vocab_build(const gguf_file *f, gqc_vocab_blob *out, gqc_diag *d);
void gqc_vocab_blob_free(gqc_vocab_blob *b);

#endif

/* vocab.h — the tokenizer.* metadata of a generated model: either a
 * synthetic SentencePiece ("llama") vocabulary of any size, or every
 * tokenizer.* key copied from another GGUF file, truncated or padded to the
 * wanted size. */
#ifndef GQC_GENMODEL_VOCAB_H
#define GQC_GENMODEL_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"

/* Smallest synthetic vocabulary: the specials plus the 256 byte tokens. */
uint32_t gm_vocab_min_synthetic(bool gemma);

/* Writes a synthetic SPM vocabulary of n_vocab tokens: the specials (<unk>
 * <s> </s>, or gemma's <pad> <eos> <bos> <unk>), <0x00>..<0xFF>, then word
 * pieces ("▁a", "a", "▁aa", ...) with decreasing scores. */
bool gm_vocab_write_synthetic(gguf_writer *w, uint32_t n_vocab, bool gemma, char *err,
                              size_t errlen);

/* Number of tokens in src's tokenizer.ggml.tokens (0 if it has none). */
uint64_t gm_vocab_count(const gguf_file *src);

/* Copies every tokenizer.* key of src. If n_vocab differs from the source's
 * count, the per-token arrays are truncated (dropping merges and special
 * ids that refer to removed tokens) or padded with "[PAD<i>]" tokens. */
bool gm_vocab_copy(gguf_writer *w, const gguf_file *src, uint32_t n_vocab, char *err,
                   size_t errlen);

#endif

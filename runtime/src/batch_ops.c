/* batch_ops.c — the row-batched ops of batched prefill (gqcrt.h, "row-batched
 * ops"): embedding lookup and RoPE for n_rows tokens at positions pos,
 * pos + 1, ...
 *
 * Each is the single-token op applied to every row in order, which is what
 * makes a batch give bit for bit the results of feeding its tokens one by
 * one: these ops share nothing between rows that could be computed once
 * without changing an operation (RoPE's angles depend on the position).
 * What batching buys is in the linear layers (gqcrt_gemm_*) and in attention
 * (gqcrt_attention_parallel: a batch's queries attended together).
 */
#include "gqcrt.h"

void gqcrt_embed_rows(gqcrt_dequant_fn dequant, float *y, const void *table, int64_t row_bytes,
                      const int32_t *tokens, int32_t n_rows, int32_t n_in) {
  for (int32_t r = 0; r < n_rows; ++r)
    dequant(y + (size_t)r * (size_t)n_in,
            (const unsigned char *)table + (int64_t)tokens[r] * row_bytes, n_in);
}

void gqcrt_embed_rows_packed(gqcrt_embed_fn embed, float *y, const void *table,
                             const int32_t *tokens, int32_t n_rows, int32_t n_in) {
  for (int32_t r = 0; r < n_rows; ++r)
    embed(y + (size_t)r * (size_t)n_in, table, tokens[r], n_in);
}

void gqcrt_rope_rows(float *y, const float *x, int32_t pos, int32_t n_rows, int32_t n_head,
                     int32_t head_dim, int32_t n_rot, float base, float freq_scale, int32_t mode,
                     const float *freq_factors, float attn_factor) {
  const size_t row = (size_t)n_head * (size_t)head_dim;
  for (int32_t r = 0; r < n_rows; ++r)
    gqcrt_rope(y + (size_t)r * row, x + (size_t)r * row, pos + r, n_head, head_dim, n_rot, base,
               freq_scale, mode, freq_factors, attn_factor);
}

/* causal_conv.c — the short causal depthwise convolution of LFM2's
 * convolution blocks, as ggml_ssm_conv computes it on the CPU: per channel,
 * an f32 sum of taps products in tap order over the window of the last taps
 * inputs (the state, then the current one); llama.cpp starts a sequence from
 * a zero state, which here is "positions below 0 count as 0" (a product
 * with 0 leaves an f32 sum that starts at +0 unchanged, so skipping it gives
 * the same bits). The state is a ring of taps - 1 rows indexed by position,
 * like a sliding-window KV cache: nothing is shifted, and a position is
 * stored only after the row that reads the oldest one has been computed.
 */
#include "gqcrt.h"

void gqcrt_causal_conv(float *y, const float *x, const float *w, float *state, int32_t pos,
                       int32_t n_rows, int32_t n, int32_t taps) {
  if (pos < 0 || n_rows < 1 || n < 1 || taps < 2 || pos > INT32_MAX - n_rows)
    return;
  const int32_t rows = taps - 1;
  for (int32_t r = 0; r < n_rows; r++) {
    const int32_t p = pos + r;
    const float *xr = x + (size_t)r * (size_t)n;
    float *yr = y + (size_t)r * (size_t)n;
    for (int32_t c = 0; c < n; c++) {
      const float *wc = w + (size_t)c * (size_t)taps;
      float acc = 0.0f;
      for (int32_t i = 0; i < rows; i++) {
        const int32_t q = p - rows + i;
        if (q >= 0)
          acc += state[(size_t)(q % rows) * (size_t)n + (size_t)c] * wc[i];
      }
      yr[c] = acc + xr[c] * wc[rows];
    }
    float *slot = state + (size_t)(p % rows) * (size_t)n;
    for (int32_t c = 0; c < n; c++)
      slot[c] = xr[c];
  }
}

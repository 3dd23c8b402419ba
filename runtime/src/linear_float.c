/* linear_float.c — portable matrix-vector kernels for f32, f16 and bf16
 * weights (the `_scalar` variants).
 *
 * The activation arrives already in the weight's encoding (f16 weights get an
 * f16-rounded activation, bf16 a bf16 one; archspec §7). Each product is
 * formed in f32 (exact for f16*f16 and bf16*bf16) and the products are summed
 * in double, as ggml's portable vec_dot does. n_in may be any length.
 */
#include "fp16.h"
#include "gqcrt.h"

void gqcrt_linear_f32_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const float *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const float *row = (const float *)w + (size_t)r * (size_t)n_in;
    double sum = 0.0;
    for (int32_t k = 0; k < n_in; ++k)
      sum += (double)(row[k] * a[k]);
    y[r] = (float)sum;
  }
}

void gqcrt_linear_f16_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const uint16_t *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const uint16_t *row = (const uint16_t *)w + (size_t)r * (size_t)n_in;
    double sum = 0.0;
    for (int32_t k = 0; k < n_in; ++k)
      sum += (double)(gqcrt_h2f(row[k]) * gqcrt_h2f(a[k]));
    y[r] = (float)sum;
  }
}

void gqcrt_linear_bf16_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const uint16_t *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const uint16_t *row = (const uint16_t *)w + (size_t)r * (size_t)n_in;
    double sum = 0.0;
    for (int32_t k = 0; k < n_in; ++k)
      sum += (double)(gqcrt_bf2f(row[k]) * gqcrt_bf2f(a[k]));
    y[r] = (float)sum;
  }
}

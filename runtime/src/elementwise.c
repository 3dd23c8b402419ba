/* elementwise.c — the f32 element-wise ops of the forward pass: add, mul,
 * scale, copy, SiLU, tanh-GELU, softcap and softmax, with llama.cpp's CPU
 * numerics (archspec §8.4, §4.7). Outputs may alias inputs exactly (y == x).
 *
 * GELU: llama.cpp looks the activation up in a 65536-entry f16 table. We get
 * the identical value without the table: x <= -10 gives 0, x >= 10 gives x,
 * otherwise x is rounded to f16, the tanh-GELU of that f16 value is computed
 * in f32 with ggml's expression and constants (with the one fused
 * multiply-add its FMA build contracts), and the result is rounded to f16 and
 * widened -- exactly how each table entry was built (all 37376 f16 inputs in
 * (-10, 10) checked against ggml).
 *
 * Softmax: max subtraction, expf, the sum accumulated in double, then every
 * element multiplied by the f32 value of 1/sum (ggml's soft_max).
 */
#include "fp16.h"
#include "fused_mul_add.h"
#include "gqcrt.h"
#include "rt_libc.h"

void gqcrt_add(float *y, const float *a, const float *b, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = a[i] + b[i];
}

void gqcrt_mul(float *y, const float *a, const float *b, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i];
}

void gqcrt_scale(float *y, const float *x, float s, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = x[i] * s;
}

void gqcrt_copy(float *y, const float *x, int32_t n) {
  if (y != x && n > 0)
    memcpy(y, x, (size_t)n * sizeof(float));
}

void gqcrt_silu(float *y, const float *x, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = x[i] / (1.0f + expf(-x[i]));
}

/* ggml's constants for the tanh approximation of GELU. */
static const float GELU_COEF_A = 0.044715f;
static const float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;

/* ggml's tanh-GELU expression; the inner 1 + A*x*x is fused, as in
 * llama.cpp's FMA-contracted build of its table (fused_mul_add.h). */
static float gelu_tanh_f32(float x) {
  const float inner = gqcrt_fused_mul_add(GELU_COEF_A * x, x, 1.0f);
  return 0.5f * x * (1.0f + tanhf(SQRT_2_OVER_PI * x * inner));
}

void gqcrt_gelu_tanh(float *y, const float *x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v <= -10.0f) {
      y[i] = 0.0f;
    } else if (v >= 10.0f) {
      y[i] = v;
    } else {
      const float h = gqcrt_h2f(gqcrt_f2h(v)); /* the table's index value */
      y[i] = gqcrt_h2f(gqcrt_f2h(gelu_tanh_f32(h)));
    }
  }
}

void gqcrt_softcap(float *y, const float *x, float cap, int32_t n) {
  const float inv = 1.0f / cap;
  for (int32_t i = 0; i < n; ++i)
    y[i] = tanhf(x[i] * inv) * cap;
}

void gqcrt_softmax(float *y, const float *x, int32_t n) {
  if (n <= 0)
    return;
  float max = x[0];
  for (int32_t i = 1; i < n; ++i)
    max = x[i] > max ? x[i] : max;
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) {
    const float e = expf(x[i] - max);
    y[i] = e;
    sum += (double)e;
  }
  const float inv = (float)(1.0 / sum);
  for (int32_t i = 0; i < n; ++i)
    y[i] *= inv;
}

/* gelu_value.c — one entry of the tanh-GELU table, from scratch (gelu.h). */
#include "fp16.h"
#include "fused_mul_add.h"
#include "gelu.h"
#include "rt_libc.h"

/* ggml's constants for the tanh approximation of GELU. */
static const float GELU_COEF_A = 0.044715f;
static const float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;

uint16_t gqcrt_gelu_f16_value(uint16_t h) {
  const float x = gqcrt_h2f(h);
  /* |x| < 10 goes through the table, and an x just inside rounds to f16
   * +-10: llama.cpp fills every entry, so those two are needed too */
  if (!(x >= -10.0f && x <= 10.0f))
    return 0;
  /* the inner 1 + A*x*x is fused, as in llama.cpp's FMA-contracted build */
  const float inner = gqcrt_fused_mul_add(GELU_COEF_A * x, x, 1.0f);
  return gqcrt_f2h(0.5f * x * (1.0f + tanhf(SQRT_2_OVER_PI * x * inner)));
}

/* argmax.c — gqcrt_argmax: the index of the largest of n floats, the first
 * one on ties, NaNs never chosen (a NaN in x[0] is returned as 0, as the
 * obvious loop `if (x[i] > x[best]) best = i` does). Greedy decoding's last
 * step, over vocabularies of up to 262144 logits, where the obvious loop
 * costs more instructions than a layer of a small model.
 *
 * Two passes, both vectorised where the base ISA allows (NEON on AArch64,
 * SSE2 on x86-64): the maximum (NaN-ignoring max: FMAXNM; on SSE2 MAXPS
 * with the running maximum second, which passes a NaN lane over), then the
 * first index holding it. Both passes give exactly the obvious loop's
 * answer: the maximum is exact in any order, and -0 and +0 compare equal.
 */
#include "gqcrt.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

static float max_of(const float *x, int32_t n) {
  float m = x[0];
  int32_t i = 0;
#if defined(__ARM_NEON)
  float32x4_t a = vdupq_n_f32(m), b = a, c = a, d = a;
  for (; i + 16 <= n; i += 16) {
    a = vmaxnmq_f32(a, vld1q_f32(x + i));
    b = vmaxnmq_f32(b, vld1q_f32(x + i + 4));
    c = vmaxnmq_f32(c, vld1q_f32(x + i + 8));
    d = vmaxnmq_f32(d, vld1q_f32(x + i + 12));
  }
  m = vmaxnmvq_f32(vmaxnmq_f32(vmaxnmq_f32(a, b), vmaxnmq_f32(c, d)));
#elif defined(__SSE2__)
  __m128 a = _mm_set1_ps(m), b = a;
  for (; i + 8 <= n; i += 8) { /* MAXPS returns its second operand on a NaN */
    a = _mm_max_ps(_mm_loadu_ps(x + i), a);
    b = _mm_max_ps(_mm_loadu_ps(x + i + 4), b);
  }
  float t[8];
  _mm_storeu_ps(t, a);
  _mm_storeu_ps(t + 4, b);
  for (int k = 0; k < 8; k++)
    m = t[k] > m ? t[k] : m;
#endif
  for (; i < n; i++)
    m = x[i] > m ? x[i] : m;
  return m;
}

int32_t gqcrt_argmax(const float *x, int32_t n) {
  if (!x || n <= 0 || x[0] != x[0])
    return 0;
  const float m = max_of(x, n);
  int32_t i = 0;
#if defined(__ARM_NEON)
  const float32x4_t mv = vdupq_n_f32(m);
  for (; i + 16 <= n; i += 16) {
    const uint32x4_t e =
        vorrq_u32(vorrq_u32(vceqq_f32(vld1q_f32(x + i), mv), vceqq_f32(vld1q_f32(x + i + 4), mv)),
                  vorrq_u32(vceqq_f32(vld1q_f32(x + i + 8), mv),
                            vceqq_f32(vld1q_f32(x + i + 12), mv)));
    if (vmaxvq_u32(e))
      break;
  }
#elif defined(__SSE2__)
  const __m128 mv = _mm_set1_ps(m);
  for (; i + 8 <= n; i += 8)
    if (_mm_movemask_ps(_mm_or_ps(_mm_cmpeq_ps(_mm_loadu_ps(x + i), mv),
                                  _mm_cmpeq_ps(_mm_loadu_ps(x + i + 4), mv))))
      break;
#endif
  for (; i < n; i++)
    if (x[i] == m)
      return i;
  return 0; /* not reached: m is one of x */
}

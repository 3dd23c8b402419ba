/* rope.c — rotary position embedding as llama.cpp's CPU computes it
 * (archspec §4.4).
 *
 * theta_scale = powf(base, -2/n_rot). The angle of pair i is built by a chain
 * of f32 multiplications, theta_0 = (float)pos, theta_{i+1} = theta_i *
 * theta_scale, and the rotation uses freq_scale * theta_i (ggml's rope_yarn
 * without YaRN; with frequency factors f_i, freq_scale * (theta_i / f_i), and
 * cos and sin multiplied by attn_factor, as ggml's rope with freq_factors and
 * mscale). Each pair (a, b) becomes (a*c - b*s, a*s + b*c) with c, s the
 * cosf/sinf of that angle, each evaluated as llama.cpp's contracted build does
 * it: fma(a, c, -(b*s)) and fma(a, s, b*c) (see fused_mul_add.h; bit-exact
 * against ggml's CPU rope). NORMAL mode pairs (2i, 2i+1), NEOX pairs
 * (i, i + n_rot/2); dimensions past n_rot are copied. The cos/sin values are
 * computed once per pair for all heads, in chunks to bound the stack. y may
 * alias x. On AArch64 four pairs at a time with NEON's FMLA, which is that
 * fused multiply-add (the same bits as gqcrt_fused_mul_add).
 */
#include "fused_mul_add.h"
#include "gqcrt.h"
#include "rt_libc.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/* Pairs i = 0 .. np-1 of one head: a = xa[i], b = xb[i] (NORMAL mode: the
 * two halves of interleaved pairs, stride 2; NEOX: two runs, stride 1). */
static void rotate_pairs(float *ya, float *yb, const float *xa, const float *xb, int32_t stride,
                         const float *cs, const float *sn, int32_t np) {
  int32_t i = 0;
#if defined(__ARM_NEON)
  if (stride == 1)
    for (; i + 4 <= np; i += 4) {
      const float32x4_t a = vld1q_f32(xa + i), b = vld1q_f32(xb + i);
      const float32x4_t c = vld1q_f32(cs + i), s = vld1q_f32(sn + i);
      vst1q_f32(ya + i, vfmaq_f32(vnegq_f32(vmulq_f32(b, s)), a, c));
      vst1q_f32(yb + i, vfmaq_f32(vmulq_f32(b, c), a, s));
    }
  else /* xb = xa + 1: de-interleave four pairs */
    for (; i + 4 <= np; i += 4) {
      const float32x4x2_t ab = vld2q_f32(xa + 2 * i);
      const float32x4_t c = vld1q_f32(cs + i), s = vld1q_f32(sn + i);
      float32x4x2_t r;
      r.val[0] = vfmaq_f32(vnegq_f32(vmulq_f32(ab.val[1], s)), ab.val[0], c);
      r.val[1] = vfmaq_f32(vmulq_f32(ab.val[1], c), ab.val[0], s);
      vst2q_f32(ya + 2 * i, r);
    }
#endif
  for (; i < np; ++i) {
    const float a = xa[(size_t)i * stride], b = xb[(size_t)i * stride];
    ya[(size_t)i * stride] = gqcrt_fused_mul_add(a, cs[i], -(b * sn[i]));
    yb[(size_t)i * stride] = gqcrt_fused_mul_add(a, sn[i], b * cs[i]);
  }
}

enum { ROPE_CHUNK = 64 }; /* pairs whose cos/sin are cached at once */

void gqcrt_rope(float *y, const float *x, int32_t pos, int32_t n_head, int32_t head_dim,
                int32_t n_rot, float base, float freq_scale, int32_t mode,
                const float *freq_factors, float attn_factor) {
  if (n_rot > head_dim || n_rot < 0 || (n_rot & 1))
    return;
  const int32_t n_pairs = n_rot / 2;
  const float theta_scale = powf(base, -2.0f / (float)n_rot);
  /* The NEOX partner of pair i is i + n_rot/2; the NORMAL partner is 2i + 1. */
  const int neox = mode == GQCRT_ROPE_NEOX;

  if (y != x) /* the unrotated tail, and the pairs are overwritten below */
    for (int32_t h = 0; h < n_head; ++h)
      for (int32_t i = n_rot; i < head_dim; ++i)
        y[h * head_dim + i] = x[h * head_dim + i];

  float theta = (float)pos;
  for (int32_t p0 = 0; p0 < n_pairs; p0 += ROPE_CHUNK) {
    const int32_t np = n_pairs - p0 < ROPE_CHUNK ? n_pairs - p0 : ROPE_CHUNK;
    float angle[ROPE_CHUNK], cs[ROPE_CHUNK], sn[ROPE_CHUNK];
    for (int32_t i = 0; i < np; ++i) {
      angle[i] = freq_scale * (freq_factors ? theta / freq_factors[p0 + i] : theta);
      theta *= theta_scale;
    }
    /* separate loops keep the compiler from fusing the pair into sincosf,
     * which is not among the libm functions the runtime may use */
    for (int32_t i = 0; i < np; ++i)
      cs[i] = cosf(angle[i]);
    for (int32_t i = 0; i < np; ++i)
      sn[i] = sinf(angle[i]);
    if (attn_factor != 1.0f)
      for (int32_t i = 0; i < np; ++i) {
        cs[i] *= attn_factor;
        sn[i] *= attn_factor;
      }
    for (int32_t h = 0; h < n_head; ++h) {
      const float *xh = x + (size_t)h * (size_t)head_dim;
      float *yh = y + (size_t)h * (size_t)head_dim;
      const int32_t ia = neox ? p0 : 2 * p0, ib = neox ? p0 + n_pairs : 2 * p0 + 1;
      rotate_pairs(yh + ia, yh + ib, xh + ia, xh + ib, neox ? 1 : 2, cs, sn, np);
    }
  }
}

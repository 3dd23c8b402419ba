/* rope.c — rotary position embedding as llama.cpp's CPU computes it
 * (archspec §4.4).
 *
 * theta_scale = powf(base, -2/n_rot). The angle of pair i is built by a chain
 * of f32 multiplications, theta_0 = (float)pos, theta_{i+1} = theta_i *
 * theta_scale, and the rotation uses freq_scale * theta_i (ggml's rope_yarn
 * without YaRN). Each pair (a, b) becomes (a*c - b*s, a*s + b*c) with c, s the
 * cosf/sinf of that angle, each evaluated as llama.cpp's contracted build does
 * it: fma(a, c, -(b*s)) and fma(a, s, b*c) (see fused_mul_add.h; bit-exact
 * against ggml's CPU rope). NORMAL mode pairs (2i, 2i+1), NEOX pairs
 * (i, i + n_rot/2); dimensions past n_rot are copied. The cos/sin values are
 * computed once per pair for all heads, in chunks to bound the stack. y may
 * alias x.
 */
#include "fused_mul_add.h"
#include "gqcrt.h"
#include "rt_libc.h"

enum { ROPE_CHUNK = 64 }; /* pairs whose cos/sin are cached at once */

void gqcrt_rope(float *y, const float *x, int32_t pos, int32_t n_head, int32_t head_dim,
                int32_t n_rot, float base, float freq_scale, int32_t mode) {
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
      angle[i] = freq_scale * theta;
      theta *= theta_scale;
    }
    /* separate loops keep the compiler from fusing the pair into sincosf,
     * which is not among the libm functions the runtime may use */
    for (int32_t i = 0; i < np; ++i)
      cs[i] = cosf(angle[i]);
    for (int32_t i = 0; i < np; ++i)
      sn[i] = sinf(angle[i]);
    for (int32_t h = 0; h < n_head; ++h) {
      const float *xh = x + (size_t)h * (size_t)head_dim;
      float *yh = y + (size_t)h * (size_t)head_dim;
      for (int32_t i = 0; i < np; ++i) {
        const int32_t pair = p0 + i;
        const int32_t ia = neox ? pair : 2 * pair;
        const int32_t ib = neox ? pair + n_pairs : 2 * pair + 1;
        const float a = xh[ia], b = xh[ib];
        yh[ia] = gqcrt_fused_mul_add(a, cs[i], -(b * sn[i]));
        yh[ib] = gqcrt_fused_mul_add(a, sn[i], b * cs[i]);
      }
    }
  }
}

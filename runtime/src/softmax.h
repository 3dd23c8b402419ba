/* softmax.h — the part of softmax every caller shares once it knows the
 * maximum: y = exp(x - max) / sum, the sum accumulated in double in element
 * order, every element multiplied by (float)(1 / sum), as llama.cpp does.
 * gqcrt_softmax (elementwise.c) finds the maximum itself; the attention
 * kernels find it with SIMD (or while computing the scores) and call this.
 * y may alias x exactly.
 */
#ifndef GQCRT_SOFTMAX_H
#define GQCRT_SOFTMAX_H

#include <stdint.h>

void gqcrt_softmax_from_max(float *y, const float *x, int32_t n, float max);

#endif

/* gemm_scalar.c — the portable gemm kernels (gqcrt_gemm_<enc>_scalar), one
 * per `_scalar` line of gqcrt_kernels.def.
 *
 * The scalar variants are the reference and the fallback of targets without
 * SIMD kernels, not a fast path, so each is the matrix-vector kernel applied
 * row by row over cache-sized tiles of the weights (gemm_common.h): bit for
 * bit gqcrt_linear_<enc>_scalar per activation row, by construction.
 */
#include "gemm_common.h"

GQCRT_DEFINE_GEMM_ROWWISE(f32_scalar, f32, f32, 1)
GQCRT_DEFINE_GEMM_ROWWISE(f16_scalar, f16, f16, 1)
GQCRT_DEFINE_GEMM_ROWWISE(bf16_scalar, bf16, bf16, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q4_0_scalar, q4_0, q8_0, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q4_1_scalar, q4_1, q8_1, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_0_scalar, q5_0, q8_0, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_1_scalar, q5_1, q8_1, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q8_0_scalar, q8_0, q8_0, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q2_k_scalar, q2_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q3_k_scalar, q3_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q4_k_scalar, q4_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_k_scalar, q5_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q6_k_scalar, q6_k, q8_k, 1)

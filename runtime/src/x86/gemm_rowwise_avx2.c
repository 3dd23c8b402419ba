/* gemm_rowwise_avx2.c — the AVX2 gemm kernels that have no register-blocked
 * version (yet): gqcrt_linear_<enc>_avx2 applied row by row over cache-sized
 * weight tiles (gemm_common.h), so bit for bit the matrix-vector kernel per
 * activation row. The register-blocked ones live in gemm_*_avx2.c beside
 * this file; every _avx2 line of gqcrt_kernels.def is in exactly one place.
 * No AVX2 instruction is used here (the linear kernels carry their own
 * target attributes), so no target attribute is needed.
 */
#include "gemm_common.h"

GQCRT_DEFINE_GEMM_ROWWISE(q2_k_avx2, q2_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q3_k_avx2, q3_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_k_avx2, q5_k, q8_k, 1)

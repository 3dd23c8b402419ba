/* gemm_rowwise_neon.c — the NEON gemm kernels that have no register-blocked
 * version (yet): gqcrt_linear_<enc>[_<packing>]_neon applied row by row over
 * cache-sized weight tiles (gemm_common.h), so bit for bit the
 * matrix-vector kernel per activation row. The register-blocked ones live in
 * gemm_*_neon.c beside this file; every _neon line of gqcrt_kernels.def and
 * gqcrt_packed_kernels.def is in exactly one place.
 */
#include "gemm_common.h"

GQCRT_DEFINE_GEMM_ROWWISE(q4_0_neon, q4_0, q8_0, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q4_1_neon, q4_1, q8_1, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_0_neon, q5_0, q8_0, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_1_neon, q5_1, q8_1, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q8_0_neon, q8_0, q8_0, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q2_k_neon, q2_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q3_k_neon, q3_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q4_k_neon, q4_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q5_k_neon, q5_k, q8_k, 1)
GQCRT_DEFINE_GEMM_ROWWISE(q6_k_neon, q6_k, q8_k, 1)

/* linear_kquants_packed_vnni512.c — gqcrt_{linear,gemm}_{q2_k,q4_k,q5_k,q6_k}_r8_avx512vnni:
 * the AVX-VNNI K-quant kernels of linear_kquants_packed_vnni.c compiled a
 * second time for CPUs with AVX-512 VNNI but without AVX-VNNI (Ice Lake and
 * Cascade Lake servers, where the K-quants otherwise fall back to the AVX2
 * kernels on the GGUF layout). The same ymm code, VPDPBUSD and VPDPWSSD in
 * their EVEX encoding: bit for bit the AVX-VNNI kernels' numbers.
 */
#define GQCRT_KQ_EVEX 1
#include "x86/linear_kquants_packed_vnni.c"

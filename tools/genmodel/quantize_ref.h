/* quantize_ref.h — reference float -> ggml block quantisers (and the
 * matching dequantisers) for every weight encoding the generator writes:
 * f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q2_k q3_k q4_k q5_k q6_k.
 *
 * These are straightforward nearest-rounding quantisers with a sensible
 * scale choice per block, not llama.cpp's iterative ones: the blocks they
 * produce are valid and dequantise (archspec section 6) close to the input,
 * which is all a random-weight test model needs. The dequantisers are an
 * independent statement of the block layouts, used by the tests.
 */
#ifndef GQC_GENMODEL_QUANTIZE_REF_H
#define GQC_GENMODEL_QUANTIZE_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Quantises n floats (n a multiple of the type's block size) into `out`,
 * which must hold n / block_elems * block_bytes bytes. Returns false for a
 * type it cannot write or a bad n. */
bool qref_quantize_row(uint32_t type, const float *x, void *out, uint64_t n);

/* Dequantises n elements of `type` from `in` into y. Same conditions. */
bool qref_dequantize_row(uint32_t type, const void *in, float *y, uint64_t n);

/* Bytes needed for n elements of type (0 if unknown or n not a multiple). */
uint64_t qref_row_bytes(uint32_t type, uint64_t n);

#endif

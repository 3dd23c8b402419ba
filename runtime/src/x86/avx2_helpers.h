/* avx2_helpers.h — small AVX2 building blocks shared by the x86 kernels.
 *
 * The library is compiled for baseline x86-64, so every function that uses
 * AVX2/FMA/F16C instructions carries GQCRT_AVX2 (a target attribute); the
 * compiler picks a kernel only when the target has those features.
 *
 * The integer dot products rely on _mm256_maddubs_epi16 (unsigned bytes times
 * signed bytes, adjacent pairs summed into int16 with saturation). Every use
 * here stays below saturation: the unsigned side is at most 128 and the
 * signed side is an activation quant in -127..127, so a pair sums to at most
 * 2*128*127 = 32512 < 32767.
 */
#ifndef GQCRT_X86_AVX2_HELPERS_H
#define GQCRT_X86_AVX2_HELPERS_H

#include <immintrin.h>
#include <stdint.h>

#define GQCRT_AVX2 __attribute__((target("avx2,fma,f16c")))
/* A helper the kernels' loops must inline (a call would spill the vectors). */
#define INLINE_AVX2 GQCRT_AVX2 static inline __attribute__((always_inline))

/* Sum of the 8 lanes: (lo+hi) pairwise, then the 4 remaining lanes. */
GQCRT_AVX2 static inline float avx2_hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* The largest of the 8 lanes (no NaN among them). */
GQCRT_AVX2 static inline float avx2_hmax_ps(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

GQCRT_AVX2 static inline int32_t avx2_hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

GQCRT_AVX2 static inline float avx2_h2f(uint16_t h) {
  return _cvtsh_ss(h);
}

GQCRT_AVX2 static inline __m256i avx2_loadu(const void *p) {
  return _mm256_loadu_si256((const __m256i *)p);
}

/* 8 int32 sums of 4 adjacent u8*s8 products each. */
GQCRT_AVX2 static inline __m256i avx2_dot_u8s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* Same for two signed operands: |w| times a with w's sign moved onto a.
 * w may be -128 (|w| reads as unsigned 128); a must be in -127..127. */
GQCRT_AVX2 static inline __m256i avx2_dot_s8s8(__m256i w, __m256i a) {
  return avx2_dot_u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

/* 16 packed bytes -> 32 nibbles: the low nibbles (elements 0..15) then the
 * high nibbles (elements 16..31), the legacy-block order. */
GQCRT_AVX2 static inline __m256i avx2_nibbles_32(const uint8_t *qs) {
  const __m128i b = _mm_loadu_si128((const __m128i *)qs);
  const __m256i v = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

/* 32 bits -> 32 bytes, byte i = 0xFF if bit i is set, else 0. */
GQCRT_AVX2 static inline __m256i avx2_bits_to_bytes(uint32_t bits) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                                          2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
  const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), spread);
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

/* Scales of 16-element sub-blocks for _mm256_madd_epi16. sc16 holds the 16
 * int16 scales of a super-block; the "half" vector of half n (elements
 * 128n .. 128n+127) holds its 8 scales in both 128-bit lanes. */
GQCRT_AVX2 static inline __m256i avx2_half_scales(__m256i sc16, int n) {
  return n ? _mm256_permute2x128_si256(sc16, sc16, 0x11)
           : _mm256_permute2x128_si256(sc16, sc16, 0x00);
}

/* From a half vector: scale 2j of the half in int16 lanes 0..7 and scale 2j+1
 * in lanes 8..15, i.e. the scales of 32 elements 32j .. 32j+31 of the half. */
GQCRT_AVX2 static inline __m256i avx2_scale_pair(__m256i half, int j) {
  const __m256i pick = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3,
                                        2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
  return _mm256_shuffle_epi8(half, _mm256_add_epi8(pick, _mm256_set1_epi8((char)(4 * j))));
}

#endif

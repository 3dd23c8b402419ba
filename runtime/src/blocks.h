/* blocks.h — in-memory layout of the ggml block encodings (archspec §6).
 *
 * Every quantised weight row is a sequence of these structs, exactly as
 * llama.cpp writes them into a GGUF file: no padding, little-endian fields,
 * f16 scales kept as raw uint16_t bits. The static assertions pin the sizes
 * to the GQCRT_*_BYTES constants of the public header, so a layout mistake
 * fails the build rather than a test.
 *
 * The helpers at the bottom unpack the packed 6-bit scales of Q3_K and
 * Q4_K/Q5_K; dequantisers and dot-product kernels of every variant share
 * them so the bit twiddling lives in one place.
 */
#ifndef GQCRT_BLOCKS_H
#define GQCRT_BLOCKS_H

#include <stdint.h>

#include "gqcrt.h"
#include "rt_libc.h"

/* ---- legacy 32-element blocks ------------------------------------------ */
typedef struct {
  uint16_t d;     /* f16 scale */
  uint8_t qs[16]; /* element j in low nibble of qs[j], element j+16 in high nibble */
} blk_q4_0;

typedef struct {
  uint16_t d, m; /* f16 scale and min */
  uint8_t qs[16];
} blk_q4_1;

typedef struct {
  uint16_t d;
  uint8_t qh[4]; /* bit j = fifth bit of element j (little-endian u32) */
  uint8_t qs[16];
} blk_q5_0;

typedef struct {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[16];
} blk_q5_1;

typedef struct {
  uint16_t d;
  int8_t qs[32];
} blk_q8_0;

typedef struct {
  uint16_t d; /* f16 scale */
  uint16_t s; /* f16 of d * sum(qs) (computed from the unrounded d) */
  int8_t qs[32];
} blk_q8_1;

/* ---- k-quant 256-element super-blocks ----------------------------------- */
typedef struct {
  uint8_t scales[16]; /* low nibble: scale, high nibble: min, per 16 elements */
  uint8_t qs[64];     /* 2-bit quants */
  uint16_t d, dmin;
} blk_q2_k;

typedef struct {
  uint8_t hmask[32];  /* high bit of each 3-bit quant (set = no -4 offset) */
  uint8_t qs[64];     /* low 2 bits */
  uint8_t scales[12]; /* 16 packed 6-bit scales, biased by 32 */
  uint16_t d;
} blk_q3_k;

typedef struct {
  uint16_t d, dmin;
  uint8_t scales[12]; /* 8 packed 6-bit scales and 8 6-bit mins */
  uint8_t qs[128];
} blk_q4_k;

typedef struct {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
} blk_q5_k;

typedef struct {
  uint8_t ql[128];   /* low 4 bits */
  uint8_t qh[64];    /* high 2 bits */
  int8_t scales[16]; /* signed scale per 16 elements */
  uint16_t d;
} blk_q6_k;

typedef struct {
  float d; /* f32 scale (not rounded to f16) */
  int8_t qs[256];
  int16_t bsums[16]; /* sum of each group of 16 quants */
} blk_q8_k;

/* A float encoding's block is one element. */
typedef float blk_f32;
typedef uint16_t blk_f16;
typedef uint16_t blk_bf16;

/* Every block struct has the size the encoding table gives. */
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, scale, min)                         \
  _Static_assert(sizeof(blk_##name) == GQCRT_##ID##_BYTES, #name " layout");
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING

/* The kernel tables name each weight encoding's activation encoding as the
 * encoding table does (gqcrt_encodings.def is the source; the tables repeat
 * it only to spell the kernels' names, and this keeps them honest). */
#define GQCRT_LINEAR_KERNEL(w, a, variant, features)                                               \
  _Static_assert((int)GQCRT_ACT_OF_##w == (int)GQCRT_ENC_##a, #w " takes " #a " activations");
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL

/* A Q8_K block of zeros (the quantisers' answer for an all-zero input). */
static inline void gqcrt_q8_k_zero(blk_q8_k *b) {
  b->d = 0.0f;
  memset(b->qs, 0, sizeof b->qs);
  memset(b->bsums, 0, sizeof b->bsums);
}

/* Q3_K: the 16 signed scales (-32..31) of a super-block, from its 12 bytes:
 * low 4 bits from b[i] (i < 8, low nibble) or b[i-8] (high nibble), high 2 bits
 * from b[8 + i%4] at bit 2*(i/4). */
static inline void gqcrt_q3_k_scales(const uint8_t b[12], int8_t sc[16]) {
  for (int i = 0; i < 16; ++i) {
    const int low4 = i < 8 ? (b[i] & 0xF) : (b[i - 8] >> 4);
    const int high2 = (b[8 + (i % 4)] >> (2 * (i / 4))) & 3;
    sc[i] = (int8_t)((low4 | (high2 << 4)) - 32);
  }
}

/* Q4_K/Q5_K: the 6-bit scale and min of sub-block j (0..7). */
static inline void gqcrt_k4_scale_min(const uint8_t b[12], int j, uint8_t *sc, uint8_t *m) {
  if (j < 4) {
    *sc = b[j] & 63;
    *m = b[j + 4] & 63;
  } else {
    *sc = (uint8_t)((b[j + 4] & 0xF) | ((b[j - 4] >> 6) << 4));
    *m = (uint8_t)((b[j + 4] >> 4) | ((b[j] >> 6) << 4));
  }
}

#endif

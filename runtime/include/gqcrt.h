/* gqcrt.h — the kernel ABI between gqc-generated code and the runtime.
 *
 * Generated model code is a straight list of calls to the functions declared
 * here, with every pointer pointing into the model's static arena or its
 * read-only weight blob. The runtime allocates nothing, keeps no global state
 * and needs no OS: only memcpy/memset and
 * the libm functions expf, tanhf, sinf, cosf, powf, sqrtf.
 *
 * Conventions
 *  - Weights are GGUF tensors in their stored encoding: a matrix [n_out, n_in]
 *    is n_out rows of n_in elements, each row n_in / block_elems blocks;
 *    except for the packed kernels, whose weights the compiler repacked
 *    (gqcrt_packed_kernels.def).
 *  - "Activation encodings" are what a linear kernel wants its input in
 *    (llama.cpp's vec_dot_type): f32, f16, bf16, q8_0, q8_1 or q8_k.
 *  - Every kernel exists in a portable `_scalar` variant; SIMD variants
 *    (`_avx2`, `_neon`) compute the same function with a different float
 *    summation order. gqcrt_kernels.def lists them all with the CPU features
 *    they need; the compiler's select-kernels pass reads that table.
 *  - Linear kernels work on any contiguous range of output rows: to split a
 *    linear across threads, offset y and w by whole rows.
 *
 * Signatures: every function generated code calls is declared through a
 * GQCRT_SIGNATURE_* macro holding its parameter list, which the compiler's
 * LLVM backend reads (stringised) to declare it: one spelling for both.
 *
 * This header must never include anything from the compiler.
 */
#ifndef GQCRT_H
#define GQCRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The layout of the model descriptor (gqcrt_model.h) and the kernels'
 * signatures; a compiled model records the version it was compiled for. */
#define GQCRT_ABI_VERSION 5

/* Error codes returned by generated API functions and runtime helpers. */
enum {
  GQCRT_OK = 0,
  GQCRT_ERR_NOT_INITIALISED = -1, /* a call before model_init() */
  GQCRT_ERR_BAD_TOKEN = -2,       /* token id outside [0, n_vocab) */
  GQCRT_ERR_BAD_POS = -3,         /* position < 0, >= n_ctx, or past the filled cache */
  GQCRT_ERR_NULL = -4,            /* a NULL pointer argument */
  GQCRT_ERR_NO_SPACE = -5,        /* an output buffer is too small */
  GQCRT_ERR_TOO_LONG = -6,        /* input longer than the compiled limit */
  GQCRT_ERR_BAD_UTF8 = -7,        /* text is not valid UTF-8 */
  GQCRT_ERR_BAD_BLOB = -8,        /* weight/vocab blob fails its size or checksum check */
  GQCRT_ERR_ABI = -9,             /* the model was compiled for another runtime version */
  GQCRT_ERR_CPU = -10,            /* the CPU lacks a feature the model was compiled for */
  GQCRT_ERR_BAD_PARAM = -11,      /* a parameter out of range (gqcrt_sample.h) */
  GQCRT_ERR_NO_CANDIDATE = -12,   /* nothing to sample from: every logit masked */
  GQCRT_ERR_NO_GRAMMAR = -13,     /* a grammar call on a model compiled without one */
  GQCRT_ERR_GRAMMAR = -14,        /* a token the grammar does not allow here */
};

/* ---- CPU features (gqcrt_cpu_features.def) ----------------------------- */
enum {
#define GQCRT_CPU_FEATURE(NAME, bit, name) GQCRT_CPU_##NAME = 1u << (bit),
#include "gqcrt_cpu_features.def"
#undef GQCRT_CPU_FEATURE
};
/* The features of the CPU running this: Linux AArch64 from the auxiliary
 * vector (HWCAP), bare-metal AArch64 from the ID registers (EL1, or EL0 where
 * the OS emulates them), x86-64 from CPUID (and XGETBV for the AVX state).
 * A runtime built with -DGQCRT_NO_CPU_CHECK reports every feature. */
uint32_t gqcrt_cpu_features(void);

/* ---- encodings (ggml's block formats) ---------------------------------
 * Everything here expands the one encoding table, gqcrt_encodings.def:
 * GQCRT_<ID>_ELEMS and GQCRT_<ID>_BYTES of each block, the encoding ids
 * (GQCRT_ENC_q4_k) and the activation encoding each one's linears take
 * (GQCRT_ACT_OF_q4_k == GQCRT_ENC_q8_k). */
enum {
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  GQCRT_##ID##_ELEMS = elems, GQCRT_##ID##_BYTES = bytes,
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING
  GQCRT_QK = GQCRT_Q8_0_ELEMS,   /* legacy block: q4_0 q4_1 q5_0 q5_1 q8_0 q8_1 */
  GQCRT_QK_K = GQCRT_Q8_K_ELEMS, /* k-quant super-block: q2_k .. q6_k, q8_k */
};
enum gqcrt_encoding {
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off) GQCRT_ENC_##name,
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING
  GQCRT_ENC_COUNT
};
enum {
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  GQCRT_ACT_OF_##name = GQCRT_ENC_##act,
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING
};

/* ---- scalar conversions ------------------------------------------------ */
float gqcrt_fp16_to_fp32(uint16_t h);
uint16_t gqcrt_fp32_to_fp16(float f); /* round to nearest even */
float gqcrt_bf16_to_fp32(uint16_t h);
uint16_t gqcrt_fp32_to_bf16(float f); /* round to nearest even, NaN stays NaN */

/* ---- activation conversion --------------------------------------------
 * Convert n floats (n a multiple of the block size) into the activation
 * encoding a linear kernel wants. Rounding follows llama.cpp's x86 build:
 * q8_0/q8_1 use id = 127/amax and round half to even; q8_k as ggml's
 * reference (signed max, nearest-even, f32 scale, 16-element bsums). */
#define GQCRT_SIGNATURE_QUANTIZE (void *dst, const float *x, int32_t n)
void gqcrt_quantize_f16 GQCRT_SIGNATURE_QUANTIZE;
void gqcrt_quantize_bf16 GQCRT_SIGNATURE_QUANTIZE;
void gqcrt_quantize_q8_0 GQCRT_SIGNATURE_QUANTIZE;
void gqcrt_quantize_q8_1 GQCRT_SIGNATURE_QUANTIZE;
void gqcrt_quantize_q8_k GQCRT_SIGNATURE_QUANTIZE;

/* ---- dequantisation of one row (embedding lookup, tests) ----------------
 * y[0..n) = the n elements starting at src, which must start on a block
 * boundary; one per encoding (gqcrt_encodings.def). Evaluation order follows ggml's reference
 * dequantisers. */
#define GQCRT_SIGNATURE_DEQUANTIZE (float *y, const void *src, int32_t n)
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  void gqcrt_dequantize_##name GQCRT_SIGNATURE_DEQUANTIZE;
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING

/* ---- linear (matrix-vector) kernels --------------------------------------
 * y[r] = sum_k W[r][k] * x[k] for r in [0, n_out), where W is the packed
 * weight and x the activation already converted to the kernel's activation
 * encoding. n_in is a multiple of the weight's block size. y must not alias
 * x or w. The full list is in gqcrt_kernels.def. */
#define GQCRT_SIGNATURE_LINEAR (float *y, const void *w, const void *x, int32_t n_in, int32_t n_out)
typedef void(*gqcrt_linear_fn) GQCRT_SIGNATURE_LINEAR;
#define GQCRT_LINEAR_KERNEL(wenc, aenc, variant, features)                                         \
  void gqcrt_linear_##wenc##_##variant GQCRT_SIGNATURE_LINEAR;
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL

/* ---- gemm (matrix-matrix) kernels: batched prefill ------------------------
 * For r in [0, n_rows) and o in [0, n_out):
 *   y[r * y_stride + o] = sum_k W[o][k] * x_r[k]
 * where x holds n_rows activation rows back to back, each n_in elements in
 * the kernel's activation encoding (n_in / block_elems blocks per row, as
 * gqcrt_quantize_* writes n_rows * n_in elements). Every output element is
 * bit-identical to what gqcrt_linear_<wenc>_<variant> computes for that row:
 * a batch of tokens gives exactly the logits of feeding them one by one; the
 * gain is that each weight block is loaded once for all rows. To split over
 * threads, offset y and w by whole (packed) row groups and keep y_stride. A
 * gemm exists for every line of gqcrt_kernels.def and
 * gqcrt_packed_kernels.def, with the same features. */
#define GQCRT_SIGNATURE_GEMM                                                                       \
  (float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in, int32_t n_out,          \
   int32_t n_rows)
typedef void(*gqcrt_gemm_fn) GQCRT_SIGNATURE_GEMM;
#define GQCRT_LINEAR_KERNEL(wenc, aenc, variant, features)                                         \
  void gqcrt_gemm_##wenc##_##variant GQCRT_SIGNATURE_GEMM;
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL

/* ---- packed weight layouts ------------------------------------------------
 * Layouts the compiler repacks weights into at compile time, for kernels
 * that read several rows at once (gqcrt_packed_kernels.def, which documents
 * the contract). gqcrt_pack_<enc>_<packing> converts an [n_out, n_in] GGUF
 * matrix into the layout (same byte count; n_out a multiple of the packing's
 * rows; dst must not overlap src), gqcrt_unpack_* converts back, and
 * gqcrt_embed_<enc>_<packing> dequantises row `row` of a packed [n_out, n_in]
 * table into y[0..n_in), bit for bit as gqcrt_dequantize_<enc> on the GGUF row
 * (the embedding lookup of a tied table packed for its lm_head). Packed
 * linear kernels take (y, w, x, n_in, n_out) as above with w packed; to
 * split one across threads, offset y and w by whole row groups. */
#define GQCRT_SIGNATURE_EMBED_PACKED (float *y, const void *table, int32_t row, int32_t n_in)
#define GQCRT_PACKING(wenc, packing, rows)                                                         \
  void gqcrt_pack_##wenc##_##packing(void *dst, const void *src, int32_t n_in, int32_t n_out);     \
  void gqcrt_unpack_##wenc##_##packing(void *dst, const void *src, int32_t n_in, int32_t n_out);   \
  void gqcrt_embed_##wenc##_##packing GQCRT_SIGNATURE_EMBED_PACKED;
#define GQCRT_PACKED_LINEAR_KERNEL(wenc, aenc, packing, variant, features, rows, replaces)         \
  void gqcrt_linear_##wenc##_##packing##_##variant GQCRT_SIGNATURE_LINEAR;                         \
  void gqcrt_gemm_##wenc##_##packing##_##variant GQCRT_SIGNATURE_GEMM;
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKING
#undef GQCRT_PACKED_LINEAR_KERNEL

/* ---- element-wise and normalisation ops (f32) ---------------------------
 * Outputs may alias inputs exactly (y == x) but must not partially overlap. */

/* For each group of `group` elements (n a multiple of group):
 *   y = x * (1/sqrt(mean(x^2) + eps)) * w      (w has `group` elements)
 * The mean is accumulated in double, as llama.cpp does. */
#define GQCRT_SIGNATURE_rms_norm                                                                   \
  (float *y, const float *x, const float *w, int32_t n, int32_t group, float eps)
/* LayerNorm per group: y = (x - mean) / sqrt(var + eps) with mean and var
 * over the group, then * w and + b (each may be NULL, else `group` elements);
 * the sums in double, as ggml_norm. */
#define GQCRT_SIGNATURE_layer_norm                                                                 \
  (float *y, const float *x, const float *w, const float *b, int32_t n, int32_t group, float eps)
#define GQCRT_SIGNATURE_add (float *y, const float *a, const float *b, int32_t n)
#define GQCRT_SIGNATURE_mul GQCRT_SIGNATURE_add
#define GQCRT_SIGNATURE_scale (float *y, const float *x, float s, int32_t n)
#define GQCRT_SIGNATURE_silu (float *y, const float *x, int32_t n)
void gqcrt_rms_norm GQCRT_SIGNATURE_rms_norm;
void gqcrt_layer_norm GQCRT_SIGNATURE_layer_norm;
void gqcrt_add GQCRT_SIGNATURE_add;
void gqcrt_mul GQCRT_SIGNATURE_mul;
void gqcrt_scale GQCRT_SIGNATURE_scale;
void gqcrt_silu GQCRT_SIGNATURE_silu;
/* tanh-approximated GELU as llama.cpp's CPU computes it (f16 lookup table). */
#define GQCRT_SIGNATURE_gelu_tanh GQCRT_SIGNATURE_silu
#define GQCRT_SIGNATURE_softcap (float *y, const float *x, float cap, int32_t n)
#define GQCRT_SIGNATURE_softmax GQCRT_SIGNATURE_silu
void gqcrt_gelu_tanh GQCRT_SIGNATURE_gelu_tanh;
void gqcrt_softcap GQCRT_SIGNATURE_softcap; /* cap*tanh(x/cap) */
void gqcrt_softmax GQCRT_SIGNATURE_softmax;
/* The index of the largest of x[0..n), the first on ties; NaNs are never
 * chosen (0 when x[0] is NaN, or n <= 0): greedy decoding. */
int32_t gqcrt_argmax(const float *x, int32_t n);
#define GQCRT_SIGNATURE_copy GQCRT_SIGNATURE_silu
void gqcrt_copy GQCRT_SIGNATURE_copy;

/* ---- SIMD variants of the ops above (gqcrt_op_kernels.def) ----------------
 * gqcrt_<op>_<variant>: the signature of gqcrt_<op>, the same bits. */
#define GQCRT_SIGNATURE_quantize_q8_0 GQCRT_SIGNATURE_QUANTIZE
#define GQCRT_SIGNATURE_quantize_q8_1 GQCRT_SIGNATURE_QUANTIZE
#define GQCRT_SIGNATURE_quantize_q8_k GQCRT_SIGNATURE_QUANTIZE
#define GQCRT_OP_KERNEL(op, variant, features) void gqcrt_##op##_##variant GQCRT_SIGNATURE_##op;
#include "gqcrt_op_kernels.def"
#undef GQCRT_OP_KERNEL

/* ---- rotary position embedding ------------------------------------------
 * x holds n_head heads of head_dim; the first n_rot dims of each are rotated.
 * mode GQCRT_ROPE_NORMAL pairs (2i, 2i+1); GQCRT_ROPE_NEOX pairs (i, i+n_rot/2).
 * theta_i = freq_scale * (pos * powf(base, -2/n_rot)^i / f_i) (the power by
 * repeated multiplication; f_i = freq_factors[i], or 1 when freq_factors is
 * NULL), and the rotation's cos and sin are multiplied by attn_factor. */
enum { GQCRT_ROPE_NORMAL = 0, GQCRT_ROPE_NEOX = 2 };
#define GQCRT_SIGNATURE_rope                                                                       \
  (float *y, const float *x, int32_t pos, int32_t n_head, int32_t head_dim, int32_t n_rot,         \
   float base, float freq_scale, int32_t mode, const float *freq_factors, float attn_factor)
void gqcrt_rope GQCRT_SIGNATURE_rope;

/* ---- short causal convolution with a state (LFM2) --------------------------
 * For n_rows rows of n channels at positions pos, pos+1, ... (rows back to
 * back), row r at position p = pos + r: y[r][c] = sum over i = 0..taps-1, in
 * that order, of w[c][i] * x_q[c] with q = p - taps + 1 + i (an f32 sum from
 * 0; x_p is row r itself, earlier positions are read from the state, and
 * positions below 0 count as 0). The state holds the last taps - 1 inputs,
 * position q in row q % (taps - 1) of [taps - 1][n]; each row is stored
 * after it is computed, so row r sees rows < r of the batch and a batch
 * equals its rows one by one. y must not alias x. */
#define GQCRT_SIGNATURE_causal_conv                                                                \
  (float *y, const float *x, const float *w, float *state, int32_t pos, int32_t n_rows, int32_t n, \
   int32_t taps)
void gqcrt_causal_conv GQCRT_SIGNATURE_causal_conv;

/* ---- attention over a KV cache ------------------------------------------
 * Stores k and v (n_head_kv * head_dim each) at cache row pos % cache_rows,
 * then for each query head h (using KV head h / (n_head / n_head_kv)) attends
 * over the visible positions: all p' <= pos, and when window > 0 only
 * pos - p' < window. cache_rows >= min(n_ctx, window) so a visible position
 * is never overwritten. Scores are scale * softcap(dot(q, k)), where
 * softcap(s) = c * tanh(s / c) when the descriptor's softcap c > 0 (the
 * attention-logit soft-capping of gemma2 and others, applied as llama.cpp
 * does: to the raw product, before the softmax's scale) and s otherwise;
 * softmax with max subtraction; out = sum softmax * v. `scores` is scratch of at least
 * cache_rows floats. kv_type is GQCRT_KV_F32, GQCRT_KV_F16 or GQCRT_KV_Q8_0
 * (rows of q8_0 blocks, head_dim a multiple of 32 and at most
 * GQCRT_KV_Q8_0_MAX_HEAD_DIM: scores are llama.cpp's, the query rounded to
 * q8_0 and each block's dot product exact in integers). out may alias
 * q exactly (each head of q is read before that head of out is written).
 * gqcrt_attention is the portable reference, one token at a time; generated
 * code calls gqcrt_attention_parallel (gqcrt_parallel.h) with a kernel. */
enum { GQCRT_KV_F32 = 0, GQCRT_KV_F16 = 1, GQCRT_KV_Q8_0 = 2 };
#define GQCRT_KV_Q8_0_MAX_HEAD_DIM 512 /* the query's q8_0 copy lives on the stack */
typedef struct gqcrt_attention_desc {
  int32_t n_head, n_head_kv, head_dim;
  int32_t cache_rows; /* rows in each cache buffer */
  int32_t window;     /* 0 = unlimited (causal only) */
  int32_t kv_type;
  float scale;
  float softcap; /* > 0: scores soft-capped at +-softcap; 0: not */
  /* A compiled prompt prefix (gqc --prefix): positions [0, n_prefix) are not
   * in the cache but in read-only tables, prefix_k / prefix_v, whose row j
   * (same layout as a cache row) holds position prefix_first + j; only
   * positions from prefix_first on are kept (a sliding-window layer needs
   * the last window - 1 only). Positions from n_prefix on are in the cache
   * at row pos % cache_rows, as without a prefix. n_prefix 0: no prefix.
   * The compiled descriptor has the counts; the pointers are NULL there and
   * gqcrt_attention_parallel fills them in a copy (they may be in a weight
   * file loaded at run time). */
  int32_t n_prefix, prefix_first;
  const void *prefix_k, *prefix_v;
} gqcrt_attention_desc;
void gqcrt_attention(const gqcrt_attention_desc *d, float *out, const float *q, const float *k,
                     const float *v, void *k_cache, void *v_cache, float *scores, int32_t pos);

/* The first half of gqcrt_attention: k and v stored at cache row
 * pos % cache_rows (rounded to f16, nearest even, for GQCRT_KV_F16; for
 * GQCRT_KV_Q8_0 quantised by gqcrt_quantize_q8_0, llama.cpp's
 * quantize_row_q8_0). */
void gqcrt_attention_store(const gqcrt_attention_desc *d, const float *k, const float *v,
                           void *k_cache, void *v_cache, int32_t pos);

/* ---- attention kernels -----------------------------------------------------
 * The second half, for a batch of n_rows tokens at positions pos .. pos +
 * n_rows - 1 whose k and v are already in the caches (so row r sees rows
 * < r of the batch through the cache, and never a later one). q and out are
 * n_rows rows of n_head * head_dim. The batch's n_rows * n_head queries are
 * numbered KV head first:
 *     t = (kv_head * n_rows + r) * group + g,   head h = kv_head * group + g
 * (group = n_head / n_head_kv), and a call computes queries [t0, t1) only,
 * writing just their heads of out: queries that share a KV head are
 * consecutive, so a kernel attends up to GQCRT_ATTENTION_BLOCK of them
 * together and loads each k and v element once for all. `scratch` holds
 * GQCRT_ATTENTION_BLOCK * cache_rows floats.
 *
 * A query's result does not depend on t0, t1, n_rows or the queries it is
 * grouped with: splitting a batch over threads, or feeding its tokens one by
 * one (n_rows = 1), gives bit-identical results. Invalid arguments (as
 * gqcrt_attention rejects, or a query range outside the batch) do nothing.
 *
 * gqcrt_attention_scalar computes exactly what gqcrt_attention does. The
 * SIMD variants use the same recipe (f32 dots, max subtraction, expf, sum in
 * double, out = sum p * v in position order) with another f32 summation
 * order in the dot products and fused multiply-adds; the variants are listed
 * with their CPU features in gqcrt_attention_kernels.def. */
#define GQCRT_ATTENTION_BLOCK 4
#define GQCRT_SIGNATURE_ATTENTION                                                                  \
  (const gqcrt_attention_desc *d, float *out, const float *q, const void *k_cache,                 \
   const void *v_cache, float *scratch, int32_t pos, int32_t n_rows, int32_t t0, int32_t t1)
typedef void(*gqcrt_attention_fn) GQCRT_SIGNATURE_ATTENTION;
#define GQCRT_ATTENTION_KERNEL(variant, features)                                                  \
  void gqcrt_attention_##variant GQCRT_SIGNATURE_ATTENTION;
#include "gqcrt_attention_kernels.def"
#undef GQCRT_ATTENTION_KERNEL

/* ---- row-batched ops (prefill) ---------------------------------------------
 * A batch of n_rows tokens at positions pos, pos+1, ... is a matrix of
 * activations, one row per token, rows back to back. Row-wise ops (rms_norm,
 * add, mul, scale, silu, gelu_tanh, softcap, quantize, copy) take the batch as
 * n_rows * row_length elements. The ops below are the ones whose rows differ
 * by token or position; each gives bit for bit what the single-token op gives
 * for that row. */
typedef void(*gqcrt_dequant_fn) GQCRT_SIGNATURE_DEQUANTIZE;
typedef void(*gqcrt_embed_fn) GQCRT_SIGNATURE_EMBED_PACKED;
/* Row r of y = row tokens[r] of a GGUF-layout table (row_bytes per row). */
#define GQCRT_SIGNATURE_embed_rows                                                                 \
  (gqcrt_dequant_fn dequant, float *y, const void *table, int64_t row_bytes,                       \
   const int32_t *tokens, int32_t n_rows, int32_t n_in)
void gqcrt_embed_rows GQCRT_SIGNATURE_embed_rows;
/* Same for a packed table read through gqcrt_embed_<enc>_<packing>. */
#define GQCRT_SIGNATURE_embed_rows_packed                                                          \
  (gqcrt_embed_fn embed, float *y, const void *table, const int32_t *tokens, int32_t n_rows,       \
   int32_t n_in)
void gqcrt_embed_rows_packed GQCRT_SIGNATURE_embed_rows_packed;
/* Row r (n_head * head_dim elements) rotated at position pos + r. */
#define GQCRT_SIGNATURE_rope_rows                                                                  \
  (float *y, const float *x, int32_t pos, int32_t n_rows, int32_t n_head, int32_t head_dim,        \
   int32_t n_rot, float base, float freq_scale, int32_t mode, const float *freq_factors,           \
   float attn_factor)
void gqcrt_rope_rows GQCRT_SIGNATURE_rope_rows;

#ifdef __cplusplus
}
#endif
#endif

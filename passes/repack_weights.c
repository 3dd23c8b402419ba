/* repack_weights.c — weights rearranged at compile time for the kernels that
 * read them.
 *
 * GGUF stores a matrix row after row. A SIMD matrix-vector kernel that
 * computes several output rows at once wants those rows' blocks interleaved
 * instead, so that one load feeds every row and the per-row sums land in the
 * lanes of one vector (runtime/src/pack_legacy.c explains the r4 layouts).
 * llama.cpp repacks like this when it loads a model; gqc does it once, here,
 * and writes the packed bytes into the object file: nothing is converted at
 * load or run time, and the IR says which layout every weight is in.
 *
 * The layouts and kernels are listed in runtime/include/
 * gqcrt_packed_kernels.def; each layout's packing function is the runtime's
 * own (gqcrt_pack_<enc>_<packing>, portable C linked into gqc), so the layout
 * is defined once, beside the kernel that reads it.
 *
 * For each weight, after select-kernels:
 *   - every use must be either the weight operand of a `linear` whose kernel
 *     is gqcrt_linear_<enc>_<variant> (or, on a batch of rows in @prefill,
 *     gqcrt_gemm_<enc>_<variant>: every packed line has both), with a packed
 *     line for the same encoding that replaces that variant, whose features
 *     the target has and whose row count divides the weight's rows (the
 *     first such line wins) — and, for a linear on a view of some rows (a
 *     part of a fused weight), the view's rows and its first row, so the part
 *     is whole row groups at an offset — or the table of
 *     an `embed` whose kernel is the plain row dequantiser
 *     gqcrt_dequantize_<enc>; and at least one use must be such a linear. A
 *     weight with any other use stays as stored, and so does a table that
 *     only embeds read (one row per step gains nothing from packing);
 *   - then the weight records the packing function (same byte count; the
 *     blob writer, codegen/blobs.c, applies it group of rows by group of
 *     rows as it streams the weight out, so a compile never holds a packed
 *     copy of the model — an 8B model packs in a few MiB), its storage becomes
 *     "<enc>_<packing>" (e.g. "q8_0_r4"), each linear's kernel
 *     gqcrt_linear_<enc>_<packing>_<variant> (gemm: gqcrt_gemm_...) and each embed's kernel
 *     gqcrt_embed_<enc>_<packing>, the runtime's row reader for the layout
 *     (bit for bit the GGUF row's dequantisation).
 * IR parsed from text has no weight bytes: the pass still rewrites storage
 * and kernels (so `gqc opt` shows its decisions); there is nothing to pack.
 *
 * The embeds are what makes tied models worth it: their token_embd.weight is
 * also the lm_head, the largest matrix of a small model. FunctionGemma-270M
 * (a 262144 x 640 Q8_0 tied table; --ctx 64, under qemu, Cortex-A76) went
 * from 85.7M to 59.6M instructions per decode step once its lm_head
 * was packed, and tiny-gemma3-Q8_0 from 2.15M to 1.97M.
 *
 * The verifier (ir/ir_verify.c) checks the result: a packed weight may only
 * be read by a linear or an embed whose kernel is named for its storage.
 */
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"

typedef void (*pack_fn)(void *dst, const void *src, int32_t n_in, int32_t n_out);

typedef struct packing {
  const char *wenc, *name;
  int rows;
  pack_fn pack;
} packing;

static const packing packings[] = {
#define GQCRT_PACKING(w, p, rows) {#w, #p, rows, gqcrt_pack_##w##_##p},
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKING
};

typedef struct packed_kernel {
  const char *wenc, *packing, *variant, *features;
  int rows;
  const char *replaces; /* the plain kernels' variant it stands in for */
} packed_kernel;

static const packed_kernel packed_kernels[] = {
#define GQCRT_PACKED_LINEAR_KERNEL(w, a, p, v, f, rows, r) {#w, #p, #v, f, rows, #r},
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKED_LINEAR_KERNEL
};

/* "linear" (matrix-vector) or "gemm" (a linear on a batch of rows): the
 * kernel family of linear instruction i. */
static const char *linear_family(const ir_inst *i) {
  return i->operands[0]->type.rank == 2 ? "gemm" : "linear";
}

/* The packed kernel line replacing `kernel` (the linear's selected kernel,
 * gqcrt_<family>_<wenc>_<variant>) for a weight of encoding wenc with n_out
 * rows, or NULL. */
static const packed_kernel *find_packed(const char *kernel, const char *family, const char *wenc,
                                        int64_t n_out, const gqc_target *t) {
  for (size_t k = 0; k < sizeof packed_kernels / sizeof packed_kernels[0]; k++) {
    const packed_kernel *pk = &packed_kernels[k];
    char plain[96];
    snprintf(plain, sizeof plain, "gqcrt_%s_%s_%s", family, pk->wenc, pk->replaces);
    if (!strcmp(pk->wenc, wenc) && !strcmp(kernel, plain) && n_out % pk->rows == 0 &&
        gqc_target_has_all(t, pk->features))
      return pk;
  }
  return NULL;
}

static const packing *find_packing(const char *wenc, const char *name) {
  for (size_t k = 0; k < sizeof packings / sizeof packings[0]; k++)
    if (!strcmp(packings[k].wenc, wenc) && !strcmp(packings[k].name, name))
      return &packings[k];
  return NULL;
}

bool gqc_repack_for_storage(const char *storage, ir_repack_fn *fn, int *rows) {
  for (size_t k = 0; k < sizeof packings / sizeof packings[0]; k++) {
    const size_t n = strlen(packings[k].wenc);
    if (!strncmp(storage, packings[k].wenc, n) && storage[n] == '_' &&
        !strcmp(storage + n + 1, packings[k].name)) {
      *fn = packings[k].pack;
      *rows = packings[k].rows;
      return true;
    }
  }
  return false;
}

/* What the uses of one weight allow. */
typedef struct weight_plan {
  const packed_kernel *kernel; /* the packed kernel every linear use agrees on */
  bool blocked;                /* some use cannot read a packed layout */
  bool packed;                 /* repacked by this run */
} weight_plan;

/* Whether instruction i reads operand k as an embedding table with the
 * plain GGUF row dequantiser, which a packed table's row reader replaces. */
static bool is_plain_embed(const ir_module *m, const ir_inst *i, int k) {
  const char *kernel = ir_attr_str(i, "kernel", NULL);
  if (i->op != IR_OP_EMBED || k != 0 || !kernel)
    return false;
  const ir_weight *w = &m->weights[i->operands[k]->ref];
  char plain[64];
  snprintf(plain, sizeof plain, "gqcrt_dequantize_%s", ir_dtype_get(w->type.dtype)->name);
  return !strcmp(kernel, plain);
}

/* Records operand k of instruction i, a weight value, in its weight's plan. */
static void note_use(const ir_module *m, const gqc_target *t, weight_plan *plans, const ir_inst *i,
                     int k) {
  const ir_inst *v = i->operands[k];
  const ir_weight *w = &m->weights[v->ref];
  weight_plan *p = &plans[v->ref];
  if (p->blocked || is_plain_embed(m, i, k))
    return;
  const char *kernel = ir_attr_str(i, "kernel", NULL);
  const packed_kernel *pk = NULL;
  if (i->op == IR_OP_LINEAR && k == 1 && kernel && v->type.rank == 2 &&
      w->type.dims[0] <= INT32_MAX && v->type.dims[1] <= INT32_MAX)
    pk = find_packed(kernel, linear_family(i), ir_dtype_get(w->type.dtype)->name, v->type.dims[0],
                     t);
  /* a view of some rows (a part of a fused weight) reads whole row groups:
   * it must start on a group boundary, and the whole matrix is packed */
  if (pk && (ir_weight_first_row(v) % pk->rows || w->type.dims[0] % pk->rows))
    pk = NULL;
  if (!pk || (p->kernel && p->kernel != pk))
    p->blocked = true;
  else
    p->kernel = pk;
}

bool pass_repack_weights(ir_module *m, const gqc_pass_context *ctx) {
  if (!m->n_weights)
    return true;
  weight_plan *plans = calloc((size_t)m->n_weights, sizeof *plans);
  if (!plans)
    return gqc_error(ctx->d, "repack-weights: out of memory");
  for (int fi = 0; fi < m->n_funcs; fi++)
    ir_for_each_inst(m->funcs[fi], i) {
      for (int k = 0; k < i->n_operands; k++)
        if (i->operands[k]->op == IR_OP_WEIGHT)
          note_use(m, ctx->target, plans, i, k);
    }
  /* Pack. */
  for (int k = 0; k < m->n_weights; k++) {
    ir_weight *w = &m->weights[k];
    const packed_kernel *pk = plans[k].kernel;
    if (plans[k].blocked || !pk || w->dead || (w->storage && strcmp(w->storage, "gguf")))
      continue;
    const packing *p = find_packing(pk->wenc, pk->packing);
    if (!p || p->rows != pk->rows) {
      free(plans);
      return gqc_error(ctx->d,
                       "repack-weights: gqcrt_packed_kernels.def lists kernel %s_%s_%s (%d rows) "
                       "but no packing %s_%s of %d rows",
                       pk->wenc, pk->packing, pk->variant, pk->rows, pk->wenc, pk->packing,
                       pk->rows);
    }
    w->repack = p->pack; /* applied by the blob writer, p->rows rows at a time */
    w->repack_rows = p->rows;
    w->storage = ir_strfmt(m, "%s_%s", p->wenc, p->name);
    plans[k].packed = true;
  }
  /* Point the linears at the packed kernels and the embeds at the packed
   * tables' row readers. */
  for (int fi = 0; fi < m->n_funcs; fi++)
    ir_for_each_inst(m->funcs[fi], i) {
      const int k = i->op == IR_OP_LINEAR ? 1 : i->op == IR_OP_EMBED ? 0 : -1;
      if (k < 0 || i->operands[k]->op != IR_OP_WEIGHT)
        continue;
      const weight_plan *p = &plans[i->operands[k]->ref];
      if (!p->packed)
        continue;
      const packed_kernel *pk = p->kernel;
      ir_attr_set_str(m, i, "kernel",
                      i->op == IR_OP_LINEAR
                          ? ir_strfmt(m, "gqcrt_%s_%s_%s_%s", linear_family(i), pk->wenc,
                                      pk->packing, pk->variant)
                          : ir_strfmt(m, "gqcrt_embed_%s_%s", pk->wenc, pk->packing));
    }
  free(plans);
  return true;
}

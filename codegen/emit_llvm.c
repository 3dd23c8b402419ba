/* emit_llvm.c — the LLVM backend: objects, assembly and LLVM IR without a C
 * compiler.
 *
 * The C backend (emit_c.c) prints the call list as C, and `-o x.o` used to
 * mean "run cc on that C", with the weights pulled in by the assembler's
 * .incbin. This backend builds the same program as LLVM IR through the LLVM-C
 * API and lets LLVM's code generator write the object: no C compiler, no
 * temporary files, one code path for every target LLVM knows. The two
 * backends must stay interchangeable: same API functions doing the same
 * checks in the same order with the same error codes, same data layout, so
 * the logits of a model are bit-identical whichever backend compiled it.
 * Both read the call list of calls.h, the single statement of what each
 * runtime call's arguments are.
 *
 * What the LLVM module holds (N is --name; everything but the API is
 * internal, so several models link into one program without clashes and `nm`
 * shows only the API as defined globals):
 *
 *   @N__weights     constant [W x i8], section .gqc.weights, align 64: the
 *                   weight blob (gqc_weight_blob_fill, the layout the C
 *                   backend streams to its .weights file) as one
 *                   ConstantDataArray. It is built from one buffer, so a
 *                   290 MB model costs a few linear copies, not minutes.
 *   @N__vocab       constant [V+1 x i8], align 64, in .rodata.N__vocab: the
 *                   vocabulary blob plus a NUL, exactly as the C backend's.
 *   @N__arena       zero-initialised [A x i8], align 64: lands in .bss.
 *                   With --arena-section S, it and @N__tok_scratch are
 *                   instead hidden external declarations of the symbols
 *                   that module-level inline assembly (gqc_arena_section_asm,
 *                   the C backend's text too) defines in S as nobits data:
 *                   LLVM puts a global with an explicit section in PROGBITS.
 *   @N__attn        constant [n x %gqcrt_attention_desc]: one per attention.
 *   @N__tok_scratch, @N__ready, @N__n_past, @N__last_error, @N__executor:
 *                   the C backend's statics of the same names (executor: the
 *                   gqcrt_executor pointer <name>_set_executor stores; the
 *                   large linears go through gqcrt_linear_parallel with it and
 *                   the kernel's address).
 *   @N__step        internal void(i32 token, i32 pos): one call per entry of
 *                   @decode's call list. Pointer arguments are constant GEPs
 *                   into the globals; the embedding row is
 *                   weights + offset + sext(token) * row_bytes, or, for a
 *                   packed table (gqcrt_embed_<layout>), the token itself
 *                   is the argument.
 *   @N__prefill_step  internal void(i8* tokens, i32 pos, i32 n), when the
 *                   module has @prefill: its call list, where counts n * N
 *                   are `mul nsw n, N`, a batch's last row is a GEP by
 *                   (n - 1) * row_bytes, and per_row calls sit in a loop
 *                   over r = 0 .. n-1 (GEPs by r * row_bytes). N_prefill
 *                   checks its arguments as emit_c.c's C does and calls it
 *                   once per step of at most BATCH tokens.
 *
 * --weights=file (o->weights_external): no @N__weights constant; instead
 * @N__weights is an internal i8* global (null until N_init_weights accepts a
 * blob), loaded once at the top of the step, and weight arguments are GEPs
 * from that value. N_init_weights and N_verify_weights call
 * gqcrt_weights_check exactly as emit_c.c's C does.
 *   the API         N_init, N_reset, N_decode, ... written out block by block
 *                   as the IR of emit_c.c's C text would be.
 *
 * Runtime prototypes come from a table that mirrors gqcrt.h and
 * gqcrt_tokenizer.h (the linear kernels through gqcrt_kernels.def and
 * gqcrt_packed_kernels.def, which also gives the packed tables' embed
 * functions); every call in the call list is checked against it, so
 * calls.c and the runtime cannot drift apart silently. All pointers are i8*
 * (C's void *): the same in the ABI, and what LLVM 15+ calls `ptr` anyway.
 *
 * Target: LLVM's normalised form of the triple; the CPU and features of
 * ir/target.h with gqc's feature names translated to LLVM's (fp16 is
 * "fullfp16"), features the user removed with --features -x passed as "-x";
 * --cpu native asks LLVM for the host CPU and its features. PIC unless
 * static_reloc. The optimiser is LLVM's O1 pipeline without loop unrolling
 * (which would copy the tokenizer's length check 99 times), through
 * LLVMRunPasses: the new pass manager, as the legacy PassManagerBuilder is
 * gone in LLVM 17. The code is straight-line calls, so that is plenty.
 *
 * LLVM versions: only C API that exists from LLVM 14 on and works with typed
 * pointers (14) and opaque pointers (15+): GEPs are over i8 after a pointer
 * cast (a no-op with opaque pointers), and every call, load and GEP is given
 * its type explicitly. Tested with LLVM 14.
 */
#include "codegen/emit_llvm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/calls.h"

#ifndef GQC_HAVE_LLVM

bool gqc_llvm_available(void) {
  return false;
}
const char *gqc_llvm_version(void) {
  return "none";
}

bool gqc_emit_llvm(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o, int kind,
                   const char *out_path, gqc_diag *d) {
  (void)m, (void)t, (void)o, (void)kind;
  return gqc_error(d, "%s: this gqc was built without LLVM; use --backend c", out_path);
}

#else

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "gqcrt.h"

#ifndef GQC_LLVM_VERSION
#define GQC_LLVM_VERSION "unknown"
#endif

bool gqc_llvm_available(void) {
  return true;
}
const char *gqc_llvm_version(void) {
  return GQC_LLVM_VERSION;
}

/* ---- runtime prototypes ---------------------------------------------------
 * "r:params", one letter per type: v void, p pointer, i int32_t/int/uint32_t,
 * l int64_t/uint64_t, f float, z size_t. */
typedef struct runtime_proto {
  const char *name, *sig;
} runtime_proto;

static const runtime_proto runtime_protos[] = {
    /* gqcrt.h */
    {"gqcrt_rms_norm", "v:pppiif"},
    {"gqcrt_add", "v:pppi"},
    {"gqcrt_mul", "v:pppi"},
    {"gqcrt_scale", "v:ppfi"},
    {"gqcrt_silu", "v:ppi"},
    {"gqcrt_gelu_tanh", "v:ppi"},
    {"gqcrt_softcap", "v:ppfi"},
    {"gqcrt_softmax", "v:ppi"},
    {"gqcrt_copy", "v:ppi"},
    {"gqcrt_rope", "v:ppiiiiffi"},
    {"gqcrt_attention", "v:ppppppppi"},
    /* gqcrt.h: row-batched ops (prefill) */
    {"gqcrt_embed_rows", "v:ppplpii"},
    {"gqcrt_embed_rows_packed", "v:ppppii"},
    {"gqcrt_rope_rows", "v:ppiiiiiffi"},
    {"gqcrt_attention_rows", "v:ppppppppii"},
    /* gqcrt_parallel.h */
    {"gqcrt_linear_parallel", "v:pppppiiii"},
    {"gqcrt_gemm_parallel", "v:pppippiiiii"},
    {"gqcrt_quantize_f16", "v:ppi"},
    {"gqcrt_quantize_bf16", "v:ppi"},
    {"gqcrt_quantize_q8_0", "v:ppi"},
    {"gqcrt_quantize_q8_1", "v:ppi"},
    {"gqcrt_quantize_q8_k", "v:ppi"},
    {"gqcrt_dequantize_f32", "v:ppi"},
    {"gqcrt_dequantize_f16", "v:ppi"},
    {"gqcrt_dequantize_bf16", "v:ppi"},
    {"gqcrt_dequantize_q4_0", "v:ppi"},
    {"gqcrt_dequantize_q4_1", "v:ppi"},
    {"gqcrt_dequantize_q5_0", "v:ppi"},
    {"gqcrt_dequantize_q5_1", "v:ppi"},
    {"gqcrt_dequantize_q8_0", "v:ppi"},
    {"gqcrt_dequantize_q2_k", "v:ppi"},
    {"gqcrt_dequantize_q3_k", "v:ppi"},
    {"gqcrt_dequantize_q4_k", "v:ppi"},
    {"gqcrt_dequantize_q5_k", "v:ppi"},
    {"gqcrt_dequantize_q6_k", "v:ppi"},
#define GQCRT_LINEAR_KERNEL(wenc, aenc, variant, features)                                         \
  {"gqcrt_linear_" #wenc "_" #variant, "v:pppii"}, {"gqcrt_gemm_" #wenc "_" #variant, "v:pippiii"},
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL
#define GQCRT_PACKED_LINEAR_KERNEL(wenc, aenc, packing, variant, features, rows)                   \
  {"gqcrt_linear_" #wenc "_" #packing "_" #variant, "v:pppii"},                                    \
      {"gqcrt_gemm_" #wenc "_" #packing "_" #variant, "v:pippiii"},
#define GQCRT_PACKING(wenc, packing, rows) {"gqcrt_embed_" #wenc "_" #packing, "v:ppii"},
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKED_LINEAR_KERNEL
#undef GQCRT_PACKING
    /* gqcrt_tokenizer.h */
    {"gqcrt_vocab_check", "i:pz"},
    {"gqcrt_vocab_bos", "i:p"},
    {"gqcrt_vocab_eos", "i:p"},
    {"gqcrt_vocab_is_eog", "i:pi"},
    {"gqcrt_tokenize", "i:ppziipipz"},
    {"gqcrt_token_piece", "p:piip"},
    /* gqcrt_blob.h */
    {"gqcrt_weights_check", "i:pllii"},
};

static const char *runtime_sig(const char *name) {
  for (size_t k = 0; k < sizeof runtime_protos / sizeof runtime_protos[0]; k++)
    if (!strcmp(runtime_protos[k].name, name))
      return runtime_protos[k].sig;
  return NULL;
}

/* ---- the emitter ------------------------------------------------------- */
typedef struct emitter {
  const ir_module *m;
  const gqc_codegen_options *o;
  gqc_diag *d;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef t_void, t_i8, t_i32, t_i64, t_f32, t_ptr, t_size, t_desc;
  LLVMAttributeRef nounwind, target_cpu, target_features; /* on every defined function */
  LLVMAttributeRef sanitize_address; /* too, when instrumenting (NULL otherwise) */
  unsigned md_inst; /* metadata kind "gqc.inst": the IR instruction of a call */
  bool has_vocab;
  /* globals, and their addresses as i8* */
  LLVMValueRef weights, vocab, arena, attn, scratch, ready, n_past, last_error;
  LLVMValueRef executor; /* const gqcrt_executor *, set by <name>_set_executor */
  bool weights_external; /* weights is then an i8* global, wb its value in step */
  LLVMValueRef wb;
  LLVMTypeRef attn_type;
  int n_descs;
  uint64_t scratch_bytes;
  LLVMValueRef step, prefill_step; /* the two functions' call lists */
  LLVMTypeRef step_type, prefill_step_type;
} emitter;

/* The values a step's arguments are made of: its parameters, and inside a
 * per_row loop the row index r (NULL outside). */
typedef struct step_values {
  LLVMValueRef token, pos, tokens, n, r;
} step_values;

static LLVMTypeRef sig_type(emitter *e, char c) {
  switch (c) {
  case 'v':
    return e->t_void;
  case 'p':
    return e->t_ptr;
  case 'i':
    return e->t_i32;
  case 'f':
    return e->t_f32;
  case 'l':
    return e->t_i64;
  default:
    return e->t_size;
  }
}

/* The declaration of a runtime function (created on first use). */
static LLVMValueRef runtime_fn(emitter *e, const char *name, LLVMTypeRef *type) {
  const char *sig = runtime_sig(name);
  if (!sig) {
    gqc_error(e->d, "codegen: no prototype for runtime function %s (emit_llvm.c's table)", name);
    return NULL;
  }
  LLVMTypeRef params[16];
  int n = 0;
  for (const char *p = sig + 2; *p; p++)
    params[n++] = sig_type(e, *p);
  *type = LLVMFunctionType(sig_type(e, sig[0]), params, (unsigned)n, 0);
  LLVMValueRef f = LLVMGetNamedFunction(e->mod, name);
  if (!f) {
    f = LLVMAddFunction(e->mod, name, *type);
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, e->nounwind);
  }
  return f;
}

static LLVMValueRef call_runtime(emitter *e, const char *name, LLVMValueRef *args, int n) {
  LLVMTypeRef type;
  LLVMValueRef f = runtime_fn(e, name, &type);
  return f ? LLVMBuildCall2(e->b, type, f, args, (unsigned)n, "") : NULL;
}

static LLVMValueRef i32c(emitter *e, int64_t v) {
  return LLVMConstInt(e->t_i32, (unsigned long long)v, 1);
}
static LLVMValueRef i64c(emitter *e, int64_t v) {
  return LLVMConstInt(e->t_i64, (unsigned long long)v, 1);
}

/* &global[0] as i8*. */
static LLVMValueRef byte_base(emitter *e, LLVMValueRef global) {
  return LLVMConstPointerCast(global, e->t_ptr);
}

/* (i8 *)global + offset, a constant. */
static LLVMValueRef byte_ptr(emitter *e, LLVMValueRef global, int64_t offset) {
  LLVMValueRef idx = i64c(e, offset);
  return LLVMConstInBoundsGEP2(e->t_i8, byte_base(e, global), &idx, 1);
}

static LLVMValueRef add_global(emitter *e, const char *suffix, LLVMTypeRef type, LLVMValueRef init,
                               bool constant, unsigned align) {
  char name[256];
  snprintf(name, sizeof name, "%s__%s", e->o->name, suffix);
  LLVMValueRef g = LLVMAddGlobal(e->mod, type, name);
  LLVMSetInitializer(g, init);
  LLVMSetLinkage(g, LLVMInternalLinkage);
  LLVMSetGlobalConstant(g, constant);
  if (align)
    LLVMSetAlignment(g, align);
  return g;
}

/* A hidden external declaration of <name>__<suffix>: a symbol that the
 * module's inline assembly defines (gqc_arena_section_asm). */
static LLVMValueRef add_section_symbol(emitter *e, const char *suffix, LLVMTypeRef type,
                                       unsigned align) {
  char name[256];
  snprintf(name, sizeof name, "%s__%s", e->o->name, suffix);
  LLVMValueRef g = LLVMAddGlobal(e->mod, type, name);
  LLVMSetLinkage(g, LLVMExternalLinkage);
  LLVMSetVisibility(g, LLVMHiddenVisibility);
  LLVMSetAlignment(g, align);
  return g;
}

static LLVMValueRef add_i32_global(emitter *e, const char *suffix) {
  return add_global(e, suffix, e->t_i32, i32c(e, 0), false, 4);
}

/* ---- data ---------------------------------------------------------------- */
static bool emit_weights(emitter *e) {
  uint64_t n = (uint64_t)e->m->weight_bytes;
  e->weights_external = e->o->weights_external;
  if (e->weights_external) { /* static const unsigned char *weights; */
    e->weights = add_global(e, "weights", e->t_ptr, LLVMConstNull(e->t_ptr), false, 8);
    return true;
  }
  if (n > UINT32_MAX - 64u)
    return gqc_error(e->d,
                     "codegen: %" PRIu64 " bytes of weights: the LLVM backend supports up to"
                     " 4 GiB (use --backend c)",
                     n);
  unsigned char *buf = malloc(n ? n : 1);
  if (!buf)
    return gqc_error(e->d, "codegen: out of memory for a %" PRIu64 "-byte weight blob", n);
  if (!gqc_weight_blob_fill(e->m, buf, e->d)) {
    free(buf);
    return false;
  }
  LLVMValueRef init = LLVMConstStringInContext(e->ctx, (const char *)buf, (unsigned)n, 1);
  free(buf);
  e->weights = add_global(e, "weights", LLVMTypeOf(init), init, true, 64);
  LLVMSetSection(e->weights, ".gqc.weights");
  return true;
}

static bool emit_vocab(emitter *e) {
  const ir_module *m = e->m;
  e->has_vocab = m->vocab_bytes != 0;
  if (!e->has_vocab)
    return true;
  if (!m->vocab)
    return gqc_error(e->d, "codegen: the module has vocab_bytes but no vocabulary blob");
  if (m->vocab_bytes > UINT32_MAX - 64u)
    return gqc_error(e->d, "codegen: vocabulary blob too large (%" PRIu64 " bytes)",
                     m->vocab_bytes);
  /* not DontNullTerminate: the blob is followed by a NUL, as in emit_c.c */
  LLVMValueRef init =
      LLVMConstStringInContext(e->ctx, (const char *)m->vocab, (unsigned)m->vocab_bytes, 0);
  e->vocab = add_global(e, "vocab", LLVMTypeOf(init), init, true, 64);
  char section[300];
  snprintf(section, sizeof section, ".rodata.%s__vocab", e->o->name);
  LLVMSetSection(e->vocab, section);
  e->scratch_bytes = gqc_tokenize_scratch_bytes(m, e->o);
  if (e->scratch_bytes > UINT32_MAX)
    return gqc_error(e->d,
                     "codegen: tokenizer scratch too large (%" PRIu64 " bytes): lower "
                     "--max-text",
                     e->scratch_bytes);
  uint64_t sn = e->scratch_bytes ? e->scratch_bytes : 1;
  LLVMTypeRef st = LLVMArrayType(e->t_i8, (unsigned)sn);
  if (e->o->arena_section)
    e->scratch = add_section_symbol(e, "tok_scratch", st, 16);
  else
    e->scratch = add_global(e, "tok_scratch", st, LLVMConstNull(st), false, 16);
  return true;
}

static bool emit_arena(emitter *e) {
  if ((uint64_t)e->m->arena_bytes > UINT32_MAX)
    return gqc_error(e->d,
                     "codegen: a %" PRId64 "-byte arena: the LLVM backend supports up to "
                     "4 GiB (lower --ctx)",
                     e->m->arena_bytes);
  LLVMTypeRef at = LLVMArrayType(e->t_i8, (unsigned)e->m->arena_bytes);
  if (e->o->arena_section) {
    char *text = gqc_arena_section_asm(e->m, e->o);
    if (!text)
      return gqc_error(e->d, "codegen: out of memory");
    LLVMAppendModuleInlineAsm(e->mod, text, strlen(text));
    free(text);
    e->arena = add_section_symbol(e, "arena", at, 64);
  } else {
    e->arena = add_global(e, "arena", at, LLVMConstNull(at), false, 64);
  }
  e->ready = add_i32_global(e, "ready");
  e->n_past = add_i32_global(e, "n_past");
  e->last_error = add_i32_global(e, "last_error");
  e->executor = add_global(e, "executor", e->t_ptr, LLVMConstNull(e->t_ptr), false, 8);
  return true;
}

static void emit_attention_descs(emitter *e, const gqc_program *calls) {
  /* struct gqcrt_attention_desc { int32_t x6; float scale; } */
  e->t_desc = LLVMStructCreateNamed(e->ctx, "gqcrt_attention_desc");
  LLVMTypeRef fields[7] = {e->t_i32, e->t_i32, e->t_i32, e->t_i32, e->t_i32, e->t_i32, e->t_f32};
  LLVMStructSetBody(e->t_desc, fields, 7, 0);
  e->n_descs = calls->n_descs;
  if (!calls->n_descs)
    return;
  LLVMValueRef *items = calloc((size_t)calls->n_descs, sizeof *items);
  if (!items)
    return;
  for (int k = 0; k < calls->n_descs; k++) {
    const gqc_attn_desc *a = &calls->descs[k];
    LLVMValueRef v[7] = {i32c(e, a->n_head),
                         i32c(e, a->n_head_kv),
                         i32c(e, a->head_dim),
                         i32c(e, a->cache_rows),
                         i32c(e, a->window),
                         i32c(e, a->kv_type),
                         LLVMConstReal(e->t_f32, a->scale)};
    items[k] = LLVMConstNamedStruct(e->t_desc, v, 7);
  }
  LLVMValueRef init = LLVMConstArray(e->t_desc, items, (unsigned)calls->n_descs);
  free(items);
  e->attn_type = LLVMTypeOf(init);
  e->attn = add_global(e, "attn", e->attn_type, init, true, 4);
}

/* ---- code ----------------------------------------------------------------- */
static LLVMValueRef begin_function(emitter *e, const char *name, bool external, LLVMTypeRef type) {
  LLVMValueRef f = LLVMAddFunction(e->mod, name, type);
  LLVMSetLinkage(f, external ? LLVMExternalLinkage : LLVMInternalLinkage);
  LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, e->nounwind);
  LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, e->target_cpu);
  LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, e->target_features);
  if (e->sanitize_address)
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, e->sanitize_address);
  LLVMPositionBuilderAtEnd(e->b, LLVMAppendBasicBlockInContext(e->ctx, f, "entry"));
  return f;
}

/* An API function <name>_<suffix>. */
static LLVMValueRef begin_api(emitter *e, const char *suffix, LLVMTypeRef ret, LLVMTypeRef *params,
                              int n) {
  char name[256];
  snprintf(name, sizeof name, "%s_%s", e->o->name, suffix);
  return begin_function(e, name, true, LLVMFunctionType(ret, params, (unsigned)n, 0));
}

static LLVMBasicBlockRef new_block(emitter *e, LLVMValueRef f, const char *name) {
  return LLVMAppendBasicBlockInContext(e->ctx, f, name);
}

static LLVMValueRef load_i32(emitter *e, LLVMValueRef global) {
  return LLVMBuildLoad2(e->b, e->t_i32, global, "");
}

/* last_error = code; return code (as i32) or `ret` if given. */
static void fail_with(emitter *e, LLVMValueRef code, LLVMValueRef ret) {
  LLVMBuildStore(e->b, code, e->last_error);
  LLVMBuildRet(e->b, ret ? ret : code);
}

static char arg_sig(gqc_arg_kind k) {
  switch (k) {
  case GQC_ARG_I32:
  case GQC_ARG_POS:
  case GQC_ARG_TOKEN:
  case GQC_ARG_ROWS:
    return 'i';
  case GQC_ARG_I64:
    return 'l';
  case GQC_ARG_F32:
    return 'f';
  default:
    return 'p';
  }
}

/* W(offset): a constant GEP into the blob, or (--weights=file) wb + offset. */
static LLVMValueRef weight_ptr(emitter *e, int64_t offset) {
  if (!e->weights_external)
    return byte_ptr(e, e->weights, offset);
  LLVMValueRef idx = i64c(e, offset);
  return LLVMBuildInBoundsGEP2(e->b, e->t_i8, e->wb, &idx, 1, "");
}

/* (i8 *)arena + offset + row * row_bytes, row an i32 value. */
static LLVMValueRef arena_row(emitter *e, int64_t offset, LLVMValueRef row, int64_t row_bytes) {
  LLVMValueRef off =
      LLVMBuildMul(e->b, LLVMBuildSExt(e->b, row, e->t_i64, ""), i64c(e, row_bytes), "row_offset");
  return LLVMBuildInBoundsGEP2(e->b, e->t_i8, byte_ptr(e, e->arena, offset), &off, 1, "row");
}

static LLVMValueRef call_arg(emitter *e, const gqc_call *c, const gqc_arg *a,
                             const step_values *sv) {
  const ir_module *m = e->m;
  switch (a->kind) {
  case GQC_ARG_ARENA:
    if (a->offset < 0 || a->offset > m->arena_bytes || a->row_bytes < 0)
      break;
    if (c->per_row && a->row_bytes) { /* row r: arena + offset + r * row_bytes */
      if (!sv->r)
        break;
      return arena_row(e, a->offset, sv->r, a->row_bytes);
    }
    return byte_ptr(e, e->arena, a->offset);
  case GQC_ARG_ARENA_LAST_ROW: { /* arena + offset + (n - 1) * row_bytes */
    if (a->offset < 0 || a->offset > m->arena_bytes || a->row_bytes < 0 || !sv->n)
      break;
    return arena_row(e, a->offset, LLVMBuildSub(e->b, sv->n, i32c(e, 1), "last"), a->row_bytes);
  }
  case GQC_ARG_I64:
    return i64c(e, a->i);
  case GQC_ARG_TOKENS:
    if (!sv->tokens)
      break;
    return sv->tokens;
  case GQC_ARG_ROWS: /* i * n, in int32_t (lowering checked batch * i fits) */
    if (!sv->n || a->i < 1 || a->i > INT32_MAX)
      break;
    return a->i == 1 ? sv->n : LLVMBuildNSWMul(e->b, sv->n, i32c(e, a->i), "count");
  case GQC_ARG_WEIGHT:
    if (a->offset < 0 || a->offset > m->weight_bytes)
      break;
    return weight_ptr(e, a->offset);
  case GQC_ARG_WEIGHT_ROW: {
    if (a->offset < 0 || a->offset > m->weight_bytes || a->row_bytes < 0)
      break;
    /* (const unsigned char *)W(offset) + (size_t)token * row_bytes */
    if (!sv->token)
      break;
    LLVMValueRef row = LLVMBuildMul(e->b, LLVMBuildSExt(e->b, sv->token, e->t_i64, "token64"),
                                    i64c(e, a->row_bytes), "row_offset");
    return LLVMBuildInBoundsGEP2(e->b, e->t_i8, weight_ptr(e, a->offset), &row, 1, "row");
  }
  case GQC_ARG_NULL:
    return LLVMConstNull(e->t_ptr);
  case GQC_ARG_I32:
    if (a->i < INT32_MIN || a->i > INT32_MAX)
      break;
    return i32c(e, a->i);
  case GQC_ARG_F32:
    return LLVMConstReal(e->t_f32, a->f);
  case GQC_ARG_POS:
    return sv->pos;
  case GQC_ARG_TOKEN:
    if (!sv->token)
      break;
    return sv->token;
  case GQC_ARG_EXECUTOR:
    return LLVMBuildLoad2(e->b, e->t_ptr, e->executor, "executor");
  case GQC_ARG_FN: {
    LLVMTypeRef type;
    LLVMValueRef fn = runtime_fn(e, a->sym, &type);
    if (!fn)
      return NULL;
    return LLVMConstBitCast(fn, e->t_ptr); /* typed pointers before LLVM 15 */
  }
  case GQC_ARG_ATTN_DESC: {
    if (a->i < 0 || a->i >= e->n_descs)
      break;
    LLVMValueRef idx[2] = {i64c(e, 0), i64c(e, a->i)};
    return LLVMConstPointerCast(LLVMConstInBoundsGEP2(e->attn_type, e->attn, idx, 2), e->t_ptr);
  }
  }
  gqc_error(e->d, "codegen: argument %d of %s is out of range", (int)(a - c->args) + 1, c->fn);
  return NULL;
}

/* Attaches "%name = op" to the call, for readers of the .ll output. */
static void annotate(emitter *e, LLVMValueRef call, const ir_inst *i) {
  if (!i)
    return;
  char text[256];
  const ir_op_info *op = ir_op_get(i->op);
  snprintf(text, sizeof text, "%s%s%s%s", i->name ? "%" : "", i->name ? i->name : "",
           i->name ? " = " : "", op ? op->name : "?");
  LLVMMetadataRef s = LLVMMDStringInContext2(e->ctx, text, strlen(text));
  LLVMSetMetadata(call, e->md_inst,
                  LLVMMetadataAsValue(e->ctx, LLVMMDNodeInContext2(e->ctx, &s, 1)));
}

/* One call of the list, with its arguments; in a per_row call, r is the
 * row index. */
static bool emit_call(emitter *e, const gqc_call *c, const step_values *sv) {
  const char *sig = runtime_sig(c->fn);
  if (!sig)
    return gqc_error(e->d, "codegen: no prototype for runtime function %s (emit_llvm.c's table)",
                     c->fn);
  bool match = sig[0] == 'v' && (int)strlen(sig + 2) == c->n_args;
  for (int a = 0; match && a < c->n_args; a++)
    match = sig[2 + a] == arg_sig(c->args[a].kind);
  if (!match)
    return gqc_error(e->d, "codegen: the call to %s does not match its runtime prototype", c->fn);
  LLVMValueRef args[GQC_MAX_ARGS];
  for (int a = 0; a < c->n_args; a++)
    if (!(args[a] = call_arg(e, c, &c->args[a], sv)))
      return false;
  LLVMValueRef call = call_runtime(e, c->fn, args, c->n_args);
  if (!call)
    return false;
  annotate(e, call, c->inst);
  return true;
}

/* for (int32_t r = 0; r < n; r++) call: a per_row call. */
static bool emit_row_loop(emitter *e, LLVMValueRef f, const gqc_call *c, step_values sv) {
  LLVMBuilderRef b = e->b;
  if (!sv.n)
    return gqc_error(e->d, "codegen: a per-row call outside a row-batched function");
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(b), head = new_block(e, f, "rows"),
                    body = new_block(e, f, "row"), done = new_block(e, f, "rows_done");
  LLVMBuildBr(b, head);
  LLVMPositionBuilderAtEnd(b, head);
  LLVMValueRef r = LLVMBuildPhi(b, e->t_i32, "r");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, r, sv.n, ""), body, done);
  LLVMPositionBuilderAtEnd(b, body);
  sv.r = r;
  if (!emit_call(e, c, &sv))
    return false;
  LLVMValueRef r1 = LLVMBuildNSWAdd(b, r, i32c(e, 1), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
  LLVMBuildBr(b, head);
  LLVMValueRef vals[2] = {i32c(e, 0), r1};
  LLVMBasicBlockRef blocks[2] = {entry, latch};
  LLVMAddIncoming(r, vals, blocks, 2);
  LLVMPositionBuilderAtEnd(b, done);
  return true;
}

/* A step function, internal: one call per entry of the call list.
 *   decode:  void N__step(int32_t token, int32_t pos)
 *   prefill: void N__prefill_step(const int32_t *tokens, int32_t pos, int32_t n) */
static bool emit_step(emitter *e, const gqc_call_list *calls, bool batched) {
  LLVMTypeRef params[3] = {batched ? e->t_ptr : e->t_i32, e->t_i32, e->t_i32};
  LLVMTypeRef type = LLVMFunctionType(e->t_void, params, batched ? 3 : 2, 0);
  char name[256];
  snprintf(name, sizeof name, "%s__%s", e->o->name, batched ? "prefill_step" : "step");
  LLVMValueRef f = begin_function(e, name, false, type);
  step_values sv = {0};
  sv.pos = LLVMGetParam(f, 1);
  LLVMSetValueName2(sv.pos, "pos", 3);
  if (batched) {
    sv.tokens = LLVMGetParam(f, 0);
    sv.n = LLVMGetParam(f, 2);
    LLVMSetValueName2(sv.tokens, "tokens", 6);
    LLVMSetValueName2(sv.n, "n", 1);
    e->prefill_step = f;
    e->prefill_step_type = type;
  } else {
    sv.token = LLVMGetParam(f, 0);
    LLVMSetValueName2(sv.token, "token", 5);
    e->step = f;
    e->step_type = type;
  }
  /* const unsigned char *const wb = weights; */
  if (e->weights_external)
    e->wb = LLVMBuildLoad2(e->b, e->t_ptr, e->weights, "wb");
  for (int k = 0; k < calls->n_calls; k++) {
    const gqc_call *c = &calls->calls[k];
    if (!(c->per_row ? emit_row_loop(e, f, c, sv) : emit_call(e, c, &sv)))
      return false;
  }
  LLVMBuildRetVoid(e->b);
  return true;
}

/* int N_init_weights(const void *blob, uint64_t size):
 *   weights = NULL; ready = 0;
 *   int r = gqcrt_weights_check(blob, size, WEIGHT_BYTES, WEIGHT_QUICK_CHECKSUM, 0);
 *   if (r != GQCRT_OK) return last_error = r;
 *   weights = blob; return GQCRT_OK;
 * int N_verify_weights(void):
 *   if (!weights) return last_error = GQCRT_ERR_NOT_INITIALISED;
 *   int r = gqcrt_weights_check(weights, WEIGHT_BYTES, WEIGHT_BYTES, WEIGHT_CHECKSUM, 1);
 *   if (r != GQCRT_OK) { weights = NULL; ready = 0; return last_error = r; }
 *   return GQCRT_OK; */
static void emit_weights_api(emitter *e) {
  LLVMBuilderRef b = e->b;
  LLVMValueRef null = LLVMConstNull(e->t_ptr);
  LLVMTypeRef params[2] = {e->t_ptr, e->t_i64};
  LLVMValueRef f = begin_api(e, "init_weights", e->t_i32, params, 2);
  LLVMValueRef blob = LLVMGetParam(f, 0), size = LLVMGetParam(f, 1);
  LLVMSetValueName2(blob, "blob", 4);
  LLVMSetValueName2(size, "size", 4);
  LLVMBuildStore(b, null, e->weights);
  LLVMBuildStore(b, i32c(e, 0), e->ready);
  LLVMValueRef args[5] = {blob, size, i64c(e, e->m->weight_bytes),
                          LLVMConstInt(e->t_i32, e->o->weight_quick_crc32c, 0), i32c(e, 0)};
  LLVMValueRef r = call_runtime(e, "gqcrt_weights_check", args, 5);
  LLVMBasicBlockRef bad = new_block(e, f, "bad_blob"), ok = new_block(e, f, "ok");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, r, i32c(e, GQCRT_OK), ""), bad, ok);
  LLVMPositionBuilderAtEnd(b, bad);
  fail_with(e, r, NULL);
  LLVMPositionBuilderAtEnd(b, ok);
  LLVMBuildStore(b, blob, e->weights);
  LLVMBuildRet(b, i32c(e, GQCRT_OK));

  f = begin_api(e, "verify_weights", e->t_i32, NULL, 0);
  LLVMValueRef w = LLVMBuildLoad2(b, e->t_ptr, e->weights, "weights");
  LLVMBasicBlockRef none = new_block(e, f, "no_weights"), check = new_block(e, f, "check");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, w, null, ""), none, check);
  LLVMPositionBuilderAtEnd(b, none);
  fail_with(e, i32c(e, GQCRT_ERR_NOT_INITIALISED), NULL);
  LLVMPositionBuilderAtEnd(b, check);
  LLVMValueRef vargs[5] = {w, i64c(e, e->m->weight_bytes), i64c(e, e->m->weight_bytes),
                           LLVMConstInt(e->t_i32, e->o->weight_crc32c, 0), i32c(e, 1)};
  r = call_runtime(e, "gqcrt_weights_check", vargs, 5);
  bad = new_block(e, f, "bad_blob");
  ok = new_block(e, f, "ok");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, r, i32c(e, GQCRT_OK), ""), bad, ok);
  LLVMPositionBuilderAtEnd(b, bad);
  LLVMBuildStore(b, null, e->weights);
  LLVMBuildStore(b, i32c(e, 0), e->ready);
  fail_with(e, r, NULL);
  LLVMPositionBuilderAtEnd(b, ok);
  LLVMBuildRet(b, i32c(e, GQCRT_OK));
}

/* int N_init(void) */
static void emit_init(emitter *e) {
  LLVMValueRef f = begin_api(e, "init", e->t_i32, NULL, 0);
  if (e->weights_external) { /* if (!weights) return last_error = NOT_INITIALISED; */
    LLVMValueRef w = LLVMBuildLoad2(e->b, e->t_ptr, e->weights, "weights");
    LLVMBasicBlockRef none = new_block(e, f, "no_weights"), go = new_block(e, f, "have_weights");
    LLVMBuildCondBr(e->b, LLVMBuildICmp(e->b, LLVMIntEQ, w, LLVMConstNull(e->t_ptr), ""), none, go);
    LLVMPositionBuilderAtEnd(e->b, none);
    fail_with(e, i32c(e, GQCRT_ERR_NOT_INITIALISED), NULL);
    LLVMPositionBuilderAtEnd(e->b, go);
  }
  if (e->has_vocab) {
    LLVMValueRef args[2] = {byte_base(e, e->vocab), LLVMConstInt(e->t_size, e->m->vocab_bytes, 0)};
    LLVMValueRef r = call_runtime(e, "gqcrt_vocab_check", args, 2);
    LLVMBasicBlockRef bad = new_block(e, f, "bad_blob"), ok = new_block(e, f, "ok");
    LLVMBuildCondBr(e->b, LLVMBuildICmp(e->b, LLVMIntNE, r, i32c(e, GQCRT_OK), ""), bad, ok);
    LLVMPositionBuilderAtEnd(e->b, bad);
    fail_with(e, i32c(e, GQCRT_ERR_BAD_BLOB), NULL);
    LLVMPositionBuilderAtEnd(e->b, ok);
  }
  LLVMBuildStore(e->b, i32c(e, 1), e->ready);
  LLVMBuildStore(e->b, i32c(e, 0), e->n_past);
  LLVMBuildStore(e->b, i32c(e, 0), e->last_error);
  LLVMBuildRet(e->b, i32c(e, GQCRT_OK));
}

/* void N_reset(void) */
static void emit_reset(emitter *e) {
  begin_api(e, "reset", e->t_void, NULL, 0);
  LLVMBuildStore(e->b, i32c(e, 0), e->n_past);
  LLVMBuildRetVoid(e->b);
}

/* const float *N_decode(int32_t token, int32_t pos) */
static void emit_decode(emitter *e, const gqc_program *calls) {
  const ir_module *m = e->m;
  int64_t n_vocab = ir_meta_int(m, "n_vocab", 0);
  int64_t n_tokens = calls->embed_rows && calls->embed_rows < n_vocab ? calls->embed_rows : n_vocab;
  LLVMTypeRef params[2] = {e->t_i32, e->t_i32};
  LLVMValueRef f = begin_api(e, "decode", e->t_ptr, params, 2);
  LLVMValueRef token = LLVMGetParam(f, 0), pos = LLVMGetParam(f, 1);
  LLVMSetValueName2(token, "token", 5);
  LLVMSetValueName2(pos, "pos", 3);
  LLVMBasicBlockRef not_ready = new_block(e, f, "not_initialised"),
                    check_token = new_block(e, f, "check_token"),
                    bad_token = new_block(e, f, "bad_token"),
                    check_pos = new_block(e, f, "check_pos"), bad_pos = new_block(e, f, "bad_pos"),
                    run = new_block(e, f, "run");
  LLVMValueRef null = LLVMConstNull(e->t_ptr);
  LLVMBuilderRef b = e->b;

  /* if (!ready) return fail(GQCRT_ERR_NOT_INITIALISED); */
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, load_i32(e, e->ready), i32c(e, 0), ""), not_ready,
                  check_token);
  LLVMPositionBuilderAtEnd(b, not_ready);
  fail_with(e, i32c(e, GQCRT_ERR_NOT_INITIALISED), null);

  /* if (token < 0 || token >= n_tokens) return fail(GQCRT_ERR_BAD_TOKEN); */
  LLVMPositionBuilderAtEnd(b, check_token);
  LLVMValueRef t64 = LLVMBuildSExt(b, token, e->t_i64, "");
  LLVMValueRef bad = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLT, t64, i64c(e, 0), ""),
                                 LLVMBuildICmp(b, LLVMIntSGE, t64, i64c(e, n_tokens), ""), "");
  LLVMBuildCondBr(b, bad, bad_token, check_pos);
  LLVMPositionBuilderAtEnd(b, bad_token);
  fail_with(e, i32c(e, GQCRT_ERR_BAD_TOKEN), null);

  /* if (pos < 0 || pos >= N_CTX || pos > n_past) return fail(GQCRT_ERR_BAD_POS); */
  LLVMPositionBuilderAtEnd(b, check_pos);
  LLVMValueRef p64 = LLVMBuildSExt(b, pos, e->t_i64, "");
  LLVMValueRef past = LLVMBuildSExt(b, load_i32(e, e->n_past), e->t_i64, "");
  bad = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLT, p64, i64c(e, 0), ""),
                    LLVMBuildICmp(b, LLVMIntSGE, p64, i64c(e, ir_meta_int(m, "n_ctx", 0)), ""), "");
  bad = LLVMBuildOr(b, bad, LLVMBuildICmp(b, LLVMIntSGT, p64, past, ""), "");
  if (calls->ring_rows) {
    /* sliding-window caches keep the last R positions: a rewind to pos needs
     * positions pos-R+1 .. pos-1 still in the ring:
     * if (n_past - R > max(0, pos - R + 1)) return fail(GQCRT_ERR_BAD_POS); */
    LLVMValueRef r = i64c(e, calls->ring_rows);
    LLVMValueRef lo = LLVMBuildAdd(b, LLVMBuildSub(b, p64, r, ""), i64c(e, 1), "");
    lo = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, lo, i64c(e, 0), ""), lo, i64c(e, 0), "");
    bad = LLVMBuildOr(b, bad, LLVMBuildICmp(b, LLVMIntSGT, LLVMBuildSub(b, past, r, ""), lo, ""),
                      "");
  }
  LLVMBuildCondBr(b, bad, bad_pos, run);
  LLVMPositionBuilderAtEnd(b, bad_pos);
  fail_with(e, i32c(e, GQCRT_ERR_BAD_POS), null);

  /* step(token, pos); n_past = pos + 1; return (const float *)A(result); */
  LLVMPositionBuilderAtEnd(b, run);
  LLVMValueRef args[2] = {token, pos};
  LLVMBuildCall2(b, e->step_type, e->step, args, 2, "");
  LLVMBuildStore(b, LLVMBuildNSWAdd(b, pos, i32c(e, 1), ""), e->n_past);
  LLVMBuildRet(b, byte_ptr(e, e->arena, calls->decode.result.offset));
}

/* if (n_past - R > max(0, pos - R + 1)): a rewind to pos needs positions
 * pos-R+1 .. pos-1 still in a ring of R rows (emit_c.c's check). */
static LLVMValueRef ring_too_far(emitter *e, LLVMValueRef p64, LLVMValueRef past, int64_t ring) {
  LLVMBuilderRef b = e->b;
  LLVMValueRef r = i64c(e, ring);
  LLVMValueRef lo = LLVMBuildAdd(b, LLVMBuildSub(b, p64, r, ""), i64c(e, 1), "");
  lo = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, lo, i64c(e, 0), ""), lo, i64c(e, 0), "");
  return LLVMBuildICmp(b, LLVMIntSGT, LLVMBuildSub(b, past, r, ""), lo, "");
}

/* const float *N_prefill(const int32_t *tokens, int32_t n, int32_t pos), as
 * emit_c.c writes it:
 *   if (!ready) return fail(NOT_INITIALISED);
 *   if (!tokens) return fail(NULL);
 *   if (n < 1 || pos < 0 || pos >= N_CTX || pos > n_past || n > N_CTX - pos) return fail(BAD_POS);
 *   [ring check]
 *   for (i = 0; i < n; i++) if (tokens[i] outside [0, n_tokens)) return fail(BAD_TOKEN);
 *   done = 0; do { rows = min(n - done, BATCH); step(tokens + done, pos + done, rows);
 *                  done += rows; } while (done < n);
 *   n_past = pos + n; return result (row rows - 1 of a batch, or a vector). */
static void emit_prefill(emitter *e, const gqc_program *calls) {
  const ir_module *m = e->m;
  int64_t n_vocab = ir_meta_int(m, "n_vocab", 0);
  int64_t n_tokens = calls->embed_rows && calls->embed_rows < n_vocab ? calls->embed_rows : n_vocab;
  int64_t n_ctx = ir_meta_int(m, "n_ctx", 0), batch = calls->prefill.batch;
  LLVMTypeRef params[3] = {e->t_ptr, e->t_i32, e->t_i32};
  LLVMValueRef f = begin_api(e, "prefill", e->t_ptr, params, 3);
  LLVMValueRef tokens = LLVMGetParam(f, 0), n = LLVMGetParam(f, 1), pos = LLVMGetParam(f, 2);
  LLVMSetValueName2(tokens, "tokens", 6);
  LLVMSetValueName2(n, "n", 1);
  LLVMSetValueName2(pos, "pos", 3);
  LLVMBuilderRef b = e->b;
  LLVMValueRef null = LLVMConstNull(e->t_ptr);
  LLVMTypeRef t_i32p = LLVMPointerType(e->t_i32, 0);
  LLVMBasicBlockRef not_ready = new_block(e, f, "not_initialised"),
                    check_null = new_block(e, f, "check_null"), null_arg = new_block(e, f, "null"),
                    check_pos = new_block(e, f, "check_pos"), bad_pos = new_block(e, f, "bad_pos"),
                    scan = new_block(e, f, "check_tokens"), scan_next = new_block(e, f, "next"),
                    bad_token = new_block(e, f, "bad_token"), run = new_block(e, f, "run"),
                    done_block = new_block(e, f, "done");

  /* if (!ready) return fail(GQCRT_ERR_NOT_INITIALISED); */
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, load_i32(e, e->ready), i32c(e, 0), ""), not_ready,
                  check_null);
  LLVMPositionBuilderAtEnd(b, not_ready);
  fail_with(e, i32c(e, GQCRT_ERR_NOT_INITIALISED), null);

  /* if (!tokens) return fail(GQCRT_ERR_NULL); */
  LLVMPositionBuilderAtEnd(b, check_null);
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, tokens, null, ""), null_arg, check_pos);
  LLVMPositionBuilderAtEnd(b, null_arg);
  fail_with(e, i32c(e, GQCRT_ERR_NULL), null);

  /* the positions first, they bound how many ids may be read:
   * if (n < 1 || pos < 0 || pos >= N_CTX || pos > n_past || n > N_CTX - pos) BAD_POS;
   * the ring check */
  LLVMPositionBuilderAtEnd(b, check_pos);
  LLVMValueRef p64 = LLVMBuildSExt(b, pos, e->t_i64, "");
  LLVMValueRef n64 = LLVMBuildSExt(b, n, e->t_i64, "");
  LLVMValueRef past = LLVMBuildSExt(b, load_i32(e, e->n_past), e->t_i64, "");
  LLVMValueRef bad = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLT, n64, i64c(e, 1), ""),
                                 LLVMBuildICmp(b, LLVMIntSLT, p64, i64c(e, 0), ""), "");
  bad = LLVMBuildOr(b, bad, LLVMBuildICmp(b, LLVMIntSGE, p64, i64c(e, n_ctx), ""), "");
  bad = LLVMBuildOr(b, bad, LLVMBuildICmp(b, LLVMIntSGT, p64, past, ""), "");
  bad = LLVMBuildOr(
      b, bad, LLVMBuildICmp(b, LLVMIntSGT, n64, LLVMBuildSub(b, i64c(e, n_ctx), p64, ""), ""), "");
  if (calls->ring_rows)
    bad = LLVMBuildOr(b, bad, ring_too_far(e, p64, past, calls->ring_rows), "");
  LLVMValueRef ip = LLVMBuildPointerCast(b, tokens, t_i32p, "ids");
  LLVMBuildCondBr(b, bad, bad_pos, scan);
  LLVMPositionBuilderAtEnd(b, bad_pos);
  fail_with(e, i32c(e, GQCRT_ERR_BAD_POS), null);

  /* for (i = 0; i < n; i++) if (tokens[i] < 0 || tokens[i] >= n_tokens) BAD_TOKEN (n >= 1) */
  LLVMPositionBuilderAtEnd(b, scan);
  LLVMValueRef i = LLVMBuildPhi(b, e->t_i32, "i");
  LLVMValueRef idx = LLVMBuildSExt(b, i, e->t_i64, "");
  LLVMValueRef tok =
      LLVMBuildLoad2(b, e->t_i32, LLVMBuildInBoundsGEP2(b, e->t_i32, ip, &idx, 1, ""), "token");
  LLVMValueRef t64 = LLVMBuildSExt(b, tok, e->t_i64, "");
  bad = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLT, t64, i64c(e, 0), ""),
                    LLVMBuildICmp(b, LLVMIntSGE, t64, i64c(e, n_tokens), ""), "");
  LLVMBuildCondBr(b, bad, bad_token, scan_next);
  LLVMPositionBuilderAtEnd(b, scan_next);
  LLVMValueRef i1 = LLVMBuildNSWAdd(b, i, i32c(e, 1), "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, i1, n, ""), scan, run);
  LLVMValueRef i_vals[2] = {i32c(e, 0), i1};
  LLVMBasicBlockRef i_blocks[2] = {check_pos, scan_next};
  LLVMAddIncoming(i, i_vals, i_blocks, 2);
  LLVMPositionBuilderAtEnd(b, bad_token);
  fail_with(e, i32c(e, GQCRT_ERR_BAD_TOKEN), null);

  /* the steps: do { rows = min(n - done, BATCH); step(tokens + done, pos + done, rows);
   * done += rows; } while (done < n); */
  LLVMPositionBuilderAtEnd(b, run);
  LLVMValueRef done = LLVMBuildPhi(b, e->t_i32, "done");
  LLVMValueRef left = LLVMBuildSub(b, n, done, "left");
  LLVMValueRef rows = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, left, i32c(e, batch), ""),
                                      left, i32c(e, batch), "rows");
  LLVMValueRef d64 = LLVMBuildSExt(b, done, e->t_i64, "");
  LLVMValueRef sargs[3] = {
      LLVMBuildPointerCast(b, LLVMBuildInBoundsGEP2(b, e->t_i32, ip, &d64, 1, ""), e->t_ptr, ""),
      LLVMBuildNSWAdd(b, pos, done, ""), rows};
  LLVMBuildCall2(b, e->prefill_step_type, e->prefill_step, sargs, 3, "");
  LLVMValueRef done1 = LLVMBuildNSWAdd(b, done, rows, "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, done1, n, ""), run, done_block);
  LLVMValueRef d_vals[2] = {i32c(e, 0), done1};
  LLVMBasicBlockRef d_blocks[2] = {scan_next, run};
  LLVMAddIncoming(done, d_vals, d_blocks, 2);

  /* n_past = pos + n; return the last token's logits */
  LLVMPositionBuilderAtEnd(b, done_block);
  LLVMBuildStore(b, LLVMBuildNSWAdd(b, pos, n, ""), e->n_past);
  const gqc_arg *res = &calls->prefill.result;
  if (res->kind == GQC_ARG_ARENA_LAST_ROW)
    LLVMBuildRet(b,
                 arena_row(e, res->offset, LLVMBuildSub(b, rows, i32c(e, 1), ""), res->row_bytes));
  else
    LLVMBuildRet(b, byte_ptr(e, e->arena, res->offset));
}

/* int N_n_vocab(void), int N_n_ctx(void), int N_last_error(void),
 * void N_set_executor(const gqcrt_executor *) */
static void emit_queries(emitter *e) {
  begin_api(e, "n_vocab", e->t_i32, NULL, 0);
  LLVMBuildRet(e->b, i32c(e, ir_meta_int(e->m, "n_vocab", 0)));
  begin_api(e, "n_ctx", e->t_i32, NULL, 0);
  LLVMBuildRet(e->b, i32c(e, ir_meta_int(e->m, "n_ctx", 0)));
  begin_api(e, "last_error", e->t_i32, NULL, 0);
  LLVMBuildRet(e->b, load_i32(e, e->last_error));
  /* void N_set_executor(const gqcrt_executor *ex) { executor = ex; } */
  LLVMValueRef f = begin_api(e, "set_executor", e->t_void, &e->t_ptr, 1);
  LLVMBuildStore(e->b, LLVMGetParam(f, 0), e->executor);
  LLVMBuildRetVoid(e->b);
}

/* int N_tokenize(const char *text, int32_t *ids, int max_ids) */
static void emit_tokenize(emitter *e) {
  LLVMBuilderRef b = e->b;
  LLVMTypeRef params[3] = {e->t_ptr, e->t_ptr, e->t_i32};
  LLVMValueRef f = begin_api(e, "tokenize", e->t_i32, params, 3);
  if (!e->has_vocab) {
    fail_with(e, i32c(e, GQCRT_ERR_BAD_BLOB), NULL);
    return;
  }
  LLVMValueRef text = LLVMGetParam(f, 0), ids = LLVMGetParam(f, 1), max_ids = LLVMGetParam(f, 2);
  LLVMSetValueName2(text, "text", 4);
  LLVMSetValueName2(ids, "ids", 3);
  LLVMSetValueName2(max_ids, "max_ids", 7);
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(b), null_arg = new_block(e, f, "null_argument"),
                    scan = new_block(e, f, "scan"), next = new_block(e, f, "next"),
                    too_long = new_block(e, f, "too_long"), call = new_block(e, f, "tokenize"),
                    failed = new_block(e, f, "failed"), done = new_block(e, f, "done");
  LLVMValueRef null = LLVMConstNull(e->t_ptr);

  /* if (!text || !ids) return last_error = GQCRT_ERR_NULL; */
  LLVMBuildCondBr(b,
                  LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntEQ, text, null, ""),
                              LLVMBuildICmp(b, LLVMIntEQ, ids, null, ""), ""),
                  null_arg, scan);
  LLVMPositionBuilderAtEnd(b, null_arg);
  fail_with(e, i32c(e, GQCRT_ERR_NULL), NULL);

  /* size_t len = 0; while (text[len]) if (++len > MAX_TEXT) return last_error = TOO_LONG; */
  LLVMPositionBuilderAtEnd(b, scan);
  LLVMValueRef len = LLVMBuildPhi(b, e->t_size, "len");
  LLVMValueRef ch =
      LLVMBuildLoad2(b, e->t_i8, LLVMBuildInBoundsGEP2(b, e->t_i8, text, &len, 1, ""), "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, ch, LLVMConstInt(e->t_i8, 0, 0), ""), call, next);
  LLVMPositionBuilderAtEnd(b, next);
  LLVMValueRef len1 = LLVMBuildAdd(b, len, LLVMConstInt(e->t_size, 1, 0), "");
  LLVMBuildCondBr(
      b,
      LLVMBuildICmp(b, LLVMIntUGT, len1,
                    LLVMConstInt(e->t_size, (unsigned long long)e->o->max_text_bytes, 0), ""),
      too_long, scan);
  LLVMValueRef in_vals[2] = {LLVMConstInt(e->t_size, 0, 0), len1};
  LLVMBasicBlockRef in_blocks[2] = {entry, next};
  LLVMAddIncoming(len, in_vals, in_blocks, 2);
  LLVMPositionBuilderAtEnd(b, too_long);
  fail_with(e, i32c(e, GQCRT_ERR_TOO_LONG), NULL);

  /* r = gqcrt_tokenize(vocab, text, len, 1, 1, ids, max_ids, scratch, sizeof scratch); */
  LLVMPositionBuilderAtEnd(b, call);
  LLVMValueRef args[9] = {byte_base(e, e->vocab),
                          text,
                          len,
                          i32c(e, 1),
                          i32c(e, 1),
                          ids,
                          max_ids,
                          byte_base(e, e->scratch),
                          LLVMConstInt(e->t_size, e->scratch_bytes ? e->scratch_bytes : 1, 0)};
  LLVMValueRef r = call_runtime(e, "gqcrt_tokenize", args, 9);
  /* if (r < 0) last_error = r; return r; */
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, r, i32c(e, 0), ""), failed, done);
  LLVMPositionBuilderAtEnd(b, failed);
  fail_with(e, r, NULL);
  LLVMPositionBuilderAtEnd(b, done);
  LLVMBuildRet(b, r);
}

/* const char *N_token_piece(int32_t id, int32_t *len), const char *N_token_text(int32_t id) */
static void emit_token_piece(emitter *e) {
  LLVMBuilderRef b = e->b;
  LLVMTypeRef params[2] = {e->t_i32, e->t_ptr};
  LLVMValueRef f = begin_api(e, "token_piece", e->t_ptr, params, 2);
  LLVMValueRef id = LLVMGetParam(f, 0), lenp = LLVMGetParam(f, 1);
  LLVMSetValueName2(id, "id", 2);
  LLVMSetValueName2(lenp, "len", 3);
  /* int32_t n = 0; p = VOCAB ? gqcrt_token_piece(vocab, id, 0, &n) : NULL; */
  LLVMValueRef n = LLVMBuildAlloca(b, e->t_i32, "n");
  LLVMBuildStore(b, i32c(e, 0), n);
  LLVMValueRef p = LLVMConstNull(e->t_ptr);
  if (e->has_vocab) {
    LLVMValueRef args[4] = {byte_base(e, e->vocab), id, i32c(e, 0),
                            LLVMBuildPointerCast(b, n, e->t_ptr, "")};
    p = call_runtime(e, "gqcrt_token_piece", args, 4);
  }
  /* if (len) *len = p ? n : 0; return p; */
  LLVMBasicBlockRef set = new_block(e, f, "set_len"), done = new_block(e, f, "done");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, lenp, LLVMConstNull(e->t_ptr), ""), done, set);
  LLVMPositionBuilderAtEnd(b, set);
  LLVMValueRef v = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, p, LLVMConstNull(e->t_ptr), ""),
                                   i32c(e, 0), load_i32(e, n), "");
  LLVMBuildStore(b, v, LLVMBuildPointerCast(b, lenp, LLVMPointerType(e->t_i32, 0), ""));
  LLVMBuildBr(b, done);
  LLVMPositionBuilderAtEnd(b, done);
  LLVMBuildRet(b, p);

  LLVMTypeRef piece_type = LLVMFunctionType(e->t_ptr, params, 2, 0);
  LLVMValueRef g = begin_api(e, "token_text", e->t_ptr, params, 1);
  LLVMValueRef args[2] = {LLVMGetParam(g, 0), LLVMConstNull(e->t_ptr)};
  LLVMBuildRet(b, LLVMBuildCall2(b, piece_type, f, args, 2, ""));
}

/* int32_t N_bos(void), N_eos(void); int N_is_eog(int32_t id) */
static void emit_vocab_queries(emitter *e) {
  static const char *const which[2][2] = {{"bos", "gqcrt_vocab_bos"}, {"eos", "gqcrt_vocab_eos"}};
  for (int k = 0; k < 2; k++) {
    begin_api(e, which[k][0], e->t_i32, NULL, 0);
    if (e->has_vocab) {
      LLVMValueRef v = byte_base(e, e->vocab);
      LLVMBuildRet(e->b, call_runtime(e, which[k][1], &v, 1));
    } else {
      LLVMBuildRet(e->b, i32c(e, -1));
    }
  }
  LLVMTypeRef param = e->t_i32;
  LLVMValueRef f = begin_api(e, "is_eog", e->t_i32, &param, 1);
  if (e->has_vocab) {
    LLVMValueRef args[2] = {byte_base(e, e->vocab), LLVMGetParam(f, 0)};
    LLVMBuildRet(e->b, call_runtime(e, "gqcrt_vocab_is_eog", args, 2));
  } else {
    LLVMBuildRet(e->b, i32c(e, 0));
  }
}

static bool build_module(emitter *e, const gqc_program *calls) {
  const gqc_arg *results[2] = {&calls->decode.result, &calls->prefill.result};
  for (int k = 0; k < (calls->prefill.func ? 2 : 1); k++)
    if ((results[k]->kind != GQC_ARG_ARENA && results[k]->kind != GQC_ARG_ARENA_LAST_ROW) ||
        (k == 0 && results[k]->kind != GQC_ARG_ARENA) || results[k]->offset < 0 ||
        results[k]->offset > e->m->arena_bytes)
      return gqc_error(e->d, "codegen: the logits lie outside the arena");
  if (e->o->arena_section && !gqc_valid_section_name(e->o->arena_section))
    return gqc_error(e->d, "codegen: '%s' is not a valid section name", e->o->arena_section);
  if (!emit_weights(e) || !emit_vocab(e) || !emit_arena(e))
    return false;
  emit_attention_descs(e, calls);
  if (calls->n_descs && !e->attn)
    return gqc_error(e->d, "codegen: out of memory");
  if (!emit_step(e, &calls->decode, false) ||
      (calls->prefill.func && !emit_step(e, &calls->prefill, true)))
    return false;
  if (e->weights_external)
    emit_weights_api(e);
  emit_init(e);
  emit_reset(e);
  emit_decode(e, calls);
  if (calls->prefill.func)
    emit_prefill(e, calls);
  emit_queries(e);
  emit_tokenize(e);
  emit_token_piece(e);
  emit_vocab_queries(e);
  return !e->d->failed;
}

/* ---- target machine ------------------------------------------------------- */
static void fatal_error(const char *reason) {
  fprintf(stderr, "gqc: error: LLVM: %s\n", reason);
  exit(1);
}

static void init_llvm(void) {
  static bool done;
  if (done)
    return;
  done = true;
  LLVMInstallFatalErrorHandler(fatal_error);
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeX86AsmParser(); /* module inline asm (--arena-section) */
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64Target();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64AsmPrinter();
  LLVMInitializeAArch64AsmParser();
}

#define GQC_CPU_MAX 128
#define GQC_FEATURES_MAX 8192

/* gqc's feature names that LLVM spells differently. */
static const char *llvm_feature_name(const gqc_target *t, const char *f, size_t len, char *buf,
                                     size_t n) {
  if (t->arch == GQC_ARCH_AARCH64 && len == 4 && !strncmp(f, "fp16", 4))
    return "fullfp16";
  snprintf(buf, n, "%.*s", (int)len, f);
  return buf;
}

static void append(char *buf, size_t n, const char *s) {
  size_t cur = strlen(buf);
  snprintf(buf + cur, n - cur, "%s%s", cur ? "," : "", s);
}

/* Adds "<sign><llvm name>" for each feature of `list` for which
 * has(other, f) == want_in_other. */
static void append_features(const gqc_target *t, const char *list, const gqc_target *other,
                            bool want_in_other, char sign, char *buf, size_t n) {
  for (const char *p = list; *p;) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    char name[64], one[80];
    snprintf(name, sizeof name, "%.*s", (int)l, p);
    if (l && (!other || gqc_target_has_all(other, name) == want_in_other)) {
      char tmp[64];
      snprintf(one, sizeof one, "%c%s", sign, llvm_feature_name(t, p, l, tmp, sizeof tmp));
      append(buf, n, one);
    }
    p = comma ? comma + 1 : p + l;
  }
}

/* cpu and features receive what LLVM is given. */
static LLVMTargetMachineRef make_target_machine(const gqc_target *t, bool static_reloc,
                                                char **triple, char *cpu, char *features,
                                                gqc_diag *d) {
  init_llvm();
  *triple = LLVMNormalizeTargetTriple(t->triple);
  LLVMTargetRef target;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(*triple, &target, &err)) {
    gqc_error(d, "codegen: LLVM does not support target %s: %s", *triple, err ? err : "?");
    LLVMDisposeMessage(err);
    return NULL;
  }
  /* gqc's default features for this CPU, to tell removed ones (--features -x) */
  gqc_target def;
  gqc_diag dd = {0};
  bool have_def = gqc_target_init(&def, t->triple, t->cpu, NULL, &dd);
  bool native = !strcmp(t->cpu, "native");
  features[0] = 0;
  if (native) {
    char *host_cpu = LLVMGetHostCPUName(), *host_features = LLVMGetHostCPUFeatures();
    snprintf(cpu, GQC_CPU_MAX, "%s", host_cpu);
    snprintf(features, GQC_FEATURES_MAX, "%s", host_features);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(host_features);
    /* the host string has every feature; add what the user added */
    append_features(t, t->features, have_def ? &def : NULL, false, '+', features, GQC_FEATURES_MAX);
  } else {
    snprintf(cpu, GQC_CPU_MAX, "%s", t->cpu);
    append_features(t, t->features, NULL, false, '+', features, GQC_FEATURES_MAX);
  }
  if (have_def)
    append_features(t, def.features, t, false, '-', features, GQC_FEATURES_MAX);
  LLVMTargetMachineRef tm =
      LLVMCreateTargetMachine(target, *triple, cpu, features, LLVMCodeGenLevelDefault,
                              static_reloc ? LLVMRelocStatic : LLVMRelocPIC, LLVMCodeModelDefault);
  if (!tm)
    gqc_error(d, "codegen: LLVM cannot make a target machine for %s (cpu %s)", *triple, cpu);
  return tm;
}

/* ---- driver --------------------------------------------------------------- */
#define GQC_LLVM_PIPELINE "default<O1>"

/* GQC_LLVM_SANITIZE=address (the sanitizer test build sets it, as it sets
 * GQC_CFLAGS for the C backend) instruments objects for the host with
 * AddressSanitizer the way clang -fsanitize=address does: every function
 * defined here carries sanitize_address, and the ASan passes run after the
 * optimiser. Their pipeline was renamed in LLVM 15; the first the LLVM at
 * hand accepts is used. Objects for other targets are left alone (their
 * programs would need that target's ASan runtime). */
static const char *const asan_pipelines[] = {
    "require<asan-globals-md>,asan-module", /* LLVM 14: globals and functions */
    "asan",                                 /* LLVM 15 and later */
};

static bool wants_asan(const gqc_target *t) {
  const char *s = getenv("GQC_LLVM_SANITIZE");
  return t->is_host && s && !strcmp(s, "address");
}

static bool run_pipeline(emitter *e, LLVMTargetMachineRef tm, const char *passes, bool report) {
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  /* the one loop (NAME_tokenize's strlen) would be unrolled 99 times */
  LLVMPassBuilderOptionsSetLoopUnrolling(po, 0);
  LLVMErrorRef err = LLVMRunPasses(e->mod, passes, tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (!err)
    return true;
  char *m = LLVMGetErrorMessage(err);
  if (report)
    gqc_error(e->d, "codegen: LLVM optimiser (%s): %s", passes, m);
  LLVMDisposeErrorMessage(m);
  return false;
}

static bool instrument(emitter *e, LLVMTargetMachineRef tm) {
  for (size_t k = 0; k < sizeof asan_pipelines / sizeof asan_pipelines[0]; k++)
    if (run_pipeline(e, tm, asan_pipelines[k], false))
      return true;
  return gqc_error(e->d, "codegen: this LLVM has no AddressSanitizer pass (GQC_LLVM_SANITIZE)");
}

static bool finish(emitter *e, LLVMTargetMachineRef tm, int kind, const char *path) {
  char *msg = NULL;
  if (LLVMVerifyModule(e->mod, LLVMReturnStatusAction, &msg)) {
    gqc_error(e->d, "codegen: internal error: invalid LLVM module: %s", msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return false;
  }
  LLVMDisposeMessage(msg);
  msg = NULL;
  /* GQC_LLVM_PASSES overrides the pipeline (an `opt -passes=` string, or
   * "none"), for experiments. */
  const char *passes = getenv("GQC_LLVM_PASSES");
  if (!passes)
    passes = GQC_LLVM_PIPELINE;
  if (strcmp(passes, "none") && !run_pipeline(e, tm, passes, true))
    return false;
  if (e->sanitize_address && !instrument(e, tm))
    return false;
  bool failed;
  if (kind == GQC_LLVM_IR)
    failed = LLVMPrintModuleToFile(e->mod, path, &msg);
  else
    failed = LLVMTargetMachineEmitToFile(
        tm, e->mod, (char *)path, kind == GQC_LLVM_ASSEMBLY ? LLVMAssemblyFile : LLVMObjectFile,
        &msg);
  if (failed)
    gqc_error(e->d, "%s: cannot write: %s", path, msg ? msg : "?");
  LLVMDisposeMessage(msg);
  return !failed;
}

bool gqc_emit_llvm(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o, int kind,
                   const char *out_path, gqc_diag *d) {
  if (kind != GQC_LLVM_OBJECT && kind != GQC_LLVM_ASSEMBLY && kind != GQC_LLVM_IR)
    return gqc_error(d, "codegen: unknown LLVM output kind %d", kind);
  gqc_program calls;
  if (!gqc_lower_program(m, &calls, d))
    return false;
  char *triple = NULL, cpu[GQC_CPU_MAX], features[GQC_FEATURES_MAX];
  LLVMTargetMachineRef tm = make_target_machine(t, o->static_reloc, &triple, cpu, features, d);
  if (!tm) {
    LLVMDisposeMessage(triple);
    gqc_program_free(&calls);
    return false;
  }
  emitter e = {.m = m, .o = o, .d = d};
  e.ctx = LLVMContextCreate();
  e.mod = LLVMModuleCreateWithNameInContext(o->name, e.ctx);
  e.b = LLVMCreateBuilderInContext(e.ctx);
  if (o->source)
    LLVMSetSourceFileName(e.mod, o->source, strlen(o->source));
  LLVMSetTarget(e.mod, triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(e.mod, td);
  e.t_void = LLVMVoidTypeInContext(e.ctx);
  e.t_i8 = LLVMInt8TypeInContext(e.ctx);
  e.t_i32 = LLVMInt32TypeInContext(e.ctx);
  e.t_i64 = LLVMInt64TypeInContext(e.ctx);
  e.t_f32 = LLVMFloatTypeInContext(e.ctx);
  e.t_ptr = LLVMPointerType(e.t_i8, 0);
  e.t_size = LLVMIntPtrTypeInContext(e.ctx, td);
  e.nounwind = LLVMCreateEnumAttribute(e.ctx, LLVMGetEnumAttributeKindForName("nounwind", 8), 0);
  e.md_inst = LLVMGetMDKindIDInContext(e.ctx, "gqc.inst", 8);
  e.target_cpu = LLVMCreateStringAttribute(e.ctx, "target-cpu", 10, cpu, (unsigned)strlen(cpu));
  e.target_features =
      LLVMCreateStringAttribute(e.ctx, "target-features", 15, features, (unsigned)strlen(features));
  if (wants_asan(t))
    e.sanitize_address =
        LLVMCreateEnumAttribute(e.ctx, LLVMGetEnumAttributeKindForName("sanitize_address", 16), 0);

  bool ok = build_module(&e, &calls) && finish(&e, tm, kind, out_path);

  LLVMDisposeBuilder(e.b);
  LLVMDisposeModule(e.mod);
  LLVMContextDispose(e.ctx);
  LLVMDisposeTargetData(td);
  LLVMDisposeTargetMachine(tm);
  LLVMDisposeMessage(triple);
  gqc_program_free(&calls);
  return ok;
}

#endif /* GQC_HAVE_LLVM */

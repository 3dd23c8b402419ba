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
 *   @N__weights     the weight blob, in section .gqc.weights (align 64):
 *                   a hidden external [0 x i8] that module-level inline
 *                   assembly defines (gqc_weights_section_asm, the C
 *                   backend's text too) as a local object of the blob's
 *                   size. An object file comes out of LLVM with that section
 *                   empty and gqc_fill_object_weights streams the blob into
 *                   it (the layout gqc_weight_blob_walk defines, which the C
 *                   backend streams to its .weights file); assembly and LLVM
 *                   IR outputs .incbin <base>.weights, written beside them
 *                   (assembly: lines appended to LLVM's text).
 *                   So LLVM never holds the weights, and their size has no
 *                   limit but the ELF format's. Far weights (a gigabyte or
 *                   more) are reached through @N__weights_addr, an
 *                   externally_initialized constant holding their address,
 *                   which the steps load once (as with --weights=file).
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
 *   @N__step        internal void(i32 token, i32 pos, i32 logits): one call per entry of
 *                   @decode's call list. Pointer arguments are constant GEPs
 *                   into the globals; the embedding row is
 *                   weights + offset + sext(token) * row_bytes, or, for a
 *                   packed table (gqcrt_embed_<layout>), the token itself
 *                   is the argument.
 *   @N__prefill_step  internal void(i8* tokens, i32 pos, i32 n, i32 logits),
 *                   when the module has @prefill: its call list, where
 *                   counts n * N are `mul nsw n, N`, a batch's last row is a
 *                   GEP by (n - 1) * row_bytes, and per_row calls sit in a
 *                   loop over r = 0 .. n-1 (GEPs by r * row_bytes); it
 *                   returns before the result's own calls (n_state_calls)
 *                   when `logits` is 0. N_prefill checks its arguments as
 *                   emit_c.c's C does and calls it once per step of at most
 *                   BATCH tokens, with logits = 1 for the last.
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
#include "codegen/model_desc.h"

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

bool gqc_llvm_check_prototypes(gqc_diag *d) {
  (void)d;
  return true;
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
#include "gqcrt_parallel.h"

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
 * Every runtime function generated code calls, with its parameter list as
 * the runtime's header spells it (its GQCRT_SIGNATURE_* macro, stringised):
 * the LLVM types come from that text (gqc_c_param_kinds), so a prototype is
 * written once, in the runtime. All return void. */
typedef struct runtime_proto {
  const char *name, *params;
} runtime_proto;

#define SIGNATURE_TEXT(sig) #sig
#define SIGNATURE(sig) SIGNATURE_TEXT(sig)
#define FN(name) {"gqcrt_" #name, SIGNATURE(GQCRT_SIGNATURE_##name)},

static const runtime_proto runtime_protos[] = {
    /* gqcrt.h */
    FN(rms_norm) FN(layer_norm) FN(causal_conv) FN(add) FN(mul) FN(scale) FN(silu) FN(gelu_tanh)
        FN(softcap) FN(softmax) FN(copy) FN(rope) FN(embed_rows) FN(embed_rows_packed) FN(rope_rows)
    /* gqcrt_parallel.h */
    FN(linear_parallel) FN(gemm_parallel) FN(attention_parallel) FN(unary_parallel)
        FN(binary_parallel) FN(quantize_parallel)
#define GQCRT_OP_KERNEL(op, variant, features)                                                     \
  {"gqcrt_" #op "_" #variant, SIGNATURE(GQCRT_SIGNATURE_##op)},
#include "gqcrt_op_kernels.def"
#undef GQCRT_OP_KERNEL
#define GQCRT_ATTENTION_KERNEL(variant, features)                                                  \
  {"gqcrt_attention_" #variant, SIGNATURE(GQCRT_SIGNATURE_ATTENTION)},
#include "gqcrt_attention_kernels.def"
#undef GQCRT_ATTENTION_KERNEL
#define QUANTIZE(enc) {"gqcrt_quantize_" #enc, SIGNATURE(GQCRT_SIGNATURE_QUANTIZE)},
            QUANTIZE(f16) QUANTIZE(bf16) QUANTIZE(q8_0) QUANTIZE(q8_1) QUANTIZE(q8_k)
#undef QUANTIZE
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  {"gqcrt_dequantize_" #name, SIGNATURE(GQCRT_SIGNATURE_DEQUANTIZE)},
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING
#define GQCRT_LINEAR_KERNEL(wenc, aenc, variant, features)                                         \
  {"gqcrt_linear_" #wenc "_" #variant, SIGNATURE(GQCRT_SIGNATURE_LINEAR)},                         \
      {"gqcrt_gemm_" #wenc "_" #variant, SIGNATURE(GQCRT_SIGNATURE_GEMM)},
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL
#define GQCRT_PACKED_LINEAR_KERNEL(wenc, aenc, packing, variant, features, rows, replaces)         \
  {"gqcrt_linear_" #wenc "_" #packing "_" #variant, SIGNATURE(GQCRT_SIGNATURE_LINEAR)},            \
      {"gqcrt_gemm_" #wenc "_" #packing "_" #variant, SIGNATURE(GQCRT_SIGNATURE_GEMM)},
#define GQCRT_PACKING(wenc, packing, rows)                                                         \
  {"gqcrt_embed_" #wenc "_" #packing, SIGNATURE(GQCRT_SIGNATURE_EMBED_PACKED)},
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKED_LINEAR_KERNEL
#undef GQCRT_PACKING
};
#undef FN

/* Every entry's text is a parameter list: a GQCRT_SIGNATURE_* macro that
 * is not defined here would be its own name. */
bool gqc_llvm_check_prototypes(gqc_diag *d) {
  for (size_t k = 0; k < sizeof runtime_protos / sizeof runtime_protos[0]; k++) {
    char kinds[24], params[512];
    const char *t = runtime_protos[k].params;
    snprintf(params, sizeof params, "%.*s", (int)strlen(t) - 2, t + 1);
    if (t[0] != '(' || !gqc_c_param_kinds(params, kinds, sizeof kinds))
      return gqc_error(d, "codegen: runtime function %s has no readable prototype: %s",
                       runtime_protos[k].name, t);
  }
  return true;
}

static const char *runtime_params(const char *name) {
  for (size_t k = 0; k < sizeof runtime_protos / sizeof runtime_protos[0]; k++)
    if (!strcmp(runtime_protos[k].name, name))
      return runtime_protos[k].params;
  return NULL;
}

/* ---- the emitter ------------------------------------------------------- */
typedef struct emitter {
  const ir_module *m;
  const gqc_target *t;
  const gqc_codegen_options *o;
  gqc_diag *d;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef t_void, t_i8, t_i32, t_i64, t_f32, t_ptr, t_size, t_desc;
  LLVMAttributeRef nounwind, target_cpu, target_features; /* on every defined function */
  LLVMAttributeRef sanitize_address; /* too, when instrumenting (NULL otherwise) */
  unsigned md_inst;                  /* metadata kind "gqc.inst": the IR instruction of a call */
  bool has_vocab;
  /* globals, and their addresses as i8* */
  LLVMValueRef weights, vocab, grammar, arena, attn, scratch;
  LLVMValueRef state; /* the decoder state (gqcrt_model_state) */
  LLVMTypeRef state_type;
  bool weights_via_state; /* the steps read the weights through state.weights (--weights=file,
                           * far weights); wb its value in the step */
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

/* The LLVM type of a C type's kind (gqc_c_type_kind). */
static LLVMTypeRef sig_type(emitter *e, char c) {
  switch (c) {
  case 'v':
    return e->t_void;
  case 'i':
    return e->t_i32;
  case 'f':
    return e->t_f32;
  case 'l':
    return e->t_i64;
  case 'z':
    return e->t_size;
  default:
    return e->t_ptr;
  }
}

/* The parameter kinds of runtime function `name` (gqc_c_param_kinds of its
 * GQCRT_SIGNATURE_*), or false (d set). */
static bool runtime_kinds(emitter *e, const char *name, char *kinds, size_t size) {
  const char *text = runtime_params(name);
  if (!text)
    return gqc_error(e->d, "codegen: no prototype for runtime function %s (emit_llvm.c's list)",
                     name);
  /* "(float *y, ...)" without its parentheses */
  char params[512];
  snprintf(params, sizeof params, "%.*s", (int)strlen(text) - 2, text + 1);
  if (!gqc_c_param_kinds(params, kinds, size))
    return gqc_error(e->d, "codegen: cannot read the parameters of %s: %s", name, text);
  return true;
}

/* The declaration of a runtime function (created on first use). */
static LLVMValueRef runtime_fn(emitter *e, const char *name, LLVMTypeRef *type) {
  char kinds[24];
  if (!runtime_kinds(e, name, kinds, sizeof kinds))
    return NULL;
  LLVMTypeRef types[24];
  int n = 0;
  for (const char *p = kinds; *p; p++)
    types[n++] = sig_type(e, *p);
  *type = LLVMFunctionType(e->t_void, types, (unsigned)n, 0);
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

/* The model's symbol <name>__<suffix> ("model__arena"). */
static const char *model_symbol(const emitter *e, const char *suffix, char *buf, size_t n) {
  snprintf(buf, n, "%s__%s", e->o->name, suffix);
  return buf;
}

static LLVMValueRef add_global(emitter *e, const char *suffix, LLVMTypeRef type, LLVMValueRef init,
                               bool constant, unsigned align) {
  char name[256];
  LLVMValueRef g = LLVMAddGlobal(e->mod, type, model_symbol(e, suffix, name, sizeof name));
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
  LLVMValueRef g = LLVMAddGlobal(e->mod, type, model_symbol(e, suffix, name, sizeof name));
  LLVMSetLinkage(g, LLVMExternalLinkage);
  LLVMSetVisibility(g, LLVMHiddenVisibility);
  LLVMSetAlignment(g, align);
  return g;
}

/* ---- data ---------------------------------------------------------------- */
/* The weights: with --weights=file a pointer global (set by N_init_weights);
 * else the symbol that gqc_weights_section_asm's text defines, as a hidden
 * external (its bytes come from `incbin`, or for objects and assembly from
 * gqc_emit_llvm afterwards), plus for far weights the pointer the steps read
 * it through. */
static bool emit_weights(emitter *e, const char *incbin) {
  if (e->o->weights_external) { /* read through state.weights, set by N_init_weights */
    e->weights_via_state = true;
    return true;
  }
  char *text[2] = {gqc_weights_section_asm(e->m, e->o, e->t),
                   incbin ? gqc_weights_incbin_asm(incbin) : NULL};
  for (int k = 0; k < 2; k++)
    if (text[k])
      LLVMAppendModuleInlineAsm(e->mod, text[k], strlen(text[k]));
  bool ok = text[0] && (text[1] || !incbin);
  free(text[0]);
  free(text[1]);
  if (!ok)
    return gqc_error(e->d, "codegen: out of memory");
  e->weights = add_section_symbol(e, "weights", LLVMArrayType(e->t_i8, 0), 64);
  /* far weights: read through state.weights, which N_init sets from the
   * descriptor's absolute address, never folded into PC-relative ones */
  e->weights_via_state = gqc_weights_far(e->m, e->o);
  return true;
}

/* A read-only blob N__<name>, 64-byte aligned, in section .rodata.N__<name>
 * (followed by a NUL unless no_nul); NULL (d set) when too large. */
static LLVMValueRef rodata_blob(emitter *e, const char *name, const void *data, uint64_t size,
                                bool no_nul) {
  if (size > UINT32_MAX - 64u)
    return gqc_error(e->d, "codegen: %s blob too large (%" PRIu64 " bytes)", name, size), NULL;
  LLVMValueRef init = LLVMConstStringInContext(e->ctx, (const char *)data, (unsigned)size, no_nul);
  LLVMValueRef g = add_global(e, name, LLVMTypeOf(init), init, true, 64);
  char section[300];
  snprintf(section, sizeof section, ".rodata.%s__%s", e->o->name, name);
  LLVMSetSection(g, section);
  return g;
}

/* The grammar's token automaton (--grammar / --tools). */
static bool emit_grammar(emitter *e) {
  const ir_module *m = e->m;
  return !m->grammar ||
         (e->grammar = rodata_blob(e, "grammar", m->grammar, m->grammar_bytes, true)) != NULL;
}

static bool emit_vocab(emitter *e) {
  const ir_module *m = e->m;
  e->has_vocab = m->vocab_bytes != 0;
  if (!e->has_vocab)
    return true;
  if (!m->vocab)
    return gqc_error(e->d, "codegen: the module has vocab_bytes but no vocabulary blob");
  /* not DontNullTerminate: the blob is followed by a NUL, as in emit_c.c */
  if (!(e->vocab = rodata_blob(e, "vocab", m->vocab, m->vocab_bytes, false)))
    return false;
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
    if (e->o->export_arena) /* global: gqc reads the KV cache of a JIT run (driver/prefix.c) */
      LLVMSetLinkage(e->arena, LLVMExternalLinkage);
  }
  return true;
}

/* ---- the state, the descriptor and the API (model_desc.h) ------------------- */

/* The decoder state: gqcrt_model_state, zero-initialised. */
static bool emit_state(emitter *e) {
  LLVMTypeRef fields[16];
  if (gqc_n_state_fields > 16)
    return gqc_error(e->d, "codegen: the decoder state has too many fields");
  for (int k = 0; k < gqc_n_state_fields; k++) {
    const char kind = gqc_c_type_kind(gqc_state_fields[k].c_type);
    if (!kind || kind == 'v')
      return gqc_error(e->d, "codegen: cannot lay out state field %s (%s)",
                       gqc_state_fields[k].name, gqc_state_fields[k].c_type);
    fields[k] = sig_type(e, kind);
  }
  e->state_type = LLVMStructTypeInContext(e->ctx, fields, (unsigned)gqc_n_state_fields, 0);
  e->state = add_global(e, "state", e->state_type, LLVMConstNull(e->state_type), false, 8);
  return true;
}

/* The value of state field `name` (a pointer), loaded in the current block. */
static LLVMValueRef load_state_ptr(emitter *e, const char *name) {
  const int k = gqc_state_field_index(name);
  LLVMValueRef field = LLVMBuildStructGEP2(e->b, e->state_type, e->state, (unsigned)k, name);
  return LLVMBuildLoad2(e->b, e->t_ptr, field, name);
}

static void emit_attention_descs(emitter *e, const gqc_program *calls) {
  /* struct gqcrt_attention_desc { int32_t x6; float scale, softcap; int32_t x2;
   * const void *prefix_k, *prefix_v; } (the pointers NULL: gqcrt.h) */
  e->t_desc = LLVMStructCreateNamed(e->ctx, "gqcrt_attention_desc");
  LLVMTypeRef fields[12] = {e->t_i32, e->t_i32, e->t_i32, e->t_i32, e->t_i32, e->t_i32,
                            e->t_f32, e->t_f32, e->t_i32, e->t_i32, e->t_ptr, e->t_ptr};
  LLVMStructSetBody(e->t_desc, fields, 12, 0);
  e->n_descs = calls->n_descs;
  if (!calls->n_descs)
    return;
  LLVMValueRef *items = calloc((size_t)calls->n_descs, sizeof *items);
  if (!items)
    return;
  for (int k = 0; k < calls->n_descs; k++) {
    const gqc_attn_desc *a = &calls->descs[k];
    LLVMValueRef v[12] = {i32c(e, a->n_head),
                          i32c(e, a->n_head_kv),
                          i32c(e, a->head_dim),
                          i32c(e, a->cache_rows),
                          i32c(e, a->window),
                          i32c(e, a->kv_type),
                          LLVMConstReal(e->t_f32, a->scale),
                          LLVMConstReal(e->t_f32, a->softcap),
                          i32c(e, a->n_prefix),
                          i32c(e, a->prefix_first),
                          LLVMConstNull(e->t_ptr),
                          LLVMConstNull(e->t_ptr)};
    items[k] = LLVMConstNamedStruct(e->t_desc, v, 12);
  }
  LLVMValueRef init = LLVMConstArray(e->t_desc, items, (unsigned)calls->n_descs);
  free(items);
  e->attn_type = LLVMTypeOf(init);
  e->attn = add_global(e, "attn", e->attn_type, init, true, 8);
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

/* W(offset): a constant GEP into the blob, or (--weights=file, far weights)
 * wb + offset. */
static LLVMValueRef weight_ptr(emitter *e, int64_t offset) {
  if (!e->weights_via_state)
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
    return load_state_ptr(e, "executor");
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
  char kinds[24];
  if (!runtime_kinds(e, c->fn, kinds, sizeof kinds))
    return false;
  bool match = (int)strlen(kinds) == c->n_args;
  for (int a = 0; match && a < c->n_args; a++)
    match = kinds[a] == arg_sig(c->args[a].kind);
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
 *   decode:  void N__step(int32_t token, int32_t pos, int32_t logits)
 *            (if (!logits) return; before the lm_head, when it has one)
 *   prefill: void N__prefill_step(const int32_t *tokens, int32_t pos, int32_t n,
 *                                 int32_t logits)
 *            (if (!logits) return; before the calls only the result needs) */
static bool emit_step(emitter *e, const gqc_call_list *calls, bool batched) {
  LLVMTypeRef params[4] = {batched ? e->t_ptr : e->t_i32, e->t_i32, e->t_i32, e->t_i32};
  LLVMTypeRef type = LLVMFunctionType(e->t_void, params, batched ? 4 : 3, 0);
  char name[256];
  model_symbol(e, batched ? "prefill_step" : "step", name, sizeof name);
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
  /* const unsigned char *const wb = state.weights; */
  if (e->weights_via_state)
    e->wb = load_state_ptr(e, "weights");
  for (int k = 0; k < calls->n_calls; k++) {
    const gqc_call *c = &calls->calls[k];
    if (k == (batched ? calls->n_state_calls : calls->lm_head_call)) {
      LLVMValueRef logits = LLVMGetParam(f, batched ? 3 : 2);
      LLVMSetValueName2(logits, "logits", 6);
      LLVMBasicBlockRef stop = new_block(e, f, "state_done"), rest = new_block(e, f, "result");
      LLVMBuildCondBr(e->b, LLVMBuildICmp(e->b, LLVMIntEQ, logits, i32c(e, 0), ""), stop, rest);
      LLVMPositionBuilderAtEnd(e->b, stop);
      LLVMBuildRetVoid(e->b);
      LLVMPositionBuilderAtEnd(e->b, rest);
    }
    if (!(c->per_row ? emit_row_loop(e, f, c, sv) : emit_call(e, c, &sv)))
      return false;
  }
  LLVMBuildRetVoid(e->b);
  return true;
}

/* The descriptor N__model: gqcrt_model, constant, its values from
 * gqc_model_desc in the runtime's field order. */
static LLVMValueRef emit_descriptor(emitter *e, const gqc_program *calls) {
  gqc_desc_field f[GQC_MAX_DESC_FIELDS];
  const int n = gqc_model_desc(e->m, calls, e->o, f, e->d);
  if (n < 0)
    return NULL;
  LLVMTypeRef types[GQC_MAX_DESC_FIELDS];
  LLVMValueRef values[GQC_MAX_DESC_FIELDS];
  for (int k = 0; k < n; k++) {
    const char kind = gqc_c_type_kind(f[k].c_type);
    if (!kind || kind == 'v') {
      gqc_error(e->d, "codegen: cannot lay out descriptor field %s (%s)", f[k].name, f[k].c_type);
      return NULL;
    }
    types[k] = sig_type(e, kind);
    LLVMValueRef null = LLVMConstNull(e->t_ptr);
    switch (f[k].kind) {
    case GQC_DESC_INT:
      values[k] = LLVMConstInt(types[k], (unsigned long long)f[k].i, 1);
      break;
    case GQC_DESC_NULL:
      values[k] = null;
      break;
    case GQC_DESC_ARENA:
      values[k] = byte_ptr(e, e->arena, f[k].i);
      break;
    case GQC_DESC_WEIGHTS:
      values[k] = e->weights ? byte_base(e, e->weights) : null;
      break;
    case GQC_DESC_VOCAB:
      values[k] = e->vocab ? byte_base(e, e->vocab) : null;
      break;
    case GQC_DESC_GRAMMAR:
      values[k] = e->grammar ? byte_base(e, e->grammar) : null;
      break;
    case GQC_DESC_FN: {
      LLVMTypeRef ft;
      LLVMValueRef fn = runtime_fn(e, f[k].sym, &ft);
      if (!fn)
        return NULL;
      values[k] = LLVMConstBitCast(fn, e->t_ptr);
      break;
    }
    case GQC_DESC_TOK_SCRATCH:
      values[k] = e->scratch ? byte_base(e, e->scratch) : null;
      break;
    case GQC_DESC_STATE:
      values[k] = byte_base(e, e->state);
      break;
    case GQC_DESC_STEP:
      values[k] = LLVMConstBitCast(e->step, e->t_ptr);
      break;
    case GQC_DESC_PREFILL_STEP:
      values[k] = e->prefill_step ? LLVMConstBitCast(e->prefill_step, e->t_ptr) : null;
      break;
    }
  }
  LLVMTypeRef t = LLVMStructTypeInContext(e->ctx, types, (unsigned)n, 0);
  return add_global(e, "model", t, LLVMConstNamedStruct(t, values, (unsigned)n), true, 8);
}

/* The API: every function of gqc_model_api as
 *   ret N_<name>(params) { return gqcrt_model_<name>(&N__model, params); } */
static bool emit_api(emitter *e, const gqc_program *calls) {
  LLVMValueRef desc = emit_descriptor(e, calls);
  if (!desc)
    return false;
  gqc_api_fn api[GQC_MAX_API];
  const int na = gqc_model_api(e->m, e->o, api);
  for (int k = 0; k < na; k++) {
    char kinds[16];
    const char ret = gqc_c_type_kind(api[k].ret);
    if (!ret || !gqc_c_param_kinds(api[k].params, kinds, sizeof kinds))
      return gqc_error(e->d, "codegen: cannot spell API function %s (%s; %s)", api[k].name,
                       api[k].ret, api[k].params);
    const int np = (int)strlen(kinds);
    LLVMTypeRef params[17];
    for (int i = 0; i < np; i++)
      params[i + 1] = sig_type(e, kinds[i]);
    params[0] = e->t_ptr; /* the runtime's: the descriptor first */
    LLVMTypeRef rt = LLVMFunctionType(sig_type(e, ret), params, (unsigned)np + 1, 0);
    char rname[128];
    snprintf(rname, sizeof rname, "gqcrt_model_%s", api[k].name);
    LLVMValueRef rf = LLVMGetNamedFunction(e->mod, rname);
    if (!rf) {
      rf = LLVMAddFunction(e->mod, rname, rt);
      LLVMAddAttributeAtIndex(rf, LLVMAttributeFunctionIndex, e->nounwind);
    }
    LLVMValueRef f = begin_api(e, api[k].name, sig_type(e, ret), params + 1, np);
    LLVMValueRef args[17];
    args[0] = byte_base(e, desc);
    for (int i = 0; i < np; i++)
      args[i + 1] = LLVMGetParam(f, (unsigned)i);
    LLVMValueRef r = LLVMBuildCall2(e->b, rt, rf, args, (unsigned)np + 1, "");
    if (ret == 'v')
      LLVMBuildRetVoid(e->b);
    else
      LLVMBuildRet(e->b, r);
  }
  return true;
}

static bool build_module(emitter *e, const gqc_program *calls, const char *incbin) {
  const gqc_arg *results[2] = {&calls->decode.result, &calls->prefill.result};
  for (int k = 0; k < (calls->prefill.func ? 2 : 1); k++)
    if ((results[k]->kind != GQC_ARG_ARENA && results[k]->kind != GQC_ARG_ARENA_LAST_ROW) ||
        (k == 0 && results[k]->kind != GQC_ARG_ARENA) || results[k]->offset < 0 ||
        results[k]->offset > e->m->arena_bytes)
      return gqc_error(e->d, "codegen: the logits lie outside the arena");
  if (e->o->arena_section && !gqc_valid_section_name(e->o->arena_section))
    return gqc_error(e->d, "codegen: '%s' is not a valid section name", e->o->arena_section);
  if (!emit_weights(e, incbin) || !emit_vocab(e) || !emit_grammar(e) || !emit_arena(e) ||
      !emit_state(e))
    return false;
  emit_attention_descs(e, calls);
  if (calls->n_descs && !e->attn)
    return gqc_error(e->d, "codegen: out of memory");
  if (!emit_step(e, &calls->decode, false) ||
      (calls->prefill.func && !emit_step(e, &calls->prefill, true)))
    return false;
  return emit_api(e, calls) && !e->d->failed;
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
 * programs would need that target's ASan runtime), and so is the object gqc
 * runs in itself (export_arena, codegen/jit.h): ORC's linker does not define
 * the __start/__stop_asan_globals section bounds its registration needs. */
static const char *const asan_pipelines[] = {
    "require<asan-globals-md>,asan-module", /* LLVM 14: globals and functions */
    "asan",                                 /* LLVM 15 and later */
};

static bool wants_asan(const gqc_target *t, const gqc_codegen_options *o) {
  const char *s = getenv("GQC_LLVM_SANITIZE");
  return t->is_host && !o->export_arena && s && !strcmp(s, "address");
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

/* Appends gqc_weights_incbin_asm's lines for `file` to the assembly at path. */
static bool append_incbin(const char *path, const char *file, gqc_diag *d) {
  char *text = gqc_weights_incbin_asm(file);
  FILE *f = text ? fopen(path, "a") : NULL;
  bool ok = f && fputs(text, f) >= 0;
  if (f && fclose(f) != 0)
    ok = false;
  free(text);
  return ok || gqc_error(d, "%s: write failed", path);
}

bool gqc_emit_llvm(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o, int kind,
                   const char *out_path, gqc_diag *d) {
  if (kind != GQC_LLVM_OBJECT && kind != GQC_LLVM_ASSEMBLY && kind != GQC_LLVM_IR)
    return gqc_error(d, "codegen: unknown LLVM output kind %d", kind);
  if (kind != GQC_LLVM_OBJECT && !o->weights_external && (!o->out_dir || !o->base))
    return gqc_error(d, "codegen: %s: no directory and base name for its weight blob", out_path);
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
  emitter e = {.m = m, .t = t, .o = o, .d = d};
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
  if (wants_asan(t, o))
    e.sanitize_address =
        LLVMCreateEnumAttribute(e.ctx, LLVMGetEnumAttributeKindForName("sanitize_address", 16), 0);

  /* An object's weight section is filled in afterwards; LLVM IR and
   * assembly pull in <base>.weights, written beside them (in assembly the
   * .incbin is appended to LLVM's text: LLVM would read the file itself). */
  char incbin[4200], blob_path[4096];
  gqc_blob_incbin_name(o, "weights", incbin, sizeof incbin);
  snprintf(blob_path, sizeof blob_path, "%s/%s.weights", o->out_dir, o->base);
  bool embedded = !o->weights_external;
  bool ok = build_module(&e, &calls, embedded && kind == GQC_LLVM_IR ? incbin : NULL) &&
            finish(&e, tm, kind, out_path);
  if (ok && embedded && kind == GQC_LLVM_OBJECT)
    ok = gqc_fill_object_weights(m, out_path, d);
  else if (ok && embedded)
    ok = gqc_write_weight_blob(m, blob_path, d) &&
         (kind != GQC_LLVM_ASSEMBLY || append_incbin(out_path, incbin, d));

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

/* codegen.h — from a planned IR module to files a firmware build consumes.
 *
 * Every backend writes the same API (the header from gqc_emit_header):
 *   <name>_init, _reset, _decode, _n_vocab, _n_ctx, _tokenize, _token_text,
 *   _token_piece, _bos, _eos, _is_eog, _last_error
 * and the same data: the weight blob (weights at their planned offsets, in
 * the read-only section .gqc.weights, 64-byte aligned), the vocabulary blob,
 * and the arena in .bss. Backends read only the IR (and the target).
 */
#ifndef GQC_CODEGEN_H
#define GQC_CODEGEN_H

#include "ir/ir.h"
#include "ir/target.h"

typedef struct gqc_codegen_options {
  const char *name;       /* API prefix, a C identifier: "model" */
  const char *out_dir;    /* directory for the outputs */
  const char *base;       /* file stem: <base>.c, <base>.h, <base>.weights, <base>.vocab */
  const char *source;     /* what was compiled, for comments: "stories260K.gguf (llama)" */
  int64_t max_text_bytes; /* longest text <name>_tokenize accepts */
  bool static_reloc;      /* objects: position-dependent code (default: PIC) */
} gqc_codegen_options;

/* <out_dir>/<base>.h */
bool gqc_emit_header(const ir_module *m, const gqc_codegen_options *o, gqc_diag *d);
/* <out_dir>/<base>.c plus the blobs it includes (<base>.weights, <base>.vocab). */
bool gqc_emit_c(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o,
                gqc_diag *d);
/* The weights laid out at their planned offsets (zero padding between). */
bool gqc_write_weight_blob(const ir_module *m, const char *path, gqc_diag *d);
/* The same bytes into buf, which holds m->weight_bytes bytes. */
bool gqc_weight_blob_fill(const ir_module *m, void *buf, gqc_diag *d);
/* The layout both use: calls sink with consecutive pieces of the blob, in
 * order (data NULL = n zero bytes). `what` names the output in messages.
 * Fails (with d set) on an unplanned module, a weight without data, or
 * offsets out of order or outside m->weight_bytes. */
typedef bool (*gqc_blob_sink)(void *ctx, const void *data, uint64_t n);
bool gqc_weight_blob_walk(const ir_module *m, gqc_blob_sink sink, void *ctx, const char *what,
                          gqc_diag *d);
/* The vocabulary blob (an empty file when the module has none). */
bool gqc_write_vocab_blob(const ir_module *m, const char *path, gqc_diag *d);
/* Bytes of tokenizer scratch the generated code reserves. */
uint64_t gqc_tokenize_scratch_bytes(const ir_module *m, const gqc_codegen_options *o);
/* Upper-case copy of the prefix for macros ("model" -> "MODEL"). */
void gqc_macro_prefix(const char *name, char *buf, size_t size);

#endif

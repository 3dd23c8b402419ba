/* emit_llvm.h — the LLVM backend: an object file, assembly or LLVM IR made
 * from a planned module through the LLVM-C API, with no C compiler involved.
 * The result has the same API, data layout and behaviour as the C backend's
 * (codegen.h); see emit_llvm.c.
 */
#ifndef GQC_EMIT_LLVM_H
#define GQC_EMIT_LLVM_H

#include "codegen/codegen.h"

typedef enum gqc_llvm_output {
  GQC_LLVM_OBJECT,   /* relocatable ELF object (.o) */
  GQC_LLVM_ASSEMBLY, /* target assembly (.s) */
  GQC_LLVM_IR,       /* textual LLVM IR (.ll) */
} gqc_llvm_output;

/* True when gqc was built with LLVM (otherwise gqc_emit_llvm fails with a
 * message saying so). */
bool gqc_llvm_available(void);
/* "14.0.6", or "none". */
const char *gqc_llvm_version(void);

/* Writes the module for target t to out_path as `kind` (a gqc_llvm_output).
 * The header is not written here (gqc_emit_header). */
bool gqc_emit_llvm(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o, int kind,
                   const char *out_path, gqc_diag *d);

/* True when every runtime function the backend may call has a prototype
 * it can read (its GQCRT_SIGNATURE_* text); false with a message naming the
 * first that has none. Always true without LLVM. */
bool gqc_llvm_check_prototypes(gqc_diag *d);

#endif

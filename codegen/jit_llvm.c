/* jit_llvm.c — jit.h through LLVM's ORC LLJIT (LLVM-C, available from
 * LLVM 13 on): the object is added as it is (RuntimeDyld links it in
 * memory), and a process-symbol generator resolves what it imports from
 * gqc's exported symbols. */
#include "codegen/jit.h"

#include <stdlib.h>

#ifndef GQC_HAVE_LLVM

gqc_jit *gqc_jit_load_object(const char *path, gqc_diag *d) {
  gqc_error(d, "%s: this gqc was built without LLVM: it cannot run a model at compile time", path);
  return NULL;
}
void *gqc_jit_lookup(gqc_jit *j, const char *name, gqc_diag *d) {
  (void)j;
  gqc_error(d, "%s: no JIT (built without LLVM)", name);
  return NULL;
}
void gqc_jit_free(gqc_jit *j) {
  (void)j;
}

#else

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>

struct gqc_jit {
  LLVMOrcLLJITRef jit;
};

/* Reports and consumes an LLVM error. */
static bool llvm_failed(LLVMErrorRef e, const char *what, gqc_diag *d) {
  if (!e)
    return false;
  char *msg = LLVMGetErrorMessage(e);
  gqc_error(d, "JIT: %s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return true;
}

gqc_jit *gqc_jit_load_object(const char *path, gqc_diag *d) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  gqc_jit *j = calloc(1, sizeof *j);
  if (!j) {
    gqc_error(d, "JIT: out of memory");
    return NULL;
  }
  LLVMMemoryBufferRef buf = NULL;
  char *msg = NULL;
  if (LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &msg)) {
    gqc_error(d, "JIT: cannot read %s: %s", path, msg ? msg : "?");
    LLVMDisposeMessage(msg);
    free(j);
    return NULL;
  }
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  if (llvm_failed(LLVMOrcCreateLLJIT(&j->jit, NULL), "creating the JIT", d)) {
    LLVMDisposeMemoryBuffer(buf);
    free(j);
    return NULL;
  }
  const char prefix = LLVMOrcLLJITGetGlobalPrefix(j->jit);
  if (llvm_failed(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, prefix, NULL, NULL),
                  "resolving against gqc's runtime", d)) {
    LLVMDisposeMemoryBuffer(buf);
    gqc_jit_free(j);
    return NULL;
  }
  LLVMOrcJITDylibRef main = LLVMOrcLLJITGetMainJITDylib(j->jit);
  LLVMOrcJITDylibAddGenerator(main, gen);
  /* (the JIT owns buf from here, whatever the result) */
  if (llvm_failed(LLVMOrcLLJITAddObjectFile(j->jit, main, buf), path, d)) {
    gqc_jit_free(j);
    return NULL;
  }
  return j;
}

void *gqc_jit_lookup(gqc_jit *j, const char *name, gqc_diag *d) {
  LLVMOrcExecutorAddress addr = 0;
  if (llvm_failed(LLVMOrcLLJITLookup(j->jit, &addr, name), name, d))
    return NULL;
  if (!addr)
    gqc_error(d, "JIT: %s has no address", name);
  return (void *)(uintptr_t)addr;
}

void gqc_jit_free(gqc_jit *j) {
  if (!j)
    return;
  if (j->jit)
    LLVMConsumeError(LLVMOrcDisposeLLJIT(j->jit));
  free(j);
}

#endif

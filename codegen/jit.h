/* jit.h — running an object gqc made for the host, inside gqc (LLVM ORC).
 *
 * The compiler runs a model once at compile time to compute a prompt
 * prefix's KV cache (driver/prefix.c): it compiles the model for the host,
 * as an ordinary object, and loads that object into its own process with
 * LLVM's ORC JIT linker. The object's undefined symbols (gqcrt_* runtime
 * functions, memcpy, expf, ...) resolve to gqc's own copies: gqc links the
 * whole host runtime and exports its symbols (driver/CMakeLists.txt), so the
 * computation runs the runtime's kernels, the same code a hosted program
 * linking libgqcrt runs. No C compiler or linker is needed.
 */
#ifndef GQC_JIT_H
#define GQC_JIT_H

#include "ir/diag.h"

typedef struct gqc_jit gqc_jit;

/* Loads the relocatable object at path; NULL with d set on failure (or when
 * gqc was built without LLVM). */
gqc_jit *gqc_jit_load_object(const char *path, gqc_diag *d);
/* The address of a global symbol of the object, or NULL with d set. */
void *gqc_jit_lookup(gqc_jit *j, const char *name, gqc_diag *d);
/* Unloads the object (its code and data are gone). */
void gqc_jit_free(gqc_jit *j);

#endif

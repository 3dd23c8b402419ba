/* xalloc.h — allocations that cannot fail quietly.
 *
 * The compiler's allocations are bounded by its inputs (docs/untrusted-
 * input.md), so running out of memory means the machine (or ulimit -v) is
 * too small for this input. These wrappers then stop the process with one
 * message that says what was being allocated and how much, exit status 1,
 * like any other input gqc cannot compile:
 *   gqc: error: out of memory: cannot allocate 1.5 GiB (1610612736 bytes) for the weight blob
 */
#ifndef GQC_SUPPORT_XALLOC_H
#define GQC_SUPPORT_XALLOC_H

#include <stddef.h>
#include <stdint.h>

void *gqc_xmalloc(size_t n, const char *what);
void *gqc_xcalloc(size_t count, size_t size, const char *what);
void *gqc_xrealloc(void *p, size_t n, const char *what);
/* Room for `need` elements of `size` bytes in the growable array arr, which
 * has room for *cap: arr itself when it has, else arr reallocated to the
 * first of first, 2 first, 4 first, ... (or of 2 *cap, 4 *cap, ...) that
 * holds need, *cap set to it. gqc_grow returns NULL when that fails (arr
 * and *cap unchanged); gqc_xgrow then stops the process, as gqc_xrealloc. */
void *gqc_grow(void *arr, size_t size, int *cap, int need, int first);
void *gqc_xgrow(void *arr, size_t size, int *cap, int need, int first, const char *what);
/* Stops the process with the out-of-memory message for n bytes of `what`. */
_Noreturn void gqc_out_of_memory(uint64_t n, const char *what);
/* "4.0 GiB (4294967296 bytes)", "512 bytes": a size for a message. */
const char *gqc_format_bytes(uint64_t n, char *buf, size_t size);

#endif

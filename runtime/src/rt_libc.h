/* rt_libc.h — the C library functions the runtime uses, in one place.
 *
 * The runtime needs very little from the platform: two memory functions and
 * six single-precision maths functions,
 *
 *   memcpy memset                         (<string.h>)
 *   expf tanhf sinf cosf powf sqrtf       (<math.h>)
 *
 * plus what a freestanding C11 compiler provides itself (<stddef.h>,
 * <stdint.h>, <float.h>, the NEON intrinsics). Every runtime source that
 * needs one of the eight includes this file, never <string.h> or <math.h>.
 *
 * Hosted builds (the default) take the declarations from the C library's
 * headers. A freestanding build (CMake option GQC_RUNTIME_FREESTANDING,
 * which compiles with -ffreestanding -nostdinc and defines
 * GQCRT_FREESTANDING) has no C library headers at all, so the declarations
 * are written out here and the firmware supplies the definitions at link
 * time (newlib, picolibc, or its own; see runtime/README.md). The calls go
 * through the compiler's __builtin_ names: -ffreestanding implies
 * -fno-builtin, which would otherwise turn every fixed-size memcpy (the
 * type-punning loads of fp16 and block fields) into a real call; with the
 * builtins they stay single loads, and sqrtf stays one instruction.
 */
#ifndef GQCRT_RT_LIBC_H
#define GQCRT_RT_LIBC_H

#ifdef GQCRT_FREESTANDING

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
float expf(float x);
float tanhf(float x);
float sinf(float x);
float cosf(float x);
float powf(float x, float y);
float sqrtf(float x);

#define memcpy(dst, src, n) __builtin_memcpy(dst, src, n)
#define memset(dst, c, n) __builtin_memset(dst, c, n)
#define expf(x) __builtin_expf(x)
#define tanhf(x) __builtin_tanhf(x)
#define sinf(x) __builtin_sinf(x)
#define cosf(x) __builtin_cosf(x)
#define powf(x, y) __builtin_powf(x, y)
#define sqrtf(x) __builtin_sqrtf(x)

#ifndef INFINITY
#define INFINITY (__builtin_inff())
#endif

#else

#include <math.h>
#include <string.h>

#endif

#endif

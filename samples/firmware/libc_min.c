/* libc_min.c — the few C library pieces a gqc model needs besides libm, for
 * a program linked without a C library: memcpy and memset (called by the
 * runtime and the generated code), and errno, which a libm sets on range
 * errors (glibc's and picolibc's keep it thread-local; firmware.ld and
 * board_startup give it a TLS block). A board's own C library (newlib,
 * picolibc, ...) provides all of these instead.
 *
 * Compiled with -fno-builtin -fno-tree-loop-distribute-patterns (Makefile)
 * so the compiler does not turn these loops back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>

_Thread_local int errno;

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  /* 8 bytes at a time when both are 8-byte aligned (the runtime's copies
   * are rows of floats and KV-cache entries). */
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8)
      *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
  }
  for (; n > 0; n--)
    *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  if (((uintptr_t)d & 7) == 0) {
    uint64_t v = (unsigned char)c * 0x0101010101010101ull;
    for (; n >= 8; n -= 8, d += 8)
      *(uint64_t *)(void *)d = v;
  }
  for (; n > 0; n--)
    *d++ = (unsigned char)c;
  return dst;
}

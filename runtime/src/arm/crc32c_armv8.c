/* crc32c_armv8.c — CRC-32C with the ARMv8 CRC32C instructions (AArch64).
 *
 * CRC32CX takes eight bytes per instruction. The CRC extension is optional
 * in armv8.0-a and mandatory from armv8.1-a; CMake compiles this directory
 * for armv8.2-a (the Cortex-A55 board), so it is always used there. The one
 * dependency chain limits it to about 8 bytes per CRC latency (2-3 cycles on
 * the A55): faster than any flash or DRAM the blob is read from.
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "crc32c.h"
#include "rt_libc.h"

uint32_t gqcrt_crc32c_armv8(uint32_t crc, const void *data, size_t n) {
  const unsigned char *p = data;
  uint32_t c = ~crc;
  for (; n && ((uintptr_t)p & 7); n--)
    c = __crc32cb(c, *p++);
  for (; n >= 32; n -= 32, p += 32) {
    uint64_t w[4];
    memcpy(w, p, sizeof w);
    c = __crc32cd(c, w[0]);
    c = __crc32cd(c, w[1]);
    c = __crc32cd(c, w[2]);
    c = __crc32cd(c, w[3]);
  }
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    memcpy(&w, p, sizeof w);
    c = __crc32cd(c, w);
  }
  for (; n; n--)
    c = __crc32cb(c, *p++);
  return ~c;
}

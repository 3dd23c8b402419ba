/* crc32c.h — the CRC-32C implementations behind gqcrt_crc32c().
 *
 * All compute the same function (reflected polynomial 0x82F63B78, initial
 * and final inversion, chained through `crc` as gqcrt_blob.h describes):
 * a byte-table loop everywhere, the SSE4.2 CRC32 instruction on x86-64
 * (runtime/src/x86/crc32c_sse42.c, chosen at run time by CPUID) and the
 * ARMv8 CRC32C instructions on AArch64 (runtime/src/arm/crc32c_armv8.c,
 * always: armv8.1-a and later have them).
 */
#ifndef GQCRT_CRC32C_H
#define GQCRT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t gqcrt_crc32c_portable(uint32_t crc, const void *data, size_t n);
#if defined(__x86_64__)
uint32_t gqcrt_crc32c_sse42(uint32_t crc, const void *data, size_t n);
#endif
#if defined(__aarch64__)
uint32_t gqcrt_crc32c_armv8(uint32_t crc, const void *data, size_t n);
#endif

#endif

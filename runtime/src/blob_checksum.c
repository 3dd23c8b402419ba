/* blob_checksum.c — CRC-32C and the weight-blob check of gqcrt_blob.h.
 *
 * gqcrt_crc32c() picks the fastest implementation of crc32c.h for the CPU;
 * the portable one is a byte-at-a-time table loop whose 1 KiB table is a
 * compile-time constant (no initialisation, nothing written at run time).
 * gqcrt_weights_check() is everything <name>_init_weights() and
 * <name>_verify_weights() check, so both of gqc's backends only call it.
 */
#include "gqcrt_blob.h"

#include "crc32c.h"
#include "gqcrt.h"

/* The table entry for byte n: eight steps of the bitwise reflected CRC. */
#define CRC32C_POLY 0x82F63B78u
#define CRC_STEP(c) (((c) >> 1) ^ (CRC32C_POLY & (0u - ((c)&1u))))
#define CRC_ENTRY(n)                                                                               \
  CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP((uint32_t)(n)))))))))
#define CRC_4(n) CRC_ENTRY(n), CRC_ENTRY((n) + 1), CRC_ENTRY((n) + 2), CRC_ENTRY((n) + 3)
#define CRC_16(n) CRC_4(n), CRC_4((n) + 4), CRC_4((n) + 8), CRC_4((n) + 12)
#define CRC_64(n) CRC_16(n), CRC_16((n) + 16), CRC_16((n) + 32), CRC_16((n) + 48)

static const uint32_t crc32c_table[256] = {CRC_64(0), CRC_64(64), CRC_64(128), CRC_64(192)};

uint32_t gqcrt_crc32c_portable(uint32_t crc, const void *data, size_t n) {
  const unsigned char *p = data;
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; i++)
    c = crc32c_table[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
  return ~c;
}

/* GQCRT_HAVE_*_SOURCES: runtime/CMakeLists.txt compiles src/x86 or src/arm. */
uint32_t gqcrt_crc32c(uint32_t crc, const void *data, size_t n) {
#if defined(__aarch64__) && defined(GQCRT_HAVE_ARM_SOURCES)
  return gqcrt_crc32c_armv8(crc, data, n);
#else
#if defined(__x86_64__) && defined(GQCRT_HAVE_X86_SOURCES)
  if (__builtin_cpu_supports("sse4.2"))
    return gqcrt_crc32c_sse42(crc, data, n);
#endif
  return gqcrt_crc32c_portable(crc, data, n);
#endif
}

/* n bytes may exceed size_t on a 32-bit target: feed them in pieces. */
static uint32_t crc_range(uint32_t crc, const unsigned char *p, uint64_t n) {
  const size_t chunk = (size_t)1 << 30;
  while (n > chunk) {
    crc = gqcrt_crc32c(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return gqcrt_crc32c(crc, p, (size_t)n);
}

uint32_t gqcrt_weights_crc32c(const void *blob, uint64_t size, int full) {
  const unsigned char *p = blob;
  if (full)
    return crc_range(0, p, size);
  uint64_t head = gqcrt_weights_quick_head(size), tail = gqcrt_weights_quick_tail(size);
  return crc_range(crc_range(0, p, head), p + tail, size - tail);
}

int gqcrt_weights_check(const void *blob, uint64_t size, uint64_t want_bytes, uint32_t want_crc,
                        int full) {
  if (!blob)
    return GQCRT_ERR_NULL;
  if (size != want_bytes || ((uintptr_t)blob & (GQCRT_WEIGHTS_ALIGN - 1u)) != 0)
    return GQCRT_ERR_BAD_BLOB;
  if (gqcrt_weights_crc32c(blob, size, full) != want_crc)
    return GQCRT_ERR_BAD_BLOB;
  return GQCRT_OK;
}

/* gqcrt_blob.h — checking a weight blob that firmware loads at run time.
 *
 * A model compiled with `gqc --weights=file` has no weights in its object:
 * gqc writes them to <base>.weights, the firmware maps or loads that file
 * (from flash, or with mmap on Linux) and hands it to <name>_init_weights(),
 * which calls gqcrt_weights_check() before using it. The generated header
 * states the expected size and checksums (<NAME>_WEIGHT_BYTES,
 * <NAME>_WEIGHT_CHECKSUM, <NAME>_WEIGHT_QUICK_CHECKSUM); gqc computes them
 * with the functions below, so compiler and runtime share one definition.
 *
 * The checksum is CRC-32C (Castagnoli; iSCSI, ext4, SCTP): well known,
 * detects every burst error up to 32 bits, and has instructions on both the
 * board (ARMv8.1+ CRC32CX, mandatory on the Cortex-A55's armv8.2-a) and
 * x86-64 (SSE4.2 CRC32), which this runtime uses when present; elsewhere a
 * table-driven loop gives the same values. It protects against corruption
 * and mismatched files, not against tampering (use a signature for that).
 *
 * Quick and full checks: reading 300 MB is what costs, not the arithmetic
 * (CRC32CX runs at several bytes per cycle; QSPI flash delivers 50-100 MB/s
 * and even LPDDR4 a few GB/s), so the check done at every boot covers the
 * first and last GQCRT_WEIGHTS_QUICK_BYTES of the blob plus its exact size:
 * that catches a different model, a different compile, a truncated or
 * shifted file, at a fixed cost of 2 MiB read. <name>_verify_weights() does
 * the full pass, e.g. after writing a new blob to flash.
 */
#ifndef GQCRT_BLOB_H
#define GQCRT_BLOB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes at each end of the blob that the quick checksum covers. */
#define GQCRT_WEIGHTS_QUICK_BYTES ((uint64_t)1 << 20)

/* Required alignment of a weight blob in memory (the packed kernels' loads
 * and the compile-time plan assume it). */
#define GQCRT_WEIGHTS_ALIGN 64u

/* CRC-32C of n bytes at data, continuing from crc (0 to start):
 * gqcrt_crc32c(gqcrt_crc32c(0, a, na), b, nb) is the CRC of a followed by b.
 * gqcrt_crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t gqcrt_crc32c(uint32_t crc, const void *data, size_t n);

/* The quick checksum of a blob of `size` bytes covers [0, head) followed by
 * [tail, size) with head = min(size, QUICK_BYTES) and
 * tail = size - min(size - head, QUICK_BYTES): the whole blob when it is at
 * most 2 * QUICK_BYTES long. */
static inline uint64_t gqcrt_weights_quick_head(uint64_t size) {
  return size < GQCRT_WEIGHTS_QUICK_BYTES ? size : GQCRT_WEIGHTS_QUICK_BYTES;
}
static inline uint64_t gqcrt_weights_quick_tail(uint64_t size) {
  uint64_t rest = size - gqcrt_weights_quick_head(size);
  return size - (rest < GQCRT_WEIGHTS_QUICK_BYTES ? rest : GQCRT_WEIGHTS_QUICK_BYTES);
}
/* CRC-32C of the quick ranges of a blob (full = 0) or of all of it (full != 0). */
uint32_t gqcrt_weights_crc32c(const void *blob, uint64_t size, int full);

/* Checks a blob before a model uses it: GQCRT_ERR_NULL for a NULL blob;
 * GQCRT_ERR_BAD_BLOB if size != want_bytes, if blob is not
 * GQCRT_WEIGHTS_ALIGN-byte aligned, or if gqcrt_weights_crc32c(blob, size,
 * full) != want_crc; else GQCRT_OK. */
int gqcrt_weights_check(const void *blob, uint64_t size, uint64_t want_bytes, uint32_t want_crc,
                        int full);

#ifdef __cplusplus
}
#endif
#endif

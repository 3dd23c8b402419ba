/* gguf_blob.h — GGUF files built in memory, for the tests of the GGUF reader
 * (test_gguf_malformed.c, test_gguf_hostile.c): the buffer type, turning a
 * memory writer into one, and the monotonic clock those tests use to require
 * that the reader answers quickly. Header-only; include it after <cmocka.h>
 * and with _POSIX_C_SOURCE >= 199309L defined before any system header
 * (clock_gettime).
 */
#ifndef GQC_TESTS_GGUF_BLOB_H
#define GQC_TESTS_GGUF_BLOB_H

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 199309L
#error "gguf_blob.h needs _POSIX_C_SOURCE >= 199309L (clock_gettime)"
#endif

#include <stdint.h>
#include <time.h>

#include "frontend/gguf_writer.h"

typedef struct blob {
  uint8_t *p;
  uint64_t size;
} blob;

/* Finishes and frees a memory writer; its file (the caller frees b.p). A
 * writer error fails the test. */
static inline blob finish(gguf_writer *w) {
  blob b = {0};
  if (!gguf_writer_finish(w) || !gguf_writer_take_buffer(w, &b.p, &b.size))
    fail_msg("writer: %s", gguf_writer_error(w));
  gguf_writer_free(w);
  return b;
}

static inline double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif

/* fuzz_check.h — CHECK(cond), the invariant check of the fuzz targets: when
 * cond is false it prints the target's name (FUZZ_TARGET, a string literal
 * the target defines before including this), the file, line and condition
 * on stderr, and aborts, which libFuzzer and the corpus replay
 * (replay_main.c) both report as a crash. RUN_ONCE() guards a target's
 * one-time set-up. is_one_printable_line(msg) is the
 * property every error message has (support/escape.h): one line of
 * printable ASCII, whatever bytes the input put into it.
 */
#ifndef GQC_FUZZ_CHECK_H
#define GQC_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET (the target's name) before including fuzz_check.h"
#endif

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, FUZZ_TARGET ": %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* RUN_ONCE(): the rest of the enclosing void function runs on its first
 * call only (a target's one-time set-up, called from each input). */
#define RUN_ONCE()                                                                                 \
  do {                                                                                             \
    static bool done_;                                                                             \
    if (done_)                                                                                     \
      return;                                                                                      \
    done_ = true;                                                                                  \
  } while (0)

static inline bool is_one_printable_line(const char *msg) {
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return false;
  return true;
}

#endif

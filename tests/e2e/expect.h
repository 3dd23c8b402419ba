/* expect.h — the one check of the e2e API programs (hostile_api.c,
 * prefill_api.c, prefix_api.c): EXPECT(cond, fmt, ...) counts a check and,
 * when cond is false, prints one line "FAIL file:line: cond: message" and
 * counts a failure; the program goes on, so that one run lists every failed
 * check. expect_summary() prints the counts and gives the exit status.
 * Included by one translation unit of each program (the counters are its own).
 */
#ifndef GQC_E2E_EXPECT_H
#define GQC_E2E_EXPECT_H

#include <stdio.h>

static int failures, checks;

#define EXPECT(cond, ...)                                                                          \
  do {                                                                                             \
    checks++;                                                                                      \
    if (!(cond)) {                                                                                 \
      failures++;                                                                                  \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                       \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

/* Prints "<program>: N checks, M failed<detail>" and returns the exit status. */
static inline int expect_summary(const char *program, const char *detail) {
  printf("%s: %d checks, %d failed%s\n", program, checks, failures, detail);
  return failures ? 1 : 0;
}

#endif

/* neon_packed_util.h — helpers shared by the NEON kernels for packed weight
 * layouts (linear_*_packed_neon.c).
 *
 * Packed layouts are read as sequential streams, so ideally every load is a
 * post-incremented LD1 from one pointer. GCC's induction-variable pass
 * instead rewrites a run of `load; p += 64` into separate base + offset
 * addresses, which LD1 (multiple registers) cannot encode: one extra ADD per
 * load. NEON_STREAM_ADVANCE(p, n) advances p and then hides its value from
 * the optimiser with an empty asm statement (no instruction is emitted), so
 * the loads stay post-incremented. It changes nothing but instruction
 * selection.
 */
#ifndef GQCRT_ARM_NEON_PACKED_UTIL_H
#define GQCRT_ARM_NEON_PACKED_UTIL_H

#define NEON_STREAM_ADVANCE(p, n)                                                                  \
  do {                                                                                             \
    (p) += (n);                                                                                    \
    __asm__("" : "+r"(p));                                                                         \
  } while (0)

#endif

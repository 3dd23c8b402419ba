/* cpu_features.c — what the running CPU can do (gqcrt_cpu_features, the bits
 * of gqcrt_cpu_features.def), for <name>_init's check against the features
 * a model was compiled for.
 *
 *   AArch64 Linux   getauxval(AT_HWCAP): ASIMD, ASIMDDP, FPHP+ASIMDHP.
 *                   getauxval is referenced weakly: a bare-metal program
 *                   (no C library, e.g. samples/firmware) has none, and then
 *   AArch64 other   the ID registers: ID_AA64ISAR0_EL1.DP, ID_AA64PFR0_EL1.
 *                   AdvSIMD. Readable at EL1 (firmware), and at EL0 where the
 *                   OS traps and emulates them (Linux, qemu-user). Firmware
 *                   at EL0 without that builds the runtime with
 *                   -DGQCRT_NO_CPU_CHECK (docs/firmware-placement.md).
 *   x86-64          CPUID leaves 1 and 7 (subleaf 0 and 1), and XGETBV: AVX
 *                   needs the OS to save the YMM registers.
 */
#include "gqcrt.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(__aarch64__) && !defined(GQCRT_FREESTANDING)
/* <sys/auxv.h>, weakly: absent from a program without a C library. */
extern unsigned long getauxval(unsigned long type) __attribute__((weak));
#define GQCRT_AT_HWCAP 16
#define GQCRT_HWCAP_FPHP (1ul << 9)
#define GQCRT_HWCAP_ASIMD (1ul << 1)
#define GQCRT_HWCAP_ASIMDHP (1ul << 10)
#define GQCRT_HWCAP_ASIMDDP (1ul << 20)
#endif

#if defined(__aarch64__)
static uint32_t from_id_registers(void) {
  uint64_t isar0, pfr0;
  __asm__ volatile("mrs %0, ID_AA64ISAR0_EL1" : "=r"(isar0));
  __asm__ volatile("mrs %0, ID_AA64PFR0_EL1" : "=r"(pfr0));
  uint32_t f = 0;
  const unsigned adv_simd = (unsigned)(pfr0 >> 20) & 0xf; /* 0xf: none, 1: with FP16 */
  if (adv_simd != 0xf)
    f |= GQCRT_CPU_NEON;
  if (adv_simd == 1)
    f |= GQCRT_CPU_FP16;
  if (((isar0 >> 44) & 0xf) >= 1)
    f |= GQCRT_CPU_DOTPROD;
  return f;
}
#endif

uint32_t gqcrt_cpu_features(void) {
#if defined(GQCRT_NO_CPU_CHECK)
  return ~0u;
#elif defined(__aarch64__)
#if !defined(GQCRT_FREESTANDING)
  if (getauxval) {
    const unsigned long hw = getauxval(GQCRT_AT_HWCAP);
    uint32_t f = 0;
    if (hw & GQCRT_HWCAP_ASIMD)
      f |= GQCRT_CPU_NEON;
    if (hw & GQCRT_HWCAP_ASIMDDP)
      f |= GQCRT_CPU_DOTPROD;
    if ((hw & GQCRT_HWCAP_FPHP) && (hw & GQCRT_HWCAP_ASIMDHP))
      f |= GQCRT_CPU_FP16;
    return f;
  }
#endif
  return from_id_registers();
#elif defined(__x86_64__)
  unsigned a, b, c, d;
  uint32_t f = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  const int fma = (c >> 12) & 1, f16c = (c >> 29) & 1, osxsave = (c >> 27) & 1;
  unsigned xcr0 = 0;
  if (osxsave) {
    unsigned hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));
  }
  const int avx_state = (xcr0 & 6) == 6; /* the OS saves XMM and YMM */
  if (fma && avx_state)
    f |= GQCRT_CPU_FMA;
  if (f16c && avx_state)
    f |= GQCRT_CPU_F16C;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && ((b >> 5) & 1) && avx_state)
    f |= GQCRT_CPU_AVX2;
  /* AVX-512 F (EBX 16), BW (EBX 30), VL (EBX 31), VNNI (ECX 11), with the
   * OS saving the opmask and ZMM state too (XCR0 bits 5-7) */
  const unsigned f_bw_vl = (1u << 16) | (1u << 30) | (1u << 31);
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & f_bw_vl) == f_bw_vl && ((c >> 11) & 1) &&
      avx_state && (xcr0 & 0xE0) == 0xE0)
    f |= GQCRT_CPU_AVX512VNNI;
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 4) & 1) && avx_state)
    f |= GQCRT_CPU_AVXVNNI;
  return f;
#else
  return 0;
#endif
}

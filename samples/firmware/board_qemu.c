/* board_qemu.c — the firmware sample's board support for qemu-aarch64 (user
 * mode): the console is Linux's write(1, ...) and exit is exit_group, both
 * raw system calls, so no C library is linked. On a real board, replace the
 * two system calls with the UART driver and a reset/halt, and copy .data
 * in board_startup (see there). */
#include <stdint.h>
#include <string.h>

#include "board.h"

/* Symbols of firmware.ld. */
extern unsigned char __tdata_start[], __tdata_end[];
extern unsigned char __tbss_start[], __tbss_end[];
extern unsigned char __zero_start[], __zero_end[];
extern unsigned char __tls_tp[];

void board_startup(void) {
  /* .data and the TLS template: qemu-aarch64, like a debugger or a flash
   * programmer, has loaded every segment at its run address (VMA), so they
   * are in place already. A board booting from flash copies them first:
   *   memcpy(__data_start, __data_load, __data_end - __data_start);
   * and uses __tdata_load instead of __tdata_start below. (gqc's runtime and
   * generated code have no .data.) */
  memset(__zero_start, 0, (size_t)(__zero_end - __zero_start));
  /* The single thread's TLS block: control block, then .tdata, then .tbss. */
  unsigned char *block = __tls_tp + 16;
  size_t tdata = (size_t)(__tdata_end - __tdata_start);
  memcpy(block, __tdata_start, tdata);
  memset(block + tdata, 0, (size_t)(__tbss_end - __tbss_start));
  __asm__ volatile("msr tpidr_el0, %0" : : "r"(__tls_tp));
}

static long syscall3(long nr, long a, long b, long c) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}

enum { SYS_write = 64, SYS_exit_group = 94 };

void board_write(const char *buf, size_t n) {
  while (n > 0) {
    long w = syscall3(SYS_write, 1, (long)(uintptr_t)buf, (long)n);
    if (w <= 0)
      return;
    buf += w;
    n -= (size_t)w;
  }
}

_Noreturn void board_exit(int status) {
  for (;;)
    syscall3(SYS_exit_group, status, 0, 0);
}

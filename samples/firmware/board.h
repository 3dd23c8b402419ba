/* board.h — what the firmware sample needs from its board: startup, a
 * console and a way to stop. board_qemu.c implements it for qemu-aarch64
 * (Linux system calls); a real board implements it with its UART and reset
 * logic. */
#ifndef FIRMWARE_BOARD_H
#define FIRMWARE_BOARD_H

#include <stddef.h>

/* Runs once from _start before anything else: puts .data in place (a board
 * copies it from flash), zeroes .bss and the model's arena, builds the TLS
 * block and points TPIDR_EL0 at it. */
void board_startup(void);
/* Writes n bytes to the console. */
void board_write(const char *buf, size_t n);
/* Stops the program with an exit status (0: success). */
_Noreturn void board_exit(int status);

/* The application's entry, called by _start after board_startup. */
int firmware_main(void);

#endif

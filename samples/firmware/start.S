/* start.S — reset entry of the firmware sample: set up the stack, run the C
 * startup (board_startup: .data, .bss, TLS), call firmware_main, and hand its
 * status to board_exit.
 *
 * Under qemu-aarch64 this runs at EL0 with FP/SIMD already usable. On a
 * board entered at EL1 the reset code must first enable FP/SIMD
 * (CPACR_EL1.FPEN = 0b11; the kernels are NEON) and should turn the MMU and
 * caches on with RAM and the weights mapped as Normal memory: with the MMU
 * off every access is Device memory, where the kernels' unaligned loads
 * fault. That part is board-specific and left out here.
 */
        .section .text.start, "ax", %progbits
        .global _start
        .type _start, %function
_start:
        adrp    x0, __stack_top
        add     x0, x0, :lo12:__stack_top
        mov     sp, x0
        mov     x29, #0
        mov     x30, #0
        bl      board_startup
        bl      firmware_main
        bl      board_exit
1:      b       1b
        .size _start, . - _start

        .section .note.GNU-stack, "", %progbits

# firmware.cmake — end-to-end tests of the firmware placement options.
# Included at the end of tests/e2e/CMakeLists.txt (uses its DATA and
# E2E_ENV). Label "firmware" (ctest -L firmware).
#
#   e2e/firmware/weights-file/M        --weights=file: no weights in the object,
#                                      M.weights == the embedded section,
#                                      logits identical, bad blobs refused
#                                      (weights_file.sh + weights_file.c)
#   e2e/firmware/arena-section/M       --arena-section: arena and tokenizer
#                                      scratch in a NOBITS section of their own,
#                                      logits identical (arena_section.sh)
#   e2e/firmware/aarch64/...           the same, cross-compiled for the board
#                                      and run under qemu-aarch64 (hardware
#                                      CRC32C path), when the AArch64 runtime
#                                      is built (cmake/aarch64_runtime.cmake)
#   e2e/firmware/freestanding-runtime  libgqcrt builds for AArch64 with
#                                      -ffreestanding -nostdinc and needs only
#                                      the documented libc/libm functions
# Every weights/arena test runs both backends (only C without LLVM).
set(FW_DIR ${CMAKE_CURRENT_SOURCE_DIR})
if(GQC_HAVE_LLVM)
  set(FW_BACKENDS "llvm c")
else()
  set(FW_BACKENDS "c")
endif()

# fw_test(<name> <env list var> <command...>)
function(fw_test name env)
  e2e_test(e2e/firmware/${name} COMMAND ${ARGN} ENV ${${env}} "BACKENDS=${FW_BACKENDS}"
           LABELS e2e firmware)
endfunction()

# stories260K: a 1.1 MiB blob, all of it in the quick check; tiny-llama-Q8_0:
# 5.3 MiB, so a flipped byte in the middle passes model_init_weights and is
# caught by model_verify_weights.
foreach(stem stories260K tiny-llama-Q8_0)
  fw_test(weights-file/${stem} E2E_ENV ${FW_DIR}/weights_file.sh ${DATA}/models/${stem}.gguf
          ${DATA}/reference/${stem}.ids)
endforeach()
# both options at once
fw_test(weights-file/tiny-qwen3-Q4_K_M-arena E2E_ENV ${FW_DIR}/weights_file.sh
        ${DATA}/models/tiny-qwen3-Q4_K_M.gguf ${DATA}/reference/tiny-qwen3-Q4_K_M.ids
        --arena-section .sram)
fw_test(arena-section/stories260K E2E_ENV ${FW_DIR}/arena_section.sh
        ${DATA}/models/stories260K.gguf ${DATA}/reference/stories260K.ids .gqc.arena)
fw_test(arena-section/tiny-gemma3-Q5_1 E2E_ENV ${FW_DIR}/arena_section.sh
        ${DATA}/models/tiny-gemma3-Q5_1.gguf ${DATA}/reference/tiny-gemma3-Q5_1.ids .sram)

if(GQC_AARCH64_RUNTIME_LIB AND GQC_QEMU_AARCH64)
  fw_test(aarch64/weights-file/tiny-llama-Q8_0 E2E_AARCH64_ENV ${FW_DIR}/weights_file.sh
          ${DATA}/models/tiny-llama-Q8_0.gguf ${DATA}/reference/tiny-llama-Q8_0.ids
          --target aarch64-linux-gnu)
  fw_test(aarch64/arena-section/tiny-qwen3-Q4_K_M E2E_AARCH64_ENV ${FW_DIR}/arena_section.sh
          ${DATA}/models/tiny-qwen3-Q4_K_M.gguf ${DATA}/reference/tiny-qwen3-Q4_K_M.ids
          .gqc.arena --target aarch64-linux-gnu)
  # both options, position-dependent code as firmware at a fixed address uses
  fw_test(aarch64/weights-file/tiny-gemma3-Q5_1-arena-static E2E_AARCH64_ENV ${FW_DIR}/weights_file.sh
          ${DATA}/models/tiny-gemma3-Q5_1.gguf ${DATA}/reference/tiny-gemma3-Q5_1.ids
          --target aarch64-linux-gnu --arena-section .sram --reloc static)
endif()

if(GQC_AARCH64_CC)
  # a build directory of its own, kept between runs (incremental)
  add_test(NAME e2e/firmware/freestanding-runtime
           COMMAND ${FW_DIR}/freestanding_runtime.sh ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/aarch64-freestanding
                   ${CMAKE_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake)
  set_tests_properties(e2e/firmware/freestanding-runtime PROPERTIES
    LABELS "e2e;firmware;aarch64" TIMEOUT 900)
endif()

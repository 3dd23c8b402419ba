# aarch64_runtime.cmake — builds the AArch64 runtime (libgqcrt.a with the NEON
# kernels) next to the host build, so that `gqc run ... --target
# aarch64-linux-gnu` and `gqc MODEL -o m.o --target aarch64-linux-gnu` plus a
# cross link work right after a normal build.
#
# When aarch64-linux-gnu-gcc is on PATH (option GQC_AARCH64_RUNTIME, default
# ON then), a nested CMake build of this same source tree runs with
# cmake/aarch64-linux-gnu.cmake, -DGQC_RUNTIME_ONLY=ON and
# -DGQC_BUILD_TESTS=OFF in ${CMAKE_BINARY_DIR}/aarch64, which is where the
# driver looks (driver/layout.c: <build>/aarch64/runtime/libgqcrt.a beside gqc,
# overridden by $GQC_RUNTIME_LIB_AARCH64). It is part of the default target
# (`ninja`), re-checked on every build (a no-op when nothing changed), and
# installed as lib/gqc/aarch64-linux-gnu/libgqcrt.a (cmake/install.cmake).
#
# For the tests (tests/e2e/aarch64.cmake) it sets:
#   GQC_AARCH64_RUNTIME_LIB  path of the cross-built libgqcrt.a ("" if off)
#   GQC_AARCH64_CC           the cross C compiler
#   GQC_QEMU_AARCH64         qemu-aarch64, if found (to run the programs)
# and the target gqcrt_aarch64 to depend on.
find_program(GQC_AARCH64_CC aarch64-linux-gnu-gcc)
find_program(GQC_QEMU_AARCH64 qemu-aarch64)
if(GQC_AARCH64_CC)
  set(gqc_aarch64_default ON)
else()
  set(gqc_aarch64_default OFF)
endif()
option(GQC_AARCH64_RUNTIME "Also build the AArch64 runtime (needs aarch64-linux-gnu-gcc)"
       ${gqc_aarch64_default})

set(GQC_AARCH64_RUNTIME_LIB "")
if(GQC_AARCH64_RUNTIME AND NOT CMAKE_CROSSCOMPILING AND NOT GQC_RUNTIME_ONLY)
  if(NOT GQC_AARCH64_CC)
    message(FATAL_ERROR "GQC_AARCH64_RUNTIME is ON but aarch64-linux-gnu-gcc was not found "
                        "(scripts/install-cross-deps.sh, or -DGQC_AARCH64_RUNTIME=OFF)")
  endif()
  include(ExternalProject)
  set(GQC_AARCH64_DIR ${CMAKE_BINARY_DIR}/aarch64)
  set(GQC_AARCH64_RUNTIME_LIB ${GQC_AARCH64_DIR}/runtime/libgqcrt.a)
  # Optimised whatever the host build is: a Debug (or sanitizer) build of
  # gqc still runs the board's code at its real speed under qemu.
  set(GQC_AARCH64_BUILD_TYPE Release CACHE STRING
      "CMAKE_BUILD_TYPE of the AArch64 runtime built by GQC_AARCH64_RUNTIME")
  ExternalProject_Add(gqcrt_aarch64
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${GQC_AARCH64_DIR}
    PREFIX ${CMAKE_BINARY_DIR}/aarch64-ep
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake
               -DGQC_RUNTIME_ONLY=ON -DGQC_BUILD_TESTS=OFF
               -DCMAKE_BUILD_TYPE=${GQC_AARCH64_BUILD_TYPE}
    BUILD_COMMAND ${CMAKE_COMMAND} --build ${GQC_AARCH64_DIR} --target gqcrt
    INSTALL_COMMAND ""
    # the nested build tracks the runtime's sources itself
    BUILD_ALWAYS ON
    BUILD_BYPRODUCTS ${GQC_AARCH64_RUNTIME_LIB})
  message(STATUS "gqc: AArch64 runtime -> ${GQC_AARCH64_RUNTIME_LIB}")
endif()

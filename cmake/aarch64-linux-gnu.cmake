# aarch64-linux-gnu.cmake — CMake toolchain file for cross-building gqc's
# runtime (and its runtime-only tests) for 64-bit Arm Linux with Debian's
# gcc-aarch64-linux-gnu, the tests running under qemu-user:
#
#   cmake -S . -B build-aarch64 -G Ninja -DGQC_RUNTIME_ONLY=ON \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   ninja -C build-aarch64 && ctest --test-dir build-aarch64
#
# Libraries for the target (cmocka) come from Debian's arm64 multiarch
# packages in /usr/lib/aarch64-linux-gnu (scripts/install-cross-deps.sh), or,
# when those could not be installed, from the static build that script puts
# under /opt/gqc-cross/aarch64-linux-gnu.
#
# The emulator runs with -cpu cortex-a76: it has the dot-product extension
# and fp16 arithmetic of the Cortex-A55 board (cortex-a53 has neither).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(GQC_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${GQC_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${GQC_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${GQC_CROSS_TRIPLE})

# The cross C library lives in /usr/aarch64-linux-gnu; multiarch arm64
# packages live in /usr with the aarch64-linux-gnu library directory, which
# CMAKE_LIBRARY_ARCHITECTURE makes find_library search (and only that one of
# /usr's architecture directories, so the host's x86-64 libraries are never
# picked up).
set(CMAKE_FIND_ROOT_PATH /usr/${GQC_CROSS_TRIPLE} /opt/gqc-cross/${GQC_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# LD_LIBRARY_PATH: the C library must come from the same package as the
# dynamic loader (libc6-arm64-cross, under /usr/${GQC_CROSS_TRIPLE}/lib).
# Debian's multiarch libc6:arm64 (pulled in by libcmocka-dev:arm64) can be a
# newer point release; the loader mixing the two hangs in pthread_create.
# cmocka itself is found after it, in /usr/lib/${GQC_CROSS_TRIPLE}.
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64;-cpu;cortex-a76;-L;/usr/${GQC_CROSS_TRIPLE};-E;LD_LIBRARY_PATH=/usr/${GQC_CROSS_TRIPLE}/lib:/usr/lib/${GQC_CROSS_TRIPLE})

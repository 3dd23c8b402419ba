# install.cmake — `cmake --install build --prefix P`: the layout an installed
# gqc finds its runtime in (driver/layout.c) and the CMake and pkg-config
# packages for projects that use it.
#
#   P/bin/gqc
#   P/include/gqc/                      runtime headers (gqcrt.h, ...)
#   P/lib/libgqcrt.a                    runtime for the host
#   P/lib/gqc/aarch64-linux-gnu/libgqcrt.a   with the cross runtime (aarch64_runtime.cmake)
#   P/share/gqc/samples/                generate.c, firmware/, functiongemma/, linker scripts
#   P/lib/cmake/gqc/gqcConfig.cmake     find_package(gqc): gqc::gqcrt, gqc_add_model()
#   P/lib/pkgconfig/gqcrt.pc            pkg-config --cflags --libs gqcrt
#
# Every file is relocatable: the package files find the prefix from their own
# place, gqc from its executable's.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GQC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gqc)
set(GQC_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/gqc)
set(GQC_INSTALL_SAMPLESDIR ${CMAKE_INSTALL_DATADIR}/gqc/samples)

install(TARGETS gqc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS gqcrt ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(GQC_AARCH64_RUNTIME_LIB)
  install(FILES ${GQC_AARCH64_RUNTIME_LIB}
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/gqc/aarch64-linux-gnu)
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/runtime/include/ DESTINATION ${GQC_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_SOURCE_DIR}/samples/generate.c ${CMAKE_SOURCE_DIR}/samples/weights_after_bss.ld
        DESTINATION ${GQC_INSTALL_SAMPLESDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/samples/firmware ${CMAKE_SOURCE_DIR}/samples/functiongemma
        DESTINATION ${GQC_INSTALL_SAMPLESDIR})

# The host processor the default runtime (lib/libgqcrt.a) is built for.
set(GQC_HOST_PROCESSOR ${CMAKE_SYSTEM_PROCESSOR})
configure_package_config_file(
  ${CMAKE_SOURCE_DIR}/cmake/gqcConfig.cmake.in ${CMAKE_BINARY_DIR}/package/gqcConfig.cmake
  INSTALL_DESTINATION ${GQC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR GQC_INSTALL_INCLUDEDIR
            GQC_INSTALL_SAMPLESDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/gqcConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/gqcConfig.cmake
              ${CMAKE_BINARY_DIR}/package/gqcConfigVersion.cmake
        DESTINATION ${GQC_INSTALL_CMAKEDIR})

# pkg-config: the prefix from the .pc file's own directory.
file(RELATIVE_PATH GQC_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" GQC_PC_TO_PREFIX "${GQC_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/gqcrt.pc.in ${CMAKE_BINARY_DIR}/package/gqcrt.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/package/gqcrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

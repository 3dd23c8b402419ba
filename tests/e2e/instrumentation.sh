# instrumentation.sh — sourced by the object-hygiene tests (object_symbols.sh,
# weights_file.sh): not_instrumentation filters out of a list of symbol names
# those a sanitizer build's instrumentation adds to an object (the C backend's
# GQC_CFLAGS, the LLVM backend's GQC_LLVM_SANITIZE): they are not gqc's.
not_instrumentation() {
  grep -v -E '^(__(asan|ubsan|lsan|sanitizer|odr_asan)|___asan|__(start|stop)_asan_globals$)'
}

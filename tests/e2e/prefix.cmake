# prefix.cmake — a compiled prompt prefix (gqc --prefix, tests/e2e/prefix.sh):
# the logits of a request after the baked prefix against the whole text read
# through the same model without one. Included at the end of
# tests/e2e/CMakeLists.txt (uses its DATA, E2E_ENV).
#   e2e/prefix/{c,llvm}/M[-f16]   host, both backends, f32 and f16 KV caches
#   e2e/aarch64/prefix/llvm/M     cross-linked, run under qemu-aarch64: the
#                                 prefix computed with the x86-64 host's
#                                 kernels, read by the NEON ones
# Models: gemma3 with a sliding window of 8 (shorter than the 61-token
# prefix: its sliding layers keep 7 prefix rows), llama (full attention).
# On the host the prefix is computed with the target's own kernels, so the
# logits are identical (measured max |diff| 0; 1e-3 is the f32 parity bound);
# across architectures only attention rounds differently: the tolerance is
# the parity tests' for the encoding.
# prefix_test(<test name> <model file stem> <tolerance> <env list var> <labels> <gqc options...>)
function(prefix_test name stem tol env labels)
  e2e_test(${name} ENV ${${env}} LABELS ${labels}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/prefix.sh ${DATA}/models/${stem}.gguf ${tol} ${ARGN})
endfunction()

set(prefix_backends c)
if(GQC_HAVE_LLVM)
  list(APPEND prefix_backends llvm)
  foreach(backend IN LISTS prefix_backends)
    foreach(stem tiny-gemma3-Q5_1 tiny-llama-f32)
      prefix_test(e2e/prefix/${backend}/${stem} ${stem} 1e-3 E2E_ENV "e2e;prefix"
                  --backend ${backend})
      prefix_test(e2e/prefix/${backend}/${stem}-f16 ${stem} 1e-3 E2E_ENV "e2e;prefix"
                  --backend ${backend} --kv-type f16)
    endforeach()
  endforeach()
  if(GQC_AARCH64_RUNTIME_LIB AND GQC_QEMU_AARCH64 AND NOT GQC_SANITIZE)
    foreach(stem tiny-gemma3-Q5_1 tiny-gemma3-f32)
      set(tol 1e-3) # the parity tests' tolerance of the encoding
      if(stem MATCHES "Q5_1")
        set(tol 2e-2)
      endif()
      foreach(kv f32 f16)
        prefix_test(e2e/aarch64/prefix/llvm/${stem}-${kv} ${stem} ${tol} E2E_AARCH64_ENV
                    "e2e;aarch64;prefix" --target aarch64-linux-gnu --kv-type ${kv})
      endforeach()
    endforeach()
  endif()
endif()

# llvm.cmake — end-to-end tests of the LLVM backend (codegen/emit_llvm.c).
# Included at the end of tests/e2e/CMakeLists.txt; uses its DATA and E2E_ENV.
#   e2e/llvm/parity/M     the LLVM object against llama.cpp (parity.sh)
#   e2e/llvm/vs-c/M       LLVM and C backends: bit-identical logits
#   e2e/{llvm,c}/symbols  only the API is global in either backend's object
#   e2e/llvm/asan         an object instrumented with AddressSanitizer registers
#                         its globals and runs clean under ASan (llvm_asan.sh)
#   e2e/llvm/two-models   two models (--name story, --name llama) in one program
#   e2e/llvm/outputs      --emit asm / --emit llvm
#   e2e/llvm/aarch64      an AArch64 object (and a qemu run if the aarch64
#                         runtime library exists)
if(GQC_HAVE_LLVM)
  set(E2E_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  # The aarch64 runtime the main build makes (cmake/aarch64_runtime.cmake).
  set(LLVM_AARCH64_RT "${GQC_AARCH64_RUNTIME_LIB}")

  function(llvm_e2e name)
    e2e_test(e2e/${name} COMMAND ${ARGN} LABELS e2e llvm)
  endfunction()

  # stem, parity tolerance (as in CMakeLists.txt: a fraction of the logit spread)
  foreach(case "stories260K;1e-3" "tiny-llama-Q8_0;2e-2")
    list(GET case 0 stem)
    list(GET case 1 tol)
    llvm_e2e(llvm/parity/${stem} ${E2E_DIR}/parity.sh ${DATA}/models/${stem}.gguf
             ${DATA}/reference/${stem} ${tol} --backend llvm)
    llvm_e2e(llvm/vs-c/${stem} ${E2E_DIR}/llvm_vs_c.sh ${DATA}/models/${stem}.gguf
             ${DATA}/reference/${stem}.ids)
  endforeach()
  foreach(stem tiny-gemma3-Q5_1 tiny-qwen2-Q8_0 tiny-qwen3-Q4_K_M)
    llvm_e2e(llvm/vs-c/${stem} ${E2E_DIR}/llvm_vs_c.sh ${DATA}/models/${stem}.gguf
             ${DATA}/reference/${stem}.ids)
  endforeach()

  # GQC_LLVM_SANITIZE=address: the object's own accesses are checked by ASan.
  llvm_e2e(llvm/asan ${E2E_DIR}/llvm_asan.sh ${DATA}/models/stories260K.gguf)
  llvm_e2e(llvm/symbols ${E2E_DIR}/object_symbols.sh ${DATA}/models/stories260K.gguf story
           --backend llvm)
  llvm_e2e(c/symbols ${E2E_DIR}/object_symbols.sh ${DATA}/models/stories260K.gguf story
           --backend c)
  llvm_e2e(llvm/two-models ${E2E_DIR}/two_models.sh
           ${DATA}/models/stories260K.gguf ${DATA}/reference/stories260K 1e-3
           ${DATA}/models/tiny-llama-Q8_0.gguf ${DATA}/reference/tiny-llama-Q8_0 2e-2)
  llvm_e2e(llvm/outputs ${E2E_DIR}/llvm_outputs.sh ${DATA}/models/stories260K.gguf)
  llvm_e2e(llvm/aarch64 ${E2E_DIR}/aarch64_object.sh ${DATA}/models/stories260K.gguf
           ${DATA}/reference/stories260K 1e-3)
  set_property(TEST e2e/llvm/aarch64 APPEND PROPERTY ENVIRONMENT
               "GQC_RT_LIB_AARCH64=${LLVM_AARCH64_RT}")
endif()

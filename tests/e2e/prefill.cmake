# prefill.cmake — <name>_prefill against <name>_decode (tests/e2e/prefill.sh):
# the logits of a batched prompt must be bit-identical to feeding its tokens
# one by one, in one call and in calls of 5 tokens through 4-token steps.
# Included at the end of tests/e2e/CMakeLists.txt (uses its DATA, E2E_ENV).
#   e2e/prefill/{c,llvm}/M          host, both backends
#   e2e/prefill-api/{c,llvm}/M      tests/e2e/prefill_api.c (prefill_api.sh): every
#                                   check of model_prefill (bad ids, positions,
#                                   n; sliding-window rewinds) and its logits
#                                   against model_decode's for every n and pos
#   e2e/aarch64/prefill/{c,llvm}/M  cross-linked, run under qemu-aarch64 for
#                                   Cortex-A55 code: NEON gemm kernels on
#                                   packed (r4) weights
# Models: llama (f32, Q8_0), gemma3 with a sliding window of 8 (shorter than
# a 32-token step: the ring buffer must end up as decoding leaves it),
# qwen3 (K-quants, q/k norms), qwen2 (biases: a vector added to every row),
# phi3 (views of fused weights; gate and up sliced out of one product: rows
# copied in the batch, views once hoisted to the last row), gemma2 (soft-
# capped attention scores), lfm2 (a convolution's state over the batch).
set(prefill_models stories260K tiny-llama-Q8_0 tiny-gemma3-Q5_1 tiny-qwen3-Q4_K_M tiny-qwen2-Q8_0
    tiny-phi3-Q8_0 tiny-gemma2-Q4_0 tiny-lfm2-Q8_0)
set(prefill_backends c)
if(GQC_HAVE_LLVM)
  list(APPEND prefill_backends llvm)
endif()

# prefill_test(<test name> <model file stem> <reference> <env list var> <labels> <gqc options...>)
function(prefill_test name stem ref env labels)
  e2e_test(${name} ENV ${${env}} LABELS ${labels}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/prefill.sh ${DATA}/models/${stem}.gguf
                   ${DATA}/reference/${ref} ${ARGN})
endfunction()

foreach(backend IN LISTS prefill_backends)
  foreach(stem IN LISTS prefill_models)
    prefill_test(e2e/prefill/${backend}/${stem} ${stem} ${stem} E2E_ENV "e2e;prefill"
                 --backend ${backend})
  endforeach()
  foreach(stem stories260K tiny-gemma3-Q5_1 tiny-qwen2-Q8_0)
    e2e_test(e2e/prefill-api/${backend}/${stem} LABELS e2e prefill
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/prefill_api.sh ${DATA}/models/${stem}.gguf
                     --backend ${backend})
  endforeach()
endforeach()

# A q8_0 KV cache: prefill stores and attends the same q8_0 rows as decoding.
foreach(stem tiny-gemma3-f32 tiny-qwen3-f32)
  prefill_test(e2e/prefill-kvq8_0/c/${stem} ${stem} ${stem}.kvq8_0 E2E_ENV "e2e;prefill"
               --kv-type q8_0 --backend c)
endforeach()

if(GQC_AARCH64_RUNTIME_LIB AND GQC_QEMU_AARCH64 AND NOT GQC_SANITIZE)
  foreach(stem IN LISTS prefill_models)
    foreach(backend IN LISTS prefill_backends)
      prefill_test(e2e/aarch64/prefill/${backend}/${stem} ${stem} ${stem} E2E_AARCH64_ENV
                   "e2e;aarch64;prefill" --target aarch64-linux-gnu --backend ${backend})
    endforeach()
  endforeach()
  prefill_test(e2e/aarch64/prefill-kvq8_0/c/tiny-gemma3-f32 tiny-gemma3-f32 tiny-gemma3-f32.kvq8_0
               E2E_AARCH64_ENV "e2e;aarch64;prefill" --kv-type q8_0 --target aarch64-linux-gnu
               --backend c)
endif()

# hostile.cmake — the generated API under hostile calls (tests/e2e/hostile.sh
# runs tests/e2e/hostile_api.c against a model compiled by gqc). Included at
# the end of tests/e2e/CMakeLists.txt; uses its DATA and E2E_ENV.
#   e2e/hostile/c/M      the C backend's code (compiled with the sanitizers in
#                        a GQC_SANITIZE build)
#   e2e/hostile/llvm/M   the LLVM backend's object
#   e2e/hostile/garbage/M-KIND   M with its tensor data replaced by NaN, Inf or
#                        random bytes (well formed, adversarial numbers),
#                        through the C backend: garbage logits, nothing worse
set(HOSTILE_MODELS stories260K tiny-qwen2-Q8_0 llama-2-tiny-random)
set(HOSTILE_BACKENDS c)
if(GQC_HAVE_LLVM)
  list(APPEND HOSTILE_BACKENDS llvm)
endif()
# hostile_test(<test name> <model file stem> <backend> [hostile.sh options...])
function(hostile_test name stem backend)
  e2e_test(e2e/hostile/${name} ENV ${E2E_ENV} ${HOSTILE_ENV} LABELS e2e hostile
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hostile.sh ${DATA}/models/${stem}.gguf ${backend}
                   ${ARGN})
endfunction()

foreach(backend IN LISTS HOSTILE_BACKENDS)
  foreach(stem IN LISTS HOSTILE_MODELS)
    hostile_test(${backend}/${stem} ${stem} ${backend})
  endforeach()
  # A sliding-window model (gemma3: window 8 < --ctx 16, so its sliding layers
  # keep a ring of 8 cache rows). A rewind that would need ring rows later
  # positions overwrote is refused with BAD_POS; allowed rewinds give the
  # logits of a clean run.
  hostile_test(${backend}/tiny-gemma3-Q5_1 tiny-gemma3-Q5_1 ${backend})
endforeach()

# Adversarial weights: each weight encoding family with nonsense numbers
# (random bytes give quantised blocks random, NaN and Inf scales).
if(NOT GQC_FUZZ) # make_bad_gguf (fuzz/CMakeLists.txt) exists in every non-fuzz build
  set(HOSTILE_ENV "MAKE_BAD_GGUF=$<TARGET_FILE:make_bad_gguf>")
  foreach(case "stories260K;nan" "tiny-llama-F16;inf" "tiny-llama-Q4_K_M;random"
               "tiny-llama-Q3_K_S;random" "tiny-llama-Q2_K;random" "tiny-llama-Q5_1;random"
               "tiny-qwen2-Q8_0;random" "tiny-llama-BF16;random")
    list(GET case 0 stem)
    list(GET case 1 kind)
    hostile_test(garbage/${stem}-${kind} ${stem} c --garbage-weights ${kind})
  endforeach()
endif()

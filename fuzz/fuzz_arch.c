/* fuzz_arch.c — libFuzzer target for the architecture-description language:
 * lexer and parser (arch_lexer.l, arch_parser.y), checker (arch_check.c)
 * and interpreter (arch_eval.c and friends) — everything arch_compile()
 * runs — and then the passes on whatever IR a description produces.
 *
 * The input is a description. It is compiled against a fixed, valid GGUF
 * from tests/data/models chosen by the text (a description that mentions
 * gemma3 against tiny-gemma3-Q5_1, qwen3 against tiny-qwen3-Q4_K_M, qwen2
 * against tiny-qwen2-Q8_0, anything else against stories260K), so that the
 * built-in descriptions are valid seeds that reach the interpreter and a
 * mutated one exercises it deeply. Every outcome must be a module that
 * verifies or one located error; a module then runs through every pass with
 * the verifier after each, as the driver would. Set GQC_FUZZ_VERBOSE=1 to
 * print each input's outcome.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/arch_lower.h"
#include "frontend/gguf.h"
#include "ir/ir.h"
#include "ir/target.h"
#include "passes/passes.h"

#define FUZZ_TARGET "fuzz_arch"
#include "fuzz_check.h"
#include "test_models.h"

enum { M_STORIES, M_QWEN2, M_QWEN3, M_GEMMA3, N_MODELS };
static const char *const model_files[N_MODELS] = {
    "stories260K.gguf", "tiny-qwen2-Q8_0.gguf", "tiny-qwen3-Q4_K_M.gguf", "tiny-gemma3-Q5_1.gguf"};
static gguf_file *models[N_MODELS];
static gqc_target target;
static int verbose;

static void init(void) {
  RUN_ONCE();
  verbose = getenv("GQC_FUZZ_VERBOSE") != NULL;
  for (int i = 0; i < N_MODELS; i++)
    models[i] = open_test_model(FUZZ_TARGET, model_files[i]);
  gqc_diag d = {0};
  CHECK(gqc_target_init(&target, NULL, "x86-64-v3", NULL, &d));
}

static bool mentions(const uint8_t *data, size_t size, const char *word) {
  size_t n = strlen(word);
  for (size_t i = 0; i + n <= size; i++)
    if (!memcmp(data + i, word, n))
      return true;
  return false;
}

static void check_diag(const gqc_diag *d) {
  CHECK(d->failed && d->msg[0] != 0);
  CHECK(memchr(d->msg, 0, sizeof d->msg) != NULL);
  CHECK(is_one_printable_line(d->msg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init();
  if (size > 32 * 1024)
    return 0;
  int which = mentions(data, size, "gemma3")  ? M_GEMMA3
              : mentions(data, size, "qwen3") ? M_QWEN3
              : mentions(data, size, "qwen2") ? M_QWEN2
                                              : M_STORIES;
  gqc_frontend_options opts = {0};
  opts.module_name = "model";
  opts.n_ctx = 64;
  opts.kv_type = IR_F32;
  gqc_diag d = {0};
  ir_module *m = arch_compile((const char *)data, size, "fuzz.arch", models[which], &opts, &d);
  if (!m) {
    check_diag(&d);
    if (verbose)
      fprintf(stderr, "fuzz_arch: %s\n", d.msg);
    return 0;
  }
  if (verbose)
    fprintf(stderr, "fuzz_arch: lowered against %s\n", model_files[which]);
  CHECK(!d.failed);
  gqc_diag vd = {0};
  if (!ir_verify(m, "after the frontend", &vd)) {
    fprintf(stderr, "arch_compile returned a module that does not verify: %s\n", vd.msg);
    abort();
  }
  for (const gqc_pass_info *p = gqc_passes; p->name; p++) {
    gqc_diag pd = {0};
    gqc_pass_context ctx = {&target, &pd};
    if (!p->run(m, &ctx)) {
      check_diag(&pd);
      if (verbose)
        fprintf(stderr, "fuzz_arch: pass %s: %s\n", p->name, pd.msg);
      break;
    }
    if (!ir_verify(m, p->name, &pd)) {
      fprintf(stderr, "pass %s produced invalid IR: %s\n", p->name, pd.msg);
      abort();
    }
  }
  ir_module_free(m);
  return 0;
}

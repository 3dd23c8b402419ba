/* test_weights_packed.c — weights stay packed: the compiled model's weight
 * blob is the GGUF file's tensor bytes, each once, never a float copy.
 *
 * For every reference model (all encodings, tied and untied), the frontend
 * and the full pipeline run, then: every live IR weight points at its GGUF
 * tensor's bytes and has the tensor's own encoding; no tensor is stored twice
 * (a tied embedding is one weight with an embed and a linear use); the blob
 * is the sum of the tensors' bytes plus alignment padding only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "driver/pipeline.h"
#include "frontend/frontend.h"
#include "frontend/gguf.h"

static const char *const models[] = {
    "stories260K",       "tiny-llama-f32",   "tiny-llama-F16",   "tiny-llama-BF16",
    "tiny-llama-Q8_0",   "tiny-llama-Q6_K",  "tiny-llama-Q5_0",  "tiny-llama-Q5_1",
    "tiny-llama-Q5_K_S", "tiny-llama-Q4_0",  "tiny-llama-Q4_1",  "tiny-llama-Q4_K_S",
    "tiny-llama-Q4_K_M", "tiny-llama-Q3_K_S", "tiny-llama-Q2_K", "tiny-gemma3-Q5_1",
    "tiny-gemma3-Q8_0",  "tiny-qwen2-Q8_0",  "tiny-qwen3-Q4_K_M", "llama-2-tiny-random",
};

static void check_model(const char *stem) {
  char path[1024];
  snprintf(path, sizeof path, "%s/models/%s.gguf", GQC_TEST_DATA, stem);
  gguf_error ge = {0};
  gguf_file *f = gguf_open(path, &ge);
  if (!f)
    fail_msg("%s", ge.msg);
  gqc_diag d = {0};
  gqc_frontend_options fo = {.module_name = "model", .kv_type = IR_F32};
  ir_module *m = gqc_frontend_load(f, &fo, &d);
  if (!m)
    fail_msg("%s: %s", stem, d.msg);
  gqc_target t;
  assert_true(gqc_target_init(&t, "x86_64-linux-gnu", "x86-64-v3", NULL, &d));
  gqc_pipeline_options po = {0};
  if (!gqc_run_pipeline(m, &t, &po, &d))
    fail_msg("%s: %s", stem, d.msg);

  uint64_t live_bytes = 0, padded = 0;
  int live = 0;
  for (int w = 0; w < m->n_weights; w++) {
    const ir_weight *iw = &m->weights[w];
    if (iw->dead)
      continue;
    live++;
    const gguf_tensor *gt = gguf_find_tensor(f, iw->name);
    if (!gt)
      fail_msg("%s: weight %s is not a GGUF tensor", stem, iw->name);
    /* the bytes are the file's (packed), unless a compile-time repack
     * permuted them — then the size is the same */
    if (!strcmp(iw->storage, "gguf"))
      assert_ptr_equal(iw->data, gt->data);
    assert_int_equal(iw->nbytes, gt->nbytes);
    assert_int_equal(ir_dtype_get(iw->type.dtype)->ggml_id, (int)gt->type);
    for (int o = 0; o < w; o++)
      if (!m->weights[o].dead && !strcmp(m->weights[o].name, iw->name))
        fail_msg("%s: %s stored twice", stem, iw->name);
    live_bytes += iw->nbytes;
    padded += (iw->nbytes + 63) & ~(uint64_t)63;
  }
  /* every GGUF tensor is used (these models have no unused tensors) */
  uint64_t file_bytes = 0;
  for (uint64_t k = 0; k < f->n_tensors; k++)
    file_bytes += f->tensors[k].nbytes;
  assert_int_equal(live, (int)f->n_tensors);
  assert_int_equal(live_bytes, file_bytes);
  assert_true((uint64_t)m->weight_bytes == padded);
  /* tied models: one weight read both by embed and by a linear */
  if (!gguf_find_tensor(f, "output.weight"))
    assert_int_equal(ir_meta_int(m, "tied_weights", 0), 1);
  ir_module_free(m);
  gguf_close(f);
}

static void test_all_models(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof models / sizeof models[0]; k++)
    check_model(models[k]);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_all_models)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

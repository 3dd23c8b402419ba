/* test_codegen_placement.c — the codegen side of the firmware placement
 * options (gqc --weights=file, --arena-section):
 *   - gqc_write_weight_file writes exactly gqc_weight_blob_fill's bytes and
 *     returns the CRC-32C checksums gqcrt_weights_crc32c computes on them
 *     (full, and quick = first and last MiB), for blobs below 1 MiB, between
 *     1 and 2 MiB and above 2 MiB, with weights and zero padding straddling
 *     the quick ranges' edges (the streaming code must split them right);
 *   - section names: what --arena-section accepts and refuses;
 *   - gqc_arena_section_asm: nobits section, both symbols, their sizes.
 * Uses a hand-made planned module (offsets set here), no frontend. What the
 * backends make of the options is tested end to end (tests/e2e/firmware.cmake).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "gqcrt_blob.h"
#include "ir/ir.h"
#include "test_util.h"

#define MiB (1u << 20)

static uint32_t rng_state = 777;
static unsigned char rnd8(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (unsigned char)(rng_state >> 24);
}

typedef struct placed {
  uint64_t offset, nbytes;
} placed;

/* A planned module whose weights (random bytes) sit at the given offsets in
 * a blob of `total` bytes; data pointers go to bufs[]. */
static ir_module *make_module(const placed *w, int n, uint64_t total, void **bufs) {
  ir_module *m = ir_module_new("placement");
  for (int k = 0; k < n; k++) {
    unsigned char *p = malloc(w[k].nbytes);
    assert_non_null(p);
    for (uint64_t i = 0; i < w[k].nbytes; i++)
      p[i] = rnd8();
    bufs[k] = p;
    char name[16];
    snprintf(name, sizeof name, "w%d", k);
    int idx = ir_module_add_weight(m, name, ir_type_vec(IR_F32, (int64_t)w[k].nbytes / 4), p,
                                   w[k].nbytes);
    m->weights[idx].offset = (int64_t)w[k].offset;
  }
  m->weight_bytes = (int64_t)total;
  m->arena_bytes = 4096;
  return m;
}

static void check_layout(const placed *w, int n, uint64_t total) {
  void *bufs[8];
  ir_module *m = make_module(w, n, total, bufs);
  gqc_diag d = {0};
  unsigned char *want = malloc(total);
  assert_non_null(want);
  assert_true(gqc_weight_blob_fill(m, want, &d));
  char path[] = "/tmp/gqc-test-placement-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  uint32_t full = 1, quick = 2;
  assert_true(gqc_write_weight_file(m, path, &full, &quick, &d));
  size_t size;
  unsigned char *got = (unsigned char *)test_read_file(path, &size);
  assert_int_equal(size, total);
  assert_memory_equal(got, want, total);
  assert_int_equal(full, gqcrt_weights_crc32c(want, total, 1));
  assert_int_equal(quick, gqcrt_weights_crc32c(want, total, 0));
  if (total > 2 * MiB)
    assert_int_not_equal(full, quick);
  unlink(path);
  free(got);
  free(want);
  for (int k = 0; k < n; k++)
    free(bufs[k]);
  ir_module_free(m);
}

static void test_weight_file_small(void **state) {
  (void)state;
  const placed w[] = {{0, 1000}, {1024, 5000}, {6144, 3000}};
  check_layout(w, 3, 9216); /* quick == full */
}

static void test_weight_file_between_one_and_two_mib(void **state) {
  (void)state;
  /* a weight across the 1 MiB mark: head ends, tail begins inside it */
  const placed w[] = {{0, 700000}, {700032, 600000}, {1300032, 200000}};
  check_layout(w, 3, 1500032);
}

static void test_weight_file_large(void **state) {
  (void)state;
  /* total 3.5 MiB + 64: the head ends inside weight 1, the tail starts inside
   * weight 3's leading zero padding; weight 4 ends before the blob does */
  uint64_t total = 7 * MiB / 2 + 64;
  uint64_t tail = total - MiB;
  const placed w[] = {{0, 300000},
                      {320000, 900000}, /* spans 1 MiB */
                      {1280000, 1000000},
                      {tail + 640, 400000}, /* zero padding across the tail start */
                      {tail + 400704, 500000}};
  check_layout(w, 5, total);
  /* and one weight that covers both quick ranges and the middle */
  const placed one[] = {{64, 3 * MiB}};
  check_layout(one, 1, 3 * MiB + 128);
}

static void test_weight_file_errors(void **state) {
  (void)state;
  void *bufs[1];
  const placed w[] = {{0, 100}};
  ir_module *m = make_module(w, 1, 128, bufs);
  gqc_diag d = {0};
  uint32_t a, b;
  assert_false(gqc_write_weight_file(m, "/nonexistent-dir/x.weights", &a, &b, &d));
  assert_non_null(strstr(d.msg, "/nonexistent-dir/x.weights"));
  m->weight_bytes = -1; /* unplanned */
  gqc_diag d2 = {0};
  assert_false(gqc_write_weight_file(m, "/tmp/gqc-test-placement-unplanned", &a, &b, &d2));
  assert_non_null(strstr(d2.msg, "plan-memory"));
  unlink("/tmp/gqc-test-placement-unplanned");
  free(bufs[0]);
  ir_module_free(m);
}

static void test_section_names(void **state) {
  (void)state;
  assert_true(gqc_valid_section_name(".gqc.arena"));
  assert_true(gqc_valid_section_name(".sram"));
  assert_true(gqc_valid_section_name("sram_bank1"));
  assert_true(gqc_valid_section_name(".bss.model"));
  assert_false(gqc_valid_section_name(""));
  assert_false(gqc_valid_section_name(NULL));
  assert_false(gqc_valid_section_name("1sram"));
  assert_false(gqc_valid_section_name(".sram\"\n.text"));
  assert_false(gqc_valid_section_name(".s ram"));
  assert_false(gqc_valid_section_name(".sram,\"ax\""));
}

static void test_arena_section_asm(void **state) {
  (void)state;
  void *bufs[1];
  const placed w[] = {{0, 100}};
  ir_module *m = make_module(w, 1, 128, bufs);
  m->arena_bytes = 123456;
  gqc_codegen_options o = {.name = "story", .arena_section = ".sram", .max_text_bytes = 64};
  char *text = gqc_arena_section_asm(m, &o);
  assert_non_null(text);
  assert_non_null(strstr(text, ".pushsection .sram,\"aw\",%nobits\n"));
  assert_non_null(strstr(text, ".balign 64\nstory__arena:\n"));
  assert_non_null(strstr(text, ".size story__arena,123456\n.zero 123456\n"));
  /* no vocabulary: a 1-byte scratch, still defined (the C backend uses it) */
  assert_non_null(strstr(text, ".balign 16\nstory__tok_scratch:\n"));
  assert_non_null(strstr(text, ".size story__tok_scratch,1\n"));
  assert_non_null(strstr(text, ".popsection\n"));
  assert_null(strstr(text, "progbits"));
  free(text);
  free(bufs[0]);
  ir_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_weight_file_small),
      cmocka_unit_test(test_weight_file_between_one_and_two_mib),
      cmocka_unit_test(test_weight_file_large),
      cmocka_unit_test(test_weight_file_errors),
      cmocka_unit_test(test_section_names),
      cmocka_unit_test(test_arena_section_asm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

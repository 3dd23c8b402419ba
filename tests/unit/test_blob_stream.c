/* test_blob_stream.c — the weight blob streamed from the model file
 * (codegen/blobs.c, codegen/blob_file.c).
 *
 * The weights of a module here point into a mapping of a real file, which
 * is the module's weight_file, as the frontend sets it up for a GGUF. Then:
 *   - every writer gives the same blob, byte for byte, as the layout built
 *     in memory from the weights' bytes: gqc_write_weight_blob (unchanged
 *     weights copied file to file), gqc_weight_blob_fill and
 *     gqc_write_weight_file (read with pread), for a model file on the same
 *     file system as the output and on another one (/dev/shm, where the
 *     kernel may refuse copy_file_range and the copy goes through memory);
 *   - a weight that repack-weights marked is packed piece by piece, across
 *     many pieces: the blob holds exactly the whole-matrix packing;
 *   - the walk never reads the mapping: with the mapping made unreadable
 *     (PROT_NONE) the blob is still right;
 *   - zero padding becomes holes: a blob of mostly padding takes almost no
 *     disk;
 *   - a model file that got shorter is a clear error, not a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "gqcrt.h"
#include "gqcrt_blob.h"
#include "ir/ir.h"
#include "test_util.h"

/* A q8_0 matrix of this many rows (a multiple of 4) and columns spans many
 * walk pieces: 4096 x 1088 bytes = 4.25 MiB. */
enum { ROWS = 4096, COLS = 1024, ROW_BYTES = COLS / 32 * 34 };
#define MATRIX_BYTES ((uint64_t)ROWS * ROW_BYTES)
#define VEC_BYTES 4000
#define GAP ((uint64_t)16 << 20) /* zero padding before the vector: a hole */

typedef struct model_file {
  char path[256];
  int fd;
  unsigned char *map;
  uint64_t size;
  ir_module *m;
} model_file;

/* A "model file" in dir: a header's worth of bytes, the matrix (q8_0
 * blocks with sane scales), a vector; mapped, with a module whose two
 * weights point into the mapping, planned with the vector after GAP bytes
 * of padding. repack: the matrix is marked for q8_0_r4. */
static void make_model(model_file *mf, const char *dir, bool repack) {
  snprintf(mf->path, sizeof mf->path, "%s/gqc-test-blob-XXXXXX", dir);
  mf->fd = mkstemp(mf->path);
  assert_true(mf->fd >= 0);
  mf->size = 96 + MATRIX_BYTES + VEC_BYTES;
  unsigned char *bytes = malloc(mf->size);
  for (uint64_t k = 0; k < mf->size; k++)
    bytes[k] = (unsigned char)rnd32();
  for (uint64_t b = 96; b < 96 + MATRIX_BYTES; b += 34) {
    uint16_t h = gqcrt_fp32_to_fp16(0.01f);
    memcpy(bytes + b, &h, 2);
  }
  assert_true(pwrite(mf->fd, bytes, mf->size, 0) == (ssize_t)mf->size);
  free(bytes);
  mf->map = mmap(NULL, mf->size, PROT_READ, MAP_PRIVATE, mf->fd, 0);
  assert_true(mf->map != MAP_FAILED);

  ir_module *m = mf->m = ir_module_new("stream");
  m->weight_file_fd = mf->fd;
  m->weight_file_base = mf->map;
  m->weight_file_size = mf->size;
  int a = ir_module_add_weight(m, "matrix", ir_type_mat(IR_Q8_0, ROWS, COLS), mf->map + 96,
                               MATRIX_BYTES);
  int b = ir_module_add_weight(m, "vector", ir_type_vec(IR_F32, VEC_BYTES / 4),
                               mf->map + 96 + MATRIX_BYTES, VEC_BYTES);
  m->weights[a].offset = 0;
  m->weights[b].offset = (int64_t)(MATRIX_BYTES + GAP);
  m->weight_bytes = (int64_t)(MATRIX_BYTES + GAP + VEC_BYTES + 32);
  m->arena_bytes = 64;
  if (repack) {
    m->weights[a].repack = gqcrt_pack_q8_0_r4;
    m->weights[a].repack_rows = 4;
    m->weights[a].storage = "q8_0_r4";
  }
}

static void free_model(model_file *mf) {
  ir_module_free(mf->m);
  munmap(mf->map, mf->size);
  close(mf->fd);
  unlink(mf->path);
}

/* The blob, built here from the file's bytes. */
static unsigned char *expected_blob(const model_file *mf, bool repack) {
  unsigned char *want = calloc(1, (size_t)mf->m->weight_bytes);
  const unsigned char *matrix = mf->map + 96;
  if (repack)
    gqcrt_pack_q8_0_r4(want, matrix, COLS, ROWS);
  else
    memcpy(want, matrix, MATRIX_BYTES);
  memcpy(want + MATRIX_BYTES + GAP, mf->map + 96 + MATRIX_BYTES, VEC_BYTES);
  return want;
}

static void check_writers(const char *model_dir, bool repack) {
  model_file mf;
  make_model(&mf, model_dir, repack);
  unsigned char *want = expected_blob(&mf, repack);
  uint64_t size = (uint64_t)mf.m->weight_bytes;
  gqc_diag d = {0};
  char out[] = "/tmp/gqc-test-blob-out-XXXXXX";
  int fd = mkstemp(out);
  assert_true(fd >= 0);
  close(fd);
  /* nothing may read the mapping: the walk reads the file */
  assert_int_equal(mprotect(mf.map, mf.size, PROT_NONE), 0);

  unsigned char *got = malloc(size);
  assert_true(gqc_weight_blob_fill(mf.m, got, &d));
  assert_memory_equal(got, want, size);
  free(got);

  size_t n;
  assert_true(gqc_write_weight_blob(mf.m, out, &d));
  got = (unsigned char *)test_read_file(out, &n);
  assert_int_equal(n, size);
  assert_memory_equal(got, want, size);
  free(got);

  uint32_t full, quick;
  assert_true(gqc_write_weight_file(mf.m, out, &full, &quick, &d));
  got = (unsigned char *)test_read_file(out, &n);
  assert_int_equal(n, size);
  assert_memory_equal(got, want, size);
  assert_int_equal(full, gqcrt_weights_crc32c(want, size, 1));
  assert_int_equal(quick, gqcrt_weights_crc32c(want, size, 0));
  free(got);
  unlink(out);
  free(want);
  free_model(&mf);
}

static void test_copied_from_the_file(void **state) {
  (void)state;
  check_writers("/tmp", false);
}

static void test_repacked_piece_by_piece(void **state) {
  (void)state;
  check_writers("/tmp", true);
}

/* Another file system than the output's: copy_file_range may refuse
 * (EXDEV), and the bytes go through memory. */
static void test_from_another_file_system(void **state) {
  (void)state;
  struct stat st;
  if (stat("/dev/shm", &st) != 0 || !S_ISDIR(st.st_mode)) {
    skip();
    return;
  }
  check_writers("/dev/shm", false);
}

static void test_holes(void **state) {
  (void)state;
  model_file mf;
  make_model(&mf, "/tmp", false);
  char out[] = "/tmp/gqc-test-blob-holes-XXXXXX";
  int fd = mkstemp(out);
  assert_true(fd >= 0);
  /* does this file system have holes at all? */
  bool holes = ftruncate(fd, (off_t)GAP) == 0;
  struct stat st;
  holes = holes && fstat(fd, &st) == 0 && (uint64_t)st.st_blocks * 512 < GAP / 2;
  close(fd);
  gqc_diag d = {0};
  assert_true(gqc_write_weight_blob(mf.m, out, &d));
  assert_int_equal(stat(out, &st), 0);
  assert_int_equal((uint64_t)st.st_size, (uint64_t)mf.m->weight_bytes);
  if (holes)
    assert_true((uint64_t)st.st_blocks * 512 < MATRIX_BYTES + GAP / 2);
  unlink(out);
  free_model(&mf);
}

/* The model file shrank after it was mapped: an error naming the weight,
 * whether it was being copied or read (to be repacked). */
static void test_short_file(void **state) {
  (void)state;
  for (int repack = 0; repack < 2; repack++) {
    model_file mf;
    make_model(&mf, "/tmp", repack);
    assert_int_equal(ftruncate(mf.fd, 1000), 0);
    gqc_diag d = {0};
    char out[] = "/tmp/gqc-test-blob-short-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    assert_false(gqc_write_weight_blob(mf.m, out, &d));
    assert_non_null(strstr(d.msg, repack ? "cannot read weight @matrix from the model file"
                                         : "cannot copy weight @matrix from the model file"));
    unlink(out);
    free_model(&mf);
  }
}

int main(void) {
  test_rng_seed(18);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copied_from_the_file),
      cmocka_unit_test(test_repacked_piece_by_piece),
      cmocka_unit_test(test_from_another_file_system),
      cmocka_unit_test(test_holes),
      cmocka_unit_test(test_short_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

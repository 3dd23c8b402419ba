/* weights_file.c — the run-time side of `gqc --weights=file`: what
 * model_init_weights, model_verify_weights, model_init and model_decode do
 * with good and bad blobs (tests/e2e/weights_file.sh builds and runs it).
 *
 *   usage: weights_file MODEL.weights
 *
 * Reads the blob into a 64-byte-aligned buffer, then checks, in order:
 *   - without weights: init and verify say GQCRT_ERR_NOT_INITIALISED, decode
 *     returns NULL;
 *   - a NULL blob: GQCRT_ERR_NULL; one byte short or long: GQCRT_ERR_BAD_BLOB;
 *     the right bytes 8 or 1 bytes off the 64-byte alignment: BAD_BLOB; one
 *     byte flipped at the start or the end: BAD_BLOB;
 *   - a byte flipped in the middle: refused by init_weights when the blob is
 *     at most 2 MiB (the quick check covers all of it), else accepted by
 *     init_weights but refused by verify_weights, which drops the weights
 *     (decode and init then fail);
 *   - the good blob: init_weights, verify_weights, init and a decode succeed;
 *     a later failed init_weights drops the weights and the decoder state.
 * Prints one line per check; exits 1 at the first failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"
#include "gqcrt_blob.h"
#include "model.h"

#ifndef MODEL_WEIGHTS_EXTERNAL
#error "compile the model with --weights=file"
#endif

static int failures;

static void expect(const char *what, int got, int want) {
  printf("%-58s %4d (want %d)%s\n", what, got, want, got == want ? "" : "  FAIL");
  if (got != want)
    failures++;
}

/* decode at position 0: 0 if it gave logits, else model_last_error() */
static int decode0(void) {
  return model_decode(0, 0) ? 0 : model_last_error();
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: weights_file MODEL.weights\n", stderr);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  const uint64_t size = MODEL_WEIGHT_BYTES;
  /* room for the blob, one extra byte, and copies 1 and 8 bytes off alignment */
  size_t cap = (size_t)(size + 128) / 64 * 64;
  unsigned char *buf = aligned_alloc(64, cap);
  unsigned char *off = aligned_alloc(64, cap);
  if (!buf || !off || fread(buf, 1, (size_t)size + 1, f) != size) {
    fprintf(stderr, "%s: cannot read %llu bytes (or the file is longer)\n", argv[1],
            (unsigned long long)size);
    return 2;
  }
  fclose(f);
  buf[size] = 0;

  expect("init without weights: NOT_INITIALISED", model_init(), GQCRT_ERR_NOT_INITIALISED);
  expect("decode without weights: NOT_INITIALISED", decode0(), GQCRT_ERR_NOT_INITIALISED);
  expect("verify without weights: NOT_INITIALISED", model_verify_weights(),
         GQCRT_ERR_NOT_INITIALISED);

  expect("init_weights(NULL): NULL", model_init_weights(NULL, size), GQCRT_ERR_NULL);
  expect("one byte short: BAD_BLOB", model_init_weights(buf, size - 1), GQCRT_ERR_BAD_BLOB);
  expect("one byte long: BAD_BLOB", model_init_weights(buf, size + 1), GQCRT_ERR_BAD_BLOB);
  memcpy(off + 8, buf, (size_t)size);
  expect("8 bytes off the alignment: BAD_BLOB", model_init_weights(off + 8, size),
         GQCRT_ERR_BAD_BLOB);
  memcpy(off + 1, buf, (size_t)size);
  expect("1 byte off the alignment: BAD_BLOB", model_init_weights(off + 1, size),
         GQCRT_ERR_BAD_BLOB);
  expect("last_error after a refused blob: BAD_BLOB", model_last_error(), GQCRT_ERR_BAD_BLOB);

  const size_t flips[2] = {100 % (size_t)size, (size_t)size - 1};
  const char *names[2] = {"a byte flipped at the start: BAD_BLOB",
                          "a byte flipped at the end: BAD_BLOB"};
  for (int k = 0; k < 2; k++) {
    buf[flips[k]] ^= 0x40;
    expect(names[k], model_init_weights(buf, size), GQCRT_ERR_BAD_BLOB);
    buf[flips[k]] ^= 0x40;
  }

  size_t mid = (size_t)size / 2;
  buf[mid] ^= 0x01;
  if (size <= 2 * GQCRT_WEIGHTS_QUICK_BYTES) {
    expect("a byte flipped in the middle (small blob): BAD_BLOB", model_init_weights(buf, size),
           GQCRT_ERR_BAD_BLOB);
  } else {
    expect("a byte flipped in the middle: init_weights OK", model_init_weights(buf, size), 0);
    expect("... init OK", model_init(), 0);
    expect("... verify_weights: BAD_BLOB", model_verify_weights(), GQCRT_ERR_BAD_BLOB);
    expect("... then decode: NOT_INITIALISED", decode0(), GQCRT_ERR_NOT_INITIALISED);
    expect("... and init: NOT_INITIALISED", model_init(), GQCRT_ERR_NOT_INITIALISED);
  }
  buf[mid] ^= 0x01;

  expect("the good blob: init_weights OK", model_init_weights(buf, size), 0);
  expect("... decode before init: NOT_INITIALISED", decode0(), GQCRT_ERR_NOT_INITIALISED);
  expect("... verify_weights OK", model_verify_weights(), 0);
  expect("... init OK", model_init(), 0);
  expect("... decode OK", decode0(), 0);
  expect("a refused blob afterwards: BAD_BLOB", model_init_weights(buf, size - 1),
         GQCRT_ERR_BAD_BLOB);
  expect("... drops the decoder: decode NOT_INITIALISED", decode0(), GQCRT_ERR_NOT_INITIALISED);
  expect("the good blob again: init_weights OK", model_init_weights(buf, size), 0);
  expect("... init OK", model_init(), 0);
  expect("... decode OK", decode0(), 0);

  free(buf);
  free(off);
  printf("%s: %d failure(s), blob of %llu bytes\n", failures ? "FAIL" : "ok", failures,
         (unsigned long long)size);
  return failures ? 1 : 0;
}

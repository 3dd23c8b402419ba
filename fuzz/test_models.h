/* test_models.h — open_test_model(who, name): the model `name` of the
 * repository's test data (GQC_TEST_DATA/models/<name>, GQC_TEST_DATA set by
 * fuzz/CMakeLists.txt), which the fuzz targets and the seed generator read.
 * A model that cannot be read is a broken checkout, not a finding: the
 * reader's message after `who` (the program's name) on stderr, and abort.
 */
#ifndef GQC_FUZZ_TEST_MODELS_H
#define GQC_FUZZ_TEST_MODELS_H

#include <stdio.h>
#include <stdlib.h>

#include "frontend/gguf.h"

static inline gguf_file *open_test_model(const char *who, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/models/%s", GQC_TEST_DATA, name);
  gguf_error err;
  gguf_file *f = gguf_open(path, &err);
  if (!f) {
    fprintf(stderr, "%s: %s\n", who, err.msg);
    abort();
  }
  return f;
}

#endif

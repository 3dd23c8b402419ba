/* tokenize_cmd.c — `gqc tokenize MODEL.gguf TEXT`: ids as llama.cpp prints them.
 *
 * Builds the same vocabulary blob the compiled model embeds and runs the
 * runtime's tokenizer on it, so what this prints is exactly what
 * <name>_tokenize returns on the board. Output: "[1, 9038, 2501]", like
 * llama.cpp's `llama-tokenize --ids`. `--no-bos` leaves special tokens out,
 * `--no-parse-special` treats control-token texts as plain text, `--pieces`
 * prints one "id<TAB>piece" line per token instead.
 */
#include "driver/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "gqcrt.h"
#include "gqcrt_tokenizer.h"

static const char *error_name(int32_t code) {
  switch (code) {
  case GQCRT_ERR_NO_SPACE:
    return "output too small";
  case GQCRT_ERR_BAD_UTF8:
    return "the text is not valid UTF-8";
  case GQCRT_ERR_NULL:
    return "NULL argument";
  case GQCRT_ERR_BAD_BLOB:
    return "corrupt vocabulary";
  default:
    return "tokenizer error";
  }
}

int gqc_cmd_tokenize(int argc, char **argv) {
  const char *model = NULL, *text = NULL;
  bool add_special = true, parse_special = true, pieces = false;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--no-bos"))
      add_special = false;
    else if (!strcmp(argv[i], "--no-parse-special"))
      parse_special = false;
    else if (!strcmp(argv[i], "--pieces"))
      pieces = true;
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "gqc: error: tokenize: unknown option '%s'\n", argv[i]);
      return 2;
    } else if (!model)
      model = argv[i];
    else if (!text)
      text = argv[i];
    else {
      fprintf(stderr, "gqc: error: tokenize: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!model || !text) {
    fprintf(stderr, "usage: gqc tokenize MODEL.gguf TEXT [--no-bos] [--no-parse-special] "
                    "[--pieces]\n");
    return 2;
  }
  gguf_error ge = {0};
  gguf_file *f = gguf_open(model, &ge);
  if (!f) {
    gqc_print_error(ge.msg);
    return 1;
  }
  gqc_diag d = {0};
  gqc_vocab_blob blob = {0};
  if (!gqc_vocab_build(f, &blob, &d)) {
    gqc_print_error(d.msg);
    gguf_close(f);
    return 1;
  }
  size_t len = strlen(text);
  size_t scratch_bytes = gqcrt_tokenize_scratch_bytes(blob.data, len);
  int32_t max_ids = (int32_t)(3 * len + 8); /* worst case: 3 byte tokens per byte, + specials */
  void *scratch = malloc(scratch_bytes ? scratch_bytes : 1);
  int32_t *ids = malloc((size_t)max_ids * sizeof *ids);
  int rc = 0;
  int32_t n = scratch && ids ? gqcrt_tokenize(blob.data, text, len, add_special, parse_special, ids,
                                              max_ids, scratch, scratch_bytes)
                             : GQCRT_ERR_NO_SPACE;
  if (n < 0) {
    fprintf(stderr, "gqc: error: %s: %s (code %d)\n", "tokenize", error_name(n), n);
    rc = 1;
  } else if (pieces) {
    for (int32_t k = 0; k < n; k++) {
      int32_t plen = 0;
      const char *p = gqcrt_token_piece(blob.data, ids[k], 1, &plen);
      printf("%d\t%.*s\n", ids[k], (int)plen, p ? p : "");
    }
  } else {
    putchar('[');
    for (int32_t k = 0; k < n; k++)
      printf("%s%d", k ? ", " : "", ids[k]);
    puts("]");
  }
  free(ids);
  free(scratch);
  gqc_vocab_blob_free(&blob);
  gguf_close(f);
  return rc;
}

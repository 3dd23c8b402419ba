/* text_file.c — an input text file read whole (the --grammar / --tools file,
 * the --prefix text), up to a size limit, with one message per failure. */
#include "driver/driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *gqc_read_text_file(const char *path, size_t max_bytes, size_t *len, gqc_diag *d) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    gqc_error(d, "%s: cannot read: %s", path, strerror(errno));
    return NULL;
  }
  char *buf = malloc(max_bytes + 1);
  size_t n = buf ? fread(buf, 1, max_bytes + 1, f) : 0;
  const bool err = ferror(f);
  fclose(f);
  if (!buf || err || n > max_bytes) {
    free(buf);
    gqc_error(d, "%s: %s%zu MiB", path,
              !buf  ? "out of memory, reading at most "
              : err ? "read error, reading at most "
                    : "larger than ",
              max_bytes >> 20);
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

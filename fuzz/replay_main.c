/* replay_main.c — runs a libFuzzer target without libFuzzer.
 *
 * Linked with one fuzz_<name>.c into replay_<name> in ordinary (gcc, and
 * sanitizer) builds: every argument is a file, or a directory whose files
 * (not starting with '.', not README*) are fed, in name order, to
 * LLVMFuzzerTestOneInput one at a time. The corpus and the regression
 * inputs thereby become a ctest test. A missing directory is skipped (an
 * empty regression directory is not kept by git); no input at all fails.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fclose(f);
      fprintf(stderr, "replay: out of memory reading %s\n", path);
      return -1;
    }
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb)
      free(buf);
    buf = nb;
    cap *= 2;
  }
  fclose(f);
  /* An exact-size copy, so that ASan catches a read one byte past the end. */
  uint8_t *exact = malloc(n ? n : 1);
  if (!exact) {
    free(buf);
    return -1;
  }
  memcpy(exact, buf, n);
  free(buf);
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays one file or directory; returns the number of inputs, -1 on error. */
static int replay_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: not found, skipped\n", path);
    return 0;
  }
  if (!S_ISDIR(st.st_mode))
    return replay_file(path) == 0 ? 1 : -1;
  DIR *dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.' || !strncmp(e->d_name, "README", 6))
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn)
        break;
      names = nn;
    }
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    if (!names[n])
      break;
    snprintf(names[n], len, "%s/%s", path, e->d_name);
    n++;
  }
  closedir(dir);
  if (n)
    qsort(names, n, sizeof *names, by_name);
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat fs;
    if (count >= 0 && stat(names[i], &fs) == 0 && S_ISREG(fs.st_mode))
      count = replay_file(names[i]) == 0 ? count + 1 : -1;
    free(names[i]);
  }
  free(names);
  return count;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    int n = replay_path(argv[i]);
    if (n < 0)
      return 1;
    total += n;
  }
  if (total == 0) {
    fprintf(stderr, "replay: no inputs\n");
    return 1;
  }
  fprintf(stderr, "replay: %d inputs, no failure\n", total);
  return 0;
}

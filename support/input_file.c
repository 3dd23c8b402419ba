/* input_file.c — safe opening of inputs and the list of them (input_file.h). */
#define _XOPEN_SOURCE 700
#include "support/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/escape.h"

/* ---- the inputs seen so far -------------------------------------------- */

#define MAX_INPUTS 64 /* a compile reads 1-3 files; older entries are reused */

typedef struct input_id {
  bool used;
  dev_t dev;
  ino_t ino;
  char *path;     /* as given, for messages */
  char *resolved; /* realpath, NULL when unknown (standard input) */
} input_id;

static input_id inputs[MAX_INPUTS];
static int next_input;

static void remember(const char *path, const struct stat *st, bool resolve) {
  for (int k = 0; k < MAX_INPUTS; k++)
    if (inputs[k].used && inputs[k].dev == st->st_dev && inputs[k].ino == st->st_ino)
      return;
  input_id *in = &inputs[next_input];
  next_input = (next_input + 1) % MAX_INPUTS;
  free(in->path);
  free(in->resolved);
  *in = (input_id){.used = true, .dev = st->st_dev, .ino = st->st_ino, .path = strdup(path)};
  in->resolved = resolve ? realpath(path, NULL) : NULL;
}

void gqc_inputs_forget(void) {
  for (int k = 0; k < MAX_INPUTS; k++) {
    free(inputs[k].path);
    free(inputs[k].resolved);
    inputs[k] = (input_id){0};
  }
  next_input = 0;
}

void gqc_input_note(const char *path) {
  struct stat st;
  if (path && !strcmp(path, "-")) {
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
      remember("standard input", &st, false);
  } else if (path && stat(path, &st) == 0) {
    remember(path, &st, true);
  }
}

char *gqc_resolve_path(const char *path) {
  char *r = realpath(path, NULL);
  if (r)
    return r;
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX];
  int len = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path)
                  : snprintf(dir, sizeof dir, ".");
  if (len < 0 || (size_t)len >= sizeof dir)
    return NULL;
  char *rd = realpath(dir[0] ? dir : "/", NULL);
  if (!rd)
    return NULL;
  const char *base = slash ? slash + 1 : path;
  size_t n = strlen(rd) + strlen(base) + 2;
  char *out = malloc(n);
  if (out)
    snprintf(out, n, "%s/%s", strcmp(rd, "/") ? rd : "", base);
  free(rd);
  return out;
}

bool gqc_input_check_output(const char *path, char *msg, size_t n) {
  struct stat st;
  bool exists = stat(path, &st) == 0;
  char *resolved = gqc_resolve_path(path);
  const input_id *hit = NULL;
  for (int k = 0; k < MAX_INPUTS && !hit; k++) {
    const input_id *in = &inputs[k];
    if (!in->used)
      continue;
    if ((exists && in->dev == st.st_dev && in->ino == st.st_ino) ||
        (resolved && in->resolved && !strcmp(resolved, in->resolved)))
      hit = in;
  }
  free(resolved);
  if (!hit)
    return true;
  char out_e[512], in_e[512];
  gqc_escape_str(out_e, sizeof out_e, path);
  gqc_escape_str(in_e, sizeof in_e, hit->path ? hit->path : "?");
  snprintf(msg, n, "refusing to write %s: it is the input %s%s", out_e, in_e,
           strcmp(path, hit->path ? hit->path : "") ? " (the same file)" : "");
  return false;
}

/* ---- opening ------------------------------------------------------------- */

static const char *kind_of(mode_t m) {
  return S_ISDIR(m)    ? "a directory"
         : S_ISFIFO(m) ? "a FIFO"
         : S_ISSOCK(m) ? "a socket"
         : S_ISCHR(m)  ? "a character device"
         : S_ISBLK(m)  ? "a block device"
                       : "an unusual file";
}

static int refuse(const struct stat *st, char *why, size_t n) {
  snprintf(why, n, "not a regular file (%s)", kind_of(st->st_mode));
  return -1;
}

int gqc_input_open(const char *path, uint64_t *size, char *why, size_t n) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(why, n, "%s", strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode))
    return refuse(&st, why, n);
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(why, n, "%s", strerror(errno));
    return -1;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    close(fd);
    if (S_ISREG(st.st_mode) || !st.st_mode)
      snprintf(why, n, "%s", strerror(e));
    else
      refuse(&st, why, n);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  remember(path, &st, true);
  *size = (uint64_t)st.st_size;
  return fd;
}

char *gqc_input_read(const char *path, size_t max_bytes, size_t *len, char *why, size_t n) {
  uint64_t size = 0;
  int fd;
  if (!strcmp(path, "-")) {
    fd = STDIN_FILENO;
    gqc_input_note(path);
  } else if ((fd = gqc_input_open(path, &size, why, n)) < 0) {
    return NULL;
  }
  if (size > max_bytes) {
    snprintf(why, n, "%llu bytes, more than the %zu allowed", (unsigned long long)size, max_bytes);
    if (fd != STDIN_FILENO)
      close(fd);
    return NULL;
  }
  /* A regular file is read into one buffer of its size (+ a byte that
   * notices a file still growing, + the NUL); a pipe grows one, up
   * to max_bytes + 1 bytes (one more than allowed tells it is too long). */
  size_t cap = size ? (size_t)size + 2 : 1 << 14, used = 0;
  char *buf = malloc(cap);
  bool ok = true;
  while (ok) {
    if (buf && used + 1 == cap && used <= max_bytes) {
      size_t ncap = cap > max_bytes / 2 ? max_bytes + 2 : cap * 2;
      char *nb = realloc(buf, ncap);
      if (!nb)
        free(buf);
      buf = nb;
      cap = ncap;
    }
    if (!buf) {
      snprintf(why, n, "out of memory: cannot allocate %zu bytes to read it into", cap);
      ok = false;
      break;
    }
    if (used > max_bytes) {
      snprintf(why, n, "longer than the %zu bytes allowed", max_bytes);
      ok = false;
      break;
    }
    ssize_t r = read(fd, buf + used, cap - 1 - used);
    if (r == 0)
      break;
    if (r > 0)
      used += (size_t)r;
    else if (errno != EINTR) {
      snprintf(why, n, "cannot read: %s", strerror(errno));
      ok = false;
    }
  }
  if (fd != STDIN_FILENO)
    close(fd);
  if (!ok) {
    free(buf);
    return NULL;
  }
  buf[used] = '\0';
  *len = used;
  return buf;
}

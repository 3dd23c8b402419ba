/* outputs.c — all-or-nothing outputs (outputs.h): a staging directory
 * beside the outputs, renamed into place file by file on success.
 *
 * rename(2) within one directory's file system replaces a file atomically,
 * so a reader (make, ninja, a linker) sees either the old file or the new
 * one, never a truncated one. The staging directory is a hidden sibling of
 * the outputs, so the renames never cross file systems.
 */
#define _POSIX_C_SOURCE 200809L
#include "driver/outputs.h"

#include "driver/driver.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The staging directory in use, removed at exit: some failures end the
 * process from deep inside a library (LLVM's fatal-error handler exits). */
static gqc_outputs *active;

static void abort_active(void) {
  if (active)
    gqc_outputs_abort(active);
}

bool gqc_outputs_begin(gqc_outputs *out, const char *dir, gqc_diag *d) {
  static bool registered;
  if (!registered)
    registered = atexit(abort_active) == 0;
  out->stage[0] = '\0';
  int n = snprintf(out->dir, sizeof out->dir, "%s", dir);
  int m = snprintf(out->stage, sizeof out->stage, "%s/.gqc-stage-XXXXXX", dir);
  if (n < 0 || (size_t)n >= sizeof out->dir || m < 0 || (size_t)m >= sizeof out->stage) {
    out->stage[0] = '\0';
    return gqc_error(d, "%s: path too long", dir);
  }
  if (!mkdtemp(out->stage)) {
    int e = errno;
    out->stage[0] = '\0';
    return gqc_error(d, "%s: cannot write outputs here: %s", dir, strerror(e));
  }
  active = out;
  return true;
}

bool gqc_outputs_begin_for(gqc_outputs *out, const char *output, char *staged, size_t n,
                           gqc_diag *d) {
  const char *slash = strrchr(output, '/');
  char dir[4096];
  int len = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - output), output)
                  : snprintf(dir, sizeof dir, ".");
  if (len < 0 || (size_t)len >= sizeof dir)
    return gqc_error(d, "%s: path too long", output);
  if (!dir[0])
    snprintf(dir, sizeof dir, "/");
  if (!gqc_outputs_begin(out, dir, d))
    return false;
  len = snprintf(staged, n, "%s/%s", out->stage, slash ? slash + 1 : output);
  if (len < 0 || (size_t)len >= n) {
    gqc_outputs_abort(out);
    return gqc_error(d, "%s: path too long", output);
  }
  return true;
}

const char *gqc_outputs_dir(const gqc_outputs *out) {
  return out->stage;
}

/* Calls fn(ctx, name) for every entry of the staging directory; stops at
 * the first false. */
static bool each_staged(const gqc_outputs *out,
                        bool (*fn)(const gqc_outputs *, const char *, void *, gqc_diag *),
                        void *ctx, gqc_diag *d) {
  DIR *dp = opendir(out->stage);
  if (!dp)
    return gqc_error(d, "%s: %s", out->stage, strerror(errno));
  bool ok = true;
  struct dirent *e;
  while (ok && (e = readdir(dp)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      ok = fn(out, e->d_name, ctx, d);
  closedir(dp);
  return ok;
}

static bool join(char *buf, size_t n, const char *dir, const char *name, gqc_diag *d) {
  int len = snprintf(buf, n, "%s/%s", dir, name);
  if (len < 0 || (size_t)len >= n)
    return gqc_error(d, "%s/%s: path too long", dir, name);
  return true;
}

static bool check_destination(const gqc_outputs *out, const char *name, void *ctx, gqc_diag *d) {
  char dst[8192];
  struct stat st;
  if (!join(dst, sizeof dst, out->dir, name, d))
    return false;
  if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode))
    return gqc_error(d, "%s: cannot write the output: it is a directory", dst);
  return true;
}

static bool move_into_place(const gqc_outputs *out, const char *name, void *ctx, gqc_diag *d) {
  char src[8192], dst[8192];
  if (!join(src, sizeof src, out->stage, name, d) || !join(dst, sizeof dst, out->dir, name, d))
    return false;
  if (rename(src, dst) != 0)
    return gqc_error(d, "%s: cannot write: %s", dst, strerror(errno));
  return true;
}

bool gqc_outputs_commit(gqc_outputs *out, gqc_diag *d) {
  if (!out->stage[0])
    return gqc_error(d, "internal: outputs committed twice");
  bool ok =
      each_staged(out, check_destination, NULL, d) && each_staged(out, move_into_place, NULL, d);
  gqc_outputs_abort(out); /* the (now empty, or failed) staging directory */
  return ok;
}

void gqc_outputs_abort(gqc_outputs *out) {
  if (!out->stage[0])
    return;
  gqc_remove_temp_dir(out->stage);
  out->stage[0] = '\0';
  if (active == out)
    active = NULL;
}

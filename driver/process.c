/* process.c — running the C compiler and programs, temp dirs, install paths. */
#define _POSIX_C_SOURCE 200809L
#include "driver/driver.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int gqc_spawn(char *const argv[], bool verbose) {
  if (verbose) {
    for (int i = 0; argv[i]; i++)
      fprintf(stderr, "%s%s", i ? " " : "+ ", argv[i]);
    fputc('\n', stderr);
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    execvp(argv[0], argv);
    gqc_print_error("gqc", "cannot run %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

char *gqc_make_temp_dir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/gqc-XXXXXX", base && *base ? base : "/tmp");
  char *d = mkdtemp(tmpl);
  if (!d)
    return NULL;
  char *r = malloc(strlen(d) + 1);
  if (r)
    strcpy(r, d);
  return r;
}

void gqc_remove_temp_dir(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp)
    return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(dp))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(dp);
  rmdir(dir);
}

static const char *env_or(const char *var, const char *dflt) {
  const char *v = getenv(var);
  return v && *v ? v : dflt;
}

const char *gqc_runtime_include_dir(void) {
  return env_or("GQC_RUNTIME_INCLUDE", GQC_SOURCE_DIR "/runtime/include");
}

const char *gqc_samples_dir(void) { return env_or("GQC_SAMPLES_DIR", GQC_SOURCE_DIR "/samples"); }

const char *gqc_runtime_library(const char *triple) {
  if (!strncmp(triple, "aarch64", 7))
    return env_or("GQC_RUNTIME_LIB_AARCH64", GQC_BINARY_DIR "/aarch64/runtime/libgqcrt.a");
  return env_or("GQC_RUNTIME_LIB", GQC_BINARY_DIR "/runtime/libgqcrt.a");
}

const char *gqc_c_compiler(const char *triple, bool is_host) {
  if (is_host)
    return env_or("CC", "cc");
  if (!strncmp(triple, "aarch64", 7))
    return env_or("GQC_CC_AARCH64", "aarch64-linux-gnu-gcc");
  return env_or("CC", "cc");
}

/* peak_rss.c — a command's peak resident memory, for tests that bound it.
 *
 *   peak_rss OUT_FILE COMMAND [ARGS...]
 *
 * Runs COMMAND, waits for it and writes its peak resident set size in KiB
 * (the kernel's ru_maxrss: the command's high-water mark, or that of the
 * largest process it waited for, whichever is larger) to OUT_FILE. Exits
 * with the command's status (1 if it could not be run or was killed), so
 * a test sees both whether the command worked and what it took.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: peak_rss OUT_FILE COMMAND [ARGS...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("peak_rss: fork");
    return 1;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror("peak_rss: exec");
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) {
    perror("peak_rss: wait4");
    return 1;
  }
  FILE *f = fopen(argv[1], "w");
  if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
    perror(argv[1]);
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

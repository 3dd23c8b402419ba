/* filecheck.c — a small FileCheck for the golden IR tests.
 *
 *   filecheck CHECKFILE < output
 *
 * Reads the directives in CHECKFILE (lines containing "CHECK:",
 * "CHECK-NEXT:", "CHECK-NOT:" after a comment marker '#') and matches them
 * against standard input the way LLVM's FileCheck does, in a simpler form:
 *   CHECK: s       the next line at or after the current position containing s
 *   CHECK-NEXT: s  the line right after the previous match contains s
 *   CHECK-NOT: s   no line between the previous match and the next match
 *                  (or the end) contains s
 * Leading/trailing spaces of s are ignored. Exit 0 on success, 1 with a
 * message naming the directive (CHECKFILE:line) otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct directive {
  int kind; /* 0 CHECK, 1 NEXT, 2 NOT */
  char *text;
  int line;
} directive;

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = 0;
  return s;
}

static char *dupstr(const char *s) {
  char *r = malloc(strlen(s) + 1);
  strcpy(r, s);
  return r;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: filecheck CHECKFILE < output\n", stderr);
    return 2;
  }
  FILE *cf = fopen(argv[1], "r");
  if (!cf) {
    fprintf(stderr, "filecheck: cannot read %s\n", argv[1]);
    return 2;
  }
  directive *dirs = NULL;
  int nd = 0, lineno = 0;
  char buf[8192];
  while (fgets(buf, sizeof buf, cf)) {
    lineno++;
    static const char *const tags[] = {"CHECK:", "CHECK-NEXT:", "CHECK-NOT:"};
    for (int k = 0; k < 3; k++) {
      char *p = strstr(buf, tags[k]);
      if (p && strchr(buf, '#') && strchr(buf, '#') < p) {
        dirs = realloc(dirs, (size_t)(nd + 1) * sizeof *dirs);
        dirs[nd++] = (directive){k, dupstr(trim(p + strlen(tags[k]))), lineno};
        break;
      }
    }
  }
  fclose(cf);
  char **lines = NULL;
  int nl = 0;
  while (fgets(buf, sizeof buf, stdin)) {
    lines = realloc(lines, (size_t)(nl + 1) * sizeof *lines);
    lines[nl++] = dupstr(buf);
  }
  int rc = 0;
  int pos = 0; /* next line to search */
  int last = -1;
  for (int d = 0; d < nd; d++) {
    if (dirs[d].kind == 2)
      continue;
    int found = -1;
    if (dirs[d].kind == 1) {
      if (last + 1 < nl && strstr(lines[last + 1], dirs[d].text))
        found = last + 1;
    } else {
      for (int l = pos; l < nl; l++)
        if (strstr(lines[l], dirs[d].text)) {
          found = l;
          break;
        }
    }
    /* CHECK-NOTs between the previous match and this one */
    for (int n = d - 1; n >= 0 && dirs[n].kind == 2; n--)
      for (int l = last + 1; l < (found < 0 ? nl : found); l++)
        if (strstr(lines[l], dirs[n].text)) {
          fprintf(stderr, "%s:%d: CHECK-NOT: '%s' found in output line %d: %s", argv[1],
                  dirs[n].line, dirs[n].text, l + 1, lines[l]);
          rc = 1;
          goto done;
        }
    if (found < 0) {
      fprintf(stderr, "%s:%d: %s '%s' not found after output line %d\n", argv[1], dirs[d].line,
              dirs[d].kind == 1 ? "CHECK-NEXT:" : "CHECK:", dirs[d].text, last + 1);
      rc = 1;
      goto done;
    }
    last = found;
    pos = found + 1;
  }
  /* trailing CHECK-NOTs */
  for (int n = nd - 1; n >= 0 && dirs[n].kind == 2; n--)
    for (int l = last + 1; l < nl; l++)
      if (strstr(lines[l], dirs[n].text)) {
        fprintf(stderr, "%s:%d: CHECK-NOT: '%s' found in output line %d: %s", argv[1], dirs[n].line,
                dirs[n].text, l + 1, lines[l]);
        rc = 1;
        goto done;
      }
done:
  /* Everything freed, so the sanitizer build's leak check passes. */
  for (int d = 0; d < nd; d++)
    free(dirs[d].text);
  free(dirs);
  for (int l = 0; l < nl; l++)
    free(lines[l]);
  free(lines);
  return rc;
}

/* graph_file.c — writes the IR's graph (ir/ir_dot.c) to a .dot or .svg file.
 *
 * .dot is written as it is; .svg goes through Graphviz's `dot -Tsvg`
 * (installed by scripts/install-deps.sh; $GQC_DOT names another). The file
 * appears whole or not at all (driver/outputs.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "driver/pictures.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/outputs.h"

static bool write_dot(const ir_module *m, const char *stage, const char *path, gqc_diag *d) {
  FILE *f = fopen(path, "w");
  if (!f)
    return gqc_error(d, "cannot write %s: %s", path, strerror(errno));
  bool ok = ir_print_dot(f, m, stage);
  ok = !ferror(f) && ok;
  ok = fclose(f) == 0 && ok;
  return ok || gqc_error(d, "cannot write %s", path);
}

/* Whether `prog` can be run: a path that is executable, or a name found on
 * the PATH. */
static bool runnable(const char *prog) {
  if (strchr(prog, '/'))
    return access(prog, X_OK) == 0;
  const char *path = getenv("PATH");
  for (const char *p = path ? path : ""; *p;) {
    const char *colon = strchr(p, ':');
    size_t l = colon ? (size_t)(colon - p) : strlen(p);
    char full[4096];
    snprintf(full, sizeof full, "%.*s/%s", (int)l, l ? p : ".", prog);
    if (access(full, X_OK) == 0)
      return true;
    p = colon ? colon + 1 : p + l;
  }
  return false;
}

/* dot -Tsvg on the DOT text, written to a temporary directory first; `shown`
 * is the path the user asked for, for messages. */
static bool write_svg(const ir_module *m, const char *stage, const char *path, const char *shown,
                      gqc_diag *d) {
  const char *dot = getenv("GQC_DOT") && *getenv("GQC_DOT") ? getenv("GQC_DOT") : "dot";
  if (!runnable(dot))
    return gqc_error(d,
                     "--graph %s: cannot run Graphviz's '%s' (install graphviz, or draw a .dot "
                     "file)",
                     shown, dot);
  char *tmp = gqc_make_temp_dir();
  if (!tmp)
    return gqc_error(d, "cannot create a temporary directory: %s", strerror(errno));
  char dot_path[4096];
  snprintf(dot_path, sizeof dot_path, "%s/graph.dot", tmp);
  bool ok = write_dot(m, stage, dot_path, d);
  if (ok) {
    char *argv[] = {(char *)dot, "-Tsvg", dot_path, "-o", (char *)path, NULL};
    int st = gqc_spawn(argv, getenv("GQC_VERBOSE") != NULL);
    if (st)
      ok = gqc_error(d, "--graph %s: Graphviz's '%s' failed (exit %d)", shown, dot, st);
  }
  gqc_remove_temp_dir(tmp);
  free(tmp);
  return ok;
}

bool gqc_write_graph(const ir_module *m, const char *stage, const char *path, gqc_diag *d) {
  const char *ext = strrchr(path, '.');
  bool svg = ext && !strcmp(ext, ".svg");
  if (!svg && !(ext && !strcmp(ext, ".dot")))
    return gqc_error(d, "--graph %s: the file must end in .dot or .svg", path);
  gqc_outputs outs;
  char staged[8192];
  if (!gqc_outputs_begin_for(&outs, path, staged, sizeof staged, d))
    return false;
  if (!(svg ? write_svg(m, stage, staged, path, d) : write_dot(m, stage, staged, d))) {
    gqc_outputs_abort(&outs);
    return false;
  }
  return gqc_outputs_commit(&outs, d);
}

/* graph_file.c — writes the IR's graph (ir/ir_dot.c) to a .dot or .svg file.
 *
 * .dot is written as it is; .svg goes through Graphviz's `dot -Tsvg`
 * (installed by scripts/install-deps.sh; $GQC_DOT names another). The file
 * appears whole or not at all (driver/outputs.h).
 */
#include "driver/pictures.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* dot -Tsvg on the DOT text, written to a temporary directory first. */
static bool write_svg(const ir_module *m, const char *stage, const char *path, gqc_diag *d) {
  char *tmp = gqc_make_temp_dir();
  if (!tmp)
    return gqc_error(d, "cannot create a temporary directory: %s", strerror(errno));
  char dot_path[4096];
  snprintf(dot_path, sizeof dot_path, "%s/graph.dot", tmp);
  bool ok = write_dot(m, stage, dot_path, d);
  if (ok) {
    const char *dot = getenv("GQC_DOT") && *getenv("GQC_DOT") ? getenv("GQC_DOT") : "dot";
    char *argv[] = {(char *)dot, "-Tsvg", dot_path, "-o", (char *)path, NULL};
    int st = gqc_spawn(argv, getenv("GQC_VERBOSE") != NULL);
    if (st == 127 || st < 0)
      ok = gqc_error(d,
                     "cannot run Graphviz's '%s' to draw %s (install graphviz, or write a "
                     ".dot file)",
                     dot, path);
    else if (st)
      ok = gqc_error(d, "Graphviz's '%s' failed (exit %d) drawing %s", dot, st, path);
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
  if (!(svg ? write_svg(m, stage, staged, d) : write_dot(m, stage, staged, d))) {
    gqc_outputs_abort(&outs);
    return false;
  }
  return gqc_outputs_commit(&outs, d);
}

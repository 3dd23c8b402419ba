/* pictures.h — drawings of a compile: the graph (--graph, --emit dot) and
 * the arena plan (--memory-map). See docs/pictures.md. */
#ifndef GQC_DRIVER_PICTURES_H
#define GQC_DRIVER_PICTURES_H

#include "ir/ir.h"

/* The module's graph (ir/ir_dot.c) into path, all or nothing: .dot is the
 * DOT text, .svg that text laid out by Graphviz's dot ($GQC_DOT, default
 * "dot" on the PATH). `stage` ("after select-kernels") titles it. */
bool gqc_write_graph(const ir_module *m, const char *stage, const char *path, gqc_diag *d);

/* The planned module's arena as an .svg or .html drawing (memory_map.c). */
bool gqc_write_memory_map(const ir_module *m, const char *path, gqc_diag *d);

#endif

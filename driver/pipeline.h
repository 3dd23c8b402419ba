/* pipeline.h — the pass pipeline, with the verifier between passes, IR
 * printing hooks (--print-after=PASS, --print-after-all) and pictures
 * (--graph FILE [--graph-after=PASS], --memory-map FILE). */
#ifndef GQC_PIPELINE_H
#define GQC_PIPELINE_H

#include <stdio.h>

#include "passes/passes.h"

typedef struct gqc_pipeline_options {
  const char *print_after; /* comma-separated pass names, or NULL */
  bool print_after_all;
  FILE *print_to;          /* default stderr */
  const char *graph;       /* --graph FILE.dot|.svg: the graph after graph_after */
  const char *graph_after; /* --graph-after=PASS (default: after the last pass) */
  const char *memory_map;  /* --memory-map FILE.svg|.html: the arena plan at the end */
} gqc_pipeline_options;

/* Checks that every name in o->print_after and o->graph_after is a pass or
 * "frontend". */
bool gqc_pipeline_check_options(const gqc_pipeline_options *o, gqc_diag *d);

/* The full compilation pipeline, from frontend output to a planned module. */
bool gqc_run_pipeline(ir_module *m, const gqc_target *t, const gqc_pipeline_options *o,
                      gqc_diag *d);

/* `gqc opt`: the named passes (comma-separated) in the order given. */
bool gqc_run_passes(ir_module *m, const char *passes, const gqc_target *t,
                    const gqc_pipeline_options *o, gqc_diag *d);

#endif

/* outputs.h — all-or-nothing outputs, as `cc -o` behaves.
 *
 * A compile writes several files (object or source, header, weight and
 * vocabulary blobs). None of them is written in place: every writer gets a
 * path inside a staging directory created beside the outputs (same file
 * system), and only when the whole compile has succeeded are the staged
 * files renamed over their final names. A failure at any point removes the
 * staging directory, so pre-existing outputs stay byte-for-byte as they were
 * and a failed compile into an empty directory leaves it empty.
 *
 * No output may be an input (support/input_file.h): the caller checks the
 * names it plans to write with gqc_outputs_check_planned before it reads or
 * writes anything, and the commit checks every file again before renaming.
 *
 *   if (!gqc_outputs_check_planned(paths, n, &d)) ...;
 *   gqc_outputs out;
 *   if (!gqc_outputs_begin(&out, dir, &d)) ...;      // dir/.gqc-stage-XXXXXX
 *   write gqc_outputs_dir(&out)/<name> files ...
 *   ok ? gqc_outputs_commit(&out, &d) : gqc_outputs_abort(&out);
 */
#ifndef GQC_DRIVER_OUTPUTS_H
#define GQC_DRIVER_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/diag.h"

typedef struct gqc_outputs {
  char dir[4096];   /* where the outputs go */
  char stage[4096]; /* where they are written until committed ("" when none) */
} gqc_outputs;

/* Refuses a set of output paths in which one is an input of this command
 * (the same file, or the same path once resolved) or two are the same path
 * (-o m.h: the object and its header). */
bool gqc_outputs_check_planned(const char *const *paths, int n, gqc_diag *d);
/* Creates the staging directory inside dir (which must exist). */
bool gqc_outputs_begin(gqc_outputs *out, const char *dir, gqc_diag *d);
/* gqc_outputs_begin for the directory of `output` (a path to a file);
 * staged receives the path the writer of `output` itself writes to. */
bool gqc_outputs_begin_for(gqc_outputs *out, const char *output, char *staged, size_t n,
                           gqc_diag *d);
/* The directory writers put their files in (the staging directory). */
const char *gqc_outputs_dir(const gqc_outputs *out);
/* Renames every staged file to dir/<same name> and removes the staging
 * directory. Checks first that no destination is a directory or an input,
 * so a commit does not stop half way on a name it could never take, and
 * never replaces an input. On failure the
 * staging directory is removed (abort) and d says why. */
bool gqc_outputs_commit(gqc_outputs *out, gqc_diag *d);
/* Removes the staging directory and everything in it. Idempotent. */
void gqc_outputs_abort(gqc_outputs *out);

#endif

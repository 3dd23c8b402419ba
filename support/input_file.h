/* input_file.h — opening the compiler's inputs safely, and remembering them.
 *
 * Every file gqc reads (the GGUF model, an --arch description, the IR of
 * `gqc opt`, a generator's vocabulary source) is opened here:
 *   - only regular files: a directory, FIFO, socket or device is refused by
 *     its kind, before it is opened (opening a FIFO would wait for a writer;
 *     opening some devices has side effects), and the open itself is
 *     O_NONBLOCK | O_NOCTTY, so a file swapped for a FIFO in between cannot
 *     block either; fstat then checks the file actually opened;
 *   - read-only, always;
 *   - remembered: its device, inode and resolved path go into a process-wide
 *     list, and gqc_input_check_output refuses any output path that is one
 *     of them (the same file, or the same path once symlinks and ".." are
 *     resolved), so no output can ever replace or truncate an input.
 * "-" names standard input for inputs read as text (gqc_input_read).
 */
#ifndef GQC_SUPPORT_INPUT_FILE_H
#define GQC_SUPPORT_INPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens `path` read-only; returns the descriptor (its size in *size), or -1
 * with the reason in why, a phrase to put after the path ("not a regular
 * file (a FIFO)", "No such file or directory"). */
int gqc_input_open(const char *path, uint64_t *size, char *why, size_t n);
/* Reads all of `path` ("-": standard input) into a malloc'd buffer with a
 * NUL after the *len bytes; NULL with the reason in why when it cannot, or
 * when it is longer than max_bytes. */
char *gqc_input_read(const char *path, size_t max_bytes, size_t *len, char *why, size_t n);
/* Remembers a path that will be read, before it is opened (so that outputs
 * can be checked before anything is read or written); "-" is standard input
 * when it is a regular file. Paths that do not exist are ignored: opening
 * them fails later. */
void gqc_input_note(const char *path);
/* Whether `path` may be written: false, with a one-line message in msg
 * ("refusing to write m.o: it is the input m.o"), when it is an input. */
bool gqc_input_check_output(const char *path, char *msg, size_t n);
/* The absolute path with symlinks and ".." resolved, of the file or, when
 * it does not exist yet, of its directory; malloc'd, NULL when the
 * directory does not exist either. */
char *gqc_resolve_path(const char *path);
/* Forgets every input (tests). */
void gqc_inputs_forget(void);

#endif

/* escape.h — untrusted text made safe for a one-line message.
 *
 * Bytes from a model file, a description, an IR file or a file name may be
 * anything: a newline, an ANSI escape sequence, BEL, invalid UTF-8. Before
 * such text reaches a terminal it is escaped: printable ASCII (0x20..0x7e)
 * is kept as it is, a valid non-ASCII UTF-8 sequence becomes \u{hex} (its
 * code point), and every other byte \xNN. The result is printable ASCII, so
 * escaping it again changes nothing.
 */
#ifndef GQC_SUPPORT_ESCAPE_H
#define GQC_SUPPORT_ESCAPE_H

#include <stddef.h>

/* Escapes src[0..len) into dst (n bytes, n >= 1), always NUL-terminated;
 * an escape sequence that does not fit is left out whole. Returns the
 * number of bytes written (without the NUL). */
size_t gqc_escape(char *dst, size_t n, const char *src, size_t len);
/* The same for a NUL-terminated string; returns dst. */
const char *gqc_escape_str(char *dst, size_t n, const char *src);

#endif

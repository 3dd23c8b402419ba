/* escape.c — escaping untrusted text for messages (escape.h). */
#include "support/escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (at most n bytes) and its
 * code point; 0 when the bytes are not one (stray continuation, truncated,
 * overlong, surrogate, past U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n, uint32_t *cp) {
  size_t len;
  uint32_t c, min;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    len = 2, c = s[0] & 0x1fu, min = 0x80;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    len = 3, c = s[0] & 0x0fu, min = 0x800;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    len = 4, c = s[0] & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  for (size_t k = 1; k < len; k++) {
    if ((s[k] & 0xc0) != 0x80)
      return 0;
    c = c << 6 | (s[k] & 0x3fu);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return len;
}

size_t gqc_escape(char *dst, size_t n, const char *src, size_t len) {
  const unsigned char *s = (const unsigned char *)src;
  size_t out = 0;
  for (size_t i = 0; i < len;) {
    char piece[16];
    size_t used = 1;
    uint32_t cp;
    if (s[i] >= 0x20 && s[i] <= 0x7e) {
      piece[0] = (char)s[i];
      piece[1] = '\0';
    } else if ((used = utf8_sequence(s + i, len - i, &cp)) > 0) {
      snprintf(piece, sizeof piece, "\\u{%x}", (unsigned)cp);
    } else {
      used = 1;
      snprintf(piece, sizeof piece, "\\x%02x", s[i]);
    }
    size_t plen = strlen(piece);
    if (out + plen + 1 > n)
      break;
    memcpy(dst + out, piece, plen);
    out += plen;
    i += used;
  }
  if (n)
    dst[out] = '\0';
  return out;
}

const char *gqc_escape_str(char *dst, size_t n, const char *src) {
  gqc_escape(dst, n, src, strlen(src));
  return dst;
}

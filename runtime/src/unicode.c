/* unicode.c — UTF-8 coding, character classes and the GPT-2 byte map
 * (see gqcrt_unicode.h). No state, no allocation. */
#include "gqcrt_unicode.h"

int gqcrt_uni_class(uint32_t cp) {
  if (cp >= 0x110000u)
    return GQCRT_UC_UNDEFINED;
  /* Last range whose first code point is <= cp. Entry 0 starts at U+0000. */
  uint32_t lo = 0, hi = gqcrt_uni_class_n_ranges; /* answer in [lo, hi) */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if ((gqcrt_uni_class_ranges[mid] >> 3) <= cp)
      lo = mid;
    else
      hi = mid;
  }
  return (int)(gqcrt_uni_class_ranges[lo] & 7u);
}

static int is_white_space(uint32_t cp) {
  if (cp > 0x3000u)
    return 0;
  for (uint32_t i = 0; i < gqcrt_uni_white_space_n; i++) {
    if (gqcrt_uni_white_space[i] == cp)
      return 1;
    if (gqcrt_uni_white_space[i] > cp)
      break;
  }
  return 0;
}

uint16_t gqcrt_uni_flags(uint32_t cp) {
  uint16_t f = (uint16_t)(1u << gqcrt_uni_class(cp));
  if (is_white_space(cp))
    f |= GQCRT_UF_WHITESPACE;
  return f;
}

size_t gqcrt_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
  if (n == 0)
    return 0;
  uint8_t b0 = s[0];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, v = b0 & 0x1Fu, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, v = b0 & 0x0Fu, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, v = b0 & 0x07u, min = 0x10000;
  } else {
    return 0; /* continuation byte, C0/C1 (always overlong) or F5..FF */
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (s[i] & 0x3Fu);
  }
  if (v < min || v > 0x10FFFFu || (v >= 0xD800u && v <= 0xDFFFu))
    return 0;
  *cp = v;
  return len;
}

int gqcrt_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t len = gqcrt_utf8_decode(s + i, n - i, &cp);
    if (len == 0)
      return 0;
    i += len;
  }
  return 1;
}

size_t gqcrt_utf8_lead_len(uint8_t b) {
  static const uint8_t len_by_high_nibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return len_by_high_nibble[b >> 4];
}

size_t gqcrt_utf8_encode(uint32_t cp, uint8_t out[4]) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | (cp >> 6));
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | (cp >> 12));
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | ((cp >> 18) & 0x07));
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

/* Bytes that GPT-2 keeps as their own code point: '!'..'~', U+00A1..U+00AC
 * and U+00AE..U+00FF. The other 68 bytes (0x00..0x20, 0x7F..0xA0, 0xAD)
 * map, in increasing order, to U+0100..U+0143. */
static int gpt2_keeps(uint32_t b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

uint32_t gqcrt_gpt2_byte_to_cp(uint8_t b) {
  if (gpt2_keeps(b))
    return b;
  if (b <= 0x20)
    return 0x100u + b; /* 33 bytes: U+0100..U+0120 */
  if (b <= 0xA0)
    return 0x100u + 33u + (b - 0x7Fu); /* 34 bytes: U+0121..U+0142 */
  return 0x143u;                       /* 0xAD */
}

int32_t gqcrt_gpt2_cp_to_byte(uint32_t cp) {
  if (cp < 0x100)
    return gpt2_keeps(cp) ? (int32_t)cp : -1;
  if (cp <= 0x120)
    return (int32_t)(cp - 0x100u);
  if (cp <= 0x142)
    return (int32_t)(cp - 0x100u - 33u + 0x7Fu);
  if (cp == 0x143)
    return 0xAD;
  return -1;
}

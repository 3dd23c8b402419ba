/* markup_text.c — text written inside XML, HTML or a Graphviz HTML label
 * (markup_text.h). */
#include "support/markup_text.h"

void gqc_put_markup_text(FILE *out, const char *s, bool apos) {
  for (; *s; s++) {
    const unsigned char c = (unsigned char)*s;
    const char *entity = c == '&'            ? "&amp;"
                         : c == '<'          ? "&lt;"
                         : c == '>'          ? "&gt;"
                         : c == '"'          ? "&quot;"
                         : c == '\'' && apos ? "&apos;"
                                             : NULL;
    if (entity)
      fputs(entity, out);
    else if (c >= 0x20)
      fputc(c, out);
  }
}

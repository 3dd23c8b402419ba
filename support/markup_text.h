/* markup_text.h — text written inside XML, HTML or a Graphviz HTML label.
 *
 * The pictures gqc draws (the --memory-map SVG/XHTML, the Graphviz graph of
 * the IR) put names from the model inside markup: '&', '<', '>' and '"'
 * become entities, control characters are dropped (XML 1.0 cannot hold
 * them), everything else is written as it is.
 */
#ifndef GQC_SUPPORT_MARKUP_TEXT_H
#define GQC_SUPPORT_MARKUP_TEXT_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s, escaped; the apostrophe too (&apos;) when `apos`: XML needs it
 * inside '...' attributes, a Graphviz HTML label does not know the entity. */
void gqc_put_markup_text(FILE *out, const char *s, bool apos);

#endif

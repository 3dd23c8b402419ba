/* arena_section.c — the arena in a named section (--arena-section NAME).
 *
 * By default the arena (KV cache and activations) and the tokenizer scratch
 * are zero-initialised statics, so they land in .bss with everything else.
 * Firmware often wants them in one particular RAM (an SRAM bank, a DDR
 * region left out of the OS's map): --arena-section puts both in a section
 * of their own that a linker script can place, e.g.
 *
 *     .gqc.arena (NOLOAD) : ALIGN(64) { *(.gqc.arena) } > SRAM
 *
 * The section must be "nobits" like .bss: the object then holds no bytes for
 * it, however large the arena. Neither C nor LLVM can say that for an
 * arbitrary section name (GCC's section attribute and LLVM's explicit
 * section both make zero-initialised data PROGBITS, i.e. megabytes of zeros
 * in the object), so both backends define the two symbols with the same few
 * lines of assembler text, written here, and refer to them as hidden
 * externals. The symbols stay local (nm: 'b'), with ELF type object and
 * their sizes, so `readelf -s` shows them in the section.
 */
#include "codegen/codegen.h"

#include <inttypes.h>
#include <stdlib.h>

bool gqc_valid_section_name(const char *s) {
  if (!s || !*s || (*s >= '0' && *s <= '9'))
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == '.'))
      return false;
  return true;
}

char *gqc_arena_section_asm(const ir_module *m, const gqc_codegen_options *o) {
  uint64_t scratch = gqc_tokenize_scratch_bytes(m, o);
  if (!scratch)
    scratch = 1;
  const char *fmt = ".pushsection %s,\"aw\",%%nobits\n"
                    ".balign 64\n"
                    "%s__arena:\n"
                    ".type %s__arena,%%object\n"
                    ".size %s__arena,%" PRId64 "\n"
                    ".zero %" PRId64 "\n"
                    ".balign 16\n"
                    "%s__tok_scratch:\n"
                    ".type %s__tok_scratch,%%object\n"
                    ".size %s__tok_scratch,%" PRIu64 "\n"
                    ".zero %" PRIu64 "\n"
                    ".popsection\n";
  const char *n = o->name;
  int len = snprintf(NULL, 0, fmt, o->arena_section, n, n, n, m->arena_bytes, m->arena_bytes, n, n,
                     n, scratch, scratch);
  char *text = len < 0 ? NULL : malloc((size_t)len + 1);
  if (text)
    snprintf(text, (size_t)len + 1, fmt, o->arena_section, n, n, n, m->arena_bytes, m->arena_bytes,
             n, n, n, scratch, scratch);
  return text;
}

/* weights_section.c — the .gqc.weights section, as both backends define it.
 *
 * The weights are not an initialised global of the C or LLVM program: a
 * multi-gigabyte initialiser is held in memory by the C compiler, the
 * assembler and LLVM alike. Both backends instead define the section and
 * the symbol <name>__weights with the same few lines of assembler text,
 * written here, and refer to the symbol as a hidden external (as
 * --arena-section does for the arena, codegen/arena_section.c):
 *
 *     .pushsection .gqc.weights,"a",%progbits
 *     .balign 64
 *     model__weights:
 *     .type model__weights,%object
 *     .size model__weights,<weight bytes>
 *     .popsection
 *
 * The symbol is local (no .globl), so several models link into one program.
 * That is all an object gets from its backend: the section comes out empty,
 * with everything but its bytes, and gqc_fill_object_weights streams the
 * blob into it (codegen/elf_section.c). Assembly, LLVM IR and C outputs
 * instead add gqc_weights_incbin_asm's lines, which pull in <base>.weights,
 * written beside them:
 *
 *     .pushsection .gqc.weights
 *     .incbin "model.weights"
 *     .popsection
 *
 * Far weights (gqc_weights_far: a blob of a gigabyte or more). x86-64 code
 * reaches data PC-relative within +-2 GiB, AArch64's adrp within +-4 GiB;
 * an 8B model's 4.6 GB section cannot be addressed that way, and wherever
 * the linker puts it, whatever lies beyond it (.data, .bss) is pushed out of
 * reach of the program's code too. So far weights are addressed through a
 * pointer holding their absolute address (the backends load it once per
 * step, as with --weights=file), and on x86-64 the section carries
 * SHF_X86_64_LARGE (flags "0x10000002"), the psABI's mark for data outside the small code
 * model, which gold places after .bss. GNU ld and lld (before 17) place it
 * by name only: a hosted x86-64 or AArch64 program then links with a script
 * that moves the section past .bss (docs/llvm-backend.md, `gqc run` does
 * it). Firmware linker scripts place .gqc.weights explicitly anyway.
 */
#include "codegen/codegen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool gqc_weights_far(const ir_module *m, const gqc_codegen_options *o) {
  return !o->weights_external &&
         (o->weights_far ||
          (m->weight_bytes > 0 && (uint64_t)m->weight_bytes >= GQC_FAR_WEIGHT_BYTES));
}

/* A malloc'd string printed from fmt and its arguments, or NULL. */
static char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = len < 0 ? NULL : malloc((size_t)len + 1);
  if (text) {
    va_start(ap, fmt);
    vsnprintf(text, (size_t)len + 1, fmt, ap);
    va_end(ap);
  }
  return text;
}

char *gqc_weights_section_asm(const ir_module *m, const gqc_codegen_options *o,
                              const gqc_target *t) {
  /* SHF_ALLOC | SHF_X86_64_LARGE as a number: LLVM 14 does not know "l" */
  const char *flags = gqc_weights_far(m, o) && t->arch == GQC_ARCH_X86_64 ? "0x10000002" : "a";
  const char *n = o->name;
  return format(".pushsection " GQC_WEIGHTS_SECTION ",\"%s\",%%progbits\n"
                ".balign %d\n"
                "%s__weights:\n"
                ".type %s__weights,%%object\n"
                ".size %s__weights,%" PRId64 "\n"
                ".popsection\n",
                flags, GQC_WEIGHT_ALIGN, n, n, n, m->weight_bytes > 0 ? m->weight_bytes : 0);
}

char *gqc_weights_incbin_asm(const char *file) {
  return format(".pushsection " GQC_WEIGHTS_SECTION "\n"
                ".incbin \"%s\"\n"
                ".popsection\n",
                file);
}

void gqc_blob_incbin_name(const gqc_codegen_options *o, const char *ext, char *buf, size_t n) {
  if (o->blob_dir)
    snprintf(buf, n, "%s/%s.%s", o->blob_dir, o->base, ext);
  else
    snprintf(buf, n, "%s.%s", o->base, ext);
}

typedef struct object_fill {
  const ir_module *m;
  const char *path;
} object_fill;

static bool walk_source(void *ctx, const gqc_blob_sink *sink, gqc_diag *d) {
  const object_fill *f = ctx;
  return gqc_weight_blob_walk(f->m, sink, f->path, d);
}

bool gqc_fill_object_weights(const ir_module *m, const char *obj_path, gqc_diag *d) {
  if (m->weight_bytes < 0)
    return gqc_error(d, "%s: the module has no memory plan (run plan-memory)", obj_path);
  object_fill f = {m, obj_path};
  return gqc_elf_fill_section(obj_path, GQC_WEIGHTS_SECTION, (uint64_t)m->weight_bytes, walk_source,
                              &f, d);
}

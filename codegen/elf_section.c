/* elf_section.c — streaming a large section's bytes into an ELF64
 * relocatable object.
 *
 * Neither LLVM nor the assembler can write an 8 GB weight section without
 * holding it: LLVM builds a global's initialiser as one constant (and copies
 * it twice more while writing the object; its C API even limits a constant
 * string to 4 GiB), and the assembler's .incbin reads the file into memory.
 * So the backends make the object with an empty .gqc.weights section — the
 * symbol, its size, the section's alignment and flags are all there
 * (gqc_weights_section_asm), only the bytes are missing — and
 * gqc_elf_fill_section puts the bytes in, streamed from the GGUF mapping:
 *
 *   - the section's data is appended at the end of the file, at the
 *     section's alignment (an empty section's offset means nothing);
 *   - its section header gets that offset and the size (both 64-bit fields:
 *     the format's limit is 2^64 bytes, not 4 GiB);
 *   - nothing else moves: the symbol table, the relocations and every other
 *     section stay byte for byte as the backend wrote them, and the section
 *     header table stays where it was (ELF does not care about order).
 *
 * ELF64 little-endian relocatables only: x86-64 and AArch64, what gqc
 * targets. Fields are read and written byte by byte, so the host's byte
 * order does not matter. A file that is not what a backend writes is refused
 * with a message, never half edited: every check comes before the first
 * byte is written, and a source that fails half way is cut off again.
 */
#define _POSIX_C_SOURCE 200809L
#include "codegen/codegen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
  EHDR_BYTES = 64, /* Elf64_Ehdr */
  SHDR_BYTES = 64, /* Elf64_Shdr */
  /* fields of the ELF header */
  E_TYPE = 16,
  E_SHOFF = 40,
  E_SHENTSIZE = 58,
  E_SHNUM = 60,
  E_SHSTRNDX = 62,
  /* fields of a section header */
  SH_NAME = 0,
  SH_TYPE = 4,
  SH_OFFSET = 24,
  SH_SIZE = 32,
  SH_ADDRALIGN = 48,
  SHT_PROGBITS_ = 1,
  ET_REL_ = 1,
};

static uint64_t le_load(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; k--)
    v = v << 8 | p[k];
  return v;
}

static void le_store(unsigned char *p, uint64_t v, int bytes) {
  for (int k = 0; k < bytes; k++, v >>= 8)
    p[k] = (unsigned char)v;
}

/* The object's section headers and the index of section `name`; false with
 * d set when the file is not an object this file can fill. */
typedef struct elf_object {
  const char *path;
  int fd;
  uint64_t file_size, shoff;
  unsigned shnum;
  unsigned char *shdrs; /* shnum * SHDR_BYTES */
} elf_object;

static bool read_headers(elf_object *o, gqc_diag *d) {
  unsigned char eh[EHDR_BYTES];
  if (o->file_size < EHDR_BYTES || !gqc_read_at(o->fd, eh, EHDR_BYTES, 0) ||
      memcmp(eh, "\177ELF", 4) != 0)
    return gqc_error(d, "%s: not an ELF file", o->path);
  if (eh[4] != 2 || eh[5] != 1) /* EI_CLASS ELFCLASS64, EI_DATA ELFDATA2LSB */
    return gqc_error(d, "%s: not a little-endian ELF64 file", o->path);
  if (le_load(eh + E_TYPE, 2) != ET_REL_)
    return gqc_error(d, "%s: not a relocatable object", o->path);
  o->shoff = le_load(eh + E_SHOFF, 8);
  o->shnum = (unsigned)le_load(eh + E_SHNUM, 2);
  if (le_load(eh + E_SHENTSIZE, 2) != SHDR_BYTES || o->shnum == 0 || o->shoff > o->file_size ||
      (uint64_t)o->shnum * SHDR_BYTES > o->file_size - o->shoff)
    return gqc_error(d, "%s: bad or unsupported section header table", o->path);
  o->shdrs = malloc((size_t)o->shnum * SHDR_BYTES);
  if (!o->shdrs)
    return gqc_error(d, "%s: out of memory", o->path);
  if (!gqc_read_at(o->fd, o->shdrs, (uint64_t)o->shnum * SHDR_BYTES, o->shoff))
    return gqc_error(d, "%s: cannot read the section headers", o->path);
  return true;
}

static unsigned char *shdr(const elf_object *o, unsigned k) {
  return o->shdrs + (size_t)k * SHDR_BYTES;
}

/* Index of the one section called name, or 0 with d set. */
static unsigned find_section(const elf_object *o, const char *name, unsigned strndx, gqc_diag *d) {
  if (strndx == 0 || strndx >= o->shnum) {
    gqc_error(d, "%s: no section name table", o->path);
    return 0;
  }
  const unsigned char *st = shdr(o, strndx);
  uint64_t str_off = le_load(st + SH_OFFSET, 8), str_size = le_load(st + SH_SIZE, 8);
  if (str_off > o->file_size || str_size > o->file_size - str_off || str_size > (64u << 20)) {
    gqc_error(d, "%s: bad section name table", o->path);
    return 0;
  }
  char *names = malloc((size_t)str_size + 1);
  if (!names || !gqc_read_at(o->fd, names, str_size, str_off)) {
    free(names);
    gqc_error(d, "%s: cannot read the section names", o->path);
    return 0;
  }
  names[str_size] = 0;
  unsigned found = 0, count = 0;
  for (unsigned k = 1; k < o->shnum; k++) {
    uint64_t at = le_load(shdr(o, k) + SH_NAME, 4);
    if (at < str_size && !strcmp(names + at, name)) {
      found = k;
      count++;
    }
  }
  free(names);
  if (count != 1) {
    gqc_error(d, count ? "%s: more than one section %s" : "%s: no section %s", o->path, name);
    return 0;
  }
  return found;
}

bool gqc_elf_fill_section(const char *path, const char *name, uint64_t size, gqc_blob_source source,
                          void *source_ctx, gqc_diag *d) {
  elf_object o = {.path = path, .fd = open(path, O_RDWR)};
  struct stat st;
  if (o.fd < 0 || fstat(o.fd, &st) != 0) {
    gqc_error(d, "%s: cannot open: %s", path, strerror(errno));
    if (o.fd >= 0)
      close(o.fd);
    return false;
  }
  o.file_size = (uint64_t)st.st_size;
  bool ok = read_headers(&o, d);
  unsigned char eh[EHDR_BYTES];
  unsigned k = 0;
  if (ok && (ok = gqc_read_at(o.fd, eh, EHDR_BYTES, 0)))
    ok = (k = find_section(&o, name, (unsigned)le_load(eh + E_SHSTRNDX, 2), d)) != 0;
  unsigned char *sh = ok ? shdr(&o, k) : NULL;
  if (ok && (le_load(sh + SH_TYPE, 4) != SHT_PROGBITS_ || le_load(sh + SH_SIZE, 8) != 0))
    ok = gqc_error(d, "%s: section %s is not an empty PROGBITS section", path, name);
  uint64_t align = ok ? le_load(sh + SH_ADDRALIGN, 8) : 1;
  if (ok && (align & (align - 1)))
    ok = gqc_error(d, "%s: section %s has alignment %llu", path, name, (unsigned long long)align);
  if (!ok) {
    free(o.shdrs);
    close(o.fd);
    return false;
  }
  if (!align)
    align = 1;
  uint64_t at = (o.file_size + align - 1) & ~(align - 1);
  gqc_blob_file f = {.fd = o.fd, .pos = at};
  gqc_blob_sink sink = gqc_blob_file_sink(&f);
  ok = source(source_ctx, &sink, d);
  if (ok && f.pos - at != size)
    ok = gqc_error(d, "%s: section %s: %llu bytes written, %llu expected", path, name,
                   (unsigned long long)(f.pos - at), (unsigned long long)size);
  if (ok && !gqc_blob_file_end(&f))
    ok = gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  if (!ok) /* the object as it was (best effort: d already says what failed) */
    (void)!ftruncate(o.fd, (off_t)o.file_size);
  if (ok) {
    le_store(sh + SH_OFFSET, at, 8);
    le_store(sh + SH_SIZE, size, 8);
    gqc_blob_file hdr = {.fd = o.fd, .pos = o.shoff + (uint64_t)k * SHDR_BYTES};
    gqc_blob_sink hdr_sink = gqc_blob_file_sink(&hdr);
    if (!hdr_sink.write(hdr_sink.ctx, sh, SHDR_BYTES))
      ok = gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  }
  free(o.shdrs);
  if (close(o.fd) != 0 && ok)
    ok = gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  return ok;
}

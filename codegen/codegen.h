/* codegen.h — from a planned IR module to files a firmware build consumes.
 *
 * Every backend writes the same API (the header from gqc_emit_header):
 *   <name>_init, _reset, _decode, _n_vocab, _n_ctx, _tokenize, _token_text,
 *   _token_piece, _bos, _eos, _is_eog, _last_error, _set_executor, and
 *   _prefill when the module has a @prefill function (gqc --batch)
 * and the same data: the weight blob (weights at their planned offsets, in
 * the read-only section .gqc.weights, 64-byte aligned), the vocabulary blob,
 * and the arena in .bss. Backends read only the IR (and the target).
 *
 * The weight section is not built in memory: a backend's object comes out
 * with .gqc.weights empty and gqc_fill_object_weights streams the blob into
 * it (elf_section.c); assembly and C outputs pull <base>.weights in with
 * .incbin. Both describe the section with gqc_weights_section_asm's text.
 * A blob of GQC_FAR_WEIGHT_BYTES or more (or o->weights_far) is "far": the
 * code reaches it through a pointer (an absolute 64-bit address), so it may
 * lie anywhere in the address space — x86-64 and AArch64 PC-relative
 * addressing reach only +-2 and +-4 GiB — and on x86-64 the section is
 * marked SHF_X86_64_LARGE (see gqc_weights_section_asm).
 *
 * Two placement options change that, identically in every backend:
 *   weights_external  (--weights=file) no weights in the output: the step
 *                     function reads them through a pointer that the extra
 *                     API function <name>_init_weights(blob, size) sets after
 *                     checking the blob (gqcrt_weights_check); the blob is the
 *                     file gqc_write_weight_file wrote, whose checksums the
 *                     header states; <name>_verify_weights does a full check.
 *   arena_section     (--arena-section S) the arena and the tokenizer scratch
 *                     in section S ("aw", nobits) instead of .bss, defined by
 *                     the assembler text of gqc_arena_section_asm.
 */
#ifndef GQC_CODEGEN_H
#define GQC_CODEGEN_H

#include "ir/ir.h"
#include "ir/target.h"

typedef struct gqc_codegen_options {
  const char *name;       /* API prefix, a C identifier: "model" */
  const char *out_dir;    /* directory for the outputs */
  const char *base;       /* file stem: <base>.c, <base>.h, <base>.weights, <base>.vocab */
  const char *source;     /* what was compiled, for comments: "stories260K.gguf (llama)" */
  int64_t max_text_bytes; /* longest text <name>_tokenize accepts */
  bool static_reloc;      /* objects: position-dependent code (default: PIC) */
  bool weights_external;  /* --weights=file: weights loaded at run time, see above */
  uint32_t weight_crc32c; /* weights_external: checksums of the blob (gqcrt_blob.h) */
  uint32_t weight_quick_crc32c;
  const char *arena_section; /* --arena-section: arena's section (NULL: .bss) */
  bool weights_far;          /* address the weights through a pointer whatever their size */
  bool weights_fill;         /* C backend: leave .gqc.weights empty (no .incbin, no
                              * <base>.weights): the caller compiles the C and fills the
                              * object's section (gqc_fill_object_weights) */
  const char *blob_dir;      /* the directory .incbin names the blobs in (an absolute
                              * path: the output compiles from any directory); NULL:
                              * bare file names, found through the assembler's -I */
  const gqc_target *target;  /* what the code runs on: the header's stamp, the
                              * CPU features <name>_init checks (NULL: none) */
  bool export_arena;         /* LLVM: <name>__arena global, for gqc's own compile-time run of
                              * the model (driver/prefix.c reads its KV cache) */
} gqc_codegen_options;

/* The weight section's name and alignment (the header states both). */
#define GQC_WEIGHTS_SECTION ".gqc.weights"
#define GQC_WEIGHT_ALIGN 64
/* Weight blobs from this size on are far (see above). */
#define GQC_FAR_WEIGHT_BYTES ((uint64_t)1 << 30)
/* Whether the module's weights are far: embedded in the output (not
 * weights_external) and o->weights_far or at least GQC_FAR_WEIGHT_BYTES. */
bool gqc_weights_far(const ir_module *m, const gqc_codegen_options *o);
/* The assembler text (lines ending in '\n') that defines the local symbol
 * <name>__weights: an object of m->weight_bytes bytes at the start of the
 * read-only section .gqc.weights, 64-byte aligned (SHF_X86_64_LARGE too when
 * far on x86-64), which the text leaves empty: gqc_fill_object_weights fills
 * an object's, gqc_weights_incbin_asm's text fills it from a file. Both
 * backends emit exactly this. A malloc'd string, NULL when out of memory. */
char *gqc_weights_section_asm(const ir_module *m, const gqc_codegen_options *o,
                              const gqc_target *t);
/* Assembler text that appends the bytes of `file` (.incbin) to .gqc.weights.
 * A malloc'd string, NULL when out of memory. */
char *gqc_weights_incbin_asm(const char *file);
/* The name .incbin gives the blob <base>.<ext>: under o->blob_dir when set. */
void gqc_blob_incbin_name(const gqc_codegen_options *o, const char *ext, char *buf, size_t n);
/* Streams the weight blob into the empty .gqc.weights section of the ELF64
 * relocatable object at obj_path (made from gqc_weights_section_asm's text). */
bool gqc_fill_object_weights(const ir_module *m, const char *obj_path, gqc_diag *d);

/* <out_dir>/<base>.h */
bool gqc_emit_header(const ir_module *m, const gqc_codegen_options *o, gqc_diag *d);
/* <out_dir>/<base>.c plus the blobs it includes (<base>.vocab, and <base>.weights
 * unless weights_external — the caller writes that one — or weights_fill). */
bool gqc_emit_c(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o, gqc_diag *d);
/* The weights laid out at their planned offsets (zero padding between). */
bool gqc_write_weight_blob(const ir_module *m, const char *path, gqc_diag *d);
/* The same bytes into buf, which holds m->weight_bytes bytes. */
bool gqc_weight_blob_fill(const ir_module *m, void *buf, gqc_diag *d);
/* The layout both use: the sink gets consecutive pieces of the blob, in
 * order, through write (data NULL = n zero bytes) or, for bytes the walk
 * takes unchanged from the module's weight file, through copy when the sink
 * has it. `what` names the output in messages. Fails (with d set) on an
 * unplanned module, a weight without data, offsets out of order or outside
 * m->weight_bytes, or a sink that fails (and sets errno). */
typedef struct gqc_blob_sink {
  bool (*write)(void *ctx, const void *data, uint64_t n);
  bool (*copy)(void *ctx, int fd, uint64_t offset, uint64_t n); /* may be NULL */
  void *ctx;
} gqc_blob_sink;
bool gqc_weight_blob_walk(const ir_module *m, const gqc_blob_sink *sink, const char *what,
                          gqc_diag *d);
/* The largest piece of weight data the walk reads or repacks at once (a
 * weight whose repacking needs bigger groups of rows comes in groups). */
#define GQC_BLOB_PIECE_BYTES ((uint64_t)256 << 10)
/* A file written front to back by a walk: the sink of a gqc_blob_file whose
 * fd is open for writing and whose pos is the file offset to start at.
 * Zero pieces are skipped (holes, on file systems that have them), copies
 * stay in the kernel where it can (copy_file_range); gqc_blob_file_end sets
 * the file's size to pos, the end of the last piece. */
typedef struct gqc_blob_file {
  int fd;
  uint64_t pos;
} gqc_blob_file;
gqc_blob_sink gqc_blob_file_sink(gqc_blob_file *f);
bool gqc_blob_file_end(gqc_blob_file *f);
/* pread of all n bytes at offset off (errno set on failure; EIO: the file
 * ends first). */
bool gqc_read_at(int fd, void *buf, uint64_t n, uint64_t off);
/* Fills the empty section `name` of the ELF64 relocatable object at path
 * with `size` bytes, which `source` streams to the sink it is given:
 * appended to the file at the section's alignment, the section header's
 * offset and size updated. Errors (not ELF64 little-endian relocatable, no
 * such section or more than one, a section that is not empty PROGBITS, a
 * size other than `size`) leave the message in d. */
typedef bool (*gqc_blob_source)(void *ctx, const gqc_blob_sink *sink, gqc_diag *d);
bool gqc_elf_fill_section(const char *path, const char *name, uint64_t size, gqc_blob_source source,
                          void *source_ctx, gqc_diag *d);
/* gqc_write_weight_blob, also computing the blob's CRC-32C checksums as
 * gqcrt_weights_crc32c defines them (full: all of it; quick: its ends). */
bool gqc_write_weight_file(const ir_module *m, const char *path, uint32_t *full, uint32_t *quick,
                           gqc_diag *d);
/* The vocabulary blob (an empty file when the module has none). */
bool gqc_write_vocab_blob(const ir_module *m, const char *path, gqc_diag *d);
/* data[0..size) to a file (empty when data is NULL). */
bool gqc_write_blob(const void *data, uint64_t size, const char *path, gqc_diag *d);
/* Bytes of tokenizer scratch the generated code reserves. */
uint64_t gqc_tokenize_scratch_bytes(const ir_module *m, const gqc_codegen_options *o);
/* Whether s can name the arena's section: letters, digits, '.', '_', not
 * starting with a digit (it goes into assembler text unquoted). */
bool gqc_valid_section_name(const char *s);
/* With o->arena_section: the assembler text (lines ending in '\n') that
 * defines the local symbols <name>__arena (align 64, the arena's size) and
 * <name>__tok_scratch (align 16, at least 1 byte) in that section as nobits
 * data; both backends emit exactly this. A malloc'd string, NULL when out of
 * memory. */
char *gqc_arena_section_asm(const ir_module *m, const gqc_codegen_options *o);
/* Upper-case copy of the prefix for macros ("model" -> "MODEL"). */
void gqc_macro_prefix(const char *name, char *buf, size_t size);

#endif

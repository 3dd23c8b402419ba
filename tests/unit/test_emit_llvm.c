/* test_emit_llvm.c — the LLVM backend (codegen/emit_llvm.c) on a hand-written
 * model with fake weights, independent of the frontend:
 *   - the x86-64 and AArch64 objects are ELF64 relocatables whose
 *     .gqc.weights section is 64-byte aligned, read-only and holds exactly the
 *     weight blob; the arena is .bss; the only defined global symbols are the
 *     API; every undefined symbol is a runtime function;
 *   - --emit asm / --emit llvm outputs name the API and the section;
 *   - a program linked with the LLVM object and the same program linked with
 *     the C backend's object behave identically: every API result and error
 *     code, and bit-identical logits over a full context with a rewind and a
 *     reset (this needs cc and the host runtime library);
 *   - far weights (forced here; a blob of 1 GiB or more in real use) are
 *     reached only through one absolute 64-bit address, are marked
 *     SHF_X86_64_LARGE on x86-64, and behave bit for bit like near ones in
 *     both backends, in a program linked with samples/weights_after_bss.ld
 *     (which puts them after .bss);
 *   - a blob over 4 GiB (a weight moved to offset 5 GiB: a 5 GiB hole, so
 *     the object is sparse and cheap) gives an object whose section, symbol
 *     and bytes are right — the 4 GiB limit of the old backend can not come
 *     back unnoticed;
 *   - gqc_elf_fill_section fills an empty section, refuses what it cannot
 *     fill, and leaves the object as it was when its source fails;
 *   - bad input (unplanned module, unknown runtime function) is an error.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "codegen/emit_llvm.h"
#include "gqcrt.h"
#include "ir/ir.h"
#include "ir/target.h"
#include "passes/passes.h"
#include "ir_test_util.h"
#include "test_util.h"

/* One layer of a llama-like model touching every runtime call the backends
 * emit: embed (q8_0 row), rms_norm, linear (q8_0, q4_0, f16, f32), rope,
 * attention (GQA), silu, mul, add, gelu, scale, softcap. */
/* clang-format off */
static const char *const tiny_model =
    "module @tiny {\n"
    "  meta n_vocab = 64\n"
    "  meta n_ctx = 8\n"
    "  weight @tok : q8_0[64, 32] gguf\n"
    "  weight @norm : f32[32] gguf\n"
    "  weight @wq : q8_0[32, 32] gguf\n"
    "  weight @wk : q4_0[16, 32] gguf\n"
    "  weight @wv : f16[16, 32] gguf\n"
    "  weight @wo : q8_0[32, 32] gguf\n"
    "  weight @gate : q8_0[64, 32] gguf\n"
    "  weight @up : q4_0[64, 32] gguf\n"
    "  weight @down : q8_0[32, 64] gguf\n"
    "  weight @out : f32[64, 32] gguf\n"
    "  cache @k0 : f32[8, 16]\n"
    "  cache @v0 : f32[8, 16]\n"
    "  func @decode(%tok : i32, %pos : i32) -> f32[64] {\n"
    IR_TINY_EMBED_NORM_WQ("")
    "    %q0 = matmul %h, %wqt : f32[32]\n"
    "    %q = rope %q0, %pos {mode = 0, head_dim = 16, n_rot = 16, base = 10000.0, "
    "freq_scale = 1.0} : f32[32]\n"
    "    %wk = weight @wk : q4_0[16, 32] rowmajor\n"
    "    %wkt = transpose %wk : q4_0[32, 16] rowmajor\n"
    "    %k0 = matmul %h, %wkt : f32[16]\n"
    "    %k = rope %k0, %pos {mode = 0, head_dim = 16, n_rot = 16, base = 10000.0, "
    "freq_scale = 1.0} : f32[16]\n"
    "    %wv = weight @wv : f16[16, 32] rowmajor\n"
    "    %wvt = transpose %wv : f16[32, 16] rowmajor\n"
    "    %v = matmul %h, %wvt : f32[16]\n"
    "    %kc = cache @k0 : f32[8, 16]\n"
    "    %vc = cache @v0 : f32[8, 16]\n"
    "    %a = attention %q, %k, %v, %kc, %vc, %pos {n_head = 2, n_head_kv = 1, head_dim = 16, "
    "scale = 0.25, window = 0} : f32[32]\n"
    "    %wo = weight @wo : q8_0[32, 32] rowmajor\n"
    "    %wot = transpose %wo : q8_0[32, 32] rowmajor\n"
    "    %o = matmul %a, %wot : f32[32]\n"
    "    %y = add %o, %x : f32[32]\n"
    "    %h2 = rms_norm %y, %n {eps = 1e-05} : f32[32]\n"
    "    %wg = weight @gate : q8_0[64, 32] rowmajor\n"
    "    %wgt = transpose %wg : q8_0[32, 64] rowmajor\n"
    "    %g = matmul %h2, %wgt : f32[64]\n"
    "    %wu = weight @up : q4_0[64, 32] rowmajor\n"
    "    %wut = transpose %wu : q4_0[32, 64] rowmajor\n"
    "    %u = matmul %h2, %wut : f32[64]\n"
    "    %gs = silu %g : f32[64]\n"
    "    %gu = mul %gs, %u : f32[64]\n"
    "    %wd = weight @down : q8_0[32, 64] rowmajor\n"
    "    %wdt = transpose %wd : q8_0[64, 32] rowmajor\n"
    "    %d = matmul %gu, %wdt : f32[32]\n"
    "    %y2 = add %d, %y : f32[32]\n"
    "    %gl = gelu %y2 : f32[32]\n"
    "    %sc = scale %gl {s = 0.5} : f32[32]\n"
    "    %wout = weight @out : f32[64, 32] rowmajor\n"
    "    %woutt = transpose %wout : f32[32, 64] rowmajor\n"
    "    %l0 = matmul %sc, %woutt : f32[64]\n"
    "    %logits = softcap %l0 {cap = 30.0} : f32[64]\n"
    "    return %logits\n"
    "  }\n"
    "}\n";
/* clang-format on */

static const char *const api_names[] = {
    "model_init",       "model_reset",    "model_decode",       "model_n_vocab",    "model_n_ctx",
    "model_last_error", "model_tokenize", "model_token_piece",  "model_token_text", "model_bos",
    "model_eos",        "model_is_eog",   "model_set_executor", "model_n_prefix",
    "model_grammar_start", "model_grammar_apply", "model_grammar_accept",
    "model_decode_constrained",
};
#define N_API (sizeof api_names / sizeof api_names[0])

static uint32_t rng_state = 12345;
static uint32_t rng(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}
static float frand(void) {
  return (float)(rng() % 2001) / 1000.0f - 1.0f;
} /* [-1, 1] */

/* Plausible bytes for a weight of dtype dt: sane f16 scales, small values. */
static void *fake_weight(ir_dtype dt, uint64_t nbytes) {
  unsigned char *p = malloc(nbytes);
  assert_non_null(p);
  for (uint64_t k = 0; k < nbytes; k++)
    p[k] = (unsigned char)rng();
  if (dt == IR_F32) {
    for (uint64_t k = 0; k + 4 <= nbytes; k += 4) {
      float f = frand() * 0.5f;
      memcpy(p + k, &f, 4);
    }
  } else if (dt == IR_F16) {
    for (uint64_t k = 0; k + 2 <= nbytes; k += 2) {
      uint16_t h = gqcrt_fp32_to_fp16(frand() * 0.5f);
      memcpy(p + k, &h, 2);
    }
  } else {
    int block = dt == IR_Q8_0 ? GQCRT_Q8_0_BYTES : GQCRT_Q4_0_BYTES;
    for (uint64_t k = 0; k + (uint64_t)block <= nbytes; k += (uint64_t)block) {
      uint16_t h = gqcrt_fp32_to_fp16(dt == IR_Q8_0 ? 0.004f : 0.06f);
      memcpy(p + k, &h, 2);
    }
  }
  return p;
}

typedef struct fixture {
  ir_module *m;
  void *data[16];
  int n_data;
  unsigned char *vocab;
  char dir[256];
} fixture;

/* The tiny model with fake weights, through the whole pass pipeline. */
static void make_module(fixture *fx, const char *cpu, bool garbage_vocab) {
  gqc_diag d = {0};
  fx->m = ir_parse_module(tiny_model, strlen(tiny_model), "tiny.ir", &d);
  if (!fx->m)
    fail_msg("%s", d.msg);
  for (int k = 0; k < fx->m->n_weights; k++) {
    ir_weight *w = &fx->m->weights[k];
    fx->data[fx->n_data] = fake_weight(w->type.dtype, w->nbytes);
    w->data = fx->data[fx->n_data++];
  }
  if (garbage_vocab) {
    fx->vocab = malloc(100);
    for (int k = 0; k < 100; k++)
      fx->vocab[k] = (unsigned char)rng();
    fx->m->vocab = fx->vocab;
    fx->m->vocab_bytes = 100;
  }
  gqc_target t;
  assert_true(gqc_target_init(&t, "x86_64-linux-gnu", cpu, NULL, &d));
  gqc_pass_context ctx = {&t, &d};
  for (const gqc_pass_info *p = gqc_passes; p->name; p++)
    if (!p->run(fx->m, &ctx) || !ir_verify(fx->m, p->name, &d))
      fail_msg("%s: %s", p->name, d.msg);
  snprintf(fx->dir, sizeof fx->dir, "/tmp/gqc-test-llvm-XXXXXX");
  assert_non_null(mkdtemp(fx->dir));
}

static void free_fixture(fixture *fx) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
  assert_int_equal(system(cmd), 0);
  ir_module_free(fx->m);
  for (int k = 0; k < fx->n_data; k++)
    free(fx->data[k]);
  free(fx->vocab);
}

static gqc_codegen_options options(const char *dir) {
  return (gqc_codegen_options){
      .name = "model", .out_dir = dir, .base = "model", .source = "tiny.ir", .max_text_bytes = 64};
}

static void emit(const fixture *fx, const char *triple, const char *cpu, int kind,
                 const char *path) {
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, triple, cpu, NULL, &d));
  gqc_codegen_options o = options(fx->dir);
  if (!gqc_emit_llvm(fx->m, &t, &o, kind, path, &d))
    fail_msg("gqc_emit_llvm: %s", d.msg);
}

/* ---- ELF checks ---------------------------------------------------------- */
static const Elf64_Shdr *section(const char *elf, const char *name) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
  const char *names = elf + sh[eh->e_shstrndx].sh_offset;
  for (int k = 0; k < eh->e_shnum; k++)
    if (!strcmp(names + sh[k].sh_name, name))
      return &sh[k];
  return NULL;
}

static void check_object(const fixture *fx, const char *path, int machine) {
  size_t size;
  char *elf = test_read_file(path, &size);
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
  assert_true(size > sizeof *eh);
  assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
  assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
  assert_int_equal(eh->e_type, ET_REL);
  assert_int_equal(eh->e_machine, machine);

  /* .gqc.weights: aligned, read-only, exactly the weight blob */
  const Elf64_Shdr *w = section(elf, ".gqc.weights");
  assert_non_null(w);
  assert_int_equal(w->sh_type, SHT_PROGBITS);
  assert_true(w->sh_addralign >= 64);
  assert_true(w->sh_flags & SHF_ALLOC);
  assert_false(w->sh_flags & SHF_WRITE);
  assert_int_equal(w->sh_size, (uint64_t)fx->m->weight_bytes);
  unsigned char *blob = malloc((size_t)fx->m->weight_bytes);
  gqc_diag d = {0};
  assert_true(gqc_weight_blob_fill(fx->m, blob, &d));
  assert_memory_equal(elf + w->sh_offset, blob, (size_t)fx->m->weight_bytes);
  free(blob);

  /* symbols: the API defined and global, nothing else global; the arena a
   * local .bss object of the planned size, 64-byte aligned */
  const Elf64_Shdr *symtab = section(elf, ".symtab");
  assert_non_null(symtab);
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
  const char *strtab = elf + sh[symtab->sh_link].sh_offset;
  const Elf64_Sym *syms = (const Elf64_Sym *)(elf + symtab->sh_offset);
  size_t n_syms = symtab->sh_size / sizeof *syms;
  bool found[N_API] = {0};
  bool arena_found = false;
  for (size_t k = 0; k < n_syms; k++) {
    const char *name = strtab + syms[k].st_name;
    int bind = ELF64_ST_BIND(syms[k].st_info);
    if (syms[k].st_shndx == SHN_UNDEF) {
      if (*name)
        assert_true(!strncmp(name, "gqcrt_", 6));
      continue;
    }
    if (!strcmp(name, "model__arena")) {
      arena_found = true;
      assert_int_equal(bind, STB_LOCAL);
      assert_int_equal(syms[k].st_size, (uint64_t)fx->m->arena_bytes);
      const Elf64_Shdr *s = &sh[syms[k].st_shndx];
      assert_int_equal(s->sh_type, SHT_NOBITS);
      assert_true(s->sh_addralign >= 64);
    }
    if (bind == STB_LOCAL)
      continue;
    bool api = false;
    for (size_t a = 0; a < N_API; a++)
      if (!strcmp(name, api_names[a])) {
        found[a] = api = true;
        assert_int_equal(ELF64_ST_TYPE(syms[k].st_info), STT_FUNC);
      }
    if (!api)
      fail_msg("%s defines the global symbol %s", path, name);
  }
  for (size_t a = 0; a < N_API; a++)
    if (!found[a])
      fail_msg("%s does not define %s", path, api_names[a]);
  assert_true(arena_found);
  free(elf);
}

/* Every runtime prototype the backend declares is read from the runtime's
 * GQCRT_SIGNATURE_* macros; one that is missing or unreadable fails here
 * rather than in a model that happens to call it. */
static void test_runtime_prototypes(void **state) {
  (void)state;
  gqc_diag d = {0};
  if (!gqc_llvm_check_prototypes(&d))
    fail_msg("%s", d.msg);
}

static void test_x86_object(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64-v3", false);
  char path[512];
  snprintf(path, sizeof path, "%s/model.o", fx.dir);
  emit(&fx, "x86_64-linux-gnu", "x86-64-v3", GQC_LLVM_OBJECT, path);
  check_object(&fx, path, EM_X86_64);
  free_fixture(&fx);
}

/* Counts the relocations of .rela.text with an absolute 32/64-bit type. */
static int absolute_relocations(const char *path) {
  char *elf = test_read_file(path, NULL);
  const Elf64_Shdr *rela = section(elf, ".rela.text");
  assert_non_null(rela);
  const Elf64_Rela *r = (const Elf64_Rela *)(elf + rela->sh_offset);
  int n = 0;
  for (size_t k = 0; k < rela->sh_size / sizeof *r; k++) {
    uint32_t type = ELF64_R_TYPE(r[k].r_info);
    n += type == R_X86_64_32 || type == R_X86_64_32S || type == R_X86_64_64;
  }
  free(elf);
  return n;
}

/* PIC by default (RIP-relative addressing only); static_reloc gives
 * absolute addresses, as firmware linked at a fixed address may want. */
static void test_relocation_model(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64-v3", false);
  char path[512];
  snprintf(path, sizeof path, "%s/model.o", fx.dir);
  emit(&fx, "x86_64-linux-gnu", "x86-64", GQC_LLVM_OBJECT, path);
  assert_int_equal(absolute_relocations(path), 0);
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, "x86_64-linux-gnu", "x86-64", NULL, &d));
  gqc_codegen_options o = options(fx.dir);
  o.static_reloc = true;
  assert_true(gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_OBJECT, path, &d));
  assert_true(absolute_relocations(path) > 0);
  check_object(&fx, path, EM_X86_64);
  free_fixture(&fx);
}

static void test_aarch64_object(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64", false); /* scalar kernels exist on every target */
  char path[512];
  snprintf(path, sizeof path, "%s/model.o", fx.dir);
  emit(&fx, "aarch64-linux-gnu", "cortex-a55", GQC_LLVM_OBJECT, path);
  check_object(&fx, path, EM_AARCH64);
  free_fixture(&fx);
}

/* ---- far weights ------------------------------------------------------- */
enum { SHF_X86_64_LARGE_ = 0x10000000 };

/* Relocations anywhere in the object that point at the weights (their
 * symbol, or their section's symbol): how many use the absolute 64-bit type
 * (R_X86_64_64 / R_AARCH64_ABS64) and how many another one. */
static void weight_relocations(const char *elf, int *absolute, int *other) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
  const Elf64_Shdr *ws = section(elf, ".gqc.weights");
  assert_non_null(ws);
  unsigned wsec = (unsigned)(ws - sh);
  *absolute = *other = 0;
  for (int k = 0; k < eh->e_shnum; k++) {
    if (sh[k].sh_type != SHT_RELA)
      continue;
    const Elf64_Shdr *symtab = &sh[sh[k].sh_link];
    const Elf64_Sym *syms = (const Elf64_Sym *)(elf + symtab->sh_offset);
    const char *strtab = elf + sh[symtab->sh_link].sh_offset;
    const Elf64_Rela *r = (const Elf64_Rela *)(elf + sh[k].sh_offset);
    for (size_t i = 0; i < sh[k].sh_size / sizeof *r; i++) {
      const Elf64_Sym *sym = &syms[ELF64_R_SYM(r[i].r_info)];
      bool to_weights = !strcmp(strtab + sym->st_name, "model__weights") ||
                        (ELF64_ST_TYPE(sym->st_info) == STT_SECTION && sym->st_shndx == wsec);
      uint32_t type = ELF64_R_TYPE(r[i].r_info);
      if (to_weights)
        ++*(type == R_X86_64_64 || type == R_AARCH64_ABS64 ? absolute : other);
    }
  }
}

static void check_far(const char *path, bool far, bool x86) {
  char *elf = test_read_file(path, NULL);
  int absolute, other;
  weight_relocations(elf, &absolute, &other);
  const Elf64_Shdr *ws = section(elf, ".gqc.weights");
  if (far) { /* one pointer, nothing PC-relative */
    assert_int_equal(absolute, 1);
    assert_int_equal(other, 0);
    assert_int_equal(ws->sh_flags & SHF_X86_64_LARGE_, x86 ? SHF_X86_64_LARGE_ : 0);
  } else {
    assert_true(other > 1);
    assert_int_equal(ws->sh_flags & SHF_X86_64_LARGE_, 0);
  }
  free(elf);
}

static void test_far_weights(void **state) {
  (void)state;
  for (int x86 = 0; x86 < 2; x86++)
    for (int far = 0; far < 2; far++) {
      fixture fx = {0};
      make_module(&fx, x86 ? "x86-64-v3" : "x86-64", false);
      gqc_diag d = {0};
      gqc_target t;
      assert_true(gqc_target_init(&t, x86 ? "x86_64-linux-gnu" : "aarch64-linux-gnu",
                                  x86 ? "x86-64-v3" : "cortex-a55", NULL, &d));
      gqc_codegen_options o = options(fx.dir);
      o.weights_far = far;
      char path[512];
      snprintf(path, sizeof path, "%s/model.o", fx.dir);
      if (!gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_OBJECT, path, &d))
        fail_msg("%s", d.msg);
      check_object(&fx, path, x86 ? EM_X86_64 : EM_AARCH64);
      check_far(path, far, x86);
      free_fixture(&fx);
    }
}

/* ---- a blob over 4 GiB ------------------------------------------------- */
#define GiB ((uint64_t)1 << 30)

/* Whether files in dir can have holes (else a 5 GiB blob costs 5 GiB). */
static bool holes_supported(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/probe", dir);
  FILE *f = fopen(path, "w");
  struct stat st;
  bool ok =
      f && ftruncate(fileno(f), 64 << 20) == 0 && fstat(fileno(f), &st) == 0 && st.st_blocks < 1024;
  if (f)
    fclose(f);
  unlink(path);
  return ok;
}

static void check_huge_blob(const char *triple, const char *cpu, int machine) {
  fixture fx = {0};
  make_module(&fx, machine == EM_X86_64 ? "x86-64-v3" : "x86-64", false);
  if (!holes_supported(fx.dir)) {
    free_fixture(&fx);
    skip();
    return;
  }
  /* the last weight moves to 5 GiB: everything before it is zero padding */
  ir_weight *last = NULL;
  for (int k = 0; k < fx.m->n_weights; k++)
    if (!fx.m->weights[k].dead && (!last || fx.m->weights[k].offset > last->offset))
      last = &fx.m->weights[k];
  last->offset = (int64_t)(5 * GiB);
  fx.m->weight_bytes = (int64_t)(5 * GiB + ((last->nbytes + 63) & ~(uint64_t)63));
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, triple, cpu, NULL, &d));
  gqc_codegen_options o = options(fx.dir);
  char path[512];
  snprintf(path, sizeof path, "%s/model.o", fx.dir);
  if (!gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_OBJECT, path, &d))
    fail_msg("%s", d.msg);

  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true((uint64_t)st.st_size > 5 * GiB);
  assert_true((uint64_t)st.st_blocks * 512 < 64 * (1u << 20)); /* written sparse */
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  const char *elf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  assert_true(elf != MAP_FAILED);
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
  assert_int_equal(eh->e_machine, machine);
  const Elf64_Shdr *w = section(elf, ".gqc.weights");
  assert_non_null(w);
  assert_int_equal(w->sh_size, (uint64_t)fx.m->weight_bytes);
  assert_int_equal(w->sh_offset % 64, 0);
  assert_true(w->sh_offset + w->sh_size <= (uint64_t)st.st_size);
  assert_true(w->sh_addralign >= 64 && (w->sh_flags & SHF_ALLOC) && !(w->sh_flags & SHF_WRITE));
  /* the moved weight at 5 GiB, zeros at 4 GiB, the first weight at its place */
  assert_memory_equal(elf + w->sh_offset + 5 * GiB, last->data, last->nbytes);
  static const char zeros[64];
  assert_memory_equal(elf + w->sh_offset + 4 * GiB, zeros, sizeof zeros);
  const ir_weight *first = &fx.m->weights[0];
  assert_memory_equal(elf + w->sh_offset + first->offset, first->data, first->nbytes);
  /* the symbol covers it all; the code reaches it through one pointer */
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
  const Elf64_Shdr *symtab = section(elf, ".symtab");
  const Elf64_Sym *syms = (const Elf64_Sym *)(elf + symtab->sh_offset);
  const char *strtab = elf + sh[symtab->sh_link].sh_offset;
  bool found = false;
  for (size_t k = 0; k < symtab->sh_size / sizeof *syms; k++)
    if (!strcmp(strtab + syms[k].st_name, "model__weights")) {
      found = true;
      assert_int_equal(syms[k].st_size, (uint64_t)fx.m->weight_bytes);
      assert_int_equal(ELF64_ST_BIND(syms[k].st_info), STB_LOCAL);
      assert_int_equal(&sh[syms[k].st_shndx], w);
    }
  assert_true(found);
  int absolute, other;
  weight_relocations(elf, &absolute, &other);
  assert_int_equal(absolute, 1);
  assert_int_equal(other, 0);
  munmap((void *)elf, (size_t)st.st_size);
  free_fixture(&fx);
}

static void test_blob_over_4gib_x86(void **state) {
  (void)state;
  check_huge_blob("x86_64-linux-gnu", "x86-64-v3", EM_X86_64);
}

static void test_blob_over_4gib_aarch64(void **state) {
  (void)state;
  check_huge_blob("aarch64-linux-gnu", "cortex-a55", EM_AARCH64);
}

/* ---- gqc_elf_fill_section ------------------------------------------------ */
typedef struct fake_source {
  uint64_t n; /* bytes to give */
  bool fail;  /* then fail */
} fake_source;

static bool fake_walk(void *ctx, const gqc_blob_sink *sink, gqc_diag *d) {
  const fake_source *s = ctx;
  for (uint64_t k = 0; k < s->n; k++) {
    unsigned char b = (unsigned char)(k * 7 + 1);
    if (!sink->write(sink->ctx, &b, 1))
      return gqc_error(d, "sink failed");
  }
  return s->fail ? gqc_error(d, "source failed") : true;
}

static void test_elf_fill_section(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64-v3", false);
  char path[512], text[512];
  snprintf(path, sizeof path, "%s/model.o", fx.dir);
  emit(&fx, "x86_64-linux-gnu", "x86-64-v3", GQC_LLVM_OBJECT, path);
  size_t before;
  char *orig = test_read_file(path, &before);
  gqc_diag d = {0};
  fake_source src = {100, false};
  /* the weight section is full already; no such section */
  assert_false(gqc_elf_fill_section(path, ".gqc.weights", 100, fake_walk, &src, &d));
  assert_non_null(strstr(d.msg, "not an empty PROGBITS section"));
  d = (gqc_diag){0};
  assert_false(gqc_elf_fill_section(path, ".nope", 100, fake_walk, &src, &d));
  assert_non_null(strstr(d.msg, "no section .nope"));
  /* a source that fails half way, or gives the wrong size: the object is as
   * it was (.note.GNU-stack is an empty PROGBITS section of every object) */
  src.fail = true;
  d = (gqc_diag){0};
  assert_false(gqc_elf_fill_section(path, ".note.GNU-stack", 100, fake_walk, &src, &d));
  assert_non_null(strstr(d.msg, "source failed"));
  src.fail = false;
  d = (gqc_diag){0};
  assert_false(gqc_elf_fill_section(path, ".note.GNU-stack", 99, fake_walk, &src, &d));
  assert_non_null(strstr(d.msg, "100 bytes written, 99 expected"));
  size_t now;
  char *same = test_read_file(path, &now);
  assert_int_equal(now, before);
  assert_memory_equal(same, orig, before);
  free(same);
  /* filled: the bytes at the section's new offset, aligned, the rest as it was */
  d = (gqc_diag){0};
  assert_true(gqc_elf_fill_section(path, ".note.GNU-stack", 100, fake_walk, &src, &d));
  char *elf = test_read_file(path, &now);
  const Elf64_Shdr *s = section(elf, ".note.GNU-stack");
  assert_int_equal(s->sh_size, 100);
  assert_true(s->sh_offset >= before && s->sh_offset + 100 == now);
  assert_int_equal(s->sh_offset % (s->sh_addralign ? s->sh_addralign : 1), 0);
  for (int k = 0; k < 100; k++)
    assert_int_equal((unsigned char)elf[s->sh_offset + (uint64_t)k], (unsigned char)(k * 7 + 1));
  assert_memory_equal(elf, orig, ((const Elf64_Ehdr *)orig)->e_shoff);
  free(elf);
  /* not an object gqc can fill */
  const char *bad[][2] = {{"not an ELF file", "hello"},
                          {"not a little-endian ELF64 file", "\177ELF\001\001"}};
  for (int k = 0; k < 2; k++) {
    snprintf(text, sizeof text, "%s/bad.o", fx.dir);
    FILE *f = fopen(text, "w");
    fputs(bad[k][1], f);
    for (int i = 0; i < 80; i++)
      fputc(0, f);
    fclose(f);
    d = (gqc_diag){0};
    assert_false(gqc_elf_fill_section(text, ".gqc.weights", 100, fake_walk, &src, &d));
    assert_non_null(strstr(d.msg, bad[k][0]));
  }
  d = (gqc_diag){0};
  assert_false(gqc_elf_fill_section("/nonexistent/x.o", ".gqc.weights", 1, fake_walk, &src, &d));
  assert_non_null(strstr(d.msg, "/nonexistent/x.o: cannot open"));
  free(orig);
  free_fixture(&fx);
}

static void test_assembly_and_ir(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64-v3", false);
  char path[512];
  snprintf(path, sizeof path, "%s/model.s", fx.dir);
  emit(&fx, "x86_64-linux-gnu", "x86-64-v3", GQC_LLVM_ASSEMBLY, path);
  char *s = test_read_file(path, NULL);
  assert_non_null(strstr(s, "model_decode:"));
  assert_non_null(strstr(s, ".globl\tmodel_tokenize"));
  assert_non_null(strstr(s, ".section\t.gqc.weights,\"a\""));
  assert_non_null(strstr(s, "\n.pushsection .gqc.weights\n.incbin \"model.weights\"\n"));
  assert_non_null(strstr(s, "gqcrt_linear_q8_0_avx2"));
  assert_null(strstr(s, ".globl\tmodel__"));
  free(s);
  /* the blob beside it */
  snprintf(path, sizeof path, "%s/model.weights", fx.dir);
  size_t size;
  char *blob = test_read_file(path, &size);
  assert_int_equal(size, (uint64_t)fx.m->weight_bytes);
  unsigned char *want = malloc(size);
  gqc_diag d = {0};
  assert_true(gqc_weight_blob_fill(fx.m, want, &d));
  assert_memory_equal(blob, want, size);
  free(want);
  free(blob);

  snprintf(path, sizeof path, "%s/model.ll", fx.dir);
  emit(&fx, "aarch64-linux-gnu", "cortex-a55", GQC_LLVM_IR, path);
  s = test_read_file(path, NULL);
  assert_non_null(strstr(s, "target triple = \"aarch64-unknown-linux-gnu\""));
  /* the weights: the section's symbol, defined by module assembly that pulls
   * in model.weights, which is written beside the output */
  assert_non_null(strstr(s, "@model__weights = external hidden global [0 x i8], align 64"));
  assert_non_null(strstr(s, "module asm \".pushsection .gqc.weights,\\22a\\22,%progbits\""));
  assert_non_null(strstr(s, "module asm \".size model__weights,"));
  assert_non_null(strstr(s, "module asm \".incbin \\22model.weights\\22\""));
  assert_non_null(strstr(s, "@model__arena = internal global"));
  assert_non_null(strstr(s, "@model_decode("));
  assert_non_null(strstr(s, "@gqcrt_attention_parallel("));
  assert_non_null(strstr(s, "@gqcrt_attention_avx2")); /* planned for x86-64-v3 */
  assert_non_null(strstr(s, "!\"%logits = softcap\""));
  /* gqc's feature names in LLVM's spelling */
  assert_non_null(strstr(s, "\"target-cpu\"=\"cortex-a55\""));
  assert_non_null(strstr(s, "\"target-features\"=\"+neon,+dotprod,+fullfp16\""));
  free(s);
  free_fixture(&fx);
}

/* --features -x reaches LLVM as "-x" (the CPU would imply it otherwise). */
static void test_removed_feature(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64", false);
  char path[512];
  snprintf(path, sizeof path, "%s/model.ll", fx.dir);
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, "aarch64-linux-gnu", "cortex-a55", "-dotprod", &d));
  gqc_codegen_options o = options(fx.dir);
  assert_true(gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_IR, path, &d));
  char *s = test_read_file(path, NULL);
  assert_non_null(strstr(s, "\"target-features\"=\"+neon,+fullfp16,-dotprod\""));
  free(s);
  free_fixture(&fx);
}

static void test_errors(void **state) {
  (void)state;
  fixture fx = {0};
  make_module(&fx, "x86-64-v3", false);
  char path[512];
  snprintf(path, sizeof path, "%s/model.o", fx.dir);
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, "x86_64-linux-gnu", "x86-64-v3", NULL, &d));
  gqc_codegen_options o = options(fx.dir);
  /* a kernel the runtime does not have */
  ir_for_each_inst(fx.m->decode, i) if (i->op == IR_OP_LINEAR) {
    ir_attr_set_str(fx.m, i, "kernel", "gqcrt_linear_q8_0_sve");
    break;
  }
  assert_false(gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_OBJECT, path, &d));
  assert_non_null(strstr(d.msg, "gqcrt_linear_q8_0_sve"));
  /* no memory plan */
  fx.m->weight_bytes = -1;
  d = (gqc_diag){0};
  assert_false(gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_OBJECT, path, &d));
  assert_non_null(strstr(d.msg, "plan-memory"));
  /* an unwritable output */
  free_fixture(&fx);
  fx = (fixture){0};
  make_module(&fx, "x86-64-v3", false);
  d = (gqc_diag){0};
  o = options(fx.dir);
  assert_false(gqc_emit_llvm(fx.m, &t, &o, GQC_LLVM_OBJECT, "/nonexistent/dir/model.o", &d));
  assert_non_null(strstr(d.msg, "/nonexistent/dir/model.o"));
  free_fixture(&fx);
}

/* ---- behaviour: LLVM object vs C backend --------------------------------- */
static const char *const api_driver =
    "#include <stdio.h>\n"
    "#include \"model.h\"\n"
    "#define CHECK_NULL(e) do { const void *p_ = (e); printf(\"%s -> %s err %d\\n\", #e, "
    "p_ ? \"ptr\" : \"NULL\", model_last_error()); } while (0)\n"
    "#define INT(e) printf(\"%s -> %d\\n\", #e, (int)(e))\n"
    "static void logits(const float *l) {\n"
    "  if (!l) { printf(\"NULL %d\\n\", model_last_error()); return; }\n"
    "  for (int i = 0; i < MODEL_N_VOCAB; i++) printf(\"%a%c\", l[i], i % 8 == 7 ? '\\n' : ' ');\n"
    "}\n"
    "int main(void) {\n"
    "  int32_t ids[8], len = 7;\n"
    "  CHECK_NULL(model_decode(1, 0));\n"
    "  INT(model_last_error());\n"
    "  INT(model_n_vocab()); INT(model_n_ctx());\n"
    "  int rc = model_init();\n"
    "  INT(rc); INT(model_last_error());\n"
    "  if (rc) return 0; /* a bad vocabulary: the rest would read it */\n"
    "  CHECK_NULL(model_decode(-1, 0)); CHECK_NULL(model_decode(MODEL_N_VOCAB, 0));\n"
    "  CHECK_NULL(model_decode(0, -1)); CHECK_NULL(model_decode(0, 1));\n"
    "  for (int pos = 0; pos < MODEL_N_CTX; pos++) logits(model_decode((pos * 7 + 3) % "
    "MODEL_N_VOCAB, pos));\n"
    "  CHECK_NULL(model_decode(0, MODEL_N_CTX));\n"
    "  logits(model_decode(5, 2));\n"
    "  CHECK_NULL(model_decode(5, 4));\n"
    "  logits(model_decode(9, 3));\n"
    "  model_reset();\n"
    "  CHECK_NULL(model_decode(0, 1));\n"
    "  logits(model_decode(63, 0));\n"
    "  INT(model_tokenize(\"hi\", ids, 8)); INT(model_last_error());\n"
    "  INT(model_tokenize(NULL, ids, 8));\n"
    "  INT(model_bos()); INT(model_eos()); INT(model_is_eog(0));\n"
    "  CHECK_NULL(model_token_piece(0, &len)); INT(len);\n"
    "  CHECK_NULL(model_token_text(0));\n"
    "  return 0;\n"
    "}\n";

static char *run_capture(const char *cmd) {
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += r;
    if (cap - n < 1024)
      buf = realloc(buf, cap *= 2);
  }
  buf[n] = 0;
  assert_int_equal(pclose(p), 0);
  return buf;
}

/* In a sanitizer build (GQC_SANITIZE) the build tree's libgqcrt is
 * instrumented: programs linked with it need the sanitizer runtimes. */
#if defined(__SANITIZE_ADDRESS__)
#define SAN_FLAGS " -fsanitize=address,undefined"
#else
#define SAN_FLAGS ""
#endif

static bool can_link(void) {
  struct stat st;
  return stat(GQC_BUILD_DIR "/runtime/libgqcrt.a", &st) == 0 &&
         system("cc --version >/dev/null 2>&1") == 0;
}

/* Builds the driver with the C backend's and with the LLVM backend's object
 * (weights far or not) and returns both outputs. */
static void run_both(fixture *fx, bool far, char **out_c, char **out_llvm) {
  const char *inc = GQC_TEST_DATA "/../../runtime/include";
  const char *lib = GQC_BUILD_DIR "/runtime/libgqcrt.a";
  char path[512], cmd[4096];
  snprintf(path, sizeof path, "%s/driver.c", fx->dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(api_driver, f);
  fclose(f);
  gqc_diag d = {0};
  gqc_target t;
  assert_true(gqc_target_init(&t, NULL, NULL, NULL, &d));
  gqc_codegen_options o = options(fx->dir);
  o.weights_far = far;
  /* C backend: model.c + blobs, compiled as the driver does it */
  assert_true(gqc_emit_header(fx->m, &o, &d));
  assert_true(gqc_emit_c(fx->m, &t, &o, &d));
  snprintf(cmd, sizeof cmd,
           "cd '%s' && cc -O2 -std=c11 -c -I'%s' model.c -o model_c.o && "
           "cc -O2 -std=c11 -I. -I'%s' driver.c model_c.o '%s' -lm" SAN_FLAGS " -o prog_c",
           fx->dir, inc, inc, lib);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/model_llvm.o", fx->dir);
  if (!gqc_emit_llvm(fx->m, &t, &o, GQC_LLVM_OBJECT, path, &d))
    fail_msg("%s", d.msg);
  /* far weights: linked as a hosted program links them, after .bss */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && cc -O2 -std=c11 -I. -I'%s' driver.c model_llvm.o '%s' -lm" SAN_FLAGS
           " %s -o prog_llvm",
           fx->dir, inc, lib,
           far ? "-Wl,-T," GQC_TEST_DATA "/../../samples/weights_after_bss.ld" : "");
  assert_int_equal(system(cmd), 0);
  if (far) {
    snprintf(path, sizeof path, "%s/prog_llvm", fx->dir);
    char *exe = test_read_file(path, NULL);
    const Elf64_Shdr *w = section(exe, ".gqc.weights"), *bss = section(exe, ".bss");
    assert_true(w && bss && w->sh_addr >= bss->sh_addr + bss->sh_size);
    assert_int_equal(w->sh_size, (uint64_t)fx->m->weight_bytes);
    free(exe);
  }
  snprintf(cmd, sizeof cmd, "'%s/prog_c'", fx->dir);
  *out_c = run_capture(cmd);
  snprintf(cmd, sizeof cmd, "'%s/prog_llvm'", fx->dir);
  *out_llvm = run_capture(cmd);
}

static void test_same_behaviour_as_c_backend(void **state) {
  (void)state;
  if (!can_link()) {
    skip();
    return;
  }
  fixture fx = {0};
  make_module(&fx, "native", false);
  char *c, *llvm, *c_far, *llvm_far;
  run_both(&fx, false, &c, &llvm);
  assert_string_equal(c, llvm);
  /* far weights: the same, bit for bit */
  run_both(&fx, true, &c_far, &llvm_far);
  assert_string_equal(c, c_far);
  assert_string_equal(c, llvm_far);
  free(c_far);
  free(llvm_far);
  /* and the behaviour is the documented one */
  assert_non_null(strstr(llvm, "model_decode(1, 0) -> NULL err -1\n"));
  assert_non_null(strstr(llvm, "model_n_vocab() -> 64\n"));
  assert_non_null(strstr(llvm, "model_n_ctx() -> 8\n"));
  assert_non_null(strstr(llvm, "rc -> 0\nmodel_last_error() -> 0\n"));
  assert_non_null(strstr(llvm, "model_decode(-1, 0) -> NULL err -2\n"));
  assert_non_null(strstr(llvm, "model_decode(MODEL_N_VOCAB, 0) -> NULL err -2\n"));
  assert_non_null(strstr(llvm, "model_decode(0, -1) -> NULL err -3\n"));
  assert_non_null(strstr(llvm, "model_decode(0, 1) -> NULL err -3\n"));
  assert_non_null(strstr(llvm, "model_decode(0, MODEL_N_CTX) -> NULL err -3\n"));
  assert_non_null(strstr(llvm, "model_decode(5, 4) -> NULL err -3\n"));
  assert_non_null(strstr(llvm, "model_tokenize(\"hi\", ids, 8) -> -8\n"));
  assert_non_null(strstr(llvm, "model_bos() -> -1\nmodel_eos() -> -1\nmodel_is_eog(0) -> 0\n"));
  assert_non_null(strstr(llvm, "model_token_piece(0, &len) -> NULL err -8\nlen -> 0\n"));
  /* the logits are numbers, not NaN, and differ between steps */
  assert_null(strstr(llvm, "nan"));
  assert_null(strstr(llvm, "NULL -"));
  free(c);
  free(llvm);
  free_fixture(&fx);
}

/* A vocabulary blob that fails gqcrt_vocab_check: init reports it. */
static void test_bad_vocab_fails_init(void **state) {
  (void)state;
  if (!can_link()) {
    skip();
    return;
  }
  fixture fx = {0};
  make_module(&fx, "native", true);
  char *c, *llvm;
  run_both(&fx, false, &c, &llvm);
  assert_string_equal(c, llvm);
  assert_non_null(strstr(llvm, "rc -> -8\nmodel_last_error() -> -8\n"));
  free(c);
  free(llvm);
  free_fixture(&fx);
}

int main(void) {
  if (!gqc_llvm_available()) {
    printf("gqc built without LLVM: nothing to test\n");
    return 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_runtime_prototypes),
      cmocka_unit_test(test_x86_object),
      cmocka_unit_test(test_aarch64_object),
      cmocka_unit_test(test_relocation_model),
      cmocka_unit_test(test_far_weights),
      cmocka_unit_test(test_blob_over_4gib_x86),
      cmocka_unit_test(test_blob_over_4gib_aarch64),
      cmocka_unit_test(test_elf_fill_section),
      cmocka_unit_test(test_assembly_and_ir),
      cmocka_unit_test(test_removed_feature),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_same_behaviour_as_c_backend),
      cmocka_unit_test(test_bad_vocab_fails_init),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

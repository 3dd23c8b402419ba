/* prefix.c — `gqc MODEL --prefix FILE`: a prompt prefix's KV cache, computed
 * at compile time and compiled into the object (docs/prefix.md).
 *
 * The compiler has to run the model over the prefix. It does so with the
 * model itself, compiled a second time for the host:
 *
 *   1. the same GGUF, description, --ctx, --kv-type and pass pipeline, for
 *      the host's own CPU (when the target is that too, the very kernels the
 *      target runs), with --weights=file and a prefill batch;
 *   2. that object and its weight file go to a temporary directory, the object
 *      is loaded into gqc with LLVM's ORC JIT (codegen/jit.h; its gqcrt_*
 *      calls resolve to the runtime linked into gqc), the weight file is
 *      mapped and handed to <name>_init_weights;
 *   3. the prefix text is tokenized by the compiled tokenizer (BOS and
 *      special tokens as `gqc tokenize` and <name>_tokenize do) and fed
 *      through <name>_prefill from position 0;
 *   4. the KV rows of positions 0 .. n - 1 are read from the JIT's arena (its
 *      caches' offsets are the host module's plan) and handed to
 *      gqc_attach_prefix, which appends them to the target module's weights.
 *
 * The numbers are the target's: the same weights in the same encodings, the
 * same activation quantisation (select-kernels picks it by weight encoding,
 * not by instruction set), the same KV type, and linear, norm, RoPE, GELU and
 * quantisation kernels whose variants are bit-identical (portable, AVX2,
 * AVX-VNNI, NEON). Only attention's f32 dot products and sums round
 * differently between the host's variant and another architecture's (about
 * 1e-7 relative, gqcrt.h), which the fidelity tests bound
 * (tests/e2e/prefix.sh).
 */
#define _POSIX_C_SOURCE 200809L
#include "driver/driver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "codegen/emit_llvm.h"
#include "codegen/jit.h"
#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "passes/passes.h"

#define HOST_NAME "gqc_prefix_host"
#define PREFIX_MAX_BYTES (64 << 20)

/* The JIT'd model's API (gqcrt_model_api.def, as its header declares it). */
typedef int (*init_weights_fn)(const void *, uint64_t);
typedef int (*init_fn)(void);
typedef int (*tokenize_fn)(const char *, int32_t *, int);
typedef const float *(*prefill_fn)(const int32_t *, int32_t, int32_t);
typedef int (*last_error_fn)(void);

static int fail(const gqc_diag *d) {
  fprintf(stderr, "gqc: error: %s\n", d->msg);
  return 1;
}

/* The prefix text, NUL-terminated (malloc'd), or NULL (printed). */
static char *read_text(const char *path, size_t *len) {
  gqc_diag d = {0};
  char *buf = gqc_read_text_file(path, PREFIX_MAX_BYTES, len, &d);
  if (!buf) {
    fail(&d);
    return NULL;
  }
  if (memchr(buf, 0, *len) || !*len) {
    fprintf(stderr, "gqc: error: %s: %s (--prefix)\n", path,
            *len ? "contains a NUL byte" : "empty file");
    free(buf);
    return NULL;
  }
  return buf;
}

/* The host model: o's model and numerics, compiled for this machine. */
static gqc_options host_options(const gqc_options *o, const gqc_target *t, size_t text_len) {
  gqc_options h = *o;
  h.output = NULL;
  h.name = HOST_NAME;
  h.triple = NULL;
  /* the target's kernels when they surely run here (its default, the host's
   * own CPU), else the host's (a --cpu/--features of another machine could
   * need instructions this one lacks) */
  const bool same = t->is_host && !o->features && (!o->cpu || !strcmp(o->cpu, "native"));
  h.cpu = same ? o->cpu : NULL;
  h.features = NULL;
  h.emit = NULL;
  h.backend = "llvm";
  h.static_reloc = false;
  h.weights_external = true;
  h.arena_section = NULL;
  h.batch = o->batch > 0 ? o->batch : -1; /* else the host's default (gqc_target_default_batch) */
  h.max_text_bytes = (int64_t)text_len + 1;
  h.stats = false;
  h.no_tokenizer = false;
  h.prefix_file = NULL;
  h.grammar_file = NULL; /* the grammar does not change the KV rows */
  h.tools_file = NULL;
  h.write_depfile = false;
  h.pipe.print_after = NULL;
  h.pipe.print_after_all = false;
  return h;
}

/* Step 4: the KV rows of positions 0 .. n - 1 from the JIT's arena (laid out
 * as the host module hm planned it) for every cache of the target module m;
 * a ring (sliding-window cache) has kept its last rows only. */
static bool copy_rows(const ir_module *m, const ir_module *hm, const unsigned char *arena,
                      int64_t n, gqc_prefix_rows *r) {
  r->n_prefix = n;
  r->n_caches = m->n_caches;
  r->rows = calloc((size_t)m->n_caches + 1, sizeof *r->rows);
  r->row_bytes = calloc((size_t)m->n_caches + 1, sizeof *r->row_bytes);
  r->first_available = calloc((size_t)m->n_caches + 1, sizeof *r->first_available);
  if (!r->rows || !r->row_bytes || !r->first_available) {
    fprintf(stderr, "gqc: error: out of memory\n");
    return false;
  }
  if (hm->n_caches != m->n_caches) {
    fprintf(stderr, "gqc: error: --prefix: the host model has %d KV caches, the target %d\n",
            hm->n_caches, m->n_caches);
    return false;
  }
  for (int c = 0; c < m->n_caches; c++) {
    const ir_cache *tc = &m->caches[c], *hc = &hm->caches[c];
    ir_type trow = ir_type_row(&tc->type), hrow = ir_type_row(&hc->type);
    const int64_t rb = ir_type_bytes(&trow), hrows = hc->type.dims[0];
    if (strcmp(tc->name, hc->name) || trow.dtype != hrow.dtype || rb != ir_type_bytes(&hrow) ||
        rb <= 0 || hrows <= 0 || hc->offset < 0) {
      fprintf(stderr, "gqc: error: --prefix: KV cache @%s differs between host and target\n",
              tc->name);
      return false;
    }
    if (!(r->rows[c] = calloc((size_t)n, (size_t)rb))) {
      fprintf(stderr, "gqc: error: out of memory\n");
      return false;
    }
    r->row_bytes[c] = rb;
    r->first_available[c] = n > hrows ? n - hrows : 0;
    for (int64_t p = r->first_available[c]; p < n; p++)
      memcpy(r->rows[c] + p * rb, arena + hc->offset + (p % hrows) * rb, (size_t)rb);
  }
  return true;
}

void gqc_prefix_rows_free(gqc_prefix_rows *r) {
  for (int c = 0; r->rows && c < r->n_caches; c++)
    free(r->rows[c]);
  free(r->rows);
  free(r->row_bytes);
  free(r->first_available);
  memset(r, 0, sizeof *r);
}

/* Steps 2-4 of the top for the compiled host module hm in directory dir. */
static int run_host(const gqc_options *ho, const gqc_target *ht, const ir_module *hm,
                    const char *dir, const char *path, const char *text, const ir_module *m,
                    gqc_prefix_rows *rows) {
  gqc_diag d = {0};
  char obj[4096], blob[4096];
  snprintf(obj, sizeof obj, "%s/host.o", dir);
  snprintf(blob, sizeof blob, "%s/host.weights", dir);
  gqc_codegen_options co = {.name = HOST_NAME,
                            .out_dir = dir,
                            .base = "host",
                            .source = ho->input,
                            .max_text_bytes = ho->max_text_bytes,
                            .weights_external = true,
                            .export_arena = true};
  if (!gqc_write_weight_file(hm, blob, &co.weight_crc32c, &co.weight_quick_crc32c, &d) ||
      !gqc_emit_llvm(hm, ht, &co, GQC_LLVM_OBJECT, obj, &d))
    return fail(&d);
  gqc_jit *j = gqc_jit_load_object(obj, &d);
  if (!j)
    return fail(&d);
  int rc = 1;
  void *map = MAP_FAILED;
  int32_t *ids = NULL;
  const uint64_t size = (uint64_t)hm->weight_bytes;
  const int fd = open(blob, O_RDONLY);
  if (fd >= 0 && size)
    map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (fd >= 0)
    close(fd);
  init_weights_fn init_weights = gqc_jit_lookup(j, HOST_NAME "_init_weights", &d);
  init_fn init = init_weights ? gqc_jit_lookup(j, HOST_NAME "_init", &d) : NULL;
  tokenize_fn tokenize = init ? gqc_jit_lookup(j, HOST_NAME "_tokenize", &d) : NULL;
  prefill_fn prefill = tokenize ? gqc_jit_lookup(j, HOST_NAME "_prefill", &d) : NULL;
  last_error_fn last_error = prefill ? gqc_jit_lookup(j, HOST_NAME "_last_error", &d) : NULL;
  unsigned char *arena = last_error ? gqc_jit_lookup(j, HOST_NAME "__arena", &d) : NULL;
  const int64_t n_ctx = ir_meta_int(m, "n_ctx", 0);
  if (!arena) {
    fail(&d);
  } else if (map == MAP_FAILED) {
    fprintf(stderr, "gqc: error: --prefix: cannot map %s: %s\n", blob, strerror(errno));
  } else if (init_weights(map, size) || init()) {
    fprintf(stderr, "gqc: error: --prefix: the host model does not start (error %d)\n",
            last_error());
  } else if (!(ids = malloc((strlen(text) + 2) * sizeof *ids))) {
    fprintf(stderr, "gqc: error: out of memory\n");
  } else {
    /* (a text of L bytes has at most L + 2 tokens: BOS, EOS) */
    const int n = tokenize(text, ids, (int)strlen(text) + 2);
    if (n < 0)
      fprintf(stderr, "gqc: error: %s: cannot tokenize the prefix (error %d)\n", path, n);
    else if (n >= n_ctx)
      fprintf(stderr,
              "gqc: error: %s: the prefix's %d tokens leave no position in a context of "
              "%lld\nnote: raise --ctx\n",
              path, n, (long long)n_ctx);
    else if (!prefill(ids, n, 0))
      fprintf(stderr, "gqc: error: --prefix: running the host model failed (error %d)\n",
              last_error());
    else
      rc = copy_rows(m, hm, arena, n, rows) ? 0 : 1;
  }
  free(ids);
  if (map != MAP_FAILED)
    munmap(map, size);
  gqc_jit_free(j);
  return rc;
}

int gqc_compile_prefix(const gqc_options *o, const gqc_target *t, ir_module *m,
                       gqc_prefix_rows *rows) {
  size_t len = 0;
  char *text = read_text(o->prefix_file, &len);
  if (!text)
    return 1;
  gqc_options ho = host_options(o, t, len);
  gqc_target ht;
  gguf_file *gf = NULL;
  ir_module *hm = NULL;
  gqc_vocab_blob vocab = {0};
  void *grammar = NULL; /* none: host_options */
  int rc = gqc_build_module(&ho, &ht, &gf, &hm, &vocab, &grammar, NULL);
  char *dir = rc ? NULL : gqc_make_temp_dir();
  if (!rc && !dir) {
    fprintf(stderr, "gqc: error: cannot create a temporary directory: %s\n", strerror(errno));
    rc = 1;
  }
  if (!rc)
    rc = run_host(&ho, &ht, hm, dir, o->prefix_file, text, m, rows);
  if (dir) {
    gqc_remove_temp_dir(dir);
    free(dir);
  }
  ir_module_free(hm);
  gqc_vocab_blob_free(&vocab);
  free(grammar);
  gguf_close(gf);
  free(text);
  if (rc)
    return rc;
  gqc_diag d = {0};
  const gqc_prefix p = {.n_prefix = rows->n_prefix,
                        .n_caches = rows->n_caches,
                        .rows = (const unsigned char *const *)rows->rows,
                        .row_bytes = rows->row_bytes,
                        .first_available = rows->first_available};
  return gqc_attach_prefix(m, &p, &d) ? 0 : fail(&d);
}

/* compile_ir.c — IR text as a compiler input: `gqc IN.ir --gguf MODEL.gguf
 * -o OUT.o`, for IR that `gqc opt` (or `gqc -o x.ir`) wrote.
 *
 * IR text names each weight (its GGUF tensor) and its storage but carries no
 * bytes: they come from the GGUF given with --gguf, tensor by tensor, checked
 * against the IR's type and size; a repacked storage ("q8_0_r4") gets its
 * packing back from the runtime's list (gqc_repack_for_storage). The caller
 * runs the pipeline when the module is not planned yet, and builds the
 * vocabulary from the same GGUF.
 */
#include "driver/driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passes/passes.h"

ir_module *gqc_load_ir_module(const char *ir_path, const gguf_file *gf, gqc_diag *d) {
  size_t len = 0;
  char *text = gqc_read_file(ir_path, &len);
  if (!text) {
    gqc_error(d, "%s: cannot read: %s", ir_path, strerror(errno));
    return NULL;
  }
  ir_module *m = ir_parse_module(text, len, ir_path, d);
  free(text);
  if (!m)
    return NULL;
  for (int k = 0; k < m->n_weights; k++) {
    ir_weight *w = &m->weights[k];
    const gguf_tensor *t = gguf_find_tensor(gf, w->name);
    if (!t) {
      gqc_error(d, "%s: weight @%s: no such tensor in %s", ir_path, w->name, gf->path);
      ir_module_free(m);
      return NULL;
    }
    if (t->nbytes != w->nbytes) {
      gqc_error(d, "%s: weight @%s: %llu bytes, but the tensor in %s has %llu", ir_path, w->name,
                (unsigned long long)w->nbytes, gf->path, (unsigned long long)t->nbytes);
      ir_module_free(m);
      return NULL;
    }
    w->data = t->data;
    if (w->storage && strcmp(w->storage, "gguf") &&
        !gqc_repack_for_storage(w->storage, &w->repack, &w->repack_rows)) {
      gqc_error(d, "%s: weight @%s: unknown storage '%s'", ir_path, w->name, w->storage);
      ir_module_free(m);
      return NULL;
    }
  }
  if (gf->fd >= 0) {
    m->weight_file_fd = gf->fd;
    m->weight_file_base = gf->base;
    m->weight_file_size = gf->size;
  }
  return m;
}

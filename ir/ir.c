/* ir.c — construction, types and rewriting helpers for the tensor IR.
 *
 * Everything a module owns comes from its pool: a chain of large chunks
 * (support/bump_alloc.h) that is freed in one go by ir_module_free().
 * Instructions are never freed individually — a pass that removes one just
 * unlinks it — which keeps passes simple and makes dangling pointers between
 * instructions harmless.
 */
#include "ir/ir.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "support/bump_alloc.h"
#include "support/xalloc.h"

/* ---- pool --------------------------------------------------------------- */
void *ir_alloc(ir_module *m, size_t size) {
  size_t taken;
  void *r = gqc_bump_alloc(&m->pool, size, 1u << 16, "the IR module", &taken);
  m->pool_bytes += taken;
  return r;
}

const char *ir_strdup(ir_module *m, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *r = ir_alloc(m, n);
  memcpy(r, s, n);
  return r;
}

const char *ir_strfmt(ir_module *m, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *r = ir_alloc(m, (size_t)n + 1);
  vsnprintf(r, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return r;
}

/* Grows a pool-owned array (old contents copied; old block stays in the pool). */
static void *grow(ir_module *m, void *arr, int *cap, int need, size_t elem) {
  if (need <= *cap)
    return arr;
  int nc = *cap ? *cap * 2 : 16;
  while (nc < need)
    nc *= 2;
  void *n = ir_alloc(m, (size_t)nc * elem);
  if (arr)
    memcpy(n, arr, (size_t)*cap * elem);
  *cap = nc;
  return n;
}

/* ---- dtypes, layouts, ops ----------------------------------------------- */
/* The index of the entry named `name` among n entries, the first entry's
 * name at `first`, each next one `stride` bytes further; -1 if none. */
static int index_by_name(const char *const *first, size_t stride, int n, const char *name) {
  for (int i = 0; i < n; i++) {
    const char *const *entry = (const char *const *)((const char *)first + (size_t)i * stride);
    if (!strcmp(*entry, name))
      return i;
  }
  return -1;
}
#define INDEX_BY_NAME(table, n, name) index_by_name(&(table)[0].name, sizeof(table)[0], n, name)

static const ir_dtype_info dtype_table[] = {
#define IR_DTYPE(id, name, be, bb, g, vd) {#name, be, bb, g},
#include "ir/ir_dtypes.def"
#undef IR_DTYPE
};

const ir_dtype_info *ir_dtype_get(ir_dtype t) {
  return (unsigned)t < IR_DTYPE_COUNT ? &dtype_table[t] : NULL;
}

bool ir_dtype_from_name(const char *name, ir_dtype *out) {
  const int i = INDEX_BY_NAME(dtype_table, IR_DTYPE_COUNT, name);
  if (i >= 0)
    *out = (ir_dtype)i;
  return i >= 0;
}

bool ir_dtype_from_ggml(int ggml_id, ir_dtype *out) {
  for (int i = 0; i < IR_DTYPE_COUNT; i++)
    if (dtype_table[i].ggml_id == ggml_id && ggml_id >= 0) {
      *out = (ir_dtype)i;
      return true;
    }
  return false;
}

bool ir_dtype_is_quantized(ir_dtype t) {
  return dtype_table[t].block_elems > 1;
}

/* The dtypes by their lower-case names, for the vec_dot column. */
enum {
#define IR_DTYPE(id, name, be, bb, g, vd) IR_VEC_DOT_##name = IR_##id,
#include "ir/ir_dtypes.def"
#undef IR_DTYPE
};

ir_dtype ir_dtype_vec_dot(ir_dtype weight) {
  static const ir_dtype vec_dot[] = {
#define IR_DTYPE(id, name, be, bb, g, vd) [IR_##id] = (ir_dtype)IR_VEC_DOT_##vd,
#include "ir/ir_dtypes.def"
#undef IR_DTYPE
  };
  return (unsigned)weight < IR_DTYPE_COUNT ? vec_dot[weight] : weight;
}

static const char *const layout_names[IR_LAYOUT_COUNT] = {"", "rowmajor", "pretransposed"};

const char *ir_layout_name(ir_layout l) {
  return (unsigned)l < IR_LAYOUT_COUNT ? layout_names[l] : "?";
}

bool ir_layout_from_name(const char *name, ir_layout *out) {
  /* layout_names[0] is "", no layout's name */
  const int i = index_by_name(&layout_names[1], sizeof layout_names[0], IR_LAYOUT_COUNT - 1, name);
  if (i >= 0)
    *out = (ir_layout)(i + 1);
  return i >= 0;
}

static const ir_op_info op_table[] = {
#define IR_OP(id, name, mn, mx, attrs) {name, mn, mx, attrs},
#include "ir/ir_ops.def"
#undef IR_OP
};

const ir_op_info *ir_op_get(ir_opcode op) {
  return (unsigned)op < IR_OP_COUNT ? &op_table[op] : NULL;
}

bool ir_op_from_name(const char *name, ir_opcode *out) {
  const int i = INDEX_BY_NAME(op_table, IR_OP_COUNT, name);
  if (i >= 0)
    *out = (ir_opcode)i;
  return i >= 0;
}

/* ---- types -------------------------------------------------------------- */
ir_type ir_type_scalar(ir_dtype dt) {
  ir_type t = {0};
  t.dtype = dt;
  return t;
}

ir_type ir_type_vec(ir_dtype dt, int64_t n) {
  ir_type t = ir_type_scalar(dt);
  t.rank = 1;
  t.dims[0] = n;
  return t;
}

ir_type ir_type_mat(ir_dtype dt, int64_t rows, int64_t cols) {
  ir_type t = ir_type_scalar(dt);
  t.rank = 2;
  t.dims[0] = rows;
  t.dims[1] = cols;
  return t;
}

ir_type ir_type_row(const ir_type *t) {
  if (t->rank < 2)
    return *t;
  ir_type r = ir_type_scalar(t->dtype);
  r.rank = t->rank - 1;
  for (int i = 1; i < t->rank; i++)
    r.dims[i - 1] = t->dims[i];
  return r;
}

int64_t ir_type_elems(const ir_type *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) {
    if (t->dims[i] <= 0 || n > INT64_MAX / t->dims[i])
      return -1;
    n *= t->dims[i];
  }
  return n;
}

int64_t ir_type_bytes(const ir_type *t) {
  const ir_dtype_info *di = ir_dtype_get(t->dtype);
  if (!di)
    return -1;
  int64_t n = ir_type_elems(t);
  if (n < 0)
    return -1;
  int64_t last = t->rank ? t->dims[t->rank - 1] : 1;
  if (last % di->block_elems)
    return -1;
  int64_t blocks = n / di->block_elems;
  if (blocks > INT64_MAX / di->block_bytes)
    return -1;
  return blocks * di->block_bytes;
}

bool ir_type_same_shape(const ir_type *a, const ir_type *b) {
  if (a->rank != b->rank)
    return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

bool ir_type_equal(const ir_type *a, const ir_type *b) {
  return a->dtype == b->dtype && a->layout == b->layout && ir_type_same_shape(a, b);
}

char *ir_bytes_str(int64_t b, char *buf, size_t n) {
  if (b >= 10 * 1024 * 1024)
    snprintf(buf, n, "%.1f MiB", (double)b / (1024.0 * 1024.0));
  else if (b >= 10 * 1024)
    snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
  else
    snprintf(buf, n, "%" PRId64 " B", b);
  return buf;
}

char *ir_type_str(const ir_type *t, char *buf, size_t size) {
  const ir_dtype_info *di = ir_dtype_get(t->dtype);
  size_t n = (size_t)snprintf(buf, size, "%s", di ? di->name : "?");
  if (t->rank > 0) {
    for (int i = 0; i < t->rank && n < size; i++)
      n += (size_t)snprintf(buf + n, size - n, "%s%" PRId64, i ? ", " : "[", t->dims[i]);
    if (n < size)
      n += (size_t)snprintf(buf + n, size - n, "]");
  }
  if (t->layout != IR_LAYOUT_NONE && n < size)
    snprintf(buf + n, size - n, " %s", ir_layout_name(t->layout));
  return buf;
}

/* ---- module ------------------------------------------------------------- */
ir_module *ir_module_new(const char *name) {
  ir_module tmp = {0};
  ir_module *m = ir_alloc(&tmp, sizeof *m);
  m->pool = tmp.pool;
  m->name = ir_strdup(m, name ? name : "model");
  m->arena_bytes = -1;
  m->weight_bytes = -1;
  m->weight_file_fd = -1;
  return m;
}

void ir_module_free(ir_module *m) {
  if (!m)
    return;
  gqc_bump_free(m->pool);
}

/* The index of the attribute `key` in list[0..n) (a module's metadata, an
 * instruction's attributes), or -1. */
static int find_attr(const ir_attr *list, int n, const char *key) {
  for (int k = 0; k < n; k++)
    if (!strcmp(list[k].key, key))
      return k;
  return -1;
}

/* Sets the slot's value to v's (a string copied into m's pool); no slot: an
 * instruction with no room for one more attribute, nothing is set. */
static void store_attr(ir_module *m, ir_attr *slot, ir_attr v) {
  if (!slot)
    return;
  slot->kind = v.kind;
  if (v.kind == IR_ATTR_INT)
    slot->i = v.i;
  else if (v.kind == IR_ATTR_FLOAT)
    slot->f = v.f;
  else
    slot->s = ir_strdup(m, v.s);
}

static ir_attr *meta_slot(ir_module *m, const char *key) {
  const int k = find_attr(m->meta, m->n_meta, key);
  if (k >= 0)
    return &m->meta[k];
  m->meta = grow(m, m->meta, &m->meta_cap, m->n_meta + 1, sizeof *m->meta);
  ir_attr *a = &m->meta[m->n_meta++];
  a->key = ir_strdup(m, key);
  return a;
}

void ir_meta_set_int(ir_module *m, const char *key, int64_t v) {
  store_attr(m, meta_slot(m, key), (ir_attr){.kind = IR_ATTR_INT, .i = v});
}

void ir_meta_set_float(ir_module *m, const char *key, double v) {
  store_attr(m, meta_slot(m, key), (ir_attr){.kind = IR_ATTR_FLOAT, .f = v});
}

void ir_meta_set_str(ir_module *m, const char *key, const char *v) {
  store_attr(m, meta_slot(m, key), (ir_attr){.kind = IR_ATTR_STR, .s = v});
}

const ir_attr *ir_meta_get(const ir_module *m, const char *key) {
  const int k = find_attr(m->meta, m->n_meta, key);
  return k < 0 ? NULL : &m->meta[k];
}

int64_t ir_meta_int(const ir_module *m, const char *key, int64_t dflt) {
  const ir_attr *a = ir_meta_get(m, key);
  return a && a->kind == IR_ATTR_INT ? a->i : dflt;
}

int ir_module_find_weight(const ir_module *m, const char *name) {
  for (int i = 0; i < m->n_weights; i++)
    if (!strcmp(m->weights[i].name, name))
      return i;
  return -1;
}

int ir_module_add_weight(ir_module *m, const char *name, ir_type type, const void *data,
                         uint64_t nbytes) {
  int i = ir_module_find_weight(m, name);
  if (i >= 0)
    return i;
  m->weights = grow(m, m->weights, &m->weights_cap, m->n_weights + 1, sizeof *m->weights);
  ir_weight *w = &m->weights[m->n_weights];
  w->name = ir_strdup(m, name);
  type.layout = IR_LAYOUT_ROWMAJOR;
  w->type = type;
  w->data = data;
  w->nbytes = nbytes;
  w->offset = -1;
  w->storage = "gguf";
  return m->n_weights++;
}

int ir_module_find_cache(const ir_module *m, const char *name) {
  for (int i = 0; i < m->n_caches; i++)
    if (!strcmp(m->caches[i].name, name))
      return i;
  return -1;
}

int ir_module_add_cache(ir_module *m, const char *name, ir_type type) {
  int i = ir_module_find_cache(m, name);
  if (i >= 0)
    return i;
  m->caches = grow(m, m->caches, &m->caches_cap, m->n_caches + 1, sizeof *m->caches);
  ir_cache *c = &m->caches[m->n_caches];
  c->name = ir_strdup(m, name);
  c->type = type;
  c->offset = -1;
  return m->n_caches++;
}

ir_func *ir_module_find_func(const ir_module *m, const char *name) {
  for (int k = 0; k < m->n_funcs; k++)
    if (!strcmp(m->funcs[k]->name, name))
      return m->funcs[k];
  return NULL;
}

ir_func *ir_func_new(ir_module *m, const char *name) {
  if (m->n_funcs == IR_MAX_FUNCS || ir_module_find_func(m, name))
    return NULL;
  ir_func *f = ir_alloc(m, sizeof *f);
  f->name = ir_strdup(m, name);
  m->funcs[m->n_funcs++] = f;
  if (!strcmp(name, "decode"))
    m->decode = f;
  return f;
}

ir_inst *ir_func_add_param(ir_module *m, ir_func *f, const char *name, ir_type type) {
  if (f->n_params >= (int)(sizeof f->params / sizeof f->params[0]))
    return NULL;
  ir_inst *p = ir_inst_new(m, IR_OP_PARAM, type, 0, NULL);
  ir_inst_set_name(m, p, name);
  p->ref = f->n_params;
  f->params[f->n_params++] = p;
  return p;
}

/* ---- instructions ------------------------------------------------------- */
ir_inst *ir_inst_new(ir_module *m, ir_opcode op, ir_type type, int n_operands,
                     ir_inst *const *operands) {
  ir_inst *i = ir_alloc(m, sizeof *i);
  i->op = op;
  i->type = type;
  i->has_result = op != IR_OP_RETURN;
  if (n_operands > IR_MAX_OPERANDS)
    n_operands = IR_MAX_OPERANDS;
  i->n_operands = n_operands;
  for (int k = 0; k < n_operands; k++)
    i->operands[k] = operands[k];
  i->offset = -1;
  i->ref = -1;
  return i;
}

void ir_inst_set_name(ir_module *m, ir_inst *i, const char *name) {
  i->name = ir_strdup(m, name);
}

void ir_inst_append(ir_func *f, ir_inst *i) {
  i->prev = f->last;
  i->next = NULL;
  if (f->last)
    f->last->next = i;
  else
    f->first = i;
  f->last = i;
}

void ir_inst_insert_before(ir_func *f, ir_inst *before, ir_inst *i) {
  i->next = before;
  i->prev = before->prev;
  if (before->prev)
    before->prev->next = i;
  else
    f->first = i;
  before->prev = i;
}

void ir_inst_remove(ir_func *f, ir_inst *i) {
  if (i->prev)
    i->prev->next = i->next;
  else
    f->first = i->next;
  if (i->next)
    i->next->prev = i->prev;
  else
    f->last = i->prev;
  i->prev = i->next = NULL;
}

static ir_attr *attr_slot(ir_module *m, ir_inst *i, const char *key) {
  const int k = find_attr(i->attrs, i->n_attrs, key);
  if (k >= 0)
    return &i->attrs[k];
  if (i->n_attrs >= IR_MAX_ATTRS)
    return NULL;
  ir_attr *a = &i->attrs[i->n_attrs++];
  a->key = ir_strdup(m, key);
  return a;
}

void ir_attr_set_int(ir_module *m, ir_inst *i, const char *key, int64_t v) {
  store_attr(m, attr_slot(m, i, key), (ir_attr){.kind = IR_ATTR_INT, .i = v});
}

void ir_attr_set_float(ir_module *m, ir_inst *i, const char *key, double v) {
  store_attr(m, attr_slot(m, i, key), (ir_attr){.kind = IR_ATTR_FLOAT, .f = v});
}

void ir_attr_set_str(ir_module *m, ir_inst *i, const char *key, const char *v) {
  store_attr(m, attr_slot(m, i, key), (ir_attr){.kind = IR_ATTR_STR, .s = v});
}

const ir_attr *ir_attr_get(const ir_inst *i, const char *key) {
  const int k = find_attr(i->attrs, i->n_attrs, key);
  return k < 0 ? NULL : &i->attrs[k];
}

int64_t ir_attr_int(const ir_inst *i, const char *key, int64_t dflt) {
  const ir_attr *a = ir_attr_get(i, key);
  return a && a->kind == IR_ATTR_INT ? a->i : dflt;
}

double ir_attr_float(const ir_inst *i, const char *key, double dflt) {
  const ir_attr *a = ir_attr_get(i, key);
  if (!a)
    return dflt;
  return a->kind == IR_ATTR_FLOAT ? a->f : a->kind == IR_ATTR_INT ? (double)a->i : dflt;
}

const char *ir_attr_str(const ir_inst *i, const char *key, const char *dflt) {
  const ir_attr *a = ir_attr_get(i, key);
  return a && a->kind == IR_ATTR_STR ? a->s : dflt;
}

ir_inst *ir_build(ir_module *m, ir_func *f, ir_opcode op, ir_type type, int n_operands,
                  ir_inst *const *operands) {
  ir_inst *i = ir_inst_new(m, op, type, n_operands, operands);
  ir_inst_append(f, i);
  return i;
}

ir_inst *ir_build_weight(ir_module *m, ir_func *f, int weight_index) {
  ir_inst *i = ir_build(m, f, IR_OP_WEIGHT, m->weights[weight_index].type, 0, NULL);
  i->ref = weight_index;
  return i;
}

ir_inst *ir_build_cache(ir_module *m, ir_func *f, int cache_index) {
  ir_inst *i = ir_build(m, f, IR_OP_CACHE, m->caches[cache_index].type, 0, NULL);
  i->ref = cache_index;
  return i;
}

/* ---- queries and rewriting ---------------------------------------------- */
int64_t ir_weight_first_row(const ir_inst *w) {
  return ir_attr_int(w, "first_row", 0);
}

int ir_count_uses(const ir_func *f, const ir_inst *v) {
  int n = 0;
  ir_for_each_inst(f, i) for (int k = 0; k < i->n_operands; k++) n += i->operands[k] == v;
  return n;
}

void ir_replace_all_uses(ir_func *f, ir_inst *old_value, ir_inst *new_value) {
  ir_for_each_inst(f, i) for (int k = 0; k < i->n_operands; k++) if (i->operands[k] == old_value)
      i->operands[k] = new_value;
}

/* Whether i writes the persistent state: attention its KV cache rows, a
 * causal convolution its ring of past inputs. */
static bool writes_state(const ir_inst *i) {
  return i->op == IR_OP_ATTENTION || i->op == IR_OP_CAUSAL_CONV;
}

static bool has_side_effects(const ir_inst *i) {
  return writes_state(i) || i->op == IR_OP_RETURN;
}

int ir_func_length(const ir_func *f) {
  int n = 0;
  ir_for_each_inst(f, i) n++;
  return n;
}

int ir_mark_state_inputs(const ir_func *f, bool *feeds_state, int cap) {
  int n = 0;
  ir_for_each_inst(f, i) {
    if (n < cap)
      feeds_state[n] = false;
    i->id = n++;
  }
  if (n > cap)
    return -1;
  for (ir_inst *i = f->last; i; i = i->prev) {
    if (writes_state(i))
      feeds_state[i->id] = true;
    if (!feeds_state[i->id])
      continue;
    for (int k = 0; k < i->n_operands; k++) {
      const ir_inst *o = i->operands[k];
      if (o->op != IR_OP_PARAM) /* parameters are not in the body */
        feeds_state[o->id] = true;
    }
  }
  return n;
}

int ir_remove_dead(ir_module *m, ir_func *f) {
  int removed = 0;
  bool changed = true;
  while (changed) {
    changed = false;
    for (ir_inst *i = f->last, *prev; i; i = prev) {
      prev = i->prev;
      if (!has_side_effects(i) && ir_count_uses(f, i) == 0) {
        ir_inst_remove(f, i);
        removed++;
        changed = true;
      }
    }
  }
  for (int w = 0; w < m->n_weights; w++)
    m->weights[w].dead = true;
  for (int k = 0; k < m->n_funcs; k++)
    ir_for_each_inst(m->funcs[k], i) if (i->op == IR_OP_WEIGHT && i->ref >= 0 &&
                                         i->ref < m->n_weights) m->weights[i->ref]
        .dead = false;
  return removed;
}

/* make_seeds.c — writes the GGUF seeds of the fuzz corpora
 * (fuzz/corpus/gguf and fuzz/corpus/vocab) from the test models.
 *
 *   usage: fuzz_make_seeds OUT_DIR      (writes OUT_DIR/gguf/ and OUT_DIR/vocab/)
 *
 * Real models are megabytes; a good seed is a few kilobytes that still has
 * every structure the reader knows. So each model becomes a miniature of
 * itself: every KV (arrays cut to their first 16 elements), its first
 * tensors with the same names and types but the smallest legal shapes, and
 * real bytes from the original tensors. Extra seeds cover every tensor type
 * in one file, GGUF v2 and a non-default alignment. The vocabulary seeds are
 * tokenizer-only files: the whole stories260K vocabulary (SPM, 512 tokens)
 * and the first few hundred tokens of the Llama-2 SPM and Qwen2 BPE
 * vocabularies with the merges among them.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"
#include "test_models.h"

static const char *out_dir;

static void finish(gguf_writer *w, const char *sub, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
  uint8_t *buf;
  uint64_t size;
  if (!gguf_writer_finish(w) || !gguf_writer_take_buffer(w, &buf, &size)) {
    fprintf(stderr, "make_seeds: %s: %s\n", path, gguf_writer_error(w));
    exit(1);
  }
  gguf_writer_free(w);
  /* Every seed must be a file the reader accepts. */
  gguf_error err;
  gguf_file *check = gguf_open_memory(buf, size, path, &err);
  if (!check) {
    fprintf(stderr, "make_seeds: wrote an invalid seed: %s\n", err.msg);
    exit(1);
  }
  gguf_close(check);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "make_seeds: cannot write %s\n", path);
    exit(1);
  }
  printf("%s: %llu bytes\n", path, (unsigned long long)size);
  free(buf);
}

/* Copies a KV with an array cut to its first `max` elements (all if 0). */
static void copy_kv_cut(gguf_writer *w, const gguf_kv *kv, uint64_t max) {
  const gguf_value *v = &kv->value;
  if (v->type != GGUF_ARRAY || !max || v->v.arr.count <= max) {
    gguf_writer_copy_kv(w, kv);
    return;
  }
  if (v->v.arr.elem_type == GGUF_STRING) {
    gguf_str *s = malloc(max * sizeof *s);
    for (uint64_t i = 0; i < max; i++)
      s[i] = gguf_arr_str(v, i);
    gguf_writer_add_gguf_str_array(w, kv->key, s, max);
    free(s);
  } else {
    gguf_writer_add_array(w, kv->key, v->v.arr.elem_type, v->v.arr.data, max);
  }
}

/* A miniature of a model: every KV (arrays cut to 16), the first n_tensors
 * tensors at the smallest shape of their type. */
static void miniature(const char *model, const char *seed, int n_tensors) {
  gguf_file *f = open_test_model("make_seeds", model);
  gguf_writer *w = gguf_writer_open_memory();
  for (uint64_t i = 0; i < f->n_kv; i++)
    copy_kv_cut(w, &f->kv[i], 16);
  uint64_t n = f->n_tensors < (uint64_t)n_tensors ? f->n_tensors : (uint64_t)n_tensors;
  uint64_t bytes[64];
  for (uint64_t i = 0; i < n; i++) {
    const gguf_tensor *t = &f->tensors[i];
    uint32_t be, bb;
    ggml_type_block(t->type, &be, &bb);
    uint64_t ne[4] = {be, 1, 1, 1};
    for (uint32_t d = 1; d < t->n_dims; d++)
      ne[d] = t->ne[d] < 2 ? t->ne[d] : 2;
    bytes[i] = gguf_writer_add_tensor(w, t->name, t->n_dims, ne, t->type);
  }
  for (uint64_t i = 0; i < n; i++) {
    const gguf_tensor *t = &f->tensors[i];
    uint64_t have = t->nbytes < bytes[i] ? t->nbytes : bytes[i];
    gguf_writer_write_tensor_data(w, t->data, have);
    if (have < bytes[i]) {
      uint8_t *zero = calloc(1, bytes[i] - have);
      gguf_writer_write_tensor_data(w, zero, bytes[i] - have);
      free(zero);
    }
  }
  finish(w, "gguf", seed);
  gguf_close(f);
}

/* One tensor of every type the reader accepts, with patterned bytes. */
static void all_types(void) {
  static const uint32_t types[] = {GGML_F32,  GGML_F16,  GGML_BF16, GGML_Q4_0, GGML_Q4_1,
                                   GGML_Q5_0, GGML_Q5_1, GGML_Q8_0, GGML_Q2_K, GGML_Q3_K,
                                   GGML_Q4_K, GGML_Q5_K, GGML_Q6_K};
  enum { N = sizeof types / sizeof types[0] };
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "general.architecture", "llama");
  gguf_writer_add_u32(w, "general.alignment", 64);
  gguf_writer_add_u8(w, "t.u8", 1);
  gguf_writer_add_i8(w, "t.i8", -1);
  gguf_writer_add_u16(w, "t.u16", 2);
  gguf_writer_add_i16(w, "t.i16", -2);
  gguf_writer_add_i32(w, "t.i32", -3);
  gguf_writer_add_u64(w, "t.u64", 4);
  gguf_writer_add_i64(w, "t.i64", -4);
  gguf_writer_add_f32(w, "t.f32", 0.5f);
  gguf_writer_add_f64(w, "t.f64", 0.25);
  gguf_writer_add_bool(w, "t.bool", true);
  const int32_t ints[3] = {1, -2, 3};
  gguf_writer_add_array(w, "t.ints", GGUF_I32, ints, 3);
  const uint8_t bools[2] = {0, 1};
  gguf_writer_add_array(w, "t.bools", GGUF_BOOL, bools, 2);
  uint64_t bytes[N];
  for (int i = 0; i < N; i++) {
    uint32_t be, bb;
    ggml_type_block(types[i], &be, &bb);
    const uint64_t ne[2] = {be, 2};
    char name[32];
    snprintf(name, sizeof name, "t.%s", ggml_type_name(types[i]));
    bytes[i] = gguf_writer_add_tensor(w, name, 2, ne, types[i]);
  }
  for (int i = 0; i < N; i++) {
    uint8_t *p = malloc(bytes[i]);
    for (uint64_t k = 0; k < bytes[i]; k++)
      p[k] = (uint8_t)(k * 29 + 7);
    gguf_writer_write_tensor_data(w, p, bytes[i]);
    free(p);
  }
  finish(w, "gguf", "all-types.gguf");
}

static void version2(void) {
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_set_version(w, 2);
  gguf_writer_add_str(w, "general.architecture", "qwen2");
  const uint64_t ne[1] = {8};
  gguf_writer_add_tensor(w, "a", 1, ne, GGML_F32);
  gguf_writer_add_tensor(w, "b", 1, ne, GGML_F16);
  uint8_t data[32] = {1, 2, 3};
  gguf_writer_write_tensor_data(w, data, 32);
  gguf_writer_write_tensor_data(w, data, 16);
  finish(w, "gguf", "v2.gguf");
}

static bool is_tokenizer_key(const char *key) {
  return !strncmp(key, "tokenizer.", 10) || !strcmp(key, "general.architecture");
}

/* A tokenizer-only file with the first n_tokens tokens (0 = all) and, for
 * BPE, the merges whose two sides are among them (at most max_merges). */
static void vocab_seed(const char *model, const char *seed, uint64_t n_tokens,
                       uint64_t max_merges) {
  gguf_file *f = open_test_model("make_seeds", model);
  gguf_writer *w = gguf_writer_open_memory();
  const gguf_kv *tokens = gguf_find_kv(f, "tokenizer.ggml.tokens");
  uint64_t n = tokens ? tokens->value.v.arr.count : 0;
  if (n_tokens && n_tokens < n)
    n = n_tokens;
  for (uint64_t i = 0; i < f->n_kv; i++) {
    const gguf_kv *kv = &f->kv[i];
    if (!is_tokenizer_key(kv->key))
      continue;
    if (!strcmp(kv->key, "tokenizer.ggml.merges")) {
      const gguf_value *v = &kv->value;
      gguf_str *keep = malloc((max_merges + 1) * sizeof *keep);
      uint64_t k = 0;
      for (uint64_t m = 0; m < v->v.arr.count && k < max_merges; m++) {
        gguf_str s = gguf_arr_str(v, m);
        const char *sp = memchr(s.ptr, ' ', s.len);
        if (!sp)
          continue;
        gguf_str l = {s.ptr, (uint64_t)(sp - s.ptr)}, r = {sp + 1, s.len - l.len - 1};
        bool lf = false, rf = false;
        for (uint64_t t = 0; t < n && !(lf && rf); t++) {
          gguf_str ts = gguf_arr_str(&tokens->value, t);
          lf |= ts.len == l.len && !memcmp(ts.ptr, l.ptr, l.len);
          rf |= ts.len == r.len && !memcmp(ts.ptr, r.ptr, r.len);
        }
        if (lf && rf)
          keep[k++] = s;
      }
      gguf_writer_add_gguf_str_array(w, kv->key, keep, k);
      free(keep);
      continue;
    }
    bool per_token = kv->value.type == GGUF_ARRAY &&
                     kv->value.v.arr.count == (tokens ? tokens->value.v.arr.count : 0);
    copy_kv_cut(w, kv, per_token ? n : 0);
  }
  finish(w, "vocab", seed);
  gguf_close(f);
}

static void make_dir(const char *sub) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", out_dir, sub);
  mkdir(out_dir, 0777);
  mkdir(path, 0777);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR\n");
    return 2;
  }
  out_dir = argv[1];
  make_dir("gguf");
  make_dir("vocab");
  miniature("stories260K.gguf", "stories260K-mini.gguf", 12);
  miniature("tiny-qwen2-Q8_0.gguf", "qwen2-mini.gguf", 12);
  miniature("tiny-gemma3-Q5_1.gguf", "gemma3-mini.gguf", 12);
  miniature("tiny-llama-Q4_K_M.gguf", "llama-q4km-mini.gguf", 12);
  miniature("tiny-qwen3-Q4_K_M.gguf", "qwen3-mini.gguf", 12);
  miniature("llama-2-tiny-random.gguf", "llama2-f16-mini.gguf", 6);
  all_types();
  version2();
  vocab_seed("stories260K.gguf", "stories260K-vocab.gguf", 0, 0);
  vocab_seed("ggml-vocab-llama-spm.gguf", "llama-spm-600.gguf", 600, 0);
  vocab_seed("ggml-vocab-qwen2.gguf", "qwen2-bpe-400.gguf", 400, 400);
  return 0;
}

/* make_bad_gguf.c — writes the files of tests/data/bad: one small GGUF for each
 * kind of malformed GGUF, for the golden tests that run `gqc` on them
 * (tests/golden/bad_*.test: one located message, exit status 1).
 *
 *   usage: make_bad_gguf OUT_DIR
 *          make_bad_gguf --garbage-weights nan|inf|random IN.gguf OUT.gguf
 *
 * Every file starts as the same small, valid llama-shaped model (a few KVs,
 * a tokenizer array, two tensors) written with frontend/gguf_writer.h, and
 * then has one field patched, is cut short, or is written with the writer's
 * raw calls — so each file has exactly one thing wrong, at a known offset.
 * The committed files are this program's output; the ctest
 * fuzz/bad-files-current checks they still are.
 *
 * --garbage-weights writes a copy of a valid model whose header is intact
 * and whose tensor data is all f32/f16 NaN bytes (0xff), all f16 +Inf
 * (0x7c00), or pseudo-random bytes (so quantised blocks get random scales,
 * NaN and Inf included): well formed, adversarial numbers. The e2e tests
 * e2e/hostile/garbage/<model> run the generated API on such models under the
 * sanitizers: the logits are garbage, nothing else may go wrong.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"
#include "tests/unit/gguf_fields.h"

typedef struct blob {
  uint8_t *p;
  uint64_t size;
} blob;

static const char *out_dir;
static int failures;

static const char *const tokens[] = {"<unk>", "<s>", "</s>", "a", "b"};

static void base_kvs(gguf_writer *w) {
  gguf_writer_add_str(w, "general.architecture", "llama");
  gguf_writer_add_u32(w, "llama.block_count", 1);
  gguf_writer_add_u32(w, "llama.embedding_length", 32);
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", tokens, 5);
}

static const uint64_t ne_embd[2] = {32, 5}; /* token_embd.weight: f32, 640 bytes at 0 */
static const uint64_t ne_norm[1] = {32};    /* output_norm.weight: f32, 128 bytes at 640 */

static blob finish(gguf_writer *w) {
  blob b = {0};
  if (!gguf_writer_finish(w) || !gguf_writer_take_buffer(w, &b.p, &b.size)) {
    fprintf(stderr, "make_bad_gguf: writer: %s\n", gguf_writer_error(w));
    exit(1);
  }
  gguf_writer_free(w);
  return b;
}

static blob base_with(void (*kvs)(gguf_writer *)) {
  gguf_writer *w = gguf_writer_open_memory();
  base_kvs(w);
  if (kvs)
    kvs(w);
  gguf_writer_add_tensor(w, "token_embd.weight", 2, ne_embd, GGML_F32);
  gguf_writer_add_tensor(w, "output_norm.weight", 1, ne_norm, GGML_F32);
  uint8_t data[640 + 128];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 13);
  gguf_writer_write_tensor_data(w, data, sizeof data);
  return finish(w);
}

/* The base file, and the offsets of its fields in *l. */
static blob base(gguf_fields *l) {
  blob b = base_with(NULL);
  gguf_error err;
  gguf_file *f = gguf_fields_open(b.p, b.size, l, &err);
  if (!f || f->n_kv != 5 || f->n_tensors != 2) {
    fprintf(stderr, "make_bad_gguf: the base file is wrong: %s\n", f ? "counts" : err.msg);
    exit(1);
  }
  gguf_close(f);
  return b;
}

/* Writes OUT_DIR/<name> (size bytes of b) after checking that the reader
 * rejects it at `offset`; frees b. */
static void emit(const char *name, blob b, uint64_t size, uint64_t offset) {
  gguf_error err;
  gguf_file *f = gguf_open_memory(b.p, size, name, &err);
  if (f) {
    fprintf(stderr, "make_bad_gguf: %s: accepted by the reader\n", name);
    gguf_close(f);
    failures++;
  } else if (err.offset != offset) {
    fprintf(stderr, "make_bad_gguf: %s: rejected at 0x%llx, expected 0x%llx: %s\n", name,
            (unsigned long long)err.offset, (unsigned long long)offset, err.msg);
    failures++;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", out_dir, name);
  FILE *fp = fopen(path, "wb");
  if (!fp || fwrite(b.p, 1, size, fp) != size || fclose(fp) != 0) {
    fprintf(stderr, "make_bad_gguf: cannot write %s\n", path);
    exit(1);
  }
  free(b.p);
}

static void kvs_duplicate(gguf_writer *w) {
  gguf_writer_add_u32(w, "llama.block_count", 2);
}

static void kvs_alignment(gguf_writer *w) {
  gguf_writer_add_u32(w, "general.alignment", 48);
}

static void kvs_nested(gguf_writer *w) {
  uint8_t payload[4 + 8 + 4 + 8 + 4];
  put32(payload, 0, GGUF_ARRAY);
  put64(payload, 4, 1);
  put32(payload, 12, GGUF_U32);
  put64(payload, 16, 1);
  put32(payload, 24, 5);
  gguf_writer_add_raw_kv(w, "test.nested", GGUF_ARRAY, payload, sizeof payload);
}

/* A file whose tensor infos are written raw (offsets verbatim). */
static blob raw_tensors(const char *name0, const char *name1, uint64_t off1) {
  gguf_writer *w = gguf_writer_open_memory();
  base_kvs(w);
  gguf_writer_add_tensor_raw(w, name0, 2, ne_embd, GGML_F32, 0);
  gguf_writer_add_tensor_raw(w, name1, 1, ne_norm, GGML_F32, off1);
  gguf_writer_pad(w);
  uint8_t data[640 + 128] = {0};
  gguf_writer_write_raw(w, data, sizeof data);
  return finish(w);
}

/* File offset of the nth (1-based) KV whose key is `key`: a u64 length
 * equal to strlen(key) followed by the key's bytes. */
static uint64_t find_kv(const blob *b, const char *key, int nth) {
  size_t n = strlen(key);
  int seen = 0;
  for (uint64_t i = 8; i + n <= b->size; i++)
    if (!memcmp(b->p + i, key, n) && b->p[i - 8] == n && ++seen == nth)
      return i - 8;
  fprintf(stderr, "make_bad_gguf: key %s not found\n", key);
  exit(1);
}

/* A copy of in with every byte of the tensor data section replaced. */
static int garbage_weights(const char *mode, const char *in, const char *out) {
  gguf_error err;
  gguf_file *f = gguf_open(in, &err);
  if (!f) {
    fprintf(stderr, "make_bad_gguf: %s\n", err.msg);
    return 1;
  }
  uint8_t *copy = malloc(f->size);
  if (!copy) {
    gguf_close(f);
    return 1;
  }
  memcpy(copy, f->base, f->size);
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (uint64_t i = f->data_offset; i < f->size; i++) {
    if (!strcmp(mode, "nan")) {
      copy[i] = 0xff;
    } else if (!strcmp(mode, "inf")) {
      copy[i] = (i - f->data_offset) % 2 ? 0x7c : 0x00;
    } else {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      copy[i] = (uint8_t)(x >> 24);
    }
  }
  FILE *fp = fopen(out, "wb");
  int rc = !fp || fwrite(copy, 1, f->size, fp) != f->size;
  if (fp && fclose(fp) != 0)
    rc = 1;
  if (rc)
    fprintf(stderr, "make_bad_gguf: cannot write %s\n", out);
  free(copy);
  gguf_close(f);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 5 && !strcmp(argv[1], "--garbage-weights") &&
      (!strcmp(argv[2], "nan") || !strcmp(argv[2], "inf") || !strcmp(argv[2], "random")))
    return garbage_weights(argv[2], argv[3], argv[4]);
  if (argc != 2) {
    fprintf(stderr, "usage: make_bad_gguf OUT_DIR\n"
                    "       make_bad_gguf --garbage-weights nan|inf|random IN.gguf OUT.gguf\n");
    return 2;
  }
  out_dir = argv[1];
  gguf_fields l;
  blob b;

  /* Cut short: in the header, in a KV, in a tensor info, in the data. */
  b = base(&l);
  emit("truncated_header.gguf", b, 12, 8);
  b = base(&l);
  emit("truncated_kv.gguf", b, l.kv_value[4] + 6, l.kv_value[4] + 4);
  b = base(&l);
  emit("truncated_tensor_info.gguf", b, l.ti_ne[1] + 3, l.ti_ne[1]);
  b = base(&l);
  emit("truncated_data.gguf", b, l.data_offset + 700, l.ti_offset[1]);

  /* Header. */
  b = base(&l);
  memcpy(b.p, "GGML", 4);
  emit("bad_magic.gguf", b, b.size, 0);
  b = base(&l);
  put32(b.p, 4, 1);
  emit("version_1.gguf", b, b.size, 4);
  b = base(&l);
  put64(b.p, 8, UINT64_C(1) << 60);
  emit("tensor_count_2_60.gguf", b, b.size, 8);
  b = base(&l);
  put64(b.p, 16, UINT64_MAX);
  emit("kv_count_huge.gguf", b, b.size, 16);

  /* KVs. */
  b = base(&l);
  put64(b.p, l.kv[1], UINT64_C(1) << 40);
  emit("key_past_end.gguf", b, b.size, l.kv[1]);
  b = base(&l);
  put64(b.p, l.kv_value[0], b.size);
  emit("string_past_end.gguf", b, b.size, l.kv_value[0]);
  b = base_with(kvs_duplicate);
  uint64_t dup = find_kv(&b, "llama.block_count", 2);
  emit("duplicate_key.gguf", b, b.size, dup);
  b = base(&l);
  put32(b.p, l.kv_type[2], 13);
  emit("value_type_13.gguf", b, b.size, l.kv_type[2]);
  b = base(&l);
  put64(b.p, l.kv_value[4] + 4, UINT64_C(1) << 61);
  emit("array_count_absurd.gguf", b, b.size, l.kv_value[4] + 4);
  b = base(&l);
  put64(b.p, l.kv_value[4] + 12 + 8 + 5, UINT64_MAX); /* the second token's length */
  emit("array_string_past_end.gguf", b, b.size, l.kv_value[4] + 12 + 8 + 5);
  b = base_with(kvs_nested);
  emit("nested_array.gguf", b, b.size, find_kv(&b, "test.nested", 1) + 8 + 11 + 4);
  b = base_with(kvs_alignment);
  emit("alignment_48.gguf", b, b.size, find_kv(&b, "general.alignment", 1) + 8 + 17 + 4);

  /* Tensor infos. */
  b = base(&l);
  put32(b.p, l.ti_ndims[0], 5);
  emit("n_dims_5.gguf", b, b.size, l.ti_ndims[0]);
  b = base(&l);
  put64(b.p, l.ti_ne[0] + 8, 0);
  emit("zero_dim.gguf", b, b.size, l.ti_ne[0] + 8);
  b = base(&l);
  put64(b.p, l.ti_ne[0], UINT64_C(1) << 32);
  put64(b.p, l.ti_ne[0] + 8, UINT64_C(1) << 32);
  emit("dims_overflow.gguf", b, b.size, l.ti_ne[0] + 8);
  b = base(&l);
  put64(b.p, l.ti_ne[0], UINT64_C(1) << 40); /* 2^40 x 5 f32: well-formed header, no data */
  emit("tensor_2_40_elements.gguf", b, b.size, l.ti_offset[0]);
  b = base(&l);
  put32(b.p, l.ti_type[1], 99);
  emit("tensor_type_99.gguf", b, b.size, l.ti_type[1]);
  free(base(&l).p);
  b = raw_tensors("token_embd.weight", "token_embd.weight", 640);
  emit("duplicate_tensor.gguf", b, b.size, l.ti[0] + 8 + 17 + 4 + 16 + 4 + 8);

  /* Tensor data. */
  b = base(&l);
  put64(b.p, l.ti_offset[1], 650);
  emit("unaligned_offset.gguf", b, b.size, l.ti_offset[1]);
  b = base(&l);
  put64(b.p, l.ti_offset[1], UINT64_C(1) << 40);
  emit("data_past_end.gguf", b, b.size, l.ti_offset[1]);
  b = base(&l);
  put64(b.p, l.ti_offset[1], 608);
  emit("overlapping_tensors.gguf", b, b.size, l.ti_offset[1]);

  /* Not a GGUF at all. */
  b.p = malloc(1);
  emit("empty.gguf", b, 0, 0);
  return failures ? 1 : 0;
}

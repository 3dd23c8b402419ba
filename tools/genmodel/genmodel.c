/* genmodel.c — `gqc gen-model`: random-weight GGUF models of any shape.
 *
 * The command line picks an architecture (or a preset of a real model's
 * shape), the weight encoding and any shape parameter; the result is a GGUF
 * file that llama.cpp would load: the metadata keys its converter writes
 * for that architecture (archspec sections 2 and 3), a tokenizer (synthetic
 * SPM, or copied from another GGUF with --vocab-from), and every tensor
 * with the name and shape llama.cpp expects.
 *
 * Weights are drawn from the generator's own fixed-seed PRNG (rng.h), one
 * stream per tensor seeded from --seed and the tensor's name, so a given
 * seed yields the same underlying values in every encoding: matrices ~
 * 0.02 * N(0,1), norm weights ~ 1 + 0.05 * N(0,1) (gemma3's "1 + w" form),
 * biases ~ 0.02 * N(0,1). They are quantised with the reference quantisers
 * (quantize_ref.c) and streamed tensor by tensor in row chunks of ~64K
 * values, so memory stays small whatever the model size; only the
 * metadata (mostly the vocabulary) is held before the first tensor byte.
 */
#include "tools/genmodel/genmodel.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"
#include "tools/genmodel/model_spec.h"
#include "tools/genmodel/quantize_ref.h"
#include "tools/genmodel/rng.h"
#include "tools/genmodel/vocab.h"

static void usage(FILE *fp, const char *prog) {
  fprintf(fp,
          "usage: %s (--arch ARCH | --preset NAME) [options] -o out.gguf\n"
          "Writes a GGUF model with random weights.\n"
          "  --arch ARCH            %s\n"
          "  --preset NAME          %s\n"
          "  --type T               weight encoding: f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0\n"
          "                         q2_k q3_k q4_k q5_k q6_k (default f32, or the preset's)\n"
          "  --embd-type T          encoding of token_embd.weight (default: --type)\n"
          "  --layers N  --embd D  --heads H  --kv-heads K  --head-dim hd  --ff F\n"
          "  --vocab V  --ctx C     shape (head-dim defaults to D/H)\n"
          "  --rot R                rope.dimension_count (default: the head size)\n"
          "  --window W  --swa-pattern N  --rope-base-swa B     (gemma2, gemma3)\n"
          "  --softcap C            final logit soft-capping (gemma2, gemma3)\n"
          "  --attn-softcap C       attention logit soft-capping (gemma2)\n"
          "  --embedding-scale S  --residual-scale S  --attention-scale S  --logit-scale S\n"
          "                         granite's multipliers\n"
          "  --rope-factors         LongRoPE frequency factors and attn_factor (phi3)\n"
          "  --rope-base B  --eps E\n"
          "  --tied | --untied      share token_embd.weight as the output matrix or not\n"
          "  --vocab-from FILE      copy every tokenizer.* key from FILE (V = its size,\n"
          "                         or truncated/padded to --vocab)\n"
          "  --seed S               PRNG seed (default 42)\n"
          "  -o FILE                output file\n",
          prog, gm_arch_names(), gm_preset_names());
}

static bool parse_type(const char *s, uint32_t *out) {
  static const uint32_t ids[] = {GGML_F32,  GGML_F16,  GGML_BF16, GGML_Q4_0, GGML_Q4_1,
                                 GGML_Q5_0, GGML_Q5_1, GGML_Q8_0, GGML_Q2_K, GGML_Q3_K,
                                 GGML_Q4_K, GGML_Q5_K, GGML_Q6_K};
  char low[16];
  size_t n = strlen(s);
  if (n >= sizeof low)
    return false;
  for (size_t i = 0; i <= n; i++)
    low[i] = (char)tolower((unsigned char)s[i]);
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
    if (strcmp(low, ggml_type_name(ids[i])) == 0) {
      *out = ids[i];
      return true;
    }
  return false;
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!*s || *s == '-' || isspace((unsigned char)*s))
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

static bool parse_u32(const char *s, uint32_t *out) {
  uint64_t v;
  if (!parse_u64(s, &v) || v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

static bool parse_f32(const char *s, float *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || errno || *end || !isfinite(v))
    return false;
  *out = (float)v;
  return true;
}

/* ---- options ------------------------------------------------------------- */

typedef struct options {
  gm_params p;
  const char *out, *vocab_from, *preset;
  bool have_arch, head_dim_set, kv_set, vocab_set, embd_type_set;
  bool shape_set; /* --embd or --heads given: head_dim follows unless given */
} options;

/* The value of option argv[*i] ("--opt VALUE" or "--opt=VALUE"), or NULL. */
static const char *value_of(int argc, char **argv, int *i, const char *opt) {
  const char *a = argv[*i];
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) != 0)
    return NULL;
  if (a[n] == '=')
    return a + n + 1;
  if (a[n] != 0 || *i + 1 >= argc)
    return NULL;
  return argv[++*i];
}

static int bad_value(const char *prog, const char *opt, const char *v, const char *what) {
  fprintf(stderr, "%s: %s: '%s' is not %s\n", prog, opt, v ? v : "", what);
  return 2;
}

/* Parses every option but --preset/--arch (already applied). Returns 0, or
 * the exit status of a usage error. */
static int parse_options(int argc, char **argv, options *o) {
  const char *prog = argv[0];
  gm_params *p = &o->p;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    struct {
      const char *opt;
      uint32_t *dst;
      bool *flag;
    } u32_opts[] = {
        {"--layers", &p->n_layer, NULL},
        {"--embd", &p->n_embd, &o->shape_set},
        {"--heads", &p->n_head, &o->shape_set},
        {"--kv-heads", &p->n_head_kv, &o->kv_set},
        {"--head-dim", &p->head_dim, &o->head_dim_set},
        {"--ff", &p->n_ff, NULL},
        {"--vocab", &p->n_vocab, &o->vocab_set},
        {"--ctx", &p->n_ctx, NULL},
        {"--window", &p->n_swa, NULL},
        {"--swa-pattern", &p->swa_pattern, NULL},
        {"--rot", &p->n_rot, NULL},
    };
    struct {
      const char *opt;
      float *dst;
    } f32_opts[] = {{"--rope-base", &p->rope_base},
                    {"--rope-base-swa", &p->rope_base_swa},
                    {"--eps", &p->eps},
                    {"--softcap", &p->softcap},
                    {"--attn-softcap", &p->attn_softcap},
                    {"--embedding-scale", &p->embd_scale},
                    {"--residual-scale", &p->resid_scale},
                    {"--attention-scale", &p->attn_scale},
                    {"--logit-scale", &p->logit_scale}};
    bool done = false;
    for (size_t k = 0; !done && k < sizeof u32_opts / sizeof u32_opts[0]; k++) {
      if ((v = value_of(argc, argv, &i, u32_opts[k].opt)) != NULL) {
        if (!parse_u32(v, u32_opts[k].dst))
          return bad_value(prog, u32_opts[k].opt, v, "a non-negative integer");
        if (u32_opts[k].flag)
          *u32_opts[k].flag = true;
        done = true;
      }
    }
    for (size_t k = 0; !done && k < sizeof f32_opts / sizeof f32_opts[0]; k++) {
      if ((v = value_of(argc, argv, &i, f32_opts[k].opt)) != NULL) {
        if (!parse_f32(v, f32_opts[k].dst))
          return bad_value(prog, f32_opts[k].opt, v, "a number");
        done = true;
      }
    }
    if (done)
      continue;
    if ((v = value_of(argc, argv, &i, "--type")) != NULL) {
      if (!parse_type(v, &p->type))
        return bad_value(prog, "--type", v, "a supported weight type");
    } else if ((v = value_of(argc, argv, &i, "--embd-type")) != NULL) {
      if (!parse_type(v, &p->embd_type))
        return bad_value(prog, "--embd-type", v, "a supported weight type");
      o->embd_type_set = true;
    } else if ((v = value_of(argc, argv, &i, "--seed")) != NULL) {
      if (!parse_u64(v, &p->seed))
        return bad_value(prog, "--seed", v, "a non-negative integer");
    } else if ((v = value_of(argc, argv, &i, "--vocab-from")) != NULL) {
      o->vocab_from = v;
    } else if ((v = value_of(argc, argv, &i, "-o")) != NULL) {
      o->out = v;
    } else if ((v = value_of(argc, argv, &i, "--arch")) != NULL ||
               (v = value_of(argc, argv, &i, "--preset")) != NULL) {
      /* handled before */
    } else if (strcmp(a, "--tied") == 0) {
      p->tied = true;
    } else if (strcmp(a, "--untied") == 0) {
      p->tied = false;
    } else if (strcmp(a, "--rope-factors") == 0) {
      p->rope_factors = true;
    } else {
      fprintf(stderr, "%s: unknown option or missing value: '%s' (try --help)\n", prog, a);
      return 2;
    }
  }
  return 0;
}

/* ---- metadata --------------------------------------------------------------- */

/* The keys llama.cpp's loader reads for the architecture (archspec section
 * 2; src/models/<arch>.cpp), with optional ones only when they differ from
 * the loader's default. */
static void write_arch_keys(gguf_writer *w, const gm_params *p) {
  const gm_arch_info *ai = gm_arch_get(p->arch);
  const unsigned f = ai->flags;
  const char *arch = ai->name;
  char key[128];
#define KEY(suffix) (snprintf(key, sizeof key, "%s." suffix, arch), key)
  gguf_writer_add_u32(w, KEY("context_length"), p->n_ctx);
  gguf_writer_add_u32(w, KEY("embedding_length"), p->n_embd);
  gguf_writer_add_u32(w, KEY("block_count"), p->n_layer);
  gguf_writer_add_u32(w, KEY("feed_forward_length"), p->n_ff);
  gguf_writer_add_u32(w, KEY("attention.head_count"), p->n_head);
  if (f & GM_CONV_LAYERS) { /* per layer: 0 for the convolution blocks */
    uint32_t *kv = calloc(p->n_layer, sizeof *kv);
    for (uint32_t l = 0; kv && l < p->n_layer; l++)
      kv[l] = l % 2 ? p->n_head_kv : 0;
    if (kv)
      gguf_writer_add_array(w, KEY("attention.head_count_kv"), GGUF_U32, kv, p->n_layer);
    free(kv);
    gguf_writer_add_u32(w, KEY("shortconv.l_cache"), GM_CONV_TAPS);
  } else {
    gguf_writer_add_u32(w, KEY("attention.head_count_kv"), p->n_head_kv);
  }
  if (f & GM_LAYER_NORM)
    gguf_writer_add_f32(w, KEY("attention.layer_norm_epsilon"), p->eps);
  else
    gguf_writer_add_f32(w, KEY("attention.layer_norm_rms_epsilon"), p->eps);
  if (!(f & GM_VOCAB_SIZE_KEY) || (uint64_t)p->n_head * p->head_dim != p->n_embd) {
    gguf_writer_add_u32(w, KEY("attention.key_length"), p->head_dim);
    gguf_writer_add_u32(w, KEY("attention.value_length"), p->head_dim);
  }
  gguf_writer_add_u32(w, KEY("rope.dimension_count"), p->n_rot ? p->n_rot : p->head_dim);
  gguf_writer_add_f32(w, KEY("rope.freq_base"), p->rope_base);
  if (f & GM_VOCAB_SIZE_KEY)
    gguf_writer_add_u32(w, KEY("vocab_size"), p->n_vocab);
  if ((f & GM_SWA) && p->n_swa > 0) {
    gguf_writer_add_u32(w, KEY("attention.sliding_window"), p->n_swa);
    if (p->swa_pattern != ai->swa_pattern)
      gguf_writer_add_u32(w, KEY("attention.sliding_window_pattern"), p->swa_pattern);
  }
  if ((f & GM_SWA) && p->rope_base_swa != 10000.0f)
    gguf_writer_add_f32(w, KEY("rope.freq_base_swa"), p->rope_base_swa);
  if (f & GM_SOFTCAPS)
    gguf_writer_add_f32(w, KEY("attn_logit_softcapping"), p->attn_softcap);
  if ((f & GM_SOFTCAPS) || ((f & GM_FINAL_SOFTCAP) && p->softcap > 0))
    gguf_writer_add_f32(w, KEY("final_logit_softcapping"), p->softcap);
  if (f & GM_SCALES) {
    gguf_writer_add_f32(w, KEY("logit_scale"), p->logit_scale);
    if (p->resid_scale != 0)
      gguf_writer_add_f32(w, KEY("residual_scale"), p->resid_scale);
    if (p->embd_scale != 0)
      gguf_writer_add_f32(w, KEY("embedding_scale"), p->embd_scale);
    if (p->attn_scale != 0)
      gguf_writer_add_f32(w, KEY("attention.scale"), p->attn_scale);
  }
  if (p->rope_factors) { /* Phi-3's 128k models: factors switch at the original context */
    gguf_writer_add_f32(w, KEY("rope.scaling.attn_factor"), 1.1902380f);
    gguf_writer_add_u32(w, KEY("rope.scaling.original_context_length"), p->n_ctx / 16);
  }
#undef KEY
}

/* ---- weights -------------------------------------------------------------------- */

static uint64_t name_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 0x100000001b3u;
  return h;
}

/* Streams one tensor's values, quantised, in chunks of whole rows. */
static bool write_tensor(gguf_writer *w, const gm_params *p, const gm_tensor *t, float *fbuf,
                         uint8_t *qbuf, uint64_t chunk_elems) {
  gm_rng rng;
  gm_rng_seed(&rng, p->seed ^ name_hash(t->name));
  uint64_t ne0 = t->ne[0], rows = t->ne[1];
  uint64_t rows_per_chunk = chunk_elems / ne0;
  for (uint64_t r = 0; r < rows; r += rows_per_chunk) {
    uint64_t nr = rows - r < rows_per_chunk ? rows - r : rows_per_chunk, n = nr * ne0;
    for (uint64_t i = 0; i < n; i++) {
      float z = gm_rng_normal(&rng);
      fbuf[i] = t->role == GM_NORM      ? 1.0f + 0.05f * z
                : t->role == GM_FACTORS ? 1.0f + fabsf(z) /* LongRoPE factors are >= 1 */
                : t->role == GM_TAPS    ? 0.5f * z        /* a convolution that shows */
                                        : 0.02f * z;
    }
    if (!qref_quantize_row(t->type, fbuf, qbuf, n))
      return false;
    gguf_writer_write_tensor_data(w, qbuf, qref_row_bytes(t->type, n));
  }
  return gguf_writer_error(w) == NULL;
}

/* ---- main ---------------------------------------------------------------------- */

static int fail(const char *prog, const char *msg) {
  fprintf(stderr, "%s: error: %s\n", prog, msg);
  return 1;
}

int gqc_genmodel_main(int argc, char **argv) {
  const char *prog = argc > 0 && argv[0] ? argv[0] : "gen-model";
  options o;
  memset(&o, 0, sizeof o);
  gm_arch arch = GM_LLAMA;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout, prog);
      return 0;
    } else if ((v = value_of(argc, argv, &i, "--arch")) != NULL) {
      if (!gm_arch_parse(v, &arch))
        return bad_value(prog, "--arch", v, "a known architecture (see --help)");
      o.have_arch = true;
    } else if ((v = value_of(argc, argv, &i, "--preset")) != NULL) {
      o.preset = v;
    }
  }
  if (o.preset) {
    if (!gm_preset_apply(o.preset, &o.p)) {
      fprintf(stderr, "%s: unknown preset '%s' (known: %s)\n", prog, o.preset, gm_preset_names());
      return 2;
    }
    if (o.have_arch && arch != o.p.arch) {
      fprintf(stderr, "%s: preset %s is a %s model, not %s\n", prog, o.preset,
              gm_arch_name(o.p.arch), gm_arch_name(arch));
      return 2;
    }
  } else if (o.have_arch) {
    gm_params_defaults(&o.p, arch);
  } else {
    usage(stderr, prog);
    return 2;
  }
  int rc = parse_options(argc, argv, &o);
  if (rc)
    return rc;
  if (!o.out) {
    fprintf(stderr, "%s: no output file (-o FILE)\n", prog);
    return 2;
  }
  gm_params *p = &o.p;
  /* Derived defaults: the embedding follows --type unless a preset pins it
   * (FunctionGemma's Q8_0 embedding) or --embd-type is given; head_dim is
   * D/H unless given (or kept from an unchanged preset). */
  if (!o.embd_type_set && !p->embd_pinned)
    p->embd_type = p->type;
  if (!o.head_dim_set && (o.shape_set || !o.preset)) {
    if (p->n_head == 0 || p->n_embd % p->n_head != 0) {
      fprintf(stderr, "%s: --embd %u is not a multiple of --heads %u: give --head-dim\n", prog,
              p->n_embd, p->n_head);
      return 2;
    }
    p->head_dim = p->n_embd / p->n_head;
  }
  if (!o.kv_set && p->n_head_kv && p->n_head % p->n_head_kv != 0)
    p->n_head_kv = p->n_head;

  const bool gemma_vocab = gm_arch_get(p->arch)->flags & GM_GEMMA_VOCAB;
  char err[512];
  gguf_error gerr;
  gguf_file *vocab_src = NULL;
  if (o.vocab_from) {
    vocab_src = gguf_open(o.vocab_from, &gerr);
    if (!vocab_src)
      return fail(prog, gerr.msg);
    uint64_t n = gm_vocab_count(vocab_src);
    if (n == 0 || n > UINT32_MAX) {
      gguf_close(vocab_src);
      snprintf(err, sizeof err, "%s has no usable tokenizer.ggml.tokens array", o.vocab_from);
      return fail(prog, err);
    }
    if (!o.vocab_set)
      p->n_vocab = (uint32_t)n;
  } else if (p->n_vocab < gm_vocab_min_synthetic(gemma_vocab)) {
    snprintf(err, sizeof err, "--vocab %u is too small for a synthetic vocabulary (minimum %u)",
             p->n_vocab, gm_vocab_min_synthetic(gemma_vocab));
    return fail(prog, err);
  }
  if (!gm_params_check(p, err, sizeof err)) {
    gguf_close(vocab_src);
    return fail(prog, err);
  }

  size_t n_tensors = 0;
  gm_tensor *plan = gm_tensor_plan(p, &n_tensors);
  gguf_writer *w = plan ? gguf_writer_open_file(o.out, err, sizeof err) : NULL;
  if (!w) {
    free(plan);
    gguf_close(vocab_src);
    return fail(prog, plan ? err : "out of memory");
  }

  /* Metadata, in the order llama.cpp's tools write it. The name does not
   * repeat the architecture: llama.cpp keys vocabulary fix-ups on names
   * ("phi3" wants Phi-3's special tokens). */
  gguf_writer_add_str(w, "general.architecture", gm_arch_name(p->arch));
  gguf_writer_add_str(w, "general.name", p->name ? p->name : "gqc-genmodel");
  write_arch_keys(w, p);
  bool ok = vocab_src ? gm_vocab_copy(w, vocab_src, p->n_vocab, err, sizeof err)
                      : gm_vocab_write_synthetic(w, p->n_vocab, gemma_vocab, err, sizeof err);
  gguf_close(vocab_src);
  bool quantised = false;
  uint64_t max_ne0 = 0;
  for (size_t i = 0; i < n_tensors; i++) {
    quantised |= plan[i].type != GGML_F32 && plan[i].type != GGML_F16 && plan[i].type != GGML_BF16;
    if (plan[i].ne[0] > max_ne0)
      max_ne0 = plan[i].ne[0];
  }
  gguf_writer_add_u32(w, "general.file_type", gm_file_type(p->type));
  if (quantised)
    gguf_writer_add_u32(w, "general.quantization_version", 2);
  for (size_t i = 0; ok && i < n_tensors; i++)
    gguf_writer_add_tensor(w, plan[i].name, plan[i].n_dims, plan[i].ne, plan[i].type);

  /* Weights. */
  uint64_t chunk = max_ne0 > 65536 ? max_ne0 : 65536;
  float *fbuf = malloc(chunk * sizeof *fbuf);
  uint8_t *qbuf = malloc(chunk * sizeof(float));
  if (ok && (!fbuf || !qbuf)) {
    ok = false;
    snprintf(err, sizeof err, "out of memory");
  }
  for (size_t i = 0; ok && i < n_tensors; i++)
    ok = write_tensor(w, p, &plan[i], fbuf, qbuf, chunk);
  free(fbuf);
  free(qbuf);
  if (!gguf_writer_finish(w) || gguf_writer_error(w)) {
    ok = false;
    snprintf(err, sizeof err, "%s: %s", o.out, gguf_writer_error(w));
  }
  uint64_t bytes = gguf_writer_bytes_written(w);
  gguf_writer_free(w);
  if (!ok) {
    free(plan);
    remove(o.out);
    return fail(prog, err);
  }
  char types[64];
  if (p->embd_type != p->type)
    snprintf(types, sizeof types, "%s (embedding %s)", ggml_type_name(p->type),
             ggml_type_name(p->embd_type));
  else
    snprintf(types, sizeof types, "%s", ggml_type_name(p->type));
  printf("%s: %s, %u layers, D=%u, V=%u, %s: %zu tensors, %" PRIu64 " bytes\n", o.out,
         gm_arch_name(p->arch), p->n_layer, p->n_embd, p->n_vocab, types, n_tensors, bytes);
  free(plan);
  return 0;
}

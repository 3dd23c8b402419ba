/* generate.c — run a gqc-compiled model: generation (greedy or sampled) or
 * teacher forcing.
 *
 * Links with any model compiled with the default API prefix (`--name model`)
 * and libgqcrt:
 *
 *   gqc stories260K.gguf -o model.o
 *   cc generate.c model.o -I. -I<gqc>/runtime/include <gqc-build>/runtime/libgqcrt.a -lm
 *
 *   generate -p "Once upon a time" -n 64      prompt, then 64 greedy tokens
 *   generate -p "Once upon a time" --temp 0.8 --seed 42
 *                                             sampled (llama.cpp's chain)
 *   generate --ids prompt.ids --logits out.f32 --top5
 *                                             feed the listed ids one per step
 *
 * Options take llama.cpp's names (getopt_long: --opt VALUE or --opt=VALUE;
 * an error names the option). Sampling: --temp (default 0: greedy, so runs
 * are reproducible and comparable with llama.cpp's greedy references;
 * llama.cpp's own default is 0.8), --top-k 40, --top-p 0.95, --min-p 0.05,
 * --repeat-penalty 1.0, --repeat-last-n 64 (at most 256), --seed (default
 * -1: a random seed, printed so the run can be repeated) — the runtime's
 * sampler, gqcrt_sample.h and docs/sampling.md; the prompt's tokens count
 * for the repetition penalty, as in llama.cpp. -n N generates N tokens
 * (-1: until the context is full); when the context fills before that,
 * generation stops with a message and exit status 3.
 *
 * A model compiled with a prefill batch (its header defines MODEL_BATCH:
 * gqc's default) takes the prompt of -p through model_prefill, the whole
 * prompt in one call (or --chunk N tokens per call), and only the generated
 * tokens one by one through model_decode; --no-prefill feeds the prompt
 * token by token instead, to compare. --ids feeds one id per model_decode
 * (every step's logits, teacher forcing) unless --chunk N is given: then the
 * ids go through model_prefill N per call (0: all in one call).
 *
 * --logits writes the logits of every model call (a decode step, or a
 * prefill call's last token) as float32 rows (calls x n_vocab); --top5
 * prints "step <i> pos <p> tok <id> argmax <id> top5 <id>:<logit> ..." lines
 * in the format of llama.cpp's reference files, one per call, pos and tok
 * being the call's last. -t N decodes on N threads (the runtime's POSIX
 * executor; logits are bit-identical). --ignore-eos keeps generating past
 * an end-of-generation token (for timing, as llama-bench does). Prompt and
 * generation speed and peak memory go to stderr.
 *
 * A model compiled with `gqc --prefix FILE` has read that text already
 * (model_n_prefix() positions): the prompt, -p or --ids, continues it (the
 * repetition penalty sees the prompt's tokens, not the prefix's).
 * A model compiled with a grammar (`gqc --grammar FILE.gbnf` or `--tools
 * tools.json`: MODEL_GRAMMAR_BYTES > 0) generates under it: every token is
 * drawn from the grammar's allowed set (model_decode_constrained), from the
 * start or, with --grammar-lazy, from the grammar's trigger token on, and
 * generation stops when the grammar's text is complete.
 *
 * A model compiled with `gqc --weights=file` (its header defines
 * MODEL_WEIGHTS_EXTERNAL) needs its blob: `--weights model.weights` maps it
 * and calls model_init_weights; --verify-weights adds the full check.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gqcrt_pthread.h"
#include "gqcrt_sample.h"

/* The model's generated header: model.h by default (gqc ... -o model.o), or
 * -DGQC_MODEL_HEADER='"other.h"' for another output name. The API prefix
 * must be `model` (gqc's default --name). */
#ifndef GQC_MODEL_HEADER
#define GQC_MODEL_HEADER "model.h"
#endif
#include GQC_MODEL_HEADER

#ifdef MODEL_WEIGHTS_EXTERNAL
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Maps the weight blob (page-aligned, so MODEL_WEIGHT_ALIGN holds) and hands
 * it to model_init_weights; the mapping lives as long as the program. */
static int load_weights(const char *path, int verify) {
  if (!path) {
    fputs("generate: this model was compiled with --weights=file: give --weights FILE\n", stderr);
    return -1;
  }
  struct stat st;
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "generate: cannot read %s: %s\n", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  void *blob = NULL;
  if (st.st_size > 0) {
    blob = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (blob == MAP_FAILED) {
      fprintf(stderr, "generate: cannot map %s: %s\n", path, strerror(errno));
      close(fd);
      return -1;
    }
  }
  close(fd);
  int r = model_init_weights(blob, (uint64_t)st.st_size);
  if (r == 0 && verify)
    r = model_verify_weights();
  if (r != 0)
    fprintf(stderr, "generate: %s: the weights were refused (error %d)\n", path, r);
  return r;
}
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set size in KiB (Linux), or -1. */
static long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6))
      kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

static void print_top5(int step, int pos, int tok, const float *logits, int n) {
  int top[5];
  int k = n < 5 ? n : 5;
  for (int j = 0; j < k; j++) {
    int best = -1;
    for (int i = 0; i < n; i++) {
      int taken = 0;
      for (int t = 0; t < j; t++)
        taken |= top[t] == i;
      if (!taken && (best < 0 || logits[i] > logits[best]))
        best = i;
    }
    top[j] = best;
  }
  printf("step %d pos %d tok %d argmax %d top5", step, pos, tok, gqcrt_argmax(logits, n));
  for (int j = 0; j < k; j++)
    printf(" %d:%.9g", top[j], (double)logits[top[j]]);
  putchar('\n');
}

/* Reads whitespace-separated token ids. */
static int read_ids(const char *path, int32_t *ids, int max) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "generate: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  int n = 0;
  long v;
  while (fscanf(f, "%ld", &v) == 1) {
    if (n == max) {
      fprintf(stderr, "generate: %s has more than %d ids (the compiled context)\n", path, max);
      fclose(f);
      return -1;
    }
    ids[n++] = (int32_t)v;
  }
  int bad = !feof(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "generate: %s: expected whitespace-separated integers\n", path);
    return -1;
  }
  return n;
}

static void usage(FILE *f) {
  fputs("usage: generate [-p TEXT] [--ids FILE] [-n N] [--logits OUT.f32] [--top5] [--quiet]\n"
        "                [-t THREADS] [--weights FILE [--verify-weights]]\n"
        "                [--no-prefill] [--chunk N] [--ignore-eos] [--grammar-lazy]\n"
        "                [--temp T] [--top-k K] [--top-p P] [--min-p P]\n"
        "                [--repeat-penalty R] [--repeat-last-n N] [--seed S]\n"
        "  -p, --prompt TEXT     the prompt (default \"Once upon a time\")\n"
        "  -n, --n-predict N     tokens to generate (default 64; -1: until the context is full)\n"
        "  --temp T              0 (default): greedy; > 0: sample (llama.cpp's chain)\n"
        "  --top-k K             keep the K most likely (default 40; 0: off)\n"
        "  --top-p P             keep the fewest whose probability sums to P (default 0.95)\n"
        "  --min-p P             drop those below P x the most likely's (default 0.05)\n"
        "  --repeat-penalty R    penalise the last --repeat-last-n tokens (default 1.0: off)\n"
        "  --repeat-last-n N     0..256 (default 64)\n"
        "  --seed S              the generator's seed (default -1: random, printed)\n",
        f);
}

/* The command line. */
typedef struct options {
  const char *prompt, *ids_path, *logits_path, *weights_path;
  int n_gen, top5, quiet, verify, threads, no_prefill, chunk, ignore_eos, grammar_lazy;
  gqcrt_sampler_params sampling;
  int random_seed; /* --seed -1 (the default) */
} options;

static int bad_value(const char *opt, const char *v, const char *what) {
  fprintf(stderr, "generate: %s expects %s, got '%s'\n", opt, what, v);
  return 0;
}

static int parse_int(const char *opt, const char *v, long lo, long hi, int *out) {
  char *end;
  errno = 0;
  const long x = strtol(v, &end, 10);
  if (errno || end == v || *end || x < lo || x > hi) {
    char what[64];
    snprintf(what, sizeof what, "an integer in [%ld, %ld]", lo, hi);
    return bad_value(opt, v, what);
  }
  *out = (int)x;
  return 1;
}

static int parse_float(const char *opt, const char *v, float *out) {
  char *end;
  errno = 0;
  const float x = strtof(v, &end);
  if (errno || end == v || *end)
    return bad_value(opt, v, "a number");
  *out = x;
  return 1;
}

/* --seed: -1 (random) or 0 .. 2^64-1 */
static int parse_seed(const char *opt, const char *v, options *o) {
  char *end;
  errno = 0;
  if (!strcmp(v, "-1")) {
    o->random_seed = 1;
    return 1;
  }
  const unsigned long long x = strtoull(v, &end, 10);
  if (errno || end == v || *end || v[0] == '-')
    return bad_value(opt, v, "-1 (random) or an integer in [0, 2^64-1]");
  o->sampling.seed = (uint64_t)x;
  o->random_seed = 0;
  return 1;
}

/* Parses argv into o; 0 on success, else the exit status (2: bad usage). */
static int parse_options(int argc, char **argv, options *o) {
  enum {
    OPT_IDS = 256,
    OPT_LOGITS,
    OPT_WEIGHTS,
    OPT_CHUNK,
    OPT_TEMP, /* the sampling options from here on */
    OPT_TOP_K,
    OPT_TOP_P,
    OPT_MIN_P,
    OPT_REPEAT_PENALTY,
    OPT_REPEAT_LAST_N,
    OPT_SEED
  };
  *o = (options){.n_gen = 64, .threads = 1, .chunk = -1, .random_seed = 1};
  const struct option longs[] = {
      {"prompt", required_argument, NULL, 'p'},
      {"n-predict", required_argument, NULL, 'n'},
      {"threads", required_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},
      {"ids", required_argument, NULL, OPT_IDS},
      {"logits", required_argument, NULL, OPT_LOGITS},
      {"weights", required_argument, NULL, OPT_WEIGHTS},
      {"chunk", required_argument, NULL, OPT_CHUNK},
      {"top5", no_argument, &o->top5, 1}, /* flags: getopt_long sets them */
      {"quiet", no_argument, &o->quiet, 1},
      {"verify-weights", no_argument, &o->verify, 1},
      {"no-prefill", no_argument, &o->no_prefill, 1},
      {"ignore-eos", no_argument, &o->ignore_eos, 1},
      {"grammar-lazy", no_argument, &o->grammar_lazy, 1},
      {"temp", required_argument, NULL, OPT_TEMP},
      {"top-k", required_argument, NULL, OPT_TOP_K},
      {"top-p", required_argument, NULL, OPT_TOP_P},
      {"min-p", required_argument, NULL, OPT_MIN_P},
      {"repeat-penalty", required_argument, NULL, OPT_REPEAT_PENALTY},
      {"repeat-last-n", required_argument, NULL, OPT_REPEAT_LAST_N},
      {"seed", required_argument, NULL, OPT_SEED},
      {NULL, 0, NULL, 0},
  };
  o->sampling = gqcrt_sampler_default_params();
  o->sampling.temp = 0.0f; /* greedy unless asked */
  opterr = 0;              /* the messages below name the option */
  int c, ok = 1, li = -1;
  while (ok && (c = getopt_long(argc, argv, ":p:n:t:h", longs, &li)) != -1) {
    char opt[64]; /* the option's name, for messages */
    if (li >= 0)
      snprintf(opt, sizeof opt, "--%s", longs[li].name);
    else if (c != '?' && c != ':')
      snprintf(opt, sizeof opt, "-%c", c);
    else
      snprintf(opt, sizeof opt, "%s", argv[optind - 1]);
    li = -1;
    switch (c) {
    case 0: /* a flag */
      break;
    case 'p':
      o->prompt = optarg;
      break;
    case 'n':
      ok = parse_int(opt, optarg, -1, 1L << 30, &o->n_gen);
      break;
    case 't':
      ok = parse_int(opt, optarg, 1, 1024, &o->threads);
      break;
    case 'h':
      usage(stdout);
      exit(0);
    case OPT_IDS:
      o->ids_path = optarg;
      break;
    case OPT_LOGITS:
      o->logits_path = optarg;
      break;
    case OPT_WEIGHTS:
      o->weights_path = optarg;
      break;
    case OPT_CHUNK:
      ok = parse_int(opt, optarg, 0, 1L << 30, &o->chunk);
      break;
    case OPT_TEMP:
    case OPT_TOP_P:
    case OPT_MIN_P:
    case OPT_REPEAT_PENALTY:
      ok = parse_float(opt, optarg,
                       c == OPT_TEMP    ? &o->sampling.temp
                       : c == OPT_TOP_P ? &o->sampling.top_p
                       : c == OPT_MIN_P ? &o->sampling.min_p
                                        : &o->sampling.repeat_penalty);
      break;
    case OPT_TOP_K:
    case OPT_REPEAT_LAST_N:
      ok = parse_int(opt, optarg, INT32_MIN, INT32_MAX,
                     c == OPT_TOP_K ? &o->sampling.top_k : &o->sampling.repeat_last_n);
      break;
    case OPT_SEED:
      ok = parse_seed(opt, optarg, o);
      break;
    case ':':
      fprintf(stderr, "generate: option '%s' needs a value\n", opt);
      ok = 0;
      break;
    default:
      if (optopt && optopt < 256)
        fprintf(stderr, "generate: unknown option '-%c'\n", optopt);
      else
        fprintf(stderr, "generate: unknown option '%s'\n", opt);
      ok = 0;
      break;
    }
    /* a sampling value out of range: the runtime's own check names it */
    const char *e = ok && c >= OPT_TEMP ? gqcrt_sampler_params_error(&o->sampling) : NULL;
    if (e) {
      fprintf(stderr, "generate: %s %s: %s\n", opt, optarg, e);
      ok = 0;
    }
  }
  if (ok && optind < argc) {
    fprintf(stderr, "generate: unexpected argument '%s'\n", argv[optind]);
    ok = 0;
  }
  if (!ok) {
    fputs("generate: see generate --help\n", stderr);
    return 2;
  }
  return 0;
}

/* A seed from the OS for --seed -1 (the runtime itself has no randomness). */
static uint64_t random_seed(void) {
  uint64_t seed = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f || fread(&seed, sizeof seed, 1, f) != 1) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
  }
  if (f)
    fclose(f);
  return seed;
}

/* The output of one model call: its logits row and top-5 line. */
typedef struct output {
  FILE *logits;
  const char *logits_path;
  int top5, calls, n_vocab;
} output;

static int emit(output *o, int pos, int tok, const float *logits) {
  if (o->logits &&
      fwrite(logits, sizeof(float), (size_t)o->n_vocab, o->logits) != (size_t)o->n_vocab) {
    fprintf(stderr, "generate: write to %s failed\n", o->logits_path);
    return -1;
  }
  if (o->top5)
    print_top5(o->calls, pos, tok, logits, o->n_vocab);
  o->calls++;
  return 0;
}

static void report(const char *what, int tokens, int calls, double dt, const char *how) {
  fprintf(stderr, "generate: %s: %d tokens in %d calls, %.3f s: %.1f tokens/s%s%s\n", what, tokens,
          calls, dt, dt > 0 ? tokens / dt : 0.0, how ? " " : "", how ? how : "");
}

int main(int argc, char **argv) {
  options opts;
  const int bad = parse_options(argc, argv, &opts);
  if (bad)
    return bad;
  const char *prompt = opts.prompt, *ids_path = opts.ids_path, *logits_path = opts.logits_path;
  const char *weights_path = opts.weights_path;
  int n_gen = opts.n_gen, top5 = opts.top5, quiet = opts.quiet, verify = opts.verify;
  int threads = opts.threads, no_prefill = opts.no_prefill, chunk = opts.chunk;
  int ignore_eos = opts.ignore_eos;
  if (!prompt && !ids_path)
    prompt = "Once upon a time";
#ifndef MODEL_BATCH
  if (chunk >= 0) {
    fputs("generate: this model has no model_prefill (compiled with --batch 0)\n", stderr);
    return 2;
  }
  no_prefill = 1;
#endif
  /* --ids: one id per decode step unless --chunk asks for prefill calls */
  int prefill = !no_prefill && (!ids_path || chunk >= 0);
#ifdef MODEL_WEIGHTS_EXTERNAL
  if (load_weights(weights_path, verify) != 0)
    return 1;
#else
  if (weights_path || verify) {
    fputs("generate: this model has its weights built in (no --weights)\n", stderr);
    return 2;
  }
#endif
  if (model_init() != 0) {
    fprintf(stderr, "generate: model_init failed (%d)\n", model_last_error());
    return 1;
  }
  if (threads > 1) {
    const gqcrt_executor *ex = gqcrt_pthread_executor_start(threads);
    if (!ex) {
      fprintf(stderr, "generate: cannot start %d threads\n", threads);
      return 1;
    }
    model_set_executor(ex);
  }
  /* with a compiled prefix (gqc --prefix) the prompt continues it: its ids
   * go at positions base, base + 1, ... */
  const int base = model_n_prefix();
  int n_ctx = model_n_ctx() - base, n_vocab = model_n_vocab();
  int32_t *ids = malloc((size_t)n_ctx * sizeof *ids);
  if (!ids)
    return 1;
  int n_prompt;
  if (ids_path) {
    n_prompt = read_ids(ids_path, ids, n_ctx);
    n_gen = 0;
  } else {
    n_prompt = model_tokenize(prompt, ids, n_ctx);
    if (n_prompt == GQCRT_ERR_NO_SPACE)
      fprintf(stderr, "generate: the prompt is longer than the context (%d positions)\n", n_ctx);
    else if (n_prompt < 0)
      fprintf(stderr, "generate: cannot tokenize the prompt (error %d)\n", n_prompt);
  }
  if (n_prompt <= 0) {
    free(ids);
    return 1;
  }
  FILE *lf = NULL;
  if (logits_path && !(lf = fopen(logits_path, "wb"))) {
    fprintf(stderr, "generate: cannot write %s: %s\n", logits_path, strerror(errno));
    free(ids);
    return 1;
  }
  if (!quiet && !top5 && !ids_path)
    for (int i = 0; i < n_prompt; i++)
      fputs(model_token_text(ids[i]), stdout);
  fflush(stdout);

  /* the sampler: the prompt's tokens count for the repetition penalty */
  gqcrt_sampler sampler;
  if (opts.random_seed)
    opts.sampling.seed = random_seed();
  gqcrt_sampler_candidate *scratch = malloc((size_t)n_vocab * sizeof *scratch);
  if (!scratch || gqcrt_sampler_init(&sampler, &opts.sampling) != 0) {
    fputs("generate: cannot set up the sampler\n", stderr);
    free(ids);
    free(scratch);
    return 1;
  }
  if (opts.sampling.temp > 0.0f && !ids_path)
    fprintf(stderr, "generate: sampling with seed %llu\n", (unsigned long long)opts.sampling.seed);
  for (int i = 0; i < n_prompt; i++)
    gqcrt_sampler_accept(&sampler, ids[i]);

  output out = {lf, logits_path, top5, 0, n_vocab};
  const int until_full = n_gen < 0; /* -n -1 */
  const int total = until_full || n_gen > n_ctx - n_prompt ? n_ctx : n_prompt + n_gen;
  int rc = 0, pos = 0, prompt_calls = 0;
  const float *logits = NULL;

  /* the prompt: prefill calls of `chunk` ids (0 or none: all at once), or
   * one decode step per id */
  double t0 = now();
  while (!rc && pos < n_prompt) {
    int k = 1;
#ifdef MODEL_BATCH
    if (prefill) {
      k = chunk > 0 && chunk < n_prompt - pos ? chunk : n_prompt - pos;
      logits = model_prefill(ids + pos, k, base + pos);
    } else
#endif
      logits = model_decode(ids[pos], base + pos);
    if (!logits) {
      fprintf(stderr, "generate: %s of %d token(s) at position %d failed (error %d)\n",
              prefill ? "prefill" : "decode", k, base + pos, model_last_error());
      rc = 1;
      break;
    }
    pos += k;
    prompt_calls++;
    if (emit(&out, base + pos - 1, ids[pos - 1], logits))
      rc = 1;
  }
  double t_prompt = now() - t0;

  /* a grammar compiled in (gqc --grammar / --tools) constrains generation
   * (from its trigger token on, with --grammar-lazy) and ends it when its
   * text is complete */
  const int constrained = MODEL_GRAMMAR_BYTES > 0 && !rc && !ids_path;
  if (constrained && (model_grammar_start(opts.grammar_lazy) != 0 ||
                      model_grammar_apply((float *)(uintptr_t)logits) != 0)) {
    fprintf(stderr, "generate: cannot start the grammar (error %d)\n", model_last_error());
    rc = 1;
  }

  /* generation: a token chosen from the last logits (the argmax when
   * greedy), fed back one per step */
  t0 = now();
  int generated = 0, ended = 0, grammar_done = 0;
  while (!rc && pos < total) {
    const int next = gqcrt_sampler_sample(&sampler, logits, n_vocab, scratch);
    if (next < 0) {
      fprintf(stderr, "generate: no token to choose at position %d (error %d)\n", base + pos, next);
      rc = 1;
      break;
    }
    gqcrt_sampler_accept(&sampler, next);
    ids[pos] = next;
    if (!quiet && !top5) {
      fputs(model_token_text(next), stdout);
      fflush(stdout);
    }
    const int g = constrained ? model_grammar_accept(next) : 0;
    if (g < 0) {
      fprintf(stderr, "generate: the grammar refuses token %d (error %d)\n", next, g);
      rc = 1;
      break;
    }
    if (g == 1) {
      ended = grammar_done = 1;
      break;
    }
    if (model_is_eog(next) && !ignore_eos) {
      ended = 1;
      break;
    }
    logits =
        constrained ? model_decode_constrained(next, base + pos) : model_decode(next, base + pos);
    if (!logits) {
      fprintf(stderr, "generate: decode of token %d at position %d failed (error %d)\n", next,
              base + pos, model_last_error());
      rc = 1;
      break;
    }
    generated++;
    if (emit(&out, base + pos, next, logits))
      rc = 1;
    pos++;
  }
  double t_gen = now() - t0;
  if (!quiet && !top5 && !ids_path)
    putchar('\n');
  fflush(stdout);
  /* the context filled before the tokens asked for: say so (an error unless
   * -n -1 asked for exactly that) */
  if (!rc && !ids_path && !ended && pos == n_ctx && (until_full || generated < n_gen)) {
    if (until_full)
      fprintf(stderr, "generate: the context is full (%d positions): stopped\n", n_ctx);
    else {
      fprintf(stderr,
              "generate: the context is full (%d positions): stopped after %d of the %d tokens "
              "asked for (compile with a larger --ctx)\n",
              n_ctx, generated, n_gen);
      rc = 3;
    }
  }
  report("prompt", n_prompt, prompt_calls, t_prompt,
         prefill ? "(model_prefill)" : "(model_decode, token by token)");
  if (!ids_path)
    report("generation", generated, generated, t_gen, grammar_done ? "(grammar complete)" : NULL);
  long rss = peak_rss_kib();
  if (rss >= 0)
    fprintf(stderr, "generate: peak RSS %.1f MiB\n", rss / 1024.0);
  if (lf && fclose(lf) != 0)
    rc = 1;
  if (threads > 1)
    gqcrt_pthread_executor_stop();
  free(scratch);
  free(ids);
  return rc;
}

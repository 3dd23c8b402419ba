/* generate.c — run a gqc-compiled model: greedy generation or teacher forcing.
 *
 * Links with any model compiled with the default API prefix (`--name model`)
 * and libgqcrt:
 *
 *   gqc stories260K.gguf -o model.o
 *   cc generate.c model.o -I. -I<gqc>/runtime/include <gqc-build>/runtime/libgqcrt.a -lm
 *
 *   generate -p "Once upon a time" -n 64      prompt, then 64 greedy tokens
 *   generate --ids prompt.ids --logits out.f32 --top5
 *                                             feed the listed ids one per step
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
 * (model_n_prefix() positions): the prompt, -p or --ids, continues it.
 *
 * A model compiled with `gqc --weights=file` (its header defines
 * MODEL_WEIGHTS_EXTERNAL) needs its blob: `--weights model.weights` maps it
 * and calls model_init_weights; --verify-weights adds the full check.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gqcrt_pthread.h"

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

static void usage(void) {
  fputs("usage: generate [-p TEXT] [--ids FILE] [-n N] [--logits OUT.f32] [--top5] [--quiet]\n"
        "                [-t THREADS] [--weights FILE [--verify-weights]]\n"
        "                [--no-prefill] [--chunk N] [--ignore-eos]\n",
        stderr);
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
  const char *prompt = NULL, *ids_path = NULL, *logits_path = NULL, *weights_path = NULL;
  int n_gen = 64, top5 = 0, quiet = 0, verify = 0, threads = 1, no_prefill = 0, chunk = -1;
  int ignore_eos = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-p") && i + 1 < argc)
      prompt = argv[++i];
    else if (!strcmp(argv[i], "--ids") && i + 1 < argc)
      ids_path = argv[++i];
    else if (!strcmp(argv[i], "-n") && i + 1 < argc)
      n_gen = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--logits") && i + 1 < argc)
      logits_path = argv[++i];
    else if (!strcmp(argv[i], "--top5"))
      top5 = 1;
    else if (!strcmp(argv[i], "--quiet"))
      quiet = 1;
    else if (!strcmp(argv[i], "-t") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--weights") && i + 1 < argc)
      weights_path = argv[++i];
    else if (!strcmp(argv[i], "--verify-weights"))
      verify = 1;
    else if (!strcmp(argv[i], "--no-prefill"))
      no_prefill = 1;
    else if (!strcmp(argv[i], "--ignore-eos"))
      ignore_eos = 1;
    else if (!strcmp(argv[i], "--chunk") && i + 1 < argc && atoi(argv[i + 1]) >= 0)
      chunk = atoi(argv[++i]);
    else {
      usage();
      return 2;
    }
  }
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
    if (n_prompt < 0)
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

  output out = {lf, logits_path, top5, 0, n_vocab};
  int total = n_prompt + n_gen < n_ctx ? n_prompt + n_gen : n_ctx;
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

  /* generation: the argmax of the last logits, fed back one token per step */
  t0 = now();
  int generated = 0;
  while (!rc && pos < total) {
    int next = gqcrt_argmax(logits, n_vocab);
    ids[pos] = next;
    if (!quiet && !top5) {
      fputs(model_token_text(next), stdout);
      fflush(stdout);
    }
    if (model_is_eog(next) && !ignore_eos)
      break;
    logits = model_decode(next, base + pos);
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
  report("prompt", n_prompt, prompt_calls, t_prompt,
         prefill ? "(model_prefill)" : "(model_decode, token by token)");
  if (!ids_path)
    report("generation", generated, generated, t_gen, NULL);
  long rss = peak_rss_kib();
  if (rss >= 0)
    fprintf(stderr, "generate: peak RSS %.1f MiB\n", rss / 1024.0);
  if (lf && fclose(lf) != 0)
    rc = 1;
  if (threads > 1)
    gqcrt_pthread_executor_stop();
  free(ids);
  return rc;
}

/* driver.h — the gqc command's subcommands and shared option handling. */
#ifndef GQC_DRIVER_H
#define GQC_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/pipeline.h"
#include "frontend/gguf.h"
#include "ir/ir.h"
#include "support/printf_format.h"

#define GQC_VERSION "0.1.0"

typedef struct gqc_options {
  const char *input;       /* the GGUF file (or IR text, see weights_gguf) */
  bool input_is_stdin;     /* input `-`: input names a copy of stdin */
  const char *output;      /* -o */
  const char *name;        /* --name: API prefix (default "model") */
  const char *arch_file;   /* --arch FILE */
  const char *triple;      /* --target */
  const char *cpu;         /* --cpu */
  const char *features;    /* --features +x,-y */
  const char *emit;        /* --emit obj|asm|llvm|c|ir, -S, -c (default: from -o's extension) */
  const char *emit_option; /* the option that gave emit, as typed */
  const char *header;      /* --header FILE: the model header here, not beside -o */
  bool write_depfile;      /* -MD: a make depfile of the inputs */
  const char *depfile;     /* -MF FILE (default: -o with .d for its extension) */
  const char *backend;     /* --backend llvm|c for obj (default llvm when built with LLVM) */
  bool static_reloc;       /* --reloc static: position-dependent objects (default pic) */
  bool weights_external;   /* --weights=file: weights in <base>.weights, not the object */
  /* --arena-section NAME: the arena's section (default .bss) */
  const char *arena_section;
  int64_t n_ctx;            /* --ctx (0: the model's trained context, at most 2048) */
  const char *ctx_option;   /* the spelling that set n_ctx, for messages */
  int64_t batch;            /* --batch: prefill batch size (0: no <name>_prefill) */
  ir_dtype kv_type;         /* --kv-type f32|f16 */
  int64_t max_text_bytes;   /* --max-text */
  bool max_text_given;      /* --max-text was given (else 4 x ctx) */
  bool stats;               /* --stats */
  bool no_tokenizer;        /* --no-tokenizer */
  bool keep_temps;          /* --keep-temps: leave the intermediate C of -o x.o */
  const char *grammar_file; /* --grammar FILE.gbnf: constrained decoding compiled in */
  const char *tools_file;   /* --tools tools.json: the grammar of a FunctionGemma call */
  const char *prefix_file;  /* --prefix FILE: a prompt start whose KV cache is compiled in */
  gqc_pipeline_options pipe;
  /* -march=armv8.2-a+x+y as "+x,+y" (what features points at) */
  char march_features[128];
  /* --gguf FILE: the GGUF an IR input's weights come from */
  const char *weights_gguf;
} gqc_options;

/* Parses one compile option at argv[*i] (advancing *i past its value).
 * Returns 1 if consumed, 0 if not a compile option, -1 on error (printed). */
int gqc_parse_compile_option(gqc_options *o, int argc, char **argv, int *i);
void gqc_options_init(gqc_options *o);
/* Checks one sampling option of `gqc run` at argv[*i] (llama.cpp's names:
 * --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed),
 * storing it in *p (whose ranges the runtime's gqcrt_sampler_params_error
 * checks), advancing *i past its value. Same returns as above. */
struct gqcrt_sampler_params;
int gqc_parse_sampling_option(struct gqcrt_sampler_params *p, int argc, char **argv, int *i);

int gqc_cmd_compile(gqc_options *o);

/* Loads, lowers and optimises o->input for o's target (and with --prefix
 * computes and attaches the prefix, keeping its rows in *prefix_rows until
 * gqc_prefix_rows_free). On success *gf and *m are set; returns 0, else an
 * exit status (message printed). */
struct gqc_vocab_blob;
struct gguf_file;
typedef struct gqc_prefix_rows {
  int64_t n_prefix;
  int n_caches;
  unsigned char **rows;
  int64_t *row_bytes, *first_available;
} gqc_prefix_rows;
int gqc_build_module(gqc_options *o, gqc_target *t, struct gguf_file **gf, ir_module **m,
                     struct gqc_vocab_blob *vocab, void **grammar, gqc_prefix_rows *prefix_rows);
/* Runs the model over o->prefix_file's text at compile time (driver/prefix.c)
 * and attaches the KV rows to the planned target module m. */
int gqc_compile_prefix(const gqc_options *o, const gqc_target *t, ir_module *m,
                       gqc_prefix_rows *rows);
void gqc_prefix_rows_free(gqc_prefix_rows *rows);
int gqc_cmd_run(int argc, char **argv);
int gqc_cmd_tokenize(int argc, char **argv);
int gqc_cmd_opt(int argc, char **argv);
int gqc_cmd_stats_only(int argc, char **argv);

/* Prints one error line, escaped, as "gqc: error: LOCATION: message"
 * (diagnostics.c); a message that reads "LOCATION: error: message" is
 * reshaped. gqc_print_note adds a "note: hint" line. */
void gqc_print_error(const char *fmt, ...) GQC_PRINTF(1, 2);
void gqc_print_note(const char *fmt, ...) GQC_PRINTF(1, 2);
/* gqc_print_error for a diagnostic; returns 1 (the exit status). */
int gqc_print_diag(const gqc_diag *d);
/* Compiles --grammar / --tools against m's vocabulary into *blob (malloc'd,
 * also set as m->grammar); nothing without either option. */
bool gqc_grammar_input(const gqc_options *o, ir_module *m, void **blob, gqc_diag *d);
/* FILE whole, malloc'd and NUL-terminated, *len its bytes; NULL if it cannot be
 * read or is over max_bytes (the message in *d names the file). driver/text_file.c */
char *gqc_read_text_file(const char *path, size_t max_bytes, size_t *len, gqc_diag *d);

/* Prints the --stats tables for a planned module. */
void gqc_print_stats(FILE *out, const ir_module *m);

/* Runs argv[0] with argv (no shell); returns its exit status, or -1. */
int gqc_spawn(char *const argv[], bool verbose);
/* Makes a fresh temporary directory (returns a malloc'd path) / removes it. */
char *gqc_make_temp_dir(void);
void gqc_remove_temp_dir(const char *dir);
/* The whole file, malloc'd (NULL with errno set on failure); *len its size. */
char *gqc_read_file(const char *path, size_t *len);
/* A module from IR text (IN.ir from `gqc opt` or `gqc -o x.ir`) whose weights
 * are read from the GGUF it was compiled from (compile_ir.c). */
ir_module *gqc_load_ir_module(const char *ir_path, const gguf_file *gf, gqc_diag *d);
/* Where the runtime headers, library and samples are, relative to gqc's
 * executable (installed or build tree) or from the environment (layout.c). */
const char *gqc_runtime_include_dir(void);
const char *gqc_runtime_library(const char *triple);
const char *gqc_samples_dir(void);
/* The C compiler for a target triple ($CC for the host). */
const char *gqc_c_compiler(const char *triple, bool is_host);

#endif

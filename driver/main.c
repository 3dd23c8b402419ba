/* main.c — the gqc command line.
 *
 *   gqc MODEL.gguf -o model.o [options]     compile (also -o model.s/.ll/.c/.ir)
 *   gqc run MODEL.gguf [options]            compile, link samples/generate, run
 *   gqc tokenize MODEL.gguf TEXT            token ids, as llama-tokenize --ids
 *   gqc opt IN.ir --passes=a,b              run passes on textual IR
 *   gqc gen-model --arch A --type T -o F    write a random-weight GGUF
 */
#include <stdio.h>
#include <string.h>

#include "codegen/emit_llvm.h"
#include "driver/driver.h"
#ifdef GQC_HAVE_GENMODEL
#include "tools/genmodel/genmodel.h"
#endif

static void usage(FILE *out) {
  fputs("usage: gqc MODEL.gguf -o OUT [options]     compile a model\n"
        "       gqc run MODEL.gguf [options] [-p TEXT] [-n N] [--ids FILE] [--logits F] [--top5]\n"
        "       gqc tokenize MODEL.gguf TEXT [--no-bos] [--no-parse-special] [--pieces]\n"
        "       gqc opt IN.ir --passes=PASS[,PASS...] [-o OUT.ir]\n"
        "       gqc gen-model --arch ARCH --type TYPE -o OUT.gguf [shape options]\n"
        "\n"
        "outputs (by --emit obj|asm|llvm|c|ir|dot, -S or -c, else by the extension of -o;\n"
        "a kind that contradicts the extension is an error), each with x.h beside it:\n"
        "  x.o   object file for the target (default)     x.s   target assembly (-S)\n"
        "  x.ll  LLVM IR                                  x.c   C source + blobs\n"
        "  x.ir  the final IR as text (no header)         x.dot its graph (no header)\n"
        "  -o -  the object (or IR) to stdout; no header unless --header FILE\n"
        "  MODEL.gguf may be - (read from stdin); IN.ir (from gqc opt) compiles with\n"
        "  --gguf MODEL.gguf, the file its weights come from\n"
        "\n"
        "options:\n"
        "  -o FILE              the output\n"
        "  --header FILE        write the model header to FILE (default: beside -o)\n"
        "  -MD [-MF FILE]       also write a make depfile (default: -o with .d)\n"
        "  --name NAME          API prefix (default model: model_init, model_decode, ...)\n"
        "  --ctx N              compiled context length (default min(model's, 2048))\n"
        "  --kv-type f32|f16|q8_0  KV-cache element type (default f32, as the parity references;\n"
        "                       q8_0 as llama.cpp's -ctk q8_0 -ctv q8_0 -fa on)\n"
        "  --batch B            NAME_prefill feeds prompts B tokens per step (default 256 on\n"
        "                       x86-64, 32 on aarch64; 0: no NAME_prefill)\n"
        "  --target=TRIPLE      x86_64-linux-gnu (host default), aarch64-linux-gnu, or\n"
        "                       bare metal x86_64-none-elf, aarch64-none-elf\n"
        "  --cpu CPU, -mcpu=CPU e.g. cortex-a55 (aarch64 default), x86-64-v3, native (host)\n"
        "  -march=ARCH          armv8.2-a+dotprod+fp16 (generic CPU + features) or a CPU name\n"
        "  --features +f,-f     adjust the CPU's features (neon, dotprod, fp16, avx2, fma, f16c)\n"
        "  --backend llvm|c     how objects are made: LLVM directly (default), or the C\n"
        "                       backend's source compiled with the target's C compiler\n"
        "  --reloc pic|static   objects: position-independent (default) or static code\n"
        "  --weights embedded|file  weights in the object (default), or in x.weights beside\n"
        "                       it, loaded at run time with NAME_init_weights\n"
        "  --arena-section S    put the arena (KV cache, activations) in section S, not .bss\n"
        "  --arch FILE          architecture description (default: built-in for the model)\n"
        "  --max-text N         longest text NAME_tokenize accepts, bytes (default 4 x ctx)\n"
        "  --no-tokenizer       compile without the vocabulary\n"
        "  --grammar FILE.gbnf  constrained decoding: the grammar compiled into the object\n"
        "  --tools FILE.json    the grammar of every valid FunctionGemma call to these tools\n"
        "  --prefix FILE        a prompt start (FILE's text) read at compile time: its KV\n"
        "                       cache in the object, decoding starts after it\n"
        "  --stats              print weights, kernels, KV cache and memory totals\n"
        "  --print-after=PASS   print the IR after PASS (frontend, fold-transpose, ...)\n"
        "  --print-after-all    print the IR after every pass\n"
        "  --graph FILE         draw the graph (ops, kernels, weights; repeated layers\n"
        "                       folded) to FILE.dot or FILE.svg (Graphviz)\n"
        "  --graph-after=PASS   ... after PASS, not after the last pass\n"
        "  --memory-map FILE    draw the arena plan (buffers over their lifetimes, KV\n"
        "                       cache, totals) to FILE.svg or FILE.html\n"
        "  --keep-temps         keep intermediate files\n"
        "  --version, --help\n",
        out);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("gqc %s\nLLVM backend: %s\ntargets:", GQC_VERSION,
           gqc_llvm_available() ? gqc_llvm_version() : "none (C backend only)");
    for (int k = 0; gqc_supported_triple(k); k++)
      printf(" %s", gqc_supported_triple(k));
    printf("\n");
    return 0;
  }
  if (!strcmp(cmd, "run"))
    return gqc_cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "tokenize"))
    return gqc_cmd_tokenize(argc - 2, argv + 2);
  if (!strcmp(cmd, "opt"))
    return gqc_cmd_opt(argc - 2, argv + 2);
  if (!strcmp(cmd, "gen-model")) {
#ifdef GQC_HAVE_GENMODEL
    return gqc_genmodel_main(argc - 1, argv + 1);
#else
    fputs("gqc: error: this gqc was built without the model generator\n", stderr);
    return 2;
#endif
  }
  gqc_options o;
  gqc_options_init(&o);
  for (int i = 1; i < argc; i++) {
    int r = gqc_parse_compile_option(&o, argc, argv, &i);
    if (r < 0)
      return 2;
    if (r)
      continue;
    if (argv[i][0] == '-' && argv[i][1]) {
      gqc_print_error("unknown option '%s'", argv[i]);
      gqc_print_note("gqc --help lists the options");
      return 2;
    }
    if (o.input) {
      gqc_print_error("more than one input file ('%s' and '%s')", o.input, argv[i]);
      return 2;
    }
    o.input = argv[i];
  }
  return gqc_cmd_compile(&o);
}

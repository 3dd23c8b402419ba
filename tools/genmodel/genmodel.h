/* genmodel.h — `gqc gen-model`: writes a valid GGUF file with random
 * weights for a llama, gemma3, qwen2 or qwen3 model of any shape, in any
 * supported weight encoding (see the usage text in genmodel.c). */
#ifndef GQC_GENMODEL_H
#define GQC_GENMODEL_H

/* argv[0] is the command name (used in messages). Returns 0 on success,
 * 1 on failure (message on stderr), 2 on a usage error. */
int gqc_genmodel_main(int argc, char **argv);

#endif

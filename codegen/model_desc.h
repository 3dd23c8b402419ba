/* model_desc.h — what both backends emit around the step functions: the
 * model's descriptor (gqcrt_model, runtime/include/gqcrt_model.h), its
 * decoder state, and the API wrappers (runtime/include/gqcrt_model_api.def).
 *
 * The values are decided here once; each backend only spells them (C
 * initialisers, LLVM constants). Types come from the C spelling of the
 * runtime's declarations (gqc_c_type_kind), so the LLVM backend never
 * re-types a runtime struct or prototype by hand.
 */
#ifndef GQC_MODEL_DESC_H
#define GQC_MODEL_DESC_H

#include "codegen/calls.h"
#include "codegen/codegen.h"

/* What a descriptor field holds. */
typedef enum gqc_desc_kind {
  GQC_DESC_INT,          /* the integer i */
  GQC_DESC_NULL,         /* a null pointer */
  GQC_DESC_ARENA,        /* arena + i */
  GQC_DESC_WEIGHTS,      /* the weight section */
  GQC_DESC_VOCAB,        /* the vocabulary blob */
  GQC_DESC_GRAMMAR,      /* the grammar's token automaton */
  GQC_DESC_TOK_SCRATCH,  /* the tokenizer scratch */
  GQC_DESC_STATE,        /* the decoder state */
  GQC_DESC_STEP,         /* the decode step function */
  GQC_DESC_PREFILL_STEP, /* the prefill step function */
  GQC_DESC_FN,           /* the runtime function sym */
} gqc_desc_kind;

typedef struct gqc_desc_field {
  const char *name, *c_type; /* as gqcrt_model_layout.def spells them */
  gqc_desc_kind kind;
  int64_t i;
  const char *sym; /* GQC_DESC_FN */
} gqc_desc_field;

#define GQC_MAX_DESC_FIELDS 48

/* The descriptor's fields in order, with their values; returns how many,
 * or -1 (d set) when a value does not fit its field. */
int gqc_model_desc(const ir_module *m, const gqc_program *calls, const gqc_codegen_options *o,
                   gqc_desc_field *fields, gqc_diag *d);

/* The decoder state's fields in order (names and C types). */
typedef struct gqc_state_field {
  const char *name, *c_type;
} gqc_state_field;
extern const gqc_state_field gqc_state_fields[];
extern const int gqc_n_state_fields;
/* The index of a state field, for the steps' reads (weights, executor). */
int gqc_state_field_index(const char *name);

/* One API function (gqcrt_model_api.def) as a model exports it. */
typedef struct gqc_api_fn {
  const char *ret;    /* C return type: "const float *" */
  const char *name;   /* "decode": exported as <prefix>_decode */
  const char *params; /* C parameters without the descriptor: "int32_t token, int32_t pos", "" */
  const char *args;   /* their names: "token, pos", "" */
  const char *doc;    /* the header's comment; {name} / {NAME} for the prefixes */
} gqc_api_fn;

/* The API functions the module exports, in order: those of its kind
 * (prefill, --weights=file). Returns how many (at most GQC_MAX_API). */
#define GQC_MAX_API 64
int gqc_model_api(const ir_module *m, const gqc_codegen_options *o, gqc_api_fn *out);

/* The kind of a C type as the runtime spells it, for the LLVM backend:
 * 'v' void, 'p' any pointer (also function pointer typedefs *_fn), 'i' a
 * 32-bit integer, 'l' a 64-bit one, 'z' size_t, 'f' float; 0 for anything
 * else. */
char gqc_c_type_kind(const char *c_type);
/* The kinds of a C parameter list ("int32_t token, const char *text"), one
 * letter per parameter, into buf; false when one is unknown. */
bool gqc_c_param_kinds(const char *params, char *buf, size_t size);

#endif

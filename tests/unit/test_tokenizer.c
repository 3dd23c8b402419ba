/* test_tokenizer.c — the vocabulary compiler (frontend/vocab_build.c) and
 * the runtime tokenizer (runtime/src/tokenizer*.c) against llama.cpp.
 *
 *  - Every tests/data/reference/<name>.tokenize.txt line (llama.cpp's ids, BOS
 *    included, for six vocabularies) must come out exactly, and the ids must
 *    detokenise back to the text.
 *  - The prompt at the start of every reference .ids file (llama.cpp's own
 *    tokenisation of "Once upon a time, ...") for the stories, llama-2,
 *    tiny-llama, tiny-gemma3, tiny-qwen2 and tiny-qwen3 files.
 *  - llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0 inputs,
 *    models/ggml-vocab-{qwen2,llama-spm}.gguf.inp/.out, add_special and
 *    parse_special off) for the two vocab files shipped in tests/data, copied
 *    here; the whole suite (all fourteen decoder vocabularies, deepseek and
 *    gemma-4 included) on the trimmed copies shipped in tests/data/vocab
 *    (tools/trim_vocab.py), and on the full files when a llama.cpp checkout
 *    is found (GQC_LLAMACPP_MODELS or /work/llamacpp/llama.cpp/models).
 *  - Small synthetic vocabularies built with gguf_writer: a gemma3-style SPM
 *    (add_space_prefix false, <start_of_turn>/<end_of_turn>, byte fallback,
 *    a USER_DEFINED token) and a byte-level BPE under every pre-tokenizer.
 *    Their expected ids were derived by hand from llama.cpp's algorithm and
 *    confirmed with llama.cpp's llama-tokenize on the same files (set
 *    GQC_TOKENIZER_DUMP_DIR to write them out for such a check).
 *  - Error paths: NO_SPACE, BAD_UTF8, NULL arguments, gqcrt_vocab_check on
 *    truncated and corrupted blobs, and gqc_vocab_build on bad metadata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frontend/gguf.h"
#include "frontend/gguf_writer.h"
#include "frontend/vocab_build.h"
#include "gqcrt.h"
#include "gqcrt_tokenizer.h"
#include "gqcrt_vocab_blob.h"
#include "test_util.h"

#define MODEL(name) GQC_TEST_DATA "/models/" name
#define REF(name) GQC_TEST_DATA "/reference/" name
#define MAX_IDS 4096

/* ---- helpers ------------------------------------------------------------------ */

static gqc_vocab_blob build_file(const char *path) {
  gguf_error ge;
  gguf_file *f = gguf_open(path, &ge);
  if (!f)
    fail_msg("%s", ge.msg);
  gqc_diag d = {0};
  gqc_vocab_blob b = {0};
  if (!gqc_vocab_build(f, &b, &d))
    fail_msg("%s", d.msg);
  gguf_close(f);
  assert_int_equal(gqcrt_vocab_check(b.data, b.size), GQCRT_OK);
  return b;
}

/* Builds from an in-memory GGUF; returns false with the message in d. */
static bool build_mem(const uint8_t *buf, size_t n, const char *name, gqc_vocab_blob *b,
                      gqc_diag *d) {
  gguf_error ge;
  gguf_file *f = gguf_open_memory(buf, n, name, &ge);
  if (!f)
    fail_msg("%s", ge.msg);
  memset(d, 0, sizeof *d);
  bool ok = gqc_vocab_build(f, b, d);
  gguf_close(f);
  if (ok)
    assert_int_equal(gqcrt_vocab_check(b->data, b->size), GQCRT_OK);
  return ok;
}

static int32_t tokenize(const gqc_vocab_blob *b, const char *text, size_t len, int add_special,
                        int parse_special, int32_t *ids, int32_t max_ids) {
  size_t need = gqcrt_tokenize_scratch_bytes(b->data, len);
  void *scratch = malloc(need ? need : 1);
  assert_non_null(scratch);
  int32_t n =
      gqcrt_tokenize(b->data, text, len, add_special, parse_special, ids, max_ids, scratch, need);
  free(scratch);
  return n;
}

/* Concatenated pieces (special tokens dropped), as llama.cpp's detokenize
 * without BOS: one leading space removed when the vocabulary adds one. */
static size_t detokenize(const gqc_vocab_blob *b, const int32_t *ids, int32_t n, char *out) {
  size_t o = 0;
  for (int32_t i = 0; i < n; i++) {
    int32_t len = -1;
    const char *p = gqcrt_token_piece(b->data, ids[i], 0, &len);
    assert_non_null(p);
    assert_true(len >= 0);
    assert_int_equal(p[len], 0);
    memcpy(out + o, p, (size_t)len);
    o += (size_t)len;
  }
  const gqcrt_vocab_header *h = b->data;
  if ((h->flags & GQCRT_VOCAB_ADD_SPACE_PREFIX) && o > 0 && out[0] == ' ') {
    memmove(out, out + 1, o - 1);
    o--;
  }
  return o;
}

/* Parses "[1, 2, 3]" or "1 2 3". */
static int32_t parse_ids(const char *s, int32_t *ids) {
  int32_t n = 0;
  while (*s) {
    if (*s == '-' || (*s >= '0' && *s <= '9')) {
      char *end;
      ids[n++] = (int32_t)strtol(s, &end, 10);
      s = end;
    } else {
      s++;
    }
  }
  return n;
}

static void print_ids(const char *what, const int32_t *ids, int32_t n) {
  fprintf(stderr, "  %s (%d):", what, n);
  for (int32_t i = 0; i < n && i < 200; i++)
    fprintf(stderr, " %d", ids[i]);
  fprintf(stderr, "\n");
}

static void assert_ids(const char *ctx, const int32_t *got, int32_t n_got, const int32_t *want,
                       int32_t n_want) {
  if (n_got == n_want && (n_got <= 0 || memcmp(got, want, sizeof *got * (size_t)n_got) == 0))
    return;
  fprintf(stderr, "ids differ for %s\n", ctx);
  print_ids("got ", got, n_got);
  print_ids("want", want, n_want);
  fail();
}

static void assert_ids_str(const gqc_vocab_blob *b, const char *text, size_t len, int add_special,
                           int parse_special, const char *want) {
  int32_t got[MAX_IDS], exp[MAX_IDS];
  int32_t n = tokenize(b, text, len, add_special, parse_special, got, MAX_IDS);
  assert_ids(text, got, n, exp, parse_ids(want, exp));
}

/* Detokenising the ids gives the text back. In an SPM vocabulary without a
 * "▁" token a lone space falls back to the bytes of "▁" and llama.cpp
 * detokenises it as "▁"; with spm_bytes those are read as spaces. */
static void assert_round_trip_ex(const gqc_vocab_blob *b, const char *text, size_t len,
                                 bool spm_bytes) {
  int32_t ids[MAX_IDS];
  int32_t n = tokenize(b, text, len, 0, 0, ids, MAX_IDS);
  assert_true(n >= 0);
  char *out = malloc(len * 4 + 64);
  size_t o = detokenize(b, ids, n, out);
  if (spm_bytes) {
    size_t k = 0;
    for (size_t i = 0; i < o; i++) {
      if (i + 3 <= o && memcmp(out + i, "\xe2\x96\x81", 3) == 0)
        out[k++] = ' ', i += 2;
      else
        out[k++] = out[i];
    }
    o = k;
    if (o > 0 && out[0] == ' ' && (len == 0 || text[0] != ' ')) {
      memmove(out, out + 1, o - 1);
      o--;
    }
  }
  if (o != len || memcmp(out, text, len) != 0)
    fail_msg("round trip of '%.*s' gave '%.*s'", (int)len, text, (int)o, out);
  free(out);
}

static void assert_round_trip(const gqc_vocab_blob *b, const char *text, size_t len) {
  assert_round_trip_ex(b, text, len, false);
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static size_t b64_decode(const char *s, size_t n, char *out) {
  size_t k = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(s[i]);
    if (v < 0)
      continue;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (char)((acc >> bits) & 0xFF);
    }
  }
  return k;
}

/* ---- tests/data/reference/<name>.tokenize.txt ------------------------------- */

/* Each line: base64(text) TAB [ids with BOS]. The strings hold no special
 * token text, so parse_special does not matter (checked both ways). */
static void check_reference(const char *model, const char *ref, bool spm_bytes) {
  gqc_vocab_blob b = build_file(model);
  size_t n;
  char *data = test_read_file(ref, &n);
  int lines = 0;
  for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
    char *tab = strchr(line, '\t');
    assert_non_null(tab);
    char text[1024];
    size_t len = b64_decode(line, (size_t)(tab - line), text);
    text[len] = 0;
    assert_ids_str(&b, text, len, 1, 1, tab + 1);
    assert_ids_str(&b, text, len, 1, 0, tab + 1);
    assert_round_trip_ex(&b, text, len, spm_bytes);
    lines++;
  }
  assert_int_equal(lines, 8);
  free(data);
  gqc_vocab_blob_free(&b);
}

static void test_reference_stories260k(void **s) {
  (void)s;
  check_reference(MODEL("stories260K.gguf"), REF("stories260K.tokenize.txt"), false);
}
static void test_reference_llama_spm(void **s) {
  (void)s;
  check_reference(MODEL("ggml-vocab-llama-spm.gguf"), REF("ggml-vocab-llama-spm.tokenize.txt"),
                  false);
}
static void test_reference_llama2_tiny(void **s) {
  (void)s;
  check_reference(MODEL("llama-2-tiny-random.gguf"), REF("llama-2-tiny-random.tokenize.txt"),
                  false);
}
static void test_reference_tiny_llama(void **s) {
  (void)s;
  check_reference(MODEL("tiny-llama-Q8_0.gguf"), REF("tiny-llama-Q8_0.tokenize.txt"), true);
}
static void test_reference_qwen2(void **s) {
  (void)s;
  check_reference(MODEL("ggml-vocab-qwen2.gguf"), REF("ggml-vocab-qwen2.tokenize.txt"), false);
}
static void test_reference_tiny_qwen2(void **s) {
  (void)s;
  check_reference(MODEL("tiny-qwen2-Q8_0.gguf"), REF("tiny-qwen2-Q8_0.tokenize.txt"), false);
}

/* ---- the prompt of the .ids references ---------------------------------- */

static void test_reference_prompts(void **s) {
  (void)s;
  static const char *const models[] = {"stories260K",     "llama-2-tiny-random", "tiny-llama-f32",
                                       "tiny-gemma3-f32", "tiny-qwen2-f32",      "tiny-qwen3-f32"};
  static const char prompt[] =
      "Once upon a time, there was a little girl named Lily. She loved to play outside.";
  for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
    char path[512];
    snprintf(path, sizeof path, GQC_TEST_DATA "/models/%s.gguf", models[m]);
    gqc_vocab_blob b = build_file(path);
    snprintf(path, sizeof path, GQC_TEST_DATA "/reference/%s.ids", models[m]);
    size_t n;
    char *data = test_read_file(path, &n);
    static int32_t want[MAX_IDS], got[MAX_IDS];
    int32_t n_want = parse_ids(data, want) - 48; /* then 48 generated tokens */
    int32_t n_got = tokenize(&b, prompt, sizeof prompt - 1, 1, 1, got, MAX_IDS);
    assert_ids(models[m], got, n_got, want, n_want);
    free(data);
    gqc_vocab_blob_free(&b);
  }
}

/* ---- llama.cpp's test-tokenizer-0 vectors ----------------------------------- */

typedef struct tok_vector {
  const char *text;
  size_t len;
  const char *ids[2]; /* LLAMACPP_QWEN2, LLAMACPP_LLAMA_SPM */
} tok_vector;
enum { LLAMACPP_QWEN2, LLAMACPP_LLAMA_SPM };
/* clang-format off */
#define V(s, qwen2_ids, llama_spm_ids) {s, sizeof(s) - 1, {qwen2_ids, llama_spm_ids}}
/* clang-format on */

/* models/ggml-vocab-*.gguf.inp: the texts (the same for every vocabulary),
 * and the ids of each vocabulary's .out (add_special = parse_special = false):
 * qwen2 (BPE), llama-spm (SentencePiece). */
static const tok_vector llamacpp_vectors[] = {
    V("ied 4 \302\275 months", "1122 220 19 220 26062 3951",
      "474 287 29871 29946 29871 30226 7378"),
    V("\303\204pfel", "86975 15897 301", "11585 7810 295"),
    V("", "", ""),
    V(" ", "220", "259"),
    V("  ", "256", "1678"),
    V("   ", "262", "268"),
    V("\t", "197", "29871 12"),
    V("\n", "198", "29871 13"),
    V("\n\n", "271", "29871 13 13"),
    V("\n\n\n", "1406", "29871 13 13 13"),
    V("\t\n", "1572", "29871 12 13"),
    V("Hello world", "9707 1879", "15043 3186"),
    V(" Hello world", "21927 1879", "29871 15043 3186"),
    V("Hello World", "9707 4337", "15043 2787"),
    V(" Hello World", "21927 4337", "29871 15043 2787"),
    V(" Hello World!", "21927 4337 0", "29871 15043 2787 29991"),
    V("Hello, world!", "9707 11 1879 0", "15043 29892 3186 29991"),
    V(" Hello, world!", "21927 11 1879 0", "29871 15043 29892 3186 29991"),
    V(" this is \360\237\246\231.cpp", "419 374 11162 99 247 13 10821",
      "29871 445 338 29871 243 162 169 156 29889 8223"),
    V("w048 7tuijk dsdfhu", "86 15 19 23 220 22 83 1963 41808 11472 2940 16739",
      "281 29900 29946 29947 29871 29955 9161 13535 18031 2176 6905"),
    V("\320\275\320\265\321\211\320\276 \320\275\320\260 "
      "\320\221\321\212\320\273\320\263\320\260\321\200\321\201\320\272\320\270",
      "78762 14144 1456 13073 63471 33594 3038 133178 79012", "1538 4851 665 1386 29713 1305"),
    V("\341\236\200\341\236\266\341\236\223\341\237\213\341\236\217\341\237\202\341\236\226\341\236"
      "\267\341\236\237\341\237\201\341\236\237\341\236\242\341\236\266\341\236\205\341\236\201\341"
      "\236\233\341\236\205\341\237\201\341\236\211",
      "146394 97529 241 44258 233 146568 44258 224 147603 20879 115 146280 44258 223 146280 147272 "
      "97529 227 147805 148301 147270 44258 223 146848",
      "29871 31849 31324 31934 228 162 142 228 161 146 228 162 133 228 161 153 228 161 186 31708 "
      "228 162 132 31708 228 161 165 31324 228 161 136 228 161 132 228 161 158 228 161 136 228 162 "
      "132 228 161 140"),
    V("\360\237\232\200 (normal) \360\237\230\266\342\200\215\360\237\214\253\357\270\217 "
      "(multiple emojis concatenated) \342\234\205 (only emoji that has its own token)",
      "145836 320 8252 8 26525 114 378 235 149921 30543 320 35673 99066 97534 8 25521 227 320 3243 "
      "42365 429 702 1181 1828 3950 8",
      "29871 243 162 157 131 313 8945 29897 29871 243 162 155 185 30722 243 162 143 174 30598 313 "
      "20787 953 3848 275 16125 630 29897 29871 31681 313 6194 953 29877 2397 393 756 967 1914 "
      "5993 29897"),
    V("Hello", "9707", "15043"),
    V(" Hello", "21927", "29871 15043"),
    V("  Hello", "220 21927", "259 15043"),
    V("   Hello", "256 21927", "1678 15043"),
    V("    Hello", "262 21927", "268 15043"),
    V("    Hello\n    Hello", "262 21927 198 262 21927", "268 15043 13 1678 15043"),
    V(" (", "320", "29871 313"),
    V("\n =", "198 284", "29871 13 353"),
    V("' era", "6 11385", "525 3152"),
    V("Hello, y'all! How are you \360\237\230\201 "
      "?\346\210\221\346\203\263\345\234\250apple\345\267\245\344\275\2341314151\345\244\251\357"
      "\275\236",
      "9707 11 379 64848 0 2585 525 498 26525 223 937 104100 18493 22377 99257 16 18 16 19 16 20 "
      "16 35727 21216",
      "15043 29892 343 29915 497 29991 1128 526 366 29871 243 162 155 132 1577 30672 31522 30505 "
      "11548 31041 30732 29896 29941 29896 29946 29896 29945 29896 30408 30739"),
    V("!!!!!!", "17085 2928", "1738 6824 21004"),
    V("3", "18", "29871 29941"),
    V("33", "18 18", "29871 29941 29941"),
    V("333", "18 18 18", "29871 29941 29941 29941"),
    V("3333", "18 18 18 18", "29871 29941 29941 29941 29941"),
    V("33333", "18 18 18 18 18", "29871 29941 29941 29941 29941 29941"),
    V("333333", "18 18 18 18 18 18", "29871 29941 29941 29941 29941 29941 29941"),
    V("3333333", "18 18 18 18 18 18 18", "29871 29941 29941 29941 29941 29941 29941 29941"),
    V("33333333", "18 18 18 18 18 18 18 18",
      "29871 29941 29941 29941 29941 29941 29941 29941 29941"),
    V("333333333", "18 18 18 18 18 18 18 18 18",
      "29871 29941 29941 29941 29941 29941 29941 29941 29941 29941"),
    V("C\341\273\255a Vi\341\273\207t", "34 90063 128324",
      "315 228 190 176 29874 10630 30529 29873"),
    V(" discards", "2560 2347", "29871 2313 3163"),
    V("\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\360\237\232\200 (normal) "
      "\360\237\230\266\342\200\215\360\237\214\253\357\270\217 (multiple emojis concatenated) "
      "\342\234\205 \360\237\246\231\360\237\246\231 3 33 333 3333 33333 333333 3333333 33333333 "
      "3.3 3..3 3...3 "
      "\341\236\200\341\236\266\341\236\223\341\237\213\341\236\217\341\237\202\341\236\226\341\236"
      "\267\341\236\237\341\237\201\341\236\237\341\236\242\341\236\266\341\236\205\360\237\230\201"
      " ?"
      "\346\210\221\346\203\263\345\234\250apple\345\267\245\344\275\2341314151\345\244\251\357\275"
      "\236 ------======= \320\275\320\265\321\211\320\276 \320\275\320\260 "
      "\320\221\321\212\320\273\320\263\320\260\321\200\321\201\320\272\320\270 "
      "''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not "
      "sure I'll make it, 'D you like some tea? We'Ve a'lL",
      "198 4710 14731 65497 7847 1572 2303 78672 10947 145836 320 8252 8 26525 114 378 235 149921 "
      "30543 320 35673 99066 97534 8 25521 227 11162 99 247 149955 220 18 220 18 18 220 18 18 18 "
      "220 18 18 18 18 220 18 18 18 18 18 220 18 18 18 18 18 18 220 18 18 18 18 18 18 18 220 18 18 "
      "18 18 18 18 18 18 220 18 13 18 220 18 496 18 220 18 1112 18 220 146394 97529 241 44258 233 "
      "146568 44258 224 147603 20879 115 146280 44258 223 146280 147272 97529 227 144534 937 "
      "104100 18493 22377 99257 16 18 16 19 16 20 16 35727 21216 55460 53237 18658 14144 1456 "
      "13073 63471 33594 3038 133178 79012 3355 4605 4605 13874 13874 73594 3014 3014 28149 17085 "
      "2928 26610 7646 358 3003 1012 364 83 813 566 594 1052 11 364 787 498 2704 30 364 44 537 "
      "2704 358 3278 1281 432 11 364 35 498 1075 1045 15243 30 1205 6 42612 264 63866 43",
      "29871 13 29871 13 13 29871 13 13 13 29871 12 29871 12 12 29871 12 13 259 13 1678 13 268 13 "
      "418 13 243 162 157 131 313 8945 29897 29871 243 162 155 185 30722 243 162 143 174 30598 313 "
      "20787 953 3848 275 16125 630 29897 29871 31681 29871 243 162 169 156 243 162 169 156 29871 "
      "29941 29871 29941 29941 29871 29941 29941 29941 29871 29941 29941 29941 29941 29871 29941 "
      "29941 29941 29941 29941 29871 29941 29941 29941 29941 29941 29941 29871 29941 29941 29941 "
      "29941 29941 29941 29941 29871 29941 29941 29941 29941 29941 29941 29941 29941 29871 29941 "
      "29889 29941 29871 29941 636 29941 29871 29941 856 29941 29871 31849 31324 31934 228 162 142 "
      "228 161 146 228 162 133 228 161 153 228 161 186 31708 228 162 132 31708 228 161 165 31324 "
      "228 161 136 243 162 155 132 1577 30672 31522 30505 11548 31041 30732 29896 29941 29896 "
      "29946 29896 29945 29896 30408 30739 448 23648 2751 25512 1538 4851 665 1386 29713 1305 "
      "14550 4907 11120 16159 16159 16159 15945 15945 3045 636 6824 6824 6824 8773 8773 8773 306 "
      "29915 345 1063 525 29873 1025 540 29915 29879 727 29892 525 1525 366 1854 29973 525 29924 "
      "451 1854 306 29915 645 1207 372 29892 525 29928 366 763 777 23429 29973 1334 29915 29963 "
      "29872 263 29915 29880 29931"),
};

/* The vectors' texts tokenized with the vocabulary of `model` give the ids of
 * column `which`. */
static void check_vectors(const char *model, int which) {
  gqc_vocab_blob b = build_file(model);
  for (size_t i = 0; i < sizeof llamacpp_vectors / sizeof llamacpp_vectors[0]; i++) {
    const tok_vector *v = &llamacpp_vectors[i];
    assert_ids_str(&b, v->text, v->len, 0, 0, v->ids[which]);
  }
  gqc_vocab_blob_free(&b);
}

static void test_llamacpp_vectors_qwen2(void **s) {
  (void)s;
  check_vectors(MODEL("ggml-vocab-qwen2.gguf"), LLAMACPP_QWEN2);
}

static void test_llamacpp_vectors_llama_spm(void **s) {
  (void)s;
  check_vectors(MODEL("ggml-vocab-llama-spm.gguf"), LLAMACPP_LLAMA_SPM);
}

/* llama.cpp's tokenizer test suite: every decoder vocabulary of its
 * models/ggml-vocab-*.gguf (bert-bge, an embedding model's WPM, is refused). */
static const char *const llamacpp_vocabs[] = {
    "gpt-2",  "llama-bpe", "starcoder", "refact",    "command-r",      "mpt",          "phi-3",
    "falcon", "qwen35",    "qwen2",     "llama-spm", "deepseek-coder", "deepseek-llm", "gemma-4"};
#define N_LLAMACPP_VOCABS (sizeof llamacpp_vocabs / sizeof llamacpp_vocabs[0])

/* Checks the .inp strings of dir/ggml-vocab-NAME.gguf against its .out ids
 * (add_special and parse_special off, as llama.cpp's test-tokenizer-0);
 * returns how many strings, 0 when the files are not there. */
static int check_vocab_suite(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/ggml-vocab-%s.gguf.inp", dir, name);
  size_t n_inp, n_out;
  char *inp = test_read_file_if_present(path, &n_inp);
  snprintf(path, sizeof path, "%s/ggml-vocab-%s.gguf.out", dir, name);
  char *out = test_read_file_if_present(path, &n_out);
  int checked = 0;
  if (inp && out) {
    snprintf(path, sizeof path, "%s/ggml-vocab-%s.gguf", dir, name);
    gqc_vocab_blob b = build_file(path);
    static const char sep[] = "\n__ggml_vocab_test__\n";
    char *pos = inp, *line = out;
    while (pos < inp + n_inp) {
      char *next = strstr(pos, sep);
      size_t len = next ? (size_t)(next - pos) : (size_t)(inp + n_inp - pos);
      char *eol = strchr(line, '\n');
      if (eol)
        *eol = 0;
      assert_ids_str(&b, pos, len, 0, 0, line);
      checked++;
      if (!next || !eol)
        break;
      line = eol + 1;
      pos = next + sizeof sep - 1;
    }
    gqc_vocab_blob_free(&b);
  }
  free(inp);
  free(out);
  return checked;
}

/* The suite on the trimmed copies the project ships (tests/data/vocab, made
 * by tools/trim_vocab.py: the tokens and merges these strings can use, ids
 * renumbered in order): every vocabulary, every string. */
static void test_llamacpp_suite_shipped(void **s) {
  (void)s;
  for (size_t k = 0; k < N_LLAMACPP_VOCABS; k++)
    if (check_vocab_suite(GQC_TEST_DATA "/vocab", llamacpp_vocabs[k]) < 10)
      fail_msg("tests/data/vocab/ggml-vocab-%s.gguf: missing or too few strings",
               llamacpp_vocabs[k]);
}

/* The same over the full vocabularies of a llama.cpp checkout, when there
 * is one (GQC_LLAMACPP_MODELS, or /work/llamacpp/llama.cpp/models). */
static void test_llamacpp_vectors_checkout(void **s) {
  (void)s;
  const char *dir = getenv("GQC_LLAMACPP_MODELS");
  if (!dir)
    dir = "/work/llamacpp/llama.cpp/models";
  int checked = 0;
  for (size_t k = 0; k < N_LLAMACPP_VOCABS; k++)
    checked += check_vocab_suite(dir, llamacpp_vocabs[k]);
  if (checked == 0)
    skip();
}

/* ---- synthetic vocabularies ---------------------------------------------------- */

static void dump_gguf(const char *name, const uint8_t *buf, size_t n) {
  const char *dir = getenv("GQC_TOKENIZER_DUMP_DIR");
  if (!dir)
    return;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "wb");
  if (fp) {
    fwrite(buf, 1, n, fp);
    fclose(fp);
  }
}

static uint8_t *finish(gguf_writer *w, size_t *n) {
  assert_true(gguf_writer_finish(w));
  uint8_t *buf;
  uint64_t size;
  assert_true(gguf_writer_take_buffer(w, &buf, &size));
  gguf_writer_free(w);
  *n = (size_t)size;
  return buf;
}

enum { GEMMA_PAD, GEMMA_EOS, GEMMA_BOS, GEMMA_UNK, GEMMA_SOT, GEMMA_EOT, GEMMA_IMG, GEMMA_BYTE0 };

/* A gemma3-style SPM vocabulary: <pad> <eos> <bos> <unk>, the turn markers
 * (CONTROL), a USER_DEFINED <img>, the 256 byte tokens, then a few pieces
 * with scores. No space prefix, BOS 2, EOS 1. */
static uint8_t *make_gemma_like(size_t *n) {
  static const struct {
    const char *text;
    float score;
  } pieces[] = {
      /* 263 */ {"\xe2\x96\x81", -1},
      {"h", -2},
      {"e", -2},
      {"l", -2},
      {"o", -2},
      /* 268 */ {"he", -3},
      {"ll", -3},
      {"llo", -4},
      {"hello", -5},
      {"\xe2\x96\x81hello", -6},
      /* 273 */ {"u", -2},
      {"s", -2},
      {"r", -2},
      {"us", -8},
      {"er", -8},
      /* 278 */ {"user", -9},
  };
  const size_t n_pieces = sizeof pieces / sizeof pieces[0];
  const size_t n_tok = GEMMA_BYTE0 + 256 + n_pieces;
  char bytes[256][8];
  const char *texts[GEMMA_BYTE0 + 256 + 16];
  float scores[GEMMA_BYTE0 + 256 + 16];
  int32_t types[GEMMA_BYTE0 + 256 + 16];
  static const char *const head[] = {"<pad>",           "<eos>",         "<bos>", "<unk>",
                                     "<start_of_turn>", "<end_of_turn>", "<img>"};
  static const int32_t head_types[] = {3, 3, 3, 2, 3, 3, 4};
  for (size_t i = 0; i < GEMMA_BYTE0; i++)
    texts[i] = head[i], scores[i] = 0, types[i] = head_types[i];
  for (int c = 0; c < 256; c++) {
    snprintf(bytes[c], sizeof bytes[c], "<0x%02X>", c);
    texts[GEMMA_BYTE0 + c] = bytes[c], scores[GEMMA_BYTE0 + c] = 0, types[GEMMA_BYTE0 + c] = 6;
  }
  for (size_t i = 0; i < n_pieces; i++) {
    size_t id = GEMMA_BYTE0 + 256 + i;
    texts[id] = pieces[i].text, scores[id] = pieces[i].score, types[id] = 1;
  }
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "general.architecture", "gemma3");
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str(w, "tokenizer.ggml.pre", "default");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", texts, n_tok);
  gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_F32, scores, n_tok);
  gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_I32, types, n_tok);
  gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", GEMMA_BOS);
  gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", GEMMA_EOS);
  gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", GEMMA_UNK);
  gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", GEMMA_PAD);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false);
  gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", false);
  uint8_t *buf = finish(w, n);
  dump_gguf("gemma-like.gguf", buf, *n);
  return buf;
}

/* Expected ids: derived from llama.cpp's SPM algorithm (highest score first,
 * ties to the left), confirmed with llama-tokenize on gemma-like.gguf. */
static void test_gemma_like_spm(void **s) {
  (void)s;
  size_t n;
  uint8_t *buf = make_gemma_like(&n);
  gqc_vocab_blob b;
  gqc_diag d;
  assert_true(build_mem(buf, n, "gemma-like.gguf", &b, &d));
  assert_int_equal(gqcrt_vocab_bos(b.data), GEMMA_BOS);
  assert_int_equal(gqcrt_vocab_eos(b.data), GEMMA_EOS);
  assert_int_equal(gqcrt_vocab_n_tokens(b.data), GEMMA_BYTE0 + 256 + 16);

  /* h e l l o: "he" and "ll" (both -3, "he" first: lower left), then "llo",
   * then "hello"; no space prefix */
  assert_ids_str(&b, "hello", 5, 1, 1, "2 271");
  /* a leading space is part of the text: "▁hello" */
  assert_ids_str(&b, " hello", 6, 1, 1, "2 272");
  /* specials split the text; "user" via "us" + "er"; "\n" has no piece: byte
   * fallback <0x0A> = 8 + 10 */
  static const char chat[] = "<start_of_turn>user\nhello<end_of_turn>";
  assert_ids_str(&b, chat, sizeof chat - 1, 1, 1, "2 4 278 17 271 5");
  /* without parse_special the markers are text (pieces and bytes) */
  assert_ids_str(&b, chat, sizeof chat - 1, 1, 0,
                 "2 67 274 123 104 275 123 102 267 109 102 123 273 275 117 69 278 17 271 67 265 "
                 "117 107 102 267 109 102 123 273 275 117 69");
  /* USER_DEFINED tokens match even without parse_special */
  assert_ids_str(&b, "hello<img>hello", 15, 1, 0, "2 271 6 271");
  /* byte fallback for é (C3 A9) */
  assert_ids_str(&b, "h\xc3\xa9", 3, 1, 1, "2 264 202 176");
  assert_ids_str(&b, "", 0, 1, 1, "2");
  assert_ids_str(&b, "", 0, 0, 1, "");
  assert_round_trip(&b, "hello user\n h\xc3\xa9llo", 18);

  /* EOG: eos and <end_of_turn> (detected by its text); pieces */
  assert_int_equal(gqcrt_vocab_is_eog(b.data, GEMMA_EOS), 1);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, GEMMA_EOT), 1);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, GEMMA_SOT), 0);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, 271), 0);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, -1), 0);
  int32_t len;
  assert_string_equal(gqcrt_token_piece(b.data, GEMMA_SOT, 1, &len), "<start_of_turn>");
  assert_int_equal(len, 15);
  assert_string_equal(gqcrt_token_piece(b.data, GEMMA_SOT, 0, &len), "");
  assert_int_equal(len, 0);
  assert_string_equal(gqcrt_token_piece(b.data, GEMMA_IMG, 0, &len), "<img>");
  assert_string_equal(gqcrt_token_piece(b.data, 272, 0, &len), " hello");
  const char *nul = gqcrt_token_piece(b.data, GEMMA_BYTE0, 0, &len);
  assert_int_equal(len, 1);
  assert_int_equal(nul[0], 0);
  assert_string_equal(gqcrt_token_text(b.data, 272), "\xe2\x96\x81hello");
  gqc_vocab_blob_free(&b);
  free(buf);
}

/* A byte-level BPE vocabulary: the 256 byte-map characters in byte order,
 * merge results, and three special tokens. "x y" merges into "xy", which is
 * not a token, on the way to "xyz". */
static const char *const bpe_merges[] = {
    "\xc4\xa0 t", "h e",        "\xc4\xa0t he", "1 2",
    "12 3",       "3 4",        "! !",          "\xc4\xa0 \xc4\xa0",
    "' s",        "\xc4\xa0 1", "a b",          "\xc4\x8a \xc4\x8a",
    "x y",        "xy z",       "\xc4\xa0 ab"};
enum { BPE_FIRST_MERGED = 256, BPE_EOT = 256 + 14, BPE_IM_START, BPE_TOOL };

static uint8_t *make_bpe(const char *pre, size_t *n) {
  static const char *const merged[] = {"\xc4\xa0t",
                                       "he",
                                       "\xc4\xa0the",
                                       "12",
                                       "123",
                                       "34",
                                       "!!",
                                       "\xc4\xa0\xc4\xa0",
                                       "'s",
                                       "\xc4\xa0"
                                       "1",
                                       "ab",
                                       "\xc4\x8a\xc4\x8a",
                                       "xyz",
                                       "\xc4\xa0"
                                       "ab"};
  char chars[256][4];
  const char *texts[256 + 14 + 3];
  int32_t types[256 + 14 + 3];
  for (int c = 0; c < 256; c++) {
    uint32_t cp = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE) ? (uint32_t)c
                  : c <= 0x20                                                         ? 0x100u + c
                  : c <= 0xA0 ? 0x100u + 33 + (c - 0x7F)
                              : 0x143u;
    if (cp < 0x80) {
      chars[c][0] = (char)cp, chars[c][1] = 0;
    } else {
      chars[c][0] = (char)(0xC0 | (cp >> 6)), chars[c][1] = (char)(0x80 | (cp & 0x3F));
      chars[c][2] = 0;
    }
    texts[c] = chars[c], types[c] = 1;
  }
  for (int i = 0; i < 14; i++)
    texts[256 + i] = merged[i], types[256 + i] = 1;
  texts[BPE_EOT] = "<|endoftext|>", types[BPE_EOT] = 3;
  texts[BPE_IM_START] = "<|im_start|>", types[BPE_IM_START] = 3;
  texts[BPE_TOOL] = "<tool>", types[BPE_TOOL] = 4;
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "general.architecture", "qwen2");
  gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
  gguf_writer_add_str(w, "tokenizer.ggml.pre", pre);
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", texts, 256 + 14 + 3);
  gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_I32, types, 256 + 14 + 3);
  gguf_writer_add_str_array(w, "tokenizer.ggml.merges", bpe_merges,
                            sizeof bpe_merges / sizeof bpe_merges[0]);
  gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", BPE_EOT);
  gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", BPE_EOT);
  uint8_t *buf = finish(w, n);
  char name[64];
  snprintf(name, sizeof name, "bpe-%s.gguf", pre);
  dump_gguf(name, buf, *n);
  return buf;
}

/* One string through every pre-tokenizer: the pieces show in which merges
 * could happen (a merge never crosses a piece). Expected ids confirmed with
 * llama-tokenize on the dumped files. */
static void test_bpe_pretokenizers(void **s) {
  (void)s;
  static const char text[] = "the 1234 x!! ab's\n\nxyz  ab?! 12345 Ab'S";
  static const struct {
    const char *pre;
    const char *ids;
  } cases[] = {
      {"qwen2", "116 257 32 49 50 51 52 32 120 262 269 264 267 268 32 269 63 33 32 49 50 51 52 53 "
                "32 65 98 39 83"},
      {"llama-bpe", "270 116 257 32 260 52 32 120 262 269 264 267 268 32 269 63 33 32 260 52 53 "
                    "32 65 98 39 83"},
      {"gpt-2", "116 257 32 260 52 32 120 262 269 264 10 10 268 32 269 63 33 32 260 52 53 32 65 "
                "98 39 83"},
      {"smollm", "116 257 32 49 50 51 52 32 120 262 269 264 10 10 268 32 269 63 33 32 49 50 51 52 "
                 "53 32 65 98 39 83"},
      {"default", "116 257 32 260 52 32 120 262 269 39 115 10 10 268 32 269 63 33 32 260 52 53 32 "
                  "65 98 39 83"},
      {"falcon", "116 257 32 260 52 32 120 262 269 39 115 10 10 268 32 269 63 33 32 260 52 53 32 "
                 "65 98 39 83"},
  };
  const size_t n_cases = sizeof cases / sizeof cases[0];
  uint8_t *bufs[sizeof cases / sizeof cases[0]];
  size_t sizes[sizeof cases / sizeof cases[0]];
  for (size_t i = 0; i < n_cases; i++) /* all first, so that all are dumped */
    bufs[i] = make_bpe(cases[i].pre, &sizes[i]);
  for (size_t i = 0; i < n_cases; i++) {
    gqc_vocab_blob b;
    gqc_diag d;
    assert_true(build_mem(bufs[i], sizes[i], "bpe.gguf", &b, &d));
    assert_ids_str(&b, text, sizeof text - 1, 1, 1, cases[i].ids);
    assert_round_trip(&b, text, sizeof text - 1);
    gqc_vocab_blob_free(&b);
  }
  for (size_t i = 0; i < n_cases; i++)
    free(bufs[i]);
}

/* ---- special tokens, EOG and pieces on the real vocabularies ------------------ */

static void test_qwen2_specials(void **s) {
  (void)s;
  gqc_vocab_blob b = build_file(MODEL("ggml-vocab-qwen2.gguf"));
  assert_int_equal(gqcrt_vocab_n_tokens(b.data), 151936);
  int32_t im_start = 151644, im_end = 151645, eot = 151643;
  assert_string_equal(gqcrt_token_text(b.data, im_start), "<|im_start|>");
  assert_string_equal(gqcrt_token_text(b.data, im_end), "<|im_end|>");
  assert_int_equal(gqcrt_vocab_eos(b.data), eot);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, eot), 1);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, im_end), 1);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, im_start), 0);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, 9707), 0);
  /* no BOS for qwen2 even with add_special */
  static const char chat[] = "<|im_start|>user\nHi<|im_end|>";
  assert_ids_str(&b, chat, sizeof chat - 1, 1, 1, "151644 872 198 13048 151645");
  assert_ids_str(&b, chat, sizeof chat - 1, 1, 0,
                 "27 91 318 4906 91 29 872 198 13048 27 91 318 6213 91 29");
  /* pieces: byte-level decoding */
  int32_t len;
  assert_string_equal(gqcrt_token_text(b.data, 1879), "\xc4\xa0world");
  assert_string_equal(gqcrt_token_piece(b.data, 1879, 0, &len), " world");
  assert_int_equal(len, 6);
  assert_string_equal(gqcrt_token_piece(b.data, 198, 0, &len), "\n");
  assert_string_equal(gqcrt_token_piece(b.data, im_end, 0, &len), "");
  assert_string_equal(gqcrt_token_piece(b.data, im_end, 1, &len), "<|im_end|>");
  assert_null(gqcrt_token_piece(b.data, 151936, 1, &len));
  assert_null(gqcrt_token_text(b.data, -1));
  assert_round_trip(&b, "caf\xc3\xa9 \xf0\x9f\xa6\x99 \t\n x", 14);
  gqc_vocab_blob_free(&b);
}

static void test_llama_spm_specials(void **s) {
  (void)s;
  gqc_vocab_blob b = build_file(MODEL("ggml-vocab-llama-spm.gguf"));
  assert_int_equal(gqcrt_vocab_bos(b.data), 1);
  assert_int_equal(gqcrt_vocab_eos(b.data), 2);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, 2), 1);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, 1), 0);
  /* "<s>" is CONTROL: matched only with parse_special; the text after a
   * special token gets the space prefix again */
  assert_ids_str(&b, "<s>Hello</s>", 12, 1, 1, "1 1 15043 2");
  assert_ids_str(&b, "<s>Hello</s>", 12, 1, 0, "1 529 29879 29958 10994 829 29879 29958");
  int32_t len;
  assert_string_equal(gqcrt_token_piece(b.data, 9038, 0, &len), " Once");
  assert_string_equal(gqcrt_token_piece(b.data, 13, 0, &len), "\n"); /* <0x0A> */
  assert_string_equal(gqcrt_token_text(b.data, 13), "<0x0A>");
  assert_string_equal(gqcrt_token_piece(b.data, 1, 0, &len), "");
  assert_string_equal(gqcrt_token_piece(b.data, 1, 1, &len), "<s>");
  assert_string_equal(gqcrt_token_piece(b.data, 0, 1, &len), "<unk>");
  gqc_vocab_blob_free(&b);
}

/* Byte fallback: characters outside the 4096-token vocabulary become one
 * <0xXX> token per UTF-8 byte, and detokenise back to the same bytes. */
static void test_byte_fallback_round_trip(void **s) {
  (void)s;
  gqc_vocab_blob b = build_file(MODEL("tiny-llama-Q8_0.gguf"));
  static const char text[] = "\xf0\x9f\xa6\x99 \xe6\x9d\xb1\xe4\xba\xac \xd0\xaf";
  int32_t ids[64];
  int32_t n = tokenize(&b, text, sizeof text - 1, 0, 0, ids, 64);
  assert_true(n > 0);
  int bytes = 0;
  for (int32_t i = 0; i < n; i++) {
    const char *t = gqcrt_token_text(b.data, ids[i]);
    if (strncmp(t, "<0x", 3) == 0) {
      int32_t len;
      const char *p = gqcrt_token_piece(b.data, ids[i], 0, &len);
      assert_int_equal(len, 1);
      assert_int_equal((uint8_t)p[0], (uint8_t)strtol(t + 3, NULL, 16));
      bytes++;
    }
  }
  assert_true(bytes >= 4); /* at least the llama emoji's 4 bytes */
  /* this vocabulary has no "▁" token: the space prefix is <0xE2> <0x96>
   * <0x81>, then the emoji's <0xF0> <0x9F> <0xA6> <0x99> */
  assert_string_equal(gqcrt_token_text(b.data, ids[0]), "<0xE2>");
  assert_string_equal(gqcrt_token_text(b.data, ids[2]), "<0x81>");
  assert_string_equal(gqcrt_token_text(b.data, ids[3]), "<0xF0>");
  assert_string_equal(gqcrt_token_text(b.data, ids[6]), "<0x99>");
  assert_round_trip_ex(&b, text, sizeof text - 1, true);
  gqc_vocab_blob_free(&b);
}

/* ---- error paths ------------------------------------------------------------- */

static void test_no_space(void **s) {
  (void)s;
  gqc_vocab_blob b = build_file(MODEL("stories260K.gguf"));
  static const char text[] = "Hello world";
  int32_t ids[32];
  int32_t n = tokenize(&b, text, 11, 1, 1, ids, 32);
  assert_int_equal(n, 7);
  assert_int_equal(tokenize(&b, text, 11, 1, 1, ids, 7), 7);
  assert_int_equal(tokenize(&b, text, 11, 1, 1, ids, 6), GQCRT_ERR_NO_SPACE);
  assert_int_equal(tokenize(&b, text, 11, 1, 1, ids, 0), GQCRT_ERR_NO_SPACE);
  /* scratch one byte short of the bound */
  size_t need = gqcrt_tokenize_scratch_bytes(b.data, 11);
  void *scratch = malloc(need);
  assert_int_equal(gqcrt_tokenize(b.data, text, 11, 1, 1, ids, 32, scratch, need - 1),
                   GQCRT_ERR_NO_SPACE);
  assert_int_equal(gqcrt_tokenize(b.data, text, 11, 1, 1, ids, 32, scratch, need), 7);
  free(scratch);
  /* the bound is linear in the text length */
  size_t s1 = gqcrt_tokenize_scratch_bytes(b.data, 1000);
  size_t s2 = gqcrt_tokenize_scratch_bytes(b.data, 2000);
  assert_true(s2 <= 2 * s1 && s2 > s1);
  assert_true(s1 < 1000 * 256);
  gqc_vocab_blob_free(&b);
}

static void test_bad_utf8(void **s) {
  (void)s;
  static const char *const bad[] = {
      "\xff",         "abc\x80",          "\xc3",
      "\xc3(",        "\xc0\xaf",         "\xe0\x80\xaf",
      "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
      "ok \xe2\x82",  "\xf0\x9f\xa6",
  };
  static const char *const models[] = {MODEL("stories260K.gguf"), MODEL("tiny-qwen2-Q8_0.gguf")};
  for (size_t m = 0; m < 2; m++) {
    gqc_vocab_blob b = build_file(models[m]);
    int32_t ids[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
      assert_int_equal(tokenize(&b, bad[i], strlen(bad[i]), 1, 1, ids, 64), GQCRT_ERR_BAD_UTF8);
    /* the largest code point, a NUL and U+FFFD are valid */
    assert_true(tokenize(&b, "\xf4\x8f\xbf\xbf", 4, 1, 1, ids, 64) > 0);
    assert_true(tokenize(&b, "a\0b", 3, 1, 1, ids, 64) > 0);
    assert_true(tokenize(&b, "\xef\xbf\xbd", 3, 1, 1, ids, 64) > 0);
    gqc_vocab_blob_free(&b);
  }
}

static void test_null_args(void **s) {
  (void)s;
  gqc_vocab_blob b = build_file(MODEL("stories260K.gguf"));
  int32_t ids[8];
  char scratch[4096];
  assert_int_equal(gqcrt_tokenize(NULL, "a", 1, 1, 1, ids, 8, scratch, sizeof scratch),
                   GQCRT_ERR_NULL);
  assert_int_equal(gqcrt_tokenize(b.data, NULL, 1, 1, 1, ids, 8, scratch, sizeof scratch),
                   GQCRT_ERR_NULL);
  assert_int_equal(gqcrt_tokenize(b.data, "a", 1, 1, 1, NULL, 8, scratch, sizeof scratch),
                   GQCRT_ERR_NULL);
  assert_int_equal(gqcrt_tokenize(b.data, "a", 1, 1, 1, ids, 8, NULL, sizeof scratch),
                   GQCRT_ERR_NULL);
  /* an empty text may be NULL: just BOS */
  assert_int_equal(gqcrt_tokenize(b.data, NULL, 0, 1, 1, ids, 8, scratch, sizeof scratch), 1);
  assert_int_equal(ids[0], 1);
  assert_int_equal(gqcrt_vocab_check(NULL, 100), GQCRT_ERR_BAD_BLOB);
  assert_int_equal(gqcrt_vocab_n_tokens(NULL), 0);
  assert_int_equal(gqcrt_vocab_bos(NULL), -1);
  assert_int_equal(gqcrt_vocab_eos(NULL), -1);
  assert_int_equal(gqcrt_vocab_is_eog(NULL, 2), 0);
  assert_null(gqcrt_token_text(NULL, 1));
  assert_null(gqcrt_token_piece(NULL, 1, 1, NULL));
  assert_null(gqcrt_token_text(b.data, 512));
  assert_non_null(gqcrt_token_piece(b.data, 300, 1, NULL));
  gqc_vocab_blob_free(&b);
}

/* A copy of the blob with one 32-bit word replaced. */
static int32_t check_patched(const gqc_vocab_blob *b, size_t offset, uint32_t value) {
  uint8_t *copy = malloc(b->size);
  memcpy(copy, b->data, b->size);
  memcpy(copy + offset, &value, 4);
  int32_t rc = gqcrt_vocab_check(copy, b->size);
  free(copy);
  return rc;
}

static void test_vocab_check(void **s) {
  (void)s;
  gqc_vocab_blob spm = build_file(MODEL("stories260K.gguf"));
  gqc_vocab_blob bpe = build_file(MODEL("tiny-qwen2-Q8_0.gguf"));
  const gqc_vocab_blob *blobs[] = {&spm, &bpe};
  for (int k = 0; k < 2; k++) {
    const gqc_vocab_blob *b = blobs[k];
    const gqcrt_vocab_header *h = b->data;
    assert_int_equal(gqcrt_vocab_check(b->data, b->size), GQCRT_OK);
    /* truncated */
    assert_int_equal(gqcrt_vocab_check(b->data, b->size - 1), GQCRT_ERR_BAD_BLOB);
    assert_int_equal(gqcrt_vocab_check(b->data, b->size / 2), GQCRT_ERR_BAD_BLOB);
    assert_int_equal(gqcrt_vocab_check(b->data, sizeof *h), GQCRT_ERR_BAD_BLOB);
    assert_int_equal(gqcrt_vocab_check(b->data, 7), GQCRT_ERR_BAD_BLOB);
    /* misaligned */
    uint8_t *shifted = malloc(b->size + 8);
    memcpy(shifted + 4, b->data, b->size);
    assert_int_equal(gqcrt_vocab_check(shifted + 4, b->size), GQCRT_ERR_BAD_BLOB);
    free(shifted);
    /* corrupted header fields */
    assert_int_equal(check_patched(b, 0, 0x21212121), GQCRT_ERR_BAD_BLOB); /* magic */
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, version), 99),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, model), 3), GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, n_tokens), 1u << 30),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, bos), 1u << 20),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, off_strings), h->total_size),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, off_piece), 12),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, offsetof(gqcrt_vocab_header, token_hash_cap), 3),
                     GQCRT_ERR_BAD_BLOB);
    /* a token text pointing past the strings, a piece without its NUL */
    assert_int_equal(check_patched(b, h->off_sym_text + 8 * 5, h->strings_size),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, h->off_piece + 8 * 5 + 4, 1000000), GQCRT_ERR_BAD_BLOB);
    /* ids out of range in each table */
    assert_int_equal(check_patched(b, h->off_specials, (uint32_t)h->n_tokens), GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, h->off_byte_token + 4 * 65, (uint32_t)h->n_tokens),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, h->off_attr, 0xFFFFFFFFu), GQCRT_ERR_BAD_BLOB);
    /* a hash slot naming a wrong or out-of-range symbol */
    const int32_t *table = (const int32_t *)((const uint8_t *)b->data + h->off_token_hash);
    uint32_t used = 0, empty = 0;
    while (table[used] < 0)
      used++;
    while (table[empty] >= 0)
      empty++;
    assert_int_equal(check_patched(b, h->off_token_hash + 4 * used, (uint32_t)h->n_symbols),
                     GQCRT_ERR_BAD_BLOB);
    assert_int_equal(check_patched(b, h->off_token_hash + 4 * empty, (uint32_t)-2),
                     GQCRT_ERR_BAD_BLOB);
    /* a table with no empty slot would never stop probing */
    uint8_t *full = malloc(b->size);
    memcpy(full, b->data, b->size);
    int32_t *ft = (int32_t *)(full + h->off_token_hash);
    for (uint32_t i = 0; i < h->token_hash_cap; i++)
      if (ft[i] < 0)
        ft[i] = 0;
    assert_int_equal(gqcrt_vocab_check(full, b->size), GQCRT_ERR_BAD_BLOB);
    free(full);
  }
  /* BPE merges: a merge naming a symbol that does not exist */
  const gqcrt_vocab_header *h = bpe.data;
  assert_true(h->n_merges > 0);
  assert_int_equal(check_patched(&bpe, h->off_merges + 4, (uint32_t)h->n_symbols),
                   GQCRT_ERR_BAD_BLOB);
  assert_int_equal(check_patched(&bpe, h->off_byte_symbol, (uint32_t)h->n_symbols),
                   GQCRT_ERR_BAD_BLOB);
  gqc_vocab_blob_free(&spm);
  gqc_vocab_blob_free(&bpe);
}

/* ---- gqc_vocab_build errors ------------------------------------------------------ */

typedef void (*add_kvs_fn)(gguf_writer *w);

static const char *const three_tokens[] = {"<unk>", "a", "b"};

static void kv_no_tokens(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
}
static void kv_no_model(gguf_writer *w) {
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
}
static void kv_model_bert(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "bert");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
}
static void kv_model_int(gguf_writer *w) {
  gguf_writer_add_u32(w, "tokenizer.ggml.model", 1);
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
}
static void kv_bad_pre(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
  gguf_writer_add_str(w, "tokenizer.ggml.pre", "no-such-pre");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_str_array(w, "tokenizer.ggml.merges", three_tokens, 0);
}
static void kv_no_merges(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
  gguf_writer_add_str(w, "tokenizer.ggml.pre", "qwen2");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
}
static void kv_tokens_ints(gguf_writer *w) {
  int32_t v[3] = {1, 2, 3};
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_array(w, "tokenizer.ggml.tokens", GGUF_I32, v, 3);
}
static void kv_tokens_empty(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 0);
}
static void kv_scores_u8(gguf_writer *w) {
  uint8_t v[3] = {1, 2, 3};
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_U8, v, 3);
}
static void kv_scores_short(gguf_writer *w) {
  float v[2] = {1, 2};
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_F32, v, 2);
}
static void kv_types_f32(gguf_writer *w) {
  float v[3] = {1, 1, 1};
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_F32, v, 3);
}
static void kv_merges_scalar(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_str(w, "tokenizer.ggml.merges", "a b");
}
static void kv_bos_string(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_str(w, "tokenizer.ggml.bos_token_id", "1");
}
static void kv_add_bos_u32(gguf_writer *w) {
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_u32(w, "tokenizer.ggml.add_bos_token", 1);
}

static void test_build_errors(void **s) {
  (void)s;
  static const struct {
    add_kvs_fn add;
    const char *want; /* a substring of the message */
  } cases[] = {
      {kv_no_tokens, "tokenizer.ggml.tokens"},
      {kv_no_model, "tokenizer.ggml.model"},
      {kv_model_bert, "unsupported tokenizer model 'bert'"},
      {kv_model_int, "key 'tokenizer.ggml.model': expected a string"},
      {kv_bad_pre, "key 'tokenizer.ggml.pre': unknown or unsupported pre-tokenizer 'no-such-pre'"},
      {kv_no_merges, "tokenizer.ggml.merges"},
      {kv_tokens_ints, "key 'tokenizer.ggml.tokens': expected an array of strings"},
      {kv_tokens_empty, "key 'tokenizer.ggml.tokens': 0 tokens"},
      {kv_scores_u8, "key 'tokenizer.ggml.scores': expected an array of f32 or i32"},
      {kv_scores_short, "key 'tokenizer.ggml.scores': 2 scores for 3 tokens"},
      {kv_types_f32, "key 'tokenizer.ggml.token_type': expected an array of i32"},
      {kv_merges_scalar, "key 'tokenizer.ggml.merges': expected an array of strings"},
      {kv_bos_string, "key 'tokenizer.ggml.bos_token_id': expected an integer"},
      {kv_add_bos_u32, "key 'tokenizer.ggml.add_bos_token': expected a bool"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gguf_writer *w = gguf_writer_open_memory();
    gguf_writer_add_str(w, "general.architecture", "llama");
    cases[i].add(w);
    size_t n;
    uint8_t *buf = finish(w, &n);
    gqc_vocab_blob b = {(void *)1, 1};
    gqc_diag d;
    assert_false(build_mem(buf, n, "bad.gguf", &b, &d));
    assert_true(d.failed);
    assert_null(b.data);
    if (!strstr(d.msg, cases[i].want) || strncmp(d.msg, "bad.gguf: ", 10) != 0)
      fail_msg("case %zu: message '%s' lacks '%s'", i, d.msg, cases[i].want);
    free(buf);
  }
}

/* Defaults and overrides: out-of-range special ids are disabled, SPM adds a
 * BOS by default, the add_* keys override. */
static void test_build_defaults(void **s) {
  (void)s;
  gguf_writer *w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 7); /* out of range: default 2 kept */
  gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", true);
  size_t n;
  uint8_t *buf = finish(w, &n);
  gqc_vocab_blob b;
  gqc_diag d;
  assert_true(build_mem(buf, n, "defaults.gguf", &b, &d));
  assert_int_equal(gqcrt_vocab_bos(b.data), 1);
  assert_int_equal(gqcrt_vocab_eos(b.data), 2);
  assert_int_equal(gqcrt_vocab_is_eog(b.data, 2), 1);
  /* BOS 1, then "▁ab": "▁" is no token and there are no byte tokens, so
   * each of its 3 bytes falls back to <unk> (0) (llama.cpp would throw
   * here), then "a" 1, "b" 2, then EOS 2 */
  assert_ids_str(&b, "ab", 2, 1, 0, "1 0 0 0 1 2 2");
  gqc_vocab_blob_free(&b);
  free(buf);

  /* BPE defaults bos = eos = 11 are outside a 3-token vocabulary */
  w = gguf_writer_open_memory();
  gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
  gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", three_tokens, 3);
  gguf_writer_add_str_array(w, "tokenizer.ggml.merges", three_tokens, 0);
  buf = finish(w, &n);
  assert_true(build_mem(buf, n, "bpe-defaults.gguf", &b, &d));
  assert_int_equal(gqcrt_vocab_bos(b.data), -1);
  assert_int_equal(gqcrt_vocab_eos(b.data), -1);
  assert_ids_str(&b, "ab", 2, 1, 1, "1 2");
  gqc_vocab_blob_free(&b);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_stories260k),
      cmocka_unit_test(test_reference_llama_spm),
      cmocka_unit_test(test_reference_llama2_tiny),
      cmocka_unit_test(test_reference_tiny_llama),
      cmocka_unit_test(test_reference_qwen2),
      cmocka_unit_test(test_reference_tiny_qwen2),
      cmocka_unit_test(test_reference_prompts),
      cmocka_unit_test(test_llamacpp_vectors_qwen2),
      cmocka_unit_test(test_llamacpp_vectors_llama_spm),
      cmocka_unit_test(test_llamacpp_suite_shipped),
      cmocka_unit_test(test_llamacpp_vectors_checkout),
      cmocka_unit_test(test_gemma_like_spm),
      cmocka_unit_test(test_bpe_pretokenizers),
      cmocka_unit_test(test_qwen2_specials),
      cmocka_unit_test(test_llama_spm_specials),
      cmocka_unit_test(test_byte_fallback_round_trip),
      cmocka_unit_test(test_no_space),
      cmocka_unit_test(test_bad_utf8),
      cmocka_unit_test(test_null_args),
      cmocka_unit_test(test_vocab_check),
      cmocka_unit_test(test_build_errors),
      cmocka_unit_test(test_build_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

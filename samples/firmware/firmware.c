/* firmware.c — the firmware sample's application: a gqc-compiled model in a
 * program with no C library and no heap.
 *
 * Prints where the linker script put the model (the weights in the WEIGHTS
 * region, the model's state in RAM) next to the sizes the generated header
 * promises, then tokenizes a prompt, runs it through the model one token per
 * step and continues greedily (argmax) for a few steps, printing the text.
 * All memory is static: the model's arena (section .gqc.arena: the
 * MODEL_ARENA_BYTES of KV cache and activations, plus the tokenizer's
 * scratch), a few bytes of decoder state in .bss, and the ids array below.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "gqcrt.h"
#include "model.h"

#ifndef MODEL_ARENA_SECTION
#error "compile the model with --arena-section .gqc.arena: firmware.ld places that section in RAM"
#endif

#define PROMPT "Once upon a time"
#ifndef N_GENERATE
#define N_GENERATE 24
#endif

/* Symbols of firmware.ld. */
extern const unsigned char __gqc_weights_start[], __gqc_weights_end[];
extern const unsigned char __weights_region_start[], __weights_region_end[];
extern unsigned char __gqc_arena_start[], __gqc_arena_end[];
extern unsigned char __ram_start[], __ram_end[];
extern unsigned char __stack_bottom[], __stack_top[];

static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

static void put(const char *s) {
  board_write(s, str_len(s));
}

static void put_hex(uintptr_t v) {
  char buf[2 + 16];
  buf[0] = '0';
  buf[1] = 'x';
  for (int i = 0; i < 16; i++)
    buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  board_write(buf, sizeof buf);
}

static void put_dec(uint64_t v) {
  char buf[20];
  int n = 0;
  do {
    buf[sizeof buf - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  board_write(buf + sizeof buf - n, (size_t)n);
}

/* "  name  0x<start> .. 0x<end>  <bytes> bytes" */
static void put_range(const char *name, const void *start, const void *end) {
  put(name);
  put_hex((uintptr_t)start);
  put(" .. ");
  put_hex((uintptr_t)end);
  put("  ");
  put_dec((uint64_t)((const unsigned char *)end - (const unsigned char *)start));
  put(" bytes");
}

static void print_layout(void) {
  put("memory map (firmware.ld) and the model's sizes (model.h):\n");
  put_range("  WEIGHTS region ", __weights_region_start, __weights_region_end);
  put("\n");
  put_range("  .gqc.weights   ", __gqc_weights_start, __gqc_weights_end);
  put("  (MODEL_WEIGHT_BYTES ");
  put_dec(MODEL_WEIGHT_BYTES);
  put(")\n");
  put_range("  RAM region     ", __ram_start, __ram_end);
  put("\n");
  put_range("  " MODEL_ARENA_SECTION "     ", __gqc_arena_start, __gqc_arena_end);
  put("  (MODEL_ARENA_BYTES ");
  put_dec(MODEL_ARENA_BYTES);
  put(", of which KV cache MODEL_KV_BYTES ");
  put_dec(MODEL_KV_BYTES);
  put("; the rest is the tokenizer's scratch)\n");
  put_range("  stack          ", __stack_bottom, __stack_top);
  put("\n");
}

/* Stack high-water mark: fill the unused part of the stack with a pattern
 * first, see how much of it was overwritten at the end. */
#define STACK_PAINT 0x5a

static void paint_stack(void) {
  unsigned char *here = __builtin_frame_address(0);
  for (unsigned char *p = __stack_bottom; p < here - 256; p++)
    *(volatile unsigned char *)p = STACK_PAINT;
}

static size_t stack_used(void) {
  const unsigned char *p = __stack_bottom;
  while (p < __stack_top && *p == STACK_PAINT)
    p++;
  return (size_t)(__stack_top - p);
}

static int32_t ids[MODEL_N_CTX];

int firmware_main(void) {
  paint_stack();
  print_layout();
  if ((size_t)(__gqc_weights_end - __gqc_weights_start) < MODEL_WEIGHT_BYTES ||
      (size_t)(__gqc_arena_end - __gqc_arena_start) < MODEL_ARENA_BYTES) {
    put("error: the linked sections are smaller than model.h says\n");
    return 1;
  }
  int rc = model_init();
  if (rc != 0) {
    put("error: model_init failed\n");
    return 1;
  }
  int n_prompt = model_tokenize(PROMPT, ids, MODEL_N_CTX);
  if (n_prompt <= 0) {
    put("error: model_tokenize failed\n");
    return 1;
  }
  put("prompt: " PROMPT " (");
  put_dec((uint64_t)n_prompt);
  put(" tokens)\ntext:");
  for (int i = 0; i < n_prompt; i++)
    put(model_token_text(ids[i]));
  int total = n_prompt + N_GENERATE < MODEL_N_CTX ? n_prompt + N_GENERATE : MODEL_N_CTX;
  int steps = 0;
  for (int pos = 0; pos < total; pos++) {
    const float *logits = model_decode(ids[pos], pos);
    if (!logits) {
      put("\nerror: model_decode failed\n");
      return 1;
    }
    steps++;
    if (pos + 1 >= n_prompt && pos + 1 < total) {
      int next = gqcrt_argmax(logits, MODEL_N_VOCAB);
      ids[pos + 1] = next;
      put(model_token_text(next));
      if (model_is_eog(next))
        break;
    }
  }
  put("\ndecode steps: ");
  put_dec((uint64_t)steps);
  put("\nstack used: ");
  put_dec(stack_used());
  put(" of ");
  put_dec((uint64_t)(__stack_top - __stack_bottom));
  put(" bytes\n");
  return 0;
}

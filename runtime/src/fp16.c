/* fp16.c — the public scalar f16/bf16 conversions (see fp16.h for the rules). */
#include "gqcrt.h"

#include "fp16.h"

float gqcrt_fp16_to_fp32(uint16_t h) {
  return gqcrt_h2f(h);
}
uint16_t gqcrt_fp32_to_fp16(float f) {
  return gqcrt_f2h(f);
}
float gqcrt_bf16_to_fp32(uint16_t h) {
  return gqcrt_bf2f(h);
}
uint16_t gqcrt_fp32_to_bf16(float f) {
  return gqcrt_f2bf(f);
}

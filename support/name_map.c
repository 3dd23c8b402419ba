/* name_map.c — names to ints in constant time (name_map.h). */
#include "support/name_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

static const char gone_marker;
#define GONE (&gone_marker)

uint64_t gqc_name_hash(const char *s) {
  return gqc_name_hash_bytes(s, strlen(s));
}

uint64_t gqc_name_hash_bytes(const char *p, uint64_t n) {
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
  for (uint64_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)p[i]) * 0x100000001b3u;
  return h;
}

uint64_t gqc_name_table_slots(uint64_t n) {
  uint64_t cap = 16;
  while (cap < 2 * n)
    cap *= 2;
  return cap;
}

static size_t hash_name(const char *s) {
  return (size_t)gqc_name_hash(s);
}

/* The slot holding name, or NULL. */
static gqc_name_map_slot *find(const gqc_name_map *m, const char *name) {
  if (!m->slot)
    return NULL;
  for (size_t h = hash_name(name) & m->mask;; h = (h + 1) & m->mask) {
    gqc_name_map_slot *s = &m->slot[h];
    if (!s->name)
      return NULL;
    if (s->name != GONE && !strcmp(s->name, name))
      return s;
  }
}

int gqc_name_map_get(const gqc_name_map *m, const char *name) {
  const gqc_name_map_slot *s = find(m, name);
  return s ? s->value : -1;
}

/* Rehashes the live names into a table of `slots` slots. */
static void resize(gqc_name_map *m, size_t slots) {
  gqc_name_map bigger = {gqc_xcalloc(slots, sizeof *bigger.slot, "a table of names"), slots - 1, 0};
  for (size_t k = 0; m->slot && k <= m->mask; k++)
    if (m->slot[k].name && m->slot[k].name != GONE)
      gqc_name_map_put(&bigger, m->slot[k].name, m->slot[k].value);
  free(m->slot);
  *m = bigger;
}

void gqc_name_map_put(gqc_name_map *m, const char *name, int value) {
  gqc_name_map_slot *s = find(m, name);
  if (s) {
    s->value = value;
    return;
  }
  if (!m->slot || 2 * (m->used + 1) > m->mask + 1) { /* at most half full, removed included */
    size_t live = 0, slots = 16;
    for (size_t k = 0; m->slot && k <= m->mask; k++)
      live += m->slot[k].name && m->slot[k].name != GONE;
    while (slots < 4 * (live + 1))
      slots *= 2;
    resize(m, slots);
  }
  size_t h = hash_name(name) & m->mask;
  while (m->slot[h].name && m->slot[h].name != GONE)
    h = (h + 1) & m->mask;
  if (!m->slot[h].name)
    m->used++;
  m->slot[h] = (gqc_name_map_slot){name, value};
}

void gqc_name_map_remove(gqc_name_map *m, const char *name) {
  gqc_name_map_slot *s = find(m, name);
  if (s)
    s->name = GONE;
}

void gqc_name_map_free(gqc_name_map *m) {
  free(m->slot);
  *m = (gqc_name_map){0};
}

/* name_map.h — a map from names (NUL-terminated strings) to ints.
 *
 * Open addressing with linear probing; the map does not copy the names (the
 * caller keeps them alive). Every operation costs the same whether the map
 * holds ten names or a million, which is the point: hostile inputs (a
 * description with 100 000 declarations or variables) must not make the
 * compiler's name lookups quadratic.
 */
#ifndef GQC_SUPPORT_NAME_MAP_H
#define GQC_SUPPORT_NAME_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct gqc_name_map_slot {
  const char *name; /* NULL: empty; GQC_NAME_MAP_GONE: removed */
  int value;
} gqc_name_map_slot;

typedef struct gqc_name_map {
  gqc_name_map_slot *slot; /* mask + 1 slots, or NULL while empty */
  size_t mask, used;       /* used: live and removed slots */
} gqc_name_map;

/* The value of name, or -1 when it is not in the map. */
int gqc_name_map_get(const gqc_name_map *m, const char *name);
/* Sets name's value (adds it if it is not in the map). */
void gqc_name_map_put(gqc_name_map *m, const char *name, int value);
void gqc_name_map_remove(gqc_name_map *m, const char *name);
void gqc_name_map_free(gqc_name_map *m);
/* The hash the map uses (64-bit FNV-1a of the bytes), for other tables. */
uint64_t gqc_name_hash(const char *name);
/* The same hash of n bytes that need not end in a NUL (GGUF strings). */
uint64_t gqc_name_hash_bytes(const char *p, uint64_t n);
/* The slot count of a fixed-size table of the same kind (open addressing,
 * linear probing) for n entries: a power of two, at least 16 and 2n. */
uint64_t gqc_name_table_slots(uint64_t n);

#endif

/*
 * uint64 -> pointer hash map, open addressing with linear probing and
 * backward-shift deletion (no tombstones). Used for relation caches and
 * per-transaction buffers keyed by OID or xid.
 */
#include "sluice/core.h"

#include <string.h>

struct sl_u64map_slot {
    uint64_t key;
    void *value;
    bool used;
};

static size_t hash_u64(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return (size_t)key;
}

void sl_u64map_init(struct sl_u64map *map)
{
    map->slots = NULL;
    map->cap = 0;
    map->count = 0;
}

void sl_u64map_free(struct sl_u64map *map)
{
    if (map == NULL)
        return;
    sl_free(map->slots);
    sl_u64map_init(map);
}

static struct sl_u64map_slot *find(const struct sl_u64map *map, uint64_t key)
{
    if (map->cap == 0)
        return NULL;
    size_t mask = map->cap - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
        struct sl_u64map_slot *slot = &map->slots[i];
        if (!slot->used)
            return NULL;
        if (slot->key == key)
            return slot;
    }
}

void *sl_u64map_get(const struct sl_u64map *map, uint64_t key)
{
    struct sl_u64map_slot *slot = find(map, key);
    return slot == NULL ? NULL : slot->value;
}

static void insert_fresh(struct sl_u64map_slot *slots, size_t cap, uint64_t key, void *value)
{
    size_t mask = cap - 1;
    size_t i = hash_u64(key) & mask;
    while (slots[i].used)
        i = (i + 1) & mask;
    slots[i].used = true;
    slots[i].key = key;
    slots[i].value = value;
}

int sl_u64map_put(struct sl_u64map *map, uint64_t key, void *value)
{
    struct sl_u64map_slot *slot = find(map, key);
    if (slot != NULL) {
        slot->value = value;
        return SL_OK;
    }
    if ((map->count + 1) * 4 > map->cap * 3) {
        size_t cap = map->cap == 0 ? 16 : map->cap * 2;
        struct sl_u64map_slot *slots = sl_calloc(cap, sizeof(*slots));
        if (slots == NULL)
            return SL_ENOMEM;
        for (size_t i = 0; i < map->cap; i++)
            if (map->slots[i].used)
                insert_fresh(slots, cap, map->slots[i].key, map->slots[i].value);
        sl_free(map->slots);
        map->slots = slots;
        map->cap = cap;
    }
    insert_fresh(map->slots, map->cap, key, value);
    map->count++;
    return SL_OK;
}

void *sl_u64map_remove(struct sl_u64map *map, uint64_t key)
{
    struct sl_u64map_slot *slot = find(map, key);
    if (slot == NULL)
        return NULL;
    void *old = slot->value;
    size_t mask = map->cap - 1;
    size_t hole = (size_t)(slot - map->slots);
    map->slots[hole].used = false;
    map->count--;
    /* backward-shift: move later entries of the probe run into the hole */
    for (size_t i = (hole + 1) & mask; map->slots[i].used; i = (i + 1) & mask) {
        size_t home = hash_u64(map->slots[i].key) & mask;
        bool movable = (i > hole) ? (home <= hole || home > i) : (home <= hole && home > i);
        if (movable) {
            map->slots[hole] = map->slots[i];
            map->slots[i].used = false;
            hole = i;
        }
    }
    return old;
}

bool sl_u64map_next(const struct sl_u64map *map, size_t *pos, uint64_t *key, void **value)
{
    while (*pos < map->cap) {
        struct sl_u64map_slot *slot = &map->slots[(*pos)++];
        if (slot->used) {
            if (key != NULL)
                *key = slot->key;
            if (value != NULL)
                *value = slot->value;
            return true;
        }
    }
    return false;
}

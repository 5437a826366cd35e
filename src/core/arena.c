/*
 * Bump allocator for per-message and per-batch data (PostgreSQL's memory
 * context idea, reduced to alloc + reset). Large requests get a block of
 * their own; reset keeps the first block for reuse.
 */
#include "sluice/core.h"

#include <string.h>

struct sl_arena_block {
    struct sl_arena_block *next;
    size_t size;
    size_t used;
    /* payload follows, 16-byte aligned */
    _Alignas(16) unsigned char payload[];
};

void sl_arena_init(struct sl_arena *arena, size_t block_size)
{
    arena->head = NULL;
    arena->block_size = block_size < 1024 ? 1024 : block_size;
    arena->used_total = 0;
}

void *sl_arena_alloc(struct sl_arena *arena, size_t size)
{
    struct sl_arena_block *block = arena->head;
    size_t aligned = (size + 15) & ~(size_t)15;

    if (aligned < size || aligned > SIZE_MAX - sizeof(*block))
        return NULL;
    if (block == NULL || block->size - block->used < aligned) {
        size_t payload = aligned > arena->block_size ? aligned : arena->block_size;
        if (payload > SIZE_MAX - sizeof(*block))
            return NULL;
        block = sl_malloc(sizeof(*block) + payload);
        if (block == NULL)
            return NULL;
        block->size = payload;
        block->used = 0;
        if (payload > arena->block_size && arena->head != NULL) {
            /* a dedicated block for a large request is full at once: put it
             * behind the current block so small requests keep filling that */
            block->next = arena->head->next;
            arena->head->next = block;
        } else {
            block->next = arena->head;
            arena->head = block;
        }
    }
    void *ptr = block->payload + block->used;
    block->used += aligned;
    arena->used_total += aligned;
    return ptr;
}

char *sl_arena_strndup(struct sl_arena *arena, const char *s, size_t len)
{
    char *copy = sl_arena_alloc(arena, len + 1);
    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void sl_arena_reset(struct sl_arena *arena)
{
    struct sl_arena_block *block = arena->head;
    struct sl_arena_block *keep = NULL;

    /* keep one block of standard size for reuse, free the rest */
    while (block != NULL) {
        struct sl_arena_block *next = block->next;
        if (keep == NULL && block->size == arena->block_size) {
            keep = block;
            keep->next = NULL;
        } else {
            sl_free(block);
        }
        block = next;
    }
    if (keep != NULL)
        keep->used = 0;
    arena->head = keep;
    arena->used_total = 0;
}

void sl_arena_free(struct sl_arena *arena)
{
    struct sl_arena_block *block;

    if (arena == NULL)
        return;
    block = arena->head;
    while (block != NULL) {
        struct sl_arena_block *next = block->next;
        sl_free(block);
        block = next;
    }
    arena->head = NULL;
    arena->used_total = 0;
}

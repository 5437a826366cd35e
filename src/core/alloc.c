/*
 * Allocation wrappers with a test hook that fails the Nth allocation, so unit
 * tests can walk every error path. The countdown is the only mutable global
 * of core besides the log level; it is meant for single-threaded tests.
 */
#include "sluice/core.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown; /* 0 = never fail */

void sl_alloc_fail_after(long nth)
{
    fail_countdown = nth;
}

static bool should_fail(void)
{
    if (fail_countdown <= 0)
        return false;
    if (--fail_countdown == 0)
        return true;
    return false;
}

void *sl_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size == 0 ? 1 : size);
}

void *sl_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
}

void *sl_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(ptr, size == 0 ? 1 : size);
}

void sl_free(void *ptr)
{
    free(ptr);
}

char *sl_strndup(const char *s, size_t len)
{
    char *copy = sl_malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *sl_strdup(const char *s)
{
    return sl_strndup(s, strlen(s));
}

int sl_array_grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SL_OK;
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return SL_ENOMEM;
        n *= 2;
    }
    if (elem != 0 && n > SIZE_MAX / elem)
        return SL_ENOMEM;
    void *grown = sl_realloc(*array, n * elem);
    if (grown == NULL)
        return SL_ENOMEM;
    *array = grown;
    *cap = n;
    return SL_OK;
}

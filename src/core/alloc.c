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

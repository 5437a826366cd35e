/*
 * Unit tests for src/core: buffers, arenas, the u64 hash map (against a
 * reference model), parsers, errors, the allocation-failure hook, logging and
 * clocks. Regression tests for fixed core bugs say so in their name.
 */
#include "sluice/core.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- buffers */

static void test_buf_append_keeps_nul_terminated_text(void)
{
    struct sl_buf buf;

    sl_buf_init(&buf, 1000);
    CHECK(buf.data == NULL);
    CHECK_INT(sl_buf_append(&buf, "abc", 3), SL_OK);
    CHECK_INT(buf.len, 3);
    CHECK_STR(buf.data, "abc");
    CHECK_INT(sl_buf_append_str(&buf, "def"), SL_OK);
    CHECK_INT(sl_buf_putc(&buf, '!'), SL_OK);
    CHECK_INT(sl_buf_append(&buf, NULL, 0), SL_OK);
    CHECK_STR(buf.data, "abcdef!");
    CHECK_INT(buf.len, 7);
    CHECK_INT(sl_buf_append(&buf, "x\0y", 3), SL_OK); /* binary content is kept */
    CHECK_INT(buf.len, 10);
    CHECK(memcmp(buf.data + 7, "x\0y", 4) == 0);
    sl_buf_free(&buf);
    CHECK(buf.data == NULL);
    CHECK_INT(buf.len, 0);

    struct sl_buf zero = {0};
    sl_buf_free(&zero); /* a zeroed buffer may be freed */
    sl_buf_free(NULL);
}

static void test_buf_grows_over_many_appends(void)
{
    struct sl_buf buf;
    bool ok = true;

    sl_buf_init(&buf, 1 << 20);
    for (int i = 0; i < 100000; i++) {
        if (sl_buf_putc(&buf, (char)('a' + i % 26)) != SL_OK)
            ok = false;
        if (buf.cap < buf.len + 1 || buf.data[buf.len] != '\0')
            ok = false;
    }
    CHECK(ok);
    CHECK_INT(buf.len, 100000);
    for (int i = 0; i < 100000 && ok; i++)
        if (buf.data[i] != (char)('a' + i % 26))
            ok = false;
    CHECK(ok);
    CHECK(buf.cap <= buf.max + 1);

    /* one big append after small ones */
    char *big = malloc(500000);
    REQUIRE(big != NULL);
    memset(big, 'z', 500000);
    CHECK_INT(sl_buf_append(&buf, big, 500000), SL_OK);
    CHECK_INT(buf.len, 600000);
    CHECK(buf.data[599999] == 'z' && buf.data[600000] == '\0');
    free(big);
    sl_buf_free(&buf);
}

static void test_buf_max_limit(void)
{
    struct sl_buf buf;

    sl_buf_init(&buf, 10);
    CHECK_INT(sl_buf_append(&buf, "0123456789", 10), SL_OK); /* exactly max */
    CHECK(buf.cap <= 11);
    CHECK_INT(sl_buf_putc(&buf, 'x'), SL_ELIMIT);
    CHECK_INT(sl_buf_append(&buf, "x", 1), SL_ELIMIT);
    CHECK_INT(sl_buf_printf(&buf, "%d", 1), SL_ELIMIT);
    CHECK_INT(sl_buf_reserve(&buf, 1), SL_ELIMIT);
    CHECK_INT(sl_buf_reserve(&buf, SIZE_MAX), SL_ELIMIT);
    CHECK_INT(sl_buf_append(&buf, "", 0), SL_OK);
    CHECK_STR(buf.data, "0123456789"); /* unchanged by the failed appends */
    CHECK_INT(buf.len, 10);
    sl_buf_reset(&buf);
    CHECK_INT(sl_buf_printf(&buf, "%s", "0123456789A"), SL_ELIMIT);
    CHECK_INT(buf.len, 0);
    CHECK_STR(buf.data, "");
    sl_buf_free(&buf);

    sl_buf_init(&buf, 0);
    CHECK_INT(sl_buf_append(&buf, "", 0), SL_OK);
    CHECK_STR(buf.data, "");
    CHECK_INT(sl_buf_putc(&buf, 'a'), SL_ELIMIT);
    sl_buf_free(&buf);

    /* a limit just above the 64-byte first allocation: growth stops at max */
    sl_buf_init(&buf, 100);
    for (int i = 0; i < 100; i++)
        CHECK_INT(sl_buf_putc(&buf, 'q'), SL_OK);
    CHECK_INT(buf.cap, 101);
    CHECK_INT(sl_buf_putc(&buf, 'q'), SL_ELIMIT);
    sl_buf_free(&buf);
}

/* Regression: with max = SIZE_MAX ("no limit") reserve computed max + 1 == 0,
 * shrank the buffer to 1 byte and the append overflowed the heap. */
static void test_buf_unlimited_max_regression(void)
{
    struct sl_buf buf;

    sl_buf_init(&buf, SIZE_MAX);
    CHECK_INT(sl_buf_append_str(&buf, "hello world, longer than one byte"), SL_OK);
    CHECK_STR(buf.data, "hello world, longer than one byte");
    CHECK(buf.cap > buf.len);
    for (int i = 0; i < 20000; i++)
        CHECK_INT(sl_buf_printf(&buf, "%04d", i % 10000), SL_OK);
    CHECK_INT(buf.len, 33 + 20000 * 4);
    CHECK(memcmp(buf.data + buf.len - 8, "99989999", 8) == 0);
    /* sizes that cannot be allocated fail cleanly */
    CHECK(sl_buf_reserve(&buf, SIZE_MAX) != SL_OK);
    CHECK(sl_buf_reserve(&buf, SIZE_MAX - buf.len) != SL_OK);
    CHECK_INT(buf.len, 33 + 20000 * 4);
    sl_buf_free(&buf);
}

static void test_buf_printf(void)
{
    struct sl_buf buf;
    char expect[64];

    sl_buf_init(&buf, 1 << 20);
    CHECK_INT(sl_buf_printf(&buf, "%s", ""), SL_OK);
    CHECK(buf.data != NULL);
    CHECK_STR(buf.data, "");
    CHECK_INT(sl_buf_printf(&buf, "lsn=%X/%X n=%d", 0x16u, 0xB374D848u, -5), SL_OK);
    CHECK_STR(buf.data, "lsn=16/B374D848 n=-5");
    /* a formatted string longer than the current capacity */
    sl_buf_reset(&buf);
    CHECK_INT(sl_buf_printf(&buf, "%0300d|", 7), SL_OK);
    CHECK_INT(buf.len, 301);
    CHECK(buf.data[0] == '0' && buf.data[299] == '7' && buf.data[300] == '|');
    bool ok = true;
    for (int i = 0; i < 1000; i++) {
        size_t before = buf.len;
        int n = snprintf(expect, sizeof(expect), "[%d:%s]", i, i % 2 ? "odd" : "even");
        if (sl_buf_printf(&buf, "[%d:%s]", i, i % 2 ? "odd" : "even") != SL_OK ||
            buf.len != before + (size_t)n || memcmp(buf.data + before, expect, (size_t)n) != 0 ||
            buf.data[buf.len] != '\0')
            ok = false;
    }
    CHECK(ok);
    sl_buf_free(&buf);
}

static void test_buf_reset_keeps_memory(void)
{
    struct sl_buf buf;

    sl_buf_init(&buf, 4096);
    CHECK_INT(sl_buf_append_str(&buf, "some text"), SL_OK);
    char *data = buf.data;
    size_t cap = buf.cap;
    sl_buf_reset(&buf);
    CHECK_INT(buf.len, 0);
    CHECK(buf.data == data);
    CHECK_INT(buf.cap, cap);
    CHECK_STR(buf.data, "");
    sl_alloc_fail_after(1); /* reuse needs no allocation */
    CHECK_INT(sl_buf_append_str(&buf, "again"), SL_OK);
    sl_alloc_fail_after(0);
    CHECK_STR(buf.data, "again");
    sl_buf_free(&buf);

    struct sl_buf zero = {0};
    sl_buf_reset(&zero);
}

static void test_buf_detach(void)
{
    struct sl_buf buf;

    sl_buf_init(&buf, 100);
    CHECK_INT(sl_buf_append_str(&buf, "owned"), SL_OK);
    char *s = sl_buf_detach(&buf);
    CHECK_STR(s, "owned");
    CHECK(buf.data == NULL);
    CHECK_INT(buf.len, 0);
    CHECK_INT(buf.cap, 0);
    CHECK_INT(buf.max, 100);
    sl_free(s);
    /* usable after detach; detaching an empty buffer gives an owned "" */
    CHECK_INT(sl_buf_append_str(&buf, "more"), SL_OK);
    CHECK_STR(buf.data, "more");
    sl_buf_free(&buf);
    s = sl_buf_detach(&buf);
    CHECK_STR(s, "");
    sl_free(s);
    sl_buf_free(&buf);
}

static void test_buf_allocation_failure_leaves_content(void)
{
    struct sl_buf buf;

    sl_buf_init(&buf, 1 << 20);
    CHECK_INT(sl_buf_append_str(&buf, "kept"), SL_OK);
    sl_alloc_fail_after(1);
    CHECK_INT(sl_buf_append(&buf, "x", 1), SL_OK); /* fits: no allocation */
    char big[200];
    memset(big, 'b', sizeof(big));
    CHECK_INT(sl_buf_append(&buf, big, sizeof(big)), SL_ENOMEM);
    CHECK_STR(buf.data, "keptx");
    sl_alloc_fail_after(1);
    CHECK_INT(sl_buf_printf(&buf, "%0200d", 1), SL_ENOMEM);
    CHECK_STR(buf.data, "keptx");
    sl_alloc_fail_after(0);
    CHECK_INT(sl_buf_append(&buf, big, sizeof(big)), SL_OK);
    CHECK_INT(buf.len, 205);
    sl_buf_free(&buf);
}

/* ---------------------------------------------------------------- arena */

static bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

static void test_arena_alignment_and_separation(void)
{
    struct sl_arena arena;
    unsigned char *ptrs[2000];
    size_t sizes[2000];
    bool ok = true;

    sl_arena_init(&arena, 4096);
    size_t total = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(ptrs); i++) {
        sizes[i] = (i * 37) % 301; /* 0..300, including 0 */
        ptrs[i] = sl_arena_alloc(&arena, sizes[i]);
        if (ptrs[i] == NULL || !aligned16(ptrs[i]))
            ok = false;
        else
            memset(ptrs[i], (int)(i & 0xff), sizes[i]);
        total += (sizes[i] + 15) & ~(size_t)15;
    }
    CHECK(ok);
    CHECK_INT(arena.used_total, total);
    /* nothing overlapped: every allocation still holds its own pattern */
    for (size_t i = 0; i < SL_ARRAY_LEN(ptrs) && ok; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff))
                ok = false;
    CHECK(ok);
    sl_arena_free(&arena);
    CHECK(arena.head == NULL);
}

static void test_arena_large_allocations(void)
{
    struct sl_arena arena;

    sl_arena_init(&arena, 1024);
    unsigned char *small = sl_arena_alloc(&arena, 16);
    unsigned char *large = sl_arena_alloc(&arena, 100000);
    REQUIRE(small != NULL && large != NULL);
    CHECK(aligned16(large));
    memset(large, 0xAB, 100000);
    memset(small, 0xCD, 16);
    CHECK(large[0] == 0xAB && large[99999] == 0xAB);

    /* Regression: a large request used to become the current block, so the
     * next small request abandoned the partly used one and took a new block. */
    sl_alloc_fail_after(1);
    void *after = sl_arena_alloc(&arena, 16);
    sl_alloc_fail_after(0);
    CHECK(after != NULL);
    for (int i = 0; i < 50; i++) {
        unsigned char *big = sl_arena_alloc(&arena, 5000 + (size_t)i);
        void *tiny;
        REQUIRE(big != NULL);
        memset(big, i, 5000 + (size_t)i);
        sl_alloc_fail_after(1);
        tiny = sl_arena_alloc(&arena, 8);
        sl_alloc_fail_after(0);
        if (tiny == NULL) { /* the first block filled up: a new one is fine */
            tiny = sl_arena_alloc(&arena, 8);
            CHECK(i > 30);
        }
        CHECK(tiny != NULL && aligned16(tiny));
    }
    CHECK(small[0] == 0xCD && large[50000] == 0xAB);
    sl_arena_free(&arena);
}

/* Regression: sizes near SIZE_MAX wrapped sizeof(block) + size and returned a
 * pointer past a tiny allocation. */
static void test_arena_size_overflow_regression(void)
{
    struct sl_arena arena;

    sl_arena_init(&arena, 1024);
    CHECK(sl_arena_alloc(&arena, SIZE_MAX) == NULL);
    CHECK(sl_arena_alloc(&arena, SIZE_MAX - 20) == NULL);
    CHECK(sl_arena_alloc(&arena, SIZE_MAX - 15) == NULL);
    CHECK(sl_arena_alloc(&arena, SIZE_MAX - 40) == NULL);
    CHECK_INT(arena.used_total, 0);
    void *p = sl_arena_alloc(&arena, 10);
    CHECK(p != NULL);
    sl_arena_free(&arena);
}

static void test_arena_reset(void)
{
    struct sl_arena arena;
    void *p;

    sl_arena_init(&arena, 2048);
    for (int i = 0; i < 100; i++)
        CHECK(sl_arena_alloc(&arena, 100) != NULL);
    CHECK(sl_arena_alloc(&arena, 50000) != NULL);
    sl_arena_reset(&arena);
    CHECK_INT(arena.used_total, 0);
    /* the kept block serves the next allocations without malloc */
    sl_alloc_fail_after(1);
    p = sl_arena_alloc(&arena, 1000);
    sl_alloc_fail_after(0);
    CHECK(p != NULL);
    CHECK_INT(arena.used_total, 1008);
    sl_arena_reset(&arena);
    sl_arena_reset(&arena);
    CHECK_INT(arena.used_total, 0);
    sl_arena_free(&arena);

    /* Regression: reset kept only the oldest block, so an arena whose first
     * request was large kept nothing */
    sl_arena_init(&arena, 2048);
    CHECK(sl_arena_alloc(&arena, 10000) != NULL);
    CHECK(sl_arena_alloc(&arena, 10) != NULL);
    sl_arena_reset(&arena);
    sl_alloc_fail_after(1);
    p = sl_arena_alloc(&arena, 10);
    sl_alloc_fail_after(0);
    CHECK(p != NULL);
    sl_arena_free(&arena);

    struct sl_arena zero = {0};
    sl_arena_reset(&zero);
    sl_arena_free(&zero);
    sl_arena_free(NULL);
}

static void test_arena_strndup_and_failure(void)
{
    struct sl_arena arena;

    sl_arena_init(&arena, 100); /* raised to the minimum block size */
    char *s = sl_arena_strndup(&arena, "hello world", 5);
    CHECK_STR(s, "hello");
    char *e = sl_arena_strndup(&arena, NULL, 0);
    CHECK_STR(e, "");
    sl_arena_free(&arena);

    sl_arena_init(&arena, 1024);
    sl_alloc_fail_after(1);
    CHECK(sl_arena_alloc(&arena, 10) == NULL);
    CHECK(sl_arena_strndup(&arena, "x", 1) != NULL); /* works again after the failure */
    sl_alloc_fail_after(1);
    CHECK(sl_arena_alloc(&arena, 5000) == NULL);
    CHECK(sl_arena_alloc(&arena, 5000) != NULL);
    sl_arena_free(&arena);
}

/* ---------------------------------------------------------------- hash map */

/* Mirrors hash_u64 in src/core/u64map.c to build keys that share a home slot
 * (long probe runs, runs that wrap around the table end). If the hash changes,
 * these keys stop colliding: the tests still pass but test less. */
static size_t home_slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

/* Values are fake pointers derived from keys; the map never dereferences them. */
static void *value_of(uint64_t key)
{
    return (void *)(uintptr_t)(key * 2 + 1);
}

static void test_u64map_basics(void)
{
    struct sl_u64map map;
    int a = 1, b = 2;

    sl_u64map_init(&map);
    CHECK(sl_u64map_get(&map, 5) == NULL);
    CHECK(sl_u64map_remove(&map, 5) == NULL);
    size_t pos = 0;
    CHECK(!sl_u64map_next(&map, &pos, NULL, NULL));

    CHECK_INT(sl_u64map_put(&map, 5, &a), SL_OK);
    CHECK_INT(sl_u64map_put(&map, 0, &b), SL_OK); /* key 0 is an ordinary key */
    CHECK_INT(sl_u64map_put(&map, UINT64_MAX, &b), SL_OK);
    CHECK_INT(map.count, 3);
    CHECK(sl_u64map_get(&map, 5) == &a);
    CHECK(sl_u64map_get(&map, 0) == &b);
    CHECK(sl_u64map_get(&map, UINT64_MAX) == &b);
    CHECK(sl_u64map_get(&map, 6) == NULL);
    CHECK_INT(sl_u64map_put(&map, 5, &b), SL_OK); /* replaces */
    CHECK_INT(map.count, 3);
    CHECK(sl_u64map_get(&map, 5) == &b);
    CHECK(sl_u64map_remove(&map, 5) == &b);
    CHECK(sl_u64map_remove(&map, 5) == NULL);
    CHECK(sl_u64map_get(&map, 5) == NULL);
    CHECK_INT(map.count, 2);
    sl_u64map_free(&map);
    CHECK_INT(map.count, 0);
    CHECK(sl_u64map_get(&map, 0) == NULL);

    struct sl_u64map zero = {0};
    sl_u64map_free(&zero);
    sl_u64map_free(NULL);
}

static void test_u64map_many_keys(void)
{
    struct sl_u64map map;
    const uint64_t n = 100000;
    bool ok = true;

    sl_u64map_init(&map);
    for (uint64_t k = 0; k < n; k++)
        if (sl_u64map_put(&map, k, value_of(k)) != SL_OK)
            ok = false;
    CHECK(ok);
    CHECK_INT(map.count, n);
    CHECK(map.count * 4 <= map.cap * 3);
    for (uint64_t k = 0; k < n; k++)
        if (sl_u64map_get(&map, k) != value_of(k))
            ok = false;
    CHECK(ok);
    for (uint64_t k = 0; k < n; k += 2)
        if (sl_u64map_remove(&map, k) != value_of(k))
            ok = false;
    CHECK(ok);
    CHECK_INT(map.count, n / 2);
    for (uint64_t k = 0; k < n; k++)
        if (sl_u64map_get(&map, k) != (k % 2 ? value_of(k) : NULL))
            ok = false;
    CHECK(ok);
    sl_u64map_free(&map);

    /* patterns that defeat weak hashes: high bits only, large strides */
    const uint64_t strides[] = {UINT64_C(1) << 32, UINT64_C(1) << 20, 4096, 1000003,
                                UINT64_C(1) << 50}; /* k * stride stays below 2^64 */
    for (size_t s = 0; s < SL_ARRAY_LEN(strides); s++) {
        sl_u64map_init(&map);
        for (uint64_t k = 1; k <= 5000; k++)
            if (sl_u64map_put(&map, k * strides[s], value_of(k)) != SL_OK)
                ok = false;
        for (uint64_t k = 1; k <= 5000; k += 3)
            sl_u64map_remove(&map, k * strides[s]);
        for (uint64_t k = 1; k <= 5000; k++)
            if (sl_u64map_get(&map, k * strides[s]) != ((k - 1) % 3 ? value_of(k) : NULL))
                ok = false;
        sl_u64map_free(&map);
    }
    CHECK(ok);
}

/* Keys whose home slot in a table of cap slots is one of homes[]. */
static size_t colliding_keys(size_t cap, const size_t *homes, size_t nhomes, uint64_t *out,
                             size_t want)
{
    size_t n = 0;
    for (uint64_t k = 1; n < want && k < 100000000; k++) {
        size_t h = home_slot(k, cap);
        for (size_t i = 0; i < nhomes; i++) {
            if (h == homes[i]) {
                out[n++] = k;
                break;
            }
        }
    }
    return n;
}

static void test_u64map_probe_runs_and_wraparound(void)
{
    /* 12 keys stay in a 16-slot table (it grows past 3/4): 7 share the last
     * slot so their run wraps to the front, where 5 more have their homes */
    const size_t homes_end[] = {15};
    const size_t homes_front[] = {0, 1};
    uint64_t keys[12];
    uint64_t rng = 42;
    bool ok = true;

    REQUIRE(colliding_keys(16, homes_end, 1, keys, 7) == 7);
    REQUIRE(colliding_keys(16, homes_front, 2, keys + 7, 5) == 5);
    for (int round = 0; round < 2000; round++) {
        struct sl_u64map map;
        bool present[12];
        size_t order[12];

        sl_u64map_init(&map);
        for (size_t i = 0; i < 12; i++)
            order[i] = i;
        for (size_t i = 11; i > 0; i--) { /* shuffled insertion */
            size_t j = (size_t)(next_random(&rng) % (i + 1));
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < 12; i++) {
            if (sl_u64map_put(&map, keys[order[i]], value_of(keys[order[i]])) != SL_OK)
                ok = false;
            present[order[i]] = true;
        }
        if (map.cap != 16)
            ok = false;
        for (size_t i = 11; i > 0; i--) { /* shuffled removal */
            size_t j = (size_t)(next_random(&rng) % (i + 1));
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t r = 0; r < 12; r++) {
            if (sl_u64map_remove(&map, keys[order[r]]) != value_of(keys[order[r]]))
                ok = false;
            present[order[r]] = false;
            for (size_t i = 0; i < 12; i++)
                if (sl_u64map_get(&map, keys[i]) != (present[i] ? value_of(keys[i]) : NULL))
                    ok = false;
            /* re-adding a removed key now and then keeps the runs churning */
            if (r % 4 == 3) {
                size_t back = order[r];
                if (sl_u64map_put(&map, keys[back], value_of(keys[back])) != SL_OK ||
                    sl_u64map_remove(&map, keys[back]) != value_of(keys[back]))
                    ok = false;
            }
        }
        if (map.count != 0)
            ok = false;
        sl_u64map_free(&map);
    }
    CHECK(ok);
}

/* Checks that iteration yields exactly the model's keys, each once. */
static bool map_matches_model(const struct sl_u64map *map, const uint64_t *pool,
                              const bool *present, size_t npool)
{
    size_t pos = 0, seen = 0, expected = 0;
    uint64_t key;
    void *value;

    for (size_t i = 0; i < npool; i++)
        expected += present[i];
    if (map->count != expected)
        return false;
    while (sl_u64map_next(map, &pos, &key, &value)) {
        if (value != value_of(key))
            return false;
        seen++;
    }
    if (seen != expected)
        return false;
    for (size_t i = 0; i < npool; i++)
        if (sl_u64map_get(map, pool[i]) != (present[i] ? value_of(pool[i]) : NULL))
            return false;
    return true;
}

static void test_u64map_random_ops_against_model(void)
{
    /* key pool: small integers plus a cluster of keys that share 8 home slots
     * around the end of a 2048-slot table, where the map spends this test */
    enum { SMALL = 1500, CLUSTER = 300, POOL = SMALL + CLUSTER };
    static uint64_t pool[POOL];
    static bool present[POOL];
    const size_t homes[] = {2044, 2045, 2046, 2047, 0, 1, 2, 3};
    struct sl_u64map map;
    uint64_t rng = 7;
    bool ok = true;

    for (size_t i = 0; i < SMALL; i++)
        pool[i] = i;
    REQUIRE(colliding_keys(2048, homes, SL_ARRAY_LEN(homes), pool + SMALL, CLUSTER) == CLUSTER);
    for (size_t i = SMALL; i < POOL; i++) /* no duplicates with the small keys */
        if (pool[i] < SMALL)
            pool[i] += UINT64_C(1) << 40; /* changes its home: still a fine key */
    memset(present, 0, sizeof(present));

    sl_u64map_init(&map);
    for (int op = 0; op < 100000 && ok; op++) {
        uint64_t r = next_random(&rng);
        size_t i = (size_t)(r % POOL);
        unsigned kind = (unsigned)((r >> 32) % 10);
        if (kind < 5) {
            if (sl_u64map_put(&map, pool[i], value_of(pool[i])) != SL_OK)
                ok = false;
            present[i] = true;
        } else if (kind < 9) {
            void *old = sl_u64map_remove(&map, pool[i]);
            if (old != (present[i] ? value_of(pool[i]) : NULL))
                ok = false;
            present[i] = false;
        } else {
            if (sl_u64map_get(&map, pool[i]) != (present[i] ? value_of(pool[i]) : NULL))
                ok = false;
        }
        if (op % 5000 == 0 && !map_matches_model(&map, pool, present, POOL))
            ok = false;
        if (!ok)
            fprintf(stderr, "  model mismatch at op %d (key %llu)\n", op,
                    (unsigned long long)pool[i]);
    }
    CHECK(ok);
    CHECK(map_matches_model(&map, pool, present, POOL));
    /* drain everything */
    for (size_t i = 0; i < POOL; i++) {
        sl_u64map_remove(&map, pool[i]);
        present[i] = false;
    }
    CHECK(map_matches_model(&map, pool, present, POOL));
    CHECK_INT(map.count, 0);
    sl_u64map_free(&map);
}

static void test_u64map_iteration(void)
{
    struct sl_u64map map;
    static unsigned char seen[1000];
    size_t pos = 0, count = 0;
    uint64_t key;
    void *value;
    bool ok = true;

    sl_u64map_init(&map);
    for (uint64_t k = 0; k < 1000; k++)
        CHECK_INT(sl_u64map_put(&map, k * 7919, value_of(k)), SL_OK);
    while (sl_u64map_next(&map, &pos, &key, &value)) {
        uint64_t k = key / 7919;
        if (key % 7919 != 0 || k >= 1000 || seen[k] || value != value_of(k))
            ok = false;
        else
            seen[k] = 1;
        count++;
    }
    CHECK(ok);
    CHECK_INT(count, 1000);
    CHECK(!sl_u64map_next(&map, &pos, &key, &value)); /* stays at the end */
    /* key and value outputs are optional */
    pos = 0;
    count = 0;
    while (sl_u64map_next(&map, &pos, NULL, NULL))
        count++;
    CHECK_INT(count, 1000);
    sl_u64map_free(&map);
}

static void test_u64map_allocation_failure(void)
{
    struct sl_u64map map;
    bool ok = true;

    sl_u64map_init(&map);
    sl_alloc_fail_after(1);
    CHECK_INT(sl_u64map_put(&map, 1, value_of(1)), SL_ENOMEM);
    CHECK_INT(map.count, 0);
    for (uint64_t k = 0; k < 12; k++) /* fills 16 slots to 3/4 */
        CHECK_INT(sl_u64map_put(&map, k, value_of(k)), SL_OK);
    CHECK_INT(map.cap, 16);
    sl_alloc_fail_after(1);
    CHECK_INT(sl_u64map_put(&map, 5, value_of(50)), SL_OK); /* replace: no growth */
    CHECK_INT(sl_u64map_put(&map, 100, value_of(100)), SL_ENOMEM); /* growth fails */
    CHECK_INT(map.count, 12);
    CHECK_INT(map.cap, 16);
    CHECK(sl_u64map_get(&map, 100) == NULL);
    for (uint64_t k = 0; k < 12; k++)
        if (sl_u64map_get(&map, k) != value_of(k == 5 ? 50 : k))
            ok = false;
    CHECK(ok);
    CHECK_INT(sl_u64map_put(&map, 100, value_of(100)), SL_OK);
    CHECK_INT(map.cap, 32);
    CHECK(sl_u64map_get(&map, 100) == value_of(100));
    sl_u64map_free(&map);
}

/* ---------------------------------------------------------------- parse */

static void test_parse_u64(void)
{
    uint64_t v = 0;

    CHECK_INT(sl_parse_u64("0", &v), SL_OK);
    CHECK(v == 0);
    CHECK_INT(sl_parse_u64("42", &v), SL_OK);
    CHECK(v == 42);
    CHECK_INT(sl_parse_u64("007", &v), SL_OK);
    CHECK(v == 7);
    CHECK_INT(sl_parse_u64("18446744073709551615", &v), SL_OK);
    CHECK(v == UINT64_MAX);
    CHECK_INT(sl_parse_u64("18446744073709551610", &v), SL_OK);
    CHECK(v == UINT64_MAX - 5);
    CHECK_INT(sl_parse_u64("1844674407370955161", &v), SL_OK);
    CHECK(v == UINT64_MAX / 10);

    const char *bad[] = {"18446744073709551616", "18446744073709551620",
                         "99999999999999999999", "184467440737095516150",
                         "",   " 1", "1 ", "-1", "+1", "1a", "0x10", "1.5", "1e3", "\xd9\xa1",
                         "\t7", "12\n"};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        v = 12345;
        if (sl_parse_u64(bad[i], &v) != SL_EINVAL || v != 12345) {
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
            CHECK(false);
        }
    }
    CHECK_INT(sl_parse_u64(NULL, &v), SL_EINVAL);
}

/* ---------------------------------------------------------------- errors */

static void test_error_set_and_prefix(void)
{
    struct sl_error err;

    CHECK_INT(sl_error_set(&err, SL_EPROTO, "bad byte %d at %s", 7, "offset 3"), SL_EPROTO);
    CHECK_INT(err.code, SL_EPROTO);
    CHECK(!err.retriable);
    CHECK_STR(err.message, "bad byte 7 at offset 3");
    sl_error_prefix(&err, "decoding %s", "Insert");
    CHECK_STR(err.message, "decoding Insert: bad byte 7 at offset 3");
    sl_error_prefix(&err, "table %s.%s", "public", "t");
    CHECK_STR(err.message, "table public.t: decoding Insert: bad byte 7 at offset 3");
    CHECK_INT(err.code, SL_EPROTO);

    CHECK_INT(sl_error_set(&err, SL_ECONN, "gone"), SL_ECONN);
    CHECK(err.retriable);
    CHECK_INT(sl_error_set(&err, SL_EIO, "disk"), SL_EIO);
    CHECK(err.retriable);
    CHECK_INT(sl_error_set(&err, SL_EINVAL, "x"), SL_EINVAL);
    CHECK(!err.retriable);

    sl_error_clear(&err);
    CHECK_INT(err.code, SL_OK);
    CHECK(!err.retriable);
    CHECK_STR(err.message, "");

    /* a NULL error is allowed everywhere */
    CHECK_INT(sl_error_set(NULL, SL_ENOMEM, "x %d", 1), SL_ENOMEM);
    sl_error_prefix(NULL, "y");
    sl_error_clear(NULL);
}

static void test_error_messages_truncate_safely(void)
{
    struct sl_error err;
    char long_text[3000];

    memset(long_text, 'm', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    sl_error_set(&err, SL_EIO, "%s", long_text);
    CHECK_INT(strlen(err.message), SL_ERROR_MESSAGE_MAX - 1);

    /* the prefix goes first and the old message is cut at the end */
    sl_error_prefix(&err, "ctx");
    CHECK_INT(strlen(err.message), SL_ERROR_MESSAGE_MAX - 1);
    CHECK(strncmp(err.message, "ctx: mmm", 8) == 0);

    /* a prefix longer than the whole message */
    sl_error_set(&err, SL_EIO, "short");
    sl_error_prefix(&err, "%s", long_text);
    CHECK_INT(strlen(err.message), SL_ERROR_MESSAGE_MAX - 1);
    CHECK(err.message[0] == 'm');

    /* a prefix that leaves room for part of the separator only */
    memset(long_text, 'p', SL_ERROR_MESSAGE_MAX - 2);
    long_text[SL_ERROR_MESSAGE_MAX - 2] = '\0';
    sl_error_set(&err, SL_EIO, "tail");
    sl_error_prefix(&err, "%s", long_text);
    CHECK_INT(strlen(err.message), SL_ERROR_MESSAGE_MAX - 1);
    CHECK(err.message[SL_ERROR_MESSAGE_MAX - 2] == ':');

    /* the prefix format may use the current message as an argument */
    sl_error_set(&err, SL_EIO, "abc");
    sl_error_prefix(&err, "[%s]", err.message);
    CHECK_STR(err.message, "[abc]: abc");
}

static void test_error_code_names(void)
{
    CHECK_STR(sl_error_code_name(SL_OK), "OK");
    CHECK_STR(sl_error_code_name(SL_EINVAL), "EINVAL");
    CHECK_STR(sl_error_code_name(SL_ENOMEM), "ENOMEM");
    CHECK_STR(sl_error_code_name(SL_EIO), "EIO");
    CHECK_STR(sl_error_code_name(SL_EPROTO), "EPROTO");
    CHECK_STR(sl_error_code_name(SL_ECONN), "ECONN");
    CHECK_STR(sl_error_code_name(SL_ECONFIG), "ECONFIG");
    CHECK_STR(sl_error_code_name(SL_ELIMIT), "ELIMIT");
    CHECK_STR(sl_error_code_name(SL_ENOTFOUND), "ENOTFOUND");
    CHECK_STR(sl_error_code_name(SL_EINTR), "EINTR");
    CHECK_STR(sl_error_code_name(SL_EPEER), "EPEER");
    CHECK_STR(sl_error_code_name(SL_EEXIST), "EEXIST");
    CHECK_STR(sl_error_code_name(-12), "EUNKNOWN");
    CHECK_STR(sl_error_code_name(1), "EUNKNOWN");
}

/* ---------------------------------------------------------------- allocation */

static void test_alloc_fail_hook(void)
{
    void *p;

    /* 1 = the next allocation fails, and only that one */
    sl_alloc_fail_after(1);
    CHECK(sl_malloc(10) == NULL);
    p = sl_malloc(10);
    CHECK(p != NULL);
    sl_free(p);

    /* 3 = the third from now; all wrappers count */
    sl_alloc_fail_after(3);
    void *a = sl_malloc(1);
    void *b = sl_calloc(2, 8);
    char *c = sl_strdup("x");
    CHECK(a != NULL && b != NULL);
    CHECK(c == NULL);
    sl_free(a);
    sl_free(b);

    sl_alloc_fail_after(1);
    p = sl_malloc(4);
    CHECK(p == NULL);
    p = sl_malloc(4);
    REQUIRE(p != NULL);
    memcpy(p, "abc", 4);
    sl_alloc_fail_after(1);
    CHECK(sl_realloc(p, 100) == NULL); /* p is still valid */
    CHECK_STR(p, "abc");
    void *q = sl_realloc(p, 100);
    REQUIRE(q != NULL);
    CHECK_STR(q, "abc");
    sl_free(q);

    sl_alloc_fail_after(2);
    sl_alloc_fail_after(0); /* disables */
    for (int i = 0; i < 5; i++) {
        p = sl_malloc(8);
        CHECK(p != NULL);
        sl_free(p);
    }
    sl_alloc_fail_after(1);
    CHECK(sl_strndup("abcdef", 3) == NULL);
    char *s = sl_strndup("abcdef", 3);
    CHECK_STR(s, "abc");
    sl_free(s);

    /* zero sizes still give a pointer that can be freed */
    p = sl_malloc(0);
    CHECK(p != NULL);
    sl_free(p);
    p = sl_calloc(0, 0);
    CHECK(p != NULL);
    sl_free(p);
    sl_free(NULL);
}

/* ---------------------------------------------------------------- logging and clocks */

static void test_log_levels_and_format(void)
{
    enum sl_log_level level = SL_LOG_ERROR;
    enum sl_log_level saved = sl_log_get_level();
    char templ[] = "/tmp/sluice-core-log-XXXXXX";
    char line[512];
    int fd, saved_stderr;
    FILE *f;

    CHECK_INT(sl_log_level_parse("debug", &level), SL_OK);
    CHECK_INT(level, SL_LOG_DEBUG);
    CHECK_INT(sl_log_level_parse("warn", &level), SL_OK);
    CHECK_INT(level, SL_LOG_WARN);
    CHECK_INT(sl_log_level_parse("error", &level), SL_OK);
    CHECK_INT(sl_log_level_parse("info", &level), SL_OK);
    CHECK_INT(level, SL_LOG_INFO);
    CHECK_INT(sl_log_level_parse("INFO", &level), SL_EINVAL);
    CHECK_INT(sl_log_level_parse("verbose", &level), SL_EINVAL);
    CHECK_INT(level, SL_LOG_INFO);

    /* capture stderr: one key=value line per event, lower levels dropped */
    fd = mkstemp(templ);
    REQUIRE(fd >= 0);
    unlink(templ);
    fflush(stderr);
    saved_stderr = dup(2);
    REQUIRE(saved_stderr >= 0);
    dup2(fd, 2);
    sl_log_set_level(SL_LOG_WARN);
    CHECK_INT(sl_log_get_level(), SL_LOG_WARN);
    sl_log(SL_LOG_INFO, "dropped", "x=%d", 1);
    sl_log(SL_LOG_WARN, "slot_lag", "slot=%s bytes=%d", "s1", 42);
    sl_log(SL_LOG_ERROR, "bare", NULL);
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    sl_log_set_level(saved);

    f = fdopen(fd, "r");
    REQUIRE(f != NULL);
    rewind(f);
    REQUIRE(fgets(line, sizeof(line), f) != NULL);
    CHECK(strncmp(line, "ts=", 3) == 0);
    CHECK(strstr(line, "Z level=warn event=slot_lag slot=s1 bytes=42\n") != NULL);
    REQUIRE(fgets(line, sizeof(line), f) != NULL);
    CHECK(strstr(line, " level=error event=bare\n") != NULL);
    CHECK(fgets(line, sizeof(line), f) == NULL);
    fclose(f);
}

static void test_clocks(void)
{
    int64_t a = sl_clock_monotonic_ms();
    int64_t b = sl_clock_monotonic_ms();
    int64_t wall = sl_clock_wall_us();
    int64_t now = (int64_t)time(NULL) * 1000000;

    CHECK(b >= a);
    CHECK(wall > INT64_C(1577836800000000)); /* after 2020-01-01 */
    CHECK(wall - now < 2000000 && now - wall < 2000000);
}


static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Walks the calendar day by day from 1600-03-01 to 2400-03-01 against a naive model. */
static void test_civil_from_unix_days_matches_a_day_by_day_walk(void)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct sl_civil_date d;
    int64_t year = 1600, month = 3, day = 1;
    int64_t start = -135080; /* 1600-03-01 */
    sl_civil_from_unix_days(start, &d);
    REQUIRE(d.year == 1600 && d.month == 3 && d.day == 1);
    for (int64_t n = start; n < start + 292194; n++) {
        sl_civil_from_unix_days(n, &d);
        if (sl_unix_days_from_civil(year, (int)month, (int)day) != n) {
            CHECK(false);
            fprintf(stderr, "  days_from_civil(%lld-%lld-%lld) != %lld\n", (long long)year,
                    (long long)month, (long long)day, (long long)n);
            return;
        }
        if (d.year != year || d.month != month || d.day != day) {
            CHECK(false);
            fprintf(stderr, "  day %lld: got %lld-%d-%d want %lld-%lld-%lld\n", (long long)n,
                    (long long)d.year, d.month, d.day, (long long)year, (long long)month,
                    (long long)day);
            return;
        }
        int64_t length = month_days[month - 1] + (month == 2 && is_leap(year));
        if (++day > length) {
            day = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
    }
    sl_civil_from_unix_days(0, &d);
    CHECK(d.year == 1970 && d.month == 1 && d.day == 1);
    sl_civil_from_unix_days(-719528, &d); /* 0000-01-01, i.e. 1 BC */
    CHECK(d.year == 0 && d.month == 1 && d.day == 1);
    sl_civil_from_unix_days(2932896, &d); /* 9999-12-31 */
    CHECK(d.year == 9999 && d.month == 12 && d.day == 31);
    CHECK(sl_unix_days_from_civil(0, 1, 1) == -719528);
    CHECK(sl_unix_days_from_civil(-4712, 1, 1) == sl_unix_days_from_civil(-4713, 1, 1) + 365);
    CHECK(sl_unix_days_from_civil(9999, 12, 31) == 2932896);
    CHECK(sl_floor_div(-7, 2) == -4 && sl_floor_div(7, 2) == 3 && sl_floor_div(-8, 2) == -4);
}

static void test_crc32c_vectors_and_hardware_matches_tables(void)
{
    unsigned char zeros[32] = {0}, ones[32], inc[32], dec[32];
    for (int i = 0; i < 32; i++) {
        ones[i] = 0xff;
        inc[i] = (unsigned char)i;
        dec[i] = (unsigned char)(31 - i);
    }
    /* RFC 3720 B.4 and the customary check value */
    CHECK(sl_crc32c(0, "123456789", 9) == 0xE3069283u);
    CHECK(sl_crc32c(0, zeros, 32) == 0x8A9136AAu);
    CHECK(sl_crc32c(0, ones, 32) == 0x62A8AB43u);
    CHECK(sl_crc32c(0, inc, 32) == 0x46DD794Eu);
    CHECK(sl_crc32c(0, dec, 32) == 0x113FDB5Cu);
    CHECK(sl_crc32c(0, "", 0) == 0);
    CHECK(sl_crc32c_portable(0, "123456789", 9) == 0xE3069283u);

    /* lengths and alignments around the 8-byte and 3 x 4096-byte strides,
     * in one call and continued over two calls */
    size_t cap = 3 * 4096 * 3 + 64;
    unsigned char *data = malloc(cap);
    REQUIRE(data != NULL);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < cap; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (unsigned char)x;
    }
    size_t lens[] = {0, 1, 7, 8, 9, 63, 4096, 12287, 12288, 12289, 24576 + 5, 3 * 4096 * 3};
    for (size_t off = 0; off < 9; off++) {
        for (size_t k = 0; k < SL_ARRAY_LEN(lens); k++) {
            size_t len = lens[k];
            uint32_t want = sl_crc32c_portable(0, data + off, len);
            CHECK(sl_crc32c(0, data + off, len) == want);
            size_t half = len / 3;
            CHECK(sl_crc32c(sl_crc32c(0, data + off, half), data + off + half, len - half) == want);
            CHECK(sl_crc32c_portable(sl_crc32c_portable(0, data + off, half), data + off + half,
                                     len - half) == want);
        }
    }
    free(data);
}

UNIT_TESTS(UNIT_TEST(test_crc32c_vectors_and_hardware_matches_tables),
           UNIT_TEST(test_civil_from_unix_days_matches_a_day_by_day_walk), UNIT_TEST(test_buf_append_keeps_nul_terminated_text),
           UNIT_TEST(test_buf_grows_over_many_appends), UNIT_TEST(test_buf_max_limit),
           UNIT_TEST(test_buf_unlimited_max_regression), UNIT_TEST(test_buf_printf),
           UNIT_TEST(test_buf_reset_keeps_memory), UNIT_TEST(test_buf_detach),
           UNIT_TEST(test_buf_allocation_failure_leaves_content),
           UNIT_TEST(test_arena_alignment_and_separation), UNIT_TEST(test_arena_large_allocations),
           UNIT_TEST(test_arena_size_overflow_regression), UNIT_TEST(test_arena_reset),
           UNIT_TEST(test_arena_strndup_and_failure), UNIT_TEST(test_u64map_basics),
           UNIT_TEST(test_u64map_many_keys), UNIT_TEST(test_u64map_probe_runs_and_wraparound),
           UNIT_TEST(test_u64map_random_ops_against_model), UNIT_TEST(test_u64map_iteration),
           UNIT_TEST(test_u64map_allocation_failure), UNIT_TEST(test_parse_u64),
           UNIT_TEST(test_error_set_and_prefix), UNIT_TEST(test_error_messages_truncate_safely),
           UNIT_TEST(test_error_code_names), UNIT_TEST(test_alloc_fail_hook),
           UNIT_TEST(test_log_levels_and_format), UNIT_TEST(test_clocks))

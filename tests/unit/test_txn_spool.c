/*
 * Unit tests for src/source/pg/txn_spool.c: commit order, whole and subxact
 * aborts, spilling under a tiny cap, I/O and allocation failures. Message bytes
 * derive from their LSN, so every replayed message is checked without a copy.
 */
#include "sluice/source_pg.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static uint8_t msg_byte(sl_lsn lsn, size_t k)
{
    uint64_t x = lsn * 0x9E3779B97F4A7C15ULL + k * 0xBF58476D1CE4E5B9ULL;
    return (uint8_t)(x >> 56);
}

static void fill_msg(sl_lsn lsn, uint8_t *buf, size_t len)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = msg_byte(lsn, k);
}

static bool msg_ok(sl_lsn lsn, const uint8_t *msg, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (msg[k] != msg_byte(lsn, k))
            return false;
    return true;
}

/* Appends a message whose bytes derive from lsn. Test memory uses plain malloc
 * so the allocation-failure hook counts only the spool's allocations. */
static int append(struct sl_txn_spool *spool, uint32_t top, uint32_t sub, sl_lsn lsn, size_t len,
                  struct sl_error *err)
{
    uint8_t small[512] = {0};
    uint8_t *buf = len <= sizeof(small) ? small : malloc(len);
    int rc;

    if (buf == NULL)
        return SL_ENOMEM;
    fill_msg(lsn, buf, len);
    rc = sl_txn_spool_append(spool, top, sub, lsn, buf, len, err);
    if (buf != small)
        free(buf);
    return rc;
}

/* What a replay delivered: LSNs and lengths in order, and whether every
 * message had the bytes its LSN implies. */
struct collector {
    sl_lsn *lsns;
    size_t *lens;
    size_t count, cap;
    bool bad_bytes;
    size_t fail_at; /* 1-based call that returns an error; 0 = never */
};

static int collect(void *ctx, sl_lsn lsn, const uint8_t *msg, size_t len, struct sl_error *err)
{
    struct collector *c = ctx;
    if (c->count == c->cap) {
        c->cap = c->cap == 0 ? 64 : c->cap * 2;
        c->lsns = realloc(c->lsns, c->cap * sizeof(*c->lsns));
        c->lens = realloc(c->lens, c->cap * sizeof(*c->lens));
        if (c->lsns == NULL || c->lens == NULL)
            abort();
    }
    c->lsns[c->count] = lsn;
    c->lens[c->count] = len;
    c->count++;
    if (!msg_ok(lsn, msg, len))
        c->bad_bytes = true;
    if (c->fail_at != 0 && c->count == c->fail_at)
        return sl_error_set(err, SL_EINTR, "sink stopped at message %zu", c->count);
    return 0;
}

static void collector_reset(struct collector *c)
{
    free(c->lsns);
    free(c->lens);
    memset(c, 0, sizeof(*c));
}

/* Expected messages of one transaction. */
struct expect {
    sl_lsn lsn;
    size_t len;
};

static bool collector_matches(const struct collector *c, const struct expect *want, size_t n)
{
    if (c->bad_bytes || c->count != n) {
        fprintf(stderr, "  replayed %zu messages (bad bytes: %d), want %zu\n", c->count,
                c->bad_bytes, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (c->lsns[i] != want[i].lsn || c->lens[i] != want[i].len) {
            fprintf(stderr, "  message %zu: lsn %llu len %zu, want lsn %llu len %zu\n", i,
                    (unsigned long long)c->lsns[i], c->lens[i],
                    (unsigned long long)want[i].lsn, want[i].len);
            return false;
        }
    }
    return true;
}

static uint64_t stream_bytes(const struct expect *want, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += 12 + want[i].len; /* the spool's record header is 12 bytes */
    return total;
}

static char *make_dir(char *templ)
{
    char *dir = mkdtemp(templ);
    if (dir == NULL)
        perror("mkdtemp");
    return dir;
}

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Open file descriptors (minus the one opendir uses) to catch leaked spill files. */
static int open_fds(void)
{
    return count_entries("/proc/self/fd") - 1;
}

/* Spill files held open under dir: "/dir/sluice-spool-XXXXXX (deleted)". */
static int deleted_spill_files_in(const char *dir)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char link[4096], target[4096];
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (strncmp(target, dir, strlen(dir)) == 0 && strstr(target, "/sluice-spool-") != NULL &&
            strstr(target, "(deleted)") != NULL)
            n++;
    }
    closedir(d);
    return n;
}

/* ---------------------------------------------------------------- basics */

static void test_commit_replays_in_order(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct expect want[100];

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(1 << 20, dir, &spool, &err) == SL_OK);
    for (size_t i = 0; i < 100; i++) {
        want[i].lsn = 0x1000000 + i * 40;
        want[i].len = i % 50; /* zero-length messages included */
        CHECK_INT(append(spool, 7, 7, want[i].lsn, want[i].len, &err), SL_OK);
    }
    CHECK(sl_txn_spool_memory_bytes(spool) >= stream_bytes(want, 100));
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);

    CHECK_INT(sl_txn_spool_replay(spool, 7, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, 100));
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);

    /* replayed transactions are gone; an unknown xid replays nothing */
    collector_reset(&c);
    CHECK_INT(sl_txn_spool_replay(spool, 7, collect, &c, &err), SL_OK);
    CHECK_INT(c.count, 0);
    CHECK_INT(sl_txn_spool_replay(spool, 12345, collect, &c, &err), SL_OK);
    CHECK_INT(c.count, 0);

    collector_reset(&c);
    sl_txn_spool_free(spool);
    CHECK_INT(count_entries(dir), 0);
    rmdir(dir);
}

static void test_null_and_bad_arguments(void)
{
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};

    sl_txn_spool_free(NULL);
    CHECK_INT(sl_txn_spool_memory_bytes(NULL), 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(NULL), 0);
    CHECK_INT(sl_txn_spool_new(1024, "/tmp", NULL, &err), SL_EINVAL);
    CHECK_INT(sl_txn_spool_append(NULL, 1, 1, 0, NULL, 0, &err), SL_EINVAL);
    REQUIRE(sl_txn_spool_new(1024, "/tmp", &spool, NULL) == SL_OK);
    CHECK_INT(sl_txn_spool_append(spool, 1, 1, 0, NULL, 5, &err), SL_EINVAL);
    CHECK_INT(sl_txn_spool_append(spool, 1, 1, 0, NULL, 0, &err), SL_OK); /* empty message */
    CHECK_INT(sl_txn_spool_replay(spool, 1, NULL, NULL, &err), SL_EINVAL);
    CHECK_INT(sl_txn_spool_abort(NULL, 1, 1, &err), SL_EINVAL);
    sl_txn_spool_free(spool);
}

static void test_default_spill_dir_is_tmpdir(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    const char *old = getenv("TMPDIR");
    char *saved = old != NULL ? strdup(old) : NULL;
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};

    REQUIRE(dir != NULL);
    setenv("TMPDIR", dir, 1);
    CHECK_INT(sl_txn_spool_new(0, NULL, &spool, &err), SL_OK); /* 0 = everything spills */
    if (saved != NULL)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    REQUIRE(spool != NULL);
    CHECK_INT(append(spool, 3, 3, 100, 10, &err), SL_OK);
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 22);
    CHECK_INT(deleted_spill_files_in(dir), 1);
    CHECK_INT(count_entries(dir), 0);
    sl_txn_spool_free(spool);
    CHECK_INT(deleted_spill_files_in(dir), 0);
    rmdir(dir);
}

/* ---------------------------------------------------------------- aborts */

static void test_abort_whole_transaction(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct expect keep[] = {{500, 30}, {510, 0}, {520, 300}};
    int fds;

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(64 * 1024, dir, &spool, &err) == SL_OK);
    fds = open_fds();
    CHECK_INT(append(spool, 1, 1, 100, 40, &err), SL_OK);
    CHECK_INT(append(spool, 2, 2, keep[0].lsn, keep[0].len, &err), SL_OK);
    CHECK_INT(append(spool, 1, 11, 110, 40, &err), SL_OK);
    CHECK_INT(append(spool, 1, 12, 120, 40, &err), SL_OK);
    CHECK_INT(append(spool, 2, 2, keep[1].lsn, keep[1].len, &err), SL_OK);
    size_t both = sl_txn_spool_memory_bytes(spool);

    CHECK_INT(sl_txn_spool_abort(spool, 1, 1, &err), SL_OK);
    CHECK(sl_txn_spool_memory_bytes(spool) < both);
    CHECK_INT(sl_txn_spool_replay(spool, 1, collect, &c, &err), SL_OK);
    CHECK_INT(c.count, 0);
    CHECK_INT(append(spool, 2, 2, keep[2].lsn, keep[2].len, &err), SL_OK);
    CHECK_INT(sl_txn_spool_replay(spool, 2, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, keep, 3));
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);

    /* a spilled transaction: its file goes away with it */
    for (sl_lsn lsn = 1000; lsn < 1400; lsn++)
        CHECK_INT(append(spool, 9, 9, lsn, 500, &err), SL_OK);
    CHECK(sl_txn_spool_spilled_bytes(spool) > 0);
    CHECK_INT(open_fds(), fds + 1);
    CHECK_INT(sl_txn_spool_abort(spool, 9, 9, &err), SL_OK);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    CHECK_INT(open_fds(), fds);

    /* aborting what is not there is not an error */
    CHECK_INT(sl_txn_spool_abort(spool, 9, 9, &err), SL_OK);
    CHECK_INT(sl_txn_spool_abort(spool, 77, 78, &err), SL_OK);

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

/*
 * BEGIN; a1; SAVEPOINT s10; b1 b2; SAVEPOINT s11; c1; ROLLBACK TO s11;
 * b3; SAVEPOINT s12; d1; ROLLBACK TO s10; a2; COMMIT  ->  a1 a2
 */
static void check_nested_subxact_aborts(size_t memory_limit, size_t msg_len)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    const uint32_t top = 1000;

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(memory_limit, dir, &spool, &err) == SL_OK);
    CHECK_INT(append(spool, top, top, 1, msg_len, &err), SL_OK);  /* a1 */
    CHECK_INT(append(spool, top, 1010, 2, msg_len, &err), SL_OK); /* b1 */
    CHECK_INT(append(spool, top, 1010, 3, msg_len, &err), SL_OK); /* b2 */
    CHECK_INT(append(spool, top, 1011, 4, msg_len, &err), SL_OK); /* c1 */
    CHECK_INT(sl_txn_spool_abort(spool, top, 1011, &err), SL_OK);
    CHECK_INT(append(spool, top, 1010, 5, msg_len, &err), SL_OK); /* b3 */
    CHECK_INT(append(spool, top, 1012, 6, msg_len, &err), SL_OK); /* d1 */

    /* an unknown subtransaction (or one already aborted) discards nothing */
    CHECK_INT(sl_txn_spool_abort(spool, top, 4242, &err), SL_OK);
    CHECK_INT(sl_txn_spool_abort(spool, top, 1011, &err), SL_OK);
    {
        struct expect mid[] = {{1, msg_len}, {2, msg_len}, {3, msg_len}, {5, msg_len},
                               {6, msg_len}};
        uint64_t held = sl_txn_spool_spilled_bytes(spool);
        if (held > 0) /* spilled: the file holds exactly the kept records */
            CHECK_INT(held, stream_bytes(mid, 5));
    }

    /* aborting s10 discards s12 too: it started later, so it is nested in s10 */
    CHECK_INT(sl_txn_spool_abort(spool, top, 1010, &err), SL_OK);
    CHECK_INT(sl_txn_spool_abort(spool, top, 1012, &err), SL_OK); /* gone already: no-op */
    CHECK_INT(append(spool, top, top, 7, msg_len, &err), SL_OK);  /* a2 */

    struct expect want[] = {{1, msg_len}, {7, msg_len}};
    uint64_t spilled = sl_txn_spool_spilled_bytes(spool);
    if (spilled > 0)
        CHECK_INT(spilled, stream_bytes(want, 2));
    CHECK_INT(sl_txn_spool_replay(spool, top, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, 2));
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

static void test_subxact_abort_nested_in_memory(void)
{
    check_nested_subxact_aborts(1 << 20, 100);
}

static void test_subxact_abort_nested_spilled_in_write_buffer(void)
{
    /* everything spills at once and stays in the write buffer */
    check_nested_subxact_aborts(0, 100);
}

static void test_subxact_abort_nested_spilled_on_disk(void)
{
    /* messages bigger than the write buffer: truncation happens in the file */
    check_nested_subxact_aborts(1024, 100 * 1024);
}

static void test_subxact_abort_first_subxact_discards_later_ones(void)
{
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};

    REQUIRE(sl_txn_spool_new(1 << 20, "/tmp", &spool, &err) == SL_OK);
    /* the first message of the transaction is in a subtransaction */
    CHECK_INT(append(spool, 50, 51, 1, 10, &err), SL_OK);
    CHECK_INT(append(spool, 50, 52, 2, 10, &err), SL_OK);
    CHECK_INT(append(spool, 50, 53, 3, 10, &err), SL_OK);
    CHECK_INT(append(spool, 50, 50, 4, 10, &err), SL_OK);
    CHECK_INT(sl_txn_spool_abort(spool, 50, 51, &err), SL_OK);
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    /* the transaction goes on; 52 and 53 were forgotten with 51 */
    CHECK_INT(append(spool, 50, 50, 5, 10, &err), SL_OK);
    CHECK_INT(append(spool, 50, 54, 6, 10, &err), SL_OK);
    CHECK_INT(append(spool, 50, 50, 7, 10, &err), SL_OK);
    CHECK_INT(sl_txn_spool_abort(spool, 50, 52, &err), SL_OK);
    CHECK_INT(sl_txn_spool_abort(spool, 50, 53, &err), SL_OK);
    struct expect want[] = {{5, 10}, {6, 10}, {7, 10}};
    CHECK_INT(sl_txn_spool_replay(spool, 50, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, 3));
    collector_reset(&c);
    sl_txn_spool_free(spool);
}

static void test_subxact_abort_after_spill(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct expect *want = calloc(4096, sizeof(*want));
    size_t n = 0;
    sl_lsn lsn = 0x5000000;

    REQUIRE(dir != NULL && want != NULL);
    REQUIRE(sl_txn_spool_new(4096, dir, &spool, &err) == SL_OK);
    /* subtransaction 21 starts while the transaction is still in memory */
    for (int i = 0; i < 5; i++, lsn += 8) {
        CHECK_INT(append(spool, 20, 20, lsn, 100, &err), SL_OK);
        want[n++] = (struct expect){lsn, 100};
    }
    CHECK_INT(append(spool, 20, 21, lsn, 100, &err), SL_OK);
    lsn += 8;
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    /* ~200 KB more of 21 and a nested 22: the transaction spills, the
     * write buffer is flushed several times */
    for (int i = 0; i < 2000; i++, lsn += 8)
        CHECK_INT(append(spool, 20, i < 1000 ? 21 : 22, lsn, 100, &err), SL_OK);
    CHECK(sl_txn_spool_spilled_bytes(spool) > 200000);
    CHECK(sl_txn_spool_memory_bytes(spool) <= 4096);

    /* abort 21: the file is cut back to where 21 began, before the spill */
    CHECK_INT(sl_txn_spool_abort(spool, 20, 21, &err), SL_OK);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), stream_bytes(want, n));
    {
        char path[4096];
        snprintf(path, sizeof(path), "%s", dir);
        CHECK_INT(deleted_spill_files_in(path), 1);
    }

    /* appends continue at the cut; a new subtransaction is tracked in the file */
    for (int i = 0; i < 3000; i++, lsn += 8) {
        uint32_t sub = i < 1500 ? 20 : 23;
        size_t len = (size_t)(i % 200);
        CHECK_INT(append(spool, 20, sub, lsn, len, &err), SL_OK);
        if (sub == 20)
            want[n++] = (struct expect){lsn, len};
    }
    CHECK_INT(sl_txn_spool_abort(spool, 20, 23, &err), SL_OK);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), stream_bytes(want, n));
    CHECK_INT(append(spool, 20, 20, lsn, 70000, &err), SL_OK); /* bigger than the I/O buffers */
    want[n++] = (struct expect){lsn, 70000};

    CHECK_INT(sl_txn_spool_replay(spool, 20, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, n));
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    CHECK_INT(deleted_spill_files_in(dir), 0);

    collector_reset(&c);
    free(want);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

/* ---------------------------------------------------------------- spilling */

static void test_largest_transaction_spills_first(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct expect big[64], small[64];
    size_t nbig = 0, nsmall = 0;

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(16 * 1024, dir, &spool, &err) == SL_OK);
    for (int i = 0; i < 4; i++) {
        small[nsmall] = (struct expect){(sl_lsn)(100 + i), 100};
        CHECK_INT(append(spool, 1, 1, small[nsmall].lsn, small[nsmall].len, &err), SL_OK);
        nsmall++;
    }
    /* transaction 2 grows until the cap is reached: it is the largest, it spills */
    while (sl_txn_spool_spilled_bytes(spool) == 0 && nbig < 64) {
        big[nbig] = (struct expect){(sl_lsn)(1000 + nbig), 1000};
        CHECK_INT(append(spool, 2, 2, big[nbig].lsn, big[nbig].len, &err), SL_OK);
        nbig++;
    }
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), stream_bytes(big, nbig));
    CHECK(sl_txn_spool_memory_bytes(spool) > 0); /* transaction 1 is still in memory */

    /* now transaction 1 grows; transaction 3 holds more memory, so 3 spills */
    struct expect third[8];
    for (int i = 0; i < 8; i++) {
        third[i] = (struct expect){(sl_lsn)(5000 + i), 1200};
        CHECK_INT(append(spool, 3, 3, third[i].lsn, third[i].len, &err), SL_OK);
    }
    uint64_t before = sl_txn_spool_spilled_bytes(spool);
    while (sl_txn_spool_spilled_bytes(spool) == before && nsmall < 64) {
        small[nsmall] = (struct expect){(sl_lsn)(200 + nsmall), 100};
        CHECK_INT(append(spool, 1, 1, small[nsmall].lsn, small[nsmall].len, &err), SL_OK);
        nsmall++;
    }
    CHECK_INT(sl_txn_spool_spilled_bytes(spool) - before, stream_bytes(third, 8));
    CHECK(sl_txn_spool_memory_bytes(spool) <= 16 * 1024);

    /* a message larger than the whole cap spills its own transaction only */
    size_t mem = sl_txn_spool_memory_bytes(spool);
    before = sl_txn_spool_spilled_bytes(spool);
    CHECK_INT(append(spool, 4, 4, 9000, 20000, &err), SL_OK);
    CHECK_INT(sl_txn_spool_memory_bytes(spool), mem);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool) - before, 12 + 20000);

    CHECK_INT(sl_txn_spool_replay(spool, 1, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, small, nsmall));
    collector_reset(&c);
    CHECK_INT(sl_txn_spool_replay(spool, 2, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, big, nbig));
    collector_reset(&c);
    CHECK_INT(sl_txn_spool_replay(spool, 3, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, third, 8));
    collector_reset(&c);
    struct expect fourth[] = {{9000, 20000}};
    CHECK_INT(sl_txn_spool_replay(spool, 4, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, fourth, 1));
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

static void test_messages_larger_than_memory_limit(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    /* around the 64 KiB I/O buffer size and far beyond it, mixed with small ones */
    struct expect want[] = {{1, 10},        {2, 100 * 1024}, {3, 0},         {4, 65536 - 12},
                            {5, 65536 - 11}, {6, 65536},     {7, 3},         {8, 3 << 20},
                            {9, 65536 * 2}, {10, 5},         {11, 1 << 20}, {12, 1}};
    size_t n = SL_ARRAY_LEN(want);

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(1024, dir, &spool, &err) == SL_OK);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(append(spool, 77, 77, want[i].lsn, want[i].len, &err), SL_OK);
        CHECK(sl_txn_spool_memory_bytes(spool) <= 1024);
    }
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), stream_bytes(want, n));
    CHECK_INT(sl_txn_spool_replay(spool, 77, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, n));
    collector_reset(&c);

    sl_txn_spool_free(spool);
    spool = NULL;

    /* the same messages with a cap large enough to keep them in memory */
    REQUIRE(sl_txn_spool_new(16 << 20, dir, &spool, &err) == SL_OK);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(append(spool, 78, 78, want[i].lsn, want[i].len, &err), SL_OK);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_replay(spool, 78, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, n));

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

/* Streaming check for the big test: message i has lsn base + 16 i and len big_len(i). */
struct sequence_check {
    size_t next;
    size_t count;
    bool bad;
};

#define BIG_BASE_LSN 0x16B3A0000ULL

static size_t big_len(size_t i)
{
    if (i % 250000 == 123456)
        return 300 * 1024; /* a few messages larger than the read buffer */
    return (i * 7919) % 100;
}

static int check_sequence(void *ctx, sl_lsn lsn, const uint8_t *msg, size_t len,
                          struct sl_error *err)
{
    struct sequence_check *s = ctx;
    (void)err;
    if (s->next >= s->count || lsn != BIG_BASE_LSN + 16 * s->next || len != big_len(s->next) ||
        !msg_ok(lsn, msg, len)) {
        if (!s->bad)
            fprintf(stderr, "  message %zu: lsn %llx len %zu is wrong\n", s->next,
                    (unsigned long long)lsn, len);
        s->bad = true;
    }
    s->next++;
    return 0;
}

static void test_spill_million_messages_tiny_limit(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct sequence_check seq = {.count = 1000000};
    uint8_t *buf = malloc(300 * 1024);
    uint64_t total = 0;
    bool over_cap = false, failed = false;
    int fds;

    REQUIRE(dir != NULL && buf != NULL);
    REQUIRE(sl_txn_spool_new(1024, dir, &spool, &err) == SL_OK);
    fds = open_fds();
    for (size_t i = 0; i < seq.count; i++) {
        sl_lsn lsn = BIG_BASE_LSN + 16 * i;
        size_t len = big_len(i);
        fill_msg(lsn, buf, len);
        /* a small transaction interleaves now and then; it starts after 9
         * holds memory, so 9 is the largest when room runs out */
        if (i % 100000 == 1 && sl_txn_spool_append(spool, 8, 8, lsn, buf, 1, &err) != SL_OK)
            failed = true;
        if (sl_txn_spool_append(spool, 9, i % 3 == 0 ? 9 : (uint32_t)(10 + i / 1000), lsn, buf,
                                len, &err) != SL_OK)
            failed = true;
        if (sl_txn_spool_memory_bytes(spool) > 1024)
            over_cap = true;
        total += 12 + len;
    }
    CHECK(!failed);
    CHECK(!over_cap);
    CHECK(total > 50 * 1000 * 1000);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), total);
    CHECK(sl_txn_spool_memory_bytes(spool) > 0); /* transaction 8 stayed in memory */
    CHECK_INT(count_entries(dir), 0);            /* the spill file is unlinked */
    CHECK_INT(deleted_spill_files_in(dir), 1);
    CHECK_INT(open_fds(), fds + 1);

    CHECK_INT(sl_txn_spool_replay(spool, 9, check_sequence, &seq, &err), SL_OK);
    CHECK(!seq.bad);
    CHECK_INT(seq.next, seq.count);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    CHECK_INT(open_fds(), fds);
    struct collector c = {0};
    CHECK_INT(sl_txn_spool_replay(spool, 8, collect, &c, &err), SL_OK);
    CHECK_INT(c.count, 10);
    CHECK(!c.bad_bytes);
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    collector_reset(&c);

    free(buf);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

/* ---------------------------------------------------------------- interleaving */

/* A tiny deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

#define MODEL_TXNS 6

struct model_txn {
    struct expect *msgs;
    uint32_t *subs; /* sub xid of each message */
    size_t n, cap;
};

static void model_push(struct model_txn *t, sl_lsn lsn, size_t len, uint32_t sub)
{
    if (t->n == t->cap) {
        t->cap = t->cap == 0 ? 256 : t->cap * 2;
        t->msgs = realloc(t->msgs, t->cap * sizeof(*t->msgs));
        t->subs = realloc(t->subs, t->cap * sizeof(*t->subs));
        if (t->msgs == NULL || t->subs == NULL)
            abort();
    }
    t->msgs[t->n] = (struct expect){lsn, len};
    t->subs[t->n] = sub;
    t->n++;
}

/* A subtransaction abort cuts at the first message of that subtransaction. */
static void model_abort_sub(struct model_txn *t, uint32_t sub)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->subs[i] == sub) {
            t->n = i;
            return;
        }
    }
}

static void run_interleaved(uint64_t seed, size_t memory_limit, size_t ops)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct model_txn model[MODEL_TXNS] = {{0}};
    uint64_t rng = seed;
    sl_lsn lsn = 0x100;
    bool ok = true;
    int fds;

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(memory_limit, dir, &spool, &err) == SL_OK);
    fds = open_fds();
    for (size_t op = 0; op < ops && ok; op++) {
        uint64_t r = next_random(&rng);
        size_t t = (size_t)(r % MODEL_TXNS);
        uint32_t top = (uint32_t)(1000 * (t + 1));
        unsigned kind = (unsigned)((r >> 8) % 1000);
        struct collector c = {0};

        if (kind < 900) {
            /* pgoutput streams one transaction per block: append a run */
            size_t run = 1 + (size_t)((r >> 20) % 20);
            for (size_t i = 0; i < run; i++) {
                uint64_t q = next_random(&rng);
                uint32_t sub = top + (uint32_t)(q % 6); /* top itself or one of 5 subxacts */
                size_t len = (q >> 8) % 997 == 0 ? 70000 + (size_t)((q >> 16) % 5000)
                                                  : (size_t)((q >> 16) % 300);
                lsn += 8;
                if (append(spool, top, sub, lsn, len, &err) != SL_OK) {
                    fprintf(stderr, "  append: %s\n", err.message);
                    ok = false;
                }
                model_push(&model[t], lsn, len, sub);
            }
        } else if (kind < 960) {
            uint32_t sub = top + 1 + (uint32_t)((r >> 20) % 6); /* top + 6 is never used */
            ok = sl_txn_spool_abort(spool, top, sub, &err) == SL_OK;
            model_abort_sub(&model[t], sub);
        } else if (kind < 975) {
            ok = sl_txn_spool_abort(spool, top, top, &err) == SL_OK;
            model[t].n = 0;
        } else {
            ok = sl_txn_spool_replay(spool, top, collect, &c, &err) == SL_OK &&
                 collector_matches(&c, model[t].msgs, model[t].n);
            model[t].n = 0;
            collector_reset(&c);
        }
        if (sl_txn_spool_memory_bytes(spool) > memory_limit)
            ok = false;
        if (!ok)
            fprintf(stderr, "  seed %llu: op %zu failed\n", (unsigned long long)seed, op);
    }
    CHECK(ok);
    for (size_t t = 0; t < MODEL_TXNS; t++) {
        struct collector c = {0};
        CHECK_INT(sl_txn_spool_replay(spool, (uint32_t)(1000 * (t + 1)), collect, &c, &err),
                  SL_OK);
        CHECK(collector_matches(&c, model[t].msgs, model[t].n));
        collector_reset(&c);
        free(model[t].msgs);
        free(model[t].subs);
    }
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    CHECK_INT(open_fds(), fds);
    sl_txn_spool_free(spool);
    CHECK_INT(count_entries(dir), 0);
    rmdir(dir);
}

static void test_interleaved_transactions(void)
{
    run_interleaved(1, 1 << 30, 3000);   /* all in memory */
    run_interleaved(2, 32 * 1024, 6000); /* some spill, some do not */
    run_interleaved(3, 1024, 6000);      /* nearly everything spills */
    run_interleaved(4, 0, 3000);         /* everything spills */
}

/* ---------------------------------------------------------------- errors */

static void test_replay_callback_error_stops_and_discards(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {.fail_at = 3};
    int fds;

    REQUIRE(dir != NULL);
    REQUIRE(sl_txn_spool_new(4096, dir, &spool, &err) == SL_OK);
    fds = open_fds();
    for (sl_lsn lsn = 1; lsn <= 10; lsn++)
        CHECK_INT(append(spool, 1, 1, lsn, 20, &err), SL_OK);     /* stays in memory */
    for (sl_lsn lsn = 1; lsn <= 1000; lsn++)
        CHECK_INT(append(spool, 2, 2, lsn, 200, &err), SL_OK);    /* spills */
    CHECK(sl_txn_spool_spilled_bytes(spool) > 0);

    CHECK_INT(sl_txn_spool_replay(spool, 1, collect, &c, &err), SL_EINTR);
    CHECK_INT(c.count, 3);
    CHECK_STR(err.message, "sink stopped at message 3");
    collector_reset(&c);
    c.fail_at = 500;
    CHECK_INT(sl_txn_spool_replay(spool, 2, collect, &c, &err), SL_EINTR);
    CHECK_INT(c.count, 500);
    CHECK(!c.bad_bytes);

    /* both are discarded anyway */
    collector_reset(&c);
    CHECK_INT(sl_txn_spool_replay(spool, 1, collect, &c, &err), SL_OK);
    CHECK_INT(sl_txn_spool_replay(spool, 2, collect, &c, &err), SL_OK);
    CHECK_INT(c.count, 0);
    CHECK_INT(sl_txn_spool_memory_bytes(spool), 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);
    CHECK_INT(open_fds(), fds);

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

static void test_spill_dir_errors(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct expect want[40];
    size_t n = 0;
    int rc = SL_OK;

    REQUIRE(dir != NULL);
    /* a bad directory is a configuration error found at creation */
    CHECK_INT(sl_txn_spool_new(1024, "/nonexistent/sluice-spill", &spool, &err), SL_ECONFIG);
    CHECK(spool == NULL);
    CHECK(strstr(err.message, "/nonexistent/sluice-spill") != NULL);
    CHECK_INT(sl_txn_spool_new(1024, "/etc/passwd", &spool, &err), SL_ECONFIG);
    CHECK(strstr(err.message, "not a directory") != NULL);

    /* the directory disappears later: the spill fails with EIO and the file name */
    REQUIRE(sl_txn_spool_new(2048, dir, &spool, &err) == SL_OK);
    REQUIRE(rmdir(dir) == 0);
    while (n < SL_ARRAY_LEN(want)) {
        rc = append(spool, 5, 5, (sl_lsn)(100 + n), 200, &err);
        if (rc != SL_OK)
            break;
        want[n] = (struct expect){(sl_lsn)(100 + n), 200};
        n++;
    }
    REQUIRE(rc == SL_EIO);
    CHECK(strstr(err.message, dir) != NULL);
    CHECK(strstr(err.message, "No such file or directory") != NULL);
    CHECK(err.retriable);
    /* nothing was lost: with the directory back, the same append succeeds */
    CHECK(sl_txn_spool_memory_bytes(spool) <= 2048);
    REQUIRE(mkdir(dir, 0700) == 0);
    CHECK_INT(append(spool, 5, 5, (sl_lsn)(100 + n), 200, &err), SL_OK);
    want[n] = (struct expect){(sl_lsn)(100 + n), 200};
    n++;
    CHECK(sl_txn_spool_spilled_bytes(spool) > 0);
    CHECK_INT(sl_txn_spool_replay(spool, 5, collect, &c, &err), SL_OK);
    CHECK(collector_matches(&c, want, n));

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

static void test_write_error_poisons_transaction(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct rlimit saved, small;
    void (*old_handler)(int);
    int rc = SL_OK, fds;

    REQUIRE(dir != NULL);
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    REQUIRE(sl_txn_spool_new(1024, dir, &spool, &err) == SL_OK);
    fds = open_fds();
    /* files may not grow past 256 KiB: writes past it fail with EFBIG */
    old_handler = signal(SIGXFSZ, SIG_IGN);
    small = saved;
    small.rlim_cur = 256 * 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    for (sl_lsn lsn = 1; lsn < 10000 && rc == SL_OK; lsn++)
        rc = append(spool, 6, 6, lsn, 100, &err);
    CHECK_INT(rc, SL_EIO);
    CHECK(strstr(err.message, "File too large") != NULL);
    CHECK(strstr(err.message, "xid 6") != NULL);
    CHECK(strstr(err.message, dir) != NULL);

    /* the transaction lost bytes: it refuses appends and replay, abort still works */
    CHECK_INT(append(spool, 6, 6, 20000, 10, &err), SL_EIO);
    CHECK_INT(append(spool, 6, 7, 20001, 10, &err), SL_EIO);
    CHECK_INT(sl_txn_spool_replay(spool, 6, collect, &c, &err), SL_EIO);
    CHECK_INT(c.count, 0);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);

    /* same again, then a whole abort */
    rc = SL_OK;
    for (sl_lsn lsn = 1; lsn < 10000 && rc == SL_OK; lsn++)
        rc = append(spool, 16, 16, lsn, 100, &err);
    CHECK_INT(rc, SL_EIO);
    CHECK_INT(sl_txn_spool_abort(spool, 16, 16, &err), SL_OK);
    CHECK_INT(sl_txn_spool_spilled_bytes(spool), 0);

    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, old_handler);
    /* other transactions are unaffected */
    CHECK_INT(append(spool, 26, 26, 1, 100, &err), SL_OK);
    CHECK_INT(sl_txn_spool_replay(spool, 26, collect, &c, &err), SL_OK);
    CHECK_INT(c.count, 1);
    CHECK_INT(open_fds(), fds);

    collector_reset(&c);
    sl_txn_spool_free(spool);
    rmdir(dir);
}

/*
 * One small scenario (two transactions, subtransactions, a spill, a message
 * larger than the read buffer) with allocation n failing. Every failed call is
 * retried once (the hook fails a single allocation), so when the scenario ends
 * the replay must be exact: a failed call leaves the spool as it was.
 * Returns how many calls failed.
 */
static int alloc_fail_scenario(long n, const char *dir, bool *ok)
{
    struct sl_txn_spool *spool = NULL;
    struct sl_error err = {0};
    struct collector c = {0};
    struct expect want1[64], want2[8];
    size_t n1 = 0, n2 = 0;
    int failures = 0, rc;

    sl_alloc_fail_after(n);
    rc = sl_txn_spool_new(2048, dir, &spool, &err);
    if (rc == SL_ENOMEM) {
        failures++;
        rc = sl_txn_spool_new(2048, dir, &spool, &err);
    }
    if (rc != SL_OK) {
        *ok = false;
        sl_alloc_fail_after(0);
        return failures;
    }
#define STEP(call)                                                                                 \
    do {                                                                                           \
        rc = (call);                                                                               \
        if (rc == SL_ENOMEM) {                                                                     \
            failures++;                                                                            \
            rc = (call);                                                                           \
        }                                                                                          \
        if (rc != SL_OK)                                                                           \
            *ok = false;                                                                           \
    } while (0)
    for (int i = 0; i < 20; i++) {
        uint32_t sub = i < 5 ? 100 : 100 + (uint32_t)(i % 4);
        STEP(append(spool, 100, sub, (sl_lsn)(1000 + i), 150, &err));
        if (i < 5)
            want1[n1++] = (struct expect){(sl_lsn)(1000 + i), 150};
        if (i % 5 == 0) {
            STEP(append(spool, 200, 201, (sl_lsn)(5000 + i), 10, &err));
            want2[n2++] = (struct expect){(sl_lsn)(5000 + i), 10};
        }
    }
    STEP(sl_txn_spool_abort(spool, 100, 101, &err)); /* first subxact: cuts all of 101..103 */
    STEP(append(spool, 100, 100, 2000, 80000, &err));
    want1[n1++] = (struct expect){2000, 80000};
    STEP(append(spool, 100, 104, 2001, 50, &err));
    want1[n1++] = (struct expect){2001, 50};
#undef STEP

    rc = sl_txn_spool_replay(spool, 100, collect, &c, &err);
    if (rc == SL_ENOMEM)
        failures++; /* the transaction is gone; nothing to compare */
    else if (rc != SL_OK || !collector_matches(&c, want1, n1))
        *ok = false;
    collector_reset(&c);
    rc = sl_txn_spool_replay(spool, 200, collect, &c, &err);
    if (rc == SL_ENOMEM)
        failures++;
    else if (rc != SL_OK || !collector_matches(&c, want2, n2))
        *ok = false;
    collector_reset(&c);
    sl_alloc_fail_after(0);
    sl_txn_spool_free(spool);
    return failures;
}

/*
 * A failed append must not leave its subtransaction registered: a caller that
 * does not retry and later aborts that subtransaction would otherwise cut
 * messages that came after the failure.
 */
static void test_failed_append_does_not_register_subxact(void)
{
    struct sl_error err = {0};
    long n;

    for (n = 1; n < 100; n++) {
        struct sl_txn_spool *spool = NULL;
        struct collector c = {0};
        int rc;

        REQUIRE(sl_txn_spool_new(1 << 20, "/tmp", &spool, &err) == SL_OK);
        REQUIRE(append(spool, 1, 1, 1, 1012, &err) == SL_OK); /* fills a first chunk */
        sl_alloc_fail_after(n);
        rc = append(spool, 1, 300, 2, 100, &err);
        sl_alloc_fail_after(0);
        if (rc == SL_OK) {
            sl_txn_spool_free(spool);
            break;
        }
        CHECK_INT(rc, SL_ENOMEM);
        CHECK_INT(append(spool, 1, 1, 3, 100, &err), SL_OK);
        CHECK_INT(sl_txn_spool_abort(spool, 1, 300, &err), SL_OK); /* 300 holds nothing */
        struct expect want[] = {{1, 1012}, {3, 100}};
        CHECK_INT(sl_txn_spool_replay(spool, 1, collect, &c, &err), SL_OK);
        CHECK(collector_matches(&c, want, 2));
        collector_reset(&c);
        sl_txn_spool_free(spool);
    }
    CHECK(n > 1);
    CHECK(n < 100);
}

static void test_allocation_failure_at_every_step(void)
{
    char templ[] = "/tmp/sluice-spool-test-XXXXXX";
    char *dir = make_dir(templ);
    int fds = open_fds();
    long n;

    REQUIRE(dir != NULL);
    for (n = 1; n < 10000; n++) {
        bool ok = true;
        int failures = alloc_fail_scenario(n, dir, &ok);
        if (!ok)
            fprintf(stderr, "  failing allocation %ld broke the scenario\n", n);
        CHECK(ok);
        CHECK_INT(open_fds(), fds);
        if (failures == 0)
            break; /* allocation n was never reached: every one has been failed */
        CHECK_INT(failures, 1);
    }
    CHECK(n > 10); /* the scenario does allocate */
    CHECK(n < 10000);
    CHECK_INT(count_entries(dir), 0);
    rmdir(dir);
}

UNIT_TESTS(UNIT_TEST(test_commit_replays_in_order), UNIT_TEST(test_null_and_bad_arguments),
           UNIT_TEST(test_default_spill_dir_is_tmpdir), UNIT_TEST(test_abort_whole_transaction),
           UNIT_TEST(test_subxact_abort_nested_in_memory),
           UNIT_TEST(test_subxact_abort_nested_spilled_in_write_buffer),
           UNIT_TEST(test_subxact_abort_nested_spilled_on_disk),
           UNIT_TEST(test_subxact_abort_first_subxact_discards_later_ones),
           UNIT_TEST(test_subxact_abort_after_spill),
           UNIT_TEST(test_largest_transaction_spills_first),
           UNIT_TEST(test_messages_larger_than_memory_limit),
           UNIT_TEST(test_spill_million_messages_tiny_limit),
           UNIT_TEST(test_interleaved_transactions),
           UNIT_TEST(test_replay_callback_error_stops_and_discards),
           UNIT_TEST(test_spill_dir_errors), UNIT_TEST(test_write_error_poisons_transaction),
           UNIT_TEST(test_failed_append_does_not_register_subxact),
           UNIT_TEST(test_allocation_failure_at_every_step))

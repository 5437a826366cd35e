/* Unit tests for the local-file and in-memory stream implementations
 * (the object stores are in test_object_store.c). */
#include "sluice/storage.h"
#include "unit.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/sluice-test-storage-XXXXXX";

/* Entries of dir, hidden temp files included. */
static int count_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    return n;
}

/* The one name in dir that carries the temp marker, or "" (static buffer). */
static const char *temp_entry(void)
{
    static char name[256];
    DIR *d = opendir(dir);
    struct dirent *e;
    name[0] = '\0';
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, SL_STORAGE_TEMP_MARKER) != NULL)
            snprintf(name, sizeof(name), "%s", e->d_name);
    if (d != NULL)
        closedir(d);
    return name;
}

static void test_write_finish_makes_file_visible_atomically(void)
{
    char path[256];
    struct sl_write_stream w;
    struct sl_error err;
    snprintf(path, sizeof(path), "%s/a.bin", dir);
    REQUIRE(sl_file_write_stream_open(path, &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "hello ", 6, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "world", 5, &err) == SL_OK);
    CHECK(w.written == 11);
    CHECK(access(path, F_OK) != 0); /* not visible before finish */
    /* the temp file is hidden, beside the target, and names it */
    CHECK(strncmp(temp_entry(), ".a.bin" SL_STORAGE_TEMP_MARKER, 18) == 0);
    CHECK(count_entries() == 1);
    REQUIRE(w.finish(w.ctx, &err) == SL_OK);
    CHECK(w.finish(w.ctx, &err) == SL_EINVAL);
    w.destroy(w.ctx);

    struct sl_read_file r;
    uint64_t size = 0;
    char buf[16] = {0};
    REQUIRE(sl_file_read_open(path, &r, &err) == SL_OK);
    CHECK(r.size(r.ctx, &size, &err) == SL_OK && size == 11);
    CHECK(r.read_at(r.ctx, 6, buf, 5, &err) == SL_OK && memcmp(buf, "world", 5) == 0);
    CHECK(r.read_at(r.ctx, 8, buf, 5, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "a.bin") != NULL);
    r.destroy(r.ctx);
    CHECK(count_entries() == 1);
    unlink(path);
}

static void test_abort_and_destroy_leave_nothing(void)
{
    char path[256];
    struct sl_write_stream w;
    struct sl_error err;
    snprintf(path, sizeof(path), "%s/b.bin", dir);
    REQUIRE(sl_file_write_stream_open(path, &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "x", 1, &err) == SL_OK);
    w.abort(w.ctx);
    w.destroy(w.ctx);
    CHECK(count_entries() == 0);
    REQUIRE(sl_file_write_stream_open(path, &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "x", 1, &err) == SL_OK);
    w.destroy(w.ctx); /* destroy without finish aborts */
    CHECK(count_entries() == 0);
}

static void test_two_streams_on_one_path_use_distinct_temp_files(void)
{
    char path[256];
    struct sl_write_stream w1, w2;
    struct sl_error err;
    char buf[2] = {0};
    FILE *f;
    snprintf(path, sizeof(path), "%s/c.bin", dir);
    REQUIRE(sl_file_write_stream_open(path, &w1, &err) == SL_OK);
    REQUIRE(sl_file_write_stream_open(path, &w2, &err) == SL_OK);
    CHECK(count_entries() == 2);
    REQUIRE(sl_write_stream_write(&w1, "1", 1, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w2, "2", 1, &err) == SL_OK);
    CHECK(w2.finish(w2.ctx, &err) == SL_OK);
    CHECK(w1.finish(w1.ctx, &err) == SL_OK); /* last finish wins */
    w1.destroy(w1.ctx);
    w2.destroy(w2.ctx);
    CHECK(count_entries() == 1);
    f = fopen(path, "rb");
    REQUIRE(f != NULL);
    CHECK(fread(buf, 1, 1, f) == 1 && buf[0] == '1');
    fclose(f);
    unlink(path);
}

static void test_exclusive_stream_never_replaces(void)
{
    char path[256];
    struct sl_write_stream w1, w2;
    struct sl_error err;
    char buf[8] = {0};
    FILE *f;
    snprintf(path, sizeof(path), "%s/d.bin", dir);
    REQUIRE(sl_file_write_stream_open_exclusive(path, &w1, &err) == SL_OK);
    REQUIRE(sl_file_write_stream_open_exclusive(path, &w2, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w1, "first", 5, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w2, "second", 6, &err) == SL_OK);
    CHECK(w1.finish(w1.ctx, &err) == SL_OK);
    CHECK(w2.finish(w2.ctx, &err) == SL_EEXIST);
    CHECK(strstr(err.message, "d.bin") != NULL);
    w1.destroy(w1.ctx);
    w2.destroy(w2.ctx);
    CHECK(count_entries() == 1); /* the loser's temp file is gone */
    f = fopen(path, "rb");
    REQUIRE(f != NULL);
    CHECK(fread(buf, 1, sizeof(buf), f) == 5 && memcmp(buf, "first", 5) == 0);
    fclose(f);
    unlink(path);
}

static void test_open_fails_cleanly_without_memory(void)
{
    char path[256];
    struct sl_write_stream w;
    struct sl_error err;
    int rc = SL_ENOMEM;
    snprintf(path, sizeof(path), "%s/e.bin", dir);
    for (long nth = 1; nth < 20 && rc == SL_ENOMEM; nth++) {
        sl_alloc_fail_after(nth);
        rc = sl_file_write_stream_open(path, &w, &err);
        sl_alloc_fail_after(0);
        CHECK(rc == SL_OK || rc == SL_ENOMEM);
        if (rc == SL_ENOMEM)
            CHECK(count_entries() == 0);
    }
    REQUIRE(rc == SL_OK);
    w.destroy(w.ctx);
    CHECK(count_entries() == 0);
}

static void test_open_errors_name_the_path(void)
{
    struct sl_write_stream w;
    struct sl_read_file r;
    struct sl_error err;
    CHECK(sl_file_write_stream_open("/nonexistent-dir/x", &w, &err) == SL_EIO);
    CHECK(strstr(err.message, "/nonexistent-dir/x") != NULL);
    CHECK(sl_file_read_open("/nonexistent-dir/x", &r, &err) == SL_ENOTFOUND);
    CHECK(strstr(err.message, "/nonexistent-dir/x") != NULL);
}

static void test_memory_file(void)
{
    struct sl_memory_file mem;
    struct sl_read_file r;
    struct sl_error err;
    uint64_t size = 0;
    char buf[4];
    sl_memory_read_file(&mem, "abcdef", 6, &r);
    CHECK(r.size(r.ctx, &size, &err) == SL_OK && size == 6);
    CHECK(r.read_at(r.ctx, 2, buf, 4, &err) == SL_OK && memcmp(buf, "cdef", 4) == 0);
    CHECK(r.read_at(r.ctx, 3, buf, 4, &err) == SL_EPROTO);
    CHECK(r.read_at(r.ctx, UINT64_MAX, buf, 1, &err) == SL_EPROTO);
    r.destroy(r.ctx);
}

static void setup(void)
{
    if (mkdtemp(dir) == NULL)
        unit_current_failed = 1;
}

static void teardown(void)
{
    rmdir(dir);
}

UNIT_TESTS(UNIT_TEST(setup), UNIT_TEST(test_write_finish_makes_file_visible_atomically),
           UNIT_TEST(test_abort_and_destroy_leave_nothing),
           UNIT_TEST(test_two_streams_on_one_path_use_distinct_temp_files),
           UNIT_TEST(test_exclusive_stream_never_replaces),
           UNIT_TEST(test_open_fails_cleanly_without_memory),
           UNIT_TEST(test_open_errors_name_the_path),
           UNIT_TEST(test_memory_file), UNIT_TEST(teardown))

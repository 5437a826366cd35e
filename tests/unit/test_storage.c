/* Unit tests for the local-file and in-memory stream implementations. */
#include "sluice/storage.h"
#include "unit.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/sluice-test-storage-XXXXXX";

static int count_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
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
           UNIT_TEST(test_abort_and_destroy_leave_nothing), UNIT_TEST(test_open_errors_name_the_path),
           UNIT_TEST(test_memory_file), UNIT_TEST(teardown))

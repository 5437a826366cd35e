/*
 * Unit tests for the object stores: key rules, the local backend (every
 * operation, listings, atomic put_if_absent under races), URI dispatch, the
 * fault-injecting wrapper and its plan parser, the SLUICE_FAULT_INJECT hook,
 * and allocation failures.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH / FTW_PHYS */
#include "sluice/storage.h"
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- fixtures */

struct root {
    char path[64];
};

static bool make_root(struct root *root)
{
    snprintf(root->path, sizeof(root->path), "/tmp/sluice-test-objstore-XXXXXX");
    return mkdtemp(root->path) != NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_root(struct root *root)
{
    nftw(root->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Files below dir whose names carry the temp marker. */
static int count_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_temp_files(path);
        else
            n += strstr(e->d_name, SL_STORAGE_TEMP_MARKER) != NULL;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

static bool path_exists(const struct root *root, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root->path, rel);
    return access(path, F_OK) == 0;
}

static bool is_dir(const struct root *root, const char *rel)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", root->path, rel);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* get into a fresh buffer and compare with want. */
static bool object_is(struct sl_object_store *s, const char *key, const char *want)
{
    struct sl_buf buf;
    struct sl_error err;
    bool same;
    sl_buf_init(&buf, 1 << 20);
    same = s->get(s->ctx, key, &buf, &err) == SL_OK && buf.len == strlen(want) &&
           memcmp(buf.data, want, buf.len) == 0;
    sl_buf_free(&buf);
    return same;
}

/* The listing's keys joined by ' ', sizes of objects as key:size. */
static void listing_text(const struct sl_object_listing *l, size_t from, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = from; i < l->count && off < cap; i++) {
        int n = l->entries[i].is_prefix
                    ? snprintf(out + off, cap - off, "%s%s", off ? " " : "", l->entries[i].key)
                    : snprintf(out + off, cap - off, "%s%s:%llu", off ? " " : "",
                               l->entries[i].key, (unsigned long long)l->entries[i].size);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

static bool list_is(struct sl_object_store *s, const char *prefix, bool recursive,
                    const char *want)
{
    struct sl_object_listing l = {0};
    struct sl_error err;
    char text[2048];
    int rc = s->list(s->ctx, prefix, recursive, &l, &err);
    listing_text(&l, 0, text, sizeof(text));
    sl_object_listing_free(&l);
    if (rc != SL_OK || strcmp(text, want) != 0) {
        fprintf(stderr, "  list(\"%s\", %s): rc %d, got \"%s\", want \"%s\"\n", prefix,
                recursive ? "recursive" : "flat", rc, text, want);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- key rules */

static void test_key_check_rejects_bad_keys(void)
{
    char long_key[1100];
    static const char *const bad[] = {
        "/abs", "a//b", "a/../b", "..", "../x", "./a", "a/.", "a/./b", "a/",
        "x/.y" SL_STORAGE_TEMP_MARKER "1-2",
    };
    static const char *const good[] = {
        "a", ".hoodie/20240101000000000.commit", "a..b", "...", ".a/b.",
        "p=1/.hoodie_partition_metadata",
    };
    struct sl_error err;

    CHECK(sl_object_key_check("", &err) == SL_EINVAL);
    CHECK(strstr(err.message, "empty") != NULL);
    CHECK(sl_object_key_check(NULL, &err) == SL_EINVAL);
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        err.message[0] = '\0';
        CHECK(sl_object_key_check(bad[i], &err) == SL_EINVAL);
        if (strstr(err.message, bad[i]) == NULL) {
            fprintf(stderr, "  message for \"%s\" does not name it: %s\n", bad[i], err.message);
            unit_current_failed = 1;
        }
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(good); i++)
        CHECK(sl_object_key_check(good[i], NULL) == SL_OK);
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    CHECK(sl_object_key_check(long_key, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "1024") != NULL);
    long_key[1024] = '\0';
    CHECK(sl_object_key_check(long_key, &err) == SL_OK);
}

/* ---------------------------------------------------------------- local store */

static void test_local_put_get_head_nested_keys(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;
    struct sl_buf buf;
    uint64_t size = 0;

    REQUIRE(make_root(&root));
    sl_buf_init(&buf, 1 << 20);
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    CHECK(s.version == SL_OBJECT_STORE_VERSION);
    CHECK(strncmp(s.uri, "file:///", 8) == 0 && strstr(s.uri, root.path) != NULL);
    CHECK(s.put(s.ctx, "a/b/c/data.bin", "0123456789", 10, &err) == SL_OK);
    CHECK(is_dir(&root, "a/b/c") && path_exists(&root, "a/b/c/data.bin"));
    CHECK(s.head(s.ctx, "a/b/c/data.bin", &size, &err) == SL_OK);
    CHECK_INT(size, 10);
    /* get appends to what the buffer holds */
    REQUIRE(sl_buf_append_str(&buf, "xy") == SL_OK);
    CHECK(s.get(s.ctx, "a/b/c/data.bin", &buf, &err) == SL_OK);
    CHECK_STR(buf.data, "xy0123456789");
    /* the buffer's max bounds the object */
    buf.max = 15;
    CHECK(s.get(s.ctx, "a/b/c/data.bin", &buf, &err) == SL_ELIMIT);
    CHECK(strstr(err.message, "a/b/c/data.bin") != NULL);
    CHECK_INT(buf.len, 12);
    /* an empty object */
    CHECK(s.put(s.ctx, "empty", "", 0, &err) == SL_OK);
    CHECK(s.head(s.ctx, "empty", &size, &err) == SL_OK && size == 0);
    CHECK(object_is(&s, "empty", ""));
    CHECK_INT(count_temp_files(root.path), 0);
    sl_object_store_close(&s);
    CHECK(s.ctx == NULL && s.destroy == NULL);
    sl_object_store_close(&s); /* a zeroed store is fine */
    sl_buf_free(&buf);
    remove_root(&root);
}

static void test_local_overwrite_replaces_whole_object(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;
    uint64_t size = 0;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    CHECK(s.put(s.ctx, "k", "a long first version", 20, &err) == SL_OK);
    CHECK(s.put(s.ctx, "k", "short", 5, &err) == SL_OK);
    CHECK(object_is(&s, "k", "short"));
    CHECK(s.head(s.ctx, "k", &size, &err) == SL_OK && size == 5);
    CHECK_INT(count_temp_files(root.path), 0);
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_get_range_reads_exactly(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;
    char buf[8] = {0};

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "r/x", "abcdefgh", 8, &err) == SL_OK);
    CHECK(s.get_range(s.ctx, "r/x", 2, buf, 3, &err) == SL_OK && memcmp(buf, "cde", 3) == 0);
    CHECK(s.get_range(s.ctx, "r/x", 0, buf, 8, &err) == SL_OK && memcmp(buf, "abcdefgh", 8) == 0);
    CHECK(s.get_range(s.ctx, "r/x", 8, buf, 0, &err) == SL_OK);
    CHECK(s.get_range(s.ctx, "r/x", 6, buf, 3, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "r/x") != NULL && strstr(err.message, "8 bytes") != NULL);
    CHECK(s.get_range(s.ctx, "r/x", UINT64_MAX, buf, 1, &err) == SL_EPROTO);
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_missing_keys_are_not_found(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_read_file file;
    struct sl_error err;
    struct sl_buf buf;
    uint64_t size;
    char byte;

    REQUIRE(make_root(&root));
    sl_buf_init(&buf, 1024);
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "dir/file", "x", 1, &err) == SL_OK);
    static const char *const missing[] = {"nope", "dir/nope", "dir/file/below", "dir"};
    for (size_t i = 0; i < SL_ARRAY_LEN(missing); i++) {
        const char *key = missing[i];
        CHECK(s.get(s.ctx, key, &buf, &err) == SL_ENOTFOUND);
        CHECK(strstr(err.message, key) != NULL && strstr(err.message, "not found") != NULL);
        CHECK(s.head(s.ctx, key, &size, &err) == SL_ENOTFOUND);
        CHECK(strstr(err.message, key) != NULL);
        CHECK(s.get_range(s.ctx, key, 0, &byte, 1, &err) == SL_ENOTFOUND);
        CHECK(s.open_read(s.ctx, key, &file, &err) == SL_ENOTFOUND);
        CHECK(strstr(err.message, key) != NULL);
    }
    CHECK(buf.len == 0);
    /* removing what is not there is success */
    CHECK(s.remove(s.ctx, "nope", &err) == SL_OK);
    CHECK(s.remove(s.ctx, "other/dir/nope", &err) == SL_OK);
    /* remove_many: the local backend has none, the helper removes one by one */
    CHECK(s.remove_many == NULL);
    CHECK(s.put(s.ctx, "m/1", "1", 1, &err) == SL_OK && s.put(s.ctx, "m/2", "2", 1, &err) == SL_OK);
    CHECK(s.put(s.ctx, "m/3", "3", 1, &err) == SL_OK);
    const char *doomed[] = {"m/1", "m/missing", "m/3"};
    CHECK(sl_object_store_remove_many(&s, doomed, 3, &err) == SL_OK);
    CHECK(s.head(s.ctx, "m/1", &size, &err) == SL_ENOTFOUND);
    CHECK(s.head(s.ctx, "m/3", &size, &err) == SL_ENOTFOUND);
    CHECK(object_is(&s, "m/2", "2"));
    const char *bad[] = {"m/2", "../x"};
    CHECK(sl_object_store_remove_many(&s, bad, 2, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "../x") != NULL);
    CHECK(sl_object_store_remove_many(&s, NULL, 0, &err) == SL_OK);
    sl_object_store_close(&s);
    sl_buf_free(&buf);
    remove_root(&root);
}

static void test_local_bad_keys_fail_every_operation(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_object_listing l = {0};
    struct sl_write_stream w;
    struct sl_read_file file;
    struct sl_error err;
    struct sl_buf buf;
    uint64_t size;
    char byte;
    static const char *const bad[] = {"../escape", "/etc/passwd", "a//b", "a/./b", ""};

    REQUIRE(make_root(&root));
    sl_buf_init(&buf, 1024);
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        const char *key = bad[i];
        CHECK(s.put(s.ctx, key, "x", 1, &err) == SL_EINVAL);
        CHECK(strstr(err.message, key) != NULL);
        CHECK(s.put_if_absent(s.ctx, key, "x", 1, &err) == SL_EINVAL);
        CHECK(s.get(s.ctx, key, &buf, &err) == SL_EINVAL);
        CHECK(s.get_range(s.ctx, key, 0, &byte, 1, &err) == SL_EINVAL);
        CHECK(s.head(s.ctx, key, &size, &err) == SL_EINVAL);
        CHECK(s.remove(s.ctx, key, &err) == SL_EINVAL);
        CHECK(s.open_write(s.ctx, key, &w, &err) == SL_EINVAL);
        CHECK(s.open_read(s.ctx, key, &file, &err) == SL_EINVAL);
        if (key[0] != '\0') {
            CHECK(s.list(s.ctx, key, true, &l, &err) == SL_EINVAL);
            CHECK(strstr(err.message, key) != NULL);
        }
    }
    CHECK(l.count == 0);
    CHECK(list_is(&s, "", true, ""));
    /* nothing escaped the root */
    {
        char sibling[128];
        snprintf(sibling, sizeof(sibling), "%s/../escape", root.path);
        CHECK(access(sibling, F_OK) != 0);
    }
    sl_object_store_close(&s);
    sl_buf_free(&buf);
    remove_root(&root);
}

static void test_local_put_if_absent_creates_once(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    CHECK(s.put_if_absent(s.ctx, ".hoodie/001.commit", "first", 5, &err) == SL_OK);
    CHECK(s.put_if_absent(s.ctx, ".hoodie/001.commit", "second", 6, &err) == SL_EEXIST);
    CHECK(strstr(err.message, ".hoodie/001.commit") != NULL);
    CHECK(object_is(&s, ".hoodie/001.commit", "first"));
    CHECK_INT(count_temp_files(root.path), 0);
    /* put still replaces */
    CHECK(s.put(s.ctx, ".hoodie/001.commit", "third", 5, &err) == SL_OK);
    CHECK(object_is(&s, ".hoodie/001.commit", "third"));
    sl_object_store_close(&s);
    remove_root(&root);
}

struct race {
    struct sl_object_store *store;
    pthread_barrier_t *start;
    const char *content;
    int results[64];
};

static void *race_thread(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < (int)SL_ARRAY_LEN(r->results); i++) {
        char key[64];
        snprintf(key, sizeof(key), "race/p=%d/commit", i);
        pthread_barrier_wait(r->start);
        r->results[i] = r->store->put_if_absent(r->store->ctx, key, r->content,
                                                strlen(r->content), NULL);
    }
    return NULL;
}

static void test_local_put_if_absent_race_has_one_winner(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;
    pthread_barrier_t start;
    struct race a = {.store = &s, .start = &start, .content = "from thread A"};
    struct race b = {.store = &s, .start = &start, .content = "from thread B, longer"};
    pthread_t ta, tb;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(pthread_barrier_init(&start, NULL, 2) == 0);
    REQUIRE(pthread_create(&ta, NULL, race_thread, &a) == 0);
    REQUIRE(pthread_create(&tb, NULL, race_thread, &b) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < (int)SL_ARRAY_LEN(a.results); i++) {
        char key[64];
        snprintf(key, sizeof(key), "race/p=%d/commit", i);
        bool a_won = a.results[i] == SL_OK && b.results[i] == SL_EEXIST;
        bool b_won = b.results[i] == SL_OK && a.results[i] == SL_EEXIST;
        if (!a_won && !b_won) {
            fprintf(stderr, "  key %s: A %d, B %d\n", key, a.results[i], b.results[i]);
            unit_current_failed = 1;
        }
        CHECK(object_is(&s, key, a_won ? a.content : b.content));
    }
    CHECK_INT(count_temp_files(root.path), 0);
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_put_if_absent_race_across_processes(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    /* two processes, each with its own store over the same root */
    for (int round = 0; round < 20; round++) {
        char key[64];
        int status = 0;
        pid_t child;
        snprintf(key, sizeof(key), "x/%d.commit", round);
        fflush(NULL);
        child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            struct sl_object_store own = {0};
            int rc = sl_local_store_open(root.path, &own, NULL);
            if (rc == SL_OK)
                rc = own.put_if_absent(own.ctx, key, "child", 5, NULL);
            _exit(rc == SL_OK ? 0 : rc == SL_EEXIST ? 1 : 2);
        }
        int rc = s.put_if_absent(s.ctx, key, "parent", 6, &err);
        REQUIRE(waitpid(child, &status, 0) == child && WIFEXITED(status));
        int child_rc = WEXITSTATUS(status);
        CHECK((rc == SL_OK && child_rc == 1) || (rc == SL_EEXIST && child_rc == 0));
        CHECK(object_is(&s, key, rc == SL_OK ? "parent" : "child"));
    }
    CHECK_INT(count_temp_files(root.path), 0);
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_list_sorted_with_prefixes(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_object_listing l = {0};
    struct sl_error err;
    char text[1024];
    static const char *const keys[] = {"b", "a/x", "a/y/z", "a.txt", "a/y2", ".hoodie/1.commit",
                                       "p=2/f", "p=10/f"};

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    for (size_t i = 0; i < SL_ARRAY_LEN(keys); i++)
        REQUIRE(s.put(s.ctx, keys[i], keys[i], strlen(keys[i]), &err) == SL_OK);
    REQUIRE(mkdir(strcat(strcpy(text, root.path), "/.hoodie/archived"), 0755) == 0);

    CHECK(list_is(&s, "", true,
                  ".hoodie/1.commit:16 a.txt:5 a/x:3 a/y/z:5 a/y2:4 b:1 p=10/f:6 p=2/f:5"));
    CHECK(list_is(&s, "", false, ".hoodie/ a.txt:5 a/ b:1 p=10/ p=2/"));
    CHECK(list_is(&s, ".hoodie/", false, ".hoodie/1.commit:16 .hoodie/archived/"));
    CHECK(list_is(&s, "a/", false, "a/x:3 a/y/ a/y2:4"));
    CHECK(list_is(&s, "a/", true, "a/x:3 a/y/z:5 a/y2:4"));
    CHECK(list_is(&s, "a/y", true, "a/y/z:5 a/y2:4"));
    CHECK(list_is(&s, "a/y", false, "a/y/ a/y2:4"));
    CHECK(list_is(&s, "a", false, "a.txt:5 a/"));
    CHECK(list_is(&s, "p=", true, "p=10/f:6 p=2/f:5"));
    /* a missing prefix, or one below a file, lists nothing */
    CHECK(list_is(&s, "nope/", true, ""));
    CHECK(list_is(&s, "nope/deeper/", false, ""));
    CHECK(list_is(&s, "b/", false, ""));
    /* listings append, each call's part sorted */
    REQUIRE(s.list(s.ctx, "a/", true, &l, &err) == SL_OK);
    REQUIRE(s.list(s.ctx, "p=", false, &l, &err) == SL_OK);
    listing_text(&l, 0, text, sizeof(text));
    CHECK_STR(text, "a/x:3 a/y/z:5 a/y2:4 p=10/ p=2/");
    sl_object_listing_free(&l);
    CHECK(l.entries == NULL && l.count == 0);
    sl_object_listing_free(&l);
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_list_hides_unfinished_writes(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_write_stream w = {0};
    struct sl_error err;
    char stray[256];
    int fd;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "t/done", "1", 1, &err) == SL_OK);
    REQUIRE(s.open_write(s.ctx, "t/pending", &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "half", 4, &err) == SL_OK);
    /* a temp file a crashed writer left behind */
    snprintf(stray, sizeof(stray), "%s/t/.old" SL_STORAGE_TEMP_MARKER "99-0", root.path);
    fd = open(stray, O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_INT(count_temp_files(root.path), 2);
    CHECK(list_is(&s, "", true, "t/done:1"));
    CHECK(list_is(&s, "t/", false, "t/done:1"));
    CHECK(list_is(&s, "t/.", false, ""));
    REQUIRE(w.finish(w.ctx, &err) == SL_OK);
    w.destroy(w.ctx);
    CHECK(list_is(&s, "t/", false, "t/done:1 t/pending:4"));
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_remove_keeps_directories(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;
    uint64_t size;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "p=1/f.parquet", "x", 1, &err) == SL_OK);
    CHECK(s.remove(s.ctx, "p=1/f.parquet", &err) == SL_OK);
    CHECK(s.head(s.ctx, "p=1/f.parquet", &size, &err) == SL_ENOTFOUND);
    CHECK(is_dir(&root, "p=1"));
    CHECK(list_is(&s, "", false, "p=1/"));
    CHECK(list_is(&s, "", true, ""));
    CHECK(s.remove(s.ctx, "p=1/f.parquet", &err) == SL_OK);
    CHECK(s.remove(s.ctx, "p=1", &err) == SL_EINVAL);
    CHECK(strstr(err.message, "p=1") != NULL && strstr(err.message, "directory") != NULL);
    CHECK(is_dir(&root, "p=1"));
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_streams_write_and_read(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_write_stream w = {0};
    struct sl_read_file r = {0};
    struct sl_error err;
    uint64_t size = 0;
    char buf[8] = {0};

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(s.open_write(s.ctx, "deep/er/obj", &w, &err) == SL_OK);
    CHECK(is_dir(&root, "deep/er"));
    REQUIRE(sl_write_stream_write(&w, "PAR1", 4, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "body", 4, &err) == SL_OK);
    CHECK(s.head(s.ctx, "deep/er/obj", &size, &err) == SL_ENOTFOUND); /* not before finish */
    REQUIRE(w.finish(w.ctx, &err) == SL_OK);
    w.destroy(w.ctx);
    REQUIRE(s.open_read(s.ctx, "deep/er/obj", &r, &err) == SL_OK);
    CHECK(r.size(r.ctx, &size, &err) == SL_OK && size == 8);
    CHECK(r.read_at(r.ctx, 4, buf, 4, &err) == SL_OK && memcmp(buf, "body", 4) == 0);
    r.destroy(r.ctx);
    /* an aborted stream leaves nothing */
    REQUIRE(s.open_write(s.ctx, "deep/gone", &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "x", 1, &err) == SL_OK);
    w.destroy(w.ctx);
    CHECK(!path_exists(&root, "deep/gone"));
    CHECK_INT(count_temp_files(root.path), 0);
    sl_object_store_close(&s);
    remove_root(&root);
}

static void test_local_file_in_the_way_of_a_directory(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &s, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "f", "x", 1, &err) == SL_OK);
    CHECK(s.put(s.ctx, "f/below", "y", 1, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "f/below") != NULL && strstr(err.message, "in the way") != NULL);
    sl_object_store_close(&s);
    remove_root(&root);
}

/* ---------------------------------------------------------------- URIs */

static void test_store_open_dispatches_on_uri(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct sl_error err;
    char uri[256], cwd[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 32];

    REQUIRE(make_root(&root));
    REQUIRE(realpath(root.path, real) != NULL);
    /* file URI, created with parents */
    snprintf(uri, sizeof(uri), "file://%s/lake/db/", root.path);
    REQUIRE(sl_object_store_open(uri, &s, &err) == SL_OK);
    snprintf(want, sizeof(want), "file://%s/lake/db", real);
    CHECK_STR(s.uri, want);
    CHECK(is_dir(&root, "lake/db"));
    sl_object_store_close(&s);
    snprintf(uri, sizeof(uri), "file://localhost%s/lake/db", root.path);
    REQUIRE(sl_object_store_open(uri, &s, &err) == SL_OK);
    CHECK_STR(s.uri, want);
    sl_object_store_close(&s);
    /* a relative plain path */
    REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
    REQUIRE(chdir(root.path) == 0);
    int rc = sl_object_store_open("rel/./sub", &s, &err);
    CHECK(chdir(cwd) == 0);
    REQUIRE(rc == SL_OK);
    snprintf(want, sizeof(want), "file://%s/rel/sub", real);
    CHECK_STR(s.uri, want);
    CHECK(s.put(s.ctx, "k", "v", 1, &err) == SL_OK && path_exists(&root, "rel/sub/k"));
    sl_object_store_close(&s);

    /* s3:// goes to the S3 backend, which checks the bucket name before any network use */
    CHECK(sl_object_store_open("s3://Bad_Bucket/prefix", &s, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "s3://Bad_Bucket/prefix") != NULL);
    CHECK(s.destroy == NULL);
    CHECK(sl_object_store_open("http://example.com/lake", &s, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "http://example.com/lake") != NULL &&
          strstr(err.message, "file:///abs/path") != NULL);
    CHECK(sl_object_store_open("", &s, &err) == SL_EINVAL);
    CHECK(sl_object_store_open("file://host/x", &s, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "file://host/x") != NULL);
    /* a root that is a file */
    snprintf(uri, sizeof(uri), "%s/rel/sub/k", root.path);
    CHECK(sl_object_store_open(uri, &s, &err) != SL_OK);
    CHECK(strstr(err.message, "rel/sub/k") != NULL);
    CHECK(s.destroy == NULL);
    remove_root(&root);
}

/* ---------------------------------------------------------------- fault plans */

static void test_fault_plan_parse(void)
{
    struct sl_fault_plan plan;
    struct sl_error err;

    REQUIRE(sl_fault_plan_parse("op=put,nth=3,crash,key=.commit,code=EIO", &plan, &err) == SL_OK);
    CHECK(plan.op == SL_FAULT_PUT && plan.nth == 3 && plan.crash && plan.code == SL_EIO);
    CHECK_STR(plan.key_contains, ".commit");
    REQUIRE(sl_fault_plan_parse(" op=read_at , nth=12,code=SL_ENOTFOUND", &plan, &err) == SL_OK);
    CHECK(plan.op == SL_FAULT_READ_AT && plan.nth == 12 && !plan.crash &&
          plan.code == SL_ENOTFOUND && plan.key_contains[0] == '\0');
    REQUIRE(sl_fault_plan_parse("", &plan, &err) == SL_OK);
    CHECK(plan.op == SL_FAULT_ANY && plan.nth == 0 && !plan.crash && plan.code == 0);
    REQUIRE(sl_fault_plan_parse("nth=0", &plan, &err) == SL_OK);
    for (int op = SL_FAULT_ANY; op <= SL_FAULT_READ_AT; op++) {
        char text[64];
        snprintf(text, sizeof(text), "op=%s,nth=1", sl_fault_op_name((enum sl_fault_op)op));
        CHECK(sl_fault_plan_parse(text, &plan, &err) == SL_OK && (int)plan.op == op);
    }
    CHECK_STR(sl_fault_op_name(SL_FAULT_STREAM_FINISH), "stream_finish");
    CHECK_STR(sl_fault_op_name((enum sl_fault_op)99), "?");

    static const struct {
        const char *text, *named;
    } bad[] = {
        {"op=frob", "frob"},          {"colour=red", "colour"},   {"nth=-1", "-1"},
        {"nth=x", "\"x\""},           {"nth=99999999999999999999", "9999"},
        {"op=put,op=get", "twice"},   {"crash", "nth"},            {"crash=1,nth=1", "crash"},
        {"code=EWHAT", "EWHAT"},      {"op", "needs a value"},     {"op=put,,nth=1", "empty"},
        {"op=put,", "empty"},         {"code=OK", "OK"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        err.message[0] = '\0';
        CHECK(sl_fault_plan_parse(bad[i].text, &plan, &err) == SL_EINVAL);
        if (strstr(err.message, bad[i].named) == NULL) {
            fprintf(stderr, "  plan \"%s\": message lacks \"%s\": %s\n", bad[i].text,
                    bad[i].named, err.message);
            unit_current_failed = 1;
        }
    }
    char long_key[200];
    memset(long_key, 0, sizeof(long_key));
    memcpy(long_key, "key=", 4);
    memset(long_key + 4, 'k', 150);
    CHECK(sl_fault_plan_parse(long_key, &plan, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "127") != NULL);
}

/* ---------------------------------------------------------------- faulty wrapper */

/* A local store over root wrapped with plan_text. */
static bool open_faulty(const struct root *root, const char *plan_text,
                        struct sl_object_store *out)
{
    struct sl_object_store inner = {0};
    struct sl_fault_plan plan;
    struct sl_error err;
    if (sl_fault_plan_parse(plan_text, &plan, &err) != SL_OK ||
        sl_local_store_open(root->path, &inner, &err) != SL_OK ||
        sl_faulty_store_wrap(&inner, &plan, out, &err) != SL_OK) {
        fprintf(stderr, "  cannot open faulty store: %s\n", err.message);
        return false;
    }
    return inner.destroy == NULL && inner.ctx == NULL; /* taken */
}

/* Open handles a sequence of calls of one op may need. */
struct op_fixture {
    struct sl_write_stream streams[4];
    int open_streams;
    struct sl_read_file file;
    bool file_open;
};

static void fixture_close(struct op_fixture *fx)
{
    for (int i = 0; i < fx->open_streams; i++)
        fx->streams[i].destroy(fx->streams[i].ctx);
    if (fx->file_open)
        fx->file.destroy(fx->file.ctx);
    memset(fx, 0, sizeof(*fx));
}

/* Readies fx for three calls of op on key "obj" (which exists). */
static bool fixture_open(struct sl_object_store *s, enum sl_fault_op op, struct op_fixture *fx)
{
    struct sl_error err;
    memset(fx, 0, sizeof(*fx));
    if (op == SL_FAULT_STREAM_WRITE || op == SL_FAULT_STREAM_FINISH) {
        for (; fx->open_streams < 3; fx->open_streams++)
            if (s->open_write(s->ctx, "obj", &fx->streams[fx->open_streams], &err) != SL_OK)
                return false;
    }
    if (op == SL_FAULT_READ_AT) {
        if (s->open_read(s->ctx, "obj", &fx->file, &err) != SL_OK)
            return false;
        fx->file_open = true;
    }
    return true;
}

/* The i-th (0-based) call of op. */
static int call_op(struct sl_object_store *s, enum sl_fault_op op, struct op_fixture *fx, int i,
                   struct sl_error *err)
{
    struct sl_object_listing l = {0};
    struct sl_write_stream w;
    struct sl_read_file r;
    struct sl_buf buf;
    uint64_t size;
    char bytes[4];
    char key[32];
    int rc;

    snprintf(key, sizeof(key), "new/%d", i);
    switch (op) {
    case SL_FAULT_PUT: return s->put(s->ctx, "obj", "data", 4, err);
    case SL_FAULT_PUT_IF_ABSENT: return s->put_if_absent(s->ctx, key, "data", 4, err);
    case SL_FAULT_GET:
        sl_buf_init(&buf, 64);
        rc = s->get(s->ctx, "obj", &buf, err);
        sl_buf_free(&buf);
        return rc;
    case SL_FAULT_GET_RANGE: return s->get_range(s->ctx, "obj", 1, bytes, 2, err);
    case SL_FAULT_HEAD: return s->head(s->ctx, "obj", &size, err);
    case SL_FAULT_LIST:
        rc = s->list(s->ctx, "", true, &l, err);
        sl_object_listing_free(&l);
        return rc;
    case SL_FAULT_REMOVE: return s->remove(s->ctx, key, err);
    case SL_FAULT_OPEN_WRITE:
        rc = s->open_write(s->ctx, key, &w, err);
        if (rc == SL_OK)
            w.destroy(w.ctx);
        return rc;
    case SL_FAULT_STREAM_WRITE: return sl_write_stream_write(&fx->streams[0], "ab", 2, err);
    case SL_FAULT_STREAM_FINISH: return fx->streams[i].finish(fx->streams[i].ctx, err);
    case SL_FAULT_OPEN_READ:
        rc = s->open_read(s->ctx, "obj", &r, err);
        if (rc == SL_OK)
            r.destroy(r.ctx);
        return rc;
    case SL_FAULT_READ_AT: return fx->file.read_at(fx->file.ctx, 0, bytes, 4, err);
    default: return SL_EINVAL;
    }
}

static void test_faulty_fails_the_nth_call_of_each_op(void)
{
    for (int op = SL_FAULT_PUT; op <= SL_FAULT_READ_AT; op++) {
        const char *name = sl_fault_op_name((enum sl_fault_op)op);
        struct root root;
        struct sl_object_store s = {0};
        struct op_fixture fx;
        struct sl_error err;
        char plan[64], got[SL_ERROR_MESSAGE_MAX] = "";
        int rc[3];

        REQUIRE(make_root(&root));
        snprintf(plan, sizeof(plan), "op=%s,nth=2", name);
        REQUIRE(open_faulty(&root, plan, &s));
        REQUIRE(s.put(s.ctx, "obj", "data", 4, &err) == SL_OK || op == SL_FAULT_PUT);
        if (op == SL_FAULT_PUT)
            CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_PUT), 1); /* that was #1 */
        REQUIRE(fixture_open(&s, (enum sl_fault_op)op, &fx));
        long before = sl_faulty_store_calls(&s, (enum sl_fault_op)op);
        for (int i = 0; i < 3; i++) {
            err.message[0] = '\0';
            rc[i] = call_op(&s, (enum sl_fault_op)op, &fx, i, &err);
            if (rc[i] != SL_OK)
                memcpy(got, err.message, sizeof(got));
        }
        /* calls #1 and #3 of op pass (for put: the setup put was #1) */
        int failing = op == SL_FAULT_PUT ? 0 : 1;
        for (int i = 0; i < 3; i++) {
            if ((i == failing) != (rc[i] == SL_EIO)) {
                fprintf(stderr, "  op %s call %d: rc %d\n", name, i, rc[i]);
                unit_current_failed = 1;
            }
        }
        {
            char expect[128];
            const char *key = op == SL_FAULT_PUT_IF_ABSENT || op == SL_FAULT_REMOVE ||
                                      op == SL_FAULT_OPEN_WRITE
                                  ? "new/1"
                              : op == SL_FAULT_LIST ? ""
                                                    : "obj";
            snprintf(expect, sizeof(expect), "injected fault: %s #2 on %s", name, key);
            if (op == SL_FAULT_PUT)
                snprintf(expect, sizeof(expect), "injected fault: put #2 on obj");
            CHECK_STR(got, expect);
        }
        CHECK_INT(sl_faulty_store_calls(&s, (enum sl_fault_op)op), before + 3);
        CHECK(sl_faulty_store_calls(&s, SL_FAULT_ANY) >= before + 3);
        fixture_close(&fx);
        sl_object_store_close(&s);
        CHECK_INT(count_temp_files(root.path), 0);
        remove_root(&root);
    }
}

static void test_faulty_finish_fault_leaves_nothing_visible(void)
{
    struct root root;
    struct sl_object_store s = {0}, plain = {0};
    struct sl_write_stream w = {0};
    struct sl_error err;
    uint64_t size;

    REQUIRE(make_root(&root));
    REQUIRE(open_faulty(&root, "op=stream_finish,nth=1,code=ECONN", &s));
    REQUIRE(sl_local_store_open(root.path, &plain, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "t/old", "old", 3, &err) == SL_OK);
    REQUIRE(s.open_write(s.ctx, "t/new", &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "bytes", 5, &err) == SL_OK);
    CHECK(w.finish(w.ctx, &err) == SL_ECONN);
    CHECK_STR(err.message, "injected fault: stream_finish #1 on t/new");
    w.destroy(w.ctx);
    CHECK(plain.head(plain.ctx, "t/new", &size, &err) == SL_ENOTFOUND);
    CHECK(list_is(&plain, "", true, "t/old:3"));
    CHECK_INT(count_temp_files(root.path), 0);
    /* a stream over an existing key keeps the old bytes */
    sl_object_store_close(&s);
    REQUIRE(open_faulty(&root, "op=stream_finish,nth=1", &s));
    REQUIRE(s.open_write(s.ctx, "t/old", &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "replaced", 8, &err) == SL_OK);
    CHECK(w.finish(w.ctx, &err) == SL_EIO);
    w.destroy(w.ctx);
    CHECK(object_is(&plain, "t/old", "old"));
    sl_object_store_close(&s);
    sl_object_store_close(&plain);
    remove_root(&root);
}

static void test_faulty_crash_fails_everything_after(void)
{
    struct root root;
    struct sl_object_store s = {0}, plain = {0};
    struct sl_write_stream w = {0};
    struct sl_read_file r = {0};
    struct sl_object_listing l = {0};
    struct sl_error err;
    struct sl_buf buf;
    uint64_t size;
    char byte;

    REQUIRE(make_root(&root));
    sl_buf_init(&buf, 1024);
    REQUIRE(open_faulty(&root, "op=put,nth=2,crash,key=.commit", &s));
    REQUIRE(sl_local_store_open(root.path, &plain, &err) == SL_OK);
    REQUIRE(s.put(s.ctx, "data/f1", "1", 1, &err) == SL_OK);     /* not counted */
    REQUIRE(s.put(s.ctx, ".hoodie/1.commit", "c", 1, &err) == SL_OK); /* put #1 */
    REQUIRE(s.open_write(s.ctx, "data/f2", &w, &err) == SL_OK);
    REQUIRE(sl_write_stream_write(&w, "partial", 7, &err) == SL_OK);
    REQUIRE(s.open_read(s.ctx, "data/f1", &r, &err) == SL_OK);
    CHECK(s.put(s.ctx, ".hoodie/2.commit", "c", 1, &err) == SL_EIO); /* put #2: the crash */
    CHECK_STR(err.message, "injected fault: put #2 on .hoodie/2.commit");
    /* from now on everything fails, whatever the key */
    CHECK(s.put(s.ctx, "data/f3", "3", 1, &err) == SL_EIO);
    CHECK(strstr(err.message, "injected fault: put on data/f3 after the crash injected at put #2 "
                              "on .hoodie/2.commit") != NULL);
    CHECK(s.get(s.ctx, "data/f1", &buf, &err) == SL_EIO);
    CHECK(s.head(s.ctx, "data/f1", &size, &err) == SL_EIO);
    CHECK(s.list(s.ctx, "", true, &l, &err) == SL_EIO && l.count == 0);
    CHECK(s.remove(s.ctx, "data/f1", &err) == SL_EIO);
    CHECK(s.put_if_absent(s.ctx, "x", "x", 1, &err) == SL_EIO);
    CHECK(s.get_range(s.ctx, "data/f1", 0, &byte, 1, &err) == SL_EIO);
    {
        struct sl_read_file unopened = {0};
        CHECK(s.open_read(s.ctx, "data/f1", &unopened, &err) == SL_EIO && unopened.ctx == NULL);
    }
    CHECK(r.read_at(r.ctx, 0, &byte, 1, &err) == SL_EIO);
    CHECK(r.size(r.ctx, &size, &err) == SL_EIO);
    CHECK(sl_write_stream_write(&w, "more", 4, &err) == SL_EIO);
    CHECK(w.finish(w.ctx, &err) == SL_EIO);
    w.destroy(w.ctx);
    r.destroy(r.ctx);
    /* what the crash interrupted never became visible */
    CHECK(list_is(&plain, "", true, ".hoodie/1.commit:1 data/f1:1"));
    CHECK_INT(count_temp_files(root.path), 0);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_PUT), 2); /* only keys with .commit count */
    sl_object_store_close(&s);
    sl_object_store_close(&plain);
    sl_buf_free(&buf);
    remove_root(&root);
}

static void test_faulty_key_filter_and_counts(void)
{
    struct root root;
    struct sl_object_store s = {0}, local = {0};
    struct sl_error err;
    struct sl_buf line;
    uint64_t size;

    REQUIRE(make_root(&root));
    sl_buf_init(&line, 4096);
    REQUIRE(open_faulty(&root, "op=any,nth=3,key=.commit", &s));
    CHECK(strncmp(s.uri, "file:///", 8) == 0); /* shows the inner store's uri */
    CHECK(s.put(s.ctx, "a", "1", 1, &err) == SL_OK);          /* not counted */
    CHECK(s.put(s.ctx, "x.commit", "1", 1, &err) == SL_OK);   /* any #1 */
    CHECK(s.head(s.ctx, "x.commit", &size, &err) == SL_OK);   /* any #2 */
    CHECK(s.head(s.ctx, "a", &size, &err) == SL_OK);          /* not counted */
    CHECK(s.remove(s.ctx, "y.commit", &err) == SL_EIO);       /* any #3 */
    CHECK_STR(err.message, "injected fault: remove #3 on y.commit");
    CHECK(s.remove(s.ctx, "y.commit", &err) == SL_OK);        /* not crash: passes again */
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_ANY), 4);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_PUT), 1);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_HEAD), 1);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_REMOVE), 2);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_GET), 0);
    CHECK_INT(sl_faulty_store_calls(&s, (enum sl_fault_op)42), -1);
    REQUIRE(sl_faulty_store_counts_line(&s, &line, &err) == SL_OK);
    CHECK_STR(line.data, "sluice-fault-counts any=4 put=1 put_if_absent=0 get=0 get_range=0 "
                         "head=1 list=0 remove=2 open_write=0 stream_write=0 stream_finish=0 "
                         "open_read=0 read_at=0");
    REQUIRE(sl_local_store_open(root.path, &local, &err) == SL_OK);
    CHECK_INT(sl_faulty_store_calls(&local, SL_FAULT_ANY), -1);
    CHECK(sl_faulty_store_counts_line(&local, &line, &err) == SL_EINVAL);
    sl_object_store_close(&local);
    sl_object_store_close(&s);
    sl_buf_free(&line);
    remove_root(&root);
}

static void test_faulty_streams_outlive_the_store(void)
{
    struct root root;
    struct sl_object_store s = {0}, plain = {0};
    struct sl_write_stream w = {0};
    struct sl_read_file r = {0};
    struct sl_error err;
    char buf[4];

    REQUIRE(make_root(&root));
    REQUIRE(open_faulty(&root, "nth=0", &s));
    REQUIRE(s.put(s.ctx, "r", "read", 4, &err) == SL_OK);
    REQUIRE(s.open_write(s.ctx, "w", &w, &err) == SL_OK);
    REQUIRE(s.open_read(s.ctx, "r", &r, &err) == SL_OK);
    sl_object_store_close(&s);
    CHECK(sl_write_stream_write(&w, "late", 4, &err) == SL_OK);
    CHECK(w.finish(w.ctx, &err) == SL_OK);
    CHECK(r.read_at(r.ctx, 0, buf, 4, &err) == SL_OK && memcmp(buf, "read", 4) == 0);
    w.destroy(w.ctx);
    r.destroy(r.ctx);
    REQUIRE(sl_local_store_open(root.path, &plain, &err) == SL_OK);
    CHECK(object_is(&plain, "w", "late"));
    sl_object_store_close(&plain);
    remove_root(&root);
}

static void test_faulty_wrap_takes_ownership_even_on_failure(void)
{
    struct root root;
    struct sl_object_store inner = {0}, out = {0};
    struct sl_fault_plan plan = {.op = SL_FAULT_PUT, .nth = -1};
    struct sl_error err;

    REQUIRE(make_root(&root));
    REQUIRE(sl_local_store_open(root.path, &inner, &err) == SL_OK);
    CHECK(sl_faulty_store_wrap(&inner, &plan, &out, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "nth -1") != NULL);
    CHECK(inner.ctx == NULL && out.ctx == NULL);
    sl_object_store_close(&inner); /* harmless */
    /* wrapping in place */
    plan.nth = 1;
    REQUIRE(sl_local_store_open(root.path, &inner, &err) == SL_OK);
    REQUIRE(sl_faulty_store_wrap(&inner, &plan, &inner, &err) == SL_OK);
    CHECK(inner.put(inner.ctx, "k", "v", 1, &err) == SL_EIO);
    CHECK_INT(sl_faulty_store_calls(&inner, SL_FAULT_PUT), 1);
    sl_object_store_close(&inner);
    remove_root(&root);
}

struct counter_thread {
    struct sl_object_store *store;
    int failures;
};

static void *head_many(void *arg)
{
    struct counter_thread *t = arg;
    uint64_t size;
    for (int i = 0; i < 200; i++)
        t->failures += t->store->head(t->store->ctx, "obj", &size, NULL) != SL_OK;
    return NULL;
}

static void test_faulty_counts_exactly_under_threads(void)
{
    struct root root;
    struct sl_object_store s = {0};
    struct counter_thread threads[4];
    pthread_t ids[4];
    struct sl_error err;
    int failures = 0;

    REQUIRE(make_root(&root));
    REQUIRE(open_faulty(&root, "op=head,nth=555", &s));
    REQUIRE(s.put(s.ctx, "obj", "x", 1, &err) == SL_OK);
    for (int i = 0; i < 4; i++) {
        threads[i] = (struct counter_thread){.store = &s};
        REQUIRE(pthread_create(&ids[i], NULL, head_many, &threads[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(ids[i], NULL);
        failures += threads[i].failures;
    }
    CHECK_INT(failures, 1);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_HEAD), 800);
    CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_ANY), 801);
    sl_object_store_close(&s);
    remove_root(&root);
}

/* ---------------------------------------------------------------- SLUICE_FAULT_INJECT */

/* Runs open + a few calls + close with stderr captured into text. */
static int run_with_env(const struct root *root, const char *plan, char *text, size_t cap,
                        long *put_calls, struct sl_error *err)
{
    char capture[128];
    struct sl_object_store s = {0};
    int saved, fd, rc;
    ssize_t n;

    snprintf(capture, sizeof(capture), "%s.stderr", root->path);
    fflush(stderr);
    saved = dup(2);
    fd = open(capture, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (saved < 0 || fd < 0)
        return -100;
    dup2(fd, 2);
    setenv("SLUICE_FAULT_INJECT", plan, 1);
    rc = sl_object_store_open(root->path, &s, err);
    unsetenv("SLUICE_FAULT_INJECT");
    if (rc == SL_OK) {
        uint64_t size;
        rc = s.put(s.ctx, "a", "1", 1, err);
        if (rc == SL_OK)
            rc = s.head(s.ctx, "a", &size, err);
        *put_calls = sl_faulty_store_calls(&s, SL_FAULT_PUT);
        sl_object_store_close(&s);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, text, cap - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(capture);
    return rc;
}

static void test_env_hook_wraps_and_reports(void)
{
    struct root root;
    struct sl_error err;
    char text[4096];
    long puts = -1;

    REQUIRE(make_root(&root));
    /* count only: the counts line at close */
    CHECK(run_with_env(&root, "nth=0", text, sizeof(text), &puts, &err) == SL_OK);
    CHECK_INT(puts, 1);
    CHECK(strstr(text, "level=warn event=storage_fault_injection") != NULL);
    CHECK(strstr(text, "sluice-fault-counts any=2 put=1 put_if_absent=0 get=0 get_range=0 head=1 "
                       "list=0 remove=0 open_write=0 stream_write=0 stream_finish=0 open_read=0 "
                       "read_at=0\n") != NULL);
    /* a failing plan: the first put fails; no counts line */
    CHECK(run_with_env(&root, "op=put,nth=1", text, sizeof(text), &puts, &err) == SL_EIO);
    CHECK_STR(err.message, "injected fault: put #1 on a");
    CHECK(strstr(text, "sluice-fault-counts") == NULL);
    /* a bad plan is refused, naming the variable */
    CHECK(run_with_env(&root, "op=nope", text, sizeof(text), &puts, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "SLUICE_FAULT_INJECT") != NULL && strstr(err.message, "nope"));
    /* without the variable: a plain store */
    {
        struct sl_object_store s = {0};
        unsetenv("SLUICE_FAULT_INJECT");
        REQUIRE(sl_object_store_open(root.path, &s, &err) == SL_OK);
        CHECK_INT(sl_faulty_store_calls(&s, SL_FAULT_ANY), -1);
        sl_object_store_close(&s);
    }
    remove_root(&root);
}

/* ---------------------------------------------------------------- allocation failures */

/* Walks nth = 1, 2, ... until the step succeeds; every failure must be SL_ENOMEM. */
#define ALLOC_WALK(step_rc_expr, on_success)                                                       \
    do {                                                                                           \
        int rc_ = SL_ENOMEM;                                                                       \
        for (long nth_ = 1; nth_ < 200 && rc_ == SL_ENOMEM; nth_++) {                             \
            sl_alloc_fail_after(nth_);                                                             \
            rc_ = (step_rc_expr);                                                                  \
            sl_alloc_fail_after(0);                                                                \
            if (rc_ != SL_OK && rc_ != SL_ENOMEM) {                                                \
                fprintf(stderr, "  %s: nth %ld gave %d: %s\n", #step_rc_expr, nth_, rc_,           \
                        err.message);                                                              \
                unit_current_failed = 1;                                                           \
            }                                                                                      \
        }                                                                                          \
        CHECK(rc_ == SL_OK);                                                                       \
        if (rc_ == SL_OK) {                                                                        \
            on_success;                                                                            \
        }                                                                                          \
    } while (0)

static void test_allocation_failures_fail_cleanly(void)
{
    struct root root;
    struct sl_object_store s = {0}, f = {0}, inner = {0};
    struct sl_object_listing l = {0};
    struct sl_write_stream w = {0};
    struct sl_read_file r = {0};
    struct sl_fault_plan plan;
    struct sl_error err = {0};
    struct sl_buf buf;

    REQUIRE(make_root(&root));
    sl_buf_init(&buf, 1 << 16);
    ALLOC_WALK(sl_local_store_open(root.path, &s, &err), (void)0);
    REQUIRE(s.ctx != NULL);
    ALLOC_WALK(s.put(s.ctx, "p=1/q=2/obj", "payload", 7, &err), (void)0);
    ALLOC_WALK(s.put_if_absent(s.ctx, "p=3/once", "x", 1, &err), (void)0);
    ALLOC_WALK(s.get(s.ctx, "p=1/q=2/obj", &buf, &err), (void)0);
    CHECK_STR(buf.data, "payload");
    ALLOC_WALK(s.list(s.ctx, "", true, &l, &err), (void)0);
    CHECK_INT(l.count, 2);
    sl_object_listing_free(&l);
    ALLOC_WALK(s.list(s.ctx, "p=1/", false, &l, &err), (void)0);
    CHECK_INT(l.count, 1);
    sl_object_listing_free(&l);
    ALLOC_WALK(s.open_write(s.ctx, "p=4/s", &w, &err), w.destroy(w.ctx));
    ALLOC_WALK(s.open_read(s.ctx, "p=1/q=2/obj", &r, &err), r.destroy(r.ctx));
    ALLOC_WALK(sl_fault_plan_parse("op=put,nth=9,key=x", &plan, &err), (void)0);
    ALLOC_WALK((sl_local_store_open(root.path, &inner, &err) == SL_OK
                    ? sl_faulty_store_wrap(&inner, &plan, &f, &err)
                    : SL_ENOMEM),
               (void)0);
    REQUIRE(f.ctx != NULL);
    ALLOC_WALK(f.open_write(f.ctx, "p=5/s", &w, &err), w.destroy(w.ctx));
    ALLOC_WALK(f.open_read(f.ctx, "p=1/q=2/obj", &r, &err), r.destroy(r.ctx));
    CHECK_INT(count_temp_files(root.path), 0);
    CHECK(list_is(&s, "", true, "p=1/q=2/obj:7 p=3/once:1"));
    sl_object_store_close(&f);
    sl_object_store_close(&s);
    sl_buf_free(&buf);
    remove_root(&root);
}

UNIT_TESTS(UNIT_TEST(test_key_check_rejects_bad_keys),
           UNIT_TEST(test_local_put_get_head_nested_keys),
           UNIT_TEST(test_local_overwrite_replaces_whole_object),
           UNIT_TEST(test_local_get_range_reads_exactly),
           UNIT_TEST(test_local_missing_keys_are_not_found),
           UNIT_TEST(test_local_bad_keys_fail_every_operation),
           UNIT_TEST(test_local_put_if_absent_creates_once),
           UNIT_TEST(test_local_put_if_absent_race_has_one_winner),
           UNIT_TEST(test_local_put_if_absent_race_across_processes),
           UNIT_TEST(test_local_list_sorted_with_prefixes),
           UNIT_TEST(test_local_list_hides_unfinished_writes),
           UNIT_TEST(test_local_remove_keeps_directories),
           UNIT_TEST(test_local_streams_write_and_read),
           UNIT_TEST(test_local_file_in_the_way_of_a_directory),
           UNIT_TEST(test_store_open_dispatches_on_uri), UNIT_TEST(test_fault_plan_parse),
           UNIT_TEST(test_faulty_fails_the_nth_call_of_each_op),
           UNIT_TEST(test_faulty_finish_fault_leaves_nothing_visible),
           UNIT_TEST(test_faulty_crash_fails_everything_after),
           UNIT_TEST(test_faulty_key_filter_and_counts),
           UNIT_TEST(test_faulty_streams_outlive_the_store),
           UNIT_TEST(test_faulty_wrap_takes_ownership_even_on_failure),
           UNIT_TEST(test_faulty_counts_exactly_under_threads),
           UNIT_TEST(test_env_hook_wraps_and_reports),
           UNIT_TEST(test_allocation_failures_fail_cleanly))

/*
 * The local object-store backend: keys are paths below a root directory.
 * Writes reuse the file write stream (temp file, fsync, rename or link,
 * fsync directory), so objects appear whole or not at all; directories are
 * created on demand and fsynced into their parents. The store keeps no
 * mutable state, so it needs no lock.
 */
#include "sluice/storage.h"

#include "storage_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BUF_MAX 65536

struct local_store {
    char *root; /* canonical absolute path without trailing '/' ("" for "/") */
    char *uri;  /* "file://" + root */
};

/* ---------------------------------------------------------------- helpers */

static int fsync_dir(const char *path, struct sl_error *err)
{
    int fd = open(path[0] != '\0' ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = SL_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = sl_error_set(err, SL_EIO, "cannot fsync directory %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* fsyncs the directory holding path (path is modified and restored). */
static int fsync_parent_of(char *path, struct sl_error *err)
{
    char *slash = strrchr(path, '/');
    int rc;
    if (slash == NULL)
        return fsync_dir(".", err);
    if (slash == path)
        return fsync_dir("/", err);
    *slash = '\0';
    rc = fsync_dir(path, err);
    *slash = '/';
    return rc;
}

/* mkdir path unless it is a directory already; a new one is fsynced into its parent. */
static int make_dir(char *path, struct sl_error *err)
{
    struct stat st;
    if (mkdir(path, 0755) == 0)
        return fsync_parent_of(path, err);
    if (errno != EEXIST)
        return sl_error_set(err, SL_EIO, "cannot create directory %s: %s", path, strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_EINVAL,
                            "cannot create directory %s: a file of that name is in the way", path);
    /* it may be another thread's new directory whose entry is not durable yet:
     * fsync the parent too, best effort (an old ancestor may not be readable) */
    (void)fsync_parent_of(path, NULL);
    return SL_OK;
}

/* mkdir -p of every directory in path from byte `from` on (path is modified and restored). */
static int make_dirs_from(char *path, size_t from, struct sl_error *err)
{
    for (char *p = path + from; (p = strchr(p, '/')) != NULL; p++) {
        if (p == path || p[-1] == '/')
            continue; /* leading or doubled '/' */
        *p = '\0';
        int rc = make_dir(path, err);
        *p = '/';
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* root + "/" + key; caller owns the result. */
static int key_path(const struct local_store *s, const char *key, char **out,
                    struct sl_error *err)
{
    struct sl_buf path;
    sl_buf_init(&path, PATH_BUF_MAX);
    if (sl_buf_printf(&path, "%s/%s", s->root, key) != SL_OK) {
        sl_buf_free(&path);
        return sl_error_set(err, SL_ENOMEM, "out of memory building the path of key %s", key);
    }
    *out = sl_buf_detach(&path);
    return SL_OK;
}

/* Checks key and builds its path; with make_parents also creates its directories. */
static int prepare(const struct local_store *s, const char *key, bool make_parents, char **out,
                   struct sl_error *err)
{
    struct stat st;
    char *slash;
    int rc;

    *out = NULL;
    rc = sl_object_key_check(key, err);
    if (rc == SL_OK)
        rc = key_path(s, key, out, err);
    if (rc != SL_OK || !make_parents)
        return rc;
    slash = strrchr(*out, '/');
    *slash = '\0';
    bool parent_exists = stat(*out, &st) == 0 && S_ISDIR(st.st_mode); /* the common case */
    *slash = '/';
    if (!parent_exists)
        rc = make_dirs_from(*out, strlen(s->root) + 1, err);
    if (rc != SL_OK) {
        sl_free(*out);
        *out = NULL;
    }
    return rc;
}

static int not_found(const struct local_store *s, const char *key, const char *why,
                     struct sl_error *err)
{
    return sl_error_set(err, SL_ENOTFOUND, "object %s not found in %s (%s)", key, s->uri, why);
}

/* Opens key's file for reading: a missing key or a directory is SL_ENOTFOUND. */
static int open_object(const struct local_store *s, const char *key, int *fd, uint64_t *size,
                       struct sl_error *err)
{
    char *path = NULL;
    struct stat st;
    int rc;

    *fd = -1;
    rc = prepare(s, key, false, &path, err);
    if (rc != SL_OK)
        goto fail;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            rc = not_found(s, key, strerror(errno), err);
        else
            rc = sl_error_set(err, SL_EIO, "cannot open object %s (%s): %s", key, path,
                              strerror(errno));
        goto fail;
    }
    if (fstat(*fd, &st) != 0) {
        rc = sl_error_set(err, SL_EIO, "cannot stat object %s (%s): %s", key, path,
                          strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = not_found(s, key, "a directory has that name", err);
        goto fail;
    }
    *size = (uint64_t)st.st_size;
    sl_free(path);
    return SL_OK;

fail:
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    sl_free(path);
    return rc;
}

static int read_exact(int fd, const char *key, uint64_t offset, char *buf, size_t len,
                      struct sl_error *err)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sl_error_set(err, SL_EIO, "cannot read object %s at offset %llu: %s", key,
                                (unsigned long long)offset, strerror(errno));
        }
        if (n == 0)
            return sl_error_set(err, SL_EIO, "object %s ended at offset %llu while being read; "
                                "was it replaced outside sluice?", key, (unsigned long long)offset);
        buf += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- operations */

static int write_object(struct local_store *s, const char *op, const char *key, const void *bytes,
                        size_t len, bool exclusive, struct sl_error *err)
{
    struct sl_write_stream stream = {0};
    char *path = NULL;
    int rc;

    rc = prepare(s, key, true, &path, err);
    if (rc != SL_OK)
        goto fail;
    rc = exclusive ? sl_file_write_stream_open_exclusive(path, &stream, err)
                   : sl_file_write_stream_open(path, &stream, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl_write_stream_write(&stream, bytes, len, err);
    if (rc == SL_OK)
        rc = stream.finish(stream.ctx, err);

fail:
    if (stream.destroy != NULL)
        stream.destroy(stream.ctx);
    if (rc != SL_OK && rc != SL_EEXIST)
        sl_error_prefix(err, "%s of %s in %s", op, key, s->uri);
    else if (rc == SL_EEXIST)
        sl_error_set(err, SL_EEXIST, "put_if_absent of %s in %s: the object already exists", key,
                     s->uri);
    sl_free(path);
    return rc;
}

static int local_put(void *ctx, const char *key, const void *bytes, size_t len,
                     struct sl_error *err)
{
    return write_object(ctx, "put", key, bytes, len, false, err);
}

static int local_put_if_absent(void *ctx, const char *key, const void *bytes, size_t len,
                               struct sl_error *err)
{
    return write_object(ctx, "put_if_absent", key, bytes, len, true, err);
}

static int local_get(void *ctx, const char *key, struct sl_buf *out, struct sl_error *err)
{
    struct local_store *s = ctx;
    uint64_t size = 0;
    int fd = -1;
    int rc;

    rc = open_object(s, key, &fd, &size, err);
    if (rc != SL_OK)
        goto fail;
    if (out->len > out->max || size > out->max - out->len) {
        rc = sl_error_set(err, SL_ELIMIT,
                          "object %s in %s is %llu bytes, more than the %zu the buffer allows", key,
                          s->uri, (unsigned long long)size, out->max - SL_MIN(out->len, out->max));
        goto fail;
    }
    rc = sl_buf_reserve(out, (size_t)size);
    if (rc != SL_OK) {
        rc = sl_error_set(err, rc, "out of memory reading object %s (%llu bytes)", key,
                          (unsigned long long)size);
        goto fail;
    }
    rc = read_exact(fd, key, 0, out->data + out->len, (size_t)size, err);
    if (rc != SL_OK)
        goto fail;
    out->len += (size_t)size;
    out->data[out->len] = '\0';

fail:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int local_get_range(void *ctx, const char *key, uint64_t offset, void *buf, size_t len,
                           struct sl_error *err)
{
    struct local_store *s = ctx;
    uint64_t size = 0;
    int fd = -1;
    int rc;

    rc = open_object(s, key, &fd, &size, err);
    if (rc != SL_OK)
        goto fail;
    if (offset > size || len > size - offset) {
        rc = sl_error_set(err, SL_EPROTO,
                          "range of %zu bytes at offset %llu is past the end of object %s in %s "
                          "(%llu bytes)",
                          len, (unsigned long long)offset, key, s->uri, (unsigned long long)size);
        goto fail;
    }
    rc = read_exact(fd, key, offset, buf, len, err);

fail:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int local_head(void *ctx, const char *key, uint64_t *size, struct sl_error *err)
{
    struct local_store *s = ctx;
    char *path = NULL;
    struct stat st;
    int rc;

    rc = prepare(s, key, false, &path, err);
    if (rc != SL_OK)
        goto fail;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            rc = not_found(s, key, strerror(errno), err);
        else
            rc = sl_error_set(err, SL_EIO, "cannot stat object %s (%s): %s", key, path,
                              strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = not_found(s, key, "a directory has that name", err);
        goto fail;
    }
    *size = (uint64_t)st.st_size;

fail:
    sl_free(path);
    return rc;
}

static int local_remove(void *ctx, const char *key, struct sl_error *err)
{
    struct local_store *s = ctx;
    char *path = NULL;
    int rc;

    rc = prepare(s, key, false, &path, err);
    if (rc != SL_OK)
        goto fail;
    if (unlink(path) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            goto fail; /* already gone: success */
        if (errno == EISDIR || errno == EPERM)
            rc = sl_error_set(err, SL_EINVAL,
                              "cannot remove %s from %s: it is a directory, and directories "
                              "are left in place",
                              key, s->uri);
        else
            rc = sl_error_set(err, SL_EIO, "cannot remove object %s (%s): %s", key, path,
                              strerror(errno));
        goto fail;
    }
    /* make the removal durable: a rollback that deleted files must stay done */
    rc = fsync_parent_of(path, err);

fail:
    sl_free(path);
    return rc;
}

static int local_open_write(void *ctx, const char *key, struct sl_write_stream *out,
                            struct sl_error *err)
{
    struct local_store *s = ctx;
    char *path = NULL;
    int rc;

    rc = prepare(s, key, true, &path, err);
    if (rc == SL_OK)
        rc = sl_file_write_stream_open(path, out, err);
    if (rc != SL_OK)
        sl_error_prefix(err, "open_write of %s in %s", key, s->uri);
    sl_free(path);
    return rc;
}

static int local_open_read(void *ctx, const char *key, struct sl_read_file *out,
                           struct sl_error *err)
{
    struct local_store *s = ctx;
    char *path = NULL;
    struct stat st;
    int rc;

    rc = prepare(s, key, false, &path, err);
    if (rc != SL_OK)
        goto fail;
    /* a directory opens fine with open(2): refuse it here, as head and get do */
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            rc = not_found(s, key, strerror(errno), err);
            goto fail;
        }
    } else if (!S_ISREG(st.st_mode)) {
        rc = not_found(s, key, "a directory has that name", err);
        goto fail;
    }
    rc = sl_file_read_open(path, out, err);
    if (rc == SL_ENOTFOUND)
        rc = not_found(s, key, "no such file", err);

fail:
    sl_free(path);
    return rc;
}

/* ---------------------------------------------------------------- list */

struct lister {
    struct sl_object_listing *out;
    struct sl_buf path; /* the directory being read */
    struct sl_buf key;  /* its key prefix: "" or ending in '/' */
};

static int add_entry(struct lister *l, const char *name, uint64_t size, bool is_prefix,
                     struct sl_error *err)
{
    struct sl_object_listing *out = l->out;
    struct sl_object_entry *entry;
    void *entries = out->entries;
    size_t name_len = strlen(name);
    char *key;

    if (sl_array_grow(&entries, &out->cap, out->count + 1, sizeof(*out->entries)) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory listing %s", l->path.data);
    out->entries = entries;
    key = sl_malloc(l->key.len + name_len + 2);
    if (key == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory listing %s", l->path.data);
    memcpy(key, l->key.data, l->key.len);
    memcpy(key + l->key.len, name, name_len);
    if (is_prefix)
        key[l->key.len + name_len++] = '/';
    key[l->key.len + name_len] = '\0';
    entry = &out->entries[out->count++];
    entry->key = key;
    entry->size = size;
    entry->is_prefix = is_prefix;
    return SL_OK;
}

/* Lists l->path, keeping names that start with name_prefix. */
static int list_dir(struct lister *l, const char *name_prefix, bool recursive,
                    struct sl_error *err)
{
    size_t prefix_len = strlen(name_prefix);
    DIR *dir = opendir(l->path.data);
    struct dirent *entry;
    int rc = SL_OK;

    if (dir == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SL_OK; /* nothing under a missing prefix */
        return sl_error_set(err, SL_EIO, "cannot list directory %s: %s", l->path.data,
                            strerror(errno));
    }
    for (;;) {
        struct stat st;
        const char *name;

        errno = 0;
        entry = readdir(dir);
        if (entry == NULL) {
            if (errno != 0)
                rc = sl_error_set(err, SL_EIO, "cannot list directory %s: %s", l->path.data,
                                  strerror(errno));
            break;
        }
        name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strncmp(name, name_prefix, prefix_len) != 0 ||
            strstr(name, SL_STORAGE_TEMP_MARKER) != NULL)
            continue;
        if (fstatat(dirfd(dir), name, &st, 0) != 0) {
            if (errno == ENOENT)
                continue; /* removed while we listed */
            rc = sl_error_set(err, SL_EIO, "cannot stat %s/%s: %s", l->path.data, name,
                              strerror(errno));
            break;
        }
        if (S_ISREG(st.st_mode)) {
            rc = add_entry(l, name, (uint64_t)st.st_size, false, err);
        } else if (S_ISDIR(st.st_mode) && !recursive) {
            rc = add_entry(l, name, 0, true, err);
        } else if (S_ISDIR(st.st_mode)) {
            size_t path_len = l->path.len, key_len = l->key.len;
            if (sl_buf_printf(&l->path, "/%s", name) != SL_OK ||
                sl_buf_printf(&l->key, "%s/", name) != SL_OK)
                rc = sl_error_set(err, SL_ENOMEM, "out of memory listing %s/%s", l->path.data,
                                  name);
            else
                rc = list_dir(l, "", true, err);
            l->path.len = path_len;
            l->path.data[path_len] = '\0';
            l->key.len = key_len;
            l->key.data[key_len] = '\0';
        }
        if (rc != SL_OK)
            break;
    }
    closedir(dir);
    return rc;
}

static int entry_order(const void *a, const void *b)
{
    return strcmp(((const struct sl_object_entry *)a)->key,
                  ((const struct sl_object_entry *)b)->key);
}

static int local_list(void *ctx, const char *prefix, bool recursive, struct sl_object_listing *out,
                      struct sl_error *err)
{
    struct local_store *s = ctx;
    struct lister l = {.out = out};
    size_t first = out->count;
    const char *name_prefix;
    int rc;

    sl_buf_init(&l.path, PATH_BUF_MAX);
    sl_buf_init(&l.key, PATH_BUF_MAX);
    rc = sl_storage_name_check(prefix, true, err);
    if (rc != SL_OK)
        goto fail;
    /* "a/b/c" lists directory "a/b/" for names starting with "c" */
    name_prefix = strrchr(prefix, '/');
    name_prefix = name_prefix != NULL ? name_prefix + 1 : prefix;
    if (sl_buf_append_str(&l.path, s->root) != SL_OK ||
        sl_buf_append(&l.key, prefix, (size_t)(name_prefix - prefix)) != SL_OK ||
        (l.key.len > 0 &&
         sl_buf_printf(&l.path, "/%.*s", (int)l.key.len - 1, l.key.data) != SL_OK)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory listing %s", prefix);
        goto fail;
    }
    if (l.path.len == 0 && sl_buf_putc(&l.path, '/') != SL_OK) { /* root "/" */
        rc = sl_error_set(err, SL_ENOMEM, "out of memory listing %s", prefix);
        goto fail;
    }
    rc = list_dir(&l, name_prefix, recursive, err);
    if (rc != SL_OK)
        goto fail;
    if (out->count > first)
        qsort(out->entries + first, out->count - first, sizeof(*out->entries), entry_order);
    sl_buf_free(&l.path);
    sl_buf_free(&l.key);
    return SL_OK;

fail:
    while (out->count > first)
        sl_free(out->entries[--out->count].key);
    sl_buf_free(&l.path);
    sl_buf_free(&l.key);
    sl_error_prefix(err, "list of \"%s\" in %s", prefix != NULL ? prefix : "(null)", s->uri);
    return rc;
}

/* ---------------------------------------------------------------- open */

static void local_destroy(void *ctx)
{
    struct local_store *s = ctx;
    if (s == NULL)
        return;
    sl_free(s->root);
    sl_free(s->uri);
    sl_free(s);
}

int sl_local_store_open(const char *root, struct sl_object_store *out, struct sl_error *err)
{
    struct local_store *s = NULL;
    char *path = NULL, *real = NULL;
    struct sl_buf uri;
    struct stat st;
    int rc = SL_OK;

    sl_buf_init(&uri, PATH_BUF_MAX);
    memset(out, 0, sizeof(*out));
    if (root == NULL || root[0] == '\0')
        return sl_error_set(err, SL_EINVAL, "local store root is empty; name a directory");
    /* mkdir -p root: a trailing '/' makes make_dirs_from create the last part too */
    path = sl_malloc(strlen(root) + 2);
    if (path == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening local store %s", root);
        goto fail;
    }
    strcpy(path, root);
    strcat(path, "/");
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = make_dirs_from(path, 0, err);
        if (rc != SL_OK) {
            sl_error_prefix(err, "cannot create local store root %s", root);
            goto fail;
        }
    }
    real = realpath(root, NULL); /* malloc'd by libc */
    if (real == NULL) {
        rc = sl_error_set(err, errno == ENOMEM ? SL_ENOMEM : SL_EIO,
                          "cannot resolve local store root %s: %s", root, strerror(errno));
        goto fail;
    }
    s = sl_calloc(1, sizeof(*s));
    if (s == NULL || (s->root = sl_strdup(strcmp(real, "/") == 0 ? "" : real)) == NULL ||
        sl_buf_printf(&uri, "file://%s", real) != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening local store %s", root);
        goto fail;
    }
    s->uri = sl_buf_detach(&uri);
    out->version = SL_OBJECT_STORE_VERSION;
    out->ctx = s;
    out->uri = s->uri;
    out->put = local_put;
    out->put_if_absent = local_put_if_absent;
    out->get = local_get;
    out->get_range = local_get_range;
    out->head = local_head;
    out->list = local_list;
    out->remove = local_remove;
    out->open_write = local_open_write;
    out->open_read = local_open_read;
    out->destroy = local_destroy;
    free(real);
    sl_free(path);
    return SL_OK;

fail:
    local_destroy(s);
    free(real);
    sl_free(path);
    sl_buf_free(&uri);
    return rc;
}

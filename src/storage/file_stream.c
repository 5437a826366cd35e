/*
 * Local-file implementations of the stream interfaces. Writes go to a
 * temporary name in the same directory and become visible atomically at
 * finish (fsync file, rename or link, fsync directory), so a crash never
 * leaves a half-written object under its final name. Temporary names are
 * hidden (leading '.') and carry SL_STORAGE_TEMP_MARKER so listings skip them.
 */
#include "sluice/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sl_write_stream_write(struct sl_write_stream *stream, const void *bytes, size_t len,
                          struct sl_error *err)
{
    int rc = stream->write(stream->ctx, bytes, len, err);
    if (rc == SL_OK)
        stream->written += len;
    return rc;
}

/* ---------------------------------------------------------------- write */

struct file_writer {
    char *path;
    char *tmp_path;
    int fd;
    int dir_fd; /* opened up front so finish needs no allocation */
    bool done;
    bool exclusive; /* publish with link(2): never replace an existing file */
};

static int fsync_dir(struct file_writer *w, struct sl_error *err)
{
    if (fsync(w->dir_fd) != 0)
        return sl_error_set(err, SL_EIO, "cannot fsync the directory of %s: %s", w->path,
                            strerror(errno));
    return SL_OK;
}

static int file_write(void *ctx, const void *bytes, size_t len, struct sl_error *err)
{
    struct file_writer *w = ctx;
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sl_error_set(err, SL_EIO, "cannot write %s: %s", w->tmp_path, strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return SL_OK;
}

static int file_finish(void *ctx, struct sl_error *err)
{
    struct file_writer *w = ctx;
    if (w->done)
        return sl_error_set(err, SL_EINVAL, "%s was already finished or aborted", w->path);
    w->done = true;
    if (fsync(w->fd) != 0) {
        int rc = sl_error_set(err, SL_EIO, "cannot fsync %s: %s", w->tmp_path, strerror(errno));
        close(w->fd);
        w->fd = -1;
        unlink(w->tmp_path);
        return rc;
    }
    if (close(w->fd) != 0) {
        w->fd = -1;
        unlink(w->tmp_path);
        return sl_error_set(err, SL_EIO, "cannot close %s: %s", w->tmp_path, strerror(errno));
    }
    w->fd = -1;
    if (w->exclusive) {
        /* link(2) fails with EEXIST whoever created path, in any process */
        if (link(w->tmp_path, w->path) != 0) {
            int rc = errno == EEXIST
                         ? sl_error_set(err, SL_EEXIST, "%s already exists", w->path)
                         : sl_error_set(err, SL_EIO, "cannot link %s to %s: %s", w->tmp_path,
                                        w->path, strerror(errno));
            unlink(w->tmp_path);
            return rc;
        }
        unlink(w->tmp_path);
        return fsync_dir(w, err);
    }
    if (rename(w->tmp_path, w->path) != 0) {
        int rc = sl_error_set(err, SL_EIO, "cannot rename %s to %s: %s", w->tmp_path, w->path,
                              strerror(errno));
        unlink(w->tmp_path);
        return rc;
    }
    return fsync_dir(w, err);
}

static void file_abort(void *ctx)
{
    struct file_writer *w = ctx;
    if (w->done)
        return;
    w->done = true;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    unlink(w->tmp_path);
}

static void file_writer_destroy(void *ctx)
{
    struct file_writer *w = ctx;
    if (w == NULL)
        return;
    file_abort(w);
    if (w->dir_fd >= 0)
        close(w->dir_fd);
    sl_free(w->path);
    sl_free(w->tmp_path);
    sl_free(w);
}

/*
 * A fresh temp name beside path: "<dir>/.<base>.sluice-tmp-<pid>-<random>".
 * Random rather than a process counter so there is no shared state; the
 * caller retries on the (unlikely) EEXIST. The base is cut to 100 bytes to
 * stay below NAME_MAX.
 */
static int temp_name(const char *path, struct sl_buf *out)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t dir_len = (size_t)(base - path);
    uint64_t nonce = 0;

    if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t)sizeof(nonce)) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        nonce = ((uint64_t)now.tv_sec * 1000000007u) ^ (uint64_t)now.tv_nsec ^
                ((uint64_t)(uintptr_t)out << 16);
    }
    sl_buf_reset(out);
    return sl_buf_printf(out, "%.*s.%.100s" SL_STORAGE_TEMP_MARKER "%ld-%016llx", (int)dir_len,
                         path, base, (long)getpid(), (unsigned long long)nonce);
}

static int write_stream_open(const char *path, bool exclusive, struct sl_write_stream *out,
                             struct sl_error *err)
{
    const char *slash = strrchr(path, '/');
    struct file_writer *w = NULL;
    char *dir = NULL;
    struct sl_buf tmp;
    int rc = SL_OK;

    sl_buf_init(&tmp, 8192);
    w = sl_calloc(1, sizeof(*w));
    if (w == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening %s", path);
        goto fail;
    }
    w->fd = -1;
    w->dir_fd = -1;
    w->done = true; /* nothing to abort until the temp file exists */
    w->exclusive = exclusive;
    if (slash == NULL)
        dir = sl_strdup(".");
    else
        dir = sl_strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL || (w->path = sl_strdup(path)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening %s", path);
        goto fail;
    }
    w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dir_fd < 0) {
        rc = sl_error_set(err, errno == ENOMEM ? SL_ENOMEM : SL_EIO,
                          "cannot open the directory of %s: %s", path, strerror(errno));
        goto fail;
    }
    for (int attempt = 0; w->fd < 0; attempt++) {
        if (temp_name(path, &tmp) != SL_OK) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory opening %s", path);
            goto fail;
        }
        w->fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (w->fd < 0 && (errno != EEXIST || attempt == 8)) {
            rc = sl_error_set(err, SL_EIO, "cannot create %s: %s", tmp.data, strerror(errno));
            goto fail;
        }
    }
    w->tmp_path = sl_buf_detach(&tmp); /* never NULL: the name was just printed */
    w->done = false;
    sl_free(dir);
    out->ctx = w;
    out->write = file_write;
    out->finish = file_finish;
    out->abort = file_abort;
    out->destroy = file_writer_destroy;
    out->written = 0;
    return SL_OK;

fail:
    sl_buf_free(&tmp);
    sl_free(dir);
    file_writer_destroy(w);
    return rc;
}

int sl_file_write_stream_open(const char *path, struct sl_write_stream *out, struct sl_error *err)
{
    return write_stream_open(path, false, out, err);
}

int sl_file_write_stream_open_exclusive(const char *path, struct sl_write_stream *out,
                                        struct sl_error *err)
{
    return write_stream_open(path, true, out, err);
}

/* ---------------------------------------------------------------- read */

struct file_reader {
    char *path;
    int fd;
};

static int file_size(void *ctx, uint64_t *out, struct sl_error *err)
{
    struct file_reader *r = ctx;
    struct stat st;
    if (fstat(r->fd, &st) != 0)
        return sl_error_set(err, SL_EIO, "cannot stat %s: %s", r->path, strerror(errno));
    *out = (uint64_t)st.st_size;
    return SL_OK;
}

static int file_read_at(void *ctx, uint64_t offset, void *buf, size_t len, struct sl_error *err)
{
    struct file_reader *r = ctx;
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(r->fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sl_error_set(err, SL_EIO, "cannot read %s at offset %llu: %s", r->path,
                                (unsigned long long)offset, strerror(errno));
        }
        if (n == 0)
            return sl_error_set(err, SL_EPROTO, "%s ends before offset %llu (%zu bytes short)",
                                r->path, (unsigned long long)offset, len);
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return SL_OK;
}

static void file_reader_destroy(void *ctx)
{
    struct file_reader *r = ctx;
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    sl_free(r->path);
    sl_free(r);
}

int sl_file_read_open(const char *path, struct sl_read_file *out, struct sl_error *err)
{
    struct file_reader *r = sl_calloc(1, sizeof(*r));
    if (r == NULL || (r->path = sl_strdup(path)) == NULL) {
        sl_free(r);
        return sl_error_set(err, SL_ENOMEM, "out of memory opening %s", path);
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int rc = sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "cannot open %s: %s",
                              path, strerror(errno));
        file_reader_destroy(r);
        return rc;
    }
    out->ctx = r;
    out->size = file_size;
    out->read_at = file_read_at;
    out->destroy = file_reader_destroy;
    return SL_OK;
}

/* ---------------------------------------------------------------- memory */

static int memory_size(void *ctx, uint64_t *out, struct sl_error *err)
{
    (void)err;
    *out = ((struct sl_memory_file *)ctx)->len;
    return SL_OK;
}

static int memory_read_at(void *ctx, uint64_t offset, void *buf, size_t len, struct sl_error *err)
{
    struct sl_memory_file *mem = ctx;
    if (offset > mem->len || len > mem->len - offset)
        return sl_error_set(err, SL_EPROTO, "read of %zu bytes at offset %llu past the end (%zu)",
                            len, (unsigned long long)offset, mem->len);
    memcpy(buf, mem->bytes + offset, len);
    return SL_OK;
}

static void memory_destroy(void *ctx)
{
    (void)ctx;
}

void sl_memory_read_file(struct sl_memory_file *mem, const void *bytes, size_t len,
                         struct sl_read_file *out)
{
    mem->bytes = bytes;
    mem->len = len;
    out->ctx = mem;
    out->size = memory_size;
    out->read_at = memory_read_at;
    out->destroy = memory_destroy;
}

/*
 * Local-file implementations of the stream interfaces. Writes go to a
 * temporary name in the same directory and become visible atomically at
 * finish (fsync file, rename, fsync directory), so a crash never leaves a
 * half-written object under its final name.
 */
#include "sluice/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
    bool done;
};

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

static int fsync_parent(const char *path, struct sl_error *err)
{
    char *copy = sl_strdup(path);
    if (copy == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = SL_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = sl_error_set(err, SL_EIO, "cannot fsync the directory of %s: %s", path,
                          strerror(errno));
    if (fd >= 0)
        close(fd);
    sl_free(copy);
    return rc;
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
    if (rename(w->tmp_path, w->path) != 0) {
        int rc = sl_error_set(err, SL_EIO, "cannot rename %s to %s: %s", w->tmp_path, w->path,
                              strerror(errno));
        unlink(w->tmp_path);
        return rc;
    }
    return fsync_parent(w->path, err);
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
    sl_free(w->path);
    sl_free(w->tmp_path);
    sl_free(w);
}

int sl_file_write_stream_open(const char *path, struct sl_write_stream *out, struct sl_error *err)
{
    static unsigned counter; /* distinguishes temp names within a process */
    struct file_writer *w = sl_calloc(1, sizeof(*w));
    struct sl_buf tmp;

    sl_buf_init(&tmp, 8192);
    if (w == NULL || (w->path = sl_strdup(path)) == NULL ||
        sl_buf_printf(&tmp, "%s.tmp-%ld-%u", path, (long)getpid(),
                      __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)) != SL_OK) {
        sl_buf_free(&tmp);
        if (w != NULL)
            sl_free(w->path);
        sl_free(w);
        return sl_error_set(err, SL_ENOMEM, "out of memory opening %s", path);
    }
    w->tmp_path = sl_buf_detach(&tmp);
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int rc = sl_error_set(err, SL_EIO, "cannot create %s: %s", w->tmp_path, strerror(errno));
        w->done = true;
        file_writer_destroy(w);
        return rc;
    }
    out->ctx = w;
    out->write = file_write;
    out->finish = file_finish;
    out->abort = file_abort;
    out->destroy = file_writer_destroy;
    out->written = 0;
    return SL_OK;
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

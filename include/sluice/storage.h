/*
 * storage: moving bytes to and from where tables live. This header holds the
 * stream interfaces that format writers and readers use without knowing the
 * backend (Redis' rio idea): a write stream for producing one object
 * sequentially, and a random-access read file. Object-store backends (local,
 * S3) and the fault-injecting wrapper build on these (issues 4 and 5).
 */
#ifndef SLUICE_STORAGE_H
#define SLUICE_STORAGE_H

#include "sluice/core.h"

/*
 * A sequential writer of one object. write() appends; finish() makes the
 * object durable and visible (for local files: fsync + rename; for S3: the
 * multipart upload completes); abort() discards it. After finish() or
 * abort() only destroy() may be called. destroy() on an unfinished stream
 * aborts it. Not thread-safe.
 */
struct sl_write_stream {
    void *ctx;
    int (*write)(void *ctx, const void *bytes, size_t len, struct sl_error *err);
    int (*finish)(void *ctx, struct sl_error *err);
    void (*abort)(void *ctx);
    void (*destroy)(void *ctx);
    uint64_t written; /* bytes accepted by write() so far, kept by the caller helpers */
};

/* Appends bytes and counts them. */
int sl_write_stream_write(struct sl_write_stream *stream, const void *bytes, size_t len,
                          struct sl_error *err);

/*
 * A random-access reader of one immutable object: size and ranged reads.
 * read_at() reads exactly len bytes or fails. Not thread-safe.
 */
struct sl_read_file {
    void *ctx;
    int (*size)(void *ctx, uint64_t *out, struct sl_error *err);
    int (*read_at)(void *ctx, uint64_t offset, void *buf, size_t len, struct sl_error *err);
    void (*destroy)(void *ctx);
};

/*
 * Local-file streams. The write stream writes `path`.tmp-<pid>-<n>, then at
 * finish fsyncs, renames over `path` and fsyncs the directory. Caller owns
 * *out (call out->destroy(out->ctx)).
 */
int sl_file_write_stream_open(const char *path, struct sl_write_stream *out, struct sl_error *err);
int sl_file_read_open(const char *path, struct sl_read_file *out, struct sl_error *err);

/* An in-memory read file over borrowed bytes (tests, fuzzers); `mem` holds its
 * state and must outlive *out; destroy() is a no-op. */
struct sl_memory_file {
    const uint8_t *bytes;
    size_t len;
};
void sl_memory_read_file(struct sl_memory_file *mem, const void *bytes, size_t len,
                         struct sl_read_file *out);

#endif

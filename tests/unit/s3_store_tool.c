/*
 * A command-line driver of the object-store interface, opened through
 * sl_object_store_open like every sluice command, so the integration tests
 * (tests/integration/test_s3_store.py) reach each operation of a backend:
 *
 *   s3_store_tool URI put KEY FILE            put_if_absent KEY FILE
 *   s3_store_tool URI get KEY                 get_range KEY OFFSET LEN
 *   s3_store_tool URI head KEY                remove KEY
 *   s3_store_tool URI remove_many FILE        (keys, one per line; "-" is stdin)
 *   s3_store_tool URI list PREFIX [-r]        (lines "key<TAB>size" or "key<TAB>prefix")
 *   s3_store_tool URI write KEY FILE [CHUNK]  (a write stream, CHUNK bytes per write)
 *   s3_store_tool URI write_abort KEY FILE    (writes FILE, then aborts)
 *   s3_store_tool URI read KEY THREADS CHUNK  (open_read, read_at from THREADS threads)
 *
 * FILE "-" is stdin; object bytes go to stdout. Failures print
 * "error: <CODE>: <message>" on stderr and exit 2.
 */
#include "sluice/storage.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const struct sl_error *err)
{
    fprintf(stderr, "error: %s: %s\n", sl_error_code_name(err->code), err->message);
    return 2;
}

static int read_input(const char *path, struct sl_buf *out)
{
    char chunk[65536];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        perror(path);
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (sl_buf_append(out, chunk, n) != SL_OK) {
            fprintf(stderr, "out of memory reading %s\n", path);
            return -1;
        }
    }
    if (f != stdin)
        fclose(f);
    return 0;
}

struct reader_job {
    struct sl_read_file *file;
    char *dest;
    uint64_t size;
    size_t chunk;
    int index, threads;
    struct sl_error err;
    int rc;
};

static void *read_chunks(void *arg)
{
    struct reader_job *job = arg;
    /* thread i reads chunks i, i + threads, ...: neighbours run at once */
    for (uint64_t off = (uint64_t)job->index * job->chunk; off < job->size;
         off += (uint64_t)job->threads * job->chunk) {
        size_t len = (size_t)SL_MIN((uint64_t)job->chunk, job->size - off);
        job->rc = job->file->read_at(job->file->ctx, off, job->dest + off, len, &job->err);
        if (job->rc != SL_OK)
            break;
    }
    return NULL;
}

static int cmd_read(struct sl_object_store *s, const char *key, int threads, size_t chunk,
                    struct sl_error *err)
{
    struct sl_read_file file = {0};
    struct reader_job jobs[64];
    pthread_t tids[64];
    uint64_t size = 0;
    char *dest = NULL;
    int rc;

    if (threads < 1 || threads > 64 || chunk == 0)
        return sl_error_set(err, SL_EINVAL, "read: 1..64 threads and a chunk > 0");
    rc = s->open_read(s->ctx, key, &file, err);
    if (rc == SL_OK)
        rc = file.size(file.ctx, &size, err);
    if (rc != SL_OK)
        goto done;
    dest = malloc(size > 0 ? (size_t)size : 1);
    if (dest == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct reader_job){.file = &file, .dest = dest, .size = size, .chunk = chunk,
                                      .index = i, .threads = threads};
        pthread_create(&tids[i], NULL, read_chunks, &jobs[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < threads; i++) {
        if (jobs[i].rc != SL_OK && rc == SL_OK) {
            *err = jobs[i].err;
            rc = jobs[i].rc;
        }
    }
    if (rc == SL_OK && size > 0)
        fwrite(dest, 1, (size_t)size, stdout);

done:
    free(dest);
    if (file.destroy != NULL)
        file.destroy(file.ctx);
    return rc;
}

/* Streams FILE through a write stream, CHUNK bytes per write (the input is
 * never held whole, as the Parquet writer does not hold a file whole). */
static int cmd_write(struct sl_object_store *s, const char *key, const char *path, size_t chunk,
                     bool abort_it, struct sl_error *err)
{
    struct sl_write_stream stream = {0};
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *piece = malloc(chunk);
    size_t n;
    int rc;

    if (f == NULL || piece == NULL) {
        rc = sl_error_set(err, SL_EIO, "cannot read %s", path);
        goto done;
    }
    rc = s->open_write(s->ctx, key, &stream, err);
    while (rc == SL_OK && (n = fread(piece, 1, chunk, f)) > 0)
        rc = sl_write_stream_write(&stream, piece, n, err);
    if (rc == SL_OK && ferror(f))
        rc = sl_error_set(err, SL_EIO, "cannot read %s", path);
    if (rc == SL_OK && abort_it)
        stream.abort(stream.ctx);
    else if (rc == SL_OK)
        rc = stream.finish(stream.ctx, err);

done:
    if (stream.destroy != NULL)
        stream.destroy(stream.ctx);
    if (f != NULL && f != stdin)
        fclose(f);
    free(piece);
    return rc;
}

/* Deletes the keys listed in FILE (one per line) with sl_object_store_remove_many. */
static int cmd_remove_many(struct sl_object_store *s, const char *path, struct sl_buf *text,
                           struct sl_error *err)
{
    const char **keys = NULL;
    size_t n = 0;
    int rc;

    if (read_input(path, text) != 0 || sl_buf_putc(text, '\0') != SL_OK)
        return sl_error_set(err, SL_EIO, "cannot read %s", path);
    keys = malloc((text->len + 1) * sizeof(*keys));
    if (keys == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (char *line = text->data; line < text->data + text->len - 1;) {
        char *end = strchr(line, '\n');
        if (end == NULL)
            end = text->data + text->len - 1;
        *end = '\0';
        if (end > line)
            keys[n++] = line;
        line = end + 1;
    }
    rc = sl_object_store_remove_many(s, keys, n, err);
    free(keys);
    return rc;
}

int main(int argc, char **argv)
{
    struct sl_object_store s = {0};
    struct sl_error err = {0};
    struct sl_buf buf;
    const char *cmd;
    int rc;

    if (argc < 4) {
        fprintf(stderr, "usage: %s URI COMMAND ARGS... (see the source)\n", argv[0]);
        return 64;
    }
    sl_log_set_level(getenv("SLUICE_LOG_LEVEL") != NULL && strcmp(getenv("SLUICE_LOG_LEVEL"),
                                                                  "debug") == 0
                         ? SL_LOG_DEBUG
                         : SL_LOG_INFO);
    sl_buf_init(&buf, (size_t)4 << 30);
    cmd = argv[2];
    rc = sl_object_store_open(argv[1], &s, &err);
    if (rc != SL_OK)
        return fail(&err);
    if ((strcmp(cmd, "put") == 0 || strcmp(cmd, "put_if_absent") == 0) && argc == 5) {
        rc = read_input(argv[4], &buf) == 0 ? SL_OK : SL_EIO;
        if (rc == SL_OK)
            rc = (strcmp(cmd, "put") == 0 ? s.put : s.put_if_absent)(s.ctx, argv[3], buf.data,
                                                                     buf.len, &err);
        else
            sl_error_set(&err, rc, "cannot read %s", argv[4]);
    } else if (strcmp(cmd, "get") == 0 && argc == 4) {
        rc = s.get(s.ctx, argv[3], &buf, &err);
        if (rc == SL_OK && buf.len > 0)
            fwrite(buf.data, 1, buf.len, stdout);
    } else if (strcmp(cmd, "get_range") == 0 && argc == 6) {
        size_t len = (size_t)strtoull(argv[5], NULL, 10);
        char *dest = malloc(len > 0 ? len : 1);
        rc = dest == NULL ? sl_error_set(&err, SL_ENOMEM, "out of memory")
                          : s.get_range(s.ctx, argv[3], strtoull(argv[4], NULL, 10), dest, len,
                                        &err);
        if (rc == SL_OK && len > 0)
            fwrite(dest, 1, len, stdout);
        free(dest);
    } else if (strcmp(cmd, "head") == 0 && argc == 4) {
        uint64_t size = 0;
        rc = s.head(s.ctx, argv[3], &size, &err);
        if (rc == SL_OK)
            printf("%llu\n", (unsigned long long)size);
    } else if (strcmp(cmd, "remove") == 0 && argc == 4) {
        rc = s.remove(s.ctx, argv[3], &err);
    } else if (strcmp(cmd, "remove_many") == 0 && argc == 4) {
        rc = cmd_remove_many(&s, argv[3], &buf, &err);
    } else if (strcmp(cmd, "list") == 0 && (argc == 4 || argc == 5)) {
        struct sl_object_listing listing = {0};
        rc = s.list(s.ctx, argv[3], argc == 5 && strcmp(argv[4], "-r") == 0, &listing, &err);
        for (size_t i = 0; rc == SL_OK && i < listing.count; i++) {
            if (listing.entries[i].is_prefix)
                printf("%s\tprefix\n", listing.entries[i].key);
            else
                printf("%s\t%llu\n", listing.entries[i].key,
                       (unsigned long long)listing.entries[i].size);
        }
        sl_object_listing_free(&listing);
    } else if ((strcmp(cmd, "write") == 0 && (argc == 5 || argc == 6)) ||
               (strcmp(cmd, "write_abort") == 0 && argc == 5)) {
        size_t chunk = argc == 6 ? (size_t)strtoull(argv[5], NULL, 10) : 65536;
        rc = cmd_write(&s, argv[3], argv[4], chunk > 0 ? chunk : 65536,
                       strcmp(cmd, "write_abort") == 0, &err);
    } else if (strcmp(cmd, "read") == 0 && argc == 6) {
        rc = cmd_read(&s, argv[3], atoi(argv[4]), (size_t)strtoull(argv[5], NULL, 10), &err);
    } else {
        fprintf(stderr, "unknown command or wrong arguments: %s\n", cmd);
        rc = 64;
    }
    sl_buf_free(&buf);
    sl_object_store_close(&s);
    if (rc == 64)
        return 64;
    return rc == SL_OK ? 0 : fail(&err);
}

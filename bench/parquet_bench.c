/*
 * bench/parquet_bench: times sluice's Parquet writer (and reader) on the data
 * bench/parquet describes, so the script can compare with pyarrow on the same
 * rows. Data is generated in memory before the clock starts.
 *
 * usage: parquet_bench write FILE ROWS CODEC DICT   -> prints "seconds bytes cpu_seconds"
 *        parquet_bench read FILE [THREADS]   -> prints "seconds rows cpu_seconds threads"
 *          (THREADS: decoding threads, 0 or absent = the reader's default)
 * Columns: id int64, name string (high cardinality), color string (5 values),
 * amount decimal(12,2), ts timestamp(us, UTC); every column but id has 10% NULLs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sluice/parquet.h"

#define BATCH 65536

/* User + system CPU seconds of this process so far. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Row i of column c is NULL when (i * 31 + c * 7) % 10 == 0 (c >= 1): 10% NULLs. */
static uint8_t present(int64_t i, int c)
{
    return (uint8_t)((i * 31 + c * 7) % 10 != 0);
}

static int write_file(const char *path, int64_t rows, const char *codec, int dictionary)
{
    static const char *const colors[] = {"red", "green", "blue", "yellow", "black"};
    static const struct sl_parquet_column_spec specs[] = {
        {"id", SL_PARQUET_COL_INT64, false, false, 0, 0},
        {"name", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"color", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"amount", SL_PARQUET_COL_DECIMAL, true, false, 12, 2},
        {"ts", SL_PARQUET_COL_TIMESTAMP_MICROS, true, true, 0, 0},
    };
    struct sl_parquet_writer_options options;
    struct sl_parquet_writer *writer = NULL;
    struct sl_write_stream out;
    struct sl_error err;
    size_t nbatches = (size_t)((rows + BATCH - 1) / BATCH);
    struct batch {
        int64_t id[BATCH], ts[BATCH];
        uint8_t valid[5][BATCH];
        uint32_t name_off[BATCH + 1], color_off[BATCH + 1];
        char *names, *colors;
        uint8_t amount[BATCH * 6];
    } *batches = calloc(nbatches ? nbatches : 1, sizeof(struct batch));

    if (batches == NULL)
        return 1;
    for (size_t b = 0; b < nbatches; b++) {
        struct batch *bt = &batches[b];
        bt->names = malloc((size_t)BATCH * 12);
        bt->colors = malloc((size_t)BATCH * 8);
        size_t nl = 0, cl = 0;
        bt->name_off[0] = bt->color_off[0] = 0;
        for (int64_t r = 0; r < BATCH; r++) {
            int64_t i = (int64_t)b * BATCH + r;
            bt->id[r] = i;
            for (int c = 1; c < 5; c++)
                bt->valid[c][r] = present(i, c);
            if (bt->valid[1][r])
                nl += (size_t)sprintf(bt->names + nl, "s%lld", (long long)(i * 7919 % 1000003));
            bt->name_off[r + 1] = (uint32_t)nl;
            if (bt->valid[2][r]) {
                const char *color = colors[i % 5];
                memcpy(bt->colors + cl, color, strlen(color));
                cl += strlen(color);
            }
            bt->color_off[r + 1] = (uint32_t)cl;
            int64_t unscaled = (i * 37) % 1000000000 - 500000000;
            for (int k = 0; k < 6; k++)
                bt->amount[r * 6 + k] = (uint8_t)((uint64_t)unscaled >> (8 * (5 - k)));
            bt->ts[r] = 1700000000000000LL + i * 1000003LL;
        }
    }

    sl_parquet_writer_options_default(&options);
    options.codec = strcmp(codec, "zstd") == 0   ? SL_PARQUET_COMPRESSION_ZSTD
                    : strcmp(codec, "none") == 0 ? SL_PARQUET_COMPRESSION_NONE
                                                 : SL_PARQUET_COMPRESSION_SNAPPY;
    options.dictionary = dictionary != 0;
    double t0 = now(), c0 = cpu_seconds();
    if (sl_file_write_stream_open(path, &out, &err) != SL_OK ||
        sl_parquet_writer_open(specs, 5, &options, &out, &writer, &err) != SL_OK)
        goto fail;
    for (size_t b = 0; b < nbatches; b++) {
        struct batch *bt = &batches[b];
        uint32_t n = (uint32_t)SL_MIN((int64_t)BATCH, rows - (int64_t)b * BATCH);
        struct sl_parquet_column_values v[5];
        memset(v, 0, sizeof(v));
        v[0].u.i64 = bt->id;
        v[1].valid = bt->valid[1];
        v[1].u.bytes.offsets = bt->name_off;
        v[1].u.bytes.data = (const uint8_t *)bt->names;
        v[2].valid = bt->valid[2];
        v[2].u.bytes.offsets = bt->color_off;
        v[2].u.bytes.data = (const uint8_t *)bt->colors;
        v[3].valid = bt->valid[3];
        v[3].u.fixed = bt->amount;
        v[4].valid = bt->valid[4];
        v[4].u.i64 = bt->ts;
        if (sl_parquet_writer_write(writer, v, n, &err) != SL_OK)
            goto fail;
    }
    if (sl_parquet_writer_close(writer, NULL, &err) != SL_OK || out.finish(out.ctx, &err) != SL_OK)
        goto fail;
    double seconds = now() - t0, cpu = cpu_seconds() - c0;
    printf("%.6f %llu %.6f\n", seconds, (unsigned long long)out.written, cpu);
    out.destroy(out.ctx);
    sl_parquet_writer_free(writer);
    for (size_t b = 0; b < nbatches; b++) {
        free(batches[b].names);
        free(batches[b].colors);
    }
    free(batches);
    return 0;
fail:
    fprintf(stderr, "parquet_bench: %s\n", err.message);
    return 1;
}

/*
 * Reads every column of every row group with sl_parquet_reader_read_columns on
 * `threads` decoding threads (0 = the reader's default); prints "seconds rows
 * cpu_seconds threads".
 */
static int read_file(const char *path, uint32_t threads)
{
    struct sl_read_file file;
    struct sl_parquet_reader *reader = NULL;
    struct sl_parquet_column_values *values = NULL;
    uint32_t *all = NULL;
    struct sl_error err;
    int64_t rows = 0;
    bool file_open = false;
    double t0 = now(), c0 = cpu_seconds();

    if (sl_file_read_open(path, &file, &err) != SL_OK)
        goto fail;
    file_open = true;
    if (sl_parquet_reader_open(&file, path, &reader, &err) != SL_OK ||
        sl_parquet_reader_set_threads(reader, threads, &err) != SL_OK)
        goto fail;
    uint32_t ncolumns = sl_parquet_reader_ncolumns(reader);
    values = calloc(ncolumns + 1, sizeof(*values));
    all = calloc(ncolumns + 1, sizeof(*all));
    if (values == NULL || all == NULL) {
        sl_error_set(&err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t c = 0; c < ncolumns; c++)
        all[c] = c;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(reader); g++) {
        if (sl_parquet_reader_read_columns(reader, g, all, ncolumns, values, &err) != SL_OK)
            goto fail;
        rows += sl_parquet_reader_row_group_rows(reader, g);
    }
    printf("%.6f %lld %.6f %u\n", now() - t0, (long long)rows, cpu_seconds() - c0,
           sl_parquet_reader_threads(reader));
    free(values);
    free(all);
    sl_parquet_reader_free(reader);
    file.destroy(file.ctx);
    return 0;
fail:
    fprintf(stderr, "parquet_bench: %s\n", err.message);
    free(values);
    free(all);
    sl_parquet_reader_free(reader);
    if (file_open)
        file.destroy(file.ctx);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "write") == 0)
        return write_file(argv[2], atoll(argv[3]), argv[4], atoi(argv[5]));
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "read") == 0)
        return read_file(argv[2], argc == 4 ? (uint32_t)atoi(argv[3]) : 0);
    fprintf(stderr, "usage: parquet_bench write FILE ROWS CODEC DICT | read FILE [THREADS]\n");
    return 2;
}

/*
 * Unit tests for the Parquet reader's parallel decoding
 * (sl_parquet_reader_read_columns): on random files written by sluice and on
 * the pyarrow golden files, every thread count must give exactly what
 * sl_parquet_reader_read_column gives one column at a time and what was
 * written; a corrupt column fails the call with the first failing column's
 * error in the caller's order, whatever the thread count.
 */
#include <dirent.h>
#include <stdlib.h>

#include "sluice/parquet.h"
#include "unit.h"

#ifndef SLUICE_PARQUET_GOLDEN_DIR
#define SLUICE_PARQUET_GOLDEN_DIR "tests/unit/data/parquet"
#endif

/* ---------------------------------------------------------------- helpers */

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64*: deterministic per seed, so a failure can be replayed */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C(2685821657736338717);
}

/* A write stream into a growable buffer. */
static int memory_write(void *ctx, const void *bytes, size_t len, struct sl_error *err)
{
    return sl_buf_append(ctx, bytes, len) == SL_OK ? SL_OK
                                                   : sl_error_set(err, SL_ENOMEM, "oom");
}
static int memory_finish(void *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    return SL_OK;
}
static void memory_nothing(void *ctx)
{
    (void)ctx;
}
static void memory_stream(struct sl_buf *bytes, struct sl_write_stream *out)
{
    sl_buf_init(bytes, (size_t)1 << 30);
    memset(out, 0, sizeof(*out));
    out->ctx = bytes;
    out->write = memory_write;
    out->finish = memory_finish;
    out->abort = memory_nothing;
    out->destroy = memory_nothing;
}

/* Bytes per value slot of a column as the reader returns it; 0 for BYTE_ARRAY. */
static size_t slot_width(const struct sl_parquet_column_info *info)
{
    switch (info->physical) {
    case 0:
        return 1;
    case 1:
    case 4:
        return 4;
    case 2:
    case 5:
        return 8;
    case 3:
        return 12;
    case 6:
        return 0;
    default:
        return (size_t)info->type_length;
    }
}

/* An owned copy of one column's values, to compare across reads. */
struct column_copy {
    bool has_valid;
    uint8_t *valid;
    uint8_t *values; /* fixed width: nrows * width bytes; BYTE_ARRAY: the data */
    size_t values_len;
    uint32_t *offsets;
};

static void copy_free(struct column_copy *c)
{
    free(c->valid);
    free(c->values);
    free(c->offsets);
    memset(c, 0, sizeof(*c));
}

static void copy_take(struct column_copy *c, const struct sl_parquet_column_info *info,
                      const struct sl_parquet_column_values *v, size_t nrows)
{
    size_t width = slot_width(info);
    memset(c, 0, sizeof(*c));
    c->has_valid = v->valid != NULL;
    c->valid = calloc(nrows + 1, 1);
    if (v->valid != NULL)
        memcpy(c->valid, v->valid, nrows);
    if (width == 0) {
        c->offsets = calloc(nrows + 1, sizeof(uint32_t));
        memcpy(c->offsets, v->u.bytes.offsets, (nrows + 1) * sizeof(uint32_t));
        c->values_len = v->u.bytes.offsets[nrows];
        c->values = malloc(c->values_len + 1);
        memcpy(c->values, v->u.bytes.data, c->values_len);
    } else {
        c->values_len = nrows * width;
        c->values = malloc(c->values_len + 1);
        memcpy(c->values, v->u.fixed, c->values_len);
    }
}

/* True when v holds exactly what c holds. */
static bool copy_equals(const struct column_copy *c, const struct sl_parquet_column_info *info,
                        const struct sl_parquet_column_values *v, size_t nrows)
{
    size_t width = slot_width(info);
    if ((v->valid != NULL) != c->has_valid)
        return false;
    if (v->valid != NULL && memcmp(v->valid, c->valid, nrows) != 0)
        return false;
    if (width == 0)
        return memcmp(v->u.bytes.offsets, c->offsets, (nrows + 1) * sizeof(uint32_t)) == 0 &&
               v->u.bytes.offsets[nrows] == c->values_len &&
               memcmp(v->u.bytes.data, c->values, c->values_len) == 0;
    return memcmp(v->u.fixed, c->values, c->values_len) == 0;
}

/*
 * Reads every readable column of every row group one at a time, then with read_columns on
 * each thread count (also with the columns reversed and one listed twice), and checks each
 * gives the same bytes. Returns the number of columns compared.
 */
static size_t compare_parallel_with_sequential(struct sl_read_file *file, const char *name)
{
    static const uint32_t thread_counts[] = {1, 2, 3, 8, 0};
    struct sl_parquet_reader *reader = NULL;
    struct sl_error err;
    size_t compared = 0;

    if (sl_parquet_reader_open(file, name, &reader, &err) != SL_OK) {
        fprintf(stderr, "  %s: %s\n", name, err.message);
        unit_current_failed = 1;
        return 0;
    }
    uint32_t ncolumns = sl_parquet_reader_ncolumns(reader);
    uint32_t *list = calloc(2 * ncolumns + 2, sizeof(*list));
    struct sl_parquet_column_values *got = calloc(2 * ncolumns + 2, sizeof(*got));
    struct column_copy *expected = calloc(ncolumns + 1, sizeof(*expected));
    uint32_t nlist = 0;
    for (uint32_t c = 0; c < ncolumns; c++)
        if (sl_parquet_reader_column(reader, c)->unsupported == NULL)
            list[nlist++] = c;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(reader); g++) {
        size_t nrows = (size_t)sl_parquet_reader_row_group_rows(reader, g);
        for (uint32_t i = 0; i < nlist; i++) {
            struct sl_parquet_column_values v;
            int rc = sl_parquet_reader_read_column(reader, g, list[i], &v, &err);
            if (rc != SL_OK) {
                fprintf(stderr, "  %s: %s\n", name, err.message);
                unit_current_failed = 1;
                goto done;
            }
            copy_take(&expected[list[i]], sl_parquet_reader_column(reader, list[i]), &v, nrows);
        }
        for (size_t t = 0; t < SL_ARRAY_LEN(thread_counts); t++) {
            CHECK(sl_parquet_reader_set_threads(reader, thread_counts[t], &err) == SL_OK);
            for (int variant = 0; variant < 2; variant++) {
                uint32_t n = nlist;
                uint32_t *cols = list + ncolumns + 1;
                for (uint32_t i = 0; i < nlist; i++)
                    cols[i] = variant == 0 ? list[i] : list[nlist - 1 - i];
                if (variant == 1 && nlist > 0)
                    cols[n++] = cols[0]; /* listed twice: both entries get the arrays */
                memset(got, 0xa5, sizeof(*got) * n);
                int rc = sl_parquet_reader_read_columns(reader, g, cols, n, got, &err);
                CHECK_INT(rc, SL_OK);
                if (rc != SL_OK) {
                    fprintf(stderr, "  %s: %s\n", name, err.message);
                    goto done;
                }
                for (uint32_t i = 0; i < n; i++) {
                    const struct sl_parquet_column_info *info =
                        sl_parquet_reader_column(reader, cols[i]);
                    if (!copy_equals(&expected[cols[i]], info, &got[i], nrows)) {
                        fprintf(stderr,
                                "  %s: row group %u column %s differs with %u threads\n", name,
                                g, info->name, sl_parquet_reader_threads(reader));
                        unit_current_failed = 1;
                    }
                    compared++;
                }
            }
        }
        for (uint32_t i = 0; i < nlist; i++)
            copy_free(&expected[list[i]]);
    }
done:
    for (uint32_t c = 0; c < ncolumns; c++)
        copy_free(&expected[c]);
    free(expected);
    free(got);
    free(list);
    sl_parquet_reader_free(reader);
    return compared;
}

/* ---------------------------------------------------------------- random files */

#define RANDOM_COLUMNS 10

static const struct sl_parquet_column_spec random_specs[RANDOM_COLUMNS] = {
    {"id", SL_PARQUET_COL_INT64, false, false, 0, 0},
    {"small", SL_PARQUET_COL_INT32, true, false, 0, 0},
    {"ratio", SL_PARQUET_COL_DOUBLE, true, false, 0, 0},
    {"name", SL_PARQUET_COL_STRING, true, false, 0, 0},
    {"color", SL_PARQUET_COL_STRING, true, false, 0, 0},
    {"price", SL_PARQUET_COL_DECIMAL, true, false, 20, 3},
    {"ok", SL_PARQUET_COL_BOOLEAN, true, false, 0, 0},
    {"day", SL_PARQUET_COL_DATE, false, false, 0, 0},
    {"never", SL_PARQUET_COL_INT64, true, false, 0, 0},
    {"amount", SL_PARQUET_COL_DECIMAL, true, false, 12, 2},
};

/* Random rows for random_specs; owns its arrays. */
struct random_rows {
    size_t nrows;
    uint8_t *valid[RANDOM_COLUMNS];
    int64_t *id, *never;
    int32_t *small, *day;
    double *ratio;
    uint32_t *name_offsets, *color_offsets;
    uint8_t *name_data, *color_data;
    uint8_t *price;  /* 9 bytes a row */
    uint8_t *amount; /* 6 bytes a row */
    uint8_t *ok;
};

static void random_rows_free(struct random_rows *r)
{
    for (int c = 0; c < RANDOM_COLUMNS; c++)
        free(r->valid[c]);
    free(r->id);
    free(r->never);
    free(r->small);
    free(r->day);
    free(r->ratio);
    free(r->name_offsets);
    free(r->color_offsets);
    free(r->name_data);
    free(r->color_data);
    free(r->price);
    free(r->amount);
    free(r->ok);
}

static void random_rows_make(struct random_rows *r, size_t nrows, uint64_t seed)
{
    static const char *const colors[] = {"red", "green", "", "a longer colour name, past 16 bytes"};
    uint64_t s = seed * 2 + 1;
    size_t name_len = 0, color_len = 0;

    memset(r, 0, sizeof(*r));
    r->nrows = nrows;
    for (int c = 0; c < RANDOM_COLUMNS; c++) {
        unsigned null_percent = c == 8 ? 100 : (unsigned)(next_random(&s) % 40);
        r->valid[c] = malloc(nrows + 1);
        for (size_t i = 0; i < nrows; i++)
            r->valid[c][i] = random_specs[c].optional ? next_random(&s) % 100 >= null_percent : 1;
    }
    r->id = malloc(8 * nrows + 8);
    r->never = calloc(nrows + 1, 8);
    r->small = malloc(4 * nrows + 4);
    r->day = malloc(4 * nrows + 4);
    r->ratio = malloc(8 * nrows + 8);
    r->name_offsets = malloc(4 * nrows + 4);
    r->color_offsets = malloc(4 * nrows + 4);
    r->name_data = malloc(nrows * 60 + 1);
    r->color_data = malloc(nrows * 40 + 1);
    r->price = malloc(9 * nrows + 9);
    r->amount = malloc(6 * nrows + 6);
    r->ok = malloc(nrows + 1);
    r->name_offsets[0] = r->color_offsets[0] = 0;
    for (size_t i = 0; i < nrows; i++) {
        uint64_t x = next_random(&s);
        r->id[i] = (int64_t)x;
        r->small[i] = (int32_t)(x >> 40) % 1000;
        r->day[i] = (int32_t)(x % 40000) - 20000;
        r->ratio[i] = (double)(int64_t)x / 1e9;
        /* names: 0..59 bytes of letters, many short, some past the 16-byte fast path */
        size_t len = (x >> 8) % 4 == 0 ? (x >> 16) % 60 : (x >> 16) % 12;
        for (size_t k = 0; k < len; k++)
            r->name_data[name_len + k] = (uint8_t)('a' + (next_random(&s) % 26));
        if (r->valid[3][i])
            name_len += len;
        r->name_offsets[i + 1] = (uint32_t)name_len;
        const char *color = colors[(x >> 24) % 4];
        if (r->valid[4][i]) {
            memcpy(r->color_data + color_len, color, strlen(color));
            color_len += strlen(color);
        }
        r->color_offsets[i + 1] = (uint32_t)color_len;
        for (int k = 0; k < 9; k++)
            r->price[i * 9 + k] = (uint8_t)next_random(&s);
        /* a few hundred distinct amounts: dictionary pages of 6-byte values */
        uint64_t amount = next_random(&s) % 300;
        for (int k = 0; k < 6; k++)
            r->amount[i * 6 + k] = (uint8_t)(amount * 0x9e3779b9u >> (8 * k));
        r->ok[i] = (uint8_t)(x & 1);
    }
}

static void random_values(const struct random_rows *r, struct sl_parquet_column_values v[])
{
    memset(v, 0, sizeof(*v) * RANDOM_COLUMNS);
    for (int c = 0; c < RANDOM_COLUMNS; c++)
        v[c].valid = random_specs[c].optional ? r->valid[c] : NULL;
    v[0].u.i64 = r->id;
    v[1].u.i32 = r->small;
    v[2].u.f64 = r->ratio;
    v[3].u.bytes.offsets = r->name_offsets;
    v[3].u.bytes.data = r->name_data;
    v[4].u.bytes.offsets = r->color_offsets;
    v[4].u.bytes.data = r->color_data;
    v[5].u.fixed = r->price;
    v[6].u.booleans = r->ok;
    v[7].u.i32 = r->day;
    v[8].u.i64 = r->never;
    v[9].u.fixed = r->amount;
}

/* Writes the rows with options picked from the seed; caller frees bytes. */
static int write_random_file(const struct random_rows *r, uint64_t seed, struct sl_buf *bytes)
{
    static const enum sl_parquet_compression codecs[] = {
        SL_PARQUET_COMPRESSION_NONE, SL_PARQUET_COMPRESSION_SNAPPY, SL_PARQUET_COMPRESSION_GZIP,
        SL_PARQUET_COMPRESSION_ZSTD};
    struct sl_parquet_column_values v[RANDOM_COLUMNS];
    struct sl_parquet_writer_options options;
    struct sl_parquet_writer *w = NULL;
    struct sl_write_stream out;
    struct sl_error err;
    int rc;

    memory_stream(bytes, &out);
    random_values(r, v);
    sl_parquet_writer_options_default(&options);
    options.codec = codecs[seed % 4];
    options.dictionary = seed % 5 != 0;
    options.page_bytes = (size_t)1024 << (seed % 6);
    options.row_group_bytes = (size_t)16384 << (seed % 5);
    options.dictionary_page_limit = seed % 3 == 0 ? 256 : 64 << 10;
    rc = sl_parquet_writer_open(random_specs, RANDOM_COLUMNS, &options, &out, &w, &err);
    /* several batches of uneven size */
    for (size_t first = 0; rc == SL_OK && first < r->nrows;) {
        size_t n = SL_MIN(r->nrows - first, 1 + (size_t)((seed * 7919 + first) % 3000));
        struct sl_parquet_column_values part[RANDOM_COLUMNS];
        memcpy(part, v, sizeof(part));
        for (int c = 0; c < RANDOM_COLUMNS; c++)
            if (part[c].valid != NULL)
                part[c].valid += first;
        part[0].u.i64 += first;
        part[1].u.i32 += first;
        part[2].u.f64 += first;
        part[3].u.bytes.offsets += first;
        part[4].u.bytes.offsets += first;
        part[5].u.fixed += first * 9;
        part[6].u.booleans += first;
        part[7].u.i32 += first;
        part[8].u.i64 += first;
        part[9].u.fixed += first * 6;
        rc = sl_parquet_writer_write(w, part, (uint32_t)n, &err);
        first += n;
    }
    if (rc == SL_OK)
        rc = sl_parquet_writer_close(w, NULL, &err);
    if (rc != SL_OK)
        fprintf(stderr, "  write: %s\n", err.message);
    sl_parquet_writer_free(w);
    return rc;
}

/* Checks what read_columns returns (with the reader's threads) against the rows written. */
static void check_against_written(struct sl_read_file *file, const struct random_rows *r,
                                  uint32_t threads)
{
    struct sl_parquet_reader *reader = NULL;
    struct sl_parquet_column_values got[RANDOM_COLUMNS];
    uint32_t all[RANDOM_COLUMNS];
    struct sl_error err;
    size_t row0 = 0;

    REQUIRE(sl_parquet_reader_open(file, "random.parquet", &reader, &err) == SL_OK);
    CHECK(sl_parquet_reader_set_threads(reader, threads, &err) == SL_OK);
    for (uint32_t c = 0; c < RANDOM_COLUMNS; c++)
        all[c] = c;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(reader); g++) {
        size_t n = (size_t)sl_parquet_reader_row_group_rows(reader, g);
        int rc = sl_parquet_reader_read_columns(reader, g, all, RANDOM_COLUMNS, got, &err);
        CHECK_INT(rc, SL_OK);
        if (rc != SL_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            size_t row = row0 + i;
            for (int c = 0; c < RANDOM_COLUMNS; c++) {
                bool present = got[c].valid == NULL || got[c].valid[i];
                if (present != (r->valid[c][row] != 0)) {
                    fprintf(stderr, "  column %d row %zu: presence differs\n", c, row);
                    unit_current_failed = 1;
                }
            }
            CHECK(got[0].u.i64[i] == r->id[row]);
            if (r->valid[1][row])
                CHECK(got[1].u.i32[i] == r->small[row]);
            if (r->valid[2][row])
                CHECK(memcmp(&got[2].u.f64[i], &r->ratio[row], 8) == 0);
            if (r->valid[3][row]) {
                uint32_t len = got[3].u.bytes.offsets[i + 1] - got[3].u.bytes.offsets[i];
                CHECK(len == r->name_offsets[row + 1] - r->name_offsets[row]);
                CHECK(memcmp(got[3].u.bytes.data + got[3].u.bytes.offsets[i],
                             r->name_data + r->name_offsets[row], len) == 0);
            } else {
                CHECK(got[3].u.bytes.offsets[i + 1] == got[3].u.bytes.offsets[i]);
            }
            if (r->valid[4][row]) {
                uint32_t len = got[4].u.bytes.offsets[i + 1] - got[4].u.bytes.offsets[i];
                CHECK(len == r->color_offsets[row + 1] - r->color_offsets[row]);
                CHECK(memcmp(got[4].u.bytes.data + got[4].u.bytes.offsets[i],
                             r->color_data + r->color_offsets[row], len) == 0);
            }
            if (r->valid[5][row])
                CHECK(memcmp(got[5].u.fixed + i * 9, r->price + row * 9, 9) == 0);
            else
                CHECK(memcmp(got[5].u.fixed + i * 9, "\0\0\0\0\0\0\0\0\0", 9) == 0);
            if (r->valid[6][row])
                CHECK(got[6].u.booleans[i] == r->ok[row]);
            CHECK(got[7].u.i32[i] == r->day[row]);
            CHECK(got[8].u.i64[i] == 0);
            if (r->valid[9][row])
                CHECK(memcmp(got[9].u.fixed + i * 6, r->amount + row * 6, 6) == 0);
            else
                CHECK(memcmp(got[9].u.fixed + i * 6, "\0\0\0\0\0\0", 6) == 0);
        }
        row0 += n;
    }
    CHECK(row0 == r->nrows);
    sl_parquet_reader_free(reader);
}

static void test_parallel_equals_sequential_on_random_files(void)
{
    for (uint64_t seed = 1; seed <= 12; seed++) {
        struct random_rows rows;
        struct sl_buf bytes;
        struct sl_memory_file mem;
        struct sl_read_file file;

        random_rows_make(&rows, 2000 + (size_t)(seed * 3571 % 9000), seed);
        if (write_random_file(&rows, seed, &bytes) != SL_OK) {
            unit_current_failed = 1;
        } else {
            sl_memory_read_file(&mem, bytes.data, bytes.len, &file);
            CHECK(compare_parallel_with_sequential(&file, "random.parquet") > 0);
            check_against_written(&file, &rows, 1);
            check_against_written(&file, &rows, 4);
        }
        sl_buf_free(&bytes);
        random_rows_free(&rows);
        if (unit_current_failed) {
            fprintf(stderr, "  (seed %llu)\n", (unsigned long long)seed);
            return;
        }
    }
}

static void test_parallel_equals_sequential_on_golden_files(void)
{
    DIR *dir = opendir(SLUICE_PARQUET_GOLDEN_DIR);
    struct dirent *e;
    size_t files = 0, compared = 0;

    REQUIRE(dir != NULL);
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name), size = 0;
        if (len < 8 || strcmp(e->d_name + len - 8, ".parquet") != 0)
            continue;
        unsigned char *bytes = unit_read_file(SLUICE_PARQUET_GOLDEN_DIR, e->d_name, &size);
        if (bytes == NULL) {
            unit_current_failed = 1;
            continue;
        }
        struct sl_memory_file mem;
        struct sl_read_file file;
        struct sl_parquet_reader *probe = NULL;
        struct sl_error err;
        sl_memory_read_file(&mem, bytes, size, &file);
        /* files sluice cannot read (e.g. LZ4, BROTLI chunks) are the reader tests' business */
        if (sl_parquet_reader_open(&file, e->d_name, &probe, &err) == SL_OK) {
            bool readable = true;
            struct sl_parquet_column_values v;
            for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(probe) && readable; g++)
                for (uint32_t c = 0; c < sl_parquet_reader_ncolumns(probe) && readable; c++)
                    if (sl_parquet_reader_column(probe, c)->unsupported == NULL &&
                        sl_parquet_reader_read_column(probe, g, c, &v, &err) != SL_OK)
                        readable = false;
            sl_parquet_reader_free(probe);
            if (readable) {
                compared += compare_parallel_with_sequential(&file, e->d_name);
                files++;
            }
        }
        free(bytes);
    }
    closedir(dir);
    CHECK(files >= 4);
    CHECK(compared > 0);
}

/* ---------------------------------------------------------------- errors */

/*
 * A file of 4 columns, each made of its own constant bytes so a column's chunk can be found
 * and corrupted: column c's values are all 0x11 * (c + 1), uncompressed, PLAIN.
 */
static int write_marked_file(struct sl_buf *bytes)
{
    static const struct sl_parquet_column_spec specs[4] = {
        {"a", SL_PARQUET_COL_INT64, false, false, 0, 0},
        {"b", SL_PARQUET_COL_INT64, false, false, 0, 0},
        {"c", SL_PARQUET_COL_INT64, false, false, 0, 0},
        {"d", SL_PARQUET_COL_INT64, false, false, 0, 0},
    };
    static int64_t values[4][1000];
    struct sl_parquet_column_values v[4];
    struct sl_parquet_writer_options options;
    struct sl_parquet_writer *w = NULL;
    struct sl_write_stream out;
    struct sl_error err;
    int rc;

    memory_stream(bytes, &out);
    memset(v, 0, sizeof(v));
    for (int c = 0; c < 4; c++) {
        memset(values[c], 0x11 * (c + 1), sizeof(values[c]));
        v[c].u.i64 = values[c];
    }
    sl_parquet_writer_options_default(&options);
    options.codec = SL_PARQUET_COMPRESSION_NONE;
    options.dictionary = false;
    rc = sl_parquet_writer_open(specs, 4, &options, &out, &w, &err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_write(w, v, 1000, &err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_close(w, NULL, &err);
    sl_parquet_writer_free(w);
    return rc;
}

/* Breaks column c (0..3) of a marked file: the last byte of its first page header (the
 * struct's stop byte, just before the values) becomes an invalid field header. Returns
 * false when the column's values were not found. */
static bool corrupt_column(struct sl_buf *bytes, int c)
{
    uint8_t marker[16];
    memset(marker, 0x11 * (c + 1), sizeof(marker));
    for (size_t at = 4; at + sizeof(marker) < bytes->len; at++) {
        if (memcmp(bytes->data + at, marker, sizeof(marker)) == 0) {
            bytes->data[at - 1] = (char)0xff;
            return true;
        }
    }
    return false;
}

static void check_error_order(const struct sl_buf *bytes, const uint32_t *cols, uint32_t n,
                              uint32_t threads, const char *want_column)
{
    struct sl_memory_file mem;
    struct sl_read_file file;
    struct sl_parquet_reader *reader = NULL;
    struct sl_parquet_column_values got[8];
    struct sl_error err;
    char want[64];

    sl_memory_read_file(&mem, bytes->data, bytes->len, &file);
    REQUIRE(sl_parquet_reader_open(&file, "marked.parquet", &reader, &err) == SL_OK);
    REQUIRE(sl_parquet_reader_set_threads(reader, threads, &err) == SL_OK);
    memset(got, 0x5a, sizeof(got));
    err.message[0] = '\0';
    int rc = sl_parquet_reader_read_columns(reader, 0, cols, n, got, &err);
    CHECK_INT(rc, SL_EPROTO);
    snprintf(want, sizeof(want), "marked.parquet: row group 0, column %s:", want_column);
    if (strstr(err.message, want) == NULL) {
        fprintf(stderr, "  %u threads: got \"%s\", want \"%s...\"\n", threads, err.message, want);
        unit_current_failed = 1;
    }
    for (uint32_t i = 0; i < n; i++)
        CHECK(got[i].valid == NULL && got[i].u.fixed == NULL); /* zeroed on failure */
    /* the good columns still read afterwards */
    struct sl_parquet_column_values v;
    CHECK(sl_parquet_reader_read_column(reader, 0, 0, &v, &err) == SL_OK);
    CHECK(v.u.i64 != NULL && v.u.i64[999] == 0x1111111111111111LL);
    sl_parquet_reader_free(reader);
}

static void test_error_in_one_column_names_the_first_failing(void)
{
    struct sl_buf bytes;
    static const uint32_t forward[4] = {0, 1, 2, 3}, backward[4] = {3, 2, 1, 0};
    static const uint32_t threads[] = {1, 2, 4};

    REQUIRE(write_marked_file(&bytes) == SL_OK);
    REQUIRE(corrupt_column(&bytes, 2));
    for (size_t t = 0; t < SL_ARRAY_LEN(threads); t++) {
        check_error_order(&bytes, forward, 4, threads[t], "c");
        check_error_order(&bytes, backward, 4, threads[t], "c");
    }
    /* two broken columns: the first in the caller's order is reported */
    REQUIRE(corrupt_column(&bytes, 1));
    for (size_t t = 0; t < SL_ARRAY_LEN(threads); t++) {
        check_error_order(&bytes, forward, 4, threads[t], "b");
        check_error_order(&bytes, backward, 4, threads[t], "c");
    }
    sl_buf_free(&bytes);
}

static void test_bad_arguments_and_thread_settings(void)
{
    struct sl_buf bytes;
    struct sl_memory_file mem;
    struct sl_read_file file;
    struct sl_parquet_reader *reader = NULL;
    struct sl_parquet_column_values got[2];
    struct sl_error err;
    uint32_t cols[2] = {0, 7};

    REQUIRE(write_marked_file(&bytes) == SL_OK);
    sl_memory_read_file(&mem, bytes.data, bytes.len, &file);
    REQUIRE(sl_parquet_reader_open(&file, "marked.parquet", &reader, &err) == SL_OK);
    uint32_t initial = sl_parquet_reader_threads(reader);
    CHECK(initial >= 1 && initial <= SL_PARQUET_READER_DEFAULT_THREADS_CAP);

    CHECK(sl_parquet_reader_set_threads(reader, SL_PARQUET_READER_MAX_THREADS + 1, &err) ==
          SL_EINVAL);
    CHECK(strstr(err.message, "65") != NULL);
    CHECK(sl_parquet_reader_threads(reader) == initial);

    CHECK(sl_parquet_reader_read_columns(reader, 0, cols, 2, got, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "no column 7") != NULL);
    cols[1] = 1;
    CHECK(sl_parquet_reader_read_columns(reader, 3, cols, 2, got, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "no row group 3") != NULL);
    CHECK(sl_parquet_reader_read_columns(reader, 0, cols, 0, got, &err) == SL_OK);

    /* thread counts change between reads, growing and shrinking a running pool */
    static const uint32_t counts[] = {2, 5, 1, 3, 3, 0, 8, 2};
    for (size_t i = 0; i < SL_ARRAY_LEN(counts); i++) {
        uint32_t four[4] = {3, 1, 2, 0};
        struct sl_parquet_column_values v[4];
        CHECK(sl_parquet_reader_set_threads(reader, counts[i], &err) == SL_OK);
        CHECK(sl_parquet_reader_threads(reader) == (counts[i] ? counts[i] : initial));
        CHECK(sl_parquet_reader_read_columns(reader, 0, four, 4, v, &err) == SL_OK);
        for (int c = 0; c < 4; c++) {
            int64_t want;
            memset(&want, 0x11 * ((int)four[c] + 1), sizeof(want));
            CHECK(v[c].u.i64 != NULL && v[c].u.i64[0] == want && v[c].u.i64[999] == want);
        }
    }
    sl_parquet_reader_free(reader);
    sl_buf_free(&bytes);
}

/* Allocation failures on one thread: every one gives a clean error, and nothing leaks. */
static void test_allocation_failures_fail_cleanly(void)
{
    struct random_rows rows;
    struct sl_buf bytes;
    struct sl_memory_file mem;
    struct sl_read_file file;
    int failures = 0;

    random_rows_make(&rows, 3000, 99);
    REQUIRE(write_random_file(&rows, 7, &bytes) == SL_OK);
    sl_memory_read_file(&mem, bytes.data, bytes.len, &file);
    for (long nth = 1; nth < 400; nth++) {
        struct sl_parquet_reader *reader = NULL;
        struct sl_parquet_column_values got[RANDOM_COLUMNS];
        uint32_t all[RANDOM_COLUMNS];
        struct sl_error err;
        int rc;
        for (uint32_t c = 0; c < RANDOM_COLUMNS; c++)
            all[c] = c;
        err.message[0] = '\0';
        sl_alloc_fail_after(nth);
        rc = sl_parquet_reader_open(&file, "random.parquet", &reader, &err);
        if (rc == SL_OK)
            rc = sl_parquet_reader_set_threads(reader, 1, &err);
        for (uint32_t g = 0; rc == SL_OK && g < sl_parquet_reader_num_row_groups(reader); g++)
            rc = sl_parquet_reader_read_columns(reader, g, all, RANDOM_COLUMNS, got, &err);
        sl_alloc_fail_after(0);
        if (rc != SL_OK) {
            failures++;
            CHECK(rc == SL_ENOMEM || rc == SL_ELIMIT);
            CHECK(err.message[0] != '\0');
        }
        sl_parquet_reader_free(reader);
    }
    CHECK(failures > 10);
    sl_buf_free(&bytes);
    random_rows_free(&rows);
}

UNIT_TESTS(UNIT_TEST(test_parallel_equals_sequential_on_random_files),
           UNIT_TEST(test_parallel_equals_sequential_on_golden_files),
           UNIT_TEST(test_error_in_one_column_names_the_first_failing),
           UNIT_TEST(test_bad_arguments_and_thread_settings),
           UNIT_TEST(test_allocation_failures_fail_cleanly))

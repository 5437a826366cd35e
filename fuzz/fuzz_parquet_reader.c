/*
 * libFuzzer target for the Parquet reader: the input is opened as a file (an in-memory
 * sl_read_file) and every readable column of every row group is read, on two decoding
 * threads (sl_parquet_reader_read_columns) and then again on the caller's alone; both must
 * agree on success or failure. Work is bounded by skipping row groups that claim many rows;
 * any failure must be a clean error with a message.
 */
#include "sluice/parquet.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ROWS 100000
#define FUZZ_MAX_COLUMNS 64

/* Touches the end of every row's slot so ASan sees an undersized array. */
static void touch(const struct sl_parquet_column_info *info,
                  const struct sl_parquet_column_values *values, int64_t rows)
{
    size_t width = info->physical == 0                          ? 1
                   : info->physical == 1 || info->physical == 4 ? 4
                   : info->physical == 3                        ? 12
                   : info->physical == 7                        ? (size_t)info->type_length
                                                                : 8;
    for (int64_t r = 0; r < rows; r++) {
        volatile uint8_t sink = 0;
        if (values->valid != NULL)
            sink = values->valid[r];
        if (info->physical == 6) {
            uint32_t end = values->u.bytes.offsets[r + 1];
            if (end < values->u.bytes.offsets[r])
                abort();
            if (end > 0)
                sink = values->u.bytes.data[end - 1];
        } else {
            sink = values->u.fixed[(size_t)r * width + width - 1];
        }
        (void)sink;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_memory_file mem;
    struct sl_read_file file;
    struct sl_parquet_reader *reader = NULL;
    struct sl_parquet_column_values values[FUZZ_MAX_COLUMNS];
    uint32_t readable[FUZZ_MAX_COLUMNS];
    uint32_t nreadable = 0;
    struct sl_error err;
    int rc;

    sl_memory_read_file(&mem, data, size, &file);
    rc = sl_parquet_reader_open(&file, "fuzz.parquet", &reader, &err);
    if (rc != SL_OK) {
        if (err.message[0] == '\0')
            abort();
        return 0;
    }
    if (sl_parquet_reader_set_threads(reader, 2, &err) != SL_OK)
        abort();
    (void)sl_parquet_reader_kv(reader, "parquet.avro.schema");
    for (uint32_t c = 0; c < sl_parquet_reader_ncolumns(reader) && nreadable < FUZZ_MAX_COLUMNS;
         c++)
        if (sl_parquet_reader_column(reader, c)->unsupported == NULL)
            readable[nreadable++] = c;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(reader); g++) {
        int64_t rows = sl_parquet_reader_row_group_rows(reader, g);
        bool all_ok = true, any_failed = false;
        if (rows > FUZZ_MAX_ROWS)
            continue;
        /* in parallel */
        rc = sl_parquet_reader_read_columns(reader, g, readable, nreadable, values, &err);
        if (rc != SL_OK) {
            if (err.message[0] == '\0')
                abort();
            all_ok = false;
        } else {
            for (uint32_t i = 0; i < nreadable; i++)
                touch(sl_parquet_reader_column(reader, readable[i]), &values[i], rows);
        }
        /* one at a time: the same columns fail */
        for (uint32_t i = 0; i < nreadable; i++) {
            const struct sl_parquet_column_info *info =
                sl_parquet_reader_column(reader, readable[i]);
            rc = sl_parquet_reader_read_column(reader, g, readable[i], &values[0], &err);
            if (rc != SL_OK) {
                if (err.message[0] == '\0' || all_ok)
                    abort();
                any_failed = true;
                continue;
            }
            touch(info, &values[0], rows);
        }
        if (!all_ok && !any_failed)
            abort();
    }
    sl_parquet_reader_free(reader);
    return 0;
}

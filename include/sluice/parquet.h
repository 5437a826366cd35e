/*
 * parquet: writer and reader of Apache Parquet files with flat schemas (a
 * row of columns, required or optional). No I/O of its own: the writer
 * appends to a struct sl_write_stream and the reader reads a struct
 * sl_read_file, so the same code targets local disk and S3.
 *
 * Values travel in columnar batches: one struct sl_parquet_column_values per
 * column with a dense array of values (one slot per row, ignored for NULL
 * rows) and an optional validity byte map.
 */
#ifndef SLUICE_PARQUET_H
#define SLUICE_PARQUET_H

#include "sluice/storage.h"

/*
 * Column types sluice writes: each fixes the physical type and the logical
 * annotation (../shared/hudi-v6-format.md section 9).
 */
enum sl_parquet_column_type {
    SL_PARQUET_COL_BOOLEAN = 1,
    SL_PARQUET_COL_INT32,
    SL_PARQUET_COL_INT64,
    SL_PARQUET_COL_FLOAT,
    SL_PARQUET_COL_DOUBLE,
    SL_PARQUET_COL_STRING,           /* BYTE_ARRAY, STRING (UTF-8) */
    SL_PARQUET_COL_JSON,             /* BYTE_ARRAY, STRING: Spark and Hudi read JSON as text */
    SL_PARQUET_COL_BYTES,            /* BYTE_ARRAY, no annotation */
    SL_PARQUET_COL_DECIMAL,          /* FIXED_LEN_BYTE_ARRAY of minimal width, big-endian */
    SL_PARQUET_COL_DATE,             /* INT32 days since 1970-01-01 */
    SL_PARQUET_COL_TIME_MICROS,      /* INT64 microseconds of the day */
    SL_PARQUET_COL_TIMESTAMP_MICROS, /* INT64 microseconds since the Unix epoch */
};

/* Compression codecs (parquet.thrift CompressionCodec numbers). */
enum sl_parquet_compression {
    SL_PARQUET_COMPRESSION_NONE = 0,
    SL_PARQUET_COMPRESSION_SNAPPY = 1,
    SL_PARQUET_COMPRESSION_GZIP = 2,
    SL_PARQUET_COMPRESSION_ZSTD = 6,
};

struct sl_parquet_column_spec {
    const char *name;
    enum sl_parquet_column_type type;
    bool optional;
    bool adjusted_to_utc; /* TIME / TIMESTAMP */
    int32_t precision;    /* DECIMAL, 1..38 */
    int32_t scale;        /* DECIMAL, 0..precision */
};

/* Bytes of the FIXED_LEN_BYTE_ARRAY holding a DECIMAL of this precision (1..16 for 1..38). */
int32_t sl_parquet_decimal_bytes(int32_t precision);

struct sl_parquet_writer_options {
    enum sl_parquet_compression codec;
    int compression_level;        /* 0 = the codec's default */
    bool dictionary;              /* RLE_DICTIONARY, falling back to PLAIN past the limit, or
                                     when a chunk's first 16384 values are all distinct */
    size_t dictionary_page_limit; /* bytes of distinct values per column chunk */
    size_t row_group_bytes;       /* uncompressed bytes per row group (default 128 MiB) */
    size_t page_bytes;            /* uncompressed bytes per data page (default 1 MiB) */
    const char *created_by;
};

void sl_parquet_writer_options_default(struct sl_parquet_writer_options *options);

/*
 * Values of one column for a batch of rows. `valid` (NULL = all valid) has a
 * byte per row, nonzero when the value is present; a NULL row's slot in the
 * value arrays is ignored. A required column must have no NULL rows.
 */
struct sl_parquet_column_values {
    const uint8_t *valid;
    union {
        const uint8_t *booleans; /* a byte per row, 0 or 1 */
        const int32_t *i32;
        const int64_t *i64;
        const float *f32;
        const double *f64;
        struct {
            const uint32_t *offsets; /* nrows + 1 offsets into data */
            const uint8_t *data;
        } bytes;       /* BYTE_ARRAY */
        const uint8_t *fixed; /* DECIMAL: nrows * sl_parquet_decimal_bytes(precision) bytes,
                                 big-endian two's complement */
    } u;
};

struct sl_parquet_writer;

/*
 * Starts a file on `out` (borrowed; the caller finishes or aborts it after
 * sl_parquet_writer_close). The schema is copied. Caller owns *writer.
 */
int sl_parquet_writer_open(const struct sl_parquet_column_spec *columns, uint32_t ncolumns,
                           const struct sl_parquet_writer_options *options,
                           struct sl_write_stream *out, struct sl_parquet_writer **writer,
                           struct sl_error *err);

/* Appends nrows rows given column by column (columns[ncolumns]); values are copied. */
int sl_parquet_writer_write(struct sl_parquet_writer *writer,
                            const struct sl_parquet_column_values *columns, uint32_t nrows,
                            struct sl_error *err);

/* Adds footer key-value metadata (copied); later keys with the same name replace earlier ones. */
int sl_parquet_writer_set_kv(struct sl_parquet_writer *writer, const char *key, const char *value,
                             struct sl_error *err);

/* Flushes the last row group and writes the footer. Does not finish the stream. */
int sl_parquet_writer_close(struct sl_parquet_writer *writer, uint64_t *rows_written /* out */,
                            struct sl_error *err);
void sl_parquet_writer_free(struct sl_parquet_writer *writer); /* accepts NULL */

/* ================================================================ reader */

/* What a file says about one top-level column. */
struct sl_parquet_column_info {
    const char *name;
    /* Non-NULL when sluice cannot read the column (a nested group, a repeated
     * field): why, e.g. "nested group with 2 leaf columns". Reading it fails. */
    const char *unsupported;
    int32_t physical;    /* parquet.thrift Type number (0 BOOLEAN .. 7 FIXED_LEN_BYTE_ARRAY) */
    int32_t type_length; /* FIXED_LEN_BYTE_ARRAY width */
    bool optional;
    /* The sluice column type when the annotation is one sluice writes, else 0. */
    enum sl_parquet_column_type type;
    /* The annotation as read, for the types sluice does not write: */
    const char *logical; /* e.g. "STRING", "DECIMAL", "TIMESTAMP", "INTEGER", "UUID"; NULL = none */
    int32_t precision, scale;       /* DECIMAL (on INT32, INT64 or FIXED_LEN_BYTE_ARRAY) */
    int32_t time_unit;              /* TIME/TIMESTAMP: 1 MILLIS, 2 MICROS, 3 NANOS */
    bool adjusted_to_utc;           /* TIME/TIMESTAMP */
    int32_t bit_width;              /* INTEGER: 8, 16, 32, 64 */
    bool is_signed;                 /* INTEGER */
};

struct sl_parquet_reader;

/*
 * Opens a file: checks both magics, reads and decodes the footer, maps the
 * schema. `file` is borrowed and must outlive the reader; `name` (copied)
 * names the file in every error message. Caller owns *reader.
 */
int sl_parquet_reader_open(struct sl_read_file *file, const char *name,
                           struct sl_parquet_reader **reader, struct sl_error *err);
void sl_parquet_reader_free(struct sl_parquet_reader *reader); /* accepts NULL */

uint32_t sl_parquet_reader_ncolumns(const struct sl_parquet_reader *reader);
/* Borrowed, valid while the reader lives. */
const struct sl_parquet_column_info *sl_parquet_reader_column(const struct sl_parquet_reader *reader,
                                                               uint32_t column);
/* Index of a column by name, or -1. */
int sl_parquet_reader_find_column(const struct sl_parquet_reader *reader, const char *name);
int64_t sl_parquet_reader_num_rows(const struct sl_parquet_reader *reader);
uint32_t sl_parquet_reader_num_row_groups(const struct sl_parquet_reader *reader);
int64_t sl_parquet_reader_row_group_rows(const struct sl_parquet_reader *reader, uint32_t row_group);
/* Footer key-value metadata: the value for key (borrowed), or NULL. */
const char *sl_parquet_reader_kv(const struct sl_parquet_reader *reader, const char *key);
uint32_t sl_parquet_reader_kv_count(const struct sl_parquet_reader *reader);
void sl_parquet_reader_kv_at(const struct sl_parquet_reader *reader, uint32_t i,
                             const char **key, const char **value);
const char *sl_parquet_reader_created_by(const struct sl_parquet_reader *reader);

/*
 * Reads one column of one row group into *out, in the layout the writer takes
 * (struct sl_parquet_column_values: a slot per row, `valid` NULL when the
 * column has no NULL in the row group): BOOLEAN as bytes, INT32/INT64/FLOAT/
 * DOUBLE as arrays, BYTE_ARRAY as offsets + data, FIXED_LEN_BYTE_ARRAY and
 * INT96 as `fixed` (type_length or 12 bytes per row). Any encoding and page
 * version pyarrow and parquet-mr write; SNAPPY, GZIP, ZSTD or none. The
 * arrays belong to the reader and stay valid until the same column is read
 * again or the reader is freed. Malformed files give SL_EPROTO naming the
 * file, row group, column and what is wrong.
 */
int sl_parquet_reader_read_column(struct sl_parquet_reader *reader, uint32_t row_group,
                                  uint32_t column, struct sl_parquet_column_values *out /* out */,
                                  struct sl_error *err);

/* Most decoding threads a reader may use (sl_parquet_reader_set_threads). */
#define SL_PARQUET_READER_MAX_THREADS 64u
/* Threads a reader uses by default: the online CPUs, at most this many. */
#define SL_PARQUET_READER_DEFAULT_THREADS_CAP 8u

/*
 * Sets how many threads sl_parquet_reader_read_columns decodes with: 0 picks
 * the default (online CPUs, capped at SL_PARQUET_READER_DEFAULT_THREADS_CAP),
 * 1 decodes on the calling thread only, N > 1 uses the calling thread plus
 * N - 1 threads the reader owns. Each thread has its own scratch (chunk and
 * page buffers, decompressor, dictionary), so memory grows with N by about
 * one column chunk per thread. Threads start on the first read that needs
 * them and end with sl_parquet_reader_free or the next call of this
 * function; if the system refuses to start one, the reader carries on with
 * those it has. More than SL_PARQUET_READER_MAX_THREADS is SL_EINVAL.
 * Call it from the thread that uses the reader, between reads.
 */
int sl_parquet_reader_set_threads(struct sl_parquet_reader *reader, uint32_t threads,
                                  struct sl_error *err);
/* The number of decoding threads configured (after resolving 0 to the default). */
uint32_t sl_parquet_reader_threads(const struct sl_parquet_reader *reader);

/*
 * Reads several columns of one row group, decoding them in parallel on the
 * reader's threads (largest chunk first); out[i] receives columns[i] exactly
 * as sl_parquet_reader_read_column would fill it. A column may be listed more
 * than once (it is read once; its entries share the arrays). `columns` and
 * `out` are the caller's; the arrays out[] points to belong to the reader and
 * stay valid until the same column is read again or the reader is freed. A
 * row group or column index out of range is SL_EINVAL. On
 * failure every out[] is zeroed, the arrays of the listed columns are
 * unspecified, and the error is the one of the first failing column in
 * `columns` order, naming the file, row group and column as
 * sl_parquet_reader_read_column does (columns after it may be skipped).
 *
 * Like every reader function it is called from one thread at a time; it
 * returns only after every worker has finished with this call's columns.
 * The reader's sl_read_file must accept concurrent read_at calls (see
 * storage.h) when more than one thread is configured.
 */
int sl_parquet_reader_read_columns(struct sl_parquet_reader *reader, uint32_t row_group,
                                   const uint32_t *columns, uint32_t ncolumns,
                                   struct sl_parquet_column_values *out /* out: ncolumns */,
                                   struct sl_error *err);

#endif

/*
 * hudi: Apache Hudi copy-on-write tables (table version 6, no metadata
 * table) on an object store. A table is opened from its base path; the
 * writer turns a batch of changes into exactly one commit (requested ->
 * inflight -> data files -> completed); readers see file slices as of an
 * instant (snapshot, time travel) or the rows committed between two instants
 * (incremental). See ../shared/hudi-v6-format.md for the on-disk format.
 */
#ifndef SLUICE_HUDI_H
#define SLUICE_HUDI_H

#include "sluice/change.h"
#include "sluice/parquet.h"
#include "sluice/storage.h"

/* ================================================================ tables */

struct sl_hudi_table;

/*
 * Opens the table at `base` (a key prefix in store: "" or "db/t", no
 * trailing '/'): reads .hoodie/hoodie.properties, the timeline and the
 * latest schema. `store` is borrowed and must outlive the table. Caller owns
 * *out. SL_ENOTFOUND when there is no table there.
 */
int sl_hudi_table_open(struct sl_object_store *store, const char *base, struct sl_hudi_table **out,
                       struct sl_error *err);
void sl_hudi_table_close(struct sl_hudi_table *table); /* accepts NULL */

/* Re-reads the timeline (and the schema of the newest commit). */
int sl_hudi_table_refresh(struct sl_hudi_table *table, struct sl_error *err);

/* Table facts; strings borrowed from the table. */
const char *sl_hudi_table_name(const struct sl_hudi_table *table);
int sl_hudi_table_version(const struct sl_hudi_table *table);
/* The property value, or NULL. */
const char *sl_hudi_table_property(const struct sl_hudi_table *table, const char *key);
/* "sluice.checkpoint" of the newest completed commit that has one, or NULL. */
const char *sl_hudi_table_checkpoint(const struct sl_hudi_table *table);

/* One instant of the timeline, for `sluice timeline`. */
struct sl_hudi_instant_info {
    const char *time;       /* 17 digits */
    const char *completion; /* version 8 completion time, or "" */
    const char *action;     /* "commit", "replacecommit", "clean", ... */
    const char *state;      /* "requested", "inflight", "completed" */
};
size_t sl_hudi_table_instant_count(const struct sl_hudi_table *table);
void sl_hudi_table_instant_at(const struct sl_hudi_table *table, size_t i,
                              struct sl_hudi_instant_info *out);

/* What a completed commit wrote (from its metadata), for `sluice timeline`. */
struct sl_hudi_commit_summary {
    const char *operation; /* NULL when the commit does not say */
    int64_t inserts, updates, deletes;
    int64_t files, bytes;
    const char *checkpoint; /* NULL when absent */
};
/* Reads the commit metadata of instant i (completed commit/replacecommit/deltacommit).
 * Strings stay valid until the next call on this table. */
int sl_hudi_table_commit_summary(struct sl_hudi_table *table, size_t i,
                                 struct sl_hudi_commit_summary *out, struct sl_error *err);

/* ================================================================ file slices */

/* The base file of one file group, as a query sees it. */
struct sl_hudi_slice {
    char *partition; /* "" when unpartitioned */
    char *file_id;
    char *instant;   /* the commit that wrote this base file */
    char *key;       /* the file's key in the store */
    uint64_t size;
};

struct sl_hudi_slices {
    struct sl_hudi_slice *items;
    size_t count;
    size_t cap;
};
void sl_hudi_slices_free(struct sl_hudi_slices *slices); /* accepts a zeroed struct */

/*
 * The latest base file of every live file group as of instant `as_of`
 * (NULL: the newest completed instant): files of completed commits <= as_of
 * only, file groups replaced by a replacecommit <= as_of left out. Sorted by
 * partition, then file id. Caller owns *out.
 */
int sl_hudi_table_slices(struct sl_hudi_table *table, const char *as_of, struct sl_hudi_slices *out,
                         struct sl_error *err);

/* ================================================================ writer */

enum sl_hudi_partition_kind {
    SL_HUDI_PARTITION_NONE = 0,
    SL_HUDI_PARTITION_VALUE, /* the column's value */
    SL_HUDI_PARTITION_YEAR,  /* of a timestamp/date column */
    SL_HUDI_PARTITION_MONTH,
    SL_HUDI_PARTITION_DAY,
    SL_HUDI_PARTITION_HOUR,
};

struct sl_hudi_write_options {
    const char *database;          /* hoodie.database.name (e.g. the PostgreSQL schema) */
    const char *table_name;        /* hoodie.table.name */
    const char *partition_column;  /* NULL: unpartitioned */
    enum sl_hudi_partition_kind partition_kind;
    bool soft_deletes;             /* keep deleted rows with _change_operation_type 'd' */
    uint64_t small_file_bytes;     /* file groups below this take inserts (default 100 MiB; 0: none) */
    uint64_t max_file_bytes;       /* target maximum base file size (default 120 MiB) */
    enum sl_parquet_compression codec; /* default SNAPPY */
};
void sl_hudi_write_options_default(struct sl_hudi_write_options *options);

struct sl_hudi_writer;

/*
 * Opens a writer on the table at `base`, creating the table at its first
 * commit when absent. Refuses tables it does not maintain (another table
 * version, a metadata table, a merge-on-read table) and tables another live
 * sluice writer holds. Rolls back instants left pending by a crashed writer
 * before its first commit. `store` is borrowed; options are copied. Caller
 * owns *out.
 */
int sl_hudi_writer_open(struct sl_object_store *store, const char *base,
                        const struct sl_hudi_write_options *options, struct sl_hudi_writer **out,
                        struct sl_error *err);
void sl_hudi_writer_close(struct sl_hudi_writer *writer); /* accepts NULL; releases the table */

/*
 * Adds one change (insert, update, delete, snapshot read, truncate) of the
 * table's source to the pending batch; values are converted and copied.
 * Within a batch, per record key the last change added wins (callers add in
 * commit order). A value that does not fit its column fails with SL_EINVAL
 * naming table, column and value; the batch is then unusable until
 * sl_hudi_writer_discard.
 */
int sl_hudi_writer_add(struct sl_hudi_writer *writer, const struct sl_change *change,
                       struct sl_error *err);
/* Rows pending in the batch (a pending truncate counts as one). */
size_t sl_hudi_writer_pending(const struct sl_hudi_writer *writer);
/* Drops the pending batch. */
void sl_hudi_writer_discard(struct sl_hudi_writer *writer);

struct sl_hudi_commit_result {
    char instant[18]; /* "" when nothing was committed */
    int64_t inserts, updates, deletes;
    int64_t files_written;
    int64_t bytes_written;
};

/*
 * Writes the pending batch as ONE commit recording `checkpoint` (copied) in
 * extraMetadata["sluice.checkpoint"]. When it returns SL_OK the commit is
 * durable and visible. On failure nothing is visible: the pending instant is
 * rolled back at once when possible, else by the next writer. An empty batch
 * commits nothing.
 */
int sl_hudi_writer_commit(struct sl_hudi_writer *writer, const char *checkpoint,
                          struct sl_hudi_commit_result *result /* out */, struct sl_error *err);

/* The table's checkpoint (see sl_hudi_table_checkpoint), or NULL for a new table. */
const char *sl_hudi_writer_checkpoint(const struct sl_hudi_writer *writer);

/* ==== reader ==== */

/*
 * Queries over a table's base files (copy-on-write): what `sluice cat` and
 * any check of a table's content read. Rows come as chunks of columnar
 * values, one row group of one base file at a time, so memory stays at one
 * row group whatever the table's size.
 */

/*
 * Normalises an instant given by a user to the 17-digit form: "yyyyMMddHHmmssSSS",
 * "yyyyMMddHHmmss" (SSS = 000), "yyyy-MM-dd HH:mm:ss[.SSS]" (also with 'T'),
 * "yyyy-MM-dd" (midnight), all in the table's instant time zone (UTC for
 * sluice). A string of zeros ("0", "000") is the time before every instant
 * (as Hudi's incremental begin time "000"). SL_EINVAL naming the text and
 * the accepted forms otherwise. Borrowed text.
 */
int sl_hudi_instant_normalize(const char *text, char out[18], struct sl_error *err);

enum sl_hudi_query_kind {
    SL_HUDI_QUERY_SNAPSHOT = 0, /* the newest completed state */
    SL_HUDI_QUERY_AS_OF,        /* time travel: the state as of instant `as_of` */
    SL_HUDI_QUERY_INCREMENTAL,  /* rows committed in (since, until] */
};

/*
 * A query. Snapshot and time travel read, per file group, the newest base
 * file of a completed commit <= the instant (sl_hudi_table_slices).
 * Incremental reads as Apache Hudi's IncrementalRelation does for
 * copy-on-write tables: the files named by the write stats of the completed
 * commits in (since, until], per file group only the newest of them, minus
 * file groups replaced by a replacecommit in the range; rows whose
 * _hoodie_commit_time lies between the first and the last of those commits.
 * Every string is borrowed for the call of sl_hudi_scan_open only.
 */
struct sl_hudi_query {
    enum sl_hudi_query_kind kind;
    const char *as_of; /* AS_OF: any form sl_hudi_instant_normalize takes */
    const char *since; /* INCREMENTAL: exclusive begin (required) */
    const char *until; /* INCREMENTAL: inclusive end; NULL = the newest completed commit */
    /* Output columns by name, in this order (data columns, or meta column
     * names); NULL = every data column of the table schema that sluice can
     * read, in schema order (see sl_hudi_scan_left_out). */
    const char *const *columns;
    uint32_t ncolumns;
    bool meta; /* the five _hoodie_* meta columns first */
};

/*
 * One chunk of rows: a row group of one base file, with every output column
 * converted to the table schema's type (a column the file lacks is all NULL;
 * an older promotable type int->long/float/double/string,
 * long->float/double/string, float->double/string is converted). Only the
 * rows in `selected` belong to the result. Everything is borrowed from the
 * scan and valid until the next sl_hudi_scan_next or sl_hudi_scan_close.
 */
struct sl_hudi_chunk {
    bool end;                 /* the scan is over; the other fields are zero */
    uint32_t nrows;           /* rows in the value arrays */
    const uint32_t *selected; /* NULL = all nrows rows; else nselected ascending row indices */
    uint32_t nselected;       /* rows of this chunk in the result (> 0) */
    const struct sl_parquet_column_values *values; /* one per output column */
    /* per output column: how to read values[c] (sl_hudi_scan_column's facts,
     * or for a column whose Avro type sluice maps to no Parquet type, the
     * file's own column description) */
    const struct sl_parquet_column_info *const *infos;
    const char *file;   /* the base file's key in the store */
    const char *instant; /* the commit that wrote the file */
    uint32_t row_group;
};

struct sl_hudi_scan;

/*
 * Plans a query on table (borrowed; it and its store must outlive the scan):
 * checks the query, resolves the output columns against the table's newest
 * schema and lists the base files to read (files are opened one at a time
 * by sl_hudi_scan_next). SL_EINVAL naming the problem for a bad instant, an
 * unknown column, a nested column the query names, `until` without `since`
 * or an incremental query on a table without meta fields; the
 * table's read errors otherwise. Incremental bounds are instant (requested)
 * times on table version 6 and completion times on version 8, as Hudi's own
 * readers take them. Caller owns *out (sl_hudi_scan_close).
 */
int sl_hudi_scan_open(struct sl_hudi_table *table, const struct sl_hudi_query *query,
                      struct sl_hudi_scan **out, struct sl_error *err);
void sl_hudi_scan_close(struct sl_hudi_scan *scan); /* accepts NULL */

/* The output columns. The description (name, physical type, annotation,
 * nullability) is borrowed from the scan. physical is -1 when the files
 * decide (an Avro type without a sluice mapping, e.g. time-micros or enum):
 * chunk infos then carry each file's own description. */
uint32_t sl_hudi_scan_ncolumns(const struct sl_hudi_scan *scan);
const struct sl_parquet_column_info *sl_hudi_scan_column(const struct sl_hudi_scan *scan,
                                                         uint32_t column);
/* Schema columns a query without a column list left out because sluice
 * cannot read them (nested records, arrays, maps): their names (borrowed). */
uint32_t sl_hudi_scan_left_out_count(const struct sl_hudi_scan *scan);
const char *sl_hudi_scan_left_out(const struct sl_hudi_scan *scan, uint32_t i);
/* The base files the scan reads (borrowed; valid until close). */
const struct sl_hudi_slices *sl_hudi_scan_files(const struct sl_hudi_scan *scan);

/*
 * The next chunk with at least one result row, or out->end. Reads the
 * chunk's columns of one row group (decoding in parallel, see
 * sl_parquet_reader_read_columns). Errors name the file, row group and
 * column: a file gone from storage (an incremental range reaching files a
 * clean removed), a type that is not a promotion of the schema's. After an
 * error the scan only accepts close.
 */
int sl_hudi_scan_next(struct sl_hudi_scan *scan, struct sl_hudi_chunk *out /* out */,
                      struct sl_error *err);

#endif

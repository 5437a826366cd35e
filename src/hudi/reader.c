/*
 * The Hudi reader: snapshot, time-travel and incremental queries over the
 * base files of a copy-on-write table. sl_hudi_scan_open plans (output
 * columns from the table's newest schema, the list of base files);
 * sl_hudi_scan_next reads one row group of one file at a time with the
 * Parquet reader and converts each column to the schema's type (missing
 * columns read as NULL, older promotable types are widened), so memory is
 * bounded by a row group. Conversion buffers are reused from chunk to chunk.
 */
#include "hudi/table_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* parquet.thrift physical type numbers */
enum { PT_BOOLEAN = 0, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };
enum { UNIT_MILLIS = 1, UNIT_MICROS = 2, UNIT_NANOS = 3 };

/* Files below this size are decoded on the calling thread: starting decoder
 * threads costs more than they save. */
#define SMALL_FILE_BYTES ((uint64_t)8 << 20)
#define UNKNOWN_LIST_MAX 20 /* column names an "unknown column" message lists */

/* ---------------------------------------------------------------- instants */

static bool all_zeros(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s != '0')
            return false;
    return true;
}

static bool digits_at(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int sl_hudi_instant_normalize(const char *text, char out[SL_HUDI_INSTANT_LEN + 1],
                              struct sl_error *err)
{
    size_t len = text ? strlen(text) : 0;
    char t[SL_HUDI_INSTANT_LEN + 1];

    if (text != NULL && len <= SL_HUDI_INSTANT_LEN && all_zeros(text)) {
        memset(out, '0', SL_HUDI_INSTANT_LEN);
        out[SL_HUDI_INSTANT_LEN] = '\0';
        return SL_OK;
    }
    memset(t, '0', SL_HUDI_INSTANT_LEN);
    t[SL_HUDI_INSTANT_LEN] = '\0';
    if ((len == 17 || len == 14) && digits_at(text, len)) {
        memcpy(t, text, len);
    } else if ((len == 10 || len == 19 || len == 23) && digits_at(text, 4) && text[4] == '-' &&
               digits_at(text + 5, 2) && text[7] == '-' && digits_at(text + 8, 2) &&
               (len == 10 || ((text[10] == ' ' || text[10] == 'T') && digits_at(text + 11, 2) &&
                              text[13] == ':' && digits_at(text + 14, 2) && text[16] == ':' &&
                              digits_at(text + 17, 2))) &&
               (len != 23 || (text[19] == '.' && digits_at(text + 20, 3)))) {
        memcpy(t, text, 4);
        memcpy(t + 4, text + 5, 2);
        memcpy(t + 6, text + 8, 2);
        if (len >= 19) {
            memcpy(t + 8, text + 11, 2);
            memcpy(t + 10, text + 14, 2);
            memcpy(t + 12, text + 17, 2);
        }
        if (len == 23)
            memcpy(t + 14, text + 20, 3);
    } else {
        return sl_error_set(err, SL_EINVAL,
                            "instant '%s' is not an instant time; write yyyyMMddHHmmssSSS (17 "
                            "digits), yyyyMMddHHmmss, 'yyyy-MM-dd HH:mm:ss[.SSS]' or yyyy-MM-dd",
                            text ? text : "(null)");
    }
    if (!sl_hudi_instant_time_valid(t))
        return sl_error_set(err, SL_EINVAL,
                            "instant '%s' is not a valid date and time (month 01-12, day 01-31, "
                            "hour 00-23, minute and second 00-59)",
                            text);
    memcpy(out, t, sizeof(t));
    return SL_OK;
}

/* ---------------------------------------------------------------- columns */

/* How a file's column becomes an output column. */
enum conv {
    CONV_PASS = 0, /* the file's values as they are */
    CONV_NULL,     /* the file lacks the column */
    CONV_I32_I64,
    CONV_I32_F32,
    CONV_I32_F64,
    CONV_I64_F32,
    CONV_I64_F64,
    CONV_F32_F64,
    CONV_I32_STR,
    CONV_I64_STR,
    CONV_F32_STR,
    CONV_TS_RESCALE, /* INT64 timestamp in another unit */
    CONV_INT96_TS,   /* INT96 (Julian day + nanos) timestamp */
    CONV_DECIMAL,    /* a decimal of another physical type or width, same scale */
};

struct out_column {
    char *name;
    bool meta;
    bool file_typed; /* no sluice mapping of the Avro type: the files describe it */
    struct sl_parquet_column_info info;
    char *avro_type; /* file_typed: the Avro type JSON, for messages */
    /* for the current file */
    int file_index; /* -1: missing */
    uint32_t read_slot;
    enum conv conv;
    const struct sl_parquet_column_info *file_info;
    /* conversion buffers, reused */
    void *values;
    size_t values_cap; /* bytes */
    uint32_t *offsets;
    size_t offsets_cap; /* entries */
    struct sl_buf strings;
};

struct sl_hudi_scan {
    struct sl_hudi_table *table; /* borrowed */
    enum sl_hudi_query_kind kind;
    char lo[SL_HUDI_INSTANT_LEN + 1], hi[SL_HUDI_INSTANT_LEN + 1]; /* incremental commit times */
    /* version 8 incremental: the (requested) times of the commits in range,
     * sorted; rows are kept when their _hoodie_commit_time is one of them */
    char (*commits)[SL_HUDI_INSTANT_LEN + 1];
    size_t ncommits;
    uint32_t ncolumns;
    struct out_column *columns;
    struct sl_parquet_column_values *values;
    const struct sl_parquet_column_info **infos;
    char **left_out;
    uint32_t nleft_out;
    struct sl_hudi_slices files;
    size_t next_file;
    /* the open file */
    struct sl_read_file file;
    bool file_open;
    struct sl_parquet_reader *reader;
    const char *file_key;
    const char *file_instant;
    uint32_t row_group, nrow_groups;
    int commit_time_index; /* incremental: the file's _hoodie_commit_time */
    uint32_t commit_time_slot;
    uint32_t *read_list;
    struct sl_parquet_column_values *read_values;
    uint32_t nread;
    /* scratch */
    void *nulls; /* zeroed: validity and values of missing columns */
    size_t nulls_cap;
    size_t fixed_max; /* widest fixed-width value of an output column */
    uint32_t *selected;
    size_t selected_cap;
    bool failed;
};

static const struct sl_parquet_column_info meta_info = {
    .physical = PT_BYTE_ARRAY, .optional = true, .type = SL_PARQUET_COL_STRING, .logical = "STRING",
};

/* The Parquet facts of an Avro field sluice maps (hudi-v6-format.md section 9). */
static void info_of_field(const struct sl_hudi_field *f, struct sl_parquet_column_info *info)
{
    memset(info, 0, sizeof(*info));
    info->optional = f->nullable;
    switch (f->type) {
    case SL_HUDI_BOOLEAN:
        info->physical = PT_BOOLEAN;
        info->type = SL_PARQUET_COL_BOOLEAN;
        break;
    case SL_HUDI_INT:
        info->physical = PT_INT32;
        info->type = SL_PARQUET_COL_INT32;
        break;
    case SL_HUDI_LONG:
        info->physical = PT_INT64;
        info->type = SL_PARQUET_COL_INT64;
        break;
    case SL_HUDI_FLOAT:
        info->physical = PT_FLOAT;
        info->type = SL_PARQUET_COL_FLOAT;
        break;
    case SL_HUDI_DOUBLE:
        info->physical = PT_DOUBLE;
        info->type = SL_PARQUET_COL_DOUBLE;
        break;
    case SL_HUDI_STRING:
        info->physical = PT_BYTE_ARRAY;
        info->type = SL_PARQUET_COL_STRING;
        info->logical = "STRING";
        break;
    case SL_HUDI_BYTES:
        info->physical = PT_BYTE_ARRAY;
        info->type = SL_PARQUET_COL_BYTES;
        break;
    case SL_HUDI_DECIMAL:
        info->physical = PT_FLBA;
        info->type = SL_PARQUET_COL_DECIMAL;
        info->logical = "DECIMAL";
        info->precision = f->precision;
        info->scale = f->scale;
        info->type_length =
            f->fixed_size > 0 ? f->fixed_size : sl_parquet_decimal_bytes(f->precision);
        break;
    case SL_HUDI_DATE:
        info->physical = PT_INT32;
        info->type = SL_PARQUET_COL_DATE;
        info->logical = "DATE";
        break;
    case SL_HUDI_TIMESTAMP_MICROS:
    case SL_HUDI_TIMESTAMP_MILLIS:
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        info->physical = PT_INT64;
        info->logical = "TIMESTAMP";
        info->time_unit = f->type == SL_HUDI_TIMESTAMP_MILLIS ? UNIT_MILLIS : UNIT_MICROS;
        info->adjusted_to_utc = f->type != SL_HUDI_LOCAL_TIMESTAMP_MICROS;
        if (f->type == SL_HUDI_TIMESTAMP_MICROS)
            info->type = SL_PARQUET_COL_TIMESTAMP_MICROS;
        break;
    case SL_HUDI_UNSUPPORTED:
        info->physical = -1;
        break;
    }
}

/*
 * For an Avro type sluice has no mapping for: NULL when it is flat (an
 * enum, a fixed, a primitive with another logical type), which the files
 * then describe; else what it is ("a nested record", ...).
 */
static const char *nested_kind(const char *avro_json)
{
    json_t *root;
    const char *kind = NULL;

    if (avro_json == NULL)
        return "a type sluice does not know";
    root = json_loads(avro_json, JSON_DECODE_ANY, NULL);
    if (root == NULL)
        return "a type sluice does not know";
    if (json_is_array(root)) {
        kind = "a union";
    } else if (json_is_object(root)) {
        const char *type = json_string_value(json_object_get(root, "type"));
        if (type == NULL)
            kind = "a nested type";
        else if (strcmp(type, "record") == 0)
            kind = "a nested record";
        else if (strcmp(type, "array") == 0)
            kind = "an array";
        else if (strcmp(type, "map") == 0)
            kind = "a map";
    }
    json_decref(root);
    return kind;
}

static int meta_index(const char *name)
{
    for (int m = 0; m < SL_HUDI_META_COUNT; m++)
        if (strcmp(sl_hudi_meta_columns[m], name) == 0)
            return m;
    return -1;
}

static bool is_meta_name(const char *name)
{
    return meta_index(name) >= 0;
}

static int add_meta_column(struct sl_hudi_scan *s, const char *name, struct sl_error *err)
{
    struct out_column *c = &s->columns[s->ncolumns];
    c->name = sl_strdup(name);
    if (c->name == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    c->meta = true;
    c->info = meta_info;
    c->info.name = c->name;
    sl_buf_init(&c->strings, SIZE_MAX);
    s->ncolumns++;
    return SL_OK;
}

static int add_field_column(struct sl_hudi_scan *s, const struct sl_hudi_field *f,
                            struct sl_error *err)
{
    struct out_column *c = &s->columns[s->ncolumns];
    c->name = sl_strdup(f->name);
    if (c->name == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_buf_init(&c->strings, SIZE_MAX);
    s->ncolumns++;
    info_of_field(f, &c->info);
    c->info.name = c->name;
    if (f->type == SL_HUDI_UNSUPPORTED) {
        c->file_typed = true;
        if (f->avro_json != NULL && (c->avro_type = sl_strdup(f->avro_json)) == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (c->info.physical == PT_FLBA && (size_t)c->info.type_length > s->fixed_max)
        s->fixed_max = (size_t)c->info.type_length;
    return SL_OK;
}

/* "unknown column" with the names the table has. */
static int unknown_column(const struct sl_hudi_table *t, const char *name, struct sl_error *err)
{
    struct sl_buf list;
    uint32_t n = t->schema ? t->schema->nfields : 0;

    sl_buf_init(&list, 4096);
    for (uint32_t i = 0; i < n && i < UNKNOWN_LIST_MAX; i++)
        if (sl_buf_printf(&list, "%s%s", i ? ", " : "", t->schema->fields[i].name) != SL_OK)
            break;
    if (n > UNKNOWN_LIST_MAX)
        sl_buf_printf(&list, ", ... (%u in all)", n);
    sl_error_set(err, SL_EINVAL,
                 "table %s has no column '%s'; its columns are: %s (and the meta columns "
                 "_hoodie_commit_time, _hoodie_commit_seqno, _hoodie_record_key, "
                 "_hoodie_partition_path, _hoodie_file_name)",
                 t->name, name, n ? list.data : "none");
    sl_buf_free(&list);
    return SL_EINVAL;
}

static int resolve_columns(struct sl_hudi_scan *s, const struct sl_hudi_query *q,
                           struct sl_error *err)
{
    const struct sl_hudi_schema *schema = s->table->schema;
    uint32_t nfields = schema ? schema->nfields : 0;
    size_t cap = (q->meta ? SL_HUDI_META_COUNT : 0) + (q->columns ? q->ncolumns : nfields);
    int rc;

    s->columns = sl_calloc(cap ? cap : 1, sizeof(*s->columns));
    s->values = sl_calloc(cap ? cap : 1, sizeof(*s->values));
    s->infos = sl_calloc(cap ? cap : 1, sizeof(*s->infos));
    s->left_out = sl_calloc(nfields ? nfields : 1, sizeof(*s->left_out));
    if (s->columns == NULL || s->values == NULL || s->infos == NULL || s->left_out == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (q->meta)
        for (int m = 0; m < SL_HUDI_META_COUNT; m++)
            if ((rc = add_meta_column(s, sl_hudi_meta_columns[m], err)) != SL_OK)
                return rc;
    if (q->columns == NULL) {
        for (uint32_t i = 0; i < nfields; i++) {
            const struct sl_hudi_field *f = &schema->fields[i];
            if (is_meta_name(f->name))
                continue;
            if (f->type == SL_HUDI_UNSUPPORTED && nested_kind(f->avro_json) != NULL) {
                if ((s->left_out[s->nleft_out] = sl_strdup(f->name)) == NULL)
                    return sl_error_set(err, SL_ENOMEM, "out of memory");
                s->nleft_out++;
                continue;
            }
            if ((rc = add_field_column(s, f, err)) != SL_OK)
                return rc;
        }
        return SL_OK;
    }
    for (uint32_t k = 0; k < q->ncolumns; k++) {
        const char *name = q->columns[k];
        const struct sl_hudi_field *f = NULL;
        if (name == NULL || name[0] == '\0')
            return sl_error_set(err, SL_EINVAL, "an empty column name in the column list");
        for (uint32_t i = 0; i < nfields && f == NULL; i++)
            if (strcmp(schema->fields[i].name, name) == 0)
                f = &schema->fields[i];
        if (f == NULL && is_meta_name(name)) {
            if ((rc = add_meta_column(s, name, err)) != SL_OK)
                return rc;
            continue;
        }
        if (f == NULL)
            return unknown_column(s->table, name, err);
        if (f->type == SL_HUDI_UNSUPPORTED) {
            const char *kind = nested_kind(f->avro_json);
            if (kind != NULL)
                return sl_error_set(err, SL_EINVAL,
                                    "column '%s' of table %s is %s, which sluice cannot read; "
                                    "leave it out of the column list",
                                    name, s->table->name, kind);
        }
        if ((rc = add_field_column(s, f, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- planning */

static void slice_clear(struct sl_hudi_slice *s)
{
    sl_free(s->partition);
    sl_free(s->file_id);
    sl_free(s->instant);
    sl_free(s->key);
    memset(s, 0, sizeof(*s));
}

static int compare_slices(const void *a, const void *b)
{
    const struct sl_hudi_slice *x = a, *y = b;
    int c = strcmp(x->partition, y->partition);
    if (c == 0)
        c = strcmp(x->file_id, y->file_id);
    if (c == 0)
        c = strcmp(x->instant, y->instant);
    return c;
}

static int compare_replaced(const void *a, const void *b)
{
    const struct sl_hudi_replaced *x = a, *y = b;
    int c = strcmp(x->file_id, y->file_id);
    return c != 0 ? c : strcmp(x->partition, y->partition);
}

/* The replaced file groups of the replacecommits among instants[idx[0..n)], sorted. */
static int collect_replaced(struct sl_hudi_table *t, const size_t *idx, size_t n,
                            struct sl_hudi_commit_meta *all, struct sl_error *err)
{
    struct sl_hudi_commit_meta meta = {0};
    int rc;

    for (size_t k = 0; k < n; k++) {
        const struct sl_hudi_instant *in = &t->timeline.instants[idx[k]];
        if (in->action != SL_HUDI_ACTION_REPLACE_COMMIT)
            continue;
        rc = sl_hudi_table_read_commit(t, in, &meta, err);
        if (rc != SL_OK)
            return rc;
        for (size_t r = 0; r < meta.nreplaced; r++) {
            if (sl_array_grow((void **)&all->replaced, &all->replaced_cap, all->nreplaced + 1,
                              sizeof(*all->replaced)) != SL_OK) {
                sl_hudi_commit_meta_free(&meta);
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            all->replaced[all->nreplaced++] = meta.replaced[r]; /* moves the strings */
        }
        meta.nreplaced = 0;
        sl_hudi_commit_meta_free(&meta);
    }
    if (all->nreplaced > 1)
        qsort(all->replaced, all->nreplaced, sizeof(*all->replaced), compare_replaced);
    return SL_OK;
}

static bool is_replaced(const struct sl_hudi_commit_meta *all, const char *partition,
                        const char *file_id)
{
    struct sl_hudi_replaced key = {.partition = (char *)partition, .file_id = (char *)file_id};
    return all->nreplaced > 0 && bsearch(&key, all->replaced, all->nreplaced,
                                         sizeof(*all->replaced), compare_replaced) != NULL;
}

/*
 * The instant by which an incremental range selects a commit: its requested
 * time in table version 6, its completion time in version 8 (as Hudi 1.x and
 * hudi-rs do: a commit belongs to the range in which it became visible).
 */
static const char *range_time(const struct sl_hudi_table *t, const struct sl_hudi_instant *in)
{
    return t->version >= 8 && in->completion[0] != '\0' ? in->completion : in->time;
}

static int compare_instant_times(const void *a, const void *b)
{
    return memcmp(a, b, SL_HUDI_INSTANT_LEN);
}

/*
 * Version 8: the requested times of the selected commits, which rows must
 * carry. A range by completion time need not be one of requested times
 * (commits complete out of order), so it is a set, not [lo, hi].
 */
static int collect_commit_times(struct sl_hudi_scan *s, const size_t *idx, size_t n,
                                struct sl_error *err)
{
    const struct sl_hudi_table *t = s->table;
    s->commits = sl_calloc(n, sizeof(*s->commits));
    if (s->commits == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++)
        memcpy(s->commits[k], t->timeline.instants[idx[k]].time, sizeof(s->commits[k]));
    s->ncommits = n;
    qsort(s->commits, n, sizeof(*s->commits), compare_instant_times);
    memcpy(s->lo, s->commits[0], sizeof(s->lo));
    memcpy(s->hi, s->commits[n - 1], sizeof(s->hi));
    return SL_OK;
}

/*
 * The files of an incremental query over the completed commits in
 * (since, until] (requested times in version 6, completion times in version
 * 8): IncrementalRelation's fileIdToFullPath, sorted by partition and file
 * id.
 */
static int plan_incremental(struct sl_hudi_scan *s, const char *since, const char *until,
                            struct sl_error *err)
{
    struct sl_hudi_table *t = s->table;
    struct sl_hudi_commit_meta replaced = {0}, meta = {0};
    struct sl_hudi_slices *files = &s->files;
    size_t *idx = NULL, n = 0, keep = 0;
    const char *populate = sl_hudi_props_get(&t->props, "hoodie.populate.meta.fields");
    int rc = SL_OK;

    if (populate != NULL && strcmp(populate, "false") == 0)
        return sl_error_set(err, SL_EINVAL,
                            "table %s was written with hoodie.populate.meta.fields=false: an "
                            "incremental query needs _hoodie_commit_time in the files (as in "
                            "Hudi); read a snapshot or use time travel instead",
                            t->name);
    idx = sl_calloc(t->timeline.count ? t->timeline.count : 1, sizeof(*idx));
    if (idx == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->timeline.count; i++) {
        const struct sl_hudi_instant *in = &t->timeline.instants[i];
        const char *when = range_time(t, in);
        if (sl_hudi_instant_writes_data(in) && strcmp(when, since) > 0 &&
            (until == NULL || strcmp(when, until) <= 0))
            idx[n++] = i;
    }
    if (n == 0)
        goto done;
    if (t->version >= 8) {
        rc = collect_commit_times(s, idx, n, err);
        if (rc != SL_OK)
            goto fail;
    } else {
        memcpy(s->lo, t->timeline.instants[idx[0]].time, sizeof(s->lo));
        memcpy(s->hi, t->timeline.instants[idx[n - 1]].time, sizeof(s->hi));
    }
    rc = collect_replaced(t, idx, n, &replaced, err);
    if (rc != SL_OK)
        goto fail;
    for (size_t k = 0; k < n; k++) {
        const struct sl_hudi_instant *in = &t->timeline.instants[idx[k]];
        rc = sl_hudi_table_read_commit(t, in, &meta, err);
        if (rc != SL_OK)
            goto fail;
        for (size_t w = 0; w < meta.nstats; w++) {
            const struct sl_hudi_write_stat *st = &meta.stats[w];
            struct sl_hudi_slice *f;
            if (is_replaced(&replaced, st->partition, st->file_id))
                continue;
            if (st->path == NULL || st->path[0] == '\0') {
                rc = sl_error_set(err, SL_EPROTO,
                                  "commit %s of table %s: the write stat of file group %s has no "
                                  "path",
                                  in->time, t->name, st->file_id);
                goto fail;
            }
            if (sl_array_grow((void **)&files->items, &files->cap, files->count + 1,
                              sizeof(*files->items)) != SL_OK)
                goto oom;
            f = &files->items[files->count++];
            memset(f, 0, sizeof(*f));
            f->partition = sl_strdup(st->partition);
            f->file_id = sl_strdup(st->file_id);
            f->instant = sl_strdup(in->time);
            f->size = st->file_size > 0 ? (uint64_t)st->file_size : 0;
            if (f->partition == NULL || f->file_id == NULL || f->instant == NULL ||
                sl_hudi_key_join(t, st->path, &f->key) != SL_OK)
                goto oom;
        }
        sl_hudi_commit_meta_free(&meta);
    }
    /* per file group the newest file: sorted, it is the last of its run */
    if (files->count > 1)
        qsort(files->items, files->count, sizeof(*files->items), compare_slices);
    for (size_t i = 0; i < files->count; i++) {
        bool newest = i + 1 == files->count ||
                      strcmp(files->items[i].partition, files->items[i + 1].partition) != 0 ||
                      strcmp(files->items[i].file_id, files->items[i + 1].file_id) != 0;
        if (newest)
            files->items[keep++] = files->items[i];
        else
            slice_clear(&files->items[i]);
    }
    files->count = keep;
    goto done;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory planning an incremental query on %s", t->name);
fail:
    if (rc == SL_EPROTO && t->version >= 8)
        sl_error_prefix(err, "incremental query on a table of version %d", t->version);
done:
    sl_hudi_commit_meta_free(&meta);
    sl_hudi_commit_meta_free(&replaced);
    sl_free(idx);
    return rc;
}

/* ---------------------------------------------------------------- open / close */

static void close_file(struct sl_hudi_scan *s)
{
    sl_parquet_reader_free(s->reader);
    s->reader = NULL;
    if (s->file_open && s->file.destroy != NULL)
        s->file.destroy(s->file.ctx);
    s->file_open = false;
    memset(&s->file, 0, sizeof(s->file));
}

void sl_hudi_scan_close(struct sl_hudi_scan *s)
{
    if (s == NULL)
        return;
    close_file(s);
    for (uint32_t c = 0; c < s->ncolumns; c++) {
        struct out_column *col = &s->columns[c];
        sl_free(col->name);
        sl_free(col->avro_type);
        sl_free(col->values);
        sl_free(col->offsets);
        sl_buf_free(&col->strings);
    }
    sl_free(s->columns);
    sl_free(s->values);
    sl_free(s->infos);
    for (uint32_t i = 0; i < s->nleft_out; i++)
        sl_free(s->left_out[i]);
    sl_free(s->left_out);
    sl_hudi_slices_free(&s->files);
    sl_free(s->read_list);
    sl_free(s->read_values);
    sl_free(s->nulls);
    sl_free(s->selected);
    sl_free(s->commits);
    sl_free(s);
}

int sl_hudi_scan_open(struct sl_hudi_table *t, const struct sl_hudi_query *q,
                      struct sl_hudi_scan **out, struct sl_error *err)
{
    struct sl_hudi_scan *s = NULL;
    char as_of[SL_HUDI_INSTANT_LEN + 1] = "", since[SL_HUDI_INSTANT_LEN + 1] = "",
         until[SL_HUDI_INSTANT_LEN + 1] = "";
    int rc;

    *out = NULL;
    switch (q->kind) {
    case SL_HUDI_QUERY_SNAPSHOT:
        if (q->as_of != NULL || q->since != NULL || q->until != NULL)
            return sl_error_set(err, SL_EINVAL,
                                "a snapshot query takes no instants; ask for time travel (as of) "
                                "or an incremental query (since, until)");
        break;
    case SL_HUDI_QUERY_AS_OF:
        if (q->as_of == NULL)
            return sl_error_set(err, SL_EINVAL, "time travel needs the instant to read as of");
        if (q->since != NULL || q->until != NULL)
            return sl_error_set(err, SL_EINVAL,
                                "time travel (as of) and an incremental range (since, until) "
                                "exclude each other; pick one");
        if ((rc = sl_hudi_instant_normalize(q->as_of, as_of, err)) != SL_OK)
            return rc;
        break;
    case SL_HUDI_QUERY_INCREMENTAL:
        if (q->since == NULL)
            return sl_error_set(err, SL_EINVAL,
                                "an incremental query needs its begin instant (since, exclusive; "
                                "\"000\" for the beginning)");
        if (q->as_of != NULL)
            return sl_error_set(err, SL_EINVAL,
                                "time travel (as of) and an incremental range (since, until) "
                                "exclude each other; pick one");
        if ((rc = sl_hudi_instant_normalize(q->since, since, err)) != SL_OK)
            return rc;
        if (q->until != NULL && (rc = sl_hudi_instant_normalize(q->until, until, err)) != SL_OK)
            return rc;
        break;
    default:
        return sl_error_set(err, SL_EINVAL, "unknown query kind %d", (int)q->kind);
    }
    if (q->ncolumns > 0 && q->columns == NULL)
        return sl_error_set(err, SL_EINVAL, "a column count without a column list");
    if (t->merge_on_read)
        return sl_error_set(err, SL_ECONFIG,
                            "table %s is MERGE_ON_READ; sluice reads copy-on-write tables only",
                            t->name);
    s = sl_calloc(1, sizeof(*s));
    if (s == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->table = t;
    s->kind = q->kind;
    rc = resolve_columns(s, q, err);
    if (rc != SL_OK)
        goto fail;
    if (q->kind == SL_HUDI_QUERY_INCREMENTAL)
        rc = plan_incremental(s, since, q->until ? until : NULL, err);
    else
        rc = sl_hudi_table_slices(t, q->kind == SL_HUDI_QUERY_AS_OF ? as_of : NULL, &s->files, err);
    if (rc != SL_OK)
        goto fail;
    s->read_list = sl_calloc((size_t)s->ncolumns + 1, sizeof(*s->read_list));
    s->read_values = sl_calloc((size_t)s->ncolumns + 1, sizeof(*s->read_values));
    if (s->read_list == NULL || s->read_values == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    *out = s;
    return SL_OK;
fail:
    sl_hudi_scan_close(s);
    return rc;
}

uint32_t sl_hudi_scan_ncolumns(const struct sl_hudi_scan *s)
{
    return s->ncolumns;
}

const struct sl_parquet_column_info *sl_hudi_scan_column(const struct sl_hudi_scan *s, uint32_t c)
{
    return &s->columns[c].info;
}

uint32_t sl_hudi_scan_left_out_count(const struct sl_hudi_scan *s)
{
    return s->nleft_out;
}

const char *sl_hudi_scan_left_out(const struct sl_hudi_scan *s, uint32_t i)
{
    return s->left_out[i];
}

const struct sl_hudi_slices *sl_hudi_scan_files(const struct sl_hudi_scan *s)
{
    return &s->files;
}

/* ---------------------------------------------------------------- per file */

static const char *physical_name(int32_t physical)
{
    static const char *const names[] = {"BOOLEAN", "INT32", "INT64", "INT96",
                                        "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return physical >= 0 && physical < (int32_t)SL_ARRAY_LEN(names) ? names[physical] : "?";
}

static bool logical_is(const struct sl_parquet_column_info *info, const char *name)
{
    return info->logical != NULL && strcmp(info->logical, name) == 0;
}

/* A plain integer (no annotation, or INTEGER): the source of int/long promotions. */
static bool plain_integer(const struct sl_parquet_column_info *fi)
{
    return fi->logical == NULL || logical_is(fi, "INTEGER");
}

/* Picks how the file's column fi becomes output column c; SL_EINVAL when it cannot. */
static int choose_conv(struct sl_hudi_scan *s, struct out_column *c,
                       const struct sl_parquet_column_info *fi, struct sl_error *err)
{
    const struct sl_parquet_column_info *o = &c->info;
    enum conv conv = CONV_PASS;
    bool ok = false;

    if (fi->unsupported != NULL)
        return sl_error_set(err, SL_EPROTO, "%s: column %s is %s, which sluice cannot read",
                            s->file_key, c->name, fi->unsupported);
    if (c->file_typed) {
        c->conv = CONV_PASS;
        return SL_OK;
    }
    switch (o->physical) {
    case PT_BOOLEAN:
    case PT_INT32:
        ok = fi->physical == o->physical && (o->physical != PT_INT32 || !logical_is(fi, "DECIMAL"));
        break;
    case PT_INT64:
        if (logical_is(o, "TIMESTAMP")) {
            if (fi->physical == PT_INT64 && logical_is(fi, "TIMESTAMP")) {
                ok = true;
                conv = fi->time_unit == o->time_unit ? CONV_PASS : CONV_TS_RESCALE;
            } else if (fi->physical == PT_INT64 && fi->logical == NULL) {
                ok = true;
            } else if (fi->physical == PT_INT96) {
                ok = true;
                conv = CONV_INT96_TS;
            }
        } else if (fi->physical == PT_INT64) {
            ok = plain_integer(fi) || logical_is(fi, "TIMESTAMP");
        } else if (fi->physical == PT_INT32 && plain_integer(fi)) {
            ok = true;
            conv = CONV_I32_I64;
        }
        break;
    case PT_FLOAT:
        ok = fi->physical == PT_FLOAT ||
             ((fi->physical == PT_INT32 || fi->physical == PT_INT64) && plain_integer(fi));
        conv = fi->physical == PT_INT32 ? CONV_I32_F32 : fi->physical == PT_INT64 ? CONV_I64_F32
                                                                                   : CONV_PASS;
        break;
    case PT_DOUBLE:
        ok = fi->physical == PT_DOUBLE || fi->physical == PT_FLOAT ||
             ((fi->physical == PT_INT32 || fi->physical == PT_INT64) && plain_integer(fi));
        conv = fi->physical == PT_INT32   ? CONV_I32_F64
               : fi->physical == PT_INT64 ? CONV_I64_F64
               : fi->physical == PT_FLOAT ? CONV_F32_F64
                                          : CONV_PASS;
        break;
    case PT_BYTE_ARRAY:
        if (fi->physical == PT_BYTE_ARRAY) {
            ok = !logical_is(fi, "DECIMAL");
        } else if (logical_is(o, "STRING")) {
            ok = fi->physical == PT_FLOAT ||
                 ((fi->physical == PT_INT32 || fi->physical == PT_INT64) && plain_integer(fi));
            conv = fi->physical == PT_INT32   ? CONV_I32_STR
                   : fi->physical == PT_INT64 ? CONV_I64_STR
                                              : CONV_F32_STR;
        }
        break;
    case PT_FLBA:
        if (logical_is(fi, "DECIMAL")) {
            ok = fi->scale == o->scale && fi->precision <= o->precision &&
                 (fi->physical == PT_INT32 || fi->physical == PT_INT64 ||
                  fi->physical == PT_BYTE_ARRAY || fi->physical == PT_FLBA);
            conv = fi->physical == PT_FLBA && fi->type_length == o->type_length ? CONV_PASS
                                                                                : CONV_DECIMAL;
        } else {
            ok = fi->physical == PT_FLBA && fi->type_length == o->type_length;
        }
        break;
    default:
        break;
    }
    if (!ok)
        return sl_error_set(err, SL_EPROTO,
                            "%s: column %s is %s%s%s, which is not the table schema's type %s "
                            "or an older type it promotes from (int->long/float/double/string, "
                            "long->float/double/string, float->double/string, a decimal of "
                            "the same scale)",
                            s->file_key, c->name, physical_name(fi->physical),
                            fi->logical ? " " : "", fi->logical ? fi->logical : "",
                            o->logical ? o->logical : physical_name(o->physical));
    c->conv = conv;
    return SL_OK;
}

/* Opens the next file, maps the output columns onto its columns. */
static int open_next_file(struct sl_hudi_scan *s, struct sl_error *err)
{
    struct sl_object_store *store = s->table->store;
    const struct sl_hudi_slice *f = &s->files.items[s->next_file++];
    int rc;

    s->file_key = f->key;
    s->file_instant = f->instant;
    rc = store->open_read(store->ctx, f->key, &s->file, err);
    if (rc == SL_ENOTFOUND && s->kind == SL_HUDI_QUERY_INCREMENTAL)
        return sl_error_set(err, SL_ENOTFOUND,
                            "base file %s written by commit %s is gone (removed by a clean?); an "
                            "incremental query can only start after the commits whose files "
                            "are kept: choose a later begin instant",
                            f->key, f->instant);
    if (rc != SL_OK)
        return rc;
    s->file_open = true;
    rc = sl_parquet_reader_open(&s->file, f->key, &s->reader, err);
    if (rc != SL_OK)
        return rc;
    if (f->size > 0 && f->size < SMALL_FILE_BYTES &&
        (rc = sl_parquet_reader_set_threads(s->reader, 1, err)) != SL_OK)
        return rc;
    s->nrow_groups = sl_parquet_reader_num_row_groups(s->reader);
    s->row_group = 0;
    s->nread = 0;
    for (uint32_t c = 0; c < s->ncolumns; c++) {
        struct out_column *col = &s->columns[c];
        int index = sl_parquet_reader_find_column(s->reader, col->name);
        col->file_index = index;
        col->file_info = NULL;
        if (index < 0) {
            col->conv = CONV_NULL;
            continue;
        }
        col->file_info = sl_parquet_reader_column(s->reader, (uint32_t)index);
        rc = choose_conv(s, col, col->file_info, err);
        if (rc != SL_OK)
            return rc;
        col->read_slot = s->nread;
        s->read_list[s->nread++] = (uint32_t)index;
    }
    s->commit_time_index = -1;
    if (s->kind == SL_HUDI_QUERY_INCREMENTAL) {
        int index = sl_parquet_reader_find_column(s->reader, sl_hudi_meta_columns[0]);
        const struct sl_parquet_column_info *fi;
        if (index < 0)
            return sl_error_set(err, SL_EPROTO,
                                "%s has no %s column, which an incremental query filters on",
                                f->key, sl_hudi_meta_columns[0]);
        fi = sl_parquet_reader_column(s->reader, (uint32_t)index);
        if (fi->physical != PT_BYTE_ARRAY)
            return sl_error_set(err, SL_EPROTO, "%s: column %s is %s, not a string", f->key,
                                sl_hudi_meta_columns[0], physical_name(fi->physical));
        s->commit_time_index = index;
        s->commit_time_slot = s->nread;
        s->read_list[s->nread++] = (uint32_t)index;
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- conversions */

static int grow_bytes(void **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return SL_OK;
    size_t size = *cap ? *cap : 4096;
    while (size < need)
        size *= 2;
    void *grown = sl_realloc(*buf, size);
    if (grown == NULL)
        return SL_ENOMEM;
    *buf = grown;
    *cap = size;
    return SL_OK;
}

/* Micros per unit, or 0 for nanos (which divide). */
static int64_t to_micros(int64_t v, int32_t unit)
{
    return unit == UNIT_MILLIS ? v * 1000 : unit == UNIT_NANOS ? sl_floor_div(v, 1000) : v;
}

static int64_t from_micros(int64_t v, int32_t unit)
{
    return unit == UNIT_MILLIS ? sl_floor_div(v, 1000) : unit == UNIT_NANOS ? v * 1000 : v;
}

static int64_t int96_micros(const uint8_t *b)
{
    uint64_t nanos = 0;
    uint32_t julian = 0;
    for (int i = 7; i >= 0; i--)
        nanos = (nanos << 8) | b[i];
    for (int i = 11; i >= 8; i--)
        julian = (julian << 8) | b[i];
    return ((int64_t)julian - 2440588) * 86400000000LL + (int64_t)(nanos / 1000);
}

/* The unscaled value of row r of a decimal column of any physical type; false if over 128 bits. */
static bool decimal_value(const struct sl_parquet_column_info *fi,
                          const struct sl_parquet_column_values *v, size_t r, __int128 *out)
{
    const uint8_t *b;
    size_t len;
    switch (fi->physical) {
    case PT_INT32:
        *out = v->u.i32[r];
        return true;
    case PT_INT64:
        *out = v->u.i64[r];
        return true;
    case PT_BYTE_ARRAY:
        b = v->u.bytes.data + v->u.bytes.offsets[r];
        len = v->u.bytes.offsets[r + 1] - v->u.bytes.offsets[r];
        break;
    default:
        b = v->u.fixed + r * (size_t)fi->type_length;
        len = (size_t)fi->type_length;
        break;
    }
    if (len == 0) {
        *out = 0;
        return true;
    }
    bool negative = (b[0] & 0x80) != 0;
    size_t skip = 0;
    while (len - skip > 16) {
        if (b[skip] != (negative ? 0xff : 0x00))
            return false;
        skip++;
    }
    unsigned __int128 acc = negative ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < len; i++)
        acc = (acc << 8) | b[i];
    *out = (__int128)acc;
    return true;
}

/* Writes value as `width` big-endian bytes; false when it does not fit. */
static bool put_be(__int128 value, uint8_t *out, size_t width)
{
    __int128 v = value;
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (uint8_t)(v & 0xff);
        v >>= 8; /* arithmetic on the platforms we build for (gcc, clang) */
    }
    bool negative = value < 0;
    return v == (negative ? -1 : 0) && ((out[0] & 0x80) != 0) == negative;
}

/* Text of row r for the *_STR conversions; returns its length (0 for NULL rows). */
static size_t number_text(enum conv conv, const struct sl_parquet_column_values *src, size_t r,
                          char *text, size_t cap)
{
    switch (conv) {
    case CONV_I32_STR: return sl_hudi_key_text_int64(src->u.i32[r], text, cap);
    case CONV_I64_STR: return sl_hudi_key_text_int64(src->u.i64[r], text, cap);
    default: return sl_hudi_key_text_float(src->u.f32[r], text, cap);
    }
}

static int convert_column(struct sl_hudi_scan *s, struct out_column *c,
                          const struct sl_parquet_column_values *src, uint32_t nrows,
                          struct sl_parquet_column_values *dst, struct sl_error *err)
{
    size_t n = nrows;
    int rc = SL_OK;

    if (c->conv == CONV_NULL) { /* every slot reads as NULL (and as zeros) */
        dst->valid = s->nulls;
        dst->u.bytes.offsets = s->nulls;
        dst->u.bytes.data = s->nulls;
        return SL_OK;
    }
    dst->valid = src->valid;
    switch (c->conv) {
    case CONV_PASS:
        *dst = *src;
        return SL_OK;
    case CONV_I32_STR:
    case CONV_I64_STR:
    case CONV_F32_STR: {
        char text[SL_HUDI_KEY_TEXT_MAX];
        if (grow_bytes((void **)&c->offsets, &c->offsets_cap, (n + 1) * sizeof(uint32_t)) != SL_OK)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        sl_buf_reset(&c->strings);
        c->offsets[0] = 0;
        for (size_t r = 0; r < n && rc == SL_OK; r++) {
            if (src->valid == NULL || src->valid[r]) {
                size_t len = number_text(c->conv, src, r, text, sizeof(text));
                rc = sl_buf_append(&c->strings, text, len);
            }
            if (c->strings.len > UINT32_MAX)
                rc = SL_ELIMIT;
            c->offsets[r + 1] = (uint32_t)c->strings.len;
        }
        if (rc != SL_OK)
            return sl_error_set(err, rc, "%s: column %s: cannot hold the converted text of row "
                                "group %u", s->file_key, c->name, s->row_group - 1);
        dst->u.bytes.offsets = c->offsets;
        dst->u.bytes.data = (const uint8_t *)c->strings.data;
        return SL_OK;
    }
    case CONV_DECIMAL: {
        size_t width = (size_t)c->info.type_length;
        if (grow_bytes(&c->values, &c->values_cap, n * width + 1) != SL_OK)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        uint8_t *out = c->values;
        for (size_t r = 0; r < n; r++) {
            __int128 v = 0;
            if (src->valid != NULL && !src->valid[r]) {
                memset(out + r * width, 0, width);
                continue;
            }
            if (!decimal_value(c->file_info, src, r, &v) || !put_be(v, out + r * width, width))
                return sl_error_set(err, SL_EPROTO,
                                    "%s: column %s row %zu of row group %u does not fit "
                                    "decimal(%d,%d) of the table schema",
                                    s->file_key, c->name, r, s->row_group - 1,
                                    (int)c->info.precision, (int)c->info.scale);
        }
        dst->u.fixed = out;
        return SL_OK;
    }
    default:
        break;
    }
    /* fixed-width numbers: 8 bytes per row at most */
    if (grow_bytes(&c->values, &c->values_cap, n * 8 + 8) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    switch (c->conv) {
    case CONV_I32_I64: {
        int64_t *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = src->u.i32[r];
        dst->u.i64 = o;
        break;
    }
    case CONV_I32_F32: {
        float *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = (float)src->u.i32[r];
        dst->u.f32 = o;
        break;
    }
    case CONV_I64_F32: {
        float *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = (float)src->u.i64[r];
        dst->u.f32 = o;
        break;
    }
    case CONV_I32_F64: {
        double *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = src->u.i32[r];
        dst->u.f64 = o;
        break;
    }
    case CONV_I64_F64: {
        double *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = (double)src->u.i64[r];
        dst->u.f64 = o;
        break;
    }
    case CONV_F32_F64: {
        double *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = src->u.f32[r];
        dst->u.f64 = o;
        break;
    }
    case CONV_TS_RESCALE: {
        int64_t *o = c->values;
        int32_t from = c->file_info->time_unit, to = c->info.time_unit;
        for (size_t r = 0; r < n; r++)
            o[r] = from_micros(to_micros(src->u.i64[r], from), to);
        dst->u.i64 = o;
        break;
    }
    case CONV_INT96_TS: {
        int64_t *o = c->values;
        for (size_t r = 0; r < n; r++)
            o[r] = from_micros(int96_micros(src->u.fixed + r * 12), c->info.time_unit);
        dst->u.i64 = o;
        break;
    }
    default:
        return sl_error_set(err, SL_EINVAL, "internal: conversion %d of column %s", (int)c->conv,
                            c->name);
    }
    return SL_OK;
}

/* Does a commit time (bytes) lie in [lo, hi]? Compared as strings, as Hudi does. */
static bool commit_time_in_range(const uint8_t *text, size_t len, const char *lo, const char *hi)
{
    size_t n = len < SL_HUDI_INSTANT_LEN ? len : SL_HUDI_INSTANT_LEN;
    int c = memcmp(text, lo, n);
    if (c < 0 || (c == 0 && len < SL_HUDI_INSTANT_LEN))
        return false;
    c = memcmp(text, hi, n);
    return c < 0 || (c == 0 && len <= SL_HUDI_INSTANT_LEN);
}

/* Fills s->selected with the rows committed in [lo, hi] (version 8: by one of
 * s->commits); returns their count. */
static int select_rows(struct sl_hudi_scan *s, uint32_t nrows, uint32_t *count,
                       struct sl_error *err)
{
    const struct sl_parquet_column_values *v = &s->read_values[s->commit_time_slot];
    uint32_t k = 0;

    size_t need = (size_t)nrows * sizeof(uint32_t) + 4;
    if (grow_bytes((void **)&s->selected, &s->selected_cap, need) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t r = 0; r < nrows; r++) {
        if (v->valid != NULL && !v->valid[r])
            continue;
        uint32_t start = v->u.bytes.offsets[r], end = v->u.bytes.offsets[r + 1];
        const uint8_t *text = v->u.bytes.data + start;
        bool keep = s->commits != NULL
                        ? end - start == SL_HUDI_INSTANT_LEN &&
                              bsearch(text, s->commits, s->ncommits, sizeof(*s->commits),
                                      compare_instant_times) != NULL
                        : commit_time_in_range(text, end - start, s->lo, s->hi);
        if (keep)
            s->selected[k++] = r;
    }
    *count = k;
    return SL_OK;
}

int sl_hudi_scan_next(struct sl_hudi_scan *s, struct sl_hudi_chunk *out, struct sl_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (s->failed)
        return sl_error_set(err, SL_EINVAL, "the scan failed earlier; close it");
    for (;;) {
        uint32_t g, nrows, nselected;
        int64_t rows;

        if (s->reader == NULL) {
            if (s->next_file >= s->files.count) {
                out->end = true;
                return SL_OK;
            }
            rc = open_next_file(s, err);
            if (rc != SL_OK)
                goto fail;
        }
        if (s->row_group >= s->nrow_groups) {
            close_file(s);
            continue;
        }
        g = s->row_group++;
        rows = sl_parquet_reader_row_group_rows(s->reader, g);
        if (rows <= 0)
            continue;
        if (rows > (int64_t)UINT32_MAX - 1) {
            rc = sl_error_set(err, SL_ELIMIT,
                              "%s: row group %u has %lld rows; at most %u supported",
                              s->file_key, g, (long long)rows, UINT32_MAX - 1);
            goto fail;
        }
        nrows = (uint32_t)rows;
        rc = sl_parquet_reader_read_columns(s->reader, g, s->read_list, s->nread, s->read_values,
                                            err);
        if (rc != SL_OK)
            goto fail;
        nselected = nrows;
        if (s->commit_time_index >= 0) {
            rc = select_rows(s, nrows, &nselected, err);
            if (rc != SL_OK)
                goto fail;
            if (nselected == 0)
                continue;
        }
        /* zeroed room for the columns this file lacks: validity, offsets, values */
        size_t null_bytes = ((size_t)nrows + 1) * SL_MAX(sizeof(int64_t), s->fixed_max);
        if (null_bytes > s->nulls_cap) {
            sl_free(s->nulls);
            s->nulls_cap = 0;
            s->nulls = sl_calloc(1, null_bytes);
            if (s->nulls == NULL) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto fail;
            }
            s->nulls_cap = null_bytes;
        }
        for (uint32_t c = 0; c < s->ncolumns; c++) {
            struct out_column *col = &s->columns[c];
            const struct sl_parquet_column_values *src =
                col->conv == CONV_NULL ? NULL : &s->read_values[col->read_slot];
            rc = convert_column(s, col, src, nrows, &s->values[c], err);
            if (rc != SL_OK)
                goto fail;
            s->infos[c] = col->file_typed && col->file_info != NULL ? col->file_info : &col->info;
        }
        out->nrows = nrows;
        out->selected = nselected == nrows ? NULL : s->selected;
        out->nselected = nselected;
        out->values = s->values;
        out->infos = s->infos;
        out->file = s->file_key;
        out->instant = s->file_instant;
        out->row_group = g;
        return SL_OK;
    }
fail:
    s->failed = true;
    close_file(s);
    memset(out, 0, sizeof(*out));
    return rc;
}

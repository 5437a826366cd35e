/*
 * Parquet reader for flat schemas. Open reads the tail (bounded), decodes the
 * FileMetaData into an arena and maps the schema tree to top-level columns
 * (a nested group or repeated field is one column marked unsupported). Reading
 * a column of a row group loads its chunk in one ranged read, walks its pages
 * (dictionary, data v1/v2) and decodes every value into reader-owned arrays in
 * the writer's layout, so memory is bounded by one chunk plus its values.
 * Several columns of a row group decode at once on a reader-owned pool of
 * threads, each with its own scratch (struct worker); the caller's thread is
 * worker 0 and also serves sl_parquet_reader_read_column.
 */
#include "sluice/parquet.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parquet/compress.h"
#include "parquet/encoding.h"
#include "parquet/format.h"

#define FOOTER_MAX ((uint32_t)64 << 20)   /* FileMetaData bytes */
#define CHUNK_MAX ((uint64_t)1 << 30)     /* compressed bytes of one column chunk */
#define PAGE_MAX ((size_t)256 << 20)      /* uncompressed bytes of one page */
#define OUTPUT_MAX ((uint64_t)1 << 31)    /* bytes of one column's decoded values */
#define PAGE_HEADER_MAX ((size_t)16 << 20) /* bytes a page header may span */
/* Readable bytes kept after every buffer values are decoded from (pages, chunks,
 * dictionaries), so short values move with one fixed-size copy that may read past
 * their end. */
#define VIEW_SLACK 16

struct column_state {
    struct sl_parquet_column_info info;
    char *unsupported_text;
    uint32_t leaf;    /* index of its (first) leaf among the row group's chunks */
    uint32_t nleaves; /* leaves it spans */
    int32_t max_def;  /* 0 required, 1 optional */
    size_t width;     /* bytes per slot; 0 for BYTE_ARRAY */

    /* the last values read */
    uint8_t *valid;
    size_t valid_cap;
    uint8_t *values;
    size_t values_cap; /* bytes */
    uint32_t *offsets;
    size_t offsets_cap; /* entries */
    struct sl_buf data; /* BYTE_ARRAY bytes */
};

/*
 * The scratch of one decoding thread: every buffer a column read needs
 * besides the column's own output, kept between reads. Worker 0 belongs to
 * the thread calling the reader; workers 1.. each to a thread of the pool.
 */
struct worker {
    struct sl_parquet_reader *r;
    pthread_t thread;
    bool started;

    struct sl_parquet_compressor compressor;
    struct sl_arena page_arena; /* page headers */
    struct sl_buf chunk;        /* the raw column chunk */
    struct sl_buf page;         /* a decompressed page */
    struct sl_buf dict_page;    /* the decompressed dictionary page (views point into it) */
    struct sl_buf dict_fixed;   /* decoded fixed-width dictionary values */
    struct sl_parquet_byte_view *dict_views;
    size_t dict_views_cap;
    uint32_t dict_count;
    bool has_dict;
    struct sl_buf delta_values; /* DELTA_BYTE_ARRAY rebuilt values */
    uint32_t *indices;
    size_t indices_cap;
    struct sl_parquet_byte_view *views;
    size_t views_cap;
};

/* One distinct column of a read_columns call. */
struct job_item {
    uint32_t column;
    int rc;
    struct sl_parquet_column_values values;
    struct sl_error err;
};

/* Orders a call's items: larger chunks first, so the slowest start first. */
struct job_order {
    int64_t work;
    uint32_t item;
};

/* A read_columns call, shared with the pool under the reader's lock. */
struct job {
    uint32_t row_group;
    uint32_t nitems;
    struct job_item *items;     /* distinct columns, in the caller's order */
    struct job_order *order;    /* the schedule */
    uint32_t next;              /* next position in order */
    uint32_t finished;          /* items done or skipped */
    uint32_t first_failed;      /* lowest failing item, nitems while none */
};

struct sl_parquet_reader {
    struct sl_read_file *file;
    char *name;
    uint64_t size;
    struct sl_arena meta_arena;
    struct sl_parquet_file_metadata md;
    uint32_t nleaves;
    uint32_t ncolumns;
    struct column_state *columns;

    /* decoding threads: workers[0] is the caller's, the others run the pool's threads */
    uint32_t nthreads;        /* configured, >= 1 */
    struct worker **workers;  /* nthreads entries, created as needed */
    uint32_t nstarted;        /* pool threads running */
    bool pool_ready;          /* lock and conditions initialised */
    bool stop;                /* pool threads exit (under lock) */
    pthread_mutex_t lock;     /* guards stop, job and the job's counters */
    pthread_cond_t wake;      /* a job was posted, or stop */
    pthread_cond_t done;      /* the job's last item finished */
    struct job *job;          /* the running read_columns call, NULL between calls */

    /* read_columns scratch, grown as needed */
    struct job_item *items;
    size_t items_cap;
    struct job_order *order;
    size_t order_cap;
    uint32_t *item_of_column; /* ncolumns entries, UINT32_MAX between calls */
};

/* Where an error happened, for messages. */
struct place {
    const struct sl_parquet_reader *r;
    uint32_t row_group;
    const char *column;
};

static int fail_at(struct sl_error *err, const struct place *p, int code, const char *what)
{
    return sl_error_set(err, code, "%s: row group %u, column %s: %s", p->r->name, p->row_group,
                        p->column, what);
}

/* Prefixes a codec's message with the place. */
static int prefix_at(struct sl_error *err, const struct place *p, int code)
{
    sl_error_prefix(err, "%s: row group %u, column %s", p->r->name, p->row_group, p->column);
    if (err != NULL)
        err->code = code;
    return code;
}

/* ---------------------------------------------------------------- schema */

/* Fills the annotation fields of a leaf's info from its logical or converted type. */
static void map_annotation(const struct sl_parquet_schema_element *e,
                           struct sl_parquet_column_info *info)
{
    const struct sl_parquet_logical_type *lt = &e->logical_type;

    if (lt->kind != SL_PARQUET_LOGICAL_NONE) {
        info->logical = sl_parquet_logical_kind_name(lt->kind);
        if (info->logical == NULL)
            info->logical = "UNKNOWN_ANNOTATION";
        switch (lt->kind) {
        case SL_PARQUET_LOGICAL_DECIMAL:
            info->precision = lt->precision;
            info->scale = lt->scale;
            break;
        case SL_PARQUET_LOGICAL_TIME:
        case SL_PARQUET_LOGICAL_TIMESTAMP:
            info->time_unit = lt->unit;
            info->adjusted_to_utc = lt->is_adjusted_to_utc;
            break;
        case SL_PARQUET_LOGICAL_INTEGER:
            info->bit_width = lt->bit_width;
            info->is_signed = lt->is_signed;
            break;
        default:
            break;
        }
    } else if (e->has_converted_type) {
        int32_t ct = e->converted_type;
        switch (ct) {
        case SL_PARQUET_CT_UTF8:
            info->logical = "STRING";
            break;
        case SL_PARQUET_CT_ENUM:
            info->logical = "ENUM";
            break;
        case SL_PARQUET_CT_JSON:
            info->logical = "JSON";
            break;
        case SL_PARQUET_CT_BSON:
            info->logical = "BSON";
            break;
        case SL_PARQUET_CT_INTERVAL:
            info->logical = "INTERVAL";
            break;
        case SL_PARQUET_CT_DECIMAL:
            info->logical = "DECIMAL";
            info->precision = e->precision;
            info->scale = e->scale;
            break;
        case SL_PARQUET_CT_DATE:
            info->logical = "DATE";
            break;
        case SL_PARQUET_CT_TIME_MILLIS:
        case SL_PARQUET_CT_TIME_MICROS:
            info->logical = "TIME";
            info->time_unit = ct == SL_PARQUET_CT_TIME_MILLIS ? SL_PARQUET_UNIT_MILLIS
                                                              : SL_PARQUET_UNIT_MICROS;
            info->adjusted_to_utc = true;
            break;
        case SL_PARQUET_CT_TIMESTAMP_MILLIS:
        case SL_PARQUET_CT_TIMESTAMP_MICROS:
            info->logical = "TIMESTAMP";
            info->time_unit = ct == SL_PARQUET_CT_TIMESTAMP_MILLIS ? SL_PARQUET_UNIT_MILLIS
                                                                   : SL_PARQUET_UNIT_MICROS;
            info->adjusted_to_utc = true;
            break;
        case SL_PARQUET_CT_UINT_8:
        case SL_PARQUET_CT_UINT_16:
        case SL_PARQUET_CT_UINT_32:
        case SL_PARQUET_CT_UINT_64:
        case SL_PARQUET_CT_INT_8:
        case SL_PARQUET_CT_INT_16:
        case SL_PARQUET_CT_INT_32:
        case SL_PARQUET_CT_INT_64: {
            static const int8_t widths[] = {8, 16, 32, 64};
            info->logical = "INTEGER";
            info->is_signed = ct >= SL_PARQUET_CT_INT_8;
            info->bit_width = widths[(ct - (info->is_signed ? SL_PARQUET_CT_INT_8
                                                            : SL_PARQUET_CT_UINT_8)) & 3];
            break;
        }
        default:
            break;
        }
    }
}

/* The sluice column type, when the annotation is one sluice writes. */
static enum sl_parquet_column_type sluice_type(const struct sl_parquet_column_info *info)
{
    const char *l = info->logical;
    switch (info->physical) {
    case SL_PARQUET_TYPE_BOOLEAN:
        return l == NULL ? SL_PARQUET_COL_BOOLEAN : 0;
    case SL_PARQUET_TYPE_INT32:
        if (l == NULL || (strcmp(l, "INTEGER") == 0 && info->is_signed && info->bit_width == 32))
            return SL_PARQUET_COL_INT32;
        if (strcmp(l, "DATE") == 0)
            return SL_PARQUET_COL_DATE;
        return 0;
    case SL_PARQUET_TYPE_INT64:
        if (l == NULL || (strcmp(l, "INTEGER") == 0 && info->is_signed && info->bit_width == 64))
            return SL_PARQUET_COL_INT64;
        if (strcmp(l, "TIME") == 0 && info->time_unit == SL_PARQUET_UNIT_MICROS)
            return SL_PARQUET_COL_TIME_MICROS;
        if (strcmp(l, "TIMESTAMP") == 0 && info->time_unit == SL_PARQUET_UNIT_MICROS)
            return SL_PARQUET_COL_TIMESTAMP_MICROS;
        return 0;
    case SL_PARQUET_TYPE_FLOAT:
        return l == NULL ? SL_PARQUET_COL_FLOAT : 0;
    case SL_PARQUET_TYPE_DOUBLE:
        return l == NULL ? SL_PARQUET_COL_DOUBLE : 0;
    case SL_PARQUET_TYPE_BYTE_ARRAY:
        if (l == NULL)
            return SL_PARQUET_COL_BYTES;
        if (strcmp(l, "STRING") == 0)
            return SL_PARQUET_COL_STRING;
        if (strcmp(l, "JSON") == 0)
            return SL_PARQUET_COL_JSON;
        return 0;
    case SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY:
        if (l != NULL && strcmp(l, "DECIMAL") == 0 && info->precision >= 1 &&
            info->precision <= 38 && info->type_length == sl_parquet_decimal_bytes(info->precision))
            return SL_PARQUET_COL_DECIMAL;
        return 0;
    default:
        return 0;
    }
}

static int map_schema(struct sl_parquet_reader *r, struct sl_error *err)
{
    const struct sl_parquet_file_metadata *md = &r->md;
    const struct sl_parquet_schema_element *root;
    uint32_t idx = 1, leaves = 0, nchildren;

    if (md->n_schema == 0)
        return sl_error_set(err, SL_EPROTO, "%s: the schema is empty", r->name);
    root = &md->schema[0];
    if (!root->has_num_children || root->num_children < 0 ||
        (uint32_t)root->num_children > md->n_schema - 1)
        return sl_error_set(err, SL_EPROTO, "%s: the schema root has a bad child count", r->name);
    nchildren = (uint32_t)root->num_children;
    r->columns = sl_calloc(nchildren ? nchildren : 1, sizeof(*r->columns));
    if (r->columns == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < nchildren; c++) {
        struct column_state *col = &r->columns[c];
        const struct sl_parquet_schema_element *e;
        bool group;

        if (idx >= md->n_schema)
            return sl_error_set(err, SL_EPROTO, "%s: the schema tree is cut short", r->name);
        e = &md->schema[idx];
        r->ncolumns = c + 1;
        sl_buf_init(&col->data, OUTPUT_MAX);
        col->info.name = e->name.data != NULL ? e->name.data : "";
        col->leaf = leaves;
        group = !e->has_type || (e->has_num_children && e->num_children > 0);
        if (group) {
            /* walk the subtree: count its elements and leaves */
            uint64_t pending = 1;
            uint32_t sub_leaves = 0;
            while (pending > 0) {
                const struct sl_parquet_schema_element *s;
                if (idx >= md->n_schema)
                    return sl_error_set(err, SL_EPROTO,
                                        "%s: the schema tree of column %s is cut short", r->name,
                                        col->info.name);
                s = &md->schema[idx++];
                pending--;
                if (!s->has_type || (s->has_num_children && s->num_children > 0)) {
                    if (s->has_num_children && s->num_children > 0)
                        pending += (uint64_t)s->num_children;
                } else {
                    sub_leaves++;
                }
                if (pending > md->n_schema)
                    return sl_error_set(err, SL_EPROTO, "%s: the schema tree is inconsistent",
                                        r->name);
            }
            col->nleaves = sub_leaves;
            const char *kind = e->logical_type.kind == SL_PARQUET_LOGICAL_LIST ||
                                       (e->has_converted_type &&
                                        e->converted_type == SL_PARQUET_CT_LIST)
                                   ? "list"
                               : e->logical_type.kind == SL_PARQUET_LOGICAL_MAP ||
                                       (e->has_converted_type &&
                                        (e->converted_type == SL_PARQUET_CT_MAP ||
                                         e->converted_type == SL_PARQUET_CT_MAP_KEY_VALUE))
                                   ? "map"
                                   : "nested group";
            struct sl_buf text;
            sl_buf_init(&text, 256);
            if (sl_buf_printf(&text, "%s with %u leaf column%s", kind, sub_leaves,
                              sub_leaves == 1 ? "" : "s") != SL_OK) {
                sl_buf_free(&text);
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            col->unsupported_text = sl_buf_detach(&text);
            if (col->unsupported_text == NULL)
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            col->info.unsupported = col->unsupported_text;
            col->info.physical = -1;
            col->info.optional = e->has_repetition_type &&
                                 e->repetition_type == SL_PARQUET_REP_OPTIONAL;
        } else {
            idx++;
            col->nleaves = 1;
            col->info.physical = e->type;
            col->info.type_length = e->has_type_length ? e->type_length : 0;
            col->info.optional =
                e->has_repetition_type && e->repetition_type == SL_PARQUET_REP_OPTIONAL;
            col->max_def = col->info.optional ? 1 : 0;
            map_annotation(e, &col->info);
            if (e->has_repetition_type && e->repetition_type == SL_PARQUET_REP_REPEATED)
                col->info.unsupported = "repeated field";
            else if (e->has_repetition_type && e->repetition_type != SL_PARQUET_REP_OPTIONAL &&
                     e->repetition_type != SL_PARQUET_REP_REQUIRED)
                col->info.unsupported = "unknown repetition type";
            switch (e->type) {
            case SL_PARQUET_TYPE_BOOLEAN:
                col->width = 1;
                break;
            case SL_PARQUET_TYPE_INT32:
            case SL_PARQUET_TYPE_FLOAT:
                col->width = 4;
                break;
            case SL_PARQUET_TYPE_INT64:
            case SL_PARQUET_TYPE_DOUBLE:
                col->width = 8;
                break;
            case SL_PARQUET_TYPE_INT96:
                col->width = 12;
                break;
            case SL_PARQUET_TYPE_BYTE_ARRAY:
                col->width = 0;
                break;
            case SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY:
                if (col->info.type_length <= 0 || col->info.type_length > (1 << 20))
                    col->info.unsupported = "FIXED_LEN_BYTE_ARRAY without a sane type_length";
                else
                    col->width = (size_t)col->info.type_length;
                break;
            default:
                col->info.unsupported = "unknown physical type";
                break;
            }
            col->info.type = col->info.unsupported ? 0 : sluice_type(&col->info);
        }
        leaves += col->nleaves;
    }
    if (idx != md->n_schema)
        return sl_error_set(err, SL_EPROTO,
                            "%s: the schema has %u elements but its tree uses %u", r->name,
                            md->n_schema, idx);
    r->nleaves = leaves;
    for (uint32_t g = 0; g < md->n_row_groups; g++) {
        if (md->row_groups[g].n_columns != leaves)
            return sl_error_set(err, SL_EPROTO,
                                "%s: row group %u has %u column chunks but the schema has %u "
                                "leaf columns",
                                r->name, g, md->row_groups[g].n_columns, leaves);
        if (md->row_groups[g].num_rows < 0)
            return sl_error_set(err, SL_EPROTO, "%s: row group %u has a negative row count",
                                r->name, g);
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- open */

static void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    sl_arena_free(&w->page_arena);
    sl_parquet_compressor_free(&w->compressor);
    sl_buf_free(&w->chunk);
    sl_buf_free(&w->page);
    sl_buf_free(&w->dict_page);
    sl_buf_free(&w->dict_fixed);
    sl_buf_free(&w->delta_values);
    sl_free(w->dict_views);
    sl_free(w->indices);
    sl_free(w->views);
    sl_free(w);
}

static struct worker *worker_new(struct sl_parquet_reader *r)
{
    struct worker *w = sl_calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->r = r;
    sl_arena_init(&w->page_arena, 4 * 1024);
    sl_parquet_compressor_init(&w->compressor);
    sl_buf_init(&w->chunk, CHUNK_MAX + VIEW_SLACK);
    sl_buf_init(&w->page, PAGE_MAX + VIEW_SLACK);
    sl_buf_init(&w->dict_page, PAGE_MAX + VIEW_SLACK);
    sl_buf_init(&w->dict_fixed, PAGE_MAX + VIEW_SLACK);
    sl_buf_init(&w->delta_values, PAGE_MAX + VIEW_SLACK);
    return w;
}

/* Ends the pool's threads (workers keep their scratch). Caller thread only. */
static void pool_stop(struct sl_parquet_reader *r)
{
    if (!r->pool_ready)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    for (uint32_t i = 1; r->workers != NULL && i < r->nthreads; i++) {
        struct worker *w = r->workers[i];
        if (w != NULL && w->started) {
            pthread_join(w->thread, NULL);
            w->started = false;
        }
    }
    r->nstarted = 0;
    r->stop = false;
}

void sl_parquet_reader_free(struct sl_parquet_reader *r)
{
    if (r == NULL)
        return;
    pool_stop(r);
    if (r->pool_ready) {
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->wake);
        pthread_cond_destroy(&r->done);
    }
    for (uint32_t i = 0; r->workers != NULL && i < r->nthreads; i++)
        worker_free(r->workers[i]);
    sl_free(r->workers);
    for (uint32_t i = 0; r->columns != NULL && i < r->ncolumns; i++) {
        struct column_state *c = &r->columns[i];
        sl_free(c->unsupported_text);
        sl_free(c->valid);
        sl_free(c->values);
        sl_free(c->offsets);
        sl_buf_free(&c->data);
    }
    sl_free(r->columns);
    sl_free(r->items);
    sl_free(r->order);
    sl_free(r->item_of_column);
    sl_free(r->name);
    sl_arena_free(&r->meta_arena);
    sl_free(r);
}

/* Online CPUs, capped: the default thread count. */
static uint32_t default_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        return 1;
    return (uint32_t)SL_MIN((unsigned long)cpus, (unsigned long)SL_PARQUET_READER_DEFAULT_THREADS_CAP);
}

int sl_parquet_reader_open(struct sl_read_file *file, const char *name,
                           struct sl_parquet_reader **reader, struct sl_error *err)
{
    struct sl_parquet_reader *r = sl_calloc(1, sizeof(*r));
    uint8_t head[SL_PARQUET_MAGIC_LEN], trailer[SL_PARQUET_TRAILER_LEN];
    uint8_t *tail = NULL;
    uint32_t metadata_len;
    int rc;

    if (r == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    r->file = file;
    sl_arena_init(&r->meta_arena, 64 * 1024);
    r->nthreads = default_threads();
    r->workers = sl_calloc(r->nthreads, sizeof(*r->workers));
    if (r->workers == NULL || (r->workers[0] = worker_new(r)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    r->name = sl_strdup(name != NULL ? name : "(parquet)");
    if (r->name == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    rc = file->size(file->ctx, &r->size, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s", r->name);
        goto fail;
    }
    if (r->size < SL_PARQUET_MAGIC_LEN + SL_PARQUET_TRAILER_LEN) {
        rc = sl_error_set(err, SL_EPROTO, "%s: not a Parquet file (%llu bytes, too short)",
                          r->name, (unsigned long long)r->size);
        goto fail;
    }
    rc = file->read_at(file->ctx, 0, head, sizeof(head), err);
    if (rc == SL_OK)
        rc = file->read_at(file->ctx, r->size - SL_PARQUET_TRAILER_LEN, trailer, sizeof(trailer),
                           err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s", r->name);
        goto fail;
    }
    if (memcmp(head, SL_PARQUET_MAGIC, SL_PARQUET_MAGIC_LEN) != 0) {
        rc = sl_error_set(err, SL_EPROTO, "%s: not a Parquet file (no PAR1 magic at the start)",
                          r->name);
        goto fail;
    }
    rc = sl_parquet_footer_size(trailer, sizeof(trailer), &metadata_len, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s", r->name);
        goto fail;
    }
    if (metadata_len > FOOTER_MAX ||
        (uint64_t)metadata_len > r->size - SL_PARQUET_MAGIC_LEN - SL_PARQUET_TRAILER_LEN) {
        rc = sl_error_set(err, SL_EPROTO,
                          "%s: footer length %u does not fit in the file (%llu bytes)", r->name,
                          metadata_len, (unsigned long long)r->size);
        goto fail;
    }
    tail = sl_malloc((size_t)metadata_len + SL_PARQUET_TRAILER_LEN);
    if (tail == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    rc = file->read_at(file->ctx, r->size - SL_PARQUET_TRAILER_LEN - metadata_len, tail,
                       (size_t)metadata_len + SL_PARQUET_TRAILER_LEN, err);
    if (rc == SL_OK)
        rc = sl_parquet_footer_decode(tail, (size_t)metadata_len + SL_PARQUET_TRAILER_LEN,
                                      &r->meta_arena, &r->md, err);
    sl_free(tail);
    tail = NULL;
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s", r->name);
        goto fail;
    }
    if (r->md.num_rows < 0) {
        rc = sl_error_set(err, SL_EPROTO, "%s: negative row count in the footer", r->name);
        goto fail;
    }
    rc = map_schema(r, err);
    if (rc != SL_OK)
        goto fail;
    r->item_of_column = sl_malloc(sizeof(*r->item_of_column) * (r->ncolumns ? r->ncolumns : 1));
    if (r->item_of_column == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    memset(r->item_of_column, 0xff, sizeof(*r->item_of_column) * (r->ncolumns ? r->ncolumns : 1));
    *reader = r;
    return SL_OK;
fail:
    sl_free(tail);
    sl_parquet_reader_free(r);
    return rc;
}

uint32_t sl_parquet_reader_ncolumns(const struct sl_parquet_reader *r)
{
    return r->ncolumns;
}

const struct sl_parquet_column_info *sl_parquet_reader_column(const struct sl_parquet_reader *r,
                                                               uint32_t column)
{
    return column < r->ncolumns ? &r->columns[column].info : NULL;
}

int sl_parquet_reader_find_column(const struct sl_parquet_reader *r, const char *name)
{
    for (uint32_t i = 0; i < r->ncolumns; i++)
        if (strcmp(r->columns[i].info.name, name) == 0)
            return (int)i;
    return -1;
}

int64_t sl_parquet_reader_num_rows(const struct sl_parquet_reader *r)
{
    return r->md.num_rows;
}

uint32_t sl_parquet_reader_num_row_groups(const struct sl_parquet_reader *r)
{
    return r->md.n_row_groups;
}

int64_t sl_parquet_reader_row_group_rows(const struct sl_parquet_reader *r, uint32_t row_group)
{
    return row_group < r->md.n_row_groups ? r->md.row_groups[row_group].num_rows : 0;
}

const char *sl_parquet_reader_kv(const struct sl_parquet_reader *r, const char *key)
{
    const char *found = NULL;
    for (uint32_t i = 0; i < r->md.n_key_value_metadata; i++) {
        const struct sl_parquet_key_value *kv = &r->md.key_value_metadata[i];
        if (kv->key.data != NULL && strcmp(kv->key.data, key) == 0)
            found = kv->value.data != NULL ? kv->value.data : "";
    }
    return found;
}

uint32_t sl_parquet_reader_kv_count(const struct sl_parquet_reader *r)
{
    return r->md.n_key_value_metadata;
}

void sl_parquet_reader_kv_at(const struct sl_parquet_reader *r, uint32_t i, const char **key,
                             const char **value)
{
    *key = NULL;
    *value = NULL;
    if (i < r->md.n_key_value_metadata) {
        *key = r->md.key_value_metadata[i].key.data;
        *value = r->md.key_value_metadata[i].value.data;
    }
}

const char *sl_parquet_reader_created_by(const struct sl_parquet_reader *r)
{
    return r->md.created_by.data;
}

/* ---------------------------------------------------------------- pages */

/* State of one column read. */
struct chunk_read {
    struct place at;
    struct worker *w;
    struct column_state *col;
    int32_t physical;
    int32_t codec;
    size_t nrows;
    size_t rows_done;
    bool any_null;
};

/*
 * Decompresses src into dest (or just points at src when uncompressed and dest is the
 * worker's page buffer). Either way VIEW_SLACK readable bytes follow the body.
 */
static int page_body(struct chunk_read *cr, const uint8_t *src, size_t len,
                     size_t uncompressed_len, bool compressed, struct sl_buf *dest,
                     const uint8_t **out, struct sl_error *err)
{
    struct worker *w = cr->w;
    int rc;
    if (!compressed || cr->codec == SL_PARQUET_CODEC_UNCOMPRESSED) {
        if (len != uncompressed_len)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "an uncompressed page's sizes disagree");
        if (dest == &w->page) {
            *out = src; /* inside the chunk buffer, which has the slack */
            return SL_OK;
        }
    }
    sl_buf_reset(dest);
    if (!compressed || cr->codec == SL_PARQUET_CODEC_UNCOMPRESSED)
        rc = sl_buf_append(dest, src, len);
    else
        rc = sl_parquet_decompress(&w->compressor, cr->codec, src, len, uncompressed_len, dest,
                                   err);
    if (rc == SL_OK)
        rc = sl_buf_reserve(dest, VIEW_SLACK);
    if (rc != SL_OK) {
        if (rc == SL_ENOMEM || rc == SL_ELIMIT)
            return fail_at(err, &cr->at, rc, "out of memory for a page");
        return prefix_at(err, &cr->at, SL_EPROTO);
    }
    *out = (const uint8_t *)dest->data;
    return SL_OK;
}

static int dictionary_page(struct chunk_read *cr, const struct sl_parquet_page_header *h,
                           const uint8_t *src, struct sl_error *err)
{
    struct worker *w = cr->w;
    const struct sl_parquet_dictionary_page_header *d = &h->dictionary_page_header;
    const uint8_t *body;
    size_t len = (size_t)h->uncompressed_page_size;
    int rc;

    if (w->has_dict)
        return fail_at(err, &cr->at, SL_EPROTO, "a second dictionary page");
    if (cr->rows_done > 0)
        return fail_at(err, &cr->at, SL_EPROTO, "a dictionary page after data pages");
    if (!h->has_dictionary_page_header)
        return fail_at(err, &cr->at, SL_EPROTO, "a dictionary page without its header");
    if (d->encoding != SL_PARQUET_ENC_PLAIN && d->encoding != SL_PARQUET_ENC_PLAIN_DICTIONARY)
        return fail_at(err, &cr->at, SL_EPROTO, "a dictionary page not PLAIN-encoded");
    if (d->num_values < 0)
        return fail_at(err, &cr->at, SL_EPROTO, "a dictionary page with a negative count");
    if (cr->physical == SL_PARQUET_TYPE_BOOLEAN)
        return fail_at(err, &cr->at, SL_EPROTO, "a dictionary page for a BOOLEAN column");
    rc = page_body(cr, src, (size_t)h->compressed_page_size, len, true, &w->dict_page, &body,
                   err);
    if (rc != SL_OK)
        return rc;
    size_t n = (size_t)d->num_values;
    if (cr->col->width > 0) {
        if (n > len / cr->col->width)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "the dictionary page holds fewer values than its header says");
        sl_buf_reset(&w->dict_fixed);
        if (sl_buf_reserve(&w->dict_fixed, n * cr->col->width + VIEW_SLACK) != SL_OK)
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory for the dictionary");
        rc = sl_parquet_plain_decode_fixed(body, len, cr->col->width, n, w->dict_fixed.data,
                                           NULL, err);
    } else {
        if (n > len / 4)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "the dictionary page holds fewer values than its header says");
        if (sl_array_grow((void **)&w->dict_views, &w->dict_views_cap, n + 1,
                          sizeof(*w->dict_views)))
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory for the dictionary");
        rc = sl_parquet_plain_decode_bytes(body, len, n, w->dict_views, NULL, err);
    }
    if (rc != SL_OK)
        return prefix_at(err, &cr->at, SL_EPROTO);
    w->dict_count = (uint32_t)n;
    w->has_dict = true;
    return SL_OK;
}

/* Copies one value; `padded`: VIEW_SLACK bytes may be read past src's end and written past
 * dst's end, so short values move in one fixed-size copy. */
static inline void copy_value(uint8_t *dst, const uint8_t *src, uint32_t len, bool padded)
{
    if (padded && len <= VIEW_SLACK) {
        uint64_t a, b; /* two fixed moves the compiler keeps inline */
        memcpy(&a, src, 8);
        memcpy(&b, src + 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + 8, &b, 8);
    } else {
        memcpy(dst, src, len);
    }
}

/*
 * Appends the page's present values to the column's byte output and sets the offsets of its
 * rows. Values are views[v], or dict[indices[v]] when indices is given. `padded` says every
 * source buffer has VIEW_SLACK readable bytes past its values.
 */
static int append_views(struct chunk_read *cr, const struct sl_parquet_byte_view *views,
                        const uint32_t *indices, size_t n, const uint8_t *valid,
                        size_t page_rows, bool padded, struct sl_error *err)
{
    struct column_state *col = cr->col;
    uint32_t *offsets = col->offsets + cr->rows_done + 1;
    uint64_t total = 0;
    uint8_t *base;
    size_t pos, v = 0;

    if (valid == NULL ? n != page_rows : n > page_rows)
        return fail_at(err, &cr->at, SL_EPROTO, "fewer values than present rows");
    for (size_t i = 0; i < n; i++)
        total += indices != NULL ? views[indices[i]].len : views[i].len;
    if (total > OUTPUT_MAX || sl_buf_reserve(&col->data, (size_t)total + VIEW_SLACK) != SL_OK)
        return fail_at(err, &cr->at, SL_ELIMIT,
                       "the column's values exceed the reader's memory limit");
    base = (uint8_t *)col->data.data;
    pos = col->data.len;
    for (size_t i = 0; i < page_rows; i++) {
        if (valid == NULL || valid[i]) {
            const struct sl_parquet_byte_view *view = indices != NULL ? &views[indices[v]]
                                                                      : &views[v];
            copy_value(base + pos, view->ptr, view->len, padded);
            pos += view->len;
            v++;
        }
        offsets[i] = (uint32_t)pos;
    }
    col->data.len = pos;
    base[pos] = '\0';
    return SL_OK;
}

/* Copies n FLBA views (each exactly width bytes) densely into out. */
static int views_to_fixed(struct chunk_read *cr, const struct sl_parquet_byte_view *views,
                          size_t n, uint8_t *out, struct sl_error *err)
{
    size_t width = cr->col->width;
    for (size_t i = 0; i < n; i++) {
        if (views[i].len != width)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "a FIXED_LEN_BYTE_ARRAY value has the wrong length");
        memcpy(out + i * width, views[i].ptr, width);
    }
    return SL_OK;
}

/*
 * Places the present values of a page in their rows' slots (absent rows zeroed): value k
 * is src + (indices ? indices[k] : k) * width. One pass instead of a dense decode and a
 * spread; typed loops for the common widths.
 */
#define SCATTER_LOOP(T)                                                                            \
    do {                                                                                           \
        T *d_ = (T *)(void *)dst;                                                                  \
        const T *s_ = (const T *)(const void *)src;                                                \
        for (size_t i_ = 0; i_ < page_rows; i_++) {                                                \
            T x_ = 0;                                                                              \
            if (valid[i_]) {                                                                       \
                size_t at_ = indices != NULL ? indices[k] : k;                                     \
                memcpy(&x_, s_ + at_, sizeof(T));                                                  \
                k++;                                                                               \
            }                                                                                      \
            memcpy(d_ + i_, &x_, sizeof(T));                                                       \
        }                                                                                          \
    } while (0)

/*
 * Widths 5..7 and 9..16 (DECIMAL) move 8 or 16 bytes per row: the source has VIEW_SLACK
 * readable bytes past its values, and the bytes written past a slot land in the next
 * row's slot, written right after, or in the spare slot past the last row (prepare_output
 * sizes the output for n + 1 rows, and a spare slot of width >= 5 covers an overrun of at
 * most 16 - 9 = 7 or 8 - 5 = 3 bytes).
 */
#define SCATTER_WIDE(N)                                                                            \
    do {                                                                                           \
        uint8_t zero_[N];                                                                          \
        memset(zero_, 0, N);                                                                       \
        for (size_t i_ = 0; i_ < page_rows; i_++) {                                                \
            const uint8_t *from_ = zero_;                                                          \
            if (valid[i_]) {                                                                       \
                from_ = src + (indices != NULL ? indices[k] : k) * width;                          \
                k++;                                                                               \
            }                                                                                      \
            memcpy(dst + i_ * width, from_, N);                                                    \
        }                                                                                          \
    } while (0)

static void scatter_fixed(const uint8_t *src, const uint32_t *indices, size_t width,
                          const uint8_t *valid, size_t page_rows, uint8_t *dst)
{
    size_t k = 0;
    if (width == 8) {
        SCATTER_LOOP(uint64_t);
    } else if (width == 4) {
        SCATTER_LOOP(uint32_t);
    } else if (width >= 5 && width < 8) {
        SCATTER_WIDE(8);
    } else if (width >= 9 && width <= 16) {
        SCATTER_WIDE(16);
    } else {
        for (size_t i = 0; i < page_rows; i++) {
            if (valid[i]) {
                size_t at = indices != NULL ? indices[k] : k;
                memcpy(dst + i * width, src + at * width, width);
                k++;
            } else {
                memset(dst + i * width, 0, width);
            }
        }
    }
}

/* Decodes n present values of a data page body (after the levels). */
static int decode_values(struct chunk_read *cr, int32_t encoding, const uint8_t *buf,
                         size_t len, size_t n, const uint8_t *valid, size_t page_rows,
                         struct sl_error *err)
{
    struct worker *w = cr->w;
    struct column_state *col = cr->col;
    size_t width = col->width;
    bool bytes = cr->physical == SL_PARQUET_TYPE_BYTE_ARRAY;
    bool sparse = valid != NULL && n < page_rows;
    uint8_t *dense = bytes ? NULL : col->values + cr->rows_done * width;
    int rc = SL_OK;

    switch (encoding) {
    case SL_PARQUET_ENC_PLAIN:
        if (cr->physical == SL_PARQUET_TYPE_BOOLEAN) {
            rc = sl_parquet_plain_decode_bool(buf, len, n, dense, NULL, err);
        } else if (bytes) {
            if (sl_array_grow((void **)&w->views, &w->views_cap, n + 1, sizeof(*w->views)))
                return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
            rc = sl_parquet_plain_decode_bytes(buf, len, n, w->views, NULL, err);
            if (rc == SL_OK)
                return append_views(cr, w->views, NULL, n, valid, page_rows, true, err);
        } else if (sparse) {
            if (n > len / width)
                return fail_at(err, &cr->at, SL_EPROTO,
                               "a PLAIN page holds fewer values than its present rows");
            scatter_fixed(buf, NULL, width, valid, page_rows, dense);
            return SL_OK;
        } else {
            rc = sl_parquet_plain_decode_fixed(buf, len, width, n, dense, NULL, err);
        }
        break;
    case SL_PARQUET_ENC_PLAIN_DICTIONARY:
    case SL_PARQUET_ENC_RLE_DICTIONARY:
        if (!w->has_dict)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "a dictionary-encoded page without a dictionary page");
        if (sl_array_grow((void **)&w->indices, &w->indices_cap, n + 1, sizeof(*w->indices)))
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
        rc = sl_parquet_dict_indices_decode(buf, len, w->indices, n, w->dict_count, err);
        if (rc != SL_OK)
            break;
        if (bytes)
            return append_views(cr, w->dict_views, w->indices, n, valid, page_rows, true, err);
        if (sparse) {
            scatter_fixed((const uint8_t *)w->dict_fixed.data, w->indices, width, valid,
                          page_rows, dense);
            return SL_OK;
        }
        sl_parquet_gather_fixed(w->dict_fixed.data, width, w->indices, n, dense);
        break;
    case SL_PARQUET_ENC_RLE:
        if (cr->physical != SL_PARQUET_TYPE_BOOLEAN)
            return fail_at(err, &cr->at, SL_EPROTO, "RLE encoding on a non-BOOLEAN column");
        rc = sl_parquet_rle_decode_prefixed_u8(buf, len, 1, dense, n, NULL, err);
        break;
    case SL_PARQUET_ENC_DELTA_BINARY_PACKED:
        if (cr->physical == SL_PARQUET_TYPE_INT32)
            rc = sl_parquet_delta_decode_int32(buf, len, (int32_t *)(void *)dense, n, NULL, err);
        else if (cr->physical == SL_PARQUET_TYPE_INT64)
            rc = sl_parquet_delta_decode_int64(buf, len, (int64_t *)(void *)dense, n, NULL, err);
        else
            return fail_at(err, &cr->at, SL_EPROTO,
                           "DELTA_BINARY_PACKED on a column not INT32 or INT64");
        break;
    case SL_PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (!bytes)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "DELTA_LENGTH_BYTE_ARRAY on a column not BYTE_ARRAY");
        if (sl_array_grow((void **)&w->views, &w->views_cap, n + 1, sizeof(*w->views)))
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
        rc = sl_parquet_delta_length_decode(buf, len, w->views, n, NULL, err);
        if (rc == SL_OK)
            return append_views(cr, w->views, NULL, n, valid, page_rows, true, err);
        break;
    case SL_PARQUET_ENC_DELTA_BYTE_ARRAY:
        if (!bytes && cr->physical != SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "DELTA_BYTE_ARRAY on a column not BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY");
        if (sl_array_grow((void **)&w->views, &w->views_cap, n + 1, sizeof(*w->views)))
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
        rc = sl_parquet_delta_bytes_decode(buf, len, w->views, n, &w->delta_values, err);
        if (rc != SL_OK)
            break;
        /* the rebuilt values have no guaranteed slack: copy them exactly */
        if (bytes)
            return append_views(cr, w->views, NULL, n, valid, page_rows, false, err);
        rc = views_to_fixed(cr, w->views, n, dense, err);
        if (rc != SL_OK)
            return rc;
        break;
    case SL_PARQUET_ENC_BYTE_STREAM_SPLIT:
        if (bytes || cr->physical == SL_PARQUET_TYPE_BOOLEAN)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "BYTE_STREAM_SPLIT on a BOOLEAN or BYTE_ARRAY column");
        rc = sl_parquet_byte_stream_split_decode(buf, len, width, n, dense, err);
        break;
    default: {
        const char *name = sl_parquet_encoding_name(encoding);
        char what[128];
        snprintf(what, sizeof(what), "unsupported value encoding %s (%d)",
                 name != NULL ? name : "unknown", (int)encoding);
        return fail_at(err, &cr->at, SL_EPROTO, what);
    }
    }
    if (rc != SL_OK) {
        if (rc == SL_ENOMEM)
            return fail_at(err, &cr->at, rc, "out of memory");
        return prefix_at(err, &cr->at, rc == SL_ELIMIT ? SL_ELIMIT : SL_EPROTO);
    }
    if (sparse)
        sl_parquet_spread(dense, width, valid, page_rows);
    return SL_OK;
}

/*
 * A compressed page of PLAIN fixed-width values without NULLs holds exactly its rows'
 * slots: it is decompressed straight into the column's output, skipping the page buffer
 * and a copy. The output is lent to the decompressor as an sl_buf whose max stays below
 * its capacity, so it can never be reallocated (the decompressor writes no more than
 * `ulen` bytes plus the terminating NUL, which lands in the next row's slot or the spare
 * one past the last row).
 */
static bool page_fits_output(const struct chunk_read *cr, int32_t encoding, size_t page_rows,
                             size_t values_len, bool compressed)
{
    const struct column_state *col = cr->col;
    return compressed && cr->codec != SL_PARQUET_CODEC_UNCOMPRESSED && col->max_def == 0 &&
           col->width > 0 && cr->physical != SL_PARQUET_TYPE_BOOLEAN &&
           encoding == SL_PARQUET_ENC_PLAIN && values_len / col->width == page_rows &&
           values_len % col->width == 0;
}

static int page_into_output(struct chunk_read *cr, const uint8_t *src, size_t len,
                            size_t ulen, struct sl_error *err)
{
    struct column_state *col = cr->col;
    size_t at = cr->rows_done * col->width;
    struct sl_buf lent;
    int rc;

    lent.data = (char *)col->values + at;
    lent.len = 0;
    lent.cap = col->values_cap - at; /* >= ulen + one spare slot (prepare_output) */
    lent.max = lent.cap - 1;
    rc = sl_parquet_decompress(&cr->w->compressor, cr->codec, src, len, ulen, &lent, err);
    if (rc != SL_OK) {
        if (rc == SL_ENOMEM || rc == SL_ELIMIT)
            return fail_at(err, &cr->at, rc, "out of memory for a page");
        return prefix_at(err, &cr->at, SL_EPROTO);
    }
    cr->rows_done += ulen / col->width;
    return SL_OK;
}

static int data_page(struct chunk_read *cr, const struct sl_parquet_page_header *h,
                     const uint8_t *src, struct sl_error *err)
{
    struct worker *w = cr->w;
    bool v2 = h->type == SL_PARQUET_PAGE_DATA_V2;
    int32_t num_values, encoding;
    size_t page_rows, present, clen = (size_t)h->compressed_page_size;
    size_t ulen = (size_t)h->uncompressed_page_size;
    const uint8_t *body, *values;
    size_t values_len;
    /* definition levels of a flat optional column are 0 or 1: decoded straight into valid */
    uint8_t *valid = cr->col->max_def > 0 ? cr->col->valid + cr->rows_done : NULL;
    int rc;

    if (v2 ? !h->has_data_page_header_v2 : !h->has_data_page_header)
        return fail_at(err, &cr->at, SL_EPROTO, "a data page without its header");
    num_values = v2 ? h->data_page_header_v2.num_values : h->data_page_header.num_values;
    encoding = v2 ? h->data_page_header_v2.encoding : h->data_page_header.encoding;
    if (num_values < 0 || (size_t)num_values > cr->nrows - cr->rows_done) {
        char what[160];
        snprintf(what, sizeof(what),
                 "a data page holds %d values but only %zu of the row group's %zu rows are left",
                 (int)num_values, cr->nrows - cr->rows_done, cr->nrows);
        return fail_at(err, &cr->at, SL_EPROTO, what);
    }
    page_rows = (size_t)num_values;

    if (!v2) {
        const struct sl_parquet_data_page_header *d = &h->data_page_header;
        size_t used = 0;
        if (page_fits_output(cr, encoding, page_rows, ulen, true))
            return page_into_output(cr, src, clen, ulen, err);
        rc = page_body(cr, src, clen, ulen, true, &w->page, &body, err);
        if (rc != SL_OK)
            return rc;
        if (valid != NULL) {
            if (d->definition_level_encoding != SL_PARQUET_ENC_RLE)
                return fail_at(err, &cr->at, SL_EPROTO,
                               "definition levels not RLE-encoded (BIT_PACKED is not supported)");
            rc = sl_parquet_rle_decode_prefixed_u8(body, ulen, 1, valid, page_rows, &used, err);
            if (rc != SL_OK)
                return prefix_at(err, &cr->at, SL_EPROTO);
        }
        values = body + used;
        values_len = ulen - used;
    } else {
        const struct sl_parquet_data_page_header_v2 *d = &h->data_page_header_v2;
        size_t levels_len;
        if (d->definition_levels_byte_length < 0 || d->repetition_levels_byte_length < 0)
            return fail_at(err, &cr->at, SL_EPROTO, "negative level lengths in a data page v2");
        if (d->num_rows != num_values)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "a flat column's data page v2 has num_rows != num_values");
        if (d->repetition_levels_byte_length != 0)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "repetition levels in a flat column's data page v2");
        levels_len = (size_t)d->definition_levels_byte_length;
        if (levels_len > clen || levels_len > ulen)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "data page v2 levels are longer than the page");
        if (valid != NULL) {
            rc = sl_parquet_rle_decode_u8(src, levels_len, 1, valid, page_rows, err);
            if (rc != SL_OK)
                return prefix_at(err, &cr->at, SL_EPROTO);
        } else if (levels_len != 0) {
            return fail_at(err, &cr->at, SL_EPROTO,
                           "definition levels in a required column's data page v2");
        }
        bool compressed = !d->has_is_compressed || d->is_compressed;
        if (levels_len == 0 && d->num_nulls == 0 &&
            page_fits_output(cr, encoding, page_rows, ulen, compressed))
            return page_into_output(cr, src, clen, ulen, err);
        rc = page_body(cr, src + levels_len, clen - levels_len, ulen - levels_len, compressed,
                       &w->page, &values, err);
        if (rc != SL_OK)
            return rc;
        values_len = ulen - levels_len;
    }
    if (valid != NULL) {
        present = sl_parquet_count_valid(valid, page_rows);
        if (present < page_rows)
            cr->any_null = true;
    } else {
        present = page_rows;
    }
    if (v2 && h->data_page_header_v2.num_nulls != (int32_t)(page_rows - present))
        return fail_at(err, &cr->at, SL_EPROTO,
                       "a data page v2's null count disagrees with its levels");
    rc = decode_values(cr, encoding, values, values_len, present, valid, page_rows, err);
    if (rc != SL_OK)
        return rc;
    cr->rows_done += page_rows;
    return SL_OK;
}

/* ---------------------------------------------------------------- read_column */

/*
 * Sizes the column's output for the row group. Values are not cleared: every page path
 * writes each of its rows' slots (absent rows zeroed), and a read that ends early fails.
 */
static int prepare_output(struct chunk_read *cr, struct sl_error *err)
{
    struct column_state *col = cr->col;
    size_t n = cr->nrows;
    uint64_t slot = col->width ? col->width : 4;

    if ((uint64_t)n * slot > OUTPUT_MAX || n > UINT32_MAX - 1)
        return fail_at(err, &cr->at, SL_ELIMIT,
                       "the row group has too many rows for the reader's memory limit");
    if (sl_array_grow((void **)&col->valid, &col->valid_cap, n + 1, 1) != SL_OK)
        return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
    if (col->width > 0) {
        if (sl_array_grow((void **)&col->values, &col->values_cap, (n + 1) * col->width, 1) != SL_OK)
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
    } else {
        if (sl_array_grow((void **)&col->offsets, &col->offsets_cap, n + 1, sizeof(uint32_t)) != SL_OK)
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
        col->offsets[0] = 0;
        sl_buf_reset(&col->data);
        /* sl_buf data is only allocated on append: make sure it is non-NULL */
        if (sl_buf_reserve(&col->data, 1) != SL_OK)
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
    }
    return SL_OK;
}

/* Reads one column chunk with worker w's scratch. Touches only w and the column's state. */
static int read_chunk(struct sl_parquet_reader *r, struct worker *w, uint32_t row_group,
                      uint32_t column, struct sl_parquet_column_values *out,
                      struct sl_error *err)
{
    struct chunk_read cr;
    const struct sl_parquet_column_chunk *chunk;
    const struct sl_parquet_column_meta_data *meta;
    uint64_t start, length, data_end;
    size_t pos = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&cr, 0, sizeof(cr));
    cr.w = w;
    cr.at.r = r;
    cr.at.row_group = row_group;
    cr.at.column = column < r->ncolumns ? r->columns[column].info.name : "?";
    if (row_group >= r->md.n_row_groups || column >= r->ncolumns)
        return fail_at(err, &cr.at, SL_EINVAL, "no such row group or column");
    cr.col = &r->columns[column];
    if (cr.col->info.unsupported != NULL) {
        char what[300];
        snprintf(what, sizeof(what), "cannot read this column: %s", cr.col->info.unsupported);
        return fail_at(err, &cr.at, SL_EPROTO, what);
    }
    cr.physical = cr.col->info.physical;
    cr.nrows = (size_t)r->md.row_groups[row_group].num_rows;
    if ((uint64_t)r->md.row_groups[row_group].num_rows > (uint64_t)UINT32_MAX)
        return fail_at(err, &cr.at, SL_ELIMIT, "the row group has too many rows");
    chunk = &r->md.row_groups[row_group].columns[cr.col->leaf];
    if (chunk->file_path.data != NULL)
        return fail_at(err, &cr.at, SL_EPROTO, "the column chunk is in another file");
    if (!chunk->has_meta_data)
        return fail_at(err, &cr.at, SL_EPROTO, "the column chunk has no metadata");
    meta = &chunk->meta_data;
    if (meta->type != cr.physical)
        return fail_at(err, &cr.at, SL_EPROTO,
                       "the column chunk's type disagrees with the schema");
    if (!sl_parquet_compress_supported(meta->codec)) {
        char what[128];
        snprintf(what, sizeof(what), "unsupported compression codec %s",
                 sl_parquet_compress_codec_name(meta->codec));
        return fail_at(err, &cr.at, SL_EPROTO, what);
    }
    cr.codec = meta->codec;
    if (meta->num_values != (int64_t)cr.nrows) {
        char what[160];
        snprintf(what, sizeof(what), "the chunk holds %lld values but the row group has %zu rows",
                 (long long)meta->num_values, cr.nrows);
        return fail_at(err, &cr.at, SL_EPROTO, what);
    }
    if (cr.nrows == 0) { /* pyarrow writes empty row groups with chunks that hold no pages */
        rc = prepare_output(&cr, err);
        if (rc != SL_OK)
            return rc;
        goto done;
    }
    /* some writers put dictionary_page_offset 0 for "none"; only trust it before the data */
    if (meta->has_dictionary_page_offset && meta->dictionary_page_offset >= SL_PARQUET_MAGIC_LEN &&
        meta->dictionary_page_offset < meta->data_page_offset)
        start = (uint64_t)meta->dictionary_page_offset;
    else
        start = (uint64_t)meta->data_page_offset;
    length = (uint64_t)meta->total_compressed_size;
    data_end = r->size - SL_PARQUET_TRAILER_LEN;
    if (meta->data_page_offset < SL_PARQUET_MAGIC_LEN || meta->total_compressed_size < 0 ||
        start > data_end || length > data_end - start)
        return fail_at(err, &cr.at, SL_EPROTO, "the column chunk's range is outside the file");
    if (length > CHUNK_MAX)
        return fail_at(err, &cr.at, SL_ELIMIT, "the column chunk exceeds 1 GiB");
    rc = prepare_output(&cr, err);
    if (rc != SL_OK)
        return rc;
    sl_buf_reset(&w->chunk);
    if (sl_buf_reserve(&w->chunk, (size_t)length + VIEW_SLACK) != SL_OK)
        return fail_at(err, &cr.at, SL_ENOMEM, "out of memory for the column chunk");
    rc = r->file->read_at(r->file->ctx, start, w->chunk.data, (size_t)length, err);
    if (rc != SL_OK)
        return prefix_at(err, &cr.at, rc);
    w->chunk.len = (size_t)length;
    w->has_dict = false;
    w->dict_count = 0;
    sl_buf_reset(&w->delta_values);

    while (cr.rows_done < cr.nrows) {
        struct sl_parquet_page_header h;
        size_t consumed = 0;
        const uint8_t *page_start = (const uint8_t *)w->chunk.data + pos;
        size_t left = (size_t)length - pos;

        if (left == 0) {
            char what[160];
            snprintf(what, sizeof(what), "the chunk ends after %zu of %zu rows", cr.rows_done,
                     cr.nrows);
            return fail_at(err, &cr.at, SL_EPROTO, what);
        }
        sl_arena_reset(&w->page_arena);
        rc = sl_parquet_page_header_decode(page_start, SL_MIN(left, PAGE_HEADER_MAX),
                                           &w->page_arena, &h, &consumed, err);
        if (rc != SL_OK) {
            if (rc == SL_ENOMEM)
                return fail_at(err, &cr.at, rc, "out of memory");
            return prefix_at(err, &cr.at, SL_EPROTO);
        }
        if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0 ||
            (size_t)h.compressed_page_size > left - consumed)
            return fail_at(err, &cr.at, SL_EPROTO,
                           "a page header's size runs past the end of the column chunk");
        if ((size_t)h.uncompressed_page_size > PAGE_MAX)
            return fail_at(err, &cr.at, SL_ELIMIT, "a page exceeds 256 MiB uncompressed");
        page_start += consumed;
        switch (h.type) {
        case SL_PARQUET_PAGE_DICTIONARY:
            rc = dictionary_page(&cr, &h, page_start, err);
            break;
        case SL_PARQUET_PAGE_DATA:
        case SL_PARQUET_PAGE_DATA_V2:
            rc = data_page(&cr, &h, page_start, err);
            break;
        default: /* index pages and unknown page types carry no values */
            rc = SL_OK;
            break;
        }
        if (rc != SL_OK)
            return rc;
        pos += consumed + (size_t)h.compressed_page_size;
    }

done:
    out->valid = cr.any_null ? cr.col->valid : NULL;
    if (cr.physical == SL_PARQUET_TYPE_BYTE_ARRAY) {
        out->u.bytes.offsets = cr.col->offsets;
        out->u.bytes.data = (const uint8_t *)cr.col->data.data;
    } else {
        out->u.fixed = cr.col->values; /* the union's members all alias this array */
        switch (cr.physical) {
        case SL_PARQUET_TYPE_BOOLEAN:
            out->u.booleans = cr.col->values;
            break;
        case SL_PARQUET_TYPE_INT32:
            out->u.i32 = (const int32_t *)(const void *)cr.col->values;
            break;
        case SL_PARQUET_TYPE_INT64:
            out->u.i64 = (const int64_t *)(const void *)cr.col->values;
            break;
        case SL_PARQUET_TYPE_FLOAT:
            out->u.f32 = (const float *)(const void *)cr.col->values;
            break;
        case SL_PARQUET_TYPE_DOUBLE:
            out->u.f64 = (const double *)(const void *)cr.col->values;
            break;
        default:
            break;
        }
    }
    return SL_OK;
}

int sl_parquet_reader_read_column(struct sl_parquet_reader *r, uint32_t row_group,
                                  uint32_t column, struct sl_parquet_column_values *out,
                                  struct sl_error *err)
{
    return read_chunk(r, r->workers[0], row_group, column, out, err);
}

/* ---------------------------------------------------------------- threads */

/*
 * Takes the job's next items until none is left. Called and returns with r->lock held;
 * the lock is dropped while a column decodes. An item after one that already failed (in
 * the caller's column order) is skipped: its error could not be the one reported.
 */
static void run_items(struct sl_parquet_reader *r, struct worker *w)
{
    struct job *job;
    while ((job = r->job) != NULL && job->next < job->nitems) {
        uint32_t i = job->order[job->next++].item;
        struct job_item *item = &job->items[i];
        if (i < job->first_failed) {
            pthread_mutex_unlock(&r->lock);
            item->rc = read_chunk(r, w, job->row_group, item->column, &item->values,
                                  &item->err);
            pthread_mutex_lock(&r->lock);
            if (item->rc != SL_OK && i < job->first_failed)
                job->first_failed = i;
        }
        if (++job->finished == job->nitems)
            pthread_cond_signal(&r->done);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct sl_parquet_reader *r = w->r;

    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        if (r->job != NULL && r->job->next < r->job->nitems)
            run_items(r, w);
        else
            pthread_cond_wait(&r->wake, &r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/*
 * Starts the pool threads that are not running. A thread or its scratch that cannot be
 * had is not an error: the calling thread always takes part, so jobs finish with fewer.
 */
static void pool_start(struct sl_parquet_reader *r)
{
    sigset_t all, old;

    if (!r->pool_ready) {
        if (pthread_mutex_init(&r->lock, NULL) != 0)
            return;
        if (pthread_cond_init(&r->wake, NULL) != 0) {
            pthread_mutex_destroy(&r->lock);
            return;
        }
        if (pthread_cond_init(&r->done, NULL) != 0) {
            pthread_cond_destroy(&r->wake);
            pthread_mutex_destroy(&r->lock);
            return;
        }
        r->pool_ready = true;
    }
    if (r->nstarted + 1 >= r->nthreads)
        return;
    /* signals belong to the application's threads, not to decoders */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (uint32_t i = 1; i < r->nthreads; i++) {
        if (r->workers[i] == NULL && (r->workers[i] = worker_new(r)) == NULL)
            break;
        if (r->workers[i]->started)
            continue;
        if (pthread_create(&r->workers[i]->thread, NULL, worker_main, r->workers[i]) != 0)
            break;
        r->workers[i]->started = true;
        r->nstarted++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int sl_parquet_reader_set_threads(struct sl_parquet_reader *r, uint32_t threads,
                                  struct sl_error *err)
{
    struct worker **workers;

    if (threads > SL_PARQUET_READER_MAX_THREADS)
        return sl_error_set(err, SL_EINVAL, "%s: %u decoding threads requested, at most %u",
                            r->name, threads, SL_PARQUET_READER_MAX_THREADS);
    if (threads == 0)
        threads = default_threads();
    if (threads == r->nthreads)
        return SL_OK;
    pool_stop(r);
    if (threads > r->nthreads) {
        workers = sl_realloc(r->workers, sizeof(*workers) * threads);
        if (workers == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory for %u decoding threads",
                                threads);
        for (uint32_t i = r->nthreads; i < threads; i++)
            workers[i] = NULL;
    } else {
        for (uint32_t i = threads; i < r->nthreads; i++) {
            worker_free(r->workers[i]);
            r->workers[i] = NULL;
        }
        workers = r->workers; /* shrinking in place never fails */
    }
    r->workers = workers;
    r->nthreads = threads;
    return SL_OK;
}

uint32_t sl_parquet_reader_threads(const struct sl_parquet_reader *r)
{
    return r->nthreads;
}

/* Expected work of reading a column chunk: its uncompressed pages plus its output slots. */
static int64_t chunk_work(const struct sl_parquet_reader *r, uint32_t row_group, uint32_t column)
{
    const struct column_state *col = &r->columns[column];
    const struct sl_parquet_column_chunk *chunk;
    int64_t work;

    if (col->info.unsupported != NULL)
        return 0;
    chunk = &r->md.row_groups[row_group].columns[col->leaf];
    if (!chunk->has_meta_data || chunk->meta_data.total_uncompressed_size < 0 ||
        chunk->meta_data.num_values < 0)
        return 0;
    work = SL_MIN(chunk->meta_data.total_uncompressed_size, INT64_MAX / 4);
    return work + SL_MIN(chunk->meta_data.num_values, INT64_MAX / 64) *
                      (int64_t)(col->width ? col->width : 8);
}

static int compare_order(const void *a, const void *b)
{
    const struct job_order *x = a, *y = b;
    if (x->work != y->work)
        return x->work > y->work ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

int sl_parquet_reader_read_columns(struct sl_parquet_reader *r, uint32_t row_group,
                                   const uint32_t *columns, uint32_t ncolumns,
                                   struct sl_parquet_column_values *out, struct sl_error *err)
{
    struct job job;
    uint32_t nitems = 0;
    int rc = SL_OK;

    if (ncolumns == 0)
        return SL_OK;
    memset(out, 0, sizeof(*out) * ncolumns);
    if (row_group >= r->md.n_row_groups)
        return sl_error_set(err, SL_EINVAL, "%s: no row group %u (the file has %u)", r->name,
                            row_group, r->md.n_row_groups);
    for (uint32_t i = 0; i < ncolumns; i++)
        if (columns[i] >= r->ncolumns)
            return sl_error_set(err, SL_EINVAL, "%s: no column %u (the file has %u)", r->name,
                                columns[i], r->ncolumns);
    if (sl_array_grow((void **)&r->items, &r->items_cap, ncolumns, sizeof(*r->items)) != SL_OK ||
        sl_array_grow((void **)&r->order, &r->order_cap, ncolumns, sizeof(*r->order)) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory");

    /* one item per distinct column, in the caller's order */
    for (uint32_t i = 0; i < ncolumns; i++) {
        if (r->item_of_column[columns[i]] != UINT32_MAX)
            continue;
        r->item_of_column[columns[i]] = nitems;
        r->items[nitems].column = columns[i];
        r->items[nitems].rc = SL_OK;
        r->items[nitems].err.message[0] = '\0';
        r->order[nitems].item = nitems;
        r->order[nitems].work = chunk_work(r, row_group, columns[i]);
        nitems++;
    }
    memset(&job, 0, sizeof(job));
    job.row_group = row_group;
    job.nitems = nitems;
    job.items = r->items;
    job.order = r->order;
    job.first_failed = nitems;

    if (r->nthreads > 1 && nitems > 1)
        pool_start(r);
    if (r->nstarted == 0 || nitems == 1) {
        /* one thread: in the caller's order, stopping at the first failure */
        for (uint32_t i = 0; i < nitems; i++) {
            struct job_item *item = &r->items[i];
            item->rc = read_chunk(r, r->workers[0], row_group, item->column, &item->values,
                                  &item->err);
            if (item->rc != SL_OK) {
                job.first_failed = i;
                break;
            }
        }
    } else {
        qsort(r->order, nitems, sizeof(*r->order), compare_order);
        pthread_mutex_lock(&r->lock);
        r->job = &job;
        pthread_cond_broadcast(&r->wake);
        run_items(r, r->workers[0]);
        while (job.finished < job.nitems)
            pthread_cond_wait(&r->done, &r->lock);
        r->job = NULL;
        pthread_mutex_unlock(&r->lock);
    }

    if (job.first_failed < nitems) {
        const struct job_item *failed = &r->items[job.first_failed];
        rc = failed->rc;
        if (err != NULL)
            *err = failed->err;
    } else {
        for (uint32_t i = 0; i < ncolumns; i++)
            out[i] = r->items[r->item_of_column[columns[i]]].values;
    }
    for (uint32_t i = 0; i < nitems; i++)
        r->item_of_column[r->items[i].column] = UINT32_MAX;
    return rc;
}

/*
 * Parquet reader for flat schemas. Open reads the tail (bounded), decodes the
 * FileMetaData into an arena and maps the schema tree to top-level columns
 * (a nested group or repeated field is one column marked unsupported). Reading
 * a column of a row group loads its chunk in one ranged read, walks its pages
 * (dictionary, data v1/v2) and decodes every value into reader-owned arrays in
 * the writer's layout, so memory is bounded by one chunk plus its values.
 */
#include "sluice/parquet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parquet/compress.h"
#include "parquet/encoding.h"
#include "parquet/format.h"

#define FOOTER_MAX ((uint32_t)64 << 20)   /* FileMetaData bytes */
#define CHUNK_MAX ((uint64_t)1 << 30)     /* compressed bytes of one column chunk */
#define PAGE_MAX ((size_t)256 << 20)      /* uncompressed bytes of one page */
#define OUTPUT_MAX ((uint64_t)1 << 31)    /* bytes of one column's decoded values */
#define PAGE_HEADER_MAX ((size_t)16 << 20) /* bytes a page header may span */

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

struct sl_parquet_reader {
    struct sl_read_file *file;
    char *name;
    uint64_t size;
    struct sl_arena meta_arena;
    struct sl_parquet_file_metadata md;
    uint32_t nleaves;
    uint32_t ncolumns;
    struct column_state *columns;

    /* scratch of read_column, kept between calls */
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
    uint8_t *levels;
    size_t levels_cap;
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
    sl_error_prefix(err, "%s: row group %u, column %s: ", p->r->name, p->row_group, p->column);
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

void sl_parquet_reader_free(struct sl_parquet_reader *r)
{
    if (r == NULL)
        return;
    for (uint32_t i = 0; r->columns != NULL && i < r->ncolumns; i++) {
        struct column_state *c = &r->columns[i];
        sl_free(c->unsupported_text);
        sl_free(c->valid);
        sl_free(c->values);
        sl_free(c->offsets);
        sl_buf_free(&c->data);
    }
    sl_free(r->columns);
    sl_free(r->name);
    sl_arena_free(&r->meta_arena);
    sl_arena_free(&r->page_arena);
    sl_parquet_compressor_free(&r->compressor);
    sl_buf_free(&r->chunk);
    sl_buf_free(&r->page);
    sl_buf_free(&r->dict_page);
    sl_buf_free(&r->dict_fixed);
    sl_buf_free(&r->delta_values);
    sl_free(r->dict_views);
    sl_free(r->indices);
    sl_free(r->views);
    sl_free(r->levels);
    sl_free(r);
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
    sl_arena_init(&r->page_arena, 4 * 1024);
    sl_parquet_compressor_init(&r->compressor);
    sl_buf_init(&r->chunk, CHUNK_MAX);
    sl_buf_init(&r->page, PAGE_MAX);
    sl_buf_init(&r->dict_page, PAGE_MAX);
    sl_buf_init(&r->dict_fixed, PAGE_MAX);
    sl_buf_init(&r->delta_values, PAGE_MAX);
    r->name = sl_strdup(name != NULL ? name : "(parquet)");
    if (r->name == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    rc = file->size(file->ctx, &r->size, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s: ", r->name);
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
        sl_error_prefix(err, "%s: ", r->name);
        goto fail;
    }
    if (memcmp(head, SL_PARQUET_MAGIC, SL_PARQUET_MAGIC_LEN) != 0) {
        rc = sl_error_set(err, SL_EPROTO, "%s: not a Parquet file (no PAR1 magic at the start)",
                          r->name);
        goto fail;
    }
    rc = sl_parquet_footer_size(trailer, sizeof(trailer), &metadata_len, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s: ", r->name);
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
        sl_error_prefix(err, "%s: ", r->name);
        goto fail;
    }
    if (r->md.num_rows < 0) {
        rc = sl_error_set(err, SL_EPROTO, "%s: negative row count in the footer", r->name);
        goto fail;
    }
    rc = map_schema(r, err);
    if (rc != SL_OK)
        goto fail;
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

/* State of one read_column call. */
struct chunk_read {
    struct place at;
    struct column_state *col;
    int32_t physical;
    int32_t codec;
    size_t nrows;
    size_t rows_done;
    bool any_null;
};

/* Decompresses src into r->page (or just points at src when uncompressed). */
static int page_body(struct sl_parquet_reader *r, struct chunk_read *cr, const uint8_t *src,
                     size_t len, size_t uncompressed_len, bool compressed, struct sl_buf *dest,
                     const uint8_t **out, struct sl_error *err)
{
    int rc;
    if (!compressed || cr->codec == SL_PARQUET_CODEC_UNCOMPRESSED) {
        if (len != uncompressed_len)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "an uncompressed page's sizes disagree");
        if (dest == &r->page) {
            *out = src;
            return SL_OK;
        }
    }
    sl_buf_reset(dest);
    if (!compressed || cr->codec == SL_PARQUET_CODEC_UNCOMPRESSED)
        rc = sl_buf_append(dest, src, len);
    else
        rc = sl_parquet_decompress(&r->compressor, cr->codec, src, len, uncompressed_len, dest,
                                   err);
    if (rc != SL_OK) {
        if (rc == SL_ENOMEM || rc == SL_ELIMIT)
            return fail_at(err, &cr->at, rc, "out of memory for a page");
        return prefix_at(err, &cr->at, SL_EPROTO);
    }
    *out = (const uint8_t *)dest->data;
    return SL_OK;
}

static int dictionary_page(struct sl_parquet_reader *r, struct chunk_read *cr,
                           const struct sl_parquet_page_header *h, const uint8_t *src,
                           struct sl_error *err)
{
    const struct sl_parquet_dictionary_page_header *d = &h->dictionary_page_header;
    const uint8_t *body;
    size_t len = (size_t)h->uncompressed_page_size;
    int rc;

    if (r->has_dict)
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
    rc = page_body(r, cr, src, (size_t)h->compressed_page_size, len, true, &r->dict_page, &body,
                   err);
    if (rc != SL_OK)
        return rc;
    size_t n = (size_t)d->num_values;
    if (cr->col->width > 0) {
        if (n > len / cr->col->width)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "the dictionary page holds fewer values than its header says");
        sl_buf_reset(&r->dict_fixed);
        if (sl_buf_reserve(&r->dict_fixed, n * cr->col->width) != SL_OK)
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory for the dictionary");
        rc = sl_parquet_plain_decode_fixed(body, len, cr->col->width, n, r->dict_fixed.data,
                                           NULL, err);
    } else {
        if (n > len / 4)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "the dictionary page holds fewer values than its header says");
        if (sl_array_grow((void **)&r->dict_views, &r->dict_views_cap, n + 1, sizeof(*r->dict_views)))
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory for the dictionary");
        rc = sl_parquet_plain_decode_bytes(body, len, n, r->dict_views, NULL, err);
    }
    if (rc != SL_OK)
        return prefix_at(err, &cr->at, SL_EPROTO);
    r->dict_count = (uint32_t)n;
    r->has_dict = true;
    return SL_OK;
}

/* Copies n views into the column's byte output for the page's rows. */
static int append_views(struct chunk_read *cr, const struct sl_parquet_byte_view *views,
                        size_t n, const uint8_t *valid, size_t page_rows, struct sl_error *err)
{
    struct column_state *col = cr->col;
    size_t v = 0;
    for (size_t i = 0; i < page_rows; i++) {
        size_t row = cr->rows_done + i;
        if (valid == NULL || valid[i]) {
            if (v >= n)
                return fail_at(err, &cr->at, SL_EPROTO, "fewer values than present rows");
            if (views[v].len > 0 &&
                sl_buf_append(&col->data, views[v].ptr, views[v].len) != SL_OK)
                return fail_at(err, &cr->at, SL_ELIMIT,
                               "the column's values exceed the reader's memory limit");
            v++;
        }
        col->offsets[row + 1] = (uint32_t)col->data.len;
    }
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

/* Decodes n present values of a data page body (after the levels). */
static int decode_values(struct sl_parquet_reader *r, struct chunk_read *cr, int32_t encoding,
                         const uint8_t *buf, size_t len, size_t n, const uint8_t *valid,
                         size_t page_rows, struct sl_error *err)
{
    struct column_state *col = cr->col;
    size_t width = col->width;
    bool bytes = cr->physical == SL_PARQUET_TYPE_BYTE_ARRAY;
    uint8_t *dense = bytes ? NULL : col->values + cr->rows_done * width;
    int rc = SL_OK;

    if (sl_array_grow((void **)&r->views, &r->views_cap, n + 1, sizeof(*r->views)) != SL_OK)
        return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");

    switch (encoding) {
    case SL_PARQUET_ENC_PLAIN:
        if (cr->physical == SL_PARQUET_TYPE_BOOLEAN)
            rc = sl_parquet_plain_decode_bool(buf, len, n, dense, NULL, err);
        else if (bytes)
            rc = sl_parquet_plain_decode_bytes(buf, len, n, r->views, NULL, err);
        else
            rc = sl_parquet_plain_decode_fixed(buf, len, width, n, dense, NULL, err);
        break;
    case SL_PARQUET_ENC_PLAIN_DICTIONARY:
    case SL_PARQUET_ENC_RLE_DICTIONARY:
        if (!r->has_dict)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "a dictionary-encoded page without a dictionary page");
        if (sl_array_grow((void **)&r->indices, &r->indices_cap, n + 1, sizeof(*r->indices)) != SL_OK)
            return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");
        rc = sl_parquet_dict_indices_decode(buf, len, r->indices, n, r->dict_count, err);
        if (rc != SL_OK)
            break;
        if (bytes)
            sl_parquet_gather_views(r->dict_views, r->indices, n, r->views);
        else
            sl_parquet_gather_fixed(r->dict_fixed.data, width, r->indices, n, dense);
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
        rc = sl_parquet_delta_length_decode(buf, len, r->views, n, NULL, err);
        break;
    case SL_PARQUET_ENC_DELTA_BYTE_ARRAY:
        if (!bytes && cr->physical != SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY)
            return fail_at(err, &cr->at, SL_EPROTO,
                           "DELTA_BYTE_ARRAY on a column not BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY");
        rc = sl_parquet_delta_bytes_decode(buf, len, r->views, n, &r->delta_values, err);
        if (rc == SL_OK && !bytes) {
            rc = views_to_fixed(cr, r->views, n, dense, err);
            if (rc != SL_OK)
                return rc;
        }
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
    if (bytes)
        return append_views(cr, r->views, n, valid, page_rows, err);
    if (valid != NULL && n < page_rows)
        sl_parquet_spread(dense, width, valid, page_rows);
    return SL_OK;
}

/* Decodes definition levels into r->levels and the column's valid map; *present = count. */
static int take_levels(struct sl_parquet_reader *r, struct chunk_read *cr, size_t page_rows,
                       size_t *present)
{
    uint8_t *valid = cr->col->valid + cr->rows_done;
    size_t count = 0;
    for (size_t i = 0; i < page_rows; i++) {
        valid[i] = r->levels[i] != 0;
        count += valid[i];
    }
    if (count < page_rows)
        cr->any_null = true;
    *present = count;
    return SL_OK;
}

static int data_page(struct sl_parquet_reader *r, struct chunk_read *cr,
                     const struct sl_parquet_page_header *h, const uint8_t *src,
                     struct sl_error *err)
{
    bool v2 = h->type == SL_PARQUET_PAGE_DATA_V2;
    int32_t num_values, encoding;
    size_t page_rows, present, clen = (size_t)h->compressed_page_size;
    size_t ulen = (size_t)h->uncompressed_page_size;
    const uint8_t *body, *values;
    size_t values_len;
    uint8_t *valid = NULL;
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
    if (sl_array_grow((void **)&r->levels, &r->levels_cap, page_rows + 1, 1) != SL_OK)
        return fail_at(err, &cr->at, SL_ENOMEM, "out of memory");

    if (!v2) {
        const struct sl_parquet_data_page_header *d = &h->data_page_header;
        size_t used = 0;
        rc = page_body(r, cr, src, clen, ulen, true, &r->page, &body, err);
        if (rc != SL_OK)
            return rc;
        if (cr->col->max_def > 0) {
            if (d->definition_level_encoding != SL_PARQUET_ENC_RLE)
                return fail_at(err, &cr->at, SL_EPROTO,
                               "definition levels not RLE-encoded (BIT_PACKED is not supported)");
            rc = sl_parquet_rle_decode_prefixed_u8(body, ulen, 1, r->levels, page_rows, &used,
                                                   err);
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
        if (cr->col->max_def > 0) {
            rc = sl_parquet_rle_decode_u8(src, levels_len, 1, r->levels, page_rows, err);
            if (rc != SL_OK)
                return prefix_at(err, &cr->at, SL_EPROTO);
        } else if (levels_len != 0) {
            return fail_at(err, &cr->at, SL_EPROTO,
                           "definition levels in a required column's data page v2");
        }
        bool compressed = !d->has_is_compressed || d->is_compressed;
        rc = page_body(r, cr, src + levels_len, clen - levels_len, ulen - levels_len, compressed,
                       &r->page, &values, err);
        if (rc != SL_OK)
            return rc;
        values_len = ulen - levels_len;
    }
    if (cr->col->max_def > 0) {
        take_levels(r, cr, page_rows, &present);
        valid = cr->col->valid + cr->rows_done;
    } else {
        present = page_rows;
    }
    if (v2 && h->data_page_header_v2.num_nulls != (int32_t)(page_rows - present))
        return fail_at(err, &cr->at, SL_EPROTO,
                       "a data page v2's null count disagrees with its levels");
    rc = decode_values(r, cr, encoding, values, values_len, present, valid, page_rows, err);
    if (rc != SL_OK)
        return rc;
    cr->rows_done += page_rows;
    return SL_OK;
}

/* ---------------------------------------------------------------- read_column */

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
        memset(col->values, 0, n * col->width);
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

int sl_parquet_reader_read_column(struct sl_parquet_reader *r, uint32_t row_group,
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
    sl_buf_reset(&r->chunk);
    if (sl_buf_reserve(&r->chunk, (size_t)length + 1) != SL_OK)
        return fail_at(err, &cr.at, SL_ENOMEM, "out of memory for the column chunk");
    rc = r->file->read_at(r->file->ctx, start, r->chunk.data, (size_t)length, err);
    if (rc != SL_OK)
        return prefix_at(err, &cr.at, rc);
    r->chunk.len = (size_t)length;
    r->has_dict = false;
    r->dict_count = 0;
    sl_buf_reset(&r->delta_values);

    while (cr.rows_done < cr.nrows) {
        struct sl_parquet_page_header h;
        size_t consumed = 0;
        const uint8_t *page_start = (const uint8_t *)r->chunk.data + pos;
        size_t left = (size_t)length - pos;

        if (left == 0) {
            char what[160];
            snprintf(what, sizeof(what), "the chunk ends after %zu of %zu rows", cr.rows_done,
                     cr.nrows);
            return fail_at(err, &cr.at, SL_EPROTO, what);
        }
        sl_arena_reset(&r->page_arena);
        rc = sl_parquet_page_header_decode(page_start, SL_MIN(left, PAGE_HEADER_MAX),
                                           &r->page_arena, &h, &consumed, err);
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
            rc = dictionary_page(r, &cr, &h, page_start, err);
            break;
        case SL_PARQUET_PAGE_DATA:
        case SL_PARQUET_PAGE_DATA_V2:
            rc = data_page(r, &cr, &h, page_start, err);
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

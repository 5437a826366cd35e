/*
 * Parquet writer for flat schemas. Rows arrive in columnar batches; each
 * column buffers its current data page (values PLAIN-encoded, or as
 * dictionary indices while its dictionary fits), and finished pages are
 * compressed into the column chunk's buffer. When the row group reaches its
 * size, every chunk goes to the stream (dictionary page first), so memory is
 * bounded by one row group of compressed pages plus one open page per column.
 * A chunk whose first values are all distinct skips the dictionary. Statistics
 * (min/max by the column's sort order, null count) are kept per chunk. The
 * footer is written at close.
 */
#include "sluice/parquet.h"

#include <math.h>
#include <string.h>

#include "parquet/compress.h"
#include "parquet/encoding.h"
#include "parquet/format.h"

#define DEFAULT_PAGE_BYTES (1u << 20)
#define DEFAULT_ROW_GROUP_BYTES (128u << 20)
#define DEFAULT_DICTIONARY_LIMIT (1u << 20)
#define SLICE_ROWS 4096           /* rows handed to the encoders at a time */
/* A chunk whose first this many present values are all distinct gives up its dictionary. */
#define DICT_PROBE_VALUES 16384
#define STATS_MAX_VALUE_BYTES 4096 /* longer byte arrays get no min/max (as parquet-mr) */
#define BUFFER_MAX ((size_t)1 << 34)

struct column_stats {
    bool has_minmax;
    bool minmax_disabled;
    int64_t null_count;
    struct sl_buf min; /* PLAIN bytes without length prefix */
    struct sl_buf max;
};

struct column_writer {
    char *name;
    struct sl_parquet_column_spec spec;
    int32_t physical;
    size_t width; /* bytes per value for fixed-width types, 0 for BYTE_ARRAY and BOOLEAN */

    bool use_dictionary; /* for the current chunk; cleared when the dictionary is full */
    bool dict_probed;    /* the chunk's distinct-values probe has run */
    int64_t dict_values; /* present values put into the chunk's dictionary */
    struct sl_parquet_dict dict;

    /* the open page */
    struct sl_buf page_values; /* PLAIN values (no dictionary) */
    uint32_t *indices;         /* dictionary indices of the open page */
    size_t indices_len, indices_cap;
    uint8_t *valid; /* a byte per row of the open page (optional columns) */
    size_t rows, valid_cap;
    size_t bool_bits;
    bool page_is_dictionary;

    /* the chunk */
    struct sl_buf chunk; /* page headers and compressed pages, after the dictionary page */
    int64_t chunk_values;
    int64_t chunk_uncompressed; /* headers + uncompressed bodies of the data pages */
    bool used_plain, used_dictionary;
    struct column_stats stats;
};

struct sl_parquet_writer {
    struct sl_parquet_writer_options options;
    struct sl_write_stream *out;
    uint32_t ncolumns;
    struct column_writer *columns;
    struct sl_parquet_compressor compressor;
    struct sl_buf scratch;    /* page body being assembled */
    struct sl_buf compressed; /* compressed page body */
    struct sl_buf header;     /* encoded page header */

    int64_t row_group_rows;
    struct sl_parquet_row_group *row_groups;
    uint32_t n_row_groups, row_groups_cap;
    struct sl_arena meta_arena; /* strings and arrays of the footer */
    struct sl_parquet_key_value *kvs;
    uint32_t n_kvs, kvs_cap;
    uint64_t total_rows;
    bool failed; /* a write failed: the file is unusable */
    bool closed; /* the footer was written */
};

/* ---------------------------------------------------------------- types */

static int physical_of(const struct sl_parquet_column_spec *spec, int32_t *physical, size_t *width)
{
    *width = 0;
    switch (spec->type) {
    case SL_PARQUET_COL_BOOLEAN:
        *physical = SL_PARQUET_TYPE_BOOLEAN;
        return SL_OK;
    case SL_PARQUET_COL_INT32:
    case SL_PARQUET_COL_DATE:
        *physical = SL_PARQUET_TYPE_INT32;
        *width = 4;
        return SL_OK;
    case SL_PARQUET_COL_INT64:
    case SL_PARQUET_COL_TIME_MICROS:
    case SL_PARQUET_COL_TIMESTAMP_MICROS:
        *physical = SL_PARQUET_TYPE_INT64;
        *width = 8;
        return SL_OK;
    case SL_PARQUET_COL_FLOAT:
        *physical = SL_PARQUET_TYPE_FLOAT;
        *width = 4;
        return SL_OK;
    case SL_PARQUET_COL_DOUBLE:
        *physical = SL_PARQUET_TYPE_DOUBLE;
        *width = 8;
        return SL_OK;
    case SL_PARQUET_COL_STRING:
    case SL_PARQUET_COL_JSON:
    case SL_PARQUET_COL_BYTES:
        *physical = SL_PARQUET_TYPE_BYTE_ARRAY;
        return SL_OK;
    case SL_PARQUET_COL_DECIMAL:
        if (spec->precision < 1 || spec->precision > 38 || spec->scale < 0 ||
            spec->scale > spec->precision)
            return SL_EINVAL;
        *physical = SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY;
        *width = (size_t)sl_parquet_decimal_bytes(spec->precision);
        return SL_OK;
    }
    return SL_EINVAL;
}

/* ---------------------------------------------------------------- statistics */

/* Signed comparison of big-endian two's complement numbers of equal width. */
static int compare_decimal(const uint8_t *a, const uint8_t *b, size_t width)
{
    bool a_neg = (a[0] & 0x80) != 0, b_neg = (b[0] & 0x80) != 0;
    if (a_neg != b_neg)
        return a_neg ? -1 : 1;
    return memcmp(a, b, width);
}

static int compare_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen > 0 && blen > 0 && a[0] != b[0]) /* most comparisons end at the first byte */
        return a[0] < b[0] ? -1 : 1;
    int c = memcmp(a, b, SL_MIN(alen, blen));
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/*
 * Sort keys for the statistics loops: an unsigned number that orders like the value as far
 * as its first 8 bytes go, so most comparisons are one integer compare. Equal keys say
 * nothing and fall back to the full comparison.
 *   bytes_key:   the first 8 bytes, big-endian, zero-padded (shorter strings sort first
 *                among equal prefixes, which the full compare settles)
 *   decimal_key: the same with the sign bit flipped, so unsigned order is the signed order
 *                of the big-endian two's complement values (all of one width); exact for
 *                widths up to 8
 */
static inline uint64_t load_be64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

static inline uint64_t load_be32(const uint8_t *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | (uint64_t)p[3];
}

static inline uint64_t bytes_key(const uint8_t *p, size_t len)
{
    if (len >= 8)
        return load_be64(p);
    if (len >= 4) /* two overlapping loads; shared bytes land on the same bits */
        return load_be32(p) << 32 | load_be32(p + len - 4) << (8 * (8 - len));
    if (len == 0)
        return 0;
    return (uint64_t)p[0] << 56 | (uint64_t)p[len >> 1] << (56 - 8 * (len >> 1)) |
           (uint64_t)p[len - 1] << (56 - 8 * (len - 1));
}

static inline uint64_t decimal_key(const uint8_t *p, size_t width)
{
    return bytes_key(p, width) ^ (UINT64_C(1) << 63);
}

/* <0, 0, >0 as value a sorts before, with, after b in the column's order. */
static int compare_value(const struct column_writer *c, const uint8_t *a, size_t alen,
                         const uint8_t *b, size_t blen)
{
    switch (c->physical) {
    case SL_PARQUET_TYPE_BOOLEAN:
        return (int)a[0] - (int)b[0];
    case SL_PARQUET_TYPE_INT32: {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x < y ? -1 : x > y;
    }
    case SL_PARQUET_TYPE_INT64: {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x < y ? -1 : x > y;
    }
    case SL_PARQUET_TYPE_FLOAT: {
        float x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x < y ? -1 : x > y;
    }
    case SL_PARQUET_TYPE_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x < y ? -1 : x > y;
    }
    case SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY:
        return compare_decimal(a, b, c->width);
    default:
        return compare_bytes(a, alen, b, blen);
    }
}

static int set_stat(struct sl_buf *slot, const uint8_t *value, size_t len)
{
    sl_buf_reset(slot);
    return sl_buf_append(slot, value, len);
}

/* Folds one present value into the chunk statistics. */
static int stats_add(struct column_writer *c, const uint8_t *value, size_t len)
{
    struct column_stats *s = &c->stats;
    int rc = SL_OK;

    if (s->minmax_disabled)
        return SL_OK;
    if (c->physical == SL_PARQUET_TYPE_FLOAT) {
        float f;
        memcpy(&f, value, 4);
        if (isnan(f))
            return SL_OK; /* NaN has no place in the order: left out, as Arrow does */
    } else if (c->physical == SL_PARQUET_TYPE_DOUBLE) {
        double d;
        memcpy(&d, value, 8);
        if (isnan(d))
            return SL_OK;
    } else if (c->physical == SL_PARQUET_TYPE_BYTE_ARRAY && len > STATS_MAX_VALUE_BYTES) {
        s->minmax_disabled = true;
        s->has_minmax = false;
        return SL_OK;
    }
    if (!s->has_minmax) {
        rc = set_stat(&s->min, value, len);
        if (rc == SL_OK)
            rc = set_stat(&s->max, value, len);
        s->has_minmax = rc == SL_OK;
        return rc;
    }
    if (compare_value(c, value, len, (const uint8_t *)s->min.data, s->min.len) < 0)
        rc = set_stat(&s->min, value, len);
    else if (compare_value(c, value, len, (const uint8_t *)s->max.data, s->max.len) > 0)
        rc = set_stat(&s->max, value, len);
    return rc;
}

/* Min and max of the present fixed-width numbers of a slice, by type T (NaN skipped). */
#define SLICE_MINMAX(T, values, valid, n, lo, hi, found)                                          \
    do {                                                                                           \
        for (size_t r_ = 0; r_ < (n); r_++) {                                                      \
            if ((valid) != NULL && (valid)[r_] == 0)                                               \
                continue;                                                                          \
            T x_ = (values)[r_];                                                                   \
            if (x_ != x_)                                                                          \
                continue; /* NaN */                                                                \
            if (!(found)) {                                                                        \
                (lo) = (hi) = x_;                                                                  \
                (found) = true;                                                                    \
            } else if (x_ < (lo)) {                                                                \
                (lo) = x_;                                                                         \
            } else if (x_ > (hi)) {                                                                \
                (hi) = x_;                                                                         \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/*
 * Folds rows [first, first + n) into the chunk statistics: the slice's own
 * min and max are found in a loop typed for the column, then compared with
 * the chunk's once.
 */
static int stats_add_rows(struct column_writer *c, const struct sl_parquet_column_values *v,
                          size_t first, size_t n)
{
    const uint8_t *valid = v->valid ? v->valid + first : NULL;
    bool found = false;
    int rc = SL_OK;

    if (valid != NULL)
        c->stats.null_count += (int64_t)(n - sl_parquet_count_valid(valid, n));
    switch (c->physical) {
    case SL_PARQUET_TYPE_INT32: {
        int32_t lo = 0, hi = 0;
        SLICE_MINMAX(int32_t, v->u.i32 + first, valid, n, lo, hi, found);
        if (found && (rc = stats_add(c, (const uint8_t *)&lo, 4)) == SL_OK)
            rc = stats_add(c, (const uint8_t *)&hi, 4);
        return rc;
    }
    case SL_PARQUET_TYPE_INT64: {
        int64_t lo = 0, hi = 0;
        SLICE_MINMAX(int64_t, v->u.i64 + first, valid, n, lo, hi, found);
        if (found && (rc = stats_add(c, (const uint8_t *)&lo, 8)) == SL_OK)
            rc = stats_add(c, (const uint8_t *)&hi, 8);
        return rc;
    }
    case SL_PARQUET_TYPE_FLOAT: {
        float lo = 0, hi = 0;
        SLICE_MINMAX(float, v->u.f32 + first, valid, n, lo, hi, found);
        if (found && (rc = stats_add(c, (const uint8_t *)&lo, 4)) == SL_OK)
            rc = stats_add(c, (const uint8_t *)&hi, 4);
        return rc;
    }
    case SL_PARQUET_TYPE_DOUBLE: {
        double lo = 0, hi = 0;
        SLICE_MINMAX(double, v->u.f64 + first, valid, n, lo, hi, found);
        if (found && (rc = stats_add(c, (const uint8_t *)&lo, 8)) == SL_OK)
            rc = stats_add(c, (const uint8_t *)&hi, 8);
        return rc;
    }
    case SL_PARQUET_TYPE_BOOLEAN: {
        uint8_t lo = 0, hi = 0;
        for (size_t r = 0; r < n; r++) {
            if (valid != NULL && valid[r] == 0)
                continue;
            uint8_t x = v->u.booleans[first + r] != 0;
            if (!found) {
                lo = hi = x;
                found = true;
            } else {
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
        }
        if (found && (rc = stats_add(c, &lo, 1)) == SL_OK)
            rc = stats_add(c, &hi, 1);
        return rc;
    }
    default:
        break;
    }
    /* byte arrays and decimals: remember where the slice's extremes are */
    const uint8_t *lo = NULL, *hi = NULL;
    size_t lo_len = 0, hi_len = 0;
    uint64_t lo_key = 0, hi_key = 0;
    if (c->stats.minmax_disabled)
        return SL_OK;
    if (c->physical == SL_PARQUET_TYPE_BYTE_ARRAY) {
        const uint32_t *offsets = v->u.bytes.offsets + first;
        for (size_t r = 0; r < n; r++) {
            if (valid != NULL && valid[r] == 0)
                continue;
            const uint8_t *x = v->u.bytes.data + offsets[r];
            size_t len = offsets[r + 1] - offsets[r];
            uint64_t key = bytes_key(x, len);
            if (len > STATS_MAX_VALUE_BYTES) {
                c->stats.minmax_disabled = true;
                c->stats.has_minmax = false;
                return SL_OK;
            }
            /* keys decide unless they tie; only ties compare the bytes */
            if (lo == NULL) {
                lo = hi = x;
                lo_len = hi_len = len;
                lo_key = hi_key = key;
            } else if (key < lo_key ||
                       (key == lo_key && compare_bytes(x, len, lo, lo_len) < 0)) {
                lo = x;
                lo_len = len;
                lo_key = key;
            } else if (key > hi_key ||
                       (key == hi_key && compare_bytes(x, len, hi, hi_len) > 0)) {
                hi = x;
                hi_len = len;
                hi_key = key;
            }
        }
    } else {
        const size_t width = c->width;
        for (size_t r = 0; r < n; r++) {
            if (valid != NULL && valid[r] == 0)
                continue;
            const uint8_t *x = v->u.fixed + (first + r) * width;
            uint64_t key = decimal_key(x, width);
            if (lo == NULL) {
                lo = hi = x;
                lo_key = hi_key = key;
            } else if (key < lo_key ||
                       (width > 8 && key == lo_key && compare_decimal(x, lo, width) < 0)) {
                lo = x;
                lo_key = key;
            } else if (key > hi_key ||
                       (width > 8 && key == hi_key && compare_decimal(x, hi, width) > 0)) {
                hi = x;
                hi_key = key;
            }
        }
        lo_len = hi_len = width;
    }
    if (lo != NULL && (rc = stats_add(c, lo, lo_len)) == SL_OK)
        rc = stats_add(c, hi, hi_len);
    return rc;
}

/* Float zeros: the spec asks for -0.0 as min and +0.0 as max when either is zero. */
static void stats_fix_zero(struct column_writer *c)
{
    struct column_stats *s = &c->stats;
    if (!s->has_minmax)
        return;
    if (c->physical == SL_PARQUET_TYPE_DOUBLE) {
        double d;
        memcpy(&d, s->min.data, 8);
        if (d == 0.0) {
            d = -0.0;
            memcpy(s->min.data, &d, 8);
        }
        memcpy(&d, s->max.data, 8);
        if (d == 0.0) {
            d = 0.0;
            memcpy(s->max.data, &d, 8);
        }
    } else if (c->physical == SL_PARQUET_TYPE_FLOAT) {
        float f;
        memcpy(&f, s->min.data, 4);
        if (f == 0.0f) {
            f = -0.0f;
            memcpy(s->min.data, &f, 4);
        }
        memcpy(&f, s->max.data, 4);
        if (f == 0.0f) {
            f = 0.0f;
            memcpy(s->max.data, &f, 4);
        }
    }
}

/* ---------------------------------------------------------------- pages */

/* Compresses scratch into a page of `type` and appends header + body to `dest`. */
static int emit_page(struct sl_parquet_writer *w, struct sl_parquet_page_header *header,
                     struct sl_buf *dest, int64_t *uncompressed_total, struct sl_error *err)
{
    int rc;

    if (w->scratch.len > INT32_MAX)
        return sl_error_set(err, SL_ELIMIT, "a Parquet page exceeds 2 GiB");
    sl_buf_reset(&w->compressed);
    rc = sl_parquet_compress(&w->compressor, (int)w->options.codec, w->options.compression_level,
                             w->scratch.data, w->scratch.len, &w->compressed, err);
    if (rc != SL_OK)
        return rc;
    if (w->compressed.len > INT32_MAX)
        return sl_error_set(err, SL_ELIMIT, "a compressed Parquet page exceeds 2 GiB");
    header->uncompressed_page_size = (int32_t)w->scratch.len;
    header->compressed_page_size = (int32_t)w->compressed.len;
    sl_buf_reset(&w->header);
    rc = sl_parquet_page_header_encode(header, &w->header, err);
    if (rc == SL_OK)
        rc = sl_buf_append(dest, w->header.data, w->header.len);
    if (rc == SL_OK)
        rc = sl_buf_append(dest, w->compressed.data, w->compressed.len);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "cannot buffer a Parquet page (column chunk too large)");
    *uncompressed_total += (int64_t)(w->header.len + w->scratch.len);
    return SL_OK;
}

/* Closes the open page of a column into its chunk buffer. */
static int flush_page(struct sl_parquet_writer *w, struct column_writer *c, struct sl_error *err)
{
    struct sl_parquet_page_header header;
    int rc = SL_OK;

    if (c->rows == 0)
        return SL_OK;
    if (c->page_is_dictionary && c->indices_len == 0)
        c->page_is_dictionary = false; /* all NULL: an empty PLAIN page needs no dictionary */
    sl_buf_reset(&w->scratch);
    if (c->spec.optional)
        rc = sl_parquet_levels_encode_valid(c->valid, c->rows, true, &w->scratch, err);
    if (rc == SL_OK && c->page_is_dictionary)
        rc = sl_parquet_rle_encode_indices(c->indices, c->indices_len,
                                           sl_parquet_dict_index_bit_width(&c->dict), &w->scratch,
                                           err);
    else if (rc == SL_OK)
        rc = sl_buf_append(&w->scratch, c->page_values.data, c->page_values.len);
    if (rc != SL_OK)
        return rc;
    memset(&header, 0, sizeof(header));
    header.type = SL_PARQUET_PAGE_DATA;
    header.has_data_page_header = true;
    header.data_page_header.num_values = (int32_t)c->rows;
    header.data_page_header.encoding =
        c->page_is_dictionary ? SL_PARQUET_ENC_RLE_DICTIONARY : SL_PARQUET_ENC_PLAIN;
    header.data_page_header.definition_level_encoding = SL_PARQUET_ENC_RLE;
    header.data_page_header.repetition_level_encoding = SL_PARQUET_ENC_RLE;
    rc = emit_page(w, &header, &c->chunk, &c->chunk_uncompressed, err);
    if (rc != SL_OK)
        return rc;
    if (c->page_is_dictionary)
        c->used_dictionary = true;
    else
        c->used_plain = true;
    c->chunk_values += (int64_t)c->rows;
    c->rows = 0;
    c->indices_len = 0;
    c->bool_bits = 0;
    sl_buf_reset(&c->page_values);
    c->page_is_dictionary = c->use_dictionary;
    return SL_OK;
}

static size_t open_page_bytes(const struct column_writer *c)
{
    return c->page_values.len + c->indices_len * 4 + (c->spec.optional ? c->rows / 8 : 0);
}

/*
 * The chunk's first DICT_PROBE_VALUES values were all distinct: a dictionary would hold
 * every value and add the indices on top (parquet-mr falls back on the same evidence after
 * a page), so the rest of the chunk is PLAIN. When no page was closed yet, the open page's
 * indices are 0, 1, 2... and the dictionary page body is exactly the PLAIN encoding of its
 * values, so the page becomes PLAIN and the chunk has no dictionary at all. Otherwise the
 * open page closes as a dictionary page, as when the dictionary fills up.
 */
static int give_up_dictionary(struct sl_parquet_writer *w, struct column_writer *c,
                              struct sl_error *err)
{
    c->use_dictionary = false;
    if (c->chunk_values == 0 && c->page_is_dictionary &&
        c->indices_len == (size_t)c->dict_values) {
        size_t len = 0;
        const uint8_t *body = sl_parquet_dict_page(&c->dict, &len);
        sl_buf_reset(&c->page_values);
        if (sl_buf_append(&c->page_values, body, len) != SL_OK)
            return sl_error_set(err, SL_ENOMEM, "out of memory buffering column %s", c->name);
        c->indices_len = 0;
        c->page_is_dictionary = false;
        sl_parquet_dict_reset(&c->dict);
        return SL_OK;
    }
    return flush_page(w, c, err);
}

/* Encodes rows [first, first + n) of one column into its open page. */
static int append_rows(struct sl_parquet_writer *w, struct column_writer *c,
                       const struct sl_parquet_column_values *v, size_t first, size_t n,
                       struct sl_error *err)
{
    const uint8_t *valid = v->valid ? v->valid + first : NULL;
    int rc;

    if (!c->spec.optional && valid != NULL)
        for (size_t r = 0; r < n; r++)
            if (valid[r] == 0)
                return sl_error_set(err, SL_EINVAL,
                                    "column %s is required but row %zu of the batch is NULL",
                                    c->name, first + r);
    rc = stats_add_rows(c, v, first, n);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "out of memory for statistics of column %s", c->name);

    while (n > 0) {
        size_t done = n;
        if (c->spec.optional) {
            rc = sl_array_grow((void **)&c->valid, &c->valid_cap, c->rows + n, 1);
            if (rc != SL_OK)
                return sl_error_set(err, rc, "out of memory buffering column %s", c->name);
            if (valid != NULL)
                memcpy(c->valid + c->rows, valid, n);
            else
                memset(c->valid + c->rows, 1, n);
        }
        if (c->page_is_dictionary) {
            size_t nindices = 0;
            rc = sl_array_grow((void **)&c->indices, &c->indices_cap, c->indices_len + n, 4);
            if (rc != SL_OK)
                return sl_error_set(err, rc, "out of memory buffering column %s", c->name);
            if (c->physical == SL_PARQUET_TYPE_BYTE_ARRAY)
                rc = sl_parquet_dict_put_bytes(&c->dict, v->u.bytes.offsets + first,
                                               v->u.bytes.data, valid, n,
                                               c->indices + c->indices_len, &nindices, &done, err);
            else
                rc = sl_parquet_dict_put_fixed(&c->dict,
                                               (const uint8_t *)v->u.fixed + first * c->width,
                                               valid, n, c->indices + c->indices_len, &nindices,
                                               &done, err);
            c->indices_len += nindices;
            c->dict_values += (int64_t)nindices;
            if (rc == SL_ELIMIT) {
                /* dictionary full: close this page and write the rest of the chunk PLAIN */
                c->rows += done;
                c->use_dictionary = false;
                rc = flush_page(w, c, err);
                if (rc != SL_OK)
                    return rc;
                c->page_is_dictionary = false;
                first += done;
                n -= done;
                valid = v->valid ? v->valid + first : NULL;
                continue;
            }
            if (rc != SL_OK)
                return rc;
        } else {
            switch (c->physical) {
            case SL_PARQUET_TYPE_BOOLEAN:
                rc = sl_parquet_plain_encode_bool(v->u.booleans + first, valid, n, &c->bool_bits,
                                                  &c->page_values, err);
                break;
            case SL_PARQUET_TYPE_BYTE_ARRAY:
                rc = sl_parquet_plain_encode_bytes(v->u.bytes.offsets + first, v->u.bytes.data,
                                                   valid, n, &c->page_values, err);
                break;
            default:
                rc = sl_parquet_plain_encode_fixed((const uint8_t *)v->u.fixed + first * c->width,
                                                   c->width, valid, n, &c->page_values, err);
            }
            if (rc != SL_OK)
                return rc;
        }
        c->rows += done;
        first += done;
        n -= done;
        valid = v->valid ? v->valid + first : NULL;
    }
    if (c->use_dictionary && !c->dict_probed && c->dict_values >= DICT_PROBE_VALUES) {
        c->dict_probed = true;
        if (c->dict.count == (uint64_t)c->dict_values) {
            rc = give_up_dictionary(w, c, err);
            if (rc != SL_OK)
                return rc;
        }
    }
    if (open_page_bytes(c) >= w->options.page_bytes)
        return flush_page(w, c, err);
    return SL_OK;
}

/* ---------------------------------------------------------------- row groups */

static struct sl_parquet_bytes arena_bytes(struct sl_arena *arena, const void *data, size_t len)
{
    struct sl_parquet_bytes b = {NULL, 0};
    char *copy = sl_arena_strndup(arena, data, len);
    if (copy != NULL) {
        b.data = copy;
        b.len = len;
    }
    return b;
}

static void reset_chunk(struct sl_parquet_writer *w, struct column_writer *c)
{
    sl_buf_reset(&c->chunk);
    c->chunk_values = 0;
    c->chunk_uncompressed = 0;
    c->used_plain = c->used_dictionary = false;
    c->use_dictionary = w->options.dictionary && c->physical != SL_PARQUET_TYPE_BOOLEAN;
    c->page_is_dictionary = c->use_dictionary;
    c->dict_probed = false;
    c->dict_values = 0;
    sl_parquet_dict_reset(&c->dict);
    c->stats.has_minmax = false;
    c->stats.minmax_disabled = false;
    c->stats.null_count = 0;
}

/* Writes one column chunk to the stream and describes it in *chunk (strings in the arena). */
static int write_chunk(struct sl_parquet_writer *w, struct column_writer *c,
                       struct sl_parquet_column_chunk *chunk, int64_t *uncompressed,
                       struct sl_error *err)
{
    struct sl_parquet_column_meta_data *md = &chunk->meta_data;
    int64_t dict_uncompressed = 0;
    int64_t start = (int64_t)w->out->written;
    int rc = flush_page(w, c, err);

    if (rc != SL_OK)
        return rc;
    memset(chunk, 0, sizeof(*chunk));
    chunk->has_meta_data = true;
    md->type = c->physical;
    md->codec = (int32_t)w->options.codec;
    md->num_values = c->chunk_values;
    if (c->used_dictionary) {
        struct sl_parquet_page_header header;
        size_t len = 0;
        const uint8_t *body = sl_parquet_dict_page(&c->dict, &len);
        sl_buf_reset(&w->scratch);
        rc = sl_buf_append(&w->scratch, body, len);
        if (rc != SL_OK)
            return sl_error_set(err, rc, "cannot buffer the dictionary of column %s", c->name);
        memset(&header, 0, sizeof(header));
        header.type = SL_PARQUET_PAGE_DICTIONARY;
        header.has_dictionary_page_header = true;
        header.dictionary_page_header.num_values = (int32_t)c->dict.count;
        header.dictionary_page_header.encoding = SL_PARQUET_ENC_PLAIN;
        struct sl_buf page;
        sl_buf_init(&page, BUFFER_MAX);
        rc = emit_page(w, &header, &page, &dict_uncompressed, err);
        if (rc == SL_OK)
            rc = sl_write_stream_write(w->out, page.data, page.len, err);
        sl_buf_free(&page);
        if (rc != SL_OK)
            return rc;
        md->has_dictionary_page_offset = true;
        md->dictionary_page_offset = start;
    }
    md->data_page_offset = (int64_t)w->out->written;
    rc = sl_write_stream_write(w->out, c->chunk.data, c->chunk.len, err);
    if (rc != SL_OK)
        return rc;
    md->total_compressed_size = (int64_t)w->out->written - start;
    md->total_uncompressed_size = c->chunk_uncompressed + dict_uncompressed;
    *uncompressed += md->total_uncompressed_size;

    int32_t encodings[3];
    uint32_t n_encodings = 0;
    encodings[n_encodings++] = SL_PARQUET_ENC_RLE; /* definition levels */
    if (c->used_plain || c->used_dictionary)
        encodings[n_encodings++] = SL_PARQUET_ENC_PLAIN; /* values, or the dictionary page */
    if (c->used_dictionary)
        encodings[n_encodings++] = SL_PARQUET_ENC_RLE_DICTIONARY;
    md->encodings = sl_arena_alloc(&w->meta_arena, sizeof(int32_t) * n_encodings);
    md->path_in_schema = sl_arena_alloc(&w->meta_arena, sizeof(struct sl_parquet_bytes));
    if (md->encodings == NULL || md->path_in_schema == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory describing column %s", c->name);
    memcpy(md->encodings, encodings, sizeof(int32_t) * n_encodings);
    md->n_encodings = n_encodings;
    md->path_in_schema[0] = arena_bytes(&w->meta_arena, c->name, strlen(c->name));
    md->n_path_in_schema = 1;

    md->has_statistics = true;
    md->statistics.has_null_count = true;
    md->statistics.null_count = c->stats.null_count;
    if (c->stats.has_minmax) {
        stats_fix_zero(c);
        md->statistics.min_value = arena_bytes(&w->meta_arena, c->stats.min.data, c->stats.min.len);
        md->statistics.max_value = arena_bytes(&w->meta_arena, c->stats.max.data, c->stats.max.len);
        if (md->statistics.min_value.data == NULL || md->statistics.max_value.data == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory describing column %s", c->name);
        /* the deprecated fields carry the same values where the old signed order agrees */
        if (c->physical != SL_PARQUET_TYPE_BYTE_ARRAY &&
            c->physical != SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY) {
            md->statistics.min = md->statistics.min_value;
            md->statistics.max = md->statistics.max_value;
        }
    }
    return SL_OK;
}

static int flush_row_group(struct sl_parquet_writer *w, struct sl_error *err)
{
    struct sl_parquet_row_group *rg;
    int64_t uncompressed = 0;
    int64_t start = (int64_t)w->out->written;
    int rc;

    if (w->row_group_rows == 0)
        return SL_OK;
    if (w->n_row_groups == w->row_groups_cap) {
        uint32_t cap = w->row_groups_cap ? w->row_groups_cap * 2 : 8;
        struct sl_parquet_row_group *grown = sl_realloc(w->row_groups, cap * sizeof(*grown));
        if (grown == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        w->row_groups = grown;
        w->row_groups_cap = cap;
    }
    rg = &w->row_groups[w->n_row_groups];
    memset(rg, 0, sizeof(*rg));
    rg->columns = sl_arena_alloc(&w->meta_arena, sizeof(*rg->columns) * w->ncolumns);
    if (rg->columns == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    rg->n_columns = w->ncolumns;
    for (uint32_t i = 0; i < w->ncolumns; i++) {
        rc = write_chunk(w, &w->columns[i], &rg->columns[i], &uncompressed, err);
        if (rc != SL_OK)
            return rc;
        reset_chunk(w, &w->columns[i]);
    }
    rg->num_rows = w->row_group_rows;
    rg->total_byte_size = uncompressed;
    rg->has_file_offset = true;
    rg->file_offset = start;
    rg->has_total_compressed_size = true;
    rg->total_compressed_size = (int64_t)w->out->written - start;
    rg->has_ordinal = w->n_row_groups <= INT16_MAX;
    rg->ordinal = (int16_t)w->n_row_groups;
    w->n_row_groups++;
    w->row_group_rows = 0;
    return SL_OK;
}

static size_t row_group_bytes(const struct sl_parquet_writer *w)
{
    size_t total = 0;
    for (uint32_t i = 0; i < w->ncolumns; i++) {
        const struct column_writer *c = &w->columns[i];
        total += (size_t)c->chunk_uncompressed + open_page_bytes(c) + c->dict.page.len;
    }
    return total;
}

/* ---------------------------------------------------------------- API */

void sl_parquet_writer_options_default(struct sl_parquet_writer_options *options)
{
    memset(options, 0, sizeof(*options));
    options->codec = SL_PARQUET_COMPRESSION_SNAPPY;
    options->dictionary = true;
    options->dictionary_page_limit = DEFAULT_DICTIONARY_LIMIT;
    options->row_group_bytes = DEFAULT_ROW_GROUP_BYTES;
    options->page_bytes = DEFAULT_PAGE_BYTES;
    options->created_by = "sluice version 0.1.0";
}

void sl_parquet_writer_free(struct sl_parquet_writer *w)
{
    if (w == NULL)
        return;
    for (uint32_t i = 0; w->columns != NULL && i < w->ncolumns; i++) {
        struct column_writer *c = &w->columns[i];
        sl_free(c->name);
        sl_parquet_dict_free(&c->dict);
        sl_buf_free(&c->page_values);
        sl_free(c->indices);
        sl_free(c->valid);
        sl_buf_free(&c->chunk);
        sl_buf_free(&c->stats.min);
        sl_buf_free(&c->stats.max);
    }
    sl_free(w->columns);
    sl_parquet_compressor_free(&w->compressor);
    sl_buf_free(&w->scratch);
    sl_buf_free(&w->compressed);
    sl_buf_free(&w->header);
    sl_free(w->row_groups);
    sl_free(w->kvs);
    sl_arena_free(&w->meta_arena);
    sl_free(w);
}

int sl_parquet_writer_open(const struct sl_parquet_column_spec *columns, uint32_t ncolumns,
                           const struct sl_parquet_writer_options *options,
                           struct sl_write_stream *out, struct sl_parquet_writer **writer,
                           struct sl_error *err)
{
    struct sl_parquet_writer *w = sl_calloc(1, sizeof(*w));
    int rc;

    if (w == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (options != NULL)
        w->options = *options;
    else
        sl_parquet_writer_options_default(&w->options);
    if (w->options.page_bytes == 0)
        w->options.page_bytes = DEFAULT_PAGE_BYTES;
    if (w->options.row_group_bytes == 0)
        w->options.row_group_bytes = DEFAULT_ROW_GROUP_BYTES;
    if (w->options.dictionary_page_limit == 0)
        w->options.dictionary_page_limit = DEFAULT_DICTIONARY_LIMIT;
    if (w->options.created_by == NULL)
        w->options.created_by = "sluice";
    w->out = out;
    sl_parquet_compressor_init(&w->compressor);
    sl_buf_init(&w->scratch, BUFFER_MAX);
    sl_buf_init(&w->compressed, BUFFER_MAX);
    sl_buf_init(&w->header, 1 << 20);
    sl_arena_init(&w->meta_arena, 64 * 1024);
    if (!sl_parquet_compress_supported((int)w->options.codec)) {
        rc = sl_error_set(err, SL_EINVAL, "Parquet compression codec %d is not supported",
                          (int)w->options.codec);
        goto fail;
    }
    if (ncolumns == 0) {
        rc = sl_error_set(err, SL_EINVAL, "a Parquet file needs at least one column");
        goto fail;
    }
    w->columns = sl_calloc(ncolumns, sizeof(*w->columns));
    if (w->columns == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    w->ncolumns = ncolumns;
    for (uint32_t i = 0; i < ncolumns; i++) {
        struct column_writer *c = &w->columns[i];
        c->spec = columns[i];
        if (columns[i].name == NULL || columns[i].name[0] == '\0') {
            rc = sl_error_set(err, SL_EINVAL, "column %u has no name", i);
            goto fail;
        }
        c->name = sl_strdup(columns[i].name);
        if (c->name == NULL) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        c->spec.name = c->name;
        if (physical_of(&columns[i], &c->physical, &c->width) != SL_OK) {
            rc = sl_error_set(err, SL_EINVAL,
                              "column %s: type %d (precision %d, scale %d) cannot be written",
                              c->name, (int)columns[i].type, columns[i].precision,
                              columns[i].scale);
            goto fail;
        }
        sl_parquet_dict_init(&c->dict,
                             c->physical == SL_PARQUET_TYPE_BYTE_ARRAY ? 0 : c->width,
                             w->options.dictionary_page_limit);
        sl_buf_init(&c->page_values, BUFFER_MAX);
        sl_buf_init(&c->chunk, BUFFER_MAX);
        sl_buf_init(&c->stats.min, BUFFER_MAX);
        sl_buf_init(&c->stats.max, BUFFER_MAX);
        reset_chunk(w, c);
    }
    rc = sl_write_stream_write(out, SL_PARQUET_MAGIC, SL_PARQUET_MAGIC_LEN, err);
    if (rc != SL_OK)
        goto fail;
    *writer = w;
    return SL_OK;
fail:
    sl_parquet_writer_free(w);
    return rc;
}

int sl_parquet_writer_write(struct sl_parquet_writer *w,
                            const struct sl_parquet_column_values *columns, uint32_t nrows,
                            struct sl_error *err)
{
    int rc = SL_OK;

    if (w->failed || w->closed)
        return sl_error_set(err, SL_EINVAL, "the Parquet writer %s; start a new file",
                            w->closed ? "is closed" : "failed earlier");
    for (size_t first = 0; first < nrows && rc == SL_OK; first += SLICE_ROWS) {
        size_t n = SL_MIN((size_t)SLICE_ROWS, nrows - first);
        for (uint32_t i = 0; i < w->ncolumns && rc == SL_OK; i++)
            rc = append_rows(w, &w->columns[i], &columns[i], first, n, err);
        if (rc == SL_OK) {
            w->row_group_rows += (int64_t)n;
            w->total_rows += n;
            if (row_group_bytes(w) >= w->options.row_group_bytes)
                rc = flush_row_group(w, err);
        }
    }
    if (rc != SL_OK)
        w->failed = true;
    return rc;
}

int sl_parquet_writer_set_kv(struct sl_parquet_writer *w, const char *key, const char *value,
                             struct sl_error *err)
{
    struct sl_parquet_key_value kv;
    kv.key = arena_bytes(&w->meta_arena, key, strlen(key));
    kv.value = value ? arena_bytes(&w->meta_arena, value, strlen(value))
                     : (struct sl_parquet_bytes){NULL, 0};
    if (kv.key.data == NULL || (value != NULL && kv.value.data == NULL))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < w->n_kvs; i++) {
        if (w->kvs[i].key.len == kv.key.len && memcmp(w->kvs[i].key.data, key, kv.key.len) == 0) {
            w->kvs[i] = kv;
            return SL_OK;
        }
    }
    if (w->n_kvs == w->kvs_cap) {
        uint32_t cap = w->kvs_cap ? w->kvs_cap * 2 : 8;
        struct sl_parquet_key_value *grown = sl_realloc(w->kvs, cap * sizeof(*grown));
        if (grown == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        w->kvs = grown;
        w->kvs_cap = cap;
    }
    w->kvs[w->n_kvs++] = kv;
    return SL_OK;
}

/* The schema element of a leaf column. */
static void leaf_element(const struct column_writer *c, struct sl_arena *arena,
                         struct sl_parquet_schema_element *e)
{
    memset(e, 0, sizeof(*e));
    e->has_type = true;
    e->type = c->physical;
    e->has_repetition_type = true;
    e->repetition_type = c->spec.optional ? SL_PARQUET_REP_OPTIONAL : SL_PARQUET_REP_REQUIRED;
    e->name = arena_bytes(arena, c->name, strlen(c->name));
    switch (c->spec.type) {
    case SL_PARQUET_COL_STRING:
    case SL_PARQUET_COL_JSON:
        e->has_converted_type = true;
        e->converted_type = SL_PARQUET_CT_UTF8;
        e->logical_type.kind = SL_PARQUET_LOGICAL_STRING;
        break;
    case SL_PARQUET_COL_DECIMAL:
        e->has_type_length = true;
        e->type_length = (int32_t)c->width;
        e->has_converted_type = true;
        e->converted_type = SL_PARQUET_CT_DECIMAL;
        e->has_scale = e->has_precision = true;
        e->scale = c->spec.scale;
        e->precision = c->spec.precision;
        e->logical_type.kind = SL_PARQUET_LOGICAL_DECIMAL;
        e->logical_type.scale = c->spec.scale;
        e->logical_type.precision = c->spec.precision;
        break;
    case SL_PARQUET_COL_DATE:
        e->has_converted_type = true;
        e->converted_type = SL_PARQUET_CT_DATE;
        e->logical_type.kind = SL_PARQUET_LOGICAL_DATE;
        break;
    case SL_PARQUET_COL_TIME_MICROS:
        /* the legacy TIME_MICROS annotation implies UTC adjustment */
        e->has_converted_type = c->spec.adjusted_to_utc;
        e->converted_type = SL_PARQUET_CT_TIME_MICROS;
        e->logical_type.kind = SL_PARQUET_LOGICAL_TIME;
        e->logical_type.unit = SL_PARQUET_UNIT_MICROS;
        e->logical_type.is_adjusted_to_utc = c->spec.adjusted_to_utc;
        break;
    case SL_PARQUET_COL_TIMESTAMP_MICROS:
        e->has_converted_type = c->spec.adjusted_to_utc;
        e->converted_type = SL_PARQUET_CT_TIMESTAMP_MICROS;
        e->logical_type.kind = SL_PARQUET_LOGICAL_TIMESTAMP;
        e->logical_type.unit = SL_PARQUET_UNIT_MICROS;
        e->logical_type.is_adjusted_to_utc = c->spec.adjusted_to_utc;
        break;
    default:
        break;
    }
}

int sl_parquet_writer_close(struct sl_parquet_writer *w, uint64_t *rows_written,
                            struct sl_error *err)
{
    struct sl_parquet_file_metadata md;
    struct sl_buf footer;
    uint8_t trailer[SL_PARQUET_TRAILER_LEN];
    int rc;

    if (w->failed || w->closed)
        return sl_error_set(err, SL_EINVAL, "the Parquet writer %s; start a new file",
                            w->closed ? "is closed" : "failed earlier");
    rc = flush_row_group(w, err);
    if (rc != SL_OK) {
        w->failed = true;
        return rc;
    }
    memset(&md, 0, sizeof(md));
    md.version = 2;
    md.num_rows = (int64_t)w->total_rows;
    md.n_schema = w->ncolumns + 1;
    md.schema = sl_arena_alloc(&w->meta_arena, sizeof(*md.schema) * md.n_schema);
    md.column_orders = sl_arena_alloc(&w->meta_arena, sizeof(*md.column_orders) * w->ncolumns);
    md.row_groups = w->row_groups != NULL
                        ? w->row_groups
                        : sl_arena_alloc(&w->meta_arena, sizeof(*md.row_groups));
    if (md.schema == NULL || md.column_orders == NULL || md.row_groups == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    memset(&md.schema[0], 0, sizeof(md.schema[0]));
    md.schema[0].name = sl_parquet_bytes_str("schema");
    md.schema[0].has_num_children = true;
    md.schema[0].num_children = (int32_t)w->ncolumns;
    for (uint32_t i = 0; i < w->ncolumns; i++) {
        leaf_element(&w->columns[i], &w->meta_arena, &md.schema[i + 1]);
        if (md.schema[i + 1].name.data == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        md.column_orders[i].kind = SL_PARQUET_COLUMN_ORDER_TYPE_DEFINED;
        md.column_orders[i].unknown_member = (struct sl_parquet_bytes){NULL, 0};
    }
    md.n_column_orders = w->ncolumns;
    md.n_row_groups = w->n_row_groups;
    md.key_value_metadata = w->n_kvs ? w->kvs : NULL;
    md.n_key_value_metadata = w->n_kvs;
    md.created_by = sl_parquet_bytes_str(w->options.created_by);

    sl_buf_init(&footer, BUFFER_MAX);
    rc = sl_parquet_file_metadata_encode(&md, &footer, err);
    if (rc == SL_OK && footer.len > UINT32_MAX)
        rc = sl_error_set(err, SL_ELIMIT, "the Parquet footer exceeds 4 GiB");
    if (rc == SL_OK) {
        uint32_t len = (uint32_t)footer.len;
        trailer[0] = (uint8_t)len;
        trailer[1] = (uint8_t)(len >> 8);
        trailer[2] = (uint8_t)(len >> 16);
        trailer[3] = (uint8_t)(len >> 24);
        memcpy(trailer + 4, SL_PARQUET_MAGIC, SL_PARQUET_MAGIC_LEN);
        rc = sl_buf_append(&footer, trailer, sizeof(trailer));
    }
    if (rc == SL_OK)
        rc = sl_write_stream_write(w->out, footer.data, footer.len, err);
    sl_buf_free(&footer);
    if (rc != SL_OK) {
        w->failed = true;
        return rc;
    }
    if (rows_written != NULL)
        *rows_written = w->total_rows;
    w->closed = true;
    return SL_OK;
}

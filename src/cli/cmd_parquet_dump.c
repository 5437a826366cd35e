/*
 * `sluice parquet-dump FILE [--schema] [--columns a,b]`: a Parquet file's rows
 * as JSON lines (or its schema as one JSON object), for users inspecting base
 * files. Values follow `sluice tail`'s conventions. Rows are read a row group
 * at a time (every selected column, then the rows), so memory is bounded by
 * one row group.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sluice/change.h"
#include "sluice/parquet.h"

#define OUTPUT_FLUSH_BYTES (1u << 20)
#define OUTPUT_MAX ((size_t)1 << 32)

/* parquet.thrift physical type numbers (the public header gives them as int32_t) */
enum {
    PT_BOOLEAN = 0, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA
};

static const char *const physical_names[] = {"BOOLEAN", "INT32", "INT64", "INT96",
                                             "FLOAT", "DOUBLE", "BYTE_ARRAY",
                                             "FIXED_LEN_BYTE_ARRAY"};

static void dump_usage(FILE *out)
{
    fprintf(out, "usage: sluice parquet-dump FILE [--schema] [--columns a,b]\n"
                 "\n"
                 "Prints each row of a Parquet file as a JSON object line.\n"
                 "  --schema       print the schema and file metadata as one JSON object\n"
                 "  --columns a,b  print only these columns, in this order\n");
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "sluice parquet-dump: ");
    fprintf(stderr, fmt, value);
    fprintf(stderr, "\n(see sluice parquet-dump --help)\n");
    return SL_EXIT_USAGE;
}

static int flush_out(struct sl_buf *out, struct sl_error *err)
{
    if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len)
        return sl_error_set(err, SL_EIO, "cannot write to standard output");
    sl_buf_reset(out);
    return SL_OK;
}

/* ---------------------------------------------------------------- values */

static int put_date(struct sl_buf *out, int64_t days)
{
    struct sl_civil_date date;
    sl_civil_from_unix_days(days, &date);
    if (date.year < 0)
        return sl_buf_printf(out, "-%04lld-%02d-%02d", (long long)-date.year, date.month, date.day);
    return sl_buf_printf(out, "%04lld-%02d-%02d", (long long)date.year, date.month, date.day);
}

static int put_time_of_day(struct sl_buf *out, int64_t usecs)
{
    int64_t secs = sl_floor_div(usecs, 1000000);
    int64_t frac = usecs - secs * 1000000;
    return sl_buf_printf(out, "%02lld:%02lld:%02lld.%06lld", (long long)(secs / 3600),
                         (long long)(secs / 60 % 60), (long long)(secs % 60), (long long)frac);
}

/* A value in `unit` (1 millis, 2 micros, 3 nanos) as whole seconds and microseconds (floored). */
static void split_units(int64_t value, int32_t unit, int64_t *secs, int64_t *usecs)
{
    int64_t per_sec = unit == 1 ? 1000 : unit == 3 ? 1000000000 : 1000000;
    *secs = sl_floor_div(value, per_sec);
    int64_t frac = value - *secs * per_sec;
    *usecs = unit == 1 ? frac * 1000 : unit == 3 ? frac / 1000 : frac;
}

static int put_timestamp_parts(struct sl_buf *out, int64_t secs, int64_t usecs, bool utc)
{
    int64_t days = sl_floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int rc = sl_buf_putc(out, '"');
    if (rc == SL_OK)
        rc = put_date(out, days);
    if (rc == SL_OK)
        rc = sl_buf_putc(out, 'T');
    if (rc == SL_OK)
        rc = sl_buf_printf(out, "%02lld:%02lld:%02lld.%06lld", (long long)(sod / 3600),
                           (long long)(sod / 60 % 60), (long long)(sod % 60), (long long)usecs);
    if (rc == SL_OK && utc)
        rc = sl_buf_append_str(out, "+00");
    if (rc == SL_OK)
        rc = sl_buf_putc(out, '"');
    return rc;
}

static int put_float(struct sl_buf *out, double value, bool single)
{
    char text[40];
    if (isnan(value))
        return sl_buf_append_str(out, "\"NaN\"");
    if (isinf(value))
        return sl_buf_append_str(out, value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    for (int digits = 1; digits <= (single ? 9 : 17); digits++) {
        snprintf(text, sizeof(text), "%.*g", digits, value);
        if (single ? strtof(text, NULL) == (float)value : strtod(text, NULL) == value)
            break;
    }
    return sl_buf_append_str(out, text);
}

static int put_hex(struct sl_buf *out, const uint8_t *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = sl_buf_append_str(out, "\"\\\\x");
    if (rc == SL_OK)
        rc = sl_buf_reserve(out, len * 2 + 1);
    for (size_t i = 0; i < len && rc == SL_OK; i++) {
        out->data[out->len++] = hex[bytes[i] >> 4];
        out->data[out->len++] = hex[bytes[i] & 15];
    }
    if (rc == SL_OK) {
        out->data[out->len] = '\0';
        rc = sl_buf_putc(out, '"');
    }
    return rc;
}

static int put_int128_decimal(struct sl_buf *out, __int128 value, int32_t scale)
{
    char digits[64];
    size_t n = 0;
    bool negative = value < 0;
    unsigned __int128 mag = negative ? (unsigned __int128)0 - (unsigned __int128)value
                                     : (unsigned __int128)value;
    int rc;

    do {
        digits[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag != 0 && n < sizeof(digits));
    if (scale < 0 || scale > 60)
        scale = 0;
    while (n <= (size_t)scale && scale > 0 && n < sizeof(digits))
        digits[n++] = '0'; /* at least one digit before the point */
    rc = sl_buf_putc(out, '"');
    if (rc == SL_OK && negative)
        rc = sl_buf_putc(out, '-');
    for (size_t i = n; i > 0 && rc == SL_OK; i--) {
        if (scale > 0 && i == (size_t)scale)
            rc = sl_buf_putc(out, '.');
        if (rc == SL_OK)
            rc = sl_buf_putc(out, digits[i - 1]);
    }
    if (rc == SL_OK)
        rc = sl_buf_putc(out, '"');
    return rc;
}

/* A big-endian two's complement decimal of len bytes; wider than 16 bytes only if sign-extended. */
static int put_be_decimal(struct sl_buf *out, const uint8_t *bytes, size_t len, int32_t scale)
{
    unsigned __int128 acc;
    size_t skip = 0;
    if (len == 0)
        return put_int128_decimal(out, 0, scale);
    bool negative = (bytes[0] & 0x80) != 0;
    while (len - skip > 16) {
        if (bytes[skip] != (negative ? 0xff : 0x00))
            return put_hex(out, bytes, len); /* out of range of 128 bits */
        skip++;
    }
    acc = negative ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < len; i++)
        acc = (acc << 8) | bytes[i];
    return put_int128_decimal(out, (__int128)acc, scale);
}

static bool logical_is(const struct sl_parquet_column_info *info, const char *name)
{
    return info->logical != NULL && strcmp(info->logical, name) == 0;
}

static int put_uuid(struct sl_buf *out, const uint8_t *b)
{
    return sl_buf_printf(out,
                         "\"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\"",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

/* Appends row `row` of a column as JSON. */
static int put_value(struct sl_buf *out, const struct sl_parquet_column_info *info,
                     const struct sl_parquet_column_values *v, size_t row)
{
    if (v->valid != NULL && v->valid[row] == 0)
        return sl_buf_append_str(out, "null");
    switch (info->physical) {
    case PT_BOOLEAN:
        return sl_buf_append_str(out, v->u.booleans[row] ? "true" : "false");
    case PT_INT32: {
        int32_t x = v->u.i32[row];
        if (logical_is(info, "DECIMAL"))
            return put_int128_decimal(out, x, info->scale);
        if (logical_is(info, "DATE")) {
            int rc = sl_buf_putc(out, '"');
            if (rc == SL_OK)
                rc = put_date(out, x);
            return rc == SL_OK ? sl_buf_putc(out, '"') : rc;
        }
        if (logical_is(info, "TIME")) {
            int rc = sl_buf_putc(out, '"');
            if (rc == SL_OK)
                rc = put_time_of_day(out, (int64_t)x * 1000);
            if (rc == SL_OK && info->adjusted_to_utc)
                rc = sl_buf_append_str(out, "+00");
            return rc == SL_OK ? sl_buf_putc(out, '"') : rc;
        }
        if (logical_is(info, "INTEGER") && !info->is_signed)
            return sl_buf_printf(out, "%u", (unsigned)(uint32_t)x);
        return sl_buf_printf(out, "%d", (int)x);
    }
    case PT_INT64: {
        int64_t x = v->u.i64[row];
        if (logical_is(info, "DECIMAL"))
            return put_int128_decimal(out, x, info->scale);
        if (logical_is(info, "TIMESTAMP")) {
            int64_t secs, usecs;
            split_units(x, info->time_unit, &secs, &usecs);
            return put_timestamp_parts(out, secs, usecs, info->adjusted_to_utc);
        }
        if (logical_is(info, "TIME")) {
            int64_t secs, usecs;
            split_units(x, info->time_unit, &secs, &usecs);
            int rc = sl_buf_putc(out, '"');
            if (rc == SL_OK)
                rc = put_time_of_day(out, secs * 1000000 + usecs);
            if (rc == SL_OK && info->adjusted_to_utc)
                rc = sl_buf_append_str(out, "+00");
            return rc == SL_OK ? sl_buf_putc(out, '"') : rc;
        }
        if (logical_is(info, "INTEGER") && !info->is_signed)
            return sl_buf_printf(out, "%llu", (unsigned long long)(uint64_t)x);
        return sl_buf_printf(out, "%lld", (long long)x);
    }
    case PT_INT96: {
        const uint8_t *b = v->u.fixed + row * 12;
        uint64_t nanos = 0;
        uint32_t julian = 0;
        for (int i = 7; i >= 0; i--)
            nanos = (nanos << 8) | b[i];
        for (int i = 11; i >= 8; i--)
            julian = (julian << 8) | b[i];
        int64_t days = (int64_t)julian - 2440588;
        int64_t nod = (int64_t)(nanos % 86400000000000ull); /* clamp garbage to a day */
        return put_timestamp_parts(out, days * 86400 + nod / 1000000000,
                                   nod % 1000000000 / 1000, true);
    }
    case PT_FLOAT:
        return put_float(out, v->u.f32[row], true);
    case PT_DOUBLE:
        return put_float(out, v->u.f64[row], false);
    case PT_BYTE_ARRAY: {
        const uint8_t *b = v->u.bytes.data + v->u.bytes.offsets[row];
        size_t len = v->u.bytes.offsets[row + 1] - v->u.bytes.offsets[row];
        if (logical_is(info, "STRING") || logical_is(info, "JSON") || logical_is(info, "ENUM"))
            return sl_json_append_string(out, (const char *)b, len);
        if (logical_is(info, "DECIMAL"))
            return put_be_decimal(out, b, len, info->scale);
        return put_hex(out, b, len);
    }
    case PT_FLBA: {
        size_t width = (size_t)info->type_length;
        const uint8_t *b = v->u.fixed + row * width;
        if (logical_is(info, "DECIMAL"))
            return put_be_decimal(out, b, width, info->scale);
        if (logical_is(info, "UUID") && width == 16)
            return put_uuid(out, b);
        return put_hex(out, b, width);
    }
    default:
        return sl_buf_append_str(out, "null");
    }
}

/* ---------------------------------------------------------------- schema */

static int put_json_str(struct sl_buf *out, const char *s)
{
    if (s == NULL)
        return sl_buf_append_str(out, "null");
    return sl_json_append_string(out, s, strlen(s));
}

static const char *unit_name(int32_t unit)
{
    return unit == 1 ? "MILLIS" : unit == 3 ? "NANOS" : "MICROS";
}

static int put_logical(struct sl_buf *out, const struct sl_parquet_column_info *info)
{
    char text[96];
    const char *l = info->logical;
    if (l == NULL)
        return sl_buf_append_str(out, "null");
    if (strcmp(l, "DECIMAL") == 0)
        snprintf(text, sizeof(text), "DECIMAL(%d,%d)", (int)info->precision, (int)info->scale);
    else if (strcmp(l, "TIMESTAMP") == 0 || strcmp(l, "TIME") == 0)
        snprintf(text, sizeof(text), "%s(%s%s)", l, unit_name(info->time_unit),
                 info->adjusted_to_utc ? ",UTC" : "");
    else if (strcmp(l, "INTEGER") == 0)
        snprintf(text, sizeof(text), "INTEGER(%d,%s)", (int)info->bit_width,
                 info->is_signed ? "signed" : "unsigned");
    else
        snprintf(text, sizeof(text), "%s", l);
    return put_json_str(out, text);
}

static int put_schema(struct sl_buf *out, const char *path, const struct sl_parquet_reader *r)
{
    uint32_t n = sl_parquet_reader_ncolumns(r);
    int rc = sl_buf_append_str(out, "{\"file\":");
    if (rc == SL_OK)
        rc = put_json_str(out, path);
    if (rc == SL_OK)
        rc = sl_buf_printf(out, ",\"num_rows\":%lld,\"row_groups\":%u,\"created_by\":",
                           (long long)sl_parquet_reader_num_rows(r),
                           sl_parquet_reader_num_row_groups(r));
    if (rc == SL_OK)
        rc = put_json_str(out, sl_parquet_reader_created_by(r));
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"columns\":[");
    for (uint32_t i = 0; i < n && rc == SL_OK; i++) {
        const struct sl_parquet_column_info *info = sl_parquet_reader_column(r, i);
        const char *physical = info->physical >= 0 &&
                                       info->physical < (int32_t)SL_ARRAY_LEN(physical_names)
                                   ? physical_names[info->physical]
                                   : NULL;
        rc = sl_buf_append_str(out, i ? ",{\"name\":" : "{\"name\":");
        if (rc == SL_OK)
            rc = put_json_str(out, info->name);
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, ",\"physical\":");
        if (rc == SL_OK)
            rc = put_json_str(out, physical);
        if (rc == SL_OK && info->physical == PT_FLBA)
            rc = sl_buf_printf(out, ",\"type_length\":%d", (int)info->type_length);
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, ",\"logical\":");
        if (rc == SL_OK)
            rc = put_logical(out, info);
        if (rc == SL_OK)
            rc = sl_buf_printf(out, ",\"optional\":%s,\"unsupported\":",
                               info->optional ? "true" : "false");
        if (rc == SL_OK)
            rc = put_json_str(out, info->unsupported);
        if (rc == SL_OK)
            rc = sl_buf_putc(out, '}');
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "],\"key_value_metadata\":{");
    for (uint32_t i = 0; i < sl_parquet_reader_kv_count(r) && rc == SL_OK; i++) {
        const char *key, *value;
        sl_parquet_reader_kv_at(r, i, &key, &value);
        if (i > 0)
            rc = sl_buf_putc(out, ',');
        if (rc == SL_OK)
            rc = put_json_str(out, key != NULL ? key : "");
        if (rc == SL_OK)
            rc = sl_buf_putc(out, ':');
        if (rc == SL_OK)
            rc = put_json_str(out, value);
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "}}\n");
    return rc;
}

/* ---------------------------------------------------------------- rows */

static int dump_rows(struct sl_buf *out, struct sl_parquet_reader *r, const uint32_t *selected,
                     uint32_t nselected, struct sl_error *err)
{
    struct sl_parquet_column_values *values = NULL;
    struct sl_buf *keys = NULL;
    int rc = SL_OK;

    values = sl_calloc(nselected ? nselected : 1, sizeof(*values));
    keys = sl_calloc(nselected ? nselected : 1, sizeof(*keys));
    if (values == NULL || keys == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    /* escape each key once */
    for (uint32_t c = 0; c < nselected && rc == SL_OK; c++) {
        const char *name = sl_parquet_reader_column(r, selected[c])->name;
        sl_buf_init(&keys[c], SIZE_MAX);
        rc = sl_buf_putc(&keys[c], c ? ',' : '{');
        if (rc == SL_OK)
            rc = sl_json_append_string(&keys[c], name, strlen(name));
        if (rc == SL_OK)
            rc = sl_buf_putc(&keys[c], ':');
    }
    if (rc != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(r); g++) {
        size_t nrows = (size_t)sl_parquet_reader_row_group_rows(r, g);
        for (uint32_t c = 0; c < nselected; c++) {
            rc = sl_parquet_reader_read_column(r, g, selected[c], &values[c], err);
            if (rc != SL_OK)
                goto fail;
        }
        for (size_t row = 0; row < nrows; row++) {
            for (uint32_t c = 0; c < nselected && rc == SL_OK; c++) {
                rc = sl_buf_append(out, keys[c].data, keys[c].len);
                if (rc == SL_OK)
                    rc = put_value(out, sl_parquet_reader_column(r, selected[c]), &values[c], row);
            }
            if (rc == SL_OK)
                rc = sl_buf_append_str(out, nselected ? "}\n" : "{}\n");
            if (rc != SL_OK) {
                rc = sl_error_set(err, rc, "cannot format row %zu of row group %u", row, g);
                goto fail;
            }
            if (out->len >= OUTPUT_FLUSH_BYTES) {
                rc = flush_out(out, err);
                if (rc != SL_OK)
                    goto fail;
            }
        }
    }
fail:
    for (uint32_t c = 0; keys != NULL && c < nselected; c++)
        sl_buf_free(&keys[c]);
    sl_free(keys);
    sl_free(values);
    return rc;
}

/* Resolves --columns (a comma list) to column indices; returns an exit status. */
static int select_columns(const struct sl_parquet_reader *r, const char *list,
                          uint32_t *selected, uint32_t *nselected, uint32_t cap)
{
    const char *p = list;
    *nselected = 0;
    while (true) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *name = sl_strndup(p, len);
        int index;
        if (name == NULL) {
            fprintf(stderr, "sluice parquet-dump: error: out of memory\n");
            return SL_EXIT_FAILURE;
        }
        index = sl_parquet_reader_find_column(r, name);
        if (index < 0 || *nselected >= cap) {
            int status = usage_error(index < 0 ? "unknown column '%s' in --columns"
                                               : "too many columns in --columns ('%s')",
                                     name);
            sl_free(name);
            return status;
        }
        sl_free(name);
        selected[(*nselected)++] = (uint32_t)index;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return SL_EXIT_OK;
}

int sl_cmd_parquet_dump(int argc, char **argv)
{
    const char *path = NULL, *columns = NULL;
    bool schema = false;
    struct sl_read_file file = {0};
    bool file_open = false;
    struct sl_parquet_reader *reader = NULL;
    struct sl_buf out;
    struct sl_error err;
    uint32_t *selected = NULL, nselected = 0, ncolumns;
    int status = SL_EXIT_FAILURE, rc;

    sl_buf_init(&out, OUTPUT_MAX);
    sl_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            dump_usage(stdout);
            return SL_EXIT_OK;
        } else if (strcmp(a, "--schema") == 0) {
            schema = true;
        } else if (strcmp(a, "--columns") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s", "--columns needs a list of column names");
            columns = argv[++i];
        } else if (strncmp(a, "--columns=", 10) == 0) {
            columns = a + 10;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (path == NULL)
        return usage_error("%s", "a FILE is required");
    if (columns != NULL && columns[0] == '\0')
        return usage_error("%s", "--columns needs at least one column name");

    rc = sl_file_read_open(path, &file, &err);
    if (rc != SL_OK)
        goto fail;
    file_open = true;
    rc = sl_parquet_reader_open(&file, path, &reader, &err);
    if (rc != SL_OK)
        goto fail;
    if (schema) {
        rc = put_schema(&out, path, reader);
        if (rc != SL_OK) {
            sl_error_set(&err, rc, "%s: cannot format the schema", path);
            goto fail;
        }
        rc = flush_out(&out, &err);
        if (rc != SL_OK)
            goto fail;
        status = SL_EXIT_OK;
        goto done;
    }
    ncolumns = sl_parquet_reader_ncolumns(reader);
    /* --columns may name a column twice, so allow for more entries than columns */
    selected = sl_calloc((size_t)ncolumns + (columns ? strlen(columns) : 0) + 1,
                         sizeof(*selected));
    if (selected == NULL) {
        rc = sl_error_set(&err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if (columns != NULL) {
        status = select_columns(reader, columns, selected, &nselected,
                                ncolumns + (uint32_t)strlen(columns) + 1);
        if (status != SL_EXIT_OK)
            goto done;
        status = SL_EXIT_FAILURE;
    } else {
        for (uint32_t c = 0; c < ncolumns; c++)
            selected[nselected++] = c;
    }
    for (uint32_t c = 0; c < nselected; c++) {
        const struct sl_parquet_column_info *info = sl_parquet_reader_column(reader, selected[c]);
        if (info->unsupported != NULL) {
            rc = sl_error_set(&err, SL_EPROTO,
                              "%s: column %s is not supported (%s); leave it out with --columns",
                              path, info->name, info->unsupported);
            goto fail;
        }
    }
    rc = dump_rows(&out, reader, selected, nselected, &err);
    if (rc == SL_OK)
        rc = flush_out(&out, &err);
    if (rc != SL_OK)
        goto fail;
    if (fflush(stdout) != 0) {
        sl_error_set(&err, SL_EIO, "cannot write to standard output");
        goto fail;
    }
    status = SL_EXIT_OK;
    goto done;
fail:
    flush_out(&out, NULL);
    fflush(stdout);
    if (strncmp(err.message, path, strlen(path)) == 0)
        fprintf(stderr, "sluice parquet-dump: error: %s\n", err.message);
    else
        fprintf(stderr, "sluice parquet-dump: error: %s: %s\n", path, err.message);
    status = SL_EXIT_FAILURE;
done:
    sl_free(selected);
    sl_parquet_reader_free(reader);
    if (file_open && file.destroy != NULL)
        file.destroy(file.ctx);
    sl_buf_free(&out);
    return status;
}

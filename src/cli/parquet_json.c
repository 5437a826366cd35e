/*
 * Parquet column values as JSON (see parquet_json.h). Integers, dates, times
 * and timestamps are formatted by hand into the output buffer: a table scan
 * prints millions of them, and printf costs more than the rest of the row.
 * Floats print the fewest digits that read back as the same float.
 */
#include "parquet_json.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/change.h"

/* parquet.thrift physical type numbers */
enum { PT_BOOLEAN = 0, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };

/* Longest text one scalar (not a string, bytes or decimal) can take. */
#define SCALAR_TEXT_MAX 96

/* ---------------------------------------------------------------- digits */

/* Writes v with at least `width` digits (zero-padded) at p; returns the length. */
static size_t put_digits(char *p, uint64_t v, int width)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < (size_t)width)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static size_t put_signed(char *p, int64_t v)
{
    if (v < 0) {
        p[0] = '-';
        return 1 + put_digits(p + 1, (uint64_t)0 - (uint64_t)v, 1);
    }
    return put_digits(p, (uint64_t)v, 1);
}

/* Reserves room for a scalar; the caller writes at out->data + out->len. */
static int reserve(struct sl_buf *out)
{
    return sl_buf_reserve(out, SCALAR_TEXT_MAX);
}

static void commit(struct sl_buf *out, size_t n)
{
    out->len += n;
    out->data[out->len] = '\0';
}

static int append_i64(struct sl_buf *out, int64_t v)
{
    int rc = reserve(out);
    if (rc == SL_OK)
        commit(out, put_signed(out->data + out->len, v));
    return rc;
}

static int append_u64(struct sl_buf *out, uint64_t v)
{
    int rc = reserve(out);
    if (rc == SL_OK)
        commit(out, put_digits(out->data + out->len, v, 1));
    return rc;
}

/* "YYYY-MM-DD" (a leading '-' before year 0 as ISO 8601 expanded years). */
static size_t put_date(char *p, int64_t days)
{
    struct sl_civil_date d;
    size_t n = 0;
    sl_civil_from_unix_days(days, &d);
    if (d.year < 0) {
        p[n++] = '-';
        n += put_digits(p + n, (uint64_t)0 - (uint64_t)d.year, 4);
    } else {
        n += put_digits(p + n, (uint64_t)d.year, 4);
    }
    p[n++] = '-';
    n += put_digits(p + n, (uint64_t)d.month, 2);
    p[n++] = '-';
    n += put_digits(p + n, (uint64_t)d.day, 2);
    return n;
}

/* "HH:MM:SS.ffffff" of a non-negative count of seconds (hours may pass 23) and micros. */
static size_t put_clock(char *p, uint64_t secs, uint64_t usecs)
{
    size_t n = put_digits(p, secs / 3600, 2);
    p[n++] = ':';
    n += put_digits(p + n, secs / 60 % 60, 2);
    p[n++] = ':';
    n += put_digits(p + n, secs % 60, 2);
    p[n++] = '.';
    n += put_digits(p + n, usecs, 6);
    return n;
}

static int append_date(struct sl_buf *out, int64_t days)
{
    int rc = reserve(out);
    if (rc != SL_OK)
        return rc;
    char *p = out->data + out->len;
    size_t n = 0;
    p[n++] = '"';
    n += put_date(p + n, days);
    p[n++] = '"';
    commit(out, n);
    return SL_OK;
}

static int append_time_of_day(struct sl_buf *out, int64_t usecs, bool utc)
{
    int64_t secs = sl_floor_div(usecs, 1000000);
    int64_t frac = usecs - secs * 1000000;
    int rc;
    if (secs < 0) /* not a time of day; print what it holds, as printf would */
        return sl_buf_printf(out, "\"%02lld:%02lld:%02lld.%06lld%s\"", (long long)(secs / 3600),
                             (long long)(secs / 60 % 60), (long long)(secs % 60), (long long)frac,
                             utc ? "+00" : "");
    rc = reserve(out);
    if (rc != SL_OK)
        return rc;
    char *p = out->data + out->len;
    size_t n = 0;
    p[n++] = '"';
    n += put_clock(p + n, (uint64_t)secs, (uint64_t)frac);
    if (utc) {
        memcpy(p + n, "+00", 3);
        n += 3;
    }
    p[n++] = '"';
    commit(out, n);
    return SL_OK;
}

/* A value in `unit` (1 millis, 2 micros, 3 nanos) as whole seconds and microseconds (floored). */
static void split_units(int64_t value, int32_t unit, int64_t *secs, int64_t *usecs)
{
    int64_t per_sec = unit == 1 ? 1000 : unit == 3 ? 1000000000 : 1000000;
    *secs = sl_floor_div(value, per_sec);
    int64_t frac = value - *secs * per_sec;
    *usecs = unit == 1 ? frac * 1000 : unit == 3 ? frac / 1000 : frac;
}

static int append_timestamp(struct sl_buf *out, int64_t secs, int64_t usecs, bool utc)
{
    int64_t days = sl_floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int rc = reserve(out);
    if (rc != SL_OK)
        return rc;
    char *p = out->data + out->len;
    size_t n = 0;
    p[n++] = '"';
    n += put_date(p + n, days);
    p[n++] = 'T';
    n += put_clock(p + n, (uint64_t)sod, (uint64_t)usecs);
    if (utc) {
        memcpy(p + n, "+00", 3);
        n += 3;
    }
    p[n++] = '"';
    commit(out, n);
    return SL_OK;
}

/*
 * The shortest "%.<k>g" text that reads back as the same value. With
 * p = the type's guaranteed digits (15 for double, 6 for float), a value
 * whose shortest form has k <= p digits rounds to that form at p digits, so
 * one "%.<p-1>e" both finds k (its mantissa without trailing zeros) and
 * proves the round trip; only longer values need p+1 .. max digits.
 * Subnormals carry fewer digits than p: they take the plain search.
 */
static int append_float(struct sl_buf *out, double value, bool single)
{
    char text[48];
    int first = single ? 6 : 15, last = single ? 9 : 17, digits = last;

    if (isnan(value))
        return sl_buf_append_str(out, "\"NaN\"");
    if (isinf(value))
        return sl_buf_append_str(out, value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    if (value != 0 && fabs(value) < (single ? FLT_MIN : DBL_MIN))
        first = 1; /* subnormal */
    for (int k = first; k < last; k++) {
        snprintf(text, sizeof(text), "%.*e", k - 1, value);
        bool same = single ? strtof(text, NULL) == (float)value : strtod(text, NULL) == value;
        if (!same)
            continue;
        if (first > 1 && k == first) { /* count the significant digits of the mantissa */
            const char *m = text + (text[0] == '-');
            const char *e = strchr(m, 'e');
            int n = 0, nonzero = 0;
            for (const char *c = m; c < e; c++) {
                if (*c == '.')
                    continue;
                n++;
                if (*c != '0')
                    nonzero = n;
            }
            k = nonzero > 0 ? nonzero : 1;
        }
        digits = k;
        break;
    }
    snprintf(text, sizeof(text), "%.*g", digits, value);
    return sl_buf_append_str(out, text);
}

static int append_hex(struct sl_buf *out, const uint8_t *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = sl_buf_reserve(out, len * 2 + 8);
    if (rc != SL_OK)
        return rc;
    char *p = out->data + out->len;
    size_t n = 0;
    memcpy(p, "\"\\\\x", 4);
    n += 4;
    for (size_t i = 0; i < len; i++) {
        p[n++] = hex[bytes[i] >> 4];
        p[n++] = hex[bytes[i] & 15];
    }
    p[n++] = '"';
    commit(out, n);
    return SL_OK;
}

static int append_int128_decimal(struct sl_buf *out, __int128 value, int32_t scale)
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
    rc = reserve(out);
    if (rc != SL_OK)
        return rc;
    char *p = out->data + out->len;
    size_t w = 0;
    p[w++] = '"';
    if (negative)
        p[w++] = '-';
    for (size_t i = n; i > 0; i--) {
        if (scale > 0 && i == (size_t)scale)
            p[w++] = '.';
        p[w++] = digits[i - 1];
    }
    p[w++] = '"';
    commit(out, w);
    return SL_OK;
}

/* A big-endian two's complement decimal of len bytes; wider than 16 bytes only if sign-extended. */
static int append_be_decimal(struct sl_buf *out, const uint8_t *bytes, size_t len, int32_t scale)
{
    unsigned __int128 acc;
    size_t skip = 0;
    if (len == 0)
        return append_int128_decimal(out, 0, scale);
    bool negative = (bytes[0] & 0x80) != 0;
    while (len - skip > 16) {
        if (bytes[skip] != (negative ? 0xff : 0x00))
            return append_hex(out, bytes, len); /* out of range of 128 bits */
        skip++;
    }
    acc = negative ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < len; i++)
        acc = (acc << 8) | bytes[i];
    return append_int128_decimal(out, (__int128)acc, scale);
}

static bool logical_is(const struct sl_parquet_column_info *info, const char *name)
{
    return info->logical != NULL && strcmp(info->logical, name) == 0;
}

static int append_uuid(struct sl_buf *out, const uint8_t *b)
{
    static const char hex[] = "0123456789abcdef";
    int rc = reserve(out);
    if (rc != SL_OK)
        return rc;
    char *p = out->data + out->len;
    size_t n = 0;
    p[n++] = '"';
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            p[n++] = '-';
        p[n++] = hex[b[i] >> 4];
        p[n++] = hex[b[i] & 15];
    }
    p[n++] = '"';
    commit(out, n);
    return SL_OK;
}

int sl_parquet_json_append_value(struct sl_buf *out, const struct sl_parquet_column_info *info,
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
            return append_int128_decimal(out, x, info->scale);
        if (logical_is(info, "DATE"))
            return append_date(out, x);
        if (logical_is(info, "TIME"))
            return append_time_of_day(out, (int64_t)x * 1000, info->adjusted_to_utc);
        if (logical_is(info, "INTEGER") && !info->is_signed)
            return append_u64(out, (uint32_t)x);
        return append_i64(out, x);
    }
    case PT_INT64: {
        int64_t x = v->u.i64[row];
        if (logical_is(info, "DECIMAL"))
            return append_int128_decimal(out, x, info->scale);
        if (logical_is(info, "TIMESTAMP")) {
            int64_t secs, usecs;
            split_units(x, info->time_unit, &secs, &usecs);
            return append_timestamp(out, secs, usecs, info->adjusted_to_utc);
        }
        if (logical_is(info, "TIME")) {
            int64_t secs, usecs;
            split_units(x, info->time_unit, &secs, &usecs);
            return append_time_of_day(out, secs * 1000000 + usecs, info->adjusted_to_utc);
        }
        if (logical_is(info, "INTEGER") && !info->is_signed)
            return append_u64(out, (uint64_t)x);
        return append_i64(out, x);
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
        return append_timestamp(out, days * 86400 + nod / 1000000000, nod % 1000000000 / 1000,
                                true);
    }
    case PT_FLOAT:
        return append_float(out, v->u.f32[row], true);
    case PT_DOUBLE:
        return append_float(out, v->u.f64[row], false);
    case PT_BYTE_ARRAY: {
        const uint8_t *b = v->u.bytes.data + v->u.bytes.offsets[row];
        size_t len = v->u.bytes.offsets[row + 1] - v->u.bytes.offsets[row];
        if (logical_is(info, "STRING") || logical_is(info, "JSON") || logical_is(info, "ENUM"))
            return sl_json_append_string(out, (const char *)b, len);
        if (logical_is(info, "DECIMAL"))
            return append_be_decimal(out, b, len, info->scale);
        return append_hex(out, b, len);
    }
    case PT_FLBA: {
        size_t width = (size_t)info->type_length;
        const uint8_t *b = v->u.fixed + row * width;
        if (logical_is(info, "DECIMAL"))
            return append_be_decimal(out, b, width, info->scale);
        if (logical_is(info, "UUID") && width == 16)
            return append_uuid(out, b);
        return append_hex(out, b, width);
    }
    default:
        return sl_buf_append_str(out, "null");
    }
}

int sl_parquet_json_append_cstr(struct sl_buf *out, const char *s)
{
    if (s == NULL)
        return sl_buf_append_str(out, "null");
    return sl_json_append_string(out, s, strlen(s));
}

/* ---------------------------------------------------------------- rows */

void sl_parquet_json_keys_free(struct sl_parquet_json_keys *keys)
{
    if (keys == NULL)
        return;
    sl_buf_free(&keys->text);
    sl_free(keys->offsets);
    memset(keys, 0, sizeof(*keys));
}

int sl_parquet_json_keys_init(struct sl_parquet_json_keys *keys, const char *const *names,
                              uint32_t count, struct sl_error *err)
{
    int rc = SL_OK;

    memset(keys, 0, sizeof(*keys));
    sl_buf_init(&keys->text, SIZE_MAX);
    keys->offsets = sl_calloc((size_t)count + 1, sizeof(*keys->offsets));
    if (keys->offsets == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    keys->count = count;
    for (uint32_t c = 0; c < count && rc == SL_OK; c++) {
        keys->offsets[c] = keys->text.len;
        rc = sl_buf_putc(&keys->text, c ? ',' : '{');
        if (rc == SL_OK)
            rc = sl_json_append_string(&keys->text, names[c], strlen(names[c]));
        if (rc == SL_OK)
            rc = sl_buf_putc(&keys->text, ':');
    }
    keys->offsets[count] = keys->text.len;
    if (rc != SL_OK)
        return sl_error_set(err, rc, "out of memory");
    return SL_OK;
}

int sl_parquet_json_append_row(struct sl_buf *out, const struct sl_parquet_json_keys *keys,
                               const struct sl_parquet_column_info *const *infos,
                               const struct sl_parquet_column_values *values, size_t row)
{
    int rc = SL_OK;
    for (uint32_t c = 0; c < keys->count && rc == SL_OK; c++) {
        rc = sl_buf_append(out, keys->text.data + keys->offsets[c],
                           keys->offsets[c + 1] - keys->offsets[c]);
        if (rc == SL_OK)
            rc = sl_parquet_json_append_value(out, infos[c], &values[c], row);
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, keys->count ? "}\n" : "{}\n");
    return rc;
}

/*
 * Hudi's key generators: record keys and partition paths of rows, and the
 * string forms of typed values they are built from. Rules from Apache Hudi
 * 0.14/0.15 KeyGenUtils (getRecordKey, getRecordPartitionPath),
 * Simple/Complex/Nonpartitioned/Custom/TimestampBasedAvroKeyGenerator and
 * HoodieAvroUtils.convertValueForSpecificDataTypes (dates as LocalDate,
 * decimals as BigDecimal, timestamps as their raw long). Record keys run per
 * row: nothing here allocates except the caller's output buffer growing.
 */
#include "hudi/hudi_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NULL_PLACEHOLDER "__null__"
#define EMPTY_PLACEHOLDER "__empty__"
#define DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"

/* ---------------------------------------------------------------- class names */

static const struct {
    enum sl_hudi_keygen kg;
    const char *spark_class, *avro_class, *type, *avro_type;
} KEYGENS[] = {
    {SL_HUDI_KEYGEN_SIMPLE, "org.apache.hudi.keygen.SimpleKeyGenerator",
     "org.apache.hudi.keygen.SimpleAvroKeyGenerator", "SIMPLE", "SIMPLE_AVRO"},
    {SL_HUDI_KEYGEN_COMPLEX, "org.apache.hudi.keygen.ComplexKeyGenerator",
     "org.apache.hudi.keygen.ComplexAvroKeyGenerator", "COMPLEX", "COMPLEX_AVRO"},
    {SL_HUDI_KEYGEN_NONPARTITIONED, "org.apache.hudi.keygen.NonpartitionedKeyGenerator",
     "org.apache.hudi.keygen.NonpartitionedAvroKeyGenerator", "NON_PARTITION",
     "NON_PARTITION_AVRO"},
    {SL_HUDI_KEYGEN_TIMESTAMP, "org.apache.hudi.keygen.TimestampBasedKeyGenerator",
     "org.apache.hudi.keygen.TimestampBasedAvroKeyGenerator", "TIMESTAMP", "TIMESTAMP_AVRO"},
    {SL_HUDI_KEYGEN_CUSTOM, "org.apache.hudi.keygen.CustomKeyGenerator",
     "org.apache.hudi.keygen.CustomAvroKeyGenerator", "CUSTOM", "CUSTOM_AVRO"},
};

const char *sl_hudi_keygen_class(enum sl_hudi_keygen kg)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(KEYGENS); i++)
        if (KEYGENS[i].kg == kg)
            return KEYGENS[i].spark_class;
    return NULL;
}

int sl_hudi_keygen_from_class(const char *class_name, enum sl_hudi_keygen *out,
                              struct sl_error *err)
{
    for (size_t i = 0; class_name != NULL && i < SL_ARRAY_LEN(KEYGENS); i++) {
        if (strcmp(class_name, KEYGENS[i].spark_class) == 0 ||
            strcmp(class_name, KEYGENS[i].avro_class) == 0) {
            *out = KEYGENS[i].kg;
            return SL_OK;
        }
    }
    return sl_error_set(err, SL_EINVAL,
                        "key generator class \"%s\" is not supported: sluice knows the Simple, "
                        "Complex, Nonpartitioned, TimestampBased and Custom key generators",
                        class_name ? class_name : "(none)");
}

int sl_hudi_keygen_from_type(const char *type_name, enum sl_hudi_keygen *out, struct sl_error *err)
{
    for (size_t i = 0; type_name != NULL && i < SL_ARRAY_LEN(KEYGENS); i++) {
        if (strcmp(type_name, KEYGENS[i].type) == 0 ||
            strcmp(type_name, KEYGENS[i].avro_type) == 0) {
            *out = KEYGENS[i].kg;
            return SL_OK;
        }
    }
    return sl_error_set(err, SL_EINVAL,
                        "key generator type \"%s\" is not supported: sluice knows SIMPLE, COMPLEX, "
                        "NON_PARTITION, TIMESTAMP and CUSTOM",
                        type_name ? type_name : "(none)");
}

/* ---------------------------------------------------------------- keys and paths */

static int append_simple_key(const char *field, const struct sl_hudi_key_value *v,
                             struct sl_buf *out, struct sl_error *err)
{
    int rc;

    if (v->is_null || v->len == 0)
        return sl_error_set(err, SL_EINVAL,
                            "record key field \"%s\" is %s: Hudi record keys cannot be null or "
                            "empty (fix the row or key the table on other columns)",
                            field, v->is_null ? "null" : "empty");
    if ((rc = sl_buf_append(out, v->text, v->len)) != SL_OK)
        return sl_error_set(err, rc, "record key too long (field \"%s\")", field);
    return SL_OK;
}

static int append_complex_key(const char *const *fields, const struct sl_hudi_key_value *values,
                              uint32_t n, struct sl_buf *out, struct sl_error *err)
{
    size_t start = out->len;
    bool all_null_or_empty = true;
    int rc = SL_OK;

    for (uint32_t i = 0; i < n && rc == SL_OK; i++) {
        const struct sl_hudi_key_value *v = &values[i];
        if (i > 0)
            rc = sl_buf_putc(out, ',');
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, fields[i]);
        if (rc == SL_OK)
            rc = sl_buf_putc(out, ':');
        if (rc != SL_OK)
            break;
        if (v->is_null) {
            rc = sl_buf_append(out, NULL_PLACEHOLDER, sizeof(NULL_PLACEHOLDER) - 1);
        } else if (v->len == 0) {
            rc = sl_buf_append(out, EMPTY_PLACEHOLDER, sizeof(EMPTY_PLACEHOLDER) - 1);
        } else {
            rc = sl_buf_append(out, v->text, v->len);
            all_null_or_empty = false;
        }
    }
    if (rc != SL_OK) {
        sl_error_set(err, rc, "record key too long");
        goto fail;
    }
    if (all_null_or_empty) {
        rc = sl_error_set(err, SL_EINVAL,
                          "record key \"%.200s\" is entirely null or empty: Hudi refuses such keys "
                          "(fix the row or key the table on other columns)",
                          out->data + start);
        goto fail;
    }
    return SL_OK;
fail:
    out->len = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return rc;
}

int sl_hudi_record_key(enum sl_hudi_keygen kg, const char *const *fields,
                       const struct sl_hudi_key_value *values, uint32_t n, struct sl_buf *out,
                       struct sl_error *err)
{
    if (fields == NULL || values == NULL || out == NULL || n == 0)
        return sl_error_set(err, SL_EINVAL, "no record key fields given");
    for (uint32_t i = 0; i < n; i++)
        if (fields[i] == NULL || (!values[i].is_null && values[i].text == NULL && values[i].len > 0))
            return sl_error_set(err, SL_EINVAL, "record key field %u has no name or text", i);
    switch (kg) {
    case SL_HUDI_KEYGEN_SIMPLE:
    case SL_HUDI_KEYGEN_TIMESTAMP:
        if (n != 1)
            return sl_error_set(err, SL_EINVAL,
                                "the %s key generator takes one record key field, not %u: use the "
                                "complex key generator for composite keys",
                                kg == SL_HUDI_KEYGEN_SIMPLE ? "simple" : "timestamp-based", n);
        return append_simple_key(fields[0], &values[0], out, err);
    case SL_HUDI_KEYGEN_NONPARTITIONED:
    case SL_HUDI_KEYGEN_CUSTOM:
        if (n == 1)
            return append_simple_key(fields[0], &values[0], out, err);
        return append_complex_key(fields, values, n, out, err);
    case SL_HUDI_KEYGEN_COMPLEX:
        return append_complex_key(fields, values, n, out, err);
    }
    return sl_error_set(err, SL_EINVAL, "unknown key generator %d", (int)kg);
}

int sl_hudi_partition_path(const char *const *fields, const struct sl_hudi_key_value *values,
                           uint32_t n, bool hive_style, struct sl_buf *out, struct sl_error *err)
{
    size_t start;
    int rc = SL_OK;

    if (out == NULL || (n > 0 && (fields == NULL || values == NULL)))
        return sl_error_set(err, SL_EINVAL, "no partition fields or output given");
    start = out->len;
    for (uint32_t i = 0; i < n && rc == SL_OK; i++) {
        const struct sl_hudi_key_value *v = &values[i];
        if (fields[i] == NULL)
            return sl_error_set(err, SL_EINVAL, "partition field %u has no name", i);
        if (i > 0)
            rc = sl_buf_putc(out, '/');
        if (rc == SL_OK && hive_style) {
            rc = sl_buf_append_str(out, fields[i]);
            if (rc == SL_OK)
                rc = sl_buf_putc(out, '=');
        }
        if (rc != SL_OK)
            break;
        if (v->is_null || v->len == 0 || v->text == NULL)
            rc = sl_buf_append(out, DEFAULT_PARTITION, sizeof(DEFAULT_PARTITION) - 1);
        else
            rc = sl_buf_append(out, v->text, v->len);
    }
    if (rc != SL_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
        return sl_error_set(err, rc, "partition path too long");
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- time partitions */

const char *sl_hudi_time_unit_format(enum sl_hudi_time_unit unit)
{
    switch (unit) {
    case SL_HUDI_TIME_YEAR:
        return "yyyy";
    case SL_HUDI_TIME_MONTH:
        return "yyyy-MM";
    case SL_HUDI_TIME_DAY:
        return "yyyy-MM-dd";
    case SL_HUDI_TIME_HOUR:
        return "yyyy-MM-dd-HH";
    }
    return NULL;
}

/* Appends to out[*len] (cap bytes); false when it does not fit with its NUL. */
static bool put_text(char *out, size_t cap, size_t *len, const char *text, size_t n)
{
    if (n >= cap - *len)
        return false;
    memcpy(out + *len, text, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

size_t sl_hudi_time_format(int64_t micros, const char *pattern, char *out, size_t cap)
{
    /* TimeUnit.MILLISECONDS.convert(micros, MICROSECONDS) truncates toward zero */
    int64_t ms = micros / 1000;
    int64_t secs = sl_floor_div(ms, 1000), millis = ms - secs * 1000;
    int64_t days = sl_floor_div(secs, 86400), sod = secs - days * 86400;
    struct sl_civil_date date;
    size_t len = 0;
    const char *p = pattern;

    if (out == NULL || cap == 0 || pattern == NULL)
        return 0;
    out[0] = '\0';
    sl_civil_from_unix_days(days, &date);
    while (*p != '\0') {
        char text[32];
        int n;
        if (*p == '\'') {
            p++;
            if (*p == '\'') { /* '' is a quote */
                if (!put_text(out, cap, &len, "'", 1))
                    goto fail;
                p++;
                continue;
            }
            while (*p != '\0') {
                if (*p == '\'' && p[1] == '\'') {
                    if (!put_text(out, cap, &len, "'", 1))
                        goto fail;
                    p += 2;
                } else if (*p == '\'') {
                    p++;
                    break;
                } else {
                    if (!put_text(out, cap, &len, p, 1))
                        goto fail;
                    p++;
                }
            }
            continue;
        }
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
            size_t run = 1;
            while (p[run] == *p)
                run++;
            if (*p == 'y' && run == 4)
                n = date.year < 0 ? snprintf(text, sizeof(text), "-%04lld", -(long long)date.year)
                                  : snprintf(text, sizeof(text), "%04lld", (long long)date.year);
            else if (*p == 'M' && run == 2)
                n = snprintf(text, sizeof(text), "%02d", date.month);
            else if (*p == 'd' && run == 2)
                n = snprintf(text, sizeof(text), "%02d", date.day);
            else if (*p == 'H' && run == 2)
                n = snprintf(text, sizeof(text), "%02d", (int)(sod / 3600));
            else if (*p == 'm' && run == 2)
                n = snprintf(text, sizeof(text), "%02d", (int)(sod / 60 % 60));
            else if (*p == 's' && run == 2)
                n = snprintf(text, sizeof(text), "%02d", (int)(sod % 60));
            else if (*p == 'S' && run == 3)
                n = snprintf(text, sizeof(text), "%03d", (int)millis);
            else
                goto fail;
            if (n < 0 || !put_text(out, cap, &len, text, (size_t)n))
                goto fail;
            p += run;
            continue;
        }
        if (!put_text(out, cap, &len, p, 1))
            goto fail;
        p++;
    }
    return len;
fail:
    out[0] = '\0';
    return 0;
}

size_t sl_hudi_time_partition_value(int64_t micros, enum sl_hudi_time_unit unit, char *out,
                                    size_t cap)
{
    const char *format = sl_hudi_time_unit_format(unit);
    if (format == NULL) {
        if (out != NULL && cap > 0)
            out[0] = '\0';
        return 0;
    }
    return sl_hudi_time_format(micros, format, out, cap);
}

/* ---------------------------------------------------------------- value text */

static size_t finish_text(const char *text, size_t n, char *out, size_t cap)
{
    if (out == NULL || n >= cap) {
        if (out != NULL && cap > 0)
            out[0] = '\0';
        return 0;
    }
    memcpy(out, text, n);
    out[n] = '\0';
    return n;
}

size_t sl_hudi_key_text_int64(int64_t v, char *out, size_t cap)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%lld", (long long)v);
    return finish_text(text, (size_t)n, out, cap);
}

size_t sl_hudi_key_text_bool(bool v, char *out, size_t cap)
{
    return v ? finish_text("true", 4, out, cap) : finish_text("false", 5, out, cap);
}

/*
 * Java's Double/Float.toString: the shortest decimal digits that read back as
 * the same value, written plain for 1e-3 <= |v| < 1e7 (at least one digit
 * after the point) and as d.dddE<exp> otherwise.
 */
static size_t java_fp_text(double v, bool is_float, char *out, size_t cap)
{
    char sci[40], digits[24], text[64];
    int ndigits = 0, exp10 = 0, max_digits = is_float ? 9 : 17;
    size_t len = 0;
    bool neg = signbit(v) != 0;

    if (isnan(v))
        return finish_text("NaN", 3, out, cap);
    if (isinf(v))
        return neg ? finish_text("-Infinity", 9, out, cap) : finish_text("Infinity", 8, out, cap);
    if (v == 0)
        return neg ? finish_text("-0.0", 4, out, cap) : finish_text("0.0", 3, out, cap);
    for (int prec = 1; prec <= max_digits; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec - 1, fabs(v));
        if (is_float ? strtof(sci, NULL) == (float)fabs(v) : strtod(sci, NULL) == fabs(v))
            break;
    }
    /* d.dddE form always shows two digits: then they are the two closest ones
     * (4.9E-324, not 5.0E-324) */
    if ((fabs(v) < 1e-3 || fabs(v) >= 1e7) && sci[1] != '.')
        snprintf(sci, sizeof(sci), "%.1e", fabs(v));
    /* sci is d[.ddd]e[+-]xx */
    for (const char *s = sci; *s != '\0' && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[ndigits++] = *s;
    exp10 = atoi(strchr(sci, 'e') + 1);
    while (ndigits > 1 && digits[ndigits - 1] == '0')
        ndigits--;
    if (neg)
        text[len++] = '-';
    if (fabs(v) >= 1e-3 && fabs(v) < 1e7) {
        if (exp10 >= 0) {
            for (int i = 0; i <= exp10; i++)
                text[len++] = i < ndigits ? digits[i] : '0';
            text[len++] = '.';
            if (ndigits > exp10 + 1)
                for (int i = exp10 + 1; i < ndigits; i++)
                    text[len++] = digits[i];
            else
                text[len++] = '0';
        } else {
            text[len++] = '0';
            text[len++] = '.';
            for (int i = 0; i < -exp10 - 1; i++)
                text[len++] = '0';
            for (int i = 0; i < ndigits; i++)
                text[len++] = digits[i];
        }
    } else {
        text[len++] = digits[0];
        text[len++] = '.';
        if (ndigits > 1)
            for (int i = 1; i < ndigits; i++)
                text[len++] = digits[i];
        else
            text[len++] = '0';
        len += (size_t)snprintf(text + len, sizeof(text) - len, "E%d", exp10);
    }
    return finish_text(text, len, out, cap);
}

size_t sl_hudi_key_text_double(double v, char *out, size_t cap)
{
    return java_fp_text(v, false, out, cap);
}

size_t sl_hudi_key_text_float(float v, char *out, size_t cap)
{
    return java_fp_text((double)v, true, out, cap);
}

size_t sl_hudi_key_text_date(int32_t days, char *out, size_t cap)
{
    struct sl_civil_date date;
    long long year;
    char text[40];
    int n;

    sl_civil_from_unix_days(days, &date);
    year = (long long)date.year;
    /* LocalDate.toString: 4 digits (sign only when negative) below 10000, '+' above 9999 */
    if (year < 0 && year > -10000)
        n = snprintf(text, sizeof(text), "-%04lld-%02d-%02d", -year, date.month, date.day);
    else if (year > 9999)
        n = snprintf(text, sizeof(text), "+%lld-%02d-%02d", year, date.month, date.day);
    else if (year >= 0)
        n = snprintf(text, sizeof(text), "%04lld-%02d-%02d", year, date.month, date.day);
    else
        n = snprintf(text, sizeof(text), "%lld-%02d-%02d", year, date.month, date.day);
    return finish_text(text, (size_t)n, out, cap);
}

size_t sl_hudi_key_text_decimal(const uint8_t *big_endian, size_t nbytes, int32_t scale, char *out,
                                size_t cap)
{
    uint8_t mag[32];
    char digits[80], text[SL_HUDI_KEY_TEXT_MAX];
    size_t ndigits = 0, len = 0;
    bool neg, nonzero = true;
    int64_t adjusted;

    if (big_endian == NULL || nbytes == 0 || nbytes > sizeof(mag) || scale < 0 || scale > 1000)
        return finish_text("", 0, out, cap);
    neg = (big_endian[0] & 0x80) != 0;
    memcpy(mag, big_endian, nbytes);
    if (neg) { /* two's complement negation */
        unsigned carry = 1;
        for (size_t i = nbytes; i-- > 0;) {
            unsigned b = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)b;
            carry = b >> 8;
        }
    }
    /* digits by repeated division by 10, least significant first */
    while (nonzero) {
        unsigned rem = 0;
        nonzero = false;
        for (size_t i = 0; i < nbytes; i++) {
            unsigned cur = (rem << 8) | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            if (mag[i] != 0)
                nonzero = true;
        }
        digits[ndigits++] = (char)('0' + rem);
    }
    for (size_t i = 0; i < ndigits / 2; i++) {
        char t = digits[i];
        digits[i] = digits[ndigits - 1 - i];
        digits[ndigits - 1 - i] = t;
    }
    if (neg && !(ndigits == 1 && digits[0] == '0'))
        text[len++] = '-';
    /* BigDecimal.toString: plain when scale == 0 or the adjusted exponent >= -6 */
    adjusted = -(int64_t)scale + (int64_t)ndigits - 1;
    if (scale == 0) {
        memcpy(text + len, digits, ndigits);
        len += ndigits;
    } else if (adjusted >= -6) {
        if ((size_t)scale >= ndigits) {
            size_t pad = (size_t)scale - ndigits;
            if (len + 2 + pad + ndigits >= sizeof(text))
                return finish_text("", 0, out, cap);
            text[len++] = '0';
            text[len++] = '.';
            memset(text + len, '0', pad);
            len += pad;
            memcpy(text + len, digits, ndigits);
            len += ndigits;
        } else {
            size_t int_digits = ndigits - (size_t)scale;
            memcpy(text + len, digits, int_digits);
            len += int_digits;
            text[len++] = '.';
            memcpy(text + len, digits + int_digits, (size_t)scale);
            len += (size_t)scale;
        }
    } else {
        text[len++] = digits[0];
        if (ndigits > 1) {
            text[len++] = '.';
            memcpy(text + len, digits + 1, ndigits - 1);
            len += ndigits - 1;
        }
        len += (size_t)snprintf(text + len, sizeof(text) - len, "E%s%lld", adjusted > 0 ? "+" : "",
                                (long long)adjusted);
    }
    return finish_text(text, len, out, cap);
}

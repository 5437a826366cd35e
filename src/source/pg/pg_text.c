/*
 * Binary send format (binary COPY, binary pgoutput columns) -> the exact text PostgreSQL
 * prints with DateStyle=ISO, TimeZone=UTC, extra_float_digits=1. Pure: every length is
 * checked, nothing is allocated but the output buffer.
 */
#include "sluice/source_pg.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(double) == 8 && DBL_MANT_DIG == 53, "IEEE 754 binary64 double required");
_Static_assert(sizeof(float) == 4 && FLT_MANT_DIG == 24, "IEEE 754 binary32 float required");

#define USECS_PER_DAY INT64_C(86400000000)
#define USECS_PER_SEC INT64_C(1000000)

/* ---------------------------------------------------------------- bytes */

static uint16_t read_u16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t read_u64(const uint8_t *p)
{
    return (uint64_t)read_u32(p) << 32 | read_u32(p + 4);
}

/* Two's complement reinterpretation without implementation-defined casts. */
static int16_t as_i16(uint16_t v)
{
    return v <= INT16_MAX ? (int16_t)v : (int16_t)(-(int32_t)(UINT16_MAX - v) - 1);
}

static int32_t as_i32(uint32_t v)
{
    return v <= INT32_MAX ? (int32_t)v : (int32_t)(-(int64_t)(UINT32_MAX - v) - 1);
}

static int64_t as_i64(uint64_t v)
{
    return v <= INT64_MAX ? (int64_t)v : -(int64_t)(UINT64_MAX - v) - 1;
}

/* ---------------------------------------------------------------- output */

/* Appends v in decimal, zero-padded to at least width digits. */
static int put_u64(struct sl_buf *out, uint64_t v, int width)
{
    char digits[24];
    int n = 0;

    do {
        digits[sizeof(digits) - 1 - (size_t)n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width && n < (int)sizeof(digits))
        digits[sizeof(digits) - 1 - (size_t)n++] = '0';
    return sl_buf_append(out, digits + sizeof(digits) - (size_t)n, (size_t)n);
}

static int put_i64(struct sl_buf *out, int64_t v)
{
    int rc;

    if (v >= 0)
        return put_u64(out, (uint64_t)v, 1);
    rc = sl_buf_putc(out, '-');
    if (rc != SL_OK)
        return rc;
    return put_u64(out, 0 - (uint64_t)v, 1);
}

static int bad_length(struct sl_error *err, const char *type, size_t len, const char *expected)
{
    return sl_error_set(err, SL_EPROTO, "binary %s value has %zu bytes, expected %s", type, len,
                        expected);
}

/* ---------------------------------------------------------------- floats */

/*
 * Shortest round-trip digits, as PostgreSQL 12+ prints floats: the fewest
 * significant digits whose decimal lies strictly inside the value's rounding
 * interval (PostgreSQL excludes the interval's ends, the halfway points to
 * the neighbouring floats, even where round-half-even would read them back)
 * and, among those, the one closest to the exact value. We get the exact
 * value's leading digits once from the C library, round them to p digits and
 * let strtod (correctly rounded) judge whether they read back, then refuse a
 * decimal that is exactly a halfway point. If the p-digit rounding misses,
 * the only other p-digit candidate that can be inside is its upper neighbour
 * (the interval is never wider below a value than above it). Whether some
 * p-digit decimal is inside is monotonic in p, so p is found by bisection.
 */

/*
 * Digits asked from snprintf for rounding: more than the 17 a double needs,
 * so that only a dropped tail of exactly 5000... needs a second call.
 */
#define FLOAT_LONG_DIGITS 25

struct float_digits {
    char digits[FLOAT_LONG_DIGITS + 1];
    int ndigits;
    int exp10; /* value = d.ddd * 10^exp10 */
};

/* A positive finite float or double: value = mantissa * 2^exp2. */
struct float_value {
    double value;
    bool single;
    uint64_t mantissa;
    int exp2;
    bool lower_gap_smaller; /* a power of two: the float below is half as far */
};

/* Parses "d.ddd...e+XX" (any radix character) into digits and exponent. */
static bool parse_sci(const char *text, struct float_digits *out)
{
    const char *p = text;
    int exp10 = 0, exp_sign = 1;

    out->ndigits = 0;
    for (; *p != '\0' && *p != 'e' && *p != 'E'; p++) {
        if (*p >= '0' && *p <= '9' && out->ndigits < FLOAT_LONG_DIGITS)
            out->digits[out->ndigits++] = *p;
    }
    if (*p == '\0' || out->ndigits == 0)
        return false;
    p++;
    if (*p == '-' || *p == '+')
        exp_sign = *p++ == '-' ? -1 : 1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (exp10 < 10000)
            exp10 = exp10 * 10 + (*p - '0');
    }
    out->exp10 = exp_sign * exp10;
    return true;
}

/* Adds one unit in the last of d's digits; 999 becomes 100 with exp10 + 1. */
static void digits_increment(struct float_digits *d)
{
    int i = d->ndigits - 1;

    while (i >= 0 && d->digits[i] == '9')
        d->digits[i--] = '0';
    if (i >= 0) {
        d->digits[i]++;
    } else {
        d->digits[0] = '1';
        d->exp10++;
    }
}

/*
 * Is coefficient * 10^exp10 exactly odd * 2^exp2? Compares the powers of two
 * and the odd parts; the odd part of a decimal is its odd coefficient times
 * a power of five, which must fit in 64 bits to equal a float's.
 */
static bool decimal_equals(uint64_t coefficient, int exp10, uint64_t odd, int exp2)
{
    int twos = 0;

    if (coefficient == 0)
        return false;
    while ((coefficient & 1) == 0) {
        coefficient >>= 1;
        twos++;
    }
    if (twos + exp10 != exp2)
        return false;
    if (exp10 >= 0) {
        for (int i = 0; i < exp10; i++) {
            if (coefficient > odd / 5)
                return false;
            coefficient *= 5;
        }
        return coefficient == odd;
    }
    for (int i = 0; i < -exp10; i++) {
        if (odd > coefficient / 5)
            return false;
        odd *= 5;
    }
    return odd == coefficient;
}

/* Is d exactly halfway between fv and one of its neighbouring floats? */
static bool digits_on_bound(const struct float_digits *d, const struct float_value *fv)
{
    uint64_t coefficient = 0;
    int exp10 = d->exp10 - (d->ndigits - 1);

    for (int i = 0; i < d->ndigits; i++)
        coefficient = coefficient * 10 + (uint64_t)(d->digits[i] - '0');
    if (decimal_equals(coefficient, exp10, 2 * fv->mantissa + 1, fv->exp2 - 1))
        return true;
    if (fv->lower_gap_smaller)
        return decimal_equals(coefficient, exp10, 4 * fv->mantissa - 1, fv->exp2 - 2);
    return decimal_equals(coefficient, exp10, 2 * fv->mantissa - 1, fv->exp2 - 1);
}

/*
 * Is d strictly inside fv's rounding interval? *cmp tells on which side of
 * the value a decimal that is not inside lies. Writes "<digits>e<exp>" so no
 * locale radix character is involved.
 */
static bool digits_inside(const struct float_digits *d, const struct float_value *fv, int *cmp)
{
    char text[FLOAT_LONG_DIGITS + 16];
    size_t n = (size_t)d->ndigits;
    int exp10 = d->exp10 - (d->ndigits - 1);
    unsigned magnitude = (unsigned)(exp10 < 0 ? -exp10 : exp10);
    double back;

    memcpy(text, d->digits, n);
    text[n++] = 'e';
    if (exp10 < 0)
        text[n++] = '-';
    if (magnitude >= 100)
        text[n++] = (char)('0' + magnitude / 100 % 10);
    if (magnitude >= 10)
        text[n++] = (char)('0' + magnitude / 10 % 10);
    text[n++] = (char)('0' + magnitude % 10);
    text[n] = '\0';
    back = fv->single ? (double)strtof(text, NULL) : strtod(text, NULL);
    if (back != fv->value) {
        *cmp = back < fv->value ? -1 : 1;
        return false;
    }
    /* Reads back, but a halfway point only by round-half-even: PostgreSQL refuses it. */
    *cmp = 0;
    return !digits_on_bound(d, fv);
}

/*
 * The correctly rounded p-digit decimal of the value, from its long
 * expansion. Only when the dropped digits are exactly 5000... (a tie, or a
 * tail beyond what we asked for) do we ask the C library for p digits.
 */
static void round_digits(const struct float_digits *exact, double value, int p,
                         struct float_digits *out)
{
    bool up = false;

    memcpy(out->digits, exact->digits, (size_t)p);
    out->ndigits = p;
    out->exp10 = exact->exp10;
    if (p < exact->ndigits) {
        char first = exact->digits[p];
        if (first > '5') {
            up = true;
        } else if (first == '5') {
            bool rest_zero = true;
            for (int i = p + 1; i < exact->ndigits; i++)
                rest_zero = rest_zero && exact->digits[i] == '0';
            if (rest_zero) {
                char text[FLOAT_LONG_DIGITS + 24];
                struct float_digits again;
                snprintf(text, sizeof(text), "%.*e", p - 1, value);
                if (parse_sci(text, &again) && again.ndigits == p) {
                    *out = again;
                    return;
                }
            }
            up = true;
        }
    }
    if (up)
        digits_increment(out);
}

/* The p-digit decimal strictly inside the interval, if there is one. */
static bool digits_at(const struct float_digits *exact, const struct float_value *fv, int p,
                      struct float_digits *out)
{
    int cmp;

    round_digits(exact, fv->value, p, out);
    if (digits_inside(out, fv, &cmp))
        return true;
    if (cmp == 0) {
        /* On a bound: which side? The other neighbour may be inside. */
        struct float_digits up = *out;
        digits_increment(&up);
        if (digits_inside(&up, fv, &cmp)) {
            *out = up;
            return true;
        }
        return false;
    }
    if (cmp < 0) {
        digits_increment(out);
        return digits_inside(out, fv, &cmp);
    }
    return false;
}

static void shortest_digits(const struct float_value *fv, struct float_digits *out)
{
    char text[FLOAT_LONG_DIGITS + 24];
    struct float_digits exact;
    int lo = 1, hi = fv->single ? 9 : 17;

    snprintf(text, sizeof(text), "%.*e", FLOAT_LONG_DIGITS - 1, fv->value);
    if (!parse_sci(text, &exact)) {
        /* Cannot happen with a working C library; fall back to max precision. */
        snprintf(text, sizeof(text), "%.*e", hi - 1, fv->value);
        parse_sci(text, out);
        return;
    }
    /* Most doubles that did not start as short decimals need all digits: try that first. */
    if (!digits_at(&exact, fv, hi - 1, out))
        lo = hi;
    else
        hi--;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (digits_at(&exact, fv, mid, out))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (!digits_at(&exact, fv, hi, out))
        round_digits(&exact, fv->value, hi, out); /* max precision is always inside */
    while (out->ndigits > 1 && out->digits[out->ndigits - 1] == '0')
        out->ndigits--;
}

/*
 * Formats like PostgreSQL: exponential ("1e+15", "1.5e-05", at least two
 * exponent digits) when the decimal exponent is < -4 or >= 15 (float4: 6),
 * else positional without trailing zeros.
 */
static int put_float(struct sl_buf *out, bool negative, const struct float_value *fv)
{
    struct float_digits d;
    char text[64];
    size_t n = 0;
    int exp_limit = fv->single ? 6 : 15;

    shortest_digits(fv, &d);
    if (negative)
        text[n++] = '-';
    if (d.exp10 < -4 || d.exp10 >= exp_limit) {
        int e = d.exp10 < 0 ? -d.exp10 : d.exp10;
        text[n++] = d.digits[0];
        if (d.ndigits > 1) {
            text[n++] = '.';
            memcpy(text + n, d.digits + 1, (size_t)d.ndigits - 1);
            n += (size_t)d.ndigits - 1;
        }
        text[n++] = 'e';
        text[n++] = d.exp10 < 0 ? '-' : '+';
        if (e >= 100)
            text[n++] = (char)('0' + e / 100);
        text[n++] = (char)('0' + e / 10 % 10);
        text[n++] = (char)('0' + e % 10);
    } else if (d.exp10 < 0) {
        text[n++] = '0';
        text[n++] = '.';
        for (int i = 0; i < -d.exp10 - 1; i++)
            text[n++] = '0';
        memcpy(text + n, d.digits, (size_t)d.ndigits);
        n += (size_t)d.ndigits;
    } else {
        int int_digits = d.exp10 + 1;
        for (int i = 0; i < int_digits; i++)
            text[n++] = i < d.ndigits ? d.digits[i] : '0';
        if (d.ndigits > int_digits) {
            text[n++] = '.';
            memcpy(text + n, d.digits + int_digits, (size_t)(d.ndigits - int_digits));
            n += (size_t)(d.ndigits - int_digits);
        }
    }
    return sl_buf_append(out, text, n);
}

/*
 * Special values, then the value as mantissa * 2^exp2 from its IEEE fields
 * (mantissa_bits 23 or 52, exponent bias 127 or 1023).
 */
static int float_text(struct sl_buf *out, bool negative, uint32_t biased_exp, uint64_t fraction,
                      double magnitude, bool single)
{
    int mantissa_bits = single ? 23 : 52, bias = single ? 127 : 1023;
    uint32_t exp_all_ones = single ? 0xff : 0x7ff;
    struct float_value fv;
    int saved_errno, rc;

    if (biased_exp == exp_all_ones) {
        if (fraction != 0)
            return sl_buf_append_str(out, "NaN");
        return sl_buf_append_str(out, negative ? "-Infinity" : "Infinity");
    }
    if (biased_exp == 0 && fraction == 0)
        return sl_buf_append_str(out, negative ? "-0" : "0");
    fv.value = magnitude;
    fv.single = single;
    if (biased_exp == 0) { /* subnormal */
        fv.mantissa = fraction;
        fv.exp2 = 1 - bias - mantissa_bits;
    } else {
        fv.mantissa = UINT64_C(1) << mantissa_bits | fraction;
        fv.exp2 = (int)biased_exp - bias - mantissa_bits;
    }
    fv.lower_gap_smaller = fraction == 0 && biased_exp > 1;
    /* strtod may set ERANGE on subnormals; a pure function leaves errno alone. */
    saved_errno = errno;
    rc = put_float(out, negative, &fv);
    errno = saved_errno;
    return rc;
}

static int float4_text(const uint8_t *bin, struct sl_buf *out)
{
    uint32_t bits = read_u32(bin), magnitude_bits = bits & 0x7fffffff;
    float magnitude;

    memcpy(&magnitude, &magnitude_bits, sizeof(magnitude));
    return float_text(out, bits >> 31 != 0, bits >> 23 & 0xff, bits & 0x7fffff, magnitude, true);
}

static int float8_text(const uint8_t *bin, struct sl_buf *out)
{
    uint64_t bits = read_u64(bin), magnitude_bits = bits & ~(UINT64_C(1) << 63);
    double magnitude;

    memcpy(&magnitude, &magnitude_bits, sizeof(magnitude));
    return float_text(out, bits >> 63 != 0, (uint32_t)(bits >> 52 & 0x7ff),
                      bits & UINT64_C(0xfffffffffffff), magnitude, false);
}

/* ---------------------------------------------------------------- numeric */

#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000
#define NUMERIC_NAN 0xC000
#define NUMERIC_PINF 0xD000
#define NUMERIC_NINF 0xF000
#define NUMERIC_DSCALE_MAX 0x3FFF /* PostgreSQL refuses larger display scales */
#define NUMERIC_HEADER 8

/*
 * Base-10000 digit at power `pos` (value = sum digit * 10000^pos); the
 * first stored digit has power `weight`, absent ones are zero.
 */
static unsigned numeric_group(const uint8_t *bin, int ndigits, int weight, int pos)
{
    int i = weight - pos;
    if (i < 0 || i >= ndigits)
        return 0;
    return read_u16(bin + NUMERIC_HEADER + 2 * (size_t)i);
}

static const unsigned pow10_small[5] = {1, 10, 100, 1000, 10000};

/*
 * Prints like numeric_out: the integer part without leading zeros, then
 * exactly dscale fraction digits. Digits beyond dscale are cut, not rounded
 * (as the server does when it receives such a value), and a value that prints
 * as zero has no minus sign.
 */
static int numeric_text(const uint8_t *bin, size_t len, struct sl_buf *out, struct sl_error *err)
{
    int ndigits, weight, dscale;
    unsigned sign;
    bool nonzero = false, started = false;
    char group_text[4];
    int rc;

    if (len < NUMERIC_HEADER)
        return bad_length(err, "numeric", len, "at least 8");
    ndigits = as_i16(read_u16(bin));
    weight = as_i16(read_u16(bin + 2));
    sign = read_u16(bin + 4);
    dscale = read_u16(bin + 6);
    if (ndigits < 0)
        return sl_error_set(err, SL_EPROTO, "binary numeric value has negative digit count %d",
                            ndigits);
    if (len != NUMERIC_HEADER + 2 * (size_t)ndigits)
        return sl_error_set(err, SL_EPROTO,
                            "binary numeric value has %zu bytes, expected %zu for %d digits", len,
                            NUMERIC_HEADER + 2 * (size_t)ndigits, ndigits);
    if (sign != NUMERIC_POS && sign != NUMERIC_NEG && sign != NUMERIC_NAN &&
        sign != NUMERIC_PINF && sign != NUMERIC_NINF)
        return sl_error_set(err, SL_EPROTO, "binary numeric value has invalid sign 0x%04x", sign);
    if (dscale > NUMERIC_DSCALE_MAX)
        return sl_error_set(err, SL_EPROTO, "binary numeric value has invalid scale %d", dscale);
    for (int i = 0; i < ndigits; i++) {
        unsigned digit = read_u16(bin + NUMERIC_HEADER + 2 * (size_t)i);
        if (digit > 9999)
            return sl_error_set(err, SL_EPROTO,
                                "binary numeric value has invalid base-10000 digit %u at %d",
                                digit, i);
    }
    if (sign == NUMERIC_NAN)
        return sl_buf_append_str(out, "NaN");
    if (sign == NUMERIC_PINF)
        return sl_buf_append_str(out, "Infinity");
    if (sign == NUMERIC_NINF)
        return sl_buf_append_str(out, "-Infinity");

    /* Is any printed digit nonzero? Decides the sign of a negative zero. */
    for (int i = 0; i < ndigits && !nonzero; i++) {
        unsigned digit = read_u16(bin + NUMERIC_HEADER + 2 * (size_t)i);
        int pos = weight - i;
        int shown = pos >= 0 ? 4 : SL_MAX(0, SL_MIN(4, dscale + 4 * (pos + 1)));
        nonzero = digit / pow10_small[4 - shown] != 0;
    }
    if (sign == NUMERIC_NEG && nonzero) {
        rc = sl_buf_putc(out, '-');
        if (rc != SL_OK)
            return rc;
    }

    for (int pos = SL_MAX(weight, 0); pos >= 0; pos--) {
        unsigned group = numeric_group(bin, ndigits, weight, pos);
        if (!started) {
            if (group == 0 && pos > 0)
                continue;
            rc = put_u64(out, group, 1);
            started = true;
        } else {
            rc = put_u64(out, group, 4);
        }
        if (rc != SL_OK)
            return rc;
    }
    if (dscale > 0) {
        rc = sl_buf_putc(out, '.');
        if (rc != SL_OK)
            return rc;
        for (int pos = -1, left = dscale; left > 0; pos--, left -= 4) {
            unsigned group = numeric_group(bin, ndigits, weight, pos);
            for (int k = 3; k >= 0; k--) {
                group_text[k] = (char)('0' + group % 10);
                group /= 10;
            }
            rc = sl_buf_append(out, group_text, (size_t)SL_MIN(left, 4));
            if (rc != SL_OK)
                return rc;
        }
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- dates */

/* PostgreSQL counts days from 2000-01-01. */
#define UNIX_DAYS_AT_2000_01_01 INT64_C(10957)


/* "YYYY-MM-DD"; *bc tells whether the caller must append " BC". */
/* Writes v in decimal, zero-padded to at least width digits, at p; returns the end. */
static char *write_u64(char *p, uint64_t v, int width)
{
    char digits[24];
    int n = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width)
        digits[n++] = '0';
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

/* Writes "YYYY-MM-DD" (year of era, at least 4 digits) at p; returns the end. */
static char *write_date(char *p, int64_t days, bool *bc)
{
    struct sl_civil_date date;

    sl_civil_from_unix_days(days + UNIX_DAYS_AT_2000_01_01, &date);
    *bc = date.year <= 0;
    p = write_u64(p, date.year > 0 ? (uint64_t)date.year : (uint64_t)(1 - date.year), 4);
    *p++ = '-';
    *p++ = (char)('0' + date.month / 10);
    *p++ = (char)('0' + date.month % 10);
    *p++ = '-';
    *p++ = (char)('0' + date.day / 10);
    *p++ = (char)('0' + date.day % 10);
    return p;
}

/* Writes "HH:MM:SS[.ffffff]" (trailing zeros of the fraction dropped) at p. */
static char *write_time(char *p, int64_t usecs)
{
    int64_t secs = usecs / USECS_PER_SEC;
    int fraction = (int)(usecs % USECS_PER_SEC);
    int hour = (int)(secs / 3600), minute = (int)(secs / 60 % 60), second = (int)(secs % 60);

    *p++ = (char)('0' + hour / 10);
    *p++ = (char)('0' + hour % 10);
    *p++ = ':';
    *p++ = (char)('0' + minute / 10);
    *p++ = (char)('0' + minute % 10);
    *p++ = ':';
    *p++ = (char)('0' + second / 10);
    *p++ = (char)('0' + second % 10);
    if (fraction != 0) {
        int digits = 6;
        while (fraction % 10 == 0) {
            fraction /= 10;
            digits--;
        }
        *p++ = '.';
        for (int i = digits - 1; i >= 0; i--) {
            p[i] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        p += digits;
    }
    return p;
}

static int put_date(struct sl_buf *out, int64_t days, bool *bc)
{
    char text[32];
    char *end = write_date(text, days, bc);
    return sl_buf_append(out, text, (size_t)(end - text));
}

static int put_time(struct sl_buf *out, int64_t usecs)
{
    char text[24];
    char *end = write_time(text, usecs);
    return sl_buf_append(out, text, (size_t)(end - text));
}

static int date_text(const uint8_t *bin, struct sl_buf *out)
{
    int32_t days = as_i32(read_u32(bin));
    bool bc;
    int rc;

    if (days == INT32_MIN)
        return sl_buf_append_str(out, "-infinity");
    if (days == INT32_MAX)
        return sl_buf_append_str(out, "infinity");
    rc = put_date(out, days, &bc);
    if (rc == SL_OK && bc)
        rc = sl_buf_append_str(out, " BC");
    return rc;
}

static int time_text(const uint8_t *bin, struct sl_buf *out, struct sl_error *err)
{
    int64_t usecs = as_i64(read_u64(bin));

    if (usecs < 0 || usecs > USECS_PER_DAY)
        return sl_error_set(err, SL_EPROTO, "binary time value %lld is out of range",
                            (long long)usecs);
    return put_time(out, usecs);
}

static int timestamp_text(const uint8_t *bin, bool with_zone, struct sl_buf *out)
{
    int64_t usecs = as_i64(read_u64(bin));
    int64_t days = usecs / USECS_PER_DAY, time_of_day = usecs % USECS_PER_DAY;
    char text[64];
    char *p;
    bool bc;

    if (usecs == INT64_MIN)
        return sl_buf_append_str(out, "-infinity");
    if (usecs == INT64_MAX)
        return sl_buf_append_str(out, "infinity");
    if (time_of_day < 0) { /* floor, without overflowing near INT64_MIN */
        days--;
        time_of_day += USECS_PER_DAY;
    }
    p = write_date(text, days, &bc);
    *p++ = ' ';
    p = write_time(p, time_of_day);
    if (with_zone) {
        memcpy(p, "+00", 3);
        p += 3;
    }
    if (bc) {
        memcpy(p, " BC", 3);
        p += 3;
    }
    return sl_buf_append(out, text, (size_t)(p - text));
}

/* ---------------------------------------------------------------- bytes as text */

static const char hex_digits[] = "0123456789abcdef";

static int uuid_text(const uint8_t *bin, struct sl_buf *out)
{
    char text[36];
    size_t n = 0;

    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text[n++] = '-';
        text[n++] = hex_digits[bin[i] >> 4];
        text[n++] = hex_digits[bin[i] & 0xf];
    }
    return sl_buf_append(out, text, n);
}

static int bytea_text(const uint8_t *bin, size_t len, struct sl_buf *out)
{
    char *dst;
    int rc;

    if (len > (SIZE_MAX - 2) / 2)
        return SL_ELIMIT;
    rc = sl_buf_reserve(out, 2 + 2 * len);
    if (rc != SL_OK)
        return rc;
    dst = out->data + out->len;
    *dst++ = '\\';
    *dst++ = 'x';
    for (size_t i = 0; i < len; i++) {
        *dst++ = hex_digits[bin[i] >> 4];
        *dst++ = hex_digits[bin[i] & 0xf];
    }
    out->len += 2 + 2 * len;
    out->data[out->len] = '\0';
    return SL_OK;
}

/*
 * The single-byte "char" type: since PostgreSQL 15 a byte with the high bit
 * set prints as a backslash and three octal digits; a zero byte prints as
 * nothing.
 */
static int char_text(const uint8_t *bin, struct sl_buf *out)
{
    uint8_t c = bin[0];
    char text[4];

    if (c == 0)
        return SL_OK;
    if (c < 0x80)
        return sl_buf_putc(out, (char)c);
    text[0] = '\\';
    text[1] = (char)('0' + (c >> 6));
    text[2] = (char)('0' + (c >> 3 & 7));
    text[3] = (char)('0' + (c & 7));
    return sl_buf_append(out, text, sizeof(text));
}

/* ---------------------------------------------------------------- dispatch */

bool sl_pg_text_binary_supported(uint32_t base_type_oid)
{
    switch (base_type_oid) {
    case SL_PG_OID_BOOL:
    case SL_PG_OID_BYTEA:
    case SL_PG_OID_CHAR:
    case SL_PG_OID_NAME:
    case SL_PG_OID_INT8:
    case SL_PG_OID_INT2:
    case SL_PG_OID_INT4:
    case SL_PG_OID_TEXT:
    case SL_PG_OID_OID:
    case SL_PG_OID_JSON:
    case SL_PG_OID_FLOAT4:
    case SL_PG_OID_FLOAT8:
    case SL_PG_OID_BPCHAR:
    case SL_PG_OID_VARCHAR:
    case SL_PG_OID_DATE:
    case SL_PG_OID_TIME:
    case SL_PG_OID_TIMESTAMP:
    case SL_PG_OID_TIMESTAMPTZ:
    case SL_PG_OID_NUMERIC:
    case SL_PG_OID_UUID:
    case SL_PG_OID_JSONB:
        return true;
    default:
        return false;
    }
}

static int convert(uint32_t oid, const uint8_t *bin, size_t len, struct sl_buf *out,
                   struct sl_error *err)
{
    switch (oid) {
    case SL_PG_OID_BOOL:
        if (len != 1)
            return bad_length(err, "bool", len, "1");
        return sl_buf_putc(out, bin[0] != 0 ? 't' : 'f');
    case SL_PG_OID_INT2:
        if (len != 2)
            return bad_length(err, "int2", len, "2");
        return put_i64(out, as_i16(read_u16(bin)));
    case SL_PG_OID_INT4:
        if (len != 4)
            return bad_length(err, "int4", len, "4");
        return put_i64(out, as_i32(read_u32(bin)));
    case SL_PG_OID_INT8:
        if (len != 8)
            return bad_length(err, "int8", len, "8");
        return put_i64(out, as_i64(read_u64(bin)));
    case SL_PG_OID_OID:
        if (len != 4)
            return bad_length(err, "oid", len, "4");
        return put_u64(out, read_u32(bin), 1);
    case SL_PG_OID_FLOAT4:
        if (len != 4)
            return bad_length(err, "float4", len, "4");
        return float4_text(bin, out);
    case SL_PG_OID_FLOAT8:
        if (len != 8)
            return bad_length(err, "float8", len, "8");
        return float8_text(bin, out);
    case SL_PG_OID_NUMERIC:
        return numeric_text(bin, len, out, err);
    case SL_PG_OID_DATE:
        if (len != 4)
            return bad_length(err, "date", len, "4");
        return date_text(bin, out);
    case SL_PG_OID_TIME:
        if (len != 8)
            return bad_length(err, "time", len, "8");
        return time_text(bin, out, err);
    case SL_PG_OID_TIMESTAMP:
        if (len != 8)
            return bad_length(err, "timestamp", len, "8");
        return timestamp_text(bin, false, out);
    case SL_PG_OID_TIMESTAMPTZ:
        if (len != 8)
            return bad_length(err, "timestamptz", len, "8");
        return timestamp_text(bin, true, out);
    case SL_PG_OID_UUID:
        if (len != 16)
            return bad_length(err, "uuid", len, "16");
        return uuid_text(bin, out);
    case SL_PG_OID_BYTEA:
        return bytea_text(bin, len, out);
    case SL_PG_OID_CHAR:
        if (len != 1)
            return bad_length(err, "\"char\"", len, "1");
        return char_text(bin, out);
    case SL_PG_OID_TEXT:
    case SL_PG_OID_VARCHAR:
    case SL_PG_OID_BPCHAR:
    case SL_PG_OID_NAME:
    case SL_PG_OID_JSON:
        return sl_buf_append(out, bin, len);
    case SL_PG_OID_JSONB:
        if (len < 1)
            return bad_length(err, "jsonb", len, "at least 1");
        if (bin[0] != 1)
            return sl_error_set(err, SL_EPROTO,
                                "binary jsonb value has format version %u, only 1 is supported",
                                (unsigned)bin[0]);
        return sl_buf_append(out, bin + 1, len - 1);
    default:
        return sl_error_set(err, SL_EINVAL,
                            "no binary-to-text conversion for type OID %lu; "
                            "receive this type in text format",
                            (unsigned long)oid);
    }
}

int sl_pg_text_from_binary(uint32_t base_type_oid, const uint8_t *bin, size_t len,
                           struct sl_buf *out, struct sl_error *err)
{
    size_t start;
    int rc;

    if (out == NULL || (bin == NULL && len > 0))
        return sl_error_set(err, SL_EINVAL, "sl_pg_text_from_binary: missing argument");
    start = out->len;
    rc = convert(base_type_oid, bin, len, out, err);
    if (rc != SL_OK) {
        /* Leave the buffer as it was: no half-written value. */
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
        if (rc == SL_ELIMIT)
            sl_error_set(err, rc,
                         "text form of a binary value (type OID %lu, %zu bytes) does not fit "
                         "in the output buffer limit of %zu bytes",
                         (unsigned long)base_type_oid, len, out->max);
        else if (rc == SL_ENOMEM)
            sl_error_set(err, rc, "out of memory for the text form of a type OID %lu value",
                         (unsigned long)base_type_oid);
    }
    return rc;
}

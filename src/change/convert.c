/*
 * PostgreSQL text forms -> typed values for Parquet columns (DESIGN.md section 6).
 * The text is what `sluice tail` emits under the replication session's settings
 * (DateStyle=ISO, TimeZone=UTC, extra_float_digits=1; see SL_PG_SESSION_OPTIONS),
 * so these parse PostgreSQL's output forms, plus the obvious input variants its
 * input functions accept. Pure and on the write path: no allocation, no locale.
 */
#include "sluice/change.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(double) == 8 && DBL_MANT_DIG == 53, "IEEE 754 binary64 double required");
_Static_assert(sizeof(float) == 4 && FLT_MANT_DIG == 24, "IEEE 754 binary32 float required");

/*
 * The exact fast path for short float texts needs each operation rounded once
 * in its own type (no x87 extended precision).
 */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define FAST_FLOAT_PATH 1
#else
#define FAST_FLOAT_PATH 0
#endif

#define USECS_PER_SEC INT64_C(1000000)
#define USECS_PER_DAY INT64_C(86400000000)
/* Longest float text handed to strtod; PostgreSQL prints at most 24 characters. */
#define FLOAT_TEXT_MAX 1024

/* ---------------------------------------------------------------- helpers */

/* isspace() of the C locale, without the locale. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **text, size_t *len)
{
    const char *s = *text;
    size_t n = *len;
    while (n > 0 && is_space(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    *text = s;
    *len = n;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive equality of text with a lower-case word. */
static bool equals_ci(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(text[i]) != word[i])
            return false;
    return true;
}

/* text (len >= min_len) is a case-insensitive prefix of word. */
static bool prefix_ci(const char *text, size_t len, const char *word, size_t min_len)
{
    size_t n = strlen(word);
    if (len < min_len || len > n)
        return false;
    for (size_t i = 0; i < len; i++)
        if (lower(text[i]) != word[i])
            return false;
    return true;
}

/* ---------------------------------------------------------------- bool */

/* As PostgreSQL's parse_bool_with_len (boolin): unique prefixes, any case. */
int sl_pg_text_to_bool(const char *text, size_t len, bool *out)
{
    if (len == 1 && (text[0] == 't' || text[0] == 'f')) { /* the output form */
        *out = text[0] == 't';
        return SL_OK;
    }
    trim(&text, &len);
    if (len == 0)
        return SL_EINVAL;
    switch (lower(text[0])) {
    case 't':
    case 'y':
    case '1':
        if (prefix_ci(text, len, "true", 1) || prefix_ci(text, len, "yes", 1) ||
            (len == 1 && text[0] == '1')) {
            *out = true;
            return SL_OK;
        }
        break;
    case 'f':
    case 'n':
    case '0':
        if (prefix_ci(text, len, "false", 1) || prefix_ci(text, len, "no", 1) ||
            (len == 1 && text[0] == '0')) {
            *out = false;
            return SL_OK;
        }
        break;
    case 'o': /* "o" alone is ambiguous */
        if (prefix_ci(text, len, "on", 2)) {
            *out = true;
            return SL_OK;
        }
        if (prefix_ci(text, len, "off", 2)) {
            *out = false;
            return SL_OK;
        }
        break;
    }
    return SL_EINVAL;
}

/* ---------------------------------------------------------------- integers */

int sl_pg_text_to_int64(const char *text, size_t len, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool negative = false, overflow = false;
    uint64_t v = 0;
    int64_t value;

    trim(&text, &len);
    if (i < len && (text[i] == '-' || text[i] == '+')) {
        negative = text[i] == '-';
        i++;
    }
    if (i == len)
        return SL_EINVAL;
    for (; i < len; i++) {
        if (!is_digit(text[i]))
            return SL_EINVAL;
        unsigned d = (unsigned)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (overflow || v > (negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return SL_ELIMIT;
    /* two's complement without the implementation-defined conversion */
    value = negative ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
    if (value < min || value > max)
        return SL_ELIMIT;
    *out = value;
    return SL_OK;
}

/* ---------------------------------------------------------------- floats */

/* What a decimal float text looks like, found by one scan. */
struct float_text {
    bool negative;
    bool special;       /* NaN or infinity */
    double special_value;
    uint64_t mantissa;  /* up to 19 significant digits */
    int sig_digits;     /* significant digits in the text (mantissa exact when <= 19) */
    long exp10;         /* value = mantissa * 10^exp10 when sig_digits <= 19 */
};

/*
 * Accepts what float8in/float4in accept of decimal text: [sign] digits [. digits]
 * [e [sign] digits] (also "1." and ".5"), NaN, Infinity and inf in any case.
 * Hex floats, which strtod would take, are refused.
 */
static int scan_float(const char *s, size_t n, struct float_text *ft)
{
    size_t i = 0;
    int digits = 0;
    long exp_adjust = 0, exponent = 0;

    memset(ft, 0, sizeof(*ft));
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        ft->negative = s[0] == '-';
        i = 1;
    }
    if (i < n && !is_digit(s[i]) && s[i] != '.') {
        if (i == 0 && equals_ci(s, n, "nan")) {
            ft->special = true;
            ft->special_value = NAN;
            return SL_OK;
        }
        if (equals_ci(s + i, n - i, "infinity") || equals_ci(s + i, n - i, "inf")) {
            ft->special = true;
            ft->special_value = ft->negative ? -INFINITY : INFINITY;
            return SL_OK;
        }
        return SL_EINVAL;
    }
    for (; i < n && is_digit(s[i]); i++, digits++) {
        if (ft->sig_digits == 0 && s[i] == '0')
            continue;
        if (ft->sig_digits < 19)
            ft->mantissa = ft->mantissa * 10 + (uint64_t)(s[i] - '0');
        else
            exp_adjust++;
        ft->sig_digits++;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && is_digit(s[i]); i++, digits++) {
            if (ft->sig_digits == 0 && s[i] == '0') {
                exp_adjust--;
                continue;
            }
            if (ft->sig_digits < 19) {
                ft->mantissa = ft->mantissa * 10 + (uint64_t)(s[i] - '0');
                exp_adjust--;
            }
            ft->sig_digits++;
        }
    }
    if (digits == 0)
        return SL_EINVAL;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        bool exp_negative = false;
        size_t start;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            exp_negative = s[i] == '-';
            i++;
        }
        start = i;
        for (; i < n && is_digit(s[i]); i++)
            if (exponent < 100000) /* saturate: far beyond any double */
                exponent = exponent * 10 + (s[i] - '0');
        if (i == start)
            return SL_EINVAL;
        if (exp_negative)
            exponent = -exponent;
    }
    if (i != n)
        return SL_EINVAL;
    ft->exp10 = exponent + exp_adjust;
    return SL_OK;
}

/* The powers of ten that are doubles exactly. */
static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod/strtof of the trimmed text in a NUL-terminated copy. */
static int parse_slow(const char *s, size_t n, bool single, double *out_double, float *out_float)
{
    char buf[FLOAT_TEXT_MAX + 1];
    char *end = NULL;

    if (n > FLOAT_TEXT_MAX)
        return SL_ELIMIT; /* longer than any text PostgreSQL prints; not worth a copy */
    memcpy(buf, s, n);
    buf[n] = '\0';
    /*
     * glibc's strtod and strtof are correctly rounded, so every shortest text
     * reads back to its value. They follow LC_NUMERIC, and sluice never calls
     * setlocale(), so the C locale ('.' as decimal point) is in force.
     */
    errno = 0;
    if (single)
        *out_float = strtof(buf, &end);
    else
        *out_double = strtod(buf, &end);
    if (end != buf + n)
        return SL_EINVAL;
    return SL_OK;
}

int sl_pg_text_to_double(const char *text, size_t len, double *out)
{
    struct float_text ft;
    double value = 0;
    int rc;

    trim(&text, &len);
    rc = scan_float(text, len, &ft);
    if (rc != SL_OK)
        return rc;
    if (ft.special) {
        *out = ft.special_value;
        return SL_OK;
    }
    if (ft.sig_digits == 0) {
        *out = ft.negative ? -0.0 : 0.0;
        return SL_OK;
    }
    if (FAST_FLOAT_PATH && ft.sig_digits <= 19 && ft.mantissa <= (UINT64_C(1) << 53) &&
        ft.exp10 >= -22 && ft.exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one correctly rounded operation */
        value = (double)ft.mantissa;
        value = ft.exp10 >= 0 ? value * POW10[ft.exp10] : value / POW10[-ft.exp10];
    } else {
        rc = parse_slow(text, len, false, &value, NULL);
        if (rc != SL_OK)
            return rc;
        /* as float8in: overflow and underflow to zero are errors, subnormals are not */
        if (isinf(value) || value == 0)
            return SL_ELIMIT;
        value = fabs(value);
    }
    *out = ft.negative ? -value : value;
    return SL_OK;
}

/*
 * Texts of up to ~16 digits (float4 texts have at most 9): the double nearest to the
 * decimal (Clinger's fast path), then rounded to float. Rounding twice is only wrong
 * when the double lands exactly halfway between two floats (no other double lies
 * between the true value and such a midpoint, midpoints being doubles), so those are
 * left to strtof. The magnitudes here (1e-22 .. 1e38) are all normal floats.
 */
static bool double_to_float_once(const struct float_text *ft, float *out)
{
    double d = (double)ft->mantissa;
    uint64_t bits;

    d = ft->exp10 >= 0 ? d * POW10[ft->exp10] : d / POW10[-ft->exp10];
    if (d > FLT_MAX)
        return false;
    memcpy(&bits, &d, sizeof(bits));
    if ((bits & ((UINT64_C(1) << 29) - 1)) == UINT64_C(1) << 28)
        return false; /* exactly a float midpoint: may be a tie only after rounding */
    *out = (float)d;
    return true;
}

int sl_pg_text_to_float(const char *text, size_t len, float *out)
{
    static const float pow10f[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                     1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    struct float_text ft;
    float value = 0;
    int rc;

    trim(&text, &len);
    rc = scan_float(text, len, &ft);
    if (rc != SL_OK)
        return rc;
    if (ft.special) {
        *out = (float)ft.special_value;
        return SL_OK;
    }
    if (ft.sig_digits == 0) {
        *out = ft.negative ? -0.0f : 0.0f;
        return SL_OK;
    }
    if (FAST_FLOAT_PATH && ft.sig_digits <= 19 && ft.mantissa <= (UINT64_C(1) << 24) &&
        ft.exp10 >= -10 && ft.exp10 <= 10) {
        value = (float)ft.mantissa;
        value = ft.exp10 >= 0 ? value * pow10f[ft.exp10] : value / pow10f[-ft.exp10];
    } else if (FAST_FLOAT_PATH && ft.sig_digits <= 19 && ft.mantissa <= (UINT64_C(1) << 53) &&
               ft.exp10 >= -22 && ft.exp10 <= 22 && double_to_float_once(&ft, &value)) {
        /* the correctly rounded double, rounded once more to float without harm */
    } else {
        rc = parse_slow(text, len, true, NULL, &value);
        if (rc != SL_OK)
            return rc;
        if (isinf(value) || value == 0)
            return SL_ELIMIT;
        value = fabsf(value);
    }
    *out = ft.negative ? -value : value;
    return SL_OK;
}

/* ---------------------------------------------------------------- numeric */

/* An unsigned 128-bit integer as two halves (C11 has no portable 128-bit type). */
struct u128 {
    uint64_t hi, lo;
};

/* u = u * 10 + digit; the caller keeps u below 10^38. */
static void u128_push_digit(struct u128 *u, unsigned digit)
{
    if (u->hi == 0 && u->lo < UINT64_MAX / 10 - 9) { /* up to 19 digits: one word */
        u->lo = u->lo * 10 + digit;
        return;
    }
    uint64_t low = (u->lo & 0xffffffffu) * 10 + digit;
    uint64_t high = (u->lo >> 32) * 10 + (low >> 32);
    u->lo = high << 32 | (low & 0xffffffffu);
    u->hi = u->hi * 10 + (high >> 32);
}

static void u128_increment(struct u128 *u)
{
    if (++u->lo == 0)
        u->hi++;
}

int sl_pg_text_to_decimal(const char *text, size_t len, int32_t precision, int32_t scale,
                          uint8_t *out, size_t width)
{
    size_t i = 0, int_start, int_end, frac_start, frac_end;
    bool negative = false, all_nines = true;
    long exponent = 0, w, lead = 0, last_weight;
    bool have_lead = false;
    unsigned round_digit = 0;
    struct u128 u = {0, 0};
    uint8_t bytes[16];

    if (precision < 1 || precision > 38 || scale < 0 || scale > precision || width < 1 ||
        width > 16)
        return SL_EINVAL;
    trim(&text, &len);
    if (i < len && (text[i] == '-' || text[i] == '+')) {
        negative = text[i] == '-';
        i++;
    }
    int_start = i;
    while (i < len && is_digit(text[i]))
        i++;
    int_end = frac_start = frac_end = i;
    if (i < len && text[i] == '.') {
        frac_start = ++i;
        while (i < len && is_digit(text[i]))
            i++;
        frac_end = i;
    }
    if (int_end == int_start && frac_end == frac_start)
        return SL_EINVAL; /* no digits: also NaN and Infinity */
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        bool exp_negative = false;
        size_t start;
        i++;
        if (i < len && (text[i] == '-' || text[i] == '+')) {
            exp_negative = text[i] == '-';
            i++;
        }
        start = i;
        for (; i < len && is_digit(text[i]); i++)
            if (exponent < 100000000) /* saturate far beyond 38 digits */
                exponent = exponent * 10 + (text[i] - '0');
        if (i == start)
            return SL_EINVAL;
        if (exp_negative)
            exponent = -exponent;
    }
    if (i != len)
        return SL_EINVAL;

    /*
     * Digit k of the text has weight w (it counts 10^w); the unscaled value keeps
     * digits with w >= -scale, the digit at -scale - 1 decides the rounding.
     */
    w = (long)(int_end - int_start) - 1 + exponent;
    for (size_t k = int_start; k < frac_end; k++) {
        if (k == int_end) {
            k = frac_start;
            if (k == frac_end)
                break;
        }
        unsigned d = (unsigned)(text[k] - '0');
        if (!have_lead && d != 0) {
            have_lead = true;
            lead = w;
            if (lead + scale + 1 > precision)
                return SL_ELIMIT; /* more integer digits than precision - scale */
        }
        if (w >= -(long)scale) {
            if (have_lead) {
                u128_push_digit(&u, d);
                all_nines = all_nines && d == 9;
            }
        } else if (w == -(long)scale - 1) {
            round_digit = d;
        } else {
            break; /* beyond the rounding digit nothing matters (half away from zero) */
        }
        w--;
    }
    last_weight = w + 1; /* weight of the last digit looked at */
    if (have_lead && last_weight > -(long)scale) {
        /* fewer fraction digits than scale: append zeros (the digit count was checked) */
        for (long k = last_weight; k > -(long)scale; k--)
            u128_push_digit(&u, 0);
    }
    if (round_digit >= 5) {
        long digits = have_lead ? lead + scale + 1 : 0; /* digits of u before rounding */
        if (digits < 0)
            digits = 0;
        if (all_nines && digits + 1 > precision)
            return SL_ELIMIT;
        u128_increment(&u);
    }
    if (u.hi == 0 && u.lo == 0)
        negative = false; /* "-0.001" at scale 2 is 0 */
    if (negative) {
        u.lo = ~u.lo + 1;
        u.hi = ~u.hi + (u.lo == 0);
    }
    for (int b = 0; b < 8; b++) {
        bytes[b] = (uint8_t)(u.hi >> (56 - 8 * b));
        bytes[8 + b] = (uint8_t)(u.lo >> (56 - 8 * b));
    }
    /* fits width bytes when the dropped bytes only repeat the sign */
    uint8_t sign = negative ? 0xff : 0x00;
    for (size_t b = 0; b < 16 - width; b++)
        if (bytes[b] != sign)
            return SL_ELIMIT;
    if ((bytes[16 - width] & 0x80) != (sign & 0x80))
        return SL_ELIMIT;
    memcpy(out, bytes + 16 - width, width);
    return SL_OK;
}

/* ---------------------------------------------------------------- dates and times */

/* Reads 1..max_digits digits at s[*i]; false if none. */
static bool read_number(const char *s, size_t n, size_t *i, int max_digits, int64_t *out)
{
    int64_t v = 0;
    int digits = 0;
    while (*i < n && is_digit(s[*i]) && digits < max_digits) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        digits++;
    }
    if (digits == 0 || (*i < n && is_digit(s[*i])))
        return false;
    *out = v;
    return true;
}

static bool is_leap(int64_t year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int days_in_month(int64_t year, int64_t month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* "Y-M-D" at s[*i] (year 1..999999999 as written, before any BC). */
static bool read_date(const char *s, size_t n, size_t *i, int64_t *year, int64_t *month,
                      int64_t *day)
{
    if (!read_number(s, n, i, 9, year) || *i >= n || s[*i] != '-')
        return false;
    (*i)++;
    if (!read_number(s, n, i, 2, month) || *i >= n || s[*i] != '-')
        return false;
    (*i)++;
    return read_number(s, n, i, 2, day);
}

/* " BC" / " AD" at the end; returns false if something else is left. */
static bool read_era(const char *s, size_t n, size_t *i, bool *bc)
{
    *bc = false;
    if (*i == n)
        return true;
    size_t j = *i;
    while (j < n && s[j] == ' ')
        j++;
    if (j == *i || n - j != 2)
        return false;
    if (equals_ci(s + j, 2, "bc"))
        *bc = true;
    else if (!equals_ci(s + j, 2, "ad"))
        return false;
    *i = n;
    return true;
}

/* A valid date -> days; SL_EINVAL for impossible dates. */
static int civil_days(int64_t year, int64_t month, int64_t day, bool bc, int64_t *days)
{
    if (year < 1 || month < 1 || month > 12)
        return SL_EINVAL;
    year = bc ? 1 - year : year; /* 1 BC is year 0 */
    if (day < 1 || day > days_in_month(year, month))
        return SL_EINVAL;
    *days = sl_unix_days_from_civil(year, (int)month, (int)day);
    return SL_OK;
}

static bool is_infinity(const char *s, size_t n)
{
    return equals_ci(s, n, "infinity") || equals_ci(s, n, "+infinity") ||
           equals_ci(s, n, "-infinity");
}

int sl_pg_text_to_date(const char *text, size_t len, int32_t *days_since_epoch)
{
    int64_t year, month, day, days;
    size_t i = 0;
    bool bc;
    int rc;

    trim(&text, &len);
    if (is_infinity(text, len))
        return SL_ELIMIT;
    if (!read_date(text, len, &i, &year, &month, &day) || !read_era(text, len, &i, &bc))
        return SL_EINVAL;
    rc = civil_days(year, month, day, bc, &days);
    if (rc != SL_OK)
        return rc;
    if (days < INT32_MIN || days > INT32_MAX)
        return SL_ELIMIT;
    *days_since_epoch = (int32_t)days;
    return SL_OK;
}

/*
 * "H:M[:S[.ffffff]]" at s[*i] -> microseconds since midnight. As time_in: seconds
 * may be 60 (a leap second), the total at most 24:00:00.
 */
static bool read_time(const char *s, size_t n, size_t *i, int64_t *micros)
{
    int64_t hour, minute, second = 0, fraction = 0;

    if (!read_number(s, n, i, 2, &hour) || *i >= n || s[*i] != ':')
        return false;
    (*i)++;
    if (!read_number(s, n, i, 2, &minute))
        return false;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!read_number(s, n, i, 2, &second))
            return false;
        if (*i < n && s[*i] == '.') {
            int digits = 0;
            for ((*i)++; *i < n && is_digit(s[*i]); (*i)++, digits++) {
                if (digits == 6)
                    return false; /* beyond microseconds: refused rather than rounded */
                fraction = fraction * 10 + (s[*i] - '0');
            }
            if (digits == 0)
                return false;
            for (; digits < 6; digits++)
                fraction *= 10;
        }
    }
    if (hour > 24 || minute > 59 || second > 60)
        return false;
    *micros = ((hour * 60 + minute) * 60 + second) * USECS_PER_SEC + fraction;
    return *micros <= USECS_PER_DAY;
}

int sl_pg_text_to_time_micros(const char *text, size_t len, int64_t *micros)
{
    size_t i = 0;
    int64_t value;

    trim(&text, &len);
    if (!read_time(text, len, &i, &value) || i != len)
        return SL_EINVAL;
    *micros = value;
    return SL_OK;
}

/* "+HH", "+HH:MM", "+HH:MM:SS" at s[*i] -> seconds east of UTC. */
static bool read_offset(const char *s, size_t n, size_t *i, int64_t *seconds)
{
    int64_t hours, minutes = 0, secs = 0;
    bool negative = s[*i] == '-';

    (*i)++;
    if (!read_number(s, n, i, 2, &hours))
        return false;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!read_number(s, n, i, 2, &minutes))
            return false;
        if (*i < n && s[*i] == ':') {
            (*i)++;
            if (!read_number(s, n, i, 2, &secs))
                return false;
        }
    }
    if (hours > 15 || minutes > 59 || secs > 59) /* PostgreSQL's limit is 15:59:59 */
        return false;
    *seconds = (hours * 60 + minutes) * 60 + secs;
    if (negative)
        *seconds = -*seconds;
    return true;
}

int sl_pg_text_to_timestamp_micros(const char *text, size_t len, bool with_offset,
                                   int64_t *micros_utc)
{
    int64_t year, month, day, days, time, offset = 0, value;
    size_t i = 0;
    bool bc, has_offset = false;
    int rc;

    trim(&text, &len);
    if (is_infinity(text, len))
        return SL_ELIMIT;
    if (!read_date(text, len, &i, &year, &month, &day) || i >= len ||
        (text[i] != ' ' && text[i] != 'T'))
        return SL_EINVAL;
    i++;
    if (!read_time(text, len, &i, &time))
        return SL_EINVAL;
    if (i < len && (text[i] == '+' || text[i] == '-')) {
        if (!read_offset(text, len, &i, &offset))
            return SL_EINVAL;
        has_offset = true;
    }
    if (has_offset != with_offset || !read_era(text, len, &i, &bc))
        return SL_EINVAL;
    rc = civil_days(year, month, day, bc, &days);
    if (rc != SL_OK)
        return rc;
    /* days * USECS_PER_DAY + time - offset, without overflow */
    if (days > INT64_MAX / USECS_PER_DAY || days < INT64_MIN / USECS_PER_DAY)
        return SL_ELIMIT;
    value = days * USECS_PER_DAY;
    int64_t adjust = time - offset * USECS_PER_SEC; /* |adjust| < 2 days */
    if ((adjust > 0 && value > INT64_MAX - adjust) || (adjust < 0 && value < INT64_MIN - adjust))
        return SL_ELIMIT;
    *micros_utc = value + adjust;
    return SL_OK;
}

/* ---------------------------------------------------------------- bytea */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_octal(char c)
{
    return c >= '0' && c <= '7';
}

/* As byteain: no trimming (spaces are bytes in the escape form). */
int sl_pg_text_to_bytea(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n = 0;

    if (len >= 2 && text[0] == '\\' && text[1] == 'x') {
        /* hex form; whitespace between byte pairs is allowed (hex_decode) */
        for (size_t i = 2; i < len;) {
            if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
                i++;
                continue;
            }
            int high = hex_value(text[i]);
            int low = i + 1 < len ? hex_value(text[i + 1]) : -1;
            if (high < 0 || low < 0)
                return SL_EINVAL;
            if (n < cap)
                out[n] = (uint8_t)(high << 4 | low);
            n++;
            i += 2;
        }
    } else {
        for (size_t i = 0; i < len;) {
            uint8_t byte;
            if (text[i] != '\\') {
                byte = (uint8_t)text[i];
                i++;
            } else if (i + 1 < len && text[i + 1] == '\\') {
                byte = '\\';
                i += 2;
            } else if (i + 3 < len && text[i + 1] >= '0' && text[i + 1] <= '3' &&
                       is_octal(text[i + 2]) && is_octal(text[i + 3])) {
                byte = (uint8_t)((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 |
                                 (text[i + 3] - '0'));
                i += 4;
            } else {
                return SL_EINVAL;
            }
            if (n < cap)
                out[n] = byte;
            n++;
        }
    }
    *out_len = n;
    return n <= cap ? SL_OK : SL_ELIMIT;
}

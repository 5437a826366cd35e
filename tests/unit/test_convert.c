/*
 * Unit tests for PostgreSQL text -> typed values. Expected values are hand
 * checked (day counts against the Julian day numbers of Fliegel and Van
 * Flandern, micros by hand) or come from glibc's correctly rounded strtod;
 * tests/integration/test_convert.py checks many more against PostgreSQL.
 */
#include "sluice/change.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>

#define T(s) (s), strlen(s)

static void test_bool(void)
{
    static const struct {
        const char *text;
        int rc;
        bool value;
    } cases[] = {
        {"t", SL_OK, true},      {"f", SL_OK, false},       {"true", SL_OK, true},
        {"FALSE", SL_OK, false}, {" TrU ", SL_OK, true},    {"y", SL_OK, true},
        {"yes", SL_OK, true},    {"n", SL_OK, false},       {"no", SL_OK, false},
        {"on", SL_OK, true},     {"of", SL_OK, false},      {"OFF", SL_OK, false},
        {"1", SL_OK, true},      {"0", SL_OK, false},       {"o", SL_EINVAL, false},
        {"", SL_EINVAL, false},  {"  ", SL_EINVAL, false},  {"truex", SL_EINVAL, false},
        {"10", SL_EINVAL, false}, {"yess", SL_EINVAL, false}, {"nope", SL_EINVAL, false},
        {"onn", SL_EINVAL, false}, {"t f", SL_EINVAL, false},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        bool value = !cases[i].value;
        int rc = sl_pg_text_to_bool(T(cases[i].text), &value);
        if (rc != cases[i].rc || (rc == SL_OK && value != cases[i].value)) {
            fprintf(stderr, "  bool \"%s\": rc %d value %d\n", cases[i].text, rc, value);
            unit_current_failed = 1;
        }
    }
}

static void test_int64(void)
{
    static const struct {
        const char *text;
        int64_t min, max;
        int rc;
        int64_t value;
    } cases[] = {
        {"0", INT64_MIN, INT64_MAX, SL_OK, 0},
        {"-0", INT64_MIN, INT64_MAX, SL_OK, 0},
        {"+5", INT64_MIN, INT64_MAX, SL_OK, 5},
        {" 42\n", INT64_MIN, INT64_MAX, SL_OK, 42},
        {"9223372036854775807", INT64_MIN, INT64_MAX, SL_OK, INT64_MAX},
        {"-9223372036854775808", INT64_MIN, INT64_MAX, SL_OK, INT64_MIN},
        {"9223372036854775808", INT64_MIN, INT64_MAX, SL_ELIMIT, 0},
        {"-9223372036854775809", INT64_MIN, INT64_MAX, SL_ELIMIT, 0},
        {"18446744073709551616", INT64_MIN, INT64_MAX, SL_ELIMIT, 0},
        {"99999999999999999999999999", INT64_MIN, INT64_MAX, SL_ELIMIT, 0},
        {"32767", INT16_MIN, INT16_MAX, SL_OK, 32767},
        {"-32768", INT16_MIN, INT16_MAX, SL_OK, -32768},
        {"32768", INT16_MIN, INT16_MAX, SL_ELIMIT, 0},
        {"-2147483649", INT32_MIN, INT32_MAX, SL_ELIMIT, 0},
        {"2147483647", INT32_MIN, INT32_MAX, SL_OK, INT32_MAX},
        {"", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"-", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"1.0", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"1e3", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"0x10", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"1 2", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"--1", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
        {"99999999999999999999999x", INT64_MIN, INT64_MAX, SL_EINVAL, 0},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        int64_t value = 12345;
        int rc = sl_pg_text_to_int64(T(cases[i].text), cases[i].min, cases[i].max, &value);
        if (rc != cases[i].rc || (rc == SL_OK && value != cases[i].value) ||
            (rc != SL_OK && value != 12345)) {
            fprintf(stderr, "  int64 \"%s\": rc %d value %lld\n", cases[i].text, rc,
                    (long long)value);
            unit_current_failed = 1;
        }
    }
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static uint32_t bits_of_float(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static void test_double_vectors(void)
{
    static const struct {
        const char *text;
        uint64_t bits;
    } cases[] = {
        {"0", 0},
        {"-0", 0x8000000000000000ULL},
        {"1", 0x3ff0000000000000ULL},
        {"0.1", 0x3fb999999999999aULL},
        {"-1.5", 0xbff8000000000000ULL},
        {"3.141592653589793", 0x400921fb54442d18ULL},
        {"1.7976931348623157e+308", 0x7fefffffffffffffULL},
        {"2.2250738585072014e-308", 0x0010000000000000ULL},
        {"5e-324", 0x0000000000000001ULL},
        {"1e+22", 0x4480f0cf064dd592ULL},
        {"1e23", 0x44b52d02c7e14af6ULL}, /* 10^23 is not a double: the slow path */
        {"9007199254740993", 0x4340000000000000ULL}, /* 2^53 + 1 rounds to even */
        {".5", 0x3fe0000000000000ULL},
        {"2.", 0x4000000000000000ULL},
        {" 1e0 ", 0x3ff0000000000000ULL},
        {"0.000000000000000000000000000001", 0x39b4484bfeebc2a0ULL},
        {"Infinity", 0x7ff0000000000000ULL},
        {"-Infinity", 0xfff0000000000000ULL},
        {"-inf", 0xfff0000000000000ULL},
        {"+INFINITY", 0x7ff0000000000000ULL},
        {"0e99999", 0},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        double d = 0;
        int rc = sl_pg_text_to_double(T(cases[i].text), &d);
        if (rc != SL_OK || bits_of(d) != cases[i].bits) {
            fprintf(stderr, "  double \"%s\": rc %d bits %016llx\n", cases[i].text, rc,
                    (unsigned long long)bits_of(d));
            unit_current_failed = 1;
        }
    }
    double d = 7;
    CHECK(sl_pg_text_to_double(T("NaN"), &d) == SL_OK && isnan(d));
    CHECK(sl_pg_text_to_double(T("nan"), &d) == SL_OK && isnan(d));
    static const char *const limits[] = {"1e309", "-1e400", "1e-400", "2e-324"};
    for (size_t i = 0; i < SL_ARRAY_LEN(limits); i++)
        CHECK_INT(sl_pg_text_to_double(T(limits[i]), &d), SL_ELIMIT);
    static const char *const bad[] = {"", " ", "-", "e5", "1e", "1e+", "0x1p3", "1,5", "1.2.3",
                                      "Infinityx", "nanx", "--1", "1 e5", ". 5", "."};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        d = 7;
        CHECK_INT(sl_pg_text_to_double(T(bad[i]), &d), SL_EINVAL);
        CHECK(d == 7);
    }
}

static void test_float_vectors(void)
{
    static const struct {
        const char *text;
        uint32_t bits;
    } cases[] = {
        {"0", 0},
        {"-0", 0x80000000u},
        {"0.1", 0x3dcccccdu},
        {"1.5", 0x3fc00000u},
        {"3.4028235e+38", 0x7f7fffffu},
        {"1e-45", 0x00000001u},
        {"1.1754944e-38", 0x00800000u},
        {"16777217", 0x4b800000u}, /* 2^24 + 1 rounds to even */
        {"-Infinity", 0xff800000u},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        float f = 0;
        int rc = sl_pg_text_to_float(T(cases[i].text), &f);
        if (rc != SL_OK || bits_of_float(f) != cases[i].bits) {
            fprintf(stderr, "  float \"%s\": rc %d bits %08x\n", cases[i].text, rc,
                    bits_of_float(f));
            unit_current_failed = 1;
        }
    }
    float f;
    CHECK(sl_pg_text_to_float(T("NaN"), &f) == SL_OK && isnan(f));
    CHECK_INT(sl_pg_text_to_float(T("3.5e38"), &f), SL_ELIMIT);
    CHECK_INT(sl_pg_text_to_float(T("1e-46"), &f), SL_ELIMIT);
    CHECK_INT(sl_pg_text_to_float(T("1f"), &f), SL_EINVAL);
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

/*
 * Every double, printed in its shortest round-trip form (as PostgreSQL does with
 * extra_float_digits > 0) and in 17 digits, reads back identically; glibc's strtod is the
 * reference for short decimal texts, which take the fast path.
 */
static void test_double_round_trip_random(void)
{
    uint64_t state = 88172645463325252ULL;
    char text[64];
    int failures = 0;

    for (int i = 0; i < 60000 && failures < 10; i++) {
        uint64_t bits = next_random(&state);
        double want, got = 0;
        memcpy(&want, &bits, sizeof(want));
        if (!isfinite(want))
            continue;
        for (int precision = 1; precision <= 17; precision++) {
            snprintf(text, sizeof(text), "%.*g", precision, want);
            if (strtod(text, NULL) == want)
                break;
        }
        if (sl_pg_text_to_double(T(text), &got) != SL_OK || bits_of(got) != bits) {
            fprintf(stderr, "  double %s: got %016llx want %016llx\n", text,
                    (unsigned long long)bits_of(got), (unsigned long long)bits);
            failures++;
        }
        /* short decimals: mantissa < 2^54, exponent -25..25 (fast path and its edges) */
        snprintf(text, sizeof(text), "%llue%d",
                 (unsigned long long)(next_random(&state) >> (10 + next_random(&state) % 50)),
                 (int)(next_random(&state) % 51) - 25);
        double ref = strtod(text, NULL);
        if (sl_pg_text_to_double(T(text), &got) != SL_OK || bits_of(got) != bits_of(ref)) {
            fprintf(stderr, "  double %s: got %016llx want %016llx\n", text,
                    (unsigned long long)bits_of(got), (unsigned long long)bits_of(ref));
            failures++;
        }
    }
    CHECK_INT(failures, 0);
}

static void test_float_round_trip_random(void)
{
    uint64_t state = 0x1234567ULL;
    char text[64];
    int failures = 0;

    for (int i = 0; i < 60000 && failures < 10; i++) {
        uint32_t bits = (uint32_t)next_random(&state);
        float want, got = 0;
        memcpy(&want, &bits, sizeof(want));
        if (!isfinite(want))
            continue;
        for (int precision = 1; precision <= 9; precision++) {
            snprintf(text, sizeof(text), "%.*g", precision, (double)want);
            if (strtof(text, NULL) == want)
                break;
        }
        if (sl_pg_text_to_float(T(text), &got) != SL_OK || bits_of_float(got) != bits) {
            fprintf(stderr, "  float %s: got %08x want %08x\n", text, bits_of_float(got), bits);
            failures++;
        }
        /* short decimals: mantissa < 2^54, exponent -25..25 (both fast paths and their edges) */
        snprintf(text, sizeof(text), "%llue%d",
                 (unsigned long long)(next_random(&state) >> (10 + next_random(&state) % 54)),
                 (int)(next_random(&state) % 51) - 25);
        float ref = strtof(text, NULL);
        int rc = sl_pg_text_to_float(T(text), &got);
        if (isinf(ref) || (ref == 0 && text[0] != '0')) {
            if (rc != SL_ELIMIT) { /* out of float's range, as float4in says */
                fprintf(stderr, "  float %s: rc %d, want SL_ELIMIT\n", text, rc);
                failures++;
            }
        } else if (rc != SL_OK || bits_of_float(got) != bits_of_float(ref)) {
            fprintf(stderr, "  float %s: got %08x want %08x\n", text, bits_of_float(got),
                    bits_of_float(ref));
            failures++;
        }
    }
    CHECK_INT(failures, 0);
}

/* The decimal as hex of its bytes, for one comparison per case. */
static void hex_of(const uint8_t *bytes, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static void test_decimal(void)
{
    static const struct {
        const char *text;
        int32_t precision, scale;
        size_t width;
        int rc;
        const char *hex;
    } cases[] = {
        {"12.50", 12, 2, 6, SL_OK, "0000000004e2"},                  /* 1250 */
        {"-0.01", 12, 2, 6, SL_OK, "ffffffffffff"},                  /* -1 */
        {"12.345", 12, 2, 4, SL_OK, "000004d3"},                     /* 1235: half away */
        {"-12.345", 12, 2, 4, SL_OK, "fffffb2d"},                    /* -1235 */
        {"12.3449999", 12, 2, 4, SL_OK, "000004d2"},                 /* 1234 */
        {"0.005", 3, 2, 2, SL_OK, "0001"},
        {"-0.004", 3, 2, 2, SL_OK, "0000"},                          /* no negative zero */
        {"-0.005", 3, 2, 2, SL_OK, "ffff"},
        {"999.994", 5, 2, 3, SL_OK, "01869f"},                       /* 99999 */
        {"999.995", 5, 2, 3, SL_ELIMIT, NULL},                       /* rounds to 6 digits */
        {"1000", 5, 2, 3, SL_ELIMIT, NULL},
        {"99.995", 5, 2, 3, SL_OK, "002710"},                        /* 10000 */
        {"0", 1, 0, 1, SL_OK, "00"},
        {"-0", 1, 0, 1, SL_OK, "00"},
        {"0.5", 1, 0, 1, SL_OK, "01"},
        {"9.5", 1, 0, 1, SL_ELIMIT, NULL},
        {"00012.5000", 4, 1, 2, SL_OK, "007d"},
        {".5", 2, 1, 1, SL_OK, "05"},
        {"5.", 2, 1, 1, SL_OK, "32"},
        {"1.5e3", 10, 2, 5, SL_OK, "00000249f0"},                   /* 150000 */
        {"1.5E-3", 10, 2, 5, SL_OK, "0000000000"},                  /* 0.0015 -> 0.00 */
        {"-15e-3", 10, 2, 5, SL_OK, "fffffffffe"},                  /* -0.015 -> -0.02 */
        {"0.00000001e8", 3, 0, 2, SL_OK, "0001"},
        {"1e999999999999", 38, 0, 16, SL_ELIMIT, NULL},
        {"1e-999999999999", 38, 0, 16, SL_OK, "00000000000000000000000000000000"},
        {"0e999999999999", 38, 0, 16, SL_OK, "00000000000000000000000000000000"},
        {"99999999999999999999999999999999999999", 38, 0, 16, SL_OK,
         "4b3b4ca85a86c47a098a223fffffffff"},
        {"-99999999999999999999999999999999999999", 38, 0, 16, SL_OK,
         "b4c4b357a5793b85f675ddc000000001"},
        {"100000000000000000000000000000000000000", 38, 0, 16, SL_ELIMIT, NULL},
        {"9999999999999999999999999999.9999999999", 38, 10, 16, SL_OK,
         "4b3b4ca85a86c47a098a223fffffffff"},
        {"21474836.47", 10, 2, 4, SL_OK, "7fffffff"},
        {"21474836.48", 10, 2, 4, SL_ELIMIT, NULL},                 /* fits p, not 4 bytes */
        {"-21474836.48", 10, 2, 4, SL_OK, "80000000"},
        {"-21474836.49", 10, 2, 4, SL_ELIMIT, NULL},
        {" 1.5 ", 2, 1, 1, SL_OK, "0f"},
        {"NaN", 10, 2, 8, SL_EINVAL, NULL},
        {"Infinity", 10, 2, 8, SL_EINVAL, NULL},
        {"-Infinity", 10, 2, 8, SL_EINVAL, NULL},
        {"", 10, 2, 8, SL_EINVAL, NULL},
        {".", 10, 2, 8, SL_EINVAL, NULL},
        {"1.2.3", 10, 2, 8, SL_EINVAL, NULL},
        {"1e", 10, 2, 8, SL_EINVAL, NULL},
        {"0x10", 10, 2, 8, SL_EINVAL, NULL},
        {"1", 0, 0, 8, SL_EINVAL, NULL},                            /* bad parameters */
        {"1", 39, 0, 16, SL_EINVAL, NULL},
        {"1", 5, 6, 8, SL_EINVAL, NULL},
        {"1", 5, -1, 8, SL_EINVAL, NULL},
        {"1", 5, 0, 0, SL_EINVAL, NULL},
        {"1", 5, 0, 17, SL_EINVAL, NULL},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        uint8_t out[16];
        char hex[40] = "";
        memset(out, 0xaa, sizeof(out));
        int rc = sl_pg_text_to_decimal(T(cases[i].text), cases[i].precision, cases[i].scale, out,
                                       cases[i].width);
        if (rc == SL_OK)
            hex_of(out, cases[i].width, hex);
        if (rc != cases[i].rc || (rc == SL_OK && strcmp(hex, cases[i].hex) != 0) ||
            (rc != SL_OK && out[0] != 0xaa)) {
            fprintf(stderr, "  decimal \"%s\" (%d,%d)/%zu: rc %d hex %s\n", cases[i].text,
                    cases[i].precision, cases[i].scale, cases[i].width, rc, hex);
            unit_current_failed = 1;
        }
    }
}

static void test_date(void)
{
    static const struct {
        const char *text;
        int rc;
        int32_t days;
    } cases[] = {
        {"1970-01-01", SL_OK, 0},
        {"2024-01-15", SL_OK, 19737},
        {"2000-02-29", SL_OK, 11016},
        {"1969-12-31", SL_OK, -1},
        {"0001-01-01", SL_OK, -719162},
        {"0001-12-31 BC", SL_OK, -719163},
        {"0001-02-29 BC", SL_OK, -719469},  /* 1 BC is a leap year */
        {"0044-03-15 BC", SL_OK, -735160},
        {"4714-11-24 BC", SL_OK, -2440588}, /* Julian day 0 */
        {"5874897-12-31", SL_OK, 2145042905},
        {"9999-12-31", SL_OK, 2932896},
        {"2024-1-5", SL_OK, 19727},
        {" 1970-01-01 AD ", SL_OK, 0},
        {"infinity", SL_ELIMIT, 0},
        {"-infinity", SL_ELIMIT, 0},
        {"999999999-01-01", SL_ELIMIT, 0},
        {"2023-02-29", SL_EINVAL, 0},
        {"0002-02-29 BC", SL_EINVAL, 0},
        {"1900-02-29", SL_EINVAL, 0},
        {"0000-01-01", SL_EINVAL, 0},
        {"2024-13-01", SL_EINVAL, 0},
        {"2024-00-10", SL_EINVAL, 0},
        {"2024-04-31", SL_EINVAL, 0},
        {"2024-01-15 10:00:00", SL_EINVAL, 0},
        {"2024-01-15 XY", SL_EINVAL, 0},
        {"2024-01-15BC", SL_EINVAL, 0},
        {"2024/01/15", SL_EINVAL, 0},
        {"2024-001-15", SL_EINVAL, 0},
        {"", SL_EINVAL, 0},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        int32_t days = 77;
        int rc = sl_pg_text_to_date(T(cases[i].text), &days);
        if (rc != cases[i].rc || (rc == SL_OK && days != cases[i].days)) {
            fprintf(stderr, "  date \"%s\": rc %d days %d\n", cases[i].text, rc, days);
            unit_current_failed = 1;
        }
    }
}

static void test_time(void)
{
    static const struct {
        const char *text;
        int rc;
        int64_t micros;
    } cases[] = {
        {"00:00:00", SL_OK, 0},
        {"10:15:30", SL_OK, 36930000000LL},
        {"10:15:30.123456", SL_OK, 36930123456LL},
        {"10:15:30.5", SL_OK, 36930500000LL},
        {"23:59:59.999999", SL_OK, 86399999999LL},
        {"24:00:00", SL_OK, 86400000000LL},
        {"10:15", SL_OK, 36900000000LL},
        {"23:59:60", SL_OK, 86400000000LL}, /* a leap second, as time_in takes it */
        {"24:00:00.000001", SL_EINVAL, 0},
        {"24:00:01", SL_EINVAL, 0},
        {"25:00:00", SL_EINVAL, 0},
        {"10:60:00", SL_EINVAL, 0},
        {"10:15:61", SL_EINVAL, 0},
        {"10:15:30.1234567", SL_EINVAL, 0},
        {"10:15:30.", SL_EINVAL, 0},
        {"10:15:30+00", SL_EINVAL, 0},
        {"10", SL_EINVAL, 0},
        {"", SL_EINVAL, 0},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        int64_t micros = 77;
        int rc = sl_pg_text_to_time_micros(T(cases[i].text), &micros);
        if (rc != cases[i].rc || (rc == SL_OK && micros != cases[i].micros)) {
            fprintf(stderr, "  time \"%s\": rc %d micros %lld\n", cases[i].text, rc,
                    (long long)micros);
            unit_current_failed = 1;
        }
    }
}

static void test_timestamp(void)
{
    static const struct {
        const char *text;
        bool with_offset;
        int rc;
        int64_t micros;
    } cases[] = {
        {"1970-01-01 00:00:00", false, SL_OK, 0},
        {"1970-01-01 00:00:00+00", true, SL_OK, 0},
        {"1969-12-31 23:59:59.999999+00", true, SL_OK, -1},
        {"2024-01-15 10:15:30.5+05:30", true, SL_OK, 1705293930500000LL},
        {"2024-01-15 10:15:30-03:00:12", true, SL_OK, 1705324542000000LL},
        {"2024-01-15 10:15:30.5", false, SL_OK, 1705313730500000LL},
        {"2024-01-15T10:15:30.5", false, SL_OK, 1705313730500000LL},
        {"2024-01-14 24:00:00", false, SL_OK, 1705276800000000LL},
        {"4713-01-01 00:00:00+00 BC", true, SL_OK, -210863520000000000LL},
        {"0001-01-01 00:00:00 BC", false, SL_OK, -62167219200000000LL},
        /* the int64 end: 2^63 - 1 microseconds after 1970 */
        {"294247-01-10 04:00:54.775807", false, SL_OK, INT64_MAX},
        {"294247-01-10 04:00:54.775808", false, SL_ELIMIT, 0},
        {"294247-01-10 05:00:54.775807+01", true, SL_OK, INT64_MAX},
        {"294247-01-11 00:00:00", false, SL_ELIMIT, 0},
        /* PostgreSQL's own end (its epoch is 2000) is beyond it */
        {"294276-12-31 23:59:59.999999", false, SL_ELIMIT, 0},
        {"infinity", true, SL_ELIMIT, 0},
        {"-infinity", false, SL_ELIMIT, 0},
        {"2024-01-15 10:15:30", true, SL_EINVAL, 0},    /* offset required */
        {"2024-01-15 10:15:30+00", false, SL_EINVAL, 0}, /* and refused */
        {"2024-01-15 10:15:30+16", true, SL_EINVAL, 0},
        {"2024-01-15 10:15:30+05:60", true, SL_EINVAL, 0},
        {"2024-01-15 10:15:30Z", true, SL_EINVAL, 0},
        {"2024-01-15", false, SL_EINVAL, 0},
        {"2024-01-15 ", false, SL_EINVAL, 0},
        {"2024-02-30 00:00:00", false, SL_EINVAL, 0},
        {"2024-01-15 10:15:30 XX", false, SL_EINVAL, 0},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        int64_t micros = 77;
        int rc = sl_pg_text_to_timestamp_micros(T(cases[i].text), cases[i].with_offset, &micros);
        if (rc != cases[i].rc || (rc == SL_OK && micros != cases[i].micros)) {
            fprintf(stderr, "  timestamp \"%s\": rc %d micros %lld\n", cases[i].text, rc,
                    (long long)micros);
            unit_current_failed = 1;
        }
    }
}

static void test_bytea(void)
{
    static const struct {
        const char *text;
        int rc;
        size_t len;
        const char *bytes;
    } cases[] = {
        {"\\x0aff", SL_OK, 2, "\x0a\xff"},
        {"\\x", SL_OK, 0, ""},
        {"\\x0A FF\n00", SL_OK, 3, "\x0a\xff\x00"},
        {"\\x0", SL_EINVAL, 0, NULL},
        {"\\xzz", SL_EINVAL, 0, NULL},
        {"\\x0 a", SL_EINVAL, 0, NULL},
        {"abc", SL_OK, 3, "abc"},
        {"", SL_OK, 0, ""},
        {"a\\000\\\\b\\377 ", SL_OK, 6, "a\x00\\b\xff "},
        {"\\", SL_EINVAL, 0, NULL},
        {"\\400", SL_EINVAL, 0, NULL},
        {"\\08", SL_EINVAL, 0, NULL},
        {"\\12", SL_EINVAL, 0, NULL},
        {"\\X00", SL_EINVAL, 0, NULL},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        uint8_t out[16];
        size_t len = 99;
        int rc = sl_pg_text_to_bytea(T(cases[i].text), out, sizeof(out), &len);
        if (rc != cases[i].rc ||
            (rc == SL_OK && (len != cases[i].len || memcmp(out, cases[i].bytes, len) != 0))) {
            fprintf(stderr, "  bytea case %zu: rc %d len %zu\n", i, rc, len);
            unit_current_failed = 1;
        }
    }
    /* too small an output: SL_ELIMIT and the length needed; nothing written beyond cap */
    uint8_t small[3] = {0, 0, 0x55};
    size_t len = 0;
    CHECK_INT(sl_pg_text_to_bytea(T("\\x010203"), small, 2, &len), SL_ELIMIT);
    CHECK_INT(len, 3);
    CHECK(small[0] == 1 && small[1] == 2 && small[2] == 0x55);
    CHECK_INT(sl_pg_text_to_bytea(T("\\x0102"), NULL, 0, &len), SL_ELIMIT);
    CHECK_INT(len, 2);
}

UNIT_TESTS(UNIT_TEST(test_bool), UNIT_TEST(test_int64), UNIT_TEST(test_double_vectors),
           UNIT_TEST(test_float_vectors), UNIT_TEST(test_double_round_trip_random),
           UNIT_TEST(test_float_round_trip_random), UNIT_TEST(test_decimal), UNIT_TEST(test_date),
           UNIT_TEST(test_time), UNIT_TEST(test_timestamp), UNIT_TEST(test_bytea))

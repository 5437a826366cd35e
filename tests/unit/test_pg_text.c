/*
 * Unit tests of source/pg/pg_text.c. Expected strings come from a PostgreSQL 15 server
 * (DateStyle=ISO, TimeZone=UTC) printing the value whose <type>send bytes are the input.
 */
#include "sluice/source_pg.h"
#include "unit.h"

#include <stdint.h>

struct text_case {
    const char *bin;
    size_t len;
    const char *want;
};

#define T(bin, want) {bin, sizeof(bin) - 1, want}

/* Converts one value into a fresh buffer and compares; reports the caller's line. */
static void expect_text(uint32_t oid, const void *bin, size_t len, const char *want, int line)
{
    struct sl_buf out;
    struct sl_error err = {0};
    int rc;

    sl_buf_init(&out, 1 << 20);
    rc = sl_pg_text_from_binary(oid, bin, len, &out, &err);
    if (rc != SL_OK) {
        fprintf(stderr, "  %s:%d: oid %u: rc %d (%s), want \"%s\"\n", __FILE__, line,
                (unsigned)oid, rc, err.message, want);
        unit_current_failed = 1;
    } else if (out.len != strlen(want) || (out.len > 0 && memcmp(out.data, want, out.len) != 0)) {
        fprintf(stderr, "  %s:%d: oid %u: got \"%s\", want \"%s\"\n", __FILE__, line,
                (unsigned)oid, out.data ? out.data : "", want);
        unit_current_failed = 1;
    }
    sl_buf_free(&out);
}

static void expect_cases(uint32_t oid, const struct text_case *cases, size_t count, int line)
{
    for (size_t i = 0; i < count; i++)
        expect_text(oid, cases[i].bin, cases[i].len, cases[i].want, line);
}

#define EXPECT_CASES(oid, cases) expect_cases(oid, cases, SL_ARRAY_LEN(cases), __LINE__)
#define EXPECT_TEXT(oid, bin, want) expect_text(oid, bin, sizeof(bin) - 1, want, __LINE__)

/* Expects a failure with `code` and a message containing both fragments. */
static void expect_error(uint32_t oid, const void *bin, size_t len, int code, const char *frag1,
                         const char *frag2, int line)
{
    struct sl_buf out;
    struct sl_error err = {0};
    int rc;

    sl_buf_init(&out, 1 << 20);
    sl_buf_append_str(&out, "keep");
    rc = sl_pg_text_from_binary(oid, bin, len, &out, &err);
    if (rc != code || strstr(err.message, frag1) == NULL ||
        (frag2 != NULL && strstr(err.message, frag2) == NULL)) {
        fprintf(stderr, "  %s:%d: oid %u len %zu: rc %d \"%s\", want rc %d with \"%s\"\n",
                __FILE__, line, (unsigned)oid, len, rc, err.message, code, frag1);
        unit_current_failed = 1;
    }
    if (out.len != 4 || strcmp(out.data, "keep") != 0) {
        fprintf(stderr, "  %s:%d: output changed on error: \"%s\"\n", __FILE__, line, out.data);
        unit_current_failed = 1;
    }
    sl_buf_free(&out);
}

#define EXPECT_ERROR(oid, bin, code, frag1, frag2)                                                \
    expect_error(oid, bin, sizeof(bin) - 1, code, frag1, frag2, __LINE__)

/* ---------------------------------------------------------------- integers */

static void test_bool(void)
{
    EXPECT_TEXT(SL_PG_OID_BOOL, "\x01", "t");
    EXPECT_TEXT(SL_PG_OID_BOOL, "\x00", "f");
    EXPECT_TEXT(SL_PG_OID_BOOL, "\x02", "t"); /* the server reads any nonzero byte as true */
}

static void test_integers(void)
{
    static const struct text_case int2[] = {
        T("\x80\x00", "-32768"), T("\x7f\xff", "32767"), T("\x00\x00", "0"),
        T("\xff\xff", "-1"),
    };
    static const struct text_case int4[] = {
        T("\x80\x00\x00\x00", "-2147483648"), T("\x7f\xff\xff\xff", "2147483647"),
        T("\x00\x00\x00\x00", "0"), T("\xff\xff\xff\xff", "-1"), T("\x00\x00\x00\x2a", "42"),
    };
    static const struct text_case int8[] = {
        T("\x80\x00\x00\x00\x00\x00\x00\x00", "-9223372036854775808"),
        T("\x7f\xff\xff\xff\xff\xff\xff\xff", "9223372036854775807"),
        T("\x00\x00\x00\x00\x00\x00\x00\x00", "0"),
        T("\xff\xff\xff\xff\xff\xff\xff\xff", "-1"),
        T("\x00\x00\x01\x1f\x71\xfb\x04\xcb", "1234567890123"),
    };
    static const struct text_case oid[] = {
        T("\x00\x00\x00\x00", "0"),
        T("\xff\xff\xff\xff", "4294967295"),
        T("\x00\x00\x40\x00", "16384"),
    };
    EXPECT_CASES(SL_PG_OID_INT2, int2);
    EXPECT_CASES(SL_PG_OID_INT4, int4);
    EXPECT_CASES(SL_PG_OID_INT8, int8);
    EXPECT_CASES(SL_PG_OID_OID, oid);
}

/* ---------------------------------------------------------------- floats */

static void test_float8(void)
{
    static const struct text_case cases[] = {
        T("\x3f\xb9\x99\x99\x99\x99\x99\x9a", "0.1"),
        T("\x54\xb2\x49\xad\x25\x94\xc3\x7d", "1e+100"),
        T("\xd4\xb2\x49\xad\x25\x94\xc3\x7d", "-1e+100"),
        T("\x43\x0c\x6b\xf5\x26\x34\x00\x00", "1e+15"),
        T("\x3e\xe4\xf8\xb5\x88\xe3\x68\xf1", "1e-05"),
        T("\x42\xdc\x12\x21\x83\x77\xde\x40", "123456789012345"),
        T("\x43\x11\x8b\x54\xf2\x2a\xeb\x00", "1.234567890123456e+15"),
        T("\x3f\x1a\x36\xe2\xeb\x1c\x43\x2d", "0.0001"),
        T("\x3f\x20\x2e\x4b\x6c\xe5\xdc\x68", "0.00012345"),
        T("\xbe\x84\x21\xf5\xf4\x0d\x83\x76", "-1.5e-07"),
        T("\x7f\xf8\x00\x00\x00\x00\x00\x00", "NaN"),
        T("\xff\xf8\x00\x00\x00\x00\x00\x01", "NaN"), /* sign and payload do not show */
        T("\x7f\xf0\x00\x00\x00\x00\x00\x00", "Infinity"),
        T("\xff\xf0\x00\x00\x00\x00\x00\x00", "-Infinity"),
        T("\x00\x00\x00\x00\x00\x00\x00\x00", "0"),
        T("\x80\x00\x00\x00\x00\x00\x00\x00", "-0"),
        /* denormals, the smallest normal, the largest finite */
        T("\x00\x00\x00\x00\x00\x00\x00\x01", "5e-324"),
        T("\x80\x00\x00\x00\x00\x00\x00\x01", "-5e-324"),
        T("\x00\x0f\xff\xff\xff\xff\xff\xff", "2.225073858507201e-308"),
        T("\x00\x10\x00\x00\x00\x00\x00\x00", "2.2250738585072014e-308"),
        T("\x7f\xef\xff\xff\xff\xff\xff\xff", "1.7976931348623157e+308"),
        T("\x44\x80\xf0\xcf\x06\x4d\xd5\x92", "1e+22"),
        T("\x3f\xd3\x33\x33\x33\x33\x33\x33", "0.3"),
        T("\x40\x04\x00\x00\x00\x00\x00\x00", "2.5"),
        T("\x40\x59\x00\x00\x00\x00\x00\x00", "100"),
        T("\x40\xfe\x24\x0c\x9f\xbe\x76\xc9", "123456.789"),
        T("\x3f\xf0\x00\x00\x00\x00\x00\x01", "1.0000000000000002"),
        T("\x40\x11\x66\x66\x66\x66\x66\x66", "4.35"),
        T("\x43\x40\x00\x00\x00\x00\x00\x00", "9.007199254740992e+15"),
        /*
         * The server never prints a decimal that lies exactly halfway to a
         * neighbouring double, although round-half-even would read it back:
         * 1e23 and 38222821077659980 are such halfway points.
         */
        T("\x44\xb5\x2d\x02\xc7\xe1\x4a\xf6", "9.999999999999999e+22"),
        T("\x43\x60\xf9\x6e\x81\x14\xb6\x2a", "3.8222821077659984e+16"),
    };
    EXPECT_CASES(SL_PG_OID_FLOAT8, cases);
}

static void test_float4(void)
{
    static const struct text_case cases[] = {
        T("\x3d\xcc\xcc\xcd", "0.1"),
        T("\x49\x74\x24\x00", "1e+06"),
        T("\x47\xf1\x20\x00", "123456"),
        T("\x49\x74\x23\xf0", "999999"),
        T("\x47\xc3\x50\x00", "100000"),
        T("\x37\x27\xc5\xac", "1e-05"),
        T("\x38\xd1\xb7\x17", "0.0001"),
        T("\x7f\x7f\xff\xff", "3.4028235e+38"), /* FLT_MAX */
        T("\xff\x7f\xff\xff", "-3.4028235e+38"),
        T("\x00\x00\x00\x01", "1e-45"), /* smallest denormal */
        T("\x00\x80\x00\x00", "1.1754944e-38"),
        T("\x7f\xc0\x00\x00", "NaN"),
        T("\x7f\x80\x00\x00", "Infinity"),
        T("\xff\x80\x00\x00", "-Infinity"),
        T("\x80\x00\x00\x00", "-0"),
        T("\x00\x00\x00\x00", "0"),
        T("\x4b\x80\x00\x00", "1.6777216e+07"),
        T("\x3e\x99\x99\x9a", "0.3"),
        T("\x3f\xc0\x00\x00", "1.5"),
        T("\x40\x2d\xf8\x54", "2.7182817"),
    };
    EXPECT_CASES(SL_PG_OID_FLOAT4, cases);
}

/* ---------------------------------------------------------------- numeric */

static void test_numeric(void)
{
    static const struct text_case cases[] = {
        T("\x00\x00\x00\x00\x00\x00\x00\x02", "0.00"),
        T("\x00\x00\x00\x00\x00\x00\x00\x00", "0"),
        T("\x00\x02\x00\x00\x40\x00\x00\x02\x00\x0c\x13\x88", "-12.50"),
        T("\x00\x01\x00\x05\x00\x00\x00\x00\x00\x01", "100000000000000000000"),
        T("\x00\x01\xff\xff\x00\x00\x00\x04\x00\x01", "0.0001"),
        T("\x00\x01\xff\xff\x40\x00\x00\x04\x00\x01", "-0.0001"),
        T("\x00\x00\x00\x00\xc0\x00\x00\x00", "NaN"),
        T("\x00\x00\x00\x00\xd0\x00\x00\x20", "Infinity"),
        T("\x00\x00\x00\x00\xf0\x00\x00\x20", "-Infinity"),
        T("\x00\x01\x00\x19\x00\x00\x00\x00\x00\x01",
          "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000"),
        T("\x00\x04\x00\x01\x00\x00\x00\x05\x04\xd2\x16\x2e\x23\x34\x0b\xb8", "12345678.90123"),
        T("\x00\x01\xff\xfa\x40\x00\x00\x15\x03\xe8", "-0.000000000000000000001"),
        T("\x00\x02\x00\x00\x00\x00\x00\x04\x27\x0f\x27\x0f", "9999.9999"),
        T("\x00\x01\x00\x01\x00\x00\x00\x00\x00\x01", "10000"),
        T("\x00\x02\xff\xfb\x00\x00\x00\x16\x00\x01\x08\xfc", "0.0000000000000000000123"),
        T("\x00\x0b\x00\x07\x00\x00\x00\x09\x00\x0c\x0d\x80\x1e\xd2\x04\xd2\x16\x2e\x23\x34\x0d"
          "\x80\x1e\xd2\x04\xd2\x16\x2e\x23\x28",
          "123456789012345678901234567890.123456789"),
    };
    EXPECT_CASES(SL_PG_OID_NUMERIC, cases);
}

/*
 * Values a server does not send but accepts on input: the expected text is
 * what PostgreSQL 15 printed after reading these bytes with binary COPY FROM
 * (negative zero loses its sign, dscale cuts digits without rounding,
 * leading zero digits vanish).
 */
static void test_numeric_unnormalized(void)
{
    static const struct text_case cases[] = {
        T("\x00\x00\x00\x00\x40\x00\x00\x02", "0.00"),        /* -0 with dscale 2 */
        T("\x00\x01\x00\x00\x40\x00\x00\x00\x00\x00", "0"),   /* -0 with a zero digit */
        T("\x00\x01\x00\x00\x40\x00\x00\x05\x00\x00", "0.00000"),
        T("\x00\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01", "1"), /* leading zero digit */
        T("\x00\x01\xff\xff\x40\x00\x00\x02\x00\x01", "0.00"), /* -0.0001 cut to 2 digits */
        T("\x00\x02\x00\x00\x00\x00\x00\x02\x00\x0c\x0d\x48", "12.34"),
        T("\x00\x02\x00\x00\x00\x00\x00\x02\x00\x0c\x0d\x80", "12.34"), /* 12.3456 cut */
        T("\x00\x01\x00\x03\x00\x00\x00\x00\x00\x05", "5000000000000"),
        T("\x00\x01\xff\xfd\x00\x00\x00\x0c\x00\x01", "0.000000000001"),
        T("\x00\x02\x00\x00\x00\x00\x00\x03\x27\x0f\x27\x0f", "9999.999"),
        T("\x00\x02\x00\x00\x40\x00\x00\x03\x27\x0f\x27\x0f", "-9999.999"),
        T("\x00\x01\xff\xff\x40\x00\x00\x04\x00\x01", "-0.0001"),
        T("\x00\x03\x00\x02\x40\x00\x00\x01\x00\x00\x00\x00\x00\x07", "-7.0"),
        T("\x00\x02\x00\x01\x00\x00\x00\x05\x00\x01\x00\x02", "10002.00000"),
        T("\x00\x02\xff\xfe\x40\x00\x00\x0a\x00\x0c\x0d\x80", "-0.0000001234"),
        T("\x00\x00\x00\x05\x00\x00\x00\x00", "0"), /* weight without digits */
        T("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00", "0"),
        T("\x00\x01\x00\x00\xc0\x00\x00\x00\x00\x05", "NaN"), /* digits of NaN are ignored */
        T("\x00\x02\x00\x03\x40\x00\x00\x00\x00\x01\x00\x02", "-1000200000000"),
    };
    EXPECT_CASES(SL_PG_OID_NUMERIC, cases);
}

static void test_numeric_extremes(void)
{
    struct sl_buf out;
    struct sl_error err = {0};
    /* 1 * 10000^32767 and 1 * 10000^-32768 with the largest scale */
    static const uint8_t huge[] = {0, 1, 0x7f, 0xff, 0, 0, 0, 0, 0, 1};
    static const uint8_t tiny[] = {0, 1, 0x80, 0x00, 0x40, 0, 0x3f, 0xff, 0, 1};
    static const uint8_t scaled[] = {0, 1, 0, 0, 0, 0, 0x3f, 0xff, 0, 7};

    sl_buf_init(&out, 1 << 20);
    REQUIRE(sl_pg_text_from_binary(SL_PG_OID_NUMERIC, huge, sizeof(huge), &out, &err) == SL_OK);
    CHECK_INT(out.len, 1 + 4 * 32767);
    CHECK(out.data[0] == '1' && strspn(out.data + 1, "0") == 4 * 32767);

    sl_buf_reset(&out);
    REQUIRE(sl_pg_text_from_binary(SL_PG_OID_NUMERIC, tiny, sizeof(tiny), &out, &err) == SL_OK);
    CHECK_INT(out.len, 2 + 16383); /* "0." and zeros only: the digit is far below the scale */
    CHECK(strncmp(out.data, "0.", 2) == 0 && strspn(out.data + 2, "0") == 16383);

    sl_buf_reset(&out);
    REQUIRE(sl_pg_text_from_binary(SL_PG_OID_NUMERIC, scaled, sizeof(scaled), &out, &err) ==
            SL_OK);
    CHECK_INT(out.len, 2 + 16383);
    CHECK(strncmp(out.data, "7.", 2) == 0 && strspn(out.data + 2, "0") == 16383);
    sl_buf_free(&out);
}

/* ---------------------------------------------------------------- dates and times */

static void test_date(void)
{
    static const struct text_case cases[] = {
        T("\x00\x00\x00\x00", "2000-01-01"),
        T("\xff\xff\xff\xff", "1999-12-31"),
        T("\x00\x00\x00\x3b", "2000-02-29"),
        T("\x00\x00\x00\x3c", "2000-03-01"),
        T("\x00\x00\x22\x79", "2024-02-29"),
        T("\xff\xff\x71\x8e", "1900-02-28"), /* 1900 is not a leap year */
        T("\xff\xff\x71\x8f", "1900-03-01"),
        T("\x00\x00\x8e\xe7", "2100-02-28"),
        T("\x00\x00\x8e\xe8", "2100-03-01"),
        T("\xff\xff\xd5\x33", "1970-01-01"),
        T("\xff\xf4\xdb\xf9", "0001-01-01"),
        T("\xff\xf4\xdb\xf8", "0001-12-31 BC"), /* the day before: year 0 is 1 BC */
        T("\xff\xf4\x9d\x7b", "0044-03-15 BC"),
        T("\xff\xda\x97\xcd", "4713-01-01 BC"), /* the server's first date */
        T("\x06\x5c\xe7\xee", "294276-12-31"),
        T("\x7f\xda\x97\x0c", "5874897-12-31"), /* the server's last date */
        T("\x7f\xff\xff\xff", "infinity"),
        T("\x80\x00\x00\x00", "-infinity"),
        /* beyond the server's range: still the proleptic Gregorian date */
        T("\x7f\xff\xff\xfe", "5881610-07-10"),
        T("\x80\x00\x00\x01", "5877612-06-23 BC"),
    };
    EXPECT_CASES(SL_PG_OID_DATE, cases);
}

static void test_time(void)
{
    static const struct text_case cases[] = {
        T("\x00\x00\x00\x00\x00\x00\x00\x00", "00:00:00"),
        T("\x00\x00\x00\x0b\x86\x6e\x0f\x00", "13:45:00"),
        T("\x00\x00\x00\x0b\x86\x75\xb0\x20", "13:45:00.5"),
        T("\x00\x00\x00\x0b\x86\x6f\xf1\x40", "13:45:00.123456"),
        T("\x00\x00\x00\x14\x1d\xd7\x5f\xff", "23:59:59.999999"),
        T("\x00\x00\x00\x14\x1d\xd7\x60\x00", "24:00:00"),
        T("\x00\x00\x00\x00\x00\x00\x00\x01", "00:00:00.000001"),
        T("\x00\x00\x00\x0a\x0e\xed\x36\xa0", "12:00:00.1"),
    };
    EXPECT_CASES(SL_PG_OID_TIME, cases);
}

static void test_timestamp(void)
{
    static const struct text_case cases[] = {
        T("\x00\x00\x00\x00\x00\x00\x00\x00", "2000-01-01 00:00:00"),
        T("\x00\x00\x00\x00\x00\x00\x00\x01", "2000-01-01 00:00:00.000001"),
        T("\x00\x02\xb0\xec\x85\x17\xd5\x80", "2024-01-02 03:04:05.123456"),
        T("\x00\x02\xb0\xec\x85\x15\xf3\x40", "2024-01-02 03:04:05"),
        T("\xff\xff\xff\xff\xff\xff\xff\xff", "1999-12-31 23:59:59.999999"),
        T("\xff\xff\xff\xff\xff\xf8\x5e\xe0", "1999-12-31 23:59:59.5"),
        T("\xff\xfc\xa2\xfe\xc4\xc8\x20\x00", "1970-01-01 00:00:00"),
        T("\xff\x1f\xe2\xff\xc5\x9c\x60\x00", "0001-01-01 00:00:00"),
        T("\xff\x1f\xe2\xff\xc5\x94\xbe\xe0", "0001-12-31 23:59:59.5 BC"),
        T("\xff\x1a\xf9\xe8\xfb\x46\xd0\x00", "0044-03-15 12:00:00 BC"),
        T("\xfd\x0f\x7f\xbd\xaf\x17\xe0\x00", "4713-01-01 00:00:00 BC"),
        T("\x7f\xff\xff\x5b\xb3\xb2\x9f\xff", "294276-12-31 23:59:59.999999"),
        T("\x7f\xff\xff\xff\xff\xff\xff\xff", "infinity"),
        T("\x80\x00\x00\x00\x00\x00\x00\x00", "-infinity"),
        /* beyond the server's range, next to the infinities */
        T("\x7f\xff\xff\xff\xff\xff\xff\xfe", "294277-01-09 04:00:54.775806"),
        T("\x80\x00\x00\x00\x00\x00\x00\x01", "290279-12-22 19:59:05.224193 BC"),
    };
    EXPECT_CASES(SL_PG_OID_TIMESTAMP, cases);
}

static void test_timestamptz(void)
{
    static const struct text_case cases[] = {
        T("\x00\x00\x00\x00\x00\x00\x00\x00", "2000-01-01 00:00:00+00"),
        T("\x00\x02\xb0\xec\x85\x15\xf3\x40", "2024-01-02 03:04:05+00"),
        T("\x00\x02\xb0\xec\x85\x1d\x94\x60", "2024-01-02 03:04:05.5+00"),
        T("\xff\x1a\xf9\xe8\xfb\x46\xd0\x00", "0044-03-15 12:00:00+00 BC"),
        T("\xff\xff\xff\xff\xff\xff\xff\xff", "1999-12-31 23:59:59.999999+00"),
        T("\x7f\xff\xff\x5b\xb3\xb2\x9f\xff", "294276-12-31 23:59:59.999999+00"),
        T("\x7f\xff\xff\xff\xff\xff\xff\xff", "infinity"),
        T("\x80\x00\x00\x00\x00\x00\x00\x00", "-infinity"),
    };
    EXPECT_CASES(SL_PG_OID_TIMESTAMPTZ, cases);
}

/* ---------------------------------------------------------------- bytes and text */

static void test_uuid_bytea(void)
{
    static const struct text_case uuid[] = {
        T("\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11",
          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        T("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
          "00000000-0000-0000-0000-000000000000"),
        T("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
          "ffffffff-ffff-ffff-ffff-ffffffffffff"),
    };
    static const struct text_case bytea[] = {
        T("", "\\x"),
        T("\x00\xff\x10\xab", "\\x00ff10ab"),
        T("abc", "\\x616263"),
    };
    EXPECT_CASES(SL_PG_OID_UUID, uuid);
    EXPECT_CASES(SL_PG_OID_BYTEA, bytea);
}

static void test_text_types(void)
{
    static const uint32_t oids[] = {SL_PG_OID_TEXT,  SL_PG_OID_VARCHAR, SL_PG_OID_BPCHAR,
                                    SL_PG_OID_NAME,  SL_PG_OID_JSON};
    for (size_t i = 0; i < SL_ARRAY_LEN(oids); i++) {
        EXPECT_TEXT(oids[i], "", "");
        EXPECT_TEXT(oids[i], "h\xc3\xa9llo\tworld", "h\xc3\xa9llo\tworld");
        EXPECT_TEXT(oids[i], "ab   ", "ab   "); /* bpchar keeps its padding */
    }
    EXPECT_TEXT(SL_PG_OID_JSONB, "\x01{\"a\": {\"c\": null}, \"b\": [1, 2]}",
                "{\"a\": {\"c\": null}, \"b\": [1, 2]}");
    EXPECT_TEXT(SL_PG_OID_JSONB, "\x01\"x\"", "\"x\"");
}

/* The one-byte "char" type prints bytes above 127 in octal since PostgreSQL 15. */
static void test_char(void)
{
    EXPECT_TEXT(SL_PG_OID_CHAR, "a", "a");
    EXPECT_TEXT(SL_PG_OID_CHAR, "\\", "\\");
    EXPECT_TEXT(SL_PG_OID_CHAR, "\x00", "");
    EXPECT_TEXT(SL_PG_OID_CHAR, "\x7f", "\x7f");
    EXPECT_TEXT(SL_PG_OID_CHAR, "\x80", "\\200");
    EXPECT_TEXT(SL_PG_OID_CHAR, "\xff", "\\377");
}

/* ---------------------------------------------------------------- errors */

static void test_malformed_lengths(void)
{
    EXPECT_ERROR(SL_PG_OID_BOOL, "", SL_EPROTO, "bool", "0 bytes");
    EXPECT_ERROR(SL_PG_OID_BOOL, "\x01\x00", SL_EPROTO, "bool", "2 bytes");
    EXPECT_ERROR(SL_PG_OID_INT2, "\x01", SL_EPROTO, "int2", "1 bytes");
    EXPECT_ERROR(SL_PG_OID_INT4, "\x01\x02\x03", SL_EPROTO, "int4", "3 bytes");
    EXPECT_ERROR(SL_PG_OID_INT4, "\x01\x02\x03\x04\x05", SL_EPROTO, "int4", "5 bytes");
    EXPECT_ERROR(SL_PG_OID_INT8, "\x01\x02\x03\x04", SL_EPROTO, "int8", "4 bytes");
    EXPECT_ERROR(SL_PG_OID_OID, "\x01\x02", SL_EPROTO, "oid", "2 bytes");
    EXPECT_ERROR(SL_PG_OID_FLOAT4, "\x01\x02\x03\x04\x05\x06\x07\x08", SL_EPROTO, "float4",
                 "8 bytes");
    EXPECT_ERROR(SL_PG_OID_FLOAT8, "\x01\x02\x03\x04", SL_EPROTO, "float8", "4 bytes");
    EXPECT_ERROR(SL_PG_OID_DATE, "\x01\x02\x03\x04\x05", SL_EPROTO, "date", "5 bytes");
    EXPECT_ERROR(SL_PG_OID_TIME, "\x01\x02\x03\x04", SL_EPROTO, "time", "4 bytes");
    EXPECT_ERROR(SL_PG_OID_TIMESTAMP, "\x01", SL_EPROTO, "timestamp", "1 bytes");
    EXPECT_ERROR(SL_PG_OID_TIMESTAMPTZ, "", SL_EPROTO, "timestamptz", "0 bytes");
    EXPECT_ERROR(SL_PG_OID_UUID, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
                 SL_EPROTO, "uuid", "15 bytes");
    EXPECT_ERROR(SL_PG_OID_CHAR, "ab", SL_EPROTO, "char", "2 bytes");
    EXPECT_ERROR(SL_PG_OID_JSONB, "", SL_EPROTO, "jsonb", "0 bytes");
    EXPECT_ERROR(SL_PG_OID_JSONB, "\x02{}", SL_EPROTO, "jsonb", "version 2");
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\x00\x00\x00\x00\x00\x00\x00", SL_EPROTO, "numeric",
                 "7 bytes");
    /* two digits announced, one present; one announced, two present */
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01", SL_EPROTO,
                 "numeric", "10 bytes");
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01",
                 SL_EPROTO, "numeric", "12 bytes");
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\xff\xff\x00\x00\x00\x00\x00\x00", SL_EPROTO, "numeric",
                 "negative digit count");
}

static void test_malformed_values(void)
{
    /* what the server refuses on input: digit >= 10000, unknown sign, scale > 0x3fff */
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10", SL_EPROTO,
                 "numeric", "digit 10000");
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\x00\x00\x00\x00\x12\x34\x00\x00", SL_EPROTO, "numeric",
                 "sign 0x1234");
    EXPECT_ERROR(SL_PG_OID_NUMERIC, "\x00\x00\x00\x00\x00\x00\x40\x00", SL_EPROTO, "numeric",
                 "scale 16384");
    /* time of day beyond 24:00:00 or negative */
    EXPECT_ERROR(SL_PG_OID_TIME, "\x00\x00\x00\x14\x1d\xd7\x60\x01", SL_EPROTO, "time",
                 "out of range");
    EXPECT_ERROR(SL_PG_OID_TIME, "\xff\xff\xff\xff\xff\xff\xff\xff", SL_EPROTO, "time",
                 "out of range");
}

static void test_unsupported(void)
{
    /* interval (1186), int4[] (1007), inet (869): received as text instead */
    static const uint32_t oids[] = {1186, 1007, 869, 0};
    for (size_t i = 0; i < SL_ARRAY_LEN(oids); i++) {
        CHECK(!sl_pg_text_binary_supported(oids[i]));
        expect_error(oids[i], "\x00\x00\x00\x00", 4, SL_EINVAL, "OID", NULL, __LINE__);
    }
    CHECK(sl_pg_text_binary_supported(SL_PG_OID_NUMERIC));
    CHECK(sl_pg_text_binary_supported(SL_PG_OID_JSONB));
    CHECK(sl_pg_text_binary_supported(SL_PG_OID_CHAR));
    CHECK(sl_pg_text_binary_supported(SL_PG_OID_TIMESTAMPTZ));
}

/* ---------------------------------------------------------------- buffer */

static void test_appends_and_limits(void)
{
    struct sl_buf out;
    struct sl_error err = {0};
    static const uint8_t int4[] = {0, 0, 0, 42};
    static const uint8_t bytes[] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t numeric_huge[] = {0, 1, 0x7f, 0xff, 0, 0, 0, 0, 0, 1};

    /* values append to what is there */
    sl_buf_init(&out, 32);
    REQUIRE(sl_buf_append_str(&out, "x=") == SL_OK);
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_INT4, int4, 4, &out, &err), SL_OK);
    CHECK_STR(out.data, "x=42");

    /* over the limit: SL_ELIMIT, and the buffer keeps its earlier content */
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_BYTEA, bytes, 8, &out, &err), SL_OK);
    CHECK_STR(out.data, "x=42\\x0102030405060708");
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_BYTEA, bytes, 8, &out, &err), SL_ELIMIT);
    CHECK(strstr(err.message, "limit") != NULL);
    CHECK_STR(out.data, "x=42\\x0102030405060708");
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_NUMERIC, numeric_huge, sizeof(numeric_huge), &out,
                                     &err),
              SL_ELIMIT);
    CHECK_STR(out.data, "x=42\\x0102030405060708");
    sl_buf_free(&out);

    /* allocation failure: SL_ENOMEM, nothing half written */
    sl_buf_init(&out, 1024);
    sl_alloc_fail_after(1);
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_INT4, int4, 4, &out, &err), SL_ENOMEM);
    sl_alloc_fail_after(0);
    CHECK_INT(out.len, 0);
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_INT4, int4, 4, &out, &err), SL_OK);
    CHECK_STR(out.data, "42");
    sl_buf_free(&out);

    /* bad arguments */
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_INT4, int4, 4, NULL, &err), SL_EINVAL);
    sl_buf_init(&out, 1024);
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_INT4, NULL, 4, &out, NULL), SL_EINVAL);
    CHECK_INT(sl_pg_text_from_binary(SL_PG_OID_TEXT, NULL, 0, &out, NULL), SL_OK);
    sl_buf_free(&out);
}

UNIT_TESTS(UNIT_TEST(test_bool), UNIT_TEST(test_integers), UNIT_TEST(test_float8),
           UNIT_TEST(test_float4), UNIT_TEST(test_numeric), UNIT_TEST(test_numeric_unnormalized),
           UNIT_TEST(test_numeric_extremes), UNIT_TEST(test_date), UNIT_TEST(test_time),
           UNIT_TEST(test_timestamp), UNIT_TEST(test_timestamptz), UNIT_TEST(test_uuid_bytea),
           UNIT_TEST(test_text_types), UNIT_TEST(test_char), UNIT_TEST(test_malformed_lengths),
           UNIT_TEST(test_malformed_values), UNIT_TEST(test_unsupported),
           UNIT_TEST(test_appends_and_limits))

/*
 * Unit tests of parquet/thrift.c and parquet/format.c: compact protocol primitives at their
 * boundaries, round trips of every metadata struct, malformed and hostile input, and golden
 * footers written by pyarrow (tests/unit/data/make_parquet_golden.py), whose facts as pyarrow
 * reports them are in data/parquet/golden_facts.h. Inputs are copied into heap blocks of exactly
 * their size so ASan sees any over-read.
 */
#include "parquet/format.h"
#include "parquet/thrift.h"
#include "unit.h"

#include "data/parquet/golden_facts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef SLUICE_PARQUET_GOLDEN_DIR
#error "SLUICE_PARQUET_GOLDEN_DIR must name tests/unit/data/parquet"
#endif

/* ================================================================ helpers */

/* A heap copy of exactly len bytes (at least 1 allocated; ASan still flags reads past len). */
static uint8_t *exact_copy(const void *bytes, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        abort();
    if (len > 0)
        memcpy(copy, bytes, len);
    return copy;
}

static bool read_file(const char *name, uint8_t **data, size_t *len)
{
    *data = unit_read_file(SLUICE_PARQUET_GOLDEN_DIR, name, len);
    return *data != NULL;
}

static void hex_of(const char *bytes, size_t len, char *out, size_t out_size)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < out_size; i++) {
        out[o++] = digits[(uint8_t)bytes[i] >> 4];
        out[o++] = digits[(uint8_t)bytes[i] & 15];
    }
    out[o] = '\0';
}

static bool bytes_eq(struct sl_parquet_bytes a, struct sl_parquet_bytes b)
{
    if ((a.data == NULL) != (b.data == NULL))
        return false;
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool bytes_is(struct sl_parquet_bytes a, const char *s)
{
    return a.data != NULL && a.len == strlen(s) && memcmp(a.data, s, a.len) == 0;
}

static struct sl_parquet_bytes B(const char *s)
{
    return sl_parquet_bytes_str(s);
}

static struct sl_parquet_bytes BN(const char *s, size_t len)
{
    struct sl_parquet_bytes b = {s, len};
    return b;
}

/* ================================================================ thrift primitives */

static void test_varint_boundaries_i32(void)
{
    struct sl_buf buf;
    struct sl_thrift_writer w;
    int32_t values[64];
    size_t lens[64];
    size_t n = 0;

    /* zigzag values 2^(7k)-1 and 2^(7k) sit on the byte-length boundaries */
    for (int k = 1; k <= 4; k++) {
        uint32_t last = (UINT32_C(1) << (7 * k)) - 1; /* longest value of k bytes */
        /* unzigzag: even z -> z/2, odd z -> -(z+1)/2 */
        values[n] = (int32_t)(last / 2) * -1 - 1, lens[n++] = (size_t)k; /* odd z = last */
        values[n] = (int32_t)((last - 1) / 2), lens[n++] = (size_t)k;     /* even z = last-1 */
        values[n] = (int32_t)((last + 1) / 2), lens[n++] = (size_t)k + 1; /* z = last+1 */
        values[n] = -(int32_t)((last + 1) / 2) - 1, lens[n++] = (size_t)k + 1;
    }
    values[n] = 0, lens[n++] = 1;
    values[n] = INT32_MAX, lens[n++] = 5;
    values[n] = INT32_MIN, lens[n++] = 5;

    sl_buf_init(&buf, SIZE_MAX);
    for (size_t i = 0; i < n; i++) {
        struct sl_thrift_reader r;
        int32_t back = 0;
        sl_buf_reset(&buf);
        sl_thrift_writer_init(&w, &buf);
        REQUIRE(sl_thrift_write_i32(&w, values[i]) == SL_OK);
        CHECK_INT(buf.len, lens[i]);
        sl_thrift_reader_init(&r, (const uint8_t *)buf.data, buf.len, NULL);
        CHECK(sl_thrift_read_i32(&r, &back) == SL_OK);
        CHECK_INT(back, values[i]);
        CHECK_INT(r.pos, buf.len);
    }
    /* exact bytes of a few */
    {
        static const struct {
            int32_t value;
            const char *bytes;
            size_t len;
        } known[] = {
            {0, "\x00", 1},
            {-1, "\x01", 1},
            {1, "\x02", 1},
            {-64, "\x7f", 1},
            {64, "\x80\x01", 2},
            {INT32_MAX, "\xfe\xff\xff\xff\x0f", 5},
            {INT32_MIN, "\xff\xff\xff\xff\x0f", 5},
        };
        for (size_t i = 0; i < SL_ARRAY_LEN(known); i++) {
            sl_buf_reset(&buf);
            sl_thrift_writer_init(&w, &buf);
            sl_thrift_write_i32(&w, known[i].value);
            CHECK(buf.len == known[i].len && memcmp(buf.data, known[i].bytes, buf.len) == 0);
        }
    }
    sl_buf_free(&buf);
}

static void test_varint_boundaries_i64(void)
{
    struct sl_buf buf;
    sl_buf_init(&buf, SIZE_MAX);

    for (int k = 1; k <= 10; k++) {
        /* the largest zigzag value of k bytes, and one more */
        uint64_t last = k == 10 ? UINT64_MAX : (UINT64_C(1) << (7 * k)) - 1;
        uint64_t zs[2] = {last, last + 1};
        for (int j = 0; j < (k == 10 ? 1 : 2); j++) {
            uint64_t z = zs[j];
            int64_t v = (z & 1) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
            struct sl_thrift_writer w;
            struct sl_thrift_reader r;
            int64_t back = 0;
            sl_buf_reset(&buf);
            sl_thrift_writer_init(&w, &buf);
            REQUIRE(sl_thrift_write_i64(&w, v) == SL_OK);
            CHECK_INT(buf.len, j == 0 ? k : k + 1);
            sl_thrift_reader_init(&r, (const uint8_t *)buf.data, buf.len, NULL);
            CHECK(sl_thrift_read_i64(&r, &back) == SL_OK);
            CHECK(back == v);
            CHECK_INT(r.pos, buf.len);
        }
    }
    {
        struct sl_thrift_writer w;
        sl_buf_reset(&buf);
        sl_thrift_writer_init(&w, &buf);
        sl_thrift_write_i64(&w, INT64_MIN);
        CHECK(buf.len == 10 &&
              memcmp(buf.data, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10) == 0);
        sl_buf_reset(&buf);
        sl_thrift_writer_init(&w, &buf);
        sl_thrift_write_i64(&w, INT64_MAX);
        CHECK(buf.len == 10 &&
              memcmp(buf.data, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10) == 0);
    }
    sl_buf_free(&buf);
}

static int read_one_i32(const char *bytes, size_t len, int32_t *out, struct sl_error *err)
{
    struct sl_thrift_reader r;
    uint8_t *copy = exact_copy(bytes, len);
    int rc;
    sl_thrift_reader_init(&r, copy, len, err);
    rc = sl_thrift_read_i32(&r, out);
    free(copy);
    return rc;
}

static int read_one_i64(const char *bytes, size_t len, int64_t *out, struct sl_error *err)
{
    struct sl_thrift_reader r;
    uint8_t *copy = exact_copy(bytes, len);
    int rc;
    sl_thrift_reader_init(&r, copy, len, err);
    rc = sl_thrift_read_i64(&r, out);
    free(copy);
    return rc;
}

static void test_varint_malformed(void)
{
    struct sl_error err = {0};
    int32_t v32 = 0;
    int64_t v64 = 0;
    int16_t v16 = 0;

    /* non-canonical but in range: accepted */
    CHECK(read_one_i32("\x80\x80\x80\x80\x00", 5, &v32, &err) == SL_OK && v32 == 0);
    /* a 5th byte with bits beyond 32, or a 6th byte */
    CHECK(read_one_i32("\xff\xff\xff\xff\x1f", 5, &v32, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "overflows 32 bits") != NULL);
    CHECK(strstr(err.message, "byte offset 0") != NULL);
    CHECK(read_one_i32("\x80\x80\x80\x80\x80\x00", 6, &v32, &err) == SL_EPROTO);
    /* truncated in the middle */
    CHECK(read_one_i32("\x80\x80", 2, &v32, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "i32") != NULL);
    CHECK(read_one_i32("", 0, &v32, &err) == SL_EPROTO);
    /* i64: 10 bytes with the last > 1, 11 bytes */
    CHECK(read_one_i64("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, &v64, &err) == SL_OK);
    CHECK(v64 == INT64_MIN);
    CHECK(read_one_i64("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, &v64, &err) == SL_EPROTO);
    CHECK(read_one_i64("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", 11, &v64, &err) ==
          SL_EPROTO);
    CHECK(read_one_i64("\xff\xff", 2, &v64, &err) == SL_EPROTO);
    /* i16 beyond its range */
    {
        struct sl_thrift_reader r;
        uint8_t *copy = exact_copy("\x80\x80\x04", 3); /* zigzag 65536 -> 32768 */
        sl_thrift_reader_init(&r, copy, 3, &err);
        CHECK(sl_thrift_read_i16(&r, &v16) == SL_EPROTO);
        free(copy);
        copy = exact_copy("\xfe\xff\x03", 3); /* zigzag 65534 -> 32767 */
        sl_thrift_reader_init(&r, copy, 3, &err);
        CHECK(sl_thrift_read_i16(&r, &v16) == SL_OK && v16 == INT16_MAX);
        free(copy);
    }
}

static void test_scalars_round_trip(void)
{
    struct sl_buf buf;
    struct sl_thrift_writer w;
    struct sl_thrift_reader r;
    static const double doubles[] = {0.0, -0.0, 1.0, -2.5e300, 5e-324, INFINITY, -INFINITY};
    char long_text[300];
    const uint8_t *data = NULL;
    size_t len = 0;
    int8_t i8 = 0;
    int16_t i16 = 0;
    double d = 0;
    bool b = false;

    memset(long_text, 'x', sizeof(long_text));
    sl_buf_init(&buf, SIZE_MAX);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_i8(&w, -128);
    sl_thrift_write_i8(&w, 127);
    sl_thrift_write_i16(&w, INT16_MIN);
    sl_thrift_write_i16(&w, INT16_MAX);
    for (size_t i = 0; i < SL_ARRAY_LEN(doubles); i++)
        sl_thrift_write_double(&w, doubles[i]);
    sl_thrift_write_double(&w, NAN);
    sl_thrift_write_binary(&w, "", 0);
    sl_thrift_write_binary(&w, long_text, sizeof(long_text));
    sl_thrift_write_string(&w, "héllo");
    sl_thrift_write_bool(&w, true);
    sl_thrift_write_bool(&w, false);
    REQUIRE(w.rc == SL_OK);

    sl_thrift_reader_init(&r, (const uint8_t *)buf.data, buf.len, NULL);
    CHECK(sl_thrift_read_i8(&r, &i8) == SL_OK && i8 == -128);
    CHECK(sl_thrift_read_i8(&r, &i8) == SL_OK && i8 == 127);
    CHECK(sl_thrift_read_i16(&r, &i16) == SL_OK && i16 == INT16_MIN);
    CHECK(sl_thrift_read_i16(&r, &i16) == SL_OK && i16 == INT16_MAX);
    for (size_t i = 0; i < SL_ARRAY_LEN(doubles); i++) {
        CHECK(sl_thrift_read_double(&r, &d) == SL_OK);
        CHECK(memcmp(&d, &doubles[i], sizeof(d)) == 0);
    }
    CHECK(sl_thrift_read_double(&r, &d) == SL_OK && isnan(d));
    CHECK(sl_thrift_read_binary(&r, &data, &len) == SL_OK && len == 0);
    CHECK(sl_thrift_read_binary(&r, &data, &len) == SL_OK && len == sizeof(long_text));
    CHECK(len == sizeof(long_text) && memcmp(data, long_text, len) == 0);
    CHECK(sl_thrift_read_binary(&r, &data, &len) == SL_OK && len == 6);
    CHECK(sl_thrift_read_bool(&r, &b) == SL_OK && b);
    CHECK(sl_thrift_read_bool(&r, &b) == SL_OK && !b);
    CHECK_INT(r.pos, buf.len);

    /* a double is 8 little-endian bytes */
    sl_buf_reset(&buf);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_double(&w, 1.0);
    CHECK(buf.len == 8 && memcmp(buf.data, "\0\0\0\0\0\0\xf0\x3f", 8) == 0);
    sl_buf_free(&buf);

    /* bool elements: 1 true, 0 and 2 false, others malformed */
    {
        struct sl_error err = {0};
        uint8_t *copy = exact_copy("\x01\x00\x02\x03", 4);
        sl_thrift_reader_init(&r, copy, 4, &err);
        CHECK(sl_thrift_read_bool(&r, &b) == SL_OK && b);
        CHECK(sl_thrift_read_bool(&r, &b) == SL_OK && !b);
        CHECK(sl_thrift_read_bool(&r, &b) == SL_OK && !b);
        CHECK(sl_thrift_read_bool(&r, &b) == SL_EPROTO);
        free(copy);
    }
}

static void test_binary_lengths_checked(void)
{
    struct sl_error err = {0};
    struct sl_thrift_reader r;
    const uint8_t *data = NULL;
    size_t len = 0;
    uint8_t *copy;

    /* claims 5 bytes, has 4 */
    copy = exact_copy("\x05" "abcd", 5);
    sl_thrift_reader_init(&r, copy, 5, &err);
    CHECK(sl_thrift_read_binary(&r, &data, &len) == SL_EPROTO);
    CHECK(strstr(err.message, "binary needs 5 bytes at byte offset 1") != NULL);
    free(copy);
    /* a length past INT32_MAX */
    copy = exact_copy("\xff\xff\xff\xff\x0f", 5);
    sl_thrift_reader_init(&r, copy, 5, &err);
    CHECK(sl_thrift_read_binary(&r, &data, &len) == SL_EPROTO);
    CHECK(strstr(err.message, "negative size") != NULL);
    free(copy);
    /* 2^31 - 1 claimed in a 10-byte buffer */
    copy = exact_copy("\xff\xff\xff\xff\x07" "abcde", 10);
    sl_thrift_reader_init(&r, copy, 10, &err);
    CHECK(sl_thrift_read_binary(&r, &data, &len) == SL_EPROTO);
    free(copy);
}

struct header_case {
    int16_t id;
    uint8_t type; /* SL_THRIFT_BOOL_TRUE/FALSE for bool fields */
};

/* Writes the fields in order (i32 value = id), reads them back. */
static void check_field_headers(const struct header_case *cases, size_t n, size_t want_len)
{
    struct sl_buf buf;
    struct sl_thrift_writer w;
    struct sl_thrift_reader r;
    struct sl_error err = {0};
    uint8_t *copy;

    sl_buf_init(&buf, SIZE_MAX);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_struct_begin(&w);
    for (size_t i = 0; i < n; i++) {
        if (cases[i].type == SL_THRIFT_BOOL_TRUE || cases[i].type == SL_THRIFT_BOOL_FALSE) {
            sl_thrift_write_field_bool(&w, cases[i].id, cases[i].type == SL_THRIFT_BOOL_TRUE);
        } else {
            sl_thrift_write_field_begin(&w, SL_THRIFT_I32, cases[i].id);
            sl_thrift_write_i32(&w, cases[i].id);
        }
    }
    sl_thrift_write_struct_end(&w);
    REQUIRE(w.rc == SL_OK && w.depth == 0);
    if (want_len != 0)
        CHECK_INT(buf.len, want_len);

    copy = exact_copy(buf.data, buf.len);
    sl_thrift_reader_init(&r, copy, buf.len, &err);
    CHECK(sl_thrift_read_struct_begin(&r) == SL_OK);
    for (size_t i = 0; i < n; i++) {
        uint8_t type = 0;
        int16_t id = 0;
        CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_OK);
        CHECK_INT(id, cases[i].id);
        if (cases[i].type == SL_THRIFT_BOOL_TRUE || cases[i].type == SL_THRIFT_BOOL_FALSE) {
            bool value = false;
            CHECK_INT(type, SL_THRIFT_BOOL);
            CHECK(sl_thrift_read_bool(&r, &value) == SL_OK);
            CHECK(value == (cases[i].type == SL_THRIFT_BOOL_TRUE));
        } else {
            int32_t value = 0;
            CHECK_INT(type, SL_THRIFT_I32);
            CHECK(sl_thrift_read_i32(&r, &value) == SL_OK);
            CHECK_INT(value, cases[i].id);
        }
    }
    {
        uint8_t type = 99;
        int16_t id = 99;
        CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_OK);
        CHECK(type == SL_THRIFT_STOP && id == 0);
    }
    CHECK(sl_thrift_read_struct_end(&r) == SL_OK);
    CHECK_INT(r.pos, buf.len);
    free(copy);
    sl_buf_free(&buf);
}

static void test_field_headers(void)
{
    /* deltas 1..15 take the short form: one header byte + one value byte each */
    static const struct header_case short_form[] = {
        {1, SL_THRIFT_I32}, {2, SL_THRIFT_I32}, {17, SL_THRIFT_I32}, {32, SL_THRIFT_I32},
    };
    /* delta 16, negative deltas, id 0, negative ids, the i16 extremes: long form */
    static const struct header_case long_form[] = {
        {16, SL_THRIFT_I32},        {3, SL_THRIFT_I32},     {0, SL_THRIFT_I32},
        {-1, SL_THRIFT_I32},        {-300, SL_THRIFT_I32},  {INT16_MAX, SL_THRIFT_I32},
        {INT16_MIN, SL_THRIFT_I32}, {INT16_MIN + 1, SL_THRIFT_I32},
    };
    static const struct header_case bools[] = {
        {1, SL_THRIFT_BOOL_TRUE},  {2, SL_THRIFT_BOOL_FALSE}, {40, SL_THRIFT_BOOL_TRUE},
        {39, SL_THRIFT_BOOL_FALSE}, {-5, SL_THRIFT_BOOL_TRUE}, {-4, SL_THRIFT_BOOL_FALSE},
    };
    struct sl_buf buf;
    struct sl_thrift_writer w;

    /* a header byte and a one-byte value each, then the stop byte */
    check_field_headers(short_form, SL_ARRAY_LEN(short_form), 2 * 4 + 1);
    check_field_headers(long_form, SL_ARRAY_LEN(long_form), 0);
    check_field_headers(bools, SL_ARRAY_LEN(bools), 0);

    /* exact bytes: short i32 field, long form with negative delta, folded bools */
    sl_buf_init(&buf, SIZE_MAX);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_struct_begin(&w);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 5); /* 0x55 */
    sl_thrift_write_i32(&w, 1);                        /* 0x02 */
    sl_thrift_write_field_begin(&w, SL_THRIFT_I64, 2); /* 0x06, zigzag(2) = 0x04 */
    sl_thrift_write_i64(&w, -1);                       /* 0x01 */
    sl_thrift_write_field_bool(&w, 3, true);           /* 0x11 */
    sl_thrift_write_field_bool(&w, 30, false);         /* 0x02, zigzag(30) = 0x3c */
    sl_thrift_write_struct_end(&w);                    /* 0x00 */
    CHECK(buf.len == 9 && memcmp(buf.data, "\x55\x02\x06\x04\x01\x11\x02\x3c\x00", 9) == 0);

    /* field ids restart in a nested struct and resume after it */
    sl_buf_reset(&buf);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_struct_begin(&w);
    sl_thrift_write_field_begin(&w, SL_THRIFT_STRUCT, 4); /* 0x4c */
    sl_thrift_write_struct_begin(&w);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 1); /* 0x15 */
    sl_thrift_write_i32(&w, 0);                        /* 0x00 */
    sl_thrift_write_struct_end(&w);                    /* 0x00 */
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 5); /* delta 1 from 4: 0x15 */
    sl_thrift_write_i32(&w, 0);
    sl_thrift_write_struct_end(&w);
    CHECK(buf.len == 7 && memcmp(buf.data, "\x4c\x15\x00\x00\x15\x00\x00", 7) == 0);
    sl_buf_free(&buf);
}

static void test_field_header_malformed(void)
{
    struct sl_error err = {0};
    struct sl_thrift_reader r;
    uint8_t type = 0;
    int16_t id = 0;
    uint8_t *copy;

    /* unknown wire type 14 */
    copy = exact_copy("\x1e", 1);
    sl_thrift_reader_init(&r, copy, 1, &err);
    sl_thrift_read_struct_begin(&r);
    CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_EPROTO);
    CHECK(strstr(err.message, "unknown field type") != NULL);
    free(copy);
    /* long form id out of i16 range */
    copy = exact_copy("\x05\x80\x80\x04", 4);
    sl_thrift_reader_init(&r, copy, 4, &err);
    sl_thrift_read_struct_begin(&r);
    CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_EPROTO);
    free(copy);
    /* a delta that would pass INT16_MAX */
    copy = exact_copy("\x05\xfe\xff\x03\x00\x15", 6);
    sl_thrift_reader_init(&r, copy, 6, &err);
    sl_thrift_read_struct_begin(&r);
    CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_OK && id == INT16_MAX);
    CHECK(sl_thrift_skip(&r, type) == SL_OK);
    CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_EPROTO);
    free(copy);
    /* long form with its id missing */
    copy = exact_copy("\x05", 1);
    sl_thrift_reader_init(&r, copy, 1, &err);
    sl_thrift_read_struct_begin(&r);
    CHECK(sl_thrift_read_field_begin(&r, &type, &id) == SL_EPROTO);
    CHECK(strstr(err.message, "field id") != NULL);
    free(copy);
}

static void test_container_headers(void)
{
    static const uint32_t sizes[] = {0, 1, 14, 15, 16, 127, 128, 1000};
    struct sl_buf buf;
    struct sl_thrift_writer w;

    sl_buf_init(&buf, SIZE_MAX);
    for (size_t i = 0; i < SL_ARRAY_LEN(sizes); i++) {
        struct sl_thrift_reader r;
        uint8_t elem = 0, key = 0, value = 0;
        uint32_t size = 0;

        /* list<i8>, set<bool>, map<binary, double> of this size */
        sl_buf_reset(&buf);
        sl_thrift_writer_init(&w, &buf);
        sl_thrift_write_list_begin(&w, SL_THRIFT_I8, sizes[i]);
        CHECK_INT(buf.len, sizes[i] < 15 ? 1 : sizes[i] < 128 ? 2 : 3);
        for (uint32_t j = 0; j < sizes[i]; j++)
            sl_thrift_write_i8(&w, (int8_t)j);
        sl_thrift_write_set_begin(&w, SL_THRIFT_BOOL, sizes[i]);
        for (uint32_t j = 0; j < sizes[i]; j++)
            sl_thrift_write_bool(&w, j % 2 == 0);
        sl_thrift_write_map_begin(&w, SL_THRIFT_BINARY, SL_THRIFT_DOUBLE, sizes[i]);
        for (uint32_t j = 0; j < sizes[i]; j++) {
            sl_thrift_write_binary(&w, "k", 1);
            sl_thrift_write_double(&w, j);
        }
        REQUIRE(w.rc == SL_OK);

        sl_thrift_reader_init(&r, (const uint8_t *)buf.data, buf.len, NULL);
        CHECK(sl_thrift_read_list_begin(&r, &elem, &size) == SL_OK);
        CHECK(elem == SL_THRIFT_I8 && size == sizes[i]);
        for (uint32_t j = 0; j < size; j++) {
            int8_t v = 0;
            CHECK(sl_thrift_read_i8(&r, &v) == SL_OK && v == (int8_t)j);
        }
        CHECK(sl_thrift_read_set_begin(&r, &elem, &size) == SL_OK);
        CHECK(elem == SL_THRIFT_BOOL && size == sizes[i]);
        for (uint32_t j = 0; j < size; j++) {
            bool v = false;
            CHECK(sl_thrift_read_bool(&r, &v) == SL_OK && v == (j % 2 == 0));
        }
        CHECK(sl_thrift_read_map_begin(&r, &key, &value, &size) == SL_OK);
        CHECK_INT(size, sizes[i]);
        if (sizes[i] > 0)
            CHECK(key == SL_THRIFT_BINARY && value == SL_THRIFT_DOUBLE);
        else
            CHECK(key == SL_THRIFT_STOP && value == SL_THRIFT_STOP);
        /* the map's entries, and everything, skip cleanly */
        for (uint32_t j = 0; j < size; j++) {
            CHECK(sl_thrift_skip(&r, key) == SL_OK);
            CHECK(sl_thrift_skip(&r, value) == SL_OK);
        }
        CHECK_INT(r.pos, buf.len);
    }
    /* an empty map is a single zero byte */
    sl_buf_reset(&buf);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_map_begin(&w, SL_THRIFT_I32, SL_THRIFT_I32, 0);
    CHECK(buf.len == 1 && buf.data[0] == 0);
    sl_buf_free(&buf);
}

static void test_lying_container_sizes(void)
{
    struct sl_error err = {0};
    struct sl_thrift_reader r;
    uint8_t elem = 0, key = 0, value = 0;
    uint32_t size = 0;
    uint8_t *copy;
    int64_t start_ms;

    /* a list of 2^31 - 1 structs in 10 bytes */
    copy = exact_copy("\xfc\xff\xff\xff\xff\x07\x00\x00\x00\x00", 10);
    sl_thrift_reader_init(&r, copy, 10, &err);
    CHECK(sl_thrift_read_list_begin(&r, &elem, &size) == SL_EPROTO);
    CHECK(strstr(err.message, "2147483647 struct elements cannot fit in the 4 bytes left") !=
          NULL);
    free(copy);
    /* 2^32 - 1 is past INT32_MAX */
    copy = exact_copy("\xf5\xff\xff\xff\xff\x0f", 6);
    sl_thrift_reader_init(&r, copy, 6, &err);
    CHECK(sl_thrift_read_list_begin(&r, &elem, &size) == SL_EPROTO);
    free(copy);
    /* 2 doubles need 16 bytes */
    copy = exact_copy("\x27\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 15);
    sl_thrift_reader_init(&r, copy, 15, &err);
    CHECK(sl_thrift_read_list_begin(&r, &elem, &size) == SL_EPROTO);
    free(copy);
    /* a map of 100 entries with 150 bytes left needs 200 */
    {
        uint8_t bytes[152] = {100, 0x55};
        copy = exact_copy(bytes, sizeof(bytes));
        sl_thrift_reader_init(&r, copy, sizeof(bytes), &err);
        CHECK(sl_thrift_read_map_begin(&r, &key, &value, &size) == SL_EPROTO);
        free(copy);
    }

    /* the FileMetaData decoder fails before allocating anything for such a list: with every
     * allocation failing, the error is still EPROTO, not ENOMEM, and it is quick */
    {
        static const char lying[] = "\x15\x02\x19\xfc\xff\xff\xff\xff\x07\x00";
        struct sl_arena arena;
        struct sl_parquet_file_metadata md;
        sl_arena_init(&arena, 1024);
        copy = exact_copy(lying, 10);
        start_ms = sl_clock_monotonic_ms();
        sl_alloc_fail_after(1);
        CHECK(sl_parquet_file_metadata_decode(copy, 10, &arena, &md, NULL, &err) == SL_EPROTO);
        sl_alloc_fail_after(0);
        CHECK(sl_clock_monotonic_ms() - start_ms < 1000);
        CHECK(strstr(err.message, "FileMetaData.schema") != NULL);
        free(copy);
        sl_arena_free(&arena);
    }
}

/* FileMetaData{1: 1, 2: [], 3: 0, 4: [RowGroup{1: <list header>, then `rest`}]} */
static void put_row_group_list_prefix(struct sl_buf *buf, uint32_t count)
{
    uint8_t varint[5];
    size_t n = 0;

    sl_buf_append(buf, "\x15\x02\x19\x0c\x16\x00\x19\x1c\x19\xfc", 10);
    do {
        varint[n++] = (uint8_t)((count & 0x7f) | (count > 0x7f ? 0x80 : 0));
        count >>= 7;
    } while (count != 0);
    sl_buf_append(buf, varint, n);
}

static void test_list_memory_is_bounded(void)
{
    struct sl_buf buf;
    struct sl_arena arena;
    struct sl_parquet_file_metadata md;
    struct sl_error err = {0};
    uint8_t *copy;

    /* 500000 ColumnChunks claimed, 600000 bytes follow (so the count passes the bytes-left
     * check), the first element is bad: fails without allocating for the claim */
    sl_buf_init(&buf, SIZE_MAX);
    put_row_group_list_prefix(&buf, 500000);
    for (int i = 0; i < 600000; i++)
        sl_buf_putc(&buf, 0);
    sl_arena_init(&arena, 4096);
    copy = exact_copy(buf.data, buf.len);
    CHECK(sl_parquet_file_metadata_decode(copy, buf.len, &arena, &md, NULL, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "row_groups[0].columns[0]: ColumnChunk required field "
                              "file_offset") != NULL);
    CHECK(arena.used_total < 64 * 1024);
    free(copy);
    sl_arena_free(&arena);

    /* valid minimal ColumnChunks (3 bytes each, 352 in memory): a few thousand decode, a
     * hundred thousand exceed the memory budget instead of taking 35 MB */
    for (int round = 0; round < 2; round++) {
        uint32_t count = round == 0 ? 1000 : 100000;
        sl_buf_reset(&buf);
        put_row_group_list_prefix(&buf, count);
        for (uint32_t i = 0; i < count; i++)
            sl_buf_append(&buf, "\x26\x00\x00", 3);
        sl_buf_append(&buf, "\x16\x00\x16\x00\x00\x00", 6);
        sl_arena_init(&arena, 4096);
        copy = exact_copy(buf.data, buf.len);
        if (round == 0) {
            int rc = sl_parquet_file_metadata_decode(copy, buf.len, &arena, &md, NULL, &err);
            if (rc != SL_OK)
                fprintf(stderr, "  %s\n", err.message);
            CHECK(rc == SL_OK);
            CHECK(md.n_row_groups == 1 && md.row_groups[0].n_columns == count);
        } else {
            CHECK(sl_parquet_file_metadata_decode(copy, buf.len, &arena, &md, NULL, &err) ==
                  SL_ELIMIT);
            CHECK(strstr(err.message, "not plausible metadata") != NULL);
            CHECK(arena.used_total <= 32 * buf.len);
        }
        free(copy);
        sl_arena_free(&arena);
    }
    sl_buf_free(&buf);
}

/* Writes one value of every type (nested) as a field of id `id`. */
static void write_every_type(struct sl_thrift_writer *w, int16_t id)
{
    sl_thrift_write_field_bool(w, id, true);
    sl_thrift_write_field_bool(w, (int16_t)(id + 1), false);
    sl_thrift_write_field_begin(w, SL_THRIFT_I8, (int16_t)(id + 2));
    sl_thrift_write_i8(w, -3);
    sl_thrift_write_field_begin(w, SL_THRIFT_I16, (int16_t)(id + 3));
    sl_thrift_write_i16(w, -300);
    sl_thrift_write_field_begin(w, SL_THRIFT_I32, (int16_t)(id + 4));
    sl_thrift_write_i32(w, INT32_MIN);
    sl_thrift_write_field_begin(w, SL_THRIFT_I64, (int16_t)(id + 5));
    sl_thrift_write_i64(w, INT64_MAX);
    sl_thrift_write_field_begin(w, SL_THRIFT_DOUBLE, (int16_t)(id + 6));
    sl_thrift_write_double(w, 3.5);
    sl_thrift_write_field_begin(w, SL_THRIFT_BINARY, (int16_t)(id + 7));
    sl_thrift_write_binary(w, "unknown", 7);
    /* list<struct{list<map<i32, struct{bool}>>}> */
    sl_thrift_write_field_begin(w, SL_THRIFT_LIST, (int16_t)(id + 8));
    sl_thrift_write_list_begin(w, SL_THRIFT_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
        sl_thrift_write_struct_begin(w);
        sl_thrift_write_field_begin(w, SL_THRIFT_LIST, 1);
        sl_thrift_write_list_begin(w, SL_THRIFT_MAP, 1);
        sl_thrift_write_map_begin(w, SL_THRIFT_I32, SL_THRIFT_STRUCT, 2);
        for (int j = 0; j < 2; j++) {
            sl_thrift_write_i32(w, j);
            sl_thrift_write_struct_begin(w);
            sl_thrift_write_field_bool(w, 1, j == 0);
            sl_thrift_write_struct_end(w);
        }
        sl_thrift_write_struct_end(w);
    }
    sl_thrift_write_field_begin(w, SL_THRIFT_SET, (int16_t)(id + 9));
    sl_thrift_write_set_begin(w, SL_THRIFT_BOOL, 3);
    sl_thrift_write_bool(w, true);
    sl_thrift_write_bool(w, false);
    sl_thrift_write_bool(w, true);
    sl_thrift_write_field_begin(w, SL_THRIFT_MAP, (int16_t)(id + 10));
    sl_thrift_write_map_begin(w, SL_THRIFT_BINARY, SL_THRIFT_LIST, 1);
    sl_thrift_write_binary(w, "k", 1);
    sl_thrift_write_list_begin(w, SL_THRIFT_DOUBLE, 2);
    sl_thrift_write_double(w, 1);
    sl_thrift_write_double(w, 2);
    sl_thrift_write_field_begin(w, SL_THRIFT_MAP, (int16_t)(id + 11)); /* empty map */
    sl_thrift_write_map_begin(w, SL_THRIFT_I32, SL_THRIFT_I32, 0);
    sl_thrift_write_field_begin(w, SL_THRIFT_STRUCT, (int16_t)(id + 12)); /* empty struct */
    sl_thrift_write_struct_begin(w);
    sl_thrift_write_struct_end(w);
    sl_thrift_write_field_begin(w, SL_THRIFT_UUID, (int16_t)(id + 13));
    sl_buf_append(w->out, "0123456789abcdef", 16);
}

static void test_skip_unknown_fields(void)
{
    struct sl_buf buf;
    struct sl_thrift_writer w;
    struct sl_arena arena;
    struct sl_parquet_page_header ph;
    struct sl_error err = {0};
    size_t consumed = 0;
    uint8_t *copy;

    /* a PageHeader with unknown fields of every type around (and inside) its known ones */
    sl_buf_init(&buf, SIZE_MAX);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_struct_begin(&w);
    write_every_type(&w, -20); /* negative ids, long form */
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 1);
    sl_thrift_write_i32(&w, SL_PARQUET_PAGE_DATA);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 2);
    sl_thrift_write_i32(&w, 100);
    write_every_type(&w, 20);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 3);
    sl_thrift_write_i32(&w, 90);
    sl_thrift_write_field_begin(&w, SL_THRIFT_STRUCT, 5);
    sl_thrift_write_struct_begin(&w);
    write_every_type(&w, 6); /* 6..19 inside DataPageHeader */
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 1);
    sl_thrift_write_i32(&w, 7);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 2);
    sl_thrift_write_i32(&w, SL_PARQUET_ENC_PLAIN);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 3);
    sl_thrift_write_i32(&w, SL_PARQUET_ENC_RLE);
    sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 4);
    sl_thrift_write_i32(&w, SL_PARQUET_ENC_RLE);
    sl_thrift_write_struct_end(&w);
    write_every_type(&w, 200);
    sl_thrift_write_struct_end(&w);
    REQUIRE(w.rc == SL_OK);
    sl_buf_append(&buf, "page bytes", 10); /* the page follows its header */

    sl_arena_init(&arena, 1024);
    copy = exact_copy(buf.data, buf.len);
    CHECK(sl_parquet_page_header_decode(copy, buf.len, &arena, &ph, &consumed, &err) == SL_OK);
    CHECK_INT(consumed, buf.len - 10);
    CHECK_INT(ph.type, SL_PARQUET_PAGE_DATA);
    CHECK_INT(ph.uncompressed_page_size, 100);
    CHECK_INT(ph.compressed_page_size, 90);
    CHECK(ph.has_data_page_header && !ph.has_dictionary_page_header);
    CHECK_INT(ph.data_page_header.num_values, 7);
    CHECK_INT(ph.data_page_header.definition_level_encoding, SL_PARQUET_ENC_RLE);

    /* the same bytes skip whole as one struct */
    {
        struct sl_thrift_reader r;
        sl_thrift_reader_init(&r, copy, buf.len, &err);
        CHECK(sl_thrift_skip(&r, SL_THRIFT_STRUCT) == SL_OK);
        CHECK_INT(r.pos, consumed);
        CHECK_INT(r.depth, 0);
    }
    /* and every truncation of them fails cleanly */
    for (size_t cut = 0; cut < consumed; cut++) {
        uint8_t *part = exact_copy(buf.data, cut);
        CHECK(sl_parquet_page_header_decode(part, cut, &arena, &ph, NULL, &err) == SL_EPROTO);
        free(part);
    }
    free(copy);
    sl_arena_free(&arena);
    sl_buf_free(&buf);
}

static void test_known_field_of_wrong_type_is_skipped(void)
{
    /* PageHeader{1: type as binary "x", 1: i32 0, 2: i32 1, 3: i32 1, 4: crc as string} */
    static const char bytes[] = "\x18\x01x\x05\x02\x00\x15\x02\x15\x02\x18\x02hi\x00";
    struct sl_arena arena;
    struct sl_parquet_page_header ph;
    struct sl_error err = {0};
    uint8_t *copy = exact_copy(bytes, sizeof(bytes) - 1);

    sl_arena_init(&arena, 1024);
    CHECK(sl_parquet_page_header_decode(copy, sizeof(bytes) - 1, &arena, &ph, NULL, &err) ==
          SL_OK);
    CHECK_INT(ph.type, 0);
    CHECK(!ph.has_crc);
    free(copy);
    /* a required field present only with the wrong type is missing */
    copy = exact_copy("\x18\x01x\x15\x02\x15\x02\x00", 9);
    CHECK(sl_parquet_page_header_decode(copy, 9, &arena, &ph, NULL, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "required field type (id 1) is missing") != NULL);
    free(copy);
    sl_arena_free(&arena);
}

static void test_depth_limit(void)
{
    struct sl_buf buf;
    struct sl_thrift_writer w;
    struct sl_arena arena;
    struct sl_parquet_file_metadata md;
    struct sl_error err = {0};
    uint8_t *copy;

    /* the writer refuses to nest past SL_THRIFT_MAX_DEPTH */
    sl_buf_init(&buf, SIZE_MAX);
    sl_thrift_writer_init(&w, &buf);
    for (int i = 0; i < SL_THRIFT_MAX_DEPTH; i++)
        CHECK(sl_thrift_write_struct_begin(&w) == SL_OK);
    CHECK(sl_thrift_write_struct_begin(&w) == SL_ELIMIT);
    CHECK(sl_thrift_write_i32(&w, 1) == SL_ELIMIT); /* sticky */

    /* the reader: nested structs in an unknown field, at the limit and one past it */
    for (int extra = 0; extra <= 1; extra++) {
        size_t nesting = SL_THRIFT_MAX_DEPTH - 1 + (size_t)extra; /* + the top struct */
        sl_buf_reset(&buf);
        for (size_t i = 0; i < nesting; i++)
            sl_buf_putc(&buf, (char)(i == 0 ? 0xfc : 0x1c)); /* field 15 / 1, struct */
        for (size_t i = 0; i < nesting + 1; i++)
            sl_buf_putc(&buf, 0);
        {
            struct sl_thrift_reader r;
            copy = exact_copy(buf.data, buf.len);
            sl_thrift_reader_init(&r, copy, buf.len, &err);
            CHECK(sl_thrift_skip(&r, SL_THRIFT_STRUCT) == (extra ? SL_ELIMIT : SL_OK));
            free(copy);
        }
    }
    /* lists of lists, in a FileMetaData's unknown field 20 */
    sl_buf_reset(&buf);
    sl_buf_append(&buf, "\x09\x28", 2);
    for (int i = 0; i < 100; i++)
        sl_buf_putc(&buf, 0x19); /* list of one list */
    sl_buf_putc(&buf, 0x00);
    sl_arena_init(&arena, 1024);
    copy = exact_copy(buf.data, buf.len);
    CHECK(sl_parquet_file_metadata_decode(copy, buf.len, &arena, &md, NULL, &err) == SL_ELIMIT);
    CHECK(strstr(err.message, "nesting deeper than 64") != NULL);
    CHECK(strstr(err.message, "FileMetaData.<field 20>") != NULL);
    free(copy);
    /* a lower max_depth on a reader is honoured */
    {
        struct sl_thrift_reader r;
        copy = exact_copy("\x1c\x1c\x00\x00\x00", 5);
        sl_thrift_reader_init(&r, copy, 5, &err);
        r.max_depth = 2;
        CHECK(sl_thrift_skip(&r, SL_THRIFT_STRUCT) == SL_ELIMIT);
        sl_thrift_reader_init(&r, copy, 5, &err);
        r.max_depth = 3;
        CHECK(sl_thrift_skip(&r, SL_THRIFT_STRUCT) == SL_OK);
        free(copy);
    }
    sl_arena_free(&arena);
    sl_buf_free(&buf);
}

static void test_writer_errors(void)
{
    struct sl_buf buf;
    struct sl_thrift_writer w;

    /* a field outside any struct, a bool through field_begin, bad types */
    sl_buf_init(&buf, SIZE_MAX);
    sl_thrift_writer_init(&w, &buf);
    CHECK(sl_thrift_write_field_begin(&w, SL_THRIFT_I32, 1) == SL_EINVAL);
    sl_thrift_writer_init(&w, &buf);
    sl_thrift_write_struct_begin(&w);
    CHECK(sl_thrift_write_field_begin(&w, SL_THRIFT_BOOL_TRUE, 1) == SL_EINVAL);
    sl_thrift_writer_init(&w, &buf);
    CHECK(sl_thrift_write_list_begin(&w, SL_THRIFT_STOP, 1) == SL_EINVAL);
    sl_thrift_writer_init(&w, &buf);
    CHECK(sl_thrift_write_list_begin(&w, SL_THRIFT_I32, (uint32_t)INT32_MAX + 1) == SL_EINVAL);
    sl_thrift_writer_init(&w, &buf);
    CHECK(sl_thrift_write_struct_end(&w) == SL_EINVAL);
    sl_buf_free(&buf);

    /* the buffer's maximum: ELIMIT, then sticky */
    sl_buf_init(&buf, 4);
    sl_thrift_writer_init(&w, &buf);
    CHECK(sl_thrift_write_i64(&w, INT64_MAX) == SL_ELIMIT);
    CHECK(sl_thrift_write_i8(&w, 1) == SL_ELIMIT);
    CHECK_INT(buf.len, 0);
    sl_buf_free(&buf);
}

/* ================================================================ metadata round trips */

static void check_statistics_eq(const struct sl_parquet_statistics *a,
                                const struct sl_parquet_statistics *b)
{
    CHECK(bytes_eq(a->max, b->max));
    CHECK(bytes_eq(a->min, b->min));
    CHECK(a->has_null_count == b->has_null_count && a->null_count == b->null_count);
    CHECK(a->has_distinct_count == b->has_distinct_count &&
          a->distinct_count == b->distinct_count);
    CHECK(bytes_eq(a->max_value, b->max_value));
    CHECK(bytes_eq(a->min_value, b->min_value));
    CHECK(a->has_is_max_value_exact == b->has_is_max_value_exact &&
          a->is_max_value_exact == b->is_max_value_exact);
    CHECK(a->has_is_min_value_exact == b->has_is_min_value_exact &&
          a->is_min_value_exact == b->is_min_value_exact);
}

static void check_key_values_eq(const struct sl_parquet_key_value *a, uint32_t na,
                                const struct sl_parquet_key_value *b, uint32_t nb)
{
    CHECK((a == NULL) == (b == NULL));
    CHECK_INT(na, nb);
    for (uint32_t i = 0; i < na && i < nb; i++) {
        CHECK(bytes_eq(a[i].key, b[i].key));
        CHECK(bytes_eq(a[i].value, b[i].value));
    }
}

static void check_schema_element_eq(const struct sl_parquet_schema_element *a,
                                    const struct sl_parquet_schema_element *b)
{
    const struct sl_parquet_logical_type *la = &a->logical_type, *lb = &b->logical_type;
    CHECK(a->has_type == b->has_type && a->type == b->type);
    CHECK(a->has_type_length == b->has_type_length && a->type_length == b->type_length);
    CHECK(a->has_repetition_type == b->has_repetition_type &&
          a->repetition_type == b->repetition_type);
    CHECK(bytes_eq(a->name, b->name));
    CHECK(a->has_num_children == b->has_num_children && a->num_children == b->num_children);
    CHECK(a->has_converted_type == b->has_converted_type &&
          a->converted_type == b->converted_type);
    CHECK(a->has_scale == b->has_scale && a->scale == b->scale);
    CHECK(a->has_precision == b->has_precision && a->precision == b->precision);
    CHECK(a->has_field_id == b->has_field_id && a->field_id == b->field_id);
    CHECK_INT(la->kind, lb->kind);
    CHECK(la->scale == lb->scale && la->precision == lb->precision);
    CHECK(la->unit == lb->unit && la->is_adjusted_to_utc == lb->is_adjusted_to_utc);
    CHECK(la->bit_width == lb->bit_width && la->is_signed == lb->is_signed);
    CHECK(bytes_eq(la->unknown_member, lb->unknown_member));
}

static void check_column_meta_data_eq(const struct sl_parquet_column_meta_data *a,
                                      const struct sl_parquet_column_meta_data *b)
{
    CHECK_INT(a->type, b->type);
    CHECK_INT(a->n_encodings, b->n_encodings);
    for (uint32_t i = 0; i < a->n_encodings && i < b->n_encodings; i++)
        CHECK_INT(a->encodings[i], b->encodings[i]);
    CHECK_INT(a->n_path_in_schema, b->n_path_in_schema);
    for (uint32_t i = 0; i < a->n_path_in_schema && i < b->n_path_in_schema; i++)
        CHECK(bytes_eq(a->path_in_schema[i], b->path_in_schema[i]));
    CHECK_INT(a->codec, b->codec);
    CHECK(a->num_values == b->num_values);
    CHECK(a->total_uncompressed_size == b->total_uncompressed_size);
    CHECK(a->total_compressed_size == b->total_compressed_size);
    check_key_values_eq(a->key_value_metadata, a->n_key_value_metadata, b->key_value_metadata,
                        b->n_key_value_metadata);
    CHECK(a->data_page_offset == b->data_page_offset);
    CHECK(a->has_index_page_offset == b->has_index_page_offset &&
          a->index_page_offset == b->index_page_offset);
    CHECK(a->has_dictionary_page_offset == b->has_dictionary_page_offset &&
          a->dictionary_page_offset == b->dictionary_page_offset);
    CHECK(a->has_statistics == b->has_statistics);
    check_statistics_eq(&a->statistics, &b->statistics);
    CHECK((a->encoding_stats == NULL) == (b->encoding_stats == NULL));
    CHECK_INT(a->n_encoding_stats, b->n_encoding_stats);
    for (uint32_t i = 0; i < a->n_encoding_stats && i < b->n_encoding_stats; i++) {
        CHECK_INT(a->encoding_stats[i].page_type, b->encoding_stats[i].page_type);
        CHECK_INT(a->encoding_stats[i].encoding, b->encoding_stats[i].encoding);
        CHECK_INT(a->encoding_stats[i].count, b->encoding_stats[i].count);
    }
    CHECK(a->has_bloom_filter_offset == b->has_bloom_filter_offset &&
          a->bloom_filter_offset == b->bloom_filter_offset);
    CHECK(a->has_bloom_filter_length == b->has_bloom_filter_length &&
          a->bloom_filter_length == b->bloom_filter_length);
    CHECK(a->has_size_statistics == b->has_size_statistics);
    {
        const struct sl_parquet_size_statistics *sa = &a->size_statistics,
                                                *sb = &b->size_statistics;
        CHECK(sa->has_unencoded_byte_array_data_bytes == sb->has_unencoded_byte_array_data_bytes);
        CHECK(sa->unencoded_byte_array_data_bytes == sb->unencoded_byte_array_data_bytes);
        CHECK((sa->repetition_level_histogram == NULL) == (sb->repetition_level_histogram == NULL));
        CHECK((sa->definition_level_histogram == NULL) == (sb->definition_level_histogram == NULL));
        CHECK_INT(sa->n_repetition_level_histogram, sb->n_repetition_level_histogram);
        CHECK_INT(sa->n_definition_level_histogram, sb->n_definition_level_histogram);
        for (uint32_t i = 0; i < sa->n_definition_level_histogram &&
                             i < sb->n_definition_level_histogram;
             i++)
            CHECK(sa->definition_level_histogram[i] == sb->definition_level_histogram[i]);
        for (uint32_t i = 0; i < sa->n_repetition_level_histogram &&
                             i < sb->n_repetition_level_histogram;
             i++)
            CHECK(sa->repetition_level_histogram[i] == sb->repetition_level_histogram[i]);
    }
}

static void check_file_metadata_eq(const struct sl_parquet_file_metadata *a,
                                   const struct sl_parquet_file_metadata *b)
{
    CHECK_INT(a->version, b->version);
    CHECK(a->num_rows == b->num_rows);
    REQUIRE(a->n_schema == b->n_schema);
    for (uint32_t i = 0; i < a->n_schema; i++)
        check_schema_element_eq(&a->schema[i], &b->schema[i]);
    REQUIRE(a->n_row_groups == b->n_row_groups);
    for (uint32_t i = 0; i < a->n_row_groups; i++) {
        const struct sl_parquet_row_group *ra = &a->row_groups[i], *rb = &b->row_groups[i];
        CHECK(ra->total_byte_size == rb->total_byte_size && ra->num_rows == rb->num_rows);
        CHECK(ra->has_file_offset == rb->has_file_offset && ra->file_offset == rb->file_offset);
        CHECK(ra->has_total_compressed_size == rb->has_total_compressed_size &&
              ra->total_compressed_size == rb->total_compressed_size);
        CHECK(ra->has_ordinal == rb->has_ordinal && ra->ordinal == rb->ordinal);
        REQUIRE(ra->n_columns == rb->n_columns);
        for (uint32_t j = 0; j < ra->n_columns; j++) {
            const struct sl_parquet_column_chunk *ca = &ra->columns[j], *cb = &rb->columns[j];
            CHECK(bytes_eq(ca->file_path, cb->file_path));
            CHECK(ca->file_offset == cb->file_offset);
            CHECK(ca->has_meta_data == cb->has_meta_data);
            check_column_meta_data_eq(&ca->meta_data, &cb->meta_data);
            CHECK(ca->has_offset_index_offset == cb->has_offset_index_offset &&
                  ca->offset_index_offset == cb->offset_index_offset);
            CHECK(ca->has_offset_index_length == cb->has_offset_index_length &&
                  ca->offset_index_length == cb->offset_index_length);
            CHECK(ca->has_column_index_offset == cb->has_column_index_offset &&
                  ca->column_index_offset == cb->column_index_offset);
            CHECK(ca->has_column_index_length == cb->has_column_index_length &&
                  ca->column_index_length == cb->column_index_length);
        }
    }
    check_key_values_eq(a->key_value_metadata, a->n_key_value_metadata, b->key_value_metadata,
                        b->n_key_value_metadata);
    CHECK(bytes_eq(a->created_by, b->created_by));
    CHECK((a->column_orders == NULL) == (b->column_orders == NULL));
    REQUIRE(a->n_column_orders == b->n_column_orders);
    for (uint32_t i = 0; i < a->n_column_orders; i++) {
        CHECK_INT(a->column_orders[i].kind, b->column_orders[i].kind);
        CHECK(bytes_eq(a->column_orders[i].unknown_member, b->column_orders[i].unknown_member));
    }
}

/* Encodes, decodes from an exact-size copy, compares; returns the encoded length. */
static size_t round_trip_file_metadata(const struct sl_parquet_file_metadata *md)
{
    struct sl_buf buf;
    struct sl_arena arena;
    struct sl_parquet_file_metadata back;
    struct sl_error err = {0};
    size_t consumed = 0, len;
    uint8_t *copy;

    sl_buf_init(&buf, SIZE_MAX);
    sl_arena_init(&arena, 4096);
    if (sl_parquet_file_metadata_encode(md, &buf, &err) != SL_OK) {
        fprintf(stderr, "  encode: %s\n", err.message);
        CHECK(false);
        sl_buf_free(&buf);
        return 0;
    }
    len = buf.len;
    copy = exact_copy(buf.data, buf.len);
    if (sl_parquet_file_metadata_decode(copy, len, &arena, &back, &consumed, &err) != SL_OK) {
        fprintf(stderr, "  decode: %s\n", err.message);
        CHECK(false);
    } else {
        CHECK_INT(consumed, len);
        check_file_metadata_eq(md, &back);
        /* and it encodes to the same bytes again */
        {
            struct sl_buf again;
            sl_buf_init(&again, SIZE_MAX);
            CHECK(sl_parquet_file_metadata_encode(&back, &again, &err) == SL_OK);
            CHECK(again.len == len && memcmp(again.data, buf.data, len) == 0);
            sl_buf_free(&again);
        }
    }
    free(copy);
    sl_arena_free(&arena);
    sl_buf_free(&buf);
    return len;
}

/* Every optional field present, every LogicalType kind, unknown union members. */
static void test_file_metadata_all_fields(void)
{
    static const char unknown_variant[] = "\x13\x01\x00"; /* struct{1: i8 1} + stop */
    struct sl_parquet_schema_element schema[20];
    struct sl_parquet_key_value kv[3] = {
        {B("a"), B("1")}, {B("no value"), {NULL, 0}}, {B("empty"), B("")},
    };
    struct sl_parquet_key_value column_kv[1] = {{B("col"), BN("b\0in", 4)}};
    int32_t encodings[3] = {SL_PARQUET_ENC_PLAIN, SL_PARQUET_ENC_RLE, 77 /* unknown */};
    struct sl_parquet_bytes path[2] = {B("outer"), B("inner")};
    struct sl_parquet_page_encoding_stats pes[2] = {
        {SL_PARQUET_PAGE_DICTIONARY, SL_PARQUET_ENC_PLAIN, 1},
        {SL_PARQUET_PAGE_DATA, SL_PARQUET_ENC_RLE_DICTIONARY, 12},
    };
    int64_t def_hist[3] = {0, 5, INT64_MAX}, rep_hist[1] = {-1};
    struct sl_parquet_column_chunk chunks[2];
    struct sl_parquet_row_group row_groups[2];
    struct sl_parquet_column_order orders[2] = {
        {SL_PARQUET_COLUMN_ORDER_TYPE_DEFINED, {NULL, 0}},
        {9, {unknown_variant, 3}},
    };
    struct sl_parquet_file_metadata md;
    static const int32_t kinds[] = {
        SL_PARQUET_LOGICAL_NONE,    SL_PARQUET_LOGICAL_STRING,  SL_PARQUET_LOGICAL_MAP,
        SL_PARQUET_LOGICAL_LIST,    SL_PARQUET_LOGICAL_ENUM,    SL_PARQUET_LOGICAL_DECIMAL,
        SL_PARQUET_LOGICAL_DATE,    SL_PARQUET_LOGICAL_TIME,    SL_PARQUET_LOGICAL_TIMESTAMP,
        SL_PARQUET_LOGICAL_INTEGER, SL_PARQUET_LOGICAL_UNKNOWN, SL_PARQUET_LOGICAL_JSON,
        SL_PARQUET_LOGICAL_BSON,    SL_PARQUET_LOGICAL_UUID,    SL_PARQUET_LOGICAL_FLOAT16,
        16 /* VARIANT, unknown here */, SL_PARQUET_LOGICAL_TIMESTAMP, SL_PARQUET_LOGICAL_TIME,
        SL_PARQUET_LOGICAL_INTEGER, SL_PARQUET_LOGICAL_TIMESTAMP,
    };

    memset(schema, 0, sizeof(schema));
    for (size_t i = 0; i < SL_ARRAY_LEN(schema); i++) {
        struct sl_parquet_schema_element *el = &schema[i];
        el->has_type = el->has_type_length = el->has_repetition_type = true;
        el->has_num_children = el->has_converted_type = el->has_scale = true;
        el->has_precision = el->has_field_id = true;
        el->type = (int32_t)(i % 8);
        el->type_length = (int32_t)i * 3;
        el->repetition_type = (int32_t)(i % 3);
        el->name = i == 3 ? B("") : B("column");
        el->num_children = (int32_t)i - 5;
        el->converted_type = (int32_t)i;
        el->scale = -(int32_t)i;
        el->precision = INT32_MAX - (int32_t)i;
        el->field_id = INT32_MIN + (int32_t)i;
        el->logical_type.kind = kinds[i];
    }
    schema[5].logical_type.scale = 2;
    schema[5].logical_type.precision = 12;
    schema[7].logical_type.unit = SL_PARQUET_UNIT_MILLIS;
    schema[8].logical_type.unit = SL_PARQUET_UNIT_MICROS;
    schema[8].logical_type.is_adjusted_to_utc = true;
    schema[9].logical_type.bit_width = 8;
    schema[9].logical_type.is_signed = false;
    schema[15].logical_type.unknown_member = BN(unknown_variant, 3);
    schema[16].logical_type.unit = SL_PARQUET_UNIT_NANOS;
    schema[17].logical_type.unit = 7; /* a unit from the future */
    schema[17].logical_type.is_adjusted_to_utc = true;
    schema[18].logical_type.bit_width = 64;
    schema[18].logical_type.is_signed = true;
    schema[19].logical_type.unit = SL_PARQUET_UNIT_MICROS;

    memset(chunks, 0, sizeof(chunks));
    for (int i = 0; i < 2; i++) {
        struct sl_parquet_column_chunk *cc = &chunks[i];
        struct sl_parquet_column_meta_data *cm = &cc->meta_data;
        cc->file_path = B("other.parquet");
        cc->file_offset = INT64_MAX - i;
        cc->has_meta_data = true;
        cc->has_offset_index_offset = cc->has_offset_index_length = true;
        cc->has_column_index_offset = cc->has_column_index_length = true;
        cc->offset_index_offset = 1000 + i;
        cc->offset_index_length = 31;
        cc->column_index_offset = 2000;
        cc->column_index_length = INT32_MAX;
        cm->type = SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY;
        cm->encodings = encodings;
        cm->n_encodings = 3;
        cm->path_in_schema = path;
        cm->n_path_in_schema = 2;
        cm->codec = i == 0 ? SL_PARQUET_CODEC_ZSTD : 99 /* unknown */;
        cm->num_values = 123456789012LL;
        cm->total_uncompressed_size = 5;
        cm->total_compressed_size = 4;
        cm->key_value_metadata = column_kv;
        cm->n_key_value_metadata = 1;
        cm->data_page_offset = 4;
        cm->has_index_page_offset = cm->has_dictionary_page_offset = true;
        cm->index_page_offset = -7;
        cm->dictionary_page_offset = 4;
        cm->has_statistics = true;
        cm->statistics.max = BN("\xff\x00", 2);
        cm->statistics.min = B("");
        cm->statistics.has_null_count = cm->statistics.has_distinct_count = true;
        cm->statistics.null_count = 0;
        cm->statistics.distinct_count = INT64_MIN;
        cm->statistics.max_value = B("zzz");
        cm->statistics.min_value = B("aaa");
        cm->statistics.has_is_max_value_exact = cm->statistics.has_is_min_value_exact = true;
        cm->statistics.is_max_value_exact = false;
        cm->statistics.is_min_value_exact = true;
        cm->encoding_stats = pes;
        cm->n_encoding_stats = 2;
        cm->has_bloom_filter_offset = cm->has_bloom_filter_length = true;
        cm->bloom_filter_offset = 77;
        cm->bloom_filter_length = 1 << 20;
        cm->has_size_statistics = true;
        cm->size_statistics.has_unencoded_byte_array_data_bytes = true;
        cm->size_statistics.unencoded_byte_array_data_bytes = 99;
        cm->size_statistics.definition_level_histogram = def_hist;
        cm->size_statistics.n_definition_level_histogram = 3;
        cm->size_statistics.repetition_level_histogram = rep_hist;
        cm->size_statistics.n_repetition_level_histogram = i == 0 ? 1 : 0; /* present, empty */
    }
    memset(row_groups, 0, sizeof(row_groups));
    for (int i = 0; i < 2; i++) {
        struct sl_parquet_row_group *rg = &row_groups[i];
        rg->columns = chunks;
        rg->n_columns = 2;
        rg->total_byte_size = 1LL << 40;
        rg->num_rows = 3;
        rg->has_file_offset = rg->has_total_compressed_size = rg->has_ordinal = true;
        rg->file_offset = 4;
        rg->total_compressed_size = 1LL << 33;
        rg->ordinal = (int16_t)(i == 0 ? INT16_MIN : INT16_MAX);
    }
    memset(&md, 0, sizeof(md));
    md.version = 2;
    md.schema = schema;
    md.n_schema = SL_ARRAY_LEN(schema);
    md.num_rows = 6;
    md.row_groups = row_groups;
    md.n_row_groups = 2;
    md.key_value_metadata = kv;
    md.n_key_value_metadata = 3;
    md.created_by = B("sluice test");
    md.column_orders = orders;
    md.n_column_orders = 2;
    CHECK(round_trip_file_metadata(&md) > 0);
}

/* Only the required fields; absent optional lists stay NULL, present empty ones non-NULL. */
static void test_file_metadata_required_only(void)
{
    struct sl_parquet_schema_element root = {0};
    struct sl_parquet_column_chunk chunk = {0}, chunks[2];
    struct sl_parquet_row_group rg = {0};
    struct sl_parquet_file_metadata md = {0};
    struct sl_parquet_key_value none[1];
    struct sl_buf buf;
    struct sl_arena arena;
    struct sl_parquet_file_metadata back;
    struct sl_error err = {0};

    root.name = B("schema");
    md.version = 1;
    md.schema = &root;
    md.n_schema = 1;
    md.row_groups = &rg;
    md.n_row_groups = 1;
    /* ColumnMetaData with its required fields only (empty lists), then with empty
     * Statistics and SizeStatistics present */
    memset(chunks, 0, sizeof(chunks));
    chunks[0].has_meta_data = chunks[1].has_meta_data = true;
    chunks[1].meta_data.has_statistics = true;
    chunks[1].meta_data.has_size_statistics = true;
    rg.columns = chunks;
    rg.n_columns = 2;
    CHECK(round_trip_file_metadata(&md) > 0);

    rg.columns = &chunk;
    rg.n_columns = 1;
    CHECK(round_trip_file_metadata(&md) > 0);

    /* FileMetaData{1: 1, 2: [root], 3: 0, 4: [{1: [{2: 0}], 2: 0, 3: 0}]} by hand */
    sl_buf_init(&buf, SIZE_MAX);
    CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_OK);
    CHECK(buf.len == 28 &&
          memcmp(buf.data,
                 "\x15\x02\x19\x1c\x48\x06schema\x00\x16\x00\x19\x1c\x19\x1c\x26\x00\x00\x16\x00"
                 "\x16\x00\x00\x00",
                 28) == 0);

    /* empty lists present: kv [] and column_orders [] decode non-NULL */
    md.key_value_metadata = none;
    md.n_key_value_metadata = 0;
    md.column_orders = (struct sl_parquet_column_order *)none;
    md.n_column_orders = 0;
    md.n_row_groups = 0;
    md.row_groups = NULL; /* required list, NULL = empty */
    sl_buf_reset(&buf);
    CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_OK);
    sl_arena_init(&arena, 1024);
    CHECK(sl_parquet_file_metadata_decode((const uint8_t *)buf.data, buf.len, &arena, &back, NULL,
                                          &err) == SL_OK);
    CHECK(back.key_value_metadata != NULL && back.n_key_value_metadata == 0);
    CHECK(back.column_orders != NULL && back.n_column_orders == 0);
    CHECK(back.row_groups != NULL && back.n_row_groups == 0);
    CHECK(back.created_by.data == NULL);
    CHECK(back.schema[0].logical_type.kind == SL_PARQUET_LOGICAL_NONE);
    CHECK(!back.schema[0].has_type && !back.schema[0].has_repetition_type);
    sl_arena_free(&arena);
    sl_buf_free(&buf);
}

static void round_trip_page_header(const struct sl_parquet_page_header *ph, const char *want,
                                   size_t want_len)
{
    struct sl_buf buf;
    struct sl_arena arena;
    struct sl_parquet_page_header back;
    struct sl_error err = {0};
    size_t consumed = 0;
    uint8_t *copy;

    sl_buf_init(&buf, SIZE_MAX);
    sl_arena_init(&arena, 1024);
    REQUIRE(sl_parquet_page_header_encode(ph, &buf, &err) == SL_OK);
    if (want != NULL)
        CHECK(buf.len == want_len && memcmp(buf.data, want, want_len) == 0);
    copy = exact_copy(buf.data, buf.len);
    CHECK(sl_parquet_page_header_decode(copy, buf.len, &arena, &back, &consumed, &err) == SL_OK);
    CHECK_INT(consumed, buf.len);
    CHECK_INT(back.type, ph->type);
    CHECK_INT(back.uncompressed_page_size, ph->uncompressed_page_size);
    CHECK_INT(back.compressed_page_size, ph->compressed_page_size);
    CHECK(back.has_crc == ph->has_crc && back.crc == ph->crc);
    CHECK(back.has_data_page_header == ph->has_data_page_header);
    if (ph->has_data_page_header) {
        const struct sl_parquet_data_page_header *a = &ph->data_page_header,
                                                 *b = &back.data_page_header;
        CHECK(a->num_values == b->num_values && a->encoding == b->encoding);
        CHECK(a->definition_level_encoding == b->definition_level_encoding);
        CHECK(a->repetition_level_encoding == b->repetition_level_encoding);
        CHECK(a->has_statistics == b->has_statistics);
        check_statistics_eq(&a->statistics, &b->statistics);
    }
    CHECK(back.has_index_page_header == ph->has_index_page_header);
    CHECK(back.has_dictionary_page_header == ph->has_dictionary_page_header);
    if (ph->has_dictionary_page_header) {
        const struct sl_parquet_dictionary_page_header *a = &ph->dictionary_page_header,
                                                       *b = &back.dictionary_page_header;
        CHECK(a->num_values == b->num_values && a->encoding == b->encoding);
        CHECK(a->has_is_sorted == b->has_is_sorted && a->is_sorted == b->is_sorted);
    }
    CHECK(back.has_data_page_header_v2 == ph->has_data_page_header_v2);
    if (ph->has_data_page_header_v2) {
        const struct sl_parquet_data_page_header_v2 *a = &ph->data_page_header_v2,
                                                    *b = &back.data_page_header_v2;
        CHECK(a->num_values == b->num_values && a->num_nulls == b->num_nulls);
        CHECK(a->num_rows == b->num_rows && a->encoding == b->encoding);
        CHECK(a->definition_levels_byte_length == b->definition_levels_byte_length);
        CHECK(a->repetition_levels_byte_length == b->repetition_levels_byte_length);
        CHECK(a->has_is_compressed == b->has_is_compressed);
        /* absent means the default, true */
        CHECK(b->is_compressed == (a->has_is_compressed ? a->is_compressed : true));
        CHECK(a->has_statistics == b->has_statistics);
        check_statistics_eq(&a->statistics, &b->statistics);
    }
    free(copy);
    sl_arena_free(&arena);
    sl_buf_free(&buf);
}

static void test_page_headers(void)
{
    struct sl_parquet_page_header ph;
    struct sl_parquet_statistics stats = {0};

    stats.max_value = BN("\x10\0\0\0", 4);
    stats.min_value = BN("\xf0\xff\xff\xff", 4);
    stats.max = stats.max_value;
    stats.min = stats.min_value;
    stats.has_null_count = stats.has_distinct_count = true;
    stats.null_count = 3;
    stats.distinct_count = 17;
    stats.has_is_max_value_exact = stats.has_is_min_value_exact = true;
    stats.is_max_value_exact = true;

    /* v1, required fields only: the bytes of fuzz/corpus/parquet_footer/page_v1_min */
    memset(&ph, 0, sizeof(ph));
    ph.type = SL_PARQUET_PAGE_DATA;
    ph.uncompressed_page_size = 6;
    ph.compressed_page_size = 6;
    ph.has_data_page_header = true;
    ph.data_page_header.num_values = 3;
    ph.data_page_header.encoding = SL_PARQUET_ENC_PLAIN;
    ph.data_page_header.definition_level_encoding = SL_PARQUET_ENC_RLE;
    ph.data_page_header.repetition_level_encoding = SL_PARQUET_ENC_RLE;
    round_trip_page_header(&ph, "\x15\x00\x15\x0c\x15\x0c\x2c\x15\x06\x15\x00\x15\x06\x15\x06\x00"
                                "\x00",
                           17);
    /* v1 with crc and statistics */
    ph.has_crc = true;
    ph.crc = -123456789;
    ph.data_page_header.has_statistics = true;
    ph.data_page_header.statistics = stats;
    round_trip_page_header(&ph, NULL, 0);

    /* dictionary page, is_sorted absent / present */
    memset(&ph, 0, sizeof(ph));
    ph.type = SL_PARQUET_PAGE_DICTIONARY;
    ph.uncompressed_page_size = INT32_MAX;
    ph.compressed_page_size = 0;
    ph.has_dictionary_page_header = true;
    ph.dictionary_page_header.num_values = 1000;
    ph.dictionary_page_header.encoding = SL_PARQUET_ENC_PLAIN_DICTIONARY;
    round_trip_page_header(&ph, NULL, 0);
    ph.dictionary_page_header.has_is_sorted = true;
    ph.dictionary_page_header.is_sorted = true;
    round_trip_page_header(&ph, NULL, 0);

    /* v2: is_compressed absent (default true), false, true; with statistics */
    memset(&ph, 0, sizeof(ph));
    ph.type = SL_PARQUET_PAGE_DATA_V2;
    ph.uncompressed_page_size = 50;
    ph.compressed_page_size = 40;
    ph.has_data_page_header_v2 = true;
    ph.data_page_header_v2.num_values = 10;
    ph.data_page_header_v2.num_nulls = 2;
    ph.data_page_header_v2.num_rows = 10;
    ph.data_page_header_v2.encoding = SL_PARQUET_ENC_DELTA_BINARY_PACKED;
    ph.data_page_header_v2.definition_levels_byte_length = 4;
    ph.data_page_header_v2.repetition_levels_byte_length = 0;
    round_trip_page_header(&ph, NULL, 0);
    ph.data_page_header_v2.has_is_compressed = true;
    ph.data_page_header_v2.is_compressed = false;
    round_trip_page_header(&ph, NULL, 0);
    ph.data_page_header_v2.is_compressed = true;
    ph.data_page_header_v2.has_statistics = true;
    ph.data_page_header_v2.statistics = stats;
    round_trip_page_header(&ph, NULL, 0);

    /* an index page (empty struct) and an unknown page type */
    memset(&ph, 0, sizeof(ph));
    ph.type = 9;
    ph.has_index_page_header = true;
    round_trip_page_header(&ph, "\x15\x12\x15\x00\x15\x00\x3c\x00\x00", 9);
}

static void test_enum_names(void)
{
    /* numbers per parquet.thrift; the golden test checks the ones pyarrow writes */
    CHECK_STR(sl_parquet_type_name(SL_PARQUET_TYPE_INT96), "INT96");
    CHECK_STR(sl_parquet_type_name(7), "FIXED_LEN_BYTE_ARRAY");
    CHECK(sl_parquet_type_name(8) == NULL && sl_parquet_type_name(-1) == NULL);
    CHECK_STR(sl_parquet_converted_type_name(SL_PARQUET_CT_ENUM), "ENUM");
    CHECK_STR(sl_parquet_converted_type_name(SL_PARQUET_CT_BSON), "BSON");
    CHECK_STR(sl_parquet_converted_type_name(SL_PARQUET_CT_INTERVAL), "INTERVAL");
    CHECK(sl_parquet_converted_type_name(22) == NULL);
    CHECK_STR(sl_parquet_repetition_name(SL_PARQUET_REP_REPEATED), "REPEATED");
    CHECK(sl_parquet_encoding_name(1) == NULL); /* GROUP_VAR_INT */
    CHECK_STR(sl_parquet_encoding_name(SL_PARQUET_ENC_BIT_PACKED), "BIT_PACKED");
    CHECK_STR(sl_parquet_encoding_name(SL_PARQUET_ENC_PLAIN_DICTIONARY), "PLAIN_DICTIONARY");
    CHECK(sl_parquet_encoding_name(10) == NULL);
    CHECK_STR(sl_parquet_codec_name(SL_PARQUET_CODEC_LZO), "LZO");
    CHECK_STR(sl_parquet_codec_name(SL_PARQUET_CODEC_LZ4), "LZ4");
    CHECK(sl_parquet_codec_name(8) == NULL);
    CHECK_STR(sl_parquet_page_type_name(SL_PARQUET_PAGE_INDEX), "INDEX_PAGE");
    CHECK_STR(sl_parquet_logical_kind_name(SL_PARQUET_LOGICAL_ENUM), "ENUM");
    CHECK_STR(sl_parquet_logical_kind_name(SL_PARQUET_LOGICAL_BSON), "BSON");
    CHECK(sl_parquet_logical_kind_name(9) == NULL && sl_parquet_logical_kind_name(16) == NULL);
    CHECK_STR(sl_parquet_time_unit_name(SL_PARQUET_UNIT_NANOS), "NANOS");
}

static int decode_fm(const char *bytes, size_t len, struct sl_arena *arena,
                     struct sl_parquet_file_metadata *md, struct sl_error *err)
{
    uint8_t *copy = exact_copy(bytes, len);
    int rc = sl_parquet_file_metadata_decode(copy, len, arena, md, NULL, err);
    free(copy);
    return rc;
}

static void test_required_and_union_errors(void)
{
    struct sl_arena arena;
    struct sl_parquet_file_metadata md;
    struct sl_error err = {0};

    sl_arena_init(&arena, 1024);
    /* num_rows (3) missing */
    CHECK(decode_fm("\x15\x02\x19\x0c\x29\x0c\x00", 7, &arena, &md, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "parquet FileMetaData: FileMetaData required field num_rows (id 3) "
                              "is missing") != NULL);
    /* a ColumnMetaData deep down without data_page_offset: the message names the path */
    {
        struct sl_parquet_schema_element root = {0};
        struct sl_parquet_column_chunk chunk[2];
        struct sl_parquet_row_group rg = {0};
        struct sl_parquet_file_metadata in = {0};
        struct sl_buf buf;
        char *at;
        memset(chunk, 0, sizeof(chunk));
        root.name = B("r");
        chunk[1].has_meta_data = true;
        chunk[1].meta_data.data_page_offset = 0x7e7e7e; /* marker to find it */
        rg.columns = chunk;
        rg.n_columns = 2;
        in.schema = &root;
        in.n_schema = 1;
        in.row_groups = &rg;
        in.n_row_groups = 1;
        sl_buf_init(&buf, SIZE_MAX);
        REQUIRE(sl_parquet_file_metadata_encode(&in, &buf, &err) == SL_OK);
        /* the i64 field 9 header is 0x16 after field 7 (delta 2): turn it into field 10 */
        at = memchr(buf.data, 0x26, buf.len);
        while (at != NULL && !((uint8_t)at[1] == 0xfc && (uint8_t)at[2] == 0xf9))
            at = memchr(at + 1, 0x26, buf.len - (size_t)(at + 1 - buf.data));
        REQUIRE(at != NULL);
        at[0] = 0x36;
        CHECK(decode_fm(buf.data, buf.len, &arena, &md, &err) == SL_EPROTO);
        CHECK(strstr(err.message, "parquet FileMetaData.row_groups[0].columns[1].meta_data: "
                                  "ColumnMetaData required field data_page_offset (id 9)") != NULL);
        sl_buf_free(&buf);
    }
    /* truncated inside: the path names the innermost field */
    {
        static const char bytes[] = "\x15\x02\x19\x1c\x48\x06sch";
        CHECK(decode_fm(bytes, sizeof(bytes) - 1, &arena, &md, &err) == SL_EPROTO);
        CHECK(strstr(err.message, "parquet FileMetaData.schema[0].name: truncated thrift: binary "
                                  "needs 6 bytes at byte offset 6 but 3 are left") != NULL);
    }
    /* LogicalType with two members, with none */
    {
        static const char two[] = "\x15\x02\x19\x1c\x48\x01r\x6c\x1c\x00\x1c\x00\x00\x00\x16\x00"
                                  "\x19\x0c\x00";
        static const char none[] = "\x15\x02\x19\x1c\x48\x01r\x6c\x00\x00\x16\x00\x19\x0c\x00";
        CHECK(decode_fm(two, sizeof(two) - 1, &arena, &md, &err) == SL_EPROTO);
        CHECK(strstr(err.message, "schema[0].logicalType: LogicalType union has 2 members") !=
              NULL);
        CHECK(decode_fm(none, sizeof(none) - 1, &arena, &md, &err) == SL_EPROTO);
        CHECK(strstr(err.message, "LogicalType union has 0 members") != NULL);
    }
    /* a list of the wrong element type for a required list counts as missing */
    CHECK(decode_fm("\x15\x02\x19\x15\x02\x16\x00\x19\x0c\x00", 10, &arena, &md, &err) ==
          SL_EPROTO);
    CHECK(strstr(err.message, "required field schema (id 2) is missing") != NULL);
    sl_arena_free(&arena);
}

static void test_encode_errors(void)
{
    struct sl_parquet_schema_element root = {0};
    struct sl_parquet_file_metadata md = {0};
    struct sl_error err = {0};
    struct sl_buf buf;

    sl_buf_init(&buf, SIZE_MAX);
    sl_buf_append(&buf, "keep", 4);
    md.schema = &root;
    md.n_schema = 1;
    /* a required name NULL */
    CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "SchemaElement.name") != NULL);
    CHECK(buf.len == 4 && strcmp(buf.data, "keep") == 0); /* left as it was */
    root.name = B("r");
    /* a count with a NULL array */
    md.n_row_groups = 2;
    CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "FileMetaData.row_groups") != NULL);
    md.n_row_groups = 0;
    /* an unknown LogicalType kind without its bytes */
    root.logical_type.kind = 42;
    CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_EINVAL);
    root.logical_type.kind = SL_PARQUET_LOGICAL_NONE;
    CHECK(sl_parquet_footer_encode(&md, &buf, &err) == SL_OK);
    sl_buf_free(&buf);

    /* the buffer limit: ELIMIT, buffer unchanged, for metadata and footer */
    sl_buf_init(&buf, 12);
    sl_buf_append(&buf, "keep", 4);
    CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_ELIMIT);
    CHECK(strstr(err.message, "buffer limit of 12 bytes") != NULL);
    CHECK(buf.len == 4 && strcmp(buf.data, "keep") == 0);
    sl_buf_free(&buf);
    sl_buf_init(&buf, 22); /* 4 + 17 bytes of metadata fit, the trailer does not */
    sl_buf_append(&buf, "keep", 4);
    CHECK(sl_parquet_footer_encode(&md, &buf, &err) == SL_ELIMIT);
    CHECK(buf.len == 4 && strcmp(buf.data, "keep") == 0);
    sl_buf_free(&buf);
}

static void test_footer_trailer(void)
{
    struct sl_arena arena;
    struct sl_parquet_file_metadata md;
    struct sl_error err = {0};
    uint32_t metadata_len = 0;
    uint8_t *copy;

    sl_arena_init(&arena, 1024);
    for (size_t len = 0; len < 8; len++) {
        copy = exact_copy("\0\0\0\0PAR1", len);
        CHECK(sl_parquet_footer_size(copy, len, &metadata_len, &err) == SL_EPROTO);
        CHECK(sl_parquet_footer_decode(copy, len, &arena, &md, &err) == SL_EPROTO);
        free(copy);
    }
    CHECK(sl_parquet_footer_size(NULL, 0, &metadata_len, &err) == SL_EPROTO);
    copy = exact_copy("\x10\0\0\0PARE", 8);
    CHECK(sl_parquet_footer_size(copy, 8, &metadata_len, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "encrypted footer") != NULL);
    free(copy);
    copy = exact_copy("\x10\0\0\0PAR2", 8);
    CHECK(sl_parquet_footer_size(copy, 8, &metadata_len, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "50 41 52 32") != NULL);
    free(copy);
    /* a length longer than the tail, and up to 2^32-1 */
    copy = exact_copy("\x01\0\0\0PAR1", 8);
    CHECK(sl_parquet_footer_size(copy, 8, &metadata_len, &err) == SL_OK && metadata_len == 1);
    CHECK(sl_parquet_footer_decode(copy, 8, &arena, &md, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "claims 1 bytes of metadata but only 0") != NULL);
    free(copy);
    copy = exact_copy("\xff\xff\xff\xffPAR1", 8);
    CHECK(sl_parquet_footer_size(copy, 8, &metadata_len, &err) == SL_OK &&
          metadata_len == UINT32_MAX);
    CHECK(sl_parquet_footer_decode(copy, 8, &arena, &md, &err) == SL_EPROTO);
    free(copy);
    /* a zero-length metadata cannot be a FileMetaData */
    copy = exact_copy("\0\0\0\0PAR1", 8);
    CHECK(sl_parquet_footer_decode(copy, 8, &arena, &md, &err) == SL_EPROTO);
    free(copy);
    sl_arena_free(&arena);
}

/* ================================================================ golden files (pyarrow) */

/* Runs a block of checks and reports `fmt...` if one of them failed in it. */
#define WITH_CONTEXT(block, ...)                                                                   \
    do {                                                                                           \
        int saved_ = unit_current_failed;                                                          \
        unit_current_failed = 0;                                                                   \
        block;                                                                                     \
        if (unit_current_failed)                                                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
        unit_current_failed |= saved_;                                                             \
    } while (0)

struct golden {
    uint8_t *file;
    size_t file_len;
    const uint8_t *metadata; /* in file */
    uint32_t metadata_len;
};

static bool load_golden(const struct golden_file *g, struct golden *out)
{
    struct sl_error err = {0};
    if (!read_file(g->file, &out->file, &out->file_len))
        return false;
    if (sl_parquet_footer_size(out->file, out->file_len, &out->metadata_len, &err) != SL_OK ||
        out->metadata_len > out->file_len - 8) {
        fprintf(stderr, "  %s: %s\n", g->file, err.message);
        free(out->file);
        return false;
    }
    out->metadata = out->file + out->file_len - 8 - out->metadata_len;
    return true;
}

/* Def/rep levels of each leaf from the schema tree, as pyarrow computes them. */
struct leaf_levels {
    uint32_t element;
    int def, rep;
};

static uint32_t walk_schema(const struct sl_parquet_file_metadata *md, uint32_t index, int def,
                            int rep, struct leaf_levels *leaves, size_t *n_leaves, size_t max)
{
    const struct sl_parquet_schema_element *el;
    uint32_t next = index + 1;

    if (index >= md->n_schema)
        return md->n_schema;
    el = &md->schema[index];
    if (index > 0 && el->has_repetition_type) {
        if (el->repetition_type != SL_PARQUET_REP_REQUIRED)
            def++;
        if (el->repetition_type == SL_PARQUET_REP_REPEATED)
            rep++;
    }
    if (index > 0 && !el->has_num_children) {
        if (*n_leaves < max) {
            leaves[*n_leaves].element = index;
            leaves[*n_leaves].def = def;
            leaves[*n_leaves].rep = rep;
        }
        (*n_leaves)++;
        return next;
    }
    for (int32_t c = 0; c < el->num_children && next < md->n_schema; c++)
        next = walk_schema(md, next, def, rep, leaves, n_leaves, max);
    return next;
}

static void check_golden_leaves(const struct golden_file *g,
                                const struct sl_parquet_file_metadata *md)
{
    struct leaf_levels leaves[64];
    size_t n_leaves = 0;

    CHECK_INT(walk_schema(md, 0, 0, 0, leaves, &n_leaves, SL_ARRAY_LEN(leaves)), md->n_schema);
    REQUIRE(n_leaves == (size_t)g->n_leaves);
    for (size_t i = 0; i < n_leaves; i++) {
        const struct golden_leaf *want = &g->leaves[i];
        const struct sl_parquet_schema_element *el = &md->schema[leaves[i].element];
        const struct sl_parquet_logical_type *lt = &el->logical_type;
        const char *logical = lt->kind == SL_PARQUET_LOGICAL_NONE
                                  ? "NONE"
                                  : sl_parquet_logical_kind_name(lt->kind);
        CHECK(bytes_is(el->name, want->name));
        CHECK(el->has_type);
        CHECK_STR(sl_parquet_type_name(el->type), want->physical_type);
        /* pyarrow derives converted_type from the logical type when there is one, and a
         * timestamp not adjusted to UTC derives none, though parquet-cpp writes
         * TIMESTAMP_MICROS/MILLIS for it (a raw dump of the footer shows field 6 = 10) */
        if (strcmp(want->converted_type, "NONE") == 0 && lt->kind == SL_PARQUET_LOGICAL_TIMESTAMP &&
            !lt->is_adjusted_to_utc && el->has_converted_type)
            CHECK(el->converted_type == SL_PARQUET_CT_TIMESTAMP_MICROS ||
                  el->converted_type == SL_PARQUET_CT_TIMESTAMP_MILLIS);
        else
            CHECK_STR(el->has_converted_type ? sl_parquet_converted_type_name(el->converted_type)
                                             : "NONE",
                      want->converted_type);
        CHECK_STR(logical, want->logical_type);
        CHECK_INT(el->has_type_length ? el->type_length : 0, want->type_length);
        /* pyarrow reports precision/scale from the converted type (or -1) */
        CHECK_INT(el->has_precision ? el->precision : -1, want->precision);
        CHECK_INT(el->has_scale ? el->scale : -1, want->scale);
        if (want->logical_precision >= 0) {
            CHECK_INT(lt->precision, want->logical_precision);
            CHECK_INT(lt->scale, want->logical_scale);
        }
        if (want->bit_width >= 0) {
            CHECK_INT(lt->bit_width, want->bit_width);
            CHECK_INT(lt->is_signed, want->is_signed);
        }
        if (want->is_adjusted_to_utc >= 0) {
            CHECK_INT(lt->is_adjusted_to_utc, want->is_adjusted_to_utc);
            CHECK_STR(sl_parquet_time_unit_name(lt->unit), want->unit);
        }
        CHECK_INT(el->has_field_id ? el->field_id : -1, want->field_id);
        CHECK_INT(leaves[i].def, want->max_definition_level);
        CHECK_INT(leaves[i].rep, want->max_repetition_level);
    }
}

/* Group nodes (root first, depth first) and their LIST/MAP annotations. */
static void check_golden_groups(const struct golden_file *g,
                                const struct sl_parquet_file_metadata *md)
{
    int n = 0;

    for (uint32_t i = 0; i < md->n_schema; i++) {
        const struct sl_parquet_schema_element *el = &md->schema[i];
        int32_t kind = el->logical_type.kind;
        if (!el->has_num_children && i > 0)
            continue;
        REQUIRE(n < g->n_groups);
        CHECK(bytes_is(el->name, g->groups[n].name));
        CHECK_STR(kind == SL_PARQUET_LOGICAL_NONE ? "NONE" : sl_parquet_logical_kind_name(kind),
                  g->groups[n].logical_type);
        n++;
    }
    CHECK_INT(n, g->n_groups);
}

static void check_golden_column(const struct golden_column *want,
                                const struct sl_parquet_column_chunk *cc)
{
    const struct sl_parquet_column_meta_data *cm = &cc->meta_data;
    char path[256] = "", hex[512];
    size_t off = 0;

    REQUIRE(cc->has_meta_data);
    for (uint32_t i = 0; i < cm->n_path_in_schema; i++)
        off += (size_t)snprintf(path + off, sizeof(path) - off, "%s%s", i ? "." : "",
                                cm->path_in_schema[i].data);
    CHECK_STR(path, want->path);
    CHECK_STR(sl_parquet_type_name(cm->type), want->physical_type);
    /* pyarrow names LZ4_RAW "LZ4" too (its "lz4" writes LZ4_RAW) */
    if (strcmp(want->codec, "LZ4") == 0)
        CHECK(cm->codec == SL_PARQUET_CODEC_LZ4_RAW || cm->codec == SL_PARQUET_CODEC_LZ4);
    else
        CHECK_STR(sl_parquet_codec_name(cm->codec), want->codec);
    CHECK_INT(cm->n_encodings, want->n_encodings);
    for (uint32_t i = 0; i < cm->n_encodings && i < (uint32_t)want->n_encodings; i++)
        CHECK_STR(sl_parquet_encoding_name(cm->encodings[i]), want->encodings[i]);
    CHECK(cm->num_values == want->num_values);
    CHECK(cm->total_compressed_size == want->total_compressed_size);
    CHECK(cm->total_uncompressed_size == want->total_uncompressed_size);
    CHECK(cm->data_page_offset == want->data_page_offset);
    CHECK(cm->has_dictionary_page_offset == want->has_dictionary_page);
    if (want->has_dictionary_page)
        CHECK(cm->dictionary_page_offset == want->dictionary_page_offset);
    CHECK(cc->file_offset == want->file_offset);
    CHECK(cc->has_offset_index_offset == want->has_offset_index);
    CHECK(cc->has_column_index_offset == want->has_column_index);
    CHECK(cm->has_bloom_filter_offset == (want->bloom_filter_offset >= 0));
    if (want->bloom_filter_offset >= 0)
        CHECK(cm->bloom_filter_offset == want->bloom_filter_offset);
    if (want->bloom_filter_length >= 0)
        CHECK(cm->has_bloom_filter_length && cm->bloom_filter_length == want->bloom_filter_length);
    CHECK(cm->has_statistics == want->stats.present);
    if (want->stats.present) {
        const struct sl_parquet_statistics *st = &cm->statistics;
        /* readers prefer min_value/max_value, falling back on the deprecated pair */
        struct sl_parquet_bytes min = st->min_value.data ? st->min_value : st->min;
        struct sl_parquet_bytes max = st->max_value.data ? st->max_value : st->max;
        CHECK((min.data != NULL && max.data != NULL) == want->stats.has_min_max);
        if (want->stats.has_min_max) {
            hex_of(min.data, min.len, hex, sizeof(hex));
            CHECK_STR(hex, want->stats.min_hex);
            hex_of(max.data, max.len, hex, sizeof(hex));
            CHECK_STR(hex, want->stats.max_hex);
        }
        CHECK(st->has_null_count == want->stats.has_null_count);
        if (want->stats.has_null_count)
            CHECK(st->null_count == want->stats.null_count);
        CHECK(st->has_distinct_count == want->stats.has_distinct_count);
    }
}

/*
 * Walks the pages of a column chunk: each header decodes, re-encodes to the same bytes, the
 * data pages' values add up to the chunk's num_values, and the page kinds match how pyarrow
 * was told to write the file.
 */
static void check_golden_pages(const struct golden_file *g, const struct golden *gf,
                               const struct sl_parquet_column_meta_data *cm,
                               struct sl_arena *arena)
{
    int64_t start = cm->has_dictionary_page_offset ? cm->dictionary_page_offset
                                                   : cm->data_page_offset;
    int64_t pos = start, end = start + cm->total_compressed_size, values = 0;
    int dictionary_pages = 0, pages = 0;
    struct sl_buf again;

    if (cm->total_compressed_size == 0) { /* a chunk without pages (empty file) */
        CHECK(cm->num_values == 0);
        return;
    }
    REQUIRE(start >= 4 && end <= (int64_t)gf->file_len);
    sl_buf_init(&again, SIZE_MAX);
    while (pos < end) {
        struct sl_parquet_page_header ph;
        struct sl_error err = {0};
        size_t consumed = 0;
        int rc = sl_parquet_page_header_decode(gf->file + pos, (size_t)(end - pos), arena, &ph,
                                               &consumed, &err);
        if (rc != SL_OK)
            fprintf(stderr, "  %s: page at %lld: %s\n", g->file, (long long)pos, err.message);
        REQUIRE(rc == SL_OK);
        sl_buf_reset(&again);
        CHECK(sl_parquet_page_header_encode(&ph, &again, &err) == SL_OK);
        CHECK(again.len == consumed && memcmp(again.data, gf->file + pos, consumed) == 0);
        CHECK(ph.has_crc == g->page_crc);
        CHECK(ph.compressed_page_size >= 0);
        if (ph.type == SL_PARQUET_PAGE_DICTIONARY) {
            CHECK(ph.has_dictionary_page_header);
            CHECK(pages == 0);
            dictionary_pages++;
        } else if (ph.type == SL_PARQUET_PAGE_DATA_V2) {
            CHECK(g->data_page_v2 && ph.has_data_page_header_v2);
            values += ph.data_page_header_v2.num_values;
        } else {
            CHECK(ph.type == SL_PARQUET_PAGE_DATA);
            CHECK(!g->data_page_v2 && ph.has_data_page_header);
            values += ph.data_page_header.num_values;
        }
        pages++;
        pos += (int64_t)consumed + ph.compressed_page_size;
    }
    CHECK(pos == end);
    CHECK(values == cm->num_values);
    CHECK_INT(dictionary_pages, cm->has_dictionary_page_offset ? 1 : 0);
    sl_buf_free(&again);
}

static void test_golden_footers(void)
{
    for (size_t f = 0; f < SL_ARRAY_LEN(golden_files); f++) {
        const struct golden_file *g = &golden_files[f];
        struct golden gf;
        struct sl_arena arena;
        struct sl_parquet_file_metadata md;
        struct sl_error err = {0};
        struct sl_buf buf;

        REQUIRE(load_golden(g, &gf));
        sl_arena_init(&arena, 4096);
        if (sl_parquet_footer_decode(gf.file, gf.file_len, &arena, &md, &err) != SL_OK) {
            fprintf(stderr, "  %s: %s\n", g->file, err.message);
            CHECK(false);
            goto next;
        }
        CHECK_INT(gf.metadata_len, g->serialized_size);
        CHECK_INT(md.version, g->version);
        CHECK(md.num_rows == g->num_rows);
        CHECK(bytes_is(md.created_by, g->created_by));
        CHECK_INT(md.n_key_value_metadata, g->n_kv);
        CHECK((md.key_value_metadata != NULL) == (g->n_kv > 0));
        /* pyarrow hands key-value metadata back as a dict, not in file order */
        for (int i = 0; i < g->n_kv; i++) {
            const struct sl_parquet_key_value *found = NULL;
            for (uint32_t k = 0; k < md.n_key_value_metadata; k++)
                if (bytes_is(md.key_value_metadata[k].key, g->kv[i].key))
                    found = &md.key_value_metadata[k];
            CHECK(found != NULL && bytes_is(found->value, g->kv[i].value));
        }
        WITH_CONTEXT(check_golden_leaves(g, &md), "  (%s: schema)\n", g->file);
        WITH_CONTEXT(check_golden_groups(g, &md), "  (%s: schema groups)\n", g->file);
        CHECK_INT(md.n_column_orders, g->n_leaves);
        for (uint32_t i = 0; i < md.n_column_orders; i++)
            CHECK_INT(md.column_orders[i].kind, SL_PARQUET_COLUMN_ORDER_TYPE_DEFINED);
        REQUIRE(md.n_row_groups == (uint32_t)g->n_row_groups);
        for (int r = 0; r < g->n_row_groups; r++) {
            const struct golden_row_group *want = &g->row_groups[r];
            const struct sl_parquet_row_group *rg = &md.row_groups[r];
            CHECK(rg->num_rows == want->num_rows);
            CHECK(rg->total_byte_size == want->total_byte_size);
            REQUIRE(rg->n_columns == (uint32_t)want->n_columns);
            for (int c = 0; c < want->n_columns; c++) {
                WITH_CONTEXT(check_golden_column(&want->columns[c], &rg->columns[c]),
                             "  (%s: row group %d column %s)\n", g->file, r,
                             want->columns[c].path);
                WITH_CONTEXT(check_golden_pages(g, &gf, &rg->columns[c].meta_data, &arena),
                             "  (%s: pages of row group %d column %s)\n", g->file, r,
                             want->columns[c].path);
            }
        }
        /* re-encoded, the footer is pyarrow's byte for byte when it holds only fields we model */
        sl_buf_init(&buf, SIZE_MAX);
        CHECK(sl_parquet_file_metadata_encode(&md, &buf, &err) == SL_OK);
        if (g->footer_identical)
            CHECK(buf.len == gf.metadata_len && memcmp(buf.data, gf.metadata, buf.len) == 0);
        else
            CHECK(buf.len < gf.metadata_len);
        sl_buf_free(&buf);
    next:
        sl_arena_free(&arena);
        free(gf.file);
    }
}

static void test_golden_footer_truncated_everywhere(void)
{
    for (size_t f = 0; f < SL_ARRAY_LEN(golden_files); f++) {
        struct golden gf;
        struct sl_arena arena;
        struct sl_parquet_file_metadata md;
        struct sl_error err;

        REQUIRE(load_golden(&golden_files[f], &gf));
        sl_arena_init(&arena, 4096);
        /* every proper prefix of the metadata fails cleanly, with a message */
        for (uint32_t cut = 0; cut < gf.metadata_len; cut++) {
            uint8_t *part = exact_copy(gf.metadata, cut);
            int rc;
            err.message[0] = '\0';
            rc = sl_parquet_file_metadata_decode(part, cut, &arena, &md, NULL, &err);
            /* "truncated thrift: ..." mostly, or a list too long for the bytes left */
            if (rc != SL_EPROTO || strncmp(err.message, "parquet FileMetaData", 20) != 0) {
                fprintf(stderr, "  %s cut at %u: rc %d: %s\n", golden_files[f].file, cut, rc,
                        err.message);
                CHECK(false);
                free(part);
                break;
            }
            free(part);
            sl_arena_reset(&arena);
        }
        /* and a footer whose tail is cut short by a byte */
        CHECK(sl_parquet_footer_decode(gf.file + 1 + 8 + 0, 0, &arena, &md, &err) == SL_EPROTO);
        {
            size_t tail = (size_t)gf.metadata_len + 8 - 1;
            uint8_t *part = exact_copy(gf.file + gf.file_len - tail, tail);
            CHECK(sl_parquet_footer_decode(part, tail, &arena, &md, &err) == SL_EPROTO);
            free(part);
        }
        sl_arena_free(&arena);
        free(gf.file);
    }
}

/* Every allocation failure while decoding a real footer is ENOMEM, and leaks nothing. */
static void test_golden_footer_allocation_failures(void)
{
    struct golden gf;
    int failures = 0;

    REQUIRE(load_golden(&golden_files[0], &gf));
    for (long nth = 1; nth < 10000; nth++) {
        struct sl_arena arena;
        struct sl_parquet_file_metadata md;
        struct sl_error err = {0};
        int rc;
        sl_arena_init(&arena, 1024);
        sl_alloc_fail_after(nth);
        rc = sl_parquet_file_metadata_decode(gf.metadata, gf.metadata_len, &arena, &md, NULL,
                                             &err);
        sl_alloc_fail_after(0);
        sl_arena_free(&arena);
        if (rc == SL_OK)
            break;
        CHECK_INT(rc, SL_ENOMEM);
        CHECK(strstr(err.message, "out of memory") != NULL);
        failures++;
    }
    CHECK(failures > 2);
    free(gf.file);
}

UNIT_TESTS(UNIT_TEST(test_varint_boundaries_i32), UNIT_TEST(test_varint_boundaries_i64),
           UNIT_TEST(test_varint_malformed), UNIT_TEST(test_scalars_round_trip),
           UNIT_TEST(test_binary_lengths_checked), UNIT_TEST(test_field_headers),
           UNIT_TEST(test_field_header_malformed), UNIT_TEST(test_container_headers),
           UNIT_TEST(test_lying_container_sizes), UNIT_TEST(test_list_memory_is_bounded),
           UNIT_TEST(test_skip_unknown_fields),
           UNIT_TEST(test_known_field_of_wrong_type_is_skipped), UNIT_TEST(test_depth_limit),
           UNIT_TEST(test_writer_errors), UNIT_TEST(test_file_metadata_all_fields),
           UNIT_TEST(test_file_metadata_required_only), UNIT_TEST(test_page_headers),
           UNIT_TEST(test_enum_names), UNIT_TEST(test_required_and_union_errors),
           UNIT_TEST(test_encode_errors), UNIT_TEST(test_footer_trailer),
           UNIT_TEST(test_golden_footers), UNIT_TEST(test_golden_footer_truncated_everywhere),
           UNIT_TEST(test_golden_footer_allocation_failures))

/*
 * Unit tests of source/pg/copy_binary.c. Streams are built here; the incremental tests hand
 * the parser every prefix in a heap block of exactly that size so ASan sees any over-read.
 */
#include "sluice/source_pg.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#define MAX_FIELDS 8

struct stream {
    uint8_t bytes[4096];
    size_t len;
};

static void put_bytes(struct stream *s, const void *bytes, size_t len)
{
    if (s->len + len > sizeof(s->bytes))
        abort(); /* a test bug, not a parser one */
    memcpy(s->bytes + s->len, bytes, len);
    s->len += len;
}

static void put_u16(struct stream *s, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put_bytes(s, b, 2);
}

static void put_u32(struct stream *s, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put_bytes(s, b, 4);
}

static void put_header(struct stream *s, uint32_t flags, const char *extension, size_t ext_len)
{
    put_bytes(s, "PGCOPY\n\377\r\n\0", 11);
    put_u32(s, flags);
    put_u32(s, (uint32_t)ext_len);
    put_bytes(s, extension, ext_len);
}

/* A field: bytes, or NULL for a SQL NULL. */
static void put_field(struct stream *s, const char *bytes, size_t len)
{
    if (bytes == NULL) {
        put_u32(s, UINT32_MAX); /* -1 */
        return;
    }
    put_u32(s, (uint32_t)len);
    put_bytes(s, bytes, len);
}

static void put_trailer(struct stream *s)
{
    put_u16(s, UINT16_MAX); /* -1 */
}

/*
 * The stream the round-trip tests use: 3 rows (an int4, text and NULL; an
 * empty string, NULL and two bytes; a row of zero fields), then the trailer.
 */
static void build_reference(struct stream *s, const char *extension, size_t ext_len)
{
    s->len = 0;
    put_header(s, 0, extension, ext_len);
    put_u16(s, 3);
    put_field(s, "\x00\x00\x00\x2a", 4);
    put_field(s, "abc", 3);
    put_field(s, NULL, 0);
    put_u16(s, 3);
    put_field(s, "", 0);
    put_field(s, NULL, 0);
    put_field(s, "hi", 2);
    put_u16(s, 0);
    put_trailer(s);
}

static const char reference_parse[] =
    "ROW(40)[4:0000002a 3:616263 NULL] ROW(16)[0: NULL 2:6869] ROW(2)[] END(2)";

/* Appends a readable account of one result to log. */
static void describe(char *log, size_t cap, int rc, size_t consumed,
                     const struct sl_copy_field *fields, uint16_t nfields)
{
    size_t n = strlen(log);

    if (rc == SL_COPY_END) {
        snprintf(log + n, cap - n, "%sEND(%zu)", n ? " " : "", consumed);
        return;
    }
    if (rc != SL_COPY_ROW) {
        snprintf(log + n, cap - n, "%sRC%d", n ? " " : "", rc);
        return;
    }
    snprintf(log + n, cap - n, "%sROW(%zu)[", n ? " " : "", consumed);
    for (uint16_t i = 0; i < nfields; i++) {
        n = strlen(log);
        if (fields[i].len < 0) {
            snprintf(log + n, cap - n, "%sNULL", i ? " " : "");
            continue;
        }
        snprintf(log + n, cap - n, "%s%d:", i ? " " : "", (int)fields[i].len);
        for (int32_t k = 0; k < fields[i].len; k++) {
            n = strlen(log);
            snprintf(log + n, cap - n, "%02x", fields[i].data[k]);
        }
    }
    n = strlen(log);
    snprintf(log + n, cap - n, "]");
}

/* Parses a whole buffer until END, NEED_MORE or an error; returns the last code. */
static int parse_all(const uint8_t *bytes, size_t len, uint16_t max_fields, char *log,
                     size_t cap, struct sl_error *err)
{
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[MAX_FIELDS];
    size_t pos = 0;

    log[0] = '\0';
    for (;;) {
        size_t consumed = 99;
        uint16_t nfields = 99;
        int rc = sl_copy_binary_next(&state, bytes + pos, len - pos, &consumed, fields,
                                     max_fields, &nfields, err);
        if (rc == SL_COPY_NEED_MORE || rc < 0) {
            CHECK_INT(consumed, 0);
            CHECK_INT(nfields, 0);
            return rc;
        }
        describe(log, cap, rc, consumed, fields, nfields);
        CHECK(consumed > 0 && consumed <= len - pos);
        pos += consumed;
        if (rc == SL_COPY_END)
            return rc;
    }
}

/*
 * Feeds the stream one byte at a time, as a reader whose buffer holds the
 * unconsumed bytes plus whatever arrived: every prefix that ends inside the
 * header or a row must give NEED_MORE, the exact end of a row gives the row.
 * Each call gets a fresh heap copy of exactly the bytes it may read.
 */
static int parse_bytewise(const uint8_t *bytes, size_t len, uint16_t max_fields, char *log,
                          size_t cap, struct sl_error *err)
{
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[MAX_FIELDS];
    size_t pos = 0, avail = 0;
    int rc = SL_COPY_NEED_MORE;

    log[0] = '\0';
    while (avail < len) {
        size_t consumed = 99;
        uint16_t nfields = 99;
        size_t window = ++avail - pos;
        uint8_t *copy = malloc(window);

        if (copy == NULL)
            abort();
        memcpy(copy, bytes + pos, window);
        rc = sl_copy_binary_next(&state, copy, window, &consumed, fields, max_fields, &nfields,
                                 err);
        if (rc == SL_COPY_ROW || rc == SL_COPY_END) {
            /* A piece is returned only once all of it is there, not earlier. */
            CHECK_INT(consumed, window);
            describe(log, cap, rc, consumed, fields, nfields);
            pos += consumed;
        } else {
            CHECK_INT(consumed, 0);
        }
        free(copy);
        if (rc < 0 || rc == SL_COPY_END)
            return rc;
    }
    return rc;
}

static void test_whole_stream(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[1024];

    build_reference(&s, "", 0);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, reference_parse);
}

static void test_byte_by_byte(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[1024];

    build_reference(&s, "", 0);
    CHECK_INT(parse_bytewise(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, reference_parse);
}

static void test_header_extension(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[1024];

    build_reference(&s, "extra", 5);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, "ROW(45)[4:0000002a 3:616263 NULL] ROW(16)[0: NULL 2:6869] ROW(2)[] END(2)");
    CHECK_INT(parse_bytewise(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, "ROW(45)[4:0000002a 3:616263 NULL] ROW(16)[0: NULL 2:6869] ROW(2)[] END(2)");

    /* flag bits 0-15 are not critical: readers ignore them */
    s.len = 0;
    put_header(&s, 0x0000ffff, "", 0);
    put_trailer(&s);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, "END(21)");
}

static void test_null_and_empty_fields(void)
{
    struct stream s;
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[MAX_FIELDS];
    struct sl_error err = {0};
    size_t consumed;
    uint16_t nfields;

    s.len = 0;
    put_header(&s, 0, "", 0);
    put_u16(&s, 2);
    put_field(&s, NULL, 0);
    put_field(&s, "", 0);
    REQUIRE(sl_copy_binary_next(&state, s.bytes, s.len, &consumed, fields, MAX_FIELDS, &nfields,
                                &err) == SL_COPY_ROW);
    CHECK_INT(consumed, s.len);
    CHECK_INT(nfields, 2);
    CHECK_INT(fields[0].len, -1);
    CHECK(fields[0].data == NULL);
    CHECK_INT(fields[1].len, 0);
    CHECK(fields[1].data == s.bytes + s.len); /* points into buf, nothing to read */
    CHECK(state.header_done);
}

static void test_empty_table(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[256];

    s.len = 0;
    put_header(&s, 0, "", 0);
    put_trailer(&s);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, "END(21)");
    CHECK_INT(parse_bytewise(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, "END(21)");
}

/* What follows the trailer is left alone, and the parser stays ended. */
static void test_after_trailer(void)
{
    struct stream s;
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[MAX_FIELDS];
    struct sl_error err = {0};
    size_t consumed;
    uint16_t nfields;

    s.len = 0;
    put_header(&s, 0, "", 0);
    put_trailer(&s);
    put_bytes(&s, "garbage", 7);
    CHECK_INT(sl_copy_binary_next(&state, s.bytes, s.len, &consumed, fields, MAX_FIELDS,
                                  &nfields, &err),
              SL_COPY_END);
    CHECK_INT(consumed, 21);
    CHECK(state.ended);
    CHECK_INT(sl_copy_binary_next(&state, s.bytes + 21, 7, &consumed, fields, MAX_FIELDS,
                                  &nfields, &err),
              SL_COPY_END);
    CHECK_INT(consumed, 0);
}

static void test_truncated(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[1024];

    /* every proper prefix of the stream ends in NEED_MORE, never an error */
    build_reference(&s, "ext", 3);
    for (size_t cut = 0; cut < s.len; cut++)
        CHECK_INT(parse_all(s.bytes, cut, MAX_FIELDS, log, sizeof(log), &err),
                  SL_COPY_NEED_MORE);

    /* a field length far beyond the data just waits for more */
    s.len = 0;
    put_header(&s, 0, "", 0);
    put_u16(&s, 1);
    put_u32(&s, INT32_MAX);
    put_bytes(&s, "abc", 3);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_NEED_MORE);
    CHECK_STR(log, "");

    /* a header extension longer than the data too */
    s.len = 0;
    put_bytes(&s, "PGCOPY\n\377\r\n\0", 11);
    put_u32(&s, 0);
    put_u32(&s, 1000);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_NEED_MORE);
}

static void test_bad_signature(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[256];

    /* a text-format COPY stream fails at its first byte, before 11 bytes arrive */
    CHECK_INT(parse_all((const uint8_t *)"1\tabc\n", 6, MAX_FIELDS, log, sizeof(log), &err),
              SL_EPROTO);
    CHECK(strstr(err.message, "signature") != NULL);
    CHECK(strstr(err.message, "byte 0") != NULL);

    /* one wrong byte inside: the \377 mangled by a text conversion */
    s.len = 0;
    put_bytes(&s, "PGCOPY\n\376\r\n\0", 11);
    put_u32(&s, 0);
    put_u32(&s, 0);
    put_trailer(&s);
    CHECK_INT(parse_bytewise(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "signature at byte 7") != NULL);
    CHECK_INT(parse_all(s.bytes, 7, MAX_FIELDS, log, sizeof(log), &err), SL_COPY_NEED_MORE);
}

static void test_header_flags(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[256];

    s.len = 0;
    put_header(&s, UINT32_C(1) << 16, "", 0);
    put_trailer(&s);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "OIDs") != NULL);

    s.len = 0;
    put_header(&s, UINT32_C(1) << 17, "", 0);
    put_trailer(&s);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "critical") != NULL);
    CHECK(strstr(err.message, "0x00020000") != NULL);

    s.len = 0;
    put_bytes(&s, "PGCOPY\n\377\r\n\0", 11);
    put_u32(&s, 0);
    put_u32(&s, UINT32_C(0xfffffff0)); /* -16 */
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "extension length -16") != NULL);
}

static void test_negative_lengths(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[256];

    s.len = 0;
    put_header(&s, 0, "", 0);
    put_u16(&s, 2);
    put_field(&s, "x", 1);
    put_u32(&s, UINT32_C(0xfffffffe)); /* -2 */
    put_bytes(&s, "yy", 2);
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "field 2") != NULL);
    CHECK(strstr(err.message, "negative length -2") != NULL);
    CHECK(strstr(err.message, "byte 26") != NULL);
    /* found as soon as the length is there, whatever the split */
    CHECK_INT(parse_bytewise(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK_INT(parse_all(s.bytes, 30, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);

    s.len = 0;
    put_header(&s, 0, "", 0);
    put_u16(&s, 1);
    put_u32(&s, UINT32_C(0x80000000)); /* INT32_MIN */
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "-2147483648") != NULL);

    /* a field count below -1 */
    s.len = 0;
    put_header(&s, 0, "", 0);
    put_u16(&s, UINT16_C(0xfffe)); /* -2 */
    CHECK_INT(parse_all(s.bytes, s.len, MAX_FIELDS, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "negative field count -2") != NULL);
}

static void test_too_many_fields(void)
{
    struct stream s;
    struct sl_error err = {0};
    char log[256];

    s.len = 0;
    put_header(&s, 0, "", 0);
    put_u16(&s, 3);
    put_field(&s, "a", 1);
    put_field(&s, "b", 1);
    put_field(&s, "c", 1);
    put_trailer(&s);
    CHECK_INT(parse_all(s.bytes, s.len, 3, log, sizeof(log), &err), SL_COPY_END);
    CHECK_STR(log, "ROW(36)[1:61 1:62 1:63] END(2)");
    CHECK_INT(parse_all(s.bytes, s.len, 2, log, sizeof(log), &err), SL_EPROTO);
    CHECK(strstr(err.message, "3 fields") != NULL);
    CHECK(strstr(err.message, "the 2 expected") != NULL);
    /* refused before its fields arrive */
    CHECK_INT(parse_all(s.bytes, 21, 2, log, sizeof(log), &err), SL_EPROTO);
    CHECK_INT(parse_all(s.bytes, 21, 0, log, sizeof(log), &err), SL_EPROTO);
}

static void test_header_once(void)
{
    struct stream s;
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[MAX_FIELDS];
    struct sl_error err = {0};
    size_t consumed;
    uint16_t nfields;

    /* the header is consumed with the first row; NEED_MORE does not consume it */
    s.len = 0;
    put_header(&s, 0, "", 0);
    CHECK_INT(sl_copy_binary_next(&state, s.bytes, s.len, &consumed, fields, MAX_FIELDS,
                                  &nfields, &err),
              SL_COPY_NEED_MORE);
    CHECK(!state.header_done);
    put_u16(&s, 1);
    put_field(&s, "z", 1);
    put_u16(&s, 1);
    put_field(&s, "y", 1);
    CHECK_INT(sl_copy_binary_next(&state, s.bytes, s.len, &consumed, fields, MAX_FIELDS,
                                  &nfields, &err),
              SL_COPY_ROW);
    CHECK_INT(consumed, 19 + 7);
    CHECK(state.header_done);
    /* a second row that happens to start like a header is just a row */
    CHECK_INT(sl_copy_binary_next(&state, s.bytes + consumed, s.len - consumed, &consumed, fields,
                                  MAX_FIELDS, &nfields, &err),
              SL_COPY_ROW);
    CHECK_INT(consumed, 7);
    CHECK(fields[0].data[0] == 'y');
}

static void test_bad_arguments(void)
{
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[1];
    struct sl_error err = {0};
    size_t consumed;
    uint16_t nfields;

    CHECK_INT(sl_copy_binary_next(NULL, (const uint8_t *)"", 0, &consumed, fields, 1, &nfields,
                                  &err),
              SL_EINVAL);
    CHECK_INT(sl_copy_binary_next(&state, NULL, 5, &consumed, fields, 1, &nfields, &err),
              SL_EINVAL);
    CHECK_INT(sl_copy_binary_next(&state, (const uint8_t *)"", 0, &consumed, NULL, 1, &nfields,
                                  &err),
              SL_EINVAL);
    CHECK_INT(sl_copy_binary_next(&state, NULL, 0, &consumed, fields, 1, &nfields, NULL),
              SL_COPY_NEED_MORE);
}

UNIT_TESTS(UNIT_TEST(test_whole_stream), UNIT_TEST(test_byte_by_byte),
           UNIT_TEST(test_header_extension), UNIT_TEST(test_null_and_empty_fields),
           UNIT_TEST(test_empty_table), UNIT_TEST(test_after_trailer), UNIT_TEST(test_truncated),
           UNIT_TEST(test_bad_signature), UNIT_TEST(test_header_flags),
           UNIT_TEST(test_negative_lengths), UNIT_TEST(test_too_many_fields),
           UNIT_TEST(test_header_once), UNIT_TEST(test_bad_arguments))

/*
 * Unit tests of parquet/encoding.c: known byte vectors from the encoding spec, random round
 * trips (every bit width, extreme values, odd lengths), error paths, and golden page sections
 * written by pyarrow (tests/unit/data/make_encoding_golden.py). Decoders get heap copies of
 * exactly the input size so ASan sees any over-read.
 */
#include "parquet/encoding.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef SLUICE_TEST_DATA_DIR
#error "SLUICE_TEST_DATA_DIR must name tests/unit/data"
#endif

/* ---------------------------------------------------------------- helpers */

struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint32_t rng_below(struct rng *r, uint32_t bound)
{
    return bound == 0 ? 0 : (uint32_t)(rng_next(r) % bound);
}

/* A heap copy of exactly len bytes (1 byte allocated for len 0, never read). */
static uint8_t *exact_copy(const void *bytes, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        abort();
    if (len > 0)
        memcpy(copy, bytes, len);
    return copy;
}

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count > 0 ? count : 1, size > 0 ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

static bool message_has(const struct sl_error *err, const char *needle)
{
    return strstr(err->message, needle) != NULL;
}

/* Random values of at most `bits` bits in one of several shapes. */
static void fill_values(struct rng *r, uint32_t *v, size_t n, unsigned bits, int shape)
{
    uint32_t mask = bits == 32 ? UINT32_MAX : (uint32_t)((UINT64_C(1) << bits) - 1);
    size_t i = 0;
    while (i < n) {
        uint32_t value = (uint32_t)rng_next(r) & mask;
        size_t run = 1;
        switch (shape) {
        case 0: /* random */
            break;
        case 1: /* all equal */
            run = n;
            value = mask;
            break;
        case 2: /* runs of random length around the RLE threshold */
            run = 1 + rng_below(r, 20);
            break;
        case 3: /* long runs */
            run = 1 + rng_below(r, 2000);
            break;
        default: /* alternating 7/8/9-long runs */
            run = 7 + i % 3;
            break;
        }
        for (size_t k = 0; k < run && i < n; k++)
            v[i++] = value;
    }
}

/* ---------------------------------------------------------------- basics, PLAIN */

static void test_bit_width(void)
{
    CHECK_INT(sl_parquet_bit_width(0), 0);
    CHECK_INT(sl_parquet_bit_width(1), 1);
    CHECK_INT(sl_parquet_bit_width(2), 2);
    CHECK_INT(sl_parquet_bit_width(255), 8);
    CHECK_INT(sl_parquet_bit_width(256), 9);
    CHECK_INT(sl_parquet_bit_width(UINT32_MAX), 32);
    CHECK_INT(sl_parquet_bit_width(UINT64_MAX), 64);
    uint8_t valid[5] = {1, 0, 7, 0, 255};
    CHECK_INT(sl_parquet_count_valid(valid, 5), 3);
    CHECK_INT(sl_parquet_count_valid(NULL, 5), 5);
}

static void test_plain_fixed_known_bytes(void)
{
    int32_t i32[3] = {1, -2, INT32_MAX};
    double f64[2] = {-0.0, 1.0};
    static const uint8_t want_i32[] = {1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    static const uint8_t want_f64[] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
    struct sl_buf out;
    int32_t back[3];
    size_t consumed = 0;

    sl_buf_init(&out, SIZE_MAX);
    REQUIRE(sl_parquet_plain_encode_fixed(i32, 4, NULL, 3, &out, NULL) == SL_OK);
    CHECK(out.len == sizeof(want_i32) && memcmp(out.data, want_i32, out.len) == 0);
    CHECK(sl_parquet_plain_decode_fixed((uint8_t *)out.data, out.len, 4, 3, back, &consumed,
                                        NULL) == SL_OK);
    CHECK(memcmp(back, i32, sizeof(i32)) == 0 && consumed == 12);
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_plain_encode_fixed(f64, 8, NULL, 2, &out, NULL) == SL_OK);
    CHECK(out.len == sizeof(want_f64) && memcmp(out.data, want_f64, out.len) == 0);
    sl_buf_free(&out);
}

static void test_plain_fixed_valid_map_and_widths(void)
{
    static const size_t widths[] = {1, 3, 4, 6, 8, 12, 16};
    struct rng r = {42};
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    for (size_t w = 0; w < SL_ARRAY_LEN(widths); w++) {
        size_t width = widths[w], nrows = 1000, present = 0;
        uint8_t *values = xcalloc(nrows, width), *valid = xcalloc(nrows, 1);
        uint8_t *dense = xcalloc(nrows, width), *back = xcalloc(nrows, width);
        for (size_t i = 0; i < nrows * width; i++)
            values[i] = (uint8_t)rng_next(&r);
        for (size_t i = 0; i < nrows; i++)
            valid[i] = rng_below(&r, 10) == 0 ? 0 : (uint8_t)(1 + rng_below(&r, 255));
        valid[nrows - 1] = 0; /* the branch-free loops store past the last present value */
        for (size_t i = 0; i < nrows; i++)
            if (valid[i])
                memcpy(dense + present++ * width, values + i * width, width);
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_plain_encode_fixed(values, width, valid, nrows, &out, NULL) == SL_OK);
        CHECK(out.len == present * width);
        CHECK(memcmp(out.data, dense, out.len) == 0);
        {
            uint8_t *copy = exact_copy(out.data, out.len);
            CHECK(sl_parquet_plain_decode_fixed(copy, out.len, width, present, back, NULL,
                                                NULL) == SL_OK);
            CHECK(memcmp(back, dense, present * width) == 0);
            CHECK(sl_parquet_plain_decode_fixed(copy, out.len, width, present + 1, back, NULL,
                                                NULL) == SL_EPROTO);
            free(copy);
        }
        free(values);
        free(valid);
        free(dense);
        free(back);
    }
    sl_buf_free(&out);
}

static void test_plain_bool(void)
{
    static const uint8_t values[10] = {1, 0, 1, 1, 0, 0, 0, 7, 1, 0};
    struct sl_buf one, split;
    size_t bits = 0, consumed;
    uint8_t back[10];
    struct rng r = {7};

    sl_buf_init(&one, SIZE_MAX);
    sl_buf_init(&split, SIZE_MAX);
    REQUIRE(sl_parquet_plain_encode_bool(values, NULL, 10, &bits, &one, NULL) == SL_OK);
    CHECK_INT(bits, 10);
    CHECK(one.len == 2 && (uint8_t)one.data[0] == 0x8d && (uint8_t)one.data[1] == 0x01);
    CHECK(sl_parquet_plain_decode_bool((uint8_t *)one.data, one.len, 10, back, &consumed, NULL) ==
          SL_OK);
    for (size_t i = 0; i < 10; i++)
        CHECK(back[i] == (values[i] != 0));
    CHECK_INT(consumed, 2);
    CHECK(sl_parquet_plain_decode_bool((uint8_t *)one.data, 1, 10, back, NULL, NULL) ==
          SL_EPROTO);

    /* a page built by many calls equals one call; null rows are skipped */
    for (int round = 0; round < 50; round++) {
        uint8_t v[300], valid[300];
        size_t n = 1 + rng_below(&r, 300), at = 0, split_bits = 0, one_bits = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = (uint8_t)rng_below(&r, 3);
            valid[i] = rng_below(&r, 4) != 0;
        }
        sl_buf_reset(&one);
        sl_buf_reset(&split);
        REQUIRE(sl_parquet_plain_encode_bool(v, valid, n, &one_bits, &one, NULL) == SL_OK);
        while (at < n) {
            size_t part = 1 + rng_below(&r, 20);
            part = part < n - at ? part : n - at;
            REQUIRE(sl_parquet_plain_encode_bool(v + at, valid + at, part, &split_bits, &split,
                                                 NULL) == SL_OK);
            at += part;
        }
        CHECK(one_bits == split_bits && one_bits == sl_parquet_count_valid(valid, n));
        CHECK(one.len == split.len && memcmp(one.data, split.data, one.len) == 0);
    }
    sl_buf_free(&one);
    sl_buf_free(&split);
}

/* Builds offsets/data for strings (NULL entries stand for null rows). */
struct byte_rows {
    uint32_t offsets[2049];
    uint8_t valid[2048];
    uint8_t *data;
    size_t nrows;
};

static void rows_random(struct byte_rows *rows, struct rng *r, size_t nrows, bool low_card)
{
    size_t total = 0, cap = 1 << 20;
    rows->data = xcalloc(cap, 1);
    rows->nrows = nrows;
    rows->offsets[0] = 0;
    for (size_t i = 0; i < nrows; i++) {
        size_t len;
        uint32_t kind = rng_below(r, 20);
        rows->valid[i] = rng_below(r, 8) != 0;
        if (low_card) {
            uint32_t pick = rng_below(r, 6);
            len = pick * 3;
            for (size_t k = 0; k < len; k++)
                rows->data[total + k] = (uint8_t)('a' + pick);
        } else {
            len = kind == 0 ? 0 : kind == 1 ? 5000 + rng_below(r, 3000) : rng_below(r, 40);
            if (kind == 2 && i > 0) { /* share a prefix with the previous row */
                size_t prev_len = rows->offsets[i] - rows->offsets[i - 1];
                size_t share = rng_below(r, (uint32_t)prev_len + 1);
                memcpy(rows->data + total, rows->data + rows->offsets[i - 1], share);
                for (size_t k = share; k < len; k++)
                    rows->data[total + k] = (uint8_t)rng_next(r);
                if (len < share) {
                    len = share;
                }
            } else {
                for (size_t k = 0; k < len; k++)
                    rows->data[total + k] = (uint8_t)rng_next(r);
            }
        }
        if (total + len > cap)
            abort();
        total += len;
        rows->offsets[i + 1] = (uint32_t)total;
    }
}

static bool views_equal_rows(const struct sl_parquet_byte_view *views, size_t nviews,
                             const struct byte_rows *rows)
{
    size_t k = 0;
    for (size_t i = 0; i < rows->nrows; i++) {
        uint32_t len = rows->offsets[i + 1] - rows->offsets[i];
        if (!rows->valid[i])
            continue;
        if (k >= nviews || views[k].len != len ||
            (len > 0 && memcmp(views[k].ptr, rows->data + rows->offsets[i], len) != 0))
            return false;
        k++;
    }
    return k == nviews;
}

static void test_plain_bytes_roundtrip(void)
{
    struct rng r = {3};
    struct byte_rows *rows = xcalloc(1, sizeof(*rows));
    struct sl_buf out;
    struct sl_parquet_byte_view *views = xcalloc(2048, sizeof(*views));

    sl_buf_init(&out, SIZE_MAX);
    for (int round = 0; round < 20; round++) {
        size_t nrows = rng_below(&r, 2048), present, consumed;
        uint8_t *copy;
        rows_random(rows, &r, nrows, false);
        present = sl_parquet_count_valid(rows->valid, nrows);
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_plain_encode_bytes(rows->offsets, rows->data, rows->valid, nrows, &out,
                                              NULL) == SL_OK);
        copy = exact_copy(out.data, out.len);
        CHECK(sl_parquet_plain_decode_bytes(copy, out.len, present, views, &consumed, NULL) ==
              SL_OK);
        CHECK(consumed == out.len);
        CHECK(views_equal_rows(views, present, rows));
        for (size_t i = 0; i < present; i++)
            CHECK(views[i].ptr >= copy && views[i].ptr + views[i].len <= copy + out.len);
        if (present > 0) {
            struct sl_error err = {0};
            CHECK(sl_parquet_plain_decode_bytes(copy, out.len - 1, present, views, NULL, &err) ==
                  SL_EPROTO);
            CHECK(message_has(&err, "PLAIN BYTE_ARRAY"));
        }
        free(copy);
        free(rows->data);
    }
    {
        /* views encoder gives the same bytes; decreasing offsets are refused */
        uint32_t offsets[3] = {0, 3, 1};
        struct sl_error err = {0};
        CHECK(sl_parquet_plain_encode_bytes(offsets, (const uint8_t *)"abc", NULL, 2, &out,
                                            &err) == SL_EINVAL);
    }
    {
        static const uint8_t page[] = {3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0};
        struct sl_parquet_byte_view two[2];
        sl_buf_reset(&out);
        CHECK(sl_parquet_plain_decode_bytes(page, sizeof(page), 2, two, NULL, NULL) == SL_OK);
        CHECK(two[0].len == 3 && memcmp(two[0].ptr, "abc", 3) == 0 && two[1].len == 0);
        CHECK(sl_parquet_plain_encode_views(two, 2, &out, NULL) == SL_OK);
        CHECK(out.len == sizeof(page) && memcmp(out.data, page, sizeof(page)) == 0);
        /* a length prefix cut short, and a length past the end */
        CHECK(sl_parquet_plain_decode_bytes(page, 9, 2, two, NULL, NULL) == SL_EPROTO);
        CHECK(sl_parquet_plain_decode_bytes(page, 6, 1, two, NULL, NULL) == SL_EPROTO);
    }
    sl_buf_free(&out);
    free(views);
    free(rows);
}

/* ---------------------------------------------------------------- RLE / bit-packed hybrid */

static void test_rle_known_vectors(void)
{
    /* Encodings.md: 0..7 at bit width 3 bit-packed is 10001000 11000110 11111010 */
    static const uint32_t seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const uint8_t packed[] = {0x03, 0x88, 0xc6, 0xfa};
    /* 100 fives at width 3: header varint(200), one value byte */
    static const uint8_t repeated[] = {0xc8, 0x01, 0x05};
    uint32_t fives[100], back[100];
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    REQUIRE(sl_parquet_rle_encode(seq, 8, 3, &out, NULL) == SL_OK);
    CHECK(out.len == sizeof(packed) && memcmp(out.data, packed, out.len) == 0);
    CHECK(sl_parquet_rle_decode(packed, sizeof(packed), 3, back, 8, NULL) == SL_OK);
    CHECK(memcmp(back, seq, sizeof(seq)) == 0);

    for (int i = 0; i < 100; i++)
        fives[i] = 5;
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_rle_encode(fives, 100, 3, &out, NULL) == SL_OK);
    CHECK(out.len == sizeof(repeated) && memcmp(out.data, repeated, out.len) == 0);
    CHECK(sl_parquet_rle_decode(repeated, sizeof(repeated), 3, back, 100, NULL) == SL_OK);
    CHECK(memcmp(back, fives, sizeof(fives)) == 0);

    /* framings: length prefix and bit-width byte */
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_rle_encode_prefixed(seq, 8, 3, &out, NULL) == SL_OK);
    CHECK(out.len == 8 && memcmp(out.data, "\x04\0\0\0\x03\x88\xc6\xfa", 8) == 0);
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_rle_encode_indices(seq, 8, 3, &out, NULL) == SL_OK);
    CHECK(out.len == 5 && memcmp(out.data, "\x03\x03\x88\xc6\xfa", 5) == 0);

    /* values 1..8 repeated 8 times then literals: mixed runs */
    {
        uint32_t mixed[20] = {1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 3, 4};
        size_t pos = 0;
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_rle_encode(mixed, 20, 4, &out, NULL) == SL_OK);
        /* 1,2 + six 9s make a bit-packed group, then ten 9s repeated, then 3,4 padded */
        CHECK((uint8_t)out.data[pos] == 0x03);
        pos += 1 + 4;
        CHECK((uint8_t)out.data[pos] == 20 && (uint8_t)out.data[pos + 1] == 9);
        pos += 2;
        CHECK((uint8_t)out.data[pos] == 0x03);
        CHECK(out.len == pos + 5);
        CHECK(sl_parquet_rle_decode((uint8_t *)out.data, out.len, 4, back, 20, NULL) == SL_OK);
        CHECK(memcmp(back, mixed, sizeof(mixed)) == 0);
    }
    /* a value wider than the bit width is refused */
    {
        uint32_t wide[2] = {1, 8};
        struct sl_error err = {0};
        CHECK(sl_parquet_rle_encode(wide, 2, 3, &out, &err) == SL_EINVAL);
        CHECK(sl_parquet_rle_encode(wide, 2, 33, &out, &err) == SL_EINVAL);
    }
    sl_buf_free(&out);
}

static void test_rle_roundtrip_every_width(void)
{
    static const size_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 63, 64, 100, 503, 504, 505, 1000,
                                     4097, 20000};
    struct rng r = {11};
    uint32_t *values = xcalloc(20000, sizeof(uint32_t)), *back = xcalloc(20001, sizeof(uint32_t));
    uint8_t *back8 = xcalloc(20001, 1);
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    for (unsigned w = 0; w <= 32; w++) {
        for (size_t li = 0; li < SL_ARRAY_LEN(lengths); li++) {
            for (int shape = 0; shape < 5; shape++) {
                size_t n = lengths[li];
                uint8_t *copy;
                struct sl_error err = {0};
                fill_values(&r, values, n, w, shape);
                sl_buf_reset(&out);
                REQUIRE(sl_parquet_rle_encode(values, n, w, &out, &err) == SL_OK);
                if (shape == 1 && n > 0)
                    CHECK(out.len <= 5 + 4); /* one repeated run */
                copy = exact_copy(out.data, out.len);
                back[n] = 0xdeadbeef;
                if (sl_parquet_rle_decode(copy, out.len, w, back, n, &err) != SL_OK) {
                    fprintf(stderr, "  width %u n %zu shape %d: %s\n", w, n, shape, err.message);
                    CHECK(0);
                }
                CHECK(memcmp(back, values, n * sizeof(uint32_t)) == 0);
                CHECK(back[n] == 0xdeadbeef); /* wrote no more than n values */
                if (w <= 8) {
                    bool same = true;
                    CHECK(sl_parquet_rle_decode_u8(copy, out.len, w, back8, n, NULL) == SL_OK);
                    for (size_t i = 0; i < n; i++)
                        same = same && back8[i] == values[i];
                    CHECK(same);
                }
                /* asking for more values than encoded fails cleanly (or reads padding) */
                {
                    int rc = sl_parquet_rle_decode(copy, out.len, w, back, n + 1, NULL);
                    CHECK(rc == SL_OK || rc == SL_EPROTO);
                }
                free(copy);
            }
        }
    }
    sl_buf_free(&out);
    free(values);
    free(back);
    free(back8);
}

static void test_rle_decode_partial_and_errors(void)
{
    uint32_t back[64];
    uint8_t back8[64];
    struct sl_error err = {0};

    /* a bit-packed run declaring 2 groups (16 values) at width 8 but holding only 9 bytes:
     * fine when 9 values are wanted (writers may cut the padding), an error for 10 */
    {
        static const uint8_t cut[] = {0x05, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        CHECK(sl_parquet_rle_decode(cut, sizeof(cut), 8, back, 9, NULL) == SL_OK);
        CHECK(back[0] == 1 && back[8] == 9);
        CHECK(sl_parquet_rle_decode(cut, sizeof(cut), 8, back, 10, &err) == SL_EPROTO);
        CHECK(message_has(&err, "bit-packed run"));
    }
    /* a run header cut short, an overlong varint, runs of zero values */
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x80", 1, 1, back, 1, &err) == SL_EPROTO);
    CHECK(message_has(&err, "truncated"));
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\xff\xff\xff\xff\xff\xff", 6, 1, back, 1,
                                &err) == SL_EPROTO);
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x00\x01", 2, 1, back, 1, &err) == SL_EPROTO);
    CHECK(message_has(&err, "0 values"));
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x01", 1, 1, back, 1, &err) == SL_EPROTO);
    /* a repeated value wider than the bit width, or missing */
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x02\x08", 2, 3, back, 1, &err) == SL_EPROTO);
    CHECK(message_has(&err, "wider"));
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x02\x08", 2, 12, back, 1, &err) == SL_EPROTO);
    /* input ends before n values */
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x02\x01", 2, 1, back, 2, &err) == SL_EPROTO);
    /* widths over the limits */
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x02\x01", 2, 33, back, 1, &err) == SL_EPROTO);
    CHECK(sl_parquet_rle_decode_u8((const uint8_t *)"\x02\x01", 2, 9, back8, 1, &err) ==
          SL_EPROTO);
    /* bit width 0: runs carry no value bytes */
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x14\x03", 2, 0, back, 13, NULL) == SL_OK);
    CHECK(back[0] == 0 && back[12] == 0);
    /* bit width 32 repeated value */
    CHECK(sl_parquet_rle_decode((const uint8_t *)"\x04\xff\xff\xff\xff", 5, 32, back, 2, NULL) ==
          SL_OK);
    CHECK(back[0] == UINT32_MAX && back[1] == UINT32_MAX);
    /* length prefix */
    {
        static const uint8_t prefixed[] = {2, 0, 0, 0, 0x06, 0x01, 0xee};
        size_t consumed = 0;
        CHECK(sl_parquet_rle_decode_prefixed_u8(prefixed, sizeof(prefixed), 1, back8, 3,
                                                &consumed, NULL) == SL_OK);
        CHECK(consumed == 6 && back8[0] == 1 && back8[2] == 1);
        CHECK(sl_parquet_rle_decode_prefixed_u8(prefixed, 5, 1, back8, 3, NULL, &err) ==
              SL_EPROTO);
        CHECK(message_has(&err, "length prefix"));
        CHECK(sl_parquet_rle_decode_prefixed_u8(prefixed, 3, 1, back8, 3, NULL, &err) ==
              SL_EPROTO);
    }
}

static void test_rle_truncations_never_overread(void)
{
    struct rng r = {5};
    uint32_t values[600], back[600];
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    for (unsigned w = 0; w <= 32; w += 1) {
        fill_values(&r, values, 600, w, 2);
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_rle_encode(values, 600, w, &out, NULL) == SL_OK);
        for (size_t len = 0; len < out.len; len++) {
            uint8_t *copy = exact_copy(out.data, len);
            struct sl_error err = {0};
            int rc = sl_parquet_rle_decode(copy, len, w, back, 600, &err);
            CHECK(rc == SL_EPROTO || rc == SL_OK); /* OK only when the cut hit padding */
            if (rc == SL_EPROTO)
                CHECK(message_has(&err, "RLE"));
            free(copy);
        }
    }
    sl_buf_free(&out);
}

static void test_levels_from_valid_map(void)
{
    struct rng r = {99};
    uint8_t valid[3000], back[3000];
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    for (int round = 0; round < 40; round++) {
        size_t n = rng_below(&r, 3000), consumed;
        for (size_t i = 0; i < n; i++)
            valid[i] = round % 4 == 0 ? 1 : rng_below(&r, 10) < 8 ? (uint8_t)(1 + i % 250) : 0;
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_levels_encode_valid(valid, n, true, &out, NULL) == SL_OK);
        REQUIRE(sl_parquet_rle_decode_prefixed_u8((uint8_t *)out.data, out.len, 1, back, n,
                                                  &consumed, NULL) == SL_OK);
        CHECK(consumed == out.len);
        for (size_t i = 0; i < n; i++)
            CHECK(back[i] == (valid[i] != 0));
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_levels_encode_valid(valid, n, false, &out, NULL) == SL_OK);
        REQUIRE(sl_parquet_rle_decode_u8((uint8_t *)out.data, out.len, 1, back, n, NULL) ==
                SL_OK);
        for (size_t i = 0; i < n; i++)
            CHECK(back[i] == (valid[i] != 0));
    }
    sl_buf_free(&out);
}

static void test_dict_indices_decode(void)
{
    uint32_t idx[20] = {0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 1, 0, 1, 2, 3, 0, 0}, back[20];
    struct sl_buf out;
    struct sl_error err = {0};

    sl_buf_init(&out, SIZE_MAX);
    REQUIRE(sl_parquet_rle_encode_indices(idx, 20, 2, &out, NULL) == SL_OK);
    CHECK(sl_parquet_dict_indices_decode((uint8_t *)out.data, out.len, back, 20, 4, NULL) ==
          SL_OK);
    CHECK(memcmp(back, idx, sizeof(idx)) == 0);
    CHECK(sl_parquet_dict_indices_decode((uint8_t *)out.data, out.len, back, 20, 3, &err) ==
          SL_EPROTO);
    CHECK(message_has(&err, "dictionary"));
    CHECK(sl_parquet_dict_indices_decode((uint8_t *)out.data, 0, back, 20, 4, &err) ==
          SL_EPROTO);
    CHECK(sl_parquet_dict_indices_decode((const uint8_t *)"\x21\x02\x00", 3, back, 1, 4, &err) ==
          SL_EPROTO);
    CHECK(sl_parquet_dict_indices_decode(NULL, 0, back, 0, 0, NULL) == SL_OK);
    /* width 0: all zeros, valid for a one-entry dictionary, not for an empty one */
    CHECK(sl_parquet_dict_indices_decode((const uint8_t *)"\x00\x28", 2, back, 20, 1, NULL) ==
          SL_OK);
    CHECK(sl_parquet_dict_indices_decode((const uint8_t *)"\x00\x28", 2, back, 20, 0, &err) ==
          SL_EPROTO);
    sl_buf_free(&out);
}

/* ---------------------------------------------------------------- dictionary builder */

/* Checks indices against the dictionary page: page[indices[k]] == k-th present value. */
static void check_dict_fixed(const struct sl_parquet_dict *dict, const uint8_t *values,
                             const uint8_t *valid, size_t nrows, const uint32_t *indices,
                             size_t nindices)
{
    size_t page_len, k = 0, width = dict->width;
    const uint8_t *page = sl_parquet_dict_page(dict, &page_len);
    uint8_t *gathered = xcalloc(nrows + 1, width);

    CHECK(page_len == (size_t)dict->count * width);
    for (size_t i = 0; i < nindices; i++)
        REQUIRE(indices[i] < dict->count);
    sl_parquet_gather_fixed(page, width, indices, nindices, gathered);
    for (size_t i = 0; i < nrows; i++) {
        if (valid != NULL && !valid[i])
            continue;
        CHECK(memcmp(gathered + k * width, values + i * width, width) == 0);
        k++;
    }
    CHECK(k == nindices);
    /* distinct entries */
    for (uint32_t a = 0; a < dict->count && a < 300; a++)
        for (uint32_t b = a + 1; b < dict->count && b < 300; b++)
            CHECK(memcmp(page + a * width, page + b * width, width) != 0);
    free(gathered);
}

static void test_dict_fixed_widths(void)
{
    static const size_t widths[] = {4, 8, 1, 2, 3, 5, 6, 7, 12, 16};
    struct rng r = {1234};

    for (size_t w = 0; w < SL_ARRAY_LEN(widths); w++) {
        for (int card = 0; card < 3; card++) {
            size_t width = widths[w], nrows = 5000, nindices, rows_done;
            size_t distinct = card == 0 ? 1 : card == 1 ? 37 : 5000;
            uint8_t *pool = xcalloc(distinct, width), *values = xcalloc(nrows, width);
            uint8_t *valid = xcalloc(nrows, 1);
            uint32_t *indices = xcalloc(nrows, sizeof(uint32_t));
            struct sl_parquet_dict dict;
            for (size_t i = 0; i < distinct * width; i++)
                pool[i] = (uint8_t)rng_next(&r);
            for (size_t i = 0; i < nrows; i++) {
                memcpy(values + i * width, pool + rng_below(&r, (uint32_t)distinct) * width,
                       width);
                valid[i] = rng_below(&r, 10) != 0;
            }
            sl_parquet_dict_init(&dict, width, 1 << 20);
            /* in two batches, the second seeing the first's values again */
            REQUIRE(sl_parquet_dict_put_fixed(&dict, values, valid, 3000, indices, &nindices,
                                              &rows_done, NULL) == SL_OK);
            CHECK(rows_done == 3000);
            check_dict_fixed(&dict, values, valid, 3000, indices, nindices);
            REQUIRE(sl_parquet_dict_put_fixed(&dict, values + 3000 * width, valid + 3000,
                                              nrows - 3000, indices, &nindices, &rows_done,
                                              NULL) == SL_OK);
            check_dict_fixed(&dict, values + 3000 * width, valid + 3000, nrows - 3000, indices,
                             nindices);
            CHECK(dict.count <= distinct);
            if (width <= 2)
                CHECK(dict.count <= (1u << (8 * width)));
            /* reset: the next chunk starts from index 0 */
            sl_parquet_dict_reset(&dict);
            REQUIRE(sl_parquet_dict_put_fixed(&dict, values, NULL, 10, indices, &nindices,
                                              &rows_done, NULL) == SL_OK);
            CHECK(indices[0] == 0 && nindices == 10);
            check_dict_fixed(&dict, values, NULL, 10, indices, nindices);
            sl_parquet_dict_free(&dict);
            free(pool);
            free(values);
            free(valid);
            free(indices);
        }
    }
}

static void test_dict_float_bit_patterns(void)
{
    /* NaN payloads, -0.0 and 0.0 are distinct dictionary entries (exact round trip) */
    uint64_t bits[8] = {UINT64_C(0x7ff8000000000000), UINT64_C(0x7ff8000000000001),
                        UINT64_C(0x8000000000000000), 0,
                        UINT64_C(0x7ff8000000000000), 0,
                        UINT64_C(0x8000000000000000), UINT64_C(0xfff0000000000000)};
    double values[8];
    uint32_t indices[8];
    size_t nindices, rows_done;
    struct sl_parquet_dict dict;

    memcpy(values, bits, sizeof(bits));
    sl_parquet_dict_init(&dict, 8, 1024);
    REQUIRE(sl_parquet_dict_put_fixed(&dict, values, NULL, 8, indices, &nindices, &rows_done,
                                      NULL) == SL_OK);
    CHECK_INT(dict.count, 5);
    CHECK(indices[0] == indices[4] && indices[3] == indices[5] && indices[2] == indices[6]);
    CHECK(indices[0] != indices[1] && indices[2] != indices[3]);
    check_dict_fixed(&dict, (const uint8_t *)values, NULL, 8, indices, nindices);
    CHECK_INT(sl_parquet_dict_index_bit_width(&dict), 3);
    sl_parquet_dict_free(&dict);
    {
        float f[3] = {-0.0f, 0.0f, NAN};
        sl_parquet_dict_init(&dict, 4, 1024);
        REQUIRE(sl_parquet_dict_put_fixed(&dict, f, NULL, 3, indices, &nindices, &rows_done,
                                          NULL) == SL_OK);
        CHECK_INT(dict.count, 3);
        sl_parquet_dict_free(&dict);
    }
}

static void test_dict_bytes(void)
{
    struct rng r = {77};
    struct byte_rows *rows = xcalloc(1, sizeof(*rows));
    struct sl_parquet_byte_view *dict_views = xcalloc(2048, sizeof(*dict_views));
    struct sl_parquet_byte_view *gathered = xcalloc(2048, sizeof(*gathered));
    uint32_t *indices = xcalloc(2048, sizeof(uint32_t));
    struct sl_parquet_dict dict;

    sl_parquet_dict_init(&dict, 0, SIZE_MAX);
    for (int round = 0; round < 20; round++) {
        size_t nrows = rng_below(&r, 2048), nindices, rows_done, page_len, consumed;
        const uint8_t *page;
        rows_random(rows, &r, nrows, round % 2 == 0);
        sl_parquet_dict_reset(&dict);
        REQUIRE(sl_parquet_dict_put_bytes(&dict, rows->offsets, rows->data, rows->valid, nrows,
                                          indices, &nindices, &rows_done, NULL) == SL_OK);
        CHECK(rows_done == nrows && nindices == sl_parquet_count_valid(rows->valid, nrows));
        page = sl_parquet_dict_page(&dict, &page_len);
        REQUIRE(sl_parquet_plain_decode_bytes(page, page_len, dict.count, dict_views, &consumed,
                                              NULL) == SL_OK);
        CHECK(consumed == page_len);
        sl_parquet_gather_views(dict_views, indices, nindices, gathered);
        CHECK(views_equal_rows(gathered, nindices, rows));
        if (round % 2 == 0)
            CHECK(dict.count <= 6);
        for (uint32_t a = 0; a < dict.count && a < 200; a++)
            for (uint32_t b = a + 1; b < dict.count && b < 200; b++)
                CHECK(dict_views[a].len != dict_views[b].len ||
                      memcmp(dict_views[a].ptr, dict_views[b].ptr, dict_views[a].len) != 0);
        free(rows->data);
    }
    {
        /* a fixed dictionary refuses byte arrays and vice versa */
        struct sl_parquet_dict fixed;
        size_t nindices, rows_done;
        uint32_t offsets[2] = {0, 1};
        sl_parquet_dict_init(&fixed, 4, 100);
        CHECK(sl_parquet_dict_put_bytes(&fixed, offsets, (const uint8_t *)"a", NULL, 1, indices,
                                        &nindices, &rows_done, NULL) == SL_EINVAL);
        CHECK(sl_parquet_dict_put_fixed(&dict, "abcd", NULL, 1, indices, &nindices, &rows_done,
                                        NULL) == SL_EINVAL);
        sl_parquet_dict_free(&fixed);
    }
    sl_parquet_dict_free(&dict);
    sl_parquet_dict_free(NULL);
    free(rows);
    free(dict_views);
    free(gathered);
    free(indices);
}

static void test_dict_many_distinct_grows(void)
{
    size_t n = 200000, nindices, rows_done;
    int64_t *values = xcalloc(n, sizeof(int64_t));
    uint32_t *indices = xcalloc(n, sizeof(uint32_t));
    struct sl_parquet_dict dict;
    bool ok = true;

    for (size_t i = 0; i < n; i++)
        values[i] = (int64_t)(i * UINT64_C(0x100000000)) - (int64_t)(i % 7); /* high bits vary */
    sl_parquet_dict_init(&dict, 8, SIZE_MAX);
    REQUIRE(sl_parquet_dict_put_fixed(&dict, values, NULL, n, indices, &nindices, &rows_done,
                                      NULL) == SL_OK);
    CHECK(dict.count == n);
    for (size_t i = 0; i < n; i++)
        ok = ok && indices[i] == i;
    CHECK(ok);
    CHECK_INT(sl_parquet_dict_index_bit_width(&dict), 18);
    sl_parquet_dict_free(&dict);
    free(values);
    free(indices);
}

static void test_dict_full_falls_back(void)
{
    uint32_t offsets[7] = {0, 3, 6, 9, 12, 15, 18};
    const uint8_t *data = (const uint8_t *)"aaabbbaaacccdddbbb";
    uint32_t indices[6];
    size_t nindices, rows_done, page_len;
    struct sl_parquet_dict dict;
    struct sl_error err = {0};

    /* room for 3 entries of 4 + 3 bytes */
    sl_parquet_dict_init(&dict, 0, 21);
    CHECK(sl_parquet_dict_put_bytes(&dict, offsets, data, NULL, 6, indices, &nindices,
                                    &rows_done, &err) == SL_ELIMIT);
    CHECK(message_has(&err, "full"));
    CHECK_INT(rows_done, 4); /* "ddd" does not fit */
    CHECK_INT(nindices, 4);
    CHECK(indices[0] == 0 && indices[1] == 1 && indices[2] == 0 && indices[3] == 2);
    sl_parquet_dict_page(&dict, &page_len);
    CHECK_INT(page_len, 21);
    /* known values still map after the dictionary filled up */
    CHECK(sl_parquet_dict_put_bytes(&dict, offsets + 5, data, NULL, 1, indices, &nindices,
                                    &rows_done, NULL) == SL_OK);
    CHECK(indices[0] == 1 && rows_done == 1);
    sl_parquet_dict_free(&dict);

    /* fixed: a 2-entry limit, with null rows counted as done */
    {
        int32_t v[5] = {1, 2, 1, 3, 4};
        uint8_t valid[5] = {1, 1, 0, 1, 1};
        sl_parquet_dict_init(&dict, 4, 8);
        CHECK(sl_parquet_dict_put_fixed(&dict, v, valid, 5, indices, &nindices, &rows_done,
                                        NULL) == SL_ELIMIT);
        CHECK(rows_done == 3 && nindices == 2);
        sl_parquet_dict_free(&dict);
    }
}

static void test_dict_allocation_failures(void)
{
    struct rng r = {8};
    struct byte_rows *rows = xcalloc(1, sizeof(*rows));
    uint32_t *indices = xcalloc(2048, sizeof(uint32_t));
    struct sl_parquet_byte_view *views = xcalloc(2048, sizeof(*views));
    struct sl_parquet_byte_view *gathered = xcalloc(2048, sizeof(*gathered));

    rows_random(rows, &r, 1500, false);
    for (long nth = 1; nth < 60; nth++) {
        struct sl_parquet_dict dict;
        size_t nindices, rows_done, page_len;
        int rc;
        sl_parquet_dict_init(&dict, 0, SIZE_MAX);
        sl_alloc_fail_after(nth);
        rc = sl_parquet_dict_put_bytes(&dict, rows->offsets, rows->data, rows->valid, 1500,
                                       indices, &nindices, &rows_done, NULL);
        sl_alloc_fail_after(0);
        CHECK(rc == SL_OK || rc == SL_ENOMEM);
        CHECK(rc == SL_OK ? rows_done == 1500 : rows_done < 1500);
        /* the dictionary stays consistent after a failure: put every row again and check */
        {
            const uint8_t *page;
            REQUIRE(sl_parquet_dict_put_bytes(&dict, rows->offsets, rows->data, rows->valid,
                                              1500, indices, &nindices, &rows_done, NULL) ==
                    SL_OK);
            page = sl_parquet_dict_page(&dict, &page_len);
            REQUIRE(sl_parquet_plain_decode_bytes(page, page_len, dict.count, views, NULL,
                                                  NULL) == SL_OK);
            sl_parquet_gather_views(views, indices, nindices, gathered);
            CHECK(views_equal_rows(gathered, nindices, rows));
        }
        sl_parquet_dict_free(&dict);
    }
    free(rows->data);
    free(rows);
    free(indices);
    free(views);
    free(gathered);
}

static void test_gather_and_spread(void)
{
    int32_t dict[3] = {10, 20, 30}, out[6];
    uint32_t idx[4] = {2, 0, 0, 1};
    uint8_t valid[6] = {0, 1, 1, 0, 1, 1};
    int32_t want[6] = {0, 30, 10, 0, 10, 20};

    sl_parquet_gather_fixed(dict, 4, idx, 4, out);
    CHECK(out[0] == 30 && out[1] == 10 && out[2] == 10 && out[3] == 20);
    out[4] = out[5] = -1;
    sl_parquet_spread(out, 4, valid, 6);
    CHECK(memcmp(out, want, sizeof(want)) == 0);
    sl_parquet_spread(out, 4, NULL, 6); /* all valid: nothing moves */
    CHECK(memcmp(out, want, sizeof(want)) == 0);
    {
        uint8_t fixed3[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, got[9];
        uint32_t i3[3] = {2, 2, 0};
        sl_parquet_gather_fixed(fixed3, 3, i3, 3, got);
        CHECK(memcmp(got, "\x07\x08\x09\x07\x08\x09\x01\x02\x03", 9) == 0);
    }
}

/* ---------------------------------------------------------------- DELTA_BINARY_PACKED */

static void test_delta_known_vectors(void)
{
    /* Encodings.md examples: 1..5 (all deltas 1: bit width 0), and 7 5 3 1 2 3 4 5 (deltas
     * -2 -2 -2 1 1 1 1: min -2, then 0 0 0 3 3 3 3 at 2 bits) */
    static const int32_t ex1[5] = {1, 2, 3, 4, 5};
    static const uint8_t enc1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    static const int32_t ex2[8] = {7, 5, 3, 1, 2, 3, 4, 5};
    static const uint8_t enc2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0, 0, 0,
                                   0xc0, 0x3f, 0,    0,    0,    0,    0,    0};
    int32_t back[8];
    int64_t back64[8];
    size_t consumed;
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    REQUIRE(sl_parquet_delta_encode_int32(ex1, NULL, 5, &out, NULL) == SL_OK);
    CHECK(out.len == sizeof(enc1) && memcmp(out.data, enc1, out.len) == 0);
    CHECK(sl_parquet_delta_decode_int32(enc1, sizeof(enc1), back, 5, &consumed, NULL) == SL_OK);
    CHECK(memcmp(back, ex1, sizeof(ex1)) == 0 && consumed == sizeof(enc1));
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_delta_encode_int32(ex2, NULL, 8, &out, NULL) == SL_OK);
    CHECK(out.len == sizeof(enc2) && memcmp(out.data, enc2, out.len) == 0);
    CHECK(sl_parquet_delta_decode_int32(enc2, sizeof(enc2), back, 8, &consumed, NULL) == SL_OK);
    CHECK(memcmp(back, ex2, sizeof(ex2)) == 0 && consumed == sizeof(enc2));
    CHECK(sl_parquet_delta_decode_int64(enc2, sizeof(enc2), back64, 8, NULL, NULL) == SL_OK);
    CHECK(back64[0] == 7 && back64[7] == 5);
    /* one value: header only; zero values too */
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_delta_encode_int32(ex1, NULL, 1, &out, NULL) == SL_OK);
    CHECK(out.len == 5 && sl_parquet_delta_decode_int32((uint8_t *)out.data, out.len, back, 1,
                                                        &consumed, NULL) == SL_OK);
    CHECK(back[0] == 1 && consumed == 5);
    sl_buf_reset(&out);
    REQUIRE(sl_parquet_delta_encode_int64(NULL, NULL, 0, &out, NULL) == SL_OK);
    CHECK(sl_parquet_delta_decode_int64((uint8_t *)out.data, out.len, back64, 0, &consumed,
                                        NULL) == SL_OK);
    CHECK(consumed == out.len);
    sl_buf_free(&out);
}

static void test_delta_roundtrip(void)
{
    static const size_t lengths[] = {0, 1, 2, 3, 31, 32, 33, 127, 128, 129, 130, 255, 256, 257,
                                     1000, 5000};
    struct rng r = {2024};
    size_t max = 5000;
    int64_t *v64 = xcalloc(max, 8), *b64 = xcalloc(max + 1, 8);
    int32_t *v32 = xcalloc(max, 4), *b32 = xcalloc(max + 1, 4);
    uint8_t *valid = xcalloc(max, 1);
    struct sl_buf out;

    sl_buf_init(&out, SIZE_MAX);
    for (size_t li = 0; li < SL_ARRAY_LEN(lengths); li++) {
        for (int shape = 0; shape < 6; shape++) {
            size_t n = lengths[li], present, consumed;
            uint8_t *copy;
            for (size_t i = 0; i < n; i++) {
                uint64_t x = rng_next(&r);
                switch (shape) {
                case 0: /* full range */
                    break;
                case 1: /* extremes */
                    x = (x & 3) == 0 ? UINT64_C(0x8000000000000000)
                        : (x & 3) == 1 ? UINT64_C(0x7fffffffffffffff)
                        : (x & 3) == 2 ? 0 : UINT64_MAX;
                    break;
                case 2: /* increasing timestamps */
                    x = UINT64_C(1700000000000000) + i * 1000 + (x % 17);
                    break;
                case 3: /* constant */
                    x = UINT64_C(0xfffffffffffffffe);
                    break;
                case 4: /* small values */
                    x = x % 100;
                    break;
                default: /* decreasing */
                    x = UINT64_C(1) << 40;
                    x -= i * 3;
                    break;
                }
                v64[i] = (int64_t)x;
                v32[i] = (int32_t)(uint32_t)(shape == 1 ? (x >> 32) : x);
                valid[i] = shape % 2 == 0 || rng_below(&r, 5) != 0;
            }
            present = sl_parquet_count_valid(valid, n);
            /* INT64 */
            sl_buf_reset(&out);
            REQUIRE(sl_parquet_delta_encode_int64(v64, valid, n, &out, NULL) == SL_OK);
            copy = exact_copy(out.data, out.len);
            b64[present] = 12345;
            REQUIRE(sl_parquet_delta_decode_int64(copy, out.len, b64, present, &consumed, NULL) ==
                    SL_OK);
            CHECK(consumed == out.len && b64[present] == 12345);
            for (size_t i = 0, k = 0; i < n; i++)
                if (valid[i])
                    CHECK(b64[k++] == v64[i]);
            CHECK(sl_parquet_delta_decode_int64(copy, out.len, b64, present + 1, NULL, NULL) ==
                  SL_EPROTO);
            free(copy);
            /* INT32 */
            sl_buf_reset(&out);
            REQUIRE(sl_parquet_delta_encode_int32(v32, valid, n, &out, NULL) == SL_OK);
            copy = exact_copy(out.data, out.len);
            REQUIRE(sl_parquet_delta_decode_int32(copy, out.len, b32, present, &consumed, NULL) ==
                    SL_OK);
            CHECK(consumed == out.len);
            for (size_t i = 0, k = 0; i < n; i++)
                if (valid[i])
                    CHECK(b32[k++] == v32[i]);
            /* every truncation fails cleanly */
            for (size_t len = 0; len < out.len && n < 300; len++) {
                uint8_t *cut = exact_copy(out.data, len);
                CHECK(sl_parquet_delta_decode_int32(cut, len, b32, present, NULL, NULL) ==
                      SL_EPROTO);
                free(cut);
            }
            free(copy);
        }
    }
    sl_buf_free(&out);
    free(v64);
    free(b64);
    free(v32);
    free(b32);
    free(valid);
}

static void test_delta_decode_errors(void)
{
    int32_t b32[300];
    int64_t b64[300];
    struct sl_error err = {0};

    /* block size not a multiple of 128; miniblocks not splitting into multiples of 32 */
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x40\x04\x01\x02", 4, b32, 1, NULL,
                                        &err) == SL_EPROTO);
    CHECK(message_has(&err, "DELTA_BINARY_PACKED") && message_has(&err, "block size"));
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x80\x01\x03\x01\x02", 5, b32, 1, NULL,
                                        &err) == SL_EPROTO);
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x80\x01\x08\x01\x02", 5, b32, 1, NULL,
                                        &err) == SL_EPROTO);
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x80\x01\x00\x01\x02", 5, b32, 1, NULL,
                                        &err) == SL_EPROTO);
    /* count mismatch */
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x80\x01\x04\x02\x02", 5, b32, 1, NULL,
                                        &err) == SL_EPROTO);
    CHECK(message_has(&err, "declares 2"));
    /* first value out of INT32 range (zigzag of 2^31) */
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x80\x01\x04\x01\x80\x80\x80\x80\x10",
                                        9, b32, 1, NULL, &err) == SL_EPROTO);
    CHECK(sl_parquet_delta_decode_int64((const uint8_t *)"\x80\x01\x04\x01\x80\x80\x80\x80\x10",
                                        9, b64, 1, NULL, NULL) == SL_OK);
    CHECK(b64[0] == INT64_C(2147483648));
    /* miniblock bit width over the type's */
    CHECK(sl_parquet_delta_decode_int32((const uint8_t *)"\x80\x01\x04\x02\x00\x00\x21\x00\x00\x00",
                                        10, b32, 2, NULL, &err) == SL_EPROTO);
    CHECK(message_has(&err, "bit width 33"));
    /* a huge miniblock of width 0 only yields the values asked for */
    {
        /* block 2^32 * 128 in 1 miniblock; 3 values; first 5; min delta 1; width 0 */
        static const uint8_t huge[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x01, 0x03,
                                       0x0a, 0x02, 0x00};
        CHECK(sl_parquet_delta_decode_int64(huge, sizeof(huge), b64, 3, NULL, NULL) == SL_OK);
        CHECK(b64[0] == 5 && b64[1] == 6 && b64[2] == 7);
    }
    /* the same with width 1: the miniblock's 2^32 * 16 bytes are not there */
    {
        static const uint8_t huge[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x01, 0x03,
                                       0x0a, 0x02, 0x01, 0xff};
        CHECK(sl_parquet_delta_decode_int64(huge, sizeof(huge), b64, 3, NULL, &err) ==
              SL_EPROTO);
        CHECK(message_has(&err, "truncated"));
    }
    /* 64-bit wrap-around: INT64_MIN - 1 via min delta */
    {
        static const int64_t wrap[4] = {INT64_MIN, INT64_MAX, INT64_MIN, 0};
        struct sl_buf out;
        sl_buf_init(&out, SIZE_MAX);
        REQUIRE(sl_parquet_delta_encode_int64(wrap, NULL, 4, &out, NULL) == SL_OK);
        CHECK(sl_parquet_delta_decode_int64((uint8_t *)out.data, out.len, b64, 4, NULL, NULL) ==
              SL_OK);
        CHECK(memcmp(b64, wrap, sizeof(wrap)) == 0);
        sl_buf_free(&out);
    }
}

/* ---------------------------------------------------------------- DELTA_*_BYTE_ARRAY */

static void test_delta_byte_arrays_roundtrip(void)
{
    struct rng r = {555};
    struct byte_rows *rows = xcalloc(1, sizeof(*rows));
    struct sl_parquet_byte_view *views = xcalloc(2048, sizeof(*views));
    struct sl_buf out, values;

    sl_buf_init(&out, SIZE_MAX);
    sl_buf_init(&values, SIZE_MAX);
    for (int round = 0; round < 30; round++) {
        size_t nrows = round == 0 ? 0 : rng_below(&r, 2048), present, consumed;
        uint8_t *copy;
        rows_random(rows, &r, nrows, round % 3 == 0);
        present = sl_parquet_count_valid(rows->valid, nrows);

        sl_buf_reset(&out);
        REQUIRE(sl_parquet_delta_length_encode(rows->offsets, rows->data, rows->valid, nrows,
                                               &out, NULL) == SL_OK);
        copy = exact_copy(out.data, out.len);
        REQUIRE(sl_parquet_delta_length_decode(copy, out.len, views, present, &consumed, NULL) ==
                SL_OK);
        CHECK(consumed == out.len);
        CHECK(views_equal_rows(views, present, rows));
        if (out.len > 0)
            CHECK(sl_parquet_delta_length_decode(copy, out.len - 1, views, present, NULL, NULL) ==
                  SL_EPROTO);
        free(copy);

        sl_buf_reset(&out);
        REQUIRE(sl_parquet_delta_bytes_encode(rows->offsets, rows->data, rows->valid, nrows, &out,
                                              NULL) == SL_OK);
        copy = exact_copy(out.data, out.len);
        REQUIRE(sl_parquet_delta_bytes_decode(copy, out.len, views, present, &values, NULL) ==
                SL_OK);
        CHECK(views_equal_rows(views, present, rows));
        if (out.len > 0 && present > 0) {
            struct sl_error err = {0};
            CHECK(sl_parquet_delta_bytes_decode(copy, out.len - 1, views, present, &values,
                                                &err) == SL_EPROTO);
            CHECK(message_has(&err, "DELTA_BYTE_ARRAY"));
        }
        free(copy);
        free(rows->data);
    }
    sl_buf_free(&out);
    sl_buf_free(&values);
    free(views);
    free(rows);
}

static void test_delta_bytes_errors_and_limits(void)
{
    /* prefix lengths 0,3 and suffix lengths 3,2 rebuild "abc","abcde" */
    int32_t prefixes[2] = {0, 3}, suffixes[2] = {3, 2}, bad_prefixes[2] = {1, 0};
    struct sl_parquet_byte_view views[2];
    struct sl_buf page, values;
    struct sl_error err = {0};

    sl_buf_init(&page, SIZE_MAX);
    sl_buf_init(&values, SIZE_MAX);
    REQUIRE(sl_parquet_delta_encode_int32(prefixes, NULL, 2, &page, NULL) == SL_OK);
    REQUIRE(sl_parquet_delta_encode_int32(suffixes, NULL, 2, &page, NULL) == SL_OK);
    REQUIRE(sl_buf_append(&page, "abcde", 5) == SL_OK);
    REQUIRE(sl_parquet_delta_bytes_decode((uint8_t *)page.data, page.len, views, 2, &values,
                                          NULL) == SL_OK);
    CHECK(views[0].len == 3 && memcmp(views[0].ptr, "abc", 3) == 0);
    CHECK(views[1].len == 5 && memcmp(views[1].ptr, "abcde", 5) == 0);
    /* a values buffer limit smaller than the rebuilt values: SL_ELIMIT, not a huge allocation */
    values.max = 10;
    CHECK(sl_parquet_delta_bytes_decode((uint8_t *)page.data, page.len, views, 2, &values,
                                        &err) == SL_ELIMIT);
    values.max = SIZE_MAX;
    /* the first value cannot share a prefix */
    sl_buf_reset(&page);
    REQUIRE(sl_parquet_delta_encode_int32(bad_prefixes, NULL, 2, &page, NULL) == SL_OK);
    REQUIRE(sl_parquet_delta_encode_int32(suffixes, NULL, 2, &page, NULL) == SL_OK);
    REQUIRE(sl_buf_append(&page, "abcde", 5) == SL_OK);
    CHECK(sl_parquet_delta_bytes_decode((uint8_t *)page.data, page.len, views, 2, &values,
                                        &err) == SL_EPROTO);
    CHECK(message_has(&err, "prefix"));
    /* negative lengths */
    {
        int32_t negative[2] = {3, -1};
        sl_buf_reset(&page);
        REQUIRE(sl_parquet_delta_encode_int32(negative, NULL, 2, &page, NULL) == SL_OK);
        REQUIRE(sl_buf_append(&page, "abc", 3) == SL_OK);
        CHECK(sl_parquet_delta_length_decode((uint8_t *)page.data, page.len, views, 2, NULL,
                                             &err) == SL_EPROTO);
        CHECK(message_has(&err, "negative"));
    }
    /* a decoded run of long shared prefixes: 1000 values of 1000 bytes from 1 KB of input */
    {
        int32_t *pre = xcalloc(1000, 4), *suf = xcalloc(1000, 4);
        struct sl_parquet_byte_view *many = xcalloc(1000, sizeof(*many));
        char letters[1000];
        suf[0] = 1000;
        for (int i = 1; i < 1000; i++)
            pre[i] = 1000;
        memset(letters, 'q', sizeof(letters));
        sl_buf_reset(&page);
        REQUIRE(sl_parquet_delta_encode_int32(pre, NULL, 1000, &page, NULL) == SL_OK);
        REQUIRE(sl_parquet_delta_encode_int32(suf, NULL, 1000, &page, NULL) == SL_OK);
        REQUIRE(sl_buf_append(&page, letters, sizeof(letters)) == SL_OK);
        values.max = 100000;
        CHECK(sl_parquet_delta_bytes_decode((uint8_t *)page.data, page.len, many, 1000, &values,
                                            &err) == SL_ELIMIT);
        values.max = SIZE_MAX;
        CHECK(sl_parquet_delta_bytes_decode((uint8_t *)page.data, page.len, many, 1000, &values,
                                            NULL) == SL_OK);
        CHECK(many[999].len == 1000 && many[999].ptr[999] == 'q');
        free(pre);
        free(suf);
        free(many);
    }
    sl_buf_free(&page);
    sl_buf_free(&values);
}

/* ---------------------------------------------------------------- BYTE_STREAM_SPLIT */

static void test_byte_stream_split(void)
{
    static const size_t widths[] = {4, 8, 2, 6, 16};
    float f[3] = {1.0f, -2.5f, 0.0f};
    struct rng r = {31};
    struct sl_buf out;
    struct sl_error err = {0};

    sl_buf_init(&out, SIZE_MAX);
    REQUIRE(sl_parquet_byte_stream_split_encode(f, 4, NULL, 3, &out, NULL) == SL_OK);
    /* 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0, 0 = 00 00 00 00: stream k holds byte k */
    CHECK(out.len == 12 && memcmp(out.data, "\0\0\0\0\0\0\x80\x20\0\x3f\xc0\0", 12) == 0);
    for (size_t w = 0; w < SL_ARRAY_LEN(widths); w++) {
        size_t width = widths[w], nrows = 777, present;
        uint8_t *v = xcalloc(nrows, width), *back = xcalloc(nrows, width);
        uint8_t *valid = xcalloc(nrows, 1), *copy;
        for (size_t i = 0; i < nrows * width; i++)
            v[i] = (uint8_t)rng_next(&r);
        for (size_t i = 0; i < nrows; i++)
            valid[i] = rng_below(&r, 7) != 0;
        present = sl_parquet_count_valid(valid, nrows);
        sl_buf_reset(&out);
        REQUIRE(sl_parquet_byte_stream_split_encode(v, width, valid, nrows, &out, NULL) == SL_OK);
        CHECK(out.len == present * width);
        copy = exact_copy(out.data, out.len);
        REQUIRE(sl_parquet_byte_stream_split_decode(copy, out.len, width, present, back, NULL) ==
                SL_OK);
        for (size_t i = 0, k = 0; i < nrows; i++)
            if (valid[i])
                CHECK(memcmp(back + width * k++, v + width * i, width) == 0);
        CHECK(sl_parquet_byte_stream_split_decode(copy, out.len - 1, width, present - 1, back,
                                                  &err) == SL_EPROTO);
        CHECK(message_has(&err, "BYTE_STREAM_SPLIT"));
        CHECK(sl_parquet_byte_stream_split_decode(copy, out.len, width, present + 1, back,
                                                  &err) == SL_EPROTO);
        free(copy);
        free(v);
        free(back);
        free(valid);
    }
    sl_buf_free(&out);
}

/* ---------------------------------------------------------------- pyarrow golden pages */

static uint8_t *read_data_file(const char *name, size_t *len)
{
    return unit_read_file(SLUICE_TEST_DATA_DIR "/encoding", name, len);
}

struct golden_case {
    char name[128];
    int version;
    char physical[32];
    size_t width;
    char encoding[32];
    size_t num_values, num_nulls;
    char levels[64], values[64], dict[64], expect[64], deflevels[64];
    uint32_t dict_count;
};

/* PLAIN-encodes views, to compare BYTE_ARRAY results with the expected file. */
static bool views_match_plain(const struct sl_parquet_byte_view *views, size_t n,
                              const uint8_t *expect, size_t expect_len)
{
    struct sl_buf buf;
    bool same;
    sl_buf_init(&buf, SIZE_MAX);
    if (sl_parquet_plain_encode_views(views, n, &buf, NULL) != SL_OK)
        abort();
    same = buf.len == expect_len && memcmp(buf.data, expect, expect_len) == 0;
    sl_buf_free(&buf);
    return same;
}

/*
 * Decodes a case's values section into `got` (fixed-width values, booleans a byte each) or
 * views; returns the rc. `dict`/`dict_len` are the dictionary page for dictionary cases.
 */
static int golden_decode(const struct golden_case *gc, const uint8_t *values, size_t len,
                         const uint8_t *dict, size_t dict_len, size_t present, uint8_t *got,
                         struct sl_parquet_byte_view *views, struct sl_buf *rebuilt,
                         size_t *consumed, struct sl_error *err)
{
    bool bytes = strcmp(gc->physical, "BYTE_ARRAY") == 0;
    bool fixed_bytes = strcmp(gc->physical, "FIXED_LEN_BYTE_ARRAY") == 0;
    int rc;

    *consumed = len;
    if (strcmp(gc->encoding, "PLAIN") == 0) {
        if (strcmp(gc->physical, "BOOLEAN") == 0)
            return sl_parquet_plain_decode_bool(values, len, present, got, consumed, err);
        if (bytes)
            return sl_parquet_plain_decode_bytes(values, len, present, views, consumed, err);
        return sl_parquet_plain_decode_fixed(values, len, gc->width, present, got, consumed, err);
    }
    if (strcmp(gc->encoding, "RLE") == 0) /* BOOLEAN values */
        return sl_parquet_rle_decode_prefixed_u8(values, len, 1, got, present, consumed, err);
    if (strcmp(gc->encoding, "DELTA_BINARY_PACKED") == 0) {
        if (gc->width == 4)
            return sl_parquet_delta_decode_int32(values, len, (int32_t *)(void *)got, present,
                                                 consumed, err);
        return sl_parquet_delta_decode_int64(values, len, (int64_t *)(void *)got, present,
                                             consumed, err);
    }
    if (strcmp(gc->encoding, "DELTA_LENGTH_BYTE_ARRAY") == 0)
        return sl_parquet_delta_length_decode(values, len, views, present, consumed, err);
    if (strcmp(gc->encoding, "DELTA_BYTE_ARRAY") == 0) {
        rc = sl_parquet_delta_bytes_decode(values, len, views, present, rebuilt, err);
        if (rc == SL_OK && fixed_bytes) {
            for (size_t i = 0; i < present; i++) {
                if (views[i].len != gc->width)
                    return sl_error_set(err, SL_EPROTO, "FLBA value of %u bytes", views[i].len);
                memcpy(got + i * gc->width, views[i].ptr, gc->width);
            }
        }
        return rc;
    }
    if (strcmp(gc->encoding, "BYTE_STREAM_SPLIT") == 0)
        return sl_parquet_byte_stream_split_decode(values, len, gc->width, present, got, err);
    if (strcmp(gc->encoding, "RLE_DICTIONARY") == 0 ||
        strcmp(gc->encoding, "PLAIN_DICTIONARY") == 0) {
        uint32_t *indices = xcalloc(present, sizeof(uint32_t));
        if (bytes) {
            struct sl_parquet_byte_view *entries = xcalloc(gc->dict_count, sizeof(*entries));
            rc = sl_parquet_plain_decode_bytes(dict, dict_len, gc->dict_count, entries, NULL, err);
            if (rc == SL_OK)
                rc = sl_parquet_dict_indices_decode(values, len, indices, present, gc->dict_count,
                                                    err);
            if (rc == SL_OK)
                sl_parquet_gather_views(entries, indices, present, views);
            free(entries);
        } else {
            uint8_t *entries = xcalloc(gc->dict_count, gc->width);
            rc = sl_parquet_plain_decode_fixed(dict, dict_len, gc->width, gc->dict_count, entries,
                                               NULL, err);
            if (rc == SL_OK)
                rc = sl_parquet_dict_indices_decode(values, len, indices, present, gc->dict_count,
                                                    err);
            if (rc == SL_OK)
                sl_parquet_gather_fixed(entries, gc->width, indices, present, got);
            free(entries);
        }
        free(indices);
        return rc;
    }
    return sl_error_set(err, SL_EINVAL, "unknown encoding %s", gc->encoding);
}

/* Our encoder on the same values must give pyarrow's bytes where the encoding is canonical. */
static void golden_compare_encoders(const struct golden_case *gc, const uint8_t *values,
                                    size_t len, const uint8_t *expect, size_t expect_len,
                                    size_t present, const struct sl_parquet_byte_view *views)
{
    struct sl_buf out;
    bool bytes = strcmp(gc->physical, "BYTE_ARRAY") == 0;
    int rc = SL_EINVAL;

    sl_buf_init(&out, SIZE_MAX);
    if (strcmp(gc->encoding, "PLAIN") == 0 && strcmp(gc->physical, "BOOLEAN") == 0) {
        size_t bits = 0;
        rc = sl_parquet_plain_encode_bool(expect, NULL, present, &bits, &out, NULL);
    } else if (strcmp(gc->encoding, "PLAIN") == 0 && !bytes) {
        rc = sl_parquet_plain_encode_fixed(expect, gc->width, NULL, present, &out, NULL);
    } else if (strcmp(gc->encoding, "PLAIN") == 0) {
        rc = sl_parquet_plain_encode_views(views, present, &out, NULL);
    } else if (strcmp(gc->encoding, "BYTE_STREAM_SPLIT") == 0) {
        rc = sl_parquet_byte_stream_split_encode(expect, gc->width, NULL, present, &out, NULL);
    } else if (strcmp(gc->encoding, "DELTA_BINARY_PACKED") == 0 && gc->width == 4) {
        rc = sl_parquet_delta_encode_int32((const int32_t *)(const void *)expect, NULL, present,
                                           &out, NULL);
    } else if (strcmp(gc->encoding, "DELTA_BINARY_PACKED") == 0) {
        rc = sl_parquet_delta_encode_int64((const int64_t *)(const void *)expect, NULL, present,
                                           &out, NULL);
    } else {
        sl_buf_free(&out);
        return;
    }
    (void)expect_len;
    CHECK(rc == SL_OK);
    if (out.len != len || memcmp(out.data, values, len) != 0) {
        fprintf(stderr, "  %s: our encoding differs from pyarrow's (%zu vs %zu bytes)\n",
                gc->name, out.len, len);
        CHECK(0);
    }
    sl_buf_free(&out);
}

static void run_golden_case(const struct golden_case *gc)
{
    size_t levels_len = 0, values_len = 0, dict_len = 0, expect_len = 0, deflevels_len = 0;
    uint8_t *levels = NULL, *values = NULL, *dict = NULL, *expect = NULL, *deflevels = NULL;
    uint8_t *got = NULL, *levels_got = NULL;
    struct sl_parquet_byte_view *views = NULL;
    struct sl_buf rebuilt;
    struct sl_error err = {0};
    size_t present = gc->num_values - gc->num_nulls, consumed;
    bool bytes = strcmp(gc->physical, "BYTE_ARRAY") == 0;
    bool fixed_bytes = strcmp(gc->physical, "FIXED_LEN_BYTE_ARRAY") == 0;
    size_t value_width = gc->width > 0 ? gc->width : 1;
    int rc;

    sl_buf_init(&rebuilt, 1 << 24);
    values = read_data_file(gc->values, &values_len);
    expect = read_data_file(gc->expect, &expect_len);
    REQUIRE(values != NULL && expect != NULL);
    if (strcmp(gc->levels, "-") != 0) {
        levels = read_data_file(gc->levels, &levels_len);
        deflevels = read_data_file(gc->deflevels, &deflevels_len);
        REQUIRE(levels != NULL && deflevels != NULL && deflevels_len == gc->num_values);
        levels_got = xcalloc(gc->num_values, 1);
        if (gc->version == 1) {
            rc = sl_parquet_rle_decode_prefixed_u8(levels, levels_len, 1, levels_got,
                                                   gc->num_values, &consumed, &err);
            CHECK(consumed == levels_len);
        } else {
            rc = sl_parquet_rle_decode_u8(levels, levels_len, 1, levels_got, gc->num_values,
                                          &err);
        }
        CHECK(rc == SL_OK);
        CHECK(memcmp(levels_got, deflevels, gc->num_values) == 0);
        CHECK(sl_parquet_count_valid(levels_got, gc->num_values) == present);
        /* our levels encoder is at least as compact as pyarrow's (today: the same bytes) */
        {
            struct sl_buf ours;
            sl_buf_init(&ours, SIZE_MAX);
            CHECK(sl_parquet_levels_encode_valid(deflevels, gc->num_values, gc->version == 1,
                                                 &ours, NULL) == SL_OK);
            CHECK(ours.len <= levels_len);
            sl_buf_free(&ours);
        }
    }
    if (strcmp(gc->dict, "-") != 0) {
        dict = read_data_file(gc->dict, &dict_len);
        REQUIRE(dict != NULL);
    }
    got = xcalloc(present + 1, value_width);
    views = xcalloc(present + 1, sizeof(*views));
    rc = golden_decode(gc, values, values_len, dict, dict_len, present, got, views, &rebuilt,
                       &consumed, &err);
    if (rc != SL_OK)
        fprintf(stderr, "  %s: %s\n", gc->name, err.message);
    CHECK(rc == SL_OK);
    CHECK(consumed == values_len); /* the values fill the page exactly */
    if (rc == SL_OK && dict != NULL) {
        /* our indices encoder is at least as compact as pyarrow's (today: the same bytes) */
        uint32_t *indices = xcalloc(present + 1, sizeof(uint32_t));
        struct sl_buf ours;
        sl_buf_init(&ours, SIZE_MAX);
        CHECK(sl_parquet_dict_indices_decode(values, values_len, indices, present,
                                             gc->dict_count, NULL) == SL_OK);
        CHECK(sl_parquet_rle_encode_indices(indices, present, values[0], &ours, NULL) == SL_OK);
        CHECK(ours.len <= values_len);
        sl_buf_free(&ours);
        free(indices);
    }
    if (rc == SL_OK) {
        bool same = bytes ? views_match_plain(views, present, expect, expect_len)
                          : present * value_width == expect_len &&
                                memcmp(got, expect, expect_len) == 0;
        if (!same)
            fprintf(stderr, "  %s: values differ from pyarrow's\n", gc->name);
        CHECK(same);
        if (!fixed_bytes || strcmp(gc->encoding, "PLAIN") == 0 ||
            strcmp(gc->encoding, "BYTE_STREAM_SPLIT") == 0)
            golden_compare_encoders(gc, values, values_len, expect, expect_len, present, views);
    }
    /* every truncation of the section fails cleanly (or decodes, if only padding was cut) */
    for (size_t len = 0; len < values_len; len++) {
        uint8_t *cut = exact_copy(values, len);
        struct sl_error cut_err = {0};
        rc = golden_decode(gc, cut, len, dict, dict_len, present, got, views, &rebuilt, &consumed,
                           &cut_err);
        CHECK(rc == SL_OK || (rc == SL_EPROTO && cut_err.message[0] != '\0'));
        free(cut);
    }
    sl_buf_free(&rebuilt);
    free(levels);
    free(values);
    free(dict);
    free(expect);
    free(deflevels);
    free(got);
    free(levels_got);
    free(views);
}

static void test_golden_pyarrow_pages(void)
{
    size_t manifest_len = 0, cases = 0;
    uint8_t *manifest = read_data_file("cases.txt", &manifest_len);
    char *line, *save = NULL, *text;

    REQUIRE(manifest != NULL);
    text = xcalloc(manifest_len + 1, 1);
    memcpy(text, manifest, manifest_len);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        struct golden_case gc;
        int fields;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        memset(&gc, 0, sizeof(gc));
        fields = sscanf(line, "%127s %d %31s %zu %31s %zu %zu %63s %63s %63s %u %63s %63s",
                        gc.name, &gc.version, gc.physical, &gc.width, gc.encoding,
                        &gc.num_values, &gc.num_nulls, gc.levels, gc.values, gc.dict,
                        &gc.dict_count, gc.expect, gc.deflevels);
        REQUIRE(fields == 13);
        run_golden_case(&gc);
        cases++;
    }
    CHECK(cases >= 40);
    free(text);
    free(manifest);
}

/* ---------------------------------------------------------------- garbage in */

static void test_decoders_on_garbage(void)
{
    struct rng r = {4242};
    uint32_t out32[600];
    int64_t out64[600];
    uint8_t out8[600 * 16];
    struct sl_parquet_byte_view views[600];
    struct sl_buf values;

    sl_buf_init(&values, 1 << 20);
    for (int round = 0; round < 3000; round++) {
        size_t len = rng_below(&r, 64), n = rng_below(&r, 600);
        uint8_t bytes[64], *copy;
        for (size_t i = 0; i < len; i++)
            bytes[i] = round % 3 == 0 ? (uint8_t)rng_below(&r, 4) : (uint8_t)rng_next(&r);
        if (round % 5 == 0 && len >= 3) { /* a plausible DELTA header */
            bytes[0] = 0x80;
            bytes[1] = 0x01;
            bytes[2] = 0x04;
        }
        copy = exact_copy(bytes, len);
        (void)sl_parquet_rle_decode(copy, len, (unsigned)(round % 33), out32, n, NULL);
        (void)sl_parquet_rle_decode_u8(copy, len, (unsigned)(round % 9), out8, n, NULL);
        (void)sl_parquet_rle_decode_prefixed_u8(copy, len, 1, out8, n, NULL, NULL);
        (void)sl_parquet_dict_indices_decode(copy, len, out32, n, (uint32_t)round, NULL);
        (void)sl_parquet_plain_decode_bytes(copy, len, n, views, NULL, NULL);
        (void)sl_parquet_plain_decode_bool(copy, len, n, out8, NULL, NULL);
        (void)sl_parquet_delta_decode_int32(copy, len, (int32_t *)out32, n, NULL, NULL);
        (void)sl_parquet_delta_decode_int64(copy, len, out64, n, NULL, NULL);
        (void)sl_parquet_delta_length_decode(copy, len, views, n, NULL, NULL);
        (void)sl_parquet_delta_bytes_decode(copy, len, views, n, &values, NULL);
        (void)sl_parquet_byte_stream_split_decode(copy, len, 1 + (size_t)(round % 16), n % 16,
                                                  out8, NULL);
        free(copy);
    }
    sl_buf_free(&values);
}

UNIT_TESTS(UNIT_TEST(test_bit_width), UNIT_TEST(test_plain_fixed_known_bytes),
           UNIT_TEST(test_plain_fixed_valid_map_and_widths), UNIT_TEST(test_plain_bool),
           UNIT_TEST(test_plain_bytes_roundtrip), UNIT_TEST(test_rle_known_vectors),
           UNIT_TEST(test_rle_roundtrip_every_width), UNIT_TEST(test_rle_decode_partial_and_errors),
           UNIT_TEST(test_rle_truncations_never_overread), UNIT_TEST(test_levels_from_valid_map),
           UNIT_TEST(test_dict_indices_decode), UNIT_TEST(test_dict_fixed_widths),
           UNIT_TEST(test_dict_float_bit_patterns), UNIT_TEST(test_dict_bytes),
           UNIT_TEST(test_dict_many_distinct_grows), UNIT_TEST(test_dict_full_falls_back),
           UNIT_TEST(test_dict_allocation_failures), UNIT_TEST(test_gather_and_spread),
           UNIT_TEST(test_delta_known_vectors), UNIT_TEST(test_delta_roundtrip),
           UNIT_TEST(test_delta_decode_errors), UNIT_TEST(test_delta_byte_arrays_roundtrip),
           UNIT_TEST(test_delta_bytes_errors_and_limits), UNIT_TEST(test_byte_stream_split),
           UNIT_TEST(test_golden_pyarrow_pages), UNIT_TEST(test_decoders_on_garbage))

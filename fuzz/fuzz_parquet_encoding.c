/*
 * libFuzzer target for the Parquet value encodings and page codecs. Bytes 0..3 pick a bit
 * width (byte 0 % 33), a value width, a value count and a dictionary size; the rest is a page
 * section fed to every decoder (RLE hybrid in all framings, PLAIN of each type, DELTA_*,
 * BYTE_STREAM_SPLIT, each decompressor with a bounded declared size). Results must stay
 * inside their inputs. The same bytes then drive one family of encoder round trips (byte 0 / 33
 * picks RLE, dictionaries, DELTA_*, BYTE_STREAM_SPLIT or compression), which must give back
 * what went in. The scratch arrays and codec contexts are reused between inputs (they stay
 * reachable, so LeakSanitizer does not count them).
 */
#include "parquet/compress.h"
#include "parquet/encoding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VALUES 4096
#define MAX_DECLARED (64 * 1024)

static const int codecs[] = {0, 1, 2, 6, 7};

struct scratch {
    uint32_t u32[MAX_VALUES + 1];
    uint32_t u32b[MAX_VALUES + 1];
    uint8_t u8[MAX_VALUES + 1];
    int64_t i64[MAX_VALUES + 1];
    int32_t i32[MAX_VALUES + 1];
    uint8_t fixed[(MAX_VALUES + 1) * 17];
    struct sl_parquet_byte_view views[MAX_VALUES + 1];
    struct sl_parquet_byte_view views2[MAX_VALUES + 1];
    uint32_t offsets[MAX_VALUES + 2];
    uint8_t valid[MAX_VALUES + 1];
};

/* A broken invariant: say which, then crash so libFuzzer keeps the input. */
#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A failing decoder must say why; a succeeding one must leave no message behind. */
static void check_rc(int rc, const struct sl_error *err)
{
    if (rc == SL_OK)
        return;
    check((rc == SL_EPROTO || rc == SL_ELIMIT || rc == SL_EINVAL) && err->message[0] != '\0');
}

static bool views_inside(const struct sl_parquet_byte_view *views, size_t n, const uint8_t *buf,
                         size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (views[i].len > 0 && (views[i].ptr < buf || views[i].ptr + views[i].len > buf + len))
            return false;
    return true;
}

/* The views are the present rows' values, in order. */
static bool views_match_rows(const struct sl_parquet_byte_view *views, size_t nviews,
                             const uint32_t *offsets, const uint8_t *data, const uint8_t *valid,
                             size_t nrows)
{
    size_t k = 0;
    for (size_t i = 0; i < nrows; i++) {
        uint32_t len = offsets[i + 1] - offsets[i];
        if (!valid[i])
            continue;
        if (k >= nviews || views[k].len != len ||
            (len > 0 && memcmp(views[k].ptr, data + offsets[i], len) != 0))
            return false;
        k++;
    }
    return k == nviews;
}

static void decode_all(const uint8_t *body, size_t len, const uint8_t *params, struct scratch *s,
                       struct sl_buf *values, struct sl_parquet_compressor *c)
{
    unsigned w = params[0] % 33;
    size_t width = 1 + params[1] % 17, n = ((size_t)params[2] | (size_t)params[3] << 8) % 4097;
    uint32_t dict_count = (uint32_t)params[1] << 4 | params[3];
    struct sl_error err = {0};
    size_t consumed;
    int rc, rc8;

    /* RLE hybrid: u32 and u8 decoders agree where both apply */
    rc = sl_parquet_rle_decode(body, len, w, s->u32, n, &err);
    check_rc(rc, &err);
    if (w <= 8) {
        rc8 = sl_parquet_rle_decode_u8(body, len, w, s->u8, n, &err);
        check(rc8 == rc);
        for (size_t i = 0; rc == SL_OK && i < n; i++)
            check(s->u8[i] == s->u32[i]);
    }
    for (size_t i = 0; rc == SL_OK && w < 32 && i < n; i++)
        check(s->u32[i] >> w == 0);
    rc = sl_parquet_rle_decode_prefixed_u8(body, len, w % 9, s->u8, n, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || consumed <= len);
    rc = sl_parquet_dict_indices_decode(body, len, s->u32, n, dict_count, &err);
    check_rc(rc, &err);
    for (size_t i = 0; rc == SL_OK && i < n; i++)
        check(s->u32[i] < dict_count);

    /* PLAIN */
    rc = sl_parquet_plain_decode_fixed(body, len, width, n, s->fixed, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || (consumed == n * width && consumed <= len));
    rc = sl_parquet_plain_decode_bool(body, len, n, s->u8, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || consumed <= len);
    rc = sl_parquet_plain_decode_bytes(body, len, n, s->views, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || (consumed <= len && views_inside(s->views, n, body, len)));

    /* DELTA_* */
    rc = sl_parquet_delta_decode_int32(body, len, s->i32, n, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || consumed <= len);
    rc = sl_parquet_delta_decode_int64(body, len, s->i64, n, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || consumed <= len);
    rc = sl_parquet_delta_length_decode(body, len, s->views, n, &consumed, &err);
    check_rc(rc, &err);
    check(rc != SL_OK || (consumed <= len && views_inside(s->views, n, body, len)));
    rc = sl_parquet_delta_bytes_decode(body, len, s->views, n, values, &err);
    check_rc(rc, &err);
    check(rc != SL_OK ||
          views_inside(s->views, n, (const uint8_t *)values->data, values->len));

    /* BYTE_STREAM_SPLIT */
    rc = sl_parquet_byte_stream_split_decode(body, len, width, n, s->fixed, &err);
    check_rc(rc, &err);

    /* decompressors, with a declared size bounded by the fuzzer */
    for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++) {
        struct sl_buf out;
        size_t declared = (n * 16) % MAX_DECLARED;
        sl_buf_init(&out, MAX_DECLARED);
        rc = sl_parquet_decompress(c, codecs[k], body, len, declared, &out, &err);
        check_rc(rc, &err);
        check(rc != SL_OK || out.len == declared);
        check(rc == SL_OK || out.len == 0);
        sl_buf_free(&out);
    }
}

/* Encoders must round-trip whatever values the input describes. */
static void roundtrip_one(const uint8_t *body, size_t len, const uint8_t *params,
                          struct scratch *s, struct sl_buf *values,
                          struct sl_parquet_compressor *c)
{
    const unsigned family = params[0] / 33; /* 0..7 */
    unsigned w = params[0] % 33;
    size_t width = 1 + params[1] % 17;
    uint32_t mask = w == 32 ? UINT32_MAX : (uint32_t)((UINT64_C(1) << w) - 1);
    size_t n = len / 4 < MAX_VALUES ? len / 4 : MAX_VALUES, nstr = 0, present;
    struct sl_buf enc;
    struct sl_error err = {0};
    size_t consumed;

    sl_buf_init(&enc, SIZE_MAX);

    /* RLE: values from the input, masked to the width (runs appear when bytes repeat) */
    for (size_t i = 0; family == 0 && i < n; i++) {
        uint32_t v;
        memcpy(&v, body + 4 * i, 4);
        s->u32[i] = (params[3] & 1) ? (v & mask) : (uint32_t)(body[i] % 3) & mask;
    }
    if (family == 0) {
        check(sl_parquet_rle_encode(s->u32, n, w, &enc, NULL) == SL_OK);
        check(sl_parquet_rle_decode((const uint8_t *)enc.data, enc.len, w, s->u32b, n, &err) ==
              SL_OK);
        check(memcmp(s->u32, s->u32b, n * 4) == 0);
        for (size_t i = 0; i < len && i < MAX_VALUES; i++)
            s->valid[i] = body[i] & 1;
        sl_buf_reset(&enc);
        check(sl_parquet_levels_encode_valid(s->valid, SL_MIN(len, MAX_VALUES), true, &enc,
                                             NULL) == SL_OK);
        check(sl_parquet_rle_decode_prefixed_u8((const uint8_t *)enc.data, enc.len, 1, s->u8,
                                                SL_MIN(len, MAX_VALUES), &consumed,
                                                NULL) == SL_OK);
        check(consumed == enc.len && memcmp(s->u8, s->valid, SL_MIN(len, MAX_VALUES)) == 0);
    }

    /* strings: rows tile the body from its start, row i being body[i] % 17 bytes long (empty
     * rows included) and null when bit 6 of body[i] is set */
    s->offsets[0] = 0;
    for (size_t i = 0; i < len && nstr < MAX_VALUES; i++) {
        size_t rest = len - s->offsets[nstr];
        s->valid[nstr] = (body[i] & 0x40) == 0;
        s->offsets[nstr + 1] = s->offsets[nstr] + (uint32_t)SL_MIN((size_t)body[i] % 17, rest);
        nstr++;
    }
    present = sl_parquet_count_valid(s->valid, nstr);

    /* dictionary over strings, with a byte limit from the input */
    if (family == 1) {
        struct sl_parquet_dict dict;
        size_t nindices, rows_done, page_len;
        const uint8_t *page;
        int rc;
        sl_parquet_dict_init(&dict, 0, (size_t)params[2] * 4);
        rc = sl_parquet_dict_put_bytes(&dict, s->offsets, body, s->valid, nstr, s->u32,
                                       &nindices, &rows_done, &err);
        check(rc == SL_OK || rc == SL_ELIMIT);
        check(rc != SL_OK || rows_done == nstr);
        page = sl_parquet_dict_page(&dict, &page_len);
        check(page_len <= (size_t)params[2] * 4);
        check(sl_parquet_plain_decode_bytes(page, page_len, dict.count, s->views2, &consumed,
                                            NULL) == SL_OK);
        check(consumed == page_len);
        sl_parquet_gather_views(s->views2, s->u32, nindices, s->views);
        check(views_match_rows(s->views, nindices, s->offsets, body, s->valid, rows_done));
        sl_parquet_dict_free(&dict);
    }
    /* dictionary over fixed-width values */
    if (family == 2) {
        struct sl_parquet_dict dict;
        size_t nindices, rows_done, page_len, rows = len / width;
        const uint8_t *page;
        rows = SL_MIN(rows, MAX_VALUES);
        sl_parquet_dict_init(&dict, width, SIZE_MAX);
        check(sl_parquet_dict_put_fixed(&dict, body, NULL, rows, s->u32, &nindices, &rows_done,
                                        NULL) == SL_OK);
        page = sl_parquet_dict_page(&dict, &page_len);
        check(page_len == dict.count * width && nindices == rows);
        sl_parquet_gather_fixed(page, width, s->u32, rows, s->fixed);
        check(rows == 0 || memcmp(s->fixed, body, rows * width) == 0);
        sl_parquet_dict_free(&dict);
    }
    /* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY over the strings */
    if (family == 3) {
        check(sl_parquet_delta_length_encode(s->offsets, body, s->valid, nstr, &enc, NULL) ==
              SL_OK);
        check(sl_parquet_delta_length_decode((const uint8_t *)enc.data, enc.len, s->views,
                                             present, &consumed, NULL) == SL_OK);
        check(consumed == enc.len);
        check(views_match_rows(s->views, present, s->offsets, body, s->valid, nstr));
    }
    if (family == 4) {
        check(sl_parquet_delta_bytes_encode(s->offsets, body, s->valid, nstr, &enc, NULL) ==
              SL_OK);
        check(sl_parquet_delta_bytes_decode((const uint8_t *)enc.data, enc.len, s->views,
                                            present, values, NULL) == SL_OK);
        check(views_match_rows(s->views, present, s->offsets, body, s->valid, nstr));
    }

    /* DELTA_BINARY_PACKED over the input as 64- and 32-bit numbers */
    if (family == 5) {
        size_t n64 = SL_MIN(len / 8, MAX_VALUES);
        int64_t *v64 = malloc(n64 * 8 + 8);
        int32_t *v32 = malloc(n * 4 + 4);
        check(v64 != NULL && v32 != NULL);
        if (n64 > 0)
            memcpy(v64, body, n64 * 8);
        if (n > 0)
            memcpy(v32, body, n * 4);
        sl_buf_reset(&enc);
        check(sl_parquet_delta_encode_int64(v64, NULL, n64, &enc, NULL) == SL_OK);
        check(sl_parquet_delta_decode_int64((const uint8_t *)enc.data, enc.len, s->i64, n64,
                                            &consumed, NULL) == SL_OK);
        check(consumed == enc.len && (n64 == 0 || memcmp(s->i64, v64, n64 * 8) == 0));
        sl_buf_reset(&enc);
        check(sl_parquet_delta_encode_int32(v32, NULL, n, &enc, NULL) == SL_OK);
        check(sl_parquet_delta_decode_int32((const uint8_t *)enc.data, enc.len, s->i32, n,
                                            &consumed, NULL) == SL_OK);
        check(consumed == enc.len && (n == 0 || memcmp(s->i32, v32, n * 4) == 0));
        free(v64);
        free(v32);
    }
    /* BYTE_STREAM_SPLIT */
    if (family == 6) {
        size_t rows = SL_MIN(len / width, MAX_VALUES);
        sl_buf_reset(&enc);
        check(sl_parquet_byte_stream_split_encode(body, width, NULL, rows, &enc, NULL) == SL_OK);
        check(sl_parquet_byte_stream_split_decode((const uint8_t *)enc.data, enc.len, width,
                                                  rows, s->fixed, NULL) == SL_OK);
        check(rows == 0 || memcmp(s->fixed, body, rows * width) == 0);
    }
    /* compression */
    for (size_t k = 0; family == 7 && k < 4; k++) {
        struct sl_buf back;
        sl_buf_init(&back, SIZE_MAX);
        sl_buf_reset(&enc);
        check(sl_parquet_compress(c, codecs[k], params[1] % 4, body, len, &enc, NULL) == SL_OK);
        check(sl_parquet_decompress(c, codecs[k], enc.data, enc.len, len, &back, NULL) == SL_OK);
        check(back.len == len && (len == 0 || memcmp(back.data, body, len) == 0));
        sl_buf_free(&back);
    }
    sl_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scratch *s;
    static struct sl_parquet_compressor c; /* zero-initialised: ready to use */
    struct sl_buf values;
    uint8_t *body;

    if (size < 4)
        return 0;
    if (s == NULL && (s = malloc(sizeof(*s))) == NULL)
        abort();
    body = malloc(size - 4 > 0 ? size - 4 : 1);
    if (body == NULL)
        abort();
    memcpy(body, data + 4, size - 4); /* exactly the body, so over-reads hit a redzone */
    sl_buf_init(&values, 1 << 20);
    decode_all(body, size - 4, data, s, &values, &c);
    roundtrip_one(body, size - 4, data, s, &values, &c);
    sl_buf_free(&values);
    free(body);
    return 0;
}

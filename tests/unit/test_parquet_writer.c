/*
 * Unit tests for the Parquet writer: round trips through sluice's own reader
 * (pyarrow checks the same files in tests/integration), refused input, and a
 * failing write stream (a fault-injecting stream built on the interface).
 */
#include <stdlib.h>

#include "parquet/format.h"
#include "sluice/parquet.h"
#include "unit.h"

/* A write stream into memory that can fail its Nth write. */
struct memory_stream {
    struct sl_buf bytes;
    int fail_on_write; /* 1 = the first write fails; 0 = never */
    int writes;
};

static int memory_write(void *ctx, const void *bytes, size_t len, struct sl_error *err)
{
    struct memory_stream *m = ctx;
    if (++m->writes == m->fail_on_write)
        return sl_error_set(err, SL_EIO, "injected write failure %d", m->writes);
    return sl_buf_append(&m->bytes, bytes, len) == SL_OK ? SL_OK
                                                        : sl_error_set(err, SL_ENOMEM, "oom");
}

static int memory_finish(void *ctx, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    return SL_OK;
}

static void memory_abort(void *ctx)
{
    (void)ctx;
}

static void memory_destroy(void *ctx)
{
    (void)ctx;
}

static void memory_stream_init(struct memory_stream *m, struct sl_write_stream *out, int fail_on)
{
    sl_buf_init(&m->bytes, (size_t)1 << 30);
    m->fail_on_write = fail_on;
    m->writes = 0;
    out->ctx = m;
    out->write = memory_write;
    out->finish = memory_finish;
    out->abort = memory_abort;
    out->destroy = memory_destroy;
    out->written = 0;
}

static const struct sl_parquet_column_spec columns[] = {
    {"id", SL_PARQUET_COL_INT64, false, false, 0, 0},
    {"name", SL_PARQUET_COL_STRING, true, false, 0, 0},
    {"amount", SL_PARQUET_COL_DECIMAL, true, false, 9, 2},
    {"ok", SL_PARQUET_COL_BOOLEAN, true, false, 0, 0},
};

#define ROWS 10000

struct rows {
    int64_t id[ROWS];
    uint8_t valid[ROWS];
    uint32_t offsets[ROWS + 1];
    char text[ROWS * 8];
    uint8_t amount[ROWS * 4];
    uint8_t ok[ROWS];
};

static void make_rows(struct rows *r)
{
    size_t used = 0;
    r->offsets[0] = 0;
    for (int i = 0; i < ROWS; i++) {
        r->id[i] = (int64_t)i * 1000003 - 5000000000LL;
        r->valid[i] = (uint8_t)(i % 7 != 0);
        used += (size_t)snprintf(r->text + used, 8, "n%d", i % 5000);
        r->offsets[i + 1] = (uint32_t)used;
        int32_t unscaled = i * 3 - 15000;
        for (int k = 0; k < 4; k++)
            r->amount[i * 4 + k] = (uint8_t)((uint32_t)unscaled >> (8 * (3 - k)));
        r->ok[i] = (uint8_t)(i % 3 == 0);
    }
}

static void fill_values(struct rows *r, struct sl_parquet_column_values v[4])
{
    memset(v, 0, 4 * sizeof(*v));
    v[0].u.i64 = r->id;
    v[1].valid = r->valid;
    v[1].u.bytes.offsets = r->offsets;
    v[1].u.bytes.data = (const uint8_t *)r->text;
    v[2].valid = r->valid;
    v[2].u.fixed = r->amount;
    v[3].u.booleans = r->ok;
}

static void test_round_trip_through_our_reader(void)
{
    struct rows *r = calloc(1, sizeof(*r));
    struct sl_parquet_column_values v[4];
    struct sl_parquet_writer_options options;
    struct sl_parquet_writer *w = NULL;
    struct sl_parquet_reader *reader = NULL;
    struct memory_stream mem;
    struct sl_write_stream out;
    struct sl_memory_file file_state;
    struct sl_read_file file;
    struct sl_error err;
    uint64_t written = 0;

    REQUIRE(r != NULL);
    make_rows(r);
    fill_values(r, v);
    memory_stream_init(&mem, &out, 0);
    sl_parquet_writer_options_default(&options);
    options.page_bytes = 4096;        /* many pages */
    options.row_group_bytes = 64 << 10; /* several row groups */
    options.dictionary_page_limit = 2048; /* the name dictionary overflows: PLAIN fallback */
    REQUIRE(sl_parquet_writer_open(columns, 4, &options, &out, &w, &err) == SL_OK);
    REQUIRE(sl_parquet_writer_set_kv(w, "k", "v1", &err) == SL_OK);
    REQUIRE(sl_parquet_writer_set_kv(w, "k", "v2", &err) == SL_OK); /* replaces */
    REQUIRE(sl_parquet_writer_write(w, v, ROWS / 2, &err) == SL_OK);
    /* the second half, starting mid-array */
    struct sl_parquet_column_values half[4];
    fill_values(r, half);
    half[0].u.i64 = r->id + ROWS / 2;
    half[1].valid = r->valid + ROWS / 2;
    half[1].u.bytes.offsets = r->offsets + ROWS / 2;
    half[2].valid = r->valid + ROWS / 2;
    half[2].u.fixed = r->amount + (ROWS / 2) * 4;
    half[3].u.booleans = r->ok + ROWS / 2;
    REQUIRE(sl_parquet_writer_write(w, half, ROWS / 2, &err) == SL_OK);
    REQUIRE(sl_parquet_writer_close(w, &written, &err) == SL_OK);
    CHECK(written == ROWS);
    CHECK(sl_parquet_writer_write(w, v, 1, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "closed") != NULL);
    sl_parquet_writer_free(w);

    sl_memory_read_file(&file_state, mem.bytes.data, mem.bytes.len, &file);
    REQUIRE(sl_parquet_reader_open(&file, "mem.parquet", &reader, &err) == SL_OK);
    CHECK(sl_parquet_reader_num_rows(reader) == ROWS);
    CHECK(sl_parquet_reader_num_row_groups(reader) > 1);
    CHECK_STR(sl_parquet_reader_kv(reader, "k"), "v2");
    CHECK(sl_parquet_reader_column(reader, 2)->precision == 9);
    int64_t row = 0;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(reader); g++) {
        struct sl_parquet_column_values got[4];
        for (uint32_t c = 0; c < 4; c++)
            REQUIRE(sl_parquet_reader_read_column(reader, g, c, &got[c], &err) == SL_OK);
        int64_t n = sl_parquet_reader_row_group_rows(reader, g);
        for (int64_t i = 0; i < n; i++, row++) {
            CHECK(got[0].u.i64[i] == r->id[row]);
            bool present = got[1].valid == NULL || got[1].valid[i];
            CHECK(present == (r->valid[row] != 0));
            if (present && r->valid[row]) {
                uint32_t len = got[1].u.bytes.offsets[i + 1] - got[1].u.bytes.offsets[i];
                CHECK(len == r->offsets[row + 1] - r->offsets[row]);
                CHECK(memcmp(got[1].u.bytes.data + got[1].u.bytes.offsets[i],
                             r->text + r->offsets[row], len) == 0);
                CHECK(memcmp(got[2].u.fixed + i * 4, r->amount + row * 4, 4) == 0);
            }
            CHECK(got[3].u.booleans[i] == r->ok[row]);
        }
    }
    CHECK(row == ROWS);
    sl_parquet_reader_free(reader);
    sl_buf_free(&mem.bytes);
    free(r);
}

static void test_refused_input_names_the_column(void)
{
    struct rows *r = calloc(1, sizeof(*r));
    struct sl_parquet_column_values v[4];
    struct sl_parquet_writer *w = NULL;
    struct memory_stream mem;
    struct sl_write_stream out;
    struct sl_error err;

    REQUIRE(r != NULL);
    make_rows(r);
    fill_values(r, v);
    memory_stream_init(&mem, &out, 0);
    struct sl_parquet_column_spec bad = {"price", SL_PARQUET_COL_DECIMAL, true, false, 39, 2};
    CHECK(sl_parquet_writer_open(&bad, 1, NULL, &out, &w, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "price") != NULL);
    CHECK(sl_parquet_writer_open(columns, 0, NULL, &out, &w, &err) == SL_EINVAL);

    REQUIRE(sl_parquet_writer_open(columns, 4, NULL, &out, &w, &err) == SL_OK);
    v[0].valid = r->valid; /* a NULL in the required id column */
    CHECK(sl_parquet_writer_write(w, v, 10, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "id") != NULL && strstr(err.message, "required") != NULL);
    CHECK(sl_parquet_writer_close(w, NULL, &err) == SL_EINVAL); /* the file is unusable */
    sl_parquet_writer_free(w);
    sl_buf_free(&mem.bytes);
    free(r);
}

static void test_failing_stream_fails_the_file(void)
{
    struct rows *r = calloc(1, sizeof(*r));
    struct sl_parquet_column_values v[4];
    struct sl_parquet_writer_options options;
    REQUIRE(r != NULL);
    make_rows(r);
    fill_values(r, v);
    sl_parquet_writer_options_default(&options);
    options.row_group_bytes = 16 << 10;
    /* fail each write in turn: the magic, chunks of row groups, the footer */
    for (int nth = 1; nth <= 40; nth++) {
        struct sl_parquet_writer *w = NULL;
        struct memory_stream mem;
        struct sl_write_stream out;
        struct sl_error err;
        memory_stream_init(&mem, &out, nth);
        int rc = sl_parquet_writer_open(columns, 4, &options, &out, &w, &err);
        if (rc == SL_OK)
            rc = sl_parquet_writer_write(w, v, ROWS, &err);
        if (rc == SL_OK)
            rc = sl_parquet_writer_close(w, NULL, &err);
        if (nth <= mem.writes) {
            CHECK(rc == SL_EIO);
            CHECK(strstr(err.message, "injected") != NULL);
        } else {
            CHECK(rc == SL_OK); /* fewer writes than nth: nothing failed */
        }
        sl_parquet_writer_free(w);
        sl_buf_free(&mem.bytes);
    }
    free(r);
}

static void test_decimal_widths(void)
{
    CHECK(sl_parquet_decimal_bytes(1) == 1);
    CHECK(sl_parquet_decimal_bytes(9) == 4);
    CHECK(sl_parquet_decimal_bytes(12) == 6);
    CHECK(sl_parquet_decimal_bytes(18) == 8);
    CHECK(sl_parquet_decimal_bytes(19) == 9);
    CHECK(sl_parquet_decimal_bytes(38) == 16);
    CHECK(sl_parquet_decimal_bytes(39) == 0);
}

/* Signed order of big-endian two's complement numbers of one width, byte by byte. */
static int decimal_order(const uint8_t *a, const uint8_t *b, size_t width)
{
    if ((a[0] ^ b[0]) & 0x80)
        return (a[0] & 0x80) ? -1 : 1;
    return memcmp(a, b, width);
}

static int bytes_order(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

/*
 * Statistics of strings sharing long prefixes, of lengths 0..12 (the fast paths key on
 * 8-byte prefixes), and of decimals of widths 6 and 9 with both signs, against a brute force
 * min/max over the same rows.
 */
static void test_statistics_match_brute_force(void)
{
    enum { N = 3000 };
    static const struct sl_parquet_column_spec specs[3] = {
        {"text", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"d6", SL_PARQUET_COL_DECIMAL, true, false, 12, 2},
        {"d9", SL_PARQUET_COL_DECIMAL, true, false, 20, 4},
    };
    static uint8_t valid[N], text[N * 20], d6[N * 6], d9[N * 9];
    static uint32_t offsets[N + 1];
    uint64_t seed = 12345;

    for (int round = 0; round < 20; round++) {
        size_t used = 0;
        offsets[0] = 0;
        for (int i = 0; i < N; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t x = seed >> 11;
            valid[i] = (uint8_t)(x % 11 != 0);
            /* lengths in a window that moves with the round, so every length class decides
             * min and max somewhere; three letters (one NUL, like the keys' padding) make
             * many ties on long prefixes */
            size_t shortest = (size_t)(round % 10), span = (size_t)(round % 4);
            size_t len = shortest + (size_t)((x >> 4) % (span + 1));
            for (size_t k = 0; k < len; k++)
                text[used + k] = (uint8_t)("a\0\xff"[(x >> (8 + k)) % 3]);
            used += len;
            offsets[i + 1] = (uint32_t)used;
            for (int k = 0; k < 6; k++)
                d6[i * 6 + k] = (uint8_t)(k < 5 && round % 2 ? (x >> 60) * 0x11 : x >> (7 * k));
            for (int k = 0; k < 9; k++)
                d9[i * 9 + k] = (uint8_t)(k < 7 && round % 3 ? (x >> 62) * 0x55 : x >> (6 * k));
        }
        struct sl_parquet_column_values v[3];
        memset(v, 0, sizeof(v));
        for (int c = 0; c < 3; c++)
            v[c].valid = valid;
        v[0].u.bytes.offsets = offsets;
        v[0].u.bytes.data = text;
        v[1].u.fixed = d6;
        v[2].u.fixed = d9;

        struct memory_stream mem;
        struct sl_write_stream out;
        struct sl_parquet_writer *w = NULL;
        struct sl_parquet_writer_options options;
        struct sl_error err;
        memory_stream_init(&mem, &out, 0);
        sl_parquet_writer_options_default(&options);
        options.dictionary = round % 2 == 0;
        REQUIRE(sl_parquet_writer_open(specs, 3, &options, &out, &w, &err) == SL_OK);
        REQUIRE(sl_parquet_writer_write(w, v, N, &err) == SL_OK);
        REQUIRE(sl_parquet_writer_close(w, NULL, &err) == SL_OK);
        sl_parquet_writer_free(w);

        struct sl_arena arena;
        struct sl_parquet_file_metadata md;
        uint32_t footer_len = 0;
        const uint8_t *file = (const uint8_t *)mem.bytes.data;
        sl_arena_init(&arena, 4096);
        REQUIRE(sl_parquet_footer_size(file + mem.bytes.len - 8, 8, &footer_len, &err) == SL_OK);
        REQUIRE(sl_parquet_footer_decode(file + mem.bytes.len - 8 - footer_len, footer_len + 8,
                                         &arena, &md, &err) == SL_OK);
        REQUIRE(md.n_row_groups == 1);
        for (int c = 0; c < 3; c++) {
            const struct sl_parquet_statistics *st =
                &md.row_groups[0].columns[c].meta_data.statistics;
            size_t width = c == 0 ? 0 : c == 1 ? 6 : 9;
            const uint8_t *lo = NULL, *hi = NULL;
            size_t lo_len = 0, hi_len = 0;
            for (int i = 0; i < N; i++) {
                if (!valid[i])
                    continue;
                const uint8_t *x = c == 0 ? text + offsets[i] : c == 1 ? d6 + i * 6 : d9 + i * 9;
                size_t len = c == 0 ? offsets[i + 1] - offsets[i] : width;
                int below = lo == NULL ? 1
                            : c == 0  ? bytes_order(x, len, lo, lo_len) < 0
                                      : decimal_order(x, lo, width) < 0;
                int above = hi == NULL ? 1
                            : c == 0  ? bytes_order(x, len, hi, hi_len) > 0
                                      : decimal_order(x, hi, width) > 0;
                if (below) {
                    lo = x;
                    lo_len = len;
                }
                if (above) {
                    hi = x;
                    hi_len = len;
                }
            }
            REQUIRE(lo != NULL);
            CHECK(st->min_value.len == lo_len && memcmp(st->min_value.data, lo, lo_len) == 0);
            CHECK(st->max_value.len == hi_len && memcmp(st->max_value.data, hi, hi_len) == 0);
            if (unit_current_failed) {
                fprintf(stderr, "  round %d column %s\n", round, specs[c].name);
                break;
            }
        }
        sl_arena_free(&arena);
        sl_buf_free(&mem.bytes);
        if (unit_current_failed)
            return;
    }
}

/* Whether a column chunk's encodings list names `encoding`. */
static bool chunk_uses(const struct sl_parquet_column_meta_data *md, int32_t encoding)
{
    for (uint32_t i = 0; i < md->n_encodings; i++)
        if (md->encodings[i] == encoding)
            return true;
    return false;
}

/*
 * A chunk whose first 16384 values are all distinct drops its dictionary: wholly when no
 * page was closed yet (no dictionary page at all), else from the next page on. One repeat
 * among them keeps the dictionary. Values must read back either way.
 */
static void test_distinct_values_give_up_the_dictionary(void)
{
    enum { N = 40000 };
    static const struct sl_parquet_column_spec specs[3] = {
        {"distinct", SL_PARQUET_COL_INT64, false, false, 0, 0},
        {"one_repeat", SL_PARQUET_COL_INT64, false, false, 0, 0},
        {"text", SL_PARQUET_COL_STRING, true, false, 0, 0},
    };
    static int64_t distinct[N], one_repeat[N];
    static uint8_t valid[N];
    static uint32_t offsets[N + 1];
    static char text[N * 12];
    size_t used = 0;

    offsets[0] = 0;
    for (int i = 0; i < N; i++) {
        distinct[i] = (int64_t)i * 7919 - 123456;
        one_repeat[i] = i == 9000 ? one_repeat[17] : (int64_t)i * 31;
        valid[i] = (uint8_t)(i % 10 != 3);
        if (valid[i])
            used += (size_t)snprintf(text + used, 12, "t%d", i);
        offsets[i + 1] = (uint32_t)used;
    }
    for (int small_pages = 0; small_pages < 2; small_pages++) {
        struct sl_parquet_column_values v[3];
        struct sl_parquet_writer_options options;
        struct sl_parquet_writer *w = NULL;
        struct memory_stream mem;
        struct sl_write_stream out;
        struct sl_error err;

        memset(v, 0, sizeof(v));
        v[0].u.i64 = distinct;
        v[1].u.i64 = one_repeat;
        v[2].valid = valid;
        v[2].u.bytes.offsets = offsets;
        v[2].u.bytes.data = (const uint8_t *)text;
        memory_stream_init(&mem, &out, 0);
        sl_parquet_writer_options_default(&options);
        options.codec = SL_PARQUET_COMPRESSION_ZSTD;
        options.page_bytes = small_pages ? 8192 : options.page_bytes;
        REQUIRE(sl_parquet_writer_open(specs, 3, &options, &out, &w, &err) == SL_OK);
        REQUIRE(sl_parquet_writer_write(w, v, N, &err) == SL_OK);
        REQUIRE(sl_parquet_writer_close(w, NULL, &err) == SL_OK);
        sl_parquet_writer_free(w);

        /* the layout, from the footer */
        struct sl_arena arena;
        struct sl_parquet_file_metadata md;
        uint32_t footer_len = 0;
        const uint8_t *file = (const uint8_t *)mem.bytes.data;
        sl_arena_init(&arena, 4096);
        REQUIRE(sl_parquet_footer_size(file + mem.bytes.len - 8, 8, &footer_len, &err) == SL_OK);
        REQUIRE(sl_parquet_footer_decode(file + mem.bytes.len - 8 - footer_len, footer_len + 8,
                                         &arena, &md, &err) == SL_OK);
        REQUIRE(md.n_row_groups == 1);
        for (int c = 0; c < 3; c++) {
            const struct sl_parquet_column_meta_data *cm = &md.row_groups[0].columns[c].meta_data;
            bool dictionary = chunk_uses(cm, SL_PARQUET_ENC_RLE_DICTIONARY);
            if (c == 1) {
                CHECK(dictionary); /* the repeat keeps it (it fills up and falls back later) */
            } else if (small_pages) {
                CHECK(dictionary); /* pages closed before the probe stay dictionary pages */
                CHECK(cm->has_dictionary_page_offset);
            } else {
                CHECK(!dictionary);
                CHECK(!cm->has_dictionary_page_offset);
            }
            CHECK(chunk_uses(cm, SL_PARQUET_ENC_PLAIN));
        }
        sl_arena_free(&arena);

        /* the values */
        struct sl_memory_file file_state;
        struct sl_read_file rf;
        struct sl_parquet_reader *reader = NULL;
        struct sl_parquet_column_values got[3];
        uint32_t all[3] = {0, 1, 2};
        sl_memory_read_file(&file_state, mem.bytes.data, mem.bytes.len, &rf);
        REQUIRE(sl_parquet_reader_open(&rf, "mem.parquet", &reader, &err) == SL_OK);
        REQUIRE(sl_parquet_reader_read_columns(reader, 0, all, 3, got, &err) == SL_OK);
        for (int i = 0; i < N; i++) {
            CHECK(got[0].u.i64[i] == distinct[i]);
            CHECK(got[1].u.i64[i] == one_repeat[i]);
            CHECK((got[2].valid[i] != 0) == (valid[i] != 0));
            CHECK(got[2].u.bytes.offsets[i + 1] - got[2].u.bytes.offsets[i] ==
                  offsets[i + 1] - offsets[i]);
            CHECK(memcmp(got[2].u.bytes.data + got[2].u.bytes.offsets[i], text + offsets[i],
                         offsets[i + 1] - offsets[i]) == 0);
            if (unit_current_failed) {
                fprintf(stderr, "  row %d (small pages %d)\n", i, small_pages);
                break;
            }
        }
        sl_parquet_reader_free(reader);
        sl_buf_free(&mem.bytes);
    }
}

UNIT_TESTS(UNIT_TEST(test_round_trip_through_our_reader), UNIT_TEST(test_refused_input_names_the_column),
           UNIT_TEST(test_failing_stream_fails_the_file), UNIT_TEST(test_decimal_widths),
           UNIT_TEST(test_statistics_match_brute_force),
           UNIT_TEST(test_distinct_values_give_up_the_dictionary))

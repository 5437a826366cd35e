/*
 * Unit tests of the Avro reader (src/hudi/avro.c) and of version 8 commit
 * metadata: containers built here byte by byte for every type and codec,
 * malformed data and containers (each rejected with a message that says
 * what), every allocation failing in turn, and the commit files of the
 * Spark-written v8 fixtures (SLUICE_FIXTURES_DIR) held against the base
 * files they name.
 */
#include "hudi/avro.h"

#include "sluice/parquet.h"
#include "unit.h"

#include <math.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

/* ---------------------------------------------------------------- an encoder for tests */

static void put_long(struct sl_buf *b, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    do {
        uint8_t c = u & 0x7f;
        u >>= 7;
        if (u != 0)
            c |= 0x80;
        sl_buf_putc(b, (char)c);
    } while (u != 0);
}

static void put_raw(struct sl_buf *b, const void *p, size_t n)
{
    sl_buf_append(b, p, n);
}

static void put_bytes(struct sl_buf *b, const void *p, size_t n)
{
    put_long(b, (int64_t)n);
    put_raw(b, p, n);
}

static void put_str(struct sl_buf *b, const char *s)
{
    put_bytes(b, s, strlen(s));
}

static void put_float(struct sl_buf *b, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    for (int i = 0; i < 4; i++)
        sl_buf_putc(b, (char)(bits >> (8 * i)));
}

static void put_double(struct sl_buf *b, double f)
{
    uint64_t bits;
    memcpy(&bits, &f, 8);
    for (int i = 0; i < 8; i++)
        sl_buf_putc(b, (char)(bits >> (8 * i)));
}

static const char SYNC[17] = "0123456789abcdef";

/* Compresses one block as the codec's writers do. */
static void compress_block(const char *codec, const void *data, size_t len, struct sl_buf *out)
{
    if (codec == NULL || strcmp(codec, "null") == 0) {
        put_raw(out, data, len);
    } else if (strcmp(codec, "deflate") == 0) {
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            abort();
        size_t bound = deflateBound(&zs, (uLong)len);
        sl_buf_reserve(out, bound);
        zs.next_in = (Bytef *)data;
        zs.avail_in = (uInt)len;
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
            abort();
        out->len += bound - zs.avail_out;
        deflateEnd(&zs);
    } else if (strcmp(codec, "snappy") == 0) {
        size_t n = snappy_max_compressed_length(len);
        sl_buf_reserve(out, n + 4);
        if (snappy_compress(data, len, out->data + out->len, &n) != SNAPPY_OK)
            abort();
        out->len += n;
        uint32_t crc = (uint32_t)crc32(0, data, (uInt)len);
        for (int i = 3; i >= 0; i--)
            sl_buf_putc(out, (char)(crc >> (8 * i)));
    } else if (strcmp(codec, "zstandard") == 0) {
        size_t bound = ZSTD_compressBound(len);
        sl_buf_reserve(out, bound);
        size_t n = ZSTD_compress(out->data + out->len, bound, data, len, 3);
        if (ZSTD_isError(n))
            abort();
        out->len += n;
    } else {
        put_raw(out, data, len); /* an unknown codec: its bytes do not matter */
    }
    out->data[out->len] = '\0';
}

struct block {
    const void *data;
    size_t len;
    int64_t count;
};

/* A container: header (schema, codec when not NULL), then the blocks. */
static void build_container(struct sl_buf *out, const char *schema, const char *codec,
                            const struct block *blocks, size_t nblocks)
{
    put_raw(out, "Obj\x01", 4);
    put_long(out, codec != NULL ? 2 : 1);
    put_str(out, "avro.schema");
    put_str(out, schema);
    if (codec != NULL) {
        put_str(out, "avro.codec");
        put_str(out, codec);
    }
    put_long(out, 0);
    put_raw(out, SYNC, 16);
    for (size_t i = 0; i < nblocks; i++) {
        struct sl_buf packed;
        sl_buf_init(&packed, SIZE_MAX);
        compress_block(codec, blocks[i].data, blocks[i].len, &packed);
        put_long(out, blocks[i].count);
        put_bytes(out, packed.data, packed.len);
        put_raw(out, SYNC, 16);
        sl_buf_free(&packed);
    }
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Decodes bytes with a schema; returns the code, *text the compact JSON (caller frees). */
static int decode_text(const char *schema_json, const void *bytes, size_t len,
                       const struct sl_avro_limits *limits, char **text, struct sl_error *err)
{
    struct sl_avro_schema *schema = NULL;
    json_t *value = NULL;
    size_t used = 0;
    int rc;

    *text = NULL;
    rc = sl_avro_schema_parse(schema_json, strlen(schema_json), limits, &schema, err);
    if (rc != SL_OK)
        return rc;
    rc = sl_avro_decode(schema, bytes, len, limits, &used, &value, err);
    if (rc == SL_OK) {
        *text = dump(value);
        if (used != len) {
            fprintf(stderr, "  decoded %zu of %zu bytes\n", used, len);
            unit_current_failed = 1;
        }
    }
    json_decref(value);
    sl_avro_schema_free(schema);
    return rc;
}

/* ---------------------------------------------------------------- every type */

static const char ALL_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"t.ns\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"y\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\"]}},"
    "{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"Three\",\"size\":3}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"Color\"]}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"string\",\"t.ns.Three\"]},"
    "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"namespace\":\"other\","
    "\"fields\":[{\"name\":\"k\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"c\",\"type\":\"t.ns.Color\"}]}},"
    "{\"name\":\"r2\",\"type\":\"other.Inner\"},"
    "{\"name\":\"w\",\"type\":{\"type\":{\"type\":\"array\",\"items\":\"string\"}}}]}";

static const char ALL_JSON[] =
    "{\"n\":null,\"b\":true,\"i\":-2147483648,\"l\":9223372036854775807,\"f\":-1.5,"
    "\"d\":0.25,\"y\":\"\\\\x00ff10\",\"s\":\"h\xc3\xa9llo \xf0\x9f\x98\x80\",\"e\":\"GREEN\","
    "\"x\":\"\\\\x616263\",\"a\":[1,-1,-9223372036854775808],\"m\":{\"k1\":null,\"k2\":\"RED\"},"
    "\"u\":\"\\\\x78797a\",\"r\":{\"k\":19000,\"c\":\"GREEN\"},\"r2\":{\"k\":-1,\"c\":\"RED\"},"
    "\"w\":[]}";

/* One datum of ALL_SCHEMA whose JSON is ALL_JSON. */
static void put_all_datum(struct sl_buf *b)
{
    sl_buf_putc(b, 1);                 /* b */
    put_long(b, INT32_MIN);            /* i */
    put_long(b, INT64_MAX);            /* l */
    put_float(b, -1.5f);               /* f */
    put_double(b, 0.25);               /* d */
    put_bytes(b, "\x00\xff\x10", 3);   /* y */
    put_str(b, "h\xc3\xa9llo \xf0\x9f\x98\x80"); /* s */
    put_long(b, 1);                    /* e = GREEN */
    put_raw(b, "abc", 3);              /* x */
    /* a: a block with a negative count and its byte size, then a plain one */
    put_long(b, -2);
    put_long(b, 2);
    put_long(b, 1);
    put_long(b, -1);
    put_long(b, 1);
    put_long(b, INT64_MIN);
    put_long(b, 0);
    /* m */
    put_long(b, 2);
    put_str(b, "k1");
    put_long(b, 0);
    put_str(b, "k2");
    put_long(b, 1);
    put_long(b, 0);
    put_long(b, 0);
    /* u = branch 2, the fixed */
    put_long(b, 2);
    put_raw(b, "xyz", 3);
    /* r, r2 */
    put_long(b, 19000);
    put_long(b, 1);
    put_long(b, -1);
    put_long(b, 0);
    /* w: an empty array */
    put_long(b, 0);
}

static void test_every_type_decodes(void)
{
    struct sl_buf b;
    struct sl_error err = {0};
    char *text = NULL;

    sl_buf_init(&b, SIZE_MAX);
    put_all_datum(&b);
    int rc = decode_text(ALL_SCHEMA, b.data, b.len, NULL, &text, &err);
    if (rc != SL_OK)
        fprintf(stderr, "  %s\n", err.message);
    REQUIRE(rc == SL_OK);
    CHECK_STR(text, ALL_JSON);
    free(text);

    /* a datum followed by more bytes: *used says where it ended */
    struct sl_avro_schema *schema = NULL;
    json_t *v = NULL;
    size_t used = 0;
    REQUIRE(sl_avro_schema_parse(ALL_SCHEMA, strlen(ALL_SCHEMA), NULL, &schema, &err) == SL_OK);
    CHECK_STR(sl_avro_schema_name(schema), "t.ns.All");
    size_t one = b.len;
    put_all_datum(&b);
    CHECK(sl_avro_decode(schema, b.data, b.len, NULL, &used, &v, &err) == SL_OK);
    CHECK_INT(used, one);
    json_decref(v);
    sl_avro_schema_free(schema);
    sl_buf_free(&b);
}

static void test_floats_that_json_cannot_hold_become_strings(void)
{
    struct sl_buf b;
    struct sl_error err = {0};
    char *text;

    sl_buf_init(&b, SIZE_MAX);
    put_long(&b, 4);
    put_double(&b, NAN);
    put_double(&b, INFINITY);
    put_double(&b, -INFINITY);
    put_double(&b, -0.0);
    put_long(&b, 0);
    CHECK(decode_text("{\"type\":\"array\",\"items\":\"double\"}", b.data, b.len, NULL, &text,
                      &err) == SL_OK);
    CHECK_STR(text, "[\"NaN\",\"Infinity\",\"-Infinity\",-0.0]");
    free(text);
    sl_buf_reset(&b);
    put_float(&b, -INFINITY);
    CHECK(decode_text("\"float\"", b.data, b.len, NULL, &text, &err) == SL_OK);
    CHECK_STR(text, "\"-Infinity\"");
    free(text);
    sl_buf_free(&b);
}

static void test_recursive_schema_and_depth_limit(void)
{
    static const char list[] = "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
                               "{\"name\":\"v\",\"type\":\"int\"},"
                               "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}";
    struct sl_avro_limits limits;
    struct sl_buf b;
    struct sl_error err = {0};
    char *text;

    sl_buf_init(&b, SIZE_MAX);
    for (int i = 0; i < 3; i++) {
        put_long(&b, i);
        put_long(&b, i < 2 ? 1 : 0);
    }
    CHECK(decode_text(list, b.data, b.len, NULL, &text, &err) == SL_OK);
    CHECK_STR(text, "{\"v\":0,\"next\":{\"v\":1,\"next\":{\"v\":2,\"next\":null}}}");
    free(text);

    /* 100 nodes deep: past a depth limit of 40 (a node and its union take 2 levels) */
    sl_buf_reset(&b);
    for (int i = 0; i < 100; i++) {
        put_long(&b, i);
        put_long(&b, i < 99 ? 1 : 0);
    }
    sl_avro_limits_default(&limits);
    limits.max_depth = 40;
    CHECK(decode_text(list, b.data, b.len, &limits, &text, &err) == SL_ELIMIT);
    CHECK(strstr(err.message, "deeper than 40") != NULL && strstr(err.message, "field next") != NULL);
    limits.max_depth = 250;
    CHECK(decode_text(list, b.data, b.len, &limits, &text, &err) == SL_OK);
    free(text);
    sl_buf_free(&b);
}

/* ---------------------------------------------------------------- schemas */

static void test_schema_errors_are_clear(void)
{
    static const struct {
        const char *schema;
        int rc;
        const char *words;
    } cases[] = {
        {"{\"type\":", SL_EPROTO, "not JSON"},
        {"\"Nope\"", SL_EPROTO, "unknown type 'Nope'"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"Later\"}]}",
         SL_EPROTO, "unknown type 'Later'"},
        {"[{\"type\":\"fixed\",\"name\":\"F\",\"size\":1},{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}]",
         SL_EPROTO, "defined twice"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
         "{\"name\":\"a\",\"type\":\"long\"}]}",
         SL_EPROTO, "two fields named 'a'"},
        {"[\"null\",[\"int\"]]", SL_EPROTO, "union directly inside a union"},
        {"{\"type\":\"record\",\"fields\":[]}", SL_EPROTO, "record without a name"},
        {"{\"type\":\"record\",\"name\":\"R\"}", SL_EPROTO, "no list of fields"},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", SL_EPROTO, "size from 0"},
        {"{\"type\":\"enum\",\"name\":\"E\"}", SL_EPROTO, "no list of symbols"},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[1]}", SL_EPROTO, "not a string"},
        {"{\"type\":\"array\"}", SL_EPROTO, "without \"items\""},
        {"{\"type\":\"map\"}", SL_EPROTO, "without \"values\""},
        {"{\"items\":\"int\"}", SL_EPROTO, "without \"type\""},
        {"42", SL_EPROTO, "neither a name"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}", SL_EPROTO,
         "field 0 of record R needs a name and a type"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"bogus\"}]}",
         SL_EPROTO, "field R.a"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        struct sl_avro_schema *s = NULL;
        struct sl_error err = {0};
        int rc = sl_avro_schema_parse(cases[i].schema, strlen(cases[i].schema), NULL, &s, &err);
        if (rc != cases[i].rc || strstr(err.message, cases[i].words) == NULL) {
            fprintf(stderr, "  schema %s: rc %d, message '%s', want '%s'\n", cases[i].schema, rc,
                    err.message, cases[i].words);
            unit_current_failed = 1;
        }
        CHECK(s == NULL);
    }
    /* nesting past the depth limit */
    struct sl_buf deep;
    struct sl_avro_schema *s = NULL;
    struct sl_error err = {0};
    sl_buf_init(&deep, SIZE_MAX);
    for (int i = 0; i < 100; i++)
        sl_buf_append_str(&deep, "{\"type\":\"array\",\"items\":");
    sl_buf_append_str(&deep, "\"int\"");
    for (int i = 0; i < 100; i++)
        sl_buf_putc(&deep, '}');
    CHECK(sl_avro_schema_parse(deep.data, deep.len, NULL, &s, &err) == SL_ELIMIT);
    CHECK(strstr(err.message, "deeper than 64") != NULL);
    sl_buf_free(&deep);
}

static void test_names_and_namespaces(void)
{
    /* a short name resolves in the enclosing namespace, then in the null one */
    static const char schema[] =
        "{\"type\":\"record\",\"name\":\"a.b.R\",\"fields\":["
        "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":1}},"
        "{\"name\":\"g\",\"type\":\"F\"},{\"name\":\"h\",\"type\":\"a.b.F\"},"
        "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"\","
        "\"symbols\":[\"Z\"]}},{\"name\":\"i\",\"type\":\"E\"}]}";
    struct sl_error err = {0};
    char *text;
    CHECK(decode_text(schema, "\x01\x02\x03\x00\x00", 5, NULL, &text, &err) == SL_OK);
    CHECK_STR(text, "{\"f\":\"\\\\x01\",\"g\":\"\\\\x02\",\"h\":\"\\\\x03\",\"e\":\"Z\",\"i\":\"Z\"}");
    free(text);
    struct sl_avro_schema *s = NULL;
    CHECK(sl_avro_schema_parse("[\"null\",\"long\"]", 15, NULL, &s, &err) == SL_OK);
    CHECK(s != NULL && strcmp(sl_avro_schema_name(s), "union") == 0);
    sl_avro_schema_free(s);
    sl_avro_schema_free(NULL);
}

/* ---------------------------------------------------------------- malformed data */

static void test_malformed_data_is_rejected(void)
{
    static const struct {
        const char *schema;
        const char *bytes;
        size_t len;
        int rc;
        const char *words;
    } cases[] = {
        {"\"long\"", "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, SL_EPROTO, "a long at byte 0 does not fit 64 bits"},
        {"\"long\"", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, SL_EPROTO, "does not fit 64 bits"},
        {"\"long\"", "\x80", 1, SL_EPROTO, "runs past the end"},
        {"\"long\"", "", 0, SL_EPROTO, "runs past the end"},
        {"\"int\"", "\xff\xff\xff\xff\x1f", 5, SL_EPROTO, "does not fit 32 bits"},
        {"\"int\"", "\xff\xff\xff\xff\xff\x01", 6, SL_EPROTO, "longer than 5 bytes"},
        {"\"string\"", "\x01", 1, SL_EPROTO, "negative length -1"},
        {"\"string\"", "\x0a" "a", 2, SL_EPROTO, "says 5 bytes but only 1 are left"},
        {"\"string\"", "\x02\xff", 2, SL_EPROTO, "not valid UTF-8"},
        {"\"string\"", "\x06\xed\xa0\x80", 4, SL_EPROTO, "not valid UTF-8"},  /* a surrogate */
        {"\"string\"", "\x04\xc0\x80", 3, SL_EPROTO, "not valid UTF-8"},      /* overlong NUL */
        {"\"bytes\"", "\x04" "a", 2, SL_EPROTO, "says 2 bytes"},
        {"\"boolean\"", "\x02", 1, SL_EPROTO, "not 0 or 1"},
        {"\"float\"", "\x00\x00", 2, SL_EPROTO, "a float at byte 0 runs past the end"},
        {"\"double\"", "\x00\x00\x00\x00", 4, SL_EPROTO, "a double"},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", "ab", 2, SL_EPROTO, "a fixed value"},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "\x02", 1, SL_EPROTO,
         "symbol index 1; it has 1 symbols"},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "\x01", 1, SL_EPROTO,
         "symbol index -1"},
        {"[\"null\",\"long\"]", "\x04", 1, SL_EPROTO, "chooses branch 2; it has 2 branches"},
        {"[\"null\",\"long\"]", "\x01", 1, SL_EPROTO, "chooses branch -1"},
        {"{\"type\":\"array\",\"items\":\"long\"}", "\x64\x02\x02\x02", 4, SL_EPROTO,
         "has 50 items, more than the 3 bytes left can hold"},
        {"{\"type\":\"array\",\"items\":\"long\"}", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10,
         SL_EPROTO, "has count"},
        {"{\"type\":\"array\",\"items\":\"long\"}", "\x03\x09\x02", 3, SL_EPROTO,
         "a block size at byte 1 has a negative length -5"},
        {"{\"type\":\"map\",\"values\":\"null\"}", "\x02\x02\xfe", 3, SL_EPROTO,
         "a map key at byte 1 is not valid UTF-8"},
        {"{\"type\":\"map\",\"values\":\"null\"}", "\x10\x00", 2, SL_EPROTO,
         "has 8 items, more than the 1 bytes left"},
        {"{\"type\":\"map\",\"values\":\"long\"}", "\x02\x02k", 3, SL_EPROTO,
         "map value 'k': a number at byte 3 runs past the end"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
         "{\"name\":\"s\",\"type\":\"string\"}]}",
         "\x02\x08" "ab", 4, SL_EPROTO, "Avro R: field s: a string at byte 1 says 4 bytes"},
        {"{\"type\":\"array\",\"items\":\"int\"}", "\x04\x02\x80", 3, SL_EPROTO,
         "item 1: a number at byte 2 runs past the end"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        struct sl_error err = {0};
        char *text = NULL;
        int rc = decode_text(cases[i].schema, cases[i].bytes, cases[i].len, NULL, &text, &err);
        if (rc != cases[i].rc || strstr(err.message, cases[i].words) == NULL) {
            fprintf(stderr, "  case %zu (%s): rc %d, message '%s', want '%s'\n", i, cases[i].schema,
                    rc, err.message, cases[i].words);
            unit_current_failed = 1;
        }
        CHECK(text == NULL);
    }
}

/* Counts of items that take no bytes are bounded by the memory limit alone. */
static void test_counts_of_empty_items_hit_the_memory_limit(void)
{
    struct sl_avro_limits limits = {.max_depth = 16, .max_memory = 1 << 20};
    struct sl_buf b;
    struct sl_error err = {0};
    char *text;

    sl_buf_init(&b, SIZE_MAX);
    put_long(&b, (int64_t)1 << 40);
    put_long(&b, 0);
    CHECK(decode_text("{\"type\":\"array\",\"items\":\"null\"}", b.data, b.len, &limits, &text,
                      &err) == SL_ELIMIT);
    CHECK(strstr(err.message, "more than the 1048576 bytes allowed") != NULL);
    CHECK(decode_text("{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"E\","
                      "\"fields\":[]}}",
                      b.data, b.len, &limits, &text, &err) == SL_ELIMIT);
    /* a small count of them is fine */
    sl_buf_reset(&b);
    put_long(&b, 3);
    put_long(&b, 0);
    CHECK(decode_text("{\"type\":\"array\",\"items\":\"null\"}", b.data, b.len, &limits, &text,
                      &err) == SL_OK);
    CHECK_STR(text, "[null,null,null]");
    free(text);
    /* a long string counts against the limit too */
    char big[2000];
    memset(big, 'a', sizeof(big));
    limits.max_memory = 1000;
    sl_buf_reset(&b);
    put_bytes(&b, big, sizeof(big));
    CHECK(decode_text("\"string\"", b.data, b.len, &limits, &text, &err) == SL_ELIMIT);
    CHECK(decode_text("\"bytes\"", b.data, b.len, &limits, &text, &err) == SL_ELIMIT);
    sl_buf_free(&b);
}

/* ---------------------------------------------------------------- containers */

static const char *const CODECS[] = {NULL, "null", "deflate", "snappy", "zstandard"};

static void test_every_codec_reads_the_same_records(void)
{
    struct sl_buf one, two;
    char *want = NULL;

    sl_buf_init(&one, SIZE_MAX);
    sl_buf_init(&two, SIZE_MAX);
    for (int i = 0; i < 3; i++)
        put_all_datum(&one);
    for (int i = 0; i < 2; i++)
        put_all_datum(&two);
    for (size_t c = 0; c < SL_ARRAY_LEN(CODECS); c++) {
        struct block blocks[] = {{one.data, one.len, 3}, {"", 0, 0}, {two.data, two.len, 2}};
        struct sl_buf file;
        struct sl_avro_container got;
        struct sl_error err = {0};
        sl_buf_init(&file, SIZE_MAX);
        /* an empty block in the middle: zstd and deflate still frame nothing */
        build_container(&file, ALL_SCHEMA, CODECS[c], blocks, 3);
        CHECK(sl_avro_is_container(file.data, file.len));
        int rc = sl_avro_container_read(file.data, file.len, NULL, &got, &err);
        if (rc != SL_OK)
            fprintf(stderr, "  codec %s: %s\n", CODECS[c] ? CODECS[c] : "(none)", err.message);
        CHECK(rc == SL_OK);
        if (rc == SL_OK) {
            char *text = dump(got.records);
            CHECK_INT(json_array_size(got.records), 5);
            CHECK_STR(got.codec, CODECS[c] ? CODECS[c] : "null");
            CHECK_STR(sl_avro_schema_name(got.schema), "t.ns.All");
            CHECK_STR(json_string_value(json_object_get(got.metadata, "avro.schema")), ALL_SCHEMA);
            char *first = dump(json_array_get(got.records, 4));
            CHECK_STR(first, ALL_JSON);
            free(first);
            if (want == NULL)
                want = text;
            else {
                CHECK_STR(text, want);
                free(text);
            }
        }
        sl_avro_container_free(&got);
        sl_avro_container_free(&got); /* twice: the struct is zeroed */
        sl_buf_free(&file);
    }
    free(want);
    sl_buf_free(&one);
    sl_buf_free(&two);
}

static void test_header_metadata(void)
{
    struct sl_buf f;
    struct sl_avro_container got;
    struct sl_error err = {0};

    sl_buf_init(&f, SIZE_MAX);
    put_raw(&f, "Obj\x01", 4);
    put_long(&f, -2); /* a block with a negative count and its size */
    put_long(&f, 30);
    put_str(&f, "avro.schema");
    put_str(&f, "\"int\"");
    put_str(&f, "user.bin");
    put_bytes(&f, "\xff\x00", 2);
    put_long(&f, 1);
    put_str(&f, "avro.codec");
    put_str(&f, "null");
    put_long(&f, 0);
    put_raw(&f, SYNC, 16);
    put_long(&f, 2);
    put_long(&f, 2);
    put_long(&f, 7);
    put_long(&f, -8);
    put_raw(&f, SYNC, 16);
    REQUIRE(sl_avro_container_read(f.data, f.len, NULL, &got, &err) == SL_OK);
    CHECK_STR(json_string_value(json_object_get(got.metadata, "user.bin")), "\\xff00");
    char *text = dump(got.records);
    CHECK_STR(text, "[7,-8]");
    free(text);
    sl_avro_container_free(&got);
    /* no blocks at all: no records */
    sl_buf_reset(&f);
    build_container(&f, "\"int\"", NULL, NULL, 0);
    REQUIRE(sl_avro_container_read(f.data, f.len, NULL, &got, &err) == SL_OK);
    CHECK_INT(json_array_size(got.records), 0);
    sl_avro_container_free(&got);
    sl_buf_free(&f);
}

/* A container of `count` int records whose block bytes are `data` (already packed). */
static void raw_container(struct sl_buf *f, const char *codec, int64_t count, const void *data,
                          size_t len, const char *sync)
{
    build_container(f, "\"int\"", codec, NULL, 0);
    put_long(f, count);
    put_bytes(f, data, len);
    put_raw(f, sync, 16);
}

static void expect_container_error(const struct sl_buf *f, const struct sl_avro_limits *limits,
                                   int want_rc, const char *words, int line)
{
    struct sl_avro_container got;
    struct sl_error err = {0};
    int rc = sl_avro_container_read(f->data, f->len, limits, &got, &err);
    if (rc != want_rc || strstr(err.message, words) == NULL ||
        strncmp(err.message, "Avro container", 14) != 0) {
        fprintf(stderr, "  line %d: rc %d, message '%s', want '%s'\n", line, rc, err.message,
                words);
        unit_current_failed = 1;
    }
    CHECK(got.records == NULL && got.schema == NULL && got.metadata == NULL);
}
#define EXPECT_CONTAINER_ERROR(f, limits, rc, words)                                               \
    expect_container_error(f, limits, rc, words, __LINE__)

static void test_malformed_containers_are_rejected(void)
{
    struct sl_buf f, packed;
    struct sl_avro_container got;
    struct sl_error err = {0};

    sl_buf_init(&f, SIZE_MAX);
    sl_buf_init(&packed, SIZE_MAX);
    CHECK(sl_avro_container_read("Obj\x02", 4, NULL, &got, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "not an Avro container file") != NULL);
    CHECK(!sl_avro_is_container("Obj", 3) && !sl_avro_is_container(NULL, 0));
    CHECK(sl_avro_container_read("Obj\x01", 4, NULL, &got, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "header: a number at byte 4 runs past the end") != NULL);

    /* header problems */
    put_raw(&f, "Obj\x01\x02", 5);
    put_str(&f, "avro.codec");
    put_str(&f, "null");
    put_long(&f, 0);
    put_raw(&f, SYNC, 16);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "the header has no avro.schema");
    sl_buf_reset(&f);
    build_container(&f, "\"int\"", "xz", NULL, 0);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "codec 'xz' is not one sluice reads");
    sl_buf_reset(&f);
    build_container(&f, "{\"type\":\"rec", NULL, NULL, 0);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "header avro.schema: Avro schema is not JSON");
    sl_buf_reset(&f);
    build_container(&f, "\"int\"", NULL, NULL, 0);
    f.len -= 3;
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "the header's sync marker");
    sl_buf_reset(&f);
    put_raw(&f, "Obj\x01\x7f", 5); /* -64 entries, then a size, in 8 bytes */
    put_long(&f, 0);
    put_raw(&f, "abcdef", 6);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "64 entries, more than the 6 bytes left");

    /* blocks */
    sl_buf_reset(&f);
    raw_container(&f, NULL, 1, "\x02", 1, "fedcba9876543210");
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "block 0 (byte ");
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "is not the header's");
    sl_buf_reset(&f);
    raw_container(&f, NULL, 1, "\x02", 1, SYNC);
    f.len -= 1;
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "the sync marker at byte");
    sl_buf_reset(&f);
    build_container(&f, "\"int\"", NULL, NULL, 0);
    put_long(&f, 1);
    put_long(&f, 50);
    put_raw(&f, "\x02", 1);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "the block size at byte");
    sl_buf_reset(&f);
    raw_container(&f, NULL, 1, "\x02\x04", 2, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "1 bytes are left after its 1 records");
    sl_buf_reset(&f);
    raw_container(&f, NULL, 3, "\x02\x04\x80", 3, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "record 2: a number at byte 2 runs past the end");
    sl_buf_reset(&f);
    raw_container(&f, NULL, -1, "\x02", 1, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "its record count is -1");
    sl_buf_reset(&f);
    raw_container(&f, NULL, 100, "\x02\x04", 2, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "it says 100 records but its 2 bytes cannot hold them");

    /* codecs: corrupt, truncated, wrong checksum */
    sl_buf_reset(&f);
    raw_container(&f, "snappy", 1, "\x01\x02\x03", 3, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "no room for its CRC32");
    sl_buf_reset(&f);
    raw_container(&f, "snappy", 1, "\xff\xff\xff\xff\xff\x01\x02\x03\x04", 9, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "a snappy block is corrupt");
    compress_block("snappy", "\x02", 1, &packed);
    packed.data[packed.len - 1] ^= 1;
    sl_buf_reset(&f);
    raw_container(&f, "snappy", 1, packed.data, packed.len, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "CRC32 is");
    sl_buf_reset(&f);
    raw_container(&f, "deflate", 1, "\xff\xff\xff\xff", 4, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "a deflate block is corrupt");
    sl_buf_reset(&packed);
    {
        char text[300];
        memset(text, 7, sizeof(text));
        compress_block("deflate", text, sizeof(text), &packed);
    }
    sl_buf_reset(&f);
    raw_container(&f, "deflate", 1, packed.data, packed.len - 2, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "ends before its stream does");
    sl_buf_reset(&f);
    sl_buf_putc(&packed, 'x');
    raw_container(&f, "deflate", 1, packed.data, packed.len, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "1 bytes follow the end of a deflate block");
    sl_buf_reset(&f);
    raw_container(&f, "zstandard", 1, "\x00\x01\x02\x03\x04\x05\x06\x07", 8, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "a zstandard block is corrupt");
    sl_buf_reset(&packed);
    compress_block("zstandard", "\x02\x04\x06\x08", 4, &packed);
    sl_buf_reset(&f);
    raw_container(&f, "zstandard", 4, packed.data, packed.len - 2, SYNC);
    EXPECT_CONTAINER_ERROR(&f, NULL, SL_EPROTO, "a zstandard block ends inside a frame");

    /* blocks that decompress beyond the memory limit */
    char *zeros = calloc(1, 1 << 20);
    REQUIRE(zeros != NULL);
    struct sl_avro_limits small = {.max_depth = 16, .max_memory = 64 << 10};
    for (size_t c = 2; c < SL_ARRAY_LEN(CODECS); c++) {
        sl_buf_reset(&packed);
        compress_block(CODECS[c], zeros, 1 << 20, &packed);
        sl_buf_reset(&f);
        raw_container(&f, CODECS[c], 1, packed.data, packed.len, SYNC);
        EXPECT_CONTAINER_ERROR(&f, &small, SL_ELIMIT, "65536");
        EXPECT_CONTAINER_ERROR(&f, &small, SL_ELIMIT, "block 0 (byte");
    }
    free(zeros);
    /* many records that take no bytes */
    sl_buf_reset(&f);
    build_container(&f, "\"null\"", NULL, NULL, 0);
    put_long(&f, (int64_t)1 << 50);
    put_long(&f, 0);
    put_raw(&f, SYNC, 16);
    EXPECT_CONTAINER_ERROR(&f, &small, SL_ELIMIT, "more than the 65536 bytes allowed");
    sl_buf_free(&packed);
    sl_buf_free(&f);
}

/* ---------------------------------------------------------------- commit metadata */

/* The parts of Hudi's HoodieReplaceCommitMetadata schema sluice reads. */
static const char REPLACE_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"HoodieReplaceCommitMetadata\",\"namespace\":"
    "\"org.apache.hudi.avro.model\",\"fields\":["
    "{\"name\":\"partitionToWriteStats\",\"type\":[\"null\",{\"type\":\"map\",\"values\":"
    "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"HoodieWriteStat\",\"fields\":["
    "{\"name\":\"fileId\",\"type\":[\"null\",\"string\"]},{\"name\":\"path\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"prevCommit\",\"type\":[\"null\",\"string\"]},{\"name\":\"numWrites\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"numDeletes\",\"type\":[\"null\",\"long\"]},{\"name\":\"numUpdateWrites\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"numInserts\",\"type\":[\"null\",\"long\"]},{\"name\":\"totalWriteBytes\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"fileSizeInBytes\",\"type\":[\"null\",\"long\"]}]}}}]},"
    "{\"name\":\"compacted\",\"type\":[\"null\",\"boolean\"]},"
    "{\"name\":\"extraMetadata\",\"type\":[\"null\",{\"type\":\"map\",\"values\":\"string\"}]},"
    "{\"name\":\"version\",\"type\":[\"int\",\"null\"]},"
    "{\"name\":\"operationType\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"partitionToReplaceFileIds\",\"type\":[\"null\",{\"type\":\"map\",\"values\":"
    "{\"type\":\"array\",\"items\":\"string\"}}]}]}";

static void put_opt_str(struct sl_buf *b, const char *s)
{
    put_long(b, s != NULL ? 1 : 0);
    if (s != NULL)
        put_str(b, s);
}

static void put_opt_long(struct sl_buf *b, int64_t v)
{
    put_long(b, 1);
    put_long(b, v);
}

static void put_replace_datum(struct sl_buf *b)
{
    put_long(b, 1); /* partitionToWriteStats */
    put_long(b, 1);
    put_str(b, "p=1");
    put_long(b, 1);
    put_opt_str(b, "f-0");
    put_opt_str(b, "p=1/f-0_1-2-3_20250101000000000.parquet");
    put_opt_str(b, "null");
    put_opt_long(b, 10);
    put_opt_long(b, 0);
    put_opt_long(b, 0);
    put_opt_long(b, 10);
    put_opt_long(b, 4096);
    put_long(b, 0); /* fileSizeInBytes: null */
    put_long(b, 0);
    put_long(b, 0);
    put_long(b, 1); /* compacted */
    sl_buf_putc(b, 0);
    put_long(b, 1); /* extraMetadata */
    put_long(b, 2);
    put_str(b, "schema");
    put_str(b, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[]}");
    put_str(b, "sluice.checkpoint");
    put_str(b, "0/16B3748");
    put_long(b, 0);
    put_long(b, 0); /* version 1 */
    put_long(b, 1);
    put_opt_str(b, "INSERT_OVERWRITE");
    put_long(b, 1); /* partitionToReplaceFileIds */
    put_long(b, 1);
    put_str(b, "p=1");
    put_long(b, 2);
    put_str(b, "old-0");
    put_str(b, "older-0");
    put_long(b, 0);
    put_long(b, 0);
}

static void test_replace_commit_metadata_from_avro(void)
{
    struct sl_buf datum, f;
    struct sl_hudi_commit_meta m;
    struct sl_error err = {0};

    sl_buf_init(&datum, SIZE_MAX);
    sl_buf_init(&f, SIZE_MAX);
    put_replace_datum(&datum);
    struct block block = {datum.data, datum.len, 1};
    build_container(&f, REPLACE_SCHEMA, "deflate", &block, 1);
    int rc = sl_hudi_commit_meta_parse_avro(f.data, f.len, NULL, &m, &err);
    if (rc != SL_OK)
        fprintf(stderr, "  %s\n", err.message);
    REQUIRE(rc == SL_OK);
    REQUIRE(m.nstats == 1 && m.nreplaced == 2);
    CHECK_STR(m.stats[0].partition, "p=1");
    CHECK_STR(m.stats[0].file_id, "f-0");
    CHECK_STR(m.stats[0].path, "p=1/f-0_1-2-3_20250101000000000.parquet");
    CHECK_STR(m.stats[0].prev_commit, "null");
    CHECK_INT(m.stats[0].num_writes, 10);
    CHECK_INT(m.stats[0].num_inserts, 10);
    CHECK_INT(m.stats[0].total_write_bytes, 4096);
    CHECK_INT(m.stats[0].file_size, 0); /* null reads as 0 */
    CHECK_STR(m.replaced[0].partition, "p=1");
    CHECK_STR(m.replaced[0].file_id, "old-0");
    CHECK_STR(m.replaced[1].file_id, "older-0");
    CHECK_STR(m.operation, "INSERT_OVERWRITE");
    CHECK_STR(m.checkpoint, "0/16B3748");
    CHECK(m.schema != NULL && strstr(m.schema, "\"record\"") != NULL);
    CHECK(!m.compacted);
    sl_hudi_commit_meta_free(&m);

    /* no records: an empty commit; an empty file likewise */
    sl_buf_reset(&f);
    build_container(&f, REPLACE_SCHEMA, NULL, NULL, 0);
    CHECK(sl_hudi_commit_meta_parse_avro(f.data, f.len, NULL, &m, &err) == SL_OK && m.nstats == 0);
    CHECK(sl_hudi_commit_meta_parse_avro("", 0, NULL, &m, &err) == SL_OK && m.nstats == 0);
    /* a container of something that is not a record */
    sl_buf_reset(&f);
    struct block one_long = {"\x02", 1, 1};
    build_container(&f, "\"long\"", NULL, &one_long, 1);
    CHECK(sl_hudi_commit_meta_parse_avro(f.data, f.len, NULL, &m, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "holds a long, not a record") != NULL);
    /* a write stat without fileId (every field null) */
    sl_buf_reset(&datum);
    put_long(&datum, 1); /* partitionToWriteStats: a map */
    put_long(&datum, 1);
    put_str(&datum, "");
    put_long(&datum, 1);
    for (int i = 0; i < 9; i++)
        put_long(&datum, 0);
    put_long(&datum, 0); /* end of the array */
    put_long(&datum, 0); /* end of the map */
    put_long(&datum, 0); /* compacted: null */
    put_long(&datum, 0); /* extraMetadata: null */
    put_long(&datum, 1); /* version: null (second branch) */
    put_long(&datum, 0); /* operationType: null */
    put_long(&datum, 0); /* partitionToReplaceFileIds: null */
    sl_buf_reset(&f);
    struct block bad = {datum.data, datum.len, 1};
    build_container(&f, REPLACE_SCHEMA, NULL, &bad, 1);
    rc = sl_hudi_commit_meta_parse_avro(f.data, f.len, NULL, &m, &err);
    CHECK(rc == SL_EPROTO);
    CHECK(strstr(err.message, "has no fileId") != NULL &&
          strstr(err.message, "HoodieReplaceCommitMetadata") != NULL);
    sl_buf_free(&datum);
    sl_buf_free(&f);
}

/* ---------------------------------------------------------------- allocation failures */

static void *alloc_hook(size_t n)
{
    return sl_malloc(n);
}

/*
 * Fails allocation 1, 2, ... of reading each container until one run
 * succeeds; every failed run must say SL_ENOMEM and leak nothing (ASan).
 * With `hook_jansson` jansson allocates through sl_malloc too; its JSON
 * parser reports a failed allocation as a syntax error, so a schema that
 * "is not JSON" is accepted there (and only there).
 */
static void walk_allocation_failures(const struct sl_buf *files, size_t nfiles, bool hook_jansson)
{
    if (hook_jansson)
        json_set_alloc_funcs(alloc_hook, sl_free);
    for (size_t i = 0; i < nfiles; i++) {
        int failures = 0, successes = 0;
        /* jansson absorbs some failed allocations (and still parses right), so a
         * success ends the walk only after a run of them: past the last allocation */
        for (long nth = 1; nth < 100000 && successes < 64; nth++) {
            struct sl_hudi_commit_meta m;
            struct sl_error err = {0};
            sl_alloc_fail_after(nth);
            int rc = sl_hudi_commit_meta_parse_avro(files[i].data, files[i].len, NULL, &m, &err);
            sl_alloc_fail_after(0);
            if (rc == SL_OK) {
                CHECK_INT(m.nreplaced, 2);
                sl_hudi_commit_meta_free(&m);
                successes++;
                continue;
            }
            successes = 0;
            failures++;
            if (rc != SL_ENOMEM &&
                !(hook_jansson && rc == SL_EPROTO && strstr(err.message, "is not JSON") != NULL)) {
                fprintf(stderr, "  codec %s, allocation %ld: rc %d (%s)\n", CODECS[i + 1], nth, rc,
                        err.message);
                unit_current_failed = 1;
                break;
            }
        }
        if (failures <= (hook_jansson ? 100 : 3))
            fprintf(stderr, "  only %d allocations to fail\n", failures);
        CHECK(failures > (hook_jansson ? 100 : 3));
    }
    if (hook_jansson)
        json_set_alloc_funcs(malloc, free);
}

static void test_every_allocation_failure_is_clean(void)
{
    struct sl_buf datum, files[4];
    size_t nfiles = 0;

    sl_buf_init(&datum, SIZE_MAX);
    put_replace_datum(&datum);
    for (size_t c = 1; c < SL_ARRAY_LEN(CODECS); c++) {
        struct block block = {datum.data, datum.len, 1};
        sl_buf_init(&files[nfiles], SIZE_MAX);
        build_container(&files[nfiles++], REPLACE_SCHEMA, CODECS[c], &block, 1);
    }
    walk_allocation_failures(files, nfiles, false);
    walk_allocation_failures(files, nfiles, true);
    for (size_t i = 0; i < nfiles; i++)
        sl_buf_free(&files[i]);
    sl_buf_free(&datum);
}

/* ---------------------------------------------------------------- the v8 fixtures */

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)size + 1)) != NULL) {
        *len = fread(data, 1, (size_t)size, f);
        data[*len] = '\0';
    }
    fclose(f);
    return data;
}

/* Rows of a base file, and how many of them carry _hoodie_commit_time == instant. */
static bool base_file_rows(const char *path, const char *instant, int64_t *rows, int64_t *own)
{
    struct sl_read_file file = {0};
    struct sl_parquet_reader *reader = NULL;
    struct sl_error err = {0};
    bool ok = false;

    *rows = *own = 0;
    if (sl_file_read_open(path, &file, &err) != SL_OK)
        goto done;
    if (sl_parquet_reader_open(&file, path, &reader, &err) != SL_OK)
        goto done;
    *rows = sl_parquet_reader_num_rows(reader);
    int column = sl_parquet_reader_find_column(reader, "_hoodie_commit_time");
    if (column < 0)
        goto done;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(reader); g++) {
        struct sl_parquet_column_values v;
        int64_t n = sl_parquet_reader_row_group_rows(reader, g);
        if (sl_parquet_reader_read_column(reader, g, (uint32_t)column, &v, &err) != SL_OK)
            goto done;
        for (int64_t r = 0; r < n; r++) {
            uint32_t start = v.u.bytes.offsets[r], end = v.u.bytes.offsets[r + 1];
            if ((v.valid == NULL || v.valid[r]) && end - start == strlen(instant) &&
                memcmp(v.u.bytes.data + start, instant, end - start) == 0)
                (*own)++;
        }
    }
    ok = true;
done:
    if (!ok)
        fprintf(stderr, "  %s: %s\n", path, err.message);
    sl_parquet_reader_free(reader);
    if (file.destroy != NULL)
        file.destroy(file.ctx);
    return ok;
}

static void test_v8_fixture_commits_match_their_base_files(void)
{
    char dir[] = "/tmp/sluice-test-avro-XXXXXX", cmd[2048];
    int commits = 0, inflights = 0, stats = 0;

    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof(cmd),
             "cd %s && for z in %s/v8_*.zip; do unzip -q -o \"$z\"; done && "
             "find . -path '*/.hoodie/timeline/*' -type f ! -path '*__MACOSX*' | sort > list.txt",
             dir, SLUICE_FIXTURES_DIR);
    REQUIRE(system(cmd) == 0);
    size_t len;
    char *list = NULL;
    snprintf(cmd, sizeof(cmd), "%s/list.txt", dir);
    list = read_whole(cmd, &len);
    REQUIRE(list != NULL);
    for (char *line = strtok(list, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[4096], table[1024], time[18], completion[18];
        enum sl_hudi_action action;
        enum sl_hudi_state state;
        const char *name = strrchr(line, '/') + 1;
        size_t n;
        if (!sl_hudi_instant_parse_name(name, time, completion, &action, &state))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, line);
        char *bytes = read_whole(path, &n);
        REQUIRE(bytes != NULL);
        if (state == SL_HUDI_INFLIGHT && n > 0) { /* Avro too: any container must decode */
            struct sl_avro_container c;
            struct sl_error err = {0};
            int rc = sl_avro_container_read(bytes, n, NULL, &c, &err);
            if (rc != SL_OK)
                fprintf(stderr, "  %s: %s\n", line, err.message);
            CHECK(rc == SL_OK && json_array_size(c.records) == 1);
            sl_avro_container_free(&c);
            inflights++;
        }
        if (state != SL_HUDI_COMPLETED) {
            free(bytes);
            continue;
        }
        struct sl_hudi_commit_meta m;
        struct sl_error err = {0};
        CHECK(sl_avro_is_container(bytes, n));
        int rc = sl_hudi_commit_meta_parse_avro(bytes, n, NULL, &m, &err);
        if (rc != SL_OK)
            fprintf(stderr, "  %s: %s\n", line, err.message);
        CHECK(rc == SL_OK);
        free(bytes);
        if (rc != SL_OK)
            continue;
        commits++;
        CHECK_STR(m.operation, "UPSERT");
        CHECK(m.schema != NULL && strstr(m.schema, "\"record\"") != NULL);
        CHECK(m.nstats >= 1 && m.nreplaced == 0 && m.checkpoint == NULL);
        /* the table's base: <dir>/<line up to /.hoodie/> */
        snprintf(table, sizeof(table), "%s/%.*s", dir, (int)(strstr(line, "/.hoodie/") - line),
                 line);
        for (size_t i = 0; i < m.nstats; i++) {
            const struct sl_hudi_write_stat *s = &m.stats[i];
            struct sl_hudi_base_name base;
            struct stat st;
            int64_t rows, own;
            const char *slash = strrchr(s->path, '/');
            stats++;
            REQUIRE(s->path != NULL);
            /* the path lies in the stat's partition and names this commit's file of the group */
            CHECK(slash != NULL ? strncmp(s->path, s->partition, (size_t)(slash - s->path)) == 0 &&
                                      strlen(s->partition) == (size_t)(slash - s->path)
                                : s->partition[0] == '\0');
            CHECK(sl_hudi_base_name_parse(slash ? slash + 1 : s->path, &base));
            CHECK(base.file_id_len == strlen(s->file_id) &&
                  memcmp(base.file_id, s->file_id, base.file_id_len) == 0);
            CHECK(base.instant_len == 17 && memcmp(base.instant, time, 17) == 0);
            snprintf(path, sizeof(path), "%s/%s", table, s->path);
            REQUIRE(stat(path, &st) == 0);
            CHECK_INT(s->file_size, st.st_size);
            CHECK_INT(s->total_write_bytes, st.st_size);
            REQUIRE(base_file_rows(path, time, &rows, &own));
            CHECK_INT(s->num_writes, rows);
            /* rows this commit wrote or rewrote carry its time; the rest kept theirs */
            CHECK_INT(s->num_inserts + s->num_update_writes, own);
            CHECK_INT(s->num_deletes, 0);
            if (strcmp(s->prev_commit, "null") == 0) {
                CHECK_INT(s->num_inserts, rows);
            } else { /* the previous slice of the group exists, written by prev_commit */
                snprintf(cmd, sizeof(cmd), "ls %s/%s/%s_*_%s.parquet >/dev/null 2>&1", table,
                         s->partition, s->file_id, s->prev_commit);
                CHECK(strcmp(s->prev_commit, time) < 0 && system(cmd) == 0);
            }
        }
        sl_hudi_commit_meta_free(&m);
    }
    free(list);
    CHECK(commits == 4 && inflights == 4 && stats >= 5);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

UNIT_TESTS(UNIT_TEST(test_every_type_decodes),
           UNIT_TEST(test_floats_that_json_cannot_hold_become_strings),
           UNIT_TEST(test_recursive_schema_and_depth_limit), UNIT_TEST(test_schema_errors_are_clear),
           UNIT_TEST(test_names_and_namespaces), UNIT_TEST(test_malformed_data_is_rejected),
           UNIT_TEST(test_counts_of_empty_items_hit_the_memory_limit),
           UNIT_TEST(test_every_codec_reads_the_same_records), UNIT_TEST(test_header_metadata),
           UNIT_TEST(test_malformed_containers_are_rejected),
           UNIT_TEST(test_replace_commit_metadata_from_avro),
           UNIT_TEST(test_every_allocation_failure_is_clean),
           UNIT_TEST(test_v8_fixture_commits_match_their_base_files))

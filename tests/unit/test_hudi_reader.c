/*
 * Unit tests of the Hudi reader: instant parsing, the JSON value printer,
 * and scans of a small table built here (two commits, a promoted column, an
 * added column) including every allocation failure on the way.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parquet_json.h"
#include "sluice/hudi.h"

/* ---------------------------------------------------------------- instants */

static void test_instant_normalize(void)
{
    char out[18];
    struct sl_error err;

    CHECK_INT(sl_hudi_instant_normalize("20240418173551906", out, &err), SL_OK);
    CHECK_STR(out, "20240418173551906");
    CHECK_INT(sl_hudi_instant_normalize("20240418173551", out, &err), SL_OK);
    CHECK_STR(out, "20240418173551000");
    CHECK_INT(sl_hudi_instant_normalize("2024-04-18 17:35:51.906", out, &err), SL_OK);
    CHECK_STR(out, "20240418173551906");
    CHECK_INT(sl_hudi_instant_normalize("2024-04-18T17:35:51", out, &err), SL_OK);
    CHECK_STR(out, "20240418173551000");
    CHECK_INT(sl_hudi_instant_normalize("2024-04-18", out, &err), SL_OK);
    CHECK_STR(out, "20240418000000000");
    CHECK_INT(sl_hudi_instant_normalize("000", out, &err), SL_OK);
    CHECK_STR(out, "00000000000000000");
    CHECK_INT(sl_hudi_instant_normalize("0", out, &err), SL_OK);
    CHECK_STR(out, "00000000000000000");

    const char *bad[] = {"", "2024", "2024041817355190", "202404181735519060", "20241318173551906",
                         "20240418243551906", "2024-04-18 17:35", "2024/04/18", "x0240418173551906",
                         "2024-04-18 17:35:51.9", "00000000000000000000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_error_clear(&err);
        CHECK_INT(sl_hudi_instant_normalize(bad[i], out, &err), SL_EINVAL);
        CHECK(strstr(err.message, "instant") != NULL);
    }
    CHECK_INT(sl_hudi_instant_normalize(NULL, out, NULL), SL_EINVAL);
}

/* ---------------------------------------------------------------- JSON values */

static const char *json_of(struct sl_buf *buf, const struct sl_parquet_column_info *info,
                           const struct sl_parquet_column_values *v, size_t row)
{
    sl_buf_reset(buf);
    if (sl_parquet_json_append_value(buf, info, v, row) != SL_OK)
        return "(error)";
    return buf->data;
}

static void test_json_scalars(void)
{
    struct sl_buf buf;
    struct sl_parquet_column_info info = {0};
    struct sl_parquet_column_values v = {0};
    int32_t i32[] = {0, -1, 2147483647, (int32_t)0x80000000, 19000, -719528};
    int64_t i64[] = {0, INT64_MIN, INT64_MAX, 1713461751906000LL, -1, 86399999999LL};
    uint8_t valid[] = {1, 0, 1, 1, 1, 1};

    sl_buf_init(&buf, 1 << 20);
    info.physical = 1; /* INT32 */
    v.u.i32 = i32;
    CHECK_STR(json_of(&buf, &info, &v, 0), "0");
    CHECK_STR(json_of(&buf, &info, &v, 1), "-1");
    CHECK_STR(json_of(&buf, &info, &v, 2), "2147483647");
    CHECK_STR(json_of(&buf, &info, &v, 3), "-2147483648");
    v.valid = valid;
    CHECK_STR(json_of(&buf, &info, &v, 1), "null");
    v.valid = NULL;
    info.logical = "DATE";
    CHECK_STR(json_of(&buf, &info, &v, 4), "\"2022-01-08\"");
    CHECK_STR(json_of(&buf, &info, &v, 5), "\"0000-01-01\"");
    info.logical = "DECIMAL";
    info.scale = 2;
    CHECK_STR(json_of(&buf, &info, &v, 1), "\"-0.01\"");
    CHECK_STR(json_of(&buf, &info, &v, 4), "\"190.00\"");

    memset(&info, 0, sizeof(info));
    info.physical = 2; /* INT64 */
    v.u.i64 = i64;
    CHECK_STR(json_of(&buf, &info, &v, 1), "-9223372036854775808");
    CHECK_STR(json_of(&buf, &info, &v, 2), "9223372036854775807");
    info.logical = "TIMESTAMP";
    info.time_unit = 2;
    info.adjusted_to_utc = true;
    CHECK_STR(json_of(&buf, &info, &v, 3), "\"2024-04-18T17:35:51.906000+00\"");
    CHECK_STR(json_of(&buf, &info, &v, 4), "\"1969-12-31T23:59:59.999999+00\"");
    info.adjusted_to_utc = false;
    info.time_unit = 1;
    CHECK_STR(json_of(&buf, &info, &v, 4), "\"1969-12-31T23:59:59.999000\"");
    info.logical = "TIME";
    info.time_unit = 2;
    CHECK_STR(json_of(&buf, &info, &v, 5), "\"23:59:59.999999\"");
    sl_buf_free(&buf);
}

static void test_json_bytes(void)
{
    struct sl_buf buf;
    struct sl_parquet_column_info info = {0};
    struct sl_parquet_column_values v = {0};
    uint32_t offsets[] = {0, 3, 5, 5};
    const uint8_t data[] = {'a', '"', 'b', 0x01, 0xff};
    const uint8_t fixed[] = {0xff, 0xff, 0xfe, 0x0c, 0x00, 0x00, 0x00, 0x01};

    sl_buf_init(&buf, 1 << 20);
    info.physical = 6; /* BYTE_ARRAY */
    v.u.bytes.offsets = offsets;
    v.u.bytes.data = data;
    CHECK_STR(json_of(&buf, &info, &v, 0), "\"\\\\x612262\"");
    CHECK_STR(json_of(&buf, &info, &v, 1), "\"\\\\x01ff\"");
    CHECK_STR(json_of(&buf, &info, &v, 2), "\"\\\\x\"");
    info.logical = "STRING";
    CHECK_STR(json_of(&buf, &info, &v, 0), "\"a\\\"b\"");
    CHECK_STR(json_of(&buf, &info, &v, 2), "\"\"");

    memset(&info, 0, sizeof(info));
    memset(&v, 0, sizeof(v));
    info.physical = 7; /* FIXED_LEN_BYTE_ARRAY */
    info.type_length = 4;
    info.logical = "DECIMAL";
    info.precision = 9;
    info.scale = 3;
    v.u.fixed = fixed;
    CHECK_STR(json_of(&buf, &info, &v, 0), "\"-0.500\"");
    CHECK_STR(json_of(&buf, &info, &v, 1), "\"0.001\"");
    sl_buf_free(&buf);
}

/* The printer's float text must be what the obvious search (fewest "%.Ng" digits that read
 * back) gives: compare on awkward and random values. */
static void test_json_floats(void)
{
    struct sl_buf buf;
    struct sl_parquet_column_info info = {0};
    struct sl_parquet_column_values v = {0};
    double d[1];
    float f[1];
    char want[64];
    unsigned seed = 12345;
    int mismatches = 0;

    sl_buf_init(&buf, 1 << 20);
    for (int i = 0; i < 20000; i++) {
        double x;
        uint64_t bits = 0;
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            bits = (bits << 16) | ((seed >> 8) & 0xffff);
        }
        switch (i % 5) {
        case 0: memcpy(&x, &bits, sizeof(x)); break;
        case 1: x = (double)(bits % 1000000) / 1000.0; break;
        case 2: x = (double)(int64_t)bits; break;
        case 3: x = 1.0 / (double)(bits % 997 + 1); break;
        default: x = (double)(bits % 100) * 1e-5; break;
        }
        if (isnan(x) || isinf(x))
            continue;
        /* double */
        for (int digits = 1; digits <= 17; digits++) {
            snprintf(want, sizeof(want), "%.*g", digits, x);
            if (strtod(want, NULL) == x)
                break;
        }
        info.physical = 5;
        d[0] = x;
        v.u.f64 = d;
        if (strcmp(json_of(&buf, &info, &v, 0), want) != 0 && mismatches++ < 5)
            fprintf(stderr, "  double %.17g: got %s want %s\n", x, buf.data, want);
        /* float */
        f[0] = (float)x;
        if (isinf(f[0]))
            continue;
        for (int digits = 1; digits <= 9; digits++) {
            snprintf(want, sizeof(want), "%.*g", digits, (double)f[0]);
            if (strtof(want, NULL) == f[0])
                break;
        }
        info.physical = 4;
        v.u.f32 = f;
        if (strcmp(json_of(&buf, &info, &v, 0), want) != 0 && mismatches++ < 5)
            fprintf(stderr, "  float %.9g: got %s want %s\n", (double)f[0], buf.data, want);
    }
    CHECK_INT(mismatches, 0);
    info.physical = 5;
    d[0] = NAN;
    v.u.f64 = d;
    CHECK_STR(json_of(&buf, &info, &v, 0), "\"NaN\"");
    d[0] = -INFINITY;
    CHECK_STR(json_of(&buf, &info, &v, 0), "\"-Infinity\"");
    d[0] = -0.0;
    CHECK_STR(json_of(&buf, &info, &v, 0), "-0");
    d[0] = 1e300;
    CHECK_STR(json_of(&buf, &info, &v, 0), "1e+300");
    sl_buf_free(&buf);
}

static void test_json_row(void)
{
    struct sl_parquet_json_keys keys;
    struct sl_buf buf;
    const char *names[] = {"id", "n\"ame"};
    struct sl_parquet_column_info a = {.physical = 1}, b = {.physical = 6, .logical = "STRING"};
    const struct sl_parquet_column_info *infos[] = {&a, &b};
    int32_t ids[] = {7, 8};
    uint32_t offsets[] = {0, 1, 2};
    uint8_t valid[] = {1, 0};
    struct sl_parquet_column_values values[2] = {{0}};

    values[0].u.i32 = ids;
    values[1].u.bytes.offsets = offsets;
    values[1].u.bytes.data = (const uint8_t *)"xy";
    values[1].valid = valid;
    sl_buf_init(&buf, 1 << 20);
    REQUIRE(sl_parquet_json_keys_init(&keys, names, 2, NULL) == SL_OK);
    CHECK_INT(sl_parquet_json_append_row(&buf, &keys, infos, values, 0), SL_OK);
    CHECK_INT(sl_parquet_json_append_row(&buf, &keys, infos, values, 1), SL_OK);
    CHECK_STR(buf.data, "{\"id\":7,\"n\\\"ame\":\"x\"}\n{\"id\":8,\"n\\\"ame\":null}\n");
    sl_parquet_json_keys_free(&keys);
    sl_parquet_json_keys_free(&keys); /* twice: harmless */
    sl_buf_reset(&buf);
    REQUIRE(sl_parquet_json_keys_init(&keys, names, 0, NULL) == SL_OK);
    CHECK_INT(sl_parquet_json_append_row(&buf, &keys, infos, values, 0), SL_OK);
    CHECK_STR(buf.data, "{}\n");
    sl_parquet_json_keys_free(&keys);
    sl_buf_free(&buf);
}

/* ---------------------------------------------------------------- a table */

#define T1 "20240101000000000"
#define T2 "20240102000000000"
#define FG1_OLD "p=1/fg1-0_0-1-1_" T1 ".parquet"
#define FG1_NEW "p=1/fg1-0_0-2-2_" T2 ".parquet"
#define FG2 "p=2/fg2-0_0-1-2_" T1 ".parquet"

static char table_dir[] = "/tmp/sluice-test-hudi-reader-XXXXXX";

static const char properties[] =
    "hoodie.table.name=t\nhoodie.table.type=COPY_ON_WRITE\nhoodie.table.version=6\n"
    "hoodie.timeline.layout.version=1\nhoodie.table.recordkey.fields=id\n"
    "hoodie.table.partition.fields=p\nhoodie.datasource.write.hive_style_partitioning=true\n";

static const char schema1[] =
    "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"t_record\\\",\\\"fields\\\":["
    "{\\\"name\\\":\\\"id\\\",\\\"type\\\":[\\\"null\\\",\\\"int\\\"]},"
    "{\\\"name\\\":\\\"v\\\",\\\"type\\\":[\\\"null\\\",\\\"int\\\"]}]}";
static const char schema2[] =
    "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"t_record\\\",\\\"fields\\\":["
    "{\\\"name\\\":\\\"id\\\",\\\"type\\\":[\\\"null\\\",\\\"int\\\"]},"
    "{\\\"name\\\":\\\"v\\\",\\\"type\\\":[\\\"null\\\",\\\"long\\\"]},"
    "{\\\"name\\\":\\\"w\\\",\\\"type\\\":[\\\"null\\\",\\\"string\\\"]}]}";

static int put_text(struct sl_object_store *store, const char *key, const char *text)
{
    return store->put(store->ctx, key, text, strlen(text), NULL);
}

/* Writes a base file: meta columns, id INT32, v INT32 or INT64, and w when with_w. */
static int put_base_file(struct sl_object_store *store, const char *key, const char *partition,
                         const char *const *commit_times, const int32_t *ids, const int64_t *vs,
                         uint32_t nrows, bool v_long, bool with_w)
{
    struct sl_parquet_column_spec specs[8] = {
        {"_hoodie_commit_time", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"_hoodie_commit_seqno", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"_hoodie_record_key", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"_hoodie_partition_path", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"_hoodie_file_name", SL_PARQUET_COL_STRING, true, false, 0, 0},
        {"id", SL_PARQUET_COL_INT32, true, false, 0, 0},
        {"v", v_long ? SL_PARQUET_COL_INT64 : SL_PARQUET_COL_INT32, true, false, 0, 0},
        {"w", SL_PARQUET_COL_STRING, true, false, 0, 0},
    };
    struct sl_parquet_column_values cols[8] = {{0}};
    struct sl_parquet_writer_options options;
    struct sl_write_stream stream = {0};
    struct sl_parquet_writer *writer = NULL;
    struct sl_buf text[5];
    uint32_t offsets[5][8];
    int32_t v32[8];
    const char *file_name = strrchr(key, '/') + 1;
    char record_key[16];
    int rc;

    for (int m = 0; m < 5; m++) {
        sl_buf_init(&text[m], 4096);
        offsets[m][0] = 0;
        for (uint32_t r = 0; r < nrows; r++) {
            snprintf(record_key, sizeof(record_key), "%d", (int)ids[r]);
            const char *value = m == 0 ? commit_times[r] : m == 1 ? "seq" : m == 2 ? record_key
                                : m == 3 ? partition : file_name;
            sl_buf_append_str(&text[m], value);
            offsets[m][r + 1] = (uint32_t)text[m].len;
        }
        cols[m].u.bytes.offsets = offsets[m];
        cols[m].u.bytes.data = (const uint8_t *)text[m].data;
    }
    for (uint32_t r = 0; r < nrows; r++)
        v32[r] = (int32_t)vs[r];
    cols[5].u.i32 = ids;
    if (v_long)
        cols[6].u.i64 = vs;
    else
        cols[6].u.i32 = v32;
    cols[7].u.bytes.offsets = offsets[2];
    cols[7].u.bytes.data = (const uint8_t *)text[2].data; /* w = the record key text */
    sl_parquet_writer_options_default(&options);
    rc = store->open_write(store->ctx, key, &stream, NULL);
    if (rc == SL_OK)
        rc = sl_parquet_writer_open(specs, with_w ? 8 : 7, &options, &stream, &writer, NULL);
    if (rc == SL_OK)
        rc = sl_parquet_writer_write(writer, cols, nrows, NULL);
    if (rc == SL_OK)
        rc = sl_parquet_writer_close(writer, NULL, NULL);
    if (rc == SL_OK)
        rc = stream.finish(stream.ctx, NULL);
    sl_parquet_writer_free(writer);
    if (stream.destroy != NULL)
        stream.destroy(stream.ctx);
    for (int m = 0; m < 5; m++)
        sl_buf_free(&text[m]);
    return rc;
}

static int commit_json(struct sl_object_store *store, const char *instant, const char *stats,
                       const char *schema)
{
    char key[64], text[4096];
    snprintf(key, sizeof(key), ".hoodie/%s.commit", instant);
    snprintf(text, sizeof(text),
             "{\"partitionToWriteStats\":{%s},\"compacted\":false,"
             "\"extraMetadata\":{\"schema\":\"%s\"},\"operationType\":\"UPSERT\"}",
             stats, schema);
    return put_text(store, key, text);
}

static int build_table(struct sl_object_store *store)
{
    const char *t1[] = {T1, T1}, *t12[] = {T1, T2}, *t1_one[] = {T1};
    const int32_t ids_a[] = {1, 2}, ids_b[] = {3};
    const int64_t vs_a[] = {10, 20}, vs_new[] = {10, 5000000000LL}, vs_b[] = {30};
    int rc = put_text(store, ".hoodie/hoodie.properties", properties);
    if (rc == SL_OK)
        rc = put_base_file(store, FG1_OLD, "p=1", t1, ids_a, vs_a, 2, false, false);
    if (rc == SL_OK)
        rc = put_base_file(store, FG2, "p=2", t1_one, ids_b, vs_b, 1, false, false);
    if (rc == SL_OK)
        rc = put_text(store, ".hoodie/" T1 ".commit.requested", "");
    if (rc == SL_OK)
        rc = commit_json(store, T1,
                         "\"p=1\":[{\"fileId\":\"fg1-0\",\"path\":\"" FG1_OLD "\",\"numInserts\":2,"
                         "\"numWrites\":2,\"totalWriteBytes\":100}],"
                         "\"p=2\":[{\"fileId\":\"fg2-0\",\"path\":\"" FG2 "\",\"numInserts\":1,"
                         "\"numWrites\":1,\"totalWriteBytes\":100}]",
                         schema1);
    /* commit 2 rewrites fg1: row 1 kept (commit time T1), row 2 updated, v now long, w added */
    if (rc == SL_OK)
        rc = put_base_file(store, FG1_NEW, "p=1", t12, ids_a, vs_new, 2, true, true);
    if (rc == SL_OK)
        rc = put_text(store, ".hoodie/" T2 ".commit.requested", "");
    if (rc == SL_OK)
        rc = commit_json(store, T2,
                         "\"p=1\":[{\"fileId\":\"fg1-0\",\"path\":\"" FG1_NEW "\","
                         "\"prevCommit\":\"" T1 "\",\"numUpdateWrites\":1,\"numWrites\":2,"
                         "\"totalWriteBytes\":100}]",
                         schema2);
    /* a pending third instant whose file no query may see */
    if (rc == SL_OK)
        rc = put_text(store, ".hoodie/20240103000000000.commit.requested", "");
    if (rc == SL_OK)
        rc = put_base_file(store, "p=2/fg2-0_0-3-3_20240103000000000.parquet", "p=2", t1_one,
                           ids_b, vs_b, 1, true, true);
    return rc;
}

/* Runs a query and prints its rows as JSON into out; returns the first error. */
static int run_query(struct sl_object_store *store, const struct sl_hudi_query *q,
                     struct sl_buf *out, struct sl_error *err)
{
    struct sl_hudi_table *table = NULL;
    struct sl_hudi_scan *scan = NULL;
    struct sl_parquet_json_keys keys = {0};
    const char *names[16];
    struct sl_hudi_chunk chunk;
    int rc;

    sl_buf_reset(out);
    rc = sl_hudi_table_open(store, "", &table, err);
    if (rc == SL_OK)
        rc = sl_hudi_scan_open(table, q, &scan, err);
    if (rc != SL_OK)
        goto done;
    for (uint32_t c = 0; c < sl_hudi_scan_ncolumns(scan) && c < 16; c++)
        names[c] = sl_hudi_scan_column(scan, c)->name;
    rc = sl_parquet_json_keys_init(&keys, names, sl_hudi_scan_ncolumns(scan), err);
    while (rc == SL_OK) {
        rc = sl_hudi_scan_next(scan, &chunk, err);
        if (rc != SL_OK || chunk.end)
            break;
        for (uint32_t k = 0; k < chunk.nselected && rc == SL_OK; k++)
            rc = sl_parquet_json_append_row(out, &keys, chunk.infos, chunk.values,
                                            chunk.selected ? chunk.selected[k] : k);
    }
done:
    sl_parquet_json_keys_free(&keys);
    sl_hudi_scan_close(scan);
    sl_hudi_table_close(table);
    return rc;
}

static struct sl_object_store table_store;

static void test_table_setup(void)
{
    REQUIRE(mkdtemp(table_dir) != NULL);
    REQUIRE(sl_local_store_open(table_dir, &table_store, NULL) == SL_OK);
    REQUIRE(build_table(&table_store) == SL_OK);
}

static void test_snapshot_promotes_and_fills_missing_columns(void)
{
    struct sl_hudi_query q = {0};
    struct sl_buf out;
    struct sl_error err;

    sl_buf_init(&out, 1 << 20);
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_STR(out.data, "{\"id\":1,\"v\":10,\"w\":\"1\"}\n"
                        "{\"id\":2,\"v\":5000000000,\"w\":\"2\"}\n"
                        "{\"id\":3,\"v\":30,\"w\":null}\n");
    q.meta = true;
    const char *cols[] = {"w", "_hoodie_record_key"};
    q.columns = cols;
    q.ncolumns = 2;
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    const char *first_row =
        "{\"_hoodie_commit_time\":\"" T1 "\",\"_hoodie_commit_seqno\":\"seq\","
        "\"_hoodie_record_key\":\"1\",\"_hoodie_partition_path\":\"p=1\","
        "\"_hoodie_file_name\":\"fg1-0_0-2-2_" T2 ".parquet\",\"w\":\"1\","
        "\"_hoodie_record_key\":\"1\"}\n";
    CHECK(strncmp(out.data, first_row, strlen(first_row)) == 0);
    CHECK(strstr(out.data, "\"_hoodie_file_name\":\"fg2-0_0-1-2_" T1 ".parquet\",\"w\":null") !=
          NULL);
    sl_buf_free(&out);
}

static void test_time_travel_reads_old_slices(void)
{
    struct sl_hudi_query q = {.kind = SL_HUDI_QUERY_AS_OF, .as_of = T1};
    struct sl_buf out;
    struct sl_error err;

    sl_buf_init(&out, 1 << 20);
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_STR(out.data, "{\"id\":1,\"v\":10,\"w\":null}\n"
                        "{\"id\":2,\"v\":20,\"w\":null}\n"
                        "{\"id\":3,\"v\":30,\"w\":null}\n");
    q.as_of = "2023-12-31";
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_INT(out.len, 0);
    q.as_of = "2024-13-01";
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_EINVAL);
    sl_buf_free(&out);
}

static void test_incremental_filters_commit_time(void)
{
    struct sl_hudi_query q = {.kind = SL_HUDI_QUERY_INCREMENTAL, .since = T1};
    struct sl_buf out;
    struct sl_error err;

    sl_buf_init(&out, 1 << 20);
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_STR(out.data, "{\"id\":2,\"v\":5000000000,\"w\":\"2\"}\n");
    q.since = "000";
    q.until = T1;
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_STR(out.data, "{\"id\":1,\"v\":10,\"w\":null}\n"
                        "{\"id\":2,\"v\":20,\"w\":null}\n"
                        "{\"id\":3,\"v\":30,\"w\":null}\n");
    q.until = NULL; /* both commits: fg1's newest file, all of fg2 */
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_STR(out.data, "{\"id\":1,\"v\":10,\"w\":\"1\"}\n"
                        "{\"id\":2,\"v\":5000000000,\"w\":\"2\"}\n"
                        "{\"id\":3,\"v\":30,\"w\":null}\n");
    q.since = T2;
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_OK);
    CHECK_INT(out.len, 0);
    sl_buf_free(&out);
}

static void test_query_errors(void)
{
    struct sl_hudi_query q = {0};
    struct sl_buf out;
    struct sl_error err;
    const char *cols[] = {"id", "nope"};

    sl_buf_init(&out, 1 << 20);
    q.columns = cols;
    q.ncolumns = 2;
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_EINVAL);
    CHECK(strstr(err.message, "'nope'") != NULL && strstr(err.message, "id, v, w") != NULL);
    memset(&q, 0, sizeof(q));
    q.kind = SL_HUDI_QUERY_INCREMENTAL;
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_EINVAL);
    q.since = "yesterday";
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_EINVAL);
    CHECK(strstr(err.message, "yesterday") != NULL);
    q.kind = SL_HUDI_QUERY_SNAPSHOT;
    q.since = NULL;
    q.until = T1;
    CHECK_INT(run_query(&table_store, &q, &out, &err), SL_EINVAL);
    sl_buf_free(&out);
}

/* Every allocation of a whole query may fail: the error comes back and nothing leaks (LSan). */
static void test_allocation_failures(void)
{
    struct sl_hudi_query queries[] = {
        {.kind = SL_HUDI_QUERY_SNAPSHOT, .meta = true},
        {.kind = SL_HUDI_QUERY_INCREMENTAL, .since = "000"},
    };
    struct sl_buf out;
    struct sl_error err;

    sl_buf_init(&out, 1 << 20);
    for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
        int rc = SL_ENOMEM;
        long n;
        for (n = 1; n < 100000 && rc != SL_OK; n++) {
            sl_alloc_fail_after(n);
            rc = run_query(&table_store, &queries[k], &out, &err);
            sl_alloc_fail_after(0);
            if (rc != SL_OK && rc != SL_ENOMEM) {
                fprintf(stderr, "  query %zu, failing allocation %ld: %s\n", k, n, err.message);
                CHECK(rc == SL_ENOMEM);
                break;
            }
        }
        CHECK(rc == SL_OK);
        CHECK(n > 10);
    }
    sl_buf_free(&out);
}

static void test_table_teardown(void)
{
    char command[256];
    sl_object_store_close(&table_store);
    snprintf(command, sizeof(command), "rm -rf '%s'", table_dir);
    CHECK(system(command) == 0);
}

UNIT_TESTS(UNIT_TEST(test_instant_normalize), UNIT_TEST(test_json_scalars),
           UNIT_TEST(test_json_bytes), UNIT_TEST(test_json_floats), UNIT_TEST(test_json_row),
           UNIT_TEST(test_table_setup), UNIT_TEST(test_snapshot_promotes_and_fills_missing_columns),
           UNIT_TEST(test_time_travel_reads_old_slices),
           UNIT_TEST(test_incremental_filters_commit_time), UNIT_TEST(test_query_errors),
           UNIT_TEST(test_allocation_failures), UNIT_TEST(test_table_teardown))

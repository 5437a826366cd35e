/* Unit tests for the change model: LSN text, schemas, change-event JSON. */
#include "sluice/change.h"
#include "unit.h"

#include <stdlib.h>

static void test_lsn_round_trip(void)
{
    char text[SL_LSN_TEXT_MAX];
    sl_lsn lsn = 0;

    CHECK_STR(sl_lsn_format(0x16B374D848ULL, text), "16/B374D848");
    CHECK_STR(sl_lsn_format(0, text), "0/0");
    CHECK_STR(sl_lsn_format(UINT64_MAX, text), "FFFFFFFF/FFFFFFFF");
    CHECK(sl_lsn_parse("16/B374D848", &lsn) == SL_OK);
    CHECK(lsn == 0x16B374D848ULL);
    CHECK(sl_lsn_parse("ffffffff/ffffffff", &lsn) == SL_OK);
    CHECK(lsn == UINT64_MAX);
}

static void test_lsn_parse_rejects_junk(void)
{
    sl_lsn lsn = 7;
    const char *bad[] = {"", "/", "1/", "/1", "1/2/3", "123456789/0", "0/123456789", "g/0",
                         "1 /2", "-1/2", "1/2x"};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++)
        CHECK(sl_lsn_parse(bad[i], &lsn) == SL_EINVAL);
    CHECK(sl_lsn_parse(NULL, &lsn) == SL_EINVAL);
    CHECK(lsn == 7);
}

static struct sl_table_schema *make_schema(void)
{
    struct sl_table_schema *s = sl_table_schema_new(4);
    s->relid = 42;
    s->schema_name = sl_strdup("public");
    s->table_name = sl_strdup("t\"x");
    const char *names[] = {"id", "ok", "note", "ratio"};
    const char *types[] = {"bigint", "boolean", "text", "double precision"};
    uint32_t oids[] = {SL_PG_OID_INT8, SL_PG_OID_BOOL, SL_PG_OID_TEXT, SL_PG_OID_FLOAT8};
    for (int i = 0; i < 4; i++) {
        s->columns[i].name = sl_strdup(names[i]);
        s->columns[i].type_name = sl_strdup(types[i]);
        s->columns[i].type_oid = s->columns[i].base_type_oid = oids[i];
        s->columns[i].type_class = sl_type_class_of_oid(oids[i]);
        s->columns[i].type_mod = -1;
        s->columns[i].nullable = i != 0;
        s->columns[i].key = i == 0;
    }
    return s;
}

static struct sl_value text_value(const char *text)
{
    struct sl_value v = {SL_VALUE_TEXT, (uint32_t)strlen(text), text};
    return v;
}

static void test_schema_line(void)
{
    struct sl_table_schema *s = make_schema();
    struct sl_buf out;
    sl_buf_init(&out, 1 << 20);
    REQUIRE(sl_change_json_schema(&out, s) == SL_OK);
    CHECK_STR(out.data,
              "{\"op\":\"schema\",\"schema\":\"public\",\"table\":\"t\\\"x\",\"columns\":["
              "{\"name\":\"id\",\"type\":\"bigint\",\"nullable\":false,\"key\":true},"
              "{\"name\":\"ok\",\"type\":\"boolean\",\"nullable\":true,\"key\":false},"
              "{\"name\":\"note\",\"type\":\"text\",\"nullable\":true,\"key\":false},"
              "{\"name\":\"ratio\",\"type\":\"double precision\",\"nullable\":true,\"key\":false}"
              "]}\n");
    sl_buf_free(&out);
    sl_table_schema_free(s);
}

static void test_change_line_values(void)
{
    struct sl_table_schema *s = make_schema();
    struct sl_txn_info txn = {771, 0x1000020ULL, 0x1000050ULL, 1700000000123LL};
    struct sl_value before[4] = {text_value("7"), {SL_VALUE_ABSENT, 0, NULL},
                                 {SL_VALUE_ABSENT, 0, NULL}, {SL_VALUE_ABSENT, 0, NULL}};
    struct sl_value after[4] = {text_value("8"), text_value("t"), {SL_VALUE_UNCHANGED_TOAST, 0, NULL},
                                text_value("NaN")};
    struct sl_change change = {SL_OP_UPDATE, s, &txn, 0x1000010ULL, before, after, false, false};
    struct sl_buf out;
    sl_buf_init(&out, 1 << 20);
    REQUIRE(sl_change_json_change(&out, &change) == SL_OK);
    CHECK_STR(out.data,
              "{\"op\":\"u\",\"schema\":\"public\",\"table\":\"t\\\"x\",\"lsn\":\"0/1000010\","
              "\"commit_lsn\":\"0/1000020\",\"xid\":771,\"ts_ms\":1700000000123,"
              "\"before\":{\"id\":7},"
              "\"after\":{\"id\":8,\"ok\":true,\"note\":{\"unchanged_toast\":true},"
              "\"ratio\":\"NaN\"}}\n");

    sl_buf_reset(&out);
    after[1] = text_value("f");
    after[2] = (struct sl_value){SL_VALUE_NULL, 0, NULL};
    after[3] = text_value("-1.5e+300");
    change.op = SL_OP_INSERT;
    change.before = NULL;
    REQUIRE(sl_change_json_change(&out, &change) == SL_OK);
    CHECK(strstr(out.data, "\"before\":null,\"after\":{\"id\":8,\"ok\":false,\"note\":null,"
                           "\"ratio\":-1.5e+300}}\n") != NULL);
    sl_buf_free(&out);
    sl_table_schema_free(s);
}

static void test_prepared_schema_writes_the_same_lines(void)
{
    struct sl_table_schema *plain = make_schema(), *prepared = make_schema();
    struct sl_txn_info txn = {5, 0x10, 0x20, -1};
    struct sl_value before[4] = {text_value("1"), text_value("t"), text_value("x\"y"),
                                 text_value("2.5")};
    struct sl_value after[4] = {text_value("2"), {SL_VALUE_NULL, 0, NULL},
                                {SL_VALUE_UNCHANGED_TOAST, 0, NULL}, text_value("Infinity")};
    struct sl_buf a, b;
    sl_buf_init(&a, 1 << 20);
    sl_buf_init(&b, 1 << 20);
    sl_free(prepared->columns[2].name);
    prepared->columns[2].name = sl_strdup("n\u00e9\n");
    sl_free(plain->columns[2].name);
    plain->columns[2].name = sl_strdup("n\u00e9\n");
    REQUIRE(sl_change_json_prepare(prepared) == SL_OK);
    REQUIRE(sl_change_json_prepare(prepared) == SL_OK); /* again: replaces, no leak */
    struct sl_change c1 = {SL_OP_UPDATE, plain, &txn, 0x11, before, after, false, false};
    struct sl_change c2 = {SL_OP_UPDATE, prepared, &txn, 0x11, before, after, false, false};
    REQUIRE(sl_change_json_change(&a, &c1) == SL_OK);
    REQUIRE(sl_change_json_change(&b, &c2) == SL_OK);
    CHECK_STR(b.data, a.data);
    CHECK(strstr(a.data, "\"ts_ms\":-1,") != NULL);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_table_schema_free(plain);
    sl_table_schema_free(prepared);
}

static void test_json_string_escapes_and_utf8(void)
{
    struct sl_buf out;
    sl_buf_init(&out, 1 << 20);
    const char raw[] = "a\"b\\c\n\t\x01 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xff \xc3";
    REQUIRE(sl_json_append_string(&out, raw, sizeof(raw) - 1) == SL_OK);
    CHECK_STR(out.data, "\"a\\\"b\\\\c\\n\\t\\u0001 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                        "\\ufffd \\ufffd\"");
    sl_buf_reset(&out);
    /* overlong encodings and surrogates are not valid UTF-8 */
    REQUIRE(sl_json_append_string(&out, "\xc0\xaf\xed\xa0\x80", 5) == SL_OK);
    CHECK_STR(out.data, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
    sl_buf_free(&out);
}

static void test_json_numbers_are_validated(void)
{
    /* a float column whose text is not a JSON number is quoted, never emitted raw */
    struct sl_table_schema *s = make_schema();
    struct sl_txn_info txn = {1, 1, 2, 0};
    const char *texts[] = {"Infinity", "-Infinity", "1.", ".5", "01", "1e", "0x10"};
    for (size_t i = 0; i < SL_ARRAY_LEN(texts); i++) {
        struct sl_value after[4] = {text_value("1"), {SL_VALUE_NULL, 0, NULL},
                                    {SL_VALUE_NULL, 0, NULL}, text_value(texts[i])};
        struct sl_change change = {SL_OP_INSERT, s, &txn, 1, NULL, after, false, false};
        struct sl_buf out;
        char want[64];
        sl_buf_init(&out, 1 << 20);
        REQUIRE(sl_change_json_change(&out, &change) == SL_OK);
        snprintf(want, sizeof(want), "\"ratio\":\"%s\"}}", texts[i]);
        CHECK(strstr(out.data, want) != NULL);
        sl_buf_free(&out);
    }
    sl_table_schema_free(s);
}

static void test_schema_compare(void)
{
    struct sl_table_schema *a = make_schema(), *b = make_schema();
    CHECK(sl_table_schema_same_columns(a, b));
    b->columns[2].nullable = false;
    CHECK(!sl_table_schema_same_columns(a, b));
    b->columns[2].nullable = true;
    sl_free(b->columns[3].type_name);
    b->columns[3].type_name = sl_strdup("real");
    CHECK(!sl_table_schema_same_columns(a, b));
    sl_table_schema_free(a);
    sl_table_schema_free(b);
    sl_table_schema_free(NULL);
}

static void test_type_classes(void)
{
    CHECK(sl_type_class_of_oid(SL_PG_OID_INT4) == SL_TYPE_INT4);
    CHECK(sl_type_class_of_oid(SL_PG_OID_NUMERIC) == SL_TYPE_NUMERIC);
    CHECK(sl_type_class_of_oid(1007 /* int4[] */) == SL_TYPE_TEXT);
    CHECK(sl_type_class_is_json_literal(SL_TYPE_FLOAT4));
    CHECK(!sl_type_class_is_json_literal(SL_TYPE_NUMERIC));
}

UNIT_TESTS(UNIT_TEST(test_lsn_round_trip), UNIT_TEST(test_lsn_parse_rejects_junk),
           UNIT_TEST(test_schema_line), UNIT_TEST(test_prepared_schema_writes_the_same_lines),
           UNIT_TEST(test_change_line_values),
           UNIT_TEST(test_json_string_escapes_and_utf8), UNIT_TEST(test_json_numbers_are_validated),
           UNIT_TEST(test_schema_compare), UNIT_TEST(test_type_classes))

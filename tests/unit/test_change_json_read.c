/*
 * Unit tests for the change-event JSON reader: hand-written lines with their
 * expected deliveries, one bad line per kind of mistake, transactions, schema
 * versions, allocation failures, and a round trip through json.c's writer for
 * random schemas and values.
 */
#include "sluice/change.h"
#include "unit.h"

#include <inttypes.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- a recording sink */

/* Appends every callback as one line of text, so a test compares one string. */
struct recorder {
    struct sl_buf log;
    int schemas, begins, changes, commits;
    bool open;
    int fail_change_at; /* change number (1-based) whose callback fails, 0 = never */
    const struct sl_table_schema *last_schema;
};

static void log_value(struct sl_buf *log, const struct sl_column *column, const struct sl_value *v)
{
    switch (v->kind) {
    case SL_VALUE_ABSENT: return;
    case SL_VALUE_NULL: sl_buf_printf(log, " %s=NULL", column->name); return;
    case SL_VALUE_UNCHANGED_TOAST: sl_buf_printf(log, " %s=TOAST", column->name); return;
    case SL_VALUE_TEXT:
        sl_buf_printf(log, " %s=[%.*s]", column->name, (int)v->len, v->text);
        return;
    }
}

static int on_schema(void *ctx, const struct sl_table_schema *t, struct sl_error *err)
{
    struct recorder *rec = ctx;
    (void)err;
    rec->schemas++;
    rec->last_schema = t;
    sl_buf_printf(&rec->log, "schema %s.%s v%u relid %u:", t->schema_name, t->table_name,
                  t->version, t->relid);
    for (uint32_t i = 0; i < t->ncolumns; i++)
        sl_buf_printf(&rec->log, " %s %s%s%s", t->columns[i].name, t->columns[i].type_name,
                      t->columns[i].nullable ? "" : " notnull", t->columns[i].key ? " key" : "");
    sl_buf_putc(&rec->log, '\n');
    return SL_OK;
}

static int on_begin(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct recorder *rec = ctx;
    char lsn[SL_LSN_TEXT_MAX], end[SL_LSN_TEXT_MAX];
    (void)err;
    CHECK(!rec->open);
    rec->open = true;
    rec->begins++;
    sl_buf_printf(&rec->log, "begin xid %u commit %s end %s ts %" PRId64 "\n", txn->xid,
                  sl_lsn_format(txn->commit_lsn, lsn), sl_lsn_format(txn->end_lsn, end),
                  txn->commit_ts_ms);
    return SL_OK;
}

static int on_change(void *ctx, const struct sl_change *c, struct sl_error *err)
{
    struct recorder *rec = ctx;
    char lsn[SL_LSN_TEXT_MAX];
    CHECK(rec->open);
    rec->changes++;
    if (rec->fail_change_at == rec->changes)
        return sl_error_set(err, SL_EIO, "disk full while applying");
    sl_buf_printf(&rec->log, "%c %s.%s at %s xid %u", (char)c->op, c->table->schema_name,
                  c->table->table_name, sl_lsn_format(c->lsn, lsn), c->txn->xid);
    if (c->before != NULL) {
        sl_buf_append_str(&rec->log, " before:");
        for (uint32_t i = 0; i < c->table->ncolumns; i++)
            log_value(&rec->log, &c->table->columns[i], &c->before[i]);
    }
    if (c->after != NULL) {
        sl_buf_append_str(&rec->log, " after:");
        for (uint32_t i = 0; i < c->table->ncolumns; i++)
            log_value(&rec->log, &c->table->columns[i], &c->after[i]);
    }
    sl_buf_putc(&rec->log, '\n');
    return SL_OK;
}

static int on_commit(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct recorder *rec = ctx;
    (void)err;
    CHECK(rec->open);
    rec->open = false;
    rec->commits++;
    sl_buf_printf(&rec->log, "commit xid %u\n", txn->xid);
    return SL_OK;
}

static struct sl_change_sink recording_sink(struct recorder *rec)
{
    memset(rec, 0, sizeof(*rec));
    sl_buf_init(&rec->log, 1 << 24);
    struct sl_change_sink sink = {rec, on_schema, on_begin, on_change, on_commit};
    return sink;
}

/* Feeds an array of lines, numbered from 1, then finishes. */
static int feed_lines(struct sl_change_json_reader *r, const char *const *lines, size_t n,
                      const struct sl_change_sink *sink, struct sl_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = sl_change_json_reader_feed(r, lines[i], strlen(lines[i]), i + 1, sink, err);
        if (rc != SL_OK)
            return rc;
    }
    return sl_change_json_reader_finish(r, sink, err);
}

#define ORDERS_SCHEMA                                                                              \
    "{\"op\":\"schema\",\"schema\":\"public\",\"table\":\"orders\",\"columns\":["                 \
    "{\"name\":\"id\",\"type\":\"int8\",\"nullable\":false,\"key\":true},"                         \
    "{\"name\":\"amount\",\"type\":\"numeric(12,2)\",\"nullable\":true,\"key\":false},"            \
    "{\"name\":\"paid\",\"type\":\"bool\",\"nullable\":true,\"key\":false},"                       \
    "{\"name\":\"note\",\"type\":\"text\",\"nullable\":true,\"key\":false}]}"

/* ---------------------------------------------------------------- tests */

static void test_reads_what_tail_writes(void)
{
    static const char *const lines[] = {
        ORDERS_SCHEMA,
        "",
        "{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1526AC8\","
        "\"commit_lsn\":\"0/1526BA8\",\"xid\":729,\"ts_ms\":1764115200123,\"before\":null,"
        "\"after\":{\"id\":1,\"amount\":\"1.50\",\"paid\":true,"
        "\"note\":\"a \\\"b\\\"\\n\\u00e9\"}}",
        "{\"op\":\"u\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1526B00\","
        "\"commit_lsn\":\"0/1526BA8\",\"xid\":729,\"ts_ms\":1764115200123,\"before\":{\"id\":1},"
        "\"after\":{\"id\":3,\"amount\":null,\"paid\":false,\"note\":{\"unchanged_toast\":true}}}",
        "   ",
        "{\"op\":\"d\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"1/A\","
        "\"commit_lsn\":\"1/F0\",\"xid\":730,\"ts_ms\":-5,\"before\":{\"id\":3},\"after\":null}",
        "{\"op\":\"t\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"1/B\","
        "\"commit_lsn\":\"1/F0\",\"xid\":730,\"ts_ms\":-5,\"before\":null,\"after\":null}",
    };
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;
    struct sl_error err;

    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    CHECK_INT(feed_lines(r, lines, SL_ARRAY_LEN(lines), &sink, &err), SL_OK);
    CHECK_STR(rec.log.data,
              "schema public.orders v1 relid 1: id int8 notnull key amount numeric(12,2) paid bool "
              "note text\n"
              "begin xid 729 commit 0/1526BA8 end 0/1526BA8 ts 1764115200123\n"
              "c public.orders at 0/1526AC8 xid 729 after: id=[1] amount=[1.50] paid=[t] "
              "note=[a \"b\"\n\xc3\xa9]\n"
              "u public.orders at 0/1526B00 xid 729 before: id=[1] after: id=[3] amount=NULL "
              "paid=[f] note=TOAST\n"
              "commit xid 729\n"
              "begin xid 730 commit 1/F0 end 1/F0 ts -5\n"
              "d public.orders at 1/A xid 730 before: id=[3]\n"
              "t public.orders at 1/B xid 730\n"
              "commit xid 730\n");
    sl_change_json_reader_free(r);
    sl_buf_free(&rec.log);
}

static void test_number_literals_keep_their_text(void)
{
    static const char *const lines[] = {
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"f\",\"columns\":["
        "{\"name\":\"a\",\"type\":\"float8\",\"nullable\":true,\"key\":false},"
        "{\"name\":\"b\",\"type\":\"float4\",\"nullable\":true,\"key\":false},"
        "{\"name\":\"c\",\"type\":\"int8\",\"nullable\":true,\"key\":false},"
        "{\"name\":\"d\",\"type\":\"posint\",\"nullable\":true,\"key\":false},"
        "{\"name\":\"e\",\"type\":\"numeric\",\"nullable\":true,\"key\":false}]}",
        "{\"op\":\"r\",\"schema\":\"s\",\"table\":\"f\",\"lsn\":\"0/5\",\"commit_lsn\":\"0/5\","
        "\"xid\":0,\"ts_ms\":0,\"before\":null,\"after\":{\"a\":-1.5e+300,\"b\":\"NaN\","
        "\"c\":-9223372036854775808,\"d\":true,\"e\":1E-7}}",
        "{\"op\":\"r\",\"schema\":\"s\",\"table\":\"f\",\"lsn\":\"0/5\",\"commit_lsn\":\"0/5\","
        "\"xid\":0,\"ts_ms\":0,\"before\":null,\"after\":{\"a\":0.1,\"b\":\"-Infinity\","
        "\"c\":0,\"d\":42,\"e\":\"NaN\"}}",
    };
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;

    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    CHECK_INT(feed_lines(r, lines, SL_ARRAY_LEN(lines), &sink, NULL), SL_OK);
    /* snapshot rows: one transaction, xid 0 */
    CHECK(strstr(rec.log.data,
                 "r s.f at 0/5 xid 0 after: a=[-1.5e+300] b=[NaN] c=[-9223372036854775808] d=[t] "
                 "e=[1E-7]\n"
                 "r s.f at 0/5 xid 0 after: a=[0.1] b=[-Infinity] c=[0] d=[42] e=[NaN]\n"
                 "commit xid 0\n") != NULL);
    CHECK_INT(rec.begins, 1);
    sl_change_json_reader_free(r);
    sl_buf_free(&rec.log);
}

/* Every type spelling: class, declared OID and type_mod as PostgreSQL has them. */
static void test_type_names_give_class_oid_and_typmod(void)
{
    static const struct {
        const char *type;
        enum sl_type_class cls;
        uint32_t oid;
        int32_t mod;
    } cases[] = {
        {"bool", SL_TYPE_BOOL, 16, -1},
        {"int2", SL_TYPE_INT2, 21, -1},
        {"int4", SL_TYPE_INT4, 23, -1},
        {"int8", SL_TYPE_INT8, 20, -1},
        {"float4", SL_TYPE_FLOAT4, 700, -1},
        {"float8", SL_TYPE_FLOAT8, 701, -1},
        {"numeric(12,2)", SL_TYPE_NUMERIC, 1700, (12 << 16 | 2) + 4},   /* 786438 */
        {"numeric(38,0)", SL_TYPE_NUMERIC, 1700, (38 << 16) + 4},
        {"numeric(5)", SL_TYPE_NUMERIC, 1700, (5 << 16) + 4},
        {"numeric(5,-2)", SL_TYPE_NUMERIC, 1700, (5 << 16 | 0x7fe) + 4}, /* PostgreSQL 15 */
        {"numeric", SL_TYPE_NUMERIC, 1700, -1},
        {"text", SL_TYPE_TEXT, 25, -1},
        {"varchar(10)", SL_TYPE_TEXT, 1043, 14},
        {"varchar", SL_TYPE_TEXT, 1043, -1},
        {"bpchar(5)", SL_TYPE_TEXT, 1042, 9},
        {"bytea", SL_TYPE_BYTEA, 17, -1},
        {"date", SL_TYPE_DATE, 1082, -1},
        {"time", SL_TYPE_TIME, 1083, -1},
        {"time(3)", SL_TYPE_TIME, 1083, 3},
        {"timetz(2)", SL_TYPE_TEXT, 1266, 2},
        {"timestamp(0)", SL_TYPE_TIMESTAMP, 1114, 0},
        {"timestamp", SL_TYPE_TIMESTAMP, 1114, -1},
        {"timestamptz(3)", SL_TYPE_TIMESTAMPTZ, 1184, 3},
        {"timestamptz", SL_TYPE_TIMESTAMPTZ, 1184, -1},
        {"uuid", SL_TYPE_UUID, 2950, -1},
        {"json", SL_TYPE_JSON, 114, -1},
        {"jsonb", SL_TYPE_JSONB, 3802, -1},
        {"int4[]", SL_TYPE_TEXT, 1007, -1},
        {"text[]", SL_TYPE_TEXT, 1009, -1},
        {"varchar(10)[]", SL_TYPE_TEXT, 1015, 14},
        {"mood", SL_TYPE_TEXT, 0, -1},
        {"posint", SL_TYPE_TEXT, 0, -1},
        {"citext", SL_TYPE_TEXT, 0, -1},
        {"mood[]", SL_TYPE_TEXT, 0, -1},
        {"interval", SL_TYPE_TEXT, 0, -1},
        /* the SQL spellings of format_type */
        {"bigint", SL_TYPE_INT8, 20, -1},
        {"double precision", SL_TYPE_FLOAT8, 701, -1},
        {"character varying(7)", SL_TYPE_TEXT, 1043, 11},
        {"timestamp(3) with time zone", SL_TYPE_TIMESTAMPTZ, 1184, 3},
        {"timestamp without time zone", SL_TYPE_TIMESTAMP, 1114, -1},
        {"time with time zone", SL_TYPE_TEXT, 1266, -1},
    };
    struct sl_buf line;
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;
    struct sl_error err;

    sl_buf_init(&line, 1 << 20);
    sl_buf_append_str(&line, "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[");
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++)
        sl_buf_printf(&line,
                      "%s{\"name\":\"c%zu\",\"type\":\"%s\",\"nullable\":true,\"key\":false}",
                      i ? "," : "", i, cases[i].type);
    sl_buf_append_str(&line, "]}");
    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    REQUIRE(sl_change_json_reader_feed(r, line.data, line.len, 1, &sink, &err) == SL_OK);
    REQUIRE(rec.last_schema != NULL && rec.last_schema->ncolumns == SL_ARRAY_LEN(cases));
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        const struct sl_column *c = &rec.last_schema->columns[i];
        if (c->type_class != cases[i].cls || c->type_oid != cases[i].oid ||
            c->base_type_oid != cases[i].oid || c->type_mod != cases[i].mod) {
            fprintf(stderr, "  type %s: class %d oid %u mod %d\n", cases[i].type, c->type_class,
                    c->type_oid, c->type_mod);
            unit_current_failed = 1;
        }
    }
    /* modifiers PostgreSQL would refuse */
    static const char *const bad[] = {"numeric(0,1)", "numeric(1001)", "numeric(12,x)",
                                      "varchar(0)", "time(7)", "int4(3)", "numeric()"};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        sl_buf_reset(&line);
        sl_buf_printf(&line, "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"b\",\"columns\":"
                             "[{\"name\":\"x\",\"type\":\"%s\",\"nullable\":true,\"key\":false}]}",
                      bad[i]);
        CHECK_INT(sl_change_json_reader_feed(r, line.data, line.len, 9, &sink, &err), SL_EINVAL);
        CHECK(strstr(err.message, "line 9: ") == err.message);
        CHECK(strstr(err.message, bad[i]) != NULL);
    }
    sl_change_json_reader_free(r);
    sl_buf_free(&line);
    sl_buf_free(&rec.log);
}

static void test_transactions_follow_xid_and_commit_lsn(void)
{
    static const char *const lines[] = {
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":["
        "{\"name\":\"id\",\"type\":\"int4\",\"nullable\":false,\"key\":true}]}",
        "{\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":\"0/10\",\"commit_lsn\":\"0/30\","
        "\"xid\":5,\"ts_ms\":100,\"before\":null,\"after\":{\"id\":1}}",
        "{\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":\"0/20\",\"commit_lsn\":\"0/30\","
        "\"xid\":5,\"ts_ms\":999,\"before\":null,\"after\":{\"id\":2}}",
        /* same xid, other commit: xids wrap, so this is another transaction */
        "{\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":\"0/40\",\"commit_lsn\":\"0/50\","
        "\"xid\":5,\"ts_ms\":200,\"before\":null,\"after\":{\"id\":3}}",
        "{\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":\"0/60\",\"commit_lsn\":\"0/50\","
        "\"xid\":6,\"ts_ms\":300,\"before\":null,\"after\":{\"id\":4}}",
    };
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;

    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    for (size_t i = 0; i < SL_ARRAY_LEN(lines); i++)
        CHECK_INT(sl_change_json_reader_feed(r, lines[i], strlen(lines[i]), i + 1, &sink, NULL),
                  SL_OK);
    CHECK_INT(rec.commits, 2);
    CHECK(rec.open);
    CHECK_INT(sl_change_json_reader_finish(r, &sink, NULL), SL_OK);
    CHECK_INT(sl_change_json_reader_finish(r, &sink, NULL), SL_OK); /* nothing open: no-op */
    CHECK_INT(rec.begins, 3);
    CHECK_INT(rec.commits, 3);
    CHECK(strstr(rec.log.data, "begin xid 5 commit 0/30 end 0/30 ts 100\n") != NULL);
    CHECK(strstr(rec.log.data, "begin xid 5 commit 0/50 end 0/50 ts 200\n") != NULL);
    CHECK(strstr(rec.log.data, "begin xid 6 commit 0/50 end 0/50 ts 300\n") != NULL);
    sl_change_json_reader_free(r);
    sl_buf_free(&rec.log);

    /* NULL callbacks are skipped */
    struct sl_change_sink empty = {NULL, NULL, NULL, NULL, NULL};
    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    CHECK_INT(feed_lines(r, lines, SL_ARRAY_LEN(lines), &empty, NULL), SL_OK);
    sl_change_json_reader_free(r);
    sl_change_json_reader_free(NULL);
}

static void test_schema_versions_stay_alive(void)
{
    static const char *const v1 =
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":["
        "{\"name\":\"id\",\"type\":\"int4\",\"nullable\":false,\"key\":true}]}";
    static const char *const v2 =
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":["
        "{\"name\":\"id\",\"type\":\"int4\",\"nullable\":false,\"key\":true},"
        "{\"name\":\"extra\",\"type\":\"text\",\"nullable\":true,\"key\":false}]}";
    static const char *const other =
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"u\",\"columns\":["
        "{\"name\":\"id\",\"type\":\"int4\",\"nullable\":false,\"key\":true}]}";
    static const char *const change_v1 =
        "{\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":\"0/1\",\"commit_lsn\":\"0/2\","
        "\"xid\":1,\"ts_ms\":0,\"before\":null,\"after\":{\"id\":1,\"extra\":\"x\"}}";
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;
    struct sl_error err;
    const struct sl_table_schema *first, *second;

    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    REQUIRE(sl_change_json_reader_feed(r, v1, strlen(v1), 1, &sink, &err) == SL_OK);
    first = rec.last_schema;
    /* the column "extra" is not in v1 */
    CHECK_INT(sl_change_json_reader_feed(r, change_v1, strlen(change_v1), 2, &sink, &err),
              SL_EINVAL);
    CHECK(strstr(err.message, "unknown column \"extra\"") != NULL);
    /* a repeat is not delivered again */
    REQUIRE(sl_change_json_reader_feed(r, v1, strlen(v1), 3, &sink, &err) == SL_OK);
    CHECK_INT(rec.schemas, 1);
    REQUIRE(sl_change_json_reader_feed(r, v2, strlen(v2), 4, &sink, &err) == SL_OK);
    second = rec.last_schema;
    CHECK_INT(rec.schemas, 2);
    CHECK(second != first);
    CHECK_INT(first->version, 1);
    CHECK_INT(second->version, 2);
    CHECK_INT(first->ncolumns, 1); /* the old version is still intact */
    CHECK_STR(first->columns[0].name, "id");
    CHECK_INT(first->relid, second->relid);
    REQUIRE(sl_change_json_reader_feed(r, change_v1, strlen(change_v1), 5, &sink, &err) == SL_OK);
    REQUIRE(sl_change_json_reader_feed(r, other, strlen(other), 6, &sink, &err) == SL_OK);
    CHECK(rec.last_schema->relid != second->relid);
    CHECK_INT(rec.last_schema->version, 1);
    /* back to v1: a change of columns again, so version 3 */
    REQUIRE(sl_change_json_reader_feed(r, v1, strlen(v1), 7, &sink, &err) == SL_OK);
    CHECK_INT(rec.last_schema->version, 3);
    CHECK_INT(rec.schemas, 4);
    CHECK_INT(sl_change_json_reader_finish(r, &sink, &err), SL_OK);
    sl_change_json_reader_free(r);
    sl_buf_free(&rec.log);
}

/* Fields in any order, whitespace, unknown fields (even nested) read like the canonical line. */
static void test_key_order_whitespace_and_unknown_fields(void)
{
    static const char *const canonical[] = {
        ORDERS_SCHEMA,
        "{\"op\":\"u\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\","
        "\"commit_lsn\":\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":{\"id\":1},"
        "\"after\":{\"id\":2,\"note\":\"x\"}}",
    };
    static const char *const shuffled[] = {
        " { \"columns\" : [ {\"key\":true,\"type\":\"int8\",\"name\":\"id\",\"nullable\":false,"
        "\"comment\":{\"a\":[1,{\"b\":null}]}},"
        "{\"name\":\"amount\",\"type\":\"numeric(12,2)\",\"nullable\":true,\"key\":false},"
        "{\"name\":\"paid\",\"type\":\"bool\",\"nullable\":true,\"key\":false},"
        "{\"name\":\"note\",\"type\":\"text\",\"nullable\":true,\"key\":false}],"
        "\"table\":\"orders\",\"schema\":\"public\",\"op\":\"schema\",\"v\":2 }\t\r",
        "{\"after\":{\"note\":\"x\",\"id\":2},\"before\":{\"id\":1},"
        "\"source\":[true,false,\"\\ud83d\\ude00\"],"
        "\"xid\":7,\"ts_ms\":1,\"lsn\":\"0/1\",\"commit_lsn\":\"0/2\",\"table\":\"orders\","
        "\"schema\":\"public\",\"op\":\"u\"}",
    };
    struct recorder a, b;
    struct sl_change_sink sink_a = recording_sink(&a), sink_b = recording_sink(&b);
    struct sl_change_json_reader *ra = NULL, *rb = NULL;
    struct sl_error err;

    REQUIRE(sl_change_json_reader_new(&ra) == SL_OK);
    REQUIRE(sl_change_json_reader_new(&rb) == SL_OK);
    CHECK_INT(feed_lines(ra, canonical, 2, &sink_a, &err), SL_OK);
    CHECK_INT(feed_lines(rb, shuffled, 2, &sink_b, &err), SL_OK);
    CHECK_STR(b.log.data, a.log.data);
    CHECK_INT(a.changes, 1);
    sl_change_json_reader_free(ra);
    sl_change_json_reader_free(rb);
    sl_buf_free(&a.log);
    sl_buf_free(&b.log);
}

#define CHANGE_HEAD                                                                                \
    "{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\","                  \
    "\"commit_lsn\":\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":null,"

/* One bad line per mistake: SL_EINVAL, the line number and a word about what is wrong. */
static void test_bad_lines_are_named_and_deliver_nothing(void)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        {"not json", "one JSON object"},
        {"[1,2]", "one JSON object"},
        {"{\"op\":\"c\"", "expected ',' or '}'"},
        {"{\"op\":\"c\"} x", "unexpected bytes after the object"},
        {"{\"op\":\"x\"}", "unknown op \"x\""},
        {"{\"schema\":\"public\"}", "no \"op\" field"},
        {"{\"op\":1}", "\"op\" must be a string"},
        {"{\"op\":\"c\",\"op\":\"c\"}", "\"op\" appears twice"},
        {"{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\"}", "no \"columns\""},
        {"{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[{\"name\":\"a\","
         "\"type\":\"int4\",\"nullable\":true}]}",
         "no \"key\""},
        {"{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":["
         "{\"name\":\"a\",\"type\":\"int4\",\"nullable\":true,\"key\":false},"
         "{\"name\":\"a\",\"type\":\"text\",\"nullable\":true,\"key\":false}]}",
         "\"a\" appears twice"},
        {"{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":{}}", "must be an array"},
        {"{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[{\"name\":\"a\","
         "\"type\":\"int4\",\"nullable\":1,\"key\":false}]}",
         "must be true or false"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"nope\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "public.nope comes before any schema line"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"commit_lsn\":\"0/2\","
         "\"xid\":7,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "no \"lsn\" field"},
        {CHANGE_HEAD "\"after\":{\"id\":\"1\"}}",
         "column \"id\" (int8) of public.orders in \"after\" is a string, expected a number"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"paid\":1}}", "is a number, expected true or false"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":[1]}}", "is an array"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"amount\":true}}", "expected a number or a string"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"bogus\":1}}", "unknown column \"bogus\""},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"id\":2}}", "column \"id\" appears twice"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":{\"unchanged_toast\":false}}}",
         "invalid literal"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":{\"toast\":true}}}", "other than"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":{}}}", "is {}"},
        {CHANGE_HEAD "\"after\":{\"id\":01}}", "leading zero"},
        {CHANGE_HEAD "\"after\":{\"id\":1.}}", "no digits after '.'"},
        {CHANGE_HEAD "\"after\":{\"id\":-}}", "invalid number"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\xff\"}}", "invalid UTF-8"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\xed\xa0\x80\"}}", "invalid UTF-8"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"a\tb\"}}", "control character"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\\ud800\"}}", "without its low half"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\\udc00\"}}", "lone low surrogate"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\\u0000\"}}", "\\u0000 is not allowed"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\\x\"}}", "invalid escape"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"\\u12\"}}", "four hex digits"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"abc}}", "unterminated string"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"paid\":tru}}", "invalid literal"},
        {CHANGE_HEAD "\"after\":{\"id\":1,\"paid\":nulls}}", "invalid literal"},
        {CHANGE_HEAD "\"after\":null}", "op \"c\" needs an \"after\" row"},
        {CHANGE_HEAD "\"after\":7}", "\"after\" must be an object or null"},
        {"{\"op\":\"d\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":null,\"after\":null}",
         "op \"d\" needs a \"before\" row"},
        {"{\"op\":\"t\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "op \"t\" must have"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":{\"id\":1},\"after\":{\"id\":1}}",
         "op \"c\" must have \"before\": null"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0-1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "\"lsn\" is \"0-1\", expected a WAL position"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"123456789/0\",\"xid\":7,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "\"commit_lsn\" is \"123456789/0\""},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":-1,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "\"xid\" is -1, expected an integer in 0..4294967295"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":4294967296,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "\"xid\" is 4294967296"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7.5,\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "\"xid\" is 7.5"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":7,\"ts_ms\":9223372036854775808,\"before\":null,\"after\":{\"id\":1}}",
         "\"ts_ms\" is 9223372036854775808"},
        {"{\"op\":\"c\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":\"0/1\",\"commit_lsn\":"
         "\"0/2\",\"xid\":\"7\",\"ts_ms\":1,\"before\":null,\"after\":{\"id\":1}}",
         "\"xid\" must be a number"},
        {"{\"op\":\"c\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
         "[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
         "nested too deeply"},
    };
    static const char *const good = CHANGE_HEAD "\"after\":{\"id\":1}}";
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;
    struct sl_error err;
    char prefix[32];

    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    REQUIRE(sl_change_json_reader_feed(r, ORDERS_SCHEMA, strlen(ORDERS_SCHEMA), 1, &sink, &err) ==
            SL_OK);
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        uint64_t line_no = 100 + i;
        sl_error_clear(&err);
        int rc = sl_change_json_reader_feed(r, cases[i].line, strlen(cases[i].line), line_no,
                                            &sink, &err);
        snprintf(prefix, sizeof(prefix), "line %" PRIu64, line_no);
        if (rc != SL_EINVAL || strncmp(err.message, prefix, strlen(prefix)) != 0 ||
            strstr(err.message, cases[i].message) == NULL) {
            fprintf(stderr, "  case %zu: rc %d, message \"%s\", want \"%s\"\n", i, rc,
                    err.message, cases[i].message);
            unit_current_failed = 1;
        }
    }
    CHECK_INT(rec.schemas, 1);
    CHECK_INT(rec.begins + rec.changes + rec.commits, 0);
    /* the reader is still usable */
    CHECK_INT(sl_change_json_reader_feed(r, good, strlen(good), 999, &sink, &err), SL_OK);
    CHECK_INT(rec.changes, 1);
    /* the line ends at len, not at a NUL: a cut line is incomplete */
    CHECK_INT(sl_change_json_reader_feed(r, good, strlen(good) - 1, 1000, &sink, &err), SL_EINVAL);
    CHECK_INT(sl_change_json_reader_finish(r, &sink, &err), SL_OK);
    sl_change_json_reader_free(r);
    sl_buf_free(&rec.log);
}

static void test_sink_errors_are_passed_up_with_the_line(void)
{
    static const char *const lines[] = {
        ORDERS_SCHEMA,
        CHANGE_HEAD "\"after\":{\"id\":1}}",
        CHANGE_HEAD "\"after\":{\"id\":2}}",
    };
    struct recorder rec;
    struct sl_change_sink sink = recording_sink(&rec);
    struct sl_change_json_reader *r = NULL;
    struct sl_error err;

    rec.fail_change_at = 2;
    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    CHECK_INT(feed_lines(r, lines, SL_ARRAY_LEN(lines), &sink, &err), SL_EIO);
    CHECK_STR(err.message, "line 3: disk full while applying");
    sl_change_json_reader_free(r);
    sl_buf_free(&rec.log);
}

/* Every allocation failure gives SL_ENOMEM (never a crash or leak; ASan checks). */
static void test_allocation_failures(void)
{
    static const char *const lines[] = {
        ORDERS_SCHEMA,
        CHANGE_HEAD "\"after\":{\"id\":1,\"note\":\"esc\\u00e9aped\"}}",
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":["
        "{\"name\":\"id\",\"type\":\"int4\",\"nullable\":false,\"key\":true}]}",
        "{\"op\":\"schema\",\"schema\":\"s\",\"table\":\"t\",\"columns\":["
        "{\"name\":\"id\",\"type\":\"int8\",\"nullable\":false,\"key\":true}]}",
    };
    int failures = 0;

    for (long nth = 1; nth < 200; nth++) {
        struct recorder rec;
        struct sl_change_sink sink = recording_sink(&rec);
        struct sl_change_json_reader *r = NULL;
        struct sl_error err;
        int rc;

        sl_alloc_fail_after(nth);
        rc = sl_change_json_reader_new(&r);
        if (rc == SL_OK)
            rc = feed_lines(r, lines, SL_ARRAY_LEN(lines), &sink, &err);
        sl_alloc_fail_after(0);
        CHECK(rc == SL_OK || rc == SL_ENOMEM);
        failures += rc == SL_ENOMEM;
        sl_change_json_reader_free(r);
        sl_buf_free(&rec.log);
        if (rc == SL_OK)
            break;
    }
    CHECK(failures > 5);
}

/* ---------------------------------------------------------------- round trip */

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64* */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

static uint32_t pick(uint64_t *state, uint32_t n)
{
    return (uint32_t)(next_random(state) % n);
}

/* Types with what PostgreSQL says their OID and typmod are. */
static const struct {
    const char *name;
    uint32_t oid;
    int32_t mod;
} ROUND_TRIP_TYPES[] = {
    {"bool", 16, -1},           {"int2", 21, -1},          {"int4", 23, -1},
    {"int8", 20, -1},           {"float4", 700, -1},       {"float8", 701, -1},
    {"numeric(12,2)", 1700, 786438}, {"numeric", 1700, -1}, {"text", 25, -1},
    {"varchar(10)", 1043, 14},  {"bpchar(5)", 1042, 9},    {"bytea", 17, -1},
    {"date", 1082, -1},         {"time", 1083, -1},        {"timestamp(3)", 1114, 3},
    {"timestamptz", 1184, -1},  {"uuid", 2950, -1},        {"json", 114, -1},
    {"jsonb", 3802, -1},        {"int4[]", 1007, -1},      {"mood", 0, -1},
};

/* Random bytes of valid UTF-8 (ASCII incl. quotes, controls; 2-4 byte sequences); no NUL. */
static size_t random_text(uint64_t *state, char *out, size_t max)
{
    static const char *const pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01",
                                         "\x1f", "\x7f", "\xc3\xa9", "\xe2\x98\x83",
                                         "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "{", "}", ",", ":"};
    size_t n = 0, count = pick(state, 12);
    for (size_t i = 0; i < count; i++) {
        const char *p = pieces[pick(state, SL_ARRAY_LEN(pieces))];
        size_t len = strlen(p);
        if (n + len > max)
            break;
        memcpy(out + n, p, len);
        n += len;
    }
    return n;
}

/* A value text as tail would produce it for the class (so json.c writes the JSON type). */
static size_t random_value(uint64_t *state, enum sl_type_class cls, char *out, size_t max)
{
    static const char *const floats[] = {"0",     "-0",  "1.5",      "-1.5e+300", "5e-324",
                                         "NaN",   "Infinity", "-Infinity", "3.4028235e+38",
                                         "0.1"};
    static const char *const ints[] = {"0", "1", "-1", "32767", "-9223372036854775808", "42"};
    const char *fixed = NULL;

    switch (cls) {
    case SL_TYPE_BOOL: fixed = pick(state, 2) ? "t" : "f"; break;
    case SL_TYPE_INT2:
    case SL_TYPE_INT4:
    case SL_TYPE_INT8: fixed = ints[pick(state, SL_ARRAY_LEN(ints))]; break;
    case SL_TYPE_FLOAT4:
    case SL_TYPE_FLOAT8: fixed = floats[pick(state, SL_ARRAY_LEN(floats))]; break;
    default: return random_text(state, out, max);
    }
    size_t n = strlen(fixed);
    memcpy(out, fixed, n);
    return n;
}

struct expectation {
    const struct sl_change *want;
    const struct sl_table_schema *want_schema;
    int matched_changes, matched_schemas, mismatches;
};

static bool same_row(const struct sl_value *a, const struct sl_value *b, uint32_t n)
{
    if (a == NULL || b == NULL)
        return a == b;
    for (uint32_t i = 0; i < n; i++) {
        if (a[i].kind != b[i].kind)
            return false;
        if (a[i].kind == SL_VALUE_TEXT &&
            (a[i].len != b[i].len || memcmp(a[i].text, b[i].text, a[i].len) != 0))
            return false;
    }
    return true;
}

static int expect_schema(void *ctx, const struct sl_table_schema *t, struct sl_error *err)
{
    struct expectation *e = ctx;
    const struct sl_table_schema *w = e->want_schema;
    bool same = sl_table_schema_same_columns(t, w);
    (void)err;
    for (uint32_t i = 0; same && i < t->ncolumns; i++)
        same = t->columns[i].type_class == w->columns[i].type_class &&
               t->columns[i].base_type_oid == w->columns[i].base_type_oid;
    if (same)
        e->matched_schemas++;
    else
        e->mismatches++;
    return SL_OK;
}

static int expect_change(void *ctx, const struct sl_change *c, struct sl_error *err)
{
    struct expectation *e = ctx;
    const struct sl_change *w = e->want;
    (void)err;
    if (c->op == w->op && c->lsn == w->lsn && c->txn->xid == w->txn->xid &&
        c->txn->commit_lsn == w->txn->commit_lsn && c->txn->end_lsn == w->txn->commit_lsn &&
        c->txn->commit_ts_ms == w->txn->commit_ts_ms &&
        same_row(c->before, w->before, w->table->ncolumns) &&
        same_row(c->after, w->after, w->table->ncolumns))
        e->matched_changes++;
    else
        e->mismatches++;
    return SL_OK;
}

static void test_round_trip_random_schemas_and_values(void)
{
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    struct sl_change_json_reader *r = NULL;
    struct expectation e;
    struct sl_change_sink sink = {&e, expect_schema, NULL, expect_change, NULL};
    struct sl_buf line;
    struct sl_error err;
    char texts[2][64][64];
    int expected_changes = 0;

    memset(&e, 0, sizeof(e));
    sl_buf_init(&line, 1 << 24);
    REQUIRE(sl_change_json_reader_new(&r) == SL_OK);
    for (int round = 0; round < 300; round++) {
        uint32_t ncolumns = 1 + pick(&state, 20);
        struct sl_table_schema *t = sl_table_schema_new(ncolumns);
        char name[64];
        REQUIRE(t != NULL);
        snprintf(name, sizeof(name), "sch\"%d", round % 3);
        t->schema_name = sl_strdup(name);
        snprintf(name, sizeof(name), "t\xc3\xa9%d\n", round % 7);
        t->table_name = sl_strdup(name);
        for (uint32_t i = 0; i < ncolumns; i++) {
            uint32_t k = pick(&state, SL_ARRAY_LEN(ROUND_TRIP_TYPES));
            size_t n = random_text(&state, name, 40);
            snprintf(name + n, sizeof(name) - n, "#%u", i); /* unique */
            t->columns[i].name = sl_strdup(name);
            t->columns[i].type_name = sl_strdup(ROUND_TRIP_TYPES[k].name);
            t->columns[i].type_oid = t->columns[i].base_type_oid = ROUND_TRIP_TYPES[k].oid;
            bool array = strchr(ROUND_TRIP_TYPES[k].name, '[') != NULL;
            t->columns[i].type_class =
                array ? SL_TYPE_TEXT : sl_type_class_of_oid(ROUND_TRIP_TYPES[k].oid);
            t->columns[i].type_mod = ROUND_TRIP_TYPES[k].mod;
            t->columns[i].nullable = pick(&state, 2);
            t->columns[i].key = pick(&state, 4) == 0;
        }
        if (round % 2 == 0)
            REQUIRE(sl_change_json_prepare(t) == SL_OK);
        sl_buf_reset(&line);
        REQUIRE(sl_change_json_schema(&line, t) == SL_OK);
        e.want_schema = t;
        int schemas_before = e.matched_schemas + e.mismatches;
        REQUIRE(sl_change_json_reader_feed(r, line.data, line.len - 1, 1, &sink, &err) == SL_OK);
        /* delivered unless the same table got the very same columns before */
        CHECK(e.matched_schemas + e.mismatches - schemas_before <= 1);

        for (int c = 0; c < 5; c++) {
            static const enum sl_change_op ops[] = {SL_OP_INSERT, SL_OP_UPDATE, SL_OP_DELETE,
                                                    SL_OP_READ, SL_OP_TRUNCATE};
            struct sl_value rows[2][64];
            struct sl_txn_info txn = {(uint32_t)next_random(&state), next_random(&state),
                                      0, (int64_t)next_random(&state)};
            struct sl_change change;
            memset(&change, 0, sizeof(change));
            change.op = ops[pick(&state, SL_ARRAY_LEN(ops))];
            change.table = t;
            change.txn = &txn;
            change.lsn = next_random(&state);
            for (int w = 0; w < 2; w++) {
                for (uint32_t i = 0; i < ncolumns; i++) {
                    struct sl_value *v = &rows[w][i];
                    switch (pick(&state, 5)) {
                    case 0: *v = (struct sl_value){SL_VALUE_ABSENT, 0, NULL}; break;
                    case 1: *v = (struct sl_value){SL_VALUE_NULL, 0, NULL}; break;
                    case 2: *v = (struct sl_value){SL_VALUE_UNCHANGED_TOAST, 0, NULL}; break;
                    default:
                        v->kind = SL_VALUE_TEXT;
                        v->len = (uint32_t)random_value(&state, t->columns[i].type_class,
                                                        texts[w][i], 60);
                        v->text = texts[w][i];
                    }
                }
            }
            change.before = change.op == SL_OP_UPDATE || change.op == SL_OP_DELETE ? rows[0] : NULL;
            change.after =
                change.op == SL_OP_DELETE || change.op == SL_OP_TRUNCATE ? NULL : rows[1];
            if (change.op == SL_OP_UPDATE && pick(&state, 2))
                change.before = NULL;
            sl_buf_reset(&line);
            REQUIRE(sl_change_json_change(&line, &change) == SL_OK);
            e.want = &change;
            int rc = sl_change_json_reader_feed(r, line.data, line.len - 1, 2, &sink, &err);
            if (rc != SL_OK) {
                fprintf(stderr, "  %s\n  %s", err.message, line.data);
                unit_current_failed = 1;
            }
            expected_changes++;
        }
        /* the reader keeps its own copy of the schema */
        sl_table_schema_free(t);
    }
    CHECK_INT(e.mismatches, 0);
    CHECK_INT(e.matched_changes, expected_changes);
    CHECK(e.matched_schemas >= 21); /* 21 tables, most of them redefined many times */
    sl_change_json_reader_free(r);
    sl_buf_free(&line);
}

UNIT_TESTS(UNIT_TEST(test_reads_what_tail_writes), UNIT_TEST(test_number_literals_keep_their_text),
           UNIT_TEST(test_type_names_give_class_oid_and_typmod),
           UNIT_TEST(test_transactions_follow_xid_and_commit_lsn),
           UNIT_TEST(test_schema_versions_stay_alive),
           UNIT_TEST(test_key_order_whitespace_and_unknown_fields),
           UNIT_TEST(test_bad_lines_are_named_and_deliver_nothing),
           UNIT_TEST(test_sink_errors_are_passed_up_with_the_line),
           UNIT_TEST(test_allocation_failures),
           UNIT_TEST(test_round_trip_random_schemas_and_values))

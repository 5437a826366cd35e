/* Unit tests for the pgoutput decoder over hand-built messages. */
#include "sluice/source_pg.h"
#include "unit.h"

struct msgbuf {
    uint8_t bytes[4096];
    size_t len;
};

static void put8(struct msgbuf *m, uint8_t v)
{
    m->bytes[m->len++] = v;
}
static void put16(struct msgbuf *m, uint16_t v)
{
    put8(m, (uint8_t)(v >> 8));
    put8(m, (uint8_t)v);
}
static void put32(struct msgbuf *m, uint32_t v)
{
    put16(m, (uint16_t)(v >> 16));
    put16(m, (uint16_t)v);
}
static void put64(struct msgbuf *m, uint64_t v)
{
    put32(m, (uint32_t)(v >> 32));
    put32(m, (uint32_t)v);
}
static void putstr(struct msgbuf *m, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(m->bytes + m->len, s, n);
    m->len += n;
}
static void puttext(struct msgbuf *m, const char *s)
{
    put8(m, 't');
    put32(m, (uint32_t)strlen(s));
    memcpy(m->bytes + m->len, s, strlen(s));
    m->len += strlen(s);
}

static struct sl_arena arena = {NULL, 4096, 0};

static int decode(const struct msgbuf *m, bool in_stream, struct sl_pgoutput_msg *msg,
                  struct sl_error *err)
{
    sl_arena_reset(&arena);
    return sl_pgoutput_decode(m->bytes, m->len, in_stream, &arena, msg, err);
}

static void test_begin_commit(void)
{
    struct msgbuf m = {.len = 0};
    struct sl_pgoutput_msg msg;
    struct sl_error err;

    put8(&m, 'B');
    put64(&m, 0x0000000100000020ULL);
    put64(&m, (uint64_t)-5);
    put32(&m, 9001);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.type == SL_PGOUTPUT_BEGIN);
    CHECK(msg.u.begin.final_lsn == 0x0000000100000020ULL);
    CHECK(msg.u.begin.commit_ts == -5);
    CHECK(msg.u.begin.xid == 9001);

    m.len = 0;
    put8(&m, 'C');
    put8(&m, 0);
    put64(&m, 10);
    put64(&m, 20);
    put64(&m, 30);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.commit.commit_lsn == 10 && msg.u.commit.end_lsn == 20);
    CHECK(msg.u.commit.commit_ts == 30);
}

static void build_relation(struct msgbuf *m, bool in_stream)
{
    put8(m, 'R');
    if (in_stream)
        put32(m, 77);
    put32(m, 16384);
    putstr(m, "public");
    putstr(m, "orders");
    put8(m, 'd');
    put16(m, 2);
    put8(m, 1);
    putstr(m, "id");
    put32(m, 20);
    put32(m, (uint32_t)-1);
    put8(m, 0);
    putstr(m, "amount");
    put32(m, 1700);
    put32(m, (12 << 16 | 2) + 4);
}

static void test_relation(void)
{
    struct msgbuf m = {.len = 0};
    struct sl_pgoutput_msg msg;
    struct sl_error err;

    build_relation(&m, false);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(!msg.has_xid);
    CHECK(msg.u.relation.relid == 16384);
    CHECK_STR(msg.u.relation.nspname, "public");
    CHECK_STR(msg.u.relation.relname, "orders");
    CHECK(msg.u.relation.replica_identity == 'd');
    REQUIRE(msg.u.relation.ncolumns == 2);
    CHECK_STR(msg.u.relation.columns[0].name, "id");
    CHECK(msg.u.relation.columns[0].flags == 1);
    CHECK(msg.u.relation.columns[0].type_mod == -1);
    CHECK(msg.u.relation.columns[1].type_oid == 1700);

    m.len = 0;
    build_relation(&m, true);
    REQUIRE(decode(&m, true, &msg, &err) == SL_OK);
    CHECK(msg.has_xid && msg.xid == 77);
    /* the same bytes read outside a stream block do not parse */
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
}

static void test_insert_update_delete(void)
{
    struct msgbuf m = {.len = 0};
    struct sl_pgoutput_msg msg;
    struct sl_error err;

    put8(&m, 'I');
    put32(&m, 16384);
    put8(&m, 'N');
    put16(&m, 3);
    puttext(&m, "42");
    put8(&m, 'n');
    put8(&m, 'u');
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    REQUIRE(msg.u.insert.new_tuple.ncolumns == 3);
    CHECK(msg.u.insert.new_tuple.columns[0].kind == 't');
    CHECK(msg.u.insert.new_tuple.columns[0].len == 2);
    CHECK(memcmp(msg.u.insert.new_tuple.columns[0].data, "42", 2) == 0);
    CHECK(msg.u.insert.new_tuple.columns[1].kind == 'n');
    CHECK(msg.u.insert.new_tuple.columns[2].kind == 'u');

    m.len = 0;
    put8(&m, 'U');
    put32(&m, 16384);
    put8(&m, 'K');
    put16(&m, 1);
    puttext(&m, "1");
    put8(&m, 'N');
    put16(&m, 1);
    puttext(&m, "2");
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.update.old_kind == 'K');
    CHECK(msg.u.update.old_tuple.columns[0].data[0] == '1');
    CHECK(msg.u.update.new_tuple.columns[0].data[0] == '2');

    m.len = 0;
    put8(&m, 'U');
    put32(&m, 16384);
    put8(&m, 'N');
    put16(&m, 0);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.update.old_kind == 0);
    CHECK(msg.u.update.new_tuple.ncolumns == 0);

    m.len = 0;
    put8(&m, 'D');
    put32(&m, 5);
    put8(&m, 'O');
    put16(&m, 1);
    puttext(&m, "");
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.delete_.old_kind == 'O');
    CHECK(msg.u.delete_.old_tuple.columns[0].len == 0);
}

static void test_truncate_message_origin_type(void)
{
    struct msgbuf m = {.len = 0};
    struct sl_pgoutput_msg msg;
    struct sl_error err;

    put8(&m, 'T');
    put32(&m, 3);
    put8(&m, 1);
    put32(&m, 10);
    put32(&m, 11);
    put32(&m, 12);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.truncate.nrelids == 3 && msg.u.truncate.options == 1);
    CHECK(msg.u.truncate.relids[2] == 12);

    m.len = 0;
    put8(&m, 'M');
    put32(&m, 99);
    put8(&m, 1);
    put64(&m, 1234);
    putstr(&m, "pfx");
    put32(&m, 3);
    put8(&m, 'a');
    put8(&m, 0);
    put8(&m, 'c');
    REQUIRE(decode(&m, true, &msg, &err) == SL_OK);
    CHECK(msg.xid == 99 && msg.u.message.flags == 1 && msg.u.message.lsn == 1234);
    CHECK_STR(msg.u.message.prefix, "pfx");
    CHECK(msg.u.message.content_len == 3 && msg.u.message.content[1] == 0);

    m.len = 0;
    put8(&m, 'O');
    put64(&m, 5);
    putstr(&m, "node_a");
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK_STR(msg.u.origin.name, "node_a");

    m.len = 0;
    put8(&m, 'Y');
    put32(&m, 16500);
    putstr(&m, "public");
    putstr(&m, "mood");
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.type.type_oid == 16500);
    CHECK_STR(msg.u.type.typname, "mood");
}

static void test_stream_messages(void)
{
    struct msgbuf m = {.len = 0};
    struct sl_pgoutput_msg msg;
    struct sl_error err;

    put8(&m, 'S');
    put32(&m, 500);
    put8(&m, 1);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.stream_start.xid == 500 && msg.u.stream_start.first_segment);

    m.len = 0;
    put8(&m, 'E');
    REQUIRE(decode(&m, true, &msg, &err) == SL_OK);
    CHECK(msg.type == SL_PGOUTPUT_STREAM_STOP);

    m.len = 0;
    put8(&m, 'c');
    put32(&m, 500);
    put8(&m, 0);
    put64(&m, 100);
    put64(&m, 200);
    put64(&m, 300);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.stream_commit.xid == 500 && msg.u.stream_commit.end_lsn == 200);

    m.len = 0;
    put8(&m, 'A');
    put32(&m, 500);
    put32(&m, 501);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
    CHECK(msg.u.stream_abort.xid == 500 && msg.u.stream_abort.subxid == 501);
    /* protocol 4 adds abort LSN and timestamp */
    put64(&m, 1);
    put64(&m, 2);
    REQUIRE(decode(&m, false, &msg, &err) == SL_OK);
}

static void test_malformed_messages_are_refused(void)
{
    struct msgbuf m = {.len = 0};
    struct sl_pgoutput_msg msg;
    struct sl_error err;

    CHECK(sl_pgoutput_decode(m.bytes, 0, false, &arena, &msg, &err) == SL_EPROTO);

    /* every strict prefix of a valid insert is refused */
    put8(&m, 'I');
    put32(&m, 1);
    put8(&m, 'N');
    put16(&m, 2);
    puttext(&m, "hello");
    put8(&m, 'n');
    for (size_t cut = 0; cut < m.len; cut++)
        CHECK(sl_pgoutput_decode(m.bytes, cut, false, &arena, &msg, &err) != SL_OK);
    CHECK(sl_pgoutput_decode(m.bytes, m.len, false, &arena, &msg, &err) == SL_OK);

    /* trailing bytes */
    put8(&m, 0);
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "trailing") != NULL);

    /* a column length beyond the message */
    m.len = 0;
    put8(&m, 'I');
    put32(&m, 1);
    put8(&m, 'N');
    put16(&m, 1);
    put8(&m, 't');
    put32(&m, 0xffffffffu);
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);

    /* a column count the message cannot hold */
    m.len = 0;
    put8(&m, 'I');
    put32(&m, 1);
    put8(&m, 'N');
    put16(&m, 65535);
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);

    /* unknown tuple kind, unknown message type, bad identity, unterminated string */
    m.len = 0;
    put8(&m, 'I');
    put32(&m, 1);
    put8(&m, 'N');
    put16(&m, 1);
    put8(&m, 'x');
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
    m.len = 0;
    put8(&m, 'Z');
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
    m.len = 0;
    build_relation(&m, false);
    m.bytes[1 + 4 + 7 + 7] = 'q';
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
    m.len = 0;
    put8(&m, 'O');
    put64(&m, 5);
    put8(&m, 'a');
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
    /* truncate with a relation count larger than the message */
    m.len = 0;
    put8(&m, 'T');
    put32(&m, 0x40000000u);
    put8(&m, 0);
    put32(&m, 1);
    CHECK(decode(&m, false, &msg, &err) == SL_EPROTO);
}

UNIT_TESTS(UNIT_TEST(test_begin_commit), UNIT_TEST(test_relation),
           UNIT_TEST(test_insert_update_delete), UNIT_TEST(test_truncate_message_origin_type),
           UNIT_TEST(test_stream_messages), UNIT_TEST(test_malformed_messages_are_refused))

/*
 * pgoutput decoder: one logical replication message (protocol versions 1
 * and 2, see PostgreSQL's "Logical Replication Message Formats") to a
 * struct sl_pgoutput_msg. A pure function over (buf, len): every length is
 * checked before it is read, nothing is trusted, and it is fuzzed
 * (fuzz/fuzz_pgoutput.c).
 */
#include "sluice/source_pg.h"

#include <string.h>

struct reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    struct sl_error *err;
    char msg_type;
};

static int truncated(struct reader *r, const char *what)
{
    return sl_error_set(r->err, SL_EPROTO,
                        "pgoutput message '%c' is truncated: %s needs more than the %zu bytes left "
                        "at offset %zu of %zu",
                        r->msg_type, what, r->len - r->pos, r->pos, r->len);
}

static int read_u8(struct reader *r, const char *what, uint8_t *out)
{
    if (r->len - r->pos < 1)
        return truncated(r, what);
    *out = r->buf[r->pos++];
    return SL_OK;
}

static int read_u16(struct reader *r, const char *what, uint16_t *out)
{
    if (r->len - r->pos < 2)
        return truncated(r, what);
    *out = (uint16_t)((uint16_t)r->buf[r->pos] << 8 | r->buf[r->pos + 1]);
    r->pos += 2;
    return SL_OK;
}

static int read_u32(struct reader *r, const char *what, uint32_t *out)
{
    if (r->len - r->pos < 4)
        return truncated(r, what);
    const uint8_t *p = r->buf + r->pos;
    *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    r->pos += 4;
    return SL_OK;
}

static int read_u64(struct reader *r, const char *what, uint64_t *out)
{
    uint32_t hi = 0, lo = 0;
    int rc = read_u32(r, what, &hi);
    if (rc == SL_OK)
        rc = read_u32(r, what, &lo);
    if (rc == SL_OK)
        *out = (uint64_t)hi << 32 | lo;
    return rc;
}

static int read_i64(struct reader *r, const char *what, int64_t *out)
{
    uint64_t u = 0;
    int rc = read_u64(r, what, &u);
    if (rc == SL_OK)
        *out = (int64_t)u;
    return rc;
}

/* A NUL-terminated string inside the message; the result points into buf. */
static int read_string(struct reader *r, const char *what, const char **out)
{
    const uint8_t *start = r->buf + r->pos;
    const uint8_t *nul = memchr(start, '\0', r->len - r->pos);
    if (nul == NULL)
        return sl_error_set(r->err, SL_EPROTO,
                            "pgoutput message '%c': %s at offset %zu is not NUL-terminated",
                            r->msg_type, what, r->pos);
    *out = (const char *)start;
    r->pos += (size_t)(nul - start) + 1;
    return SL_OK;
}

static int read_tuple(struct reader *r, struct sl_arena *arena, struct sl_pgoutput_tuple *tuple)
{
    uint16_t ncolumns = 0;
    int rc = read_u16(r, "tuple column count", &ncolumns);
    if (rc != SL_OK)
        return rc;
    /* each column takes at least one byte: reject counts the message cannot hold */
    if (ncolumns > r->len - r->pos)
        return sl_error_set(r->err, SL_EPROTO,
                            "pgoutput message '%c': tuple claims %u columns but only %zu bytes "
                            "remain",
                            r->msg_type, ncolumns, r->len - r->pos);
    tuple->ncolumns = ncolumns;
    tuple->columns = sl_arena_alloc(arena, sizeof(*tuple->columns) * (ncolumns ? ncolumns : 1));
    if (tuple->columns == NULL)
        return sl_error_set(r->err, SL_ENOMEM, "out of memory decoding a tuple");
    for (uint16_t i = 0; i < ncolumns; i++) {
        struct sl_pgoutput_datum *datum = &tuple->columns[i];
        uint8_t kind = 0;
        rc = read_u8(r, "column kind", &kind);
        if (rc != SL_OK)
            return rc;
        datum->kind = (char)kind;
        datum->len = 0;
        datum->data = NULL;
        switch (kind) {
        case 'n':
        case 'u':
            break;
        case 't':
        case 'b': {
            uint32_t len = 0;
            rc = read_u32(r, "column length", &len);
            if (rc != SL_OK)
                return rc;
            if (len > r->len - r->pos)
                return sl_error_set(r->err, SL_EPROTO,
                                    "pgoutput message '%c': column %u claims %u bytes but only "
                                    "%zu remain",
                                    r->msg_type, i + 1, len, r->len - r->pos);
            datum->len = len;
            datum->data = r->buf + r->pos;
            r->pos += len;
            break;
        }
        default:
            return sl_error_set(r->err, SL_EPROTO,
                                "pgoutput message '%c': column %u has unknown kind byte 0x%02x",
                                r->msg_type, i + 1, kind);
        }
    }
    return SL_OK;
}

static int expect_tuple_marker(struct reader *r, char want)
{
    uint8_t marker = 0;
    int rc = read_u8(r, "tuple marker", &marker);
    if (rc != SL_OK)
        return rc;
    if (marker != (uint8_t)want)
        return sl_error_set(r->err, SL_EPROTO,
                            "pgoutput message '%c': expected tuple marker '%c', got 0x%02x",
                            r->msg_type, want, marker);
    return SL_OK;
}

static int decode_relation(struct reader *r, struct sl_arena *arena, struct sl_pgoutput_msg *msg)
{
    uint8_t identity = 0;
    uint16_t ncolumns = 0;
    int rc = read_u32(r, "relation id", &msg->u.relation.relid);
    if (rc == SL_OK)
        rc = read_string(r, "namespace", &msg->u.relation.nspname);
    if (rc == SL_OK)
        rc = read_string(r, "relation name", &msg->u.relation.relname);
    if (rc == SL_OK)
        rc = read_u8(r, "replica identity", &identity);
    if (rc == SL_OK)
        rc = read_u16(r, "column count", &ncolumns);
    if (rc != SL_OK)
        return rc;
    if (identity != 'd' && identity != 'n' && identity != 'f' && identity != 'i')
        return sl_error_set(r->err, SL_EPROTO,
                            "pgoutput relation message: unknown replica identity 0x%02x", identity);
    /* a column needs at least 10 bytes (flags, empty name, oid, typmod) */
    if ((size_t)ncolumns * 10 > r->len - r->pos)
        return sl_error_set(r->err, SL_EPROTO,
                            "pgoutput relation message claims %u columns but only %zu bytes remain",
                            ncolumns, r->len - r->pos);
    msg->u.relation.replica_identity = (char)identity;
    msg->u.relation.ncolumns = ncolumns;
    msg->u.relation.columns = sl_arena_alloc(arena, sizeof(struct sl_pgoutput_column) *
                                                        (ncolumns ? ncolumns : 1));
    if (msg->u.relation.columns == NULL)
        return sl_error_set(r->err, SL_ENOMEM, "out of memory decoding a relation message");
    for (uint16_t i = 0; i < ncolumns && rc == SL_OK; i++) {
        struct sl_pgoutput_column *column = &msg->u.relation.columns[i];
        uint32_t typmod = 0;
        rc = read_u8(r, "column flags", &column->flags);
        if (rc == SL_OK)
            rc = read_string(r, "column name", &column->name);
        if (rc == SL_OK)
            rc = read_u32(r, "column type", &column->type_oid);
        if (rc == SL_OK)
            rc = read_u32(r, "column type modifier", &typmod);
        column->type_mod = (int32_t)typmod;
    }
    return rc;
}

static int decode_body(struct reader *r, bool in_stream_block, struct sl_arena *arena,
                       struct sl_pgoutput_msg *msg)
{
    int rc = SL_OK;
    uint8_t flag = 0;

    switch (msg->type) {
    case SL_PGOUTPUT_RELATION:
    case SL_PGOUTPUT_TYPE:
    case SL_PGOUTPUT_INSERT:
    case SL_PGOUTPUT_UPDATE:
    case SL_PGOUTPUT_DELETE:
    case SL_PGOUTPUT_TRUNCATE:
    case SL_PGOUTPUT_MESSAGE:
        if (in_stream_block) {
            msg->has_xid = true;
            rc = read_u32(r, "transaction id", &msg->xid);
            if (rc != SL_OK)
                return rc;
        }
        break;
    default:
        break;
    }

    switch (msg->type) {
    case SL_PGOUTPUT_BEGIN:
        rc = read_u64(r, "final LSN", &msg->u.begin.final_lsn);
        if (rc == SL_OK)
            rc = read_i64(r, "commit timestamp", &msg->u.begin.commit_ts);
        if (rc == SL_OK)
            rc = read_u32(r, "transaction id", &msg->u.begin.xid);
        return rc;
    case SL_PGOUTPUT_COMMIT:
        rc = read_u8(r, "flags", &msg->u.commit.flags);
        if (rc == SL_OK)
            rc = read_u64(r, "commit LSN", &msg->u.commit.commit_lsn);
        if (rc == SL_OK)
            rc = read_u64(r, "end LSN", &msg->u.commit.end_lsn);
        if (rc == SL_OK)
            rc = read_i64(r, "commit timestamp", &msg->u.commit.commit_ts);
        return rc;
    case SL_PGOUTPUT_ORIGIN:
        rc = read_u64(r, "origin LSN", &msg->u.origin.lsn);
        if (rc == SL_OK)
            rc = read_string(r, "origin name", &msg->u.origin.name);
        return rc;
    case SL_PGOUTPUT_RELATION:
        return decode_relation(r, arena, msg);
    case SL_PGOUTPUT_TYPE:
        rc = read_u32(r, "type id", &msg->u.type.type_oid);
        if (rc == SL_OK)
            rc = read_string(r, "type namespace", &msg->u.type.nspname);
        if (rc == SL_OK)
            rc = read_string(r, "type name", &msg->u.type.typname);
        return rc;
    case SL_PGOUTPUT_INSERT:
        rc = read_u32(r, "relation id", &msg->u.insert.relid);
        if (rc == SL_OK)
            rc = expect_tuple_marker(r, 'N');
        if (rc == SL_OK)
            rc = read_tuple(r, arena, &msg->u.insert.new_tuple);
        return rc;
    case SL_PGOUTPUT_UPDATE:
        rc = read_u32(r, "relation id", &msg->u.update.relid);
        if (rc == SL_OK)
            rc = read_u8(r, "tuple marker", &flag);
        if (rc != SL_OK)
            return rc;
        msg->u.update.old_kind = 0;
        if (flag == 'K' || flag == 'O') {
            msg->u.update.old_kind = (char)flag;
            rc = read_tuple(r, arena, &msg->u.update.old_tuple);
            if (rc == SL_OK)
                rc = read_u8(r, "tuple marker", &flag);
            if (rc != SL_OK)
                return rc;
        }
        if (flag != 'N')
            return sl_error_set(r->err, SL_EPROTO,
                                "pgoutput update message: expected new tuple marker 'N', got 0x%02x",
                                flag);
        return read_tuple(r, arena, &msg->u.update.new_tuple);
    case SL_PGOUTPUT_DELETE:
        rc = read_u32(r, "relation id", &msg->u.delete_.relid);
        if (rc == SL_OK)
            rc = read_u8(r, "tuple marker", &flag);
        if (rc != SL_OK)
            return rc;
        if (flag != 'K' && flag != 'O')
            return sl_error_set(r->err, SL_EPROTO,
                                "pgoutput delete message: expected old tuple marker 'K' or 'O', "
                                "got 0x%02x",
                                flag);
        msg->u.delete_.old_kind = (char)flag;
        return read_tuple(r, arena, &msg->u.delete_.old_tuple);
    case SL_PGOUTPUT_TRUNCATE: {
        uint32_t nrelids = 0;
        rc = read_u32(r, "relation count", &nrelids);
        if (rc == SL_OK)
            rc = read_u8(r, "options", &msg->u.truncate.options);
        if (rc != SL_OK)
            return rc;
        if (nrelids > (r->len - r->pos) / 4)
            return sl_error_set(r->err, SL_EPROTO,
                                "pgoutput truncate message claims %u relations but only %zu bytes "
                                "remain",
                                nrelids, r->len - r->pos);
        msg->u.truncate.nrelids = nrelids;
        msg->u.truncate.relids = sl_arena_alloc(arena, sizeof(uint32_t) * (nrelids ? nrelids : 1));
        if (msg->u.truncate.relids == NULL)
            return sl_error_set(r->err, SL_ENOMEM, "out of memory decoding a truncate message");
        for (uint32_t i = 0; i < nrelids && rc == SL_OK; i++)
            rc = read_u32(r, "relation id", &msg->u.truncate.relids[i]);
        return rc;
    }
    case SL_PGOUTPUT_MESSAGE:
        rc = read_u8(r, "flags", &msg->u.message.flags);
        if (rc == SL_OK)
            rc = read_u64(r, "message LSN", &msg->u.message.lsn);
        if (rc == SL_OK)
            rc = read_string(r, "prefix", &msg->u.message.prefix);
        if (rc == SL_OK)
            rc = read_u32(r, "content length", &msg->u.message.content_len);
        if (rc != SL_OK)
            return rc;
        if (msg->u.message.content_len > r->len - r->pos)
            return sl_error_set(r->err, SL_EPROTO,
                                "pgoutput logical message claims %u content bytes but only %zu "
                                "remain",
                                msg->u.message.content_len, r->len - r->pos);
        msg->u.message.content = r->buf + r->pos;
        r->pos += msg->u.message.content_len;
        return SL_OK;
    case SL_PGOUTPUT_STREAM_START:
        rc = read_u32(r, "transaction id", &msg->u.stream_start.xid);
        if (rc == SL_OK)
            rc = read_u8(r, "first segment flag", &flag);
        msg->u.stream_start.first_segment = flag == 1;
        return rc;
    case SL_PGOUTPUT_STREAM_STOP:
        return SL_OK;
    case SL_PGOUTPUT_STREAM_COMMIT:
        rc = read_u32(r, "transaction id", &msg->u.stream_commit.xid);
        if (rc == SL_OK)
            rc = read_u8(r, "flags", &msg->u.stream_commit.flags);
        if (rc == SL_OK)
            rc = read_u64(r, "commit LSN", &msg->u.stream_commit.commit_lsn);
        if (rc == SL_OK)
            rc = read_u64(r, "end LSN", &msg->u.stream_commit.end_lsn);
        if (rc == SL_OK)
            rc = read_i64(r, "commit timestamp", &msg->u.stream_commit.commit_ts);
        return rc;
    case SL_PGOUTPUT_STREAM_ABORT:
        rc = read_u32(r, "transaction id", &msg->u.stream_abort.xid);
        if (rc == SL_OK)
            rc = read_u32(r, "subtransaction id", &msg->u.stream_abort.subxid);
        /* protocol 4 appends abort LSN and time: accepted and ignored */
        r->pos = r->len;
        return rc;
    }
    return sl_error_set(r->err, SL_EPROTO,
                        "pgoutput message type 0x%02x is not supported (two-phase messages need "
                        "protocol options sluice does not request)",
                        (unsigned)(uint8_t)msg->type);
}

int sl_pgoutput_decode(const uint8_t *buf, size_t len, bool in_stream_block,
                       struct sl_arena *arena, struct sl_pgoutput_msg *out, struct sl_error *err)
{
    struct reader r = {buf, len, 0, err, '?'};
    int rc;

    memset(out, 0, sizeof(*out));
    if (len == 0)
        return sl_error_set(err, SL_EPROTO, "empty pgoutput message");
    r.msg_type = (char)buf[0];
    r.pos = 1;
    out->type = (enum sl_pgoutput_msg_type)buf[0];
    rc = decode_body(&r, in_stream_block, arena, out);
    if (rc != SL_OK)
        return rc;
    if (r.pos != len)
        return sl_error_set(err, SL_EPROTO,
                            "pgoutput message '%c' has %zu unexpected trailing bytes", r.msg_type,
                            len - r.pos);
    return SL_OK;
}

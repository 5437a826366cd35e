/*
 * The replication loop: START_REPLICATION with pgoutput, one wait with the
 * earlier of two deadlines (data or the next standby status), keepalives
 * answered on request, and the flush position reported only as far as the
 * caller says is durable. Decoded messages become change events for the
 * sink; streamed (protocol 2) transactions are spooled until they commit.
 */
#include "pg_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/select.h>

/* ---------------------------------------------------------------- options, open, close */

void sl_pg_source_options_default(struct sl_pg_source_options *options)
{
    memset(options, 0, sizeof(*options));
    options->proto_version = 1;
    options->stream_memory_limit = 64u << 20;
    options->snapshot_workers = 2;
    options->snapshot_chunk_pages = 8192; /* 64 MB of heap per COPY task */
    options->status_interval_ms = 10000;
}

int sl_pg_source_open(const struct sl_pg_source_options *options, struct sl_pg_source **out,
                      struct sl_error *err)
{
    struct sl_pg_source *source = sl_calloc(1, sizeof(*source));
    int rc;

    if (source == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    source->options = *options;
    sl_u64map_init(&source->relations);
    sl_u64map_init(&source->open_streams);
    sl_arena_init(&source->msg_arena, 64 * 1024);
    if (options->snapshot && !options->create_slot) {
        rc = sl_error_set(err, SL_EINVAL,
                          "--snapshot needs --create-slot: the initial snapshot is taken when "
                          "the slot is created");
        goto fail;
    }
    if (options->proto_version != 1 && options->proto_version != 2) {
        rc = sl_error_set(err, SL_EINVAL, "protocol version %d is not supported; use 1 or 2",
                          options->proto_version);
        goto fail;
    }
    rc = sl_txn_spool_new(options->stream_memory_limit, options->spill_dir, &source->spool, err);
    if (rc == SL_OK)
        rc = sl_pg_connect(options->dsn, false, &source->sql, err);
    if (rc == SL_OK)
        rc = sl_pg_prepare(source, err);
    if (rc != SL_OK)
        goto fail;
    *out = source;
    return SL_OK;
fail:
    sl_pg_source_close(source);
    return rc;
}

void sl_pg_source_close(struct sl_pg_source *source)
{
    size_t pos = 0;
    void *value;

    if (source == NULL)
        return;
    while (sl_u64map_next(&source->relations, &pos, NULL, &value)) {
        struct sl_pg_relation *relation = value;
        sl_table_schema_free(relation->schema);
        sl_free(relation);
    }
    sl_u64map_free(&source->relations);
    sl_u64map_free(&source->open_streams);
    sl_txn_spool_free(source->spool);
    sl_arena_free(&source->msg_arena);
    sl_free(source->before_values);
    sl_free(source->after_values);
    sl_free(source->snapshot_name);
    if (source->repl != NULL)
        PQfinish(source->repl);
    if (source->sql != NULL)
        PQfinish(source->sql);
    sl_free(source);
}

void sl_pg_source_set_flush_lsn(struct sl_pg_source *source, sl_lsn lsn)
{
    if (lsn > source->flush_lsn)
        source->flush_lsn = lsn;
}

/* ---------------------------------------------------------------- wire helpers */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int64_t pg_now_us(void)
{
    return sl_clock_wall_us() - SL_PG_EPOCH_UNIX_US;
}

static int64_t pg_ts_to_unix_ms(int64_t pg_us)
{
    return (pg_us + SL_PG_EPOCH_UNIX_US) / 1000;
}

static int send_status(struct sl_pg_source *source, bool reply_requested, struct sl_error *err)
{
    uint8_t msg[34];
    sl_lsn flush = source->flush_lsn;
    sl_lsn write = source->received_lsn > flush ? source->received_lsn : flush;

    msg[0] = 'r';
    put_u64(msg + 1, write);
    put_u64(msg + 9, flush);
    put_u64(msg + 17, flush);
    put_u64(msg + 25, (uint64_t)pg_now_us());
    msg[33] = reply_requested ? 1 : 0;
    if (PQputCopyData(source->repl, (const char *)msg, sizeof(msg)) <= 0 ||
        PQflush(source->repl) != 0)
        return sl_error_set(err, SL_ECONN, "cannot send standby status to PostgreSQL: %s",
                            PQerrorMessage(source->repl));
    if (sl_log_get_level() >= SL_LOG_DEBUG) {
        char w[SL_LSN_TEXT_MAX], f[SL_LSN_TEXT_MAX];
        sl_log(SL_LOG_DEBUG, "standby_status", "write=%s flush=%s", sl_lsn_format(write, w),
               sl_lsn_format(flush, f));
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- change events */

static int relation_of(struct sl_pg_source *source, uint32_t relid,
                       const struct sl_change_sink *sink, struct sl_pg_relation **out,
                       struct sl_error *err)
{
    struct sl_pg_relation *relation = sl_u64map_get(&source->relations, relid);
    if (relation == NULL)
        return sl_error_set(err, SL_EPROTO,
                            "pgoutput sent a change for relation %u before its Relation message",
                            relid);
    if (!relation->announced) {
        int rc = sink->schema ? sink->schema(sink->ctx, relation->schema, err) : SL_OK;
        if (rc != SL_OK)
            return rc;
        relation->announced = true;
    }
    *out = relation;
    return SL_OK;
}

/* Converts a pgoutput tuple to values; an old key tuple leaves non-key columns absent. */
static int tuple_values(const struct sl_table_schema *schema,
                        const struct sl_pgoutput_tuple *tuple, bool key_only,
                        struct sl_value *values, struct sl_error *err)
{
    if (tuple->ncolumns != schema->ncolumns)
        return sl_error_set(err, SL_EPROTO,
                            "pgoutput sent %u columns for table %s.%s whose Relation message "
                            "has %u",
                            tuple->ncolumns, schema->schema_name, schema->table_name,
                            schema->ncolumns);
    for (uint32_t i = 0; i < schema->ncolumns; i++) {
        const struct sl_pgoutput_datum *datum = &tuple->columns[i];
        struct sl_value *value = &values[i];
        value->len = 0;
        value->text = NULL;
        switch (datum->kind) {
        case 'n':
            value->kind = key_only ? SL_VALUE_ABSENT : SL_VALUE_NULL;
            break;
        case 'u':
            value->kind = SL_VALUE_UNCHANGED_TOAST;
            break;
        case 't':
            value->kind = SL_VALUE_TEXT;
            value->len = datum->len;
            value->text = (const char *)datum->data;
            break;
        default:
            return sl_error_set(err, SL_EPROTO,
                                "pgoutput sent a binary value for %s.%s.%s; sluice asks for text",
                                schema->schema_name, schema->table_name, schema->columns[i].name);
        }
    }
    return SL_OK;
}

static int emit_row_change(struct sl_pg_source *source, const struct sl_change_sink *sink,
                           sl_lsn lsn, const struct sl_pgoutput_msg *msg, struct sl_error *err)
{
    struct sl_pg_relation *relation = NULL;
    struct sl_change change;
    uint32_t relid;
    int rc;

    if (!source->in_txn)
        return sl_error_set(err, SL_EPROTO, "pgoutput sent a change outside a transaction");
    relid = msg->type == SL_PGOUTPUT_INSERT   ? msg->u.insert.relid
            : msg->type == SL_PGOUTPUT_UPDATE ? msg->u.update.relid
                                              : msg->u.delete_.relid;
    rc = relation_of(source, relid, sink, &relation, err);
    if (rc != SL_OK)
        return rc;
    const struct sl_table_schema *schema = relation->schema;
    memset(&change, 0, sizeof(change));
    change.table = schema;
    change.txn = &source->txn;
    change.lsn = lsn;
    switch (msg->type) {
    case SL_PGOUTPUT_INSERT:
        change.op = SL_OP_INSERT;
        rc = tuple_values(schema, &msg->u.insert.new_tuple, false, source->after_values, err);
        change.after = source->after_values;
        break;
    case SL_PGOUTPUT_UPDATE:
        change.op = SL_OP_UPDATE;
        if (msg->u.update.old_kind != 0) {
            rc = tuple_values(schema, &msg->u.update.old_tuple, msg->u.update.old_kind == 'K',
                              source->before_values, err);
            change.before = source->before_values;
        }
        if (rc == SL_OK)
            rc = tuple_values(schema, &msg->u.update.new_tuple, false, source->after_values, err);
        change.after = source->after_values;
        break;
    default:
        change.op = SL_OP_DELETE;
        rc = tuple_values(schema, &msg->u.delete_.old_tuple, msg->u.delete_.old_kind == 'K',
                          source->before_values, err);
        change.before = source->before_values;
        break;
    }
    if (rc != SL_OK)
        return rc;
    return sink->change(sink->ctx, &change, err);
}

static int emit_truncate(struct sl_pg_source *source, const struct sl_change_sink *sink,
                         sl_lsn lsn, const struct sl_pgoutput_msg *msg, struct sl_error *err)
{
    if (!source->in_txn)
        return sl_error_set(err, SL_EPROTO, "pgoutput sent a truncate outside a transaction");
    for (uint32_t i = 0; i < msg->u.truncate.nrelids; i++) {
        struct sl_pg_relation *relation = NULL;
        struct sl_change change;
        int rc = relation_of(source, msg->u.truncate.relids[i], sink, &relation, err);
        if (rc != SL_OK)
            return rc;
        memset(&change, 0, sizeof(change));
        change.op = SL_OP_TRUNCATE;
        change.table = relation->schema;
        change.txn = &source->txn;
        change.lsn = lsn;
        change.truncate_cascade = (msg->u.truncate.options & 1) != 0;
        change.truncate_restart_identity = (msg->u.truncate.options & 2) != 0;
        rc = sink->change(sink->ctx, &change, err);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Acts on one decoded message that is not stream control. */
static int dispatch(struct sl_pg_source *source, const struct sl_change_sink *sink, sl_lsn lsn,
                    const struct sl_pgoutput_msg *msg, struct sl_error *err)
{
    int rc;

    switch (msg->type) {
    case SL_PGOUTPUT_BEGIN:
        if (source->in_txn)
            return sl_error_set(err, SL_EPROTO, "pgoutput sent Begin inside a transaction");
        source->in_txn = true;
        source->txn.xid = msg->u.begin.xid;
        source->txn.commit_lsn = msg->u.begin.final_lsn;
        source->txn.end_lsn = 0;
        source->txn.commit_ts_ms = pg_ts_to_unix_ms(msg->u.begin.commit_ts);
        return sink->begin ? sink->begin(sink->ctx, &source->txn, err) : SL_OK;
    case SL_PGOUTPUT_COMMIT:
        if (!source->in_txn)
            return sl_error_set(err, SL_EPROTO, "pgoutput sent Commit outside a transaction");
        source->txn.commit_lsn = msg->u.commit.commit_lsn;
        source->txn.end_lsn = msg->u.commit.end_lsn;
        source->txn.commit_ts_ms = pg_ts_to_unix_ms(msg->u.commit.commit_ts);
        source->in_txn = false;
        source->last_delivered_end = msg->u.commit.end_lsn;
        return sink->commit ? sink->commit(sink->ctx, &source->txn, err) : SL_OK;
    case SL_PGOUTPUT_RELATION: {
        struct sl_table_schema *schema = NULL;
        struct sl_pg_relation *relation = NULL;
        rc = sl_pg_schema_from_relation(source->sql, msg, &schema, err);
        if (rc == SL_OK)
            rc = sl_pg_relation_update(source, schema, &relation, err);
        return rc;
    }
    case SL_PGOUTPUT_INSERT:
    case SL_PGOUTPUT_UPDATE:
    case SL_PGOUTPUT_DELETE:
        return emit_row_change(source, sink, lsn, msg, err);
    case SL_PGOUTPUT_TRUNCATE:
        return emit_truncate(source, sink, lsn, msg, err);
    case SL_PGOUTPUT_TYPE:   /* types are resolved from the catalog */
    case SL_PGOUTPUT_ORIGIN: /* origins are not filtered */
    case SL_PGOUTPUT_MESSAGE:
        return SL_OK;
    default:
        return sl_error_set(err, SL_EPROTO, "unexpected pgoutput message '%c' in a transaction",
                            (char)msg->type);
    }
}

/* ---------------------------------------------------------------- streamed transactions */

struct replay_ctx {
    struct sl_pg_source *source;
    const struct sl_change_sink *sink;
};

static int replay_one(void *ctx, sl_lsn lsn, const uint8_t *bytes, size_t len,
                      struct sl_error *err)
{
    struct replay_ctx *replay = ctx;
    struct sl_pgoutput_msg msg;
    sl_arena_reset(&replay->source->msg_arena);
    int rc = sl_pgoutput_decode(bytes, len, true, &replay->source->msg_arena, &msg, err);
    if (rc == SL_OK)
        rc = dispatch(replay->source, replay->sink, lsn, &msg, err);
    return rc;
}

static int stream_commit(struct sl_pg_source *source, const struct sl_change_sink *sink,
                         const struct sl_pgoutput_msg *msg, struct sl_error *err)
{
    struct replay_ctx replay = {source, sink};
    uint32_t xid = msg->u.stream_commit.xid;
    int rc;

    if (source->in_txn)
        return sl_error_set(err, SL_EPROTO, "pgoutput sent Stream Commit inside a transaction");
    sl_u64map_remove(&source->open_streams, xid);
    source->in_txn = true;
    source->txn.xid = xid;
    source->txn.commit_lsn = msg->u.stream_commit.commit_lsn;
    source->txn.end_lsn = msg->u.stream_commit.end_lsn;
    source->txn.commit_ts_ms = pg_ts_to_unix_ms(msg->u.stream_commit.commit_ts);
    rc = sink->begin ? sink->begin(sink->ctx, &source->txn, err) : SL_OK;
    if (rc == SL_OK)
        rc = sl_txn_spool_replay(source->spool, xid, replay_one, &replay, err);
    if (rc != SL_OK)
        return rc;
    source->in_txn = false;
    source->last_delivered_end = msg->u.stream_commit.end_lsn;
    return sink->commit ? sink->commit(sink->ctx, &source->txn, err) : SL_OK;
}

/* ---------------------------------------------------------------- XLogData */

static int handle_xlogdata(struct sl_pg_source *source, const struct sl_change_sink *sink,
                           sl_lsn lsn, const uint8_t *bytes, size_t len, struct sl_error *err)
{
    struct sl_pgoutput_msg msg;
    int rc;

    sl_arena_reset(&source->msg_arena);
    rc = sl_pgoutput_decode(bytes, len, source->in_stream_block, &source->msg_arena, &msg, err);
    if (rc != SL_OK)
        return rc;
    switch (msg.type) {
    case SL_PGOUTPUT_STREAM_START:
        if (source->in_stream_block || source->in_txn)
            return sl_error_set(err, SL_EPROTO, "pgoutput sent Stream Start out of place");
        source->in_stream_block = true;
        source->stream_xid = msg.u.stream_start.xid;
        return sl_u64map_put(&source->open_streams, msg.u.stream_start.xid, source);
    case SL_PGOUTPUT_STREAM_STOP:
        if (!source->in_stream_block)
            return sl_error_set(err, SL_EPROTO, "pgoutput sent Stream Stop outside a stream");
        source->in_stream_block = false;
        return SL_OK;
    case SL_PGOUTPUT_STREAM_COMMIT:
        return stream_commit(source, sink, &msg, err);
    case SL_PGOUTPUT_STREAM_ABORT:
        if (msg.u.stream_abort.xid == msg.u.stream_abort.subxid)
            sl_u64map_remove(&source->open_streams, msg.u.stream_abort.xid);
        return sl_txn_spool_abort(source->spool, msg.u.stream_abort.xid, msg.u.stream_abort.subxid,
                                  err);
    default:
        break;
    }
    if (source->in_stream_block) {
        /* Relation messages are spooled too and replayed in order at commit,
         * as PostgreSQL's own apply worker does. */
        uint32_t sub_xid = msg.has_xid ? msg.xid : source->stream_xid;
        return sl_txn_spool_append(source->spool, source->stream_xid, sub_xid, lsn, bytes, len,
                                   err);
    }
    return dispatch(source, sink, lsn, &msg, err);
}

/* ---------------------------------------------------------------- the loop */

static int start_replication(struct sl_pg_source *source, sl_lsn start, struct sl_error *err)
{
    struct sl_buf sql, names;
    char lsn[SL_LSN_TEXT_MAX];
    char *slot = sl_pg_quote_ident(source->options.slot);
    char *publication = sl_pg_quote_ident(source->options.publication);
    PGresult *res = NULL;
    int rc;

    sl_buf_init(&sql, 1 << 16);
    sl_buf_init(&names, 1 << 16);
    rc = (slot && publication) ? SL_OK : SL_ENOMEM;
    /* the publication list is a string literal: double its single quotes */
    for (const char *p = publication; rc == SL_OK && *p; p++)
        rc = (*p == '\'') ? sl_buf_append_str(&names, "''") : sl_buf_putc(&names, *p);
    if (rc == SL_OK)
        rc = sl_buf_printf(&sql,
                           "START_REPLICATION SLOT %s LOGICAL %s (proto_version '%d'%s, "
                           "publication_names '%s')",
                           slot, sl_lsn_format(start, lsn), source->options.proto_version,
                           source->options.proto_version >= 2 ? ", streaming 'on'" : "",
                           names.data ? names.data : "");
    if (rc != SL_OK) {
        rc = sl_error_set(err, rc, "cannot build START_REPLICATION");
        goto fail;
    }
    res = PQexec(source->repl, sql.data);
    if (PQresultStatus(res) != PGRES_COPY_BOTH) {
        char message[512];
        snprintf(message, sizeof(message), "%s", PQresultErrorMessage(res));
        message[strcspn(message, "\n")] = '\0';
        rc = sl_error_set(err, SL_EPEER, "START_REPLICATION on slot \"%s\" failed: %s",
                          source->options.slot, message);
        goto fail;
    }
    sl_log(SL_LOG_INFO, "replication_started", "slot=%s start_lsn=%s proto=%d",
           source->options.slot, lsn, source->options.proto_version);
fail:
    PQclear(res);
    sl_free(slot);
    sl_free(publication);
    sl_buf_free(&sql);
    sl_buf_free(&names);
    return rc;
}

static int wait_socket(struct sl_pg_source *source, int64_t timeout_ms, struct sl_error *err)
{
    int fd = PQsocket(source->repl);
    fd_set readable;
    struct timeval tv;

    if (fd < 0)
        return sl_error_set(err, SL_ECONN, "replication connection has no socket");
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    tv.tv_sec = (time_t)(timeout_ms / 1000);
    tv.tv_usec = (suseconds_t)((timeout_ms % 1000) * 1000);
    if (select(fd + 1, &readable, NULL, NULL, &tv) < 0 && errno != EINTR)
        return sl_error_set(err, SL_EIO, "select on the replication socket failed: %s",
                            strerror(errno));
    if (PQconsumeInput(source->repl) == 0)
        return sl_error_set(err, SL_ECONN, "replication connection broke: %s",
                            PQerrorMessage(source->repl));
    return SL_OK;
}

static int stream_end_error(struct sl_pg_source *source, struct sl_error *err)
{
    PGresult *res = PQgetResult(source->repl);
    char message[512] = "the server ended the replication stream";
    if (res != NULL && PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultErrorMessage(res)[0] != '\0') {
        snprintf(message, sizeof(message), "%s", PQresultErrorMessage(res));
        message[strcspn(message, "\n")] = '\0';
    } else if (PQstatus(source->repl) != CONNECTION_OK) {
        snprintf(message, sizeof(message), "%s", PQerrorMessage(source->repl));
        message[strcspn(message, "\n")] = '\0';
    }
    PQclear(res);
    return sl_error_set(err, SL_ECONN, "replication stream ended: %s", message);
}

static int stream_loop(struct sl_pg_source *source, const struct sl_change_sink *sink,
                       volatile sig_atomic_t *stop, struct sl_error *err)
{
    int64_t next_status = sl_clock_monotonic_ms() + source->options.status_interval_ms;
    int rc = SL_OK;

    for (;;) {
        char *copybuf = NULL;
        int64_t now = sl_clock_monotonic_ms();

        if (stop != NULL && *stop) {
            rc = SL_EINTR;
            break;
        }
        if (now >= next_status) {
            rc = send_status(source, false, err);
            if (rc != SL_OK)
                break;
            next_status = now + source->options.status_interval_ms;
        }
        int n = PQgetCopyData(source->repl, &copybuf, 1);
        if (n == 0) {
            int64_t timeout = next_status - now;
            rc = wait_socket(source, timeout < 0 ? 0 : SL_MIN(timeout, 1000), err);
            if (rc != SL_OK)
                break;
            continue;
        }
        if (n == -1) {
            rc = stream_end_error(source, err);
            break;
        }
        if (n < 0) {
            rc = sl_error_set(err, SL_ECONN, "reading the replication stream failed: %s",
                              PQerrorMessage(source->repl));
            break;
        }
        const uint8_t *bytes = (const uint8_t *)copybuf;
        size_t len = (size_t)n;
        if (bytes[0] == 'k' && len >= 18) {
            sl_lsn wal_end = get_u64(bytes + 1);
            bool reply = bytes[17] != 0;
            if (wal_end > source->received_lsn)
                source->received_lsn = wal_end;
            /* Nothing pending: acknowledging the server's position lets an idle
             * slot release WAL (DESIGN.md invariant 2). */
            if (source->ack_idle && !source->in_txn && !source->in_stream_block &&
                source->open_streams.count == 0 && source->flush_lsn >= source->last_delivered_end)
                sl_pg_source_set_flush_lsn(source, wal_end);
            if (reply) {
                rc = send_status(source, false, err);
                next_status = sl_clock_monotonic_ms() + source->options.status_interval_ms;
            }
        } else if (bytes[0] == 'w' && len >= 25) {
            sl_lsn data_start = get_u64(bytes + 1);
            sl_lsn wal_end = get_u64(bytes + 9);
            if (wal_end > source->received_lsn)
                source->received_lsn = wal_end;
            rc = handle_xlogdata(source, sink, data_start, bytes + 25, len - 25, err);
        } else {
            rc = sl_error_set(err, SL_EPROTO,
                              "unexpected replication message type 0x%02x of %zu bytes",
                              bytes[0], len);
        }
        PQfreemem(copybuf);
        if (rc != SL_OK)
            break;
    }
    /* Tell the server what is durable before leaving, whatever stopped us. */
    if (PQstatus(source->repl) == CONNECTION_OK) {
        struct sl_error ignored;
        send_status(source, false, &ignored);
    }
    return rc;
}

int sl_pg_source_run(struct sl_pg_source *source, const struct sl_change_sink *sink,
                     volatile sig_atomic_t *stop, struct sl_error *err)
{
    sl_lsn start = source->options.start_lsn;
    int rc;

    if (source->snapshot_name != NULL) {
        rc = sl_pg_snapshot_run(source, sink, stop, err);
        if (rc != SL_OK)
            return rc;
    }
    if (start == 0 && source->slot_created)
        start = source->consistent_point;
    rc = start_replication(source, start, err);
    if (rc != SL_OK)
        return rc;
    return stream_loop(source, sink, stop, err);
}

void sl_pg_source_set_ack_idle(struct sl_pg_source *source, bool enabled)
{
    source->ack_idle = enabled;
}

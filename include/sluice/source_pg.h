/*
 * source/pg: PostgreSQL change capture by logical replication (pgoutput)
 * with a consistent initial snapshot. Three layers:
 *   - pure codecs over bytes (pgoutput messages, binary COPY rows, binary
 *     values to PostgreSQL text form): no I/O, fuzzed;
 *   - a spool for large in-progress transactions streamed by protocol 2;
 *   - the source itself: connection, slot and publication management,
 *     initial snapshot, replication loop, standby status.
 */
#ifndef SLUICE_SOURCE_PG_H
#define SLUICE_SOURCE_PG_H

#include <signal.h>

#include "sluice/change.h"

/* PostgreSQL timestamps count microseconds from 2000-01-01 00:00:00 UTC. */
#define SL_PG_EPOCH_UNIX_US INT64_C(946684800000000)

/* ======================================================== pgoutput decoder */

enum sl_pgoutput_msg_type {
    SL_PGOUTPUT_BEGIN = 'B',
    SL_PGOUTPUT_COMMIT = 'C',
    SL_PGOUTPUT_ORIGIN = 'O',
    SL_PGOUTPUT_RELATION = 'R',
    SL_PGOUTPUT_TYPE = 'Y',
    SL_PGOUTPUT_INSERT = 'I',
    SL_PGOUTPUT_UPDATE = 'U',
    SL_PGOUTPUT_DELETE = 'D',
    SL_PGOUTPUT_TRUNCATE = 'T',
    SL_PGOUTPUT_MESSAGE = 'M',
    SL_PGOUTPUT_STREAM_START = 'S',
    SL_PGOUTPUT_STREAM_STOP = 'E',
    SL_PGOUTPUT_STREAM_COMMIT = 'c',
    SL_PGOUTPUT_STREAM_ABORT = 'A',
};

/* A column value of a tuple: kind 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary. */
struct sl_pgoutput_datum {
    char kind;
    uint32_t len;
    const uint8_t *data; /* borrowed from the message bytes */
};

struct sl_pgoutput_tuple {
    uint16_t ncolumns;
    struct sl_pgoutput_datum *columns; /* in the decode arena */
};

struct sl_pgoutput_column {
    uint8_t flags;    /* 1 = part of the replica identity key */
    const char *name; /* NUL-terminated, in the message bytes */
    uint32_t type_oid;
    int32_t type_mod;
};

/*
 * A decoded message. Arrays (columns, tuples, relids) live in the arena given
 * to the decoder; strings and datum bytes point into the message buffer
 * (strings are NUL-terminated there). Both stay valid until the caller resets
 * the arena or frees the buffer.
 */
struct sl_pgoutput_msg {
    enum sl_pgoutput_msg_type type;
    bool has_xid; /* streamed messages inside a stream block carry their (sub)transaction id */
    uint32_t xid;
    union {
        struct {
            sl_lsn final_lsn;
            int64_t commit_ts; /* PostgreSQL epoch microseconds */
            uint32_t xid;
        } begin;
        struct {
            uint8_t flags;
            sl_lsn commit_lsn;
            sl_lsn end_lsn;
            int64_t commit_ts;
        } commit;
        struct {
            sl_lsn lsn;
            const char *name;
        } origin;
        struct {
            uint32_t relid;
            const char *nspname;
            const char *relname;
            char replica_identity;
            uint16_t ncolumns;
            struct sl_pgoutput_column *columns;
        } relation;
        struct {
            uint32_t type_oid;
            const char *nspname;
            const char *typname;
        } type;
        struct {
            uint32_t relid;
            struct sl_pgoutput_tuple new_tuple;
        } insert;
        struct {
            uint32_t relid;
            char old_kind; /* 0 (none), 'K' (old key) or 'O' (old row) */
            struct sl_pgoutput_tuple old_tuple;
            struct sl_pgoutput_tuple new_tuple;
        } update;
        struct {
            uint32_t relid;
            char old_kind; /* 'K' or 'O' */
            struct sl_pgoutput_tuple old_tuple;
        } delete_;
        struct {
            uint8_t options; /* 1 = CASCADE, 2 = RESTART IDENTITY */
            uint32_t nrelids;
            uint32_t *relids;
        } truncate;
        struct {
            uint8_t flags; /* 1 = transactional */
            sl_lsn lsn;
            const char *prefix;
            uint32_t content_len;
            const uint8_t *content;
        } message;
        struct {
            uint32_t xid;
            bool first_segment;
        } stream_start;
        struct {
            uint32_t xid;
            uint8_t flags;
            sl_lsn commit_lsn;
            sl_lsn end_lsn;
            int64_t commit_ts;
        } stream_commit;
        struct {
            uint32_t xid;
            uint32_t subxid;
        } stream_abort;
    } u;
};

/*
 * Decodes one pgoutput message (the payload of an XLogData message).
 * `in_stream_block` says whether the message arrived between Stream Start and
 * Stream Stop (then data messages carry an xid). Pure: checks every length,
 * never trusts the input; malformed input returns SL_EPROTO with the reason.
 */
int sl_pgoutput_decode(const uint8_t *buf, size_t len, bool in_stream_block,
                       struct sl_arena *arena, struct sl_pgoutput_msg *out /* out */,
                       struct sl_error *err);

/* ======================================================== binary COPY */

enum {
    SL_COPY_ROW = 1,       /* a row was parsed into fields */
    SL_COPY_NEED_MORE = 2, /* not enough bytes for the next row: append more and call again */
    SL_COPY_END = 3,       /* the trailer was read */
};

struct sl_copy_binary_state {
    bool header_done;
    bool ended;
};

struct sl_copy_field {
    int32_t len;         /* -1 = NULL */
    const uint8_t *data; /* borrowed from buf */
};

/*
 * Parses the next piece of a binary COPY stream (PostgreSQL's "COPY BINARY"
 * file format) from buf[0..len): the header once, then one row per call, then
 * the trailer. On SL_COPY_ROW, fields[0..*nfields) point into buf and
 * *consumed tells how many bytes the row used. A row with more than
 * max_fields fields is an error. Pure; returns a negative SL_E* on malformed
 * input (offsets in messages count from the start of buf). After the trailer
 * every call returns SL_COPY_END with nothing consumed. A field may claim up
 * to 2 GiB, so a caller that grows its buffer on NEED_MORE must bound it.
 */
int sl_copy_binary_next(struct sl_copy_binary_state *state, const uint8_t *buf, size_t len,
                        size_t *consumed /* out */, struct sl_copy_field *fields,
                        uint16_t max_fields, uint16_t *nfields /* out */, struct sl_error *err);

/* ======================================================== binary -> text */

/* True when sl_pg_text_from_binary can convert values of this base type. */
bool sl_pg_text_binary_supported(uint32_t base_type_oid);

/*
 * Appends the PostgreSQL text form (as a server with DateStyle=ISO,
 * TimeZone=UTC, extra_float_digits=1 prints it) of a value in binary send
 * format. Pure; SL_EPROTO on malformed bytes, SL_EINVAL for an unsupported type.
 */
int sl_pg_text_from_binary(uint32_t base_type_oid, const uint8_t *bin, size_t len,
                           struct sl_buf *out, struct sl_error *err);

/* ======================================================== transaction spool */

/*
 * Buffers the messages of in-progress transactions streamed by pgoutput
 * protocol 2 until Stream Commit or Stream Abort. Message memory is capped
 * across all transactions (plus a fixed 128 KiB of I/O buffers); the
 * transaction holding the most memory spills to an unlinked temp file in
 * `spill_dir` (checked at creation: SL_ECONFIG if missing or not writable).
 * An I/O error that loses bytes poisons that transaction: later appends and
 * its replay fail with SL_EIO. Messages over 4 GB fail with SL_ELIMIT. An
 * unknown top_xid replays or aborts nothing and returns 0. Single-threaded.
 */
struct sl_txn_spool;

/* Caller owns the spool. spill_dir NULL means $TMPDIR or /tmp. */
int sl_txn_spool_new(size_t memory_limit, const char *spill_dir, struct sl_txn_spool **out,
                     struct sl_error *err);
void sl_txn_spool_free(struct sl_txn_spool *spool); /* accepts NULL */

/* Appends one message of subtransaction sub_xid (== top_xid for the top level). */
int sl_txn_spool_append(struct sl_txn_spool *spool, uint32_t top_xid, uint32_t sub_xid,
                        sl_lsn lsn, const uint8_t *msg, size_t len, struct sl_error *err);

/*
 * Discards what a Stream Abort discards: everything of top_xid when
 * sub_xid == top_xid, else the messages from sub_xid's first one on
 * (subtransactions nest, so later ones belong to the aborted one).
 */
int sl_txn_spool_abort(struct sl_txn_spool *spool, uint32_t top_xid, uint32_t sub_xid,
                       struct sl_error *err);

typedef int (*sl_txn_spool_replay_fn)(void *ctx, sl_lsn lsn, const uint8_t *msg, size_t len,
                                      struct sl_error *err);

/* Calls fn for each message of top_xid in order, then discards them. The
 * message bytes are borrowed, valid during the callback only; the callback
 * must not call into the spool. */
int sl_txn_spool_replay(struct sl_txn_spool *spool, uint32_t top_xid, sl_txn_spool_replay_fn fn,
                        void *ctx, struct sl_error *err);

/* Bytes held in memory / in spill files, for metrics and tests. */
size_t sl_txn_spool_memory_bytes(const struct sl_txn_spool *spool);
uint64_t sl_txn_spool_spilled_bytes(const struct sl_txn_spool *spool);

/* ======================================================== the source */

struct sl_pg_source_options {
    const char *dsn;         /* libpq connection string */
    const char *slot;        /* replication slot name */
    const char *publication; /* publication name */
    const char **tables;     /* NULL-terminated "schema.table" list for a new publication; NULL = all */
    bool create_slot;        /* create slot/publication when missing */
    bool snapshot;           /* initial snapshot (requires creating the slot) */
    int proto_version;       /* 1, or 2 = streaming of large transactions */
    sl_lsn start_lsn;        /* 0 = the slot's confirmed position */
    size_t stream_memory_limit; /* spool memory cap for streamed transactions */
    const char *spill_dir;
    int snapshot_workers;          /* parallel COPY connections */
    uint64_t snapshot_chunk_pages; /* ctid range size of one COPY task */
    int status_interval_ms;        /* standby status period */
};

void sl_pg_source_options_default(struct sl_pg_source_options *options);

struct sl_pg_source;

/*
 * Connects, checks the setup (role, wal_level, slot plugin, publication),
 * creates what is missing when allowed. Caller owns *out.
 */
int sl_pg_source_open(const struct sl_pg_source_options *options, struct sl_pg_source **out,
                      struct sl_error *err);
void sl_pg_source_close(struct sl_pg_source *source); /* accepts NULL */

/*
 * Runs the initial snapshot (if asked) and then streams changes into the
 * sink until the sink returns nonzero, *stop becomes nonzero (returns
 * SL_EINTR) or an error occurs. Runs on the calling thread.
 */
int sl_pg_source_run(struct sl_pg_source *source, const struct sl_change_sink *sink,
                     volatile sig_atomic_t *stop, struct sl_error *err);

/*
 * Tells the source that everything up to `lsn` is durable downstream; the
 * next standby status reports it as the flush position. Never moves back.
 * Must be called from the thread running sl_pg_source_run (e.g. in a sink
 * callback).
 */
void sl_pg_source_set_flush_lsn(struct sl_pg_source *source, sl_lsn lsn);

/*
 * When enabled, and every delivered transaction has been acknowledged and
 * none is in flight, keepalive positions are acknowledged too, so an idle
 * slot does not hold WAL (DESIGN.md invariant 2). Off by default.
 */
void sl_pg_source_set_ack_idle(struct sl_pg_source *source, bool enabled);

#endif

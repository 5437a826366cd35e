/*
 * Internals shared by the files of source/pg (not a public header): the
 * source object, the relation cache, connection helpers.
 */
#ifndef SLUICE_PG_INTERNAL_H
#define SLUICE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>

#include "sluice/source_pg.h"

/* Session settings that fix the text form of values (DESIGN.md section 8). */
#define SL_PG_SESSION_OPTIONS                                                                      \
    "-c datestyle=ISO -c timezone=UTC -c intervalstyle=postgres -c extra_float_digits=1 "          \
    "-c client_encoding=UTF8"

/* A table as the source knows it: its current schema and whether the sink has seen it. */
struct sl_pg_relation {
    struct sl_table_schema *schema; /* owned */
    bool announced;                 /* schema passed to the sink since it last changed */
};

struct sl_pg_source {
    struct sl_pg_source_options options; /* strings borrowed from the caller */
    PGconn *repl;                        /* replication=database connection */
    PGconn *sql;                         /* plain connection for catalog queries */
    int server_version;                  /* e.g. 150018 */
    bool slot_exists;
    bool slot_created;
    char *snapshot_name; /* exported by CREATE_REPLICATION_SLOT, NULL if none */
    sl_lsn consistent_point;
    int64_t snapshot_started_ms;

    struct sl_u64map relations; /* relid -> struct sl_pg_relation * (owned) */
    struct sl_txn_spool *spool;
    struct sl_u64map open_streams; /* xids of streamed transactions not yet committed/aborted */
    struct sl_arena msg_arena; /* reset per message */

    sl_lsn flush_lsn;         /* durable downstream, set by the caller */
    sl_lsn received_lsn;      /* highest WAL position received */
    sl_lsn last_delivered_end; /* end LSN of the last transaction handed to the sink */
    bool ack_idle;            /* acknowledge keepalive positions when nothing is pending */

    /* transaction being decoded */
    bool in_txn;
    struct sl_txn_info txn;
    bool in_stream_block;
    uint32_t stream_xid;

    /* per-change value arrays, grown to the widest relation */
    struct sl_value *before_values;
    struct sl_value *after_values;
    uint32_t values_cap;
};

/* ---- conn.c */

/* Opens a plain or replication connection with the session options; caller owns it. */
int sl_pg_connect(const char *dsn, bool replication, PGconn **out, struct sl_error *err);
/* Runs SQL expecting tuples or a command result; caller owns the result (PQclear). */
int sl_pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
               PGresult **out, struct sl_error *err);
/* Quotes an identifier for SQL ("..."); caller owns the string. */
char *sl_pg_quote_ident(const char *name);
/* Checks wal_level, REPLICATION, slot and publication; creates what is allowed. */
int sl_pg_prepare(struct sl_pg_source *source, struct sl_error *err);

/* ---- catalog.c */

/*
 * Builds a schema from a Relation message, decorated from the catalog with
 * type names, NOT NULL and primary key. Caller owns *out.
 */
int sl_pg_schema_from_relation(PGconn *sql, const struct sl_pgoutput_msg *relation,
                               struct sl_table_schema **out, struct sl_error *err);
/*
 * Builds a schema for a table from the catalog alone (snapshot), limited to
 * `column_list`, a name[] literal such as "{id,name}" (a publication's column
 * list; NULL = all columns). Caller owns *out.
 */
int sl_pg_schema_from_catalog(PGconn *sql, uint32_t relid, const char *column_list,
                              struct sl_table_schema **out, struct sl_error *err);

/* Installs a schema for relid (takes ownership); marks it for announcement when it changed. */
int sl_pg_relation_update(struct sl_pg_source *source, struct sl_table_schema *schema,
                          struct sl_pg_relation **out, struct sl_error *err);

/* ---- snapshot.c */

/* COPYs every published table in the exported snapshot into the sink as 'r' changes. */
int sl_pg_snapshot_run(struct sl_pg_source *source, const struct sl_change_sink *sink,
                       volatile sig_atomic_t *stop, struct sl_error *err);

#endif

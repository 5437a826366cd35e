/*
 * Initial snapshot: every published table is read with binary COPY inside
 * the snapshot exported when the slot was created, so the rows are exactly
 * the state at the slot's consistent point and streaming continues from
 * there with nothing lost or seen twice. Tables are read in parallel by
 * worker threads, each on its own connection, and large tables are split
 * into ctid ranges. Rows reach the sink under one lock, in batches.
 */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 1024
#define BATCH_TEXT_MAX (256u << 20)

struct snapshot_task {
    struct sl_pg_relation *relation; /* borrowed from the source's relation cache */
    char *copy_sql;                  /* owned */
};

struct snapshot_shared {
    struct sl_pg_source *source;
    const struct sl_change_sink *sink;
    volatile sig_atomic_t *stop;
    struct sl_txn_info txn;
    pthread_mutex_t lock; /* guards next_task, the sink and the first error */
    struct snapshot_task *tasks;
    size_t ntasks;
    size_t next_task;
    int rc;
    struct sl_error err;
    uint64_t rows;
};

/* A row waiting for delivery: value text lives at offsets in the worker's text buffer. */
struct pending_value {
    enum sl_value_kind kind;
    uint32_t len;
    size_t offset;
};

struct worker {
    struct snapshot_shared *shared;
    pthread_t thread;
    PGconn *conn;
    struct sl_buf carry; /* COPY bytes not yet parsed */
    struct sl_buf text;  /* text of pending values */
    struct pending_value *pending;
    size_t pending_rows;
    struct sl_copy_field *fields;
    struct sl_value *row;
    uint32_t width; /* columns per pending row (of the current task) */
    struct sl_error err;
};

/*
 * Whether a column is fetched in binary and converted here, or cast to text by
 * the server. Floats are cast: PostgreSQL prints the shortest round-trip form
 * far faster than a portable C conversion can find it.
 */
static bool fetch_binary(const struct sl_column *column)
{
    return sl_pg_text_binary_supported(column->base_type_oid) &&
           column->type_class != SL_TYPE_FLOAT4 && column->type_class != SL_TYPE_FLOAT8;
}

static void record_error(struct snapshot_shared *shared, int rc, const struct sl_error *err)
{
    pthread_mutex_lock(&shared->lock);
    if (shared->rc == SL_OK) {
        shared->rc = rc;
        shared->err = *err;
    }
    pthread_mutex_unlock(&shared->lock);
}

/* Hands the pending rows to the sink under the shared lock. */
static int deliver(struct worker *w, struct sl_pg_relation *relation)
{
    struct snapshot_shared *shared = w->shared;
    const struct sl_table_schema *schema = relation->schema;
    int rc = SL_OK;

    if (w->pending_rows == 0)
        return SL_OK;
    pthread_mutex_lock(&shared->lock);
    if (shared->rc != SL_OK) {
        rc = shared->rc;
        goto unlock;
    }
    if (shared->stop != NULL && *shared->stop) {
        rc = sl_error_set(&w->err, SL_EINTR, "snapshot interrupted");
        goto unlock;
    }
    if (!relation->announced) {
        rc = shared->sink->schema ? shared->sink->schema(shared->sink->ctx, schema, &w->err)
                                  : SL_OK;
        if (rc != SL_OK)
            goto unlock;
        relation->announced = true;
    }
    for (size_t r = 0; r < w->pending_rows && rc == SL_OK; r++) {
        struct sl_change change;
        for (uint32_t c = 0; c < w->width; c++) {
            const struct pending_value *pv = &w->pending[r * w->width + c];
            w->row[c].kind = pv->kind;
            w->row[c].len = pv->len;
            w->row[c].text = pv->kind == SL_VALUE_TEXT ? w->text.data + pv->offset : NULL;
        }
        memset(&change, 0, sizeof(change));
        change.op = SL_OP_READ;
        change.table = schema;
        change.txn = &shared->txn;
        change.lsn = shared->txn.commit_lsn;
        change.after = w->row;
        rc = shared->sink->change(shared->sink->ctx, &change, &w->err);
    }
    shared->rows += w->pending_rows;
unlock:
    pthread_mutex_unlock(&shared->lock);
    w->pending_rows = 0;
    sl_buf_reset(&w->text);
    return rc;
}

static int add_row(struct worker *w, const struct sl_table_schema *schema,
                   const struct sl_copy_field *fields, uint16_t nfields)
{
    if (nfields != schema->ncolumns)
        return sl_error_set(&w->err, SL_EPROTO,
                            "COPY of %s.%s returned %u columns, expected %u", schema->schema_name,
                            schema->table_name, nfields, schema->ncolumns);
    struct pending_value *row = &w->pending[w->pending_rows * w->width];
    for (uint16_t c = 0; c < nfields; c++) {
        const struct sl_column *column = &schema->columns[c];
        if (fields[c].len < 0) {
            row[c].kind = SL_VALUE_NULL;
            row[c].len = 0;
            row[c].offset = 0;
            continue;
        }
        size_t start = w->text.len;
        /* unsupported types were cast to text in the query: their binary form is the text */
        uint32_t oid = fetch_binary(column) ? column->base_type_oid : SL_PG_OID_TEXT;
        int rc = sl_pg_text_from_binary(oid, fields[c].data, (size_t)fields[c].len, &w->text,
                                        &w->err);
        if (rc != SL_OK) {
            sl_error_prefix(&w->err, "COPY of %s.%s column %s", schema->schema_name,
                            schema->table_name, column->name);
            return rc;
        }
        row[c].kind = SL_VALUE_TEXT;
        row[c].offset = start;
        row[c].len = (uint32_t)(w->text.len - start);
    }
    w->pending_rows++;
    return SL_OK;
}

static int run_task(struct worker *w, struct snapshot_task *task)
{
    const struct sl_table_schema *schema = task->relation->schema;
    struct sl_copy_binary_state state = {false, false};
    PGresult *res;
    int rc = SL_OK;

    w->width = schema->ncolumns;
    res = PQexec(w->conn, task->copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = sl_error_set(&w->err, SL_EPEER, "COPY of %s.%s failed: %s", schema->schema_name,
                          schema->table_name, PQresultErrorMessage(res));
        PQclear(res);
        return rc;
    }
    PQclear(res);
    sl_buf_reset(&w->carry);
    for (;;) {
        char *chunk = NULL;
        int n = PQgetCopyData(w->conn, &chunk, 0);
        if (n == -1)
            break;
        if (n < 0) {
            rc = sl_error_set(&w->err, SL_ECONN, "COPY of %s.%s broke: %s", schema->schema_name,
                              schema->table_name, PQerrorMessage(w->conn));
            break;
        }
        /* Rows usually arrive one per CopyData message: parse them straight
         * from libpq's buffer and keep only an incomplete tail. */
        const uint8_t *data = (const uint8_t *)chunk;
        size_t avail = (size_t)n;
        if (w->carry.len > 0) {
            rc = sl_buf_append(&w->carry, chunk, (size_t)n);
            PQfreemem(chunk);
            chunk = NULL;
            if (rc != SL_OK) {
                rc = sl_error_set(&w->err, rc, "a COPY row of %s.%s exceeds the buffer limit",
                                  schema->schema_name, schema->table_name);
                break;
            }
            data = (const uint8_t *)w->carry.data;
            avail = w->carry.len;
        }
        size_t used = 0;
        for (;;) {
            size_t consumed = 0;
            uint16_t nfields = 0;
            int status = sl_copy_binary_next(&state, data + used, avail - used, &consumed,
                                             w->fields, UINT16_MAX, &nfields, &w->err);
            if (status < 0) {
                rc = status;
                sl_error_prefix(&w->err, "COPY of %s.%s", schema->schema_name, schema->table_name);
                break;
            }
            used += consumed;
            if (status == SL_COPY_ROW) {
                rc = add_row(w, schema, w->fields, nfields);
                if (rc == SL_OK && (w->pending_rows == BATCH_ROWS || w->text.len > (8u << 20)))
                    rc = deliver(w, task->relation);
                if (rc != SL_OK)
                    break;
                continue;
            }
            break; /* NEED_MORE or END */
        }
        if (chunk != NULL) {
            if (rc == SL_OK && used < avail) {
                rc = sl_buf_append(&w->carry, data + used, avail - used);
                if (rc != SL_OK)
                    rc = sl_error_set(&w->err, rc, "a COPY row of %s.%s exceeds the buffer limit",
                                      schema->schema_name, schema->table_name);
            }
            PQfreemem(chunk);
        } else {
            memmove(w->carry.data, w->carry.data + used, w->carry.len - used);
            w->carry.len -= used;
        }
        if (rc != SL_OK)
            break;
    }
    if (rc != SL_OK) {
        /* The COPY may still be running: close the connection instead of draining it. */
        PQfinish(w->conn);
        w->conn = NULL;
        return rc;
    }
    res = PQgetResult(w->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = sl_error_set(&w->err, SL_EPEER, "COPY of %s.%s failed: %s", schema->schema_name,
                          schema->table_name, PQresultErrorMessage(res));
    PQclear(res);
    while ((res = PQgetResult(w->conn)) != NULL)
        PQclear(res);
    if (rc == SL_OK && !state.ended)
        rc = sl_error_set(&w->err, SL_EPROTO, "COPY of %s.%s ended without its trailer",
                          schema->schema_name, schema->table_name);
    if (rc == SL_OK)
        rc = deliver(w, task->relation);
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct snapshot_shared *shared = w->shared;
    char sql[256];
    int rc;

    rc = sl_pg_connect(shared->source->options.dsn, false, &w->conn, &w->err);
    if (rc == SL_OK)
        rc = sl_pg_exec(w->conn, "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                        NULL, NULL, &w->err);
    if (rc == SL_OK) {
        snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", shared->source->snapshot_name);
        rc = sl_pg_exec(w->conn, sql, 0, NULL, NULL, &w->err);
    }
    while (rc == SL_OK) {
        struct snapshot_task *task = NULL;
        pthread_mutex_lock(&shared->lock);
        if (shared->rc == SL_OK && shared->next_task < shared->ntasks)
            task = &shared->tasks[shared->next_task++];
        pthread_mutex_unlock(&shared->lock);
        if (task == NULL)
            break;
        rc = run_task(w, task);
    }
    if (rc == SL_OK)
        rc = sl_pg_exec(w->conn, "COMMIT", 0, NULL, NULL, &w->err);
    if (rc != SL_OK)
        record_error(shared, rc, &w->err);
    return NULL;
}

/* Builds the COPY statements: one per table, or one per ctid range of a large table. */
static int plan_tasks(struct snapshot_shared *shared, struct sl_error *err)
{
    struct sl_pg_source *source = shared->source;
    const char *params[] = {source->options.publication};
    bool has_rowfilter = source->server_version >= 150000;
    bool can_split = source->server_version >= 140000; /* TID range scans */
    uint64_t chunk = source->options.snapshot_chunk_pages ? source->options.snapshot_chunk_pages
                                                          : 8192;
    PGresult *res = NULL;
    struct sl_buf cols, sql;
    size_t cap = 0;
    int rc;

    sl_buf_init(&cols, 1 << 20);
    sl_buf_init(&sql, 1 << 20);
    rc = sl_pg_exec(source->sql,
                    has_rowfilter
                        ? "SELECT c.oid, c.relkind, pg_relation_size(c.oid) / "
                          "current_setting('block_size')::int8, pt.rowfilter, pt.attnames::text "
                          "FROM pg_publication_tables pt "
                          "JOIN pg_namespace n ON n.nspname = pt.schemaname "
                          "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
                          "WHERE pt.pubname = $1 ORDER BY 3 DESC"
                        : "SELECT c.oid, c.relkind, pg_relation_size(c.oid) / "
                          "current_setting('block_size')::int8, NULL, NULL "
                          "FROM pg_publication_tables pt "
                          "JOIN pg_namespace n ON n.nspname = pt.schemaname "
                          "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
                          "WHERE pt.pubname = $1 ORDER BY 3 DESC",
                    1, params, &res, err);
    if (rc != SL_OK)
        goto fail;
    for (int t = 0; t < PQntuples(res); t++) {
        uint32_t relid = (uint32_t)strtoul(PQgetvalue(res, t, 0), NULL, 10);
        bool partitioned = PQgetvalue(res, t, 1)[0] == 'p';
        uint64_t pages = strtoull(PQgetvalue(res, t, 2), NULL, 10);
        const char *rowfilter = PQgetisnull(res, t, 3) ? NULL : PQgetvalue(res, t, 3);
        /* PostgreSQL 15 column lists: pgoutput sends only these columns */
        const char *column_list = PQgetisnull(res, t, 4) ? NULL : PQgetvalue(res, t, 4);
        struct sl_table_schema *schema = NULL;
        struct sl_pg_relation *relation = NULL;
        char *qschema = NULL, *qtable = NULL;

        rc = sl_pg_schema_from_catalog(source->sql, relid, column_list, &schema, err);
        if (rc == SL_OK)
            rc = sl_pg_relation_update(source, schema, &relation, err);
        if (rc != SL_OK)
            goto fail;
        sl_buf_reset(&cols);
        for (uint32_t c = 0; c < relation->schema->ncolumns && rc == SL_OK; c++) {
            const struct sl_column *column = &relation->schema->columns[c];
            char *q = sl_pg_quote_ident(column->name);
            rc = q ? sl_buf_printf(&cols, "%s%s%s", c ? ", " : "", q,
                                   fetch_binary(column) ? "" : "::text")
                   : SL_ENOMEM;
            sl_free(q);
        }
        if (relation->schema->ncolumns == 0)
            rc = sl_buf_append_str(&cols, "NULL::text WHERE false");
        qschema = sl_pg_quote_ident(relation->schema->schema_name);
        qtable = sl_pg_quote_ident(relation->schema->table_name);
        if (rc != SL_OK || qschema == NULL || qtable == NULL) {
            sl_free(qschema);
            sl_free(qtable);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory planning the snapshot");
            goto fail;
        }
        uint64_t ranges = (can_split && !partitioned && pages > chunk) ? (pages + chunk - 1) / chunk
                                                                      : 1;
        for (uint64_t r = 0; r < ranges && rc == SL_OK; r++) {
            if (shared->ntasks == cap) {
                size_t grown = cap ? cap * 2 : 16;
                struct snapshot_task *tasks = sl_realloc(shared->tasks, grown * sizeof(*tasks));
                if (tasks == NULL) {
                    rc = SL_ENOMEM;
                    break;
                }
                shared->tasks = tasks;
                cap = grown;
            }
            sl_buf_reset(&sql);
            rc = sl_buf_printf(&sql, "COPY (SELECT %s FROM %s%s.%s", cols.data,
                               partitioned ? "" : "ONLY ", qschema, qtable);
            bool where = false;
            if (rc == SL_OK && ranges > 1) {
                where = true;
                if (r + 1 < ranges)
                    rc = sl_buf_printf(&sql,
                                       " WHERE ctid >= '(%llu,0)'::tid AND ctid < '(%llu,0)'::tid",
                                       (unsigned long long)(r * chunk),
                                       (unsigned long long)((r + 1) * chunk));
                else /* the last range is open-ended */
                    rc = sl_buf_printf(&sql, " WHERE ctid >= '(%llu,0)'::tid",
                                       (unsigned long long)(r * chunk));
            }
            if (rc == SL_OK && rowfilter != NULL)
                rc = sl_buf_printf(&sql, " %s (%s)", where ? "AND" : "WHERE", rowfilter);
            if (rc == SL_OK)
                rc = sl_buf_append_str(&sql, ") TO STDOUT (FORMAT binary)");
            if (rc == SL_OK) {
                shared->tasks[shared->ntasks].relation = relation;
                shared->tasks[shared->ntasks].copy_sql = sl_buf_detach(&sql);
                if (shared->tasks[shared->ntasks].copy_sql == NULL)
                    rc = SL_ENOMEM;
                else
                    shared->ntasks++;
            }
        }
        sl_free(qschema);
        sl_free(qtable);
        if (rc != SL_OK) {
            rc = sl_error_set(err, rc, "out of memory planning the snapshot");
            goto fail;
        }
        sl_log(SL_LOG_INFO, "snapshot_table", "table=%s.%s pages=%llu tasks=%llu",
               relation->schema->schema_name, relation->schema->table_name,
               (unsigned long long)pages, (unsigned long long)ranges);
    }
fail:
    PQclear(res);
    sl_buf_free(&cols);
    sl_buf_free(&sql);
    return rc;
}

int sl_pg_snapshot_run(struct sl_pg_source *source, const struct sl_change_sink *sink,
                       volatile sig_atomic_t *stop, struct sl_error *err)
{
    struct snapshot_shared shared;
    struct worker *workers = NULL;
    int nworkers = 0, started = 0;
    int64_t t0 = sl_clock_monotonic_ms();
    int rc;

    memset(&shared, 0, sizeof(shared));
    shared.source = source;
    shared.sink = sink;
    shared.stop = stop;
    shared.txn.xid = 0;
    shared.txn.commit_lsn = source->consistent_point;
    shared.txn.end_lsn = source->consistent_point;
    shared.txn.commit_ts_ms = source->snapshot_started_ms;
    pthread_mutex_init(&shared.lock, NULL);

    rc = plan_tasks(&shared, err);
    if (rc != SL_OK)
        goto fail;
    rc = sink->begin ? sink->begin(sink->ctx, &shared.txn, err) : SL_OK;
    if (rc != SL_OK)
        goto fail;

    nworkers = source->options.snapshot_workers < 1 ? 1 : source->options.snapshot_workers;
    if ((size_t)nworkers > shared.ntasks)
        nworkers = shared.ntasks == 0 ? 0 : (int)shared.ntasks;
    workers = sl_calloc((size_t)(nworkers ? nworkers : 1), sizeof(*workers));
    if (workers == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    uint32_t widest = 1;
    for (size_t t = 0; t < shared.ntasks; t++)
        widest = SL_MAX(widest, shared.tasks[t].relation->schema->ncolumns);
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        w->shared = &shared;
        sl_buf_init(&w->carry, 1u << 30);
        sl_buf_init(&w->text, BATCH_TEXT_MAX);
        w->pending = sl_calloc((size_t)BATCH_ROWS * widest, sizeof(*w->pending));
        w->fields = sl_calloc(UINT16_MAX, sizeof(*w->fields));
        w->row = sl_calloc(widest, sizeof(*w->row));
        if (w->pending == NULL || w->fields == NULL || w->row == NULL) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto join;
        }
    }
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            record_error(&shared, SL_EIO, &(struct sl_error){SL_EIO, false, "cannot start a thread"});
            break;
        }
        started++;
    }
join:
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    for (int i = 0; i < nworkers; i++) {
        if (workers[i].conn != NULL)
            PQfinish(workers[i].conn);
        sl_buf_free(&workers[i].carry);
        sl_buf_free(&workers[i].text);
        sl_free(workers[i].pending);
        sl_free(workers[i].fields);
        sl_free(workers[i].row);
    }
    if (rc == SL_OK && shared.rc != SL_OK) {
        rc = shared.rc;
        if (err != NULL)
            *err = shared.err;
    }
    if (rc == SL_OK) {
        sl_log(SL_LOG_INFO, "snapshot_done", "tables_tasks=%zu rows=%llu ms=%lld", shared.ntasks,
               (unsigned long long)shared.rows, (long long)(sl_clock_monotonic_ms() - t0));
        rc = sink->commit ? sink->commit(sink->ctx, &shared.txn, err) : SL_OK;
    }
fail:
    for (size_t t = 0; t < shared.ntasks; t++)
        sl_free(shared.tasks[t].copy_sql);
    sl_free(shared.tasks);
    sl_free(workers);
    pthread_mutex_destroy(&shared.lock);
    return rc;
}

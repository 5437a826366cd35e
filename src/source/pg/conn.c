/*
 * Connections and setup checks: opens plain and replication connections
 * with fixed session settings, verifies the server can serve logical
 * replication to this role, and manages the publication and the slot
 * (create when allowed, reuse when present, explain what is wrong).
 */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sl_pg_connect(const char *dsn, bool replication, PGconn **out, struct sl_error *err)
{
    const char *keys[] = {"dbname", "options", "application_name", "replication", NULL};
    const char *values[] = {dsn, SL_PG_SESSION_OPTIONS, "sluice", replication ? "database" : NULL,
                            NULL};
    PGconn *conn;

    if (!replication)
        keys[3] = NULL;
    conn = PQconnectdbParams(keys, values, 1);
    if (conn == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory creating a PostgreSQL connection");
    if (PQstatus(conn) != CONNECTION_OK) {
        char message[512];
        snprintf(message, sizeof(message), "%s", PQerrorMessage(conn));
        message[strcspn(message, "\n")] = '\0';
        PQfinish(conn);
        return sl_error_set(err, SL_ECONN,
                            "cannot connect to PostgreSQL%s: %s (check --dsn: host, port, "
                            "user, database, password)",
                            replication ? " for replication" : "", message);
    }
    *out = conn;
    return SL_OK;
}

static int result_error(PGconn *conn, PGresult *res, const char *sql, struct sl_error *err)
{
    char message[600];
    const char *text = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    snprintf(message, sizeof(message), "%s", text ? text : "unknown error");
    message[strcspn(message, "\n")] = '\0';
    bool broken = PQstatus(conn) != CONNECTION_OK;
    int rc = sl_error_set(err, broken ? SL_ECONN : SL_EPEER, "%s (while running: %.120s)", message,
                          sql);
    return rc;
}

int sl_pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
               PGresult **out, struct sl_error *err)
{
    PGresult *res = nparams > 0 ? PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)
                                : PQexec(conn, sql);
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        int rc = result_error(conn, res, sql, err);
        PQclear(res);
        return rc;
    }
    if (out != NULL)
        *out = res;
    else
        PQclear(res);
    return SL_OK;
}

char *sl_pg_quote_ident(const char *name)
{
    struct sl_buf buf;
    sl_buf_init(&buf, 4096);
    if (sl_buf_putc(&buf, '"') != SL_OK)
        return NULL;
    for (const char *p = name; *p != '\0'; p++) {
        if ((*p == '"' && sl_buf_putc(&buf, '"') != SL_OK) || sl_buf_putc(&buf, *p) != SL_OK) {
            sl_buf_free(&buf);
            return NULL;
        }
    }
    if (sl_buf_putc(&buf, '"') != SL_OK) {
        sl_buf_free(&buf);
        return NULL;
    }
    return sl_buf_detach(&buf);
}

static int check_server(struct sl_pg_source *source, struct sl_error *err)
{
    PGresult *res = NULL;
    int rc;

    source->server_version = PQserverVersion(source->sql);
    if (source->server_version < 100000)
        return sl_error_set(err, SL_ECONFIG,
                            "PostgreSQL %d is too old: logical replication with pgoutput needs "
                            "version 10 or later",
                            source->server_version / 10000);
    if (source->options.proto_version == 2 && source->server_version < 140000)
        return sl_error_set(err, SL_ECONFIG,
                            "--proto 2 (streaming of large transactions) needs PostgreSQL 14 or "
                            "later; the server is %d: use --proto 1",
                            source->server_version / 10000);

    rc = sl_pg_exec(source->sql, "SELECT current_setting('wal_level')", 0, NULL, &res, err);
    if (rc != SL_OK)
        return rc;
    if (strcmp(PQgetvalue(res, 0, 0), "logical") != 0) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "wal_level is '%s' on the server; logical replication needs "
                          "wal_level=logical (set it in postgresql.conf and restart PostgreSQL)",
                          PQgetvalue(res, 0, 0));
        PQclear(res);
        return rc;
    }
    PQclear(res);

    /* Standby status must reach the server well inside wal_sender_timeout. */
    rc = sl_pg_exec(source->sql,
                    "SELECT setting::int8 FROM pg_settings WHERE name = 'wal_sender_timeout'", 0,
                    NULL, &res, err);
    if (rc != SL_OK)
        return rc;
    if (PQntuples(res) == 1) {
        long long timeout_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        if (timeout_ms > 0 && source->options.status_interval_ms > timeout_ms / 3) {
            source->options.status_interval_ms = (int)SL_MAX(100, timeout_ms / 3);
            sl_log(SL_LOG_INFO, "status_interval_adjusted",
                   "wal_sender_timeout_ms=%lld status_interval_ms=%d", timeout_ms,
                   source->options.status_interval_ms);
        }
    }
    PQclear(res);

    rc = sl_pg_exec(source->sql,
                    "SELECT current_user, rolreplication OR rolsuper FROM pg_roles "
                    "WHERE rolname = current_user",
                    0, NULL, &res, err);
    if (rc != SL_OK)
        return rc;
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        const char *role = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "?";
        rc = sl_error_set(err, SL_ECONFIG,
                          "role \"%s\" lacks the REPLICATION attribute; a superuser can grant it "
                          "with: ALTER ROLE \"%s\" WITH REPLICATION",
                          role, role);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    return SL_OK;
}

static int create_publication(struct sl_pg_source *source, struct sl_error *err)
{
    struct sl_buf sql;
    char *quoted = NULL;
    int rc;

    sl_buf_init(&sql, 1 << 20);
    quoted = sl_pg_quote_ident(source->options.publication);
    rc = quoted ? sl_buf_printf(&sql, "CREATE PUBLICATION %s FOR ", quoted) : SL_ENOMEM;
    if (rc == SL_OK && source->options.tables == NULL) {
        rc = sl_buf_append_str(&sql, "ALL TABLES");
    } else if (rc == SL_OK) {
        rc = sl_buf_append_str(&sql, "TABLE ");
        for (int i = 0; rc == SL_OK && source->options.tables[i] != NULL; i++) {
            const char *name = source->options.tables[i];
            const char *dot = strchr(name, '.');
            if (i > 0)
                rc = sl_buf_append_str(&sql, ", ");
            if (rc != SL_OK)
                break;
            if (dot != NULL) {
                char *schema_name = sl_strndup(name, (size_t)(dot - name));
                char *qs = schema_name ? sl_pg_quote_ident(schema_name) : NULL;
                char *qt = sl_pg_quote_ident(dot + 1);
                rc = (qs && qt) ? sl_buf_printf(&sql, "%s.%s", qs, qt) : SL_ENOMEM;
                sl_free(schema_name);
                sl_free(qs);
                sl_free(qt);
            } else {
                char *qt = sl_pg_quote_ident(name);
                rc = qt ? sl_buf_append_str(&sql, qt) : SL_ENOMEM;
                sl_free(qt);
            }
        }
    }
    if (rc != SL_OK) {
        rc = sl_error_set(err, rc, "cannot build the CREATE PUBLICATION statement");
        goto fail;
    }
    rc = sl_pg_exec(source->sql, sql.data, 0, NULL, NULL, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "publication \"%s\" does not exist and could not be created",
                        source->options.publication);
        goto fail;
    }
    sl_log(SL_LOG_INFO, "publication_created", "publication=%s tables=%s",
           source->options.publication, source->options.tables ? "listed" : "all");
fail:
    sl_free(quoted);
    sl_buf_free(&sql);
    return rc;
}

static int check_publication(struct sl_pg_source *source, struct sl_error *err)
{
    const char *params[] = {source->options.publication};
    PGresult *res = NULL;
    int rc = sl_pg_exec(source->sql, "SELECT 1 FROM pg_publication WHERE pubname = $1", 1, params,
                        &res, err);
    if (rc != SL_OK)
        return rc;
    bool exists = PQntuples(res) == 1;
    PQclear(res);
    if (exists)
        return SL_OK;
    if (!source->options.create_slot)
        return sl_error_set(err, SL_ENOTFOUND,
                            "publication \"%s\" does not exist in this database; create it "
                            "(CREATE PUBLICATION \"%s\" FOR ALL TABLES) or pass --create-slot to "
                            "let sluice create it",
                            source->options.publication, source->options.publication);
    return create_publication(source, err);
}

static int check_slot(struct sl_pg_source *source, struct sl_error *err)
{
    const char *params[] = {source->options.slot};
    PGresult *res = NULL;
    int rc = sl_pg_exec(source->sql,
                        "SELECT plugin, slot_type, database = current_database(), "
                        "coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = $1",
                        1, params, &res, err);
    if (rc != SL_OK)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        source->slot_exists = false;
        if (!source->options.create_slot)
            return sl_error_set(err, SL_ENOTFOUND,
                                "replication slot \"%s\" does not exist; pass --create-slot to "
                                "create it",
                                source->options.slot);
        return SL_OK;
    }
    source->slot_exists = true;
    const char *plugin = PQgetvalue(res, 0, 0);
    if (strcmp(PQgetvalue(res, 0, 1), "logical") != 0) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "replication slot \"%s\" is a physical slot; sluice needs a logical "
                          "slot with pgoutput: choose another --slot",
                          source->options.slot);
    } else if (strcmp(plugin, "pgoutput") != 0) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "replication slot \"%s\" uses output plugin \"%s\"; sluice needs "
                          "pgoutput: choose another --slot or drop this slot",
                          source->options.slot, plugin);
    } else if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "replication slot \"%s\" belongs to another database; connect to that "
                          "database or choose another --slot",
                          source->options.slot);
    } else if (strcmp(PQgetvalue(res, 0, 3), "0") != 0) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "replication slot \"%s\" is in use by another consumer (PID %s); stop "
                          "it or choose another --slot",
                          source->options.slot, PQgetvalue(res, 0, 3));
    } else if (source->options.snapshot) {
        rc = sl_error_set(err, SL_EINVAL,
                          "--snapshot needs a new slot, but replication slot \"%s\" already "
                          "exists and its snapshot is gone; drop the slot or choose another "
                          "--slot",
                          source->options.slot);
    }
    PQclear(res);
    return rc;
}

/* CREATE_REPLICATION_SLOT on the replication connection, exporting a snapshot if asked. */
static int create_slot(struct sl_pg_source *source, struct sl_error *err)
{
    char sql[512];
    PGresult *res = NULL;
    char *quoted = sl_pg_quote_ident(source->options.slot);
    int rc;

    if (quoted == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput %s", quoted,
             source->options.snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
    sl_free(quoted);
    rc = sl_pg_exec(source->repl, sql, 0, NULL, &res, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "cannot create replication slot \"%s\"", source->options.slot);
        return rc;
    }
    if (PQntuples(res) != 1 || PQnfields(res) < 4 ||
        sl_lsn_parse(PQgetvalue(res, 0, 1), &source->consistent_point) != SL_OK) {
        PQclear(res);
        return sl_error_set(err, SL_EPROTO, "unexpected answer to CREATE_REPLICATION_SLOT");
    }
    if (source->options.snapshot && !PQgetisnull(res, 0, 2)) {
        source->snapshot_name = sl_strdup(PQgetvalue(res, 0, 2));
        if (source->snapshot_name == NULL) {
            PQclear(res);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
    }
    source->slot_created = true;
    source->snapshot_started_ms = sl_clock_wall_us() / 1000;
    sl_log(SL_LOG_INFO, "slot_created", "slot=%s consistent_point=%s snapshot=%s",
           source->options.slot, PQgetvalue(res, 0, 1),
           source->snapshot_name ? source->snapshot_name : "none");
    PQclear(res);
    return SL_OK;
}

static int identify_system(struct sl_pg_source *source, struct sl_error *err)
{
    PGresult *res = NULL;
    int rc = sl_pg_exec(source->repl, "IDENTIFY_SYSTEM", 0, NULL, &res, err);
    if (rc != SL_OK)
        return rc;
    if (PQntuples(res) != 1 || PQnfields(res) < 4) {
        PQclear(res);
        return sl_error_set(err, SL_EPROTO, "unexpected answer to IDENTIFY_SYSTEM");
    }
    sl_log(SL_LOG_INFO, "connected", "system_id=%s timeline=%s xlogpos=%s database=%s",
           PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
           PQgetisnull(res, 0, 3) ? "" : PQgetvalue(res, 0, 3));
    PQclear(res);
    return SL_OK;
}

int sl_pg_prepare(struct sl_pg_source *source, struct sl_error *err)
{
    /* The slot is checked before the publication is created, so a refused
     * slot leaves nothing behind; the publication is created before the slot,
     * because pgoutput looks it up as of each decoded change. */
    int rc = check_server(source, err);
    if (rc == SL_OK)
        rc = check_slot(source, err);
    if (rc == SL_OK)
        rc = check_publication(source, err);
    if (rc == SL_OK)
        rc = sl_pg_connect(source->options.dsn, true, &source->repl, err);
    if (rc == SL_OK)
        rc = identify_system(source, err);
    if (rc == SL_OK && !source->slot_exists)
        rc = create_slot(source, err);
    return rc;
}

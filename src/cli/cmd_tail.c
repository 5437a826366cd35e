/*
 * `sluice tail`: PostgreSQL changes as change-event JSON lines on stdout
 * (DESIGN.md section 8). A sink over the pg source: each transaction is
 * written and flushed at its commit, then acknowledged (unless
 * --max-changes is given, which leaves the slot where it was).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sluice/source_pg.h"

#define OUTPUT_FLUSH_BYTES (1u << 20)

static volatile sig_atomic_t stop_requested;

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

struct tail_sink {
    struct sl_pg_source *source;
    struct sl_buf out;
    uint64_t changes;
    uint64_t max_changes; /* 0 = unlimited */
    bool acknowledge;
};

static int write_out(struct tail_sink *tail, struct sl_error *err)
{
    if (tail->out.len > 0 && fwrite(tail->out.data, 1, tail->out.len, stdout) != tail->out.len)
        return sl_error_set(err, SL_EIO, "cannot write to standard output");
    sl_buf_reset(&tail->out);
    return SL_OK;
}

static int tail_schema(void *ctx, const struct sl_table_schema *table, struct sl_error *err)
{
    struct tail_sink *tail = ctx;
    int rc = sl_change_json_schema(&tail->out, table);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "cannot format the schema of %s.%s", table->schema_name,
                            table->table_name);
    return SL_OK;
}

static int tail_change(void *ctx, const struct sl_change *change, struct sl_error *err)
{
    struct tail_sink *tail = ctx;
    int rc = sl_change_json_change(&tail->out, change);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "cannot format a change of %s.%s (value too large?)",
                            change->table->schema_name, change->table->table_name);
    tail->changes++;
    if (tail->max_changes != 0 && tail->changes >= tail->max_changes) {
        rc = write_out(tail, err);
        if (rc == SL_OK && fflush(stdout) != 0)
            rc = sl_error_set(err, SL_EIO, "cannot write to standard output");
        return rc == SL_OK ? SL_EINTR : rc;
    }
    if (tail->out.len >= OUTPUT_FLUSH_BYTES)
        return write_out(tail, err);
    return SL_OK;
}

static int tail_commit(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct tail_sink *tail = ctx;
    int rc = write_out(tail, err);
    if (rc == SL_OK && fflush(stdout) != 0)
        rc = sl_error_set(err, SL_EIO, "cannot write to standard output");
    if (rc == SL_OK && tail->acknowledge)
        sl_pg_source_set_flush_lsn(tail->source, txn->end_lsn);
    return rc;
}

static void tail_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice tail --dsn DSN --slot SLOT --publication PUB [options]\n"
            "\n"
            "Streams changes of the tables in PUB as JSON lines (one object per line).\n"
            "\n"
            "  --dsn DSN            libpq connection string or URI\n"
            "  --slot NAME          logical replication slot (pgoutput)\n"
            "  --publication NAME   publication whose tables are captured\n"
            "  --create-slot        create the slot, and the publication if missing\n"
            "  --tables S.T,...     tables of a publication created by --create-slot\n"
            "                       (default: FOR ALL TABLES)\n"
            "  --snapshot           emit every existing row first (op \"r\"), from the new\n"
            "                       slot's exported snapshot (needs --create-slot)\n"
            "  --snapshot-workers N parallel COPY connections (default 2)\n"
            "  --proto 1|2          pgoutput protocol; 2 streams large transactions\n"
            "                       (PostgreSQL 14+), spooled until they commit\n"
            "  --stream-memory BYTES memory for spooled transactions before spilling\n"
            "                       to disk (default 64 MiB)\n"
            "  --spill-dir DIR      where spooled transactions spill (default $TMPDIR)\n"
            "  --from-lsn X/Y       start streaming at this WAL position\n"
            "  --max-changes N      exit after N change events; acknowledges nothing\n"
            "  --status-interval-ms N standby status period (default 10000)\n"
            "  --snapshot-chunk-pages N heap pages per COPY task of a split table\n"
            "                       (default 8192)\n"
            "  --log-level LEVEL    error, warn, info (default), debug\n");
}

enum {
    OPT_DSN = 1000,
    OPT_SLOT,
    OPT_PUBLICATION,
    OPT_CREATE_SLOT,
    OPT_TABLES,
    OPT_SNAPSHOT,
    OPT_SNAPSHOT_WORKERS,
    OPT_PROTO,
    OPT_STREAM_MEMORY,
    OPT_SPILL_DIR,
    OPT_FROM_LSN,
    OPT_MAX_CHANGES,
    OPT_STATUS_INTERVAL,
    OPT_SNAPSHOT_CHUNK_PAGES,
    OPT_LOG_LEVEL,
    OPT_HELP,
};

static const struct option long_options[] = {
    {"dsn", required_argument, NULL, OPT_DSN},
    {"slot", required_argument, NULL, OPT_SLOT},
    {"publication", required_argument, NULL, OPT_PUBLICATION},
    {"create-slot", no_argument, NULL, OPT_CREATE_SLOT},
    {"tables", required_argument, NULL, OPT_TABLES},
    {"snapshot", no_argument, NULL, OPT_SNAPSHOT},
    {"snapshot-workers", required_argument, NULL, OPT_SNAPSHOT_WORKERS},
    {"proto", required_argument, NULL, OPT_PROTO},
    {"stream-memory", required_argument, NULL, OPT_STREAM_MEMORY},
    {"spill-dir", required_argument, NULL, OPT_SPILL_DIR},
    {"from-lsn", required_argument, NULL, OPT_FROM_LSN},
    {"max-changes", required_argument, NULL, OPT_MAX_CHANGES},
    {"status-interval-ms", required_argument, NULL, OPT_STATUS_INTERVAL},
    {"snapshot-chunk-pages", required_argument, NULL, OPT_SNAPSHOT_CHUNK_PAGES},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "sluice tail: ");
    fprintf(stderr, fmt, value);
    fprintf(stderr, "\n(see sluice tail --help)\n");
    return SL_EXIT_USAGE;
}

/* Splits "a,b,c" into a NULL-terminated array; caller frees the array and text. */
static const char **split_tables(char *text)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    const char **list = sl_calloc(n + 1, sizeof(*list));
    if (list == NULL)
        return NULL;
    size_t i = 0;
    for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
        list[i++] = tok;
    return list;
}

int sl_cmd_tail(int argc, char **argv)
{
    struct sl_pg_source_options options;
    struct sl_pg_source *source = NULL;
    struct tail_sink tail;
    struct sl_change_sink sink;
    struct sl_error err;
    char *tables_text = NULL;
    const char **tables = NULL;
    uint64_t number;
    int status = SL_EXIT_FAILURE;
    int opt, rc;

    sl_pg_source_options_default(&options);
    memset(&tail, 0, sizeof(tail));
    sl_buf_init(&tail.out, (size_t)1 << 31);
    sl_error_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DSN: options.dsn = optarg; break;
        case OPT_SLOT: options.slot = optarg; break;
        case OPT_PUBLICATION: options.publication = optarg; break;
        case OPT_CREATE_SLOT: options.create_slot = true; break;
        case OPT_TABLES:
            sl_free(tables_text);
            tables_text = sl_strdup(optarg);
            break;
        case OPT_SNAPSHOT: options.snapshot = true; break;
        case OPT_SNAPSHOT_WORKERS:
            if (sl_parse_u64(optarg, &number) != SL_OK || number < 1 || number > 64)
                return usage_error("--snapshot-workers must be 1..64, got '%s'", optarg);
            options.snapshot_workers = (int)number;
            break;
        case OPT_PROTO:
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0)
                return usage_error("--proto must be 1 or 2, got '%s'", optarg);
            options.proto_version = optarg[0] - '0';
            break;
        case OPT_STREAM_MEMORY:
            if (sl_parse_u64(optarg, &number) != SL_OK || number < 1024)
                return usage_error("--stream-memory must be a byte count >= 1024, got '%s'",
                                   optarg);
            options.stream_memory_limit = (size_t)number;
            break;
        case OPT_SPILL_DIR: options.spill_dir = optarg; break;
        case OPT_FROM_LSN:
            if (sl_lsn_parse(optarg, &options.start_lsn) != SL_OK)
                return usage_error("--from-lsn must look like 16/B374D848, got '%s'", optarg);
            break;
        case OPT_MAX_CHANGES:
            if (sl_parse_u64(optarg, &tail.max_changes) != SL_OK || tail.max_changes == 0)
                return usage_error("--max-changes must be a positive integer, got '%s'", optarg);
            break;
        case OPT_STATUS_INTERVAL:
            if (sl_parse_u64(optarg, &number) != SL_OK || number < 100 || number > 3600000)
                return usage_error("--status-interval-ms must be 100..3600000, got '%s'", optarg);
            options.status_interval_ms = (int)number;
            break;
        case OPT_SNAPSHOT_CHUNK_PAGES:
            if (sl_parse_u64(optarg, &number) != SL_OK || number < 1 || number > (1u << 30))
                return usage_error("--snapshot-chunk-pages must be 1..1073741824, got '%s'",
                                   optarg);
            options.snapshot_chunk_pages = number;
            break;
        case OPT_LOG_LEVEL: {
            enum sl_log_level level;
            if (sl_log_level_parse(optarg, &level) != SL_OK)
                return usage_error("--log-level must be error, warn, info or debug, got '%s'",
                                   optarg);
            sl_log_set_level(level);
            break;
        }
        case OPT_HELP:
        case 'h':
            tail_usage(stdout);
            return SL_EXIT_OK;
        default:
            tail_usage(stderr);
            return SL_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (options.dsn == NULL)
        return usage_error("%s", "--dsn is required");
    if (options.slot == NULL)
        return usage_error("%s", "--slot is required");
    if (options.publication == NULL)
        return usage_error("%s", "--publication is required");
    if (tables_text != NULL) {
        tables = split_tables(tables_text);
        if (tables == NULL) {
            fprintf(stderr, "sluice tail: out of memory\n");
            goto done;
        }
        options.tables = tables;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: a signal wakes the replication wait */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = sl_pg_source_open(&options, &source, &err);
    if (rc != SL_OK) {
        fprintf(stderr, "sluice tail: error: %s\n", err.message);
        goto done;
    }
    tail.source = source;
    tail.acknowledge = tail.max_changes == 0;
    sl_pg_source_set_ack_idle(source, tail.acknowledge);
    sink.ctx = &tail;
    sink.schema = tail_schema;
    sink.begin = NULL;
    sink.change = tail_change;
    sink.commit = tail_commit;
    rc = sl_pg_source_run(source, &sink, &stop_requested, &err);
    if (rc == SL_EINTR) {
        /* Output of a transaction cut short by a signal is dropped: it was not
         * acknowledged and will be delivered again whole. */
        status = SL_EXIT_OK;
    } else {
        fprintf(stderr, "sluice tail: error: %s\n", err.message);
    }
done:
    sl_pg_source_close(source);
    sl_buf_free(&tail.out);
    sl_free(tables);
    sl_free(tables_text);
    return status;
}

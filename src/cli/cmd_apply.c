/*
 * sluice apply: change-event JSON lines (the `sluice tail` format) on stdin
 * become Hudi commits, one table per source table at <lake>/<schema>/<table>.
 * A batch holds whole source transactions; it is committed when it reaches
 * --batch-rows rows and at the end of input, each table's commit recording
 * the commit LSN of the batch's last transaction as its checkpoint. Input at
 * or below a table's checkpoint is skipped, so running the same input again
 * changes nothing. A bad line fails the run before anything of its batch is
 * committed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sluice/config.h"
#include "sluice/hudi.h"

#define LINE_MAX_BYTES ((size_t)256 << 20)

struct apply_table {
    const struct sl_table_schema *schema; /* borrowed from the JSON reader (newest seen) */
    char *schema_name, *table_name;
    struct sl_hudi_writer *writer;
    sl_lsn checkpoint; /* changes at or below are skipped */
    bool has_checkpoint;
    struct apply_table *next;
};

struct apply {
    struct sl_object_store store;
    struct sl_hudi_write_options options;
    const struct sl_config *config; /* --config, or NULL; borrowed */
    struct apply_table *tables;
    uint64_t batch_rows;
    uint64_t pending_rows;
    const struct sl_txn_info *txn;
    sl_lsn last_commit_lsn;
    bool have_last;
    uint64_t commits, skipped;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluice apply --lake URI [--batch-rows N] [--partition-by COLUMN[:UNIT]]\n"
            "                    [--config FILE]\n"
            "\n"
            "Reads change events (the `sluice tail` JSON lines) from stdin and writes one\n"
            "Hudi copy-on-write table per source table at <lake>/<schema>/<table>.\n"
            "\n"
            "  --lake URI           where the tables live: a local directory, file:// URI or\n"
            "                       s3://bucket/prefix (AWS_* settings, see README)\n"
            "  --batch-rows N       commit after whole transactions once N rows are pending\n"
            "                       (default 100000); the end of input commits the rest\n"
            "  --partition-by C     partition new tables by column C, hive style; C:day,\n"
            "                       C:month, C:year, C:hour cut a timestamp or date column\n"
            "  --config FILE        table settings from a sluice config file (YAML): lake,\n"
            "                       defaults and tables (partition_by, deletes, file sizes,\n"
            "                       compression); --lake wins over its lake, and\n"
            "                       --partition-by applies only to tables it does not name\n"
            "  --log-level LEVEL    error, warn, info (default), debug\n");
}

static struct apply_table *find_table(struct apply *a, const char *schema, const char *table)
{
    for (struct apply_table *t = a->tables; t != NULL; t = t->next)
        if (strcmp(t->schema_name, schema) == 0 && strcmp(t->table_name, table) == 0)
            return t;
    return NULL;
}

static int open_table(struct apply *a, const struct sl_table_schema *schema,
                      struct apply_table **out, struct sl_error *err)
{
    struct apply_table *t = sl_calloc(1, sizeof(*t));
    struct sl_hudi_write_options options = a->options;
    char base[1024];
    int rc;

    if (t == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    t->schema_name = sl_strdup(schema->schema_name);
    t->table_name = sl_strdup(schema->table_name);
    if (t->schema_name == NULL || t->table_name == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(base, sizeof(base), "%s/%s", schema->schema_name, schema->table_name);
    if (a->config != NULL) {
        /* the config's entry for this table, or its defaults; a --partition-by on the
         * command line still applies to the tables the config does not name */
        struct sl_table_config settings;
        sl_config_table(a->config, schema->schema_name, schema->table_name, &settings);
        sl_config_write_options(&settings, &options);
        if (settings.table_name == NULL && a->options.partition_column != NULL) {
            options.partition_column = a->options.partition_column;
            options.partition_kind = a->options.partition_kind;
        }
    }
    options.database = schema->schema_name;
    options.table_name = schema->table_name;
    rc = sl_hudi_writer_open(&a->store, base, &options, &t->writer, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "table %s", base);
        goto fail;
    }
    const char *checkpoint = sl_hudi_writer_checkpoint(t->writer);
    if (checkpoint != NULL) {
        if (sl_lsn_parse(checkpoint, &t->checkpoint) != SL_OK) {
            rc = sl_error_set(err, SL_EPROTO,
                              "table %s: the checkpoint '%s' of its newest commit is not an LSN",
                              base, checkpoint);
            goto fail;
        }
        t->has_checkpoint = true;
        sl_log(SL_LOG_INFO, "table_opened", "table=%s checkpoint=%s", base, checkpoint);
    }
    t->schema = schema;
    t->next = a->tables;
    a->tables = t;
    *out = t;
    return SL_OK;
fail:
    sl_hudi_writer_close(t->writer);
    sl_free(t->schema_name);
    sl_free(t->table_name);
    sl_free(t);
    return rc;
}

static int on_schema(void *ctx, const struct sl_table_schema *schema, struct sl_error *err)
{
    struct apply *a = ctx;
    struct apply_table *t = find_table(a, schema->schema_name, schema->table_name);
    if (t == NULL)
        return open_table(a, schema, &t, err);
    t->schema = schema;
    return SL_OK;
}

static int on_begin(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct apply *a = ctx;
    (void)err;
    a->txn = txn;
    return SL_OK;
}

static int commit_all(struct apply *a, struct sl_error *err)
{
    char lsn_text[32];
    if (!a->have_last)
        return SL_OK;
    sl_lsn_format(a->last_commit_lsn, lsn_text);
    for (struct apply_table *t = a->tables; t != NULL; t = t->next) {
        struct sl_hudi_commit_result result;
        if (sl_hudi_writer_pending(t->writer) == 0)
            continue;
        int rc = sl_hudi_writer_commit(t->writer, lsn_text, &result, err);
        if (rc != SL_OK) {
            sl_error_prefix(err, "table %s/%s", t->schema_name, t->table_name);
            return rc;
        }
        if (result.instant[0] != '\0')
            a->commits++;
        t->checkpoint = a->last_commit_lsn;
        t->has_checkpoint = true;
    }
    a->pending_rows = 0;
    return SL_OK;
}

static int on_change(void *ctx, const struct sl_change *change, struct sl_error *err)
{
    struct apply *a = ctx;
    struct apply_table *t = find_table(a, change->table->schema_name, change->table->table_name);
    int rc;

    if (t == NULL)
        return sl_error_set(err, SL_EINVAL, "a change of %s.%s before its schema line",
                            change->table->schema_name, change->table->table_name);
    if (t->has_checkpoint && change->txn->commit_lsn <= t->checkpoint) {
        a->skipped++;
        return SL_OK;
    }
    rc = sl_hudi_writer_add(t->writer, change, err);
    if (rc != SL_OK)
        return rc;
    a->pending_rows++;
    return SL_OK;
}

static int on_commit(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct apply *a = ctx;
    a->last_commit_lsn = txn->commit_lsn;
    a->have_last = true;
    if (a->pending_rows >= a->batch_rows)
        return commit_all(a, err);
    return SL_OK;
}

static int parse_partition(const char *text, struct sl_hudi_write_options *o)
{
    static const struct {
        const char *name;
        enum sl_hudi_partition_kind kind;
    } units[] = {{"year", SL_HUDI_PARTITION_YEAR}, {"month", SL_HUDI_PARTITION_MONTH},
                 {"day", SL_HUDI_PARTITION_DAY}, {"hour", SL_HUDI_PARTITION_HOUR}};
    const char *colon = strchr(text, ':');
    o->partition_kind = SL_HUDI_PARTITION_VALUE;
    if (colon == NULL)
        return SL_OK;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(colon + 1, units[i].name) == 0) {
            o->partition_kind = units[i].kind;
            return SL_OK;
        }
    return SL_EINVAL;
}

int sl_cmd_apply(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"lake", required_argument, NULL, 'l'},
        {"batch-rows", required_argument, NULL, 'b'},
        {"partition-by", required_argument, NULL, 'p'},
        {"config", required_argument, NULL, 'c'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct apply a;
    struct sl_error err = {0};
    struct sl_change_json_reader *reader = NULL;
    struct sl_change_sink sink;
    const char *lake = NULL;
    const char *config_path = NULL;
    struct sl_config *config = NULL;
    char *partition_column = NULL;
    char *line = NULL;
    size_t line_cap = 0;
    uint64_t line_no = 0;
    int opt, rc = SL_OK, status = SL_EXIT_FAILURE;

    memset(&a, 0, sizeof(a));
    sl_hudi_write_options_default(&a.options);
    a.batch_rows = 100000;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'l': lake = optarg; break;
        case 'c': config_path = optarg; break;
        case 'b': {
            uint64_t n;
            if (sl_parse_u64(optarg, &n) != SL_OK || n == 0) {
                fprintf(stderr, "sluice apply: --batch-rows must be a positive integer, not '%s'\n",
                        optarg);
                return SL_EXIT_USAGE;
            }
            a.batch_rows = n;
            break;
        }
        case 'p': {
            sl_free(partition_column);
            const char *colon = strchr(optarg, ':');
            partition_column = sl_strndup(optarg, colon ? (size_t)(colon - optarg) : strlen(optarg));
            if (partition_column == NULL || partition_column[0] == '\0' ||
                parse_partition(optarg, &a.options) != SL_OK) {
                fprintf(stderr,
                        "sluice apply: --partition-by takes COLUMN or COLUMN:year|month|day|hour, "
                        "not '%s'\n",
                        optarg);
                sl_free(partition_column);
                return SL_EXIT_USAGE;
            }
            a.options.partition_column = partition_column;
            break;
        }
        case 'L': {
            enum sl_log_level level;
            if (sl_log_level_parse(optarg, &level) != SL_OK) {
                fprintf(stderr, "sluice apply: unknown log level '%s'\n", optarg);
                sl_free(partition_column);
                return SL_EXIT_USAGE;
            }
            sl_log_set_level(level);
            break;
        }
        case 'h':
            usage(stdout);
            sl_free(partition_column);
            return SL_EXIT_OK;
        default:
            usage(stderr);
            sl_free(partition_column);
            return SL_EXIT_USAGE;
        }
    }
    if (config_path != NULL && optind == argc) {
        /* before the store is opened: a bad config writes nothing */
        rc = sl_config_load_file(config_path, &config, &err);
        if (rc != SL_OK) {
            fprintf(stderr, "sluice apply: %s\n", err.message);
            sl_free(partition_column);
            return rc == SL_ENOMEM || rc == SL_EIO ? SL_EXIT_FAILURE : SL_EXIT_USAGE;
        }
        sl_log(SL_LOG_INFO, "config_loaded", "file=%s tables=%zu", config_path, config->ntables);
        if (lake == NULL)
            lake = config->lake;
        a.config = config;
    }
    if (lake == NULL || optind != argc) {
        fprintf(stderr, "sluice apply: %s\n\n",
                lake == NULL ? "--lake (or lake: in the --config file) is required"
                             : "unexpected arguments");
        usage(stderr);
        sl_config_free(config);
        sl_free(partition_column);
        return SL_EXIT_USAGE;
    }
    rc = sl_object_store_open(lake, &a.store, &err);
    if (rc != SL_OK)
        goto done;
    if (sl_change_json_reader_new(&reader) != SL_OK) {
        rc = sl_error_set(&err, SL_ENOMEM, "out of memory");
        goto done;
    }
    sink.ctx = &a;
    sink.schema = on_schema;
    sink.begin = on_begin;
    sink.change = on_change;
    sink.commit = on_commit;
    for (;;) {
        ssize_t n = getline(&line, &line_cap, stdin);
        if (n < 0)
            break;
        line_no++;
        if ((size_t)n > LINE_MAX_BYTES) {
            rc = sl_error_set(&err, SL_ELIMIT, "line %" PRIu64 ": longer than 256 MiB", line_no);
            goto done;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        rc = sl_change_json_reader_feed(reader, line, (size_t)n, line_no, &sink, &err);
        if (rc != SL_OK)
            goto done;
    }
    if (ferror(stdin)) {
        rc = sl_error_set(&err, SL_EIO, "cannot read stdin");
        goto done;
    }
    rc = sl_change_json_reader_finish(reader, &sink, &err);
    if (rc == SL_OK)
        rc = commit_all(&a, &err);
    if (rc == SL_OK) {
        sl_log(SL_LOG_INFO, "apply_done", "lines=%" PRIu64 " commits=%" PRIu64 " skipped=%" PRIu64,
               line_no, a.commits, a.skipped);
        status = SL_EXIT_OK;
    }
done:
    if (rc != SL_OK)
        fprintf(stderr, "sluice apply: %s\n", err.message);
    for (struct apply_table *t = a.tables; t != NULL;) {
        struct apply_table *next = t->next;
        sl_hudi_writer_close(t->writer);
        sl_free(t->schema_name);
        sl_free(t->table_name);
        sl_free(t);
        t = next;
    }
    sl_change_json_reader_free(reader);
    sl_object_store_close(&a.store);
    free(line);
    sl_free(partition_column);
    sl_config_free(config);
    return status;
}

/*
 * `sluice timeline URI`: a Hudi table's instants in time order as JSON
 * lines, with what each completed commit wrote (row counts, files, bytes,
 * operation, sluice checkpoint) from its commit metadata.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parquet_json.h"
#include "sluice/hudi.h"

static void timeline_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice timeline URI\n"
            "\n"
            "Prints the instants of the Hudi table at URI (a directory or file:///path; the\n"
            "table's base path) in time order, one JSON object per line:\n"
            "  {\"instant\":\"20240115103000123\",\"action\":\"commit\",\"state\":\"completed\",\n"
            "   \"operation\":\"UPSERT\",\"inserts\":N,\"updates\":N,\"deletes\":N,\"files\":N,\n"
            "   \"bytes\":N,\"checkpoint\":\"0/16B3748\"|null}\n"
            "operation, the counts and checkpoint are null for instants that are not completed\n"
            "commits; tables of version 8 also get \"completion\" (the completion time).\n"
            "Exit status: 0, 1 on a table or storage error, 2 on usage errors.\n");
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "sluice timeline: ");
    fprintf(stderr, fmt, value);
    fprintf(stderr, "\n(see sluice timeline --help)\n");
    return SL_EXIT_USAGE;
}

static bool is_data_commit(const struct sl_hudi_instant_info *in)
{
    return strcmp(in->state, "completed") == 0 &&
           (strcmp(in->action, "commit") == 0 || strcmp(in->action, "deltacommit") == 0 ||
            strcmp(in->action, "replacecommit") == 0);
}

/* Appends one instant's line. */
static int put_instant(struct sl_buf *out, struct sl_hudi_table *table, size_t i,
                       struct sl_error *err)
{
    struct sl_hudi_instant_info in;
    struct sl_hudi_commit_summary sum = {0};
    bool counts = false;
    int rc;

    sl_hudi_table_instant_at(table, i, &in);
    if (is_data_commit(&in)) {
        rc = sl_hudi_table_commit_summary(table, i, &sum, err);
        if (rc != SL_OK)
            return rc;
        counts = true;
    }
    rc = sl_buf_append_str(out, "{\"instant\":");
    if (rc == SL_OK)
        rc = sl_parquet_json_append_cstr(out, in.time);
    if (rc == SL_OK && sl_hudi_table_version(table) >= 8) {
        rc = sl_buf_append_str(out, ",\"completion\":");
        if (rc == SL_OK)
            rc = sl_parquet_json_append_cstr(out, in.completion[0] ? in.completion : NULL);
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"action\":");
    if (rc == SL_OK)
        rc = sl_parquet_json_append_cstr(out, in.action);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"state\":");
    if (rc == SL_OK)
        rc = sl_parquet_json_append_cstr(out, in.state);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"operation\":");
    if (rc == SL_OK)
        rc = sl_parquet_json_append_cstr(out, counts ? sum.operation : NULL);
    if (rc == SL_OK && counts)
        rc = sl_buf_printf(out,
                           ",\"inserts\":%lld,\"updates\":%lld,\"deletes\":%lld,\"files\":%lld,"
                           "\"bytes\":%lld",
                           (long long)sum.inserts, (long long)sum.updates, (long long)sum.deletes,
                           (long long)sum.files, (long long)sum.bytes);
    else if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"inserts\":null,\"updates\":null,\"deletes\":null,"
                                    "\"files\":null,\"bytes\":null");
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"checkpoint\":");
    if (rc == SL_OK)
        rc = sl_parquet_json_append_cstr(out, counts ? sum.checkpoint : NULL);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "}\n");
    if (rc != SL_OK)
        return sl_error_set(err, rc, "cannot format instant %s", in.time);
    return SL_OK;
}

int sl_cmd_timeline(int argc, char **argv)
{
    const char *uri = NULL;
    struct sl_object_store store = {0};
    struct sl_hudi_table *table = NULL;
    struct sl_buf out;
    struct sl_error err;
    int status = SL_EXIT_FAILURE, rc;

    sl_buf_init(&out, (size_t)1 << 32);
    sl_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            timeline_usage(stdout);
            return SL_EXIT_OK;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (uri == NULL) {
            uri = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (uri == NULL)
        return usage_error("%s", "a table URI is required (the table's base path)");
    rc = sl_cli_open_table(uri, &store, &table, &err);
    if (rc != SL_OK)
        goto fail;
    for (size_t i = 0; i < sl_hudi_table_instant_count(table); i++) {
        rc = put_instant(&out, table, i, &err);
        if (rc != SL_OK)
            goto fail;
        if (out.len >= (1u << 20)) {
            if (fwrite(out.data, 1, out.len, stdout) != out.len) {
                sl_error_set(&err, SL_EIO, "cannot write to standard output");
                goto fail;
            }
            sl_buf_reset(&out);
        }
    }
    if ((out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) || fflush(stdout) != 0) {
        sl_error_set(&err, SL_EIO, "cannot write to standard output");
        goto fail;
    }
    status = SL_EXIT_OK;
    goto done;
fail:
    fflush(stdout);
    fprintf(stderr, "sluice timeline: error: %s\n", err.message);
done:
    sl_hudi_table_close(table);
    sl_object_store_close(&store);
    sl_buf_free(&out);
    return status;
}

/*
 * `sluice cat URI [--as-of T] [--since T1 [--until T2]] [--columns a,b] [--meta]`:
 * a Hudi table's rows as JSON lines, from a snapshot, as of an instant or
 * committed in a range, in `sluice tail`'s value conventions. Reads one row
 * group at a time through the Hudi reader (src/hudi/reader.c). Also home of
 * sl_cli_open_table, which `sluice timeline` shares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "parquet_json.h"
#include "sluice/hudi.h"

#define OUTPUT_FLUSH_BYTES (1u << 20)
#define OUTPUT_MAX ((size_t)1 << 32)

static void cat_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice cat URI [--as-of T] [--since T1 [--until T2]] [--columns a,b]\n"
            "                  [--meta]\n"
            "\n"
            "Prints the rows of the Hudi table at URI (a directory or file:///path; the table's\n"
            "base path) as JSON object lines, with sluice tail's value conventions.\n"
            "  (no option)     snapshot: the newest committed state\n"
            "  --as-of T       time travel: the state as of instant T\n"
            "  --since T1      incremental: rows committed after T1 (exclusive; 000 = from the\n"
            "                  beginning) ...\n"
            "  --until T2      ... up to T2 (inclusive; default: the newest commit)\n"
            "  --columns a,b   print only these columns, in this order (meta columns too)\n"
            "  --meta          print the five _hoodie_* meta columns first\n"
            "Instants: yyyyMMddHHmmssSSS, yyyyMMddHHmmss, 'yyyy-MM-dd HH:mm:ss[.SSS]' or\n"
            "yyyy-MM-dd, in the table's instant time zone (UTC for tables sluice writes).\n"
            "Without --columns, nested columns (records, arrays, maps) are left out with a\n"
            "warning. Exit status: 0, 1 on a table or storage error, 2 on usage errors.\n");
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "sluice cat: ");
    fprintf(stderr, fmt, value);
    fprintf(stderr, "\n(see sluice cat --help)\n");
    return SL_EXIT_USAGE;
}

static bool has_scheme(const char *uri)
{
    const char *colon = strstr(uri, "://");
    if (colon == NULL || colon == uri)
        return false;
    for (const char *p = uri; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.'))
            return false;
    return true;
}

int sl_cli_open_table(const char *uri, struct sl_object_store *store, struct sl_hudi_table **table,
                      struct sl_error *err)
{
    const char *path = NULL;
    struct stat st;
    int rc;

    *table = NULL;
    memset(store, 0, sizeof(*store));
    /* Opening a local store creates its directory: a reader must not, so a
     * mistyped path is reported instead of leaving an empty directory behind. */
    if (!has_scheme(uri))
        path = uri;
    else if (strncmp(uri, "file://", 7) == 0)
        path = strncmp(uri + 7, "localhost/", 10) == 0 ? uri + 16 : uri + 7;
    if (path != NULL && path[0] != '\0' && stat(path, &st) != 0)
        return sl_error_set(err, SL_ENOTFOUND, "no Hudi table at %s: %s", uri, strerror(errno));
    if (path != NULL && path[0] != '\0' && !S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_ENOTFOUND,
                            "no Hudi table at %s: not a directory (name the table's base path)",
                            uri);
    rc = sl_object_store_open(uri, store, err);
    if (rc != SL_OK)
        return rc;
    rc = sl_hudi_table_open(store, "", table, err);
    if (rc != SL_OK) {
        sl_object_store_close(store);
        memset(store, 0, sizeof(*store));
    }
    return rc;
}

static int flush_out(struct sl_buf *out, struct sl_error *err)
{
    if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len)
        return sl_error_set(err, SL_EIO, "cannot write to standard output");
    sl_buf_reset(out);
    return SL_OK;
}

/* Splits a comma list in place (text is the caller's copy); names[] gets the pieces. */
static uint32_t split_list(char *text, const char **names)
{
    uint32_t n = 0;
    char *p = text;
    for (;;) {
        char *comma = strchr(p, ',');
        names[n++] = p;
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int print_rows(struct sl_hudi_scan *scan, struct sl_buf *out, struct sl_error *err)
{
    uint32_t ncolumns = sl_hudi_scan_ncolumns(scan);
    const char **names = sl_calloc(ncolumns ? ncolumns : 1, sizeof(*names));
    struct sl_parquet_json_keys keys = {0};
    struct sl_hudi_chunk chunk;
    int rc;

    if (names == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < ncolumns; c++)
        names[c] = sl_hudi_scan_column(scan, c)->name;
    rc = sl_parquet_json_keys_init(&keys, names, ncolumns, err);
    if (rc != SL_OK)
        goto fail;
    for (;;) {
        rc = sl_hudi_scan_next(scan, &chunk, err);
        if (rc != SL_OK || chunk.end)
            break;
        for (uint32_t k = 0; k < chunk.nselected; k++) {
            uint32_t row = chunk.selected ? chunk.selected[k] : k;
            rc = sl_parquet_json_append_row(out, &keys, chunk.infos, chunk.values, row);
            if (rc != SL_OK) {
                rc = sl_error_set(err, rc, "%s: cannot format row %u of row group %u", chunk.file,
                                  row, chunk.row_group);
                goto fail;
            }
            if (out->len >= OUTPUT_FLUSH_BYTES && (rc = flush_out(out, err)) != SL_OK)
                goto fail;
        }
    }
fail:
    sl_parquet_json_keys_free(&keys);
    sl_free(names);
    return rc;
}

int sl_cmd_cat(int argc, char **argv)
{
    const char *uri = NULL, *as_of = NULL, *since = NULL, *until = NULL, *columns = NULL;
    bool meta = false;
    char instant[18];
    char *column_text = NULL;
    const char **names = NULL;
    struct sl_object_store store = {0};
    struct sl_hudi_table *table = NULL;
    struct sl_hudi_scan *scan = NULL;
    struct sl_hudi_query query = {0};
    struct sl_buf out;
    struct sl_error err;
    int status = SL_EXIT_FAILURE, rc;

    sl_buf_init(&out, OUTPUT_MAX);
    sl_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **target = NULL;
        const char *name = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cat_usage(stdout);
            return SL_EXIT_OK;
        } else if (strcmp(a, "--meta") == 0) {
            meta = true;
            continue;
        } else if (strncmp(a, "--as-of", 7) == 0) {
            target = &as_of, name = "--as-of";
        } else if (strncmp(a, "--since", 7) == 0) {
            target = &since, name = "--since";
        } else if (strncmp(a, "--until", 7) == 0) {
            target = &until, name = "--until";
        } else if (strncmp(a, "--columns", 9) == 0) {
            target = &columns, name = "--columns";
        }
        if (target != NULL) {
            size_t len = strlen(name);
            if (a[len] == '=') {
                *target = a + len + 1;
            } else if (a[len] != '\0') {
                return usage_error("unknown option '%s'", a);
            } else if (i + 1 >= argc) {
                return usage_error("%s needs a value", name);
            } else {
                *target = argv[++i];
            }
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
    if (until != NULL && since == NULL)
        return usage_error("%s", "--until needs --since (the exclusive begin of the range)");
    if (as_of != NULL && since != NULL)
        return usage_error("%s", "--as-of and --since exclude each other; pick one");
    if (columns != NULL && columns[0] == '\0')
        return usage_error("%s", "--columns needs at least one column name");
    const char *instants[] = {as_of, since, until};
    for (size_t i = 0; i < SL_ARRAY_LEN(instants); i++) {
        if (instants[i] != NULL && sl_hudi_instant_normalize(instants[i], instant, &err) != SL_OK) {
            fprintf(stderr, "sluice cat: %s\n(see sluice cat --help)\n", err.message);
            return SL_EXIT_USAGE;
        }
    }

    query.kind = as_of   ? SL_HUDI_QUERY_AS_OF
                 : since ? SL_HUDI_QUERY_INCREMENTAL
                         : SL_HUDI_QUERY_SNAPSHOT;
    query.as_of = as_of;
    query.since = since;
    query.until = until;
    query.meta = meta;
    if (columns != NULL) {
        column_text = sl_strdup(columns);
        names = sl_calloc(strlen(columns) + 1, sizeof(*names));
        if (column_text == NULL || names == NULL) {
            sl_error_set(&err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        query.ncolumns = split_list(column_text, names);
        query.columns = names;
    }
    rc = sl_cli_open_table(uri, &store, &table, &err);
    if (rc != SL_OK)
        goto fail;
    rc = sl_hudi_scan_open(table, &query, &scan, &err);
    if (rc == SL_EINVAL) {
        fprintf(stderr, "sluice cat: %s\n(see sluice cat --help)\n", err.message);
        status = SL_EXIT_USAGE;
        goto done;
    }
    if (rc != SL_OK)
        goto fail;
    if (sl_hudi_scan_left_out_count(scan) > 0) {
        struct sl_buf list;
        sl_buf_init(&list, 1 << 16);
        for (uint32_t i = 0; i < sl_hudi_scan_left_out_count(scan); i++)
            sl_buf_printf(&list, "%s%s", i ? "," : "", sl_hudi_scan_left_out(scan, i));
        fprintf(stderr,
                "sluice cat: warning: left out nested columns sluice cannot print: %s (name the "
                "columns to print with --columns to silence this)\n",
                list.data ? list.data : "");
        sl_buf_free(&list);
    }
    rc = print_rows(scan, &out, &err);
    if (rc == SL_OK)
        rc = flush_out(&out, &err);
    if (rc != SL_OK)
        goto fail;
    if (fflush(stdout) != 0) {
        sl_error_set(&err, SL_EIO, "cannot write to standard output");
        goto fail;
    }
    status = SL_EXIT_OK;
    goto done;
fail:
    flush_out(&out, NULL);
    fflush(stdout);
    fprintf(stderr, "sluice cat: error: %s\n", err.message);
    status = SL_EXIT_FAILURE;
done:
    sl_hudi_scan_close(scan);
    sl_hudi_table_close(table);
    sl_object_store_close(&store);
    sl_free(names);
    sl_free(column_text);
    sl_buf_free(&out);
    return status;
}

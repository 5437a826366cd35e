/*
 * `sluice parquet-dump FILE [--schema] [--columns a,b]`: a Parquet file's rows
 * as JSON lines (or its schema as one JSON object), for users inspecting base
 * files. Values follow `sluice tail`'s conventions. Rows are read a row group
 * at a time (every selected column, decoded in parallel, then the rows), so
 * memory is bounded by one row group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parquet_json.h"
#include "sluice/change.h"
#include "sluice/parquet.h"

#define OUTPUT_FLUSH_BYTES (1u << 20)
#define OUTPUT_MAX ((size_t)1 << 32)

/* parquet.thrift physical type numbers (the public header gives them as int32_t) */
enum {
    PT_BOOLEAN = 0, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA
};

static const char *const physical_names[] = {"BOOLEAN", "INT32", "INT64", "INT96",
                                             "FLOAT", "DOUBLE", "BYTE_ARRAY",
                                             "FIXED_LEN_BYTE_ARRAY"};

static void dump_usage(FILE *out)
{
    fprintf(out, "usage: sluice parquet-dump FILE [--schema] [--columns a,b]\n"
                 "\n"
                 "Prints each row of a Parquet file as a JSON object line.\n"
                 "  --schema       print the schema and file metadata as one JSON object\n"
                 "  --columns a,b  print only these columns, in this order\n");
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "sluice parquet-dump: ");
    fprintf(stderr, fmt, value);
    fprintf(stderr, "\n(see sluice parquet-dump --help)\n");
    return SL_EXIT_USAGE;
}

static int flush_out(struct sl_buf *out, struct sl_error *err)
{
    if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len)
        return sl_error_set(err, SL_EIO, "cannot write to standard output");
    sl_buf_reset(out);
    return SL_OK;
}

/* ---------------------------------------------------------------- values */

/* ---------------------------------------------------------------- schema */

static int put_json_str(struct sl_buf *out, const char *s)
{
    return sl_parquet_json_append_cstr(out, s);
}

static const char *unit_name(int32_t unit)
{
    return unit == 1 ? "MILLIS" : unit == 3 ? "NANOS" : "MICROS";
}

static int put_logical(struct sl_buf *out, const struct sl_parquet_column_info *info)
{
    char text[96];
    const char *l = info->logical;
    if (l == NULL)
        return sl_buf_append_str(out, "null");
    if (strcmp(l, "DECIMAL") == 0)
        snprintf(text, sizeof(text), "DECIMAL(%d,%d)", (int)info->precision, (int)info->scale);
    else if (strcmp(l, "TIMESTAMP") == 0 || strcmp(l, "TIME") == 0)
        snprintf(text, sizeof(text), "%s(%s%s)", l, unit_name(info->time_unit),
                 info->adjusted_to_utc ? ",UTC" : "");
    else if (strcmp(l, "INTEGER") == 0)
        snprintf(text, sizeof(text), "INTEGER(%d,%s)", (int)info->bit_width,
                 info->is_signed ? "signed" : "unsigned");
    else
        snprintf(text, sizeof(text), "%s", l);
    return put_json_str(out, text);
}

static int put_schema(struct sl_buf *out, const char *path, const struct sl_parquet_reader *r)
{
    uint32_t n = sl_parquet_reader_ncolumns(r);
    int rc = sl_buf_append_str(out, "{\"file\":");
    if (rc == SL_OK)
        rc = put_json_str(out, path);
    if (rc == SL_OK)
        rc = sl_buf_printf(out, ",\"num_rows\":%lld,\"row_groups\":%u,\"created_by\":",
                           (long long)sl_parquet_reader_num_rows(r),
                           sl_parquet_reader_num_row_groups(r));
    if (rc == SL_OK)
        rc = put_json_str(out, sl_parquet_reader_created_by(r));
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"columns\":[");
    for (uint32_t i = 0; i < n && rc == SL_OK; i++) {
        const struct sl_parquet_column_info *info = sl_parquet_reader_column(r, i);
        const char *physical = info->physical >= 0 &&
                                       info->physical < (int32_t)SL_ARRAY_LEN(physical_names)
                                   ? physical_names[info->physical]
                                   : NULL;
        rc = sl_buf_append_str(out, i ? ",{\"name\":" : "{\"name\":");
        if (rc == SL_OK)
            rc = put_json_str(out, info->name);
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, ",\"physical\":");
        if (rc == SL_OK)
            rc = put_json_str(out, physical);
        if (rc == SL_OK && info->physical == PT_FLBA)
            rc = sl_buf_printf(out, ",\"type_length\":%d", (int)info->type_length);
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, ",\"logical\":");
        if (rc == SL_OK)
            rc = put_logical(out, info);
        if (rc == SL_OK)
            rc = sl_buf_printf(out, ",\"optional\":%s,\"unsupported\":",
                               info->optional ? "true" : "false");
        if (rc == SL_OK)
            rc = put_json_str(out, info->unsupported);
        if (rc == SL_OK)
            rc = sl_buf_putc(out, '}');
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "],\"key_value_metadata\":{");
    for (uint32_t i = 0; i < sl_parquet_reader_kv_count(r) && rc == SL_OK; i++) {
        const char *key, *value;
        sl_parquet_reader_kv_at(r, i, &key, &value);
        if (i > 0)
            rc = sl_buf_putc(out, ',');
        if (rc == SL_OK)
            rc = put_json_str(out, key != NULL ? key : "");
        if (rc == SL_OK)
            rc = sl_buf_putc(out, ':');
        if (rc == SL_OK)
            rc = put_json_str(out, value);
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "}}\n");
    return rc;
}

/* ---------------------------------------------------------------- rows */

static int dump_rows(struct sl_buf *out, struct sl_parquet_reader *r, const uint32_t *selected,
                     uint32_t nselected, struct sl_error *err)
{
    struct sl_parquet_column_values *values = NULL;
    const struct sl_parquet_column_info **infos = NULL;
    const char **names = NULL;
    struct sl_parquet_json_keys keys = {0};
    int rc = SL_OK;

    values = sl_calloc(nselected ? nselected : 1, sizeof(*values));
    infos = sl_calloc(nselected ? nselected : 1, sizeof(*infos));
    names = sl_calloc(nselected ? nselected : 1, sizeof(*names));
    if (values == NULL || infos == NULL || names == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t c = 0; c < nselected; c++) {
        infos[c] = sl_parquet_reader_column(r, selected[c]);
        names[c] = infos[c]->name;
    }
    rc = sl_parquet_json_keys_init(&keys, names, nselected, err);
    if (rc != SL_OK)
        goto fail;
    for (uint32_t g = 0; g < sl_parquet_reader_num_row_groups(r); g++) {
        size_t nrows = (size_t)sl_parquet_reader_row_group_rows(r, g);
        /* every selected column at once, decoded on the reader's threads */
        rc = sl_parquet_reader_read_columns(r, g, selected, nselected, values, err);
        if (rc != SL_OK)
            goto fail;
        for (size_t row = 0; row < nrows; row++) {
            rc = sl_parquet_json_append_row(out, &keys, infos, values, row);
            if (rc != SL_OK) {
                rc = sl_error_set(err, rc, "cannot format row %zu of row group %u", row, g);
                goto fail;
            }
            if (out->len >= OUTPUT_FLUSH_BYTES) {
                rc = flush_out(out, err);
                if (rc != SL_OK)
                    goto fail;
            }
        }
    }
fail:
    sl_parquet_json_keys_free(&keys);
    sl_free(names);
    sl_free(infos);
    sl_free(values);
    return rc;
}

/* Resolves --columns (a comma list) to column indices; returns an exit status. */
static int select_columns(const struct sl_parquet_reader *r, const char *list,
                          uint32_t *selected, uint32_t *nselected, uint32_t cap)
{
    const char *p = list;
    *nselected = 0;
    while (true) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *name = sl_strndup(p, len);
        int index;
        if (name == NULL) {
            fprintf(stderr, "sluice parquet-dump: error: out of memory\n");
            return SL_EXIT_FAILURE;
        }
        index = sl_parquet_reader_find_column(r, name);
        if (index < 0 || *nselected >= cap) {
            int status = usage_error(index < 0 ? "unknown column '%s' in --columns"
                                               : "too many columns in --columns ('%s')",
                                     name);
            sl_free(name);
            return status;
        }
        sl_free(name);
        selected[(*nselected)++] = (uint32_t)index;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return SL_EXIT_OK;
}

int sl_cmd_parquet_dump(int argc, char **argv)
{
    const char *path = NULL, *columns = NULL;
    bool schema = false;
    struct sl_read_file file = {0};
    bool file_open = false;
    struct sl_parquet_reader *reader = NULL;
    struct sl_buf out;
    struct sl_error err;
    uint32_t *selected = NULL, nselected = 0, ncolumns;
    int status = SL_EXIT_FAILURE, rc;

    sl_buf_init(&out, OUTPUT_MAX);
    sl_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            dump_usage(stdout);
            return SL_EXIT_OK;
        } else if (strcmp(a, "--schema") == 0) {
            schema = true;
        } else if (strcmp(a, "--columns") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s", "--columns needs a list of column names");
            columns = argv[++i];
        } else if (strncmp(a, "--columns=", 10) == 0) {
            columns = a + 10;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (path == NULL)
        return usage_error("%s", "a FILE is required");
    if (columns != NULL && columns[0] == '\0')
        return usage_error("%s", "--columns needs at least one column name");

    rc = sl_file_read_open(path, &file, &err);
    if (rc != SL_OK)
        goto fail;
    file_open = true;
    rc = sl_parquet_reader_open(&file, path, &reader, &err);
    if (rc != SL_OK)
        goto fail;
    if (schema) {
        rc = put_schema(&out, path, reader);
        if (rc != SL_OK) {
            sl_error_set(&err, rc, "%s: cannot format the schema", path);
            goto fail;
        }
        rc = flush_out(&out, &err);
        if (rc != SL_OK)
            goto fail;
        status = SL_EXIT_OK;
        goto done;
    }
    ncolumns = sl_parquet_reader_ncolumns(reader);
    /* --columns may name a column twice, so allow for more entries than columns */
    selected = sl_calloc((size_t)ncolumns + (columns ? strlen(columns) : 0) + 1,
                         sizeof(*selected));
    if (selected == NULL) {
        rc = sl_error_set(&err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if (columns != NULL) {
        status = select_columns(reader, columns, selected, &nselected,
                                ncolumns + (uint32_t)strlen(columns) + 1);
        if (status != SL_EXIT_OK)
            goto done;
        status = SL_EXIT_FAILURE;
    } else {
        for (uint32_t c = 0; c < ncolumns; c++)
            selected[nselected++] = c;
    }
    for (uint32_t c = 0; c < nselected; c++) {
        const struct sl_parquet_column_info *info = sl_parquet_reader_column(reader, selected[c]);
        if (info->unsupported != NULL) {
            rc = sl_error_set(&err, SL_EPROTO,
                              "%s: column %s is not supported (%s); leave it out with --columns",
                              path, info->name, info->unsupported);
            goto fail;
        }
    }
    rc = dump_rows(&out, reader, selected, nselected, &err);
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
    if (strncmp(err.message, path, strlen(path)) == 0)
        fprintf(stderr, "sluice parquet-dump: error: %s\n", err.message);
    else
        fprintf(stderr, "sluice parquet-dump: error: %s: %s\n", path, err.message);
    status = SL_EXIT_FAILURE;
done:
    sl_free(selected);
    sl_parquet_reader_free(reader);
    if (file_open && file.destroy != NULL)
        file.destroy(file.ctx);
    sl_buf_free(&out);
    return status;
}

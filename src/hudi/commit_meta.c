/*
 * Commit metadata (the completed commit / replacecommit file): JSON text in
 * table version 6, an Avro container in version 8. Both become one jansson
 * tree of the same shape, which meta_from_json maps into write stats and
 * replaced file groups. Also writes the JSON Hudi's own writers produce
 * (hudi-v6-format.md section 3).
 */
#include "hudi/avro.h"
#include "hudi/timeline.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void stat_free(struct sl_hudi_write_stat *s)
{
    sl_free(s->partition);
    sl_free(s->file_id);
    sl_free(s->path);
    sl_free(s->prev_commit);
}

void sl_hudi_commit_meta_free(struct sl_hudi_commit_meta *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nstats; i++)
        stat_free(&m->stats[i]);
    sl_free(m->stats);
    for (size_t i = 0; i < m->nreplaced; i++) {
        sl_free(m->replaced[i].partition);
        sl_free(m->replaced[i].file_id);
    }
    sl_free(m->replaced);
    sl_free(m->operation);
    sl_free(m->schema);
    sl_free(m->checkpoint);
    memset(m, 0, sizeof(*m));
}

/* A string member copied, NULL when absent or not a string. */
static int dup_string(json_t *obj, const char *key, char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!json_is_string(v))
        return SL_OK;
    *out = sl_strndup(json_string_value(v), json_string_length(v));
    return *out ? SL_OK : SL_ENOMEM;
}

static int64_t get_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/*
 * The commit metadata tree (borrowed; an object) into *out, which starts
 * zeroed. Members absent or null read as empty; on failure *out keeps what
 * was filled so far (the caller frees it).
 */
static int meta_from_json(json_t *root, struct sl_hudi_commit_meta *out, struct sl_error *err)
{
    json_t *by_partition, *extra, *replaced;
    const char *partition;
    json_t *list;

    by_partition = json_object_get(root, "partitionToWriteStats");
    if (by_partition != NULL && !json_is_object(by_partition) && !json_is_null(by_partition))
        return sl_error_set(err, SL_EPROTO,
                            "commit metadata: partitionToWriteStats is not an object");
    json_object_foreach(by_partition, partition, list) {
        size_t i;
        json_t *stat;
        if (!json_is_array(list))
            return sl_error_set(err, SL_EPROTO,
                                "commit metadata: write stats of partition '%s' are not a list",
                                partition);
        json_array_foreach(list, i, stat) {
            struct sl_hudi_write_stat *s;
            if (!json_is_object(stat))
                return sl_error_set(err, SL_EPROTO,
                                    "commit metadata: a write stat is not an object");
            if (sl_array_grow((void **)&out->stats, &out->stats_cap, out->nstats + 1,
                              sizeof(*out->stats)) != SL_OK)
                goto oom;
            s = &out->stats[out->nstats];
            memset(s, 0, sizeof(*s));
            out->nstats++;
            if ((s->partition = sl_strdup(partition)) == NULL ||
                dup_string(stat, "fileId", &s->file_id) != SL_OK ||
                dup_string(stat, "path", &s->path) != SL_OK ||
                dup_string(stat, "prevCommit", &s->prev_commit) != SL_OK)
                goto oom;
            if (s->file_id == NULL)
                return sl_error_set(err, SL_EPROTO,
                                    "commit metadata: a write stat of partition '%s' has no fileId",
                                    partition);
            s->num_writes = get_int(stat, "numWrites");
            s->num_deletes = get_int(stat, "numDeletes");
            s->num_update_writes = get_int(stat, "numUpdateWrites");
            s->num_inserts = get_int(stat, "numInserts");
            s->total_write_bytes = get_int(stat, "totalWriteBytes");
            s->file_size = get_int(stat, "fileSizeInBytes");
        }
    }
    replaced = json_object_get(root, "partitionToReplaceFileIds");
    json_object_foreach(replaced, partition, list) {
        size_t i;
        json_t *id;
        json_array_foreach(list, i, id) {
            if (!json_is_string(id))
                continue;
            if (sl_array_grow((void **)&out->replaced, &out->replaced_cap, out->nreplaced + 1,
                              sizeof(*out->replaced)) != SL_OK)
                goto oom;
            struct sl_hudi_replaced *r = &out->replaced[out->nreplaced++];
            r->partition = sl_strdup(partition);
            r->file_id = sl_strdup(json_string_value(id));
            if (r->partition == NULL || r->file_id == NULL)
                goto oom;
        }
    }
    extra = json_object_get(root, "extraMetadata");
    if (dup_string(root, "operationType", &out->operation) != SL_OK ||
        dup_string(extra, "schema", &out->schema) != SL_OK ||
        dup_string(extra, "sluice.checkpoint", &out->checkpoint) != SL_OK)
        goto oom;
    out->compacted = json_is_true(json_object_get(root, "compacted"));
    return SL_OK;
oom:
    return sl_error_set(err, SL_ENOMEM, "out of memory reading commit metadata");
}

int sl_hudi_commit_meta_parse(const char *text, size_t len, struct sl_hudi_commit_meta *out,
                              struct sl_error *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len == 0) /* an empty completed file: nothing written (Hudi accepts it) */
        return SL_OK;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        rc = sl_error_set(err, SL_EPROTO, "commit metadata is not a JSON object (%s at line %d)",
                          root ? "not an object" : jerr.text, jerr.line);
        goto done;
    }
    rc = meta_from_json(root, out, err);
done:
    json_decref(root);
    if (rc != SL_OK)
        sl_hudi_commit_meta_free(out);
    return rc;
}

int sl_hudi_commit_meta_parse_avro(const void *bytes, size_t len,
                                   const struct sl_avro_limits *limits,
                                   struct sl_hudi_commit_meta *out, struct sl_error *err)
{
    struct sl_avro_container file;
    json_t *record;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len == 0) /* as with JSON: an empty completed file wrote nothing */
        return SL_OK;
    rc = sl_avro_container_read(bytes, len, limits, &file, err);
    if (rc != SL_OK)
        return rc;
    /* Hudi reads the first record; a container without one is an empty commit */
    record = json_array_get(file.records, 0);
    if (record != NULL && !json_is_object(record)) {
        rc = sl_error_set(err, SL_EPROTO,
                          "commit metadata: the Avro container holds a %s, not a record",
                          sl_avro_schema_name(file.schema));
        goto done;
    }
    if (record != NULL && (rc = meta_from_json(record, out, err)) != SL_OK)
        sl_error_prefix(err, "Avro %s", sl_avro_schema_name(file.schema));
done:
    sl_avro_container_free(&file);
    if (rc != SL_OK)
        sl_hudi_commit_meta_free(out);
    return rc;
}

static json_t *stat_json(const struct sl_hudi_write_stat *s)
{
    json_t *o = json_object();
    json_t *runtime = json_object();
    if (o == NULL || runtime == NULL) {
        json_decref(o);
        json_decref(runtime);
        return NULL;
    }
    json_object_set_new(o, "fileId", json_string(s->file_id));
    json_object_set_new(o, "path", json_string(s->path));
    json_object_set_new(o, "cdcStats", json_null());
    json_object_set_new(o, "prevCommit", json_string(s->prev_commit ? s->prev_commit : "null"));
    json_object_set_new(o, "numWrites", json_integer(s->num_writes));
    json_object_set_new(o, "numDeletes", json_integer(s->num_deletes));
    json_object_set_new(o, "numUpdateWrites", json_integer(s->num_update_writes));
    json_object_set_new(o, "numInserts", json_integer(s->num_inserts));
    json_object_set_new(o, "totalWriteBytes", json_integer(s->total_write_bytes));
    json_object_set_new(o, "totalWriteErrors", json_integer(0));
    json_object_set_new(o, "tempPath", json_null());
    json_object_set_new(o, "partitionPath", json_string(s->partition));
    json_object_set_new(o, "totalLogRecords", json_integer(0));
    json_object_set_new(o, "totalLogFilesCompacted", json_integer(0));
    json_object_set_new(o, "totalLogSizeCompacted", json_integer(0));
    json_object_set_new(o, "totalUpdatedRecordsCompacted", json_integer(0));
    json_object_set_new(o, "totalLogBlocks", json_integer(0));
    json_object_set_new(o, "totalCorruptLogBlock", json_integer(0));
    json_object_set_new(o, "totalRollbackBlocks", json_integer(0));
    json_object_set_new(o, "fileSizeInBytes", json_integer(s->file_size));
    json_object_set_new(o, "minEventTime", json_null());
    json_object_set_new(o, "maxEventTime", json_null());
    json_object_set_new(runtime, "totalScanTime", json_integer(0));
    json_object_set_new(runtime, "totalUpsertTime", json_integer(0));
    json_object_set_new(runtime, "totalCreateTime", json_integer(0));
    json_object_set_new(o, "runtimeStats", runtime);
    return o;
}

int sl_hudi_commit_meta_format(const struct sl_hudi_commit_meta *m, struct sl_buf *out,
                               struct sl_error *err)
{
    json_t *root = json_object(), *by_partition = json_object(), *extra = json_object();
    char *text = NULL;
    int rc = SL_OK;

    if (root == NULL || by_partition == NULL || extra == NULL)
        goto oom;
    for (size_t i = 0; i < m->nstats; i++) {
        const struct sl_hudi_write_stat *s = &m->stats[i];
        json_t *list = json_object_get(by_partition, s->partition);
        json_t *stat = stat_json(s);
        if (stat == NULL)
            goto oom;
        if (list == NULL) {
            list = json_array();
            if (list == NULL || json_object_set_new(by_partition, s->partition, list) != 0) {
                json_decref(stat);
                goto oom;
            }
        }
        if (json_array_append_new(list, stat) != 0)
            goto oom;
    }
    json_object_set_new(root, "partitionToWriteStats", by_partition);
    by_partition = NULL;
    if (m->nreplaced > 0) {
        json_t *replaced = json_object();
        if (replaced == NULL)
            goto oom;
        json_object_set_new(root, "partitionToReplaceFileIds", replaced);
        for (size_t i = 0; i < m->nreplaced; i++) {
            json_t *list = json_object_get(replaced, m->replaced[i].partition);
            if (list == NULL) {
                list = json_array();
                json_object_set_new(replaced, m->replaced[i].partition, list);
            }
            json_array_append_new(list, json_string(m->replaced[i].file_id));
        }
    }
    json_object_set_new(root, "compacted", json_boolean(m->compacted));
    if (m->schema != NULL)
        json_object_set_new(extra, "schema", json_string(m->schema));
    if (m->checkpoint != NULL)
        json_object_set_new(extra, "sluice.checkpoint", json_string(m->checkpoint));
    json_object_set_new(root, "extraMetadata", extra);
    extra = NULL;
    json_object_set_new(root, "operationType", json_string(m->operation ? m->operation : "UPSERT"));
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL)
        goto oom;
    rc = sl_buf_append_str(out, text);
    if (rc != SL_OK)
        rc = sl_error_set(err, rc, "commit metadata does not fit its buffer");
    goto done;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory writing commit metadata");
done:
    free(text);
    json_decref(root);
    json_decref(by_partition);
    json_decref(extra);
    return rc;
}

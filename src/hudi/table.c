/*
 * An open Hudi table: its properties, timeline and newest schema, and the
 * file-system view (the latest base file of each file group as of an
 * instant) that both the reader and the copy-on-write writer start from.
 */
#include "hudi/table_internal.h"

#include "hudi/avro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROPERTIES_MAX ((size_t)1 << 20)
#define COMMIT_META_MAX ((size_t)256 << 20)

int sl_hudi_key_join(const struct sl_hudi_table *t, const char *rest, char **out)
{
    size_t base_len = strlen(t->base), rest_len = strlen(rest);
    char *key = sl_malloc(base_len + rest_len + 2);
    if (key == NULL)
        return SL_ENOMEM;
    if (base_len > 0) {
        memcpy(key, t->base, base_len);
        key[base_len] = '/';
        memcpy(key + base_len + 1, rest, rest_len + 1);
    } else {
        memcpy(key, rest, rest_len + 1);
    }
    *out = key;
    return SL_OK;
}

const char *sl_hudi_table_name(const struct sl_hudi_table *t) { return t->name; }
int sl_hudi_table_version(const struct sl_hudi_table *t) { return t->version; }
const char *sl_hudi_table_checkpoint(const struct sl_hudi_table *t) { return t->checkpoint; }

const char *sl_hudi_table_property(const struct sl_hudi_table *t, const char *key)
{
    return sl_hudi_props_get(&t->props, key);
}

size_t sl_hudi_table_instant_count(const struct sl_hudi_table *t) { return t->timeline.count; }

void sl_hudi_table_instant_at(const struct sl_hudi_table *t, size_t i,
                              struct sl_hudi_instant_info *out)
{
    const struct sl_hudi_instant *in = &t->timeline.instants[i];
    out->time = in->time;
    out->completion = in->completion;
    out->action = sl_hudi_action_name(in->action);
    out->state = sl_hudi_state_name(in->state);
}

/* Splits a comma list into owned strings. */
static int split_fields(const char *list, char ***out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    if (list == NULL || list[0] == '\0')
        return SL_OK;
    uint32_t count = 1;
    for (const char *p = list; *p; p++)
        count += *p == ',';
    char **fields = sl_calloc(count, sizeof(char *));
    if (fields == NULL)
        return SL_ENOMEM;
    const char *start = list;
    for (uint32_t i = 0; i < count; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        while (len > 0 && *start == ' ') {
            start++;
            len--;
        }
        while (len > 0 && start[len - 1] == ' ')
            len--;
        /* CustomKeyGenerator spells partition fields "name:TYPE": keep the name */
        const char *colon = memchr(start, ':', len);
        if (colon != NULL)
            len = (size_t)(colon - start);
        fields[i] = sl_strndup(start, len);
        if (fields[i] == NULL) {
            for (uint32_t j = 0; j < i; j++)
                sl_free(fields[j]);
            sl_free(fields);
            return SL_ENOMEM;
        }
        start = end ? end + 1 : start + len;
    }
    *out = fields;
    *n = count;
    return SL_OK;
}

static void free_fields(char **fields, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        sl_free(fields[i]);
    sl_free(fields);
}

void sl_hudi_table_close(struct sl_hudi_table *t)
{
    if (t == NULL)
        return;
    sl_free(t->base);
    sl_free(t->timeline_folder);
    sl_hudi_props_free(&t->props);
    sl_hudi_timeline_free(&t->timeline);
    sl_hudi_schema_free(t->schema);
    free_fields(t->key_fields, t->nkey_fields);
    free_fields(t->partition_fields, t->npartition_fields);
    sl_free(t->checkpoint);
    sl_free(t->schema_instant);
    sl_hudi_commit_meta_free(&t->summary_meta);
    sl_free(t);
}

int sl_hudi_table_read_commit(struct sl_hudi_table *t, const struct sl_hudi_instant *in,
                              struct sl_hudi_commit_meta *out, struct sl_error *err)
{
    struct sl_buf text;
    char *rest = NULL, *key = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    sl_buf_init(&text, COMMIT_META_MAX);
    if (in->file_completed == NULL)
        return sl_error_set(err, SL_EINVAL, "instant %s is not completed", in->time);
    size_t need = strlen(t->timeline_folder) + strlen(in->file_completed) + 1;
    rest = sl_malloc(need);
    if (rest == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    snprintf(rest, need, "%s%s", t->timeline_folder, in->file_completed);
    rc = sl_hudi_key_join(t, rest, &key);
    if (rc != SL_OK) {
        rc = sl_error_set(err, rc, "out of memory");
        goto done;
    }
    rc = t->store->get(t->store->ctx, key, &text, err);
    if (rc != SL_OK)
        goto done;
    if (t->version >= 8 && sl_avro_is_container(text.data, text.len))
        rc = sl_hudi_commit_meta_parse_avro(text.data, text.len, NULL, out, err);
    else
        rc = sl_hudi_commit_meta_parse(text.data, text.len, out, err);
    if (rc != SL_OK)
        sl_error_prefix(err, "%s", key);
done:
    sl_buf_free(&text);
    sl_free(rest);
    sl_free(key);
    return rc;
}

/* Newest schema and checkpoint from the completed commits, newest first. */
static int load_latest_commit_facts(struct sl_hudi_table *t, struct sl_error *err)
{
    bool need_schema = true, need_checkpoint = true;

    sl_free(t->checkpoint);
    t->checkpoint = NULL;
    for (size_t i = t->timeline.count; i > 0 && (need_schema || need_checkpoint); i--) {
        const struct sl_hudi_instant *in = &t->timeline.instants[i - 1];
        struct sl_hudi_commit_meta meta;
        int rc;

        if (!sl_hudi_instant_writes_data(in))
            continue;
        if (!need_checkpoint && t->schema_instant != NULL && strcmp(t->schema_instant, in->time) == 0)
            break; /* the schema we hold is already this commit's */
        rc = sl_hudi_table_read_commit(t, in, &meta, err);
        if (rc != SL_OK)
            return rc;
        if (need_checkpoint && meta.checkpoint != NULL) {
            t->checkpoint = meta.checkpoint;
            meta.checkpoint = NULL;
            need_checkpoint = false;
        }
        if (need_schema && meta.schema != NULL) {
            struct sl_hudi_schema *schema = NULL;
            rc = sl_hudi_schema_from_avro(meta.schema, strlen(meta.schema), &schema, err);
            if (rc != SL_OK) {
                sl_error_prefix(err, "the schema of commit %s", in->time);
                sl_hudi_commit_meta_free(&meta);
                return rc;
            }
            sl_hudi_schema_free(t->schema);
            t->schema = schema;
            sl_free(t->schema_instant);
            t->schema_instant = sl_strdup(in->time);
            need_schema = false;
        }
        sl_hudi_commit_meta_free(&meta);
    }
    if (t->schema == NULL) {
        const char *create = sl_hudi_props_get(&t->props, "hoodie.table.create.schema");
        if (create != NULL && create[0] != '\0') {
            int rc = sl_hudi_schema_from_avro(create, strlen(create), &t->schema, err);
            if (rc != SL_OK) {
                sl_error_prefix(err, "hoodie.table.create.schema");
                return rc;
            }
        }
    }
    return SL_OK;
}

int sl_hudi_table_refresh(struct sl_hudi_table *t, struct sl_error *err)
{
    char *folder = NULL;
    int rc;

    sl_hudi_timeline_free(&t->timeline);
    rc = sl_hudi_key_join(t, t->timeline_folder, &folder);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "out of memory");
    rc = sl_hudi_timeline_load(t->store, folder, &t->timeline, err);
    sl_free(folder);
    if (rc != SL_OK)
        return rc;
    return load_latest_commit_facts(t, err);
}

int sl_hudi_table_open(struct sl_object_store *store, const char *base, struct sl_hudi_table **out,
                       struct sl_error *err)
{
    struct sl_hudi_table *t = sl_calloc(1, sizeof(*t));
    struct sl_buf text;
    char *key = NULL;
    const char *value;
    int rc;

    *out = NULL;
    sl_buf_init(&text, PROPERTIES_MAX);
    if (t == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    t->store = store;
    t->base = sl_strdup(base);
    if (t->base == NULL)
        goto oom;
    while (t->base[0] != '\0' && t->base[strlen(t->base) - 1] == '/')
        t->base[strlen(t->base) - 1] = '\0';
    if (sl_hudi_key_join(t, ".hoodie/hoodie.properties", &key) != SL_OK)
        goto oom;
    rc = store->get(store->ctx, key, &text, err);
    if (rc == SL_ENOTFOUND) {
        rc = sl_error_set(err, SL_ENOTFOUND, "no Hudi table at %s/%s (%s is missing)", store->uri,
                          t->base, key);
        goto fail;
    }
    if (rc != SL_OK)
        goto fail;
    rc = sl_hudi_props_parse(text.data, text.len, &t->props, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "%s", key);
        goto fail;
    }
    value = sl_hudi_props_get(&t->props, "hoodie.table.version");
    t->version = value ? atoi(value) : 0;
    if (t->version < 5 || t->version > 8) {
        rc = sl_error_set(err, SL_ECONFIG, "%s: hoodie.table.version is %s; sluice reads versions 5 to 8",
                          key, value ? value : "missing");
        goto fail;
    }
    t->name = sl_hudi_props_get(&t->props, "hoodie.table.name");
    if (t->name == NULL)
        t->name = "";
    value = sl_hudi_props_get(&t->props, "hoodie.table.type");
    t->merge_on_read = value != NULL && strcmp(value, "MERGE_ON_READ") == 0;
    value = sl_hudi_props_get(&t->props, "hoodie.table.metadata.partitions");
    t->has_metadata_table = value != NULL && value[0] != '\0';
    value = sl_hudi_props_get(&t->props, "hoodie.datasource.write.hive_style_partitioning");
    t->hive_style = value != NULL && strcmp(value, "true") == 0;
    if (split_fields(sl_hudi_props_get(&t->props, "hoodie.table.recordkey.fields"), &t->key_fields,
                     &t->nkey_fields) != SL_OK ||
        split_fields(sl_hudi_props_get(&t->props, "hoodie.table.partition.fields"),
                     &t->partition_fields, &t->npartition_fields) != SL_OK)
        goto oom;
    t->timeline_folder = sl_strdup(t->version >= 8 ? ".hoodie/timeline/" : ".hoodie/");
    if (t->timeline_folder == NULL)
        goto oom;
    rc = sl_hudi_table_refresh(t, err);
    if (rc != SL_OK)
        goto fail;
    sl_buf_free(&text);
    sl_free(key);
    *out = t;
    return SL_OK;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory opening a Hudi table");
fail:
    sl_buf_free(&text);
    sl_free(key);
    sl_hudi_table_close(t);
    return rc;
}

int sl_hudi_table_commit_summary(struct sl_hudi_table *t, size_t i,
                                 struct sl_hudi_commit_summary *out, struct sl_error *err)
{
    const struct sl_hudi_instant *in = &t->timeline.instants[i];
    int rc;

    memset(out, 0, sizeof(*out));
    sl_hudi_commit_meta_free(&t->summary_meta);
    if (!sl_hudi_instant_writes_data(in))
        return SL_OK;
    rc = sl_hudi_table_read_commit(t, in, &t->summary_meta, err);
    if (rc != SL_OK)
        return rc;
    out->operation = t->summary_meta.operation;
    out->checkpoint = t->summary_meta.checkpoint;
    for (size_t s = 0; s < t->summary_meta.nstats; s++) {
        const struct sl_hudi_write_stat *st = &t->summary_meta.stats[s];
        out->inserts += st->num_inserts;
        out->updates += st->num_update_writes;
        out->deletes += st->num_deletes;
        out->files++;
        out->bytes += st->total_write_bytes;
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- file slices */

void sl_hudi_slices_free(struct sl_hudi_slices *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++) {
        sl_free(s->items[i].partition);
        sl_free(s->items[i].file_id);
        sl_free(s->items[i].instant);
        sl_free(s->items[i].key);
    }
    sl_free(s->items);
    memset(s, 0, sizeof(*s));
}

static int compare_slices(const void *a, const void *b)
{
    const struct sl_hudi_slice *x = a, *y = b;
    int c = strcmp(x->partition, y->partition);
    if (c != 0)
        return c;
    c = strcmp(x->file_id, y->file_id);
    if (c != 0)
        return c;
    return strcmp(x->instant, y->instant);
}

/* Is `time` the time of a completed data instant <= as_of? Binary search. */
static bool committed(const struct sl_hudi_table *t, const char *time, size_t time_len,
                      const char *as_of)
{
    if (time_len != SL_HUDI_INSTANT_LEN)
        return false;
    if (as_of != NULL && memcmp(time, as_of, SL_HUDI_INSTANT_LEN) > 0)
        return false;
    size_t lo = 0, hi = t->timeline.count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(t->timeline.instants[mid].time, time, SL_HUDI_INSTANT_LEN);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < t->timeline.count &&
                        memcmp(t->timeline.instants[i].time, time, SL_HUDI_INSTANT_LEN) == 0;
         i++)
        if (sl_hudi_instant_writes_data(&t->timeline.instants[i]))
            return true;
    return false;
}

int sl_hudi_table_slices(struct sl_hudi_table *t, const char *as_of, struct sl_hudi_slices *out,
                         struct sl_error *err)
{
    struct sl_object_listing listing = {0};
    struct sl_hudi_commit_meta meta = {0};
    char *prefix = NULL;
    size_t prefix_len, keep = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (as_of != NULL && !sl_hudi_instant_time_valid(as_of))
        return sl_error_set(err, SL_EINVAL,
                            "'%s' is not an instant time (17 digits, yyyyMMddHHmmssSSS)", as_of);
    if (t->base[0] != '\0') {
        if (sl_hudi_key_join(t, "", &prefix) != SL_OK)
            goto oom;
    } else if ((prefix = sl_strdup("")) == NULL) {
        goto oom;
    }
    prefix_len = strlen(prefix);
    rc = t->store->list(t->store->ctx, prefix, true, &listing, err);
    if (rc != SL_OK)
        goto fail;
    for (size_t i = 0; i < listing.count; i++) {
        const char *rel = listing.entries[i].key + prefix_len;
        const char *slash = strrchr(rel, '/');
        const char *name = slash ? slash + 1 : rel;
        struct sl_hudi_base_name parts;
        struct sl_hudi_slice *s;

        if (strncmp(rel, ".hoodie/", 8) == 0 || !sl_hudi_base_name_parse(name, &parts) ||
            !committed(t, parts.instant, parts.instant_len, as_of))
            continue;
        if (sl_array_grow((void **)&out->items, &out->cap, out->count + 1, sizeof(*out->items)))
            goto oom;
        s = &out->items[out->count];
        memset(s, 0, sizeof(*s));
        out->count++;
        s->partition = sl_strndup(rel, slash ? (size_t)(slash - rel) : 0);
        s->file_id = sl_strndup(parts.file_id, parts.file_id_len);
        s->instant = sl_strndup(parts.instant, parts.instant_len);
        s->key = sl_strdup(listing.entries[i].key);
        s->size = listing.entries[i].size;
        if (!s->partition || !s->file_id || !s->instant || !s->key)
            goto oom;
    }
    if (out->count > 1)
        qsort(out->items, out->count, sizeof(*out->items), compare_slices);
    /* keep the newest slice per file group (sorted: it is the last of its run) */
    for (size_t i = 0; i < out->count; i++) {
        bool newest = i + 1 == out->count ||
                      strcmp(out->items[i].partition, out->items[i + 1].partition) != 0 ||
                      strcmp(out->items[i].file_id, out->items[i + 1].file_id) != 0;
        if (newest) {
            out->items[keep++] = out->items[i];
        } else {
            sl_free(out->items[i].partition);
            sl_free(out->items[i].file_id);
            sl_free(out->items[i].instant);
            sl_free(out->items[i].key);
        }
    }
    out->count = keep;
    /* drop file groups replaced by replacecommits <= as_of */
    for (size_t i = 0; i < t->timeline.count; i++) {
        const struct sl_hudi_instant *in = &t->timeline.instants[i];
        if (in->action != SL_HUDI_ACTION_REPLACE_COMMIT || in->state != SL_HUDI_COMPLETED)
            continue;
        if (as_of != NULL && strcmp(in->time, as_of) > 0)
            break;
        rc = sl_hudi_table_read_commit(t, in, &meta, err);
        if (rc != SL_OK)
            goto fail;
        for (size_t r = 0; r < meta.nreplaced; r++) {
            keep = 0;
            for (size_t s = 0; s < out->count; s++) {
                struct sl_hudi_slice *sl = &out->items[s];
                /* a file group rewritten after the replace lives again */
                bool gone = strcmp(sl->partition, meta.replaced[r].partition) == 0 &&
                            strcmp(sl->file_id, meta.replaced[r].file_id) == 0 &&
                            strcmp(sl->instant, in->time) <= 0;
                if (gone) {
                    sl_free(sl->partition);
                    sl_free(sl->file_id);
                    sl_free(sl->instant);
                    sl_free(sl->key);
                } else {
                    out->items[keep++] = *sl;
                }
            }
            out->count = keep;
        }
        sl_hudi_commit_meta_free(&meta);
    }
    sl_object_listing_free(&listing);
    sl_free(prefix);
    return SL_OK;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory listing the files of %s", t->name);
fail:
    sl_hudi_commit_meta_free(&meta);
    sl_object_listing_free(&listing);
    sl_free(prefix);
    sl_hudi_slices_free(out);
    return rc;
}

const char *const sl_hudi_meta_columns[SL_HUDI_META_COUNT] = {
    "_hoodie_commit_time", "_hoodie_commit_seqno", "_hoodie_record_key", "_hoodie_partition_path",
    "_hoodie_file_name",
};

/*
 * The copy-on-write writer: a batch of changes becomes ONE Hudi commit.
 *
 * Changes are converted to typed cells as they are added (so a bad value
 * fails the batch before anything is written) and collapsed per record key
 * (last change wins; unchanged TOAST cells take the previous value). At
 * commit, the key index (record key hash -> file group) splits the batch into
 * updates and deletes of existing file groups and inserts; each touched file
 * group is rewritten whole (old rows stream through, row group by row group,
 * keeping their commit time and seqno unless changed), inserts fill small
 * file groups of their partition and then new ones. The timeline protocol is
 * requested -> inflight -> data files -> completed; a failure rolls the
 * instant back, and instants a crashed writer left pending are rolled back
 * before the next commit.
 */
#include "hudi/table_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#define BATCH_TEXT_MAX ((size_t)1 << 30)
#define PROPERTIES_MAX ((size_t)1 << 20)
#define DEFAULT_ROW_BYTES 256 /* size estimate per row before a table has files */
/* Bytes of a base file that do not grow with its rows: Hudi's default bloom
 * filter (60000 entries at 1e-9, base64) is ~430 KB, plus the rest of the footer. */
#define FILE_OVERHEAD_BYTES ((uint64_t)440 << 10)
#define CDC_COLUMNS 4
/* hoodie.properties key recording sluice's time partitioning ("created_at:day") */
#define PARTITION_SOURCE_KEY "sluice.partition.source"

static const char *const cdc_names[CDC_COLUMNS] = {
    "_change_operation_type", "_event_lsn", "_event_origin_ts_ms", "_event_tx_id"};

/* ---------------------------------------------------------------- cells */

enum cell_kind { CELL_NULL = 0, CELL_VALUE, CELL_KEEP /* unchanged TOAST: keep the stored value */ };

/* One typed value of a pending row; bytes live in the batch arena. */
struct cell {
    uint8_t kind;
    uint32_t len; /* bytes */
    union {
        int64_t i64;
        int32_t i32;
        double f64;
        float f32;
        uint8_t b;
        uint8_t fixed[16];
        const uint8_t *bytes;
    } v;
};

/* The latest change of one record key in the batch. */
struct pending {
    struct pending *next; /* same key hash */
    uint64_t hash;
    char *key;
    uint32_t key_len;
    char *partition;
    bool is_delete;
    char op;            /* c, u, d, r */
    struct cell *cells; /* nfields cells (table fields) */
    bool applied;       /* consumed by a file group rewrite */
    bool in_place;      /* updated inside its file group (not an insert) */
};

/* Where each table field comes from. */
struct field_source {
    int32_t source_column; /* index in the source schema, -1: none (dropped or CDC) */
    int32_t cdc;           /* 0..3 for the CDC columns, -1 otherwise */
    bool derived;          /* the time-partition column computed from partition_column */
};

/* A file group the writer knows. */
struct fgroup {
    char *partition;
    char *file_id;
    char *instant;
    char *key;
    uint64_t size;
    int64_t rows;
    bool touched;
    bool is_new; /* created by the commit in progress */
};

/* record key hash -> file group ordinal; open addressing. */
#define SLOT_EMPTY 0
#define SLOT_TOMB 1
#define FG_AMBIGUOUS UINT32_MAX
struct key_index {
    uint64_t *hashes;
    uint32_t *groups;
    size_t cap, count, used;
};

struct sl_hudi_writer {
    struct sl_object_store *store; /* borrowed */
    char *base;
    struct sl_hudi_write_options options;
    char *database, *table_name, *partition_column;
    struct sl_hudi_table *table; /* NULL until the table exists */

    /* the source schema the pending rows follow and the table schema they fill */
    const struct sl_table_schema *source; /* borrowed from the change source */
    uint32_t source_version;
    struct sl_hudi_schema *schema; /* the schema the next commit writes */
    struct field_source *fields;   /* schema->nfields */
    int32_t partition_field;       /* index in schema, -1 */
    /* Time partitioning: the partition column is a derived string column
     * "<column>_<unit>" (e.g. created_at_day = "2024-01-15") so every reader
     * sees the same values (Spark 0.15 misreads TimestampBasedKeyGenerator
     * tables); derived_source is the timestamp/date field it is cut from. */
    char *derived_name;
    int32_t derived_source;
    int32_t *key_fields;           /* indexes in schema */
    uint32_t nkeys;
    const char **key_names;
    enum sl_hudi_keygen keygen;

    /* the batch */
    struct sl_arena arena;
    struct sl_u64map by_hash; /* hash -> struct pending * chain */
    struct pending **order;   /* in first-seen order, for deterministic files */
    size_t npending, order_cap;
    bool truncate;
    bool failed;
    struct sl_buf keybuf, partbuf;

    /* the table's file groups and key index */
    struct fgroup *groups;
    size_t ngroups, groups_cap;
    struct key_index index;
    bool index_loaded;
    char *index_instant; /* newest completed instant the index reflects */

    /* the writer lease (one live writer per table) */
    char owner[160];
    bool lease_held;
    int64_t lease_renewed_ms; /* when we last wrote the lease */
};

/* ---------------------------------------------------------------- hashing */

static uint64_t key_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
    /* splitmix64 finaliser: FNV alone clusters in the low bits */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h < 2 ? h + 2 : h;
}

static void index_free(struct key_index *ix)
{
    sl_free(ix->hashes);
    sl_free(ix->groups);
    memset(ix, 0, sizeof(*ix));
}

static int index_grow(struct key_index *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : 1024;
    uint64_t *hashes = sl_calloc(cap, sizeof(uint64_t));
    uint32_t *groups = sl_malloc(cap * sizeof(uint32_t));
    if (hashes == NULL || groups == NULL) {
        sl_free(hashes);
        sl_free(groups);
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < ix->cap; i++) {
        uint64_t h = ix->hashes[i];
        if (h < 2)
            continue;
        size_t j = h & (cap - 1);
        while (hashes[j] != SLOT_EMPTY)
            j = (j + 1) & (cap - 1);
        hashes[j] = h;
        groups[j] = ix->groups[i];
    }
    sl_free(ix->hashes);
    sl_free(ix->groups);
    ix->hashes = hashes;
    ix->groups = groups;
    ix->cap = cap;
    ix->used = ix->count;
    return SL_OK;
}

/* The slot holding h, or SIZE_MAX. */
static size_t index_find(const struct key_index *ix, uint64_t h)
{
    if (ix->cap == 0)
        return SIZE_MAX;
    for (size_t j = h & (ix->cap - 1);; j = (j + 1) & (ix->cap - 1)) {
        if (ix->hashes[j] == h)
            return j;
        if (ix->hashes[j] == SLOT_EMPTY)
            return SIZE_MAX;
    }
}

/* Sets h -> group; a second, different group for one hash marks it ambiguous
 * when `build` (two keys share a hash), else replaces. */
static int index_put(struct key_index *ix, uint64_t h, uint32_t group, bool build)
{
    size_t j = index_find(ix, h);
    if (j != SIZE_MAX) {
        if (build && ix->groups[j] != group)
            ix->groups[j] = FG_AMBIGUOUS;
        else if (!build && ix->groups[j] != FG_AMBIGUOUS)
            ix->groups[j] = group;
        return SL_OK;
    }
    if ((ix->used + 1) * 4 > ix->cap * 3 && index_grow(ix) != SL_OK)
        return SL_ENOMEM;
    for (j = h & (ix->cap - 1); ix->hashes[j] >= 2; j = (j + 1) & (ix->cap - 1))
        ;
    if (ix->hashes[j] == SLOT_EMPTY)
        ix->used++;
    ix->hashes[j] = h;
    ix->groups[j] = group;
    ix->count++;
    return SL_OK;
}

static void index_remove(struct key_index *ix, uint64_t h)
{
    size_t j = index_find(ix, h);
    if (j != SIZE_MAX && ix->groups[j] != FG_AMBIGUOUS) {
        ix->hashes[j] = SLOT_TOMB;
        ix->count--;
    }
}

/* ---------------------------------------------------------------- options */

void sl_hudi_write_options_default(struct sl_hudi_write_options *o)
{
    memset(o, 0, sizeof(*o));
    o->small_file_bytes = (uint64_t)100 << 20;
    o->max_file_bytes = (uint64_t)120 << 20;
    o->codec = SL_PARQUET_COMPRESSION_SNAPPY;
}

/* ---------------------------------------------------------------- type mapping */

/* DESIGN.md section 6: the Hudi field type of a source column. */
static void field_type_of(const struct sl_column *c, struct sl_hudi_field *f)
{
    f->precision = f->scale = f->fixed_size = 0;
    switch (c->type_class) {
    case SL_TYPE_BOOL: f->type = SL_HUDI_BOOLEAN; break;
    case SL_TYPE_INT2:
    case SL_TYPE_INT4: f->type = SL_HUDI_INT; break;
    case SL_TYPE_INT8: f->type = SL_HUDI_LONG; break;
    case SL_TYPE_FLOAT4: f->type = SL_HUDI_FLOAT; break;
    case SL_TYPE_FLOAT8: f->type = SL_HUDI_DOUBLE; break;
    case SL_TYPE_NUMERIC:
        if (c->type_mod >= 4) {
            int32_t p = ((c->type_mod - 4) >> 16) & 0xffff, s = (c->type_mod - 4) & 0xffff;
            if (p >= 1 && p <= 38 && s <= p) {
                f->type = SL_HUDI_DECIMAL;
                f->precision = p;
                f->scale = s;
                f->fixed_size = sl_parquet_decimal_bytes(p);
                break;
            }
        }
        f->type = SL_HUDI_STRING; /* exact text, NaN and infinities included */
        break;
    case SL_TYPE_BYTEA: f->type = SL_HUDI_BYTES; break;
    case SL_TYPE_DATE: f->type = SL_HUDI_DATE; break;
    case SL_TYPE_TIMESTAMP:
    case SL_TYPE_TIMESTAMPTZ: f->type = SL_HUDI_TIMESTAMP_MICROS; break;
    default: f->type = SL_HUDI_STRING; break; /* text, time, uuid, json, arrays, ... */
    }
}

static bool parquet_type_of(const struct sl_hudi_field *f, struct sl_parquet_column_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->name = f->name;
    spec->optional = true;
    switch (f->type) {
    case SL_HUDI_BOOLEAN: spec->type = SL_PARQUET_COL_BOOLEAN; return true;
    case SL_HUDI_INT: spec->type = SL_PARQUET_COL_INT32; return true;
    case SL_HUDI_LONG: spec->type = SL_PARQUET_COL_INT64; return true;
    case SL_HUDI_FLOAT: spec->type = SL_PARQUET_COL_FLOAT; return true;
    case SL_HUDI_DOUBLE: spec->type = SL_PARQUET_COL_DOUBLE; return true;
    case SL_HUDI_STRING: spec->type = SL_PARQUET_COL_STRING; return true;
    case SL_HUDI_BYTES: spec->type = SL_PARQUET_COL_BYTES; return true;
    case SL_HUDI_DECIMAL:
        spec->type = SL_PARQUET_COL_DECIMAL;
        spec->precision = f->precision;
        spec->scale = f->scale;
        return f->fixed_size == 0 || f->fixed_size == sl_parquet_decimal_bytes(f->precision);
    case SL_HUDI_DATE: spec->type = SL_PARQUET_COL_DATE; return true;
    case SL_HUDI_TIMESTAMP_MICROS:
        spec->type = SL_PARQUET_COL_TIMESTAMP_MICROS;
        spec->adjusted_to_utc = true;
        return true;
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        spec->type = SL_PARQUET_COL_TIMESTAMP_MICROS;
        return true;
    default: return false;
    }
}

/* Bytes per value in a column buffer (0: variable). */
static size_t cell_width(const struct sl_hudi_field *f)
{
    switch (f->type) {
    case SL_HUDI_BOOLEAN: return 1;
    case SL_HUDI_INT:
    case SL_HUDI_DATE:
    case SL_HUDI_FLOAT: return 4;
    case SL_HUDI_LONG:
    case SL_HUDI_DOUBLE:
    case SL_HUDI_TIMESTAMP_MICROS:
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS: return 8;
    case SL_HUDI_DECIMAL: return (size_t)sl_parquet_decimal_bytes(f->precision);
    default: return 0;
    }
}


/* ---------------------------------------------------------------- writer lease */

/*
 * One live writer per table (DESIGN invariant 7): a lease object under
 * .hoodie/.aux/ names the writer (host, pid, a random id) and when its claim
 * expires. A writer takes the lease when it is absent, its own, expired, or
 * held by a dead process on the same host; it renews it before every commit
 * and removes it at close. Another live holder makes the writer refuse.
 */
#define LEASE_KEY ".hoodie/.aux/sluice-writer.lease"
#define LEASE_TTL_MS 60000

static void make_owner(struct sl_hudi_writer *w)
{
    char host[64] = "unknown";
    uint64_t nonce = 0;
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
        nonce = (uint64_t)sl_clock_wall_us();
    snprintf(w->owner, sizeof(w->owner), "%s %ld %016" PRIx64, host, (long)getpid(), nonce);
}

/* Parses "owner-host owner-pid nonce expires_ms". */
static bool lease_parse(const char *text, char *host, size_t host_cap, long *pid, char *id,
                        size_t id_cap, int64_t *expires)
{
    char h[64], n[32];
    long long e;
    if (sscanf(text, "%63s %ld %31s %lld", h, pid, n, &e) != 4)
        return false;
    snprintf(host, host_cap, "%s", h);
    snprintf(id, id_cap, "%s %ld %s", h, *pid, n);
    *expires = e;
    return true;
}

static int lease_key(struct sl_hudi_writer *w, char **key)
{
    struct sl_hudi_table probe = {0};
    probe.base = w->base;
    return sl_hudi_key_join(&probe, LEASE_KEY, key);
}

/* Takes or renews the lease; SL_ECONFIG when another live writer holds it. */
static int lease_take(struct sl_hudi_writer *w, struct sl_error *err)
{
    struct sl_buf text;
    char *key = NULL, content[256];
    int rc;

    if (w->owner[0] == '\0')
        make_owner(w);
    /* a lease we wrote less than half its lifetime ago is still ours: skip the round trips */
    if (w->lease_held && sl_clock_wall_us() / 1000 - w->lease_renewed_ms < LEASE_TTL_MS / 2)
        return SL_OK;
    if (lease_key(w, &key) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_buf_init(&text, 4096);
    for (int attempt = 0; attempt < 3; attempt++) {
        int64_t now = sl_clock_wall_us() / 1000;
        sl_buf_reset(&text);
        rc = w->store->get(w->store->ctx, key, &text, err);
        if (rc == SL_OK && text.len > 0) {
            char host[64], id[160], me[64] = "";
            long pid;
            int64_t expires;
            if (lease_parse(text.data, host, sizeof(host), &pid, id, sizeof(id), &expires) &&
                strcmp(id, w->owner) != 0) {
                gethostname(me, sizeof(me) - 1);
                bool dead = strcmp(host, me) == 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
                if (expires > now && !dead) {
                    rc = sl_error_set(err, SL_ECONFIG,
                                      "table %s is being written by another sluice writer (host %s, "
                                      "pid %ld) whose lease runs %lld s more; stop that writer "
                                      "(only one may write a table) or wait",
                                      w->table_name, host, pid, (long long)((expires - now) / 1000 + 1));
                    goto done;
                }
                sl_log(SL_LOG_WARN, "lease_taken_over", "table=%s previous_host=%s previous_pid=%ld",
                       w->table_name, host, pid);
            }
        } else if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            snprintf(content, sizeof(content), "%s %lld\n", w->owner, (long long)(now + LEASE_TTL_MS));
            rc = w->store->put_if_absent(w->store->ctx, key, content, strlen(content), err);
            if (rc == SL_EEXIST) {
                sl_error_clear(err);
                continue; /* someone else was faster: look again */
            }
            if (rc == SL_OK) {
                w->lease_held = true;
                w->lease_renewed_ms = now;
            }
            goto done;
        } else if (rc != SL_OK) {
            goto done;
        }
        snprintf(content, sizeof(content), "%s %lld\n", w->owner, (long long)(now + LEASE_TTL_MS));
        rc = w->store->put(w->store->ctx, key, content, strlen(content), err);
        if (rc != SL_OK)
            goto done;
        /* read back: two writers taking an expired lease at once see who won */
        sl_buf_reset(&text);
        rc = w->store->get(w->store->ctx, key, &text, err);
        if (rc == SL_OK && (text.len < strlen(w->owner) ||
                            memcmp(text.data, w->owner, strlen(w->owner)) != 0)) {
            continue;
        }
        if (rc == SL_OK) {
            w->lease_held = true;
            w->lease_renewed_ms = now;
        }
        goto done;
    }
    rc = sl_error_set(err, SL_ECONFIG, "table %s: another writer keeps taking the writer lease",
                      w->table_name);
done:
    sl_buf_free(&text);
    sl_free(key);
    return rc;
}

static void lease_release(struct sl_hudi_writer *w)
{
    struct sl_buf text;
    struct sl_error ignored;
    char *key = NULL;
    if (!w->lease_held || lease_key(w, &key) != SL_OK)
        return;
    sl_buf_init(&text, 4096);
    if (w->store->get(w->store->ctx, key, &text, &ignored) == SL_OK &&
        text.len >= strlen(w->owner) && memcmp(text.data, w->owner, strlen(w->owner)) == 0)
        w->store->remove(w->store->ctx, key, &ignored);
    w->lease_held = false;
    sl_buf_free(&text);
    sl_free(key);
}

/* ---------------------------------------------------------------- writer open */

void sl_hudi_writer_close(struct sl_hudi_writer *w)
{
    if (w == NULL)
        return;
    lease_release(w);
    sl_hudi_writer_discard(w);
    sl_arena_free(&w->arena);
    sl_u64map_free(&w->by_hash);
    sl_free(w->order);
    sl_buf_free(&w->keybuf);
    sl_buf_free(&w->partbuf);
    for (size_t i = 0; i < w->ngroups; i++) {
        sl_free(w->groups[i].partition);
        sl_free(w->groups[i].file_id);
        sl_free(w->groups[i].instant);
        sl_free(w->groups[i].key);
    }
    sl_free(w->groups);
    index_free(&w->index);
    sl_free(w->index_instant);
    sl_hudi_schema_free(w->schema);
    sl_free(w->fields);
    sl_free(w->key_fields);
    sl_free(w->key_names);
    sl_hudi_table_close(w->table);
    sl_free(w->base);
    sl_free(w->database);
    sl_free(w->table_name);
    sl_free(w->partition_column);
    sl_free(w->derived_name);
    sl_free(w);
}

static int check_table_writable(const struct sl_hudi_table *t, struct sl_error *err)
{
    if (t->version != 6)
        return sl_error_set(err, SL_ECONFIG,
                            "table %s has hoodie.table.version %d; sluice writes version 6 only "
                            "(it can still read it)",
                            t->name, t->version);
    if (t->merge_on_read)
        return sl_error_set(err, SL_ECONFIG,
                            "table %s is MERGE_ON_READ; sluice writes COPY_ON_WRITE tables only",
                            t->name);
    if (t->has_metadata_table)
        return sl_error_set(err, SL_ECONFIG,
                            "table %s has a metadata table (hoodie.table.metadata.partitions), which "
                            "sluice does not maintain; disable it (hoodie.metadata.enable=false) "
                            "and delete .hoodie/metadata before writing with sluice",
                            t->name);
    return SL_OK;
}

int sl_hudi_writer_open(struct sl_object_store *store, const char *base,
                        const struct sl_hudi_write_options *options, struct sl_hudi_writer **out,
                        struct sl_error *err)
{
    struct sl_hudi_writer *w = sl_calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (w == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    w->store = store;
    w->options = *options;
    if (w->options.max_file_bytes == 0)
        w->options.max_file_bytes = (uint64_t)120 << 20;
    w->base = sl_strdup(base);
    w->database = sl_strdup(options->database ? options->database : "default");
    w->table_name = sl_strdup(options->table_name ? options->table_name : "");
    w->partition_column = options->partition_column ? sl_strdup(options->partition_column) : NULL;
    w->options.database = w->options.table_name = w->options.partition_column = NULL;
    if (!w->base || !w->database || !w->table_name ||
        (options->partition_column && !w->partition_column)) {
        sl_hudi_writer_close(w);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    sl_arena_init(&w->arena, 1 << 20);
    sl_u64map_init(&w->by_hash);
    sl_buf_init(&w->keybuf, 1 << 20);
    sl_buf_init(&w->partbuf, 1 << 20);
    w->partition_field = -1;
    rc = sl_hudi_table_open(store, base, &w->table, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        rc = SL_OK;
    } else if (rc == SL_OK) {
        rc = check_table_writable(w->table, err);
        if (rc == SL_OK)
            rc = lease_take(w, err);
        /* a table sluice partitioned by time says how (its partition field is derived) */
        const char *source = rc == SL_OK ? sl_hudi_props_get(&w->table->props, PARTITION_SOURCE_KEY)
                                         : NULL;
        if (source != NULL) {
            const char *colon = strrchr(source, ':');
            static const char *const units[] = {"year", "month", "day", "hour"};
            w->options.partition_kind = SL_HUDI_PARTITION_VALUE;
            for (int u = 0; colon && u < 4; u++)
                if (strcmp(colon + 1, units[u]) == 0)
                    w->options.partition_kind = (enum sl_hudi_partition_kind)(SL_HUDI_PARTITION_YEAR + u);
            sl_free(w->partition_column);
            w->partition_column = sl_strndup(source, colon ? (size_t)(colon - source) : strlen(source));
            if (w->partition_column == NULL)
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        }
    }
    if (rc == SL_OK && w->partition_column != NULL &&
        w->options.partition_kind >= SL_HUDI_PARTITION_YEAR) {
        static const char *const units[] = {"year", "month", "day", "hour"};
        char name[512];
        snprintf(name, sizeof(name), "%s_%s", w->partition_column,
                 units[w->options.partition_kind - SL_HUDI_PARTITION_YEAR]);
        if ((w->derived_name = sl_strdup(name)) == NULL)
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (rc != SL_OK) {
        sl_hudi_writer_close(w);
        return rc;
    }
    *out = w;
    return SL_OK;
}

const char *sl_hudi_writer_checkpoint(const struct sl_hudi_writer *w)
{
    return w->table ? sl_hudi_table_checkpoint(w->table) : NULL;
}

size_t sl_hudi_writer_pending(const struct sl_hudi_writer *w)
{
    return w->npending + (w->truncate ? 1 : 0); /* a truncate is a change to commit too */
}

void sl_hudi_writer_discard(struct sl_hudi_writer *w)
{
    sl_u64map_free(&w->by_hash);
    sl_u64map_init(&w->by_hash);
    sl_arena_reset(&w->arena);
    w->npending = 0;
    w->truncate = false;
    w->failed = false;
}

/* ---------------------------------------------------------------- schema */

static int find_field(const struct sl_hudi_schema *s, const char *name)
{
    for (uint32_t i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Can values of type `from` be stored in a column of type `to`? */
static bool storable(const struct sl_hudi_field *from, const struct sl_hudi_field *to)
{
    if (from->type == to->type)
        return from->type != SL_HUDI_DECIMAL ||
               (from->precision - from->scale <= to->precision - to->scale &&
                from->scale <= to->scale);
    switch (from->type) {
    case SL_HUDI_INT:
        return to->type == SL_HUDI_LONG || to->type == SL_HUDI_FLOAT ||
               to->type == SL_HUDI_DOUBLE || to->type == SL_HUDI_STRING;
    case SL_HUDI_LONG:
        return to->type == SL_HUDI_FLOAT || to->type == SL_HUDI_DOUBLE || to->type == SL_HUDI_STRING;
    case SL_HUDI_FLOAT: return to->type == SL_HUDI_DOUBLE || to->type == SL_HUDI_STRING;
    case SL_HUDI_TIMESTAMP_MICROS: return to->type == SL_HUDI_LOCAL_TIMESTAMP_MICROS;
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS: return to->type == SL_HUDI_TIMESTAMP_MICROS;
    default: return to->type == SL_HUDI_STRING && from->type != SL_HUDI_BYTES;
    }
}

static int set_field(struct sl_hudi_field *f, const char *name, const struct sl_hudi_field *type)
{
    f->name = sl_strdup(name);
    if (f->name == NULL)
        return SL_ENOMEM;
    f->type = type->type;
    f->nullable = true;
    f->precision = type->precision;
    f->scale = type->scale;
    f->fixed_size = type->fixed_size;
    return SL_OK;
}

/*
 * Works out the table schema for a (new) source schema: the table's fields
 * in order (a dropped source column keeps its field and gets NULLs), fields
 * widened where the source type grew, new source columns appended.
 */
static int adopt_source_schema(struct sl_hudi_writer *w, const struct sl_table_schema *src,
                               struct sl_error *err)
{
    /* the schema pending rows follow (it holds the committed one), else the committed one */
    const struct sl_hudi_schema *committed = w->table ? w->table->schema : NULL;
    const struct sl_hudi_schema *prev = w->schema ? w->schema : committed;
    struct sl_hudi_schema *next = NULL;
    struct field_source *fields = NULL;
    uint32_t n = 0, max = (prev ? prev->nfields : 0) + src->ncolumns + CDC_COLUMNS + 1 /* derived */;
    int rc = SL_OK;

    next = sl_hudi_schema_new(max);
    fields = sl_calloc(max, sizeof(*fields));
    if (next == NULL || fields == NULL)
        goto oom;
    for (uint32_t i = 0; prev != NULL && i < prev->nfields; i++) {
        const struct sl_hudi_field *pf = &prev->fields[i];
        struct sl_hudi_field *nf = &next->fields[n];
        int32_t source = -1, cdc = -1;
        for (uint32_t c = 0; c < src->ncolumns; c++)
            if (strcmp(src->columns[c].name, pf->name) == 0)
                source = (int32_t)c;
        for (int32_t c = 0; c < CDC_COLUMNS; c++)
            if (strcmp(cdc_names[c], pf->name) == 0)
                cdc = c;
        if (set_field(nf, pf->name, pf) != SL_OK)
            goto oom;
        nf->nullable = pf->nullable;
        if (pf->avro_json && (nf->avro_json = sl_strdup(pf->avro_json)) == NULL)
            goto oom;
        if (source >= 0) {
            struct sl_hudi_field want;
            field_type_of(&src->columns[source], &want);
            if (!storable(&want, pf)) {
                if (!storable(pf, &want)) {
                    rc = sl_error_set(err, SL_EINVAL,
                                      "table %s.%s, column %s: the source type %s (%s) cannot be "
                                      "stored in the table's %s, nor the table's values in it; "
                                      "incompatible type change refused (recreate the table or "
                                      "rename the column)",
                                      w->database, w->table_name, pf->name,
                                      src->columns[source].type_name, sl_hudi_type_name(want.type),
                                      sl_hudi_type_name(pf->type));
                    goto fail;
                }
                nf->type = want.type; /* widen: e.g. int -> long */
                nf->precision = want.precision;
                nf->scale = want.scale;
                nf->fixed_size = want.fixed_size;
                sl_free(nf->avro_json);
                nf->avro_json = NULL;
            }
        }
        fields[n].source_column = source;
        fields[n].cdc = cdc;
        fields[n].derived = w->derived_name != NULL && strcmp(pf->name, w->derived_name) == 0;
        n++;
    }
    for (uint32_t c = 0; c < src->ncolumns; c++) {
        struct sl_hudi_field want;
        bool seen = false;
        for (uint32_t i = 0; i < n; i++)
            seen |= strcmp(next->fields[i].name, src->columns[c].name) == 0;
        if (seen)
            continue;
        field_type_of(&src->columns[c], &want);
        if (set_field(&next->fields[n], src->columns[c].name, &want) != SL_OK)
            goto oom;
        fields[n].source_column = (int32_t)c;
        fields[n].cdc = -1;
        n++;
    }
    if (w->derived_name != NULL) {
        bool seen = false;
        for (uint32_t i = 0; i < n; i++)
            seen |= strcmp(next->fields[i].name, w->derived_name) == 0;
        if (!seen) {
            struct sl_hudi_field want = {0};
            want.type = SL_HUDI_STRING;
            if (set_field(&next->fields[n], w->derived_name, &want) != SL_OK)
                goto oom;
            fields[n].source_column = -1;
            fields[n].cdc = -1;
            fields[n].derived = true;
            n++;
        }
    }
    for (int32_t c = 0; c < CDC_COLUMNS; c++) {
        bool seen = false;
        for (uint32_t i = 0; i < n; i++)
            seen |= strcmp(next->fields[i].name, cdc_names[c]) == 0;
        if (seen)
            continue;
        struct sl_hudi_field want = {0};
        want.type = c == 0 ? SL_HUDI_STRING : SL_HUDI_LONG;
        if (set_field(&next->fields[n], cdc_names[c], &want) != SL_OK)
            goto oom;
        fields[n].source_column = -1;
        fields[n].cdc = c;
        n++;
    }
    next->nfields = n;
    if (sl_hudi_schema_set_table(next, w->table ? w->table->name : w->table_name) != SL_OK)
        goto oom;
    for (uint32_t i = 0; i < n; i++) {
        struct sl_parquet_column_spec spec;
        if (!parquet_type_of(&next->fields[i], &spec)) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "table %s.%s, column %s: sluice cannot write its type %s",
                              w->database, w->table_name, next->fields[i].name,
                              next->fields[i].avro_json ? next->fields[i].avro_json
                                                        : sl_hudi_type_name(next->fields[i].type));
            goto fail;
        }
    }
    if (committed != NULL) {
        rc = sl_hudi_schema_check_evolution(committed, next, w->table_name, err);
        if (rc != SL_OK)
            goto fail;
    }
    sl_hudi_schema_free(w->schema);
    sl_free(w->fields);
    w->schema = next;
    w->fields = fields;
    return SL_OK;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
fail:
    sl_hudi_schema_free(next);
    sl_free(fields);
    return rc;
}

/* Record key fields and the key generator, from the table or the source. */
static int setup_keys(struct sl_hudi_writer *w, const struct sl_table_schema *src,
                      struct sl_error *err)
{
    uint32_t nkeys = 0;
    const char *names[64];

    if (w->table != NULL && w->table->nkey_fields > 0) {
        if (w->table->nkey_fields > 64)
            return sl_error_set(err, SL_ECONFIG, "table %s has more than 64 key fields", w->table->name);
        for (uint32_t i = 0; i < w->table->nkey_fields; i++)
            names[nkeys++] = w->table->key_fields[i];
    } else {
        for (uint32_t c = 0; c < src->ncolumns && nkeys < 64; c++)
            if (src->columns[c].key)
                names[nkeys++] = src->columns[c].name;
    }
    if (nkeys == 0)
        return sl_error_set(err, SL_ECONFIG,
                            "table %s.%s has no primary key; sluice needs one (or REPLICA IDENTITY "
                            "USING INDEX) to key the Hudi table",
                            w->database, w->table_name);
    sl_free(w->key_fields);
    sl_free(w->key_names);
    w->key_fields = sl_calloc(nkeys, sizeof(int32_t));
    w->key_names = sl_calloc(nkeys, sizeof(char *));
    if (w->key_fields == NULL || w->key_names == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < nkeys; i++) {
        int f = find_field(w->schema, names[i]);
        if (f < 0)
            return sl_error_set(err, SL_ECONFIG, "table %s: key field %s is not in its schema",
                                w->table_name, names[i]);
        w->key_fields[i] = f;
        w->key_names[i] = w->schema->fields[f].name;
    }
    w->nkeys = nkeys;
    const char *partition = w->derived_name ? w->derived_name : w->partition_column;
    if (w->table != NULL)
        partition = w->table->npartition_fields > 0 ? w->table->partition_fields[0] : NULL;
    w->derived_source = -1;
    if (w->derived_name != NULL) {
        w->derived_source = find_field(w->schema, w->partition_column);
        if (w->derived_source < 0 ||
            (w->schema->fields[w->derived_source].type != SL_HUDI_TIMESTAMP_MICROS &&
             w->schema->fields[w->derived_source].type != SL_HUDI_LOCAL_TIMESTAMP_MICROS &&
             w->schema->fields[w->derived_source].type != SL_HUDI_DATE))
            return sl_error_set(err, SL_ECONFIG,
                                "table %s: partitioning by the %s of %s needs a timestamp or date "
                                "column of that name",
                                w->table_name, w->derived_name + strlen(w->partition_column) + 1,
                                w->partition_column);
    }
    w->partition_field = -1;
    if (partition != NULL) {
        w->partition_field = find_field(w->schema, partition);
        if (w->partition_field < 0)
            return sl_error_set(err, SL_ECONFIG, "table %s: partition column %s is not in its schema",
                                w->table_name, partition);
    }
    if (w->table != NULL) {
        const char *cls = sl_hudi_props_get(&w->table->props, "hoodie.table.keygenerator.class");
        if (cls != NULL)
            return sl_hudi_keygen_from_class(cls, &w->keygen, err);
    }
    if (w->partition_field < 0)
        w->keygen = SL_HUDI_KEYGEN_NONPARTITIONED;
    else
        w->keygen = nkeys == 1 ? SL_HUDI_KEYGEN_SIMPLE : SL_HUDI_KEYGEN_COMPLEX;
    return SL_OK;
}

/* ---------------------------------------------------------------- adding changes */

static int convert_cell(struct sl_hudi_writer *w, uint32_t field, const struct sl_column *col,
                        const struct sl_value *value, struct cell *out, struct sl_error *err)
{
    const struct sl_hudi_field *f = &w->schema->fields[field];
    const char *t = value->text;
    size_t len = value->len;
    int rc = SL_OK;

    memset(out, 0, sizeof(*out));
    if (value->kind == SL_VALUE_NULL || value->kind == SL_VALUE_ABSENT) {
        out->kind = value->kind == SL_VALUE_ABSENT ? CELL_KEEP : CELL_NULL;
        return SL_OK;
    }
    if (value->kind == SL_VALUE_UNCHANGED_TOAST) {
        out->kind = CELL_KEEP;
        return SL_OK;
    }
    out->kind = CELL_VALUE;
    switch (f->type) {
    case SL_HUDI_BOOLEAN: {
        bool b;
        rc = sl_pg_text_to_bool(t, len, &b);
        out->v.b = b;
        break;
    }
    case SL_HUDI_INT: {
        int64_t v;
        rc = sl_pg_text_to_int64(t, len, INT32_MIN, INT32_MAX, &v);
        out->v.i32 = (int32_t)v;
        break;
    }
    case SL_HUDI_LONG: rc = sl_pg_text_to_int64(t, len, INT64_MIN, INT64_MAX, &out->v.i64); break;
    case SL_HUDI_FLOAT: rc = sl_pg_text_to_float(t, len, &out->v.f32); break;
    case SL_HUDI_DOUBLE: rc = sl_pg_text_to_double(t, len, &out->v.f64); break;
    case SL_HUDI_DECIMAL:
        rc = sl_pg_text_to_decimal(t, len, f->precision, f->scale, out->v.fixed,
                                   (size_t)sl_parquet_decimal_bytes(f->precision));
        if (rc == SL_EINVAL && len == 3 && memcmp(t, "NaN", 3) == 0) {
            sl_log(SL_LOG_WARN, "numeric_nan", "table=%s column=%s: NaN stored as NULL",
                   w->table_name, f->name);
            out->kind = CELL_NULL;
            rc = SL_OK;
        }
        break;
    case SL_HUDI_DATE: {
        rc = sl_pg_text_to_date(t, len, &out->v.i32);
        break;
    }
    case SL_HUDI_TIMESTAMP_MICROS:
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        if (col->type_class == SL_TYPE_DATE) {
            int32_t days;
            rc = sl_pg_text_to_date(t, len, &days);
            out->v.i64 = (int64_t)days * 86400000000LL;
        } else {
            rc = sl_pg_text_to_timestamp_micros(t, len, col->type_class == SL_TYPE_TIMESTAMPTZ,
                                                &out->v.i64);
        }
        break;
    case SL_HUDI_BYTES:
        if (col->type_class == SL_TYPE_BYTEA) {
            size_t n = 0;
            sl_pg_text_to_bytea(t, len, NULL, 0, &n);
            uint8_t *bytes = sl_arena_alloc(&w->arena, n + 1);
            if (bytes == NULL)
                return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
            rc = sl_pg_text_to_bytea(t, len, bytes, n, &n);
            out->v.bytes = bytes;
            out->len = (uint32_t)n;
            break;
        }
        /* other text is stored as its bytes */
        /* fall through */
    default: {
        char *copy = sl_arena_strndup(&w->arena, t, len);
        if (copy == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        out->v.bytes = (const uint8_t *)copy;
        out->len = (uint32_t)len;
        /* widened numeric columns hold text; integers stored in wider ints */
        if (f->type != SL_HUDI_STRING && f->type != SL_HUDI_BYTES)
            rc = SL_EINVAL;
        break;
    }
    }
    if (rc == SL_ELIMIT && (f->type == SL_HUDI_DATE || f->type == SL_HUDI_TIMESTAMP_MICROS ||
                            f->type == SL_HUDI_LOCAL_TIMESTAMP_MICROS)) {
        /* +-infinity: DESIGN §6 stores NULL with a warning */
        sl_log(SL_LOG_WARN, "infinite_time", "table=%s column=%s: %.*s stored as NULL",
               w->table_name, f->name, (int)SL_MIN(len, 32), t);
        out->kind = CELL_NULL;
        rc = SL_OK;
    }
    if (rc != SL_OK)
        return sl_error_set(err, SL_EINVAL,
                            "table %s.%s, column %s: the value '%.*s' does not fit the column's type "
                            "%s (%s)",
                            w->database, w->table_name, f->name, (int)SL_MIN(len, 64), t,
                            sl_hudi_type_name(f->type), rc == SL_ELIMIT ? "out of range" : "bad text");
    return SL_OK;
}

/* Hudi's string form of a cell for keys and partition values (NULL: is_null). */
static int cell_text(const struct sl_hudi_field *f, const struct cell *c, char *scratch,
                     size_t cap, struct sl_hudi_key_value *out)
{
    out->is_null = c->kind != CELL_VALUE;
    out->text = scratch;
    out->len = 0;
    if (out->is_null)
        return SL_OK;
    switch (f->type) {
    case SL_HUDI_BOOLEAN: out->len = sl_hudi_key_text_bool(c->v.b != 0, scratch, cap); break;
    case SL_HUDI_INT: out->len = sl_hudi_key_text_int64(c->v.i32, scratch, cap); break;
    case SL_HUDI_LONG:
    case SL_HUDI_TIMESTAMP_MICROS:
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        out->len = sl_hudi_key_text_int64(c->v.i64, scratch, cap);
        break;
    case SL_HUDI_FLOAT: out->len = sl_hudi_key_text_float(c->v.f32, scratch, cap); break;
    case SL_HUDI_DOUBLE: out->len = sl_hudi_key_text_double(c->v.f64, scratch, cap); break;
    case SL_HUDI_DATE: out->len = sl_hudi_key_text_date(c->v.i32, scratch, cap); break;
    case SL_HUDI_DECIMAL:
        out->len = sl_hudi_key_text_decimal(c->v.fixed, (size_t)sl_parquet_decimal_bytes(f->precision),
                                            f->scale, scratch, cap);
        break;
    default:
        out->text = (const char *)c->v.bytes;
        out->len = c->len;
        break;
    }
    return SL_OK;
}

static int row_key(struct sl_hudi_writer *w, const struct cell *cells, struct sl_error *err)
{
    char scratch[64][SL_HUDI_KEY_TEXT_MAX];
    struct sl_hudi_key_value values[64];

    for (uint32_t i = 0; i < w->nkeys; i++)
        cell_text(&w->schema->fields[w->key_fields[i]], &cells[w->key_fields[i]], scratch[i],
                  SL_HUDI_KEY_TEXT_MAX, &values[i]);
    sl_buf_reset(&w->keybuf);
    return sl_hudi_record_key(w->keygen, w->key_names, values, w->nkeys, &w->keybuf, err);
}

static int row_partition(struct sl_hudi_writer *w, const struct cell *cells, struct sl_error *err)
{
    char scratch[SL_HUDI_KEY_TEXT_MAX];
    struct sl_hudi_key_value value;
    const char *name;

    sl_buf_reset(&w->partbuf);
    if (w->partition_field < 0)
        return sl_buf_append(&w->partbuf, "", 0) == SL_OK ? SL_OK
                                                          : sl_error_set(err, SL_ENOMEM, "oom");
    const struct sl_hudi_field *f = &w->schema->fields[w->partition_field];
    const struct cell *c = &cells[w->partition_field];
    name = f->name;
    cell_text(f, c, scratch, sizeof(scratch), &value);
    return sl_hudi_partition_path(&name, &value, 1, w->table ? w->table->hive_style : true,
                                  &w->partbuf, err);
}

static struct pending *pending_find(struct sl_hudi_writer *w, uint64_t h, const char *key, size_t len)
{
    for (struct pending *p = sl_u64map_get(&w->by_hash, h); p != NULL; p = p->next)
        if (p->key_len == len && memcmp(p->key, key, len) == 0)
            return p;
    return NULL;
}

/* The pending entry for the key in w->keybuf, created when new. */
static int pending_for_key(struct sl_hudi_writer *w, struct pending **out, struct sl_error *err)
{
    uint64_t h = key_hash(w->keybuf.data, w->keybuf.len);
    struct pending *p = pending_find(w, h, w->keybuf.data, w->keybuf.len);
    if (p == NULL) {
        p = sl_arena_alloc(&w->arena, sizeof(*p));
        if (p == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        memset(p, 0, sizeof(*p));
        p->hash = h;
        p->key = sl_arena_strndup(&w->arena, w->keybuf.data, w->keybuf.len);
        p->key_len = (uint32_t)w->keybuf.len;
        p->next = sl_u64map_get(&w->by_hash, h);
        if (p->key == NULL || sl_u64map_put(&w->by_hash, h, p) != SL_OK)
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        if (sl_array_grow((void **)&w->order, &w->order_cap, w->npending + 1, sizeof(*w->order)))
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        w->order[w->npending++] = p;
    }
    *out = p;
    return SL_OK;
}

/* Fills the derived time-partition cell from its timestamp/date cell (NULL stays NULL). */
static int derive_partition_cell(struct sl_hudi_writer *w, struct cell *cells, struct sl_error *err)
{
    static const enum sl_hudi_time_unit units[] = {SL_HUDI_TIME_YEAR, SL_HUDI_TIME_MONTH,
                                                   SL_HUDI_TIME_DAY, SL_HUDI_TIME_HOUR};
    char text[64];
    if (w->derived_name == NULL || w->derived_source < 0)
        return SL_OK;
    for (uint32_t i = 0; i < w->schema->nfields; i++) {
        if (!w->fields[i].derived)
            continue;
        const struct cell *src = &cells[w->derived_source];
        struct cell *c = &cells[i];
        if (src->kind == CELL_KEEP) {
            c->kind = CELL_KEEP; /* an unchanged stored value: so is its partition */
            continue;
        }
        if (src->kind != CELL_VALUE) {
            c->kind = CELL_NULL;
            continue;
        }
        int64_t micros = w->schema->fields[w->derived_source].type == SL_HUDI_DATE
                             ? (int64_t)src->v.i32 * 86400000000LL
                             : src->v.i64;
        size_t n = sl_hudi_time_partition_value(
            micros, units[w->options.partition_kind - SL_HUDI_PARTITION_YEAR], text, sizeof(text));
        char *copy = sl_arena_strndup(&w->arena, text, n);
        if (copy == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        c->kind = CELL_VALUE;
        c->v.bytes = (const uint8_t *)copy;
        c->len = (uint32_t)n;
    }
    return SL_OK;
}

static int convert_row(struct sl_hudi_writer *w, const struct sl_change *ch,
                       const struct sl_value *values, struct cell *cells, struct sl_error *err)
{
    for (uint32_t i = 0; i < w->schema->nfields; i++) {
        const struct field_source *fs = &w->fields[i];
        struct cell *c = &cells[i];
        memset(c, 0, sizeof(*c));
        if (fs->cdc >= 0) {
            c->kind = CELL_VALUE;
            switch (fs->cdc) {
            case 0: {
                char *op = sl_arena_alloc(&w->arena, 2);
                if (op == NULL)
                    return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
                op[0] = (char)ch->op;
                op[1] = '\0';
                c->v.bytes = (const uint8_t *)op;
                c->len = 1;
                break;
            }
            case 1: c->v.i64 = (int64_t)ch->txn->commit_lsn; break;
            case 2: c->v.i64 = ch->txn->commit_ts_ms; break;
            default: c->v.i64 = (int64_t)ch->txn->xid; break;
            }
            continue;
        }
        if (fs->derived || fs->source_column < 0 || values == NULL) {
            c->kind = CELL_NULL;
            continue;
        }
        int rc = convert_cell(w, i, &ch->table->columns[fs->source_column],
                              &values[fs->source_column], c, err);
        if (rc != SL_OK)
            return rc;
    }
    return derive_partition_cell(w, cells, err);
}

/* Re-lays the cells of pending rows from schema `old` onto w->schema. */
static int migrate_cell(struct sl_hudi_writer *w, const struct sl_hudi_field *from,
                        const struct sl_hudi_field *to, const struct cell *in, struct cell *out,
                        struct sl_error *err)
{
    *out = *in;
    if (in->kind != CELL_VALUE || from->type == to->type)
        return SL_OK;
    char text[64];
    int n = -1;
    switch (to->type) {
    case SL_HUDI_LONG:
        if (from->type == SL_HUDI_INT)
            out->v.i64 = in->v.i32;
        return SL_OK;
    case SL_HUDI_FLOAT:
        out->v.f32 = from->type == SL_HUDI_INT ? (float)in->v.i32 : (float)in->v.i64;
        return SL_OK;
    case SL_HUDI_DOUBLE:
        out->v.f64 = from->type == SL_HUDI_INT    ? (double)in->v.i32
                     : from->type == SL_HUDI_LONG ? (double)in->v.i64
                                                  : (double)in->v.f32;
        return SL_OK;
    case SL_HUDI_STRING:
        if (from->type == SL_HUDI_INT)
            n = snprintf(text, sizeof(text), "%" PRId32, in->v.i32);
        else if (from->type == SL_HUDI_LONG)
            n = snprintf(text, sizeof(text), "%" PRId64, in->v.i64);
        else if (from->type == SL_HUDI_FLOAT)
            n = snprintf(text, sizeof(text), "%.9g", (double)in->v.f32);
        else if (from->type == SL_HUDI_DOUBLE)
            n = snprintf(text, sizeof(text), "%.17g", in->v.f64);
        if (n < 0) {
            out->kind = CELL_NULL;
            return SL_OK;
        }
        char *copy = sl_arena_strndup(&w->arena, text, (size_t)n);
        if (copy == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        out->v.bytes = (const uint8_t *)copy;
        out->len = (uint32_t)n;
        return SL_OK;
    default:
        return SL_OK; /* timestamp <-> local timestamp: the same micros */
    }
}

static int migrate_pending(struct sl_hudi_writer *w, const struct sl_hudi_schema *old,
                           struct sl_error *err)
{
    uint32_t n = w->schema->nfields;
    for (size_t r = 0; r < w->npending; r++) {
        struct pending *p = w->order[r];
        struct cell *cells;
        if (p->cells == NULL)
            continue;
        cells = sl_arena_alloc(&w->arena, sizeof(struct cell) * n);
        if (cells == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        for (uint32_t j = 0; j < n; j++) {
            int i = find_field(old, w->schema->fields[j].name);
            memset(&cells[j], 0, sizeof(cells[j]));
            cells[j].kind = CELL_NULL;
            if (i >= 0) {
                int rc = migrate_cell(w, &old->fields[i], &w->schema->fields[j], &p->cells[i],
                                      &cells[j], err);
                if (rc != SL_OK)
                    return rc;
            }
        }
        p->cells = cells;
    }
    return SL_OK;
}

int sl_hudi_writer_add(struct sl_hudi_writer *w, const struct sl_change *ch, struct sl_error *err)
{
    struct cell *cells = NULL, *old_cells = NULL;
    struct pending *p;
    int rc;

    if (w->failed)
        return sl_error_set(err, SL_EINVAL, "the batch failed earlier; discard it first");
    if (w->schema == NULL || ch->table != w->source || ch->table->version != w->source_version) {
        struct sl_hudi_schema *old = w->schema;
        w->schema = NULL;
        if (old != NULL && sl_hudi_schema_copy(old, &w->schema) != SL_OK) {
            w->schema = old;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        rc = adopt_source_schema(w, ch->table, err);
        if (rc == SL_OK)
            rc = setup_keys(w, ch->table, err);
        /* rows added under the old schema move to the new one (fields only
         * appended or widened, so every old value has a place) */
        if (rc == SL_OK && old != NULL && w->npending > 0)
            rc = migrate_pending(w, old, err);
        sl_hudi_schema_free(old);
        if (rc != SL_OK)
            goto fail;
        w->source = ch->table;
        w->source_version = ch->table->version;
    }
    if (ch->op == SL_OP_TRUNCATE) {
        sl_u64map_free(&w->by_hash);
        sl_u64map_init(&w->by_hash);
        w->npending = 0;
        w->truncate = true;
        return SL_OK;
    }
    size_t cells_bytes = sizeof(struct cell) * w->schema->nfields;
    cells = sl_arena_alloc(&w->arena, cells_bytes);
    if (cells == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
        goto fail;
    }
    const struct sl_value *row = ch->op == SL_OP_DELETE ? ch->before : ch->after;
    if (row == NULL) {
        rc = sl_error_set(err, SL_EINVAL, "table %s: a '%c' change without its row values",
                          w->table_name, (char)ch->op);
        goto fail;
    }
    rc = convert_row(w, ch, row, cells, err);
    if (rc != SL_OK)
        goto fail;

    /* an update that changes the key deletes the old key */
    if (ch->op == SL_OP_UPDATE && ch->before != NULL) {
        old_cells = sl_arena_alloc(&w->arena, cells_bytes);
        if (old_cells == NULL) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
            goto fail;
        }
        rc = convert_row(w, ch, ch->before, old_cells, err);
        if (rc != SL_OK)
            goto fail;
        bool key_present = true;
        for (uint32_t k = 0; k < w->nkeys; k++)
            key_present &= old_cells[w->key_fields[k]].kind == CELL_VALUE;
        if (key_present) {
            rc = row_key(w, old_cells, err);
            if (rc != SL_OK)
                goto fail;
            char *old_key = sl_arena_strndup(&w->arena, w->keybuf.data, w->keybuf.len);
            size_t old_len = w->keybuf.len;
            rc = row_key(w, cells, err);
            if (rc != SL_OK)
                goto fail;
            if (old_key == NULL) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
                goto fail;
            }
            if (old_len != w->keybuf.len || memcmp(old_key, w->keybuf.data, old_len) != 0) {
                sl_buf_reset(&w->keybuf);
                sl_buf_append(&w->keybuf, old_key, old_len);
                rc = pending_for_key(w, &p, err);
                if (rc != SL_OK)
                    goto fail;
                /* TOAST cells of the moved row come from the old key's row */
                if (p->cells != NULL && !p->is_delete)
                    for (uint32_t i = 0; i < w->schema->nfields; i++)
                        if (cells[i].kind == CELL_KEEP)
                            cells[i] = p->cells[i];
                p->is_delete = true;
                p->op = SL_OP_DELETE;
                p->cells = old_cells;
            }
        }
    }
    rc = row_key(w, cells, err);
    if (rc != SL_OK)
        goto fail;
    rc = pending_for_key(w, &p, err);
    if (rc != SL_OK)
        goto fail;
    if (ch->op != SL_OP_DELETE && p->cells != NULL && !p->is_delete)
        for (uint32_t i = 0; i < w->schema->nfields; i++)
            if (cells[i].kind == CELL_KEEP)
                cells[i] = p->cells[i];
    p->cells = cells;
    p->is_delete = ch->op == SL_OP_DELETE;
    p->op = (char)ch->op;
    if (!p->is_delete) {
        rc = row_partition(w, cells, err);
        if (rc != SL_OK)
            goto fail;
        p->partition = sl_arena_strndup(&w->arena, w->partbuf.data, w->partbuf.len);
        if (p->partition == NULL) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory for the batch");
            goto fail;
        }
    }
    return SL_OK;
fail:
    w->failed = true;
    return rc;
}

/* ---------------------------------------------------------------- file groups and index */

static void groups_clear(struct sl_hudi_writer *w)
{
    for (size_t i = 0; i < w->ngroups; i++) {
        sl_free(w->groups[i].partition);
        sl_free(w->groups[i].file_id);
        sl_free(w->groups[i].instant);
        sl_free(w->groups[i].key);
    }
    w->ngroups = 0;
    index_free(&w->index);
    w->index_loaded = false;
}

static int open_parquet(struct sl_hudi_writer *w, const char *key, struct sl_read_file *file,
                        struct sl_parquet_reader **reader, struct sl_error *err)
{
    int rc = w->store->open_read(w->store->ctx, key, file, err);
    if (rc != SL_OK)
        return rc;
    rc = sl_parquet_reader_open(file, key, reader, err);
    if (rc != SL_OK) {
        file->destroy(file->ctx);
        memset(file, 0, sizeof(*file));
    }
    return rc;
}

/* Loads the latest file slices and hashes every record key into the index. */
static int load_index(struct sl_hudi_writer *w, struct sl_error *err)
{
    struct sl_hudi_slices slices = {0};
    int rc;

    int64_t started_ms = sl_clock_monotonic_ms();
    groups_clear(w);
    if (w->table == NULL) {
        w->index_loaded = true;
        return SL_OK;
    }
    rc = sl_hudi_table_slices(w->table, NULL, &slices, err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < slices.count; i++) {
        struct sl_hudi_slice *s = &slices.items[i];
        struct sl_read_file file = {0};
        struct sl_parquet_reader *reader = NULL;
        struct fgroup *g;

        if (sl_array_grow((void **)&w->groups, &w->groups_cap, w->ngroups + 1, sizeof(*w->groups)))
            goto oom;
        g = &w->groups[w->ngroups++];
        memset(g, 0, sizeof(*g));
        g->partition = s->partition;
        g->file_id = s->file_id;
        g->instant = s->instant;
        g->key = s->key;
        g->size = s->size;
        s->partition = s->file_id = s->instant = s->key = NULL;
        rc = open_parquet(w, g->key, &file, &reader, err);
        if (rc != SL_OK)
            goto fail;
        int col = sl_parquet_reader_find_column(reader, sl_hudi_meta_columns[SL_HUDI_META_RECORD_KEY]);
        if (col < 0) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "%s has no _hoodie_record_key column (a table written with "
                              "hoodie.populate.meta.fields=false): sluice cannot write it",
                              g->key);
            sl_parquet_reader_free(reader);
            file.destroy(file.ctx);
            goto fail;
        }
        g->rows = sl_parquet_reader_num_rows(reader);
        for (uint32_t rg = 0; rg < sl_parquet_reader_num_row_groups(reader) && rc == SL_OK; rg++) {
            struct sl_parquet_column_values v;
            int64_t n = sl_parquet_reader_row_group_rows(reader, rg);
            rc = sl_parquet_reader_read_column(reader, rg, (uint32_t)col, &v, err);
            for (int64_t r = 0; rc == SL_OK && r < n; r++) {
                if (v.valid && !v.valid[r])
                    continue;
                uint32_t a = v.u.bytes.offsets[r], b = v.u.bytes.offsets[r + 1];
                rc = index_put(&w->index, key_hash((const char *)v.u.bytes.data + a, b - a),
                               (uint32_t)(w->ngroups - 1), true);
                if (rc == SL_ENOMEM)
                    sl_error_set(err, rc, "out of memory for the key index");
            }
        }
        sl_parquet_reader_free(reader);
        file.destroy(file.ctx);
        if (rc != SL_OK)
            goto fail;
    }
    sl_hudi_slices_free(&slices);
    sl_log(SL_LOG_INFO, "key_index", "table=%s keys=%zu file_groups=%zu bytes=%zu ms=%lld", w->table->name,
           w->index.count, w->ngroups, w->index.cap * (sizeof(uint64_t) + sizeof(uint32_t)),
           (long long)(sl_clock_monotonic_ms() - started_ms));
    sl_free(w->index_instant);
    const struct sl_hudi_instant *last = sl_hudi_timeline_last_completed(&w->table->timeline);
    w->index_instant = last ? sl_strdup(last->time) : NULL;
    w->index_loaded = true;
    return SL_OK;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory loading the key index");
fail:
    sl_hudi_slices_free(&slices);
    groups_clear(w);
    return rc;
}

/* ---------------------------------------------------------------- column buffers */

struct colbuf {
    const struct sl_hudi_field *field; /* NULL for meta columns (strings) */
    size_t width;                      /* 0: variable-length bytes */
    uint8_t *valid;
    size_t valid_cap;
    uint8_t *fixed;
    size_t fixed_cap;
    uint32_t *offsets;
    size_t offsets_cap;
    struct sl_buf data;
    size_t n;
    bool any_null;
};

static int colbuf_reserve(struct colbuf *b, size_t rows)
{
    if (sl_array_grow((void **)&b->valid, &b->valid_cap, rows, 1) != SL_OK)
        return SL_ENOMEM;
    if (b->width > 0)
        return sl_array_grow((void **)&b->fixed, &b->fixed_cap, rows * b->width, 1);
    return sl_array_grow((void **)&b->offsets, &b->offsets_cap, rows + 1, sizeof(uint32_t));
}

static void colbuf_reset(struct colbuf *b)
{
    b->n = 0;
    b->any_null = false;
    sl_buf_reset(&b->data);
    if (b->offsets)
        b->offsets[0] = 0;
}

static void colbuf_free(struct colbuf *b)
{
    sl_free(b->valid);
    sl_free(b->fixed);
    sl_free(b->offsets);
    sl_buf_free(&b->data);
}

static int colbuf_null(struct colbuf *b)
{
    if (colbuf_reserve(b, b->n + 1) != SL_OK)
        return SL_ENOMEM;
    b->valid[b->n] = 0;
    b->any_null = true;
    if (b->width > 0)
        memset(b->fixed + b->n * b->width, 0, b->width);
    else
        b->offsets[b->n + 1] = b->offsets[b->n];
    b->n++;
    return SL_OK;
}

static int colbuf_fixed(struct colbuf *b, const void *v)
{
    if (colbuf_reserve(b, b->n + 1) != SL_OK)
        return SL_ENOMEM;
    b->valid[b->n] = 1;
    memcpy(b->fixed + b->n * b->width, v, b->width);
    b->n++;
    return SL_OK;
}

static int colbuf_bytes(struct colbuf *b, const void *v, size_t len)
{
    if (colbuf_reserve(b, b->n + 1) != SL_OK || sl_buf_append(&b->data, v, len) != SL_OK)
        return SL_ENOMEM;
    if (b->data.len > UINT32_MAX)
        return SL_ELIMIT;
    b->valid[b->n] = 1;
    b->offsets[b->n + 1] = (uint32_t)b->data.len;
    b->n++;
    return SL_OK;
}

static void colbuf_values(const struct colbuf *b, struct sl_parquet_column_values *v)
{
    memset(v, 0, sizeof(*v));
    v->valid = b->any_null ? b->valid : NULL;
    if (b->width > 0) {
        v->u.fixed = b->fixed;
    } else {
        v->u.bytes.offsets = b->offsets;
        v->u.bytes.data = (const uint8_t *)(b->data.data ? b->data.data : "");
    }
}

static int colbuf_cell(struct colbuf *b, const struct cell *c)
{
    if (c->kind != CELL_VALUE)
        return colbuf_null(b);
    if (b->width == 0)
        return colbuf_bytes(b, c->v.bytes, c->len);
    return colbuf_fixed(b, &c->v);
}

/* ---------------------------------------------------------------- reading old rows */

/* One old file's row group, mapped to the table's fields. */
struct old_rows {
    struct sl_parquet_reader *reader;
    int32_t meta_col[SL_HUDI_META_COUNT];
    int32_t *field_col; /* per table field: the file's column or -1 */
    struct sl_parquet_column_values *meta;   /* SL_HUDI_META_COUNT */
    struct sl_parquet_column_values *values; /* per table field */
    const struct sl_parquet_column_info **info;
};

static const uint8_t *old_bytes(const struct sl_parquet_column_values *v, size_t r, size_t *len)
{
    uint32_t a = v->u.bytes.offsets[r], b = v->u.bytes.offsets[r + 1];
    *len = b - a;
    return v->u.bytes.data + a;
}

/* Appends old row r of a field (converting promoted types) to b. */
static int append_old(struct colbuf *b, const struct sl_hudi_field *f,
                      const struct sl_parquet_column_info *info,
                      const struct sl_parquet_column_values *v, size_t r)
{
    if (info == NULL || (v->valid && !v->valid[r]))
        return colbuf_null(b);
    int32_t phys = info->physical;
    union {
        int64_t i64;
        int32_t i32;
        double f64;
        float f32;
        uint8_t b;
        uint8_t fixed[16];
    } u;
    char text[64];
    switch (f->type) {
    case SL_HUDI_BOOLEAN:
        u.b = v->u.booleans[r];
        return colbuf_fixed(b, &u);
    case SL_HUDI_INT:
    case SL_HUDI_DATE:
        return colbuf_fixed(b, &v->u.i32[r]);
    case SL_HUDI_LONG:
    case SL_HUDI_TIMESTAMP_MICROS:
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        u.i64 = phys == 1 /* INT32 */ ? v->u.i32[r] : v->u.i64[r];
        return colbuf_fixed(b, &u);
    case SL_HUDI_FLOAT:
        u.f32 = phys == 1 ? (float)v->u.i32[r] : phys == 2 ? (float)v->u.i64[r] : v->u.f32[r];
        return colbuf_fixed(b, &u);
    case SL_HUDI_DOUBLE:
        u.f64 = phys == 1   ? (double)v->u.i32[r]
                : phys == 2 ? (double)v->u.i64[r]
                : phys == 4 ? (double)v->u.f32[r]
                            : v->u.f64[r];
        return colbuf_fixed(b, &u);
    case SL_HUDI_DECIMAL: {
        size_t w = b->width;
        if (phys == 7 /* FIXED_LEN_BYTE_ARRAY */) {
            size_t have = (size_t)info->type_length;
            const uint8_t *src = v->u.fixed + r * have;
            uint8_t sign = (src[0] & 0x80) ? 0xff : 0;
            memset(u.fixed, sign, w);
            if (have <= w)
                memcpy(u.fixed + (w - have), src, have);
            else
                memcpy(u.fixed, src + (have - w), w);
        } else {
            int64_t x = phys == 1 ? v->u.i32[r] : v->u.i64[r];
            for (size_t i = 0; i < w; i++)
                u.fixed[w - 1 - i] = i < 8 ? (uint8_t)((uint64_t)x >> (8 * i)) : (x < 0 ? 0xff : 0);
        }
        return colbuf_fixed(b, &u);
    }
    default: {
        size_t len;
        const uint8_t *p;
        if (phys == 6 /* BYTE_ARRAY */) {
            p = old_bytes(v, r, &len);
            return colbuf_bytes(b, p, len);
        }
        /* a promoted-to-string number */
        int n = 0;
        if (phys == 1)
            n = snprintf(text, sizeof(text), "%" PRId32, v->u.i32[r]);
        else if (phys == 2)
            n = snprintf(text, sizeof(text), "%" PRId64, v->u.i64[r]);
        else if (phys == 4)
            n = snprintf(text, sizeof(text), "%.9g", (double)v->u.f32[r]);
        else if (phys == 5)
            n = snprintf(text, sizeof(text), "%.17g", v->u.f64[r]);
        else
            return colbuf_null(b);
        return colbuf_bytes(b, text, (size_t)n);
    }
    }
}

/* ---------------------------------------------------------------- writing a file */

struct file_out {
    struct sl_write_stream stream;
    struct sl_parquet_writer *pw;
    struct sl_hudi_bloom *bloom;
    struct colbuf *cols; /* META + nfields */
    uint32_t ncols;
    char *name;   /* file name */
    char *key;    /* store key */
    char *min_key, *max_key;
    uint64_t seq;
    int64_t rows, inserts, updates, deletes;
};

static void file_out_free(struct file_out *f)
{
    if (f->pw)
        sl_parquet_writer_free(f->pw);
    if (f->stream.destroy)
        f->stream.destroy(f->stream.ctx);
    sl_hudi_bloom_free(f->bloom);
    for (uint32_t i = 0; f->cols && i < f->ncols; i++)
        colbuf_free(&f->cols[i]);
    sl_free(f->cols);
    sl_free(f->name);
    sl_free(f->key);
    sl_free(f->min_key);
    sl_free(f->max_key);
    memset(f, 0, sizeof(*f));
}

static void random_file_id(char out[40])
{
    uint8_t r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        uint64_t t = (uint64_t)sl_clock_wall_us() ^ ((uint64_t)(uintptr_t)out << 17);
        for (int i = 0; i < 16; i++)
            r[i] = (uint8_t)((t >> ((i % 8) * 8)) ^ (uint64_t)i * 0x9e);
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    snprintf(out, 40,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x-0", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
}

static int file_out_open(struct sl_hudi_writer *w, const char *partition, const char *file_id,
                         const char *instant, uint32_t file_index, struct file_out *f,
                         struct sl_error *err)
{
    struct sl_parquet_column_spec *specs = NULL;
    struct sl_parquet_writer_options po;
    char rest[1024];
    int rc;

    memset(f, 0, sizeof(*f));
    f->ncols = SL_HUDI_META_COUNT + w->schema->nfields;
    f->cols = sl_calloc(f->ncols, sizeof(*f->cols));
    specs = sl_calloc(f->ncols, sizeof(*specs));
    if (f->cols == NULL || specs == NULL)
        goto oom;
    for (uint32_t i = 0; i < f->ncols; i++) {
        sl_buf_init(&f->cols[i].data, BATCH_TEXT_MAX);
        if (i < SL_HUDI_META_COUNT) {
            specs[i].name = sl_hudi_meta_columns[i];
            specs[i].type = SL_PARQUET_COL_STRING;
            specs[i].optional = true;
        } else {
            const struct sl_hudi_field *fld = &w->schema->fields[i - SL_HUDI_META_COUNT];
            parquet_type_of(fld, &specs[i]);
            f->cols[i].field = fld;
            f->cols[i].width = cell_width(fld);
        }
        if (colbuf_reserve(&f->cols[i], 1) != SL_OK)
            goto oom;
        colbuf_reset(&f->cols[i]);
    }
    snprintf(rest, sizeof(rest), "%s_%u-0-1_%s.parquet", file_id, file_index, instant);
    f->name = sl_strdup(rest);
    if (partition[0] != '\0')
        snprintf(rest, sizeof(rest), "%s/%s", partition, f->name);
    if (f->name == NULL || sl_hudi_key_join(w->table, rest, &f->key) != SL_OK)
        goto oom;
    rc = sl_hudi_bloom_new(SL_HUDI_BLOOM_DEFAULT_ENTRIES, SL_HUDI_BLOOM_DEFAULT_FPP,
                           SL_HUDI_BLOOM_DEFAULT_MAX_ENTRIES, &f->bloom, err);
    if (rc != SL_OK)
        goto fail;
    rc = w->store->open_write(w->store->ctx, f->key, &f->stream, err);
    if (rc != SL_OK)
        goto fail;
    sl_parquet_writer_options_default(&po);
    po.codec = w->options.codec;
    po.created_by = "sluice version 0.1.0";
    rc = sl_parquet_writer_open(specs, f->ncols, &po, &f->stream, &f->pw, err);
    if (rc != SL_OK)
        goto fail;
    sl_free(specs);
    return SL_OK;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory opening a base file");
fail:
    sl_free(specs);
    file_out_free(f);
    return rc;
}

/* Writes the buffered rows to the Parquet writer and empties the buffers. */
static int file_out_flush(struct file_out *f, struct sl_error *err)
{
    struct sl_parquet_column_values *values;
    size_t n = f->cols[0].n;
    int rc;

    if (n == 0)
        return SL_OK;
    values = sl_calloc(f->ncols, sizeof(*values));
    if (values == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < f->ncols; i++)
        colbuf_values(&f->cols[i], &values[i]);
    rc = sl_parquet_writer_write(f->pw, values, (uint32_t)n, err);
    sl_free(values);
    for (uint32_t i = 0; i < f->ncols; i++)
        colbuf_reset(&f->cols[i]);
    return rc;
}

static int note_key(struct file_out *f, const char *key, size_t len, struct sl_error *err)
{
    int rc = sl_hudi_bloom_add(f->bloom, key, len, err);
    if (rc != SL_OK)
        return rc;
    if (f->min_key == NULL || strncmp(key, f->min_key, len) < 0 ||
        (strncmp(key, f->min_key, len) == 0 && strlen(f->min_key) > len)) {
        sl_free(f->min_key);
        if ((f->min_key = sl_strndup(key, len)) == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (f->max_key == NULL || strncmp(key, f->max_key, len) > 0 ||
        (strncmp(key, f->max_key, len) == 0 && strlen(f->max_key) < len)) {
        sl_free(f->max_key);
        if ((f->max_key = sl_strndup(key, len)) == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return SL_OK;
}

/* Appends a pending (new or changed) row. */
static int file_out_pending(struct sl_hudi_writer *w, struct file_out *f, const char *instant,
                            uint32_t file_index, const struct pending *p, const char *partition)
{
    char seqno[64];
    int n = snprintf(seqno, sizeof(seqno), "%s_%u_%" PRIu64, instant, file_index, f->seq++);
    int rc = SL_OK;
    rc |= colbuf_bytes(&f->cols[SL_HUDI_META_COMMIT_TIME], instant, strlen(instant));
    rc |= colbuf_bytes(&f->cols[SL_HUDI_META_COMMIT_SEQNO], seqno, (size_t)n);
    rc |= colbuf_bytes(&f->cols[SL_HUDI_META_RECORD_KEY], p->key, p->key_len);
    rc |= colbuf_bytes(&f->cols[SL_HUDI_META_PARTITION_PATH], partition, strlen(partition));
    rc |= colbuf_bytes(&f->cols[SL_HUDI_META_FILE_NAME], f->name, strlen(f->name));
    for (uint32_t i = 0; i < w->schema->nfields; i++)
        rc |= colbuf_cell(&f->cols[SL_HUDI_META_COUNT + i], &p->cells[i]);
    f->rows++;
    return rc == SL_OK ? SL_OK : SL_ENOMEM;
}

/* Finishes the file: footer metadata, close, make it visible. */
static int file_out_finish(struct sl_hudi_writer *w, struct file_out *f, struct sl_error *err)
{
    struct sl_buf text;
    int rc;

    sl_buf_init(&text, BATCH_TEXT_MAX);
    rc = file_out_flush(f, err);
    if (rc != SL_OK)
        goto done;
    rc = sl_hudi_schema_to_avro(w->schema, true, &text, err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_set_kv(f->pw, "parquet.avro.schema", text.data, err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_set_kv(f->pw, "writer.model.name", "avro", err);
    /* Declares the proleptic Gregorian calendar (what sluice writes): without
     * this key Spark 3 refuses dates before 1582 and timestamps before 1900. */
    if (rc == SL_OK)
        rc = sl_parquet_writer_set_kv(f->pw, "org.apache.spark.version", "3.5.0", err);
    sl_buf_reset(&text);
    if (rc == SL_OK)
        rc = sl_hudi_bloom_serialize(f->bloom, &text, err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_set_kv(f->pw, "org.apache.hudi.bloomfilter", text.data ? text.data : "", err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_set_kv(f->pw, "hoodie_bloom_filter_type_code", "DYNAMIC_V0", err);
    if (rc == SL_OK && f->min_key != NULL)
        rc = sl_parquet_writer_set_kv(f->pw, "hoodie_min_record_key", f->min_key, err);
    if (rc == SL_OK && f->max_key != NULL)
        rc = sl_parquet_writer_set_kv(f->pw, "hoodie_max_record_key", f->max_key, err);
    if (rc == SL_OK)
        rc = sl_parquet_writer_close(f->pw, NULL, err);
    if (rc == SL_OK)
        rc = f->stream.finish(f->stream.ctx, err);
done:
    sl_buf_free(&text);
    return rc;
}

/* ---------------------------------------------------------------- commit */

struct commit_state {
    char instant[SL_HUDI_INSTANT_LEN + 1];
    struct sl_hudi_commit_meta meta;
    uint32_t file_index;
    char **written; /* keys of data files written, for rollback */
    size_t nwritten, written_cap;
};

static int record_written(struct commit_state *cs, const char *key)
{
    if (sl_array_grow((void **)&cs->written, &cs->written_cap, cs->nwritten + 1, sizeof(char *)))
        return SL_ENOMEM;
    cs->written[cs->nwritten] = sl_strdup(key);
    if (cs->written[cs->nwritten] == NULL)
        return SL_ENOMEM;
    cs->nwritten++;
    return SL_OK;
}

static int add_stat(struct sl_hudi_writer *w, struct commit_state *cs, const char *partition,
                    const char *file_id, const char *prev, const struct file_out *f, uint64_t size)
{
    struct sl_hudi_write_stat *s;
    char path[1024];
    (void)w;
    if (sl_array_grow((void **)&cs->meta.stats, &cs->meta.stats_cap, cs->meta.nstats + 1,
                      sizeof(*cs->meta.stats)))
        return SL_ENOMEM;
    s = &cs->meta.stats[cs->meta.nstats++];
    memset(s, 0, sizeof(*s));
    if (partition[0] != '\0')
        snprintf(path, sizeof(path), "%s/%s", partition, f->name);
    else
        snprintf(path, sizeof(path), "%s", f->name);
    s->partition = sl_strdup(partition);
    s->file_id = sl_strdup(file_id);
    s->path = sl_strdup(path);
    s->prev_commit = sl_strdup(prev ? prev : "null");
    if (!s->partition || !s->file_id || !s->path || !s->prev_commit)
        return SL_ENOMEM;
    s->num_writes = f->rows;
    s->num_deletes = f->deletes;
    s->num_update_writes = f->updates;
    s->num_inserts = f->inserts;
    s->total_write_bytes = (int64_t)size;
    s->file_size = (int64_t)size;
    return SL_OK;
}

static int put_text(struct sl_hudi_writer *w, const char *rest, const char *text, bool if_absent,
                    struct sl_error *err)
{
    char *key = NULL;
    int rc;
    if (sl_hudi_key_join(w->table, rest, &key) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (if_absent)
        rc = w->store->put_if_absent(w->store->ctx, key, text, strlen(text), err);
    else
        rc = w->store->put(w->store->ctx, key, text, strlen(text), err);
    sl_free(key);
    return rc;
}

/* Partition metadata file, once per partition. */
static int ensure_partition(struct sl_hudi_writer *w, struct commit_state *cs, const char *partition,
                            struct sl_error *err)
{
    char rest[1024], text[256];
    int depth = 0;
    /* a partition that held a file group before this commit has its metadata file */
    for (size_t k = 0; k < w->ngroups; k++)
        if (!w->groups[k].is_new && strcmp(w->groups[k].partition, partition) == 0)
            return SL_OK;
    if (partition[0] != '\0') {
        depth = 1;
        for (const char *p = partition; *p; p++)
            depth += *p == '/';
        snprintf(rest, sizeof(rest), "%s/.hoodie_partition_metadata", partition);
    } else {
        snprintf(rest, sizeof(rest), ".hoodie_partition_metadata");
    }
    snprintf(text, sizeof(text), "#partition metadata\ncommitTime=%s\npartitionDepth=%d\n",
             cs->instant, depth);
    int rc = put_text(w, rest, text, true, err);
    if (rc == SL_EEXIST) {
        sl_error_clear(err);
        rc = SL_OK;
    }
    return rc;
}

/* Rewrites file group g with the batch applied; inserts (a list) may be appended. */
static int rewrite_group(struct sl_hudi_writer *w, struct commit_state *cs, struct fgroup *g,
                         struct pending **inserts, size_t ninserts, struct sl_error *err)
{
    struct sl_read_file file = {0};
    struct sl_parquet_reader *reader = NULL;
    struct file_out f = {0};
    int32_t *field_col = NULL;
    const struct sl_parquet_column_info **info = NULL;
    struct sl_parquet_column_values *meta = NULL, *values = NULL;
    uint32_t file_index = cs->file_index++;
    int rc;

    rc = open_parquet(w, g->key, &file, &reader, err);
    if (rc != SL_OK)
        return rc;
    field_col = sl_calloc(w->schema->nfields, sizeof(int32_t));
    info = sl_calloc(w->schema->nfields, sizeof(*info));
    meta = sl_calloc(SL_HUDI_META_COUNT, sizeof(*meta));
    values = sl_calloc(w->schema->nfields, sizeof(*values));
    if (!field_col || !info || !meta || !values) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    int meta_col[SL_HUDI_META_COUNT];
    for (int m = 0; m < SL_HUDI_META_COUNT; m++) {
        meta_col[m] = sl_parquet_reader_find_column(reader, sl_hudi_meta_columns[m]);
        if (meta_col[m] < 0) {
            rc = sl_error_set(err, SL_ECONFIG, "%s lacks the meta column %s", g->key,
                              sl_hudi_meta_columns[m]);
            goto done;
        }
    }
    for (uint32_t i = 0; i < w->schema->nfields; i++) {
        field_col[i] = sl_parquet_reader_find_column(reader, w->schema->fields[i].name);
        info[i] = field_col[i] >= 0 ? sl_parquet_reader_column(reader, (uint32_t)field_col[i]) : NULL;
        if (info[i] && info[i]->unsupported) {
            rc = sl_error_set(err, SL_ECONFIG, "%s: column %s: %s", g->key, info[i]->name,
                              info[i]->unsupported);
            goto done;
        }
    }
    rc = file_out_open(w, g->partition, g->file_id, cs->instant, file_index, &f, err);
    if (rc != SL_OK)
        goto done;
    for (uint32_t rg = 0; rg < sl_parquet_reader_num_row_groups(reader); rg++) {
        int64_t n = sl_parquet_reader_row_group_rows(reader, rg);
        for (int m = 0; m < SL_HUDI_META_COUNT && rc == SL_OK; m++)
            rc = sl_parquet_reader_read_column(reader, rg, (uint32_t)meta_col[m], &meta[m], err);
        for (uint32_t i = 0; i < w->schema->nfields && rc == SL_OK; i++)
            if (field_col[i] >= 0)
                rc = sl_parquet_reader_read_column(reader, rg, (uint32_t)field_col[i], &values[i], err);
        if (rc != SL_OK)
            goto done;
        for (int64_t r = 0; r < n; r++) {
            size_t klen;
            const char *key = (const char *)old_bytes(&meta[SL_HUDI_META_RECORD_KEY], (size_t)r, &klen);
            struct pending *p = pending_find(w, key_hash(key, klen), key, klen);
            if (w->truncate && (p == NULL || p->applied)) {
                f.deletes++;
                continue;
            }
            if (p != NULL && !p->applied) {
                p->applied = true;
                /* soft deletes keep the row (stored values, CDC columns of the delete) */
                bool soft = p->is_delete && w->options.soft_deletes;
                bool stays = soft || (!p->is_delete && strcmp(p->partition, g->partition) == 0);
                if (!stays) {
                    f.deletes++;
                    /* a moving row takes its TOAST cells from here */
                    if (!p->is_delete)
                        for (uint32_t i = 0; i < w->schema->nfields; i++)
                            if (p->cells[i].kind == CELL_KEEP) {
                                struct colbuf tmp = {0};
                                tmp.field = &w->schema->fields[i];
                                tmp.width = cell_width(tmp.field);
                                sl_buf_init(&tmp.data, BATCH_TEXT_MAX);
                                if (colbuf_reserve(&tmp, 1) != SL_OK)
                                    rc = SL_ENOMEM;
                                colbuf_reset(&tmp);
                                if (rc == SL_OK)
                                    rc = append_old(&tmp, tmp.field, info[i], &values[i], (size_t)r);
                                if (rc == SL_OK && tmp.valid[0]) {
                                    p->cells[i].kind = CELL_VALUE;
                                    if (tmp.width > 0) {
                                        memcpy(&p->cells[i].v, tmp.fixed, tmp.width);
                                    } else {
                                        uint8_t *copy = sl_arena_alloc(&w->arena, tmp.data.len + 1);
                                        if (copy == NULL)
                                            rc = SL_ENOMEM;
                                        else if (tmp.data.len)
                                            memcpy(copy, tmp.data.data, tmp.data.len);
                                        p->cells[i].v.bytes = copy;
                                        p->cells[i].len = (uint32_t)tmp.data.len;
                                    }
                                } else if (rc == SL_OK) {
                                    p->cells[i].kind = CELL_NULL;
                                }
                                colbuf_free(&tmp);
                                if (rc != SL_OK) {
                                    rc = sl_error_set(err, rc, "out of memory");
                                    goto done;
                                }
                            }
                    continue;
                }
                /* an update in place: TOAST cells keep the stored value */
                char seqno[64];
                int sn = snprintf(seqno, sizeof(seqno), "%s_%u_%" PRIu64, cs->instant, file_index,
                                  f.seq++);
                rc |= colbuf_bytes(&f.cols[SL_HUDI_META_COMMIT_TIME], cs->instant, strlen(cs->instant));
                rc |= colbuf_bytes(&f.cols[SL_HUDI_META_COMMIT_SEQNO], seqno, (size_t)sn);
                for (uint32_t i = 0; i < w->schema->nfields; i++) {
                    struct colbuf *b = &f.cols[SL_HUDI_META_COUNT + i];
                    if (p->cells[i].kind == CELL_KEEP)
                        rc |= append_old(b, &w->schema->fields[i], info[i], &values[i], (size_t)r);
                    else
                        rc |= colbuf_cell(b, &p->cells[i]);
                }
                if (soft)
                    f.deletes++;
                else
                    f.updates++;
                p->in_place = true;
            } else {
                /* unchanged row: keeps commit time and seqno */
                size_t len;
                const uint8_t *v;
                for (int m = SL_HUDI_META_COMMIT_TIME; m <= SL_HUDI_META_COMMIT_SEQNO; m++) {
                    if (meta[m].valid && !meta[m].valid[r]) {
                        rc |= colbuf_null(&f.cols[m]);
                        continue;
                    }
                    v = old_bytes(&meta[m], (size_t)r, &len);
                    rc |= colbuf_bytes(&f.cols[m], v, len);
                }
                for (uint32_t i = 0; i < w->schema->nfields; i++)
                    rc |= append_old(&f.cols[SL_HUDI_META_COUNT + i], &w->schema->fields[i], info[i],
                                     &values[i], (size_t)r);
            }
            rc |= colbuf_bytes(&f.cols[SL_HUDI_META_RECORD_KEY], key, klen);
            rc |= colbuf_bytes(&f.cols[SL_HUDI_META_PARTITION_PATH], g->partition, strlen(g->partition));
            rc |= colbuf_bytes(&f.cols[SL_HUDI_META_FILE_NAME], f.name, strlen(f.name));
            f.rows++;
            if (rc != SL_OK) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory rewriting %s", g->key);
                goto done;
            }
            rc = note_key(&f, key, klen, err);
            if (rc != SL_OK)
                goto done;
            /* hand rows to the Parquet writer in slices: one copy of a row group at most */
            if (f.cols[0].n >= 65536 && (rc = file_out_flush(&f, err)) != SL_OK)
                goto done;
        }
        rc = file_out_flush(&f, err);
        if (rc != SL_OK)
            goto done;
    }
    for (size_t i = 0; i < ninserts; i++) {
        rc = file_out_pending(w, &f, cs->instant, file_index, inserts[i], g->partition);
        if (rc == SL_OK)
            rc = note_key(&f, inserts[i]->key, inserts[i]->key_len, err);
        if (rc != SL_OK) {
            rc = sl_error_set(err, rc, "out of memory");
            goto done;
        }
        inserts[i]->applied = true;
        f.inserts++;
        if (f.cols[0].n >= 65536 && (rc = file_out_flush(&f, err)) != SL_OK)
            goto done;
    }
    rc = record_written(cs, f.key);
    if (rc == SL_OK)
        rc = file_out_finish(w, &f, err);
    if (rc == SL_OK)
        rc = add_stat(w, cs, g->partition, g->file_id, g->instant, &f, f.stream.written);
    if (rc == SL_ENOMEM)
        sl_error_set(err, rc, "out of memory");
    if (rc == SL_OK) {
        /* the group's new slice */
        g->touched = true;
        g->size = f.stream.written;
        g->rows = f.rows;
        sl_free(g->instant);
        sl_free(g->key);
        g->instant = sl_strdup(cs->instant);
        g->key = sl_strdup(f.key);
        if (g->instant == NULL || g->key == NULL)
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
done:
    file_out_free(&f);
    sl_parquet_reader_free(reader);
    if (file.destroy)
        file.destroy(file.ctx);
    sl_free(field_col);
    sl_free(info);
    sl_free(meta);
    sl_free(values);
    return rc;
}

/* Writes a new file group of inserts in partition. */
static int new_group(struct sl_hudi_writer *w, struct commit_state *cs, const char *partition,
                     struct pending **inserts, size_t n, struct sl_error *err)
{
    struct file_out f = {0};
    char file_id[40];
    uint32_t file_index = cs->file_index++;
    int rc;

    random_file_id(file_id);
    rc = file_out_open(w, partition, file_id, cs->instant, file_index, &f, err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        rc = file_out_pending(w, &f, cs->instant, file_index, inserts[i], partition);
        if (rc == SL_OK)
            rc = note_key(&f, inserts[i]->key, inserts[i]->key_len, err);
        else
            rc = sl_error_set(err, rc, "out of memory");
        inserts[i]->applied = true;
        f.inserts++;
        if (rc == SL_OK && f.cols[0].n >= 65536)
            rc = file_out_flush(&f, err);
    }
    if (rc == SL_OK)
        rc = record_written(cs, f.key);
    if (rc == SL_OK)
        rc = file_out_finish(w, &f, err);
    if (rc == SL_OK)
        rc = add_stat(w, cs, partition, file_id, NULL, &f, f.stream.written);
    if (rc == SL_OK) {
        struct fgroup *g;
        if (sl_array_grow((void **)&w->groups, &w->groups_cap, w->ngroups + 1, sizeof(*w->groups))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        } else {
            g = &w->groups[w->ngroups++];
            memset(g, 0, sizeof(*g));
            g->partition = sl_strdup(partition);
            g->file_id = sl_strdup(file_id);
            g->instant = sl_strdup(cs->instant);
            g->key = sl_strdup(f.key);
            g->size = f.stream.written;
            g->rows = f.rows;
            g->touched = true;
            g->is_new = true;
            if (!g->partition || !g->file_id || !g->instant || !g->key)
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            for (size_t i = 0; rc == SL_OK && i < n; i++)
                rc = index_put(&w->index, inserts[i]->hash, (uint32_t)(w->ngroups - 1), false);
        }
    }
    file_out_free(&f);
    return rc;
}

/* Deletes the data files and timeline files of a pending instant. */
static int rollback_instant(struct sl_hudi_writer *w, const struct sl_hudi_instant *in,
                            struct sl_error *err)
{
    struct sl_object_listing listing = {0};
    char *prefix = NULL, *key = NULL;
    const char **doomed = NULL; /* borrowed from listing */
    size_t ndoomed = 0;
    int rc;

    sl_log(SL_LOG_WARN, "rollback", "table=%s instant=%s state=%s: rolling back a write that did "
           "not complete", w->table->name, in->time, sl_hudi_state_name(in->state));
    if (sl_hudi_key_join(w->table, "", &prefix) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (w->table->base[0] == '\0')
        prefix[0] = '\0';
    rc = w->store->list(w->store->ctx, prefix, true, &listing, err);
    if (rc == SL_OK && listing.count > 0 &&
        (doomed = sl_calloc(listing.count, sizeof(*doomed))) == NULL)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SL_OK && i < listing.count; i++) {
        const char *k = listing.entries[i].key;
        const char *slash = strrchr(k, '/');
        struct sl_hudi_base_name parts;
        if (strstr(k, "/.hoodie/") != NULL || strncmp(k, ".hoodie/", 8) == 0)
            continue;
        if (sl_hudi_base_name_parse(slash ? slash + 1 : k, &parts) &&
            parts.instant_len == SL_HUDI_INSTANT_LEN &&
            memcmp(parts.instant, in->time, SL_HUDI_INSTANT_LEN) == 0)
            doomed[ndoomed++] = k;
    }
    /* the data files first (one request per 1000 on S3), then the timeline
     * files, inflight before requested, so a crash half way leaves a pending
     * instant that the next run rolls back again */
    if (rc == SL_OK)
        rc = sl_object_store_remove_many(w->store, doomed, ndoomed, err);
    const char *files[2] = {in->file_inflight, in->file_requested};
    for (int i = 0; rc == SL_OK && i < 2; i++) {
        if (files[i] == NULL)
            continue;
        char rest[256];
        snprintf(rest, sizeof(rest), "%s%s", w->table->timeline_folder, files[i]);
        if (sl_hudi_key_join(w->table, rest, &key) != SL_OK) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
        rc = w->store->remove(w->store->ctx, key, err);
        sl_free(key);
        key = NULL;
    }
    sl_free(doomed);
    sl_object_listing_free(&listing);
    sl_free(prefix);
    if (rc != SL_OK)
        sl_error_prefix(err, "rolling back instant %s of %s", in->time, w->table->name);
    return rc;
}

static int rollback_pending(struct sl_hudi_writer *w, struct sl_error *err)
{
    bool any = false;
    for (size_t i = 0; i < w->table->timeline.count; i++) {
        const struct sl_hudi_instant *in = &w->table->timeline.instants[i];
        if (in->state == SL_HUDI_COMPLETED)
            continue;
        if (in->action != SL_HUDI_ACTION_COMMIT && in->action != SL_HUDI_ACTION_REPLACE_COMMIT)
            return sl_error_set(err, SL_ECONFIG,
                                "table %s has a pending %s instant %s that sluice does not roll "
                                "back; finish or roll it back with Hudi first",
                                w->table->name, sl_hudi_action_name(in->action), in->time);
        int rc = rollback_instant(w, in, err);
        if (rc != SL_OK)
            return rc;
        any = true;
    }
    return any ? sl_hudi_table_refresh(w->table, err) : SL_OK;
}

/* hoodie.properties and the .hoodie folders of a new table. */
static int create_table(struct sl_hudi_writer *w, struct sl_error *err)
{
    struct sl_hudi_props props = {0};
    struct sl_buf text, schema;
    char *key = NULL;
    struct sl_hudi_table probe = {0};
    int rc = SL_OK;

    sl_buf_init(&text, PROPERTIES_MAX);
    sl_buf_init(&schema, PROPERTIES_MAX);
    rc = sl_hudi_schema_to_avro(w->schema, false, &schema, err);
    if (rc != SL_OK)
        goto done;
    struct sl_buf keys;
    sl_buf_init(&keys, 4096);
    for (uint32_t i = 0; i < w->nkeys; i++) {
        if (i)
            sl_buf_putc(&keys, ',');
        sl_buf_append_str(&keys, w->key_names[i]);
    }
    rc |= sl_hudi_props_set(&props, "hoodie.table.name", w->table_name);
    rc |= sl_hudi_props_set(&props, "hoodie.table.type", "COPY_ON_WRITE");
    rc |= sl_hudi_props_set(&props, "hoodie.table.version", "6");
    rc |= sl_hudi_props_set(&props, "hoodie.timeline.layout.version", "1");
    rc |= sl_hudi_props_set(&props, "hoodie.table.recordkey.fields", keys.data);
    rc |= sl_hudi_props_set(&props, "hoodie.table.precombine.field", "_event_lsn");
    if (w->partition_field >= 0)
        rc |= sl_hudi_props_set(&props, "hoodie.table.partition.fields",
                                w->schema->fields[w->partition_field].name);
    rc |= sl_hudi_props_set(&props, "hoodie.table.keygenerator.class", sl_hudi_keygen_class(w->keygen));
    if (w->derived_name != NULL) {
        static const char *const units[] = {"year", "month", "day", "hour"};
        char spec[600];
        snprintf(spec, sizeof(spec), "%s:%s", w->partition_column,
                 units[w->options.partition_kind - SL_HUDI_PARTITION_YEAR]);
        rc |= sl_hudi_props_set(&props, PARTITION_SOURCE_KEY, spec);
    }
    rc |= sl_hudi_props_set(&props, "hoodie.datasource.write.hive_style_partitioning", "true");
    rc |= sl_hudi_props_set(&props, "hoodie.datasource.write.partitionpath.urlencode", "false");
    rc |= sl_hudi_props_set(&props, "hoodie.datasource.write.drop.partition.columns", "false");
    rc |= sl_hudi_props_set(&props, "hoodie.archivelog.folder", "archived");
    rc |= sl_hudi_props_set(&props, "hoodie.database.name", w->database);
    rc |= sl_hudi_props_set(&props, "hoodie.table.create.schema", schema.data);
    rc |= sl_hudi_props_set(&props, "hoodie.populate.meta.fields", "true");
    rc |= sl_hudi_props_set(&props, "hoodie.table.timeline.timezone", "UTC");
    rc |= sl_hudi_props_set(&props, "hoodie.table.base.file.format", "PARQUET");
    sl_buf_free(&keys);
    if (rc != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = sl_hudi_props_format(&props, &text, err);
    if (rc != SL_OK)
        goto done;
    probe.base = w->base;
    static const char *const folders[] = {".hoodie/archived/.keep", ".hoodie/.aux/.bootstrap/.partitions/.keep",
                                          ".hoodie/.aux/.bootstrap/.fileids/.keep",
                                          ".hoodie/.schema/.keep", ".hoodie/.temp/.keep"};
    (void)folders; /* empty folders need no objects on an object store; readers do not need them */
    if (sl_hudi_key_join(&probe, ".hoodie/hoodie.properties", &key) != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = w->store->put_if_absent(w->store->ctx, key, text.data, text.len, err);
    if (rc == SL_EEXIST) {
        sl_error_clear(err);
        rc = SL_OK; /* another writer created it first: open what is there */
    }
    if (rc == SL_OK)
        rc = sl_hudi_table_open(w->store, w->base, &w->table, err);
    if (rc == SL_OK)
        rc = check_table_writable(w->table, err);
done:
    sl_free(key);
    sl_hudi_props_free(&props);
    sl_buf_free(&text);
    sl_buf_free(&schema);
    return rc;
}

static int compare_pending_partition(const void *a, const void *b)
{
    const struct pending *x = *(struct pending *const *)a, *y = *(struct pending *const *)b;
    return strcmp(x->partition, y->partition);
}

int sl_hudi_writer_commit(struct sl_hudi_writer *w, const char *checkpoint,
                          struct sl_hudi_commit_result *result, struct sl_error *err)
{
    struct commit_state cs;
    struct sl_buf text;
    struct pending **inserts = NULL;
    size_t ninserts = 0, ngroups_before = 0;
    bool instant_created = false;
    int rc = SL_OK;

    memset(result, 0, sizeof(*result));
    memset(&cs, 0, sizeof(cs));
    sl_buf_init(&text, BATCH_TEXT_MAX);
    if (w->failed)
        return sl_error_set(err, SL_EINVAL, "the batch failed; discard it");
    if (w->npending == 0 && !w->truncate)
        return SL_OK;
    if (w->table == NULL) {
        rc = create_table(w, err);
        if (rc != SL_OK)
            goto fail;
        rc = setup_keys(w, w->source, err);
        if (rc != SL_OK)
            goto fail;
    } else {
        rc = sl_hudi_table_refresh(w->table, err);
        if (rc != SL_OK)
            goto fail;
    }
    rc = lease_take(w, err);
    if (rc != SL_OK)
        goto fail;
    rc = rollback_pending(w, err);
    if (rc != SL_OK)
        goto fail;
    /* a commit someone else made since the index was built: rebuild it */
    const struct sl_hudi_instant *last = sl_hudi_timeline_last_completed(&w->table->timeline);
    if (!w->index_loaded || (last != NULL && (w->index_instant == NULL ||
                                              strcmp(last->time, w->index_instant) != 0))) {
        rc = load_index(w, err);
        if (rc != SL_OK)
            goto fail;
    }
    /* the instant: after everything on the timeline */
    const char *newest = w->table->timeline.count
                             ? w->table->timeline.instants[w->table->timeline.count - 1].time
                             : NULL;
    rc = sl_hudi_instant_time_next(sl_clock_wall_us() / 1000, newest, cs.instant, err);
    if (rc != SL_OK)
        goto fail;
    {
        char rest[64];
        snprintf(rest, sizeof(rest), ".hoodie/%s.commit.requested", cs.instant);
        rc = put_text(w, rest, "", true, err);
        if (rc == SL_EEXIST)
            rc = sl_error_set(err, SL_ECONFIG,
                              "table %s: instant %s was created by another writer at the same "
                              "time; only one writer may write a table",
                              w->table->name, cs.instant);
        if (rc != SL_OK)
            goto fail;
        instant_created = true;
        snprintf(rest, sizeof(rest), ".hoodie/%s.inflight", cs.instant);
        rc = put_text(w, rest,
                      "{\"partitionToWriteStats\":{},\"compacted\":false,\"extraMetadata\":{},"
                      "\"operationType\":\"UPSERT\"}",
                      false, err);
        if (rc != SL_OK)
            goto fail;
    }

    /* split the batch: per existing file group, and inserts */
    inserts = sl_calloc(w->npending + 1, sizeof(*inserts));
    if (inserts == NULL)
        goto oom;
    ngroups_before = w->ngroups;
    bool *touch = sl_calloc(w->ngroups + 1, sizeof(bool));
    if (touch == NULL)
        goto oom;
    for (size_t i = 0; i < w->npending; i++) {
        struct pending *p = w->order[i];
        size_t slot = index_find(&w->index, p->hash);
        if (slot != SIZE_MAX) {
            uint32_t g = w->index.groups[slot];
            if (g == FG_AMBIGUOUS) {
                for (size_t k = 0; k < ngroups_before; k++)
                    touch[k] = true; /* a shared hash: look everywhere (rare) */
            } else {
                touch[g] = true;
            }
        }
    }
    if (w->truncate)
        for (size_t k = 0; k < ngroups_before; k++)
            touch[k] = true;
    for (size_t k = 0; rc == SL_OK && k < ngroups_before; k++)
        if (touch[k])
            rc = rewrite_group(w, &cs, &w->groups[k], NULL, 0, err);
    sl_free(touch);
    if (rc != SL_OK)
        goto fail;
    /* inserts: upserts not applied in place (new keys and partition moves) */
    for (size_t i = 0; i < w->npending; i++) {
        struct pending *p = w->order[i];
        if (!p->is_delete && !p->in_place) {
            p->applied = false;
            inserts[ninserts++] = p;
        }
    }
    if (ninserts > 1)
        qsort(inserts, ninserts, sizeof(*inserts), compare_pending_partition);
    {
        /* average row size for sizing new file groups */
        uint64_t bytes = 0;
        int64_t rows = 0;
        for (size_t k = 0; k < w->ngroups; k++) {
            /* every base file carries a fixed footer (mostly the bloom filter) */
            bytes += w->groups[k].size > FILE_OVERHEAD_BYTES ? w->groups[k].size - FILE_OVERHEAD_BYTES : 0;
            rows += w->groups[k].rows;
        }
        uint64_t row_bytes = rows > 0 ? SL_MAX(bytes / (uint64_t)rows, 16) : DEFAULT_ROW_BYTES;
        size_t start = 0;
        while (rc == SL_OK && start < ninserts) {
            size_t end = start;
            while (end < ninserts && strcmp(inserts[end]->partition, inserts[start]->partition) == 0)
                end++;
            const char *partition = inserts[start]->partition;
            rc = ensure_partition(w, &cs, partition, err);
            /* small file groups of this partition not yet rewritten take inserts first */
            for (size_t k = 0; rc == SL_OK && start < end && k < ngroups_before; k++) {
                struct fgroup *g = &w->groups[k];
                if (g->touched || strcmp(g->partition, partition) != 0 ||
                    g->size >= w->options.small_file_bytes || g->size >= w->options.max_file_bytes)
                    continue;
                size_t room = (size_t)((w->options.max_file_bytes - g->size) / row_bytes);
                size_t take = SL_MIN(room, end - start);
                if (take == 0)
                    continue;
                rc = rewrite_group(w, &cs, g, inserts + start, take, err);
                for (size_t i = 0; rc == SL_OK && i < take; i++)
                    rc = index_put(&w->index, inserts[start + i]->hash, (uint32_t)k, false);
                start += take;
            }
            size_t per_file = (size_t)SL_MAX(w->options.max_file_bytes / row_bytes, 1);
            while (rc == SL_OK && start < end) {
                size_t take = SL_MIN(per_file, end - start);
                rc = new_group(w, &cs, partition, inserts + start, take, err);
                start += take;
            }
        }
        if (rc != SL_OK)
            goto fail;
    }
    /* the index follows the commit: deleted and moved keys */
    for (size_t i = 0; i < w->npending; i++) {
        struct pending *p = w->order[i];
        if (p->is_delete && !w->options.soft_deletes)
            index_remove(&w->index, p->hash);
    }
    for (size_t k = 0; rc == SL_OK && k < ngroups_before; k++)
        if (w->groups[k].touched)
            rc = ensure_partition(w, &cs, w->groups[k].partition, err);
    if (rc != SL_OK)
        goto fail;

    /* commit metadata and the completed instant */
    {
        struct sl_buf schema;
        sl_buf_init(&schema, BATCH_TEXT_MAX);
        rc = sl_hudi_schema_to_avro(w->schema, false, &schema, err);
        cs.meta.schema = schema.data;
        cs.meta.checkpoint = checkpoint ? sl_strdup(checkpoint) : NULL;
        cs.meta.operation = sl_strdup("UPSERT");
        if (rc == SL_OK)
            rc = sl_hudi_commit_meta_format(&cs.meta, &text, err);
        char rest[64];
        snprintf(rest, sizeof(rest), ".hoodie/%s.commit", cs.instant);
        if (rc == SL_OK)
            rc = put_text(w, rest, text.data, true, err);
        if (rc != SL_OK)
            goto fail;
    }
    for (size_t s = 0; s < cs.meta.nstats; s++) {
        result->inserts += cs.meta.stats[s].num_inserts;
        result->updates += cs.meta.stats[s].num_update_writes;
        result->deletes += cs.meta.stats[s].num_deletes;
        result->files_written++;
        result->bytes_written += cs.meta.stats[s].total_write_bytes;
    }
    memcpy(result->instant, cs.instant, sizeof(cs.instant));
    for (size_t k = 0; k < w->ngroups; k++)
        w->groups[k].touched = w->groups[k].is_new = false;
    sl_free(w->index_instant);
    w->index_instant = sl_strdup(cs.instant);
    rc = sl_hudi_table_refresh(w->table, err);
    sl_log(SL_LOG_INFO, "commit", "table=%s instant=%s inserts=%" PRId64 " updates=%" PRId64
           " deletes=%" PRId64 " files=%" PRId64 " bytes=%" PRId64,
           w->table->name, cs.instant, result->inserts, result->updates, result->deletes,
           result->files_written, result->bytes_written);
    goto done;
oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory committing to %s", w->table_name);
fail:
    if (instant_created) {
        /* take the instant back now; if that fails too, the next writer does */
        struct sl_error ignored;
        struct sl_hudi_instant in = {0};
        char requested[64], inflight[64];
        memcpy(in.time, cs.instant, sizeof(cs.instant));
        snprintf(requested, sizeof(requested), "%s.commit.requested", cs.instant);
        snprintf(inflight, sizeof(inflight), "%s.inflight", cs.instant);
        in.file_requested = requested;
        in.file_inflight = inflight;
        in.state = SL_HUDI_INFLIGHT;
        in.action = SL_HUDI_ACTION_COMMIT;
        rollback_instant(w, &in, &ignored);
    }
    /* the index may be half-updated: rebuild it at the next commit */
    w->index_loaded = false;
done:
    for (size_t i = 0; i < cs.nwritten; i++)
        sl_free(cs.written[i]);
    sl_free(cs.written);
    sl_hudi_commit_meta_free(&cs.meta);
    sl_free(inserts);
    sl_buf_free(&text);
    sl_hudi_writer_discard(w);
    return rc;
}

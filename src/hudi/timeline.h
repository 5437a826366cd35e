/*
 * The Hudi timeline and commit metadata, internal to src/hudi: instants
 * parsed from the names of the files under .hoodie/ (table version 6) or
 * .hoodie/timeline/ (version 8), instant times, and the commit JSON (what
 * files a commit wrote, which file groups it replaced, its extra metadata).
 * Pure functions over names and bytes, so they are unit-tested and fuzzed
 * without storage.
 */
#ifndef SLUICE_HUDI_TIMELINE_H
#define SLUICE_HUDI_TIMELINE_H

#include "sluice/core.h"
#include "sluice/storage.h"

#define SL_HUDI_INSTANT_LEN 17 /* yyyyMMddHHmmssSSS */

enum sl_hudi_action {
    SL_HUDI_ACTION_COMMIT = 1,
    SL_HUDI_ACTION_DELTA_COMMIT,
    SL_HUDI_ACTION_REPLACE_COMMIT,
    SL_HUDI_ACTION_CLEAN,
    SL_HUDI_ACTION_ROLLBACK,
    SL_HUDI_ACTION_SAVEPOINT,
    SL_HUDI_ACTION_RESTORE,
    SL_HUDI_ACTION_COMPACTION,
    SL_HUDI_ACTION_LOG_COMPACTION,
    SL_HUDI_ACTION_INDEXING,
    SL_HUDI_ACTION_CLUSTERING,
    SL_HUDI_ACTION_SCHEMA_COMMIT,
};

enum sl_hudi_state {
    SL_HUDI_REQUESTED = 1,
    SL_HUDI_INFLIGHT,
    SL_HUDI_COMPLETED,
};

/* One instant: the newest state seen for (time, action). */
struct sl_hudi_instant {
    char time[SL_HUDI_INSTANT_LEN + 1];
    char completion[SL_HUDI_INSTANT_LEN + 1]; /* version 8 completed instants; "" otherwise */
    enum sl_hudi_action action;
    enum sl_hudi_state state;
    /* names of its timeline files that exist, relative to the timeline folder */
    char *file_requested;
    char *file_inflight;
    char *file_completed;
};

/* The instants of a table in instant-time order. Owns its strings. */
struct sl_hudi_timeline {
    struct sl_hudi_instant *instants;
    size_t count;
    size_t cap;
};

void sl_hudi_timeline_free(struct sl_hudi_timeline *timeline); /* accepts a zeroed timeline */

const char *sl_hudi_action_name(enum sl_hudi_action action); /* "commit", "replacecommit", ... */
const char *sl_hudi_state_name(enum sl_hudi_state state);     /* "requested", "inflight", "completed" */

/*
 * Parses one timeline file name ("20240115103000123.commit",
 * "20240115103000123.inflight", "t.replacecommit.requested",
 * "t_c.commit" of version 8). Returns false for names that are not instants
 * (folders, hoodie.properties, unknown actions), which callers skip.
 */
bool sl_hudi_instant_parse_name(const char *name, char time[SL_HUDI_INSTANT_LEN + 1],
                                char completion[SL_HUDI_INSTANT_LEN + 1],
                                enum sl_hudi_action *action, enum sl_hudi_state *state);

/* Adds a parsed file name to the timeline (merging the states of one instant). */
int sl_hudi_timeline_add_name(struct sl_hudi_timeline *timeline, const char *name);
/* Sorts by instant time (then action); call after the last add. */
void sl_hudi_timeline_sort(struct sl_hudi_timeline *timeline);

/*
 * Lists `folder` (".hoodie/" or ".hoodie/timeline/" under the table's base,
 * a key prefix ending in '/') and builds the timeline. Caller owns *out.
 */
int sl_hudi_timeline_load(struct sl_object_store *store, const char *folder,
                          struct sl_hudi_timeline *out, struct sl_error *err);

/* True when the instant is a completed data-writing action readers apply:
 * commit, deltacommit, replacecommit (compaction completes as a commit). */
bool sl_hudi_instant_writes_data(const struct sl_hudi_instant *instant);

/* The newest completed data instant, or NULL. Borrowed. */
const struct sl_hudi_instant *sl_hudi_timeline_last_completed(const struct sl_hudi_timeline *t);

/*
 * A new instant time for now (UTC), strictly greater than `after` (may be
 * NULL or ""): when the clock has not passed it, the time after `after` plus
 * one millisecond. `wall_ms` is the clock to use (tests pass fixed values).
 */
int sl_hudi_instant_time_next(int64_t wall_ms, const char *after,
                              char out[SL_HUDI_INSTANT_LEN + 1], struct sl_error *err);
/* Checks 17 digits forming a valid date and time. */
bool sl_hudi_instant_time_valid(const char *text);

/* ---------------------------------------------------------------- commit metadata */

/* One write stat of a commit: a file the commit wrote. */
struct sl_hudi_write_stat {
    char *partition; /* "" when unpartitioned */
    char *file_id;
    char *path;        /* relative to the base: "<partition>/<file name>" */
    char *prev_commit; /* "null" for a new file group */
    int64_t num_writes, num_deletes, num_update_writes, num_inserts;
    int64_t total_write_bytes, file_size;
};

/* A replaced file group (replacecommit). */
struct sl_hudi_replaced {
    char *partition;
    char *file_id;
};

struct sl_hudi_commit_meta {
    struct sl_hudi_write_stat *stats;
    size_t nstats, stats_cap;
    struct sl_hudi_replaced *replaced;
    size_t nreplaced, replaced_cap;
    char *operation; /* "UPSERT", ... or NULL */
    char *schema;    /* extraMetadata.schema (Avro JSON) or NULL */
    char *checkpoint; /* extraMetadata["sluice.checkpoint"] or NULL */
    bool compacted;
};

void sl_hudi_commit_meta_free(struct sl_hudi_commit_meta *meta); /* accepts a zeroed struct */

/* Parses commit JSON (commit, deltacommit, replacecommit). Caller owns *out. */
int sl_hudi_commit_meta_parse(const char *json, size_t len, struct sl_hudi_commit_meta *out,
                              struct sl_error *err);

/* Appends the commit JSON Hudi writers produce for meta (write stats grouped by
 * partition, replaced file groups when any, extraMetadata with schema and
 * checkpoint, operationType). */
int sl_hudi_commit_meta_format(const struct sl_hudi_commit_meta *meta, struct sl_buf *out,
                               struct sl_error *err);

/* ---------------------------------------------------------------- base files */

/* Parts of a base file name "<fileId>_<writeToken>_<instant>.parquet" (borrowed
 * slices of name). Returns false for other names. */
struct sl_hudi_base_name {
    const char *file_id;
    size_t file_id_len;
    const char *instant;
    size_t instant_len;
};
bool sl_hudi_base_name_parse(const char *name, struct sl_hudi_base_name *out);

#endif

/*
 * The open-table state shared by table.c (properties, timeline, file
 * slices), writer.c (copy-on-write commits) and reader.c (queries). Internal
 * to src/hudi.
 */
#ifndef SLUICE_HUDI_TABLE_INTERNAL_H
#define SLUICE_HUDI_TABLE_INTERNAL_H

#include "sluice/hudi.h"

#include "hudi/hudi_format.h"
#include "hudi/timeline.h"

struct sl_hudi_table {
    struct sl_object_store *store; /* borrowed */
    char *base;                    /* key prefix without trailing '/', "" for the root */
    char *timeline_folder;         /* ".hoodie/" (v6) or ".hoodie/timeline/" (v8) */
    struct sl_hudi_props props;
    int version;
    const char *name; /* borrowed from props */
    bool merge_on_read;
    bool has_metadata_table;
    bool hive_style;
    char **key_fields;
    uint32_t nkey_fields;
    char **partition_fields;
    uint32_t npartition_fields;
    struct sl_hudi_timeline timeline;
    struct sl_hudi_schema *schema; /* newest; NULL for a table with neither commits nor create schema */
    char *schema_instant;          /* the commit it came from, NULL = create schema */
    char *checkpoint;
    struct sl_hudi_commit_meta summary_meta; /* backs sl_hudi_table_commit_summary strings */
};

/* base + "/" + rest (or rest alone for the root). Caller owns *out. */
int sl_hudi_key_join(const struct sl_hudi_table *table, const char *rest, char **out);

/* Reads the metadata of a completed instant. Caller owns *out. */
int sl_hudi_table_read_commit(struct sl_hudi_table *table, const struct sl_hudi_instant *instant,
                              struct sl_hudi_commit_meta *out, struct sl_error *err);

/* The five meta columns every base file starts with. */
enum {
    SL_HUDI_META_COMMIT_TIME = 0,
    SL_HUDI_META_COMMIT_SEQNO,
    SL_HUDI_META_RECORD_KEY,
    SL_HUDI_META_PARTITION_PATH,
    SL_HUDI_META_FILE_NAME,
    SL_HUDI_META_COUNT
};
extern const char *const sl_hudi_meta_columns[SL_HUDI_META_COUNT];

#endif

/*
 * config: the sluice configuration file (YAML) as typed structs. One
 * declarative table of keys (src/config/keys.c: name, section, type, default,
 * offset, description) drives parsing, built-in defaults, environment
 * overrides, validation and the generated reference (sl_config_describe), so
 * a key exists in all of them or in none. Unknown keys are errors at every
 * level; secrets (source.dsn) never appear in messages or logs.
 *
 * The file:
 *
 *   source:                          # sluice run: where changes come from
 *     dsn: "host=... dbname=..."     # secret: never printed
 *     slot: sluice
 *     publication: sluice
 *   lake: s3://bucket/prefix         # or file:///dir, or a local path
 *   defaults:                        # every table, unless its entry says otherwise
 *     deletes: hard                  # hard | soft
 *     small_file_bytes: 100MB        # B, KB, MB, GB (1024-based) or a plain integer
 *     max_file_bytes: 120MB
 *     compression: snappy            # snappy | zstd | gzip | none
 *   tables:
 *     public.orders:                 # <schema>.<table>
 *       partition_by: created_at:day # COLUMN or COLUMN:year|month|day|hour
 *       deletes: soft
 *     '"public"."odd.name"':         # PostgreSQL quoting for names with a dot or quote
 *       partition_by: region
 *
 * Precedence, highest first: the table's own entry, then the environment,
 * then the file's top level / source / defaults, then the built-in default.
 * Environment overrides: every scalar key outside `tables` can be set by the
 * variable SLUICE_<SECTION>_<KEY>, upper-cased (SLUICE_LAKE, SLUICE_SOURCE_DSN,
 * SLUICE_SOURCE_SLOT, SLUICE_DEFAULTS_DELETES, SLUICE_DEFAULTS_MAX_FILE_BYTES,
 * ...). An empty variable counts as unset. Table entries have no environment
 * overrides.
 *
 * Loading checks only what the file itself can tell (types, enums, sizes,
 * names, duplicates); the commands check what they need (e.g. `sluice apply`
 * needs a lake from --lake or the config). Not thread-safe while loading
 * (reads the environment); a loaded config is immutable and may be read from
 * any thread.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/core.h"
#include "sluice/hudi.h"
#include "sluice/parquet.h"

/* Config files larger than this are refused (SL_ELIMIT). */
#define SL_CONFIG_MAX_BYTES ((size_t)4 << 20)
/* Sizes (small_file_bytes, max_file_bytes) above this are refused. */
#define SL_CONFIG_MAX_SIZE ((uint64_t)16 << 30)

/* The settings of one table (or, in sl_config.defaults, of every table). */
struct sl_table_config {
    char *schema_name, *table_name;        /* NULL in defaults */
    char *partition_column;                /* NULL: unpartitioned (the only choice in defaults) */
    enum sl_hudi_partition_kind partition_kind; /* NONE when partition_column is NULL */
    bool soft_deletes;                     /* deletes: soft */
    uint64_t small_file_bytes, max_file_bytes; /* small <= max always holds */
    enum sl_parquet_compression codec;
};

/* The `source:` section (read by `sluice run`; no other command uses it yet). */
struct sl_source_config {
    char *dsn;         /* secret; NULL when neither the file nor SLUICE_SOURCE_DSN sets it */
    char *slot;        /* replication slot name */
    char *publication; /* publication name */
};

/*
 * A loaded configuration. Every string is owned by the config and lives until
 * sl_config_free. `tables` holds the entries in file order, each already
 * merged over `defaults`.
 */
struct sl_config {
    char *lake; /* NULL when neither the file nor SLUICE_LAKE sets it */
    struct sl_source_config source;
    struct sl_table_config defaults;
    struct sl_table_config *tables;
    size_t ntables;
};

/*
 * Reads and loads the YAML file at `path` (borrowed), applying environment
 * overrides. Caller owns *out (sl_config_free); *out is NULL on failure.
 * Errors: SL_ENOTFOUND (no such file), SL_EIO (cannot read), SL_ELIMIT
 * (larger than SL_CONFIG_MAX_BYTES), SL_ENOMEM, and SL_EINVAL for every
 * problem of the content, with a message "<path>:<line>:<column>: <key>:
 * <problem>; <what to write instead>" (the value is quoted unless the key is
 * a secret).
 */
int sl_config_load_file(const char *path, struct sl_config **out, struct sl_error *err);

/*
 * Loads a config from text[0..len) (borrowed; need not be NUL-terminated),
 * applying environment overrides. `name_for_errors` (borrowed) names the
 * source in messages, e.g. the file's path. As sl_config_load_file otherwise.
 */
int sl_config_load_text(const char *text, size_t len, const char *name_for_errors,
                        struct sl_config **out, struct sl_error *err);

/*
 * As sl_config_load_text, with the environment given by `lookup` (returns the
 * variable's value, borrowed until the load returns, or NULL when unset;
 * ctx is passed through). lookup NULL: no environment overrides. For tests
 * and the fuzzer, which must not depend on the process environment.
 */
int sl_config_load_text_env(const char *text, size_t len, const char *name_for_errors,
                            const char *(*lookup)(void *ctx, const char *name), void *ctx,
                            struct sl_config **out, struct sl_error *err);

/* Frees the config and its strings (the dsn is wiped first). Accepts NULL. */
void sl_config_free(struct sl_config *config);

/* The entry of schema.table (exact, case-sensitive names), or NULL when the
 * config does not name the table. Borrowed from config. */
const struct sl_table_config *sl_config_find_table(const struct sl_config *config,
                                                   const char *schema, const char *table);

/*
 * The settings for one table: its own entry (already merged over the
 * defaults), or the defaults when the config does not name it; then
 * out->schema_name and out->table_name are NULL, which is how a caller tells
 * the two apart. Strings in *out are borrowed from config.
 */
void sl_config_table(const struct sl_config *config, const char *schema, const char *table,
                     struct sl_table_config *out);

/*
 * Fills the Hudi write options the table settings decide (database and
 * table_name when t names a table, partitioning, deletes, file sizes, codec)
 * and leaves every other field as it was: start from
 * sl_hudi_write_options_default. Strings are borrowed from t.
 * small_file_bytes 0 ("no file is small") becomes 1, since the writer reads
 * 0 as "use the default".
 */
void sl_config_write_options(const struct sl_table_config *t, struct sl_hudi_write_options *out);

/*
 * Appends the reference of every key (name, type, default, environment
 * variable, description) as Markdown, generated from the key table, to out
 * (caller owns it). SL_ENOMEM / SL_ELIMIT from the buffer.
 */
int sl_config_describe(struct sl_buf *out);

#endif

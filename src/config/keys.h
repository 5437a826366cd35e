/*
 * The declarative key table of the config module (internal to src/config):
 * every key the file may hold, where it may appear, how its text becomes a
 * typed value at an offset of struct sl_config or struct sl_table_config,
 * its built-in default and its documentation. config.c walks the YAML tree
 * against it; sl_config_describe prints it.
 */
#ifndef SLUICE_CONFIG_KEYS_H
#define SLUICE_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/config.h"

/* Where a key may appear (bit set). */
enum {
    SL_CONFIG_IN_ROOT = 1,     /* top level: target struct sl_config */
    SL_CONFIG_IN_SOURCE = 2,   /* source: target struct sl_config */
    SL_CONFIG_IN_DEFAULTS = 4, /* defaults: target struct sl_table_config (config->defaults) */
    SL_CONFIG_IN_TABLE = 8,    /* tables.<schema>.<table>: target struct sl_table_config */
};

enum sl_config_key_type {
    SL_CONFIG_SECTION,   /* a mapping of keys (source, defaults) */
    SL_CONFIG_TABLES,    /* the mapping of <schema>.<table> to table keys */
    SL_CONFIG_STRING,    /* char * at offset, owned */
    SL_CONFIG_SECRET,    /* as STRING, never echoed in messages nor described with a value */
    SL_CONFIG_SIZE,      /* uint64_t at offset: a byte count with an optional unit */
    SL_CONFIG_CHOICE,    /* an enum (int-sized) at offset, one of choices */
    SL_CONFIG_FLAG,      /* a bool at offset, one of choices (values 0 and 1) */
    SL_CONFIG_PARTITION, /* partition_column + partition_kind of struct sl_table_config */
};

struct sl_config_choice {
    const char *name;
    int value;
    const char *meaning; /* for the reference */
};

struct sl_config_key {
    const char *name;
    unsigned where; /* SL_CONFIG_IN_* bits */
    enum sl_config_key_type type;
    const char *default_text; /* parsed like file text at load; NULL = unset */
    size_t offset;
    const struct sl_config_choice *choices; /* CHOICE, FLAG */
    size_t nchoices;
    uint64_t min, max; /* SIZE */
    /* STRING: extra check of the value; returns NULL when fine, else what is wrong */
    const char *(*check)(const char *value);
    const char *example;     /* a valid value, for "write ..." hints */
    const char *description; /* one sentence or two, Markdown */
};

/* Key ids: index into sl_config_keys (config.c names keys it treats specially). */
enum sl_config_key_id {
    SL_CONFIG_KEY_SOURCE = 0,
    SL_CONFIG_KEY_LAKE,
    SL_CONFIG_KEY_DEFAULTS,
    SL_CONFIG_KEY_TABLES,
    SL_CONFIG_KEY_DSN,
    SL_CONFIG_KEY_SLOT,
    SL_CONFIG_KEY_PUBLICATION,
    SL_CONFIG_KEY_PARTITION_BY,
    SL_CONFIG_KEY_DELETES,
    SL_CONFIG_KEY_SMALL_FILE_BYTES,
    SL_CONFIG_KEY_MAX_FILE_BYTES,
    SL_CONFIG_KEY_COMPRESSION,
    SL_CONFIG_KEY_COUNT
};

extern const struct sl_config_key sl_config_keys[SL_CONFIG_KEY_COUNT];

/* Longest problem text sl_config_key_apply writes (why_len should be at least this). */
#define SL_CONFIG_WHY_MAX 640

/*
 * Parses text[0..len) (NUL-free) as the value of key and stores it into
 * target (struct sl_config for ROOT/SOURCE keys, struct sl_table_config for
 * DEFAULTS/TABLE keys), replacing and freeing a previous string. SL_EINVAL
 * with the problem and what to write instead in why (the value quoted unless
 * the key is a secret); SL_ENOMEM.
 */
int sl_config_key_apply(const struct sl_config_key *key, void *target, const char *text,
                        size_t len, char *why, size_t why_len);

/* The environment variable of a key (SLUICE_<SECTION>_<KEY>), or false when it has none. */
bool sl_config_key_env_name(const struct sl_config_key *key, char *out, size_t out_len);

/*
 * "<schema>.<table>", each part as written or in PostgreSQL double quotes
 * ("" for a quote). Caller owns *schema and *table. SL_EINVAL with why; SL_ENOMEM.
 */
int sl_config_parse_table_name(const char *text, size_t len, char **schema, char **table,
                               char *why, size_t why_len);

/* A byte count: digits, optional spaces, optional unit B, KB, MB, GB (also KiB, MiB,
 * GiB, K, M, G; any case; 1024-based). SL_EINVAL with why (no bounds checked). */
int sl_config_parse_size(const char *text, size_t len, uint64_t *out, char *why, size_t why_len);

/* Writes 'text' quoted for a message: control bytes escaped, cut after 60 bytes. */
void sl_config_quote(const char *text, size_t len, char *out, size_t out_len);

/* "100MB" when exact in MB (or GB, KB), else "12345 bytes". */
void sl_config_format_size(uint64_t bytes, char *out, size_t out_len);

#endif

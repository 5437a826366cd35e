/*
 * The one table of config keys (as librdkafka's rdkafka_conf.c and
 * fluent-bit's flb_config_map): name, where it may appear, type, default,
 * offset, description. Parsing, defaults, environment overrides and the
 * reference that sl_config_describe prints all come from it; config.c only
 * walks the YAML tree. Also the value parsers (sizes, table names, partition
 * specs) and their messages, which say what to write instead.
 */
#include "keys.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* CHOICE fields are enums written as int: they must be int-sized. */
_Static_assert(sizeof(enum sl_parquet_compression) == sizeof(int), "codec is not int-sized");

/* PostgreSQL identifiers are at most NAMEDATALEN - 1 bytes. */
#define PG_NAME_MAX 63

static const struct sl_config_choice deletes_choices[] = {
    {"hard", 0, "a deleted row is removed from the table"},
    {"soft", 1, "a deleted row stays, with `_change_operation_type` = `d`"},
};

static const struct sl_config_choice compression_choices[] = {
    {"snappy", SL_PARQUET_COMPRESSION_SNAPPY, "fast, the Hudi default"},
    {"zstd", SL_PARQUET_COMPRESSION_ZSTD, "smaller files, a little more CPU"},
    {"gzip", SL_PARQUET_COMPRESSION_GZIP, "for readers without zstd"},
    {"none", SL_PARQUET_COMPRESSION_NONE, "uncompressed pages"},
};

static const char *check_lake(const char *value);
static const char *check_slot(const char *value);
static const char *check_pg_name(const char *value);

const struct sl_config_key sl_config_keys[SL_CONFIG_KEY_COUNT] = {
    [SL_CONFIG_KEY_SOURCE] =
        {.name = "source",
         .where = SL_CONFIG_IN_ROOT,
         .type = SL_CONFIG_SECTION,
         .example = "{dsn: \"host=db dbname=app\", slot: sluice}",
         .description = "The PostgreSQL source of `sluice run`: connection, replication slot "
                        "and publication."},
    [SL_CONFIG_KEY_LAKE] =
        {.name = "lake",
         .where = SL_CONFIG_IN_ROOT,
         .type = SL_CONFIG_STRING,
         .offset = offsetof(struct sl_config, lake),
         .check = check_lake,
         .example = "s3://bucket/prefix",
         .description = "Where the tables live: `s3://bucket/prefix`, `file:///dir` or a local "
                        "directory. Each source table becomes the Hudi table "
                        "`<lake>/<schema>/<table>`. `sluice apply --lake` wins over it."},
    [SL_CONFIG_KEY_DEFAULTS] =
        {.name = "defaults",
         .where = SL_CONFIG_IN_ROOT,
         .type = SL_CONFIG_SECTION,
         .example = "{deletes: hard, compression: snappy}",
         .description = "Table settings for every table; an entry under `tables` overrides "
                        "them key by key."},
    [SL_CONFIG_KEY_TABLES] =
        {.name = "tables",
         .where = SL_CONFIG_IN_ROOT,
         .type = SL_CONFIG_TABLES,
         .example = "{public.orders: {partition_by: created_at:day}}",
         .description = "Per-table settings by `<schema>.<table>` (exact, case-sensitive names; "
                        "PostgreSQL double quotes for names with a dot: "
                        "`'\"my.schema\".\"t\"'`). Each entry takes the keys of `defaults` "
                        "plus `partition_by`."},
    [SL_CONFIG_KEY_DSN] =
        {.name = "dsn",
         .where = SL_CONFIG_IN_SOURCE,
         .type = SL_CONFIG_SECRET,
         .offset = offsetof(struct sl_config, source.dsn),
         .example = "\"host=db.example.com dbname=app user=sluice\"",
         .description = "libpq connection string or URI of the source database. A secret: "
                        "never printed or logged; prefer setting it through the environment."},
    [SL_CONFIG_KEY_SLOT] =
        {.name = "slot",
         .where = SL_CONFIG_IN_SOURCE,
         .type = SL_CONFIG_STRING,
         .default_text = "sluice",
         .offset = offsetof(struct sl_config, source.slot),
         .check = check_slot,
         .example = "sluice",
         .description = "Logical replication slot (lower-case letters, digits and `_`, at most "
                        "63)."},
    [SL_CONFIG_KEY_PUBLICATION] =
        {.name = "publication",
         .where = SL_CONFIG_IN_SOURCE,
         .type = SL_CONFIG_STRING,
         .default_text = "sluice",
         .offset = offsetof(struct sl_config, source.publication),
         .check = check_pg_name,
         .example = "sluice",
         .description = "Publication whose tables are replicated."},
    [SL_CONFIG_KEY_PARTITION_BY] =
        {.name = "partition_by",
         .where = SL_CONFIG_IN_TABLE,
         .type = SL_CONFIG_PARTITION,
         .example = "created_at:day",
         .description = "Hive-style partitioning of a new table: `COLUMN` (its value) or "
                        "`COLUMN:year`, `:month`, `:day`, `:hour` of a timestamp or date "
                        "column. Per table only; unpartitioned when absent."},
    [SL_CONFIG_KEY_DELETES] =
        {.name = "deletes",
         .where = SL_CONFIG_IN_DEFAULTS | SL_CONFIG_IN_TABLE,
         .type = SL_CONFIG_FLAG,
         .default_text = "hard",
         .offset = offsetof(struct sl_table_config, soft_deletes),
         .choices = deletes_choices,
         .nchoices = SL_ARRAY_LEN(deletes_choices),
         .example = "hard",
         .description = "What a delete does to the row."},
    [SL_CONFIG_KEY_SMALL_FILE_BYTES] =
        {.name = "small_file_bytes",
         .where = SL_CONFIG_IN_DEFAULTS | SL_CONFIG_IN_TABLE,
         .type = SL_CONFIG_SIZE,
         .default_text = "100MB",
         .offset = offsetof(struct sl_table_config, small_file_bytes),
         .min = 0,
         .max = SL_CONFIG_MAX_SIZE,
         .example = "100MB",
         .description = "Base files below this size take new inserts before new files are "
                        "started; 0: never. At most `max_file_bytes` (an inherited value above "
                        "a table's own `max_file_bytes` is lowered to it)."},
    [SL_CONFIG_KEY_MAX_FILE_BYTES] =
        {.name = "max_file_bytes",
         .where = SL_CONFIG_IN_DEFAULTS | SL_CONFIG_IN_TABLE,
         .type = SL_CONFIG_SIZE,
         .default_text = "120MB",
         .offset = offsetof(struct sl_table_config, max_file_bytes),
         .min = (uint64_t)1 << 20,
         .max = SL_CONFIG_MAX_SIZE,
         .example = "120MB",
         .description = "Target maximum size of a base file."},
    [SL_CONFIG_KEY_COMPRESSION] =
        {.name = "compression",
         .where = SL_CONFIG_IN_DEFAULTS | SL_CONFIG_IN_TABLE,
         .type = SL_CONFIG_CHOICE,
         .default_text = "snappy",
         .offset = offsetof(struct sl_table_config, codec),
         .choices = compression_choices,
         .nchoices = SL_ARRAY_LEN(compression_choices),
         .example = "snappy",
         .description = "Parquet page compression of new base files."},
};

/* ---------------------------------------------------------------- messages */

void sl_config_quote(const char *text, size_t len, char *out, size_t out_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;

    if (out_len < 8) {
        if (out_len > 0)
            out[0] = '\0';
        return;
    }
    out[o++] = '\'';
    for (i = 0; i < len && i < 60 && o + 6 < out_len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'') {
            out[o++] = '\\';
            if (c == '\\' || c == '\'') {
                out[o++] = (char)c;
            } else {
                out[o++] = 'x';
                out[o++] = hex[c >> 4];
                out[o++] = hex[c & 15];
            }
        } else {
            out[o++] = (char)c;
        }
    }
    if (i < len) {
        /* do not leave half a UTF-8 sequence before the ellipsis */
        while (o > 1 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 1 && (unsigned char)out[o - 1] >= 0xC0)
            o--;
        if (o + 4 < out_len) {
            memcpy(out + o, "...", 3);
            o += 3;
        }
    }
    out[o++] = '\'';
    out[o] = '\0';
}

void sl_config_format_size(uint64_t bytes, char *out, size_t out_len)
{
    static const struct {
        const char *unit;
        unsigned shift;
    } units[] = {{"GB", 30}, {"MB", 20}, {"KB", 10}};

    for (size_t i = 0; i < SL_ARRAY_LEN(units); i++) {
        uint64_t unit = (uint64_t)1 << units[i].shift;
        if (bytes >= unit && bytes % unit == 0) {
            snprintf(out, out_len, "%" PRIu64 "%s", bytes / unit, units[i].unit);
            return;
        }
    }
    snprintf(out, out_len, "%" PRIu64 " bytes", bytes);
}

/* "a, b or c" of the choices. */
static void choice_list(const struct sl_config_key *key, char *out, size_t out_len)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < key->nchoices && o < out_len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == key->nchoices ? " or " : ", ";
        int n = snprintf(out + o, out_len - o, "%s%s", sep, key->choices[i].name);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

/* ---------------------------------------------------------------- string checks */

static const char *check_lake(const char *value)
{
    const char *sep = strstr(value, "://");
    if (value[0] == '\0')
        return "is empty; write s3://bucket/prefix, file:///dir or a local directory";
    if (sep == NULL)
        return NULL; /* a local path */
    size_t scheme = (size_t)(sep - value);
    if (scheme == 2 && strncmp(value, "s3", 2) == 0) {
        if (sep[3] == '\0' || sep[3] == '/')
            return "names no bucket; write s3://bucket or s3://bucket/prefix";
        return NULL;
    }
    if (scheme == 4 && strncmp(value, "file", 4) == 0) {
        if (sep[3] == '\0')
            return "names no directory; write file:///absolute/dir or a plain path";
        return NULL;
    }
    return "has a scheme sluice cannot write to; write s3://bucket/prefix, file:///dir or a "
           "local directory";
}

static const char *check_pg_name(const char *value)
{
    size_t len = strlen(value);
    if (len == 0)
        return "is empty; write a PostgreSQL name, e.g. sluice";
    if (len > PG_NAME_MAX)
        return "is longer than 63 bytes, PostgreSQL's limit for names; write a shorter name";
    return NULL;
}

static const char *check_slot(const char *value)
{
    const char *problem = check_pg_name(value);
    if (problem != NULL)
        return problem;
    for (const char *p = value; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return "is not a valid replication slot name; use only lower-case letters, digits "
                   "and underscores, e.g. sluice";
    return NULL;
}

/* ---------------------------------------------------------------- value parsers */

int sl_config_parse_size(const char *text, size_t len, uint64_t *out, char *why, size_t why_len)
{
    static const struct {
        const char *unit;
        unsigned shift;
    } units[] = {{"", 0},    {"b", 0},   {"k", 10},  {"kb", 10}, {"kib", 10}, {"m", 20},
                 {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}};
    char quoted[96];
    uint64_t value = 0;
    size_t i = 0, digits = 0;

    sl_config_quote(text, len, quoted, sizeof(quoted));
    while (i < len && text[i] == ' ')
        i++;
    if (i < len && text[i] == '-') {
        snprintf(why, why_len, "%s is negative; sizes are byte counts such as 100MB", quoted);
        return SL_EINVAL;
    }
    if (i < len && text[i] == '+')
        i++;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            snprintf(why, why_len, "%s is too large; write at most a few GB, e.g. 1GB", quoted);
            return SL_EINVAL;
        }
        value = value * 10 + digit;
    }
    if (digits == 0) {
        snprintf(why, why_len, "%s is not a size; write a number of bytes with an optional "
                 "unit B, KB, MB or GB (1024-based), e.g. 100MB", quoted);
        return SL_EINVAL;
    }
    if (i < len && (text[i] == '.' || text[i] == ',')) {
        snprintf(why, why_len, "%s is not a whole number; write e.g. 1536KB instead of 1.5MB",
                 quoted);
        return SL_EINVAL;
    }
    while (i < len && text[i] == ' ')
        i++;
    size_t end = len;
    while (end > i && text[end - 1] == ' ')
        end--;
    char unit[4];
    size_t ulen = end - i;
    if (ulen < sizeof(unit)) {
        for (size_t k = 0; k < ulen; k++)
            unit[k] = (char)tolower((unsigned char)text[i + k]);
        unit[ulen] = '\0';
        for (size_t u = 0; u < SL_ARRAY_LEN(units); u++) {
            if (strcmp(unit, units[u].unit) != 0)
                continue;
            if (units[u].shift > 0 && value > (UINT64_MAX >> units[u].shift)) {
                snprintf(why, why_len, "%s is too large; write at most a few GB, e.g. 1GB",
                         quoted);
                return SL_EINVAL;
            }
            *out = value << units[u].shift;
            return SL_OK;
        }
    }
    snprintf(why, why_len, "%s has an unknown unit; write B, KB, MB or GB (1024-based), e.g. "
             "100MB, or a plain number of bytes", quoted);
    return SL_EINVAL;
}

/* One part of a table name at text[*pos..len): as written up to the next '.',
 * or in double quotes. Caller owns *out. */
static int parse_name_part(const char *text, size_t len, size_t *pos, char **out, char *why,
                           size_t why_len, const char *quoted, const char *what)
{
    size_t i = *pos;
    char *name = NULL;
    size_t n = 0;

    if (i < len && text[i] == '"') {
        name = sl_malloc(len - i + 1);
        if (name == NULL)
            return SL_ENOMEM;
        for (i++;; i++) {
            if (i >= len) {
                snprintf(why, why_len, "table name %s has an unclosed double quote; write "
                         "'\"schema\".\"table\"' (a quote inside a name is written \"\")",
                         quoted);
                sl_free(name);
                return SL_EINVAL;
            }
            if (text[i] == '"') {
                if (i + 1 < len && text[i + 1] == '"') {
                    name[n++] = '"';
                    i++;
                    continue;
                }
                i++;
                break;
            }
            name[n++] = text[i];
        }
        name[n] = '\0';
        if (i < len && text[i] != '.') {
            snprintf(why, why_len, "table name %s has text after the closing quote of the %s; "
                     "write '\"schema\".\"table\"'", quoted, what);
            sl_free(name);
            return SL_EINVAL;
        }
    } else {
        size_t start = i;
        while (i < len && text[i] != '.' && text[i] != '"')
            i++;
        if (i < len && text[i] == '"') {
            snprintf(why, why_len, "table name %s has a double quote inside the %s; quote the "
                     "whole part, e.g. '\"schema\".\"my\"\"table\"'", quoted, what);
            return SL_EINVAL;
        }
        name = sl_strndup(text + start, i - start);
        if (name == NULL)
            return SL_ENOMEM;
        n = i - start;
    }
    if (n == 0) {
        snprintf(why, why_len, "table name %s has an empty %s name; write <schema>.<table>, "
                 "e.g. public.orders", quoted, what);
        sl_free(name);
        return SL_EINVAL;
    }
    if (n > PG_NAME_MAX) {
        snprintf(why, why_len, "table name %s: the %s name is longer than 63 bytes, "
                 "PostgreSQL's limit; check the name", quoted, what);
        sl_free(name);
        return SL_EINVAL;
    }
    *pos = i;
    *out = name;
    return SL_OK;
}

int sl_config_parse_table_name(const char *text, size_t len, char **schema, char **table,
                               char *why, size_t why_len)
{
    char quoted[96];
    char *s = NULL, *t = NULL;
    size_t pos = 0;
    int rc;

    sl_config_quote(text, len, quoted, sizeof(quoted));
    if (memchr(text, '.', len) == NULL) {
        snprintf(why, why_len, "table name %s has no schema; write <schema>.<table>, e.g. "
                 "public.orders", quoted);
        return SL_EINVAL;
    }
    rc = parse_name_part(text, len, &pos, &s, why, why_len, quoted, "schema");
    if (rc != SL_OK)
        goto fail;
    if (pos >= len || text[pos] != '.') {
        rc = SL_EINVAL;
        snprintf(why, why_len, "table name %s has no table part; write <schema>.<table>, e.g. "
                 "public.orders", quoted);
        goto fail;
    }
    pos++;
    rc = parse_name_part(text, len, &pos, &t, why, why_len, quoted, "table");
    if (rc != SL_OK)
        goto fail;
    if (pos != len) {
        rc = SL_EINVAL;
        snprintf(why, why_len, "table name %s has more than one dot; write <schema>.<table>, "
                 "and quote a part that holds a dot: '\"schema\".\"my.table\"'", quoted);
        goto fail;
    }
    *schema = s;
    *table = t;
    return SL_OK;
fail:
    sl_free(s);
    sl_free(t);
    return rc;
}

static int parse_partition(const char *text, size_t len, struct sl_table_config *t, char *why,
                           size_t why_len)
{
    static const struct {
        const char *unit;
        enum sl_hudi_partition_kind kind;
    } units[] = {{"year", SL_HUDI_PARTITION_YEAR},
                 {"month", SL_HUDI_PARTITION_MONTH},
                 {"day", SL_HUDI_PARTITION_DAY},
                 {"hour", SL_HUDI_PARTITION_HOUR}};
    enum sl_hudi_partition_kind kind = SL_HUDI_PARTITION_VALUE;
    size_t column_len = len;
    char quoted[96];
    char *column;

    sl_config_quote(text, len, quoted, sizeof(quoted));
    const char *colon = memchr(text, ':', len);
    if (colon != NULL) {
        /* the unit follows the last colon */
        for (const char *p = colon; p != NULL; p = memchr(p + 1, ':', len - (size_t)(p + 1 - text)))
            colon = p;
        const char *unit = colon + 1;
        size_t unit_len = len - (size_t)(unit - text);
        size_t u;
        for (u = 0; u < SL_ARRAY_LEN(units); u++)
            if (strlen(units[u].unit) == unit_len && memcmp(units[u].unit, unit, unit_len) == 0)
                break;
        if (u == SL_ARRAY_LEN(units)) {
            snprintf(why, why_len, "%s has an unknown time unit; write COLUMN, or COLUMN:year, "
                     "COLUMN:month, COLUMN:day or COLUMN:hour, e.g. created_at:day", quoted);
            return SL_EINVAL;
        }
        kind = units[u].kind;
        column_len = (size_t)(colon - text);
    }
    if (column_len == 0) {
        snprintf(why, why_len, "%s names no column; write COLUMN or COLUMN:day, e.g. "
                 "created_at:day", quoted);
        return SL_EINVAL;
    }
    if (column_len > PG_NAME_MAX) {
        snprintf(why, why_len, "%s: the column name is longer than 63 bytes, PostgreSQL's "
                 "limit; check the name", quoted);
        return SL_EINVAL;
    }
    column = sl_strndup(text, column_len);
    if (column == NULL)
        return SL_ENOMEM;
    sl_free(t->partition_column);
    t->partition_column = column;
    t->partition_kind = kind;
    return SL_OK;
}

/* ---------------------------------------------------------------- applying a value */

static void wipe_free(char *s)
{
    if (s == NULL)
        return;
    explicit_bzero(s, strlen(s));
    sl_free(s);
}

int sl_config_key_apply(const struct sl_config_key *key, void *target, const char *text,
                        size_t len, char *why, size_t why_len)
{
    char *field = (char *)target + key->offset;
    char quoted[96];
    int rc;

    if (key->type == SL_CONFIG_SECRET)
        snprintf(quoted, sizeof(quoted), "the value (not shown: a secret)");
    else
        sl_config_quote(text, len, quoted, sizeof(quoted));

    switch (key->type) {
    case SL_CONFIG_STRING:
    case SL_CONFIG_SECRET: {
        char *copy = sl_strndup(text, len);
        const char *problem;
        if (copy == NULL)
            return SL_ENOMEM;
        problem = key->check != NULL ? key->check(copy)
                  : len == 0        ? "is empty; write a value or remove the key"
                                    : NULL;
        if (problem != NULL) {
            snprintf(why, why_len, "%s %s", quoted, problem);
            wipe_free(copy);
            return SL_EINVAL;
        }
        char *old;
        memcpy(&old, field, sizeof(old));
        if (key->type == SL_CONFIG_SECRET)
            wipe_free(old);
        else
            sl_free(old);
        memcpy(field, &copy, sizeof(copy));
        return SL_OK;
    }
    case SL_CONFIG_SIZE: {
        uint64_t value;
        char limit[32];
        rc = sl_config_parse_size(text, len, &value, why, why_len);
        if (rc != SL_OK)
            return rc;
        if (value > key->max) {
            sl_config_format_size(key->max, limit, sizeof(limit));
            snprintf(why, why_len, "%s is larger than the maximum %s; write a size of at most %s",
                     quoted, limit, limit);
            return SL_EINVAL;
        }
        if (value < key->min) {
            sl_config_format_size(key->min, limit, sizeof(limit));
            snprintf(why, why_len, "%s is below the minimum %s; write a size with a unit, e.g. "
                     "%s", quoted, limit, key->example);
            return SL_EINVAL;
        }
        memcpy(field, &value, sizeof(value));
        return SL_OK;
    }
    case SL_CONFIG_CHOICE:
    case SL_CONFIG_FLAG:
        for (size_t i = 0; i < key->nchoices; i++) {
            if (strlen(key->choices[i].name) != len ||
                memcmp(key->choices[i].name, text, len) != 0)
                continue;
            if (key->type == SL_CONFIG_FLAG) {
                bool flag = key->choices[i].value != 0;
                memcpy(field, &flag, sizeof(flag));
            } else {
                int value = key->choices[i].value;
                memcpy(field, &value, sizeof(value));
            }
            return SL_OK;
        }
        {
            char list[128];
            choice_list(key, list, sizeof(list));
            snprintf(why, why_len, "%s is not a valid value; write %s (lower case)", quoted, list);
        }
        return SL_EINVAL;
    case SL_CONFIG_PARTITION:
        return parse_partition(text, len, target, why, why_len);
    case SL_CONFIG_SECTION:
    case SL_CONFIG_TABLES:
        break;
    }
    snprintf(why, why_len, "is a section, not a value");
    return SL_EINVAL;
}

bool sl_config_key_env_name(const struct sl_config_key *key, char *out, size_t out_len)
{
    const char *section;
    size_t o;

    if (key->type == SL_CONFIG_SECTION || key->type == SL_CONFIG_TABLES)
        return false;
    if (key->where & SL_CONFIG_IN_ROOT)
        section = "";
    else if (key->where & SL_CONFIG_IN_SOURCE)
        section = "SOURCE_";
    else if (key->where & SL_CONFIG_IN_DEFAULTS)
        section = "DEFAULTS_";
    else
        return false; /* table-only keys have no environment variable */
    int n = snprintf(out, out_len, "SLUICE_%s", section);
    if (n < 0 || (size_t)n + strlen(key->name) >= out_len)
        return false;
    o = (size_t)n;
    for (const char *p = key->name; *p != '\0'; p++)
        out[o++] = (char)toupper((unsigned char)*p);
    out[o] = '\0';
    return true;
}

/* ---------------------------------------------------------------- the reference */

static const char *type_text(const struct sl_config_key *key)
{
    switch (key->type) {
    case SL_CONFIG_SECTION: return "mapping";
    case SL_CONFIG_TABLES: return "mapping of `<schema>.<table>` to table keys";
    case SL_CONFIG_STRING: return "string";
    case SL_CONFIG_SECRET: return "string, secret";
    case SL_CONFIG_SIZE: return "size (`B`, `KB`, `MB`, `GB`, 1024-based)";
    case SL_CONFIG_CHOICE:
    case SL_CONFIG_FLAG: return NULL; /* the choices */
    case SL_CONFIG_PARTITION: return "`COLUMN` or `COLUMN:year|month|day|hour`";
    }
    return "?";
}

static int describe_key(struct sl_buf *out, const char *prefix, const struct sl_config_key *key)
{
    char env[64];
    int rc;

    rc = sl_buf_printf(out, "| `%s%s` | ", prefix, key->name);
    const char *type = type_text(key);
    if (rc == SL_OK && type != NULL) {
        /* a '|' inside a Markdown table cell must be escaped */
        for (const char *p = type; rc == SL_OK && *p != '\0'; p++)
            rc = *p == '|' ? sl_buf_append_str(out, "\\|") : sl_buf_putc(out, *p);
    }
    for (size_t i = 0; rc == SL_OK && type == NULL && i < key->nchoices; i++)
        rc = sl_buf_printf(out, "%s`%s`", i == 0 ? "" : " \\| ", key->choices[i].name);
    if (rc == SL_OK) {
        if (key->default_text != NULL)
            rc = sl_buf_printf(out, " | `%s` | ", key->default_text);
        else
            rc = sl_buf_append_str(out, " | (none) | ");
    }
    if (rc == SL_OK)
        rc = sl_config_key_env_name(key, env, sizeof(env)) ? sl_buf_printf(out, "`%s` | ", env)
                                                           : sl_buf_append_str(out, "— | ");
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, key->description);
    for (size_t i = 0; rc == SL_OK && i < key->nchoices; i++)
        rc = sl_buf_printf(out, " `%s`: %s.", key->choices[i].name, key->choices[i].meaning);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, " |\n");
    return rc;
}

static int describe_section(struct sl_buf *out, const char *title, const char *intro,
                            unsigned where, const char *prefix)
{
    int rc = sl_buf_printf(out,
                           "\n## %s\n\n%s\n\n| key | type | default | environment | description |\n"
                           "|---|---|---|---|---|\n",
                           title, intro);
    for (size_t i = 0; rc == SL_OK && i < SL_CONFIG_KEY_COUNT; i++) {
        const struct sl_config_key *key = &sl_config_keys[i];
        if (key->where & where)
            rc = describe_key(out, prefix, key);
    }
    return rc;
}

int sl_config_describe(struct sl_buf *out)
{
    int rc = sl_buf_append_str(
        out,
        "# sluice configuration reference\n"
        "\n"
        "Generated from the key table in src/config/keys.c (`sl_config_describe`).\n"
        "A YAML file; unknown keys are errors at every level. Precedence, highest first:\n"
        "a table's own entry, the environment, the file, the built-in default. Every\n"
        "scalar key outside `tables` can be set by the environment variable\n"
        "`SLUICE_<SECTION>_<KEY>`, upper-cased (`SLUICE_LAKE`, `SLUICE_SOURCE_DSN`,\n"
        "`SLUICE_DEFAULTS_DELETES`); an empty variable counts as unset. Secrets are\n"
        "never printed, in error messages included.\n"
        "\n"
        "```yaml\n"
        "source:\n"
        "  dsn: \"host=db.example.com dbname=app\"\n"
        "  slot: sluice\n"
        "  publication: sluice\n"
        "lake: s3://bucket/prefix\n"
        "defaults:\n"
        "  deletes: hard\n"
        "  small_file_bytes: 100MB\n"
        "  max_file_bytes: 120MB\n"
        "  compression: snappy\n"
        "tables:\n"
        "  public.orders:\n"
        "    partition_by: created_at:day\n"
        "    deletes: soft\n"
        "    max_file_bytes: 64MB\n"
        "  \"public.Mixed Case\":\n"
        "    partition_by: region\n"
        "```\n");
    if (rc == SL_OK)
        rc = describe_section(out, "Top level", "Sections and keys at the top of the file.",
                              SL_CONFIG_IN_ROOT, "");
    if (rc == SL_OK)
        rc = describe_section(out, "`source`", "The PostgreSQL source (`sluice run`).",
                              SL_CONFIG_IN_SOURCE, "source.");
    if (rc == SL_OK)
        rc = describe_section(out, "`defaults` and `tables.<schema>.<table>`",
                              "Table settings: under `defaults` for every table, under "
                              "`tables.<schema>.<table>` for one (its entry wins key by key). "
                              "The environment variables set `defaults`.",
                              SL_CONFIG_IN_DEFAULTS | SL_CONFIG_IN_TABLE, "");
    return rc;
}

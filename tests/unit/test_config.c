/*
 * Unit tests of the config module: every key, the defaults-then-table merge,
 * environment overrides, every error (file:line:column, key, value, hint),
 * allocation failures, and the generated reference.
 */
#include "sluice/config.h"
#include "sluice/hudi.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static const char example[] =
    "# sluice.yaml\n"
    "source:\n"
    "  dsn: \"host=db.example.com dbname=app password=hunter2\"\n"
    "  slot: sluice_main\n"
    "  publication: pub_all\n"
    "lake: s3://bucket/prefix\n"
    "defaults:\n"
    "  deletes: hard\n"
    "  small_file_bytes: 100MB\n"
    "  max_file_bytes: 120MB\n"
    "  compression: zstd\n"
    "tables:\n"
    "  public.orders:\n"
    "    partition_by: created_at:day\n"
    "    deletes: soft\n"
    "    max_file_bytes: 64MB\n"
    "  \"public.Mixed Case\":\n"
    "    partition_by: region\n";

/* An environment given as NULL-terminated name, value pairs. */
static const char *env_lookup(void *ctx, const char *name)
{
    const char *const *pairs = ctx;
    for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
        if (strcmp(pairs[i], name) == 0)
            return pairs[i + 1];
    return NULL;
}

static int load(const char *text, const char *const *env, struct sl_config **out,
                struct sl_error *err)
{
    return sl_config_load_text_env(text, strlen(text), "t.yaml", env_lookup, (void *)env, out,
                                   err);
}

static const struct sl_table_config *find(const struct sl_config *c, const char *s, const char *t)
{
    return sl_config_find_table(c, s, t);
}

static void test_example_sets_every_key(void)
{
    struct sl_config *c = NULL;
    struct sl_error err = {0};
    REQUIRE(load(example, NULL, &c, &err) == SL_OK);
    CHECK_STR(c->lake, "s3://bucket/prefix");
    CHECK_STR(c->source.dsn, "host=db.example.com dbname=app password=hunter2");
    CHECK_STR(c->source.slot, "sluice_main");
    CHECK_STR(c->source.publication, "pub_all");
    CHECK(!c->defaults.soft_deletes);
    CHECK_INT(c->defaults.small_file_bytes, 100ull << 20);
    CHECK_INT(c->defaults.max_file_bytes, 120ull << 20);
    CHECK_INT(c->defaults.codec, SL_PARQUET_COMPRESSION_ZSTD);
    CHECK(c->defaults.schema_name == NULL && c->defaults.partition_column == NULL);
    REQUIRE(c->ntables == 2);
    /* file order */
    CHECK_STR(c->tables[0].table_name, "orders");
    CHECK_STR(c->tables[1].table_name, "Mixed Case");

    const struct sl_table_config *o = find(c, "public", "orders");
    REQUIRE(o != NULL);
    CHECK_STR(o->schema_name, "public");
    CHECK_STR(o->partition_column, "created_at");
    CHECK_INT(o->partition_kind, SL_HUDI_PARTITION_DAY);
    CHECK(o->soft_deletes);
    CHECK_INT(o->max_file_bytes, 64ull << 20);
    /* the inherited 100MB is above the table's own maximum: lowered to it */
    CHECK_INT(o->small_file_bytes, 64ull << 20);
    CHECK_INT(o->codec, SL_PARQUET_COMPRESSION_ZSTD);

    const struct sl_table_config *m = find(c, "public", "Mixed Case");
    REQUIRE(m != NULL);
    CHECK_STR(m->partition_column, "region");
    CHECK_INT(m->partition_kind, SL_HUDI_PARTITION_VALUE);
    CHECK(!m->soft_deletes);
    CHECK_INT(m->small_file_bytes, 100ull << 20);
    CHECK_INT(m->max_file_bytes, 120ull << 20);
    CHECK(find(c, "public", "mixed case") == NULL); /* names are exact */
    CHECK(find(c, "public", "Mixed") == NULL);
    sl_config_free(c);
}

static void test_builtin_defaults_match_the_hudi_writer(void)
{
    struct sl_config *c = NULL;
    struct sl_hudi_write_options hudi, from_config;
    struct sl_table_config t;
    REQUIRE(load("", NULL, &c, NULL) == SL_OK);
    CHECK(c->lake == NULL && c->source.dsn == NULL && c->ntables == 0);
    CHECK_STR(c->source.slot, "sluice");
    CHECK_STR(c->source.publication, "sluice");
    sl_hudi_write_options_default(&hudi);
    sl_hudi_write_options_default(&from_config);
    sl_config_table(c, "public", "any", &t);
    CHECK(t.schema_name == NULL && t.table_name == NULL);
    sl_config_write_options(&t, &from_config);
    CHECK_INT(from_config.small_file_bytes, hudi.small_file_bytes);
    CHECK_INT(from_config.max_file_bytes, hudi.max_file_bytes);
    CHECK_INT(from_config.codec, hudi.codec);
    CHECK_INT(from_config.soft_deletes, hudi.soft_deletes);
    CHECK(from_config.partition_column == NULL);
    CHECK_INT(from_config.partition_kind, SL_HUDI_PARTITION_NONE);
    sl_config_free(c);

    /* comments only, an explicit null document, empty sections */
    const char *empties[] = {"# nothing\n", "~\n", "source:\ndefaults:\ntables:\n",
                             "tables: {}\nsource: {}\n"};
    for (size_t i = 0; i < SL_ARRAY_LEN(empties); i++) {
        struct sl_error err = {0};
        c = NULL;
        CHECK_INT(load(empties[i], NULL, &c, &err), SL_OK);
        if (c != NULL)
            CHECK_INT(c->ntables, 0);
        sl_config_free(c);
    }
}

static void test_defaults_merge_key_by_key_in_any_order(void)
{
    /* tables before defaults; a table with a null entry takes every default */
    const char *text = "tables:\n"
                       "  s.a:\n"
                       "    compression: none\n"
                       "  s.b: ~\n"
                       "  s.c: {small_file_bytes: 1KB, deletes: hard}\n"
                       "defaults:\n"
                       "  deletes: soft\n"
                       "  compression: gzip\n"
                       "  max_file_bytes: 2GB\n"
                       "  small_file_bytes: 0\n";
    struct sl_config *c = NULL;
    struct sl_error err = {0};
    REQUIRE(load(text, NULL, &c, &err) == SL_OK);
    const struct sl_table_config *a = find(c, "s", "a"), *b = find(c, "s", "b"),
                                 *cc = find(c, "s", "c");
    REQUIRE(a != NULL && b != NULL && cc != NULL);
    CHECK_INT(a->codec, SL_PARQUET_COMPRESSION_NONE);
    CHECK(a->soft_deletes);
    CHECK_INT(a->max_file_bytes, 2ull << 30);
    CHECK_INT(b->codec, SL_PARQUET_COMPRESSION_GZIP);
    CHECK(b->soft_deletes);
    CHECK_INT(b->small_file_bytes, 0);
    CHECK(b->partition_column == NULL);
    CHECK_INT(b->partition_kind, SL_HUDI_PARTITION_NONE);
    CHECK(!cc->soft_deletes);
    CHECK_INT(cc->small_file_bytes, 1024);
    CHECK_INT(cc->codec, SL_PARQUET_COMPRESSION_GZIP);

    /* unnamed tables get the defaults; write options carry them */
    struct sl_table_config t;
    struct sl_hudi_write_options o;
    sl_hudi_write_options_default(&o);
    o.database = "keep";
    sl_config_table(c, "other", "t", &t);
    sl_config_write_options(&t, &o);
    CHECK_STR(o.database, "keep"); /* an unnamed table leaves the names alone */
    CHECK(o.soft_deletes);
    CHECK_INT(o.codec, SL_PARQUET_COMPRESSION_GZIP);
    CHECK_INT(o.small_file_bytes, 1); /* 0 = never small, which the writer reads as default */
    sl_config_table(c, "s", "c", &t);
    CHECK_STR(t.table_name, "c");
    sl_config_write_options(&t, &o);
    CHECK_STR(o.database, "s");
    CHECK_STR(o.table_name, "c");
    CHECK(!o.soft_deletes);
    sl_config_free(c);
}

static void test_partition_specs(void)
{
    static const struct {
        const char *spec;
        const char *column;
        enum sl_hudi_partition_kind kind;
    } cases[] = {
        {"region", "region", SL_HUDI_PARTITION_VALUE},
        {"at:year", "at", SL_HUDI_PARTITION_YEAR},
        {"at:month", "at", SL_HUDI_PARTITION_MONTH},
        {"at:day", "at", SL_HUDI_PARTITION_DAY},
        {"at:hour", "at", SL_HUDI_PARTITION_HOUR},
        {"\"we:ird:day\"", "we:ird", SL_HUDI_PARTITION_DAY}, /* the unit follows the last colon */
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        char text[128];
        struct sl_config *c = NULL;
        struct sl_error err = {0};
        struct sl_table_config t;
        struct sl_hudi_write_options o;
        snprintf(text, sizeof(text), "tables:\n  s.t: {partition_by: %s}\n", cases[i].spec);
        REQUIRE(load(text, NULL, &c, &err) == SL_OK);
        sl_config_table(c, "s", "t", &t);
        CHECK_STR(t.partition_column, cases[i].column);
        CHECK_INT(t.partition_kind, cases[i].kind);
        memset(&o, 0, sizeof(o));
        sl_config_write_options(&t, &o);
        CHECK_STR(o.partition_column, cases[i].column);
        CHECK_INT(o.partition_kind, cases[i].kind);
        sl_config_free(c);
    }
}

static void test_sizes(void)
{
    static const struct {
        const char *text;
        unsigned long long bytes;
    } good[] = {
        {"0", 0},           {"1048576", 1048576},    {"1B", 1},
        {"1KB", 1024},      {"1 KiB", 1024},         {"3k", 3072},
        {"100MB", 100ull << 20}, {"100 mb", 100ull << 20}, {"5MiB", 5ull << 20},
        {"2GB", 2ull << 30}, {"16GB", 16ull << 30},   {"\"7 gib\"", 7ull << 30},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(good); i++) {
        char text[128];
        struct sl_config *c = NULL;
        struct sl_error err = {0};
        snprintf(text, sizeof(text), "defaults:\n  small_file_bytes: %s\n  max_file_bytes: 16GB\n",
                 good[i].text);
        int rc = load(text, NULL, &c, &err);
        CHECK_INT(rc, SL_OK);
        if (rc != SL_OK) {
            fprintf(stderr, "  %s: %s\n", good[i].text, err.message);
            continue;
        }
        CHECK_INT(c->defaults.small_file_bytes, good[i].bytes);
        sl_config_free(c);
    }
}

/* Loads text and checks the error code and that the message holds every want[] string. */
static void expect_error(const char *text, const char *const *env, int code,
                         const char *const *want, size_t nwant)
{
    struct sl_config *c = (struct sl_config *)1;
    struct sl_error err = {0};
    int rc = load(text, env, &c, &err);
    CHECK_INT(rc, code);
    CHECK(c == NULL);
    for (size_t i = 0; i < nwant; i++) {
        if (strstr(err.message, want[i]) == NULL) {
            fprintf(stderr, "  message lacks \"%s\":\n    %s\n  for:\n%s\n", want[i], err.message,
                    text);
            unit_current_failed = 1;
        }
    }
    if (rc == SL_OK)
        sl_config_free(c);
}

#define EXPECT_ERROR(text, ...)                                                                    \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        expect_error((text), NULL, SL_EINVAL, want_, SL_ARRAY_LEN(want_));                         \
    } while (0)

static void test_errors_name_file_line_key_value_and_fix(void)
{
    /* unknown keys at every level, with a suggestion */
    EXPECT_ERROR("lake: /x\nlakes: /y\n", "t.yaml:2:1: ", "unknown key 'lakes'",
                 "did you mean 'lake'", "source, lake, defaults or tables");
    EXPECT_ERROR("source:\n  dsn: x\n  slott: s\n", "t.yaml:3:3: source: ", "'slott'",
                 "did you mean 'slot'", "dsn, slot or publication");
    EXPECT_ERROR("defaults:\n  delets: soft\n", "t.yaml:2:3: defaults: ", "'delets'",
                 "did you mean 'deletes'");
    EXPECT_ERROR("tables:\n  a.b:\n    deletes: soft\n    colour: red\n",
                 "t.yaml:4:5: tables['a.b']: ", "unknown key 'colour'", "partition_by");
    EXPECT_ERROR("defaults:\n  partition_by: x\n", "t.yaml:2:3: defaults: ",
                 "'partition_by' is set per table", "tables: {public.orders:");
    EXPECT_ERROR("defaults:\n  slot: x\n", "t.yaml:2:3", "'slot' does not belong in defaults but "
                 "in source");
    EXPECT_ERROR("tables:\n  a.b: {lake: /x}\n", "t.yaml:2:9", "'lake' does not belong in a table "
                 "entry but in the top level");
    /* bad enum values */
    EXPECT_ERROR("tables:\n  public.orders:\n    deletes: sofft\n",
                 "t.yaml:3:14: tables['public.orders'].deletes: ", "'sofft'", "hard or soft");
    EXPECT_ERROR("defaults:\n  compression: LZ4\n", "t.yaml:2:16: defaults.compression: ", "'LZ4'",
                 "snappy, zstd, gzip or none");
    EXPECT_ERROR("defaults:\n  deletes: Soft\n", "'Soft'", "lower case");
    /* sizes */
    EXPECT_ERROR("defaults:\n  max_file_bytes: -5MB\n", "t.yaml:2:19: defaults.max_file_bytes: ",
                 "'-5MB' is negative");
    EXPECT_ERROR("defaults:\n  max_file_bytes: 1.5GB\n", "'1.5GB' is not a whole number",
                 "1536KB");
    EXPECT_ERROR("defaults:\n  max_file_bytes: 10XB\n", "'10XB' has an unknown unit",
                 "B, KB, MB or GB");
    EXPECT_ERROR("defaults:\n  max_file_bytes: big\n", "'big' is not a size", "100MB");
    EXPECT_ERROR("defaults:\n  max_file_bytes: 99999999999999999999\n", "is too large");
    EXPECT_ERROR("defaults:\n  max_file_bytes: 99999999999GB\n", "is too large");
    EXPECT_ERROR("tables:\n  a.b:\n    max_file_bytes: 17GB\n",
                 "t.yaml:3:21: tables['a.b'].max_file_bytes: ", "'17GB' is larger than the "
                 "maximum 16GB");
    EXPECT_ERROR("defaults:\n  max_file_bytes: 64\n", "'64' is below the minimum 1MB",
                 "e.g. 120MB");
    /* small_file_bytes > max_file_bytes where both are set at one level */
    EXPECT_ERROR("defaults:\n  small_file_bytes: 200MB\n",
                 "t.yaml:2:21: defaults.small_file_bytes: ", "200MB is larger than "
                 "max_file_bytes (120MB, the built-in default)", "write at most 120MB");
    EXPECT_ERROR("tables:\n  a.b:\n    max_file_bytes: 10MB\n    small_file_bytes: 20MB\n",
                 "t.yaml:4:23: tables['a.b'].small_file_bytes: ", "20MB is larger than "
                 "max_file_bytes (10MB, set at line 3)");
    EXPECT_ERROR("defaults:\n  max_file_bytes: 10MB\ntables:\n  a.b:\n    small_file_bytes: 20MB\n",
                 "t.yaml:5:23: tables['a.b'].small_file_bytes: ", "(10MB, set at line 2)");
    /* table names */
    EXPECT_ERROR("tables:\n  orders:\n    deletes: soft\n", "t.yaml:2:3: tables: ",
                 "'orders' has no schema", "public.orders");
    EXPECT_ERROR("tables:\n  a.b.c: {}\n", "t.yaml:2:3: tables: ", "more than one dot",
                 "'\"schema\".\"my.table\"'");
    EXPECT_ERROR("tables:\n  .b: {}\n", "empty schema name");
    EXPECT_ERROR("tables:\n  a.: {}\n", "empty table name");
    EXPECT_ERROR("tables:\n  '\"a.b': {}\n", "unclosed double quote");
    EXPECT_ERROR("tables:\n  '\"a\"x.b': {}\n", "text after the closing quote");
    EXPECT_ERROR("tables:\n  'a\"b.c': {}\n", "double quote inside the schema");
    EXPECT_ERROR("tables:\n  ~: {}\n", "t.yaml:2:3: tables: ", "table name is empty");
    EXPECT_ERROR("tables:\n  ? [a, b]\n  : {}\n", "t.yaml:2:5: tables: ", "table name is a list");
    EXPECT_ERROR("tables:\n  s.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: {}\n",
                 "longer than 63 bytes");
    /* duplicates */
    EXPECT_ERROR("tables:\n  public.orders: {}\n  x.y: {}\n  '\"public\".\"orders\"': {}\n",
                 "t.yaml:4:3: tables: ", "names the same table as the entry at line 2",
                 "merge the two entries");
    EXPECT_ERROR("tables:\n  a.b:\n    deletes: soft\n    deletes: hard\n",
                 "t.yaml:4:5: tables['a.b'].deletes: ", "set twice (first at line 3)");
    EXPECT_ERROR("lake: /a\nlake: /b\n", "t.yaml:2:1: lake: is set twice (first at line 1)");
    /* partition specs */
    EXPECT_ERROR("tables:\n  a.b: {partition_by: 'at:week'}\n",
                 "t.yaml:2:23: tables['a.b'].partition_by: ", "'at:week' has an unknown time unit",
                 "COLUMN:day");
    EXPECT_ERROR("tables:\n  a.b: {partition_by: ':day'}\n", "names no column");
    EXPECT_ERROR("tables:\n  a.b:\n    partition_by: [a, b]\n", "t.yaml:3:19",
                 "partition_by: is a list, not a single value", "created_at:day");
    EXPECT_ERROR("tables:\n  a.b:\n    partition_by:\n", "partition_by: has no value",
                 "remove the key");
    /* shapes */
    EXPECT_ERROR("- lake\n", "t.yaml:1:1: (top level): is a list", "lake: s3://bucket/prefix");
    EXPECT_ERROR("just text\n", "(top level): is a single value");
    EXPECT_ERROR("source: [1]\n", "t.yaml:1:9: source: is a list", "dsn");
    EXPECT_ERROR("tables: [a.b]\n", "t.yaml:1:9: tables: is a list",
                 "mapping of <schema>.<table>");
    EXPECT_ERROR("tables:\n  a.b: [1]\n", "t.yaml:2:8: tables['a.b']: is a list");
    EXPECT_ERROR("defaults: 5\n", "defaults: is a single value");
    EXPECT_ERROR("? {a: 1}\n: x\n", "t.yaml:1:3", "keys are plain names");
    /* strings */
    EXPECT_ERROR("lake: http://example.com/x\n", "t.yaml:1:7: lake: ",
                 "'http://example.com/x' has a scheme", "s3://bucket/prefix");
    EXPECT_ERROR("lake: s3://\n", "names no bucket");
    EXPECT_ERROR("lake: ''\n", "t.yaml:1:7: lake: ", "is empty");
    EXPECT_ERROR("lake: \"a\\0b\"\n", "lake: contains a NUL character");
    EXPECT_ERROR("source:\n  slot: Bad-Slot\n", "t.yaml:2:9: source.slot: ", "'Bad-Slot'",
                 "lower-case letters, digits and underscores");
    EXPECT_ERROR("source:\n  publication: ''\n", "source.publication: ", "is empty");
    /* YAML itself */
    EXPECT_ERROR("tables:\n\tpublic.orders: {}\n", "t.yaml:2:1: YAML syntax error",
                 "no tabs");
    EXPECT_ERROR("lake: [unclosed\n", "t.yaml:", "YAML syntax error");
    EXPECT_ERROR("lake: /a\n---\nlake: /b\n", "t.yaml:2: a second YAML document");
    EXPECT_ERROR("lake: *nowhere\n", "YAML syntax error", "undefined alias");
    EXPECT_ERROR("\xff\xfe\x41", "t.yaml: byte", "UTF-8");
}

static void test_secrets_are_never_echoed(void)
{
    const char *texts[] = {
        "source:\n  dsn: \"password=hunter2\\0x\"\n",
        "source:\n  dsn: {password: hunter2}\n",
        "source:\n  dsn: ''\n",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(texts); i++) {
        struct sl_config *c = NULL;
        struct sl_error err = {0};
        CHECK_INT(load(texts[i], NULL, &c, &err), SL_EINVAL);
        CHECK(strstr(err.message, "source.dsn") != NULL);
        CHECK(strstr(err.message, "hunter2") == NULL);
    }
    /* the empty dsn says it is a secret rather than quoting it */
    struct sl_error err = {0};
    struct sl_config *c = NULL;
    CHECK_INT(load("source:\n  dsn: ''\n", NULL, &c, &err), SL_EINVAL);
    CHECK(strstr(err.message, "not shown: a secret") != NULL);
}

static void test_environment_overrides(void)
{
    static const char *const env[] = {
        "SLUICE_LAKE", "file:///from/env",
        "SLUICE_SOURCE_DSN", "host=envhost",
        "SLUICE_SOURCE_SLOT", "", /* empty: unset */
        "SLUICE_DEFAULTS_COMPRESSION", "none",
        "SLUICE_DEFAULTS_MAX_FILE_BYTES", "200MB",
        "SLUICE_DEFAULTS_PARTITION_BY", "x", /* table-only keys have no variable */
        NULL,
    };
    struct sl_config *c = NULL;
    struct sl_error err = {0};
    REQUIRE(load(example, env, &c, &err) == SL_OK);
    CHECK_STR(c->lake, "file:///from/env");
    CHECK_STR(c->source.dsn, "host=envhost");
    CHECK_STR(c->source.slot, "sluice_main");
    CHECK_INT(c->defaults.codec, SL_PARQUET_COMPRESSION_NONE);
    CHECK_INT(c->defaults.max_file_bytes, 200ull << 20);
    /* a table's own entry wins over the environment, the rest follows it */
    const struct sl_table_config *o = find(c, "public", "orders");
    const struct sl_table_config *m = find(c, "public", "Mixed Case");
    REQUIRE(o != NULL && m != NULL);
    CHECK_INT(o->max_file_bytes, 64ull << 20);
    CHECK_INT(o->codec, SL_PARQUET_COMPRESSION_NONE);
    CHECK_INT(m->max_file_bytes, 200ull << 20);
    CHECK(c->defaults.partition_column == NULL);
    sl_config_free(c);

    /* overrides without a file section */
    static const char *const env2[] = {"SLUICE_SOURCE_DSN", "host=only", NULL};
    REQUIRE(load("lake: /x\n", env2, &c, &err) == SL_OK);
    CHECK_STR(c->source.dsn, "host=only");
    sl_config_free(c);

    /* a bad value names the variable and the key; a secret is not shown */
    static const char *const bad[] = {"SLUICE_DEFAULTS_DELETES", "maybe", NULL};
    static const char *const want[] = {"environment variable SLUICE_DEFAULTS_DELETES",
                                       "defaults.deletes", "t.yaml", "'maybe'", "hard or soft"};
    expect_error("lake: /x\n", bad, SL_EINVAL, want, SL_ARRAY_LEN(want));
    /* env small above the file's max: error at the variable */
    static const char *const small[] = {"SLUICE_DEFAULTS_SMALL_FILE_BYTES", "1GB", NULL};
    static const char *const want2[] = {
        "SLUICE_DEFAULTS_SMALL_FILE_BYTES",
        "1GB) is larger than max_file_bytes (120MB, set at line 10)"};
    expect_error(example, small, SL_EINVAL, want2, SL_ARRAY_LEN(want2));
    /* env max below the built-in small: the built-in small is lowered */
    static const char *const max[] = {"SLUICE_DEFAULTS_MAX_FILE_BYTES", "50MB", NULL};
    REQUIRE(load("lake: /x\n", max, &c, &err) == SL_OK);
    CHECK_INT(c->defaults.small_file_bytes, 50ull << 20);
    sl_config_free(c);
}

static void test_process_environment(void)
{
    struct sl_config *c = NULL;
    struct sl_error err = {0};
    const char text[] = "lake: /from/file\n";
    REQUIRE(setenv("SLUICE_LAKE", "/from/process/env", 1) == 0);
    int rc = sl_config_load_text(text, strlen(text), "p.yaml", &c, &err);
    unsetenv("SLUICE_LAKE");
    REQUIRE(rc == SL_OK);
    CHECK_STR(c->lake, "/from/process/env");
    sl_config_free(c);
    /* not NUL-terminated text: only len bytes are read */
    char buf[64];
    memcpy(buf, "lake: /abc", 10);
    memset(buf + 10, 'X', sizeof(buf) - 10);
    REQUIRE(sl_config_load_text(buf, 10, "p.yaml", &c, &err) == SL_OK);
    CHECK_STR(c->lake, "/abc");
    sl_config_free(c);
}

static void test_quoted_table_names(void)
{
    const char *text = "tables:\n"
                       "  '\"my.schema\".\"odd \"\"name\"\"\"': {compression: zstd}\n"
                       "  '\"public\".plain': {}\n"
                       "  'Public.\"Upper\"': {}\n";
    struct sl_config *c = NULL;
    struct sl_error err = {0};
    REQUIRE(load(text, NULL, &c, &err) == SL_OK);
    REQUIRE(c->ntables == 3);
    const struct sl_table_config *t = find(c, "my.schema", "odd \"name\"");
    REQUIRE(t != NULL);
    CHECK_INT(t->codec, SL_PARQUET_COMPRESSION_ZSTD);
    CHECK(find(c, "public", "plain") != NULL);
    CHECK(find(c, "Public", "Upper") != NULL);
    sl_config_free(c);
}

static void test_aliases_and_cycles_are_bounded(void)
{
    struct sl_config *c = NULL;
    struct sl_error err = {0};
    /* an alias reuses a mapping */
    REQUIRE(load("defaults: &d {deletes: soft}\ntables:\n  a.b: *d\n  c.d: *d\n", NULL, &c,
                 &err) == SL_OK);
    CHECK(find(c, "a", "b")->soft_deletes && find(c, "c", "d")->soft_deletes);
    sl_config_free(c);
    /* a mapping that contains itself is walked only as deep as the schema goes */
    c = NULL;
    CHECK_INT(load("tables: &t\n  a.b: *t\n", NULL, &c, &err), SL_EINVAL);
    CHECK(strstr(err.message, "unknown key 'a.b'") != NULL);
}

/* Every allocation of a load, failed one at a time, fails cleanly (ASan/LSan check leaks). */
static void test_allocation_failures_fail_cleanly(void)
{
    static const char *const env[] = {"SLUICE_SOURCE_DSN", "host=x", "SLUICE_LAKE", "/l", NULL};
    const char *texts[] = {example,
                           "tables:\n  a.b: {partition_by: x}\n  a.b: {}\n", /* duplicate */
                           "tables:\n  '\"a\".\"b\"': {partition_by: 'at:day'}\n"};
    for (size_t t = 0; t < SL_ARRAY_LEN(texts); t++) {
        int final_rc = 1;
        bool succeeded = false;
        for (long nth = 1; nth < 500 && !succeeded; nth++) {
            struct sl_config *c = (struct sl_config *)1;
            struct sl_error err = {0};
            sl_alloc_fail_after(nth);
            int rc = load(texts[t], env, &c, &err);
            sl_alloc_fail_after(0);
            if (rc == SL_ENOMEM) {
                CHECK(c == NULL);
                CHECK(strstr(err.message, "out of memory") != NULL);
                continue;
            }
            final_rc = rc;
            succeeded = true;
            if (rc == SL_OK)
                sl_config_free(c);
            else
                CHECK(c == NULL);
        }
        CHECK(succeeded);
        CHECK_INT(final_rc, t == 1 ? SL_EINVAL : SL_OK);
    }
}

static void test_load_file(void)
{
    char dir[] = "/tmp/sluice-test-config-XXXXXX";
    char path[256];
    struct sl_config *c = (struct sl_config *)1;
    struct sl_error err = {0};
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/sluice.yaml", dir);

    CHECK_INT(sl_config_load_file(path, &c, &err), SL_ENOTFOUND);
    CHECK(c == NULL);
    CHECK(strstr(err.message, path) != NULL);
    CHECK_INT(sl_config_load_file(dir, &c, &err), SL_EIO);
    CHECK(strstr(err.message, "directory") != NULL);

    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(example, f);
    fputs("  bad.entry:\n    deletes: maybe\n", f);
    fclose(f);
    CHECK_INT(sl_config_load_file(path, &c, &err), SL_EINVAL);
    char want[300];
    snprintf(want, sizeof(want), "%s:20:14: tables['bad.entry'].deletes: 'maybe'", path);
    CHECK(strstr(err.message, want) != NULL);

    f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(example, f);
    fclose(f);
    for (long nth = 1; nth < 200; nth++) {
        sl_alloc_fail_after(nth);
        int rc = sl_config_load_file(path, &c, &err);
        sl_alloc_fail_after(0);
        if (rc == SL_OK) {
            CHECK_INT(c->ntables, 2);
            sl_config_free(c);
            break;
        }
        CHECK_INT(rc, SL_ENOMEM);
        CHECK(c == NULL);
    }

    /* larger than SL_CONFIG_MAX_BYTES: refused (a comment line repeated) */
    f = fopen(path, "w");
    REQUIRE(f != NULL);
    for (size_t n = 0; n <= SL_CONFIG_MAX_BYTES / 64; n++)
        fputs("# .............................................................\n", f);
    fclose(f);
    CHECK_INT(sl_config_load_file(path, &c, &err), SL_ELIMIT);
    CHECK(c == NULL);
    unlink(path);
    rmdir(dir);
}

static void test_describe_lists_every_key(void)
{
    struct sl_buf doc;
    sl_buf_init(&doc, SIZE_MAX);
    REQUIRE(sl_config_describe(&doc) == SL_OK);
    static const char *const want[] = {
        "| `lake` | string | (none) | `SLUICE_LAKE` |",
        "| `source` | mapping |",
        "| `source.dsn` | string, secret | (none) | `SLUICE_SOURCE_DSN` |",
        "| `source.slot` | string | `sluice` | `SLUICE_SOURCE_SLOT` |",
        "| `source.publication` | string | `sluice` | `SLUICE_SOURCE_PUBLICATION` |",
        "| `partition_by` | `COLUMN` or `COLUMN:year\\|month\\|day\\|hour` | (none) | — |",
        "| `deletes` | `hard` \\| `soft` | `hard` | `SLUICE_DEFAULTS_DELETES` |",
        "| `small_file_bytes` | size",
        "| `100MB` | `SLUICE_DEFAULTS_SMALL_FILE_BYTES` |",
        "| `120MB` | `SLUICE_DEFAULTS_MAX_FILE_BYTES` |",
        "| `compression` | `snappy` \\| `zstd` \\| `gzip` \\| `none` | `snappy` |",
        "`soft`: a deleted row stays",
        "SLUICE_<SECTION>_<KEY>",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(want); i++)
        if (strstr(doc.data, want[i]) == NULL) {
            fprintf(stderr, "  reference lacks: %s\n", want[i]);
            unit_current_failed = 1;
        }
    /* every table row has five cells: six unescaped '|' */
    size_t rows = 0;
    for (char *line = doc.data; line != NULL && *line != '\0';) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 2 && line[0] == '|' && line[1] == ' ') {
            int bars = 0;
            for (size_t k = 0; k < len; k++)
                if (line[k] == '|' && (k == 0 || line[k - 1] != '\\'))
                    bars++;
            CHECK_INT(bars, 6);
            rows++;
        }
        line = end ? end + 1 : NULL;
    }
    CHECK_INT(rows, 3 + 12); /* three header rows, twelve keys */
    sl_buf_free(&doc);

    /* a full buffer fails cleanly */
    sl_buf_init(&doc, 100);
    CHECK_INT(sl_config_describe(&doc), SL_ELIMIT);
    sl_buf_free(&doc);
}

UNIT_TESTS(UNIT_TEST(test_example_sets_every_key),
           UNIT_TEST(test_builtin_defaults_match_the_hudi_writer),
           UNIT_TEST(test_defaults_merge_key_by_key_in_any_order), UNIT_TEST(test_partition_specs),
           UNIT_TEST(test_sizes), UNIT_TEST(test_errors_name_file_line_key_value_and_fix),
           UNIT_TEST(test_secrets_are_never_echoed), UNIT_TEST(test_environment_overrides),
           UNIT_TEST(test_process_environment), UNIT_TEST(test_quoted_table_names),
           UNIT_TEST(test_aliases_and_cycles_are_bounded),
           UNIT_TEST(test_allocation_failures_fail_cleanly), UNIT_TEST(test_load_file),
           UNIT_TEST(test_describe_lists_every_key))

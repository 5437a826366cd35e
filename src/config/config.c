/*
 * Loading the config file: libyaml builds the document tree, then one walk
 * checks every mapping against the key table (keys.c), applies the values,
 * the environment overrides and the defaults-then-table merge. The tree is
 * loaded whole first so `defaults` may come after `tables` in the file.
 * Every error names the file, line, column and key, and what to write
 * instead; secrets are never echoed.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

/* Where the value a table setting holds came from. */
struct origin {
    int level;               /* 0 built-in, 1 defaults (file or environment), 2 the table's entry */
    const yaml_node_t *node; /* the value in the file, or NULL */
    char env[48];            /* the environment variable, or "" */
};

struct loader {
    const char *name; /* of the text, for messages */
    yaml_document_t *doc;
    const char *(*lookup)(void *ctx, const char *name);
    void *lookup_ctx;
    struct sl_config *config;
    struct origin defaults_origin[SL_CONFIG_KEY_COUNT];
    struct sl_error *err;
};

/* ---------------------------------------------------------------- messages */

static int fail_at(struct loader *ld, const yaml_node_t *node, const char *prefix, const char *key,
                   const char *fmt, ...) SL_PRINTF(5, 6);

/* "<name>:<line>:<column>: <prefix><key>: <problem>" */
static int fail_at(struct loader *ld, const yaml_node_t *node, const char *prefix, const char *key,
                   const char *fmt, ...)
{
    char problem[SL_CONFIG_WHY_MAX + 256];
    va_list ap;

    size_t prefix_len = strlen(prefix);

    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
    /* a section's own problems: "tables['x']" rather than "tables['x']." */
    if (key == NULL && prefix_len > 0 && prefix[prefix_len - 1] == '.')
        prefix_len--;
    return sl_error_set(ld->err, SL_EINVAL, "%s:%zu:%zu: %.*s%s%s%s", ld->name,
                        node->start_mark.line + 1, node->start_mark.column + 1, (int)prefix_len,
                        prefix, key != NULL ? key : "",
                        prefix_len > 0 || key != NULL ? ": " : "", problem);
}

static const char *section_title(unsigned where)
{
    switch (where) {
    case SL_CONFIG_IN_ROOT: return "the top level";
    case SL_CONFIG_IN_SOURCE: return "source";
    case SL_CONFIG_IN_DEFAULTS: return "defaults";
    default: return "a table entry";
    }
}

/* "lake, source, defaults or tables": the keys a section takes. */
static void key_list(unsigned where, char *out, size_t out_len)
{
    size_t o = 0, count = 0, total = 0;
    out[0] = '\0';
    for (size_t i = 0; i < SL_CONFIG_KEY_COUNT; i++)
        if (sl_config_keys[i].where & where)
            total++;
    for (size_t i = 0; i < SL_CONFIG_KEY_COUNT && o < out_len; i++) {
        if (!(sl_config_keys[i].where & where))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " or " : ", ";
        int n = snprintf(out + o, out_len - o, "%s%s", sep, sl_config_keys[i].name);
        if (n < 0)
            break;
        o += (size_t)n;
        count++;
    }
}

/* Edit distance, for "did you mean"; large when either string is long. */
static size_t distance(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b), row[40];
    if (alen >= 32 || blen >= 32)
        return SIZE_MAX;
    for (size_t j = 0; j <= blen; j++)
        row[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = SL_MIN(SL_MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    return row[blen];
}

/* ---------------------------------------------------------------- nodes */

static const yaml_node_t *node_at(struct loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

static const char *scalar_text(const yaml_node_t *node, size_t *len)
{
    *len = node->data.scalar.length;
    return (const char *)node->data.scalar.value;
}

static bool is_null(const yaml_node_t *node)
{
    if (node == NULL)
        return true;
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    size_t len;
    const char *text = scalar_text(node, &len);
    return len == 0 || (len == 1 && text[0] == '~') ||
           (len == 4 && (memcmp(text, "null", 4) == 0 || memcmp(text, "Null", 4) == 0 ||
                         memcmp(text, "NULL", 4) == 0));
}

static const char *node_kind(const yaml_node_t *node)
{
    return node->type == YAML_MAPPING_NODE ? "a mapping" : node->type == YAML_SEQUENCE_NODE
                                                               ? "a list"
                                                               : "a single value";
}

/* ---------------------------------------------------------------- values */

static void *target_of(struct sl_config *config, const struct sl_config_key *key,
                       struct sl_table_config *table)
{
    if (key->where & (SL_CONFIG_IN_ROOT | SL_CONFIG_IN_SOURCE))
        return config;
    return table != NULL ? table : &config->defaults;
}

/* Applies the scalar `value` to key of target; the path is prefix + key name. */
static int apply_node(struct loader *ld, const struct sl_config_key *key, void *target,
                      const yaml_node_t *value, const char *prefix)
{
    char why[SL_CONFIG_WHY_MAX];
    size_t len;

    if (value->type != YAML_SCALAR_NODE)
        return fail_at(ld, value, prefix, key->name, "is %s, not a single value; write e.g. %s: %s",
                       node_kind(value), key->name, key->example);
    if (is_null(value))
        return fail_at(ld, value, prefix, key->name, "has no value; write e.g. %s: %s, or remove "
                       "the key to keep the default", key->name, key->example);
    const char *text = scalar_text(value, &len);
    if (memchr(text, '\0', len) != NULL)
        return fail_at(ld, value, prefix, key->name, "contains a NUL character; write e.g. %s: %s",
                       key->name, key->example);
    int rc = sl_config_key_apply(key, target, text, len, why, sizeof(why));
    if (rc == SL_ENOMEM)
        return sl_error_set(ld->err, SL_ENOMEM, "out of memory loading %s", ld->name);
    if (rc != SL_OK)
        return fail_at(ld, value, prefix, key->name, "%s", why);
    return SL_OK;
}

/*
 * Finds the key a mapping key node names among the keys of `where`: errors
 * for a non-scalar key, an unknown key (with the closest known one) and a
 * key of another section.
 */
static int find_key(struct loader *ld, const yaml_node_t *knode, unsigned where,
                    const char *prefix, size_t *index)
{
    char list[256], quoted[96];
    size_t len, best = SIZE_MAX, best_i = 0, other = SL_CONFIG_KEY_COUNT;

    if (knode->type != YAML_SCALAR_NODE)
        return fail_at(ld, knode, prefix, NULL, "a key is %s; keys are plain names (%s takes "
                       "%s)", node_kind(knode), section_title(where),
                       (key_list(where, list, sizeof(list)), list));
    const char *text = scalar_text(knode, &len);
    for (size_t i = 0; i < SL_CONFIG_KEY_COUNT; i++) {
        const struct sl_config_key *key = &sl_config_keys[i];
        bool same = strlen(key->name) == len && memcmp(key->name, text, len) == 0;
        if (same && (key->where & where)) {
            *index = i;
            return SL_OK;
        }
        if (same)
            other = i;
        if (key->where & where) {
            size_t d = distance(text, len, key->name);
            if (d < best) {
                best = d;
                best_i = i;
            }
        }
    }
    sl_config_quote(text, len, quoted, sizeof(quoted));
    key_list(where, list, sizeof(list));
    if (other < SL_CONFIG_KEY_COUNT) {
        unsigned belongs = sl_config_keys[other].where;
        if (belongs == SL_CONFIG_IN_TABLE)
            return fail_at(ld, knode, prefix, NULL, "%s is set per table: move it to an entry "
                           "under tables (e.g. tables: {public.orders: {%s: %s}}); %s takes %s",
                           quoted, sl_config_keys[other].name, sl_config_keys[other].example,
                           section_title(where), list);
        return fail_at(ld, knode, prefix, NULL, "%s does not belong in %s but in %s; %s takes %s",
                       quoted, section_title(where),
                       section_title(belongs & SL_CONFIG_IN_ROOT     ? SL_CONFIG_IN_ROOT
                                     : belongs & SL_CONFIG_IN_SOURCE ? SL_CONFIG_IN_SOURCE
                                                                     : SL_CONFIG_IN_DEFAULTS),
                       section_title(where), list);
    }
    if (best <= 2 && best < len)
        return fail_at(ld, knode, prefix, NULL, "unknown key %s; did you mean '%s'? %s takes %s",
                       quoted, sl_config_keys[best_i].name, section_title(where), list);
    return fail_at(ld, knode, prefix, NULL, "unknown key %s; %s takes %s", quoted,
                   section_title(where), list);
}

/*
 * Walks a mapping of keys of `where` into target. Section-valued keys (the
 * top level's) are not applied but handed back in sections[]. origins, when
 * given, records where each applied value came from.
 */
static int walk_section(struct loader *ld, const yaml_node_t *map, unsigned where, void *target,
                        const char *prefix, const char *example, struct origin *origins,
                        int level, const yaml_node_t **sections)
{
    const yaml_node_t *seen[SL_CONFIG_KEY_COUNT] = {0};

    if (is_null(map))
        return SL_OK;
    if (map->type != YAML_MAPPING_NODE) {
        char list[256];
        key_list(where, list, sizeof(list));
        return fail_at(ld, map, prefix[0] != '\0' ? prefix : "(top level)", NULL,
                       "is %s; write a mapping of keys (%s), e.g. %s", node_kind(map), list,
                       example);
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *knode = node_at(ld, pair->key), *value = node_at(ld, pair->value);
        size_t i = 0;
        int rc;
        if (knode == NULL || value == NULL)
            return sl_error_set(ld->err, SL_EINVAL, "%s: malformed YAML document", ld->name);
        rc = find_key(ld, knode, where, prefix, &i);
        if (rc != SL_OK)
            return rc;
        const struct sl_config_key *key = &sl_config_keys[i];
        if (seen[i] != NULL)
            return fail_at(ld, knode, prefix, key->name, "is set twice (first at line %zu); keep "
                           "one", seen[i]->start_mark.line + 1);
        seen[i] = knode;
        if (key->type == SL_CONFIG_SECTION || key->type == SL_CONFIG_TABLES) {
            sections[i] = value;
            continue;
        }
        rc = apply_node(ld, key, target, value, prefix);
        if (rc != SL_OK)
            return rc;
        if (origins != NULL) {
            origins[i].level = level;
            origins[i].node = value;
            origins[i].env[0] = '\0';
        }
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- environment */

static int apply_environment(struct loader *ld)
{
    char env[48], why[SL_CONFIG_WHY_MAX];

    if (ld->lookup == NULL)
        return SL_OK;
    for (size_t i = 0; i < SL_CONFIG_KEY_COUNT; i++) {
        const struct sl_config_key *key = &sl_config_keys[i];
        if (!sl_config_key_env_name(key, env, sizeof(env)))
            continue;
        const char *value = ld->lookup(ld->lookup_ctx, env);
        if (value == NULL || value[0] == '\0')
            continue;
        int rc = sl_config_key_apply(key, target_of(ld->config, key, NULL), value, strlen(value),
                                     why, sizeof(why));
        if (rc == SL_ENOMEM)
            return sl_error_set(ld->err, SL_ENOMEM, "out of memory loading %s", ld->name);
        if (rc != SL_OK)
            return sl_error_set(ld->err, SL_EINVAL, "environment variable %s (overrides %s%s of "
                                "%s): %s", env, key->where & SL_CONFIG_IN_SOURCE ? "source."
                                : key->where & SL_CONFIG_IN_DEFAULTS ? "defaults." : "",
                                key->name, ld->name, why);
        if (key->where & SL_CONFIG_IN_DEFAULTS) {
            ld->defaults_origin[i].level = 1;
            ld->defaults_origin[i].node = NULL;
            snprintf(ld->defaults_origin[i].env, sizeof(ld->defaults_origin[i].env), "%s", env);
        }
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- checks */

static void describe_origin(const struct origin *o, char *out, size_t out_len)
{
    if (o->node != NULL)
        snprintf(out, out_len, "set at line %zu", o->node->start_mark.line + 1);
    else if (o->env[0] != '\0')
        snprintf(out, out_len, "set by %s", o->env);
    else
        snprintf(out, out_len, "the built-in default");
}

/*
 * small_file_bytes <= max_file_bytes. A small_file_bytes set less
 * specifically than max_file_bytes (built-in or defaults, under a table's own
 * max_file_bytes) is lowered to it: a file that reached the maximum is never
 * small. Otherwise the pair is an error at small_file_bytes.
 */
static int check_sizes(struct loader *ld, struct sl_table_config *t, const struct origin *origins,
                       const char *prefix)
{
    const struct origin *so = &origins[SL_CONFIG_KEY_SMALL_FILE_BYTES];
    const struct origin *mo = &origins[SL_CONFIG_KEY_MAX_FILE_BYTES];
    char small[32], max[32], where[96];

    if (t->small_file_bytes <= t->max_file_bytes)
        return SL_OK;
    if (so->level < mo->level) {
        t->small_file_bytes = t->max_file_bytes;
        return SL_OK;
    }
    sl_config_format_size(t->small_file_bytes, small, sizeof(small));
    sl_config_format_size(t->max_file_bytes, max, sizeof(max));
    describe_origin(mo, where, sizeof(where));
    if (so->node == NULL)
        return sl_error_set(ld->err, SL_EINVAL, "environment variable %s: small_file_bytes (%s) "
                            "is larger than max_file_bytes (%s, %s); make small_file_bytes at "
                            "most max_file_bytes", so->env, small, max, where);
    return fail_at(ld, so->node, prefix, "small_file_bytes", "%s is larger than max_file_bytes "
                   "(%s, %s); write at most %s, or raise max_file_bytes", small, max, where, max);
}

/* ---------------------------------------------------------------- tables */

struct table_ref {
    const struct sl_table_config *t;
    const yaml_node_t *name;
};

static int compare_refs(const void *pa, const void *pb)
{
    const struct table_ref *a = pa, *b = pb;
    int c = strcmp(a->t->schema_name, b->t->schema_name);
    if (c == 0)
        c = strcmp(a->t->table_name, b->t->table_name);
    if (c == 0)
        c = a->name->start_mark.index < b->name->start_mark.index ? -1
            : a->name->start_mark.index > b->name->start_mark.index ? 1
                                                                     : 0;
    return c;
}

static int walk_tables(struct loader *ld, const yaml_node_t *map)
{
    struct sl_config *config = ld->config;
    struct table_ref *refs = NULL;
    struct origin origins[SL_CONFIG_KEY_COUNT];
    char why[SL_CONFIG_WHY_MAX], prefix[128];
    int rc = SL_OK;

    if (is_null(map))
        return SL_OK;
    if (map->type != YAML_MAPPING_NODE)
        return fail_at(ld, map, "tables", NULL, "is %s; write a mapping of <schema>.<table> to "
                       "settings, e.g. tables: {public.orders: {deletes: soft}}", node_kind(map));
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n == 0)
        return SL_OK;
    config->tables = sl_calloc(n, sizeof(*config->tables));
    refs = sl_calloc(n, sizeof(*refs));
    if (config->tables == NULL || refs == NULL) {
        rc = sl_error_set(ld->err, SL_ENOMEM, "out of memory loading %s", ld->name);
        goto fail;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *knode = node_at(ld, pair->key), *value = node_at(ld, pair->value);
        size_t len;
        if (knode == NULL || value == NULL) {
            rc = sl_error_set(ld->err, SL_EINVAL, "%s: malformed YAML document", ld->name);
            goto fail;
        }
        if (knode->type != YAML_SCALAR_NODE || is_null(knode)) {
            rc = fail_at(ld, knode, "tables", NULL, "a table name is %s; write <schema>.<table>, "
                         "e.g. public.orders", is_null(knode) ? "empty" : node_kind(knode));
            goto fail;
        }
        const char *text = scalar_text(knode, &len);
        if (memchr(text, '\0', len) != NULL) {
            rc = fail_at(ld, knode, "tables", NULL, "a table name contains a NUL character; "
                         "write <schema>.<table>, e.g. public.orders");
            goto fail;
        }
        struct sl_table_config *t = &config->tables[config->ntables++];
        *t = config->defaults; /* defaults hold no strings */
        t->schema_name = t->table_name = t->partition_column = NULL;
        t->partition_kind = SL_HUDI_PARTITION_NONE;
        rc = sl_config_parse_table_name(text, len, &t->schema_name, &t->table_name, why,
                                        sizeof(why));
        if (rc == SL_ENOMEM) {
            rc = sl_error_set(ld->err, SL_ENOMEM, "out of memory loading %s", ld->name);
            goto fail;
        }
        if (rc != SL_OK) {
            rc = fail_at(ld, knode, "tables", NULL, "%s", why);
            goto fail;
        }
        refs[config->ntables - 1].t = t;
        refs[config->ntables - 1].name = knode;
        char quoted[96];
        sl_config_quote(text, len, quoted, sizeof(quoted));
        snprintf(prefix, sizeof(prefix), "tables[%s].", quoted);
        memcpy(origins, ld->defaults_origin, sizeof(origins));
        rc = walk_section(ld, value, SL_CONFIG_IN_TABLE, t, prefix,
                          "public.orders: {partition_by: created_at:day, deletes: soft}", origins,
                          2, NULL);
        if (rc == SL_OK)
            rc = check_sizes(ld, t, origins, prefix);
        if (rc != SL_OK)
            goto fail;
    }
    qsort(refs, config->ntables, sizeof(*refs), compare_refs);
    for (size_t i = 1; i < config->ntables; i++) {
        if (strcmp(refs[i].t->schema_name, refs[i - 1].t->schema_name) != 0 ||
            strcmp(refs[i].t->table_name, refs[i - 1].t->table_name) != 0)
            continue;
        size_t len;
        char quoted[96];
        const char *text = scalar_text(refs[i].name, &len);
        sl_config_quote(text, len, quoted, sizeof(quoted));
        rc = fail_at(ld, refs[i].name, "tables", NULL, "%s names the same table as the entry at "
                     "line %zu; merge the two entries into one", quoted,
                     refs[i - 1].name->start_mark.line + 1);
        goto fail;
    }
fail:
    sl_free(refs);
    return rc;
}

/* ---------------------------------------------------------------- loading */

static int yaml_failure(struct loader *ld, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return sl_error_set(ld->err, SL_ENOMEM, "out of memory parsing %s", ld->name);
    if (parser->error == YAML_READER_ERROR)
        return sl_error_set(ld->err, SL_EINVAL, "%s: byte %zu: not valid UTF-8 or UTF-16 text "
                            "(%s); save the file as UTF-8", ld->name, parser->problem_offset,
                            parser->problem != NULL ? parser->problem : "unreadable");
    char context[160] = "";
    if (parser->context != NULL)
        snprintf(context, sizeof(context), " (%s at line %zu)", parser->context,
                 parser->context_mark.line + 1);
    return sl_error_set(ld->err, SL_EINVAL, "%s:%zu:%zu: YAML syntax error: %s%s; check "
                        "indentation (spaces, no tabs), colons and quotes", ld->name,
                        parser->problem_mark.line + 1, parser->problem_mark.column + 1,
                        parser->problem != NULL ? parser->problem : "invalid YAML", context);
}

static int set_defaults(struct loader *ld)
{
    char why[SL_CONFIG_WHY_MAX];
    for (size_t i = 0; i < SL_CONFIG_KEY_COUNT; i++) {
        const struct sl_config_key *key = &sl_config_keys[i];
        if (key->default_text == NULL)
            continue;
        int rc = sl_config_key_apply(key, target_of(ld->config, key, NULL), key->default_text,
                                     strlen(key->default_text), why, sizeof(why));
        if (rc == SL_ENOMEM)
            return sl_error_set(ld->err, SL_ENOMEM, "out of memory loading %s", ld->name);
        if (rc != SL_OK) /* a bug in the key table */
            return sl_error_set(ld->err, SL_EINVAL, "built-in default of %s: %s", key->name, why);
    }
    return SL_OK;
}

static int load_tree(struct loader *ld)
{
    const yaml_node_t *sections[SL_CONFIG_KEY_COUNT] = {0};
    const yaml_node_t *root = yaml_document_get_root_node(ld->doc);
    int rc;

    rc = set_defaults(ld);
    if (rc == SL_OK && root != NULL)
        rc = walk_section(ld, root, SL_CONFIG_IN_ROOT, ld->config, "",
                          "lake: s3://bucket/prefix", NULL, 1, sections);
    if (rc == SL_OK && sections[SL_CONFIG_KEY_SOURCE] != NULL)
        rc = walk_section(ld, sections[SL_CONFIG_KEY_SOURCE], SL_CONFIG_IN_SOURCE, ld->config,
                          "source.", "source: {dsn: \"host=db dbname=app\", slot: sluice}", NULL,
                          1, NULL);
    if (rc == SL_OK && sections[SL_CONFIG_KEY_DEFAULTS] != NULL)
        rc = walk_section(ld, sections[SL_CONFIG_KEY_DEFAULTS], SL_CONFIG_IN_DEFAULTS,
                          &ld->config->defaults, "defaults.",
                          "defaults: {deletes: hard, compression: snappy}", ld->defaults_origin,
                          1, NULL);
    if (rc == SL_OK)
        rc = apply_environment(ld);
    if (rc == SL_OK)
        rc = check_sizes(ld, &ld->config->defaults, ld->defaults_origin, "defaults.");
    if (rc == SL_OK && sections[SL_CONFIG_KEY_TABLES] != NULL)
        rc = walk_tables(ld, sections[SL_CONFIG_KEY_TABLES]);
    return rc;
}

int sl_config_load_text_env(const char *text, size_t len, const char *name_for_errors,
                            const char *(*lookup)(void *ctx, const char *name), void *ctx,
                            struct sl_config **out, struct sl_error *err)
{
    struct loader ld;
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool have_parser = false, have_doc = false;
    int rc;

    memset(&ld, 0, sizeof(ld));
    ld.name = name_for_errors != NULL ? name_for_errors : "config";
    ld.lookup = lookup;
    ld.lookup_ctx = ctx;
    ld.err = err;
    ld.doc = &doc;
    *out = NULL;
    if (len > SL_CONFIG_MAX_BYTES) {
        rc = sl_error_set(err, SL_ELIMIT, "%s: the config is larger than %zu bytes; a config "
                          "holds settings, not data", ld.name, SL_CONFIG_MAX_BYTES);
        goto fail;
    }
    ld.config = sl_calloc(1, sizeof(*ld.config));
    if (ld.config == NULL || !yaml_parser_initialize(&parser)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory loading %s", ld.name);
        goto fail;
    }
    have_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text != NULL ? text : ""),
                                 text != NULL ? len : 0);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_failure(&ld, &parser);
        goto fail;
    }
    have_doc = true;
    if (yaml_document_get_root_node(&doc) != NULL) {
        if (!yaml_parser_load(&parser, &extra)) {
            rc = yaml_failure(&ld, &parser);
            goto fail;
        }
        bool more = yaml_document_get_root_node(&extra) != NULL;
        size_t line = extra.start_mark.line + 1;
        yaml_document_delete(&extra);
        if (more) {
            rc = sl_error_set(err, SL_EINVAL, "%s:%zu: a second YAML document (after '---'); a "
                              "config is one document: remove the '---' line or merge the two",
                              ld.name, line);
            goto fail;
        }
    }
    rc = load_tree(&ld);
    if (rc != SL_OK)
        goto fail;
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    *out = ld.config;
    return SL_OK;
fail:
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    sl_config_free(ld.config);
    return rc;
}

static const char *process_env(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

int sl_config_load_text(const char *text, size_t len, const char *name_for_errors,
                        struct sl_config **out, struct sl_error *err)
{
    return sl_config_load_text_env(text, len, name_for_errors, process_env, NULL, out, err);
}

/* Reads the whole file into memory that is wiped before it is freed (it may
 * hold the dsn). Caller owns *out (wipe and free with release_text). */
static int read_file(const char *path, char **out, size_t *out_len, struct sl_error *err)
{
    struct stat st;
    char *data = NULL;
    size_t len = 0, cap;
    int fd = -1, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return sl_error_set(err, e == ENOENT ? SL_ENOTFOUND : SL_EIO,
                            "cannot open config file %s: %s", path, strerror(e));
    }
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        rc = sl_error_set(err, SL_EIO, "cannot read config file %s: %s", path,
                          S_ISDIR(st.st_mode) ? "it is a directory" : strerror(errno));
        goto fail;
    }
    cap = S_ISREG(st.st_mode) && st.st_size > 0
              ? SL_MIN((size_t)st.st_size, SL_CONFIG_MAX_BYTES) + 1
              : 4096;
    data = sl_malloc(cap);
    if (data == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
        goto fail;
    }
    for (;;) {
        if (len == cap) {
            if (cap > SL_CONFIG_MAX_BYTES) {
                rc = sl_error_set(err, SL_ELIMIT, "config file %s is larger than %zu bytes; a "
                                  "config holds settings, not data", path, SL_CONFIG_MAX_BYTES);
                goto fail;
            }
            size_t grown_cap = SL_MIN(cap * 2, SL_CONFIG_MAX_BYTES + 1);
            char *grown = sl_malloc(grown_cap);
            if (grown == NULL) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
                goto fail;
            }
            memcpy(grown, data, len);
            explicit_bzero(data, len);
            sl_free(data);
            data = grown;
            cap = grown_cap;
        }
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sl_error_set(err, SL_EIO, "cannot read config file %s: %s", path,
                              strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    *out = data;
    *out_len = len;
    return SL_OK;
fail:
    if (data != NULL) {
        explicit_bzero(data, len);
        sl_free(data);
    }
    close(fd);
    return rc;
}

int sl_config_load_file(const char *path, struct sl_config **out, struct sl_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = read_file(path, &text, &len, err);
    if (rc != SL_OK)
        return rc;
    rc = sl_config_load_text(text, len, path, out, err);
    explicit_bzero(text, len);
    sl_free(text);
    return rc;
}

/* ---------------------------------------------------------------- the loaded config */

static void free_table(struct sl_table_config *t)
{
    sl_free(t->schema_name);
    sl_free(t->table_name);
    sl_free(t->partition_column);
}

void sl_config_free(struct sl_config *config)
{
    if (config == NULL)
        return;
    sl_free(config->lake);
    if (config->source.dsn != NULL) {
        explicit_bzero(config->source.dsn, strlen(config->source.dsn));
        sl_free(config->source.dsn);
    }
    sl_free(config->source.slot);
    sl_free(config->source.publication);
    free_table(&config->defaults);
    for (size_t i = 0; i < config->ntables; i++)
        free_table(&config->tables[i]);
    sl_free(config->tables);
    sl_free(config);
}

const struct sl_table_config *sl_config_find_table(const struct sl_config *config,
                                                   const char *schema, const char *table)
{
    for (size_t i = 0; i < config->ntables; i++) {
        const struct sl_table_config *t = &config->tables[i];
        if (strcmp(t->schema_name, schema) == 0 && strcmp(t->table_name, table) == 0)
            return t;
    }
    return NULL;
}

void sl_config_table(const struct sl_config *config, const char *schema, const char *table,
                     struct sl_table_config *out)
{
    const struct sl_table_config *found = sl_config_find_table(config, schema, table);
    if (found != NULL) {
        *out = *found;
        return;
    }
    *out = config->defaults;
    out->schema_name = out->table_name = NULL;
    out->partition_column = NULL;
    out->partition_kind = SL_HUDI_PARTITION_NONE;
}

void sl_config_write_options(const struct sl_table_config *t, struct sl_hudi_write_options *out)
{
    if (t->schema_name != NULL)
        out->database = t->schema_name;
    if (t->table_name != NULL)
        out->table_name = t->table_name;
    out->partition_column = t->partition_column;
    out->partition_kind = t->partition_column != NULL ? t->partition_kind : SL_HUDI_PARTITION_NONE;
    out->soft_deletes = t->soft_deletes;
    out->small_file_bytes = t->small_file_bytes > 0 ? t->small_file_bytes : 1;
    out->max_file_bytes = t->max_file_bytes;
    out->codec = t->codec;
}

/*
 * Table schemas from Relation messages and the catalog. A Relation message
 * says which columns are sent and their type OIDs; the catalog adds what
 * consumers need: type names with modifiers, NOT NULL, the primary key and
 * domains resolved to their base types.
 */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct column_source {
    const char *name;
    uint32_t type_oid;
    int32_t type_mod;
    bool identity_flag;
};

static int append_oid_array(struct sl_buf *buf, const struct column_source *columns, uint32_t n,
                            bool mods)
{
    int rc = sl_buf_putc(buf, '{');
    for (uint32_t i = 0; i < n && rc == SL_OK; i++) {
        if (mods)
            rc = sl_buf_printf(buf, "%s%d", i ? "," : "", (int)columns[i].type_mod);
        else
            rc = sl_buf_printf(buf, "%s%u", i ? "," : "", columns[i].type_oid);
    }
    if (rc == SL_OK)
        rc = sl_buf_putc(buf, '}');
    return rc;
}

/*
 * Type names as the catalog spells them (pg_type.typname: "int8", "varchar",
 * "timestamptz", a domain's or enum's own name) with the modifiers
 * format_type prints ("numeric(12,2)", "varchar(10)"); arrays as the element
 * type followed by "[]" ("int4[]"). Also the base type, domains resolved.
 */
static const char TYPES_SQL[] =
    "SELECT CASE WHEN et.oid IS NOT NULL THEN et.typname ELSE ty.typname END"
    "    || coalesce(substring(format_type(u.t, u.m) from '\\([^)]*\\)'), '')"
    "    || CASE WHEN et.oid IS NOT NULL THEN '[]' ELSE '' END, "
    "  (WITH RECURSIVE chain(oid, typtype, typbasetype, depth) AS ("
    "     SELECT b.oid, b.typtype, b.typbasetype, 0 FROM pg_type b WHERE b.oid = u.t"
    "     UNION ALL"
    "     SELECT b.oid, b.typtype, b.typbasetype, chain.depth + 1"
    "     FROM pg_type b JOIN chain ON b.oid = chain.typbasetype WHERE chain.typtype = 'd')"
    "   SELECT oid FROM chain ORDER BY depth DESC LIMIT 1) "
    "FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS u(t, m, ord) "
    "LEFT JOIN pg_type ty ON ty.oid = u.t "
    "LEFT JOIN pg_type et ON et.oid = ty.typelem AND ty.typcategory = 'A' AND ty.typlen = -1 "
    "ORDER BY u.ord";

static const char ATTRS_SQL[] =
    "SELECT a.attname, a.attnotnull,"
    "  coalesce(a.attnum = ANY(pk.indkey::int2[]), false),"
    "  coalesce(a.attnum = ANY(ri.indkey::int2[]), false) "
    "FROM pg_attribute a "
    "LEFT JOIN pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary "
    "LEFT JOIN pg_index ri ON ri.indrelid = a.attrelid AND ri.indisreplident "
    "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped";

/* Fills schema->columns from column sources plus catalog facts. */
static int decorate(PGconn *sql, struct sl_table_schema *schema,
                    const struct column_source *columns, struct sl_error *err)
{
    struct sl_buf oids, mods;
    PGresult *types = NULL, *attrs = NULL;
    char relid[16];
    bool has_pk = false;
    int rc;

    sl_buf_init(&oids, 1 << 20);
    sl_buf_init(&mods, 1 << 20);
    rc = append_oid_array(&oids, columns, schema->ncolumns, false);
    if (rc == SL_OK)
        rc = append_oid_array(&mods, columns, schema->ncolumns, true);
    if (rc != SL_OK) {
        rc = sl_error_set(err, rc, "cannot build the type query");
        goto fail;
    }
    const char *type_params[] = {oids.data, mods.data};
    rc = sl_pg_exec(sql, TYPES_SQL, 2, type_params, &types, err);
    if (rc != SL_OK)
        goto fail;
    snprintf(relid, sizeof(relid), "%u", schema->relid);
    const char *attr_params[] = {relid};
    rc = sl_pg_exec(sql, ATTRS_SQL, 1, attr_params, &attrs, err);
    if (rc != SL_OK)
        goto fail;
    if ((uint32_t)PQntuples(types) != schema->ncolumns) {
        rc = sl_error_set(err, SL_EPROTO, "type lookup returned %d rows for %u columns",
                          PQntuples(types), schema->ncolumns);
        goto fail;
    }
    for (int r = 0; r < PQntuples(attrs); r++)
        if (strcmp(PQgetvalue(attrs, r, 2), "t") == 0)
            has_pk = true;

    for (uint32_t i = 0; i < schema->ncolumns; i++) {
        struct sl_column *column = &schema->columns[i];
        column->name = sl_strdup(columns[i].name);
        column->type_name = sl_strdup(PQgetvalue(types, (int)i, 0));
        if (column->name == NULL || column->type_name == NULL) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        column->type_oid = columns[i].type_oid;
        column->type_mod = columns[i].type_mod;
        column->base_type_oid = PQgetisnull(types, (int)i, 1)
                                    ? columns[i].type_oid
                                    : (uint32_t)strtoul(PQgetvalue(types, (int)i, 1), NULL, 10);
        column->type_class = sl_type_class_of_oid(column->base_type_oid);
        column->nullable = true;
        column->key = false;
        for (int r = 0; r < PQntuples(attrs); r++) {
            if (strcmp(PQgetvalue(attrs, r, 0), column->name) != 0)
                continue;
            column->nullable = strcmp(PQgetvalue(attrs, r, 1), "t") != 0;
            if (has_pk)
                column->key = strcmp(PQgetvalue(attrs, r, 2), "t") == 0;
            else if (schema->replica_identity == 'i')
                column->key = columns[i].identity_flag;
            break;
        }
    }
fail:
    PQclear(types);
    PQclear(attrs);
    sl_buf_free(&oids);
    sl_buf_free(&mods);
    return rc;
}

int sl_pg_schema_from_relation(PGconn *sql, const struct sl_pgoutput_msg *relation,
                               struct sl_table_schema **out, struct sl_error *err)
{
    uint16_t n = relation->u.relation.ncolumns;
    struct sl_table_schema *schema = sl_table_schema_new(n);
    struct column_source *columns = sl_calloc(n, sizeof(*columns));
    int rc;

    if (schema == NULL || columns == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    schema->relid = relation->u.relation.relid;
    /* pgoutput sends an empty namespace for pg_catalog */
    schema->schema_name = sl_strdup(relation->u.relation.nspname[0] ? relation->u.relation.nspname
                                                                    : "pg_catalog");
    schema->table_name = sl_strdup(relation->u.relation.relname);
    schema->replica_identity = relation->u.relation.replica_identity;
    if (schema->schema_name == NULL || schema->table_name == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint16_t i = 0; i < n; i++) {
        columns[i].name = relation->u.relation.columns[i].name;
        columns[i].type_oid = relation->u.relation.columns[i].type_oid;
        columns[i].type_mod = relation->u.relation.columns[i].type_mod;
        columns[i].identity_flag = (relation->u.relation.columns[i].flags & 1) != 0;
    }
    rc = decorate(sql, schema, columns, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "cannot read the catalog for table %s.%s", schema->schema_name,
                        schema->table_name);
        goto fail;
    }
    sl_free(columns);
    *out = schema;
    return SL_OK;
fail:
    sl_free(columns);
    sl_table_schema_free(schema);
    return rc;
}

int sl_pg_schema_from_catalog(PGconn *sql, uint32_t relid, const char *column_list,
                              struct sl_table_schema **out, struct sl_error *err)
{
    char relid_text[16];
    const char *params[] = {relid_text, column_list};
    PGresult *rel = NULL, *cols = NULL;
    struct sl_table_schema *schema = NULL;
    struct column_source *columns = NULL;
    int rc;

    snprintf(relid_text, sizeof(relid_text), "%u", relid);
    rc = sl_pg_exec(sql,
                    "SELECT n.nspname, c.relname, c.relreplident FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
                    1, params, &rel, err);
    if (rc != SL_OK)
        goto fail;
    if (PQntuples(rel) != 1) {
        rc = sl_error_set(err, SL_ENOTFOUND, "table with OID %u does not exist", relid);
        goto fail;
    }
    rc = sl_pg_exec(sql,
                    PQserverVersion(sql) >= 120000
                        ? "SELECT a.attname, a.atttypid, a.atttypmod, "
                          "  coalesce(a.attnum = ANY(ri.indkey::int2[]), false) "
                          "FROM pg_attribute a "
                          "LEFT JOIN pg_index ri ON ri.indrelid = a.attrelid AND ri.indisreplident "
                          "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
                          "AND a.attgenerated = '' "
                          "AND ($2::name[] IS NULL OR a.attname = ANY($2::name[])) "
                          "ORDER BY a.attnum"
                        : "SELECT a.attname, a.atttypid, a.atttypmod, "
                          "  coalesce(a.attnum = ANY(ri.indkey::int2[]), false) "
                          "FROM pg_attribute a "
                          "LEFT JOIN pg_index ri ON ri.indrelid = a.attrelid AND ri.indisreplident "
                          "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
                          "AND ($2::name[] IS NULL OR a.attname = ANY($2::name[])) "
                          "ORDER BY a.attnum",
                    2, params, &cols, err);
    if (rc != SL_OK)
        goto fail;
    uint32_t n = (uint32_t)PQntuples(cols);
    schema = sl_table_schema_new(n);
    columns = sl_calloc(n, sizeof(*columns));
    if (schema == NULL || columns == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    schema->relid = relid;
    schema->schema_name = sl_strdup(PQgetvalue(rel, 0, 0));
    schema->table_name = sl_strdup(PQgetvalue(rel, 0, 1));
    schema->replica_identity = PQgetvalue(rel, 0, 2)[0];
    if (schema->schema_name == NULL || schema->table_name == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < n; i++) {
        columns[i].name = PQgetvalue(cols, (int)i, 0);
        columns[i].type_oid = (uint32_t)strtoul(PQgetvalue(cols, (int)i, 1), NULL, 10);
        columns[i].type_mod = (int32_t)strtol(PQgetvalue(cols, (int)i, 2), NULL, 10);
        columns[i].identity_flag = strcmp(PQgetvalue(cols, (int)i, 3), "t") == 0;
    }
    rc = decorate(sql, schema, columns, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "cannot read the catalog for table %s.%s", schema->schema_name,
                        schema->table_name);
        goto fail;
    }
    *out = schema;
    schema = NULL;
fail:
    sl_free(columns);
    sl_table_schema_free(schema);
    PQclear(rel);
    PQclear(cols);
    return rc;
}

int sl_pg_relation_update(struct sl_pg_source *source, struct sl_table_schema *schema,
                          struct sl_pg_relation **out, struct sl_error *err)
{
    struct sl_pg_relation *relation = sl_u64map_get(&source->relations, schema->relid);

    if (sl_change_json_prepare(schema) != SL_OK) {
        sl_table_schema_free(schema);
        return sl_error_set(err, SL_ENOMEM, "out of memory preparing a schema");
    }
    if (relation == NULL) {
        relation = sl_calloc(1, sizeof(*relation));
        if (relation == NULL || sl_u64map_put(&source->relations, schema->relid, relation) != SL_OK) {
            sl_free(relation);
            sl_table_schema_free(schema);
            return sl_error_set(err, SL_ENOMEM, "out of memory caching a relation");
        }
        schema->version = 1;
    } else if (sl_table_schema_same_columns(relation->schema, schema) &&
               relation->schema->replica_identity == schema->replica_identity) {
        sl_table_schema_free(schema); /* a repeat: keep the announced schema */
        *out = relation;
        return SL_OK;
    } else {
        schema->version = relation->schema->version + 1;
        sl_table_schema_free(relation->schema);
    }
    relation->schema = schema;
    relation->announced = false;
    if (schema->ncolumns > source->values_cap) {
        struct sl_value *before = sl_realloc(source->before_values, schema->ncolumns * sizeof(*before));
        if (before != NULL)
            source->before_values = before;
        struct sl_value *after = sl_realloc(source->after_values, schema->ncolumns * sizeof(*after));
        if (after != NULL)
            source->after_values = after;
        if (before == NULL || after == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        source->values_cap = schema->ncolumns;
    }
    *out = relation;
    return SL_OK;
}

/*
 * Table schemas and the mapping of PostgreSQL base types to type classes
 * (DESIGN.md section 6). A schema owns its strings.
 */
#include "sluice/change.h"

#include <string.h>

enum sl_type_class sl_type_class_of_oid(uint32_t oid)
{
    switch (oid) {
    case SL_PG_OID_BOOL: return SL_TYPE_BOOL;
    case SL_PG_OID_INT2: return SL_TYPE_INT2;
    case SL_PG_OID_INT4: return SL_TYPE_INT4;
    case SL_PG_OID_INT8: return SL_TYPE_INT8;
    case SL_PG_OID_FLOAT4: return SL_TYPE_FLOAT4;
    case SL_PG_OID_FLOAT8: return SL_TYPE_FLOAT8;
    case SL_PG_OID_NUMERIC: return SL_TYPE_NUMERIC;
    case SL_PG_OID_BYTEA: return SL_TYPE_BYTEA;
    case SL_PG_OID_DATE: return SL_TYPE_DATE;
    case SL_PG_OID_TIME: return SL_TYPE_TIME;
    case SL_PG_OID_TIMESTAMP: return SL_TYPE_TIMESTAMP;
    case SL_PG_OID_TIMESTAMPTZ: return SL_TYPE_TIMESTAMPTZ;
    case SL_PG_OID_UUID: return SL_TYPE_UUID;
    case SL_PG_OID_JSON: return SL_TYPE_JSON;
    case SL_PG_OID_JSONB: return SL_TYPE_JSONB;
    default: return SL_TYPE_TEXT;
    }
}

bool sl_type_class_is_json_literal(enum sl_type_class cls)
{
    switch (cls) {
    case SL_TYPE_BOOL:
    case SL_TYPE_INT2:
    case SL_TYPE_INT4:
    case SL_TYPE_INT8:
    case SL_TYPE_FLOAT4:
    case SL_TYPE_FLOAT8:
        return true;
    default:
        return false;
    }
}

struct sl_table_schema *sl_table_schema_new(uint32_t ncolumns)
{
    struct sl_table_schema *schema = sl_calloc(1, sizeof(*schema));
    if (schema == NULL)
        return NULL;
    schema->columns = sl_calloc(ncolumns, sizeof(*schema->columns));
    if (schema->columns == NULL) {
        sl_free(schema);
        return NULL;
    }
    schema->ncolumns = ncolumns;
    schema->replica_identity = 'd';
    return schema;
}

void sl_table_schema_clear_json(struct sl_table_schema *schema)
{
    if (schema->json_keys != NULL)
        for (uint32_t i = 0; i < schema->ncolumns; i++)
            sl_free(schema->json_keys[i]);
    sl_free(schema->json_keys);
    sl_free(schema->json_key_lens);
    sl_free(schema->json_names);
    schema->json_keys = NULL;
    schema->json_key_lens = NULL;
    schema->json_names = NULL;
}

void sl_table_schema_free(struct sl_table_schema *schema)
{
    if (schema == NULL)
        return;
    for (uint32_t i = 0; i < schema->ncolumns; i++) {
        sl_free(schema->columns[i].name);
        sl_free(schema->columns[i].type_name);
    }
    sl_table_schema_clear_json(schema);
    sl_free(schema->columns);
    sl_free(schema->schema_name);
    sl_free(schema->table_name);
    sl_free(schema);
}

static bool str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

bool sl_table_schema_same_columns(const struct sl_table_schema *a, const struct sl_table_schema *b)
{
    if (a->ncolumns != b->ncolumns || !str_eq(a->schema_name, b->schema_name) ||
        !str_eq(a->table_name, b->table_name))
        return false;
    for (uint32_t i = 0; i < a->ncolumns; i++) {
        const struct sl_column *x = &a->columns[i], *y = &b->columns[i];
        if (!str_eq(x->name, y->name) || !str_eq(x->type_name, y->type_name) ||
            x->type_oid != y->type_oid || x->type_mod != y->type_mod ||
            x->nullable != y->nullable || x->key != y->key)
            return false;
    }
    return true;
}

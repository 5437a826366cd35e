/*
 * The table schema as Hudi stores it: Avro record JSON in every commit
 * (extraMetadata.schema), in hoodie.table.create.schema and, with the five
 * meta fields first, in each base file's parquet.avro.schema footer. Writing
 * reproduces Spark's AvroConversionUtils output byte for byte (checked
 * against the Spark-written fixtures); reading keeps flat primitive and
 * logical fields typed and anything else by name with its type JSON.
 */
#include "hudi/hudi_format.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const META_FIELDS[] = {"_hoodie_commit_time", "_hoodie_commit_seqno",
                                          "_hoodie_record_key", "_hoodie_partition_path",
                                          "_hoodie_file_name"};
/* Written only with hoodie.allow.operation.metadata.field; skipped like the others. */
#define OPERATION_META_FIELD "_hoodie_operation"

/* ---------------------------------------------------------------- lifecycle */

void sl_hudi_schema_free(struct sl_hudi_schema *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->nfields && s->fields != NULL; i++) {
        sl_free(s->fields[i].name);
        sl_free(s->fields[i].avro_json);
    }
    sl_free(s->fields);
    sl_free(s->record_name);
    sl_free(s->namespace_name);
    sl_free(s);
}

struct sl_hudi_schema *sl_hudi_schema_new(uint32_t nfields)
{
    struct sl_hudi_schema *s = sl_calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    if (nfields > 0) {
        s->fields = sl_calloc(nfields, sizeof(*s->fields));
        if (s->fields == NULL) {
            sl_free(s);
            return NULL;
        }
    }
    s->nfields = nfields;
    return s;
}

static int dup_or_null(const char *src, char **dst)
{
    *dst = NULL;
    if (src == NULL)
        return SL_OK;
    *dst = sl_strdup(src);
    return *dst == NULL ? SL_ENOMEM : SL_OK;
}

int sl_hudi_schema_copy(const struct sl_hudi_schema *src, struct sl_hudi_schema **out)
{
    struct sl_hudi_schema *copy = NULL;

    if (src == NULL || out == NULL)
        return SL_EINVAL;
    *out = NULL;
    copy = sl_hudi_schema_new(src->nfields);
    if (copy == NULL)
        goto fail;
    if (dup_or_null(src->record_name, &copy->record_name) != SL_OK ||
        dup_or_null(src->namespace_name, &copy->namespace_name) != SL_OK)
        goto fail;
    for (uint32_t i = 0; i < src->nfields; i++) {
        copy->fields[i] = src->fields[i];
        copy->fields[i].name = NULL;
        copy->fields[i].avro_json = NULL;
        if (dup_or_null(src->fields[i].name, &copy->fields[i].name) != SL_OK ||
            dup_or_null(src->fields[i].avro_json, &copy->fields[i].avro_json) != SL_OK)
            goto fail;
    }
    *out = copy;
    return SL_OK;
fail:
    sl_hudi_schema_free(copy);
    return SL_ENOMEM;
}

int sl_hudi_schema_set_table(struct sl_hudi_schema *s, const char *table)
{
    struct sl_buf record, ns;
    int rc;

    if (s == NULL || table == NULL)
        return SL_EINVAL;
    sl_buf_init(&record, SIZE_MAX);
    sl_buf_init(&ns, SIZE_MAX);
    if ((rc = sl_buf_printf(&record, "%s_record", table)) != SL_OK ||
        (rc = sl_buf_printf(&ns, "hoodie.%s", table)) != SL_OK)
        goto fail;
    sl_free(s->record_name);
    sl_free(s->namespace_name);
    s->record_name = sl_buf_detach(&record);
    s->namespace_name = sl_buf_detach(&ns);
    if (s->record_name == NULL || s->namespace_name == NULL)
        return SL_ENOMEM;
    return SL_OK;
fail:
    sl_buf_free(&record);
    sl_buf_free(&ns);
    return rc;
}

const char *sl_hudi_type_name(enum sl_hudi_type type)
{
    switch (type) {
    case SL_HUDI_BOOLEAN:
        return "boolean";
    case SL_HUDI_INT:
        return "int";
    case SL_HUDI_LONG:
        return "long";
    case SL_HUDI_FLOAT:
        return "float";
    case SL_HUDI_DOUBLE:
        return "double";
    case SL_HUDI_STRING:
        return "string";
    case SL_HUDI_BYTES:
        return "bytes";
    case SL_HUDI_DECIMAL:
        return "decimal";
    case SL_HUDI_DATE:
        return "date";
    case SL_HUDI_TIMESTAMP_MICROS:
        return "timestamp-micros";
    case SL_HUDI_TIMESTAMP_MILLIS:
        return "timestamp-millis";
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        return "local-timestamp-micros";
    case SL_HUDI_UNSUPPORTED:
        return "unsupported";
    }
    return "unknown";
}

/* ---------------------------------------------------------------- writing */

/* Bytes of the fixed holding a decimal of precision 1..38 (Spark's minBytesForPrecision). */
static int32_t decimal_fixed_size(int32_t precision)
{
    static const uint8_t bytes[39] = {0,  1,  1,  2,  2,  3,  3,  4,  4,  4,  5,  5,  6,
                                      6,  6,  7,  7,  8,  8,  9,  9,  9,  10, 10, 11, 11,
                                      11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};
    return precision >= 1 && precision <= 38 ? bytes[precision] : 0;
}

static bool is_avro_name(const char *name)
{
    if (name == NULL || !((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') ||
                          *name == '_'))
        return false;
    for (const char *p = name + 1; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

/* A dotted Avro full name or namespace: names joined with '.'. */
static bool is_avro_dotted(const char *name)
{
    char part[256];
    const char *p = name;

    if (name == NULL || *name == '\0')
        return false;
    while (*p != '\0') {
        size_t n = strcspn(p, ".");
        if (n == 0 || n >= sizeof(part))
            return false;
        memcpy(part, p, n);
        part[n] = '\0';
        if (!is_avro_name(part))
            return false;
        p += n;
        if (*p == '.' && *++p == '\0')
            return false;
    }
    return true;
}

static int put_type(const struct sl_hudi_schema *s, const struct sl_hudi_field *f,
                    struct sl_buf *out, struct sl_error *err)
{
    int32_t size;

    switch (f->type) {
    case SL_HUDI_BOOLEAN:
    case SL_HUDI_INT:
    case SL_HUDI_LONG:
    case SL_HUDI_FLOAT:
    case SL_HUDI_DOUBLE:
    case SL_HUDI_STRING:
    case SL_HUDI_BYTES:
        return sl_buf_printf(out, "\"%s\"", sl_hudi_type_name(f->type));
    case SL_HUDI_DATE:
        return sl_buf_append_str(out, "{\"type\":\"int\",\"logicalType\":\"date\"}");
    case SL_HUDI_TIMESTAMP_MICROS:
    case SL_HUDI_TIMESTAMP_MILLIS:
    case SL_HUDI_LOCAL_TIMESTAMP_MICROS:
        return sl_buf_printf(out, "{\"type\":\"long\",\"logicalType\":\"%s\"}",
                             sl_hudi_type_name(f->type));
    case SL_HUDI_DECIMAL:
        size = f->fixed_size > 0 ? f->fixed_size : decimal_fixed_size(f->precision);
        if (f->precision < 1 || f->scale < 0 || f->scale > f->precision || size <= 0)
            return sl_error_set(err, SL_EINVAL,
                                "column \"%s\": decimal(%d,%d) cannot be written as Avro: precision "
                                "must be 1..38 and scale 0..precision",
                                f->name, (int)f->precision, (int)f->scale);
        return sl_buf_printf(out,
                             "{\"type\":\"fixed\",\"name\":\"fixed\",\"namespace\":\"%s%s%s.%s\","
                             "\"size\":%d,\"logicalType\":\"decimal\",\"precision\":%d,"
                             "\"scale\":%d}",
                             s->namespace_name && *s->namespace_name ? s->namespace_name : "",
                             s->namespace_name && *s->namespace_name ? "." : "", s->record_name,
                             f->name, (int)size, (int)f->precision, (int)f->scale);
    case SL_HUDI_UNSUPPORTED: {
        json_error_t jerr;
        json_t *check;
        if (f->avro_json == NULL)
            return sl_error_set(err, SL_EINVAL,
                                "column \"%s\" has an unsupported type and no Avro type JSON to "
                                "write",
                                f->name);
        check = json_loads(f->avro_json, JSON_DECODE_ANY, &jerr);
        if (check == NULL)
            return sl_error_set(err, SL_EINVAL, "column \"%s\": its Avro type JSON is invalid: %s",
                                f->name, jerr.text);
        json_decref(check);
        return sl_buf_append_str(out, f->avro_json);
    }
    }
    return sl_error_set(err, SL_EINVAL, "column \"%s\" has an unknown type %d", f->name,
                        (int)f->type);
}

int sl_hudi_schema_to_avro(const struct sl_hudi_schema *s, bool with_meta_fields, struct sl_buf *out,
                           struct sl_error *err)
{
    size_t start;
    int rc;

    if (s == NULL || out == NULL)
        return sl_error_set(err, SL_EINVAL, "no schema or output buffer given");
    if (!is_avro_dotted(s->record_name))
        return sl_error_set(err, SL_EINVAL,
                            "record name \"%s\" is not a valid Avro name (letters, digits, '_', "
                            "not starting with a digit): rename the table",
                            s->record_name ? s->record_name : "(none)");
    if (s->namespace_name != NULL && *s->namespace_name != '\0' &&
        !is_avro_dotted(s->namespace_name))
        return sl_error_set(err, SL_EINVAL,
                            "namespace \"%s\" is not a valid Avro namespace: rename the table",
                            s->namespace_name);
    start = out->len;
    rc = sl_buf_printf(out, "{\"type\":\"record\",\"name\":\"%s\"", s->record_name);
    if (rc == SL_OK && s->namespace_name != NULL && *s->namespace_name != '\0')
        rc = sl_buf_printf(out, ",\"namespace\":\"%s\"", s->namespace_name);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"fields\":[");
    for (size_t i = 0; with_meta_fields && i < SL_ARRAY_LEN(META_FIELDS) && rc == SL_OK; i++)
        rc = sl_buf_printf(out,
                           "%s{\"name\":\"%s\",\"type\":[\"null\",\"string\"],\"doc\":\"\","
                           "\"default\":null}",
                           i > 0 ? "," : "", META_FIELDS[i]);
    for (uint32_t i = 0; i < s->nfields && rc == SL_OK; i++) {
        const struct sl_hudi_field *f = &s->fields[i];
        if (!is_avro_name(f->name)) {
            rc = sl_error_set(err, SL_EINVAL,
                              "column \"%s\" is not a valid Avro field name (letters, digits, '_', "
                              "not starting with a digit): Hudi readers cannot parse the schema; "
                              "rename the column",
                              f->name ? f->name : "(none)");
            goto fail;
        }
        rc = sl_buf_printf(out, "%s{\"name\":\"%s\",\"type\":", (i > 0 || with_meta_fields) ? "," : "",
                           f->name);
        if (rc == SL_OK && f->nullable)
            rc = sl_buf_append_str(out, "[\"null\",");
        if (rc == SL_OK && (rc = put_type(s, f, out, err)) != SL_OK && rc != SL_ENOMEM &&
            rc != SL_ELIMIT)
            goto fail;
        if (rc == SL_OK && f->nullable)
            rc = sl_buf_append_str(out, "],\"default\":null");
        if (rc == SL_OK)
            rc = sl_buf_putc(out, '}');
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "]}");
    if (rc != SL_OK) {
        sl_error_set(err, rc, "Avro schema text too large");
        goto fail;
    }
    return SL_OK;
fail:
    out->len = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return rc;
}

/* ---------------------------------------------------------------- reading */

static bool is_meta_field(const char *name)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(META_FIELDS); i++)
        if (strcmp(name, META_FIELDS[i]) == 0)
            return true;
    return strcmp(name, OPERATION_META_FIELD) == 0;
}

static bool json_is_str(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* The type of one non-union Avro type JSON; UNSUPPORTED when sluice does not map it. */
static enum sl_hudi_type classify(const json_t *type, struct sl_hudi_field *f)
{
    static const struct {
        const char *name;
        enum sl_hudi_type type;
    } primitives[] = {{"boolean", SL_HUDI_BOOLEAN}, {"int", SL_HUDI_INT},
                      {"long", SL_HUDI_LONG},       {"float", SL_HUDI_FLOAT},
                      {"double", SL_HUDI_DOUBLE},   {"string", SL_HUDI_STRING},
                      {"bytes", SL_HUDI_BYTES}};
    const json_t *name = type, *logical = NULL;

    if (json_is_object(type)) {
        name = json_object_get(type, "type");
        logical = json_object_get(type, "logicalType");
    }
    if (!json_is_string(name))
        return SL_HUDI_UNSUPPORTED;
    if (logical == NULL) {
        for (size_t i = 0; i < SL_ARRAY_LEN(primitives); i++)
            if (json_is_str(name, primitives[i].name))
                return primitives[i].type;
        return SL_HUDI_UNSUPPORTED;
    }
    if (json_is_str(name, "int") && json_is_str(logical, "date"))
        return SL_HUDI_DATE;
    if (json_is_str(name, "long") && json_is_str(logical, "timestamp-micros"))
        return SL_HUDI_TIMESTAMP_MICROS;
    if (json_is_str(name, "long") && json_is_str(logical, "timestamp-millis"))
        return SL_HUDI_TIMESTAMP_MILLIS;
    if (json_is_str(name, "long") && json_is_str(logical, "local-timestamp-micros"))
        return SL_HUDI_LOCAL_TIMESTAMP_MICROS;
    if (json_is_str(name, "fixed") && json_is_str(logical, "decimal")) {
        const json_t *p = json_object_get(type, "precision"), *sc = json_object_get(type, "scale");
        const json_t *size = json_object_get(type, "size");
        json_int_t precision = json_is_integer(p) ? json_integer_value(p) : 0;
        json_int_t scale = sc == NULL ? 0 : json_is_integer(sc) ? json_integer_value(sc) : -1;
        json_int_t bytes = json_is_integer(size) ? json_integer_value(size) : 0;
        if (precision < 1 || precision > 1000 || scale < 0 || scale > precision || bytes < 1 ||
            bytes > 1000)
            return SL_HUDI_UNSUPPORTED;
        f->precision = (int32_t)precision;
        f->scale = (int32_t)scale;
        f->fixed_size = (int32_t)bytes;
        return SL_HUDI_DECIMAL;
    }
    return SL_HUDI_UNSUPPORTED;
}

static int parse_field(const json_t *jf, uint32_t index, struct sl_hudi_field *f,
                       struct sl_error *err)
{
    const json_t *jname = json_object_get(jf, "name"), *type = json_object_get(jf, "type");
    const json_t *branch = type;
    char *dumped;

    f->nullable = false;
    if (json_is_array(type)) {
        const json_t *a = json_array_get(type, 0), *b = json_array_get(type, 1);
        branch = NULL;
        if (json_array_size(type) == 2 && json_is_str(a, "null") && !json_is_str(b, "null"))
            branch = b;
        else if (json_array_size(type) == 2 && json_is_str(b, "null") && !json_is_str(a, "null"))
            branch = a;
        if (branch != NULL)
            f->nullable = true;
        else
            branch = type; /* another union: kept whole */
    }
    if (type == NULL)
        return sl_error_set(err, SL_EPROTO, "Avro field %u (\"%s\") has no type", index,
                            json_string_value(jname));
    f->type = json_is_array(branch) ? SL_HUDI_UNSUPPORTED : classify(branch, f);
    dumped = json_dumps(branch, JSON_COMPACT | JSON_ENCODE_ANY);
    if (dumped == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory reading an Avro schema");
    f->avro_json = sl_strdup(dumped);
    free(dumped);
    f->name = sl_strndup(json_string_value(jname), json_string_length(jname));
    if (f->avro_json == NULL || f->name == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory reading an Avro schema");
    return SL_OK;
}

int sl_hudi_schema_from_avro(const char *json, size_t len, struct sl_hudi_schema **out,
                             struct sl_error *err)
{
    struct sl_hudi_schema *s = NULL;
    json_t *root = NULL;
    const json_t *fields, *name, *ns;
    json_error_t jerr;
    uint32_t n = 0;
    size_t i;
    int rc;

    if (out == NULL || (json == NULL && len > 0))
        return sl_error_set(err, SL_EINVAL, "no Avro schema text or output given");
    *out = NULL;
    root = json_loadb(json ? json : "", len, 0, &jerr);
    if (root == NULL) {
        rc = sl_error_set(err, SL_EPROTO, "Avro schema is not valid JSON (line %d column %d): %s",
                          jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    fields = json_object_get(root, "fields");
    name = json_object_get(root, "name");
    ns = json_object_get(root, "namespace");
    if (!json_is_str(json_object_get(root, "type"), "record") || !json_is_array(fields) ||
        !json_is_string(name) || (ns != NULL && !json_is_string(ns) && !json_is_null(ns))) {
        rc = sl_error_set(err, SL_EPROTO,
                          "Avro schema is not a record with a name and fields: Hudi table "
                          "schemas are records");
        goto fail;
    }
    for (i = 0; i < json_array_size(fields); i++) {
        const json_t *jf = json_array_get(fields, i), *jname = json_object_get(jf, "name");
        if (!json_is_object(jf) || !json_is_string(jname) || json_string_length(jname) == 0 ||
            strlen(json_string_value(jname)) != json_string_length(jname)) {
            rc = sl_error_set(err, SL_EPROTO, "Avro field %zu has no usable name", i);
            goto fail;
        }
        if (!is_meta_field(json_string_value(jname)))
            n++;
    }
    if ((s = sl_hudi_schema_new(n)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory reading an Avro schema");
        goto fail;
    }
    s->record_name = sl_strndup(json_string_value(name), json_string_length(name));
    if (json_is_string(ns))
        s->namespace_name = sl_strndup(json_string_value(ns), json_string_length(ns));
    if (s->record_name == NULL || (json_is_string(ns) && s->namespace_name == NULL)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory reading an Avro schema");
        goto fail;
    }
    n = 0;
    for (i = 0; i < json_array_size(fields); i++) {
        const json_t *jf = json_array_get(fields, i);
        if (is_meta_field(json_string_value(json_object_get(jf, "name"))))
            continue;
        if ((rc = parse_field(jf, (uint32_t)i, &s->fields[n], err)) != SL_OK)
            goto fail;
        for (uint32_t k = 0; k < n; k++) {
            if (strcmp(s->fields[k].name, s->fields[n].name) == 0) {
                rc = sl_error_set(err, SL_EPROTO, "Avro schema has field \"%s\" twice",
                                  s->fields[n].name);
                goto fail;
            }
        }
        n++;
    }
    json_decref(root);
    *out = s;
    return SL_OK;
fail:
    json_decref(root);
    sl_hudi_schema_free(s);
    return rc;
}

/* ---------------------------------------------------------------- evolution */

static bool promotable(enum sl_hudi_type from, enum sl_hudi_type to)
{
    switch (from) {
    case SL_HUDI_INT:
        return to == SL_HUDI_LONG || to == SL_HUDI_FLOAT || to == SL_HUDI_DOUBLE ||
               to == SL_HUDI_STRING;
    case SL_HUDI_LONG:
        return to == SL_HUDI_FLOAT || to == SL_HUDI_DOUBLE || to == SL_HUDI_STRING;
    case SL_HUDI_FLOAT:
        return to == SL_HUDI_DOUBLE || to == SL_HUDI_STRING;
    default:
        return false;
    }
}

static void describe(const struct sl_hudi_field *f, char *text, size_t cap)
{
    if (f->type == SL_HUDI_DECIMAL)
        snprintf(text, cap, "decimal(%d,%d)", (int)f->precision, (int)f->scale);
    else if (f->type == SL_HUDI_UNSUPPORTED && f->avro_json != NULL)
        snprintf(text, cap, "%.120s", f->avro_json);
    else
        snprintf(text, cap, "%s", sl_hudi_type_name(f->type));
}

int sl_hudi_schema_check_evolution(const struct sl_hudi_schema *prev,
                                   const struct sl_hudi_schema *next, const char *table,
                                   struct sl_error *err)
{
    const char *t = table ? table : "(table)";
    char before[160], after[160];

    if (prev == NULL || next == NULL)
        return sl_error_set(err, SL_EINVAL, "table %s: no schema given to compare", t);
    if (next->nfields < prev->nfields)
        return sl_error_set(err, SL_EINVAL,
                            "table %s: column \"%s\" was dropped: Hudi tables cannot drop columns "
                            "without schema-on-read; keep the column (it will be null) or "
                            "recreate the table",
                            t, prev->fields[next->nfields].name);
    for (uint32_t i = 0; i < prev->nfields; i++) {
        const struct sl_hudi_field *a = &prev->fields[i], *b = &next->fields[i];
        bool same;
        if (a->name == NULL || b->name == NULL || strcmp(a->name, b->name) != 0)
            return sl_error_set(err, SL_EINVAL,
                                "table %s: column %u changed from \"%s\" to \"%s\": renaming or "
                                "reordering columns is not a compatible Hudi schema change",
                                t, i + 1, a->name ? a->name : "", b->name ? b->name : "");
        describe(a, before, sizeof(before));
        describe(b, after, sizeof(after));
        if (a->type == SL_HUDI_DECIMAL)
            same = b->type == SL_HUDI_DECIMAL && a->precision == b->precision &&
                   a->scale == b->scale &&
                   (a->fixed_size == 0 || b->fixed_size == 0 || a->fixed_size == b->fixed_size);
        else if (a->type == SL_HUDI_UNSUPPORTED)
            same = b->type == SL_HUDI_UNSUPPORTED && a->avro_json != NULL &&
                   b->avro_json != NULL && strcmp(a->avro_json, b->avro_json) == 0;
        else
            same = a->type == b->type;
        if (!same && !promotable(a->type, b->type))
            return sl_error_set(err, SL_EINVAL,
                                "table %s: column \"%s\" cannot change type from %s to %s: Hudi "
                                "allows only int->long/float/double/string, "
                                "long->float/double/string and float->double/string",
                                t, a->name, before, after);
        if (a->nullable && !b->nullable)
            return sl_error_set(err, SL_EINVAL,
                                "table %s: column \"%s\" (%s) cannot become NOT NULL: rows already "
                                "written may hold nulls",
                                t, a->name, after);
    }
    for (uint32_t i = prev->nfields; i < next->nfields; i++) {
        const struct sl_hudi_field *b = &next->fields[i];
        for (uint32_t k = 0; k < prev->nfields; k++)
            if (b->name != NULL && strcmp(prev->fields[k].name, b->name) == 0)
                return sl_error_set(err, SL_EINVAL, "table %s: column \"%s\" appears twice", t,
                                    b->name);
        if (!b->nullable) {
            describe(b, after, sizeof(after));
            return sl_error_set(err, SL_EINVAL,
                                "table %s: new column \"%s\" (%s) must be nullable: files written "
                                "before it read it as null",
                                t, b->name ? b->name : "", after);
        }
    }
    return SL_OK;
}

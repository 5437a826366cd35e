/*
 * Avro read side (avro.h): a schema parser into a small graph of nodes, a
 * decoder of the binary encoding that walks that graph, and the object
 * container file around it (header, codecs, blocks, sync markers). Every
 * read checks what is left first; counts are checked against the bytes left
 * and the smallest encoding of their items; values and decompressed blocks
 * are charged to one memory budget.
 */
#include "hudi/avro.h"

#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define SYNC_LEN 16
#define VALUE_COST 64 /* estimated bytes of one decoded json_t (and its slot in a container) */
#define MAX_FIXED_SIZE ((uint64_t)INT32_MAX)

static const uint8_t magic[4] = {'O', 'b', 'j', 1};

void sl_avro_limits_default(struct sl_avro_limits *out)
{
    out->max_depth = SL_AVRO_DEFAULT_MAX_DEPTH;
    out->max_memory = SL_AVRO_DEFAULT_MAX_MEMORY;
}

static struct sl_avro_limits limits_or_default(const struct sl_avro_limits *limits)
{
    struct sl_avro_limits l;
    if (limits != NULL)
        return *limits;
    sl_avro_limits_default(&l);
    return l;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += n + 1;
    }
    return true;
}

/* ================================================================ schemas */

enum kind {
    K_NULL = 0,
    K_BOOLEAN,
    K_INT,
    K_LONG,
    K_FLOAT,
    K_DOUBLE,
    K_BYTES,
    K_STRING,
    K_RECORD,
    K_ENUM,
    K_ARRAY,
    K_MAP,
    K_UNION,
    K_FIXED,
};

static const char *const kind_names[] = {
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
    "record", "enum", "array", "map", "union", "fixed",
};

/* One type. Named types are shared by every reference to them, so the
 * graph may have cycles (a record that refers to itself); the schema owns
 * every node through its list. */
struct node {
    enum kind kind;
    char *name;          /* full name of a record, enum or fixed; NULL otherwise */
    uint32_t n;          /* record fields, union branches, enum symbols; 1 for array/map */
    struct node **types; /* field types, branches, items (array) or values (map) */
    char **names;        /* field names (record), symbols (enum) */
    uint64_t size;       /* fixed */
    size_t min_bytes;    /* the smallest encoding of a value of this type */
};

struct sl_avro_schema {
    struct node **nodes;
    size_t count, cap;
    struct node *root;
};

struct parser {
    struct sl_avro_schema *schema;
    uint32_t max_depth;
    struct sl_error *err;
};

static void node_free(struct node *n)
{
    if (n == NULL)
        return;
    sl_free(n->name);
    if (n->names != NULL)
        for (uint32_t i = 0; i < n->n; i++)
            sl_free(n->names[i]);
    sl_free(n->names);
    sl_free(n->types);
    sl_free(n);
}

void sl_avro_schema_free(struct sl_avro_schema *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++)
        node_free(s->nodes[i]);
    sl_free(s->nodes);
    sl_free(s);
}

const char *sl_avro_schema_name(const struct sl_avro_schema *s)
{
    return s->root->name != NULL ? s->root->name : kind_names[s->root->kind];
}

static int oom(struct parser *p)
{
    return sl_error_set(p->err, SL_ENOMEM, "out of memory parsing an Avro schema");
}

/* A new node owned by the schema. */
static int new_node(struct parser *p, enum kind kind, struct node **out)
{
    struct sl_avro_schema *s = p->schema;
    struct node *n;

    if (sl_array_grow((void **)&s->nodes, &s->cap, s->count + 1, sizeof(*s->nodes)) != SL_OK)
        return oom(p);
    n = sl_calloc(1, sizeof(*n));
    if (n == NULL)
        return oom(p);
    n->kind = kind;
    s->nodes[s->count++] = n;
    *out = n;
    return SL_OK;
}

static bool primitive_kind(const char *name, enum kind *out)
{
    for (int k = K_NULL; k <= K_STRING; k++)
        if (strcmp(kind_names[k], name) == 0) {
            *out = (enum kind)k;
            return true;
        }
    return false;
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static void set_min_bytes(struct node *n)
{
    switch (n->kind) {
    case K_NULL: n->min_bytes = 0; break;
    case K_FLOAT: n->min_bytes = 4; break;
    case K_DOUBLE: n->min_bytes = 8; break;
    case K_FIXED: n->min_bytes = (size_t)n->size; break;
    case K_RECORD:
        /* a field whose record is still being parsed (recursion) counts 0 */
        n->min_bytes = 0;
        for (uint32_t i = 0; i < n->n; i++)
            n->min_bytes = add_sat(n->min_bytes, n->types[i]->min_bytes);
        break;
    case K_UNION: {
        size_t least = n->n > 0 ? SIZE_MAX : 0;
        for (uint32_t i = 0; i < n->n; i++)
            least = SL_MIN(least, n->types[i]->min_bytes);
        n->min_bytes = add_sat(1, least);
        break;
    }
    default: n->min_bytes = 1; break; /* a varint, a length, a count or a boolean byte */
    }
}

static struct node *lookup_name(const struct sl_avro_schema *s, const char *full)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->nodes[i]->name != NULL && strcmp(s->nodes[i]->name, full) == 0)
            return s->nodes[i];
    return NULL;
}

/* "ns.name" (or name alone when ns is empty or name is already dotted). Caller owns *out. */
static int full_name(struct parser *p, const char *ns, const char *name, char **out)
{
    size_t ns_len = ns != NULL ? strlen(ns) : 0, name_len = strlen(name);
    if (strchr(name, '.') != NULL || ns_len == 0) {
        *out = sl_strdup(name);
        return *out != NULL ? SL_OK : oom(p);
    }
    *out = sl_malloc(ns_len + name_len + 2);
    if (*out == NULL)
        return oom(p);
    memcpy(*out, ns, ns_len);
    (*out)[ns_len] = '.';
    memcpy(*out + ns_len + 1, name, name_len + 1);
    return SL_OK;
}

/* A reference to a named type defined earlier (or being defined: recursion). */
static int resolve_reference(struct parser *p, const char *name, const char *ns, struct node **out)
{
    char *full = NULL;
    int rc = full_name(p, ns, name, &full);
    if (rc != SL_OK)
        return rc;
    *out = lookup_name(p->schema, full);
    if (*out == NULL && strcmp(full, name) != 0)
        *out = lookup_name(p->schema, name); /* a name of the null namespace */
    sl_free(full);
    if (*out == NULL)
        return sl_error_set(p->err, SL_EPROTO,
                            "Avro schema: unknown type '%s' (types must be defined before use)",
                            name);
    return SL_OK;
}

static int parse_type(struct parser *p, json_t *j, const char *ns, uint32_t depth,
                      struct node **out);

/* Name, namespace and full name of a record, enum or fixed; registers it. */
static int define_named(struct parser *p, json_t *j, const char *ns, struct node *n)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    json_t *ns_json = json_object_get(j, "namespace");
    const char *own_ns = ns;
    int rc;

    if (name == NULL || name[0] == '\0')
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: a %s without a name",
                            kind_names[n->kind]);
    if (ns_json != NULL && !json_is_null(ns_json)) {
        if (!json_is_string(ns_json))
            return sl_error_set(p->err, SL_EPROTO, "Avro schema: the namespace of %s is not a string",
                                name);
        own_ns = json_string_value(ns_json);
    }
    rc = full_name(p, own_ns, name, &n->name);
    if (rc != SL_OK)
        return rc;
    if (lookup_name(p->schema, n->name) != n)
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: type '%s' is defined twice", n->name);
    return SL_OK;
}

/* The namespace part of a full name (caller owns *out; "" when none). */
static int namespace_of(struct parser *p, const char *full, char **out)
{
    const char *dot = strrchr(full, '.');
    *out = sl_strndup(full, dot != NULL ? (size_t)(dot - full) : 0);
    return *out != NULL ? SL_OK : oom(p);
}

static int parse_record(struct parser *p, json_t *j, const char *ns, uint32_t depth,
                        struct node *n)
{
    char *own_ns = NULL; /* names inside the record resolve in its full name's namespace */
    json_t *fields = json_object_get(j, "fields");
    size_t i;
    json_t *f;
    int rc = define_named(p, j, ns, n);

    if (rc != SL_OK)
        return rc;
    if (!json_is_array(fields))
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: record %s has no list of fields",
                            n->name);
    if (json_array_size(fields) > UINT32_MAX - 1)
        return sl_error_set(p->err, SL_ELIMIT, "Avro schema: record %s has too many fields",
                            n->name);
    if ((rc = namespace_of(p, n->name, &own_ns)) != SL_OK)
        return rc;
    size_t count = json_array_size(fields);
    n->types = sl_calloc(count ? count : 1, sizeof(*n->types));
    n->names = sl_calloc(count ? count : 1, sizeof(*n->names));
    if (n->types == NULL || n->names == NULL) {
        rc = oom(p);
        goto done;
    }
    json_array_foreach(fields, i, f) {
        const char *fname = json_string_value(json_object_get(f, "name"));
        json_t *ftype = json_object_get(f, "type");
        if (!json_is_object(f) || fname == NULL || ftype == NULL) {
            rc = sl_error_set(p->err, SL_EPROTO,
                              "Avro schema: field %zu of record %s needs a name and a type", i,
                              n->name);
            goto done;
        }
        for (uint32_t k = 0; k < n->n; k++)
            if (strcmp(n->names[k], fname) == 0) {
                rc = sl_error_set(p->err, SL_EPROTO,
                                  "Avro schema: record %s has two fields named '%s'", n->name,
                                  fname);
                goto done;
            }
        if ((n->names[n->n] = sl_strdup(fname)) == NULL) {
            rc = oom(p);
            goto done;
        }
        n->n++; /* counted now so the name is freed with the node on failure */
        rc = parse_type(p, ftype, own_ns, depth + 1, &n->types[n->n - 1]);
        if (rc != SL_OK) {
            sl_error_prefix(p->err, "field %s.%s", n->name, fname);
            goto done;
        }
    }
done:
    sl_free(own_ns);
    return rc;
}

static int parse_enum(struct parser *p, json_t *j, const char *ns, struct node *n)
{
    json_t *symbols = json_object_get(j, "symbols");
    size_t i;
    json_t *sym;
    int rc = define_named(p, j, ns, n);

    if (rc != SL_OK)
        return rc;
    if (!json_is_array(symbols) || json_array_size(symbols) > INT32_MAX)
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: enum %s has no list of symbols",
                            n->name);
    n->names = sl_calloc(json_array_size(symbols) + 1, sizeof(*n->names));
    if (n->names == NULL)
        return oom(p);
    json_array_foreach(symbols, i, sym) {
        if (!json_is_string(sym))
            return sl_error_set(p->err, SL_EPROTO, "Avro schema: symbol %zu of enum %s is not a string",
                                i, n->name);
        if ((n->names[n->n] = sl_strndup(json_string_value(sym), json_string_length(sym))) == NULL)
            return oom(p);
        n->n++;
    }
    return SL_OK;
}

static int parse_fixed(struct parser *p, json_t *j, const char *ns, struct node *n)
{
    json_t *size = json_object_get(j, "size");
    int rc = define_named(p, j, ns, n);

    if (rc != SL_OK)
        return rc;
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        (uint64_t)json_integer_value(size) > MAX_FIXED_SIZE)
        return sl_error_set(p->err, SL_EPROTO,
                            "Avro schema: fixed %s needs a size from 0 to %u", n->name,
                            (unsigned)INT32_MAX);
    n->size = (uint64_t)json_integer_value(size);
    return SL_OK;
}

/* items (array) or values (map) */
static int parse_container_type(struct parser *p, json_t *j, const char *ns, uint32_t depth,
                                struct node *n, const char *member)
{
    json_t *inner = json_object_get(j, member);
    if (inner == NULL)
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: %s without \"%s\"",
                            kind_names[n->kind], member);
    n->types = sl_calloc(1, sizeof(*n->types));
    if (n->types == NULL)
        return oom(p);
    n->n = 1;
    return parse_type(p, inner, ns, depth + 1, &n->types[0]);
}

static int parse_union(struct parser *p, json_t *j, const char *ns, uint32_t depth,
                       struct node *n)
{
    size_t i;
    json_t *branch;

    if (json_array_size(j) > INT32_MAX)
        return sl_error_set(p->err, SL_ELIMIT, "Avro schema: a union with too many branches");
    n->types = sl_calloc(json_array_size(j) + 1, sizeof(*n->types));
    if (n->types == NULL)
        return oom(p);
    json_array_foreach(j, i, branch) {
        int rc;
        if (json_is_array(branch))
            return sl_error_set(p->err, SL_EPROTO, "Avro schema: a union directly inside a union");
        rc = parse_type(p, branch, ns, depth + 1, &n->types[i]);
        if (rc != SL_OK)
            return rc;
        n->n++;
    }
    return SL_OK;
}

static int parse_type(struct parser *p, json_t *j, const char *ns, uint32_t depth,
                      struct node **out)
{
    enum kind kind;
    const char *type_name;
    json_t *type;
    struct node *n = NULL;
    int rc;

    if (depth > p->max_depth)
        return sl_error_set(p->err, SL_ELIMIT, "Avro schema: types nested deeper than %u levels",
                            p->max_depth);
    if (json_is_string(j)) {
        if (primitive_kind(json_string_value(j), &kind)) {
            if ((rc = new_node(p, kind, &n)) != SL_OK)
                return rc;
            set_min_bytes(n);
            *out = n;
            return SL_OK;
        }
        return resolve_reference(p, json_string_value(j), ns, out);
    }
    if (json_is_array(j)) {
        if ((rc = new_node(p, K_UNION, &n)) != SL_OK)
            return rc;
        if ((rc = parse_union(p, j, ns, depth, n)) != SL_OK)
            return rc;
        set_min_bytes(n);
        *out = n;
        return SL_OK;
    }
    if (!json_is_object(j))
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: a type is neither a name, an object "
                                               "nor a union");
    type = json_object_get(j, "type");
    if (json_is_object(type) || json_is_array(type)) /* {"type": {...}}: the inner type */
        return parse_type(p, type, ns, depth + 1, out);
    type_name = json_string_value(type);
    if (type_name == NULL)
        return sl_error_set(p->err, SL_EPROTO, "Avro schema: a type object without \"type\"");
    if (primitive_kind(type_name, &kind)) { /* logicalType and other attributes do not matter */
        if ((rc = new_node(p, kind, &n)) != SL_OK)
            return rc;
        set_min_bytes(n);
        *out = n;
        return SL_OK;
    }
    if (strcmp(type_name, "record") == 0 || strcmp(type_name, "error") == 0)
        kind = K_RECORD;
    else if (strcmp(type_name, "enum") == 0)
        kind = K_ENUM;
    else if (strcmp(type_name, "array") == 0)
        kind = K_ARRAY;
    else if (strcmp(type_name, "map") == 0)
        kind = K_MAP;
    else if (strcmp(type_name, "fixed") == 0)
        kind = K_FIXED;
    else
        return resolve_reference(p, type_name, ns, out);
    if ((rc = new_node(p, kind, &n)) != SL_OK)
        return rc;
    switch (kind) {
    case K_RECORD: rc = parse_record(p, j, ns, depth, n); break;
    case K_ENUM: rc = parse_enum(p, j, ns, n); break;
    case K_FIXED: rc = parse_fixed(p, j, ns, n); break;
    case K_ARRAY: rc = parse_container_type(p, j, ns, depth, n, "items"); break;
    default: rc = parse_container_type(p, j, ns, depth, n, "values"); break;
    }
    if (rc != SL_OK)
        return rc;
    set_min_bytes(n);
    *out = n;
    return SL_OK;
}

int sl_avro_schema_parse(const char *json, size_t len, const struct sl_avro_limits *limits,
                         struct sl_avro_schema **out, struct sl_error *err)
{
    struct sl_avro_limits l = limits_or_default(limits);
    struct parser p = {.max_depth = l.max_depth, .err = err};
    json_error_t jerr;
    json_t *root = NULL;
    int rc;

    *out = NULL;
    root = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
    /* jansson leaves the message empty when its first allocation fails */
    if (root == NULL && (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0'))
        return sl_error_set(err, SL_ENOMEM, "out of memory parsing an Avro schema");
    if (root == NULL)
        return sl_error_set(err, SL_EPROTO, "Avro schema is not JSON (%s at line %d column %d)",
                            jerr.text, jerr.line, jerr.column);
    p.schema = sl_calloc(1, sizeof(*p.schema));
    if (p.schema == NULL) {
        rc = oom(&p);
        goto fail;
    }
    rc = parse_type(&p, root, "", 0, &p.schema->root);
    if (rc != SL_OK)
        goto fail;
    json_decref(root);
    *out = p.schema;
    return SL_OK;
fail:
    json_decref(root);
    sl_avro_schema_free(p.schema);
    return rc;
}

/* ================================================================ binary decoding */

struct decoder {
    const uint8_t *start, *p, *end;
    size_t *budget;    /* memory still allowed (shared with the container's blocks) */
    size_t max_memory; /* for messages */
    uint32_t max_depth;
    struct sl_error *err;
};

static size_t offset(const struct decoder *d)
{
    return (size_t)(d->p - d->start);
}

static size_t left(const struct decoder *d)
{
    return (size_t)(d->end - d->p);
}

static int truncated(struct decoder *d, const char *what)
{
    return sl_error_set(d->err, SL_EPROTO, "%s at byte %zu runs past the end of the data (%zu bytes)",
                        what, offset(d), (size_t)(d->end - d->start));
}

static int charge(struct decoder *d, size_t bytes)
{
    if (bytes > *d->budget)
        return sl_error_set(d->err, SL_ELIMIT,
                            "decoded values would take more than the %zu bytes allowed",
                            d->max_memory);
    *d->budget -= bytes;
    return SL_OK;
}

static int read_varint(struct decoder *d, unsigned max_bytes, uint64_t *out)
{
    const uint8_t *start = d->p;
    uint64_t v = 0;
    for (unsigned i = 0; i < max_bytes; i++) {
        if (d->p >= d->end) {
            d->p = start; /* messages name where the number starts */
            return truncated(d, "a number");
        }
        uint8_t b = *d->p++;
        if (i == 9 && b > 1)
            return sl_error_set(d->err, SL_EPROTO, "a long at byte %zu does not fit 64 bits",
                                (size_t)(start - d->start));
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return SL_OK;
        }
    }
    return sl_error_set(d->err, SL_EPROTO, "a%s at byte %zu is longer than %u bytes",
                        max_bytes == 5 ? "n int" : " long", (size_t)(start - d->start), max_bytes);
}

static int read_long(struct decoder *d, int64_t *out)
{
    uint64_t v;
    int rc = read_varint(d, 10, &v);
    if (rc == SL_OK)
        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return rc;
}

static int read_int(struct decoder *d, int32_t *out)
{
    uint64_t v;
    int rc = read_varint(d, 5, &v);
    if (rc != SL_OK)
        return rc;
    if (v > UINT32_MAX)
        return sl_error_set(d->err, SL_EPROTO, "an int ending at byte %zu does not fit 32 bits",
                            offset(d));
    *out = (int32_t)((uint32_t)(v >> 1) ^ -(uint32_t)(v & 1));
    return SL_OK;
}

/* A length (bytes, string) or a block's byte size: >= 0 and within what is left. */
static int read_length(struct decoder *d, const char *what, size_t *out)
{
    int64_t n;
    size_t at = offset(d);
    int rc = read_long(d, &n);
    if (rc != SL_OK)
        return rc;
    if (n < 0)
        return sl_error_set(d->err, SL_EPROTO, "%s at byte %zu has a negative length %lld", what,
                            at, (long long)n);
    if ((uint64_t)n > left(d))
        return sl_error_set(d->err, SL_EPROTO,
                            "%s at byte %zu says %lld bytes but only %zu are left", what, at,
                            (long long)n, left(d));
    *out = (size_t)n;
    return SL_OK;
}

static int jansson_oom(struct decoder *d)
{
    return sl_error_set(d->err, SL_ENOMEM, "out of memory decoding Avro data");
}

/* "\x" + lowercase hex of n bytes. */
static int hex_value(struct decoder *d, const uint8_t *bytes, size_t n, json_t **out)
{
    static const char digits[] = "0123456789abcdef";
    char *text;
    int rc;

    rc = n > (SIZE_MAX - 3) / 2 ? charge(d, SIZE_MAX) : charge(d, 2 * n + 2);
    if (rc != SL_OK)
        return rc;
    text = sl_malloc(2 * n + 3);
    if (text == NULL)
        return jansson_oom(d);
    text[0] = '\\';
    text[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        text[2 + 2 * i] = digits[bytes[i] >> 4];
        text[3 + 2 * i] = digits[bytes[i] & 15];
    }
    *out = json_stringn_nocheck(text, 2 * n + 2);
    sl_free(text);
    return *out != NULL ? SL_OK : jansson_oom(d);
}

static json_t *real_value(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static uint64_t le_bytes(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

/* A length-prefixed UTF-8 string (values and map keys): borrowed bytes. */
static int read_text(struct decoder *d, const char *what, const uint8_t **text, size_t *len)
{
    size_t at = offset(d);
    int rc = read_length(d, what, len);
    if (rc != SL_OK)
        return rc;
    *text = d->p;
    if (!utf8_valid(*text, *len))
        return sl_error_set(d->err, SL_EPROTO, "%s at byte %zu is not valid UTF-8", what, at);
    d->p += *len;
    return SL_OK;
}

static int decode_value(struct decoder *d, const struct node *n, uint32_t depth, json_t **out);

/*
 * The blocks of an array or a map: counts (negative: a byte size follows),
 * ended by 0. Each block's count is checked against the bytes left and the
 * smallest encoding of one item.
 */
static int decode_blocks(struct decoder *d, const struct node *n, uint32_t depth, json_t *into)
{
    const struct node *item = n->types[0];
    size_t item_min = n->kind == K_MAP ? add_sat(1, item->min_bytes) : item->min_bytes;
    size_t index = 0;
    int rc;

    for (;;) {
        int64_t count;
        size_t at = offset(d), ignored;
        if ((rc = read_long(d, &count)) != SL_OK)
            return rc;
        if (count == 0)
            return SL_OK;
        if (count < 0) {
            if (count == INT64_MIN)
                return sl_error_set(d->err, SL_EPROTO, "%s block at byte %zu has count %lld",
                                    kind_names[n->kind], at, (long long)count);
            count = -count;
            if ((rc = read_length(d, "a block size", &ignored)) != SL_OK)
                return rc;
        }
        if (item_min > 0 && (uint64_t)count > left(d) / item_min)
            return sl_error_set(d->err, SL_EPROTO,
                                "%s block at byte %zu has %lld items, more than the %zu bytes "
                                "left can hold",
                                kind_names[n->kind], at, (long long)count, left(d));
        for (int64_t i = 0; i < count; i++, index++) {
            json_t *v = NULL;
            if (n->kind == K_MAP) {
                const uint8_t *key;
                size_t key_len;
                if ((rc = read_text(d, "a map key", &key, &key_len)) != SL_OK ||
                    (rc = charge(d, key_len)) != SL_OK)
                    return rc;
                if ((rc = decode_value(d, item, depth + 1, &v)) != SL_OK) {
                    sl_error_prefix(d->err, "map value '%.*s'", (int)SL_MIN(key_len, 64),
                                    (const char *)key);
                    return rc;
                }
                if (json_object_setn_new_nocheck(into, (const char *)key, key_len, v) != 0)
                    return jansson_oom(d);
            } else {
                if ((rc = decode_value(d, item, depth + 1, &v)) != SL_OK) {
                    sl_error_prefix(d->err, "item %zu", index);
                    return rc;
                }
                if (json_array_append_new(into, v) != 0)
                    return jansson_oom(d);
            }
        }
    }
}

static int decode_value(struct decoder *d, const struct node *n, uint32_t depth, json_t **out)
{
    json_t *v = NULL;
    int rc;

    *out = NULL;
    if (depth > d->max_depth)
        return sl_error_set(d->err, SL_ELIMIT, "values nested deeper than %u levels at byte %zu",
                            d->max_depth, offset(d));
    if ((rc = charge(d, VALUE_COST)) != SL_OK)
        return rc;
    switch (n->kind) {
    case K_NULL:
        v = json_null();
        break;
    case K_BOOLEAN:
        if (left(d) < 1)
            return truncated(d, "a boolean");
        if (*d->p > 1)
            return sl_error_set(d->err, SL_EPROTO, "a boolean at byte %zu is 0x%02x, not 0 or 1",
                                offset(d), *d->p);
        v = json_boolean(*d->p++ == 1);
        break;
    case K_INT: {
        int32_t i;
        if ((rc = read_int(d, &i)) != SL_OK)
            return rc;
        v = json_integer(i);
        break;
    }
    case K_LONG: {
        int64_t l;
        if ((rc = read_long(d, &l)) != SL_OK)
            return rc;
        v = json_integer((json_int_t)l);
        break;
    }
    case K_FLOAT: {
        float f;
        uint32_t bits;
        if (left(d) < 4)
            return truncated(d, "a float");
        bits = (uint32_t)le_bytes(d->p, 4);
        memcpy(&f, &bits, sizeof(f));
        d->p += 4;
        v = real_value((double)f);
        break;
    }
    case K_DOUBLE: {
        double f;
        uint64_t bits;
        if (left(d) < 8)
            return truncated(d, "a double");
        bits = le_bytes(d->p, 8);
        memcpy(&f, &bits, sizeof(f));
        d->p += 8;
        v = real_value(f);
        break;
    }
    case K_BYTES: {
        size_t len;
        if ((rc = read_length(d, "a bytes value", &len)) != SL_OK)
            return rc;
        rc = hex_value(d, d->p, len, out);
        d->p += len;
        return rc;
    }
    case K_FIXED:
        if (n->size > left(d))
            return truncated(d, "a fixed value");
        rc = hex_value(d, d->p, (size_t)n->size, out);
        d->p += n->size;
        return rc;
    case K_STRING: {
        const uint8_t *text;
        size_t len;
        if ((rc = read_text(d, "a string", &text, &len)) != SL_OK ||
            (rc = charge(d, len)) != SL_OK)
            return rc;
        v = json_stringn_nocheck((const char *)text, len);
        break;
    }
    case K_ENUM: {
        int32_t i;
        size_t at = offset(d);
        if ((rc = read_int(d, &i)) != SL_OK)
            return rc;
        if (i < 0 || (uint32_t)i >= n->n)
            return sl_error_set(d->err, SL_EPROTO,
                                "enum %s at byte %zu has symbol index %d; it has %u symbols",
                                n->name, at, (int)i, n->n);
        v = json_string(n->names[i]);
        break;
    }
    case K_UNION: {
        int64_t i;
        size_t at = offset(d);
        if ((rc = read_long(d, &i)) != SL_OK)
            return rc;
        if (i < 0 || (uint64_t)i >= n->n)
            return sl_error_set(d->err, SL_EPROTO,
                                "a union at byte %zu chooses branch %lld; it has %u branches", at,
                                (long long)i, n->n);
        return decode_value(d, n->types[i], depth + 1, out);
    }
    case K_RECORD:
        if ((v = json_object()) == NULL)
            return jansson_oom(d);
        for (uint32_t f = 0; f < n->n; f++) {
            json_t *field = NULL;
            if ((rc = decode_value(d, n->types[f], depth + 1, &field)) != SL_OK) {
                sl_error_prefix(d->err, "field %s", n->names[f]);
                json_decref(v);
                return rc;
            }
            if (json_object_set_new_nocheck(v, n->names[f], field) != 0) {
                json_decref(v);
                return jansson_oom(d);
            }
        }
        *out = v;
        return SL_OK;
    case K_ARRAY:
    case K_MAP:
        if ((v = n->kind == K_ARRAY ? json_array() : json_object()) == NULL)
            return jansson_oom(d);
        if ((rc = decode_blocks(d, n, depth, v)) != SL_OK) {
            json_decref(v);
            return rc;
        }
        *out = v;
        return SL_OK;
    }
    if (v == NULL)
        return jansson_oom(d);
    *out = v;
    return SL_OK;
}

int sl_avro_decode(const struct sl_avro_schema *schema, const void *bytes, size_t len,
                   const struct sl_avro_limits *limits, size_t *used, json_t **out,
                   struct sl_error *err)
{
    struct sl_avro_limits l = limits_or_default(limits);
    size_t budget = l.max_memory;
    struct decoder d = {.start = bytes, .p = bytes, .end = (const uint8_t *)bytes + len,
                        .budget = &budget, .max_memory = l.max_memory, .max_depth = l.max_depth,
                        .err = err};
    int rc;

    *out = NULL;
    *used = 0;
    if (bytes == NULL && len > 0)
        return sl_error_set(err, SL_EINVAL, "no bytes to decode");
    if (len == 0)
        d.start = d.p = d.end = (const uint8_t *)"";
    rc = decode_value(&d, schema->root, 0, out);
    if (rc != SL_OK) {
        sl_error_prefix(err, "Avro %s", sl_avro_schema_name(schema));
        return rc;
    }
    *used = offset(&d);
    return SL_OK;
}

/* ================================================================ codecs */

/* zlib allocates through sl_calloc, so the allocation-failure hook reaches it. */
static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return sl_calloc(items, size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    sl_free(ptr);
}

/* Grows a decompression buffer, never beyond budget. */
static int grow_output(uint8_t **buf, size_t *cap, size_t budget, size_t max_memory,
                       struct sl_error *err)
{
    size_t want;
    uint8_t *grown;
    if (*cap >= budget)
        return sl_error_set(err, SL_ELIMIT,
                            "a block decompresses to more than the %zu bytes allowed", max_memory);
    want = *cap > budget / 2 ? budget : *cap * 2;
    grown = sl_realloc(*buf, want);
    if (grown == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory decompressing a block");
    *buf = grown;
    *cap = want;
    return SL_OK;
}

static int inflate_raw(const uint8_t *in, size_t len, size_t budget, size_t max_memory,
                       uint8_t **out, size_t *out_len, struct sl_error *err)
{
    z_stream zs;
    uint8_t *buf = NULL;
    size_t cap = SL_MIN(budget, SL_MAX((size_t)4096, len < SIZE_MAX / 4 ? len * 4 : len));
    size_t produced = 0;
    int rc = SL_OK, z;

    memset(&zs, 0, sizeof(zs));
    zs.zalloc = zlib_alloc;
    zs.zfree = zlib_free;
    if (cap == 0)
        return sl_error_set(err, SL_ELIMIT, "no memory left in the %zu bytes allowed to "
                            "decompress a block", max_memory);
    z = inflateInit2(&zs, -15);
    if (z != Z_OK)
        return sl_error_set(err, z == Z_MEM_ERROR ? SL_ENOMEM : SL_EPROTO,
                            "cannot start inflating a deflate block (zlib %d)", z);
    buf = sl_malloc(cap);
    if (buf == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory decompressing a block");
        goto done;
    }
    zs.next_in = (Bytef *)in;
    size_t in_left = len;
    for (;;) {
        if (zs.avail_in == 0 && in_left > 0) {
            zs.avail_in = (uInt)SL_MIN(in_left, (size_t)UINT32_MAX);
            in_left -= zs.avail_in;
        }
        if (produced == cap && (rc = grow_output(&buf, &cap, budget, max_memory, err)) != SL_OK)
            goto done;
        zs.next_out = buf + produced;
        zs.avail_out = (uInt)SL_MIN(cap - produced, (size_t)UINT32_MAX);
        uInt before = zs.avail_out;
        z = inflate(&zs, Z_NO_FLUSH);
        produced += before - zs.avail_out;
        if (z == Z_STREAM_END)
            break;
        if (z == Z_MEM_ERROR) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory inflating a deflate block");
            goto done;
        }
        if (z == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
            rc = sl_error_set(err, SL_EPROTO, "a deflate block ends before its stream does");
            goto done;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            rc = sl_error_set(err, SL_EPROTO, "a deflate block is corrupt (%s)",
                              zs.msg != NULL ? zs.msg : "zlib error");
            goto done;
        }
    }
    if (zs.avail_in > 0 || in_left > 0) {
        rc = sl_error_set(err, SL_EPROTO, "%zu bytes follow the end of a deflate block's stream",
                          (size_t)zs.avail_in + in_left);
        goto done;
    }
    *out = buf;
    *out_len = produced;
    buf = NULL;
done:
    inflateEnd(&zs);
    sl_free(buf);
    return rc;
}

static int unsnappy(const uint8_t *in, size_t len, size_t budget, size_t max_memory,
                    uint8_t **out, size_t *out_len, struct sl_error *err)
{
    size_t n;
    uint8_t *buf;

    if (len < 4)
        return sl_error_set(err, SL_EPROTO, "a snappy block of %zu bytes has no room for its CRC32",
                            len);
    if (snappy_uncompressed_length((const char *)in, len - 4, &n) != SNAPPY_OK)
        return sl_error_set(err, SL_EPROTO, "a snappy block is corrupt (no valid length)");
    if (n > budget)
        return sl_error_set(err, SL_ELIMIT,
                            "a snappy block says it holds %zu bytes, more than the %zu allowed", n,
                            max_memory);
    buf = sl_malloc(n > 0 ? n : 1);
    if (buf == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory decompressing a block");
    if (snappy_uncompress((const char *)in, len - 4, (char *)buf, &n) != SNAPPY_OK) {
        sl_free(buf);
        return sl_error_set(err, SL_EPROTO, "a snappy block is corrupt");
    }
    uint32_t want = (uint32_t)in[len - 4] << 24 | (uint32_t)in[len - 3] << 16 |
                    (uint32_t)in[len - 2] << 8 | in[len - 1];
    uint32_t got = (uint32_t)crc32_z(0, buf, n);
    if (got != want) {
        sl_free(buf);
        return sl_error_set(err, SL_EPROTO,
                            "a snappy block's CRC32 is %08x but its data gives %08x", want, got);
    }
    *out = buf;
    *out_len = n;
    return SL_OK;
}

static int unzstd(const uint8_t *in, size_t len, size_t budget, size_t max_memory, uint8_t **out,
                  size_t *out_len, struct sl_error *err)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer input = {in, len, 0};
    uint8_t *buf = NULL;
    size_t cap = SL_MIN(budget, SL_MAX((size_t)4096, len < SIZE_MAX / 4 ? len * 4 : len));
    size_t produced = 0;
    int rc = SL_OK;

    if (dctx == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory starting zstd");
    if (cap == 0) {
        rc = sl_error_set(err, SL_ELIMIT, "no memory left in the %zu bytes allowed to "
                          "decompress a block", max_memory);
        goto done;
    }
    buf = sl_malloc(cap);
    if (buf == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory decompressing a block");
        goto done;
    }
    for (;;) {
        if (produced == cap && (rc = grow_output(&buf, &cap, budget, max_memory, err)) != SL_OK)
            goto done;
        ZSTD_outBuffer output = {buf, cap, produced};
        size_t hint = ZSTD_decompressStream(dctx, &output, &input);
        produced = output.pos;
        if (ZSTD_isError(hint)) {
            rc = sl_error_set(err, SL_EPROTO, "a zstandard block is corrupt (%s)",
                              ZSTD_getErrorName(hint));
            goto done;
        }
        if (input.pos == input.size && hint == 0)
            break; /* every frame complete */
        if (input.pos == input.size && produced < cap) {
            rc = sl_error_set(err, SL_EPROTO, "a zstandard block ends inside a frame");
            goto done;
        }
    }
    *out = buf;
    *out_len = produced;
    buf = NULL;
done:
    ZSTD_freeDCtx(dctx);
    sl_free(buf);
    return rc;
}

/* ================================================================ container files */

bool sl_avro_is_container(const void *bytes, size_t len)
{
    return bytes != NULL && len >= sizeof(magic) && memcmp(bytes, magic, sizeof(magic)) == 0;
}

void sl_avro_container_free(struct sl_avro_container *c)
{
    if (c == NULL)
        return;
    sl_avro_schema_free(c->schema);
    sl_free(c->codec);
    json_decref(c->metadata);
    json_decref(c->records);
    memset(c, 0, sizeof(*c));
}

enum codec { CODEC_NULL, CODEC_DEFLATE, CODEC_SNAPPY, CODEC_ZSTD };

/* The header's metadata map (map<bytes>) into out->metadata. */
static int read_header_map(struct decoder *d, struct sl_avro_container *out)
{
    int rc;
    for (;;) {
        int64_t count;
        size_t at = offset(d), ignored;
        if ((rc = read_long(d, &count)) != SL_OK)
            return rc;
        if (count == 0)
            return SL_OK;
        if (count < 0) {
            if (count == INT64_MIN)
                return sl_error_set(d->err, SL_EPROTO, "the header map block at byte %zu has "
                                    "count %lld", at, (long long)count);
            count = -count;
            if ((rc = read_length(d, "a block size", &ignored)) != SL_OK)
                return rc;
        }
        if ((uint64_t)count > left(d) / 2)
            return sl_error_set(d->err, SL_EPROTO,
                                "the header map block at byte %zu has %lld entries, more than "
                                "the %zu bytes left can hold",
                                at, (long long)count, left(d));
        for (int64_t i = 0; i < count; i++) {
            const uint8_t *key, *value;
            size_t key_len, value_len;
            json_t *v = NULL;
            if ((rc = read_text(d, "a header key", &key, &key_len)) != SL_OK ||
                (rc = read_length(d, "a header value", &value_len)) != SL_OK)
                return rc;
            value = d->p;
            d->p += value_len;
            if ((rc = charge(d, VALUE_COST + key_len + 2 * value_len)) != SL_OK)
                return rc;
            if (utf8_valid(value, value_len)) {
                v = json_stringn_nocheck((const char *)value, value_len);
                if (v == NULL)
                    return jansson_oom(d);
            } else if ((rc = hex_value(d, value, value_len, &v)) != SL_OK) {
                return rc;
            }
            if (json_object_setn_new_nocheck(out->metadata, (const char *)key, key_len, v) != 0)
                return jansson_oom(d);
        }
    }
}

static int header(struct decoder *d, const struct sl_avro_limits *l, struct sl_avro_container *out,
                  enum codec *codec, const uint8_t **sync)
{
    json_t *schema_text, *codec_text;
    const char *name;
    int rc;

    d->p += sizeof(magic);
    if ((out->metadata = json_object()) == NULL)
        return jansson_oom(d);
    if ((rc = read_header_map(d, out)) != SL_OK) {
        sl_error_prefix(d->err, "header");
        return rc;
    }
    if (left(d) < SYNC_LEN)
        return truncated(d, "the header's sync marker");
    *sync = d->p;
    d->p += SYNC_LEN;
    schema_text = json_object_get(out->metadata, "avro.schema");
    if (!json_is_string(schema_text))
        return sl_error_set(d->err, SL_EPROTO, "the header has no avro.schema");
    rc = sl_avro_schema_parse(json_string_value(schema_text), json_string_length(schema_text), l,
                              &out->schema, d->err);
    if (rc != SL_OK) {
        sl_error_prefix(d->err, "header avro.schema");
        return rc;
    }
    codec_text = json_object_get(out->metadata, "avro.codec");
    name = codec_text != NULL ? json_string_value(codec_text) : "null";
    if (name == NULL)
        name = "";
    if (strcmp(name, "null") == 0 || name[0] == '\0')
        *codec = CODEC_NULL;
    else if (strcmp(name, "deflate") == 0)
        *codec = CODEC_DEFLATE;
    else if (strcmp(name, "snappy") == 0)
        *codec = CODEC_SNAPPY;
    else if (strcmp(name, "zstandard") == 0)
        *codec = CODEC_ZSTD;
    else
        return sl_error_set(d->err, SL_EPROTO,
                            "codec '%.64s' is not one sluice reads (null, deflate, snappy, "
                            "zstandard)",
                            name);
    out->codec = sl_strdup(*codec == CODEC_NULL ? "null" : name);
    if (out->codec == NULL)
        return jansson_oom(d);
    return SL_OK;
}

/* Decodes the `count` records of one block's (decompressed) data into out->records. */
static int block_records(struct decoder *file, const struct sl_avro_container *out,
                         const uint8_t *data, size_t len, int64_t count)
{
    const struct node *root = out->schema->root;
    struct decoder d = {.start = data, .p = data, .end = data + len, .budget = file->budget,
                        .max_memory = file->max_memory, .max_depth = file->max_depth,
                        .err = file->err};
    int rc;

    if (len == 0)
        d.start = d.p = d.end = (const uint8_t *)"";
    if (root->min_bytes > 0 && (uint64_t)count > len / root->min_bytes)
        return sl_error_set(d.err, SL_EPROTO,
                            "it says %lld records but its %zu bytes cannot hold them",
                            (long long)count, len);
    for (int64_t i = 0; i < count; i++) {
        json_t *v = NULL;
        if ((rc = decode_value(&d, root, 0, &v)) != SL_OK) {
            sl_error_prefix(d.err, "record %lld", (long long)i);
            return rc;
        }
        if (json_array_append_new(out->records, v) != 0)
            return jansson_oom(&d);
    }
    if (d.p != d.end)
        return sl_error_set(d.err, SL_EPROTO, "%zu bytes are left after its %lld records",
                            left(&d), (long long)count);
    return SL_OK;
}

/* One block at d->p: count, size, data, sync marker; its records go to out->records. */
static int read_block(struct decoder *d, const uint8_t *sync, enum codec codec,
                      struct sl_avro_container *out)
{
    size_t size, plain_len = 0;
    uint8_t *plain = NULL;
    const uint8_t *data;
    int64_t count;
    int rc;

    if ((rc = read_long(d, &count)) != SL_OK)
        return rc;
    if (count < 0)
        return sl_error_set(d->err, SL_EPROTO, "its record count is %lld", (long long)count);
    if ((rc = read_length(d, "the block size", &size)) != SL_OK)
        return rc;
    data = d->p;
    d->p += size;
    if (left(d) < SYNC_LEN)
        return truncated(d, "the sync marker");
    if (memcmp(d->p, sync, SYNC_LEN) != 0)
        return sl_error_set(d->err, SL_EPROTO,
                            "the sync marker after it (byte %zu) is not the header's", offset(d));
    d->p += SYNC_LEN;
    switch (codec) {
    case CODEC_NULL: return block_records(d, out, data, size, count);
    case CODEC_DEFLATE:
        rc = inflate_raw(data, size, *d->budget, d->max_memory, &plain, &plain_len, d->err);
        break;
    case CODEC_SNAPPY:
        rc = unsnappy(data, size, *d->budget, d->max_memory, &plain, &plain_len, d->err);
        break;
    case CODEC_ZSTD:
        rc = unzstd(data, size, *d->budget, d->max_memory, &plain, &plain_len, d->err);
        break;
    }
    if (rc != SL_OK)
        return rc;
    *d->budget -= plain_len; /* the block's bytes count while they are held */
    rc = block_records(d, out, plain, plain_len, count);
    *d->budget += plain_len;
    sl_free(plain);
    return rc;
}

int sl_avro_container_read(const void *bytes, size_t len, const struct sl_avro_limits *limits,
                           struct sl_avro_container *out, struct sl_error *err)
{
    struct sl_avro_limits l = limits_or_default(limits);
    size_t budget = l.max_memory;
    struct decoder d = {.start = bytes, .p = bytes, .end = (const uint8_t *)bytes + len,
                        .budget = &budget, .max_memory = l.max_memory, .max_depth = l.max_depth,
                        .err = err};
    const uint8_t *sync = NULL;
    enum codec codec = CODEC_NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!sl_avro_is_container(bytes, len))
        return sl_error_set(err, SL_EPROTO, "not an Avro container file (no \"Obj\\x01\" magic)");
    if ((rc = header(&d, &l, out, &codec, &sync)) != SL_OK)
        goto fail;
    if ((out->records = json_array()) == NULL) {
        rc = jansson_oom(&d);
        goto fail;
    }
    for (size_t block = 0; d.p < d.end; block++) {
        size_t at = offset(&d);
        if ((rc = read_block(&d, sync, codec, out)) != SL_OK) {
            sl_error_prefix(err, "block %zu (byte %zu)", block, at);
            goto fail;
        }
    }
    return SL_OK;
fail:
    sl_error_prefix(err, "Avro container");
    sl_avro_container_free(out);
    return rc;
}

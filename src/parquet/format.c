/*
 * Parquet metadata <-> Thrift compact bytes. Decoding is driven by one loop
 * (decode_struct) that reads field headers, hands each to a per-struct
 * callback, skips what the callback does not take, then checks required
 * fields; the loop also keeps the field path so an error names where in the
 * metadata it happened. Encoding writes fields in id order, as Apache Thrift
 * does, so our footers match parquet-cpp's byte for byte for the fields we
 * model.
 */
#include "parquet/format.h"
#include "parquet/thrift.h"

#include <stdio.h>
#include <string.h>

/* ================================================================ names */

static const char *name_of(const char *const *names, size_t count, int32_t value)
{
    if (value < 0 || (size_t)value >= count)
        return NULL;
    return names[value];
}

static const char *const type_names[] = {
    "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY",
};

static const char *const converted_type_names[] = {
    "UTF8",           "MAP",   "MAP_KEY_VALUE", "LIST",        "ENUM",
    "DECIMAL",        "DATE",  "TIME_MILLIS",   "TIME_MICROS", "TIMESTAMP_MILLIS",
    "TIMESTAMP_MICROS", "UINT_8", "UINT_16",   "UINT_32",     "UINT_64",
    "INT_8",          "INT_16", "INT_32",       "INT_64",      "JSON",
    "BSON",           "INTERVAL",
};

static const char *const repetition_names[] = {"REQUIRED", "OPTIONAL", "REPEATED"};

static const char *const encoding_names[] = {
    "PLAIN",
    NULL, /* GROUP_VAR_INT, never used */
    "PLAIN_DICTIONARY",
    "RLE",
    "BIT_PACKED",
    "DELTA_BINARY_PACKED",
    "DELTA_LENGTH_BYTE_ARRAY",
    "DELTA_BYTE_ARRAY",
    "RLE_DICTIONARY",
    "BYTE_STREAM_SPLIT",
};

static const char *const codec_names[] = {
    "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW",
};

static const char *const page_type_names[] = {
    "DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2",
};

static const char *const logical_kind_names[] = {
    NULL,   "STRING",  "MAP",  "LIST",    "ENUM",    "DECIMAL", "DATE", "TIME",
    "TIMESTAMP", NULL, "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16",
};

static const char *const time_unit_names[] = {NULL, "MILLIS", "MICROS", "NANOS"};

const char *sl_parquet_type_name(int32_t type)
{
    return name_of(type_names, SL_ARRAY_LEN(type_names), type);
}

const char *sl_parquet_converted_type_name(int32_t converted_type)
{
    return name_of(converted_type_names, SL_ARRAY_LEN(converted_type_names), converted_type);
}

const char *sl_parquet_repetition_name(int32_t repetition)
{
    return name_of(repetition_names, SL_ARRAY_LEN(repetition_names), repetition);
}

const char *sl_parquet_encoding_name(int32_t encoding)
{
    return name_of(encoding_names, SL_ARRAY_LEN(encoding_names), encoding);
}

const char *sl_parquet_codec_name(int32_t codec)
{
    return name_of(codec_names, SL_ARRAY_LEN(codec_names), codec);
}

const char *sl_parquet_page_type_name(int32_t page_type)
{
    return name_of(page_type_names, SL_ARRAY_LEN(page_type_names), page_type);
}

const char *sl_parquet_logical_kind_name(int32_t kind)
{
    return name_of(logical_kind_names, SL_ARRAY_LEN(logical_kind_names), kind);
}

const char *sl_parquet_time_unit_name(int32_t unit)
{
    return name_of(time_unit_names, SL_ARRAY_LEN(time_unit_names), unit);
}

/* ================================================================ decoding */

/* Callback results besides SL_OK (taken) and errors. */
#define NOT_TAKEN 1 /* unknown id or unexpected wire type: the loop skips the value */
#define DROPPED 2   /* a list of unexpected element type, already skipped */

/* Deepest struct nesting of the metadata we model is 6; unknown parts are skipped. */
#define MAX_FRAMES 16

struct decoder;
typedef int (*field_fn)(struct decoder *d, void *out, int16_t id, uint8_t type);

/* What decode_struct needs to know of a struct. */
struct struct_desc {
    const char *name;
    const char *const *field_names; /* by field id, for messages */
    size_t n_field_names;
    uint64_t required; /* bit n set: field id n is required */
    bool is_union;     /* exactly one member */
    size_t size;       /* of the C struct */
    field_fn field;
};

/* One struct being decoded: which field of it, which list element. */
struct frame {
    const struct struct_desc *desc;
    int16_t field_id;
    bool in_field;
    int64_t index; /* element of the current list field, -1 if none */
};

/*
 * Memory a decode may take from the arena, per byte of input (and at least
 * DECODE_BUDGET_MIN): real metadata needs under 10x (a schema element is 104
 * bytes in C for some 12 encoded), list growth at most doubles that, and the
 * bound keeps hostile input (a long list of minimal 3-byte ColumnChunks, 352
 * bytes each) from turning a footer into gigabytes.
 */
#define DECODE_BUDGET_RATIO 32
#define DECODE_BUDGET_MIN ((size_t)1 << 20)

struct decoder {
    struct sl_thrift_reader r;
    struct sl_arena *arena;
    size_t arena_start; /* arena->used_total when the decode began */
    size_t budget;      /* bytes of arena this decode may use */
    struct sl_error *err;
    bool located; /* the error message already names its path */
    int depth;
    struct frame frames[MAX_FRAMES];
};

#define BIT(id) (UINT64_C(1) << (id))

static void append_field_name(char *path, size_t size, size_t *off, const struct struct_desc *desc,
                              int16_t id)
{
    const char *name = NULL;
    int n;

    if (id > 0 && (size_t)id < desc->n_field_names)
        name = desc->field_names[id];
    if (name != NULL)
        n = snprintf(path + *off, size - *off, ".%s", name);
    else
        n = snprintf(path + *off, size - *off, ".<field %d>", id);
    if (n > 0)
        *off = SL_MIN(*off + (size_t)n, size - 1);
}

/* Prefixes the error message with the field path, once, at the innermost level. */
static int locate(struct decoder *d, int rc)
{
    char path[256];
    size_t off = 0;
    int n;

    if (rc >= 0 || d->located || d->depth == 0)
        return rc;
    d->located = true;
    n = snprintf(path, sizeof(path), "%s", d->frames[0].desc->name);
    off = n > 0 ? SL_MIN((size_t)n, sizeof(path) - 1) : 0;
    for (int i = 0; i < d->depth; i++) {
        const struct frame *f = &d->frames[i];
        if (!f->in_field)
            break;
        append_field_name(path, sizeof(path), &off, f->desc, f->field_id);
        if (f->index >= 0) {
            n = snprintf(path + off, sizeof(path) - off, "[%lld]", (long long)f->index);
            if (n > 0)
                off = SL_MIN(off + (size_t)n, sizeof(path) - 1);
        }
    }
    sl_error_prefix(d->err, "parquet %s", path);
    return rc;
}

static int nomem(struct decoder *d)
{
    return sl_error_set(d->err, SL_ENOMEM, "out of memory decoding parquet metadata");
}

/* Arena memory within the decode's budget. */
static int alloc_bytes(struct decoder *d, size_t size, void **out)
{
    size_t used = d->arena->used_total - d->arena_start;

    if (size > d->budget || used > d->budget - size)
        return sl_error_set(d->err, SL_ELIMIT,
                            "decoding %zu bytes of parquet metadata would take more than %zu "
                            "bytes of memory; the input is not plausible metadata",
                            d->r.len, d->budget);
    *out = sl_arena_alloc(d->arena, size);
    return *out == NULL ? nomem(d) : SL_OK;
}

static struct frame *top(struct decoder *d)
{
    return &d->frames[d->depth - 1];
}

static int decode_struct(struct decoder *d, const struct struct_desc *desc, void *out)
{
    struct frame *f;
    uint64_t seen = 0, missing;
    unsigned members = 0;
    int rc;

    memset(out, 0, desc->size);
    if (d->depth >= MAX_FRAMES)
        return locate(d, sl_error_set(d->err, SL_ELIMIT, "parquet metadata nested too deeply"));
    rc = sl_thrift_read_struct_begin(&d->r);
    if (rc != SL_OK)
        return locate(d, rc);
    f = &d->frames[d->depth++];
    f->desc = desc;
    for (;;) {
        uint8_t type = 0;
        int16_t id = 0;

        f->in_field = false;
        f->index = -1;
        rc = sl_thrift_read_field_begin(&d->r, &type, &id);
        if (rc != SL_OK)
            return locate(d, rc);
        if (type == SL_THRIFT_STOP)
            break;
        f->in_field = true;
        f->field_id = id;
        rc = desc->field(d, out, id, type);
        if (rc == SL_OK) {
            if (id > 0 && id < 64)
                seen |= BIT(id);
            members++;
        } else if (rc == NOT_TAKEN) {
            rc = sl_thrift_skip(&d->r, type);
        } else if (rc == DROPPED) {
            rc = SL_OK;
        }
        if (rc != SL_OK)
            return locate(d, rc);
    }
    missing = desc->required & ~seen;
    if (missing != 0) {
        int16_t id = 0;
        while ((missing & BIT(id)) == 0)
            id++;
        return locate(d, sl_error_set(d->err, SL_EPROTO,
                                      "%s required field %s (id %d) is missing (struct ends at "
                                      "byte offset %zu)",
                                      desc->name, desc->field_names[id], id, d->r.pos));
    }
    if (desc->is_union && members != 1)
        return locate(d, sl_error_set(d->err, SL_EPROTO,
                                      "%s union has %u members, needs exactly one (ends at byte "
                                      "offset %zu)",
                                      desc->name, members, d->r.pos));
    rc = sl_thrift_read_struct_end(&d->r);
    if (rc != SL_OK)
        return locate(d, rc);
    d->depth--;
    return SL_OK;
}

/* ---------------------------------------------------------------- field readers */

static int get_i8(struct decoder *d, uint8_t type, int8_t *out)
{
    return type != SL_THRIFT_I8 ? NOT_TAKEN : sl_thrift_read_i8(&d->r, out);
}

static int get_i16(struct decoder *d, uint8_t type, int16_t *out)
{
    return type != SL_THRIFT_I16 ? NOT_TAKEN : sl_thrift_read_i16(&d->r, out);
}

static int get_i32(struct decoder *d, uint8_t type, int32_t *out)
{
    return type != SL_THRIFT_I32 ? NOT_TAKEN : sl_thrift_read_i32(&d->r, out);
}

static int get_i64(struct decoder *d, uint8_t type, int64_t *out)
{
    return type != SL_THRIFT_I64 ? NOT_TAKEN : sl_thrift_read_i64(&d->r, out);
}

static int get_bool(struct decoder *d, uint8_t type, bool *out)
{
    return type != SL_THRIFT_BOOL ? NOT_TAKEN : sl_thrift_read_bool(&d->r, out);
}

/* The optional variants set *has only when the value was taken. */
static int taken(int rc, bool *has)
{
    if (rc == SL_OK)
        *has = true;
    return rc;
}

static int get_opt_i16(struct decoder *d, uint8_t type, bool *has, int16_t *out)
{
    return taken(get_i16(d, type, out), has);
}

static int get_opt_i32(struct decoder *d, uint8_t type, bool *has, int32_t *out)
{
    return taken(get_i32(d, type, out), has);
}

static int get_opt_i64(struct decoder *d, uint8_t type, bool *has, int64_t *out)
{
    return taken(get_i64(d, type, out), has);
}

static int get_opt_bool(struct decoder *d, uint8_t type, bool *has, bool *out)
{
    return taken(get_bool(d, type, out), has);
}

static int copy_bytes(struct decoder *d, const uint8_t *data, size_t len,
                      struct sl_parquet_bytes *out)
{
    void *mem = NULL;
    char *copy;
    int rc = alloc_bytes(d, len + 1, &mem);

    if (rc != SL_OK)
        return rc;
    copy = mem;
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = '\0';
    out->data = copy;
    out->len = len;
    return SL_OK;
}

static int read_bytes(struct decoder *d, struct sl_parquet_bytes *out)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    int rc = sl_thrift_read_binary(&d->r, &data, &len);
    return rc != SL_OK ? rc : copy_bytes(d, data, len, out);
}

static int get_bytes(struct decoder *d, uint8_t type, struct sl_parquet_bytes *out)
{
    return type != SL_THRIFT_BINARY ? NOT_TAKEN : read_bytes(d, out);
}

static int get_struct(struct decoder *d, uint8_t type, const struct struct_desc *desc, void *out,
                      bool *has)
{
    int rc;

    if (type != SL_THRIFT_STRUCT)
        return NOT_TAKEN;
    rc = decode_struct(d, desc, out);
    if (rc == SL_OK && has != NULL)
        *has = true;
    return rc;
}

/*
 * A list header for a list field whose elements should be `want`. A list of
 * other elements is skipped whole (DROPPED), as Thrift's generated code would
 * fail to read it; an empty list of any element type is accepted.
 */
static int list_begin(struct decoder *d, uint8_t type, uint8_t want, uint32_t *count)
{
    uint8_t elem = 0;
    int rc;

    if (type != SL_THRIFT_LIST)
        return NOT_TAKEN;
    rc = sl_thrift_read_list_begin(&d->r, &elem, count);
    if (rc != SL_OK || *count == 0 || elem == want)
        return rc;
    for (uint32_t i = 0; i < *count; i++) {
        rc = sl_thrift_skip(&d->r, elem);
        if (rc != SL_OK)
            return rc;
    }
    return DROPPED;
}

/*
 * The array of a list field, filled as its elements are decoded. It starts
 * small and doubles, so a count read from the input only allocates what the
 * input has actually delivered elements for (a lying count fails at the first
 * missing element, not after allocating for all). A list present but empty
 * still gets a (non-NULL) array.
 */
struct growing_array {
    unsigned char *items;
    uint32_t cap;
    size_t size; /* of an element */
};

static int array_init(struct decoder *d, struct growing_array *a, uint32_t count, size_t size)
{
    void *mem = NULL;
    int rc;

    a->size = size;
    a->cap = count < 8 ? count : 8;
    rc = alloc_bytes(d, (a->cap == 0 ? 1 : a->cap) * size, &mem);
    a->items = mem;
    return rc;
}

/* The slot of element i (i <= cap), growing the array when it is full. */
static int array_slot(struct decoder *d, struct growing_array *a, uint32_t i, uint32_t count,
                      void **slot)
{
    if (i == a->cap) {
        uint32_t cap = a->cap > count / 2 ? count : a->cap * 2;
        void *mem = NULL;
        int rc = alloc_bytes(d, (size_t)cap * a->size, &mem);
        if (rc != SL_OK)
            return rc;
        memcpy(mem, a->items, (size_t)i * a->size); /* elements hold no pointers to themselves */
        a->items = mem;
        a->cap = cap;
    }
    *slot = a->items + (size_t)i * a->size;
    return SL_OK;
}

static int get_i32_list(struct decoder *d, uint8_t type, int32_t **out, uint32_t *n)
{
    struct growing_array a;
    uint32_t count = 0;
    int rc = list_begin(d, type, SL_THRIFT_I32, &count);

    if (rc == SL_OK)
        rc = array_init(d, &a, count, sizeof(int32_t));
    for (uint32_t i = 0; rc == SL_OK && i < count; i++) {
        void *slot = NULL;
        top(d)->index = i;
        rc = array_slot(d, &a, i, count, &slot);
        if (rc == SL_OK)
            rc = sl_thrift_read_i32(&d->r, slot);
    }
    if (rc != SL_OK)
        return rc;
    top(d)->index = -1;
    *out = (int32_t *)(void *)a.items;
    *n = count;
    return SL_OK;
}

static int get_i64_list(struct decoder *d, uint8_t type, int64_t **out, uint32_t *n)
{
    struct growing_array a;
    uint32_t count = 0;
    int rc = list_begin(d, type, SL_THRIFT_I64, &count);

    if (rc == SL_OK)
        rc = array_init(d, &a, count, sizeof(int64_t));
    for (uint32_t i = 0; rc == SL_OK && i < count; i++) {
        void *slot = NULL;
        top(d)->index = i;
        rc = array_slot(d, &a, i, count, &slot);
        if (rc == SL_OK)
            rc = sl_thrift_read_i64(&d->r, slot);
    }
    if (rc != SL_OK)
        return rc;
    top(d)->index = -1;
    *out = (int64_t *)(void *)a.items;
    *n = count;
    return SL_OK;
}

static int get_bytes_list(struct decoder *d, uint8_t type, struct sl_parquet_bytes **out,
                          uint32_t *n)
{
    struct growing_array a;
    uint32_t count = 0;
    int rc = list_begin(d, type, SL_THRIFT_BINARY, &count);

    if (rc == SL_OK)
        rc = array_init(d, &a, count, sizeof(struct sl_parquet_bytes));
    for (uint32_t i = 0; rc == SL_OK && i < count; i++) {
        void *slot = NULL;
        top(d)->index = i;
        rc = array_slot(d, &a, i, count, &slot);
        if (rc == SL_OK)
            rc = read_bytes(d, slot);
    }
    if (rc != SL_OK)
        return rc;
    top(d)->index = -1;
    *out = (struct sl_parquet_bytes *)(void *)a.items;
    *n = count;
    return SL_OK;
}

static int get_struct_list(struct decoder *d, uint8_t type, const struct struct_desc *desc,
                           void **out, uint32_t *n)
{
    struct growing_array a;
    uint32_t count = 0;
    int rc = list_begin(d, type, SL_THRIFT_STRUCT, &count);

    if (rc == SL_OK)
        rc = array_init(d, &a, count, desc->size);
    for (uint32_t i = 0; rc == SL_OK && i < count; i++) {
        void *slot = NULL;
        top(d)->index = i;
        rc = array_slot(d, &a, i, count, &slot);
        if (rc == SL_OK)
            rc = decode_struct(d, desc, slot);
    }
    if (rc != SL_OK)
        return rc;
    top(d)->index = -1;
    *out = a.items;
    *n = count;
    return SL_OK;
}

/* An unknown union member that is a struct: kept as its compact bytes. */
static int capture_member(struct decoder *d, int16_t id, uint8_t type, int32_t *kind,
                          struct sl_parquet_bytes *raw)
{
    size_t start = d->r.pos;
    int rc;

    if (type != SL_THRIFT_STRUCT || id <= 0)
        return NOT_TAKEN;
    rc = sl_thrift_skip(&d->r, SL_THRIFT_STRUCT);
    if (rc != SL_OK)
        return rc;
    *kind = id;
    return copy_bytes(d, d->r.buf + start, d->r.pos - start, raw);
}

/* ---------------------------------------------------------------- struct callbacks */

#define NAMES(table) table, SL_ARRAY_LEN(table)

/* An empty struct: TypeDefinedOrder, StringType, MilliSeconds, IndexPageHeader... */
struct empty {
    char unused;
};

static int empty_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    (void)d, (void)out, (void)id, (void)type;
    return NOT_TAKEN;
}

static const char *const empty_fields[] = {NULL};
static const struct struct_desc empty_desc = {
    "empty struct", NAMES(empty_fields), 0, false, sizeof(struct empty), empty_field,
};

static int get_empty(struct decoder *d, uint8_t type)
{
    struct empty ignored;
    return get_struct(d, type, &empty_desc, &ignored, NULL);
}

/* KeyValue */
static int key_value_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_key_value *kv = out;
    switch (id) {
    case 1: return get_bytes(d, type, &kv->key);
    case 2: return get_bytes(d, type, &kv->value);
    default: return NOT_TAKEN;
    }
}

static const char *const key_value_fields[] = {NULL, "key", "value"};
static const struct struct_desc key_value_desc = {
    "KeyValue", NAMES(key_value_fields), BIT(1), false, sizeof(struct sl_parquet_key_value),
    key_value_field,
};

/* Statistics */
static int statistics_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_statistics *s = out;
    switch (id) {
    case 1: return get_bytes(d, type, &s->max);
    case 2: return get_bytes(d, type, &s->min);
    case 3: return get_opt_i64(d, type, &s->has_null_count, &s->null_count);
    case 4: return get_opt_i64(d, type, &s->has_distinct_count, &s->distinct_count);
    case 5: return get_bytes(d, type, &s->max_value);
    case 6: return get_bytes(d, type, &s->min_value);
    case 7: return get_opt_bool(d, type, &s->has_is_max_value_exact, &s->is_max_value_exact);
    case 8: return get_opt_bool(d, type, &s->has_is_min_value_exact, &s->is_min_value_exact);
    default: return NOT_TAKEN;
    }
}

static const char *const statistics_fields[] = {
    NULL,        "max",       "min",        "null_count",         "distinct_count",
    "max_value", "min_value", "is_max_value_exact", "is_min_value_exact",
};
static const struct struct_desc statistics_desc = {
    "Statistics", NAMES(statistics_fields), 0, false, sizeof(struct sl_parquet_statistics),
    statistics_field,
};

/* TimeUnit (union of empty structs) */
struct time_unit {
    int32_t unit;
};

static int time_unit_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct time_unit *tu = out;
    int rc;

    if (id <= 0)
        return NOT_TAKEN;
    /* MILLIS, MICROS, NANOS and any newer unit: all empty structs */
    rc = get_empty(d, type);
    if (rc == SL_OK)
        tu->unit = id;
    return rc;
}

static const char *const time_unit_fields[] = {NULL, "MILLIS", "MICROS", "NANOS"};
static const struct struct_desc time_unit_desc = {
    "TimeUnit", NAMES(time_unit_fields), 0, true, sizeof(struct time_unit), time_unit_field,
};

/* DecimalType */
struct decimal_type {
    int32_t scale, precision;
};

static int decimal_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct decimal_type *dt = out;
    switch (id) {
    case 1: return get_i32(d, type, &dt->scale);
    case 2: return get_i32(d, type, &dt->precision);
    default: return NOT_TAKEN;
    }
}

static const char *const decimal_fields[] = {NULL, "scale", "precision"};
static const struct struct_desc decimal_desc = {
    "DecimalType", NAMES(decimal_fields), BIT(1) | BIT(2), false, sizeof(struct decimal_type),
    decimal_field,
};

/* TimeType and TimestampType (same shape) */
struct time_type {
    bool is_adjusted_to_utc;
    struct time_unit unit;
};

static int time_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct time_type *tt = out;
    switch (id) {
    case 1: return get_bool(d, type, &tt->is_adjusted_to_utc);
    case 2: return get_struct(d, type, &time_unit_desc, &tt->unit, NULL);
    default: return NOT_TAKEN;
    }
}

static const char *const time_fields[] = {NULL, "isAdjustedToUTC", "unit"};
static const struct struct_desc time_desc = {
    "TimeType", NAMES(time_fields), BIT(1) | BIT(2), false, sizeof(struct time_type), time_field,
};
static const struct struct_desc timestamp_desc = {
    "TimestampType", NAMES(time_fields), BIT(1) | BIT(2), false, sizeof(struct time_type),
    time_field,
};

/* IntType */
struct int_type {
    int8_t bit_width;
    bool is_signed;
};

static int int_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct int_type *it = out;
    switch (id) {
    case 1: return get_i8(d, type, &it->bit_width);
    case 2: return get_bool(d, type, &it->is_signed);
    default: return NOT_TAKEN;
    }
}

static const char *const int_fields[] = {NULL, "bitWidth", "isSigned"};
static const struct struct_desc int_desc = {
    "IntType", NAMES(int_fields), BIT(1) | BIT(2), false, sizeof(struct int_type), int_field,
};

/* LogicalType (union) */
static int logical_type_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_logical_type *lt = out;
    struct decimal_type decimal;
    struct time_type time;
    struct int_type integer;
    int rc;

    switch (id) {
    case SL_PARQUET_LOGICAL_STRING:
    case SL_PARQUET_LOGICAL_MAP:
    case SL_PARQUET_LOGICAL_LIST:
    case SL_PARQUET_LOGICAL_ENUM:
    case SL_PARQUET_LOGICAL_DATE:
    case SL_PARQUET_LOGICAL_UNKNOWN:
    case SL_PARQUET_LOGICAL_JSON:
    case SL_PARQUET_LOGICAL_BSON:
    case SL_PARQUET_LOGICAL_UUID:
    case SL_PARQUET_LOGICAL_FLOAT16:
        rc = get_empty(d, type);
        break;
    case SL_PARQUET_LOGICAL_DECIMAL:
        rc = get_struct(d, type, &decimal_desc, &decimal, NULL);
        if (rc == SL_OK) {
            lt->scale = decimal.scale;
            lt->precision = decimal.precision;
        }
        break;
    case SL_PARQUET_LOGICAL_TIME:
    case SL_PARQUET_LOGICAL_TIMESTAMP:
        rc = get_struct(d, type, id == SL_PARQUET_LOGICAL_TIME ? &time_desc : &timestamp_desc,
                        &time, NULL);
        if (rc == SL_OK) {
            lt->is_adjusted_to_utc = time.is_adjusted_to_utc;
            lt->unit = time.unit.unit;
        }
        break;
    case SL_PARQUET_LOGICAL_INTEGER:
        rc = get_struct(d, type, &int_desc, &integer, NULL);
        if (rc == SL_OK) {
            lt->bit_width = integer.bit_width;
            lt->is_signed = integer.is_signed;
        }
        break;
    default:
        return capture_member(d, id, type, &lt->kind, &lt->unknown_member);
    }
    if (rc == SL_OK)
        lt->kind = id;
    return rc;
}

static const char *const logical_type_fields[] = {
    NULL,   "STRING",  "MAP",  "LIST",    "ENUM",    "DECIMAL", "DATE", "TIME",
    "TIMESTAMP", NULL, "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16",
};
static const struct struct_desc logical_type_desc = {
    "LogicalType", NAMES(logical_type_fields), 0, true, sizeof(struct sl_parquet_logical_type),
    logical_type_field,
};

/* SchemaElement */
static int schema_element_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_schema_element *el = out;
    switch (id) {
    case 1: return get_opt_i32(d, type, &el->has_type, &el->type);
    case 2: return get_opt_i32(d, type, &el->has_type_length, &el->type_length);
    case 3: return get_opt_i32(d, type, &el->has_repetition_type, &el->repetition_type);
    case 4: return get_bytes(d, type, &el->name);
    case 5: return get_opt_i32(d, type, &el->has_num_children, &el->num_children);
    case 6: return get_opt_i32(d, type, &el->has_converted_type, &el->converted_type);
    case 7: return get_opt_i32(d, type, &el->has_scale, &el->scale);
    case 8: return get_opt_i32(d, type, &el->has_precision, &el->precision);
    case 9: return get_opt_i32(d, type, &el->has_field_id, &el->field_id);
    case 10: return get_struct(d, type, &logical_type_desc, &el->logical_type, NULL);
    default: return NOT_TAKEN;
    }
}

static const char *const schema_element_fields[] = {
    NULL,          "type",      "type_length", "repetition_type", "name",       "num_children",
    "converted_type", "scale",  "precision",   "field_id",        "logicalType",
};
static const struct struct_desc schema_element_desc = {
    "SchemaElement", NAMES(schema_element_fields), BIT(4), false,
    sizeof(struct sl_parquet_schema_element), schema_element_field,
};

/* PageEncodingStats */
static int page_encoding_stats_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_page_encoding_stats *pes = out;
    switch (id) {
    case 1: return get_i32(d, type, &pes->page_type);
    case 2: return get_i32(d, type, &pes->encoding);
    case 3: return get_i32(d, type, &pes->count);
    default: return NOT_TAKEN;
    }
}

static const char *const page_encoding_stats_fields[] = {NULL, "page_type", "encoding", "count"};
static const struct struct_desc page_encoding_stats_desc = {
    "PageEncodingStats", NAMES(page_encoding_stats_fields), BIT(1) | BIT(2) | BIT(3), false,
    sizeof(struct sl_parquet_page_encoding_stats), page_encoding_stats_field,
};

/* SizeStatistics */
static int size_statistics_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_size_statistics *ss = out;
    switch (id) {
    case 1:
        return get_opt_i64(d, type, &ss->has_unencoded_byte_array_data_bytes,
                           &ss->unencoded_byte_array_data_bytes);
    case 2:
        return get_i64_list(d, type, &ss->repetition_level_histogram,
                            &ss->n_repetition_level_histogram);
    case 3:
        return get_i64_list(d, type, &ss->definition_level_histogram,
                            &ss->n_definition_level_histogram);
    default: return NOT_TAKEN;
    }
}

static const char *const size_statistics_fields[] = {
    NULL, "unencoded_byte_array_data_bytes", "repetition_level_histogram",
    "definition_level_histogram",
};
static const struct struct_desc size_statistics_desc = {
    "SizeStatistics", NAMES(size_statistics_fields), 0, false,
    sizeof(struct sl_parquet_size_statistics), size_statistics_field,
};

/* ColumnMetaData */
static int column_meta_data_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_column_meta_data *md = out;
    switch (id) {
    case 1: return get_i32(d, type, &md->type);
    case 2: return get_i32_list(d, type, &md->encodings, &md->n_encodings);
    case 3: return get_bytes_list(d, type, &md->path_in_schema, &md->n_path_in_schema);
    case 4: return get_i32(d, type, &md->codec);
    case 5: return get_i64(d, type, &md->num_values);
    case 6: return get_i64(d, type, &md->total_uncompressed_size);
    case 7: return get_i64(d, type, &md->total_compressed_size);
    case 8:
        return get_struct_list(d, type, &key_value_desc, (void **)&md->key_value_metadata,
                               &md->n_key_value_metadata);
    case 9: return get_i64(d, type, &md->data_page_offset);
    case 10: return get_opt_i64(d, type, &md->has_index_page_offset, &md->index_page_offset);
    case 11:
        return get_opt_i64(d, type, &md->has_dictionary_page_offset, &md->dictionary_page_offset);
    case 12: return get_struct(d, type, &statistics_desc, &md->statistics, &md->has_statistics);
    case 13:
        return get_struct_list(d, type, &page_encoding_stats_desc, (void **)&md->encoding_stats,
                               &md->n_encoding_stats);
    case 14: return get_opt_i64(d, type, &md->has_bloom_filter_offset, &md->bloom_filter_offset);
    case 15: return get_opt_i32(d, type, &md->has_bloom_filter_length, &md->bloom_filter_length);
    case 16:
        return get_struct(d, type, &size_statistics_desc, &md->size_statistics,
                          &md->has_size_statistics);
    default: return NOT_TAKEN;
    }
}

static const char *const column_meta_data_fields[] = {
    NULL,
    "type",
    "encodings",
    "path_in_schema",
    "codec",
    "num_values",
    "total_uncompressed_size",
    "total_compressed_size",
    "key_value_metadata",
    "data_page_offset",
    "index_page_offset",
    "dictionary_page_offset",
    "statistics",
    "encoding_stats",
    "bloom_filter_offset",
    "bloom_filter_length",
    "size_statistics",
};
static const struct struct_desc column_meta_data_desc = {
    "ColumnMetaData",
    NAMES(column_meta_data_fields),
    BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(9),
    false,
    sizeof(struct sl_parquet_column_meta_data),
    column_meta_data_field,
};

/* ColumnChunk */
static int column_chunk_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_column_chunk *cc = out;
    switch (id) {
    case 1: return get_bytes(d, type, &cc->file_path);
    case 2: return get_i64(d, type, &cc->file_offset);
    case 3: return get_struct(d, type, &column_meta_data_desc, &cc->meta_data, &cc->has_meta_data);
    case 4: return get_opt_i64(d, type, &cc->has_offset_index_offset, &cc->offset_index_offset);
    case 5: return get_opt_i32(d, type, &cc->has_offset_index_length, &cc->offset_index_length);
    case 6: return get_opt_i64(d, type, &cc->has_column_index_offset, &cc->column_index_offset);
    case 7: return get_opt_i32(d, type, &cc->has_column_index_length, &cc->column_index_length);
    default: return NOT_TAKEN;
    }
}

static const char *const column_chunk_fields[] = {
    NULL,
    "file_path",
    "file_offset",
    "meta_data",
    "offset_index_offset",
    "offset_index_length",
    "column_index_offset",
    "column_index_length",
};
static const struct struct_desc column_chunk_desc = {
    "ColumnChunk", NAMES(column_chunk_fields), BIT(2), false,
    sizeof(struct sl_parquet_column_chunk), column_chunk_field,
};

/* RowGroup */
static int row_group_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_row_group *rg = out;
    switch (id) {
    case 1:
        return get_struct_list(d, type, &column_chunk_desc, (void **)&rg->columns,
                               &rg->n_columns);
    case 2: return get_i64(d, type, &rg->total_byte_size);
    case 3: return get_i64(d, type, &rg->num_rows);
    /* 4: sorting_columns, not modelled: skipped */
    case 5: return get_opt_i64(d, type, &rg->has_file_offset, &rg->file_offset);
    case 6:
        return get_opt_i64(d, type, &rg->has_total_compressed_size, &rg->total_compressed_size);
    case 7: return get_opt_i16(d, type, &rg->has_ordinal, &rg->ordinal);
    default: return NOT_TAKEN;
    }
}

static const char *const row_group_fields[] = {
    NULL,          "columns",     "total_byte_size",       "num_rows",
    "sorting_columns", "file_offset", "total_compressed_size", "ordinal",
};
static const struct struct_desc row_group_desc = {
    "RowGroup", NAMES(row_group_fields), BIT(1) | BIT(2) | BIT(3), false,
    sizeof(struct sl_parquet_row_group), row_group_field,
};

/* ColumnOrder (union) */
static int column_order_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_column_order *co = out;
    int rc;

    if (id == SL_PARQUET_COLUMN_ORDER_TYPE_DEFINED) {
        rc = get_empty(d, type);
        if (rc == SL_OK)
            co->kind = id;
        return rc;
    }
    return capture_member(d, id, type, &co->kind, &co->unknown_member);
}

static const char *const column_order_fields[] = {NULL, "TYPE_ORDER"};
static const struct struct_desc column_order_desc = {
    "ColumnOrder", NAMES(column_order_fields), 0, true, sizeof(struct sl_parquet_column_order),
    column_order_field,
};

/* FileMetaData */
static int file_metadata_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_file_metadata *md = out;
    switch (id) {
    case 1: return get_i32(d, type, &md->version);
    case 2:
        return get_struct_list(d, type, &schema_element_desc, (void **)&md->schema,
                               &md->n_schema);
    case 3: return get_i64(d, type, &md->num_rows);
    case 4:
        return get_struct_list(d, type, &row_group_desc, (void **)&md->row_groups,
                               &md->n_row_groups);
    case 5:
        return get_struct_list(d, type, &key_value_desc, (void **)&md->key_value_metadata,
                               &md->n_key_value_metadata);
    case 6: return get_bytes(d, type, &md->created_by);
    case 7:
        return get_struct_list(d, type, &column_order_desc, (void **)&md->column_orders,
                               &md->n_column_orders);
    default: return NOT_TAKEN;
    }
}

static const char *const file_metadata_fields[] = {
    NULL,         "version",    "schema",        "num_rows", "row_groups",
    "key_value_metadata", "created_by", "column_orders",
};
static const struct struct_desc file_metadata_desc = {
    "FileMetaData", NAMES(file_metadata_fields), BIT(1) | BIT(2) | BIT(3) | BIT(4), false,
    sizeof(struct sl_parquet_file_metadata), file_metadata_field,
};

/* DataPageHeader */
static int data_page_header_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_data_page_header *h = out;
    switch (id) {
    case 1: return get_i32(d, type, &h->num_values);
    case 2: return get_i32(d, type, &h->encoding);
    case 3: return get_i32(d, type, &h->definition_level_encoding);
    case 4: return get_i32(d, type, &h->repetition_level_encoding);
    case 5: return get_struct(d, type, &statistics_desc, &h->statistics, &h->has_statistics);
    default: return NOT_TAKEN;
    }
}

static const char *const data_page_header_fields[] = {
    NULL,
    "num_values",
    "encoding",
    "definition_level_encoding",
    "repetition_level_encoding",
    "statistics",
};
static const struct struct_desc data_page_header_desc = {
    "DataPageHeader", NAMES(data_page_header_fields), BIT(1) | BIT(2) | BIT(3) | BIT(4), false,
    sizeof(struct sl_parquet_data_page_header), data_page_header_field,
};

/* DictionaryPageHeader */
static int dictionary_page_header_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_dictionary_page_header *h = out;
    switch (id) {
    case 1: return get_i32(d, type, &h->num_values);
    case 2: return get_i32(d, type, &h->encoding);
    case 3: return get_opt_bool(d, type, &h->has_is_sorted, &h->is_sorted);
    default: return NOT_TAKEN;
    }
}

static const char *const dictionary_page_header_fields[] = {NULL, "num_values", "encoding",
                                                            "is_sorted"};
static const struct struct_desc dictionary_page_header_desc = {
    "DictionaryPageHeader", NAMES(dictionary_page_header_fields), BIT(1) | BIT(2), false,
    sizeof(struct sl_parquet_dictionary_page_header), dictionary_page_header_field,
};

/* DataPageHeaderV2 */
static int data_page_header_v2_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_data_page_header_v2 *h = out;
    switch (id) {
    case 1: return get_i32(d, type, &h->num_values);
    case 2: return get_i32(d, type, &h->num_nulls);
    case 3: return get_i32(d, type, &h->num_rows);
    case 4: return get_i32(d, type, &h->encoding);
    case 5: return get_i32(d, type, &h->definition_levels_byte_length);
    case 6: return get_i32(d, type, &h->repetition_levels_byte_length);
    case 7: return get_opt_bool(d, type, &h->has_is_compressed, &h->is_compressed);
    case 8: return get_struct(d, type, &statistics_desc, &h->statistics, &h->has_statistics);
    default: return NOT_TAKEN;
    }
}

static const char *const data_page_header_v2_fields[] = {
    NULL,
    "num_values",
    "num_nulls",
    "num_rows",
    "encoding",
    "definition_levels_byte_length",
    "repetition_levels_byte_length",
    "is_compressed",
    "statistics",
};
static const struct struct_desc data_page_header_v2_desc = {
    "DataPageHeaderV2",
    NAMES(data_page_header_v2_fields),
    BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6),
    false,
    sizeof(struct sl_parquet_data_page_header_v2),
    data_page_header_v2_field,
};

/* PageHeader */
static int page_header_field(struct decoder *d, void *out, int16_t id, uint8_t type)
{
    struct sl_parquet_page_header *h = out;
    int rc;

    switch (id) {
    case 1: return get_i32(d, type, &h->type);
    case 2: return get_i32(d, type, &h->uncompressed_page_size);
    case 3: return get_i32(d, type, &h->compressed_page_size);
    case 4: return get_opt_i32(d, type, &h->has_crc, &h->crc);
    case 5:
        return get_struct(d, type, &data_page_header_desc, &h->data_page_header,
                          &h->has_data_page_header);
    case 6:
        rc = get_empty(d, type);
        if (rc == SL_OK)
            h->has_index_page_header = true;
        return rc;
    case 7:
        return get_struct(d, type, &dictionary_page_header_desc, &h->dictionary_page_header,
                          &h->has_dictionary_page_header);
    case 8:
        rc = get_struct(d, type, &data_page_header_v2_desc, &h->data_page_header_v2,
                        &h->has_data_page_header_v2);
        if (rc == SL_OK && !h->data_page_header_v2.has_is_compressed)
            h->data_page_header_v2.is_compressed = true; /* the spec's default */
        return rc;
    default: return NOT_TAKEN;
    }
}

static const char *const page_header_fields[] = {
    NULL,
    "type",
    "uncompressed_page_size",
    "compressed_page_size",
    "crc",
    "data_page_header",
    "index_page_header",
    "dictionary_page_header",
    "data_page_header_v2",
};
static const struct struct_desc page_header_desc = {
    "PageHeader", NAMES(page_header_fields), BIT(1) | BIT(2) | BIT(3), false,
    sizeof(struct sl_parquet_page_header), page_header_field,
};

static int decode_top(const struct struct_desc *desc, const uint8_t *buf, size_t len,
                      struct sl_arena *arena, void *out, size_t *consumed, struct sl_error *err)
{
    struct decoder d;
    int rc;

    if (buf == NULL && len > 0)
        return sl_error_set(err, SL_EINVAL, "parquet %s: NULL input", desc->name);
    memset(&d, 0, sizeof(d));
    sl_thrift_reader_init(&d.r, buf, len, err);
    d.arena = arena;
    d.arena_start = arena->used_total;
    d.budget = len > SIZE_MAX / DECODE_BUDGET_RATIO ? SIZE_MAX : len * DECODE_BUDGET_RATIO;
    if (d.budget < DECODE_BUDGET_MIN)
        d.budget = DECODE_BUDGET_MIN;
    d.err = err;
    rc = decode_struct(&d, desc, out);
    if (rc == SL_OK && consumed != NULL)
        *consumed = d.r.pos;
    return rc;
}

int sl_parquet_file_metadata_decode(const uint8_t *buf, size_t len, struct sl_arena *arena,
                                    struct sl_parquet_file_metadata *out, size_t *consumed,
                                    struct sl_error *err)
{
    return decode_top(&file_metadata_desc, buf, len, arena, out, consumed, err);
}

int sl_parquet_page_header_decode(const uint8_t *buf, size_t len, struct sl_arena *arena,
                                  struct sl_parquet_page_header *out, size_t *consumed,
                                  struct sl_error *err)
{
    return decode_top(&page_header_desc, buf, len, arena, out, consumed, err);
}

/* ================================================================ encoding */

struct encoder {
    struct sl_thrift_writer w;
    struct sl_error *err;
    int rc; /* first invalid value (the writer keeps its own I/O-ish failures) */
};

static void invalid(struct encoder *e, const char *what, const char *why)
{
    if (e->rc != SL_OK)
        return;
    e->rc = sl_error_set(e->err, SL_EINVAL, "cannot encode parquet %s: %s", what, why);
    /* stop the writer too, so nothing more is appended */
    if (e->w.rc == SL_OK)
        e->w.rc = SL_EINVAL;
}

static bool count_ok(struct encoder *e, const char *what, const void *items, uint32_t n)
{
    if (n > (uint32_t)INT32_MAX) {
        invalid(e, what, "more than INT32_MAX elements");
        return false;
    }
    if (items == NULL && n > 0) {
        invalid(e, what, "NULL array with a nonzero count");
        return false;
    }
    return true;
}

static void put_i8(struct encoder *e, int16_t id, int8_t value)
{
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_I8, id);
    sl_thrift_write_i8(&e->w, value);
}

static void put_i32(struct encoder *e, int16_t id, int32_t value)
{
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_I32, id);
    sl_thrift_write_i32(&e->w, value);
}

static void put_i64(struct encoder *e, int16_t id, int64_t value)
{
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_I64, id);
    sl_thrift_write_i64(&e->w, value);
}

static void put_opt_i16(struct encoder *e, int16_t id, bool has, int16_t value)
{
    if (!has)
        return;
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_I16, id);
    sl_thrift_write_i16(&e->w, value);
}

static void put_opt_i32(struct encoder *e, int16_t id, bool has, int32_t value)
{
    if (has)
        put_i32(e, id, value);
}

static void put_opt_i64(struct encoder *e, int16_t id, bool has, int64_t value)
{
    if (has)
        put_i64(e, id, value);
}

static void put_opt_bool(struct encoder *e, int16_t id, bool has, bool value)
{
    if (has)
        sl_thrift_write_field_bool(&e->w, id, value);
}

static void put_bytes(struct encoder *e, int16_t id, const char *what,
                      struct sl_parquet_bytes bytes)
{
    if (bytes.data == NULL) {
        invalid(e, what, "required string is NULL");
        return;
    }
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_BINARY, id);
    sl_thrift_write_binary(&e->w, bytes.data, bytes.len);
}

static void put_opt_bytes(struct encoder *e, int16_t id, struct sl_parquet_bytes bytes)
{
    if (bytes.data == NULL)
        return;
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_BINARY, id);
    sl_thrift_write_binary(&e->w, bytes.data, bytes.len);
}

static void put_i32_list(struct encoder *e, int16_t id, const char *what, const int32_t *items,
                         uint32_t n)
{
    if (!count_ok(e, what, items, n))
        return;
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_LIST, id);
    sl_thrift_write_list_begin(&e->w, SL_THRIFT_I32, n);
    for (uint32_t i = 0; i < n; i++)
        sl_thrift_write_i32(&e->w, items[i]);
}

static void put_opt_i64_list(struct encoder *e, int16_t id, const char *what,
                             const int64_t *items, uint32_t n)
{
    if (items == NULL && n == 0)
        return;
    if (!count_ok(e, what, items, n))
        return;
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_LIST, id);
    sl_thrift_write_list_begin(&e->w, SL_THRIFT_I64, n);
    for (uint32_t i = 0; i < n; i++)
        sl_thrift_write_i64(&e->w, items[i]);
}

static void put_bytes_list(struct encoder *e, int16_t id, const char *what,
                           const struct sl_parquet_bytes *items, uint32_t n)
{
    if (!count_ok(e, what, items, n))
        return;
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_LIST, id);
    sl_thrift_write_list_begin(&e->w, SL_THRIFT_BINARY, n);
    for (uint32_t i = 0; i < n; i++) {
        if (items[i].data == NULL && items[i].len > 0) {
            invalid(e, what, "NULL string with a nonzero length");
            return;
        }
        sl_thrift_write_binary(&e->w, items[i].data, items[i].len);
    }
}

/* Starts a list field of structs; false if the list is not to be written. */
static bool struct_list_begin(struct encoder *e, int16_t id, const char *what, const void *items,
                              uint32_t n)
{
    if (!count_ok(e, what, items, n))
        return false;
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_LIST, id);
    sl_thrift_write_list_begin(&e->w, SL_THRIFT_STRUCT, n);
    return true;
}

static void field_struct_begin(struct encoder *e, int16_t id)
{
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, id);
    sl_thrift_write_struct_begin(&e->w);
}

static void put_empty_struct(struct encoder *e, int16_t id)
{
    field_struct_begin(e, id);
    sl_thrift_write_struct_end(&e->w);
}

/* An unknown union member, written back as the bytes it was read from. */
static void put_raw_member(struct encoder *e, int32_t kind, const char *what,
                           struct sl_parquet_bytes raw)
{
    if (raw.data == NULL || raw.len == 0 || kind <= 0 || kind > INT16_MAX) {
        invalid(e, what, "unknown union member without its bytes");
        return;
    }
    sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, (int16_t)kind);
    if (e->w.rc == SL_OK)
        e->w.rc = sl_buf_append(e->w.out, raw.data, raw.len);
}

static void encode_key_value(struct encoder *e, const struct sl_parquet_key_value *kv)
{
    sl_thrift_write_struct_begin(&e->w);
    put_bytes(e, 1, "KeyValue.key", kv->key);
    put_opt_bytes(e, 2, kv->value);
    sl_thrift_write_struct_end(&e->w);
}

static void put_key_values(struct encoder *e, int16_t id, const char *what,
                           const struct sl_parquet_key_value *items, uint32_t n)
{
    if (items == NULL && n == 0)
        return; /* absent */
    if (!struct_list_begin(e, id, what, items, n))
        return;
    for (uint32_t i = 0; i < n; i++)
        encode_key_value(e, &items[i]);
}

static void encode_statistics(struct encoder *e, const struct sl_parquet_statistics *s)
{
    sl_thrift_write_struct_begin(&e->w);
    put_opt_bytes(e, 1, s->max);
    put_opt_bytes(e, 2, s->min);
    put_opt_i64(e, 3, s->has_null_count, s->null_count);
    put_opt_i64(e, 4, s->has_distinct_count, s->distinct_count);
    put_opt_bytes(e, 5, s->max_value);
    put_opt_bytes(e, 6, s->min_value);
    put_opt_bool(e, 7, s->has_is_max_value_exact, s->is_max_value_exact);
    put_opt_bool(e, 8, s->has_is_min_value_exact, s->is_min_value_exact);
    sl_thrift_write_struct_end(&e->w);
}

static void put_time_unit(struct encoder *e, int16_t id, int32_t unit)
{
    if (unit <= 0 || unit > INT16_MAX) {
        invalid(e, "TimeUnit", "no unit");
        return;
    }
    field_struct_begin(e, id);
    put_empty_struct(e, (int16_t)unit);
    sl_thrift_write_struct_end(&e->w);
}

static void encode_logical_type(struct encoder *e, const struct sl_parquet_logical_type *lt)
{
    int16_t kind = (int16_t)lt->kind;

    sl_thrift_write_struct_begin(&e->w);
    switch (lt->kind) {
    case SL_PARQUET_LOGICAL_STRING:
    case SL_PARQUET_LOGICAL_MAP:
    case SL_PARQUET_LOGICAL_LIST:
    case SL_PARQUET_LOGICAL_ENUM:
    case SL_PARQUET_LOGICAL_DATE:
    case SL_PARQUET_LOGICAL_UNKNOWN:
    case SL_PARQUET_LOGICAL_JSON:
    case SL_PARQUET_LOGICAL_BSON:
    case SL_PARQUET_LOGICAL_UUID:
    case SL_PARQUET_LOGICAL_FLOAT16:
        put_empty_struct(e, kind);
        break;
    case SL_PARQUET_LOGICAL_DECIMAL:
        field_struct_begin(e, kind);
        put_i32(e, 1, lt->scale);
        put_i32(e, 2, lt->precision);
        sl_thrift_write_struct_end(&e->w);
        break;
    case SL_PARQUET_LOGICAL_TIME:
    case SL_PARQUET_LOGICAL_TIMESTAMP:
        field_struct_begin(e, kind);
        sl_thrift_write_field_bool(&e->w, 1, lt->is_adjusted_to_utc);
        put_time_unit(e, 2, lt->unit);
        sl_thrift_write_struct_end(&e->w);
        break;
    case SL_PARQUET_LOGICAL_INTEGER:
        field_struct_begin(e, kind);
        put_i8(e, 1, lt->bit_width);
        sl_thrift_write_field_bool(&e->w, 2, lt->is_signed);
        sl_thrift_write_struct_end(&e->w);
        break;
    default:
        put_raw_member(e, lt->kind, "LogicalType", lt->unknown_member);
        break;
    }
    sl_thrift_write_struct_end(&e->w);
}

static void encode_schema_element(struct encoder *e, const struct sl_parquet_schema_element *el)
{
    sl_thrift_write_struct_begin(&e->w);
    put_opt_i32(e, 1, el->has_type, el->type);
    put_opt_i32(e, 2, el->has_type_length, el->type_length);
    put_opt_i32(e, 3, el->has_repetition_type, el->repetition_type);
    put_bytes(e, 4, "SchemaElement.name", el->name);
    put_opt_i32(e, 5, el->has_num_children, el->num_children);
    put_opt_i32(e, 6, el->has_converted_type, el->converted_type);
    put_opt_i32(e, 7, el->has_scale, el->scale);
    put_opt_i32(e, 8, el->has_precision, el->precision);
    put_opt_i32(e, 9, el->has_field_id, el->field_id);
    if (el->logical_type.kind != SL_PARQUET_LOGICAL_NONE) {
        sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, 10);
        encode_logical_type(e, &el->logical_type);
    }
    sl_thrift_write_struct_end(&e->w);
}

static void encode_size_statistics(struct encoder *e, const struct sl_parquet_size_statistics *ss)
{
    sl_thrift_write_struct_begin(&e->w);
    put_opt_i64(e, 1, ss->has_unencoded_byte_array_data_bytes,
                ss->unencoded_byte_array_data_bytes);
    put_opt_i64_list(e, 2, "SizeStatistics.repetition_level_histogram",
                     ss->repetition_level_histogram, ss->n_repetition_level_histogram);
    put_opt_i64_list(e, 3, "SizeStatistics.definition_level_histogram",
                     ss->definition_level_histogram, ss->n_definition_level_histogram);
    sl_thrift_write_struct_end(&e->w);
}

static void encode_column_meta_data(struct encoder *e,
                                    const struct sl_parquet_column_meta_data *md)
{
    sl_thrift_write_struct_begin(&e->w);
    put_i32(e, 1, md->type);
    put_i32_list(e, 2, "ColumnMetaData.encodings", md->encodings, md->n_encodings);
    put_bytes_list(e, 3, "ColumnMetaData.path_in_schema", md->path_in_schema,
                   md->n_path_in_schema);
    put_i32(e, 4, md->codec);
    put_i64(e, 5, md->num_values);
    put_i64(e, 6, md->total_uncompressed_size);
    put_i64(e, 7, md->total_compressed_size);
    put_key_values(e, 8, "ColumnMetaData.key_value_metadata", md->key_value_metadata,
                   md->n_key_value_metadata);
    put_i64(e, 9, md->data_page_offset);
    put_opt_i64(e, 10, md->has_index_page_offset, md->index_page_offset);
    put_opt_i64(e, 11, md->has_dictionary_page_offset, md->dictionary_page_offset);
    if (md->has_statistics) {
        sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, 12);
        encode_statistics(e, &md->statistics);
    }
    if (md->encoding_stats != NULL || md->n_encoding_stats > 0) {
        if (struct_list_begin(e, 13, "ColumnMetaData.encoding_stats", md->encoding_stats,
                              md->n_encoding_stats)) {
            for (uint32_t i = 0; i < md->n_encoding_stats; i++) {
                const struct sl_parquet_page_encoding_stats *pes = &md->encoding_stats[i];
                sl_thrift_write_struct_begin(&e->w);
                put_i32(e, 1, pes->page_type);
                put_i32(e, 2, pes->encoding);
                put_i32(e, 3, pes->count);
                sl_thrift_write_struct_end(&e->w);
            }
        }
    }
    put_opt_i64(e, 14, md->has_bloom_filter_offset, md->bloom_filter_offset);
    put_opt_i32(e, 15, md->has_bloom_filter_length, md->bloom_filter_length);
    if (md->has_size_statistics) {
        sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, 16);
        encode_size_statistics(e, &md->size_statistics);
    }
    sl_thrift_write_struct_end(&e->w);
}

static void encode_column_chunk(struct encoder *e, const struct sl_parquet_column_chunk *cc)
{
    sl_thrift_write_struct_begin(&e->w);
    put_opt_bytes(e, 1, cc->file_path);
    put_i64(e, 2, cc->file_offset);
    if (cc->has_meta_data) {
        sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, 3);
        encode_column_meta_data(e, &cc->meta_data);
    }
    put_opt_i64(e, 4, cc->has_offset_index_offset, cc->offset_index_offset);
    put_opt_i32(e, 5, cc->has_offset_index_length, cc->offset_index_length);
    put_opt_i64(e, 6, cc->has_column_index_offset, cc->column_index_offset);
    put_opt_i32(e, 7, cc->has_column_index_length, cc->column_index_length);
    sl_thrift_write_struct_end(&e->w);
}

static void encode_row_group(struct encoder *e, const struct sl_parquet_row_group *rg)
{
    sl_thrift_write_struct_begin(&e->w);
    if (struct_list_begin(e, 1, "RowGroup.columns", rg->columns, rg->n_columns)) {
        for (uint32_t i = 0; i < rg->n_columns; i++)
            encode_column_chunk(e, &rg->columns[i]);
    }
    put_i64(e, 2, rg->total_byte_size);
    put_i64(e, 3, rg->num_rows);
    put_opt_i64(e, 5, rg->has_file_offset, rg->file_offset);
    put_opt_i64(e, 6, rg->has_total_compressed_size, rg->total_compressed_size);
    put_opt_i16(e, 7, rg->has_ordinal, rg->ordinal);
    sl_thrift_write_struct_end(&e->w);
}

static void encode_file_metadata(struct encoder *e, const struct sl_parquet_file_metadata *md)
{
    sl_thrift_write_struct_begin(&e->w);
    put_i32(e, 1, md->version);
    if (struct_list_begin(e, 2, "FileMetaData.schema", md->schema, md->n_schema)) {
        for (uint32_t i = 0; i < md->n_schema; i++)
            encode_schema_element(e, &md->schema[i]);
    }
    put_i64(e, 3, md->num_rows);
    if (struct_list_begin(e, 4, "FileMetaData.row_groups", md->row_groups, md->n_row_groups)) {
        for (uint32_t i = 0; i < md->n_row_groups; i++)
            encode_row_group(e, &md->row_groups[i]);
    }
    put_key_values(e, 5, "FileMetaData.key_value_metadata", md->key_value_metadata,
                   md->n_key_value_metadata);
    put_opt_bytes(e, 6, md->created_by);
    if (md->column_orders != NULL || md->n_column_orders > 0) {
        if (struct_list_begin(e, 7, "FileMetaData.column_orders", md->column_orders,
                              md->n_column_orders)) {
            for (uint32_t i = 0; i < md->n_column_orders; i++) {
                const struct sl_parquet_column_order *co = &md->column_orders[i];
                sl_thrift_write_struct_begin(&e->w);
                if (co->kind == SL_PARQUET_COLUMN_ORDER_TYPE_DEFINED)
                    put_empty_struct(e, (int16_t)co->kind);
                else
                    put_raw_member(e, co->kind, "ColumnOrder", co->unknown_member);
                sl_thrift_write_struct_end(&e->w);
            }
        }
    }
    sl_thrift_write_struct_end(&e->w);
}

static void encode_page_header(struct encoder *e, const struct sl_parquet_page_header *h)
{
    sl_thrift_write_struct_begin(&e->w);
    put_i32(e, 1, h->type);
    put_i32(e, 2, h->uncompressed_page_size);
    put_i32(e, 3, h->compressed_page_size);
    put_opt_i32(e, 4, h->has_crc, h->crc);
    if (h->has_data_page_header) {
        const struct sl_parquet_data_page_header *v1 = &h->data_page_header;
        field_struct_begin(e, 5);
        put_i32(e, 1, v1->num_values);
        put_i32(e, 2, v1->encoding);
        put_i32(e, 3, v1->definition_level_encoding);
        put_i32(e, 4, v1->repetition_level_encoding);
        if (v1->has_statistics) {
            sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, 5);
            encode_statistics(e, &v1->statistics);
        }
        sl_thrift_write_struct_end(&e->w);
    }
    if (h->has_index_page_header)
        put_empty_struct(e, 6);
    if (h->has_dictionary_page_header) {
        const struct sl_parquet_dictionary_page_header *dict = &h->dictionary_page_header;
        field_struct_begin(e, 7);
        put_i32(e, 1, dict->num_values);
        put_i32(e, 2, dict->encoding);
        put_opt_bool(e, 3, dict->has_is_sorted, dict->is_sorted);
        sl_thrift_write_struct_end(&e->w);
    }
    if (h->has_data_page_header_v2) {
        const struct sl_parquet_data_page_header_v2 *v2 = &h->data_page_header_v2;
        field_struct_begin(e, 8);
        put_i32(e, 1, v2->num_values);
        put_i32(e, 2, v2->num_nulls);
        put_i32(e, 3, v2->num_rows);
        put_i32(e, 4, v2->encoding);
        put_i32(e, 5, v2->definition_levels_byte_length);
        put_i32(e, 6, v2->repetition_levels_byte_length);
        put_opt_bool(e, 7, v2->has_is_compressed, v2->is_compressed);
        if (v2->has_statistics) {
            sl_thrift_write_field_begin(&e->w, SL_THRIFT_STRUCT, 8);
            encode_statistics(e, &v2->statistics);
        }
        sl_thrift_write_struct_end(&e->w);
    }
    sl_thrift_write_struct_end(&e->w);
}

/* Ends an encode: on failure, sets the message and truncates out back to start. */
static int encode_finish(struct encoder *e, struct sl_buf *out, size_t start, const char *what)
{
    int rc = e->rc != SL_OK ? e->rc : e->w.rc;

    if (rc == SL_OK && e->w.depth != 0)
        rc = sl_error_set(e->err, SL_EINVAL, "parquet %s encoder left a struct open", what);
    if (rc != SL_OK && e->rc == SL_OK && e->w.rc != SL_OK) {
        if (rc == SL_ELIMIT)
            sl_error_set(e->err, rc, "parquet %s does not fit the buffer limit of %zu bytes",
                         what, out->max);
        else if (rc == SL_ENOMEM)
            sl_error_set(e->err, rc, "out of memory encoding parquet %s", what);
        else
            sl_error_set(e->err, rc, "cannot encode parquet %s: invalid thrift value (%s)", what,
                         sl_error_code_name(rc));
    }
    if (rc != SL_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    }
    return rc;
}

int sl_parquet_file_metadata_encode(const struct sl_parquet_file_metadata *md, struct sl_buf *out,
                                    struct sl_error *err)
{
    struct encoder e;
    size_t start = out->len;

    memset(&e, 0, sizeof(e));
    sl_thrift_writer_init(&e.w, out);
    e.err = err;
    encode_file_metadata(&e, md);
    return encode_finish(&e, out, start, "FileMetaData");
}

int sl_parquet_page_header_encode(const struct sl_parquet_page_header *header,
                                  struct sl_buf *out, struct sl_error *err)
{
    struct encoder e;
    size_t start = out->len;

    memset(&e, 0, sizeof(e));
    sl_thrift_writer_init(&e.w, out);
    e.err = err;
    encode_page_header(&e, header);
    return encode_finish(&e, out, start, "PageHeader");
}

/* ================================================================ footer */

int sl_parquet_footer_size(const uint8_t *file_tail, size_t len, uint32_t *metadata_len,
                           struct sl_error *err)
{
    const uint8_t *trailer;

    if (file_tail == NULL || len < SL_PARQUET_TRAILER_LEN)
        return sl_error_set(err, SL_EPROTO,
                            "not a parquet file: %zu bytes cannot hold the 8-byte footer trailer",
                            file_tail == NULL ? 0 : len);
    trailer = file_tail + len - SL_PARQUET_TRAILER_LEN;
    if (memcmp(trailer + 4, "PARE", 4) == 0)
        return sl_error_set(err, SL_EPROTO,
                            "parquet file has an encrypted footer (PARE), which is not supported");
    if (memcmp(trailer + 4, SL_PARQUET_MAGIC, SL_PARQUET_MAGIC_LEN) != 0)
        return sl_error_set(err, SL_EPROTO,
                            "not a parquet file: it ends with %02x %02x %02x %02x, not \"PAR1\"",
                            trailer[4], trailer[5], trailer[6], trailer[7]);
    *metadata_len = (uint32_t)trailer[0] | (uint32_t)trailer[1] << 8 |
                    (uint32_t)trailer[2] << 16 | (uint32_t)trailer[3] << 24;
    return SL_OK;
}

int sl_parquet_footer_decode(const uint8_t *file_tail, size_t len, struct sl_arena *arena,
                             struct sl_parquet_file_metadata *out, struct sl_error *err)
{
    uint32_t metadata_len = 0;
    int rc = sl_parquet_footer_size(file_tail, len, &metadata_len, err);

    if (rc != SL_OK)
        return rc;
    if (metadata_len > len - SL_PARQUET_TRAILER_LEN)
        return sl_error_set(err, SL_EPROTO,
                            "parquet footer claims %u bytes of metadata but only %zu bytes "
                            "precede its trailer",
                            metadata_len, len - SL_PARQUET_TRAILER_LEN);
    return sl_parquet_file_metadata_decode(
        file_tail + len - SL_PARQUET_TRAILER_LEN - metadata_len, metadata_len, arena, out, NULL,
        err);
}

int sl_parquet_footer_encode(const struct sl_parquet_file_metadata *md, struct sl_buf *out,
                             struct sl_error *err)
{
    size_t start = out->len, metadata_len;
    uint8_t trailer[SL_PARQUET_TRAILER_LEN];
    int rc = sl_parquet_file_metadata_encode(md, out, err);

    if (rc != SL_OK)
        return rc;
    metadata_len = out->len - start;
    if (metadata_len > (size_t)INT32_MAX) { /* parquet-mr reads the length as a signed int */
        rc = sl_error_set(err, SL_ELIMIT, "parquet footer of %zu bytes exceeds 2 GiB",
                          metadata_len);
        goto fail;
    }
    for (int i = 0; i < 4; i++)
        trailer[i] = (uint8_t)(metadata_len >> (8 * i));
    memcpy(trailer + 4, SL_PARQUET_MAGIC, SL_PARQUET_MAGIC_LEN);
    rc = sl_buf_append(out, trailer, sizeof(trailer));
    if (rc != SL_OK) {
        sl_error_set(err, rc, "parquet footer trailer does not fit the buffer (%s)",
                     sl_error_code_name(rc));
        goto fail;
    }
    return SL_OK;

fail:
    out->len = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return rc;
}

/*
 * Thrift compact protocol: varints with zigzag for signed integers, field
 * headers as deltas from the previous field id, bools folded into field
 * headers, little-endian doubles. The reader is a pure function of its bytes:
 * every length is checked against what is left, nesting is bounded, and
 * container sizes are checked before anyone allocates for them.
 */
#include "parquet/thrift.h"

#include <string.h>

/* ---------------------------------------------------------------- shared */

const char *sl_thrift_type_name(uint8_t type)
{
    switch (type) {
    case SL_THRIFT_STOP: return "stop";
    case SL_THRIFT_BOOL_TRUE:
    case SL_THRIFT_BOOL_FALSE: return "bool";
    case SL_THRIFT_I8: return "i8";
    case SL_THRIFT_I16: return "i16";
    case SL_THRIFT_I32: return "i32";
    case SL_THRIFT_I64: return "i64";
    case SL_THRIFT_DOUBLE: return "double";
    case SL_THRIFT_BINARY: return "binary";
    case SL_THRIFT_LIST: return "list";
    case SL_THRIFT_SET: return "set";
    case SL_THRIFT_MAP: return "map";
    case SL_THRIFT_STRUCT: return "struct";
    case SL_THRIFT_UUID: return "uuid";
    default: return "unknown type";
    }
}

static uint32_t zigzag32(int32_t n)
{
    uint32_t u = (uint32_t)n;
    return (u << 1) ^ (0u - (u >> 31));
}

static uint64_t zigzag64(int64_t n)
{
    uint64_t u = (uint64_t)n;
    return (u << 1) ^ (UINT64_C(0) - (u >> 63));
}

/* Two's complement reinterpretation without implementation-defined casts. */
static int32_t u32_to_i32(uint32_t u)
{
    return u <= (uint32_t)INT32_MAX ? (int32_t)u
                                    : (int32_t)(u - (uint32_t)INT32_MAX - 1u) + INT32_MIN;
}

static int64_t u64_to_i64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u
                                    : (int64_t)(u - (uint64_t)INT64_MAX - 1u) + INT64_MIN;
}

static int32_t unzigzag32(uint32_t z)
{
    return u32_to_i32((z >> 1) ^ (0u - (z & 1u)));
}

static int64_t unzigzag64(uint64_t z)
{
    return u64_to_i64((z >> 1) ^ (UINT64_C(0) - (z & 1u)));
}

/* ================================================================ writer */

void sl_thrift_writer_init(struct sl_thrift_writer *w, struct sl_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

static int put(struct sl_thrift_writer *w, const void *bytes, size_t len)
{
    if (w->rc != SL_OK)
        return w->rc;
    w->rc = sl_buf_append(w->out, bytes, len);
    return w->rc;
}

static int put_byte(struct sl_thrift_writer *w, uint8_t byte)
{
    return put(w, &byte, 1);
}

static int put_varint(struct sl_thrift_writer *w, uint64_t value)
{
    uint8_t bytes[10];
    size_t n = 0;

    while (value >= 0x80) {
        bytes[n++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    bytes[n++] = (uint8_t)value;
    return put(w, bytes, n);
}

static int fail_writer(struct sl_thrift_writer *w, int rc)
{
    if (w->rc == SL_OK)
        w->rc = rc;
    return w->rc;
}

/* Wire types a header may name (bool as BOOL_TRUE; the value is elsewhere). */
static bool valid_value_type(int type)
{
    return type >= SL_THRIFT_BOOL_TRUE && type <= SL_THRIFT_UUID;
}

static uint8_t wire_elem_type(int type)
{
    return (uint8_t)(type == SL_THRIFT_BOOL_FALSE ? SL_THRIFT_BOOL_TRUE : type);
}

int sl_thrift_write_struct_begin(struct sl_thrift_writer *w)
{
    if (w->rc != SL_OK)
        return w->rc;
    if (w->depth >= SL_THRIFT_MAX_DEPTH)
        return fail_writer(w, SL_ELIMIT);
    w->field_id_stack[w->depth++] = w->last_field_id;
    w->last_field_id = 0;
    return SL_OK;
}

int sl_thrift_write_struct_end(struct sl_thrift_writer *w)
{
    if (w->rc != SL_OK)
        return w->rc;
    if (w->depth <= 0)
        return fail_writer(w, SL_EINVAL);
    if (put_byte(w, SL_THRIFT_STOP) != SL_OK)
        return w->rc;
    w->last_field_id = w->field_id_stack[--w->depth];
    return SL_OK;
}

static int put_field_header(struct sl_thrift_writer *w, uint8_t type, int16_t id)
{
    int delta = (int)id - (int)w->last_field_id;

    if (w->rc != SL_OK)
        return w->rc;
    if (w->depth <= 0)
        return fail_writer(w, SL_EINVAL); /* a field outside any struct */
    if (delta > 0 && delta <= 15)
        put_byte(w, (uint8_t)(delta << 4 | type));
    else if (put_byte(w, type) == SL_OK)
        put_varint(w, zigzag32(id));
    if (w->rc == SL_OK)
        w->last_field_id = id;
    return w->rc;
}

int sl_thrift_write_field_begin(struct sl_thrift_writer *w, enum sl_thrift_type type, int16_t id)
{
    if (!valid_value_type((int)type) || type == SL_THRIFT_BOOL_TRUE ||
        type == SL_THRIFT_BOOL_FALSE)
        return fail_writer(w, SL_EINVAL);
    return put_field_header(w, (uint8_t)type, id);
}

int sl_thrift_write_field_bool(struct sl_thrift_writer *w, int16_t id, bool value)
{
    return put_field_header(w, value ? SL_THRIFT_BOOL_TRUE : SL_THRIFT_BOOL_FALSE, id);
}

int sl_thrift_write_bool(struct sl_thrift_writer *w, bool value)
{
    return put_byte(w, value ? SL_THRIFT_BOOL_TRUE : SL_THRIFT_BOOL_FALSE);
}

int sl_thrift_write_i8(struct sl_thrift_writer *w, int8_t value)
{
    return put_byte(w, (uint8_t)value);
}

int sl_thrift_write_i16(struct sl_thrift_writer *w, int16_t value)
{
    return put_varint(w, zigzag32(value));
}

int sl_thrift_write_i32(struct sl_thrift_writer *w, int32_t value)
{
    return put_varint(w, zigzag32(value));
}

int sl_thrift_write_i64(struct sl_thrift_writer *w, int64_t value)
{
    return put_varint(w, zigzag64(value));
}

int sl_thrift_write_double(struct sl_thrift_writer *w, double value)
{
    uint64_t bits;
    uint8_t bytes[8];

    memcpy(&bits, &value, sizeof(bits));
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)(bits >> (8 * i));
    return put(w, bytes, sizeof(bytes));
}

int sl_thrift_write_binary(struct sl_thrift_writer *w, const void *bytes, size_t len)
{
    if (len > (size_t)INT32_MAX || (bytes == NULL && len > 0))
        return fail_writer(w, SL_EINVAL);
    put_varint(w, len);
    if (len > 0)
        put(w, bytes, len);
    return w->rc;
}

int sl_thrift_write_string(struct sl_thrift_writer *w, const char *s)
{
    if (s == NULL)
        return fail_writer(w, SL_EINVAL);
    return sl_thrift_write_binary(w, s, strlen(s));
}

static int put_collection_header(struct sl_thrift_writer *w, int elem_type, uint32_t size)
{
    if (!valid_value_type(elem_type) || size > (uint32_t)INT32_MAX)
        return fail_writer(w, SL_EINVAL);
    if (size < 15)
        return put_byte(w, (uint8_t)(size << 4 | wire_elem_type(elem_type)));
    put_byte(w, (uint8_t)(0xf0 | wire_elem_type(elem_type)));
    return put_varint(w, size);
}

int sl_thrift_write_list_begin(struct sl_thrift_writer *w, enum sl_thrift_type elem_type,
                               uint32_t size)
{
    return put_collection_header(w, (int)elem_type, size);
}

int sl_thrift_write_set_begin(struct sl_thrift_writer *w, enum sl_thrift_type elem_type,
                              uint32_t size)
{
    return put_collection_header(w, (int)elem_type, size);
}

int sl_thrift_write_map_begin(struct sl_thrift_writer *w, enum sl_thrift_type key_type,
                              enum sl_thrift_type value_type, uint32_t size)
{
    if (!valid_value_type((int)key_type) || !valid_value_type((int)value_type) ||
        size > (uint32_t)INT32_MAX)
        return fail_writer(w, SL_EINVAL);
    if (size == 0)
        return put_byte(w, 0);
    put_varint(w, size);
    return put_byte(w, (uint8_t)(wire_elem_type((int)key_type) << 4 |
                                 wire_elem_type((int)value_type)));
}

/* ================================================================ reader */

void sl_thrift_reader_init(struct sl_thrift_reader *r, const uint8_t *buf, size_t len,
                           struct sl_error *err)
{
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->len = len;
    r->max_depth = SL_THRIFT_MAX_DEPTH;
    r->err = err;
}

static int truncated(struct sl_thrift_reader *r, const char *what, size_t need)
{
    return sl_error_set(r->err, SL_EPROTO,
                        "truncated thrift: %s needs %zu bytes at byte offset %zu but %zu are left",
                        what, need, r->pos, r->len - r->pos);
}

static int malformed(struct sl_thrift_reader *r, size_t at, const char *what, const char *why)
{
    return sl_error_set(r->err, SL_EPROTO, "malformed thrift %s at byte offset %zu: %s", what, at,
                        why);
}

static int get_byte(struct sl_thrift_reader *r, const char *what, uint8_t *out)
{
    if (r->pos >= r->len)
        return truncated(r, what, 1);
    *out = r->buf[r->pos++];
    return SL_OK;
}

/*
 * A ULEB128 varint of at most `bits` bits (32 or 64). Longer encodings, or
 * bits set beyond the width, are malformed (Thrift's own readers would wrap).
 */
static int get_varint(struct sl_thrift_reader *r, const char *what, unsigned bits,
                      uint64_t *out)
{
    size_t start = r->pos;
    unsigned max_bytes = (bits + 6) / 7;
    uint64_t value = 0;

    for (unsigned i = 0;; i++) {
        uint8_t byte;
        if (r->pos >= r->len) {
            r->pos = start;
            return truncated(r, what, (size_t)i + 1);
        }
        byte = r->buf[r->pos++];
        if (i == max_bytes - 1) {
            /* the last byte may hold only the bits left of the width */
            unsigned left = bits - 7 * i;
            if ((byte & 0x80) != 0 || (byte >> left) != 0)
                return malformed(r, start, what, bits == 32 ? "varint overflows 32 bits"
                                                            : "varint overflows 64 bits");
        }
        value |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0)
            break;
    }
    *out = value;
    return SL_OK;
}

static int get_u32_size(struct sl_thrift_reader *r, const char *what, uint32_t *out)
{
    size_t start = r->pos;
    uint64_t value = 0;
    int rc = get_varint(r, what, 32, &value);

    if (rc != SL_OK)
        return rc;
    if (value > (uint64_t)INT32_MAX)
        return malformed(r, start, what, "negative size");
    *out = (uint32_t)value;
    return SL_OK;
}

int sl_thrift_read_struct_begin(struct sl_thrift_reader *r)
{
    int max = r->max_depth > SL_THRIFT_MAX_DEPTH ? SL_THRIFT_MAX_DEPTH : r->max_depth;

    if (r->depth >= max)
        return sl_error_set(r->err, SL_ELIMIT,
                            "thrift nesting deeper than %d at byte offset %zu", max, r->pos);
    r->field_id_stack[r->depth++] = r->last_field_id;
    r->last_field_id = 0;
    r->bool_pending = false;
    return SL_OK;
}

int sl_thrift_read_struct_end(struct sl_thrift_reader *r)
{
    if (r->depth <= 0)
        return sl_error_set(r->err, SL_EINVAL, "thrift struct end without a struct begin");
    r->last_field_id = r->field_id_stack[--r->depth];
    r->bool_pending = false;
    return SL_OK;
}

int sl_thrift_read_field_begin(struct sl_thrift_reader *r, uint8_t *type, int16_t *id)
{
    size_t start = r->pos;
    uint8_t header = 0, wire;
    int rc;

    r->bool_pending = false;
    rc = get_byte(r, "field header", &header);
    if (rc != SL_OK)
        return rc;
    if (header == SL_THRIFT_STOP) {
        *type = SL_THRIFT_STOP;
        *id = 0;
        return SL_OK;
    }
    wire = header & 0x0f;
    if (!valid_value_type(wire))
        return malformed(r, start, "field header", "unknown field type");
    if ((header >> 4) != 0) {
        int next = (int)r->last_field_id + (header >> 4);
        if (next > INT16_MAX)
            return malformed(r, start, "field header", "field id delta overflows i16");
        *id = (int16_t)next;
    } else {
        uint64_t z = 0;
        int32_t value;
        rc = get_varint(r, "field id", 32, &z);
        if (rc != SL_OK)
            return rc;
        value = unzigzag32((uint32_t)z);
        if (value < INT16_MIN || value > INT16_MAX)
            return malformed(r, start, "field id", "out of i16 range");
        *id = (int16_t)value;
    }
    r->last_field_id = *id;
    if (wire == SL_THRIFT_BOOL_TRUE || wire == SL_THRIFT_BOOL_FALSE) {
        r->bool_pending = true;
        r->bool_value = wire == SL_THRIFT_BOOL_TRUE;
        *type = SL_THRIFT_BOOL;
    } else {
        *type = wire;
    }
    return SL_OK;
}

int sl_thrift_read_bool(struct sl_thrift_reader *r, bool *out)
{
    uint8_t byte = 0;
    int rc;

    if (r->bool_pending) {
        r->bool_pending = false;
        *out = r->bool_value;
        return SL_OK;
    }
    rc = get_byte(r, "bool", &byte);
    if (rc != SL_OK)
        return rc;
    if (byte > SL_THRIFT_BOOL_FALSE)
        return malformed(r, r->pos - 1, "bool", "byte is not 0, 1 or 2");
    *out = byte == SL_THRIFT_BOOL_TRUE;
    return SL_OK;
}

int sl_thrift_read_i8(struct sl_thrift_reader *r, int8_t *out)
{
    uint8_t byte = 0;
    int rc = get_byte(r, "i8", &byte);

    if (rc == SL_OK)
        *out = (int8_t)u32_to_i32(byte >= 0x80 ? byte | 0xffffff00u : byte);
    return rc;
}

int sl_thrift_read_i16(struct sl_thrift_reader *r, int16_t *out)
{
    size_t start = r->pos;
    uint64_t z = 0;
    int32_t value;
    int rc = get_varint(r, "i16", 32, &z);

    if (rc != SL_OK)
        return rc;
    value = unzigzag32((uint32_t)z);
    if (value < INT16_MIN || value > INT16_MAX)
        return malformed(r, start, "i16", "out of i16 range");
    *out = (int16_t)value;
    return SL_OK;
}

int sl_thrift_read_i32(struct sl_thrift_reader *r, int32_t *out)
{
    uint64_t z = 0;
    int rc = get_varint(r, "i32", 32, &z);

    if (rc == SL_OK)
        *out = unzigzag32((uint32_t)z);
    return rc;
}

int sl_thrift_read_i64(struct sl_thrift_reader *r, int64_t *out)
{
    uint64_t z = 0;
    int rc = get_varint(r, "i64", 64, &z);

    if (rc == SL_OK)
        *out = unzigzag64(z);
    return rc;
}

int sl_thrift_read_double(struct sl_thrift_reader *r, double *out)
{
    uint64_t bits = 0;

    if (r->len - r->pos < 8)
        return truncated(r, "double", 8);
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)r->buf[r->pos + (size_t)i] << (8 * i);
    r->pos += 8;
    memcpy(out, &bits, sizeof(*out));
    return SL_OK;
}

int sl_thrift_read_binary(struct sl_thrift_reader *r, const uint8_t **data, size_t *len)
{
    uint32_t size = 0;
    int rc = get_u32_size(r, "binary length", &size);

    if (rc != SL_OK)
        return rc;
    if (r->len - r->pos < size)
        return truncated(r, "binary", size);
    *data = r->buf + r->pos;
    *len = size;
    r->pos += size;
    return SL_OK;
}

/* The fewest bytes one value of a wire type takes, to bound container sizes. */
static size_t min_value_size(uint8_t type)
{
    switch (type) {
    case SL_THRIFT_DOUBLE: return 8;
    case SL_THRIFT_UUID: return 16;
    default: return 1;
    }
}

static int read_collection_header(struct sl_thrift_reader *r, const char *what,
                                  uint8_t *elem_type, uint32_t *size)
{
    size_t start = r->pos;
    uint8_t header = 0, wire;
    uint32_t count;
    int rc = get_byte(r, what, &header);

    if (rc != SL_OK)
        return rc;
    wire = header & 0x0f;
    if (!valid_value_type(wire))
        return malformed(r, start, what, "unknown element type");
    count = header >> 4;
    if (count == 15) {
        rc = get_u32_size(r, what, &count);
        if (rc != SL_OK)
            return rc;
    }
    if (count > (r->len - r->pos) / min_value_size(wire))
        return sl_error_set(r->err, SL_EPROTO,
                            "malformed thrift %s at byte offset %zu: %u %s elements cannot fit in "
                            "the %zu bytes left",
                            what, start, count, sl_thrift_type_name(wire), r->len - r->pos);
    *elem_type = wire_elem_type(wire);
    *size = count;
    return SL_OK;
}

int sl_thrift_read_list_begin(struct sl_thrift_reader *r, uint8_t *elem_type, uint32_t *size)
{
    r->bool_pending = false;
    return read_collection_header(r, "list header", elem_type, size);
}

int sl_thrift_read_set_begin(struct sl_thrift_reader *r, uint8_t *elem_type, uint32_t *size)
{
    r->bool_pending = false;
    return read_collection_header(r, "set header", elem_type, size);
}

int sl_thrift_read_map_begin(struct sl_thrift_reader *r, uint8_t *key_type, uint8_t *value_type,
                             uint32_t *size)
{
    size_t start = r->pos;
    uint32_t count = 0;
    uint8_t types = 0, k, v;
    int rc;

    r->bool_pending = false;
    rc = get_u32_size(r, "map size", &count);
    if (rc != SL_OK)
        return rc;
    if (count == 0) {
        *key_type = SL_THRIFT_STOP;
        *value_type = SL_THRIFT_STOP;
        *size = 0;
        return SL_OK;
    }
    rc = get_byte(r, "map types", &types);
    if (rc != SL_OK)
        return rc;
    k = types >> 4;
    v = types & 0x0f;
    if (!valid_value_type(k) || !valid_value_type(v))
        return malformed(r, start, "map header", "unknown key or value type");
    if (count > (r->len - r->pos) / (min_value_size(k) + min_value_size(v)))
        return sl_error_set(r->err, SL_EPROTO,
                            "malformed thrift map header at byte offset %zu: %u entries cannot "
                            "fit in the %zu bytes left",
                            start, count, r->len - r->pos);
    *key_type = wire_elem_type(k);
    *value_type = wire_elem_type(v);
    *size = count;
    return SL_OK;
}

static int enter(struct sl_thrift_reader *r)
{
    int max = r->max_depth > SL_THRIFT_MAX_DEPTH ? SL_THRIFT_MAX_DEPTH : r->max_depth;

    if (r->depth >= max)
        return sl_error_set(r->err, SL_ELIMIT,
                            "thrift nesting deeper than %d at byte offset %zu", max, r->pos);
    r->depth++;
    return SL_OK;
}

static int skip_elements(struct sl_thrift_reader *r, uint8_t type, uint32_t count)
{
    int rc = enter(r);

    for (uint32_t i = 0; rc == SL_OK && i < count; i++)
        rc = sl_thrift_skip(r, type);
    if (rc == SL_OK)
        r->depth--;
    return rc;
}

int sl_thrift_skip(struct sl_thrift_reader *r, uint8_t type)
{
    const uint8_t *bytes;
    uint64_t varint;
    uint32_t count = 0;
    uint8_t elem = 0, key = 0, value = 0;
    int16_t id = 0;
    size_t len;
    bool b;
    double d;
    int rc;

    switch (type) {
    case SL_THRIFT_BOOL_TRUE:
    case SL_THRIFT_BOOL_FALSE:
        return sl_thrift_read_bool(r, &b);
    case SL_THRIFT_I8:
        r->bool_pending = false;
        return get_byte(r, "i8", &elem);
    case SL_THRIFT_I16:
        r->bool_pending = false;
        return sl_thrift_read_i16(r, &id);
    case SL_THRIFT_I32:
        r->bool_pending = false;
        return get_varint(r, "i32", 32, &varint);
    case SL_THRIFT_I64:
        r->bool_pending = false;
        return get_varint(r, "i64", 64, &varint);
    case SL_THRIFT_DOUBLE:
        r->bool_pending = false;
        return sl_thrift_read_double(r, &d);
    case SL_THRIFT_BINARY:
        r->bool_pending = false;
        return sl_thrift_read_binary(r, &bytes, &len);
    case SL_THRIFT_UUID:
        r->bool_pending = false;
        if (r->len - r->pos < 16)
            return truncated(r, "uuid", 16);
        r->pos += 16;
        return SL_OK;
    case SL_THRIFT_LIST:
    case SL_THRIFT_SET:
        rc = read_collection_header(r, type == SL_THRIFT_LIST ? "list header" : "set header",
                                    &elem, &count);
        return rc != SL_OK ? rc : skip_elements(r, elem, count);
    case SL_THRIFT_MAP:
        rc = sl_thrift_read_map_begin(r, &key, &value, &count);
        if (rc != SL_OK || count == 0)
            return rc;
        rc = enter(r);
        for (uint32_t i = 0; rc == SL_OK && i < count; i++) {
            rc = sl_thrift_skip(r, key);
            if (rc == SL_OK)
                rc = sl_thrift_skip(r, value);
        }
        if (rc == SL_OK)
            r->depth--;
        return rc;
    case SL_THRIFT_STRUCT:
        rc = sl_thrift_read_struct_begin(r);
        while (rc == SL_OK) {
            rc = sl_thrift_read_field_begin(r, &elem, &id);
            if (rc != SL_OK || elem == SL_THRIFT_STOP)
                break;
            rc = sl_thrift_skip(r, elem);
        }
        return rc != SL_OK ? rc : sl_thrift_read_struct_end(r);
    default:
        return sl_error_set(r->err, SL_EPROTO,
                            "malformed thrift at byte offset %zu: cannot skip a value of unknown "
                            "type %u",
                            r->pos, type);
    }
}

/*
 * Thrift compact protocol primitives, the wire format of Parquet metadata
 * (Apache Thrift "thrift-compact-protocol.md"). A writer that appends to a
 * caller's sl_buf and a reader over (buf, len) that checks every length and
 * bounds its nesting. No allocation here; parquet/format.c builds on both.
 */
#ifndef SLUICE_PARQUET_THRIFT_H
#define SLUICE_PARQUET_THRIFT_H

#include "sluice/core.h"

/* Nesting bound of structs and containers, for the reader and the writer. */
#define SL_THRIFT_MAX_DEPTH 64

/*
 * Compact protocol type ids as they appear on the wire (field header nibble,
 * list/set element type, map key/value types). A bool field carries its value
 * in the type nibble (1 true, 2 false); the reader reports every bool field
 * and bool element type as SL_THRIFT_BOOL.
 */
enum sl_thrift_type {
    SL_THRIFT_STOP = 0,
    SL_THRIFT_BOOL_TRUE = 1,
    SL_THRIFT_BOOL_FALSE = 2,
    SL_THRIFT_I8 = 3,
    SL_THRIFT_I16 = 4,
    SL_THRIFT_I32 = 5,
    SL_THRIFT_I64 = 6,
    SL_THRIFT_DOUBLE = 7,
    SL_THRIFT_BINARY = 8, /* also string */
    SL_THRIFT_LIST = 9,
    SL_THRIFT_SET = 10,
    SL_THRIFT_MAP = 11,
    SL_THRIFT_STRUCT = 12, /* also union */
    SL_THRIFT_UUID = 13,   /* 16 raw bytes; newer Thrift, only skipped here */
};
#define SL_THRIFT_BOOL SL_THRIFT_BOOL_TRUE

/* ================================================================ writer */

/*
 * Appends compact-protocol bytes to `out` (borrowed; it must outlive the
 * writer). Errors are sticky: after the first failure (buffer limit, memory,
 * a bad argument, nesting past SL_THRIFT_MAX_DEPTH) every call returns the
 * same code and appends nothing, so an encoder may check only at the end.
 * The bytes appended before a failure are left in `out`.
 */
struct sl_thrift_writer {
    struct sl_buf *out;
    int rc; /* first failure, 0 while all is well */
    int depth;
    int16_t last_field_id; /* of the struct being written, for delta headers */
    int16_t field_id_stack[SL_THRIFT_MAX_DEPTH];
};

void sl_thrift_writer_init(struct sl_thrift_writer *w, struct sl_buf *out);
/* A struct (or union): begin saves the field-id context, end writes the stop
 * byte and restores the enclosing struct's context. */
int sl_thrift_write_struct_begin(struct sl_thrift_writer *w);
int sl_thrift_write_struct_end(struct sl_thrift_writer *w);
/* A field header: short form (delta 1..15 from the previous id) or long form
 * (type byte + zigzag i16 id). Bool fields use sl_thrift_write_field_bool. */
int sl_thrift_write_field_begin(struct sl_thrift_writer *w, enum sl_thrift_type type, int16_t id);
/* A bool field: header only, the value folded into the type nibble. */
int sl_thrift_write_field_bool(struct sl_thrift_writer *w, int16_t id, bool value);
/* A bool list/set/map element: one byte, 1 true, 2 false (as Apache Thrift's
 * C++ and Java writers; the reader also accepts 0 for false). */
int sl_thrift_write_bool(struct sl_thrift_writer *w, bool value);
int sl_thrift_write_i8(struct sl_thrift_writer *w, int8_t value);
int sl_thrift_write_i16(struct sl_thrift_writer *w, int16_t value);
int sl_thrift_write_i32(struct sl_thrift_writer *w, int32_t value);
int sl_thrift_write_i64(struct sl_thrift_writer *w, int64_t value);
int sl_thrift_write_double(struct sl_thrift_writer *w, double value);
/* binary and string: varint length + bytes (borrowed, copied). len <= INT32_MAX. */
int sl_thrift_write_binary(struct sl_thrift_writer *w, const void *bytes, size_t len);
int sl_thrift_write_string(struct sl_thrift_writer *w, const char *s);
/* Container headers; the elements follow as plain values (no field headers).
 * size <= INT32_MAX. Short form for sizes < 15, long form otherwise. */
int sl_thrift_write_list_begin(struct sl_thrift_writer *w, enum sl_thrift_type elem_type,
                               uint32_t size);
int sl_thrift_write_set_begin(struct sl_thrift_writer *w, enum sl_thrift_type elem_type,
                              uint32_t size);
int sl_thrift_write_map_begin(struct sl_thrift_writer *w, enum sl_thrift_type key_type,
                              enum sl_thrift_type value_type, uint32_t size);

/* ================================================================ reader */

/*
 * Reads compact-protocol values from buf[0..len) (borrowed; it must outlive
 * the reader and everything read_binary returns). Every read checks the bytes
 * left first; failures return SL_EPROTO (SL_ELIMIT past max_depth) and set
 * `err` (borrowed, may be NULL) to a message naming what was being read and
 * its byte offset in buf. The reader never allocates and never reads outside
 * buf, whatever the bytes are. After a failure the reader is spent.
 */
struct sl_thrift_reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    int depth;
    int max_depth; /* <= SL_THRIFT_MAX_DEPTH; init sets the maximum */
    int16_t last_field_id;
    bool bool_pending; /* the field header just read was a bool field ... */
    bool bool_value;   /* ... with this value */
    struct sl_error *err;
    int16_t field_id_stack[SL_THRIFT_MAX_DEPTH];
};

void sl_thrift_reader_init(struct sl_thrift_reader *r, const uint8_t *buf, size_t len,
                           struct sl_error *err);
/* Enters a struct (depth + 1, fails past max_depth) / leaves it after
 * read_field_begin returned SL_THRIFT_STOP. */
int sl_thrift_read_struct_begin(struct sl_thrift_reader *r);
int sl_thrift_read_struct_end(struct sl_thrift_reader *r);
/* The next field header of the current struct: *type is SL_THRIFT_STOP at the
 * end of the struct (then *id is 0), SL_THRIFT_BOOL for a bool field (its
 * value follows through sl_thrift_read_bool, without reading a byte), or the
 * wire type. Unknown wire types fail. */
int sl_thrift_read_field_begin(struct sl_thrift_reader *r, uint8_t *type /* out */,
                               int16_t *id /* out */);
/* A bool: the value of the bool field header just read, or else one byte of a
 * container element (1 true; 0 or 2 false; anything else fails). */
int sl_thrift_read_bool(struct sl_thrift_reader *r, bool *out /* out */);
int sl_thrift_read_i8(struct sl_thrift_reader *r, int8_t *out /* out */);
int sl_thrift_read_i16(struct sl_thrift_reader *r, int16_t *out /* out */);
int sl_thrift_read_i32(struct sl_thrift_reader *r, int32_t *out /* out */);
int sl_thrift_read_i64(struct sl_thrift_reader *r, int64_t *out /* out */);
int sl_thrift_read_double(struct sl_thrift_reader *r, double *out /* out */);
/* binary/string: *data is borrowed from buf (not NUL-terminated). */
int sl_thrift_read_binary(struct sl_thrift_reader *r, const uint8_t **data /* out */,
                          size_t *len /* out */);
/*
 * Container headers. The size is checked against the bytes left (every
 * element takes at least one byte, a double eight), so a lying size fails
 * here, before a caller allocates for it. Bool element types are reported as
 * SL_THRIFT_BOOL; an empty map reports key and value type SL_THRIFT_STOP.
 */
int sl_thrift_read_list_begin(struct sl_thrift_reader *r, uint8_t *elem_type /* out */,
                              uint32_t *size /* out */);
int sl_thrift_read_set_begin(struct sl_thrift_reader *r, uint8_t *elem_type /* out */,
                             uint32_t *size /* out */);
int sl_thrift_read_map_begin(struct sl_thrift_reader *r, uint8_t *key_type /* out */,
                             uint8_t *value_type /* out */, uint32_t *size /* out */);
/* Skips one value of `type` (as reported by read_field_begin or a container
 * header), recursing into structs and containers within max_depth. */
int sl_thrift_skip(struct sl_thrift_reader *r, uint8_t type);
/* Name of a wire type for messages ("i32", "struct", "unknown type"); static. */
const char *sl_thrift_type_name(uint8_t type);

#endif

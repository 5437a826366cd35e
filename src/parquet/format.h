/*
 * Parquet file metadata (parquet-format's parquet.thrift) as C structs, with
 * encoders to and decoders from the Thrift compact protocol: the footer's
 * FileMetaData and the PageHeader before every page. The Parquet writer and
 * reader build on these; nothing here does I/O.
 *
 * Conventions for every struct below:
 *   - enum-typed fields are int32_t holding the spec's number; the decoders
 *     keep numbers this code does not know (a newer encoding or codec), so
 *     callers check them with the sl_parquet_*_name functions (NULL = unknown);
 *   - an optional scalar or struct has a `has_<field>` flag;
 *   - an optional string or binary is absent when .data is NULL (present and
 *     empty is data != NULL, len 0); an optional list is absent when its
 *     pointer is NULL (present and empty is pointer != NULL, n 0);
 *   - decoded strings and arrays live in the caller's arena and are valid
 *     until it is reset or freed; decoded strings are NUL-terminated (the NUL
 *     is not counted in len); nothing points into the input bytes;
 *   - for encoding, every pointer is borrowed for the duration of the call.
 * Fields sluice does not model (sorting columns, encryption, bloom filter
 * headers, geospatial statistics, ...) are skipped when decoding and so are
 * not written back by the encoders.
 */
#ifndef SLUICE_PARQUET_FORMAT_H
#define SLUICE_PARQUET_FORMAT_H

#include "sluice/core.h"

/* The 4 bytes at the start and the end of every (unencrypted) Parquet file. */
#define SL_PARQUET_MAGIC "PAR1"
#define SL_PARQUET_MAGIC_LEN 4
/* Footer trailer: 4-byte little-endian metadata length, then the magic. */
#define SL_PARQUET_TRAILER_LEN 8

/* ---------------------------------------------------------------- enums */

enum sl_parquet_type { /* physical type */
    SL_PARQUET_TYPE_BOOLEAN = 0,
    SL_PARQUET_TYPE_INT32 = 1,
    SL_PARQUET_TYPE_INT64 = 2,
    SL_PARQUET_TYPE_INT96 = 3, /* deprecated timestamps; read only */
    SL_PARQUET_TYPE_FLOAT = 4,
    SL_PARQUET_TYPE_DOUBLE = 5,
    SL_PARQUET_TYPE_BYTE_ARRAY = 6,
    SL_PARQUET_TYPE_FIXED_LEN_BYTE_ARRAY = 7,
};

enum sl_parquet_converted_type { /* legacy annotations, still expected by older readers */
    SL_PARQUET_CT_UTF8 = 0,
    SL_PARQUET_CT_MAP = 1,
    SL_PARQUET_CT_MAP_KEY_VALUE = 2,
    SL_PARQUET_CT_LIST = 3,
    SL_PARQUET_CT_ENUM = 4,
    SL_PARQUET_CT_DECIMAL = 5,
    SL_PARQUET_CT_DATE = 6,
    SL_PARQUET_CT_TIME_MILLIS = 7,
    SL_PARQUET_CT_TIME_MICROS = 8,
    SL_PARQUET_CT_TIMESTAMP_MILLIS = 9,
    SL_PARQUET_CT_TIMESTAMP_MICROS = 10,
    SL_PARQUET_CT_UINT_8 = 11,
    SL_PARQUET_CT_UINT_16 = 12,
    SL_PARQUET_CT_UINT_32 = 13,
    SL_PARQUET_CT_UINT_64 = 14,
    SL_PARQUET_CT_INT_8 = 15,
    SL_PARQUET_CT_INT_16 = 16,
    SL_PARQUET_CT_INT_32 = 17,
    SL_PARQUET_CT_INT_64 = 18,
    SL_PARQUET_CT_JSON = 19,
    SL_PARQUET_CT_BSON = 20,
    SL_PARQUET_CT_INTERVAL = 21,
};

enum sl_parquet_repetition {
    SL_PARQUET_REP_REQUIRED = 0,
    SL_PARQUET_REP_OPTIONAL = 1,
    SL_PARQUET_REP_REPEATED = 2,
};

enum sl_parquet_encoding {
    SL_PARQUET_ENC_PLAIN = 0,
    /* 1 was GROUP_VAR_INT, never used */
    SL_PARQUET_ENC_PLAIN_DICTIONARY = 2,
    SL_PARQUET_ENC_RLE = 3,
    SL_PARQUET_ENC_BIT_PACKED = 4,
    SL_PARQUET_ENC_DELTA_BINARY_PACKED = 5,
    SL_PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    SL_PARQUET_ENC_DELTA_BYTE_ARRAY = 7,
    SL_PARQUET_ENC_RLE_DICTIONARY = 8,
    SL_PARQUET_ENC_BYTE_STREAM_SPLIT = 9,
};

enum sl_parquet_codec {
    SL_PARQUET_CODEC_UNCOMPRESSED = 0,
    SL_PARQUET_CODEC_SNAPPY = 1,
    SL_PARQUET_CODEC_GZIP = 2,
    SL_PARQUET_CODEC_LZO = 3,
    SL_PARQUET_CODEC_BROTLI = 4,
    SL_PARQUET_CODEC_LZ4 = 5, /* Hadoop-framed LZ4, deprecated */
    SL_PARQUET_CODEC_ZSTD = 6,
    SL_PARQUET_CODEC_LZ4_RAW = 7,
};

enum sl_parquet_page_type {
    SL_PARQUET_PAGE_DATA = 0,
    SL_PARQUET_PAGE_INDEX = 1,
    SL_PARQUET_PAGE_DICTIONARY = 2,
    SL_PARQUET_PAGE_DATA_V2 = 3,
};

/* LogicalType union members; each value is the member's Thrift field id. */
enum sl_parquet_logical_kind {
    SL_PARQUET_LOGICAL_NONE = 0, /* no logicalType on the element */
    SL_PARQUET_LOGICAL_STRING = 1,
    SL_PARQUET_LOGICAL_MAP = 2,
    SL_PARQUET_LOGICAL_LIST = 3,
    SL_PARQUET_LOGICAL_ENUM = 4,
    SL_PARQUET_LOGICAL_DECIMAL = 5,
    SL_PARQUET_LOGICAL_DATE = 6,
    SL_PARQUET_LOGICAL_TIME = 7,
    SL_PARQUET_LOGICAL_TIMESTAMP = 8,
    /* 9 is reserved (INTERVAL) */
    SL_PARQUET_LOGICAL_INTEGER = 10,
    SL_PARQUET_LOGICAL_UNKNOWN = 11, /* the spec's name for an always-null column */
    SL_PARQUET_LOGICAL_JSON = 12,
    SL_PARQUET_LOGICAL_BSON = 13,
    SL_PARQUET_LOGICAL_UUID = 14,
    SL_PARQUET_LOGICAL_FLOAT16 = 15,
};

enum sl_parquet_time_unit { /* TimeUnit union members */
    SL_PARQUET_UNIT_MILLIS = 1,
    SL_PARQUET_UNIT_MICROS = 2,
    SL_PARQUET_UNIT_NANOS = 3,
};

/* ColumnOrder union members. */
enum { SL_PARQUET_COLUMN_ORDER_TYPE_DEFINED = 1 };

/* Spec names ("INT32", "RLE_DICTIONARY", "ZSTD", ...) of enum values; NULL
 * for numbers this code does not know. Static strings. */
const char *sl_parquet_type_name(int32_t type);
const char *sl_parquet_converted_type_name(int32_t converted_type);
const char *sl_parquet_repetition_name(int32_t repetition);
const char *sl_parquet_encoding_name(int32_t encoding);
const char *sl_parquet_codec_name(int32_t codec);
const char *sl_parquet_page_type_name(int32_t page_type);
const char *sl_parquet_logical_kind_name(int32_t kind);
const char *sl_parquet_time_unit_name(int32_t unit);

/* ---------------------------------------------------------------- structs */

/* A Thrift string or binary. See the conventions above for absence. */
struct sl_parquet_bytes {
    const char *data;
    size_t len;
};

/* A borrowed view of a C string (NULL stays absent). */
static inline struct sl_parquet_bytes sl_parquet_bytes_str(const char *s)
{
    struct sl_parquet_bytes b = {s, 0};
    while (s != NULL && s[b.len] != '\0')
        b.len++;
    return b;
}

struct sl_parquet_key_value {
    struct sl_parquet_bytes key; /* required */
    struct sl_parquet_bytes value;
};

/*
 * Column chunk or page statistics. min_value/max_value follow the column's
 * sort order; min/max are the deprecated signed-order fields older readers
 * use. All are PLAIN-encoded values without a length prefix.
 */
struct sl_parquet_statistics {
    struct sl_parquet_bytes max;
    struct sl_parquet_bytes min;
    bool has_null_count;
    bool has_distinct_count;
    bool has_is_max_value_exact;
    bool has_is_min_value_exact;
    int64_t null_count;
    int64_t distinct_count;
    struct sl_parquet_bytes max_value;
    struct sl_parquet_bytes min_value;
    bool is_max_value_exact;
    bool is_min_value_exact;
};

/*
 * A LogicalType union. kind selects the member (SL_PARQUET_LOGICAL_NONE: the
 * schema element has no logicalType). A member this code does not know
 * (VARIANT, GEOMETRY, ...) decodes to kind = its field id and its struct's
 * compact bytes (stop byte included) in unknown_member, which the encoder
 * writes back verbatim.
 */
struct sl_parquet_logical_type {
    int32_t kind;
    int32_t scale;     /* DECIMAL */
    int32_t precision; /* DECIMAL */
    int32_t unit;      /* TIME, TIMESTAMP: enum sl_parquet_time_unit (or an unknown member id) */
    bool is_adjusted_to_utc; /* TIME, TIMESTAMP */
    bool is_signed;          /* INTEGER */
    int8_t bit_width;        /* INTEGER: 8, 16, 32 or 64 */
    struct sl_parquet_bytes unknown_member;
};

/* One node of the schema tree, flattened depth first; element 0 is the root. */
struct sl_parquet_schema_element {
    bool has_type;
    bool has_type_length;
    bool has_repetition_type;
    bool has_num_children;
    bool has_converted_type;
    bool has_scale;
    bool has_precision;
    bool has_field_id;
    int32_t type; /* enum sl_parquet_type; leaves only */
    int32_t type_length; /* FIXED_LEN_BYTE_ARRAY width */
    int32_t repetition_type; /* enum sl_parquet_repetition; absent on the root */
    struct sl_parquet_bytes name; /* required */
    int32_t num_children; /* groups only */
    int32_t converted_type; /* enum sl_parquet_converted_type */
    int32_t scale;
    int32_t precision;
    int32_t field_id;
    struct sl_parquet_logical_type logical_type; /* kind NONE = absent */
};

struct sl_parquet_page_encoding_stats {
    int32_t page_type; /* enum sl_parquet_page_type */
    int32_t encoding;  /* enum sl_parquet_encoding */
    int32_t count;
};

/* Sizes and level histograms (parquet-format 2.10); NULL lists = absent. */
struct sl_parquet_size_statistics {
    bool has_unencoded_byte_array_data_bytes;
    int64_t unencoded_byte_array_data_bytes;
    int64_t *repetition_level_histogram;
    uint32_t n_repetition_level_histogram;
    int64_t *definition_level_histogram;
    uint32_t n_definition_level_histogram;
};

struct sl_parquet_column_meta_data {
    int32_t type;       /* enum sl_parquet_type */
    int32_t *encodings; /* enum sl_parquet_encoding; required list */
    uint32_t n_encodings;
    struct sl_parquet_bytes *path_in_schema; /* required list */
    uint32_t n_path_in_schema;
    int32_t codec; /* enum sl_parquet_codec */
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    struct sl_parquet_key_value *key_value_metadata; /* NULL = absent */
    uint32_t n_key_value_metadata;
    int64_t data_page_offset;
    bool has_index_page_offset;
    bool has_dictionary_page_offset;
    bool has_statistics;
    bool has_bloom_filter_offset;
    bool has_bloom_filter_length;
    bool has_size_statistics;
    int64_t index_page_offset;
    int64_t dictionary_page_offset;
    struct sl_parquet_statistics statistics;
    struct sl_parquet_page_encoding_stats *encoding_stats; /* NULL = absent */
    uint32_t n_encoding_stats;
    int64_t bloom_filter_offset;
    int32_t bloom_filter_length;
    struct sl_parquet_size_statistics size_statistics;
};

struct sl_parquet_column_chunk {
    struct sl_parquet_bytes file_path; /* absent: the chunk is in this file */
    int64_t file_offset;               /* required but deprecated; writers put 0 */
    bool has_meta_data;
    bool has_offset_index_offset;
    bool has_offset_index_length;
    bool has_column_index_offset;
    bool has_column_index_length;
    struct sl_parquet_column_meta_data meta_data;
    int64_t offset_index_offset;
    int32_t offset_index_length;
    int64_t column_index_offset;
    int32_t column_index_length;
};

struct sl_parquet_row_group {
    struct sl_parquet_column_chunk *columns; /* required list */
    uint32_t n_columns;
    int64_t total_byte_size;
    int64_t num_rows;
    bool has_file_offset;
    bool has_total_compressed_size;
    bool has_ordinal;
    int64_t file_offset;
    int64_t total_compressed_size;
    int16_t ordinal;
};

/* A ColumnOrder union; kind 1 = TYPE_ORDER (an empty struct). Unknown members
 * are kept like the LogicalType's. */
struct sl_parquet_column_order {
    int32_t kind;
    struct sl_parquet_bytes unknown_member;
};

struct sl_parquet_file_metadata {
    int32_t version; /* 1, or 2 for files using format 2.x features */
    struct sl_parquet_schema_element *schema; /* required list, root first */
    uint32_t n_schema;
    int64_t num_rows;
    struct sl_parquet_row_group *row_groups; /* required list */
    uint32_t n_row_groups;
    struct sl_parquet_key_value *key_value_metadata; /* NULL = absent */
    uint32_t n_key_value_metadata;
    struct sl_parquet_bytes created_by;
    struct sl_parquet_column_order *column_orders; /* NULL = absent; one per leaf column */
    uint32_t n_column_orders;
};

struct sl_parquet_data_page_header {
    int32_t num_values; /* including nulls */
    int32_t encoding;
    int32_t definition_level_encoding;
    int32_t repetition_level_encoding;
    bool has_statistics;
    struct sl_parquet_statistics statistics;
};

struct sl_parquet_dictionary_page_header {
    int32_t num_values;
    int32_t encoding; /* PLAIN (or PLAIN_DICTIONARY in old files) */
    bool has_is_sorted;
    bool is_sorted;
};

struct sl_parquet_data_page_header_v2 {
    int32_t num_values;
    int32_t num_nulls;
    int32_t num_rows;
    int32_t encoding;
    int32_t definition_levels_byte_length;
    int32_t repetition_levels_byte_length;
    bool has_is_compressed;
    bool is_compressed; /* the spec's default, true, when absent */
    bool has_statistics;
    struct sl_parquet_statistics statistics;
};

struct sl_parquet_page_header {
    int32_t type; /* enum sl_parquet_page_type */
    int32_t uncompressed_page_size;
    int32_t compressed_page_size;
    bool has_crc;
    bool has_data_page_header;
    bool has_index_page_header; /* an empty struct */
    bool has_dictionary_page_header;
    bool has_data_page_header_v2;
    int32_t crc;
    struct sl_parquet_data_page_header data_page_header;
    struct sl_parquet_dictionary_page_header dictionary_page_header;
    struct sl_parquet_data_page_header_v2 data_page_header_v2;
};

/* ---------------------------------------------------------------- codecs */

/*
 * Decoders. Read one struct from buf[0..len) (borrowed): unknown fields are
 * skipped, fields of an unexpected wire type are skipped as Thrift does,
 * required fields must be present, a union must have exactly one member, and
 * a repeated field keeps its last value. *out is overwritten (zeroed first);
 * its strings and arrays are allocated in `arena` (caller owns). Memory is
 * bounded: list arrays grow as elements actually arrive (a list size is also
 * checked against the bytes left), and a decode that would take more than 32
 * bytes of arena per input byte (1 MiB at least; real metadata needs under
 * 10) fails with SL_ELIMIT. Readers should still cap the footer length they
 * accept. *consumed (may be NULL)
 * gets the bytes the struct took. Malformed input gives SL_EPROTO (SL_ELIMIT
 * past the nesting or memory bound) with a message naming the field path, e.g.
 * "parquet FileMetaData.row_groups[0].columns[2].meta_data.num_values:
 * truncated thrift: i64 needs 1 bytes at byte offset 812 but 0 are left";
 * out of memory gives SL_ENOMEM. On failure *out is unspecified, but holds
 * nothing that needs freeing besides the arena.
 */
int sl_parquet_file_metadata_decode(const uint8_t *buf, size_t len, struct sl_arena *arena,
                                    struct sl_parquet_file_metadata *out /* out */,
                                    size_t *consumed /* out */, struct sl_error *err);
int sl_parquet_page_header_decode(const uint8_t *buf, size_t len, struct sl_arena *arena,
                                  struct sl_parquet_page_header *out /* out */,
                                  size_t *consumed /* out */, struct sl_error *err);

/*
 * Encoders: append the compact bytes of one struct to `out` (caller owns),
 * fields in id order as Apache Thrift writes them. A value that cannot be
 * encoded (a required string or list pointer NULL, a count past INT32_MAX, an
 * unknown LogicalType kind without unknown_member) gives SL_EINVAL; the
 * buffer's maximum gives SL_ELIMIT. On failure `out` is left as it was.
 */
int sl_parquet_file_metadata_encode(const struct sl_parquet_file_metadata *md, struct sl_buf *out,
                                    struct sl_error *err);
int sl_parquet_page_header_encode(const struct sl_parquet_page_header *header,
                                  struct sl_buf *out, struct sl_error *err);

/*
 * The footer at the end of a file: FileMetaData, its length as 4 bytes
 * little-endian, "PAR1". `file_tail` is the last `len` bytes of the file
 * (borrowed). sl_parquet_footer_size checks the magic ("PARE", an encrypted
 * footer, is refused) and gives the metadata length, so a reader knows how
 * many bytes of tail it needs: metadata_len + SL_PARQUET_TRAILER_LEN (plus
 * the leading magic of the file, which is the caller's to check).
 * sl_parquet_footer_decode decodes the FileMetaData; it fails if the tail is
 * shorter than the footer. Bytes between the end of the metadata and the
 * length field are tolerated, as other readers do.
 */
int sl_parquet_footer_size(const uint8_t *file_tail, size_t len, uint32_t *metadata_len /* out */,
                           struct sl_error *err);
int sl_parquet_footer_decode(const uint8_t *file_tail, size_t len, struct sl_arena *arena,
                             struct sl_parquet_file_metadata *out /* out */,
                             struct sl_error *err);
/* Appends FileMetaData + length + "PAR1" to out (the file's data already in
 * it or not; only the footer is appended). On failure out is left as it was. */
int sl_parquet_footer_encode(const struct sl_parquet_file_metadata *md, struct sl_buf *out,
                             struct sl_error *err);

#endif

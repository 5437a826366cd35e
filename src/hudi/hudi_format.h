/*
 * Hudi format primitives (internal to src/hudi): hoodie.properties text, the
 * key generators' record keys and partition paths, the table's Avro schema,
 * and the bloom filter Hudi keeps in every base file's footer. Each part is a
 * pure function over bytes or values; the table, timeline and writer build on
 * them. Behaviour follows Apache Hudi 0.14/0.15 (table version 6); the facts
 * and where they come from are in each part's comment and in the .c files.
 */
#ifndef SLUICE_HUDI_FORMAT_H
#define SLUICE_HUDI_FORMAT_H

#include "sluice/core.h"

/* ================================================================ hoodie.properties */

/*
 * The table config as java.util.Properties text (ISO-8859-1, `#`/`!`
 * comments, `key=value`, `key:value` or `key value`, backslash escapes,
 * \uXXXX, line continuations). Keys and values are held as UTF-8 in file
 * order. The struct owns every string.
 */
struct sl_hudi_props {
    uint32_t count, cap;
    char **keys;
    char **values;
};

/* Frees the strings and arrays and zeroes the struct; accepts a zeroed struct or NULL. */
void sl_hudi_props_free(struct sl_hudi_props *p);

/*
 * Parses Properties text the way java.util.Properties.load(InputStream) does:
 * bytes are ISO-8859-1 characters (a byte >= 0x80 becomes that Latin-1
 * character, stored as UTF-8), escapes and continuations are resolved, a
 * repeated key replaces the earlier value in place. *out is initialised here
 * (its previous content is not freed) and is empty after a failure; the
 * caller owns it and frees it with sl_hudi_props_free. A malformed \uXXXX, a
 * lone UTF-16 surrogate or a NUL character gives SL_EPROTO naming the line.
 */
int sl_hudi_props_parse(const char *text, size_t len, struct sl_hudi_props *out,
                        struct sl_error *err);

/* The value of key (borrowed, valid until the props change), or NULL. */
const char *sl_hudi_props_get(const struct sl_hudi_props *p, const char *key);

/* Copies key and value (UTF-8); replaces an existing key's value in place or
 * appends. SL_EINVAL for NULL arguments, SL_ENOMEM (props unchanged). */
int sl_hudi_props_set(struct sl_hudi_props *p, const char *key, const char *value);

/* Removes key if present (order of the others kept). */
void sl_hudi_props_remove(struct sl_hudi_props *p, const char *key);

/*
 * Appends the file text as Hudi's HoodieTableConfig writes it
 * (Properties.store to a stream): two `#` comment lines ("Properties saved
 * on <ISO instant>" and the date), then `key=value\n` per entry in order with
 * Java's escaping (\uXXXX for characters outside 0x20..0x7E, `\` before
 * = : # ! and a leading space of a value, every space of a key), and
 * hoodie.table.checksum recomputed from hoodie.database.name and
 * hoodie.table.name as the last line (any stored checksum is dropped).
 * SL_EINVAL when hoodie.table.name is missing or a string is not UTF-8.
 */
int sl_hudi_props_format(const struct sl_hudi_props *p, struct sl_buf *out, struct sl_error *err);
/* The same with the header time given (microseconds since the epoch, UTC), for reproducible output. */
int sl_hudi_props_format_at(const struct sl_hudi_props *p, int64_t unix_us, struct sl_buf *out,
                            struct sl_error *err);

/* CRC-32 (zlib) of the UTF-8 text "<database>.<table>" (".<table>" without a database). */
uint32_t sl_hudi_table_checksum(const char *database /* NULL or "" = none */, const char *table);

/* ================================================================ key generators */

enum sl_hudi_keygen {
    SL_HUDI_KEYGEN_SIMPLE,
    SL_HUDI_KEYGEN_COMPLEX,
    SL_HUDI_KEYGEN_NONPARTITIONED,
    SL_HUDI_KEYGEN_TIMESTAMP,
    SL_HUDI_KEYGEN_CUSTOM
};

/* The class name a Spark writer records in hoodie.table.keygenerator.class
 * (org.apache.hudi.keygen.SimpleKeyGenerator, ...). Static string. */
const char *sl_hudi_keygen_class(enum sl_hudi_keygen kg);
/* Accepts the Spark and the Avro class names of the five generators; SL_EINVAL otherwise. */
int sl_hudi_keygen_from_class(const char *class_name, enum sl_hudi_keygen *out,
                              struct sl_error *err);
/* Table version 8's hoodie.table.keygenerator.type (SIMPLE, COMPLEX, NON_PARTITION, TIMESTAMP, CUSTOM). */
int sl_hudi_keygen_from_type(const char *type_name, enum sl_hudi_keygen *out, struct sl_error *err);

/* A field's value in Hudi's string form (see the sl_hudi_key_text_* helpers); text is borrowed. */
struct sl_hudi_key_value {
    const char *text;
    size_t len;
    bool is_null;
};

/*
 * Appends the record key of one row (fields[n] in key order, values[n]).
 * SIMPLE and TIMESTAMP: the one value as is; null or empty -> SL_EINVAL
 * naming the field. NONPARTITIONED and CUSTOM: like SIMPLE for one field,
 * like COMPLEX for several. COMPLEX: "f1:v1,f2:v2" with null -> __null__ and
 * empty -> __empty__; SL_EINVAL when every value is null or empty. COMPLEX
 * with ONE field writes "f:v" (Hudi 0.14.0 and >= 1.0.3; 0.14.1-1.0.2 wrote
 * the bare value, HUDI-7001): use SIMPLE for single-column keys. No
 * allocation beyond the growth of out.
 */
int sl_hudi_record_key(enum sl_hudi_keygen kg, const char *const *fields,
                       const struct sl_hudi_key_value *values, uint32_t n, struct sl_buf *out,
                       struct sl_error *err);

/*
 * Appends the partition path (KeyGenUtils.getRecordPartitionPath with
 * URL-encoding off): per field the value, or __HIVE_DEFAULT_PARTITION__ when
 * null or empty; hive_style prefixes "field="; segments joined with '/';
 * nothing when n == 0. A value containing '/' makes more directory levels,
 * as in Hudi. For a TIMESTAMP/CUSTOM timestamp field pass the text of
 * sl_hudi_time_partition_value (never null: see there).
 */
int sl_hudi_partition_path(const char *const *fields, const struct sl_hudi_key_value *values,
                           uint32_t n, bool hive_style, struct sl_buf *out, struct sl_error *err);

enum sl_hudi_time_unit { SL_HUDI_TIME_YEAR, SL_HUDI_TIME_MONTH, SL_HUDI_TIME_DAY, SL_HUDI_TIME_HOUR };

/*
 * The Joda output date format sluice configures for each unit:
 * YEAR "yyyy", MONTH "yyyy-MM", DAY "yyyy-MM-dd", HOUR "yyyy-MM-dd-HH".
 * (No '/': one directory level per partition; no ':' in paths.)
 */
const char *sl_hudi_time_unit_format(enum sl_hudi_time_unit unit);

/*
 * The partition value TimestampBasedAvroKeyGenerator computes for a
 * timestamp-micros value with timestamp.type=SCALAR,
 * scalar.time.unit=MICROSECONDS, output.timezone=UTC and the output format of
 * sl_hudi_time_unit_format(unit): micros are first cut to milliseconds
 * toward zero (Java's TimeUnit.convert), then formatted in UTC. Writes
 * NUL-terminated text into out[cap] and returns its length, or 0 when cap is
 * too small. A NULL timestamp: Hudi uses the value 1 in the input unit, so
 * pass micros = 1 (-> 1970-01-01...). For a DATE column Hudi needs
 * scalar.time.unit=DAYS: pass days * 86400000000 (NULL -> days = 1).
 */
size_t sl_hudi_time_partition_value(int64_t micros, enum sl_hudi_time_unit unit, char *out,
                                    size_t cap);

/*
 * Formats a UTC instant with a Joda pattern subset: yyyy, MM, dd, HH, mm, ss,
 * SSS and 'quoted' or other literal characters (letters other than these are
 * refused). Milliseconds toward zero as above. Returns the length written
 * (NUL-terminated) or 0 when cap is too small or the pattern is unsupported.
 */
size_t sl_hudi_time_format(int64_t micros, const char *pattern, char *out, size_t cap);

/*
 * Hudi's string form of typed values (HoodieAvroUtils.getNestedFieldValAsString,
 * consistent-logical-timestamp off, the default): what record keys and
 * SIMPLE partition paths contain. Each writes NUL-terminated text into
 * out[cap] (SL_HUDI_KEY_TEXT_MAX always suffices) and returns its length, or
 * 0 when cap is too small. timestamp-micros/millis values are the raw long
 * (sl_hudi_key_text_int64). bytes have no usable string form in Hudi
 * (ByteBuffer.toString): do not use them as keys.
 */
#define SL_HUDI_KEY_TEXT_MAX 128
size_t sl_hudi_key_text_int64(int64_t v, char *out, size_t cap);
size_t sl_hudi_key_text_bool(bool v, char *out, size_t cap);
/* Java's Double.toString / Float.toString ("1.0", "1.0E10", "NaN"): the shortest
 * digits that round-trip (JDK >= 19 rules; older JDKs differ on rare values). */
size_t sl_hudi_key_text_double(double v, char *out, size_t cap);
size_t sl_hudi_key_text_float(float v, char *out, size_t cap);
/* java.time.LocalDate.toString of days since 1970-01-01 ("2023-04-01", "+12345-01-01"). */
size_t sl_hudi_key_text_date(int32_t days, char *out, size_t cap);
/* java.math.BigDecimal.toString of a decimal given as big-endian two's complement
 * bytes (1..32) and scale >= 0, scientific notation included ("1E-10", "0E-7"). */
size_t sl_hudi_key_text_decimal(const uint8_t *big_endian, size_t nbytes, int32_t scale, char *out,
                                size_t cap);

/* ================================================================ Avro schemas */

enum sl_hudi_type {
    SL_HUDI_BOOLEAN,
    SL_HUDI_INT,
    SL_HUDI_LONG,
    SL_HUDI_FLOAT,
    SL_HUDI_DOUBLE,
    SL_HUDI_STRING,
    SL_HUDI_BYTES,
    SL_HUDI_DECIMAL /* fixed */,
    SL_HUDI_DATE,
    SL_HUDI_TIMESTAMP_MICROS,
    SL_HUDI_TIMESTAMP_MILLIS,
    SL_HUDI_LOCAL_TIMESTAMP_MICROS,
    SL_HUDI_UNSUPPORTED /* nested, map, array...: readable by name only */
};

/*
 * One top-level field. avro_json: the field's type JSON without its null
 * branch (compact), set by sl_hudi_schema_from_avro for every field and NULL
 * when built. sl_hudi_schema_to_avro writes SL_HUDI_UNSUPPORTED fields from
 * avro_json (which must then be set: a builder can use it to emit any type,
 * e.g. {"type":"long","logicalType":"time-micros"}) and every other type
 * from type/precision/scale. fixed_size: 0 when built = the minimal size for
 * the precision (as Spark). The schema owns name and avro_json.
 */
struct sl_hudi_field {
    char *name;
    enum sl_hudi_type type;
    bool nullable;
    int32_t precision, scale, fixed_size;
    char *avro_json;
};

struct sl_hudi_schema {
    char *record_name;    /* "<table>_record" */
    char *namespace_name; /* "hoodie.<table>"; NULL = none */
    uint32_t nfields;
    struct sl_hudi_field *fields;
};

void sl_hudi_schema_free(struct sl_hudi_schema *s); /* accepts NULL */
/* nfields zeroed fields (names NULL); NULL on allocation failure. Caller owns. */
struct sl_hudi_schema *sl_hudi_schema_new(uint32_t nfields);
/* Deep copy. Caller owns *out. */
int sl_hudi_schema_copy(const struct sl_hudi_schema *src, struct sl_hudi_schema **out);
/* Sets record_name "<table>_record" and namespace_name "hoodie.<table>" (copies). */
int sl_hudi_schema_set_table(struct sl_hudi_schema *s, const char *table);

/*
 * Appends Avro schema JSON exactly as Spark with Hudi writes it (commit
 * extraMetadata.schema; with_meta_fields: parquet.avro.schema, whose five
 * _hoodie_* string fields come first with "doc":""): compact, record
 * name/namespace, nullable fields ["null",T] with "default":null, decimals
 * as fixed "fixed" in namespace "<namespace>.<record>.<field>". Field and
 * record names must be valid Avro names ([A-Za-z_][A-Za-z0-9_]*, dots
 * allowed in the namespace) else SL_EINVAL naming them.
 */
int sl_hudi_schema_to_avro(const struct sl_hudi_schema *s, bool with_meta_fields, struct sl_buf *out,
                           struct sl_error *err);

/*
 * Parses an Avro record schema (commit schema, hoodie.table.create.schema,
 * parquet.avro.schema). Nullable = a two-branch union with "null" in either
 * order; the five _hoodie_* meta fields are skipped; nested, union, map,
 * array, enum, bytes-decimal and primitives with other logical types become
 * SL_HUDI_UNSUPPORTED keeping avro_json. SL_EPROTO for malformed JSON or a
 * schema that is not a record. Caller owns *out.
 */
int sl_hudi_schema_from_avro(const char *json, size_t len, struct sl_hudi_schema **out,
                             struct sl_error *err);

/*
 * Is `next` a compatible evolution of `prev`? The same fields in the same
 * order with equal types or the promotions int->long/float/double/string,
 * long->float/double/string, float->double/string; decimals keep precision
 * and scale; unsupported fields keep their exact type JSON; a nullable field
 * stays nullable; new fields only at the end and nullable. On refusal
 * SL_EINVAL naming table, column, old and new type.
 */
int sl_hudi_schema_check_evolution(const struct sl_hudi_schema *prev,
                                   const struct sl_hudi_schema *next, const char *table,
                                   struct sl_error *err);

/* The type's Avro spelling for messages ("int", "decimal(10,2)", "timestamp-micros"). Static. */
const char *sl_hudi_type_name(enum sl_hudi_type type);

/* ================================================================ bloom filter */

/*
 * HoodieDynamicBoundedBloomFilter (footer key org.apache.hudi.bloomfilter,
 * hoodie_bloom_filter_type_code DYNAMIC_V0): rows of Hadoop-style bloom
 * filters of vector_size bits probed by nb_hash Hadoop MurmurHash (v2)
 * chains; a new row every num_entries keys until max_entries, then keys
 * cycle over the rows. Not thread-safe for adds; might_contain is read-only.
 */
struct sl_hudi_bloom;

#define SL_HUDI_BLOOM_DEFAULT_ENTRIES 60000
#define SL_HUDI_BLOOM_DEFAULT_FPP 0.000000001
#define SL_HUDI_BLOOM_DEFAULT_MAX_ENTRIES 100000

/* Hudi's defaults: num_entries 60000, fpp 0.000000001, max_entries 100000
 * (a 316 KiB row). SL_EINVAL for num_entries 0, fpp outside (0,1) or a
 * vector over 2^31 bits. Caller owns *out. */
int sl_hudi_bloom_new(uint32_t num_entries, double fpp, uint32_t max_entries,
                      struct sl_hudi_bloom **out, struct sl_error *err);
void sl_hudi_bloom_free(struct sl_hudi_bloom *b); /* accepts NULL */
/* Adds a key (its bytes, UTF-8 as Hudi's String.getBytes); an empty key is
 * SL_EINVAL (Hadoop refuses it). Allocates only when a new row starts
 * (SL_ENOMEM then, the filter unchanged). */
int sl_hudi_bloom_add(struct sl_hudi_bloom *b, const char *key, size_t len, struct sl_error *err);
/* False for an empty key. */
bool sl_hudi_bloom_might_contain(const struct sl_hudi_bloom *b, const char *key, size_t len);
/* Appends the footer value exactly as Hudi writes it: base64 (with padding)
 * of the DataOutput serialization. */
int sl_hudi_bloom_serialize(const struct sl_hudi_bloom *b, struct sl_buf *out,
                            struct sl_error *err);
/*
 * Parses a footer value (base64, padding optional, no whitespace). Only the
 * version -1 layout with MurmurHash rows equal to the header is accepted
 * (what every Hudi writes); trailing bytes are refused: SL_EPROTO naming
 * what is wrong. Like Hudi, a deserialized filter has max_entries 0: further
 * adds go round-robin over the existing rows once the last row is full.
 * Caller owns *out.
 */
int sl_hudi_bloom_deserialize(const char *text, size_t len, struct sl_hudi_bloom **out,
                              struct sl_error *err);

#endif

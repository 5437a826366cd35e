/*
 * Apache Avro, read side, internal to src/hudi: object container files
 * (magic, header metadata, codec, blocks, sync markers) and the binary
 * encoding, decoded against the writer's schema into jansson values. Table
 * version 8 keeps its commit metadata in such containers (one record of
 * HoodieCommitMetadata or HoodieReplaceCommitMetadata). The input is outside
 * bytes: every length is checked against what is left, nesting and memory
 * are bounded by struct sl_avro_limits, nothing is trusted.
 *
 * How values come out (the writer's schema drives the shapes):
 *   null -> null, boolean -> true/false, int and long -> integer,
 *   float and double -> real ("NaN", "Infinity", "-Infinity" as strings:
 *   JSON has no such numbers), string -> string (must be UTF-8),
 *   bytes and fixed -> "\x" + lowercase hex (PostgreSQL's bytea text, as
 *   `sluice cat` prints bytes), enum -> its symbol, array -> array,
 *   map -> object, record -> object of its fields in schema order,
 *   union -> the chosen branch's value. Logical types are not applied.
 */
#ifndef SLUICE_HUDI_AVRO_H
#define SLUICE_HUDI_AVRO_H

#include "sluice/core.h"

#include <jansson.h>

#include "hudi/timeline.h"

#define SL_AVRO_DEFAULT_MAX_DEPTH 64
#define SL_AVRO_DEFAULT_MAX_MEMORY ((size_t)256 << 20)

/*
 * What decoding may cost. max_depth bounds the nesting of types in a schema
 * and of values in a datum (records, arrays, maps, unions each count one
 * level); max_memory bounds the decompressed bytes of the block being
 * decoded plus an estimate of the decoded values (at least 64 bytes per
 * value, plus string and key lengths). Hitting either fails with SL_ELIMIT.
 */
struct sl_avro_limits {
    uint32_t max_depth;
    size_t max_memory;
};
void sl_avro_limits_default(struct sl_avro_limits *out);

/* ---------------------------------------------------------------- schemas */

struct sl_avro_schema;

/*
 * Parses an Avro schema (JSON text; any of the spec's forms: a type name, a
 * type object, a union array) with named types (record, enum, fixed),
 * namespaces and references to types defined earlier (a record may refer to
 * itself). `limits` NULL = defaults. SL_EPROTO naming the problem for a
 * schema that is not valid; SL_ELIMIT past max_depth. Caller owns *out.
 */
int sl_avro_schema_parse(const char *json, size_t len, const struct sl_avro_limits *limits,
                         struct sl_avro_schema **out, struct sl_error *err);
void sl_avro_schema_free(struct sl_avro_schema *schema); /* accepts NULL */

/* The full name of the schema's top type ("org.apache.hudi.avro.model.
 * HoodieCommitMetadata"), or its kind ("long", "array", "union", ...).
 * Borrowed from the schema. */
const char *sl_avro_schema_name(const struct sl_avro_schema *schema);

/* ---------------------------------------------------------------- data */

/*
 * Decodes one datum of `schema` (borrowed) from bytes[0..len). *used gets
 * the bytes it took (the rest of the buffer is the caller's business).
 * SL_EPROTO with the byte offset and the field path for malformed data,
 * SL_ELIMIT past the limits (NULL = defaults). Caller owns *out.
 */
int sl_avro_decode(const struct sl_avro_schema *schema, const void *bytes, size_t len,
                   const struct sl_avro_limits *limits, size_t *used /* out */, json_t **out,
                   struct sl_error *err);

/* ---------------------------------------------------------------- container files */

/* True when bytes start with the container magic "Obj\x01". */
bool sl_avro_is_container(const void *bytes, size_t len);

/* A decoded object container file. Owns everything it points to. */
struct sl_avro_container {
    struct sl_avro_schema *schema; /* the writer's schema (avro.schema) */
    char *codec;                   /* "null", "deflate", "snappy" or "zstandard" */
    json_t *metadata;              /* header map: key -> value as text (hex "\x.." when not UTF-8) */
    json_t *records;               /* array of every record of every block, in file order */
};

/*
 * Reads a whole container file from bytes[0..len) (borrowed): header
 * (avro.schema required, avro.codec null / deflate / snappy with its CRC32
 * trailer / zstandard), then every block, each checked against the header's
 * sync marker and decoded to the last byte. `limits` NULL = defaults.
 * SL_EPROTO naming the block, byte offset and problem; SL_ELIMIT past the
 * limits; SL_ENOMEM. Caller owns *out (sl_avro_container_free); on failure
 * *out is zeroed.
 */
int sl_avro_container_read(const void *bytes, size_t len, const struct sl_avro_limits *limits,
                           struct sl_avro_container *out, struct sl_error *err);
void sl_avro_container_free(struct sl_avro_container *container); /* accepts a zeroed struct */

/* ---------------------------------------------------------------- Hudi commit metadata */

/*
 * Commit metadata of a table version 8 instant (an Avro container holding
 * one HoodieCommitMetadata or HoodieReplaceCommitMetadata record) into the
 * same struct the JSON of version 6 gives (sl_hudi_commit_meta_parse, whose
 * field mapping it shares). A container without records is an empty commit.
 * Implemented in commit_meta.c. `limits` NULL = defaults. Caller owns *out.
 */
int sl_hudi_commit_meta_parse_avro(const void *bytes, size_t len,
                                   const struct sl_avro_limits *limits,
                                   struct sl_hudi_commit_meta *out, struct sl_error *err);

#endif

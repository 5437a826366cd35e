/*
 * The change model: table schemas, values, change events and the source
 * position, plus the change-event JSON (DESIGN.md section 8) that `sluice
 * tail` writes and `sluice apply` reads. Sources produce these; the batcher
 * and writers consume them. Nothing here talks to a database.
 */
#ifndef SLUICE_CHANGE_H
#define SLUICE_CHANGE_H

#include "sluice/core.h"

/* ---------------------------------------------------------------- positions */

/* A PostgreSQL WAL position. Text form "X/Y" (upper-case hex, as PostgreSQL prints it). */
typedef uint64_t sl_lsn;
#define SL_LSN_TEXT_MAX 20

/* Writes "X/Y" into out (at least SL_LSN_TEXT_MAX bytes); returns out. */
char *sl_lsn_format(sl_lsn lsn, char *out);
/* Parses "X/Y" (hex, each part at most 8 digits); SL_EINVAL otherwise. */
int sl_lsn_parse(const char *text, sl_lsn *out);

/* ---------------------------------------------------------------- types */

/*
 * How a column's values are interpreted downstream. Chosen from the column's
 * base type (domains map as their base type); see DESIGN.md section 6.
 */
enum sl_type_class {
    SL_TYPE_TEXT = 0, /* any type carried as its PostgreSQL text form */
    SL_TYPE_BOOL,
    SL_TYPE_INT2,
    SL_TYPE_INT4,
    SL_TYPE_INT8,
    SL_TYPE_FLOAT4,
    SL_TYPE_FLOAT8,
    SL_TYPE_NUMERIC,
    SL_TYPE_BYTEA,
    SL_TYPE_DATE,
    SL_TYPE_TIME,
    SL_TYPE_TIMESTAMP,
    SL_TYPE_TIMESTAMPTZ,
    SL_TYPE_UUID,
    SL_TYPE_JSON,
    SL_TYPE_JSONB,
};

/* Well-known PostgreSQL type OIDs (pg_type.dat; stable across versions). */
enum {
    SL_PG_OID_BOOL = 16,
    SL_PG_OID_BYTEA = 17,
    SL_PG_OID_CHAR = 18,
    SL_PG_OID_NAME = 19,
    SL_PG_OID_INT8 = 20,
    SL_PG_OID_INT2 = 21,
    SL_PG_OID_INT4 = 23,
    SL_PG_OID_TEXT = 25,
    SL_PG_OID_OID = 26,
    SL_PG_OID_JSON = 114,
    SL_PG_OID_FLOAT4 = 700,
    SL_PG_OID_FLOAT8 = 701,
    SL_PG_OID_BPCHAR = 1042,
    SL_PG_OID_VARCHAR = 1043,
    SL_PG_OID_DATE = 1082,
    SL_PG_OID_TIME = 1083,
    SL_PG_OID_TIMESTAMP = 1114,
    SL_PG_OID_TIMESTAMPTZ = 1184,
    SL_PG_OID_NUMERIC = 1700,
    SL_PG_OID_UUID = 2950,
    SL_PG_OID_JSONB = 3802,
};

/* Type class of a base type OID; SL_TYPE_TEXT for anything else. */
enum sl_type_class sl_type_class_of_oid(uint32_t base_type_oid);
/* True when the JSON form of the class is a bare JSON literal (bool, number). */
bool sl_type_class_is_json_literal(enum sl_type_class cls);

/* ---------------------------------------------------------------- schema */

struct sl_column {
    char *name;
    char *type_name;       /* PostgreSQL type with modifiers, e.g. "numeric(12,2)" */
    uint32_t type_oid;     /* as declared (may be a domain) */
    uint32_t base_type_oid; /* domains resolved */
    int32_t type_mod;
    enum sl_type_class type_class;
    bool nullable;
    bool key; /* part of the primary key (or of the replica identity index) */
};

/*
 * A table's schema as the source saw it. `version` increases whenever the
 * columns change so consumers can tell a new schema from a repeat.
 */
struct sl_table_schema {
    uint32_t relid;
    char *schema_name;
    char *table_name;
    char replica_identity; /* 'd' default, 'f' full, 'i' index, 'n' nothing */
    uint32_t version;
    uint32_t ncolumns;
    struct sl_column *columns;
    /* JSON fragments prepared once by sl_change_json_prepare (owned; NULL until then) */
    char *json_names;         /* ,"schema":"..","table":".." */
    char **json_keys;         /* per column: "name": */
    uint32_t *json_key_lens;
};

/* Caller owns the result; NULL on OOM. */
struct sl_table_schema *sl_table_schema_new(uint32_t ncolumns);
void sl_table_schema_free(struct sl_table_schema *schema); /* accepts NULL */
/* Drops the JSON fragments of sl_change_json_prepare (e.g. before renaming). */
void sl_table_schema_clear_json(struct sl_table_schema *schema);
/* True when names, types, nullability and keys are all equal. */
bool sl_table_schema_same_columns(const struct sl_table_schema *a, const struct sl_table_schema *b);

/* ---------------------------------------------------------------- values */

enum sl_value_kind {
    SL_VALUE_ABSENT = 0,      /* not sent (e.g. non-key column of an old key tuple) */
    SL_VALUE_NULL,
    SL_VALUE_UNCHANGED_TOAST, /* unchanged out-of-line value: keep what is stored */
    SL_VALUE_TEXT,            /* PostgreSQL text form in text/len (not NUL-terminated) */
};

/* One value; text is borrowed from the message or batch that carries it. */
struct sl_value {
    enum sl_value_kind kind;
    uint32_t len;
    const char *text;
};

/* ---------------------------------------------------------------- changes */

enum sl_change_op {
    SL_OP_INSERT = 'c',
    SL_OP_UPDATE = 'u',
    SL_OP_DELETE = 'd',
    SL_OP_TRUNCATE = 't',
    SL_OP_READ = 'r', /* a row of the initial snapshot */
};

/* Transaction envelope shared by all changes of one source transaction. */
struct sl_txn_info {
    uint32_t xid;
    sl_lsn commit_lsn; /* LSN of the commit record (0 for snapshot rows) */
    sl_lsn end_lsn;    /* end of the commit record: the position to acknowledge */
    int64_t commit_ts_ms;
};

/*
 * One change. `before` and `after` are NULL or arrays of table->ncolumns
 * values (borrowed, valid during the callback that passes the change).
 */
struct sl_change {
    enum sl_change_op op;
    const struct sl_table_schema *table; /* borrowed */
    const struct sl_txn_info *txn;       /* borrowed */
    sl_lsn lsn;                          /* LSN of the change record itself */
    const struct sl_value *before;
    const struct sl_value *after;
    bool truncate_cascade;
    bool truncate_restart_identity;
};

/*
 * Where a source delivers changes: an interface as a struct of function
 * pointers. Callbacks run on the source's thread, in commit order; a nonzero
 * return stops the source and is passed up (SL_EINTR = a requested stop).
 * A table's schema is passed to `schema` before its first change and again
 * after every change of its columns.
 */
struct sl_change_sink {
    void *ctx;
    int (*schema)(void *ctx, const struct sl_table_schema *table, struct sl_error *err);
    int (*begin)(void *ctx, const struct sl_txn_info *txn, struct sl_error *err);
    int (*change)(void *ctx, const struct sl_change *change, struct sl_error *err);
    int (*commit)(void *ctx, const struct sl_txn_info *txn, struct sl_error *err);
};

/* ---------------------------------------------------------------- JSON */

/* Appends a JSON string literal (quotes and escapes) of bytes; invalid UTF-8 is
 * escaped as \ufffd so the output is always valid JSON. */
int sl_json_append_string(struct sl_buf *out, const char *bytes, size_t len);

/*
 * Escapes the table's names and column keys once so change lines only copy
 * them. Optional: writers fall back to escaping per line. Call again after
 * changing the schema's names.
 */
int sl_change_json_prepare(struct sl_table_schema *table);

/* Appends the schema line (with trailing newline) for a table. */
int sl_change_json_schema(struct sl_buf *out, const struct sl_table_schema *table);
/* Appends the change line (with trailing newline). */
int sl_change_json_change(struct sl_buf *out, const struct sl_change *change);

/* ---------------------------------------------------------------- JSON reader */

/*
 * Reads change-event JSON (DESIGN.md section 8) back, line by line, and
 * delivers it into a sink the way a source does (`sluice apply`). Not thread
 * safe: one reader per input stream.
 *
 * Positions: the JSON carries no end LSN, so every sl_txn_info has
 * end_lsn = commit_lsn; the checkpoint of a JSON-fed batch is the commit_lsn
 * of its last transaction. Snapshot rows share lsn = commit_lsn = the slot's
 * consistent point and xid 0, so they form one transaction.
 *
 * Tables are identified by (schema, table) name; the JSON has no relid, so
 * the reader numbers tables 1, 2, ... in the order of their first schema line
 * (sl_table_schema.relid). Column types are derived from the type name
 * (int2/int4/int8/float4/float8/bool, numeric(p,s), varchar(n), bpchar(n),
 * date, time(n), timestamp(n), timestamptz(n), uuid, json, jsonb, bytea and
 * the SQL spellings such as "bigint"); arrays ("int4[]"), domains, enums and
 * other types are SL_TYPE_TEXT because the JSON does not name a domain's base
 * type. type_mod is computed as PostgreSQL does (-1 without modifiers).
 *
 * Keeps the current schema of every table it has seen, and every earlier
 * version too (a batch may still reference one) until the reader is freed.
 */
struct sl_change_json_reader;

/* Caller owns *out (free with sl_change_json_reader_free); SL_ENOMEM. */
int sl_change_json_reader_new(struct sl_change_json_reader **out);
void sl_change_json_reader_free(struct sl_change_json_reader *r); /* accepts NULL */

/*
 * Feeds one line: len bytes (borrowed, not NUL-terminated, without its
 * newline). Lines that are empty or only whitespace are skipped. The whole
 * line is checked before anything is delivered, so a bad line delivers
 * nothing; the reader stays usable after an error.
 *
 * - schema line -> sink->schema with a schema the reader owns (valid until the
 *   reader is freed), unless its columns equal the table's current schema (a
 *   repeat, e.g. of a second tail run, is not delivered). `version` is 1 for a
 *   table's first schema and increases whenever its columns change.
 * - change line -> sink->commit of the open transaction and sink->begin of the
 *   new one when (xid, commit_lsn) differs from the open transaction's, then
 *   sink->change. commit_ts_ms is the ts_ms of the transaction's first line.
 *   Value text (SL_VALUE_TEXT) is the PostgreSQL text form: JSON strings
 *   unescaped, numbers as their literal text, true/false as "t"/"f"; null is
 *   SL_VALUE_NULL, {"unchanged_toast":true} SL_VALUE_UNCHANGED_TOAST, and a
 *   column missing from before/after SL_VALUE_ABSENT. The text, the value
 *   arrays, the change and the sl_txn_info are borrowed: valid until the
 *   callback returns (sl_txn_info: until the transaction's commit returns).
 * Callbacks that are NULL are skipped. Unknown keys are ignored (forward
 * compatibility); a known field, or a column, given twice is an error. A
 * callback error leaves the reader in an unspecified transaction state: stop.
 *
 * `line_no` is used in messages ("line 17: ..."). Errors: SL_EINVAL for a
 * bad line (not JSON, not UTF-8, unknown op, missing field, a change for a
 * table with no schema line yet, a value of the wrong JSON type for its
 * column, an unknown column, an invalid lsn, ...), SL_ENOMEM; a nonzero
 * return of a callback is passed up with "line N: " prefixed to its message.
 */
int sl_change_json_reader_feed(struct sl_change_json_reader *r, const char *line, size_t len,
                               uint64_t line_no, const struct sl_change_sink *sink,
                               struct sl_error *err);
/* End of input: commits the open transaction if any (callback errors passed up). */
int sl_change_json_reader_finish(struct sl_change_json_reader *r, const struct sl_change_sink *sink,
                                 struct sl_error *err);

/* ---------------------------------------------------------------- typed values */

/*
 * PostgreSQL text form -> the value a Parquet column holds. The text is what
 * `sluice tail` emits (DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres,
 * extra_float_digits=1), borrowed, len bytes, not NUL-terminated. Leading and
 * trailing ASCII whitespace is accepted where PostgreSQL's input functions
 * accept it. Pure functions: no allocation, no locale dependence, thread safe.
 * Each returns SL_OK, SL_EINVAL (not that type's text; *out untouched) or
 * SL_ELIMIT (well-formed but out of the target's range).
 */

/* "t"/"f", and whatever boolin accepts: true/false, yes/no, on/off, 1/0 and their
 * unique prefixes, any case. */
int sl_pg_text_to_bool(const char *text, size_t len, bool *out);
/* Decimal integer ([+-]digits); SL_ELIMIT outside [min, max] (int2/int4/int8 ranges). */
int sl_pg_text_to_int64(const char *text, size_t len, int64_t min, int64_t max, int64_t *out);
/* Correctly rounded, so PostgreSQL's shortest output reads back to the identical value;
 * "NaN", "Infinity", "-Infinity" (also inf, any case). SL_ELIMIT when the value overflows,
 * or underflows to zero, as float8in/float4in refuse it. */
int sl_pg_text_to_double(const char *text, size_t len, double *out);
int sl_pg_text_to_float(const char *text, size_t len, float *out);
/*
 * numeric text ("-12.50", also "1.5e3") -> the unscaled value at `scale` as a big-endian
 * two's complement integer of `width` bytes (Parquet DECIMAL as FIXED_LEN_BYTE_ARRAY;
 * caller owns out, width bytes). Rounds half away from zero when the text has more fraction
 * digits than scale (as PostgreSQL's cast to numeric(p,s) does). SL_ELIMIT when the value
 * needs more than `precision` digits or does not fit width bytes; SL_EINVAL for NaN,
 * Infinity, bad text or parameters (1 <= precision <= 38, 0 <= scale <= precision,
 * 1 <= width <= 16).
 */
int sl_pg_text_to_decimal(const char *text, size_t len, int32_t precision, int32_t scale,
                          uint8_t *out, size_t width);
/* "2024-01-15", "0044-03-15 BC" -> days since 1970-01-01; "infinity"/"-infinity" and
 * dates whose day count does not fit int32 -> SL_ELIMIT. */
int sl_pg_text_to_date(const char *text, size_t len, int32_t *days_since_epoch);
/* "10:15:30", "10:15:30.123456" (at most 6 fraction digits), "24:00:00" ->
 * microseconds since midnight (0 .. 86400000000). */
int sl_pg_text_to_time_micros(const char *text, size_t len, int64_t *micros);
/*
 * "2024-01-15 10:15:30.5", with_offset: "2024-01-15 10:15:30.5+05:30" (offsets "+00",
 * "+05:30", "-03:00:12"), " BC" after all -> microseconds since 1970-01-01 00:00:00 UTC
 * (timestamp without time zone: the wall clock as if it were UTC). The offset is required
 * with with_offset and refused without. "infinity"/"-infinity" and values outside int64
 * microseconds -> SL_ELIMIT.
 */
int sl_pg_text_to_timestamp_micros(const char *text, size_t len, bool with_offset,
                                   int64_t *micros_utc);
/*
 * bytea text, hex form ("\x0aff") or escape form ("a\\000\\\\") -> bytes in out (caller
 * owns, cap bytes; out may be NULL when cap is 0). *out_len is the decoded length, also on
 * SL_ELIMIT (out too small: call again with *out_len bytes). Unlike the others, it may have
 * written into out before it returns SL_EINVAL.
 */
int sl_pg_text_to_bytea(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif

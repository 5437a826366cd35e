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

#endif

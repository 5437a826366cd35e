/*
 * Parquet values as JSON, in `sluice tail`'s value conventions (README):
 * JSON numbers and booleans for integer, float and boolean columns
 * (non-finite floats as strings), null for NULL, strings for the rest:
 * decimals exact, dates YYYY-MM-DD, times HH:MM:SS.ffffff and timestamps
 * YYYY-MM-DDTHH:MM:SS.ffffff (+00 when adjusted to UTC), bytes as "\\x..".
 * Shared by the commands that print rows (cat, parquet-dump). No allocation
 * per value: everything is appended to the caller's buffer.
 */
#ifndef SLUICE_CLI_PARQUET_JSON_H
#define SLUICE_CLI_PARQUET_JSON_H

#include "sluice/parquet.h"

/*
 * The keys of a row object ({"name": ...), escaped once for a set of
 * columns. Owns its text.
 */
struct sl_parquet_json_keys {
    uint32_t count;
    struct sl_buf text;  /* "{\"a\":" ",\"b\":" ... concatenated */
    size_t *offsets;     /* count + 1 offsets into text */
};

/* Escapes names[count] (borrowed, UTF-8). *keys is initialised here; caller
 * frees it with sl_parquet_json_keys_free, also after a failure. */
int sl_parquet_json_keys_init(struct sl_parquet_json_keys *keys, const char *const *names,
                              uint32_t count, struct sl_error *err);
void sl_parquet_json_keys_free(struct sl_parquet_json_keys *keys); /* accepts a zeroed struct */

/*
 * Appends row `row` of the columns as one JSON object and a newline:
 * infos[i] (borrowed) says how to read values[i]; keys->count columns.
 * SL_ELIMIT when out reaches its maximum, SL_ENOMEM.
 */
int sl_parquet_json_append_row(struct sl_buf *out, const struct sl_parquet_json_keys *keys,
                               const struct sl_parquet_column_info *const *infos,
                               const struct sl_parquet_column_values *values, size_t row);

/* Appends one value (row `row` of a column) as JSON. */
int sl_parquet_json_append_value(struct sl_buf *out, const struct sl_parquet_column_info *info,
                                 const struct sl_parquet_column_values *values, size_t row);

/* Appends s (NUL-terminated, may be NULL -> null) as a JSON string. */
int sl_parquet_json_append_cstr(struct sl_buf *out, const char *s);

#endif

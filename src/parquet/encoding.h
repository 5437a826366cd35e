/*
 * Parquet value encodings (Apache Parquet Encodings.md) as pure functions over arrays:
 * PLAIN, the RLE/bit-packed hybrid (levels, dictionary indices, RLE booleans), the writer's
 * dictionary builder, and the reader-side decoders of DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.
 *
 * Conventions shared by every function here:
 * - Encoders take a page's values as an array plus an optional `valid` byte map (NULL = every
 *   row present; otherwise a byte per row, nonzero when present), the layout of
 *   struct sl_parquet_column_values. Rows whose valid byte is 0 are skipped: the encoded stream
 *   holds the present values only. Encoders append to `out` (an sl_buf the caller resets and
 *   reuses); a full buffer gives SL_ELIMIT, and out->len is then unspecified past its old value.
 * - Decoders read (buf, len) and produce dense arrays of the present values. They check every
 *   length and count before reading: malformed input gives SL_EPROTO with a message naming the
 *   encoding and the problem; they never read outside (buf, len) and never allocate from a
 *   count read from the input (output arrays are sized by the caller from the page header).
 * - BYTE_ARRAY values decode to views (struct sl_parquet_byte_view) into the caller's page
 *   buffer, never copies, except DELTA_BYTE_ARRAY, whose values must be rebuilt.
 * - Numbers are little-endian on disk; this file assumes a little-endian host (checked at
 *   build time in encoding.c).
 * - No function keeps state between calls; all are thread-safe on distinct arguments.
 */
#ifndef SLUICE_PARQUET_ENCODING_H
#define SLUICE_PARQUET_ENCODING_H

#include "sluice/core.h"

/* A BYTE_ARRAY value: borrowed bytes (in the page buffer or a caller's value buffer). */
struct sl_parquet_byte_view {
    const uint8_t *ptr;
    uint32_t len;
};

/* Bits needed to store max_value (0 for 0, 32 for values >= 2^31). */
unsigned sl_parquet_bit_width(uint64_t max_value);

/* Number of nonzero bytes in valid[0..nrows) (nrows when valid is NULL). */
size_t sl_parquet_count_valid(const uint8_t *valid, size_t nrows);

/* ================================================================ PLAIN */

/*
 * PLAIN of fixed-width values: INT32 (width 4), INT64 and DOUBLE (8), FLOAT (4), INT96 (12) and
 * FIXED_LEN_BYTE_ARRAY (its type_length). `values` holds nrows * width bytes, a slot per row.
 */
int sl_parquet_plain_encode_fixed(const void *values, size_t width, const uint8_t *valid,
                                  size_t nrows, struct sl_buf *out, struct sl_error *err);

/*
 * PLAIN BOOLEAN: bits packed LSB first. `values` has a byte per row (nonzero = true). A page's
 * booleans form one bit stream, so a page may be built by several calls: *bit_count (in/out)
 * counts the booleans already appended since the page started (0 for a new page) and
 * out->len must end where that stream ends.
 */
int sl_parquet_plain_encode_bool(const uint8_t *values, const uint8_t *valid, size_t nrows,
                                 size_t *bit_count, struct sl_buf *out, struct sl_error *err);

/*
 * PLAIN BYTE_ARRAY: a 4-byte little-endian length, then the bytes. Row i is
 * data[offsets[i] .. offsets[i+1]) (offsets has nrows + 1 entries, non-decreasing).
 */
int sl_parquet_plain_encode_bytes(const uint32_t *offsets, const uint8_t *data,
                                  const uint8_t *valid, size_t nrows, struct sl_buf *out,
                                  struct sl_error *err);

/* The same from views (e.g. values read from another file). */
int sl_parquet_plain_encode_views(const struct sl_parquet_byte_view *values, size_t n,
                                  struct sl_buf *out, struct sl_error *err);

/*
 * Decodes n fixed-width values (n * width bytes from buf) into out (n * width bytes).
 * *consumed (optional) = n * width.
 */
int sl_parquet_plain_decode_fixed(const uint8_t *buf, size_t len, size_t width, size_t n,
                                  void *out, size_t *consumed, struct sl_error *err);

/* Decodes n PLAIN booleans into out (a byte each, 0 or 1). *consumed (optional) = ceil(n/8). */
int sl_parquet_plain_decode_bool(const uint8_t *buf, size_t len, size_t n, uint8_t *out,
                                 size_t *consumed, struct sl_error *err);

/*
 * Decodes n PLAIN BYTE_ARRAY values as views into buf (borrowed: valid while buf is).
 * *consumed (optional) = bytes used.
 */
int sl_parquet_plain_decode_bytes(const uint8_t *buf, size_t len, size_t n,
                                  struct sl_parquet_byte_view *out, size_t *consumed,
                                  struct sl_error *err);

/* ================================================================ RLE / bit-packed hybrid */

/*
 * Encodes n values of bit_width bits (0..32) as a sequence of runs: repeats of 8 or more
 * become RLE runs, everything else bit-packed groups of 8 (at most 63 groups per run, so a
 * run header is one byte, as parquet-mr and Arrow write). A value wider than bit_width is
 * SL_EINVAL. The whole sequence of a page must be passed in one call.
 *   _encode:          the bare runs (data page v2 levels)
 *   _encode_prefixed: a 4-byte little-endian byte length, then the runs (data page v1 levels,
 *                     RLE-encoded BOOLEAN values)
 *   _encode_indices:  one byte holding bit_width, then the runs (RLE_DICTIONARY data pages)
 */
int sl_parquet_rle_encode(const uint32_t *values, size_t n, unsigned bit_width,
                          struct sl_buf *out, struct sl_error *err);
int sl_parquet_rle_encode_prefixed(const uint32_t *values, size_t n, unsigned bit_width,
                                   struct sl_buf *out, struct sl_error *err);
int sl_parquet_rle_encode_indices(const uint32_t *indices, size_t n, unsigned bit_width,
                                  struct sl_buf *out, struct sl_error *err);

/*
 * Definition levels of a flat optional column straight from its valid byte map (level 1 for a
 * nonzero byte, 0 otherwise), bit width 1. `prefixed` adds the 4-byte length (data page v1).
 */
int sl_parquet_levels_encode_valid(const uint8_t *valid, size_t nrows, bool prefixed,
                                   struct sl_buf *out, struct sl_error *err);

/*
 * Decodes exactly n values from bare runs of bit_width bits (0..32). Input left over after n
 * values is ignored (writers pad the last bit-packed group); a final bit-packed run cut short
 * is accepted when it still holds the values needed. A run value wider than bit_width, a
 * zero-length run, or input ending before n values is SL_EPROTO.
 */
int sl_parquet_rle_decode(const uint8_t *buf, size_t len, unsigned bit_width, uint32_t *out,
                          size_t n, struct sl_error *err);
/* The same into bytes (levels, booleans); bit_width 0..8. */
int sl_parquet_rle_decode_u8(const uint8_t *buf, size_t len, unsigned bit_width, uint8_t *out,
                             size_t n, struct sl_error *err);
/*
 * Length-prefixed runs (data page v1 levels, RLE BOOLEAN values) into bytes; bit_width 0..8.
 * *consumed (optional) = 4 + the prefixed length.
 */
int sl_parquet_rle_decode_prefixed_u8(const uint8_t *buf, size_t len, unsigned bit_width,
                                      uint8_t *out, size_t n, size_t *consumed,
                                      struct sl_error *err);

/*
 * Dictionary indices of an RLE_DICTIONARY / PLAIN_DICTIONARY data page: a bit-width byte
 * (0..32) then runs, the rest of the page. Every index is checked to be < dict_count, so the
 * caller may index its dictionary with them unchecked.
 */
int sl_parquet_dict_indices_decode(const uint8_t *buf, size_t len, uint32_t *out, size_t n,
                                   uint32_t dict_count, struct sl_error *err);

/* ================================================================ dictionary (writer) */

/*
 * A column chunk's dictionary while writing: maps each distinct value to its index (in order
 * of first appearance) and keeps the distinct values already PLAIN-encoded, which is the
 * dictionary page body. Open addressing with linear probing over sl_malloc'd slots; values
 * of up to 8 bytes are their own keys, longer ones are hashed and compared on a hash match.
 * Floating-point values are compared by bit pattern (each NaN payload and -0.0 kept apart).
 * The hash is seeded per dictionary; the output never depends on the seed (indices follow
 * first appearance). Owns its memory; not thread-safe.
 */
struct sl_parquet_dict_slot;
struct sl_parquet_dict {
    size_t width;     /* bytes per value; 0 = BYTE_ARRAY */
    size_t max_bytes; /* limit of the dictionary page body */
    uint32_t count;   /* distinct values so far */
    struct sl_buf page; /* PLAIN encoding of the distinct values, in index order */
    struct sl_parquet_dict_slot *slots;
    size_t slot_mask; /* slot count - 1 (slot count a power of two), 0 before first use */
    unsigned shift;   /* 64 - log2(slot count): slots are picked by the hash's top bits */
    uint64_t seed;    /* per dictionary, so crafted values cannot be chosen to collide */
};

/*
 * width: 4 or 8 for INT32/FLOAT/INT64/DOUBLE, type_length for FIXED_LEN_BYTE_ARRAY, 0 for
 * BYTE_ARRAY. max_bytes: the largest dictionary page body allowed (capped at 2^31).
 * Allocates nothing until the first put.
 */
void sl_parquet_dict_init(struct sl_parquet_dict *dict, size_t width, size_t max_bytes);
/* Empties the dictionary for a new column chunk, keeping its memory. */
void sl_parquet_dict_reset(struct sl_parquet_dict *dict);
void sl_parquet_dict_free(struct sl_parquet_dict *dict); /* accepts NULL and a zeroed dict */

/*
 * Maps the present rows' values to indices, adding new values. indices receives one entry per
 * present row (room for nrows is enough); *nindices (out) says how many. *rows_done (out) is
 * the number of rows consumed. Returns SL_OK when all rows were consumed, SL_ELIMIT
 * ("dictionary full") when the next new value would make the page body exceed max_bytes: rows
 * before *rows_done are mapped, the rest are not, and the writer falls back to PLAIN for them
 * (the dictionary stays valid for the indices already handed out). SL_ENOMEM on allocation
 * failure. `values` has a slot of `width` bytes per row.
 */
int sl_parquet_dict_put_fixed(struct sl_parquet_dict *dict, const void *values,
                              const uint8_t *valid, size_t nrows, uint32_t *indices,
                              size_t *nindices, size_t *rows_done, struct sl_error *err);
/* The same for BYTE_ARRAY rows data[offsets[i] .. offsets[i+1]). */
int sl_parquet_dict_put_bytes(struct sl_parquet_dict *dict, const uint32_t *offsets,
                              const uint8_t *data, const uint8_t *valid, size_t nrows,
                              uint32_t *indices, size_t *nindices, size_t *rows_done,
                              struct sl_error *err);

/* The dictionary page body (PLAIN of the distinct values); borrowed, valid until the next put. */
const uint8_t *sl_parquet_dict_page(const struct sl_parquet_dict *dict, size_t *len);
/* Bit width for the indices of a data page: bits of count - 1, at least 1 (as Arrow writes). */
unsigned sl_parquet_dict_index_bit_width(const struct sl_parquet_dict *dict);

/* ================================================================ dictionary (reader) */

/* out[i] = dict[indices[i]] for fixed-width values; indices must be valid (checked on decode). */
void sl_parquet_gather_fixed(const void *dict, size_t width, const uint32_t *indices, size_t n,
                             void *out);
void sl_parquet_gather_views(const struct sl_parquet_byte_view *dict, const uint32_t *indices,
                             size_t n, struct sl_parquet_byte_view *out);

/*
 * Spreads dense present values to their rows in place: `values` holds count_valid(valid,
 * nrows) values of `width` bytes at its start and room for nrows; afterwards row i's slot
 * holds its value, and absent rows' slots are zeroed.
 */
void sl_parquet_spread(void *values, size_t width, const uint8_t *valid, size_t nrows);

/* ================================================================ DELTA_BINARY_PACKED */

/*
 * Decodes a DELTA_BINARY_PACKED stream whose header must declare exactly n values (the
 * present values of the page). Arithmetic wraps as the spec requires (INT32 modulo 2^32).
 * *consumed (optional) = bytes of the stream, including the padding of its last miniblock.
 */
int sl_parquet_delta_decode_int32(const uint8_t *buf, size_t len, int32_t *out, size_t n,
                                  size_t *consumed, struct sl_error *err);
int sl_parquet_delta_decode_int64(const uint8_t *buf, size_t len, int64_t *out, size_t n,
                                  size_t *consumed, struct sl_error *err);

/*
 * Encoders, in the layout Arrow writes (blocks of 128 values for INT32 and 256 for INT64, 4
 * miniblocks each). Not used by the writer; they exist for tests and tools.
 */
int sl_parquet_delta_encode_int32(const int32_t *values, const uint8_t *valid, size_t nrows,
                                  struct sl_buf *out, struct sl_error *err);
int sl_parquet_delta_encode_int64(const int64_t *values, const uint8_t *valid, size_t nrows,
                                  struct sl_buf *out, struct sl_error *err);

/* ================================================================ DELTA_LENGTH_BYTE_ARRAY */

/* n lengths (DELTA_BINARY_PACKED), then the concatenated bytes; views borrow from buf. */
int sl_parquet_delta_length_decode(const uint8_t *buf, size_t len,
                                   struct sl_parquet_byte_view *out, size_t n, size_t *consumed,
                                   struct sl_error *err);
int sl_parquet_delta_length_encode(const uint32_t *offsets, const uint8_t *data,
                                   const uint8_t *valid, size_t nrows, struct sl_buf *out,
                                   struct sl_error *err);

/* ================================================================ DELTA_BYTE_ARRAY */

/*
 * n prefix lengths (DELTA_BINARY_PACKED), then n suffixes (DELTA_LENGTH_BYTE_ARRAY); value i
 * is the first prefix[i] bytes of value i-1 followed by suffix i. The values are rebuilt in
 * `values`, which is reset first; views point into it and stay valid until it is next changed.
 * Values that would not fit under values->max give SL_ELIMIT (set the max from the page size
 * budget: a few input bytes can describe long values).
 */
int sl_parquet_delta_bytes_decode(const uint8_t *buf, size_t len,
                                  struct sl_parquet_byte_view *out, size_t n,
                                  struct sl_buf *values, struct sl_error *err);
int sl_parquet_delta_bytes_encode(const uint32_t *offsets, const uint8_t *data,
                                  const uint8_t *valid, size_t nrows, struct sl_buf *out,
                                  struct sl_error *err);

/* ================================================================ BYTE_STREAM_SPLIT */

/*
 * Values of `width` bytes (FLOAT, DOUBLE, INT32, INT64, FIXED_LEN_BYTE_ARRAY) scattered into
 * width streams, stream k holding byte k of every value. The streams' length is len / width,
 * so len must be a multiple of width; the first n values (n <= len / width) are decoded
 * into out (n * width bytes).
 */
int sl_parquet_byte_stream_split_decode(const uint8_t *buf, size_t len, size_t width, size_t n,
                                        void *out, struct sl_error *err);
int sl_parquet_byte_stream_split_encode(const void *values, size_t width, const uint8_t *valid,
                                        size_t nrows, struct sl_buf *out, struct sl_error *err);

#endif

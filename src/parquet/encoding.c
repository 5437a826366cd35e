/*
 * Parquet value encodings, written from the Apache Parquet Encodings.md specification. Every
 * row sluice lands passes through here, so loops work on whole arrays: output space is
 * reserved once per call, bit (un)packing is specialised per bit width, and nothing is
 * allocated or formatted per value. Decoders check lengths before every read and report
 * malformed input as SL_EPROTO naming the encoding and the problem.
 */
#include "parquet/encoding.h"

#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet encodings assume a little-endian host (values are copied as stored)"
#endif

/* The bit-width and mode switches below rely on inlining to turn parameters into constants. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* Largest dictionary page body: page sizes are Thrift i32, and slots keep u32 offsets. */
#define DICT_MAX_BYTES ((size_t)1 << 31)
/* Bit-packed runs are cut at 63 groups so their header is one byte (as parquet-mr, Arrow). */
#define RLE_MAX_LITERAL_GROUPS 63
#define RLE_MAX_LITERAL (RLE_MAX_LITERAL_GROUPS * 8)
/* Repeat counts are read as signed 32-bit varints by parquet-mr: keep count << 1 < 2^31. */
#define RLE_MAX_REPEAT ((size_t)1 << 29)

/* ---------------------------------------------------------------- small helpers */

static ALWAYS_INLINE uint32_t load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static ALWAYS_INLINE uint64_t load_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static ALWAYS_INLINE void store_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static ALWAYS_INLINE void store_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

static int malformed(struct sl_error *err, const char *fmt, ...) SL_PRINTF(2, 3);
static int malformed(struct sl_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_error_setv(err, SL_EPROTO, fmt, ap);
    va_end(ap);
    return SL_EPROTO;
}

/* Reserves `extra` bytes at the end of out; returns where to write them, NULL on failure. */
static uint8_t *out_reserve(struct sl_buf *out, size_t extra, const char *what, int *rc,
                            struct sl_error *err)
{
    *rc = sl_buf_reserve(out, extra);
    if (*rc == SL_ELIMIT) {
        sl_error_set(err, SL_ELIMIT, "%s: output would exceed its limit of %zu bytes", what,
                     out->max);
        return NULL;
    }
    if (*rc != SL_OK) {
        sl_error_set(err, *rc, "%s: out of memory reserving %zu bytes", what, extra);
        return NULL;
    }
    return (uint8_t *)out->data + out->len;
}

/* Marks the bytes written up to `end` (inside the reserved space) as content. */
static void out_commit(struct sl_buf *out, const uint8_t *end)
{
    out->len = (size_t)(end - (const uint8_t *)out->data);
    out->data[out->len] = '\0';
}

unsigned sl_parquet_bit_width(uint64_t max_value)
{
#if defined(__GNUC__)
    return max_value == 0 ? 0 : 64u - (unsigned)__builtin_clzll(max_value);
#else
    unsigned bits = 0;
    while (max_value != 0) {
        bits++;
        max_value >>= 1;
    }
    return bits;
#endif
}

size_t sl_parquet_count_valid(const uint8_t *valid, size_t nrows)
{
    size_t count = 0;
    if (valid == NULL)
        return nrows;
    for (size_t i = 0; i < nrows; i++)
        count += valid[i] != 0;
    return count;
}

enum uleb_status { ULEB_OK, ULEB_TRUNCATED, ULEB_TOO_LONG };

/*
 * Unsigned LEB128 of at most 64 bits at buf[*pos]; advances *pos on success. Fails when the
 * input ends inside the number, or it is longer than 10 bytes / 64 bits.
 */
static enum uleb_status read_uleb_status(const uint8_t *buf, size_t len, size_t *pos,
                                         uint64_t *value)
{
    uint64_t v = 0;
    size_t p = *pos;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t byte;
        if (p >= len)
            return ULEB_TRUNCATED;
        byte = buf[p++];
        if (shift == 63 && byte > 1)
            return ULEB_TOO_LONG;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *pos = p;
            *value = v;
            return ULEB_OK;
        }
    }
    return ULEB_TOO_LONG;
}

static bool read_uleb(const uint8_t *buf, size_t len, size_t *pos, uint64_t *value)
{
    return read_uleb_status(buf, len, pos, value) == ULEB_OK;
}

static ALWAYS_INLINE uint8_t *write_uleb(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static ALWAYS_INLINE uint64_t zigzag_encode(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static ALWAYS_INLINE uint64_t zigzag_decode(uint64_t u)
{
    return (u >> 1) ^ (0 - (u & 1));
}

/* ---------------------------------------------------------------- bit packing */

#define BYTES_01 UINT64_C(0x0101010101010101)
#define BYTES_7F UINT64_C(0x7f7f7f7f7f7f7f7f)

/* 8 bytes at p as 0/1 per byte (1 where the byte is nonzero): the SWAR "byte is set" test. */
static ALWAYS_INLINE uint64_t nonzero_bytes(const uint8_t *p)
{
    uint64_t x = load_u64(p);
    return ((((x & BYTES_7F) + BYTES_7F) | x) >> 7) & BYTES_01;
}

/* 8 bytes of 0/1 to 8 bits, byte k to bit k: the products land on distinct bits 56..63. */
static ALWAYS_INLINE uint8_t gather_bits(uint64_t zero_one_bytes)
{
    return (uint8_t)((zero_one_bytes * UINT64_C(0x0102040810204080)) >> 56);
}

/* The inverse: bit k of `bits` to byte k (0/1). */
static ALWAYS_INLINE uint64_t spread_bits(uint8_t bits)
{
    uint64_t x = (bits * BYTES_01) & UINT64_C(0x8040201008040201);
    return ((x + BYTES_7F) >> 7) & BYTES_01;
}

/*
 * Packs 8 values of w bits (LSB first) into w bytes. With w a constant after inlining the
 * loop unrolls into shifts and 4-byte stores.
 */
static ALWAYS_INLINE void pack8(const uint32_t *v, unsigned w, uint8_t *dst)
{
    uint64_t acc = 0;
    unsigned bits = 0;
    for (unsigned k = 0; k < 8; k++) {
        acc |= (uint64_t)v[k] << bits;
        bits += w;
        if (bits >= 32) {
            store_u32(dst, (uint32_t)acc);
            dst += 4;
            acc >>= 32;
            bits -= 32;
        }
    }
    for (; bits > 0; bits -= 8) {
        *dst++ = (uint8_t)acc;
        acc >>= 8;
    }
}

/*
 * Unpacks 8 values of w bits from src. Reads up to w + 8 bytes from src (64-bit loads), so
 * callers guarantee that much is readable.
 */
static ALWAYS_INLINE void unpack8(const uint8_t *src, unsigned w, uint32_t *dst)
{
    const uint64_t mask = w == 32 ? UINT64_C(0xffffffff) : (UINT64_C(1) << w) - 1;
    for (unsigned k = 0; k < 8; k++) {
        unsigned bit = k * w;
        dst[k] = (uint32_t)((load_u64(src + bit / 8) >> (bit % 8)) & mask);
    }
}

/* Packs ngroups groups of 8 values at width w (constant after inlining). */
static ALWAYS_INLINE void pack_groups_w(const uint32_t *v, size_t ngroups, unsigned w,
                                        uint8_t *dst)
{
    for (size_t g = 0; g < ngroups; g++)
        pack8(v + 8 * g, w, dst + g * w);
}

/*
 * Unpacks `take` values of width w from a bit-packed run whose bytes at src are `avail` long
 * (at least the ceil(take * w / 8) needed). Groups far enough from the end are unpacked in
 * place; the last ones through a zero-padded copy.
 */
static ALWAYS_INLINE void unpack_values_w(const uint8_t *src, size_t avail, unsigned w,
                                          size_t take, uint32_t *dst)
{
    size_t g = 0, groups = take / 8, fast;

    if (w == 0) {
        memset(dst, 0, take * sizeof(*dst));
        return;
    }
    fast = avail >= (size_t)w + 8 ? (avail - 8) / w : 0; /* groups g < fast read in bounds */
    if (fast > groups)
        fast = groups;
    for (; g < fast; g++)
        unpack8(src + g * w, w, dst + g * 8);
    for (; g * 8 < take; g++) {
        uint8_t local[48] = {0};
        uint32_t values[8];
        size_t off = g * w, have = avail - off, rest = take - g * 8;
        memcpy(local, src + off, have < w ? have : w);
        unpack8(local, w, values);
        memcpy(dst + g * 8, values, (rest < 8 ? rest : 8) * sizeof(uint32_t));
    }
}

#define BIT_WIDTH_CASES(X)                                                                         \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16)   \
    X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)     \
    X(32)

static void pack_groups(const uint32_t *v, size_t ngroups, unsigned w, uint8_t *dst)
{
    switch (w) {
#define PACK_CASE(W)                                                                               \
    case W:                                                                                        \
        pack_groups_w(v, ngroups, W, dst);                                                         \
        break;
        BIT_WIDTH_CASES(PACK_CASE)
#undef PACK_CASE
    default:
        break;
    }
}

static void unpack_values(const uint8_t *src, size_t avail, unsigned w, size_t take,
                          uint32_t *dst)
{
    switch (w) {
#define UNPACK_CASE(W)                                                                             \
    case W:                                                                                        \
        unpack_values_w(src, avail, W, take, dst);                                                 \
        break;
        BIT_WIDTH_CASES(UNPACK_CASE)
#undef UNPACK_CASE
    default:
        break;
    }
}

/* ================================================================ PLAIN */

int sl_parquet_plain_encode_fixed(const void *values, size_t width, const uint8_t *valid,
                                  size_t nrows, struct sl_buf *out, struct sl_error *err)
{
    const uint8_t *src = values;
    size_t count = sl_parquet_count_valid(valid, nrows);
    uint8_t *dst;
    int rc;

    if (width == 0 || count > (SIZE_MAX - 8) / width)
        return sl_error_set(err, SL_EINVAL, "PLAIN: bad value width %zu for %zu values", width,
                            count);
    /* + width: the branch-free loops below store every row and advance only past present ones */
    dst = out_reserve(out, count * width + (valid != NULL ? width : 0), "PLAIN", &rc, err);
    if (dst == NULL)
        return rc;
    if (valid == NULL) {
        if (count > 0)
            memcpy(dst, src, count * width);
        dst += count * width;
    } else if (width == 4) {
        for (size_t i = 0; i < nrows; i++) {
            memcpy(dst, src + 4 * i, 4);
            dst += valid[i] != 0 ? 4 : 0;
        }
    } else if (width == 8) {
        for (size_t i = 0; i < nrows; i++) {
            memcpy(dst, src + 8 * i, 8);
            dst += valid[i] != 0 ? 8 : 0;
        }
    } else {
        for (size_t i = 0; i < nrows; i++) {
            if (valid[i] != 0) {
                memcpy(dst, src + width * i, width);
                dst += width;
            }
        }
    }
    out_commit(out, dst);
    return SL_OK;
}

int sl_parquet_plain_encode_bool(const uint8_t *values, const uint8_t *valid, size_t nrows,
                                 size_t *bit_count, struct sl_buf *out, struct sl_error *err)
{
    size_t count = sl_parquet_count_valid(valid, nrows);
    unsigned used = (unsigned)(*bit_count % 8), nbits;
    size_t extra = (used + count + 7) / 8 - (used != 0 ? 1 : 0);
    uint8_t *dst, acc;
    int rc;

    if (used != 0 && out->len == 0)
        return sl_error_set(err, SL_EINVAL, "PLAIN BOOLEAN: bit count %zu but empty output",
                            *bit_count);
    dst = out_reserve(out, extra, "PLAIN BOOLEAN", &rc, err);
    if (dst == NULL)
        return rc;
    if (used != 0)
        dst--; /* continue the page's last, partial byte */
    acc = used != 0 ? (uint8_t)(*dst & ((1u << used) - 1)) : 0;
    nbits = used;
    for (size_t i = 0; i < nrows; i++) {
        if (valid != NULL && valid[i] == 0)
            continue;
        acc |= (uint8_t)((values[i] != 0) << nbits);
        if (++nbits == 8) {
            *dst++ = acc;
            acc = 0;
            nbits = 0;
        }
    }
    if (nbits > 0)
        *dst++ = acc;
    out_commit(out, dst);
    *bit_count += count;
    return SL_OK;
}

/* Sum of 4 + length over present rows; SL_EINVAL when offsets decrease. */
static int bytes_total(const uint32_t *offsets, const uint8_t *valid, size_t nrows,
                       size_t *total, const char *what, struct sl_error *err)
{
    size_t sum = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (offsets[i + 1] < offsets[i])
            return sl_error_set(err, SL_EINVAL, "%s: offsets decrease at row %zu", what, i);
        if (valid == NULL || valid[i] != 0)
            sum += 4 + (size_t)(offsets[i + 1] - offsets[i]);
    }
    *total = sum;
    return SL_OK;
}

int sl_parquet_plain_encode_bytes(const uint32_t *offsets, const uint8_t *data,
                                  const uint8_t *valid, size_t nrows, struct sl_buf *out,
                                  struct sl_error *err)
{
    size_t total = 0;
    uint8_t *dst;
    int rc = bytes_total(offsets, valid, nrows, &total, "PLAIN BYTE_ARRAY", err);

    if (rc != SL_OK)
        return rc;
    dst = out_reserve(out, total, "PLAIN BYTE_ARRAY", &rc, err);
    if (dst == NULL)
        return rc;
    for (size_t i = 0; i < nrows; i++) {
        uint32_t len = offsets[i + 1] - offsets[i];
        if (valid != NULL && valid[i] == 0)
            continue;
        store_u32(dst, len);
        memcpy(dst + 4, data + offsets[i], len);
        dst += 4 + (size_t)len;
    }
    out_commit(out, dst);
    return SL_OK;
}

int sl_parquet_plain_encode_views(const struct sl_parquet_byte_view *values, size_t n,
                                  struct sl_buf *out, struct sl_error *err)
{
    size_t total = 0;
    uint8_t *dst;
    int rc;

    for (size_t i = 0; i < n; i++)
        total += 4 + (size_t)values[i].len;
    dst = out_reserve(out, total, "PLAIN BYTE_ARRAY", &rc, err);
    if (dst == NULL)
        return rc;
    for (size_t i = 0; i < n; i++) {
        store_u32(dst, values[i].len);
        if (values[i].len > 0)
            memcpy(dst + 4, values[i].ptr, values[i].len);
        dst += 4 + (size_t)values[i].len;
    }
    out_commit(out, dst);
    return SL_OK;
}

int sl_parquet_plain_decode_fixed(const uint8_t *buf, size_t len, size_t width, size_t n,
                                  void *out, size_t *consumed, struct sl_error *err)
{
    if (width == 0)
        return sl_error_set(err, SL_EINVAL, "PLAIN: value width 0");
    if (n > len / width)
        return malformed(err, "PLAIN: %zu values of %zu bytes need %zu bytes, the page has %zu",
                         n, width, n <= SIZE_MAX / width ? n * width : SIZE_MAX, len);
    if (n > 0)
        memcpy(out, buf, n * width);
    if (consumed != NULL)
        *consumed = n * width;
    return SL_OK;
}

int sl_parquet_plain_decode_bool(const uint8_t *buf, size_t len, size_t n, uint8_t *out,
                                 size_t *consumed, struct sl_error *err)
{
    size_t need = n / 8 + (n % 8 != 0);
    if (need > len)
        return malformed(err, "PLAIN BOOLEAN: %zu values need %zu bytes, the page has %zu", n,
                         need, len);
    for (size_t i = 0; i < n / 8; i++) {
        uint8_t byte = buf[i];
        for (unsigned k = 0; k < 8; k++)
            out[8 * i + k] = (uint8_t)((byte >> k) & 1);
    }
    for (size_t i = n & ~(size_t)7; i < n; i++)
        out[i] = (uint8_t)((buf[i / 8] >> (i % 8)) & 1);
    if (consumed != NULL)
        *consumed = need;
    return SL_OK;
}

int sl_parquet_plain_decode_bytes(const uint8_t *buf, size_t len, size_t n,
                                  struct sl_parquet_byte_view *out, size_t *consumed,
                                  struct sl_error *err)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t vlen;
        if (len - pos < 4)
            return malformed(err,
                             "PLAIN BYTE_ARRAY: value %zu of %zu: length at byte %zu runs past "
                             "the end of the page (%zu bytes)",
                             i, n, pos, len);
        vlen = load_u32(buf + pos);
        pos += 4;
        if (vlen > len - pos)
            return malformed(err,
                             "PLAIN BYTE_ARRAY: value %zu of %zu declares %u bytes at byte %zu, "
                             "only %zu left",
                             i, n, vlen, pos - 4, len - pos);
        out[i].ptr = buf + pos;
        out[i].len = vlen;
        pos += vlen;
    }
    if (consumed != NULL)
        *consumed = pos;
    return SL_OK;
}

/* ================================================================ RLE / bit-packed hybrid */

enum rle_input { RLE_IN_U32, RLE_IN_VALID };

static ALWAYS_INLINE uint32_t rle_load(const void *values, size_t i, enum rle_input kind)
{
    if (kind == RLE_IN_U32)
        return ((const uint32_t *)values)[i];
    return ((const uint8_t *)values)[i] != 0;
}

/* Upper bound of the encoded size of n values (see rle_encode_runs). */
static size_t rle_bound(size_t n, unsigned w)
{
    /* at most n/8 + 1 literal runs plus splits at 504 values (1-byte headers), at most
     * n/8 + 1 repeated runs (5-byte header + 4-byte value), ceil(n/8) + 1 groups of w bytes */
    size_t units = n / 8 + 2;
    return units * ((size_t)w + 11) + 16;
}

/* Writes values[from, to) as bit-packed runs of at most 63 groups; the last group is padded. */
static ALWAYS_INLINE uint8_t *rle_put_literal(const void *values, size_t from, size_t to,
                                              unsigned w, enum rle_input kind, uint8_t *dst)
{
    uint32_t chunk[RLE_MAX_LITERAL];
    while (from < to) {
        size_t take = to - from < RLE_MAX_LITERAL ? to - from : RLE_MAX_LITERAL;
        size_t groups = (take + 7) / 8;
        if (kind == RLE_IN_VALID) { /* width 1: a group of 8 valid bytes is one output byte */
            const uint8_t *valid = (const uint8_t *)values + from;
            *dst++ = (uint8_t)(groups << 1 | 1);
            for (size_t g = 0; g < take / 8; g++)
                *dst++ = gather_bits(nonzero_bytes(valid + 8 * g));
            if (take % 8 != 0) {
                uint8_t last[8] = {0};
                memcpy(last, valid + take / 8 * 8, take % 8);
                *dst++ = gather_bits(nonzero_bytes(last));
            }
            from += take;
            continue;
        }
        for (size_t k = 0; k < take; k++)
            chunk[k] = rle_load(values, from + k, kind);
        for (size_t k = take; k < groups * 8; k++)
            chunk[k] = 0;
        *dst++ = (uint8_t)(groups << 1 | 1);
        pack_groups(chunk, groups, w, dst);
        dst += groups * w;
        from += take;
    }
    return dst;
}

static ALWAYS_INLINE uint8_t *rle_put_repeat(uint32_t value, size_t count, unsigned w,
                                             uint8_t *dst)
{
    unsigned value_bytes = (w + 7) / 8;
    while (count > 0) {
        size_t take = count < RLE_MAX_REPEAT ? count : RLE_MAX_REPEAT;
        dst = write_uleb(dst, (uint64_t)take << 1);
        for (unsigned b = 0; b < value_bytes; b++)
            *dst++ = (uint8_t)(value >> (8 * b));
        count -= take;
    }
    return dst;
}

/*
 * Chooses runs over the whole array: a repeat of at least 8 values (after topping the pending
 * literal values up to a multiple of 8, since only the last bit-packed group may be padded)
 * becomes an RLE run, other values gather into bit-packed runs. A short repeat at the very end
 * becomes an RLE run too when that is smaller: with nothing pending (header + value instead of
 * header + a group), or after whole groups when a group is longer than an RLE run.
 */
static ALWAYS_INLINE uint8_t *rle_encode_runs(const void *values, size_t n, unsigned w,
                                              enum rle_input kind, uint8_t *dst)
{
    const bool short_tail_as_repeat = 1 + (w + 7) / 8 < w;
    size_t lit_start = 0, i = 0;
    while (i < n) {
        uint32_t v = rle_load(values, i, kind);
        size_t j = i + 1, pending, pad;
        if (kind == RLE_IN_VALID) { /* skip 8 equal levels at a time */
            const uint8_t *valid = values;
            uint64_t same = v != 0 ? BYTES_01 : 0;
            while (j + 8 <= n && nonzero_bytes(valid + j) == same)
                j += 8;
        }
        while (j < n && rle_load(values, j, kind) == v)
            j++;
        pending = i - lit_start;
        pad = (8 - pending % 8) % 8;
        if (j - i >= pad + 8 || (j == n && (pending == 0 || (pad == 0 && short_tail_as_repeat)))) {
            i += pad;
            dst = rle_put_literal(values, lit_start, i, w, kind, dst);
            dst = rle_put_repeat(v, j - i, w, dst);
            lit_start = j;
        }
        i = j;
    }
    return rle_put_literal(values, lit_start, n, w, kind, dst);
}

enum rle_framing { RLE_BARE, RLE_LENGTH_PREFIX, RLE_WIDTH_PREFIX };

static ALWAYS_INLINE int rle_encode_framed(const void *values, size_t n, unsigned w,
                                           enum rle_input kind, enum rle_framing framing,
                                           struct sl_buf *out, struct sl_error *err)
{
    uint8_t *start, *dst;
    int rc;

    if (w > 32)
        return sl_error_set(err, SL_EINVAL, "RLE: bit width %u is over 32", w);
    if (kind == RLE_IN_U32 && w < 32) {
        uint32_t all = 0;
        const uint32_t *v = values;
        for (size_t i = 0; i < n; i++)
            all |= v[i];
        if (all >> w != 0)
            return sl_error_set(err, SL_EINVAL, "RLE: a value does not fit in %u bits", w);
    }
    if (n > SIZE_MAX / 8 - 64)
        return sl_error_set(err, SL_EINVAL, "RLE: %zu values is too many", n);
    start = out_reserve(out, rle_bound(n, w) + 5, "RLE", &rc, err);
    if (start == NULL)
        return rc;
    dst = start;
    if (framing == RLE_LENGTH_PREFIX)
        dst += 4;
    else if (framing == RLE_WIDTH_PREFIX)
        *dst++ = (uint8_t)w;
    dst = rle_encode_runs(values, n, w, kind, dst);
    if (framing == RLE_LENGTH_PREFIX) {
        size_t body = (size_t)(dst - start) - 4;
        if (body > UINT32_MAX)
            return sl_error_set(err, SL_EINVAL, "RLE: %zu encoded bytes overflow the length",
                                body);
        store_u32(start, (uint32_t)body);
    }
    out_commit(out, dst);
    return SL_OK;
}

int sl_parquet_rle_encode(const uint32_t *values, size_t n, unsigned bit_width,
                          struct sl_buf *out, struct sl_error *err)
{
    return rle_encode_framed(values, n, bit_width, RLE_IN_U32, RLE_BARE, out, err);
}

int sl_parquet_rle_encode_prefixed(const uint32_t *values, size_t n, unsigned bit_width,
                                   struct sl_buf *out, struct sl_error *err)
{
    return rle_encode_framed(values, n, bit_width, RLE_IN_U32, RLE_LENGTH_PREFIX, out, err);
}

int sl_parquet_rle_encode_indices(const uint32_t *indices, size_t n, unsigned bit_width,
                                  struct sl_buf *out, struct sl_error *err)
{
    return rle_encode_framed(indices, n, bit_width, RLE_IN_U32, RLE_WIDTH_PREFIX, out, err);
}

int sl_parquet_levels_encode_valid(const uint8_t *valid, size_t nrows, bool prefixed,
                                   struct sl_buf *out, struct sl_error *err)
{
    if (valid == NULL)
        return sl_error_set(err, SL_EINVAL, "RLE levels: no valid map");
    if (prefixed)
        return rle_encode_framed(valid, nrows, 1, RLE_IN_VALID, RLE_LENGTH_PREFIX, out, err);
    return rle_encode_framed(valid, nrows, 1, RLE_IN_VALID, RLE_BARE, out, err);
}

enum rle_output { RLE_OUT_U32, RLE_OUT_U8 };

/* Decodes exactly n values; `what` names the stream in messages. */
static ALWAYS_INLINE int rle_decode_runs(const uint8_t *buf, size_t len, unsigned w, void *out,
                                         size_t n, enum rle_output kind, const char *what,
                                         struct sl_error *err)
{
    const size_t value_bytes = (w + 7) / 8;
    size_t pos = 0, done = 0;

    while (done < n) {
        size_t header_at = pos, take;
        uint64_t header = 0;
        enum uleb_status st = read_uleb_status(buf, len, &pos, &header);
        if (st != ULEB_OK || header > UINT32_MAX)
            return malformed(err, "%s: run header at byte %zu is %s (%zu of %zu values decoded)",
                             what, header_at, st == ULEB_TRUNCATED ? "truncated" : "too long",
                             done, n);
        if (header & 1) {
            uint64_t groups = header >> 1, count = groups * 8, run_bytes = groups * w;
            size_t avail = len - pos, need;
            if (groups == 0)
                return malformed(err, "%s: bit-packed run of 0 values at byte %zu", what,
                                 header_at);
            take = count < n - done ? (size_t)count : n - done;
            need = take / 8 * w + (take % 8 * w + 7) / 8;
            if (need > avail)
                return malformed(err,
                                 "%s: bit-packed run at byte %zu needs %zu bytes for %zu values, "
                                 "%zu left",
                                 what, header_at, need, take, avail);
            if (kind == RLE_OUT_U32) {
                unpack_values(buf + pos, avail, w, take, (uint32_t *)out + done);
            } else if (w == 1) { /* levels and booleans: a byte of input is 8 output bytes */
                uint8_t *dst = (uint8_t *)out + done;
                const uint8_t *src = buf + pos;
                for (size_t k = 0; k < take / 8; k++)
                    store_u64(dst + 8 * k, spread_bits(src[k]));
                for (size_t k = take / 8 * 8; k < take; k++)
                    dst[k] = (uint8_t)((src[k / 8] >> (k % 8)) & 1);
            } else {
                /* through a small u32 buffer, in whole groups so offsets stay byte-aligned */
                uint32_t tmp[512];
                uint8_t *dst = (uint8_t *)out + done;
                for (size_t at = 0; at < take; at += 512) {
                    size_t part = take - at < 512 ? take - at : 512;
                    size_t skip = at / 8 * w;
                    unpack_values(buf + pos + skip, avail - skip, w, part, tmp);
                    for (size_t k = 0; k < part; k++)
                        dst[at + k] = (uint8_t)tmp[k];
                }
            }
            done += take;
            pos += run_bytes < avail ? (size_t)run_bytes : avail;
        } else {
            uint64_t count = header >> 1;
            uint32_t value = 0;
            if (count == 0)
                return malformed(err, "%s: repeated run of 0 values at byte %zu", what,
                                 header_at);
            if (value_bytes > len - pos)
                return malformed(err, "%s: repeated run at byte %zu: value truncated", what,
                                 header_at);
            for (size_t b = 0; b < value_bytes; b++)
                value |= (uint32_t)buf[pos + b] << (8 * b);
            if (w < 32 && value >> w != 0)
                return malformed(err, "%s: repeated value %u at byte %zu is wider than %u bits",
                                 what, value, header_at, w);
            pos += value_bytes;
            take = count < n - done ? (size_t)count : n - done;
            if (kind == RLE_OUT_U32) {
                uint32_t *dst = (uint32_t *)out + done;
                for (size_t k = 0; k < take; k++)
                    dst[k] = value;
            } else {
                memset((uint8_t *)out + done, (int)value, take);
            }
            done += take;
        }
    }
    return SL_OK;
}

int sl_parquet_rle_decode(const uint8_t *buf, size_t len, unsigned bit_width, uint32_t *out,
                          size_t n, struct sl_error *err)
{
    if (bit_width > 32)
        return malformed(err, "RLE: bit width %u is over 32", bit_width);
    return rle_decode_runs(buf, len, bit_width, out, n, RLE_OUT_U32, "RLE", err);
}

int sl_parquet_rle_decode_u8(const uint8_t *buf, size_t len, unsigned bit_width, uint8_t *out,
                             size_t n, struct sl_error *err)
{
    if (bit_width > 8)
        return malformed(err, "RLE: bit width %u is over 8 for byte values", bit_width);
    return rle_decode_runs(buf, len, bit_width, out, n, RLE_OUT_U8, "RLE", err);
}

int sl_parquet_rle_decode_prefixed_u8(const uint8_t *buf, size_t len, unsigned bit_width,
                                      uint8_t *out, size_t n, size_t *consumed,
                                      struct sl_error *err)
{
    uint32_t body;
    int rc;

    if (bit_width > 8)
        return malformed(err, "RLE: bit width %u is over 8 for byte values", bit_width);
    if (len < 4)
        return malformed(err, "RLE: 4-byte length prefix truncated (%zu bytes)", len);
    body = load_u32(buf);
    if (body > len - 4)
        return malformed(err, "RLE: length prefix says %u bytes, only %zu follow", body,
                         len - 4);
    rc = rle_decode_runs(buf + 4, body, bit_width, out, n, RLE_OUT_U8, "RLE", err);
    if (rc == SL_OK && consumed != NULL)
        *consumed = 4 + (size_t)body;
    return rc;
}

int sl_parquet_dict_indices_decode(const uint8_t *buf, size_t len, uint32_t *out, size_t n,
                                   uint32_t dict_count, struct sl_error *err)
{
    const char *what = "RLE_DICTIONARY indices";
    uint32_t max = 0;
    unsigned w;
    int rc;

    if (n == 0)
        return SL_OK;
    if (len < 1)
        return malformed(err, "%s: bit width byte missing", what);
    w = buf[0];
    if (w > 32)
        return malformed(err, "%s: bit width %u is over 32", what, w);
    rc = rle_decode_runs(buf + 1, len - 1, w, out, n, RLE_OUT_U32, what, err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        max = out[i] > max ? out[i] : max;
    if (max >= dict_count) {
        for (size_t i = 0; i < n; i++)
            if (out[i] >= dict_count)
                return malformed(err, "%s: index %u (value %zu) is past the %u dictionary entries",
                                 what, out[i], i, dict_count);
    }
    return SL_OK;
}

/* ================================================================ dictionary (writer) */

struct sl_parquet_dict_slot {
    uint64_t key;    /* the value's bits (width 1..8) or its hash */
    uint32_t index;  /* SLOT_EMPTY when free */
    uint32_t offset; /* where the value's PLAIN form starts in dict->page */
};

#define SLOT_EMPTY UINT32_MAX
#define DICT_INITIAL_SLOTS 256

static const uint64_t HASH_K0 = UINT64_C(0xa0761d6478bd642f);
static const uint64_t HASH_K1 = UINT64_C(0xe7037ed1a0b428db);
static const uint64_t HASH_K2 = UINT64_C(0x8ebc6af09c88c6e3);

/* 64x64 -> 128-bit multiply folded to 64 bits: the mixing step of the hashes below. */
static ALWAYS_INLINE uint64_t mul_fold(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t alo = (uint32_t)a, ahi = a >> 32, blo = (uint32_t)b, bhi = b >> 32;
    uint64_t lo = alo * blo, mid1 = alo * bhi, mid2 = ahi * blo, hi = ahi * bhi;
    uint64_t cross = (lo >> 32) + (uint32_t)mid1 + (uint32_t)mid2;
    uint64_t low = (cross << 32) | (uint32_t)lo;
    uint64_t high = hi + (mid1 >> 32) + (mid2 >> 32) + (cross >> 32);
    return low ^ high;
#endif
}

static ALWAYS_INLINE uint64_t hash_key(uint64_t key, uint64_t seed)
{
    return mul_fold(key ^ seed, HASH_K1);
}

/*
 * Hash of a byte string: 16 bytes per multiply in the body, the head and tail read as
 * overlapping words so every length needs at most two reads past the loop.
 */
static ALWAYS_INLINE uint64_t hash_bytes(const uint8_t *p, size_t len, uint64_t seed)
{
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 4) {
            size_t mid = (len >> 3) << 2;
            a = (uint64_t)load_u32(p) << 32 | load_u32(p + mid);
            b = (uint64_t)load_u32(p + len - 4) << 32 | load_u32(p + len - 4 - mid);
        } else if (len > 0) {
            a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t rest = len;
        while (rest > 16) {
            seed = mul_fold(load_u64(p) ^ HASH_K1, load_u64(p + 8) ^ seed);
            p += 16;
            rest -= 16;
        }
        a = load_u64(p + rest - 16);
        b = load_u64(p + rest - 8);
    }
    return mul_fold(HASH_K1 ^ len, mul_fold(a ^ HASH_K1, b ^ seed));
}

void sl_parquet_dict_init(struct sl_parquet_dict *dict, size_t width, size_t max_bytes)
{
    dict->width = width;
    dict->max_bytes = max_bytes < DICT_MAX_BYTES ? max_bytes : DICT_MAX_BYTES;
    dict->count = 0;
    sl_buf_init(&dict->page, dict->max_bytes);
    dict->slots = NULL;
    dict->slot_mask = 0;
    dict->shift = 64;
    /* the seed only has to be unknown to whoever chooses the values: mix the dictionary's
     * address with the clock (no global state) */
    dict->seed = mul_fold((uint64_t)(uintptr_t)dict ^ HASH_K0,
                          (uint64_t)sl_clock_monotonic_ms() ^ HASH_K2);
}

void sl_parquet_dict_reset(struct sl_parquet_dict *dict)
{
    dict->count = 0;
    sl_buf_reset(&dict->page);
    if (dict->slots != NULL)
        memset(dict->slots, 0xff, (dict->slot_mask + 1) * sizeof(*dict->slots));
}

void sl_parquet_dict_free(struct sl_parquet_dict *dict)
{
    if (dict == NULL)
        return;
    sl_buf_free(&dict->page);
    sl_free(dict->slots);
    dict->slots = NULL;
    dict->slot_mask = 0;
    dict->count = 0;
}

/*
 * A value of 1..7 bytes as its little-endian number (what memcpy into a zeroed uint64_t
 * gives) without a variable-length copy: 5..7 bytes are two overlapping 4-byte loads
 * whose shared bytes coincide.
 */
static ALWAYS_INLINE uint64_t load_key_n(const uint8_t *p, size_t width)
{
    uint64_t key;
    if (width >= 4)
        return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + width - 4) << (8 * (width - 4));
    key = p[0];
    if (width > 1)
        key |= (uint64_t)p[1] << 8;
    if (width > 2)
        key |= (uint64_t)p[2] << 16;
    return key;
}

static bool dict_inline_keys(const struct sl_parquet_dict *dict)
{
    return dict->width >= 1 && dict->width <= 8;
}

/* Doubles the slot table (or creates it) and re-inserts every entry. */
static int dict_grow(struct sl_parquet_dict *dict, struct sl_error *err)
{
    size_t old_cap = dict->slots != NULL ? dict->slot_mask + 1 : 0;
    size_t cap = old_cap == 0 ? DICT_INITIAL_SLOTS : old_cap * 2;
    unsigned shift = 64 - (sl_parquet_bit_width(cap) - 1);
    bool inline_keys = dict_inline_keys(dict);
    struct sl_parquet_dict_slot *slots;

    if (cap > SIZE_MAX / sizeof(*slots))
        return sl_error_set(err, SL_ENOMEM, "dictionary: slot table too large");
    slots = sl_malloc(cap * sizeof(*slots));
    if (slots == NULL)
        return sl_error_set(err, SL_ENOMEM, "dictionary: out of memory for %zu slots", cap);
    memset(slots, 0xff, cap * sizeof(*slots));
    for (size_t i = 0; i < old_cap; i++) {
        const struct sl_parquet_dict_slot *old = &dict->slots[i];
        size_t s;
        if (old->index == SLOT_EMPTY)
            continue;
        s = (size_t)((inline_keys ? hash_key(old->key, dict->seed) : old->key) >> shift);
        while (slots[s].index != SLOT_EMPTY)
            s = (s + 1) & (cap - 1);
        slots[s] = *old;
    }
    sl_free(dict->slots);
    dict->slots = slots;
    dict->slot_mask = cap - 1;
    dict->shift = shift;
    return SL_OK;
}

enum dict_mode { DICT_KEY4, DICT_KEY8, DICT_KEYN, DICT_HASHED_FIXED, DICT_BYTES };

/*
 * The put loop, specialised per mode after inlining. For each present row: compute the key,
 * probe; on a miss check the size limit, grow the table at half load, append the value's
 * PLAIN form to the page and claim the slot.
 */
static ALWAYS_INLINE int dict_put(struct sl_parquet_dict *dict, enum dict_mode mode,
                                  const uint8_t *fixed, const uint32_t *offsets,
                                  const uint8_t *data, const uint8_t *valid, size_t nrows,
                                  uint32_t *indices, size_t *nindices, size_t *rows_done,
                                  struct sl_error *err)
{
    const size_t width = dict->width;
    size_t k = 0, row;
    int rc = SL_OK;

    if (dict->slots == NULL && (rc = dict_grow(dict, err)) != SL_OK)
        goto done_early;
    for (row = 0; row < nrows; row++) {
        const uint8_t *value;
        size_t vlen, s, entry_bytes;
        uint64_t key, hash;
        struct sl_parquet_dict_slot *slot;

        if (valid != NULL && valid[row] == 0)
            continue;
        if (mode == DICT_BYTES) {
            value = data + offsets[row];
            vlen = offsets[row + 1] - offsets[row];
            key = hash = hash_bytes(value, vlen, dict->seed);
            entry_bytes = 4 + vlen;
        } else {
            value = fixed + row * width;
            vlen = width;
            entry_bytes = width;
            if (mode == DICT_KEY4) {
                key = load_u32(value);
            } else if (mode == DICT_KEY8) {
                key = load_u64(value);
            } else if (mode == DICT_KEYN) {
                key = load_key_n(value, width);
            } else {
                key = hash_bytes(value, width, dict->seed);
            }
            hash = mode == DICT_HASHED_FIXED ? key : hash_key(key, dict->seed);
        }
        s = (size_t)(hash >> dict->shift);
        for (;;) {
            slot = &dict->slots[s];
            if (slot->index == SLOT_EMPTY)
                break;
            if (slot->key == key) {
                const uint8_t *stored = (const uint8_t *)dict->page.data + slot->offset;
                if (mode == DICT_KEY4 || mode == DICT_KEY8 || mode == DICT_KEYN)
                    goto found;
                if (mode == DICT_HASHED_FIXED && memcmp(stored, value, width) == 0)
                    goto found;
                if (mode == DICT_BYTES && load_u32(stored) == vlen &&
                    memcmp(stored + 4, value, vlen) == 0)
                    goto found;
            }
            s = (s + 1) & dict->slot_mask;
        }
        /* a new value */
        if (entry_bytes > dict->max_bytes - dict->page.len) {
            rc = sl_error_set(err, SL_ELIMIT,
                              "dictionary: full at %u values (%zu bytes, limit %zu)",
                              dict->count, dict->page.len, dict->max_bytes);
            break;
        }
        if ((size_t)(dict->count + 1) * 2 > dict->slot_mask + 1) {
            if ((rc = dict_grow(dict, err)) != SL_OK)
                break;
            s = (size_t)(hash >> dict->shift);
            while (dict->slots[s].index != SLOT_EMPTY)
                s = (s + 1) & dict->slot_mask;
            slot = &dict->slots[s];
        }
        slot->key = key;
        slot->offset = (uint32_t)dict->page.len;
        if (mode == DICT_BYTES) {
            uint8_t prefix[4];
            store_u32(prefix, (uint32_t)vlen);
            rc = sl_buf_append(&dict->page, prefix, 4);
            if (rc == SL_OK)
                rc = sl_buf_append(&dict->page, value, vlen);
        } else {
            rc = sl_buf_append(&dict->page, value, width);
        }
        if (rc != SL_OK) {
            /* the slot must not point at a value that is not in the page */
            dict->page.len = slot->offset;
            rc = sl_error_set(err, SL_ENOMEM, "dictionary: out of memory growing the page");
            break;
        }
        slot->index = dict->count++;
    found:
        indices[k++] = slot->index;
    }
    *rows_done = row;
    *nindices = k;
    return rc;
done_early:
    *rows_done = 0;
    *nindices = 0;
    return rc;
}

int sl_parquet_dict_put_fixed(struct sl_parquet_dict *dict, const void *values,
                              const uint8_t *valid, size_t nrows, uint32_t *indices,
                              size_t *nindices, size_t *rows_done, struct sl_error *err)
{
    const uint8_t *fixed = values;
    if (dict->width == 0) {
        *nindices = *rows_done = 0;
        return sl_error_set(err, SL_EINVAL, "dictionary: fixed values put into a BYTE_ARRAY one");
    }
    if (dict->width == 4)
        return dict_put(dict, DICT_KEY4, fixed, NULL, NULL, valid, nrows, indices, nindices,
                        rows_done, err);
    if (dict->width == 8)
        return dict_put(dict, DICT_KEY8, fixed, NULL, NULL, valid, nrows, indices, nindices,
                        rows_done, err);
    if (dict->width < 8)
        return dict_put(dict, DICT_KEYN, fixed, NULL, NULL, valid, nrows, indices, nindices,
                        rows_done, err);
    return dict_put(dict, DICT_HASHED_FIXED, fixed, NULL, NULL, valid, nrows, indices, nindices,
                    rows_done, err);
}

int sl_parquet_dict_put_bytes(struct sl_parquet_dict *dict, const uint32_t *offsets,
                              const uint8_t *data, const uint8_t *valid, size_t nrows,
                              uint32_t *indices, size_t *nindices, size_t *rows_done,
                              struct sl_error *err)
{
    if (dict->width != 0) {
        *nindices = *rows_done = 0;
        return sl_error_set(err, SL_EINVAL, "dictionary: BYTE_ARRAY values put into a fixed one");
    }
    return dict_put(dict, DICT_BYTES, NULL, offsets, data, valid, nrows, indices, nindices,
                    rows_done, err);
}

const uint8_t *sl_parquet_dict_page(const struct sl_parquet_dict *dict, size_t *len)
{
    *len = dict->page.len;
    return dict->page.data != NULL ? (const uint8_t *)dict->page.data : (const uint8_t *)"";
}

unsigned sl_parquet_dict_index_bit_width(const struct sl_parquet_dict *dict)
{
    return dict->count <= 1 ? 1 : sl_parquet_bit_width(dict->count - 1);
}

/* ================================================================ dictionary (reader) */

void sl_parquet_gather_fixed(const void *dict, size_t width, const uint32_t *indices, size_t n,
                             void *out)
{
    const uint8_t *src = dict;
    uint8_t *dst = out;
    if (width == 4) {
        for (size_t i = 0; i < n; i++)
            memcpy(dst + 4 * i, src + 4 * (size_t)indices[i], 4);
    } else if (width == 8) {
        for (size_t i = 0; i < n; i++)
            memcpy(dst + 8 * i, src + 8 * (size_t)indices[i], 8);
    } else {
        for (size_t i = 0; i < n; i++)
            memcpy(dst + width * i, src + width * indices[i], width);
    }
}

void sl_parquet_gather_views(const struct sl_parquet_byte_view *dict, const uint32_t *indices,
                             size_t n, struct sl_parquet_byte_view *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = dict[indices[i]];
}

void sl_parquet_spread(void *values, size_t width, const uint8_t *valid, size_t nrows)
{
    uint8_t *base = values;
    size_t j;

    if (valid == NULL)
        return;
    j = sl_parquet_count_valid(valid, nrows);
    for (size_t i = nrows; i-- > 0;) {
        if (valid[i] != 0) {
            j--;
            if (j != i)
                memcpy(base + i * width, base + j * width, width); /* j < i: no overlap */
        } else {
            memset(base + i * width, 0, width);
        }
    }
}

/* ================================================================ DELTA_BINARY_PACKED */

/* Where decoded values go: typed arrays, or BYTE_ARRAY lengths (checked non-negative). */
enum delta_sink { SINK_I32, SINK_I64, SINK_VIEW_LEN, SINK_U32_LEN };

/* Unpacks 32 values of w bits (0..64) from exactly 4 * w bytes at src. */
static void unpack32_wide(const uint8_t *src, unsigned w, uint64_t *dst)
{
    uint8_t local[4 * 64 + 16];
    const uint64_t mask = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;

    if (w == 0) {
        memset(dst, 0, 32 * sizeof(*dst));
        return;
    }
    memcpy(local, src, 4 * (size_t)w);
    memset(local + 4 * w, 0, 16);
    for (unsigned k = 0; k < 32; k++) {
        unsigned bit = k * w, shift = bit % 8;
        const uint8_t *p = local + bit / 8;
        uint64_t v = load_u64(p) >> shift;
        if (shift != 0 && shift + w > 64)
            v |= (uint64_t)p[8] << (64 - shift);
        dst[k] = v & mask;
    }
}

static ALWAYS_INLINE int delta_store(enum delta_sink sink, void *out, size_t at,
                                     const uint64_t *values, size_t count, const char *what,
                                     struct sl_error *err)
{
    switch (sink) {
    case SINK_I32:
        for (size_t k = 0; k < count; k++)
            ((int32_t *)out)[at + k] = (int32_t)(uint32_t)values[k];
        break;
    case SINK_I64:
        for (size_t k = 0; k < count; k++)
            ((int64_t *)out)[at + k] = (int64_t)values[k];
        break;
    case SINK_VIEW_LEN:
    case SINK_U32_LEN:
        for (size_t k = 0; k < count; k++) {
            int32_t len = (int32_t)(uint32_t)values[k];
            if (len < 0)
                return malformed(err, "%s: value %zu is a negative length (%d)", what, at + k,
                                 len);
            if (sink == SINK_VIEW_LEN)
                ((struct sl_parquet_byte_view *)out)[at + k].len = (uint32_t)len;
            else
                ((uint32_t *)out)[at + k] = (uint32_t)len;
        }
        break;
    }
    return SL_OK;
}

/*
 * Decodes a DELTA_BINARY_PACKED stream of exactly n values of type_bits (32 or 64) into the
 * sink. All arithmetic is modulo 2^64; 32-bit sinks keep the low half, which equals the
 * modulo-2^32 arithmetic the spec asks for INT32.
 */
static int delta_decode(const uint8_t *buf, size_t len, unsigned type_bits, enum delta_sink sink,
                        void *out, size_t n, size_t *consumed, const char *what,
                        struct sl_error *err)
{
    uint64_t block_size, miniblocks, total, first, per_mini, prev;
    uint64_t chunk[32];
    size_t pos = 0, done;
    int rc;

    if (!read_uleb(buf, len, &pos, &block_size) || !read_uleb(buf, len, &pos, &miniblocks) ||
        !read_uleb(buf, len, &pos, &total) || !read_uleb(buf, len, &pos, &first))
        return malformed(err, "%s: header truncated or malformed (%zu bytes)", what, len);
    if (block_size == 0 || block_size % 128 != 0)
        return malformed(err, "%s: block size %llu is not a positive multiple of 128", what,
                         (unsigned long long)block_size);
    if (miniblocks == 0 || block_size % miniblocks != 0 || block_size / miniblocks % 32 != 0)
        return malformed(err, "%s: %llu miniblocks do not split a block of %llu into multiples "
                              "of 32 values",
                         what, (unsigned long long)miniblocks, (unsigned long long)block_size);
    if (total != n)
        return malformed(err, "%s: header declares %llu values, the page has %zu", what,
                         (unsigned long long)total, n);
    per_mini = block_size / miniblocks;
    prev = zigzag_decode(first);
    if (type_bits == 32 && (int64_t)prev != (int64_t)(int32_t)(uint32_t)prev)
        return malformed(err, "%s: first value %lld is out of the INT32 range", what,
                         (long long)(int64_t)prev);
    if (n > 0 && (rc = delta_store(sink, out, 0, &prev, 1, what, err)) != SL_OK)
        return rc;
    done = n > 0 ? 1 : 0;
    while (done < n) {
        size_t block_at = pos;
        uint64_t min_delta;
        const uint8_t *widths;
        if (!read_uleb(buf, len, &pos, &min_delta))
            return malformed(err, "%s: min delta of the block at byte %zu is truncated", what,
                             block_at);
        min_delta = zigzag_decode(min_delta);
        if (miniblocks > len - pos)
            return malformed(err, "%s: bit widths of the block at byte %zu are truncated", what,
                             block_at);
        widths = buf + pos;
        pos += (size_t)miniblocks;
        for (uint64_t m = 0; m < miniblocks && done < n; m++) {
            unsigned w = widths[m];
            size_t in_mini, mini_bytes;
            if (w > type_bits)
                return malformed(err, "%s: miniblock bit width %u is over %u", what, w,
                                 type_bits);
            /* per_mini is a multiple of 32, so the miniblock is per_mini / 8 * w bytes */
            if (w > 0 && per_mini / 8 > (len - pos) / w)
                return malformed(err, "%s: miniblock at byte %zu (%llu values of %u bits) is "
                                      "truncated",
                                 what, pos, (unsigned long long)per_mini, w);
            mini_bytes = (size_t)(per_mini / 8) * w;
            in_mini = per_mini < n - done ? (size_t)per_mini : n - done;
            for (size_t at = 0; at < in_mini; at += 32) {
                size_t part = in_mini - at < 32 ? in_mini - at : 32;
                unpack32_wide(buf + pos + at / 8 * w, w, chunk);
                for (size_t k = 0; k < part; k++) {
                    prev += min_delta + chunk[k];
                    chunk[k] = prev;
                }
                if ((rc = delta_store(sink, out, done + at, chunk, part, what, err)) != SL_OK)
                    return rc;
            }
            pos += mini_bytes;
            done += in_mini;
        }
    }
    if (consumed != NULL)
        *consumed = pos;
    return SL_OK;
}

int sl_parquet_delta_decode_int32(const uint8_t *buf, size_t len, int32_t *out, size_t n,
                                  size_t *consumed, struct sl_error *err)
{
    return delta_decode(buf, len, 32, SINK_I32, out, n, consumed, "DELTA_BINARY_PACKED", err);
}

int sl_parquet_delta_decode_int64(const uint8_t *buf, size_t len, int64_t *out, size_t n,
                                  size_t *consumed, struct sl_error *err)
{
    return delta_decode(buf, len, 64, SINK_I64, out, n, consumed, "DELTA_BINARY_PACKED", err);
}

/*
 * The encoder's input: present values in row order, as numbers (INT32/INT64) or derived from
 * BYTE_ARRAY rows (lengths, or prefix / suffix lengths against the previous present row).
 */
enum delta_source_kind { SRC_I32, SRC_I64, SRC_LENGTH, SRC_PREFIX, SRC_SUFFIX };

struct delta_source {
    enum delta_source_kind kind;
    const void *values;
    const uint32_t *offsets;
    const uint8_t *data;
    const uint8_t *valid;
    size_t row;      /* next row to look at */
    size_t prev_row; /* previous present row (SRC_PREFIX, SRC_SUFFIX), SIZE_MAX = none */
};

static size_t common_prefix(const uint32_t *offsets, const uint8_t *data, size_t a, size_t b)
{
    const uint8_t *pa = data + offsets[a], *pb = data + offsets[b];
    size_t la = offsets[a + 1] - offsets[a], lb = offsets[b + 1] - offsets[b];
    size_t max = la < lb ? la : lb, i = 0;
    while (i < max && pa[i] == pb[i])
        i++;
    return i;
}

/* The next present value; the caller asks for exactly as many as there are. */
static uint64_t source_next(struct delta_source *src)
{
    size_t row = src->row, prefix;
    while (src->valid != NULL && src->valid[row] == 0)
        row++;
    src->row = row + 1;
    switch (src->kind) {
    case SRC_I32:
        return (uint64_t)(int64_t)((const int32_t *)src->values)[row];
    case SRC_I64:
        return (uint64_t)((const int64_t *)src->values)[row];
    case SRC_LENGTH:
        return src->offsets[row + 1] - src->offsets[row];
    case SRC_PREFIX:
    case SRC_SUFFIX:
        prefix = src->prev_row == SIZE_MAX
                     ? 0
                     : common_prefix(src->offsets, src->data, src->prev_row, row);
        src->prev_row = row;
        if (src->kind == SRC_PREFIX)
            return prefix;
        return src->offsets[row + 1] - src->offsets[row] - prefix;
    }
    return 0;
}

/* Blocks of 128 values for 32-bit types and 256 for 64-bit ones, 4 miniblocks each: the
 * layout Arrow writes (parquet-mr uses 128 for both); any valid layout reads the same. */
#define DELTA_MAX_BLOCK 256
#define DELTA_MINIBLOCKS 4

static size_t delta_block_size(unsigned type_bits)
{
    return type_bits == 32 ? 128 : 256;
}

/* Appends value (w bits) to a little-endian bit stream held in acc/nbits, flushing 8 bytes. */
static ALWAYS_INLINE void put_bits(uint8_t **dst, uint64_t *acc, unsigned *nbits, uint64_t value,
                                   unsigned w)
{
    if (w == 0)
        return;
    *acc |= value << *nbits;
    if (*nbits + w >= 64) {
        unsigned used = 64 - *nbits;
        store_u64(*dst, *acc);
        *dst += 8;
        *acc = used < 64 ? value >> used : 0;
        *nbits = *nbits + w - 64;
    } else {
        *nbits += w;
    }
}

/* Writes one block of `count` deltas (1..block size) in type_bits arithmetic. */
static uint8_t *delta_put_block(uint8_t *dst, const uint64_t *deltas, size_t count,
                                unsigned type_bits)
{
    const size_t per_mini = delta_block_size(type_bits) / DELTA_MINIBLOCKS;
    int64_t min = INT64_MAX;
    uint8_t *widths;
    for (size_t k = 0; k < count; k++) {
        int64_t d = type_bits == 32 ? (int64_t)(int32_t)(uint32_t)deltas[k] : (int64_t)deltas[k];
        min = d < min ? d : min;
    }
    dst = write_uleb(dst, zigzag_encode(min));
    widths = dst;
    dst += DELTA_MINIBLOCKS;
    for (size_t m = 0; m < DELTA_MINIBLOCKS; m++) {
        size_t from = m * per_mini, to = from + per_mini;
        uint64_t all = 0, acc = 0;
        unsigned w, nbits = 0;
        if (from >= count) {
            widths[m] = 0; /* unneeded miniblock: width byte only, no body */
            continue;
        }
        to = to < count ? to : count;
        for (size_t k = from; k < to; k++) {
            uint64_t v = deltas[k] - (uint64_t)min;
            all |= type_bits == 32 ? (uint32_t)v : v;
        }
        w = sl_parquet_bit_width(all);
        widths[m] = (uint8_t)w;
        for (size_t k = from; k < from + per_mini; k++) {
            uint64_t v = 0;
            if (k < to) {
                v = deltas[k] - (uint64_t)min;
                v = type_bits == 32 ? (uint32_t)v : v;
            }
            put_bits(&dst, &acc, &nbits, v, w);
        }
        for (; nbits > 0; nbits -= 8) { /* a multiple of 32 values: whole bytes */
            *dst++ = (uint8_t)acc;
            acc >>= 8;
        }
    }
    return dst;
}

/* Encodes `count` values drawn from src as DELTA_BINARY_PACKED into dst (room reserved). */
static uint8_t *delta_encode_stream(uint8_t *dst, struct delta_source *src, size_t count,
                                    unsigned type_bits)
{
    const size_t block = delta_block_size(type_bits);
    uint64_t deltas[DELTA_MAX_BLOCK], prev;
    size_t in_block = 0;

    dst = write_uleb(dst, block);
    dst = write_uleb(dst, DELTA_MINIBLOCKS);
    dst = write_uleb(dst, count);
    if (count == 0)
        return write_uleb(dst, 0);
    prev = source_next(src);
    dst = write_uleb(dst, zigzag_encode((int64_t)prev));
    for (size_t i = 1; i < count; i++) {
        uint64_t v = source_next(src);
        deltas[in_block++] = v - prev;
        prev = v;
        if (in_block == block) {
            dst = delta_put_block(dst, deltas, in_block, type_bits);
            in_block = 0;
        }
    }
    if (in_block > 0)
        dst = delta_put_block(dst, deltas, in_block, type_bits);
    return dst;
}

/* Worst case of delta_encode_stream: header, then per block of b values 10 + 4 + 8b bytes. */
static size_t delta_bound(size_t count, unsigned type_bits)
{
    size_t block = delta_block_size(type_bits);
    return (count / block + 1) * (10 + DELTA_MINIBLOCKS + block * 8) + 48;
}

static int delta_encode(struct delta_source *src, size_t count, unsigned type_bits,
                        struct sl_buf *out, const char *what, struct sl_error *err)
{
    uint8_t *dst;
    int rc;

    if (count > SIZE_MAX / 16)
        return sl_error_set(err, SL_EINVAL, "%s: %zu values is too many", what, count);
    dst = out_reserve(out, delta_bound(count, type_bits), what, &rc, err);
    if (dst == NULL)
        return rc;
    dst = delta_encode_stream(dst, src, count, type_bits);
    out_commit(out, dst);
    return SL_OK;
}

int sl_parquet_delta_encode_int32(const int32_t *values, const uint8_t *valid, size_t nrows,
                                  struct sl_buf *out, struct sl_error *err)
{
    struct delta_source src = {SRC_I32, values, NULL, NULL, valid, 0, SIZE_MAX};
    return delta_encode(&src, sl_parquet_count_valid(valid, nrows), 32, out,
                        "DELTA_BINARY_PACKED", err);
}

int sl_parquet_delta_encode_int64(const int64_t *values, const uint8_t *valid, size_t nrows,
                                  struct sl_buf *out, struct sl_error *err)
{
    struct delta_source src = {SRC_I64, values, NULL, NULL, valid, 0, SIZE_MAX};
    return delta_encode(&src, sl_parquet_count_valid(valid, nrows), 64, out,
                        "DELTA_BINARY_PACKED", err);
}

/* ================================================================ DELTA_LENGTH_BYTE_ARRAY */

int sl_parquet_delta_length_decode(const uint8_t *buf, size_t len,
                                   struct sl_parquet_byte_view *out, size_t n, size_t *consumed,
                                   struct sl_error *err)
{
    size_t pos;
    int rc = delta_decode(buf, len, 32, SINK_VIEW_LEN, out, n, &pos,
                          "DELTA_LENGTH_BYTE_ARRAY lengths", err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (out[i].len > len - pos)
            return malformed(err,
                             "DELTA_LENGTH_BYTE_ARRAY: value %zu of %zu needs %u bytes at byte "
                             "%zu, only %zu left",
                             i, n, out[i].len, pos, len - pos);
        out[i].ptr = buf + pos;
        pos += out[i].len;
    }
    if (consumed != NULL)
        *consumed = pos;
    return SL_OK;
}

/* Appends the bytes of the present rows, or of their suffixes after `skip_prefix`. */
static int put_row_bytes(const uint32_t *offsets, const uint8_t *data, const uint8_t *valid,
                         size_t nrows, bool suffixes, struct sl_buf *out, const char *what,
                         struct sl_error *err)
{
    size_t total = 0, prev = SIZE_MAX;
    uint8_t *dst;
    int rc;

    for (size_t i = 0; i < nrows; i++)
        if (valid == NULL || valid[i] != 0)
            total += offsets[i + 1] - offsets[i];
    dst = out_reserve(out, total, what, &rc, err);
    if (dst == NULL)
        return rc;
    for (size_t i = 0; i < nrows; i++) {
        size_t skip = 0, vlen = offsets[i + 1] - offsets[i];
        if (valid != NULL && valid[i] == 0)
            continue;
        if (suffixes && prev != SIZE_MAX)
            skip = common_prefix(offsets, data, prev, i);
        prev = i;
        memcpy(dst, data + offsets[i] + skip, vlen - skip);
        dst += vlen - skip;
    }
    out_commit(out, dst);
    return SL_OK;
}

int sl_parquet_delta_length_encode(const uint32_t *offsets, const uint8_t *data,
                                   const uint8_t *valid, size_t nrows, struct sl_buf *out,
                                   struct sl_error *err)
{
    const char *what = "DELTA_LENGTH_BYTE_ARRAY";
    struct delta_source src = {SRC_LENGTH, NULL, offsets, data, valid, 0, SIZE_MAX};
    size_t total;
    int rc = bytes_total(offsets, valid, nrows, &total, what, err);

    if (rc == SL_OK)
        rc = delta_encode(&src, sl_parquet_count_valid(valid, nrows), 32, out, what, err);
    if (rc == SL_OK)
        rc = put_row_bytes(offsets, data, valid, nrows, false, out, what, err);
    return rc;
}

/* ================================================================ DELTA_BYTE_ARRAY */

int sl_parquet_delta_bytes_decode(const uint8_t *buf, size_t len,
                                  struct sl_parquet_byte_view *out, size_t n,
                                  struct sl_buf *values, struct sl_error *err)
{
    const char *what = "DELTA_BYTE_ARRAY";
    const uint8_t *suffix_data, *prev_value = NULL;
    size_t pos, used, lengths_bytes, total = 0, suffix_total = 0, prev_len = 0;
    uint8_t *dst;
    int rc;

    rc = delta_decode(buf, len, 32, SINK_VIEW_LEN, out, n, &pos,
                      "DELTA_BYTE_ARRAY prefix lengths", err);
    if (rc != SL_OK)
        return rc;
    /* the suffix lengths go to the front of `values`, the rebuilt values after them */
    sl_buf_reset(values);
    if (n > SIZE_MAX / 4 - 8)
        return sl_error_set(err, SL_EINVAL, "%s: %zu values is too many", what, n);
    lengths_bytes = n * 4;
    if (out_reserve(values, lengths_bytes, what, &rc, err) == NULL)
        return rc;
    rc = delta_decode(buf + pos, len - pos, 32, SINK_U32_LEN, values->data, n, &used,
                      "DELTA_BYTE_ARRAY suffix lengths", err);
    if (rc != SL_OK)
        return rc;
    pos += used;
    values->len = lengths_bytes;
    for (size_t i = 0; i < n; i++) {
        size_t prefix = out[i].len, suffix = load_u32((const uint8_t *)values->data + 4 * i);
        if (prefix > prev_len)
            return malformed(err,
                             "%s: value %zu shares a prefix of %zu bytes with a previous value "
                             "of %zu bytes",
                             what, i, prefix, prev_len);
        prev_len = prefix + suffix;
        if (prev_len > UINT32_MAX)
            return malformed(err, "%s: value %zu is %zu bytes long", what, i, prev_len);
        total += prev_len;
        suffix_total += suffix;
        if (total > values->max - lengths_bytes || total > SIZE_MAX / 2)
            return sl_error_set(err, SL_ELIMIT,
                                "%s: the %zu values rebuild to more than the buffer limit of %zu "
                                "bytes",
                                what, n, values->max);
    }
    if (suffix_total > len - pos)
        return malformed(err, "%s: suffixes need %zu bytes at byte %zu, only %zu left", what,
                         suffix_total, pos, len - pos);
    if (out_reserve(values, total, what, &rc, err) == NULL)
        return rc;
    dst = (uint8_t *)values->data + lengths_bytes;
    suffix_data = buf + pos;
    for (size_t i = 0; i < n; i++) {
        size_t prefix = out[i].len, suffix = load_u32((const uint8_t *)values->data + 4 * i);
        if (prefix > 0)
            memcpy(dst, prev_value, prefix);
        if (suffix > 0)
            memcpy(dst + prefix, suffix_data, suffix);
        suffix_data += suffix;
        out[i].ptr = dst;
        out[i].len = (uint32_t)(prefix + suffix);
        prev_value = dst;
        dst += prefix + suffix;
    }
    out_commit(values, dst);
    return SL_OK;
}

int sl_parquet_delta_bytes_encode(const uint32_t *offsets, const uint8_t *data,
                                  const uint8_t *valid, size_t nrows, struct sl_buf *out,
                                  struct sl_error *err)
{
    const char *what = "DELTA_BYTE_ARRAY";
    struct delta_source prefixes = {SRC_PREFIX, NULL, offsets, data, valid, 0, SIZE_MAX};
    struct delta_source suffixes = {SRC_SUFFIX, NULL, offsets, data, valid, 0, SIZE_MAX};
    size_t total, count = sl_parquet_count_valid(valid, nrows);
    int rc = bytes_total(offsets, valid, nrows, &total, what, err);

    if (rc == SL_OK)
        rc = delta_encode(&prefixes, count, 32, out, what, err);
    if (rc == SL_OK)
        rc = delta_encode(&suffixes, count, 32, out, what, err);
    if (rc == SL_OK)
        rc = put_row_bytes(offsets, data, valid, nrows, true, out, what, err);
    return rc;
}

/* ================================================================ BYTE_STREAM_SPLIT */

int sl_parquet_byte_stream_split_decode(const uint8_t *buf, size_t len, size_t width, size_t n,
                                        void *out, struct sl_error *err)
{
    uint8_t *dst = out;
    size_t stride;

    if (width == 0)
        return sl_error_set(err, SL_EINVAL, "BYTE_STREAM_SPLIT: value width 0");
    if (len % width != 0)
        return malformed(err, "BYTE_STREAM_SPLIT: %zu bytes is not a multiple of the value "
                              "width %zu",
                         len, width);
    stride = len / width;
    if (n > stride)
        return malformed(err, "BYTE_STREAM_SPLIT: page holds %zu values of %zu bytes, %zu "
                              "expected",
                         stride, width, n);
    if (width == 4) {
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)buf[i] | (uint32_t)buf[stride + i] << 8 |
                         (uint32_t)buf[2 * stride + i] << 16 | (uint32_t)buf[3 * stride + i] << 24;
            store_u32(dst + 4 * i, v);
        }
    } else if (width == 8) {
        for (size_t i = 0; i < n; i++) {
            uint64_t v = 0;
            for (unsigned k = 0; k < 8; k++)
                v |= (uint64_t)buf[k * stride + i] << (8 * k);
            store_u64(dst + 8 * i, v);
        }
    } else {
        for (size_t k = 0; k < width; k++) {
            const uint8_t *stream = buf + k * stride;
            for (size_t i = 0; i < n; i++)
                dst[i * width + k] = stream[i];
        }
    }
    return SL_OK;
}

int sl_parquet_byte_stream_split_encode(const void *values, size_t width, const uint8_t *valid,
                                        size_t nrows, struct sl_buf *out, struct sl_error *err)
{
    const uint8_t *src = values;
    size_t count = sl_parquet_count_valid(valid, nrows), j = 0;
    uint8_t *dst;
    int rc;

    if (width == 0 || count > SIZE_MAX / width)
        return sl_error_set(err, SL_EINVAL, "BYTE_STREAM_SPLIT: bad value width %zu", width);
    dst = out_reserve(out, count * width, "BYTE_STREAM_SPLIT", &rc, err);
    if (dst == NULL)
        return rc;
    for (size_t i = 0; i < nrows; i++) {
        if (valid != NULL && valid[i] == 0)
            continue;
        for (size_t k = 0; k < width; k++)
            dst[k * count + j] = src[i * width + k];
        j++;
    }
    out_commit(out, dst + count * width);
    return SL_OK;
}

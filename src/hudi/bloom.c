/*
 * Hudi's bounded dynamic bloom filter (HoodieDynamicBoundedBloomFilter over
 * InternalDynamicBloomFilter, InternalBloomFilter, HashFunction and Hadoop's
 * MurmurHash, all ported by Hudi from org.apache.hadoop.util.bloom/hash).
 *
 * Serialized form (java.io.DataOutput, big-endian), base64 with padding:
 *   int -1 (version), int nbHash, byte hashType (1 = murmur), int vectorSize,
 *   int nr (keys per row), int currentNbRecord, int rows,
 *   then per row: int -1, int nbHash, byte hashType, int vectorSize,
 *   ceil(vectorSize/8) bytes where bit i is byte i/8, mask 1 << (i%8).
 * Each row is kept in exactly that byte layout, so serialization is a copy.
 */
#include "hudi/hudi_format.h"

#include <math.h>
#include <string.h>

#define MURMUR_HASH 1
#define HEADER_BYTES 13 /* version, nbHash, hashType, vectorSize */

struct sl_hudi_bloom {
    int32_t vector_size; /* bits per row */
    int32_t nb_hash;
    int32_t nr;          /* keys per row before a new one starts */
    int32_t max_nr;      /* bound on rows * nr; 0 after deserialization, as in Hudi */
    int32_t current_nb_record;
    bool reached_max;
    uint32_t cur_matrix_index;
    uint32_t nrows, rows_cap;
    uint8_t **rows; /* ceil(vector_size / 8) bytes each */
};

static size_t row_bytes(const struct sl_hudi_bloom *b)
{
    return ((size_t)b->vector_size + 7) / 8;
}

void sl_hudi_bloom_free(struct sl_hudi_bloom *b)
{
    if (b == NULL)
        return;
    for (uint32_t i = 0; i < b->nrows; i++)
        sl_free(b->rows[i]);
    sl_free(b->rows);
    sl_free(b);
}

/* Appends a zeroed row; the filter is unchanged on failure. */
static int add_row(struct sl_hudi_bloom *b)
{
    uint8_t *row;

    if (b->nrows == b->rows_cap) {
        uint32_t cap = b->rows_cap == 0 ? 4 : b->rows_cap * 2;
        uint8_t **rows;
        if (b->rows_cap > UINT32_MAX / 2)
            return SL_ENOMEM;
        rows = sl_realloc(b->rows, (size_t)cap * sizeof(*rows));
        if (rows == NULL)
            return SL_ENOMEM;
        b->rows = rows;
        b->rows_cap = cap;
    }
    row = sl_calloc(1, row_bytes(b));
    if (row == NULL)
        return SL_ENOMEM;
    b->rows[b->nrows++] = row;
    return SL_OK;
}

int sl_hudi_bloom_new(uint32_t num_entries, double fpp, uint32_t max_entries,
                      struct sl_hudi_bloom **out, struct sl_error *err)
{
    struct sl_hudi_bloom *b = NULL;
    double bits, hashes;
    int rc;

    if (out == NULL)
        return sl_error_set(err, SL_EINVAL, "no output for the bloom filter given");
    *out = NULL;
    if (num_entries == 0 || num_entries > INT32_MAX || !(fpp > 0 && fpp < 1) ||
        max_entries > INT32_MAX)
        return sl_error_set(err, SL_EINVAL,
                            "bloom filter with %u entries, false-positive rate %g and %u maximum "
                            "entries is not possible: entries must be 1..2^31-1 and the rate "
                            "between 0 and 1 (Hudi's defaults: 60000, 0.000000001, 100000)",
                            num_entries, fpp, max_entries);
    /* BloomFilterUtils.getBitSize / getNumHashes, in the same double operations */
    bits = ceil((double)num_entries * (-log(fpp) / (log(2) * log(2))));
    if (!(bits >= 1 && bits <= (double)INT32_MAX))
        return sl_error_set(err, SL_EINVAL,
                            "bloom filter of %u entries at rate %g needs %.0f bits: more than "
                            "2^31-1; use fewer entries or a higher rate",
                            num_entries, fpp, bits);
    hashes = ceil(log(2) * bits / (double)num_entries);
    b = sl_calloc(1, sizeof(*b));
    if (b == NULL)
        goto oom;
    b->vector_size = (int32_t)bits;
    b->nb_hash = (int32_t)hashes;
    b->nr = (int32_t)num_entries;
    b->max_nr = (int32_t)max_entries;
    if (b->nb_hash < 1)
        b->nb_hash = 1;
    if ((rc = add_row(b)) != SL_OK)
        goto oom;
    *out = b;
    return SL_OK;
oom:
    sl_hudi_bloom_free(b);
    return sl_error_set(err, SL_ENOMEM, "out of memory creating a bloom filter");
}

/*
 * Hadoop's MurmurHash (2.0, 32-bit) as Java computes it: the tail bytes are
 * Java bytes, i.e. sign-extended before the shifts.
 */
static uint32_t murmur(const uint8_t *data, size_t length, uint32_t seed)
{
    const uint32_t m = 0x5bd1e995;
    uint32_t h = seed ^ (uint32_t)length;
    size_t len4 = length >> 2;

    for (size_t i = 0; i < len4; i++) {
        const uint8_t *p = data + (i << 2);
        uint32_t k = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                     ((uint32_t)p[3] << 24);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (length & 3) {
    case 3:
        h ^= (uint32_t)(int32_t)(int8_t)data[length - 3] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)(int32_t)(int8_t)data[length - 2] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)(int32_t)(int8_t)data[length - 1];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

/* HashFunction.hash: nbHash chained murmur values, each |h % vectorSize| (Java int %). */
static inline uint32_t probe_position(uint32_t *state, const uint8_t *key, size_t len,
                                      int32_t vector_size)
{
    int32_t h;
    *state = murmur(key, len, *state);
    h = (int32_t)*state % vector_size;
    return (uint32_t)(h < 0 ? -h : h);
}

int sl_hudi_bloom_add(struct sl_hudi_bloom *b, const char *key, size_t len, struct sl_error *err)
{
    uint8_t *row;
    uint32_t state = 0;

    if (b == NULL || key == NULL || len == 0 || len > INT32_MAX)
        return sl_error_set(err, SL_EINVAL,
                            "bloom filter keys must be 1..2^31-1 bytes (Hudi refuses empty keys)");
    /* InternalDynamicBloomFilter.getActiveStandardBF */
    if (b->reached_max) {
        row = b->rows[b->cur_matrix_index++ % b->nrows];
    } else if (b->current_nb_record >= b->nr &&
               (int32_t)((uint32_t)b->nrows * (uint32_t)b->nr) < b->max_nr) {
        if (add_row(b) != SL_OK)
            return sl_error_set(err, SL_ENOMEM, "out of memory growing a bloom filter");
        row = b->rows[b->nrows - 1];
        b->current_nb_record = 0;
    } else if (b->current_nb_record >= b->nr) {
        b->reached_max = true;
        row = b->rows[0];
    } else {
        row = b->rows[b->nrows - 1];
    }
    for (int32_t i = 0; i < b->nb_hash; i++) {
        uint32_t bit = probe_position(&state, (const uint8_t *)key, len, b->vector_size);
        row[bit >> 3] |= (uint8_t)(1u << (bit & 7));
    }
    b->current_nb_record = (int32_t)((uint32_t)b->current_nb_record + 1);
    return SL_OK;
}

bool sl_hudi_bloom_might_contain(const struct sl_hudi_bloom *b, const char *key, size_t len)
{
    uint32_t positions[64];
    uint32_t state = 0;
    int32_t nb;

    if (b == NULL || key == NULL || len == 0 || len > INT32_MAX)
        return false;
    /* every row uses the same hash function: compute the positions once when few */
    nb = b->nb_hash <= (int32_t)SL_ARRAY_LEN(positions) ? b->nb_hash : 0;
    for (int32_t i = 0; i < nb; i++)
        positions[i] = probe_position(&state, (const uint8_t *)key, len, b->vector_size);
    for (uint32_t r = 0; r < b->nrows; r++) {
        const uint8_t *row = b->rows[r];
        bool all = true;
        state = 0;
        for (int32_t i = 0; i < b->nb_hash && all; i++) {
            uint32_t bit = nb > 0 ? positions[i]
                                  : probe_position(&state, (const uint8_t *)key, len,
                                                   b->vector_size);
            all = (row[bit >> 3] & (1u << (bit & 7))) != 0;
        }
        if (all)
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- serialization */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_be32(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)(u >> 24);
    p[1] = (uint8_t)(u >> 16);
    p[2] = (uint8_t)(u >> 8);
    p[3] = (uint8_t)u;
}

static int32_t get_be32(const uint8_t *p)
{
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
                     (uint32_t)p[3]);
}

/* Base64 encoder fed in pieces: up to two bytes wait for the next piece. */
struct b64_writer {
    struct sl_buf *out;
    uint8_t pending[3];
    int npending;
    int rc;
};

static void b64_write(struct b64_writer *w, const uint8_t *bytes, size_t len)
{
    char quad[4];

    while (len > 0 && w->rc == SL_OK) {
        /* whole groups straight from the input when nothing is pending */
        if (w->npending == 0 && len >= 3) {
            size_t groups = len / 3;
            size_t at = w->out->len;
            if ((w->rc = sl_buf_reserve(w->out, groups * 4)) != SL_OK)
                return;
            for (size_t g = 0; g < groups; g++, bytes += 3) {
                char *q = w->out->data + at + g * 4;
                q[0] = B64[bytes[0] >> 2];
                q[1] = B64[((bytes[0] & 3) << 4) | (bytes[1] >> 4)];
                q[2] = B64[((bytes[1] & 15) << 2) | (bytes[2] >> 6)];
                q[3] = B64[bytes[2] & 63];
            }
            w->out->len = at + groups * 4;
            w->out->data[w->out->len] = '\0';
            len -= groups * 3;
            continue;
        }
        w->pending[w->npending++] = *bytes++;
        len--;
        if (w->npending == 3) {
            quad[0] = B64[w->pending[0] >> 2];
            quad[1] = B64[((w->pending[0] & 3) << 4) | (w->pending[1] >> 4)];
            quad[2] = B64[((w->pending[1] & 15) << 2) | (w->pending[2] >> 6)];
            quad[3] = B64[w->pending[2] & 63];
            w->rc = sl_buf_append(w->out, quad, 4);
            w->npending = 0;
        }
    }
}

static void b64_finish(struct b64_writer *w)
{
    char quad[4];

    if (w->rc != SL_OK || w->npending == 0)
        return;
    quad[0] = B64[w->pending[0] >> 2];
    if (w->npending == 1) {
        quad[1] = B64[(w->pending[0] & 3) << 4];
        quad[2] = '=';
    } else {
        quad[1] = B64[((w->pending[0] & 3) << 4) | (w->pending[1] >> 4)];
        quad[2] = B64[(w->pending[1] & 15) << 2];
    }
    quad[3] = '=';
    w->rc = sl_buf_append(w->out, quad, 4);
    w->npending = 0;
}

static void filter_header(const struct sl_hudi_bloom *b, uint8_t header[HEADER_BYTES])
{
    put_be32(header, -1);
    put_be32(header + 4, b->nb_hash);
    header[8] = MURMUR_HASH;
    put_be32(header + 9, b->vector_size);
}

int sl_hudi_bloom_serialize(const struct sl_hudi_bloom *b, struct sl_buf *out, struct sl_error *err)
{
    struct b64_writer w = {out, {0}, 0, SL_OK};
    uint8_t header[HEADER_BYTES], counts[12];
    size_t start;

    if (b == NULL || out == NULL)
        return sl_error_set(err, SL_EINVAL, "no bloom filter or output buffer given");
    start = out->len;
    filter_header(b, header);
    put_be32(counts, b->nr);
    put_be32(counts + 4, b->current_nb_record);
    put_be32(counts + 8, (int32_t)b->nrows);
    b64_write(&w, header, sizeof(header));
    b64_write(&w, counts, sizeof(counts));
    for (uint32_t r = 0; r < b->nrows; r++) {
        b64_write(&w, header, sizeof(header));
        b64_write(&w, b->rows[r], row_bytes(b));
    }
    b64_finish(&w);
    if (w.rc != SL_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
        return sl_error_set(err, w.rc, "bloom filter text too large for its buffer");
    }
    return SL_OK;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* java.util.Base64's basic decoder: padding optional, nothing outside the alphabet. */
static int b64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len,
                      struct sl_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = len, pad = 0, o = 0;
    uint32_t acc = 0;
    int bits = 0;
    uint8_t *bytes;

    while (n > 0 && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if ((pad > 0 && (n + pad) % 4 != 0) || n % 4 == 1)
        return sl_error_set(err, SL_EPROTO,
                            "bloom filter is not valid base64: %zu characters with %zu padding",
                            len, pad);
    bytes = sl_malloc(n / 4 * 3 + 3);
    if (bytes == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory decoding a bloom filter");
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            sl_free(bytes);
            return sl_error_set(err, SL_EPROTO,
                                "bloom filter is not valid base64: character 0x%02x at offset %zu",
                                s[i], i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out = bytes;
    *out_len = o;
    return SL_OK;
}

int sl_hudi_bloom_deserialize(const char *text, size_t len, struct sl_hudi_bloom **out,
                              struct sl_error *err)
{
    struct sl_hudi_bloom *b = NULL;
    uint8_t *bytes = NULL;
    size_t n = 0, pos, nbytes;
    int32_t rows;
    int rc;

    if (out == NULL || (text == NULL && len > 0))
        return sl_error_set(err, SL_EINVAL, "no bloom filter text or output given");
    *out = NULL;
    if ((rc = b64_decode(text ? text : "", len, &bytes, &n, err)) != SL_OK)
        return rc;
    if (n < HEADER_BYTES + 12) {
        rc = sl_error_set(err, SL_EPROTO, "bloom filter of %zu bytes is shorter than its header",
                          n);
        goto fail;
    }
    if (get_be32(bytes) != -1) {
        rc = sl_error_set(err, SL_EPROTO,
                          "bloom filter version %d is not supported (only -1, with MurmurHash, "
                          "which every Hudi writes)",
                          (int)get_be32(bytes));
        goto fail;
    }
    if ((b = sl_calloc(1, sizeof(*b))) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory decoding a bloom filter");
        goto fail;
    }
    b->nb_hash = get_be32(bytes + 4);
    b->vector_size = get_be32(bytes + 9);
    b->nr = get_be32(bytes + 13);
    b->current_nb_record = get_be32(bytes + 17);
    rows = get_be32(bytes + 21);
    if (bytes[8] != MURMUR_HASH) {
        rc = sl_error_set(err, SL_EPROTO, "bloom filter hash type %d is not supported (1 = murmur)",
                          (int)bytes[8]);
        goto fail;
    }
    if (b->nb_hash < 1 || b->vector_size < 1 || rows < 1 || b->nr < 1) {
        rc = sl_error_set(err, SL_EPROTO,
                          "bloom filter has %d hashes, %d bits, %d rows and %d keys per row: all "
                          "must be positive",
                          (int)b->nb_hash, (int)b->vector_size, (int)rows, (int)b->nr);
        goto fail;
    }
    nbytes = row_bytes(b);
    pos = HEADER_BYTES + 12;
    if ((n - pos) / (HEADER_BYTES + nbytes) < (size_t)rows) {
        rc = sl_error_set(err, SL_EPROTO,
                          "bloom filter declares %d rows of %zu bytes but has %zu bytes left",
                          (int)rows, nbytes, n - pos);
        goto fail;
    }
    for (int32_t r = 0; r < rows; r++) {
        if (memcmp(bytes + pos, bytes, 9) != 0 || get_be32(bytes + pos + 9) != b->vector_size) {
            rc = sl_error_set(err, SL_EPROTO,
                              "bloom filter row %d has a header other than the filter's", (int)r);
            goto fail;
        }
        pos += HEADER_BYTES;
        if ((rc = add_row(b)) != SL_OK) {
            sl_error_set(err, rc, "out of memory decoding a bloom filter");
            goto fail;
        }
        memcpy(b->rows[r], bytes + pos, nbytes);
        /* Java reads bits below vectorSize only; so must a re-serialization */
        if (b->vector_size % 8 != 0)
            b->rows[r][nbytes - 1] &= (uint8_t)((1u << (b->vector_size % 8)) - 1);
        pos += nbytes;
    }
    if (pos != n) {
        rc = sl_error_set(err, SL_EPROTO, "bloom filter has %zu bytes after its last row",
                          n - pos);
        goto fail;
    }
    sl_free(bytes);
    *out = b;
    return SL_OK;
fail:
    sl_free(bytes);
    sl_hudi_bloom_free(b);
    return rc;
}

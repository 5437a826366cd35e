/*
 * Page compression over libsnappy, zlib and libzstd. Compression appends to a caller's buffer
 * sized from the library's bound; decompression writes into exactly the declared page size and
 * treats any other outcome as a malformed page, so a hostile page cannot make us allocate or
 * write more than its header admits.
 */
#include "parquet/compress.h"

#include <limits.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

enum {
    CODEC_UNCOMPRESSED = 0,
    CODEC_SNAPPY = 1,
    CODEC_GZIP = 2,
    CODEC_ZSTD = 6,
};

#define ZSTD_DEFAULT_LEVEL 1 /* Arrow's default; zstd's own is 3 */
#define GZIP_DEFAULT_LEVEL 6 /* zlib's Z_DEFAULT_COMPRESSION, as parquet-mr (Hadoop) uses */
#define GZIP_WINDOW_BITS 31  /* 15 + 16: gzip wrapper */
#define INFLATE_WINDOW_BITS 47 /* 15 + 32: detect gzip or zlib */

static const char *const codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};

const char *sl_parquet_compress_codec_name(int codec)
{
    if (codec < 0 || (size_t)codec >= SL_ARRAY_LEN(codec_names))
        return "unknown";
    return codec_names[codec];
}

bool sl_parquet_compress_supported(int codec)
{
    return codec == CODEC_UNCOMPRESSED || codec == CODEC_SNAPPY || codec == CODEC_GZIP ||
           codec == CODEC_ZSTD;
}

void sl_parquet_compressor_init(struct sl_parquet_compressor *c)
{
    memset(c, 0, sizeof(*c));
}

void sl_parquet_compressor_free(struct sl_parquet_compressor *c)
{
    if (c == NULL)
        return;
    ZSTD_freeCCtx(c->zstd_cctx);
    ZSTD_freeDCtx(c->zstd_dctx);
    if (c->deflate != NULL) {
        deflateEnd(c->deflate);
        sl_free(c->deflate);
    }
    if (c->inflate != NULL) {
        inflateEnd(c->inflate);
        sl_free(c->inflate);
    }
    memset(c, 0, sizeof(*c));
}

/* zlib allocates through sl_malloc so the allocation-failure hook reaches it. */
static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size != 0 && items > SIZE_MAX / size)
        return Z_NULL;
    return sl_malloc((size_t)items * size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    sl_free(ptr);
}

static z_stream *zlib_stream_new(void)
{
    z_stream *z = sl_calloc(1, sizeof(*z));
    if (z != NULL) {
        z->zalloc = zlib_alloc;
        z->zfree = zlib_free;
    }
    return z;
}

static uint8_t *reserve(struct sl_buf *out, size_t extra, const char *codec, int *rc,
                        struct sl_error *err)
{
    *rc = sl_buf_reserve(out, extra);
    if (*rc == SL_ELIMIT) {
        sl_error_set(err, SL_ELIMIT, "%s: %zu more bytes would exceed the buffer limit of %zu",
                     codec, extra, out->max);
        return NULL;
    }
    if (*rc != SL_OK) {
        sl_error_set(err, *rc, "%s: out of memory reserving %zu bytes", codec, extra);
        return NULL;
    }
    return (uint8_t *)out->data + out->len;
}

static void commit(struct sl_buf *out, size_t added)
{
    out->len += added;
    out->data[out->len] = '\0';
}

/* ---------------------------------------------------------------- compress */

static int compress_snappy(const void *src, size_t len, struct sl_buf *out,
                           struct sl_error *err)
{
    size_t max = snappy_max_compressed_length(len), got = max;
    int rc;
    uint8_t *dst = reserve(out, max, "SNAPPY", &rc, err);
    if (dst == NULL)
        return rc;
    if (snappy_compress(src, len, (char *)dst, &got) != SNAPPY_OK)
        return sl_error_set(err, SL_EINVAL, "SNAPPY: compressing %zu bytes failed", len);
    commit(out, got);
    return SL_OK;
}

static int compress_zstd(struct sl_parquet_compressor *c, int level, const void *src, size_t len,
                         struct sl_buf *out, struct sl_error *err)
{
    size_t bound = ZSTD_compressBound(len), got;
    uint8_t *dst;
    int rc;

    if (c->zstd_cctx == NULL && (c->zstd_cctx = ZSTD_createCCtx()) == NULL)
        return sl_error_set(err, SL_ENOMEM, "ZSTD: out of memory creating a context");
    dst = reserve(out, bound, "ZSTD", &rc, err);
    if (dst == NULL)
        return rc;
    got = ZSTD_compressCCtx(c->zstd_cctx, dst, bound, src, len,
                            level != 0 ? level : ZSTD_DEFAULT_LEVEL);
    if (ZSTD_isError(got))
        return sl_error_set(err, SL_EINVAL, "ZSTD: compressing %zu bytes failed: %s", len,
                            ZSTD_getErrorName(got));
    commit(out, got);
    return SL_OK;
}

static int compress_gzip(struct sl_parquet_compressor *c, int level, const void *src, size_t len,
                         struct sl_buf *out, struct sl_error *err)
{
    z_stream *z = c->deflate;
    uLong bound;
    uint8_t *dst;
    int rc, zrc;

    if (level == 0)
        level = GZIP_DEFAULT_LEVEL;
    if (level < 1 || level > 9)
        return sl_error_set(err, SL_EINVAL, "GZIP: compression level %d is not 1..9", level);
    if (len > UINT_MAX)
        return sl_error_set(err, SL_EINVAL, "GZIP: a page of %zu bytes is too large", len);
    if (z != NULL && c->deflate_level != level) {
        deflateEnd(z);
        sl_free(z);
        c->deflate = z = NULL;
    }
    if (z == NULL) {
        if ((z = zlib_stream_new()) == NULL)
            return sl_error_set(err, SL_ENOMEM, "GZIP: out of memory creating a stream");
        zrc = deflateInit2(z, level, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY);
        if (zrc != Z_OK) {
            sl_free(z);
            return sl_error_set(err, zrc == Z_MEM_ERROR ? SL_ENOMEM : SL_EINVAL,
                                "GZIP: deflateInit2 failed (%d)", zrc);
        }
        c->deflate = z;
        c->deflate_level = level;
    } else if (deflateReset(z) != Z_OK) {
        return sl_error_set(err, SL_EINVAL, "GZIP: deflateReset failed");
    }
    bound = deflateBound(z, (uLong)len);
    if (bound > UINT_MAX)
        return sl_error_set(err, SL_EINVAL, "GZIP: a page of %zu bytes is too large", len);
    dst = reserve(out, bound, "GZIP", &rc, err);
    if (dst == NULL)
        return rc;
    z->next_in = (Bytef *)(uintptr_t)src; /* zlib's API is not const-correct; it only reads */
    z->avail_in = (uInt)len;
    z->next_out = dst;
    z->avail_out = (uInt)bound;
    zrc = deflate(z, Z_FINISH);
    if (zrc != Z_STREAM_END)
        return sl_error_set(err, SL_EINVAL, "GZIP: deflate failed (%d)", zrc);
    commit(out, (size_t)(bound - z->avail_out));
    return SL_OK;
}

int sl_parquet_compress(struct sl_parquet_compressor *c, int codec, int level, const void *src,
                        size_t len, struct sl_buf *out, struct sl_error *err)
{
    int rc;
    switch (codec) {
    case CODEC_UNCOMPRESSED:
        rc = sl_buf_append(out, src, len);
        if (rc != SL_OK)
            return sl_error_set(err, rc, "UNCOMPRESSED: cannot append %zu bytes (%s)", len,
                                sl_error_code_name(rc));
        return SL_OK;
    case CODEC_SNAPPY:
        return compress_snappy(src, len, out, err);
    case CODEC_GZIP:
        return compress_gzip(c, level, src, len, out, err);
    case CODEC_ZSTD:
        return compress_zstd(c, level, src, len, out, err);
    default:
        return sl_error_set(err, SL_EINVAL,
                            "compression codec %s (%d) is not supported for writing (use "
                            "UNCOMPRESSED, SNAPPY, GZIP or ZSTD)",
                            sl_parquet_compress_codec_name(codec), codec);
    }
}

/* ---------------------------------------------------------------- decompress */

static int size_mismatch(struct sl_error *err, const char *codec, size_t got, size_t want)
{
    return sl_error_set(err, SL_EPROTO,
                        "%s: page decompresses to %zu bytes, its header says %zu", codec, got,
                        want);
}

static int decompress_snappy(const void *src, size_t len, size_t want, struct sl_buf *out,
                             struct sl_error *err)
{
    size_t declared, got = want;
    uint8_t *dst;
    int rc;

    if (snappy_uncompressed_length(src, len, &declared) != SNAPPY_OK)
        return sl_error_set(err, SL_EPROTO, "SNAPPY: malformed length header (%zu bytes in)",
                            len);
    if (declared != want)
        return size_mismatch(err, "SNAPPY", declared, want);
    dst = reserve(out, want, "SNAPPY", &rc, err);
    if (dst == NULL)
        return rc;
    if (snappy_uncompress(src, len, (char *)dst, &got) != SNAPPY_OK)
        return sl_error_set(err, SL_EPROTO, "SNAPPY: corrupt page (%zu bytes in, %zu declared)",
                            len, want);
    if (got != want)
        return size_mismatch(err, "SNAPPY", got, want);
    commit(out, got);
    return SL_OK;
}

static int decompress_zstd(struct sl_parquet_compressor *c, const void *src, size_t len,
                           size_t want, struct sl_buf *out, struct sl_error *err)
{
    unsigned long long declared;
    size_t got;
    uint8_t *dst;
    int rc;

    /* a frame that states its size is checked before any output is reserved */
    declared = ZSTD_getFrameContentSize(src, len);
    if (declared == ZSTD_CONTENTSIZE_ERROR)
        return sl_error_set(err, SL_EPROTO, "ZSTD: not a zstd frame (%zu bytes)", len);
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > want)
        return sl_error_set(err, SL_EPROTO,
                            "ZSTD: frame declares %llu bytes, the page header says %zu",
                            declared, want);
    if (c->zstd_dctx == NULL && (c->zstd_dctx = ZSTD_createDCtx()) == NULL)
        return sl_error_set(err, SL_ENOMEM, "ZSTD: out of memory creating a context");
    dst = reserve(out, want, "ZSTD", &rc, err);
    if (dst == NULL)
        return rc;
    got = ZSTD_decompressDCtx(c->zstd_dctx, dst, want, src, len);
    if (ZSTD_isError(got)) {
        if (ZSTD_getErrorCode(got) == ZSTD_error_dstSize_tooSmall)
            return sl_error_set(err, SL_EPROTO,
                                "ZSTD: page decompresses to more than the %zu bytes its header "
                                "says",
                                want);
        return sl_error_set(err, SL_EPROTO, "ZSTD: corrupt page: %s", ZSTD_getErrorName(got));
    }
    if (got != want)
        return size_mismatch(err, "ZSTD", got, want);
    commit(out, got);
    return SL_OK;
}

static int decompress_gzip(struct sl_parquet_compressor *c, const void *src, size_t len,
                           size_t want, struct sl_buf *out, struct sl_error *err)
{
    z_stream *z = c->inflate;
    uint8_t *dst;
    int rc, zrc;

    if (len > UINT_MAX || want > UINT_MAX)
        return sl_error_set(err, SL_EPROTO, "GZIP: page of %zu bytes (%zu declared) is too large",
                            len, want);
    if (z == NULL) {
        if ((z = zlib_stream_new()) == NULL)
            return sl_error_set(err, SL_ENOMEM, "GZIP: out of memory creating a stream");
        zrc = inflateInit2(z, INFLATE_WINDOW_BITS);
        if (zrc != Z_OK) {
            sl_free(z);
            return sl_error_set(err, zrc == Z_MEM_ERROR ? SL_ENOMEM : SL_EINVAL,
                                "GZIP: inflateInit2 failed (%d)", zrc);
        }
        c->inflate = z;
    } else if (inflateReset(z) != Z_OK) {
        return sl_error_set(err, SL_EINVAL, "GZIP: inflateReset failed");
    }
    dst = reserve(out, want, "GZIP", &rc, err);
    if (dst == NULL)
        return rc;
    z->next_in = (Bytef *)(uintptr_t)src; /* zlib only reads through next_in */
    z->avail_in = (uInt)len;
    z->next_out = dst;
    z->avail_out = (uInt)want;
    for (;;) {
        uInt in_before = z->avail_in, out_before = z->avail_out;
        zrc = inflate(z, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END) {
            if (z->avail_in == 0)
                break;
            /* another gzip member follows (gzip allows concatenation) */
            if (inflateReset(z) != Z_OK)
                return sl_error_set(err, SL_EINVAL, "GZIP: inflateReset failed");
            continue;
        }
        if (zrc == Z_MEM_ERROR)
            return sl_error_set(err, SL_ENOMEM, "GZIP: out of memory inflating");
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            return sl_error_set(err, SL_EPROTO, "GZIP: corrupt page: %s",
                                z->msg != NULL ? z->msg : "inflate failed");
        if (z->avail_in == in_before && z->avail_out == out_before) {
            if (z->avail_out == 0)
                return sl_error_set(err, SL_EPROTO,
                                    "GZIP: page decompresses to more than the %zu bytes its "
                                    "header says",
                                    want);
            return sl_error_set(err, SL_EPROTO,
                                "GZIP: page is truncated (%zu of %zu bytes decompressed)",
                                want - z->avail_out, want);
        }
    }
    if (z->avail_out != 0)
        return size_mismatch(err, "GZIP", want - z->avail_out, want);
    commit(out, want);
    return SL_OK;
}

int sl_parquet_decompress(struct sl_parquet_compressor *c, int codec, const void *src,
                          size_t len, size_t uncompressed_len, struct sl_buf *out,
                          struct sl_error *err)
{
    int rc;
    switch (codec) {
    case CODEC_UNCOMPRESSED:
        if (len != uncompressed_len)
            return size_mismatch(err, "UNCOMPRESSED", len, uncompressed_len);
        rc = sl_buf_append(out, src, len);
        if (rc != SL_OK)
            return sl_error_set(err, rc, "UNCOMPRESSED: cannot append %zu bytes (%s)", len,
                                sl_error_code_name(rc));
        return SL_OK;
    case CODEC_SNAPPY:
        return decompress_snappy(src, len, uncompressed_len, out, err);
    case CODEC_GZIP:
        return decompress_gzip(c, src, len, uncompressed_len, out, err);
    case CODEC_ZSTD:
        return decompress_zstd(c, src, len, uncompressed_len, out, err);
    default:
        return sl_error_set(err, SL_EPROTO,
                            "page compressed with %s (codec %d), which sluice cannot read (it "
                            "reads UNCOMPRESSED, SNAPPY, GZIP and ZSTD)",
                            sl_parquet_compress_codec_name(codec), codec);
    }
}

/*
 * Parquet page compression: UNCOMPRESSED, SNAPPY (libsnappy), GZIP (zlib) and ZSTD (libzstd)
 * behind one call each way. Codecs are the parquet.thrift CompressionCodec numbers
 * (UNCOMPRESSED 0, SNAPPY 1, GZIP 2, LZO 3, BROTLI 4, LZ4 5, ZSTD 6, LZ4_RAW 7), the values of
 * enum sl_parquet_codec. Library contexts live in a struct sl_parquet_compressor
 * the caller keeps per thread, so after the first page of a codec no call allocates (snappy
 * aside: its C API allocates working memory inside each compress call).
 */
#ifndef SLUICE_PARQUET_COMPRESS_H
#define SLUICE_PARQUET_COMPRESS_H

#include "sluice/core.h"

/*
 * Library contexts, created on first use of their codec and reused. Zero-initialise (or call
 * sl_parquet_compressor_init) before use; owned by the caller; one per thread.
 */
struct sl_parquet_compressor {
    void *zstd_cctx;
    void *zstd_dctx;
    void *deflate; /* z_stream set up for gzip output at deflate_level */
    void *inflate; /* z_stream accepting gzip and zlib streams */
    int deflate_level;
};

void sl_parquet_compressor_init(struct sl_parquet_compressor *c);
void sl_parquet_compressor_free(struct sl_parquet_compressor *c); /* accepts NULL */

/* "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW", or "unknown". */
const char *sl_parquet_compress_codec_name(int codec);
bool sl_parquet_compress_supported(int codec);

/*
 * Appends the compressed form of src[0..len) to out. level 0 picks the default: ZSTD 1 (as
 * Arrow), GZIP 6 (zlib's and parquet-mr's); SNAPPY has no levels. A codec sluice cannot write
 * is SL_EINVAL naming it; out reaching its max is SL_ELIMIT.
 */
int sl_parquet_compress(struct sl_parquet_compressor *c, int codec, int level, const void *src,
                        size_t len, struct sl_buf *out, struct sl_error *err);

/*
 * Appends the decompressed form of src[0..len) to out; it must be exactly uncompressed_len
 * bytes (the page header's uncompressed_page_size). Output is never written past
 * uncompressed_len, so a lying or hostile page costs at most that much memory (which the
 * caller bounds, e.g. by out->max). Malformed input, or output shorter or longer than
 * declared, is SL_EPROTO; an unsupported codec is SL_EPROTO naming it (it comes from a file).
 * GZIP accepts gzip streams (several members too) and zlib streams.
 */
int sl_parquet_decompress(struct sl_parquet_compressor *c, int codec, const void *src,
                          size_t len, size_t uncompressed_len, struct sl_buf *out,
                          struct sl_error *err);

#endif

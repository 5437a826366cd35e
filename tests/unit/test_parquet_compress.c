/*
 * Unit tests of parquet/compress.c: round trips per codec (empty, tiny, compressible,
 * incompressible input), pages compressed by pyarrow and Python's zlib/gzip
 * (tests/unit/data/make_encoding_golden.py), lying sizes, corrupt and truncated input,
 * unsupported codecs, buffer limits and allocation failures.
 */
#include "parquet/compress.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#ifndef SLUICE_TEST_DATA_DIR
#error "SLUICE_TEST_DATA_DIR must name tests/unit/data"
#endif

enum { UNCOMPRESSED = 0, SNAPPY = 1, GZIP = 2, LZO = 3, BROTLI = 4, LZ4 = 5, ZSTD = 6, LZ4_RAW = 7 };

static const int supported[] = {UNCOMPRESSED, SNAPPY, GZIP, ZSTD};

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A heap copy of exactly len bytes so ASan catches over-reads by the libraries' callers. */
static uint8_t *exact_copy(const void *bytes, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        abort();
    if (len > 0)
        memcpy(copy, bytes, len);
    return copy;
}

static uint8_t *read_data_file(const char *name, size_t *len)
{
    return unit_read_file(SLUICE_TEST_DATA_DIR "/encoding", name, len);
}

/* The inputs of the round trips: name, bytes, length. */
struct sample {
    const char *name;
    uint8_t *bytes;
    size_t len;
};

static size_t make_samples(struct sample *s)
{
    uint64_t state = 1;
    size_t n = 0, text_len = 100000, random_len = 65536, zeros_len = 1 << 20;
    uint8_t *text = malloc(text_len), *noise = malloc(random_len), *zeros = calloc(zeros_len, 1);
    if (text == NULL || noise == NULL || zeros == NULL)
        abort();
    for (size_t i = 0; i < text_len; i++)
        text[i] = (uint8_t)("customer_ insert update delete 0123456789"[next_random(&state) % 40]);
    for (size_t i = 0; i < random_len; i++)
        noise[i] = (uint8_t)next_random(&state);
    s[n++] = (struct sample){"empty", exact_copy("", 0), 0};
    s[n++] = (struct sample){"one byte", exact_copy("x", 1), 1};
    s[n++] = (struct sample){"text", text, text_len};
    s[n++] = (struct sample){"incompressible", noise, random_len};
    s[n++] = (struct sample){"zeros", zeros, zeros_len};
    return n;
}

static void free_samples(struct sample *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].bytes);
}

static void test_codec_names(void)
{
    CHECK_STR(sl_parquet_compress_codec_name(UNCOMPRESSED), "UNCOMPRESSED");
    CHECK_STR(sl_parquet_compress_codec_name(SNAPPY), "SNAPPY");
    CHECK_STR(sl_parquet_compress_codec_name(GZIP), "GZIP");
    CHECK_STR(sl_parquet_compress_codec_name(LZO), "LZO");
    CHECK_STR(sl_parquet_compress_codec_name(BROTLI), "BROTLI");
    CHECK_STR(sl_parquet_compress_codec_name(LZ4), "LZ4");
    CHECK_STR(sl_parquet_compress_codec_name(ZSTD), "ZSTD");
    CHECK_STR(sl_parquet_compress_codec_name(LZ4_RAW), "LZ4_RAW");
    CHECK_STR(sl_parquet_compress_codec_name(8), "unknown");
    CHECK_STR(sl_parquet_compress_codec_name(-1), "unknown");
    for (size_t i = 0; i < SL_ARRAY_LEN(supported); i++)
        CHECK(sl_parquet_compress_supported(supported[i]));
    CHECK(!sl_parquet_compress_supported(LZ4_RAW) && !sl_parquet_compress_supported(BROTLI));
}

static void test_roundtrip_every_codec(void)
{
    struct sample samples[8];
    size_t nsamples = make_samples(samples);
    struct sl_parquet_compressor c;
    struct sl_buf packed, unpacked;
    static const int levels[] = {0, 1, 3, 9};

    sl_parquet_compressor_init(&c);
    sl_buf_init(&packed, SIZE_MAX);
    sl_buf_init(&unpacked, SIZE_MAX);
    for (size_t ci = 0; ci < SL_ARRAY_LEN(supported); ci++) {
        for (size_t si = 0; si < nsamples; si++) {
            for (size_t li = 0; li < SL_ARRAY_LEN(levels); li++) {
                int codec = supported[ci];
                struct sl_error err = {0};
                uint8_t *copy;
                sl_buf_reset(&packed);
                sl_buf_reset(&unpacked);
                if (sl_parquet_compress(&c, codec, levels[li], samples[si].bytes, samples[si].len,
                                        &packed, &err) != SL_OK) {
                    fprintf(stderr, "  %s %s: %s\n", sl_parquet_compress_codec_name(codec),
                            samples[si].name, err.message);
                    CHECK(0);
                    continue;
                }
                if (strcmp(samples[si].name, "zeros") == 0 && codec != UNCOMPRESSED)
                    CHECK(packed.len < samples[si].len / 20);
                copy = exact_copy(packed.data, packed.len);
                if (sl_parquet_decompress(&c, codec, copy, packed.len, samples[si].len, &unpacked,
                                          &err) != SL_OK) {
                    fprintf(stderr, "  %s %s: %s\n", sl_parquet_compress_codec_name(codec),
                            samples[si].name, err.message);
                    CHECK(0);
                }
                CHECK(unpacked.len == samples[si].len);
                CHECK(samples[si].len == 0 ||
                      memcmp(unpacked.data, samples[si].bytes, samples[si].len) == 0);
                free(copy);
            }
        }
    }
    /* output is appended after what the buffer holds */
    sl_buf_reset(&packed);
    REQUIRE(sl_buf_append(&packed, "hdr", 3) == SL_OK);
    REQUIRE(sl_parquet_compress(&c, ZSTD, 0, "abcabcabc", 9, &packed, NULL) == SL_OK);
    CHECK(memcmp(packed.data, "hdr", 3) == 0);
    sl_buf_reset(&unpacked);
    REQUIRE(sl_buf_append(&unpacked, "x", 1) == SL_OK);
    REQUIRE(sl_parquet_decompress(&c, ZSTD, packed.data + 3, packed.len - 3, 9, &unpacked, NULL) ==
            SL_OK);
    CHECK(unpacked.len == 10 && memcmp(unpacked.data, "xabcabcabc", 10) == 0);
    sl_buf_free(&packed);
    sl_buf_free(&unpacked);
    sl_parquet_compressor_free(&c);
    sl_parquet_compressor_free(&c); /* twice is fine: fields were cleared */
    sl_parquet_compressor_free(NULL);
    free_samples(samples, nsamples);
}

static void test_pyarrow_and_python_pages(void)
{
    size_t manifest_len = 0, cases = 0;
    uint8_t *manifest = read_data_file("compress.txt", &manifest_len);
    char *text, *line, *save = NULL;
    struct sl_parquet_compressor c;
    struct sl_buf out;

    REQUIRE(manifest != NULL);
    sl_parquet_compressor_init(&c);
    sl_buf_init(&out, SIZE_MAX);
    text = calloc(manifest_len + 1, 1);
    REQUIRE(text != NULL);
    memcpy(text, manifest, manifest_len);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char name[64], compressed_name[64], raw_name[64];
        size_t compressed_len = 0, raw_len = 0;
        uint8_t *compressed, *raw = NULL;
        struct sl_error err = {0};
        int codec, rc;
        if (line[0] == '#')
            continue;
        REQUIRE(sscanf(line, "%d %63s %63s %63s", &codec, name, compressed_name, raw_name) == 4);
        compressed = read_data_file(compressed_name, &compressed_len);
        REQUIRE(compressed != NULL);
        sl_buf_reset(&out);
        if (strcmp(raw_name, "-") == 0) {
            /* a codec sluice does not read: a clear error naming it */
            rc = sl_parquet_decompress(&c, codec, compressed, compressed_len, 1000, &out, &err);
            CHECK(rc == SL_EPROTO);
            CHECK(strstr(err.message, sl_parquet_compress_codec_name(codec)) != NULL);
            CHECK(strstr(err.message, "cannot read") != NULL);
        } else {
            raw = read_data_file(raw_name, &raw_len);
            REQUIRE(raw != NULL);
            rc = sl_parquet_decompress(&c, codec, compressed, compressed_len, raw_len, &out, &err);
            if (rc != SL_OK)
                fprintf(stderr, "  %s: %s\n", name, err.message);
            CHECK(rc == SL_OK);
            CHECK(out.len == raw_len && memcmp(out.data, raw, raw_len) == 0);
            /* the header lying about the size, either way */
            sl_buf_reset(&out);
            CHECK(sl_parquet_decompress(&c, codec, compressed, compressed_len, raw_len - 1, &out,
                                        &err) == SL_EPROTO);
            sl_buf_reset(&out);
            CHECK(sl_parquet_decompress(&c, codec, compressed, compressed_len, raw_len + 1, &out,
                                        &err) == SL_EPROTO);
            CHECK(strstr(err.message, sl_parquet_compress_codec_name(codec)) != NULL);
        }
        free(compressed);
        free(raw);
        cases++;
    }
    CHECK(cases == 7);
    free(text);
    free(manifest);
    sl_buf_free(&out);
    sl_parquet_compressor_free(&c);
}

static void test_wrong_sizes_corruption_truncation(void)
{
    struct sample samples[8];
    size_t nsamples = make_samples(samples);
    struct sl_parquet_compressor c;
    struct sl_buf packed, out;
    uint64_t state = 99;
    const struct sample *text = &samples[2];

    sl_parquet_compressor_init(&c);
    sl_buf_init(&packed, SIZE_MAX);
    sl_buf_init(&out, SIZE_MAX);
    for (size_t ci = 0; ci < SL_ARRAY_LEN(supported); ci++) {
        int codec = supported[ci];
        struct sl_error err = {0};
        sl_buf_reset(&packed);
        REQUIRE(sl_parquet_compress(&c, codec, 0, text->bytes, 5000, &packed, NULL) == SL_OK);
        /* declared sizes that are wrong: a clear error, and nothing appended */
        static const size_t wrong[] = {0, 1, 4096, 4999, 5001, 9999, 1 << 20};
        for (size_t k = 0; k < SL_ARRAY_LEN(wrong); k++) {
            sl_buf_reset(&out);
            CHECK(sl_parquet_decompress(&c, codec, packed.data, packed.len, wrong[k], &out,
                                        &err) == SL_EPROTO);
            CHECK(out.len == 0);
        }
        /* every truncation fails */
        for (size_t len = 0; len < packed.len; len += 1 + len / 8) {
            uint8_t *cut = exact_copy(packed.data, len);
            sl_buf_reset(&out);
            CHECK(sl_parquet_decompress(&c, codec, cut, len, 5000, &out, &err) == SL_EPROTO);
            free(cut);
        }
        /* random corruption: an error, or other bytes of the right length when the codec has
         * no checksum (snappy, zstd frames without one, uncompressed); never a crash. gzip
         * checks a CRC-32, so it never returns wrong bytes. */
        for (int round = 0; round < 200; round++) {
            uint8_t *bad = exact_copy(packed.data, packed.len);
            int rc;
            for (int k = 0; k < 1 + round % 4; k++)
                bad[next_random(&state) % packed.len] ^= (uint8_t)(1 + next_random(&state) % 255);
            sl_buf_reset(&out);
            rc = sl_parquet_decompress(&c, codec, bad, packed.len, 5000, &out, &err);
            CHECK(rc == SL_OK || rc == SL_EPROTO);
            if (rc == SL_OK)
                CHECK(out.len == 5000 &&
                      (codec != GZIP || memcmp(out.data, text->bytes, 5000) == 0));
            free(bad);
        }
        /* the compressor still works after all those errors */
        sl_buf_reset(&out);
        CHECK(sl_parquet_decompress(&c, codec, packed.data, packed.len, 5000, &out, NULL) ==
              SL_OK);
        CHECK(memcmp(out.data, text->bytes, 5000) == 0);
    }
    sl_buf_free(&packed);
    sl_buf_free(&out);
    sl_parquet_compressor_free(&c);
    free_samples(samples, nsamples);
}

static void test_bombs_and_limits(void)
{
    struct sl_parquet_compressor c;
    struct sl_buf packed, out;
    uint8_t *zeros = calloc(8 << 20, 1);
    struct sl_error err = {0};

    REQUIRE(zeros != NULL);
    sl_parquet_compressor_init(&c);
    sl_buf_init(&packed, SIZE_MAX);
    for (size_t ci = 1; ci < SL_ARRAY_LEN(supported); ci++) {
        int codec = supported[ci];
        sl_buf_reset(&packed);
        REQUIRE(sl_parquet_compress(&c, codec, 0, zeros, 8 << 20, &packed, NULL) == SL_OK);
        /* 8 MiB of zeros claimed to be 4 KiB: refused without writing past 4 KiB */
        sl_buf_init(&out, 8192);
        CHECK(sl_parquet_decompress(&c, codec, packed.data, packed.len, 4096, &out, &err) ==
              SL_EPROTO);
        CHECK(out.len == 0 && out.cap <= 8193);
        /* the truth, but more than the caller's buffer allows: SL_ELIMIT */
        CHECK(sl_parquet_decompress(&c, codec, packed.data, packed.len, 8 << 20, &out, &err) ==
              SL_ELIMIT);
        sl_buf_free(&out);
    }
    /* a compressed page larger than the caller's limit */
    sl_buf_init(&out, 100);
    CHECK(sl_parquet_compress(&c, SNAPPY, 0, zeros, 1000, &out, &err) == SL_ELIMIT ||
          out.len <= 100);
    CHECK(sl_parquet_compress(&c, UNCOMPRESSED, 0, zeros, 1000, &out, &err) == SL_ELIMIT);
    sl_buf_free(&out);
    /* UNCOMPRESSED: the page size must match the header */
    sl_buf_init(&out, SIZE_MAX);
    CHECK(sl_parquet_decompress(&c, UNCOMPRESSED, "abc", 3, 4, &out, &err) == SL_EPROTO);
    CHECK(sl_parquet_decompress(&c, UNCOMPRESSED, "abc", 3, 3, &out, NULL) == SL_OK);
    CHECK(out.len == 3);
    /* unsupported codecs, both ways */
    CHECK(sl_parquet_compress(&c, LZ4_RAW, 0, "abc", 3, &out, &err) == SL_EINVAL);
    CHECK(strstr(err.message, "LZ4_RAW") != NULL);
    CHECK(sl_parquet_compress(&c, 42, 0, "abc", 3, &out, &err) == SL_EINVAL);
    CHECK(sl_parquet_decompress(&c, LZO, "abc", 3, 3, &out, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "LZO") != NULL);
    CHECK(sl_parquet_compress(&c, GZIP, 12, "abc", 3, &out, &err) == SL_EINVAL);
    sl_buf_free(&out);
    sl_buf_free(&packed);
    sl_parquet_compressor_free(&c);
    free(zeros);
}

static void test_allocation_failures(void)
{
    static const char text[] = "allocation failures must leave no leaks and no half state";
    for (size_t ci = 0; ci < SL_ARRAY_LEN(supported); ci++) {
        for (long nth = 1; nth < 12; nth++) {
            struct sl_parquet_compressor c;
            struct sl_buf packed, out;
            int rc;
            sl_parquet_compressor_init(&c);
            sl_buf_init(&packed, SIZE_MAX);
            sl_buf_init(&out, SIZE_MAX);
            sl_alloc_fail_after(nth);
            rc = sl_parquet_compress(&c, supported[ci], 0, text, sizeof(text), &packed, NULL);
            if (rc == SL_OK)
                rc = sl_parquet_decompress(&c, supported[ci], packed.data, packed.len,
                                           sizeof(text), &out, NULL);
            sl_alloc_fail_after(0);
            CHECK(rc == SL_OK || rc == SL_ENOMEM);
            /* and the same compressor works afterwards */
            sl_buf_reset(&packed);
            sl_buf_reset(&out);
            CHECK(sl_parquet_compress(&c, supported[ci], 0, text, sizeof(text), &packed, NULL) ==
                  SL_OK);
            CHECK(sl_parquet_decompress(&c, supported[ci], packed.data, packed.len, sizeof(text),
                                        &out, NULL) == SL_OK);
            CHECK(out.len == sizeof(text) && memcmp(out.data, text, sizeof(text)) == 0);
            sl_buf_free(&packed);
            sl_buf_free(&out);
            sl_parquet_compressor_free(&c);
        }
    }
}

static void test_gzip_level_change_and_zlib_stream(void)
{
    struct sl_parquet_compressor c;
    struct sl_buf fast, best, out;
    static const char text[] = "aaaaaaaaaabbbbbbbbbbaaaaaaaaaabbbbbbbbbbccccccccccaaaaaaaaaa";

    sl_parquet_compressor_init(&c);
    sl_buf_init(&fast, SIZE_MAX);
    sl_buf_init(&best, SIZE_MAX);
    sl_buf_init(&out, SIZE_MAX);
    REQUIRE(sl_parquet_compress(&c, GZIP, 1, text, sizeof(text), &fast, NULL) == SL_OK);
    REQUIRE(sl_parquet_compress(&c, GZIP, 9, text, sizeof(text), &best, NULL) == SL_OK);
    /* gzip wrapper: magic 1f 8b */
    CHECK((uint8_t)fast.data[0] == 0x1f && (uint8_t)fast.data[1] == 0x8b);
    CHECK((uint8_t)best.data[0] == 0x1f && (uint8_t)best.data[1] == 0x8b);
    REQUIRE(sl_parquet_decompress(&c, GZIP, best.data, best.len, sizeof(text), &out, NULL) ==
            SL_OK);
    CHECK(memcmp(out.data, text, sizeof(text)) == 0);
    /* trailing garbage after the gzip member is an error, not ignored */
    REQUIRE(sl_buf_append(&best, "junk", 4) == SL_OK);
    sl_buf_reset(&out);
    CHECK(sl_parquet_decompress(&c, GZIP, best.data, best.len, sizeof(text), &out, NULL) ==
          SL_EPROTO);
    sl_buf_free(&fast);
    sl_buf_free(&best);
    sl_buf_free(&out);
    sl_parquet_compressor_free(&c);
}

UNIT_TESTS(UNIT_TEST(test_codec_names), UNIT_TEST(test_roundtrip_every_codec),
           UNIT_TEST(test_pyarrow_and_python_pages),
           UNIT_TEST(test_wrong_sizes_corruption_truncation), UNIT_TEST(test_bombs_and_limits),
           UNIT_TEST(test_allocation_failures), UNIT_TEST(test_gzip_level_change_and_zlib_stream))

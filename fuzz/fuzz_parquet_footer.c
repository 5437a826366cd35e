/*
 * libFuzzer target for the Thrift compact codec and the Parquet metadata decoders: the input
 * is decoded as a FileMetaData, as a PageHeader, as a file tail (footer + trailer) and skipped
 * as a bare Thrift struct. Whatever decodes must re-encode, decode again to the same values,
 * and re-encode to the same bytes (encode . decode is idempotent).
 */
#include "parquet/format.h"
#include "parquet/thrift.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENCODE_MAX (64u << 20)

/* A failure must be one of the decoders' codes and come with a message. */
static void check_failure(int rc, const struct sl_error *err)
{
    if (rc != SL_EPROTO && rc != SL_ELIMIT)
        abort();
    if (err->message[0] == '\0')
        abort();
}

static void check_same_file_metadata(const struct sl_parquet_file_metadata *a,
                                     const struct sl_parquet_file_metadata *b)
{
    if (a->version != b->version || a->num_rows != b->num_rows || a->n_schema != b->n_schema ||
        a->n_row_groups != b->n_row_groups ||
        a->n_key_value_metadata != b->n_key_value_metadata ||
        (a->key_value_metadata == NULL) != (b->key_value_metadata == NULL) ||
        a->n_column_orders != b->n_column_orders || a->created_by.len != b->created_by.len)
        abort();
    for (uint32_t i = 0; i < a->n_schema; i++) {
        if (a->schema[i].name.len != b->schema[i].name.len ||
            a->schema[i].logical_type.kind != b->schema[i].logical_type.kind ||
            a->schema[i].has_type != b->schema[i].has_type ||
            a->schema[i].type != b->schema[i].type)
            abort();
    }
    for (uint32_t i = 0; i < a->n_row_groups; i++) {
        const struct sl_parquet_row_group *ra = &a->row_groups[i], *rb = &b->row_groups[i];
        if (ra->n_columns != rb->n_columns || ra->num_rows != rb->num_rows)
            abort();
        for (uint32_t j = 0; j < ra->n_columns; j++) {
            const struct sl_parquet_column_chunk *ca = &ra->columns[j], *cb = &rb->columns[j];
            if (ca->has_meta_data != cb->has_meta_data ||
                ca->meta_data.num_values != cb->meta_data.num_values ||
                ca->meta_data.n_encodings != cb->meta_data.n_encodings ||
                ca->meta_data.has_statistics != cb->meta_data.has_statistics ||
                ca->meta_data.statistics.min_value.len != cb->meta_data.statistics.min_value.len)
                abort();
        }
    }
}

static void check_same_page_header(const struct sl_parquet_page_header *a,
                                   const struct sl_parquet_page_header *b)
{
    if (a->type != b->type || a->compressed_page_size != b->compressed_page_size ||
        a->uncompressed_page_size != b->uncompressed_page_size || a->has_crc != b->has_crc ||
        a->has_data_page_header != b->has_data_page_header ||
        a->has_dictionary_page_header != b->has_dictionary_page_header ||
        a->has_data_page_header_v2 != b->has_data_page_header_v2 ||
        a->data_page_header.num_values != b->data_page_header.num_values ||
        a->data_page_header_v2.num_values != b->data_page_header_v2.num_values ||
        a->data_page_header_v2.is_compressed != b->data_page_header_v2.is_compressed ||
        a->dictionary_page_header.num_values != b->dictionary_page_header.num_values)
        abort();
}

static void fuzz_file_metadata(const uint8_t *data, size_t size)
{
    struct sl_arena arena;
    struct sl_parquet_file_metadata md, again;
    struct sl_error err = {0};
    struct sl_buf first, second;
    size_t consumed = 0;
    int rc;

    sl_arena_init(&arena, 4096);
    sl_buf_init(&first, ENCODE_MAX);
    sl_buf_init(&second, ENCODE_MAX);
    rc = sl_parquet_file_metadata_decode(data, size, &arena, &md, &consumed, &err);
    if (rc != SL_OK) {
        check_failure(rc, &err);
        goto done;
    }
    if (consumed == 0 || consumed > size)
        abort();
    if (sl_parquet_file_metadata_encode(&md, &first, &err) != SL_OK)
        abort();
    rc = sl_parquet_file_metadata_decode((const uint8_t *)first.data, first.len, &arena, &again,
                                         &consumed, &err);
    if (rc != SL_OK || consumed != first.len)
        abort();
    check_same_file_metadata(&md, &again);
    if (sl_parquet_file_metadata_encode(&again, &second, &err) != SL_OK)
        abort();
    if (second.len != first.len || memcmp(first.data, second.data, first.len) != 0)
        abort();
done:
    sl_buf_free(&first);
    sl_buf_free(&second);
    sl_arena_free(&arena);
}

static void fuzz_page_header(const uint8_t *data, size_t size)
{
    struct sl_arena arena;
    struct sl_parquet_page_header ph, again;
    struct sl_error err = {0};
    struct sl_buf first, second;
    size_t consumed = 0;
    int rc;

    sl_arena_init(&arena, 1024);
    sl_buf_init(&first, ENCODE_MAX);
    sl_buf_init(&second, ENCODE_MAX);
    rc = sl_parquet_page_header_decode(data, size, &arena, &ph, &consumed, &err);
    if (rc != SL_OK) {
        check_failure(rc, &err);
        goto done;
    }
    if (consumed == 0 || consumed > size)
        abort();
    if (sl_parquet_page_header_encode(&ph, &first, &err) != SL_OK)
        abort();
    rc = sl_parquet_page_header_decode((const uint8_t *)first.data, first.len, &arena, &again,
                                       &consumed, &err);
    if (rc != SL_OK || consumed != first.len)
        abort();
    check_same_page_header(&ph, &again);
    if (sl_parquet_page_header_encode(&again, &second, &err) != SL_OK)
        abort();
    if (second.len != first.len || memcmp(first.data, second.data, first.len) != 0)
        abort();
done:
    sl_buf_free(&first);
    sl_buf_free(&second);
    sl_arena_free(&arena);
}

/* The input as the tail of a file: with its own trailer, or with one appended. */
static void fuzz_footer(const uint8_t *data, size_t size)
{
    struct sl_arena arena;
    struct sl_parquet_file_metadata md, again;
    struct sl_error err = {0};
    struct sl_buf tail, footer;
    uint32_t metadata_len = 0;
    int rc;

    sl_arena_init(&arena, 4096);
    sl_buf_init(&tail, ENCODE_MAX);
    sl_buf_init(&footer, ENCODE_MAX);
    rc = sl_parquet_footer_decode(data, size, &arena, &md, &err);
    if (rc != SL_OK)
        check_failure(rc, &err);

    /* input + length + PAR1: decodes exactly as the metadata decoder did */
    if (size <= UINT32_MAX) {
        uint8_t trailer[8] = {(uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16),
                              (uint8_t)(size >> 24), 'P', 'A', 'R', '1'};
        sl_buf_append(&tail, data, size);
        sl_buf_append(&tail, trailer, sizeof(trailer));
        rc = sl_parquet_footer_decode((const uint8_t *)tail.data, tail.len, &arena, &md, &err);
        if (rc != SL_OK) {
            check_failure(rc, &err);
            goto done;
        }
        if (sl_parquet_footer_size((const uint8_t *)tail.data, tail.len, &metadata_len, &err) !=
                SL_OK ||
            metadata_len != size)
            abort();
        if (sl_parquet_footer_encode(&md, &footer, &err) != SL_OK)
            abort();
        if (sl_parquet_footer_decode((const uint8_t *)footer.data, footer.len, &arena, &again,
                                     &err) != SL_OK)
            abort();
        check_same_file_metadata(&md, &again);
    }
done:
    sl_buf_free(&tail);
    sl_buf_free(&footer);
    sl_arena_free(&arena);
}

static void fuzz_skip(const uint8_t *data, size_t size)
{
    struct sl_thrift_reader r;
    struct sl_error err = {0};
    int rc;

    sl_thrift_reader_init(&r, data, size, &err);
    rc = sl_thrift_skip(&r, SL_THRIFT_STRUCT);
    if (rc == SL_OK && (r.pos == 0 || r.pos > size || r.depth != 0))
        abort();
    if (rc != SL_OK)
        check_failure(rc, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file_metadata(data, size);
    fuzz_page_header(data, size);
    fuzz_footer(data, size);
    fuzz_skip(data, size);
    return 0;
}

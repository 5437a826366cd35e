/*
 * Test helper: decodes a Parquet file's footer with our codec and writes the file back with
 * the footer re-encoded by us, so tests/integration/test_parquet_footer.py can check that
 * pyarrow reads the result as it read the original.
 *
 *   parquet_footer_tool reencode IN OUT   OUT = IN's bytes before its footer + our footer
 *   parquet_footer_tool check IN          decode only; exit 0 when the footer decodes
 *
 * Prints one line: `footer=identical|different old_len=N new_len=M` (reencode) or
 * `footer=ok num_rows=N row_groups=N` (check). Errors go to stderr, exit status 1.
 */
#include "parquet/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_all(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long size;

    if (f == NULL)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    *data = malloc(size > 0 ? (size_t)size : 1);
    if (*data == NULL) {
        fclose(f);
        return -1;
    }
    *len = fread(*data, 1, (size_t)size, f);
    fclose(f);
    return *len == (size_t)size ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct sl_arena arena;
    struct sl_parquet_file_metadata md;
    struct sl_error err = {0};
    struct sl_buf out;
    uint8_t *data = NULL;
    size_t len = 0, body_len;
    uint32_t metadata_len = 0;
    bool reencode = argc == 4 && strcmp(argv[1], "reencode") == 0;
    int status = 1;

    if (!reencode && !(argc == 3 && strcmp(argv[1], "check") == 0)) {
        fprintf(stderr, "usage: %s reencode IN OUT | check IN\n", argv[0]);
        return 2;
    }
    sl_arena_init(&arena, 64 * 1024);
    sl_buf_init(&out, SIZE_MAX);
    if (read_all(argv[2], &data, &len) != 0) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        goto done;
    }
    if (sl_parquet_footer_size(data, len, &metadata_len, &err) != SL_OK ||
        sl_parquet_footer_decode(data, len, &arena, &md, &err) != SL_OK) {
        fprintf(stderr, "%s: %s\n", argv[2], err.message);
        goto done;
    }
    body_len = len - SL_PARQUET_TRAILER_LEN - metadata_len;
    if (!reencode) {
        printf("footer=ok num_rows=%lld row_groups=%u\n", (long long)md.num_rows,
               md.n_row_groups);
        status = 0;
        goto done;
    }
    if (sl_buf_append(&out, data, body_len) != SL_OK ||
        sl_parquet_footer_encode(&md, &out, &err) != SL_OK) {
        fprintf(stderr, "%s: re-encoding: %s\n", argv[2], err.message);
        goto done;
    }
    {
        FILE *f = fopen(argv[3], "wb");
        size_t new_len = out.len - body_len - SL_PARQUET_TRAILER_LEN;
        bool identical = new_len == metadata_len &&
                         memcmp(out.data + body_len, data + body_len, new_len) == 0;
        if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[3]);
            goto done;
        }
        printf("footer=%s old_len=%u new_len=%zu\n", identical ? "identical" : "different",
               metadata_len, new_len);
    }
    status = 0;
done:
    free(data);
    sl_buf_free(&out);
    sl_arena_free(&arena);
    return status;
}

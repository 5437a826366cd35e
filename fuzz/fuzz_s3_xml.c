/*
 * libFuzzer target for the S3 backend's XML reader and the documents built
 * on it (ListObjectsV2 pages, <Error>, CreateMultipartUpload and DeleteObjects
 * answers): bytes
 * from the network. Never crash, leak, read out of bounds or hand back a
 * listing entry that is not a NUL-free string of its stated length.
 */
#include "s3_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_end(void *arg, const char *const *path, int depth, const char *text,
                     size_t text_len)
{
    (void)text;
    (void)text_len;
    if (depth < 1 || depth > SL_S3_XML_MAX_DEPTH || path[depth - 1] == NULL)
        abort();
    (*(size_t *)arg)++;
    return SL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct sl_s3_list_page page;
    struct sl_s3_error_doc error;
    size_t ends = 0;
    struct sl_s3_xml_handler handler = {.arg = &ends, .end = count_end};
    char *upload_id = NULL;
    struct sl_s3_delete_result deleted;

    (void)sl_s3_xml_parse(text, size, &handler, NULL);
    if (sl_s3_xml_parse_list(text, size, &page, NULL) == SL_OK) {
        for (size_t i = 0; i < page.items.count; i++) {
            if (page.items.entries[i].key == NULL || page.items.entries[i].key[0] == '\0')
                abort();
        }
        sl_s3_list_page_free(&page);
    }
    if (sl_s3_xml_parse_error(text, size, &error) == SL_OK &&
        (strlen(error.code) >= sizeof(error.code) ||
         strlen(error.message) >= sizeof(error.message)))
        abort();
    if (sl_s3_xml_parse_delete_result(text, size, &deleted, NULL) == SL_OK &&
        (strlen(deleted.key) >= sizeof(deleted.key) || strlen(deleted.code) >= sizeof(deleted.code) ||
         strlen(deleted.message) >= sizeof(deleted.message) ||
         (deleted.failed == 0 && deleted.code[0] != '\0')))
        abort();
    if (sl_s3_xml_parse_upload_id(text, size, &upload_id, NULL) == SL_OK) {
        if (upload_id == NULL || upload_id[0] == '\0')
            abort();
        sl_free(upload_id);
    }
    return 0;
}

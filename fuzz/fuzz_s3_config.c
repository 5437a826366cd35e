/*
 * libFuzzer target for the S3 backend's configuration parsers: the AWS
 * shared credentials / config INI text (read from the user's files), endpoint
 * URLs and s3:// URIs (from the environment). Never crash, leak or read past
 * the input; whatever parses must be well formed.
 */
#include "s3_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const LOOKUPS[][3] = {
        {"default", "aws_access_key_id", NULL}, {"default", "region", NULL},
        {"profile dev", "s3", "endpoint_url"},  {"profile dev", "s3", "addressing_style"},
        {"default", "s3", "endpoint_url"},      {"dev", "aws_secret_access_key", NULL},
    };
    const char *text = (const char *)data;
    struct sl_s3_endpoint endpoint;
    char *copy, *value = NULL, *bucket = NULL, *prefix = NULL;

    for (size_t i = 0; i < SL_ARRAY_LEN(LOOKUPS); i++) {
        if (sl_s3_ini_get(text, size, LOOKUPS[i][0], LOOKUPS[i][1], LOOKUPS[i][2], &value) ==
                SL_OK &&
            value != NULL) {
            if (strchr(value, '\n') != NULL)
                abort(); /* values never span lines */
            sl_free(value);
        }
    }
    copy = malloc(size + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    if (sl_s3_endpoint_parse(copy, &endpoint, NULL) == SL_OK) {
        if (endpoint.host == NULL || endpoint.host[0] == '\0' || endpoint.base_path == NULL ||
            endpoint.port < 0 || endpoint.port > 65535)
            abort();
        sl_s3_endpoint_free(&endpoint);
    }
    if (sl_s3_uri_parse(copy, &bucket, &prefix, NULL) == SL_OK) {
        size_t n = strlen(bucket);
        if (n < 3 || n > 63 || (prefix[0] != '\0' && prefix[strlen(prefix) - 1] == '/'))
            abort();
        sl_free(bucket);
        sl_free(prefix);
    }
    free(copy);
    return 0;
}

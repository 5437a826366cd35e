/*
 * libFuzzer target for the Avro reader (src/hudi/avro.c): the bytes as a
 * container file, as version 8 commit metadata, as one datum of a few fixed
 * schemas (every type, a recursive record, Hudi's write stat) and as schema
 * JSON. Never crash, leak, read out of bounds or outgrow the limits; what
 * decodes must print as JSON.
 */
#include "hudi/avro.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const schemas[] = {
    /* every type */
    ("{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"f\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"y\",\"type\":\"bytes\"},{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}},"
    "{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"X\",\"size\":3}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"long\",\"E\"]}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"X\"}}}]}"),
    /* a recursive list */
    ("{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
     "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}"),
    /* items that take no bytes: counts are bounded by memory alone */
    "{\"type\":\"array\",\"items\":\"null\"}",
    "{\"type\":\"map\",\"values\":{\"type\":\"record\",\"name\":\"Empty\",\"fields\":[]}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_avro_limits limits = {.max_depth = 24, .max_memory = (size_t)8 << 20};
    struct sl_avro_container file;
    struct sl_hudi_commit_meta meta;
    struct sl_avro_schema *schema = NULL;

    if (sl_avro_container_read(data, size, &limits, &file, NULL) == SL_OK) {
        char *text = json_dumps(file.records, JSON_COMPACT);
        if (text == NULL || file.schema == NULL || file.codec == NULL)
            abort();
        free(text);
        sl_avro_container_free(&file);
    }
    if (sl_hudi_commit_meta_parse_avro(data, size, &limits, &meta, NULL) == SL_OK)
        sl_hudi_commit_meta_free(&meta);
    for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
        json_t *value = NULL;
        size_t used = 0;
        if (sl_avro_schema_parse(schemas[i], strlen(schemas[i]), &limits, &schema, NULL) != SL_OK)
            abort();
        if (sl_avro_decode(schema, data, size, &limits, &used, &value, NULL) == SL_OK) {
            char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            if (text == NULL || used > size)
                abort();
            free(text);
            json_decref(value);
        }
        sl_avro_schema_free(schema);
        schema = NULL;
    }
    /* the bytes as a schema, then decoding the bytes with it */
    if (sl_avro_schema_parse((const char *)data, size, &limits, &schema, NULL) == SL_OK) {
        json_t *value = NULL;
        size_t used;
        if (sl_avro_decode(schema, data, size, &limits, &used, &value, NULL) == SL_OK)
            json_decref(value);
        sl_avro_schema_free(schema);
    }
    return 0;
}

/*
 * libFuzzer target for the Hudi format parsers. The first byte picks one:
 * 0 hoodie.properties text (sl_hudi_props_parse), 1 an Avro schema
 * (sl_hudi_schema_from_avro), 2 a bloom filter footer value
 * (sl_hudi_bloom_deserialize); the rest is the input. Besides never
 * crashing, leaking or reading out of bounds, each must round-trip: what
 * sluice writes from a parsed value parses back to the same value.
 */
#include "hudi/hudi_format.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_props(const char *text, size_t len)
{
    struct sl_hudi_props props = {0}, again = {0};
    struct sl_buf out;

    sl_buf_init(&out, (size_t)1 << 24);
    if (sl_hudi_props_parse(text, len, &props, NULL) != SL_OK)
        goto done;
    if (sl_hudi_props_get(&props, "hoodie.table.name") == NULL &&
        sl_hudi_props_set(&props, "hoodie.table.name", "t") != SL_OK)
        goto done;
    if (sl_hudi_props_format_at(&props, 0, &out, NULL) != SL_OK)
        goto done;
    if (sl_hudi_props_parse(out.data, out.len, &again, NULL) != SL_OK)
        abort(); /* sluice's own output must parse */
    for (uint32_t i = 0; i < props.count; i++) {
        const char *value = sl_hudi_props_get(&again, props.keys[i]);
        if (strcmp(props.keys[i], "hoodie.table.checksum") == 0)
            continue;
        if (value == NULL || strcmp(value, props.values[i]) != 0)
            abort();
    }
done:
    sl_hudi_props_free(&props);
    sl_hudi_props_free(&again);
    sl_buf_free(&out);
}

static void fuzz_schema(const char *json, size_t len)
{
    struct sl_hudi_schema *schema = NULL, *again = NULL, *copy = NULL;
    struct sl_buf first, second;

    sl_buf_init(&first, (size_t)1 << 24);
    sl_buf_init(&second, (size_t)1 << 24);
    if (sl_hudi_schema_from_avro(json, len, &schema, NULL) != SL_OK)
        goto done;
    if (sl_hudi_schema_copy(schema, &copy) != SL_OK ||
        sl_hudi_schema_check_evolution(schema, copy, "t", NULL) != SL_OK)
        abort(); /* a schema is a compatible evolution of itself */
    if (sl_hudi_schema_to_avro(schema, true, &first, NULL) != SL_OK)
        goto done; /* e.g. names Avro does not allow */
    if (sl_hudi_schema_from_avro(first.data, first.len, &again, NULL) != SL_OK ||
        sl_hudi_schema_to_avro(again, true, &second, NULL) != SL_OK || first.len != second.len ||
        memcmp(first.data, second.data, first.len) != 0)
        abort();
done:
    sl_hudi_schema_free(schema);
    sl_hudi_schema_free(again);
    sl_hudi_schema_free(copy);
    sl_buf_free(&first);
    sl_buf_free(&second);
}

static void fuzz_bloom(const char *text, size_t len)
{
    struct sl_hudi_bloom *bloom = NULL, *again = NULL;
    struct sl_buf first, second;

    sl_buf_init(&first, (size_t)1 << 26);
    sl_buf_init(&second, (size_t)1 << 26);
    if (sl_hudi_bloom_deserialize(text, len, &bloom, NULL) != SL_OK)
        goto done;
    (void)sl_hudi_bloom_might_contain(bloom, "id:1,name:Alice", 15);
    if (sl_hudi_bloom_serialize(bloom, &first, NULL) != SL_OK)
        goto done;
    if (sl_hudi_bloom_deserialize(first.data, first.len, &again, NULL) != SL_OK ||
        sl_hudi_bloom_serialize(again, &second, NULL) != SL_OK || first.len != second.len ||
        memcmp(first.data, second.data, first.len) != 0)
        abort();
    if (sl_hudi_bloom_add(again, "k\xc3\xa9", 3, NULL) == SL_OK &&
        !sl_hudi_bloom_might_contain(again, "k\xc3\xa9", 3))
        abort(); /* no false negatives */
done:
    sl_hudi_bloom_free(bloom);
    sl_hudi_bloom_free(again);
    sl_buf_free(&first);
    sl_buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text;

    if (size == 0)
        return 0;
    text = (const char *)data + 1;
    switch (data[0] % 3) {
    case 0:
        fuzz_props(text, size - 1);
        break;
    case 1:
        fuzz_schema(text, size - 1);
        break;
    default:
        fuzz_bloom(text, size - 1);
        break;
    }
    return 0;
}

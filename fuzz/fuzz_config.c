/*
 * libFuzzer target for the config loader (libyaml + the key table walk):
 * every input is loaded without environment overrides; a loaded config is
 * read through the lookup and write-options paths. It must never crash, leak
 * or read out of bounds, and every failure must carry a message.
 */
#include "sluice/config.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t touched;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_config *config = NULL;
    struct sl_error err = {0};
    size_t total = 0;

    int rc = sl_config_load_text_env((const char *)data, size, "fuzz.yaml", NULL, NULL, &config,
                                     &err);
    if (rc != SL_OK) {
        if (config != NULL || err.message[0] == '\0')
            abort(); /* a failure leaves no config and always says why */
        total += strlen(err.message);
        touched = total;
        return 0;
    }
    if (config->lake != NULL)
        total += strlen(config->lake);
    for (size_t i = 0; i < config->ntables; i++) {
        const struct sl_table_config *t = &config->tables[i];
        struct sl_table_config merged;
        struct sl_hudi_write_options options;
        memset(&options, 0, sizeof(options));
        sl_config_table(config, t->schema_name, t->table_name, &merged);
        if (merged.schema_name == NULL || merged.small_file_bytes > merged.max_file_bytes)
            abort(); /* a named table is found; small <= max always holds */
        sl_config_write_options(&merged, &options);
        total += strlen(options.database) + strlen(options.table_name) +
                 (options.partition_column ? strlen(options.partition_column) : 0);
    }
    sl_config_free(config);
    touched = total; /* keeps the reads from being optimised away */
    return 0;
}

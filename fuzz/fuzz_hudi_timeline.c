/*
 * libFuzzer target for what sluice reads off a Hudi timeline: commit
 * metadata JSON and instant / base file names. Never crash, leak or read out
 * of bounds; a parsed commit must format and parse again.
 */
#include "hudi/timeline.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_hudi_commit_meta meta;
    struct sl_hudi_timeline tl = {0};
    struct sl_hudi_base_name base;
    char *name = malloc(size + 1);

    if (name == NULL)
        return 0;
    memcpy(name, data, size);
    name[size] = '\0';
    (void)sl_hudi_timeline_add_name(&tl, name);
    (void)sl_hudi_base_name_parse(name, &base);
    sl_hudi_timeline_free(&tl);
    if (sl_hudi_commit_meta_parse((const char *)data, size, &meta, NULL) == SL_OK) {
        struct sl_buf text;
        struct sl_hudi_commit_meta again;
        sl_buf_init(&text, 64 << 20);
        if (sl_hudi_commit_meta_format(&meta, &text, NULL) == SL_OK) {
            if (sl_hudi_commit_meta_parse(text.data, text.len, &again, NULL) != SL_OK ||
                again.nstats != meta.nstats || again.nreplaced != meta.nreplaced)
                abort();
            sl_hudi_commit_meta_free(&again);
        }
        sl_buf_free(&text);
        sl_hudi_commit_meta_free(&meta);
    }
    free(name);
    return 0;
}

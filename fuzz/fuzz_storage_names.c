/*
 * libFuzzer target for the storage texts that come from outside: fault plans
 * (SLUICE_FAULT_INJECT) and object keys. Neither may crash or leak, and a key
 * the checker accepts must really stay below the store root.
 */
#include "sluice/storage.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The promises of sl_object_key_check, re-derived the slow way. */
static void check_accepted_key(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > 1024 || key[0] == '/' || key[len - 1] == '/' ||
        strstr(key, "//") != NULL || strstr(key, SL_STORAGE_TEMP_MARKER) != NULL)
        abort();
    char *copy = strdup(key);
    if (copy == NULL)
        return;
    for (char *save = NULL, *seg = strtok_r(copy, "/", &save); seg != NULL;
         seg = strtok_r(NULL, "/", &save))
        if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
            abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_fault_plan plan;
    struct sl_error err;
    char *text = malloc(size + 1);

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an embedded NUL ends the text, as it would in a C string */
    if (sl_fault_plan_parse(text, &plan, &err) == SL_OK) {
        if ((unsigned)plan.op > SL_FAULT_READ_AT || plan.nth < 0 || plan.code > 0 ||
            memchr(plan.key_contains, '\0', sizeof(plan.key_contains)) == NULL ||
            (plan.crash && plan.nth == 0))
            abort();
    } else if (memchr(err.message, '\0', sizeof(err.message)) == NULL) {
        abort();
    }
    if (sl_object_key_check(text, &err) == SL_OK)
        check_accepted_key(text);
    free(text);
    return 0;
}

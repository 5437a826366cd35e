/* Runs the unit_tests[] of one test file; exit status 1 if any failed. */
#include "unit.h"

#include <stdlib.h>

int unit_current_failed;

unsigned char *unit_read_file(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    unsigned char *bytes = NULL;
    long size;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "  cannot open %s\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        bytes = malloc(size > 0 ? (size_t)size : 1);
        if (bytes != NULL && fread(bytes, 1, (size_t)size, f) != (size_t)size) {
            free(bytes);
            bytes = NULL;
        }
        if (bytes != NULL)
            *len = (size_t)size;
    }
    if (bytes == NULL)
        fprintf(stderr, "  cannot read %s\n", path);
    fclose(f);
    return bytes;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    const char *only = argc > 1 ? argv[1] : NULL;

    for (size_t i = 0; i < unit_test_count; i++) {
        if (only != NULL && strcmp(only, unit_tests[i].name) != 0)
            continue;
        unit_current_failed = 0;
        unit_tests[i].fn();
        if (unit_current_failed) {
            fprintf(stderr, "FAIL %s\n", unit_tests[i].name);
            failed++;
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Runs the unit_tests[] of one test file; exit status 1 if any failed. */
#include "unit.h"

#include <stdlib.h>

int unit_current_failed;

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

/*
 * A minimal unit-test harness: CHECK records a failure and continues,
 * REQUIRE stops the current test. Each test file defines unit_tests[] and
 * unit.c's main runs them and prints "N passed, N failed".
 */
#ifndef SLUICE_UNIT_H
#define SLUICE_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
};

extern const struct unit_test unit_tests[];
extern const size_t unit_test_count;
extern int unit_current_failed;

/*
 * Reads the whole file dir/name (test data); caller frees the result with free().
 * Prints what failed and returns NULL when the file cannot be read.
 */
unsigned char *unit_read_file(const char *dir, const char *name, size_t *len);

#define UNIT_TESTS(...)                                                                            \
    const struct unit_test unit_tests[] = {__VA_ARGS__};                                           \
    const size_t unit_test_count = sizeof(unit_tests) / sizeof(unit_tests[0]);
#define UNIT_TEST(fn) {#fn, fn}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            unit_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);           \
            unit_current_failed = 1;                                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(actual, expected)                                                                \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        if (a_ == NULL || strcmp(a_, e_) != 0) {                                                   \
            fprintf(stderr, "  %s:%d: CHECK_STR failed: got \"%s\", want \"%s\"\n", __FILE__,     \
                    __LINE__, a_ ? a_ : "(null)", e_);                                             \
            unit_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(actual, expected)                                                                \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        if (a_ != e_) {                                                                            \
            fprintf(stderr, "  %s:%d: CHECK_INT failed: %s = %lld, want %lld\n", __FILE__,        \
                    __LINE__, #actual, a_, e_);                                                    \
            unit_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#endif

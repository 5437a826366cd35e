/*
 * Test tool for the PostgreSQL text conversions (src/change/convert.c).
 *
 *   convert_tool < lines    each "type<TAB>text" line -> "OK<TAB>result" or the error name
 *   convert_tool bench [N]  ns per value of each conversion and lines/s of the JSON reader
 *                           (N change lines, default 1000000)
 *
 * Types and results: bool (t/f), int2/int4/int8 (decimal), float4/float8 (IEEE bits
 * in hex), numeric(p,s) (the unscaled value's big-endian two's complement bytes in hex,
 * in the smallest width that holds p digits), date (days), time (micros), timestamp and
 * timestamptz (micros since the epoch), bytea (hex). tests/integration/test_convert.py
 * compares these with what PostgreSQL itself says.
 */
#include "sluice/change.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES (1 << 20)

static void print_hex(const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", bytes[i]);
}

/* Smallest byte width whose two's complement holds every p-digit value (as Parquet). */
static size_t decimal_width(int32_t precision)
{
    for (size_t width = 1; width < 16; width++) {
        /* 10^p - 1 <= 2^(8w-1) - 1 */
        double max = 1;
        for (int i = 0; i < precision; i++)
            max *= 10;
        double room = 1;
        for (size_t b = 0; b < 8 * width - 1; b++)
            room *= 2;
        if (max <= room)
            return width;
    }
    return 16;
}

static const char *code_name(int rc)
{
    return rc == SL_EINVAL ? "EINVAL" : rc == SL_ELIMIT ? "ELIMIT" : sl_error_code_name(rc);
}

/* Converts one value and prints the result line. */
static void convert_one(const char *type, const char *text, size_t len, uint8_t *scratch)
{
    int rc = SL_EINVAL;
    int32_t precision, scale;

    if (strcmp(type, "bool") == 0) {
        bool v;
        if ((rc = sl_pg_text_to_bool(text, len, &v)) == SL_OK)
            printf("OK\t%c\n", v ? 't' : 'f');
    } else if (strcmp(type, "int2") == 0 || strcmp(type, "int4") == 0 ||
               strcmp(type, "int8") == 0) {
        int64_t v, min = type[3] == '2' ? INT16_MIN : type[3] == '4' ? INT32_MIN : INT64_MIN;
        int64_t max = type[3] == '2' ? INT16_MAX : type[3] == '4' ? INT32_MAX : INT64_MAX;
        if ((rc = sl_pg_text_to_int64(text, len, min, max, &v)) == SL_OK)
            printf("OK\t%" PRId64 "\n", v);
    } else if (strcmp(type, "float4") == 0) {
        float v;
        uint32_t bits;
        if ((rc = sl_pg_text_to_float(text, len, &v)) == SL_OK) {
            memcpy(&bits, &v, sizeof(bits));
            printf("OK\t%08" PRIx32 "\n", bits);
        }
    } else if (strcmp(type, "float8") == 0) {
        double v;
        uint64_t bits;
        if ((rc = sl_pg_text_to_double(text, len, &v)) == SL_OK) {
            memcpy(&bits, &v, sizeof(bits));
            printf("OK\t%016" PRIx64 "\n", bits);
        }
    } else if (sscanf(type, "numeric(%" SCNd32 ",%" SCNd32 ")", &precision, &scale) == 2) {
        size_t width = decimal_width(precision);
        if ((rc = sl_pg_text_to_decimal(text, len, precision, scale, scratch, width)) == SL_OK) {
            printf("OK\t");
            print_hex(scratch, width);
            printf("\n");
        }
    } else if (strcmp(type, "date") == 0) {
        int32_t days;
        if ((rc = sl_pg_text_to_date(text, len, &days)) == SL_OK)
            printf("OK\t%" PRId32 "\n", days);
    } else if (strcmp(type, "time") == 0) {
        int64_t micros;
        if ((rc = sl_pg_text_to_time_micros(text, len, &micros)) == SL_OK)
            printf("OK\t%" PRId64 "\n", micros);
    } else if (strcmp(type, "timestamp") == 0 || strcmp(type, "timestamptz") == 0) {
        int64_t micros;
        if ((rc = sl_pg_text_to_timestamp_micros(text, len, type[9] == 't', &micros)) == SL_OK)
            printf("OK\t%" PRId64 "\n", micros);
    } else if (strcmp(type, "bytea") == 0) {
        size_t n;
        if ((rc = sl_pg_text_to_bytea(text, len, scratch, LINE_MAX_BYTES, &n)) == SL_OK) {
            printf("OK\t");
            print_hex(scratch, n);
            printf("\n");
        }
    } else {
        printf("unknown type %s\n", type);
        return;
    }
    if (rc != SL_OK)
        printf("%s\n", code_name(rc));
}

static int convert_lines(void)
{
    char *line = malloc(LINE_MAX_BYTES + 2);
    uint8_t *scratch = malloc(LINE_MAX_BYTES);
    if (line == NULL || scratch == NULL) {
        fprintf(stderr, "convert_tool: out of memory\n");
        free(line);
        free(scratch);
        return 1;
    }
    while (fgets(line, LINE_MAX_BYTES + 2, stdin) != NULL) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            printf("no tab\n");
            continue;
        }
        *tab = '\0';
        convert_one(line, tab + 1, len - (size_t)(tab + 1 - line), scratch);
    }
    free(line);
    free(scratch);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- bench */

/* CPU time of this thread: the machine running the bench may be busy with other work. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink_total; /* keeps the conversions from being optimised away */

#define BENCH_VALUES 4096
#define BENCH_ROUNDS 500

/* One conversion; returns its status and adds something of the result to *total. */
typedef int (*bench_fn)(const char *text, size_t len, uint64_t *total);

static int run_bool(const char *t, size_t n, uint64_t *total)
{
    bool v = false;
    int rc = sl_pg_text_to_bool(t, n, &v);
    *total += (uint64_t)(v);
    return rc;
}

static int run_int64(const char *t, size_t n, uint64_t *total)
{
    int64_t v = 0;
    int rc = sl_pg_text_to_int64(t, n, INT64_MIN, INT64_MAX, &v);
    *total += (uint64_t)(v);
    return rc;
}

static int run_double(const char *t, size_t n, uint64_t *total)
{
    double v = 0;
    int rc = sl_pg_text_to_double(t, n, &v);
    *total += (uint64_t)(v != 0);
    return rc;
}

static int run_float(const char *t, size_t n, uint64_t *total)
{
    float v = 0;
    int rc = sl_pg_text_to_float(t, n, &v);
    *total += (uint64_t)(v != 0);
    return rc;
}

static int run_decimal_12_2(const char *t, size_t n, uint64_t *total)
{
    uint8_t out[6] = {0};
    int rc = sl_pg_text_to_decimal(t, n, 12, 2, out, sizeof(out));
    *total += (uint64_t)(out[5]);
    return rc;
}

static int run_decimal_38_10(const char *t, size_t n, uint64_t *total)
{
    uint8_t out[16] = {0};
    int rc = sl_pg_text_to_decimal(t, n, 38, 10, out, sizeof(out));
    *total += (uint64_t)(out[15]);
    return rc;
}

static int run_date(const char *t, size_t n, uint64_t *total)
{
    int32_t v = 0;
    int rc = sl_pg_text_to_date(t, n, &v);
    *total += (uint64_t)(v);
    return rc;
}

static int run_time(const char *t, size_t n, uint64_t *total)
{
    int64_t v = 0;
    int rc = sl_pg_text_to_time_micros(t, n, &v);
    *total += (uint64_t)(v);
    return rc;
}

static int run_timestamptz(const char *t, size_t n, uint64_t *total)
{
    int64_t v = 0;
    int rc = sl_pg_text_to_timestamp_micros(t, n, true, &v);
    *total += (uint64_t)(v);
    return rc;
}

static int run_bytea(const char *t, size_t n, uint64_t *total)
{
    uint8_t out[64];
    size_t len = 0;
    int rc = sl_pg_text_to_bytea(t, n, out, sizeof(out), &len);
    *total += len + (len > 0 ? out[0] : 0);
    return rc;
}

struct bench_case {
    const char *name;
    bench_fn fn;
    const char *const *texts;
    size_t ntexts;
};

static void bench_conversion(const struct bench_case *bc)
{
    const char *texts[BENCH_VALUES];
    size_t lens[BENCH_VALUES];
    uint64_t total = 0; /* wraps */
    int errors = 0;

    for (size_t i = 0; i < BENCH_VALUES; i++) {
        texts[i] = bc->texts[i % bc->ntexts];
        lens[i] = strlen(texts[i]);
    }
    double start = now_seconds();
    for (int round = 0; round < BENCH_ROUNDS; round++)
        for (size_t i = 0; i < BENCH_VALUES; i++)
            errors += bc->fn(texts[i], lens[i], &total) != SL_OK;
    double elapsed = now_seconds() - start;
    printf("%-16s %7.1f ns/value (CPU)%s\n", bc->name,
           elapsed * 1e9 / ((double)BENCH_VALUES * BENCH_ROUNDS), errors ? "  (errors!)" : "");
    sink_total += total;
}

struct count_sink {
    uint64_t changes, values;
};

static int count_change(void *ctx, const struct sl_change *change, struct sl_error *err)
{
    struct count_sink *count = ctx;
    (void)err;
    count->changes++;
    for (uint32_t i = 0; change->after && i < change->table->ncolumns; i++)
        count->values += change->after[i].len;
    return SL_OK;
}

/* N change lines of a 6-column table as tail writes them, then read back and timed. */
static int bench_reader(uint64_t nlines)
{
    static const char *const names[] = {"id", "name", "amount", "created_at", "active", "ratio"};
    static const char *const types[] = {"int8", "text", "numeric(12,2)", "timestamptz", "bool",
                                        "float8"};
    static const uint32_t oids[] = {SL_PG_OID_INT8, SL_PG_OID_TEXT, SL_PG_OID_NUMERIC,
                                    SL_PG_OID_TIMESTAMPTZ, SL_PG_OID_BOOL, SL_PG_OID_FLOAT8};
    struct sl_table_schema *t = sl_table_schema_new(6);
    struct sl_change_json_reader *r = NULL;
    struct sl_buf out;
    struct sl_error err;
    struct count_sink count = {0, 0};
    struct sl_change_sink sink = {&count, NULL, NULL, count_change, NULL};
    size_t *ends = malloc(sizeof(size_t) * (nlines + 1));
    int rc = 1;

    sl_buf_init(&out, SIZE_MAX);
    if (t == NULL || ends == NULL)
        goto done;
    t->schema_name = sl_strdup("public");
    t->table_name = sl_strdup("orders");
    for (int i = 0; i < 6; i++) {
        t->columns[i].name = sl_strdup(names[i]);
        t->columns[i].type_name = sl_strdup(types[i]);
        t->columns[i].type_oid = t->columns[i].base_type_oid = oids[i];
        t->columns[i].type_class = sl_type_class_of_oid(oids[i]);
        t->columns[i].type_mod = -1;
        t->columns[i].nullable = i != 0;
        t->columns[i].key = i == 0;
    }
    if (sl_change_json_prepare(t) != SL_OK || sl_change_json_schema(&out, t) != SL_OK)
        goto done;
    ends[0] = out.len;
    for (uint64_t i = 0; i < nlines; i++) {
        char id[24], name[48], amount[24], ts[40], ratio[32];
        struct sl_txn_info txn = {(uint32_t)(1000 + i / 10), 0x1000000 + (i / 10) * 0x100,
                                  0x1000000 + (i / 10) * 0x100, 1764115200123 + (int64_t)i};
        snprintf(id, sizeof(id), "%" PRIu64, i + 1);
        snprintf(name, sizeof(name), "customer \"%" PRIu64 "\" caf\xc3\xa9", i * 7919 % 100000);
        snprintf(amount, sizeof(amount), "%" PRIu64 ".%02u", i % 100000, (unsigned)(i % 100));
        snprintf(ts, sizeof(ts), "2024-%02u-%02u %02u:%02u:%02u.%06u+00",
                 (unsigned)(1 + i % 12), (unsigned)(1 + i % 28), (unsigned)(i % 24),
                 (unsigned)(i % 60), (unsigned)(i * 7 % 60), (unsigned)(i * 7919 % 1000000));
        snprintf(ratio, sizeof(ratio), "%.17g", (double)i / 7.0);
        struct sl_value after[6] = {
            {SL_VALUE_TEXT, (uint32_t)strlen(id), id},
            {SL_VALUE_TEXT, (uint32_t)strlen(name), name},
            {SL_VALUE_TEXT, (uint32_t)strlen(amount), amount},
            {SL_VALUE_TEXT, (uint32_t)strlen(ts), ts},
            {SL_VALUE_TEXT, 1, i % 2 ? "t" : "f"},
            {SL_VALUE_TEXT, (uint32_t)strlen(ratio), ratio},
        };
        struct sl_change change = {SL_OP_INSERT, t, &txn, txn.commit_lsn - 0x50 + i % 10,
                                   NULL, after, false, false};
        if (sl_change_json_change(&out, &change) != SL_OK)
            goto done;
        ends[i + 1] = out.len;
    }
    if (sl_change_json_reader_new(&r) != SL_OK)
        goto done;
    double start = now_seconds();
    size_t begin = 0;
    for (uint64_t i = 0; i <= nlines; i++) {
        /* each line without its newline */
        if (sl_change_json_reader_feed(r, out.data + begin, ends[i] - begin - 1, i + 1, &sink,
                                       &err) != SL_OK) {
            fprintf(stderr, "convert_tool: %s\n", err.message);
            goto done;
        }
        begin = ends[i];
    }
    if (sl_change_json_reader_finish(r, &sink, &err) != SL_OK)
        goto done;
    double elapsed = now_seconds() - start;
    printf("reader: %" PRIu64 " lines (%.1f MB, 6 columns) in %.3f s CPU: %.0f lines/s, "
           "%.0f MB/s\n",
           count.changes, (double)out.len / 1e6, elapsed, (double)count.changes / elapsed,
           (double)out.len / 1e6 / elapsed);
    /* for scale: jansson only building its tree of each line, no schema, no values */
    start = now_seconds();
    begin = 0;
    for (uint64_t i = 0; i <= nlines; i++) {
        json_error_t error;
        json_t *root = json_loadb(out.data + begin, ends[i] - begin - 1, 0, &error);
        if (root == NULL) {
            fprintf(stderr, "convert_tool: jansson: %s\n", error.text);
            goto done;
        }
        json_decref(root);
        begin = ends[i];
    }
    elapsed = now_seconds() - start;
    printf("jansson json_loadb of the same lines: %.0f lines/s\n", (double)(nlines + 1) / elapsed);
    rc = count.changes == nlines ? 0 : 1;
done:
    sl_change_json_reader_free(r);
    sl_table_schema_free(t);
    sl_buf_free(&out);
    free(ends);
    return rc;
}

static int bench(uint64_t nlines)
{
    static const char *const bools[] = {"t", "f"};
    static const char *const ints[] = {"1", "-42", "123456789", "9223372036854775807", "70000"};
    /* typical data: up to 16 digits, small exponents (the exact fast path) */
    static const char *const doubles[] = {"3.141592653589793", "0.1", "-1.5e+20",
                                          "2.718281828459045", "1e-07", "12345.678"};
    /* shortest texts of random bit patterns: 17 digits, any exponent (strtod) */
    static const char *const doubles_wide[] = {
        "-2.2250738585072014e-308", "1.7976931348623157e+308", "6.02214076e+23",
        "-4.940656458412465e-324",  "1.2345678901234567e-100", "9.007199254740993e+15"};
    static const char *const floats[] = {"3.1415927", "0.1", "-1.5e+20", "2.7182817", "1e-07"};
    static const char *const floats_wide[] = {"3.4028235e+38", "-1.1754944e-38", "1e-45",
                                              "6.0221409e+23"};
    static const char *const decimals[] = {"12.50", "-0.01", "99999.99", "0.00", "1234567.89"};
    static const char *const decimals38[] = {"1234567890123456789.0123456789", "-0.0000000001",
                                             "42"};
    static const char *const dates[] = {"2024-01-15", "1999-12-31", "0044-03-15 BC",
                                        "2000-02-29"};
    static const char *const times[] = {"10:15:30", "23:59:59.999999", "00:00:00.5"};
    static const char *const stamps[] = {"2024-01-15 10:15:30.5+00", "1999-12-31 23:59:59+05:30",
                                         "2024-07-01 00:00:00.123456-03:00:12"};
    static const char *const byteas[] = {"\\x0102ff", "\\xdeadbeefdeadbeefdeadbeefdeadbeef",
                                         "\\x"};
    const struct bench_case cases[] = {
        {"bool", run_bool, bools, SL_ARRAY_LEN(bools)},
        {"int64", run_int64, ints, SL_ARRAY_LEN(ints)},
        {"double", run_double, doubles, SL_ARRAY_LEN(doubles)},
        {"double (wide)", run_double, doubles_wide, SL_ARRAY_LEN(doubles_wide)},
        {"float", run_float, floats, SL_ARRAY_LEN(floats)},
        {"float (wide)", run_float, floats_wide, SL_ARRAY_LEN(floats_wide)},
        {"decimal(12,2)", run_decimal_12_2, decimals, SL_ARRAY_LEN(decimals)},
        {"decimal(38,10)", run_decimal_38_10, decimals38, SL_ARRAY_LEN(decimals38)},
        {"date", run_date, dates, SL_ARRAY_LEN(dates)},
        {"time", run_time, times, SL_ARRAY_LEN(times)},
        {"timestamptz", run_timestamptz, stamps, SL_ARRAY_LEN(stamps)},
        {"bytea", run_bytea, byteas, SL_ARRAY_LEN(byteas)},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++)
        bench_conversion(&cases[i]);
    return bench_reader(nlines);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "bench") == 0) {
        uint64_t n = 1000000;
        if (argc >= 3 && (sl_parse_u64(argv[2], &n) != SL_OK || n == 0)) {
            fprintf(stderr, "usage: convert_tool bench [lines]\n");
            return 2;
        }
        return bench(n);
    }
    if (argc != 1) {
        fprintf(stderr, "usage: convert_tool < lines | convert_tool bench [lines]\n");
        return 2;
    }
    return convert_lines();
}

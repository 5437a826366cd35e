/*
 * Test tool: writes a Parquet file with every column type sluice writes,
 * filled with seeded pseudo-random values (NULLs, extremes, empty and long
 * strings included), and the same rows as JSON lines, so an independent
 * reader (pyarrow, in tests/integration/test_parquet_writer.py) can check
 * the file value for value.
 *
 * usage: parquet_write_tool OUT.parquet OUT.jsonl ROWS SEED CODEC DICT PAGE_BYTES ROW_GROUP_BYTES
 *   CODEC: none|snappy|gzip|zstd   DICT: 0|1
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/change.h"
#include "sluice/parquet.h"

static uint64_t rng_state;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool chance(int percent)
{
    return (int)(next_random() % 100) < percent;
}

enum {
    C_ID, C_B, C_I32, C_I64, C_F, C_D, C_S, C_LOW, C_J, C_BIN, C_DEC, C_DEC38, C_DT, C_TM, C_TS,
    C_TSL, C_NULLS, NCOLS
};

static const struct sl_parquet_column_spec specs[NCOLS] = {
    {"id", SL_PARQUET_COL_INT64, false, false, 0, 0},
    {"b", SL_PARQUET_COL_BOOLEAN, true, false, 0, 0},
    {"i32", SL_PARQUET_COL_INT32, true, false, 0, 0},
    {"i64", SL_PARQUET_COL_INT64, true, false, 0, 0},
    {"f", SL_PARQUET_COL_FLOAT, true, false, 0, 0},
    {"d", SL_PARQUET_COL_DOUBLE, true, false, 0, 0},
    {"s", SL_PARQUET_COL_STRING, true, false, 0, 0},
    {"low", SL_PARQUET_COL_STRING, true, false, 0, 0},
    {"j", SL_PARQUET_COL_JSON, true, false, 0, 0},
    {"bin", SL_PARQUET_COL_BYTES, true, false, 0, 0},
    {"dec", SL_PARQUET_COL_DECIMAL, true, false, 12, 2},
    {"dec38", SL_PARQUET_COL_DECIMAL, true, false, 38, 10},
    {"dt", SL_PARQUET_COL_DATE, true, false, 0, 0},
    {"tm", SL_PARQUET_COL_TIME_MICROS, true, false, 0, 0},
    {"ts", SL_PARQUET_COL_TIMESTAMP_MICROS, true, true, 0, 0},
    {"tsl", SL_PARQUET_COL_TIMESTAMP_MICROS, true, false, 0, 0},
    {"nulls", SL_PARQUET_COL_STRING, true, false, 0, 0},
};

struct batch {
    uint8_t valid[NCOLS][1024];
    int64_t i64[NCOLS][1024];
    int32_t i32[NCOLS][1024];
    float f32[1024];
    double f64[1024];
    uint8_t booleans[1024];
    uint8_t fixed[NCOLS][1024 * 16];
    uint32_t offsets[NCOLS][1025];
    struct sl_buf bytes[NCOLS];
};

static void put_string(struct batch *b, int col, size_t row, const char *s, size_t len)
{
    sl_buf_append(&b->bytes[col], s, len);
    b->offsets[col][row + 1] = (uint32_t)b->bytes[col].len;
}

/* Fills a big-endian two's complement of `width` bytes from a signed 128-bit-ish value. */
static void put_decimal(uint8_t *out, size_t width, int64_t hi, uint64_t lo)
{
    for (size_t i = 0; i < width; i++) {
        size_t shift = (width - 1 - i) * 8;
        uint8_t byte;
        if (shift < 64)
            byte = (uint8_t)(lo >> shift);
        else if (shift < 128)
            byte = (uint8_t)((uint64_t)hi >> (shift - 64));
        else
            byte = hi < 0 ? 0xff : 0;
        out[i] = byte;
    }
}

int main(int argc, char **argv)
{
    struct sl_parquet_writer_options options;
    struct sl_parquet_writer *writer = NULL;
    struct sl_write_stream out;
    struct sl_error err;
    struct batch *b = calloc(1, sizeof(*b));
    struct sl_buf line;
    FILE *jsonl;

    if (argc != 9 || b == NULL) {
        fprintf(stderr, "usage: %s OUT.parquet OUT.jsonl ROWS SEED CODEC DICT PAGE_BYTES "
                        "ROW_GROUP_BYTES\n", argv[0]);
        return 2;
    }
    long rows = atol(argv[3]);
    rng_state = strtoull(argv[4], NULL, 10) * 2654435761u + 1;
    sl_parquet_writer_options_default(&options);
    const char *codec = argv[5];
    options.codec = strcmp(codec, "snappy") == 0 ? SL_PARQUET_COMPRESSION_SNAPPY
                    : strcmp(codec, "gzip") == 0 ? SL_PARQUET_COMPRESSION_GZIP
                    : strcmp(codec, "zstd") == 0 ? SL_PARQUET_COMPRESSION_ZSTD
                                                 : SL_PARQUET_COMPRESSION_NONE;
    options.dictionary = atoi(argv[6]) != 0;
    options.page_bytes = strtoull(argv[7], NULL, 10);
    options.row_group_bytes = strtoull(argv[8], NULL, 10);
    options.dictionary_page_limit = 64 * 1024; /* small, so high-cardinality columns fall back */

    jsonl = fopen(argv[2], "w");
    if (jsonl == NULL || sl_file_write_stream_open(argv[1], &out, &err) != SL_OK ||
        sl_parquet_writer_open(specs, NCOLS, &options, &out, &writer, &err) != SL_OK ||
        sl_parquet_writer_set_kv(writer, "sluice.test", "{\"seed\": 1}", &err) != SL_OK) {
        fprintf(stderr, "open failed: %s\n", err.message);
        return 1;
    }
    for (int c = 0; c < NCOLS; c++)
        sl_buf_init(&b->bytes[c], (size_t)1 << 30);
    sl_buf_init(&line, (size_t)1 << 30);

    for (long first = 0; first < rows; first += 1024) {
        size_t n = (size_t)SL_MIN(1024, rows - first);
        for (int c = 0; c < NCOLS; c++) {
            sl_buf_reset(&b->bytes[c]);
            b->offsets[c][0] = 0;
        }
        for (size_t r = 0; r < n; r++) {
            int64_t id = first + (long)r;
            for (int c = 0; c < NCOLS; c++)
                b->valid[c][r] = c == C_ID ? 1 : c == C_NULLS ? 0 : !chance(10);
            b->i64[C_ID][r] = id;
            b->booleans[r] = chance(50);
            static const int32_t i32_edges[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
            b->i32[C_I32][r] = chance(10) ? i32_edges[next_random() % 5] : (int32_t)next_random();
            static const int64_t i64_edges[] = {INT64_MIN, INT64_MAX, 0, -1, 1};
            b->i64[C_I64][r] = chance(10) ? i64_edges[next_random() % 5] : (int64_t)next_random();
            static const float f_edges[] = {0.0f, -0.0f, 1e-45f, 3.4028235e38f, -1.5f};
            b->f32[r] = chance(10) ? f_edges[next_random() % 5]
                                   : (float)((double)(int32_t)next_random() / 1000.0);
            static const double d_edges[] = {0.0, -0.0, 5e-324, 1.7976931348623157e308, -2.5};
            b->f64[r] = chance(10) ? d_edges[next_random() % 5]
                                   : (double)(int64_t)next_random() / 1e9;
            /* strings: empty, short, unicode, occasionally long */
            char text[5000];
            size_t len = next_random() % 20;
            if (chance(2))
                len = 3000 + next_random() % 1500;
            for (size_t i = 0; i < len; i++)
                text[i] = (char)('a' + next_random() % 26);
            if (chance(5) && len >= 2) {
                text[0] = (char)0xc3; /* é */
                text[1] = (char)0xa9;
            }
            put_string(b, C_S, r, text, b->valid[C_S][r] ? len : 0);
            static const char *const lows[] = {"red", "green", "blue", "", "yellow"};
            const char *low = lows[next_random() % 5];
            put_string(b, C_LOW, r, low, b->valid[C_LOW][r] ? strlen(low) : 0);
            char json[64];
            int jl = snprintf(json, sizeof(json), "{\"k\": %d}", (int)(next_random() % 1000));
            put_string(b, C_J, r, json, b->valid[C_J][r] ? (size_t)jl : 0);
            uint8_t bin[8];
            size_t bl = next_random() % 9;
            for (size_t i = 0; i < bl; i++)
                bin[i] = (uint8_t)next_random();
            put_string(b, C_BIN, r, (const char *)bin, b->valid[C_BIN][r] ? bl : 0);
            put_string(b, C_NULLS, r, "", 0);
            /* decimal(12,2): |unscaled| < 10^12 */
            int64_t unscaled = (int64_t)(next_random() % 1999999999999ULL) - 999999999999LL;
            put_decimal(b->fixed[C_DEC] + r * 6, 6, unscaled < 0 ? -1 : 0, (uint64_t)unscaled);
            b->i64[C_DEC][r] = unscaled;
            /* decimal(38,10) within int64 range, plus some wide negatives via hi word */
            int64_t wide = (int64_t)next_random();
            put_decimal(b->fixed[C_DEC38] + r * 16, 16, wide < 0 ? -1 : 0, (uint64_t)wide);
            b->i64[C_DEC38][r] = wide;
            b->i32[C_DT][r] = (int32_t)(next_random() % 200000) - 100000;
            b->i64[C_TM][r] = (int64_t)(next_random() % 86400000000ULL);
            b->i64[C_TS][r] = (int64_t)(next_random() % 8000000000000000ULL) - 4000000000000000LL;
            b->i64[C_TSL][r] = (int64_t)(next_random() % 8000000000000000ULL) - 4000000000000000LL;
        }

        struct sl_parquet_column_values v[NCOLS];
        memset(v, 0, sizeof(v));
        for (int c = 0; c < NCOLS; c++)
            v[c].valid = c == C_ID ? NULL : b->valid[c];
        v[C_ID].u.i64 = b->i64[C_ID];
        v[C_B].u.booleans = b->booleans;
        v[C_I32].u.i32 = b->i32[C_I32];
        v[C_I64].u.i64 = b->i64[C_I64];
        v[C_F].u.f32 = b->f32;
        v[C_D].u.f64 = b->f64;
        for (int c = C_S; c <= C_BIN; c++) {
            v[c].u.bytes.offsets = b->offsets[c];
            v[c].u.bytes.data = (const uint8_t *)b->bytes[c].data;
        }
        v[C_NULLS].u.bytes.offsets = b->offsets[C_NULLS];
        v[C_NULLS].u.bytes.data = (const uint8_t *)"";
        v[C_DEC].u.fixed = b->fixed[C_DEC];
        v[C_DEC38].u.fixed = b->fixed[C_DEC38];
        v[C_DT].u.i32 = b->i32[C_DT];
        v[C_TM].u.i64 = b->i64[C_TM];
        v[C_TS].u.i64 = b->i64[C_TS];
        v[C_TSL].u.i64 = b->i64[C_TSL];
        if (sl_parquet_writer_write(writer, v, (uint32_t)n, &err) != SL_OK) {
            fprintf(stderr, "write failed: %s\n", err.message);
            return 1;
        }

        /* the same rows as JSON: numbers exact (floats as bit patterns), bytes as hex */
        for (size_t r = 0; r < n; r++) {
            sl_buf_reset(&line);
            sl_buf_printf(&line, "{\"id\":%" PRId64, b->i64[C_ID][r]);
            for (int c = 1; c < NCOLS; c++) {
                sl_buf_printf(&line, ",\"%s\":", specs[c].name);
                if (!b->valid[c][r]) {
                    sl_buf_append_str(&line, "null");
                    continue;
                }
                uint32_t bits32;
                uint64_t bits64;
                switch (c) {
                case C_B: sl_buf_append_str(&line, b->booleans[r] ? "true" : "false"); break;
                case C_I32: case C_DT: sl_buf_printf(&line, "%d", b->i32[c][r]); break;
                case C_I64: case C_TM: case C_TS: case C_TSL: case C_DEC: case C_DEC38:
                    sl_buf_printf(&line, "%" PRId64, b->i64[c][r]);
                    break;
                case C_F:
                    memcpy(&bits32, &b->f32[r], 4);
                    sl_buf_printf(&line, "%u", bits32);
                    break;
                case C_D:
                    memcpy(&bits64, &b->f64[r], 8);
                    sl_buf_printf(&line, "%" PRIu64, bits64);
                    break;
                case C_BIN:
                    sl_buf_putc(&line, '"');
                    for (uint32_t i = b->offsets[c][r]; i < b->offsets[c][r + 1]; i++)
                        sl_buf_printf(&line, "%02x", (uint8_t)b->bytes[c].data[i]);
                    sl_buf_putc(&line, '"');
                    break;
                default:
                    sl_json_append_string(&line, b->bytes[c].data + b->offsets[c][r],
                                          b->offsets[c][r + 1] - b->offsets[c][r]);
                }
            }
            sl_buf_append_str(&line, "}\n");
            fwrite(line.data, 1, line.len, jsonl);
        }
    }
    uint64_t written = 0;
    if (sl_parquet_writer_close(writer, &written, &err) != SL_OK || out.finish(out.ctx, &err) != SL_OK) {
        fprintf(stderr, "close failed: %s\n", err.message);
        return 1;
    }
    out.destroy(out.ctx);
    sl_parquet_writer_free(writer);
    fclose(jsonl);
    for (int c = 0; c < NCOLS; c++)
        sl_buf_free(&b->bytes[c]);
    sl_buf_free(&line);
    free(b);
    printf("%" PRIu64 " rows\n", written);
    return 0;
}

/*
 * libFuzzer target for the binary COPY parser and binary-to-text conversion: byte 0 picks the
 * field types, the rest is a COPY stream parsed whole and in pieces, which must all agree.
 */
#include "sluice/source_pg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every type sl_pg_text_from_binary supports; field i uses (first byte + i). */
static const uint32_t type_oids[] = {
    SL_PG_OID_BOOL,      SL_PG_OID_INT2,        SL_PG_OID_INT4,    SL_PG_OID_INT8,
    SL_PG_OID_OID,       SL_PG_OID_FLOAT4,      SL_PG_OID_FLOAT8,  SL_PG_OID_NUMERIC,
    SL_PG_OID_DATE,      SL_PG_OID_TIME,        SL_PG_OID_TIMESTAMP, SL_PG_OID_TIMESTAMPTZ,
    SL_PG_OID_UUID,      SL_PG_OID_BYTEA,       SL_PG_OID_TEXT,    SL_PG_OID_VARCHAR,
    SL_PG_OID_BPCHAR,    SL_PG_OID_NAME,        SL_PG_OID_JSON,    SL_PG_OID_CHAR,
    SL_PG_OID_JSONB,
};

#define MAX_FIELDS 64
#define TEXT_MAX (1u << 20)

/* What a parse produced, to compare runs. */
struct parse_result {
    uint64_t hash;
    size_t pieces;
    int last_rc;
};

static void mix(uint64_t *hash, uint64_t value)
{
    *hash = (*hash ^ value) * UINT64_C(0x100000001b3);
}

/* A float's text must read back as the same bits (NaN aside). */
static void check_float_text(uint32_t oid, const uint8_t *bin, const struct sl_buf *text)
{
    if (oid == SL_PG_OID_FLOAT8) {
        uint64_t bits = 0, back_bits;
        double back;
        for (int i = 0; i < 8; i++)
            bits = bits << 8 | bin[i];
        if ((bits & UINT64_C(0x7ff0000000000000)) == UINT64_C(0x7ff0000000000000) &&
            (bits & UINT64_C(0xfffffffffffff)) != 0)
            return;
        back = strtod(text->data, NULL);
        memcpy(&back_bits, &back, sizeof(back_bits));
        if (back_bits != bits)
            abort();
    } else if (oid == SL_PG_OID_FLOAT4) {
        uint32_t bits = (uint32_t)bin[0] << 24 | (uint32_t)bin[1] << 16 | (uint32_t)bin[2] << 8 |
                        bin[3];
        uint32_t back_bits;
        float back;
        if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0)
            return;
        back = strtof(text->data, NULL);
        memcpy(&back_bits, &back, sizeof(back_bits));
        if (back_bits != bits)
            abort();
    }
}

static void convert_fields(const struct sl_copy_field *fields, uint16_t nfields, uint8_t seed,
                           struct sl_buf *text)
{
    for (uint16_t i = 0; i < nfields; i++) {
        uint32_t oid = type_oids[((size_t)seed + i) % SL_ARRAY_LEN(type_oids)];
        struct sl_error err = {0};
        int rc;

        if (fields[i].len < 0)
            continue;
        sl_buf_reset(text);
        rc = sl_pg_text_from_binary(oid, fields[i].data, (size_t)fields[i].len, text, &err);
        if (rc == SL_OK) {
            if (text->data != NULL && text->data[text->len] != '\0')
                abort();
            if (text->data != NULL)
                check_float_text(oid, fields[i].data, text);
        } else if (rc != SL_EPROTO && rc != SL_ELIMIT) {
            abort();
        } else if (err.message[0] == '\0') {
            abort();
        }
    }
}

/*
 * Parses the stream as a reader would: the buffer holds the unconsumed
 * bytes and grows by `step` bytes on NEED_MORE (step 0: all at once). In
 * pieces, each call gets a heap copy of exactly its window so ASan catches
 * reads past it.
 */
static void parse(const uint8_t *stream, size_t len, size_t step, uint8_t seed,
                  struct sl_buf *text, struct parse_result *result)
{
    struct sl_copy_binary_state state = {0};
    struct sl_copy_field fields[MAX_FIELDS];
    size_t pos = 0, avail = step == 0 ? len : SL_MIN(step, len);
    int rc;

    result->hash = UINT64_C(0xcbf29ce484222325);
    result->pieces = 0;
    for (;;) {
        struct sl_error err = {0};
        size_t consumed, window = avail - pos;
        uint16_t nfields;
        uint8_t *copy = NULL;
        const uint8_t *buf = stream + pos;

        if (step != 0) {
            copy = malloc(window > 0 ? window : 1);
            if (copy == NULL)
                abort();
            if (window > 0)
                memcpy(copy, stream + pos, window);
            buf = copy;
        }
        rc = sl_copy_binary_next(&state, buf, window, &consumed, fields, MAX_FIELDS, &nfields,
                                 &err);
        if (rc == SL_COPY_ROW || rc == SL_COPY_END) {
            if (consumed == 0 || consumed > window || nfields > MAX_FIELDS)
                abort();
            mix(&result->hash, (uint64_t)rc);
            mix(&result->hash, consumed);
            mix(&result->hash, nfields);
            for (uint16_t i = 0; rc == SL_COPY_ROW && i < nfields; i++) {
                mix(&result->hash, (uint64_t)(int64_t)fields[i].len);
                if (fields[i].len >= 0 &&
                    (fields[i].data < buf || fields[i].data + fields[i].len > buf + window))
                    abort();
            }
            if (rc == SL_COPY_ROW && step == 0)
                convert_fields(fields, nfields, seed, text);
            result->pieces++;
            pos += consumed;
        } else if (rc == SL_COPY_NEED_MORE) {
            if (consumed != 0)
                abort();
        } else if (rc >= 0 || err.message[0] == '\0') {
            abort();
        }
        free(copy);
        if (rc == SL_COPY_NEED_MORE) {
            if (avail == len)
                break;
            avail = step == 0 ? len : SL_MIN(avail + step, len);
        } else if (rc != SL_COPY_ROW) {
            break;
        }
    }
    result->last_rc = rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_buf text;
    struct parse_result whole, pieces;
    size_t steps[3];
    size_t nsteps = 0;

    if (size < 1)
        return 0;
    sl_buf_init(&text, TEXT_MAX);
    parse(data + 1, size - 1, 0, data[0], &text, &whole);

    /* byte by byte while cheap, then a few coarser cuts */
    if (size <= 512)
        steps[nsteps++] = 1;
    steps[nsteps++] = 7;
    steps[nsteps++] = size / 3 + 1;
    for (size_t i = 0; i < nsteps; i++) {
        parse(data + 1, size - 1, steps[i], data[0], &text, &pieces);
        if (pieces.hash != whole.hash || pieces.pieces != whole.pieces ||
            pieces.last_rc != whole.last_rc)
            abort();
    }
    sl_buf_free(&text);
    return 0;
}

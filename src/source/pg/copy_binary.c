/*
 * Parser of PostgreSQL's binary COPY format for the initial snapshot: a pure function over
 * the caller's unconsumed bytes that returns one row (or the trailer) per call, checks every
 * length before reading, never allocates, and points fields into the caller's buffer.
 */
#include "sluice/source_pg.h"

#include <string.h>

static const uint8_t copy_signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};

/* Fixed part of the header: signature, flags, extension length. */
#define COPY_HEADER_FIXED 19
/* Flags bit 16: every row starts with an OID field (WITH OIDS, before PostgreSQL 12). */
#define COPY_FLAG_OIDS (UINT32_C(1) << 16)
/* Bits 16-31 are critical: a reader that does not know one must stop. */
#define COPY_FLAGS_CRITICAL UINT32_C(0xffff0000)

static uint16_t read_u16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Two's complement without implementation-defined conversions. */
static int16_t as_i16(uint16_t v)
{
    return v <= INT16_MAX ? (int16_t)v : (int16_t)(-(int32_t)(UINT16_MAX - v) - 1);
}

static int32_t as_i32(uint32_t v)
{
    return v <= INT32_MAX ? (int32_t)v : (int32_t)(-(int64_t)(UINT32_MAX - v) - 1);
}

/*
 * Checks the header at the start of buf. Returns SL_OK with *header_len set
 * when it is complete, SL_COPY_NEED_MORE when buf ends inside it (after
 * checking what is there), or SL_EPROTO.
 */
static int parse_header(const uint8_t *buf, size_t len, size_t *header_len, struct sl_error *err)
{
    size_t have = SL_MIN(len, sizeof(copy_signature));
    uint32_t flags;
    int32_t ext_len;

    /* Check the signature as far as it goes so garbage fails early. */
    for (size_t i = 0; i < have; i++) {
        if (buf[i] != copy_signature[i])
            return sl_error_set(err, SL_EPROTO,
                                "binary COPY: bad signature at byte %zu (0x%02x, expected 0x%02x); "
                                "is the stream in binary format?",
                                i, buf[i], copy_signature[i]);
    }
    if (len < COPY_HEADER_FIXED)
        return SL_COPY_NEED_MORE;

    flags = read_u32(buf + 11);
    if (flags & COPY_FLAG_OIDS)
        return sl_error_set(err, SL_EPROTO,
                            "binary COPY: header flags 0x%08x say rows carry OIDs, which is not "
                            "supported (copy without WITH OIDS)",
                            (unsigned)flags);
    if (flags & COPY_FLAGS_CRITICAL)
        return sl_error_set(err, SL_EPROTO,
                            "binary COPY: header flags 0x%08x have unknown critical bits set",
                            (unsigned)flags);

    ext_len = as_i32(read_u32(buf + 15));
    if (ext_len < 0)
        return sl_error_set(err, SL_EPROTO,
                            "binary COPY: negative header extension length %ld at byte 15",
                            (long)ext_len);
    if ((size_t)ext_len > len - COPY_HEADER_FIXED)
        return SL_COPY_NEED_MORE;
    *header_len = COPY_HEADER_FIXED + (size_t)ext_len;
    return SL_OK;
}

int sl_copy_binary_next(struct sl_copy_binary_state *state, const uint8_t *buf, size_t len,
                        size_t *consumed /* out */, struct sl_copy_field *fields,
                        uint16_t max_fields, uint16_t *nfields /* out */, struct sl_error *err)
{
    size_t pos = 0, row_start;
    int16_t count;

    if (consumed != NULL)
        *consumed = 0;
    if (nfields != NULL)
        *nfields = 0;
    if (state == NULL || consumed == NULL || nfields == NULL || (buf == NULL && len > 0) ||
        (fields == NULL && max_fields > 0))
        return sl_error_set(err, SL_EINVAL, "binary COPY: missing argument");
    /* What follows the trailer is the caller's business; we stay ended. */
    if (state->ended)
        return SL_COPY_END;

    if (!state->header_done) {
        int rc = parse_header(buf, len, &pos, err);
        if (rc != SL_OK)
            return rc;
    }

    row_start = pos;
    if (len - pos < 2)
        return SL_COPY_NEED_MORE;
    count = as_i16(read_u16(buf + pos));
    pos += 2;
    if (count == -1) {
        state->header_done = true;
        state->ended = true;
        *consumed = pos;
        return SL_COPY_END;
    }
    if (count < 0)
        return sl_error_set(err, SL_EPROTO,
                            "binary COPY: negative field count %d at byte %zu of the input",
                            (int)count, row_start);
    if (count > max_fields)
        return sl_error_set(err, SL_EPROTO,
                            "binary COPY: row at byte %zu of the input has %d fields, more than "
                            "the %u expected",
                            row_start, (int)count, (unsigned)max_fields);

    for (int16_t i = 0; i < count; i++) {
        int32_t field_len;

        if (len - pos < 4)
            return SL_COPY_NEED_MORE;
        field_len = as_i32(read_u32(buf + pos));
        if (field_len < -1)
            return sl_error_set(err, SL_EPROTO,
                                "binary COPY: field %d of the row at byte %zu has negative length "
                                "%ld (at byte %zu)",
                                (int)i + 1, row_start, (long)field_len, pos);
        pos += 4;
        fields[i].len = field_len;
        fields[i].data = NULL;
        if (field_len == -1)
            continue;
        if ((size_t)field_len > len - pos)
            return SL_COPY_NEED_MORE;
        fields[i].data = buf + pos;
        pos += (size_t)field_len;
    }

    state->header_done = true;
    *nfields = (uint16_t)count;
    *consumed = pos;
    return SL_COPY_ROW;
}

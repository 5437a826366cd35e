/* WAL positions in PostgreSQL's "X/Y" text form. */
#include "sluice/change.h"

#include <stdio.h>

char *sl_lsn_format(sl_lsn lsn, char *out)
{
    snprintf(out, SL_LSN_TEXT_MAX, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
    return out;
}

static int hex_part(const char **cursor, char stop, uint32_t *out)
{
    const char *p = *cursor;
    uint32_t value = 0;
    int digits = 0;

    for (; *p != stop; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            return SL_EINVAL;
        if (++digits > 8)
            return SL_EINVAL;
        value = value * 16 + (uint32_t)d;
    }
    if (digits == 0)
        return SL_EINVAL;
    *cursor = p;
    *out = value;
    return SL_OK;
}

int sl_lsn_parse(const char *text, sl_lsn *out)
{
    uint32_t hi, lo;
    const char *p = text;

    if (text == NULL || hex_part(&p, '/', &hi) != SL_OK)
        return SL_EINVAL;
    p++;
    if (hex_part(&p, '\0', &lo) != SL_OK)
        return SL_EINVAL;
    *out = ((sl_lsn)hi << 32) | lo;
    return SL_OK;
}

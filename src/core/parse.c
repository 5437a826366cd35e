/* Small strict parsers for command-line and config values. */
#include "sluice/core.h"

int sl_parse_u64(const char *s, uint64_t *out)
{
    uint64_t value = 0;

    if (s == NULL || *s == '\0')
        return SL_EINVAL;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return SL_EINVAL;
        uint64_t digit = (uint64_t)(*s - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return SL_EINVAL;
        value = value * 10 + digit;
    }
    *out = value;
    return SL_OK;
}

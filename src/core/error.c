/*
 * Error objects: a code, a retriable flag and a message with context.
 * Messages are built once at the failure site and extended with context
 * (sl_error_prefix) on the way up.
 */
#include "sluice/core.h"

#include <stdio.h>
#include <string.h>

int sl_error_setv(struct sl_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->retriable = (code == SL_ECONN || code == SL_EIO);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return code;
}

int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_prefix(struct sl_error *err, const char *fmt, ...)
{
    char joined[SL_ERROR_MESSAGE_MAX];
    size_t off, rest;
    va_list ap;
    int n;

    if (err == NULL)
        return;
    /* explicit lengths rather than snprintf("%s: %s"): gcc's
     * -Wformat-truncation rejects that under -Werror */
    va_start(ap, fmt);
    n = vsnprintf(joined, sizeof(joined), fmt, ap);
    va_end(ap);
    off = n < 0 ? 0 : SL_MIN((size_t)n, sizeof(joined) - 1);
    for (const char *sep = ": "; *sep != '\0' && off < sizeof(joined) - 1; sep++)
        joined[off++] = *sep;
    rest = SL_MIN(strnlen(err->message, sizeof(err->message)), sizeof(joined) - 1 - off);
    memcpy(joined + off, err->message, rest);
    joined[off + rest] = '\0';
    memcpy(err->message, joined, off + rest + 1);
}

void sl_error_clear(struct sl_error *err)
{
    if (err == NULL)
        return;
    err->code = SL_OK;
    err->retriable = false;
    err->message[0] = '\0';
}

const char *sl_error_code_name(int code)
{
    switch (code) {
    case SL_OK: return "OK";
    case SL_EINVAL: return "EINVAL";
    case SL_ENOMEM: return "ENOMEM";
    case SL_EIO: return "EIO";
    case SL_EPROTO: return "EPROTO";
    case SL_ECONN: return "ECONN";
    case SL_ECONFIG: return "ECONFIG";
    case SL_ELIMIT: return "ELIMIT";
    case SL_ENOTFOUND: return "ENOTFOUND";
    case SL_EINTR: return "EINTR";
    case SL_EPEER: return "EPEER";
    case SL_EEXIST: return "EEXIST";
    default: return "EUNKNOWN";
    }
}

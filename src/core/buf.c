/*
 * Growable byte buffers with a maximum size. Growth doubles, never past max;
 * the content is kept NUL-terminated so text buffers double as C strings.
 */
#include "sluice/core.h"

#include <stdio.h>
#include <string.h>

void sl_buf_init(struct sl_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max;
}

void sl_buf_free(struct sl_buf *buf)
{
    if (buf == NULL)
        return;
    sl_free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void sl_buf_reset(struct sl_buf *buf)
{
    buf->len = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

int sl_buf_reserve(struct sl_buf *buf, size_t extra)
{
    size_t need, cap, limit;
    char *grown;

    if (extra > buf->max || buf->len > buf->max - extra)
        return SL_ELIMIT;
    /* max may be SIZE_MAX ("no limit"): max + 1 and the doubling must not wrap */
    if (buf->len + extra == SIZE_MAX)
        return SL_ENOMEM;
    need = buf->len + extra + 1; /* + NUL */
    if (need <= buf->cap)
        return SL_OK;
    limit = buf->max < SIZE_MAX ? buf->max + 1 : SIZE_MAX;
    cap = buf->cap < 64 ? 64 : buf->cap;
    while (cap < need && cap <= limit / 2)
        cap *= 2;
    if (cap < need || cap > limit)
        cap = limit;
    grown = sl_realloc(buf->data, cap);
    if (grown == NULL)
        return SL_ENOMEM;
    buf->data = grown;
    buf->cap = cap;
    return SL_OK;
}

int sl_buf_append(struct sl_buf *buf, const void *bytes, size_t len)
{
    int rc = sl_buf_reserve(buf, len);
    if (rc != SL_OK)
        return rc;
    if (len > 0)
        memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return SL_OK;
}

int sl_buf_append_str(struct sl_buf *buf, const char *s)
{
    return sl_buf_append(buf, s, strlen(s));
}

int sl_buf_putc(struct sl_buf *buf, char c)
{
    if (buf->len + 1 < buf->cap) {
        buf->data[buf->len++] = c;
        buf->data[buf->len] = '\0';
        return SL_OK;
    }
    return sl_buf_append(buf, &c, 1);
}

int sl_buf_printf(struct sl_buf *buf, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_EINVAL;
    rc = sl_buf_reserve(buf, (size_t)n);
    if (rc != SL_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return SL_OK;
}

char *sl_buf_detach(struct sl_buf *buf)
{
    char *data = buf->data;
    if (data == NULL)
        data = sl_strdup("");
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return data;
}

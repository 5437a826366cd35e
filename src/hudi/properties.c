/*
 * hoodie.properties: java.util.Properties text as HoodieTableConfig reads and
 * writes it. Reading mirrors Properties.load(InputStream) (ISO-8859-1,
 * LineReader's comments, blank lines and continuations, loadConvert's
 * escapes); writing mirrors Properties.store(OutputStream) (saveConvert with
 * \uXXXX for everything outside 0x20..0x7E) with the table checksum
 * recomputed and last, as HoodieTableConfig.storeProperties does.
 */
#include "hudi/hudi_format.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

void sl_hudi_props_free(struct sl_hudi_props *p)
{
    if (p == NULL)
        return;
    for (uint32_t i = 0; i < p->count; i++) {
        sl_free(p->keys[i]);
        sl_free(p->values[i]);
    }
    sl_free(p->keys);
    sl_free(p->values);
    memset(p, 0, sizeof(*p));
}

static int find_key(const struct sl_hudi_props *p, const char *key)
{
    for (uint32_t i = 0; i < p->count; i++)
        if (strcmp(p->keys[i], key) == 0)
            return (int)i;
    return -1;
}

const char *sl_hudi_props_get(const struct sl_hudi_props *p, const char *key)
{
    int i;

    if (p == NULL || key == NULL)
        return NULL;
    i = find_key(p, key);
    return i < 0 ? NULL : p->values[i];
}

/* Takes ownership of key and value (both freed on failure). */
static int props_put_owned(struct sl_hudi_props *p, char *key, char *value)
{
    int i = find_key(p, key);

    if (i >= 0) {
        sl_free(p->values[i]);
        p->values[i] = value;
        sl_free(key);
        return SL_OK;
    }
    if (p->count == p->cap) {
        uint32_t cap = p->cap == 0 ? 16 : p->cap * 2;
        char **keys, **values;
        if (p->cap > UINT32_MAX / 2)
            goto fail;
        keys = sl_realloc(p->keys, (size_t)cap * sizeof(*keys));
        if (keys == NULL)
            goto fail;
        p->keys = keys;
        values = sl_realloc(p->values, (size_t)cap * sizeof(*values));
        if (values == NULL)
            goto fail;
        p->values = values;
        p->cap = cap;
    }
    p->keys[p->count] = key;
    p->values[p->count] = value;
    p->count++;
    return SL_OK;
fail:
    sl_free(key);
    sl_free(value);
    return SL_ENOMEM;
}

int sl_hudi_props_set(struct sl_hudi_props *p, const char *key, const char *value)
{
    char *k, *v;

    if (p == NULL || key == NULL || value == NULL)
        return SL_EINVAL;
    k = sl_strdup(key);
    v = sl_strdup(value);
    if (k == NULL || v == NULL) {
        sl_free(k);
        sl_free(v);
        return SL_ENOMEM;
    }
    return props_put_owned(p, k, v);
}

void sl_hudi_props_remove(struct sl_hudi_props *p, const char *key)
{
    int i;

    if (p == NULL || key == NULL || (i = find_key(p, key)) < 0)
        return;
    sl_free(p->keys[i]);
    sl_free(p->values[i]);
    memmove(p->keys + i, p->keys + i + 1, (p->count - (uint32_t)i - 1) * sizeof(*p->keys));
    memmove(p->values + i, p->values + i + 1, (p->count - (uint32_t)i - 1) * sizeof(*p->values));
    p->count--;
}

uint32_t sl_hudi_table_checksum(const char *database, const char *table)
{
    uLong crc = crc32(0L, Z_NULL, 0);

    if (database != NULL)
        crc = crc32(crc, (const Bytef *)database, (uInt)strlen(database));
    crc = crc32(crc, (const Bytef *)".", 1);
    if (table != NULL)
        crc = crc32(crc, (const Bytef *)table, (uInt)strlen(table));
    return (uint32_t)crc;
}

/* ---------------------------------------------------------------- reading */

/* Appends one code point as UTF-8. */
static int put_utf8(struct sl_buf *out, uint32_t cp)
{
    char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return sl_buf_append(out, b, n);
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * loadConvert: resolves the escapes of one key or value segment into UTF-16
 * code units, written out as UTF-8 (surrogate pairs joined). Each raw byte is
 * an ISO-8859-1 character.
 */
static int load_convert(const unsigned char *in, size_t n, uint32_t line, struct sl_buf *out,
                        struct sl_error *err)
{
    uint32_t high = 0; /* a pending high surrogate */
    size_t i = 0;
    int rc;

    sl_buf_reset(out);
    while (i < n) {
        uint32_t unit = in[i++];
        if (unit == '\\') {
            if (i == n)
                break; /* cannot happen after LineReader; Java would read past the segment */
            unit = in[i++];
            if (unit == 'u') {
                uint32_t value = 0;
                if (n - i < 4)
                    return sl_error_set(err, SL_EPROTO,
                                        "line %u: malformed \\uXXXX escape (fewer than 4 hex digits)",
                                        line);
                for (int k = 0; k < 4; k++) {
                    int d = hex_digit(in[i++]);
                    if (d < 0)
                        return sl_error_set(err, SL_EPROTO,
                                            "line %u: malformed \\uXXXX escape (bad hex digit)", line);
                    value = (value << 4) | (uint32_t)d;
                }
                unit = value;
            } else if (unit == 't') {
                unit = '\t';
            } else if (unit == 'r') {
                unit = '\r';
            } else if (unit == 'n') {
                unit = '\n';
            } else if (unit == 'f') {
                unit = '\f';
            }
        }
        if (unit == 0)
            return sl_error_set(err, SL_EPROTO, "line %u: NUL character in a key or value", line);
        if (high != 0) {
            if (unit < 0xDC00 || unit > 0xDFFF)
                return sl_error_set(err, SL_EPROTO,
                                    "line %u: UTF-16 high surrogate \\u%04X without its low half",
                                    line, (unsigned)high);
            rc = put_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
            high = 0;
        } else if (unit >= 0xD800 && unit <= 0xDBFF) {
            high = unit;
            continue;
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return sl_error_set(err, SL_EPROTO, "line %u: lone UTF-16 low surrogate \\u%04X", line,
                                (unsigned)unit);
        } else {
            rc = put_utf8(out, unit);
        }
        if (rc != SL_OK)
            return sl_error_set(err, rc, "line %u: key or value too large", line);
    }
    if (high != 0)
        return sl_error_set(err, SL_EPROTO,
                            "line %u: UTF-16 high surrogate \\u%04X without its low half", line,
                            (unsigned)high);
    return SL_OK;
}

struct line_reader {
    const unsigned char *text;
    size_t len, pos;
    uint32_t lineno;    /* natural line of pos (1-based) */
    bool skip_lf;       /* the previous natural line ended with \r */
};

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

/*
 * Properties.LineReader.readLine: the next logical line into line (escapes
 * kept, continuation backslashes removed). Returns 1 with a line, 0 at the
 * end, or an error code. *start gets the natural line number it began on.
 */
static int read_logical_line(struct line_reader *r, struct sl_buf *line, uint32_t *start)
{
    bool skip_ws = true, comment = false, new_line = true, appended = false, backslash = false;
    int rc;

    sl_buf_reset(line);
    *start = r->lineno;
    for (;;) {
        unsigned char c;
        if (r->pos >= r->len) {
            if (line->len == 0 || comment)
                return 0;
            if (backslash)
                line->data[--line->len] = '\0';
            return 1;
        }
        c = r->text[r->pos++];
        if (r->skip_lf) {
            r->skip_lf = false;
            if (c == '\n')
                continue;
        }
        if (skip_ws) {
            if (is_ws(c))
                continue;
            if (!appended && (c == '\r' || c == '\n')) {
                if (c == '\r')
                    r->skip_lf = true;
                r->lineno++;
                *start = r->lineno;
                continue;
            }
            skip_ws = false;
            appended = false;
        }
        if (new_line) {
            new_line = false;
            *start = r->lineno;
            if (c == '#' || c == '!') {
                comment = true;
                continue;
            }
        }
        if (c != '\n' && c != '\r') {
            if ((rc = sl_buf_putc(line, (char)c)) != SL_OK)
                return rc;
            backslash = c == '\\' ? !backslash : false;
            continue;
        }
        /* end of a natural line */
        r->lineno++;
        if (c == '\r')
            r->skip_lf = true;
        if (comment || line->len == 0) {
            comment = false;
            new_line = true;
            skip_ws = true;
            backslash = false;
            sl_buf_reset(line);
            continue;
        }
        if (!backslash)
            return 1;
        line->data[--line->len] = '\0';
        skip_ws = true;
        appended = true;
        backslash = false;
    }
}

int sl_hudi_props_parse(const char *text, size_t len, struct sl_hudi_props *out,
                        struct sl_error *err)
{
    struct line_reader reader = {(const unsigned char *)text, len, 0, 1, false};
    struct sl_buf line, key, value;
    uint32_t start = 0;
    int rc;

    sl_buf_init(&line, SIZE_MAX);
    sl_buf_init(&key, SIZE_MAX);
    sl_buf_init(&value, SIZE_MAX);
    if (out == NULL)
        return sl_error_set(err, SL_EINVAL, "no output properties given");
    memset(out, 0, sizeof(*out));
    if (text == NULL && len > 0) {
        rc = sl_error_set(err, SL_EINVAL, "no properties text given");
        goto fail;
    }
    while ((rc = read_logical_line(&reader, &line, &start)) == 1) {
        const unsigned char *l = (const unsigned char *)line.data;
        size_t n = line.len, key_len = 0, value_start = n;
        bool has_sep = false, backslash = false;
        char *k, *v;

        while (key_len < n) {
            unsigned char c = l[key_len];
            if ((c == '=' || c == ':') && !backslash) {
                value_start = key_len + 1;
                has_sep = true;
                break;
            }
            if (is_ws(c) && !backslash) {
                value_start = key_len + 1;
                break;
            }
            backslash = c == '\\' ? !backslash : false;
            key_len++;
        }
        while (value_start < n) {
            unsigned char c = l[value_start];
            if (!is_ws(c)) {
                if (!has_sep && (c == '=' || c == ':'))
                    has_sep = true;
                else
                    break;
            }
            value_start++;
        }
        if ((rc = load_convert(l, key_len, start, &key, err)) != SL_OK ||
            (rc = load_convert(l + value_start, n - value_start, start, &value, err)) != SL_OK)
            goto fail;
        k = sl_buf_detach(&key);
        v = sl_buf_detach(&value);
        if (k == NULL || v == NULL) {
            sl_free(k);
            sl_free(v);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory reading properties");
            goto fail;
        }
        if ((rc = props_put_owned(out, k, v)) != SL_OK) {
            sl_error_set(err, rc, "out of memory reading properties");
            goto fail;
        }
    }
    if (rc != 0) {
        sl_error_set(err, rc, "out of memory reading properties");
        goto fail;
    }
    sl_buf_free(&line);
    sl_buf_free(&key);
    sl_buf_free(&value);
    return SL_OK;
fail:
    sl_buf_free(&line);
    sl_buf_free(&key);
    sl_buf_free(&value);
    sl_hudi_props_free(out);
    return rc;
}

/* ---------------------------------------------------------------- writing */

/* Decodes one UTF-8 code point at s[*i]; -1 when malformed. */
static int32_t next_code_point(const unsigned char *s, size_t n, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp, min;
    size_t extra;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        cp = c & 0x1F;
        extra = 1;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        cp = c & 0x0F;
        extra = 2;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        cp = c & 0x07;
        extra = 3;
        min = 0x10000;
    } else {
        return -1;
    }
    if (n - *i <= extra)
        return -1;
    for (size_t k = 1; k <= extra; k++) {
        unsigned char cc = s[*i + k];
        if ((cc & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *i += extra + 1;
    return (int32_t)cp;
}

static int put_unicode_escape(struct sl_buf *out, uint32_t unit)
{
    char esc[7];
    snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)unit);
    return sl_buf_append(out, esc, 6);
}

/* saveConvert(text, escapeSpace, escUnicode = true) over the UTF-16 units of text. */
static int save_convert(const char *text, bool is_key, struct sl_buf *out, struct sl_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), i = 0;
    int rc = SL_OK;

    while (i < n && rc == SL_OK) {
        bool first = i == 0;
        int32_t cp = next_code_point(s, n, &i);
        if (cp < 0)
            return sl_error_set(err, SL_EINVAL,
                                "properties %s \"%.60s\" is not valid UTF-8: write UTF-8 text",
                                is_key ? "key" : "value", text);
        if (cp > 61 && cp < 127) {
            rc = cp == '\\' ? sl_buf_append(out, "\\\\", 2) : sl_buf_putc(out, (char)cp);
            continue;
        }
        switch (cp) {
        case ' ':
            rc = (first || is_key) ? sl_buf_append(out, "\\ ", 2) : sl_buf_putc(out, ' ');
            break;
        case '\t':
            rc = sl_buf_append(out, "\\t", 2);
            break;
        case '\n':
            rc = sl_buf_append(out, "\\n", 2);
            break;
        case '\r':
            rc = sl_buf_append(out, "\\r", 2);
            break;
        case '\f':
            rc = sl_buf_append(out, "\\f", 2);
            break;
        case '=':
        case ':':
        case '#':
        case '!':
            rc = sl_buf_putc(out, '\\');
            if (rc == SL_OK)
                rc = sl_buf_putc(out, (char)cp);
            break;
        default:
            if (cp < 0x20 || cp > 0x7E) {
                if (cp >= 0x10000) {
                    uint32_t v = (uint32_t)cp - 0x10000;
                    rc = put_unicode_escape(out, 0xD800 + (v >> 10));
                    if (rc == SL_OK)
                        rc = put_unicode_escape(out, 0xDC00 + (v & 0x3FF));
                } else {
                    rc = put_unicode_escape(out, (uint32_t)cp);
                }
            } else {
                rc = sl_buf_putc(out, (char)cp);
            }
        }
    }
    if (rc != SL_OK)
        return sl_error_set(err, rc, "properties text too large");
    return SL_OK;
}

/* The two comment lines Properties.store writes with HoodieTableConfig's comment. */
static int write_header(int64_t unix_us, struct sl_buf *out)
{
    static const char *const weekdays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = sl_floor_div(unix_us, 1000000), frac_us = unix_us - secs * 1000000;
    int64_t days = sl_floor_div(secs, 86400), sod = secs - days * 86400;
    int hh = (int)(sod / 3600), mi = (int)(sod / 60 % 60), ss = (int)(sod % 60);
    struct sl_civil_date date;
    char frac[16] = "";
    int rc;

    sl_civil_from_unix_days(days, &date);
    /* Instant.toString: fraction in groups of three digits, omitted when zero */
    if (frac_us != 0 && frac_us % 1000 == 0)
        snprintf(frac, sizeof(frac), ".%03d", (int)(frac_us / 1000));
    else if (frac_us != 0)
        snprintf(frac, sizeof(frac), ".%06d", (int)frac_us);
    rc = sl_buf_printf(out, "#Properties saved on %04lld-%02d-%02dT%02d:%02d:%02d%sZ\n",
                       (long long)date.year, date.month, date.day, hh, mi, ss, frac);
    if (rc != SL_OK)
        return rc;
    /* Date.toString in UTC: EEE MMM dd HH:mm:ss zzz yyyy */
    return sl_buf_printf(out, "#%s %s %02d %02d:%02d:%02d UTC %lld\n",
                         weekdays[(int)(((days % 7) + 11) % 7)], months[date.month - 1], date.day,
                         hh, mi, ss, (long long)date.year);
}

static int write_entry(const char *key, const char *value, struct sl_buf *out, struct sl_error *err)
{
    int rc = save_convert(key, true, out, err);
    if (rc == SL_OK && (rc = sl_buf_putc(out, '=')) != SL_OK)
        return sl_error_set(err, rc, "properties text too large");
    if (rc == SL_OK)
        rc = save_convert(value, false, out, err);
    if (rc == SL_OK && (rc = sl_buf_putc(out, '\n')) != SL_OK)
        return sl_error_set(err, rc, "properties text too large");
    return rc;
}

int sl_hudi_props_format_at(const struct sl_hudi_props *p, int64_t unix_us, struct sl_buf *out,
                            struct sl_error *err)
{
    const char *table, *database;
    char checksum[16];
    size_t start;
    int rc;

    if (p == NULL || out == NULL)
        return sl_error_set(err, SL_EINVAL, "no properties or output buffer given");
    table = sl_hudi_props_get(p, "hoodie.table.name");
    if (table == NULL)
        return sl_error_set(err, SL_EINVAL,
                            "hoodie.table.name is missing: set it before writing hoodie.properties "
                            "(the table checksum is computed from it)");
    database = sl_hudi_props_get(p, "hoodie.database.name");
    start = out->len;
    if ((rc = write_header(unix_us, out)) != SL_OK) {
        sl_error_set(err, rc, "properties text too large");
        goto fail;
    }
    for (uint32_t i = 0; i < p->count; i++) {
        if (strcmp(p->keys[i], "hoodie.table.checksum") == 0)
            continue;
        if ((rc = write_entry(p->keys[i], p->values[i], out, err)) != SL_OK)
            goto fail;
    }
    snprintf(checksum, sizeof(checksum), "%lu",
             (unsigned long)sl_hudi_table_checksum(database, table));
    if ((rc = write_entry("hoodie.table.checksum", checksum, out, err)) != SL_OK)
        goto fail;
    return SL_OK;
fail:
    out->len = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return rc;
}

int sl_hudi_props_format(const struct sl_hudi_props *p, struct sl_buf *out, struct sl_error *err)
{
    return sl_hudi_props_format_at(p, sl_clock_wall_us(), out, err);
}

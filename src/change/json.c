/*
 * The change-event JSON of DESIGN.md section 8: schema lines and change
 * lines, appended to a caller's buffer. This is a hot path (every captured
 * value passes through it): no allocation per value, escaping in one pass.
 */
#include "sluice/change.h"

#include <string.h>

/* Length of a valid UTF-8 sequence starting at s (max n bytes), 0 if invalid. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xc2 && c <= 0xdf) {
        return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && s[1] >= 0xa0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

/*
 * Writes bytes as a JSON string literal at p, which must have room for
 * 6 * len + 2 bytes; returns the end. Invalid UTF-8 becomes \ufffd.
 */
static char *escape_into(char *p, const char *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;

    *p++ = '"';
    while (i < len) {
        /* copy the plain ASCII run in one go */
        size_t run = i;
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            memcpy(p, s + i, run - i);
            p += run - i;
            i = run;
            if (i == len)
                break;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t seq = utf8_sequence_length(s + i, len - i);
            if (seq == 0) {
                memcpy(p, "\\ufffd", 6);
                p += 6;
                i++;
            } else {
                memcpy(p, s + i, seq);
                p += seq;
                i += seq;
            }
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
        i++;
    }
    *p++ = '"';
    return p;
}

/* Room escape_into may need for len bytes, or 0 when that overflows. */
static size_t escaped_max(size_t len)
{
    return len > (SIZE_MAX - 8) / 6 ? 0 : len * 6 + 2;
}

int sl_json_append_string(struct sl_buf *out, const char *bytes, size_t len)
{
    size_t need = escaped_max(len);
    int rc = need ? sl_buf_reserve(out, need) : SL_ELIMIT;
    if (rc != SL_OK)
        return rc;
    char *end = escape_into(out->data + out->len, bytes, len);
    out->len = (size_t)(end - out->data);
    out->data[out->len] = '\0';
    return SL_OK;
}

static size_t skip_digits(const char *t, size_t i, size_t n)
{
    while (i < n && t[i] >= '0' && t[i] <= '9')
        i++;
    return i;
}

/* True when text is a JSON number (RFC 8259 grammar). */
static bool is_json_number(const char *t, size_t n)
{
    size_t i = 0, start;
    if (i < n && t[i] == '-')
        i++;
    if (i >= n || t[i] < '0' || t[i] > '9')
        return false;
    i = t[i] == '0' ? i + 1 : skip_digits(t, i, n);
    if (i < n && t[i] == '.') {
        start = ++i;
        i = skip_digits(t, i, n);
        if (i == start)
            return false;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        start = i;
        i = skip_digits(t, i, n);
        if (i == start)
            return false;
    }
    return i == n;
}

/* Writes one value at p (room reserved by the caller); returns the end. */
static char *put_value(char *p, const struct sl_column *column, const struct sl_value *value)
{
    switch (value->kind) {
    case SL_VALUE_NULL:
    case SL_VALUE_ABSENT:
        memcpy(p, "null", 4);
        return p + 4;
    case SL_VALUE_UNCHANGED_TOAST:
        memcpy(p, "{\"unchanged_toast\":true}", 24);
        return p + 24;
    case SL_VALUE_TEXT:
        break;
    }
    if (column->type_class == SL_TYPE_BOOL && value->len == 1) {
        if (value->text[0] == 't') {
            memcpy(p, "true", 4);
            return p + 4;
        }
        if (value->text[0] == 'f') {
            memcpy(p, "false", 5);
            return p + 5;
        }
    }
    if (sl_type_class_is_json_literal(column->type_class) && column->type_class != SL_TYPE_BOOL &&
        is_json_number(value->text, value->len)) {
        memcpy(p, value->text, value->len);
        return p + value->len;
    }
    /* text types, and non-finite floats ("NaN", "Infinity") as strings */
    return escape_into(p, value->text, value->len);
}

/* Reserves room for the whole row once, then writes it without further checks. */
static int append_row(struct sl_buf *out, const struct sl_table_schema *table,
                      const struct sl_value *row)
{
    size_t need = 2;
    bool first = true;
    char *p;
    int rc;

    if (row == NULL)
        return sl_buf_append(out, "null", 4);
    for (uint32_t i = 0; i < table->ncolumns; i++) {
        size_t name = table->json_keys ? table->json_key_lens[i]
                                       : escaped_max(strlen(table->columns[i].name));
        size_t value = escaped_max(row[i].len);
        if (name == 0 || value == 0 || need > SIZE_MAX / 2 - name - value - 32)
            return SL_ELIMIT;
        need += name + value + 32; /* separators and the longest literal */
    }
    rc = sl_buf_reserve(out, need);
    if (rc != SL_OK)
        return rc;
    p = out->data + out->len;
    *p++ = '{';
    for (uint32_t i = 0; i < table->ncolumns; i++) {
        const struct sl_column *column = &table->columns[i];
        if (row[i].kind == SL_VALUE_ABSENT)
            continue;
        if (!first)
            *p++ = ',';
        first = false;
        if (table->json_keys != NULL) {
            memcpy(p, table->json_keys[i], table->json_key_lens[i]);
            p += table->json_key_lens[i];
        } else {
            p = escape_into(p, column->name, strlen(column->name));
            *p++ = ':';
        }
        p = put_value(p, column, &row[i]);
    }
    *p++ = '}';
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
    return SL_OK;
}

static int append_table_names(struct sl_buf *out, const struct sl_table_schema *table)
{
    if (table->json_names != NULL)
        return sl_buf_append_str(out, table->json_names);
    int rc = sl_buf_append_str(out, ",\"schema\":");
    if (rc == SL_OK)
        rc = sl_json_append_string(out, table->schema_name, strlen(table->schema_name));
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"table\":");
    if (rc == SL_OK)
        rc = sl_json_append_string(out, table->table_name, strlen(table->table_name));
    return rc;
}

int sl_change_json_prepare(struct sl_table_schema *table)
{
    struct sl_buf buf;
    char **keys = NULL;
    uint32_t *lens = NULL;
    const struct sl_table_schema plain = {.schema_name = table->schema_name,
                                          .table_name = table->table_name};
    int rc;

    sl_buf_init(&buf, 1 << 20);
    rc = append_table_names(&buf, &plain);
    keys = sl_calloc(table->ncolumns, sizeof(*keys));
    lens = sl_calloc(table->ncolumns, sizeof(*lens));
    if (keys == NULL || lens == NULL)
        rc = SL_ENOMEM;
    for (uint32_t i = 0; i < table->ncolumns && rc == SL_OK; i++) {
        struct sl_buf key;
        sl_buf_init(&key, 1 << 20);
        rc = sl_json_append_string(&key, table->columns[i].name, strlen(table->columns[i].name));
        if (rc == SL_OK)
            rc = sl_buf_putc(&key, ':');
        lens[i] = (uint32_t)key.len;
        keys[i] = rc == SL_OK ? sl_buf_detach(&key) : NULL;
        sl_buf_free(&key);
        if (rc == SL_OK && keys[i] == NULL)
            rc = SL_ENOMEM;
    }
    if (rc != SL_OK) {
        for (uint32_t i = 0; keys != NULL && i < table->ncolumns; i++)
            sl_free(keys[i]);
        sl_free(keys);
        sl_free(lens);
        sl_buf_free(&buf);
        return rc;
    }
    sl_table_schema_clear_json(table);
    table->json_names = sl_buf_detach(&buf);
    table->json_keys = keys;
    table->json_key_lens = lens;
    return table->json_names ? SL_OK : SL_ENOMEM;
}

int sl_change_json_schema(struct sl_buf *out, const struct sl_table_schema *table)
{
    int rc = sl_buf_append_str(out, "{\"op\":\"schema\"");
    if (rc == SL_OK)
        rc = append_table_names(out, table);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"columns\":[");
    for (uint32_t i = 0; i < table->ncolumns && rc == SL_OK; i++) {
        const struct sl_column *column = &table->columns[i];
        if (i > 0)
            rc = sl_buf_putc(out, ',');
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, "{\"name\":");
        if (rc == SL_OK)
            rc = sl_json_append_string(out, column->name, strlen(column->name));
        if (rc == SL_OK)
            rc = sl_buf_append_str(out, ",\"type\":");
        if (rc == SL_OK)
            rc = sl_json_append_string(out, column->type_name, strlen(column->type_name));
        if (rc == SL_OK)
            rc = sl_buf_printf(out, ",\"nullable\":%s,\"key\":%s}",
                               column->nullable ? "true" : "false", column->key ? "true" : "false");
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "]}\n");
    return rc;
}

/* Appends "X/Y" without printf (this runs for every change). */
static char *put_hex32(char *p, uint32_t v)
{
    static const char hex[] = "0123456789ABCDEF";
    char tmp[8];
    int n = 0;
    do {
        tmp[n++] = hex[v & 15];
        v >>= 4;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_lsn(char *p, sl_lsn lsn)
{
    p = put_hex32(p, (uint32_t)(lsn >> 32));
    *p++ = '/';
    return put_hex32(p, (uint32_t)lsn);
}

static char *put_i64(char *p, int64_t v)
{
    char tmp[20];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_literal(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

int sl_change_json_change(struct sl_buf *out, const struct sl_change *change)
{
    char head[160];
    char *p = head;
    int rc;

    p = put_literal(p, "{\"op\":\"");
    *p++ = (char)change->op;
    *p++ = '"';
    rc = sl_buf_append(out, head, (size_t)(p - head));
    if (rc == SL_OK)
        rc = append_table_names(out, change->table);
    p = put_literal(head, ",\"lsn\":\"");
    p = put_lsn(p, change->lsn);
    p = put_literal(p, "\",\"commit_lsn\":\"");
    p = put_lsn(p, change->txn->commit_lsn);
    p = put_literal(p, "\",\"xid\":");
    p = put_i64(p, change->txn->xid);
    p = put_literal(p, ",\"ts_ms\":");
    p = put_i64(p, change->txn->commit_ts_ms);
    if (rc == SL_OK)
        rc = sl_buf_append(out, head, (size_t)(p - head));
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"before\":");
    if (rc == SL_OK)
        rc = append_row(out, change->table, change->before);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"after\":");
    if (rc == SL_OK)
        rc = append_row(out, change->table, change->after);
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, "}\n");
    return rc;
}

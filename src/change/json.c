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

int sl_json_append_string(struct sl_buf *out, const char *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0, run = 0;
    int rc;

    /* worst case 6 bytes per input byte + quotes */
    if (len > (SIZE_MAX - 2) / 6)
        return SL_ELIMIT;
    rc = sl_buf_reserve(out, len + 2);
    if (rc != SL_OK)
        return rc;
    out->data[out->len++] = '"';
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            run++;
            continue;
        }
        if (run > 0) {
            rc = sl_buf_append(out, s + i - run, run);
            if (rc != SL_OK)
                return rc;
            run = 0;
        }
        if (c >= 0x80) {
            size_t seq = utf8_sequence_length(s + i, len - i);
            if (seq == 0) {
                rc = sl_buf_append(out, "\\ufffd", 6);
                i++;
            } else {
                rc = sl_buf_append(out, s + i, seq);
                i += seq;
            }
        } else {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t esc_len = 2;
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                esc_len = 6;
            }
            rc = sl_buf_append(out, esc, esc_len);
            i++;
        }
        if (rc != SL_OK)
            return rc;
    }
    if (run > 0) {
        rc = sl_buf_append(out, s + len - run, run);
        if (rc != SL_OK)
            return rc;
    }
    return sl_buf_putc(out, '"');
}

/* True when text is a JSON number (RFC 8259 grammar). */
static bool is_json_number(const char *t, size_t n)
{
    size_t i = 0;
    if (i < n && t[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (t[i] == '0') {
        i++;
    } else if (t[i] >= '1' && t[i] <= '9') {
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && t[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        size_t start = i;
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    return i == n;
}

static int append_value(struct sl_buf *out, const struct sl_column *column,
                        const struct sl_value *value)
{
    switch (value->kind) {
    case SL_VALUE_NULL:
    case SL_VALUE_ABSENT:
        return sl_buf_append(out, "null", 4);
    case SL_VALUE_UNCHANGED_TOAST:
        return sl_buf_append_str(out, "{\"unchanged_toast\":true}");
    case SL_VALUE_TEXT:
        break;
    }
    if (column->type_class == SL_TYPE_BOOL && value->len == 1) {
        if (value->text[0] == 't')
            return sl_buf_append(out, "true", 4);
        if (value->text[0] == 'f')
            return sl_buf_append(out, "false", 5);
    }
    if (sl_type_class_is_json_literal(column->type_class) && column->type_class != SL_TYPE_BOOL &&
        is_json_number(value->text, value->len))
        return sl_buf_append(out, value->text, value->len);
    /* text types, and non-finite floats ("NaN", "Infinity") as strings */
    return sl_json_append_string(out, value->text, value->len);
}

static int append_row(struct sl_buf *out, const struct sl_table_schema *table,
                      const struct sl_value *row)
{
    int rc;
    bool first = true;

    if (row == NULL)
        return sl_buf_append(out, "null", 4);
    rc = sl_buf_putc(out, '{');
    for (uint32_t i = 0; i < table->ncolumns && rc == SL_OK; i++) {
        const struct sl_column *column = &table->columns[i];
        if (row[i].kind == SL_VALUE_ABSENT)
            continue;
        if (!first)
            rc = sl_buf_putc(out, ',');
        first = false;
        if (rc == SL_OK)
            rc = sl_json_append_string(out, column->name, strlen(column->name));
        if (rc == SL_OK)
            rc = sl_buf_putc(out, ':');
        if (rc == SL_OK)
            rc = append_value(out, column, &row[i]);
    }
    if (rc == SL_OK)
        rc = sl_buf_putc(out, '}');
    return rc;
}

static int append_table_names(struct sl_buf *out, const struct sl_table_schema *table)
{
    int rc = sl_buf_append_str(out, ",\"schema\":");
    if (rc == SL_OK)
        rc = sl_json_append_string(out, table->schema_name, strlen(table->schema_name));
    if (rc == SL_OK)
        rc = sl_buf_append_str(out, ",\"table\":");
    if (rc == SL_OK)
        rc = sl_json_append_string(out, table->table_name, strlen(table->table_name));
    return rc;
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

int sl_change_json_change(struct sl_buf *out, const struct sl_change *change)
{
    char lsn[SL_LSN_TEXT_MAX], commit_lsn[SL_LSN_TEXT_MAX];
    int rc = sl_buf_printf(out, "{\"op\":\"%c\"", (char)change->op);

    if (rc == SL_OK)
        rc = append_table_names(out, change->table);
    if (rc == SL_OK)
        rc = sl_buf_printf(out, ",\"lsn\":\"%s\",\"commit_lsn\":\"%s\",\"xid\":%u,\"ts_ms\":%lld",
                           sl_lsn_format(change->lsn, lsn),
                           sl_lsn_format(change->txn->commit_lsn, commit_lsn), change->txn->xid,
                           (long long)change->txn->commit_ts_ms);
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

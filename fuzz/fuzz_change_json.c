/*
 * libFuzzer target for the change-event JSON reader: the input is split into
 * lines and fed to a reader whose sink checks the invariants of what it gets
 * (callbacks in order, values in bounds, bools as t/f). Two oracles on top:
 * every line the reader accepts must be JSON to jansson too, and every schema
 * and change it delivers, written out again by json.c, must read back the same
 * through a second reader.
 */
#include "sluice/change.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_change_json: broken: %s (line %d)\n", #cond, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The second reader's side: compares what it reads back with what the first delivered. */
struct mirror {
    struct sl_change_json_reader *reader;
    const struct sl_change *want;
    int schemas, changes;
};

struct check {
    struct mirror mirror;
    struct sl_buf out;
    bool open;
    const struct sl_txn_info *txn;
    uint64_t line_no;
    size_t touched;
};

static void check_row(struct check *c, const struct sl_table_schema *t, const struct sl_value *row)
{
    for (uint32_t i = 0; row != NULL && i < t->ncolumns; i++) {
        const struct sl_value *v = &row[i];
        MUST(v->kind == SL_VALUE_ABSENT || v->kind == SL_VALUE_NULL ||
             v->kind == SL_VALUE_UNCHANGED_TOAST || v->kind == SL_VALUE_TEXT);
        if (v->kind != SL_VALUE_TEXT)
            continue;
        MUST(v->text != NULL);
        for (uint32_t b = 0; b < v->len; b++) {
            MUST(v->text[b] != '\0'); /* PostgreSQL text has no NUL */
            c->touched += (unsigned char)v->text[b];
        }
        if (t->columns[i].type_class == SL_TYPE_BOOL)
            MUST(v->len == 1 && (v->text[0] == 't' || v->text[0] == 'f'));
    }
}

static bool same_values(const struct sl_value *a, const struct sl_value *b, uint32_t n)
{
    if (a == NULL || b == NULL)
        return a == b;
    for (uint32_t i = 0; i < n; i++)
        if (a[i].kind != b[i].kind ||
            (a[i].kind == SL_VALUE_TEXT &&
             (a[i].len != b[i].len || memcmp(a[i].text, b[i].text, a[i].len) != 0)))
            return false;
    return true;
}

static int mirror_schema(void *ctx, const struct sl_table_schema *t, struct sl_error *err)
{
    struct mirror *m = ctx;
    (void)t;
    (void)err;
    m->schemas++;
    return SL_OK;
}

static int mirror_change(void *ctx, const struct sl_change *got, struct sl_error *err)
{
    struct mirror *m = ctx;
    const struct sl_change *want = m->want;
    (void)err;
    MUST(want != NULL);
    MUST(got->op == want->op && got->lsn == want->lsn);
    MUST(got->txn->xid == want->txn->xid && got->txn->commit_lsn == want->txn->commit_lsn);
    MUST(got->txn->commit_ts_ms == want->txn->commit_ts_ms);
    MUST(sl_table_schema_same_columns(got->table, want->table));
    MUST(got->table->version == want->table->version);
    MUST(same_values(got->before, want->before, want->table->ncolumns));
    MUST(same_values(got->after, want->after, want->table->ncolumns));
    m->changes++;
    return SL_OK;
}

static const struct sl_change_sink MIRROR_SINK_TEMPLATE = {NULL, mirror_schema, NULL,
                                                           mirror_change, NULL};

/* Feeds json.c's line (without its newline) to the mirror reader; it must accept it. */
static void feed_mirror(struct check *c)
{
    struct sl_change_sink sink = MIRROR_SINK_TEMPLATE;
    struct sl_error err;
    sink.ctx = &c->mirror;
    MUST(c->out.len > 0 && c->out.data[c->out.len - 1] == '\n');
    int rc = sl_change_json_reader_feed(c->mirror.reader, c->out.data, c->out.len - 1, c->line_no,
                                        &sink, &err);
    if (rc != SL_OK)
        fprintf(stderr, "mirror refused %s: %s\n", c->out.data, err.message);
    MUST(rc == SL_OK);
}

static int on_schema(void *ctx, const struct sl_table_schema *t, struct sl_error *err)
{
    struct check *c = ctx;
    (void)err;
    MUST(t != NULL && t->version >= 1 && t->relid >= 1 && t->schema_name && t->table_name);
    for (uint32_t i = 0; i < t->ncolumns; i++)
        MUST(t->columns[i].name != NULL && t->columns[i].type_name != NULL);
    sl_buf_reset(&c->out);
    if (sl_change_json_schema(&c->out, t) == SL_OK) {
        int before = c->mirror.schemas;
        feed_mirror(c);
        MUST(c->mirror.schemas == before + 1);
    }
    return SL_OK;
}

static int on_begin(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct check *c = ctx;
    (void)err;
    MUST(!c->open);
    MUST(txn->end_lsn == txn->commit_lsn);
    c->open = true;
    c->txn = txn;
    return SL_OK;
}

static int on_change(void *ctx, const struct sl_change *change, struct sl_error *err)
{
    struct check *c = ctx;
    (void)err;
    MUST(c->open && change->txn == c->txn);
    MUST(change->table != NULL);
    MUST(strchr("cudtr", (int)change->op) != NULL);
    if (change->op == SL_OP_INSERT || change->op == SL_OP_READ)
        MUST(change->after != NULL && change->before == NULL);
    if (change->op == SL_OP_DELETE)
        MUST(change->after == NULL && change->before != NULL);
    if (change->op == SL_OP_TRUNCATE)
        MUST(change->after == NULL && change->before == NULL);
    check_row(c, change->table, change->before);
    check_row(c, change->table, change->after);
    sl_buf_reset(&c->out);
    if (sl_change_json_change(&c->out, change) == SL_OK) {
        int before = c->mirror.changes;
        c->mirror.want = change;
        feed_mirror(c);
        c->mirror.want = NULL;
        MUST(c->mirror.changes == before + 1);
    }
    return SL_OK;
}

static int on_commit(void *ctx, const struct sl_txn_info *txn, struct sl_error *err)
{
    struct check *c = ctx;
    (void)err;
    MUST(c->open && txn == c->txn);
    c->open = false;
    return SL_OK;
}

static bool blank(const uint8_t *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n')
            return false;
    return true;
}

/* A line the reader took must be JSON to jansson as well (numbers it cannot hold aside). */
static void check_with_jansson(const uint8_t *line, size_t len)
{
    json_error_t error;
    json_t *root = json_loadb((const char *)line, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                              &error);
    if (root == NULL) {
        if (json_error_code(&error) == json_error_numeric_overflow)
            return;
        fprintf(stderr, "jansson refused a line the reader took: %s\n", error.text);
        abort();
    }
    json_decref(root);
}

static volatile size_t touched_total;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_change_json_reader *reader = NULL;
    struct check c;
    struct sl_change_sink sink = {&c, on_schema, on_begin, on_change, on_commit};
    struct sl_error err;
    size_t start = 0;

    memset(&c, 0, sizeof(c));
    sl_buf_init(&c.out, (size_t)1 << 26);
    if (sl_change_json_reader_new(&reader) != SL_OK ||
        sl_change_json_reader_new(&c.mirror.reader) != SL_OK)
        goto done;
    while (start <= size) {
        const uint8_t *nl = start < size ? memchr(data + start, '\n', size - start) : NULL;
        size_t end = nl ? (size_t)(nl - data) : size;
        c.line_no++;
        sl_error_clear(&err);
        int rc = sl_change_json_reader_feed(reader, (const char *)data + start, end - start,
                                            c.line_no, &sink, &err);
        if (rc == SL_OK && !blank(data + start, end - start))
            check_with_jansson(data + start, end - start);
        if (rc != SL_OK) {
            MUST(rc == SL_EINVAL || rc == SL_ENOMEM);
            MUST(strncmp(err.message, "line ", 5) == 0);
        }
        start = end + 1;
    }
    MUST(sl_change_json_reader_finish(reader, &sink, &err) == SL_OK);
    MUST(!c.open);
done:
    sl_change_json_reader_free(reader);
    sl_change_json_reader_free(c.mirror.reader);
    sl_buf_free(&c.out);
    touched_total = c.touched;
    return 0;
}

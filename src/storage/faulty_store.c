/*
 * The fault-injecting object store (SQLite's test_vfs idea): forwards every
 * call to an inner store, counts calls per operation, fails the nth one of a
 * plan and, in crash mode, everything after it. Streams and read files it
 * opens are wrapped too and hold a reference on the wrapper, so they may
 * outlive the store handle.
 */
#include "sluice/storage.h"

#include "storage_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define OP_COUNT (SL_FAULT_READ_AT + 1)

static const char *const op_names[OP_COUNT] = {
    "any",    "put",        "put_if_absent", "get",           "get_range", "head",   "list",
    "remove", "open_write", "stream_write",  "stream_finish", "open_read", "read_at",
};

const char *sl_fault_op_name(enum sl_fault_op op)
{
    return (unsigned)op < OP_COUNT ? op_names[op] : "?";
}

/* ---------------------------------------------------------------- plan */

static int parse_field(char *field, struct sl_fault_plan *plan, unsigned *seen,
                       struct sl_error *err)
{
    static const char *const names[] = {"op", "nth", "crash", "key", "code"};
    char *value = strchr(field, '=');
    size_t name_len = value != NULL ? (size_t)(value - field) : strlen(field);
    size_t which = SL_ARRAY_LEN(names);
    uint64_t number;

    for (size_t i = 0; i < SL_ARRAY_LEN(names); i++)
        if (strlen(names[i]) == name_len && strncmp(field, names[i], name_len) == 0)
            which = i;
    if (which == SL_ARRAY_LEN(names))
        return sl_error_set(err, SL_EINVAL,
                            "fault plan field \"%.*s\" is unknown; use op=, nth=, crash, key=, "
                            "code=",
                            (int)name_len, field);
    if (*seen & (1u << which))
        return sl_error_set(err, SL_EINVAL, "fault plan field \"%s\" is given twice", names[which]);
    *seen |= 1u << which;
    if (which == 2) { /* crash: a flag */
        if (value != NULL)
            return sl_error_set(err, SL_EINVAL, "fault plan field \"crash\" takes no value (got "
                                "\"%s\"); write just crash", value + 1);
        plan->crash = true;
        return SL_OK;
    }
    if (value == NULL)
        return sl_error_set(err, SL_EINVAL, "fault plan field \"%s\" needs a value (%s=...)",
                            names[which], names[which]);
    value++;
    switch (which) {
    case 0:
        for (size_t op = 0; op < OP_COUNT; op++) {
            if (strcmp(value, op_names[op]) == 0) {
                plan->op = (enum sl_fault_op)op;
                return SL_OK;
            }
        }
        return sl_error_set(err, SL_EINVAL,
                            "fault plan op \"%s\" is unknown; use any, put, put_if_absent, get, "
                            "get_range, head, list, remove, open_write, stream_write, "
                            "stream_finish, open_read or read_at",
                            value);
    case 1:
        if (sl_parse_u64(value, &number) != SL_OK || number > LONG_MAX)
            return sl_error_set(err, SL_EINVAL,
                                "fault plan nth \"%s\" is not a count; use 0 (never fail) or 1, "
                                "2, ... (fail that call)",
                                value);
        plan->nth = (long)number;
        return SL_OK;
    case 3:
        if (strlen(value) >= sizeof(plan->key_contains))
            return sl_error_set(err, SL_EINVAL,
                                "fault plan key \"%.40s...\" is longer than %zu bytes", value,
                                sizeof(plan->key_contains) - 1);
        strcpy(plan->key_contains, value);
        return SL_OK;
    default: /* code */
        if (strncmp(value, "SL_", 3) == 0)
            value += 3;
        for (int code = -1; strcmp(sl_error_code_name(code), "EUNKNOWN") != 0; code--) {
            if (strcmp(value, sl_error_code_name(code)) == 0) {
                plan->code = code;
                return SL_OK;
            }
        }
        return sl_error_set(err, SL_EINVAL,
                            "fault plan code \"%s\" is unknown; use an error name such as EIO, "
                            "ENOTFOUND, ECONN or EEXIST",
                            value);
    }
}

int sl_fault_plan_parse(const char *text, struct sl_fault_plan *out, struct sl_error *err)
{
    struct sl_fault_plan plan = {.op = SL_FAULT_ANY};
    unsigned seen = 0;
    char *copy = NULL;
    int rc = SL_OK;

    if (text == NULL)
        return sl_error_set(err, SL_EINVAL, "fault plan is missing");
    copy = sl_strdup(text);
    if (copy == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory parsing fault plan");
    for (char *field = copy, *next; field != NULL; field = next) {
        char *end;
        next = strchr(field, ',');
        if (next != NULL)
            *next++ = '\0';
        while (*field == ' ' || *field == '\t')
            field++;
        end = field + strlen(field);
        while (end > field && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*field == '\0') {
            if (next == NULL && field == copy)
                break; /* the empty plan */
            rc = sl_error_set(err, SL_EINVAL, "fault plan \"%s\" has an empty field", text);
            goto fail;
        }
        rc = parse_field(field, &plan, &seen, err);
        if (rc != SL_OK)
            goto fail;
    }
    if (plan.crash && plan.nth == 0) {
        rc = sl_error_set(err, SL_EINVAL,
                          "fault plan \"%s\" sets crash but no nth, so nothing would fail; add "
                          "nth=N",
                          text);
        goto fail;
    }
    *out = plan;

fail:
    if (rc != SL_OK && rc != SL_ENOMEM)
        sl_error_prefix(err, "bad fault plan \"%s\"", text);
    sl_free(copy);
    return rc;
}

/* ---------------------------------------------------------------- wrapper state */

struct faulty_store {
    struct sl_object_store inner;
    struct sl_fault_plan plan;
    pthread_mutex_t lock; /* guards everything below */
    long refs;            /* the store handle plus every open stream and read file */
    long calls[OP_COUNT];
    bool injected;        /* the nth call has failed */
    bool crashed;         /* ... in crash mode: everything fails now */
    bool report_at_close;
    char first_fault[256]; /* "put #3 on key" */
};

/*
 * Counts one call of op on key and decides whether it fails. With count
 * false (a read file's size()) the call is not counted and fails only after
 * a crash.
 */
static int gate(struct faulty_store *f, enum sl_fault_op op, const char *key, bool count,
                struct sl_error *err)
{
    const struct sl_fault_plan *plan = &f->plan;
    int code = plan->code != 0 ? plan->code : SL_EIO;
    bool crashed, fire = false;
    long n = 0;

    if (key == NULL)
        key = "";
    pthread_mutex_lock(&f->lock);
    crashed = f->crashed;
    if (count && (plan->key_contains[0] == '\0' || strstr(key, plan->key_contains) != NULL)) {
        f->calls[op]++;
        f->calls[SL_FAULT_ANY]++;
        n = f->calls[plan->op];
        fire = !crashed && !f->injected && plan->nth > 0 && n == plan->nth &&
               (plan->op == SL_FAULT_ANY || plan->op == op);
        if (fire) {
            f->injected = true;
            f->crashed = plan->crash;
            snprintf(f->first_fault, sizeof(f->first_fault), "%s #%ld on %s", op_names[op], n,
                     key);
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (fire)
        return sl_error_set(err, code, "injected fault: %s #%ld on %s", op_names[op], n, key);
    if (crashed)
        return sl_error_set(err, code, "injected fault: %s on %s after the crash injected at %s",
                            op_names[op], key, f->first_fault); /* first_fault is final now */
    return SL_OK;
}

static void release(struct faulty_store *f)
{
    bool last;
    pthread_mutex_lock(&f->lock);
    last = --f->refs == 0;
    pthread_mutex_unlock(&f->lock);
    if (!last)
        return;
    sl_object_store_close(&f->inner);
    pthread_mutex_destroy(&f->lock);
    sl_free(f);
}

static void retain(struct faulty_store *f)
{
    pthread_mutex_lock(&f->lock);
    f->refs++;
    pthread_mutex_unlock(&f->lock);
}

/* ---------------------------------------------------------------- store calls */

static int faulty_put(void *ctx, const char *key, const void *bytes, size_t len,
                      struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_PUT, key, true, err);
    return rc != SL_OK ? rc : f->inner.put(f->inner.ctx, key, bytes, len, err);
}

static int faulty_put_if_absent(void *ctx, const char *key, const void *bytes, size_t len,
                                struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_PUT_IF_ABSENT, key, true, err);
    return rc != SL_OK ? rc : f->inner.put_if_absent(f->inner.ctx, key, bytes, len, err);
}

static int faulty_get(void *ctx, const char *key, struct sl_buf *out, struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_GET, key, true, err);
    return rc != SL_OK ? rc : f->inner.get(f->inner.ctx, key, out, err);
}

static int faulty_get_range(void *ctx, const char *key, uint64_t offset, void *buf, size_t len,
                            struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_GET_RANGE, key, true, err);
    return rc != SL_OK ? rc : f->inner.get_range(f->inner.ctx, key, offset, buf, len, err);
}

static int faulty_head(void *ctx, const char *key, uint64_t *size, struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_HEAD, key, true, err);
    return rc != SL_OK ? rc : f->inner.head(f->inner.ctx, key, size, err);
}

static int faulty_list(void *ctx, const char *prefix, bool recursive,
                       struct sl_object_listing *out, struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_LIST, prefix, true, err);
    return rc != SL_OK ? rc : f->inner.list(f->inner.ctx, prefix, recursive, out, err);
}

static int faulty_remove(void *ctx, const char *key, struct sl_error *err)
{
    struct faulty_store *f = ctx;
    int rc = gate(f, SL_FAULT_REMOVE, key, true, err);
    return rc != SL_OK ? rc : f->inner.remove(f->inner.ctx, key, err);
}

/* ---------------------------------------------------------------- write streams */

struct faulty_stream {
    struct faulty_store *store; /* one reference */
    struct sl_write_stream inner;
    char *key;
};

static int stream_write(void *ctx, const void *bytes, size_t len, struct sl_error *err)
{
    struct faulty_stream *s = ctx;
    int rc = gate(s->store, SL_FAULT_STREAM_WRITE, s->key, true, err);
    return rc != SL_OK ? rc : sl_write_stream_write(&s->inner, bytes, len, err);
}

static int stream_finish(void *ctx, struct sl_error *err)
{
    struct faulty_stream *s = ctx;
    int rc = gate(s->store, SL_FAULT_STREAM_FINISH, s->key, true, err);
    if (rc != SL_OK) {
        /* the bytes were written but never become visible */
        s->inner.abort(s->inner.ctx);
        return rc;
    }
    return s->inner.finish(s->inner.ctx, err);
}

static void stream_abort(void *ctx)
{
    struct faulty_stream *s = ctx;
    s->inner.abort(s->inner.ctx);
}

static void stream_destroy(void *ctx)
{
    struct faulty_stream *s = ctx;
    if (s == NULL)
        return;
    s->inner.destroy(s->inner.ctx);
    release(s->store);
    sl_free(s->key);
    sl_free(s);
}

static int faulty_open_write(void *ctx, const char *key, struct sl_write_stream *out,
                             struct sl_error *err)
{
    struct faulty_store *f = ctx;
    struct faulty_stream *s = NULL;
    int rc;

    rc = gate(f, SL_FAULT_OPEN_WRITE, key, true, err);
    if (rc != SL_OK)
        return rc;
    s = sl_calloc(1, sizeof(*s));
    if (s == NULL || (s->key = sl_strdup(key)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening a write stream for %s", key);
        goto fail;
    }
    rc = f->inner.open_write(f->inner.ctx, key, &s->inner, err);
    if (rc != SL_OK)
        goto fail;
    retain(f);
    s->store = f;
    out->ctx = s;
    out->write = stream_write;
    out->finish = stream_finish;
    out->abort = stream_abort;
    out->destroy = stream_destroy;
    out->written = 0;
    return SL_OK;

fail:
    if (s != NULL)
        sl_free(s->key);
    sl_free(s);
    return rc;
}

/* ---------------------------------------------------------------- read files */

struct faulty_file {
    struct faulty_store *store; /* one reference */
    struct sl_read_file inner;
    char *key;
};

static int file_size(void *ctx, uint64_t *out, struct sl_error *err)
{
    struct faulty_file *file = ctx;
    int rc = gate(file->store, SL_FAULT_READ_AT, file->key, false, err);
    return rc != SL_OK ? rc : file->inner.size(file->inner.ctx, out, err);
}

static int file_read_at(void *ctx, uint64_t offset, void *buf, size_t len, struct sl_error *err)
{
    struct faulty_file *file = ctx;
    int rc = gate(file->store, SL_FAULT_READ_AT, file->key, true, err);
    return rc != SL_OK ? rc : file->inner.read_at(file->inner.ctx, offset, buf, len, err);
}

static void file_destroy(void *ctx)
{
    struct faulty_file *file = ctx;
    if (file == NULL)
        return;
    file->inner.destroy(file->inner.ctx);
    release(file->store);
    sl_free(file->key);
    sl_free(file);
}

static int faulty_open_read(void *ctx, const char *key, struct sl_read_file *out,
                            struct sl_error *err)
{
    struct faulty_store *f = ctx;
    struct faulty_file *file = NULL;
    int rc;

    rc = gate(f, SL_FAULT_OPEN_READ, key, true, err);
    if (rc != SL_OK)
        return rc;
    file = sl_calloc(1, sizeof(*file));
    if (file == NULL || (file->key = sl_strdup(key)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening %s for reading", key);
        goto fail;
    }
    rc = f->inner.open_read(f->inner.ctx, key, &file->inner, err);
    if (rc != SL_OK)
        goto fail;
    retain(f);
    file->store = f;
    out->ctx = file;
    out->size = file_size;
    out->read_at = file_read_at;
    out->destroy = file_destroy;
    return SL_OK;

fail:
    if (file != NULL)
        sl_free(file->key);
    sl_free(file);
    return rc;
}

/* ---------------------------------------------------------------- the store */

static int counts_line(struct faulty_store *f, struct sl_buf *out)
{
    long calls[OP_COUNT];
    int rc;

    pthread_mutex_lock(&f->lock);
    memcpy(calls, f->calls, sizeof(calls));
    pthread_mutex_unlock(&f->lock);
    rc = sl_buf_append_str(out, "sluice-fault-counts");
    for (size_t op = 0; op < OP_COUNT && rc == SL_OK; op++)
        rc = sl_buf_printf(out, " %s=%ld", op_names[op], calls[op]);
    return rc;
}

static void faulty_destroy(void *ctx)
{
    struct faulty_store *f = ctx;
    if (f == NULL)
        return;
    if (f->report_at_close) {
        struct sl_buf line;
        sl_buf_init(&line, 4096);
        if (counts_line(f, &line) == SL_OK)
            fprintf(stderr, "%s\n", line.data);
        sl_buf_free(&line);
    }
    release(f);
}

static struct faulty_store *as_faulty(const struct sl_object_store *store)
{
    if (store == NULL || store->destroy != faulty_destroy)
        return NULL;
    return store->ctx;
}

void sl_faulty_store_report_at_close(struct sl_object_store *faulty)
{
    struct faulty_store *f = as_faulty(faulty);
    if (f != NULL)
        f->report_at_close = true;
}

long sl_faulty_store_calls(const struct sl_object_store *faulty, enum sl_fault_op op)
{
    struct faulty_store *f = as_faulty(faulty);
    long n;
    if (f == NULL || (unsigned)op >= OP_COUNT)
        return -1;
    pthread_mutex_lock(&f->lock);
    n = f->calls[op];
    pthread_mutex_unlock(&f->lock);
    return n;
}

int sl_faulty_store_counts_line(const struct sl_object_store *faulty, struct sl_buf *out,
                                struct sl_error *err)
{
    struct faulty_store *f = as_faulty(faulty);
    if (f == NULL)
        return sl_error_set(err, SL_EINVAL, "store %s is not a fault-injecting store",
                            faulty != NULL && faulty->uri != NULL ? faulty->uri : "(none)");
    if (counts_line(f, out) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory formatting fault counts");
    return SL_OK;
}

int sl_faulty_store_wrap(struct sl_object_store *inner, const struct sl_fault_plan *plan,
                         struct sl_object_store *out, struct sl_error *err)
{
    struct sl_object_store taken = *inner;
    struct faulty_store *f = NULL;
    int rc = SL_OK;

    memset(inner, 0, sizeof(*inner)); /* ours now, whatever happens */
    if (taken.version != SL_OBJECT_STORE_VERSION) {
        rc = sl_error_set(err, SL_EINVAL, "cannot wrap store %s: interface version %d, want %d",
                          taken.uri != NULL ? taken.uri : "(none)", taken.version,
                          SL_OBJECT_STORE_VERSION);
        goto fail;
    }
    if ((unsigned)plan->op >= OP_COUNT || plan->nth < 0 || plan->code > 0 ||
        memchr(plan->key_contains, '\0', sizeof(plan->key_contains)) == NULL) {
        rc = sl_error_set(err, SL_EINVAL,
                          "bad fault plan for %s: op %d, nth %ld, code %d (want a known op, "
                          "nth >= 0, code <= 0, key_contains NUL-terminated)",
                          taken.uri, (int)plan->op, plan->nth, plan->code);
        goto fail;
    }
    f = sl_calloc(1, sizeof(*f));
    if (f == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory wrapping store %s", taken.uri);
        goto fail;
    }
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        sl_free(f);
        rc = sl_error_set(err, SL_ENOMEM, "cannot create a mutex wrapping store %s", taken.uri);
        goto fail;
    }
    f->inner = taken;
    f->plan = *plan;
    f->refs = 1;
    memset(out, 0, sizeof(*out));
    out->version = SL_OBJECT_STORE_VERSION;
    out->ctx = f;
    out->uri = taken.uri;
    out->put = faulty_put;
    out->put_if_absent = faulty_put_if_absent;
    out->get = faulty_get;
    out->get_range = faulty_get_range;
    out->head = faulty_head;
    out->list = faulty_list;
    out->remove = faulty_remove;
    out->open_write = faulty_open_write;
    out->open_read = faulty_open_read;
    out->destroy = faulty_destroy;
    return SL_OK;

fail:
    sl_object_store_close(&taken);
    if (out != inner)
        memset(out, 0, sizeof(*out));
    return rc;
}

/*
 * Timeline: instants from timeline file names, instant times, and base file
 * names. Version 6 names are "<time>.<action>[.<state>]" (a commit's
 * inflight file is just "<time>.inflight"); version 8 completed instants are
 * "<time>_<completion>.<action>".
 */
#include "hudi/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum sl_hudi_action action;
} actions[] = {
    {"commit", SL_HUDI_ACTION_COMMIT},
    {"deltacommit", SL_HUDI_ACTION_DELTA_COMMIT},
    {"replacecommit", SL_HUDI_ACTION_REPLACE_COMMIT},
    {"clean", SL_HUDI_ACTION_CLEAN},
    {"rollback", SL_HUDI_ACTION_ROLLBACK},
    {"savepoint", SL_HUDI_ACTION_SAVEPOINT},
    {"restore", SL_HUDI_ACTION_RESTORE},
    {"compaction", SL_HUDI_ACTION_COMPACTION},
    {"logcompaction", SL_HUDI_ACTION_LOG_COMPACTION},
    {"indexing", SL_HUDI_ACTION_INDEXING},
    {"clustering", SL_HUDI_ACTION_CLUSTERING},
    {"schemacommit", SL_HUDI_ACTION_SCHEMA_COMMIT},
};

const char *sl_hudi_action_name(enum sl_hudi_action action)
{
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (actions[i].action == action)
            return actions[i].name;
    return "unknown";
}

const char *sl_hudi_state_name(enum sl_hudi_state state)
{
    switch (state) {
    case SL_HUDI_REQUESTED: return "requested";
    case SL_HUDI_INFLIGHT: return "inflight";
    case SL_HUDI_COMPLETED: return "completed";
    }
    return "unknown";
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

bool sl_hudi_instant_time_valid(const char *text)
{
    if (text == NULL || strlen(text) != SL_HUDI_INSTANT_LEN || !all_digits(text, SL_HUDI_INSTANT_LEN))
        return false;
    int month = digits_value(text + 4, 2), day = digits_value(text + 6, 2);
    int hour = digits_value(text + 8, 2), minute = digits_value(text + 10, 2);
    int second = digits_value(text + 12, 2);
    return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
           second <= 59;
}

static bool action_from(const char *s, size_t n, enum sl_hudi_action *out)
{
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strlen(actions[i].name) == n && memcmp(actions[i].name, s, n) == 0) {
            *out = actions[i].action;
            return true;
        }
    return false;
}

bool sl_hudi_instant_parse_name(const char *name, char time[SL_HUDI_INSTANT_LEN + 1],
                                char completion[SL_HUDI_INSTANT_LEN + 1],
                                enum sl_hudi_action *action, enum sl_hudi_state *state)
{
    size_t len = strlen(name);
    const char *rest;

    /* Spark may write instants with fewer digits (older seconds-precision
     * times, 14 digits); we only deal in 17-digit times. */
    if (len < SL_HUDI_INSTANT_LEN + 2 || !all_digits(name, SL_HUDI_INSTANT_LEN))
        return false;
    memcpy(time, name, SL_HUDI_INSTANT_LEN);
    time[SL_HUDI_INSTANT_LEN] = '\0';
    completion[0] = '\0';
    rest = name + SL_HUDI_INSTANT_LEN;
    if (*rest == '_') {
        if (strlen(rest + 1) < SL_HUDI_INSTANT_LEN + 2 || !all_digits(rest + 1, SL_HUDI_INSTANT_LEN))
            return false;
        memcpy(completion, rest + 1, SL_HUDI_INSTANT_LEN);
        completion[SL_HUDI_INSTANT_LEN] = '\0';
        rest += 1 + SL_HUDI_INSTANT_LEN;
    }
    if (*rest != '.')
        return false;
    rest++;
    if (strcmp(rest, "inflight") == 0 && completion[0] == '\0') {
        *action = SL_HUDI_ACTION_COMMIT;
        *state = SL_HUDI_INFLIGHT;
        return true;
    }
    const char *dot = strchr(rest, '.');
    size_t action_len = dot ? (size_t)(dot - rest) : strlen(rest);
    if (!action_from(rest, action_len, action))
        return false;
    if (dot == NULL) {
        *state = SL_HUDI_COMPLETED;
        return true;
    }
    if (completion[0] != '\0')
        return false;
    if (strcmp(dot + 1, "requested") == 0)
        *state = SL_HUDI_REQUESTED;
    else if (strcmp(dot + 1, "inflight") == 0)
        *state = SL_HUDI_INFLIGHT;
    else
        return false;
    /* A compaction completes as a commit; its requested/inflight files keep their action. */
    return true;
}

void sl_hudi_timeline_free(struct sl_hudi_timeline *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->count; i++) {
        sl_free(t->instants[i].file_requested);
        sl_free(t->instants[i].file_inflight);
        sl_free(t->instants[i].file_completed);
    }
    sl_free(t->instants);
    memset(t, 0, sizeof(*t));
}

int sl_hudi_timeline_add_name(struct sl_hudi_timeline *t, const char *name)
{
    char time[SL_HUDI_INSTANT_LEN + 1], completion[SL_HUDI_INSTANT_LEN + 1];
    enum sl_hudi_action action;
    enum sl_hudi_state state;
    struct sl_hudi_instant *in = NULL;
    char **slot;

    if (!sl_hudi_instant_parse_name(name, time, completion, &action, &state))
        return SL_OK;
    /* A compaction's requested/inflight files belong to the commit it completes as. */
    if (action == SL_HUDI_ACTION_COMPACTION)
        action = SL_HUDI_ACTION_COMMIT;
    for (size_t i = t->count; i > 0; i--) { /* names arrive roughly sorted: search backwards */
        if (strcmp(t->instants[i - 1].time, time) == 0 && t->instants[i - 1].action == action) {
            in = &t->instants[i - 1];
            break;
        }
    }
    if (in == NULL) {
        if (sl_array_grow((void **)&t->instants, &t->cap, t->count + 1, sizeof(*t->instants)) != SL_OK)
            return SL_ENOMEM;
        in = &t->instants[t->count++];
        memset(in, 0, sizeof(*in));
        memcpy(in->time, time, sizeof(time));
        in->action = action;
    }
    slot = state == SL_HUDI_REQUESTED ? &in->file_requested
           : state == SL_HUDI_INFLIGHT ? &in->file_inflight
                                       : &in->file_completed;
    if (*slot == NULL && (*slot = sl_strdup(name)) == NULL)
        return SL_ENOMEM;
    if (state > in->state)
        in->state = state;
    if (completion[0] != '\0')
        memcpy(in->completion, completion, sizeof(completion));
    return SL_OK;
}

static int compare_instants(const void *a, const void *b)
{
    const struct sl_hudi_instant *x = a, *y = b;
    int c = strcmp(x->time, y->time);
    if (c != 0)
        return c;
    return (int)x->action - (int)y->action;
}

void sl_hudi_timeline_sort(struct sl_hudi_timeline *t)
{
    if (t->count > 1)
        qsort(t->instants, t->count, sizeof(*t->instants), compare_instants);
}

int sl_hudi_timeline_load(struct sl_object_store *store, const char *folder,
                          struct sl_hudi_timeline *out, struct sl_error *err)
{
    struct sl_object_listing listing = {0};
    size_t folder_len = strlen(folder);
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store->list(store->ctx, folder, false, &listing, err);
    if (rc != SL_OK)
        goto fail;
    for (size_t i = 0; i < listing.count; i++) {
        const struct sl_object_entry *e = &listing.entries[i];
        if (e->is_prefix || strncmp(e->key, folder, folder_len) != 0)
            continue;
        rc = sl_hudi_timeline_add_name(out, e->key + folder_len);
        if (rc != SL_OK) {
            sl_error_set(err, rc, "out of memory loading the timeline of %s%s", store->uri, folder);
            goto fail;
        }
    }
    sl_hudi_timeline_sort(out);
    sl_object_listing_free(&listing);
    return SL_OK;
fail:
    sl_object_listing_free(&listing);
    sl_hudi_timeline_free(out);
    return rc;
}

bool sl_hudi_instant_writes_data(const struct sl_hudi_instant *in)
{
    return in->state == SL_HUDI_COMPLETED &&
           (in->action == SL_HUDI_ACTION_COMMIT || in->action == SL_HUDI_ACTION_DELTA_COMMIT ||
            in->action == SL_HUDI_ACTION_REPLACE_COMMIT);
}

const struct sl_hudi_instant *sl_hudi_timeline_last_completed(const struct sl_hudi_timeline *t)
{
    for (size_t i = t->count; i > 0; i--)
        if (sl_hudi_instant_writes_data(&t->instants[i - 1]))
            return &t->instants[i - 1];
    return NULL;
}

/* Milliseconds since the epoch of a valid 17-digit instant time (UTC). */
static int64_t instant_ms(const char *t)
{
    int64_t days = sl_unix_days_from_civil(digits_value(t, 4), digits_value(t + 4, 2),
                                           digits_value(t + 6, 2));
    int64_t seconds = days * 86400 + digits_value(t + 8, 2) * 3600 + digits_value(t + 10, 2) * 60 +
                      digits_value(t + 12, 2);
    return seconds * 1000 + digits_value(t + 14, 3);
}

int sl_hudi_instant_time_next(int64_t wall_ms, const char *after, char out[SL_HUDI_INSTANT_LEN + 1],
                              struct sl_error *err)
{
    struct sl_civil_date d;
    int64_t ms = wall_ms;

    if (after != NULL && after[0] != '\0') {
        if (!sl_hudi_instant_time_valid(after))
            return sl_error_set(err, SL_EINVAL, "invalid instant time '%s' on the timeline", after);
        int64_t last = instant_ms(after);
        if (ms <= last)
            ms = last + 1;
    }
    int64_t seconds = sl_floor_div(ms, 1000);
    int64_t days = sl_floor_div(seconds, 86400);
    int64_t of_day = seconds - days * 86400;
    sl_civil_from_unix_days(days, &d);
    if (d.year < 1000 || d.year > 9999)
        return sl_error_set(err, SL_EINVAL, "the clock reads year %lld: cannot make an instant time",
                            (long long)d.year);
    char text[64]; /* wide enough for any int, so the compiler sees no truncation */
    snprintf(text, sizeof(text), "%04d%02d%02d%02d%02d%02d%03d", (int)d.year, d.month, d.day,
             (int)(of_day / 3600), (int)(of_day / 60 % 60), (int)(of_day % 60),
             (int)(ms - seconds * 1000));
    memcpy(out, text, SL_HUDI_INSTANT_LEN);
    out[SL_HUDI_INSTANT_LEN] = '\0';
    return SL_OK;
}

bool sl_hudi_base_name_parse(const char *name, struct sl_hudi_base_name *out)
{
    size_t len = strlen(name);
    static const char suffix[] = ".parquet";
    const char *first, *last;

    if (len <= sizeof(suffix) - 1 || strcmp(name + len - (sizeof(suffix) - 1), suffix) != 0)
        return false;
    first = strchr(name, '_');
    last = strrchr(name, '_');
    if (first == NULL || first == last || first == name)
        return false;
    out->file_id = name;
    out->file_id_len = (size_t)(first - name);
    out->instant = last + 1;
    out->instant_len = (size_t)(name + len - (sizeof(suffix) - 1) - out->instant);
    return out->instant_len > 0 && all_digits(out->instant, out->instant_len);
}

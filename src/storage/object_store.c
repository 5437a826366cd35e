/*
 * The backend-independent part of the object-store interface: key rules,
 * listings, and sl_object_store_open, which picks a backend from a URI and,
 * for tests, wraps it in the fault injector named by SLUICE_FAULT_INJECT.
 */
#include "sluice/storage.h"

#include "storage_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 1024 /* S3's limit on key length, in bytes */

void sl_object_listing_free(struct sl_object_listing *listing)
{
    if (listing == NULL)
        return;
    for (size_t i = 0; i < listing->count; i++)
        sl_free(listing->entries[i].key);
    sl_free(listing->entries);
    listing->entries = NULL;
    listing->count = 0;
    listing->cap = 0;
}

int sl_storage_name_check(const char *name, bool is_prefix, struct sl_error *err)
{
    const char *what = is_prefix ? "prefix" : "key";
    size_t len;

    if (name == NULL || (name[0] == '\0' && !is_prefix))
        return sl_error_set(err, SL_EINVAL, "object key is empty; name an object below the root");
    len = strlen(name);
    if (len == 0)
        return SL_OK; /* the empty prefix: the whole store */
    if (len > KEY_MAX)
        return sl_error_set(err, SL_EINVAL,
                            "object %s \"%.80s...\" is %zu bytes; at most %d allowed", what, name,
                            len, KEY_MAX);
    if (name[0] == '/')
        return sl_error_set(err, SL_EINVAL,
                            "object %s \"%s\" is absolute; name it relative to the store root "
                            "(without the leading '/')",
                            what, name);
    if (strstr(name, "//") != NULL)
        return sl_error_set(err, SL_EINVAL, "object %s \"%s\" has an empty segment (\"//\")", what,
                            name);
    if (!is_prefix && name[len - 1] == '/')
        return sl_error_set(err, SL_EINVAL,
                            "object key \"%s\" ends in '/', which names a directory, not an object",
                            name);
    if (strstr(name, SL_STORAGE_TEMP_MARKER) != NULL)
        return sl_error_set(err, SL_EINVAL,
                            "object %s \"%s\" contains \"" SL_STORAGE_TEMP_MARKER
                            "\", which is reserved for unfinished writes",
                            what, name);
    for (const char *segment = name; *segment != '\0';) {
        const char *end = strchr(segment, '/');
        if (end == NULL && is_prefix)
            break; /* a prefix's last part is the start of a name: ".h" may list ".hoodie" */
        size_t seg_len = end != NULL ? (size_t)(end - segment) : strlen(segment);
        if ((seg_len == 1 && segment[0] == '.') ||
            (seg_len == 2 && segment[0] == '.' && segment[1] == '.'))
            return sl_error_set(err, SL_EINVAL,
                                "object %s \"%s\" has a \"%.*s\" segment; use plain names "
                                "below the store root",
                                what, name, (int)seg_len, segment);
        if (end == NULL)
            break;
        segment = end + 1;
    }
    return SL_OK;
}

int sl_object_key_check(const char *key, struct sl_error *err)
{
    return sl_storage_name_check(key, false, err);
}

/* "scheme://" at the start of uri: returns the scheme's length, 0 if none. */
static size_t uri_scheme_len(const char *uri)
{
    size_t i = 0;
    if (!isalpha((unsigned char)uri[0]))
        return 0;
    while (isalnum((unsigned char)uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')
        i++;
    return strncmp(uri + i, "://", 3) == 0 ? i : 0;
}

static int open_backend(const char *uri, struct sl_object_store *out, struct sl_error *err)
{
    size_t scheme_len;

    if (uri == NULL || uri[0] == '\0')
        return sl_error_set(err, SL_EINVAL,
                            "storage URI is empty; use file:///abs/path or a directory path");
    scheme_len = uri_scheme_len(uri);
    if (scheme_len == 0)
        return sl_local_store_open(uri, out, err);
    if (scheme_len == 4 && strncmp(uri, "file", 4) == 0) {
        const char *path = uri + 7; /* after "file://" */
        if (strncmp(path, "localhost/", 10) == 0)
            path += 9;
        if (path[0] != '/')
            return sl_error_set(err, SL_EINVAL,
                                "storage URI \"%s\" names a host; file URIs take a local absolute "
                                "path: file:///abs/path",
                                uri);
        return sl_local_store_open(path, out, err);
    }
    if (scheme_len == 2 && strncmp(uri, "s3", 2) == 0)
        return sl_s3_store_open(uri, out, err); /* src/storage/s3_store.c */
    return sl_error_set(err, SL_EINVAL,
                        "storage URI \"%s\" has an unknown scheme \"%.*s\"; accepted forms are "
                        "file:///abs/path, a directory path and s3://bucket/prefix",
                        uri, (int)scheme_len, uri);
}

int sl_object_store_open(const char *uri, struct sl_object_store *out, struct sl_error *err)
{
    struct sl_object_store store = {0};
    struct sl_fault_plan plan;
    const char *plan_text = getenv("SLUICE_FAULT_INJECT");
    int rc;

    memset(out, 0, sizeof(*out));
    rc = open_backend(uri, &store, err);
    if (rc != SL_OK)
        return rc;
    if (plan_text == NULL || plan_text[0] == '\0') {
        *out = store;
        return SL_OK;
    }
    rc = sl_fault_plan_parse(plan_text, &plan, err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "environment variable SLUICE_FAULT_INJECT");
        goto fail;
    }
    rc = sl_faulty_store_wrap(&store, &plan, out, err); /* consumes store */
    if (rc != SL_OK)
        goto fail;
    if (plan.nth == 0)
        sl_faulty_store_report_at_close(out);
    sl_log(SL_LOG_WARN, "storage_fault_injection", "uri=%s plan=\"%s\" note=\"test hook, unset "
           "SLUICE_FAULT_INJECT outside tests\"", out->uri, plan_text);
    return SL_OK;

fail:
    sl_object_store_close(&store);
    return rc;
}

void sl_object_store_close(struct sl_object_store *store)
{
    if (store == NULL)
        return;
    if (store->destroy != NULL)
        store->destroy(store->ctx);
    memset(store, 0, sizeof(*store));
}

int sl_object_store_remove_many(const struct sl_object_store *store, const char *const *keys,
                                size_t count, struct sl_error *err)
{
    int rc = SL_OK;
    if (count == 0)
        return SL_OK;
    if (store->remove_many != NULL)
        return store->remove_many(store->ctx, keys, count, err);
    for (size_t i = 0; i < count && rc == SL_OK; i++)
        rc = store->remove(store->ctx, keys[i], err);
    return rc;
}

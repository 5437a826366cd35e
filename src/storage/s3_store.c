/*
 * The S3 object-store backend: struct sl_object_store over a bucket and a
 * key prefix, on top of the signed, retrying HTTP client of s3_http.c. Write
 * streams buffer one part and switch to a multipart upload (parts sent by a
 * few worker threads) once an object outgrows it; read files issue ranged
 * GETs pinned to the ETag seen at open. See sl_s3_store_open_config in
 * include/sluice/storage.h for the contract.
 */
#include "s3_http.h"
#include "storage_internal.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST_PAGE_MAX 1000000 /* pages of one listing: a loop guard */
#define MAX_PARTS 10000       /* S3's limit */
#define COMPLETE_XML_MAX ((size_t)4 << 20)

struct s3_store {
    struct sl_s3_config config; /* owned copy */
    char *uri;                  /* "s3://bucket" or "s3://bucket/prefix" */
    struct s3_client *client;
    pthread_mutex_t lock; /* guards conditional_mode */
    bool lock_ready;
    enum sl_s3_conditional_put conditional_mode; /* AUTO until probed */
};

/* ---------------------------------------------------------------- helpers */

static int run(struct s3_store *s, const struct s3_request *req, struct s3_response *resp,
               struct sl_error *err)
{
    return s3_request_run(s->client, req, resp, err);
}

static bool ok_status(long status)
{
    return status >= 200 && status < 300;
}

/* CRC32C_B64_LEN: base64 of the 4-byte big-endian CRC-32C, with its NUL. */
#define CRC32C_B64_LEN 9

/* The x-amz-checksum-crc32c value of bytes (S3 refuses a body that does not
 * match it, so damage between our buffer and the server's disk is caught). */
static void crc32c_base64(const void *bytes, size_t len, char out[CRC32C_B64_LEN])
{
    uint32_t crc = sl_crc32c(0, bytes, len);
    unsigned char be[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
                           (unsigned char)(crc >> 8), (unsigned char)crc};
    EVP_EncodeBlock((unsigned char *)out, be, 4);
}

/* PutObject of bytes with the extra (signed) headers, plus the checksum header
 * when the store sends checksums. */
static int simple_put(struct s3_store *s, const char *op, const char *key, const void *bytes,
                      size_t len, const struct sl_sigv4_header *headers, size_t nheaders,
                      struct s3_response *resp, struct sl_error *err)
{
    struct sl_sigv4_header all[4];
    char crc[CRC32C_B64_LEN];
    size_t n = 0;

    for (size_t i = 0; i < nheaders && n < SL_ARRAY_LEN(all) - 1; i++)
        all[n++] = headers[i];
    if (s->config.checksum == SL_S3_CHECKSUM_CRC32C) {
        crc32c_base64(bytes, len, crc);
        all[n++] = (struct sl_sigv4_header){"x-amz-checksum-crc32c", crc};
    }
    struct s3_request req = {.op = op, .method = "PUT", .key = key, .headers = all,
                             .nheaders = n, .body = bytes, .body_len = len};
    return run(s, &req, resp, err);
}

/* ---------------------------------------------------------------- put */

static int s3_put(void *ctx, const char *key, const void *bytes, size_t len, struct sl_error *err)
{
    struct s3_store *s = ctx;
    struct s3_response resp;
    struct s3_request req = {.op = "put", .method = "PUT", .key = key};
    int rc;

    rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    rc = simple_put(s, "put", key, bytes, len, NULL, 0, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status))
        rc = s3_status_error(s->client, &req, &resp, err);
    return rc;
}

/* ---------------------------------------------------------------- head / get */

static int s3_head_etag(struct s3_store *s, const char *op, const char *key, uint64_t *size,
                        char *etag, size_t etag_cap, struct sl_error *err)
{
    struct s3_request req = {.op = op, .method = "HEAD", .key = key};
    struct s3_response resp;
    int rc = run(s, &req, &resp, err);
    if (rc != SL_OK)
        return rc;
    if (!ok_status(resp.status))
        return s3_status_error(s->client, &req, &resp, err);
    if (!resp.has_content_length)
        return sl_error_set(err, SL_EPROTO, "%s of %s in %s: the server sent no Content-Length",
                            op, key, s->uri);
    *size = resp.content_length;
    if (etag != NULL)
        snprintf(etag, etag_cap, "%s", resp.etag);
    return SL_OK;
}

static int s3_head(void *ctx, const char *key, uint64_t *size, struct sl_error *err)
{
    struct s3_store *s = ctx;
    int rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    return s3_head_etag(s, "head", key, size, NULL, 0, err);
}

static int s3_get(void *ctx, const char *key, struct sl_buf *out, struct sl_error *err)
{
    struct s3_store *s = ctx;
    struct s3_request req = {.op = "get", .method = "GET", .key = key, .out = out};
    struct s3_response resp;
    size_t start = out->len;
    int rc;

    rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    rc = run(s, &req, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status))
        rc = s3_status_error(s->client, &req, &resp, err);
    if (rc == SL_OK && resp.has_content_length && out->len - start != resp.content_length)
        rc = sl_error_set(err, SL_EPROTO,
                          "get of %s in %s: got %zu bytes, the server announced %llu", key,
                          s->uri, out->len - start, (unsigned long long)resp.content_length);
    /* like the local store: even an empty object leaves a NUL-terminated buffer */
    if (rc == SL_OK && out->data == NULL && sl_buf_reserve(out, 0) == SL_OK)
        out->data[0] = '\0';
    if (rc != SL_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    }
    return rc;
}

/* Reads [offset, offset + len) of key; etag, when given, must still match. */
static int ranged_get(struct s3_store *s, const char *op, const char *key, const char *etag,
                      uint64_t offset, void *buf, size_t len, struct sl_error *err)
{
    char range[64];
    struct sl_sigv4_header headers[2];
    size_t nheaders = 0;
    struct s3_response resp;
    int rc;

    if (len == 0) {
        uint64_t size;
        rc = s3_head_etag(s, op, key, &size, NULL, 0, err);
        if (rc == SL_OK && offset > size)
            rc = sl_error_set(err, SL_EPROTO,
                              "%s of %s in %s: offset %llu is past the end (%llu bytes)", op, key,
                              s->uri, (unsigned long long)offset, (unsigned long long)size);
        return rc;
    }
    if (len - 1 > UINT64_MAX - offset)
        return sl_error_set(err, SL_EINVAL, "%s of %s: range overflows", op, key);
    snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)offset,
             (unsigned long long)(offset + len - 1));
    headers[nheaders++] = (struct sl_sigv4_header){"range", range};
    if (etag != NULL && etag[0] != '\0')
        headers[nheaders++] = (struct sl_sigv4_header){"if-match", etag};
    struct s3_request req = {.op = op, .method = "GET", .key = key, .headers = headers,
                             .nheaders = nheaders, .fixed = buf, .fixed_len = len,
                             .range_offset = offset};
    rc = run(s, &req, &resp, err);
    if (rc != SL_OK)
        return rc;
    if (resp.status == 416)
        return sl_error_set(err, SL_EPROTO,
                            "%s of %s in %s: range of %zu bytes at offset %llu is past the end of "
                            "the object",
                            op, key, s->uri, len, (unsigned long long)offset);
    if (resp.status == 412)
        return sl_error_set(err, SL_EIO,
                            "%s of %s in %s: the object changed while it was being read (ETag "
                            "%s no longer matches)",
                            op, key, s->uri, etag != NULL ? etag : "");
    if (!ok_status(resp.status))
        return s3_status_error(s->client, &req, &resp, err);
    if (resp.fixed_got != len)
        return sl_error_set(err, SL_EPROTO,
                            "%s of %s in %s: range of %zu bytes at offset %llu is past the end of "
                            "the object (got %zu bytes)",
                            op, key, s->uri, len, (unsigned long long)offset, resp.fixed_got);
    return SL_OK;
}

static int s3_get_range(void *ctx, const char *key, uint64_t offset, void *buf, size_t len,
                        struct sl_error *err)
{
    struct s3_store *s = ctx;
    int rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    return ranged_get(s, "get_range", key, NULL, offset, buf, len, err);
}

/* ---------------------------------------------------------------- remove */

static int s3_remove(void *ctx, const char *key, struct sl_error *err)
{
    struct s3_store *s = ctx;
    struct s3_request req = {.op = "remove", .method = "DELETE", .key = key};
    struct s3_response resp;
    int rc;

    rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    rc = run(s, &req, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status) &&
        !(resp.status == 404 && strcmp(resp.error.code, "NoSuchBucket") != 0))
        rc = s3_status_error(s->client, &req, &resp, err);
    return rc;
}

/* ---------------------------------------------------------------- remove_many */

#define DELETE_BATCH 1000 /* DeleteObjects' limit */

/* False for a key with a control byte XML 1.0 cannot carry, even escaped. */
static bool xml_can_carry(const char *key)
{
    for (const unsigned char *c = (const unsigned char *)key; *c != '\0'; c++) {
        if (*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r')
            return false;
    }
    return true;
}

/* Appends text escaped for XML (xml_can_carry(text) holds); *rc as sl_buf's. */
static void xml_text(struct sl_buf *xml, const char *text, int *rc)
{
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0' && *rc == SL_OK; c++) {
        static const char *const NAMED[] = {['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
                                            ['"'] = "&quot;", ['\''] = "&apos;"};
        if (*c < SL_ARRAY_LEN(NAMED) && NAMED[*c] != NULL)
            *rc = sl_buf_append_str(xml, NAMED[*c]);
        else if (*c < 0x20)
            *rc = sl_buf_printf(xml, "&#%d;", *c); /* tab, newline, CR: kept, not normalized */
        else
            *rc = sl_buf_putc(xml, (char)*c);
    }
}

/* One DeleteObjects request for keys[0..n); *unsupported when the server
 * does not implement it (nothing deleted then). */
static int delete_batch(struct s3_store *s, const char *const *keys, size_t n, bool *unsupported,
                        struct sl_error *err)
{
    struct sl_sigv4_param param = {"delete", NULL};
    struct sl_sigv4_header md5_header;
    unsigned char md5[16];
    unsigned int md5_len = 0;
    char md5_b64[32];
    struct sl_buf xml, answer;
    struct s3_response resp;
    struct sl_s3_delete_result result;
    int rc = SL_OK;

    *unsupported = false;
    sl_buf_init(&xml, (size_t)64 << 20);
    sl_buf_init(&answer, (size_t)16 << 20);
    rc = sl_buf_append_str(&xml, "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                 "<Quiet>true</Quiet>");
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        rc = sl_buf_append_str(&xml, "<Object><Key>");
        if (rc == SL_OK && s->config.prefix[0] != '\0') {
            xml_text(&xml, s->config.prefix, &rc);
            if (rc == SL_OK)
                rc = sl_buf_putc(&xml, '/');
        }
        if (rc == SL_OK)
            xml_text(&xml, keys[i], &rc);
        if (rc == SL_OK)
            rc = sl_buf_append_str(&xml, "</Key></Object>");
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(&xml, "</Delete>");
    if (rc != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory deleting objects in %s", s->uri);
        goto done;
    }
    /* DeleteObjects requires a body digest; Content-MD5 is the one every server knows */
    if (EVP_Digest(xml.data, xml.len, md5, &md5_len, EVP_md5(), NULL) != 1 || md5_len != 16) {
        rc = sl_error_set(err, SL_EIO, "remove_many in %s: libcrypto could not compute an MD5",
                          s->uri);
        goto done;
    }
    EVP_EncodeBlock((unsigned char *)md5_b64, md5, 16);
    md5_header = (struct sl_sigv4_header){"content-md5", md5_b64};
    struct s3_request req = {.op = "remove_many", .method = "POST", .params = &param,
                             .nparams = 1, .headers = &md5_header, .nheaders = 1,
                             .body = xml.data, .body_len = xml.len, .out = &answer};
    rc = run(s, &req, &resp, err);
    if (rc != SL_OK)
        goto done;
    if (resp.status == 501 || (resp.status == 400 && strcmp(resp.error.code, "NotImplemented") == 0)) {
        *unsupported = true;
        goto done;
    }
    if (!ok_status(resp.status)) {
        rc = s3_status_error(s->client, &req, &resp, err);
        goto done;
    }
    rc = sl_s3_xml_parse_delete_result(answer.data != NULL ? answer.data : "", answer.len, &result,
                                       err);
    if (rc != SL_OK) {
        sl_error_prefix(err, "remove_many in %s", s->uri);
        goto done;
    }
    if (result.failed > 0)
        rc = sl_error_set(err, SL_EPEER,
                          "remove_many in %s: %zu of %zu objects were not deleted; the first, %s: "
                          "%s: %s",
                          s->uri, result.failed, n, result.key, result.code, result.message);

done:
    sl_buf_free(&xml);
    sl_buf_free(&answer);
    return rc;
}

static int s3_remove_many(void *ctx, const char *const *keys, size_t count, struct sl_error *err)
{
    struct s3_store *s = ctx;
    bool prefix_carried = xml_can_carry(s->config.prefix);
    size_t batch_start = 0;
    int rc = SL_OK;

    for (size_t i = 0; i < count; i++) {
        rc = sl_object_key_check(keys[i], err);
        if (rc != SL_OK)
            return rc;
    }
    while (batch_start < count && rc == SL_OK) {
        /* keys XML cannot carry go one by one (DeleteObject), the rest in batches */
        const char *batch[DELETE_BATCH];
        size_t n = 0, i = batch_start;
        for (; i < count && n < DELETE_BATCH; i++) {
            if (prefix_carried && xml_can_carry(keys[i]))
                batch[n++] = keys[i];
            else if ((rc = s3_remove(s, keys[i], err)) != SL_OK)
                return rc;
        }
        batch_start = i;
        if (n == 0)
            continue;
        bool unsupported = false;
        rc = delete_batch(s, batch, n, &unsupported, err);
        if (rc == SL_OK && unsupported) {
            sl_log(SL_LOG_INFO, "s3_delete_objects_unsupported",
                   "store=%s note=\"the server does not implement DeleteObjects: deleting %zu "
                   "objects one request each\"",
                   s->uri, n);
            for (size_t k = 0; k < n && rc == SL_OK; k++)
                rc = s3_remove(s, batch[k], err);
        }
    }
    return rc;
}

/* ---------------------------------------------------------------- put_if_absent */

static void log_mode(const struct s3_store *s, enum sl_s3_conditional_put mode, const char *why)
{
    if (mode == SL_S3_CONDITIONAL_IF_NONE_MATCH)
        sl_log(SL_LOG_INFO, "s3_conditional_put",
               "store=%s mode=if-none-match guarantee=\"atomic: put_if_absent never replaces an "
               "object, whoever wrote it\" why=\"%s\"",
               s->uri, why);
    else
        sl_log(SL_LOG_WARN, "s3_conditional_put",
               "store=%s mode=head-then-put guarantee=\"not atomic: another writer may create the "
               "key between HEAD and PUT; safe only with one writer per table\" why=\"%s\"",
               s->uri, why);
}

/* Whether an answer says "If-None-Match is not supported here". */
static bool unsupported(const struct s3_response *resp)
{
    return resp->status == 501 || strcmp(resp->error.code, "NotImplemented") == 0;
}

/*
 * Finds out once whether the server honours If-None-Match on PUT: writes a
 * hidden probe object twice with it (the second must fail with 412), then
 * removes it. The probe key carries SL_STORAGE_TEMP_MARKER, so listings never
 * show it even if a crash leaves it behind.
 */
static int probe_conditional(struct s3_store *s, enum sl_s3_conditional_put *mode,
                             struct sl_error *err)
{
    static const struct sl_sigv4_header INM = {"if-none-match", "*"};
    char key[128];
    struct s3_response resp;
    struct s3_request del = {.op = "put_if_absent probe cleanup", .method = "DELETE", .key = key};
    const char *why;
    int rc;

    snprintf(key, sizeof(key), SL_STORAGE_TEMP_MARKER "probe-%ld-%016llx", (long)getpid(),
             (unsigned long long)s3_client_random(s->client));
    rc = simple_put(s, "put_if_absent probe", key, "probe", 5, &INM, 1, &resp, err);
    if (rc != SL_OK)
        return rc;
    if (unsupported(&resp)) {
        *mode = SL_S3_CONDITIONAL_HEAD_THEN_PUT;
        why = "the server answered If-None-Match with NotImplemented";
    } else if (!ok_status(resp.status)) {
        struct s3_request req = {.op = "put_if_absent probe", .method = "PUT", .key = key};
        return s3_status_error(s->client, &req, &resp, err);
    } else {
        rc = simple_put(s, "put_if_absent probe", key, "probe", 5, &INM, 1, &resp, err);
        if (rc != SL_OK)
            return rc;
        if (resp.status == 412) {
            *mode = SL_S3_CONDITIONAL_IF_NONE_MATCH;
            why = "the server refused to overwrite the probe object (412)";
        } else if (unsupported(&resp) || ok_status(resp.status)) {
            *mode = SL_S3_CONDITIONAL_HEAD_THEN_PUT;
            why = ok_status(resp.status) ? "the server ignores If-None-Match (it overwrote the "
                                           "probe object)"
                                         : "the server answered If-None-Match with NotImplemented";
        } else {
            struct s3_request req = {.op = "put_if_absent probe", .method = "PUT", .key = key};
            return s3_status_error(s->client, &req, &resp, err);
        }
    }
    if (run(s, &del, &resp, NULL) != SL_OK || !ok_status(resp.status))
        sl_log(SL_LOG_WARN, "s3_probe_cleanup", "store=%s key=%s status=%ld note=\"hidden from "
               "listings; remove by hand\"", s->uri, key, resp.status);
    log_mode(s, *mode, why);
    return SL_OK;
}

static int conditional_mode(struct s3_store *s, enum sl_s3_conditional_put *mode,
                            struct sl_error *err)
{
    int rc = SL_OK;
    pthread_mutex_lock(&s->lock);
    if (s->conditional_mode == SL_S3_CONDITIONAL_AUTO)
        rc = probe_conditional(s, &s->conditional_mode, err);
    *mode = s->conditional_mode;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* After a lost answer the object may be our own earlier write: same bytes = success. */
static bool holds_bytes(struct s3_store *s, const char *key, const void *bytes, size_t len)
{
    struct sl_buf current;
    bool same;
    sl_buf_init(&current, len);
    same = s3_get(s, key, &current, NULL) == SL_OK && current.len == len &&
           (len == 0 || memcmp(current.data, bytes, len) == 0);
    sl_buf_free(&current);
    return same;
}

static int exists_error(struct s3_store *s, const char *key, struct sl_error *err)
{
    return sl_error_set(err, SL_EEXIST, "put_if_absent of %s in %s: the object already exists",
                        key, s->uri);
}

static int s3_put_if_absent(void *ctx, const char *key, const void *bytes, size_t len,
                            struct sl_error *err)
{
    static const struct sl_sigv4_header INM = {"if-none-match", "*"};
    struct s3_store *s = ctx;
    struct s3_request req = {.op = "put_if_absent", .method = "PUT", .key = key};
    enum sl_s3_conditional_put mode;
    struct s3_response resp;
    uint64_t size;
    int rc;

    rc = sl_object_key_check(key, err);
    if (rc == SL_OK)
        rc = conditional_mode(s, &mode, err);
    if (rc != SL_OK)
        return rc;
    if (mode == SL_S3_CONDITIONAL_IF_NONE_MATCH) {
        rc = simple_put(s, "put_if_absent", key, bytes, len, &INM, 1, &resp, err);
        if (rc != SL_OK)
            return rc;
        if (ok_status(resp.status))
            return SL_OK;
        if (resp.status == 412) {
            if (resp.ambiguous && holds_bytes(s, key, bytes, len)) {
                sl_log(SL_LOG_INFO, "s3_put_if_absent_recovered",
                       "store=%s key=%s note=\"an earlier attempt had written it\"", s->uri, key);
                return SL_OK;
            }
            return exists_error(s, key, err);
        }
        return s3_status_error(s->client, &req, &resp, err);
    }
    /* HEAD then PUT: exclusive only with a single writer (logged at the probe) */
    rc = s3_head_etag(s, "put_if_absent", key, &size, NULL, 0, err);
    if (rc == SL_OK)
        return exists_error(s, key, err);
    if (rc != SL_ENOTFOUND)
        return rc;
    sl_error_clear(err);
    rc = simple_put(s, "put_if_absent", key, bytes, len, NULL, 0, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status))
        rc = s3_status_error(s->client, &req, &resp, err);
    return rc;
}

/* ---------------------------------------------------------------- list */

static int entry_order(const void *a, const void *b)
{
    return strcmp(((const struct sl_object_entry *)a)->key,
                  ((const struct sl_object_entry *)b)->key);
}

/* Moves the page's entries below the root into out, relative to the root. */
static int take_page(struct s3_store *s, struct sl_s3_list_page *page,
                     struct sl_object_listing *out, struct sl_error *err)
{
    size_t root_len = strlen(s->config.prefix);
    for (size_t i = 0; i < page->items.count; i++) {
        struct sl_object_entry *e = &page->items.entries[i];
        const char *rel = e->key;
        void *entries = out->entries;
        char *copy;

        if (root_len > 0) {
            if (strncmp(rel, s->config.prefix, root_len) != 0 || rel[root_len] != '/')
                continue; /* not below the root (a sibling "prefix2/...") */
            rel += root_len + 1;
        }
        if (rel[0] == '\0' || strstr(rel, SL_STORAGE_TEMP_MARKER) != NULL)
            continue;
        if (!e->is_prefix && rel[strlen(rel) - 1] == '/')
            continue; /* a "directory marker" object made by other tools */
        if (sl_array_grow(&entries, &out->cap, out->count + 1, sizeof(*out->entries)) != SL_OK)
            return sl_error_set(err, SL_ENOMEM, "out of memory listing %s", s->uri);
        out->entries = entries;
        copy = sl_strdup(rel);
        if (copy == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory listing %s", s->uri);
        out->entries[out->count].key = copy;
        out->entries[out->count].size = e->size;
        out->entries[out->count].is_prefix = e->is_prefix;
        out->count++;
    }
    return SL_OK;
}

static int s3_list(void *ctx, const char *prefix, bool recursive, struct sl_object_listing *out,
                   struct sl_error *err)
{
    struct s3_store *s = ctx;
    struct sl_s3_list_page page = {0};
    struct sl_buf body, full_prefix;
    char *token = NULL;
    size_t first = out->count;
    int rc;

    sl_buf_init(&body, (size_t)64 << 20);
    sl_buf_init(&full_prefix, 4096);
    rc = sl_storage_name_check(prefix, true, err);
    if (rc != SL_OK)
        goto fail;
    if (s->config.prefix[0] != '\0')
        rc = sl_buf_printf(&full_prefix, "%s/%s", s->config.prefix, prefix);
    else
        rc = sl_buf_append_str(&full_prefix, prefix);
    if (rc != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory listing %s", s->uri);
        goto fail;
    }
    for (long pages = 0;; pages++) {
        struct sl_sigv4_param params[4];
        size_t np = 0;
        struct s3_response resp;

        params[np++] = (struct sl_sigv4_param){"list-type", "2"};
        if (full_prefix.len > 0)
            params[np++] = (struct sl_sigv4_param){"prefix", full_prefix.data};
        if (!recursive)
            params[np++] = (struct sl_sigv4_param){"delimiter", "/"};
        if (token != NULL)
            params[np++] = (struct sl_sigv4_param){"continuation-token", token};
        struct s3_request req = {.op = "list", .method = "GET", .params = params, .nparams = np,
                                 .out = &body};
        if (pages >= LIST_PAGE_MAX) {
            rc = sl_error_set(err, SL_EPROTO, "list of \"%s\" in %s: more than %d pages", prefix,
                              s->uri, LIST_PAGE_MAX);
            goto fail;
        }
        sl_buf_reset(&body);
        rc = run(s, &req, &resp, err);
        if (rc == SL_OK && !ok_status(resp.status))
            rc = s3_status_error(s->client, &req, &resp, err);
        if (rc == SL_OK)
            rc = sl_s3_xml_parse_list(body.data != NULL ? body.data : "", body.len, &page, err);
        if (rc == SL_OK)
            rc = take_page(s, &page, out, err);
        if (rc != SL_OK)
            goto fail;
        if (!page.truncated)
            break;
        if (page.next_token == NULL || (token != NULL && strcmp(token, page.next_token) == 0)) {
            rc = sl_error_set(err, SL_EPROTO,
                              "list of \"%s\" in %s: the server says the listing goes on but "
                              "gives no new continuation token",
                              prefix, s->uri);
            goto fail;
        }
        sl_free(token);
        token = page.next_token;
        page.next_token = NULL;
        sl_s3_list_page_free(&page);
    }
    /* S3 sorts Contents and CommonPrefixes each; merged, they need one more sort */
    if (out->count > first)
        qsort(out->entries + first, out->count - first, sizeof(*out->entries), entry_order);
    sl_s3_list_page_free(&page);
    sl_free(token);
    sl_buf_free(&body);
    sl_buf_free(&full_prefix);
    return SL_OK;

fail:
    while (out->count > first)
        sl_free(out->entries[--out->count].key);
    sl_s3_list_page_free(&page);
    sl_free(token);
    sl_buf_free(&body);
    sl_buf_free(&full_prefix);
    return rc;
}

/* ---------------------------------------------------------------- read files */

struct s3_reader {
    struct s3_store *store;
    char *key;
    uint64_t size;
    char etag[256];
};

static int reader_size(void *ctx, uint64_t *out, struct sl_error *err)
{
    struct s3_reader *r = ctx;
    (void)err;
    *out = r->size;
    return SL_OK;
}

static int reader_read_at(void *ctx, uint64_t offset, void *buf, size_t len,
                          struct sl_error *err)
{
    struct s3_reader *r = ctx;
    if (offset > r->size || len > r->size - offset)
        return sl_error_set(err, SL_EPROTO,
                            "read of %zu bytes at offset %llu is past the end of %s in %s (%llu "
                            "bytes)",
                            len, (unsigned long long)offset, r->key, r->store->uri,
                            (unsigned long long)r->size);
    if (len == 0)
        return SL_OK;
    return ranged_get(r->store, "read_at", r->key, r->etag, offset, buf, len, err);
}

static void reader_destroy(void *ctx)
{
    struct s3_reader *r = ctx;
    if (r == NULL)
        return;
    sl_free(r->key);
    sl_free(r);
}

static int s3_open_read(void *ctx, const char *key, struct sl_read_file *out,
                        struct sl_error *err)
{
    struct s3_store *s = ctx;
    struct s3_reader *r = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    r = sl_calloc(1, sizeof(*r));
    if (r == NULL || (r->key = sl_strdup(key)) == NULL) {
        reader_destroy(r);
        return sl_error_set(err, SL_ENOMEM, "out of memory opening %s in %s", key, s->uri);
    }
    r->store = s;
    rc = s3_head_etag(s, "open_read", key, &r->size, r->etag, sizeof(r->etag), err);
    if (rc != SL_OK) {
        reader_destroy(r);
        return rc;
    }
    out->ctx = r;
    out->size = reader_size;
    out->read_at = reader_read_at;
    out->destroy = reader_destroy;
    return SL_OK;
}

/* ---------------------------------------------------------------- write streams */

struct part_job {
    int number; /* 1-based */
    char *bytes;
    size_t len;
};

/* What CompleteMultipartUpload needs of an uploaded part. */
struct part_receipt {
    char etag[256];
    char crc32c[CRC32C_B64_LEN]; /* "" when the store sends no checksums */
};

struct s3_writer {
    struct s3_store *store;
    char *key;
    char *buf; /* the part being filled (part_size bytes) */
    size_t len;
    uint64_t total;
    char *upload_id; /* NULL until the object outgrows one part */
    bool done;       /* finished or aborted */

    /* the upload workers; everything below is guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or closing */
    pthread_cond_t idle; /* a job finished */
    bool sync_ready;
    pthread_t *threads;
    int nthreads;
    struct part_job *queue; /* FIFO of upload_parallelism slots */
    int queue_head, queue_count;
    int in_progress;
    bool closing;
    char **spare; /* finished part buffers for reuse */
    int nspare;
    struct part_receipt *receipts; /* by part number - 1 */
    size_t receipts_cap;
    int parts; /* parts queued so far */
    bool failed;
    struct sl_error first_error;
};

/* Uploads one part; fills *receipt (caller's) on success. Runs on a worker. */
static int upload_part(struct s3_writer *w, const struct part_job *job,
                       struct part_receipt *receipt, struct sl_error *err)
{
    char number[16];
    struct sl_sigv4_param params[2];
    struct sl_sigv4_header checksum;
    struct s3_response resp;
    int rc;

    snprintf(number, sizeof(number), "%d", job->number);
    params[0] = (struct sl_sigv4_param){"partNumber", number};
    params[1] = (struct sl_sigv4_param){"uploadId", w->upload_id};
    receipt->crc32c[0] = '\0';
    if (w->store->config.checksum == SL_S3_CHECKSUM_CRC32C)
        crc32c_base64(job->bytes, job->len, receipt->crc32c);
    checksum = (struct sl_sigv4_header){"x-amz-checksum-crc32c", receipt->crc32c};
    struct s3_request req = {.op = "upload_part", .method = "PUT", .key = w->key,
                             .params = params, .nparams = 2, .body = job->bytes,
                             .body_len = job->len, .headers = &checksum,
                             .nheaders = receipt->crc32c[0] != '\0' ? 1 : 0};
    rc = run(w->store, &req, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status))
        rc = s3_status_error(w->store->client, &req, &resp, err);
    if (rc == SL_OK && resp.etag[0] == '\0')
        rc = sl_error_set(err, SL_EPROTO, "upload_part %d of %s in %s: no ETag in the answer",
                          job->number, w->key, w->store->uri);
    if (rc == SL_OK)
        snprintf(receipt->etag, sizeof(receipt->etag), "%s", resp.etag);
    else
        sl_error_prefix(err, "part %d", job->number);
    return rc;
}

static void *upload_worker(void *arg)
{
    struct s3_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        struct part_job job;
        struct sl_error err = {0};
        struct part_receipt receipt;
        memset(&receipt, 0, sizeof(receipt));
        int rc = SL_OK;

        while (w->queue_count == 0 && !w->closing)
            pthread_cond_wait(&w->work, &w->lock);
        if (w->queue_count == 0)
            break;
        job = w->queue[w->queue_head];
        w->queue_head = (w->queue_head + 1) % w->store->config.upload_parallelism;
        w->queue_count--;
        w->in_progress++;
        bool skip = w->failed;
        pthread_mutex_unlock(&w->lock);

        if (!skip)
            rc = upload_part(w, &job, &receipt, &err);

        pthread_mutex_lock(&w->lock);
        w->in_progress--;
        if (!skip && rc == SL_OK) {
            w->receipts[job.number - 1] = receipt;
        } else if (!skip && !w->failed) {
            w->failed = true;
            w->first_error = err;
            w->first_error.code = rc;
        }
        w->spare[w->nspare++] = job.bytes; /* at most parallelism + 1 buffers exist */
        pthread_cond_broadcast(&w->idle);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static int fail_with_first_error(struct s3_writer *w, struct sl_error *err)
{
    if (err != NULL)
        *err = w->first_error;
    return w->first_error.code != 0 ? w->first_error.code : SL_EIO;
}

static int create_upload(struct s3_writer *w, struct sl_error *err)
{
    struct sl_sigv4_param param = {"uploads", NULL};
    struct sl_sigv4_header algorithm = {"x-amz-checksum-algorithm", "CRC32C"};
    struct sl_buf body;
    struct s3_response resp;
    int rc;

    sl_buf_init(&body, 1 << 20);
    struct s3_request req = {
        .op = "create_multipart_upload", .method = "POST", .key = w->key, .params = &param,
        .nparams = 1, .out = &body, .headers = &algorithm,
        .nheaders = w->store->config.checksum == SL_S3_CHECKSUM_CRC32C ? 1 : 0};
    rc = run(w->store, &req, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status))
        rc = s3_status_error(w->store->client, &req, &resp, err);
    if (rc == SL_OK)
        rc = sl_s3_xml_parse_upload_id(body.data != NULL ? body.data : "", body.len,
                                       &w->upload_id, err);
    sl_buf_free(&body);
    if (rc != SL_OK)
        return rc;

    /* the workers and their queue */
    int n = w->store->config.upload_parallelism;
    w->threads = sl_calloc((size_t)n, sizeof(*w->threads));
    w->queue = sl_calloc((size_t)n, sizeof(*w->queue));
    w->spare = sl_calloc((size_t)n + 2, sizeof(*w->spare));
    if (w->threads == NULL || w->queue == NULL || w->spare == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory uploading %s", w->key);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&w->threads[i], NULL, upload_worker, w) != 0) {
            if (i == 0)
                return sl_error_set(err, SL_ENOMEM, "cannot start an upload thread for %s",
                                    w->key);
            break; /* fewer workers still work */
        }
        w->nthreads++;
    }
    return SL_OK;
}

/* Hands the full buffer to the workers (waiting for a free slot) and takes a fresh one. */
static int submit_part(struct s3_writer *w, struct sl_error *err)
{
    int n = w->store->config.upload_parallelism;
    struct part_job job;
    char *next = NULL;

    if (w->parts >= MAX_PARTS)
        return sl_error_set(err, SL_ELIMIT,
                            "open_write of %s in %s: more than %d parts of %zu bytes; raise "
                            "SLUICE_S3_PART_SIZE_MB",
                            w->key, w->store->uri, MAX_PARTS, w->store->config.part_size);
    if ((size_t)w->parts >= w->receipts_cap) {
        size_t cap = w->receipts_cap > 0 ? w->receipts_cap * 2 : 64;
        void *grown;
        pthread_mutex_lock(&w->lock); /* workers write into receipts */
        grown = sl_realloc(w->receipts, cap * sizeof(*w->receipts));
        if (grown != NULL) {
            w->receipts = grown;
            w->receipts_cap = cap;
        }
        pthread_mutex_unlock(&w->lock);
        if (grown == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory uploading %s", w->key);
    }
    job.number = ++w->parts;
    job.bytes = w->buf;
    job.len = w->len;

    pthread_mutex_lock(&w->lock);
    while (!w->failed && w->queue_count + w->in_progress >= n)
        pthread_cond_wait(&w->idle, &w->lock);
    if (w->failed) {
        pthread_mutex_unlock(&w->lock);
        return fail_with_first_error(w, err);
    }
    memset(&w->receipts[job.number - 1], 0, sizeof(w->receipts[0]));
    w->queue[(w->queue_head + w->queue_count) % n] = job;
    w->queue_count++;
    if (w->nspare > 0)
        next = w->spare[--w->nspare];
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);

    w->buf = next != NULL ? next : sl_malloc(w->store->config.part_size);
    w->len = 0;
    if (w->buf == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory buffering %s (%zu bytes)", w->key,
                            w->store->config.part_size);
    return SL_OK;
}

/* Stops the workers after the queue drains (or at once when failed); joins them. */
static void stop_workers(struct s3_writer *w, bool drop_queue)
{
    if (!w->sync_ready)
        return;
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    if (drop_queue)
        w->failed = w->failed || drop_queue;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->nthreads = 0;
}

static void abort_upload(struct s3_writer *w)
{
    struct sl_sigv4_param param = {"uploadId", w->upload_id};
    struct s3_request req = {.op = "abort_multipart_upload", .method = "DELETE", .key = w->key,
                             .params = &param, .nparams = 1};
    struct s3_response resp;
    struct sl_error err = {0};

    if (w->upload_id == NULL)
        return;
    if (run(w->store, &req, &resp, &err) != SL_OK ||
        (!ok_status(resp.status) && resp.status != 404)) {
        if (err.code == 0)
            s3_status_error(w->store->client, &req, &resp, &err);
        sl_log(SL_LOG_WARN, "s3_abort_failed",
               "store=%s key=%s error=\"%s\" note=\"parts stay billed until a lifecycle rule "
               "removes incomplete uploads\"",
               w->store->uri, w->key, err.message);
    }
    sl_free(w->upload_id);
    w->upload_id = NULL;
}

static int writer_write(void *ctx, const void *bytes, size_t len, struct sl_error *err)
{
    struct s3_writer *w = ctx;
    const char *p = bytes;
    size_t part_size = w->store->config.part_size;
    int rc;

    if (w->done)
        return sl_error_set(err, SL_EINVAL, "write to %s in %s after finish or abort", w->key,
                            w->store->uri);
    while (len > 0) {
        if (w->len == part_size) {
            /* the object outgrew one part: it becomes a multipart upload */
            if (w->upload_id == NULL) {
                rc = create_upload(w, err);
                if (rc != SL_OK)
                    return rc;
            }
            rc = submit_part(w, err);
            if (rc != SL_OK)
                return rc;
        }
        size_t take = SL_MIN(len, part_size - w->len);
        memcpy(w->buf + w->len, p, take);
        w->len += take;
        w->total += take;
        p += take;
        len -= take;
    }
    return SL_OK;
}

static int complete_upload(struct s3_writer *w, struct sl_error *err)
{
    struct sl_buf xml, answer;
    struct s3_response resp;
    struct sl_sigv4_param param = {"uploadId", w->upload_id};
    int rc = SL_OK;

    sl_buf_init(&xml, COMPLETE_XML_MAX);
    sl_buf_init(&answer, 1 << 20);
    rc = sl_buf_append_str(&xml, "<CompleteMultipartUpload "
                                 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < w->parts && rc == SL_OK; i++) {
        rc = sl_buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
        if (rc == SL_OK)
            xml_text(&xml, w->receipts[i].etag, &rc); /* ETags are quoted: "..." */
        if (rc == SL_OK)
            rc = sl_buf_append_str(&xml, "</ETag>");
        if (rc == SL_OK && w->receipts[i].crc32c[0] != '\0')
            rc = sl_buf_printf(&xml, "<ChecksumCRC32C>%s</ChecksumCRC32C>", w->receipts[i].crc32c);
        if (rc == SL_OK)
            rc = sl_buf_append_str(&xml, "</Part>");
    }
    if (rc == SL_OK)
        rc = sl_buf_append_str(&xml, "</CompleteMultipartUpload>");
    if (rc != SL_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory completing the upload of %s", w->key);
        goto fail;
    }
    struct s3_request req = {.op = "complete_multipart_upload", .method = "POST", .key = w->key,
                             .params = &param, .nparams = 1, .body = xml.data,
                             .body_len = xml.len, .out = &answer, .error_in_200 = true};
    rc = run(w->store, &req, &resp, err);
    if (rc != SL_OK)
        goto fail;
    if (!ok_status(resp.status)) {
        uint64_t size = 0;
        /* a lost answer to an earlier attempt that did complete it */
        if (resp.ambiguous && strcmp(resp.error.code, "NoSuchUpload") == 0 &&
            s3_head_etag(w->store, "complete_multipart_upload", w->key, &size, NULL, 0, NULL) ==
                SL_OK &&
            size == w->total) {
            sl_log(SL_LOG_INFO, "s3_complete_recovered",
                   "store=%s key=%s note=\"an earlier attempt had completed it\"", w->store->uri,
                   w->key);
        } else {
            rc = s3_status_error(w->store->client, &req, &resp, err);
            goto fail;
        }
    }
    sl_free(w->upload_id);
    w->upload_id = NULL; /* nothing left to abort */

fail:
    sl_buf_free(&xml);
    sl_buf_free(&answer);
    return rc;
}

static int writer_finish(void *ctx, struct sl_error *err)
{
    struct s3_writer *w = ctx;
    struct s3_response resp;
    int rc;

    if (w->done)
        return sl_error_set(err, SL_EINVAL, "finish of %s in %s after finish or abort", w->key,
                            w->store->uri);
    w->done = true;
    if (w->upload_id == NULL) {
        struct s3_request req = {.op = "put", .method = "PUT", .key = w->key};
        rc = simple_put(w->store, "put", w->key, w->buf, w->len, NULL, 0, &resp, err);
        if (rc == SL_OK && !ok_status(resp.status))
            rc = s3_status_error(w->store->client, &req, &resp, err);
        return rc;
    }
    rc = w->len > 0 ? submit_part(w, err) : SL_OK;
    stop_workers(w, rc != SL_OK);
    if (rc == SL_OK && w->failed)
        rc = fail_with_first_error(w, err);
    if (rc == SL_OK)
        rc = complete_upload(w, err);
    if (rc != SL_OK)
        abort_upload(w);
    return rc;
}

static void writer_abort(void *ctx)
{
    struct s3_writer *w = ctx;
    if (w->done)
        return;
    w->done = true;
    stop_workers(w, true);
    abort_upload(w);
}

static void writer_destroy(void *ctx)
{
    struct s3_writer *w = ctx;
    if (w == NULL)
        return;
    writer_abort(w);
    stop_workers(w, true);
    if (w->sync_ready) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->idle);
    }
    for (int i = 0; i < w->nspare; i++)
        sl_free(w->spare[i]);
    sl_free(w->spare);
    sl_free(w->queue);
    sl_free(w->threads);
    sl_free(w->receipts);
    sl_free(w->buf);
    sl_free(w->upload_id);
    sl_free(w->key);
    sl_free(w);
}

static int s3_open_write(void *ctx, const char *key, struct sl_write_stream *out,
                         struct sl_error *err)
{
    struct s3_store *s = ctx;
    struct s3_writer *w = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sl_object_key_check(key, err);
    if (rc != SL_OK)
        return rc;
    w = sl_calloc(1, sizeof(*w));
    if (w == NULL)
        goto oom;
    w->store = s;
    w->key = sl_strdup(key);
    w->buf = sl_malloc(s->config.part_size);
    if (w->key == NULL || w->buf == NULL)
        goto oom;
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        goto oom;
    if (pthread_cond_init(&w->work, NULL) != 0) {
        pthread_mutex_destroy(&w->lock);
        goto oom;
    }
    if (pthread_cond_init(&w->idle, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
        goto oom;
    }
    w->sync_ready = true;
    out->ctx = w;
    out->write = writer_write;
    out->finish = writer_finish;
    out->abort = writer_abort;
    out->destroy = writer_destroy;
    return SL_OK;

oom:
    writer_destroy(w);
    return sl_error_set(err, SL_ENOMEM, "out of memory opening a write stream for %s in %s", key,
                        s->uri);
}

/* ---------------------------------------------------------------- open */

static void s3_destroy(void *ctx)
{
    struct s3_store *s = ctx;
    if (s == NULL)
        return;
    s3_client_close(s->client);
    if (s->lock_ready)
        pthread_mutex_destroy(&s->lock);
    sl_s3_config_free(&s->config);
    sl_free(s->uri);
    sl_free(s);
}

/* One small listing: proves the endpoint, the credentials and the bucket. */
static int check_bucket(struct s3_store *s, struct sl_error *err)
{
    struct sl_sigv4_param params[3] = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", NULL}};
    struct sl_buf body;
    struct s3_response resp;
    struct sl_s3_list_page page;
    int rc;

    sl_buf_init(&body, 1 << 20);
    params[2].value = s->config.prefix;
    struct s3_request req = {.op = "open", .method = "GET", .params = params,
                             .nparams = s->config.prefix[0] != '\0' ? 3 : 2, .out = &body};
    rc = run(s, &req, &resp, err);
    if (rc == SL_OK && !ok_status(resp.status))
        rc = s3_status_error(s->client, &req, &resp, err);
    if (rc == SL_OK) {
        rc = sl_s3_xml_parse_list(body.data != NULL ? body.data : "", body.len, &page, err);
        sl_s3_list_page_free(&page);
        if (rc != SL_OK)
            sl_error_prefix(err, "open of %s at %s", s->uri, s->config.endpoint_url);
    }
    sl_buf_free(&body);
    return rc;
}

int sl_s3_store_open_config(const struct sl_s3_config *config, struct sl_object_store *out,
                            struct sl_error *err)
{
    struct s3_store *s = NULL;
    struct sl_buf uri;
    int rc;

    memset(out, 0, sizeof(*out));
    sl_buf_init(&uri, 4096);
    rc = sl_s3_config_check(config, err);
    if (rc != SL_OK)
        return rc;
    s = sl_calloc(1, sizeof(*s));
    if (s == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory opening s3://%s", config->bucket);
    rc = sl_s3_config_copy(config, &s->config, err);
    if (rc != SL_OK)
        goto fail;
    if ((s->config.prefix[0] != '\0'
             ? sl_buf_printf(&uri, "s3://%s/%s", s->config.bucket, s->config.prefix)
             : sl_buf_printf(&uri, "s3://%s", s->config.bucket)) != SL_OK ||
        (s->uri = sl_buf_detach(&uri)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening s3://%s", config->bucket);
        goto fail;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        rc = sl_error_set(err, SL_ENOMEM, "cannot create a mutex for %s", s->uri);
        goto fail;
    }
    s->lock_ready = true;
    s->conditional_mode = s->config.conditional_put;
    rc = s3_client_open(&s->config, s->uri, &s->client, err);
    if (rc != SL_OK)
        goto fail;
    rc = check_bucket(s, err);
    if (rc != SL_OK)
        goto fail;
    if (s->conditional_mode != SL_S3_CONDITIONAL_AUTO)
        log_mode(s, s->conditional_mode, "set by SLUICE_S3_CONDITIONAL_PUT");
    sl_log(SL_LOG_DEBUG, "s3_store_open", "store=%s endpoint=%s region=%s credentials=\"%s\"",
           s->uri, s->config.endpoint_url, s->config.region, s->config.credentials_source);

    out->version = SL_OBJECT_STORE_VERSION;
    out->ctx = s;
    out->uri = s->uri;
    out->put = s3_put;
    out->put_if_absent = s3_put_if_absent;
    out->get = s3_get;
    out->get_range = s3_get_range;
    out->head = s3_head;
    out->list = s3_list;
    out->remove = s3_remove;
    out->remove_many = s3_remove_many;
    out->open_write = s3_open_write;
    out->open_read = s3_open_read;
    out->destroy = s3_destroy;
    return SL_OK;

fail:
    sl_buf_free(&uri);
    s3_destroy(s);
    return rc;
}

int sl_s3_store_open(const char *uri, struct sl_object_store *out, struct sl_error *err)
{
    struct sl_s3_config config;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sl_s3_config_from_env(uri, &config, err);
    if (rc != SL_OK)
        return rc;
    rc = sl_s3_store_open_config(&config, out, err);
    sl_s3_config_free(&config);
    return rc;
}

/*
 * AWS Signature Version 4 as pure functions: canonical request, string to
 * sign, signing key, signature and Authorization header. The S3 backend signs
 * every request with these rather than with libcurl's CURLOPT_AWS_SIGV4, so
 * the one implementation checked against AWS's test-suite vectors
 * (tests/unit/data/sigv4/) is the one that talks to the server, whatever the
 * libcurl version (curl 7.88's built-in signer neither sorts nor re-encodes
 * query parameters, which ListObjectsV2 continuation tokens need).
 * SHA-256 and HMAC come from OpenSSL's libcrypto, a libcurl dependency.
 */
#include "s3_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MAX 512 /* longer secret keys are refused by the configuration */

static const char HEX_LOWER[] = "0123456789abcdef";

static void hex_encode(const unsigned char *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = HEX_LOWER[bytes[i] >> 4];
        out[2 * i + 1] = HEX_LOWER[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

void sl_sha256_hex(const void *bytes, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (EVP_Digest(bytes, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32) {
        /* cannot happen with a working libcrypto; an all-zero hash fails the signature loudly */
        memset(out, '0', 64);
        out[64] = '\0';
        return;
    }
    hex_encode(md, 32, out);
}

void sl_sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        memcpy(out, "19700101T000000Z", 17); /* a year beyond 9999: the server refuses it */
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int sl_sigv4_uri_encode(struct sl_buf *out, const char *s, size_t len, bool keep_slash)
{
    static const char HEX_UPPER[] = "0123456789ABCDEF";
    size_t extra = 0;
    char *p;
    int rc;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        extra += unreserved(c) || (keep_slash && c == '/') ? 1 : 3;
    }
    rc = sl_buf_reserve(out, extra);
    if (rc != SL_OK)
        return rc;
    p = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = HEX_UPPER[c >> 4];
            *p++ = HEX_UPPER[c & 15];
        }
    }
    out->len += extra;
    out->data[out->len] = '\0';
    return SL_OK;
}

/* ---------------------------------------------------------------- canonical URI */

/* The generic services' path normalisation: empty, "." and ".." segments go. */
static int append_normalized_path(struct sl_buf *out, const char *path)
{
    size_t len = strlen(path), start = out->len, nseg = 0;
    size_t *seg_start = NULL;
    bool trailing_slash = len > 0 && path[len - 1] == '/';
    int rc = SL_OK;

    /* segments are written as "/seg" into out; a ".." drops the last one */
    seg_start = sl_malloc((len / 2 + 2) * sizeof(*seg_start));
    if (seg_start == NULL)
        return SL_ENOMEM;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t seg_len = j - i;
        if (seg_len == 0 || (seg_len == 1 && path[i] == '.')) {
            /* skip */
        } else if (seg_len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (nseg > 0) {
                out->len = seg_start[--nseg];
                out->data[out->len] = '\0';
            }
        } else {
            seg_start[nseg++] = out->len;
            rc = sl_buf_putc(out, '/');
            if (rc == SL_OK)
                rc = sl_sigv4_uri_encode(out, path + i, seg_len, false);
            if (rc != SL_OK)
                goto fail;
        }
        i = j + 1;
    }
    if (out->len == start || trailing_slash)
        rc = sl_buf_putc(out, '/');

fail:
    sl_free(seg_start);
    return rc;
}

/* ---------------------------------------------------------------- canonical query */

struct encoded_param {
    size_t name; /* offsets into the scratch buffer, NUL-terminated there */
    size_t value;
};

static int compare_params(const char *scratch, const struct encoded_param *a,
                          const struct encoded_param *b)
{
    int c = strcmp(scratch + a->name, scratch + b->name);
    return c != 0 ? c : strcmp(scratch + a->value, scratch + b->value);
}

static int append_canonical_query(struct sl_buf *out, const struct sl_sigv4_param *params,
                                  size_t nparams)
{
    struct encoded_param *order = NULL;
    struct sl_buf scratch;
    int rc = SL_OK;

    if (nparams == 0)
        return SL_OK;
    sl_buf_init(&scratch, out->max);
    order = sl_calloc(nparams, sizeof(*order));
    if (order == NULL)
        return SL_ENOMEM;
    for (size_t i = 0; i < nparams; i++) {
        const char *value = params[i].value != NULL ? params[i].value : "";
        order[i].name = scratch.len;
        rc = sl_sigv4_uri_encode(&scratch, params[i].name, strlen(params[i].name), false);
        if (rc == SL_OK)
            rc = sl_buf_putc(&scratch, '\0');
        order[i].value = scratch.len;
        if (rc == SL_OK)
            rc = sl_sigv4_uri_encode(&scratch, value, strlen(value), false);
        if (rc == SL_OK)
            rc = sl_buf_putc(&scratch, '\0');
        if (rc != SL_OK)
            goto fail;
    }
    /* insertion sort: a handful of parameters, and it is stable */
    for (size_t i = 1; i < nparams; i++) {
        struct encoded_param p = order[i];
        size_t j = i;
        while (j > 0 && compare_params(scratch.data, &order[j - 1], &p) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = p;
    }
    for (size_t i = 0; i < nparams && rc == SL_OK; i++)
        rc = sl_buf_printf(out, "%s%s=%s", i > 0 ? "&" : "", scratch.data + order[i].name,
                           scratch.data + order[i].value);

fail:
    sl_free(order);
    sl_buf_free(&scratch);
    return rc;
}

/* ---------------------------------------------------------------- canonical headers */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int compare_names(const char *a, const char *b)
{
    while (*a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return lower((unsigned char)*a) - lower((unsigned char)*b);
}

/* Header indexes sorted by lower-cased name, equal names kept in request order. */
static size_t *sorted_headers(const struct sl_sigv4_request *req)
{
    size_t *order = sl_malloc((req->nheaders > 0 ? req->nheaders : 1) * sizeof(*order));
    if (order == NULL)
        return NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        size_t j = i;
        while (j > 0 && compare_names(req->headers[order[j - 1]].name, req->headers[i].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return order;
}

static int append_lower(struct sl_buf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        int rc = sl_buf_putc(out, (char)lower((unsigned char)*s));
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The value trimmed, inner runs of blanks turned into one space. */
static int append_trimmed(struct sl_buf *out, const char *value)
{
    const char *end = value + strlen(value);
    while (value < end && blank(*value))
        value++;
    while (end > value && blank(end[-1]))
        end--;
    for (const char *p = value; p < end; p++) {
        int rc;
        if (blank(*p)) {
            while (p + 1 < end && blank(p[1]))
                p++;
            rc = sl_buf_putc(out, ' ');
        } else {
            rc = sl_buf_putc(out, *p);
        }
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static int append_signed_headers(struct sl_buf *out, const struct sl_sigv4_request *req,
                                 const size_t *order)
{
    int rc = SL_OK;
    for (size_t i = 0; i < req->nheaders && rc == SL_OK; i++) {
        const char *name = req->headers[order[i]].name;
        if (i > 0 && compare_names(req->headers[order[i - 1]].name, name) == 0)
            continue;
        if (i > 0)
            rc = sl_buf_putc(out, ';');
        if (rc == SL_OK)
            rc = append_lower(out, name);
    }
    return rc;
}

int sl_sigv4_signed_headers(const struct sl_sigv4_request *req, struct sl_buf *out)
{
    size_t *order = sorted_headers(req);
    int rc;
    if (order == NULL)
        return SL_ENOMEM;
    rc = append_signed_headers(out, req, order);
    sl_free(order);
    return rc;
}

int sl_sigv4_canonical_request(const struct sl_sigv4_request *req, unsigned flags,
                               struct sl_buf *out)
{
    const char *path = req->path != NULL && req->path[0] != '\0' ? req->path : "/";
    size_t *order = NULL;
    int rc;

    rc = sl_buf_printf(out, "%s\n", req->method);
    if (rc != SL_OK)
        goto fail;
    if (flags & SL_SIGV4_NORMALIZE_PATH)
        rc = append_normalized_path(out, path);
    else
        rc = sl_sigv4_uri_encode(out, path, strlen(path), true);
    if (rc == SL_OK)
        rc = sl_buf_putc(out, '\n');
    if (rc == SL_OK)
        rc = append_canonical_query(out, req->params, req->nparams);
    if (rc == SL_OK)
        rc = sl_buf_putc(out, '\n');
    if (rc != SL_OK)
        goto fail;

    order = sorted_headers(req);
    if (order == NULL) {
        rc = SL_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < req->nheaders && rc == SL_OK; i++) {
        const struct sl_sigv4_header *h = &req->headers[order[i]];
        bool same_as_previous =
            i > 0 && compare_names(req->headers[order[i - 1]].name, h->name) == 0;
        bool same_as_next = i + 1 < req->nheaders &&
                            compare_names(req->headers[order[i + 1]].name, h->name) == 0;
        if (same_as_previous) {
            rc = sl_buf_putc(out, ',');
        } else {
            rc = append_lower(out, h->name);
            if (rc == SL_OK)
                rc = sl_buf_putc(out, ':');
        }
        if (rc == SL_OK)
            rc = append_trimmed(out, h->value);
        if (rc == SL_OK && !same_as_next)
            rc = sl_buf_putc(out, '\n');
    }
    if (rc == SL_OK)
        rc = sl_buf_putc(out, '\n');
    if (rc == SL_OK)
        rc = append_signed_headers(out, req, order);
    if (rc == SL_OK)
        rc = sl_buf_printf(out, "\n%s", req->payload_hash);

fail:
    sl_free(order);
    return rc;
}

int sl_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                            const char *canonical_request, size_t canonical_len,
                            struct sl_buf *out)
{
    char hash[65];
    sl_sha256_hex(canonical_request, canonical_len, hash);
    return sl_buf_printf(out, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date,
                         amz_date, region, service, hash);
}

static void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                        unsigned char out[32])
{
    unsigned int out_len = 32;
    if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &out_len) == NULL)
        memset(out, 0, 32); /* only on a broken libcrypto: the server then refuses the signature */
}

void sl_sigv4_signature(const struct sl_sigv4_signer *signer, const char *amz_date,
                        const char *string_to_sign, size_t sts_len, char out[65])
{
    unsigned char secret[4 + SECRET_MAX];
    unsigned char key[32], next[32], sig[32];
    size_t secret_len = strnlen(signer->secret_access_key, SECRET_MAX);

    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, signer->secret_access_key, secret_len);
    hmac_sha256(secret, 4 + secret_len, amz_date, strnlen(amz_date, 8), key);
    hmac_sha256(key, 32, signer->region, strlen(signer->region), next);
    hmac_sha256(next, 32, signer->service, strlen(signer->service), key);
    hmac_sha256(key, 32, "aws4_request", 12, next);
    hmac_sha256(next, 32, string_to_sign, sts_len, sig);
    hex_encode(sig, 32, out);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(next, sizeof(next));
}

int sl_sigv4_authorization(const struct sl_sigv4_request *req, unsigned flags,
                           const struct sl_sigv4_signer *signer, const char *amz_date,
                           struct sl_buf *out)
{
    struct sl_buf creq, sts;
    char signature[65];
    int rc;

    sl_buf_init(&creq, 1 << 20);
    sl_buf_init(&sts, 4096);
    rc = sl_sigv4_canonical_request(req, flags, &creq);
    if (rc == SL_OK)
        rc = sl_sigv4_string_to_sign(amz_date, signer->region, signer->service, creq.data,
                                     creq.len, &sts);
    if (rc != SL_OK)
        goto fail;
    sl_sigv4_signature(signer, amz_date, sts.data, sts.len, signature);
    rc = sl_buf_printf(out,
                       "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=",
                       signer->access_key_id, amz_date, signer->region, signer->service);
    if (rc == SL_OK)
        rc = sl_sigv4_signed_headers(req, out);
    if (rc == SL_OK)
        rc = sl_buf_printf(out, ", Signature=%s", signature);

fail:
    sl_buf_free(&creq);
    sl_buf_free(&sts);
    return rc;
}

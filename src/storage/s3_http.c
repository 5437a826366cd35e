/*
 * The S3 backend's HTTP client: builds the URL, signs each attempt with
 * SigV4, runs it on a pooled libcurl easy handle (connections stay open
 * between requests; DNS and TLS sessions are shared through a curl share
 * handle) and retries by the policy of s3_retry.c within a total time bound.
 *
 * libcurl needs curl_global_init once per process before any thread uses
 * it; that is the one process-wide state here, run behind pthread_once.
 * Secrets never leave this file except inside the Authorization header:
 * nothing logs headers and curl's verbose mode stays off.
 */
#include "s3_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX 64               /* idle easy handles kept */
#define ERROR_BODY_MAX 65536      /* error documents are small */
#define URL_MAX (64 * 1024)
#define RETRY_BASE_MS 200
#define RETRY_CAP_MS 5000

struct s3_client {
    const struct sl_s3_config *config;
    const char *uri;
    struct sl_s3_endpoint endpoint;
    char *host_header;  /* "bucket.s3.us-east-1.amazonaws.com", "127.0.0.1:8333" */
    char *path_base;    /* raw path before the key: endpoint base path + "/bucket" if path-style */
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    bool share_locks_ready;
    pthread_mutex_t pool_lock;
    bool pool_lock_ready;
    CURL *idle[POOL_MAX];
    size_t nidle;
    uint64_t random_state; /* updated atomically */
    struct sl_s3_retry_policy policy;
};

/* ---------------------------------------------------------------- process-wide init */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT; /* written once, under curl_once */

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---------------------------------------------------------------- share locks */

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *arg)
{
    struct s3_client *c = arg;
    (void)handle;
    (void)access;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *arg)
{
    struct s3_client *c = arg;
    (void)handle;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_locks[data]);
}

/* ---------------------------------------------------------------- open / close */

static bool is_aws_host(const char *host)
{
    size_t n = strlen(host);
    return (n >= 14 && strcmp(host + n - 14, ".amazonaws.com") == 0) ||
           (n >= 17 && strcmp(host + n - 17, ".amazonaws.com.cn") == 0);
}

const char *s3_client_uri(const struct s3_client *client)
{
    return client->uri;
}

const char *s3_client_endpoint(const struct s3_client *client)
{
    return client->config->endpoint_url;
}

uint64_t s3_client_random(struct s3_client *client)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t z = __atomic_add_fetch(&client->random_state, 0x9E3779B97F4A7C15ull,
                                    __ATOMIC_RELAXED) ^ (uint64_t)ts.tv_nsec;
    /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void s3_client_close(struct s3_client *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nidle; i++)
        curl_easy_cleanup(c->idle[i]);
    if (c->share != NULL)
        curl_share_cleanup(c->share);
    if (c->share_locks_ready) {
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&c->share_locks[i]);
    }
    if (c->pool_lock_ready)
        pthread_mutex_destroy(&c->pool_lock);
    sl_s3_endpoint_free(&c->endpoint);
    sl_free(c->host_header);
    sl_free(c->path_base);
    sl_free(c);
}

int s3_client_open(const struct sl_s3_config *config, const char *uri, struct s3_client **out,
                   struct sl_error *err)
{
    struct s3_client *c = NULL;
    struct sl_buf host, path;
    bool path_style;
    int rc;

    *out = NULL;
    sl_buf_init(&host, 4096);
    sl_buf_init(&path, 4096);
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK)
        return sl_error_set(err, SL_ECONFIG, "cannot initialise libcurl: %s",
                            curl_easy_strerror(curl_init_result));
    c = sl_calloc(1, sizeof(*c));
    if (c == NULL)
        return sl_error_set(err, SL_ENOMEM, "out of memory opening %s", uri);
    c->config = config;
    c->uri = uri;
    c->random_state = (uint64_t)(uintptr_t)c ^ ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
    c->policy.max_total_ms = config->retry_max_ms;
    c->policy.base_ms = RETRY_BASE_MS;
    c->policy.cap_ms = RETRY_CAP_MS;
    rc = sl_s3_endpoint_parse(config->endpoint_url, &c->endpoint, err);
    if (rc != SL_OK)
        goto fail;

    switch (config->addressing) {
    case SL_S3_ADDRESSING_PATH:
        path_style = true;
        break;
    case SL_S3_ADDRESSING_VIRTUAL:
        path_style = false;
        break;
    default:
        /* AWS: virtual-hosted, unless a '.' in the bucket would break the
         * wildcard certificate; anything else: path-style, which needs no DNS */
        path_style = !is_aws_host(c->endpoint.host) ||
                     (c->endpoint.https && strchr(config->bucket, '.') != NULL);
        break;
    }
    if (!path_style && c->endpoint.base_path[0] != '\0') {
        rc = sl_error_set(err, SL_ECONFIG,
                          "S3 endpoint %s has a path; use path-style addressing with it",
                          config->endpoint_url);
        goto fail;
    }
    rc = path_style ? sl_buf_append_str(&host, c->endpoint.host)
                    : sl_buf_printf(&host, "%s.%s", config->bucket, c->endpoint.host);
    if (rc == SL_OK && c->endpoint.port != 0)
        rc = sl_buf_printf(&host, ":%d", c->endpoint.port);
    if (rc == SL_OK)
        rc = sl_buf_append_str(&path, c->endpoint.base_path);
    if (rc == SL_OK && path_style)
        rc = sl_buf_printf(&path, "/%s", config->bucket);
    if (rc != SL_OK || (c->host_header = sl_buf_detach(&host)) == NULL ||
        (c->path_base = sl_buf_detach(&path)) == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory opening %s", uri);
        goto fail;
    }

    if (pthread_mutex_init(&c->pool_lock, NULL) != 0) {
        rc = sl_error_set(err, SL_ENOMEM, "cannot create a mutex for %s", uri);
        goto fail;
    }
    c->pool_lock_ready = true;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    c->share_locks_ready = true;
    c->share = curl_share_init();
    if (c->share == NULL ||
        curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        rc = sl_error_set(err, SL_ENOMEM, "cannot set up a libcurl share handle for %s", uri);
        goto fail;
    }
    *out = c;
    return SL_OK;

fail:
    sl_buf_free(&host);
    sl_buf_free(&path);
    s3_client_close(c);
    return rc;
}

/* ---------------------------------------------------------------- handle pool */

static CURL *pool_get(struct s3_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->nidle > 0)
        h = c->idle[--c->nidle];
    pthread_mutex_unlock(&c->pool_lock);
    return h != NULL ? h : curl_easy_init();
}

static void pool_put(struct s3_client *c, CURL *h)
{
    curl_easy_reset(h); /* keeps its open connections and caches */
    pthread_mutex_lock(&c->pool_lock);
    if (c->nidle < POOL_MAX) {
        c->idle[c->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (h != NULL)
        curl_easy_cleanup(h);
}

/* ---------------------------------------------------------------- one attempt */

struct transfer {
    const struct s3_request *req;
    struct s3_response *resp;
    size_t upload_pos;
    size_t out_start;
    uint64_t skip_left;
    struct sl_buf error_body;
    int sink_error; /* set when the write callback refused bytes */
    int upload_calls; /* calls of on_upload */
    bool resent;      /* libcurl rewound the body to send it again (its silent retry
                       * on a dead keep-alive connection): the server may have it twice */
    bool range_done; /* a 200 answer to a ranged read gave all we wanted */
};

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n, name_len;
    const char *colon, *value, *end;

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new status line (after a 100 Continue, too): forget the last one */
        const char *sp = memchr(line, ' ', len);
        t->resp->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
        t->resp->etag[0] = '\0';
        t->resp->has_content_length = false;
        return len;
    }
    colon = memchr(line, ':', len);
    if (colon == NULL)
        return len;
    name_len = (size_t)(colon - line);
    value = colon + 1;
    end = line + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t value_len = (size_t)(end - value);
    if (name_len == 4 && strncasecmp(line, "etag", 4) == 0) {
        size_t k = SL_MIN(value_len, sizeof(t->resp->etag) - 1);
        memcpy(t->resp->etag, value, k);
        t->resp->etag[k] = '\0';
    } else if (name_len == 16 && strncasecmp(line, "x-amz-request-id", 16) == 0) {
        size_t k = SL_MIN(value_len, sizeof(t->resp->request_id) - 1);
        memcpy(t->resp->request_id, value, k);
        t->resp->request_id[k] = '\0';
    } else if (name_len == 14 && strncasecmp(line, "content-length", 14) == 0) {
        char digits[32];
        uint64_t v;
        size_t k = SL_MIN(value_len, sizeof(digits) - 1);
        memcpy(digits, value, k);
        digits[k] = '\0';
        if (sl_parse_u64(digits, &v) == SL_OK) {
            t->resp->content_length = v;
            t->resp->has_content_length = true;
        }
    }
    return len;
}

static size_t on_body(char *bytes, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    const struct s3_request *req = t->req;
    long status = t->resp->status;
    size_t len = size * n;

    if (status < 200 || status >= 300 || (req->error_in_200 && req->out == NULL)) {
        /* error documents (and 200s that may hold one) go aside, bounded */
        size_t room = t->error_body.max - t->error_body.len;
        (void)sl_buf_append(&t->error_body, bytes, SL_MIN(len, room));
        return len;
    }
    if (req->out != NULL) {
        int rc = sl_buf_append(req->out, bytes, len);
        if (rc != SL_OK) {
            t->sink_error = rc;
            return 0; /* aborts the transfer */
        }
        return len;
    }
    if (req->fixed != NULL) {
        size_t used = 0;
        if (status == 200 && t->skip_left > 0) {
            /* the server ignored Range and sends the whole object */
            used = (size_t)SL_MIN((uint64_t)len, t->skip_left);
            t->skip_left -= used;
        }
        size_t want = req->fixed_len - t->resp->fixed_got;
        size_t take = SL_MIN(len - used, want);
        memcpy(req->fixed + t->resp->fixed_got, bytes + used, take);
        t->resp->fixed_got += take;
        if (take < len - used) {
            if (status == 200) {
                t->range_done = true; /* the rest of a whole-object answer is not needed */
            } else {
                t->sink_error = SL_EPROTO;
            }
            return 0;
        }
        return len;
    }
    return len; /* discarded */
}

static size_t on_upload(char *dest, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t room = size * n, left = t->req->body_len - t->upload_pos;
    size_t k = SL_MIN(room, left);
    t->upload_calls++;
    if (k == 0)
        return 0; /* also for an empty body, which may be NULL */
    memcpy(dest, (const char *)t->req->body + t->upload_pos, k);
    t->upload_pos += k;
    return k;
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
    struct transfer *t = arg;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > t->req->body_len)
        return CURL_SEEKFUNC_FAIL;
    if (t->upload_calls > 0)
        t->resent = true;
    t->upload_pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static enum sl_s3_transport classify_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK:
        return SL_S3_TRANSPORT_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
        return SL_S3_TRANSPORT_TRANSIENT;
    default:
        return SL_S3_TRANSPORT_FATAL;
    }
}

/* The key's full name in the bucket: root prefix + "/" + key. */
static int full_key(const struct s3_client *c, const struct s3_request *req, struct sl_buf *out)
{
    if (req->full_key != NULL)
        return sl_buf_append_str(out, req->full_key);
    if (req->key == NULL)
        return SL_OK;
    if (c->config->prefix[0] != '\0')
        return sl_buf_printf(out, "%s/%s", c->config->prefix, req->key);
    return sl_buf_append_str(out, req->key);
}

struct signed_request {
    struct sl_buf path;  /* raw path */
    struct sl_buf url;
    struct sl_buf auth;
    struct curl_slist *headers;
    char payload_hash[65];
    char amz_date[17];
};

static void signed_request_free(struct signed_request *s)
{
    sl_buf_free(&s->path);
    sl_buf_free(&s->url);
    if (s->auth.data != NULL)
        memset(s->auth.data, 0, s->auth.len);
    sl_buf_free(&s->auth);
    curl_slist_free_all(s->headers);
    s->headers = NULL;
}

static int add_header(struct signed_request *s, const char *fmt_name, const char *value)
{
    struct sl_buf line;
    struct curl_slist *grown;
    sl_buf_init(&line, 16384);
    if (sl_buf_printf(&line, "%s: %s", fmt_name, value) != SL_OK) {
        sl_buf_free(&line);
        return SL_ENOMEM;
    }
    grown = curl_slist_append(s->headers, line.data);
    if (line.data != NULL)
        memset(line.data, 0, line.len); /* may be the Authorization header */
    sl_buf_free(&line);
    if (grown == NULL)
        return SL_ENOMEM;
    s->headers = grown;
    return SL_OK;
}

/* Builds URL, headers and signature of one attempt, dated now. */
static int sign_request(struct s3_client *c, const struct s3_request *req,
                        struct signed_request *s)
{
    const struct sl_s3_config *cfg = c->config;
    struct sl_sigv4_header signed_headers[16];
    struct sl_sigv4_signer signer = {cfg->access_key_id, cfg->secret_access_key, cfg->region,
                                     "s3"};
    struct sl_sigv4_request sreq;
    size_t nh = 0;
    int rc;

    sl_buf_init(&s->path, URL_MAX);
    sl_buf_init(&s->url, URL_MAX);
    sl_buf_init(&s->auth, 16384);
    s->headers = NULL;
    if (req->nheaders > SL_ARRAY_LEN(signed_headers) - 4)
        return SL_EINVAL;

    rc = sl_buf_append_str(&s->path, c->path_base);
    if (rc == SL_OK && (req->key != NULL || req->full_key != NULL)) {
        rc = sl_buf_putc(&s->path, '/');
        if (rc == SL_OK)
            rc = full_key(c, req, &s->path);
    }
    if (rc == SL_OK && s->path.len == 0)
        rc = sl_buf_putc(&s->path, '/');
    /* URL: scheme://host + encoded path + ?query in the given order */
    if (rc == SL_OK)
        rc = sl_buf_printf(&s->url, "%s://%s", c->endpoint.https ? "https" : "http",
                           c->host_header);
    if (rc == SL_OK)
        rc = sl_sigv4_uri_encode(&s->url, s->path.data, s->path.len, true);
    for (size_t i = 0; i < req->nparams && rc == SL_OK; i++) {
        const char *value = req->params[i].value != NULL ? req->params[i].value : "";
        rc = sl_buf_putc(&s->url, i == 0 ? '?' : '&');
        if (rc == SL_OK)
            rc = sl_sigv4_uri_encode(&s->url, req->params[i].name, strlen(req->params[i].name),
                                     false);
        if (rc == SL_OK)
            rc = sl_buf_putc(&s->url, '=');
        if (rc == SL_OK)
            rc = sl_sigv4_uri_encode(&s->url, value, strlen(value), false);
    }
    if (rc != SL_OK)
        return rc;

    if (cfg->sign_payload)
        sl_sha256_hex(req->body != NULL ? req->body : "", req->body_len, s->payload_hash);
    else
        snprintf(s->payload_hash, sizeof(s->payload_hash), "%s", SL_SIGV4_UNSIGNED_PAYLOAD);
    sl_sigv4_amz_date(time(NULL), s->amz_date);

    signed_headers[nh++] = (struct sl_sigv4_header){"host", c->host_header};
    signed_headers[nh++] = (struct sl_sigv4_header){"x-amz-content-sha256", s->payload_hash};
    signed_headers[nh++] = (struct sl_sigv4_header){"x-amz-date", s->amz_date};
    if (cfg->session_token != NULL)
        signed_headers[nh++] = (struct sl_sigv4_header){"x-amz-security-token", cfg->session_token};
    for (size_t i = 0; i < req->nheaders; i++)
        signed_headers[nh++] = req->headers[i];
    sreq = (struct sl_sigv4_request){.method = req->method,
                                     .path = s->path.data,
                                     .params = req->params,
                                     .nparams = req->nparams,
                                     .headers = signed_headers,
                                     .nheaders = nh,
                                     .payload_hash = s->payload_hash};
    rc = sl_sigv4_authorization(&sreq, 0, &signer, s->amz_date, &s->auth);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < nh && rc == SL_OK; i++)
        rc = add_header(s, signed_headers[i].name, signed_headers[i].value);
    if (rc == SL_OK)
        rc = add_header(s, "Authorization", s->auth.data);
    /* no "Expect: 100-continue" round trip; a neutral type for POSTed XML */
    if (rc == SL_OK) {
        struct curl_slist *grown = curl_slist_append(s->headers, "Expect:");
        if (grown == NULL)
            return SL_ENOMEM;
        s->headers = grown;
        grown = curl_slist_append(s->headers, strcmp(req->method, "POST") == 0
                                                  ? "Content-Type: application/xml"
                                                  : "Accept: */*");
        if (grown == NULL)
            return SL_ENOMEM;
        s->headers = grown;
    }
    return rc;
}

static CURLcode setup_handle(struct s3_client *c, CURL *h, const struct s3_request *req,
                             struct signed_request *s, struct transfer *t, char *errbuf)
{
    const struct sl_s3_config *cfg = c->config;
    CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, s->url.data);
    SET(CURLOPT_HTTPHEADER, s->headers);
    SET(CURLOPT_SHARE, c->share);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_PATH_AS_IS, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
    /* a transfer that moves nothing for stall_timeout is cut (and retried) */
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, (long)((cfg->stall_timeout_ms + 999) / 1000));
    SET(CURLOPT_BUFFERSIZE, 256L * 1024);
    SET(CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    SET(CURLOPT_USERAGENT, "sluice/0.1");
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    if (cfg->ca_bundle != NULL)
        SET(CURLOPT_CAINFO, cfg->ca_bundle);
    if (strcmp(req->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(req->method, "PUT") == 0 || strcmp(req->method, "POST") == 0) {
        /* bodies go through a read callback (also for POST, rather than
         * POSTFIELDS), so a resend is seen in on_seek */
        SET(CURLOPT_READFUNCTION, on_upload);
        SET(CURLOPT_READDATA, t);
        SET(CURLOPT_SEEKFUNCTION, on_seek);
        SET(CURLOPT_SEEKDATA, t);
        if (strcmp(req->method, "PUT") == 0) {
            SET(CURLOPT_UPLOAD, 1L);
            SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
        } else {
            SET(CURLOPT_POST, 1L);
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
    } else if (strcmp(req->method, "GET") != 0) {
        SET(CURLOPT_CUSTOMREQUEST, req->method);
    }
#undef SET
    return cc;
}

/* "put of k in s3://b/p" */
static void describe(const struct s3_client *c, const struct s3_request *req, char *out,
                     size_t cap)
{
    if (req->key != NULL)
        snprintf(out, cap, "%s of %.300s in %.300s", req->op, req->key, c->uri);
    else if (req->full_key != NULL)
        snprintf(out, cap, "%s of s3://%.100s/%.300s", req->op, c->config->bucket, req->full_key);
    else
        snprintf(out, cap, "%s in %.300s", req->op, c->uri);
}

/* "HTTP 503 SlowDown: Please reduce your request rate (request id X)" or the curl error. */
static void last_outcome(const struct s3_response *resp, CURLcode cc, const char *errbuf,
                         char *out, size_t cap)
{
    if (cc != CURLE_OK) {
        snprintf(out, cap, "%s%s%.200s", curl_easy_strerror(cc), errbuf[0] != '\0' ? ": " : "",
                 errbuf);
        return;
    }
    snprintf(out, cap, "HTTP %ld%s%s%s%.300s%s%.100s%s", resp->status,
             resp->error.code[0] != '\0' ? " " : "", resp->error.code,
             resp->error.message[0] != '\0' ? ": " : "", resp->error.message,
             resp->request_id[0] != '\0' ? " (request id " : "", resp->request_id,
             resp->request_id[0] != '\0' ? ")" : "");
}

/* A certificate the client refused is a setting to change, not a network
 * fault: say which CA store was used and how to name another. */
static int tls_error(const struct s3_client *c, const char *what, CURLcode cc,
                     const char *outcome, struct sl_error *err)
{
    const struct sl_s3_config *cfg = c->config;
    if (cc == CURLE_SSL_CACERT_BADFILE)
        return sl_error_set(err, SL_ECONFIG,
                            "%s at %s: %s; AWS_CA_BUNDLE (or ca_bundle in the AWS profile) must "
                            "name a readable file of PEM certificates",
                            what, cfg->endpoint_url, outcome);
    return sl_error_set(err, SL_ECONFIG,
                        "%s at %s: %s; the server's certificate was checked against %s%s%s: if a "
                        "private CA signed it, set AWS_CA_BUNDLE (or ca_bundle in the AWS profile) "
                        "to that CA's PEM file; the certificate must also name the endpoint's host",
                        what, cfg->endpoint_url, outcome,
                        cfg->ca_bundle != NULL ? "the CA bundle \"" : "the system CA store",
                        cfg->ca_bundle != NULL ? cfg->ca_bundle : "",
                        cfg->ca_bundle != NULL ? "\"" : "");
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int s3_request_run(struct s3_client *c, const struct s3_request *req, struct s3_response *resp,
                   struct sl_error *err)
{
    int64_t started = sl_clock_monotonic_ms();
    bool mutating = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
    char what[800], outcome[600];
    int rc = SL_OK;

    memset(resp, 0, sizeof(*resp));
    describe(c, req, what, sizeof(what));
    for (int attempt = 1;; attempt++) {
        struct signed_request s = {0};
        struct transfer t = {.req = req, .resp = resp, .skip_left = req->range_offset};
        char errbuf[CURL_ERROR_SIZE] = "";
        enum sl_s3_transport transport;
        CURLcode cc;
        CURL *h;

        /* a fresh answer per attempt */
        memset(resp, 0, offsetof(struct s3_response, attempts));
        resp->attempts = attempt;
        sl_buf_init(&t.error_body, ERROR_BODY_MAX);
        if (req->out != NULL) {
            t.out_start = req->out->len;
        }
        rc = sign_request(c, req, &s);
        if (rc != SL_OK) {
            signed_request_free(&s);
            return sl_error_set(err, rc == SL_EINVAL ? SL_EINVAL : SL_ENOMEM,
                                "%s: cannot build the request (%s)", what,
                                rc == SL_EINVAL ? "too many headers" : "out of memory");
        }
        h = pool_get(c);
        if (h == NULL) {
            signed_request_free(&s);
            sl_buf_free(&t.error_body);
            return sl_error_set(err, SL_ENOMEM, "%s: cannot create a libcurl handle", what);
        }
        cc = setup_handle(c, h, req, &s, &t, errbuf);
        if (cc == CURLE_OK)
            cc = curl_easy_perform(h);
        if (cc == CURLE_WRITE_ERROR && t.range_done)
            cc = CURLE_OK;
        if (cc == CURLE_OK) {
            long code = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            resp->status = code;
        }
        pool_put(c, h);
        signed_request_free(&s);
        if (t.resent && mutating)
            resp->ambiguous = true;

        if (cc == CURLE_WRITE_ERROR && t.sink_error != 0) {
            sl_buf_free(&t.error_body);
            if (t.sink_error == SL_ELIMIT)
                return sl_error_set(err, SL_ELIMIT,
                                    "%s: the object is larger than the %zu bytes the buffer allows",
                                    what, req->out != NULL ? req->out->max : req->fixed_len);
            if (t.sink_error == SL_EPROTO)
                return sl_error_set(err, SL_EPROTO,
                                    "%s: the server sent more than the %zu bytes asked for", what,
                                    req->fixed_len);
            return sl_error_set(err, SL_ENOMEM, "%s: out of memory receiving the answer", what);
        }
        transport = classify_curl(cc);
        if (transport == SL_S3_TRANSPORT_OK) {
            const char *doc = t.error_body.data;
            size_t doc_len = t.error_body.len;
            if (req->error_in_200 && resp->status == 200 && req->out != NULL) {
                doc = req->out->data + t.out_start;
                doc_len = req->out->len - t.out_start;
            }
            if (doc != NULL && doc_len > 0 &&
                (resp->status >= 300 || req->error_in_200) &&
                sl_s3_xml_parse_error(doc, doc_len, &resp->error) == SL_OK &&
                resp->status == 200)
                resp->status = 500; /* an <Error> inside a 200 */
        }
        sl_buf_free(&t.error_body);
        if (transport == SL_S3_TRANSPORT_OK &&
            !sl_s3_retriable(transport, resp->status, resp->error.code))
            return SL_OK;
        last_outcome(resp, cc, errbuf, outcome, sizeof(outcome));
        if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
            cc == CURLE_SSL_ISSUER_ERROR)
            return tls_error(c, what, cc, outcome, err);
        if (transport == SL_S3_TRANSPORT_FATAL)
            return sl_error_set(err, SL_ECONN, "%s at %s: %s", what, c->config->endpoint_url,
                                outcome);
        /* OpenSSL's answer when the first bytes back are not TLS: a plain
         * http server behind an https:// endpoint, which no retry mends */
        if (cc == CURLE_SSL_CONNECT_ERROR && strstr(outcome, "wrong version number") != NULL)
            return sl_error_set(err, SL_ECONFIG,
                                "%s at %s: %s; the server does not speak TLS there: if it is plain "
                                "http, write the endpoint as http://",
                                what, c->config->endpoint_url, outcome);

        /* worth another attempt, if time allows */
        if (mutating)
            resp->ambiguous = true;
        if (req->out != NULL) {
            req->out->len = t.out_start;
            if (req->out->data != NULL)
                req->out->data[t.out_start] = '\0';
        }
        int64_t delay = sl_s3_backoff_ms(&c->policy, attempt, s3_client_random(c));
        int64_t elapsed = sl_clock_monotonic_ms() - started;
        if (!sl_s3_retry_allowed(&c->policy, elapsed, delay)) {
            rc = sl_error_set(err, transport == SL_S3_TRANSPORT_OK ? SL_EPEER : SL_ECONN,
                              "%s at %s: gave up after %d attempt%s in %.1f s (retry limit "
                              "%.0f s, SLUICE_S3_RETRY_MAX_SECONDS); last: %s",
                              what, c->config->endpoint_url, attempt, attempt == 1 ? "" : "s",
                              (double)elapsed / 1000.0,
                              (double)c->policy.max_total_ms / 1000.0, outcome);
            if (err != NULL)
                err->retriable = true;
            return rc;
        }
        const char *key = req->key != NULL ? req->key : req->full_key;
        sl_log(SL_LOG_WARN, "s3_retry",
               "op=%s store=%s key=%s attempt=%d delay_ms=%lld last=\"%s\"", req->op, c->uri,
               key != NULL ? key : "-", attempt, (long long)delay, outcome);
        sleep_ms(delay);
    }
}

int s3_status_error(struct s3_client *c, const struct s3_request *req,
                    const struct s3_response *resp, struct sl_error *err)
{
    const struct sl_s3_config *cfg = c->config;
    const char *code = resp->error.code;
    char what[800], outcome[600];
    bool object_op = req->key != NULL || req->full_key != NULL;

    describe(c, req, what, sizeof(what));
    last_outcome(resp, CURLE_OK, "", outcome, sizeof(outcome));
    /* credentials first: some servers answer an unknown key id with a 404 */
    if (strcmp(code, "InvalidAccessKeyId") == 0 || strcmp(code, "XAdminUserNotFound") == 0)
        return sl_error_set(err, SL_ECONFIG,
                            "%s: %s; the access key id \"%s\" from %s is not known at %s", what,
                            outcome, cfg->access_key_id, cfg->credentials_source,
                            cfg->endpoint_url);
    if (strcmp(code, "NoSuchBucket") == 0 ||
        (resp->status == 404 && !object_op && code[0] == '\0'))
        return sl_error_set(err, SL_ECONFIG,
                            "%s: bucket \"%s\" does not exist at %s (%s); create it or fix the "
                            "URI",
                            what, cfg->bucket, cfg->endpoint_url, outcome);
    if (resp->status == 404 && (code[0] == '\0' || strcmp(code, "NoSuchKey") == 0))
        return sl_error_set(err, SL_ENOTFOUND, "%s: not found (%s)", what, outcome);
    if (strcmp(code, "SignatureDoesNotMatch") == 0)
        return sl_error_set(err, SL_ECONFIG,
                            "%s: %s; check the secret access key from %s (not shown) and the "
                            "region \"%s\"",
                            what, outcome, cfg->credentials_source, cfg->region);
    if (resp->error.region[0] != '\0' && strcmp(resp->error.region, cfg->region) != 0)
        return sl_error_set(err, SL_ECONFIG, "%s: %s; the bucket is in region \"%s\": set "
                            "AWS_REGION=%s",
                            what, outcome, resp->error.region, resp->error.region);
    if (strcmp(code, "RequestTimeTooSkewed") == 0)
        return sl_error_set(err, SL_ECONFIG, "%s: %s; this machine's clock is off", what,
                            outcome);
    if (resp->status == 403)
        return sl_error_set(err, SL_ECONFIG, "%s: %s%s (credentials from %s)", what, outcome,
                            code[0] == '\0' ? " (HEAD answers carry no error code; check the "
                                              "credentials and the bucket policy)"
                                            : "",
                            cfg->credentials_source);
    if (resp->status == 301 || resp->status == 307)
        return sl_error_set(err, SL_ECONFIG,
                            "%s: %s; the bucket is served by another endpoint or region (region "
                            "now \"%s\")",
                            what, outcome, cfg->region);
    return sl_error_set(err, SL_EPEER, "%s: %s", what, outcome);
}

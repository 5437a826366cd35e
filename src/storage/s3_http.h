/*
 * The S3 backend's HTTP client (s3_http.c): one signed S3 request at a time
 * per calling thread, over a pool of libcurl easy handles that keep their
 * connections alive and share one DNS and TLS-session cache. Each request
 * is signed afresh per attempt (s3_sigv4.c) and retried by the policy of
 * s3_retry.c. Shared by s3_store.c only.
 */
#ifndef SLUICE_S3_HTTP_H
#define SLUICE_S3_HTTP_H

#include "s3_internal.h"

#include <pthread.h>

struct s3_client; /* thread-safe; see s3_client_open */

/* One request. Everything borrowed for the duration of s3_request_run. */
struct s3_request {
    const char *op;     /* "put", "get", ... for messages and logs */
    const char *method; /* GET, HEAD, PUT, POST, DELETE */
    /* object key relative to the store root, or NULL for a bucket-level
     * request; full_key (already with the root prefix) wins when set */
    const char *key;
    const char *full_key;
    const struct sl_sigv4_param *params;
    size_t nparams;
    const struct sl_sigv4_header *headers; /* extra headers, all signed */
    size_t nheaders;
    const void *body; /* PUT / POST body */
    size_t body_len;
    /* Where a 2xx body goes: appended to out (bounded by out->max: SL_ELIMIT;
     * rolled back before a retry), or into fixed[0..fixed_len) (a 200 answer
     * to a ranged request skips range_offset bytes first), or nowhere. */
    struct sl_buf *out;
    char *fixed;
    size_t fixed_len;
    uint64_t range_offset;
    /* CompleteMultipartUpload can answer 200 with an <Error> body: treat
     * such an answer as that error (retried if its code is retriable). */
    bool error_in_200;
};

struct s3_response {
    long status;
    char etag[256];
    char request_id[128];
    uint64_t content_length;
    bool has_content_length;
    size_t fixed_got;             /* bytes written into req->fixed */
    struct sl_s3_error_doc error; /* code "" when the body held no <Error> */
    int attempts;
    /* an attempt before the last may have been carried out by the server
     * (its answer was lost or was a 5xx): a conditional request that now
     * fails its condition may have failed against its own earlier success */
    bool ambiguous;
};

/* Opens a client for config (borrowed: it must outlive the client) and the
 * store's uri (for messages; borrowed likewise). Caller owns *out. */
int s3_client_open(const struct sl_s3_config *config, const char *uri, struct s3_client **out,
                   struct sl_error *err);
void s3_client_close(struct s3_client *client); /* accepts NULL */

/*
 * Runs req until it gets a final answer: SL_OK with resp->status set for any
 * HTTP answer that is not worth retrying (2xx, but also 3xx and 4xx: the
 * caller decides, usually with s3_status_error). Fails with SL_ECONN (marked
 * retriable) or SL_EPEER when retries ran out of time ("gave up after N
 * attempts in T s; last: ..."), SL_ECONN for a fatal transport error (TLS
 * verification, bad URL), SL_ELIMIT when the body does not fit out, SL_EPROTO
 * when the server sent more than asked. Messages name the operation, key,
 * store and status. Thread-safe.
 */
int s3_request_run(struct s3_client *client, const struct s3_request *req,
                   struct s3_response *resp, struct sl_error *err);

/* Turns a final non-2xx answer into an error: SL_ENOTFOUND (404 on an object),
 * SL_ECONFIG (missing bucket, 403 and credential errors, wrong region) or
 * SL_EPEER, with S3's code and message and a hint. Returns the code. */
int s3_status_error(struct s3_client *client, const struct s3_request *req,
                    const struct s3_response *resp, struct sl_error *err);

/* The store's uri ("s3://bucket/prefix"); borrowed from the client's opener. */
const char *s3_client_uri(const struct s3_client *client);
/* The endpoint URL, for messages. */
const char *s3_client_endpoint(const struct s3_client *client);

/* A random 64-bit number (jitter, probe names); thread-safe, not for secrets. */
uint64_t s3_client_random(struct s3_client *client);

#endif

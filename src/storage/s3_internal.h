/*
 * The pieces of the S3 backend that are pure functions, shared by its source
 * files and tested on their own (tests/unit/test_s3.c, fuzz/fuzz_s3_*.c):
 * SigV4 signing (s3_sigv4.c), configuration parsing (s3_config.c), the
 * bounded XML reader for S3 answers (s3_xml.c) and the retry policy
 * (s3_retry.c). Nothing here does I/O except sl_s3_config_resolve, which
 * reads the shared AWS files it is pointed at.
 */
#ifndef SLUICE_S3_INTERNAL_H
#define SLUICE_S3_INTERNAL_H

#include "sluice/storage.h"

#include <time.h>

/* ================================================================ SigV4 */

#define SL_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* Generic AWS services remove "." / ".." segments and empty segments from the
 * path before signing; S3 signs the path exactly as sent (flag not set). */
#define SL_SIGV4_NORMALIZE_PATH 1u

struct sl_sigv4_header {
    const char *name;  /* any case; signed lower-cased */
    const char *value; /* trimmed, inner runs of blanks collapsed when signed */
};

struct sl_sigv4_param {
    const char *name;  /* raw (not percent-encoded) */
    const char *value; /* raw; NULL signs and sends as "" ("?uploads" -> "uploads=") */
};

/* One request to sign; everything borrowed. Every header listed is signed. */
struct sl_sigv4_request {
    const char *method;
    const char *path; /* raw (not percent-encoded), starting with '/' */
    const struct sl_sigv4_param *params;
    size_t nparams;
    const struct sl_sigv4_header *headers;
    size_t nheaders;
    const char *payload_hash; /* 64 lower-case hex digits or SL_SIGV4_UNSIGNED_PAYLOAD */
};

struct sl_sigv4_signer {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;
    const char *service; /* "s3" */
};

/* Lower-case hex SHA-256 of bytes (OpenSSL libcrypto). */
void sl_sha256_hex(const void *bytes, size_t len, char out[65]);
/* "YYYYMMDDTHHMMSSZ" of t in UTC. */
void sl_sigv4_amz_date(time_t t, char out[17]);
/*
 * Appends s percent-encoded the SigV4 way: every byte but A-Z a-z 0-9 - . _ ~
 * becomes %XX (upper-case hex); '/' is kept when keep_slash. The URL sluice
 * sends and the canonical request both come from this function, so they
 * cannot disagree. SL_ELIMIT / SL_ENOMEM from the buffer.
 */
int sl_sigv4_uri_encode(struct sl_buf *out, const char *s, size_t len, bool keep_slash);
/* Appends the canonical request of req (flags: SL_SIGV4_NORMALIZE_PATH). */
int sl_sigv4_canonical_request(const struct sl_sigv4_request *req, unsigned flags,
                               struct sl_buf *out);
/* Appends the signed-headers list ("host;x-amz-date") of req. */
int sl_sigv4_signed_headers(const struct sl_sigv4_request *req, struct sl_buf *out);
/* Appends the string to sign for a canonical request signed at amz_date ("...T...Z"). */
int sl_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                            const char *canonical_request, size_t canonical_len,
                            struct sl_buf *out);
/* Hex signature of string_to_sign with the key derived from the secret, date, region, service. */
void sl_sigv4_signature(const struct sl_sigv4_signer *signer, const char *amz_date,
                        const char *string_to_sign, size_t sts_len, char out[65]);
/*
 * Appends the value of the Authorization header for req signed at amz_date:
 * "AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request,
 * SignedHeaders=..., Signature=...". The request's headers must already hold
 * x-amz-date (and x-amz-content-sha256, x-amz-security-token for S3).
 */
int sl_sigv4_authorization(const struct sl_sigv4_request *req, unsigned flags,
                           const struct sl_sigv4_signer *signer, const char *amz_date,
                           struct sl_buf *out);

/* ================================================================ configuration */

/*
 * Looks up key in [section] of an AWS-style INI text (the shared credentials
 * and config files): "key = value" lines, '#' and ';' comment lines, blanks
 * around names and values ignored. With subkey, key must be a nested block
 * ("s3 =" followed by indented "subkey = value" lines) and the subkey's value
 * is returned. *out is a copy (caller owns) or NULL when absent. Only
 * SL_ENOMEM can fail: the parser never rejects a text, it skips what it
 * cannot read, as the AWS CLI does. Borrowed text (len bytes, no NUL needed).
 */
int sl_s3_ini_get(const char *text, size_t len, const char *section, const char *key,
                  const char *subkey, char **out);

/* A parsed endpoint URL: scheme://host[:port][/base/path]. */
struct sl_s3_endpoint {
    bool https;
    char *host;      /* "127.0.0.1", "[::1]", "s3.amazonaws.com" */
    int port;        /* 0: the scheme's default */
    char *base_path; /* "" or "/a/b" (no trailing '/') */
};
/* SL_EINVAL naming the URL when it is not http(s)://host[:port][/path] (no
 * user info, query or fragment; path of unreserved characters). Caller owns *out. */
int sl_s3_endpoint_parse(const char *url, struct sl_s3_endpoint *out, struct sl_error *err);
void sl_s3_endpoint_free(struct sl_s3_endpoint *endpoint);

/* "s3://bucket[/prefix[/]]" -> bucket and prefix ("" or without the end '/');
 * SL_EINVAL naming the URI otherwise. Caller owns both strings. */
int sl_s3_uri_parse(const char *uri, char **bucket, char **prefix, struct sl_error *err);

/* Where configuration comes from: the environment (a callback, so tests can
 * fake it) and the user's home directory for ~/.aws. */
typedef const char *(*sl_s3_getenv_fn)(void *arg, const char *name);

/* sl_s3_config_from_env over an explicit environment. Borrowed everything; caller owns *out. */
int sl_s3_config_resolve(const char *uri, sl_s3_getenv_fn getenv_fn, void *arg,
                         struct sl_s3_config *out, struct sl_error *err);
/* Deep copy (dst is overwritten; caller owns it). */
int sl_s3_config_copy(const struct sl_s3_config *src, struct sl_s3_config *dst,
                      struct sl_error *err);
/* Checks a configuration built by hand or by sl_s3_config_resolve: bucket and
 * prefix rules, region, credentials (printable, bounded), sizes and timeouts. */
int sl_s3_config_check(const struct sl_s3_config *config, struct sl_error *err);

/* ================================================================ XML answers */

#define SL_S3_XML_MAX_DEPTH 16
#define SL_S3_XML_MAX_NAME 64    /* element names, bytes with NUL */
#define SL_S3_XML_MAX_TEXT 65536 /* text of one element, decoded */

/*
 * A bounded, non-validating XML reader for the small documents S3 returns:
 * elements, attributes (skipped), text with the five named entities and
 * numeric character references, CDATA, comments and processing instructions.
 * DOCTYPE (and so user entities) is refused. Calls end() at each end tag with
 * the path of element names from the root (namespace prefixes dropped) and
 * the element's decoded text; start() (may be NULL) at each start tag. A
 * callback returning non-zero stops the parse with that code. SL_EPROTO
 * naming the byte offset for malformed or too deep / too long input. Borrowed
 * buf (len bytes, no NUL needed).
 */
struct sl_s3_xml_handler {
    void *arg;
    int (*start)(void *arg, const char *const *path, int depth);
    int (*end)(void *arg, const char *const *path, int depth, const char *text, size_t text_len);
};
int sl_s3_xml_parse(const char *buf, size_t len, const struct sl_s3_xml_handler *handler,
                    struct sl_error *err);

/* One page of a ListObjectsV2 answer; keys are full keys (with the store's prefix). */
struct sl_s3_list_page {
    struct sl_object_listing items; /* Contents (is_prefix false) then CommonPrefixes */
    bool truncated;
    char *next_token; /* NextContinuationToken, NULL if none */
};
int sl_s3_xml_parse_list(const char *buf, size_t len, struct sl_s3_list_page *out,
                         struct sl_error *err);
void sl_s3_list_page_free(struct sl_s3_list_page *page); /* accepts a zeroed page */

/* <Error><Code/><Message/>...</Error>; fields truncated to fit, "" when absent. */
struct sl_s3_error_doc {
    char code[128];
    char message[512];
    char region[64]; /* <Region> of redirects and AuthorizationHeaderMalformed */
    char bucket[256];
};
/* SL_OK and *out filled if buf is an <Error> document; SL_EPROTO otherwise. */
int sl_s3_xml_parse_error(const char *buf, size_t len, struct sl_s3_error_doc *out);
/* A DeleteObjects answer (quiet mode): how many <Error> entries, and the
 * first one's key, code and message (truncated to fit, made printable). */
struct sl_s3_delete_result {
    size_t failed;
    char key[1025];
    char code[128];
    char message[512];
};
/* SL_OK for a <DeleteResult> document; SL_EPROTO (naming the offset) otherwise. */
int sl_s3_xml_parse_delete_result(const char *buf, size_t len, struct sl_s3_delete_result *out,
                                  struct sl_error *err);
/* <InitiateMultipartUploadResult><UploadId>: caller owns *upload_id. */
int sl_s3_xml_parse_upload_id(const char *buf, size_t len, char **upload_id,
                              struct sl_error *err);

/* ================================================================ retries */

/* What a finished attempt looked like, as far as retrying goes. */
enum sl_s3_transport {
    SL_S3_TRANSPORT_OK = 0,     /* an HTTP answer arrived */
    SL_S3_TRANSPORT_TRANSIENT,  /* refused, reset, timed out, cut short: worth retrying */
    SL_S3_TRANSPORT_FATAL,      /* bad URL, TLS verification failed, out of memory... */
};

/* Whether an attempt is worth retrying: transient transport failures, 5xx
 * but 501 (NotImplemented), 429, 408, and whatever the status the S3 codes
 * SlowDown, RequestTimeout, InternalError, ServiceUnavailable, Throttling,
 * ThrottlingException, OperationAborted and ConditionalRequestConflict. */
bool sl_s3_retriable(enum sl_s3_transport transport, long status, const char *s3_code);

struct sl_s3_retry_policy {
    int64_t max_total_ms; /* no new attempt starts after this much time since the first */
    int64_t base_ms;      /* delay before the 2nd attempt is in [base/2, base] */
    int64_t cap_ms;       /* delays never exceed this */
};
/* Delay before attempt number `attempt` + 1 (attempt >= 1 just failed):
 * "equal jitter" exponential backoff, d = min(cap, base * 2^(attempt-1)),
 * delay in [d/2, d] chosen by random. */
int64_t sl_s3_backoff_ms(const struct sl_s3_retry_policy *policy, int attempt, uint64_t random);
/* Whether another attempt may start after sleeping delay_ms, elapsed_ms after the first began. */
bool sl_s3_retry_allowed(const struct sl_s3_retry_policy *policy, int64_t elapsed_ms,
                         int64_t delay_ms);

#endif

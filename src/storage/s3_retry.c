/*
 * The S3 backend's retry policy as pure functions: which answers are worth
 * another attempt, how long to wait (exponential backoff with jitter), and
 * when to give up (a bound on the total time, so a server that is down for
 * half a minute is ridden out but a dead one fails the operation).
 */
#include "s3_internal.h"

#include <string.h>

bool sl_s3_retriable(enum sl_s3_transport transport, long status, const char *s3_code)
{
    static const char *const RETRIABLE_CODES[] = {
        "SlowDown",          "RequestTimeout", "InternalError",
        "ServiceUnavailable", "Throttling",    "ThrottlingException",
        "OperationAborted",  "ConditionalRequestConflict", "RequestTimeoutException",
        /* the body's checksum or hash did not match what arrived: our buffer
         * is intact (the values are computed from it), so it is sent again */
        "BadDigest",         "XAmzContentSHA256Mismatch",
    };

    if (transport == SL_S3_TRANSPORT_TRANSIENT)
        return true;
    if (transport == SL_S3_TRANSPORT_FATAL)
        return false;
    if (s3_code != NULL) {
        for (size_t i = 0; i < SL_ARRAY_LEN(RETRIABLE_CODES); i++) {
            if (strcmp(s3_code, RETRIABLE_CODES[i]) == 0)
                return true;
        }
    }
    if (status == 501)
        return false; /* NotImplemented: asking again will not implement it */
    return status >= 500 || status == 429 || status == 408;
}

int64_t sl_s3_backoff_ms(const struct sl_s3_retry_policy *policy, int attempt, uint64_t random)
{
    int64_t d = policy->base_ms > 0 ? policy->base_ms : 1;
    int64_t cap = policy->cap_ms > 0 ? policy->cap_ms : 1;

    for (int i = 1; i < attempt && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    /* "equal jitter": at least half the exponential delay, so attempts keep
     * spreading out, plus a random half, so clients do not retry in step */
    return d / 2 + (int64_t)(random % (uint64_t)(d - d / 2 + 1));
}

bool sl_s3_retry_allowed(const struct sl_s3_retry_policy *policy, int64_t elapsed_ms,
                         int64_t delay_ms)
{
    return elapsed_ms + delay_ms <= policy->max_total_ms;
}

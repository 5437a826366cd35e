/*
 * storage: moving bytes to and from where tables live. This header holds the
 * stream interfaces that format writers and readers use without knowing the
 * backend (Redis' rio idea): a write stream for producing one object
 * sequentially, and a random-access read file. Object-store backends (local,
 * S3) and the fault-injecting wrapper build on these (issues 4 and 5).
 */
#ifndef SLUICE_STORAGE_H
#define SLUICE_STORAGE_H

#include "sluice/core.h"

/*
 * A sequential writer of one object. write() appends; finish() makes the
 * object durable and visible (for local files: fsync + rename; for S3: the
 * multipart upload completes); abort() discards it. After finish() or
 * abort() only destroy() may be called. destroy() on an unfinished stream
 * aborts it. Not thread-safe.
 */
struct sl_write_stream {
    void *ctx;
    int (*write)(void *ctx, const void *bytes, size_t len, struct sl_error *err);
    int (*finish)(void *ctx, struct sl_error *err);
    void (*abort)(void *ctx);
    void (*destroy)(void *ctx);
    uint64_t written; /* bytes accepted by write() so far, kept by the caller helpers */
};

/* Appends bytes and counts them. */
int sl_write_stream_write(struct sl_write_stream *stream, const void *bytes, size_t len,
                          struct sl_error *err);

/*
 * A random-access reader of one immutable object: size and ranged reads.
 * read_at() reads exactly len bytes or fails; it may be called from several
 * threads at once (the Parquet reader decodes columns in parallel).
 */
struct sl_read_file {
    void *ctx;
    int (*size)(void *ctx, uint64_t *out, struct sl_error *err);
    int (*read_at)(void *ctx, uint64_t offset, void *buf, size_t len, struct sl_error *err);
    void (*destroy)(void *ctx);
};

/*
 * Marker in the names of temporary files of unfinished writes. Listings skip
 * names that contain it and object keys may not contain it.
 */
#define SL_STORAGE_TEMP_MARKER ".sluice-tmp-"

/*
 * Local-file streams. The write stream writes the hidden temp file
 * "<dir>/.<base>.sluice-tmp-<pid>-<random>" beside `path`, then at finish
 * fsyncs it, renames it over `path` and fsyncs the directory; abort, destroy
 * and a failed finish remove it. The directory of `path` must exist. Caller
 * owns *out (call out->destroy(out->ctx)).
 */
int sl_file_write_stream_open(const char *path, struct sl_write_stream *out, struct sl_error *err);
/*
 * As sl_file_write_stream_open, but finish() never replaces: it publishes the
 * temp file with link(2), so it fails with SL_EEXIST (and leaves nothing
 * behind) when `path` exists, even if another process created it a moment
 * earlier. Caller owns *out.
 */
int sl_file_write_stream_open_exclusive(const char *path, struct sl_write_stream *out,
                                        struct sl_error *err);
int sl_file_read_open(const char *path, struct sl_read_file *out, struct sl_error *err);

/* An in-memory read file over borrowed bytes (tests, fuzzers); `mem` holds its
 * state and must outlive *out; destroy() is a no-op. */
struct sl_memory_file {
    const uint8_t *bytes;
    size_t len;
};
void sl_memory_read_file(struct sl_memory_file *mem, const void *bytes, size_t len,
                         struct sl_read_file *out);

/* ================================================================ object stores */

/*
 * One entry of a listing. Keys are '/'-separated and relative to the store's
 * root (no leading '/'). In a non-recursive listing, a "directory" (S3: a
 * common prefix) is an entry with is_prefix set and a key ending in '/'.
 */
struct sl_object_entry {
    char *key;
    uint64_t size; /* 0 for prefixes */
    bool is_prefix;
};

/* A listing: entries sorted by key (byte order, as S3 returns them). Owns its keys. */
struct sl_object_listing {
    struct sl_object_entry *entries;
    size_t count;
    size_t cap;
};
void sl_object_listing_free(struct sl_object_listing *listing); /* accepts a zeroed listing */

/*
 * Checks that key can name an object in every backend: not empty, at most
 * 1024 bytes, relative (no leading '/'), no empty segment ("//"), no trailing
 * '/', no "." or ".." segment and no SL_STORAGE_TEMP_MARKER. ("a..b" is a
 * valid name: only whole ".." segments could escape the root.) SL_EINVAL with
 * a message naming the key otherwise. Borrowed key.
 */
int sl_object_key_check(const char *key, struct sl_error *err);

/*
 * The object-store interface (SQLite VFS style): a versioned struct of
 * function pointers over one root (a local directory, an S3 bucket + prefix).
 * Every call names objects by key relative to the root. Objects are immutable
 * once visible: put and a finished write stream replace an object atomically
 * (readers see the old or the new bytes, never a mix). Errors name the store,
 * the key and the operation; a missing object is SL_ENOTFOUND.
 *
 * Thread safety: one store may be used from several threads at once (the
 * Parquet reader decodes columns in parallel, S3 uploads parts in parallel);
 * streams it opens are used by one thread at a time.
 */
#define SL_OBJECT_STORE_VERSION 1
struct sl_object_store {
    int version; /* SL_OBJECT_STORE_VERSION */
    void *ctx;
    /* e.g. "file:///data/lake" or "s3://bucket/prefix"; borrowed from ctx */
    const char *uri;
    /* Creates or replaces key with bytes, atomically and durably. */
    int (*put)(void *ctx, const char *key, const void *bytes, size_t len, struct sl_error *err);
    /* Creates key only if absent: SL_EEXIST (and nothing written) when it exists. */
    int (*put_if_absent)(void *ctx, const char *key, const void *bytes, size_t len,
                         struct sl_error *err);
    /* Appends the whole object to out (caller's buffer; its max bounds the size). */
    int (*get)(void *ctx, const char *key, struct sl_buf *out, struct sl_error *err);
    /* Reads exactly len bytes at offset into buf. */
    int (*get_range)(void *ctx, const char *key, uint64_t offset, void *buf, size_t len,
                     struct sl_error *err);
    int (*head)(void *ctx, const char *key, uint64_t *size /* out */, struct sl_error *err);
    /*
     * Lists keys under prefix ("" for the root; a directory prefix ends in
     * '/'). recursive: every object below; otherwise objects directly under it
     * plus one is_prefix entry per sub-"directory". Appends to *out (caller
     * owns). Unfinished write streams never appear.
     */
    int (*list)(void *ctx, const char *prefix, bool recursive, struct sl_object_listing *out,
                struct sl_error *err);
    /* Deletes key; a key that does not exist is success. */
    int (*remove)(void *ctx, const char *key, struct sl_error *err);
    /* Optional (NULL: none): deletes keys[0..count) in as few requests as the
     * backend can (S3: DeleteObjects, 1000 keys each); missing keys are
     * success. Not atomic: on failure some keys may be gone. Callers use
     * sl_object_store_remove_many, which falls back to remove. */
    int (*remove_many)(void *ctx, const char *const *keys, size_t count, struct sl_error *err);
    /* Opens a write stream that creates or replaces key at finish(). Caller owns *out. */
    int (*open_write)(void *ctx, const char *key, struct sl_write_stream *out,
                      struct sl_error *err);
    /* Opens a random-access reader of key (SL_ENOTFOUND if absent). Caller owns *out. */
    int (*open_read)(void *ctx, const char *key, struct sl_read_file *out, struct sl_error *err);
    void (*destroy)(void *ctx);
};

/*
 * Opens the store a URI names: "file:///abs/dir" (also "file://localhost/abs";
 * no percent-decoding), a plain path (absolute or relative: a local
 * directory, created if missing) or "s3://bucket/prefix" (sl_s3_store_open:
 * configured from the environment and ~/.aws). Other schemes are SL_EINVAL. Caller owns *out:
 * release with sl_object_store_close. Borrowed uri.
 *
 * Test hook: when the environment variable SLUICE_FAULT_INJECT holds a plan
 * text (sl_fault_plan_parse), the store is wrapped in the faulty wrapper and
 * a warning is logged (event=storage_fault_injection); an unparsable plan is
 * SL_EINVAL. With nth=0 (count only) sl_object_store_close prints one line
 * "sluice-fault-counts any=N put=N ..." (sl_faulty_store_counts_line) on
 * stderr, so crash tests can learn how many storage steps a command takes.
 * Only for tests: never set it in production.
 */
int sl_object_store_open(const char *uri, struct sl_object_store *out, struct sl_error *err);
void sl_object_store_close(struct sl_object_store *store); /* accepts a zeroed store */

/* Deletes keys[0..count) with store->remove_many, or one remove per key when
 * the backend has none. Missing keys are success; borrowed keys. */
int sl_object_store_remove_many(const struct sl_object_store *store, const char *const *keys,
                                size_t count, struct sl_error *err);

/*
 * The local backend over directory root (created with its parents if
 * missing; the uri field is "file://" + the canonical absolute root). Keys
 * are checked with sl_object_key_check and map to root/key; the directories
 * a key needs are created (and their parents fsynced) by put, put_if_absent
 * and open_write. put and open_write publish by rename, put_if_absent by
 * link(2) (atomic against other processes too). remove unlinks the file and
 * leaves directories in place. A non-recursive listing shows every
 * subdirectory (even an empty one) as an is_prefix entry; a missing or
 * non-directory prefix lists nothing. The store holds no mutable state: any
 * number of threads may call it at once. Borrowed root; caller owns *out.
 */
int sl_local_store_open(const char *root, struct sl_object_store *out, struct sl_error *err);

/*
 * The fault-injecting wrapper (tests). It forwards every call to `inner`
 * and makes the nth call of a chosen operation fail (before reaching inner,
 * or for a write stream's finish: after the bytes were written, before they
 * become visible). With `crash` set, every call after the first injected
 * failure fails too, as if the process had died there.
 */
enum sl_fault_op {
    SL_FAULT_ANY = 0, /* every operation below counts */
    SL_FAULT_PUT,
    SL_FAULT_PUT_IF_ABSENT,
    SL_FAULT_GET,
    SL_FAULT_GET_RANGE,
    SL_FAULT_HEAD,
    SL_FAULT_LIST,
    SL_FAULT_REMOVE,
    SL_FAULT_OPEN_WRITE,
    SL_FAULT_STREAM_WRITE,
    SL_FAULT_STREAM_FINISH,
    SL_FAULT_OPEN_READ,
    SL_FAULT_READ_AT,
};
struct sl_fault_plan {
    enum sl_fault_op op;
    long nth;          /* 1-based index among calls of op; 0 = never fail (just count) */
    bool crash;        /* after the failure, fail everything */
    int code;          /* code of the injected error; 0 means SL_EIO */
    char key_contains[128]; /* only calls whose key contains this count ("" = all) */
};
/* Parses "op=put,nth=3,crash,key=.commit" (op names: any, put, put_if_absent,
 * get, get_range, head, list, remove, open_write, stream_write, stream_finish,
 * open_read, read_at). Comma-separated fields, each at most once, blanks
 * around them ignored: op=<name> (default any), nth=<0..LONG_MAX> (default 0),
 * crash (needs nth > 0), key=<text without ','> (under 128 bytes),
 * code=<EIO|ENOTFOUND|...> (a name of sl_error_code_name, "SL_" prefix
 * optional; default EIO). "" is the default plan (count only). SL_EINVAL
 * naming the bad field otherwise. */
int sl_fault_plan_parse(const char *text, struct sl_fault_plan *out, struct sl_error *err);
/* Stable name of op as the plan text spells it ("put", "read_at"); "?" if out of range. */
const char *sl_fault_op_name(enum sl_fault_op op);
/*
 * Wraps inner and takes ownership of it whatever the result: the wrapper
 * destroys it (on failure right away) and *inner is zeroed, so closing it
 * afterwards is a harmless no-op; out may be inner. Caller owns *out. The
 * wrapper shows inner's uri. Counting: a call counts when its key (for list:
 * the prefix) contains key_contains; counts are kept per op and in total
 * (SL_FAULT_ANY), and the call that makes the count of plan.op reach nth
 * fails with plan.code and the message "injected fault: <op> #<n> on <key>".
 * Streams and read files it opens are wrapped too (stream_write,
 * stream_finish, read_at count; abort and destroy always pass through, size()
 * only fails after a crash) and may outlive the store. Thread-safe (one lock).
 */
int sl_faulty_store_wrap(struct sl_object_store *inner, const struct sl_fault_plan *plan,
                         struct sl_object_store *out, struct sl_error *err);
/* Calls of op seen so far by a store made by sl_faulty_store_wrap (SL_FAULT_ANY: all);
 * -1 if faulty is not such a store or op is out of range. Borrowed faulty. */
long sl_faulty_store_calls(const struct sl_object_store *faulty, enum sl_fault_op op);
/* Appends "sluice-fault-counts any=N put=N put_if_absent=N ... read_at=N" (every op,
 * in enum order, no newline) to out. SL_EINVAL if faulty is not a faulty store. */
int sl_faulty_store_counts_line(const struct sl_object_store *faulty, struct sl_buf *out,
                                struct sl_error *err);

/* ================================================================ S3 backend (issue 5) */

/* How a bucket is addressed: https://endpoint/bucket/key or https://bucket.endpoint/key. */
enum sl_s3_addressing {
    SL_S3_ADDRESSING_AUTO = 0, /* virtual-hosted on AWS, path-style on a custom endpoint */
    SL_S3_ADDRESSING_PATH,
    SL_S3_ADDRESSING_VIRTUAL,
};

/* How put_if_absent is made exclusive. */
enum sl_s3_conditional_put {
    SL_S3_CONDITIONAL_AUTO = 0,       /* probe the server once, then one of the two below */
    SL_S3_CONDITIONAL_IF_NONE_MATCH,  /* PUT with "If-None-Match: *": atomic against any writer */
    SL_S3_CONDITIONAL_HEAD_THEN_PUT,  /* HEAD, then PUT: only safe with one writer per key */
};

/* The checksum sent with every object and part, which the server verifies
 * against the bytes it received (S3's "additional checksums"). */
enum sl_s3_checksum {
    SL_S3_CHECKSUM_CRC32C = 0, /* x-amz-checksum-crc32c on PutObject / UploadPart (default) */
    SL_S3_CHECKSUM_NONE,       /* for servers that refuse the headers */
};

/*
 * Everything the S3 backend needs, resolved. All strings are owned by the
 * struct (sl_s3_config_free). Secrets (secret_access_key, session_token) are
 * never logged nor put into error messages.
 */
struct sl_s3_config {
    char *bucket;
    char *prefix;            /* "" or "a/b": the store's root below the bucket, no '/' at the ends */
    char *endpoint_url;      /* "https://s3.<region>.amazonaws.com" or a custom one; http only if it says so */
    char *region;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;     /* NULL if none */
    char *credentials_source; /* for messages: "environment" or "profile p in /path" */
    char *ca_bundle;         /* NULL: the system's CA store */
    enum sl_s3_addressing addressing;
    enum sl_s3_conditional_put conditional_put;
    bool sign_payload;       /* hash bodies into the signature (default: on http only) */
    enum sl_s3_checksum checksum;
    int64_t retry_max_ms;    /* total time one operation may spend retrying (default 60 s) */
    int64_t connect_timeout_ms; /* default 10 s */
    int64_t stall_timeout_ms;   /* a transfer with no byte for this long is cut and retried (30 s) */
    size_t part_size;        /* write streams buffer this much, then go multipart (8 MiB; >= 5 MiB) */
    int upload_parallelism;  /* parts in flight per write stream (default 4, 1..64) */
};

/*
 * Resolves the configuration of "s3://bucket[/prefix]" the way the AWS CLI
 * does, from the process environment and the shared files:
 *   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *                else aws_access_key_id / aws_secret_access_key /
 *                aws_session_token of profile $AWS_PROFILE ("default") in
 *                $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), else in
 *                the config file. No instance-metadata or SSO providers.
 *   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in
 *                $AWS_CONFIG_FILE (~/.aws/config, "[profile p]" sections);
 *                default us-east-1.
 *   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's nested
 *                `s3 = / endpoint_url = ...` or `endpoint_url` (all ignored if
 *                AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true); default
 *                https://s3.<region>.amazonaws.com. Plain http only when the
 *                URL starts with http://.
 *   addressing   the profile's nested `s3 = / addressing_style = path|virtual|auto`,
 *                overridden by SLUICE_S3_ADDRESSING_STYLE=path|virtual|auto or
 *                AWS_S3_FORCE_PATH_STYLE=true; auto = virtual-hosted on AWS
 *                (path-style for bucket names with '.'), path-style on a
 *                custom endpoint.
 *   CA bundle    AWS_CA_BUNDLE or the profile's `ca_bundle`.
 *   sluice knobs SLUICE_S3_RETRY_MAX_SECONDS (60), SLUICE_S3_CONNECT_TIMEOUT_SECONDS (10),
 *                SLUICE_S3_STALL_TIMEOUT_SECONDS (30), SLUICE_S3_PART_SIZE_MB (8, 5..5120),
 *                SLUICE_S3_UPLOAD_PARALLELISM (4), SLUICE_S3_CONDITIONAL_PUT=
 *                auto|if-none-match|head-then-put, SLUICE_S3_PAYLOAD_SIGNING=auto|always|never,
 *                SLUICE_S3_CHECKSUM=crc32c|none.
 * SL_EINVAL for a bad URI, SL_ECONFIG for missing or unreadable settings
 * (naming the variable or file, never a secret). Caller owns *out.
 */
int sl_s3_config_from_env(const char *uri, struct sl_s3_config *out, struct sl_error *err);
void sl_s3_config_free(struct sl_s3_config *config); /* accepts a zeroed struct */

/*
 * The S3 backend over config (copied; borrowed). It checks the bucket and the
 * credentials with one ListObjectsV2 call before returning, so a wrong key or
 * a missing bucket fails here with S3's error code and message.
 *
 * Operations map to PutObject (put), PutObject with If-None-Match or
 * HEAD + PutObject (put_if_absent, see enum sl_s3_conditional_put; the first
 * call probes the server and logs once which guarantee holds), GetObject with
 * Range (get, get_range, open_read: a HEAD at open, then ranged GETs with
 * If-Match on the ETag, any number of threads at once), HeadObject, ListObjectsV2
 * (pagination; delimiter "/" when not recursive; sorted by key; names with
 * SL_STORAGE_TEMP_MARKER and "directory marker" keys ending in '/' are
 * skipped), DeleteObject, and multipart uploads for write streams longer than
 * part_size (parts uploaded by up to upload_parallelism threads; aborted on
 * failure; at most (upload_parallelism + 1) * part_size bytes buffered).
 * Requests are retried with exponential backoff and jitter on 5xx, 429,
 * SlowDown, timeouts and broken connections for up to retry_max_ms; other
 * 4xx answers fail at once. Connections are reused (a pool of curl handles
 * with a shared DNS and TLS session cache). Thread-safe. Caller owns *out.
 */
int sl_s3_store_open_config(const struct sl_s3_config *config, struct sl_object_store *out,
                            struct sl_error *err);
/* sl_s3_config_from_env + sl_s3_store_open_config. Borrowed uri; caller owns *out. */
int sl_s3_store_open(const char *uri, struct sl_object_store *out, struct sl_error *err);

#endif

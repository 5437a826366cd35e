/*
 * Configuration of the S3 backend the AWS way: the s3:// URI, environment
 * variables and the shared credentials and config files (~/.aws), resolved
 * into a struct sl_s3_config. The INI and URL parsers are pure functions over
 * their input (fuzz/fuzz_s3_config.c); only sl_s3_config_resolve reads files.
 * Secrets are copied, never printed: messages name the variable or the file.
 */
#include "s3_internal.h"

#include "storage_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FILE_MAX (1 << 20)  /* the shared files are small; a bigger one is a mistake */
#define SECRET_MAX_LEN 256  /* AWS secrets are 40 bytes; s3_sigv4.c allows 512 */
#define TOKEN_MAX_LEN 8192

/* ---------------------------------------------------------------- INI */

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* [*start, *end) trimmed of blanks and CR. */
static void trim(const char **start, const char **end)
{
    while (*start < *end && (blank(**start) || **start == '\r'))
        (*start)++;
    while (*end > *start && (blank((*end)[-1]) || (*end)[-1] == '\r'))
        (*end)--;
}

static bool span_equals(const char *start, const char *end, const char *s)
{
    size_t len = strlen(s);
    return (size_t)(end - start) == len && memcmp(start, s, len) == 0;
}

int sl_s3_ini_get(const char *text, size_t len, const char *section, const char *key,
                  const char *subkey, char **out)
{
    const char *end_of_text = text + len;
    const char *found = NULL, *found_end = NULL;
    bool in_section = false, in_block = false;

    *out = NULL;
    for (const char *line = text; line < end_of_text;) {
        const char *eol = memchr(line, '\n', (size_t)(end_of_text - line));
        const char *next, *start = line, *end, *eq;
        bool indented = blank(line[0]);

        if (eol == NULL)
            eol = end_of_text;
        next = eol + 1;
        end = eol;
        trim(&start, &end);
        line = next;
        if (start == end || *start == '#' || *start == ';')
            continue;
        if (!indented && *start == '[') {
            const char *name = start + 1, *name_end = end;
            if (name_end > name && name_end[-1] == ']') {
                name_end--;
                trim(&name, &name_end);
                in_section = span_equals(name, name_end, section);
            } else {
                in_section = false;
            }
            in_block = false;
            continue;
        }
        if (!in_section)
            continue;
        eq = memchr(start, '=', (size_t)(end - start));
        if (eq == NULL)
            continue;
        const char *name = start, *name_end = eq, *value = eq + 1, *value_end = end;
        trim(&name, &name_end);
        trim(&value, &value_end);
        if (indented) {
            if (in_block && subkey != NULL && span_equals(name, name_end, subkey)) {
                found = value;
                found_end = value_end;
            }
            continue;
        }
        in_block = subkey != NULL && value == value_end && span_equals(name, name_end, key);
        if (subkey == NULL && span_equals(name, name_end, key)) {
            found = value;
            found_end = value_end;
        }
    }
    if (found == NULL)
        return SL_OK;
    *out = sl_strndup(found, (size_t)(found_end - found));
    return *out != NULL ? SL_OK : SL_ENOMEM;
}

/* ---------------------------------------------------------------- URLs */

static bool unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

void sl_s3_endpoint_free(struct sl_s3_endpoint *endpoint)
{
    if (endpoint == NULL)
        return;
    sl_free(endpoint->host);
    sl_free(endpoint->base_path);
    memset(endpoint, 0, sizeof(*endpoint));
}

int sl_s3_endpoint_parse(const char *url, struct sl_s3_endpoint *out, struct sl_error *err)
{
    const char *p, *host, *host_end, *path;
    int rc;

    memset(out, 0, sizeof(*out));
    if (url == NULL || url[0] == '\0')
        return sl_error_set(err, SL_EINVAL, "S3 endpoint URL is empty");
    if (strncasecmp(url, "https://", 8) == 0) {
        out->https = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        return sl_error_set(err, SL_EINVAL,
                            "S3 endpoint URL \"%s\" must start with https:// (or http:// for a "
                            "server without TLS)",
                            url);
    }
    if (strpbrk(p, "@?#") != NULL)
        return sl_error_set(err, SL_EINVAL,
                            "S3 endpoint URL \"%s\" may not hold user info, a query or a fragment",
                            url);
    host = p;
    if (*p == '[') {
        while (*p != '\0' && *p != ']') {
            if (!(*p == '[' || *p == ':' || *p == '.' || (*p >= '0' && *p <= '9') ||
                  (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
                return sl_error_set(err, SL_EINVAL,
                                    "S3 endpoint URL \"%s\" has a malformed IPv6 address", url);
            p++;
        }
        if (*p != ']' || p == host + 1)
            return sl_error_set(err, SL_EINVAL,
                                "S3 endpoint URL \"%s\" has a malformed IPv6 address", url);
        p++;
    } else {
        while (*p != '\0' && *p != ':' && *p != '/') {
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
                return sl_error_set(err, SL_EINVAL,
                                    "S3 endpoint URL \"%s\" has a bad character '%c' in its host",
                                    url, *p);
            p++;
        }
    }
    host_end = p;
    if (host_end == host)
        return sl_error_set(err, SL_EINVAL, "S3 endpoint URL \"%s\" has no host", url);
    if (*p == ':') {
        long port = 0;
        p++;
        if (*p < '0' || *p > '9')
            return sl_error_set(err, SL_EINVAL, "S3 endpoint URL \"%s\" has a bad port", url);
        while (*p >= '0' && *p <= '9') {
            port = port * 10 + (*p - '0');
            if (port > 65535)
                return sl_error_set(err, SL_EINVAL, "S3 endpoint URL \"%s\" has a bad port", url);
            p++;
        }
        if (port == 0 || (*p != '\0' && *p != '/'))
            return sl_error_set(err, SL_EINVAL, "S3 endpoint URL \"%s\" has a bad port", url);
        out->port = (int)port;
    }
    path = p;
    for (const char *q = path; *q != '\0'; q++) {
        if (!(unreserved(*q) || *q == '/'))
            return sl_error_set(err, SL_EINVAL,
                                "S3 endpoint URL \"%s\" has a path character '%c' that would need "
                                "percent-encoding",
                                url, *q);
    }
    size_t path_len = strlen(path);
    while (path_len > 0 && path[path_len - 1] == '/')
        path_len--;
    if (path_len > 0) {
        char *check = sl_strndup(path + 1, path_len - 1);
        if (check == NULL)
            return sl_error_set(err, SL_ENOMEM, "out of memory parsing an S3 endpoint URL");
        rc = sl_storage_name_check(check, false, NULL);
        sl_free(check);
        if (rc != SL_OK)
            return sl_error_set(err, SL_EINVAL,
                                "S3 endpoint URL \"%s\" has an empty, \".\" or \"..\" path segment",
                                url);
    }
    out->host = sl_strndup(host, (size_t)(host_end - host));
    out->base_path = sl_strndup(path, path_len);
    if (out->host == NULL || out->base_path == NULL) {
        sl_s3_endpoint_free(out);
        return sl_error_set(err, SL_ENOMEM, "out of memory parsing an S3 endpoint URL");
    }
    return SL_OK;
}

static bool bucket_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

int sl_s3_uri_parse(const char *uri, char **bucket, char **prefix, struct sl_error *err)
{
    const char *b, *slash;
    size_t bucket_len, prefix_len;
    int rc;

    *bucket = NULL;
    *prefix = NULL;
    if (uri == NULL || strncasecmp(uri, "s3://", 5) != 0)
        return sl_error_set(err, SL_EINVAL, "\"%s\" is not an S3 URI (s3://bucket/prefix)",
                            uri != NULL ? uri : "(null)");
    b = uri + 5;
    slash = strchr(b, '/');
    bucket_len = slash != NULL ? (size_t)(slash - b) : strlen(b);
    if (bucket_len < 3 || bucket_len > 63)
        return sl_error_set(err, SL_EINVAL,
                            "S3 URI \"%s\": a bucket name has 3 to 63 characters "
                            "(s3://bucket/prefix)",
                            uri);
    for (size_t i = 0; i < bucket_len; i++) {
        if (!bucket_char(b[i]))
            return sl_error_set(err, SL_EINVAL,
                                "S3 URI \"%s\": bucket names use lower-case letters, digits, '.' "
                                "and '-' only",
                                uri);
    }
    if (!((b[0] >= 'a' && b[0] <= 'z') || (b[0] >= '0' && b[0] <= '9')) ||
        !((b[bucket_len - 1] >= 'a' && b[bucket_len - 1] <= 'z') ||
          (b[bucket_len - 1] >= '0' && b[bucket_len - 1] <= '9')))
        return sl_error_set(err, SL_EINVAL,
                            "S3 URI \"%s\": a bucket name starts and ends with a letter or digit",
                            uri);
    if (slash != NULL) {
        slash++;
        prefix_len = strlen(slash);
        while (prefix_len > 0 && slash[prefix_len - 1] == '/')
            prefix_len--;
    } else {
        slash = "";
        prefix_len = 0;
    }
    *bucket = sl_strndup(b, bucket_len);
    *prefix = sl_strndup(slash, prefix_len);
    if (*bucket == NULL || *prefix == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory parsing S3 URI %s", uri);
        goto fail;
    }
    if (prefix_len > 0) {
        rc = sl_storage_name_check(*prefix, false, err);
        if (rc != SL_OK) {
            sl_error_prefix(err, "S3 URI \"%s\": bad prefix", uri);
            goto fail;
        }
    }
    return SL_OK;

fail:
    sl_free(*bucket);
    sl_free(*prefix);
    *bucket = NULL;
    *prefix = NULL;
    return rc;
}

/* ---------------------------------------------------------------- resolving */

struct resolver {
    sl_s3_getenv_fn getenv_fn;
    void *arg;
    char *credentials_path;
    char *config_path;
    char *credentials_text; /* NULL when the file does not exist */
    size_t credentials_len;
    char *config_text;
    size_t config_len;
    const char *profile;
};

static const char *env(const struct resolver *r, const char *name)
{
    const char *value = r->getenv_fn(r->arg, name);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

static bool env_true(const struct resolver *r, const char *name)
{
    const char *v = env(r, name);
    return v != NULL && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
                         strcasecmp(v, "yes") == 0);
}

/* Reads path whole; a missing file leaves *text NULL and is not an error. */
static int read_small_file(const char *path, const char *what, char **text, size_t *len,
                           struct sl_error *err)
{
    struct sl_buf buf;
    char chunk[4096];
    FILE *f;
    int rc = SL_OK;

    *text = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SL_OK;
        return sl_error_set(err, SL_ECONFIG, "cannot read the AWS %s file %s: %s", what, path,
                            strerror(errno));
    }
    sl_buf_init(&buf, FILE_MAX);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && sl_buf_append(&buf, chunk, n) != SL_OK) {
            rc = sl_error_set(err, SL_ECONFIG, "the AWS %s file %s is larger than %d bytes", what,
                              path, FILE_MAX);
            break;
        }
        if (n < sizeof(chunk)) {
            if (ferror(f))
                rc = sl_error_set(err, SL_ECONFIG, "cannot read the AWS %s file %s", what, path);
            break;
        }
    }
    fclose(f);
    if (rc != SL_OK) {
        sl_buf_free(&buf);
        return rc;
    }
    *len = buf.len;
    *text = buf.data != NULL ? sl_buf_detach(&buf) : sl_strdup("");
    return *text != NULL ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
}

/* The profile's value of key (subkey: nested) in the config file: "[profile p]", or
 * "[default]" for the default profile. */
static int config_get(const struct resolver *r, const char *key, const char *subkey, char **out)
{
    char section[512];
    int rc;

    *out = NULL;
    if (r->config_text == NULL)
        return SL_OK;
    snprintf(section, sizeof(section), "profile %s", r->profile);
    rc = sl_s3_ini_get(r->config_text, r->config_len, section, key, subkey, out);
    if (rc == SL_OK && *out == NULL && strcmp(r->profile, "default") == 0)
        rc = sl_s3_ini_get(r->config_text, r->config_len, "default", key, subkey, out);
    return rc;
}

static int credentials_get(const struct resolver *r, const char *key, char **out)
{
    *out = NULL;
    if (r->credentials_text == NULL)
        return SL_OK;
    return sl_s3_ini_get(r->credentials_text, r->credentials_len, r->profile, key, NULL, out);
}

/* Printable ASCII without blanks (and without '/' or ',' for the key id, which
 * is part of the Authorization header's credential scope). */
static bool header_safe(const char *s, bool strict)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 127 || (strict && (c == '/' || c == ',' || c == '=')))
            return false;
    }
    return true;
}

static int check_credentials(const struct sl_s3_config *c, struct sl_error *err)
{
    if (c->access_key_id == NULL || c->secret_access_key == NULL || c->access_key_id[0] == '\0' ||
        c->secret_access_key[0] == '\0')
        return sl_error_set(err, SL_ECONFIG, "S3 credentials are incomplete (from %s)",
                            c->credentials_source != NULL ? c->credentials_source : "config");
    if (strlen(c->access_key_id) > 128 || !header_safe(c->access_key_id, true))
        return sl_error_set(err, SL_ECONFIG,
                            "the AWS access key id from %s is not a plain printable token",
                            c->credentials_source != NULL ? c->credentials_source : "config");
    if (strlen(c->secret_access_key) > SECRET_MAX_LEN || !header_safe(c->secret_access_key, false))
        return sl_error_set(err, SL_ECONFIG,
                            "the AWS secret access key from %s is longer than %d bytes or holds "
                            "blanks or control characters (its value is not shown)",
                            c->credentials_source != NULL ? c->credentials_source : "config",
                            SECRET_MAX_LEN);
    if (c->session_token != NULL &&
        (strlen(c->session_token) > TOKEN_MAX_LEN || !header_safe(c->session_token, false)))
        return sl_error_set(err, SL_ECONFIG,
                            "the AWS session token from %s is too long or holds blanks or control "
                            "characters (its value is not shown)",
                            c->credentials_source != NULL ? c->credentials_source : "config");
    return SL_OK;
}

static int resolve_credentials(struct resolver *r, struct sl_s3_config *c, struct sl_error *err)
{
    const char *id = env(r, "AWS_ACCESS_KEY_ID"), *secret = env(r, "AWS_SECRET_ACCESS_KEY");
    char *file_id = NULL, *file_secret = NULL, *file_token = NULL;
    struct sl_buf source;
    int rc = SL_OK;

    sl_buf_init(&source, 8192);
    if (id != NULL || secret != NULL) {
        if (id == NULL || secret == NULL)
            return sl_error_set(err, SL_ECONFIG, "%s is set but %s is not; set both or neither",
                                id != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                id != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        c->access_key_id = sl_strdup(id);
        c->secret_access_key = sl_strdup(secret);
        if (env(r, "AWS_SESSION_TOKEN") != NULL)
            c->session_token = sl_strdup(env(r, "AWS_SESSION_TOKEN"));
        c->credentials_source = sl_strdup("environment (AWS_ACCESS_KEY_ID)");
        if (c->access_key_id == NULL || c->secret_access_key == NULL ||
            c->credentials_source == NULL ||
            (env(r, "AWS_SESSION_TOKEN") != NULL && c->session_token == NULL))
            return sl_error_set(err, SL_ENOMEM, "out of memory reading S3 credentials");
        return check_credentials(c, err);
    }
    /* the credentials file first, then the config file, each needing both parts */
    for (int pass = 0; pass < 2; pass++) {
        const char *path = pass == 0 ? r->credentials_path : r->config_path;
        if (pass == 0) {
            rc = credentials_get(r, "aws_access_key_id", &file_id);
            if (rc == SL_OK)
                rc = credentials_get(r, "aws_secret_access_key", &file_secret);
            if (rc == SL_OK)
                rc = credentials_get(r, "aws_session_token", &file_token);
        } else {
            rc = config_get(r, "aws_access_key_id", NULL, &file_id);
            if (rc == SL_OK)
                rc = config_get(r, "aws_secret_access_key", NULL, &file_secret);
            if (rc == SL_OK)
                rc = config_get(r, "aws_session_token", NULL, &file_token);
        }
        if (rc != SL_OK) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
            goto fail;
        }
        if (file_id != NULL && file_secret != NULL) {
            if (sl_buf_printf(&source, "profile \"%s\" in %s", r->profile, path) != SL_OK) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory reading S3 credentials");
                goto fail;
            }
            c->access_key_id = file_id;
            c->secret_access_key = file_secret;
            c->session_token = file_token;
            c->credentials_source = sl_buf_detach(&source);
            file_id = file_secret = file_token = NULL;
            if (c->credentials_source == NULL)
                return sl_error_set(err, SL_ENOMEM, "out of memory reading S3 credentials");
            return check_credentials(c, err);
        }
        if (file_id != NULL || file_secret != NULL) {
            rc = sl_error_set(err, SL_ECONFIG,
                              "profile \"%s\" in %s has %s but not %s", r->profile, path,
                              file_id != NULL ? "aws_access_key_id" : "aws_secret_access_key",
                              file_id != NULL ? "aws_secret_access_key" : "aws_access_key_id");
            goto fail;
        }
        sl_free(file_token);
        file_token = NULL;
    }
    rc = sl_error_set(err, SL_ECONFIG,
                      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                      "or give profile \"%s\" aws_access_key_id and aws_secret_access_key in %s",
                      r->profile, r->credentials_path);

fail:
    sl_free(file_id);
    if (file_secret != NULL)
        memset(file_secret, 0, strlen(file_secret));
    sl_free(file_secret);
    sl_free(file_token);
    sl_buf_free(&source);
    return rc;
}

/* A bounded integer knob from the environment; absent leaves *out alone. */
static int env_int(const struct resolver *r, const char *name, int64_t min, int64_t max,
                   int64_t *out, struct sl_error *err)
{
    const char *v = env(r, name);
    uint64_t n;
    if (v == NULL)
        return SL_OK;
    if (sl_parse_u64(v, &n) != SL_OK || n < (uint64_t)min || n > (uint64_t)max)
        return sl_error_set(err, SL_ECONFIG, "%s=\"%s\" is not a whole number from %lld to %lld",
                            name, v, (long long)min, (long long)max);
    *out = (int64_t)n;
    return SL_OK;
}

static int resolve_knobs(struct resolver *r, struct sl_s3_config *c, struct sl_error *err)
{
    int64_t seconds, mb, n;
    const char *v;
    int rc;

    seconds = c->retry_max_ms / 1000;
    rc = env_int(r, "SLUICE_S3_RETRY_MAX_SECONDS", 0, 86400, &seconds, err);
    c->retry_max_ms = seconds * 1000;
    seconds = c->connect_timeout_ms / 1000;
    if (rc == SL_OK)
        rc = env_int(r, "SLUICE_S3_CONNECT_TIMEOUT_SECONDS", 1, 600, &seconds, err);
    c->connect_timeout_ms = seconds * 1000;
    seconds = c->stall_timeout_ms / 1000;
    if (rc == SL_OK)
        rc = env_int(r, "SLUICE_S3_STALL_TIMEOUT_SECONDS", 1, 3600, &seconds, err);
    c->stall_timeout_ms = seconds * 1000;
    mb = (int64_t)(c->part_size >> 20);
    if (rc == SL_OK)
        rc = env_int(r, "SLUICE_S3_PART_SIZE_MB", 5, 5120, &mb, err);
    c->part_size = (size_t)mb << 20;
    n = c->upload_parallelism;
    if (rc == SL_OK)
        rc = env_int(r, "SLUICE_S3_UPLOAD_PARALLELISM", 1, 64, &n, err);
    c->upload_parallelism = (int)n;
    if (rc != SL_OK)
        return rc;

    v = env(r, "SLUICE_S3_CONDITIONAL_PUT");
    if (v != NULL) {
        if (strcmp(v, "auto") == 0)
            c->conditional_put = SL_S3_CONDITIONAL_AUTO;
        else if (strcmp(v, "if-none-match") == 0)
            c->conditional_put = SL_S3_CONDITIONAL_IF_NONE_MATCH;
        else if (strcmp(v, "head-then-put") == 0)
            c->conditional_put = SL_S3_CONDITIONAL_HEAD_THEN_PUT;
        else
            return sl_error_set(err, SL_ECONFIG,
                                "SLUICE_S3_CONDITIONAL_PUT=\"%s\": use auto, if-none-match or "
                                "head-then-put",
                                v);
    }
    v = env(r, "SLUICE_S3_PAYLOAD_SIGNING");
    if (v != NULL) {
        if (strcmp(v, "always") == 0)
            c->sign_payload = true;
        else if (strcmp(v, "never") == 0)
            c->sign_payload = false;
        else if (strcmp(v, "auto") != 0)
            return sl_error_set(err, SL_ECONFIG,
                                "SLUICE_S3_PAYLOAD_SIGNING=\"%s\": use auto, always or never", v);
    }
    v = env(r, "SLUICE_S3_CHECKSUM");
    if (v != NULL) {
        if (strcmp(v, "crc32c") == 0)
            c->checksum = SL_S3_CHECKSUM_CRC32C;
        else if (strcmp(v, "none") == 0)
            c->checksum = SL_S3_CHECKSUM_NONE;
        else
            return sl_error_set(err, SL_ECONFIG, "SLUICE_S3_CHECKSUM=\"%s\": use crc32c or none",
                                v);
    }
    return SL_OK;
}

static int parse_addressing(const char *v, const char *where, enum sl_s3_addressing *out,
                            struct sl_error *err)
{
    if (strcmp(v, "path") == 0)
        *out = SL_S3_ADDRESSING_PATH;
    else if (strcmp(v, "virtual") == 0)
        *out = SL_S3_ADDRESSING_VIRTUAL;
    else if (strcmp(v, "auto") == 0)
        *out = SL_S3_ADDRESSING_AUTO;
    else
        return sl_error_set(err, SL_ECONFIG, "%s \"%s\": use path, virtual or auto", where, v);
    return SL_OK;
}

static bool region_ok(const char *region)
{
    if (region[0] == '\0' || strlen(region) > 63)
        return false;
    for (const char *p = region; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    }
    return true;
}

static int resolve_endpoint(struct resolver *r, struct sl_s3_config *c, struct sl_error *err)
{
    const char *v = NULL;
    char *from_file = NULL, *style = NULL;
    struct sl_buf url;
    int rc = SL_OK;

    sl_buf_init(&url, 4096);
    if (!env_true(r, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        v = env(r, "AWS_ENDPOINT_URL_S3");
        if (v == NULL)
            v = env(r, "AWS_ENDPOINT_URL");
        if (v == NULL) {
            rc = config_get(r, "s3", "endpoint_url", &from_file);
            if (rc == SL_OK && from_file == NULL)
                rc = config_get(r, "endpoint_url", NULL, &from_file);
            v = from_file;
        }
    }
    if (rc != SL_OK)
        goto oom;
    if (v != NULL) {
        c->endpoint_url = sl_strdup(v);
    } else {
        /* AWS itself; the China partition has its own domain */
        if (sl_buf_printf(&url, "https://s3.%s.amazonaws.com%s", c->region,
                          strncmp(c->region, "cn-", 3) == 0 ? ".cn" : "") != SL_OK)
            goto oom;
        c->endpoint_url = sl_buf_detach(&url);
    }
    if (c->endpoint_url == NULL)
        goto oom;

    rc = config_get(r, "s3", "addressing_style", &style);
    if (rc != SL_OK)
        goto oom;
    if (style != NULL) {
        rc = parse_addressing(style, "addressing_style in the AWS config file", &c->addressing,
                              err);
        if (rc != SL_OK)
            goto fail;
    }
    if (env(r, "SLUICE_S3_ADDRESSING_STYLE") != NULL) {
        rc = parse_addressing(env(r, "SLUICE_S3_ADDRESSING_STYLE"), "SLUICE_S3_ADDRESSING_STYLE",
                              &c->addressing, err);
        if (rc != SL_OK)
            goto fail;
    } else if (env_true(r, "AWS_S3_FORCE_PATH_STYLE")) {
        c->addressing = SL_S3_ADDRESSING_PATH;
    }
    goto fail; /* success: free the temporaries */

oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory resolving the S3 endpoint");
fail:
    sl_free(from_file);
    sl_free(style);
    sl_buf_free(&url);
    return rc;
}

int sl_s3_config_resolve(const char *uri, sl_s3_getenv_fn getenv_fn, void *arg,
                         struct sl_s3_config *out, struct sl_error *err)
{
    struct resolver r = {.getenv_fn = getenv_fn, .arg = arg};
    struct sl_buf path;
    char *region = NULL, *ca = NULL;
    const char *home, *v;
    int rc;

    memset(out, 0, sizeof(*out));
    sl_buf_init(&path, 8192);
    out->retry_max_ms = 60000;
    out->connect_timeout_ms = 10000;
    out->stall_timeout_ms = 30000;
    out->part_size = (size_t)8 << 20;
    out->upload_parallelism = 4;
    out->conditional_put = SL_S3_CONDITIONAL_AUTO;
    out->checksum = SL_S3_CHECKSUM_CRC32C;

    rc = sl_s3_uri_parse(uri, &out->bucket, &out->prefix, err);
    if (rc != SL_OK)
        goto fail;

    home = env(&r, "HOME");
    r.profile = env(&r, "AWS_PROFILE");
    if (r.profile == NULL)
        r.profile = env(&r, "AWS_DEFAULT_PROFILE");
    if (r.profile == NULL)
        r.profile = "default";
    if (strlen(r.profile) > 256) {
        rc = sl_error_set(err, SL_ECONFIG, "AWS_PROFILE is longer than 256 bytes");
        goto fail;
    }
    v = env(&r, "AWS_SHARED_CREDENTIALS_FILE");
    if (v != NULL)
        rc = sl_buf_append_str(&path, v);
    else
        rc = sl_buf_printf(&path, "%s/.aws/credentials", home != NULL ? home : "");
    if (rc != SL_OK || (r.credentials_path = sl_buf_detach(&path)) == NULL)
        goto oom;
    v = env(&r, "AWS_CONFIG_FILE");
    if (v != NULL)
        rc = sl_buf_append_str(&path, v);
    else
        rc = sl_buf_printf(&path, "%s/.aws/config", home != NULL ? home : "");
    if (rc != SL_OK || (r.config_path = sl_buf_detach(&path)) == NULL)
        goto oom;
    /* without HOME only explicitly named files are read */
    if (home != NULL || env(&r, "AWS_SHARED_CREDENTIALS_FILE") != NULL) {
        rc = read_small_file(r.credentials_path, "shared credentials", &r.credentials_text,
                             &r.credentials_len, err);
        if (rc != SL_OK)
            goto fail;
    }
    if (home != NULL || env(&r, "AWS_CONFIG_FILE") != NULL) {
        rc = read_small_file(r.config_path, "config", &r.config_text, &r.config_len, err);
        if (rc != SL_OK)
            goto fail;
    }

    rc = resolve_credentials(&r, out, err);
    if (rc != SL_OK)
        goto fail;

    v = env(&r, "AWS_REGION");
    if (v == NULL)
        v = env(&r, "AWS_DEFAULT_REGION");
    if (v == NULL) {
        if (config_get(&r, "region", NULL, &region) != SL_OK)
            goto oom;
        v = region != NULL ? region : "us-east-1";
    }
    if (!region_ok(v)) {
        rc = sl_error_set(err, SL_ECONFIG,
                          "AWS region \"%.80s\" is not a region name (letters, digits, '-')", v);
        goto fail;
    }
    out->region = sl_strdup(v);
    if (out->region == NULL)
        goto oom;

    rc = resolve_endpoint(&r, out, err);
    if (rc != SL_OK)
        goto fail;

    v = env(&r, "AWS_CA_BUNDLE");
    if (v == NULL) {
        if (config_get(&r, "ca_bundle", NULL, &ca) != SL_OK)
            goto oom;
        v = ca;
    }
    if (v != NULL && (out->ca_bundle = sl_strdup(v)) == NULL)
        goto oom;

    out->sign_payload = strncasecmp(out->endpoint_url, "http://", 7) == 0;
    rc = resolve_knobs(&r, out, err);
    if (rc != SL_OK)
        goto fail;
    goto done;

oom:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory resolving the S3 configuration of %s", uri);
fail:
    sl_s3_config_free(out);
done:
    sl_free(region);
    sl_free(ca);
    sl_free(r.credentials_path);
    sl_free(r.config_path);
    if (r.credentials_text != NULL)
        memset(r.credentials_text, 0, r.credentials_len); /* it held secrets */
    sl_free(r.credentials_text);
    if (r.config_text != NULL)
        memset(r.config_text, 0, r.config_len);
    sl_free(r.config_text);
    sl_buf_free(&path);
    return rc;
}

static const char *process_getenv(void *arg, const char *name)
{
    (void)arg;
    return getenv(name);
}

int sl_s3_config_from_env(const char *uri, struct sl_s3_config *out, struct sl_error *err)
{
    return sl_s3_config_resolve(uri, process_getenv, NULL, out, err);
}

static void free_secret(char *s)
{
    if (s != NULL)
        memset(s, 0, strlen(s));
    sl_free(s);
}

void sl_s3_config_free(struct sl_s3_config *config)
{
    if (config == NULL)
        return;
    sl_free(config->bucket);
    sl_free(config->prefix);
    sl_free(config->endpoint_url);
    sl_free(config->region);
    sl_free(config->access_key_id);
    free_secret(config->secret_access_key);
    free_secret(config->session_token);
    sl_free(config->credentials_source);
    sl_free(config->ca_bundle);
    memset(config, 0, sizeof(*config));
}

static int dup_field(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return SL_OK;
    *dst = sl_strdup(src);
    return *dst != NULL ? SL_OK : SL_ENOMEM;
}

int sl_s3_config_copy(const struct sl_s3_config *src, struct sl_s3_config *dst,
                      struct sl_error *err)
{
    int rc;
    *dst = *src;
    rc = dup_field(&dst->bucket, src->bucket);
    rc |= dup_field(&dst->prefix, src->prefix != NULL ? src->prefix : "");
    rc |= dup_field(&dst->endpoint_url, src->endpoint_url);
    rc |= dup_field(&dst->region, src->region);
    rc |= dup_field(&dst->access_key_id, src->access_key_id);
    rc |= dup_field(&dst->secret_access_key, src->secret_access_key);
    rc |= dup_field(&dst->session_token, src->session_token);
    rc |= dup_field(&dst->credentials_source,
                    src->credentials_source != NULL ? src->credentials_source : "configuration");
    rc |= dup_field(&dst->ca_bundle, src->ca_bundle);
    if (rc != SL_OK) {
        sl_s3_config_free(dst);
        return sl_error_set(err, SL_ENOMEM, "out of memory copying the S3 configuration");
    }
    return SL_OK;
}

int sl_s3_config_check(const struct sl_s3_config *c, struct sl_error *err)
{
    char *bucket = NULL, *prefix = NULL;
    struct sl_buf uri;
    int rc;

    if (c->bucket == NULL || c->endpoint_url == NULL || c->region == NULL)
        return sl_error_set(err, SL_ECONFIG,
                            "S3 configuration lacks the bucket, endpoint or region");
    sl_buf_init(&uri, 4096);
    if (sl_buf_printf(&uri, "s3://%s/%s", c->bucket, c->prefix != NULL ? c->prefix : "") != SL_OK) {
        sl_buf_free(&uri);
        return sl_error_set(err, SL_ENOMEM, "out of memory checking the S3 configuration");
    }
    rc = sl_s3_uri_parse(uri.data, &bucket, &prefix, err);
    if (rc == SL_OK && strcmp(prefix, c->prefix != NULL ? c->prefix : "") != 0)
        rc = sl_error_set(err, SL_EINVAL, "S3 prefix \"%s\" must not end in '/'", c->prefix);
    sl_free(bucket);
    sl_free(prefix);
    sl_buf_free(&uri);
    if (rc != SL_OK)
        return rc;
    if (!region_ok(c->region))
        return sl_error_set(err, SL_ECONFIG, "AWS region \"%.80s\" is not a region name",
                            c->region);
    rc = check_credentials(c, err);
    if (rc != SL_OK)
        return rc;
    if (c->part_size < ((size_t)5 << 20) || c->part_size > ((size_t)5 << 30))
        return sl_error_set(err, SL_ECONFIG, "S3 part size %zu is outside 5 MiB .. 5 GiB",
                            c->part_size);
    if (c->upload_parallelism < 1 || c->upload_parallelism > 64)
        return sl_error_set(err, SL_ECONFIG, "S3 upload parallelism %d is outside 1..64",
                            c->upload_parallelism);
    if (c->retry_max_ms < 0 || c->connect_timeout_ms <= 0 || c->stall_timeout_ms <= 0)
        return sl_error_set(err, SL_ECONFIG, "S3 timeouts must be positive");
    return SL_OK;
}

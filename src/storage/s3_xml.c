/*
 * A small bounded XML reader for S3's answers (ListObjectsV2 pages, error
 * documents, multipart upload ids) and the parsers built on it. It reads
 * bytes from the network, so it checks every length, never recurses, caps
 * depth, name and text sizes, refuses DOCTYPE (no entity expansion) and is
 * fuzzed (fuzz/fuzz_s3_xml.c). Not a general XML parser: no namespaces
 * beyond dropping prefixes, no validation, attributes are skipped.
 */
#include "s3_internal.h"

#include <stdlib.h>
#include <string.h>

struct xml_reader {
    const char *buf;
    size_t len;
    size_t pos;
    int depth;
    char names[SL_S3_XML_MAX_DEPTH][SL_S3_XML_MAX_NAME]; /* qualified names of open elements */
    const char *path[SL_S3_XML_MAX_DEPTH];               /* their local names */
    struct sl_buf text;
    const struct sl_s3_xml_handler *handler;
    struct sl_error *err;
};

static int malformed(struct xml_reader *x, const char *what)
{
    return sl_error_set(x->err, SL_EPROTO, "malformed XML from the S3 server at byte %zu: %s",
                        x->pos, what);
}

static bool starts_with(const struct xml_reader *x, const char *s)
{
    size_t n = strlen(s);
    return x->len - x->pos >= n && memcmp(x->buf + x->pos, s, n) == 0;
}

/* Moves pos past the next occurrence of s; false if there is none. */
static bool skip_past(struct xml_reader *x, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = x->pos; i + n <= x->len; i++) {
        if (memcmp(x->buf + i, s, n) == 0) {
            x->pos = i + n;
            return true;
        }
    }
    return false;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_blanks(struct xml_reader *x)
{
    while (x->pos < x->len && is_blank(x->buf[x->pos]))
        x->pos++;
}

static bool name_char(char c)
{
    return !is_blank(c) && c != '>' && c != '<' && c != '/' && c != '=' && c != '"' &&
           c != '\'' && c != '&' && c != '\0';
}

/* Reads a name at pos into out (NUL-terminated). */
static int read_name(struct xml_reader *x, char out[SL_S3_XML_MAX_NAME])
{
    size_t start = x->pos;
    while (x->pos < x->len && name_char(x->buf[x->pos]))
        x->pos++;
    size_t n = x->pos - start;
    if (n == 0)
        return malformed(x, "expected an element name");
    if (n >= SL_S3_XML_MAX_NAME)
        return malformed(x, "element name too long");
    memcpy(out, x->buf + start, n);
    out[n] = '\0';
    return SL_OK;
}

static const char *local_name(const char *qualified)
{
    const char *colon = strrchr(qualified, ':');
    return colon != NULL && colon[1] != '\0' ? colon + 1 : qualified;
}

static int append_text(struct xml_reader *x, const char *bytes, size_t n)
{
    if (sl_buf_append(&x->text, bytes, n) != SL_OK)
        return x->text.len + n > x->text.max ? malformed(x, "element text too long")
                                               : sl_error_set(x->err, SL_ENOMEM,
                                                              "out of memory reading XML");
    return SL_OK;
}

static int append_code_point(struct xml_reader *x, unsigned long cp)
{
    char utf8[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return malformed(x, "character reference out of range");
    if (cp < 0x80) {
        utf8[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        utf8[0] = (char)(0xC0 | (cp >> 6));
        utf8[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        utf8[0] = (char)(0xE0 | (cp >> 12));
        utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        utf8[0] = (char)(0xF0 | (cp >> 18));
        utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return append_text(x, utf8, n);
}

/* An entity at pos ('&'): decodes it into the text. */
static int read_entity(struct xml_reader *x)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    size_t start = x->pos + 1, end = start;

    while (end < x->len && end - start < 12 && x->buf[end] != ';')
        end++;
    if (end >= x->len || x->buf[end] != ';' || end == start)
        return malformed(x, "unterminated entity");
    const char *e = x->buf + start;
    size_t n = end - start;
    x->pos = end + 1;
    if (e[0] == '#') {
        unsigned long cp = 0;
        bool hex = n > 1 && (e[1] == 'x' || e[1] == 'X');
        size_t i = hex ? 2 : 1;
        if (i >= n)
            return malformed(x, "empty character reference");
        for (; i < n; i++) {
            char c = e[i];
            int digit;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            else
                return malformed(x, "bad character reference");
            cp = cp * (hex ? 16 : 10) + (unsigned long)digit;
            if (cp > 0x10FFFF)
                return malformed(x, "character reference out of range");
        }
        return append_code_point(x, cp);
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(named); i++) {
        if (strlen(named[i].name) == n && memcmp(named[i].name, e, n) == 0)
            return append_text(x, &named[i].c, 1);
    }
    return malformed(x, "unknown entity");
}

static int read_text(struct xml_reader *x)
{
    while (x->pos < x->len && x->buf[x->pos] != '<') {
        size_t start = x->pos;
        int rc;
        if (x->buf[x->pos] == '&') {
            if (x->depth == 0)
                return malformed(x, "text outside the root element");
            rc = read_entity(x);
            if (rc != SL_OK)
                return rc;
            continue;
        }
        while (x->pos < x->len && x->buf[x->pos] != '<' && x->buf[x->pos] != '&')
            x->pos++;
        if (x->depth == 0) {
            for (size_t i = start; i < x->pos; i++) {
                if (!is_blank(x->buf[i])) {
                    x->pos = i;
                    return malformed(x, "text outside the root element");
                }
            }
            continue;
        }
        rc = append_text(x, x->buf + start, x->pos - start);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static int call_end(struct xml_reader *x)
{
    int rc = SL_OK;
    if (x->handler->end != NULL)
        rc = x->handler->end(x->handler->arg, x->path, x->depth,
                             x->text.data != NULL ? x->text.data : "", x->text.len);
    x->depth--;
    sl_buf_reset(&x->text);
    return rc;
}

static int read_start_tag(struct xml_reader *x, bool *root_done)
{
    char *name;
    bool self_closing = false;
    int rc;

    if (*root_done)
        return malformed(x, "a second root element");
    if (x->depth >= SL_S3_XML_MAX_DEPTH)
        return malformed(x, "elements nested too deeply");
    x->pos++; /* '<' */
    name = x->names[x->depth];
    rc = read_name(x, name);
    if (rc != SL_OK)
        return rc;
    for (;;) {
        skip_blanks(x);
        if (x->pos >= x->len)
            return malformed(x, "unterminated start tag");
        if (x->buf[x->pos] == '>') {
            x->pos++;
            break;
        }
        if (starts_with(x, "/>")) {
            x->pos += 2;
            self_closing = true;
            break;
        }
        /* an attribute: name = "value" */
        char attr[SL_S3_XML_MAX_NAME];
        rc = read_name(x, attr);
        if (rc != SL_OK)
            return rc;
        skip_blanks(x);
        if (x->pos >= x->len || x->buf[x->pos] != '=')
            return malformed(x, "attribute without a value");
        x->pos++;
        skip_blanks(x);
        if (x->pos >= x->len || (x->buf[x->pos] != '"' && x->buf[x->pos] != '\''))
            return malformed(x, "attribute value without quotes");
        char quote[2] = {x->buf[x->pos], '\0'};
        x->pos++;
        if (!skip_past(x, quote))
            return malformed(x, "unterminated attribute value");
    }
    x->path[x->depth] = local_name(name);
    x->depth++;
    sl_buf_reset(&x->text);
    if (x->handler->start != NULL) {
        rc = x->handler->start(x->handler->arg, x->path, x->depth);
        if (rc != SL_OK)
            return rc;
    }
    if (self_closing) {
        rc = call_end(x);
        if (x->depth == 0)
            *root_done = true;
    }
    return rc;
}

static int read_end_tag(struct xml_reader *x, bool *root_done)
{
    char name[SL_S3_XML_MAX_NAME];
    int rc;

    x->pos += 2; /* "</" */
    rc = read_name(x, name);
    if (rc != SL_OK)
        return rc;
    skip_blanks(x);
    if (x->pos >= x->len || x->buf[x->pos] != '>')
        return malformed(x, "unterminated end tag");
    x->pos++;
    if (x->depth == 0 || strcmp(name, x->names[x->depth - 1]) != 0)
        return malformed(x, "end tag does not match the open element");
    rc = call_end(x);
    if (x->depth == 0)
        *root_done = true;
    return rc;
}

int sl_s3_xml_parse(const char *buf, size_t len, const struct sl_s3_xml_handler *handler,
                    struct sl_error *err)
{
    struct xml_reader x = {.buf = buf, .len = len, .handler = handler, .err = err};
    bool root_done = false;
    int rc = SL_OK;

    sl_buf_init(&x.text, SL_S3_XML_MAX_TEXT);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        x.pos = 3;
    while (rc == SL_OK && x.pos < x.len) {
        if (x.buf[x.pos] != '<') {
            rc = read_text(&x);
        } else if (starts_with(&x, "<?")) {
            if (!skip_past(&x, "?>"))
                rc = malformed(&x, "unterminated processing instruction");
        } else if (starts_with(&x, "<!--")) {
            if (!skip_past(&x, "-->"))
                rc = malformed(&x, "unterminated comment");
        } else if (starts_with(&x, "<![CDATA[")) {
            size_t start = x.pos + 9;
            if (x.depth == 0)
                rc = malformed(&x, "CDATA outside the root element");
            else if (!skip_past(&x, "]]>"))
                rc = malformed(&x, "unterminated CDATA section");
            else
                rc = append_text(&x, x.buf + start, x.pos - 3 - start);
        } else if (starts_with(&x, "<!")) {
            rc = malformed(&x, "DOCTYPE and other declarations are not accepted");
        } else if (starts_with(&x, "</")) {
            rc = read_end_tag(&x, &root_done);
        } else {
            rc = read_start_tag(&x, &root_done);
        }
    }
    if (rc == SL_OK && x.depth > 0)
        rc = malformed(&x, "document ends inside an element");
    if (rc == SL_OK && !root_done)
        rc = malformed(&x, "no root element");
    sl_buf_free(&x.text);
    return rc;
}

/* ---------------------------------------------------------------- documents */

static bool path_is(const char *const *path, int depth, int want_depth, const char *a,
                    const char *b, const char *c)
{
    if (depth != want_depth)
        return false;
    const char *want[3] = {a, b, c};
    for (int i = 0; i < depth && i < 3; i++) {
        if (strcmp(path[i], want[i]) != 0)
            return false;
    }
    return true;
}

/* ListObjectsV2 */

struct list_parse {
    struct sl_s3_list_page *page;
    struct sl_error *err;
    char *key;
    uint64_t size;
    bool have_size;
};

static int list_add(struct list_parse *p, const char *key, size_t key_len, uint64_t size,
                    bool is_prefix)
{
    struct sl_object_listing *items = &p->page->items;
    void *entries = items->entries;
    char *copy;

    if (strlen(key) != key_len || key_len == 0)
        return sl_error_set(p->err, SL_EPROTO, "S3 listing holds an empty key or a NUL byte");
    if (sl_array_grow(&entries, &items->cap, items->count + 1, sizeof(*items->entries)) != SL_OK)
        return sl_error_set(p->err, SL_ENOMEM, "out of memory reading an S3 listing");
    items->entries = entries;
    copy = sl_strndup(key, key_len);
    if (copy == NULL)
        return sl_error_set(p->err, SL_ENOMEM, "out of memory reading an S3 listing");
    items->entries[items->count].key = copy;
    items->entries[items->count].size = size;
    items->entries[items->count].is_prefix = is_prefix;
    items->count++;
    return SL_OK;
}

static int list_start(void *arg, const char *const *path, int depth)
{
    struct list_parse *p = arg;
    if (depth == 1 && strcmp(path[0], "ListBucketResult") != 0)
        return sl_error_set(p->err, SL_EPROTO,
                            "S3 answered a listing with a <%s> document, not <ListBucketResult>",
                            path[0]);
    if (path_is(path, depth, 2, "ListBucketResult", "Contents", NULL)) {
        sl_free(p->key);
        p->key = NULL;
        p->size = 0;
        p->have_size = false;
    }
    return SL_OK;
}

static int list_end(void *arg, const char *const *path, int depth, const char *text,
                    size_t text_len)
{
    struct list_parse *p = arg;

    if (path_is(path, depth, 3, "ListBucketResult", "Contents", "Key")) {
        if (strlen(text) != text_len)
            return sl_error_set(p->err, SL_EPROTO, "S3 listing holds a key with a NUL byte");
        sl_free(p->key);
        p->key = sl_strndup(text, text_len);
        if (p->key == NULL)
            return sl_error_set(p->err, SL_ENOMEM, "out of memory reading an S3 listing");
    } else if (path_is(path, depth, 3, "ListBucketResult", "Contents", "Size")) {
        if (sl_parse_u64(text, &p->size) != SL_OK || strlen(text) != text_len)
            return sl_error_set(p->err, SL_EPROTO, "S3 listing holds a bad <Size> \"%.40s\"",
                                text);
        p->have_size = true;
    } else if (path_is(path, depth, 2, "ListBucketResult", "Contents", NULL)) {
        int rc;
        if (p->key == NULL || !p->have_size)
            return sl_error_set(p->err, SL_EPROTO,
                                "S3 listing has <Contents> without <Key> or <Size>");
        rc = list_add(p, p->key, strlen(p->key), p->size, false);
        sl_free(p->key);
        p->key = NULL;
        return rc;
    } else if (path_is(path, depth, 3, "ListBucketResult", "CommonPrefixes", "Prefix")) {
        return list_add(p, text, text_len, 0, true);
    } else if (path_is(path, depth, 2, "ListBucketResult", "IsTruncated", NULL)) {
        p->page->truncated = text_len == 4 && memcmp(text, "true", 4) == 0;
    } else if (path_is(path, depth, 2, "ListBucketResult", "NextContinuationToken", NULL)) {
        if (strlen(text) != text_len)
            return sl_error_set(p->err, SL_EPROTO, "S3 continuation token holds a NUL byte");
        sl_free(p->page->next_token);
        p->page->next_token = text_len > 0 ? sl_strndup(text, text_len) : NULL;
        if (text_len > 0 && p->page->next_token == NULL)
            return sl_error_set(p->err, SL_ENOMEM, "out of memory reading an S3 listing");
    }
    return SL_OK;
}

void sl_s3_list_page_free(struct sl_s3_list_page *page)
{
    if (page == NULL)
        return;
    sl_object_listing_free(&page->items);
    sl_free(page->next_token);
    memset(page, 0, sizeof(*page));
}

int sl_s3_xml_parse_list(const char *buf, size_t len, struct sl_s3_list_page *out,
                         struct sl_error *err)
{
    struct list_parse p = {.page = out, .err = err};
    struct sl_s3_xml_handler h = {.arg = &p, .start = list_start, .end = list_end};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sl_s3_xml_parse(buf, len, &h, err);
    sl_free(p.key);
    if (rc != SL_OK)
        sl_s3_list_page_free(out);
    return rc;
}

/* <Error> */

struct error_parse {
    struct sl_s3_error_doc *doc;
    bool is_error;
};

static void copy_field(char *dst, size_t cap, const char *text, size_t len)
{
    size_t n = SL_MIN(len, cap - 1);
    memcpy(dst, text, n);
    dst[n] = '\0';
    /* messages end up in logs: keep them printable and on one line */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)dst[i];
        if (c < ' ' || c == 127)
            dst[i] = ' ';
    }
}

static int error_end(void *arg, const char *const *path, int depth, const char *text,
                     size_t text_len)
{
    struct error_parse *p = arg;
    if (depth == 1)
        p->is_error = strcmp(path[0], "Error") == 0;
    if (depth != 2 || strcmp(path[0], "Error") != 0)
        return SL_OK;
    if (strcmp(path[1], "Code") == 0)
        copy_field(p->doc->code, sizeof(p->doc->code), text, text_len);
    else if (strcmp(path[1], "Message") == 0)
        copy_field(p->doc->message, sizeof(p->doc->message), text, text_len);
    else if (strcmp(path[1], "Region") == 0)
        copy_field(p->doc->region, sizeof(p->doc->region), text, text_len);
    else if (strcmp(path[1], "BucketName") == 0)
        copy_field(p->doc->bucket, sizeof(p->doc->bucket), text, text_len);
    return SL_OK;
}

int sl_s3_xml_parse_error(const char *buf, size_t len, struct sl_s3_error_doc *out)
{
    struct error_parse p = {.doc = out};
    struct sl_s3_xml_handler h = {.arg = &p, .end = error_end};

    memset(out, 0, sizeof(*out));
    if (sl_s3_xml_parse(buf, len, &h, NULL) != SL_OK || !p.is_error) {
        memset(out, 0, sizeof(*out));
        return SL_EPROTO;
    }
    return SL_OK;
}

/* <DeleteResult> */

struct delete_parse {
    struct sl_s3_delete_result *out;
    bool is_result;
};

static int delete_end(void *arg, const char *const *path, int depth, const char *text,
                      size_t text_len)
{
    struct delete_parse *p = arg;
    struct sl_s3_delete_result *out = p->out;
    if (depth >= 1 && strcmp(path[0], "DeleteResult") == 0)
        p->is_result = true;
    if (path_is(path, depth, 2, "DeleteResult", "Error", NULL)) {
        out->failed++;
        return SL_OK;
    }
    if (out->failed > 0 || depth != 3 || strcmp(path[0], "DeleteResult") != 0 ||
        strcmp(path[1], "Error") != 0)
        return SL_OK; /* only the first <Error>'s fields are kept */
    if (strcmp(path[2], "Key") == 0)
        copy_field(out->key, sizeof(out->key), text, text_len);
    else if (strcmp(path[2], "Code") == 0)
        copy_field(out->code, sizeof(out->code), text, text_len);
    else if (strcmp(path[2], "Message") == 0)
        copy_field(out->message, sizeof(out->message), text, text_len);
    return SL_OK;
}

int sl_s3_xml_parse_delete_result(const char *buf, size_t len, struct sl_s3_delete_result *out,
                                  struct sl_error *err)
{
    struct delete_parse p = {.out = out};
    struct sl_s3_xml_handler h = {.arg = &p, .end = delete_end};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sl_s3_xml_parse(buf, len, &h, err);
    if (rc == SL_OK && !p.is_result)
        rc = sl_error_set(err, SL_EPROTO, "S3 answered DeleteObjects without a <DeleteResult>");
    return rc;
}

/* <InitiateMultipartUploadResult> */

struct upload_id_parse {
    char *upload_id;
    struct sl_error *err;
};

static int upload_id_end(void *arg, const char *const *path, int depth, const char *text,
                         size_t text_len)
{
    struct upload_id_parse *p = arg;
    if (!path_is(path, depth, 2, "InitiateMultipartUploadResult", "UploadId", NULL))
        return SL_OK;
    if (text_len == 0 || strlen(text) != text_len)
        return sl_error_set(p->err, SL_EPROTO, "S3 sent an empty or binary multipart upload id");
    sl_free(p->upload_id);
    p->upload_id = sl_strndup(text, text_len);
    return p->upload_id != NULL ? SL_OK
                                : sl_error_set(p->err, SL_ENOMEM, "out of memory reading XML");
}

int sl_s3_xml_parse_upload_id(const char *buf, size_t len, char **upload_id,
                              struct sl_error *err)
{
    struct upload_id_parse p = {.err = err};
    struct sl_s3_xml_handler h = {.arg = &p, .end = upload_id_end};
    int rc;

    *upload_id = NULL;
    rc = sl_s3_xml_parse(buf, len, &h, err);
    if (rc == SL_OK && p.upload_id == NULL)
        rc = sl_error_set(err, SL_EPROTO,
                          "S3 answered CreateMultipartUpload without an <UploadId>");
    if (rc != SL_OK) {
        sl_free(p.upload_id);
        return rc;
    }
    *upload_id = p.upload_id;
    return SL_OK;
}

/*
 * Change-event JSON reader (DESIGN.md section 8), the inverse of json.c, for
 * `sluice apply`. A hand-written one-pass parser per line: strings without
 * escapes and number literals are handed out in place (a number keeps its
 * literal text, which a generic JSON library would turn into a double),
 * escaped strings are decoded into an arena that is reset per line. The
 * reader keeps every schema version it has built, so batches may hold on to
 * old ones; values live only as long as the callback that gets them.
 */
#include "sluice/change.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64      /* nesting of skipped (unknown) values */
#define MAX_COLUMNS 1664  /* PostgreSQL's MaxTupleAttributeNumber */
#define LINE_ARENA_BLOCK 65536
#define QUOTE_MAX 64      /* bytes of an input name quoted in a message */

struct table_entry {
    struct table_entry *next_same_hash;
    uint64_t hash;
    uint32_t relid;
    struct sl_table_schema *current; /* borrowed from reader->schemas */
};

struct sl_change_json_reader {
    struct sl_u64map by_name;         /* hash of (schema, table) -> table_entry chain */
    struct table_entry **tables;      /* owned */
    size_t ntables, tables_cap;
    struct sl_table_schema **schemas; /* every version ever built, owned */
    size_t nschemas, schemas_cap;
    struct table_entry *last;         /* table of the previous change: most lines repeat it */
    struct sl_arena arena;            /* decoded strings and value arrays of one line */
    struct sl_txn_info txn;           /* the open transaction */
    bool txn_open;
};

/* A piece of the line (or of the arena when it had escapes); no NUL inside. */
struct span {
    const char *p;
    size_t len;
};

struct parser {
    const char *start, *p, *end;
    uint64_t line_no;
    struct sl_arena *arena;
    struct sl_error *err;
};

/* ---------------------------------------------------------------- errors */

static int line_error(struct parser *ps, const char *fmt, ...) SL_PRINTF(2, 3);
static int line_error(struct parser *ps, const char *fmt, ...)
{
    char what[SL_ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return sl_error_set(ps->err, SL_EINVAL, "line %" PRIu64 ": %s", ps->line_no, what);
}

/* A JSON syntax error at `at`. */
static int syntax_error(struct parser *ps, const char *at, const char *what)
{
    return sl_error_set(ps->err, SL_EINVAL,
                        "line %" PRIu64 ", byte %zu: not valid change-event JSON: %s", ps->line_no,
                        (size_t)(at - ps->start) + 1, what);
}

static int no_memory(struct parser *ps)
{
    return sl_error_set(ps->err, SL_ENOMEM, "line %" PRIu64 ": out of memory", ps->line_no);
}

static int quote_len(const struct span *s)
{
    return (int)SL_MIN(s->len, (size_t)QUOTE_MAX);
}

/* ---------------------------------------------------------------- lexing */

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int expect(struct parser *ps, char c, const char *what)
{
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != c)
        return syntax_error(ps, ps->p, what);
    ps->p++;
    skip_ws(ps);
    return SL_OK;
}

/* Length of a valid UTF-8 sequence of 2..4 bytes at s (n bytes left), 0 if invalid. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
            return 0; /* overlong, beyond U+10FFFF */
        return 4;
    }
    return 0;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return SL_EINVAL;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return SL_OK;
}

static char *put_utf8(char *q, uint32_t cp)
{
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xc0 | cp >> 6);
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xe0 | cp >> 12);
        *q++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *q++ = (char)(0xf0 | cp >> 18);
        *q++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *q++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    }
    return q;
}

/* Decodes the escapes of the raw string body [s, end) into the arena. */
static int decode_escapes(struct parser *ps, const char *s, const char *end, struct span *out)
{
    /* decoding never grows: \uXXXX (6 bytes) -> at most 3, a surrogate pair (12) -> 4 */
    char *buf = sl_arena_alloc(ps->arena, (size_t)(end - s) + 1);
    char *q = buf;

    if (buf == NULL)
        return no_memory(ps);
    while (s < end) {
        if (*s != '\\') {
            *q++ = *s++;
            continue;
        }
        const char *at = s;
        s++; /* the scan guaranteed a byte after the backslash */
        switch (*s++) {
        case '"': *q++ = '"'; break;
        case '\\': *q++ = '\\'; break;
        case '/': *q++ = '/'; break;
        case 'b': *q++ = '\b'; break;
        case 'f': *q++ = '\f'; break;
        case 'n': *q++ = '\n'; break;
        case 'r': *q++ = '\r'; break;
        case 't': *q++ = '\t'; break;
        case 'u': {
            uint32_t cp, low;
            if (end - s < 4 || hex4(s, &cp) != SL_OK)
                return syntax_error(ps, at, "\\u must be followed by four hex digits");
            s += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return syntax_error(ps, at, "lone low surrogate escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &low) != SL_OK ||
                    low < 0xdc00 || low > 0xdfff)
                    return syntax_error(ps, at, "high surrogate escape without its low half");
                s += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            if (cp == 0)
                return syntax_error(ps, at, "\\u0000 is not allowed (PostgreSQL text has no NUL)");
            q = put_utf8(q, cp);
            break;
        }
        default:
            return syntax_error(ps, at, "invalid escape in string");
        }
    }
    *q = '\0';
    out->p = buf;
    out->len = (size_t)(q - buf);
    return SL_OK;
}

/* A string at ps->p (the opening quote); out points into the line unless it had escapes. */
static int parse_string(struct parser *ps, struct span *out)
{
    const unsigned char *s = (const unsigned char *)ps->p + 1;
    const unsigned char *end = (const unsigned char *)ps->end;
    const char *body = ps->p + 1;
    bool escaped = false;

    for (;;) {
        while (s < end && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        if (s >= end)
            return syntax_error(ps, ps->p, "unterminated string");
        if (*s == '"')
            break;
        if (*s == '\\') {
            if (end - s < 2)
                return syntax_error(ps, ps->p, "unterminated string");
            escaped = true;
            s += 2;
            continue;
        }
        if (*s < 0x20)
            return syntax_error(ps, (const char *)s,
                                "control character in a string (must be escaped)");
        size_t n = utf8_length(s, (size_t)(end - s));
        if (n == 0)
            return syntax_error(ps, (const char *)s, "invalid UTF-8 in a string");
        s += n;
    }
    ps->p = (const char *)s + 1;
    if (escaped)
        return decode_escapes(ps, body, (const char *)s, out);
    out->p = body;
    out->len = (size_t)((const char *)s - body);
    return SL_OK;
}

static const char *skip_digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* A number (RFC 8259 grammar) at ps->p; out is its literal text. */
static int parse_number(struct parser *ps, struct span *out, bool *integer)
{
    const char *p = ps->p, *end = ps->end, *digits;

    *integer = true;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return syntax_error(ps, ps->p, "invalid number");
    p = *p == '0' ? p + 1 : skip_digits(p, end);
    if (p < end && *p == '.') {
        digits = ++p;
        p = skip_digits(p, end);
        if (p == digits)
            return syntax_error(ps, ps->p, "invalid number (no digits after '.')");
        *integer = false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        digits = p;
        p = skip_digits(p, end);
        if (p == digits)
            return syntax_error(ps, ps->p, "invalid number (no digits in the exponent)");
        *integer = false;
    }
    if (p < end && ((*p >= '0' && *p <= '9') || *p == '.'))
        return syntax_error(ps, ps->p, "invalid number (leading zero)");
    out->p = ps->p;
    out->len = (size_t)(p - ps->p);
    ps->p = p;
    return SL_OK;
}

/* Consumes `word` (true, false, null) at ps->p. */
static int parse_literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return syntax_error(ps, ps->p, "invalid literal");
    ps->p += n;
    if (ps->p < ps->end && ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= '0' && *ps->p <= '9')))
        return syntax_error(ps, ps->p - n, "invalid literal");
    return SL_OK;
}

static bool span_is(const struct span *s, const char *word)
{
    size_t n = strlen(word);
    return s->len == n && memcmp(s->p, word, n) == 0;
}

/* A NUL-terminated name (from a schema) equals the span. Names hold no NUL. */
static bool name_is(const char *name, const struct span *s)
{
    return strncmp(name, s->p, s->len) == 0 && name[s->len] == '\0';
}

/* Validates and skips any value (fields this reader does not know). */
static int skip_value(struct parser *ps, int depth)
{
    struct span ignored;
    bool integer;
    int rc;

    if (ps->p >= ps->end)
        return syntax_error(ps, ps->p, "a value is missing");
    if (depth > MAX_DEPTH)
        return syntax_error(ps, ps->p, "nested too deeply");
    switch (*ps->p) {
    case '"': return parse_string(ps, &ignored);
    case 't': return parse_literal(ps, "true");
    case 'f': return parse_literal(ps, "false");
    case 'n': return parse_literal(ps, "null");
    case '{':
    case '[': {
        bool object = *ps->p == '{';
        char close = object ? '}' : ']';
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return SL_OK;
        }
        for (;;) {
            if (object) {
                if (ps->p >= ps->end || *ps->p != '"')
                    return syntax_error(ps, ps->p, "expected a string key");
                rc = parse_string(ps, &ignored);
                if (rc == SL_OK)
                    rc = expect(ps, ':', "expected ':' after a key");
                if (rc != SL_OK)
                    return rc;
            }
            rc = skip_value(ps, depth + 1);
            if (rc != SL_OK)
                return rc;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                skip_ws(ps);
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                return SL_OK;
            }
            return syntax_error(ps, ps->p, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps, &ignored, &integer);
        return syntax_error(ps, ps->p, "expected a value");
    }
}

/*
 * Iterates the members of an object at ps->p: call with *first = true; returns 1
 * with the key and ps->p at the value, 0 at the end (after '}'), or an error.
 */
static int next_member(struct parser *ps, bool *first, struct span *key)
{
    int rc;

    skip_ws(ps);
    if (*first) {
        if (ps->p >= ps->end || *ps->p != '{')
            return syntax_error(ps, ps->p, "expected '{'");
        ps->p++;
        skip_ws(ps);
        *first = false;
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return 0;
        }
    } else {
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return 0;
        }
        if (ps->p >= ps->end || *ps->p != ',')
            return syntax_error(ps, ps->p, "expected ',' or '}'");
        ps->p++;
        skip_ws(ps);
    }
    if (ps->p >= ps->end || *ps->p != '"')
        return syntax_error(ps, ps->p, "expected a string key");
    rc = parse_string(ps, key);
    if (rc == SL_OK)
        rc = expect(ps, ':', "expected ':' after a key");
    return rc == SL_OK ? 1 : rc;
}

/* The same for arrays: 1 with ps->p at the next element, 0 after ']'. */
static int next_element(struct parser *ps, bool *first)
{
    skip_ws(ps);
    if (*first) {
        if (ps->p >= ps->end || *ps->p != '[')
            return syntax_error(ps, ps->p, "expected '['");
        ps->p++;
        skip_ws(ps);
        *first = false;
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return 0;
        }
        return 1;
    }
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return 0;
    }
    if (ps->p >= ps->end || *ps->p != ',')
        return syntax_error(ps, ps->p, "expected ',' or ']'");
    ps->p++;
    skip_ws(ps);
    return 1;
}

/* ---------------------------------------------------------------- type names */

enum modifier {
    MOD_NONE,      /* takes no modifier */
    MOD_NUMERIC,   /* (p) or (p,s): ((p << 16) | (s & 0x7ff)) + 4 */
    MOD_LENGTH,    /* (n): n + 4 */
    MOD_PRECISION, /* (n), 0..6: n */
    MOD_BITS,      /* (n): n */
};

struct type_desc {
    const char *name;
    uint32_t oid;
    uint32_t array_oid;
    enum modifier modifier;
};

/* pg_type.typname of the built-in types, then the SQL spellings format_type prints. */
static const struct type_desc TYPES[] = {
    {"bool", SL_PG_OID_BOOL, 1000, MOD_NONE},
    {"int2", SL_PG_OID_INT2, 1005, MOD_NONE},
    {"int4", SL_PG_OID_INT4, 1007, MOD_NONE},
    {"int8", SL_PG_OID_INT8, 1016, MOD_NONE},
    {"float4", SL_PG_OID_FLOAT4, 1021, MOD_NONE},
    {"float8", SL_PG_OID_FLOAT8, 1022, MOD_NONE},
    {"numeric", SL_PG_OID_NUMERIC, 1231, MOD_NUMERIC},
    {"text", SL_PG_OID_TEXT, 1009, MOD_NONE},
    {"varchar", SL_PG_OID_VARCHAR, 1015, MOD_LENGTH},
    {"bpchar", SL_PG_OID_BPCHAR, 1014, MOD_LENGTH},
    {"char", SL_PG_OID_CHAR, 1002, MOD_NONE},
    {"name", SL_PG_OID_NAME, 1003, MOD_NONE},
    {"oid", SL_PG_OID_OID, 1028, MOD_NONE},
    {"bytea", SL_PG_OID_BYTEA, 1001, MOD_NONE},
    {"date", SL_PG_OID_DATE, 1182, MOD_NONE},
    {"time", SL_PG_OID_TIME, 1183, MOD_PRECISION},
    {"timetz", 1266, 1270, MOD_PRECISION},
    {"timestamp", SL_PG_OID_TIMESTAMP, 1115, MOD_PRECISION},
    {"timestamptz", SL_PG_OID_TIMESTAMPTZ, 1185, MOD_PRECISION},
    {"uuid", SL_PG_OID_UUID, 2951, MOD_NONE},
    {"json", SL_PG_OID_JSON, 199, MOD_NONE},
    {"jsonb", SL_PG_OID_JSONB, 3807, MOD_NONE},
    {"bit", 1560, 1561, MOD_BITS},
    {"varbit", 1562, 1563, MOD_BITS},
    {"boolean", SL_PG_OID_BOOL, 1000, MOD_NONE},
    {"smallint", SL_PG_OID_INT2, 1005, MOD_NONE},
    {"integer", SL_PG_OID_INT4, 1007, MOD_NONE},
    {"int", SL_PG_OID_INT4, 1007, MOD_NONE},
    {"bigint", SL_PG_OID_INT8, 1016, MOD_NONE},
    {"real", SL_PG_OID_FLOAT4, 1021, MOD_NONE},
    {"double precision", SL_PG_OID_FLOAT8, 1022, MOD_NONE},
    {"decimal", SL_PG_OID_NUMERIC, 1231, MOD_NUMERIC},
    {"character varying", SL_PG_OID_VARCHAR, 1015, MOD_LENGTH},
    {"character", SL_PG_OID_BPCHAR, 1014, MOD_LENGTH},
    {"bit varying", 1562, 1563, MOD_BITS},
};

/* Parses a decimal int in [lo, hi] from [*p, end) (optional '-', spaces around). */
static bool parse_modifier_int(const char **p, const char *end, long lo, long hi, long *out)
{
    const char *s = *p;
    bool negative = false;
    long v = 0;

    while (s < end && *s == ' ')
        s++;
    if (s < end && *s == '-') {
        negative = true;
        s++;
    }
    if (s >= end || *s < '0' || *s > '9')
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > 100000000)
            return false;
    }
    while (s < end && *s == ' ')
        s++;
    v = negative ? -v : v;
    if (v < lo || v > hi)
        return false;
    *p = s;
    *out = v;
    return true;
}

/* type_mod of modifier text "(...)" (without the parentheses) for a known type. */
static bool type_mod_of(enum modifier modifier, const char *args, const char *end, int32_t *out)
{
    long a, b = 0;
    const char *p = args;

    switch (modifier) {
    case MOD_NONE:
        return false;
    case MOD_NUMERIC:
        if (!parse_modifier_int(&p, end, 1, 1000, &a))
            return false;
        if (p < end && *p == ',') {
            p++;
            if (!parse_modifier_int(&p, end, -1000, 1000, &b))
                return false;
        }
        if (p != end)
            return false;
        *out = (int32_t)(((uint32_t)a << 16 | ((uint32_t)b & 0x7ff)) + 4);
        return true;
    case MOD_LENGTH:
        if (!parse_modifier_int(&p, end, 1, 10485760, &a) || p != end)
            return false;
        *out = (int32_t)a + 4;
        return true;
    case MOD_PRECISION:
        if (!parse_modifier_int(&p, end, 0, 6, &a) || p != end)
            return false;
        *out = (int32_t)a;
        return true;
    case MOD_BITS:
        if (!parse_modifier_int(&p, end, 1, 83886080, &a) || p != end)
            return false;
        *out = (int32_t)a;
        return true;
    }
    return false;
}

static const struct type_desc *type_named(const char *name)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(TYPES); i++)
        if (strcmp(TYPES[i].name, name) == 0)
            return &TYPES[i];
    return NULL;
}

static bool ends_with(const char *s, size_t *len, const char *suffix)
{
    size_t n = strlen(suffix);
    if (*len < n || memcmp(s + *len - n, suffix, n) != 0)
        return false;
    *len -= n;
    return true;
}

/*
 * Fills type_oid, base_type_oid, type_mod and type_class from column->type_name:
 * base[(modifiers)][ with(out) time zone][[]]. Unknown names are SL_TYPE_TEXT with
 * OID 0; a known type with modifiers it cannot have is an error (false).
 */
static bool describe_type(struct sl_column *column)
{
    const char *name = column->type_name;
    size_t len = strlen(name), base_len;
    const char *args = NULL, *args_end = NULL;
    bool array = ends_with(name, &len, "[]");
    int zone = 0; /* 1 with time zone, -1 without */
    const struct type_desc *type = NULL;
    int32_t mod = -1;

    if (ends_with(name, &len, " with time zone"))
        zone = 1;
    else if (ends_with(name, &len, " without time zone"))
        zone = -1;
    base_len = len;
    if (len > 0 && name[len - 1] == ')') {
        const char *open = memchr(name, '(', len);
        if (open != NULL) {
            base_len = (size_t)(open - name);
            args = open + 1;
            args_end = name + len - 1;
        }
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(TYPES) && type == NULL; i++)
        if (strlen(TYPES[i].name) == base_len && memcmp(TYPES[i].name, name, base_len) == 0)
            type = &TYPES[i];
    if (zone != 0) {
        /* only "time" and "timestamp" take the SQL suffix */
        if (type == NULL || (type->oid != SL_PG_OID_TIME && type->oid != SL_PG_OID_TIMESTAMP))
            type = NULL;
        else if (zone > 0)
            type = type_named(type->oid == SL_PG_OID_TIME ? "timetz" : "timestamptz");
    }
    column->type_oid = column->base_type_oid = 0;
    column->type_class = SL_TYPE_TEXT;
    column->type_mod = -1;
    if (type == NULL)
        return true; /* a domain, an enum, an extension's type: its text form */
    if (args != NULL && !type_mod_of(type->modifier, args, args_end, &mod))
        return false;
    column->type_mod = mod;
    column->type_oid = column->base_type_oid = array ? type->array_oid : type->oid;
    column->type_class = array ? SL_TYPE_TEXT : sl_type_class_of_oid(type->oid);
    return true;
}

/* ---------------------------------------------------------------- tables */

static uint64_t name_hash(const struct span *schema, const struct span *table)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < schema->len; i++)
        h = (h ^ (unsigned char)schema->p[i]) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL; /* 0xff never occurs in UTF-8 */
    for (size_t i = 0; i < table->len; i++)
        h = (h ^ (unsigned char)table->p[i]) * 0x100000001b3ULL;
    return h;
}

static bool entry_is(const struct table_entry *entry, const struct span *schema,
                     const struct span *table)
{
    return name_is(entry->current->schema_name, schema) &&
           name_is(entry->current->table_name, table);
}

static struct table_entry *find_table(struct sl_change_json_reader *r, const struct span *schema,
                                      const struct span *table, uint64_t hash)
{
    if (r->last != NULL && r->last->hash == hash && entry_is(r->last, schema, table))
        return r->last;
    for (struct table_entry *e = sl_u64map_get(&r->by_name, hash); e; e = e->next_same_hash)
        if (entry_is(e, schema, table))
            return e;
    return NULL;
}

/* ---------------------------------------------------------------- lines */

enum field {
    F_OP,
    F_SCHEMA,
    F_TABLE,
    F_LSN,
    F_COMMIT_LSN,
    F_XID,
    F_TS_MS,
    F_BEFORE,
    F_AFTER,
    F_COLUMNS,
    F_COUNT
};

static const char *const FIELD_NAMES[F_COUNT] = {"op",  "schema", "table",  "lsn",   "commit_lsn",
                                                 "xid", "ts_ms",  "before", "after", "columns"};

/* What pass one over a line found. */
struct line {
    unsigned seen;                  /* 1 << field */
    struct span text[F_COUNT];      /* strings and numbers: the value; rows, columns: raw JSON */
    bool integer[F_COUNT];          /* numbers without fraction or exponent */
    bool parsed[F_COUNT];           /* before/after already turned into values */
    const struct sl_value *rows[F_COUNT];
    enum sl_change_op op;           /* 0 until a change op was read */
    struct table_entry *table;      /* resolved when schema and table are known */
};

static bool is_change_op(const struct span *s)
{
    return s->len == 1 && memchr("cudtr", s->p[0], 5) != NULL;
}

enum { ALLOW_STRING = 1, ALLOW_NUMBER = 2, ALLOW_BOOL = 4 };

/* The JSON value types json.c writes for a class (plus numbers for numeric). */
static unsigned allowed_json(enum sl_type_class cls)
{
    switch (cls) {
    case SL_TYPE_BOOL: return ALLOW_BOOL;
    case SL_TYPE_INT2:
    case SL_TYPE_INT4:
    case SL_TYPE_INT8: return ALLOW_NUMBER;
    case SL_TYPE_FLOAT4:
    case SL_TYPE_FLOAT8:
    case SL_TYPE_NUMERIC: return ALLOW_NUMBER | ALLOW_STRING;
    case SL_TYPE_TEXT: return ALLOW_NUMBER | ALLOW_STRING | ALLOW_BOOL; /* domains, enums, ... */
    default: return ALLOW_STRING;
    }
}

static const char *allowed_text(unsigned allowed)
{
    switch (allowed) {
    case ALLOW_BOOL: return "true or false";
    case ALLOW_NUMBER: return "a number";
    case ALLOW_STRING: return "a string";
    case ALLOW_NUMBER | ALLOW_STRING: return "a number or a string";
    default: return "a string, number or boolean";
    }
}

static int wrong_type(struct parser *ps, const struct sl_table_schema *table,
                      const struct sl_column *column, const char *which, const char *got)
{
    return line_error(ps, "column \"%s\" (%s) of %s.%s in \"%s\" is %s, expected %s", column->name,
                      column->type_name, table->schema_name, table->table_name, which, got,
                      allowed_text(allowed_json(column->type_class)));
}

static int parse_value(struct parser *ps, const struct sl_table_schema *table,
                       const struct sl_column *column, const char *which, struct sl_value *value)
{
    unsigned allowed = allowed_json(column->type_class);
    struct span s;
    bool integer;
    int rc;

    if (ps->p >= ps->end)
        return syntax_error(ps, ps->p, "a value is missing");
    switch (*ps->p) {
    case '"':
        if (!(allowed & ALLOW_STRING))
            return wrong_type(ps, table, column, which, "a string");
        rc = parse_string(ps, &s);
        if (rc != SL_OK)
            return rc;
        break;
    case 't':
    case 'f': {
        bool truth = *ps->p == 't';
        rc = parse_literal(ps, truth ? "true" : "false");
        if (rc != SL_OK)
            return rc;
        if (!(allowed & ALLOW_BOOL))
            return wrong_type(ps, table, column, which, truth ? "true" : "false");
        s.p = truth ? "t" : "f"; /* PostgreSQL's text form of bool */
        s.len = 1;
        break;
    }
    case 'n':
        value->kind = SL_VALUE_NULL;
        return parse_literal(ps, "null");
    case '{': {
        bool first = true, toast = false;
        struct span key;
        while ((rc = next_member(ps, &first, &key)) == 1) {
            if (!span_is(&key, "unchanged_toast") || toast)
                return line_error(ps, "column \"%s\" of %s.%s in \"%s\" is an object other than "
                                      "{\"unchanged_toast\":true}",
                                  column->name, table->schema_name, table->table_name, which);
            rc = parse_literal(ps, "true");
            if (rc != SL_OK)
                return rc;
            toast = true;
        }
        if (rc != SL_OK)
            return rc;
        if (!toast)
            return line_error(ps, "column \"%s\" of %s.%s in \"%s\" is {}, expected a value or "
                                  "{\"unchanged_toast\":true}",
                              column->name, table->schema_name, table->table_name, which);
        value->kind = SL_VALUE_UNCHANGED_TOAST;
        return SL_OK;
    }
    case '[':
        return wrong_type(ps, table, column, which, "an array");
    default:
        if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
            return syntax_error(ps, ps->p, "expected a value");
        rc = parse_number(ps, &s, &integer);
        if (rc != SL_OK)
            return rc;
        if (!(allowed & ALLOW_NUMBER))
            return wrong_type(ps, table, column, which, "a number");
        break;
    }
    if (s.len > UINT32_MAX)
        return line_error(ps, "column \"%s\" of %s.%s: value of %zu bytes is too long",
                          column->name, table->schema_name, table->table_name, s.len);
    value->kind = SL_VALUE_TEXT;
    value->text = s.p;
    value->len = (uint32_t)s.len;
    return SL_OK;
}

/* A row object (or null) at ps->p into an arena array of table->ncolumns values. */
static int parse_row(struct parser *ps, const struct sl_table_schema *table, const char *which,
                     const struct sl_value **out)
{
    struct sl_value *values;
    struct span key;
    bool first = true;
    uint32_t hint = 0;
    int rc;

    if (ps->p < ps->end && *ps->p == 'n') {
        *out = NULL;
        return parse_literal(ps, "null");
    }
    if (ps->p >= ps->end || *ps->p != '{')
        return line_error(ps, "\"%s\" must be an object or null", which);
    values = sl_arena_alloc(ps->arena, sizeof(*values) * (table->ncolumns ? table->ncolumns : 1));
    if (values == NULL)
        return no_memory(ps);
    memset(values, 0, sizeof(*values) * table->ncolumns); /* SL_VALUE_ABSENT */
    while ((rc = next_member(ps, &first, &key)) == 1) {
        uint32_t i = hint; /* json.c writes columns in order: try the next one first */
        if (i >= table->ncolumns || !name_is(table->columns[i].name, &key)) {
            for (i = 0; i < table->ncolumns; i++)
                if (name_is(table->columns[i].name, &key))
                    break;
            if (i == table->ncolumns)
                return line_error(ps, "unknown column \"%.*s\" in \"%s\" of %s.%s (the table's "
                                      "schema line has no such column)",
                                  quote_len(&key), key.p, which, table->schema_name,
                                  table->table_name);
        }
        if (values[i].kind != SL_VALUE_ABSENT)
            return line_error(ps, "column \"%s\" appears twice in \"%s\" of %s.%s",
                              table->columns[i].name, which, table->schema_name,
                              table->table_name);
        rc = parse_value(ps, table, &table->columns[i], which, &values[i]);
        if (rc != SL_OK)
            return rc;
        hint = i + 1;
    }
    if (rc != SL_OK)
        return rc;
    *out = values;
    return SL_OK;
}

static void resolve_table(struct sl_change_json_reader *r, struct line *ln)
{
    if (ln->table == NULL && (ln->seen & (1u << F_SCHEMA)) && (ln->seen & (1u << F_TABLE)))
        ln->table = find_table(r, &ln->text[F_SCHEMA], &ln->text[F_TABLE],
                               name_hash(&ln->text[F_SCHEMA], &ln->text[F_TABLE]));
}

/* Pass one: the top-level object. Rows are parsed at once when the table is known. */
static int scan_line(struct parser *ps, struct sl_change_json_reader *r, struct line *ln)
{
    struct span key;
    bool first = true;
    int rc;

    while ((rc = next_member(ps, &first, &key)) == 1) {
        int f = 0;
        while (f < F_COUNT && !span_is(&key, FIELD_NAMES[f]))
            f++;
        if (f == F_COUNT) {
            rc = skip_value(ps, 1); /* a field of a later format version */
            if (rc != SL_OK)
                return rc;
            continue;
        }
        if (ln->seen & (1u << f))
            return line_error(ps, "field \"%s\" appears twice", FIELD_NAMES[f]);
        ln->seen |= 1u << f;
        const char *at = ps->p;
        char c = at < ps->end ? *at : '\0';
        switch (f) {
        case F_OP:
        case F_SCHEMA:
        case F_TABLE:
        case F_LSN:
        case F_COMMIT_LSN:
            if (c != '"')
                return line_error(ps, "field \"%s\" must be a string", FIELD_NAMES[f]);
            rc = parse_string(ps, &ln->text[f]);
            if (rc == SL_OK && f == F_OP && is_change_op(&ln->text[f]))
                ln->op = (enum sl_change_op)ln->text[f].p[0];
            break;
        case F_XID:
        case F_TS_MS:
            if (c != '-' && (c < '0' || c > '9'))
                return line_error(ps, "field \"%s\" must be a number", FIELD_NAMES[f]);
            rc = parse_number(ps, &ln->text[f], &ln->integer[f]);
            break;
        default:
            if (f != F_COLUMNS)
                resolve_table(r, ln);
            if (f != F_COLUMNS && ln->op != 0 && ln->table != NULL) {
                rc = parse_row(ps, ln->table->current, FIELD_NAMES[f], &ln->rows[f]);
                ln->parsed[f] = true;
            } else { /* keep the raw JSON for pass two */
                rc = skip_value(ps, 1);
                ln->text[f].p = at;
                ln->text[f].len = (size_t)(ps->p - at);
            }
            break;
        }
        if (rc != SL_OK)
            return rc;
    }
    return rc;
}

static int require(struct parser *ps, const struct line *ln, unsigned fields, const char *kind)
{
    for (int f = 0; f < F_COUNT; f++)
        if ((fields & (1u << f)) && !(ln->seen & (1u << f)))
            return line_error(ps, "%s has no \"%s\" field", kind, FIELD_NAMES[f]);
    return SL_OK;
}

static int lsn_of(struct parser *ps, const struct line *ln, int f, sl_lsn *out)
{
    char text[SL_LSN_TEXT_MAX];
    const struct span *s = &ln->text[f];

    if (s->len < sizeof(text)) {
        memcpy(text, s->p, s->len);
        text[s->len] = '\0';
        if (sl_lsn_parse(text, out) == SL_OK)
            return SL_OK;
    }
    return line_error(ps, "\"%s\" is \"%.*s\", expected a WAL position like \"16/B374D848\"",
                      FIELD_NAMES[f], quote_len(s), s->p);
}

/* An integer field in [min, max] (min < 0 allows a sign). */
static int integer_of(struct parser *ps, const struct line *ln, int f, int64_t min, int64_t max,
                      int64_t *out)
{
    const struct span *s = &ln->text[f];
    size_t i = 0;
    bool negative = false;
    uint64_t v = 0, limit;

    if (!ln->integer[f])
        goto bad;
    if (s->p[0] == '-') {
        if (min >= 0)
            goto bad;
        negative = true;
        i = 1;
    }
    limit = negative ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
    for (; i < s->len; i++) {
        unsigned d = (unsigned)(s->p[i] - '0');
        if (v > limit / 10 || (v == limit / 10 && d > limit % 10))
            goto bad;
        v = v * 10 + d;
    }
    *out = negative ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
    return SL_OK;
bad:
    return line_error(ps, "\"%s\" is %.*s, expected an integer in %" PRId64 "..%" PRId64,
                      FIELD_NAMES[f], quote_len(s), s->p, min, max);
}

static int push_schema(struct sl_change_json_reader *r, struct parser *ps,
                       struct sl_table_schema *schema, const struct span *schema_name,
                       const struct span *table_name, struct table_entry **entry)
{
    uint64_t hash = name_hash(schema_name, table_name);

    if (sl_array_grow((void **)&r->schemas, &r->schemas_cap, r->nschemas + 1,
                      sizeof(*r->schemas)) != SL_OK)
        return no_memory(ps);
    if (*entry == NULL) {
        struct table_entry *e;
        if (sl_array_grow((void **)&r->tables, &r->tables_cap, r->ntables + 1,
                          sizeof(*r->tables)) != SL_OK ||
            (e = sl_calloc(1, sizeof(*e))) == NULL)
            return no_memory(ps);
        e->hash = hash;
        e->relid = (uint32_t)r->ntables + 1;
        e->next_same_hash = sl_u64map_get(&r->by_name, hash);
        if (sl_u64map_put(&r->by_name, hash, e) != SL_OK) {
            sl_free(e);
            return no_memory(ps);
        }
        r->tables[r->ntables++] = e;
        *entry = e;
    }
    schema->relid = (*entry)->relid;
    schema->version = (*entry)->current ? (*entry)->current->version + 1 : 1;
    r->schemas[r->nschemas++] = schema;
    (*entry)->current = schema;
    return SL_OK;
}

/* Fills one column from its object in the schema line. */
static int parse_column(struct parser *ps, struct sl_column *column, uint32_t index)
{
    enum { C_NAME, C_TYPE, C_NULLABLE, C_KEY, C_COUNT };
    static const char *const names[C_COUNT] = {"name", "type", "nullable", "key"};
    struct span key, text[2];
    bool first = true, flags[C_COUNT] = {false, false, false, false};
    unsigned seen = 0;
    int rc;

    if (ps->p >= ps->end || *ps->p != '{')
        return line_error(ps, "column %u of the schema line is not an object", index + 1);
    while ((rc = next_member(ps, &first, &key)) == 1) {
        int f = 0;
        while (f < C_COUNT && !span_is(&key, names[f]))
            f++;
        if (f == C_COUNT) {
            rc = skip_value(ps, 2);
            if (rc != SL_OK)
                return rc;
            continue;
        }
        if (seen & (1u << f))
            return line_error(ps, "column %u of the schema line has \"%s\" twice", index + 1,
                              names[f]);
        seen |= 1u << f;
        if (f <= C_TYPE) {
            if (ps->p >= ps->end || *ps->p != '"')
                return line_error(ps, "\"%s\" of column %u must be a string", names[f], index + 1);
            rc = parse_string(ps, &text[f]);
        } else {
            if (ps->p >= ps->end || (*ps->p != 't' && *ps->p != 'f'))
                return line_error(ps, "\"%s\" of column %u must be true or false", names[f],
                                  index + 1);
            flags[f] = *ps->p == 't';
            rc = parse_literal(ps, flags[f] ? "true" : "false");
        }
        if (rc != SL_OK)
            return rc;
    }
    if (rc != SL_OK)
        return rc;
    for (int f = 0; f < C_COUNT; f++)
        if (!(seen & (1u << f)))
            return line_error(ps, "column %u of the schema line has no \"%s\"", index + 1,
                              names[f]);
    column->name = sl_strndup(text[C_NAME].p, text[C_NAME].len);
    column->type_name = sl_strndup(text[C_TYPE].p, text[C_TYPE].len);
    if (column->name == NULL || column->type_name == NULL)
        return no_memory(ps);
    column->nullable = flags[C_NULLABLE];
    column->key = flags[C_KEY];
    if (!describe_type(column))
        return line_error(ps, "column \"%s\" has type \"%s\" whose modifier PostgreSQL would not "
                              "accept",
                          column->name, column->type_name);
    return SL_OK;
}

static int schema_line(struct sl_change_json_reader *r, struct parser *ps, const struct line *ln,
                       const struct sl_change_sink *sink)
{
    struct sl_table_schema *schema = NULL;
    struct table_entry *entry;
    uint32_t count = 0;
    bool first = true;
    int rc;

    rc = require(ps, ln, 1u << F_SCHEMA | 1u << F_TABLE | 1u << F_COLUMNS, "a schema line");
    if (rc != SL_OK)
        return rc;
    /* pass two over "columns": count, then fill */
    ps->p = ln->text[F_COLUMNS].p;
    if (*ps->p != '[')
        return line_error(ps, "\"columns\" must be an array");
    while ((rc = next_element(ps, &first)) == 1) {
        if (++count > MAX_COLUMNS)
            return line_error(ps, "the schema line has more than %d columns", MAX_COLUMNS);
        rc = skip_value(ps, 1);
        if (rc != SL_OK)
            return rc;
    }
    if (rc != SL_OK)
        return rc;
    schema = sl_table_schema_new(count);
    if (schema == NULL)
        return no_memory(ps);
    schema->schema_name = sl_strndup(ln->text[F_SCHEMA].p, ln->text[F_SCHEMA].len);
    schema->table_name = sl_strndup(ln->text[F_TABLE].p, ln->text[F_TABLE].len);
    if (schema->schema_name == NULL || schema->table_name == NULL) {
        rc = no_memory(ps);
        goto fail;
    }
    ps->p = ln->text[F_COLUMNS].p;
    first = true;
    for (uint32_t i = 0; (rc = next_element(ps, &first)) == 1; i++) {
        rc = parse_column(ps, &schema->columns[i], i);
        if (rc != SL_OK)
            goto fail;
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(schema->columns[j].name, schema->columns[i].name) == 0) {
                rc = line_error(ps, "column \"%s\" appears twice in the schema line of %s.%s",
                                schema->columns[i].name, schema->schema_name, schema->table_name);
                goto fail;
            }
        }
    }
    if (rc != SL_OK)
        goto fail;
    entry = find_table(r, &ln->text[F_SCHEMA], &ln->text[F_TABLE],
                       name_hash(&ln->text[F_SCHEMA], &ln->text[F_TABLE]));
    if (entry != NULL && sl_table_schema_same_columns(entry->current, schema)) {
        sl_table_schema_free(schema); /* a repeat: nothing changed */
        return SL_OK;
    }
    rc = push_schema(r, ps, schema, &ln->text[F_SCHEMA], &ln->text[F_TABLE], &entry);
    if (rc != SL_OK)
        goto fail;
    schema = NULL; /* the reader owns it now */
    if (sink->schema != NULL) {
        rc = sink->schema(sink->ctx, entry->current, ps->err);
        if (rc != SL_OK)
            sl_error_prefix(ps->err, "line %" PRIu64, ps->line_no);
    }
    return rc;
fail:
    sl_table_schema_free(schema);
    return rc;
}

/* Parses a row kept raw by pass one. */
static int late_row(struct parser *ps, struct line *ln, int f)
{
    int rc;

    if (!(ln->seen & (1u << f)) || ln->parsed[f])
        return SL_OK;
    ps->p = ln->text[f].p;
    rc = parse_row(ps, ln->table->current, FIELD_NAMES[f], &ln->rows[f]);
    ln->parsed[f] = true;
    return rc;
}

static int change_line(struct sl_change_json_reader *r, struct parser *ps, struct line *ln,
                       const struct sl_change_sink *sink)
{
    const struct sl_value *before, *after;
    struct sl_change change;
    sl_lsn lsn, commit_lsn;
    int64_t xid, ts_ms;
    int rc;

    rc = require(ps, ln,
                 1u << F_SCHEMA | 1u << F_TABLE | 1u << F_LSN | 1u << F_COMMIT_LSN | 1u << F_XID |
                     1u << F_TS_MS | 1u << F_BEFORE | 1u << F_AFTER,
                 "a change line");
    if (rc != SL_OK)
        return rc;
    resolve_table(r, ln);
    if (ln->table == NULL)
        return line_error(ps, "a change of %.*s.%.*s comes before any schema line of that table "
                              "(feed the input from its start, as sluice tail wrote it)",
                          quote_len(&ln->text[F_SCHEMA]), ln->text[F_SCHEMA].p,
                          quote_len(&ln->text[F_TABLE]), ln->text[F_TABLE].p);
    rc = late_row(ps, ln, F_BEFORE);
    if (rc == SL_OK)
        rc = late_row(ps, ln, F_AFTER);
    if (rc == SL_OK)
        rc = lsn_of(ps, ln, F_LSN, &lsn);
    if (rc == SL_OK)
        rc = lsn_of(ps, ln, F_COMMIT_LSN, &commit_lsn);
    if (rc == SL_OK)
        rc = integer_of(ps, ln, F_XID, 0, UINT32_MAX, &xid);
    if (rc == SL_OK)
        rc = integer_of(ps, ln, F_TS_MS, INT64_MIN, INT64_MAX, &ts_ms);
    if (rc != SL_OK)
        return rc;
    before = ln->rows[F_BEFORE];
    after = ln->rows[F_AFTER];
    switch (ln->op) {
    case SL_OP_INSERT:
    case SL_OP_READ:
    case SL_OP_UPDATE:
        if (after == NULL)
            return line_error(ps, "op \"%c\" needs an \"after\" row", (char)ln->op);
        if (before != NULL && ln->op != SL_OP_UPDATE)
            return line_error(ps, "op \"%c\" must have \"before\": null", (char)ln->op);
        break;
    case SL_OP_DELETE:
        if (before == NULL || after != NULL)
            return line_error(ps, "op \"d\" needs a \"before\" row and \"after\": null");
        break;
    case SL_OP_TRUNCATE:
        if (before != NULL || after != NULL)
            return line_error(ps, "op \"t\" must have \"before\": null and \"after\": null");
        break;
    }

    /* the line is valid: deliver */
    if (!r->txn_open || r->txn.xid != (uint32_t)xid || r->txn.commit_lsn != commit_lsn) {
        if (r->txn_open) {
            r->txn_open = false;
            if (sink->commit != NULL && (rc = sink->commit(sink->ctx, &r->txn, ps->err)) != SL_OK)
                goto sink_failed;
        }
        r->txn.xid = (uint32_t)xid;
        r->txn.commit_lsn = commit_lsn;
        r->txn.end_lsn = commit_lsn; /* the JSON has no end LSN; see change.h */
        r->txn.commit_ts_ms = ts_ms;
        r->txn_open = true;
        if (sink->begin != NULL && (rc = sink->begin(sink->ctx, &r->txn, ps->err)) != SL_OK)
            goto sink_failed;
    }
    r->last = ln->table;
    memset(&change, 0, sizeof(change));
    change.op = ln->op;
    change.table = ln->table->current;
    change.txn = &r->txn;
    change.lsn = lsn;
    change.before = before;
    change.after = after;
    if (sink->change != NULL && (rc = sink->change(sink->ctx, &change, ps->err)) != SL_OK)
        goto sink_failed;
    return SL_OK;
sink_failed:
    sl_error_prefix(ps->err, "line %" PRIu64, ps->line_no);
    return rc;
}

/* ---------------------------------------------------------------- API */

int sl_change_json_reader_new(struct sl_change_json_reader **out)
{
    struct sl_change_json_reader *r = sl_calloc(1, sizeof(*r));
    *out = NULL;
    if (r == NULL)
        return SL_ENOMEM;
    sl_u64map_init(&r->by_name);
    sl_arena_init(&r->arena, LINE_ARENA_BLOCK);
    *out = r;
    return SL_OK;
}

void sl_change_json_reader_free(struct sl_change_json_reader *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nschemas; i++)
        sl_table_schema_free(r->schemas[i]);
    for (size_t i = 0; i < r->ntables; i++)
        sl_free(r->tables[i]);
    sl_free(r->schemas);
    sl_free(r->tables);
    sl_u64map_free(&r->by_name);
    sl_arena_free(&r->arena);
    sl_free(r);
}

int sl_change_json_reader_feed(struct sl_change_json_reader *r, const char *line, size_t len,
                               uint64_t line_no, const struct sl_change_sink *sink,
                               struct sl_error *err)
{
    struct parser ps = {line, line, line + len, line_no, &r->arena, err};
    struct line ln;
    int rc;

    skip_ws(&ps);
    if (ps.p == ps.end)
        return SL_OK; /* empty line */
    sl_arena_reset(&r->arena);
    memset(&ln, 0, sizeof(ln));
    if (*ps.p != '{')
        return syntax_error(&ps, ps.p, "a line must be one JSON object");
    rc = scan_line(&ps, r, &ln);
    if (rc != SL_OK)
        return rc;
    skip_ws(&ps);
    if (ps.p != ps.end)
        return syntax_error(&ps, ps.p, "unexpected bytes after the object");
    rc = require(&ps, &ln, 1u << F_OP, "a line");
    if (rc != SL_OK)
        return rc;
    if (span_is(&ln.text[F_OP], "schema"))
        return schema_line(r, &ps, &ln, sink);
    if (ln.op == 0)
        return line_error(&ps, "unknown op \"%.*s\" (expected c, u, d, t, r or schema)",
                          quote_len(&ln.text[F_OP]), ln.text[F_OP].p);
    return change_line(r, &ps, &ln, sink);
}

int sl_change_json_reader_finish(struct sl_change_json_reader *r, const struct sl_change_sink *sink,
                                 struct sl_error *err)
{
    if (!r->txn_open)
        return SL_OK;
    r->txn_open = false;
    if (sink->commit == NULL)
        return SL_OK;
    int rc = sink->commit(sink->ctx, &r->txn, err);
    if (rc != SL_OK)
        sl_error_prefix(err, "at the end of the input");
    return rc;
}

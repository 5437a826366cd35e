/*
 * Unit tests for src/hudi's format primitives: hoodie.properties, key
 * generators, Avro schemas and bloom filters, checked against the
 * Spark-written fixture tables (SLUICE_FIXTURES_DIR, unzipped into a temp
 * directory) and against golden values printed by Apache Hudi 0.15.0's own
 * classes (hudi-spark3.5-bundle_2.12-0.15.0.jar with pyspark 3.5's jars on
 * JDK 17): BloomFilterFactory.createBloomFilter(100, 0.01, 250, "DYNAMIC_V0")
 * .serializeToString(), Properties.store/load, BigDecimal/Double/Float/
 * LocalDate.toString, ComplexAvroKeyGenerator and TimestampBasedAvroKeyGenerator
 * (SCALAR, MICROSECONDS/DAYS, output.timezone=UTC).
 */
#include "hudi/hudi_format.h"
#include "sluice/parquet.h"
#include "sluice/storage.h"
#include "unit.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef SLUICE_FIXTURES_DIR
#error "SLUICE_FIXTURES_DIR must name tests/fixtures/hudi-spark-tables"
#endif

static const char GOLDEN_BLOOM_400[] =
    "/////wAAAAcBAAADvwAAAGQAAADIAAAAA/////8AAAAHAQAAA7++/bu7cblr7Vt2y2epfe9mnkBd/XS3K9ehjD99"
    "eew9qHuf+Wu8/M15X3j5f3O18e+uCv5zXr65qB7m9eXctjxjf/8/Pf6j0oq+ad5tPTL3Nn8ys2O477tb7tpqLl+q"
    "jBBOp//1u1l97j7sfZ+qvTd1cZq/84Um8Rf/////AAAABwEAAAO/6Te1q5se17g7TvtreSz+n37b73U/9//5/e23"
    "r/sX0V7sycdkHut7e8/Udci/5eciLKz32325/pNSxaV/fT95hW+fPvaTGp9v9Xi6zpMj56Uj1d2sXLGpdjHnLGPa"
    "h4UuPys/na0ePv/voL2/59xpR/9vv/ekbu8P/////wAAAAcBAAADv/r6djvL8tvTP5dtWd/u/ff7/+Rv1+KHq8xE"
    "ab7o7drf39iSytf/6vO2311nqlfeSvK49OpT/b37k5zYJ/35U0t2//5mqS9W6CtMrf0/aQrvbpw2PNh6s97Pj7z/"
    "YQQ+RdZJU5NVnKOU6v7Jtz0aWFcNNRnZvzoOIw==";
static const char GOLDEN_BLOOM_400_PLUS_50[] =
    "/////wAAAAcBAAADvwAAAGQAAAD6AAAAA/////8AAAAHAQAAA7++/bu7c7lr7Vt2y2epfe/mnkRd/XS3u9ehjj99"
    "fey9qHuf/eu8/M15X3j5f3O1+f+uCv5zX765qB7m9eXctj5jf/9/ff6j0pq+ad/tPTL3Nn8yt2e87/tb7tpqfl+6"
    "nRBut//9v1t97r7s/Z+r/Tf9cZu/86Un9Rf/////AAAABwEAAAO/6Te1q5ue1/g7TvtreSz+n37b/3W/9//5/f2/"
    "r/8X0V7sycd0Huv7e8/Udcy/5eciLKz32325/pNSxaV/fz99hW/fPvazWp9v9Xi6zpMj57Wj1d+sXPGpdjHnLHPa"
    "x4UuP2s/na1ePv/voP+/59xpf/9vv/ekbu8//////wAAAAcBAAADv/r6djvf8vvTP79tWd/+/ff7/+Rv1+KHq8xE"
    "ab7o/drf39iSytf/6vO2311nulfeavK49OpT/b37k53cb/35U2t3//5m7S9W6CvMrf2/aQrvbpw+Pdl6s97Pj7z/"
    "aca+RdZJW5NV/KOU6v7Ztz2af18dNTvZv7oOOw==";

/* ---------------------------------------------------------------- fixture helpers */

struct path_list {
    char **paths;
    size_t n, cap;
};

static void path_list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof(*l));
}

static void path_list_add(struct path_list *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->paths = realloc(l->paths, l->cap * sizeof(*l->paths));
    }
    l->paths[l->n++] = strdup(path);
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Files under dir whose names end with suffix (macOS "._" and __MACOSX skipped), sorted. */
static void walk(const char *dir, const char *suffix, struct path_list *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strncmp(e->d_name, "._", 2) == 0 || strcmp(e->d_name, "__MACOSX") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            walk(path, suffix, out);
        else if (has_suffix(e->d_name, suffix))
            path_list_add(out, path);
    }
    closedir(d);
    if (out->n > 1)
        qsort(out->paths, out->n, sizeof(*out->paths), compare_paths);
}

/* Unzips every fixture table into a new temp directory (dir gets its path). */
static bool fixtures_unpack(char *dir, size_t cap)
{
    DIR *d;
    struct dirent *e;
    int zips = 0;

    snprintf(dir, cap, "/tmp/sl-hudi-format-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return false;
    d = opendir(SLUICE_FIXTURES_DIR);
    if (d == NULL)
        return false;
    while ((e = readdir(d)) != NULL) {
        char cmd[4096];
        if (!has_suffix(e->d_name, ".zip"))
            continue;
        snprintf(cmd, sizeof(cmd), "unzip -q -o '%s/%s' -d '%s'", SLUICE_FIXTURES_DIR, e->d_name,
                 dir);
        if (system(cmd) != 0) {
            closedir(d);
            return false;
        }
        zips++;
    }
    closedir(d);
    return zips > 0;
}

static void fixtures_remove(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", dir);
}

/* Table directories (v6_* and v8_*) of an unpacked fixture dir, sorted. */
static void fixture_tables(const char *dir, struct path_list *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        if (e->d_name[0] != 'v')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        path_list_add(out, path);
    }
    closedir(d);
    if (out->n > 1)
        qsort(out->paths, out->n, sizeof(*out->paths), compare_paths);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long size;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        fclose(f);
        return NULL;
    }
    text[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return text;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool load_props(const char *table_dir, struct sl_hudi_props *props, char **text_out,
                       size_t *len_out)
{
    char path[2048];
    struct sl_error err = {0};
    size_t len = 0;
    char *text;
    int rc;

    snprintf(path, sizeof(path), "%s/.hoodie/hoodie.properties", table_dir);
    text = read_text(path, &len);
    if (text == NULL) {
        fprintf(stderr, "  cannot read %s\n", path);
        return false;
    }
    rc = sl_hudi_props_parse(text, len, props, &err);
    if (rc != SL_OK) {
        fprintf(stderr, "  %s: %s\n", path, err.message);
        free(text);
        return false;
    }
    if (text_out != NULL) {
        *text_out = text;
        *len_out = len;
    } else {
        free(text);
    }
    return true;
}

/* Splits "a,b,c" into at most max names (pointers into a copy the caller frees). */
static uint32_t split_fields(const char *list, char **copy, const char **names, uint32_t max)
{
    uint32_t n = 0;
    char *save = NULL;

    *copy = NULL;
    if (list == NULL || *list == '\0')
        return 0;
    *copy = strdup(list);
    for (char *tok = strtok_r(*copy, ",", &save); tok != NULL && n < max;
         tok = strtok_r(NULL, ",", &save))
        names[n++] = tok;
    return n;
}

/* ---------------------------------------------------------------- properties */

static void test_props_parse_every_fixture_and_checksum(void)
{
    char dir[256];
    struct path_list tables = {0};
    int checked = 0;

    REQUIRE(fixtures_unpack(dir, sizeof(dir)));
    fixture_tables(dir, &tables);
    CHECK(tables.n >= 9);
    for (size_t t = 0; t < tables.n; t++) {
        struct sl_hudi_props props = {0}, again = {0};
        struct sl_buf text;
        struct sl_error err = {0};
        char *orig = NULL, expect[32];
        size_t orig_len = 0;
        const char *name, *db, *sum, *schema;

        sl_buf_init(&text, 1 << 20);
        if (!load_props(tables.paths[t], &props, &orig, &orig_len)) {
            CHECK(false);
            continue;
        }
        name = sl_hudi_props_get(&props, "hoodie.table.name");
        db = sl_hudi_props_get(&props, "hoodie.database.name");
        sum = sl_hudi_props_get(&props, "hoodie.table.checksum");
        schema = sl_hudi_props_get(&props, "hoodie.table.create.schema");
        CHECK_STR(name, base_name(tables.paths[t]));
        REQUIRE(sum != NULL && name != NULL);
        snprintf(expect, sizeof(expect), "%lu", (unsigned long)sl_hudi_table_checksum(db, name));
        CHECK_STR(sum, expect);
        /* \: in the file becomes : */
        CHECK(schema != NULL && strncmp(schema, "{\"type\":\"record\",\"name\":", 24) == 0);
        CHECK(props.count >= 12);

        /* format -> parse gives the same entries in the same order, checksum last */
        CHECK_INT(sl_hudi_props_format_at(&props, INT64_C(1713479533522000), &text, &err), SL_OK);
        CHECK_INT(sl_hudi_props_parse(text.data, text.len, &again, &err), SL_OK);
        CHECK_INT(again.count, props.count);
        for (uint32_t i = 0, j = 0; i < props.count && j < again.count; i++) {
            if (strcmp(props.keys[i], "hoodie.table.checksum") == 0)
                continue;
            CHECK_STR(again.keys[j], props.keys[i]);
            CHECK_STR(again.values[j], props.values[i]);
            j++;
        }
        CHECK_STR(again.keys[again.count - 1], "hoodie.table.checksum");
        CHECK_STR(again.values[again.count - 1], sum);
        /* Spark's v6 files have the checksum last too: every line after the two comment
         * lines is byte-identical to what Java wrote */
        if (strncmp(base_name(tables.paths[t]), "v6_", 3) == 0) {
            const char *a = strchr(strchr(orig, '\n') + 1, '\n') + 1;
            const char *b = strchr(strchr(text.data, '\n') + 1, '\n') + 1;
            CHECK_STR(b, a);
            checked++;
        }
        CHECK(strncmp(text.data, "#Properties saved on 2024-04-18T22:32:13.522Z\n"
                                 "#Thu Apr 18 22:32:13 UTC 2024\n",
                      76) == 0);
        sl_hudi_props_free(&again);
        sl_hudi_props_free(&props);
        sl_buf_free(&text);
        free(orig);
    }
    CHECK_INT(checked, 7);
    CHECK_INT(sl_hudi_table_checksum("default", "v6_nonpartitioned"), 1363530505u);
    CHECK_INT(sl_hudi_table_checksum(NULL, "t"), sl_hudi_table_checksum("", "t"));
    CHECK(sl_hudi_table_checksum("a", "b") != sl_hudi_table_checksum("b", "a"));
    path_list_free(&tables);
    fixtures_remove(dir);
}

/* The tricky file of Oracle.java "load"; expected values are what Java's Properties.load read. */
static void test_props_parse_java_escapes(void)
{
    static const char text[] =
        "# comment line\n   ! another comment\n\n  \t lead=spaces before key\n"
        "key\\ with\\ spaces = value with  trailing  \na\\:b\\=c=d\\:e\ncolon:sep\n"
        "space sep   value\nempty=\nnovalue\nuni=\\u00e9\\u4E2D\\uD83D\\uDE00\nlatin=caf\xe9\n"
        "multi=one \\\n    two \\\n\tthree\ncrlf=x\r\ncr=y\rnext=z\n\\#notcomment=h\n"
        "tabs\t=\tt\\tv\\nw\npath=C:\\\\dir\\\\\ndup=first\ndup=second\n"
        "cont_comment=a\\\n# not a comment\neq==v\ntrail=end\\";
    static const char *const expect[][2] = {
        {"lead", "spaces before key"},
        {"key with spaces", "value with  trailing  "},
        {"a:b=c", "d:e"},
        {"colon", "sep"},
        {"space", "sep   value"},
        {"empty", ""},
        {"novalue", ""},
        {"uni", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"},
        {"latin", "caf\xc3\xa9"},
        {"multi", "one two three"},
        {"crlf", "x"},
        {"cr", "y"},
        {"next", "z"},
        {"#notcomment", "h"},
        {"tabs", "t\tv\nw"},
        {"path", "C:\\dir\\"},
        {"dup", "second"},
        {"cont_comment", "a# not a comment"},
        {"eq", "=v"},
        {"trail", "end"},
    };
    struct sl_hudi_props props = {0};
    struct sl_error err = {0};

    REQUIRE(sl_hudi_props_parse(text, sizeof(text) - 1, &props, &err) == SL_OK);
    CHECK_INT(props.count, SL_ARRAY_LEN(expect));
    for (size_t i = 0; i < SL_ARRAY_LEN(expect); i++) {
        CHECK_STR(sl_hudi_props_get(&props, expect[i][0]), expect[i][1]);
        if (i < props.count)
            CHECK_STR(props.keys[i], expect[i][0]); /* file order; dup kept its first place */
    }
    CHECK(sl_hudi_props_get(&props, "# comment line") == NULL);
    sl_hudi_props_free(&props);
    sl_hudi_props_free(&props); /* a freed struct is zeroed */

    /* malformed input is refused, naming the line */
    CHECK_INT(sl_hudi_props_parse("a=1\nb=\\u12\n", 12, &props, &err), SL_EPROTO);
    CHECK(strstr(err.message, "line 2") != NULL);
    CHECK_INT(props.count, 0);
    CHECK_INT(sl_hudi_props_parse("b=\\u12zz", 8, &props, &err), SL_EPROTO);
    CHECK_INT(sl_hudi_props_parse("b=\\uD800x", 9, &props, &err), SL_EPROTO);
    CHECK_INT(sl_hudi_props_parse("b=\\uDC00", 8, &props, &err), SL_EPROTO);
    CHECK_INT(sl_hudi_props_parse("b=\\u0000", 8, &props, &err), SL_EPROTO);
    CHECK_INT(sl_hudi_props_parse("b=a\0b", 5, &props, &err), SL_EPROTO);
    CHECK_INT(sl_hudi_props_parse("", 0, &props, &err), SL_OK);
    CHECK_INT(props.count, 0);
    CHECK_INT(sl_hudi_props_parse("#only\n  \n", 9, &props, &err), SL_OK);
    CHECK_INT(props.count, 0);
    sl_hudi_props_free(&props);
}

/* Lines Java's Properties.store wrote for one entry each (Oracle.java "props"). */
static void test_props_format_java_escapes(void)
{
    static const char *const cases[][3] = {
        {"a:b", "c=d", "a\\:b=c\\=d\n"},
        {"lead space", " v#1!x", "lead\\ space=\\ v\\#1\\!x\n"},
        {"t", "tab\there\nnl\r\fff", "t=tab\\there\\nnl\\r\\fff\n"},
        {"u", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", "u=\\u00E9\\u4E2D\\uD83D\\uDE00\n"},
        {"back", "C:\\dir\\x", "back=C\\:\\\\dir\\\\x\n"},
        {"#k", "!v", "\\#k=\\!v\n"},
        {"e", "", "e=\n"},
    };
    struct sl_error err = {0};

    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        struct sl_hudi_props props = {0}, back = {0};
        struct sl_buf text;
        char expect[256];
        sl_buf_init(&text, 4096);
        REQUIRE(sl_hudi_props_set(&props, "hoodie.table.name", "t") == SL_OK);
        REQUIRE(sl_hudi_props_set(&props, cases[i][0], cases[i][1]) == SL_OK);
        REQUIRE(sl_hudi_props_format_at(&props, 0, &text, &err) == SL_OK);
        snprintf(expect, sizeof(expect),
                 "#Properties saved on 1970-01-01T00:00:00Z\n#Thu Jan 01 00:00:00 UTC 1970\n"
                 "hoodie.table.name=t\n%shoodie.table.checksum=%lu\n",
                 cases[i][2], (unsigned long)sl_hudi_table_checksum(NULL, "t"));
        CHECK_STR(text.data, expect);
        CHECK_INT(sl_hudi_props_parse(text.data, text.len, &back, &err), SL_OK);
        CHECK_STR(sl_hudi_props_get(&back, cases[i][0]), cases[i][1]);
        sl_hudi_props_free(&back);
        sl_hudi_props_free(&props);
        sl_buf_free(&text);
    }
}

static void test_props_set_remove_and_errors(void)
{
    struct sl_hudi_props props = {0};
    struct sl_buf text;
    struct sl_error err = {0};
    bool leak_free = true;

    sl_buf_init(&text, 1 << 16);
    CHECK_INT(sl_hudi_props_set(&props, "a", "1"), SL_OK);
    CHECK_INT(sl_hudi_props_set(&props, "b", "2"), SL_OK);
    CHECK_INT(sl_hudi_props_set(&props, "a", "3"), SL_OK);
    CHECK_INT(props.count, 2);
    CHECK_STR(props.keys[0], "a");
    CHECK_STR(sl_hudi_props_get(&props, "a"), "3");
    CHECK_INT(sl_hudi_props_set(&props, NULL, "x"), SL_EINVAL);
    /* without a table name there is no checksum: refused */
    CHECK_INT(sl_hudi_props_format(&props, &text, &err), SL_EINVAL);
    CHECK(strstr(err.message, "hoodie.table.name") != NULL);
    CHECK_INT(text.len, 0);
    CHECK_INT(sl_hudi_props_set(&props, "hoodie.table.name", "t"), SL_OK);
    CHECK_INT(sl_hudi_props_set(&props, "bad", "\xff"), SL_OK);
    CHECK_INT(sl_hudi_props_format(&props, &text, &err), SL_EINVAL);
    CHECK(strstr(err.message, "UTF-8") != NULL);
    sl_hudi_props_remove(&props, "bad");
    sl_hudi_props_remove(&props, "absent");
    CHECK_INT(props.count, 3);
    CHECK_INT(sl_hudi_props_format(&props, &text, &err), SL_OK);
    CHECK(strstr(text.data, "\na=3\nb=2\nhoodie.table.name=t\nhoodie.table.checksum=") != NULL);
    /* allocation failures leave the props as they were */
    for (long nth = 1; nth <= 3; nth++) {
        sl_alloc_fail_after(nth);
        int rc = sl_hudi_props_set(&props, "new", "v");
        sl_alloc_fail_after(0);
        if (rc == SL_OK) {
            sl_hudi_props_remove(&props, "new");
            break;
        }
        if (rc != SL_ENOMEM || props.count != 3)
            leak_free = false;
    }
    CHECK(leak_free);
    /* a failing parse leaves an empty struct */
    for (long nth = 1; nth <= 6; nth++) {
        struct sl_hudi_props parsed = {0};
        sl_alloc_fail_after(nth);
        int rc = sl_hudi_props_parse("a=1\nb=2\nc=3\n", 12, &parsed, &err);
        sl_alloc_fail_after(0);
        CHECK(rc == SL_OK || (rc == SL_ENOMEM && parsed.count == 0 && parsed.keys == NULL));
        sl_hudi_props_free(&parsed);
    }
    sl_hudi_props_free(&props);
    sl_buf_free(&text);
}

/* ---------------------------------------------------------------- key generators */

/* The value of row `row` in Hudi's string form, from a column as the reader returns it. */
static void value_text(const struct sl_parquet_column_info *info,
                       const struct sl_parquet_column_values *v, uint32_t row, char *buf,
                       size_t cap, struct sl_hudi_key_value *out)
{
    out->is_null = v->valid != NULL && !v->valid[row];
    out->text = buf;
    out->len = 0;
    buf[0] = '\0';
    if (out->is_null)
        return;
    switch (info->physical) {
    case 0:
        out->len = sl_hudi_key_text_bool(v->u.booleans[row] != 0, buf, cap);
        break;
    case 1:
        if (info->type == SL_PARQUET_COL_DATE)
            out->len = sl_hudi_key_text_date(v->u.i32[row], buf, cap);
        else
            out->len = sl_hudi_key_text_int64(v->u.i32[row], buf, cap);
        break;
    case 2:
        out->len = sl_hudi_key_text_int64(v->u.i64[row], buf, cap);
        break;
    case 4:
        out->len = sl_hudi_key_text_float(v->u.f32[row], buf, cap);
        break;
    case 5:
        out->len = sl_hudi_key_text_double(v->u.f64[row], buf, cap);
        break;
    case 6:
        out->text = (const char *)v->u.bytes.data + v->u.bytes.offsets[row];
        out->len = v->u.bytes.offsets[row + 1] - v->u.bytes.offsets[row];
        break;
    case 7:
        out->len = sl_hudi_key_text_decimal(v->u.fixed + (size_t)row * (size_t)info->type_length,
                                            (size_t)info->type_length, info->scale, buf, cap);
        break;
    default:
        break;
    }
}

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* "2023-04-01T12:01:00.123Z" (the timebased fixture's input.dateformat) to micros. */
static bool parse_iso_micros(const char *text, size_t len, int64_t *micros)
{
    char copy[64];
    int y, mo, d, h, mi, s, ms;

    if (len >= sizeof(copy))
        return false;
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (sscanf(copy, "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) != 7)
        return false;
    *micros = ((sl_unix_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000 + ms) *
              1000;
    return true;
}

/* Recomputes _hoodie_record_key and _hoodie_partition_path of every row of one file. */
static int check_file_keys(const char *path, const struct sl_hudi_props *props)
{
    const char *key_fields[8], *part_fields[8];
    char *key_copy = NULL, *part_copy = NULL;
    uint32_t nkey, npart, rows_checked = 0;
    enum sl_hudi_keygen kg;
    struct sl_read_file file = {0};
    struct sl_parquet_reader *reader = NULL;
    struct sl_error err = {0};
    struct sl_buf key, part;
    const char *cls = sl_hudi_props_get(props, "hoodie.table.keygenerator.class");
    const char *type = sl_hudi_props_get(props, "hoodie.table.keygenerator.type");
    const char *hive = sl_hudi_props_get(props, "hoodie.datasource.write.hive_style_partitioning");
    const char *out_format = sl_hudi_props_get(props, "hoodie.keygen.timebased.output.dateformat");

    sl_buf_init(&key, 4096);
    sl_buf_init(&part, 4096);
    if ((cls ? sl_hudi_keygen_from_class(cls, &kg, &err) : sl_hudi_keygen_from_type(type, &kg, &err)) !=
        SL_OK) {
        fprintf(stderr, "  %s: %s\n", path, err.message);
        return -1;
    }
    nkey = split_fields(sl_hudi_props_get(props, "hoodie.table.recordkey.fields"), &key_copy,
                        key_fields, 8);
    npart = split_fields(sl_hudi_props_get(props, "hoodie.table.partition.fields"), &part_copy,
                         part_fields, 8);
    if (kg == SL_HUDI_KEYGEN_NONPARTITIONED)
        npart = 0;
    if (sl_file_read_open(path, &file, &err) != SL_OK ||
        sl_parquet_reader_open(&file, path, &reader, &err) != SL_OK) {
        fprintf(stderr, "  %s: %s\n", path, err.message);
        goto done;
    }
    for (uint32_t rg = 0; rg < sl_parquet_reader_num_row_groups(reader); rg++) {
        struct sl_parquet_column_values meta_key, meta_part, kv[8], pv[8];
        int c_key = sl_parquet_reader_find_column(reader, "_hoodie_record_key");
        int c_part = sl_parquet_reader_find_column(reader, "_hoodie_partition_path");
        int64_t nrows = sl_parquet_reader_row_group_rows(reader, rg);
        int kc[8], pc[8];
        if (c_key < 0 || c_part < 0 ||
            sl_parquet_reader_read_column(reader, rg, (uint32_t)c_key, &meta_key, &err) != SL_OK ||
            sl_parquet_reader_read_column(reader, rg, (uint32_t)c_part, &meta_part, &err) != SL_OK) {
            fprintf(stderr, "  %s: meta columns: %s\n", path, err.message);
            goto done;
        }
        for (uint32_t i = 0; i < nkey; i++) {
            kc[i] = sl_parquet_reader_find_column(reader, key_fields[i]);
            if (kc[i] < 0 || sl_parquet_reader_read_column(reader, rg, (uint32_t)kc[i], &kv[i], &err))
                goto done;
        }
        for (uint32_t i = 0; i < npart; i++) {
            pc[i] = sl_parquet_reader_find_column(reader, part_fields[i]);
            if (pc[i] < 0 || sl_parquet_reader_read_column(reader, rg, (uint32_t)pc[i], &pv[i], &err))
                goto done;
        }
        for (uint32_t r = 0; r < (uint32_t)nrows; r++) {
            char kbuf[8][SL_HUDI_KEY_TEXT_MAX], pbuf[8][SL_HUDI_KEY_TEXT_MAX];
            struct sl_hudi_key_value kvals[8], pvals[8], want_key, want_part;
            char scratch[2][8];
            value_text(sl_parquet_reader_column(reader, (uint32_t)c_key), &meta_key, r, scratch[0],
                       sizeof(scratch[0]), &want_key);
            value_text(sl_parquet_reader_column(reader, (uint32_t)c_part), &meta_part, r,
                       scratch[1], sizeof(scratch[1]), &want_part);
            for (uint32_t i = 0; i < nkey; i++)
                value_text(sl_parquet_reader_column(reader, (uint32_t)kc[i]), &kv[i], r, kbuf[i],
                           sizeof(kbuf[i]), &kvals[i]);
            for (uint32_t i = 0; i < npart; i++) {
                value_text(sl_parquet_reader_column(reader, (uint32_t)pc[i]), &pv[i], r, pbuf[i],
                           sizeof(pbuf[i]), &pvals[i]);
                if (kg == SL_HUDI_KEYGEN_TIMESTAMP) { /* DATE_STRING input, the table's output format */
                    int64_t micros = 0;
                    char *text = pbuf[i];
                    if (!parse_iso_micros(pvals[i].text, pvals[i].len, &micros))
                        goto done;
                    pvals[i].text = text;
                    pvals[i].len = sl_hudi_time_format(micros, out_format, text, sizeof(pbuf[i]));
                }
            }
            sl_buf_reset(&key);
            sl_buf_reset(&part);
            if (sl_hudi_record_key(kg, key_fields, kvals, nkey, &key, &err) != SL_OK ||
                sl_hudi_partition_path(part_fields, pvals, npart, hive && strcmp(hive, "true") == 0,
                                       &part, &err) != SL_OK) {
                fprintf(stderr, "  %s row %u: %s\n", path, r, err.message);
                goto done;
            }
            if (want_key.is_null || !same_bytes(key.data, key.len, want_key.text, want_key.len) ||
                !same_bytes(part.data, part.len, want_part.text, want_part.len)) {
                fprintf(stderr, "  %s row %u: got key \"%s\" partition \"%s\", want \"%.*s\" \"%.*s\"\n",
                        path, r, key.data, part.data ? part.data : "", (int)want_key.len,
                        want_key.text, (int)want_part.len, want_part.text);
                goto done;
            }
            rows_checked++;
        }
    }
done:
    sl_parquet_reader_free(reader);
    if (file.destroy != NULL)
        file.destroy(file.ctx);
    free(key_copy);
    free(part_copy);
    sl_buf_free(&key);
    sl_buf_free(&part);
    return (int)rows_checked;
}

static void test_keygen_recomputes_every_fixture_row(void)
{
    char dir[256];
    struct path_list tables = {0};
    int total = 0;

    REQUIRE(fixtures_unpack(dir, sizeof(dir)));
    fixture_tables(dir, &tables);
    for (size_t t = 0; t < tables.n; t++) {
        struct sl_hudi_props props = {0};
        struct path_list files = {0};
        const char *meta;
        if (!load_props(tables.paths[t], &props, NULL, NULL)) {
            CHECK(false);
            continue;
        }
        meta = sl_hudi_props_get(&props, "hoodie.populate.meta.fields");
        walk(tables.paths[t], ".parquet", &files);
        for (size_t f = 0; f < files.n && !(meta && strcmp(meta, "false") == 0); f++) {
            char path[2048];
            struct sl_read_file rf;
            int64_t expect_rows = -1;
            struct sl_parquet_reader *reader = NULL;
            int rows = check_file_keys(files.paths[f], &props);
            snprintf(path, sizeof(path), "%s", files.paths[f]);
            if (sl_file_read_open(path, &rf, NULL) == SL_OK) {
                if (sl_parquet_reader_open(&rf, path, &reader, NULL) == SL_OK)
                    expect_rows = sl_parquet_reader_num_rows(reader);
                sl_parquet_reader_free(reader);
                rf.destroy(rf.ctx);
            }
            if (rows != expect_rows || rows <= 0)
                fprintf(stderr, "  %s: %d of %lld rows match\n", path, rows, (long long)expect_rows);
            CHECK(rows == expect_rows && rows > 0);
            total += rows;
        }
        path_list_free(&files);
        sl_hudi_props_free(&props);
    }
    CHECK(total >= 40);
    path_list_free(&tables);
    fixtures_remove(dir);
}

static struct sl_hudi_key_value kv_text(const char *text)
{
    struct sl_hudi_key_value v = {text, text ? strlen(text) : 0, text == NULL};
    return v;
}

static void test_keygen_rules(void)
{
    const char *f2[] = {"id", "name"}, *f1[] = {"id"};
    struct sl_hudi_key_value v[2];
    struct sl_error err = {0};
    struct sl_buf out;

    sl_buf_init(&out, 1024);
    v[0] = kv_text("1");
    v[1] = kv_text("Alice");
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_COMPLEX, f2, v, 2, &out, &err), SL_OK);
    CHECK_STR(out.data, "id:1,name:Alice");
    sl_buf_reset(&out);
    v[1] = kv_text(NULL);
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_COMPLEX, f2, v, 2, &out, &err), SL_OK);
    CHECK_STR(out.data, "id:1,name:__null__");
    sl_buf_reset(&out);
    v[1] = kv_text("");
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_CUSTOM, f2, v, 2, &out, &err), SL_OK);
    CHECK_STR(out.data, "id:1,name:__empty__");
    sl_buf_reset(&out);
    v[0] = kv_text(NULL);
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_COMPLEX, f2, v, 2, &out, &err), SL_EINVAL);
    CHECK(strstr(err.message, "id:__null__,name:__empty__") != NULL);
    CHECK_INT(out.len, 0);
    /* one field: the bare value for simple/timestamp/nonpartitioned/custom, "f:v" for complex */
    v[0] = kv_text("42");
    for (int kg = SL_HUDI_KEYGEN_SIMPLE; kg <= SL_HUDI_KEYGEN_CUSTOM; kg++) {
        sl_buf_reset(&out);
        CHECK_INT(sl_hudi_record_key((enum sl_hudi_keygen)kg, f1, v, 1, &out, &err), SL_OK);
        CHECK_STR(out.data, kg == SL_HUDI_KEYGEN_COMPLEX ? "id:42" : "42");
    }
    sl_buf_reset(&out);
    v[0] = kv_text("");
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_SIMPLE, f1, v, 1, &out, &err), SL_EINVAL);
    CHECK(strstr(err.message, "\"id\"") != NULL && strstr(err.message, "empty") != NULL);
    v[0] = kv_text(NULL);
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_NONPARTITIONED, f1, v, 1, &out, &err), SL_EINVAL);
    CHECK(strstr(err.message, "null") != NULL);
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_SIMPLE, f2, v, 2, &out, &err), SL_EINVAL);
    CHECK_INT(sl_hudi_record_key(SL_HUDI_KEYGEN_SIMPLE, f1, v, 0, &out, &err), SL_EINVAL);
    CHECK_INT(out.len, 0);

    /* partition paths (Oracle.java "keys": s=__HIVE_DEFAULT_PARTITION__ for empty and null) */
    v[0] = kv_text("x");
    v[1] = kv_text("");
    CHECK_INT(sl_hudi_partition_path(f2, v, 2, true, &out, &err), SL_OK);
    CHECK_STR(out.data, "id=x/name=__HIVE_DEFAULT_PARTITION__");
    sl_buf_reset(&out);
    v[1] = kv_text(NULL);
    CHECK_INT(sl_hudi_partition_path(f2, v, 2, false, &out, &err), SL_OK);
    CHECK_STR(out.data, "x/__HIVE_DEFAULT_PARTITION__");
    sl_buf_reset(&out);
    CHECK_INT(sl_hudi_partition_path(NULL, NULL, 0, true, &out, &err), SL_OK);
    CHECK_INT(out.len, 0);

    /* class and type names */
    enum sl_hudi_keygen kg;
    CHECK_STR(sl_hudi_keygen_class(SL_HUDI_KEYGEN_SIMPLE), "org.apache.hudi.keygen.SimpleKeyGenerator");
    CHECK_INT(sl_hudi_keygen_from_class("org.apache.hudi.keygen.ComplexAvroKeyGenerator", &kg, &err),
              SL_OK);
    CHECK_INT(kg, SL_HUDI_KEYGEN_COMPLEX);
    for (int k = SL_HUDI_KEYGEN_SIMPLE; k <= SL_HUDI_KEYGEN_CUSTOM; k++) {
        CHECK_INT(sl_hudi_keygen_from_class(sl_hudi_keygen_class((enum sl_hudi_keygen)k), &kg, &err),
                  SL_OK);
        CHECK_INT(kg, k);
    }
    CHECK_INT(sl_hudi_keygen_from_type("NON_PARTITION", &kg, &err), SL_OK);
    CHECK_INT(kg, SL_HUDI_KEYGEN_NONPARTITIONED);
    CHECK_INT(sl_hudi_keygen_from_class("com.example.MyKeyGen", &kg, &err), SL_EINVAL);
    CHECK(strstr(err.message, "com.example.MyKeyGen") != NULL);
    sl_buf_free(&out);
}

/* Expected strings from Oracle.java "text" (Java 17: BigDecimal, Double, Float, LocalDate). */
static void test_key_text_matches_java(void)
{
    static const struct {
        int64_t unscaled;
        int32_t scale;
        const char *text;
    } decimals[] = {
        {1234567890, 5, "12345.67890"}, {1, 10, "1E-10"},         {0, 7, "0E-7"},
        {0, 6, "0.000000"},             {-1, 2, "-0.01"},         {123, 0, "123"},
        {12345, 10, "0.0000012345"},    {1234, 10, "1.234E-7"},   {-1234, 10, "-1.234E-7"},
        {-5, 0, "-5"},                  {100, 1, "10.0"},
        {INT64_MIN, 3, "-9223372036854775.808"},
    };
    static const struct {
        double v;
        const char *text;
    } doubles[] = {
        {1.0, "1.0"},          {0.1, "0.1"},          {1e7, "1.0E7"},
        {1234567.0, "1234567.0"}, {0.001, "0.001"},   {0.0001, "1.0E-4"},
        {3.14159, "3.14159"},  {-0.0, "-0.0"},        {1e-300, "1.0E-300"},
        {2.5e-5, "2.5E-5"},    {123456789.0, "1.23456789E8"}, {9999999.999, "9999999.999"},
        {1.0e22, "1.0E22"},    {4.9e-324, "4.9E-324"}, {1.7976931348623157e308, "1.7976931348623157E308"},
        {2.718281828459045, "2.718281828459045"}, {100.0, "100.0"}, {0.3, "0.3"},
    };
    static const struct {
        float v;
        const char *text;
    } floats[] = {
        {1.1f, "1.1"},     {3.0f, "3.0"},         {1e10f, "1.0E10"},       {0.1f, "0.1"},
        {3.4028235e38f, "3.4028235E38"}, {1.4e-45f, "1.4E-45"}, {16777216.0f, "1.6777216E7"},
        {0.001f, "0.001"}, {9999999.0f, "9999999.0"}, {1.0e7f, "1.0E7"},
    };
    static const struct {
        int32_t days;
        const char *text;
    } dates[] = {
        {0, "1970-01-01"},       {19448, "2023-04-01"},   {-719528, "0000-01-01"},
        {2932897, "+10000-01-01"}, {-1, "1969-12-31"},    {-719893, "-0001-01-01"},
        {-1000000, "-0768-02-04"},
    };
    char text[SL_HUDI_KEY_TEXT_MAX];

    for (size_t i = 0; i < SL_ARRAY_LEN(decimals); i++) {
        uint8_t be[8];
        for (int b = 0; b < 8; b++)
            be[b] = (uint8_t)((uint64_t)decimals[i].unscaled >> (56 - 8 * b));
        CHECK_INT(sl_hudi_key_text_decimal(be, 8, decimals[i].scale, text, sizeof(text)),
                  strlen(decimals[i].text));
        CHECK_STR(text, decimals[i].text);
    }
    /* 38 nines over 16 bytes (Oracle: -9999999999999999999999999999.9999999999) */
    {
        static const uint8_t nines[16] = {0xb4, 0xc4, 0xb3, 0x57, 0xa5, 0x79, 0x3b, 0x85,
                                          0xf6, 0x75, 0xdd, 0xc0, 0x00, 0x00, 0x00, 0x01};
        sl_hudi_key_text_decimal(nines, 16, 10, text, sizeof(text));
        CHECK_STR(text, "-9999999999999999999999999999.9999999999");
        /* the fixture's 5-byte decimal(10,5) 12345.67890 */
        static const uint8_t five[5] = {0x00, 0x49, 0x96, 0x02, 0xd2};
        sl_hudi_key_text_decimal(five, 5, 5, text, sizeof(text));
        CHECK_STR(text, "12345.67890");
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(doubles); i++) {
        sl_hudi_key_text_double(doubles[i].v, text, sizeof(text));
        CHECK_STR(text, doubles[i].text);
    }
    sl_hudi_key_text_double(NAN, text, sizeof(text));
    CHECK_STR(text, "NaN");
    sl_hudi_key_text_double(-INFINITY, text, sizeof(text));
    CHECK_STR(text, "-Infinity");
    for (size_t i = 0; i < SL_ARRAY_LEN(floats); i++) {
        sl_hudi_key_text_float(floats[i].v, text, sizeof(text));
        CHECK_STR(text, floats[i].text);
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(dates); i++) {
        sl_hudi_key_text_date(dates[i].days, text, sizeof(text));
        CHECK_STR(text, dates[i].text);
    }
    CHECK_INT(sl_hudi_key_text_int64(INT64_MIN, text, sizeof(text)), 20);
    CHECK_STR(text, "-9223372036854775808");
    CHECK_INT(sl_hudi_key_text_bool(true, text, sizeof(text)), 4);
    CHECK_STR(text, "true");
    CHECK_INT(sl_hudi_key_text_int64(12345, text, 5), 0); /* no room for the NUL */
    CHECK_STR(text, "");
}

/* Oracle.java "keys": TimestampBasedAvroKeyGenerator, SCALAR, MICROSECONDS, output.timezone UTC. */
static void test_time_partition_values_match_hudi(void)
{
    static const struct {
        int64_t micros;
        const char *hour;
    } hours[] = {
        {-1, "1970-01-01-00"},     {-999, "1970-01-01-00"}, {-1000, "1969-12-31-23"},
        {-1001, "1969-12-31-23"},  {1, "1970-01-01-00"},    {INT64_C(86399999999), "1970-01-01-23"},
        {INT64_C(86400000000), "1970-01-02-00"}, {INT64_C(253402300799999999), "9999-12-31-23"},
    };
    const int64_t ts = INT64_C(1680350460123456); /* 2023-04-01T12:01:00.123456Z */
    char text[64];

    for (size_t i = 0; i < SL_ARRAY_LEN(hours); i++) {
        CHECK_INT(sl_hudi_time_partition_value(hours[i].micros, SL_HUDI_TIME_HOUR, text, sizeof(text)),
                  strlen(hours[i].hour));
        CHECK_STR(text, hours[i].hour);
    }
    sl_hudi_time_partition_value(ts, SL_HUDI_TIME_YEAR, text, sizeof(text));
    CHECK_STR(text, "2023");
    sl_hudi_time_partition_value(ts, SL_HUDI_TIME_MONTH, text, sizeof(text));
    CHECK_STR(text, "2023-04");
    sl_hudi_time_partition_value(ts, SL_HUDI_TIME_DAY, text, sizeof(text));
    CHECK_STR(text, "2023-04-01");
    sl_hudi_time_partition_value(ts, SL_HUDI_TIME_HOUR, text, sizeof(text));
    CHECK_STR(text, "2023-04-01-12");
    /* date column with scalar.time.unit=DAYS: days * 86400000000; NULL is days = 1 */
    sl_hudi_time_partition_value(INT64_C(-1) * INT64_C(86400000000), SL_HUDI_TIME_MONTH, text,
                                 sizeof(text));
    CHECK_STR(text, "1969-12");
    sl_hudi_time_partition_value(INT64_C(1) * INT64_C(86400000000), SL_HUDI_TIME_DAY, text,
                                 sizeof(text));
    CHECK_STR(text, "1970-01-02");
    /* the whole pattern subset, quotes included */
    CHECK_INT(sl_hudi_time_format(ts, "yyyy/MM/dd/HH", text, sizeof(text)), 13);
    CHECK_STR(text, "2023/04/01/12");
    sl_hudi_time_format(ts, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z' '' 'it''s'", text, sizeof(text));
    CHECK_STR(text, "2023-04-01T12:01:00.123Z ' it's");
    CHECK_INT(sl_hudi_time_format(ts, "yyyy-MM-dd zzz", text, sizeof(text)), 0);
    CHECK_INT(sl_hudi_time_partition_value(ts, SL_HUDI_TIME_DAY, text, 10), 0);
    CHECK_STR(text, "");
    CHECK_STR(sl_hudi_time_unit_format(SL_HUDI_TIME_HOUR), "yyyy-MM-dd-HH");
}

/* ---------------------------------------------------------------- Avro schemas */

static void check_schema_round_trip(const char *where, const char *text, bool with_meta,
                                    int *exact)
{
    struct sl_hudi_schema *schema = NULL;
    struct sl_error err = {0};
    struct sl_buf out;

    sl_buf_init(&out, 1 << 20);
    if (sl_hudi_schema_from_avro(text, strlen(text), &schema, &err) != SL_OK) {
        fprintf(stderr, "  %s: %s\n", where, err.message);
        CHECK(false);
        return;
    }
    CHECK_INT(sl_hudi_schema_to_avro(schema, with_meta, &out, &err), SL_OK);
    if (out.data != NULL && strcmp(out.data, text) == 0) {
        (*exact)++;
    } else {
        /* not byte-identical: at least equal as JSON */
        json_t *a = json_loads(text, 0, NULL), *b = json_loads(out.data ? out.data : "", 0, NULL);
        fprintf(stderr, "  %s: not byte-identical\n    spark: %s\n    ours:  %s\n", where, text,
                out.data);
        CHECK(a != NULL && b != NULL && json_equal(a, b));
        json_decref(a);
        json_decref(b);
    }
    /* the fixtures' shared fields are typed as Spark wrote them */
    for (uint32_t i = 0; i < schema->nfields; i++) {
        const struct sl_hudi_field *f = &schema->fields[i];
        CHECK(f->nullable);
        CHECK(f->avro_json != NULL);
        if (strcmp(f->name, "decimalField") == 0)
            CHECK(f->type == SL_HUDI_DECIMAL && f->precision == 10 && f->scale == 5 &&
                  f->fixed_size == 5);
        else if (strcmp(f->name, "dateField") == 0)
            CHECK_INT(f->type, SL_HUDI_DATE);
        else if (strcmp(f->name, "timestampField") == 0)
            CHECK_INT(f->type, SL_HUDI_TIMESTAMP_MICROS);
        else if (strcmp(f->name, "arrayField") == 0 || strcmp(f->name, "mapField") == 0 ||
                 strcmp(f->name, "structField") == 0)
            CHECK_INT(f->type, SL_HUDI_UNSUPPORTED);
        else if (strcmp(f->name, "id") == 0)
            CHECK_INT(f->type, SL_HUDI_INT);
        else if (strcmp(f->name, "binaryField") == 0)
            CHECK_INT(f->type, SL_HUDI_BYTES);
        CHECK(strncmp(f->name, "_hoodie_", 8) != 0);
    }
    sl_hudi_schema_free(schema);
    sl_buf_free(&out);
}

static void test_avro_schemas_of_every_commit_and_footer(void)
{
    char dir[256];
    struct path_list tables = {0};
    int exact = 0, total = 0;

    REQUIRE(fixtures_unpack(dir, sizeof(dir)));
    fixture_tables(dir, &tables);
    for (size_t t = 0; t < tables.n; t++) {
        struct path_list commits = {0}, files = {0};
        struct sl_hudi_props props = {0};
        char hoodie[2048];
        snprintf(hoodie, sizeof(hoodie), "%s/.hoodie", tables.paths[t]);
        /* table version 6 commits are JSON (version 8's are Avro containers) */
        if (strncmp(base_name(tables.paths[t]), "v6_", 3) == 0) {
            walk(hoodie, "commit", &commits);
            for (size_t c = 0; c < commits.n; c++) {
                size_t len = 0;
                char *text = read_text(commits.paths[c], &len);
                json_t *root = text ? json_loadb(text, len, 0, NULL) : NULL;
                const char *schema = json_string_value(
                    json_object_get(json_object_get(root, "extraMetadata"), "schema"));
                if (has_suffix(commits.paths[c], ".commit") ||
                    has_suffix(commits.paths[c], ".replacecommit")) {
                    CHECK(schema != NULL);
                    if (schema != NULL) {
                        check_schema_round_trip(commits.paths[c], schema, false, &exact);
                        total++;
                    }
                }
                json_decref(root);
                free(text);
            }
        }
        walk(tables.paths[t], ".parquet", &files);
        for (size_t f = 0; f < files.n; f++) {
            struct sl_read_file rf = {0};
            struct sl_parquet_reader *reader = NULL;
            const char *schema;
            if (sl_file_read_open(files.paths[f], &rf, NULL) != SL_OK ||
                sl_parquet_reader_open(&rf, files.paths[f], &reader, NULL) != SL_OK) {
                CHECK(false);
            } else if ((schema = sl_parquet_reader_kv(reader, "parquet.avro.schema")) != NULL) {
                check_schema_round_trip(files.paths[f], schema, true, &exact);
                total++;
            } else {
                CHECK(false);
            }
            sl_parquet_reader_free(reader);
            if (rf.destroy)
                rf.destroy(rf.ctx);
        }
        /* the create schema (unions as ["int","null"], no defaults) reads the same fields */
        if (load_props(tables.paths[t], &props, NULL, NULL)) {
            const char *create = sl_hudi_props_get(&props, "hoodie.table.create.schema");
            struct sl_hudi_schema *s = NULL;
            struct sl_error err = {0};
            CHECK_INT(sl_hudi_schema_from_avro(create, strlen(create), &s, &err), SL_OK);
            CHECK(s != NULL && s->nfields >= 3 && s->fields[0].nullable &&
                  s->fields[0].type == SL_HUDI_INT);
            sl_hudi_schema_free(s);
        }
        sl_hudi_props_free(&props);
        path_list_free(&commits);
        path_list_free(&files);
    }
    fprintf(stderr, "  %d of %d Spark schemas reproduced byte for byte\n", exact, total);
    CHECK(total >= 40);
    CHECK_INT(exact, total);
    path_list_free(&tables);
    fixtures_remove(dir);
}

static struct sl_hudi_schema *build_schema(void)
{
    static const struct {
        const char *name;
        enum sl_hudi_type type;
        bool nullable;
        int32_t precision, scale;
    } cols[] = {
        {"id", SL_HUDI_LONG, false, 0, 0},
        {"flag", SL_HUDI_BOOLEAN, true, 0, 0},
        {"n", SL_HUDI_INT, true, 0, 0},
        {"f", SL_HUDI_FLOAT, true, 0, 0},
        {"d", SL_HUDI_DOUBLE, true, 0, 0},
        {"s", SL_HUDI_STRING, true, 0, 0},
        {"b", SL_HUDI_BYTES, true, 0, 0},
        {"amount", SL_HUDI_DECIMAL, true, 38, 10},
        {"day", SL_HUDI_DATE, true, 0, 0},
        {"at", SL_HUDI_TIMESTAMP_MICROS, true, 0, 0},
        {"at_ms", SL_HUDI_TIMESTAMP_MILLIS, true, 0, 0},
        {"wall", SL_HUDI_LOCAL_TIMESTAMP_MICROS, true, 0, 0},
    };
    struct sl_hudi_schema *s = sl_hudi_schema_new(SL_ARRAY_LEN(cols));

    if (s == NULL || sl_hudi_schema_set_table(s, "orders") != SL_OK) {
        sl_hudi_schema_free(s);
        return NULL;
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(cols); i++) {
        s->fields[i].name = sl_strdup(cols[i].name);
        s->fields[i].type = cols[i].type;
        s->fields[i].nullable = cols[i].nullable;
        s->fields[i].precision = cols[i].precision;
        s->fields[i].scale = cols[i].scale;
    }
    return s;
}

static void test_avro_build_copy_and_errors(void)
{
    static const char expect[] =
        "{\"type\":\"record\",\"name\":\"orders_record\",\"namespace\":\"hoodie.orders\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},"
        "{\"name\":\"flag\",\"type\":[\"null\",\"boolean\"],\"default\":null},"
        "{\"name\":\"n\",\"type\":[\"null\",\"int\"],\"default\":null},"
        "{\"name\":\"f\",\"type\":[\"null\",\"float\"],\"default\":null},"
        "{\"name\":\"d\",\"type\":[\"null\",\"double\"],\"default\":null},"
        "{\"name\":\"s\",\"type\":[\"null\",\"string\"],\"default\":null},"
        "{\"name\":\"b\",\"type\":[\"null\",\"bytes\"],\"default\":null},"
        "{\"name\":\"amount\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"fixed\","
        "\"namespace\":\"hoodie.orders.orders_record.amount\",\"size\":16,\"logicalType\":\"decimal\","
        "\"precision\":38,\"scale\":10}],\"default\":null},"
        "{\"name\":\"day\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},"
        "{\"name\":\"at\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}],"
        "\"default\":null},"
        "{\"name\":\"at_ms\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}],"
        "\"default\":null},"
        "{\"name\":\"wall\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":"
        "\"local-timestamp-micros\"}],\"default\":null}]}";
    struct sl_hudi_schema *s = build_schema(), *copy = NULL, *parsed = NULL;
    struct sl_error err = {0};
    struct sl_buf out, again;

    REQUIRE(s != NULL);
    sl_buf_init(&out, 1 << 16);
    sl_buf_init(&again, 1 << 16);
    CHECK_INT(sl_hudi_schema_to_avro(s, false, &out, &err), SL_OK);
    CHECK_STR(out.data, expect);
    /* parse -> write is stable and keeps types; copy is deep */
    CHECK_INT(sl_hudi_schema_from_avro(out.data, out.len, &parsed, &err), SL_OK);
    REQUIRE(parsed != NULL);
    CHECK_INT(parsed->nfields, s->nfields);
    CHECK_INT(parsed->fields[7].fixed_size, 16);
    CHECK(!parsed->fields[0].nullable);
    CHECK_INT(sl_hudi_schema_copy(parsed, &copy), SL_OK);
    sl_hudi_schema_free(parsed);
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_OK);
    CHECK_STR(again.data, expect);
    /* with meta fields: five _hoodie_* strings first, doc "" */
    sl_buf_reset(&again);
    CHECK_INT(sl_hudi_schema_to_avro(copy, true, &again, &err), SL_OK);
    CHECK(strstr(again.data, "\"fields\":[{\"name\":\"_hoodie_commit_time\",\"type\":[\"null\","
                             "\"string\"],\"doc\":\"\",\"default\":null},") != NULL);
    CHECK(strstr(again.data, "{\"name\":\"_hoodie_file_name\",\"type\":[\"null\",\"string\"],"
                             "\"doc\":\"\",\"default\":null},{\"name\":\"id\",\"type\":\"long\"}") !=
          NULL);

    /* an unsupported field is written from its JSON; without one it is refused */
    sl_free(copy->fields[4].name);
    copy->fields[4].name = sl_strdup("t");
    copy->fields[4].type = SL_HUDI_UNSUPPORTED;
    sl_free(copy->fields[4].avro_json);
    copy->fields[4].avro_json = sl_strdup("{\"type\":\"long\",\"logicalType\":\"time-micros\"}");
    sl_buf_reset(&again);
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_OK);
    CHECK(strstr(again.data, "{\"name\":\"t\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":"
                             "\"time-micros\"}],\"default\":null}") != NULL);
    sl_free(copy->fields[4].avro_json);
    copy->fields[4].avro_json = NULL;
    sl_buf_reset(&again);
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_EINVAL);
    CHECK_INT(again.len, 0);
    copy->fields[4].avro_json = sl_strdup("{not json");
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_EINVAL);
    /* invalid Avro names are refused, naming the column */
    copy->fields[4].type = SL_HUDI_INT;
    sl_free(copy->fields[4].name);
    copy->fields[4].name = sl_strdup("order id");
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_EINVAL);
    CHECK(strstr(err.message, "\"order id\"") != NULL);
    sl_free(copy->fields[4].name);
    copy->fields[4].name = sl_strdup("1st");
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_EINVAL);
    CHECK_INT(sl_hudi_schema_set_table(copy, "my-table"), SL_OK);
    sl_free(copy->fields[4].name);
    copy->fields[4].name = sl_strdup("ok");
    CHECK_INT(sl_hudi_schema_to_avro(copy, false, &again, &err), SL_EINVAL);
    CHECK(strstr(err.message, "my-table") != NULL);
    CHECK_INT(again.len, 0);

    /* malformed schemas */
    static const char *const bad[] = {
        "", "{", "[]", "{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[]}",
        "{\"type\":\"record\",\"name\":\"r\"}", "{\"type\":\"record\",\"fields\":[]}",
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"type\":\"int\"}]}",
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\"}]}",
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
        "{\"name\":\"a\",\"type\":\"int\"}]}",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        parsed = NULL;
        CHECK_INT(sl_hudi_schema_from_avro(bad[i], strlen(bad[i]), &parsed, &err), SL_EPROTO);
        CHECK(parsed == NULL);
    }
    /* odd but valid fields are kept by name */
    static const char odd[] =
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"u\",\"type\":[\"null\",\"int\","
        "\"string\"]},{\"name\":\"e\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}},"
        "{\"name\":\"bd\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4}},"
        "{\"name\":\"_hoodie_operation\",\"type\":\"string\"},{\"name\":\"plain\",\"type\":{\"type\":"
        "\"string\"}}]}";
    CHECK_INT(sl_hudi_schema_from_avro(odd, strlen(odd), &parsed, &err), SL_OK);
    REQUIRE(parsed != NULL);
    CHECK_INT(parsed->nfields, 4);
    CHECK(parsed->namespace_name == NULL);
    CHECK_INT(parsed->fields[0].type, SL_HUDI_UNSUPPORTED);
    CHECK_STR(parsed->fields[0].avro_json, "[\"null\",\"int\",\"string\"]");
    CHECK(!parsed->fields[0].nullable);
    CHECK_INT(parsed->fields[1].type, SL_HUDI_UNSUPPORTED);
    CHECK_INT(parsed->fields[2].type, SL_HUDI_UNSUPPORTED);
    CHECK_INT(parsed->fields[3].type, SL_HUDI_STRING);
    sl_buf_reset(&again);
    CHECK_INT(sl_hudi_schema_to_avro(parsed, false, &again, &err), SL_OK);
    CHECK(strstr(again.data, "{\"name\":\"u\",\"type\":[\"null\",\"int\",\"string\"]}") != NULL);

    /* allocation failures: no leak, clean failure */
    for (long nth = 1; nth <= 40; nth++) {
        struct sl_hudi_schema *tmp = NULL;
        sl_alloc_fail_after(nth);
        int rc = sl_hudi_schema_from_avro(out.data, out.len, &tmp, &err);
        sl_alloc_fail_after(0);
        CHECK(rc == SL_OK || (rc == SL_ENOMEM && tmp == NULL));
        sl_hudi_schema_free(tmp);
        tmp = NULL;
        sl_alloc_fail_after(nth);
        rc = sl_hudi_schema_copy(s, &tmp);
        sl_alloc_fail_after(0);
        CHECK(rc == SL_OK || (rc == SL_ENOMEM && tmp == NULL));
        sl_hudi_schema_free(tmp);
    }
    sl_hudi_schema_free(parsed);
    sl_hudi_schema_free(copy);
    sl_hudi_schema_free(s);
    sl_hudi_schema_free(NULL);
    sl_buf_free(&out);
    sl_buf_free(&again);
}

static void test_avro_schema_evolution(void)
{
    struct sl_hudi_schema *prev = build_schema(), *next = NULL;
    struct sl_error err = {0};

    REQUIRE(prev != NULL);
#define FRESH()                                                                                    \
    do {                                                                                           \
        sl_hudi_schema_free(next);                                                                 \
        next = NULL;                                                                               \
        REQUIRE(sl_hudi_schema_copy(prev, &next) == SL_OK);                                        \
    } while (0)
    FRESH();
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_OK);
    /* promotions */
    next->fields[2].type = SL_HUDI_LONG; /* int -> long */
    next->fields[3].type = SL_HUDI_DOUBLE; /* float -> double */
    next->fields[0].type = SL_HUDI_STRING; /* long -> string */
    next->fields[0].nullable = true;       /* NOT NULL -> nullable */
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_OK);
    /* a nullable column added at the end */
    {
        struct sl_hudi_schema *wider = sl_hudi_schema_new(prev->nfields + 1);
        REQUIRE(wider != NULL);
        sl_hudi_schema_set_table(wider, "orders");
        for (uint32_t i = 0; i < prev->nfields; i++) {
            wider->fields[i] = prev->fields[i];
            wider->fields[i].name = sl_strdup(prev->fields[i].name);
        }
        wider->fields[prev->nfields].name = sl_strdup("note");
        wider->fields[prev->nfields].type = SL_HUDI_STRING;
        wider->fields[prev->nfields].nullable = true;
        CHECK_INT(sl_hudi_schema_check_evolution(prev, wider, "orders", &err), SL_OK);
        wider->fields[prev->nfields].nullable = false;
        CHECK_INT(sl_hudi_schema_check_evolution(prev, wider, "orders", &err), SL_EINVAL);
        CHECK(strstr(err.message, "orders") && strstr(err.message, "\"note\"") &&
              strstr(err.message, "nullable"));
        /* dropping it again is refused */
        CHECK_INT(sl_hudi_schema_check_evolution(wider, prev, "orders", &err), SL_EINVAL);
        CHECK(strstr(err.message, "\"note\"") && strstr(err.message, "dropped"));
        sl_hudi_schema_free(wider);
    }
    /* narrowing and unrelated changes name table, column, old and new type */
    FRESH();
    next->fields[0].type = SL_HUDI_INT;
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
    CHECK(strstr(err.message, "table orders") && strstr(err.message, "\"id\"") &&
          strstr(err.message, "from long to int"));
    FRESH();
    next->fields[5].type = SL_HUDI_INT; /* string -> int */
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
    CHECK(strstr(err.message, "from string to int") != NULL);
    FRESH();
    next->fields[7].scale = 2;
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
    CHECK(strstr(err.message, "decimal(38,10) to decimal(38,2)") != NULL);
    FRESH();
    next->fields[9].type = SL_HUDI_TIMESTAMP_MILLIS;
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
    FRESH();
    next->fields[1].nullable = false;
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
    CHECK(strstr(err.message, "\"flag\"") && strstr(err.message, "NOT NULL"));
    FRESH();
    sl_free(next->fields[3].name);
    next->fields[3].name = sl_strdup("ff"); /* rename */
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
    CHECK(strstr(err.message, "\"f\"") && strstr(err.message, "\"ff\""));
    FRESH();
    { /* reorder */
        struct sl_hudi_field t = next->fields[3];
        next->fields[3] = next->fields[4];
        next->fields[4] = t;
    }
    CHECK_INT(sl_hudi_schema_check_evolution(prev, next, "orders", &err), SL_EINVAL);
#undef FRESH
    sl_hudi_schema_free(next);
    sl_hudi_schema_free(prev);
}

/* ---------------------------------------------------------------- bloom filters */

static void test_bloom_matches_every_fixture_footer(void)
{
    char dir[256];
    struct path_list tables = {0};
    int files_checked = 0;

    REQUIRE(fixtures_unpack(dir, sizeof(dir)));
    fixture_tables(dir, &tables);
    for (size_t t = 0; t < tables.n; t++) {
        struct path_list files = {0};
        walk(tables.paths[t], ".parquet", &files);
        for (size_t f = 0; f < files.n; f++) {
            struct sl_read_file rf = {0};
            struct sl_parquet_reader *reader = NULL;
            struct sl_hudi_bloom *read = NULL, *fresh = NULL;
            struct sl_parquet_column_values keys;
            struct sl_error err = {0};
            struct sl_buf text;
            const char *footer;
            int c, fp = 0;
            sl_buf_init(&text, 16 << 20);
            if (sl_file_read_open(files.paths[f], &rf, NULL) != SL_OK ||
                sl_parquet_reader_open(&rf, files.paths[f], &reader, NULL) != SL_OK) {
                CHECK(false);
                goto next;
            }
            footer = sl_parquet_reader_kv(reader, "org.apache.hudi.bloomfilter");
            if (footer == NULL) /* the table without meta fields has no bloom filter */
                goto next;
            CHECK_STR(sl_parquet_reader_kv(reader, "hoodie_bloom_filter_type_code"), "DYNAMIC_V0");
            REQUIRE(sl_hudi_bloom_deserialize(footer, strlen(footer), &read, &err) == SL_OK);
            REQUIRE(sl_hudi_bloom_new(SL_HUDI_BLOOM_DEFAULT_ENTRIES, SL_HUDI_BLOOM_DEFAULT_FPP,
                                      SL_HUDI_BLOOM_DEFAULT_MAX_ENTRIES, &fresh, &err) == SL_OK);
            c = sl_parquet_reader_find_column(reader, "_hoodie_record_key");
            REQUIRE(c >= 0);
            for (uint32_t rg = 0; rg < sl_parquet_reader_num_row_groups(reader); rg++) {
                REQUIRE(sl_parquet_reader_read_column(reader, rg, (uint32_t)c, &keys, &err) == SL_OK);
                for (int64_t r = 0; r < sl_parquet_reader_row_group_rows(reader, rg); r++) {
                    const char *k = (const char *)keys.u.bytes.data + keys.u.bytes.offsets[r];
                    size_t n = keys.u.bytes.offsets[r + 1] - keys.u.bytes.offsets[r];
                    CHECK(sl_hudi_bloom_might_contain(read, k, n));
                    CHECK_INT(sl_hudi_bloom_add(fresh, k, n, &err), SL_OK);
                }
            }
            /* re-serialization and a filter built from the keys both give the footer's bytes */
            CHECK_INT(sl_hudi_bloom_serialize(read, &text, &err), SL_OK);
            CHECK(text.len == strlen(footer) && strcmp(text.data, footer) == 0);
            sl_buf_reset(&text);
            CHECK_INT(sl_hudi_bloom_serialize(fresh, &text, &err), SL_OK);
            CHECK(text.len == strlen(footer) && strcmp(text.data, footer) == 0);
            /* 100k absent keys: at fpp 1e-9 none is expected */
            for (int i = 0; i < 100000; i++) {
                char absent[32];
                int n = snprintf(absent, sizeof(absent), "absent-%d", i);
                if (sl_hudi_bloom_might_contain(read, absent, (size_t)n))
                    fp++;
            }
            CHECK(fp <= 1);
            files_checked++;
        next:
            sl_hudi_bloom_free(read);
            sl_hudi_bloom_free(fresh);
            sl_parquet_reader_free(reader);
            if (rf.destroy)
                rf.destroy(rf.ctx);
            sl_buf_free(&text);
        }
        path_list_free(&files);
    }
    CHECK(files_checked >= 20);
    path_list_free(&tables);
    fixtures_remove(dir);
}

static void test_bloom_matches_hudi_golden_and_rate(void)
{
    static const char *const suffix[] = {"\xc3\xa9", "\xe4\xb8\xad", "\xc3\xbc\xe2\x82\xac", "x",
                                         "\xf0\x9f\x98\x80"};
    struct sl_hudi_bloom *b = NULL, *back = NULL, *rate = NULL;
    struct sl_error err = {0};
    struct sl_buf text;
    int fp = 0, first_fp[5], nfirst = 0;

    sl_buf_init(&text, 1 << 20);
    /* 400 keys into (100, 0.01, 250): three rows, then round-robin (Oracle.java "bloom") */
    REQUIRE(sl_hudi_bloom_new(100, 0.01, 250, &b, &err) == SL_OK);
    for (int i = 0; i < 400; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "%d%s", i, suffix[i % 5]);
        REQUIRE(sl_hudi_bloom_add(b, key, (size_t)n, &err) == SL_OK);
    }
    CHECK_INT(sl_hudi_bloom_serialize(b, &text, &err), SL_OK);
    CHECK_STR(text.data, GOLDEN_BLOOM_400);
    for (int i = 0; i < 2000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "absent%d", i);
        if (sl_hudi_bloom_might_contain(b, key, (size_t)n)) {
            if (nfirst < 5)
                first_fp[nfirst++] = i;
            fp++;
        }
    }
    CHECK_INT(fp, 203);
    CHECK(nfirst == 5 && first_fp[0] == 5 && first_fp[1] == 12 && first_fp[2] == 24 &&
          first_fp[3] == 25 && first_fp[4] == 63);
    /* deserialized, Hudi's filter has max entries 0: 50 more keys go round-robin */
    REQUIRE(sl_hudi_bloom_deserialize(GOLDEN_BLOOM_400, strlen(GOLDEN_BLOOM_400), &back, &err) ==
            SL_OK);
    for (int i = 0; i < 50; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "more%d", i);
        REQUIRE(sl_hudi_bloom_add(back, key, (size_t)n, &err) == SL_OK);
    }
    sl_buf_reset(&text);
    CHECK_INT(sl_hudi_bloom_serialize(back, &text, &err), SL_OK);
    CHECK_STR(text.data, GOLDEN_BLOOM_400_PLUS_50);
    CHECK(!sl_hudi_bloom_might_contain(back, "", 0));
    CHECK_INT(sl_hudi_bloom_add(back, "", 0, &err), SL_EINVAL);

    /* a full filter stays within its configured rate on 100k absent keys */
    REQUIRE(sl_hudi_bloom_new(10000, 0.01, 10000, &rate, &err) == SL_OK);
    for (int i = 0; i < 10000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "id:%d,name:user%d", i, i * 7);
        sl_hudi_bloom_add(rate, key, (size_t)n, &err);
    }
    fp = 0;
    for (int i = 0; i < 10000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "id:%d,name:user%d", i, i * 7);
        if (!sl_hudi_bloom_might_contain(rate, key, (size_t)n))
            fp = -1000000;
    }
    CHECK_INT(fp, 0);
    for (int i = 0; i < 100000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "missing-%d", i);
        if (sl_hudi_bloom_might_contain(rate, key, (size_t)n))
            fp++;
    }
    fprintf(stderr, "  false positives: %d of 100000 at fpp 0.01\n", fp);
    CHECK(fp <= 1200 && fp >= 500); /* 1% +- sampling noise; far off means broken hashing */

    /* malformed footers */
    static const char *const bad[] = {
        "", "////", "/////wAAAB4BACd9PgAA6mAAAAACAAAAAf////8AAAAeAQAnfT4", "not base64!",
        "AAAAAQAAAB4BACd9PgAA6mAAAAACAAAAAQ==", /* old version-less layout */
        "/////wAAAAcAAAADvwAAAGQAAADIAAAAAA==", /* Jenkins hash */
        "/////wAAAAcBAAADvwAAAGQAAADIf////w==", /* 2^31-1 rows */
        "/////wAAAAcBAAADvwAAAGQAAADIAAAAAA==", /* zero rows */
        "/////wAAAAcBAAADvwAAAGQAAADIAAAAAQ==", /* one row declared, none there */
        "/////wAAAAcB", /* short */
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        struct sl_hudi_bloom *x = NULL;
        CHECK_INT(sl_hudi_bloom_deserialize(bad[i], strlen(bad[i]), &x, &err), SL_EPROTO);
        CHECK(x == NULL);
    }
    {   /* trailing bytes after the last row and padding left off */
        struct sl_buf more;
        struct sl_hudi_bloom *x = NULL;
        size_t len = strlen(GOLDEN_BLOOM_400);
        sl_buf_init(&more, 1 << 20);
        sl_buf_append(&more, GOLDEN_BLOOM_400, len);
        while (more.len > 0 && more.data[more.len - 1] == '=')
            more.data[--more.len] = '\0';
        CHECK_INT(sl_hudi_bloom_deserialize(more.data, more.len, &x, &err), SL_OK);
        sl_hudi_bloom_free(x);
        x = NULL;
        sl_buf_reset(&more);
        sl_hudi_bloom_serialize(b, &more, &err);
        more.len -= 4; /* re-encode with 3 extra bytes: drop the tail quad and append AAAA */
        sl_buf_append(&more, "AAAAAAAA", 8);
        CHECK_INT(sl_hudi_bloom_deserialize(more.data, more.len, &x, &err), SL_EPROTO);
        sl_buf_free(&more);
    }
    {
        struct sl_hudi_bloom *x = NULL;
        CHECK_INT(sl_hudi_bloom_new(0, 0.01, 10, &x, &err), SL_EINVAL);
        CHECK_INT(sl_hudi_bloom_new(10, 1.5, 10, &x, &err), SL_EINVAL);
        CHECK_INT(sl_hudi_bloom_new(2000000000u, 1e-300, 10, &x, &err), SL_EINVAL);
        CHECK(x == NULL);
    }
    /* growing a row under allocation failure leaves the filter usable */
    {
        struct sl_hudi_bloom *g = NULL;
        int rc;
        REQUIRE(sl_hudi_bloom_new(2, 0.1, 100, &g, &err) == SL_OK);
        sl_hudi_bloom_add(g, "a", 1, &err);
        sl_hudi_bloom_add(g, "b", 1, &err);
        sl_alloc_fail_after(1);
        rc = sl_hudi_bloom_add(g, "c", 1, &err);
        sl_alloc_fail_after(0);
        CHECK_INT(rc, SL_ENOMEM);
        CHECK_INT(sl_hudi_bloom_add(g, "c", 1, &err), SL_OK);
        CHECK(sl_hudi_bloom_might_contain(g, "a", 1) && sl_hudi_bloom_might_contain(g, "c", 1));
        sl_hudi_bloom_free(g);
    }
    sl_hudi_bloom_free(rate);
    sl_hudi_bloom_free(back);
    sl_hudi_bloom_free(b);
    sl_hudi_bloom_free(NULL);
    sl_buf_free(&text);
}

UNIT_TESTS(UNIT_TEST(test_props_parse_every_fixture_and_checksum),
           UNIT_TEST(test_props_parse_java_escapes), UNIT_TEST(test_props_format_java_escapes),
           UNIT_TEST(test_props_set_remove_and_errors),
           UNIT_TEST(test_keygen_recomputes_every_fixture_row), UNIT_TEST(test_keygen_rules),
           UNIT_TEST(test_key_text_matches_java), UNIT_TEST(test_time_partition_values_match_hudi),
           UNIT_TEST(test_avro_schemas_of_every_commit_and_footer),
           UNIT_TEST(test_avro_build_copy_and_errors), UNIT_TEST(test_avro_schema_evolution),
           UNIT_TEST(test_bloom_matches_every_fixture_footer),
           UNIT_TEST(test_bloom_matches_hudi_golden_and_rate))

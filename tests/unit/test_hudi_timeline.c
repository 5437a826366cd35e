/*
 * Unit tests of the timeline and commit metadata (src/hudi/timeline.c,
 * commit_meta.c): instant file names of table versions 6 and 8, instant
 * times, base file names, and commit JSON parsed from Spark's fixture
 * commits and written back.
 */
#include "unit.h"

#include <stdlib.h>

#include "hudi/timeline.h"

static void test_instant_names_of_both_layouts(void)
{
    char t[18], c[18];
    enum sl_hudi_action a;
    enum sl_hudi_state s;

    CHECK(sl_hudi_instant_parse_name("20240115103000123.commit", t, c, &a, &s));
    CHECK_STR(t, "20240115103000123");
    CHECK(a == SL_HUDI_ACTION_COMMIT && s == SL_HUDI_COMPLETED && c[0] == '\0');
    CHECK(sl_hudi_instant_parse_name("20240115103000123.inflight", t, c, &a, &s));
    CHECK(a == SL_HUDI_ACTION_COMMIT && s == SL_HUDI_INFLIGHT);
    CHECK(sl_hudi_instant_parse_name("20240115103000123.commit.requested", t, c, &a, &s));
    CHECK(a == SL_HUDI_ACTION_COMMIT && s == SL_HUDI_REQUESTED);
    CHECK(sl_hudi_instant_parse_name("20240115103000123.replacecommit.inflight", t, c, &a, &s));
    CHECK(a == SL_HUDI_ACTION_REPLACE_COMMIT && s == SL_HUDI_INFLIGHT);
    CHECK(sl_hudi_instant_parse_name("20240115103000123.clean", t, c, &a, &s));
    CHECK(a == SL_HUDI_ACTION_CLEAN && s == SL_HUDI_COMPLETED);
    CHECK(sl_hudi_instant_parse_name("20240115103000123_20240115103001456.deltacommit", t, c, &a, &s));
    CHECK(a == SL_HUDI_ACTION_DELTA_COMMIT && s == SL_HUDI_COMPLETED);
    CHECK_STR(c, "20240115103001456");
    /* not instants */
    CHECK(!sl_hudi_instant_parse_name("hoodie.properties", t, c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("archived", t, c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("20240115103000123.unknownaction", t, c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("20240115103000123.commit.done", t, c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("2024011510300012.commit", t, c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("20240115103000123_2.commit", t, c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("20240115103000123_20240115103001456.commit.requested", t,
                                      c, &a, &s));
    CHECK(!sl_hudi_instant_parse_name("", t, c, &a, &s));
}

static void test_timeline_merges_states_and_sorts(void)
{
    struct sl_hudi_timeline tl = {0};
    const char *names[] = {"20240102000000000.inflight", "20240101000000000.commit",
                           "20240102000000000.commit.requested", "20240101000000000.inflight",
                           "20240101000000000.commit.requested", "hoodie.properties",
                           "20240103000000000.clean.requested", "20240102500000000.replacecommit"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        REQUIRE(sl_hudi_timeline_add_name(&tl, names[i]) == SL_OK);
    sl_hudi_timeline_sort(&tl);
    REQUIRE(tl.count == 4);
    CHECK_STR(tl.instants[0].time, "20240101000000000");
    CHECK(tl.instants[0].state == SL_HUDI_COMPLETED);
    CHECK_STR(tl.instants[0].file_completed, "20240101000000000.commit");
    CHECK_STR(tl.instants[0].file_inflight, "20240101000000000.inflight");
    CHECK(tl.instants[1].state == SL_HUDI_INFLIGHT && tl.instants[1].file_completed == NULL);
    CHECK(tl.instants[2].action == SL_HUDI_ACTION_REPLACE_COMMIT);
    CHECK(tl.instants[3].action == SL_HUDI_ACTION_CLEAN && tl.instants[3].state == SL_HUDI_REQUESTED);
    const struct sl_hudi_instant *last = sl_hudi_timeline_last_completed(&tl);
    REQUIRE(last != NULL);
    CHECK_STR(last->time, "20240102500000000");
    sl_hudi_timeline_free(&tl);
}

static void test_instant_times_increase_strictly(void)
{
    char out[18];
    /* 2024-01-15 10:30:00.123 UTC */
    int64_t ms = INT64_C(1705314600123);
    REQUIRE(sl_hudi_instant_time_next(ms, NULL, out, NULL) == SL_OK);
    CHECK_STR(out, "20240115103000123");
    /* the clock has not moved past the last instant: one millisecond after it */
    REQUIRE(sl_hudi_instant_time_next(ms, "20240115103000123", out, NULL) == SL_OK);
    CHECK_STR(out, "20240115103000124");
    REQUIRE(sl_hudi_instant_time_next(ms, "20241231235959999", out, NULL) == SL_OK);
    CHECK_STR(out, "20250101000000000");
    REQUIRE(sl_hudi_instant_time_next(ms, "20240229235959999", out, NULL) == SL_OK);
    CHECK_STR(out, "20240301000000000");
    CHECK(sl_hudi_instant_time_next(ms, "2024", out, NULL) == SL_EINVAL);
    CHECK(sl_hudi_instant_time_valid("20240115103000123"));
    CHECK(!sl_hudi_instant_time_valid("20241315103000123"));
    CHECK(!sl_hudi_instant_time_valid("20240115246000123"));
    CHECK(!sl_hudi_instant_time_valid("2024011510300012x"));
    /* a day by day walk: every next time is greater as a string */
    char prev[18] = "19991231235959999";
    for (int64_t day = 10957; day < 10957 + 800; day++) {
        REQUIRE(sl_hudi_instant_time_next(day * 86400000 + 86399999, prev, out, NULL) == SL_OK);
        CHECK(strcmp(out, prev) > 0);
        memcpy(prev, out, sizeof(prev));
    }
}

static void test_base_file_names(void)
{
    struct sl_hudi_base_name b;
    REQUIRE(sl_hudi_base_name_parse(
        "4e781779-6989-4a4e-aa3e-683eff88629f-0_0-13-24_20250713010139392.parquet", &b));
    CHECK(b.file_id_len == strlen("4e781779-6989-4a4e-aa3e-683eff88629f-0"));
    CHECK(memcmp(b.instant, "20250713010139392", 17) == 0 && b.instant_len == 17);
    CHECK(!sl_hudi_base_name_parse("x.parquet", &b));
    CHECK(!sl_hudi_base_name_parse("a_b.parquet", &b));
    CHECK(!sl_hudi_base_name_parse("a_b_c.parquet", &b));
    CHECK(!sl_hudi_base_name_parse("a_b_1.log", &b));
    CHECK(!sl_hudi_base_name_parse(".hoodie_partition_metadata", &b));
}

static void test_commit_metadata_round_trip(void)
{
    struct sl_hudi_write_stat stats[2] = {
        {.partition = "region=eu", .file_id = "f1-0", .path = "region=eu/f1-0_0-1-0_1.parquet",
         .prev_commit = "null", .num_writes = 10, .num_inserts = 10, .total_write_bytes = 1000,
         .file_size = 1000},
        {.partition = "", .file_id = "f2-0", .path = "f2-0_0-1-0_1.parquet", .prev_commit = "20240101000000000",
         .num_writes = 5, .num_deletes = 2, .num_update_writes = 3, .total_write_bytes = 500,
         .file_size = 500},
    };
    struct sl_hudi_replaced replaced = {.partition = "region=us", .file_id = "old-0"};
    struct sl_hudi_commit_meta meta = {.stats = stats, .nstats = 2, .replaced = &replaced,
                                       .nreplaced = 1, .operation = "UPSERT",
                                       .schema = "{\"type\":\"record\"}", .checkpoint = "0/1A2B"};
    struct sl_hudi_commit_meta back;
    struct sl_buf text;
    sl_buf_init(&text, 1 << 20);
    REQUIRE(sl_hudi_commit_meta_format(&meta, &text, NULL) == SL_OK);
    REQUIRE(sl_hudi_commit_meta_parse(text.data, text.len, &back, NULL) == SL_OK);
    REQUIRE(back.nstats == 2 && back.nreplaced == 1);
    for (size_t i = 0; i < 2; i++) {
        const struct sl_hudi_write_stat *s = NULL;
        for (size_t j = 0; j < 2; j++)
            if (strcmp(back.stats[j].file_id, stats[i].file_id) == 0)
                s = &back.stats[j];
        REQUIRE(s != NULL);
        CHECK_STR(s->partition, stats[i].partition);
        CHECK_STR(s->path, stats[i].path);
        CHECK_STR(s->prev_commit, stats[i].prev_commit);
        CHECK(s->num_writes == stats[i].num_writes && s->num_deletes == stats[i].num_deletes);
        CHECK(s->num_update_writes == stats[i].num_update_writes);
        CHECK(s->num_inserts == stats[i].num_inserts && s->file_size == stats[i].file_size);
    }
    CHECK_STR(back.replaced[0].file_id, "old-0");
    CHECK_STR(back.operation, "UPSERT");
    CHECK_STR(back.schema, meta.schema);
    CHECK_STR(back.checkpoint, "0/1A2B");
    sl_hudi_commit_meta_free(&back);
    sl_buf_free(&text);
}

static void test_commit_metadata_errors(void)
{
    struct sl_hudi_commit_meta m;
    struct sl_error err = {0};
    CHECK(sl_hudi_commit_meta_parse("", 0, &m, &err) == SL_OK && m.nstats == 0);
    CHECK(sl_hudi_commit_meta_parse("[1]", 3, &m, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "not a JSON object") != NULL);
    const char *no_id = "{\"partitionToWriteStats\":{\"p\":[{\"path\":\"x\"}]}}";
    CHECK(sl_hudi_commit_meta_parse(no_id, strlen(no_id), &m, &err) == SL_EPROTO);
    CHECK(strstr(err.message, "no fileId") != NULL);
    const char *bad_list = "{\"partitionToWriteStats\":{\"p\":5}}";
    CHECK(sl_hudi_commit_meta_parse(bad_list, strlen(bad_list), &m, &err) == SL_EPROTO);
    const char *dup = "{\"operationType\":\"A\",\"operationType\":\"B\"}";
    CHECK(sl_hudi_commit_meta_parse(dup, strlen(dup), &m, &err) == SL_EPROTO);
}

/* Every commit file of the Spark fixtures parses, with sensible stats. */
static void test_spark_fixture_commits_parse(void)
{
    char dir[] = "/tmp/sluice-test-timeline-XXXXXX", cmd[1024];
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof(cmd), "cd %s && for z in %s/v6_*.zip; do unzip -q -o \"$z\"; done && "
             "find . -maxdepth 3 -path '*/.hoodie/*' \\( -name '*.commit' -o -name '*.replacecommit' \\) "
             "! -path '*__MACOSX*' > list.txt", dir, SLUICE_FIXTURES_DIR);
    REQUIRE(system(cmd) == 0);
    size_t len;
    unsigned char *raw = unit_read_file(dir, "list.txt", &len);
    REQUIRE(raw != NULL);
    char *list = calloc(1, len + 1);
    REQUIRE(list != NULL);
    memcpy(list, raw, len);
    free(raw);
    int files = 0, stats = 0;
    for (char *line = strtok(list, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        size_t n;
        unsigned char *text = unit_read_file(dir, line, &n);
        struct sl_hudi_commit_meta m;
        struct sl_error err = {0};
        REQUIRE(text != NULL);
        int rc = sl_hudi_commit_meta_parse((const char *)text, n, &m, &err);
        if (rc != SL_OK)
            fprintf(stderr, "  %s: %s\n", line, err.message);
        CHECK(rc == SL_OK);
        if (rc == SL_OK) {
            files++;
            stats += (int)m.nstats;
            CHECK(m.schema != NULL && strstr(m.schema, "\"record\"") != NULL);
            for (size_t i = 0; i < m.nstats; i++) {
                struct sl_hudi_base_name b;
                const char *slash = strrchr(m.stats[i].path, '/');
                CHECK(sl_hudi_base_name_parse(slash ? slash + 1 : m.stats[i].path, &b));
                CHECK(m.stats[i].num_writes >= 0 && m.stats[i].file_size > 0);
            }
            if (strstr(line, "replacecommit") != NULL)
                CHECK(m.nreplaced > 0);
        }
        sl_hudi_commit_meta_free(&m);
        free(text);
    }
    CHECK(files >= 10 && stats >= files);
    free(list);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

UNIT_TESTS(UNIT_TEST(test_instant_names_of_both_layouts), UNIT_TEST(test_timeline_merges_states_and_sorts),
           UNIT_TEST(test_instant_times_increase_strictly), UNIT_TEST(test_base_file_names),
           UNIT_TEST(test_commit_metadata_round_trip), UNIT_TEST(test_commit_metadata_errors),
           UNIT_TEST(test_spark_fixture_commits_parse))

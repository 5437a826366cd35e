"""The Hudi oracles (hudi_oracles.py) proven on tables Spark wrote.

The fixture tables (tests/fixtures/hudi-spark-tables/*.zip, Spark + Hudi 0.14 /
1.0, table versions 6 and 8, no metadata table) are read by every oracle, and
the oracles must agree row for row, `_hoodie_*` meta columns included:

  hudi-rs (hudi 0.5.0)     v6 and v8: snapshot, time travel, incremental
  Spark + Hudi 0.15.0      v6: snapshot, time travel, incremental, upsert, delete
                           v8: refuses every read (IllegalArgumentException from
                           TimelineLayoutVersion: layout 2 is newer than it knows)
  Spark + Hudi 1.0.2       v6 and v8: snapshot, time travel, incremental; writes a
                           v6 table without upgrading it (auto.upgrade=false)

Known differences, each asserted so a change in any oracle shows up here first:
  - Spark 0.15 snapshot/time travel on a TimestampBasedKeyGenerator table gives
    the partition path (2023/04/01/12) as the partition column's value; hudi-rs,
    Hudi 1.0.2 and 0.15's incremental give the stored value.
  - v8 incremental bounds are completion times (hudi-rs and 1.0.2 agree, e.g.
    (0, first requested instant] is empty); with bounds (c1, c2] exactly on
    completion times 1.0.2 also returns the untouched older rows of rewritten
    files, hudi-rs does not.
  - Spark (0.15 and 1.0.2) refuses incremental reads of a table without meta
    fields; hudi-rs returns every row of the files written in range.
  - Hudi 0.15's default payload lets an upsert with a LOWER precombine value
    overwrite the stored row; spark_upsert's DefaultHoodieRecordPayload does not.
"""

import copy
import datetime
import decimal
import glob
import os
import re
import shutil

import pytest

import hudi_oracles as H

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "hudi-spark-tables")
V6 = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(FIXTURES, "v6_*.zip")))
V8 = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(FIXTURES, "v8_*.zip")))
UTC = datetime.timezone.utc

# What Spark wrote into each fixture (so agreement on nothing cannot pass).
EXPECTED_KEYS = {
    "v6_complexkeygen_hivestyle": ["id:1,name:Alice", "id:2,name:Bob", "id:3,name:Carol", "id:4,name:Diana"],
    "v6_empty": [],
    "v6_nonpartitioned": ["1", "2", "3", "4"],
    "v6_simplekeygen_hivestyle_no_metafields": None,  # no _hoodie_* columns at all
    "v6_simplekeygen_nonhivestyle": ["1", "2", "3", "4"],
    "v6_simplekeygen_nonhivestyle_overwritetable": ["4"],
    "v6_timebasedkeygen_nonhivestyle": ["1", "2", "3", "4"],
    "v8_complexkeygen_hivestyle": ["id:1,name:Alice", "id:2,name:Bob", "id:3,name:Carol", "id:4,name:Diana"],
    "v8_nonpartitioned": ["1", "2", "3", "4"],
}
EXPECTED_INSTANTS = {
    "v6_complexkeygen_hivestyle": 2, "v6_empty": 0, "v6_nonpartitioned": 2,
    "v6_simplekeygen_hivestyle_no_metafields": 1, "v6_simplekeygen_nonhivestyle": 2,
    "v6_simplekeygen_nonhivestyle_overwritetable": 3, "v6_timebasedkeygen_nonhivestyle": 2,
    "v8_complexkeygen_hivestyle": 2, "v8_nonpartitioned": 2,
}


def test_fixture_set_is_the_expected_one():
    assert V6 and V8
    assert set(V6) | set(V8) == set(EXPECTED_KEYS)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """{name: base path} of every fixture table, unzipped once (read-only use)."""
    root = tmp_path_factory.mktemp("hudi-fixtures")
    return {name: H.unzip_table(os.path.join(FIXTURES, name + ".zip"), str(root)) for name in V6 + V8}


def table_copy(tables, name, tmp_path):
    """A private copy of a fixture table, for tests that write."""
    dest = str(tmp_path / name)
    shutil.copytree(tables[name], dest)
    return dest


def timeline_instants(base):
    """Completed commit/replacecommit instants straight from the file names
    (v6: .hoodie/<T>.commit, v8: .hoodie/timeline/<T>_<completion>.commit)."""
    out = []
    for path in glob.glob(os.path.join(base, ".hoodie", "*")) + glob.glob(os.path.join(base, ".hoodie", "timeline", "*")):
        m = re.fullmatch(r"(\d{17})(?:_(\d{17}))?\.(commit|replacecommit)", os.path.basename(path))
        if m:
            out.append((m.group(1), m.group(2)))
    return sorted(out)


def props(base):
    with open(os.path.join(base, ".hoodie", "hoodie.properties"), encoding="latin-1") as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))


def keys(rows):
    return [r["_hoodie_record_key"] for r in rows]


def assert_same(got, want, what):
    problem = H.diff_rows(got, want)
    assert problem is None, f"{what}: {problem}"


# ---------------------------------------------------------------- hudi-rs vs Spark 0.15 on v6

TIMEBASED = "v6_timebasedkeygen_nonhivestyle"


def spark015_fixup(name, spark_rows, hudirs_rows):
    """Spark + Hudi 0.15 snapshot and time-travel reads return, for a
    TimestampBasedKeyGenerator table, the partition PATH value (2023/04/01/12)
    in the partition column instead of the stored value
    (2023-04-01T12:01:00.123Z) that hudi-rs, Hudi 1.0.2 and 0.15's own
    incremental reads return. Asserts exactly that, then gives Spark's rows
    with hudi-rs's value."""
    if name != TIMEBASED:
        return spark_rows
    fixed = []
    for s, h in zip(spark_rows, hudirs_rows):
        if "ts_str" in s:
            assert s["ts_str"] == s.get("_hoodie_partition_path", s["ts_str"]) and re.fullmatch(
                r"\d{4}/\d\d/\d\d/\d\d", s["ts_str"]), s["ts_str"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", h["ts_str"]), h["ts_str"]
            s = dict(s, ts_str=h["ts_str"])
        fixed.append(s)
    return fixed


@pytest.mark.parametrize("name", V6)
def test_snapshot_hudirs_equals_spark(hudi_spark, tables, name):
    base = tables[name]
    rs = H.hudirs_snapshot(base)
    sp = spark015_fixup(name, H.spark_snapshot(hudi_spark, base), rs)
    assert_same(rs, sp, "hudi-rs vs Spark 0.15 snapshot")
    if EXPECTED_KEYS[name] is None:
        assert len(rs) == 4 and not any(c.startswith("_hoodie_") for c in rs[0]), rs[0].keys()
        assert [r["id"] for r in rs] == [1, 2, 3, 4]
    else:
        assert keys(rs) == EXPECTED_KEYS[name]
    if rs:
        row = rs[0]
        assert isinstance(row["decimalField"], decimal.Decimal)
        assert isinstance(row["dateField"], datetime.date)
        assert row["timestampField"].tzinfo is UTC
        assert isinstance(row["binaryField"], bytes)
        assert isinstance(row["mapField"], dict) and isinstance(row["structField"], dict)
    # projections and meta=False go through the same path on both sides
    cols = ["id", "name"] if name == "v6_empty" else ["id", "name", "timestampField"]
    assert_same(H.hudirs_snapshot(base, columns=cols), H.spark_snapshot(hudi_spark, base, columns=cols),
                "projected snapshot")
    stripped = H.hudirs_snapshot(base, meta=False)
    assert stripped == H.strip_meta(rs)
    assert_same(stripped, spark015_fixup(name, H.spark_snapshot(hudi_spark, base, meta=False), stripped),
                "snapshot without meta columns")


@pytest.mark.parametrize("name", V6)
def test_commits_and_time_travel_agree(hudi_spark, tables, name):
    base = tables[name]
    instants = H.hudirs_commits(base)
    assert instants == [t for t, _ in timeline_instants(base)]
    assert len(instants) == EXPECTED_INSTANTS[name]
    for instant in instants:
        rs = H.hudirs_as_of(base, instant)
        assert_same(rs, spark015_fixup(name, H.spark_as_of(hudi_spark, base, instant), rs), f"as of {instant}")
        assert rs, f"nothing as of {instant}"
        if "_hoodie_commit_time" in rs[0]:
            assert max(r["_hoodie_commit_time"] for r in rs) == instant
    if len(instants) >= 2:  # time travel really travels
        assert H.hudirs_as_of(base, instants[0]) != H.hudirs_snapshot(base)


NO_META = "v6_simplekeygen_hivestyle_no_metafields"


@pytest.mark.parametrize("name", [n for n in V6 if EXPECTED_INSTANTS[n] and n != NO_META])
def test_incremental_agrees(hudi_spark, tables, name):
    base = tables[name]
    previous = "0"
    for instant in H.hudirs_commits(base):
        rs = H.hudirs_incremental(base, previous, instant)
        # (incremental reads give the stored partition values: no spark015_fixup)
        assert_same(rs, H.spark_incremental(hudi_spark, base, previous, instant),
                    f"incremental ({previous}, {instant}]")
        assert rs, f"incremental ({previous}, {instant}] is empty"
        if "_hoodie_commit_time" in rs[0]:
            assert {r["_hoodie_commit_time"] for r in rs} == {instant}
        previous = instant
    # end omitted = up to the latest commit
    assert_same(H.hudirs_incremental(base, "0"), H.spark_incremental(hudi_spark, base, "0"), "open-ended")


def test_incremental_without_meta_fields(hudi_spark, tables):
    """Documented limit: Spark refuses incremental queries on tables written with
    hoodie.populate.meta.fields=false; hudi-rs answers with every row of the
    files the commits in range wrote (it has no commit time to filter by)."""
    base = tables[NO_META]
    (instant,) = H.hudirs_commits(base)
    assert [r["id"] for r in H.hudirs_incremental(base, "0", instant)] == [1, 2, 3, 4]
    assert H.hudirs_incremental(base, instant) == []
    with pytest.raises(Exception) as failure:
        H.spark_incremental(hudi_spark, base, "0", instant)
    assert "Incremental queries are not supported when meta fields are disabled" in str(failure.value)


# ---------------------------------------------------------------- v8 tables

@pytest.mark.parametrize("name", V8)
def test_spark_015_cannot_read_v8_tables(hudi_spark, tables, name):
    """Documented limit: Hudi 0.15 knows timeline layout 1 only."""
    from pyspark.errors import IllegalArgumentException
    with pytest.raises(IllegalArgumentException) as failure:
        H.spark_snapshot(hudi_spark, tables[name])
    assert "TimelineLayoutVersion" in failure.value.stackTrace, failure.value.stackTrace[:2000]


@pytest.mark.parametrize("name", V8)
def test_hudirs_reads_v8_tables_with_completion_time_incrementals(tables, name):
    base = tables[name]
    timeline = timeline_instants(base)
    instants = H.hudirs_commits(base)
    assert instants == [t for t, _ in timeline] and len(instants) == 2
    rs = H.hudirs_snapshot(base)
    assert keys(rs) == EXPECTED_KEYS[name]
    first = H.hudirs_as_of(base, instants[0])
    assert len(first) == 3 and {r["_hoodie_commit_time"] for r in first} == {instants[0]}
    # Incremental bounds are completion times on v8: the first commit was
    # requested at instants[0] but completed at timeline[0][1] > instants[0].
    (t1, c1), (t2, c2) = timeline
    assert t1 < c1 < t2 < c2
    assert H.hudirs_incremental(base, "0", t1) == []
    assert {r["_hoodie_commit_time"] for r in H.hudirs_incremental(base, "0", c1)} == {t1}
    assert {r["_hoodie_commit_time"] for r in H.hudirs_incremental(base, c1, c2)} == {t2}


# ---------------------------------------------------------------- Spark + Hudi 1.0.2 (second JVM)

@pytest.fixture(scope="module")
def hudi1(hudi_spark, tables, tmp_path_factory):
    """One Spark + Hudi 1.0.2 JVM answering every query below, in order, plus a
    1.0.2 upsert onto a copy of a v6 table. {job name: result}."""
    jobs = {}
    for name in V6 + V8:
        base = tables[name]
        jobs[(name, "snapshot")] = {"kind": "snapshot", "base_uri": base}
        bounds = []
        previous = "0"
        for t, completed in timeline_instants(base):
            jobs[(name, "as_of", t)] = {"kind": "as_of", "base_uri": base, "instant": t}
            bounds.append((previous, t))
            previous = t
        bounds.append((previous, None))
        if name in V8:  # completion-time bounds
            (_, c1), (_, c2) = timeline_instants(base)
            bounds += [("0", c1), (c1, c2)]
        for start, end in bounds:
            jobs[(name, "incremental", start, end)] = {"kind": "incremental", "base_uri": base,
                                                      "start_exclusive": start, "end_inclusive": end}
    # A 1.0.2 write onto a v6 table: Bob gets a new name and a higher precombine value.
    target = str(tmp_path_factory.mktemp("hudi1-write") / "v6_nonpartitioned")
    shutil.copytree(tables["v6_nonpartitioned"], target)
    schema = hudi_spark.read.format("hudi").load(target).drop(*H.META_COLUMNS).schema
    bob = copy.deepcopy([r for r in H.hudirs_snapshot(target, meta=False) if r["id"] == 2][0])
    bob["name"], bob["longField"] = "Bobby", bob["longField"] + 1
    jobs["write"] = {"kind": "upsert", "base_uri": target, "rows": [bob], "table_name": "v6_nonpartitioned",
                     "record_key": "id", "precombine": "longField", "schema": schema}
    jobs["after_write"] = {"kind": "snapshot", "base_uri": target}
    results = H.spark_bundle_run(list(jobs.values()), bundle="1.0.2")
    out = dict(zip(jobs, results))
    out["write_target"] = target
    out["written_row"] = bob
    return out


def rows_of(result):
    assert "rows" in result, result.get("error", result)
    return result["rows"]


@pytest.mark.parametrize("name", V6)
def test_hudi1_reads_v6_tables_like_hudirs(hudi1, tables, name):
    base = tables[name]
    assert_same(rows_of(hudi1[(name, "snapshot")]), H.hudirs_snapshot(base), "Hudi 1.0.2 vs hudi-rs snapshot")
    previous = "0"
    for t in H.hudirs_commits(base) + [None]:
        if t is not None:
            assert_same(rows_of(hudi1[(name, "as_of", t)]), H.hudirs_as_of(base, t), f"as of {t}")
        result = hudi1[(name, "incremental", previous, t)]
        if name == NO_META:  # as Spark 0.15: no incremental without meta fields
            assert "Incremental queries are not supported when meta fields are disabled" in \
                result["error"]["message"], result
        else:
            assert_same(rows_of(result), H.hudirs_incremental(base, previous, t), f"incremental ({previous}, {t}]")
        previous = t


@pytest.mark.parametrize("name", V8)
def test_hudi1_reads_v8_tables_like_hudirs(hudi1, tables, name):
    """Incremental bounds on v8 select commits by COMPLETION time in both readers:
    (0, t1] is empty, (t1, t2] holds commit t1 (completed at c1 in between),
    (t2, latest] holds commit t2. One observed difference, pinned here: with
    the bounds (c1, c2] hudi-rs returns commit t2's rows only, Hudi 1.0.2 also
    the unchanged rows of commit t1 that t2 rewrote into its files."""
    base = tables[name]
    snapshot = rows_of(hudi1[(name, "snapshot")])
    assert keys(snapshot) == EXPECTED_KEYS[name]
    assert_same(snapshot, H.hudirs_snapshot(base), "Hudi 1.0.2 vs hudi-rs snapshot")
    (t1, c1), (t2, c2) = timeline_instants(base)
    for t in (t1, t2):
        assert_same(rows_of(hudi1[(name, "as_of", t)]), H.hudirs_as_of(base, t), f"as of {t}")
    want = {("0", t1): set(), (t1, t2): {t1}, (t2, None): {t2}, ("0", c1): {t1}}
    for (start, end), commits in want.items():
        got = rows_of(hudi1[(name, "incremental", start, end)])
        assert {r["_hoodie_commit_time"] for r in got} == commits, (start, end)
        assert_same(got, H.hudirs_incremental(base, start, end), f"incremental ({start}, {end}]")
    spark_rows = rows_of(hudi1[(name, "incremental", c1, c2)])
    rs_rows = H.hudirs_incremental(base, c1, c2)
    assert {r["_hoodie_commit_time"] for r in rs_rows} == {t2}
    assert {r["_hoodie_commit_time"] for r in spark_rows} == {t1, t2}
    assert_same([r for r in spark_rows if r["_hoodie_commit_time"] == t2], rs_rows, "commit t2's rows")


def test_hudi1_writes_v6_table_without_upgrading_it(hudi1, hudi_spark):
    target = hudi1["write_target"]
    assert hudi1["write"] == {"ok": True}, hudi1["write"]
    p = props(target)
    assert p["hoodie.table.version"] == "6" and p["hoodie.timeline.layout.version"] == "1", p
    assert not os.path.exists(os.path.join(target, ".hoodie", "metadata"))
    instants = H.hudirs_commits(target)
    assert len(instants) == 3
    rs = H.hudirs_snapshot(target)
    bob = [r for r in rs if r["_hoodie_record_key"] == "2"][0]
    assert bob["_hoodie_commit_time"] == instants[-1]
    assert {k: bob[k] for k in hudi1["written_row"]} == hudi1["written_row"]
    assert_same(rs, rows_of(hudi1["after_write"]), "hudi-rs vs Hudi 1.0.2 after the 1.0.2 write")
    assert_same(rs, H.spark_snapshot(hudi_spark, target), "hudi-rs vs Spark 0.15 after the 1.0.2 write")


# ---------------------------------------------------------------- Spark 0.15 as a writer

SCHEMA = ("id BIGINT, name STRING, amount DECIMAL(12,2), day DATE, ts TIMESTAMP, "
          "bin BINARY, score DOUBLE, region STRING, lsn BIGINT")


def sample_rows():
    return [{"id": i, "name": f"name {i}", "amount": decimal.Decimal(i * 125).scaleb(-2),
             "day": datetime.date(1969, 12, 30) + datetime.timedelta(days=i),
             "ts": datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC) + datetime.timedelta(hours=i),
             "bin": bytes([i, 0, 255]), "score": None if i == 3 else i / 3, "region": "eu" if i % 2 else "us",
             "lsn": 100} for i in range(1, 7)]


def test_spark_upsert_and_delete_make_commits_both_readers_see(hudi_spark, tmp_path):
    base = str(tmp_path / "orders")
    rows = sample_rows()
    write = dict(table_name="orders", record_key="id", precombine="lsn", partition_fields=["region"], schema=SCHEMA)
    assert "name 3" in {r["name"] for r in rows}
    H.spark_upsert(hudi_spark, base, rows, **write)
    changed = dict(rows[0], name="renamed", lsn=101)
    stale = dict(rows[1], name="stale", lsn=99)  # lower precombine: must lose
    H.spark_upsert(hudi_spark, base, [changed, stale, dict(rows[5], id=7, region="ap")], **write)
    H.spark_delete(hudi_spark, base, [{"id": 4, "region": "us"}], "orders", "id",
                   partition_fields=["region"], schema="id BIGINT, region STRING")

    want = {r["id"]: r for r in rows}
    want[1] = changed
    want[7] = dict(rows[5], id=7, region="ap")
    del want[4]
    want_rows = [want[k] for k in sorted(want, key=str)]
    rs = H.hudirs_snapshot(base, meta=False)
    assert rs == want_rows
    assert_same(rs, H.spark_snapshot(hudi_spark, base, meta=False), "Spark vs hudi-rs after Spark writes")
    full = H.hudirs_snapshot(base)
    assert {r["_hoodie_partition_path"] for r in full} == {"region=eu", "region=us", "region=ap"}

    p = props(base)
    assert p["hoodie.table.version"] == "6" and p["hoodie.table.timeline.timezone"] == "UTC", p
    assert p["hoodie.table.keygenerator.class"] == "org.apache.hudi.keygen.SimpleKeyGenerator"
    assert not os.path.exists(os.path.join(base, ".hoodie", "metadata"))
    instants = H.hudirs_commits(base)
    assert len(instants) == 3
    first = H.hudirs_as_of(base, instants[0], meta=False)
    assert first == sorted(rows, key=lambda r: str(r["id"]))
    assert_same(H.spark_as_of(hudi_spark, base, instants[0], meta=False), first, "Spark as of the first commit")
    second = H.hudirs_incremental(base, instants[0], instants[1])
    assert sorted(r["id"] for r in second) == [1, 7]
    assert_same(H.spark_incremental(hudi_spark, base, instants[0], instants[1]), second, "incremental")
    # a delete-only commit adds no rows to an incremental read, in either reader
    assert H.hudirs_incremental(base, instants[1], instants[2]) == []
    assert H.spark_incremental(hudi_spark, base, instants[1], instants[2]) == []

    # Hudi 0.15's default payload (OverwriteWithLatestAvroPayload) ignores the
    # precombine field against stored rows: an older change overwrites a newer
    # one. spark_upsert's default (DefaultHoodieRecordPayload) did not, above.
    older = dict(want[3], name="older", lsn=50)
    H.spark_upsert(hudi_spark, base, [older], **write, options={
        "hoodie.datasource.write.payload.class": "org.apache.hudi.common.model.OverwriteWithLatestAvroPayload"})
    assert [r for r in H.hudirs_snapshot(base, meta=False) if r["id"] == 3] == [older]


def test_spark_upsert_onto_a_v6_table_another_writer_made(hudi_spark, tables, tmp_path):
    base = table_copy(tables, "v6_complexkeygen_hivestyle", tmp_path)
    before = H.hudirs_snapshot(base, meta=False)
    schema = hudi_spark.read.format("hudi").load(base).drop(*H.META_COLUMNS).schema
    bob = copy.deepcopy([r for r in before if r["name"] == "Bob"][0])
    bob["intField"], bob["longField"] = -7, bob["longField"] + 1
    H.spark_upsert(hudi_spark, base, [bob], "v6_complexkeygen_hivestyle", ["id", "name"], "longField",
                   ["byteField", "shortField"], schema=schema.json())
    after = H.hudirs_snapshot(base)
    assert props(base)["hoodie.table.version"] == "6"
    assert len(H.hudirs_commits(base)) == 3
    assert H.strip_meta(after) == [bob if r["name"] == "Bob" else r for r in before]
    assert_same(after, H.spark_snapshot(hudi_spark, base), "after a Spark 0.15 upsert")

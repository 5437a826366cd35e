"""`sluice apply`: change-event JSON in, Hudi copy-on-write tables out, checked
with hudi-rs (and Spark in the Spark tests) against a Python model of the
expected table state (hudi_model.py).

Every test runs twice through the `lake` fixture (conftest.py, lake.py): on a
local lake and on an S3 lake (the session's versitygw), with the timeline and
data files listed, read and tampered with through the same helpers in both
places."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time

import hudi_oracles as oracles
from hudi_model import History, Table, random_history
from pgcluster import sluice_bin

KV_COLUMNS = [("id", "int4", True), ("v", "text", False)]
CDC = ["_change_operation_type", "_event_lsn", "_event_origin_ts_ms", "_event_tx_id"]


def apply(lake, text, *extra, check=True, env=None):
    """Runs `sluice apply --lake <lake>` (a lake.Lake) on `text`."""
    result = lake.run("apply", "--lake", lake.uri, *extra, stdin=text, env=env)
    if check:
        assert result.returncode == 0, f"sluice apply exited {result.returncode}:\n{result.stderr}"
    return result


def expected_rows(state: dict, table: Table) -> list[dict]:
    """Model rows as hudi_oracles returns them (sorted by record key, no meta)."""
    rows = []
    for key, row in state.items():
        out = {c: row.get(c) for c, _, _ in table.columns}
        out.update({c: row[c] for c in CDC})
        rows.append((",".join(str(k) for k in key) if len(key) > 1 else str(key[0]), out))
    rows.sort(key=lambda kv: kv[0])
    return [r for _, r in rows]


def commit_files(table):
    """The completed commit files on the table's timeline (a lake.LakeTable)."""
    return sorted(f for f in table.files(".hoodie") if f.endswith(".commit"))


def test_one_batch_of_inserts_updates_deletes_reads_back_in_hudi_rs(lake):
    history, table = random_history(seed=11, transactions=40)
    apply(lake, history.text())
    base = lake.table("public", "items")
    assert len(commit_files(base)) == 1
    got = base.snapshot(meta=False)
    want = expected_rows(history.states[-1][1]["items"], table)
    assert oracles.diff_rows(got, want) is None, oracles.diff_rows(got, want)


def test_each_batch_is_one_commit_and_time_travel_sees_each_state(lake):
    history, table = random_history(seed=12, transactions=30)
    # one transaction per batch: --batch-rows 1 commits after every transaction
    apply(lake, history.text(), "--batch-rows", "1")
    base = lake.table("public", "items")
    instants = base.commits()
    assert len(instants) == len(history.states)
    for instant, (_, state) in zip(instants, history.states):
        got = base.as_of(instant, meta=False)
        want = expected_rows(state["items"], table)
        assert oracles.diff_rows(got, want) is None, (instant, oracles.diff_rows(got, want))


def test_running_the_same_input_again_changes_nothing(lake):
    history, table = random_history(seed=13, transactions=20)
    apply(lake, history.text(), "--batch-rows", "10")
    base = lake.table("public", "items")
    before = commit_files(base)
    apply(lake, history.text(), "--batch-rows", "10")
    assert commit_files(base) == before
    got = base.snapshot(meta=False)
    assert oracles.diff_rows(got, expected_rows(history.states[-1][1]["items"], table)) is None


def test_input_continues_after_the_checkpoint(lake):
    history, table = random_history(seed=14, transactions=30)
    lines = history.lines
    half = len(lines) // 2
    # cut at a transaction boundary: the first line of the next transaction
    while half < len(lines) and json.loads(lines[half]).get("commit_lsn") == \
            json.loads(lines[half - 1]).get("commit_lsn"):
        half += 1
    apply(lake, "".join(line + "\n" for line in lines[:half]))
    apply(lake, history.text())  # the whole input again: the first half is skipped
    base = lake.table("public", "items")
    assert len(base.commits()) == 2
    got = base.snapshot(meta=False)
    assert oracles.diff_rows(got, expected_rows(history.states[-1][1]["items"], table)) is None


def test_unchanged_rows_keep_their_commit_time_and_seqno(lake):
    h = History(seed=1)
    t = h.add_table(Table("public", "kv", [("id", "int4", True), ("v", "text", False)]))
    h.begin()
    for i in range(1, 11):
        h.insert(t, {"id": i, "v": f"v{i}"})
    h.commit()
    h.begin()
    h.update(t, {"id": 3, "v": "changed"})
    h.delete(t, {"id": 5})
    h.commit()
    apply(lake, h.text(), "--batch-rows", "1")
    base = lake.table("public", "kv")
    first, second = base.commits()
    rows = {r["id"]: r for r in base.snapshot()}
    assert sorted(rows) == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    for i, r in rows.items():
        assert r["_hoodie_commit_time"] == (second if i == 3 else first)
        assert r["_hoodie_commit_seqno"].startswith(r["_hoodie_commit_time"] + "_")
        assert r["_hoodie_record_key"] == str(i)
        assert r["_hoodie_partition_path"] == ""
    assert rows[3]["v"] == "changed"
    # incremental: only the changed row
    inc = base.incremental(first, second, meta=False)
    assert [r["id"] for r in inc] == [3]


def test_insert_then_delete_in_one_batch_leaves_nothing_and_delete_then_insert_keeps_the_row(lake):
    h = History(seed=2)
    t = h.add_table(Table("public", "kv", [("id", "int4", True), ("v", "text", False)]))
    h.begin()
    h.insert(t, {"id": 1, "v": "a"})
    h.insert(t, {"id": 2, "v": "b"})
    h.commit()
    h.begin()
    h.insert(t, {"id": 3, "v": "new"})
    h.delete(t, {"id": 3})
    h.delete(t, {"id": 1})
    h.insert(t, {"id": 1, "v": "again"})
    h.commit()
    apply(lake, h.text(), "--batch-rows", "1000")  # one batch, one commit
    base = lake.table("public", "kv")
    assert len(base.commits()) == 1
    got = base.snapshot(meta=False)
    assert [(r["id"], r["v"]) for r in got] == [(1, "again"), (2, "b")]


def test_composite_keys_use_the_complex_key_format(lake):
    h = History(seed=3)
    t = h.add_table(Table("public", "pairs", [("a", "int4", True), ("b", "text", True),
                                              ("v", "int8", False)]))
    h.begin()
    h.insert(t, {"a": 1, "b": "x", "v": 10})
    h.insert(t, {"a": 1, "b": "y", "v": 11})
    h.commit()
    h.begin()
    h.update(t, {"a": 1, "b": "y", "v": 12})
    h.commit()
    apply(lake, h.text())
    base = lake.table("public", "pairs")
    rows = base.snapshot()
    assert [r["_hoodie_record_key"] for r in rows] == ["a:1,b:x", "a:1,b:y"]
    assert [r["v"] for r in rows] == [10, 12]
    props = base.read_text(".hoodie/hoodie.properties")
    assert "hoodie.table.recordkey.fields=a,b" in props
    assert "NonpartitionedKeyGenerator" in props


def test_partitioned_table_moves_rows_between_partitions_in_one_commit(lake):
    h = History(seed=4)
    t = h.add_table(Table("public", "regions", [("id", "int4", True), ("region", "text", False),
                                                ("v", "int4", False)]))
    h.begin()
    for i in range(1, 7):
        h.insert(t, {"id": i, "region": "eu" if i % 2 else "us", "v": i})
    h.commit()
    h.begin()
    h.update(t, {"id": 1, "region": "us", "v": 100})
    h.commit()
    apply(lake, h.text(), "--partition-by", "region", "--batch-rows", "1")
    base = lake.table("public", "regions")
    rows = base.snapshot()
    assert [(r["id"], r["region"], r["_hoodie_partition_path"]) for r in rows] == [
        (1, "us", "region=us"), (2, "us", "region=us"), (3, "eu", "region=eu"),
        (4, "us", "region=us"), (5, "eu", "region=eu"), (6, "us", "region=us")]
    assert base.exists("region=eu/.hoodie_partition_metadata")
    assert base.exists("region=us/.hoodie_partition_metadata")
    first = base.commits()[0]
    old = base.as_of(first)
    assert [(r["id"], r["region"]) for r in old][:1] == [(1, "eu")]


def test_unchanged_toast_values_keep_the_stored_value(lake):
    h = History(seed=5)
    t = h.add_table(Table("public", "docs", [("id", "int4", True), ("body", "text", False),
                                             ("n", "int4", False)]))
    h.begin()
    h.insert(t, {"id": 1, "body": "long text " * 100, "n": 1})
    h.commit()
    text = h.text()
    text += json.dumps({"op": "u", "schema": "public", "table": "docs", "lsn": "1/0",
                        "commit_lsn": "1/10", "xid": 900, "ts_ms": 1, "before": None,
                        "after": {"id": 1, "body": {"unchanged_toast": True}, "n": 2}}) + "\n"
    apply(lake, text, "--batch-rows", "1")
    rows = lake.table("public", "docs").snapshot(meta=False)
    assert [(r["id"], r["body"], r["n"]) for r in rows] == [(1, "long text " * 100, 2)]


def test_a_bad_line_commits_nothing_of_its_batch(lake):
    history, table = random_history(seed=15, transactions=10)
    good = history.text()
    apply(lake, good)
    base = lake.table("public", "items")
    before = commit_files(base)
    bad = good + json.dumps({"op": "c", "schema": "public", "table": "items", "lsn": "F/0",
                             "commit_lsn": "F/10", "xid": 1, "ts_ms": 1, "before": None,
                             "after": {"id": 999999, "qty": 99999999999}}) + "\n"
    result = apply(lake, bad, check=False)
    assert result.returncode == 1
    assert "qty" in result.stderr and "99999999999" in result.stderr and "line 74" in result.stderr
    assert commit_files(base) == before
    result = apply(lake, good + "{not json\n", check=False)
    assert result.returncode == 1 and "line" in result.stderr
    assert commit_files(base) == before


def test_a_table_with_a_metadata_table_is_refused(lake):
    history, _ = random_history(seed=16, transactions=3)
    apply(lake, history.text())
    base = lake.table("public", "items")
    props = ".hoodie/hoodie.properties"
    text = base.read_text(props)
    assert "hoodie.table.type=" in text
    base.write_text(props, text.replace("hoodie.table.type=", "hoodie.table.metadata.partitions=files\n"
                                        "hoodie.table.type="))
    more, _ = random_history(seed=17, transactions=3)
    more_text = more.text().replace('"commit_lsn": "0/', '"commit_lsn": "5/')
    result = apply(lake, more_text, check=False)
    assert result.returncode == 1
    assert "metadata table" in result.stderr


def test_a_pending_instant_from_a_crash_is_rolled_back_before_the_next_commit(lake):
    history, table = random_history(seed=18, transactions=20)
    lines = history.lines
    half = len(lines) // 2
    while json.loads(lines[half]).get("commit_lsn") == json.loads(lines[half - 1]).get("commit_lsn"):
        half += 1
    apply(lake, "".join(line + "\n" for line in lines[:half]))
    base = lake.table("public", "items")
    # a crashed writer's leftovers: requested + inflight + a data file of that instant
    base.write_text(".hoodie/29990101000000000.commit.requested", "")
    base.write_text(".hoodie/29990101000000000.inflight", "")
    stray = "00000000-0000-4000-8000-000000000000-0_0-0-1_29990101000000000.parquet"
    base.write_bytes(stray, b"PAR1 broken")
    assert base.exists(stray) and base.exists(".hoodie/29990101000000000.inflight")
    apply(lake, history.text())
    assert not base.exists(stray)
    assert not base.exists(".hoodie/29990101000000000.inflight")
    got = base.snapshot(meta=False)
    assert oracles.diff_rows(got, expected_rows(history.states[-1][1]["items"], table)) is None


def test_added_columns_evolve_the_schema_and_older_rows_read_null(lake):
    h = History(seed=6)
    t = h.add_table(Table("public", "evo", [("id", "int4", True), ("v", "text", False)]))
    h.begin()
    h.insert(t, {"id": 1, "v": "a"})
    h.insert(t, {"id": 2, "v": "b"})
    h.commit()
    first_text = h.text()
    # ALTER TABLE evo ADD COLUMN extra int8, then an insert and an update in one batch
    t.columns.append(("extra", "int8", False))
    h.announced.clear()
    h.lines.clear()
    h.begin()
    h.insert(t, {"id": 3, "v": "c", "extra": 30})
    h.commit()
    h.begin()
    h.update(t, {"id": 3, "v": "c", "extra": 31})
    h.commit()
    apply(lake, first_text)
    apply(lake, h.text(), "--batch-rows", "1000")
    got = lake.table("public", "evo").snapshot(meta=False)
    assert [(r["id"], r["v"], r.get("extra")) for r in got] == [(1, "a", None), (2, "b", None),
                                                                 (3, "c", 31)]


def test_a_schema_change_inside_a_batch_keeps_the_rows_before_it(lake):
    h = History(seed=7)
    t = h.add_table(Table("public", "evo2", [("id", "int4", True), ("n", "int4", False)]))
    h.begin()
    h.insert(t, {"id": 1, "n": 1})
    h.commit()
    t.columns = [("id", "int4", True), ("n", "int8", False), ("s", "text", False)]
    h.announced.clear()
    h.begin()
    h.insert(t, {"id": 2, "n": 2**40, "s": "wide"})
    h.commit()
    apply(lake, h.text(), "--batch-rows", "1000")
    base = lake.table("public", "evo2")
    assert len(base.commits()) == 1
    got = base.snapshot(meta=False)
    assert [(r["id"], r["n"], r["s"]) for r in got] == [(1, 1, None), (2, 2**40, "wide")]


def test_an_incompatible_type_change_fails_naming_table_column_and_types(lake):
    h = History(seed=8)
    t = h.add_table(Table("public", "clash", [("id", "int4", True), ("n", "int8", False)]))
    h.begin()
    h.insert(t, {"id": 1, "n": 1})
    h.commit()
    apply(lake, h.text())
    base = lake.table("public", "clash")
    before = commit_files(base)
    t.columns = [("id", "int4", True), ("n", "bytea", False)]
    h.announced.clear()
    h.lines.clear()
    h.begin()
    h.insert(t, {"id": 2, "n": "\\x00"})
    h.commit()
    result = apply(lake, h.text(), check=False)
    assert result.returncode == 1
    assert "clash" in result.stderr and '"n"' in result.stderr or " n" in result.stderr
    assert "bytea" in result.stderr or "bytes" in result.stderr
    assert commit_files(base) == before


def test_time_partitions_by_day(lake):
    h = History(seed=9)
    t = h.add_table(Table("public", "events", [("id", "int4", True), ("at", "timestamptz", False)]))
    import datetime as dt
    h.begin()
    h.insert(t, {"id": 1, "at": dt.datetime(2024, 1, 15, 23, 59, tzinfo=dt.timezone.utc)})
    h.insert(t, {"id": 2, "at": dt.datetime(2024, 1, 16, 0, 1, tzinfo=dt.timezone.utc)})
    h.insert(t, {"id": 3, "at": None})
    h.commit()
    apply(lake, h.text(), "--partition-by", "at:day")
    base = lake.table("public", "events")
    rows = base.snapshot()
    # a derived string column holds the day, so every reader sees the same values
    assert [(r["id"], r["at_day"], r["_hoodie_partition_path"]) for r in rows] == [
        (1, "2024-01-15", "at_day=2024-01-15"), (2, "2024-01-16", "at_day=2024-01-16"),
        (3, None, "at_day=__HIVE_DEFAULT_PARTITION__")]
    props = base.read_text(".hoodie/hoodie.properties")
    assert "hoodie.table.keygenerator.class=org.apache.hudi.keygen.SimpleKeyGenerator" in props
    assert "hoodie.table.partition.fields=at_day" in props
    assert "sluice.partition.source=at\\:day" in props
    # a later run without --partition-by keeps partitioning the same way
    more = History(seed=10)
    more.lsn = 2**40
    t2 = more.add_table(Table("public", "events", t.columns))
    more.begin()
    more.update(t2, {"id": 1, "at": dt.datetime(2024, 2, 1, 0, 0, tzinfo=dt.timezone.utc)})
    more.commit()
    apply(lake, more.text())
    rows = base.snapshot()
    assert [(r["id"], r["_hoodie_partition_path"]) for r in rows][0] == (1, "at_day=2024-02-01")


def fault_counts(stderr: str) -> dict:
    for line in stderr.splitlines():
        if line.startswith("sluice-fault-counts"):
            return {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}
    raise AssertionError(f"no fault counts in:\n{stderr}")


def lsn_value(text: str) -> int:
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


# The storage calls that change what a reader or the next writer sees.
MUTATING_OPS = ("open_write", "stream_finish", "put", "put_if_absent", "remove")


def crash_points(kind: str, counts: dict) -> list[tuple[str, int]]:
    """(op, nth) plans for SLUICE_FAULT_INJECT=op=..,nth=..,crash: every storage
    call on a local lake. On S3 every call made the test take over 2 min
    (105 calls, each crash point two sluice runs and three reads), so S3 gets a
    fixed sample: the first, every 3rd and the last call of all, plus every
    call of each mutating op, so every timeline transition is crashed on S3 too."""
    steps = counts["any"]
    if kind == "local":
        return [("any", n) for n in range(1, steps + 1)]
    points = [("any", n) for n in sorted({1, steps, *range(1, steps + 1, 3)})]
    for op in MUTATING_OPS:
        points += [(op, n) for n in range(1, counts[op] + 1)]
    return points


def test_a_crash_at_every_storage_step_of_a_commit_recovers_on_the_next_run(lake, hudi_spark):
    history, table = random_history(seed=19, transactions=12)
    lines = history.lines
    half = len(lines) // 2
    while json.loads(lines[half]).get("commit_lsn") == json.loads(lines[half - 1]).get("commit_lsn"):
        half += 1
    first = "".join(line + "\n" for line in lines[:half])
    first_lsn = lsn_value(json.loads(lines[half - 1])["commit_lsn"])
    old = expected_rows(dict(history.states)[first_lsn]["items"], table)
    new = expected_rows(history.states[-1][1]["items"], table)
    # how many storage calls the second run makes
    probe = lake.sub("probe")
    apply(probe, first)
    counted = apply(probe, history.text(), env={"SLUICE_FAULT_INJECT": "op=any,nth=0"})
    counts = fault_counts(counted.stderr)
    assert counts["any"] > 5
    interrupted = 0
    for op, n in crash_points(lake.kind, counts):
        crash_lake = lake.sub(f"crash-{op}-{n}")
        apply(crash_lake, first)
        crashed = apply(crash_lake, history.text(), check=False,
                        env={"SLUICE_FAULT_INJECT": f"op={op},nth={n},crash"})
        base = crash_lake.table("public", "items")
        # readers see the old or the new state, never a mix
        got = base.snapshot(meta=False)
        assert oracles.diff_rows(got, old) is None or oracles.diff_rows(got, new) is None, \
            (op, n, crashed.stderr)
        if crashed.returncode == 0:  # a call after the commit whose failure is only logged
            assert oracles.diff_rows(got, new) is None
        else:
            assert crashed.returncode == 1 and "injected fault" in crashed.stderr, \
                (op, n, crashed.stderr)
        interrupted += oracles.diff_rows(got, old) is None
        apply(crash_lake, history.text())
        got = base.snapshot(meta=False)
        assert oracles.diff_rows(got, new) is None, (op, n, oracles.diff_rows(got, new))
        got = base.spark_snapshot(hudi_spark, meta=False)
        assert oracles.diff_rows(got, new) is None, (op, n, "spark", oracles.diff_rows(got, new))
        hoodie = base.files(".hoodie")
        pending = [f for f in hoodie if f.endswith(".inflight") and f[:17] + ".commit" not in hoodie]
        assert pending == [], (op, n, pending)
    # the crashes did interrupt commits (most leave the old state)
    assert interrupted > 0


def test_a_second_live_writer_is_refused_and_may_write_once_the_first_is_gone(lake):
    history, table = random_history(seed=20, transactions=6)
    apply(lake, history.text())
    base = lake.table("public", "items")
    lease = ".hoodie/.aux/sluice-writer.lease"
    assert not base.exists(lease)
    first = subprocess.Popen([sluice_bin(), "apply", "--lake", lake.uri], stdin=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, **lake.env})
    try:
        first.stdin.write(history.lines[0] + "\n")  # the schema line: opens the table
        first.stdin.flush()
        for _ in range(100):
            if base.exists(lease):
                break
            time.sleep(0.1)
        assert base.exists(lease)
        more = History(seed=21)
        t = more.add_table(Table("public", "items", table.columns))
        more.lsn = 0x7000000
        more.begin()
        more.insert(t, {"id": 10**6, "name": "late", "qty": 1, "price": None, "at": None, "flag": None})
        more.commit()
        second = apply(lake, more.text(), check=False)
        assert second.returncode == 1
        assert "another sluice writer" in second.stderr and str(first.pid) in second.stderr
    finally:
        first.stdin.close()
        first.wait(timeout=60)
    assert first.returncode == 0, first.stderr.read()
    assert not base.exists(lease)
    apply(lake, more.text())
    rows = base.snapshot(meta=False)
    assert any(r["id"] == 10**6 for r in rows)


def test_truncate_empties_the_table_in_its_own_commit_and_later_rows_stay(lake):
    h = History(seed=22)
    t = h.add_table(Table("public", "kv", KV_COLUMNS))
    h.begin()
    for i in range(1, 6):
        h.insert(t, {"id": i, "v": f"v{i}"})
    h.commit()
    text = h.text()
    text += json.dumps({"op": "t", "schema": "public", "table": "kv", "lsn": "1/0",
                        "commit_lsn": "1/10", "xid": 901, "ts_ms": 1, "before": None,
                        "after": None}) + "\n"
    apply(lake, text, "--batch-rows", "1")
    base = lake.table("public", "kv")
    assert len(base.commits()) == 2
    assert base.snapshot() == []
    # truncate then inserts in one batch: only the later rows remain
    text += json.dumps({"op": "c", "schema": "public", "table": "kv", "lsn": "2/0",
                        "commit_lsn": "2/10", "xid": 902, "ts_ms": 2, "before": None,
                        "after": {"id": 1, "v": "back"}}) + "\n"
    text += json.dumps({"op": "t", "schema": "public", "table": "kv", "lsn": "3/0",
                        "commit_lsn": "3/10", "xid": 903, "ts_ms": 3, "before": None,
                        "after": None}) + "\n"
    text += json.dumps({"op": "c", "schema": "public", "table": "kv", "lsn": "4/0",
                        "commit_lsn": "4/10", "xid": 904, "ts_ms": 4, "before": None,
                        "after": {"id": 9, "v": "after"}}) + "\n"
    apply(lake, text)
    got = base.snapshot(meta=False)
    assert [(r["id"], r["v"]) for r in got] == [(9, "after")]


def file_groups(table):
    """file id -> (instant, size) of the newest base file of each file group
    of an unpartitioned table."""
    groups = {}
    for name, size in table.files(".").items():
        if name.endswith(".parquet"):
            fid, _, instant = name[:-len(".parquet")].split("_")
            groups.setdefault(fid, []).append((instant, size))
    return {fid: sorted(v)[-1] for fid, v in groups.items()}


def test_inserts_fill_small_file_groups_then_new_ones_up_to_the_maximum_size(lake, tmp_path):
    config = tmp_path / "sluice.yaml"
    config.write_text("defaults:\n  small_file_bytes: 1MB\n  max_file_bytes: 1MB\n")
    h = History(seed=23)
    t = h.add_table(Table("public", "wide", [("id", "int4", True), ("pad", "text", False)]))
    rng = random.Random(23)
    h.begin()
    for i in range(1, 20001):
        h.insert(t, {"id": i, "pad": "".join(rng.choice("abcdefghij") for _ in range(60))})
    h.commit()
    apply(lake, h.text(), "--config", str(config))
    base = lake.table("public", "wide")
    first = file_groups(base)
    # ~1.4 MB of data against a 1 MB maximum (the fixed footer aside): two or more groups
    assert len(first) >= 2, first
    # a few more inserts go into a group below the small-file limit, not a new group
    more = History(seed=24)
    more.lsn = 2**40
    t2 = more.add_table(Table("public", "wide", t.columns))
    more.begin()
    for i in range(20001, 20011):
        more.insert(t2, {"id": i, "pad": "x"})
    more.commit()
    apply(lake, more.text(), "--config", str(config))
    second = file_groups(base)
    assert set(second) == set(first)
    changed = [fid for fid in second if second[fid][0] != first[fid][0]]
    assert len(changed) == 1
    rows = base.snapshot(columns=["id"], meta=False)
    assert sorted(r["id"] for r in rows) == list(range(1, 20011))

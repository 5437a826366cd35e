"""`sluice apply`: change-event JSON in, Hudi copy-on-write tables out, checked
with hudi-rs (and Spark in the Spark tests) against a Python model of the
expected table state (hudi_model.py)."""

from __future__ import annotations

import json
import random
import os
import subprocess

import pytest

import hudi_oracles as oracles
from hudi_model import History, Table, random_history
from pgcluster import sluice_bin

KV_COLUMNS = [("id", "int4", True), ("v", "text", False)]
CDC = ["_change_operation_type", "_event_lsn", "_event_origin_ts_ms", "_event_tx_id"]


def apply(lake, text, *extra, check=True, env=None):
    result = subprocess.run([sluice_bin(), "apply", "--lake", str(lake), *extra], input=text,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, **(env or {})})
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


def timeline(lake_table):
    out = subprocess.run([sluice_bin(), "timeline", str(lake_table)], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        return None
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def commit_files(base):
    hoodie = os.path.join(base, ".hoodie")
    return sorted(f for f in os.listdir(hoodie) if f.endswith(".commit"))


def test_one_batch_of_inserts_updates_deletes_reads_back_in_hudi_rs(tmp_path):
    history, table = random_history(seed=11, transactions=40)
    apply(tmp_path, history.text())
    base = tmp_path / "public" / "items"
    assert len(commit_files(base)) == 1
    got = oracles.hudirs_snapshot(str(base), meta=False)
    want = expected_rows(history.states[-1][1]["items"], table)
    assert oracles.diff_rows(got, want) is None, oracles.diff_rows(got, want)


def test_each_batch_is_one_commit_and_time_travel_sees_each_state(tmp_path):
    history, table = random_history(seed=12, transactions=30)
    # one transaction per batch: --batch-rows 1 commits after every transaction
    apply(tmp_path, history.text(), "--batch-rows", "1")
    base = str(tmp_path / "public" / "items")
    instants = oracles.hudirs_commits(base)
    assert len(instants) == len(history.states)
    for instant, (_, state) in zip(instants, history.states):
        got = oracles.hudirs_as_of(base, instant, meta=False)
        want = expected_rows(state["items"], table)
        assert oracles.diff_rows(got, want) is None, (instant, oracles.diff_rows(got, want))


def test_running_the_same_input_again_changes_nothing(tmp_path):
    history, table = random_history(seed=13, transactions=20)
    apply(tmp_path, history.text(), "--batch-rows", "10")
    base = tmp_path / "public" / "items"
    before = commit_files(base)
    apply(tmp_path, history.text(), "--batch-rows", "10")
    assert commit_files(base) == before
    got = oracles.hudirs_snapshot(str(base), meta=False)
    assert oracles.diff_rows(got, expected_rows(history.states[-1][1]["items"], table)) is None


def test_input_continues_after_the_checkpoint(tmp_path):
    history, table = random_history(seed=14, transactions=30)
    lines = history.lines
    half = len(lines) // 2
    # cut at a transaction boundary: the first line of the next transaction
    while half < len(lines) and json.loads(lines[half]).get("commit_lsn") == \
            json.loads(lines[half - 1]).get("commit_lsn"):
        half += 1
    apply(tmp_path, "".join(line + "\n" for line in lines[:half]))
    apply(tmp_path, history.text())  # the whole input again: the first half is skipped
    base = str(tmp_path / "public" / "items")
    assert len(oracles.hudirs_commits(base)) == 2
    got = oracles.hudirs_snapshot(base, meta=False)
    assert oracles.diff_rows(got, expected_rows(history.states[-1][1]["items"], table)) is None


def test_unchanged_rows_keep_their_commit_time_and_seqno(tmp_path):
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
    apply(tmp_path, h.text(), "--batch-rows", "1")
    base = str(tmp_path / "public" / "kv")
    first, second = oracles.hudirs_commits(base)
    rows = {r["id"]: r for r in oracles.hudirs_snapshot(base)}
    assert sorted(rows) == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    for i, r in rows.items():
        assert r["_hoodie_commit_time"] == (second if i == 3 else first)
        assert r["_hoodie_commit_seqno"].startswith(r["_hoodie_commit_time"] + "_")
        assert r["_hoodie_record_key"] == str(i)
        assert r["_hoodie_partition_path"] == ""
    assert rows[3]["v"] == "changed"
    # incremental: only the changed row
    inc = oracles.hudirs_incremental(base, first, second, meta=False)
    assert [r["id"] for r in inc] == [3]


def test_insert_then_delete_in_one_batch_leaves_nothing_and_delete_then_insert_keeps_the_row(tmp_path):
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
    apply(tmp_path, h.text(), "--batch-rows", "1000")  # one batch, one commit
    base = str(tmp_path / "public" / "kv")
    assert len(oracles.hudirs_commits(base)) == 1
    got = oracles.hudirs_snapshot(base, meta=False)
    assert [(r["id"], r["v"]) for r in got] == [(1, "again"), (2, "b")]


def test_composite_keys_use_the_complex_key_format(tmp_path):
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
    apply(tmp_path, h.text())
    base = str(tmp_path / "public" / "pairs")
    rows = oracles.hudirs_snapshot(base)
    assert [r["_hoodie_record_key"] for r in rows] == ["a:1,b:x", "a:1,b:y"]
    assert [r["v"] for r in rows] == [10, 12]
    with open(os.path.join(base, ".hoodie", "hoodie.properties")) as f:
        props = f.read()
    assert "hoodie.table.recordkey.fields=a,b" in props
    assert "NonpartitionedKeyGenerator" in props


def test_partitioned_table_moves_rows_between_partitions_in_one_commit(tmp_path):
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
    apply(tmp_path, h.text(), "--partition-by", "region", "--batch-rows", "1")
    base = str(tmp_path / "public" / "regions")
    rows = oracles.hudirs_snapshot(base)
    assert [(r["id"], r["region"], r["_hoodie_partition_path"]) for r in rows] == [
        (1, "us", "region=us"), (2, "us", "region=us"), (3, "eu", "region=eu"),
        (4, "us", "region=us"), (5, "eu", "region=eu"), (6, "us", "region=us")]
    assert os.path.exists(os.path.join(base, "region=eu", ".hoodie_partition_metadata"))
    first = oracles.hudirs_commits(base)[0]
    old = oracles.hudirs_as_of(base, first)
    assert [(r["id"], r["region"]) for r in old][:1] == [(1, "eu")]


def test_unchanged_toast_values_keep_the_stored_value(tmp_path):
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
    apply(tmp_path, text, "--batch-rows", "1")
    rows = oracles.hudirs_snapshot(str(tmp_path / "public" / "docs"), meta=False)
    assert [(r["id"], r["body"], r["n"]) for r in rows] == [(1, "long text " * 100, 2)]


def test_a_bad_line_commits_nothing_of_its_batch(tmp_path):
    history, table = random_history(seed=15, transactions=10)
    good = history.text()
    apply(tmp_path, good)
    base = tmp_path / "public" / "items"
    before = commit_files(base)
    bad = good + json.dumps({"op": "c", "schema": "public", "table": "items", "lsn": "F/0",
                             "commit_lsn": "F/10", "xid": 1, "ts_ms": 1, "before": None,
                             "after": {"id": 999999, "qty": 99999999999}}) + "\n"
    result = apply(tmp_path, bad, check=False)
    assert result.returncode == 1
    assert "qty" in result.stderr and "99999999999" in result.stderr and "line 74" in result.stderr
    assert commit_files(base) == before
    result = apply(tmp_path, good + "{not json\n", check=False)
    assert result.returncode == 1 and "line" in result.stderr
    assert commit_files(base) == before


def test_a_table_with_a_metadata_table_is_refused(tmp_path):
    history, _ = random_history(seed=16, transactions=3)
    apply(tmp_path, history.text())
    props = tmp_path / "public" / "items" / ".hoodie" / "hoodie.properties"
    text = props.read_text()
    props.write_text(text.replace("hoodie.table.type=", "hoodie.table.metadata.partitions=files\n"
                                  "hoodie.table.type="))
    more, _ = random_history(seed=17, transactions=3)
    more_text = more.text().replace('"commit_lsn": "0/', '"commit_lsn": "5/')
    result = apply(tmp_path, more_text, check=False)
    assert result.returncode == 1
    assert "metadata table" in result.stderr


def test_a_pending_instant_from_a_crash_is_rolled_back_before_the_next_commit(tmp_path):
    history, table = random_history(seed=18, transactions=20)
    lines = history.lines
    half = len(lines) // 2
    while json.loads(lines[half]).get("commit_lsn") == json.loads(lines[half - 1]).get("commit_lsn"):
        half += 1
    apply(tmp_path, "".join(line + "\n" for line in lines[:half]))
    base = tmp_path / "public" / "items"
    # a crashed writer's leftovers: requested + inflight + a data file of that instant
    hoodie = base / ".hoodie"
    (hoodie / "29990101000000000.commit.requested").write_text("")
    (hoodie / "29990101000000000.inflight").write_text("")
    stray = base / "00000000-0000-4000-8000-000000000000-0_0-0-1_29990101000000000.parquet"
    stray.write_bytes(b"PAR1 broken")
    apply(tmp_path, history.text())
    assert not stray.exists()
    assert not (hoodie / "29990101000000000.inflight").exists()
    got = oracles.hudirs_snapshot(str(base), meta=False)
    assert oracles.diff_rows(got, expected_rows(history.states[-1][1]["items"], table)) is None


def test_added_columns_evolve_the_schema_and_older_rows_read_null(tmp_path):
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
    apply(tmp_path, first_text)
    apply(tmp_path, h.text(), "--batch-rows", "1000")
    base = str(tmp_path / "public" / "evo")
    got = oracles.hudirs_snapshot(base, meta=False)
    assert [(r["id"], r["v"], r.get("extra")) for r in got] == [(1, "a", None), (2, "b", None),
                                                                 (3, "c", 31)]


def test_a_schema_change_inside_a_batch_keeps_the_rows_before_it(tmp_path):
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
    apply(tmp_path, h.text(), "--batch-rows", "1000")
    base = str(tmp_path / "public" / "evo2")
    assert len(oracles.hudirs_commits(base)) == 1
    got = oracles.hudirs_snapshot(base, meta=False)
    assert [(r["id"], r["n"], r["s"]) for r in got] == [(1, 1, None), (2, 2**40, "wide")]


def test_an_incompatible_type_change_fails_naming_table_column_and_types(tmp_path):
    h = History(seed=8)
    t = h.add_table(Table("public", "clash", [("id", "int4", True), ("n", "int8", False)]))
    h.begin()
    h.insert(t, {"id": 1, "n": 1})
    h.commit()
    apply(tmp_path, h.text())
    base = tmp_path / "public" / "clash"
    before = commit_files(base)
    t.columns = [("id", "int4", True), ("n", "bytea", False)]
    h.announced.clear()
    h.lines.clear()
    h.begin()
    h.insert(t, {"id": 2, "n": "\\x00"})
    h.commit()
    result = apply(tmp_path, h.text(), check=False)
    assert result.returncode == 1
    assert "clash" in result.stderr and '"n"' in result.stderr or " n" in result.stderr
    assert "bytea" in result.stderr or "bytes" in result.stderr
    assert commit_files(base) == before


def test_time_partitions_by_day(tmp_path):
    h = History(seed=9)
    t = h.add_table(Table("public", "events", [("id", "int4", True), ("at", "timestamptz", False)]))
    import datetime as dt
    h.begin()
    h.insert(t, {"id": 1, "at": dt.datetime(2024, 1, 15, 23, 59, tzinfo=dt.timezone.utc)})
    h.insert(t, {"id": 2, "at": dt.datetime(2024, 1, 16, 0, 1, tzinfo=dt.timezone.utc)})
    h.insert(t, {"id": 3, "at": None})
    h.commit()
    apply(tmp_path, h.text(), "--partition-by", "at:day")
    base = tmp_path / "public" / "events"
    rows = oracles.hudirs_snapshot(str(base))
    # a derived string column holds the day, so every reader sees the same values
    assert [(r["id"], r["at_day"], r["_hoodie_partition_path"]) for r in rows] == [
        (1, "2024-01-15", "at_day=2024-01-15"), (2, "2024-01-16", "at_day=2024-01-16"),
        (3, None, "at_day=__HIVE_DEFAULT_PARTITION__")]
    props = (base / ".hoodie" / "hoodie.properties").read_text()
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
    apply(tmp_path, more.text())
    rows = oracles.hudirs_snapshot(str(base))
    assert [(r["id"], r["_hoodie_partition_path"]) for r in rows][0] == (1, "at_day=2024-02-01")


def fault_counts(stderr: str) -> dict:
    for line in stderr.splitlines():
        if line.startswith("sluice-fault-counts"):
            return {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}
    raise AssertionError(f"no fault counts in:\n{stderr}")


def lsn_value(text: str) -> int:
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def test_a_crash_at_every_storage_step_of_a_commit_recovers_on_the_next_run(tmp_path, hudi_spark):
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
    probe = tmp_path / "probe"
    apply(probe, first)
    counted = apply(probe, history.text(), env={"SLUICE_FAULT_INJECT": "op=any,nth=0"})
    steps = fault_counts(counted.stderr)["any"]
    assert steps > 5
    for n in range(1, steps + 1):
        lake = tmp_path / f"crash{n}"
        apply(lake, first)
        crashed = apply(lake, history.text(), check=False,
                        env={"SLUICE_FAULT_INJECT": f"op=any,nth={n},crash"})
        base = str(lake / "public" / "items")
        # readers see the old or the new state, never a mix
        got = oracles.hudirs_snapshot(base, meta=False)
        assert oracles.diff_rows(got, old) is None or oracles.diff_rows(got, new) is None, \
            (n, crashed.stderr)
        if crashed.returncode == 0:
            assert oracles.diff_rows(got, new) is None
        apply(lake, history.text())
        got = oracles.hudirs_snapshot(base, meta=False)
        assert oracles.diff_rows(got, new) is None, (n, oracles.diff_rows(got, new))
        got = oracles.spark_snapshot(hudi_spark, base, meta=False)
        assert oracles.diff_rows(got, new) is None, (n, "spark", oracles.diff_rows(got, new))
        hoodie = os.listdir(os.path.join(base, ".hoodie"))
        pending = [f for f in hoodie if f.endswith(".inflight") and f[:17] + ".commit" not in hoodie]
        assert pending == [], (n, pending)


def test_a_second_live_writer_is_refused_and_may_write_once_the_first_is_gone(tmp_path):
    history, table = random_history(seed=20, transactions=6)
    apply(tmp_path, history.text())
    first = subprocess.Popen([sluice_bin(), "apply", "--lake", str(tmp_path)], stdin=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        first.stdin.write(history.lines[0] + "\n")  # the schema line: opens the table
        first.stdin.flush()
        lease = tmp_path / "public" / "items" / ".hoodie" / ".aux" / "sluice-writer.lease"
        for _ in range(100):
            if lease.exists():
                break
            import time
            time.sleep(0.1)
        assert lease.exists()
        more = History(seed=21)
        t = more.add_table(Table("public", "items", table.columns))
        more.lsn = 0x7000000
        more.begin()
        more.insert(t, {"id": 10**6, "name": "late", "qty": 1, "price": None, "at": None, "flag": None})
        more.commit()
        second = apply(tmp_path, more.text(), check=False)
        assert second.returncode == 1
        assert "another sluice writer" in second.stderr and str(first.pid) in second.stderr
    finally:
        first.stdin.close()
        first.wait(timeout=60)
    assert first.returncode == 0, first.stderr.read()
    assert not lease.exists()
    apply(tmp_path, more.text())
    rows = oracles.hudirs_snapshot(str(tmp_path / "public" / "items"), meta=False)
    assert any(r["id"] == 10**6 for r in rows)


def test_truncate_empties_the_table_in_its_own_commit_and_later_rows_stay(tmp_path):
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
    apply(tmp_path, text, "--batch-rows", "1")
    base = str(tmp_path / "public" / "kv")
    assert len(oracles.hudirs_commits(base)) == 2
    assert oracles.hudirs_snapshot(base) == []
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
    apply(tmp_path, text)
    got = oracles.hudirs_snapshot(base, meta=False)
    assert [(r["id"], r["v"]) for r in got] == [(9, "after")]


def file_groups(base):
    groups = {}
    for name in os.listdir(base):
        if name.endswith(".parquet"):
            fid, _, instant = name[:-len(".parquet")].split("_")
            groups.setdefault(fid, []).append((instant, os.path.getsize(os.path.join(base, name))))
    return {fid: sorted(v)[-1] for fid, v in groups.items()}


def test_inserts_fill_small_file_groups_then_new_ones_up_to_the_maximum_size(tmp_path):
    config = tmp_path / "sluice.yaml"
    config.write_text("defaults:\n  small_file_bytes: 1MB\n  max_file_bytes: 1MB\n")
    h = History(seed=23)
    t = h.add_table(Table("public", "wide", [("id", "int4", True), ("pad", "text", False)]))
    rng = random.Random(23)
    h.begin()
    for i in range(1, 20001):
        h.insert(t, {"id": i, "pad": "".join(rng.choice("abcdefghij") for _ in range(60))})
    h.commit()
    lake = tmp_path / "lake"
    apply(lake, h.text(), "--config", str(config))
    base = lake / "public" / "wide"
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
    rows = oracles.hudirs_snapshot(str(base), columns=["id"], meta=False)
    assert sorted(r["id"] for r in rows) == list(range(1, 20011))

"""sluice beside Apache Hudi itself: Spark writes onto a table sluice wrote
(default BLOOM index, so it uses sluice's bloom filters) and sluice goes on;
sluice goes on with a table Spark created; a Hudi 1.x reader reads a sluice
v6 table."""

from __future__ import annotations

import os
import subprocess

import hudi_oracles as oracles
from hudi_model import History, Table
from pgcluster import sluice_bin

KV = [("id", "int4", True), ("v", "text", False)]
SPARK_SCHEMA = ("id INT, v STRING, _change_operation_type STRING, _event_lsn BIGINT, "
                "_event_origin_ts_ms BIGINT, _event_tx_id BIGINT")


def apply(lake, text, *extra):
    result = subprocess.run([sluice_bin(), "apply", "--lake", str(lake), *extra], input=text,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def kv_pairs(rows):
    return [(r["id"], r["v"]) for r in rows]


def test_spark_upserts_onto_a_sluice_table_and_sluice_continues(hudi_spark, tmp_path):
    h = History(seed=31)
    t = h.add_table(Table("public", "kv", KV))
    h.begin()
    for i in range(1, 21):
        h.insert(t, {"id": i, "v": f"s{i}"})
    h.commit()
    apply(tmp_path, h.text())
    base = str(tmp_path / "public" / "kv")
    # Spark: update 3 keys of sluice's files, insert 2 new ones (BLOOM index on our filters)
    spark_rows = [{"id": i, "v": f"spark{i}", "_change_operation_type": "u", "_event_lsn": 2**40,
                   "_event_origin_ts_ms": 1, "_event_tx_id": 1} for i in (2, 7, 21, 22, 15)]
    oracles.spark_upsert(hudi_spark, base, spark_rows, "kv", "id", "_event_lsn",
                         schema=SPARK_SCHEMA)
    want = {i: f"s{i}" for i in range(1, 21)}
    want.update({i: f"spark{i}" for i in (2, 7, 21, 22, 15)})
    assert kv_pairs(oracles.hudirs_snapshot(base)) == sorted(want.items(), key=lambda kv: str(kv[0]))
    # sluice goes on: updates a key Spark inserted, deletes one sluice wrote and Spark updated
    more = History(seed=34)
    more.lsn = 2**41
    t2 = more.add_table(Table("public", "kv", KV))
    more.begin()
    more.update(t2, {"id": 22, "v": "sluice22"})
    more.delete(t2, {"id": 7})
    more.insert(t2, {"id": 23, "v": "s23"})
    more.commit()
    apply(tmp_path, more.text())
    want[22] = "sluice22"
    del want[7]
    want[23] = "s23"
    expect = sorted(want.items(), key=lambda kv: str(kv[0]))
    assert kv_pairs(oracles.hudirs_snapshot(base)) == expect
    assert kv_pairs(oracles.spark_snapshot(hudi_spark, base)) == expect
    keys = [r["_hoodie_record_key"] for r in oracles.hudirs_snapshot(base)]
    assert len(keys) == len(set(keys))


def test_sluice_continues_a_table_spark_created(hudi_spark, tmp_path):
    base = str(tmp_path / "public" / "made_by_spark")
    rows = [{"id": i, "v": f"spark{i}", "_change_operation_type": "c", "_event_lsn": 1,
             "_event_origin_ts_ms": 1, "_event_tx_id": 1} for i in range(1, 6)]
    oracles.spark_upsert(hudi_spark, base, rows, "made_by_spark", "id", "_event_lsn",
                         schema=SPARK_SCHEMA)
    h = History(seed=32)
    t = h.add_table(Table("public", "made_by_spark", KV))
    h.begin()
    h.update(t, {"id": 2, "v": "sluice2"})
    h.delete(t, {"id": 4})
    h.insert(t, {"id": 6, "v": "sluice6"})
    h.commit()
    apply(tmp_path, h.text())
    expect = [(1, "spark1"), (2, "sluice2"), (3, "spark3"), (5, "spark5"), (6, "sluice6")]
    assert kv_pairs(oracles.hudirs_snapshot(base)) == expect
    assert kv_pairs(oracles.spark_snapshot(hudi_spark, base)) == expect


def test_hudi_1x_reads_a_sluice_v6_table(tmp_path):
    h = History(seed=33)
    t = h.add_table(Table("public", "kv", KV))
    for batch in range(3):
        h.begin()
        for i in range(1, 6):
            h.insert(t, {"id": batch * 10 + i, "v": f"b{batch}"}) if batch == 0 or i > 3 else \
                h.update(t, {"id": i, "v": f"b{batch}"})
        h.commit()
    apply(tmp_path, h.text(), "--batch-rows", "1")
    base = str(tmp_path / "public" / "kv")
    instants = oracles.hudirs_commits(base)
    assert len(instants) == 3
    results = oracles.spark_bundle_run([
        {"kind": "snapshot", "base_uri": base, "meta": False},
        {"kind": "as_of", "base_uri": base, "instant": instants[0], "meta": False},
        {"kind": "incremental", "base_uri": base, "start_exclusive": instants[0],
         "end_inclusive": instants[2], "meta": False},
    ])
    for r in results:
        assert "rows" in r, r
    assert kv_pairs(results[0]["rows"]) == kv_pairs(oracles.hudirs_snapshot(base, meta=False))
    assert kv_pairs(results[1]["rows"]) == kv_pairs(oracles.hudirs_as_of(base, instants[0], meta=False))
    assert kv_pairs(results[2]["rows"]) == kv_pairs(
        oracles.hudirs_incremental(base, instants[0], instants[2], meta=False))
    # the 1.x reader did not upgrade the table
    with open(os.path.join(base, ".hoodie", "hoodie.properties")) as f:
        assert "hoodie.table.version=6" in f.read()


def test_a_file_group_emptied_by_deletes_reads_empty_in_both_readers(hudi_spark, tmp_path):
    h = History(seed=35)
    t = h.add_table(Table("public", "kv", KV))
    h.begin()
    for i in range(1, 4):
        h.insert(t, {"id": i, "v": f"v{i}"})
    h.commit()
    h.begin()
    for i in range(1, 4):
        h.delete(t, {"id": i})
    h.commit()
    apply(tmp_path, h.text(), "--batch-rows", "1")
    base = str(tmp_path / "public" / "kv")
    first, second = oracles.hudirs_commits(base)
    assert oracles.hudirs_snapshot(base) == []
    assert oracles.spark_snapshot(hudi_spark, base) == []
    assert kv_pairs(oracles.spark_as_of(hudi_spark, base, first)) == [(1, "v1"), (2, "v2"), (3, "v3")]
    # the empty file group takes the next inserts
    more = History(seed=36)
    more.lsn = 2**40
    t2 = more.add_table(Table("public", "kv", KV))
    more.begin()
    more.insert(t2, {"id": 5, "v": "v5"})
    more.commit()
    apply(tmp_path, more.text())
    assert kv_pairs(oracles.hudirs_snapshot(base)) == [(5, "v5")]
    assert kv_pairs(oracles.spark_snapshot(hudi_spark, base)) == [(5, "v5")]
    files = [f for f in os.listdir(base) if f.endswith(".parquet")]
    assert len({f.split("_")[0] for f in files}) == 1, files

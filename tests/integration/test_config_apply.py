"""`sluice apply --config FILE`: the `lake`, `defaults` and `tables` sections of
the sluice config decide each table's partitioning, deletes and compression;
the tables are read back with hudi-rs (hudi_oracles) and compared with the
change model (hudi_model). A bad config fails with a message naming
file:line:column and the key, and writes nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pyarrow.parquet as pq

import hudi_oracles as oracles
from hudi_model import History, Table
from pgcluster import sluice_bin

UTC = dt.timezone.utc
CDC = ["_change_operation_type", "_event_lsn", "_event_origin_ts_ms", "_event_tx_id"]


def apply(text, *args, env=None, check=True):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")
               or k == "SLUICE_BIN"}
    environ.update(env or {})
    result = subprocess.run([sluice_bin(), "apply", *args], input=text, capture_output=True,
                            text=True, timeout=300, env=environ)
    if check:
        assert result.returncode == 0, f"sluice apply exited {result.returncode}:\n{result.stderr}"
    return result


def write_config(tmp_path, text, name="sluice.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def model_rows(table: Table, extra: dict | None = None) -> list[dict]:
    """The model's live rows plus `extra` (key -> row), as hudi_oracles returns them."""
    rows = {k[0]: r for k, r in table.rows.items()}
    rows.update(extra or {})
    out = []
    for key in sorted(rows):
        row = rows[key]
        out.append({**{c: row.get(c) for c, _, _ in table.columns}, **{c: row[c] for c in CDC}})
    return out


def two_tables():
    """events (partitioned by day in the config, hard deletes) and orders (soft deletes).
    Returns the history, both tables, and the orders rows a soft delete keeps."""
    h = History(seed=31)
    events = h.add_table(Table("public", "events", [("id", "int4", True),
                                                    ("at", "timestamptz", False),
                                                    ("v", "text", False)]))
    orders = h.add_table(Table("public", "orders", [("id", "int4", True),
                                                    ("status", "text", False)]))
    day = dt.datetime(2024, 1, 15, 22, 0, tzinfo=UTC)
    h.begin()
    for i in range(1, 7):
        h.insert(events, {"id": i, "at": day + dt.timedelta(hours=i), "v": f"e{i}"})
        h.insert(orders, {"id": i, "status": "new"})
    h.commit()
    h.begin()
    h.update(orders, {"id": 2, "status": "paid"})
    h.update(events, {"id": 1, "at": day + dt.timedelta(days=3), "v": "moved"})
    h.commit()
    # deletes in their own transaction: each transaction is one commit (--batch-rows 1),
    # so the soft-deleted rows are stored rows when their delete arrives
    kept = {}
    h.begin()
    for key in (2, 5):
        kept[key] = dict(orders.rows[(key,)])
        h.delete(orders, {"id": key})
    h.delete(events, {"id": 3})
    lsn = h.commit()
    for row in kept.values():
        row.update({"_change_operation_type": "d", "_event_lsn": lsn,
                    "_event_origin_ts_ms": h.ts_ms, "_event_tx_id": h.xid})
    return h, events, orders, kept


def test_tables_section_partitions_one_table_by_day_and_keeps_soft_deleted_rows(tmp_path):
    h, events, orders, kept = two_tables()
    lake = tmp_path / "lake"
    config = write_config(tmp_path, f"""
lake: {lake}
defaults:
  compression: zstd
tables:
  public.events:
    partition_by: at:day
  public.orders:
    deletes: soft
""")
    apply(h.text(), "--config", str(config), "--batch-rows", "1")

    base = lake / "public" / "events"
    rows = oracles.hudirs_snapshot(str(base))
    assert [(r["id"], r["_hoodie_partition_path"]) for r in rows] == [
        (1, "at_day=2024-01-18"), (2, "at_day=2024-01-16"), (4, "at_day=2024-01-16"),
        (5, "at_day=2024-01-16"), (6, "at_day=2024-01-16")]
    # the derived partition column holds the day; the rest is the model's row
    assert [r.pop("at_day") for r in rows] == ["2024-01-18"] + ["2024-01-16"] * 4
    assert oracles.diff_rows(oracles.strip_meta(rows), model_rows(events)) is None
    props = (base / ".hoodie" / "hoodie.properties").read_text()
    assert "hoodie.table.keygenerator.class=org.apache.hudi.keygen.SimpleKeyGenerator" in props
    assert "hoodie.table.partition.fields=at_day" in props
    assert (base / "at_day=2024-01-16" / ".hoodie_partition_metadata").exists()

    base = lake / "public" / "orders"
    got = oracles.hudirs_snapshot(str(base), meta=False)
    want = model_rows(orders, kept)
    assert [r["id"] for r in got] == [1, 2, 3, 4, 5, 6]
    assert oracles.diff_rows(got, want) is None, oracles.diff_rows(got, want)
    assert {r["id"]: r["_change_operation_type"] for r in got if r["id"] in kept} == \
        {2: "d", 5: "d"}
    assert "NonpartitionedKeyGenerator" in (base / ".hoodie" / "hoodie.properties").read_text()
    # defaults apply to both tables
    for table in ("events", "orders"):
        files = [os.path.join(d, f) for d, _, fs in os.walk(lake / "public" / table)
                 for f in fs if f.endswith(".parquet")]
        assert files
        # (a file group whose rows all moved to another partition has no row group)
        metas = [pq.ParquetFile(f).metadata for f in files]
        chunks = [m.row_group(g).column(c) for m in metas for g in range(m.num_row_groups)
                  for c in range(m.num_columns)]
        assert chunks and {c.compression for c in chunks} == {"ZSTD"}


def test_without_the_config_deletes_are_hard_and_tables_unpartitioned(tmp_path):
    # the same input without --config: the behaviour the config changed above
    h, events, orders, _ = two_tables()
    apply(h.text(), "--lake", str(tmp_path), "--batch-rows", "1")
    got = oracles.hudirs_snapshot(str(tmp_path / "public" / "orders"), meta=False)
    assert [r["id"] for r in got] == [1, 3, 4, 6]
    rows = oracles.hudirs_snapshot(str(tmp_path / "public" / "events"))
    assert {r["_hoodie_partition_path"] for r in rows} == {""}


def test_partition_by_flag_applies_only_to_tables_the_config_does_not_name(tmp_path):
    h = History(seed=32)
    named = h.add_table(Table("public", "named", [("id", "int4", True), ("region", "text", False)]))
    other = h.add_table(Table("public", "other", [("id", "int4", True), ("region", "text", False)]))
    h.begin()
    for i in range(1, 5):
        h.insert(named, {"id": i, "region": "eu" if i % 2 else "us"})
        h.insert(other, {"id": i, "region": "eu" if i % 2 else "us"})
    h.commit()
    config = write_config(tmp_path, "tables:\n  public.named:\n    compression: none\n")
    lake = tmp_path / "lake"
    # --lake wins over (the absent) lake of the config; --partition-by over nothing named
    apply(h.text(), "--config", str(config), "--lake", str(lake), "--partition-by", "region")
    rows = oracles.hudirs_snapshot(str(lake / "public" / "named"))
    assert {r["_hoodie_partition_path"] for r in rows} == {""}
    rows = oracles.hudirs_snapshot(str(lake / "public" / "other"))
    assert sorted({r["_hoodie_partition_path"] for r in rows}) == ["region=eu", "region=us"]
    assert oracles.diff_rows(oracles.strip_meta(rows), model_rows(other)) is None


def test_lake_flag_and_environment_override_the_config_lake(tmp_path):
    h = History(seed=33)
    t = h.add_table(Table("public", "kv", [("id", "int4", True), ("v", "text", False)]))
    h.begin()
    h.insert(t, {"id": 1, "v": "a"})
    h.commit()
    file_lake, env_lake, flag_lake = tmp_path / "file", tmp_path / "env", tmp_path / "flag"
    config = write_config(tmp_path, f"lake: {file_lake}\n")
    apply(h.text(), "--config", str(config), env={"SLUICE_LAKE": str(env_lake)})
    assert (env_lake / "public" / "kv" / ".hoodie").is_dir()
    assert not file_lake.exists()
    apply(h.text(), "--config", str(config), "--lake", str(flag_lake),
          env={"SLUICE_LAKE": str(env_lake)})
    assert oracles.strip_meta(oracles.hudirs_snapshot(str(flag_lake / "public" / "kv"))) == \
        model_rows(t)
    apply(h.text(), "--config", str(config))
    assert (file_lake / "public" / "kv" / ".hoodie").is_dir()


BAD_CONFIGS = [
    # (config text, strings the message must hold)
    ("tables:\n  public.orders:\n    deletes: sofft\n",
     [":3:14: tables['public.orders'].deletes: 'sofft'", "hard or soft"]),
    ("tables:\n  public.orders:\n    partition_by: created_at:week\n",
     [":3:19: tables['public.orders'].partition_by: 'created_at:week'", "COLUMN:day"]),
    ("defaults:\n  delets: soft\n", [":2:3: defaults: unknown key 'delets'", "'deletes'"]),
    ("defaults:\n  small_file_bytes: 200MB\n  max_file_bytes: 100MB\n",
     [":2:21: defaults.small_file_bytes: 200MB is larger than max_file_bytes (100MB, set at "
      "line 3)"]),
    ("defaults:\n  max_file_bytes: -1MB\n", [":2:19: defaults.max_file_bytes: '-1MB' is negative"]),
    ("tables:\n  orders: {deletes: soft}\n", [":2:3: tables: table name 'orders' has no schema",
                                              "public.orders"]),
    ("tables:\n  public.orders: {}\n  public.orders: {deletes: soft}\n",
     [":3:3: tables: 'public.orders' names the same table as the entry at line 2"]),
    ("tables:\n\tpublic.orders: {}\n", [":2:1: YAML syntax error"]),
    ("source:\n  dsn: \"password=hunter2\"\n  colour: red\n",
     [":3:3: source: unknown key 'colour'"]),
]


def test_a_bad_config_fails_with_a_clear_message_and_writes_nothing(tmp_path):
    h = History(seed=34)
    t = h.add_table(Table("public", "orders", [("id", "int4", True), ("v", "text", False)]))
    h.begin()
    h.insert(t, {"id": 1, "v": "a"})
    h.commit()
    for n, (text, want) in enumerate(BAD_CONFIGS):
        lake = tmp_path / f"lake{n}"
        # lake: goes last, so the line numbers above are the file's
        config = write_config(tmp_path, text + f"lake: {lake}\n", name=f"bad{n}.yaml")
        result = apply(h.text(), "--config", str(config), check=False)
        assert result.returncode == 2, (text, result.stderr)
        for w in want:
            w = f"{config}{w}" if w.startswith(":") else w
            assert w in result.stderr, (w, result.stderr)
        assert "hunter2" not in result.stderr
        assert not lake.exists(), (text, os.listdir(lake))
    result = apply(h.text(), "--config", str(tmp_path / "missing.yaml"), "--lake",
                   str(tmp_path / "lake_missing"), check=False)
    assert result.returncode == 2
    assert "missing.yaml" in result.stderr and "No such file" in result.stderr
    assert not (tmp_path / "lake_missing").exists()
    # neither --lake nor lake: in the config
    config = write_config(tmp_path, "defaults: {deletes: soft}\n", name="nolake.yaml")
    result = apply(h.text(), "--config", str(config), check=False)
    assert result.returncode == 2 and "--lake (or lake: in the --config file) is required" in \
        result.stderr


def test_the_dsn_is_never_printed(tmp_path):
    h = History(seed=35)
    t = h.add_table(Table("public", "kv", [("id", "int4", True), ("v", "text", False)]))
    h.begin()
    h.insert(t, {"id": 1, "v": "a"})
    h.commit()
    config = write_config(tmp_path, f"lake: {tmp_path / 'lake'}\nsource:\n"
                                    "  dsn: \"host=db password=hunter2\"\n")
    result = apply(h.text(), "--config", str(config), "--log-level", "debug")
    assert "hunter2" not in result.stderr and "config_loaded" in result.stderr
    result = apply(h.text(), "--config", str(config), check=False,
                   env={"SLUICE_SOURCE_DSN": "password=hunter2", "SLUICE_DEFAULTS_DELETES": "x"})
    assert result.returncode == 2
    assert "SLUICE_DEFAULTS_DELETES" in result.stderr and "hunter2" not in result.stderr

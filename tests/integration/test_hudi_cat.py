"""`sluice cat` and `sluice timeline` against tables Spark wrote, and against
tables built here with pyarrow (schema evolution, missing files, bad types).

The expected answers come from a model of each table computed here from the
file names, the timeline and the commit JSON (never from sluice), with the
rows read by pyarrow: snapshot and time travel = per file group the newest
base file of a completed commit <= the instant, minus replaced file groups;
incremental = the files named by the write stats of the commits in range,
newest per file group, rows whose _hoodie_commit_time lies in the range. The
same queries also go to hudi-rs (hudi_oracles.py) where it can answer.
"""

from __future__ import annotations

import datetime
import decimal
import glob
import json
import math
import os
import re
import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import hudi_oracles as H
from pgcluster import run_sluice

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "hudi-spark-tables")
TABLES = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(FIXTURES, "*.zip")))
META = ["_hoodie_commit_time", "_hoodie_commit_seqno", "_hoodie_record_key",
        "_hoodie_partition_path", "_hoodie_file_name"]
DATA_ACTIONS = ("commit", "deltacommit", "replacecommit")
ACTION_ORDER = ["commit", "deltacommit", "replacecommit", "clean", "rollback", "savepoint",
                "restore", "compaction", "logcompaction", "indexing", "clustering", "schemacommit"]
STATE_ORDER = ["requested", "inflight", "completed"]
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- the model

def read_properties(path):
    props = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line[0] in "#!":
                continue
            key, _, value = line.partition("=")
            props[key] = re.sub(r"\\(.)", r"\1", value)
    return props


def avro_fields(schema_json):
    """[(name, type without its null branch)] of an Avro record schema."""
    fields = []
    for f in json.loads(schema_json)["fields"]:
        t = f["type"]
        if isinstance(t, list) and len(t) == 2 and "null" in t:
            t = t[0] if t[1] == "null" else t[1]
        fields.append((f["name"], t))
    return fields


def nested(avro_type):
    return isinstance(avro_type, list) or (isinstance(avro_type, dict)
                                           and avro_type.get("type") in ("record", "array", "map"))


class Table:
    """What a reader should see in the table at `base`, computed from its files."""

    def __init__(self, base):
        self.base = base
        self.props = read_properties(os.path.join(base, ".hoodie", "hoodie.properties"))
        self.version = int(self.props["hoodie.table.version"])
        self.folder = os.path.join(base, ".hoodie", "timeline" if self.version >= 8 else "")
        self.meta_fields = self.props.get("hoodie.populate.meta.fields", "true") != "false"
        instants = {}
        for name in os.listdir(self.folder):
            m = re.fullmatch(r"(\d{17})(?:_(\d{17}))?\.([a-z]+)(?:\.(requested|inflight))?", name)
            if not m:
                continue
            time, completion, action, state = m.groups()
            if action == "inflight" and state is None:
                action, state = "commit", "inflight"
            state = state or "completed"
            entry = instants.setdefault((time, action), {"instant": time, "action": action,
                                                         "state": state, "completion": None,
                                                         "file": None})
            if STATE_ORDER.index(state) > STATE_ORDER.index(entry["state"]):
                entry["state"] = state
            if state == "completed":
                entry["file"] = os.path.join(self.folder, name)
                entry["completion"] = completion
        self.instants = sorted(instants.values(),
                               key=lambda i: (i["instant"], ACTION_ORDER.index(i["action"])))
        self.commits = [i for i in self.instants if i["state"] == "completed" and i["action"] in DATA_ACTIONS]
        self.completed = [i["instant"] for i in self.commits]
        self.files = []  # (partition, file_id, instant, path)
        for root, dirs, names in os.walk(base):
            dirs[:] = [d for d in dirs if d != ".hoodie"]
            for name in names:
                m = re.fullmatch(r"([^_]+)_[^_]+_(\d+)\.parquet", name)
                if m:
                    part = os.path.relpath(root, base)
                    self.files.append(("" if part == "." else part, m.group(1), m.group(2),
                                       os.path.join(root, name)))

    def commit_json(self, instant):
        with open(instant["file"], "rb") as f:
            data = f.read()
        if data.startswith(b"Obj\x01"):
            return v8_commit_json(self.base, instant)
        return json.loads(data) if data.strip() else {}

    def schema(self):
        for c in reversed(self.commits):
            meta = self.commit_json(c)
            if meta and (meta.get("extraMetadata") or {}).get("schema"):
                return avro_fields(meta["extraMetadata"]["schema"])
        create = self.props.get("hoodie.table.create.schema")
        return avro_fields(create) if create else []

    def columns(self):
        return [(n, t) for n, t in self.schema() if not nested(t) and n not in META]

    def replaced(self, instants):
        out = set()
        for c in instants:
            if c["action"] == "replacecommit":
                for part, ids in (self.commit_json(c).get("partitionToReplaceFileIds") or {}).items():
                    out.update((part, i) for i in ids)
        return out

    def slices(self, as_of=None):
        """Paths of the latest base file per live file group as of as_of (None = latest)."""
        done = [c for c in self.completed if as_of is None or c <= as_of]
        newest = {}
        for part, fid, inst, path in self.files:
            if inst in done and ((part, fid) not in newest or newest[(part, fid)][0] < inst):
                newest[(part, fid)] = (inst, path)
        for c in self.commits:
            if c["action"] == "replacecommit" and c["instant"] in done:
                for key in self.replaced([c]):
                    if key in newest and newest[key][0] <= c["instant"]:
                        del newest[key]
        return [p for _, p in newest.values()]

    def incremental(self, since, until=None):
        """(paths, first, last) of an incremental query over (since, until]."""
        commits = [c for c in self.commits if c["instant"] > since and (until is None or c["instant"] <= until)]
        if not commits:
            return [], None, None
        replaced = self.replaced(commits)
        newest = {}
        for c in commits:
            for part, stats in self.commit_json(c)["partitionToWriteStats"].items():
                for st in stats:
                    if (part, st["fileId"]) not in replaced:
                        newest[(part, st["fileId"])] = os.path.join(self.base, st["path"])
        return list(newest.values()), commits[0]["instant"], commits[-1]["instant"]

    def incremental_v8(self, since, until=None):
        """(paths, commit times) of a version 8 incremental query over (since, until]
        in COMPLETION times: the commits that completed in the range, the newest
        file per file group they wrote, and the (requested) times of those
        commits, which the rows must carry (hudi-rs 0.5, and Hudi 1.x but for
        the rows noted in test_hudi_oracles.py)."""
        commits = [c for c in self.commits
                   if c["completion"] > since and (until is None or c["completion"] <= until)]
        replaced = self.replaced(commits)
        newest = {}
        for c in commits:  # instant order: a later write of a file group wins
            for part, stats in self.commit_json(c)["partitionToWriteStats"].items():
                for st in stats:
                    if (part, st["fileId"]) not in replaced:
                        newest[(part, st["fileId"])] = os.path.join(self.base, st["path"])
        return list(newest.values()), {c["instant"] for c in commits}


def v8_commit_json(base, instant):
    """A version 8 instant's commit metadata (an Avro container) as JSON, decoded
    by hudi-rs, which shares no code with sluice."""
    try:
        import hudi
    except ImportError as e:
        pytest.skip(f"the hudi package (hudi-rs) reads the model's v8 commit metadata: {e}")
    timeline = hudi.HudiTable(base).get_timeline()
    for i in timeline.get_completed_commits() + timeline.get_completed_replacecommits():
        if i.timestamp == instant["instant"] and i.action == instant["action"]:
            return json.loads(timeline.get_instant_metadata_in_json(i))
    raise AssertionError(f"hudi-rs does not list {instant['action']} {instant['instant']} of {base}")


# ---------------------------------------------------------------- values

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def float_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def ts_text(micros, utc):
    dt = EPOCH + datetime.timedelta(microseconds=micros)
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
            f"{dt.second:02d}.{dt.microsecond:06d}" + ("+00" if utc else ""))


def column_json(col):
    """A pyarrow column's values in sluice's JSON conventions (as json.loads gives them)."""
    t = col.type
    if pa.types.is_timestamp(t):
        per = {"s": 10**6, "ms": 1000, "us": 1, "ns": None}[t.unit]
        raw = col.cast(pa.int64()).to_pylist()
        return [None if v is None else ts_text(v * per if per else v // 1000, t.tz is not None) for v in raw]
    out = []
    for v in col.to_pylist():
        if v is None:
            out.append(None)
        elif pa.types.is_floating(t):
            out.append(float_json(v))
        elif pa.types.is_decimal(t):
            out.append(format(v, "f"))
        elif pa.types.is_date(t):
            out.append(f"{v.year:04d}-{v.month:02d}-{v.day:02d}")
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
            out.append("\\x" + v.hex())
        else:
            out.append(v)
    return out


def expected_rows(paths, columns, meta=False, commit_range=None):
    """Rows of the files as sluice should print them: `columns` [(name, avro type)]."""
    names = (META if meta else []) + [n for n, _ in columns]
    rows = []
    for path in paths:
        t = pq.read_table(path)
        values = {}
        for name in names:
            values[name] = column_json(t.column(name)) if name in t.column_names else [None] * t.num_rows
        keep = range(t.num_rows)
        if commit_range is not None:
            times = t.column("_hoodie_commit_time").to_pylist()
            keep = [r for r in keep if times[r] is not None and commit_range[0] <= times[r] <= commit_range[1]]
        rows.extend({n: values[n][r] for n in names} for r in keep)
    return rows


def canonical(rows, columns):
    """Rows as sorted JSON texts, float columns rounded as their type (float32 or double)."""
    singles = {n for n, t in columns if t == "float"}
    floats = {n for n, t in columns if t in ("float", "double")}

    def number(k, v):
        if k not in floats or isinstance(v, (str, bool)) or v is None:
            return v
        return f32(float(v)) if k in singles else float(v)  # JSON "1" is the float 1.0

    out = []
    for row in rows:
        row = {k: number(k, v) for k, v in row.items()}
        out.append(json.dumps(row, sort_keys=True))
    return sorted(out)


def cat(base, *args, expect=0):
    r = run_sluice(["cat", base, *args])
    assert r.returncode == expect, f"sluice cat {' '.join(args)}: exit {r.returncode}\n{r.stderr}"
    return r


def cat_rows(base, *args):
    r = cat(base, *args)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    return rows, r


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def fixture_tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("hudi-fixtures")
    return {name: H.unzip_table(os.path.join(FIXTURES, name + ".zip"), str(root / name)) for name in TABLES}


def test_fixture_set_is_present():
    assert {"v6_nonpartitioned", "v6_simplekeygen_nonhivestyle_overwritetable",
            "v6_complexkeygen_hivestyle", "v8_nonpartitioned"} <= set(TABLES)


@pytest.mark.parametrize("name", TABLES)
def test_snapshot_equals_latest_slices(fixture_tables, name):
    t = Table(fixture_tables[name])
    cols = t.columns()
    rows, r = cat_rows(t.base)
    want = expected_rows(t.slices(), cols)
    assert canonical(rows, cols) == canonical(want, cols)
    for row in rows:
        assert list(row) == [n for n, _ in cols]
    left_out = [n for n, ty in t.schema() if nested(ty)]
    if left_out:
        assert "left out nested columns" in r.stderr and ",".join(left_out) in r.stderr
    if name != "v6_empty":
        assert rows, "a fixture with commits must have rows"


@pytest.mark.parametrize("name", TABLES)
def test_time_travel_to_every_instant(fixture_tables, name):
    t = Table(fixture_tables[name])
    cols = t.columns()
    seen = set()
    for instant in t.completed + ["19700101000000000"]:
        rows, _ = cat_rows(t.base, "--as-of", instant)
        want = expected_rows(t.slices(instant), cols)
        got = canonical(rows, cols)
        assert got == canonical(want, cols), f"as of {instant}"
        seen.add(tuple(got))
    # a table with several commits must show several states (the test can tell them apart)
    if name not in ("v6_empty", "v6_simplekeygen_hivestyle_no_metafields"):
        assert len(seen) >= 3
    # the dashed form names the same instant
    if t.completed:
        i = t.completed[0]
        dashed = f"{i[0:4]}-{i[4:6]}-{i[6:8]} {i[8:10]}:{i[10:12]}:{i[12:14]}.{i[14:17]}"
        assert cat(t.base, "--as-of", dashed).stdout == cat(t.base, "--as-of", i).stdout


@pytest.mark.parametrize("name", [n for n in TABLES if n.startswith("v6_") and "no_metafields" not in n])
def test_incremental_between_consecutive_instants(fixture_tables, name):
    t = Table(fixture_tables[name])
    cols = t.columns()
    bounds = ["000"] + t.completed
    ranges = list(zip(bounds, bounds[1:])) + [("000", None)]
    if t.completed:
        ranges.append((t.completed[-1], None))
    for since, until in ranges:
        args = ["--since", since] + (["--until", until] if until else [])
        rows, _ = cat_rows(t.base, *args, "--meta")
        paths, first, last = t.incremental(since if since != "000" else "0", until)
        want = expected_rows(paths, cols, meta=True, commit_range=(first, last)) if paths else []
        assert canonical(rows, cols) == canonical(want, cols), f"since {since} until {until}"
        for row in rows:
            assert since < row["_hoodie_commit_time"] and (until is None or row["_hoodie_commit_time"] <= until)
    # the two halves of the whole range together give the whole range
    if len(t.completed) >= 2:
        mid = t.completed[0]
        first_half, _ = cat_rows(t.base, "--since", "000", "--until", mid, "--meta")
        second_half, _ = cat_rows(t.base, "--since", mid, "--meta")
        assert first_half and second_half
        assert all(r["_hoodie_commit_time"] <= mid for r in first_half)
        assert all(r["_hoodie_commit_time"] > mid for r in second_half)


def test_incremental_sees_inserts_of_a_replaced_range_only_after_the_replace(fixture_tables):
    t = Table(fixture_tables["v6_simplekeygen_nonhivestyle_overwritetable"])
    replace = [c["instant"] for c in t.commits if c["action"] == "replacecommit"]
    assert len(replace) == 1
    everything, _ = cat_rows(t.base, "--since", "000", "--meta")
    # the overwrite replaced every earlier file group: only its own rows remain
    assert {r["_hoodie_commit_time"] for r in everything} == set(replace)
    before, _ = cat_rows(t.base, "--since", "000", "--until", t.completed[-2], "--meta")
    assert len(before) > len(everything)


@pytest.mark.parametrize("name", [n for n in TABLES if n.startswith("v8_")])
def test_incremental_on_version_8_selects_commits_by_completion_time(fixture_tables, name):
    """Version 8 bounds are completion times: a commit is in (since, until] when it
    COMPLETED in it, and the rows are those carrying one of those commits'
    (requested) times. The fixtures' two commits each complete between their
    request and the next one: t1 < c1 < t2 < c2."""
    t = Table(fixture_tables[name])
    cols = t.columns()
    (t1, c1), (t2, c2) = [(c["instant"], c["completion"]) for c in t.commits]
    assert t1 < c1 < t2 < c2
    bounds = ["0", c1, c2]
    ranges = list(zip(bounds, bounds[1:])) + [("0", None), (c1, None), (c2, None),
                                               ("0", t1), (t1, t2), (t2, None)]
    seen = set()
    for since, until in ranges:
        args = ["--since", since] + (["--until", until] if until else [])
        rows, _ = cat_rows(t.base, *args, "--meta")
        paths, times = t.incremental_v8(since, until)
        want = [r for r in expected_rows(paths, cols, meta=True) if r["_hoodie_commit_time"] in times]
        got = canonical(rows, cols)
        assert got == canonical(want, cols), f"since {since} until {until}"
        seen.add(tuple(got))
    assert len(seen) >= 4  # the ranges tell the commits apart
    commit_times = lambda *args: {r["_hoodie_commit_time"] for r in cat_rows(t.base, *args, "--meta")[0]}
    # by requested times these would be {t1}, {t2}, {t1, t2}, {}: completion times decide
    assert commit_times("--since", "0", "--until", t1) == set()
    assert commit_times("--since", t1, "--until", t2) == {t1}
    assert commit_times("--since", t2) == {t2}
    assert commit_times("--since", c1, "--until", c2) == {t2}
    assert commit_times("--since", "0", "--until", c1) == {t1}
    # the dashed form is a completion time too
    dashed = f"{c1[0:4]}-{c1[4:6]}-{c1[6:8]} {c1[8:10]}:{c1[10:12]}:{c1[12:14]}.{c1[14:17]}"
    assert cat(t.base, "--since", dashed, "--meta").stdout == cat(t.base, "--since", c1, "--meta").stdout


def test_incremental_needs_meta_fields(fixture_tables):
    r = cat(fixture_tables["v6_simplekeygen_hivestyle_no_metafields"], "--since", "000", expect=2)
    assert "hoodie.populate.meta.fields=false" in r.stderr


def test_meta_columns_come_first_and_hold_the_files_values(fixture_tables):
    t = Table(fixture_tables["v6_complexkeygen_hivestyle"])
    cols = t.columns()
    rows, _ = cat_rows(t.base, "--meta")
    want = expected_rows(t.slices(), cols, meta=True)
    assert canonical(rows, cols) == canonical(want, cols)
    for row in rows:
        assert list(row)[:5] == META
        assert row["_hoodie_file_name"].endswith(".parquet")
    # a table written without meta fields: its files hold them as null, but for the file name
    t = Table(fixture_tables["v6_simplekeygen_hivestyle_no_metafields"])
    rows, _ = cat_rows(t.base, "--meta")
    want = expected_rows(t.slices(), t.columns(), meta=True)
    assert rows and canonical(rows, t.columns()) == canonical(want, t.columns())
    assert all(row["_hoodie_record_key"] is None for row in rows)


def test_columns_pick_and_order(fixture_tables):
    t = Table(fixture_tables["v6_nonpartitioned"])
    rows, r = cat_rows(t.base, "--columns", "name,id,_hoodie_record_key,decimalField")
    assert "left out" not in r.stderr
    want = expected_rows(t.slices(), t.columns(), meta=True)
    assert sorted(json.dumps(row) for row in rows) == sorted(
        json.dumps({"name": w["name"], "id": w["id"], "_hoodie_record_key": w["_hoodie_record_key"],
                    "decimalField": w["decimalField"]}) for w in want)
    rows, _ = cat_rows(t.base, "--columns=id", "--meta")
    assert [list(row) for row in rows] == [META + ["id"]] * len(want)


# ---------------------------------------------------------------- timeline

@pytest.mark.parametrize("name", TABLES)
def test_timeline_lists_instants_with_write_stat_counts(fixture_tables, name):
    t = Table(fixture_tables[name])
    r = run_sluice(["timeline", t.base])
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["instant"], x["action"], x["state"]) for x in lines] == \
        [(i["instant"], i["action"], i["state"]) for i in t.instants]
    for line, inst in zip(lines, t.instants):
        if t.version >= 8:
            assert line["completion"] == inst["completion"]
        meta = t.commit_json(inst) if inst in t.commits else None
        if meta is None:
            assert line["operation"] is None and line["inserts"] is None and line["files"] is None
            continue
        stats = [s for group in meta["partitionToWriteStats"].values() for s in group]
        assert line["operation"] == meta.get("operationType")
        assert line["inserts"] == sum(s["numInserts"] for s in stats)
        assert line["updates"] == sum(s["numUpdateWrites"] for s in stats)
        assert line["deletes"] == sum(s["numDeletes"] for s in stats)
        assert line["files"] == len(stats)
        assert line["bytes"] == sum(s["totalWriteBytes"] for s in stats)
        assert line["checkpoint"] == (meta.get("extraMetadata") or {}).get("sluice.checkpoint")
    if t.version >= 8:  # the Avro commit metadata is read: no "cannot read" warning
        assert "Avro" not in r.stderr and "warning" not in r.stderr, r.stderr


# ---------------------------------------------------------------- tables built here

T1, T2, T3 = "20240101000000000", "20240102000000000", "20240103000000000"
PROPS = ("hoodie.table.name=evo\nhoodie.table.type=COPY_ON_WRITE\nhoodie.table.version=6\n"
         "hoodie.timeline.layout.version=1\nhoodie.table.recordkey.fields=id\n"
         "hoodie.table.partition.fields=\nhoodie.database.name=default\n")


def avro_schema(fields):
    return json.dumps({"type": "record", "name": "evo_record", "namespace": "hoodie.evo",
                       "fields": [{"name": n, "type": ["null", t], "default": None} for n, t in fields]})


def write_base_file(base, file_id, instant, columns, commit_times):
    name = f"{file_id}_0-1-1_{instant}.parquet"
    n = len(commit_times)
    meta = {"_hoodie_commit_time": commit_times,
            "_hoodie_commit_seqno": [f"{instant}_0_{i}" for i in range(n)],
            "_hoodie_record_key": [str(v) for v in columns["id"].to_pylist()],
            "_hoodie_partition_path": [""] * n,
            "_hoodie_file_name": [name] * n}
    table = pa.table({**{k: pa.array(v, pa.string()) for k, v in meta.items()}, **columns})
    pq.write_table(table, os.path.join(base, name))
    return name


def write_commit(base, instant, files, schema, action="commit", replaced=None):
    stats = [{"fileId": fid, "path": name, "prevCommit": "null", "numWrites": rows, "numInserts": rows,
              "numUpdateWrites": 0, "numDeletes": 0, "totalWriteBytes": 1, "fileSizeInBytes": 1}
             for fid, name, rows in files]
    meta = {"partitionToWriteStats": {"": stats}, "compacted": False,
            "extraMetadata": {"schema": avro_schema(schema), "sluice.checkpoint": f"0/{instant[-4:]}"},
            "operationType": "UPSERT"}
    if replaced:
        meta["partitionToReplaceFileIds"] = {"": replaced}
    hoodie = os.path.join(base, ".hoodie")
    open(os.path.join(hoodie, f"{instant}.{action}.requested"), "w").close()
    with open(os.path.join(hoodie, f"{instant}.{action}"), "w") as f:
        json.dump(meta, f)


SCHEMA1 = [("id", "int"), ("v", "int"), ("f", "float"), ("c", "int"),
           ("ts", {"type": "long", "logicalType": "timestamp-millis"}),
           ("d", {"type": "fixed", "name": "fixed", "size": 3, "logicalType": "decimal",
                  "precision": 5, "scale": 2})]
SCHEMA2 = [("id", "int"), ("v", "long"), ("f", "double"), ("c", "string"),
           ("ts", {"type": "long", "logicalType": "timestamp-micros"}),
           ("d", {"type": "fixed", "name": "fixed", "size": 5, "logicalType": "decimal",
                  "precision": 10, "scale": 2}),
           ("s", "string")]


@pytest.fixture
def evolved(tmp_path):
    """Commit 1 writes file group a with the old types; commit 2 writes file group b
    with the promoted types and an added column; a third instant is still inflight."""
    base = str(tmp_path / "evo")
    os.makedirs(os.path.join(base, ".hoodie"))
    with open(os.path.join(base, ".hoodie", "hoodie.properties"), "w") as f:
        f.write(PROPS)
    a = write_base_file(base, "a-0", T1, {
        "id": pa.array([1, 2], pa.int32()), "v": pa.array([7, None], pa.int32()),
        "f": pa.array([1.1, -0.5], pa.float32()), "c": pa.array([123, -4], pa.int32()),
        "ts": pa.array([1704067200123, None], pa.timestamp("ms", tz="UTC")),
        "d": pa.array([decimal.Decimal("-1.25"), decimal.Decimal("999.99")], pa.decimal128(5, 2)),
    }, [T1, T1])
    write_commit(base, T1, [("a-0", a, 2)], SCHEMA1)
    b = write_base_file(base, "b-0", T2, {
        "id": pa.array([3], pa.int32()), "v": pa.array([5000000000], pa.int64()),
        "f": pa.array([2.25], pa.float64()), "c": pa.array(["x"], pa.string()),
        "ts": pa.array([1704153600000001], pa.timestamp("us", tz="UTC")),
        "d": pa.array([decimal.Decimal("12345678.90")], pa.decimal128(10, 2)),
        "s": pa.array(["new"], pa.string()),
    }, [T2])
    write_commit(base, T2, [("b-0", b, 1)], SCHEMA2)
    hoodie = os.path.join(base, ".hoodie")
    open(os.path.join(hoodie, f"{T3}.commit.requested"), "w").close()
    open(os.path.join(hoodie, f"{T3}.inflight"), "w").close()
    write_base_file(base, "a-0", T3, {"id": pa.array([9], pa.int32())}, [T3])  # pending: invisible
    return base


OLD_ROWS = [
    {"id": 1, "v": 7, "f": f32(1.1), "c": "123", "ts": "2024-01-01T00:00:00.123000+00", "d": "-1.25", "s": None},
    {"id": 2, "v": None, "f": -0.5, "c": "-4", "ts": None, "d": "999.99", "s": None},
]
NEW_ROWS = [{"id": 3, "v": 5000000000, "f": 2.25, "c": "x", "ts": "2024-01-02T00:00:00.000001+00",
             "d": "12345678.90", "s": "new"}]


def test_schema_evolution_promotes_old_files_and_fills_added_columns(evolved):
    rows, _ = cat_rows(evolved)
    assert sorted(rows, key=lambda r: r["id"]) == OLD_ROWS + NEW_ROWS
    assert [list(r) for r in rows] == [[n for n, _ in SCHEMA2]] * 3
    rows, _ = cat_rows(evolved, "--as-of", T1)
    assert sorted(rows, key=lambda r: r["id"]) == OLD_ROWS
    rows, _ = cat_rows(evolved, "--since", T1)
    assert rows == NEW_ROWS
    rows, _ = cat_rows(evolved, "--since", "0", "--until", T1)
    assert sorted(rows, key=lambda r: r["id"]) == OLD_ROWS


def test_timeline_of_a_table_with_a_pending_instant(evolved):
    r = run_sluice(["timeline", evolved])
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["instant"], x["state"], x["inserts"], x["checkpoint"]) for x in lines] == [
        (T1, "completed", 2, "0/0000"), (T2, "completed", 1, "0/0000"), (T3, "inflight", None, None)]
    assert "completion" not in lines[0]


def test_incremental_over_a_cleaned_file_fails_clearly(evolved):
    os.remove(os.path.join(evolved, f"a-0_0-1-1_{T1}.parquet"))
    r = cat(evolved, "--since", "000", expect=1)
    assert f"a-0_0-1-1_{T1}.parquet" in r.stderr and "gone" in r.stderr
    cat(evolved, "--since", T1)  # a range after it still works


def test_a_type_that_is_no_promotion_fails_clearly(evolved):
    write_base_file(evolved, "c-0", "20240104000000000", {
        "id": pa.array([4], pa.int32()), "v": pa.array(["text"], pa.string())}, ["20240104000000000"])
    write_commit(evolved, "20240104000000000", [("c-0", f"c-0_0-1-1_20240104000000000.parquet", 1)], SCHEMA2)
    r = cat(evolved, expect=1)
    assert "column v" in r.stderr and "BYTE_ARRAY" in r.stderr and "c-0_0-1-1" in r.stderr


def test_a_replacecommit_hides_replaced_file_groups(evolved):
    c = write_base_file(evolved, "c-0", "20240104000000000", {"id": pa.array([4], pa.int32())},
                        ["20240104000000000"])
    write_commit(evolved, "20240104000000000", [("c-0", c, 1)], SCHEMA2, action="replacecommit",
                 replaced=["a-0"])
    rows, _ = cat_rows(evolved, "--columns", "id")
    assert sorted(r["id"] for r in rows) == [3, 4]
    rows, _ = cat_rows(evolved, "--columns", "id", "--as-of", T2)
    assert sorted(r["id"] for r in rows) == [1, 2, 3]
    rows, _ = cat_rows(evolved, "--columns", "id", "--since", "000")  # a-0 replaced in the range
    assert sorted(r["id"] for r in rows) == [3, 4]


# ---------------------------------------------------------------- errors

def test_errors_are_clear(fixture_tables, tmp_path):
    base = fixture_tables["v6_nonpartitioned"]
    missing = str(tmp_path / "no" / "such" / "table")
    r = run_sluice(["cat", missing])
    assert r.returncode == 1 and "no Hudi table" in r.stderr and missing in r.stderr
    assert not os.path.exists(missing), "a read must not create the directory"
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_sluice(["cat", "file://" + str(empty)])
    assert r.returncode == 1 and "no Hudi table" in r.stderr and "hoodie.properties" in r.stderr
    r = run_sluice(["timeline", missing])
    assert r.returncode == 1 and "no Hudi table" in r.stderr

    for args, words in [
        (["--as-of", "2024-13-01"], ["2024-13-01", "instant"]),
        (["--as-of", "yesterday"], ["yesterday", "yyyyMMddHHmmssSSS"]),
        (["--until", "20240418173551906"], ["--until needs --since"]),
        (["--as-of", "20240418173551906", "--since", "000"], ["exclude each other"]),
        (["--columns", "id,nope"], ["'nope'", "name", "isActive"]),
        (["--columns", "structField"], ["structField", "nested record"]),
        (["--columns", ""], ["--columns"]),
        (["--bogus"], ["unknown option '--bogus'"]),
        (["--as-of"], ["--as-of needs a value"]),
    ]:
        r = run_sluice(["cat", base, *args])
        assert r.returncode == 2, (args, r.stderr)
        for w in words:
            assert w in r.stderr, (args, w, r.stderr)
        assert r.stdout == ""
    r = run_sluice(["cat"])
    assert r.returncode == 2 and "URI" in r.stderr
    r = run_sluice(["cat", "--help"])
    assert r.returncode == 0 and "--as-of" in r.stdout and "--since" in r.stdout
    r = run_sluice(["timeline", "--help"])
    assert r.returncode == 0 and "usage: sluice timeline URI" in r.stdout
    r = run_sluice(["timeline", base, "extra"])
    assert r.returncode == 2
    r = run_sluice(["help"])
    assert " cat " in r.stdout and " timeline " in r.stdout


# ---------------------------------------------------------------- hudi-rs

def to_oracle(row, types):
    """sluice's JSON row as hudi_oracles' normalised Python values."""
    out = {}
    for k, v in row.items():
        t = types.get(k, "string")
        logical = t.get("logicalType") if isinstance(t, dict) else None
        if v is None:
            out[k] = None
        elif t == "float":
            out[k] = f32(float(v)) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))
        elif t == "double":
            out[k] = float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))
        elif t == "bytes":
            out[k] = bytes.fromhex(v[2:])
        elif logical == "decimal":
            out[k] = decimal.Decimal(v)
        elif logical == "date":
            out[k] = datetime.date.fromisoformat(v)
        elif logical in ("timestamp-micros", "timestamp-millis"):
            out[k] = datetime.datetime.fromisoformat(v.removesuffix("+00")).replace(tzinfo=UTC)
        else:
            out[k] = v
    return out


def hudirs_or_skip(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except H.OracleError as e:
        pytest.skip(str(e))


@pytest.mark.parametrize("name", TABLES)
def test_agrees_with_hudi_rs(fixture_tables, name):
    t = Table(fixture_tables[name])
    cols = t.columns()
    types = dict(cols)
    meta = t.meta_fields
    names = (META if meta else []) + [n for n, _ in cols]
    extra = ["--meta"] if meta else []

    def ours(*args):
        rows, _ = cat_rows(t.base, *args, *extra)
        return H._finish([to_oracle(r, types) for r in rows], names, meta)

    def check(got, want, what):
        if not meta:  # no record key to sort by: sort on the compared columns alone
            got, want = (sorted(rows, key=lambda r: repr(sorted(r.items()))) for rows in (got, want))
        problem = H.diff_rows(got, want)
        assert problem is None, f"{what}: {problem}"

    check(ours(), hudirs_or_skip(H.hudirs_snapshot, t.base, columns=names, meta=meta), "snapshot")
    for instant in t.completed:
        check(ours("--as-of", instant),
              hudirs_or_skip(H.hudirs_as_of, t.base, instant, columns=names, meta=meta), f"as of {instant}")
    if t.version == 6 and meta:
        bounds = ["0"] + t.completed
        for since, until in zip(bounds, bounds[1:]):
            check(ours("--since", since, "--until", until),
                  hudirs_or_skip(H.hudirs_incremental, t.base, since, until, columns=names, meta=meta),
                  f"incremental ({since}, {until}]")
    if t.version >= 8 and meta:
        # completion-time bounds (consecutive ones, then (0, latest]), each range
        # holding a commit; then requested-time bounds, which only completion-time
        # reading answers as hudi-rs does ((0, t1] empty, (t1, t2] = commit t1)
        completions = ["0"] + [c["completion"] for c in t.commits]
        requested = ["0"] + t.completed
        ranges = list(zip(completions, completions[1:])) + [("0", None)]
        for since, until in ranges + list(zip(requested, requested[1:])):
            got = ours("--since", since, *(["--until", until] if until else []))
            assert got or (since, until) not in ranges, f"incremental ({since}, {until}] is empty"
            check(got, hudirs_or_skip(H.hudirs_incremental, t.base, since, until, columns=names,
                                      meta=meta),
                  f"incremental ({since}, {until}]")

"""sluice's Parquet writer, checked by an independent reader (pyarrow).

tests/unit/parquet_write_tool.c writes a file with every column type sluice
writes (seeded random values, NULLs, extremes, empty/long/unicode strings)
and the same rows as JSON lines. pyarrow must read the file with the right
logical types, agree value for value, and report statistics (min, max, null
count) that match the rows of each row group.
"""

import datetime
import decimal
import json
import os
import struct
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("SLUICE_BUILD_DIR", os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD_DIR, "parquet_write_tool")

EXPECTED_SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    ("b", pa.bool_()), ("i32", pa.int32()), ("i64", pa.int64()), ("f", pa.float32()),
    ("d", pa.float64()), ("s", pa.string()), ("low", pa.string()), ("j", pa.string()),
    ("bin", pa.binary()), ("dec", pa.decimal128(12, 2)), ("dec38", pa.decimal128(38, 10)),
    ("dt", pa.date32()), ("tm", pa.time64("us")), ("ts", pa.timestamp("us", tz="UTC")),
    ("tsl", pa.timestamp("us")), ("nulls", pa.string()),
])

EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1)


def to_python(name, value):
    """A JSON-lines value as pyarrow's to_pylist() gives it."""
    if value is None:
        return None
    if name == "f":
        return struct.unpack("<f", struct.pack("<I", value))[0]
    if name == "d":
        return struct.unpack("<d", struct.pack("<Q", value))[0]
    if name == "bin":
        return bytes.fromhex(value)
    if name == "dec":
        return decimal.Decimal(value).scaleb(-2)
    if name == "dec38":
        return decimal.Decimal(value).scaleb(-10)
    if name == "dt":
        return EPOCH_DATE + datetime.timedelta(days=value)
    if name == "tm":
        return (datetime.datetime.min + datetime.timedelta(microseconds=value)).time()
    if name == "ts":
        return (EPOCH + datetime.timedelta(microseconds=value)).replace(tzinfo=datetime.timezone.utc)
    if name == "tsl":
        return EPOCH + datetime.timedelta(microseconds=value)
    return value


def write(tmp_path, rows, seed, codec, dictionary, page_bytes=1 << 20, row_group_bytes=128 << 20):
    if not os.path.exists(TOOL):
        pytest.fail(f"{TOOL} is missing: build first (make build)")
    path = str(tmp_path / f"t-{codec}-{dictionary}-{rows}.parquet")
    jsonl = path + ".jsonl"
    subprocess.run([TOOL, path, jsonl, str(rows), str(seed), codec, "1" if dictionary else "0",
                    str(page_bytes), str(row_group_bytes)], check=True, capture_output=True, timeout=300)
    with open(jsonl) as f:
        expected = [{k: to_python(k, v) for k, v in json.loads(line).items()} for line in f]
    return path, expected


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (a == b == 0.0)
    return a == b


def check_file(path, expected, codec):
    f = pq.ParquetFile(path)
    assert f.schema_arrow.remove_metadata() == EXPECTED_SCHEMA, f.schema_arrow
    assert f.metadata.num_rows == len(expected)
    assert f.schema_arrow.metadata == {b"sluice.test": b'{"seed": 1}'}
    rows = pq.read_table(path).to_pylist()
    assert len(rows) == len(expected)
    for i, (got, want) in enumerate(zip(rows, expected)):
        for name in want:
            assert same(got[name], want[name]), f"row {i} column {name}: {got[name]!r} != {want[name]!r}"
    # statistics per row group
    start = 0
    for g in range(f.metadata.num_row_groups):
        rg = f.metadata.row_group(g)
        group = expected[start:start + rg.num_rows]
        start += rg.num_rows
        for c in range(rg.num_columns):
            col = rg.column(c)
            name = col.path_in_schema
            assert col.compression == ("UNCOMPRESSED" if codec == "none" else codec.upper())
            stats = col.statistics
            assert stats is not None, f"row group {g} column {name} has no statistics"
            values = [r[name] for r in group if r[name] is not None]
            assert stats.null_count == len(group) - len(values), f"{name} null count"
            too_long = name in ("s", "low", "j") and any(len(v.encode()) > 4096 for v in values)
            if not values or too_long:
                assert not stats.has_min_max, f"{name}: no min/max expected"
                continue
            assert stats.has_min_max, f"row group {g} column {name} lacks min/max"
            assert same(stats.min, min(values)), f"{name} min {stats.min!r} != {min(values)!r}"
            assert same(stats.max, max(values)), f"{name} max {stats.max!r} != {max(values)!r}"
    assert start == len(expected)


@pytest.mark.parametrize("codec", ["none", "snappy", "gzip", "zstd"])
@pytest.mark.parametrize("dictionary", [True, False], ids=["dict", "plain"])
def test_pyarrow_reads_every_type_value_for_value(tmp_path, codec, dictionary):
    path, expected = write(tmp_path, 3000, 7, codec, dictionary)
    check_file(path, expected, codec)


def test_small_pages_and_row_groups_and_dictionary_fallback(tmp_path):
    # 64 KiB dictionaries (the tool's limit) overflow on the random columns, so
    # chunks switch from dictionary to PLAIN pages mid-way; pages of 16 KiB and
    # row groups of ~1 MiB give many of each.
    path, expected = write(tmp_path, 20000, 11, "snappy", True, page_bytes=16 << 10,
                           row_group_bytes=1 << 20)
    f = pq.ParquetFile(path)
    assert f.metadata.num_row_groups > 2
    encodings = {e for g in range(f.metadata.num_row_groups)
                 for e in f.metadata.row_group(g).column(2).encodings}
    assert {"PLAIN", "RLE_DICTIONARY"} <= encodings, encodings
    check_file(path, expected, "snappy")


def test_empty_file_has_schema_and_no_rows(tmp_path):
    path, expected = write(tmp_path, 0, 1, "zstd", True)
    assert expected == []
    f = pq.ParquetFile(path)
    assert f.metadata.num_rows == 0 and f.metadata.num_row_groups == 0
    assert f.schema_arrow.remove_metadata() == EXPECTED_SCHEMA
    assert pq.read_table(path).num_rows == 0

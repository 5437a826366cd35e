"""Footers re-encoded by sluice's Thrift/Parquet metadata codec read back in pyarrow.

parquet_footer_tool (built from tests/unit/parquet_footer_tool.c) decodes a file's
FileMetaData with src/parquet/format.c and writes the file again: the original bytes up to
the footer, then our re-encoded metadata, its length and PAR1. pyarrow must read the result
exactly as it read the original: same rows, same schema, same metadata (statistics, offsets,
codecs, encodings, key-value pairs). Sorting columns are the one thing our codec does not
model, so they are the one difference allowed.

The tool is found in $SLUICE_BUILD_DIR (default: build/ in the repository).
"""

from __future__ import annotations

import decimal
import glob
import os
import random
import subprocess

import pytest

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN_DIR = os.path.join(ROOT, "tests", "unit", "data", "parquet")


def footer_tool() -> str:
    build = os.environ.get("SLUICE_BUILD_DIR", os.path.join(ROOT, "build"))
    tool = os.path.join(build, "parquet_footer_tool")
    if not os.access(tool, os.X_OK):
        pytest.fail(f"parquet_footer_tool not found at {tool} (build it, or set SLUICE_BUILD_DIR)")
    return tool


def reencode(src: str, dst: str) -> str:
    """Runs the tool; returns 'identical' or 'different' (our footer vs the original bytes)."""
    proc = subprocess.run([footer_tool(), "reencode", src, dst], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    fields = dict(kv.split("=", 1) for kv in proc.stdout.split())
    return fields["footer"]


def column_facts(cc) -> dict:
    st = cc.statistics if cc.is_stats_set else None
    return {
        "path": cc.path_in_schema, "physical_type": cc.physical_type,
        "compression": cc.compression, "encodings": cc.encodings, "num_values": cc.num_values,
        "file_offset": cc.file_offset, "file_path": cc.file_path,
        "data_page_offset": cc.data_page_offset,
        "dictionary_page_offset": cc.dictionary_page_offset if cc.has_dictionary_page else None,
        "total_compressed_size": cc.total_compressed_size,
        "total_uncompressed_size": cc.total_uncompressed_size,
        "has_offset_index": cc.has_offset_index, "has_column_index": cc.has_column_index,
        "bloom_filter_offset": cc.bloom_filter_offset,
        "bloom_filter_length": cc.bloom_filter_length,
        # raw (physical) values: to_dict() cannot convert nanosecond timestamps without pandas
        "statistics": None if st is None else (
            st.has_min_max, st.min_raw if st.has_min_max else None,
            st.max_raw if st.has_min_max else None, st.null_count, st.distinct_count,
            st.num_values),
    }


def metadata_facts(path: str) -> dict:
    md = pq.ParquetFile(path).metadata
    return {
        "created_by": md.created_by, "num_rows": md.num_rows,
        "format_version": md.format_version,
        "key_value_metadata": dict(md.metadata or {}),
        "schema": str(md.schema).split("\n", 1)[1],  # without the object's address
        "row_groups": [{
            "num_rows": md.row_group(i).num_rows,
            "total_byte_size": md.row_group(i).total_byte_size,
            "columns": [column_facts(md.row_group(i).column(j))
                        for j in range(md.row_group(i).num_columns)],
        } for i in range(md.num_row_groups)],
    }


def assert_reads_the_same(original: str, rewritten: str) -> None:
    assert pq.read_table(rewritten).equals(pq.read_table(original), check_metadata=True)
    assert pq.ParquetFile(rewritten).schema_arrow.equals(pq.ParquetFile(original).schema_arrow,
                                                         check_metadata=True)
    assert metadata_facts(rewritten) == metadata_facts(original)
    # reading row group by row group and a projection exercises the column chunk offsets
    src, dst = pq.ParquetFile(original), pq.ParquetFile(rewritten)
    for i in range(src.metadata.num_row_groups):
        assert dst.read_row_group(i).equals(src.read_row_group(i))
    if src.metadata.num_columns > 1:
        names = src.schema_arrow.names[-2:]
        assert dst.read(columns=names).equals(src.read(columns=names))


@pytest.mark.parametrize("name", sorted(os.path.basename(p) for p in glob.glob(
    os.path.join(GOLDEN_DIR, "*.parquet"))))
def test_golden_file_footer_reencoded_reads_the_same(name, tmp_path):
    original = os.path.join(GOLDEN_DIR, name)
    rewritten = str(tmp_path / name)
    verdict = reencode(original, rewritten)
    # parquet-cpp's footer and ours are byte for byte equal unless it holds sorting columns
    sorted_columns = any(pq.ParquetFile(original).metadata.row_group(i).sorting_columns
                         for i in range(pq.ParquetFile(original).metadata.num_row_groups))
    assert verdict == ("different" if sorted_columns else "identical")
    assert_reads_the_same(original, rewritten)


def random_table(rng: random.Random, rows: int) -> pa.Table:
    def nullable(values, p=0.2):
        return [None if rng.random() < p else v for v in values]

    return pa.table({
        "k": pa.array(range(rows), pa.int64()),
        "i": pa.array(nullable(rng.randint(-2**31, 2**31 - 1) for _ in range(rows)), pa.int32()),
        "d": pa.array(nullable(rng.uniform(-1e9, 1e9) for _ in range(rows)), pa.float64()),
        "b": pa.array(nullable(rng.random() < 0.5 for _ in range(rows)), pa.bool_()),
        "s": pa.array(nullable(rng.choice(["", "a", "bb", "ccc", "é" * 40]) for _ in range(rows)),
                      pa.string()),
        "dec": pa.array(nullable(decimal.Decimal(rng.randint(-10**11, 10**11)) / 100
                                 for _ in range(rows)), pa.decimal128(12, 2)),
        "ts": pa.array(nullable(rng.randint(0, 2**50) for _ in range(rows)),
                       pa.timestamp("us", tz="UTC")),
    })


WRITE_OPTIONS = [
    dict(compression="snappy"),
    dict(compression="zstd", use_dictionary=False, data_page_version="2.0"),
    dict(compression="gzip", row_group_size=300, write_page_index=True),
    dict(compression="none", write_statistics=False, store_schema=False),
    dict(compression="snappy", sorting_columns=[pq.SortingColumn(0)], write_page_checksum=True),
    dict(compression="zstd", bloom_filter_options={"s": {"ndv": 10}}, data_page_size=512),
]


@pytest.mark.parametrize("seed", range(len(WRITE_OPTIONS)))
def test_fresh_pyarrow_file_footer_reencoded_reads_the_same(seed, tmp_path):
    rng = random.Random(seed)
    table = random_table(rng, rng.choice([0, 1, 700, 2000]))
    table = table.replace_schema_metadata({"sluice.seed": str(seed), "empty": ""})
    original = str(tmp_path / "original.parquet")
    rewritten = str(tmp_path / "rewritten.parquet")
    pq.write_table(table, original, **WRITE_OPTIONS[seed])
    reencode(original, rewritten)
    assert_reads_the_same(original, rewritten)
    assert pq.read_table(rewritten).equals(table, check_metadata=False)


def test_tool_rejects_a_corrupt_footer(tmp_path):
    src = os.path.join(GOLDEN_DIR, "plain_snappy_v1.parquet")
    data = bytearray(open(src, "rb").read())
    data[-9] ^= 0xFF  # the last byte of the metadata: its closing stop byte
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    proc = subprocess.run([footer_tool(), "check", str(bad)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "parquet FileMetaData" in proc.stderr

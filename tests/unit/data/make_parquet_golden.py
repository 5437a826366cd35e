#!/usr/bin/env python3
"""Golden Parquet files for tests/unit/test_parquet_format.c, written by pyarrow.

Writes small files covering the types, codecs, encodings, page versions and
metadata sluice must read, then records what pyarrow reports about each
(pyarrow.parquet.ParquetFile(...).metadata) as the expected facts:

  tests/unit/data/parquet/*.parquet   the files
  tests/unit/data/parquet/golden.json the facts, for people and tools
  tests/unit/data/parquet/golden_facts.h
                                      the same facts as C initializers for
                                      the unit test (generated; do not edit)
  fuzz/corpus/parquet_footer/         seeds: each file's FileMetaData bytes,
                                      a few page headers, hand-made oddities

Run from the repository root with the test venv:
  .venv/bin/python tests/unit/data/make_parquet_golden.py
Files differ between pyarrow versions (created_by at least), so regenerate
all outputs together and commit them together.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import re
import struct
import sys
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT_DIR = os.path.join(ROOT, "tests", "unit", "data", "parquet")
CORPUS_DIR = os.path.join(ROOT, "fuzz", "corpus", "parquet_footer")

UTC = datetime.timezone.utc


# ------------------------------------------------------------------ data

def core_table(n: int) -> pa.Table:
    """The column types of DESIGN.md section 6, some required, some with nulls."""
    def maybe(i, v, every=5):
        return None if i % every == 3 else v

    ts0 = datetime.datetime(2024, 2, 29, 23, 59, 59, 123456)
    fields = [
        # Parquet field ids (SchemaElement.field_id) come from this Arrow field metadata
        pa.field("id", pa.int64(), nullable=False, metadata={"PARQUET:field_id": "1"}),
        pa.field("i32", pa.int32(), metadata={"PARQUET:field_id": "2"}),
        pa.field("f32", pa.float32()),
        pa.field("f64", pa.float64()),
        pa.field("flag", pa.bool_()),
        pa.field("name", pa.string()),
        pa.field("blob", pa.binary()),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("day", pa.date32()),
        pa.field("clock", pa.time64("us")),
        pa.field("ts_utc", pa.timestamp("us", tz="UTC")),
        pa.field("ts_local", pa.timestamp("us")),
        pa.field("note", pa.string()),  # all null
    ]
    cols = [
        [i * 1000003 - 7 for i in range(n)],
        [maybe(i, (-1) ** i * i * 65537) for i in range(n)],
        [maybe(i, i / 3.0 - 4.5) for i in range(n)],
        [maybe(i, -i * 1.0e10 + 0.25) for i in range(n)],
        [maybe(i, i % 3 == 0) for i in range(n)],
        [maybe(i, ["alpha", "beta", "", "gamma", "δέλτα"][i % 5] + str(i % 4))
         for i in range(n)],
        [maybe(i, bytes([i % 256, 0, 255 - i % 256])) for i in range(n)],
        [maybe(i, decimal.Decimal(i * 12345 - 99999) / 100) for i in range(n)],
        [maybe(i, datetime.date(1969, 12, 25) + datetime.timedelta(days=i * 37)) for i in range(n)],
        [maybe(i, datetime.time(i % 24, i % 60, (i * 7) % 60, i * 11 % 1000000)) for i in range(n)],
        [maybe(i, (ts0 + datetime.timedelta(hours=i * 5)).replace(tzinfo=UTC)) for i in range(n)],
        [maybe(i, ts0 - datetime.timedelta(days=i * 3)) for i in range(n)],
        [None] * n,
    ]
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(cols, fields)],
                                schema=pa.schema(fields))


def logical_table(n: int) -> pa.Table:
    """Logical types beyond sluice's own: integer widths, units, float16, uuid, json, nesting."""
    fields = [
        pa.field("i8", pa.int8()),
        pa.field("i16", pa.int16(), nullable=False),
        pa.field("u8", pa.uint8()),
        pa.field("u16", pa.uint16()),
        pa.field("u32", pa.uint32()),
        pa.field("u64", pa.uint64()),
        pa.field("ts_ms", pa.timestamp("ms", tz="UTC")),
        pa.field("ts_ns", pa.timestamp("ns")),
        pa.field("t_ms", pa.time32("ms")),
        pa.field("t_ns", pa.time64("ns")),
        pa.field("half", pa.float16()),
        pa.field("uid", pa.uuid()),
        pa.field("doc", pa.json_()),
        pa.field("nothing", pa.null()),
        pa.field("small_dec", pa.decimal128(5, 2)),
        pa.field("big_dec", pa.decimal128(38, 10)),
        pa.field("tags", pa.list_(pa.int32())),
        pa.field("attrs", pa.map_(pa.string(), pa.int32())),
        pa.field("point", pa.struct([pa.field("x", pa.float64()), pa.field("y", pa.float64())])),
    ]
    cols = [
        [(i * 37) % 256 - 128 if i % 4 else None for i in range(n)],
        [(i * 4099) % 65536 - 32768 for i in range(n)],
        [(i * 7) % 256 for i in range(n)],
        [(i * 4099) % 65536 for i in range(n)],
        [(i * 2654435761) % 2**32 for i in range(n)],
        [(i * 11400714819323198485) % 2**64 for i in range(n)],
        [datetime.datetime(2001, 1, 1, tzinfo=UTC) + datetime.timedelta(milliseconds=i * 86401001)
         for i in range(n)],
        [1_700_000_000_123_456_789 + i * 999_999_937 for i in range(n)],
        [datetime.time(i % 24, 0, 0, (i % 1000) * 1000) for i in range(n)],
        [i * 3_600_000_000_007 % (86400 * 10**9) for i in range(n)],
        struct.pack("<%de" % n, *[i * 0.5 - 3 for i in range(n)]),
        [uuid.UUID(int=i * 0x0123456789ABCDEF0123456789ABCDEF % 2**128).bytes for i in range(n)],
        ['{"k": %d}' % i if i % 3 else None for i in range(n)],
        [None] * n,
        [decimal.Decimal(i * 101 - 5000) / 100 for i in range(n)],
        [decimal.Decimal(i * 10**20 + 1) / 10**10 if i % 2 else None for i in range(n)],
        [list(range(i % 4)) if i % 5 else None for i in range(n)],
        [[("a", i), ("b", -i)] if i % 3 else [] for i in range(n)],
        [{"x": i * 1.5, "y": -i * 0.5} if i % 6 else None for i in range(n)],
    ]
    arrays = []
    for c, f in zip(cols, fields):
        if f.type == pa.float16():  # from IEEE half bytes: no numpy in the venv
            arrays.append(pa.Array.from_buffers(f.type, n, [None, pa.py_buffer(c)]))
        elif isinstance(f.type, pa.UuidType):
            arrays.append(pa.ExtensionArray.from_storage(f.type, pa.array(c, pa.binary(16))))
        elif isinstance(f.type, pa.JsonType):
            arrays.append(pa.ExtensionArray.from_storage(f.type, pa.array(c, pa.string())))
        else:
            arrays.append(pa.array(c, f.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def encodings_table(n: int) -> pa.Table:
    return pa.table({
        "delta_i32": pa.array([i * i - 50 for i in range(n)], pa.int32()),
        "delta_i64": pa.array([(i * 7919) ** 3 if i % 7 else None for i in range(n)], pa.int64()),
        "dlba": pa.array(["row-%d" % (i * 13) for i in range(n)], pa.string()),
        "dba": pa.array([("prefix/%04d" % (i // 3)).encode() for i in range(n)], pa.binary()),
        "bss_f32": pa.array([i * 0.125 for i in range(n)], pa.float32()),
        "bss_f64": pa.array([-i * 1.0e-3 if i % 4 else None for i in range(n)], pa.float64()),
    })


# ------------------------------------------------------------------ files

KV = {b"sluice.test": b"golden", b"empty.value": b"", b"unicode": "ключ→值".encode()}

FILES = [
    # name, table builder, write_table kwargs, extra expectations
    ("plain_snappy_v1", lambda: core_table(40),
     dict(compression="snappy", use_dictionary=False, data_page_version="1.0"), {}),
    ("dict_zstd_v2_crc", lambda: core_table(40),
     dict(compression="zstd", use_dictionary=True, data_page_version="2.0",
          write_page_checksum=True), {}),
    ("multi_rg_uncompressed", lambda: core_table(35),
     dict(compression="none", use_dictionary=True, data_page_version="1.0",
          row_group_size=10, data_page_size=64, store_schema=False), {}),
    ("logical_gzip", lambda: logical_table(24),
     dict(compression="gzip", use_dictionary=True, data_page_version="1.0", store_schema=False),
     {}),
    ("encodings_lz4_v2", lambda: encodings_table(30),
     dict(compression="lz4", use_dictionary=False, data_page_version="2.0", store_schema=False,
          column_encoding={"delta_i32": "DELTA_BINARY_PACKED",
                           "delta_i64": "DELTA_BINARY_PACKED",
                           "dlba": "DELTA_LENGTH_BYTE_ARRAY", "dba": "DELTA_BYTE_ARRAY",
                           "bss_f32": "BYTE_STREAM_SPLIT", "bss_f64": "BYTE_STREAM_SPLIT"}), {}),
    ("brotli_int96_v1", lambda: pa.table({
        "ts96": pa.array([datetime.datetime(1999, 12, 31, 23, 59, 59) + datetime.timedelta(
            seconds=i * 3601) for i in range(12)], pa.timestamp("us")),
        "v": pa.array(list(range(12)), pa.int64())}),
     dict(compression="brotli", use_deprecated_int96_timestamps=True, version="1.0",
          store_schema=False), {}),
    # sorting_columns (RowGroup field 4) is not modelled, so this footer
    # re-encodes without it; page indexes exercise ColumnChunk fields 4-7.
    ("sorted_pageindex_bloom", lambda: core_table(30).sort_by("id"),
     dict(compression="snappy", use_dictionary=True, write_page_index=True, store_schema=False,
          sorting_columns=[pq.SortingColumn(0)],
          bloom_filter_options={"name": {"ndv": 50}}),
     {"footer_identical": False}),
    ("empty", lambda: core_table(0), dict(compression="snappy", store_schema=False), {}),
]


# ------------------------------------------------------------------ facts

def raw_stat(physical: str, value) -> bytes:
    """PLAIN bytes of a statistics value as pyarrow hands it back (min_raw/max_raw)."""
    if physical == "BOOLEAN":
        return b"\x01" if value else b"\x00"
    if physical == "INT32":
        return struct.pack("<i", value)
    if physical == "INT64":
        return struct.pack("<q", value)
    if physical == "FLOAT":
        return struct.pack("<f", value)
    if physical == "DOUBLE":
        return struct.pack("<d", value)
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


# pyarrow's logical type names -> the spec's LogicalType member names.
LOGICAL_NAMES = {
    "None": "NONE", "String": "STRING", "Map": "MAP", "List": "LIST", "Enum": "ENUM",
    "Decimal": "DECIMAL", "Date": "DATE", "Time": "TIME", "Timestamp": "TIMESTAMP",
    "Int": "INTEGER", "Null": "UNKNOWN", "JSON": "JSON", "BSON": "BSON", "UUID": "UUID",
    "Float16": "FLOAT16",
}
TIME_UNITS = {"milliseconds": "MILLIS", "microseconds": "MICROS", "nanoseconds": "NANOS"}


def leaf_facts(col, arrow_schema) -> dict:
    lt = json.loads(col.logical_type.to_json())
    field_id = -1
    if col.path == col.name and col.name in arrow_schema.names:  # top-level leaves
        meta = arrow_schema.field(col.name).metadata or {}
        field_id = int(meta.get(b"PARQUET:field_id", b"-1"))
    fact = {
        "name": col.name,
        "path": col.path,
        "physical_type": col.physical_type,
        "converted_type": col.converted_type,
        "logical_type": LOGICAL_NAMES[lt["Type"]],
        "type_length": col.length,
        "precision": col.precision,
        "scale": col.scale,
        "max_definition_level": col.max_definition_level,
        "max_repetition_level": col.max_repetition_level,
        "field_id": field_id,
    }
    if lt["Type"] == "Decimal":
        fact["logical_precision"] = lt["precision"]
        fact["logical_scale"] = lt["scale"]
    if lt["Type"] in ("Time", "Timestamp"):
        fact["is_adjusted_to_utc"] = lt["isAdjustedToUTC"]
        fact["unit"] = TIME_UNITS[lt["timeUnit"]]
    if lt["Type"] == "Int":
        fact["bit_width"] = lt["bitWidth"]
        fact["is_signed"] = lt["isSigned"]
    return fact


GROUP_LINE = re.compile(r"^\s*(?:required|optional|repeated) group field_id=\S+ (\S+)"
                        r"(?: \((\w+)\))? \{$")


def group_facts(schema) -> list:
    """Group nodes (root first) with their annotation, from pyarrow's printed schema tree."""
    groups = []
    for line in str(schema).splitlines():
        m = GROUP_LINE.match(line)
        if m:
            annotation = m.group(2) or "None"
            groups.append({"name": m.group(1), "logical_type": LOGICAL_NAMES[annotation]})
    return groups


def column_facts(cc) -> dict:
    fact = {
        "path": cc.path_in_schema,
        "physical_type": cc.physical_type,
        "codec": cc.compression,
        "encodings": list(cc.encodings),
        "num_values": cc.num_values,
        "total_compressed_size": cc.total_compressed_size,
        "total_uncompressed_size": cc.total_uncompressed_size,
        "data_page_offset": cc.data_page_offset,
        "has_dictionary_page": cc.has_dictionary_page,
        "dictionary_page_offset": cc.dictionary_page_offset if cc.has_dictionary_page else -1,
        "file_offset": cc.file_offset,
        "has_offset_index": cc.has_offset_index,
        "has_column_index": cc.has_column_index,
        "bloom_filter_offset": cc.bloom_filter_offset if cc.bloom_filter_offset is not None else -1,
        "bloom_filter_length": cc.bloom_filter_length if cc.bloom_filter_length is not None else -1,
        "statistics": None,
    }
    st = cc.statistics
    if cc.is_stats_set and st is not None:
        fact["statistics"] = {
            "has_min_max": st.has_min_max,
            "min_hex": raw_stat(cc.physical_type, st.min_raw).hex() if st.has_min_max else "",
            "max_hex": raw_stat(cc.physical_type, st.max_raw).hex() if st.has_min_max else "",
            "has_null_count": st.has_null_count,
            "null_count": st.null_count if st.has_null_count else -1,
            "has_distinct_count": st.has_distinct_count,
            "distinct_count": st.distinct_count if st.has_distinct_count else -1,
        }
    return fact


def file_facts(name: str, path: str, kwargs: dict, extra: dict) -> dict:
    pf = pq.ParquetFile(path)
    md = pf.metadata
    kv = md.metadata or {}
    return {
        "file": name + ".parquet",
        "num_rows": md.num_rows,
        "format_version": md.format_version,
        "version": 1 if md.format_version == "1.0" else 2,
        "created_by": md.created_by,
        "serialized_size": md.serialized_size,
        "key_value_metadata": [[k.decode("utf-8", "surrogateescape"),
                                v.decode("utf-8", "surrogateescape")] for k, v in kv.items()],
        "leaves": [leaf_facts(md.schema.column(j), pf.schema_arrow)
                   for j in range(md.num_columns)],
        "groups": group_facts(md.schema),
        "row_groups": [{
            "num_rows": md.row_group(i).num_rows,
            "total_byte_size": md.row_group(i).total_byte_size,
            "columns": [column_facts(md.row_group(i).column(j))
                        for j in range(md.row_group(i).num_columns)],
        } for i in range(md.num_row_groups)],
        # page-level expectations follow from how the file was written
        "data_page_v2": kwargs.get("data_page_version") == "2.0",
        "page_crc": bool(kwargs.get("write_page_checksum")),
        "footer_identical": extra.get("footer_identical", True),
    }


def json_text(value, indent: str = "") -> str:
    """JSON with one line per column or leaf fact, so the file stays small and diffable."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or len(flat) < 100 or (
            isinstance(value, dict) and "path" in value):
        return flat
    inner = indent + " "
    if isinstance(value, list):
        items = [inner + json_text(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    items = [inner + json.dumps(k) + ": " + json_text(v, inner) for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


# ------------------------------------------------------------------ C header

def c_str(s: str) -> str:
    out = ['"']
    for b in s.encode("utf-8", "surrogateescape"):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F and c != "?":
            out.append(c)
        else:
            out.append('\\%03o' % b)
    out.append('"')
    return "".join(out)


def c_bool(v) -> str:
    return "true" if v else "false"


def write_header(facts: list[dict], path: str) -> None:
    lines = [
        "/* Generated by tests/unit/data/make_parquet_golden.py from pyarrow " + pa.__version__
        + "; do not edit. */",
        "#ifndef SLUICE_GOLDEN_FACTS_H",
        "#define SLUICE_GOLDEN_FACTS_H",
        "",
        "#include <stdbool.h>",
        "",
        "struct golden_stats {",
        "    bool present, has_min_max, has_null_count, has_distinct_count;",
        "    const char *min_hex, *max_hex;",
        "    long long null_count, distinct_count;",
        "};",
        "struct golden_column {",
        "    const char *path, *physical_type, *codec;",
        "    const char *encodings[12];",
        "    int n_encodings;",
        "    long long num_values, total_compressed_size, total_uncompressed_size;",
        "    long long data_page_offset, dictionary_page_offset, file_offset;",
        "    long long bloom_filter_offset, bloom_filter_length;",
        "    bool has_dictionary_page, has_offset_index, has_column_index;",
        "    struct golden_stats stats;",
        "};",
        "struct golden_leaf {",
        "    const char *name, *physical_type, *converted_type, *logical_type, *unit;",
        "    int type_length, precision, scale, logical_precision, logical_scale;",
        "    int bit_width, is_signed, is_adjusted_to_utc; /* -1: not applicable */",
        "    int max_definition_level, max_repetition_level;",
        "    int field_id; /* -1: none */",
        "};",
        "struct golden_row_group {",
        "    long long num_rows, total_byte_size;",
        "    int n_columns;",
        "    const struct golden_column *columns;",
        "};",
        "struct golden_group {",
        "    const char *name, *logical_type;",
        "};",
        "struct golden_kv {",
        "    const char *key, *value;",
        "};",
        "struct golden_file {",
        "    const char *file, *created_by;",
        "    long long num_rows, serialized_size;",
        "    int version;",
        "    int n_kv, n_leaves, n_row_groups, n_groups;",
        "    const struct golden_kv *kv;",
        "    const struct golden_leaf *leaves;",
        "    const struct golden_row_group *row_groups;",
        "    const struct golden_group *groups;",
        "    bool data_page_v2, page_crc, footer_identical;",
        "};",
        "",
    ]
    for fi, f in enumerate(facts):
        for ri, rg in enumerate(f["row_groups"]):
            lines.append("static const struct golden_column golden_f%d_rg%d[] = {" % (fi, ri))
            for c in rg["columns"]:
                st = c["statistics"]
                if st is None:
                    stats = "{false, false, false, false, \"\", \"\", -1, -1}"
                else:
                    stats = "{true, %s, %s, %s, %s, %s, %dLL, %dLL}" % (
                        c_bool(st["has_min_max"]), c_bool(st["has_null_count"]),
                        c_bool(st["has_distinct_count"]), c_str(st["min_hex"]),
                        c_str(st["max_hex"]), st["null_count"], st["distinct_count"])
                lines.append("    {%s, %s, %s, {%s}, %d, %dLL, %dLL, %dLL, %dLL, %dLL, %dLL, "
                             "%dLL, %dLL, %s, %s, %s, %s}," % (
                                 c_str(c["path"]), c_str(c["physical_type"]), c_str(c["codec"]),
                                 ", ".join(c_str(e) for e in c["encodings"]),
                                 len(c["encodings"]), c["num_values"],
                                 c["total_compressed_size"], c["total_uncompressed_size"],
                                 c["data_page_offset"], c["dictionary_page_offset"],
                                 c["file_offset"], c["bloom_filter_offset"],
                                 c["bloom_filter_length"], c_bool(c["has_dictionary_page"]),
                                 c_bool(c["has_offset_index"]), c_bool(c["has_column_index"]),
                                 stats))
            lines.append("};")
        lines.append("static const struct golden_row_group golden_f%d_rgs[] = {" % fi)
        for ri, rg in enumerate(f["row_groups"]):
            lines.append("    {%dLL, %dLL, %d, golden_f%d_rg%d}," % (
                rg["num_rows"], rg["total_byte_size"], len(rg["columns"]), fi, ri))
        if not f["row_groups"]:
            lines.append("    {0, 0, 0, 0}, /* placeholder: the file has no row groups */")
        lines.append("};")
        lines.append("static const struct golden_leaf golden_f%d_leaves[] = {" % fi)
        for lf in f["leaves"]:
            lines.append("    {%s, %s, %s, %s, %s, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d}," % (
                c_str(lf["name"]), c_str(lf["physical_type"]), c_str(lf["converted_type"]),
                c_str(lf["logical_type"]), c_str(lf.get("unit", "")), lf["type_length"],
                lf["precision"], lf["scale"], lf.get("logical_precision", -1),
                lf.get("logical_scale", -1), lf.get("bit_width", -1),
                int(lf["is_signed"]) if "is_signed" in lf else -1,
                int(lf["is_adjusted_to_utc"]) if "is_adjusted_to_utc" in lf else -1,
                lf["max_definition_level"], lf["max_repetition_level"], lf["field_id"]))
        lines.append("};")
        lines.append("static const struct golden_group golden_f%d_groups[] = {" % fi)
        for gr in f["groups"]:
            lines.append("    {%s, %s}," % (c_str(gr["name"]), c_str(gr["logical_type"])))
        lines.append("};")
        lines.append("static const struct golden_kv golden_f%d_kv[] = {" % fi)
        for k, v in f["key_value_metadata"]:
            lines.append("    {%s, %s}," % (c_str(k), c_str(v)))
        if not f["key_value_metadata"]:
            lines.append("    {0, 0}, /* placeholder */")
        lines.append("};")
        lines.append("")
    lines.append("static const struct golden_file golden_files[] = {")
    for fi, f in enumerate(facts):
        lines.append("    {%s, %s, %dLL, %dLL, %d, %d, %d, %d, %d, golden_f%d_kv, "
                     "golden_f%d_leaves, golden_f%d_rgs, golden_f%d_groups, %s, %s, %s}," % (
                         c_str(f["file"]), c_str(f["created_by"]), f["num_rows"],
                         f["serialized_size"], f["version"], len(f["key_value_metadata"]),
                         len(f["leaves"]), len(f["row_groups"]), len(f["groups"]), fi, fi, fi, fi,
                         c_bool(f["data_page_v2"]), c_bool(f["page_crc"]),
                         c_bool(f["footer_identical"])))
    lines.append("};")
    lines.append("")
    lines.append("#endif")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------ fuzz seeds

# Hand-made compact-protocol oddities (each a FileMetaData attempt or a
# PageHeader prefix); the fuzzer starts from these as well as real footers.
HAND_SEEDS = {
    # PageHeader: type DATA_PAGE, sizes, data_page_header{num_values 3, PLAIN, RLE, RLE}
    "page_v1_min": bytes([0x15, 0x00, 0x15, 0x0C, 0x15, 0x0C, 0x2C, 0x15, 0x06, 0x15, 0x00,
                          0x15, 0x06, 0x15, 0x06, 0x00, 0x00]),
    # the same with long-form field headers (type byte + zigzag i16 id) throughout
    "page_v1_long_headers": bytes([0x05, 0x02, 0x00, 0x05, 0x04, 0x0C, 0x05, 0x06, 0x0C,
                                   0x0C, 0x0A, 0x05, 0x02, 0x06, 0x05, 0x04, 0x00, 0x05,
                                   0x06, 0x06, 0x05, 0x08, 0x06, 0x00, 0x00]),
    # PageHeader with unknown fields of every type (short and long form headers,
    # ids 0 and -1) before the real ones
    "page_unknown_fields": bytes([0x09, 0x28, 0x25, 0x02, 0x04,  # 20: list<i32>[1, 2]
                                  0x0B, 0x2A, 0x01, 0x85, 0x01, 0x61, 0x02,  # 21: map{"a": 1}
                                  0x1C, 0x18, 0x01, 0x61, 0x00,  # 22: struct{1: "a"}
                                  0x07, 0x2E, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,  # 23: double 1.0
                                  0x03, 0x30, 0xFF,  # 24: i8 -1
                                  0x01, 0x32,  # 25: bool true
                                  0x1A, 0x18, 0x01, 0x62,  # 26: set<binary>{"b"}
                                  0x0D, 0x36] + list(range(16)) + [  # 27: uuid
                                  0x05, 0x00, 0x00,  # 0: i32 0
                                  0x05, 0x01, 0x00,  # -1: i32 0
                                  0x05, 0x02, 0x00, 0x15, 0x08, 0x15, 0x08, 0x00]),
    # a list that claims 2^31-1 structs
    "lying_list": bytes([0x15, 0x02, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00]),
    # deep nesting in an unknown field
    "deep_nesting": bytes([0x15, 0x02, 0xFC] + [0x1C] * 70 + [0x00] * 72),
}


def write_seeds(name: str, path: str) -> None:
    data = open(path, "rb").read()
    metadata_len = struct.unpack("<I", data[-8:-4])[0]
    with open(os.path.join(CORPUS_DIR, name + ".footer"), "wb") as fh:
        fh.write(data[-8 - metadata_len:-8])
    md = pq.ParquetFile(path).metadata
    if md.num_row_groups == 0:
        return
    cc = md.row_group(0).column(0)
    offsets = [("data", cc.data_page_offset)]
    if cc.has_dictionary_page:
        offsets.append(("dict", cc.dictionary_page_offset))
    for kind, off in offsets:
        with open(os.path.join(CORPUS_DIR, "%s.page_%s" % (name, kind)), "wb") as fh:
            fh.write(data[off:off + 96])


def main() -> int:
    os.makedirs(OUT_DIR, exist_ok=True)
    os.makedirs(CORPUS_DIR, exist_ok=True)
    facts = []
    for name, build, kwargs, extra in FILES:
        path = os.path.join(OUT_DIR, name + ".parquet")
        table = build()
        pq.write_table(table, path, **kwargs)
        if name == "plain_snappy_v1" or name == "dict_zstd_v2_crc":
            # key-value metadata: rewrite with extra keys next to ARROW:schema
            meta = dict(table.schema.metadata or {})
            meta.update(KV)
            pq.write_table(table.replace_schema_metadata(meta), path, **kwargs)
        back = pq.read_table(path)
        assert back.num_rows == table.num_rows, name
        facts.append(file_facts(name, path, kwargs, extra))
        write_seeds(name, path)
        print("%-28s %6d bytes" % (name + ".parquet", os.path.getsize(path)))
    for name, seed in HAND_SEEDS.items():
        with open(os.path.join(CORPUS_DIR, name), "wb") as fh:
            fh.write(seed)
    with open(os.path.join(OUT_DIR, "golden.json"), "w") as fh:
        fh.write(json_text({"pyarrow": pa.__version__, "files": facts}) + "\n")
    write_header(facts, os.path.join(OUT_DIR, "golden_facts.h"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""sluice's Parquet reader, checked through `sluice parquet-dump` against pyarrow.

pyarrow writes files with every encoding, codec and page version it can, and
columns of every flat type; parquet-dump must print every value as pyarrow
reads it, converted to `sluice tail`'s JSON conventions by `expected_rows`
below. Files written by sluice itself (tests/unit/parquet_write_tool) round
trip the same way. Nested columns are reported by name; malformed files give
exit 1 with a message naming the file and never crash (run with an ASan
binary in SLUICE_BIN to check memory safety too).
"""

import datetime
import decimal
import json
import math
import os
import random
import struct
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLUICE = os.environ.get("SLUICE_BIN", os.path.join(ROOT, "build", "sluice"))
BUILD_DIR = os.environ.get("SLUICE_BUILD_DIR", os.path.join(ROOT, "build"))
WRITE_TOOL = os.path.join(BUILD_DIR, "parquet_write_tool")

EPOCH = datetime.datetime(1970, 1, 1)
WIDE = decimal.Context(prec=60)  # the default 28 digits would round decimal(38, x) values
NROWS = 2500


def dump(path, *args):
    """Runs parquet-dump; returns (exit status, rows or schema, stderr)."""
    proc = subprocess.run([SLUICE, "parquet-dump", str(path), *args], capture_output=True,
                          timeout=60)
    out = proc.stdout.decode()
    # numbers stay text so -0, big integers and float spellings are compared exactly
    parsed = [json.loads(line, parse_int=str, parse_float=str) for line in out.splitlines()]
    return proc.returncode, parsed, proc.stderr.decode()


# ---------------------------------------------------------------- data

def make_table(n=NROWS, seed=1):
    rnd = random.Random(seed)

    def maybe(v, percent=15):
        return None if rnd.randrange(100) < percent else v

    def ints(lo, hi):
        edge = [lo, hi, 0, -1 if lo < 0 else 1]
        return [maybe(edge[i] if i < len(edge) else rnd.randint(lo, hi)) for i in range(n)]

    floats = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-310, 1.5, -2.25, 1e300, 0.1]
    strings = ["", "a", "héllo wörld", "quote\" back\\slash\nnewline\ttab", "x" * 300, "日本語", "\x01ctl"]
    dec12 = [decimal.Decimal(rnd.randint(-10**12 + 1, 10**12 - 1)).scaleb(-2, WIDE) for _ in range(n)]
    dec38 = [decimal.Decimal(rnd.randint(-10**38 + 1, 10**38 - 1)).scaleb(-10, WIDE) for _ in range(n)]
    dec38[0] = decimal.Decimal(10**38 - 1).scaleb(-10, WIDE)
    dec38[1] = decimal.Decimal(-(10**38 - 1)).scaleb(-10, WIDE)
    dec12[0] = decimal.Decimal("-12.50")
    dec12[1] = decimal.Decimal("0.05")
    dec12[2] = decimal.Decimal("-0.01")
    low = ["red", "green", "blue"]
    ts_us = [rnd.randint(-2208988800 * 10**6, 4102444800 * 10**6) for _ in range(n)]
    ts_us[0] = -1  # 1969-12-31T23:59:59.999999
    cols = {
        "b": pa.array([maybe(rnd.random() < 0.5) for _ in range(n)], pa.bool_()),
        "i8": pa.array(ints(-128, 127), pa.int8()),
        "i16": pa.array(ints(-32768, 32767), pa.int16()),
        "i32": pa.array(ints(-2**31, 2**31 - 1), pa.int32()),
        "i64": pa.array(ints(-2**63, 2**63 - 1), pa.int64()),
        "u8": pa.array(ints(0, 255), pa.uint8()),
        "u16": pa.array(ints(0, 65535), pa.uint16()),
        "u32": pa.array(ints(0, 2**32 - 1), pa.uint32()),
        "u64": pa.array(ints(0, 2**64 - 1), pa.uint64()),
        "f": pa.array([maybe(floats[i] if i < len(floats) else rnd.uniform(-1e6, 1e6))
                       for i in range(n)], pa.float32()),
        "d": pa.array([maybe(floats[i] if i < len(floats) else rnd.uniform(-1e12, 1e12))
                       for i in range(n)], pa.float64()),
        "s": pa.array([maybe(strings[i % len(strings)] + (str(rnd.randrange(50)) if i > 20 else ""))
                       for i in range(n)], pa.string()),
        "low": pa.array([maybe(low[rnd.randrange(3)]) for _ in range(n)], pa.string()),
        "bin": pa.array([maybe(bytes(rnd.randrange(256) for _ in range(rnd.randrange(12))))
                         for _ in range(n)], pa.binary()),
        "fixed": pa.array([maybe(bytes(rnd.randrange(256) for _ in range(16))) for _ in range(n)],
                          pa.binary(16)),
        "dec": pa.array([maybe(v) for v in dec12], pa.decimal128(12, 2)),
        "dec38": pa.array([maybe(v) for v in dec38], pa.decimal128(38, 10)),
        "dt": pa.array([maybe(rnd.randint(-719162, 2932896)) for _ in range(n)], pa.int32()).cast(pa.date32()),
        "tm_us": pa.array([maybe(rnd.randrange(86400 * 10**6)) for _ in range(n)], pa.int64()).cast(pa.time64("us")),
        "tm_ms": pa.array([maybe(rnd.randrange(86400 * 10**3)) for _ in range(n)], pa.int32()).cast(pa.time32("ms")),
        "ts_ms": pa.array([maybe(v // 1000) for v in ts_us], pa.int64()).cast(pa.timestamp("ms")),
        "ts_us": pa.array([maybe(v) for v in ts_us], pa.int64()).cast(pa.timestamp("us")),
        "ts_ns": pa.array([maybe(v * 1000 + rnd.randrange(1000)) for v in ts_us], pa.int64()).cast(pa.timestamp("ns")),
        "ts_ms_utc": pa.array([maybe(v // 1000) for v in ts_us], pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
        "ts_us_utc": pa.array([maybe(v) for v in ts_us], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "ts_ns_utc": pa.array([maybe(v * 1000 - rnd.randrange(1000)) for v in ts_us], pa.int64()).cast(pa.timestamp("ns", tz="Europe/Paris")),
        "allnull": pa.array([None] * n, pa.string()),
        "allnull_i": pa.array([None] * n, pa.int64()),
        "req": pa.array(list(range(n)), pa.int64()),
    }
    schema = pa.schema([pa.field(k, v.type, nullable=(k != "req")) for k, v in cols.items()])
    return pa.table(list(cols.values()), schema=schema)


# ---------------------------------------------------------------- expected JSON

def float_ok(got, want, single):
    """got: parquet-dump's text (or NaN/Infinity string); want: pyarrow's float."""
    if want is None:
        return got is None
    if math.isnan(want):
        return got == "NaN"
    if math.isinf(want):
        return got == ("Infinity" if want > 0 else "-Infinity")
    fmt = "<f" if single else "<d"
    value = float(got)
    if struct.pack(fmt, value) != struct.pack(fmt, want):
        return False
    digits = len(got.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) or 1
    return digits <= (9 if single else 17)


def int_text(v):
    return str(v)


def ts_text(micros, utc):
    days, rem = divmod(micros, 86400 * 10**6)
    dt = EPOCH + datetime.timedelta(days=days, microseconds=rem)
    return dt.isoformat(sep="T", timespec="microseconds") + ("+00" if utc else "")


def time_text(micros, utc):
    t = (datetime.datetime.min + datetime.timedelta(microseconds=micros)).time()
    return t.isoformat(timespec="microseconds") + ("+00" if utc else "")


def time_adjusted_to_utc(path, name):
    """Whether the file annotates a TIME column as adjusted to UTC (pyarrow does)."""
    schema = pq.ParquetFile(path).schema
    for i in range(len(schema)):
        if schema.column(i).name == name:
            return '"isAdjustedToUTC": true' in schema.column(i).logical_type.to_json()
    raise AssertionError(f"no column {name} in {path}")


def column_expected(col, typ, time_utc=False):
    """pyarrow values of a column as parquet-dump prints them (None for null)."""
    if pa.types.is_timestamp(typ):
        raw = col.cast(pa.int64()).to_pylist()
        per = {"s": 10**6, "ms": 1000, "us": 1, "ns": 1}[typ.unit]
        utc = typ.tz is not None
        out = []
        for v in raw:
            if v is None:
                out.append(None)
            elif typ.unit == "ns":
                out.append(ts_text(v // 1000, utc))
            else:
                out.append(ts_text(v * per if typ.unit != "s" else v * 10**6, utc))
        return out
    if pa.types.is_time(typ):
        raw = col.cast(pa.int32() if typ.bit_width == 32 else pa.int64()).to_pylist()
        mult = {"s": 10**6, "ms": 1000, "us": 1, "ns": 0}[typ.unit]
        return [None if v is None else time_text(v * mult if mult else v // 1000, time_utc)
                for v in raw]
    vals = col.to_pylist()
    if pa.types.is_boolean(typ):
        return vals
    if pa.types.is_integer(typ):
        return [None if v is None else int_text(v) for v in vals]
    if pa.types.is_decimal(typ):
        return [None if v is None else format(v, "f") for v in vals]
    if pa.types.is_date(typ):
        return [None if v is None else v.isoformat() for v in vals]
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return vals
    if pa.types.is_binary(typ) or pa.types.is_fixed_size_binary(typ) or pa.types.is_large_binary(typ):
        return [None if v is None else "\\x" + v.hex() for v in vals]
    if pa.types.is_null(typ):
        return vals
    if pa.types.is_floating(typ):
        return vals  # compared by float_ok
    raise AssertionError(f"no converter for {typ}")


def check_dump(path, table=None, columns=None):
    """parquet-dump agrees with pyarrow's reading of `path`, value for value."""
    if table is None:
        table = pq.read_table(path)
    args = ["--columns", ",".join(columns)] if columns else []
    rc, rows, stderr = dump(path, *args)
    assert rc == 0, stderr
    names = columns or table.column_names
    assert len(rows) == table.num_rows
    for name in names:
        col = table.column(name).combine_chunks() if table.num_rows else table.column(name)
        typ = table.schema.field(name).type
        utc = pa.types.is_time(typ) and time_adjusted_to_utc(path, name)
        want = column_expected(col, typ, utc)
        for i, row in enumerate(rows):
            assert list(row.keys()) == names, f"row {i} keys {list(row.keys())}"
            got = row[name]
            if pa.types.is_floating(typ):
                assert float_ok(got, want[i], typ == pa.float32()), \
                    f"{path} row {i} column {name}: {got!r} != {want[i]!r}"
            else:
                assert got == want[i], f"{path} row {i} column {name}: {got!r} != {want[i]!r}"


# ---------------------------------------------------------------- files from pyarrow

@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.mark.parametrize("codec", ["none", "snappy", "gzip", "zstd"])
@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False], ids=["dict", "plain"])
def test_reads_pyarrow_files_every_codec_page_version_and_dictionary(tmp_path, table, codec,
                                                                      version, dictionary):
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, compression=codec, data_page_version=version,
                   use_dictionary=dictionary, data_page_size=512, row_group_size=700,
                   write_statistics=False)
    assert pq.ParquetFile(path).metadata.num_row_groups >= 3
    check_dump(path, table)


DELTA_ENCODINGS = {
    "i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "i8": "DELTA_BINARY_PACKED",
    "u64": "DELTA_BINARY_PACKED", "ts_us": "DELTA_BINARY_PACKED", "dt": "DELTA_BINARY_PACKED",
    "s": "DELTA_LENGTH_BYTE_ARRAY", "bin": "DELTA_BYTE_ARRAY", "low": "DELTA_BYTE_ARRAY",
    "f": "BYTE_STREAM_SPLIT", "d": "BYTE_STREAM_SPLIT", "u32": "BYTE_STREAM_SPLIT",
    "tm_us": "BYTE_STREAM_SPLIT", "fixed": "BYTE_STREAM_SPLIT", "dec": "BYTE_STREAM_SPLIT",
    "b": "RLE", "u16": "PLAIN", "ts_ns": "PLAIN",
}


@pytest.mark.parametrize("codec", ["none", "snappy", "zstd", "gzip"])
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_reads_delta_byte_stream_split_and_rle_encodings(tmp_path, table, codec, version):
    path = tmp_path / "enc.parquet"
    cols = list(DELTA_ENCODINGS) + ["allnull", "req"]
    sub = table.select(cols)
    pq.write_table(sub, path, compression=codec, data_page_version=version, use_dictionary=False,
                   column_encoding={k: v for k, v in DELTA_ENCODINGS.items()},
                   data_page_size=700, row_group_size=1000)
    md = pq.ParquetFile(path).metadata
    seen = set()
    for g in range(md.num_row_groups):
        for c in range(md.num_columns):
            seen.update(md.row_group(g).column(c).encodings)
    assert {"DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
            "BYTE_STREAM_SPLIT"} <= seen, seen
    check_dump(path, sub)


def test_reads_delta_byte_array_on_fixed_len_byte_array(tmp_path, table):
    path = tmp_path / "dba_fixed.parquet"
    sub = table.select(["fixed", "dec38"])
    try:
        pq.write_table(sub, path, use_dictionary=False,
                       column_encoding={"fixed": "DELTA_BYTE_ARRAY", "dec38": "DELTA_BYTE_ARRAY"})
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, OSError) as e:
        pytest.skip(f"pyarrow cannot write it: {e}")
    check_dump(path, sub)


def test_reads_decimals_stored_as_int32_and_int64(tmp_path):
    path = tmp_path / "decint.parquet"
    t = pa.table({
        "d9": pa.array([decimal.Decimal("-12.50"), None, decimal.Decimal("9999999.99"),
                        decimal.Decimal("0.01")], pa.decimal128(9, 2)),
        "d18": pa.array([decimal.Decimal("-0.0001"), decimal.Decimal("99999999999999.9999"),
                         None, decimal.Decimal("1")], pa.decimal128(18, 4)),
        "d5_0": pa.array([decimal.Decimal(-99999), decimal.Decimal(0), None, decimal.Decimal(7)],
                         pa.decimal128(5, 0)),
    })
    try:
        pq.write_table(t, path, store_decimal_as_integer=True)
    except TypeError:
        pytest.skip("pyarrow lacks store_decimal_as_integer")
    schema = {c["name"]: c for c in dump(path, "--schema")[1][0]["columns"]}
    assert schema["d9"]["physical"] == "INT32" and schema["d9"]["logical"] == "DECIMAL(9,2)"
    assert schema["d18"]["physical"] == "INT64"
    check_dump(path, t)
    rc, rows, _ = dump(path)
    assert rows[0]["d9"] == "-12.50"


def test_reads_int96_timestamps_as_utc(tmp_path):
    path = tmp_path / "int96.parquet"
    values = [0, -1, 1_700_000_000_123_456_789, None, -86_400_000_000_001]
    t = pa.table({"t": pa.array(values, pa.int64()).cast(pa.timestamp("ns"))})
    pq.write_table(t, path, use_deprecated_int96_timestamps=True)
    schema = dump(path, "--schema")[1][0]
    assert schema["columns"][0]["physical"] == "INT96"
    rc, rows, stderr = dump(path)
    assert rc == 0, stderr
    want = [None if v is None else ts_text(v // 1000, True) for v in values]
    assert [r["t"] for r in rows] == want


def test_null_type_column_prints_nulls(tmp_path):
    path = tmp_path / "nulltype.parquet"
    t = pa.table({"n": pa.array([None, None, None], pa.null()), "i": [1, 2, 3]})
    pq.write_table(t, path)
    rc, rows, stderr = dump(path)
    assert rc == 0, stderr
    assert rows == [{"n": None, "i": "1"}, {"n": None, "i": "2"}, {"n": None, "i": "3"}]


def test_empty_file_has_no_rows(tmp_path, table):
    path = tmp_path / "empty.parquet"
    pq.write_table(table.slice(0, 0), path)
    rc, rows, stderr = dump(path)
    assert (rc, rows) == (0, []), stderr
    rc, schema, _ = dump(path, "--schema")
    assert rc == 0
    assert schema[0]["num_rows"] == "0"
    assert len(schema[0]["columns"]) == table.num_columns


def test_schema_describes_columns_and_metadata(tmp_path, table):
    path = tmp_path / "schema.parquet"
    t = table.replace_schema_metadata({"hoodie.key": "v\"1"})
    pq.write_table(t, path, row_group_size=1000)
    rc, out, stderr = dump(path, "--schema")
    assert rc == 0, stderr
    s = out[0]
    assert s["file"] == str(path)
    assert s["num_rows"] == str(NROWS) and s["row_groups"] == "3"
    assert s["created_by"].startswith("parquet-cpp-arrow")
    assert s["key_value_metadata"]["hoodie.key"] == "v\"1"
    cols = {c["name"]: c for c in s["columns"]}
    assert [c["name"] for c in s["columns"]] == table.column_names
    assert cols["ts_us_utc"]["logical"] == "TIMESTAMP(MICROS,UTC)"
    assert cols["ts_ms"]["logical"] == "TIMESTAMP(MILLIS)"
    assert cols["dec"]["logical"] == "DECIMAL(12,2)"
    assert cols["dec"]["physical"] == "FIXED_LEN_BYTE_ARRAY"
    assert cols["u8"]["logical"] == "INTEGER(8,unsigned)"
    assert cols["i64"]["logical"] is None and cols["i64"]["physical"] == "INT64"
    assert cols["s"]["logical"] == "STRING"
    assert cols["req"]["optional"] is False and cols["s"]["optional"] is True
    assert all(c["unsupported"] is None for c in s["columns"])


# ---------------------------------------------------------------- projection, nesting, usage

@pytest.fixture(scope="module")
def nested_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nested") / "nested.parquet"
    t = pa.table({
        "id": [1, 2, 3],
        "st": pa.array([{"x": 1, "y": "a"}, None, {"x": 3, "y": None}],
                       pa.struct([("x", pa.int64()), ("y", pa.string())])),
        "name": ["a", None, "c"],
        "lst": pa.array([[1, 2], [], None], pa.list_(pa.int32())),
        "after": [1.5, 2.5, None],
    })
    pq.write_table(t, path)
    return path, t


def test_nested_columns_are_named_as_unsupported(nested_file):
    path, _ = nested_file
    rc, rows, stderr = dump(path)
    assert rc == 1
    assert rows == []
    assert "sluice parquet-dump: error:" in stderr and str(path) in stderr
    assert "st" in stderr and "not supported" in stderr
    rc, schema, _ = dump(path, "--schema")
    assert rc == 0
    cols = {c["name"]: c for c in schema[0]["columns"]}
    assert "nested group with 2 leaf columns" in cols["st"]["unsupported"]
    assert cols["lst"]["unsupported"] is not None
    assert cols["id"]["unsupported"] is None and cols["after"]["unsupported"] is None


def test_columns_excluding_nested_ones_read_the_rest(nested_file):
    path, t = nested_file
    check_dump(path, t, columns=["after", "id", "name"])
    rc, rows, stderr = dump(path, "--columns", "lst")
    assert rc == 1 and "lst" in stderr


def test_columns_keep_the_given_order(tmp_path, table):
    path = tmp_path / "proj.parquet"
    pq.write_table(table, path, row_group_size=1000)
    check_dump(path, table, columns=["s", "req", "dec", "b"])


def test_unknown_column_is_a_usage_error(tmp_path, table):
    path = tmp_path / "u.parquet"
    pq.write_table(table.slice(0, 10), path)
    rc, rows, stderr = dump(path, "--columns", "req,nope")
    assert rc == 2 and "nope" in stderr and rows == []
    proc = subprocess.run([SLUICE, "parquet-dump"], capture_output=True)
    assert proc.returncode == 2
    proc = subprocess.run([SLUICE, "parquet-dump", str(path), "--bogus"], capture_output=True)
    assert proc.returncode == 2


def test_missing_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "does-not-exist.parquet"
    rc, _, stderr = dump(path)
    assert rc == 1 and str(path) in stderr and stderr.startswith("sluice parquet-dump: error: ")


# ---------------------------------------------------------------- files from sluice

@pytest.mark.parametrize("codec,dictionary", [("none", False), ("snappy", True), ("zstd", True),
                                              ("gzip", False)])
def test_reads_files_sluice_writes(tmp_path, codec, dictionary):
    if not os.path.exists(WRITE_TOOL):
        pytest.fail(f"{WRITE_TOOL} is missing: build first (make build)")
    path = tmp_path / "sluice.parquet"
    subprocess.run([WRITE_TOOL, str(path), str(path) + ".jsonl", "3000", "11", codec,
                    "1" if dictionary else "0", "4096", "200000"], check=True,
                   capture_output=True, timeout=120)
    assert pq.ParquetFile(path).metadata.num_row_groups >= 2
    check_dump(path)


SPARK_FIXTURES = os.path.join(ROOT, "tests", "fixtures", "hudi-spark-tables")


def test_reads_spark_hudi_base_files_except_nested_columns(tmp_path):
    """parquet-mr (Spark) base files: every flat column agrees with pyarrow."""
    import glob
    import zipfile
    zips = sorted(glob.glob(os.path.join(SPARK_FIXTURES, "*.zip")))
    assert zips, f"no fixtures in {SPARK_FIXTURES}"
    for z in zips:
        with zipfile.ZipFile(z) as archive:
            archive.extractall(tmp_path / os.path.basename(z))
    files = [f for f in glob.glob(str(tmp_path / "**" / "*.parquet"), recursive=True)
             if "__MACOSX" not in f]
    assert files
    for path in files:
        rc, schema, stderr = dump(path, "--schema")
        assert rc == 0, stderr
        columns = [c["name"] for c in schema[0]["columns"] if c["unsupported"] is None]
        check_dump(path, pq.read_table(path, columns=columns), columns=columns)


# ---------------------------------------------------------------- malformed files

@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad") / "good.parquet"
    t = make_table(300, seed=5).select(["i64", "s", "dec", "d", "b", "req"])
    pq.write_table(t, path, compression="none", use_dictionary=False, data_page_size=256,
                   row_group_size=150)
    return path, path.read_bytes()


def expect_clean_failure(path, allow_success=False):
    rc, _, stderr = dump(path)
    assert "AddressSanitizer" not in stderr and "runtime error" not in stderr, stderr
    assert "LeakSanitizer" not in stderr, stderr
    if allow_success and rc == 0:
        return
    assert rc == 1, (rc, stderr)
    assert stderr.startswith("sluice parquet-dump: error: ") and str(path) in stderr, stderr


def test_truncated_files_fail_cleanly(tmp_path, good_file):
    _, data = good_file
    for cut in [0, 3, 4, 8, 11, 12, 100, len(data) // 2, len(data) - 9, len(data) - 8,
                len(data) - 5, len(data) - 1]:
        path = tmp_path / f"cut{cut}.parquet"
        path.write_bytes(data[:cut])
        expect_clean_failure(path)


def test_wrong_magic_and_footer_length_fail_cleanly(tmp_path, good_file):
    _, data = good_file
    cases = {
        "head_magic": b"PAR2" + data[4:],
        "tail_magic": data[:-4] + b"PARX",
        "encrypted": data[:-4] + b"PARE",
        "len_huge": data[:-8] + struct.pack("<I", 0xFFFFFFF0) + b"PAR1",
        "len_file": data[:-8] + struct.pack("<I", len(data) - 8) + b"PAR1",
        "len_small": data[:-8] + struct.pack("<I", 7) + b"PAR1",
        "len_zero": data[:-8] + struct.pack("<I", 0) + b"PAR1",
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.parquet"
        path.write_bytes(content)
        expect_clean_failure(path)
    rc, _, stderr = dump(tmp_path / "head_magic.parquet")
    assert "magic" in stderr


def read_varint(data, pos):
    shift = value = 0
    while True:
        b = data[pos]
        value |= (b & 0x7F) << shift
        pos += 1
        if not b & 0x80:
            return value, pos
        shift += 7


def encode_varint(value, length):
    """value as a varint of exactly `length` bytes (padding with continuation bytes)."""
    out = bytearray()
    for i in range(length):
        b = value & 0x7F
        value >>= 7
        out.append(b | (0x80 if i < length - 1 else 0))
    assert value == 0
    return bytes(out)


def test_page_header_lying_about_its_size_fails_cleanly(tmp_path, good_file):
    _, data = good_file
    # first page header at byte 4: field 1 type, field 2 uncompressed size, field 3 compressed
    assert data[4] == 0x15
    _, pos = read_varint(data, 5)
    assert data[pos] == 0x15
    u_start = pos + 1
    usize, u_end = read_varint(data, u_start)
    assert data[u_end] == 0x15
    c_start = u_end + 1
    csize, c_end = read_varint(data, c_start)
    n = c_end - c_start
    for field_start, field_end, length in [(c_start, c_end, n), (u_start, u_end, u_end - u_start)]:
        for lie in [0, 2, (csize // 2 - 3) * 2, (csize // 2 + 5) * 2, (2 ** (7 * length) - 2)]:
            lie = min(lie, 2 ** (7 * length) - 2)
            content = data[:field_start] + encode_varint(lie, field_end - field_start) + data[field_end:]
            path = tmp_path / f"lie{field_start}_{lie}.parquet"
            path.write_bytes(content)
            expect_clean_failure(path)


def test_random_byte_flips_never_crash(tmp_path, good_file):
    _, data = good_file
    rnd = random.Random(42)
    for i in range(150):
        content = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randrange(4, len(data) - 8)
            content[pos] ^= 1 << rnd.randrange(8)
        path = tmp_path / f"flip{i}.parquet"
        path.write_bytes(bytes(content))
        expect_clean_failure(path, allow_success=True)

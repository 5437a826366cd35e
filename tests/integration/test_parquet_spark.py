"""Spark (parquet-mr, the reference Parquet implementation) as an oracle.

a. Spark writes flat files with every type it has (byte .. decimal(38,10),
   date, timestamp as INT96 / TIMESTAMP_MICROS / TIMESTAMP_MILLIS, and
   TimestampNTZ), NULLs, NaN and -0.0, every codec, data page v2 and
   dictionary off; `sluice parquet-dump` must print every part file as
   pyarrow reads it (the converter of test_parquet_reader.py).
b. Spark reads files sluice writes (tests/unit/parquet_write_tool) with both
   of its readers -- the vectorized one and parquet-mr's record reader -- and
   gets the same rows and the expected Spark types.

The test run's one Spark session (conftest.py `hudi_spark`: local[2], UTC, no
UI) serves the whole module; it starts in 10-20 s. pyspark, Java 17 and the
Hudi bundle jar come from scripts/install-deps.sh; without them the tests
fail, they are not skipped.
"""

import datetime
import decimal
import glob
import json
import math
import os
import random
import struct
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

# pytest's default (prepend) import mode puts tests/integration on sys.path, as
# conftest's `from pgcluster import ...` relies on too.
import test_parquet_reader as reader

NROWS = 2000
UTC = datetime.timezone.utc
WIDE = decimal.Context(prec=60)


# ---------------------------------------------------------------- Spark session

@pytest.fixture(scope="module")
def spark(hudi_spark):
    """The session's one Spark (conftest.py `hudi_spark`: local[2], UTC, no UI,
    with the Hudi bundle on its classpath, which plain Parquet reads and writes
    do not touch)."""
    return hudi_spark


# ---------------------------------------------------------------- a. Spark writes

def spark_rows(n=NROWS, seed=3):
    """Rows for Spark's createDataFrame: edge values first, then random ones."""
    rnd = random.Random(seed)

    def maybe(v):  # the edge values of the first rows are never NULL
        return None if rnd.randrange(100) < 10 and i >= 10 else v

    def pick(edges, i, gen):
        return edges[i] if i < len(edges) else gen()

    floats = [math.nan, -0.0, 0.0, math.inf, -math.inf, 1.5, -2.25, 3.4028234663852886e38, 1e-45]
    doubles = [math.nan, -0.0, 0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308, 0.1]
    strings = ["", "a", "héllo wörld", "日本語", "😀 emoji", "quote\" back\\slash\nnl\ttab",
               "\x01ctl", "x" * 5000]
    dec12 = [decimal.Decimal("-12.50"), decimal.Decimal("0.05"), decimal.Decimal("-0.01"),
             decimal.Decimal("9999999999.99"), decimal.Decimal("-9999999999.99")]
    dec38 = [decimal.Decimal(10**38 - 1).scaleb(-10, WIDE), decimal.Decimal(-(10**38 - 1)).scaleb(-10, WIDE),
             decimal.Decimal("0E-10"), decimal.Decimal("-1E-10")]
    epoch = datetime.datetime(1970, 1, 1)
    ts_lo, ts_hi = -2177452800 * 10**6, 4102444800 * 10**6  # 1901-01-01 .. 2100-01-01 (no rebase)
    ts_edges = [-1, 0, ts_lo, ts_hi - 1]
    rows = []
    for i in range(n):
        ts = pick(ts_edges, i, lambda: rnd.randint(ts_lo, ts_hi))
        ntz = pick(ts_edges, i, lambda: rnd.randint(ts_lo, ts_hi))
        rows.append((
            i,
            maybe(rnd.random() < 0.5),
            maybe(pick([-128, 127, 0, -1], i, lambda: rnd.randint(-128, 127))),
            maybe(pick([-32768, 32767, 0], i, lambda: rnd.randint(-32768, 32767))),
            maybe(pick([-2**31, 2**31 - 1, 0], i, lambda: rnd.randint(-2**31, 2**31 - 1))),
            maybe(pick([-2**63, 2**63 - 1, 0], i, lambda: rnd.randint(-2**63, 2**63 - 1))),
            maybe(pick(floats, i, lambda: rnd.uniform(-1e6, 1e6))),
            maybe(pick(doubles, i, lambda: rnd.uniform(-1e12, 1e12))),
            maybe(pick(strings, i, lambda: strings[rnd.randrange(len(strings) - 1)] + str(rnd.randrange(100)))),
            maybe(["red", "green", "blue"][rnd.randrange(3)]),
            maybe(bytes(rnd.randrange(256) for _ in range(rnd.randrange(12)))),
            maybe(pick(dec12, i, lambda: decimal.Decimal(rnd.randint(-10**12 + 1, 10**12 - 1)).scaleb(-2, WIDE))),
            maybe(pick(dec38, i, lambda: decimal.Decimal(rnd.randint(-10**38 + 1, 10**38 - 1)).scaleb(-10, WIDE))),
            maybe(pick([datetime.date(1970, 1, 1), datetime.date(1969, 12, 31), datetime.date(1900, 1, 1),
                        datetime.date(9999, 12, 31)], i,
                       lambda: datetime.date(1970, 1, 1) + datetime.timedelta(days=rnd.randint(-25000, 50000)))),
            maybe((epoch + datetime.timedelta(microseconds=ts)).replace(tzinfo=UTC)),
            maybe(epoch + datetime.timedelta(microseconds=ntz)),
            None,
        ))
    return rows


def spark_schema():
    from pyspark.sql import types as T
    return T.StructType([
        T.StructField("id", T.LongType(), False),
        T.StructField("b", T.BooleanType()),
        T.StructField("i8", T.ByteType()),
        T.StructField("i16", T.ShortType()),
        T.StructField("i32", T.IntegerType()),
        T.StructField("i64", T.LongType()),
        T.StructField("f", T.FloatType()),
        T.StructField("d", T.DoubleType()),
        T.StructField("s", T.StringType()),
        T.StructField("low", T.StringType()),
        T.StructField("bin", T.BinaryType()),
        T.StructField("dec", T.DecimalType(12, 2)),
        T.StructField("dec38", T.DecimalType(38, 10)),
        T.StructField("dt", T.DateType()),
        T.StructField("ts", T.TimestampType()),
        T.StructField("ntz", T.TimestampNTZType()),
        T.StructField("allnull", T.StringType()),
    ])


# name: (DataFrameWriter options, spark.sql.parquet.outputTimestampType)
SPARK_WRITES = {
    "snappy": ({"compression": "snappy"}, "INT96"),
    "gzip": ({"compression": "gzip", "parquet.page.size": "8192"}, "TIMESTAMP_MICROS"),
    "zstd": ({"compression": "zstd", "parquet.block.size": "65536"}, "TIMESTAMP_MILLIS"),
    "uncompressed": ({"compression": "uncompressed"}, "TIMESTAMP_MICROS"),
    "v2": ({"compression": "snappy", "parquet.writer.version": "v2"}, "TIMESTAMP_MICROS"),
    "v2_plain": ({"compression": "zstd", "parquet.writer.version": "v2",
                  "parquet.enable.dictionary": "false", "parquet.page.size": "8192"}, "INT96"),
    "plain": ({"compression": "snappy", "parquet.enable.dictionary": "false"}, "TIMESTAMP_MICROS"),
}

PAGE_TYPES = {0: "DATA_PAGE", 1: "INDEX_PAGE", 2: "DICTIONARY_PAGE", 3: "DATA_PAGE_V2"}


def first_page_type(path, column_chunk):
    """Type of the first page of a column chunk, from its Thrift page header."""
    offset = column_chunk.dictionary_page_offset or column_chunk.data_page_offset
    with open(path, "rb") as f:
        f.seek(offset)
        head = f.read(16)
    assert head[0] == 0x15, f"{path}: page header at {offset} does not start with field 1 (i32)"
    value, _ = reader.read_varint(head, 1)
    return PAGE_TYPES[(value >> 1) ^ -(value & 1)]


def data_page_types(path):
    """{column: type of its first data page} of row group 0 (a dictionary page is skipped)."""
    md = pq.ParquetFile(path).metadata
    out = {}
    for c in range(md.num_columns):
        col = md.row_group(0).column(c)
        with open(path, "rb") as f:
            f.seek(col.data_page_offset)
            head = f.read(16)
        value, _ = reader.read_varint(head, 1)
        out[col.path_in_schema] = PAGE_TYPES[(value >> 1) ^ -(value & 1)]
    return out


def encodings(path):
    md = pq.ParquetFile(path).metadata
    return {md.row_group(g).column(c).path_in_schema: set(md.row_group(g).column(c).encodings)
            for g in range(md.num_row_groups) for c in range(md.num_columns)}


def pyarrow_as_sluice_reads(path):
    """pyarrow's table of `path`, INT96 columns as UTC microseconds (sluice's convention)."""
    f = pq.ParquetFile(path)
    table = pq.read_table(path, coerce_int96_timestamp_unit="us")
    for i in range(len(f.schema)):
        col = f.schema.column(i)
        if col.physical_type == "INT96":
            idx = table.schema.get_field_index(col.name)
            table = table.set_column(idx, col.name, table.column(idx).cast(pa.timestamp("us", tz="UTC")))
    return table


@pytest.fixture(scope="module")
def spark_files(spark, tmp_path_factory):
    """{name: [part files]} for every entry of SPARK_WRITES."""
    base = tmp_path_factory.mktemp("spark-written")
    df = spark.createDataFrame(spark_rows(), spark_schema()).repartition(2, "id").cache()
    assert df.count() == NROWS
    out = {}
    for name, (options, ts_type) in SPARK_WRITES.items():
        spark.conf.set("spark.sql.parquet.outputTimestampType", ts_type)
        target = str(base / name)
        writer = df.sortWithinPartitions("id").write.mode("overwrite")
        for k, v in options.items():
            writer = writer.option(k, v)
        writer.parquet(target)
        parts = sorted(glob.glob(os.path.join(target, "part-*.parquet")))
        assert parts, f"Spark wrote no part files into {target}"
        out[name] = parts
    spark.conf.unset("spark.sql.parquet.outputTimestampType")
    df.unpersist()
    return out


@pytest.mark.parametrize("name", list(SPARK_WRITES))
def test_sluice_reads_files_spark_writes(spark_files, name):
    options, ts_type = SPARK_WRITES[name]
    parts = spark_files[name]
    total = 0
    for path in parts:
        md = pq.ParquetFile(path).metadata
        assert md.created_by.startswith("parquet-mr"), md.created_by
        codec = options["compression"].upper()
        assert {md.row_group(g).column(c).compression for g in range(md.num_row_groups)
                for c in range(md.num_columns)} == {codec}
        physical = {pq.ParquetFile(path).schema.column(i).name: pq.ParquetFile(path).schema.column(i).physical_type
                    for i in range(md.num_columns)}
        assert physical["ts"] == ("INT96" if ts_type == "INT96" else "INT64")
        assert physical["dec"] == "INT64" and physical["dec38"] == "FIXED_LEN_BYTE_ARRAY"
        total += md.num_rows
        table = pyarrow_as_sluice_reads(path)
        reader.check_dump(path, table)
    assert total == NROWS


def test_spark_writer_version_v2_and_dictionary_off_change_pages_and_encodings(spark_files):
    """The v2 / plain variants really differ from the default (else they test nothing)."""
    v1 = spark_files["snappy"][0]
    v2 = spark_files["v2"][0]
    v2_plain = spark_files["v2_plain"][0]
    plain = spark_files["plain"][0]
    assert set(data_page_types(v1).values()) == {"DATA_PAGE"}
    assert set(data_page_types(v2).values()) == {"DATA_PAGE_V2"}
    assert set(data_page_types(v2_plain).values()) == {"DATA_PAGE_V2"}
    assert set(data_page_types(plain).values()) == {"DATA_PAGE"}
    assert first_page_type(v1, pq.ParquetFile(v1).metadata.row_group(0).column(9)) == "DICTIONARY_PAGE"
    enc_plain = encodings(v2_plain)
    assert "DELTA_BINARY_PACKED" in enc_plain["i64"], enc_plain
    assert "DELTA_BYTE_ARRAY" in enc_plain["s"], enc_plain
    assert "DELTA_BYTE_ARRAY" in enc_plain["dec38"], enc_plain  # on FIXED_LEN_BYTE_ARRAY
    assert enc_plain["b"] == {"RLE"}, enc_plain  # v2 booleans are RLE, not bit-packed PLAIN
    assert not any("DICTIONARY" in e for es in enc_plain.values() for e in es), enc_plain
    enc_v2 = encodings(v2)
    assert "RLE_DICTIONARY" in enc_v2["low"], enc_v2
    enc_v1_plain = encodings(plain)
    assert not any("DICTIONARY" in e for es in enc_v1_plain.values() for e in es), enc_v1_plain
    assert "PLAIN_DICTIONARY" in encodings(v1)["low"]


# ---------------------------------------------------------------- b. Spark reads sluice's files

EXPECTED_SPARK_TYPES = {
    "id": "LongType()", "b": "BooleanType()", "i32": "IntegerType()", "i64": "LongType()",
    "f": "FloatType()", "d": "DoubleType()", "s": "StringType()", "low": "StringType()",
    "j": "StringType()", "bin": "BinaryType()", "dec": "DecimalType(12,2)",
    "dec38": "DecimalType(38,10)", "dt": "DateType()", "ts": "TimestampType()",
    "tsl": "TimestampNTZType()", "nulls": "StringType()",
}


def write_sluice_file(tmp_path, codec, dictionary, rows=3000, seed=13):
    if not os.path.exists(reader.WRITE_TOOL):
        pytest.fail(f"{reader.WRITE_TOOL} is missing: build first (make build)")
    path = str(tmp_path / f"sluice-{codec}-{int(dictionary)}.parquet")
    subprocess.run([reader.WRITE_TOOL, path, path + ".jsonl", str(rows), str(seed), codec,
                    "1" if dictionary else "0", "4096", "200000"],
                   check=True, capture_output=True, timeout=120)
    assert pq.ParquetFile(path).metadata.num_row_groups >= 2
    return path


def spark_schema_of(spark, path, columns):
    """The Spark schema spark.read would infer for `columns` of the file at `path`."""
    from pyspark.sql import types as T
    jvm = spark._jvm
    footer = jvm.org.apache.parquet.hadoop.ParquetFileReader.readFooter(
        spark._jsc.hadoopConfiguration(), jvm.org.apache.hadoop.fs.Path(path))
    file_schema = footer.getFileMetaData().getSchema()
    fields = jvm.java.util.ArrayList()
    for field in file_schema.getFields():
        if field.getName() in columns:
            fields.add(field)
    projected = jvm.org.apache.parquet.schema.MessageType(file_schema.getName(), fields)
    converter = jvm.org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter(
        spark._jsparkSession.sessionState().conf())
    return T.StructType.fromJson(json.loads(converter.convert(projected).json()))


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b if a is not None and b is not None else a is b


@pytest.mark.parametrize("codec,dictionary", [("snappy", True), ("gzip", False)],
                         ids=["snappy-dict", "gzip-plain"])
def test_spark_reads_files_sluice_writes(spark, tmp_path, codec, dictionary):
    path = write_sluice_file(tmp_path, codec, dictionary)
    want = pq.read_table(path)
    names = want.column_names
    assert "tm" in names

    # Spark 3.5 has no TIME type: the whole-file read fails naming the column type.
    with pytest.raises(Exception) as failure:
        spark.read.parquet(path).schema  # noqa: B018 - schema inference is what fails
    message = str(failure.value)
    assert "TIME(MICROS" in message, message

    # Spark's own schema conversion (ParquetToSparkSchemaConverter, what
    # spark.read infers) of the file's footer schema without tm.
    from pyspark.sql import types as T
    readable = [n for n in names if n != "tm"]
    schema = spark_schema_of(spark, path, readable)
    inferred = {f.name: repr(f.dataType) for f in schema.fields}
    assert inferred == {n: EXPECTED_SPARK_TYPES[n] for n in readable}
    assert want.column("id").to_pylist() == list(range(want.num_rows))
    for vectorized in ("true", "false"):
        spark.conf.set("spark.sql.parquet.enableVectorizedReader", vectorized)
        try:
            # sluice's files carry no org.apache.spark.version key, so Spark
            # cannot tell they use the proleptic Gregorian calendar (as the
            # Parquet spec says) and, by default (EXCEPTION), refuses dates
            # before 1582-10-15 and timestamps before 1900; CORRECTED reads
            # them as written.
            df = spark.read.schema(schema).option("datetimeRebaseMode", "CORRECTED").parquet(path)
            got_rows = df.orderBy("id").collect()
        finally:
            spark.conf.unset("spark.sql.parquet.enableVectorizedReader")
        assert len(got_rows) == want.num_rows
        for name in readable:
            expected = want.column(name).to_pylist()
            ltz = isinstance(df.schema[name].dataType, T.TimestampType)
            for i, row in enumerate(got_rows):
                v = row[name]
                if isinstance(v, bytearray):
                    v = bytes(v)
                elif ltz and v is not None:
                    v = v.astimezone(UTC)  # collect() gives naive local time
                assert same(v, expected[i]), \
                    f"vectorized={vectorized} row {i} column {name}: Spark {v!r} != pyarrow {expected[i]!r}"

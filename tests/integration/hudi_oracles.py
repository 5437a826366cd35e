"""Independent Hudi readers (and a writer) that the tests hold sluice's tables to.

Two oracles, neither sharing code with sluice:
  hudirs_*   the `hudi` Python package (hudi-rs, Apache Hudi's Rust reader);
  spark_*    Spark 3.5 with the Apache Hudi Spark bundle (the reference
             implementation), in the pytest session's SparkSession (fixture
             `hudi_spark` in conftest.py, bundle 0.15.0), or in a second JVM
             with another bundle (spark_bundle_run, default 1.0.2).

Every read returns a list of plain dicts, one per row, values normalised so the
two oracles (and PostgreSQL) compare with ==: int, bool, float, str, bytes,
decimal.Decimal, datetime.date, datetime.time, datetime.datetime (aware, UTC;
a timestamp without time zone is taken as a UTC wall clock), None, and list /
dict for nested columns (structs and maps become dicts). Rows are sorted by
`_hoodie_record_key` (tables without meta fields: by the record key fields). `columns`
picks columns (meta columns included, by name); meta=False drops every
`_hoodie_*` column.

What each oracle can and cannot do is pinned by test_hudi_oracles.py (see its
docstring): hudi-rs 0.5.0 and Spark + Hudi 1.0.2 read table versions 6 and 8
(snapshot, time travel, incremental); Spark + Hudi 0.15.0 reads only version 6
and, on TimestampBasedKeyGenerator tables, returns the partition path in place
of the stored partition column in snapshot/time-travel reads. Incremental
bounds: version 6 compares instant (requested) times, version 8 completion
times (hudi-rs and Hudi 1.x agree). Spark refuses incremental reads of tables
without meta fields. The Spark writers use DefaultHoodieRecordPayload (stored
row with the higher precombine value wins), not Hudi 0.15's default.

The bundle jars come from scripts/install-deps.sh (Maven Central, cached in
/var/cache/sluice/jars or ~/.cache/sluice/jars; $SLUICE_JAR_DIR overrides).

S3: the hudirs_* readers take hudi-rs storage_options (S3Server.hudirs_storage_options()
in s3server.py); spark_session(s3=...) and spark_bundle_run(s3=...) add the
hadoop-aws 3.3.4 + AWS SDK bundle 1.12.262 jars (also from install-deps.sh) and
the fs.s3a.* settings for an S3-compatible endpoint, so Spark reads and writes
s3a://bucket/path. Without s3 nothing changes. The pytest session's Spark
(fixture hudi_spark) is started with s3=<the session's S3 server>, so it reads
s3a://<bucket>/... itself; spark_bundle_run(..., s3=...) is for other bundles
or other endpoints (one extra JVM per call).
Run as a script, this module is the child process of spark_bundle_run.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
META_COLUMNS = ("_hoodie_commit_time", "_hoodie_commit_seqno", "_hoodie_record_key",
                "_hoodie_partition_path", "_hoodie_file_name")
BUNDLE_ARTIFACT = "hudi-spark3.5-bundle_2.12"
# s3a:// for Spark: hadoop-aws matching pyspark 3.5's Hadoop client (3.3.4) and
# the AWS SDK v1 bundle that hadoop-aws 3.3.4 was built against.
S3A_JARS = ("hadoop-aws-3.3.4.jar", "aws-java-sdk-bundle-1.12.262.jar")
DEFAULT_BUNDLE = "0.15.0"
SECOND_BUNDLE = "1.0.2"


class OracleError(Exception):
    """An oracle could not answer: setup missing, or the query failed (message says which)."""


# ---------------------------------------------------------------- normalising

def normalize(value, naive_is_local=False):
    """One value as the plain Python types the module docstring lists. A naive
    datetime is a UTC wall clock, or local time when naive_is_local (what
    pyspark's collect() gives for TIMESTAMP values nested in structs/arrays)."""
    if value is None or isinstance(value, (bool, int, float, str, decimal.Decimal)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None and not naive_is_local:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, (datetime.date, datetime.time)):
        return value
    if hasattr(value, "asDict"):  # pyspark Row (a struct)
        return {k: normalize(v, naive_is_local) for k, v in value.asDict(recursive=False).items()}
    if isinstance(value, dict):
        return {normalize(k, naive_is_local): normalize(v, naive_is_local) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v, naive_is_local) for v in value]
    raise TypeError(f"no normalisation for {type(value).__name__}: {value!r}")


def _order(value):
    return (value is None, "" if value is None else value)


def _finish(rows, columns, meta, key_fields=None):
    """Sorts rows by record key, then keeps `columns` (or all) and drops meta if
    asked. Without `_hoodie_record_key` (tables with hoodie.populate.meta.fields
    =false) rows are sorted by the record key fields: key_fields() gives them."""
    if rows and "_hoodie_record_key" in rows[0]:
        rows.sort(key=lambda r: _order(r["_hoodie_record_key"]))
    elif rows:
        fields = [f for f in (key_fields() if key_fields else []) if f in rows[0]]
        rows.sort(key=lambda r: tuple(_order(r[f]) for f in fields) + (repr(sorted(r.items())),))
    keep = list(columns) if columns is not None else None
    out = []
    for row in rows:
        if keep is not None:
            row = {c: row[c] for c in keep}
        if not meta:
            row = {c: v for c, v in row.items() if c not in META_COLUMNS}
        out.append(row)
    return out


def strip_meta(rows):
    """Rows without the `_hoodie_*` columns."""
    return [{c: v for c, v in row.items() if c not in META_COLUMNS} for row in rows]


def _same_value(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a == b


def diff_rows(got, want, limit=5):
    """None when the row lists are equal (NaN equals NaN, -0.0 differs from 0.0,
    bool differs from int), else a short description of the first differences."""
    problems = []
    if len(got) != len(want):
        problems.append(f"{len(got)} rows != {len(want)} rows")
    for i, (g, w) in enumerate(zip(got, want)):
        if g.keys() != w.keys():
            problems.append(f"row {i}: columns {sorted(g)} != {sorted(w)}")
        else:
            for c in g:
                if not _same_value(g[c], w[c]):
                    problems.append(f"row {i} column {c}: {g[c]!r} != {w[c]!r}")
        if len(problems) >= limit:
            break
    return "; ".join(problems) if problems else None


# ---------------------------------------------------------------- hudi-rs

def _hudi():
    try:
        import hudi
    except ImportError as e:
        raise OracleError(f"the hudi package (hudi-rs) is not installed ({e}): run scripts/install-deps.sh") from e
    return hudi


def _hudirs_read(base_uri, options, columns, storage_options, meta):
    import pyarrow as pa
    hudi = _hudi()
    table = hudi.HudiTable(base_uri, dict(storage_options or {}))
    batches = table.read(options)
    if not batches:
        return []
    rows = pa.Table.from_batches(batches).to_pylist(maps_as_pydicts="strict")
    return _finish([{k: normalize(v) for k, v in r.items()} for r in rows], columns, meta,
                   lambda: _split(table.hudi_options().get("hoodie.table.recordkey.fields")))


def _split(fields):
    return [f.strip() for f in (fields or "").split(",") if f.strip()]


def hudirs_snapshot(base_uri, columns=None, storage_options=None, meta=True):
    """Latest state of the table, read by hudi-rs. `storage_options`: hudi-rs /
    object_store options, e.g. aws_endpoint, aws_allow_http, aws_access_key_id,
    aws_secret_access_key, aws_region."""
    return _hudirs_read(base_uri, _hudi().HudiReadOptions(), columns, storage_options, meta)


def hudirs_as_of(base_uri, instant, columns=None, storage_options=None, meta=True):
    """The table as of `instant` (yyyyMMddHHmmssSSS, inclusive), read by hudi-rs."""
    opts = _hudi().HudiReadOptions().with_as_of_timestamp(instant)
    return _hudirs_read(base_uri, opts, columns, storage_options, meta)


def hudirs_incremental(base_uri, start_exclusive, end_inclusive=None, columns=None,
                       storage_options=None, meta=True):
    """Rows written by commits in (start_exclusive, end_inclusive], read by hudi-rs.
    "0" starts at the beginning; end None means the latest commit. Version 6: the
    bounds are instant times; version 8: completion times."""
    hudi = _hudi()
    opts = (hudi.HudiReadOptions().with_query_type(hudi.HudiQueryType.Incremental)
            .with_start_timestamp(start_exclusive))
    if end_inclusive is not None:
        opts = opts.with_end_timestamp(end_inclusive)
    return _hudirs_read(base_uri, opts, columns, storage_options, meta)


def hudirs_commits(base_uri, storage_options=None):
    """Instant times (requested time, yyyyMMddHHmmssSSS) of the completed commits
    and replacecommits on the active timeline, ascending. Clean, rollback and
    pending instants are not listed."""
    hudi = _hudi()
    timeline = hudi.HudiTable(base_uri, dict(storage_options or {})).get_timeline()
    instants = timeline.get_completed_commits() + timeline.get_completed_replacecommits()
    return sorted(i.timestamp for i in instants)


# ---------------------------------------------------------------- Spark

def jar_dirs():
    """Where scripts/install-deps.sh may have put the jars, in its order."""
    dirs = []
    if os.environ.get("SLUICE_JAR_DIR"):
        dirs.append(os.environ["SLUICE_JAR_DIR"])
    dirs.append("/var/cache/sluice/jars")
    dirs.append(os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sluice", "jars"))
    return dirs


def bundle_jar(version=DEFAULT_BUNDLE):
    """Path of hudi-spark3.5-bundle_2.12-<version>.jar in the jar cache."""
    name = f"{BUNDLE_ARTIFACT}-{version}.jar"
    for d in jar_dirs():
        path = os.path.join(d, name)
        if os.path.isfile(path):
            return path
    raise OracleError(f"{name} is not in {', '.join(jar_dirs())}: run scripts/install-deps.sh")


def s3a_jars():
    """Paths of the S3A_JARS in the jar cache (OracleError if one is missing)."""
    paths = []
    for name in S3A_JARS:
        for d in jar_dirs():
            path = os.path.join(d, name)
            if os.path.isfile(path):
                paths.append(path)
                break
        else:
            raise OracleError(f"{name} is not in {', '.join(jar_dirs())}: run scripts/install-deps.sh")
    return paths


def _s3_options(s3):
    """The s3 argument as a dict: a dict already, or an object with spark_options()
    (s3server.S3Server)."""
    if hasattr(s3, "spark_options"):
        s3 = s3.spark_options()
    missing = {"endpoint", "access_key", "secret_key"} - set(s3)
    if missing:
        raise ValueError(f"s3 options lack {sorted(missing)}")
    return dict(s3)


def s3a_conf(s3):
    """Spark settings (spark.hadoop.fs.s3a.*) for an S3-compatible endpoint.
    s3: {"endpoint": "http://127.0.0.1:PORT", "access_key", "secret_key",
    "region" (default us-east-1), "path_style" (default True)}, or an object with
    spark_options(). Plain http when the endpoint says http://. Only these static
    keys are used (no environment, profile or instance-metadata lookups)."""
    s3 = _s3_options(s3)
    endpoint = s3["endpoint"]
    return {
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": s3.get("region") or "us-east-1",
        "spark.hadoop.fs.s3a.path.style.access": "true" if s3.get("path_style", True) else "false",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false" if endpoint.startswith("http://") else "true",
        "spark.hadoop.fs.s3a.access.key": s3["access_key"],
        "spark.hadoop.fs.s3a.secret.key": s3["secret_key"],
        "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        # never delete parent "directory" marker objects after a write: it is
        # an extra bulk delete per file, and versitygw's posix backend refuses
        # to delete dir/ while dir has children (ErrDirectoryNotEmpty), which
        # s3a retries with backoff -- minutes per Hudi commit
        "spark.hadoop.fs.s3a.directory.marker.retention": "keep",
        # a test server that is down should fail a read in seconds, not minutes
        "spark.hadoop.fs.s3a.attempts.maximum": "3",
        "spark.hadoop.fs.s3a.retry.limit": "3",
        "spark.hadoop.fs.s3a.connection.establish.timeout": "5000",
    }


def check_java():
    java = shutil.which("java", path=os.path.join(os.environ["JAVA_HOME"], "bin")) \
        if os.environ.get("JAVA_HOME") else shutil.which("java")
    if java is None or subprocess.run([java, "-version"], capture_output=True).returncode != 0:
        raise OracleError("no working Java runtime for Spark (need Java 17): run scripts/install-deps.sh")


def spark_session(bundle=DEFAULT_BUNDLE, warehouse=None, app_name="sluice-hudi-oracle", s3=None):
    """A local[2] SparkSession with the Hudi bundle `bundle`, the settings Hudi's
    Spark quick start asks for (Kryo with Hudi's registrar, the Hudi session
    extension and catalog), UTC everywhere (session time zone and the JVM's, so
    instants Spark's Hudi writer makes are UTC), no UI, driver on 127.0.0.1.
    s3 (optional, see s3a_conf): also the s3a jars (s3a_jars) and fs.s3a.*
    settings, so paths s3a://bucket/... work.
    One per process: a JVM's classpath is fixed when it starts."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise OracleError(f"pyspark is not installed in this venv ({e}): run scripts/install-deps.sh") from e
    check_java()
    jar = bundle_jar(bundle)
    extra_jars = s3a_jars() if s3 is not None else []
    warehouse = warehouse or tempfile.mkdtemp(prefix="sluice-spark-warehouse-")
    utc = "-Duser.timezone=UTC"
    builder = (SparkSession.builder
               .master("local[2]")
               .appName(app_name)
               .config("spark.jars", ",".join([jar] + extra_jars))
               .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
               .config("spark.kryo.registrator", "org.apache.spark.HoodieSparkKryoRegistrar")
               .config("spark.sql.extensions", "org.apache.spark.sql.hudi.HoodieSparkSessionExtension")
               .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.hudi.catalog.HoodieCatalog")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.extraJavaOptions", utc)
               .config("spark.executor.extraJavaOptions", utc)
               .config("spark.ui.enabled", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.sql.shuffle.partitions", "2"))
    if s3 is not None:
        for key, value in s3a_conf(s3).items():
            builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # getOrCreate() hands back a running session whose JVM classpath cannot change
    jars = session.sparkContext.getConf().get("spark.jars", "")
    if not {jar, *extra_jars} <= set(jars.split(",")):
        raise OracleError(f"a SparkSession with jars {jars!r} already runs in this process; "
                          f"use spark_bundle_run for Hudi {bundle}" + (" with s3" if s3 is not None else ""))
    return session


def _spark_table_config(spark, base_uri):
    """hoodie.properties of the table, read through Spark's Hadoop file system."""
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(base_uri.rstrip("/") + "/.hoodie/hoodie.properties")
    stream = path.getFileSystem(spark._jsc.hadoopConfiguration()).open(path)
    try:
        props = jvm.java.util.Properties()
        props.load(stream)
    finally:
        stream.close()
    return {k: props.getProperty(k) for k in props.stringPropertyNames()}


def _spark_rows(df, columns, meta, spark=None, base_uri=None):
    """Collects a DataFrame as normalised rows. Top-level TIMESTAMP columns travel
    as epoch microseconds (exact, whatever the Python process's time zone);
    TIMESTAMP_NTZ values are UTC wall clocks; TIMESTAMP values nested in
    structs, arrays or maps come back from pyspark as naive local times and are
    converted from the process's local zone."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    if columns is not None:
        wanted = list(columns)
        if "_hoodie_record_key" in df.columns and "_hoodie_record_key" not in wanted:
            wanted.append("_hoodie_record_key")  # for sorting; dropped by _finish
        df = df.select(*[F.col(f"`{c}`") for c in wanted])
    ltz = [f.name for f in df.schema.fields if isinstance(f.dataType, T.TimestampType)]
    ntz = {f.name for f in df.schema.fields if isinstance(f.dataType, T.TimestampNTZType)}
    if ltz:
        df = df.select(*[F.unix_micros(F.col(f"`{c}`")).alias(c) if c in ltz else F.col(f"`{c}`")
                         for c in df.columns])
    rows = []
    for row in df.collect():
        d = {}
        for name, value in zip(df.columns, row):
            if name in ltz and value is not None:
                d[name] = EPOCH + datetime.timedelta(microseconds=value)
            else:
                d[name] = normalize(value, naive_is_local=name not in ntz)
        rows.append(d)
    return _finish(rows, columns, meta, lambda: _split(
        _spark_table_config(spark, base_uri).get("hoodie.table.recordkey.fields")) if spark else [])


def spark_snapshot(spark, base_uri, columns=None, meta=True):
    """Latest state of the table, read by Spark + Hudi."""
    return _spark_rows(spark.read.format("hudi").load(base_uri), columns, meta, spark, base_uri)


def spark_as_of(spark, base_uri, instant, columns=None, meta=True):
    """The table as of `instant` (as.of.instant, inclusive), read by Spark + Hudi."""
    df = spark.read.format("hudi").option("as.of.instant", instant).load(base_uri)
    return _spark_rows(df, columns, meta, spark, base_uri)


def spark_incremental(spark, base_uri, start_exclusive, end_inclusive=None, columns=None, meta=True):
    """Rows written by commits in (start_exclusive, end_inclusive], read by Spark +
    Hudi's incremental query. "0" starts at the beginning; end None = latest."""
    reader = (spark.read.format("hudi")
              .option("hoodie.datasource.query.type", "incremental")
              .option("hoodie.datasource.read.begin.instanttime", start_exclusive))
    if end_inclusive is not None:
        reader = reader.option("hoodie.datasource.read.end.instanttime", end_inclusive)
    return _spark_rows(reader.load(base_uri), columns, meta, spark, base_uri)


def _keygen_for(record_key, partition_fields):
    if not partition_fields:
        return "org.apache.hudi.keygen.NonpartitionedKeyGenerator"
    if len(record_key) == 1 and len(partition_fields) == 1:
        return "org.apache.hudi.keygen.SimpleKeyGenerator"
    return "org.apache.hudi.keygen.ComplexKeyGenerator"


def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _spark_write(spark, base_uri, rows, operation, table_name, record_key, precombine,
                 partition_fields, keygen, options, schema):
    from pyspark.sql import DataFrame
    from pyspark.sql import types as T
    keys = _as_list(record_key)
    parts = _as_list(partition_fields)
    if isinstance(rows, DataFrame):
        df = rows
    else:
        if isinstance(schema, str) and schema.lstrip().startswith("{"):
            schema = T.StructType.fromJson(json.loads(schema))
        df = spark.createDataFrame(list(rows), schema)
    opts = {
        "hoodie.table.name": table_name,
        "hoodie.datasource.write.table.type": "COPY_ON_WRITE",
        "hoodie.datasource.write.operation": operation,
        "hoodie.datasource.write.recordkey.field": ",".join(keys),
        "hoodie.datasource.write.partitionpath.field": ",".join(parts),
        "hoodie.datasource.write.keygenerator.class": keygen or _keygen_for(keys, parts),
        "hoodie.datasource.write.hive_style_partitioning": "true",
        "hoodie.metadata.enable": "false",
        "hoodie.write.auto.upgrade": "false",  # Hudi 1.x would upgrade a v6 table to v8
        "hoodie.table.timeline.timezone": "UTC",
        # the stored row with a higher precombine value wins, as in sluice (Hudi
        # 0.x's default, OverwriteWithLatestAvroPayload, lets any incoming row win)
        "hoodie.datasource.write.payload.class": "org.apache.hudi.common.model.DefaultHoodieRecordPayload",
    }
    if precombine:
        opts["hoodie.datasource.write.precombine.field"] = precombine
    opts.update(options or {})
    df.write.format("hudi").options(**opts).mode("append").save(base_uri)


def spark_upsert(spark, base_uri, rows, table_name, record_key, precombine, partition_fields=None,
                 keygen=None, options=None, schema=None):
    """Upserts `rows` (dicts, or a DataFrame) into the COW table at base_uri,
    creating it if absent, as one Spark + Hudi commit: metadata table off, no
    table upgrade, hive-style partitions, DefaultHoodieRecordPayload (a row
    whose precombine value is lower than the stored one's is ignored; Hudi
    0.15's own default would let it win), index = Hudi's default (BLOOM; pass
    options={"hoodie.index.type": "SIMPLE"} for tables without bloom filters).
    `schema`: a StructType, its JSON, or a DDL string (else Spark infers it;
    dicts then get their columns sorted by name). keygen default: Nonpartitioned
    without partition fields, Simple for one key and one partition field, else
    Complex."""
    _spark_write(spark, base_uri, rows, "upsert", table_name, record_key, precombine,
                 partition_fields, keygen, options, schema)


def spark_delete(spark, base_uri, rows, table_name, record_key, precombine=None, partition_fields=None,
                 keygen=None, options=None, schema=None):
    """Deletes the records whose keys (record key + partition fields) `rows`
    carry, as one Spark + Hudi commit (operation=delete); options as spark_upsert."""
    _spark_write(spark, base_uri, rows, "delete", table_name, record_key, precombine,
                 partition_fields, keygen, options, schema)


# ---------------------------------------------------------------- a second JVM

def _encode(value):
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return {"$ts": (value - EPOCH) // datetime.timedelta(microseconds=1)}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        (tag, v), = value.items()
        if tag == "$dec":
            return decimal.Decimal(v)
        if tag == "$ts":
            return EPOCH + datetime.timedelta(microseconds=v)
        if tag == "$date":
            return datetime.date.fromisoformat(v)
        if tag == "$time":
            return datetime.time.fromisoformat(v)
        if tag == "$bytes":
            return base64.b64decode(v)
        if tag == "$dict":
            return {_decode(k): _decode(x) for k, x in v}
        raise ValueError(f"unknown tag {tag}")
    return value


_CHILD_QUERIES = {
    "snapshot": lambda s, r: spark_snapshot(s, r["base_uri"], r.get("columns"), r.get("meta", True)),
    "as_of": lambda s, r: spark_as_of(s, r["base_uri"], r["instant"], r.get("columns"), r.get("meta", True)),
    "incremental": lambda s, r: spark_incremental(s, r["base_uri"], r["start_exclusive"],
                                                   r.get("end_inclusive"), r.get("columns"), r.get("meta", True)),
}
_CHILD_WRITES = {"upsert": spark_upsert, "delete": spark_delete}


def _child_main(request_path, result_path):
    with open(request_path) as f:
        request = json.load(f)
    spark = spark_session(request["bundle"], app_name=f"sluice-hudi-oracle-{request['bundle']}",
                          s3=request.get("s3"))
    results = []
    try:
        for job in request["jobs"]:
            try:
                kind = job["kind"]
                if kind in _CHILD_QUERIES:
                    results.append({"rows": _encode(_CHILD_QUERIES[kind](spark, job))})
                elif kind in _CHILD_WRITES:
                    _CHILD_WRITES[kind](spark, job["base_uri"], _decode(job["rows"]), job["table_name"],
                                        job["record_key"], job.get("precombine"), job.get("partition_fields"),
                                        job.get("keygen"), job.get("options"), job.get("schema"))
                    results.append({"ok": True})
                else:
                    raise ValueError(f"unknown job kind {kind!r}")
            except Exception as e:  # noqa: BLE001 - every failure is reported to the parent
                results.append({"error": {"type": type(e).__name__, "message": str(e),
                                          "java_trace": str(getattr(e, "stackTrace", "") or "")[:8000]}})
    finally:
        spark.stop()
    with open(result_path + ".tmp", "w") as f:
        json.dump(results, f)
    os.replace(result_path + ".tmp", result_path)


def spark_bundle_run(jobs, bundle=SECOND_BUNDLE, timeout=600, s3=None):
    """Runs `jobs` in order in a fresh Python + Spark JVM with Hudi bundle
    `bundle` (default 1.0.2; one JVM start, ~15-25 s, for the whole list) and
    returns one result per job:
      {"rows": [...]}                      for a query (rows as the spark_* readers give them),
      {"ok": True}                         for a write,
      {"error": {"type", "message", "java_trace"}} when that job failed.
    A job is a dict: {"kind": "snapshot"|"as_of"|"incremental"|"upsert"|"delete",
    "base_uri": ..., plus the keyword arguments of the matching spark_* function
    (instant; start_exclusive, end_inclusive; columns, meta; rows, table_name,
    record_key, precombine, partition_fields, keygen, options, schema -- rows as
    dicts and schema as a DDL string or StructType.json())}. Writes always carry
    hoodie.write.auto.upgrade=false and hoodie.metadata.enable=false.
    s3 (optional, see s3a_conf): the child's Spark also has s3a:// (jars and
    fs.s3a.* settings), e.g. bundle=DEFAULT_BUNDLE, s3=s3server.spark_options().
    Raises OracleError if the child itself fails (e.g. Spark does not start)."""
    encoded = []
    for job in jobs:
        job = dict(job)
        if "rows" in job:
            job["rows"] = _encode(list(job["rows"]))
        if "schema" in job and hasattr(job["schema"], "json"):
            job["schema"] = job["schema"].json()
        encoded.append(job)
    with tempfile.TemporaryDirectory(prefix="sluice-spark-bundle-") as work:
        request_path = os.path.join(work, "request.json")
        result_path = os.path.join(work, "result.json")
        with open(request_path, "w") as f:
            json.dump({"bundle": bundle, "jobs": encoded,
                       **({"s3": _s3_options(s3)} if s3 is not None else {})}, f)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.abspath(__file__)),
                                             env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), request_path, result_path],
                              cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not os.path.exists(result_path):
            raise OracleError(f"Spark with Hudi {bundle} failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}")
        with open(result_path) as f:
            results = json.load(f)
    for r in results:
        if "rows" in r:
            r["rows"] = _decode(r["rows"])
    return results


# ---------------------------------------------------------------- fixtures

def unzip_table(zip_path, dest_dir):
    """Extracts a fixture table zip (without macOS __MACOSX/ and .DS_Store
    litter) into dest_dir and returns the table's base path."""
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist()
                 if not n.startswith("__MACOSX/") and os.path.basename(n) != ".DS_Store"]
        z.extractall(dest_dir, names)
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1:
        raise OracleError(f"{zip_path}: expected one top-level folder, found {sorted(tops)}")
    return os.path.join(dest_dir, tops.pop())


if __name__ == "__main__":
    _child_main(sys.argv[1], sys.argv[2])

"""Fixtures for the integration tests: private PostgreSQL clusters, a fresh
database per test, and helpers that run `sluice tail`.

  pg          session cluster with wal_level=logical (superuser DSN, .sql())
  pg_replica  session cluster with wal_level=replica (started on first use)
  pg_factory  starts more clusters with special settings
  db          a fresh database in `pg` per test (dropped with its slots after)
  sluice      runs `sluice tail` against `db`: .start() for a live process,
              .run() to completion, .changes() with --max-changes
  s3          session S3-compatible server (versitygw checking SigV4; s3server.py)
  s3_proxy    a fault-injecting proxy in front of `s3` per test (s3proxy.py)
  lake        a lake root for `sluice apply`, once on local disk and once on
              `s3` (parametrized; lake.py), cleaned up after the test
  hudi_spark  the session's Spark + Hudi 0.15 (with s3a:// to `s3`)

The binary is $SLUICE_BIN (default build/sluice). On a failure the server
logs are copied to /tmp/sluice-test-logs/ and sluice's stderr is attached
to the test report.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import time

import pytest

from pgcluster import (CHANGE_OPS, Database, PgCluster, Result, Tail, run_sluice,
                       sluice_bin)

LOG_DIR = "/tmp/sluice-test-logs"
DEFAULT_TEST_TIMEOUT = 300

_kept_logs: list[str] = []
_db_counter = itertools.count(1)


# ---------------------------------------------------------------- pytest hooks
def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    # SIGTERM (e.g. a CI time limit) unwinds like Ctrl-C, so fixtures still
    # stop the clusters and remove their temp dirs.
    signal.signal(signal.SIGTERM, _terminate)


def pytest_collection_modifyitems(config, items):
    # A hung sluice or server must fail one test, not eat CI's 90 minutes.
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TEST_TIMEOUT))


def pytest_sessionstart(session):
    binary = sluice_bin()
    if not os.access(binary, os.X_OK):
        raise pytest.UsageError(f"sluice binary not found at {binary} (build it, or set SLUICE_BIN)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    item.sluice_failed = True
    for path in getattr(item, "sluice_stderr_paths", []):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if len(data) > 20000:
            data = b"...\n" + data[-20000:]
        report.sections.append((f"sluice stderr ({os.path.basename(path)})", data.decode("utf-8", "replace")))


def pytest_terminal_summary(terminalreporter):
    if _kept_logs:
        terminalreporter.section("kept logs")
        for path in _kept_logs:
            terminalreporter.write_line(path)


# ---------------------------------------------------------------- clusters
def _cluster(request, name: str, settings: dict | None = None):
    cluster = PgCluster(name, settings).start()
    yield cluster
    if request.session.testsfailed:
        kept = cluster.keep_log(LOG_DIR)
        if kept:
            _kept_logs.append(f"PostgreSQL ({name}) server log: {kept}")
    cluster.stop()
    cluster.remove()


@pytest.fixture(scope="session")
def pg(request):
    """The private wal_level=logical cluster shared by the session."""
    yield from _cluster(request, "logical")


@pytest.fixture(scope="session")
def pg_replica(request):
    """A second private cluster with wal_level=replica (logical decoding impossible)."""
    yield from _cluster(request, "replica", {"wal_level": "replica"})


@pytest.fixture(scope="session")
def pg_factory(request):
    """Starts extra clusters with special settings: pg_factory("name", {"setting": "value"}).

    They are stopped at the end of the session; a module that wants its own
    cluster wraps this in a module-scoped fixture.
    """
    clusters = []

    def start(name: str, settings: dict | None = None) -> PgCluster:
        cluster = PgCluster(name, settings).start()
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        if request.session.testsfailed:
            kept = cluster.keep_log(LOG_DIR)
            if kept:
                _kept_logs.append(f"PostgreSQL ({cluster.name}) server log: {kept}")
        cluster.stop()
        cluster.remove()


def _db_name(request) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
    return f"t{next(_db_counter):03d}_{base}"[:40].rstrip("_")


def _database(request, cluster) -> Database:
    name = _db_name(request)
    cluster.sql(f'CREATE DATABASE "{name}"')
    return Database(cluster, name)


@pytest.fixture
def db(request, pg):
    """A fresh database in the logical cluster; dropped (slots too) afterwards."""
    database = _database(request, pg)
    yield database
    database.drop()


@pytest.fixture
def replica_db(request, pg_replica):
    database = _database(request, pg_replica)
    yield database
    database.drop()


# ---------------------------------------------------------------- sluice
DEFAULT = object()


class Sluice:
    """Runs `sluice tail` against one database.

    --dsn, --slot and --publication default to the database's own (pass None
    to leave one out, or a value to override); other arguments pass through.
    """

    def __init__(self, request, database: Database, tmpdir: str):
        self.request = request
        self.db = database
        self.tmpdir = tmpdir
        self.tails: list[Tail] = []
        self._n = itertools.count(1)

    def args(self, *extra: str, dsn=DEFAULT, slot=DEFAULT, publication=DEFAULT) -> list[str]:
        out = []
        for flag, value, default in (("--dsn", dsn, self.db.dsn()), ("--slot", slot, self.db.slot),
                                     ("--publication", publication, self.db.publication)):
            value = default if value is DEFAULT else value
            if value is not None:
                out += [flag, value]
        return out + [str(a) for a in extra]

    def _stderr_path(self) -> str:
        path = os.path.join(self.tmpdir, f"tail{next(self._n)}.stderr")
        self.request.node.__dict__.setdefault("sluice_stderr_paths", []).append(path)
        return path

    def start(self, *extra: str, **kw) -> Tail:
        """Starts `sluice tail` in the background; read it with .events()/.read_*()."""
        tail = Tail(self.args(*extra, **kw), self._stderr_path())
        self.tails.append(tail)
        return tail

    def run(self, *extra: str, timeout: float = 120, **kw) -> Result:
        """Runs `sluice tail ...` to completion (stdout, stderr, exit code)."""
        result = run_sluice(["tail", *self.args(*extra, **kw)], timeout=timeout)
        path = self._stderr_path()
        with open(path, "w") as f:
            f.write(result.stderr)
        return result

    def run_raw(self, argv: list[str], timeout: float = 60) -> Result:
        """Runs `sluice <argv>` exactly as given."""
        result = run_sluice(list(argv), timeout=timeout)
        with open(self._stderr_path(), "w") as f:
            f.write(result.stderr)
        return result

    def changes(self, n: int, *extra: str, timeout: float = 120, **kw) -> list[dict]:
        """Runs tail with --max-changes n; checks exit 0 and n change lines; returns all events."""
        result = self.run("--max-changes", str(n), *extra, timeout=timeout, **kw)
        assert result.returncode == 0, f"sluice tail exited {result.returncode}:\n{result.stderr}"
        events = result.events()
        got = sum(1 for e in events if e.get("op") in CHANGE_OPS)
        assert got == n, f"expected {n} change lines, got {got}:\n{result.stdout[-3000:]}"
        return events

    def close(self) -> None:
        for tail in self.tails:
            tail.close()


@pytest.fixture
def sluice(request, db, tmp_path):
    runner = Sluice(request, db, str(tmp_path))
    yield runner
    runner.close()
    if getattr(request.node, "sluice_failed", False):
        os.makedirs(LOG_DIR, exist_ok=True)
        for path in request.node.__dict__.get("sluice_stderr_paths", []):
            if os.path.exists(path):
                dest = os.path.join(LOG_DIR, f"{time.strftime('%Y%m%d-%H%M%S')}-{db.name}-{os.path.basename(path)}")
                shutil.copyfile(path, dest)
                _kept_logs.append(f"sluice stderr of {request.node.name}: {dest}")


@pytest.fixture
def replica_sluice(request, replica_db, tmp_path):
    runner = Sluice(request, replica_db, str(tmp_path))
    yield runner
    runner.close()


# ---------------------------------------------------------------- Spark + Hudi
@pytest.fixture(scope="session")
def hudi_spark(tmp_path_factory, s3):
    """The one SparkSession of the test run (local[2], UTC, no UI) with the
    Apache Hudi 0.15.0 Spark bundle, Kryo and Hudi's SQL extension and catalog
    (hudi_oracles.spark_session). Every Spark test uses it, so one JVM starts per
    pytest run; other Hudi bundles run in their own JVM (spark_bundle_run).
    It also has the s3a jars and fs.s3a.* settings for the session's `s3`
    server (a JVM's classpath is fixed at start, so this is the only moment to
    add them), so it reads s3a://<s3.bucket>/... too."""
    import hudi_oracles
    try:
        session = hudi_oracles.spark_session(warehouse=tmp_path_factory.mktemp("spark-warehouse"),
                                             s3=s3)
    except Exception as e:  # noqa: BLE001 - any start-up failure is the same message
        pytest.fail(f"Spark with the Hudi bundle did not start: {e}")
    yield session
    session.stop()


# ---------------------------------------------------------------- S3
_s3_servers: list = []


@pytest.fixture(scope="session")
def s3(request):
    """The session's S3-compatible server (s3server.S3Server: versitygw checking
    SigV4 on 127.0.0.1, one access key / secret, bucket `s3.bucket` created).
    endpoint, region, access_key, secret_key, bucket, env(), boto3_client(),
    hudirs_storage_options(), spark_options(), uri(key), stop()/kill()/start()
    (same port, data kept), upload_tree()/list_keys()/delete_prefix(). A test
    that stops it gets it started again after the test. Tests share the bucket:
    each uses its own key prefix. Its log is kept in /tmp/sluice-test-logs
    when a test failed."""
    from s3server import S3Server
    server = S3Server("s3").start()
    _s3_servers.append(server)
    yield server
    _s3_servers.remove(server)
    if request.session.testsfailed:
        kept = server.keep_log(LOG_DIR)
        if kept:
            _kept_logs.append(f"S3 server (versitygw) log: {kept}")
    server.stop()
    server.remove()


@pytest.fixture(autouse=True)
def _s3_running_after_test():
    """Starts the session S3 server again if a test left it stopped (outage
    tests), so one failed outage test does not fail every later S3 test."""
    yield
    for server in list(_s3_servers):
        if not server.running():
            server.start()


@pytest.fixture
def s3_proxy(s3):
    """A fault-injecting reverse proxy (s3proxy.S3FaultProxy) in front of `s3`,
    for this test: point clients at s3_proxy.endpoint (s3.env(s3_proxy.endpoint),
    s3.boto3_client(endpoint=s3_proxy.endpoint), ...), then .fail() / .delay() /
    .drop() / .truncate() / .trickle(); .requests records what went through."""
    from s3proxy import S3FaultProxy
    proxy = S3FaultProxy(s3.endpoint).start()
    yield proxy
    proxy.close()


# ---------------------------------------------------------------- lakes
@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path):
    """A lake root (lake.Lake) for `sluice apply --lake`: tmp_path/lake on local
    disk, or a key prefix of this test's own on the session's `s3` server
    (deleted after the test). Tests taking it run once per kind; their ids end
    in [local] / [s3]. lake.uri, lake.env, lake.table(schema, name)."""
    from lake import Lake, prefix_for
    if request.param == "local":
        yield Lake("local", str(tmp_path / "lake"))
        return
    server = request.getfixturevalue("s3")
    root = Lake("s3", prefix_for(request.node.name), server)
    yield root
    if server.running():
        root.cleanup()

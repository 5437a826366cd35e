"""Private PostgreSQL clusters and the `sluice tail` subprocess, for tests.

A PgCluster is a throwaway PostgreSQL 15 server in a temp dir: initdb as the
non-root `postgres` user when we run as root, a random free port on
127.0.0.1, its unix socket inside the temp dir, stopped with
`pg_ctl -m immediate` and removed afterwards. Never a system-wide server.

A Tail is a running `sluice tail` whose stdout is read as JSON lines with
deadlines, so a test never hangs on a silent process.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import pwd
import re
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import psycopg

PG_MAJOR = "15"

# Settings every test cluster gets; callers add or override (e.g. wal_level).
BASE_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "logical",
    "max_wal_senders": "20",
    "max_replication_slots": "20",
    "logical_decoding_work_mem": "'64kB'",
    "wal_sender_timeout": "'60s'",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "100",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "datestyle": "'iso, mdy'",
    "intervalstyle": "'postgres'",
    "lc_messages": "'C'",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "log_replication_commands": "on",
    "log_min_messages": "warning",
}


def pg_bindir() -> str:
    """Directory of initdb/pg_ctl: $PG_BINDIR, else Debian's PostgreSQL 15."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return env
    path = f"/usr/lib/postgresql/{PG_MAJOR}/bin"
    if os.path.exists(os.path.join(path, "initdb")):
        return path
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql-15, or set PG_BINDIR)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user() -> list[str]:
    """Command prefix that runs a program as the cluster owner.

    PostgreSQL refuses to run as root, so under root (CI) we drop to the
    `postgres` user; otherwise we run as ourselves.
    """
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    pw = pwd.getpwnam("postgres")
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgCluster:
    """A private PostgreSQL cluster in a temp dir. Use start() and stop()."""

    def __init__(self, name: str = "pg", settings: dict[str, str] | None = None):
        self.name = name
        self.settings = dict(BASE_SETTINGS)
        self.settings.update(settings or {})
        self.bindir = pg_bindir()
        self.root: str | None = None
        self.port: int | None = None
        self.superuser = "postgres"
        self.running = False

    # ---------------------------------------------------------- paths
    @property
    def datadir(self) -> str:
        return os.path.join(self.root, "data")

    @property
    def sockdir(self) -> str:
        return os.path.join(self.root, "sock")

    @property
    def logfile(self) -> str:
        return os.path.join(self.root, "postgresql.log")

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} user={user or self.superuser} dbname={dbname}"

    # ---------------------------------------------------------- lifecycle
    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = as_server_user() + [os.path.join(self.bindir, args[0]), *args[1:]]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def start(self) -> "PgCluster":
        # Under root the server runs as `postgres`, which must reach the dir:
        # /tmp rather than a $TMPDIR that may sit below a private home.
        parent = os.environ.get("SLUICE_TEST_TMPDIR") or ("/tmp" if os.geteuid() == 0 else None)
        self.root = tempfile.mkdtemp(prefix=f"sluice-{self.name}-", dir=parent)
        os.chmod(self.root, 0o755)
        os.mkdir(self.sockdir)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for path in (self.root, self.sockdir):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        try:
            self._run("initdb", "-D", self.datadir, "-U", self.superuser, "--auth=trust",
                      "--no-locale", "--encoding=UTF8", "--no-sync", "--no-instructions")
            last_error = None
            for _ in range(5):  # the free port may be taken between our probe and the bind
                self.port = free_port()
                self._write_conf()
                try:
                    self._run("pg_ctl", "-D", self.datadir, "-l", self.logfile, "-w", "-t", "60", "start")
                    self.running = True
                    return self
                except RuntimeError as e:
                    last_error = e
            raise RuntimeError(f"cluster {self.name} did not start:\n{last_error}\n{self.log_tail()}")
        except BaseException:
            kept = self.keep_log()
            self.stop()
            self.remove()
            if kept:
                print(f"PostgreSQL ({self.name}) server log kept at {kept}")
            raise

    def _write_conf(self) -> None:
        settings = dict(self.settings)
        settings["port"] = str(self.port)
        settings["unix_socket_directories"] = f"'{self.sockdir}'"
        # postgresql.auto.conf is read last, so these win over postgresql.conf.
        with open(os.path.join(self.datadir, "postgresql.auto.conf"), "w") as f:
            f.write("# written by tests/integration/pgcluster.py\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")

    def stop(self) -> None:
        pidfile = os.path.join(self.datadir, "postmaster.pid") if self.root else None
        if self.running or (pidfile and os.path.exists(pidfile)):
            try:
                self._run("pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "-t", "60", "stop")
            except Exception:
                pass
            self.running = False

    def remove(self) -> None:
        if self.root and os.path.isdir(self.root):
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def keep_log(self, dest_dir: str = "/tmp/sluice-test-logs") -> str | None:
        """Copies the server log out of the temp dir; returns the copy's path."""
        if not self.root or not os.path.exists(self.logfile):
            return None
        os.makedirs(dest_dir, exist_ok=True)
        dest = os.path.join(dest_dir, f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{self.name}.log")
        shutil.copyfile(self.logfile, dest)
        return dest

    def log_tail(self, nbytes: int = 4000) -> str:
        try:
            with open(self.logfile, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - nbytes))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return "(no server log)"

    # ---------------------------------------------------------- SQL
    def connect(self, dbname: str = "postgres", user: str | None = None, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(self.dsn(dbname, user), autocommit=autocommit)

    def sql(self, query: str, params=None, dbname: str = "postgres", user: str | None = None):
        """Runs one statement in its own autocommit connection; rows or None."""
        with self.connect(dbname, user) as conn:
            return fetch(conn.execute(query, params))


def fetch(cursor):
    return cursor.fetchall() if cursor.description is not None else None


class Database:
    """One database in a cluster, with SQL helpers and slot bookkeeping."""

    def __init__(self, cluster: PgCluster, name: str):
        self.cluster = cluster
        self.name = name
        self._conn: psycopg.Connection | None = None

    # Names unique across the cluster (slots are cluster-wide objects).
    @property
    def slot(self) -> str:
        return f"{self.name}_slot"

    @property
    def publication(self) -> str:
        return f"{self.name}_pub"

    def dsn(self, user: str | None = None) -> str:
        return self.cluster.dsn(self.name, user)

    def connect(self, user: str | None = None, autocommit: bool = True) -> psycopg.Connection:
        return self.cluster.connect(self.name, user, autocommit)

    @property
    def conn(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
        return self._conn

    def sql(self, query: str, params=None):
        """Runs one statement (autocommit) on a shared connection; rows or None."""
        return fetch(self.conn.execute(query, params))

    def value(self, query: str, params=None):
        rows = self.sql(query, params)
        return rows[0][0]

    def transaction(self, *statements: str) -> int:
        """Runs statements in one transaction; returns its xid."""
        with self.connect(autocommit=False) as conn:
            xid = conn.execute("SELECT txid_current()").fetchone()[0]
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        return int(xid) & 0xFFFFFFFF

    def create_slot(self, slot: str | None = None, plugin: str = "pgoutput") -> str:
        """Creates a logical slot by SQL; returns its consistent point (X/Y)."""
        slot = slot or self.slot
        return self.value("SELECT lsn::text FROM pg_create_logical_replication_slot(%s, %s)", (slot, plugin))

    def create_publication(self, publication: str | None = None, tables: list[str] | None = None) -> str:
        publication = publication or self.publication
        target = "ALL TABLES" if not tables else "TABLE " + ", ".join(tables)
        self.sql(f"CREATE PUBLICATION {quote_ident(publication)} FOR {target}")
        return publication

    def slot_info(self, slot: str | None = None) -> dict | None:
        rows = self.sql("SELECT slot_name, plugin, database, active, active_pid, restart_lsn::text,"
                        " confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s",
                        (slot or self.slot,))
        if not rows:
            return None
        keys = ("slot_name", "plugin", "database", "active", "active_pid", "restart_lsn", "confirmed_flush_lsn")
        return dict(zip(keys, rows[0]))

    def wait_for_slot(self, slot: str | None = None, timeout: float = 60, proc: "Tail | None" = None) -> dict:
        """Waits until the slot exists and is consistent (e.g. made by `tail --create-slot`).

        A slot being created shows up before it reaches its consistent point;
        its confirmed_flush_lsn is set only then. Changes committed after this
        returns are after the consistent point.
        """
        deadline = time.monotonic() + timeout
        while True:
            info = self.slot_info(slot)
            if info is not None and info["confirmed_flush_lsn"] is not None:
                return info
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"sluice exited ({proc.poll()}) before slot existed:\n{proc.stderr_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"slot {slot or self.slot} not created within {timeout}s")
            time.sleep(0.05)

    def wait_slot_inactive(self, slot: str | None = None, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            info = self.slot_info(slot)
            if info is None or not info["active"]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"slot {slot or self.slot} still active after {timeout}s")
            time.sleep(0.05)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def drop(self) -> None:
        """Drops the database and every replication slot on it."""
        self.close()
        admin = self.cluster.connect()
        try:
            for _ in range(100):
                rows = admin.execute(
                    "SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = %s",
                    (self.name,)).fetchall()
                if not rows:
                    break
                for slot, pid in rows:
                    if pid:
                        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    else:
                        try:
                            admin.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                        except psycopg.Error:
                            pass  # became active or vanished; the loop retries
                time.sleep(0.05)
            admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(self.name)} WITH (FORCE)")
        finally:
            admin.close()


# ================================================================ sluice tail

CHANGE_OPS = frozenset("cudtr")


def sluice_bin() -> str:
    return os.environ.get("SLUICE_BIN") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "sluice")


def lsn_int(text: str) -> int:
    """"X/Y" -> integer, for comparing LSNs."""
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def changes(self) -> list[dict]:
        return [e for e in self.events() if e.get("op") in CHANGE_OPS]


def run_sluice(args: list[str], timeout: float = 120, stdin=subprocess.DEVNULL) -> Result:
    """Runs sluice to completion and returns its exit code, stdout and stderr."""
    proc = subprocess.run([sluice_bin(), *args], stdin=stdin, capture_output=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


class Tail:
    """A running `sluice tail`; stdout is read incrementally as JSON lines.

    stderr goes to a file (no pipe to fill up); stderr_text() reads it.
    Every read takes a timeout and fails the test with sluice's stderr when
    it runs out.
    """

    def __init__(self, args: list[str], stderr_path: str):
        self.args = args
        self.argv = [sluice_bin(), "tail", *args]
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)
        self._buf = b""
        self._pending: collections.deque[bytes] = collections.deque()
        self._eof = False
        self.nlines = 0

    # ---------------------------------------------------------- reading
    def raw_lines(self, timeout: float):
        """Yields stdout lines (bytes, no newline) until EOF; fails past the deadline.

        Lines already read stay queued if the caller stops early, so the next
        call continues where this one left off.
        """
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            if self._pending:
                self.nlines += 1
                yield self._pending.popleft()
                continue
            if self._eof:
                if self._buf:
                    line, self._buf = self._buf, b""
                    self.nlines += 1
                    yield line
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timeout after {timeout}s waiting for output of {' '.join(self.argv)} "
                    f"({self.nlines} lines read, exit={self.proc.poll()})\nstderr:\n{self.stderr_text()}")
            if not self._sel.select(min(remaining, 1.0)):
                continue
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            if not data:
                self._eof = True
                continue
            self._buf += data
            if b"\n" in data:
                # Split every complete line at once: 1M-line outputs stay cheap.
                parts = self._buf.split(b"\n")
                self._buf = parts.pop()
                self._pending.extend(parts)

    def events(self, timeout: float = 60):
        """Yields parsed JSON objects, schema lines included."""
        for line in self.raw_lines(timeout):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except ValueError as e:
                raise AssertionError(f"sluice printed a line that is not JSON: {line[:500]!r}") from e

    def read_changes(self, n: int, timeout: float = 60) -> list[dict]:
        """Reads until n change events have been seen; returns all events read."""
        out, seen = [], 0
        if n <= 0:
            return out
        for event in self.events(timeout):
            out.append(event)
            if event.get("op") in CHANGE_OPS:
                seen += 1
                if seen >= n:
                    return out
        raise AssertionError(f"sluice ended after {seen} of {n} changes (exit={self.wait(30)})\n"
                             f"stderr:\n{self.stderr_text()}")

    def read_until(self, predicate, timeout: float = 60) -> list[dict]:
        """Reads until predicate(event) is true; returns all events read (that one included)."""
        out = []
        for event in self.events(timeout):
            out.append(event)
            if predicate(event):
                return out
        raise AssertionError(f"sluice ended before the awaited event (exit={self.wait(30)}, "
                             f"{len(out)} events)\nstderr:\n{self.stderr_text()}")

    def read_all(self, timeout: float = 60) -> list[dict]:
        """Reads to EOF (e.g. with --max-changes); returns all events."""
        return list(self.events(timeout))

    # ---------------------------------------------------------- process
    def poll(self):
        return self.proc.poll()

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"sluice still running after {timeout}s\nstderr:\n{self.stderr_text()}")

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        """Sends sig (SIGINT by default), drains stdout, waits; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.drain(timeout)
        return self.wait(timeout)

    def drain(self, timeout: float = 60) -> list[bytes]:
        """Reads whatever stdout still holds, up to EOF."""
        return list(self.raw_lines(timeout))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        self.kill()
        self._sel.close()
        self.proc.stdout.close()
        self._stderr.close()

    def stderr_text(self, limit: int = 20000) -> str:
        self._stderr.flush()
        try:
            with open(self.stderr_path, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        if len(data) > limit:
            data = b"...\n" + data[-limit:]
        return data.decode("utf-8", "replace")


# ================================================================ expectations
# Expected JSON values are computed by PostgreSQL itself: the text form of
# each value comes from its output function (format('%s', col)), in a
# session with DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres.

JSON_INT_TYPES = frozenset({"int2", "int4", "int8"})
JSON_FLOAT_TYPES = frozenset({"float4", "float8"})
NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})

SESSION_SETUP = ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET IntervalStyle = 'postgres'",
                 "SET extra_float_digits = 1", "SET bytea_output = 'hex'")


def json_value(base_type: str, text: str | None):
    """The JSON value sluice must print for a value of base_type with PostgreSQL text form `text`."""
    if text is None:
        return None
    if base_type == "bool":
        return {"t": True, "f": False}[text]
    if base_type in JSON_INT_TYPES:
        return int(text)
    if base_type in JSON_FLOAT_TYPES:
        return text if text in NON_FINITE else float(text)
    return text


def catalog_type_name(typname: str, elem_typname: str | None, formatted: str) -> str:
    """The type name a schema line must carry: the catalog name (pg_type.typname,
    "int8", "varchar", a domain's or enum's own name) with the modifiers
    format_type prints ("numeric(12,2)", "varchar(10)"), arrays as the element
    type plus "[]" ("int4[]")."""
    match = re.search(r"\([^)]*\)", formatted)
    modifiers = match.group(0) if match else ""
    if elem_typname is not None:
        return f"{elem_typname}{modifiers}[]"
    return f"{typname}{modifiers}"


def table_columns(db: Database, table: str) -> list[dict]:
    """Columns of a table as the schema line must describe them, plus helper fields.

    name, type (catalog_type_name), sql_type (format_type), nullable,
    key (primary key member), base (base type name, domains resolved).
    """
    rows = db.sql(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, e.typname, NOT a.attnotnull,
               coalesce(a.attnum = ANY(i.indkey), false),
               CASE WHEN t.typtype = 'd' THEN (SELECT b.typname FROM pg_type b WHERE b.oid = t.typbasetype)
                    ELSE t.typname END
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' AND t.typlen = -1
        LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """, (table,))
    return [{"name": r[0], "type": catalog_type_name(r[2], r[3], r[1]), "sql_type": r[1],
             "nullable": r[4], "key": r[5], "base": r[6]}
            for r in rows]


def schema_line_matches(line: dict, columns: list[dict]) -> str | None:
    """None when a schema line's columns describe `columns`, else what differs."""
    got = line.get("columns")
    if not isinstance(got, list) or len(got) != len(columns):
        return f"expected {len(columns)} columns, got {got!r}"
    for g, want in zip(got, columns):
        if g.get("name") != want["name"]:
            return f"column name {g.get('name')!r} != {want['name']!r}"
        if g.get("type") != want["type"]:
            return f"column {want['name']}: type {g.get('type')!r} != {want['type']!r}"
        if g.get("nullable") is not want["nullable"]:
            return f"column {want['name']}: nullable {g.get('nullable')!r} != {want['nullable']}"
        if g.get("key") is not want["key"]:
            return f"column {want['name']}: key {g.get('key')!r} != {want['key']}"
    return None


def _select_list(columns: list[dict]) -> str:
    return ", ".join(f"format('%s', {quote_ident(c['name'])}), {quote_ident(c['name'])} IS NULL" for c in columns)


def rows_as_json(db: Database, table: str, where: str = "true", order_by: str | None = None) -> list[dict]:
    """Rows of a table as sluice must print them (column name -> JSON value)."""
    columns = table_columns(db, table)
    query = f"SELECT {_select_list(columns)} FROM {table} WHERE {where}"
    if order_by:
        query += f" ORDER BY {order_by}"
    with db.connect() as conn:
        for statement in SESSION_SETUP:
            conn.execute(statement)
        rows = conn.execute(query).fetchall()
    out = []
    for row in rows:
        out.append({c["name"]: json_value(c["base"], None if row[2 * i + 1] else row[2 * i])
                    for i, c in enumerate(columns)})
    return out


def key_columns(db: Database, table: str) -> list[str]:
    return [c["name"] for c in table_columns(db, table) if c["key"]]


def table_state(db: Database, table: str) -> dict[tuple, dict]:
    """Rows keyed by primary key tuple."""
    keys = key_columns(db, table)
    assert keys, f"{table} has no primary key"
    return {tuple(r[k] for k in keys): r for r in rows_as_json(db, table)}


def changes_of(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("op") in CHANGE_OPS]


def schema_lines(events: list[dict], table: str | None = None) -> list[dict]:
    return [e for e in events if e.get("op") == "schema" and (table is None or e.get("table") == table)]


def by_transaction(changes: list[dict]) -> list[list[dict]]:
    """Splits consecutive changes into transactions (by xid and commit_lsn)."""
    out: list[list[dict]] = []
    for change in changes:
        if out and (out[-1][0]["xid"], out[-1][0]["commit_lsn"]) == (change["xid"], change["commit_lsn"]):
            out[-1].append(change)
        else:
            out.append([change])
    return out


def lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"

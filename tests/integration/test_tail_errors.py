"""Bad setups end `sluice tail` with a nonzero exit and a message on stderr
that names the problem; usage errors exit 2. None of them may crash or trip
a sanitizer.
"""

import pytest

from pgcluster import free_port

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def assert_clean_failure(result, *needles, code=None):
    __tracebackhide__ = True
    detail = f"exit {result.returncode}\nstderr:\n{result.stderr}\nstdout:\n{result.stdout[:2000]}"
    assert 0 < result.returncode < 128, f"expected a plain nonzero exit, got {detail}"
    if code is not None:
        assert result.returncode == code, detail
    for mark in SANITIZER_MARKS:
        assert mark not in result.stderr, detail
    assert result.stderr.strip(), f"no message on stderr: {detail}"
    for needle in needles:
        assert needle in result.stderr, f"stderr does not mention {needle!r}: {detail}"
    assert not any('"op"' in line for line in result.stdout.splitlines()), f"changes printed: {detail}"


def plain_setup(db):
    db.sql("CREATE TABLE t (id int PRIMARY KEY)")


def test_role_without_replication_attribute_is_rejected_naming_role(db, sluice):
    plain_setup(db)
    db.create_slot()
    db.create_publication()
    role = f"{db.name}_norepl"
    db.sql(f'CREATE ROLE "{role}" LOGIN')
    db.sql("INSERT INTO t VALUES (1)")
    for extra in ((), ("--create-slot",)):
        result = sluice.run(*extra, dsn=db.dsn(user=role), timeout=60)
        assert_clean_failure(result, "REPLICATION", role)


def test_wal_level_not_logical_is_rejected(replica_db, replica_sluice):
    replica_db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    result = replica_sluice.run("--create-slot", timeout=60)
    assert_clean_failure(result, "wal_level")


def test_wal_level_not_logical_is_rejected_with_snapshot(replica_db, replica_sluice):
    replica_db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    result = replica_sluice.run("--create-slot", "--snapshot", timeout=60)
    assert_clean_failure(result, "wal_level")


@pytest.mark.parametrize("create", [False, True], ids=["reuse", "create-slot"])
def test_slot_of_another_plugin_is_rejected_naming_slot_and_plugin(db, sluice, create):
    plain_setup(db)
    db.create_slot(plugin="test_decoding")
    db.create_publication()
    db.sql("INSERT INTO t VALUES (1)")
    result = sluice.run(*(["--create-slot"] if create else []), timeout=60)
    assert_clean_failure(result, db.slot, "test_decoding")
    assert db.slot_info()["plugin"] == "test_decoding", "the other plugin's slot is left alone"


def test_missing_publication_without_create_slot_is_rejected_naming_it(db, sluice):
    plain_setup(db)
    db.create_slot()
    db.sql("INSERT INTO t VALUES (1)")  # so even a lazy check meets the server's error
    result = sluice.run(timeout=60)
    assert_clean_failure(result, db.publication)


@pytest.mark.parametrize("tables", [None, "public.t"], ids=["all-tables", "listed-tables"])
def test_missing_publication_that_role_may_not_create_is_rejected_naming_it(db, sluice, tables):
    plain_setup(db)
    role = f"{db.name}_repl"
    db.sql(f'CREATE ROLE "{role}" LOGIN REPLICATION')  # may replicate, but owns nothing and is no superuser
    db.sql(f'GRANT SELECT ON t TO "{role}"')
    extra = ["--create-slot"] + (["--tables", tables] if tables else [])
    result = sluice.run(*extra, dsn=db.dsn(user=role), timeout=60)
    assert_clean_failure(result, db.publication)
    assert db.sql("SELECT 1 FROM pg_publication WHERE pubname = %s", (db.publication,)) == []


def test_missing_slot_without_create_slot_is_rejected_naming_it(db, sluice):
    plain_setup(db)
    db.create_publication()
    result = sluice.run(timeout=60)
    assert_clean_failure(result, db.slot)
    assert db.slot_info() is None, "no slot is created without --create-slot"


def test_snapshot_on_existing_slot_is_rejected(db, sluice):
    plain_setup(db)
    db.create_slot()
    db.create_publication()
    result = sluice.run("--create-slot", "--snapshot", timeout=60)
    assert_clean_failure(result, "--snapshot")


def test_snapshot_without_create_slot_is_rejected(db, sluice):
    plain_setup(db)
    db.create_publication()
    result = sluice.run("--snapshot", timeout=60)
    assert_clean_failure(result, "--snapshot")


@pytest.mark.parametrize("dsn", [
    "host=127.0.0.1 port={closed} user=postgres dbname=postgres connect_timeout=5",
    "host=127.0.0.1 port={port} user=postgres dbname=no_such_database connect_timeout=5",
    "host=127.0.0.1 port={port} user=no_such_role dbname=postgres connect_timeout=5",
    "this is = not a valid dsn '",
    "postgresql://[::1",
], ids=["closed-port", "no-database", "no-role", "garbage", "bad-uri"])
def test_bad_dsn_fails_with_a_message(db, sluice, pg, dsn):
    result = sluice.run("--create-slot", dsn=dsn.format(closed=free_port(), port=pg.port), timeout=60)
    assert_clean_failure(result)


@pytest.mark.parametrize("argv", [
    ["tail"],
    ["tail", "--slot", "s", "--publication", "p"],
    ["tail", "--dsn", "host=127.0.0.1", "--publication", "p"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s", "--publication", "p", "--bogus"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s", "--publication", "p", "--proto", "3"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s", "--publication", "p", "--max-changes", "many"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s", "--publication", "p", "--max-changes", "-1"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s", "--publication", "p", "--from-lsn", "nowhere"],
    ["tail", "--dsn", "host=127.0.0.1", "--slot", "s", "--publication", "p", "--from-lsn", "1/2/3"],
    ["tail", "--dsn"],
    ["no-such-command"],
], ids=["no-args", "no-dsn", "no-slot", "no-publication", "unknown-option", "bad-proto",
        "max-changes-not-number", "max-changes-negative", "bad-lsn", "bad-lsn-parts", "missing-value",
        "unknown-command"])
def test_usage_errors_exit_2(sluice, argv):
    result = sluice.run_raw(argv, timeout=30)
    assert_clean_failure(result, code=2)

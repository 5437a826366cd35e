"""An idle `sluice tail` keeps its replication connection: it answers the
server's keepalive requests and sends standby status updates well inside
wal_sender_timeout, so a quiet stream is not cut off. Runs on its own
cluster with a 2 s wal_sender_timeout.
"""

import time

import pytest

from pgcluster import Database, changes_of


@pytest.fixture(scope="module")
def pg_short_timeout(pg_factory):
    return pg_factory("short-timeout", {"wal_sender_timeout": "'2s'"})


@pytest.fixture
def db(request, pg_short_timeout):
    """Overrides conftest's db: a fresh database on the short-timeout cluster."""
    name = f"ka_{request.node.name.lower()}"[:40]
    pg_short_timeout.sql(f'CREATE DATABASE "{name}"')
    database = Database(pg_short_timeout, name)
    yield database
    database.drop()


def test_idle_tail_survives_wal_sender_timeout(db, sluice):
    db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    db.create_slot()
    db.create_publication()
    tail = sluice.start()
    db.wait_for_slot()
    time.sleep(7)  # several wal_sender_timeouts without any change
    assert tail.poll() is None, f"sluice exited while idle:\n{tail.stderr_text()}"
    db.sql("INSERT INTO t VALUES (1)")
    (change,) = changes_of(tail.read_changes(1, timeout=30))
    assert change["after"] == {"id": 1}
    info = db.slot_info()
    assert info["active"], "the walsender still serves sluice"
    assert tail.interrupt() == 0, tail.stderr_text()
    log = db.cluster.log_tail(200000)
    assert "terminating walsender process due to replication timeout" not in log

"""Large transactions. With --proto 2, PostgreSQL streams an in-progress
transaction that exceeds logical_decoding_work_mem (64kB in the test cluster)
in blocks; sluice must buffer them and print the transaction whole at Stream
Commit, drop it at Stream Abort, and drop exactly the rolled-back
subtransactions. With protocol 1 the server spills such transactions itself.

The 1M-row transactions use one int8 column, and the output is checked line by
line without keeping 1M parsed objects.
"""

import json

import pytest

from pgcluster import changes_of, lsn_int, rows_as_json

MILLION = 1_000_000
BIG_TIMEOUT = 600  # the binary under test is an ASan build


def slot_stats(db):
    rows = db.sql("SELECT spill_txns, stream_txns FROM pg_stat_replication_slots WHERE slot_name = %s",
                  (db.slot,))
    return {"spill_txns": rows[0][0], "stream_txns": rows[0][1]} if rows else {"spill_txns": 0, "stream_txns": 0}


def setup_big(db, columns="id int8 PRIMARY KEY"):
    db.sql(f"CREATE TABLE big ({columns})")
    db.sql("CREATE TABLE marker (id int PRIMARY KEY)")
    db.create_slot()
    db.create_publication()


def check_stream_of_inserts(tail, first_id: int, count: int, timeout: float) -> dict:
    """Reads `count` insert lines of `big` with ids first_id.. in order; returns the envelope."""
    envelope = None
    expected_id = first_id
    last_lsn = -1
    seen = 0
    for line in tail.raw_lines(timeout):
        event = json.loads(line)
        op = event["op"]
        if op == "schema":
            continue
        assert op == "c" and event["table"] == "big", f"unexpected event at #{seen}: {line[:300]!r}"
        assert event["after"] == {"id": expected_id}, f"change #{seen}: {event['after']} != id {expected_id}"
        assert event["before"] is None
        lsn = lsn_int(event["lsn"])
        assert lsn > last_lsn, f"lsn must increase within a transaction (change #{seen})"
        last_lsn = lsn
        if envelope is None:
            envelope = {"xid": event["xid"], "commit_lsn": event["commit_lsn"], "ts_ms": event["ts_ms"]}
        elif seen % 997 == 0 or seen == count - 1:  # a sample: every line shares the envelope
            assert (event["xid"], event["commit_lsn"], event["ts_ms"]) == \
                (envelope["xid"], envelope["commit_lsn"], envelope["ts_ms"]), f"change #{seen} envelope"
        expected_id += 1
        seen += 1
        if seen == count:
            break
    assert seen == count, f"only {seen} of {count} inserts delivered (exit={tail.poll()})\n{tail.stderr_text()}"
    return envelope


@pytest.mark.timeout(BIG_TIMEOUT + 120)
def test_proto2_streams_committed_million_row_transaction_whole_and_in_order(db, sluice):
    setup_big(db)
    xid = db.transaction(f"INSERT INTO big SELECT generate_series(1, {MILLION})")
    db.sql("INSERT INTO marker VALUES (1)")
    tail = sluice.start("--proto", "2", "--max-changes", str(MILLION + 1))
    envelope = check_stream_of_inserts(tail, 1, MILLION, BIG_TIMEOUT)
    assert envelope["xid"] == xid
    rest = changes_of(tail.read_all(timeout=120))
    assert tail.wait() == 0, tail.stderr_text()
    assert [(c["table"], c["after"]) for c in rest] == [("marker", {"id": 1})], "exactly 1M inserts, then the marker"
    assert lsn_int(rest[0]["commit_lsn"]) > lsn_int(envelope["commit_lsn"])
    assert slot_stats(db)["stream_txns"] >= 1, "the server streamed the transaction (protocol 2 with streaming on)"


@pytest.mark.timeout(BIG_TIMEOUT + 120)
def test_proto2_aborted_million_row_transaction_delivers_nothing(db, sluice):
    setup_big(db)
    with db.connect(autocommit=False) as conn:
        conn.execute(f"INSERT INTO big SELECT generate_series(1, {MILLION})")
        conn.rollback()
    xid = db.transaction("INSERT INTO marker VALUES (1)")
    events = sluice.changes(1, "--proto", "2", timeout=BIG_TIMEOUT)
    (change,) = changes_of(events)
    assert change["table"] == "marker" and change["after"] == {"id": 1} and change["xid"] == xid
    assert slot_stats(db)["stream_txns"] >= 1, "the aborted transaction was streamed before its abort"


def subtransaction_workload(db):
    """A large transaction with rolled-back and kept (nested) savepoints."""
    with db.connect(autocommit=False) as conn:
        conn.execute("INSERT INTO big SELECT g, 'a' FROM generate_series(1, 20000) g")
        conn.execute("SAVEPOINT s1")
        conn.execute("INSERT INTO big SELECT g, 'b' FROM generate_series(20001, 40000) g")
        conn.execute("UPDATE big SET v = 'rolled back' WHERE id <= 100")
        conn.execute("ROLLBACK TO SAVEPOINT s1")
        conn.execute("INSERT INTO big SELECT g, 'c' FROM generate_series(40001, 60000) g")
        conn.execute("SAVEPOINT outer_sp")
        conn.execute("INSERT INTO big SELECT g, 'd' FROM generate_series(60001, 60100) g")
        conn.execute("SAVEPOINT inner_sp")
        conn.execute("INSERT INTO big SELECT g, 'e' FROM generate_series(60101, 80000) g")
        conn.execute("DELETE FROM big WHERE id <= 50")
        conn.execute("ROLLBACK TO SAVEPOINT inner_sp")
        conn.execute("RELEASE SAVEPOINT outer_sp")
        conn.execute("SAVEPOINT s3")
        conn.execute("UPDATE big SET v = 'kept' WHERE id <= 10")
        conn.execute("RELEASE SAVEPOINT s3")
        conn.execute("SAVEPOINT s4")
        conn.execute("DELETE FROM big WHERE id > 59990")
        conn.execute("ROLLBACK TO SAVEPOINT s4")
        conn.execute("DELETE FROM big WHERE id = 60100")
        conn.commit()
    db.sql("INSERT INTO marker VALUES (1)")
    # 20000 a + 20000 c + 100 d inserts, 10 updates, 1 delete
    return 40100 + 10 + 1


@pytest.mark.parametrize("proto,spill", [("1", False), ("2", False), ("2", True)],
                         ids=["proto1", "proto2", "proto2-spilled-to-disk"])
def test_subtransaction_rollback_delivers_exactly_surviving_changes(db, sluice, tmp_path, proto, spill):
    setup_big(db, "id int8 PRIMARY KEY, v text")
    expected = subtransaction_workload(db)
    extra = ["--proto", proto]
    spill_dir = tmp_path / "spill"
    if spill:
        # A memory cap far below the transaction's size makes sluice's spool spill to disk.
        spill_dir.mkdir()
        extra += ["--stream-memory", "65536", "--spill-dir", str(spill_dir)]
    result = sluice.run("--max-changes", str(expected + 1), *extra, timeout=BIG_TIMEOUT)
    assert result.returncode == 0, f"sluice tail exited {result.returncode}:\n{result.stderr}"
    events = result.events()
    if spill:
        assert "event=spool_spill" in result.stderr, "the spool spilled the transaction to disk"
        assert list(spill_dir.iterdir()) == [], "spill files are removed"
    changes = changes_of(events)
    assert changes[-1]["table"] == "marker", "nothing beyond the surviving changes before the next transaction"
    big = changes[:-1]
    assert len({(c["xid"], c["commit_lsn"]) for c in big}) == 1, "one transaction"
    inserts = [c["after"] for c in big if c["op"] == "c"]
    assert [r["id"] for r in inserts] == list(range(1, 20001)) + list(range(40001, 60101))
    assert {r["v"] for r in inserts if r["id"] <= 20000} == {"a"}
    updates = [c for c in big if c["op"] == "u"]
    assert sorted(u["after"]["id"] for u in updates) == list(range(1, 11))
    assert {u["after"]["v"] for u in updates} == {"kept"}
    deletes = [c for c in big if c["op"] == "d"]
    assert [d["before"] for d in deletes] == [{"id": 60100}]
    assert [c["op"] for c in big] == ["c"] * 40100 + ["u"] * 10 + ["d"]
    state = {r["id"]: r for r in inserts}
    for u in updates:
        state[u["after"]["id"]] = u["after"]
    del state[60100]
    assert state == {r["id"]: r for r in rows_as_json(db, "big")}
    if proto == "2":
        assert slot_stats(db)["stream_txns"] >= 1


def test_proto1_large_transaction_spilled_by_server_is_delivered_whole(db, sluice):
    setup_big(db)
    n = 100_000
    xid = db.transaction(f"INSERT INTO big SELECT generate_series(1, {n})")
    db.sql("INSERT INTO marker VALUES (1)")
    tail = sluice.start("--proto", "1", "--max-changes", str(n + 1))
    envelope = check_stream_of_inserts(tail, 1, n, BIG_TIMEOUT)
    assert envelope["xid"] == xid
    rest = changes_of(tail.read_all(timeout=120))
    assert tail.wait() == 0, tail.stderr_text()
    assert [c["table"] for c in rest] == ["marker"]
    assert slot_stats(db)["spill_txns"] >= 1


def test_proto2_small_transactions_interleaved_with_streamed_one_keep_commit_order(db, sluice):
    """A small transaction that commits while a large one is being streamed comes first."""
    setup_big(db, "id int8 PRIMARY KEY, v text")
    large = db.connect(autocommit=False)
    try:
        large.execute("INSERT INTO big SELECT g, 'large' FROM generate_series(1, 50000) g")
        db.sql("INSERT INTO marker VALUES (1)")  # commits while `large` is in progress
        large.execute("INSERT INTO big SELECT g, 'large' FROM generate_series(50001, 100000) g")
        large.commit()
    finally:
        large.close()
    db.sql("INSERT INTO marker VALUES (2)")
    changes = changes_of(sluice.changes(100002, "--proto", "2", timeout=BIG_TIMEOUT))
    assert changes[0]["table"] == "marker" and changes[0]["after"] == {"id": 1}
    assert [c["after"]["id"] for c in changes[1:-1]] == list(range(1, 100001))
    assert changes[-1]["after"] == {"id": 2} and changes[-1]["table"] == "marker"
    commit_lsns = [lsn_int(changes[0]["commit_lsn"]), lsn_int(changes[1]["commit_lsn"]),
                   lsn_int(changes[-1]["commit_lsn"])]
    assert commit_lsns == sorted(commit_lsns)
    assert slot_stats(db)["stream_txns"] >= 1

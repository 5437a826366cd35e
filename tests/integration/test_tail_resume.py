"""Where a run starts: --from-lsn after a restart, acknowledgement of printed
transactions when running without --max-changes, and no acknowledgement with
--max-changes.
"""

import signal
import time

from pgcluster import by_transaction, changes_of, lsn_int, lsn_text


def five_transactions(db):
    db.sql("CREATE TABLE t (id int PRIMARY KEY, txn int)")
    db.create_slot()
    db.create_publication()
    xids = [db.transaction(f"INSERT INTO t VALUES ({2 * i + 1}, {i})", f"INSERT INTO t VALUES ({2 * i + 2}, {i})")
            for i in range(5)]
    return xids


def test_from_lsn_after_restart_delivers_transactions_from_that_commit_again(db, sluice):
    xids = five_transactions(db)
    created = db.slot_info()["confirmed_flush_lsn"]
    # First run: three transactions, then killed hard (nothing acknowledged with --max-changes).
    first = sluice.start("--max-changes", "1000")
    events = first.read_changes(6, timeout=60)
    first.kill()
    txns = by_transaction(changes_of(events))
    assert [t[0]["xid"] for t in txns] == xids[:3]
    commit_lsn = [t[0]["commit_lsn"] for t in txns]
    db.wait_slot_inactive()

    # Restart at the second transaction's commit LSN: it and all later ones come again.
    again = changes_of(sluice.changes(8, "--from-lsn", commit_lsn[1]))
    assert [c["after"]["id"] for c in again] == list(range(3, 11))
    again_txns = by_transaction(again)
    assert [t[0]["xid"] for t in again_txns] == xids[1:]
    assert [t[0]["commit_lsn"] for t in again_txns[:2]] == commit_lsn[1:3], "same commit LSNs as the first run"

    # One byte past that commit LSN: the second transaction is skipped.
    later = changes_of(sluice.changes(6, "--from-lsn", lsn_text(lsn_int(commit_lsn[1]) + 1)))
    assert [c["xid"] for c in later[::2]] == xids[2:]

    # Without --from-lsn the slot still starts at the beginning: nothing was acknowledged.
    assert db.slot_info()["confirmed_flush_lsn"] == created
    everything = changes_of(sluice.changes(10))
    assert [c["after"]["id"] for c in everything] == list(range(1, 11))


def test_running_tail_acknowledges_printed_transactions(db, sluice):
    xids = five_transactions(db)
    tail = sluice.start()
    events = tail.read_changes(10, timeout=60)
    txns = by_transaction(changes_of(events))
    assert [t[0]["xid"] for t in txns] == xids
    assert tail.interrupt(signal.SIGINT) == 0, tail.stderr_text()
    confirmed = db.slot_info()["confirmed_flush_lsn"]
    assert lsn_int(confirmed) > lsn_int(txns[-1][0]["commit_lsn"]), \
        f"after SIGINT the slot is acknowledged past the last printed commit ({confirmed})"


def test_second_run_after_sigint_delivers_only_later_transactions(db, sluice):
    xids = five_transactions(db)
    tail = sluice.start()
    events = tail.read_changes(6, timeout=60)
    assert [t[0]["xid"] for t in by_transaction(changes_of(events))] == xids[:3]
    # Let the tail finish printing what the slot holds, then stop it politely.
    events += tail.read_changes(4, timeout=60)
    assert tail.interrupt(signal.SIGINT) == 0, tail.stderr_text()
    db.wait_slot_inactive()
    later = [db.transaction(f"INSERT INTO t VALUES ({100 + i}, {5 + i})") for i in range(2)]
    changes = changes_of(sluice.changes(2))
    assert [c["xid"] for c in changes] == later, "acknowledged transactions are not delivered again"
    assert [c["after"]["id"] for c in changes] == [100, 101]


def test_sigterm_stops_tail_cleanly_with_exit_zero(db, sluice):
    five_transactions(db)
    tail = sluice.start()
    tail.read_changes(10, timeout=60)
    assert tail.interrupt(signal.SIGTERM) == 0, tail.stderr_text()


def test_idle_tail_stops_on_sigint(db, sluice):
    db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    db.create_slot()
    db.create_publication()
    tail = sluice.start()
    db.wait_for_slot()
    # wait until the walsender is streaming to it
    for _ in range(200):
        info = db.slot_info()
        if info["active"]:
            break
        time.sleep(0.05)
    assert tail.poll() is None, tail.stderr_text()
    assert tail.interrupt(signal.SIGINT) == 0, tail.stderr_text()
    assert tail.nlines == 0

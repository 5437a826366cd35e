"""Initial snapshot (--create-slot --snapshot): every row of the published
tables as op "r" from the slot's exported snapshot, then the stream from the
slot's consistent point, with no change lost or seen twice at the handoff,
even while another connection writes during the snapshot.
"""

import random
import threading
import time

import psycopg
import pytest

from pgcluster import changes_of, lsn_int, rows_as_json, schema_lines, table_state

BIG_ROWS = 200_000


def assert_snapshot_envelope(change, consistent_point):
    assert change["op"] == "r"
    assert change["before"] is None
    assert change["xid"] == 0
    assert change["lsn"] == change["commit_lsn"] == consistent_point, \
        f"snapshot rows carry the slot's consistent point {consistent_point}: {change['lsn']}/{change['commit_lsn']}"


def test_snapshot_emits_every_row_as_r_then_streams_later_changes(db, sluice):
    db.sql("CREATE TABLE a (id int PRIMARY KEY, name text, price numeric(8,2))")
    db.sql("CREATE TABLE b (k text PRIMARY KEY, at timestamptz, tags text[])")
    db.sql("CREATE TABLE empty (id int PRIMARY KEY)")
    db.sql("INSERT INTO a SELECT g, 'item ' || g, g / 3.0 FROM generate_series(1, 50) g")
    db.sql("INSERT INTO b VALUES ('x', '2024-05-06 07:08:09+00', '{p,q}'), ('y', NULL, NULL)")
    tail = sluice.start("--create-slot", "--snapshot", "--max-changes", "53")
    db.wait_for_slot(proc=tail)
    db.sql("INSERT INTO a VALUES (51, 'after snapshot', 1)")
    events = tail.read_all(timeout=120)
    assert tail.wait() == 0, tail.stderr_text()
    changes = changes_of(events)
    consistent_point = db.slot_info()["confirmed_flush_lsn"]  # nothing acknowledged with --max-changes
    snapshot = [c for c in changes if c["op"] == "r"]
    assert len(snapshot) == 52
    for c in snapshot:
        assert_snapshot_envelope(c, consistent_point)
    assert [c["op"] for c in changes] == ["r"] * 52 + ["c"], "snapshot rows come before streamed changes"
    got_a = sorted((c["after"] for c in snapshot if c["table"] == "a"), key=lambda r: r["id"])
    got_b = sorted((c["after"] for c in snapshot if c["table"] == "b"), key=lambda r: r["k"])
    assert got_a == rows_as_json(db, "a", "id <= 50", "id")
    assert got_b == rows_as_json(db, "b", order_by="k")
    streamed = changes[-1]
    assert streamed["after"]["id"] == 51 and streamed["before"] is None
    assert lsn_int(streamed["commit_lsn"]) >= lsn_int(consistent_point)
    for table in ("a", "b"):
        first = next(i for i, e in enumerate(events) if e.get("table") == table)
        assert events[first]["op"] == "schema", f"schema line of {table} before its first row"


class Writer(threading.Thread):
    """Commits small random transactions on its own connection until stopped."""

    def __init__(self, dsn, big_rows, seed=1):
        super().__init__(daemon=True)
        self.dsn = dsn
        self.rng = random.Random(seed)
        self.next_big = big_rows + 1
        self.next_small = 1000
        self.big_rows = big_rows
        self.stop_event = threading.Event()
        self.commits = 0
        self.commits_during_copy = 0
        self.copy_queries = set()
        self.error = None

    def run(self):
        try:
            with psycopg.connect(self.dsn, autocommit=False) as conn:
                while not self.stop_event.is_set():
                    self.one_transaction(conn)
                    conn.commit()
                    self.commits += 1
                    copying = [r[0] for r in conn.execute(
                        "SELECT query FROM pg_stat_activity WHERE query ILIKE 'COPY%' AND state = 'active'"
                        " AND pid <> pg_backend_pid()")]
                    conn.commit()
                    if copying:
                        self.commits_during_copy += 1
                        self.copy_queries.update(copying)
        except Exception as e:  # reported by the test
            self.error = e

    def one_transaction(self, conn):
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            if action < 0.3:
                conn.execute("INSERT INTO big VALUES (%s, %s, 'new')", (self.next_big, rng.randint(0, 1 << 30)))
                self.next_big += 1
            elif action < 0.6:
                # spread over the whole table so every ctid range sees writes
                conn.execute("UPDATE big SET v = v + 1, pad = 'upd' WHERE id = %s",
                             (rng.randint(1, self.big_rows),))
            elif action < 0.7:
                conn.execute("UPDATE big SET id = id + 10000000 WHERE id = %s", (rng.randint(1, self.big_rows),))
            elif action < 0.8:
                conn.execute("DELETE FROM big WHERE id = %s", (rng.randint(1, self.big_rows),))
            elif action < 0.9:
                conn.execute("INSERT INTO small VALUES (%s, 'w') ON CONFLICT (id) DO UPDATE SET name = 'again'",
                             (self.next_small,))
                self.next_small += 1
            else:
                conn.execute("DELETE FROM small WHERE id = (SELECT min(id) FROM small)")
                conn.execute("UPDATE other SET qty = qty + 1 WHERE id = %s", (rng.randint(1, 100),))


def replay(events, keys):
    """Rebuilds table contents from r/c/u/d/t events; fails on any duplicate or lost row."""
    state = {table: {} for table in keys}
    streaming = False
    for e in events:
        op = e["op"]
        if op == "schema":
            continue
        table = e["table"]
        rows = state[table]
        key_of = lambda row: tuple(row[k] for k in keys[table])  # noqa: E731
        if op == "r":
            assert not streaming, "snapshot row after streamed changes"
            key = key_of(e["after"])
            assert key not in rows, f"duplicate snapshot row {table} {key}"
            rows[key] = e["after"]
            continue
        streaming = True
        if op == "c":
            key = key_of(e["after"])
            assert key not in rows, f"insert of {table} {key} already present: seen twice at the handoff"
            rows[key] = e["after"]
        elif op == "u":
            old = key_of(e["before"] if e["before"] is not None else e["after"])
            assert old in rows, f"update of {table} {old} that is not there: lost at the handoff"
            del rows[old]
            new = key_of(e["after"])
            assert new not in rows, f"update moves {table} {old} onto existing {new}"
            rows[new] = e["after"]
        elif op == "d":
            key = key_of(e["before"])
            assert key in rows, f"delete of {table} {key} that is not there: lost at the handoff"
            del rows[key]
        elif op == "t":
            rows.clear()
    return state


@pytest.mark.timeout(900)
def test_snapshot_with_concurrent_writes_hands_off_exactly(db, sluice):
    # fillfactor 10 spreads 200k rows over more than 2 x 8192 pages (64 MB), so
    # the snapshot splits `big` into several ctid ranges copied in parallel.
    db.sql("CREATE TABLE big (id int8 PRIMARY KEY, v int8 NOT NULL, pad text) WITH (fillfactor = 10)")
    db.sql("CREATE TABLE small (id int PRIMARY KEY, name text)")
    db.sql("CREATE TABLE other (id int PRIMARY KEY, qty numeric(10,2))")
    db.sql("CREATE TABLE done (id int PRIMARY KEY)")
    db.sql("CREATE TABLE unpublished (id int PRIMARY KEY)")
    db.sql(f"INSERT INTO big SELECT g, g * 7, repeat('p', 40) FROM generate_series(1, {BIG_ROWS}) g")
    db.sql("INSERT INTO small SELECT g, 'n' || g FROM generate_series(1, 500) g")
    db.sql("INSERT INTO other SELECT g, g FROM generate_series(1, 100) g")
    db.sql("INSERT INTO unpublished VALUES (1)")
    db.sql("VACUUM ANALYZE big")
    assert db.value("SELECT relpages FROM pg_class WHERE relname = 'big'") > 2 * 8192

    writer = Writer(db.dsn(), BIG_ROWS)
    writer.start()
    try:
        tail = sluice.start("--create-slot", "--snapshot", "--tables",
                            "public.big,public.small,public.other,public.done")
        db.wait_for_slot(proc=tail, timeout=120)
        events = []
        # Keep writing through the whole snapshot, until the stream has begun.
        for event in tail.events(timeout=600):
            events.append(event)
            if event["op"] in ("c", "u", "d", "t"):
                break
        time.sleep(0.5)
    finally:
        writer.stop_event.set()
        writer.join(60)
    assert writer.error is None, f"writer failed: {writer.error!r}"
    db.sql("INSERT INTO done VALUES (1)")
    events += tail.read_until(lambda e: e.get("table") == "done" and e["op"] == "c", timeout=300)
    assert tail.interrupt() == 0, tail.stderr_text()

    keys = {"big": ("id",), "small": ("id",), "other": ("id",), "done": ("id",)}
    state = replay(events, keys)
    snapshot = [e for e in changes_of(events) if e["op"] == "r"]
    assert {e["table"] for e in snapshot} == {"big", "small", "other"}
    consistent_point = snapshot[0]["lsn"]
    for e in snapshot:
        assert_snapshot_envelope(e, consistent_point)
    for e in changes_of(events):
        if e["op"] != "r":
            assert lsn_int(e["commit_lsn"]) >= lsn_int(consistent_point)
    for table in ("big", "small", "other", "done"):
        want = table_state(db, table)
        got = state[table]
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        assert not missing and not extra, f"{table}: missing {missing}, extra {extra}"
        differ = [k for k in want if want[k] != got[k]][:5]
        assert not differ, f"{table}: rows differ, e.g. {[(want[k], got[k]) for k in differ]}"
    assert "unpublished" not in {e.get("table") for e in events}
    print(f"writer commits: {writer.commits}, during a COPY: {writer.commits_during_copy}, "
          f"snapshot rows: {len(snapshot)}, streamed: {len(changes_of(events)) - len(snapshot)}")
    assert writer.commits_during_copy > 0, "no write happened while the snapshot was copying"
    ranged = [q for q in writer.copy_queries if "ctid" in q and "big" in q]
    print("COPY statements seen:", *sorted(writer.copy_queries), sep="\n  ")
    assert ranged, "the large table was not seen being copied in ctid ranges"


def test_snapshot_honours_publication_column_list_and_row_filter(db, sluice):
    # PostgreSQL 15 publications may publish some columns and rows only; the
    # snapshot must deliver exactly what the stream would.
    db.sql("CREATE TABLE acct (id int PRIMARY KEY, owner text, secret text, n int)")
    db.sql("INSERT INTO acct SELECT g, 'o' || g, 's' || g, g FROM generate_series(3, 10) g")
    db.sql(f"CREATE PUBLICATION {db.publication} FOR TABLE acct (id, owner, n) WHERE (id > 5)")
    tail = sluice.start("--create-slot", "--snapshot")
    events = tail.read_changes(5, timeout=120)
    snapshot = changes_of(events)
    assert all(c["op"] == "r" for c in snapshot)
    assert sorted((c["after"]["id"], c["after"]["owner"], c["after"]["n"]) for c in snapshot) == \
        [(i, f"o{i}", i) for i in range(6, 11)]
    assert all(set(c["after"]) == {"id", "owner", "n"} for c in snapshot), "unpublished column leaked"
    db.sql("INSERT INTO acct VALUES (11, 'o11', 's11', 20), (2, 'o2', 's2', 2)")
    db.sql("UPDATE acct SET owner = 'changed' WHERE id = 7")
    events += tail.read_changes(2, timeout=120)
    assert tail.interrupt() == 0, tail.stderr_text()
    streamed = [c for c in changes_of(events) if c["op"] != "r"]
    assert [(c["op"], c["after"]) for c in streamed] == [
        ("c", {"id": 11, "owner": "o11", "n": 20}), ("u", {"id": 7, "owner": "changed", "n": 7})]
    schemas = schema_lines(events, "acct")
    assert len(schemas) == 1, "the stream's schema equals the snapshot's: announced once"
    assert [c["name"] for c in schemas[0]["columns"]] == ["id", "owner", "n"]

"""Row changes as `sluice tail` prints them: inserts, updates (with and
without a key change), deletes, truncates, replica identity default vs full,
composite keys, tables without a key, unchanged TOAST values, transactions
and their order, schema lines after DDL, and --max-changes.
"""

import time

from pgcluster import (by_transaction, changes_of, lsn_int, rows_as_json, schema_line_matches,
                       schema_lines, table_columns)


def setup_capture(db, *ddl):
    for statement in ddl:
        db.sql(statement)
    db.create_slot()
    db.create_publication()


def assert_envelope(change, schema="public", table=None):
    assert change["schema"] == schema
    if table is not None:
        assert change["table"] == table
    assert isinstance(change["xid"], int) and change["xid"] > 0
    assert isinstance(change["ts_ms"], int)
    assert abs(change["ts_ms"] - time.time() * 1000) < 10 * 60 * 1000, "ts_ms is the commit time in ms"
    lsn_int(change["lsn"]), lsn_int(change["commit_lsn"])


def test_insert_emits_after_and_null_before(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int8 PRIMARY KEY, name text, qty int4)")
    xid = db.transaction("INSERT INTO t VALUES (1, 'one', 10)")
    events = sluice.changes(1)
    (change,) = changes_of(events)
    assert_envelope(change, table="t")
    assert change["op"] == "c"
    assert change["before"] is None
    assert change["after"] == {"id": 1, "name": "one", "qty": 10}
    assert change["xid"] == xid


def test_update_without_key_change_has_null_before(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int8 PRIMARY KEY, name text)")
    db.sql("INSERT INTO t VALUES (1, 'one')")
    db.sql("UPDATE t SET name = 'uno' WHERE id = 1")
    insert, update = changes_of(sluice.changes(2))
    assert update["op"] == "u"
    assert update["before"] is None
    assert update["after"] == {"id": 1, "name": "uno"}


def test_update_changing_key_emits_old_key(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int8 PRIMARY KEY, name text)")
    db.sql("INSERT INTO t VALUES (1, 'one')")
    db.sql("UPDATE t SET id = 100, name = 'hundred' WHERE id = 1")
    _, update = changes_of(sluice.changes(2))
    assert update["op"] == "u"
    assert update["before"] == {"id": 1}, "default identity: before holds only the old key"
    assert update["after"] == {"id": 100, "name": "hundred"}


def test_delete_emits_old_key_and_null_after(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int8 PRIMARY KEY, name text)")
    db.sql("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
    db.sql("DELETE FROM t WHERE id = 2")
    *_, delete = changes_of(sluice.changes(3))
    assert delete["op"] == "d"
    assert delete["before"] == {"id": 2}
    assert delete["after"] is None


def test_replica_identity_full_emits_whole_old_row(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int8 PRIMARY KEY, name text, qty numeric(8,2))",
                  "ALTER TABLE t REPLICA IDENTITY FULL")
    db.sql("INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', NULL)")
    db.sql("UPDATE t SET name = 'uno' WHERE id = 1")
    db.sql("UPDATE t SET id = 20 WHERE id = 2")
    db.sql("DELETE FROM t WHERE id = 1")
    events = sluice.changes(5)
    _, _, update, key_update, delete = changes_of(events)
    assert update["before"] == {"id": 1, "name": "one", "qty": "1.50"}
    assert update["after"] == {"id": 1, "name": "uno", "qty": "1.50"}
    assert key_update["before"] == {"id": 2, "name": "two", "qty": None}
    assert key_update["after"] == {"id": 20, "name": "two", "qty": None}
    assert delete["before"] == {"id": 1, "name": "uno", "qty": "1.50"}
    assert delete["after"] is None
    (schema,) = schema_lines(events, "t")
    assert [c["name"] for c in schema["columns"] if c["key"]] == ["id"], \
        "key flags name the primary key, also under REPLICA IDENTITY FULL"


def test_replica_identity_default_vs_full_on_the_same_change(db, sluice):
    setup_capture(db, "CREATE TABLE d (id int8 PRIMARY KEY, v text)",
                  "CREATE TABLE f (id int8 PRIMARY KEY, v text)",
                  "ALTER TABLE f REPLICA IDENTITY FULL")
    db.transaction("INSERT INTO d VALUES (1, 'a')", "INSERT INTO f VALUES (1, 'a')")
    db.transaction("UPDATE d SET v = 'b'", "UPDATE f SET v = 'b'", "DELETE FROM d", "DELETE FROM f")
    changes = changes_of(sluice.changes(6))
    upd_d, upd_f, del_d, del_f = changes[2:]
    assert (upd_d["table"], upd_f["table"]) == ("d", "f")
    assert upd_d["before"] is None
    assert upd_f["before"] == {"id": 1, "v": "a"}
    assert del_d["before"] == {"id": 1}
    assert del_f["before"] == {"id": 1, "v": "b"}


def test_composite_primary_key_is_keyed_and_old_key_has_both_columns(db, sluice):
    setup_capture(db, "CREATE TABLE cp (region text, id int4, v text, PRIMARY KEY (region, id))")
    db.sql("INSERT INTO cp VALUES ('eu', 1, 'a')")
    db.sql("UPDATE cp SET region = 'us' WHERE region = 'eu' AND id = 1")
    db.sql("UPDATE cp SET v = 'b'")
    db.sql("DELETE FROM cp")
    events = sluice.changes(4)
    (schema,) = schema_lines(events, "cp")
    assert schema_line_matches(schema, table_columns(db, "cp")) is None
    assert [c["key"] for c in schema["columns"]] == [True, True, False]
    insert, key_update, update, delete = changes_of(events)
    assert insert["after"] == {"region": "eu", "id": 1, "v": "a"}
    assert key_update["before"] == {"region": "eu", "id": 1}
    assert key_update["after"] == {"region": "us", "id": 1, "v": "a"}
    assert update["before"] is None
    assert delete["before"] == {"region": "us", "id": 1}


def test_table_without_key_uses_full_identity_and_no_key_flags(db, sluice):
    setup_capture(db, "CREATE TABLE nokey (a int4, b text)", "ALTER TABLE nokey REPLICA IDENTITY FULL")
    db.sql("INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, NULL)")
    db.sql("UPDATE nokey SET b = 'y' WHERE a = 2")
    db.sql("DELETE FROM nokey WHERE a = 2")
    events = sluice.changes(5)
    (schema,) = schema_lines(events, "nokey")
    assert [c["key"] for c in schema["columns"]] == [False, False]
    assert schema_line_matches(schema, table_columns(db, "nokey")) is None
    changes = changes_of(events)
    assert [c["op"] for c in changes] == ["c", "c", "c", "u", "d"]
    assert changes[0]["after"] == changes[1]["after"] == {"a": 1, "b": "x"}
    assert changes[3]["before"] == {"a": 2, "b": None}
    assert changes[3]["after"] == {"a": 2, "b": "y"}
    assert changes[4]["before"] == {"a": 2, "b": "y"}
    assert changes[4]["after"] is None


def test_truncate_of_several_tables_emits_one_line_per_table(db, sluice):
    setup_capture(db, "CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (id int PRIMARY KEY)",
                  "CREATE TABLE c (id int PRIMARY KEY)")
    db.sql("INSERT INTO a VALUES (1)")
    db.sql("INSERT INTO c VALUES (1)")
    xid = db.transaction("TRUNCATE a, b")
    db.sql("INSERT INTO c VALUES (2)")
    changes = changes_of(sluice.changes(5))
    truncates = [c for c in changes if c["op"] == "t"]
    assert sorted(c["table"] for c in truncates) == ["a", "b"]
    for t in truncates:
        assert t["before"] is None and t["after"] is None
        assert t["xid"] == xid
    assert truncates[0]["commit_lsn"] == truncates[1]["commit_lsn"]
    assert [c["op"] for c in changes] == ["c", "c", "t", "t", "c"]
    assert changes[-1]["after"] == {"id": 2}


def test_truncate_cascade_emits_referencing_tables(db, sluice):
    setup_capture(db, "CREATE TABLE parent (id int PRIMARY KEY)",
                  "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent)",
                  "CREATE TABLE grandchild (id int PRIMARY KEY, child_id int REFERENCES child)")
    db.sql("INSERT INTO parent VALUES (1)")
    db.sql("INSERT INTO child VALUES (1, 1)")
    db.sql("INSERT INTO grandchild VALUES (1, 1)")
    db.sql("TRUNCATE parent CASCADE")
    changes = changes_of(sluice.changes(6))
    truncates = changes[3:]
    assert {c["op"] for c in truncates} == {"t"}
    assert sorted(c["table"] for c in truncates) == ["child", "grandchild", "parent"]
    assert len({(c["xid"], c["commit_lsn"]) for c in truncates}) == 1


def test_multi_table_transaction_shares_xid_and_commit_lsn_in_statement_order(db, sluice):
    setup_capture(db, "CREATE TABLE orders (id int8 PRIMARY KEY, customer_id int8, total numeric(10,2))",
                  "CREATE TABLE customers (id int8 PRIMARY KEY, name text)")
    xid1 = db.transaction("INSERT INTO customers VALUES (1, 'ann')",
                          "INSERT INTO orders VALUES (10, 1, 9.99)",
                          "UPDATE customers SET name = 'anne' WHERE id = 1",
                          "INSERT INTO orders VALUES (11, 1, 5)",
                          "DELETE FROM orders WHERE id = 10")
    xid2 = db.transaction("INSERT INTO customers VALUES (2, 'bob')")
    events = sluice.changes(6)
    txns = by_transaction(changes_of(events))
    assert len(txns) == 2
    first, second = txns
    assert [(c["op"], c["table"]) for c in first] == [
        ("c", "customers"), ("c", "orders"), ("u", "customers"), ("c", "orders"), ("d", "orders")]
    assert {c["xid"] for c in first} == {xid1}
    assert second[0]["xid"] == xid2
    assert len({c["commit_lsn"] for c in first}) == 1
    assert len({c["ts_ms"] for c in first}) == 1
    lsns = [lsn_int(c["lsn"]) for c in first]
    assert lsns == sorted(lsns) and len(set(lsns)) == len(lsns), f"lsn increases within a transaction: {lsns}"
    assert lsns[-1] <= lsn_int(first[0]["commit_lsn"])
    assert lsn_int(second[0]["commit_lsn"]) > lsn_int(first[0]["commit_lsn"])
    # each table's schema line precedes its first change
    seen = set()
    for e in events:
        if e["op"] == "schema":
            seen.add(e["table"])
        else:
            assert e["table"] in seen, f"change of {e['table']} before its schema line"
    assert first[1]["after"] == {"id": 10, "customer_id": 1, "total": "9.99"}
    assert first[3]["after"]["total"] == "5.00"


def test_interleaved_transactions_appear_in_commit_order(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int PRIMARY KEY, who text)")
    early = db.connect(autocommit=False)
    late = db.connect(autocommit=False)
    try:
        early.execute("INSERT INTO t VALUES (1, 'early')")
        late.execute("INSERT INTO t VALUES (2, 'late')")
        late.commit()
        early.execute("INSERT INTO t VALUES (3, 'early')")
        early.commit()
    finally:
        early.close()
        late.close()
    changes = changes_of(sluice.changes(3))
    assert [c["after"]["id"] for c in changes] == [2, 1, 3]
    txns = by_transaction(changes)
    assert [len(t) for t in txns] == [1, 2]
    assert lsn_int(txns[0][0]["commit_lsn"]) < lsn_int(txns[1][0]["commit_lsn"])


def test_unchanged_toast_value_is_marked_not_nulled(db, sluice):
    setup_capture(db, "CREATE TABLE doc (id int PRIMARY KEY, title text, body text)",
                  "ALTER TABLE doc ALTER COLUMN body SET STORAGE EXTERNAL")
    # > 8 kB of random hex: stored out of line and not compressible.
    db.sql("INSERT INTO doc SELECT 1, 'first', string_agg(md5(random()::text), '') FROM generate_series(1, 400)")
    body = db.value("SELECT body FROM doc WHERE id = 1")
    assert len(body) > 8192
    assert db.value("SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'doc'") > 0, \
        "body must be stored out of line"
    db.sql("UPDATE doc SET title = 'renamed' WHERE id = 1")
    db.sql("UPDATE doc SET body = body || 'tail' WHERE id = 1")
    db.sql("UPDATE doc SET title = NULL WHERE id = 1")
    insert, rename, rebody, null_title = changes_of(sluice.changes(4))
    assert insert["after"]["body"] == body
    assert rename["after"] == {"id": 1, "title": "renamed", "body": {"unchanged_toast": True}}
    assert rebody["after"]["body"] == body + "tail"
    assert null_title["after"] == {"id": 1, "title": None, "body": {"unchanged_toast": True}}


def test_schema_line_reappears_after_alter_table_add_column(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int PRIMARY KEY, a text)")
    db.sql("INSERT INTO t VALUES (1, 'x')")
    db.sql("INSERT INTO t VALUES (2, 'y')")
    db.sql("UPDATE t SET a = 'z' WHERE id = 1")
    columns_before = table_columns(db, "t")
    db.sql("ALTER TABLE t ADD COLUMN b numeric(5,1) NOT NULL DEFAULT 0")
    db.sql("INSERT INTO t VALUES (3, 'w', 2.5)")
    db.sql("UPDATE t SET b = 1 WHERE id = 2")
    columns_after = table_columns(db, "t")
    events = sluice.changes(5)
    ops = [e["op"] for e in events]
    assert ops == ["schema", "c", "c", "u", "schema", "c", "u"], ops
    assert schema_line_matches(events[0], columns_before) is None
    assert schema_line_matches(events[4], columns_after) is None
    assert events[4]["columns"][2] == {"name": "b", "type": "numeric(5,1)", "nullable": False, "key": False}
    assert events[5]["after"] == {"id": 3, "a": "w", "b": "2.5"}
    assert events[6]["after"] == {"id": 2, "a": "y", "b": "1.0"}


def test_schema_line_reappears_after_drop_column(db, sluice):
    setup_capture(db, "CREATE TABLE t (id int PRIMARY KEY, a text, gone int)")
    db.sql("INSERT INTO t VALUES (1, 'x', 5)")
    db.sql("ALTER TABLE t DROP COLUMN gone")
    db.sql("INSERT INTO t VALUES (2, 'y')")
    events = sluice.changes(2)
    assert [e["op"] for e in events] == ["schema", "c", "schema", "c"]
    assert [c["name"] for c in events[2]["columns"]] == ["id", "a"]
    assert events[3]["after"] == {"id": 2, "a": "y"}


def test_max_changes_counts_change_lines_only(db, sluice):
    setup_capture(db, "CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (id int PRIMARY KEY)")
    for i in range(5):
        db.transaction(f"INSERT INTO a VALUES ({i})", f"INSERT INTO b VALUES ({i})")
    result = sluice.run("--max-changes", "3")
    assert result.returncode == 0, result.stderr
    events = result.events()
    assert [e["op"] for e in events] == ["schema", "c", "schema", "c", "c"]
    assert [e["after"]["id"] for e in changes_of(events)] == [0, 0, 1]


def test_create_slot_makes_slot_and_publication_for_all_tables_and_reuses_them(db, sluice):
    db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    tail = sluice.start("--create-slot", "--max-changes", "1")
    info = db.wait_for_slot(proc=tail)
    assert info["plugin"] == "pgoutput"
    assert db.value("SELECT puballtables FROM pg_publication WHERE pubname = %s", (db.publication,)) is True
    db.sql("INSERT INTO t VALUES (1)")
    events = tail.read_all(timeout=60)
    assert tail.wait() == 0, tail.stderr_text()
    assert changes_of(events)[0]["after"] == {"id": 1}
    # Both exist now: a second --create-slot run reuses them and sees the next change.
    db.sql("INSERT INTO t VALUES (2)")
    events = sluice.changes(2, "--create-slot")
    assert [c["after"]["id"] for c in changes_of(events)] == [1, 2]


def test_create_slot_with_tables_publishes_only_those_tables(db, sluice):
    db.sql("CREATE SCHEMA app")
    db.sql("CREATE TABLE app.wanted (id int PRIMARY KEY)")
    db.sql("CREATE TABLE public.also (id int PRIMARY KEY)")
    db.sql("CREATE TABLE public.ignored (id int PRIMARY KEY)")
    tail = sluice.start("--create-slot", "--tables", "app.wanted,public.also", "--max-changes", "2")
    db.wait_for_slot(proc=tail)
    published = db.sql("SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = %s"
                       " ORDER BY 1", (db.publication,))
    assert [r[0] for r in published] == ["app.wanted", "public.also"]
    db.sql("INSERT INTO public.ignored VALUES (1)")
    db.sql("INSERT INTO app.wanted VALUES (1)")
    db.sql("INSERT INTO public.ignored VALUES (2)")
    db.sql("INSERT INTO public.also VALUES (1)")
    events = tail.read_all(timeout=60)
    assert tail.wait() == 0, tail.stderr_text()
    assert [(c["schema"], c["table"]) for c in changes_of(events)] == [("app", "wanted"), ("public", "also")]


def test_published_rows_match_table_contents_after_mixed_workload(db, sluice):
    """Replaying c/u/d events reproduces the table exactly (values included)."""
    setup_capture(db, "CREATE TABLE t (id int8 PRIMARY KEY, label text, amount numeric(12,2), at timestamptz)")
    db.sql("INSERT INTO t SELECT g, 'row ' || g, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 hour'"
           " FROM generate_series(1, 200) g")
    db.sql("UPDATE t SET amount = amount * 2, label = label || '!' WHERE id % 3 = 0")
    db.sql("UPDATE t SET id = id + 1000 WHERE id % 7 = 0")
    db.sql("DELETE FROM t WHERE id % 5 = 0")
    n = 200 + db.value("SELECT count(*) FROM generate_series(1, 200) g WHERE g % 3 = 0") \
        + db.value("SELECT count(*) FROM generate_series(1, 200) g WHERE g % 7 = 0") \
        + db.value("SELECT count(*) FROM generate_series(1, 200) g WHERE (CASE WHEN g % 7 = 0 THEN g + 1000"
                   " ELSE g END) % 5 = 0")
    state = {}
    for c in changes_of(sluice.changes(n)):
        if c["op"] == "c":
            assert c["after"]["id"] not in state
            state[c["after"]["id"]] = c["after"]
        elif c["op"] == "u":
            old = (c["before"] or c["after"])["id"]
            del state[old]
            state[c["after"]["id"]] = c["after"]
        elif c["op"] == "d":
            del state[c["before"]["id"]]
    assert state == {r["id"]: r for r in rows_as_json(db, "t")}

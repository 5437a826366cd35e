"""A model of what `sluice apply` must produce: random change histories as
change-event JSON lines (the `sluice tail` format), and the table state after
every transaction, to compare with what Hudi readers see.

Values in the model are Python values as hudi_oracles normalises them
(int, str, Decimal, datetime in UTC, bool, None).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import random

UTC = dt.timezone.utc


def lsn_text(n: int) -> str:
    return f"{n >> 32:X}/{n & 0xFFFFFFFF:X}"


class Table:
    """One source table: its columns (name, PostgreSQL type, key) and rows by key."""

    def __init__(self, schema: str, name: str, columns: list[tuple[str, str, bool]]):
        self.schema = schema
        self.name = name
        self.columns = list(columns)
        self.rows: dict[tuple, dict] = {}

    @property
    def keys(self) -> list[str]:
        return [c for c, _, k in self.columns if k]

    def key_of(self, row: dict) -> tuple:
        return tuple(row[k] for k in self.keys)

    def schema_line(self) -> str:
        return json.dumps({"op": "schema", "schema": self.schema, "table": self.name,
                           "columns": [{"name": c, "type": t, "nullable": not k, "key": k}
                                       for c, t, k in self.columns]})


def json_value(pg_type: str, v):
    """The change-event JSON value of a model value (tail's conventions)."""
    if v is None:
        return None
    if pg_type in ("int2", "int4", "int8", "bool", "float8", "float4"):
        return v
    if pg_type.startswith("numeric"):
        return str(v)
    if pg_type.startswith("timestamptz"):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"
    if pg_type.startswith("timestamp"):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if pg_type == "date":
        return v.isoformat()
    return str(v)


class History:
    """Builds change-event lines transaction by transaction and remembers the
    expected state of every table after each transaction."""

    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.lsn = 0x1000000
        self.xid = 700
        self.ts_ms = 1764115200000
        self.tables: list[Table] = []
        self.announced: set[str] = set()
        # (commit_lsn, {table name: {key: row}}) after each transaction
        self.states: list[tuple[int, dict]] = []
        self._txn: list[tuple] | None = None

    def add_table(self, table: Table) -> Table:
        self.tables.append(table)
        return table

    def begin(self) -> None:
        self._txn = []

    def _event(self, table: Table, op: str, before, after) -> None:
        self._txn.append((table, op, before, after))

    def insert(self, table: Table, row: dict) -> None:
        self._event(table, "c", None, dict(row))

    def update(self, table: Table, row: dict, old_key: dict | None = None) -> None:
        self._event(table, "u", old_key, dict(row))

    def delete(self, table: Table, key: dict) -> None:
        self._event(table, "d", dict(key), None)

    def commit(self) -> int:
        self.xid += 1
        self.ts_ms += 1000
        first = self.lsn
        self.lsn += 0x100 * (len(self._txn) + 1)
        commit_lsn = self.lsn
        for i, (table, op, before, after) in enumerate(self._txn):
            tname = f"{table.schema}.{table.name}"
            if tname not in self.announced:
                self.lines.append(table.schema_line())
                self.announced.add(tname)
            types = {c: t for c, t, _ in table.columns}
            enc = (lambda r: None if r is None else {c: json_value(types[c], v) for c, v in r.items()})
            self.lines.append(json.dumps({
                "op": op, "schema": table.schema, "table": table.name,
                "lsn": lsn_text(first + 0x100 * i), "commit_lsn": lsn_text(commit_lsn),
                "xid": self.xid, "ts_ms": self.ts_ms, "before": enc(before), "after": enc(after)}))
            if op == "d":
                table.rows.pop(table.key_of(before), None)
            else:
                if op == "u" and before is not None:
                    table.rows.pop(table.key_of(before), None)
                prev = table.rows.get(table.key_of(after), {})
                table.rows[table.key_of(after)] = {**prev, **after, "_change_operation_type": op,
                                                   "_event_lsn": commit_lsn,
                                                   "_event_origin_ts_ms": self.ts_ms,
                                                   "_event_tx_id": self.xid}
        self._txn = None
        self.states.append((commit_lsn, {t.name: {k: dict(v) for k, v in t.rows.items()}
                                         for t in self.tables}))
        return commit_lsn

    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def random_row(rng: random.Random, key: int) -> dict:
    base = dt.datetime(2024, 1, 1, tzinfo=UTC)
    return {
        "id": key,
        "name": rng.choice([None, "", "alpha", "βeta", "x" * rng.randint(1, 40)]),
        "qty": rng.choice([None, rng.randint(-2**31, 2**31 - 1), 0]),
        "price": rng.choice([None, decimal.Decimal(rng.randint(-10**11, 10**11)) / 100]),
        "at": rng.choice([None, base + dt.timedelta(microseconds=rng.randint(0, 10**14))]),
        "flag": rng.choice([None, True, False]),
    }


ITEM_COLUMNS = [("id", "int8", True), ("name", "text", False), ("qty", "int4", False),
                ("price", "numeric(12,2)", False), ("at", "timestamptz", False), ("flag", "bool", False)]


def random_history(seed: int, transactions: int, table_name: str = "items") -> tuple[History, Table]:
    """Inserts, updates, deletes, key changes and re-inserts of a keyed table."""
    h = History(seed)
    t = h.add_table(Table("public", table_name, ITEM_COLUMNS))
    rng = h.rng
    next_key = 1
    for _ in range(transactions):
        h.begin()
        live = {k[0] for k in t.rows}
        pending = set(live)
        for _ in range(rng.randint(1, 12)):
            choice = rng.random()
            if choice < 0.45 or not pending:
                key = next_key if rng.random() < 0.9 or not (set(range(1, next_key)) - pending) \
                    else rng.choice(sorted(set(range(1, next_key)) - pending))
                next_key = max(next_key, key + 1)
                if key in pending:
                    continue
                h.insert(t, random_row(rng, key))
                pending.add(key)
            elif choice < 0.75:
                key = rng.choice(sorted(pending))
                h.update(t, random_row(rng, key))
            elif choice < 0.85:
                key = rng.choice(sorted(pending))
                new_key = next_key
                next_key += 1
                h.update(t, random_row(rng, new_key), old_key={"id": key})
                pending.discard(key)
                pending.add(new_key)
            else:
                key = rng.choice(sorted(pending))
                h.delete(t, {"id": key})
                pending.discard(key)
        h.commit()
    return h, t


def key_text(table: Table, key: tuple) -> str:
    """The Hudi record key of a model key (simple or complex key generator)."""
    if len(key) == 1:
        return str(key[0])
    return ",".join(f"{name}:{value}" for name, value in zip(table.keys, key))


REGIONS = ["eu", "us", "apac", "latam"]


def random_history2(seed: int, transactions: int, composite: bool, partitioned: bool,
                    add_column_at: int | None = None, name: str = "hist"):
    """A history with every kind of change: inserts, updates, deletes, key
    changes, partition moves (region changes), re-inserts of deleted keys and,
    at transaction `add_column_at`, a new nullable column."""
    h = History(seed)
    keys = [("a", "int4", True), ("b", "text", True)] if composite else [("id", "int8", True)]
    t = h.add_table(Table("public", name, keys + [("region", "text", False), ("n", "int4", False),
                                                   ("amount", "numeric(10,3)", False)]))
    rng = h.rng
    counter = [0]
    deleted: list[tuple] = []

    def new_key():
        counter[0] += 1
        if composite:
            return {"a": counter[0] % 7, "b": f"k{counter[0]}"}
        return {"id": counter[0]}

    def row_for(key: dict) -> dict:
        row = dict(key)
        row["region"] = rng.choice(REGIONS) if partitioned else rng.choice([None, "x", "y"])
        row["n"] = rng.choice([None, rng.randint(-1000, 1000)])
        row["amount"] = rng.choice([None, decimal.Decimal(rng.randint(-10**9, 10**9)) / 1000])
        if any(c == "extra" for c, _, _ in t.columns):
            row["extra"] = rng.choice([None, f"e{rng.randint(0, 99)}"])
        return row

    for i in range(transactions):
        if add_column_at is not None and i == add_column_at:
            t.columns.append(("extra", "text", False))
            h.announced.discard(f"{t.schema}.{t.name}")
        h.begin()
        live = dict(t.rows)
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            keys_live = sorted(live)
            if r < 0.35 or not keys_live:
                if deleted and rng.random() < 0.3:
                    key = dict(zip(t.keys, deleted.pop(rng.randrange(len(deleted)))))
                    if t.key_of(key) in live:
                        continue
                else:
                    key = new_key()
                row = row_for(key)
                h.insert(t, row)
                live[t.key_of(row)] = row
            elif r < 0.7:
                k = rng.choice(keys_live)
                row = row_for(dict(zip(t.keys, k)))
                h.update(t, row)
                live[k] = row
            elif r < 0.8:
                k = rng.choice(keys_live)
                key = new_key()
                row = row_for(key)
                h.update(t, row, old_key=dict(zip(t.keys, k)))
                del live[k]
                live[t.key_of(row)] = row
                deleted.append(k)
            else:
                k = rng.choice(keys_live)
                h.delete(t, dict(zip(t.keys, k)))
                del live[k]
                deleted.append(k)
        h.commit()
    return h, t


CDC_COLUMNS = ["_change_operation_type", "_event_lsn", "_event_origin_ts_ms", "_event_tx_id"]


def expected_rows(state: dict, table: Table, columns) -> list[dict]:
    """Model rows (source columns + CDC columns) as the oracles return them,
    sorted by Hudi record key."""
    rows = []
    for key, row in state.items():
        out = {c: row.get(c) for c in columns}
        out.update({c: row[c] for c in CDC_COLUMNS})
        rows.append((key_text(table, key), out))
    rows.sort(key=lambda kv: kv[0])
    return [r for _, r in rows]


def compare_rows(got: list[dict], want: list[dict]):
    """None when rows are equal on the expected columns; columns a reader adds
    (a column added later, read as of an earlier instant) must be NULL."""
    from hudi_oracles import diff_rows
    trimmed = []
    for g, w in zip(got, want):
        extra = {c: v for c, v in g.items() if c not in w}
        if any(v is not None for v in extra.values()):
            return f"unexpected non-null columns {extra}"
        trimmed.append({c: g.get(c) for c in w})
    if len(got) != len(want):
        return f"{len(got)} rows != {len(want)} rows"
    return diff_rows(trimmed, want)

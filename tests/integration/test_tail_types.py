"""Every mapped PostgreSQL type reaches `sluice tail`'s JSON as the contract
says: JSON literals for bool, integers and floats (non-finite floats as
strings), null for NULL, the PostgreSQL text form for everything else; and the
schema line describes names, types with modifiers, nullability and keys.

Expected values come from PostgreSQL itself (each value's output function,
TimeZone=UTC, DateStyle=ISO), not from hand-typed strings, except where the
text form is the point.
"""

import struct

import pytest

from pgcluster import changes_of, rows_as_json, schema_line_matches, schema_lines, table_columns

TYPES_DDL = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE all_types (
    id            int8 PRIMARY KEY,
    c_bool        bool,
    c_int2        int2,
    c_int4        int4,
    c_int8        int8,
    c_float4      float4,
    c_float8      float8,
    c_numeric     numeric,
    c_numeric_ts  numeric(12,2),
    c_text        text,
    c_varchar     varchar(10),
    c_char        char(5),
    c_citext      citext,
    c_bytea       bytea,
    c_date        date,
    c_time        time,
    c_timestamp   timestamp,
    c_timestamptz timestamptz,
    c_uuid        uuid,
    c_json        json,
    c_jsonb       jsonb,
    c_int_arr     int[],
    c_text_arr    text[],
    c_enum        mood,
    c_domain      posint,
    c_interval    interval,
    c_inet        inet,
    c_required    text NOT NULL DEFAULT 'x'
);
"""

# One row per line: (id, the rest of the columns in declaration order but c_required).
ROWS = [
    # ordinary values
    """(1, true, 32767, 2147483647, 9223372036854775807, 1.5, 3.141592653589793,
        12345678901234567890.123456789, 12.5, 'hello "world" \\ / é ☃', 'abc', 'ab', 'MiXeD',
        '\\x0102ff', '2024-01-02', '03:04:05.123456', '2024-01-02 03:04:05.5',
        '2024-01-02 03:04:05.5+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{"a": [1, 2.5, null],  "b": "x"}', '{"b": "x", "a": [1, 2.5, null]}',
        '{1,2,3}', '{"a b","c,d",NULL,"q\\"uote"}', 'happy', 42, '1 day 02:00:00', '192.168.0.1/24')""",
    # minima, negatives, empties, non-finite values
    """(2, false, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN',
        'NaN', -0.01, '', '', '', '', '\\x', '-infinity', '24:00:00', 'infinity',
        '-infinity', '00000000-0000-0000-0000-000000000000', 'null', '[]',
        '{}', '{}', 'sad', 1, '-1 years -2 mons +3 days -04:05:06.789', '::1')""",
    # the other non-finite values and BC dates
    """(3, NULL, 0, 0, 0, 'Infinity', 'Infinity', 'Infinity', 'NaN', E'tab\\tnewline\\ncontrol\\x01',
        'ten chars!', 'abcde', NULL, NULL, '0044-03-15 BC', '00:00:00', '0001-01-01 00:00:00 BC',
        '4713-01-01 00:00:00+00 BC', NULL, '"just a string"', '{"nested": {"deep": [true, false]}}',
        '{{1,2},{3,4}}', '{"\\\\backslash"}', 'ok', 2147483647, '0 seconds', '10.0.0.0/8')""",
    # float precision edges
    """(4, true, 1, 1, 1, 'NaN', '-Infinity', '-Infinity', 0, 'x', 'x', 'x', 'x', '\\x00',
        '2000-02-29', '23:59:59.999999', '2024-02-29 23:59:59.999999', '1999-12-31 23:59:59.999999+00',
        NULL, '{}', '{}', '{NULL}', '{""}', NULL, NULL, '-178000000 years', NULL)""",
    """(5, NULL, NULL, NULL, NULL, 3.4028235e38, 1e308, -0.000000000000000000001, 9999999999.99,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL)""",
    """(6, NULL, NULL, NULL, NULL, 1e-45, 5e-324, 1e-1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""",
    """(7, NULL, NULL, NULL, NULL, 0.1, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""",
    # every nullable column NULL
    """(8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""",
]

COLUMNS_BUT_REQUIRED = """id, c_bool, c_int2, c_int4, c_int8, c_float4, c_float8, c_numeric, c_numeric_ts,
    c_text, c_varchar, c_char, c_citext, c_bytea, c_date, c_time, c_timestamp, c_timestamptz, c_uuid,
    c_json, c_jsonb, c_int_arr, c_text_arr, c_enum, c_domain, c_interval, c_inet"""


@pytest.fixture
def typed(db, sluice):
    """all_types filled after the slot exists; returns the tail events of those inserts."""
    db.sql(TYPES_DDL)
    db.create_slot()
    db.create_publication()
    db.transaction(*(f"INSERT INTO all_types ({COLUMNS_BUT_REQUIRED}) VALUES {row}" for row in ROWS))
    return sluice.changes(len(ROWS))


def as_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def assert_same_value(column: dict, got, want, row_id):
    where = f"row {row_id}, column {column['name']} ({column['type']})"
    if column["base"] == "float4" and isinstance(want, float):
        # The same float4, however many digits sluice prints.
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{where}: {got!r} is not a number"
        assert as_float32(float(got)) == as_float32(want), f"{where}: {got!r} != {want!r}"
    elif isinstance(want, bool) or want is None:
        assert got is want, f"{where}: {got!r} is not {want!r}"
    elif isinstance(want, (int, float)):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{where}: {got!r} is not a number"
        if isinstance(want, int):
            assert isinstance(got, int), f"{where}: {got!r} printed as a float, want the integer {want}"
        assert got == want, f"{where}: {got!r} != {want!r}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def test_every_mapped_type_is_printed_in_its_contract_form(db, typed):
    columns = table_columns(db, "all_types")
    expected = {r["id"]: r for r in rows_as_json(db, "all_types")}
    inserts = changes_of(typed)
    assert [c["op"] for c in inserts] == ["c"] * len(ROWS)
    for change in inserts:
        after = change["after"]
        assert change["before"] is None
        assert set(after) == {c["name"] for c in columns}, f"columns of row {after.get('id')}"
        want = expected[after["id"]]
        for column in columns:
            assert_same_value(column, after[column["name"]], want[column["name"]], after["id"])


def test_text_forms_follow_iso_utc_server_output(db, typed):
    """Spot checks where the exact text form is itself the contract."""
    rows = {c["after"]["id"]: c["after"] for c in changes_of(typed)}
    r1, r2, r3 = rows[1], rows[2], rows[3]
    assert r1["c_bool"] is True and r2["c_bool"] is False and r3["c_bool"] is None
    assert r1["c_int8"] == 9223372036854775807 and r2["c_int8"] == -9223372036854775808
    assert r1["c_numeric_ts"] == "12.50"
    assert r2["c_numeric_ts"] == "-0.01"
    assert r2["c_numeric"] == "NaN" and r3["c_numeric"] == "Infinity" and rows[4]["c_numeric"] == "-Infinity"
    assert r3["c_numeric_ts"] == "NaN"
    assert r2["c_float4"] == "-Infinity" and r2["c_float8"] == "NaN"
    assert r3["c_float4"] == "Infinity" and r3["c_float8"] == "Infinity"
    assert rows[4]["c_float4"] == "NaN" and rows[4]["c_float8"] == "-Infinity"
    assert r1["c_float8"] == 3.141592653589793
    assert r1["c_char"] == "ab   ", "char(n) keeps its padding in the text form"
    assert r1["c_bytea"] == "\\x0102ff" and r2["c_bytea"] == "\\x"
    assert r1["c_date"] == "2024-01-02"
    assert r1["c_timestamptz"] == "2024-01-02 03:04:05.5+00"
    assert r1["c_timestamp"] == "2024-01-02 03:04:05.5"
    assert r2["c_date"] == "-infinity" and r2["c_timestamp"] == "infinity" and r2["c_timestamptz"] == "-infinity"
    assert r3["c_date"] == "0044-03-15 BC"
    assert r3["c_timestamptz"] == "4713-01-01 00:00:00+00 BC"
    assert r2["c_time"] == "24:00:00"
    assert r1["c_json"] == '{"a": [1, 2.5, null],  "b": "x"}', "json keeps its input text"
    assert r1["c_jsonb"] == '{"a": [1, 2.5, null], "b": "x"}'
    assert r2["c_json"] == "null", "a JSON null document is a string, not a SQL NULL"
    assert r1["c_int_arr"] == "{1,2,3}"
    assert r1["c_text_arr"] == '{"a b","c,d",NULL,"q\\"uote"}'
    assert r1["c_enum"] == "happy"
    assert r1["c_domain"] == 42, "a domain over int prints as its base type: a JSON number"
    assert r1["c_interval"] == "1 day 02:00:00"
    assert r1["c_inet"] == "192.168.0.1/24"
    assert r3["c_text"] == "tab\tnewline\ncontrol\x01"
    assert r1["c_text"] == 'hello "world" \\ / é ☃'


def test_null_values_are_json_null_in_every_column(db, typed):
    row = next(c["after"] for c in changes_of(typed) if c["after"]["id"] == 8)
    for name, value in row.items():
        if name not in ("id", "c_required"):
            assert value is None, f"{name}: {value!r}"
    assert row["c_required"] == "x"


def test_schema_line_reports_types_with_modifiers_nullability_and_keys(db, typed):
    lines = schema_lines(typed, "all_types")
    assert len(lines) == 1, f"one schema line expected before the first change, got {len(lines)}"
    assert typed[0]["op"] == "schema", "the schema line comes before the table's first change"
    line = lines[0]
    assert line["schema"] == "public" and line["table"] == "all_types"
    columns = table_columns(db, "all_types")
    problem = schema_line_matches(line, columns)
    assert problem is None, problem
    types = {c["name"]: c["type"] for c in line["columns"]}
    # The modifiers and names the contract spells out.
    assert types["c_numeric_ts"] == "numeric(12,2)"
    assert types["c_varchar"] == "varchar(10)"
    assert types["c_char"] == "bpchar(5)"
    assert types["c_int_arr"] == "int4[]"
    assert types["c_text_arr"] == "text[]"
    assert types["c_enum"] == "mood"
    assert types["c_domain"] == "posint"
    assert types["c_citext"] == "citext"
    assert types["c_timestamptz"] == "timestamptz"
    assert types["id"] == "int8"
    keyed = [c["name"] for c in line["columns"] if c["key"]]
    assert keyed == ["id"]
    nullable = {c["name"]: c["nullable"] for c in line["columns"]}
    assert nullable["id"] is False and nullable["c_required"] is False and nullable["c_text"] is True


def test_values_survive_update_and_delete_unchanged(db, sluice):
    """Old-row images (REPLICA IDENTITY FULL) carry the same typed values as new rows."""
    db.sql(TYPES_DDL)
    db.sql("ALTER TABLE all_types REPLICA IDENTITY FULL")
    db.sql(f"INSERT INTO all_types ({COLUMNS_BUT_REQUIRED}) VALUES {ROWS[0]}, {ROWS[1]}")
    before = {r["id"]: r for r in rows_as_json(db, "all_types")}
    db.create_slot()
    db.create_publication()
    db.sql("UPDATE all_types SET c_text = 'changed' WHERE id = 1")
    db.sql("DELETE FROM all_types WHERE id = 2")
    after = {r["id"]: r for r in rows_as_json(db, "all_types")}
    update, delete = changes_of(sluice.changes(2))
    columns = table_columns(db, "all_types")
    assert update["op"] == "u" and delete["op"] == "d"
    for column in columns:
        name = column["name"]
        assert_same_value(column, update["before"][name], before[1][name], 1)
        assert_same_value(column, update["after"][name], after[1][name], 1)
        assert_same_value(column, delete["before"][name], before[2][name], 2)
    assert delete["after"] is None

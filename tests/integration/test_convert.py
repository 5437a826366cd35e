"""PostgreSQL text forms -> typed values (src/change/convert.c), checked against
PostgreSQL itself: the server prints each value (as `sluice tail` receives it)
and also states its truth by other means (day counts by date subtraction,
epoch microseconds by extract(epoch ...) at every TimeZone, float bits by
float8send/float4send, decimals rounded by round(x, s), bytea by encode(hex),
bool by its input function). tests/unit/convert_tool.c runs the C conversions.

The tool is found in $SLUICE_BUILD_DIR (default: build/ in the repository).
"""

import os
import random
import re
import struct
import subprocess
from decimal import Decimal

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("SLUICE_BUILD_DIR", os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD_DIR, "convert_tool")
INT64_MAX = 2**63 - 1
OFFSET = re.compile(r"[+-]\d\d(:\d\d){0,2}$")

# Zones with half-hour and 45-minute offsets, DST both ways, and local mean
# time with seconds before standard time (e.g. Amsterdam +00:19:32 until 1937).
ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "America/Sao_Paulo",
         "America/St_Johns", "Europe/Amsterdam", "Australia/Lord_Howe", "Pacific/Chatham",
         "Africa/Monrovia", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.fixture(scope="module")
def tool():
    if not os.access(TOOL, os.X_OK):
        pytest.fail(f"convert_tool not found at {TOOL} (build it, or set SLUICE_BUILD_DIR)")
    return TOOL


def convert(tool: str, typ: str, texts: list[str]) -> list[str]:
    """One result line per text: 'OK\\t<value>', 'EINVAL' or 'ELIMIT'."""
    for text in texts:
        assert "\n" not in text and "\t" not in text, text
    data = "".join(f"{typ}\t{text}\n" for text in texts)
    proc = subprocess.run([tool], input=data.encode(), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode().splitlines()
    assert len(out) == len(texts), f"{len(out)} results for {len(texts)} values"
    return out


def check(tool: str, typ: str, pairs: list[tuple[str, str]]) -> None:
    """pairs: (PostgreSQL's text, the expected tool line); all must agree."""
    got = convert(tool, typ, [text for text, _ in pairs])
    bad = [f"{text!r}: got {g!r}, want {want!r}" for (text, want), g in zip(pairs, got) if g != want]
    assert not bad, f"{len(bad)} of {len(pairs)} {typ} values disagree with PostgreSQL:\n" + "\n".join(bad[:15])


def session(db, **settings):
    """A connection of its own with ISO output and the given settings."""
    conn = db.connect()
    conn.execute("SET DateStyle = ISO")
    conn.execute("SET IntervalStyle = postgres")
    conn.execute("SET extra_float_digits = 1")
    for key, value in settings.items():
        conn.execute(f"SET {key} = '{value}'")
    return conn


# ---------------------------------------------------------------- dates and times
def test_dates_from_julian_day_zero_to_the_last_postgres_date(db, tool):
    rng = random.Random(1)
    lo, hi = -2440588, 2145042905  # 4714-11-24 BC .. 5874897-12-31
    offsets = [rng.randint(lo, hi) for _ in range(4000)]
    offsets += [rng.randint(-740000, -700000) for _ in range(2000)]  # around 1 BC / 1 AD
    offsets += list(range(-719530, -719100, 7)) + [lo, hi, 0, -1, 11016, 10957, -719162, -719163]
    with session(db) as conn:
        rows = conn.execute(
            "SELECT d::text, d - date '1970-01-01' FROM "
            "(SELECT date '1970-01-01' + x AS d FROM unnest(%s::int4[]) x) s", (offsets,)).fetchall()
        specials = conn.execute("SELECT 'infinity'::date::text, '-infinity'::date::text").fetchone()
    assert any(text.endswith(" BC") for text, _ in rows)
    pairs = [(text, f"OK\t{days}") for text, days in rows]
    pairs += [(text, "ELIMIT") for text in specials]
    check(tool, "date", pairs)


@pytest.fixture(scope="module")
def instants(pg):
    """Random instants from 4713 BC to the int64 end, plus every DST switch of 2024 around."""
    rng = random.Random(2)
    lo = -210863520000000000  # 4713-01-01 00:00:00 UTC BC
    micros = [rng.randint(lo, INT64_MAX - 1) for _ in range(1500)]
    micros += [rng.randint(-5000000000000000, 4000000000000000) for _ in range(1500)]  # 1811..2096
    micros += [rng.randint(-3000000000000000, -1000000000000000) for _ in range(500)]  # LMT era
    # every 15 minutes (plus odd micros) through 2024's DST switches of all zones
    start = 1704067200000000  # 2024-01-01 UTC
    for day in range(0, 366, 1):
        base = start + day * 86400000000
        micros += [base + q * 900000000 + rng.randint(0, 999999) for q in range(0, 96, 7)]
    # INT64_MAX itself is in the unit tests: extract(epoch ...) of it takes a numeric
    # division in PostgreSQL that keeps only 16 digits
    micros += [0, -1, 1, lo, INT64_MAX - 1, -62135596800000000, -62135596800000001]
    return micros


def test_timestamptz_at_every_offset_reads_back_to_the_same_instant(db, tool, instants):
    db.sql("CREATE TABLE ts_values (ts timestamptz)")
    with session(db, TimeZone="UTC") as conn:
        conn.execute(
            "INSERT INTO ts_values SELECT timestamptz 'epoch' + (x / 86400000000) * interval '1 day'"
            " + (x %% 86400000000) * interval '1 microsecond' FROM unnest(%s::int8[]) x", (instants,))
    offsets_seen = set()
    for zone in ZONES:
        with session(db, TimeZone=zone) as conn:
            rows = conn.execute(
                "SELECT ts::text, (extract(epoch FROM ts) * 1000000)::numeric(40,0)::text FROM ts_values"
            ).fetchall()
            # beyond the int64 end: PostgreSQL's range ends in 294276, int64 micros in 294247
            rows += conn.execute(
                "SELECT ts::text, (extract(epoch FROM ts) * 1000000)::numeric(40,0)::text FROM "
                "(VALUES (timestamptz '294250-01-01 00:00:00+00'), (timestamptz '294276-12-31 23:59:59.999999+00')) v(ts)"
            ).fetchall()
            specials = conn.execute("SELECT 'infinity'::timestamptz::text, '-infinity'::timestamptz::text").fetchone()
        pairs = []
        for text, micros in rows:
            offsets_seen.add(OFFSET.search(text.removesuffix(" BC")).group(0))
            pairs.append((text, f"OK\t{micros}" if int(micros) <= INT64_MAX else "ELIMIT"))
        pairs += [(text, "ELIMIT") for text in specials]
        check(tool, "timestamptz", pairs)
    # the zones produced offsets with minutes and with seconds
    assert any(len(o) == 6 and o[-2:] != "00" for o in offsets_seen), offsets_seen
    assert any(len(o) == 9 for o in offsets_seen), offsets_seen


def test_timestamp_without_time_zone_is_the_wall_clock_as_if_utc(db, tool, instants):
    with session(db, TimeZone="UTC") as conn:
        rows = conn.execute(
            "SELECT t::text, (extract(epoch FROM t) * 1000000)::numeric(40,0)::text FROM "
            "(SELECT timestamp 'epoch' + (x / 86400000000) * interval '1 day'"
            " + (x %% 86400000000) * interval '1 microsecond' AS t FROM unnest(%s::int8[]) x) s",
            (instants,)).fetchall()
    pairs = [(text, f"OK\t{micros}" if int(micros) <= INT64_MAX else "ELIMIT") for text, micros in rows]
    check(tool, "timestamp", pairs)
    # and the offset form is refused for it, the bare form for timestamptz
    assert convert(tool, "timestamp", ["2024-01-15 10:15:30+00"]) == ["EINVAL"]
    assert convert(tool, "timestamptz", ["2024-01-15 10:15:30"]) == ["EINVAL"]


def test_times_of_day(db, tool):
    rng = random.Random(3)
    micros = [rng.randint(0, 86400000000) for _ in range(3000)] + [0, 86400000000, 86399999999, 500000]
    with session(db) as conn:
        rows = conn.execute(
            "SELECT t::text, (extract(epoch FROM t) * 1000000)::int8 FROM "
            "(SELECT time '00:00' + x * interval '1 microsecond' AS t FROM unnest(%s::int8[]) x) s",
            (micros,)).fetchall()
        rows += conn.execute("SELECT '24:00:00'::time::text, 86400000000::int8").fetchall()
    check(tool, "time", [(text, f"OK\t{m}") for text, m in rows])


# ---------------------------------------------------------------- numbers
def random_float8(rng: random.Random) -> float:
    kind = rng.random()
    if kind < 0.6:
        bits = rng.getrandbits(64)
    elif kind < 0.7:
        bits = rng.getrandbits(52) | (rng.getrandbits(1) << 63)  # subnormal
    elif kind < 0.85:
        return float(rng.randint(-2**53, 2**53)) / 10 ** rng.randint(0, 8)  # typical data
    else:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 6))
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def test_float8_texts_read_back_to_the_same_bits(db, tool):
    rng = random.Random(4)
    values = [random_float8(rng) for _ in range(20000)]
    values += [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1e23,
               float("inf"), float("-inf"), float("nan")]
    with session(db) as conn:
        rows = conn.execute("SELECT x::text, encode(float8send(x), 'hex') FROM unnest(%s::float8[]) x",
                            (values,)).fetchall()
    assert any("e" in text for text, _ in rows)
    check(tool, "float8", [(text, f"OK\t{bits}") for text, bits in rows])


def test_float4_texts_read_back_to_the_same_bits(db, tool):
    rng = random.Random(5)
    values = []
    while len(values) < 20000:
        f = struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]
        if f == f and abs(f) != float("inf"):
            values.append(f)  # exactly a float4, so the cast below is exact
    values += [0.0, -0.0, 1e-45, 3.4028234663852886e38, 0.1, float("inf"), float("nan")]
    with session(db) as conn:
        rows = conn.execute(
            "SELECT f::text, encode(float4send(f), 'hex') FROM (SELECT x::float4 AS f FROM unnest(%s::float8[]) x) s",
            (values,)).fetchall()
    check(tool, "float4", [(text, f"OK\t{bits}") for text, bits in rows])


@pytest.mark.parametrize("precision,scale", [(12, 2), (38, 10), (38, 0), (18, 9), (5, 5), (1, 0), (20, 3)])
def test_numeric_to_decimal_rounds_and_limits_like_postgres(db, tool, precision, scale):
    rng = random.Random(precision * 100 + scale)
    texts = []
    for _ in range(2500):
        int_digits = rng.choice([0, 1, 2, precision - scale, precision - scale + 1, rng.randint(0, 40)])
        frac_digits = rng.choice([0, scale, scale + 1, rng.randint(0, 30)])
        whole = "".join(rng.choice("0123456789") for _ in range(max(int_digits, 1)))
        if rng.random() < 0.2:
            whole = "9" * max(int_digits, 1)
        frac = "".join(rng.choice("0123456789" if rng.random() < 0.7 else "59") for _ in range(frac_digits))
        texts.append(("-" if rng.random() < 0.4 else "") + whole + ("." + frac if frac else ""))
    texts += ["0", "-0.5", "0.5", "NaN", "Infinity", "-Infinity"]
    with session(db) as conn:
        rows = conn.execute(
            "SELECT x::text, CASE WHEN x IN ('NaN', 'Infinity', '-Infinity') THEN 'EINVAL'"
            " WHEN abs(round(x, %s)) >= 10::numeric ^ (%s - %s) THEN 'ELIMIT'"
            " ELSE (round(x, %s) * 10::numeric ^ %s)::numeric(1000,0)::text END"
            " FROM unnest(%s::numeric[]) x",
            (scale, precision, scale, scale, scale, texts)).fetchall()
    got = convert(tool, f"numeric({precision},{scale})", [text for text, _ in rows])
    bad = []
    for (text, want), line in zip(rows, got):
        if line.startswith("OK\t"):
            value = str(int.from_bytes(bytes.fromhex(line[3:]), "big", signed=True))
        else:
            value = line
        if value != want:
            bad.append(f"{text}: got {value}, want {want}")
    assert not bad, f"{len(bad)} of {len(rows)} disagree:\n" + "\n".join(bad[:15])
    assert any(w == "ELIMIT" for _, w in rows) and sum(w.lstrip("-").isdigit() for _, w in rows) > 100


@pytest.mark.parametrize("typ,lo,hi", [("int2", -2**15, 2**15 - 1), ("int4", -2**31, 2**31 - 1),
                                       ("int8", -2**63, 2**63 - 1)])
def test_integers_and_their_ranges(db, tool, typ, lo, hi):
    rng = random.Random(hi)
    values = [rng.randint(lo, hi) for _ in range(3000)] + [lo, hi, 0, -1]
    with session(db) as conn:
        rows = conn.execute(f"SELECT x::text, x::text FROM unnest(%s::{typ}[]) x", (values,)).fetchall()
        # one past each end: numeric text, refused by the type's input function
        over = conn.execute("SELECT (%s::numeric - 1)::text, (%s::numeric + 1)::text", (lo, hi)).fetchone()
    pairs = [(text, f"OK\t{value}") for text, value in rows] + [(text, "ELIMIT") for text in over]
    check(tool, typ, pairs)


def test_bool_accepts_what_boolin_accepts(db, tool):
    db.sql("CREATE FUNCTION try_bool(t text) RETURNS text LANGUAGE plpgsql AS $$"
           " BEGIN RETURN t::bool::text; EXCEPTION WHEN others THEN RETURN NULL; END $$")
    words = ["t", "f", "true", "false", "yes", "no", "on", "off", "1", "0", "y", "n", "o", "of",
             "tr", "tru", "truee", "fa", "fals", "ye", "yess", "", " ", " t ", "TRUE", "False", "On",
             "OFF", "10", "01", "2", "-1", "t f", "nope", "onn", "offf", "x"]
    with session(db) as conn:
        rows = conn.execute("SELECT w, try_bool(w) FROM unnest(%s::text[]) w", (words,)).fetchall()
    check(tool, "bool", [(w, "EINVAL" if v is None else f"OK\t{'t' if v == 'true' else 'f'}") for w, v in rows])


@pytest.mark.parametrize("output", ["hex", "escape"])
def test_bytea_in_both_output_forms(db, tool, output):
    rng = random.Random(6)
    blobs = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))) for _ in range(1000)]
    blobs += [b"", b"\\", b"\x00", bytes(range(256))]
    with session(db, bytea_output=output) as conn:
        rows = conn.execute("SELECT b::text, encode(b, 'hex') FROM unnest(%s::bytea[]) b", (blobs,)).fetchall()
    if output == "escape":
        assert any("\\\\" in text for text, _ in rows) and any("\\000" in text for text, _ in rows)
    check(tool, "bytea", [(text, f"OK\t{hexed}") for text, hexed in rows])

#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_copy_binary.c into fuzz/corpus/copy_binary/.

Each file is one fuzz input: a first byte that picks the type OIDs (field i
is read as TYPES[(first byte + i) % len(TYPES)], the order of type_oids[] in
the fuzz target), then a binary COPY stream. Python 3 standard library only;
run it from anywhere: python3 fuzz/make_corpus_copy_binary.py
"""
import os
import struct

TYPES = ["bool", "int2", "int4", "int8", "oid", "float4", "float8", "numeric", "date", "time",
         "timestamp", "timestamptz", "uuid", "bytea", "text", "varchar", "bpchar", "name", "json",
         "char", "jsonb"]
MAX_FIELDS = 64  # the fuzz target's field limit

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)


def seed(type_name):
    return bytes([TYPES.index(type_name)])


def row(*fields):
    out = struct.pack(">h", len(fields))
    for f in fields:
        out += struct.pack(">i", -1) if f is None else struct.pack(">i", len(f)) + f
    return out


def numeric(ndigits_weight_sign_dscale, digits):
    nd, weight, sign, dscale = ndigits_weight_sign_dscale
    return struct.pack(">hhHH", nd, weight, sign, dscale) + b"".join(
        struct.pack(">H", d) for d in digits)


US_PER_DAY = 86400 * 1000000

# One value of each type, in TYPES order (a row read with first byte 0).
ALL_TYPES_ROW = [
    b"\x01",
    struct.pack(">h", -32768),
    struct.pack(">i", 42),
    struct.pack(">q", -1),
    struct.pack(">I", 4294967295),
    struct.pack(">f", 0.1),
    struct.pack(">d", 1e23),
    numeric((2, 0, 0x4000, 2), [12, 5000]),  # -12.50
    struct.pack(">i", 8825),  # 2024-02-29
    struct.pack(">q", 49500 * 1000000 + 500000),  # 13:45:00.5
    struct.pack(">q", 757479845123456),  # 2024-01-02 03:04:05.123456
    struct.pack(">q", -63113904000000000),  # a time in 1 BC
    bytes.fromhex("a0eebc999c0b4ef8bb6d6bb9bd380a11"),
    b"\x00\xff\x10",
    "h\u00e9llo".encode(),
    b"varchar",
    b"ab   ",
    b"name",
    b'{"a": 1}',
    b"\xff",
    b'\x01{"b": [1, 2]}',
]
EDGE_ROW = [
    b"\x00",
    struct.pack(">h", 32767),
    struct.pack(">i", -2147483648),
    struct.pack(">q", 9223372036854775807),
    struct.pack(">I", 0),
    struct.pack(">I", 0x00000001),  # float4 denormal
    struct.pack(">Q", 0x8000000000000000),  # float8 -0
    numeric((0, 0, 0xC000, 0), []),  # NaN
    struct.pack(">i", 2147483647),  # infinity
    struct.pack(">q", US_PER_DAY),  # 24:00:00
    struct.pack(">q", -9223372036854775808),  # -infinity
    struct.pack(">q", 9223372036854775806),  # beyond the server's range
    bytes(16),
    b"",
    b"",
    b"",
    b"",
    b"",
    b"",
    b"\x00",
    b"\x01",
]


def files():
    yield "all_types", seed("bool") + HEADER + row(*ALL_TYPES_ROW) + row(*EDGE_ROW) + TRAILER
    yield "nulls_and_empty", seed("text") + HEADER + row(None, b"", None) + row(b"", None) + \
        row() + TRAILER
    yield "empty_table", seed("int4") + HEADER + TRAILER
    yield "header_extension", seed("int8") + b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 4) + \
        b"ext!" + row(struct.pack(">q", 1)) + TRAILER
    yield "numeric_edges", seed("numeric") + HEADER + b"".join(row(v) for v in [
        numeric((1, -1, 0, 4), [1]),  # 0.0001
        numeric((1, 0x7fff, 0, 0), [1]),  # a huge weight
        numeric((1, -0x8000, 0x4000, 0x3fff), [1]),  # a tiny negative value, largest scale
        numeric((0, 0, 0x4000, 2), []),  # negative zero
        numeric((2, 0, 0, 2), [12, 3456]),  # digits beyond dscale
        numeric((0, 0, 0xD000, 0), []),  # Infinity
        numeric((0, 0, 0xF000, 0), []),  # -Infinity
        numeric((1, 0, 0, 0), [10000]),  # an invalid digit
    ]) + TRAILER
    yield "float8_edges", seed("float8") + HEADER + b"".join(row(struct.pack(">Q", b)) for b in [
        0x0000000000000001, 0x000fffffffffffff, 0x7fefffffffffffff, 0x44b52d02c7e14af6,
        0x4360f96e8114b62a, 0x7ff8000000000000, 0xfff0000000000000, 0x3fb999999999999a,
    ]) + TRAILER
    yield "float4_edges", seed("float4") + HEADER + b"".join(row(struct.pack(">I", b)) for b in [
        0x00000001, 0x7f7fffff, 0x80000000, 0x4b800000, 0x3dcccccd, 0x7fc00000,
    ]) + TRAILER
    yield "timestamps", seed("timestamptz") + HEADER + b"".join(row(struct.pack(">q", t)) for t in [
        0, -1, 9223372036854775807, -211813488000000000, 9223371331200000000 - 1,
    ]) + TRAILER
    yield "dates", seed("date") + HEADER + b"".join(row(struct.pack(">i", d)) for d in [
        0, -1, 59, -730120, -2451545, 2147483646, -2147483648,
    ]) + TRAILER
    # Malformed streams: each must fail cleanly.
    yield "bad_signature", seed("text") + b"PGCOPY\n\xfe\r\n\x00" + struct.pack(">ii", 0, 0) + \
        TRAILER
    yield "oids_flag", seed("text") + b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 1 << 16, 0) + \
        row(b"x") + TRAILER
    yield "truncated_row", seed("text") + HEADER + row(b"abc", b"defgh")[:-3]
    yield "negative_length", seed("text") + HEADER + struct.pack(">hi", 1, -2) + b"xx" + TRAILER
    yield "too_many_fields", seed("text") + HEADER + row(*([b"f"] * (MAX_FIELDS + 1))) + TRAILER
    yield "after_trailer", seed("uuid") + HEADER + row(bytes(range(16))) + TRAILER + b"trailing"


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "copy_binary")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in files():
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(data)
        print(f"{name}.bin {len(data)} bytes")


if __name__ == "__main__":
    main()

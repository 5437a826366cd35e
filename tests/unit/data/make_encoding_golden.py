#!/usr/bin/env python3
"""Golden page bodies for tests/unit/test_parquet_encoding.c and test_parquet_compress.c.

pyarrow (the oracle) writes one-column Parquet files with each encoding, page version and
codec; this script finds the column chunk through pyarrow's metadata, parses the page headers
with a tiny Thrift compact-protocol reader of its own (so the C side does not depend on our
Thrift codec), and saves the raw sections plus what pyarrow reads back:

  encoding/cases.txt      one line per case (see HEADER below)
  encoding/levels_*.bin   definition levels as stored (v1: with the 4-byte length; v2: bare)
  encoding/values_*.bin   the encoded values section of the data page
  encoding/dict_*.bin     the dictionary page body (dictionary cases)
  encoding/expect_*.bin   expected values: fixed-width values as stored (little-endian
                          numbers, FIXED_LEN_BYTE_ARRAY bytes), BYTE_ARRAY values PLAIN-encoded
                          (4-byte length + bytes); BOOLEAN a byte each
  encoding/deflevels_*.bin  expected definition levels, a byte per row
  encoding/compress.txt   codec cases; compressed page bodies and their uncompressed bytes
Every file but the two lists is named by a hash of its content and stored once, under the
name it first got (a PLAIN values section is also the expected values, say).

Run from anywhere with the test venv: .venv/bin/python tests/unit/data/make_encoding_golden.py
Output is deterministic for a given pyarrow version (pinned in tests/requirements.txt).
"""
import decimal
import gzip
import hashlib
import os
import random
import struct
import sys
import tempfile
import zlib

import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "encoding")

HEADER = """\
# Golden Parquet page sections written by pyarrow (make_encoding_golden.py; do not edit).
# name page_version physical width encoding num_values num_nulls levels values dict dict_count
#   expect deflevels
# physical: BOOLEAN INT32 INT64 FLOAT DOUBLE BYTE_ARRAY FIXED_LEN_BYTE_ARRAY; width is the
# value width in bytes (0 for BYTE_ARRAY); encoding is the data page's values encoding;
# levels and deflevels are '-' for required columns, dict '-' without a dictionary page.
"""

PHYSICAL = {0: "BOOLEAN", 1: "INT32", 2: "INT64", 4: "FLOAT", 5: "DOUBLE", 6: "BYTE_ARRAY",
            7: "FIXED_LEN_BYTE_ARRAY"}
ENCODING = {0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 5: "DELTA_BINARY_PACKED",
            6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY",
            9: "BYTE_STREAM_SPLIT"}


# ------------------------------------------------------------------ Thrift compact reader

class CompactReader:
    """Just enough of the Thrift compact protocol to read a PageHeader into nested dicts
    keyed by field id."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = value = 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, ctype):
        if ctype in (1, 2):  # bool inside a field header
            return ctype == 1
        if ctype == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if ctype in (4, 5, 6):
            return self.zigzag()
        if ctype == 7:
            v = struct.unpack_from("<d", self.data, self.pos)[0]
            self.pos += 8
            return v
        if ctype == 8:
            n = self.varint()
            v = bytes(self.data[self.pos:self.pos + n])
            self.pos += n
            return v
        if ctype in (9, 10):
            head = self.byte()
            n, etype = head >> 4, head & 0x0F
            if n == 15:
                n = self.varint()
            if etype in (1, 2):
                return [self.byte() == 1 for _ in range(n)]
            return [self.value(etype) for _ in range(n)]
        if ctype == 11:
            n = self.varint()
            if n == 0:
                return {}
            kv = self.byte()
            return {self.value(kv >> 4): self.value(kv & 0x0F) for _ in range(n)}
        if ctype == 12:
            return self.struct()
        raise ValueError("unknown compact type %d" % ctype)

    def struct(self):
        fields = {}
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return fields
            delta, ctype = head >> 4, head & 0x0F
            fid = last + delta if delta else self.zigzag()
            fields[fid] = self.value(ctype)
            last = fid


def read_pages(path):
    """Yields (header dict, body bytes) for each page of row group 0, column 0."""
    meta = pq.ParquetFile(path).metadata.row_group(0).column(0)
    start = meta.data_page_offset
    if meta.has_dictionary_page and meta.dictionary_page_offset is not None:
        start = min(start, meta.dictionary_page_offset)
    with open(path, "rb") as f:
        f.seek(start)
        chunk = f.read(meta.total_compressed_size)
    pos = 0
    while pos < len(chunk):
        reader = CompactReader(chunk, pos)
        header = reader.struct()
        body = chunk[reader.pos:reader.pos + header[3]]
        pos = reader.pos + header[3]
        yield header, body


# ------------------------------------------------------------------ data sets

def with_nulls(rng, values, rate=0.1):
    return [None if rng.random() < rate else v for v in values]


def make_data():
    rng = random.Random(20261125)
    n = 300
    sets = {}

    sets["bool"] = (pa.bool_(), with_nulls(rng, [rng.random() < 0.3 for _ in range(n - 40)] +
                                                [True] * 20 + [False] * 20))
    i32 = [rng.randint(-1000, 1000) for _ in range(100)]
    i32 += [5000 + 3 * k for k in range(80)]  # small constant deltas
    i32 += [-(2 ** 31), 2 ** 31 - 1, 0, -1, 2 ** 31 - 1, -(2 ** 31)] * 5  # wrap-around deltas
    i32 += [7] * 40  # a long run
    i32 += [rng.randint(-(2 ** 31), 2 ** 31 - 1) for _ in range(n - len(i32))]
    sets["int32"] = (pa.int32(), with_nulls(rng, i32))
    i64 = [rng.randint(-(2 ** 40), 2 ** 40) for _ in range(100)]
    i64 += [1_700_000_000_000_000 + 1000 * k for k in range(80)]  # timestamps in micros
    i64 += [-(2 ** 63), 2 ** 63 - 1, 0, -1, 2 ** 63 - 1, -(2 ** 63)] * 5
    i64 += [-42] * 40
    i64 += [rng.randint(-(2 ** 63), 2 ** 63 - 1) for _ in range(n - len(i64))]
    sets["int64"] = (pa.int64(), with_nulls(rng, i64))
    sets["int64_required"] = (pa.int64(), i64[:200])

    # floats as bit patterns (kept exact through from_buffers): NaN payloads, -0.0,
    # infinities, subnormals
    f32 = [0x7FC00000, 0x7FC00001, 0xFFC00000, 0x7F800001, 0x80000000, 0x00000000,
           0x7F800000, 0xFF800000, 0x00000001, 0x807FFFFF, 0x3F800000, 0xC0490FDB]
    f32 += [struct.unpack("<I", struct.pack("<f", rng.uniform(-1e6, 1e6)))[0]
            for _ in range(n - len(f32))]
    sets["float"] = (pa.float32(), with_nulls(rng, f32))
    f64 = [0x7FF8000000000000, 0x7FF8000000000001, 0xFFF8000000000000,
           0x7FF0000000000001, 0x8000000000000000, 0, 0x7FF0000000000000,
           0xFFF0000000000000, 1, 0x800FFFFFFFFFFFFF, 0x3FF0000000000000]
    f64 += [struct.unpack("<Q", struct.pack("<d", rng.uniform(-1e12, 1e12)))[0]
            for _ in range(n - len(f64))]
    sets["double"] = (pa.float64(), with_nulls(rng, f64))

    words = ["", "a", "customer_000123", "customer_000124", "customer_000200", "ζω🙂",
             "customer_", "b" * 17]
    strings = [rng.choice(words) if rng.random() < 0.3 else
               "customer_%06d" % rng.randint(0, 999999) for _ in range(150)]
    strings.append("x" * 300)
    strings.sort(key=lambda s: (s[:5], rng.random()))  # shared prefixes for DELTA_BYTE_ARRAY
    sets["string"] = (pa.string(), with_nulls(rng, strings))
    sets["string_required"] = (pa.string(), strings[:100])

    sets["fixed16"] = (pa.binary(16), with_nulls(
        rng, [bytes(rng.getrandbits(8) for _ in range(16)) for _ in range(100)]))
    decs = [decimal.Decimal(rng.randint(-10 ** 12 + 1, 10 ** 12 - 1)).scaleb(-2)
            for _ in range(150)]
    decs[:3] = [decimal.Decimal("9999999999.99"), decimal.Decimal("-9999999999.99"),
                decimal.Decimal("0.00")]
    sets["decimal"] = (pa.decimal128(12, 2), with_nulls(rng, decs))

    # low cardinality, for dictionary pages
    n = 200
    sets["int32_lowcard"] = (pa.int32(), with_nulls(rng, [rng.choice([3, -7, 2 ** 31 - 1, 0])
                                                           for _ in range(n)]))
    sets["int64_lowcard"] = (pa.int64(), with_nulls(rng, [rng.choice([2 ** 62, -5]) for _ in
                                                           range(n)]))
    sets["double_lowcard"] = (pa.float64(), with_nulls(rng, [rng.choice(
        [0x3FE0000000000000, 0x8000000000000000, 0x7FF8000000000000, 0x400A000000000000])
        for _ in range(n)]))
    sets["string_lowcard"] = (pa.string(), with_nulls(rng, [rng.choice(
        ["", "insert", "update", "delete", "r" * 12]) for _ in range(n)]))
    sets["string_single"] = (pa.string(), ["only"] * 50)  # one entry: bit width 1 or 0
    sets["decimal_lowcard"] = (pa.decimal128(12, 2), with_nulls(rng, [rng.choice(
        [decimal.Decimal("1.50"), decimal.Decimal("-12.50")]) for _ in range(n)]))
    return sets


# (case name, data set, column encoding or 'DICT', data page versions)
CASES = [
    ("plain_bool", "bool", "PLAIN", ["1.0", "2.0"]),
    ("rle_bool", "bool", "RLE", ["1.0", "2.0"]),
    ("plain_int32", "int32", "PLAIN", ["1.0", "2.0"]),
    ("plain_int64", "int64", "PLAIN", ["1.0"]),
    ("plain_int64_required", "int64_required", "PLAIN", ["1.0"]),
    ("plain_float", "float", "PLAIN", ["1.0"]),
    ("plain_double", "double", "PLAIN", ["1.0", "2.0"]),
    ("plain_string", "string", "PLAIN", ["1.0", "2.0"]),
    ("plain_fixed16", "fixed16", "PLAIN", ["1.0"]),
    ("plain_decimal", "decimal", "PLAIN", ["1.0"]),
    ("delta_int32", "int32", "DELTA_BINARY_PACKED", ["1.0", "2.0"]),
    ("delta_int64", "int64", "DELTA_BINARY_PACKED", ["1.0", "2.0"]),
    ("delta_int64_required", "int64_required", "DELTA_BINARY_PACKED", ["2.0"]),
    ("delta_length_string", "string", "DELTA_LENGTH_BYTE_ARRAY", ["1.0", "2.0"]),
    ("delta_bytes_string", "string", "DELTA_BYTE_ARRAY", ["1.0", "2.0"]),
    ("delta_bytes_string_required", "string_required", "DELTA_BYTE_ARRAY", ["1.0"]),
    ("delta_bytes_fixed16", "fixed16", "DELTA_BYTE_ARRAY", ["1.0"]),
    ("bss_float", "float", "BYTE_STREAM_SPLIT", ["1.0", "2.0"]),
    ("bss_double", "double", "BYTE_STREAM_SPLIT", ["1.0"]),
    ("bss_int32", "int32", "BYTE_STREAM_SPLIT", ["1.0"]),
    ("bss_int64", "int64", "BYTE_STREAM_SPLIT", ["2.0"]),
    ("bss_fixed16", "fixed16", "BYTE_STREAM_SPLIT", ["1.0"]),
    ("bss_decimal", "decimal", "BYTE_STREAM_SPLIT", ["1.0"]),
    ("dict_int32", "int32_lowcard", "DICT", ["1.0", "2.0"]),
    ("dict_int64", "int64_lowcard", "DICT", ["1.0"]),
    ("dict_double", "double_lowcard", "DICT", ["1.0"]),
    ("dict_string", "string_lowcard", "DICT", ["1.0", "2.0"]),
    ("dict_string_single", "string_single", "DICT", ["1.0"]),
    ("dict_decimal", "decimal_lowcard", "DICT", ["1.0"]),
]


# ------------------------------------------------------------------ expected values

def decimal_width(precision):
    width = 1
    while 2 ** (8 * width - 1) < 10 ** precision:
        width += 1
    return width


def expected_values(array):
    """Present values as stored in Parquet (see the module docstring), and the width."""
    t = array.type
    present = [v for v in array.to_pylist() if v is not None]
    if pa.types.is_boolean(t):
        return bytes(int(v) for v in present), 1
    if pa.types.is_decimal(t):
        width = decimal_width(t.precision)
        out = b"".join(int(v.scaleb(t.scale)).to_bytes(width, "big", signed=True)
                       for v in present)
        return out, width
    if pa.types.is_fixed_size_binary(t):
        return b"".join(present), t.byte_width
    if pa.types.is_string(t) or pa.types.is_binary(t):
        out = bytearray()
        for v in present:
            b = v.encode() if isinstance(v, str) else v
            out += struct.pack("<I", len(b)) + b
        return bytes(out), 0
    # numbers: the exact stored bytes (NaN payloads too), straight from the Arrow buffer
    width = t.bit_width // 8
    data = array.buffers()[1].to_pybytes()
    out = bytearray()
    for i, v in enumerate(array.is_valid().to_pylist()):
        if v:
            at = (array.offset + i) * width
            out += data[at:at + width]
    return bytes(out), width


def to_arrow(typ, values):
    """An Arrow array; floating-point values are given as bit patterns and kept exact."""
    if not pa.types.is_floating(typ):
        return pa.array(values, type=typ)
    width = typ.bit_width // 8
    fmt = "<I" if width == 4 else "<Q"
    data = b"".join(struct.pack(fmt, 0 if v is None else v) for v in values)
    validity = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v is not None:
            validity[i // 8] |= 1 << (i % 8)
    return pa.Array.from_buffers(typ, len(values), [pa.py_buffer(bytes(validity)),
                                                    pa.py_buffer(data)])


def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


SAVED = {}  # content hash -> file name, so equal sections are stored once


def save_dedup(prefix, data):
    digest = hashlib.sha1(data).hexdigest()[:10]
    if digest not in SAVED:
        SAVED[digest] = "%s_%s.bin" % (prefix, digest)
        save(SAVED[digest], data)
    return SAVED[digest]


# ------------------------------------------------------------------ cases

def write_file(path, typ, values, encoding, version, compression="none", nullable=True):
    field = pa.field("c", typ, nullable=nullable)
    table = pa.table({"c": to_arrow(typ, values)}, schema=pa.schema([field]))
    kwargs = dict(compression=compression, data_page_version=version, write_statistics=False,
                  store_schema=False)
    if encoding == "DICT":
        kwargs["use_dictionary"] = True
    else:
        kwargs["use_dictionary"] = False
        kwargs["column_encoding"] = {"c": encoding}
    pq.write_table(table, path, **kwargs)


def encoding_case(tmp, sets, name, set_name, encoding, version):
    typ, values = sets[set_name]
    nullable = not set_name.endswith("_required")
    path = os.path.join(tmp, name + ".parquet")
    write_file(path, typ, values, encoding, version, nullable=nullable)
    readback = pq.read_table(path).column("c").combine_chunks()
    expect, width = expected_values(readback)
    if encoding != "DICT" and not pa.types.is_floating(typ):
        assert readback.to_pylist() == values, name

    pages = list(read_pages(path))
    dict_count = 0
    dict_name = "-"
    case = "%s_v%s" % (name, version[0])
    if pages[0][0][1] == 2:  # DICTIONARY_PAGE
        header, body = pages.pop(0)
        dict_count = header[7][1]
        dict_name = save_dedup("dict", body)
    header, body = pages[0]
    assert len(pages) == 1, "%s: expected one data page, got %d" % (case, len(pages))
    assert header[2] == header[3] == len(body), case  # uncompressed
    if header[1] == 0:  # DATA_PAGE (v1)
        dph = header[5]
        num_values, num_nulls, enc = dph[1], None, dph[2]
        if nullable:
            levels_len = 4 + struct.unpack_from("<I", body)[0]
        else:
            levels_len = 0
    else:  # DATA_PAGE_V2
        dph = header[8]
        num_values, num_nulls, enc = dph[1], dph[2], dph[4]
        assert dph.get(6, 0) == 0
        levels_len = dph.get(5, 0)
    levels_name = deflevels_name = "-"
    if nullable:
        levels_name = save_dedup("levels", body[:levels_len])
        deflevels_name = save_dedup("deflevels", bytes(0 if v is None else 1
                                                       for v in readback.to_pylist()))
    values_name = save_dedup("values", body[levels_len:])
    present = sum(1 for v in readback.to_pylist() if v is not None)
    if num_nulls is None:
        num_nulls = num_values - present
    assert num_values - num_nulls == present, case
    physical = pq.ParquetFile(path).metadata.schema.column(0).physical_type
    physical_id = {v: k for k, v in PHYSICAL.items()}[physical]
    return "%s %s %s %d %s %d %d %s %s %s %d %s %s\n" % (
        case, version[0], PHYSICAL[physical_id], width if physical_id != 6 else 0,
        ENCODING[enc], num_values, num_nulls, levels_name, values_name, dict_name, dict_count,
        save_dedup("expect", expect), deflevels_name)


# pyarrow compression name -> Parquet CompressionCodec number
CODECS = [("snappy", 1), ("gzip", 2), ("zstd", 6), ("brotli", 4), ("lz4", 7)]


def compress_cases(tmp):
    rng = random.Random(7)
    values = ["event %d from customer_%06d: %s" % (i, rng.randint(0, 999), rng.choice(
        ["insert", "update", "delete"])) for i in range(60)]
    lines = ["# codec_number name compressed_file raw_file ('-' when only the error is tested)\n"]
    for name, number in CODECS:
        path = os.path.join(tmp, "compress_%s.parquet" % name)
        write_file(path, pa.string(), values, "PLAIN", "1.0", compression=name)
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression.lower() in (
            name, "lz4_raw")
        header, body = next(p for p in read_pages(path) if p[0][1] == 0)
        raw_name = "-"
        if number in (1, 2, 6):
            raw = pa.Codec(name).decompress(body, decompressed_size=header[2]).to_pybytes()
            assert len(raw) == header[2]
            raw_name = save_dedup("raw", raw)
        lines.append("%d %s %s %s\n" % (number, name, save_dedup("compressed", body), raw_name))
    # GZIP decompression also takes zlib streams and multi-member gzip, as Python writes them
    raw = "\n".join(values).encode()
    raw_name = save_dedup("raw", raw)
    half = len(raw) // 2
    lines.append("2 zlib_stream %s %s\n" % (save_dedup("compressed", zlib.compress(raw, 6)),
                                            raw_name))
    lines.append("2 gzip_members %s %s\n" % (save_dedup("compressed", gzip.compress(
        raw[:half], mtime=0) + gzip.compress(raw[half:], mtime=0)), raw_name))
    with open(os.path.join(OUT, "compress.txt"), "w") as f:
        f.writelines(lines)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    sets = make_data()
    lines = [HEADER]
    with tempfile.TemporaryDirectory() as tmp:
        for name, set_name, encoding, versions in CASES:
            for version in versions:
                lines.append(encoding_case(tmp, sets, name, set_name, encoding, version))
        compress_cases(tmp)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.writelines(lines)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d cases, %d files, %d bytes to %s" % (
        len(lines) - 1, len(os.listdir(OUT)), total, OUT), file=sys.stderr)


if __name__ == "__main__":
    main()

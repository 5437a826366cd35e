#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_pgoutput: one valid pgoutput message of each
kind (protocol 1 and 2 forms), built from the published message formats.
Run from the repository root: python3 fuzz/make_corpus_pgoutput.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pgoutput")


def s(text):
    return text.encode() + b"\0"


def tuple_data(*cols):
    out = struct.pack(">H", len(cols))
    for c in cols:
        if c is None:
            out += b"n"
        elif c == "TOAST":
            out += b"u"
        else:
            out += b"t" + struct.pack(">I", len(c)) + c
    return out


def relation(xid=None):
    body = struct.pack(">I", 16384) + s("public") + s("orders") + b"d" + struct.pack(">H", 3)
    body += b"\x01" + s("id") + struct.pack(">Ii", 20, -1)
    body += b"\x00" + s("note") + struct.pack(">Ii", 25, -1)
    body += b"\x00" + s("amount") + struct.pack(">Ii", 1700, (12 << 16 | 2) + 4)
    return b"R" + (struct.pack(">I", xid) if xid else b"") + body


MESSAGES = {
    "begin": b"B" + struct.pack(">QqI", 0x1000020, 774000000000000, 731),
    "commit": b"C" + b"\0" + struct.pack(">QQq", 0x1000020, 0x1000050, 774000000000000),
    "origin": b"O" + struct.pack(">Q", 5) + s("node_a"),
    "relation": relation(),
    "relation_stream": relation(900),
    "type": b"Y" + struct.pack(">I", 16500) + s("public") + s("mood"),
    "insert": b"I" + struct.pack(">I", 16384) + b"N" + tuple_data(b"1", b"hello", None),
    "update_key": b"U" + struct.pack(">I", 16384) + b"K" + tuple_data(b"1", None, None)
    + b"N" + tuple_data(b"2", "TOAST", b"1.50"),
    "update_full": b"U" + struct.pack(">I", 16384) + b"O" + tuple_data(b"1", b"a", b"2")
    + b"N" + tuple_data(b"1", b"b", b"2"),
    "update_plain": b"U" + struct.pack(">I", 16384) + b"N" + tuple_data(b"1", b"x", None),
    "delete": b"D" + struct.pack(">I", 16384) + b"K" + tuple_data(b"1", None, None),
    "truncate": b"T" + struct.pack(">IB", 2, 1) + struct.pack(">II", 16384, 16390),
    "message": b"M" + b"\x01" + struct.pack(">Q", 77) + s("prefix") + struct.pack(">I", 3) + b"abc",
    "stream_start": b"S" + struct.pack(">IB", 900, 1),
    "stream_stop": b"E",
    "stream_insert": b"I" + struct.pack(">II", 901, 16384) + b"N" + tuple_data(b"7", b"", None),
    "stream_commit": b"c" + struct.pack(">IBQQq", 900, 0, 0x2000000, 0x2000040, 774000000000000),
    "stream_abort": b"A" + struct.pack(">II", 900, 901),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in MESSAGES.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
